//! `FileStream` (chunked reading) equals `parse_input` (whole bytes), and `read_span` gives back
//! every event's `raw` text from the file as stored.

#![allow(clippy::unwrap_used)] // test helpers: a failure is the message

mod files;

use std::path::Path;

use files::{CORPUS, FIXTURES, gz, walk, zip};
use tunnelscope_core::ingest::{
    FileStream, ParsedFile, SpanReader, files_from_wire, files_into_wire, parse_input, read_span, read_spans,
};
use tunnelscope_core::{FileStatus, Shape};

fn streamed(name: &str, bytes: &[u8], chunk: usize) -> Vec<(String, ParsedFile)> {
    let mut stream = FileStream::new(name, bytes.len() as u64);
    let mut last = 0;
    for c in bytes.chunks(chunk.max(1)) {
        stream.push(c);
        let so_far = stream.records_so_far();
        assert!(so_far >= last, "records_so_far went back");
        last = so_far;
    }
    stream.finish()
}

/// A compact stream: the raw text of unrelated events with a span is let go; the file is read
/// again (`whole`) when the whole-file reading is needed.
fn streamed_compact(name: &str, bytes: &[u8], chunk: usize) -> Vec<(String, ParsedFile)> {
    let mut stream = FileStream::new(name, bytes.len() as u64).compact();
    for c in bytes.chunks(chunk.max(1)) {
        stream.push(c);
    }
    // Unrelated records come out as rows: compare them as the events they stand for.
    stream.finish_with(&mut || Ok(bytes.to_vec())).into_iter().map(|(n, f)| (n, f.with_rows_as_events())).collect()
}

/// What a compact stream gives: the whole-file result, but for the dropped raw texts.
fn compacted(mut files: Vec<(String, ParsedFile)>) -> Vec<(String, ParsedFile)> {
    for (_, f) in &mut files {
        for (_, e) in &mut f.events {
            if e.raw_is_droppable() {
                e.raw = String::new();
            }
        }
    }
    files
}

fn same_as_whole(name: &str, bytes: &[u8]) {
    let whole = parse_input(name, bytes);
    let compact_whole = compacted(whole.clone());
    for chunk in [1, 7, 4096, bytes.len()] {
        if chunk == 1 && bytes.len() > 300_000 {
            continue;
        }
        assert_eq!(streamed(name, bytes, chunk), whole, "{name} in chunks of {chunk}");
        // A compact stream: the same but for the dropped texts.
        assert_eq!(streamed_compact(name, bytes, chunk), compact_whole, "{name} in chunks of {chunk}, compact");
    }
}

/// Every fixture and corpus file, and variants of each (gzipped, zipped, truncated, with a BOM,
/// with trailing data), read in chunks of 1, 7, 4096 bytes and whole.
#[test]
fn every_fixture_streams_to_the_whole_file_result() {
    let mut paths = Vec::new();
    walk(Path::new(FIXTURES), &mut paths);
    walk(Path::new(CORPUS), &mut paths);
    assert!(paths.len() > 20);
    for p in &paths {
        let name = p.to_string_lossy();
        let bytes = std::fs::read(p).unwrap();
        same_as_whole(&name, &bytes);
        if bytes.len() > 100_000 {
            continue;
        }
        same_as_whole(&format!("{name}.gz"), &gz(&bytes));
        let mut bom = b"\xEF\xBB\xBF".to_vec();
        bom.extend_from_slice(&bytes);
        same_as_whole(&name, &bom);
        let mut trailing = bytes.clone();
        trailing.extend_from_slice(b"\n{\"x\":1}");
        same_as_whole(&name, &trailing);
        for cut in [bytes.len() / 3, bytes.len() * 2 / 3, bytes.len().saturating_sub(2)] {
            same_as_whole(&name, &bytes[..cut]);
            let packed = gz(&bytes);
            same_as_whole(&format!("{name}.gz"), &packed[..packed.len() * cut / bytes.len().max(1)]);
        }
    }
    let trail = std::fs::read(Path::new(FIXTURES).join("trail-compact.json")).unwrap();
    same_as_whole("a.zip", &zip(&[("x.json", &trail), ("y.json.gz", &gz(&trail))]));
}

