//! Which events are evidence of each rule, and how they group into findings: runs of one
//! subject within the rule's window, or the grouping the contract gives a rule of its own.

use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;

use hashbrown::{HashMap, HashSet};

use super::explain::{distinct, explain};
use super::{Act, EventIn, Finding, HOUR, MIN, Rule, Settings};
use crate::i18n::{Lang, Said};
use crate::model::EndpointOp;
use crate::time::format_rfc3339;

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
pub(super) fn runs(rule: &'static Rule, events: &[EventIn<'_>], s: &Settings, out: &mut Vec<Finding>) {
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

fn finding(rule: &'static Rule, subject: &str, events: &[EventIn<'_>], evidence: Vec<u32>, said: Said) -> Finding {
    let first_ms = events[evidence[0] as usize].time_ms;
    let last_ms = events[evidence[evidence.len() - 1] as usize].time_ms;
    let explanation = (Lang::DEFAULT.texts().explain)(&said);
    Finding { rule, subject: subject.to_owned(), first_ms, last_ms, explanation, said, evidence }
}

/// `new-source-ip`: each principal's first tunnel from an IP it had not used, more than the
/// baseline after the principal's first tunnel in the data.
pub(super) fn new_source_ip(rule: &'static Rule, events: &[EventIn<'_>], s: &Settings, out: &mut Vec<Finding>) {
    // Per principal: the first tunnel's time and the source IPs used so far.
    let mut seen: HashMap<&str, (i64, HashSet<&str>)> = HashMap::new();
    for (i, e) in events.iter().enumerate() {
        if !matches!(e.act, Act::Tunnel { .. }) {
            continue;
        }
        let (first, ips) = seen.entry(e.principal_key).or_insert_with(|| (e.time_ms, HashSet::new()));
        let used = ips.len();
        if ips.insert(e.source_ip) && e.time_ms - *first > s.baseline_ms {
            let explanation = Said {
                rule: rule.name.to_owned(),
                subject: e.principal.to_owned(),
                n: used as u64,
                ip: e.source_ip.to_owned(),
                failed: e.failed,
                span_ms: e.time_ms - *first,
                ..Said::default()
            };
            out.push(finding(rule, e.principal, events, vec![i as u32], explanation));
        }
    }
}

/// `short-lived-endpoint`: a Create followed by a Delete of the same endpoint within the
/// longest life, with at least one OpenTunnel naming it between them.
pub(super) fn short_lived(rule: &'static Rule, events: &[EventIn<'_>], s: &Settings, out: &mut Vec<Finding>) {
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
                        let explanation = Said {
                            rule: rule.name.to_owned(),
                            subject: id.clone(),
                            n: tunnels.len() as u64,
                            at: format_rfc3339(events[create as usize].time_ms),
                            span_ms: life,
                            ..Said::default()
                        };
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
pub(super) fn client_ip(rule: &'static Rule, events: &[EventIn<'_>], out: &mut Vec<Finding>) {
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
        let explanation = Said {
            rule: rule.name.to_owned(),
            subject: id.to_owned(),
            n: evidence.len() as u64,
            who: who.into_iter().map(str::to_owned).collect(),
            ..Said::default()
        };
        out.push(finding(rule, id, events, evidence, explanation));
    }
}
