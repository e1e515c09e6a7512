// Property tests: native only (proptest does not build for wasm32-unknown-unknown).
#![cfg(not(target_arch = "wasm32"))]
//! The query language (contracts.md §5) over a small hand-built trail and the built-in sample.

mod common;

use std::sync::OnceLock;

use common::{ACCT, alice, bob, carol, mallory};
use proptest::prelude::*;
use serde_json::{Value, json};
use tunnelscope_core::Dataset;
use tunnelscope_core::query::{Query, QueryError, QueryIndex, TimeWindow, format_term, matching_indices};
use tunnelscope_core::sample::{SAMPLE_FILE_NAME, sample_trail_json};
use tunnelscope_core::time::parse_user_time_ms;

const EP_A: &str = "eice-0aaa1111aaaa11110";
const EP_B: &str = "eice-0bbb2222bbbb22220";
const ALICE_UA: &str = "aws-cli/2.22.4 os/linux command/ec2-instance-connect.ssh";
const BOB_UA: &str = "aws-cli/2.22.4 os/macos command/ec2-instance-connect.open-tunnel";

#[allow(clippy::too_many_arguments)]
fn rec(id: &str, time: &str, who: Value, source: &str, name: &str, region: &str, ip: &str, ua: &str) -> Value {
    json!({"eventVersion":"1.11","eventID":id,"eventTime":time,"userIdentity":who,"eventSource":source,"eventName":name,
        "awsRegion":region,"sourceIPAddress":ip,"userAgent":ua,"recipientAccountId":ACCT,"requestParameters":null,"responseElements":null})
}

fn with(mut r: Value, extra: Value) -> Value {
    if let (Value::Object(m), Value::Object(more)) = (&mut r, extra) {
        m.extend(more);
    }
    r
}

const EIC: &str = "ec2-instance-connect.amazonaws.com";
const EC2: &str = "ec2.amazonaws.com";

/// Nine events: four tunnels (one failed, one from an IPv4-mapped IPv6 source, one to an IPv6
/// target), a Create, a Describe, a key push, a service call and a failed unrelated call.
fn trail() -> &'static Dataset {
    static DS: OnceLock<Dataset> = OnceLock::new();
    DS.get_or_init(|| {
        let records = vec![
            with(
                rec("t1", "2026-10-01T10:00:00Z", alice(), EIC, "OpenTunnel", "us-east-1", "198.51.100.10", ALICE_UA),
                json!({"requestParameters":{"instanceConnectEndpointId":EP_A,"remotePort":"22","privateIpAddress":"10.0.1.15","maxTunnelDuration":"1800"}}),
            ),
            with(
                rec("t2", "2026-10-01T12:00:00Z", bob(), EIC, "OpenTunnel", "eu-west-1", "2001:db8:44::17", BOB_UA),
                json!({"requestParameters":{"instanceConnectEndpointId":EP_B,"remotePort":"3389","privateIpAddress":"fd00:ec2:10::15"}}),
            ),
            with(
                rec("t3", "2026-10-01T12:30:00Z", mallory(), EIC, "OpenTunnel", "us-east-1", "192.0.2.66", "Boto3/1.35.20"),
                json!({"requestParameters":{"instanceConnectEndpointId":EP_A,"remotePort":5432,"privateIpAddress":"10.0.2.40","maxTunnelDuration":3600},
                    "errorCode":"AccessDenied","errorMessage":"not authorized"}),
            ),
            with(
                rec("t4", "2026-10-01T15:00:00Z", alice(), EIC, "OpenTunnel", "us-east-1", "::ffff:198.51.100.10", ALICE_UA),
                json!({"requestParameters":{"instanceConnectEndpointId":EP_A,"remotePort":22,"privateIpAddress":"10.0.1.27","maxTunnelDuration":60}}),
            ),
            with(
                rec("c1", "2026-10-01T09:00:00Z", bob(), EC2, "CreateInstanceConnectEndpoint", "eu-west-1", "203.0.113.25", BOB_UA),
                json!({"responseElements":{"CreateInstanceConnectEndpointResponse":{"instanceConnectEndpoint":{"instanceConnectEndpointId":EP_B,"state":"create-in-progress"}}}}),
            ),
            with(
                rec("d1", "2026-10-01T10:00:30Z", alice(), EC2, "DescribeInstanceConnectEndpoints", "us-east-1", "198.51.100.10", ALICE_UA),
                json!({"requestParameters":{"DescribeInstanceConnectEndpointsRequest":{"InstanceConnectEndpointId":{"item":EP_A}}}}),
            ),
            with(
                rec("k1", "2026-10-01T09:59:56Z", alice(), EIC, "SendSSHPublicKey", "us-east-1", "198.51.100.10", ALICE_UA),
                json!({"requestParameters":{"instanceId":"i-0a11b22c33d44e55f","instanceOSUser":"ec2-user"}}),
            ),
            with(
                rec(
                    "s1",
                    "2026-10-02T00:00:00Z",
                    json!({"type":"AWSService","invokedBy":EC2}),
                    EC2,
                    "DescribeInstances",
                    "us-east-1",
                    EC2,
                    EC2,
                ),
                json!({"recipientAccountId":"444455556666"}),
            ),
            with(
                rec(
                    "g1",
                    "2026-09-30T23:59:59Z",
                    carol(),
                    "sts.amazonaws.com",
                    "GetCallerIdentity",
                    "us-east-1",
                    "198.51.100.200",
                    "Mozilla/5.0 (X11) Überbrowser",
                ),
                json!({"errorCode":"ExpiredToken"}),
            ),
        ];
        let bytes = serde_json::to_vec(&json!({ "Records": records })).unwrap_or_default();
        let mut ds = Dataset::new();
        ds.add_file("trail.json", &bytes);
        assert_eq!(ds.events().len(), 9, "every test record loads");
        ds
    })
}

