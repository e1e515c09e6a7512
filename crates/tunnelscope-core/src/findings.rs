//! Findings (contracts.md §8): what in EICE activity a responder must look at, each rule one
//! row of [`RULES`] plus one evidence function, grouped into runs by subject and window.
//!
//! Pure over the events given in (event time, event ID) order ([`EventIn`]), so the rules do
//! not depend on how the dataset stores them; [`of_dataset`] builds that input from a dataset.
//! One pass per rule over the events, one hash map of subjects: linear in the events.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::net::IpAddr;

use hashbrown::{HashMap, HashSet};
use ipnet::IpNet;
use serde::Serialize;

use crate::dataset::{Dataset, Pairing};
use crate::ids::EventId;
use crate::model::EndpointOp;
use crate::time::format_rfc3339;
use crate::pairing::TunnelPairings;

/// How much a finding matters; ordered from least to most.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
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
            "new-source-ip" => new_source_ip(rule, events, settings, &mut out),
            "short-lived-endpoint" => short_lived(rule, events, settings, &mut out),
            "client-ip-not-preserved" => client_ip(rule, events, &mut out),
            _ => runs(rule, events, settings, &mut out),
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

/// Whether `e` is evidence of a windowed rule, and its subject key (the grouping) and shown name.
fn evidence<'a>(rule: &Rule, e: &EventIn<'a>, s: &Settings) -> Option<(&'a str, &'a str)> {
    let principal = Some((e.principal_key, e.principal));
    match (rule.name, e.act) {
        ("failed-burst", Act::Tunnel { .. }) if e.failed => principal,
        ("unusual-port", Act::Tunnel { port, .. }) if !matches!(port, Some(22 | 3389)) => principal,
        ("many-targets", Act::Tunnel { .. }) if !e.failed => principal,
        (
            "root-activity",
            Act::Tunnel { .. }
            | Act::KeyPush
            | Act::Endpoint { op: EndpointOp::Create | EndpointOp::Modify | EndpointOp::Delete, .. },
        ) if e.is_root => principal,
        ("rdp", Act::Tunnel { port: Some(3389), .. }) if !e.failed => principal,
        ("off-hours", Act::Tunnel { .. }) if !e.failed && off_hours(e.time_ms, s) => principal,
        ("no-key-push", Act::Tunnel { port: Some(22), key_push: false, .. }) if !e.failed => principal,
        ("trail-tampering", Act::TrailChange) => Some((e.account, e.account)),
        ("unknown-source", Act::Tunnel { .. }) => {
            let allowed = e.source_ip.parse::<IpAddr>().is_ok_and(|ip| s.allow.iter().any(|n| n.contains(&ip)));
            (!allowed).then_some((e.principal_key, e.principal))
        }
        _ => None,
    }
}

/// True when `ms` falls outside Monday–Friday `[start, end)` at the configured offset.
pub fn off_hours(ms: i64, s: &Settings) -> bool {
    let local = ms.saturating_add(i64::from(s.offset_min) * MIN);
    let day = local.div_euclid(24 * HOUR);
    // 1970-01-01 was a Thursday: weekday 0 = Monday.
    let weekday = (day + 3).rem_euclid(7);
    let minute = local.rem_euclid(24 * HOUR) / MIN;
    let (start, end) = (i64::from(s.day_start_hour) * 60, i64::from(s.day_end_hour) * 60);
    weekday >= 5 || minute < start || minute >= end
}

