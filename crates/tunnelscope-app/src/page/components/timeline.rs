//! Timeline: endpoint lifetimes and tunnel swimlanes on a canvas (not one DOM node per
//! tunnel), with wheel/drag/WASD zoom and pan, hover tooltips and click selection.
//!
//! Lanes show sessions by default: a bar per session from its first tunnel's start to its
//! last's, faded on to the latest possible end, a tick per tunnel and a red cross per failed
//! attempt, overlapping sessions stacked in sub-rows (`SessionMark::row`). Zoomed in until a
//! session's tunnels are told apart (the rule: [`marks::view_mode`]) they open into tunnels,
//! drawn honestly: a solid mark at the start, a faded bar to the latest possible end (hatched
//! when the max duration was assumed); failed attempts, which never opened, are red crosses
//! with no bar. Tunnels that overlap in time are stacked in sub-rows of their lane (the core
//! packs them: `TunnelMark::row`). A strip under the axis marks the findings in the view. The
//! canvas follows its container's width (a `ResizeObserver`), and everything time-based is
//! clipped to the plot, right of the labels.

use std::cell::RefCell;
use std::rc::Rc;

use tunnelscope_core::views::insight::FindingMark;
use tunnelscope_core::views::{EndpointLife, Grouping, Lane, SessionMark, TunnelMark};
use wasm_bindgen::JsCast;
use web_sys::{HtmlCanvasElement, HtmlElement};
use yew::prelude::*;

use crate::page::fmt::{fmt_duration, fmt_time, visible};
use crate::page::hooks::{use_document_event, use_element_width};
use crate::page::time_scale::TimeScale;

mod draw;
mod marks;
use draw::{Size, draw};

use marks::{
    MAX_FINDING_ROWS, Mode, finding_tooltip, hit_finding, hit_session, lane_rows, pack_findings, shows_sessions,
    view_mode,
};

/// Height of an endpoint row, and of a lane with one sub-row.
const ROW_H: f64 = 20.0;
/// Each sub-row of a lane.
const SUB_H: f64 = 14.0;
/// The axis: tick labels on the first line, the larger unit (day, year) on the second.
const AXIS_H: f64 = 36.0;
const HEADER_H: f64 = 18.0;
/// Each sub-row of the findings strip under the axis (there only when the view has findings).
const FINDING_ROW_H: f64 = 6.0;
/// The findings strip is at least this high (its label's line).
const MIN_FINDINGS_H: f64 = 14.0;
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
    /// Findings in the view (the strip under the axis), most severe first.
    pub finding_marks: Rc<Vec<FindingMark>>,
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
    /// Called with the session ID of a clicked session bar.
    pub on_select_session: Callback<String>,
    /// Called with the finding ID of a clicked finding mark.
    pub on_select_finding: Callback<String>,
}

impl PartialEq for TimelineProps {
    fn eq(&self, other: &Self) -> bool {
        self.generation == other.generation
            && Rc::ptr_eq(&self.lanes, &other.lanes)
            && Rc::ptr_eq(&self.finding_marks, &other.finding_marks)
            && self.extent == other.extent
            && self.window == other.window
            && self.selected == other.selected
            && self.local_time == other.local_time
            && self.dark == other.dark
            && self.grouping == other.grouping
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
    /// What the lanes show.
    mode: Mode,
    /// The findings strip, when there is one.
    findings: Option<Strip>,
    /// Top of the "Endpoints" header.
    endpoints_header: f64,
    /// Top of the "Tunnels by …" header.
    lanes_header: f64,
    height: f64,
}

/// The findings strip: where it is, and the findings' sub-rows in it.
struct Strip {
    top: f64,
    height: f64,
    /// Each finding's sub-row (in the props' order), from [`pack_findings`].
    rows: Vec<u32>,
}

impl Strip {
    /// Top of sub-row `row`.
    fn row_top(&self, row: u32) -> f64 {
        self.top + 2.0 + f64::from(row) * FINDING_ROW_H
    }
}

fn lane_height(lane: &Lane, mode: Mode) -> f64 {
    6.0 + f64::from(lane_rows(lane, mode)) * SUB_H
}

/// Top of sub-row `row` of a lane whose top is `top`.
fn sub_row_top(top: f64, row: u32) -> f64 {
    top + 3.0 + f64::from(row) * SUB_H
}

fn layout(props: &TimelineProps, mode: Mode) -> Layout<'_> {
    let mut y = AXIS_H;
    let findings = (!props.finding_marks.is_empty()).then(|| {
        let (rows, n) = pack_findings(&props.finding_marks, MAX_FINDING_ROWS);
        Strip { top: y, height: (4.0 + f64::from(n) * FINDING_ROW_H).max(MIN_FINDINGS_H), rows }
    });
    y += findings.as_ref().map_or(0.0, |f| f.height);
    let endpoints_header = y;
    y += HEADER_H;
    let mut rows = Vec::with_capacity(props.endpoints.len() + props.lanes.len());
    for e in props.endpoints.iter() {
        rows.push((Row::Endpoint(e), y, ROW_H));
        y += ROW_H;
    }
    let lanes_header = y;
    y += HEADER_H;
    for lane in props.lanes.iter() {
        let h = lane_height(lane, mode);
        rows.push((Row::Lane(lane), y, h));
        y += h;
    }
    Layout { rows, mode, findings, endpoints_header, lanes_header, height: y + 8.0 }
}

