// Property tests: native only (proptest does not build for wasm32-unknown-unknown).
#![cfg(not(target_arch = "wasm32"))]
//! The bytes a parse helper sends to the owner worker (`files_into_wire`) read back as exactly
//! the parsed files it had, for inputs of every shape the parser accepts (formats.md), in every
//! container (plain, gzip, zip, BOMs, UTF-16, truncated) and every reading (whole bytes, a
//! stream, a compact stream in any chunks): whatever a helper parses reaches the dataset as if
//! the owner had parsed it (issue 17, defect 1).

#![allow(clippy::unwrap_used)] // test helpers: a failure is the message

mod files;

use std::path::Path;

use files::{CORPUS, FIXTURES, gz, walk, zip};
use proptest::prelude::*;
use serde_json::{Value, json};
use tunnelscope_core::ingest::{FileStream, ParsedFile, files_from_wire, files_into_wire, parse_input};
use tunnelscope_core::{FileStatus, Shape};

/// One generated CloudTrail record, kept as fields so that every shape can be written from it
/// (table shapes need the fields, not the JSON).
#[derive(Debug, Clone)]
struct Rec {
    name: String,
    source: String,
    /// `None`: no `eventTime` (an invalid record).
    time: Option<String>,
    id: Option<String>,
    /// (type, name): the principal.
    user: Option<(&'static str, String)>,
    ip: String,
    ua: String,
    region: String,
    account: String,
    error: Option<(String, String)>,
    /// Endpoint ID, port, private IP, maxTunnelDuration for tunnels; instance and OS user for
    /// key pushes; endpoint ID and subnet for endpoint activity.
    a: String,
    b: String,
    c: String,
    d: Option<String>,
}

impl Rec {
    fn arn(&self) -> Option<String> {
        self.user.as_ref().map(|(kind, name)| match *kind {
            "AssumedRole" => format!("arn:aws:sts::{}:assumed-role/Admin/{name}", self.account),
            "Root" => format!("arn:aws:iam::{}:root", self.account),
            _ => format!("arn:aws:iam::{}:user/{name}", self.account),
        })
    }

    fn identity(&self) -> Value {
        match &self.user {
            None => json!({"invokedBy": "AWS Internal", "accountId": self.account}),
            Some((kind, name)) => json!({
                "type": kind, "principalId": "AIDAEXAMPLE", "arn": self.arn(), "accountId": self.account,
                "userName": name,
                "sessionContext": {"sessionIssuer": {"userName": "Admin"}, "attributes": {"mfaAuthenticated": "false"}},
            }),
        }
    }

    fn request(&self) -> Value {
        match self.name.as_str() {
            "OpenTunnel" => {
                let mut p =
                    json!({"instanceConnectEndpointId": self.a, "remotePort": self.b, "privateIpAddress": self.c});
                if let Some(d) = &self.d {
                    p["maxTunnelDuration"] = json!(d);
                }
                p
            }
            "SendSSHPublicKey" => json!({"instanceId": self.a, "instanceOSUser": self.b, "sSHPublicKey": self.c}),
            "CreateInstanceConnectEndpoint" => json!({"CreateInstanceConnectEndpointRequest": {
                "SubnetId": self.b, "SecurityGroupId": {"item": {"content": self.c, "tag": 1}},
                "PreserveClientIp": self.d.is_some()}}),
            "DeleteInstanceConnectEndpoint" => {
                json!({"DeleteInstanceConnectEndpointRequest": {"InstanceConnectEndpointId": self.a}})
            }
            "RunInstances" => json!({"instancesSet": {"items": [{"imageId": self.b}]}}),
            _ => json!({"filter": [self.a, self.b], "n": 1.5, "ok": true, "none": null}),
        }
    }

    fn response(&self) -> Value {
        match self.name.as_str() {
            "CreateInstanceConnectEndpoint" if self.error.is_none() => {
                json!({"CreateInstanceConnectEndpointResponse": {"instanceConnectEndpoint": {
                "instanceConnectEndpointId": self.a, "state": "create-in-progress", "vpcId": "vpc-0a",
                "subnetId": self.b, "dnsName": format!("{}.ec2-instance-connect-endpoint.{}.amazonaws.com", self.a, self.region),
                "preserveClientIp": false, "securityGroupIdSet": {"item": {"groupId": self.c}}}}})
            }
            "RunInstances" if self.error.is_none() => json!({"instancesSet": {"items": [{
                "instanceId": self.a, "privateIpAddress": self.c, "networkInterfaceSet": {"items": [{"privateIpAddress": self.c}]}}]}}),
            "SendSSHPublicKey" if self.error.is_none() => json!({"requestId": "r", "success": true}),
            _ => Value::Null,
        }
    }

