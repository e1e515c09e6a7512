//! Issue 22: CloudTrail as responders hold it outside S3 — lookup-events lines, Splunk, Cribl,
//! Elastic / OpenSearch, Logstash, OCSF (Security Lake) — each a small file made here, read
//! whole and streamed alike, with the same accounting and dedupe; and the duplicate rule on
//! eventID + time + source + name, with ID collisions listed.

#![allow(clippy::unwrap_used)] // test helpers: a failure is the message

use serde_json::{Value, json};
use tunnelscope_core::ingest::{FileStream, ParsedFile, Shape, parse_input};
use tunnelscope_core::{Dataset, Fidelity, FileStatus};

const EICE: &str = "eice-0123456789abcdef0";

/// A full OpenTunnel record (or `name` from `source`) at second `s` of 2026-10-01 10:00.
fn record(id: &str, s: u32, name: &str, source: &str) -> Value {
    json!({
        "eventVersion": "1.09",
        "userIdentity": {"type": "IAMUser", "arn": "arn:aws:iam::111122223333:user/alice",
                         "accountId": "111122223333", "userName": "alice"},
        "eventTime": format!("2026-10-01T10:00:{s:02}Z"),
        "eventSource": source,
        "eventName": name,
        "awsRegion": "eu-west-1",
        "sourceIPAddress": "198.51.100.7",
        "userAgent": "aws-cli/2.15",
        "requestParameters": {"instanceConnectEndpointId": EICE, "maxTunnelDuration": "3600",
                              "privateIpAddress": "10.0.1.5", "remotePort": "22"},
        "responseElements": null,
        "eventID": id,
        "readOnly": false,
        "eventType": "AwsApiCall",
        "recipientAccountId": "111122223333"
    })
}

fn tunnel(n: u32) -> Value {
    record(&format!("00000000-0000-4000-8000-{n:012}"), n, "OpenTunnel", "ec2-instance-connect.amazonaws.com")
}

fn lines(values: &[Value]) -> Vec<u8> {
    values.iter().map(|v| format!("{v}\n")).collect::<String>().into_bytes()
}

/// The file read whole and streamed (plain, in chunks of 1, 7 and 4096 bytes, and compact):
/// the same statuses, shapes, events and invalid records; returns the whole reading.
fn parse(name: &str, bytes: &[u8]) -> ParsedFile {
    let whole = parse_input(name, bytes);
    for size in [1, 7, 4096] {
        let mut stream = FileStream::new(name, bytes.len() as u64);
        for c in bytes.chunks(size) {
            stream.push(c);
        }
        assert_eq!(stream.finish(), whole, "{name} streamed in chunks of {size}");
    }
    let mut compact = FileStream::new(name, bytes.len() as u64).compact();
    compact.push(bytes);
    let compact: Vec<_> = compact.finish_with(&mut || Ok(bytes.to_vec()));
    let key = |f: &ParsedFile| {
        let f = f.clone().with_rows_as_events();
        let ids: Vec<_> = f.events.iter().map(|(r, e)| (*r, e.event_id.clone(), e.time_ms, e.fidelity)).collect();
        (f.status, f.shape, ids, f.invalid.clone())
    };
    assert_eq!(key(&compact[0].1), key(&whole[0].1), "{name} compact");
    assert_eq!(whole.len(), 1);
    whole.into_iter().next().unwrap().1
}

fn ids(f: &ParsedFile) -> Vec<String> {
    f.events.iter().map(|(_, e)| e.event_id.clone()).collect()
}

