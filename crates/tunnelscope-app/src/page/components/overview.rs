//! Overview: the event histogram over the loaded range; drag to brush a time window.

use std::cell::RefCell;
use std::rc::Rc;

use tunnelscope_core::query::TimeWindow;
use tunnelscope_core::views::Histogram;
use wasm_bindgen::JsCast;
use web_sys::{CanvasRenderingContext2d, HtmlCanvasElement};
use yew::prelude::*;

use crate::page::fmt::fmt_time;
use crate::page::hooks::use_element_width;

const HEIGHT: f64 = 64.0;

/// Props of [`Overview`].
#[derive(Properties, PartialEq)]
pub struct OverviewProps {
    /// Events per bucket.
    pub histogram: Histogram,
    /// The brushed window.
    pub window: Option<TimeWindow>,
    /// Local time instead of UTC.
    pub local_time: bool,
    /// Dark colours.
    pub dark: bool,
    /// Called with the new window (`None` clears it).
    pub on_window: Callback<Option<TimeWindow>>,
}

fn t_at(h: &Histogram, x: f64, width: f64) -> i64 {
    let span = (h.bucket_ms * h.counts.len() as i64) as f64;
    h.start_ms + (x / width * span) as i64
}

fn x_at(h: &Histogram, t: i64, width: f64) -> f64 {
    let span = (h.bucket_ms * h.counts.len() as i64).max(1) as f64;
    (t - h.start_ms) as f64 / span * width
}

/// The window a key gives on the histogram (`None`: the key does nothing; `Some(None)`: clear).
/// Without a window, arrows select the first or last tenth of the range; with one, arrows move
/// it by its width, Shift+arrows move its end by a tenth of its width, `+` / `-` narrow and
/// widen it around its middle, Escape or Delete clears it. Clamped to the loaded range.
pub fn key_window(h: &Histogram, window: Option<TimeWindow>, key: &str, shift: bool) -> Option<Option<TimeWindow>> {
    let (start, end) = (h.start_ms, h.start_ms + h.bucket_ms * h.counts.len() as i64);
    if h.counts.is_empty() || end <= start {
        return None;
    }
    let tenth = ((end - start) / 10).max(1);
    let clamp = |a: i64, b: i64| {
        let (a, b) = (a.clamp(start, end), b.clamp(start, end));
        (b > a).then_some(TimeWindow { start_ms: a, end_ms: b })
    };
    let Some(w) = window else {
        return match key {
            "ArrowRight" => Some(clamp(end - tenth, end)),
            "ArrowLeft" => Some(clamp(start, start + tenth)),
            _ => None,
        };
    };
    let width = (w.end_ms - w.start_ms).max(1);
    let step = (width / 10).max(1);
    let moved = match (key, shift) {
        ("Escape" | "Delete" | "Backspace", _) => return Some(None),
        ("ArrowRight", false) => {
            let s = (w.start_ms + width).min(end - width);
            clamp(s, s + width)
        }
        ("ArrowLeft", false) => {
            let s = (w.start_ms - width).max(start);
            clamp(s, s + width)
        }
        ("ArrowRight", true) => clamp(w.start_ms, w.end_ms + step),
        ("ArrowLeft", true) => clamp(w.start_ms, (w.end_ms - step).max(w.start_ms + 1)),
        ("+" | "=", _) => clamp(w.start_ms + width / 4, w.end_ms - width / 4),
        ("-", _) => clamp(w.start_ms - width / 2, w.end_ms + width / 2),
        _ => return None,
    };
    moved.map(Some)
}