/// Documents that start like a trail file and then go wrong, at every point.
#[test]
fn trail_documents_that_go_wrong_stream_to_the_whole_file_result() {
    let rec = |i: usize| {
        format!(
            r#"{{"eventVersion":"1.08","eventTime":"2026-10-01T08:{:02}:00Z","eventName":"OpenTunnel","eventSource":"ec2-instance-connect.amazonaws.com","eventID":"e-{i}","requestParameters":{{"instanceConnectEndpointId":"eice-0123456789abcdef0","remotePort":"22","privateIpAddress":"10.0.0.{i}","note":"}},{{\"x\":[1]}}"}}}}"#,
            i % 60
        )
    };
    let records: Vec<String> = (0..6).map(rec).collect();
    let doc = format!("{{\"Records\":[{}]}}", records.join(","));
    let pretty = format!("{{\n  \"Records\": [\n    {}\n  ]\n}}\n", records.join(",\n    "));
    let mut cases: Vec<String> = vec![doc.clone(), pretty.clone()];
    for (i, bad) in [
        ("eventTime", "\"eventTime\":1e999"),
        ("eventName\":\"OpenTunnel", "eventName\":\"OpenTunnel\",\"eventName\":\"X"),
        ("\"eventID\"", "\"messageId\":1,\"body\":null,\"eventID\""),
        ("\"1.08\"", "\"2.1\",\"eventSource\":\"aws:s3\""),
        ("\"eventID\"", "\"userIdentity\":\"x\",\"eventID\""),
        ("\"eventID\"", "\"x\":\"\\ud800\",\"eventID\""),
        ("\"eventID\"", "\"x\":\"\\q\",\"eventID\""),
        ("\"eventVersion\":\"1.08\",", ""),
        ("\"eventTime\"", "\"eventTimeX\""),
    ]
    .iter()
    .enumerate()
    {
        let mut r = records.clone();
        r[i % 6] = r[i % 6].replacen(bad.0, bad.1, 1);
        cases.push(format!("{{\"Records\":[{}]}}", r.join(",")));
        cases.push(format!("{{\"Records\":[\n{}\n]}}", r.join(",\n")));
    }
    cases.push(doc.replace("]}", "],\"Zeta\":1}"));
    cases.push(format!("{doc}{doc}"));
    cases.push(format!("{doc}\n{pretty}"));
    cases.push(doc.replacen("},{", "},[],{", 1));
    cases.push(doc.replacen("},{", "},,{", 1));
    cases.push(doc.replacen("},{", "} {", 1));
    cases.push(doc.replace("\"Records\"", "\"Re\\u0063ords\""));
    cases.push(format!("\u{feff}{doc}"));
    cases.push(format!("\u{feff}\u{feff}{doc}"));
    cases.push(format!(" \t\r\n{doc} \n"));
    cases.push(format!("{doc}\u{c}"));
    for case in &cases {
        for end in (0..=case.len()).step_by(53).chain([case.len()]) {
            let bytes = &case.as_bytes()[..end];
            let whole = parse_input("t.json", bytes);
            for chunk in [1, 7, 64] {
                assert_eq!(streamed("t.json", bytes, chunk), whole, "chunks of {chunk}: {:?}", &case[..end]);
            }
            let packed = gz(bytes);
            let whole = parse_input("t.json.gz", &packed);
            assert_eq!(streamed("t.json.gz", &packed, 7), whole, "gzip, chunks of 7: {:?}", &case[..end]);
        }
        let mut bad_utf8 = case.clone().into_bytes();
        let at = bad_utf8.len() / 2;
        bad_utf8[at] = 0xff;
        same_as_whole("t.json", &bad_utf8);
    }
}