#[test]
fn lookup_events_one_entry_per_line() {
    // `aws cloudtrail lookup-events … | jq -c '.Events[]'`, EventTime with a local offset.
    let entry = |n: u32, with_record: bool| {
        let r = tunnel(n);
        let mut e = json!({"EventId": r["eventID"], "EventName": "OpenTunnel", "ReadOnly": "false",
            "EventTime": format!("2026-10-01 21:00:{n:02}+11:00"), "EventSource": r["eventSource"],
            "Username": "alice", "Resources": []});
        if with_record {
            e["CloudTrailEvent"] = Value::String(r.to_string());
        }
        e
    };
    let f = parse("lookup.jsonl", &lines(&[entry(1, true), entry(2, true)]));
    assert_eq!((f.status, f.shape), (FileStatus::Read, Some(Shape::LookupEvents)));
    assert_eq!(f.n_events(), 2);
    let (_, e) = &f.events[0];
    assert_eq!((e.fidelity, e.event_name.as_str()), (Fidelity::Wrapped, "OpenTunnel"));
    assert_eq!(e.tunnel().unwrap().endpoint_id, EICE);
    assert_eq!(e.raw, tunnel(1).to_string(), "the record as found inside CloudTrailEvent");
    // Trimmed with --query (no CloudTrailEvent): the summary, its local time read as UTC,
    // and an epoch float as the AWS CLI writes with --output json from some SDKs.
    let mut epoch = entry(4, false);
    epoch["EventTime"] = json!(1_790_848_804.0);
    let f = parse("summary.jsonl", &lines(&[entry(3, false), epoch]));
    assert_eq!((f.status, f.shape, f.n_events()), (FileStatus::Read, Some(Shape::LookupEvents), 2));
    let times: Vec<i64> = f.events.iter().map(|(_, e)| e.time_ms).collect();
    let ten = 1_790_848_800_000; // 2026-10-01T10:00:00Z
    assert_eq!(times, [ten + 3_000, ten + 4_000]);
    assert!(f.events.iter().all(|(_, e)| e.is_lossy()), "a summary has no request or response");
    // One entry alone in a file is read too.
    let f = parse("one.json", entry(5, true).to_string().as_bytes());
    assert_eq!((f.status, f.shape, f.n_events()), (FileStatus::Read, Some(Shape::LookupEvents), 1));
}

#[test]
fn splunk_json_lines_rest_results_and_csv() {
    let delivery = json!({"Records": [tunnel(2), tunnel(3)]});
    let export = lines(&[
        json!({"preview": false, "offset": 0, "result": {"_raw": tunnel(1).to_string(), "_time": "2026-10-01T10:00:01.000+00:00",
            "sourcetype": "aws:cloudtrail", "eventName": "OpenTunnel", "eventTime": "not the record"}}),
        json!({"preview": false, "offset": 1, "lastrow": true, "result": {"_raw": delivery.to_string()}}),
        json!({"preview": false, "messages": [{"type": "INFO", "text": "search finished"}]}),
    ]);
    let f = parse("splunk.json", &export);
    assert_eq!((f.status, f.shape), (FileStatus::Read, Some(Shape::Splunk)));
    assert_eq!(ids(&f), [1, 2, 3].map(|n| tunnel(n)["eventID"].as_str().unwrap().to_owned()));
    assert_eq!(f.events[0].1.raw, tunnel(1).to_string(), "_raw, not Splunk's extracted fields");
    assert!(f.events.iter().all(|(_, e)| e.fidelity == Fidelity::Wrapped && !e.is_lossy()));
    assert_eq!(f.events.iter().map(|(r, _)| *r).collect::<Vec<_>>(), [0, 1, 2], "one position per record");

    // The REST endpoint's output_mode=json.
    let rest = json!({"preview": false, "init_offset": 0, "messages": [], "fields": [{"name": "_raw"}],
        "results": [{"_raw": tunnel(4).to_string()}, {"_raw": "Oct  1 10:00:05 host sshd[1]: not JSON"}]});
    let f = parse("rest.json", rest.to_string().as_bytes());
    assert_eq!((f.status, f.shape, f.n_events(), f.n_invalid()), (FileStatus::Read, Some(Shape::Splunk), 1, 1));
    assert!(f.invalid[0].reason.contains("_raw is not a JSON record"), "{:?}", f.invalid);

    // CSV: `_raw` among other columns, or alone (`| table _raw`); a cut-short _raw says why.
    let mut csv = csv::Writer::from_writer(Vec::new());
    csv.write_record(["_time", "host", "_raw"]).unwrap();
    csv.write_record(["2026-10-01T10:00:05", "h", &tunnel(5).to_string()]).unwrap();
    csv.write_record(["2026-10-01T10:00:06", "h", &json!({"Records": [tunnel(6), tunnel(7)]}).to_string()]).unwrap();
    let cut = tunnel(8).to_string();
    csv.write_record(["2026-10-01T10:00:08", "h", &cut[..cut.len() - 20]]).unwrap();
    let f = parse("splunk.csv", &csv.into_inner().unwrap());
    assert_eq!((f.status, f.shape, f.n_events(), f.n_invalid()), (FileStatus::Read, Some(Shape::Splunk), 3, 1));
    assert_eq!(f.invalid[0].position, "line 4");
    assert!(f.invalid[0].reason.contains("cut short") && f.invalid[0].reason.contains("TRUNCATE"));
    let mut alone = csv::Writer::from_writer(Vec::new());
    alone.write_record(["_raw"]).unwrap();
    alone.write_record([tunnel(9).to_string()]).unwrap();
    let f = parse("alone.csv", &alone.into_inner().unwrap());
    assert_eq!((f.status, f.shape, f.n_events()), (FileStatus::Read, Some(Shape::Splunk), 1));

    // Splunk events that are not CloudTrail: the file is rejected, saying so.
    let other = lines(&[json!({"preview": false, "result": {"_raw": "GET /index.html 200"}})]);
    let f = parse("web.json", &other);
    assert_eq!(f.status, FileStatus::Rejected);
    assert!(f.reason.contains("Splunk result") && f.reason.contains("not a JSON record"), "{}", f.reason);
}

