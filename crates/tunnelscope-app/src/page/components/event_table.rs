//! EventTable: every loaded event matching the view, virtualised (fixed-height rows; only the
//! visible ones are in the DOM), sortable by time, with an "EICE-related only" toggle.

use tunnelscope_core::views::{EventRow, SortOrder};
use wasm_bindgen::JsCast;
use web_sys::HtmlElement;
use yew::prelude::*;

use crate::page::fmt::{fmt_time, visible};
use crate::page::hooks::use_css;
use crate::page::i18n::use_texts;
use crate::page::virtual_scroll;

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
}

/// A value that adds itself to the query when clicked: a button, so Tab reaches it and Enter
/// or Space presses it.
pub fn filter_value(key: &'static str, value: &str, on_filter: &Callback<(String, String)>) -> Html {
    if value.is_empty() {
        return html! {};
    }
    let v = value.to_owned();
    let on_click = on_filter.reform(move |e: MouseEvent| {
        e.stop_propagation();
        (key.to_owned(), v.clone())
    });
    html! { <button type="button" class="filterable" title={(crate::page::i18n::texts().filter_by)(key)} onclick={on_click}>{visible(value).into_owned()}</button> }
}

/// Opens a row from the keyboard (Enter or Space), as a click does.
pub fn on_row_key(on_select: &Callback<String>, id: &str) -> Callback<KeyboardEvent> {
    let id = id.to_owned();
    let on_select = on_select.clone();
    Callback::from(move |e: KeyboardEvent| {
        // Not from a control inside the row (a button presses itself). Yew delegates events
        // from its root, so `current_target` is not the row.
        let from_control = e
            .target()
            .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
            .is_some_and(|el| matches!(el.tag_name().as_str(), "BUTTON" | "INPUT" | "A" | "SELECT" | "TEXTAREA"));
        if matches!(e.key().as_str(), "Enter" | " ") && !from_control {
            e.prevent_default();
            on_select.emit(id.clone());
        }
    })
}

/// Moves the keyboard focus to the previous or next row of a list (ArrowUp / ArrowDown).
fn focus_sibling(e: &KeyboardEvent) {
    let Some(row) = e.target().and_then(|t| t.dyn_into::<web_sys::Element>().ok()) else { return };
    let next = match e.key().as_str() {
        "ArrowDown" => row.next_element_sibling(),
        "ArrowUp" => row.previous_element_sibling(),
        _ => return,
    };
    if let Some(el) = next.and_then(|n| n.dyn_into::<HtmlElement>().ok()) {
        e.prevent_default();
        let _ = el.focus();
    }
}