/// Unrelated records (rows of a compact stream, read by the fast reader where it can) with
/// every kind of oddity the fast reader leaves to serde_json, or must reject as serde does:
/// a compact stream gives the whole-file result, in any chunks.
#[test]
fn unusual_rows_read_alike_in_a_compact_stream_and_whole() {
    let rec = |i: usize| {
        format!(
            r#"{{"eventVersion":"1.08","userIdentity":{{"type":"AssumedRole","arn":"arn:aws:sts::111122223333:assumed-role/R/u{i}","accountId":"111122223333","sessionContext":{{"sessionIssuer":{{"userName":"R"}}}}}},"eventTime":"2026-10-01T08:{:02}:00Z","eventName":"DescribeInstances","eventSource":"ec2.amazonaws.com","awsRegion":"eu-west-1","userAgent":"ua \"q\" caf\u00e9 ✓","eventID":"e-{i}","requestParameters":{{"a":[1,2.5,-3e2,true,null,{{"b":"}},{{"}}]}},"responseElements":null}}"#,
            i % 60
        )
    };
    let records: Vec<String> = (0..6).map(rec).collect();
    let mut cases = vec![format!("{{\"Records\":[{}]}}", records.join(","))];
    for (i, bad) in [
        ("\"eventID\"", "\"eventName\":\"Twice\",\"eventID\""),
        ("\"eventID\"", "\"recipientAccountId\":111122223333,\"eventID\""),
        ("\"eventID\"", "\"userAgent\":\"\\ud83d\\ude80\",\"eventID\""),
        ("\"eventID\"", "\"x\":\"\\ud800\",\"eventID\""),
        ("\"eventID\"", "\"x\":\"\\u12g4\",\"eventID\""),
        ("\"eventID\"", "\"awsRegion\":{\"\\ud800\":1},\"eventID\""),
        ("\"eventID\"", "\"ev\\u0065ntID\":\"other\",\"eventID\""),
        ("\"eventID\"", "\"insightDetails\":null,\"eventID\""),
        ("\"eventID\"", "\"tunnelscopeSynthesized\":{\"from\":\"query-row\"},\"eventID\""),
        ("\"eventID\"", "\"userIdentity\":[\"IAMUser\"],\"eventID\""),
        ("\"eventID\"", "\"userIdentity\":{\"arn\":\"a\",\"arn\":\"b\"},\"eventID\""),
        ("\"eventID\"", "\"eventTime\":null,\"eventID\""),
        ("2.5", "2."),
        ("2.5", "02"),
        ("true", "tru"),
        ("\"eventTime\":\"2026", "\"eventTime\":\"\\u0032026"),
        ("\"eventTime\":\"2026", "\"eventTime\":\"x2026"),
        ("\"eventTime\":\"2026-10-01T08:01:00Z\"", "\"eventTime\":1790000000"),
        ("ua ", "ua\t"),
        ("\"eventName\":\"DescribeInstances\",", ""),
        ("\"eventName\":\"DescribeInstances\"", "\"eventName\":\"OpenTunnel\""),
    ]
    .iter()
    .enumerate()
    {
        let mut r = records.clone();
        r[i % 6] = r[i % 6].replacen(bad.0, bad.1, 1);
        cases.push(format!("{{\"Records\":[{}]}}", r.join(",")));
        cases.push(format!("{{ \"Records\" : [\n{}\n] }}", r.join(" ,\n ")));
    }
    // Nesting deeper than the fast reader goes (serde_json's skip has no limit).
    let deep = format!("\"a\":{}1{},\"a2\":[", "[".repeat(80), "]".repeat(80));
    cases.push(cases[0].replacen("\"a\":[", &deep, 1));
    for case in &cases {
        for bytes in [case.as_bytes(), &case.as_bytes()[..case.len() * 2 / 3]] {
            let whole = compacted(parse_input("t.json", bytes));
            for chunk in [7, 64, 4096, bytes.len()] {
                assert_eq!(streamed_compact("t.json", bytes, chunk), whole, "chunks of {chunk}: {case}");
            }
        }
    }
}

