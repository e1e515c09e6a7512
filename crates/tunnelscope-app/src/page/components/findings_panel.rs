//! FindingsPanel: what deserves a second look (contracts.md §8): counts by severity, one line
//! per finding in the view (most severe or newest first), the open finding's rule explained,
//! and the rules' settings (thresholds, working hours, allow-list), kept in the URL.

use tunnelscope_core::findings::{FindingCounts, FindingRow, RULES};
use tunnelscope_core::i18n::{Said, Texts};
use tunnelscope_core::query::format_term;
use web_sys::HtmlTextAreaElement;
use yew::prelude::*;

use crate::protocol::SUMMARY_WINDOW_ROWS;

use crate::page::components::event_table::on_row_key;
use crate::page::components::pager::Pager;
use crate::page::fmt::{fmt_rfc3339, visible};
use crate::page::i18n::use_texts;

/// Props of [`FindingsPanel`].
#[derive(Properties, PartialEq)]
pub struct FindingsPanelProps {
    /// The window of findings.
    pub rows: Vec<FindingRow>,
    /// Their sentences as data (`rows[k]`'s is `said[k]`), said in the page's language.
    #[prop_or_default]
    pub said: Vec<Said>,
    /// Findings in the view in all, and by severity.
    pub total: usize,
    pub counts: FindingCounts,
    pub offset: usize,
    pub newest_first: bool,
    /// The settings as given, and what in them could not be read.
    pub settings: Vec<String>,
    pub errors: Vec<String>,
    /// The query, to tell which finding is open.
    pub query: String,
    #[prop_or_default]
    pub local_time: bool,
    pub on_page: Callback<usize>,
    pub on_newest: Callback<bool>,
    pub on_settings: Callback<Vec<String>>,
    /// Called with a finding ID to open it (its evidence becomes the view).
    pub on_open: Callback<String>,
    /// Called with a query to apply (a severity's evidence).
    pub on_query: Callback<String>,
}

fn finding_row(r: &FindingRow, said: Option<&Said>, t: &Texts, props: &FindingsPanelProps) -> Html {
    let open = props.query.trim() == format_term("finding", &r.finding_id);
    let id = r.finding_id.clone();
    let on_click = props.on_open.reform(move |_: MouseEvent| id.clone());
    let sev = r.severity.as_str();
    let about = (t.rule_about)(&r.rule);
    let explanation = match said {
        Some(s) if s.rule == r.rule => (t.explain)(s),
        _ => r.explanation.clone(),
    };
    html! {
        <li class={classes!("findings__item", open.then_some("findings__item--open"))}>
            <div class="findings__row" data-testid="finding-row" data-finding-id={r.finding_id.clone()} data-rule={r.rule.clone()}
                data-severity={sev} tabindex="0" role="button" aria-expanded={open.to_string()}
                onclick={on_click} onkeydown={on_row_key(&props.on_open, &r.finding_id)}>
                <span class={classes!("findings__sev", format!("findings__sev--{sev}"))}>{(t.severity)(sev)}</span>
                <span class="findings__rule mono">{r.rule.clone()}</span>
                <span class="findings__text">{visible(&explanation).into_owned()}</span>
                <span class="findings__when mono muted">{fmt_rfc3339(&r.first, props.local_time)}</span>
            </div>
            if open {
                <div class="findings__detail" data-testid="finding-detail">
                    <p>{about}</p>
                    <p class="muted">{(t.evidence_line)(r.event_ids.len(), &fmt_rfc3339(&r.first, props.local_time), &fmt_rfc3339(&r.last, props.local_time))}
                        {visible(&r.subject).into_owned()}{format!(" · {} {}", t.finding, r.finding_id)}</p>
                </div>
            }
        </li>
    }
}

fn chip(label: &'static str, n: u64, t: &Texts, props: &FindingsPanelProps) -> Html {
    let on_click = props.on_query.reform(move |_: MouseEvent| format!("severity:{label}"));
    html! {
        <button class={classes!("findings__chip", format!("findings__sev--{label}"))} data-testid={format!("findings-{label}")}
            data-count={n.to_string()} disabled={n == 0} onclick={on_click} title={(t.severity_chip_title)((t.severity)(label))}>
            {format!("{} {}", t.num(n), (t.severity)(label))}
        </button>
    }
}

/// The findings panel.
#[function_component(FindingsPanel)]
pub fn findings_panel(props: &FindingsPanelProps) -> Html {
    let text = use_node_ref();
    let on_apply = {
        let (text, cb) = (text.clone(), props.on_settings.clone());
        Callback::from(move |_: MouseEvent| {
            if let Some(area) = text.cast::<HtmlTextAreaElement>() {
                let lines = area.value().lines().map(str::trim).filter(|l| !l.is_empty()).map(str::to_owned).collect();
                cb.emit(lines);
            }
        })
    };
    let on_newest = props.on_newest.reform({
        let newest = props.newest_first;
        move |_: MouseEvent| !newest
    });
    let c = props.counts;
    let t = use_texts();
    let rules: Vec<&str> = RULES.iter().map(|r| r.name).collect();
    html! {
        <section class="findings" data-testid="findings-panel">
            <div class="findings__bar">
                <h2>{(t.findings_title)(&t.num(props.total as u64))}</h2>
                {chip("high", c.high, t, props)}
                {chip("medium", c.medium, t, props)}
                {chip("low", c.low, t, props)}
                {chip("info", c.info, t, props)}
                <button class="link" data-testid="findings-order" onclick={on_newest}>
                    {if props.newest_first { t.newest_first } else { t.most_severe_first }}
                </button>
            </div>
            if !props.errors.is_empty() {
                <ul class="filter-bar__error" data-testid="settings-errors">
                    {for props.errors.iter().map(|e| html! { <li>{e.clone()}</li> })}
                </ul>
            }
            if props.total == 0 {
                <p class="empty">{t.no_findings}</p>
            } else {
                <ul class="findings__list">{for props.rows.iter().enumerate().map(|(k, r)| finding_row(r, props.said.get(k), t, props))}</ul>
                <Pager total={props.total} offset={props.offset} shown={props.rows.len()} on_page={props.on_page.clone()} page_size={SUMMARY_WINDOW_ROWS} />
            }
            <details class="findings__settings">
                <summary>{t.rule_settings}{if props.settings.is_empty() { String::new() } else { (t.changed)(props.settings.len()) }}</summary>
                <p class="muted">{(t.settings_help)(&rules.join(", "))}</p>
                <p class="muted">{t.for_example}{"off-hours.offset=+02:00 · off-hours.start=8 · unknown-source.allow=198.51.100.0/24,203.0.113.0/24 · failed-burst.min=5"}</p>
                <textarea ref={text} data-testid="findings-settings" rows="4" cols="60" spellcheck="false"
                    value={props.settings.join("\n")} aria-label={t.settings_label} />
                <div><button data-testid="apply-settings" onclick={on_apply}>{t.apply}</button></div>
            </details>
        </section>
    }
}
