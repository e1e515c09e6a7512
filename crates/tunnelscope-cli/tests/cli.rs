//! End-to-end tests of the `tunnelscope` binary on temporary folders.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};

use serde_json::{Value, json};
use tunnelscope_core::export::{TUNNEL_COLUMNS, is_eice_relevant};
use tunnelscope_core::{Dataset, sample::sample_trail_json};

const BIN: &str = env!("CARGO_BIN_EXE_tunnelscope");

/// A fresh, empty folder under the system temp dir, removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> Self {
        static N: AtomicUsize = AtomicUsize::new(0);
        let n = N.fetch_add(1, Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("tunnelscope-cli-{tag}-{}-{n}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).expect("create temp dir");
        Self(dir)
    }

    fn path(&self) -> &Path {
        &self.0
    }

    fn write(&self, rel: &str, bytes: &[u8]) -> PathBuf {
        let p = self.0.join(rel);
        if let Some(parent) = p.parent() {
            fs::create_dir_all(parent).expect("create parent");
        }
        fs::write(&p, bytes).expect("write file");
        p
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

fn run(args: &[&str], paths: &[&Path]) -> Output {
    let mut cmd = Command::new(BIN);
    cmd.args(args);
    cmd.args(paths);
    cmd.output().expect("run tunnelscope")
}

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).expect("utf-8 stdout")
}

fn stats_json(paths: &[&Path]) -> Value {
    let o = run(&["stats", "--json"], paths);
    assert_eq!(o.status.code(), Some(0), "stderr: {}", String::from_utf8_lossy(&o.stderr));
    serde_json::from_slice(&o.stdout).expect("stats --json prints one JSON object")
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(bytes).expect("gzip");
    gz.finish().expect("gzip")
}

/// What `stats --json` prints for this dataset: its stats and every file's detail.
fn stats_doc(ds: &Dataset) -> Value {
    let stats = ds.stats();
    let pairings = tunnelscope_core::views::TunnelPairings::new(ds);
    let insight = tunnelscope_core::views::insight::Insight::new(
        ds,
        &pairings,
        tunnelscope_core::sessions::DEFAULT_GAP_MS,
        tunnelscope_core::findings::Settings::default(),
    );
    serde_json::to_value(tunnelscope_core::export::stats_doc(ds, &stats, &insight, |_| true)).expect("stats serialise")
}

fn sample_dataset() -> Dataset {
    let mut ds = Dataset::new();
    ds.add_file("sample.json", &sample_trail_json());
    ds
}

/// A small trail with one record per event, given as (eventID, eventName, userName, userAgent).
fn trail(records: &[(&str, &str, &str, &str)]) -> Vec<u8> {
    let recs: Vec<Value> = records
        .iter()
        .map(|(id, name, user, ua)| {
            json!({"eventVersion":"1.09","eventTime":"2026-10-02T10:00:00Z","eventSource":"ec2-instance-connect.amazonaws.com",
                "eventName":name,"awsRegion":"us-east-1","sourceIPAddress":"198.51.100.7","userAgent":ua,
                "userIdentity":{"type":"IAMUser","principalId":"AIDAEXAMPLE","arn":format!("arn:aws:iam::111122223333:user/{user}"),"accountId":"111122223333","userName":user},
                "requestParameters":{"instanceConnectEndpointId":"eice-0123456789abcdef0","remotePort":"22","privateIpAddress":"10.0.0.5","maxTunnelDuration":"600"},
                "responseElements":null,"eventID":id,"eventType":"AwsApiCall","recipientAccountId":"111122223333"})
        })
        .collect();
    serde_json::to_vec(&json!({"Records": recs})).expect("json")
}

#[test]
fn stats_json_on_the_sample_has_the_contract_keys_and_the_core_values() {
    let dir = TempDir::new("sample");
    let o = run(&["sample", "-o"], &[&dir.path().join("sample.json")]);
    assert_eq!(o.status.code(), Some(0));
    let v = stats_json(&[dir.path()]);
    let want = serde_json::to_value(sample_dataset().stats()).expect("stats serialise");
    for key in ["files", "records", "tunnels", "endpoint_changes", "endpoints", "principals", "problems"] {
        assert!(v.get(key).is_some(), "missing key {key}");
    }
    assert_eq!(v["files"], json!({"read":1,"skipped":0,"rejected":0}));
    assert_eq!(v["records"], want["records"]);
    assert_eq!(v["tunnels"], want["tunnels"]);
    assert_eq!(v["endpoint_changes"], want["endpoint_changes"]);
    assert_eq!(v["endpoints"], want["endpoints"]);
    assert_eq!(v["principals"], want["principals"]);
    assert_eq!(v["problems"], json!([]));
    assert!(v["tunnels"]["total"].as_u64().is_some_and(|n| n > 0));
}

