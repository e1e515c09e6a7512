//! CoveragePanel: which accounts, Regions and days the loaded data covers, its gaps, and
//! trail changes, so an empty result can be trusted or doubted.

use tunnelscope_core::views::Coverage;
use yew::prelude::*;

use crate::page::i18n::use_texts;

use crate::page::fmt::{fmt_time, visible};

/// Props of [`CoveragePanel`].
#[derive(Properties, PartialEq)]
pub struct CoveragePanelProps {
    /// The coverage.
    pub coverage: Coverage,
    /// Local time.
    pub local_time: bool,
}

/// The coverage panel.
#[function_component(CoveragePanel)]
pub fn coverage_panel(props: &CoveragePanelProps) -> Html {
    let c = &props.coverage;
    let t = use_texts();
    if c.days.is_empty() {
        return html! {};
    }
    let list = |items: &[String]| items.iter().map(|s| visible(s).into_owned()).collect::<Vec<_>>().join(", ");
    let first = c.days.first().map(|d| d.day.clone()).unwrap_or_default();
    let last = c.days.last().map(|d| d.day.clone()).unwrap_or_default();
    html! {
        <details class="coverage" data-testid="coverage">
            <summary>{(t.coverage)(c.accounts.len(), c.regions.len(), &first, &last, c.gaps.len(), c.trail_changes.len())}</summary>
            <p>{t.accounts}{list(&c.accounts)}</p>
            <p>{t.regions}{list(&c.regions)}</p>
            <p>{t.days_with_events}{for c.days.iter().map(|d| html! { <span class="coverage__day" title={(t.events_on_day)(&t.num(d.events))}>{format!("{} ({}) ", d.day, t.num(d.events))}</span> })}</p>
            if !c.gaps.is_empty() {
                <p class="coverage__gaps">{t.no_events_on}{c.gaps.iter().map(|(a, b)| if a == b { a.clone() } else { format!("{a} → {b}") }).collect::<Vec<_>>().join(", ")}</p>
            }
            if !c.trail_changes.is_empty() {
                <p>{t.trail_changes}</p>
                <ul>{for c.trail_changes.iter().map(|r| html! {
                    <li data-event-id={r.event_id.clone()}>{(t.trail_change)(&fmt_time(r.time_ms, props.local_time), &visible(&r.event_name), &visible(&r.principal), &visible(&r.region))}</li>
                })}</ul>
            }
        </details>
    }
}
