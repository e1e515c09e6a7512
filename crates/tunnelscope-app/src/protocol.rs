//! The worker protocol: the only API between the UI thread and the engine workers.
//!
//! Messages are JSON text (serde) in a JS object `{json, files?}`; `File` objects travel
//! beside the JSON so the worker can read them in slices. Every request that produces a view
//! carries a `generation`, and the UI drops responses older than the newest it asked for.
//! The pool is built for several workers, each owning a shard: loads go to one worker, queries
//! fan out and their answers merge (see ARCHITECTURE.md).

use serde::{Deserialize, Serialize};
use tunnelscope_core::dataset::{EndpointChangeRow, FileReport, Stats, TunnelRow};

/// Bytes read from a `File` per slice (the worker never holds a JS string of the file).
pub const SLICE_BYTES: u64 = 8 << 20;
/// Rows sent per window request.
pub const WINDOW_ROWS: usize = 500;

/// UI → worker.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Request {
    /// Read the `File`s sent beside this message; `names` are their paths, in the same order.
    Load {
        /// Identifies the load in progress messages.
        load_id: u64,
        /// Paths as the user gave them (relative paths for folders).
        names: Vec<String>,
    },
    /// Load the built-in sample dataset.
    LoadSample {
        /// Identifies the load.
        load_id: u64,
    },
    /// Empty the dataset.
    Clear,
    /// Recompute the view for a query.
    View {
        /// The view's generation.
        generation: u64,
        /// The query text (contracts.md §5).
        query: String,
        /// Row window start for tunnels and endpoint changes.
        offset: usize,
    },
}

/// Worker → UI.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Response {
    /// The worker's wasm is initialised and it accepts requests.
    Ready,
    /// Bytes and files read so far in a load.
    Progress {
        /// The load.
        load_id: u64,
        /// Files finished.
        files_done: usize,
        /// Files in the load.
        files_total: usize,
        /// Bytes read.
        bytes_done: u64,
        /// Bytes in the load.
        bytes_total: u64,
    },
    /// A load finished; a `View` follows when the UI asks for it.
    Loaded {
        /// The load.
        load_id: u64,
    },
    /// The view for a query: counters, the file report and a window of rows.
    View(Box<View>),
    /// A request failed as a whole (never for bad input, which is reported per file).
    Failed {
        /// What went wrong.
        message: String,
    },
}

/// Everything the screen shows for one query.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct View {
    /// The generation it answers.
    pub generation: u64,
    /// Events loaded in all.
    pub n_events_total: u64,
    /// Events matching the query.
    pub n_events: u64,
    /// Counts over matching events (accounting over everything).
    pub stats: Stats,
    /// Per-file reports.
    pub files: Vec<FileReport>,
    /// Matching tunnels in all.
    pub n_tunnel_rows: usize,
    /// A window of matching tunnels, in time order.
    pub tunnels: Vec<TunnelRow>,
    /// Matching endpoint changes in all.
    pub n_endpoint_rows: usize,
    /// A window of matching endpoint changes, in time order.
    pub endpoint_changes: Vec<EndpointChangeRow>,
    /// Where the windows start.
    pub offset: usize,
    /// The query's error, shown inline; the view is then unfiltered.
    pub query_error: Option<String>,
}

impl View {
    /// Merges shard views into one (files and rows concatenated, counts added, rows re-sorted).
    pub fn merge(mut parts: Vec<View>) -> View {
        let Some(mut out) = parts.pop() else {
            return View::default();
        };
        for p in parts {
            out.n_events_total += p.n_events_total;
            out.n_events += p.n_events;
            out.stats.files.read += p.stats.files.read;
            out.stats.files.skipped += p.stats.files.skipped;
            out.stats.files.rejected += p.stats.files.rejected;
            out.stats.records.loaded += p.stats.records.loaded;
            out.stats.records.duplicates += p.stats.records.duplicates;
            out.stats.records.invalid += p.stats.records.invalid;
            out.stats.tunnels.total += p.stats.tunnels.total;
            out.stats.tunnels.failed += p.stats.tunnels.failed;
            out.stats.endpoint_changes.create += p.stats.endpoint_changes.create;
            out.stats.endpoint_changes.modify += p.stats.endpoint_changes.modify;
            out.stats.endpoint_changes.delete += p.stats.endpoint_changes.delete;
            out.stats.endpoint_changes.describe += p.stats.endpoint_changes.describe;
            out.stats.endpoints.extend(p.stats.endpoints);
            out.stats.principals += p.stats.principals;
            out.stats.problems.extend(p.stats.problems);
            out.files.extend(p.files);
            out.n_tunnel_rows += p.n_tunnel_rows;
            out.tunnels.extend(p.tunnels);
            out.n_endpoint_rows += p.n_endpoint_rows;
            out.endpoint_changes.extend(p.endpoint_changes);
            out.query_error = out.query_error.or(p.query_error);
        }
        out.stats.endpoints.sort();
        out.stats.endpoints.dedup();
        out.files.sort_by(|a, b| a.name.cmp(&b.name));
        out.tunnels.sort_by(|a, b| (&a.time, &a.event_id).cmp(&(&b.time, &b.event_id)));
        out.endpoint_changes.sort_by(|a, b| (&a.time, &a.event_id).cmp(&(&b.time, &b.event_id)));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_round_trip_as_json() {
        let r = Request::Load { load_id: 3, names: vec!["a/b.json.gz".into()] };
        let text = serde_json::to_string(&r).unwrap();
        assert_eq!(serde_json::from_str::<Request>(&text).unwrap(), r);
    }

    #[test]
    fn merge_adds_counts_and_orders_rows() {
        let mut a = View { n_events: 2, n_tunnel_rows: 1, ..View::default() };
        a.stats.endpoints = vec!["eice-b".into()];
        a.stats.tunnels.total = 1;
        let mut b = View { n_events: 3, ..View::default() };
        b.stats.endpoints = vec!["eice-a".into(), "eice-b".into()];
        b.stats.tunnels.total = 2;
        let m = View::merge(vec![a, b]);
        assert_eq!(m.n_events, 5);
        assert_eq!(m.stats.tunnels.total, 3);
        assert_eq!(m.stats.endpoints, vec!["eice-a", "eice-b"]);
    }
}
