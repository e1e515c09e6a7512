//! Timeline: endpoint lifetimes and tunnel swimlanes on a canvas (not one DOM node per
//! tunnel), with wheel/drag/WASD zoom and pan, hover tooltips and click selection.
//!
//! Tunnels are drawn honestly: a solid mark at the start, a faded bar to the latest possible
//! end (hatched when the max duration was assumed); failed attempts are red crosses.

use std::cell::RefCell;
use std::rc::Rc;

use tunnelscope_core::views::{EndpointLife, Grouping, Lane, TunnelMark};
use wasm_bindgen::JsCast;
use web_sys::{CanvasRenderingContext2d, HtmlCanvasElement};
use yew::prelude::*;

use crate::fmt::{fmt_duration, fmt_time, visible};
use crate::hooks::use_window_width;
use crate::time_scale::TimeScale;

const LABEL_W: f64 = 240.0;
const ROW_H: f64 = 20.0;
const AXIS_H: f64 = 22.0;
const HEADER_H: f64 = 18.0;

/// Props of [`Timeline`].
#[derive(Properties, Clone)]
pub struct TimelineProps {
    /// Tunnel lanes.
    pub lanes: Rc<Vec<Lane>>,
    /// Endpoint lifecycles (the track above the lanes).
    pub endpoints: Rc<Vec<EndpointLife>>,
    /// The loaded time range.
    pub extent: Option<(i64, i64)>,
    /// The brushed window, which the timeline zooms to.
    pub window: Option<(i64, i64)>,
    /// The view generation the data belongs to (cheap change detection).
    pub generation: u64,
    /// The selected event.
    pub selected: Option<String>,
    /// Local time instead of UTC.
    pub local_time: bool,
    /// Dark colours.
    pub dark: bool,
    /// Current grouping.
    pub grouping: Grouping,
    /// Called when the grouping changes.
    pub on_grouping: Callback<Grouping>,
    /// Called with the event ID of a clicked tunnel.
    pub on_select: Callback<String>,
}

impl PartialEq for TimelineProps {
    fn eq(&self, other: &Self) -> bool {
        self.generation == other.generation
            && Rc::ptr_eq(&self.lanes, &other.lanes)
            && self.extent == other.extent
            && self.window == other.window
            && self.selected == other.selected
            && self.local_time == other.local_time
            && self.dark == other.dark
            && self.grouping == other.grouping
    }
}

/// One drawn row: an endpoint lifetime or a tunnel lane.
enum Row<'a> {
    Endpoint(&'a EndpointLife),
    Lane(&'a Lane),
}

struct Palette {
    fg: &'static str,
    muted: &'static str,
    line: &'static str,
    accent: &'static str,
    bar: &'static str,
    bad: &'static str,
    life: &'static str,
}

fn palette(dark: bool) -> Palette {
    if dark {
        Palette {
            fg: "#e5e7eb",
            muted: "#9ca3af",
            line: "#1f2937",
            accent: "#38bdf8",
            bar: "rgba(56,189,248,0.28)",
            bad: "#f87171",
            life: "rgba(52,211,153,0.35)",
        }
    } else {
        Palette {
            fg: "#111827",
            muted: "#6b7280",
            line: "#e5e7eb",
            accent: "#0369a1",
            bar: "rgba(3,105,161,0.22)",
            bad: "#b91c1c",
            life: "rgba(4,120,87,0.25)",
        }
    }
}

fn rows<'a>(props: &'a TimelineProps) -> Vec<Row<'a>> {
    props.endpoints.iter().map(Row::Endpoint).chain(props.lanes.iter().map(Row::Lane)).collect()
}

/// y of the top of row `i` (a header line separates endpoints from lanes).
fn row_top(i: usize, n_endpoints: usize) -> f64 {
    let header = if i >= n_endpoints { 2.0 * HEADER_H } else { HEADER_H };
    AXIS_H + header + i as f64 * ROW_H
}