/// The windowed rules: runs of one subject's evidence, each a finding when it meets the condition.
fn runs(rule: &'static Rule, events: &[EventIn<'_>], s: &Settings, out: &mut Vec<Finding>) {
    let window = s.window_ms(rule.name);
    let min = s.min(rule.name);
    // Per subject key: its shown name and the open run.
    let mut open: HashMap<&str, (&str, Vec<u32>)> = HashMap::new();
    let mut closed: Vec<(&str, Vec<u32>)> = Vec::new();
    for (i, e) in events.iter().enumerate() {
        let Some((key, shown)) = evidence(rule, e, s) else { continue };
        let run = open.entry(key).or_insert_with(|| (shown, Vec::new()));
        if let Some(&last) = run.1.last() {
            if e.time_ms - events[last as usize].time_ms > window {
                closed.push((run.0, std::mem::take(&mut run.1)));
            }
        }
        run.1.push(i as u32);
    }
    closed.extend(open.into_values());
    for (subject, evidence) in closed {
        if evidence.is_empty() {
            continue;
        }
        let meets = if rule.name == "many-targets" {
            distinct(events, &evidence, |a| match a {
                Act::Tunnel { private_ip, .. } => Some(private_ip.to_owned()),
                _ => None,
            })
            .len()
                >= min as usize
        } else {
            evidence.len() >= min as usize
        };
        if meets {
            let explanation = explain(rule, subject, events, &evidence, s);
            out.push(finding(rule, subject, events, evidence, explanation));
        }
    }
}

