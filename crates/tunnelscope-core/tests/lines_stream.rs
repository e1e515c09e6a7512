//! Files of one record per line stream line by line to exactly the whole-file result (at every
//! cut point, plain and gzipped, full and compact), and content that would have to be held
//! whole beyond the ceiling is refused with its size and the limit, never held (issue 18).

#![allow(clippy::unwrap_used)] // test helpers: a failure is the message

mod files;

use files::{fixture, gz, zip};
#[cfg(not(target_arch = "wasm32"))] // proptest: native only
use proptest::prelude::*;
use tunnelscope_core::ingest::{FileStream, ParsedFile, parse_input};
use tunnelscope_core::{FileStatus, Shape};

fn rec(i: usize, name: &str) -> String {
    format!(
        r#"{{"eventVersion":"1.08","eventID":"00000000-0000-4000-8000-{i:012}","eventTime":"2026-10-01T10:{:02}:00Z","eventName":"{name}","eventSource":"ec2.amazonaws.com","awsRegion":"us-east-1","sourceIPAddress":"10.0.0.{}","userIdentity":{{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/u{i}"}}}}"#,
        i % 60,
        i % 250
    )
}

/// The file fed in the chunks that `cuts` (offsets) make; `ceiling` when given.
fn stream_at(
    name: &str,
    bytes: &[u8],
    cuts: &[usize],
    compact: bool,
    ceiling: Option<u64>,
) -> Vec<(String, ParsedFile)> {
    let mut stream = FileStream::new(name, bytes.len() as u64);
    if compact {
        stream = stream.compact();
    }
    if let Some(c) = ceiling {
        stream = stream.with_ceiling(c);
    }
    let mut at = 0;
    for &cut in cuts.iter().chain(std::iter::once(&bytes.len())) {
        let cut = cut.clamp(at, bytes.len());
        stream.push(&bytes[at..cut]);
        at = cut;
    }
    let files = stream.finish_with(&mut || Ok(bytes.to_vec()));
    files.into_iter().map(|(n, f)| (n, f.with_rows_as_events())).collect()
}

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

/// Equal results; on a difference, only a summary of each (files of hundreds of events).
#[track_caller]
fn same(got: &[(String, ParsedFile)], want: &[(String, ParsedFile)], context: &str) {
    let summary = |files: &[(String, ParsedFile)]| -> Vec<String> {
        files
            .iter()
            .map(|(n, f)| {
                format!(
                    "{n}: {:?} {:?} {} events {:?} {:?}",
                    f.status,
                    f.shape,
                    f.n_events(),
                    f.reason,
                    f.invalid.first()
                )
            })
            .collect()
    };
    assert!(got == want, "{context}: got {:?}, want {:?}", summary(got), summary(want));
}

fn check(name: &str, bytes: &[u8], cuts: &[usize]) {
    let whole = parse_input(name, bytes);
    same(&stream_at(name, bytes, cuts, false, None), &whole, &format!("{name} at {cuts:?}"));
    same(&stream_at(name, bytes, cuts, true, None), &compacted(whole), &format!("{name} at {cuts:?}, compact"));
}

