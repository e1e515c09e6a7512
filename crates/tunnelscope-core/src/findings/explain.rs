//! Each finding's one sentence, with its numbers: counts, ports, targets, how long.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use hashbrown::HashSet;

use super::{Act, EventIn, Rule, Settings};
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

pub(super) fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

pub(super) fn explain(rule: &Rule, subject: &str, events: &[EventIn<'_>], evidence: &[u32], s: &Settings) -> String {
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
