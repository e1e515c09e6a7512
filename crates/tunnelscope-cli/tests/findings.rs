//! `tunnelscope findings` and the `findings` counts of `stats --json` (contracts.md §8), on the
//! built-in sample, whose contractor-mallory tries five ports in twelve minutes, all denied.

use std::path::PathBuf;
use std::process::{Command, Output};

use serde_json::{Value, json};

const BIN: &str = env!("CARGO_BIN_EXE_tunnelscope");

fn sample() -> PathBuf {
    let path = std::env::temp_dir().join(format!("tunnelscope-findings-{}.json", std::process::id()));
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
    let path = sample();
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
