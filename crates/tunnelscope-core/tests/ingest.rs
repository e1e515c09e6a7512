//! Table-driven ingest tests: every export shape and rejection reason, on synthetic fixtures.

#![allow(clippy::unwrap_used)] // test helpers: a failure is the message

mod files;

use files::{fixture, gz, zip};
use tunnelscope_core::ingest::Shape;
use tunnelscope_core::{Dataset, Fidelity, FileStatus, Pairing};

/// What one input must come to: file and record counts, shape, reason, tunnels.
#[derive(Debug, Clone, Default)]
struct Expect {
    /// read, skipped, rejected
    files: [u64; 3],
    /// loaded, duplicates, invalid
    records: [u64; 3],
    /// The shape of the first file report.
    shape: Option<Shape>,
    /// A substring of the first problem's reason ("" when there is none).
    reason: &'static str,
    /// Tunnels, when checked.
    tunnels: Option<u64>,
}

fn read(shape: Shape, loaded: u64, invalid: u64) -> Expect {
    Expect { files: [1, 0, 0], records: [loaded, 0, invalid], shape: Some(shape), ..Expect::default() }
}

fn skipped(shape: Shape, reason: &'static str) -> Expect {
    Expect { files: [0, 1, 0], shape: Some(shape), reason, ..Expect::default() }
}

fn rejected(reason: &'static str) -> Expect {
    Expect { files: [0, 0, 1], reason, ..Expect::default() }
}

impl Expect {
    fn tunnels(mut self, n: u64) -> Self {
        self.tunnels = Some(n);
        self
    }
    fn files(mut self, read: u64, skipped: u64, rejected: u64) -> Self {
        self.files = [read, skipped, rejected];
        self
    }
    fn dups(mut self, n: u64) -> Self {
        self.records[1] = n;
        self
    }
}

/// `FileStream` fed in chunks of 1, 7, 4096 bytes and whole gives exactly `parse_input`.
fn check_stream(name: &str, bytes: &[u8]) {
    let whole = tunnelscope_core::ingest::parse_input(name, bytes);
    for size in [1, 7, 4096, bytes.len().max(1)] {
        let mut stream = tunnelscope_core::ingest::FileStream::new(name, bytes.len() as u64);
        for chunk in bytes.chunks(size) {
            stream.push(chunk);
        }
        assert_eq!(stream.finish(), whole, "FileStream in chunks of {size} of {name}");
    }
}

/// Adds one file to a fresh dataset and checks it against `expected` and the accounting rules.
fn check(name: &str, bytes: &[u8], expected: &Expect) -> Dataset {
    check_stream(name, bytes);
    let mut ds = Dataset::new();
    let reports = ds.add_file_reports(name, bytes).to_vec();
    let s = ds.stats();
    let ctx = format!("{name}: {reports:#?}");
    assert_eq!([s.files.read, s.files.skipped, s.files.rejected], expected.files, "files of {ctx}");
    assert_eq!([s.records.loaded, s.records.duplicates, s.records.invalid], expected.records, "records of {ctx}");
    assert_eq!(s.files.read + s.files.skipped + s.files.rejected, reports.len() as u64);
    let found: u64 = reports.iter().map(|r| r.n_loaded + r.n_duplicates + r.n_invalid).sum();
    assert_eq!(s.records.loaded + s.records.duplicates + s.records.invalid, found);
    for r in &reports {
        assert_eq!(r.status == FileStatus::Read, r.reason.is_empty(), "reason iff not read: {ctx}");
        assert_eq!(r.n_invalid as usize, r.invalid.len().max(r.n_invalid as usize).min(r.n_invalid as usize));
    }
    if let Some(shape) = expected.shape {
        assert_eq!(reports[0].shape, Some(shape), "shape of {ctx}");
    }
    if expected.reason.is_empty() {
        assert!(s.problems.is_empty(), "unexpected problems in {ctx}");
    } else {
        let first = &s.problems.first().unwrap_or_else(|| panic!("no problem in {ctx}")).reason;
        assert!(first.contains(expected.reason), "reason {first:?} lacks {:?} ({name})", expected.reason);
    }
    if let Some(n) = expected.tunnels {
        assert_eq!(s.tunnels.total, n, "tunnels of {ctx}");
    }
    ds
}

/// Rewrites every header's flags and compression method (an encrypted or bzip2 member).
fn patch_zip(mut z: Vec<u8>, flags: u16, method: u16) -> Vec<u8> {
    for i in 0..z.len().saturating_sub(12) {
        let at = match &z[i..i + 4] {
            b"PK\x03\x04" => i + 6,
            b"PK\x01\x02" => i + 8,
            _ => continue,
        };
        z[at..at + 2].copy_from_slice(&flags.to_le_bytes());
        z[at + 2..at + 4].copy_from_slice(&method.to_le_bytes());
    }
    z
}

fn crlf(bytes: &[u8]) -> Vec<u8> {
    String::from_utf8(bytes.to_vec()).unwrap().replace("\r\n", "\n").replace('\n', "\r\n").into_bytes()
}

fn lf(bytes: &[u8]) -> Vec<u8> {
    String::from_utf8(bytes.to_vec()).unwrap().replace("\r\n", "\n").into_bytes()
}

const S3_KEY: &str = "AWSLogs/111122223333/CloudTrail/us-east-1/2026/10/01/111122223333_CloudTrail_us-east-1_20261001T0815Z_AbCdEfGh12345678.json.gz";
const ORG_KEY: &str = "AWSLogs/o-exampleorg1/111122223333/CloudTrail/us-east-1/2026/10/01/111122223333_CloudTrail_us-east-1_20261001T0815Z_ZyXwVuTs98765432.json.gz";
const DIGEST_KEY: &str = "AWSLogs/111122223333/CloudTrail-Digest/us-east-1/2026/10/01/111122223333_CloudTrail-Digest_us-east-1_example-trail_us-east-1_20261001T080000Z.json.gz";
const LAKE_KEY: &str =
    "AWSLogs/111122223333/CloudTrail-Lake/Query/2026/10/03/0a1b2c3d-0000-4000-8000-00000000abcd/result_1.csv.gz";

