//! Findings (contracts.md §8): what in EICE activity a responder must look at, each rule one
//! row of [`RULES`] plus one evidence function, grouped into runs by subject and window.
//!
//! Pure over the events given in (event time, event ID) order ([`EventIn`]), so the rules do
//! not depend on how the dataset stores them; [`inputs`] builds that input from a dataset.
//! One pass per rule over the events, one hash map of subjects: linear in the events.
//! - `rules.rs`: which events are evidence of each rule, and how they group into findings;
//! - `explain.rs`: each finding's sentence; `input.rs`: the rules' input from a dataset.

use std::net::IpAddr;

use ipnet::IpNet;
use serde::{Deserialize, Serialize};

use crate::i18n::Said;
use crate::ids::EventId;
use crate::model::EndpointOp;
use crate::time::format_rfc3339;

mod explain;
mod input;
mod rules;
#[cfg(test)]
mod tests;

pub use explain::{format_offset, span};
pub use input::inputs;
pub use rules::off_hours;

/// How much a finding matters; ordered from least to most.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    #[default]
    Info,
    Low,
    Medium,
    High,
}

impl Severity {
    pub const ALL: [Severity; 4] = [Self::High, Self::Medium, Self::Low, Self::Info];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Info => "info",
            Self::Low => "low",
            Self::Medium => "medium",
            Self::High => "high",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str().eq_ignore_ascii_case(text.trim()))
    }
}

/// What a rule's findings are about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SubjectKind {
    Principal,
    Endpoint,
    Account,
}

/// One rule: its name, severity, subject and defaults (the window and the minimum run).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rule {
    pub name: &'static str,
    pub severity: Severity,
    pub subject: SubjectKind,
    /// What it flags and why it matters, for the finding's detail.
    pub about: &'static str,
    /// Default window between consecutive evidence events of a run, ms (0: not grouped by window).
    pub window_ms: i64,
    /// Default minimum of the run's condition (events, or distinct targets for `many-targets`).
    pub min: u32,
}

const MIN: i64 = 60_000;
const HOUR: i64 = 60 * MIN;

/// Every rule, in the order of contracts.md §8.
pub const RULES: [Rule; 12] = [
    Rule {
        name: "failed-burst",
        severity: Severity::High,
        subject: SubjectKind::Principal,
        about: "Repeated denied OpenTunnel attempts: someone probing endpoints, targets or ports they may not use.",
        window_ms: 10 * MIN,
        min: 3,
    },
    Rule {
        name: "unusual-port",
        severity: Severity::Medium,
        subject: SubjectKind::Principal,
        about: "OpenTunnel to a port other than SSH (22) and RDP (3389): an endpoint tunnels any TCP port, databases included.",
        window_ms: HOUR,
        min: 1,
    },
    Rule {
        name: "many-targets",
        severity: Severity::Medium,
        subject: SubjectKind::Principal,
        about: "One principal reaching many private IPs within an hour: lateral movement looks like this.",
        window_ms: HOUR,
        min: 5,
    },
    Rule {
        name: "root-activity",
        severity: Severity::High,
        subject: SubjectKind::Principal,
        about: "The account's root user opened tunnels, pushed keys or changed endpoints; root should not be used for this.",
        window_ms: HOUR,
        min: 1,
    },
    Rule {
        name: "new-source-ip",
        severity: Severity::Medium,
        subject: SubjectKind::Principal,
        about: "A principal's tunnel from a source IP it had not used before, after a baseline: stolen credentials are used from elsewhere.",
        window_ms: 0,
        min: 1,
    },
    Rule {
        name: "short-lived-endpoint",
        severity: Severity::High,
        subject: SubjectKind::Endpoint,
        about: "An endpoint created, used and deleted within a day: a way in set up and torn down to leave little behind.",
        window_ms: 0,
        min: 1,
    },
    Rule {
        name: "client-ip-not-preserved",
        severity: Severity::Info,
        subject: SubjectKind::Endpoint,
        about: "PreserveClientIp set to false: the instances see the endpoint's address, not the client's, so their own logs cannot tell who connected.",
        window_ms: 0,
        min: 1,
    },
    Rule {
        name: "rdp",
        severity: Severity::Info,
        subject: SubjectKind::Principal,
        about: "Accepted tunnels to RDP (3389): interactive Windows access.",
        window_ms: HOUR,
        min: 1,
    },
    Rule {
        name: "off-hours",
        severity: Severity::Low,
        subject: SubjectKind::Principal,
        about: "Accepted tunnels starting outside working hours (Monday to Friday, at the configured UTC offset).",
        window_ms: HOUR,
        min: 1,
    },
    Rule {
        name: "no-key-push",
        severity: Severity::Info,
        subject: SubjectKind::Principal,
        about: "Accepted SSH tunnels with no SendSSHPublicKey just before: the connection used a key kept on the instance or another way in.",
        window_ms: HOUR,
        min: 1,
    },
    Rule {
        name: "trail-tampering",
        severity: Severity::High,
        subject: SubjectKind::Account,
        about: "CloudTrail logging stopped or changed: what follows may be missing from these logs.",
        window_ms: HOUR,
        min: 1,
    },
    Rule {
        name: "unknown-source",
        severity: Severity::Medium,
        subject: SubjectKind::Principal,
        about: "OpenTunnel from a source IP outside the configured allow-list.",
        window_ms: HOUR,
        min: 1,
    },
];

