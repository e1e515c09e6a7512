//! Building views, details and exports from a dataset shard (pure; unit-tested natively).

use std::collections::BTreeMap;

use tunnelscope_core::dataset::Stats;
use tunnelscope_core::dataset::{EndpointChangeRow, TunnelRow};
use tunnelscope_core::query::{Query, QueryIndex, TimeWindow};
use tunnelscope_core::views::{Counters, Coverage, EndpointLife, EventDetail, SortOrder, TunnelPairings, ViewIndex};
use tunnelscope_core::{Dataset, RawSpan, export, views};

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
}

impl Prepared {
    /// Prepares a loaded dataset.
    pub fn new(dataset: &Dataset) -> Self {
        use crate::profile::mark;
        let index_of = |id: &str| dataset.index_of(id).unwrap_or(u32::MAX);
        mark("owner: prepare starts");
        let pairings = TunnelPairings::new(dataset);
        mark("owner: prepared pairings");
        let tunnel_rows = dataset.tunnel_rows_with(&pairings);
        let tunnel_idx = tunnel_rows.iter().map(|r| index_of(&r.event_id)).collect();
        mark("owner: prepared tunnel rows");
        let change_rows = dataset.endpoint_change_rows();
        let change_idx = change_rows.iter().map(|r| index_of(&r.event_id)).collect();
        mark("owner: prepared change rows");
        let view_index = ViewIndex::new(dataset);
        mark("owner: prepared view index");
        let query_index = QueryIndex::new(dataset);
        mark("owner: prepared query index");
        let extent = view_index.time_extent_all(dataset);
        let coverage = views::coverage(dataset);
        mark("owner: prepared coverage");
        let time_order = dataset.time_order();
        mark("owner: prepared time order");
        Self {
            query_index,
            extent,
            view_index,
            pairings,
            tunnel_rows,
            tunnel_idx,
            change_rows,
            change_idx,
            coverage,
            time_order,
        }
    }