#[test]
fn stats_accounts_for_digest_non_json_and_gzip_files() {
    let dir = TempDir::new("mixed");
    dir.write("AWSLogs/111122223333/CloudTrail/us-east-1/2026/10/01/trail.json.gz", &gzip(&sample_trail_json()));
    let digest = json!({"awsAccountId":"111122223333","digestStartTime":"2026-10-01T08:00:00Z","digestEndTime":"2026-10-01T09:00:00Z",
        "digestS3Bucket":"b","digestS3Object":"o","logFiles":[]});
    dir.write(
        "AWSLogs/111122223333/CloudTrail-Digest/us-east-1/2026/10/01/111122223333_CloudTrail-Digest_us-east-1_t_us-east-1_20261001T090000Z.json",
        digest.to_string().as_bytes(),
    );
    dir.write("notes/readme.json", b"this is not json");
    let v = stats_json(&[dir.path()]);
    assert_eq!(v["files"], json!({"read":1,"skipped":1,"rejected":1}));
    let stats = sample_dataset().stats();
    assert_eq!(v["records"]["loaded"], stats.records.loaded);
    assert_eq!(v["tunnels"]["total"], stats.tunnels.total);
    let problems = v["problems"].as_array().expect("problems array");
    assert_eq!(problems.len(), 2);
    let status_of = |needle: &str| {
        problems.iter().find(|p| p["file"].as_str().is_some_and(|f| f.contains(needle))).map(|p| p["status"].clone())
    };
    assert_eq!(status_of("CloudTrail-Digest"), Some(json!("skipped")));
    assert_eq!(status_of("readme.json"), Some(json!("rejected")));
    assert!(problems.iter().all(|p| p["reason"].as_str().is_some_and(|r| !r.is_empty())));
    // The rejected file is reported by the table too, with its reason, and is not a failure.
    let o = run(&["stats"], &[dir.path()]);
    assert_eq!(o.status.code(), Some(0));
    let table = stdout(&o);
    assert!(table.contains("rejected") && table.contains("readme.json") && table.contains("skipped"), "{table}");
}

#[test]
fn exit_codes_follow_the_contract() {
    let dir = TempDir::new("exit");
    let good = dir.write("good.json", &sample_trail_json());
    let bad = dir.write("bad.json", b"{}");
    assert_eq!(run(&["stats"], &[&dir.path().join("missing.json")]).status.code(), Some(1));
    assert_eq!(run(&["stats", "--json"], &[&good, &dir.path().join("missing")]).status.code(), Some(1));
    assert_eq!(run(&["stats"], &[]).status.code(), Some(1), "no paths is a usage error");
    assert_eq!(run(&["stats", "--no-such-flag"], &[&good]).status.code(), Some(1));
    assert_eq!(run(&["tunnels", "--format", "xml"], &[&good]).status.code(), Some(1));
    assert_eq!(run(&["stats", "--filter", "port:"], &[&good]).status.code(), Some(1));
    assert_eq!(run(&["stats"], &[&good, &bad]).status.code(), Some(0));
    assert_eq!(run(&["stats", "--strict"], &[&good]).status.code(), Some(0));
    assert_eq!(run(&["stats", "--strict", "--json"], &[&good, &bad]).status.code(), Some(2));
    assert_eq!(run(&["tunnels", "--strict"], &[&bad]).status.code(), Some(2));
    let out = dir.path().join("no-such-dir").join("x.json.gz");
    assert_eq!(run(&["extract", "-o", out.to_str().expect("utf-8")], &[&good]).status.code(), Some(1));
    assert_eq!(run(&["--help"], &[]).status.code(), Some(0));
}

#[test]
fn query_errors_print_the_message_and_exit_1() {
    let dir = TempDir::new("query");
    let good = dir.write("good.json", &sample_trail_json());
    let o = run(&["tunnels", "--filter", "port:"], &[&good]);
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("--filter"));
    assert!(o.stdout.is_empty());
}

