//! Drawing the timeline on its canvas: the palette, the axis, the findings strip, the endpoint
//! rows and the lanes' sessions or tunnels (a few batched paths per lane), labels fitted to
//! their column.

use tunnelscope_core::views::insight::FindingMark;
use tunnelscope_core::views::{EndpointLife, Lane, NO_SESSION};
use wasm_bindgen::JsCast;
use web_sys::{CanvasRenderingContext2d, HtmlCanvasElement};

use super::Strip;
use super::marks::{Mode, drawing_order, finding_xs, session_in_view, session_xs, severity_rank, shows_sessions};
use super::{AXIS_H, FINDING_ROW_H, FONT, FONT_PX, ROW_H, Row, SUB_H, TimelineProps, label_width, layout, sub_row_top};
use crate::page::fmt::visible;
use crate::page::time_scale::{Axis, TimeScale, axis, estimate_text_width};

struct Palette {
    fg: &'static str,
    muted: &'static str,
    line: &'static str,
    accent: &'static str,
    bar: &'static str,
    bad: &'static str,
    life: &'static str,
    /// A session bar up to its last tunnel's start (its faded rest is `bar`).
    session: &'static str,
    /// A session bar whose every attempt failed.
    bad_bar: &'static str,
    /// Finding marks by severity: high, medium, low, info.
    severity: [&'static str; 4],
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
            session: "rgba(56,189,248,0.55)",
            bad_bar: "rgba(248,113,113,0.3)",
            severity: ["#f87171", "#fb923c", "#facc15", "#93a3b8"],
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
            session: "rgba(3,105,161,0.5)",
            bad_bar: "rgba(185,28,28,0.22)",
            severity: ["#dc2626", "#ea580c", "#ca8a04", "#64748b"],
        }
    }
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
    stroke_crosses(ctx, &crosses, p);
    if let Some((x0, x1, y)) = selected_box {
        ctx.set_stroke_style_str(p.fg);
        ctx.stroke_rect(x0, y - 1.0, x1 - x0, SUB_H + 2.0);
    }
}

/// Draws one lane's sessions with a few batched paths: each bar solid up to its last tunnel's
/// start and faded on to its latest possible end (faded red when every attempt failed), a tick
/// per tunnel and a cross per failed attempt, in the session's sub-row. Ticks and crosses that
/// fall on the same pixel of a sub-row as the previous are drawn once.
fn draw_sessions(
    ctx: &CanvasRenderingContext2d,
    lane: &Lane,
    plot: &Plot,
    top: f64,
    p: &Palette,
    selected: Option<&str>,
) {
    let n_rows = lane.session_rows.max(1);
    let y_of = |row: u32| sub_row_top(top, row.min(n_rows - 1));
    let at = |x: f64| plot.left + x.clamp(-10.0, plot.scale.width_px + 10.0);
    let selected_session = selected.and_then(|id| lane.marks.iter().find(|m| m.event_id == id)).map(|m| m.session);
    let mut sure: Vec<(f64, f64, f64)> = Vec::new();
    let mut failed: Vec<(f64, f64, f64)> = Vec::new();
    let mut maybe: Vec<(f64, f64, f64)> = Vec::new();
    let mut selected_box = None;
    for (k, s) in lane.sessions.iter().enumerate() {
        if !session_in_view(s, &plot.scale) {
            continue;
        }
        let (a, b, c) = session_xs(s, &plot.scale);
        let (x0, x1, x2) = (at(a).round(), at(b).round(), at(c).round());
        let y = y_of(s.row);
        let x1 = x1.max(x0 + 1.0);
        if s.tunnels > 0 && s.failed >= s.tunnels {
            failed.push((x0, x1, y));
        } else {
            sure.push((x0, x1, y));
        }
        if x2 > x1 {
            maybe.push((x1, x2, y));
        }
        if selected_session == Some(k as u32) {
            selected_box = Some((x0 - 5.0, x2.max(x1) + 5.0, y));
        }
    }
    let mut ticks: Vec<(f64, f64)> = Vec::new();
    let mut crosses: Vec<(f64, f64)> = Vec::new();
    let mut last = vec![f64::NAN; n_rows as usize];
    let (lo, hi) = (plot.scale.start_ms, plot.scale.end_ms);
    for m in &lane.marks {
        let t = m.start_ms as f64;
        let Some(s) = lane.sessions.get(m.session as usize).filter(|_| m.session != NO_SESSION) else { continue };
        if t < lo || t > hi {
            continue;
        }
        let r = s.row.min(n_rows - 1);
        let x = plot.x(t).round();
        if x == last[r as usize] {
            continue;
        }
        last[r as usize] = x;
        if m.failed { crosses.push((x, y_of(r))) } else { ticks.push((x, y_of(r))) }
    }
    for (list, color) in [(&maybe, p.bar), (&sure, p.session), (&failed, p.bad_bar)] {
        ctx.set_fill_style_str(color);
        ctx.begin_path();
        for (a, b, y) in list {
            ctx.rect(*a, y + 3.0, b - a, SUB_H - 6.0);
        }
        ctx.fill();
    }
    ctx.set_fill_style_str(p.accent);
    ctx.begin_path();
    for (x, y) in &ticks {
        ctx.rect(*x, y + 1.0, 1.5, SUB_H - 2.0);
    }
    ctx.fill();
    stroke_crosses(ctx, &crosses, p);
    if let Some((x0, x1, y)) = selected_box {
        ctx.set_stroke_style_str(p.fg);
        ctx.stroke_rect(x0, y - 1.0, x1 - x0, SUB_H + 2.0);
    }
}

