//! One load's prepared view ([`Prepared`], built once) and the page it shows for a request
//! ([`build_page`]): the rows, counters, histogram, lanes and endpoints under the query.

use std::cell::{Ref, RefCell};

use serde::{Deserialize, Serialize};

use super::event_rows_sorted;
use super::insight::{FindingMark, Insight, settings_from};
use super::{Coverage, EndpointLife, EventRow, Grouping, Histogram, Lane, SortOrder, ViewIndex, coverage};
use crate::dataset::{Dataset, EndpointChangeRow, FileReport, Stats, TunnelRow};
use crate::findings::{FindingCounts, FindingRow};
use crate::i18n::Said;
use crate::model::EndpointOp;
use crate::pairing::TunnelPairings;
use crate::query::{Query, QueryIndex, TimeWindow};
use crate::sessions::{DEFAULT_GAP_MS, SessionCounts, SessionRow, format_gap, parse_gap};

/// What is computed once per load and reused for every view: the query and view indexes,
/// tunnel pairing, the tunnel and endpoint-change rows and the coverage.
#[derive(Debug)]
pub struct Prepared {
    query_index: QueryIndex,
    view_index: ViewIndex,
    pairings: TunnelPairings,
    tunnel_rows: Vec<TunnelRow>,
    /// Event index of each tunnel row.
    tunnel_idx: Vec<u32>,
    change_rows: Vec<EndpointChangeRow>,
    change_idx: Vec<u32>,
    /// The call of each endpoint-change row, for the counts.
    change_ops: Vec<Option<EndpointOp>>,
    coverage: Coverage,
    extent: Option<(i64, i64)>,
    /// All events in time order, so the event table filters instead of sorting per view.
    time_order: Vec<u32>,
    /// Sessions and findings at the gap and settings last asked for (the defaults at first);
    /// rebuilt only when a request changes them.
    insight: RefCell<Insight>,
}

impl Prepared {
    /// Prepares a loaded dataset.
    pub fn new(dataset: &Dataset) -> Self {
        Self::new_marked(dataset, |_| {})
    }

    /// [`Prepared::new`], calling `mark` after each part (a profile's marks).
    pub fn new_marked(dataset: &Dataset, mut mark: impl FnMut(&'static str)) -> Self {
        mark("owner: prepare starts");
        let pairings = TunnelPairings::new(dataset);
        mark("owner: prepared pairings");
        let (tunnel_idx, tunnel_rows) = dataset.tunnel_rows_indexed(&pairings).into_iter().unzip();
        mark("owner: prepared tunnel rows");
        let (change_idx, change_rows): (Vec<u32>, Vec<_>) = dataset.endpoint_change_rows_indexed().into_iter().unzip();
        let change_ops =
            change_idx.iter().map(|&i| dataset.get(i).and_then(|e| e.endpoint_activity().and_then(|a| a.op))).collect();
        mark("owner: prepared change rows");
        let view_index = ViewIndex::new(dataset);
        mark("owner: prepared view index");
        let query_index = QueryIndex::new(dataset);
        mark("owner: prepared query index");
        let extent = view_index.time_extent_all(dataset);
        let coverage = coverage(dataset);
        mark("owner: prepared coverage");
        let time_order = dataset.time_order();
        mark("owner: prepared time order");
        let insight = RefCell::new(Insight::new(dataset, &pairings, DEFAULT_GAP_MS, Default::default()));
        mark("owner: prepared sessions and findings");
        Self {
            insight,
            query_index,
            extent,
            view_index,
            pairings,
            tunnel_rows,
            tunnel_idx,
            change_rows,
            change_idx,
            change_ops,
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
            Ok(mut q) => {
                if q.needs_marks() {
                    q.bind(&self.insight.borrow().marks(&self.pairings));
                }
                (self.query_index.matching_indices(dataset, &q, window), None)
            }
            Err(e) => (self.query_index.matching_indices(dataset, &Query::default(), window), Some(e.to_string())),
        }
    }

    /// The sessions and findings for a gap (as typed: `10m`, `90s`; empty for the default) and
    /// findings settings (`RULE.PARAM=VALUE` lines), rebuilt when they differ from the last
    /// ones; the messages of what could not be read (which then keeps its default).
    pub fn set_insight(&self, dataset: &Dataset, gap: &str, settings: &[String]) -> Vec<String> {
        let mut errors = Vec::new();
        let gap_ms = if gap.trim().is_empty() {
            DEFAULT_GAP_MS
        } else {
            parse_gap(gap).unwrap_or_else(|| {
                errors.push(format!("gap {gap:?}: expected a duration such as 10m, 90s or 1h30m"));
                DEFAULT_GAP_MS
            })
        };
        let (settings, mut bad) = settings_from(settings);
        errors.append(&mut bad);
        let stale = {
            let now = self.insight.borrow();
            now.gap_ms() != gap_ms || now.settings() != &settings
        };
        if stale {
            *self.insight.borrow_mut() = Insight::new(dataset, &self.pairings, gap_ms, settings);
        }
        errors
    }

    /// The sessions and findings in use.
    pub fn insight(&self) -> Ref<'_, Insight> {
        self.insight.borrow()
    }