#[test]
fn tunnels_csv_has_the_contract_header_and_neutralises_hostile_cells() {
    let dir = TempDir::new("csv");
    let hostile = "=cmd|' /C calc'!A0";
    dir.write("t.json", &trail(&[("id-1", "OpenTunnel", "-mallory", hostile)]));
    let o = run(&["tunnels", "--format", "csv"], &[dir.path()]);
    assert_eq!(o.status.code(), Some(0));
    let text = stdout(&o);
    let mut r = csv::Reader::from_reader(text.as_bytes());
    let header: Vec<String> = r.headers().expect("header").iter().map(str::to_owned).collect();
    assert_eq!(header, TUNNEL_COLUMNS);
    let rows: Vec<csv::StringRecord> = r.records().collect::<Result<_, _>>().expect("csv parses");
    assert_eq!(rows.len(), 1);
    let col = |name: &str| TUNNEL_COLUMNS.iter().position(|c| *c == name).expect("column");
    assert_eq!(&rows[0][col("user_agent")], format!("'{hostile}"));
    assert_eq!(&rows[0][col("principal")], "'-mallory");
    assert_eq!(&rows[0][col("port")], "22");
    assert_eq!(&rows[0][col("max_duration_secs")], "600");
    assert_eq!(&rows[0][col("outcome")], "accepted");
}

#[test]
fn tunnels_json_parses_with_the_contract_keys() {
    let dir = TempDir::new("json");
    dir.write("s.json", &sample_trail_json());
    let o = run(&["tunnels", "--format", "json"], &[dir.path()]);
    assert_eq!(o.status.code(), Some(0));
    let v: Value = serde_json::from_slice(&o.stdout).expect("valid JSON");
    let arr = v.as_array().expect("array");
    let ds = sample_dataset();
    assert_eq!(arr.len() as u64, ds.stats().tunnels.total);
    for row in arr {
        let obj = row.as_object().expect("object");
        for key in TUNNEL_COLUMNS {
            assert!(obj.contains_key(key), "missing {key}");
        }
        assert!(row["time"].as_str().is_some_and(|t| t.ends_with('Z')));
        assert!(["accepted", "failed"].contains(&row["outcome"].as_str().unwrap_or("")));
    }
    let failed = arr.iter().filter(|r| r["outcome"] == "failed").count() as u64;
    assert_eq!(failed, ds.stats().tunnels.failed);
}

#[test]
fn filter_narrows_tunnels_and_eice_counts_but_not_the_accounting() {
    let dir = TempDir::new("filter");
    dir.write("s.json", &sample_trail_json());
    let all = stats_json(&[dir.path()]);
    let o = run(&["stats", "--json", "--filter", "outcome:failed"], &[dir.path()]);
    assert_eq!(o.status.code(), Some(0));
    let v: Value = serde_json::from_slice(&o.stdout).expect("json");
    assert_eq!(v["files"], all["files"]);
    assert_eq!(v["records"], all["records"]);
    assert_eq!(v["tunnels"]["total"], all["tunnels"]["failed"]);
    assert_eq!(v["tunnels"]["failed"], all["tunnels"]["failed"]);
    let o = run(&["tunnels", "--format", "json", "--filter", "outcome:failed"], &[dir.path()]);
    let rows: Value = serde_json::from_slice(&o.stdout).expect("json");
    let rows = rows.as_array().expect("array");
    assert_eq!(rows.len() as u64, all["tunnels"]["failed"].as_u64().expect("n"));
    assert!(rows.iter().all(|r| r["outcome"] == "failed"));
}

#[test]
fn extract_writes_only_eice_relevant_events_that_reload() {
    let dir = TempDir::new("extract");
    dir.write("in/s.json", &sample_trail_json());
    let out = dir.path().join("eice.json.gz");
    let o = run(&["extract", "-o", out.to_str().expect("utf-8")], &[&dir.path().join("in")]);
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
    let gz = fs::read(&out).expect("extract written");
    assert_eq!(&gz[..2], &[0x1f, 0x8b], "gzipped");
    // It reloads with the CLI, with the same EICE counts and nothing else.
    let before = stats_json(&[&dir.path().join("in")]);
    let after = stats_json(&[&out]);
    assert_eq!(after["files"], json!({"read":1,"skipped":0,"rejected":0}));
    assert_eq!(after["tunnels"], before["tunnels"]);
    assert_eq!(after["endpoint_changes"], before["endpoint_changes"]);
    assert_eq!(after["endpoints"], before["endpoints"]);
    assert_eq!(after["records"]["invalid"], 0);
    let mut ds = Dataset::new();
    ds.add_file("eice.json.gz", &gz);
    let full = sample_dataset();
    let want = full.events().iter().filter(|e| is_eice_relevant(e)).count();
    assert!(want < full.events().len(), "the sample has unrelated events to drop");
    assert_eq!(ds.events().len(), want);
    assert!(ds.events().iter().all(is_eice_relevant));
    assert_eq!(ds.tunnel_rows(), full.tunnel_rows());
    // Records are in time order.
    let times: Vec<i64> = ds.events().iter().map(|e| e.time_ms).collect();
    assert!(times.windows(2).all(|w| w[0] <= w[1]));
}

