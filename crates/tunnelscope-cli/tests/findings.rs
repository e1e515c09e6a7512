//! `tunnelscope findings` and the `findings` counts of `stats --json` (contracts.md §8), on the
//! built-in sample, whose contractor-mallory tries five ports in twelve minutes, all denied,
//! and whose incidents (a stopped trail, the root user, alice's key from a hotel on a
//! Saturday) make every rule fire.

use std::path::PathBuf;
use std::process::{Command, Output};

use serde_json::{Value, json};

const BIN: &str = env!("CARGO_BIN_EXE_tunnelscope");

/// The sample written to a file of the test's own (tests run in parallel).
fn sample(test: &str) -> PathBuf {
    let path = std::env::temp_dir().join(format!("tunnelscope-findings-{test}-{}.json", std::process::id()));
    std::fs::write(&path, tunnelscope_core::sample::sample_trail_json()).expect("write sample");
    path
}

fn run(args: &[&str]) -> Output {
    Command::new(BIN).args(args).output().expect("run tunnelscope")
}

fn json_of(o: &Output) -> Value {
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    serde_json::from_slice(&o.stdout).expect("JSON")
}

#[test]
fn the_sample_flags_mallorys_denied_burst_with_its_numbers() {
    let path = sample("burst");
    let p = path.to_str().expect("utf-8 path");
    let all = json_of(&run(&["findings", "--format", "json", p]));
    let burst =
        all.as_array().expect("array").iter().find(|f| f["rule"] == "failed-burst").expect("a failed-burst finding");
    let mut keys: Vec<&str> = burst.as_object().expect("object").keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(keys, ["event_ids", "explanation", "finding_id", "first", "last", "rule", "severity", "subject"]);
    assert_eq!(burst["severity"], "high");
    assert_eq!(burst["subject"], "contractor-mallory");
    assert_eq!(
        burst["explanation"],
        "contractor-mallory: 5 denied OpenTunnel attempts in 12 min, ports 22, 3389, 8080, 5432"
    );
    assert_eq!(
        (burst["first"].as_str(), burst["last"].as_str()),
        (Some("2026-10-01T11:20:00Z"), Some("2026-10-01T11:32:00Z"))
    );
    let first = burst["event_ids"][0].as_str().expect("evidence");
    assert_eq!(burst["event_ids"].as_array().map(Vec::len), Some(5));
    assert_eq!(burst["finding_id"], format!("failed-burst:{first}"));

    // Counts by severity in stats follow the same findings.
    let stats = json_of(&run(&["stats", "--json", p]));
    let count = |s: &str| all.as_array().unwrap().iter().filter(|f| f["severity"] == s).count();
    assert_eq!(
        stats["findings"],
        json!({"high": count("high"), "medium": count("medium"), "low": count("low"), "info": count("info")})
    );

    // --min-severity, --set and --fail-on.
    let high = json_of(&run(&["findings", "--format", "json", "--min-severity", "high", p]));
    assert!(high.as_array().unwrap().iter().all(|f| f["severity"] == "high"));
    let raised = json_of(&run(&["findings", "--format", "json", "--set", "failed-burst.min=6", p]));
    assert!(raised.as_array().unwrap().iter().all(|f| f["rule"] != "failed-burst"));
    assert_eq!(run(&["findings", "--fail-on", "high", p]).status.code(), Some(3));
    assert_eq!(
        run(&[
            "findings",
            "--fail-on",
            "high",
            "--set",
            "failed-burst.enabled=false",
            "--set",
            "short-lived-endpoint.enabled=false",
            "--set",
            "trail-tampering.enabled=false",
            "--set",
            "root-activity.enabled=false",
            p
        ])
        .status
        .code(),
        Some(0)
    );
    let bad = run(&["findings", "--set", "failed-burst.colour=red", p]);
    assert_eq!(bad.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("no such setting"));

    // The filter keeps findings with an evidence event in the view.
    let filtered = json_of(&run(&["findings", "--format", "json", "--filter", "port:8080", p]));
    let rules: Vec<&str> = filtered.as_array().unwrap().iter().map(|f| f["rule"].as_str().unwrap()).collect();
    assert!(rules.contains(&"failed-burst") && rules.contains(&"unusual-port"), "{rules:?}");
    assert!(!rules.contains(&"rdp"), "{rules:?}");

    // CSV: the contract's header, evidence joined with `;`.
    let csv = String::from_utf8(run(&["findings", "--format", "csv", p]).stdout).expect("utf-8");
    assert!(csv.starts_with("finding_id,rule,severity,subject,first,last,explanation,event_ids\r\n"), "{csv}");
    let _ = std::fs::remove_file(&path);
}

