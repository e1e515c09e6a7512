//! Building views, details and exports from a dataset shard (pure; unit-tested natively).

use std::collections::HashSet;

use tunnelscope_core::query::{Query, TimeWindow, matching_indices};
use tunnelscope_core::{Dataset, export, views};

use crate::protocol::{EVENT_WINDOW_ROWS, ExportKind, HISTOGRAM_BUCKETS, View, ViewRequest, WINDOW_ROWS};

/// Matching event indices for a query and window, and the query's error if it did not parse.
///
/// A query the core cannot parse is reported and the view is left unfiltered by it, so the
/// screen never silently shows a different filter than the one typed.
pub fn matching(dataset: &Dataset, query: &str, window: Option<TimeWindow>) -> (Vec<u32>, Option<String>) {
    let parsed = if query.trim().is_empty() { Ok(None) } else { Query::parse(query).map(Some) };
    match parsed {
        Ok(Some(q)) => (matching_indices(dataset, &q, window), None),
        Ok(None) => (everything(dataset, window), None),
        Err(e) => (everything(dataset, window), Some(e.to_string())),
    }
}

fn everything(dataset: &Dataset, window: Option<TimeWindow>) -> Vec<u32> {
    match window {
        None => (0..dataset.events().len() as u32).collect(),
        Some(w) => matching_indices(dataset, &Query::default(), Some(w)),
    }
}

/// Builds everything the screen shows for `req` over `dataset`.
pub fn build_view(dataset: &Dataset, req: &ViewRequest) -> View {
    let (matching, query_error) = matching(dataset, &req.query, req.window);
    let events = dataset.events();
    let stats = dataset.stats_of(matching.iter().map(|&i| &events[i as usize]));
    let all = matching.len() == events.len();
    let ids: HashSet<&str> =
        if all { HashSet::new() } else { matching.iter().map(|&i| events[i as usize].event_id.as_str()).collect() };
    let tunnels: Vec<_> =
        dataset.tunnel_rows().into_iter().filter(|r| all || ids.contains(r.event_id.as_str())).collect();
    let changes: Vec<_> =
        dataset.endpoint_change_rows().into_iter().filter(|r| all || ids.contains(r.event_id.as_str())).collect();
    let all_indices: Vec<u32> = (0..events.len() as u32).collect();
    let extent = views::time_extent(dataset, &all_indices);
    // The overview shows the whole loaded range under the query, so the brush can widen again.
    let histogram = match extent {
        Some(range) => {
            let unwindowed =
                if req.window.is_some() { self::matching(dataset, &req.query, None).0 } else { matching.clone() };
            views::histogram(dataset, &unwindowed, range, HISTOGRAM_BUCKETS)
        }
        None => Default::default(),
    };
    let (n_event_rows, event_rows) =
        views::event_rows(dataset, &matching, req.eice_only, req.order, req.event_offset, EVENT_WINDOW_ROWS);
    View {
        generation: req.generation,
        n_events_total: events.len() as u64,
        n_events: matching.len() as u64,
        stats,
        files: dataset.files().to_vec(),
        n_tunnel_rows: tunnels.len(),
        tunnels: window_of(tunnels, req.offset, WINDOW_ROWS),
        n_endpoint_rows: changes.len(),
        endpoint_changes: window_of(changes, req.offset, WINDOW_ROWS),
        offset: req.offset,
        query_error,
        n_source_ips: views::n_source_ips(dataset, &matching),
        extent,
        histogram,
        lanes: views::lanes(dataset, &matching, req.grouping),
        endpoints: views::endpoint_lives(dataset, &matching),
        n_event_rows,
        event_rows,
        event_offset: req.event_offset,
        coverage: views::coverage(dataset),
    }
}

/// Builds an export of the events matching `req`: (file name, MIME type, body).
pub fn build_export(dataset: &Dataset, kind: ExportKind, req: &ViewRequest) -> (String, String, String) {
    let (matching, _) = matching(dataset, &req.query, req.window);
    let events = dataset.events();
    let mut ordered = matching.clone();
    ordered.sort_by_key(|&i| (events[i as usize].time_ms, events[i as usize].event_id.as_str()));
    let picked = || ordered.iter().map(|&i| &events[i as usize]);
    let ids: HashSet<&str> = matching.iter().map(|&i| events[i as usize].event_id.as_str()).collect();
    let tunnels =
        || dataset.tunnel_rows().into_iter().filter(|r| ids.contains(r.event_id.as_str())).collect::<Vec<_>>();
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

fn window_of<T>(rows: Vec<T>, offset: usize, window: usize) -> Vec<T> {
    rows.into_iter().skip(offset).take(window).collect()
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
        let v = build_view(&ds, &req(""));
        assert_eq!(v.generation, 7);
        assert_eq!(v.n_events, v.n_events_total);
        assert_eq!(v.stats.tunnels.total, 41);
        assert_eq!(v.n_tunnel_rows, 41);
        assert_eq!(v.lanes.iter().map(|l| l.marks.len()).sum::<usize>(), 41);
        assert_eq!(v.endpoints.len(), 3);
        assert_eq!(v.histogram.counts.iter().map(|&c| u64::from(c)).sum::<u64>(), v.n_events);
        assert_eq!(v.n_event_rows as u64, v.n_events);
        assert!(v.extent.is_some());
    }

    #[test]
    fn query_and_window_narrow_rows_and_counters_but_not_the_overview() {
        let ds = sample();
        let v = build_view(&ds, &req("outcome:failed"));
        assert_eq!(v.query_error, None);
        assert_eq!(v.stats.tunnels.total, 5);
        assert!(v.tunnels.iter().all(|t| t.outcome == "failed"));
        let (start, _) = v.extent.unwrap();
        let windowed = ViewRequest { window: Some(TimeWindow { start_ms: start, end_ms: start + 1 }), ..req("") };
        let w = build_view(&ds, &windowed);
        assert!(w.n_events < v.n_events_total);
        assert_eq!(w.histogram.counts.iter().map(|&c| u64::from(c)).sum::<u64>(), w.n_events_total);
    }

    #[test]
    fn a_bad_query_is_reported_not_ignored() {
        let ds = sample();
        let v = build_view(&ds, &req("port:notanumber"));
        assert!(v.query_error.is_some());
        assert_eq!(v.n_tunnel_rows, 41);
    }

    #[test]
    fn exports_follow_the_filter() {
        let ds = sample();
        let (name, _, csv) = build_export(&ds, ExportKind::TunnelsCsv, &req("outcome:failed"));
        assert_eq!(name, "tunnels.csv");
        assert_eq!(csv.lines().count(), 6, "header + 5 failed tunnels");
        let (_, _, records) = build_export(&ds, ExportKind::Records, &req("event:OpenTunnel"));
        let mut reloaded = Dataset::new();
        reloaded.add_file("records.json", records.as_bytes());
        assert_eq!(reloaded.stats().tunnels.total, 41);
        assert_eq!(reloaded.events().len(), 41);
    }
}