#[test]
fn extract_into_an_input_folder_does_not_read_its_own_output() {
    let dir = TempDir::new("extract-inplace");
    dir.write("s.json", &sample_trail_json());
    let out = dir.path().join("eice.json.gz");
    for _ in 0..2 {
        let o = run(&["extract", "--strict", "-o", out.to_str().expect("utf-8")], &[dir.path()]);
        assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
    }
    let v = stats_json(&[&out]);
    assert_eq!(v["records"]["duplicates"], 0);
    assert_eq!(v["tunnels"], stats_json(&[&dir.path().join("s.json")])["tunnels"]);
}

#[test]
fn extract_with_a_filter_keeps_matching_relevant_events() {
    let dir = TempDir::new("extract-filter");
    dir.write("s.json", &sample_trail_json());
    let out = dir.path().join("failed.json.gz");
    let o = run(
        &["extract", "-o", out.to_str().expect("utf-8"), "--filter", "event:OpenTunnel outcome:failed"],
        &[&dir.path().join("s.json")],
    );
    assert_eq!(o.status.code(), Some(0));
    let v = stats_json(&[&out]);
    let all = stats_json(&[&dir.path().join("s.json")]);
    assert_eq!(v["records"]["loaded"], all["tunnels"]["failed"]);
    assert_eq!(v["tunnels"]["failed"], all["tunnels"]["failed"]);
}

#[test]
fn terminal_output_escapes_ansi_in_user_names() {
    let dir = TempDir::new("ansi");
    let evil_user = "eve\u{1b}[2J\u{1b}]0;pwned\u{7}\u{202e}";
    dir.write("t.json", &trail(&[("id-1", "OpenTunnel", evil_user, "ua\u{1b}[31m")]));
    dir.write("bad\u{1b}[31m.json", b"nope");
    for args in [&["tunnels"][..], &["stats"][..], &["tunnels", "--format", "json"][..], &["stats", "--json"][..]] {
        let o = run(args, &[dir.path()]);
        assert_eq!(o.status.code(), Some(0));
        for (what, bytes) in [("stdout", &o.stdout), ("stderr", &o.stderr)] {
            let text = String::from_utf8_lossy(bytes);
            assert!(!text.contains('\u{1b}'), "{args:?} {what} has a raw ESC: {text:?}");
            assert!(!text.contains('\u{7}') && !text.contains('\u{202e}'), "{args:?} {what}: {text:?}");
        }
    }
    let o = run(&["tunnels"], &[dir.path()]);
    assert!(stdout(&o).contains("eve\\u{1b}[2J"));
    // JSON keeps the exact value (escaped as JSON, not altered).
    let o = run(&["tunnels", "--format", "json"], &[dir.path()]);
    let v: Value = serde_json::from_slice(&o.stdout).expect("json");
    assert_eq!(v[0]["principal"], evil_user);
}

