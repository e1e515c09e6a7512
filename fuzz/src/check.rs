//! The ingest fuzz target's body: one input → files fed to every ingest entry point, checked
//! against each other and against the accounting invariants (contracts.md §1).
//!
//! Shared by the coverage-guided fuzzer (`fuzz/`, `cargo xtask fuzz`) and the core's regression
//! test (`crates/tunnelscope-core/tests/fuzz_regressions.rs`), so a crash found by the one is
//! replayed by the other exactly.
//!
//! An input is `payload`, optionally followed by [`CONTROL_MARK`] and control bytes; without
//! the mark (a fixture or corpus file used as a seed as it is) the controls are all zero. The
//! controls choose the file's name (raw bytes named `.json`, `.csv`, `.gz`, `.zip`, a digest or
//! a `result_sign.json` path…), a wrapping (none, gzip, zip of one or two members, stored or
//! deflated), a damage to the wrapped bytes (a cut or a flipped byte), and the cut points at
//! which the file is fed to `FileStream` in chunks. Then:
//! - `parse_input(name, bytes)`: the whole-bytes reading;
//! - `FileStream` fed the chunks gives exactly that (ARCHITECTURE.md's invariant), and a
//!   compact `FileStream` gives it but for the raw text it lets go; `records_so_far` never
//!   goes back;
//! - every file is exactly one of read / skipped / rejected; a file that is not read holds no
//!   records and a rejected one says why;
//! - added to a `Dataset` with a fixed trail file (which shares an event ID with the payload's
//!   seeds, so duplicates happen), each file's `loaded + duplicate + invalid` equals the records
//!   it was found to hold, the totals equal the sum, and the totals are the same whatever order
//!   the files are added in, full or compact.
//!
//! A broken check panics (with what broke), as a failed property should under a fuzzer.

use std::io::{Cursor, Write};

use tunnelscope_core::ingest::{FileStream, ParsedFile, parse_input};
use tunnelscope_core::{Dataset, FileStatus};

/// Separates the payload from the control bytes (the last occurrence counts).
pub const CONTROL_MARK: &[u8] = b"\xffTSCTL";

/// The names a payload is given: the shape is detected from content and path alike.
const NAMES: &[&str] = &[
    "fuzz.json",
    "fuzz.json.gz",
    "fuzz.zip",
    "fuzz.csv",
    "fuzz.log",
    "AWSLogs/111122223333/CloudTrail-Digest/us-east-1/2026/10/01/x_CloudTrail-Digest.json.gz",
    "AWSLogs/111122223333/CloudTrail-Lake/Query/2026/10/03/q/result_sign.json",
    "AWSLogs/111122223333/CloudTrail/us-east-1/2026/10/01/x_CloudTrail_us-east-1.json",
];

/// A small trail file added beside the fuzzed files: its event IDs also appear in the fixtures
/// (`seed-1`, and the AWS documentation's OpenTunnel event), so the fuzzer reaches duplicates.
pub const SEED_TRAIL: &str = r#"{"Records":[{"eventVersion":"1.08","eventTime":"2026-10-01T08:10:00Z","eventName":"SendSSHPublicKey","eventSource":"ec2-instance-connect.amazonaws.com","eventID":"seed-1","awsRegion":"us-east-1","recipientAccountId":"111122223333","sourceIPAddress":"198.51.100.7","userIdentity":{"arn":"arn:aws:iam::111122223333:user/alice"},"requestParameters":{"instanceId":"i-0aaaa1111bbbb2222","instanceOSUser":"ec2-user"}},{"eventVersion":"1.08","eventTime":"2026-10-01T08:00:00Z","eventName":"RunInstances","eventSource":"ec2.amazonaws.com","eventID":"seed-2","awsRegion":"us-east-1","recipientAccountId":"111122223333","responseElements":{"instancesSet":{"items":[{"instanceId":"i-0aaaa1111bbbb2222","privateIpAddress":"10.0.1.20"}]}}}]}"#;

/// The largest payload read (longer inputs are cut): keeps one execution in milliseconds.
pub const MAX_PAYLOAD: usize = 256 << 10;

/// The input's control bytes, read as numbers (missing bytes are zero).
struct Controls<'a>(&'a [u8]);

impl Controls<'_> {
    fn byte(&self, i: usize) -> u8 {
        self.0.get(i).copied().unwrap_or(0)
    }
    fn u16(&self, i: usize) -> usize {
        usize::from(self.byte(i)) | usize::from(self.byte(i + 1)) << 8
    }
}

/// Splits an input into its payload and controls.
fn split(input: &[u8]) -> (&[u8], Controls<'_>) {
    let at = memchr_rev(input, CONTROL_MARK);
    let (payload, controls) = match at {
        Some(i) => (&input[..i], &input[i + CONTROL_MARK.len()..]),
        None => (input, &[][..]),
    };
    (&payload[..payload.len().min(MAX_PAYLOAD)], Controls(controls))
}

