//! Timeline: endpoint lifetimes and tunnel swimlanes on a canvas (not one DOM node per
//! tunnel), with wheel/drag/WASD zoom and pan, hover tooltips and click selection.
//!
//! Tunnels are drawn honestly: a solid mark at the start, a faded bar to the latest possible
//! end (hatched when the max duration was assumed); failed attempts, which never opened, are
//! red crosses with no bar. Tunnels that overlap in time are stacked in sub-rows of their lane
//! (the core packs them: `TunnelMark::row`). The canvas follows its container's width
//! (a `ResizeObserver`), and everything time-based is clipped to the plot, right of the labels.

use std::cell::RefCell;
use std::rc::Rc;

use tunnelscope_core::views::{EndpointLife, Grouping, Lane, TunnelMark};
use wasm_bindgen::JsCast;
use web_sys::{CanvasRenderingContext2d, HtmlCanvasElement, HtmlElement};
use yew::prelude::*;

use crate::page::fmt::{fmt_duration, fmt_time, visible};
use crate::page::hooks::{use_document_event, use_element_width};
use crate::page::time_scale::{Axis, TimeScale, axis, estimate_text_width};

/// Height of an endpoint row, and of a lane with one sub-row.
const ROW_H: f64 = 20.0;
/// Each sub-row of a lane.
const SUB_H: f64 = 14.0;
/// The axis: tick labels on the first line, the larger unit (day, year) on the second.
const AXIS_H: f64 = 36.0;
const HEADER_H: f64 = 18.0;
const FONT_PX: f64 = 12.0;
const FONT: &str = "12px system-ui, sans-serif";
/// The plot is never narrower than this (the section scrolls sideways below it).
const MIN_PLOT_W: f64 = 160.0;

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

/// One drawn row: an endpoint lifetime or a tunnel lane.
#[derive(Clone, Copy)]
enum Row<'a> {
    Endpoint(&'a EndpointLife),
    Lane(&'a Lane),
}

/// The rows of the canvas, top to bottom, with their tops and heights.
struct Layout<'a> {
    rows: Vec<(Row<'a>, f64, f64)>,
    /// Top of the "Tunnels by …" header.
    lanes_header: f64,
    height: f64,
}

fn lane_height(lane: &Lane) -> f64 {
    6.0 + f64::from(lane.rows.max(1)) * SUB_H
}

/// Top of sub-row `row` of a lane whose top is `top`.
fn sub_row_top(top: f64, row: u32) -> f64 {
    top + 3.0 + f64::from(row) * SUB_H
}

fn layout(props: &TimelineProps) -> Layout<'_> {
    let mut y = AXIS_H + HEADER_H;
    let mut rows = Vec::with_capacity(props.endpoints.len() + props.lanes.len());
    for e in props.endpoints.iter() {
        rows.push((Row::Endpoint(e), y, ROW_H));
        y += ROW_H;
    }
    let lanes_header = y;
    y += HEADER_H;
    for lane in props.lanes.iter() {
        let h = lane_height(lane);
        rows.push((Row::Lane(lane), y, h));
        y += h;
    }
    Layout { rows, lanes_header, height: y + 8.0 }
}

/// The row under `y`, and the lane's sub-row there.
fn row_at<'a>(layout: &Layout<'a>, y: f64) -> Option<(Row<'a>, u32)> {
    layout.rows.iter().find(|(_, top, h)| y >= *top && y < top + h).map(|&(row, top, _)| {
        let sub = match row {
            Row::Lane(lane) => (((y - top - 3.0) / SUB_H).floor().max(0.0) as u32).min(lane.rows.max(1) - 1),
            Row::Endpoint(_) => 0,
        };
        (row, sub)
    })
}

/// The label column's width for a container of `container_w` CSS pixels.
fn label_width(container_w: f64) -> f64 {
    (container_w * 0.3).clamp(110.0, 240.0)
}

/// The plot's width (right of the labels) for a container of `container_w` CSS pixels.
fn plot_width(container_w: f64) -> f64 {
    (container_w - label_width(container_w)).max(MIN_PLOT_W)
}

