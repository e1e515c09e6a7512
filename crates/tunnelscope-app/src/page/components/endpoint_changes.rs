//! EndpointChanges: Create, Modify, Delete and Describe of endpoints, in time order.

use tunnelscope_core::EndpointChangeRow;
use tunnelscope_core::dataset::EndpointChangeCounts;
use yew::prelude::*;

use crate::page::components::event_table::on_row_key;
use crate::page::fmt::{fmt_rfc3339, visible};
use crate::page::i18n::use_texts;

/// Props of [`EndpointChanges`].
#[derive(Properties, PartialEq)]
pub struct EndpointChangesProps {
    /// The window of rows.
    pub rows: Vec<EndpointChangeRow>,
    /// Matching rows in all.
    pub total: usize,
    /// The matching rows by kind (the `endpoint_changes` of `tunnelscope stats --json`).
    #[prop_or_default]
    pub counts: EndpointChangeCounts,
    /// Local time.
    #[prop_or_default]
    pub local_time: bool,
    /// Called with the event ID of a clicked row.
    #[prop_or_default]
    pub on_select: Callback<String>,
}

fn label(op: &str) -> &'static str {
    // Create/Delete responses only show *-in-progress: say "requested", not "created".
    (crate::page::i18n::texts().op)(op)
}

fn row(r: &EndpointChangeRow, props: &EndpointChangesProps) -> Html {
    let preserve = match r.preserve_client_ip {
        Some(true) => "preserveClientIp: true",
        Some(false) => "preserveClientIp: false",
        None => "",
    };
    let details =
        [r.vpc_id.as_str(), r.subnet_id.as_str(), &r.security_group_ids.join(" "), preserve, r.state.as_str()]
            .into_iter()
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>()
            .join(" · ");
    let id = r.event_id.clone();
    let on_click = props.on_select.reform(move |_: MouseEvent| id.clone());
    html! {
        <tr data-testid="endpoint-change-row" data-event-id={r.event_id.clone()} data-op={r.op.clone()}
            tabindex="0" onclick={on_click} onkeydown={on_row_key(&props.on_select, &r.event_id)}>
            <td class="mono">{fmt_rfc3339(&r.time, props.local_time)}</td>
            <td>{label(&r.op)}</td>
            <td class="mono">{if r.endpoint_ids.is_empty() { crate::page::i18n::texts().all_endpoints.to_owned() } else { visible(&r.endpoint_ids.join(" ")).into_owned() }}</td>
            <td>{visible(&r.principal).into_owned()}</td>
            <td class="mono">{visible(&r.source_ip).into_owned()}</td>
            <td>{visible(&r.region).into_owned()}</td>
            <td class="wrap">{visible(&if r.error_code.is_empty() { details } else { (crate::page::i18n::texts().failed_with)(&r.error_code) }).into_owned()}</td>
        </tr>
    }
}

/// The endpoint change list.
#[function_component(EndpointChanges)]
pub fn endpoint_changes(props: &EndpointChangesProps) -> Html {
    let c = &props.counts;
    let t = use_texts();
    html! {
        <section class="endpoint-changes" data-testid="endpoint-changes" data-create={c.create.to_string()}
            data-modify={c.modify.to_string()} data-delete={c.delete.to_string()} data-describe={c.describe.to_string()}>
            <h2>{(t.endpoint_activity)(&t.num(props.total as u64))}</h2>
            if props.total == 0 {
                <p class="empty">{t.no_endpoint_activity}</p>
            } else {
                <div class="table-scroll"><table class="tokens">
                    <thead><tr>
                        <th>{(t.time)(props.local_time)}</th><th>{t.change}</th><th>{t.endpoint}</th><th>{t.principal}</th>
                        <th>{t.source_ip}</th><th>{t.region}</th><th>{t.details}</th>
                    </tr></thead>
                    <tbody>{for props.rows.iter().map(|r| row(r, props))}</tbody>
                </table></div>
            }
        </section>
    }
}
