//! StatsBar: the counters over the events matching the current query.

use tunnelscope_core::Stats;
use yew::prelude::*;

/// Props of [`StatsBar`].
#[derive(Properties, PartialEq)]
pub struct StatsBarProps {
    /// Matching events.
    pub n_events: u64,
    /// Counts over the matching events.
    pub stats: Stats,
    /// Distinct source IPs of matching events.
    #[prop_or_default]
    pub n_source_ips: u64,
    /// Sessions in the view, and findings with evidence in it.
    #[prop_or_default]
    pub n_sessions: u64,
    #[prop_or_default]
    pub n_findings: u64,
}

fn stat(testid: &'static str, label: &'static str, value: u64) -> Html {
    html! {
        <div class="stats-bar__stat">
            <span class="stats-bar__value" data-testid={testid}>{value}</span>
            <span class="stats-bar__label">{label}</span>
        </div>
    }
}

/// The counters.
#[function_component(StatsBar)]
pub fn stats_bar(props: &StatsBarProps) -> Html {
    let s = &props.stats;
    html! {
        <div class="stats-bar">
            {stat("stat-events", "events", props.n_events)}
            {stat("stat-tunnels", "tunnels", s.tunnels.total)}
            {stat("stat-failed-tunnels", "failed tunnels", s.tunnels.failed)}
            {stat("stat-endpoints", "endpoints", s.endpoints.len() as u64)}
            {stat("stat-principals", "principals", s.principals)}
            {stat("stat-source-ips", "source IPs", props.n_source_ips)}
            {stat("stat-sessions", "sessions", props.n_sessions)}
            {stat("stat-findings", "findings", props.n_findings)}
            <div class="stats-bar__accounting" data-testid="stat-accounting"
                data-files-read={s.files.read.to_string()} data-files-skipped={s.files.skipped.to_string()}
                data-files-rejected={s.files.rejected.to_string()} data-records-loaded={s.records.loaded.to_string()}
                data-records-duplicates={s.records.duplicates.to_string()} data-records-invalid={s.records.invalid.to_string()}>
                {format!(
                    "files: {} read, {} skipped, {} rejected · records: {} loaded, {} duplicates, {} invalid",
                    s.files.read, s.files.skipped, s.files.rejected, s.records.loaded, s.records.duplicates, s.records.invalid
                )}
            </div>
        </div>
    }
}
