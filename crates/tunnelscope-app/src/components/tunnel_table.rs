//! TunnelTable: one row per OpenTunnel attempt, in time order, one window at a time.

use tunnelscope_core::{Pairing, TunnelRow};
use yew::prelude::*;

use crate::components::pager::Pager;

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
}

fn duration(secs: u64, assumed: bool) -> String {
    let text = if secs % 60 == 0 { format!("{} min", secs / 60) } else { format!("{secs} s") };
    if assumed { format!("{text} (assumed)") } else { text }
}

fn row(r: &TunnelRow) -> Html {
    let failed = r.outcome == "failed";
    let target = match r.pairing {
        Pairing::KeyPush | Pairing::IpInventory if !r.instance_id.is_empty() => {
            let user = if r.os_user.is_empty() { String::new() } else { format!(" as {}", r.os_user) };
            format!("{}{}", r.instance_id, user)
        }
        Pairing::Ambiguous => "ambiguous".to_owned(),
        _ => String::new(),
    };
    html! {
        <tr class={classes!("tunnel-table__row", failed.then_some("tunnel-table__row--failed"))}
            data-testid="tunnel-row" data-event-id={r.event_id.clone()}>
            <td class="mono">{r.time.clone()}</td>
            <td>{r.principal.clone()}</td>
            <td class="mono">{r.source_ip.clone()}</td>
            <td class="mono" data-col="endpoint">{r.endpoint_id.clone()}</td>
            <td class="mono" data-col="private-ip">{r.private_ip.clone()}</td>
            <td class="num" data-col="port">{r.port.map(|p| p.to_string()).unwrap_or_default()}</td>
            <td>{duration(r.max_duration_secs, r.max_duration_assumed)}</td>
            <td>{if failed { format!("failed: {}", r.error_code) } else { "accepted".to_owned() }}</td>
            <td class="mono">{target}</td>
        </tr>
    }
}

/// The tunnel table.
#[function_component(TunnelTable)]
pub fn tunnel_table(props: &TunnelTableProps) -> Html {
    html! {
        <section class="tunnel-table" data-testid="tunnel-table">
            <h2>{format!("Tunnels ({})", props.total)}</h2>
            if props.total == 0 {
                <p class="empty">{"No OpenTunnel events match."}</p>
            } else {
                <table>
                    <thead><tr>
                        <th>{"time (UTC)"}</th><th>{"principal"}</th><th>{"source IP"}</th><th>{"endpoint"}</th>
                        <th>{"target IP"}</th><th>{"port"}</th><th>{"max duration"}</th><th>{"outcome"}</th>
                        <th>{"instance"}</th>
                    </tr></thead>
                    <tbody>{for props.rows.iter().map(row)}</tbody>
                </table>
                <Pager total={props.total} offset={props.offset} shown={props.rows.len()} on_page={props.on_page.clone()} />
            }
        </section>
    }
}