#[test]
fn cribl_captures_with_raw_as_object_or_string() {
    let capture = json!([
        {"_raw": tunnel(1), "__inputId": "s3:cloudtrail", "_time": 1_790_848_801},
        {"_raw": json!({"Records": [tunnel(2), tunnel(3)]}).to_string(), "__inputId": "s3:cloudtrail"},
        {"_raw": {"Records": [tunnel(4)]}},
        {"_raw": "just text"},
    ]);
    let f = parse("cribl.json", serde_json::to_string_pretty(&capture).unwrap().as_bytes());
    assert_eq!((f.status, f.shape), (FileStatus::Read, Some(Shape::Cribl)));
    assert_eq!(f.n_events(), 4);
    assert_eq!(f.n_invalid(), 1);
    assert_eq!(f.invalid[0].position, "record 5", "positions count records, not capture items");
    // An object `_raw` is a slice of the file: its span gives the record back as found.
    let (_, first) = &f.events[0];
    assert!(first.span.is_some());
    assert_eq!(serde_json::from_str::<Value>(&first.raw).unwrap(), tunnel(1));
}

#[test]
fn elastic_search_responses_and_dumps() {
    let ecs = |n: u32| {
        json!({"@timestamp": "2026-10-01T10:00:00.000Z", "event": {"original": tunnel(n).to_string(), "action": "OpenTunnel"},
        "aws": {"cloudtrail": {"event_version": "1.09"}}, "cloud": {"region": "eu-west-1"}})
    };
    let response = json!({"took": 3, "timed_out": false, "hits": {"total": {"value": 3}, "hits": [
        {"_index": "logs-aws.cloudtrail", "_id": "a", "_source": ecs(1)},
        {"_index": "cloudtrail", "_id": "b", "_source": tunnel(2)},
        {"_index": "logs-aws.cloudtrail", "_id": "c", "_source": {"event": {"action": "OpenTunnel"}}},
    ]}});
    let f = parse("search.json", response.to_string().as_bytes());
    assert_eq!((f.status, f.shape, f.n_events(), f.n_invalid()), (FileStatus::Read, Some(Shape::Elastic), 2, 1));
    assert_eq!(f.events[0].1.raw, tunnel(1).to_string(), "event.original, as found");
    assert!(f.invalid[0].reason.contains("preserve_original_event"), "{:?}", f.invalid);
    // A dump: one document per line, `event.original` also as one dotted key.
    let dump = lines(&[
        json!({"_index": "ct", "_id": "a", "_source": ecs(3)}),
        json!({"_index": "ct", "_id": "b", "_source": {"event.original": tunnel(4).to_string()}}),
    ]);
    let f = parse("dump.ndjson", &dump);
    assert_eq!((f.status, f.shape, f.n_events()), (FileStatus::Read, Some(Shape::Elastic), 2));
    assert_eq!(f.invalid, []);
    assert_eq!(f.events[1].1.time_ms, 1_790_848_804_000);
}

