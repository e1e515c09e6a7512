//! Times native ingest of one file: `cargo run --release -p tunnelscope-core --example ingest_bench -- PATH [RUNS [compact]]`.
//!
//! Reads the file once (I/O is not timed), then times `parse_input` and `FileStream` (8 MiB
//! chunks) and a compact `FileStream` (as the browser worker feeds it), and prints MB/s of the file's content (decompressed
//! size for `.gz`). Run it under `taskset -c 0` for the single-core figure.

#![allow(clippy::unwrap_used, clippy::print_stdout, clippy::print_stderr)] // a tool, not library code

use std::time::Instant;

use tunnelscope_core::ingest::{FileStream, parse_input};

fn main() {
    let mut args = std::env::args().skip(1);
    let Some(path) = args.next() else {
        eprintln!("usage: ingest_bench PATH [RUNS [compact]]");
        std::process::exit(1);
    };
    let runs: usize = args.next().and_then(|r| r.parse().ok()).unwrap_or(3).max(1);
    // `compact` as the third argument times only the compact stream (for a profiler).
    let only_compact = args.next().as_deref() == Some("compact");
    // The chunk size in KiB as the fourth argument (the browser's file streams give ~64 KiB).
    let chunk: usize = args.next().and_then(|c| c.parse::<usize>().ok()).map_or(8 << 20, |k| k.max(1) << 10);
    let bytes = std::fs::read(&path).unwrap();
    let content_len = if bytes.starts_with(&[0x1f, 0x8b]) {
        use std::io::Read;
        let mut out = Vec::new();
        flate2::read::MultiGzDecoder::new(&bytes[..]).read_to_end(&mut out).unwrap();
        out.len()
    } else {
        bytes.len()
    };
    let mb = content_len as f64 / 1e6;
    let median = |mut v: Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let mut whole = Vec::new();
    let mut records = 0;
    for _ in 0..if only_compact { 1 } else { runs } {
        let t = Instant::now();
        let parsed = parse_input(&path, &bytes);
        whole.push(t.elapsed().as_secs_f64());
        records = parsed.iter().map(|(_, p)| p.n_records()).sum::<usize>();
        drop(parsed);
    }
    let mut streamed = Vec::new();
    for _ in 0..if only_compact { 0 } else { runs } {
        let t = Instant::now();
        let mut s = FileStream::new(&path, bytes.len() as u64);
        for chunk in bytes.chunks(8 << 20) {
            s.push(chunk);
        }
        let parsed = s.finish();
        streamed.push(t.elapsed().as_secs_f64());
        assert_eq!(records, parsed.iter().map(|(_, p)| p.n_records()).sum::<usize>());
    }
    // The browser's way: a compact stream (unrelated records become rows, their text let go).
    let mut compact = Vec::new();
    for _ in 0..runs {
        let t = Instant::now();
        let mut s = FileStream::new(&path, bytes.len() as u64).compact();
        for chunk in bytes.chunks(chunk) {
            s.push(chunk);
        }
        let parsed = s.finish_with(&mut || Ok(bytes.clone()));
        compact.push(t.elapsed().as_secs_f64());
        assert_eq!(records, parsed.iter().map(|(_, p)| p.n_records()).sum::<usize>());
    }
    if only_compact {
        let c = median(compact);
        println!("{path}: {mb:.1} MB content, {records} records; compact {c:.3} s = {:.0} MB/s", mb / c);
        return;
    }
    let (w, s, c) = (median(whole), median(streamed), median(compact));
    println!(
        "{path}: {mb:.1} MB content, {records} records; parse_input {w:.3} s = {:.0} MB/s; FileStream(8 MiB) {s:.3} s = {:.0} MB/s; compact {c:.3} s = {:.0} MB/s",
        mb / w,
        mb / s,
        mb / c
    );
}