fn row_at(y: f64, n_rows: usize, n_endpoints: usize) -> Option<usize> {
    (0..n_rows).find(|&i| {
        let top = row_top(i, n_endpoints);
        y >= top && y < top + ROW_H
    })
}

fn initial_scale(props: &TimelineProps, width: f64) -> Option<TimeScale> {
    let (a, b) = props.window.or(props.extent)?;
    let pad = ((b - a) as f64 * 0.02).max(1_000.0);
    Some(TimeScale::new(a as f64 - pad, b as f64 + pad, width))
}

/// The hit under the pointer: a tunnel mark.
fn hit<'a>(lane: &'a Lane, scale: &TimeScale, x: f64) -> Option<&'a TunnelMark> {
    // Prefer a start marker within 4 px, else the latest-starting bar covering x.
    let near = lane.marks.iter().filter(|m| (scale.x_of(m.start_ms as f64) - x).abs() <= 4.0).min_by(|a, b| {
        let da = (scale.x_of(a.start_ms as f64) - x).abs();
        let db = (scale.x_of(b.start_ms as f64) - x).abs();
        da.total_cmp(&db)
    });
    near.or_else(|| {
        lane.marks.iter().rev().find(|m| scale.x_of(m.start_ms as f64) <= x && x <= scale.x_of(m.end_ms as f64))
    })
}

fn tooltip_for(mark: &TunnelMark, lane: &Lane, local: bool) -> String {
    let outcome = if mark.failed { "failed attempt" } else { "accepted (not proof of a connection)" };
    let port = mark.port.map(|p| format!(" port {p}")).unwrap_or_default();
    let dur = fmt_duration(((mark.end_ms - mark.start_ms) / 1000).max(0) as u64);
    let assumed = if mark.assumed { ", max duration assumed" } else { "" };
    format!(
        "{}{port}\n{outcome}\nstart {}\nlatest end {} ({dur}{assumed})\nevent {}",
        visible(&lane.label),
        fmt_time(mark.start_ms, local),
        fmt_time(mark.end_ms, local),
        mark.event_id
    )
}

/// A small diagonal-stripe tile used as a fill pattern for bars whose max duration was
/// assumed (one pattern fill per lane instead of stroking stripes per bar).
fn hatch_pattern(ctx: &CanvasRenderingContext2d, color: &str) -> Option<web_sys::CanvasPattern> {
    let document = web_sys::window()?.document()?;
    let tile: HtmlCanvasElement = document.create_element("canvas").ok()?.dyn_into().ok()?;
    tile.set_width(6);
    tile.set_height(6);
    let t: CanvasRenderingContext2d = tile.get_context("2d").ok()??.dyn_into().ok()?;
    t.set_stroke_style_str(color);
    t.set_line_width(1.2);
    t.begin_path();
    t.move_to(0.0, 6.0);
    t.line_to(6.0, 0.0);
    t.stroke();
    ctx.create_pattern_with_html_canvas_element(&tile, "repeat").ok()?
}

