//! SessionsTable: one row per session in the view (contracts.md §7), sortable, one window at
//! a time; the open session (the query `session:ID`) shows its tunnels, instances and users.

use tunnelscope_core::query::format_term;
use tunnelscope_core::sessions::SessionRow;
use tunnelscope_core::views::page::SessionSort;
use yew::prelude::*;

use crate::protocol::SUMMARY_WINDOW_ROWS;

use crate::page::components::event_table::on_row_key;
use crate::page::components::pager::Pager;
use crate::page::fmt::{fmt_rfc3339, visible};
use crate::page::i18n::use_texts;
use tunnelscope_core::i18n::Texts;

/// Props of [`SessionsTable`].
#[derive(Properties, PartialEq)]
pub struct SessionsTableProps {
    /// The window of rows.
    pub rows: Vec<SessionRow>,
    /// Sessions in the view in all.
    pub total: usize,
    /// Where the window starts.
    pub offset: usize,
    /// The order.
    pub sort: SessionSort,
    /// The gap in use (`10m`) and the gap as typed (empty: the default).
    pub gap: String,
    pub gap_typed: String,
    /// The query, to tell which session is open.
    pub query: String,
    #[prop_or_default]
    pub local_time: bool,
    pub on_page: Callback<usize>,
    pub on_sort: Callback<SessionSort>,
    /// Called with a new gap (Enter in its box).
    pub on_gap: Callback<String>,
    /// Called with a session ID to open it (its tunnels become the view).
    pub on_open: Callback<String>,
    /// Called with an event ID to select it.
    pub on_select: Callback<String>,
}

/// A header that orders the table by `order` (and shows when it does).
fn sort_header(label: &str, order: SessionSort, props: &SessionsTableProps) -> Html {
    let active = props.sort == order;
    let on_click = props.on_sort.reform(move |_: MouseEvent| order);
    html! {
        <th aria-sort={if active { "descending" } else { "none" }}>
            <button class={classes!("link", active.then_some("sessions__sorted"))} data-sort={order.as_str()} onclick={on_click}>
                {label}{if active { " ▾" } else { "" }}
            </button>
        </th>
    }
}

fn target(r: &SessionRow) -> String {
    match r.port {
        Some(p) if r.private_ip.contains(':') => format!("[{}]:{p}", r.private_ip),
        Some(p) => format!("{}:{p}", r.private_ip),
        None => r.private_ip.clone(),
    }
}

fn row(r: &SessionRow, t: &Texts, props: &SessionsTableProps) -> Html {
    let open = props.query.trim() == format_term("session", &r.session_id);
    let id = r.session_id.clone();
    let on_click = props.on_open.reform(move |_: MouseEvent| id.clone());
    let failed_only = r.accepted == 0;
    let instances = if r.os_users.is_empty() {
        r.instance_ids.join(", ")
    } else {
        (t.as_user)(&r.instance_ids.join(", "), &r.os_users.join(", "))
    };
    html! {
        <>
        <tr class={classes!("sessions__row", failed_only.then_some("tunnel-table__row--failed"), open.then_some("tunnel-table__row--selected"))}
            data-testid="session-row" data-session-id={r.session_id.clone()} tabindex="0" aria-expanded={open.to_string()}
            onclick={on_click} onkeydown={on_row_key(&props.on_open, &r.session_id)}>
            <td class="mono">{fmt_rfc3339(&r.start, props.local_time)}</td>
            <td class="mono">{fmt_rfc3339(&r.last_start, props.local_time)}</td>
            <td class="mono" title={t.latest_end_title}>{fmt_rfc3339(&r.latest_end, props.local_time)}</td>
            <td data-col="principal" title={r.principal_arn.clone()}>{visible(&r.principal).into_owned()}</td>
            <td class="mono">{visible(&r.source_ip).into_owned()}</td>
            <td class="mono">{visible(&r.endpoint_id).into_owned()}</td>
            <td class="mono">{visible(&target(r)).into_owned()}</td>
            <td class="num" data-col="tunnels">{r.tunnels}</td>
            <td class="num" data-col="failed">{r.failed}</td>
            <td class="mono">{visible(&instances).into_owned()}</td>
        </tr>
        if open {
            <tr class="sessions__detail" data-testid="session-detail">
                <td colspan="10" class="wrap">
                    <div>{(t.session_summary)(&r.session_id, r.tunnels as u64, r.accepted as u64, r.failed as u64, &r.account, &r.region)}</div>
                    <div>{t.instances_label}{if r.instance_ids.is_empty() { t.not_paired.to_owned() } else { visible(&r.instance_ids.join(", ")).into_owned() }}
                        {t.os_users_label}{if r.os_users.is_empty() { t.unknown.to_owned() } else { visible(&r.os_users.join(", ")).into_owned() }}</div>
                    <div class="sessions__tunnels">{t.tunnels_label}
                        {for r.event_ids.iter().map(|id| {
                            let pick = id.clone();
                            html! { <button class="link mono" onclick={props.on_select.reform(move |_: MouseEvent| pick.clone())}>{visible(id).into_owned()}</button> }
                        })}
                    </div>
                    <div class="muted">{t.session_note}</div>
                </td>
            </tr>
        }
        </>
    }
}

/// The sessions table.
#[function_component(SessionsTable)]
pub fn sessions_table(props: &SessionsTableProps) -> Html {
    let on_gap = {
        let cb = props.on_gap.clone();
        Callback::from(move |e: KeyboardEvent| {
            if e.key() == "Enter" {
                if let Some(input) = e.target_dyn_into::<web_sys::HtmlInputElement>() {
                    cb.emit(input.value());
                }
            }
        })
    };
    let t = use_texts();
    html! {
        <section class="sessions" data-testid="sessions-table">
            <div class="sessions__bar">
                <h2>{(t.sessions_title)(&t.num(props.total as u64))}</h2>
                <label class="muted" title={t.gap_title}>
                    {t.gap}
                    <input class="sessions__gap" data-testid="session-gap" size="6" value={props.gap_typed.clone()}
                        placeholder={props.gap.clone()} onkeydown={on_gap} aria-label={t.gap_label} />
                </label>
                <span class="muted">{t.sessions_hint}</span>
            </div>
            if props.total == 0 {
                <p class="empty">{t.no_sessions}</p>
            } else {
                <div class="table-scroll"><table class="tokens">
                    <thead><tr>
                        {sort_header((t.start)(props.local_time), if props.sort == SessionSort::Start { SessionSort::StartDesc } else { SessionSort::Start }, props)}
                        <th>{t.last_start}</th>
                        {sort_header(t.latest_end, SessionSort::Span, props)}
                        {sort_header(t.principal, SessionSort::Principal, props)}
                        <th>{t.source_ip}</th><th>{t.endpoint}</th><th>{t.target}</th>
                        {sort_header(t.tunnels, SessionSort::Tunnels, props)}
                        {sort_header(t.failed, SessionSort::Failed, props)}
                        <th>{t.instance}</th>
                    </tr></thead>
                    <tbody>{for props.rows.iter().map(|r| row(r, t, props))}</tbody>
                </table></div>
                <Pager total={props.total} offset={props.offset} shown={props.rows.len()} on_page={props.on_page.clone()} page_size={SUMMARY_WINDOW_ROWS} />
            }
        </section>
    }
}
