//! EventTable: every loaded event matching the view, virtualised (fixed-height rows; only the
//! visible ones are in the DOM), sortable by time, with an "EICE-related only" toggle.

use tunnelscope_core::views::{EventRow, SortOrder};
use wasm_bindgen::JsCast;
use web_sys::HtmlElement;
use yew::prelude::*;

use crate::fmt::{fmt_time, visible};
use crate::time_scale::visible_rows;

const ROW_PX: f64 = 24.0;
const VIEWPORT_PX: f64 = 432.0;

/// Props of [`EventTable`].
#[derive(Properties, PartialEq)]
pub struct EventTableProps {
    /// The loaded window of rows, starting at `offset`.
    pub rows: Vec<EventRow>,
    /// Matching rows in all.
    pub total: usize,
    /// Index of `rows[0]`.
    pub offset: usize,
    /// EICE-related only.
    pub eice_only: bool,
    /// Sort order.
    pub order: SortOrder,
    /// The selected event.
    pub selected: Option<String>,
    /// Local time.
    pub local_time: bool,
    /// Called with an event ID when a row is clicked.
    pub on_select: Callback<String>,
    /// Called when rows outside the loaded window become visible (with a new offset).
    pub on_need: Callback<usize>,
    /// Called when the EICE toggle changes.
    pub on_eice_only: Callback<bool>,
    /// Called when the order changes.
    pub on_order: Callback<SortOrder>,
    /// Called with (key, value) when a value is clicked, to add it as a filter.
    pub on_filter: Callback<(String, String)>,
}

/// A value that adds itself to the query when clicked.
pub fn filter_value(key: &'static str, value: &str, on_filter: &Callback<(String, String)>) -> Html {
    if value.is_empty() {
        return html! {};
    }
    let v = value.to_owned();
    let on_click = on_filter.reform(move |e: MouseEvent| {
        e.stop_propagation();
        (key.to_owned(), v.clone())
    });
    html! { <span class="filterable" title={format!("filter by {key}")} onclick={on_click}>{visible(value).into_owned()}</span> }
}

/// The event table.
#[function_component(EventTable)]
pub fn event_table(props: &EventTableProps) -> Html {
    let scroll_top = use_state(|| 0.0f64);
    let on_scroll = {
        let scroll_top = scroll_top.clone();
        Callback::from(move |e: Event| {
            if let Some(el) = e.target().and_then(|t| t.dyn_into::<HtmlElement>().ok()) {
                scroll_top.set(f64::from(el.scroll_top()));
            }
        })
    };
    let range = visible_rows(*scroll_top, VIEWPORT_PX, ROW_PX, props.total, 8);
    let loaded = props.offset..props.offset + props.rows.len();
    {
        // Ask for the window around what is visible when it is not loaded.
        let on_need = props.on_need.clone();
        let needed = !range.is_empty() && (range.start < loaded.start || range.end > loaded.end);
        let start = range.start.saturating_sub(100);
        use_effect_with((needed, start), move |(needed, start)| {
            if *needed {
                on_need.emit(*start);
            }
        });
    }
    let on_toggle = {
        let cb = props.on_eice_only.clone();
        let now = props.eice_only;
        Callback::from(move |_: Event| cb.emit(!now))
    };
    let on_sort = {
        let cb = props.on_order.clone();
        let next = if props.order == SortOrder::TimeAsc { SortOrder::TimeDesc } else { SortOrder::TimeAsc };
        Callback::from(move |_: MouseEvent| cb.emit(next))
    };
    let rows = range.clone().filter(|i| loaded.contains(i)).map(|i| {
        let r = &props.rows[i - props.offset];
        let id = r.event_id.clone();
        let on_click = props.on_select.reform(move |_: MouseEvent| id.clone());
        let selected = props.selected.as_deref() == Some(r.event_id.as_str());
        html! {
            <div class={classes!("event-table__row", selected.then_some("event-table__row--selected"), r.is_eice.then_some("event-table__row--eice"), (!r.error_code.is_empty()).then_some("event-table__row--error"))}
                role="row" data-testid="event-row" data-event-id={r.event_id.clone()}
                style={format!("top:{}px", i as f64 * ROW_PX)} onclick={on_click}>
                <span class="mono c-time">{fmt_time(r.time_ms, props.local_time)}</span>
                <span class="c-principal">{filter_value("user", &r.principal, &props.on_filter)}</span>
                <span class="c-name">{filter_value("event", &r.event_name, &props.on_filter)}</span>
                <span class="c-source">{visible(&r.event_source).into_owned()}</span>
                <span class="mono c-ip">{filter_value("ip", &r.source_ip, &props.on_filter)}</span>
                <span class="c-region">{filter_value("region", &r.region, &props.on_filter)}</span>
                <span class="c-error">{visible(&r.error_code).into_owned()}</span>
            </div>
        }
    });
    html! {
        <section class="event-table" data-testid="event-table">
            <div class="event-table__bar">
                <h2>{format!("Events ({})", props.total)}</h2>
                <label><input type="checkbox" data-testid="eice-only" checked={props.eice_only} onchange={on_toggle} />{" EICE-related only"}</label>
            </div>
            <div class="event-table__head" role="row">
                <span class="c-time"><button class="link" data-testid="sort-time" onclick={on_sort}>
                    {if props.order == SortOrder::TimeAsc { "time ▲" } else { "time ▼" }}</button></span>
                <span class="c-principal">{"principal"}</span><span class="c-name">{"event name"}</span>
                <span class="c-source">{"event source"}</span><span class="c-ip">{"source IP"}</span>
                <span class="c-region">{"region"}</span><span class="c-error">{"error"}</span>
            </div>
            <div class="event-table__viewport" role="table" onscroll={on_scroll} style={format!("height:{VIEWPORT_PX}px")}>
                <div class="event-table__spacer" style={format!("height:{}px", props.total as f64 * ROW_PX)}>
                    {for rows}
                </div>
            </div>
        </section>
    }
}