    /// The record as CloudTrail writes it.
    fn json(&self) -> Value {
        let mut r = json!({
            "eventVersion": "1.11",
            "userIdentity": self.identity(),
            "eventSource": self.source,
            "eventName": self.name,
            "awsRegion": self.region,
            "sourceIPAddress": self.ip,
            "userAgent": self.ua,
            "requestParameters": self.request(),
            "responseElements": self.response(),
            "eventType": "AwsApiCall",
            "recipientAccountId": self.account,
            "resources": [{"accountId": self.account, "type": "AWS::EC2::InstanceConnectEndpoint",
                "ARN": format!("arn:aws:ec2:{}:{}:instance-connect-endpoint/{}", self.region, self.account, self.a)}],
        });
        if let Some(t) = &self.time {
            r["eventTime"] = json!(t);
        }
        if let Some(id) = &self.id {
            r["eventID"] = json!(id);
        }
        if let Some((code, message)) = &self.error {
            r["errorCode"] = json!(code);
            r["errorMessage"] = json!(message);
        }
        r
    }

    fn user_name(&self) -> String {
        self.user.as_ref().map(|(_, n)| n.clone()).unwrap_or_default()
    }
}

/// Text of any kind: plain words, and any characters at all (quotes, commas, newlines, control
/// and non-ASCII characters), which every wrapping must carry.
fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => "[a-z][a-z0-9._/-]{0,10}",
        1 => prop::collection::vec(any::<char>(), 0..10).prop_map(String::from_iter),
        1 => Just(String::new()),
    ]
}

fn pick(items: &'static [&'static str]) -> impl Strategy<Value = String> {
    prop::sample::select(items).prop_map(str::to_owned)
}

fn time() -> impl Strategy<Value = Option<String>> {
    prop_oneof![
        6 => (1u32..28, 0u32..24, 0u32..60, 0u32..60)
            .prop_map(|(d, h, m, s)| Some(format!("2026-10-{d:02}T{h:02}:{m:02}:{s:02}Z"))),
        1 => (0u32..24).prop_map(|h| Some(format!("2026-10-01 {h:02}:00:00.000"))),
        1 => Just(Some("2026-10-01T01:10:20-07:00".to_owned())),
        1 => text().prop_map(Some),
        1 => Just(None),
    ]
}

fn rec() -> impl Strategy<Value = Rec> {
    let name = prop_oneof![
        3 => Just("OpenTunnel".to_owned()),
        1 => Just("SendSSHPublicKey".to_owned()),
        1 => Just("CreateInstanceConnectEndpoint".to_owned()),
        1 => Just("DeleteInstanceConnectEndpoint".to_owned()),
        1 => Just("DescribeInstanceConnectEndpoints".to_owned()),
        1 => Just("RunInstances".to_owned()),
        2 => Just("DescribeInstances".to_owned()),
        1 => Just("ConsoleLogin".to_owned()),
        1 => text(),
    ];
    let id = prop_oneof![
        3 => (0u32..50).prop_map(|i| Some(format!("c0000000-0000-4000-8000-{i:012}"))),
        1 => text().prop_map(Some),
        1 => Just(None),
    ];
    let user = prop_oneof![
        4 => (prop::sample::select(&["IAMUser", "AssumedRole", "Root"][..]), text()).prop_map(Some),
        1 => Just(None),
    ];
    let ip = prop_oneof![pick(&["198.51.100.7", "192.0.2.10", "2001:db8::1", "AWS Internal"]), text()];
    let error = prop::option::of((pick(&["AccessDenied", "Client.DependencyViolation"]), text()));
    let a = prop_oneof![pick(&["eice-0123456789abcdef0", "eici-0123456789EXAMPLE", "i-0abc"]), text()];
    let b = prop_oneof![pick(&["22", "3389", "ec2-user", "subnet-0aaa"]), text()];
    let c = prop_oneof![pick(&["10.0.0.5", "fd00::5", "sg-01"]), text()];
    let d = prop::option::of(prop_oneof![pick(&["3600", "60"]), text()]);
    (
        (name, time(), id, user, ip, text()),
        (pick(&["us-east-1", "eu-west-1"]), pick(&["111122223333", "444455556666"]), error, a, b, c, d),
    )
        .prop_map(|((name, time, id, user, ip, ua), (region, account, error, a, b, c, d))| {
            let source = match name.as_str() {
                "OpenTunnel" | "SendSSHPublicKey" => "ec2-instance-connect.amazonaws.com",
                "ConsoleLogin" => "signin.amazonaws.com",
                _ => "ec2.amazonaws.com",
            }
            .to_owned();
            Rec { name, source, time, id, user, ip, ua, region, account, error, a, b, c, d }
        })
}

