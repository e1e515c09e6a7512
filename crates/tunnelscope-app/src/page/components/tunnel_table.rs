//! TunnelTable: one row per OpenTunnel attempt, in time order, one window at a time.

use tunnelscope_core::{Pairing, TunnelRow};
use yew::prelude::*;

use crate::page::components::event_table::on_row_key;
use crate::page::components::pager::Pager;
use crate::page::fmt::{fmt_duration, fmt_rfc3339, thousands, time_header, visible};

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

fn duration(secs: u64, assumed: bool) -> String {
    let text = fmt_duration(secs);
    if assumed { format!("{text} (assumed)") } else { text }
}

fn row(r: &TunnelRow, props: &TunnelTableProps) -> Html {
    let failed = r.outcome == "failed";
    let target = match r.pairing {
        Pairing::KeyPush | Pairing::IpInventory if !r.instance_id.is_empty() => {
            let user = if r.os_user.is_empty() { String::new() } else { format!(" as {}", r.os_user) };
            format!("{}{}", r.instance_id, user)
        }
        Pairing::Ambiguous => "ambiguous".to_owned(),
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
            <td>{duration(r.max_duration_secs, r.max_duration_assumed)}</td>
            <td>{if failed { format!("failed: {}", visible(&r.error_code)) } else { "accepted".to_owned() }}</td>
            <td class="mono">{visible(&target).into_owned()}</td>
        </tr>
    }
}

/// The tunnel table.
#[function_component(TunnelTable)]
pub fn tunnel_table(props: &TunnelTableProps) -> Html {
    html! {
        <section class="tunnel-table" data-testid="tunnel-table">
            <h2>{format!("Tunnels ({})", thousands(props.total as u64))}</h2>
            if props.total == 0 {
                <p class="empty">{"No OpenTunnel events match."}</p>
            } else {
                <div class="table-scroll"><table class="tokens">
                    <thead><tr>
                        <th>{time_header(props.local_time)}</th><th>{"principal"}</th><th>{"source IP"}</th><th>{"endpoint"}</th>
                        <th>{"target IP"}</th><th>{"port"}</th><th>{"max duration"}</th><th>{"outcome"}</th>
                        <th>{"instance"}</th>
                    </tr></thead>
                    <tbody>{for props.rows.iter().map(|r| row(r, props))}</tbody>
                </table></div>
                <Pager total={props.total} offset={props.offset} shown={props.rows.len()} on_page={props.on_page.clone()} />
            }
        </section>
    }
}