/// A generated trail file bigger than 8 MiB goes through several 8 MiB slices with the same
/// result as the whole file, plain and gzipped, and also when it turns out broken at the end.
#[test]
fn a_file_of_several_slices_streams_to_the_whole_file_result() {
    let mut doc = String::from("{\"Records\":[");
    let mut i = 0;
    while doc.len() < 9 << 20 {
        if i > 0 {
            doc.push_str(",\n");
        }
        doc.push_str(&format!(
            r#"{{"eventVersion":"1.08","userIdentity":{{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/u{}","accountId":"111122223333"}},"eventTime":"2026-10-01T{:02}:{:02}:{:02}Z","eventSource":"ec2.amazonaws.com","eventName":"DescribeInstances","awsRegion":"eu-west-1","sourceIPAddress":"198.51.100.{}","userAgent":"aws-cli/2.15 \"quoted\" \\ path","requestParameters":{{"filterSet":{{"items":[{{"name":"tag:x","valueSet":{{"items":[{{"value":"}},{{"}}]}}}}]}}}},"responseElements":null,"eventID":"{:08x}-0000-4000-8000-000000000000","readOnly":true}}"#,
            i % 7,
            (i / 3600) % 24,
            (i / 60) % 60,
            i % 60,
            i % 250,
            i
        ));
        i += 1;
    }
    doc.push_str("]}\n");
    let plain = doc.as_bytes();
    let packed = gz(plain);
    for (name, bytes) in [("big.json", plain), ("big.json.gz", &packed[..])] {
        let whole = parse_input(name, bytes);
        assert_eq!(whole[0].1.status, FileStatus::Read);
        assert_eq!(whole[0].1.shape, Some(Shape::TrailRecords));
        assert_eq!(whole[0].1.events.len(), i);
        assert!(whole[0].1.events.iter().all(|(_, e)| e.span.is_some()));
        let got = streamed(name, bytes, 8 << 20);
        assert_eq!(got, whole, "{name}");
    }
    // Broken at the end: the streamed part must be read again as the whole file would be.
    let mut broken = plain.to_vec();
    broken.truncate(broken.len() - 3);
    broken.extend_from_slice(b",{\"eventName\":1 ]}");
    // (Read line by line, as a file of one record per line: only the whole text tells.)
    let whole = parse_input("broken.json", &broken);
    assert_eq!(whole[0].1.shape, Some(Shape::Ndjson));
    assert_eq!(streamed("broken.json", &broken, 8 << 20), whole);
    let packed = gz(&broken);
    assert_eq!(streamed("broken.json.gz", &packed, 8 << 20), parse_input("broken.json.gz", &packed));
}

/// `read_span` gives back each event's `raw` from the file as stored, for every shape whose
/// records are exact slices of the file; synthesized or unescaped records have no span.
#[test]
fn spans_read_back_the_raw_records() {
    let mut checked = 0;
    let mut without = 0;
    let mut names = Vec::new();
    walk(Path::new(FIXTURES), &mut names);
    for p in names {
        let bytes = std::fs::read(&p).unwrap();
        let name = p.file_name().unwrap().to_string_lossy().into_owned();
        let mut bom = b"\xEF\xBB\xBF".to_vec();
        bom.extend_from_slice(&bytes);
        let z = zip(&[("in/x.json", &bytes), ("in/y.json.gz", &gz(&bytes)), ("n.zip", &zip(&[("deep.json", &bytes)]))]);
        for (file, data) in [
            (name.clone(), bytes.clone()),
            (format!("{name}.gz"), gz(&bytes)),
            (name.clone(), bom),
            ("a.zip".into(), z),
        ] {
            for (member_name, parsed) in parse_input(&file, &data) {
                let member = member_name.strip_prefix("a.zip!/");
                let spans: Vec<_> = parsed.events.iter().filter_map(|(_, e)| e.span).collect();
                let texts = read_spans(&data, member, &spans).unwrap();
                // Read in one pass as the bytes arrive, as the page's export reads them.
                for chunk in [7, 4096, data.len()] {
                    let size = data.len() as u64;
                    let mut r = SpanReader::new(&data[..data.len().min(4)], member, &spans, size);
                    for (start, end) in r.ranges(100, size) {
                        for (k, piece) in data[start as usize..end as usize].chunks(chunk).enumerate() {
                            r.push(start + (k * chunk) as u64, piece);
                        }
                    }
                    let got: Vec<String> = r.finish().to_vec().into_iter().map(Option::unwrap_or_default).collect();
                    assert_eq!(got, texts, "{member_name} in pieces of {chunk}");
                }
                let mut texts = texts.into_iter();
                for (_, e) in &parsed.events {
                    match e.span {
                        Some(span) => {
                            assert_eq!(texts.next().as_deref(), Some(e.raw.as_str()), "{member_name}");
                            assert_eq!(read_span(&data, member, span).unwrap(), e.raw);
                            checked += 1;
                        }
                        None => without += 1,
                    }
                }
                let exact = matches!(
                    parsed.shape,
                    Some(Shape::TrailRecords | Shape::RecordArray | Shape::SingleRecord | Shape::EventBridge)
                );
                if exact {
                    assert!(parsed.events.iter().all(|(_, e)| e.span.is_some()), "{member_name}: {:?}", parsed.shape);
                }
                if matches!(parsed.shape, Some(Shape::ConsoleCsv | Shape::QueryResult | Shape::LookupEvents)) {
                    assert!(parsed.events.iter().all(|(_, e)| e.span.is_none()), "{member_name}");
                }
            }
        }
    }
    assert!(checked > 100 && without > 10, "{checked} spans checked, {without} events without");
    // UTF-16 text is converted, so its records have no span.
    let text = std::fs::read_to_string(Path::new(FIXTURES).join("trail-compact.json")).unwrap();
    let mut utf16 = vec![0xFF, 0xFE];
    utf16.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
    let parsed = parse_input("u.json", &utf16);
    assert!(!parsed[0].1.events.is_empty());
    assert!(parsed[0].1.events.iter().all(|(_, e)| e.span.is_none()));
    assert!(read_span(b"{}", None, tunnelscope_core::RawSpan { offset: 1, len: 5 }).is_err());
    assert!(read_span(b"{}", Some("x"), tunnelscope_core::RawSpan { offset: 0, len: 1 }).is_err());
}