#[test]
fn results_do_not_depend_on_the_order_paths_are_given_in() {
    let dir = TempDir::new("order");
    // Overlapping files: the same event in two files, plus distinct ones, so dedupe charges a file.
    let a = dir.write("a.json", &trail(&[("e1", "OpenTunnel", "alice", "ua"), ("e2", "OpenTunnel", "bob", "ua")]));
    let b = dir.write("b/b.json", &trail(&[("e2", "OpenTunnel", "bob", "ua"), ("e3", "OpenTunnel", "carol", "ua")]));
    let c = dir.write("c.json.gz", &gzip(&sample_trail_json()));
    let d = dir.write("d.json", b"[1,2");
    let orders: [[&Path; 4]; 3] = [[&a, &b, &c, &d], [&d, &c, &b, &a], [&c, &a, &d, &b]];
    let mut outputs = Vec::new();
    for paths in orders {
        let s = run(&["stats", "--json"], &paths);
        let t = run(&["tunnels", "--format", "csv"], &paths);
        assert_eq!(s.status.code(), Some(0));
        outputs.push((stdout(&s), stdout(&t)));
    }
    assert!(outputs.windows(2).all(|w| w[0] == w[1]), "{outputs:#?}");
    let v: Value = serde_json::from_str(&outputs[0].0).expect("json");
    assert_eq!(v["records"]["duplicates"], 1);
    // A folder gives the same answer as its files listed one by one.
    let folder = run(&["stats", "--json"], &[dir.path()]);
    let fv: Value = serde_json::from_slice(&folder.stdout).expect("json");
    assert_eq!(fv["records"], v["records"]);
    assert_eq!(fv["tunnels"], v["tunnels"]);
    // A file given again inside its folder is read once.
    let twice = run(&["stats", "--json"], &[dir.path(), &a, &a]);
    assert_eq!(serde_json::from_slice::<Value>(&twice.stdout).expect("json"), fv);
}

#[test]
fn many_files_load_in_parallel_like_one_sequential_pass() {
    let dir = TempDir::new("many");
    let mut ds = Dataset::new();
    let mut names = Vec::new();
    for i in 0..40 {
        let id_a = format!("id-{i}");
        let id_b = format!("id-{}", i + 1);
        let bytes = trail(&[(&id_a, "OpenTunnel", "alice", "ua"), (&id_b, "SendSSHPublicKey", "bob", "ua")]);
        let p = dir.write(&format!("f{i:02}.json"), &bytes);
        names.push((p.to_string_lossy().into_owned(), bytes));
    }
    names.sort();
    for (name, bytes) in &names {
        ds.add_file(name, bytes);
    }
    let v = stats_json(&[dir.path()]);
    assert_eq!(v, stats_doc(&ds));
    // Each file's key push reuses the next file's tunnel ID: another event (another name), so
    // an ID collision loaded and listed, not a duplicate (contracts.md §1 since issue 22).
    assert_eq!(v["records"]["duplicates"], 0);
    assert_eq!(v["id_collisions"], 39);
}

#[test]
fn zip_members_are_files_of_their_own() {
    let dir = TempDir::new("zip");
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    for (name, bytes) in [("trail/sample.json", sample_trail_json()), ("trail/notes.txt", b"hello".to_vec())] {
        w.start_file(name, opts).expect("zip member");
        w.write_all(&bytes).expect("zip write");
    }
    let zip_bytes = w.finish().expect("zip finish").into_inner();
    dir.write("logs.zip", &zip_bytes);
    let v = stats_json(&[dir.path()]);
    assert_eq!(v["files"], json!({"read":1,"skipped":0,"rejected":1}));
    assert_eq!(v["records"]["loaded"], sample_dataset().stats().records.loaded);
    let file = v["problems"][0]["file"].as_str().expect("problem file");
    assert!(file.ends_with("logs.zip!/trail/notes.txt"), "{file}");
    // The CLI and the core's own archive handling agree.
    let mut ds = Dataset::new();
    ds.add_file_reports(&dir.path().join("logs.zip").to_string_lossy(), &zip_bytes);
    assert_eq!(v, stats_doc(&ds));
}