/// Red crosses (failed attempts) at each (x, sub-row top).
fn stroke_crosses(ctx: &CanvasRenderingContext2d, crosses: &[(f64, f64)], p: &Palette) {
    ctx.set_stroke_style_str(p.bad);
    ctx.set_line_width(1.5);
    ctx.begin_path();
    for (x, y) in crosses {
        ctx.move_to(x - 4.0, y + 2.0);
        ctx.line_to(x + 4.0, y + SUB_H - 2.0);
        ctx.move_to(x + 4.0, y + 2.0);
        ctx.line_to(x - 4.0, y + SUB_H - 2.0);
    }
    ctx.stroke();
    ctx.set_line_width(1.0);
}

/// The findings strip: a short bar per finding over its time in its sub-row, coloured by
/// severity, the most severe on top.
fn draw_findings(ctx: &CanvasRenderingContext2d, marks: &[FindingMark], plot: &Plot, strip: &Strip, p: &Palette) {
    let (lo, hi) = (plot.scale.start_ms, plot.scale.end_ms);
    for (f, row) in drawing_order(marks, &strip.rows) {
        if (f.last_ms as f64) < lo || (f.first_ms as f64) > hi {
            continue;
        }
        let (a, b) = finding_xs(f, &plot.scale);
        let (x0, x1) = (plot.left + a.max(-10.0), plot.left + b.min(plot.scale.width_px + 10.0));
        ctx.set_fill_style_str(p.severity[severity_rank(f.severity)]);
        ctx.fill_rect(x0, strip.row_top(row) + 1.0, (x1 - x0).max(1.0), FINDING_ROW_H - 2.0);
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
pub(super) struct Size {
    pub(super) container_w: f64,
    pub(super) dpr: f64,
}

pub(super) fn draw(canvas: &HtmlCanvasElement, props: &TimelineProps, scale: &TimeScale, size: Size, mode: Mode) {
    let Ok(Some(ctx)) = canvas.get_context("2d") else { return };
    let Ok(ctx) = ctx.dyn_into::<CanvasRenderingContext2d>() else { return };
    let dpr = if size.dpr.is_finite() && size.dpr > 0.0 { size.dpr } else { 1.0 };
    let layout = layout(props, mode);
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
    if let Some(strip) = &layout.findings {
        draw_findings(&ctx, &props.finding_marks, &plot, strip, &p);
    }
    let selected = props.selected.as_deref();
    for &(row, top, _) in &layout.rows {
        match row {
            Row::Endpoint(e) => draw_endpoint(&ctx, e, &plot, top, &p),
            Row::Lane(lane) if shows_sessions(lane, mode) => draw_sessions(&ctx, lane, &plot, top, &p, selected),
            Row::Lane(lane) => draw_lane(&ctx, lane, &plot, top, &p, selected, hatch.as_ref()),
        }
    }
    ctx.restore();

    // Row separators across the whole width.
    ctx.set_stroke_style_str(p.line);
    ctx.begin_path();
    ctx.move_to(0.0, AXIS_H - 0.5);
    ctx.line_to(width, AXIS_H - 0.5);
    if let Some(f) = &layout.findings {
        ctx.move_to(0.0, (f.top + f.height).round() - 0.5);
        ctx.line_to(width, (f.top + f.height).round() - 0.5);
    }
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
    let tx = crate::page::i18n::texts();
    let _ = ctx.fill_text(if props.local_time { tx.local_time } else { tx.utc }, 4.0, 14.0);
    ctx.set_fill_style_str(p.fg);
    if let Some(f) = &layout.findings {
        let _ = ctx.fill_text(&fit_text(&ctx, tx.canvas_findings, text_w), 4.0, f.top + 11.0);
    }
    let _ = ctx.fill_text(&fit_text(&ctx, tx.canvas_endpoints, text_w), 4.0, layout.endpoints_header + 13.0);
    let lane_header = match mode {
        Mode::Sessions => (tx.sessions_by)((tx.grouping)(props.grouping.as_str())),
        Mode::Tunnels => (tx.tunnels_by)((tx.grouping)(props.grouping.as_str())),
    };
    let _ = ctx.fill_text(&fit_text(&ctx, &lane_header, text_w), 4.0, layout.lanes_header + 13.0);
    for &(row, top, _) in &layout.rows {
        let label = match row {
            Row::Endpoint(e) => visible(&e.endpoint_id).into_owned(),
            Row::Lane(lane) if lane.sublabel.is_empty() => visible(&lane.label).into_owned(),
            Row::Lane(lane) => format!("{} · {}", visible(&lane.label), visible(&(tx.sublabel)(&lane.sublabel))),
        };
        let _ = ctx.fill_text(&fit_text(&ctx, &label, text_w), 4.0, top + 14.0);
    }
    ctx.restore();
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