fn index() -> &'static QueryIndex {
    static IX: OnceLock<QueryIndex> = OnceLock::new();
    IX.get_or_init(|| QueryIndex::new(trail()))
}

fn ids(ds: &Dataset, idx: &[u32]) -> Vec<String> {
    let mut out: Vec<String> = idx.iter().map(|&i| ds.events()[i as usize].event_id.clone()).collect();
    out.sort();
    out
}

fn sorted(expected: &[&str]) -> Vec<String> {
    let mut v: Vec<String> = expected.iter().map(|s| (*s).to_owned()).collect();
    v.sort();
    v
}

/// The query matches exactly these events of the hand-built trail.
#[track_caller]
fn check(query: &str, expected: &[&str]) {
    let ds = trail();
    let q = Query::parse(query).unwrap_or_else(|e| panic!("{query:?} should parse: {e}"));
    let got = ids(ds, &matching_indices(ds, &q, None));
    assert_eq!(got, sorted(expected), "query {query:?} ({})", q.describe());
    // `matches` and `matching_indices` agree.
    let direct: Vec<String> = ds.iter().filter(|e| q.matches(e)).map(|e| e.event_id.to_string()).collect();
    let direct: Vec<&str> = direct.iter().map(String::as_str).collect();
    assert_eq!(sorted(&direct), sorted(expected), "query {query:?} via matches");
    // The columnar index agrees with the scan.
    assert_eq!(ids(ds, &index().matching_indices(ds, &q, None)), sorted(expected), "query {query:?} via the index");
}

/// The query is rejected with this span (in characters) and a message containing `needle`.
#[track_caller]
fn check_err(query: &str, span: (usize, usize), needle: &str) {
    let e: QueryError = Query::parse(query).expect_err(query);
    assert_eq!((e.start, e.end), span, "query {query:?}: {e}");
    assert!(e.message.contains(needle), "query {query:?}: {e}");
    assert!(e.to_string().contains(&e.message));
}

const ALL: &[&str] = &["t1", "t2", "t3", "t4", "c1", "d1", "k1", "s1", "g1"];

#[test]
fn empty_query_matches_everything() {
    check("", ALL);
    check("   \t ", ALL);
    assert!(Query::parse("").unwrap().is_empty());
    assert!(!Query::parse("alice").unwrap().is_empty());
}

#[test]
fn bare_words_search_every_listed_field() {
    check("alice", &["t1", "t4", "d1", "k1"]); // principal
    check("ALICE", &["t1", "t4", "d1", "k1"]);
    check("user/contractor", &["t3"]); // principal ARN
    check("opentunnel", &["t1", "t2", "t3", "t4"]); // event name
    check("203.0.113", &["c1"]); // source IP
    check("boto3", &["t3"]); // user agent
    check("accessdenied", &["t3"]); // error code
    check(EP_B, &["t2", "c1"]); // endpoint IDs, tunnel and activity
    check("eice-0aaa", &["t1", "t3", "t4", "d1"]);
    check("10.0.1", &["t1", "t4"]); // target IP
    check("fd00:ec2", &["t2"]); // IPv6 target as a word, not a key
    check("2001:db8:44::17", &["t2"]); // a whole IPv6 address is a word
    check("überbrowser", &["g1"]); // non-ASCII, case-insensitive
    check("ÜBERBROWSER", &["g1"]);
    check("nothing-has-this", &[]);
}

#[test]
fn bare_words_are_anded_and_phrases_keep_spaces() {
    check("alice opentunnel", &["t1", "t4"]);
    check("alice bob", &[]);
    check("\"(X11) Über\"", &["g1"]);
    check("\"os/linux command\"", &["t1", "t4", "d1", "k1"]);
    check(&format!("arn:aws:iam::{ACCT}:user/alice"), &["t1", "t4", "d1", "k1"]);
    check("\"user:alice\"", &[]); // quoted: the literal text, not a key
}

#[test]
fn user_term() {
    check("user:alice", &["t1", "t4", "d1", "k1"]);
    check("user:Admin/bob", &["t2", "c1"]);
    check("user:\"admin/BOB\"", &["t2", "c1"]);
    check("user:\" bob\"", &[]); // quoted values are not trimmed
    check("USER:carol@example.com", &["g1"]);
    check("user:assumed-role", &["t2", "c1", "g1"]); // the ARN counts
    check("user:alice user:mallory", &["t1", "t4", "d1", "k1", "t3"]); // same key: OR
    check("user:ec2.amazonaws.com", &["s1"]);
}

#[test]
fn ip_term_v4_v6_and_non_ip_sources() {
    check("ip:198.51.100.0/24", &["t1", "t4", "d1", "k1", "g1"]); // t4 is IPv4-mapped IPv6
    check("ip:198.51.100.10", &["t1", "t4", "d1", "k1"]);
    check("ip:198.51.100.10/32", &["t1", "t4", "d1", "k1"]);
    check("ip:2001:db8::/32", &["t2"]);
    check("ip:2001:DB8:44::17", &["t2"]);
    check("ip:0.0.0.0/0", &["t1", "t3", "t4", "c1", "d1", "k1", "g1"]); // not s1 (ec2.amazonaws.com)
    check("ip:::/0", &["t2", "t4"]);
    check("ip:192.0.2.0/24 ip:203.0.113.0/24", &["t3", "c1"]);
    check("-ip:198.51.100.0/24", &["t2", "t3", "c1", "s1"]);
}