/// The findings strip's sub-row under `y`, if `y` is on the strip.
fn on_findings<'l>(layout: &'l Layout<'_>, y: f64) -> Option<(&'l Strip, u32)> {
    let f = layout.findings.as_ref().filter(|f| y >= f.top && y < f.top + f.height)?;
    let n = f.rows.iter().max().map_or(1, |&r| r + 1);
    Some((f, (((y - f.top - 2.0) / FINDING_ROW_H).floor().max(0.0) as u32).min(n - 1)))
}

/// The row under `y`, and the lane's sub-row there.
fn row_at<'a>(layout: &Layout<'a>, y: f64) -> Option<(Row<'a>, u32)> {
    layout.rows.iter().find(|(_, top, h)| y >= *top && y < top + h).map(|&(row, top, _)| {
        let sub = match row {
            Row::Lane(lane) => {
                (((y - top - 3.0) / SUB_H).floor().max(0.0) as u32).min(lane_rows(lane, layout.mode) - 1)
            }
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

/// What a click or the pointer finds in a lane.
enum Hit<'a> {
    Session(&'a SessionMark),
    Tunnel(&'a TunnelMark),
}

/// The session bar (in session mode) or tunnel under plot x in sub-row `sub_row`.
fn hit_lane<'a>(lane: &'a Lane, sub_row: u32, scale: &TimeScale, x: f64, mode: Mode) -> Option<Hit<'a>> {
    if shows_sessions(lane, mode) {
        hit_session(lane, sub_row, scale, x).map(Hit::Session)
    } else {
        hit(lane, sub_row, scale, x).map(Hit::Tunnel)
    }
}

fn tooltip_for(mark: &TunnelMark, lane: &Lane, local: bool) -> String {
    let t = crate::page::i18n::texts();
    let port = mark.port.map(|p| (t.port_n)(&p.to_string())).unwrap_or_default();
    let label = format!("{}{port}", visible(&lane.label));
    if mark.failed {
        return (t.tip_failed)(&label, &fmt_time(mark.start_ms, local)) + &(t.event_n)(&visible(&mark.event_id));
    }
    let dur = fmt_duration(((mark.end_ms - mark.start_ms) / 1000).max(0) as u64);
    let end = format!("{} ({dur}", fmt_time(mark.end_ms, local));
    (t.tip_accepted)(&label, &fmt_time(mark.start_ms, local), &end, mark.assumed)
        + ")"
        + &(t.event_n)(&visible(&mark.event_id))
}

fn lane_tooltip(lane: &Lane) -> String {
    let mut s = visible(&lane.label).into_owned();
    if !lane.sublabel.is_empty() {
        s.push('\n');
        s.push_str(&visible(&(crate::page::i18n::texts().sublabel)(&lane.sublabel)));
    }
    let t = crate::page::i18n::texts();
    s.push_str(&(t.tip_lane)(lane.marks.len(), lane.n_failed as usize));
    if !lane.sessions.is_empty() {
        s.push('\n');
        s.push_str(&t.count(lane.sessions.len() as u64, t.n_sessions));
    }
    if lane.rows > 1 {
        s.push_str(&(t.tip_stacked)(lane.rows));
    }
    if lane.n_overdrawn > 0 {
        s.push_str(&(t.tip_overdrawn)(lane.n_overdrawn as usize));
    }
    s
}

fn endpoint_tooltip(e: &EndpointLife, local: bool) -> String {
    let t = crate::page::i18n::texts();
    let created = e
        .create_ms
        .map(|ms| (t.create_requested)(&fmt_time(ms, local)))
        .unwrap_or_else(|| t.created_before_short.into());
    let deleted =
        e.delete_ms.map(|ms| (t.delete_requested)(&fmt_time(ms, local))).unwrap_or_else(|| t.not_deleted_short.into());
    format!("{}\n{created}\n{deleted}{}", visible(&e.endpoint_id), (t.tunnels_failed)(e.n_tunnels, e.n_failed))
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
    let mode = {
        let key = (
            props.generation,
            Rc::as_ptr(&props.lanes) as usize,
            scale.map(|s| (s.start_ms.to_bits(), s.end_ms.to_bits(), s.width_px.to_bits())),
        );
        let lanes = props.lanes.clone();
        let s = *scale;
        *use_memo(key, move |_| s.map_or(Mode::Sessions, |s| view_mode(&lanes, &s)))
    };

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
                draw(&canvas, &props_c, s, *size, mode);
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
            let layout = layout(&props_c, mode);
            let text = if let Some((strip, sub)) = on_findings(&layout, y) {
                hit_finding(&props_c.finding_marks, &strip.rows, sub, &s, x - label_w).map(finding_tooltip)
            } else {
                row_at(&layout, y).and_then(|(row, sub)| match row {
                    Row::Lane(lane) if x < label_w => Some(lane_tooltip(lane)),
                    Row::Lane(lane) => hit_lane(lane, sub, &s, x - label_w, mode).map(|h| match h {
                        Hit::Session(m) => visible(&if m.said.span.is_empty() {
                            m.title.clone()
                        } else {
                            (crate::page::i18n::texts().tip_session)(&m.said)
                        })
                        .into_owned(),
                        Hit::Tunnel(m) => tooltip_for(m, lane, props_c.local_time),
                    }),
                    Row::Endpoint(ep) => Some(endpoint_tooltip(ep, props_c.local_time)),
                })
            };
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
            let layout = layout(&props_c, mode);
            if let Some((strip, sub)) = on_findings(&layout, y) {
                if let Some(f) = hit_finding(&props_c.finding_marks, &strip.rows, sub, &s, x) {
                    props_c.on_select_finding.emit(f.finding_id.clone());
                }
            } else if let Some((Row::Lane(lane), sub)) = row_at(&layout, y) {
                match hit_lane(lane, sub, &s, x, mode) {
                    Some(Hit::Session(m)) => props_c.on_select_session.emit(m.session_id.clone()),
                    Some(Hit::Tunnel(m)) => props_c.on_select.emit(m.event_id.clone()),
                    None => {}
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
    let tt = crate::page::i18n::use_texts();
    let n_marks: usize = props.lanes.iter().map(|l| l.marks.len()).sum();
    let n_sessions: usize = props.lanes.iter().map(|l| l.sessions.len()).sum();
    html! {
        <section class="timeline" data-testid="tunnel-timeline" data-marks={n_marks.to_string()}
            data-mode={mode.as_str()} data-sessions={n_sessions.to_string()}
            data-findings={props.finding_marks.len().to_string()}
            data-span-ms={scale.map(|s| format!("{:.0}", s.end_ms - s.start_ms))}>
            <div class="timeline__bar">
                <h2>{tt.timeline}</h2>
                <label>{tt.lanes_by}
                    <select data-testid="timeline-grouping" onchange={on_group}>
                        {for [Grouping::Endpoint, Grouping::Target, Grouping::Principal, Grouping::SourceIp].into_iter().map(|g| html! {
                            <option value={g.as_str()} selected={g == props.grouping}>{(tt.grouping)(g.as_str())}</option>
                        })}
                    </select>
                </label>
                <span class="timeline__hint">{tt.timeline_hint}</span>
            </div>
            if props.extent.is_none() {
                <p class="empty">{tt.timeline_empty}</p>
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
            finding_marks: Rc::new(Vec::new()),
            extent: None,
            window: None,
            generation: 0,
            selected: None,
            local_time: false,
            dark: false,
            grouping: Grouping::Endpoint,
            on_grouping: Callback::noop(),
            on_select: Callback::noop(),
            on_select_session: Callback::noop(),
            on_select_finding: Callback::noop(),
        };
        let l = layout(&props, Mode::Tunnels);
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

    fn props(lanes: Vec<Lane>, finding_marks: Vec<FindingMark>) -> TimelineProps {
        TimelineProps {
            lanes: Rc::new(lanes),
            endpoints: Rc::new(Vec::new()),
            finding_marks: Rc::new(finding_marks),
            extent: None,
            window: None,
            generation: 0,
            selected: None,
            local_time: false,
            dark: false,
            grouping: Grouping::Principal,
            on_grouping: Callback::noop(),
            on_select: Callback::noop(),
            on_select_session: Callback::noop(),
            on_select_finding: Callback::noop(),
        }
    }

    #[test]
    fn in_session_mode_lanes_grow_by_their_session_rows_under_the_findings_strip() {
        let session = |row| SessionMark { session_id: "s".into(), row, ..SessionMark::default() };
        let with_sessions = Lane { sessions: vec![session(0), session(1)], session_rows: 2, ..lane(vec![], 5) };
        // Three findings overlapping in time: three strip rows.
        let finding = |first_ms, last_ms| FindingMark { first_ms, last_ms, ..FindingMark::default() };
        let p = props(vec![with_sessions, lane(vec![], 3)], vec![finding(0, 100), finding(50, 60), finding(55, 55)]);
        let l = layout(&p, Mode::Sessions);
        let strip_h = 4.0 + 3.0 * FINDING_ROW_H;
        let lanes_top = AXIS_H + strip_h + HEADER_H + HEADER_H;
        let strip = l.findings.as_ref().unwrap();
        assert_eq!((strip.top, strip.height, strip.rows.as_slice()), (AXIS_H, strip_h, [0, 1, 2].as_slice()));
        assert_eq!((l.endpoints_header, l.lanes_header), (AXIS_H + strip_h, lanes_top - HEADER_H));
        let heights: Vec<(f64, f64)> = l.rows.iter().map(|&(_, t, h)| (t, h)).collect();
        // Two session rows; the lane without sessions keeps its three tunnel rows.
        let two = 6.0 + 2.0 * SUB_H;
        assert_eq!(heights, [(lanes_top, two), (lanes_top + two, 6.0 + 3.0 * SUB_H)]);
        assert_eq!(on_findings(&l, strip.row_top(1) + 1.0).map(|(_, r)| r), Some(1));
        assert_eq!(on_findings(&l, AXIS_H + strip_h - 0.5).map(|(_, r)| r), Some(2));
        assert!(on_findings(&l, AXIS_H + strip_h).is_none());
        // The pointer below the last session row stays in it.
        assert!(matches!(row_at(&l, lanes_top + two - 1.0), Some((Row::Lane(_), 1))));
        let t = layout(&p, Mode::Tunnels);
        assert_eq!(t.rows[0].2, 6.0 + 5.0 * SUB_H);
        assert!(matches!(row_at(&t, sub_row_top(lanes_top, 4) + 1.0), Some((Row::Lane(_), 4))));
        // No findings: no strip.
        assert!(layout(&props(vec![], vec![]), Mode::Sessions).findings.is_none());
        // One finding: the strip is as high as its label.
        let one = props(vec![], vec![finding(0, 0)]);
        let one = layout(&one, Mode::Sessions);
        assert_eq!(one.findings.map(|f| f.height), Some(MIN_FINDINGS_H));
    }

    #[test]
    fn session_bars_are_hit_in_session_mode_and_tunnels_otherwise() {
        let s = TimeScale::new(0.0, 1000.0, 1000.0);
        let mut l = lane(vec![mark("t0", 100, 400, 0, false), mark("t1", 300, 600, 1, false)], 2);
        l.marks.iter_mut().for_each(|m| m.session = 0);
        l.sessions = vec![SessionMark {
            session_id: "t0".into(),
            start_ms: 100,
            last_start_ms: 300,
            end_ms: 600,
            title: "alice → 10.0.2.40:22".into(),
            ..SessionMark::default()
        }];
        l.session_rows = 1;
        assert!(matches!(hit_lane(&l, 0, &s, 550.0, Mode::Sessions), Some(Hit::Session(m)) if m.session_id == "t0"));
        assert!(hit_lane(&l, 0, &s, 550.0, Mode::Tunnels).is_none());
        assert!(matches!(hit_lane(&l, 1, &s, 550.0, Mode::Tunnels), Some(Hit::Tunnel(m)) if m.event_id == "t1"));
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
