//! Where a worker's time goes during a load, for the benchmark: `self.__tsProfile()` in the
//! worker gives milliseconds per phase since the last load started (read by
//! `tests/e2e/bench/bench.mjs`): waiting for the file's stream, parsing, adding parsed files
//! to the dataset, waiting for a helper's parsed file, preparing the indexes (and how many
//! times), building views.

use std::cell::RefCell;

use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::{Closure, JsValue};

/// A phase of a load.
#[derive(Clone, Copy)]
pub enum Phase {
    /// Waiting for the next chunk of a file's stream.
    Wait,
    /// Copying chunks into wasm memory and parsing them.
    Parse,
    /// Adding parsed files to the dataset.
    Add,
    /// The owner waiting for a helper's parsed file.
    Handover,
    /// Preparing a view's indexes (once per dataset change).
    Prepare,
    /// Building and sending views.
    View,
    /// How many times the indexes were prepared (a count, not milliseconds).
    Prepares,
}

const NAMES: [&str; 7] = ["wait", "parse", "add", "handover", "prepare", "view", "prepares"];

thread_local! {
    static TOTALS: RefCell<[f64; 7]> = const { RefCell::new([0.0; 7]) };
    /// Moments of the last load (what happened, when on the worker's clock, live heap bytes and
    /// wasm linear memory bytes then), for a timeline of time and memory.
    static MARKS: RefCell<Vec<Mark>> = const { RefCell::new(Vec::new()) };
    // `performance.now()`: sub-millisecond, where a chunk's parse takes a fraction of one.
    static PERFORMANCE: Option<web_sys::Performance> =
        js_sys::Reflect::get(&js_sys::global(), &"performance".into()).ok().and_then(|p| p.dyn_into().ok());
}

/// What happened, when, the live heap and the linear memory's size then.
type Mark = (&'static str, f64, usize, usize);

/// Bytes of this instance's linear memory (it only grows).
fn linear_memory() -> usize {
    #[cfg(target_arch = "wasm32")]
    return core::arch::wasm32::memory_size(0) * 65_536;
    #[cfg(not(target_arch = "wasm32"))]
    0
}

/// Milliseconds on the worker's clock.
pub fn now() -> f64 {
    // Native unit tests of the app's views run without JS: no clock there, and none needed.
    #[cfg(not(target_arch = "wasm32"))]
    return 0.0;
    #[cfg(target_arch = "wasm32")]
    PERFORMANCE.with(|p| p.as_ref().map_or_else(js_sys::Date::now, web_sys::Performance::now))
}

/// Starts counting a new load.
pub fn reset() {
    TOTALS.with(|t| *t.borrow_mut() = [0.0; 7]);
    MARKS.with(|m| m.borrow_mut().clear());
}

/// Notes that `what` happens now (at most a few hundred marks a load are kept).
pub fn mark(what: &'static str) {
    let at = now();
    MARKS.with(|m| {
        let mut m = m.borrow_mut();
        if m.len() < 512 {
            m.push((what, at, tunnelscope_core::heap::live(), linear_memory()));
        }
    });
}

/// Counts the time since `since` (a [`now`]) to `phase`.
pub fn count(phase: Phase, since: f64) {
    let ms = now() - since;
    TOTALS.with(|t| t.borrow_mut()[phase as usize] += ms);
}

/// Counts one more of `phase` (a count such as [`Phase::Prepares`]).
pub fn tally(phase: Phase) {
    TOTALS.with(|t| t.borrow_mut()[phase as usize] += 1.0);
}

/// Runs `f`, counting its time to `phase`.
pub fn time<T>(phase: Phase, f: impl FnOnce() -> T) -> T {
    let since = now();
    let out = f();
    count(phase, since);
    out
}

/// Sets `self.__tsProfile` in this worker: a function giving `{phase: ms}`.
pub fn expose() {
    let f = Closure::<dyn Fn() -> js_sys::Object>::new(|| {
        let out = js_sys::Object::new();
        TOTALS.with(|t| {
            for (name, ms) in NAMES.iter().zip(t.borrow().iter()) {
                let _ = js_sys::Reflect::set(&out, &(*name).into(), &JsValue::from_f64(ms.round()));
            }
        });
        // Marks as [what, ms since the epoch's performance origin, live heap bytes, linear
        // memory bytes]: the page lines them up with its own clock through `performance.timeOrigin`.
        let origin = PERFORMANCE.with(|p| p.as_ref().map_or(0.0, web_sys::Performance::time_origin));
        let marks = js_sys::Array::new();
        MARKS.with(|m| {
            for &(what, at, live, linear) in m.borrow().iter() {
                let n = |v: usize| JsValue::from_f64(v as f64);
                marks.push(&js_sys::Array::of4(&what.into(), &JsValue::from_f64(origin + at), &n(live), &n(linear)));
            }
        });
        let _ = js_sys::Reflect::set(&out, &"marks".into(), &marks);
        out
    });
    let _ = js_sys::Reflect::set(&js_sys::global(), &"__tsProfile".into(), f.as_ref().unchecked_ref());
    // Lives as long as the worker.
    f.forget();
}
