//! The rules at their thresholds' edges, the grouping, the settings and the sentences.

use super::*;
use crate::ids::EventId;
use crate::model::EndpointOp;

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
    assert_eq!(found(&ev, &Settings::default(), "root-activity"), vec![("root-activity:a".to_owned(), ids(&["a"]))]);
}

#[test]
fn new_source_ip_waits_for_the_baseline() {
    let ev = [
        tunnel("a", 0, "alice", "10.0.0.1", 22, false),
        with(tunnel("b", 60, "alice", "10.0.0.1", 22, false), |e| e.source_ip = "203.0.113.1"),
        with(tunnel("c", 25 * 60, "alice", "10.0.0.1", 22, true), |e| e.source_ip = "203.0.113.2"),
        with(tunnel("d", 26 * 60, "alice", "10.0.0.1", 22, false), |e| e.source_ip = "203.0.113.2"),
    ];
    assert_eq!(found(&ev, &Settings::default(), "new-source-ip"), vec![("new-source-ip:c".to_owned(), ids(&["c"]))]);
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
    assert_eq!(found(&ev, &s, "client-ip-not-preserved"), vec![("client-ip-not-preserved:c".to_owned(), ids(&["c"]))]);
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