/// The rule of this name.
pub fn rule(name: &str) -> Option<&'static Rule> {
    RULES.iter().find(|r| r.name == name)
}

/// Thresholds, working hours and the allow-list; every default of contracts.md §8.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// Per rule (by position in [`RULES`]): window (ms) and minimum.
    window_ms: [i64; 12],
    min: [u32; 12],
    /// `new-source-ip`: how long after a principal's first tunnel a new IP counts.
    pub baseline_ms: i64,
    /// `short-lived-endpoint`: the longest life (Delete − Create) that counts.
    pub max_life_ms: i64,
    /// `off-hours`: the working day's UTC offset (minutes) and its hours `[start, end)`.
    pub offset_min: i32,
    pub day_start_hour: u32,
    pub day_end_hour: u32,
    /// `unknown-source`: the allowed source ranges; the rule is off while empty.
    pub allow: Vec<IpNet>,
    /// Rules turned off (by position in [`RULES`]).
    off: [bool; 12],
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            window_ms: RULES.map(|r| r.window_ms),
            min: RULES.map(|r| r.min),
            baseline_ms: 24 * HOUR,
            max_life_ms: 24 * HOUR,
            offset_min: 0,
            day_start_hour: 7,
            day_end_hour: 19,
            allow: Vec::new(),
            off: [false; 12],
        }
    }
}

/// What `RULE.PARAM` can be set: the names [`Settings::set`] reads.
pub const PARAMS: &str = "RULE.window (a duration: 10m, 1h), RULE.min (a count), RULE.enabled (true|false), \
new-source-ip.baseline, short-lived-endpoint.max_life, off-hours.offset (+HH:MM), off-hours.start and \
off-hours.end (hours 0-24), unknown-source.allow (CIDRs separated by commas)";

impl Settings {
    fn at(name: &str) -> Option<usize> {
        RULES.iter().position(|r| r.name == name)
    }

    pub fn window_ms(&self, rule: &str) -> i64 {
        Self::at(rule).map_or(0, |i| self.window_ms[i])
    }

    pub fn min(&self, rule: &str) -> u32 {
        Self::at(rule).map_or(1, |i| self.min[i])
    }

    pub fn enabled(&self, rule: &str) -> bool {
        Self::at(rule).is_some_and(|i| !self.off[i]) && (rule != "unknown-source" || !self.allow.is_empty())
    }

    /// Sets `RULE.PARAM` to `value` (see [`PARAMS`]); the message says what was wrong.
    pub fn set(&mut self, key: &str, value: &str) -> Result<(), String> {
        let (name, param) = key.split_once('.').ok_or_else(|| format!("{key:?}: expected RULE.PARAM"))?;
        let i = Self::at(name)
            .ok_or_else(|| format!("{name:?} is not a rule (rules: {})", RULES.map(|r| r.name).join(", ")))?;
        let bad = |what: &str| format!("{key}={value:?}: expected {what}");
        let value = value.trim();
        match (name, param) {
            (_, "window") => self.window_ms[i] = crate::sessions::parse_gap(value).ok_or_else(|| bad("a duration"))?,
            (_, "min") => self.min[i] = value.parse().ok().filter(|&n| n >= 1).ok_or_else(|| bad("a count ≥ 1"))?,
            (_, "enabled") => self.off[i] = !value.parse::<bool>().map_err(|_| bad("true or false"))?,
            ("new-source-ip", "baseline") => {
                self.baseline_ms = crate::sessions::parse_gap(value).ok_or_else(|| bad("a duration"))?
            }
            ("short-lived-endpoint", "max_life") => {
                self.max_life_ms = crate::sessions::parse_gap(value).ok_or_else(|| bad("a duration"))?
            }
            ("off-hours", "offset") => {
                self.offset_min = parse_offset(value).ok_or_else(|| bad("an offset such as +02:00"))?
            }
            ("off-hours", "start") => self.day_start_hour = hour(value).ok_or_else(|| bad("an hour 0-24"))?,
            ("off-hours", "end") => self.day_end_hour = hour(value).ok_or_else(|| bad("an hour 0-24"))?,
            ("unknown-source", "allow") => {
                self.allow = value
                    .split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(|s| s.parse::<IpNet>().or_else(|_| s.parse::<IpAddr>().map(IpNet::from)))
                    .collect::<Result<_, _>>()
                    .map_err(|_| bad("CIDRs or IPs separated by commas"))?
            }
            _ => return Err(format!("{key:?}: no such setting ({PARAMS})")),
        }
        Ok(())
    }
}

fn hour(text: &str) -> Option<u32> {
    text.parse().ok().filter(|&h| h <= 24)
}