#[test]
fn a_compact_stream_holds_unrelated_records_as_rows_and_eice_ones_as_events() {
    use tunnelscope_core::export::is_eice_relevant;
    let bytes = tunnelscope_core::sample::sample_trail_json();
    let whole = parse_input("sample.json", &bytes).remove(0).1;
    for chunk in [97, bytes.len()] {
        let mut stream = FileStream::new("sample.json", bytes.len() as u64).compact();
        for c in bytes.chunks(chunk) {
            stream.push(c);
        }
        let parsed = stream.finish().remove(0).1;
        let related = whole.events.iter().filter(|(_, e)| is_eice_relevant(e)).count();
        assert!(related > 0 && related < whole.events.len(), "the sample mixes both kinds");
        assert_eq!(parsed.events.len(), related, "EICE-related records stay events");
        assert_eq!(parsed.rows.len(), whole.events.len() - related, "the others become rows");
        assert!(parsed.events.iter().all(|(_, e)| !e.raw.is_empty()), "events keep their text");
        // The rows' fields are the events' fields, their text left to be read again by span.
        for (record, row) in parsed.rows.events() {
            let (_, e) = whole.events.iter().find(|(r, _)| *r == record).unwrap();
            assert_eq!(row, tunnelscope_core::Event { raw: String::new(), ..e.clone() });
            assert_eq!(read_span(&bytes, None, row.span.unwrap()).unwrap(), e.raw);
        }
    }
}

#[test]
fn a_parsed_file_crosses_between_workers_as_bytes_unchanged() {
    let bytes = tunnelscope_core::sample::sample_trail_json();
    let mut text = String::from_utf8(bytes.clone()).unwrap();
    // An invalid record too, so every part of a parsed file is carried.
    text = text.replacen("{\"Records\":[", "{\"Records\":[{\"eventName\":\"NoTime\"},", 1);
    for parsed in [streamed_raw_compact("s.json", text.as_bytes()), parse_input("s.json", text.as_bytes()).remove(0).1]
    {
        assert!(!parsed.invalid.is_empty() && !parsed.events.is_empty());
        let files = vec![("s.json".to_owned(), parsed)];
        let wire = files_into_wire(files.clone());
        assert_eq!(files_from_wire(&wire).unwrap(), files);
        // Damaged bytes are an error, never a panic or a different file.
        for cut in [0, 1, wire.len() / 2, wire.len() - 1] {
            assert!(files_from_wire(&wire[..cut]).is_err(), "cut at {cut}");
        }
    }
}

/// A compact stream's result as it comes (rows not turned into events).
fn streamed_raw_compact(name: &str, bytes: &[u8]) -> ParsedFile {
    let mut stream = FileStream::new(name, bytes.len() as u64).compact();
    stream.push(bytes);
    let parsed = stream.finish().remove(0).1;
    assert!(!parsed.rows.is_empty(), "unrelated records are rows");
    parsed
}