#[test]
fn stats_json_lists_every_file_with_its_own_accounting() {
    // Two trails sharing one event, a digest and a rejected file: `files_detail` gives each file
    // (path as given, sorted) its status, reason, shape and records, the core's FileReport::detail.
    let dir = TempDir::new("detail");
    let a = dir.write("a.json", &trail(&[("id-1", "OpenTunnel", "alice", "ua"), ("id-2", "OpenTunnel", "bob", "ua")]));
    let b = dir.write(
        "b.json.gz",
        &gzip(&trail(&[("id-2", "OpenTunnel", "bob", "ua"), ("id-3", "OpenTunnel", "carol", "ua")])),
    );
    let digest = json!({"awsAccountId":"111122223333","digestStartTime":"2026-10-01T08:00:00Z","digestEndTime":"2026-10-01T09:00:00Z",
        "digestS3Bucket":"b","digestS3Object":"o","logFiles":[]});
    let c = dir.write("c-digest.json", digest.to_string().as_bytes());
    let d = dir.write("d.json", b"{}");
    let v = stats_json(&[&d, &b, dir.path(), &a, &c]);
    let details = v["files_detail"].as_array().expect("files_detail array");
    let by_name: Vec<(&str, &str)> =
        details.iter().map(|f| (f["file"].as_str().unwrap_or(""), f["status"].as_str().unwrap_or(""))).collect();
    let name = |p: &Path| p.to_string_lossy().into_owned();
    assert_eq!(
        by_name,
        vec![
            (name(&a).as_str(), "read"),
            (name(&b).as_str(), "read"),
            (name(&c).as_str(), "skipped"),
            (name(&d).as_str(), "rejected")
        ]
    );
    let counts = |f: &Value| [f["loaded"].as_u64(), f["duplicates"].as_u64(), f["invalid"].as_u64()];
    assert_eq!(counts(&details[0]), [Some(2), Some(0), Some(0)]);
    assert_eq!(counts(&details[1]), [Some(1), Some(1), Some(0)]);
    assert_eq!(details[0]["shape"], "TrailRecords");
    assert_eq!(details[0]["reason"], "");
    assert_eq!(details[2]["shape"], "Digest");
    assert_eq!(details[3]["shape"], Value::Null);
    for (detail, problem) in details[2..].iter().zip(v["problems"].as_array().expect("problems")) {
        assert_eq!(
            (&detail["file"], &detail["status"], &detail["reason"]),
            (&problem["file"], &problem["status"], &problem["reason"])
        );
    }
    // The per-file counts add up to the totals.
    for (key, total) in [("loaded", 3), ("duplicates", 1), ("invalid", 0)] {
        assert_eq!(details.iter().map(|f| f[key].as_u64().unwrap_or(0)).sum::<u64>(), total, "{key}");
        assert_eq!(v["records"][key], total, "{key}");
    }
}

/// The output of `tunnelscope ARGS DIR` with files of `min_split` bytes or more cut in pieces.
fn split_run(dir: &TempDir, min_split: &str, args: &[&str]) -> Vec<u8> {
    let o = Command::new(BIN).args(args).arg(dir.path()).env("TUNNELSCOPE_SPLIT_MIN_BYTES", min_split).output();
    let o = o.expect("run");
    assert_eq!(o.status.code(), Some(0));
    o.stdout
}

/// The first file of a load goes into the dataset piece by piece as its pieces are parsed:
/// when a later piece turns out to need the whole file (an invalid record, a gzip that breaks
/// off), what went in is taken back and the file is read whole, as without cutting.
#[test]
fn a_first_file_whose_later_piece_fails_is_read_whole() {
    let v: Value = serde_json::from_slice(&sample_trail_json()).expect("sample");
    let copies = |n: usize| {
        let mut recs = Vec::new();
        for copy in 0..n {
            for r in v["Records"].as_array().expect("records") {
                let mut r = r.clone();
                let id = r["eventID"].as_str().unwrap_or_default().to_owned();
                r["eventID"] = json!(format!("{copy}-{id}"));
                recs.push(r);
            }
        }
        recs
    };
    let recs = copies(4);
    let mut with_invalid = recs.clone();
    // Late in the file: a record without its time is invalid, and counted as such.
    let late = recs.len() - 3;
    with_invalid.insert(late, json!({"eventVersion": "1.08", "eventSource": "ec2.amazonaws.com", "eventName": "Nope"}));
    let broken = serde_json::to_vec_pretty(&json!({"Records": with_invalid})).expect("json");
    // A gzip that breaks off after more than one read of the cutter (4 MiB of content).
    let long = serde_json::to_vec_pretty(&json!({"Records": copies(40)})).expect("json");
    let gz = gzip(&long);
    let doc = serde_json::to_vec_pretty(&json!({"Records": recs})).expect("json");
    for (first, bytes) in
        [("a.json", broken.clone()), ("a.json.gz", gzip(&broken)), ("a.json.gz", gz[..gz.len() * 3 / 4].to_vec())]
    {
        let dir = TempDir::new("first");
        dir.write(first, &bytes);
        dir.write("b.json", &doc);
        dir.write("c.json", &trail(&[("x-1", "OpenTunnel", "alice", "ua")]));
        // Pieces of 100 KB.
        let with = |min: &str, args: &[&str]| split_run(&dir, min, args);
        for args in [&["stats", "--json"][..], &["tunnels", "--format", "csv"][..]] {
            assert_eq!(with("400000", args), with("999999999999", args), "{first}: {args:?}");
        }
        let s: Value = serde_json::from_slice(&with("400000", &["stats", "--json"])).expect("json");
        assert_eq!(
            s["files"]["read"].as_u64().unwrap_or_default() + s["files"]["rejected"].as_u64().unwrap_or_default(),
            3
        );
    }
}