/// Draws one lane's tunnels with a few batched paths: bars, hatched bars, start marks, crosses.
/// Marks that fall on the same pixel as the previous one are drawn once.
fn draw_lane(
    ctx: &CanvasRenderingContext2d,
    lane: &Lane,
    scale: &TimeScale,
    y: f64,
    p: &Palette,
    selected: Option<&str>,
    hatch: Option<&web_sys::CanvasPattern>,
) {
    let (lo, hi) = (scale.start_ms, scale.end_ms);
    let clamp = |x: f64| x.clamp(-10.0, scale.width_px + 10.0);
    let (bar_y, bar_h) = (y + 5.0, ROW_H - 10.0);
    let mut bars: Vec<(f64, f64)> = Vec::new();
    let mut hatched: Vec<(f64, f64)> = Vec::new();
    let mut starts: Vec<f64> = Vec::new();
    let mut crosses: Vec<f64> = Vec::new();
    let mut selected_box = None;
    let (mut last_start, mut last_cross) = (f64::NAN, f64::NAN);
    for m in &lane.marks {
        if (m.end_ms as f64) < lo || (m.start_ms as f64) > hi {
            continue;
        }
        let x0 = (LABEL_W + clamp(scale.x_of(m.start_ms as f64))).round();
        let x1 = (LABEL_W + clamp(scale.x_of(m.end_ms as f64))).round().max(x0 + 1.0);
        if selected == Some(m.event_id.as_str()) {
            selected_box = Some((x0, x1));
        }
        if m.failed {
            if x0 != last_cross {
                crosses.push(x0);
                last_cross = x0;
            }
            continue;
        }
        // Overlapping bars merge into one rectangle.
        let list = if m.assumed { &mut hatched } else { &mut bars };
        match list.last_mut() {
            Some(last) if x0 <= last.1 => last.1 = last.1.max(x1),
            _ => list.push((x0, x1)),
        }
        if x0 != last_start {
            starts.push(x0);
            last_start = x0;
        }
    }
    ctx.set_fill_style_str(p.bar);
    ctx.begin_path();
    for (a, b) in bars.iter().chain(&hatched) {
        ctx.rect(*a, bar_y, b - a, bar_h);
    }
    ctx.fill();
    if let Some(pattern) = hatch {
        ctx.set_fill_style_canvas_pattern(pattern);
        ctx.begin_path();
        for (a, b) in &hatched {
            ctx.rect(*a, bar_y, b - a, bar_h);
        }
        ctx.fill();
    }
    ctx.set_fill_style_str(p.accent);
    ctx.begin_path();
    for x in &starts {
        ctx.rect(x - 1.0, y + 3.0, 3.0, ROW_H - 6.0);
    }
    ctx.fill();
    ctx.set_stroke_style_str(p.bad);
    ctx.begin_path();
    for x in &crosses {
        ctx.move_to(x - 4.0, y + 5.0);
        ctx.line_to(x + 4.0, y + ROW_H - 5.0);
        ctx.move_to(x + 4.0, y + 5.0);
        ctx.line_to(x - 4.0, y + ROW_H - 5.0);
    }
    ctx.stroke();
    if let Some((x0, x1)) = selected_box {
        ctx.set_stroke_style_str(p.fg);
        ctx.stroke_rect(x0 - 3.0, y + 1.0, x1 - x0 + 6.0, ROW_H - 2.0);
    }
}