    /// Matching event indices (ascending) for a query and window, and the query's error.
    ///
    /// A query the core cannot parse is reported and the view is left unfiltered by it, so the
    /// screen never silently shows a different filter than the one typed.
    pub fn matching(&self, dataset: &Dataset, query: &str, window: Option<TimeWindow>) -> (Vec<u32>, Option<String>) {
        match Query::parse(query) {
            Ok(q) => (self.query_index.matching_indices(dataset, &q, window), None),
            Err(e) => (self.query_index.matching_indices(dataset, &Query::default(), window), Some(e.to_string())),
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
fn view_stats(dataset: &Dataset, prep: &Prepared, c: &Counters, mask: &[bool], endpoints: &[EndpointLife]) -> Stats {
    let mut stats = dataset.stats_of(std::iter::empty());
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
    let (matching, query_error) = prep.matching(dataset, &req.query, req.window);
    let mut mask = vec![false; dataset.len()];
    for &i in &matching {
        mask[i as usize] = true;
    }
    let (n_tunnel_rows, tunnels) = matching_rows(&prep.tunnel_rows, &prep.tunnel_idx, &mask, req.offset);
    let (n_endpoint_rows, endpoint_changes) = matching_rows(&prep.change_rows, &prep.change_idx, &mask, req.offset);
    let endpoints = prep.view_index.endpoint_lives(dataset, &matching);
    let counters = prep.view_index.counters(dataset, &matching);
    let stats = view_stats(dataset, prep, &counters, &mask, &endpoints);
    let extent = prep.extent;
    // The overview shows the whole loaded range under the query, so the brush can widen again.
    let histogram = match extent {
        Some(range) => {
            let unwindowed;
            let idx = if req.window.is_some() {
                unwindowed = prep.matching(dataset, &req.query, None).0;
                &unwindowed
            } else {
                &matching
            };
            prep.view_index.histogram(dataset, idx, range, HISTOGRAM_BUCKETS)
        }
        None => Default::default(),
    };
    // The global time order filtered by the mask: linear, no sort and no copy per view.
    let keep = |i: u32| mask[i as usize] && (!req.eice_only || dataset.is_eice(i));
    let (mut n_event_rows, mut window) = (0usize, Vec::with_capacity(EVENT_WINDOW_ROWS));
    let mut take = |i: u32| {
        if keep(i) {
            if n_event_rows >= req.event_offset && window.len() < EVENT_WINDOW_ROWS {
                window.push(i);
            }
            n_event_rows += 1;
        }
    };
    match req.order {
        SortOrder::TimeAsc => prep.time_order.iter().for_each(|&i| take(i)),
        SortOrder::TimeDesc => prep.time_order.iter().rev().for_each(|&i| take(i)),
    }
    let event_rows = views::event_rows_sorted(dataset, &window, 0, EVENT_WINDOW_ROWS);
    View {
        generation: req.generation,
        n_events_total: dataset.len() as u64,
        n_events: matching.len() as u64,
        stats,
        files: dataset.files().to_vec(),
        n_tunnel_rows,
        tunnels,
        n_endpoint_rows,
        endpoint_changes,
        offset: req.offset,
        query_error,
        n_source_ips: counters.source_ips,
        extent,
        histogram,
        lanes: prep.view_index.lanes(dataset, &matching, req.grouping, Some(&prep.pairings)),
        endpoints,
        n_event_rows,
        event_rows,
        event_offset: req.event_offset,
        coverage: prep.coverage.clone(),
        n_eice_total: (prep.tunnel_rows.len() + prep.change_rows.len()) as u64,
    }
}

/// Reads raw records a compact dataset dropped, from the files they were loaded from.
pub trait RawSource {
    /// The raw records at these spans of the file `name`, in order (`None` where unreadable).
    fn read(&mut self, name: &str, spans: &[RawSpan]) -> Vec<Option<String>>;
}

/// A source that has no files (everything was kept in memory, or the files are gone).
pub struct NoFiles;

impl RawSource for NoFiles {
    fn read(&mut self, _name: &str, spans: &[RawSpan]) -> Vec<Option<String>> {
        vec![None; spans.len()]
    }
}

/// The raw records of these events: kept ones as they are, dropped ones read again from their
/// files (grouped by file, so a gzip file is decompressed once); `""` where unreadable.
pub fn raw_records(dataset: &Dataset, indices: &[u32], source: &mut dyn RawSource) -> Vec<String> {
    let mut out: Vec<String> = vec![String::new(); indices.len()];
    let mut by_file: BTreeMap<&str, (Vec<usize>, Vec<RawSpan>)> = BTreeMap::new();
    for (k, &i) in indices.iter().enumerate() {
        let Some(e) = dataset.get(i) else { continue };
        if !e.raw.is_empty() {
            out[k] = e.raw.to_owned();
        } else if let (Some(span), Some(file)) = (e.span, dataset.file_of(i)) {
            let entry = by_file.entry(file).or_default();
            entry.0.push(k);
            entry.1.push(span);
        }
    }
    for (file, (slots, spans)) in by_file {
        for (k, raw) in slots.into_iter().zip(source.read(file, &spans)) {
            out[k] = raw.unwrap_or_default();
        }
    }
    out
}

/// One event's detail, its raw record read again from its file when the dataset dropped it;
/// a tunnel's pairing from `prep` when the dataset's views were prepared (else paired now).
pub fn build_detail(
    dataset: &Dataset,
    prep: Option<&Prepared>,
    event_id: &str,
    source: &mut dyn RawSource,
) -> Option<EventDetail> {
    let mut detail = views::event_detail_with(dataset, event_id, prep.map(|p| &p.pairings))?;
    if detail.raw_pretty.is_empty() {
        let i = dataset.index_of(event_id)?;
        let raw = raw_records(dataset, &[i], source).pop().unwrap_or_default();
        detail.raw_pretty = if raw.is_empty() {
            "(the raw record could not be read again from its file)".to_owned()
        } else {
            views::pretty_json(&raw)
        };
    }
    Some(detail)
}

/// Builds an export of the events matching `req`: (file name, MIME type, body).
pub fn build_export(
    dataset: &Dataset,
    prep: &Prepared,
    kind: ExportKind,
    req: &ViewRequest,
    source: &mut dyn RawSource,
) -> (String, String, String) {
    let (matching, _) = prep.matching(dataset, &req.query, req.window);
    let mut mask = vec![false; dataset.len()];
    for &i in &matching {
        mask[i as usize] = true;
    }
    let ordered: Vec<u32> = prep.time_order.iter().copied().filter(|&i| mask[i as usize]).collect();
    let picked = || ordered.iter().filter_map(|&i| dataset.get(i));
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
        ExportKind::Records => {
            let raws = raw_records(dataset, &ordered, source);
            let body = export::records_json_with(picked().zip(raws));
            ("records.json".into(), "application/json".into(), String::from_utf8_lossy(&body).into_owned())
        }
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
    fn data_without_eice_activity_says_so() {
        let mut ds = Dataset::new();
        let trail = br#"{"Records":[{"eventVersion":"1.08","eventTime":"2026-10-01T08:00:00Z","eventSource":"s3.amazonaws.com","eventName":"GetObject","awsRegion":"us-east-1","eventID":"00000000-0000-4000-8000-000000000001"}]}"#;
        ds.add_file("s3.json", trail);
        let v = build_view(&ds, &Prepared::new(&ds), &req(""));
        assert_eq!((v.n_events_total, v.n_eice_total), (1, 0));
    }

    #[test]
    fn unfiltered_view_counts_everything() {
        let ds = sample();
        let v = build_view(&ds, &Prepared::new(&ds), &req(""));
        assert_eq!(v.generation, 7);
        assert_eq!(v.n_events, v.n_events_total);
        assert_eq!(v.stats.tunnels.total, 41);
        let c = v.stats.endpoint_changes;
        assert_eq!(v.n_eice_total, 41 + c.create + c.modify + c.delete + c.describe);
        // A filter changes what is shown, never the whole data's EICE activity.
        assert_eq!(build_view(&ds, &Prepared::new(&ds), &req("port:3389")).n_eice_total, v.n_eice_total);
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
            let (matching, _) = prep.matching(&ds, q, None);
            let want = ds.stats_of(matching.iter().filter_map(|&i| ds.get(i)));
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
        let (name, _, csv) = build_export(&ds, &prep, ExportKind::TunnelsCsv, &req("outcome:failed"), &mut NoFiles);
        assert_eq!(name, "tunnels.csv");
        assert_eq!(csv.lines().count(), 6, "header + 5 failed tunnels");
        let (_, _, records) = build_export(&ds, &prep, ExportKind::Records, &req("event:OpenTunnel"), &mut NoFiles);
        let mut reloaded = Dataset::new();
        reloaded.add_file("records.json", records.as_bytes());
        assert_eq!(reloaded.stats().tunnels.total, 41);
        assert_eq!(reloaded.events().len(), 41);
    }
}