/// `+HH:MM`, `-HH:MM`, `Z` or `+HH`: minutes east of UTC.
pub fn parse_offset(text: &str) -> Option<i32> {
    if text.eq_ignore_ascii_case("z") {
        return Some(0);
    }
    let (sign, rest) = match text.as_bytes().first()? {
        b'+' => (1, &text[1..]),
        b'-' => (-1, &text[1..]),
        _ => return None,
    };
    let (h, m) = rest.split_once(':').unwrap_or((rest, "0"));
    let (h, m): (i32, i32) = (h.parse().ok()?, m.parse().ok()?);
    (h <= 14 && (0..60).contains(&m)).then_some(sign * (h * 60 + m))
}

/// What an event is, as the rules see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Act<'a> {
    Tunnel {
        endpoint_id: &'a str,
        private_ip: &'a str,
        port: Option<u32>,
        key_push: bool,
    },
    KeyPush,
    Endpoint {
        op: EndpointOp,
        endpoint_ids: &'a [String],
        preserve_client_ip: Option<bool>,
    },
    /// A successful `StopLogging`, `DeleteTrail`, `UpdateTrail`, `PutEventSelectors` or
    /// `PutInsightSelectors` from `cloudtrail.amazonaws.com`.
    TrailChange,
}

/// One event as the rules need it.
#[derive(Debug, Clone, Copy)]
pub struct EventIn<'a> {
    pub time_ms: i64,
    pub event_id: EventId<'a>,
    pub event_name: &'a str,
    /// Principal key (ARN, else principal ID) and display name.
    pub principal_key: &'a str,
    pub principal: &'a str,
    pub is_root: bool,
    pub source_ip: &'a str,
    /// `recipientAccountId`, else the identity's account.
    pub account: &'a str,
    pub failed: bool,
    pub act: Act<'a>,
}

/// The trail changes `trail-tampering` looks for.
pub const TRAIL_CHANGES: [&str; 5] =
    ["StopLogging", "DeleteTrail", "UpdateTrail", "PutEventSelectors", "PutInsightSelectors"];

/// One finding: evidence is input indices in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub rule: &'static Rule,
    pub subject: String,
    pub first_ms: i64,
    pub last_ms: i64,
    pub explanation: String,
    /// The sentence as data, for the page to say it in its language.
    pub said: Said,
    pub evidence: Vec<u32>,
}

impl Finding {
    /// `RULE:` + the event ID of its first evidence event.
    pub fn id(&self, events: &[EventIn<'_>]) -> String {
        format!("{}:{}", self.rule.name, events[self.evidence[0] as usize].event_id)
    }
}

/// Every finding of `events` (in (time, event ID) order), most severe first, then by first
/// time and ID.
pub fn find(events: &[EventIn<'_>], settings: &Settings) -> Vec<Finding> {
    let mut out = Vec::new();
    for rule in &RULES {
        if !settings.enabled(rule.name) {
            continue;
        }
        match rule.name {
            "new-source-ip" => rules::new_source_ip(rule, events, settings, &mut out),
            "short-lived-endpoint" => rules::short_lived(rule, events, settings, &mut out),
            "client-ip-not-preserved" => rules::client_ip(rule, events, &mut out),
            _ => rules::runs(rule, events, settings, &mut out),
        }
    }
    out.sort_by(|a, b| {
        b.rule.severity.cmp(&a.rule.severity).then(a.first_ms.cmp(&b.first_ms)).then_with(|| {
            let (ea, eb) = (events[a.evidence[0] as usize].event_id, events[b.evidence[0] as usize].event_id);
            ea.cmp(&eb).then(a.rule.name.cmp(b.rule.name))
        })
    });
    out
}

/// One finding as the CLI and exports show it (contracts.md §8 keys).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct FindingRow {
    pub finding_id: String,
    pub rule: String,
    pub severity: Severity,
    pub subject: String,
    /// RFC 3339 UTC.
    pub first: String,
    pub last: String,
    pub explanation: String,
    pub event_ids: Vec<String>,
}

impl FindingRow {
    pub fn of(f: &Finding, events: &[EventIn<'_>]) -> Self {
        Self {
            finding_id: f.id(events),
            rule: f.rule.name.to_owned(),
            severity: f.rule.severity,
            subject: f.subject.clone(),
            first: format_rfc3339(f.first_ms),
            last: format_rfc3339(f.last_ms),
            explanation: f.explanation.clone(),
            event_ids: f.evidence.iter().map(|&i| events[i as usize].event_id.to_string()).collect(),
        }
    }
}

/// `stats --json`'s `findings`: counts by severity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct FindingCounts {
    pub high: u64,
    pub medium: u64,
    pub low: u64,
    pub info: u64,
}

impl FindingCounts {
    /// The counts of findings of these severities.
    pub fn of(severities: impl IntoIterator<Item = Severity>) -> Self {
        let mut c = Self::default();
        for s in severities {
            match s {
                Severity::High => c.high += 1,
                Severity::Medium => c.medium += 1,
                Severity::Low => c.low += 1,
                Severity::Info => c.info += 1,
            }
        }
        c
    }
}