fn draw(canvas: &HtmlCanvasElement, props: &TimelineProps, scale: &TimeScale) {
    let Ok(Some(ctx)) = canvas.get_context("2d") else { return };
    let Ok(ctx) = ctx.dyn_into::<CanvasRenderingContext2d>() else { return };
    let dpr = web_sys::window().map(|w| w.device_pixel_ratio()).unwrap_or(1.0);
    let rows = rows(props);
    let n_endpoints = props.endpoints.len();
    let height = row_top(rows.len(), n_endpoints) + 8.0;
    let width = LABEL_W + scale.width_px;
    let (w_px, h_px) = ((width * dpr) as u32, (height * dpr) as u32);
    // Resizing clears and reallocates the canvas: only do it when the size changes.
    if canvas.width() != w_px || canvas.height() != h_px {
        canvas.set_width(w_px);
        canvas.set_height(h_px);
        let _ = canvas.style().set_property("height", &format!("{height}px"));
    }
    let _ = ctx.set_transform(dpr, 0.0, 0.0, dpr, 0.0, 0.0);
    let p = palette(props.dark);
    ctx.clear_rect(0.0, 0.0, width, height);
    ctx.set_font("12px system-ui, sans-serif");

    // Axis and grid.
    ctx.set_fill_style_str(p.muted);
    ctx.set_stroke_style_str(p.line);
    for t in scale.ticks(((scale.width_px / 140.0) as usize).max(2)) {
        let x = LABEL_W + scale.x_of(t as f64);
        ctx.begin_path();
        ctx.move_to(x, AXIS_H - 4.0);
        ctx.line_to(x, height);
        ctx.stroke();
        let _ = ctx.fill_text(&fmt_time(t, props.local_time), x + 3.0, 14.0);
    }
    ctx.set_fill_style_str(p.fg);
    let _ = ctx.fill_text("Endpoints (create requested → delete requested)", 4.0, AXIS_H + 13.0);
    let lane_header = format!("Tunnels by {}", props.grouping.as_str());
    let _ = ctx.fill_text(&lane_header, 4.0, row_top(n_endpoints, n_endpoints) - HEADER_H + 13.0);

    let clamp = |x: f64| x.clamp(-10.0, scale.width_px + 10.0);
    let (lo, hi) = (scale.start_ms, scale.end_ms);
    let hatch = hatch_pattern(&ctx, p.accent);
    for (i, row) in rows.iter().enumerate() {
        let y = row_top(i, n_endpoints);
        ctx.set_stroke_style_str(p.line);
        ctx.begin_path();
        ctx.move_to(0.0, y + ROW_H);
        ctx.line_to(width, y + ROW_H);
        ctx.stroke();
        match row {
            Row::Endpoint(e) => {
                ctx.set_fill_style_str(p.fg);
                let _ = ctx.fill_text(&clip_label(&visible(&e.endpoint_id)), 4.0, y + 14.0);
                let start = e.create_ms.map(|t| t as f64).unwrap_or(lo.min(e.first_seen_ms as f64));
                let end = e.delete_ms.map(|t| t as f64).unwrap_or(hi.max(e.last_seen_ms as f64));
                let (x0, x1) = (LABEL_W + clamp(scale.x_of(start)), LABEL_W + clamp(scale.x_of(end)));
                ctx.set_fill_style_str(p.life);
                ctx.fill_rect(x0, y + 5.0, (x1 - x0).max(1.0), ROW_H - 10.0);
                ctx.set_fill_style_str(p.fg);
                if let Some(t) = e.create_ms {
                    ctx.fill_rect(LABEL_W + scale.x_of(t as f64) - 1.0, y + 2.0, 3.0, ROW_H - 4.0);
                } else {
                    let _ = ctx.fill_text("…", x0 + 2.0, y + 14.0);
                }
                if let Some(t) = e.delete_ms {
                    ctx.fill_rect(LABEL_W + scale.x_of(t as f64) - 1.0, y + 2.0, 3.0, ROW_H - 4.0);
                }
                ctx.set_fill_style_str(p.accent);
                for &t in &e.modify_ms {
                    let _ = ctx.fill_text("M", LABEL_W + scale.x_of(t as f64) - 4.0, y + 14.0);
                }
                ctx.set_fill_style_str(p.muted);
                for &t in &e.describe_ms {
                    ctx.fill_rect(LABEL_W + scale.x_of(t as f64), y + ROW_H - 6.0, 1.0, 5.0);
                }
            }
            Row::Lane(lane) => {
                ctx.set_fill_style_str(p.fg);
                let label = if lane.sublabel.is_empty() {
                    lane.label.clone()
                } else {
                    format!("{} · {}", lane.label, lane.sublabel)
                };
                let _ = ctx.fill_text(&clip_label(&visible(&label)), 4.0, y + 14.0);
                draw_lane(&ctx, lane, scale, y, &p, props.selected.as_deref(), hatch.as_ref());
            }
        }
    }
    // The label column is drawn over anything that scrolled under it.
    ctx.set_stroke_style_str(p.line);
    ctx.begin_path();
    ctx.move_to(LABEL_W - 0.5, 0.0);
    ctx.line_to(LABEL_W - 0.5, height);
    ctx.stroke();
}

fn clip_label(s: &str) -> String {
    if s.chars().count() > 34 { format!("{}…", s.chars().take(33).collect::<String>()) } else { s.to_owned() }
}

struct Drag {
    start_x: f64,
    last_x: f64,
    moved: bool,
}