/// Issue 18, item 3: values EICE cannot produce in an `OpenTunnel` request follow one rule,
/// the same for strings and numbers, in the whole-file and the streamed reading: a whole
/// number that fits is kept as given and flagged when outside 1..=3600 s / 1..=65535; anything
/// else counts as absent (3600 assumed) and is flagged; the latest end is never more than an
/// hour after the start; an odd value under an unrelated key changes nothing.
#[test]
fn values_eice_cannot_produce_are_kept_flagged_and_bounded() {
    use tunnelscope_core::Dataset;
    use tunnelscope_core::model::EiceFacts;

    // (request members, port, max duration, assumed, out of range)
    type Want = (Option<u32>, u64, bool, bool);
    let mut cases: Vec<(String, Want)> = Vec::new();
    for (value, want_duration) in [
        ("120", (120, false, false)),
        ("3600", (3600, false, false)),
        ("1.2e2", (120, false, false)),
        ("0", (0, false, true)),
        ("7200", (7200, false, true)),
        ("18446744073709551615", (u64::MAX, false, true)),
        ("18446744073709551616", (3600, true, true)),
        ("1e999", (3600, true, true)),
        ("-5", (3600, true, true)),
        ("1.5", (3600, true, true)),
    ] {
        let (secs, assumed, odd) = want_duration;
        for given in [value.to_owned(), format!("\"{value}\"")] {
            cases.push((format!(r#""remotePort":22,"maxTunnelDuration":{given}"#), (Some(22), secs, assumed, odd)));
        }
    }
    for (value, port, odd) in [
        ("3389", Some(3389), false),
        ("99999", Some(99999), true),
        ("0", Some(0), true),
        ("4294967296", None, true),
        ("1e999", None, true),
        ("-1", None, true),
    ] {
        for given in [value.to_owned(), format!("\"{value}\"")] {
            cases.push((format!(r#""remotePort":{given}"#), (port, 3600, true, odd)));
        }
    }
    for (members, want) in [
        (r#""remotePort":22,"maxTunnelDuration":"abc""#, (Some(22), 3600, true, true)),
        (r#""remotePort":22,"maxTunnelDuration":true"#, (Some(22), 3600, true, true)),
        (r#""remotePort":22,"maxTunnelDuration":null"#, (Some(22), 3600, true, false)),
        (r#""remotePort":22,"maxTunnelDuration":"""#, (Some(22), 3600, true, false)),
        (r#""remotePort":22"#, (Some(22), 3600, true, false)),
        // Odd values under unrelated keys blank nothing.
        (r#""remotePort":22,"maxTunnelDuration":600,"unrelated":1e999"#, (Some(22), 600, false, false)),
        (r#""unrelated":[-1E+999],"remotePort":"22","maxTunnelDuration":"600""#, (Some(22), 600, false, false)),
        (r#""remotePort":22,"note":"\ud800 lone","maxTunnelDuration":600"#, (Some(22), 600, false, false)),
        (
            r#""remotePort":22,"maxTunnelDuration":600,"x":{"y":"1e999 \"q\" \\","z":2e400}"#,
            (Some(22), 600, false, false),
        ),
    ] {
        cases.push((members.to_owned(), want));
    }
    let start_ms = 1_790_841_600_000_i64; // 2026-10-01T08:00:00Z
    for (i, (members, (port, secs, assumed, odd))) in cases.iter().enumerate() {
        let record = format!(
            r#"{{"eventVersion":"1.08","eventTime":"2026-10-01T08:00:00Z","eventName":"OpenTunnel","eventSource":"ec2-instance-connect.amazonaws.com","eventID":"t-{i}","requestParameters":{{"instanceConnectEndpointId":"eice-0123456789abcdef0","privateIpAddress":"10.0.0.9",{members}}}}}"#
        );
        let doc = format!(r#"{{"Records":[{record}]}}"#);
        for (name, bytes) in [("t.json", doc.clone().into_bytes()), ("t.json.gz", gz(doc.as_bytes()))] {
            same_as_whole(name, &bytes);
        }
        same_as_whole("t.ndjson", record.as_bytes());
        let files = parse_input("t.json", doc.as_bytes());
        let (_, event) = &files[0].1.events[0];
        let Some(EiceFacts::Tunnel(t)) = &event.eice else { panic!("not a tunnel: {members}") };
        assert_eq!(t.endpoint_id, "eice-0123456789abcdef0", "{members}");
        assert_eq!(t.private_ip, "10.0.0.9", "{members}");
        assert_eq!(
            (t.port, t.max_duration_secs, t.max_duration_assumed, t.out_of_range),
            (*port, *secs, *assumed, *odd),
            "{members}"
        );
        // Kept as given in the raw record.
        assert_eq!(event.raw, record);

        let mut ds = Dataset::new();
        let report = ds.add_file("t.json", doc.as_bytes()).clone();
        assert_eq!((report.n_loaded, report.n_invalid), (1, 0), "{members}");
        assert_eq!(report.n_out_of_range, u64::from(*odd), "{members}");
        let notes = report.all_notes();
        assert_eq!(notes.len(), usize::from(*odd), "{members}: {notes:?}");
        if *odd {
            assert!(notes[0].contains("1 tunnel has") && notes[0].contains(&format!("t-{i}")), "{notes:?}");
        }
        let row = &ds.tunnel_rows()[0];
        let end = tunnelscope_core::time::parse_time_ms(&row.latest_end).unwrap();
        assert_eq!(end - start_ms, (*secs).min(3600) as i64 * 1000, "{members}: {}", row.latest_end);
    }
}

/// Issue 18, item 6c: a record with a key twice is invalid for that reason, not for lacking
/// its keys, in every shape and reading.
#[test]
fn a_record_with_a_key_twice_says_so() {
    let good = r#"{"eventTime":"2026-10-01T08:00:00Z","eventName":"X","eventID":"a"}"#;
    let twice =
        r#"{"eventTime":"2026-10-01T08:00:00Z","eventName":"X","eventTime":"2026-10-01T09:00:00Z","eventID":"b"}"#;
    for (name, doc) in [
        ("t.json", format!(r#"{{"Records":[{good},{twice}]}}"#)),
        ("t.json", format!("[{good},{twice}]")),
        ("t.ndjson", format!("{good}\n{twice}\n")),
    ] {
        same_as_whole(name, doc.as_bytes());
        let files = parse_input(name, doc.as_bytes());
        let f = &files[0].1;
        assert_eq!((f.status, f.events.len(), f.invalid.len()), (FileStatus::Read, 1, 1), "{doc}");
        let reason = &f.invalid[0].reason;
        assert!(reason.contains(r#"duplicate key "eventTime""#), "{name}: {reason}");
    }
    // A file of that one record: rejected for that reason, not as "not a CloudTrail export".
    same_as_whole("one.json", twice.as_bytes());
    let files = parse_input("one.json", twice.as_bytes());
    let f = &files[0].1;
    assert_eq!(f.status, FileStatus::Rejected);
    assert!(f.reason.contains(r#"duplicate key "eventTime""#), "{}", f.reason);
}

/// A zip of `entries` where every `y.json` and `z.json` is then named `x.json` in the archive's bytes
/// (the zip writer refuses two members of one name; real tools do not).
fn zip_renamed(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let mut bytes = zip(entries);
    for at in 0..bytes.len().saturating_sub(6) {
        if &bytes[at..at + 6] == b"y.json" || &bytes[at..at + 6] == b"z.json" {
            bytes[at] = b'x';
        }
    }
    bytes
}

/// Issue 18, item 6b: two members of one name are both read, named apart deterministically
/// (`x.json`, `x.json (2)`, in the archive's order), and their records read back by span.
#[test]
fn zip_members_of_one_name_are_all_read() {
    let doc = |id: &str| {
        format!(r#"{{"Records":[{{"eventTime":"2026-10-01T08:00:00Z","eventName":"X","eventID":"{id}"}}]}}"#)
    };
    let (a, b, c, d) = (doc("a"), doc("b"), doc("c"), doc("d"));
    let bytes = zip_renamed(&[("x.json", a.as_bytes()), ("q.json", b.as_bytes()), ("y.json", c.as_bytes())]);
    same_as_whole("a.zip", &bytes);
    let files = parse_input("a.zip", &bytes);
    let got: Vec<(&str, &str)> = files.iter().map(|(n, f)| (n.as_str(), f.events[0].1.event_id.as_str())).collect();
    assert_eq!(got, [("a.zip!/x.json", "a"), ("a.zip!/x.json (2)", "c"), ("a.zip!/q.json", "b")]);
    for (name, f) in &files {
        let member = name.strip_prefix("a.zip!/").unwrap();
        let (_, e) = &f.events[0];
        assert_eq!(read_span(&bytes, Some(member), e.span.unwrap()).unwrap(), e.raw, "{name}");
    }
    let mut ds = tunnelscope_core::Dataset::new();
    ds.add_file_reports("a.zip", &bytes);
    assert_eq!(ds.len(), 3);

    // A member already named `x.json (2)` keeps its name; the second `x.json` takes the next.
    let bytes = zip_renamed(&[
        ("x.json", a.as_bytes()),
        ("y.json", c.as_bytes()),
        ("x.json (2)", d.as_bytes()),
        ("z.json", b.as_bytes()),
    ]);
    same_as_whole("a.zip", &bytes);
    let files = parse_input("a.zip", &bytes);
    let got: Vec<(&str, &str)> = files.iter().map(|(n, f)| (n.as_str(), f.events[0].1.event_id.as_str())).collect();
    assert_eq!(
        got,
        [("a.zip!/x.json", "a"), ("a.zip!/x.json (3)", "c"), ("a.zip!/x.json (4)", "b"), ("a.zip!/x.json (2)", "d")]
    );
}

/// Issue 18, item 6a: a gzip file followed by zeros or garbage is read, with a note on what
/// was not, in every reading; it is not a problem file.
#[test]
fn bytes_after_the_gzip_data_are_a_note_not_a_rejection() {
    let doc = r#"{"Records":[{"eventTime":"2026-10-01T08:00:00Z","eventName":"X","eventID":"a"},{"eventTime":"2026-10-01T08:00:01Z","eventName":"OpenTunnel","eventSource":"ec2-instance-connect.amazonaws.com","eventID":"b"}]}"#;
    let packed = gz(doc.as_bytes());
    for (tail, what) in [(vec![0u8; 1000], "1000 zero bytes"), (b"garbage\n".to_vec(), "8 bytes that are not gzip")] {
        let bytes = [packed.clone(), tail].concat();
        same_as_whole("t.json.gz", &bytes);
        let files = parse_input("t.json.gz", &bytes);
        let f = &files[0].1;
        assert_eq!((f.status, f.n_events()), (FileStatus::Read, 2), "{f:?}");
        let mut ds = tunnelscope_core::Dataset::new();
        let report = ds.add_file("t.json.gz", &bytes).clone();
        assert_eq!((report.status, report.n_loaded, report.reason.as_str()), (FileStatus::Read, 2, ""));
        let note = format!("{what} after the gzip data (from byte {}) were not read", packed.len());
        assert_eq!(report.all_notes(), vec![note]);
        assert!(ds.stats().problems.is_empty(), "files only: a read file is no problem");
        // Its records read back by span, at once and in one pass (the page's detail and export).
        let spans: Vec<_> = f.events.iter().filter_map(|(_, e)| e.span).collect();
        assert_eq!(spans.len(), 2);
        let texts = read_spans(&bytes, None, &spans).unwrap();
        assert_eq!(texts, f.events.iter().map(|(_, e)| e.raw.clone()).collect::<Vec<_>>());
        let size = bytes.len() as u64;
        let mut r = SpanReader::new(&bytes[..4], None, &spans, size);
        for (start, end) in r.ranges(100, size) {
            r.push(start, &bytes[start as usize..end as usize]);
        }
        let got: Vec<String> = r.finish().to_vec().into_iter().map(Option::unwrap_or_default).collect();
        assert_eq!(got, texts);
        // Inside a zip too.
        let zipped = zip(&[("t.json.gz", &bytes)]);
        same_as_whole("a.zip", &zipped);
        let mut ds = tunnelscope_core::Dataset::new();
        let reports = ds.add_file_reports("a.zip", &zipped).to_vec();
        assert_eq!(reports[0].n_loaded, 2);
        assert_eq!(reports[0].notes.len(), 1);
    }
}