#[test]
fn target_term_applies_to_tunnels_only() {
    check("target:10.0.0.0/16", &["t1", "t3", "t4"]);
    check("target:10.0.1.15", &["t1"]);
    check("target:fd00::/8", &["t2"]);
    check("target:0.0.0.0/0 target:::/0", &["t1", "t2", "t3", "t4"]);
}

#[test]
fn port_term_applies_to_tunnels_only() {
    check("port:22", &["t1", "t4"]); // not the SSH key push k1
    check("port:22 port:3389", &["t1", "t2", "t4"]);
    check("port:5432", &["t3"]); // numeric remotePort
    check("port:0", &[]);
    check("-port:22", &["t2", "t3", "c1", "d1", "k1", "s1", "g1"]);
}

#[test]
fn endpoint_event_outcome_region_account() {
    check(&format!("endpoint:{EP_A}"), &["t1", "t3", "t4", "d1"]);
    check(&format!("endpoint:{}", EP_B.to_uppercase()), &["t2", "c1"]);
    check("endpoint:eice-0aaa", &[]); // exact, not a prefix
    check(&format!("endpoint:{EP_A} endpoint:{EP_B}"), &["t1", "t2", "t3", "t4", "c1", "d1"]);
    check("event:opentunnel", &["t1", "t2", "t3", "t4"]);
    check("event:OpenTunne", &[]); // exact
    check("event:OpenTunnel event:SendSSHPublicKey", &["t1", "t2", "t3", "t4", "k1"]);
    check("outcome:failed", &["t3", "g1"]);
    check("outcome:Accepted event:OpenTunnel", &["t1", "t2", "t4"]);
    check("outcome:failed outcome:accepted", ALL);
    check("-outcome:failed", &["t1", "t2", "t4", "c1", "d1", "k1", "s1"]);
    check("region:eu-west-1", &["t2", "c1"]);
    check("region:eu-west", &[]); // exact
    check("region:eu-west-1 region:us-east-1", ALL);
    check("account:444455556666", &["s1"]);
    check("account:4444", &[]);
    check("-account:444455556666", &["t1", "t2", "t3", "t4", "c1", "d1", "k1", "g1"]);
}

#[test]
fn after_and_before_boundaries() {
    check("after:2026-10-02", &["s1"]); // exactly at midnight: >=
    check("before:2026-10-02", &["t1", "t2", "t3", "t4", "c1", "d1", "k1", "g1"]); // <
    check("before:2026-10-01", &["g1"]);
    check("after:2026-10-01T12:00:00Z", &["t2", "t3", "t4", "s1"]);
    check("after:2026-10-01T14:00:00+02:00", &["t2", "t3", "t4", "s1"]); // offsets are honoured
    check("after:2026-10-01T10:00Z before:2026-10-01T12:00Z", &["t1", "d1"]);
    check("after:2026-10-01T10:00:30Z before:2026-10-01T10:00:31Z", &["d1"]);
    check("before:2026-10-01T09:59:56Z", &["c1", "g1"]);
    // Same key repeated is OR: after either time.
    check("after:2026-10-02 after:2026-10-01T15:00Z", &["t4", "s1"]);
}

#[test]
fn active_term_uses_start_to_latest_end() {
    check("active:2026-10-01T10:20Z", &["t1"]); // 1800 s tunnel
    check("active:2026-10-01T10:00Z", &["t1"]); // start inclusive
    check("active:2026-10-01T10:30Z", &["t1"]); // latest end inclusive
    check("active:2026-10-01T10:30:01Z", &[]);
    check("active:2026-10-01T12:45Z", &["t2", "t3"]); // assumed 3600 s; failed attempts too
    check("active:2026-10-01T12:45Z outcome:accepted", &["t2"]);
    check("active:2026-10-01T15:01Z", &["t4"]); // 60 s tunnel
    check("active:2026-10-01T15:01:01Z", &[]);
    check("active:2026-10-01T10:10Z active:2026-10-01T15:00:30Z", &["t1", "t4"]);
}

#[test]
fn negation_each_term_is_its_own_condition() {
    check("-user:alice -user:bob", &["t3", "s1", "g1"]);
    check("-alice", &["t2", "t3", "c1", "s1", "g1"]);
    check(&format!("endpoint:{EP_A} -event:DescribeInstanceConnectEndpoints"), &["t1", "t3", "t4"]);
    check("-\"os/linux command\"", &["t2", "t3", "c1", "s1", "g1"]);
    check("user:alice -user:alice", &[]);
    check("event:OpenTunnel -target:10.0.0.0/8", &["t2"]);
    check("-active:2026-10-01T10:20Z event:OpenTunnel", &["t2", "t3", "t4"]);
}

#[test]
fn different_keys_are_anded() {
    check("user:alice port:22", &["t1", "t4"]);
    check("user:alice port:22 before:2026-10-01T12:00Z", &["t1"]);
    check("user:bob port:22", &[]);
    check("user:alice user:bob port:3389", &["t2"]);
    // The example, adapted to this trail.
    check(
        "user:alice port:22 ip:198.51.100.0/24 target:10.0.0.0/8 outcome:accepted active:2026-10-01T10:00Z -event:DescribeInstanceConnectEndpoints",
        &["t1"],
    );
}