/// Every shape of formats.md that holds records, and the files that hold none.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Wrap {
    TrailCompact,
    TrailPretty,
    Array,
    Single,
    Ndjson,
    Concatenated,
    LookupEvents,
    EventBridgeOne,
    EventBridgeArray,
    EventBridgeLines,
    CloudWatchFilter,
    CloudWatchSubscription,
    CloudWatchControl,
    ConsoleCsv,
    AthenaJson,
    AthenaRendering,
    LakeJson,
    Digest,
    LakeSignature,
    NotAnExport,
    PackageJson,
    Garbage,
    Empty,
}

const WRAPS: [Wrap; 23] = [
    Wrap::TrailCompact,
    Wrap::TrailPretty,
    Wrap::Array,
    Wrap::Single,
    Wrap::Ndjson,
    Wrap::Concatenated,
    Wrap::LookupEvents,
    Wrap::EventBridgeOne,
    Wrap::EventBridgeArray,
    Wrap::EventBridgeLines,
    Wrap::CloudWatchFilter,
    Wrap::CloudWatchSubscription,
    Wrap::CloudWatchControl,
    Wrap::ConsoleCsv,
    Wrap::AthenaJson,
    Wrap::AthenaRendering,
    Wrap::LakeJson,
    Wrap::Digest,
    Wrap::LakeSignature,
    Wrap::NotAnExport,
    Wrap::PackageJson,
    Wrap::Garbage,
    Wrap::Empty,
];

fn envelope(r: &Rec) -> Value {
    json!({"version": "0", "id": "7a000000-0000-4000-8000-000000000010", "detail-type": "AWS API Call via CloudTrail",
        "source": "aws.ec2", "account": r.account, "time": r.time, "region": r.region, "resources": [], "detail": r.json()})
}

fn lines(values: impl Iterator<Item = Value>) -> String {
    values.map(|v| v.to_string() + "\n").collect()
}

fn csv_text(header: &[&str], rows: impl Iterator<Item = Vec<String>>) -> String {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(header).unwrap();
    for row in rows {
        w.write_record(&row).unwrap();
    }
    String::from_utf8(w.into_inner().unwrap()).unwrap()
}

/// A Trino rendering of `userIdentity` (`{type=IAMUser, arn=…}`): read best-effort.
fn rendering(r: &Rec) -> String {
    match &r.user {
        None => "null".to_owned(),
        Some((kind, name)) => format!(
            "{{type={kind}, principalid=AIDAEXAMPLE, arn={}, accountid={}, invokedby=null, username={name}, sessioncontext=null}}",
            r.arn().unwrap_or_default(),
            r.account
        ),
    }
}

