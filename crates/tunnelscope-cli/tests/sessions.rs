//! `tunnelscope sessions` and the `sessions` counts of `stats --json` (contracts.md §7), on
//! trails made here: one person's overlapping tunnels, a pause past the gap, other keys.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::{Value, json};

const BIN: &str = env!("CARGO_BIN_EXE_tunnelscope");

/// (eventID, time, user, source IP, private IP, port, maxTunnelDuration, errorCode)
type Tunnel<'a> = (&'a str, &'a str, &'a str, &'a str, &'a str, u32, u32, &'a str);

fn trail(dir: &Path, tunnels: &[Tunnel<'_>]) -> PathBuf {
    let records: Vec<Value> = tunnels
        .iter()
        .map(|(id, time, user, ip, target, port, secs, error)| {
            let mut r = json!({"eventVersion":"1.09","eventTime":time,"eventSource":"ec2-instance-connect.amazonaws.com",
                "eventName":"OpenTunnel","awsRegion":"eu-west-1","sourceIPAddress":ip,"userAgent":"aws-cli/2",
                "userIdentity":{"type":"IAMUser","principalId":"AIDA","arn":format!("arn:aws:iam::111122223333:user/{user}"),"accountId":"111122223333","userName":user},
                "requestParameters":{"instanceConnectEndpointId":"eice-0123456789abcdef0","remotePort":port.to_string(),"privateIpAddress":target,"maxTunnelDuration":secs.to_string()},
                "responseElements":null,"eventID":id,"eventType":"AwsApiCall","recipientAccountId":"111122223333"});
            if !error.is_empty() {
                r["errorCode"] = json!(error);
            }
            r
        })
        .collect();
    fs::create_dir_all(dir).expect("dir");
    let path = dir.join("trail.json");
    fs::write(&path, serde_json::to_vec(&json!({"Records": records})).expect("json")).expect("write");
    path
}

fn run(args: &[&str], path: &Path) -> Value {
    let out = Command::new(BIN).args(args).arg(path).output().expect("run tunnelscope");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).expect("JSON")
}

fn ids(v: &Value) -> Vec<&str> {
    v.as_array().expect("array").iter().map(|s| s["session_id"].as_str().expect("id")).collect()
}

/// alice: three overlapping tunnels (a, b, c), then one 11 minutes after the latest end (d);
/// c lasts longest, so d is measured from c's end, not from the last start. Bob on the same
/// target is another key; alice's denied attempt on port 3389 is a session of its own.
fn work(dir: &Path) -> PathBuf {
    trail(
        dir,
        &[
            ("a", "2026-10-02T08:00:00Z", "alice", "198.51.100.7", "10.0.0.5", 22, 600, ""),
            ("b", "2026-10-02T08:05:00Z", "alice", "198.51.100.7", "10.0.0.5", 22, 60, ""),
            ("c", "2026-10-02T08:06:00Z", "alice", "198.51.100.7", "10.0.0.5", 22, 3600, ""),
            ("d", "2026-10-02T09:17:00Z", "alice", "198.51.100.7", "10.0.0.5", 22, 600, ""),
            ("e", "2026-10-02T08:01:00Z", "bob", "198.51.100.7", "10.0.0.5", 22, 600, ""),
            ("f", "2026-10-02T08:02:00Z", "alice", "198.51.100.7", "10.0.0.5", 3389, 600, "AccessDenied"),
        ],
    )
}

#[test]
fn overlapping_tunnels_make_one_session_and_the_gap_splits_them() {
    let dir = std::env::temp_dir().join(format!("tunnelscope-sessions-{}", std::process::id()));
    let path = work(&dir);
    let v = run(&["sessions", "--format", "json"], &path);
    assert_eq!(ids(&v), ["a", "e", "f", "d"]);
    let a = &v[0];
    // serde_json's map is sorted: the key set is compared, the order is the struct's.
    let keys: Vec<&str> = a.as_object().expect("object").keys().map(String::as_str).collect();
    let mut expected = [
        "session_id",
        "start",
        "last_start",
        "latest_end",
        "tunnels",
        "accepted",
        "failed",
        "principal",
        "principal_arn",
        "source_ip",
        "endpoint_id",
        "private_ip",
        "port",
        "instance_ids",
        "os_users",
        "account",
        "region",
        "event_ids",
    ];
    expected.sort_unstable();
    assert_eq!(keys, expected);
    assert_eq!(a["start"], "2026-10-02T08:00:00Z");
    assert_eq!(a["last_start"], "2026-10-02T08:06:00Z");
    assert_eq!(a["latest_end"], "2026-10-02T09:06:00Z");
    assert_eq!((a["tunnels"].as_u64(), a["accepted"].as_u64(), a["failed"].as_u64()), (Some(3), Some(3), Some(0)));
    assert_eq!(a["event_ids"], json!(["a", "b", "c"]));
    assert_eq!(a["principal"], "alice");
    assert_eq!(a["port"], 22);
    let f = &v[2];
    assert_eq!(
        (f["start"].as_str(), f["latest_end"].as_str()),
        (Some("2026-10-02T08:02:00Z"), Some("2026-10-02T08:02:00Z"))
    );
    assert_eq!(f["failed"], 1);

    // A gap of 11 minutes reaches d (09:17 = 09:06 + 11 min, inclusive).
    let v = run(&["sessions", "--gap", "11m", "--format", "json"], &path);
    assert_eq!(ids(&v), ["a", "e", "f"]);
    assert_eq!(v[0]["event_ids"], json!(["a", "b", "c", "d"]));

    // A filter shows whole sessions whose tunnels match; IDs never depend on it.
    let v = run(&["sessions", "--filter", "after:2026-10-02T08:04:00Z user:alice", "--format", "json"], &path);
    assert_eq!(ids(&v), ["a", "d"]);
    assert_eq!(v[0]["event_ids"], json!(["a", "b", "c"]));

    let stats = run(&["stats", "--json"], &path);
    assert_eq!(stats["sessions"], json!({"total": 4, "failed_only": 1}));
    let stats = run(&["stats", "--json", "--filter", "outcome:failed"], &path);
    assert_eq!(stats["sessions"], json!({"total": 1, "failed_only": 1}));

    // CSV: the contract's header, lists joined with `;`.
    let out = Command::new(BIN).args(["sessions", "--format", "csv"]).arg(&path).output().expect("run");
    let text = String::from_utf8(out.stdout).expect("utf-8");
    let mut lines = text.lines();
    assert_eq!(
        lines.next(),
        Some(
            "session_id,start,last_start,latest_end,tunnels,accepted,failed,principal,principal_arn,source_ip,\
             endpoint_id,private_ip,port,instance_ids,os_users,account,region,event_ids"
        )
    );
    assert!(lines.next().expect("a row").ends_with(",a;b;c"), "{text}");
    let _ = fs::remove_dir_all(&dir);
}