fn draw(canvas: &HtmlCanvasElement, props: &OverviewProps, brush: Option<(f64, f64)>) {
    let Ok(Some(ctx)) = canvas.get_context("2d") else { return };
    let Ok(ctx) = ctx.dyn_into::<CanvasRenderingContext2d>() else { return };
    let dpr = web_sys::window().map(|w| w.device_pixel_ratio()).unwrap_or(1.0);
    let width = canvas.parent_element().map(|p| f64::from(p.client_width())).unwrap_or(900.0).max(100.0);
    canvas.set_width((width * dpr) as u32);
    canvas.set_height((HEIGHT * dpr) as u32);
    let _ = ctx.set_transform(dpr, 0.0, 0.0, dpr, 0.0, 0.0);
    ctx.clear_rect(0.0, 0.0, width, HEIGHT);
    let h = &props.histogram;
    let n = h.counts.len();
    if n == 0 {
        return;
    }
    let max = h.counts.iter().copied().max().unwrap_or(0).max(1) as f64;
    let bw = width / n as f64;
    let (bar, bad, shade) = if props.dark {
        ("#38bdf8", "#f87171", "rgba(255,255,255,0.12)")
    } else {
        ("#0369a1", "#b91c1c", "rgba(0,0,0,0.10)")
    };
    for (i, &c) in h.counts.iter().enumerate() {
        let bh = (f64::from(c) / max).sqrt() * (HEIGHT - 16.0);
        ctx.set_fill_style_str(bar);
        ctx.fill_rect(i as f64 * bw, HEIGHT - 14.0 - bh, (bw - 0.5).max(0.5), bh);
        if h.failed_tunnels.get(i).copied().unwrap_or(0) > 0 {
            ctx.set_fill_style_str(bad);
            ctx.fill_rect(i as f64 * bw, HEIGHT - 13.0, (bw - 0.5).max(0.5), 3.0);
        }
    }
    ctx.set_fill_style_str(if props.dark { "#9ca3af" } else { "#6b7280" });
    ctx.set_font("11px system-ui, sans-serif");
    let start_text = fmt_time(h.start_ms, props.local_time);
    let _ = ctx.fill_text(&start_text, 2.0, HEIGHT - 1.0);
    // The range's end to the second, right-aligned by its measured width; left off where it
    // would run into the start's label (a narrow screen).
    let end = h.start_ms + h.bucket_ms * n as i64;
    let end_text = fmt_time(end - end.rem_euclid(1000), props.local_time);
    let measure = |t: &str| ctx.measure_text(t).map(|m| m.width()).unwrap_or(7.0 * t.len() as f64);
    let end_x = width - 2.0 - measure(&end_text);
    if end_x > 2.0 + measure(&start_text) + 12.0 {
        let _ = ctx.fill_text(&end_text, end_x, HEIGHT - 1.0);
    }
    let selection = brush.or_else(|| props.window.map(|w| (x_at(h, w.start_ms, width), x_at(h, w.end_ms, width))));
    if let Some((a, b)) = selection {
        let (x0, x1) = (a.min(b), a.max(b));
        ctx.set_fill_style_str(shade);
        ctx.fill_rect(0.0, 0.0, x0.max(0.0), HEIGHT - 12.0);
        ctx.fill_rect(x1, 0.0, (width - x1).max(0.0), HEIGHT - 12.0);
    }
}