#[test]
fn logstash_records_take_their_time_from_at_timestamp_and_are_lossy() {
    // The OTRF Security-Datasets shape: @timestamp and @version, no eventTime.
    let shipped = |n: u32| {
        let mut r = tunnel(n);
        let time = r.as_object_mut().unwrap().remove("eventTime").unwrap();
        r["@timestamp"] = Value::String(time.as_str().unwrap().replace('Z', ".000Z"));
        r["@version"] = json!("1");
        r
    };
    let f = parse("otrf.json", &lines(&[shipped(1), shipped(2)]));
    assert_eq!((f.status, f.shape, f.n_events(), f.n_invalid()), (FileStatus::Read, Some(Shape::Ndjson), 2, 0));
    let (_, e) = &f.events[0];
    assert_eq!(e.time_ms, 1_790_848_801_000);
    assert!(e.is_lossy(), "marked lossy");
    assert_eq!(e.fidelity, Fidelity::QueryRow, "an S3 copy of the same event is fuller");
    assert!(e.raw.contains("Logstash renamed it to @timestamp"), "{}", e.raw);
    // Shown as found, with eventTime put back in front: every field of the record is there.
    let shown: Value = serde_json::from_str(&e.raw).unwrap();
    for (k, v) in shipped(1).as_object().unwrap() {
        assert_eq!(&shown[k], v, "{k}");
    }
    assert_eq!(shown["eventTime"], json!("2026-10-01T10:00:01.000Z"));
    // Reloading what was exported keeps it lossy and the same event.
    let again = tunnelscope_core::record::parse_record(&e.raw, Fidelity::Full).unwrap();
    assert_eq!(
        (again.event_id.as_str(), again.time_ms, again.fidelity),
        (e.event_id.as_str(), e.time_ms, Fidelity::QueryRow)
    );
    // In a {"Records":[…]} document and through an Elastic dump too.
    let doc = json!({"Records": [shipped(3)]}).to_string();
    let f = parse("records.json", doc.as_bytes());
    assert_eq!((f.n_events(), f.events[0].1.is_lossy()), (1, true));
    let f = parse("es.ndjson", &lines(&[json!({"_id": "x", "_source": shipped(4)})]));
    assert_eq!((f.n_events(), f.events[0].1.time_ms), (1, 1_790_848_804_000));
    // Neither eventTime nor a readable @timestamp: invalid, saying so.
    let mut bad = shipped(5);
    bad["@timestamp"] = json!("yesterday");
    let f = parse("bad.json", &lines(&[bad, shipped(6)]));
    assert_eq!(f.n_invalid(), 1);
    assert!(f.invalid[0].reason.contains("unreadable @timestamp"), "{:?}", f.invalid);
}