    /// Every tunnel's pairing, computed once.
    pub fn pairings(&self) -> &TunnelPairings {
        &self.pairings
    }

    /// Every tunnel row, in time order, and each one's event index.
    pub fn tunnel_rows(&self) -> (&[TunnelRow], &[u32]) {
        (&self.tunnel_rows, &self.tunnel_idx)
    }

    /// Every event's index in time order.
    pub fn time_order(&self) -> &[u32] {
        &self.time_order
    }

    /// A mask of the events matching the query and window: (mask, matching indices, error).
    pub fn mask(
        &self,
        dataset: &Dataset,
        query: &str,
        window: Option<TimeWindow>,
    ) -> (Vec<bool>, Vec<u32>, Option<String>) {
        let (matching, error) = self.matching(dataset, query, window);
        let mut mask = vec![false; dataset.len()];
        for &i in &matching {
            mask[i as usize] = true;
        }
        (mask, matching, error)
    }
}

/// What a page asks to see: the query, the brushed window and the table settings.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct PageRequest {
    /// The query text (contracts.md §5).
    pub query: String,
    /// The brushed time window, if any.
    pub window: Option<TimeWindow>,
    /// Timeline lanes by.
    pub grouping: Grouping,
    /// Event table: EICE-related events only.
    pub eice_only: bool,
    /// Event table order.
    pub order: SortOrder,
    /// Tunnel and endpoint-change window start.
    pub offset: usize,
    /// Event table window start.
    pub event_offset: usize,
    /// The session gap as typed (`10m`, `90s`, `1h30m`); empty for the default 10 minutes.
    #[serde(default)]
    pub gap: String,
    /// Findings settings, `RULE.PARAM=VALUE` each (see `findings::PARAMS`).
    #[serde(default)]
    pub settings: Vec<String>,
    /// Sessions table: order and window start.
    #[serde(default)]
    pub session_sort: SessionSort,
    #[serde(default)]
    pub session_offset: usize,
    /// Findings list: newest first instead of most severe first; window start.
    #[serde(default)]
    pub findings_newest_first: bool,
    #[serde(default)]
    pub finding_offset: usize,
}

/// How the sessions table is ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SessionSort {
    /// Oldest first (start, then session ID).
    #[default]
    Start,
    /// Newest first.
    StartDesc,
    /// Most tunnels first.
    Tunnels,
    /// Most failed attempts first.
    Failed,
    /// Longest possible span (latest end − start) first.
    Span,
    /// By principal, then start.
    Principal,
}

impl SessionSort {
    /// Every order, as the table's headers offer them.
    pub const ALL: [SessionSort; 6] =
        [Self::Start, Self::StartDesc, Self::Tunnels, Self::Failed, Self::Span, Self::Principal];

    /// The name used in URLs and serde.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Start => "start",
            Self::StartDesc => "start-desc",
            Self::Tunnels => "tunnels",
            Self::Failed => "failed",
            Self::Span => "span",
            Self::Principal => "principal",
        }
    }

    /// The order of this name.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|o| o.as_str() == s.trim())
    }
}

/// How much of each list a page holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageSizes {
    /// Tunnel and endpoint-change rows per window.
    pub rows: usize,
    /// Event-table rows per window.
    pub event_rows: usize,
    /// Buckets of the overview histogram.
    pub histogram_buckets: usize,
    /// Sessions-table and findings-list rows per window.
    pub summary_rows: usize,
}