#[test]
fn a_big_file_cut_for_several_cores_gives_the_same_results() {
    let dir = TempDir::new("split");
    let v: Value = serde_json::from_slice(&sample_trail_json()).expect("sample");
    let mut recs = Vec::new();
    for copy in 0..5 {
        for r in v["Records"].as_array().expect("records") {
            let mut r = r.clone();
            let id = r["eventID"].as_str().unwrap_or_default().to_owned();
            // Copies 0 and 1 share IDs, so in-file duplicates cross the cuts too.
            r["eventID"] = json!(format!("{}-{id}", copy.max(1)));
            recs.push(r);
        }
    }
    let doc = serde_json::to_vec_pretty(&json!({"Records": recs})).expect("json");
    dir.write("big.json", &doc);
    // The same records again, gzipped (duplicates of the plain file's), and a truncated gzip.
    dir.write("big.json.gz", &gzip(&doc));
    let gz = gzip(&doc);
    dir.write("cut.json.gz", &gz[..gz.len() / 2]);
    dir.write("other.json", &trail(&[("x-1", "OpenTunnel", "alice", "ua")]));
    let with = |min: &str, args: &[&str]| split_run(&dir, min, args);
    for args in [&["stats", "--json"][..], &["tunnels", "--format", "csv"][..]] {
        assert_eq!(with("0", args), with("999999999999", args), "{args:?}");
    }
    let s: Value = serde_json::from_slice(&with("0", &["stats", "--json"])).expect("json");
    let n = v["Records"].as_array().map_or(0, Vec::len);
    assert_eq!(s["records"]["duplicates"], n + 5 * n);
    assert_eq!(s["files"]["rejected"], 1);
}

#[test]
fn sample_command_writes_the_built_in_sample() {
    let dir = TempDir::new("sample-cmd");
    let p = dir.path().join("s.json");
    assert_eq!(run(&["sample", "-o"], &[&p]).status.code(), Some(0));
    assert_eq!(fs::read(&p).expect("written"), sample_trail_json());
    let o = run(&["sample", "-o", "-"], &[]);
    assert_eq!(o.stdout, sample_trail_json());
}