/// The file name (a hint for messages) and the text of `recs` in shape `wrap`.
fn wrap(w: Wrap, recs: &[Rec], garbage: &[u8]) -> (&'static str, Vec<u8>) {
    let records = || recs.iter().map(Rec::json);
    let opt = |s: &str| if s.is_empty() { Value::Null } else { json!(s) };
    let (name, text) = match w {
        Wrap::TrailCompact => ("t.json", json!({"Records": records().collect::<Vec<_>>()}).to_string()),
        Wrap::TrailPretty => {
            ("t.json", serde_json::to_string_pretty(&json!({"Records": records().collect::<Vec<_>>()})).unwrap())
        }
        Wrap::Array => ("a.json", Value::Array(records().collect()).to_string()),
        Wrap::Single => ("s.json", records().next().unwrap_or_else(|| json!({})).to_string()),
        Wrap::Ndjson => ("n.jsonl", lines(records())),
        Wrap::Concatenated => ("c.json", records().map(|r| serde_json::to_string_pretty(&r).unwrap()).collect()),
        Wrap::LookupEvents => (
            "lookup.json",
            serde_json::to_string_pretty(&json!({"Events": recs.iter().map(|r| json!({
                "EventId": r.id, "EventName": r.name, "ReadOnly": "false", "EventTime": r.time,
                "EventSource": r.source, "Username": r.user_name(),
                "Resources": [{"ResourceType": "AWS::EC2::InstanceConnectEndpoint", "ResourceName": r.a}],
                "CloudTrailEvent": r.json().to_string(),
            })).collect::<Vec<_>>(), "NextToken": "x"}))
            .unwrap(),
        ),
        Wrap::EventBridgeOne => ("eb.json", recs.first().map_or_else(|| json!({}), envelope).to_string()),
        Wrap::EventBridgeArray => ("eb.json", Value::Array(recs.iter().map(envelope).collect()).to_string()),
        Wrap::EventBridgeLines => ("eb.jsonl", lines(recs.iter().map(envelope))),
        Wrap::CloudWatchFilter => (
            "cw.json",
            serde_json::to_string_pretty(&json!({"events": recs.iter().enumerate().map(|(i, r)| json!({
                "logStreamName": "111122223333_CloudTrail_us-east-1", "timestamp": 1_790_841_600_000u64 + i as u64,
                "message": r.json().to_string(), "ingestionTime": 1_790_841_600_500u64, "eventId": format!("3{i}"),
            })).collect::<Vec<_>>(), "searchedLogStreams": []}))
            .unwrap(),
        ),
        Wrap::CloudWatchSubscription => (
            "sub.json",
            json!({"messageType": "DATA_MESSAGE", "owner": "111122223333", "logGroup": "CloudTrail/logs",
                "logStream": "111122223333_CloudTrail_us-east-1", "subscriptionFilters": ["f"],
                "logEvents": recs.iter().enumerate().map(|(i, r)| json!({
                    "id": format!("3{i}"), "timestamp": 1_790_841_600_000u64, "message": r.json().to_string()})).collect::<Vec<_>>()})
            .to_string(),
        ),
        Wrap::CloudWatchControl => (
            "control.json",
            json!({"messageType": "CONTROL_MESSAGE", "owner": "CloudwatchLogs", "logGroup": "", "logStream": "",
                "subscriptionFilters": [], "logEvents": [{"id": "", "timestamp": 1_790_841_600_000u64,
                "message": "CWL CONTROL MESSAGE: Checking health of destination Firehose."}]})
            .to_string(),
        ),
        Wrap::ConsoleCsv => (
            "history.csv",
            csv_text(
                &[
                    "User name", "AWS access key", "Event time", "Event source", "Event name", "AWS region",
                    "Source IP address", "User agent", "Error code", "Resources", "Request ID", "Event ID",
                    "Read-only", "Event type", "Recipient Account Id", "Event category",
                ],
                recs.iter().map(|r| {
                    let resources = json!([{"resourceType": "AWS::EC2::InstanceConnectEndpoint", "resourceName": r.a}]);
                    vec![
                        r.user_name(),
                        "AKIAEXAMPLE".into(),
                        r.time.clone().unwrap_or_default(),
                        r.source.clone(),
                        r.name.clone(),
                        r.region.clone(),
                        r.ip.clone(),
                        r.ua.clone(),
                        r.error.as_ref().map(|e| e.0.clone()).unwrap_or_default(),
                        resources.to_string(),
                        "req-1".into(),
                        r.id.clone().unwrap_or_default(),
                        "false".into(),
                        "AwsApiCall".into(),
                        r.account.clone(),
                        "Management".into(),
                    ]
                }),
            ),
        ),
        Wrap::AthenaJson | Wrap::AthenaRendering => (
            "result_1.csv",
            csv_text(
                &[
                    "eventversion", "eventtime", "eventsource", "eventname", "awsregion", "sourceipaddress",
                    "useragent", "errorcode", "errormessage", "useridentity", "requestparameters",
                    "responseelements", "eventid", "readonly", "recipientaccountid",
                ],
                recs.iter().map(|r| {
                    let identity =
                        if w == Wrap::AthenaJson { r.identity().to_string().to_lowercase() } else { rendering(r) };
                    vec![
                        "1.11".into(),
                        r.time.clone().unwrap_or_default(),
                        r.source.clone(),
                        r.name.clone(),
                        r.region.clone(),
                        r.ip.clone(),
                        r.ua.clone(),
                        r.error.as_ref().map(|e| e.0.clone()).unwrap_or_default(),
                        r.error.as_ref().map(|e| e.1.clone()).unwrap_or_default(),
                        identity,
                        r.request().to_string(),
                        r.response().to_string(),
                        r.id.clone().unwrap_or_default(),
                        "false".into(),
                        r.account.clone(),
                    ]
                }),
            ),
        ),
        Wrap::LakeJson => (
            "lake.json",
            serde_json::to_string_pretty(&json!({"QueryStatus": "FINISHED",
                "QueryStatistics": {"ResultsCount": recs.len(), "TotalResultsCount": recs.len(), "BytesScanned": 1},
                "QueryResultRows": recs.iter().map(|r| json!([
                    {"eventVersion": "1.11"}, {"eventTime": r.time.clone().unwrap_or_default()},
                    {"eventSource": r.source}, {"eventName": r.name}, {"awsRegion": r.region},
                    {"sourceIPAddress": r.ip}, {"userAgent": r.ua}, {"userIdentity": r.identity().to_string()},
                    {"requestParameters": r.request().to_string()}, {"eventID": opt(r.id.as_deref().unwrap_or(""))},
                    {"errorCode": opt(r.error.as_ref().map_or("", |e| e.0.as_str()))},
                    {"recipientAccountId": r.account},
                ])).collect::<Vec<_>>()}))
            .unwrap(),
        ),
        Wrap::Digest => (
            "digest.json",
            json!({"awsAccountId": "111122223333", "digestStartTime": "2026-10-01T07:00:00Z",
                "digestEndTime": "2026-10-01T08:00:00Z", "digestS3Bucket": "b", "digestS3Object": "o",
                "logFiles": [{"s3Bucket": "b", "s3Object": "x.json.gz", "hashValue": "aa", "hashAlgorithm": "SHA-256"}]})
            .to_string(),
        ),
        Wrap::LakeSignature => (
            "result_sign.json",
            json!({"version": "1.0", "region": "us-east-1", "files": [{"fileHashValue": "00", "fileName": "result_1.csv.gz"}],
                "hashAlgorithm": "SHA-256", "signatureAlgorithm": "SHA256withRSA", "hashSignature": "dd"})
            .to_string(),
        ),
        Wrap::NotAnExport => ("people.csv", "name,email,team\nalice,a@example.com,platform\n".to_owned()),
        Wrap::PackageJson => ("package.json", json!({"name": "web-app", "version": "1.0.0"}).to_string()),
        Wrap::Garbage => return ("blob.bin", garbage.to_vec()),
        Wrap::Empty => ("empty.json", String::new()),
    };
    (name, text.into_bytes())
}