fn initial_scale(props: &TimelineProps, width: f64) -> Option<TimeScale> {
    let (a, b) = props.window.or(props.extent)?;
    let pad = ((b - a) as f64 * 0.02).max(1_000.0);
    Some(TimeScale::new(a as f64 - pad, b as f64 + pad, width))
}

/// The mark under the pointer in one sub-row: a start mark or cross within 4 px, else the
/// latest-starting bar covering x.
fn hit<'a>(lane: &'a Lane, sub_row: u32, scale: &TimeScale, x: f64) -> Option<&'a TunnelMark> {
    let marks = || lane.marks.iter().filter(move |m| m.row == sub_row);
    let dist = |m: &TunnelMark| (scale.x_of(m.start_ms as f64) - x).abs();
    let near = marks().filter(|m| dist(m) <= 4.0).min_by(|a, b| dist(a).total_cmp(&dist(b)));
    near.or_else(|| {
        marks()
            .filter(|m| !m.failed)
            .rev()
            .find(|m| scale.x_of(m.start_ms as f64) <= x && x <= scale.x_of(m.end_ms as f64))
    })
}

fn tooltip_for(mark: &TunnelMark, lane: &Lane, local: bool) -> String {
    let port = mark.port.map(|p| format!(" port {p}")).unwrap_or_default();
    if mark.failed {
        return format!(
            "{}{port}\nfailed attempt (never opened)\nat {}\nevent {}",
            visible(&lane.label),
            fmt_time(mark.start_ms, local),
            visible(&mark.event_id)
        );
    }
    let dur = fmt_duration(((mark.end_ms - mark.start_ms) / 1000).max(0) as u64);
    let assumed = if mark.assumed { ", max duration assumed" } else { "" };
    format!(
        "{}{port}\naccepted (not proof of a connection)\nstart {}\nlatest end {} ({dur}{assumed})\nevent {}",
        visible(&lane.label),
        fmt_time(mark.start_ms, local),
        fmt_time(mark.end_ms, local),
        visible(&mark.event_id)
    )
}

fn lane_tooltip(lane: &Lane) -> String {
    let mut s = visible(&lane.label).into_owned();
    if !lane.sublabel.is_empty() {
        s.push('\n');
        s.push_str(&visible(&lane.sublabel));
    }
    s.push_str(&format!("\n{} tunnels ({} failed)", lane.marks.len(), lane.n_failed));
    if lane.rows > 1 {
        s.push_str(&format!("\noverlapping tunnels stacked in {} rows", lane.rows));
    }
    if lane.n_overdrawn > 0 {
        s.push_str(&format!("\n{} drawn over others (more overlap than rows)", lane.n_overdrawn));
    }
    s
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

/// The browser's offset east of UTC, in minutes, at a UTC instant.
#[cfg(target_arch = "wasm32")]
fn local_offset_min(t_ms: i64) -> i32 {
    let d = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(t_ms as f64));
    -(d.get_timezone_offset().round() as i32)
}

#[cfg(not(target_arch = "wasm32"))]
fn local_offset_min(_t_ms: i64) -> i32 {
    0
}

