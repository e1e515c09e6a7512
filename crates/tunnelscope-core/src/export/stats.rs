//! `stats --json`'s document (contracts.md §3, §7, §8): the counts, the sessions and findings
//! counts, and every file's own accounting, for the events a filter keeps.

use serde::Serialize;

use crate::dataset::{Dataset, FileDetail, Stats};
use crate::findings::FindingCounts;
use crate::sessions::SessionCounts;
use crate::views::insight::Insight;

/// The document: the contract's keys, then `sessions`, `findings` and `files_detail`.
#[derive(Debug, Serialize)]
pub struct StatsDoc<'a> {
    #[serde(flatten)]
    pub stats: &'a Stats,
    /// Sessions (default gap) with a tunnel the filter keeps.
    pub sessions: SessionCounts,
    /// Findings (default settings) with an evidence event the filter keeps.
    pub findings: FindingCounts,
    /// Every file, in the order it was added (sorted paths), as the page's load report has it.
    pub files_detail: Vec<FileDetail>,
}

/// The document of `ds` with `stats` (its own or a filter's), counting the sessions and findings
/// of `insight` (default gap and settings) that have an event `keeps` accepts (by dataset
/// index; `|_| true` without a filter).
pub fn stats_doc<'a>(ds: &Dataset, stats: &'a Stats, insight: &Insight, keeps: impl Fn(u32) -> bool) -> StatsDoc<'a> {
    StatsDoc {
        stats,
        sessions: insight.session_counts(&insight.sessions_in(&keeps)),
        findings: insight.finding_counts(&insight.findings_in(&keeps)),
        files_detail: ds.files().iter().map(|f| f.detail()).collect(),
    }
}
