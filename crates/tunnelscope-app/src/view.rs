//! Building views, details and exports from a dataset shard (pure; unit-tested natively).

use std::collections::HashMap;

use tunnelscope_core::dataset::Stats;
use tunnelscope_core::dataset::{EndpointChangeRow, TunnelRow};
use tunnelscope_core::query::{Query, QueryIndex, TimeWindow};
use tunnelscope_core::views::{Coverage, EndpointLife, SortOrder, TunnelPairings, ViewIndex};
use tunnelscope_core::{Dataset, export, views};

use crate::protocol::{EVENT_WINDOW_ROWS, ExportKind, HISTOGRAM_BUCKETS, View, ViewRequest, WINDOW_ROWS};

/// What the worker computes once per load and reuses for every view: the query and view
/// indexes, tunnel pairing, the tunnel and endpoint-change rows and the coverage.
pub struct Prepared {
    query_index: QueryIndex,
    view_index: ViewIndex,
    pairings: TunnelPairings,
    tunnel_rows: Vec<TunnelRow>,
    /// Event index of each tunnel row.
    tunnel_idx: Vec<u32>,
    change_rows: Vec<EndpointChangeRow>,
    change_idx: Vec<u32>,
    coverage: Coverage,
    extent: Option<(i64, i64)>,
    /// All events in time order, so the event table filters instead of sorting per view.
    time_order: Vec<u32>,
    /// Whether each event is EICE-related (the table's toggle).
    is_eice: Vec<bool>,
}

impl Prepared {
    /// Prepares a loaded dataset.
    pub fn new(dataset: &Dataset) -> Self {
        let index_of: HashMap<&str, u32> =
            dataset.events().iter().enumerate().map(|(i, e)| (e.event_id.as_str(), i as u32)).collect();
        let tunnel_rows = dataset.tunnel_rows();
        let tunnel_idx =
            tunnel_rows.iter().map(|r| index_of.get(r.event_id.as_str()).copied().unwrap_or(u32::MAX)).collect();
        let change_rows = dataset.endpoint_change_rows();
        let change_idx =
            change_rows.iter().map(|r| index_of.get(r.event_id.as_str()).copied().unwrap_or(u32::MAX)).collect();
        let view_index = ViewIndex::new(dataset);
        let all: Vec<u32> = (0..dataset.events().len() as u32).collect();
        Self {
            query_index: QueryIndex::new(dataset),
            extent: view_index.time_extent(&all),
            view_index,
            pairings: TunnelPairings::new(dataset),
            tunnel_rows,
            tunnel_idx,
            change_rows,
            change_idx,
            coverage: views::coverage(dataset),
            time_order: dataset.time_order(),
            is_eice: dataset.events().iter().map(export::is_eice_relevant).collect(),
        }
    }

    /// Matching event indices (ascending) for a query and window, and the query's error.
    ///
    /// A query the core cannot parse is reported and the view is left unfiltered by it, so the
    /// screen never silently shows a different filter than the one typed.
    pub fn matching(&self, query: &str, window: Option<TimeWindow>) -> (Vec<u32>, Option<String>) {
        match Query::parse(query) {
            Ok(q) => (self.query_index.matching_indices(&q, window), None),
            Err(e) => (self.query_index.matching_indices(&Query::default(), window), Some(e.to_string())),
        }
    }
}

/// A window of the rows whose event is in `mask`, and their number.
fn matching_rows<T: Clone>(rows: &[T], idx: &[u32], mask: &[bool], offset: usize) -> (usize, Vec<T>) {
    let mut total = 0;
    let mut out = Vec::new();
    for (row, &i) in rows.iter().zip(idx) {
        if mask.get(i as usize).copied().unwrap_or(false) {
            if total >= offset && out.len() < WINDOW_ROWS {
                out.push(row.clone());
            }
            total += 1;
        }
    }
    (total, out)
}

/// The counts over matching events, from the compact per-load index rather than the events'
/// strings (the accounting part is over all files, as `Dataset::stats_of` gives it).
fn view_stats(
    dataset: &Dataset,
    prep: &Prepared,
    matching: &[u32],
    mask: &[bool],
    endpoints: &[EndpointLife],
) -> Stats {
    let mut stats = dataset.stats_of(std::iter::empty());
    let c = prep.view_index.counters(matching);
    stats.tunnels.total = c.tunnels;
    stats.tunnels.failed = c.failed_tunnels;
    stats.principals = c.principals;
    stats.endpoints = endpoints.iter().map(|e| e.endpoint_id.clone()).collect();
    for (row, &i) in prep.change_rows.iter().zip(&prep.change_idx) {
        if mask.get(i as usize).copied().unwrap_or(false) {
            let counts = &mut stats.endpoint_changes;
            match row.op.as_str() {
                "create" => counts.create += 1,
                "modify" => counts.modify += 1,
                "delete" => counts.delete += 1,
                _ => counts.describe += 1,
            }
        }
    }
    stats
}