/// The overview strip.
#[function_component(Overview)]
pub fn overview(props: &OverviewProps) -> Html {
    let canvas_ref = use_node_ref();
    let brush: Rc<RefCell<Option<(f64, f64)>>> = use_mut_ref(|| None);
    // Redrawn at the new width when its container's changes (the window, a scrollbar, the layout).
    let wrap_ref = use_node_ref();
    let wrap_width = use_element_width(wrap_ref.clone());
    {
        let canvas_ref = canvas_ref.clone();
        let brush = brush.clone();
        let deps = (props.histogram.clone(), props.window, props.local_time, props.dark, wrap_width.map(f64::to_bits));
        let props_c = (props.histogram.clone(), props.window, props.local_time, props.dark, props.on_window.clone());
        use_effect_with(deps, move |_| {
            if let Some(c) = canvas_ref.cast::<HtmlCanvasElement>() {
                let p = OverviewProps {
                    histogram: props_c.0,
                    window: props_c.1,
                    local_time: props_c.2,
                    dark: props_c.3,
                    on_window: props_c.4,
                };
                draw(&c, &p, *brush.borrow());
            }
        });
    }
    let redraw = {
        let canvas_ref = canvas_ref.clone();
        let brush = brush.clone();
        let histogram = props.histogram.clone();
        let (window, local_time, dark) = (props.window, props.local_time, props.dark);
        move || {
            if let Some(c) = canvas_ref.cast::<HtmlCanvasElement>() {
                let p = OverviewProps {
                    histogram: histogram.clone(),
                    window,
                    local_time,
                    dark,
                    on_window: Callback::noop(),
                };
                draw(&c, &p, *brush.borrow());
            }
        }
    };
    let on_down = {
        let brush = brush.clone();
        Callback::from(move |e: MouseEvent| {
            let x = f64::from(e.offset_x());
            *brush.borrow_mut() = Some((x, x));
        })
    };
    let on_move = {
        let brush = brush.clone();
        let redraw = redraw.clone();
        Callback::from(move |e: MouseEvent| {
            let moved = brush.borrow_mut().as_mut().map(|b| b.1 = f64::from(e.offset_x())).is_some();
            if moved {
                redraw();
            }
        })
    };
    let on_up = {
        let brush = brush.clone();
        let canvas_ref = canvas_ref.clone();
        let histogram = props.histogram.clone();
        let on_window = props.on_window.clone();
        Callback::from(move |_: MouseEvent| {
            let Some((a, b)) = brush.borrow_mut().take() else { return };
            let width = canvas_ref
                .cast::<HtmlCanvasElement>()
                .and_then(|c| c.parent_element())
                .map(|p| f64::from(p.client_width()))
                .unwrap_or(900.0);
            if (a - b).abs() < 3.0 || histogram.counts.is_empty() {
                return;
            }
            let (x0, x1) = (a.min(b).max(0.0), a.max(b).min(width));
            on_window
                .emit(Some(TimeWindow { start_ms: t_at(&histogram, x0, width), end_ms: t_at(&histogram, x1, width) }));
        })
    };
    let on_leave = {
        let brush = brush.clone();
        Callback::from(move |_: MouseEvent| {
            brush.borrow_mut().take();
            redraw();
        })
    };
    let on_reset = props.on_window.reform(|_: MouseEvent| None);
    let t = crate::page::i18n::use_texts();
    let on_key = {
        let (histogram, window, on_window) = (props.histogram.clone(), props.window, props.on_window.clone());
        Callback::from(move |e: KeyboardEvent| {
            if let Some(w) = key_window(&histogram, window, &e.key(), e.shift_key()) {
                e.prevent_default();
                on_window.emit(w);
            }
        })
    };
    html! {
        <section class="overview" data-testid="overview">
            <div ref={wrap_ref} class="overview__canvas-wrap">
                <canvas ref={canvas_ref} class="overview__canvas" data-testid="histogram" tabindex="0" role="img"
                    aria-label={t.histogram_label}
                    onmousedown={on_down} onmousemove={on_move} onmouseup={on_up} onmouseleave={on_leave} onkeydown={on_key} />
            </div>
            <div class="overview__window">
                if let Some(w) = props.window {
                    <span data-testid="time-window">{(t.window_is)(&fmt_time(w.start_ms, props.local_time), &fmt_time(w.end_ms, props.local_time))}</span>
                    <button data-testid="clear-window" onclick={on_reset}>{t.show_all_time}</button>
                } else {
                    <span class="muted">{t.window_hint}</span>
                }
            </div>
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hist() -> Histogram {
        Histogram { start_ms: 0, bucket_ms: 100, counts: vec![1; 10], ..Histogram::default() }
    }

    fn w(a: i64, b: i64) -> Option<TimeWindow> {
        Some(TimeWindow { start_ms: a, end_ms: b })
    }

    #[test]
    fn keys_select_move_resize_and_clear_a_window() {
        let h = hist();
        assert_eq!(key_window(&h, None, "ArrowLeft", false), Some(w(0, 100)));
        assert_eq!(key_window(&h, None, "ArrowRight", false), Some(w(900, 1000)));
        assert_eq!(key_window(&h, None, "x", false), None);
        assert_eq!(key_window(&h, w(100, 300), "ArrowRight", false), Some(w(300, 500)));
        assert_eq!(key_window(&h, w(900, 1000), "ArrowRight", false), Some(w(900, 1000)), "stays inside");
        assert_eq!(key_window(&h, w(0, 200), "ArrowLeft", false), Some(w(0, 200)));
        assert_eq!(key_window(&h, w(100, 300), "ArrowRight", true), Some(w(100, 320)));
        assert_eq!(key_window(&h, w(100, 300), "ArrowLeft", true), Some(w(100, 280)));
        assert_eq!(key_window(&h, w(100, 500), "+", false), Some(w(200, 400)));
        assert_eq!(key_window(&h, w(200, 400), "-", false), Some(w(100, 500)));
        assert_eq!(key_window(&h, w(200, 400), "Escape", false), Some(None));
        assert_eq!(key_window(&Histogram::default(), None, "ArrowLeft", false), None);
    }
}
