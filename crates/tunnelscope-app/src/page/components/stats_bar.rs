//! StatsBar: the counters over the events matching the current query.

use crate::page::i18n::use_texts;
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
    let t = use_texts();
    html! {
        <div class="stats-bar">
            {stat("stat-events", t.stat_events, props.n_events)}
            {stat("stat-tunnels", t.stat_tunnels, s.tunnels.total)}
            {stat("stat-failed-tunnels", t.stat_failed_tunnels, s.tunnels.failed)}
            {stat("stat-endpoints", t.stat_endpoints, s.endpoints.len() as u64)}
            {stat("stat-principals", t.stat_principals, s.principals)}
            {stat("stat-source-ips", t.stat_source_ips, props.n_source_ips)}
            {stat("stat-sessions", t.stat_sessions, props.n_sessions)}
            {stat("stat-findings", t.stat_findings, props.n_findings)}
            <div class="stats-bar__accounting" data-testid="stat-accounting"
                data-files-read={s.files.read.to_string()} data-files-skipped={s.files.skipped.to_string()}
                data-files-rejected={s.files.rejected.to_string()} data-records-loaded={s.records.loaded.to_string()}
                data-records-duplicates={s.records.duplicates.to_string()} data-records-invalid={s.records.invalid.to_string()}>
                {(t.accounting)([
                    &t.num(s.files.read), &t.num(s.files.skipped), &t.num(s.files.rejected),
                    &t.num(s.records.loaded), &t.num(s.records.duplicates), &t.num(s.records.invalid),
                ])}
            </div>
        </div>
    }
}