/// How a file's text is stored.
#[derive(Debug, Clone, Copy)]
enum Encoding {
    Plain,
    Gzip,
    Utf8Bom,
    Utf16,
    /// The first `n`/8 of the bytes.
    Truncated(u8),
}

fn encode(name: &str, text: &[u8], enc: Encoding) -> (String, Vec<u8>) {
    match enc {
        Encoding::Plain => (name.to_owned(), text.to_vec()),
        Encoding::Gzip => (format!("{name}.gz"), gz(text)),
        Encoding::Utf8Bom => (name.to_owned(), [b"\xEF\xBB\xBF", text].concat()),
        Encoding::Utf16 => {
            let mut out = vec![0xFF, 0xFE];
            out.extend(String::from_utf8_lossy(text).encode_utf16().flat_map(u16::to_le_bytes));
            (name.to_owned(), out)
        }
        Encoding::Truncated(n) => (name.to_owned(), text[..text.len() * usize::from(n) / 8].to_vec()),
    }
}

fn encoding() -> impl Strategy<Value = Encoding> {
    prop_oneof![
        4 => Just(Encoding::Plain),
        2 => Just(Encoding::Gzip),
        1 => Just(Encoding::Utf8Bom),
        1 => Just(Encoding::Utf16),
        1 => (1u8..8).prop_map(Encoding::Truncated),
    ]
}

