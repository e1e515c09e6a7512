//! DetailPanel: the selected event's key fields, its related events and its raw JSON.

use tunnelscope_core::views::EventDetail;
use yew::prelude::*;

use crate::page::components::event_table::filter_value;
use crate::page::fmt::{fmt_rfc3339, fmt_time, max_duration_in, visible};
use crate::page::i18n::use_texts;

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
    let tx = use_texts();
    let Some(id) = &props.selected else { return html! {} };
    let on_close = props.on_close.reform(|_: MouseEvent| ());
    let Some(d) = &props.detail else {
        return html! {
            <aside class="detail-panel" data-testid="detail-panel" data-event-id={id.clone()}>
                <div class="detail-panel__bar">
                    <h2>{tx.selected_event}</h2>
                    <button onclick={on_close} title="Esc">{tx.close}</button>
                </div>
                if props.missing {
                    <p data-testid="detail-missing">{(tx.detail_missing)(&visible(id))}</p>
                } else {
                    <p>{tx.loading_event}</p>
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
                {field(tx.endpoint, filter_value("endpoint", &t.endpoint_id, f))}
                {field(tx.target, filter_value("target", &t.private_ip, f))}
                {field(tx.port, html! { {t.port.map(|p| p.to_string()).unwrap_or_default()} })}
                {field(tx.max_duration, text(&max_duration_in(t.max_duration_secs, t.max_duration_assumed, tx)))}
                {field(tx.latest_possible_end, text(&fmt_rfc3339(&t.latest_end, props.local_time)))}
                {field(tx.outcome, text(if t.outcome == "failed" { tx.failed } else { tx.accepted_long }))}
                {field(tx.instance, text(&format!("{} ({})", if t.os_user.is_empty() { format!("{} ", t.instance_id) } else { (tx.as_user)(&t.instance_id, &t.os_user) }, crate::page::fmt::pairing_label(t.pairing, tx))))}
            </>
        }
    });
    let related = d.related.iter().map(|rel| {
        let rid = rel.row.event_id.clone();
        let on_click = props.on_select.reform(move |_: MouseEvent| rid.clone());
        html! {
            <li data-testid="related-event" data-event-id={rel.row.event_id.clone()}>
                <button type="button" class="link detail-panel__open" onclick={on_click}>
                    <span class="muted">{(tx.relation)(&rel.relation)}</span>{" "}
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
                <button onclick={on_close} title="Esc">{tx.close}</button>
            </div>
            <dl class="detail-panel__fields">
                {field((tx.time)(false).split(' ').next().unwrap_or_default(), text(&fmt_time(r.time_ms, props.local_time)))}
                {field(tx.principal, filter_value("user", &r.principal, f))}
                {field(tx.source_ip, filter_value("ip", &r.source_ip, f))}
                {field(tx.user_agent, text(&r.user_agent))}
                {field(tx.event_source, text(&r.event_source))}
                {field(tx.region_account, text(&format!("{} / {}", r.region, r.account)))}
                {field(tx.error, text(&r.error_code))}
                {field(tx.event_id, text(&r.event_id))}
                if !d.synthesized_from.is_empty() {
                    <dt>{tx.read_from}</dt>
                    <dd data-testid="detail-read-from" data-from={d.synthesized_from.clone()}>
                        {text(&(tx.read_from_value)(&d.synthesized_from, &d.lossy_fields))}
                    </dd>
                }
                {for tunnel}
            </dl>
            if !d.related.is_empty() {
                <h3>{tx.related_events}</h3>
                <ul class="detail-panel__related">{for related}</ul>
            }
            <div class="detail-panel__raw-bar"><h3>{tx.raw_record}</h3><button data-testid="copy-raw" onclick={on_copy}>{tx.copy}</button></div>
            <pre class="detail-panel__raw mono" data-testid="raw-json">{d.raw_pretty.clone()}</pre>
        </aside>
    }
}