#[test]
fn errors_carry_a_message_and_the_term_span() {
    check_err("foo:bar", (0, 7), "unknown key");
    check_err("alice https://x", (6, 15), "unknown key \"https\"");
    check_err("alice ip:300.1.1.1/24", (6, 21), "not an IP");
    check_err("ip:10.0.0.0/33", (0, 14), "not an IP");
    check_err("target:nope", (0, 11), "not an IP");
    check_err("port:http", (0, 9), "port");
    check_err("port:4294967296", (0, 15), "port");
    check_err("port:-1", (0, 7), "port");
    check_err("after:yesterday", (0, 15), "not a time");
    check_err("x before:2026-13-01", (2, 19), "not a time");
    check_err("active:soon", (0, 11), "not a time");
    check_err("user:\"bob", (0, 9), "unterminated quote");
    check_err("alice \"two words", (6, 16), "unterminated quote");
    check_err("outcome:maybe", (0, 13), "failed or accepted");
    check_err("user:", (0, 5), "needs a value");
    check_err("user:\"\"", (0, 7), "needs a value");
    check_err("alice - bob", (6, 7), "nothing to negate");
    check_err("\"\"", (0, 2), "empty");
    // Spans count characters, not bytes.
    check_err("é ü port:x", (4, 10), "port");
    let e = Query::parse("é ü port:x").unwrap_err();
    assert_eq!(&"é ü port:x"[e.byte_range("é ü port:x")], "port:x");
    // The first bad term is reported even when later ones are fine.
    check_err("port:x user:alice", (0, 6), "port");
}

#[test]
fn from_str_and_describe() {
    let q: Query = "port:22 user:alice".parse().unwrap();
    assert_eq!(q, Query::parse("user:alice port:22").unwrap());
    assert!("port:x".parse::<Query>().is_err());
    assert!(q.describe().contains("port = 22"));
}

#[test]
fn format_term_makes_terms_that_match_the_value() {
    check(&format_term("user", "Admin/bob"), &["t2", "c1"]);
    check(&format_term("", "(X11) Über"), &["g1"]);
    check(&format_term("endpoint", EP_B), &["t2", "c1"]);
    check(&format!("-{}", format_term("event", "OpenTunnel")), &["c1", "d1", "k1", "s1", "g1"]);
}

#[test]
fn matching_indices_applies_the_window() {
    let ds = trail();
    let both = |q: &Query, w: Option<TimeWindow>| {
        let scan = matching_indices(ds, q, w);
        assert_eq!(index().matching_indices(ds, q, w), scan, "index and scan agree on {w:?}");
        scan
    };
    let ms = |s: &str| parse_user_time_ms(s).unwrap();
    let all = Query::default();
    let w = |a: &str, b: &str| Some(TimeWindow { start_ms: ms(a), end_ms: ms(b) });
    // Plain events: start inclusive, end exclusive.
    let got = ids(ds, &both(&all, w("2026-10-01T10:00:00Z", "2026-10-01T10:00:30Z")));
    assert_eq!(got, sorted(&["t1"]));
    let got = ids(ds, &both(&all, w("2026-10-01T09:59:56Z", "2026-10-01T10:00:31Z")));
    assert_eq!(got, sorted(&["t1", "d1", "k1"]));
    // Tunnels overlap the window by their [start, latest_end] interval.
    let got = ids(ds, &both(&all, w("2026-10-01T12:40Z", "2026-10-01T12:50Z")));
    assert_eq!(got, sorted(&["t2", "t3"]));
    let got = ids(ds, &both(&all, w("2026-10-01T10:30Z", "2026-10-01T10:31Z")));
    assert_eq!(got, sorted(&["t1"]), "a tunnel's latest end touching the window counts");
    // Query and window together.
    let failed = Query::parse("outcome:failed").unwrap();
    let got = ids(ds, &both(&failed, w("2026-10-01T12:40Z", "2026-10-01T12:50Z")));
    assert_eq!(got, sorted(&["t3"]));
    // Indices come back in dataset order.
    let idx = both(&all, None);
    assert_eq!(idx, (0..ds.events().len() as u32).collect::<Vec<_>>());
    assert!(both(&all, w("2026-10-05", "2026-10-06")).is_empty());
    // Empty and inverted windows match nothing, even tunnels spanning them.
    assert!(both(&all, w("2026-10-01T10:10Z", "2026-10-01T10:10Z")).is_empty());
    assert!(both(&all, w("2026-10-01T10:20Z", "2026-10-01T10:10Z")).is_empty());
}

#[test]
fn over_the_built_in_sample() {
    let mut ds = Dataset::new();
    ds.add_file(SAMPLE_FILE_NAME, &sample_trail_json());
    let ix = QueryIndex::new(&ds);
    assert_eq!(ix.len(), ds.events().len());
    let count = |q: &str| {
        let q = Query::parse(q).unwrap();
        let scan = matching_indices(&ds, &q, None);
        assert_eq!(ix.matching_indices(&ds, &q, None), scan, "index and scan agree on {}", q.describe());
        scan.len()
    };
    let stats = |q: &str| {
        let idx = matching_indices(&ds, &Query::parse(q).unwrap(), None);
        ds.stats_of(idx.iter().filter_map(|&i| ds.get(i)))
    };
    assert_eq!(count(""), ds.events().len());
    assert_eq!(count("event:OpenTunnel"), 45);
    let s = stats("event:OpenTunnel");
    assert_eq!((s.tunnels.total, s.tunnels.failed, s.endpoints.len()), (45, 5, 3));
    let s = stats("outcome:failed");
    assert_eq!((s.tunnels.total, s.tunnels.failed), (5, 5));
    assert_eq!(stats("outcome:accepted").tunnels.failed, 0);
    // Six RDP tunnels in the working day plus one failed probe.
    assert_eq!(count("port:3389"), 7);
    assert_eq!(count("port:22 port:3389") + count("port:8080 port:5432"), 45);
    // Carol works over IPv6: every third tunnel of the day.
    assert_eq!(count("ip:2001:db8::/32 event:OpenTunnel"), 12);
    assert!(count("target:fd00::/8") > 0);
    assert_eq!(count("target:fd00::/8") + count("target:0.0.0.0/0"), 45);
    assert_eq!(count("user:contractor-mallory event:OpenTunnel"), 5);
    // The window selects tunnels by overlap: late in the day, the latest tunnels are still active.
    let end = ds.events().iter().map(|e| e.time_ms).max().unwrap();
    let window = Some(TimeWindow { start_ms: end - 1, end_ms: end + 1 });
    assert!(!matching_indices(&ds, &Query::default(), window).is_empty());
}

