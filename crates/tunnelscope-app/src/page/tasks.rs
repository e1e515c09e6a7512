//! Page work in tasks of its own, so no task blocks the page, and the marks of the
//! benchmark's timeline.

use std::time::Duration;

/// The page's clock (ms).
pub fn now_ms() -> f64 {
    js_sys::Date::now()
}

/// Resolves in a task of its own (after the browser had the chance to render and handle input).
pub async fn next_task() {
    yew::platform::time::sleep(Duration::ZERO).await;
}

/// Runs `f` in a task of its own (after the browser had the chance to render and handle input).
pub fn later(f: impl FnOnce() + 'static) {
    yew::platform::spawn_local(async move {
        next_task().await;
        f();
    });
}

/// A `performance.mark` for the benchmark's timeline of a load (`tests/e2e/bench/bench.mjs`).
pub fn perf_mark(what: &str) {
    if let Some(p) = web_sys::window().and_then(|w| w.performance()) {
        let _ = p.mark(what);
    }
}

/// Forgets the marks of the previous load (one load at a time on the benchmark's timeline).
pub fn clear_marks() {
    if let Some(p) = web_sys::window().and_then(|w| w.performance()) {
        p.clear_marks();
    }
}
