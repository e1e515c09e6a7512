//! A stable-toolchain fuzzer for the ingest entry point (`Dataset::add_file`); not run by CI.
//
// Mutates the test fixtures deterministically (bit flips, interesting bytes and tokens,
// truncations, insertions, splices, gzip and zip wrapping) and calls `Dataset::add_file` and
// the derived views under `catch_unwind`, checking the accounting invariants. Case `i` of seed
// `s` is always the same input, so a crash is reproduced with `--seed s --start i --iters 1`.
//
// Run it with unwinding panics (the release profile aborts) and a target dir of its own:
// `CARGO_PROFILE_RELEASE_PANIC=unwind CARGO_TARGET_DIR=/tmp/fuzz-target cargo run --release
// -p tunnelscope-core --example fuzz_ingest -- --iters 10000000 --max-secs 3600 --out DIR`

#![allow(clippy::unwrap_used, clippy::print_stdout, clippy::print_stderr)] // a tool, not library code

use std::io::{Cursor, Write};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use tunnelscope_core::{Dataset, Fidelity};

/// SplitMix64: small, fast, and deterministic from a seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        if n == 0 { 0 } else { (self.next() % n as u64) as usize }
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
}

const TOKENS: &[&[u8]] = &[
    b"\"eventTime\":",
    b"\"eventName\":\"OpenTunnel\"",
    b"\"eventSource\":\"ec2-instance-connect.amazonaws.com\"",
    b"\"Records\":[",
    b"{\"detail-type\":\"AWS API Call via CloudTrail\",\"detail\":",
    b"\"CloudTrailEvent\":\"",
    b"\"messageType\":\"DATA_MESSAGE\",\"logEvents\":[",
    b"\"QueryResultRows\":[[{\"eventTime\":\"",
    b"\"digestStartTime\":1,\"logFiles\":[]",
    b"1e999",
    b"-1",
    b"18446744073709551616",
    b"1790841600000",
    b"\"2026-10-01 08:00:00+02:00\"",
    b"null",
    b"\\u0000",
    b"\\ud800",
    b"\"privateIpAddress\":\"fd00::1\"",
    b"\"instanceConnectEndpointId\":\"eice-0123\"",
    b"\"requestParameters\":{",
    b"{type=IAMUser, arn=",
    b"\"\"",
    b"\r\n",
    b"\n",
    b",",
    b"\"",
    b"{{{{{{{{",
    b"[[[[[[[[",
    b"PK\x03\x04",
    b"\x1f\x8b\x08\x00",
    b"\xef\xbb\xbf",
    b"\xff\xfe",
    b"User name,AWS access key,Event time,Event source,Event name,AWS region,Source IP address,User agent,Error code,Resources,Request ID,Event ID,Read-only,Event type,Recipient Account Id,Event category\n",
    b"\"eventtime\",\"eventname\",\"useridentity\"\n",
];

const NAMES: &[&str] = &[
    "fuzz.json",
    "AWSLogs/111122223333/CloudTrail-Digest/us-east-1/2026/10/01/x.json.gz",
    "AWSLogs/111122223333/CloudTrail-Lake/Query/2026/10/03/q/result_sign.json",
    "fuzz.csv",
    "fuzz.zip",
];

const MAX_LEN: usize = 4 << 20;

fn gz(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

fn zip(entries: &[(&str, &[u8])], stored: bool) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let method = if stored { zip::CompressionMethod::Stored } else { zip::CompressionMethod::Deflated };
    let opts = zip::write::SimpleFileOptions::default().compression_method(method);
    for (name, data) in entries {
        w.start_file(*name, opts).unwrap();
        w.write_all(data).unwrap();
    }
    w.finish().unwrap().into_inner()
}