#[test]
fn index_agrees_with_scan_on_many_queries_and_windows() {
    let mut ds = Dataset::new();
    ds.add_file(SAMPLE_FILE_NAME, &sample_trail_json());
    let ix = QueryIndex::new(&ds);
    let terms = [
        "alice",
        "BOB",
        "carol@example.com",
        "2001:db8",
        "10.20",
        "eice-0f9e",
        "accessdenied",
        "cloudshell",
        "user:admin",
        "user:contractor",
        "ip:203.0.113.0/24",
        "ip:2001:db8::/32",
        "ip:0.0.0.0/0",
        "target:10.0.0.0/8",
        "target:fd00::/8",
        "port:22",
        "port:3389",
        "endpoint:eice-0a1b2c3d4e5f60718",
        "endpoint:eice-04c5d6e7f8091a2b3",
        "event:OpenTunnel",
        "event:SendSSHPublicKey",
        "event:describeinstanceconnectendpoints",
        "outcome:failed",
        "outcome:accepted",
        "region:eu-west-1",
        "account:111122223333",
        "after:2026-10-01T12:00Z",
        "before:2026-10-01T14:00Z",
        "active:2026-10-01T13:00Z",
        "active:2026-10-01T10:00Z",
    ];
    let t0 = parse_user_time_ms("2026-10-01T08:00Z").unwrap();
    let hour = 3_600_000;
    let windows = [
        None,
        Some(TimeWindow { start_ms: t0 + 3 * hour, end_ms: t0 + 5 * hour }),
        Some(TimeWindow { start_ms: t0, end_ms: t0 }),
    ];
    let mut checked = 0;
    for (i, a) in terms.iter().enumerate() {
        for (j, b) in terms.iter().enumerate().skip(i) {
            let b = if (i + j) % 3 == 0 { format!("-{b}") } else { (*b).to_owned() };
            for text in [a.to_string(), format!("{a} {b}"), format!("-{a} {b}")] {
                let q = Query::parse(&text).unwrap();
                for w in windows {
                    assert_eq!(ix.matching_indices(&ds, &q, w), matching_indices(&ds, &q, w), "{text:?} {w:?}");
                    checked += 1;
                }
            }
        }
    }
    assert!(checked > 1000);
    assert!(QueryIndex::default().is_empty());
}

/// Issue 17: `OR` was a search word, so `user:alice OR user:carol` matched nothing.
#[test]
fn or_and_and_combine_what_is_on_either_side() {
    check("user:alice OR user:carol", &["t1", "t4", "d1", "k1", "g1"]);
    check("user:alice OR port:3389", &["t1", "t4", "d1", "k1", "t2"]);
    check("alice OR bob OR carol", &["t1", "t4", "d1", "k1", "t2", "c1", "g1"]);
    // AND (and terms side by side) bind tighter than OR.
    check("user:alice port:22 OR user:bob", &["t1", "t4", "t2", "c1"]);
    check("user:bob OR user:alice port:22", &["t1", "t4", "t2", "c1"]);
    check("user:alice AND port:22 OR outcome:failed", &["t1", "t4", "t3", "g1"]);
    // Side by side, the same key is either (§5); an explicit AND needs both.
    check("user:alice user:bob", &["t1", "t4", "d1", "k1", "t2", "c1"]);
    check("user:alice AND user:bob", &[]);
    check("user:alice AND user:iam", &["t1", "t4", "d1", "k1"]);
    check("port:22 port:3389 AND event:OpenTunnel", &["t1", "t2", "t4"]);
    check("alice AND opentunnel", &["t1", "t4"]);
    check("-user:alice OR port:22", &["t1", "t2", "t3", "t4", "c1", "s1", "g1"]);
}

#[test]
fn parentheses_group_and_negate() {
    check("(user:alice OR user:bob) port:22", &["t1", "t4"]);
    check("(user:alice OR user:bob) (port:22 OR port:3389)", &["t1", "t2", "t4"]);
    check("((user:alice))", &["t1", "t4", "d1", "k1"]);
    check("user:alice (user:iam)", &["t1", "t4", "d1", "k1"]); // a group is its own condition
    check("user:alice (user:bob)", &[]);
    check("-(user:alice OR user:bob)", &["t3", "s1", "g1"]);
    check("NOT (user:alice OR user:bob)", &["t3", "s1", "g1"]);
    check("NOT user:alice", &["t2", "t3", "c1", "s1", "g1"]);
    check("NOT NOT user:alice", &["t1", "t4", "d1", "k1"]);
    check("-(-user:alice)", &["t1", "t4", "d1", "k1"]);
    check("event:OpenTunnel -(port:22 OR outcome:failed)", &["t2"]);
    check("event:OpenTunnel NOT (port:22 OR outcome:failed)", &["t2"]);
    check("(alice)(bob)", &[]);
    check("user:alice OR (event:OpenTunnel -port:22)", &["t1", "t4", "d1", "k1", "t2", "t3"]);
    // Quoted, parentheses and operators are text.
    check("\"(X11)\"", &["g1"]);
    check("\"OR\"", &["t3"]); // contractor-mallory
    check("user:OR", &["t3"]);
}