/// Everything the screen shows for one request.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Page {
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
    /// The query's error, shown inline; the view is then unfiltered.
    pub query_error: Option<String>,
    /// Distinct source IPs of matching events.
    pub n_source_ips: u64,
    /// The loaded time range (all events), for the overview and the timeline.
    pub extent: Option<(i64, i64)>,
    /// Matching events over the loaded range (ignoring the brushed window).
    pub histogram: Histogram,
    /// Timeline lanes of matching tunnels.
    pub lanes: Vec<Lane>,
    /// Endpoint lifecycles named by matching events.
    pub endpoints: Vec<EndpointLife>,
    /// Matching event-table rows in all.
    pub n_event_rows: usize,
    /// A window of event-table rows.
    pub event_rows: Vec<EventRow>,
    /// Accounts, Regions, days and trail changes in the loaded data.
    pub coverage: Coverage,
    /// Tunnels and endpoint activity in all the loaded data, whatever the filter.
    pub n_eice_total: u64,
    /// Sessions in the view (contracts.md §7) and their counts.
    pub n_sessions: usize,
    pub session_counts: SessionCounts,
    /// A window of the sessions in the view, in the requested order.
    pub sessions: Vec<SessionRow>,
    /// The gap in use, as [`format_gap`] writes it.
    pub gap: String,
    /// Findings with evidence in the view (contracts.md §8) and their counts by severity.
    pub n_findings: usize,
    pub finding_counts: FindingCounts,
    /// A window of those findings, most severe (or newest) first.
    pub findings: Vec<FindingRow>,
    /// Each of those findings' sentence as data, for the page's language (`findings[k]`'s is
    /// `findings_said[k]`).
    #[serde(default)]
    pub findings_said: Vec<Said>,
    /// Every finding in the view where the timeline marks it (at most [`MAX_FINDING_MARKS`],
    /// most severe first).
    pub finding_marks: Vec<FindingMark>,
    /// What in the gap or the findings settings could not be read (defaults used instead).
    pub settings_errors: Vec<String>,
}

/// The timeline marks at most this many findings (the list pages through all of them).
pub const MAX_FINDING_MARKS: usize = 2000;

/// A window of `max` rows from `offset` among those whose event is in `mask`, and their number.
fn matching_rows<T: Clone>(rows: &[T], idx: &[u32], mask: &[bool], offset: usize, max: usize) -> (usize, Vec<T>) {
    let mut total = 0;
    let mut out = Vec::new();
    for (row, &i) in rows.iter().zip(idx) {
        if mask.get(i as usize).copied().unwrap_or(false) {
            if total >= offset && out.len() < max {
                out.push(row.clone());
            }
            total += 1;
        }
    }
    (total, out)
}

/// The counts over matching events (contracts.md §3 `stats`, §4 counters), from the compact
/// per-load index rather than the events' strings; the accounting part is over all files, as
/// [`Dataset::stats_of`] gives it, and equals `stats_of` over the matching events.
fn stats_from(
    dataset: &Dataset,
    prep: &Prepared,
    c: &super::Counters,
    mask: &[bool],
    endpoints: &[EndpointLife],
) -> Stats {
    let mut stats = dataset.stats_of(std::iter::empty());
    stats.tunnels.total = c.tunnels;
    stats.tunnels.failed = c.failed_tunnels;
    stats.principals = c.principals;
    stats.endpoints = endpoints.iter().map(|e| e.endpoint_id.clone()).collect();
    for (&op, &i) in prep.change_ops.iter().zip(&prep.change_idx) {
        if let Some(op) = op.filter(|_| mask.get(i as usize).copied().unwrap_or(false)) {
            stats.endpoint_changes.count(op);
        }
    }
    stats
}