#[test]
fn a_filter_may_start_with_a_negated_term() {
    let dir = std::env::temp_dir().join(format!("tunnelscope-neg-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let sample = dir.join("sample.json");
    std::fs::write(&sample, tunnelscope_core::sample::sample_trail_json()).unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_tunnelscope"))
        .args(["stats", "--json", "--filter", "-outcome:failed"])
        .arg(&sample)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let stats: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(stats["tunnels"]["total"], 40);
    assert_eq!(stats["tunnels"]["failed"], 0);
    std::fs::remove_dir_all(&dir).ok();
}

/// Issue 18, items 3 and 6a: a gzip file with trailing zeros is read with a note, and a
/// tunnel claiming a duration EICE cannot produce is kept, flagged and bounded; both show in
/// the stats table and on stderr of the data commands, never in `stats --json` problems.
#[test]
fn notes_on_read_files_show_in_the_table_not_in_the_problems() {
    let dir = TempDir::new("notes");
    let mut doc: Value = serde_json::from_slice(&trail(&[("t-odd", "OpenTunnel", "alice", "cli")])).expect("json");
    doc["Records"][0]["requestParameters"]["maxTunnelDuration"] = json!(18_446_744_073_709_551_615_u64);
    doc["Records"][0]["requestParameters"]["unrelated"] = json!("x");
    let text = serde_json::to_string(&doc).expect("json").replace("\"x\"", "1e999");
    let gz = [gzip(text.as_bytes()), vec![0; 100]].concat();
    let path = dir.write("trail.json.gz", &gz);
    let v = stats_json(&[&path]);
    assert_eq!(v["files"], json!({"read":1,"skipped":0,"rejected":0}));
    assert_eq!(v["problems"], json!([]));
    assert_eq!(v["tunnels"]["total"], 1);
    let o = run(&["stats"], &[&path]);
    let table = stdout(&o);
    assert!(table.contains("notes") && table.contains("100 zero bytes after the gzip data"), "{table}");
    assert!(table.contains("1 tunnel has a maxTunnelDuration or remotePort") && table.contains("t-odd"), "{table}");
    let o = run(&["tunnels", "--format", "json"], &[&path]);
    let rows: Value = serde_json::from_slice(&o.stdout).expect("tunnels json");
    assert_eq!(rows[0]["max_duration_secs"], json!(18_446_744_073_709_551_615_u64));
    assert_eq!(rows[0]["max_duration_assumed"], json!(false));
    assert_eq!(rows[0]["private_ip"], json!("10.0.0.5"), "the unrelated 1e999 blanks nothing");
    assert_eq!(rows[0]["latest_end"], json!("2026-10-02T11:00:00Z"), "at most an hour");
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(stderr.contains("note on") && stderr.contains("zero bytes"), "{stderr}");
}

/// Issue 22: CloudTrail as SIEMs and pipelines export it, one small hand-made file of each
/// shape (the core's fixtures): each file's status, shape and accounting, and the tunnels.
#[test]
fn siem_and_pipeline_exports_are_read_with_their_accounting() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tunnelscope-core/tests/fixtures");
    let files = [
        // (file, status, shape, loaded, duplicates, invalid, collisions) once all are loaded.
        ("cribl-capture.json", "read", "Cribl", 2, 0, 1, 0),
        // The same record in both Elastic files: charged to the first path (equal fidelity).
        ("elastic-dump.ndjson", "read", "Elastic", 1, 0, 1, 0),
        ("elastic-search.json", "read", "Elastic", 1, 1, 0, 0),
        ("eventbridge-guardduty.json", "rejected", "", 0, 0, 0, 0),
        ("id-collisions.json", "read", "TrailRecords", 2, 1, 0, 1),
        ("logstash-records.ndjson", "read", "Ndjson", 2, 0, 0, 0),
        ("lookup-events-lines.jsonl", "read", "LookupEvents", 2, 1, 0, 0),
        ("security-lake-ocsf.ndjson", "read", "Ocsf", 1, 0, 1, 0),
        ("sns-delivery-notification.json", "rejected", "", 0, 0, 0, 0),
        ("splunk-export.csv", "read", "Splunk", 3, 0, 0, 0),
        ("splunk-export.json", "read", "Splunk", 1, 2, 0, 0),
    ];
    let paths: Vec<PathBuf> = files.iter().map(|f| dir.join(f.0)).collect();
    let refs: Vec<&Path> = paths.iter().map(PathBuf::as_path).collect();
    let v = stats_json(&refs);
    let details = v["files_detail"].as_array().expect("files_detail");
    for (name, status, shape, loaded, dups, invalid, collisions) in files {
        let d = details.iter().find(|d| d["file"].as_str().unwrap_or("").ends_with(name)).expect(name);
        assert_eq!(d["status"], status, "{name}: {d}");
        if !shape.is_empty() {
            assert_eq!(d["shape"], shape, "{name}");
        }
        let got = [&d["loaded"], &d["duplicates"], &d["invalid"], &d["id_collisions"]];
        assert_eq!(got, [loaded, dups, invalid, collisions].map(Value::from).each_ref(), "{name}");
    }
    let reasons: Vec<&str> = v["problems"].as_array().unwrap().iter().map(|p| p["reason"].as_str().unwrap()).collect();
    assert!(reasons.iter().any(|r| r.contains("SNS notification of a CloudTrail delivery")), "{reasons:?}");
    assert!(reasons.iter().any(|r| r.contains("GuardDuty Finding")), "{reasons:?}");
    assert_eq!((v["records"]["loaded"].as_u64(), v["id_collisions"].as_u64()), (Some(15), Some(1)));
    // Tunnels from every shape, the OCSF one failed, on its own port.
    let t = run(&["tunnels", "--format", "json"], &refs);
    let rows: Vec<Value> = serde_json::from_slice(&t.stdout).expect("json");
    assert_eq!(rows.len(), 13);
    let ocsf = rows.iter().find(|r| r["event_id"] == "22222222-aaaa-4bbb-8ccc-000000000001").expect("OCSF tunnel");
    assert_eq!(
        (ocsf["outcome"].as_str(), ocsf["port"].as_u64(), ocsf["principal"].as_str()),
        (Some("failed"), Some(3389), Some("Admin/bob"))
    );
}