/// Every rule's findings on the sample with the defaults: each fires at least once.
const PINNED: [(&str, usize); 12] = [
    ("failed-burst", 1),
    ("unusual-port", 1),
    ("many-targets", 3),
    ("root-activity", 1),
    ("new-source-ip", 1),
    ("short-lived-endpoint", 1),
    ("client-ip-not-preserved", 1),
    ("rdp", 6),
    ("off-hours", 1),
    ("no-key-push", 6),
    ("trail-tampering", 1),
    // Off without an allow-list; with the two office ranges: carol (IPv6), mallory, alice away.
    ("unknown-source", 0),
];

#[test]
fn every_rule_fires_on_the_sample_with_pinned_counts() {
    let path = sample("every-rule");
    let p = path.to_str().expect("utf-8 path");
    let counts = |findings: &Value| {
        let mut n: std::collections::BTreeMap<String, usize> = std::collections::BTreeMap::new();
        for f in findings.as_array().expect("array") {
            *n.entry(f["rule"].as_str().expect("rule").to_owned()).or_default() += 1;
        }
        n
    };
    let defaults = counts(&json_of(&run(&["findings", "--format", "json", p])));
    let want: std::collections::BTreeMap<String, usize> =
        PINNED.iter().filter(|(_, n)| *n > 0).map(|(r, n)| ((*r).to_owned(), *n)).collect();
    assert_eq!(defaults, want);

    let allow = "unknown-source.allow=198.51.100.0/24,203.0.113.0/24";
    let listed = json_of(&run(&["findings", "--format", "json", "--set", allow, p]));
    let with_list = counts(&listed);
    for (rule, n) in PINNED {
        let want = if rule == "unknown-source" { 3 } else { n };
        assert_eq!(with_list.get(rule).copied().unwrap_or(0), want, "{rule}");
    }
    let mut outside: Vec<&str> = listed
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == "unknown-source")
        .map(|f| f["subject"].as_str().unwrap())
        .collect();
    outside.sort_unstable();
    assert_eq!(outside, ["alice", "carol@example.com", "contractor-mallory"]);

    // The incidents, as a responder reads them.
    let find = |rule: &str| listed.as_array().unwrap().iter().find(|f| f["rule"] == rule).expect(rule).clone();
    let tamper = find("trail-tampering");
    assert_eq!(tamper["subject"], "111122223333");
    assert_eq!(tamper["first"], "2026-10-01T11:41:17Z");
    let said = tamper["explanation"].as_str().unwrap();
    assert!(said.contains("StopLogging") && said.contains("by contractor-mallory"), "{said}");
    let root = find("root-activity");
    assert_eq!((root["subject"].as_str(), root["first"].as_str()), (Some("root"), Some("2026-10-02T09:14:26Z")));
    assert_eq!(root["event_ids"].as_array().map(Vec::len), Some(2));
    let new_ip = find("new-source-ip");
    assert_eq!(new_ip["subject"], "alice");
    assert!(new_ip["explanation"].as_str().unwrap().contains("198.18.42.7"), "{new_ip}");
    let off = find("off-hours");
    assert_eq!(
        (off["first"].as_str(), off["last"].as_str()),
        (Some("2026-10-03T06:31:12Z"), Some("2026-10-03T06:47:03Z"))
    );
    assert_eq!(off["event_ids"].as_array().map(Vec::len), Some(3));
    let _ = std::fs::remove_file(&path);
}