/// The timeline.
#[function_component(Timeline)]
pub fn timeline(props: &TimelineProps) -> Html {
    let canvas_ref = use_node_ref();
    let width = use_state(|| 900.0f64);
    let scale: UseStateHandle<Option<TimeScale>> = use_state(|| None);
    let drag: Rc<RefCell<Option<Drag>>> = use_mut_ref(|| None);
    let tooltip: UseStateHandle<Option<(f64, f64, String)>> = use_state(|| None);

    // Measure the drawing width when mounted and whenever the window is resized.
    let window_width = use_window_width();
    {
        let canvas_ref = canvas_ref.clone();
        let width = width.clone();
        use_effect_with(window_width, move |_| {
            if let Some(parent) = canvas_ref.cast::<HtmlCanvasElement>().and_then(|c| c.parent_element()) {
                width.set((f64::from(parent.client_width()) - LABEL_W - 2.0).max(200.0));
            }
        });
    }
    // Reset the zoom when the loaded range or the brushed window changes.
    {
        let scale = scale.clone();
        let props_c = props.clone();
        use_effect_with((props.extent, props.window, *width), move |(_, _, w)| {
            scale.set(initial_scale(&props_c, *w));
        });
    }
    // Draw whenever the data, the zoom or the look changes.
    {
        let canvas_ref = canvas_ref.clone();
        let props_c = props.clone();
        use_effect_with((props.clone(), *scale), move |(_, s)| {
            if let (Some(canvas), Some(s)) = (canvas_ref.cast::<HtmlCanvasElement>(), s) {
                draw(&canvas, &props_c, s);
            }
        });
    }

    let on_wheel = {
        let scale = scale.clone();
        Callback::from(move |e: WheelEvent| {
            let Some(s) = *scale else { return };
            e.prevent_default();
            let x = f64::from(e.offset_x()) - LABEL_W;
            if e.shift_key() || e.delta_x().abs() > e.delta_y().abs() {
                let d = if e.delta_x() != 0.0 { e.delta_x() } else { e.delta_y() };
                scale.set(Some(s.pan(d)));
            } else {
                scale.set(Some(s.zoom_at(x.max(0.0), 1.2f64.powf(e.delta_y() / 100.0))));
            }
        })
    };
    let on_down = {
        let drag = drag.clone();
        Callback::from(move |e: MouseEvent| {
            let x = f64::from(e.offset_x());
            *drag.borrow_mut() = Some(Drag { start_x: x, last_x: x, moved: false });
        })
    };
    let on_move = {
        let drag = drag.clone();
        let scale = scale.clone();
        let tooltip = tooltip.clone();
        let props_c = props.clone();
        Callback::from(move |e: MouseEvent| {
            let x = f64::from(e.offset_x());
            let Some(s) = *scale else { return };
            if let Some(d) = drag.borrow_mut().as_mut() {
                if (x - d.start_x).abs() > 3.0 {
                    d.moved = true;
                }
                if d.moved {
                    scale.set(Some(s.pan(d.last_x - x)));
                    d.last_x = x;
                    tooltip.set(None);
                    return;
                }
            }
            let y = f64::from(e.offset_y());
            let rows = rows(&props_c);
            let n_endpoints = props_c.endpoints.len();
            let text = row_at(y, rows.len(), n_endpoints).and_then(|i| match rows[i] {
                Row::Lane(lane) => hit(lane, &s, x - LABEL_W).map(|m| tooltip_for(m, lane, props_c.local_time)),
                Row::Endpoint(ep) => Some(endpoint_tooltip(ep, props_c.local_time)),
            });
            tooltip.set(text.map(|t| (x + 14.0, y + 14.0, t)));
        })
    };
    let on_up = {
        let drag = drag.clone();
        let scale = scale.clone();
        let props_c = props.clone();
        Callback::from(move |e: MouseEvent| {
            let d = drag.borrow_mut().take();
            let Some(s) = *scale else { return };
            if d.is_some_and(|d| d.moved) {
                return;
            }
            let (x, y) = (f64::from(e.offset_x()) - LABEL_W, f64::from(e.offset_y()));
            let rows = rows(&props_c);
            if let Some(Row::Lane(lane)) = row_at(y, rows.len(), props_c.endpoints.len()).map(|i| &rows[i]) {
                if let Some(m) = hit(lane, &s, x) {
                    props_c.on_select.emit(m.event_id.clone());
                }
            }
        })
    };
    let on_leave = {
        let drag = drag.clone();
        let tooltip = tooltip.clone();
        Callback::from(move |_: MouseEvent| {
            *drag.borrow_mut() = None;
            tooltip.set(None);
        })
    };
    let on_key = {
        let scale = scale.clone();
        let props_c = props.clone();
        let width = *width;
        Callback::from(move |e: KeyboardEvent| {
            let Some(s) = *scale else { return };
            let next = match e.key().as_str() {
                "w" | "W" => s.zoom_at(width / 2.0, 0.8),
                "s" | "S" => s.zoom_at(width / 2.0, 1.25),
                "a" | "A" => s.pan(-width * 0.1),
                "d" | "D" => s.pan(width * 0.1),
                "0" => match initial_scale(&props_c, width) {
                    Some(s) => s,
                    None => return,
                },
                _ => return,
            };
            e.prevent_default();
            scale.set(Some(next));
        })
    };
    let on_group = {
        let cb = props.on_grouping.clone();
        Callback::from(move |e: Event| {
            if let Some(sel) = e.target().and_then(|t| t.dyn_into::<web_sys::HtmlSelectElement>().ok()) {
                if let Some(g) = Grouping::parse(&sel.value()) {
                    cb.emit(g);
                }
            }
        })
    };
    let n_marks: usize = props.lanes.iter().map(|l| l.marks.len()).sum();
    html! {
        <section class="timeline" data-testid="tunnel-timeline" data-marks={n_marks.to_string()}>
            <div class="timeline__bar">
                <h2>{"Timeline"}</h2>
                <label>{"lanes by "}
                    <select data-testid="timeline-grouping" onchange={on_group}>
                        {for [Grouping::Endpoint, Grouping::Target, Grouping::Principal, Grouping::SourceIp].into_iter().map(|g| html! {
                            <option value={g.as_str()} selected={g == props.grouping}>{g.as_str()}</option>
                        })}
                    </select>
                </label>
                <span class="timeline__hint">{"wheel or W/S zoom · drag or A/D pan · 0 resets · click selects · bars end at the latest possible end; hatched = max duration assumed; × = failed"}</span>
            </div>
            if props.extent.is_none() {
                <p class="empty">{"Load data to see the timeline."}</p>
            }
            <div class="timeline__scroll">
                <canvas ref={canvas_ref} class="timeline__canvas" tabindex="0" data-testid="timeline-canvas"
                    onwheel={on_wheel} onmousedown={on_down} onmousemove={on_move} onmouseup={on_up}
                    onmouseleave={on_leave} onkeydown={on_key} />
                if let Some((x, y, text)) = &*tooltip {
                    <div class="timeline__tooltip" data-testid="timeline-tooltip" style={format!("left:{x}px;top:{y}px")}>{text.clone()}</div>
                }
            </div>
        </section>
    }
}

fn endpoint_tooltip(e: &EndpointLife, local: bool) -> String {
    let created = e
        .create_ms
        .map(|t| format!("create requested {}", fmt_time(t, local)))
        .unwrap_or_else(|| "created before the data starts".into());
    let deleted = e
        .delete_ms
        .map(|t| format!("delete requested {}", fmt_time(t, local)))
        .unwrap_or_else(|| "not deleted in the data".into());
    format!("{}\n{created}\n{deleted}\n{} tunnels ({} failed)", visible(&e.endpoint_id), e.n_tunnels, e.n_failed)
}
