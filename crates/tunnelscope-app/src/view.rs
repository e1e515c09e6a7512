//! Building the view for a query from a dataset shard (pure; unit-tested natively).

use std::collections::HashSet;

use tunnelscope_core::Dataset;

use crate::protocol::View;

/// Builds the counters, file report and row windows for `query` over `dataset`.
///
/// An empty query matches everything. A query the core cannot parse is reported in
/// `query_error` and the view is left unfiltered, so the screen never silently lies.
pub fn build_view(dataset: &Dataset, generation: u64, query: &str, offset: usize, window: usize) -> View {
    let (matching, query_error) = matching_events(dataset, query);
    let stats = dataset.stats_of(matching.iter().map(|&i| &dataset.events()[i as usize]));
    let ids: HashSet<&str> = matching.iter().map(|&i| dataset.events()[i as usize].event_id.as_str()).collect();
    let all = matching.len() == dataset.events().len();
    let tunnels: Vec<_> =
        dataset.tunnel_rows().into_iter().filter(|r| all || ids.contains(r.event_id.as_str())).collect();
    let changes: Vec<_> =
        dataset.endpoint_change_rows().into_iter().filter(|r| all || ids.contains(r.event_id.as_str())).collect();
    View {
        generation,
        n_events_total: dataset.events().len() as u64,
        n_events: matching.len() as u64,
        stats,
        files: dataset.files().to_vec(),
        n_tunnel_rows: tunnels.len(),
        tunnels: window_of(tunnels, offset, window),
        n_endpoint_rows: changes.len(),
        endpoint_changes: window_of(changes, offset, window),
        offset,
        query_error,
    }
}

fn matching_events(dataset: &Dataset, query: &str) -> (Vec<u32>, Option<String>) {
    let all = || (0..dataset.events().len() as u32).collect::<Vec<_>>();
    if query.trim().is_empty() {
        return (all(), None);
    }
    match tunnelscope_core::query::Query::parse(query) {
        Ok(q) => (tunnelscope_core::query::matching_indices(dataset, &q, None), None),
        Err(e) => (all(), Some(e.to_string())),
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

    #[test]
    fn unfiltered_view_counts_everything_and_windows_rows() {
        let ds = sample();
        let v = build_view(&ds, 7, "", 0, 10);
        assert_eq!(v.generation, 7);
        assert_eq!(v.n_events, v.n_events_total);
        assert_eq!(v.stats.tunnels.total, 41);
        assert_eq!(v.n_tunnel_rows, 41);
        assert_eq!(v.tunnels.len(), 10);
        let page = build_view(&ds, 8, "", 40, 10);
        assert_eq!(page.tunnels.len(), 1);
    }

    #[test]
    fn query_narrows_rows_and_counters() {
        let ds = sample();
        let v = build_view(&ds, 1, "outcome:failed", 0, 100);
        assert_eq!(v.query_error, None);
        assert_eq!(v.stats.tunnels.total, 5);
        assert_eq!(v.n_tunnel_rows, 5);
        assert!(v.tunnels.iter().all(|t| t.outcome == "failed"));
    }

    #[test]
    fn a_bad_query_is_reported_not_ignored() {
        let ds = sample();
        let v = build_view(&ds, 1, "port:notanumber", 0, 100);
        assert!(v.query_error.is_some());
        assert_eq!(v.n_tunnel_rows, 41);
    }
}