fn mutate_once(rng: &mut Rng, data: &mut Vec<u8>, seeds: &[Vec<u8>]) {
    let len = data.len();
    match rng.below(12) {
        0 if len > 0 => {
            let i = rng.below(len);
            data[i] ^= 1 << rng.below(8);
        }
        1 if len > 0 => {
            let i = rng.below(len);
            data[i] = *b"\x00\xff\"{}[],:\n\r\\0\x1f\x8bPK9-.e".get(rng.below(22)).unwrap_or(&0);
        }
        2 => data.truncate(rng.below(len + 1)),
        3 => {
            let t = TOKENS[rng.below(TOKENS.len())];
            let at = rng.below(len + 1);
            data.splice(at..at, t.iter().copied());
        }
        4 if len > 0 => {
            let a = rng.below(len);
            let b = (a + 1 + rng.below(64)).min(len);
            data.drain(a..b);
        }
        5 if len > 0 => {
            // Duplicate a chunk (grows records and lists).
            let a = rng.below(len);
            let b = (a + 1 + rng.below(256)).min(len);
            let chunk = data[a..b].to_vec();
            let at = rng.below(len + 1);
            data.splice(at..at, chunk);
        }
        6 => {
            // Splice: our prefix with another seed's suffix.
            let other = &seeds[rng.below(seeds.len())];
            let cut = rng.below(len + 1);
            let from = rng.below(other.len() + 1);
            data.truncate(cut);
            data.extend_from_slice(&other[from..]);
        }
        7 => {
            let n = 1 + rng.below(8);
            let at = rng.below(len + 1);
            let bytes: Vec<u8> = (0..n).map(|_| rng.next() as u8).collect();
            data.splice(at..at, bytes);
        }
        8 if len > 0 => {
            // Replace a digit run with an absurd number.
            let i = rng.below(len);
            if data[i].is_ascii_digit() {
                let n = ["99999999999999999999999999", "-0", "1e-400", "0.0000001", "4294967296"][rng.below(5)];
                data.splice(i..i + 1, n.bytes());
            }
        }
        9 if len > 2 => {
            // Swap two bytes far apart (quotes, brackets, separators move).
            let (a, b) = (rng.below(len), rng.below(len));
            data.swap(a, b);
        }
        10 => {
            let t = TOKENS[rng.below(TOKENS.len())];
            data.extend_from_slice(t);
        }
        _ => {
            if len > 0 {
                let i = rng.below(len);
                data.insert(i, b"\n\r\t ,\"{"[rng.below(7)]);
            }
        }
    }
}

/// Builds case `iter` of `seed`: a name and the bytes.
fn case(seed: u64, iter: u64, seeds: &[Vec<u8>]) -> (&'static str, Vec<u8>) {
    let mut rng = Rng(seed ^ iter.wrapping_mul(0xD134_2543_DE82_EF95));
    let mut data = seeds[rng.below(seeds.len())].clone();
    let rounds = 1 + rng.below(6);
    for _ in 0..rounds {
        mutate_once(&mut rng, &mut data, seeds);
    }
    data.truncate(MAX_LEN);
    match rng.below(20) {
        0..=2 => {
            data = gz(&data);
            if rng.chance(50) {
                mutate_once(&mut rng, &mut data, seeds);
            }
        }
        3 | 4 => {
            let other = seeds[rng.below(seeds.len())].clone();
            data = zip(&[("a.json", &data), ("dir/b.json.gz", &gz(&other))], rng.chance(50));
            if rng.chance(60) {
                for _ in 0..1 + rng.below(3) {
                    mutate_once(&mut rng, &mut data, seeds);
                }
            }
        }
        _ => {}
    }
    (NAMES[rng.below(NAMES.len())], data)
}

/// Runs one case; `Err` describes a panic or a broken invariant.
fn run(name: &str, data: &[u8]) -> Result<(), String> {
    let outcome = catch_unwind(AssertUnwindSafe(|| {
        let mut ds = Dataset::new();
        ds.add_file("seed/trail.json", SEED_TRAIL.as_bytes());
        let n = ds.add_file_reports(name, data).len();
        let s = ds.stats();
        let files = ds.files().len() as u64;
        if s.files.read + s.files.skipped + s.files.rejected != files || n == 0 {
            return Err(format!("INVARIANT file accounting broken: {s:?}"));
        }
        let found: u64 = ds.files().iter().map(|f| f.n_loaded + f.n_duplicates + f.n_invalid).sum();
        if s.records.loaded + s.records.duplicates + s.records.invalid != found
            || s.records.loaded != ds.events().len() as u64
        {
            return Err(format!("INVARIANT record accounting broken: {s:?}"));
        }
        let rows = ds.tunnel_rows();
        let _ = ds.endpoint_change_rows();
        // The same files in the other order give the same counts and rows.
        let mut rev = Dataset::new();
        rev.add_file_reports(name, data);
        rev.add_file("seed/trail.json", SEED_TRAIL.as_bytes());
        if rev.stats().records != s.records || rev.stats().tunnels != s.tunnels || rev.tunnel_rows() != rows {
            return Err(format!("INVARIANT order changes the counts: {:?} vs {:?}", rev.stats().records, s.records));
        }
        for e in ds.events().iter().filter(|e| e.fidelity != Fidelity::Full) {
            // Records synthesized from rows must reload from an export of raw records.
            let mut again = Dataset::new();
            again.add_file("raw.json", format!("{{\"Records\":[{}]}}", e.raw).as_bytes());
            if again.stats().records.loaded != 1 {
                return Err(format!("INVARIANT raw record of {} does not reload: {:?}", e.event_id, again.files()));
            }
        }
        Ok(())
    }));
    match outcome {
        Ok(r) => r,
        Err(p) => Err(format!(
            "panic: {}",
            p.downcast_ref::<String>()
                .cloned()
                .or_else(|| p.downcast_ref::<&str>().map(|s| (*s).to_owned()))
                .unwrap_or_default()
        )),
    }
}