/// Builds everything the screen shows for `req` over a prepared `dataset`.
pub fn build_view(dataset: &Dataset, prep: &Prepared, req: &ViewRequest) -> View {
    let (matching, query_error) = prep.matching(&req.query, req.window);
    let events = dataset.events();
    let mut mask = vec![false; events.len()];
    for &i in &matching {
        mask[i as usize] = true;
    }
    let (n_tunnel_rows, tunnels) = matching_rows(&prep.tunnel_rows, &prep.tunnel_idx, &mask, req.offset);
    let (n_endpoint_rows, endpoint_changes) = matching_rows(&prep.change_rows, &prep.change_idx, &mask, req.offset);
    let endpoints = prep.view_index.endpoint_lives(dataset, &matching);
    let stats = view_stats(dataset, prep, &matching, &mask, &endpoints);
    let extent = prep.extent;
    // The overview shows the whole loaded range under the query, so the brush can widen again.
    let histogram = match extent {
        Some(range) => {
            let unwindowed = if req.window.is_some() { prep.matching(&req.query, None).0 } else { matching.clone() };
            prep.view_index.histogram(&unwindowed, range, HISTOGRAM_BUCKETS)
        }
        None => Default::default(),
    };
    // The global time order filtered by the mask: linear, no sort per view.
    let keep = |i: &u32| mask[*i as usize] && (!req.eice_only || prep.is_eice[*i as usize]);
    let sorted: Vec<u32> = match req.order {
        SortOrder::TimeAsc => prep.time_order.iter().copied().filter(keep).collect(),
        SortOrder::TimeDesc => prep.time_order.iter().rev().copied().filter(keep).collect(),
    };
    let event_rows = views::event_rows_sorted(dataset, &sorted, req.event_offset, EVENT_WINDOW_ROWS);
    View {
        generation: req.generation,
        n_events_total: events.len() as u64,
        n_events: matching.len() as u64,
        stats,
        files: dataset.files().to_vec(),
        n_tunnel_rows,
        tunnels,
        n_endpoint_rows,
        endpoint_changes,
        offset: req.offset,
        query_error,
        n_source_ips: prep.view_index.n_source_ips(&matching),
        extent,
        histogram,
        lanes: prep.view_index.lanes(dataset, &matching, req.grouping, Some(&prep.pairings)),
        endpoints,
        n_event_rows: sorted.len(),
        event_rows,
        event_offset: req.event_offset,
        coverage: prep.coverage.clone(),
    }
}