/// The event table.
#[function_component(EventTable)]
pub fn event_table(props: &EventTableProps) -> Html {
    let scroll_top = use_state(|| 0.0f64);
    let viewport = use_node_ref();
    let on_scroll = {
        let scroll_top = scroll_top.clone();
        Callback::from(move |e: Event| {
            if let Some(el) = e.target().and_then(|t| t.dyn_into::<HtmlElement>().ok()) {
                scroll_top.set(f64::from(el.scroll_top()));
            }
        })
    };
    // A new result starts at its top (the old position may be past its end).
    {
        let (scroll_top, viewport) = (scroll_top.clone(), viewport.clone());
        use_effect_with((props.total, props.eice_only, props.order), move |_| {
            if let Some(el) = viewport.cast::<HtmlElement>() {
                if f64::from(el.scroll_top()) > 0.0 {
                    el.set_scroll_top(0);
                    scroll_top.set(0.0);
                }
            }
        });
    }
    let layout = virtual_scroll::layout(*scroll_top, VIEWPORT_PX, ROW_PX, props.total, 8);
    let range = layout.rows.clone();
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
    // Sizes and offsets through the CSSOM: the CSP refuses `style=` attributes, and with them
    // the rows had no height to scroll and all sat at the top.
    let (spacer, block) = (use_node_ref(), use_node_ref());
    use_css(spacer.clone(), vec![("height", format!("{}px", layout.spacer_px))]);
    let first_loaded = range.clone().find(|i| loaded.contains(i)).unwrap_or(range.start);
    let block_top = layout.block_top_px + (first_loaded - range.start) as f64 * ROW_PX;
    use_css(block.clone(), vec![("transform", format!("translateY({block_top}px)"))]);
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
    let on_keys = {
        let (viewport, total) = (viewport.clone(), props.total);
        Callback::from(move |e: KeyboardEvent| {
            focus_sibling(&e);
            // Past the rendered rows, or by page: scroll, and the next render brings the rows.
            let Some(el) = viewport.cast::<HtmlElement>() else { return };
            let now = f64::from(el.scroll_top());
            let rows_per_page = (VIEWPORT_PX / ROW_PX).floor() as usize;
            let first = virtual_scroll::layout(now, VIEWPORT_PX, ROW_PX, total, 0).rows.start;
            let to = match e.key().as_str() {
                "PageDown" => Some(first + rows_per_page),
                "PageUp" => Some(first.saturating_sub(rows_per_page)),
                "Home" if e.ctrl_key() => Some(0),
                "End" if e.ctrl_key() => Some(total.saturating_sub(1)),
                _ => None,
            };
            if let Some(index) = to {
                e.prevent_default();
                el.set_scroll_top(virtual_scroll::scroll_for_row(index, VIEWPORT_PX, ROW_PX, total).round() as i32);
            }
        })
    };
    let t = use_texts();
    let rows = range.clone().filter(|i| loaded.contains(i)).map(|i| {
        let r = &props.rows[i - props.offset];
        let id = r.event_id.clone();
        let on_click = props.on_select.reform(move |_: MouseEvent| id.clone());
        let selected = props.selected.as_deref() == Some(r.event_id.as_str());
        html! {
            <div class={classes!("event-table__row", selected.then_some("event-table__row--selected"), r.is_eice.then_some("event-table__row--eice"), (!r.error_code.is_empty()).then_some("event-table__row--error"))}
                key={r.event_id.clone()} role="row" tabindex="0" aria-rowindex={(i + 1).to_string()} aria-selected={selected.to_string()}
                data-testid="event-row" data-event-id={r.event_id.clone()} onclick={on_click}
                onkeydown={on_row_key(&props.on_select, &r.event_id)}>
                <span class="mono c-time">{fmt_time(r.time_ms, props.local_time)}</span>
                <span class="c-principal" title={r.principal.clone()}>{visible(&r.principal).into_owned()}</span>
                <span class="c-name">{visible(&r.event_name).into_owned()}</span>
                <span class="c-source">{visible(&r.event_source).into_owned()}</span>
                <span class="mono c-ip">{visible(&r.source_ip).into_owned()}</span>
                <span class="c-region">{visible(&r.region).into_owned()}</span>
                <span class="c-error">{visible(&r.error_code).into_owned()}</span>
            </div>
        }
    });
    html! {
        <section class="event-table" data-testid="event-table">
            <div class="event-table__bar">
                <h2>{(t.events_title)(&t.num(props.total as u64))}</h2>
                <label><input type="checkbox" data-testid="eice-only" checked={props.eice_only} onchange={on_toggle} />{t.eice_only}</label>
            </div>
            <div class="event-table__scroll">
                <div class="event-table__head" role="row">
                    <span class="c-time"><button class="link" data-testid="sort-time" onclick={on_sort}>
                        {format!("{} {}", (t.time)(props.local_time), if props.order == SortOrder::TimeAsc { "▲" } else { "▼" })}</button></span>
                    <span class="c-principal" title={t.principal}>{t.principal}</span><span class="c-name" title={t.event_name}>{t.event_name}</span>
                    <span class="c-source" title={t.event_source}>{t.event_source}</span><span class="c-ip">{t.source_ip}</span>
                    <span class="c-region">{t.region}</span><span class="c-error">{t.error}</span>
                </div>
                <div class="event-table__viewport" role="table" aria-rowcount={props.total.to_string()}
                    ref={viewport} onscroll={on_scroll} onkeydown={on_keys} data-testid="event-viewport">
                    <div class="event-table__spacer" ref={spacer}>
                        <div class="event-table__block" ref={block}>{for rows}</div>
                    </div>
                </div>
            </div>
        </section>
    }
}
