//! Sessions and findings as a load prepares them (`views::insight`), and the query terms that
//! read them: `session:ID` (its tunnels and the key pushes paired with them), `finding:RULE`,
//! `finding:any`, `finding:ID` and `severity:S`, the same through the scan and the index.
#![cfg(not(target_arch = "wasm32"))]

use std::collections::BTreeSet;

use serde_json::{Value, json};
use tunnelscope_core::Dataset;
use tunnelscope_core::findings::{Settings, Severity};
use tunnelscope_core::query::{self, Query, QueryIndex};
use tunnelscope_core::sample::{SAMPLE_FILE_NAME, sample_trail_json};
use tunnelscope_core::sessions::DEFAULT_GAP_MS;
use tunnelscope_core::views::TunnelPairings;
use tunnelscope_core::views::insight::Insight;
use tunnelscope_core::views::page::{PageRequest, PageSizes, Prepared, build_page};

fn sample() -> Dataset {
    let mut ds = Dataset::new();
    ds.add_file(SAMPLE_FILE_NAME, &sample_trail_json());
    ds
}

/// The events `q` selects, by the scan and by the index (which must agree), as event IDs.
fn selected(ds: &Dataset, insight: &Insight, pairings: &TunnelPairings, q: &str) -> BTreeSet<String> {
    let mut query = Query::parse(q).unwrap_or_else(|e| panic!("{q}: {e}"));
    assert!(query.needs_marks() || !q.contains(':'), "{q}");
    query.bind(&insight.marks(pairings));
    let scan = query::matching_indices(ds, &query, None);
    let index = QueryIndex::new(ds).matching_indices(ds, &query, None);
    assert_eq!(scan, index, "{q}: the index and the scan disagree");
    scan.iter().filter_map(|&i| ds.get(i)).map(|e| e.event_id.to_string()).collect()
}

#[test]
fn finding_and_severity_terms_select_the_evidence() {
    let ds = sample();
    let pairings = TunnelPairings::new(&ds);
    let insight = Insight::new(&ds, &pairings, DEFAULT_GAP_MS, Settings::default());
    let rows = insight.findings();
    assert!(rows.len() > 10, "the sample fires the rules");
    let evidence = |keep: &dyn Fn(&tunnelscope_core::findings::FindingRow) -> bool| -> BTreeSet<String> {
        rows.iter().filter(|r| keep(r)).flat_map(|r| r.event_ids.iter().cloned()).collect()
    };
    assert_eq!(selected(&ds, &insight, &pairings, "finding:any"), evidence(&|_| true));
    for rule in ["failed-burst", "rdp", "trail-tampering", "root-activity", "no-key-push"] {
        let want = evidence(&|r| r.rule == rule);
        assert!(!want.is_empty(), "{rule} fires on the sample");
        assert_eq!(selected(&ds, &insight, &pairings, &format!("finding:{rule}")), want, "{rule}");
    }
    for s in Severity::ALL {
        let term = format!("severity:{}", s.as_str());
        assert_eq!(selected(&ds, &insight, &pairings, &term), evidence(&|r| r.severity == s), "{term}");
    }
    // One finding by its ID; combined with other terms, negated and in OR as any term is.
    let burst = rows.iter().find(|r| r.rule == "failed-burst").expect("a failed burst");
    let one = selected(&ds, &insight, &pairings, &format!("finding:{}", burst.finding_id));
    assert_eq!(one, burst.event_ids.iter().cloned().collect());
    assert_eq!(one.len(), 5);
    let ports = selected(&ds, &insight, &pairings, &format!("finding:{} port:22", burst.finding_id));
    assert_eq!(ports.len(), 2, "the burst's two attempts on port 22");
    let all = selected(&ds, &insight, &pairings, "");
    let not_any = selected(&ds, &insight, &pairings, "-finding:any");
    assert_eq!(not_any.len() + evidence(&|_| true).len(), all.len());
    let either = selected(&ds, &insight, &pairings, "finding:rdp OR severity:high");
    let both: BTreeSet<String> =
        evidence(&|r| r.rule == "rdp").union(&evidence(&|r| r.severity == Severity::High)).cloned().collect();
    assert_eq!(either, both);
}

