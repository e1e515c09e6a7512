//! A load's sessions (contracts.md §7) and findings (§8), prepared once per gap and per
//! findings settings beside the other indexes, and what the query terms `session:`,
//! `finding:` and `severity:` select from them.

use hashbrown::HashMap;
use serde::{Deserialize, Serialize};

use crate::dataset::Dataset;
use crate::findings::{self, FindingCounts, FindingRow, Settings, Severity};
use crate::i18n::Said;
use crate::pairing::TunnelPairings;
use crate::query::{FindingSel, Marks};
use crate::sessions::{self, DEFAULT_GAP_MS, Session, SessionCounts, SessionRow, Sessions};

/// The sessions at one gap and the findings at one set of settings, over every loaded event.
#[derive(Debug, Clone)]
pub struct Insight {
    gap_ms: i64,
    settings: Settings,
    /// The tunnels' dataset indices in (time, event ID) order: the sessions' input.
    order: Vec<u32>,
    sessions: Sessions,
    /// Session index by session ID (its first tunnel's event ID).
    by_id: HashMap<String, u32>,
    /// Session index by tunnel (dataset index).
    session_of: HashMap<u32, u32>,
    /// Every finding, most severe first.
    rows: Vec<FindingRow>,
    /// Per finding, its sentence as data.
    said: Vec<Said>,
    /// Per finding, its evidence's dataset indices, ascending.
    evidence: Vec<Vec<u32>>,
    /// Per finding, its first and last evidence time, ms.
    spans: Vec<(i64, i64)>,
}

impl Insight {
    /// Groups the tunnels of `ds` with `gap_ms` and runs the rules with `settings`.
    pub fn new(ds: &Dataset, pairings: &TunnelPairings, gap_ms: i64, settings: Settings) -> Self {
        let (order, sessions) = sessions::of_dataset(ds, gap_ms);
        let mut by_id = HashMap::with_capacity(sessions.sessions.len());
        for (s, session) in sessions.sessions.iter().enumerate() {
            if let Some(e) = ds.get(order[session.first as usize]) {
                by_id.insert(e.event_id.to_string(), s as u32);
            }
        }
        let session_of = order.iter().zip(&sessions.session_of).map(|(&i, &s)| (i, s)).collect();
        let (index, events) = findings::inputs(ds, pairings);
        let found = findings::find(&events, &settings);
        let rows = found.iter().map(|f| FindingRow::of(f, &events)).collect();
        let evidence = found
            .iter()
            .map(|f| {
                let mut v: Vec<u32> = f.evidence.iter().map(|&e| index[e as usize]).collect();
                v.sort_unstable();
                v.dedup();
                v
            })
            .collect();
        let spans = found.iter().map(|f| (f.first_ms, f.last_ms)).collect();
        let said = found.into_iter().map(|f| f.said).collect();
        Self { gap_ms, settings, order, sessions, by_id, session_of, rows, said, evidence, spans }
    }

    /// The gap the sessions were grouped with, ms.
    pub fn gap_ms(&self) -> i64 {
        self.gap_ms
    }

    /// The settings the findings were found with.
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// Every session, in order of its first tunnel.
    pub fn sessions(&self) -> &[Session] {
        &self.sessions.sessions
    }

    /// The session of the tunnel at this dataset index.
    pub fn session_of(&self, index: u32) -> Option<u32> {
        self.session_of.get(&index).copied()
    }

    /// The session with this ID.
    pub fn session_by_id(&self, id: &str) -> Option<u32> {
        self.by_id.get(id).copied()
    }