/// One member of an input: a shape, its records and how it is stored.
fn member() -> impl Strategy<Value = (Wrap, Vec<Rec>, Encoding, Vec<u8>)> {
    (
        prop::sample::select(&WRAPS[..]),
        prop::collection::vec(rec(), 0..6),
        encoding(),
        prop::collection::vec(any::<u8>(), 0..40),
    )
}

/// One input as dropped: a file, or a zip archive of several (gzipped members, nested archives).
fn input() -> impl Strategy<Value = Input> {
    let one = member().prop_map(|(w, recs, enc, garbage)| {
        let (name, text) = wrap(w, &recs, &garbage);
        encode(name, &text, enc)
    });
    let archive = (prop::collection::vec(member(), 1..5), any::<bool>()).prop_map(|(members, nested)| {
        let files: Vec<(String, Vec<u8>)> = members
            .iter()
            .enumerate()
            .map(|(i, (w, recs, enc, garbage))| {
                let (name, text) = wrap(*w, recs, garbage);
                let (name, bytes) = encode(name, &text, *enc);
                (format!("m{i}/{name}"), bytes)
            })
            .collect();
        let entries: Vec<(&str, &[u8])> = files.iter().map(|(n, b)| (n.as_str(), b.as_slice())).collect();
        let packed = zip(&entries);
        if nested { ("outer.zip".to_owned(), zip(&[("inner.zip", &packed)])) } else { ("drop.zip".to_owned(), packed) }
    });
    prop_oneof![4 => one, 1 => archive].prop_map(|(name, bytes)| Input { name, bytes })
}

/// A file as dropped, shown as text when a case fails.
#[derive(Clone)]
struct Input {
    name: String,
    bytes: Vec<u8>,
}

impl std::fmt::Debug for Input {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({} bytes): {:?}", self.name, self.bytes.len(), String::from_utf8_lossy(&self.bytes))
    }
}

fn streamed(name: &str, bytes: &[u8], chunk: usize, compact: bool) -> Vec<(String, ParsedFile)> {
    let mut stream = FileStream::new(name, bytes.len() as u64);
    if compact {
        stream = stream.compact();
    }
    for c in bytes.chunks(chunk.max(1)) {
        stream.push(c);
    }
    stream.finish_with(&mut || Ok(bytes.to_vec()))
}

/// The helper's bytes read back as the files it parsed.
fn crosses_unchanged(files: &[(String, ParsedFile)]) -> Result<(), TestCaseError> {
    let wire = files_into_wire(files.to_vec());
    let back = files_from_wire(&wire).map_err(|e| TestCaseError::fail(format!("{e} (files: {files:#?})")))?;
    prop_assert_eq!(&back, files);
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, failure_persistence: None, ..ProptestConfig::default() })]

    /// Any input, parsed whole (the CLI, an owner that reads a file itself) or streamed as the
    /// browser's workers do (compact, in chunks), crosses the wire unchanged.
    #[test]
    fn any_parsed_file_crosses_the_wire_unchanged(input in input(), chunk in 1usize..5000) {
        let Input { name, bytes } = input;
        crosses_unchanged(&parse_input(&name, &bytes))?;
        crosses_unchanged(&streamed(&name, &bytes, chunk, true))?;
        crosses_unchanged(&streamed(&name, &bytes, chunk, false))?;
    }
}