/// Issue 17: `user:ali*` matched nothing.
#[test]
fn wildcards_in_text_terms() {
    check("user:ali*", &["t1", "t4", "d1", "k1"]);
    check("user:a*ce", &["t1", "t4", "d1", "k1"]);
    check("user:*mallory", &["t3"]);
    check("user:arn:aws:sts*bob", &["t2", "c1"]);
    check("ali*", &["t1", "t4", "d1", "k1"]);
    check("open*nnel", &["t1", "t2", "t3", "t4", "c1"]); // c1: bob's agent, …open-tunnel
    check("*", ALL);
    check("-*", &[]);
    check("über*browser", &["g1"]);
    check("ÜBER*BROWSER", &["g1"]);
    check("x11*über", &["g1"]);
    check("über*x11", &[]); // in order
    // Exact keys match the whole value.
    check("event:Describe*", &["d1", "s1"]);
    check("event:*Tunnel", &["t1", "t2", "t3", "t4"]);
    check("event:open*", &["t1", "t2", "t3", "t4"]);
    check("event:*instance*", &["c1", "d1", "s1"]);
    check("event:Open*Tunnel", &["t1", "t2", "t3", "t4"]);
    check("event:Open*Tunnel*X", &[]);
    check("event:OpenTunnel*", &["t1", "t2", "t3", "t4"]); // `*` matches nothing too
    check("event:O**l", &["t1", "t2", "t3", "t4"]);
    check("event:*", ALL);
    check("endpoint:eice-0aaa*", &["t1", "t3", "t4", "d1"]);
    check("endpoint:eice-0aaa", &[]); // still exact without the *
    check("region:eu-*", &["t2", "c1"]);
    check("region:*-1", ALL);
    check("account:4444*", &["s1"]);
    check("-event:Describe*", &["t1", "t2", "t3", "t4", "c1", "k1", "g1"]);
    // Quoted, a star is a star.
    check("\"ali*\"", &[]);
    check("user:\"ali*\"", &[]);
    check("event:\"Open*\"", &[]);
    check(&format_term("user", "ali*"), &[]);
    check(&format!("{}*", format_term("user", "(X11")), &[]);
}

/// Issue 17: `(user:alice` and a `*` where it cannot apply matched nothing without an error.
#[test]
fn malformed_structure_is_an_error_with_its_position() {
    check_err("(user:alice", (0, 1), "never closed");
    check_err("user:alice (port:22 OR (port:3389)", (11, 12), "never closed");
    check_err("user:alice)", (10, 11), "no ( to close");
    check_err(")", (0, 1), "no ( to close");
    check_err("(a))", (3, 4), "no ( to close");
    check_err("()", (0, 2), "empty parentheses");
    check_err("alice ( )", (6, 9), "empty parentheses");
    check_err("-()", (1, 3), "empty parentheses");
    check_err("OR user:a", (0, 2), "needs a term before");
    check_err("AND user:a", (0, 3), "needs a term before");
    check_err("user:a OR", (7, 9), "needs a term after");
    check_err("user:a OR OR user:b", (7, 9), "needs a term after");
    check_err("user:a AND", (7, 10), "needs a term after");
    check_err("(user:a OR) b", (8, 10), "needs a term after");
    check_err("NOT", (0, 3), "NOT needs a term");
    check_err("a NOT OR b", (2, 5), "NOT needs a term");
    check_err("-OR", (0, 3), "negates nothing");
    check_err("user:alice or user:carol", (11, 13), "not an operator");
    check_err("alice and bob", (6, 9), "not an operator");
    check_err("alice And bob", (6, 9), "not an operator");
    check_err("not alice", (0, 3), "not an operator");
    check_err("-(", (1, 2), "never closed");
    check_err("- (a)", (0, 1), "nothing to negate");
    let deep = format!("{}a{}", "(".repeat(40), ")".repeat(40));
    check_err(&deep, (32, 33), "nested more than 32");
    check_err(&"NOT ".repeat(40).add("a"), (128, 131), "NOTs in a row");
    // A wildcard where the key takes no text.
    check_err("ip:10.*", (0, 7), "not a wildcard");
    check_err("x target:10.0.*", (2, 15), "CIDR");
    check_err("port:2*", (0, 7), "port number, not a wildcard");
    check_err("outcome:fail*", (0, 13), "not a wildcard");
    check_err("after:2026*", (0, 11), "a time, not a wildcard");
    check_err("-active:*", (0, 9), "a time, not a wildcard");
    // Quoted, the star is a character, and the value is simply wrong.
    check_err("port:\"2*\"", (0, 9), "not a port number");
    // The first error in reading order wins.
    check_err("(port:x", (1, 7), "port");
}

trait Add {
    fn add(self, s: &str) -> String;
}

impl Add for String {
    fn add(mut self, s: &str) -> String {
        self.push_str(s);
        self
    }
}

