//! TunnelTable: one row per OpenTunnel attempt, in time order, one window at a time.

use tunnelscope_core::{Pairing, TunnelRow};
use yew::prelude::*;

use crate::page::components::event_table::on_row_key;
use crate::page::components::pager::Pager;
use crate::page::fmt::{fmt_duration, fmt_rfc3339, visible};
use crate::page::i18n::use_texts;
use tunnelscope_core::i18n::Texts;

/// Props of [`TunnelTable`].
#[derive(Properties, PartialEq)]
pub struct TunnelTableProps {
    /// The window of rows.
    pub rows: Vec<TunnelRow>,
    /// Matching tunnels in all.
    pub total: usize,
    /// Where the window starts.
    pub offset: usize,
    /// Called with a new window offset.
    pub on_page: Callback<usize>,
    /// The selected event.
    #[prop_or_default]
    pub selected: Option<String>,
    /// Local time.
    #[prop_or_default]
    pub local_time: bool,
    /// Called with the event ID of a clicked row.
    #[prop_or_default]
    pub on_select: Callback<String>,
}

fn duration(secs: u64, assumed: bool, t: &Texts) -> String {
    let text = fmt_duration(secs);
    if assumed { format!("{text}{}", t.assumed_short) } else { text }
}

fn row(r: &TunnelRow, t: &Texts, props: &TunnelTableProps) -> Html {
    let failed = r.outcome == "failed";
    let target = match r.pairing {
        Pairing::KeyPush | Pairing::IpInventory if !r.instance_id.is_empty() => {
            if r.os_user.is_empty() {
                r.instance_id.clone()
            } else {
                (t.as_user)(&r.instance_id, &r.os_user)
            }
        }
        Pairing::Ambiguous => t.ambiguous.to_owned(),
        _ => String::new(),
    };
    let id = r.event_id.clone();
    let on_click = props.on_select.reform(move |_: MouseEvent| id.clone());
    let selected = props.selected.as_deref() == Some(r.event_id.as_str());
    // A click or Enter anywhere in the row opens it; its values are filters in the detail panel.
    html! {
        <tr class={classes!("tunnel-table__row", failed.then_some("tunnel-table__row--failed"), selected.then_some("tunnel-table__row--selected"))}
            data-testid="tunnel-row" data-event-id={r.event_id.clone()} tabindex="0" aria-selected={selected.to_string()}
            onclick={on_click} onkeydown={on_row_key(&props.on_select, &r.event_id)}>
            <td class="mono">{fmt_rfc3339(&r.time, props.local_time)}</td>
            <td data-col="principal" title={r.principal_arn.clone()}>{visible(&r.principal).into_owned()}</td>
            <td class="mono" data-col="source-ip">{visible(&r.source_ip).into_owned()}</td>
            <td class="mono" data-col="endpoint">{visible(&r.endpoint_id).into_owned()}</td>
            <td class="mono" data-col="private-ip">{visible(&r.private_ip).into_owned()}</td>
            <td class="num" data-col="port">{r.port.map(|p| p.to_string()).unwrap_or_default()}</td>
            <td>{duration(r.max_duration_secs, r.max_duration_assumed, t)}</td>
            <td>{if failed { (t.failed_with)(&visible(&r.error_code)) } else { t.accepted.to_owned() }}</td>
            <td class="mono">{visible(&target).into_owned()}</td>
        </tr>
    }
}

/// The tunnel table.
#[function_component(TunnelTable)]
pub fn tunnel_table(props: &TunnelTableProps) -> Html {
    let t = use_texts();
    html! {
        <section class="tunnel-table" data-testid="tunnel-table">
            <h2>{(t.tunnels_title)(&t.num(props.total as u64))}</h2>
            if props.total == 0 {
                <p class="empty">{t.no_tunnels_match}</p>
            } else {
                <div class="table-scroll"><table class="tokens">
                    <thead><tr>
                        <th>{(t.time)(props.local_time)}</th><th>{t.principal}</th><th>{t.source_ip}</th><th>{t.endpoint}</th>
                        <th>{t.target_ip}</th><th>{t.port}</th><th>{t.max_duration}</th><th>{t.outcome}</th>
                        <th>{t.instance}</th>
                    </tr></thead>
                    <tbody>{for props.rows.iter().map(|r| row(r, t, props))}</tbody>
                </table></div>
                <Pager total={props.total} offset={props.offset} shown={props.rows.len()} on_page={props.on_page.clone()} />
            }
        </section>
    }
}
