//! The event table's rows and their orders.

use super::*;

/// One row of the event table, like the AWS console's columns.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct EventRow {
    /// `eventID`.
    pub event_id: String,
    /// Event time, UTC epoch milliseconds.
    pub time_ms: i64,
    /// Event time, RFC 3339 UTC with `Z`.
    pub time: String,
    /// `eventName`.
    pub event_name: String,
    /// `eventSource`.
    pub event_source: String,
    /// Principal display name.
    pub principal: String,
    /// `sourceIPAddress`.
    pub source_ip: String,
    /// `awsRegion`.
    pub region: String,
    /// Account.
    pub account: String,
    /// `errorCode`; empty when the call succeeded.
    pub error_code: String,
    /// `userAgent`.
    pub user_agent: String,
    /// True when an EICE investigation needs it (`export::is_eice_relevant`).
    pub is_eice: bool,
}

/// The table row of one event.
pub fn event_row(e: &EventRef<'_>) -> EventRow {
    EventRow {
        event_id: e.event_id.to_string(),
        time_ms: e.time_ms,
        time: format_rfc3339(e.time_ms),
        event_name: e.event_name.to_owned(),
        event_source: e.event_source.to_owned(),
        principal: e.principal.to_owned(),
        source_ip: e.source_ip.to_owned(),
        region: e.region.to_owned(),
        account: e.account.to_owned(),
        error_code: e.error_code.to_owned(),
        user_agent: e.user_agent.to_owned(),
        is_eice: e.is_eice,
    }
}

/// The event table's sort order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SortOrder {
    /// Oldest first (ties by event ID).
    #[default]
    TimeAsc,
    /// Newest first (ties by event ID, descending).
    TimeDesc,
}

/// An event's sort key: time first from a compact array, the event ID only on ties.
pub(super) type SortKey = (i64, u32);

/// The comparator of an order over sort keys.
pub(super) fn key_order(ds: &Dataset, order: SortOrder) -> impl Fn(&SortKey, &SortKey) -> Ordering + '_ {
    move |a, b| {
        let store = ds.store();
        let n = store.len();
        let o = a.0.cmp(&b.0).then_with(|| {
            let (x, y) = (a.1 as usize, b.1 as usize);
            if x < n && y < n { store.cmp_ids(x, y) } else { (x < n).cmp(&(y < n)) }
        });
        if order == SortOrder::TimeDesc { o.reverse() } else { o }
    }
}

/// Sort keys of the matching events (only EICE-related ones when `eice_only`).
pub(super) fn sort_keys(ds: &Dataset, indices: &[u32], eice_only: bool) -> Vec<SortKey> {
    let store = ds.store();
    indices
        .iter()
        .filter_map(|&i| {
            let k = i as usize;
            let time = *store.time.get(k)?;
            (!eice_only || store.bits[k] & B_EICE != 0).then_some((time, i))
        })
        .collect()
}

/// The matching indices (only EICE-related ones when `eice_only`) fully sorted, for callers that
/// page through one result many times: sort once, then page with [`event_rows_sorted`].
pub fn sorted_event_indices(ds: &Dataset, indices: &[u32], eice_only: bool, order: SortOrder) -> Vec<u32> {
    let mut keys = sort_keys(ds, indices, eice_only);
    keys.sort_unstable_by(key_order(ds, order));
    keys.into_iter().map(|(_, i)| i).collect()
}

/// Rows `offset..offset + limit` of indices already in display order.
pub fn event_rows_sorted(ds: &Dataset, sorted: &[u32], offset: usize, limit: usize) -> Vec<EventRow> {
    let start = offset.min(sorted.len());
    let end = offset.saturating_add(limit).min(sorted.len());
    sorted[start..end].iter().filter_map(|&i| ds.get(i)).map(|e| event_row(&e)).collect()
}

/// One page of the event table: the total after `eice_only`, and rows `offset..offset + limit`
/// in the given order (by time, ties by event ID). Selects the page in linear time instead of
/// sorting every match.
pub fn event_rows(
    ds: &Dataset,
    indices: &[u32],
    eice_only: bool,
    order: SortOrder,
    offset: usize,
    limit: usize,
) -> (usize, Vec<EventRow>) {
    let mut keys = sort_keys(ds, indices, eice_only);
    let total = keys.len();
    let start = offset.min(total);
    let end = offset.saturating_add(limit).min(total);
    if start == end {
        return (total, Vec::new());
    }
    let cmp = key_order(ds, order);
    // Event IDs are unique, so the order is total and the selected page is exact.
    if end < total {
        keys.select_nth_unstable_by(end, &cmp);
        keys.truncate(end);
    }
    if start > 0 {
        keys.select_nth_unstable_by(start, &cmp);
    }
    let page = &mut keys[start..end];
    page.sort_unstable_by(&cmp);
    (total, page.iter().filter_map(|&(_, i)| ds.get(i)).map(|e| event_row(&e)).collect())
}