const SEED_TRAIL: &str = r#"{"Records":[{"eventTime":"2026-10-01T08:10:00Z","eventName":"SendSSHPublicKey","eventSource":"ec2-instance-connect.amazonaws.com","eventID":"seed-1","awsRegion":"us-east-1","recipientAccountId":"111122223333","sourceIPAddress":"198.51.100.7","userIdentity":{"arn":"arn:aws:iam::111122223333:user/alice"},"requestParameters":{"instanceId":"i-0aaaa1111bbbb2222","instanceOSUser":"ec2-user"}},{"eventTime":"2026-10-01T08:00:00Z","eventName":"RunInstances","eventSource":"ec2.amazonaws.com","eventID":"seed-2","awsRegion":"us-east-1","recipientAccountId":"111122223333","responseElements":{"instancesSet":{"items":[{"instanceId":"i-0aaaa1111bbbb2222","privateIpAddress":"10.0.1.20"}]}}}]}"#;

fn arg(args: &[String], key: &str, default: u64) -> u64 {
    args.iter().position(|a| a == key).and_then(|i| args.get(i + 1)).and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let seed = arg(&args, "--seed", 1);
    let iters = arg(&args, "--iters", 1_000_000);
    let start = arg(&args, "--start", 0);
    let max_secs = arg(&args, "--max-secs", 3600);
    let out: PathBuf = args
        .iter()
        .position(|a| a == "--out")
        .and_then(|i| args.get(i + 1))
        .map_or_else(|| "fuzz-crashes".into(), PathBuf::from);
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let mut seeds: Vec<Vec<u8>> = Vec::new();
    let mut names: Vec<PathBuf> = std::fs::read_dir(&fixtures).unwrap().map(|e| e.unwrap().path()).collect();
    names.sort();
    for p in names.iter().filter(|p| p.is_file()) {
        let bytes = std::fs::read(p).unwrap();
        if bytes.len() < 64 << 10 {
            seeds.push(bytes);
        }
    }
    seeds.push(SEED_TRAIL.as_bytes().to_vec());
    seeds.push(gz(SEED_TRAIL.as_bytes()));
    seeds.push(zip(&[("x.json", SEED_TRAIL.as_bytes())], false));
    eprintln!("fuzz_ingest: seed {seed}, {} seed inputs, cases {start}..{}", seeds.len(), start + iters);
    std::panic::set_hook(Box::new(|_| {}));
    std::fs::create_dir_all(&out).unwrap();
    let began = Instant::now();
    let (mut execs, mut crashes, mut slow) = (0u64, 0u64, 0u64);
    let mut last_report = Instant::now();
    for iter in start..start + iters {
        let (name, data) = case(seed, iter, &seeds);
        let t0 = Instant::now();
        let result = run(name, &data);
        let took = t0.elapsed();
        execs += 1;
        if let Err(why) = result {
            crashes += 1;
            let file = out.join(format!("crash-s{seed}-i{iter}.bin"));
            std::fs::write(&file, &data).unwrap();
            println!("CRASH case {iter} ({name}, {} bytes): {why} -> {}", data.len(), file.display());
        } else if took > Duration::from_secs(2) {
            slow += 1;
            let file = out.join(format!("slow-s{seed}-i{iter}.bin"));
            std::fs::write(&file, &data).unwrap();
            println!("SLOW case {iter} ({name}, {} bytes): {took:?} -> {}", data.len(), file.display());
        }
        if last_report.elapsed() > Duration::from_secs(30) {
            last_report = Instant::now();
            let secs = began.elapsed().as_secs_f64();
            println!(
                "progress: {execs} execs (next case {}), {:.0} exec/s, {crashes} crashes, {slow} slow, {secs:.0} s",
                iter + 1,
                execs as f64 / secs
            );
        }
        if began.elapsed().as_secs() >= max_secs {
            break;
        }
    }
    let secs = began.elapsed().as_secs_f64();
    println!(
        "done: {execs} execs in {secs:.0} s, {:.0} exec/s, {crashes} crashes, {slow} slow (seed {seed}, cases {start}..{})",
        execs as f64 / secs,
        start + execs
    );
}