#[test]
fn session_terms_select_its_tunnels_and_their_key_pushes() {
    let ds = sample();
    let pairings = TunnelPairings::new(&ds);
    let insight = Insight::new(&ds, &pairings, DEFAULT_GAP_MS, Settings::default());
    let mut with_push = 0;
    for s in 0..insight.sessions().len() as u32 {
        let row = insight.session_row(&ds, &pairings, s).expect("a row");
        let got = selected(&ds, &insight, &pairings, &format!("session:{}", row.session_id));
        let tunnels: BTreeSet<String> = row.event_ids.iter().cloned().collect();
        assert!(got.is_superset(&tunnels), "{}", row.session_id);
        // Everything else it selects is a key push paired with one of its tunnels.
        for extra in got.difference(&tunnels) {
            let e = ds.get(ds.index_of(extra).expect("loaded")).expect("an event");
            assert_eq!(e.event_name, "SendSSHPublicKey", "{extra}");
            with_push += 1;
        }
        assert_eq!(
            got.len() > tunnels.len(),
            !row.os_users.is_empty(),
            "{}: pushes pair with OS users",
            row.session_id
        );
    }
    assert!(with_push > 10, "the sample's tunnels are mostly key-pushed");
    assert!(selected(&ds, &insight, &pairings, "session:no-such-session").is_empty());
}

fn push(id: &str, time: &str, instance: &str) -> Value {
    json!({"eventVersion":"1.09","eventID":id,"eventTime":time,"eventSource":"ec2-instance-connect.amazonaws.com",
        "eventName":"SendSSHPublicKey","awsRegion":"us-east-1","recipientAccountId":"111122223333","sourceIPAddress":"198.51.100.7",
        "userIdentity":{"type":"IAMUser","principalId":"AIDAX","arn":"arn:aws:iam::111122223333:user/x","accountId":"111122223333","userName":"x"},
        "requestParameters":{"instanceId":instance,"instanceOSUser":"ec2-user","sSHPublicKey":"ssh-ed25519 AAAA"},
        "responseElements":{"requestId":"r","success":true}})
}

fn tunnel(id: &str, time: &str, port: u32) -> Value {
    json!({"eventVersion":"1.09","eventID":id,"eventTime":time,"eventSource":"ec2-instance-connect.amazonaws.com",
        "eventName":"OpenTunnel","awsRegion":"us-east-1","recipientAccountId":"111122223333","sourceIPAddress":"198.51.100.7",
        "userIdentity":{"type":"IAMUser","principalId":"AIDAX","arn":"arn:aws:iam::111122223333:user/x","accountId":"111122223333","userName":"x"},
        "requestParameters":{"instanceConnectEndpointId":"eice-0123456789abcdef0","privateIpAddress":"10.0.0.5","remotePort":port,"maxTunnelDuration":3600},
        "responseElements":null})
}

#[test]
fn a_key_push_shared_by_two_sessions_is_in_both() {
    // One push, then two tunnels within its minute to ports 22 and 2222: two keys, two sessions.
    let records = json!({"Records": [
        push("push-1", "2026-10-01T10:00:00Z", "i-0aaaaaaaaaaaaaaa1"),
        tunnel("t-22", "2026-10-01T10:00:20Z", 22),
        tunnel("t-2222", "2026-10-01T10:00:30Z", 2222),
    ]});
    let mut ds = Dataset::new();
    ds.add_file("shared.json", records.to_string().as_bytes());
    let pairings = TunnelPairings::new(&ds);
    let insight = Insight::new(&ds, &pairings, DEFAULT_GAP_MS, Settings::default());
    assert_eq!(insight.sessions().len(), 2);
    for id in ["t-22", "t-2222"] {
        let got = selected(&ds, &insight, &pairings, &format!("session:{id}"));
        assert_eq!(got, [id.to_owned(), "push-1".to_owned()].into_iter().collect(), "{id}");
    }
}