    /// The dataset indices of session `s`'s tunnels, in order.
    pub fn tunnels_of(&self, s: u32) -> impl Iterator<Item = u32> + '_ {
        self.sessions.tunnels_of(s as usize).iter().map(|&t| self.order[t as usize])
    }

    /// The sessions in the view: those with a tunnel `shown` accepts (by dataset index).
    pub fn sessions_in(&self, shown: impl Fn(u32) -> bool) -> Vec<u32> {
        self.sessions.matching(|t| shown(self.order[t as usize]))
    }

    /// The counts of `stats` for sessions `shown` (as [`Insight::sessions_in`] gives them).
    pub fn session_counts(&self, shown: &[u32]) -> SessionCounts {
        self.sessions.counts(shown)
    }

    /// Session `s` as the CLI's row.
    pub fn session_row(&self, ds: &Dataset, pairings: &TunnelPairings, s: u32) -> Option<SessionRow> {
        sessions::session_row(ds, pairings, &self.order, &self.sessions, s as usize)
    }

    /// Every finding, most severe first.
    pub fn findings(&self) -> &[FindingRow] {
        &self.rows
    }

    /// Finding `k`'s sentence as data.
    pub fn said(&self, k: usize) -> &Said {
        static NONE: Said = Said {
            rule: String::new(),
            subject: String::new(),
            n: 0,
            within_ms: None,
            accepted: 0,
            failed: false,
            ports: Vec::new(),
            targets: Vec::new(),
            names: Vec::new(),
            who: Vec::new(),
            span_ms: 0,
            at: String::new(),
            day_start: 0,
            day_end: 0,
            offset: String::new(),
            ip: String::new(),
        };
        self.said.get(k).unwrap_or(&NONE)
    }

    /// The evidence of finding `k`: dataset indices, ascending.
    pub fn evidence(&self, k: usize) -> &[u32] {
        self.evidence.get(k).map_or(&[], Vec::as_slice)
    }

    /// Finding `k` on the timeline: its ID, rule, severity and first and last time.
    pub fn finding_mark(&self, k: usize) -> Option<FindingMark> {
        let row = self.rows.get(k)?;
        let &(first_ms, last_ms) = self.spans.get(k)?;
        Some(FindingMark {
            finding_id: row.finding_id.clone(),
            rule: row.rule.clone(),
            severity: row.severity,
            first_ms,
            last_ms,
            explanation: row.explanation.clone(),
            said: self.said(k).clone(),
        })
    }

    /// The findings in the view: those with an evidence event `shown` accepts, in order.
    pub fn findings_in(&self, shown: impl Fn(u32) -> bool) -> Vec<usize> {
        (0..self.rows.len()).filter(|&k| self.evidence[k].iter().any(|&i| shown(i))).collect()
    }

    /// Counts by severity of findings `ks`.
    pub fn finding_counts(&self, ks: &[usize]) -> FindingCounts {
        FindingCounts::of(ks.iter().map(|&k| self.rows[k].severity))
    }

    /// What `session:`, `finding:` and `severity:` select, with the key pushes of `pairings`.
    pub fn marks<'a>(&'a self, pairings: &'a TunnelPairings) -> InsightMarks<'a> {
        InsightMarks { insight: self, pairings }
    }

    fn evidence_where(&self, keep: impl Fn(&FindingRow) -> bool) -> Vec<u32> {
        let mut out: Vec<u32> = self
            .rows
            .iter()
            .zip(&self.evidence)
            .filter(|(r, _)| keep(r))
            .flat_map(|(_, e)| e.iter().copied())
            .collect();
        out.sort_unstable();
        out.dedup();
        out
    }
}

impl Default for Insight {
    /// Nothing loaded: no sessions, no findings, the defaults.
    fn default() -> Self {
        Self::new(&Dataset::new(), &TunnelPairings::default(), DEFAULT_GAP_MS, Settings::default())
    }
}

/// A finding where the timeline marks it.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct FindingMark {
    pub finding_id: String,
    pub rule: String,
    pub severity: Severity,
    pub first_ms: i64,
    pub last_ms: i64,
    /// Its sentence, for the mark's hover text, and as data for the page's language.
    pub explanation: String,
    #[serde(default)]
    pub said: Said,
}

/// [`Marks`] over an [`Insight`] and the tunnels' pairings.
pub struct InsightMarks<'a> {
    insight: &'a Insight,
    pairings: &'a TunnelPairings,
}

impl Marks for InsightMarks<'_> {
    fn session_events(&self, id: &str) -> Vec<u32> {
        let Some(s) = self.insight.session_by_id(id) else { return Vec::new() };
        let mut out = Vec::new();
        for t in self.insight.tunnels_of(s) {
            out.push(t);
            out.extend_from_slice(self.pairings.pushes_of(t));
        }
        out.sort_unstable();
        out.dedup();
        out
    }

    fn finding_events(&self, sel: &FindingSel) -> Vec<u32> {
        match sel {
            FindingSel::Any => self.insight.evidence_where(|_| true),
            FindingSel::Rule(name) => self.insight.evidence_where(|r| r.rule == *name),
            FindingSel::Id(id) => self.insight.evidence_where(|r| r.finding_id == *id),
        }
    }

    fn severity_events(&self, severity: Severity) -> Vec<u32> {
        self.insight.evidence_where(|r| r.severity == severity)
    }
}

/// The settings from `RULE.PARAM=VALUE` lines (as the page and the URL keep them), and the
/// message of each line that could not be read (that line is left out).
pub fn settings_from(lines: &[String]) -> (Settings, Vec<String>) {
    let mut settings = Settings::default();
    let mut errors = Vec::new();
    for line in lines.iter().map(|l| l.trim()).filter(|l| !l.is_empty()) {
        let result = match line.split_once('=') {
            Some((key, value)) => settings.set(key.trim(), value),
            None => Err(format!("{line:?}: expected RULE.PARAM=VALUE")),
        };
        if let Err(e) = result {
            errors.push(e);
        }
    }
    (settings, errors)
}