/// Builds an export of the events matching `req`: (file name, MIME type, body).
pub fn build_export(
    dataset: &Dataset,
    prep: &Prepared,
    kind: ExportKind,
    req: &ViewRequest,
) -> (String, String, String) {
    let (matching, _) = prep.matching(&req.query, req.window);
    let events = dataset.events();
    let mut ordered = matching.clone();
    ordered.sort_by_key(|&i| (events[i as usize].time_ms, events[i as usize].event_id.as_str()));
    let picked = || ordered.iter().map(|&i| &events[i as usize]);
    let mut mask = vec![false; events.len()];
    for &i in &matching {
        mask[i as usize] = true;
    }
    let tunnels = || {
        prep.tunnel_rows
            .iter()
            .zip(&prep.tunnel_idx)
            .filter(|(_, i)| mask.get(**i as usize).copied().unwrap_or(false))
            .map(|(r, _)| r.clone())
            .collect::<Vec<_>>()
    };
    match kind {
        ExportKind::TunnelsCsv => ("tunnels.csv".into(), "text/csv".into(), export::tunnels_csv(&tunnels())),
        ExportKind::TunnelsJson => ("tunnels.json".into(), "application/json".into(), export::tunnels_json(&tunnels())),
        ExportKind::EventsCsv => ("events.csv".into(), "text/csv".into(), export::events_csv(picked())),
        ExportKind::EventsJson => ("events.json".into(), "application/json".into(), export::events_json(picked())),
        ExportKind::Records => (
            "records.json".into(),
            "application/json".into(),
            String::from_utf8_lossy(&export::records_json(picked())).into_owned(),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tunnelscope_core::sample::{SAMPLE_FILE_NAME, sample_trail_json};

    fn sample() -> Dataset {
        let mut ds = Dataset::new();
        ds.add_file(SAMPLE_FILE_NAME, &sample_trail_json());
        ds
    }

    fn req(query: &str) -> ViewRequest {
        ViewRequest { generation: 7, query: query.into(), ..ViewRequest::default() }
    }

    #[test]
    fn unfiltered_view_counts_everything() {
        let ds = sample();
        let v = build_view(&ds, &Prepared::new(&ds), &req(""));
        assert_eq!(v.generation, 7);
        assert_eq!(v.n_events, v.n_events_total);
        assert_eq!(v.stats.tunnels.total, 41);
        assert_eq!(v.n_tunnel_rows, 41);
        assert_eq!(v.tunnels.len(), WINDOW_ROWS.min(41));
        let page = build_view(&ds, &Prepared::new(&ds), &ViewRequest { offset: 40, ..req("") });
        assert_eq!(page.tunnels.len(), 1);
        assert_eq!(v.lanes.iter().map(|l| l.marks.len()).sum::<usize>(), 41);
        assert_eq!(v.endpoints.len(), 3);
        assert_eq!(v.histogram.counts.iter().map(|&c| u64::from(c)).sum::<u64>(), v.n_events);
        assert_eq!(v.n_event_rows as u64, v.n_events);
        assert!(v.extent.is_some());
    }

    #[test]
    fn query_and_window_narrow_rows_and_counters_but_not_the_overview() {
        let ds = sample();
        let prep = Prepared::new(&ds);
        let v = build_view(&ds, &prep, &req("outcome:failed"));
        assert_eq!(v.query_error, None);
        assert_eq!(v.stats.tunnels.total, 5);
        assert!(v.tunnels.iter().all(|t| t.outcome == "failed"));
        let (start, _) = v.extent.unwrap();
        let windowed = ViewRequest { window: Some(TimeWindow { start_ms: start, end_ms: start + 1 }), ..req("") };
        let w = build_view(&ds, &prep, &windowed);
        assert!(w.n_events < v.n_events_total);
        assert_eq!(w.histogram.counts.iter().map(|&c| u64::from(c)).sum::<u64>(), w.n_events_total);
    }

    #[test]
    fn counters_agree_with_the_dataset_and_the_table_is_in_time_order() {
        let ds = sample();
        let prep = Prepared::new(&ds);
        for q in [
            "",
            "user:alice",
            "outcome:failed",
            "port:3389",
            "event:DescribeInstanceConnectEndpoints",
            "region:eu-west-1",
        ] {
            let v = build_view(&ds, &prep, &req(q));
            let (matching, _) = prep.matching(q, None);
            let want = ds.stats_of(matching.iter().map(|&i| &ds.events()[i as usize]));
            assert_eq!(v.stats, want, "query {q:?}");
            assert!(v.event_rows.windows(2).all(|w| (w[0].time_ms, &w[0].event_id) <= (w[1].time_ms, &w[1].event_id)));
        }
        let desc = build_view(&ds, &prep, &ViewRequest { order: SortOrder::TimeDesc, eice_only: true, ..req("") });
        assert!(desc.event_rows.windows(2).all(|w| w[0].time_ms >= w[1].time_ms));
        assert!(desc.event_rows.iter().all(|r| r.is_eice));
    }

    #[test]
    fn a_bad_query_is_reported_not_ignored() {
        let ds = sample();
        let v = build_view(&ds, &Prepared::new(&ds), &req("port:notanumber"));
        assert!(v.query_error.is_some());
        assert_eq!(v.n_tunnel_rows, 41);
    }

    #[test]
    fn exports_follow_the_filter() {
        let ds = sample();
        let prep = Prepared::new(&ds);
        let (name, _, csv) = build_export(&ds, &prep, ExportKind::TunnelsCsv, &req("outcome:failed"));
        assert_eq!(name, "tunnels.csv");
        assert_eq!(csv.lines().count(), 6, "header + 5 failed tunnels");
        let (_, _, records) = build_export(&ds, &prep, ExportKind::Records, &req("event:OpenTunnel"));
        let mut reloaded = Dataset::new();
        reloaded.add_file("records.json", records.as_bytes());
        assert_eq!(reloaded.stats().tunnels.total, 41);
        assert_eq!(reloaded.events().len(), 41);
    }
}