fn utc_offset_min(_t_ms: i64) -> i32 {
    0
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

/// Width of `s` as the canvas draws it (a conservative estimate if it cannot say).
fn text_width(ctx: &CanvasRenderingContext2d, s: &str) -> f64 {
    ctx.measure_text(s).map(|m| m.width()).unwrap_or_else(|_| estimate_text_width(s, FONT_PX))
}

/// `s` shortened with an ellipsis to fit `max_w` pixels.
fn fit_text(ctx: &CanvasRenderingContext2d, s: &str, max_w: f64) -> String {
    if text_width(ctx, s) <= max_w {
        return s.to_owned();
    }
    let chars: Vec<char> = s.chars().collect();
    // The longest prefix that fits with the ellipsis (binary search).
    let (mut lo, mut hi) = (0usize, chars.len());
    while lo < hi {
        let mid = (lo + hi).div_ceil(2);
        let t: String = chars[..mid].iter().chain(std::iter::once(&'…')).collect();
        if text_width(ctx, &t) <= max_w { lo = mid } else { hi = mid - 1 }
    }
    chars[..lo].iter().chain(std::iter::once(&'…')).collect()
}

/// Where the plot is on the canvas.
#[derive(Clone, Copy)]
struct Plot {
    /// Left edge of the plot (the label column's width).
    left: f64,
    scale: TimeScale,
}

impl Plot {
    /// Canvas x of a time, held a little outside the plot (the plot is clipped anyway, and
    /// far-away times must not reach the canvas as huge numbers).
    fn x(&self, t_ms: f64) -> f64 {
        self.left + self.scale.x_of(t_ms).clamp(-10.0, self.scale.width_px + 10.0)
    }
}

/// Draws one lane's tunnels with a few batched paths: bars, hatched bars, start marks, crosses,
/// each in its sub-row. Marks that fall on the same pixel of a sub-row as the previous are
/// drawn once.
fn draw_lane(
    ctx: &CanvasRenderingContext2d,
    lane: &Lane,
    plot: &Plot,
    top: f64,
    p: &Palette,
    selected: Option<&str>,
    hatch: Option<&web_sys::CanvasPattern>,
) {
    let (lo, hi) = (plot.scale.start_ms, plot.scale.end_ms);
    let n_rows = lane.rows.max(1) as usize;
    // Per sub-row: the last bar (to merge overlapping bars) and the last start / cross pixel.
    let mut bars: Vec<(f64, f64, f64)> = Vec::new();
    let mut hatched: Vec<(f64, f64, f64)> = Vec::new();
    let mut starts: Vec<(f64, f64)> = Vec::new();
    let mut crosses: Vec<(f64, f64)> = Vec::new();
    let mut last_bar: Vec<Option<(usize, bool)>> = vec![None; n_rows];
    let mut last_start = vec![f64::NAN; n_rows];
    let mut selected_box = None;
    for m in &lane.marks {
        if (m.end_ms as f64) < lo || (m.start_ms as f64) > hi {
            continue;
        }
        let r = (m.row as usize).min(n_rows - 1);
        let y = sub_row_top(top, r as u32);
        let x0 = plot.x(m.start_ms as f64).round();
        if m.failed {
            if x0 != last_start[r] {
                crosses.push((x0, y));
                last_start[r] = x0;
            }
            if selected == Some(m.event_id.as_str()) {
                selected_box = Some((x0 - 5.0, x0 + 5.0, y));
            }
            continue;
        }
        let x1 = plot.x(m.end_ms as f64).round().max(x0 + 1.0);
        if selected == Some(m.event_id.as_str()) {
            selected_box = Some((x0 - 3.0, x1 + 3.0, y));
        }
        // Overlapping bars of a sub-row (only overdrawn marks, or ones sharing pixels) merge.
        let list = if m.assumed { &mut hatched } else { &mut bars };
        match last_bar[r] {
            Some((i, a)) if a == m.assumed && x0 <= list[i].1 => list[i].1 = list[i].1.max(x1),
            _ => {
                list.push((x0, x1, y));
                last_bar[r] = Some((list.len() - 1, m.assumed));
            }
        }
        if x0 != last_start[r] {
            starts.push((x0, y));
            last_start[r] = x0;
        }
    }
    ctx.set_fill_style_str(p.bar);
    ctx.begin_path();
    for (a, b, y) in bars.iter().chain(&hatched) {
        ctx.rect(*a, y + 2.0, b - a, SUB_H - 4.0);
    }
    ctx.fill();
    if let Some(pattern) = hatch {
        ctx.set_fill_style_canvas_pattern(pattern);
        ctx.begin_path();
        for (a, b, y) in &hatched {
            ctx.rect(*a, y + 2.0, b - a, SUB_H - 4.0);
        }
        ctx.fill();
    }
    ctx.set_fill_style_str(p.accent);
    ctx.begin_path();
    for (x, y) in &starts {
        ctx.rect(x - 1.0, *y, 3.0, SUB_H);
    }
    ctx.fill();
    ctx.set_stroke_style_str(p.bad);
    ctx.set_line_width(1.5);
    ctx.begin_path();
    for (x, y) in &crosses {
        ctx.move_to(x - 4.0, y + 2.0);
        ctx.line_to(x + 4.0, y + SUB_H - 2.0);
        ctx.move_to(x + 4.0, y + 2.0);
        ctx.line_to(x - 4.0, y + SUB_H - 2.0);
    }
    ctx.stroke();
    ctx.set_line_width(1.0);
    if let Some((x0, x1, y)) = selected_box {
        ctx.set_stroke_style_str(p.fg);
        ctx.stroke_rect(x0, y - 1.0, x1 - x0, SUB_H + 2.0);
    }
}

fn draw_endpoint(ctx: &CanvasRenderingContext2d, e: &EndpointLife, plot: &Plot, y: f64, p: &Palette) {
    let (lo, hi) = (plot.scale.start_ms, plot.scale.end_ms);
    let start = e.create_ms.map(|t| t as f64).unwrap_or(lo.min(e.first_seen_ms as f64));
    let end = e.delete_ms.map(|t| t as f64).unwrap_or(hi.max(e.last_seen_ms as f64));
    let (x0, x1) = (plot.x(start), plot.x(end));
    ctx.set_fill_style_str(p.life);
    ctx.fill_rect(x0, y + 5.0, (x1 - x0).max(1.0), ROW_H - 10.0);
    ctx.set_fill_style_str(p.fg);
    match e.create_ms {
        Some(t) => ctx.fill_rect(plot.x(t as f64) - 1.0, y + 2.0, 3.0, ROW_H - 4.0),
        None => {
            // Created before the data starts: the bar runs in from the left.
            let _ = ctx.fill_text("…", x0.max(plot.left) + 2.0, y + 14.0);
        }
    }
    if let Some(t) = e.delete_ms {
        ctx.fill_rect(plot.x(t as f64) - 1.0, y + 2.0, 3.0, ROW_H - 4.0);
    }
    ctx.set_fill_style_str(p.accent);
    for &t in &e.modify_ms {
        let _ = ctx.fill_text("M", plot.x(t as f64) - 4.0, y + 14.0);
    }
    ctx.set_fill_style_str(p.muted);
    for &t in &e.describe_ms {
        ctx.fill_rect(plot.x(t as f64), y + ROW_H - 6.0, 1.0, 5.0);
    }
}

/// The canvas's size: the container's width in CSS pixels, and the device pixel ratio.
#[derive(Clone, Copy, PartialEq, Debug)]
struct Size {
    container_w: f64,
    dpr: f64,
}

fn draw(canvas: &HtmlCanvasElement, props: &TimelineProps, scale: &TimeScale, size: Size) {
    let Ok(Some(ctx)) = canvas.get_context("2d") else { return };
    let Ok(ctx) = ctx.dyn_into::<CanvasRenderingContext2d>() else { return };
    let dpr = if size.dpr.is_finite() && size.dpr > 0.0 { size.dpr } else { 1.0 };
    let layout = layout(props);
    let height = layout.height;
    let label_w = label_width(size.container_w);
    let plot = Plot { left: label_w, scale: *scale };
    let width = label_w + scale.width_px;
    let (w_px, h_px) = ((width * dpr).round() as u32, (height * dpr).round() as u32);
    // Resizing clears and reallocates the canvas: only do it when the size changes. The CSS
    // size goes through the CSSOM (the CSP refuses `style=` attributes).
    if canvas.width() != w_px || canvas.height() != h_px {
        canvas.set_width(w_px);
        canvas.set_height(h_px);
        let style = canvas.style();
        let _ = style.set_property("width", &format!("{width}px"));
        let _ = style.set_property("height", &format!("{height}px"));
    }
    let _ = ctx.set_transform(dpr, 0.0, 0.0, dpr, 0.0, 0.0);
    let p = palette(props.dark);
    ctx.clear_rect(0.0, 0.0, width, height);
    ctx.set_font(FONT);
    ctx.set_line_width(1.0);

    // Everything time-based is drawn inside the plot only.
    ctx.save();
    ctx.begin_path();
    ctx.rect(label_w, 0.0, scale.width_px, height);
    ctx.clip();
    let zone: &dyn Fn(i64) -> i32 = if props.local_time { &local_offset_min } else { &utc_offset_min };
    let axis: Axis = axis(scale, zone, &|s| text_width(&ctx, s));
    ctx.set_stroke_style_str(p.line);
    ctx.begin_path();
    for &t in &axis.ticks {
        let x = (label_w + scale.x_of(t as f64)).round() + 0.5;
        ctx.move_to(x, 2.0);
        ctx.line_to(x, height);
    }
    ctx.stroke();
    ctx.set_fill_style_str(p.muted);
    for l in &axis.labels {
        let _ = ctx.fill_text(&l.text, label_w + l.x, 14.0);
    }
    ctx.set_fill_style_str(p.fg);
    for l in &axis.context {
        let _ = ctx.fill_text(&l.text, label_w + l.x, 29.0);
    }
    let hatch = hatch_pattern(&ctx, p.accent);
    for &(row, top, _) in &layout.rows {
        match row {
            Row::Endpoint(e) => draw_endpoint(&ctx, e, &plot, top, &p),
            Row::Lane(lane) => draw_lane(&ctx, lane, &plot, top, &p, props.selected.as_deref(), hatch.as_ref()),
        }
    }
    ctx.restore();

    // Row separators across the whole width.
    ctx.set_stroke_style_str(p.line);
    ctx.begin_path();
    ctx.move_to(0.0, AXIS_H - 0.5);
    ctx.line_to(width, AXIS_H - 0.5);
    for &(_, top, h) in &layout.rows {
        ctx.move_to(0.0, (top + h).round() - 0.5);
        ctx.line_to(width, (top + h).round() - 0.5);
    }
    ctx.move_to(label_w - 0.5, 0.0);
    ctx.line_to(label_w - 0.5, height);
    ctx.stroke();

    // The label column, clipped to itself.
    ctx.save();
    ctx.begin_path();
    ctx.rect(0.0, 0.0, label_w - 4.0, height);
    ctx.clip();
    let text_w = label_w - 10.0;
    ctx.set_fill_style_str(p.muted);
    let _ = ctx.fill_text(if props.local_time { "local time" } else { "UTC" }, 4.0, 14.0);
    ctx.set_fill_style_str(p.fg);
    let _ = ctx.fill_text(&fit_text(&ctx, "Endpoints (create → delete)", text_w), 4.0, AXIS_H + 13.0);
    let lane_header = format!("Tunnels by {}", props.grouping.as_str());
    let _ = ctx.fill_text(&fit_text(&ctx, &lane_header, text_w), 4.0, layout.lanes_header + 13.0);
    for &(row, top, _) in &layout.rows {
        let label = match row {
            Row::Endpoint(e) => visible(&e.endpoint_id).into_owned(),
            Row::Lane(lane) if lane.sublabel.is_empty() => visible(&lane.label).into_owned(),
            Row::Lane(lane) => format!("{} · {}", visible(&lane.label), visible(&lane.sublabel)),
        };
        let _ = ctx.fill_text(&fit_text(&ctx, &label, text_w), 4.0, top + 14.0);
    }
    ctx.restore();
}

struct Drag {
    start_x: f64,
    last_x: f64,
    moved: bool,
}

/// Places the tooltip near the pointer (`client` coordinates) and inside the viewport, through
/// the CSSOM: the page's CSP (`style-src 'self'`) refuses `style=` attributes.
fn place_tooltip(el: &HtmlElement, client_x: f64, client_y: f64) {
    let (vw, vh) = web_sys::window()
        .map(|w| {
            let f = |v: Result<wasm_bindgen::JsValue, wasm_bindgen::JsValue>| v.ok().and_then(|v| v.as_f64());
            (f(w.inner_width()).unwrap_or(1024.0), f(w.inner_height()).unwrap_or(768.0))
        })
        .unwrap_or((1024.0, 768.0));
    let (w, h) = (f64::from(el.offset_width()), f64::from(el.offset_height()));
    let (left, top) = tooltip_position(client_x, client_y, w, h, vw, vh);
    let style = el.style();
    let _ = style.set_property("left", &format!("{left}px"));
    let _ = style.set_property("top", &format!("{top}px"));
    let _ = style.set_property("visibility", "visible");
}

/// Where a `w`×`h` tooltip goes for a pointer at (x, y) in a `vw`×`vh` viewport: below right
/// of the pointer, flipped to the other side where it would leave the viewport, and never
/// past its edges (4 px margin).
fn tooltip_position(x: f64, y: f64, w: f64, h: f64, vw: f64, vh: f64) -> (f64, f64) {
    const OFF: f64 = 14.0;
    const MARGIN: f64 = 4.0;
    let place = |p: f64, size: f64, view: f64| {
        let after = p + OFF;
        let at = if after + size <= view - MARGIN { after } else { p - OFF - size };
        at.min(view - MARGIN - size).max(MARGIN)
    };
    (place(x, w, vw).round(), place(y, h, vh).round())
}

/// What resets the zoom: the loaded range and the brushed window.
type RangeKey = (Option<(i64, i64)>, Option<(i64, i64)>);

/// The timeline.
#[function_component(Timeline)]
pub fn timeline(props: &TimelineProps) -> Html {
    let canvas_ref = use_node_ref();
    let scroll_ref = use_node_ref();
    let tooltip_ref = use_node_ref();
    let scale: UseStateHandle<Option<TimeScale>> = use_state(|| None);
    let drag: Rc<RefCell<Option<Drag>>> = use_mut_ref(|| None);
    // (client x, client y, text)
    let tooltip: UseStateHandle<Option<(f64, f64, String)>> = use_state_eq(|| None);
    let dpr = web_sys::window().map(|w| w.device_pixel_ratio()).unwrap_or(1.0);
    let size = use_element_width(scroll_ref.clone()).map(|container_w| Size { container_w, dpr });
    let plot_w = size.map(|s| plot_width(s.container_w));
    let label_w = size.map_or(240.0, |s| label_width(s.container_w));

    // A new range or window resets the zoom; a new width keeps the visible times.
    {
        let scale = scale.clone();
        let props_c = props.clone();
        let last: Rc<RefCell<Option<RangeKey>>> = use_mut_ref(|| None);
        use_effect_with((props.extent, props.window, plot_w.map(f64::to_bits)), move |_| {
            let Some(w) = plot_w else { return };
            let key = (props_c.extent, props_c.window);
            let same = last.borrow().as_ref() == Some(&key);
            *last.borrow_mut() = Some(key);
            match *scale {
                Some(s) if same => scale.set(Some(TimeScale::new(s.start_ms, s.end_ms, w))),
                _ => scale.set(initial_scale(&props_c, w)),
            }
        });
    }
    // Draw whenever the data, the zoom, the size or the look changes.
    {
        let canvas_ref = canvas_ref.clone();
        let props_c = props.clone();
        use_effect_with((props.clone(), *scale, size), move |(_, s, size)| {
            if let (Some(canvas), Some(s), Some(size)) = (canvas_ref.cast::<HtmlCanvasElement>(), s, size) {
                draw(&canvas, &props_c, s, *size);
            }
        });
    }
    // Place the tooltip once it is rendered (its size is known then).
    {
        let tooltip_ref = tooltip_ref.clone();
        use_effect_with((*tooltip).clone(), move |t| {
            if let (Some(el), Some((x, y, _))) = (tooltip_ref.cast::<HtmlElement>(), t) {
                place_tooltip(&el, *x, *y);
            }
        });
    }

    let on_wheel = {
        let scale = scale.clone();
        let tooltip = tooltip.clone();
        Callback::from(move |e: WheelEvent| {
            let Some(s) = *scale else { return };
            e.prevent_default();
            // What was under the pointer moves away.
            tooltip.set(None);
            let x = f64::from(e.offset_x()) - label_w;
            if e.shift_key() || e.delta_x().abs() > e.delta_y().abs() {
                let d = if e.delta_x() != 0.0 { e.delta_x() } else { e.delta_y() };
                scale.set(Some(s.pan(d)));
            } else {
                scale.set(Some(s.zoom_at(x.clamp(0.0, s.width_px), 1.2f64.powf(e.delta_y() / 100.0))));
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
            let layout = layout(&props_c);
            let text = row_at(&layout, y).and_then(|(row, sub)| match row {
                Row::Lane(lane) if x < label_w => Some(lane_tooltip(lane)),
                Row::Lane(lane) => hit(lane, sub, &s, x - label_w).map(|m| tooltip_for(m, lane, props_c.local_time)),
                Row::Endpoint(ep) => Some(endpoint_tooltip(ep, props_c.local_time)),
            });
            tooltip.set(text.map(|t| (f64::from(e.client_x()), f64::from(e.client_y()), t)));
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
            let (x, y) = (f64::from(e.offset_x()) - label_w, f64::from(e.offset_y()));
            if x < 0.0 {
                return;
            }
            let layout = layout(&props_c);
            if let Some((Row::Lane(lane), sub)) = row_at(&layout, y) {
                if let Some(m) = hit(lane, sub, &s, x) {
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
        Callback::from(move |e: KeyboardEvent| {
            let Some(s) = *scale else { return };
            let width = s.width_px;
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
    // W/S/A/D and 0 anywhere on the page, as in Perfetto, not only once the canvas has the
    // focus: unless the key goes to a field, or something already handled it (the canvas's
    // own handler, the histogram's arrows).
    let on_page_key = {
        let on_key = on_key.clone();
        Callback::from(move |e: KeyboardEvent| {
            let to_field = e
                .target()
                .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
                .is_some_and(|el| matches!(el.tag_name().as_str(), "INPUT" | "SELECT" | "TEXTAREA"));
            if !(e.default_prevented() || e.ctrl_key() || e.meta_key() || e.alt_key() || to_field) {
                on_key.emit(e);
            }
        })
    };
    use_document_event("keydown", on_page_key);
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
        <section class="timeline" data-testid="tunnel-timeline" data-marks={n_marks.to_string()}
            data-span-ms={scale.map(|s| format!("{:.0}", s.end_ms - s.start_ms))}>
            <div class="timeline__bar">
                <h2>{"Timeline"}</h2>
                <label>{"lanes by "}
                    <select data-testid="timeline-grouping" onchange={on_group}>
                        {for [Grouping::Endpoint, Grouping::Target, Grouping::Principal, Grouping::SourceIp].into_iter().map(|g| html! {
                            <option value={g.as_str()} selected={g == props.grouping}>{g.as_str()}</option>
                        })}
                    </select>
                </label>
                <span class="timeline__hint">{"wheel or W/S zoom · drag or A/D pan · 0 resets · click selects · bars end at the latest possible end; hatched = max duration assumed; × = failed (never opened); overlapping tunnels stack"}</span>
            </div>
            if props.extent.is_none() {
                <p class="empty">{"Load data to see the timeline."}</p>
            }
            <div class="timeline__scroll" ref={scroll_ref}>
                <canvas ref={canvas_ref} class="timeline__canvas" tabindex="0" data-testid="timeline-canvas"
                    onwheel={on_wheel} onmousedown={on_down} onmousemove={on_move} onmouseup={on_up}
                    onmouseleave={on_leave} onkeydown={on_key} />
            </div>
            if let Some((_, _, text)) = &*tooltip {
                <div class="timeline__tooltip" data-testid="timeline-tooltip" role="tooltip" ref={tooltip_ref}>{text.clone()}</div>
            }
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mark(id: &str, start: i64, end: i64, row: u32, failed: bool) -> TunnelMark {
        TunnelMark { event_id: id.into(), start_ms: start, end_ms: end, row, failed, ..TunnelMark::default() }
    }

    fn lane(marks: Vec<TunnelMark>, rows: u32) -> Lane {
        Lane { key: "k".into(), label: "k".into(), marks, rows, ..Lane::default() }
    }

    #[test]
    fn lanes_grow_by_their_sub_rows_and_rows_are_found_by_y() {
        let lanes = Rc::new(vec![lane(vec![mark("a", 0, 100, 0, false)], 1), lane(vec![], 3), lane(vec![], 0)]);
        let props = TimelineProps {
            lanes,
            endpoints: Rc::new(vec![EndpointLife::default()]),
            extent: None,
            window: None,
            generation: 0,
            selected: None,
            local_time: false,
            dark: false,
            grouping: Grouping::Endpoint,
            on_grouping: Callback::noop(),
            on_select: Callback::noop(),
        };
        let l = layout(&props);
        let tops: Vec<(f64, f64)> = l.rows.iter().map(|&(_, t, h)| (t, h)).collect();
        // Axis, endpoints header, one endpoint, lanes header, then lanes of 1, 3 and 0 (= 1) rows.
        let first = AXIS_H + HEADER_H;
        let lanes_top = first + ROW_H + HEADER_H;
        assert_eq!(
            tops,
            [
                (first, ROW_H),
                (lanes_top, ROW_H),
                (lanes_top + ROW_H, 6.0 + 3.0 * SUB_H),
                (lanes_top + ROW_H + 6.0 + 3.0 * SUB_H, ROW_H)
            ]
        );
        assert_eq!(l.height, lanes_top + 2.0 * ROW_H + 6.0 + 3.0 * SUB_H + 8.0);
        // The middle sub-row of the 3-row lane, and nothing in the axis.
        let y = sub_row_top(lanes_top + ROW_H, 1) + 5.0;
        assert!(matches!(row_at(&l, y), Some((Row::Lane(_), 1))));
        assert!(row_at(&l, AXIS_H - 1.0).is_none());
        assert!(matches!(row_at(&l, first + 1.0), Some((Row::Endpoint(_), 0))));
    }

    #[test]
    fn hits_are_looked_for_in_the_pointed_sub_row_and_crosses_have_no_bar() {
        let s = TimeScale::new(0.0, 1000.0, 1000.0);
        let l = lane(
            vec![mark("long", 0, 900, 0, false), mark("denied", 300, 300, 1, true), mark("next", 500, 800, 1, false)],
            2,
        );
        assert_eq!(hit(&l, 0, &s, 400.0).map(|m| m.event_id.as_str()), Some("long"));
        assert_eq!(hit(&l, 1, &s, 302.0).map(|m| m.event_id.as_str()), Some("denied"));
        // Beside the cross: nothing (a failed attempt has no box), until the next bar.
        assert_eq!(hit(&l, 1, &s, 350.0), None);
        assert_eq!(hit(&l, 1, &s, 600.0).map(|m| m.event_id.as_str()), Some("next"));
        assert!(tooltip_for(&l.marks[1], &l, false).contains("never opened"));
        assert!(!tooltip_for(&l.marks[1], &l, false).contains("latest end"));
    }

    #[test]
    fn the_plot_takes_what_the_labels_leave() {
        assert_eq!((label_width(1400.0), plot_width(1400.0)), (240.0, 1160.0));
        // The detail panel open at 900 px leaves ~420 px: the labels shrink, the plot stays.
        assert_eq!((label_width(420.0), plot_width(420.0)), (126.0, 294.0));
        assert_eq!(plot_width(200.0), MIN_PLOT_W);
    }

    #[test]
    fn the_tooltip_stays_in_the_viewport() {
        // Room below right of the pointer.
        assert_eq!(tooltip_position(100.0, 100.0, 200.0, 80.0, 1000.0, 800.0), (114.0, 114.0));
        // Near the right and bottom edges it flips to the other side of the pointer.
        assert_eq!(tooltip_position(900.0, 780.0, 200.0, 80.0, 1000.0, 800.0), (686.0, 686.0));
        // Wider than the room on either side: held inside the edges.
        for (x, y) in [(0.0, 0.0), (200.0, 300.0), (399.0, 599.0), (-50.0, 900.0)] {
            let (l, t) = tooltip_position(x, y, 380.0, 590.0, 400.0, 600.0);
            assert!((4.0..=16.0).contains(&l) && l + 380.0 <= 396.0 + 1e-9, "{x},{y}: {l}");
            assert!((4.0..=6.0).contains(&t) && t + 590.0 <= 596.0 + 1e-9, "{x},{y}: {t}");
        }
    }
}
