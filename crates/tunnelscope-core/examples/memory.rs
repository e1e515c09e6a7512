//! Loads files (or folders) into a compact dataset and reports, natively: heap bytes held per
//! event and the peak during the load (a counting allocator), load MB/s, the per-load
//! preparation and re-filter times over the compact columns.
//!
//! `cargo run --release -p tunnelscope-core --example memory -- PATH...`
//! (data: `cargo xtask bench --gen-only`). Native pointers are 8 bytes, wasm32's 4: the
//! browser's numbers are smaller for the same data.

use std::path::{Path, PathBuf};
use std::time::Instant;

use tunnelscope_core::ingest::FileStream;
use tunnelscope_core::query::{Query, QueryIndex};
use tunnelscope_core::views::{self, TunnelPairings, ViewIndex};
use tunnelscope_core::{Dataset, heap};

#[global_allocator]
static A: heap::Counting = heap::Counting;

fn files_under(p: &Path, out: &mut Vec<PathBuf>) {
    if p.is_dir() {
        let mut entries: Vec<PathBuf> =
            std::fs::read_dir(p).into_iter().flatten().flatten().map(|e| e.path()).collect();
        entries.sort();
        for e in entries {
            files_under(&e, out);
        }
    } else {
        out.push(p.to_owned());
    }
}

fn ms(t: Instant) -> f64 {
    t.elapsed().as_secs_f64() * 1000.0
}

fn main() {
    let mut files = Vec::new();
    for a in std::env::args().skip(1) {
        files_under(Path::new(&a), &mut files);
    }
    if files.is_empty() {
        eprintln!("usage: memory PATH...");
        std::process::exit(1);
    }
    let base = heap::live();
    heap::reset_peak();
    let mut ds = Dataset::compact();
    let (mut bytes, mut read_ms, mut parse_ms, mut add_ms) = (0u64, 0.0, 0.0, 0.0);
    let t = Instant::now();
    for f in &files {
        let r = Instant::now();
        let Ok(data) = std::fs::read(f) else { continue };
        read_ms += ms(r);
        let r = Instant::now();
        bytes += data.len() as u64;
        let name = f.to_string_lossy();
        // Fed in 8 MiB chunks, as the browser's worker does.
        let mut stream = FileStream::new(&name, data.len() as u64).compact();
        for chunk in data.chunks(8 << 20) {
            stream.push(chunk);
        }
        let parsed = stream.finish_with(&mut || {
            eprintln!("{name}: read again whole (the streaming path could not finish it)");
            Ok(data.clone())
        });
        parse_ms += ms(r);
        let a = Instant::now();
        for (n, parsed) in parsed {
            ds.add_parsed(&n, parsed);
        }
        add_ms += ms(a);
    }
    let load_ms = ms(t) - read_ms;
    let held = heap::live() - base;
    let peak = heap::peak() - base;
    let n = ds.len().max(1);
    let n_eice = ds.eice_events().count();
    let eice_raw: usize = ds.eice_events().map(|(_, e)| e.raw.len()).sum();
    println!("{} files, {:.0} MB, {} events ({} EICE-related)", files.len(), bytes as f64 / 1e6, ds.len(), n_eice);
    println!("load (parse + insert, file reads excluded): {load_ms:.0} ms, {:.0} MB/s", bytes as f64 / 1e3 / load_ms);
    println!("  of which FileStream push + finish {parse_ms:.0} ms, Dataset::add_parsed {add_ms:.0} ms");
    println!(
        "heap held after the load: {:.1} MB = {:.0} B/event; beyond the EICE events' raw JSON {:.0} B/event",
        held as f64 / 1e6,
        held as f64 / n as f64,
        (held - eice_raw.min(held)) as f64 / n as f64
    );
    println!(
        "heap peak during the load: {:.1} MB = {:.0} B/event (includes one file's bytes in memory)",
        peak as f64 / 1e6,
        peak as f64 / n as f64
    );
    let (parts, distinct) = ds.store_breakdown();
    let store: usize = parts.iter().take(3).map(|(_, b)| b).sum::<usize>() + ds.len() * 4;
    println!("store (columns incl. origins, IDs, distinct strings): {:.0} B/event", store as f64 / n as f64);
    for (name, b) in parts {
        println!("  {name}: {:.1} MB = {:.0} B/event", b as f64 / 1e6, b as f64 / n as f64);
    }
    println!("  distinct values per column: {distinct:?}");

    let t = Instant::now();
    let qi = QueryIndex::new(&ds);
    let q_ms = ms(t);
    let t = Instant::now();
    let vi = ViewIndex::new(&ds);
    let v_ms = ms(t);
    let t = Instant::now();
    let pairings = TunnelPairings::new(&ds);
    let p_ms = ms(t);
    let t = Instant::now();
    let order = ds.time_order();
    let o_ms = ms(t);
    let t = Instant::now();
    let cov = views::coverage(&ds);
    let c_ms = ms(t);
    println!(
        "prepare: QueryIndex {q_ms:.0} ms, ViewIndex {v_ms:.0} ms, pairings {p_ms:.0} ms, time order {o_ms:.0} ms, coverage {c_ms:.0} ms ({} days)",
        cov.days.len()
    );
    let after_prep = heap::live() - base;
    println!("heap with the per-load indexes: {:.0} B/event", after_prep as f64 / n as f64);
    for text in ["", "event:OpenTunnel", "outcome:failed", "user:alice", "region:eu-west-1", "ssh"] {
        let q = Query::parse(text).unwrap_or_default();
        let t = Instant::now();
        let idx = qi.matching_indices(&ds, &q, None);
        let m_ms = ms(t);
        let t = Instant::now();
        let c = vi.counters(&ds, &idx);
        let lives = vi.endpoint_lives(&ds, &idx);
        let h = vi.histogram(
            &ds,
            &idx,
            (order.first().map_or(0, |&i| ds.get(i).map_or(0, |e| e.time_ms)), i64::MAX / 2),
            240,
        );
        let lanes = vi.lanes(&ds, &idx, views::Grouping::Endpoint, Some(&pairings));
        let mut mask = vec![false; ds.len()];
        for &i in &idx {
            mask[i as usize] = true;
        }
        let shown = order.iter().filter(|&&i| mask[i as usize]).count();
        println!(
            "{text:>18}: match {m_ms:.1} ms, counters+lives+histogram+lanes+table {:.1} ms ({} events, {} tunnels, {} endpoints, {} lanes, {} buckets, {shown} rows)",
            ms(t),
            c.events,
            c.tunnels,
            lives.len(),
            lanes.len(),
            h.counts.len()
        );
    }
}