/// The last occurrence of `needle` (which starts with a byte JSON and CSV text never hold), found
/// by its first byte: a plain scan, so libFuzzer's memcmp hooks are not run at every position.
fn memchr_rev(hay: &[u8], needle: &[u8]) -> Option<usize> {
    let last = hay.len().checked_sub(needle.len())?;
    (0..=last).rev().find(|&i| hay[i] == needle[0] && hay[i..i + needle.len()] == *needle)
}

fn gz(data: &[u8], level: u32) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::new(level));
    e.write_all(data).expect("gzip into memory");
    e.finish().expect("gzip into memory")
}

fn zip(entries: &[(&str, &[u8])], stored: bool) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let method = if stored { zip::CompressionMethod::Stored } else { zip::CompressionMethod::Deflated };
    let opts = zip::write::SimpleFileOptions::default().compression_method(method);
    for (name, data) in entries {
        w.start_file(*name, opts).expect("zip into memory");
        w.write_all(data).expect("zip into memory");
    }
    w.finish().expect("zip into memory").into_inner()
}

/// One fuzz case, decoded: the file's name and bytes, and where it is cut into chunks.
#[derive(Debug)]
pub struct Case {
    /// The file's path as given.
    pub name: String,
    /// The file's bytes (wrapped and damaged as the controls say).
    pub bytes: Vec<u8>,
    /// Ascending cut points in `bytes` (chunk boundaries for `FileStream`).
    pub cuts: Vec<usize>,
}

/// Decodes an input into the file it stands for.
pub fn decode(input: &[u8]) -> Case {
    let (payload, c) = split(input);
    let mut name = NAMES[usize::from(c.byte(0)) % NAMES.len()].to_owned();
    let flags = c.byte(1);
    let at = if payload.is_empty() { 0 } else { c.u16(2) % (payload.len() + 1) };
    let mut bytes = match flags & 7 {
        1 => {
            name.push_str(".gz");
            gz(payload, u32::from(flags >> 6))
        }
        2 => {
            name = "fuzz.zip".to_owned();
            zip(&[("a.json", payload)], flags & 8 != 0)
        }
        3 => {
            // Two members, the second gzipped: the payload cut in two.
            name = "fuzz.zip".to_owned();
            let (a, b) = payload.split_at(at);
            zip(&[("dir/a.json", a), ("b.json.gz", &gz(b, 1))], flags & 8 != 0)
        }
        4 => {
            // A zip holding a zip (nested archives are expanded too).
            name = "fuzz.zip".to_owned();
            zip(&[("inner.zip", &zip(&[("x.json", payload)], true))], flags & 8 != 0)
        }
        _ => payload.to_vec(),
    };
    // Damage to the wrapped bytes: truncated, or one byte changed.
    if !bytes.is_empty() && flags & 7 != 0 {
        let pos = c.u16(4) % bytes.len();
        match (flags >> 4) & 3 {
            1 => bytes.truncate(pos),
            2 => bytes[pos] ^= c.byte(6) | 1,
            _ => {}
        }
    }
    // Cut points: up to 15 chosen by the controls, else two by default.
    let n = usize::from(c.byte(7) & 15);
    let mut cuts: Vec<usize> = if c.0.is_empty() {
        vec![bytes.len() / 3, bytes.len() * 2 / 3]
    } else {
        (0..n).map(|k| c.u16(8 + 2 * k) % (bytes.len() + 1)).collect()
    };
    cuts.sort_unstable();
    Case { name, bytes, cuts }
}

/// The chunks of `bytes` at `cuts` (empty chunks included: a stream may be handed one).
fn chunks<'a>(bytes: &'a [u8], cuts: &[usize]) -> Vec<&'a [u8]> {
    let mut out = Vec::with_capacity(cuts.len() + 1);
    let mut from = 0;
    for &cut in cuts {
        out.push(&bytes[from..cut]);
        from = cut;
    }
    out.push(&bytes[from..]);
    out
}

fn streamed(case: &Case, compact: bool) -> Vec<(String, ParsedFile)> {
    streamed_within(case, compact, None)
}

/// [`streamed`] with a ceiling on content held whole (`None`: the default one).
fn streamed_within(case: &Case, compact: bool, ceiling: Option<u64>) -> Vec<(String, ParsedFile)> {
    let mut stream = FileStream::new(&case.name, case.bytes.len() as u64);
    if compact {
        stream = stream.compact();
    }
    if let Some(c) = ceiling {
        stream = stream.with_ceiling(c);
    }
    let mut last = 0;
    for chunk in chunks(&case.bytes, &case.cuts) {
        stream.push(chunk);
        let so_far = stream.records_so_far();
        assert!(so_far >= last, "records_so_far went back from {last} to {so_far}");
        last = so_far;
    }
    stream.finish_with(&mut || Ok(case.bytes.clone()))
}

/// What a compact stream gives: the whole-bytes result but for the raw text it lets go.
fn compacted(files: &[(String, ParsedFile)]) -> Vec<(String, ParsedFile)> {
    let mut files = files.to_vec();
    for (_, f) in &mut files {
        for (_, e) in &mut f.events {
            if e.raw_is_droppable() {
                e.raw = String::new();
            }
        }
    }
    files
}