/// Files of several lines, each a case the line reading must judge as the whole-file one does.
fn cases() -> Vec<(&'static str, Vec<u8>)> {
    let lines = |v: &[String]| v.join("\n").into_bytes();
    let r = |i| rec(i, "DescribeInstances");
    let eb = format!(
        r#"{{"version":"0","detail-type":"AWS API Call via CloudTrail","source":"aws.ec2","detail":{}}}"#,
        rec(9, "RunInstances")
    );
    let big = format!(
        r#"{{"eventVersion":"1.08","eventTime":"2026-10-01T10:00:00Z","eventName":"X","pad":"{}"}}"#,
        "a".repeat(1 << 20)
    );
    vec![
        ("plain.ndjson", lines(&[r(1), r(2), r(3)])),
        ("trailing-newline.ndjson", format!("{}\n{}\n", r(1), r(2)).into_bytes()),
        ("crlf-blank.ndjson", format!("{}\r\n\r\n  \r\n{}\r\n", r(1), r(2)).into_bytes()),
        ("bom.ndjson", format!("\u{feff}{}\n{}", r(1), r(2)).into_bytes()),
        ("two-per-line.ndjson", format!("{} {}\n{}", r(1), r(2), r(3)).into_bytes()),
        ("envelopes.jsonl", lines(&[eb.clone(), r(4), eb])),
        ("invalid-lines.ndjson", lines(&[r(1), "{}".into(), "[1,2]".into(), "7".into(), r(2)])),
        ("broken-line.ndjson", lines(&[r(1), "{\"eventTime\":".into(), r(2)])),
        ("truncated.ndjson", format!("{}\n{}", r(1), &r(2)[..40]).into_bytes()),
        ("pretty.json", format!("{}\n{{\n  \"eventVersion\": \"1.08\"\n}}\n", r(1)).into_bytes()),
        ("single.json", r(5).into_bytes()),
        ("single-blank.json", format!("\n\n{}\n\n", r(5)).into_bytes()),
        ("not-utf8.ndjson", [r(1).as_bytes(), b"\n{\"a\":\"\xff\"}\n", r(2).as_bytes()].concat()),
        (
            "records-lines.json",
            lines(&[format!("{{\"Records\":[{},{}]}}", r(1), r(2)), format!("{{\"Records\":[{}]}}", r(3))]),
        ),
        ("too-big-record.ndjson", lines(&[r(1), big, r(2)])),
        ("nothing.ndjson", lines(&["{}".into(), "{\"a\":1}".into()])),
        ("digest-lines.json", lines(&[r#"{"digestStartTime":"x","logFiles":[]}"#.into(), "{}".into()])),
    ]
}

#[test]
fn lines_stream_to_the_whole_file_result_at_every_cut() {
    for (name, bytes) in cases() {
        let n = bytes.len();
        let step = if n > 100_000 { n / 8 } else { (n / 300).max(1) };
        for cut in (0..=n).step_by(step) {
            check(name, &bytes, &[cut]);
        }
        check(name, &bytes, &(1..n).step_by(3.max(step)).collect::<Vec<_>>());
        let packed = gz(&bytes);
        for cut in (0..=packed.len()).step_by((packed.len() / 100).max(1)) {
            check(&format!("{name}.gz"), &packed, &[cut]);
        }
    }
}

#[test]
fn the_fixtures_of_lines_stream_line_by_line() {
    for name in ["records.ndjson", "cloudwatch-lines.log", "eventbridge-lines.jsonl"] {
        let bytes = fixture(name);
        let parsed = stream_at(name, &bytes, &[], true, None);
        assert_eq!(parsed[0].1.status, FileStatus::Read, "{name}");
        for cut in 0..bytes.len() {
            check(name, &bytes, &[cut]);
        }
    }
}

#[cfg(not(target_arch = "wasm32"))] // proptest: native only
proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    /// Any lines of records, envelopes and junk, cut anywhere, plain or gzipped.
    #[test]
    fn any_lines_at_any_cuts(kinds in proptest::collection::vec(0u8..7, 1..12), cuts in proptest::collection::vec(0usize..4000, 0..6), gzipped: bool) {
        let lines: Vec<String> = kinds.iter().enumerate().map(|(i, k)| match k {
            0 | 1 => rec(i, "DescribeInstances"),
            2 => rec(i, "SendSSHPublicKey"),
            3 => "{}".to_owned(),
            4 => String::new(),
            5 => "{\"eventTime\":".to_owned(),
            _ => format!("{} {}", rec(i, "A"), rec(i + 100, "B")),
        }).collect();
        let mut bytes = lines.join("\n").into_bytes();
        if gzipped {
            bytes = gz(&bytes);
        }
        let mut cuts = cuts;
        cuts.sort_unstable();
        check("any.ndjson", &bytes, &cuts);
    }
}

/// A file of lines beyond the ceiling streams, with the whole-file reading's result.
#[test]
fn lines_beyond_the_ceiling_stream_exactly() {
    let text: Vec<String> =
        (0..400).map(|i| rec(i, if i % 50 == 0 { "SendSSHPublicKey" } else { "GetObject" })).collect();
    let bytes = text.join("\n").into_bytes();
    let ceiling = Some(4096);
    let whole = parse_input("big.ndjson", &bytes);
    assert_eq!(whole[0].1.n_events(), 400);
    assert_eq!(whole[0].1.shape, Some(Shape::SingleRecord).and(Some(Shape::Ndjson)));
    for chunk in [1000, 4096, 100_000] {
        let cuts: Vec<usize> = (chunk..bytes.len()).step_by(chunk).collect();
        same(&stream_at("big.ndjson", &bytes, &cuts, false, ceiling), &whole, "plain");
        same(&stream_at("big.ndjson", &bytes, &cuts, true, ceiling), &compacted(whole.clone()), "compact");
        let packed = gz(&bytes);
        let want = compacted(parse_input("big.ndjson.gz", &packed));
        same(&stream_at("big.ndjson.gz", &packed, &cuts, true, ceiling), &want, "gzip");
    }
    // A broken line beyond the ceiling: the lines as read, the broken one an invalid record.
    let mut broken = text.clone();
    broken[200] = "{\"eventTime\":".to_owned();
    let bytes = broken.join("\n").into_bytes();
    let got = stream_at("broken.ndjson", &bytes, &[5000], true, ceiling);
    same(&got, &compacted(parse_input("broken.ndjson", &bytes)), "broken");
    assert_eq!(got[0].1.invalid[0].position, "line 201");
}

#[track_caller]
fn rejected_as_too_big(files: &[(String, ParsedFile)], what: &str, size: usize) {
    assert_eq!(files.len(), 1);
    let f = &files[0].1;
    let want = format!("too big to read whole: {what} is {size} bytes, beyond the 4096 byte limit");
    assert!(f.status == FileStatus::Rejected && f.reason.starts_with(&want), "{}: {}", files[0].0, f.reason);
    assert!(f.reason.contains("one record per line"), "{}", f.reason);
}

/// Content that does not stream is held only up to the ceiling, then refused with its size.
#[test]
fn content_that_does_not_stream_is_refused_beyond_the_ceiling() {
    let ceiling = Some(4096);
    let spaces = vec![b' '; 100_000];
    let string = format!("\"{}\"", "a".repeat(100_000)).into_bytes();
    // Bytes that do not compress (a xorshift sequence).
    let mut x = 0x9E37_79B9_u32;
    let garbage: Vec<u8> = (0..100_000)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            x as u8
        })
        .collect();
    let csv = format!("a,b\n{}", "1,2\n".repeat(30_000)).into_bytes();
    let pretty =
        format!("{{\n  \"Events\": [\n{}\n  ]\n}}", vec!["    {\"EventName\":\"X\"}"; 5000].join(",\n")).into_bytes();
    for compact in [false, true] {
        for (name, bytes) in [
            ("spaces.json", &spaces),
            ("string.json", &string),
            ("garbage.bin", &garbage),
            ("t.csv", &csv),
            ("pretty.json", &pretty),
        ] {
            let cuts: Vec<usize> = (1000..bytes.len()).step_by(1000).collect();
            rejected_as_too_big(&stream_at(name, bytes, &cuts, compact, ceiling), "the file", bytes.len());
            let packed = gz(bytes);
            let cuts: Vec<usize> = (100..packed.len()).step_by(100).collect();
            let got = stream_at(&format!("{name}.gz"), &packed, &cuts, compact, ceiling);
            rejected_as_too_big(&got, "the gzip file's content", bytes.len());
        }
        // A zip beyond the ceiling, and a line beyond it.
        let archive = zip(&[("a.json", &garbage)]);
        rejected_as_too_big(&stream_at("a.zip", &archive, &[10], compact, ceiling), "the zip archive", archive.len());
        let long =
            [rec(1, "A").as_bytes(), b"\n{\"a\":\"", &vec![b'x'; 1_200_000], b"\"}\n", rec(2, "B").as_bytes()].concat();
        let got = stream_at("long.ndjson", &long, &[3000, 600_000], compact, ceiling);
        assert_eq!(got[0].1.status, FileStatus::Rejected);
        assert!(got[0].1.reason.starts_with("line 2 is more than"), "{}", got[0].1.reason);
    }
    // Within the ceiling, the same files read as a whole.
    same(&stream_at("t.csv", &csv, &[1000], true, None), &compacted(parse_input("t.csv", &csv)), "csv");
}