fn finding(
    rule: &'static Rule,
    subject: &str,
    events: &[EventIn<'_>],
    evidence: Vec<u32>,
    explanation: String,
) -> Finding {
    let first_ms = events[evidence[0] as usize].time_ms;
    let last_ms = events[evidence[evidence.len() - 1] as usize].time_ms;
    Finding { rule, subject: subject.to_owned(), first_ms, last_ms, explanation, evidence }
}

/// The distinct values `pick` gives for the evidence, in order of first appearance.
fn distinct(events: &[EventIn<'_>], evidence: &[u32], pick: impl Fn(Act<'_>) -> Option<String>) -> Vec<String> {
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    for &i in evidence {
        if let Some(v) = pick(events[i as usize].act) {
            if seen.insert(v.clone()) {
                out.push(v);
            }
        }
    }
    out
}

fn ports(events: &[EventIn<'_>], evidence: &[u32]) -> String {
    let ports = distinct(events, evidence, |a| match a {
        Act::Tunnel { port, .. } => Some(port.map_or_else(|| "(none)".to_owned(), |p| p.to_string())),
        _ => None,
    });
    list(&ports)
}

fn targets(events: &[EventIn<'_>], evidence: &[u32]) -> Vec<String> {
    distinct(events, evidence, |a| match a {
        Act::Tunnel { private_ip, .. } => {
            Some(if private_ip.is_empty() { "(none)".to_owned() } else { private_ip.to_owned() })
        }
        _ => None,
    })
}

/// Up to six values, then how many more.
fn list(values: &[String]) -> String {
    let mut text = values.iter().take(6).cloned().collect::<Vec<_>>().join(", ");
    if values.len() > 6 {
        let _ = write!(text, " and {} more", values.len() - 6);
    }
    text
}

/// A span of time as people say it: `40 s`, `12 min`, `3 h 5 min`, `2 d 4 h`.
pub fn span(ms: i64) -> String {
    let secs = ms.max(0) / 1000;
    match secs {
        s if s < 60 => format!("{s} s"),
        s if s < 3600 => format!("{} min", s / 60),
        s if s < 86_400 => match s / 60 % 60 {
            0 => format!("{} h", s / 3600),
            m => format!("{} h {m} min", s / 3600),
        },
        s => match s / 3600 % 24 {
            0 => format!("{} d", s / 86_400),
            h => format!("{} d {h} h", s / 86_400),
        },
    }
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

fn explain(rule: &Rule, subject: &str, events: &[EventIn<'_>], evidence: &[u32], s: &Settings) -> String {
    let n = evidence.len();
    let first = events[evidence[0] as usize].time_ms;
    let last = events[evidence[n - 1] as usize].time_ms;
    let within = if n > 1 { format!(" in {}", span(last - first)) } else { String::new() };
    let targets = targets(events, evidence);
    match rule.name {
        "failed-burst" => {
            format!("{subject}: {} denied OpenTunnel attempts{within}, ports {}", n, ports(events, evidence))
        }
        "unusual-port" => {
            let accepted = evidence.iter().filter(|&&i| !events[i as usize].failed).count();
            format!(
                "{subject}: {}{within} to port {} ({accepted} accepted), targets {}",
                plural(n, "OpenTunnel attempt", "OpenTunnel attempts"),
                ports(events, evidence),
                list(&targets)
            )
        }
        "many-targets" => {
            format!("{subject}: accepted tunnels to {} private IPs{within} ({})", targets.len(), list(&targets))
        }
        "root-activity" => {
            let names: BTreeSet<&str> = evidence.iter().map(|&i| events[i as usize].event_name).collect();
            format!(
                "{subject}: {} by the account's root user{within} ({})",
                plural(n, "EICE action", "EICE actions"),
                names.into_iter().collect::<Vec<_>>().join(", ")
            )
        }
        "rdp" => format!(
            "{subject}: {}{within} to {}",
            plural(n, "accepted RDP tunnel", "accepted RDP tunnels"),
            list(&targets)
        ),
        "off-hours" => format!(
            "{subject}: {}{within} outside working hours (Mon–Fri {:02}:00–{:02}:00 UTC{}), first at {}",
            plural(n, "accepted tunnel", "accepted tunnels"),
            s.day_start_hour,
            s.day_end_hour,
            format_offset(s.offset_min),
            format_rfc3339(first)
        ),
        "no-key-push" => format!(
            "{subject}: {}{within} with no SendSSHPublicKey in the minute before (a key kept on the instance, or another way in), to {}",
            plural(n, "accepted SSH tunnel", "accepted SSH tunnels"),
            list(&targets)
        ),
        "trail-tampering" => {
            let names: BTreeSet<&str> = evidence.iter().map(|&i| events[i as usize].event_name).collect();
            let who: BTreeSet<&str> = evidence.iter().map(|&i| events[i as usize].principal).collect();
            format!(
                "account {subject}: {}{within} ({}) by {}: logging stopped or changed, later activity may be missing",
                plural(n, "trail change", "trail changes"),
                names.into_iter().collect::<Vec<_>>().join(", "),
                who.into_iter().collect::<Vec<_>>().join(", ")
            )
        }
        "unknown-source" => {
            let ips: BTreeSet<&str> = evidence.iter().map(|&i| events[i as usize].source_ip).collect();
            format!(
                "{subject}: {}{within} from {} outside the allow-list",
                plural(n, "OpenTunnel attempt", "OpenTunnel attempts"),
                ips.into_iter().collect::<Vec<_>>().join(", ")
            )
        }
        _ => format!("{subject}: {}", plural(n, "event", "events")),
    }
}

/// `+HH:MM`.
pub fn format_offset(minutes: i32) -> String {
    let sign = if minutes < 0 { '-' } else { '+' };
    format!("{sign}{:02}:{:02}", minutes.abs() / 60, minutes.abs() % 60)
}

/// `new-source-ip`: each principal's first tunnel from an IP it had not used, more than the
/// baseline after the principal's first tunnel in the data.
fn new_source_ip(rule: &'static Rule, events: &[EventIn<'_>], s: &Settings, out: &mut Vec<Finding>) {
    // Per principal: the first tunnel's time and the source IPs used so far.
    let mut seen: HashMap<&str, (i64, HashSet<&str>)> = HashMap::new();
    for (i, e) in events.iter().enumerate() {
        if !matches!(e.act, Act::Tunnel { .. }) {
            continue;
        }
        let (first, ips) = seen.entry(e.principal_key).or_insert_with(|| (e.time_ms, HashSet::new()));
        let used = ips.len();
        if ips.insert(e.source_ip) && e.time_ms - *first > s.baseline_ms {
            let explanation = format!(
                "{}: first OpenTunnel from {} ({}), {} after their first tunnel in the data; {} used before",
                e.principal,
                e.source_ip,
                if e.failed { "denied" } else { "accepted" },
                span(e.time_ms - *first),
                plural(used, "other source IP", "other source IPs")
            );
            out.push(finding(rule, e.principal, events, vec![i as u32], explanation));
        }
    }
}

/// `short-lived-endpoint`: a Create followed by a Delete of the same endpoint within the
/// longest life, with at least one OpenTunnel naming it between them.
fn short_lived(rule: &'static Rule, events: &[EventIn<'_>], s: &Settings, out: &mut Vec<Finding>) {
    // Per endpoint: the Creates not yet followed by a Delete, and the tunnels since each.
    let mut open: BTreeMap<&str, Vec<(u32, Vec<u32>)>> = BTreeMap::new();
    for (i, e) in events.iter().enumerate() {
        let i = i as u32;
        match e.act {
            Act::Endpoint { op: EndpointOp::Create, endpoint_ids, .. } => {
                for id in endpoint_ids {
                    open.entry(id.as_str()).or_default().push((i, Vec::new()));
                }
            }
            Act::Tunnel { endpoint_id, .. } => {
                if let Some(creates) = open.get_mut(endpoint_id) {
                    for (_, tunnels) in creates {
                        tunnels.push(i);
                    }
                }
            }
            Act::Endpoint { op: EndpointOp::Delete, endpoint_ids, .. } => {
                for id in endpoint_ids {
                    for (create, tunnels) in open.remove(id.as_str()).unwrap_or_default() {
                        let life = e.time_ms - events[create as usize].time_ms;
                        if life > s.max_life_ms || tunnels.is_empty() {
                            continue;
                        }
                        let explanation = format!(
                            "{id}: created at {}, used by {}, deleted {} later",
                            format_rfc3339(events[create as usize].time_ms),
                            plural(tunnels.len(), "tunnel", "tunnels"),
                            span(life)
                        );
                        let mut evidence = vec![create];
                        evidence.extend(tunnels);
                        evidence.push(i);
                        out.push(finding(rule, id, events, evidence, explanation));
                    }
                }
            }
            _ => {}
        }
    }
}

/// `client-ip-not-preserved`: per endpoint, every Create or Modify setting it to false.
fn client_ip(rule: &'static Rule, events: &[EventIn<'_>], out: &mut Vec<Finding>) {
    let mut by_endpoint: BTreeMap<&str, Vec<u32>> = BTreeMap::new();
    let mut order = Vec::new();
    for (i, e) in events.iter().enumerate() {
        if let Act::Endpoint {
            op: EndpointOp::Create | EndpointOp::Modify,
            endpoint_ids,
            preserve_client_ip: Some(false),
        } = e.act
        {
            for id in endpoint_ids {
                let list = by_endpoint.entry(id.as_str()).or_default();
                if list.is_empty() {
                    order.push(id.as_str());
                }
                list.push(i as u32);
            }
        }
    }
    for id in order {
        let evidence = by_endpoint.remove(id).unwrap_or_default();
        let who: BTreeSet<&str> = evidence.iter().map(|&i| events[i as usize].principal).collect();
        let explanation = format!(
            "{id}: PreserveClientIp set to false by {} ({}); instances see the endpoint's address, not the client's",
            plural(evidence.len(), "call", "calls"),
            who.into_iter().collect::<Vec<_>>().join(", ")
        );
        out.push(finding(rule, id, events, evidence, explanation));
    }
}

/// The rules' input from a dataset: every EICE event with facts and every successful trail
/// change, in (time, event ID) order, with their dataset indices.
pub fn inputs<'a>(ds: &'a Dataset, pairings: &TunnelPairings) -> (Vec<u32>, Vec<EventIn<'a>>) {
    let mut picked: Vec<(u32, crate::EventRef<'a>)> = ds
        .iter()
        .filter(|e| {
            e.eice.is_some()
                || e.error_code.is_empty()
                    && e.event_source == "cloudtrail.amazonaws.com"
                    && TRAIL_CHANGES.contains(&e.event_name)
        })
        .map(|e| (e.index, e))
        .collect();
    picked.sort_by(|a, b| a.1.time_ms.cmp(&b.1.time_ms).then_with(|| a.1.event_id.cmp(&b.1.event_id)));
    let mut index = Vec::with_capacity(picked.len());
    let mut events = Vec::with_capacity(picked.len());
    for (i, e) in picked {
        let act = if let Some(t) = e.tunnel() {
            let key_push = matches!(pairings.get(i), Some((Pairing::KeyPush, _, _)));
            Act::Tunnel { endpoint_id: &t.endpoint_id, private_ip: &t.private_ip, port: t.port, key_push }
        } else if e.key_push().is_some() {
            Act::KeyPush
        } else if let Some(a) = e.endpoint_activity() {
            let Some(op) = a.op else { continue };
            Act::Endpoint { op, endpoint_ids: &a.endpoint_ids, preserve_client_ip: a.preserve_client_ip }
        } else if e.eice.is_none() {
            Act::TrailChange
        } else {
            continue;
        };
        let resource = e.principal_arn.splitn(6, ':').nth(5);
        index.push(i);
        events.push(EventIn {
            time_ms: e.time_ms,
            event_id: e.event_id,
            event_name: e.event_name,
            principal_key: e.principal_arn,
            principal: e.principal,
            is_root: e.principal == "root" && resource.is_none_or(|r| r == "root"),
            source_ip: e.source_ip,
            account: e.account,
            failed: !e.error_code.is_empty(),
            act,
        });
    }
    (index, events)
}

/// One finding as the CLI and exports show it (contracts.md §8 keys).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FindingRow {
    pub finding_id: String,
    pub rule: &'static str,
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
            rule: f.rule.name,
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
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct FindingCounts {
    pub high: u64,
    pub medium: u64,
    pub low: u64,
    pub info: u64,
}

impl FindingCounts {
    pub fn of<'f>(findings: impl IntoIterator<Item = &'f Finding>) -> Self {
        let mut c = Self::default();
        for f in findings {
            match f.rule.severity {
                Severity::High => c.high += 1,
                Severity::Medium => c.medium += 1,
                Severity::Low => c.low += 1,
                Severity::Info => c.info += 1,
            }
        }
        c
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 2026-10-05 was a Monday; times are minutes after its 09:00 UTC.
    const MONDAY_9: i64 = 1_791_190_800_000;

    fn tunnel(
        id: &'static str,
        min: i64,
        who: &'static str,
        target: &'static str,
        port: u32,
        failed: bool,
    ) -> EventIn<'static> {
        EventIn {
            time_ms: MONDAY_9 + min * MIN,
            event_id: EventId::text(id),
            event_name: "OpenTunnel",
            principal_key: who,
            principal: who,
            is_root: who == "root",
            source_ip: "198.51.100.7",
            account: "111122223333",
            failed,
            act: Act::Tunnel { endpoint_id: "eice-1", private_ip: target, port: Some(port), key_push: true },
        }
    }

    fn with(e: EventIn<'static>, f: impl FnOnce(&mut EventIn<'static>)) -> EventIn<'static> {
        let mut e = e;
        f(&mut e);
        e
    }

    fn found(events: &[EventIn<'_>], settings: &Settings, rule: &str) -> Vec<(String, Vec<String>)> {
        find(events, settings)
            .iter()
            .filter(|f| f.rule.name == rule)
            .map(|f| (f.id(events), f.evidence.iter().map(|&i| events[i as usize].event_id.to_string()).collect()))
            .collect()
    }

    fn ids(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn monday_nine_is_a_working_hour() {
        let s = Settings::default();
        assert!(!off_hours(MONDAY_9, &s));
        assert!(off_hours(MONDAY_9 - 2 * HOUR - 1, &s), "06:59:59.999");
        assert!(!off_hours(MONDAY_9 - 2 * HOUR, &s), "07:00 inclusive");
        assert!(off_hours(MONDAY_9 + 10 * HOUR, &s), "19:00 exclusive");
        assert!(off_hours(MONDAY_9 - 24 * HOUR, &s), "Sunday");
        let mut tokyo = Settings::default();
        tokyo.set("off-hours.offset", "+09:00").unwrap();
        assert!(off_hours(MONDAY_9 + 2 * HOUR, &tokyo), "20:00 in Tokyo");
    }

    #[test]
    fn failed_burst_needs_three_denials_within_ten_minutes_of_each_other() {
        let ev = [
            tunnel("a", 0, "mallory", "10.0.0.1", 22, true),
            tunnel("b", 3, "mallory", "10.0.0.1", 3389, true),
            tunnel("c", 13, "mallory", "10.0.0.1", 8080, true),
            tunnel("d", 24, "mallory", "10.0.0.1", 22, true),
            tunnel("e", 25, "mallory", "10.0.0.1", 22, false),
        ];
        let s = Settings::default();
        assert_eq!(found(&ev, &s, "failed-burst"), vec![("failed-burst:a".to_owned(), ids(&["a", "b", "c"]))]);
        let f = find(&ev, &s).into_iter().find(|f| f.rule.name == "failed-burst").unwrap();
        assert_eq!(f.explanation, "mallory: 3 denied OpenTunnel attempts in 13 min, ports 22, 3389, 8080");
        let mut strict = Settings::default();
        strict.set("failed-burst.min", "4").unwrap();
        assert!(found(&ev, &strict, "failed-burst").is_empty());
        strict.set("failed-burst.window", "11m").unwrap();
        assert_eq!(found(&ev, &strict, "failed-burst")[0].1, ids(&["a", "b", "c", "d"]));
    }

    #[test]
    fn unusual_port_flags_ports_other_than_ssh_and_rdp() {
        let ev = [tunnel("a", 0, "alice", "10.0.0.1", 22, false), tunnel("b", 1, "alice", "10.0.0.1", 5432, false)];
        assert_eq!(found(&ev, &Settings::default(), "unusual-port"), vec![("unusual-port:b".to_owned(), ids(&["b"]))]);
    }

    #[test]
    fn many_targets_counts_distinct_private_ips() {
        let mut ev: Vec<_> = ["a", "b", "c", "d"]
            .iter()
            .enumerate()
            .map(|(k, id)| {
                tunnel(id, k as i64 * 10, "alice", ["10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.4"][k], 22, false)
            })
            .collect();
        ev.push(tunnel("e", 45, "alice", "10.0.0.4", 22, false));
        assert!(found(&ev, &Settings::default(), "many-targets").is_empty(), "4 distinct");
        ev.push(tunnel("f", 50, "alice", "10.0.0.5", 22, false));
        assert_eq!(found(&ev, &Settings::default(), "many-targets")[0].1.len(), 6);
    }

    #[test]
    fn root_activity_flags_the_root_user_only() {
        let ev = [tunnel("a", 0, "root", "10.0.0.1", 22, false), tunnel("b", 1, "alice", "10.0.0.1", 22, false)];
        assert_eq!(
            found(&ev, &Settings::default(), "root-activity"),
            vec![("root-activity:a".to_owned(), ids(&["a"]))]
        );
    }

    #[test]
    fn new_source_ip_waits_for_the_baseline() {
        let ev = [
            tunnel("a", 0, "alice", "10.0.0.1", 22, false),
            with(tunnel("b", 60, "alice", "10.0.0.1", 22, false), |e| e.source_ip = "203.0.113.1"),
            with(tunnel("c", 25 * 60, "alice", "10.0.0.1", 22, true), |e| e.source_ip = "203.0.113.2"),
            with(tunnel("d", 26 * 60, "alice", "10.0.0.1", 22, false), |e| e.source_ip = "203.0.113.2"),
        ];
        assert_eq!(
            found(&ev, &Settings::default(), "new-source-ip"),
            vec![("new-source-ip:c".to_owned(), ids(&["c"]))]
        );
    }

    fn endpoint(
        id: &'static str,
        min: i64,
        op: EndpointOp,
        ids: &'static [String],
        preserve: Option<bool>,
    ) -> EventIn<'static> {
        with(tunnel(id, min, "bob", "", 0, false), |e| {
            e.event_name = "CreateInstanceConnectEndpoint";
            e.act = Act::Endpoint { op, endpoint_ids: ids, preserve_client_ip: preserve };
        })
    }

    #[test]
    fn short_lived_endpoint_needs_a_tunnel_between_create_and_delete() {
        static EICE: std::sync::LazyLock<Vec<String>> = std::sync::LazyLock::new(|| vec!["eice-1".to_owned()]);
        let ev = [
            endpoint("c", 0, EndpointOp::Create, &EICE, Some(false)),
            tunnel("t", 10, "bob", "10.0.0.1", 22, false),
            endpoint("d", 120, EndpointOp::Delete, &EICE, None),
            endpoint("c2", 200, EndpointOp::Create, &EICE, None),
            endpoint("d2", 300, EndpointOp::Delete, &EICE, None),
        ];
        let s = Settings::default();
        assert_eq!(
            found(&ev, &s, "short-lived-endpoint"),
            vec![("short-lived-endpoint:c".to_owned(), ids(&["c", "t", "d"]))]
        );
        let mut short = Settings::default();
        short.set("short-lived-endpoint.max_life", "1h").unwrap();
        assert!(found(&ev, &short, "short-lived-endpoint").is_empty());
        assert_eq!(
            found(&ev, &s, "client-ip-not-preserved"),
            vec![("client-ip-not-preserved:c".to_owned(), ids(&["c"]))]
        );
    }

    #[test]
    fn rdp_off_hours_and_no_key_push_look_at_accepted_tunnels() {
        let ev = [
            tunnel("a", 0, "carol", "10.0.0.1", 3389, false),
            tunnel("b", 1, "carol", "10.0.0.1", 3389, true),
            with(tunnel("c", 11 * 60, "carol", "10.0.0.1", 22, false), |e| {
                e.act = Act::Tunnel { endpoint_id: "eice-1", private_ip: "10.0.0.1", port: Some(22), key_push: false }
            }),
        ];
        let s = Settings::default();
        assert_eq!(found(&ev, &s, "rdp"), vec![("rdp:a".to_owned(), ids(&["a"]))]);
        assert_eq!(found(&ev, &s, "off-hours"), vec![("off-hours:c".to_owned(), ids(&["c"]))]);
        assert_eq!(found(&ev, &s, "no-key-push"), vec![("no-key-push:c".to_owned(), ids(&["c"]))]);
    }

    #[test]
    fn trail_tampering_groups_by_account() {
        let stop = with(tunnel("s", 0, "eve", "", 0, false), |e| {
            e.event_name = "StopLogging";
            e.act = Act::TrailChange;
        });
        let f = find(&[stop], &Settings::default());
        assert_eq!(f.len(), 1);
        assert_eq!((f[0].rule.name, f[0].subject.as_str()), ("trail-tampering", "111122223333"));
    }

    #[test]
    fn unknown_source_is_off_without_an_allow_list() {
        let ev = [
            tunnel("a", 0, "alice", "10.0.0.1", 22, false),
            with(tunnel("b", 1, "alice", "10.0.0.1", 22, false), |e| e.source_ip = "10.1.2.3"),
        ];
        assert!(found(&ev, &Settings::default(), "unknown-source").is_empty());
        let mut s = Settings::default();
        s.set("unknown-source.allow", "10.0.0.0/8, 2001:db8::/32").unwrap();
        assert_eq!(found(&ev, &s, "unknown-source"), vec![("unknown-source:a".to_owned(), ids(&["a"]))]);
    }

    #[test]
    fn settings_refuse_what_they_do_not_know() {
        let mut s = Settings::default();
        assert!(s.set("nope.min", "1").unwrap_err().contains("not a rule"));
        assert!(s.set("failed-burst.min", "0").is_err());
        assert!(s.set("failed-burst.colour", "red").unwrap_err().contains("no such setting"));
        assert!(s.set("off-hours.offset", "9").is_err());
        s.set("rdp.enabled", "false").unwrap();
        assert!(!s.enabled("rdp"));
        assert_eq!(span(12 * MIN), "12 min");
        assert_eq!(span(26 * HOUR), "1 d 2 h");
        assert_eq!(format_offset(-330), "-05:30");
    }
}