/// A record with the given eventTime JSON, for the time-format and absurd-number cases.
fn record_with(fields: &str) -> Vec<u8> {
    format!(r#"{{"eventVersion":"1.11","eventSource":"ec2-instance-connect.amazonaws.com","eventName":"OpenTunnel","awsRegion":"us-east-1",{fields}}}"#)
        .into_bytes()
}

#[test]
fn every_shape_and_every_rejection() {
    let trail = fixture("trail-compact.json");
    let mut one_line = trail.clone();
    while one_line.last() == Some(&b'\n') {
        one_line.pop();
    }
    let ndjson = fixture("records.ndjson");
    let mut ndjson_bad_line = ndjson.clone();
    ndjson_bad_line.extend_from_slice(b"{\"eventTime\": \"2026-10-01T00:00:00Z\", \"eventName\": broken\n");
    let mut ndjson_bad_utf8 = ndjson.clone();
    ndjson_bad_utf8.extend_from_slice(b"{\"eventTime\":\"2026-10-01T00:00:00Z\",\"eventName\":\"X\xff\xfe\"}\n");
    let mut csv_bad_utf8 = lf(&fixture("console-event-history.csv"));
    csv_bad_utf8.extend_from_slice(b"bad\xff,,2026-10-01T11:00:00Z,s,E,us-east-1,1.2.3.4,ua,,[],,id-bad-utf8,false,AwsApiCall,111122223333,Management\n");
    let mut single_bad_utf8 = fixture("single-record.json");
    single_bad_utf8.insert(20, 0xff);
    let concatenated = [trail.clone(), trail.clone()].concat();
    let big_record = format!(
        r#"{{"Records":[{{"eventTime":"2026-10-01T00:00:00Z","eventName":"X","requestParameters":{{"blob":"{}"}}}}]}}"#,
        "a".repeat(1 << 20)
    );
    let big_line = format!("{}\n{}\n", String::from_utf8(ndjson.clone()).unwrap().lines().next().unwrap(), big_record);
    let deep_array = format!("{{\"Records\":[{}", "[".repeat(100_000));
    let deep_ok = format!(
        r#"{{"eventTime":"2026-10-01T00:00:00Z","eventName":"OpenTunnel","eventSource":"ec2-instance-connect.amazonaws.com","requestParameters":{}1{}}}"#,
        "{\"a\":".repeat(100),
        "}".repeat(100)
    );
    let deep_record = format!(
        r#"{{"Records":[{{"eventTime":"2026-10-01T00:00:00Z","eventName":"X"}},{{"eventTime":"2026-10-01T00:00:00Z","eventName":"Y","requestParameters":{}1{}}}]}}"#,
        "[".repeat(200),
        "]".repeat(200)
    );
    let deep_tunnel = format!(
        r#"{{"eventTime":"2026-10-01T00:00:00Z","eventName":"OpenTunnel","eventSource":"ec2-instance-connect.amazonaws.com","requestParameters":{}1{}}}"#,
        "[".repeat(5000),
        "]".repeat(5000)
    );
    let bomb = gz(&vec![b' '; 80 << 20]);
    let mut truncated_gz = gz(&trail);
    truncated_gz.truncate(truncated_gz.len() / 2);
    let mut corrupt_gz = gz(&trail);
    let n = corrupt_gz.len();
    corrupt_gz[n - 6] ^= 0xff; // the CRC
    let zipped = zip(&[
        ("logs/", b""),
        ("logs/trail.json", &trail),
        (&S3_KEY[8..], &gz(&fixture("records.ndjson"))),
        ("digest/x.json", &fixture("digest.json")),
        ("__MACOSX/logs/._trail.json", b"\x00\x05\x16\x07\x00\x02\x00\x00Mac OS X        "),
    ]);
    let nested = zip(&[("inner.zip", &zip(&[("x.json", &fixture("single-record.json"))])), ("y.json", b"{}")]);
    let empty_zip = zip(&[]);
    let mut truncated_zip = zipped.clone();
    truncated_zip.truncate(zipped.len() - 30);
    let corrupt_member = {
        let mut z = zip(&[("a.json", &trail), ("b.json", &fixture("single-record.json"))]);
        // Flip bytes inside the first member's compressed data (after its 30-byte header and name).
        for b in &mut z[60..80] {
            *b ^= 0x5a;
        }
        z
    };
    let bomb_in_middle = zip(&[("a.json", &trail), ("big.json", &vec![b' '; 70 << 20]), ("c.json", &trail)]);
    let utf16le: Vec<u8> = [0xFF, 0xFE]
        .into_iter()
        .chain(String::from_utf8(fixture("lookup-events.json")).unwrap().encode_utf16().flat_map(u16::to_le_bytes))
        .collect();
    let utf16be: Vec<u8> = [0xFE, 0xFF]
        .into_iter()
        .chain(String::from_utf8(fixture("records.ndjson")).unwrap().encode_utf16().flat_map(u16::to_be_bytes))
        .collect();
    let encrypted = patch_zip(zip(&[("a.json", &trail)]), 1, 8);
    let bzip2 = patch_zip(zip(&[("a.json", &trail)]), 0, 12);
    let many: Vec<(String, Vec<u8>)> =
        (0..=tunnelscope_core::ingest::MAX_ARCHIVE_MEMBERS).map(|i| (format!("{i}"), Vec::new())).collect();
    let too_many = {
        let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        let opts = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
        for (name, _) in &many {
            w.start_file(name.as_str(), opts).unwrap();
        }
        w.finish().unwrap().into_inner()
    };
    let zip_bomb = zip(&[("big.json", &vec![b' '; 70 << 20])]);
    let sqs = br#"{"Records":[{"messageId":"m1","receiptHandle":"r","body":"{\"detail-type\":\"AWS API Call via CloudTrail\"}","attributes":{},"eventSource":"aws:sqs"}]}"#;
    let eventbridge_other = br#"{"version":"0","id":"x","detail-type":"EC2 Instance State-change Notification","source":"aws.ec2","detail":{"instance-id":"i-0example","state":"running"}}"#;
    let athena_gz = gz(&fixture("athena-eice-result.csv"));

    let cases: Vec<(&str, Vec<u8>, Expect)> = vec![
        // S3 trail files: compact, pretty, gzipped under AWSLogs/, organisation trail, one line.
        ("trail-compact.json", trail.clone(), read(Shape::TrailRecords, 7, 0).tunnels(3)),
        ("trail-pretty.json", fixture("trail-pretty.json"), read(Shape::TrailRecords, 7, 0).tunnels(3)),
        (S3_KEY, gz(&trail), read(Shape::TrailRecords, 7, 0).tunnels(3)),
        (ORG_KEY, gz(&trail), read(Shape::TrailRecords, 7, 0)),
        ("event_history.json", one_line, read(Shape::TrailRecords, 7, 0)),
        ("empty-trail.json", b"{\"Records\":[]}".to_vec(), read(Shape::TrailRecords, 0, 0)),
        ("insight.json", fixture("insight.json"), read(Shape::TrailRecords, 1, 0).tunnels(0)),
        ("doc-opentunnel.json", fixture("aws-doc-opentunnel.json"), read(Shape::SingleRecord, 1, 0).tunnels(1)),
        ("concatenated.json", concatenated, read(Shape::TrailRecords, 7, 0).dups(7)),
        // Digest files and Lake signatures are skipped, by content and by path.
        (DIGEST_KEY, gz(&fixture("digest.json")), skipped(Shape::Digest, "digest")),
        ("renamed-digest.json", fixture("digest.json"), skipped(Shape::Digest, "digest")),
        (
            "AWSLogs/111122223333/CloudTrail-Digest/us-east-1/2026/10/01/x.json",
            br#"{"awsAccountId":"111122223333","digestStartTime":"2026-10-01T07:00:00Z","digestEndTime":"2026-10-01T08:00:00Z"}"#.to_vec(),
            skipped(Shape::Digest, "digest"),
        ),
        ("result_sign.json", fixture("result_sign.json"), skipped(Shape::LakeSignature, "signature")),
        // Console Event history CSV, CRLF and LF: 4 rows, a bad time and a short row invalid.
        ("event_history.csv", fixture("console-event-history.csv"), read(Shape::ConsoleCsv, 4, 2).tunnels(2)),
        ("event_history_lf.csv", lf(&fixture("console-event-history.csv")), read(Shape::ConsoleCsv, 4, 2)),
        ("bad-utf8.csv", csv_bad_utf8, read(Shape::ConsoleCsv, 4, 3)),
        // lookup-events: ISO offset and epoch times, a summary-only entry, an unusable entry.
        ("lookup-events.json", fixture("lookup-events.json"), read(Shape::LookupEvents, 3, 1).tunnels(1)),
        // EventBridge: one object, an array of every CloudTrail detail-type, one per line.
        ("eventbridge-one.json", fixture("eventbridge-one.json"), read(Shape::EventBridge, 1, 0).tunnels(1)),
        ("eventbridge-array.json", fixture("eventbridge-array.json"), read(Shape::RecordArray, 5, 1)),
        ("eventbridge-lines.jsonl", fixture("eventbridge-lines.jsonl"), read(Shape::EventBridge, 3, 0)),
        ("eventbridge-other.json", eventbridge_other.to_vec(), rejected("not from CloudTrail")),
        // CloudWatch Logs: filter-log-events, get-log-events, subscription payload, control, lines.
        ("filter-log-events.json", fixture("cloudwatch-filter-log-events.json"), read(Shape::CloudWatchLogs, 2, 0)),
        ("get-log-events.json", fixture("cloudwatch-get-log-events.json"), read(Shape::CloudWatchLogs, 2, 0)),
        ("subscription.json", fixture("cloudwatch-subscription.json"), read(Shape::CloudWatchLogs, 4, 0)),
        ("firehose/subscription.gz", gz(&fixture("cloudwatch-subscription.json")), read(Shape::CloudWatchLogs, 4, 0)),
        ("control.json", fixture("cloudwatch-control.json"), skipped(Shape::CloudWatchLogs, "control message")),
        ("cloudwatch-lines.log", fixture("cloudwatch-lines.log"), read(Shape::Ndjson, 4, 0)),
        // NDJSON (LF, CRLF, a broken line, a non-UTF-8 line), arrays, single records.
        ("records.ndjson", ndjson.clone(), read(Shape::Ndjson, 5, 0).tunnels(2)),
        ("records-crlf.ndjson", crlf(&ndjson), read(Shape::Ndjson, 5, 0)),
        ("bad-line.ndjson", ndjson_bad_line, read(Shape::Ndjson, 5, 1)),
        ("bad-utf8.ndjson", ndjson_bad_utf8, read(Shape::Ndjson, 5, 1)),
        ("records-array.json", fixture("records-array.json"), read(Shape::RecordArray, 3, 0)),
        ("single-record.json", fixture("single-record.json"), read(Shape::SingleRecord, 1, 0).tunnels(1)),
        ("deep-ok.json", deep_ok.into_bytes(), read(Shape::SingleRecord, 1, 0).tunnels(1)),
        ("deep-record.json", deep_record.into_bytes(), read(Shape::TrailRecords, 2, 0)),
        ("deep-tunnel.json", deep_tunnel.into_bytes(), read(Shape::SingleRecord, 1, 0).tunnels(1)),
        // Athena and Lake results: CSV (plain and gzipped), GetQueryResults, struct renderings.
        ("athena-eice-result.csv", fixture("athena-eice-result.csv"), read(Shape::QueryResult, 10, 0).tunnels(4)),
        ("athena/result.csv.gz", athena_gz, read(Shape::QueryResult, 10, 0)),
        ("lake.json", fixture("lake-get-query-results.json"), read(Shape::QueryResult, 10, 0).tunnels(4)),
        (LAKE_KEY, gz(&fixture("lake-result_1.csv")), read(Shape::QueryResult, 10, 0).tunnels(4)),
        ("athena-struct.csv", fixture("athena-struct-rendering.csv"), read(Shape::QueryResult, 2, 0).tunnels(2)),
        (
            "logs-insights.csv",
            format!("@timestamp,@message\n2026-10-01 08:10:20.000,\"{}\"\n", String::from_utf8(fixture("single-record.json")).unwrap().trim().replace('"', "\"\"")).into_bytes(),
            read(Shape::QueryResult, 1, 0).tunnels(1),
        ),
        ("empty-lake.json", br#"{"QueryStatus":"FINISHED","QueryResultRows":[]}"#.to_vec(), read(Shape::QueryResult, 0, 0)),
        // zip archives: members are files; nested archives and gz inside zip work.
        ("logs.zip", zipped.clone(), Expect { records: [12, 0, 0], reason: "digest", ..Expect::default() }.files(2, 2, 0)),
        ("nested.zip", nested, Expect { records: [1, 0, 0], reason: "not a CloudTrail export", ..Expect::default() }.files(1, 0, 1)),
        ("empty.zip", empty_zip, rejected("no files")),
        ("truncated.zip", truncated_zip, rejected("zip")),
        ("corrupt-member.zip", corrupt_member, Expect { records: [1, 0, 0], reason: "zip member", ..Expect::default() }.files(1, 0, 1)),
        ("bomb.zip", zip_bomb, rejected("decompression bomb")),
        (
            "bomb-in-middle.zip",
            bomb_in_middle,
            Expect { records: [7, 0, 0], reason: "decompression bomb", ..Expect::default() }.files(1, 0, 2),
        ),
        ("powershell-utf16le.json", utf16le, read(Shape::LookupEvents, 3, 1)),
        ("utf16be.ndjson", utf16be, read(Shape::Ndjson, 5, 0)),
        ("encrypted.zip", encrypted, rejected("encrypted zip member")),
        ("bzip2.zip", bzip2, rejected("unsupported")),
        ("too-many.zip", too_many, rejected("more than 100000 files")),
        // Rejections, each with its reason.
        ("empty.json", Vec::new(), rejected("empty file")),
        ("blank.json", b" \n\t\r\n".to_vec(), rejected("empty file")),
        ("empty.json.gz", gz(b""), rejected("empty file")),
        ("notes.txt", b"hello world\n".to_vec(), rejected("not JSON or a known CSV export: starts with 'h' at byte 0")),
        ("image.png", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff\xff".to_vec(), rejected("binary")),
        ("not-an-export.csv", fixture("not-an-export.csv"), rejected("CSV, but not a CloudTrail export")),
        ("empty-object.json", b"{}".to_vec(), rejected("top-level keys: none")),
        ("package.json", fixture("package.json"), rejected("not a CloudTrail export")),
        ("numbers.json", b"[1, 2, 3]".to_vec(), rejected("holds no CloudTrail records")),
        (
            "manifest.json",
            br#"{"events":[{"file":"x.json","eventName":"A","eventTime":"2026-10-01T00:00:00Z"}]}"#.to_vec(),
            rejected("log event without message"),
        ),
        ("s3-notification.json", fixture("s3-notification.json"), rejected("S3 event notifications")),
        ("sqs.json", sqs.to_vec(), rejected("SQS")),
        ("truncated.json", trail[..trail.len() / 2].to_vec(), rejected("truncated JSON")),
        ("garbage.json", b"{\"Records\": [}".to_vec(), rejected("not valid JSON at byte")),
        ("truncated.json.gz", truncated_gz, rejected("truncated gzip")),
        ("corrupt.json.gz", corrupt_gz, rejected("gzip")),
        ("bomb.json.gz", bomb, rejected("decompression bomb")),
        ("big-record.json", big_record.into_bytes(), rejected("byte limit for one record")),
        ("big-line.ndjson", big_line.into_bytes(), rejected("byte limit for one record")),
        ("deep.json", deep_array.into_bytes(), rejected("JSON")),
        ("bad-utf8.json", single_bad_utf8, rejected("not UTF-8")),
        ("._trail.json", b"\x00\x05\x16\x07\x00\x02\x00\x00Mac OS X        ".to_vec(), skipped(Shape::OsMetadata, "macOS")),
        // Absurd numbers and odd times never panic: data errors or values as given.
        ("absurd-time.json", record_with(r#""eventTime":1e308"#), read(Shape::SingleRecord, 0, 1)),
        ("absurd-big-int.json", record_with(r#""eventTime":123456789012345678901234567890"#), read(Shape::SingleRecord, 0, 1)),
        ("negative-time.json", record_with(r#""eventTime":-5"#), read(Shape::SingleRecord, 0, 1)),
        (
            "absurd-port.json",
            record_with(r#""eventTime":"2026-10-01 08:00:00+02:00","requestParameters":{"remotePort":99999999999999999999999,"maxTunnelDuration":-1,"privateIpAddress":1e400}"#),
            read(Shape::SingleRecord, 1, 0).tunnels(1),
        ),
        (
            "odd-port.json",
            record_with(r#""eventTime":1790841600123,"requestParameters":{"remotePort":4294967296,"maxTunnelDuration":18446744073709551615}"#),
            read(Shape::SingleRecord, 1, 0).tunnels(1),
        ),
    ];
    for (name, bytes, expected) in &cases {
        check(name, bytes, expected);
    }
}

/// A member read when the archive's expansion budget is all but spent (less left than the
/// first buffer a member's reading starts with) is read within what is left, not a panic.
#[test]
fn a_member_after_the_budget_is_nearly_spent_is_read_within_it() {
    let limit = tunnelscope_core::ingest::MIN_EXPANSION_ALLOWANCE as usize;
    let padding = vec![b' '; limit - 1000];
    let doc = fixture("single-record.json");
    assert!(doc.len() < 1000);
    let z = zip(&[("a.json", &padding), ("b.json", &doc)]);
    let mut ds = Dataset::new();
    let reports = ds.add_file_reports("x.zip", &z).to_vec();
    assert_eq!(reports.len(), 2);
    assert_eq!((reports[1].name.as_str(), reports[1].status), ("x.zip!/b.json", FileStatus::Read));
    assert_eq!(ds.len(), 1);
}

#[test]
fn zip_members_are_named_archive_bang_member() {
    let trail = fixture("trail-compact.json");
    let z = zip(&[("a/trail.json", &trail), ("b.json.gz", &gz(&fixture("single-record.json"))), ("c.json", b"{}")]);
    let mut ds = Dataset::new();
    let names: Vec<(String, FileStatus)> =
        ds.add_file_reports("export.zip", &z).iter().map(|r| (r.name.clone(), r.status)).collect();
    assert_eq!(
        names,
        vec![
            ("export.zip!/a/trail.json".to_owned(), FileStatus::Read),
            ("export.zip!/b.json.gz".to_owned(), FileStatus::Read),
            ("export.zip!/c.json".to_owned(), FileStatus::Rejected),
        ]
    );
    // add_file returns the last member's report; the archive itself is never a file.
    let mut ds2 = Dataset::new();
    assert_eq!(ds2.add_file("export.zip", &z).name, "export.zip!/c.json");
    assert_eq!(ds2.files().len(), 3);
}

#[test]
fn console_csv_rows_are_lossy_tunnels_with_endpoints_and_reloadable_raw() {
    let ds =
        check("event_history.csv", &fixture("console-event-history.csv"), &read(Shape::ConsoleCsv, 4, 2).tunnels(2));
    let rows = ds.tunnel_rows();
    assert_eq!(rows[0].endpoint_id, "eice-0a1b2c3d4e5f60718");
    assert_eq!(rows[0].principal, "alice");
    assert_eq!(rows[0].outcome, "accepted");
    assert_eq!(rows[1].endpoint_id, "eice-0b2c3d4e5f6071829");
    assert_eq!(rows[1].outcome, "failed");
    assert_eq!(rows[1].user_agent, "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko)");
    let root = ds.event("c0000000-0000-4000-8000-000000000102").unwrap();
    assert_eq!(root.principal, "root");
    assert!(ds.events().iter().all(|e| e.fidelity == Fidelity::ConsoleCsv && e.is_lossy()));
    let invalid = &ds.files()[0].invalid;
    assert_eq!(invalid[0].position, "line 6");
    assert!(invalid[0].reason.contains("unreadable eventTime"), "{invalid:?}");
    assert_eq!(invalid[1].position, "line 7");
    assert!(invalid[1].reason.contains("3 fields where the header has 16"), "{invalid:?}");
    // Principals known only by name still count.
    assert_eq!(ds.stats().principals, 4);

    // The raw records are CloudTrail-shaped and reload as the same lossy events.
    let records: Vec<serde_json::Value> = ds.events().iter().map(|e| serde_json::from_str(&e.raw).unwrap()).collect();
    let export = serde_json::json!({ "Records": records }).to_string();
    let again = check("export.json", export.as_bytes(), &read(Shape::TrailRecords, 4, 0).tunnels(2));
    for e in ds.events() {
        let r = again.event(&e.event_id).unwrap();
        assert_eq!(
            (r.fidelity, r.principal, r.time_ms, r.endpoint_ids()),
            (e.fidelity, e.principal.as_str(), e.time_ms, e.endpoint_ids())
        );
    }
}

#[test]
fn query_rows_match_the_full_records() {
    let full = check("trail.json", &fixture("trail-compact.json"), &read(Shape::TrailRecords, 7, 0));
    for (name, bytes) in [
        ("athena.csv", fixture("athena-eice-result.csv")),
        ("lake.json", fixture("lake-get-query-results.json")),
        ("lake.csv", fixture("lake-result_1.csv")),
    ] {
        let ds = check(name, &bytes, &read(Shape::QueryResult, 10, 0).tunnels(4));
        for e in full.events() {
            let q = ds.event(&e.event_id).unwrap_or_else(|| panic!("{name}: {} missing", e.event_id));
            assert_eq!((q.fidelity, q.is_lossy()), (Fidelity::QueryRow, false));
            assert_eq!(
                (q.event_name, q.time_ms, q.principal, q.principal_arn, q.account, q.eice),
                (
                    e.event_name.as_str(),
                    e.time_ms,
                    e.principal.as_str(),
                    e.principal_arn.as_str(),
                    e.account.as_str(),
                    e.eice.as_ref()
                ),
                "{name}: {}",
                e.event_id
            );
        }
        let rows = ds.tunnel_rows();
        let last = rows.iter().find(|r| r.event_id.ends_with("0009")).unwrap();
        assert_eq!((last.pairing, last.instance_id.as_str()), (Pairing::IpInventory, "eni-0cccc3333dddd4444"));
        assert_eq!((last.port, last.max_duration_secs), (Some(5432), 1800));
    }
    // Struct renderings are read best-effort and marked lossy in the raw record.
    let ds = check("struct.csv", &fixture("athena-struct-rendering.csv"), &read(Shape::QueryResult, 2, 0));
    let e = ds.event("c0000000-0000-4000-8000-000000000005").unwrap();
    assert_eq!(e.principal, "Admin/bob");
    assert!(e.raw.contains("lossyFields") && e.is_lossy(), "{}", e.raw);
    let e = ds.event("c0000000-0000-4000-8000-000000000004").unwrap();
    assert_eq!(e.endpoint_ids(), vec!["eice-0a1b2c3d4e5f60718"]);
}

#[test]
fn tunnels_pair_by_key_push_then_by_instance_inventory() {
    let ds = check("trail.json", &fixture("trail-compact.json"), &read(Shape::TrailRecords, 7, 0));
    let rows = ds.tunnel_rows();
    let got: Vec<(Pairing, &str, &str)> =
        rows.iter().map(|r| (r.pairing, r.instance_id.as_str(), r.os_user.as_str())).collect();
    assert_eq!(
        got,
        vec![
            (Pairing::KeyPush, "i-0aaaa1111bbbb2222", "ec2-user"),
            // IPv6 written differently from the RunInstances response still matches.
            (Pairing::IpInventory, "i-0aaaa1111bbbb2222", ""),
            // After TerminateInstances the IP no longer resolves.
            (Pairing::None, "", ""),
        ]
    );
    // Two running instances claiming one IP are ambiguous; before RunInstances, nothing.
    let run = |id: &str, t: &str, ev: &str| {
        format!(
            r#"{{"eventTime":"{t}","eventName":"RunInstances","eventSource":"ec2.amazonaws.com","eventID":"{ev}","awsRegion":"us-east-1","recipientAccountId":"111122223333","responseElements":{{"instancesSet":{{"items":[{{"instanceId":"{id}","privateIpAddress":"10.9.9.9"}}]}}}}}}"#
        )
    };
    let tunnel = |t: &str, ev: &str| {
        format!(
            r#"{{"eventTime":"{t}","eventName":"OpenTunnel","eventSource":"ec2-instance-connect.amazonaws.com","eventID":"{ev}","awsRegion":"us-east-1","recipientAccountId":"111122223333","requestParameters":{{"privateIpAddress":"10.9.9.9","remotePort":"22"}}}}"#
        )
    };
    let lines = [
        tunnel("2026-10-01T07:00:00Z", "t0"),
        run("i-1", "2026-10-01T08:00:00Z", "r1"),
        tunnel("2026-10-01T08:30:00Z", "t1"),
        run("i-2", "2026-10-01T09:00:00Z", "r2"),
        tunnel("2026-10-01T09:30:00Z", "t2"),
    ]
    .join("\n");
    let ds = check("inv.ndjson", lines.as_bytes(), &read(Shape::Ndjson, 5, 0).tunnels(3));
    let got: Vec<(Pairing, String)> = ds.tunnel_rows().into_iter().map(|r| (r.pairing, r.instance_id)).collect();
    assert_eq!(
        got,
        vec![
            (Pairing::None, String::new()),
            (Pairing::IpInventory, "i-1".to_owned()),
            (Pairing::Ambiguous, String::new())
        ]
    );
}

#[test]
fn network_interfaces_resolve_through_attachments_until_deleted() {
    let ev = |t: &str, name: &str, id: &str, req: &str, resp: &str| {
        format!(
            r#"{{"eventTime":"{t}","eventName":"{name}","eventSource":"ec2.amazonaws.com","eventID":"{id}","awsRegion":"us-east-1","recipientAccountId":"111122223333","requestParameters":{req},"responseElements":{resp}}}"#
        )
    };
    let tunnel = |t: &str, id: &str, ip: &str| {
        format!(
            r#"{{"eventTime":"{t}","eventName":"OpenTunnel","eventSource":"ec2-instance-connect.amazonaws.com","eventID":"{id}","awsRegion":"us-east-1","recipientAccountId":"111122223333","requestParameters":{{"privateIpAddress":"{ip}"}}}}"#
        )
    };
    let lines = [
        ev("2026-10-01T08:00:00Z", "CreateNetworkInterface", "c1", "{}", r#"{"networkInterface":{"networkInterfaceId":"eni-1","privateIpAddress":"10.1.1.1","ipv6AddressesSet":{"items":[{"ipv6Address":"fd00::1"}]}}}"#),
        tunnel("2026-10-01T08:10:00Z", "t1", "10.1.1.1"),
        ev("2026-10-01T08:20:00Z", "AttachNetworkInterface", "a1", r#"{"networkInterfaceId":"eni-1","instanceId":"i-9","deviceIndex":1}"#, "null"),
        tunnel("2026-10-01T08:30:00Z", "t2", "fd00:0::1"),
        ev("2026-10-01T08:40:00Z", "DeleteNetworkInterface", "d1", r#"{"networkInterfaceId":"eni-1"}"#, "null"),
        tunnel("2026-10-01T08:50:00Z", "t3", "10.1.1.1"),
        // Another account's interface with the same IP does not count.
        tunnel("2026-10-01T08:15:00Z", "t4", "10.1.1.1").replace("111122223333", "444455556666"),
    ]
    .join("\n");
    let ds = check("eni.ndjson", lines.as_bytes(), &read(Shape::Ndjson, 7, 0).tunnels(4));
    let got: Vec<(String, Pairing, String)> =
        ds.tunnel_rows().into_iter().map(|r| (r.event_id, r.pairing, r.instance_id)).collect();
    assert_eq!(
        got,
        vec![
            ("t1".to_owned(), Pairing::IpInventory, "eni-1".to_owned()),
            ("t4".to_owned(), Pairing::None, String::new()),
            ("t2".to_owned(), Pairing::IpInventory, "i-9".to_owned()),
            ("t3".to_owned(), Pairing::None, String::new()),
        ]
    );
}

#[test]
fn time_formats_in_the_wild() {
    let cases = [
        r#""2026-10-01T08:00:00Z""#,
        r#""2026-10-01T08:00:00.000Z""#,
        r#""2026-10-01T10:00:00+02:00""#,
        r#""2026-10-01 08:00:00""#,
        r#""2026-10-01 08:00:00.000000000""#,
        r#""2026-10-01 01:00:00-07:00""#,
        "1790841600",
        "1790841600.0",
        "1790841600000",
        r#""1790841600""#,
    ];
    for t in cases {
        let ds = check(t, &record_with(&format!(r#""eventTime":{t}"#)), &read(Shape::SingleRecord, 1, 0));
        assert_eq!(ds.events()[0].time_ms, 1_790_841_600_000, "{t}");
    }
}

/// A tiny deterministic generator for shuffles.
struct Lcg(u64);
impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        self.0 >> 33
    }
}

#[test]
fn duplicates_across_files_and_shapes_keep_the_fuller_copy_whatever_the_order() {
    let files: Vec<(String, Vec<u8>)> = vec![
        ("c/console.csv".into(), fixture("console-event-history.csv")),
        ("a/athena.csv".into(), fixture("athena-eice-result.csv")),
        ("b/lake.json".into(), fixture("lake-get-query-results.json")),
        ("z/trail.json.gz".into(), gz(&fixture("trail-compact.json"))),
        ("y/trail-pretty.json".into(), fixture("trail-pretty.json")),
        ("d/lookup.json".into(), fixture("lookup-events.json")),
        ("e/bundle.zip".into(), zip(&[("again.json", &fixture("trail-compact.json"))])),
    ];
    let load = |order: &[usize]| {
        let mut ds = Dataset::new();
        for &i in order {
            ds.add_file(&files[i].0, &files[i].1);
        }
        ds
    };
    let base = load(&(0..files.len()).collect::<Vec<_>>());
    let s = base.stats();
    // 7 trail events (3 full copies, 2 query rows, 1 console row for one of them), 3 more in
    // the query results, 4 console rows (1 shared), 3 lookup-events (2 new), 2 invalid.
    assert_eq!((s.records.loaded, s.records.invalid), (7 + 3 + 3 + 3, 2 + 1));
    let found: u64 = base.files().iter().map(|f| f.n_loaded + f.n_duplicates + f.n_invalid).sum();
    assert_eq!(s.records.loaded + s.records.duplicates + s.records.invalid, found);
    // 0001-0007 come five times, 0008-0010 twice, 0004 once more as a console row.
    assert_eq!(s.records.duplicates, 7 * 4 + 3 + 1);
    // The full record wins over query rows and console rows, from the first path in sorted order.
    let e = base.event("c0000000-0000-4000-8000-000000000004").unwrap();
    assert_eq!(e.fidelity, Fidelity::Full);
    let charged = |ds: &Dataset| -> Vec<(String, u64, u64, u64)> {
        let mut v: Vec<_> =
            ds.files().iter().map(|f| (f.name.clone(), f.n_loaded, f.n_duplicates, f.n_invalid)).collect();
        v.sort();
        v
    };
    let want = charged(&base);
    assert!(want.contains(&("e/bundle.zip!/again.json".to_owned(), 7, 0, 0)), "{want:?}");
    let mut rng = Lcg(42);
    for _ in 0..12 {
        let mut order: Vec<usize> = (0..files.len()).collect();
        for i in (1..order.len()).rev() {
            order.swap(i, (rng.next() % (i as u64 + 1)) as usize);
        }
        let ds = load(&order);
        assert_eq!(ds.stats(), s, "order {order:?}");
        assert_eq!(charged(&ds), want, "order {order:?}");
        assert_eq!(ds.tunnel_rows(), base.tunnel_rows(), "order {order:?}");
    }
}

#[test]
fn invalid_records_carry_file_positions_and_reasons() {
    let text = "{\"eventTime\":\"2026-10-01T00:00:00Z\",\"eventName\":\"A\"}\n\n{\"eventName\":\"B\"}\r\nnot json\n";
    let ds = check("x.ndjson", text.as_bytes(), &read(Shape::Ndjson, 1, 2));
    let inv = &ds.files()[0].invalid;
    assert_eq!((inv[0].position.as_str(), inv[0].reason.as_str()), ("line 3", "no eventTime"));
    assert_eq!(inv[1].position, "line 4");
    assert!(inv[1].reason.starts_with("not valid JSON"), "{inv:?}");
}

/// Every input the fuzzer (examples/fuzz_ingest.rs) found a problem with stays fixed: no panic,
/// exact accounting, and records synthesized from wrappers or rows reload from an export.
#[test]
fn fuzz_regressions() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/fuzz");
    let mut paths: Vec<_> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).collect();
    paths.sort();
    assert!(!paths.is_empty());
    for path in paths {
        let bytes = std::fs::read(&path).unwrap();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let mut ds = Dataset::new();
        let n = ds.add_file_reports(&name, &bytes).len();
        let s = ds.stats();
        assert_eq!(s.files.read + s.files.skipped + s.files.rejected, n as u64, "{name}");
        let found: u64 = ds.files().iter().map(|f| f.n_loaded + f.n_duplicates + f.n_invalid).sum();
        assert_eq!(s.records.loaded + s.records.duplicates + s.records.invalid, found, "{name}");
        let _ = (ds.tunnel_rows(), ds.endpoint_change_rows());
        for e in ds.events() {
            let mut again = Dataset::new();
            again.add_file("raw.json", format!("{{\"Records\":[{}]}}", e.raw).as_bytes());
            assert_eq!(again.stats().records.loaded, 1, "{name}: {} does not reload: {:?}", e.event_id, again.files());
        }
    }
}

#[test]
fn concatenated_pretty_documents_report_lines() {
    let pretty = fixture("trail-pretty.json");
    let mut text = [pretty.clone(), pretty].concat();
    text.extend_from_slice(b"{\"Records\":[{\"eventName\":\"NoTime\"}]}\n");
    let ds = check("zcat.json", &text, &read(Shape::TrailRecords, 7, 1).dups(7));
    let inv = &ds.files()[0].invalid[0];
    let lines = String::from_utf8(fixture("trail-pretty.json")).unwrap().lines().count();
    assert_eq!(inv.position, format!("line {} record 1", 2 * lines + 1));
}

/// Issue 18: a file of many invalid records keeps the details of the first
/// [`MAX_INVALID_DETAILS`] only and counts the rest, in every shape and whether read whole or
/// streamed in chunks, so that millions of `{}` cost no memory per record; the counts stay exact.
#[test]
fn invalid_records_beyond_the_first_hundred_are_counted_not_kept() {
    use tunnelscope_core::ingest::{FileStream, MAX_INVALID_DETAILS, parse_input};
    let valid = r#"{"eventTime":"2026-10-01T00:00:00Z","eventName":"A","eventID":"e1"}"#;
    let n = 1000;
    let empties = |sep: &str| vec!["{}"; n].join(sep);
    let inputs = [
        ("x.ndjson", format!("{valid}\n{}\n", empties("\n"))),
        ("x.json", format!("{{\"Records\":[{valid},{}]}}", empties(","))),
        ("x.json", format!("[{valid},{}]", empties(","))),
        // Another top-level key: the general path, not the record-by-record one.
        ("x.json", format!("{{\"Records\":[{valid},{}],\"x\":1}}", empties(","))),
        ("x.csv", format!("eventTime,eventName\n2026-10-01T00:00:00Z,A\n{}", ",\n".repeat(n))),
    ];
    for (name, text) in inputs {
        let whole = parse_input(name, text.as_bytes()).pop().unwrap().1;
        assert_eq!(whole.status, FileStatus::Read, "{name}: {}", whole.reason);
        assert_eq!(whole.n_events(), 1, "{name}");
        assert_eq!(whole.invalid.len(), MAX_INVALID_DETAILS, "{name}");
        assert_eq!(whole.invalid_more, (n - MAX_INVALID_DETAILS) as u64, "{name}");
        assert_eq!(whole.n_records(), n + 1, "{name}");
        let mut stream = FileStream::new(name, text.len() as u64);
        for chunk in text.as_bytes().chunks(7) {
            stream.push(chunk);
        }
        let streamed = stream.finish().pop().unwrap().1;
        assert_eq!(streamed.with_rows_as_events(), whole.clone().with_rows_as_events(), "{name}");
        let mut ds = Dataset::new();
        ds.add_file(name, text.as_bytes());
        let s = ds.stats();
        assert_eq!((s.records.loaded, s.records.invalid), (1, n as u64), "{name}");
        assert_eq!(ds.files()[0].invalid.len(), MAX_INVALID_DETAILS, "{name}");
        let wire = tunnelscope_core::ingest::files_into_wire(vec![(name.to_owned(), whole.clone())]);
        let back = tunnelscope_core::ingest::files_from_wire(&wire).unwrap().pop().unwrap().1;
        assert_eq!(back, whole, "{name}");
    }
}

/// Issue 18: the room a load reserves is an estimate from its input (bytes left / bytes per
/// event so far); an absurd one (tiny records before a big file) is refused, never a panic or
/// an abort, and the dataset works as before.
#[test]
fn an_absurd_reservation_is_refused_not_a_panic() {
    let mut ds = Dataset::new();
    ds.reserve(usize::MAX / 64);
    ds.add_file("sample.json", &tunnelscope_core::sample::sample_trail_json());
    assert!(ds.stats().records.loaded > 0);
    ds.shrink_to_fit();
}

#[test]
fn shape_names_are_their_serialised_names_and_file_details_carry_the_report() {
    use Shape::*;
    for shape in [
        TrailRecords,
        RecordArray,
        SingleRecord,
        Ndjson,
        LookupEvents,
        EventBridge,
        CloudWatchLogs,
        Digest,
        LakeSignature,
        ConsoleCsv,
        QueryResult,
        OsMetadata,
        Splunk,
        Cribl,
        Elastic,
        Ocsf,
    ] {
        assert_eq!(serde_json::to_value(shape).unwrap(), serde_json::json!(shape.as_str()));
    }
    let mut ds = Dataset::new();
    let rec = r#"{"eventVersion":"1.11","eventTime":"2026-10-01T08:00:00Z","eventSource":"ec2.amazonaws.com","eventName":"DescribeInstances","eventID":"00000000-0000-4000-8000-000000000001"}"#;
    ds.add_file("a.json", format!(r#"{{"Records":[{rec},{rec},{{"eventName":"NoTime"}}]}}"#).as_bytes());
    ds.add_file("b.json", b"{}");
    let details: Vec<_> = ds.files().iter().map(|f| f.detail()).collect();
    assert_eq!(details.len(), 2);
    let a = &details[0];
    assert_eq!((a.file.as_str(), a.status, a.shape), ("a.json", FileStatus::Read, Some(TrailRecords)));
    assert_eq!((a.loaded, a.duplicates, a.invalid, a.reason.as_str()), (1, 1, 1, ""));
    let b = &details[1];
    assert_eq!((b.file.as_str(), b.status), ("b.json", FileStatus::Rejected));
    assert_eq!(b.reason, ds.files()[1].reason);
    assert!(!b.reason.is_empty());
}