/// The printed form: canonical, in the language, and read back as the same query.
#[test]
fn queries_print_back_in_the_language() {
    for (text, printed) in [
        ("", ""),
        ("alice", "alice"),
        ("port:22 user:alice port:3389 -event:X", "(port:22 OR port:3389) user:alice -event:X"),
        ("user:alice OR user:carol", "user:alice OR user:carol"),
        ("user:a AND user:b", "user:a AND user:b"),
        ("user:a AND user:b port:22", "port:22 AND user:a AND user:b"),
        ("a b OR c", "(a b) OR c"),
        ("a (b OR c) OR d", "(a (b OR c)) OR d"),
        ("-(user:alice OR user:bob)", "-(user:alice OR user:bob)"),
        ("NOT (a b)", "-(a b)"),
        ("NOT NOT alice", "alice"),
        ("((alice))", "alice"),
        ("event:Describe*", "event:Describe*"),
        ("user:\"a b\"*", "user:\"a b\"*"),
        ("\"ali*\"", "\"ali*\""),
        ("\"or\"", "\"or\""),
        ("\"(X11)\" \"-x\" \"a:b\"", "\"(X11)\" \"-x\" \"a:b\""),
        ("ali**ce", "ali*ce"),
        ("after:2026-10-01 ip:10.0.0.1", "after:2026-10-01 ip:10.0.0.1/32"),
        ("outcome:FAILED active:\"2026-10-01 10:00\"", "active:\"2026-10-01 10:00\" outcome:failed"),
        ("2001:db8::1 arn:aws:iam::1:user/x", "\"2001:db8::1\" \"arn:aws:iam::1:user/x\""),
    ] {
        let q = Query::parse(text).unwrap_or_else(|e| panic!("{text:?}: {e}"));
        assert_eq!(q.to_string(), printed, "{text:?}");
        assert_eq!(Query::parse(printed).unwrap(), q, "{printed:?}");
    }
    let q = Query::parse("user:alice port:22 OR -(event:X OR event:Y*)").unwrap();
    assert_eq!(q.describe(), "(port = 22 AND principal contains \"alice\") OR NOT (event = X OR event matches \"Y*\")");
    assert_eq!(Query::parse("ali*ce").unwrap().describe(), "text matches \"*ali*ce*\"");
}

/// A query made of terms whose matches are known, combined with OR, AND (explicit or side by
/// side), NOT and `-`, to be written out and checked against set algebra.
#[derive(Debug, Clone)]
enum Q {
    Leaf(String),
    Or(Vec<Q>),
    /// Explicit AND, or groups side by side.
    And(Vec<Q>, bool),
    /// `NOT (…)` or `-(…)`.
    Not(Box<Q>, bool),
}

impl Q {
    fn text(&self) -> String {
        // Side by side, terms with one key would be either (§5): groups keep them apart.
        let group = |q: &Q, always: bool| match q {
            Q::Leaf(t) if !always => t.clone(),
            other => format!("({})", other.text()),
        };
        match self {
            Q::Leaf(t) => t.clone(),
            Q::Or(qs) => qs.iter().map(|q| group(q, false)).collect::<Vec<_>>().join(" OR "),
            Q::And(qs, side) => {
                qs.iter().map(|q| group(q, *side)).collect::<Vec<_>>().join(if *side { " " } else { " AND " })
            }
            Q::Not(q, word) => format!("{}{}", if *word { "NOT " } else { "-" }, group(q, true)),
        }
    }

    /// The events it must match, from its terms' own matches.
    fn expected(&self, ds: &Dataset) -> std::collections::BTreeSet<u32> {
        match self {
            Q::Leaf(t) => {
                matching_indices(ds, &Query::parse(t).expect("a generated term parses"), None).into_iter().collect()
            }
            Q::Or(qs) => qs.iter().flat_map(|q| q.expected(ds)).collect(),
            Q::And(qs, _) => {
                let all: std::collections::BTreeSet<u32> = (0..ds.len() as u32).collect();
                qs.iter().fold(all, |acc, q| acc.intersection(&q.expected(ds)).copied().collect())
            }
            Q::Not(q, _) => {
                let inner = q.expected(ds);
                (0..ds.len() as u32).filter(|i| !inner.contains(i)).collect()
            }
        }
    }
}

mod strategies {
    use proptest::prelude::*;
    use tunnelscope_core::query::format_term;

    use super::Q;

    /// Values of any characters (quotes, colons, stars, parentheses, operators' names, …).
    pub(super) fn value() -> impl Strategy<Value = String> {
        prop_oneof![
            prop::sample::select(&["alice", "bob", "OR", "and", "(x)", "a b", "-x", "\"q\"", "a\\b", "*", ":"][..])
                .prop_map(str::to_owned),
            prop::collection::vec(any::<char>(), 1..6).prop_map(String::from_iter),
        ]
    }

    /// One valid term: fixed ones that match parts of the trail, literal values of text keys
    /// (format_term), and wildcard patterns of arbitrary pieces.
    pub(super) fn term() -> impl Strategy<Value = String> {
        let fixed = prop::sample::select(
            &[
                "alice",
                "user:bob",
                "user:ali*",
                "user:a*ce",
                "opentunnel",
                "open*nnel",
                "*",
                "event:OpenTunnel",
                "event:Describe*",
                "event:*Instance*",
                "endpoint:eice-0aaa*",
                "region:eu-*",
                "account:4444*",
                "ip:198.51.100.0/24",
                "ip:2001:db8::/32",
                "target:10.0.0.0/8",
                "port:22",
                "port:3389",
                "outcome:failed",
                "outcome:accepted",
                "after:2026-10-01T12:00Z",
                "before:2026-10-01",
                "active:2026-10-01T12:45Z",
                "\"os/linux command\"",
                "2001:db8:44::17",
                "user:OR",
            ][..],
        )
        .prop_map(str::to_owned);
        let keys = prop::sample::select(&["", "user", "event", "endpoint", "region", "account"][..]);
        let literal = (keys.clone(), value()).prop_map(|(k, v)| format_term(k, &v));
        let pattern =
            (keys, prop::collection::vec(prop_oneof![Just(String::new()), value()], 2..4)).prop_map(|(k, pieces)| {
                let body: Vec<String> =
                    pieces.iter().map(|p| if p.is_empty() { String::new() } else { format_term("", p) }).collect();
                let body = body.join("*");
                if k.is_empty() { body } else { format!("{k}:{body}") }
            });
        prop_oneof![3 => fixed, 1 => literal, 1 => pattern]
    }

