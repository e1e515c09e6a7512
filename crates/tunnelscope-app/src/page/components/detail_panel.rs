//! DetailPanel: the selected event's key fields, its related events and its raw JSON.

use tunnelscope_core::views::EventDetail;
use yew::prelude::*;

use crate::page::components::event_table::filter_value;
use crate::page::fmt::{fmt_rfc3339, fmt_time, max_duration_text, visible};

/// Props of [`DetailPanel`].
#[derive(Properties, PartialEq)]
pub struct DetailPanelProps {
    /// The selected event's ID.
    pub selected: Option<String>,
    /// Its detail, once it arrived.
    pub detail: Option<std::rc::Rc<EventDetail>>,
    /// No loaded event has the selected ID.
    #[prop_or_default]
    pub missing: bool,
    /// Local time.
    pub local_time: bool,
    /// Called with an event ID to select.
    pub on_select: Callback<String>,
    /// Called with (key, value) to add a filter.
    pub on_filter: Callback<(String, String)>,
    /// Called to close the panel.
    pub on_close: Callback<()>,
}

fn field(name: &str, value: Html) -> Html {
    html! { <><dt>{name.to_owned()}</dt><dd>{value}</dd></> }
}

fn text(s: &str) -> Html {
    html! { {visible(s).into_owned()} }
}

/// The detail panel.
#[function_component(DetailPanel)]
pub fn detail_panel(props: &DetailPanelProps) -> Html {
    let Some(id) = &props.selected else { return html! {} };
    let on_close = props.on_close.reform(|_: MouseEvent| ());
    let Some(d) = &props.detail else {
        return html! {
            <aside class="detail-panel" data-testid="detail-panel" data-event-id={id.clone()}>
                <div class="detail-panel__bar">
                    <h2>{"Selected event"}</h2>
                    <button onclick={on_close} title="Esc">{"close"}</button>
                </div>
                if props.missing {
                    <p data-testid="detail-missing">{format!("No loaded event has the ID {}: the link was made for other files, or the file that holds it is not loaded.", visible(id))}</p>
                } else {
                    <p>{"Loading the event…"}</p>
                }
            </aside>
        };
    };
    let r = &d.row;
    let raw = d.raw_pretty.clone();
    let on_copy = Callback::from(move |_: MouseEvent| {
        if let Some(w) = web_sys::window() {
            // Clipboard writes stay in the browser; nothing is sent anywhere.
            let _ = w.navigator().clipboard().write_text(&raw);
        }
    });
    let f = &props.on_filter;
    let tunnel = d.tunnel.as_ref().map(|t| {
        html! {
            <>
                {field("endpoint", filter_value("endpoint", &t.endpoint_id, f))}
                {field("target", filter_value("target", &t.private_ip, f))}
                {field("port", html! { {t.port.map(|p| p.to_string()).unwrap_or_default()} })}
                {field("max duration", text(&max_duration_text(t.max_duration_secs, t.max_duration_assumed)))}
                {field("latest possible end", text(&fmt_rfc3339(&t.latest_end, props.local_time)))}
                {field("outcome", text(if t.outcome == "failed" { "failed" } else { "accepted (authorised; not proof a connection reached the instance)" }))}
                {field("instance", text(&format!("{} {} ({})", t.instance_id, if t.os_user.is_empty() { String::new() } else { format!("as {}", t.os_user) }, crate::page::fmt::pairing_label(t.pairing))))}
            </>
        }
    });
    let related = d.related.iter().map(|rel| {
        let rid = rel.row.event_id.clone();
        let on_click = props.on_select.reform(move |_: MouseEvent| rid.clone());
        html! {
            <li data-testid="related-event" data-event-id={rel.row.event_id.clone()}>
                <button type="button" class="link detail-panel__open" onclick={on_click}>
                    <span class="muted">{rel.relation.clone()}</span>{" "}
                    <span class="mono">{fmt_time(rel.row.time_ms, props.local_time)}</span>{" "}
                    {visible(&rel.row.event_name).into_owned()}{" · "}{visible(&rel.row.principal).into_owned()}
                </button>
            </li>
        }
    });
    html! {
        <aside class="detail-panel" data-testid="detail-panel" data-event-id={r.event_id.clone()}>
            <div class="detail-panel__bar">
                <h2>{visible(&r.event_name).into_owned()}</h2>
                <button onclick={on_close} title="Esc">{"close"}</button>
            </div>
            <dl class="detail-panel__fields">
                {field("time", text(&fmt_time(r.time_ms, props.local_time)))}
                {field("principal", filter_value("user", &r.principal, f))}
                {field("source IP", filter_value("ip", &r.source_ip, f))}
                {field("user agent", text(&r.user_agent))}
                {field("event source", text(&r.event_source))}
                {field("region / account", text(&format!("{} / {}", r.region, r.account)))}
                {field("error", text(&r.error_code))}
                {field("event ID", text(&r.event_id))}
                {for tunnel}
            </dl>
            if !d.related.is_empty() {
                <h3>{"Related events"}</h3>
                <ul class="detail-panel__related">{for related}</ul>
            }
            <div class="detail-panel__raw-bar"><h3>{"Raw record"}</h3><button data-testid="copy-raw" onclick={on_copy}>{"copy"}</button></div>
            <pre class="detail-panel__raw mono" data-testid="raw-json">{d.raw_pretty.clone()}</pre>
        </aside>
    }
}