/// The generators make what they claim: each wrapping of valid records is read as its shape
/// with every record an event (so the property above covers every shape), and the files that
/// hold no records end skipped or rejected.
#[test]
fn every_wrapping_is_read_as_its_shape() {
    let recs: Vec<Rec> = (0..3)
        .map(|i| Rec {
            name: ["OpenTunnel", "SendSSHPublicKey", "DescribeInstances"][i].to_owned(),
            source: ["ec2-instance-connect.amazonaws.com", "ec2-instance-connect.amazonaws.com", "ec2.amazonaws.com"]
                [i]
                .to_owned(),
            time: Some(format!("2026-10-01T08:0{i}:00Z")),
            id: Some(format!("c0000000-0000-4000-8000-00000000000{i}")),
            user: Some(("IAMUser", "alice".to_owned())),
            ip: "198.51.100.7".to_owned(),
            ua: "aws-cli/2.17.0 \"q\", é".to_owned(),
            region: "us-east-1".to_owned(),
            account: "111122223333".to_owned(),
            error: (i == 1).then(|| ("AccessDenied".to_owned(), "no, \"never\"".to_owned())),
            a: "eice-0123456789abcdef0".to_owned(),
            b: "22".to_owned(),
            c: "10.0.0.5".to_owned(),
            d: None,
        })
        .collect();
    let mut spanless = 0;
    for w in WRAPS {
        let (name, text) = wrap(w, &recs, b"\x00\x01binary");
        let parsed = parse_input(name, &text).remove(0).1;
        let expect = match w {
            Wrap::TrailCompact | Wrap::TrailPretty => Some((Shape::TrailRecords, 3)),
            Wrap::Array => Some((Shape::RecordArray, 3)),
            Wrap::Single => Some((Shape::SingleRecord, 1)),
            Wrap::Ndjson | Wrap::Concatenated => Some((Shape::Ndjson, 3)),
            Wrap::LookupEvents => Some((Shape::LookupEvents, 3)),
            Wrap::EventBridgeOne => Some((Shape::EventBridge, 1)),
            // An array of envelopes is an array of records, each unwrapped.
            Wrap::EventBridgeArray => Some((Shape::RecordArray, 3)),
            Wrap::EventBridgeLines => Some((Shape::EventBridge, 3)),
            Wrap::CloudWatchFilter | Wrap::CloudWatchSubscription => Some((Shape::CloudWatchLogs, 3)),
            Wrap::ConsoleCsv => Some((Shape::ConsoleCsv, 3)),
            Wrap::AthenaJson | Wrap::AthenaRendering | Wrap::LakeJson => Some((Shape::QueryResult, 3)),
            _ => None,
        };
        match expect {
            Some((shape, n)) => {
                assert_eq!((parsed.status, parsed.shape), (FileStatus::Read, Some(shape)), "{w:?}: {}", parsed.reason);
                assert_eq!((parsed.events.len(), parsed.invalid.len()), (n, 0), "{w:?}: {:?}", parsed.invalid);
                spanless += parsed.events.iter().filter(|(_, e)| e.span.is_none()).count();
            }
            None => assert_ne!(parsed.status, FileStatus::Read, "{w:?}"),
        }
        if w == Wrap::CloudWatchControl || w == Wrap::Digest || w == Wrap::LakeSignature {
            assert_eq!(parsed.status, FileStatus::Skipped, "{w:?}: {}", parsed.reason);
        }
    }
    // The events that broke the wire (issue 17): records that are not a slice of the file.
    assert!(spanless >= 20, "{spanless} events without a span");
    // A compact stream holds unrelated records as rows (columns), which cross the wire too.
    let (name, text) = wrap(Wrap::TrailCompact, &recs, b"");
    let compact = streamed(name, &text, 100, true).remove(0).1;
    assert_eq!((compact.events.len(), compact.rows.len()), (2, 1));
}

/// Every fixture and corpus file (the drop of issue 17 lost 4–7 of the fixtures), read whole and
/// as the browser's compact stream, crosses the wire unchanged; and so does a batch of them.
#[test]
fn every_fixture_and_corpus_file_crosses_the_wire_unchanged() {
    let mut paths = Vec::new();
    walk(Path::new(FIXTURES), &mut paths);
    walk(Path::new(CORPUS), &mut paths);
    let mut all = Vec::new();
    for p in &paths {
        let name = p.to_string_lossy();
        let bytes = std::fs::read(p).unwrap();
        for files in [parse_input(&name, &bytes), streamed(&name, &bytes, 64 << 10, true)] {
            let wire = files_into_wire(files.clone());
            assert_eq!(files_from_wire(&wire).as_ref(), Ok(&files), "{name}");
            all.extend(files);
        }
    }
    assert!(all.iter().any(|(_, f)| f.events.iter().any(|(_, e)| e.span.is_none())));
    let wire = files_into_wire(all.clone());
    assert_eq!(files_from_wire(&wire).unwrap(), all);
}