    pub(super) fn query() -> impl Strategy<Value = Q> {
        let leaf = prop_oneof![4 => term().prop_map(Q::Leaf), 1 => term().prop_map(|t| Q::Leaf(format!("-{t}")))];
        leaf.prop_recursive(4, 24, 4, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 2..4).prop_map(Q::Or),
                (prop::collection::vec(inner.clone(), 2..4), any::<bool>()).prop_map(|(qs, side)| Q::And(qs, side)),
                (inner, any::<bool>()).prop_map(|(q, word)| Q::Not(Box::new(q), word)),
            ]
        })
    }

    /// Text from pieces of the language, broken or not.
    pub(super) fn text() -> impl Strategy<Value = String> {
        let piece = prop_oneof![
            prop::sample::select(
                &[
                    "user:",
                    "alice",
                    "ali*",
                    "*",
                    "(",
                    ")",
                    " ",
                    " ",
                    "OR",
                    "AND",
                    "NOT",
                    "-",
                    "\"",
                    "port:22",
                    "event:Open*",
                    "x",
                    ":",
                    "é",
                    "\\",
                    "or",
                    "ip:10.0.0.0/8",
                    "ip:",
                    "region:eu-*",
                    "after:2026-10-01",
                    "2001:db8::1",
                    "arn:",
                    "\t",
                    "\u{202e}",
                    "🦀",
                ][..],
            )
            .prop_map(str::to_owned),
            any::<char>().prop_map(String::from),
        ];
        prop::collection::vec(piece, 0..12).prop_map(|p| p.concat())
    }
}

fn same_everywhere(q: &Query) -> Vec<u32> {
    let ds = trail();
    let scan = matching_indices(ds, q, None);
    assert_eq!(index().matching_indices(ds, q, None), scan, "index and scan agree on {q}");
    scan
}

/// The printed form is read back as the same query, prints alike, and matches alike.
fn prints_back(q: &Query) -> Result<(), TestCaseError> {
    let printed = q.to_string();
    let again = Query::parse(&printed).map_err(|e| TestCaseError::fail(format!("{printed:?}: {e}")))?;
    prop_assert_eq!(&again, q, "printed as {:?}", printed);
    prop_assert_eq!(again.to_string(), printed);
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, failure_persistence: None, ..ProptestConfig::default() })]

    /// OR is union, AND intersection, NOT and `-(…)` complement, parentheses group, at any
    /// depth; the index agrees with the scan, and the query prints back to itself.
    #[test]
    fn combined_queries_match_their_set_algebra(q in strategies::query()) {
        let text = q.text();
        let parsed = Query::parse(&text).map_err(|e| TestCaseError::fail(format!("{text:?}: {e}")))?;
        let got: std::collections::BTreeSet<u32> = same_everywhere(&parsed).into_iter().collect();
        prop_assert_eq!(got, q.expected(trail()), "{:?} read as {}", text, parsed.describe());
        prints_back(&parsed)?;
    }

    /// Any text: an error with a span inside the input on a visible character, or a query that
    /// prints back to itself (terms side by side and all) and that the index answers as the scan.
    #[test]
    fn any_text_parses_to_a_query_that_prints_back_or_to_an_error_inside_it(text in strategies::text()) {
        match Query::parse(&text) {
            Ok(q) => {
                prints_back(&q)?;
                same_everywhere(&q);
            }
            Err(e) => {
                let n = text.chars().count();
                prop_assert!(e.start < e.end && e.end <= n, "{:?}: {}", text, e);
                let shown = &text[e.byte_range(&text)];
                prop_assert!(!shown.trim().is_empty(), "{:?}: {}", text, e);
            }
        }
    }
}

/// Issue 18, item 6d: `port:` takes any port the data can hold (a record may claim 99999, and
/// the tables show it), and the largest one does not match tunnels without a port.
#[test]
fn port_takes_any_port_the_data_can_hold() {
    let tunnel = |id: &str, port: Value| {
        let mut r = rec(id, "2026-10-01T10:00:00Z", alice(), EIC, "OpenTunnel", "us-east-1", "198.51.100.10", ALICE_UA);
        r["requestParameters"] = json!({"instanceConnectEndpointId":EP_A,"privateIpAddress":"10.0.1.15"});
        if !port.is_null() {
            r["requestParameters"]["remotePort"] = port;
        }
        r
    };
    let records = vec![
        tunnel("p99999", json!(99999)),
        tunnel("pmax", json!("4294967295")),
        tunnel("p22", json!(22)),
        tunnel("none", Value::Null),
        rec("other", "2026-10-01T10:00:00Z", bob(), EC2, "DescribeInstances", "us-east-1", "203.0.113.25", BOB_UA),
    ];
    let mut ds = Dataset::new();
    ds.add_file("ports.json", &serde_json::to_vec(&json!({ "Records": records })).unwrap());
    let ix = QueryIndex::new(&ds);
    for (query, want) in [
        ("port:99999", vec!["p99999"]),
        ("port:4294967295", vec!["pmax"]),
        ("port:22", vec!["p22"]),
        ("-port:4294967295", vec!["none", "other", "p22", "p99999"]),
    ] {
        let q = Query::parse(query).unwrap_or_else(|e| panic!("{query}: {e}"));
        assert_eq!(ids(&ds, &matching_indices(&ds, &q, None)), sorted(&want), "{query}");
        assert_eq!(ids(&ds, &ix.matching_indices(&ds, &q, None)), sorted(&want), "{query} via the index");
    }
    check_err("port:4294967296", (0, 15), "not a port number");
    check_err("port:-1", (0, 7), "not a port number");
}
