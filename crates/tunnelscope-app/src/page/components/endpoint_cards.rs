//! EndpointCards: one card per endpoint with its lifecycle, who changed it, its network
//! settings and its tunnels.

use tunnelscope_core::views::EndpointLife;
use yew::prelude::*;

use crate::page::i18n::use_texts;

use crate::page::components::event_table::filter_value;
use crate::page::fmt::{fmt_time, visible};

/// Props of [`EndpointCards`].
#[derive(Properties, PartialEq)]
pub struct EndpointCardsProps {
    /// The endpoints.
    pub endpoints: Vec<EndpointLife>,
    /// Local time.
    pub local_time: bool,
    /// Called with (key, value) to add a filter.
    pub on_filter: Callback<(String, String)>,
}

fn card(e: &EndpointLife, local: bool, on_filter: &Callback<(String, String)>) -> Html {
    let tx = crate::page::i18n::texts();
    let t = |ms: Option<i64>| ms.map(|v| fmt_time(v, local));
    let created = match (t(e.create_ms), e.created_by.is_empty()) {
        (Some(at), false) => (tx.create_requested)(&at) + &(tx.by)(&visible(&e.created_by)),
        (Some(at), true) => (tx.create_requested)(&at),
        (None, _) => (tx.created_before)(&fmt_time(e.first_seen_ms, local)),
    };
    let deleted = match t(e.delete_ms) {
        Some(at) => {
            (tx.delete_requested)(&at)
                + &if e.deleted_by.is_empty() { String::new() } else { (tx.by)(&visible(&e.deleted_by)) }
        }
        None => (tx.not_deleted)(&fmt_time(e.last_seen_ms, local)),
    };
    let preserve = match e.preserve_client_ip {
        Some(true) => "true",
        Some(false) => "false",
        None => tx.not_in_data,
    };
    let usage = match (t(e.first_use_ms), t(e.last_use_ms)) {
        (Some(a), Some(b)) => (tx.usage)(&tx.count(e.n_tunnels, tx.n_tunnels), e.n_failed, &a, &b),
        _ => tx.no_tunnels.to_owned(),
    };
    html! {
        <article class="endpoint-card" data-testid="endpoint-card" data-endpoint-id={e.endpoint_id.clone()}>
            <h3 class="mono">{filter_value("endpoint", &e.endpoint_id, on_filter)}</h3>
            <p class="muted">{format!("{} · {}", visible(&e.region), visible(&e.account))}</p>
            <ul>
                <li>{created}</li>
                if !e.modify_ms.is_empty() {
                    <li>{format!("{}{}", (tx.modify_requests)(e.modify_ms.len()), if e.modified_by.is_empty() { String::new() } else { (tx.by)(&e.modified_by.iter().map(|m| visible(m).into_owned()).collect::<Vec<_>>().join(", ")) })}</li>
                }
                <li>{deleted}</li>
                <li>{(tx.describe_calls)(e.describe_ms.len())}</li>
                <li>{usage}</li>
                if !(e.vpc_id.is_empty() && e.subnet_id.is_empty()) {
                    <li class="mono">{[e.vpc_id.as_str(), e.subnet_id.as_str()].iter().filter(|s| !s.is_empty()).map(|s| visible(s).into_owned()).collect::<Vec<_>>().join(" · ")}</li>
                }
                if !e.security_group_ids.is_empty() {
                    <li class="mono">{format!("{}{}", tx.security_groups, e.security_group_ids.iter().map(|s| visible(s).into_owned()).collect::<Vec<_>>().join(" "))}</li>
                }
                <li>{format!("preserveClientIp: {preserve}")}</li>
                if !e.ip_address_type.is_empty() { <li>{format!("{}{}", tx.ip_address_type, visible(&e.ip_address_type))}</li> }
                if !e.dns_name.is_empty() { <li class="mono">{visible(&e.dns_name).into_owned()}</li> }
            </ul>
        </article>
    }
}

/// The endpoint panel.
#[function_component(EndpointCards)]
pub fn endpoint_cards(props: &EndpointCardsProps) -> Html {
    let t = use_texts();
    html! {
        <section class="endpoint-cards" data-testid="endpoint-panel">
            <h2>{(t.endpoints_title)(props.endpoints.len())}</h2>
            <div class="endpoint-cards__grid">
                {for props.endpoints.iter().map(|e| card(e, props.local_time, &props.on_filter))}
            </div>
        </section>
    }
}