/// Each file one of read / skipped / rejected, with reasons and no records where not read.
fn check_files(files: &[(String, ParsedFile)]) {
    assert!(!files.is_empty(), "an input gave no file at all");
    for (name, f) in files {
        match f.status {
            // A read file's only reason is the note on bytes left after its gzip data
            // (`ingest::parse_file`), shown in the load report as a note.
            FileStatus::Read => assert!(
                f.reason.is_empty() || f.reason.contains("after the gzip data"),
                "{name}: read, yet with a reason: {}",
                f.reason
            ),
            FileStatus::Skipped | FileStatus::Rejected => {
                assert!(!f.reason.is_empty(), "{name}: {:?} without a reason", f.status);
                assert_eq!(f.n_records(), 0, "{name}: {:?}, yet holding records", f.status);
            }
        }
    }
}

/// The files added to a dataset in the given order: returns the totals, checking each file's
/// accounting on the way.
fn account(mut ds: Dataset, files: &[&(String, ParsedFile)]) -> (u64, u64, u64, usize) {
    let mut found = 0u64;
    for (name, parsed) in files {
        let n = parsed.n_records() as u64;
        let status = parsed.status;
        found += n;
        let report = ds.add_parsed(name, parsed.clone());
        assert_eq!(report.status, status, "{name}: the dataset changed the file's status");
        assert_eq!(
            report.n_loaded + report.n_duplicates + report.n_invalid,
            n,
            "{name}: loaded + duplicate + invalid is not the records found"
        );
    }
    let s = ds.stats();
    assert_eq!(
        s.files.read + s.files.skipped + s.files.rejected,
        files.len() as u64,
        "files counted other than once each: {:?}",
        s.files
    );
    let r = s.records;
    assert_eq!(r.loaded + r.duplicates + r.invalid, found, "record totals are not the records found: {r:?}");
    // Later files may move a loaded copy to a fuller duplicate: re-check every file at the end.
    let per_file: u64 = ds.files().iter().map(|f| f.n_loaded + f.n_duplicates + f.n_invalid).sum();
    assert_eq!(per_file, found, "after all files, the per-file counts are not the records found");
    assert_eq!(r.loaded, ds.len() as u64, "loaded events are not the events held");
    (r.loaded, r.duplicates, r.invalid, ds.len())
}

/// Runs one input through every check; panics with what broke.
pub fn check(input: &[u8]) {
    let case = decode(input);
    let whole = parse_input(&case.name, &case.bytes);
    check_files(&whole);

    let full = streamed(&case, false);
    assert!(full == whole, "{}: FileStream at cuts {:?} differs from parse_input", case.name, case.cuts);
    let compact = streamed(&case, true);
    let compact_as_events: Vec<(String, ParsedFile)> =
        compact.iter().map(|(n, f)| (n.clone(), f.clone().with_rows_as_events())).collect();
    assert!(
        compact_as_events == compacted(&whole),
        "{}: a compact FileStream at cuts {:?} differs from parse_input",
        case.name,
        case.cuts
    );

    // With a ceiling of half the input on content held whole: what streams (a trail document,
    // lines) reads as before; what does not is refused for its size, or read line by line, or
    // rejected as the whole reading rejects it.
    let ceiling = case.bytes.len() as u64 / 2;
    let bounded = streamed_within(&case, true, Some(ceiling));
    check_files(&bounded);
    let bounded_as_events: Vec<(String, ParsedFile)> =
        bounded.iter().map(|(n, f)| (n.clone(), f.clone().with_rows_as_events())).collect();
    if bounded_as_events != compacted(&whole) {
        let refused = |f: &ParsedFile| {
            f.reason.starts_with("too big to read whole") || f.reason.contains("byte limit for a line held whole")
        };
        // A gzip whose compressed bytes were let go says its own error, as the whole reading
        // does, maybe in other words (the decoders stop at different bytes).
        let whole_rejected = whole.iter().all(|(_, w)| w.status == FileStatus::Rejected);
        assert!(
            bounded.iter().all(|(_, f)| {
                refused(f) || f.status == FileStatus::Read || (f.status == FileStatus::Rejected && whole_rejected)
            }),
            "{}: within a ceiling of {ceiling} bytes, a file neither read as before nor refused for its size",
            case.name
        );
    }

    let seed = ("seed/trail.json".to_owned(), parse_input("seed/trail.json", SEED_TRAIL.as_bytes()).remove(0).1);
    let mut order: Vec<&(String, ParsedFile)> = std::iter::once(&seed).chain(whole.iter()).collect();
    let forward = account(Dataset::new(), &order);
    order.reverse();
    let backward = account(Dataset::new(), &order);
    assert_eq!(forward, backward, "the totals depend on the order the files are added in");
    let compact_files: Vec<(String, ParsedFile)> = std::iter::once(seed.clone()).chain(compact).collect();
    let compact_order: Vec<&(String, ParsedFile)> = compact_files.iter().collect();
    let compact_totals = account(Dataset::compact(), &compact_order);
    assert_eq!(compact_totals, forward, "a compact dataset counts other than a full one");
}