#[test]
fn ocsf_api_activity_maps_back_and_says_what_it_could_not() {
    let ocsf = |n: u32, class: u32| {
        json!({"class_uid": class, "class_name": "API Activity", "category_uid": 6, "activity_id": 99,
            "time": 1_790_848_800_000u64 + u64::from(n) * 1000,
            "api": {"operation": "OpenTunnel", "service": {"name": "ec2-instance-connect.amazonaws.com"},
                    "request": {"uid": format!("req-{n}")},
                    "response": {"error": "AccessDenied", "message": "not authorized"}},
            "actor": {"user": {"type": "AssumedRole", "uid": "arn:aws:sts::111122223333:assumed-role/Admin/bob",
                               "uid_alt": "AROAEXAMPLE:bob", "credential_uid": "ASIAEXAMPLE",
                               "account": {"uid": "111122223333"}},
                      "session": {"issuer": "arn:aws:iam::111122223333:role/Admin"}},
            "src_endpoint": {"ip": "203.0.113.9"}, "http_request": {"user_agent": "aws-cli/2.15"},
            "cloud": {"region": "eu-west-1", "account": {"uid": "111122223333"}},
            "metadata": {"uid": format!("00000000-0000-4000-8000-{n:012}"), "product": {"name": "CloudTrail", "version": "1.09"}},
            "resources": [{"uid": format!("arn:aws:ec2:eu-west-1:111122223333:instance-connect-endpoint/{EICE}"),
                           "type": "AWS::EC2::InstanceConnectEndpoint"}],
            "unmapped": {"requestParameters.instanceConnectEndpointId": EICE, "requestParameters.remotePort": "3389",
                         "requestParameters.privateIpAddress": "10.0.1.9", "eventType": "AwsApiCall"}})
    };
    // Security Lake query results: NDJSON, or a JSON array; another OCSF class is invalid.
    let f = parse("lake.ndjson", &lines(&[ocsf(1, 6003), ocsf(2, 3002)]));
    assert_eq!((f.status, f.shape, f.n_events(), f.n_invalid()), (FileStatus::Read, Some(Shape::Ocsf), 1, 1));
    assert!(f.invalid[0].reason.contains("class 3002"), "{:?}", f.invalid);
    let (_, e) = &f.events[0];
    assert_eq!((e.event_name.as_str(), e.event_source.as_str()), ("OpenTunnel", "ec2-instance-connect.amazonaws.com"));
    assert_eq!((e.time_ms, e.event_id.as_str()), (1_790_848_801_000, "00000000-0000-4000-8000-000000000001"));
    assert_eq!(
        (e.principal.as_str(), e.source_ip.as_str(), e.error_code.as_str()),
        ("Admin/bob", "203.0.113.9", "AccessDenied")
    );
    assert_eq!((e.account.as_str(), e.region.as_str()), ("111122223333", "eu-west-1"));
    let t = e.tunnel().unwrap();
    assert_eq!((t.endpoint_id.as_str(), t.private_ip.as_str(), t.port), (EICE, "10.0.1.9", Some(3389)));
    assert!(t.max_duration_assumed, "maxTunnelDuration was not kept");
    assert!(e.is_lossy());
    assert_eq!(e.fidelity, Fidelity::QueryRow);
    let raw: Value = serde_json::from_str(&e.raw).unwrap();
    // What OCSF did not keep is named: here the response (the request is among the unmapped).
    assert_eq!(raw["tunnelscopeSynthesized"]["lossyFields"], json!(["responseElements"]));
    assert_eq!(raw["tunnelscopeSynthesized"]["found"], ocsf(1, 6003), "the OCSF record as found");
    let arr = json!([ocsf(3, 6003), ocsf(4, 6003)]);
    let f = parse("lake.json", arr.to_string().as_bytes());
    assert_eq!((f.status, f.shape, f.n_events()), (FileStatus::Read, Some(Shape::Ocsf), 2));
}

#[test]
fn wrappers_without_cloudtrail_are_rejected_by_name() {
    let sns = json!({"Type": "Notification", "MessageId": "m-1", "TopicArn": "arn:aws:sns:eu-west-1:111122223333:trail",
        "Message": json!({"s3Bucket": "trail-bucket", "s3ObjectKey": ["AWSLogs/111122223333/CloudTrail/eu-west-1/2026/10/01/x.json.gz"]}).to_string()});
    let f = parse("sns.json", sns.to_string().as_bytes());
    assert_eq!(f.status, FileStatus::Rejected);
    assert!(f.reason.contains("SNS notification of a CloudTrail delivery"), "{}", f.reason);
    let guardduty = json!({"version": "0", "id": "1", "detail-type": "GuardDuty Finding", "source": "aws.guardduty",
        "account": "111122223333", "time": "2026-10-01T10:00:00Z", "region": "eu-west-1",
        "detail": {"type": "Recon:EC2/PortProbeUnprotectedPort", "severity": 2}});
    let f = parse("guardduty.json", guardduty.to_string().as_bytes());
    assert_eq!(f.status, FileStatus::Rejected);
    assert!(f.reason.contains("GuardDuty Finding") && f.reason.contains("not from CloudTrail"), "{}", f.reason);
}