#[test]
fn load_order_and_duplicates_change_no_session_or_finding_id() {
    let whole: Value = serde_json::from_slice(&sample_trail_json()).expect("the sample is JSON");
    let records = whole["Records"].as_array().expect("records").clone();
    let ids = |ds: &Dataset| {
        let pairings = TunnelPairings::new(ds);
        let insight = Insight::new(ds, &pairings, DEFAULT_GAP_MS, Settings::default());
        let sessions: Vec<String> = (0..insight.sessions().len() as u32)
            .filter_map(|s| insight.session_row(ds, &pairings, s))
            .map(|r| format!("{}:{}", r.session_id, r.event_ids.join(",")))
            .collect();
        let findings: Vec<String> =
            insight.findings().iter().map(|f| format!("{}:{}", f.finding_id, f.event_ids.join(","))).collect();
        (sessions, findings)
    };
    let want = ids(&sample());
    // Reversed, split in two files, the second half loaded twice (duplicates).
    let mut reversed = records.clone();
    reversed.reverse();
    let (a, b) = reversed.split_at(reversed.len() / 2);
    let mut ds = Dataset::new();
    ds.add_file("b.json", json!({"Records": b}).to_string().as_bytes());
    ds.add_file("a.json", json!({"Records": a}).to_string().as_bytes());
    ds.add_file("b-again.json", json!({"Records": b}).to_string().as_bytes());
    assert_eq!(ds.stats().records.duplicates, b.len() as u64);
    assert_eq!(ids(&ds), want);
}

#[test]
fn the_page_follows_the_gap_and_the_settings_and_says_what_it_could_not_read() {
    let ds = sample();
    let prep = Prepared::new(&ds);
    let sizes = PageSizes { rows: 100, event_rows: 100, histogram_buckets: 10, summary_rows: 100 };
    let page = |req: PageRequest| build_page(&ds, &prep, &req, sizes);
    let default = page(PageRequest::default());
    assert_eq!((default.gap.as_str(), default.settings_errors.len()), ("10m", 0));
    let wide = page(PageRequest { gap: "6h".into(), ..PageRequest::default() });
    assert!(wide.n_sessions < default.n_sessions, "a wider gap joins sessions");
    assert_eq!(wide.gap, "6h");
    let off = page(PageRequest { settings: vec!["rdp.enabled=false".into()], ..PageRequest::default() });
    assert_eq!(off.n_findings + default.findings.iter().filter(|f| f.rule == "rdp").count(), default.n_findings);
    let bad = page(PageRequest {
        gap: "ten".into(),
        settings: vec!["rdp.min=0".into(), "nonsense".into()],
        ..PageRequest::default()
    });
    assert_eq!(bad.settings_errors.len(), 3, "{:?}", bad.settings_errors);
    assert_eq!((bad.n_sessions, bad.n_findings), (default.n_sessions, default.n_findings), "defaults used instead");
    // A query naming a finding reads the findings of the settings in use.
    let burst = default.findings.iter().find(|f| f.rule == "failed-burst").expect("a burst").finding_id.clone();
    let q = |settings: Vec<String>| {
        page(PageRequest { query: format!("finding:{burst}"), settings, ..PageRequest::default() }).n_events
    };
    assert_eq!(q(vec![]), 5);
    assert_eq!(q(vec!["failed-burst.min=6".into()]), 0, "no burst of six");
}

#[test]
fn malformed_terms_are_errors() {
    for (q, needle) in [
        ("finding:bogus", "not a rule"),
        ("finding:failed-burst:", "not a rule"),
        ("finding:fail*", "not a wildcard"),
        ("severity:urgent", "high, medium, low or info"),
        ("session:", "needs a value"),
        ("session:abc*", "not a wildcard"),
    ] {
        let e = Query::parse(q).expect_err(q);
        assert!(e.message.contains(needle), "{q}: {}", e.message);
    }
    for q in ["finding:any", "finding:rdp", "severity:high", "session:abc", "finding:\"rdp:x y\""] {
        let parsed = Query::parse(q).unwrap_or_else(|e| panic!("{q}: {e}"));
        assert_eq!(Query::parse(&parsed.to_string()).ok(), Some(parsed), "{q} prints back");
    }
}