/// Builds everything the screen shows for `req` over a prepared `dataset`.
pub fn build_page(dataset: &Dataset, prep: &Prepared, req: &PageRequest, sizes: PageSizes) -> Page {
    let settings_errors = prep.set_insight(dataset, &req.gap, &req.settings);
    let (mask, matching, query_error) = prep.mask(dataset, &req.query, req.window);
    let insight = prep.insight();
    let shown = |i: u32| mask.get(i as usize).copied().unwrap_or(false);
    let mut in_view = insight.sessions_in(shown);
    let session_counts = insight.session_counts(&in_view);
    sort_sessions(dataset, &insight, &mut in_view, req.session_sort);
    let sessions = in_view
        .iter()
        .skip(req.session_offset)
        .take(sizes.summary_rows)
        .filter_map(|&s| insight.session_row(dataset, &prep.pairings, s))
        .collect();
    let mut found = insight.findings_in(shown);
    let finding_counts = insight.finding_counts(&found);
    if req.findings_newest_first {
        let all = insight.findings();
        found.sort_by(|&a, &b| all[b].last.cmp(&all[a].last).then_with(|| all[a].finding_id.cmp(&all[b].finding_id)));
    }
    let finding_marks = {
        let mut by_severity = found.clone();
        by_severity.sort_unstable();
        by_severity.iter().take(MAX_FINDING_MARKS).filter_map(|&k| insight.finding_mark(k)).collect()
    };
    let window: Vec<usize> = found.iter().skip(req.finding_offset).take(sizes.summary_rows).copied().collect();
    let findings = window.iter().map(|&k| insight.findings()[k].clone()).collect();
    let findings_said = window.iter().map(|&k| insight.said(k).clone()).collect();
    let mut lanes = prep.view_index.lanes(dataset, &matching, req.grouping, Some(&prep.pairings));
    super::attach_sessions(dataset, &insight, &mut lanes);
    let (n_tunnel_rows, tunnels) = matching_rows(&prep.tunnel_rows, &prep.tunnel_idx, &mask, req.offset, sizes.rows);
    let (n_endpoint_rows, endpoint_changes) =
        matching_rows(&prep.change_rows, &prep.change_idx, &mask, req.offset, sizes.rows);
    let endpoints = prep.view_index.endpoint_lives(dataset, &matching);
    let counters = prep.view_index.counters(dataset, &matching);
    let stats = stats_from(dataset, prep, &counters, &mask, &endpoints);
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
            prep.view_index.histogram(dataset, idx, range, sizes.histogram_buckets)
        }
        None => Histogram::default(),
    };
    // The global time order filtered by the mask: linear, no sort and no copy per view.
    let keep = |i: u32| mask[i as usize] && (!req.eice_only || dataset.is_eice(i));
    let (mut n_event_rows, mut window) = (0usize, Vec::with_capacity(sizes.event_rows));
    let mut take = |i: u32| {
        if keep(i) {
            if n_event_rows >= req.event_offset && window.len() < sizes.event_rows {
                window.push(i);
            }
            n_event_rows += 1;
        }
    };
    match req.order {
        SortOrder::TimeAsc => prep.time_order.iter().for_each(|&i| take(i)),
        SortOrder::TimeDesc => prep.time_order.iter().rev().for_each(|&i| take(i)),
    }
    let event_rows = event_rows_sorted(dataset, &window, 0, sizes.event_rows);
    Page {
        n_events_total: dataset.len() as u64,
        n_events: matching.len() as u64,
        stats,
        files: dataset.files().to_vec(),
        n_tunnel_rows,
        tunnels,
        n_endpoint_rows,
        endpoint_changes,
        query_error,
        n_source_ips: counters.source_ips,
        extent,
        histogram,
        lanes,
        endpoints,
        n_event_rows,
        event_rows,
        coverage: prep.coverage.clone(),
        n_eice_total: (prep.tunnel_rows.len() + prep.change_rows.len()) as u64,
        n_sessions: in_view.len(),
        session_counts,
        sessions,
        gap: format_gap(insight.gap_ms()),
        n_findings: found.len(),
        finding_counts,
        findings,
        findings_said,
        finding_marks,
        settings_errors,
    }
}

/// Orders session indices as the table asks (ties: start, then first tunnel's position).
fn sort_sessions(dataset: &Dataset, insight: &Insight, list: &mut [u32], order: SessionSort) {
    let all = insight.sessions();
    let at = |s: u32| &all[s as usize];
    match order {
        // Sessions come in order of their first tunnel already.
        SessionSort::Start => {}
        SessionSort::StartDesc => list.reverse(),
        SessionSort::Tunnels => list.sort_by_key(|&s| std::cmp::Reverse(at(s).tunnels)),
        SessionSort::Failed => list.sort_by_key(|&s| std::cmp::Reverse(at(s).failed)),
        SessionSort::Span => list.sort_by_key(|&s| std::cmp::Reverse(at(s).latest_end_ms - at(s).start_ms)),
        SessionSort::Principal => {
            let name = |s: u32| {
                insight.tunnels_of(s).next().and_then(|i| dataset.get(i)).map(|e| e.principal).unwrap_or_default()
            };
            list.sort_by_cached_key(|&s| name(s).to_lowercase());
        }
    }
}