#[test]
fn the_same_events_in_two_shapes_dedupe_to_the_fuller_copy_in_either_order() {
    let s3 = json!({"Records": [tunnel(1), tunnel(2)]}).to_string().into_bytes();
    let splunk = lines(&[
        json!({"preview": false, "result": {"_raw": tunnel(1).to_string()}}),
        json!({"preview": false, "result": {"_raw": tunnel(2).to_string()}}),
        json!({"preview": false, "result": {"_raw": tunnel(3).to_string()}}),
    ]);
    for order in [[("a-s3.json", &s3), ("b-splunk.json", &splunk)], [("b-splunk.json", &splunk), ("a-s3.json", &s3)]] {
        let mut ds = Dataset::new();
        for (name, bytes) in order {
            ds.add_file(name, bytes);
        }
        let s = ds.stats();
        assert_eq!((s.records.loaded, s.records.duplicates, s.id_collisions), (3, 2, 0));
        let report = |name: &str| ds.files().iter().find(|f| f.name == name).unwrap().clone();
        assert_eq!((report("a-s3.json").n_loaded, report("b-splunk.json").n_duplicates), (2, 2));
        let e = ds.event(tunnel(1)["eventID"].as_str().unwrap()).unwrap();
        assert_eq!(e.fidelity, Fidelity::Full, "the S3 copy is kept");
    }
}

#[test]
fn a_reused_event_id_with_another_event_is_loaded_and_listed() {
    // Hand-made fixtures reuse IDs ("1" for every record): only the same ID, time, source and
    // name is the same event.
    let same = record("1", 1, "DescribeInstances", "ec2.amazonaws.com");
    let later = record("1", 2, "DescribeInstances", "ec2.amazonaws.com");
    let other_name = record("1", 1, "RunInstances", "ec2.amazonaws.com");
    let other_source = record("1", 1, "DescribeInstances", "ssm.amazonaws.com");
    let tunnel_one = record("1", 1, "OpenTunnel", "ec2-instance-connect.amazonaws.com");
    let mut ds = Dataset::new();
    let doc = json!({"Records": [same, later, other_name, other_source, same, tunnel_one]});
    let report = ds.add_file("fixtures.json", doc.to_string().as_bytes()).clone();
    assert_eq!((report.n_loaded, report.n_duplicates, report.n_id_collisions), (5, 1, 4));
    assert_eq!(report.id_collisions, ["1", "1", "1", "1"]);
    let notes = report.all_notes();
    assert!(notes.iter().any(|n| n.contains("4 records reuse an event ID") && n.contains("\"1\"")), "{notes:?}");
    let s = ds.stats();
    assert_eq!((s.records.loaded, s.records.duplicates, s.id_collisions, s.tunnels.total), (5, 1, 4, 1));
    assert_eq!(ds.files()[0].detail().id_collisions, 4);
    // The tunnel among them is a tunnel row of its own, in the page's rows as in the CLI's.
    let prepared = tunnelscope_core::views::page::Prepared::new(&ds);
    let (rows, idx) = prepared.tunnel_rows();
    assert_eq!(rows.len(), 1);
    assert_eq!(ds.get(idx[0]).unwrap().event_name, "OpenTunnel");
    // Timestamps are compared as instants: the same time written otherwise is the same event.
    let mut offset = record("1", 1, "DescribeInstances", "ec2.amazonaws.com");
    offset["eventTime"] = json!("2026-10-01T12:00:01+02:00");
    let again = ds.add_file("offset.json", json!({"Records": [offset]}).to_string().as_bytes()).clone();
    assert_eq!((again.n_loaded, again.n_duplicates, again.n_id_collisions), (0, 1, 0));
}

#[test]
fn the_detail_says_what_a_repaired_record_was_read_from_and_lacks() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/");
    let mut ds = Dataset::new();
    for f in ["security-lake-ocsf.ndjson", "logstash-records.ndjson", "splunk-export.json"] {
        ds.add_file(f, &std::fs::read(format!("{dir}{f}")).unwrap());
    }
    let detail = |id: &str| tunnelscope_core::views::event_detail(&ds, id).unwrap();
    let ocsf = detail("22222222-aaaa-4bbb-8ccc-000000000001");
    assert_eq!(
        (ocsf.synthesized_from.as_str(), ocsf.lossy_fields.as_slice()),
        ("ocsf", ["responseElements".to_owned()].as_slice())
    );
    let logstash = detail("11111111-aaaa-4bbb-8ccc-000000000000");
    assert_eq!(
        (logstash.synthesized_from.as_str(), logstash.lossy_fields.as_slice()),
        ("logstash", ["eventTime".to_owned()].as_slice())
    );
    let splunk = detail("00000001-aaaa-4bbb-8ccc-000000000000");
    assert_eq!((splunk.synthesized_from.as_str(), splunk.lossy_fields.len()), ("", 0), "a record as found");
}
