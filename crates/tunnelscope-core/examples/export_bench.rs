//! Times, natively, the core's part of the page's raw-records export against its load:
//! `cargo run --release -p tunnelscope-core --example export_bench -- PATH [RUNS]`.
//!
//! Loads the file as the page's owner worker does (a compact `FileStream` in 256 KiB chunks
//! into a compact dataset: unrelated events keep only a span), then exports every event's raw
//! record: the dropped ones read again from the file's bytes in one pass ([`SpanReader`] over
//! its ranges, in 256 KiB pieces as the worker's stream gives them), the document written by
//! `records_json_with`. Prints both times, the browser reads each way would take (before: one
//! `File.slice` read per record of a plain file; after: one read per run of records), and for
//! a gzip file the former reading (the whole file gunzipped by `read_spans`).

#![allow(clippy::unwrap_used, clippy::print_stdout, clippy::print_stderr)] // a tool, not library code

use std::time::Instant;

use tunnelscope_core::Dataset;
use tunnelscope_core::export::records_json_with;
use tunnelscope_core::ingest::{FileStream, SpanReader, read_spans};

/// The page's piece size and the gap it reads through between runs of records (raw_source.rs).
const PIECE: usize = 256 << 10;
const RUN_GAP: u64 = 512 << 10;

fn main() {
    let mut args = std::env::args().skip(1);
    let Some(path) = args.next() else {
        eprintln!("usage: export_bench PATH [RUNS]");
        std::process::exit(1);
    };
    let runs: usize = args.next().and_then(|r| r.parse().ok()).unwrap_or(5).max(1);
    let bytes = std::fs::read(&path).unwrap();
    let size = bytes.len() as u64;
    let median = |mut v: Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2] * 1000.0
    };

    let mut load = Vec::new();
    let mut ds = Dataset::compact();
    for _ in 0..runs {
        let t = Instant::now();
        let mut stream = FileStream::new(&path, size).compact();
        for chunk in bytes.chunks(PIECE) {
            stream.push(chunk);
        }
        ds = Dataset::compact();
        for (name, parsed) in stream.finish_with(&mut || Ok(bytes.clone())) {
            ds.add_parsed(&name, parsed);
        }
        load.push(t.elapsed().as_secs_f64());
    }
    let indices: Vec<u32> = (0..ds.len() as u32).collect();
    let (slots, spans): (Vec<usize>, Vec<_>) = indices
        .iter()
        .enumerate()
        .filter_map(|(k, &i)| ds.get(i).filter(|e| e.raw.is_empty()).and_then(|e| e.span).map(|s| (k, s)))
        .unzip();

    let mut export = Vec::new();
    let mut body_len = 0;
    let mut reads = 0;
    for _ in 0..runs {
        let t = Instant::now();
        let mut reader = SpanReader::new(&bytes[..bytes.len().min(4)], None, &spans, size);
        let ranges = reader.ranges(RUN_GAP, size);
        reads = ranges.len();
        for (start, end) in ranges {
            let mut at = start;
            while at < end.min(size) && !reader.is_done() {
                let to = (at + PIECE as u64).min(end).min(size);
                reader.push(at, &bytes[at as usize..to as usize]);
                at = to;
            }
        }
        // As the page's ExportBuilder: kept records from the dataset, the others from the texts.
        let texts = reader.finish();
        let mut raws: Vec<&str> = indices.iter().map(|&i| ds.get(i).map_or("", |e| e.raw)).collect();
        for (n, &k) in slots.iter().enumerate() {
            raws[k] = texts.get(n).unwrap_or_default();
        }
        let body = records_json_with(indices.iter().filter_map(|&i| ds.get(i)).zip(raws));
        body_len = body.len();
        export.push(t.elapsed().as_secs_f64());
    }
    let gzip = bytes.starts_with(&[0x1f, 0x8b]);
    let before = if gzip {
        let mut whole = Vec::new();
        for _ in 0..runs {
            let t = Instant::now();
            let texts = read_spans(&bytes, None, &spans).unwrap();
            assert_eq!(texts.len(), spans.len());
            whole.push(t.elapsed().as_secs_f64());
        }
        format!("; before, the whole file gunzipped by read_spans: {:.1} ms", median(whole))
    } else {
        String::new()
    };
    println!(
        "{path}: {} events, {} read again; load {:.1} ms, export {:.1} ms ({body_len} bytes); browser reads: before {}, after {reads}{before}",
        ds.len(),
        spans.len(),
        median(load),
        median(export),
        if gzip { 1 } else { spans.len() },
    );
}
