//! Each finding's one sentence, with its numbers: counts, ports, targets, how long.

use std::collections::BTreeSet;

use hashbrown::HashSet;

use super::{Act, EventIn, Rule, Settings};
use crate::i18n::{Said, span_with};
use crate::time::format_rfc3339;

/// The distinct values `pick` gives for the evidence, in order of first appearance.
pub(super) fn distinct(
    events: &[EventIn<'_>],
    evidence: &[u32],
    pick: impl Fn(Act<'_>) -> Option<String>,
) -> Vec<String> {
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

fn ports(events: &[EventIn<'_>], evidence: &[u32]) -> Vec<String> {
    distinct(events, evidence, |a| match a {
        Act::Tunnel { port, .. } => Some(port.map_or_else(String::new, |p| p.to_string())),
        _ => None,
    })
}

fn targets(events: &[EventIn<'_>], evidence: &[u32]) -> Vec<String> {
    distinct(events, evidence, |a| match a {
        Act::Tunnel { private_ip, .. } => Some(private_ip.to_owned()),
        _ => None,
    })
}

/// A span of time as people say it: `40 s`, `12 min`, `3 h 5 min`, `2 d 4 h`.
pub fn span(ms: i64) -> String {
    span_with(ms, "d")
}

/// A finding's sentence as data; `Said::english` (the `en` table) writes the CLI's.
pub(super) fn explain(rule: &Rule, subject: &str, events: &[EventIn<'_>], evidence: &[u32], s: &Settings) -> Said {
    let n = evidence.len();
    let first = events[evidence[0] as usize].time_ms;
    let last = events[evidence[n - 1] as usize].time_ms;
    let mut said = Said {
        rule: rule.name.to_owned(),
        subject: subject.to_owned(),
        n: n as u64,
        within_ms: (n > 1).then_some(last - first),
        ..Said::default()
    };
    let names = || -> Vec<String> {
        let set: BTreeSet<&str> = evidence.iter().map(|&i| events[i as usize].event_name).collect();
        set.into_iter().map(str::to_owned).collect()
    };
    match rule.name {
        "failed-burst" => said.ports = ports(events, evidence),
        "unusual-port" => {
            said.accepted = evidence.iter().filter(|&&i| !events[i as usize].failed).count() as u64;
            said.ports = ports(events, evidence);
            said.targets = targets(events, evidence);
        }
        "many-targets" | "rdp" | "no-key-push" => said.targets = targets(events, evidence),
        "root-activity" => said.names = names(),
        "off-hours" => {
            said.day_start = s.day_start_hour;
            said.day_end = s.day_end_hour;
            said.offset = format_offset(s.offset_min);
            said.at = format_rfc3339(first);
        }
        "trail-tampering" => {
            said.names = names();
            let who: BTreeSet<&str> = evidence.iter().map(|&i| events[i as usize].principal).collect();
            said.who = who.into_iter().map(str::to_owned).collect();
        }
        "unknown-source" => {
            let ips: BTreeSet<&str> = evidence.iter().map(|&i| events[i as usize].source_ip).collect();
            said.names = ips.into_iter().map(str::to_owned).collect();
        }
        _ => {}
    }
    said
}

/// `+HH:MM`.
pub fn format_offset(minutes: i32) -> String {
    let sign = if minutes < 0 { '-' } else { '+' };
    format!("{sign}{:02}:{:02}", minutes.abs() / 60, minutes.abs() % 60)
}
