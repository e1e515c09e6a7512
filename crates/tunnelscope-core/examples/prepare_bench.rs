//! Times each step after files are parsed, as the browser's owner worker runs them, with the
//! memory each step holds and its transient peak:
//! `cargo run --release -p tunnelscope-core --example prepare_bench -- PATH...`.
//!
//! Parse (compact stream) and add each file to a compact dataset, then build each index the
//! app prepares for its views (`Prepared::new` in the app), printing the time, the live heap,
//! the peak above it and every allocation of 1 MB or more: in wasm a big block that fits no
//! hole grows the linear memory for good. Natively, so read the ratios between steps, not the
//! browser's absolute times.

#![allow(clippy::unwrap_used, clippy::print_stdout, clippy::print_stderr)] // a tool, not library code

use std::time::Instant;

use tunnelscope_core::heap;

// Counted, so each step's transient peak above what was live before it shows.
#[global_allocator]
static ALLOC: Big = Big;

use std::alloc::{GlobalAlloc, Layout};
use std::sync::atomic::{AtomicUsize, Ordering};
static BIG: [AtomicUsize; 256] = [const { AtomicUsize::new(0) }; 256];
static NBIG: AtomicUsize = AtomicUsize::new(0);
fn note(n: usize) {
    if n >= 1 << 20 {
        let i = NBIG.fetch_add(1, Ordering::Relaxed);
        if i < 256 {
            BIG[i].store(n, Ordering::Relaxed);
        }
    }
}
fn bigs() -> String {
    let n = NBIG.swap(0, Ordering::Relaxed).min(256);
    (0..n).map(|i| format!("{:.1}", BIG[i].load(Ordering::Relaxed) as f64 / 1e6)).collect::<Vec<_>>().join(" ")
}
struct Big;
unsafe impl GlobalAlloc for Big {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        note(l.size());
        unsafe { heap::Counting.alloc(l) }
    }
    unsafe fn alloc_zeroed(&self, l: Layout) -> *mut u8 {
        note(l.size());
        unsafe { heap::Counting.alloc_zeroed(l) }
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        unsafe { heap::Counting.dealloc(p, l) }
    }
    unsafe fn realloc(&self, p: *mut u8, l: Layout, n: usize) -> *mut u8 {
        note(n);
        unsafe { heap::Counting.realloc(p, l, n) }
    }
}

use tunnelscope_core::Dataset;
use tunnelscope_core::ingest::FileStream;
use tunnelscope_core::query::QueryIndex;
use tunnelscope_core::views::{self, TunnelPairings, ViewIndex};

fn main() {
    let paths: Vec<String> = std::env::args().skip(1).collect();
    if paths.is_empty() {
        eprintln!("usage: prepare_bench PATH...");
        std::process::exit(1);
    }
    let step = |name: &str, t: Instant| {
        let before = heap::live();
        println!(
            "{name:>22}: {:7.1} ms; live {:6.1} MB, peak {:6.1} MB",
            t.elapsed().as_secs_f64() * 1e3,
            before as f64 / 1e6,
            heap::peak() as f64 / 1e6
        );
        println!("{:>22}  allocations of 1 MB or more: {}", "", bigs());
        heap::reset_peak();
    };
    let (mut parse, mut add) = (0.0, 0.0);
    let mut dataset = Dataset::compact();
    for path in &paths {
        let bytes = std::fs::read(path).unwrap();
        let t = Instant::now();
        let mut s = FileStream::new(path, bytes.len() as u64).compact();
        for chunk in bytes.chunks(8 << 20) {
            s.push(chunk);
        }
        let parsed = s.finish_with(&mut || Ok(bytes.clone()));
        parse += t.elapsed().as_secs_f64();
        let t = Instant::now();
        for (name, p) in parsed {
            dataset.add_parsed(&name, p);
        }
        add += t.elapsed().as_secs_f64();
    }
    dataset.shrink_to_fit();
    println!("parse {:.0} ms, add {:.0} ms", parse * 1e3, add * 1e3);
    heap::reset_peak();
    bigs();
    let t = Instant::now();
    step("loaded", t);
    // The CLI's `stats` without a filter, then the same counts event by event.
    let t = Instant::now();
    let stats = dataset.stats();
    step("stats (columns)", t);
    let t = Instant::now();
    assert_eq!(stats, dataset.stats_of(dataset.iter()));
    step("stats (each event)", t);
    let prepared_from = Instant::now();
    let t = Instant::now();
    let pairings = TunnelPairings::new(&dataset);
    step("pairings", t);
    let t = Instant::now();
    let tunnel_rows = dataset.tunnel_rows_with(&pairings);
    step("tunnel rows", t);
    let t = Instant::now();
    let ids: Vec<u32> = tunnel_rows.iter().map(|r| dataset.index_of(&r.event_id).unwrap_or(u32::MAX)).collect();
    step("tunnel indices", t);
    let t = Instant::now();
    let change_rows = dataset.endpoint_change_rows();
    step("change rows", t);
    let t = Instant::now();
    let view_index = ViewIndex::new(&dataset);
    step("view index", t);
    let t = Instant::now();
    let extent = view_index.time_extent_all(&dataset);
    step("extent", t);
    let t = Instant::now();
    let query_index = QueryIndex::new(&dataset);
    step("query index", t);
    let t = Instant::now();
    let coverage = views::coverage(&dataset);
    step("coverage", t);
    let t = Instant::now();
    let order = dataset.time_order();
    step("time order", t);
    // Issue 20/21: sessions and findings beside the other indexes; the ratio to the rest of the
    // preparation (pairings … time order, as `Prepared::new` runs them) is the budget's measure.
    let prepare = prepared_from.elapsed();
    let t = Instant::now();
    let (order_s, sessions) =
        tunnelscope_core::sessions::of_dataset(&dataset, tunnelscope_core::sessions::DEFAULT_GAP_MS);
    let sessions_time = t.elapsed();
    step("sessions", t);
    let t = Instant::now();
    let (index, events) = tunnelscope_core::findings::inputs(&dataset, &pairings);
    let found = tunnelscope_core::findings::find(&events, &tunnelscope_core::findings::Settings::default());
    let findings_time = t.elapsed();
    step("findings", t);
    let t = Instant::now();
    let insight = views::insight::Insight::new(
        &dataset,
        &pairings,
        tunnelscope_core::sessions::DEFAULT_GAP_MS,
        tunnelscope_core::findings::Settings::default(),
    );
    let insight_time = t.elapsed();
    step("insight (sessions + findings + their indexes)", t);
    println!(
        "{} sessions of {} tunnels, {} findings over {} rule inputs ({} indices); preparation without them {:.0} ms; \
         sessions {:.1} %, findings {:.1} %, the whole insight {:.1} % of it",
        sessions.sessions.len(),
        order_s.len(),
        found.len(),
        events.len(),
        index.len(),
        prepare.as_secs_f64() * 1e3,
        100.0 * sessions_time.as_secs_f64() / prepare.as_secs_f64(),
        100.0 * findings_time.as_secs_f64() / prepare.as_secs_f64(),
        100.0 * insight_time.as_secs_f64() / prepare.as_secs_f64(),
    );
    assert_eq!(insight.findings().len(), found.len());
    // A re-filter as the page asks for it (issue 5's 100 ms budget at a million events), with
    // the terms that read sessions and findings.
    let prep = views::page::Prepared::new(&dataset);
    let sizes = views::page::PageSizes { rows: 100, event_rows: 300, histogram_buckets: 240, summary_rows: 25 };
    let first_session = insight.session_row(&dataset, &pairings, 0).map(|r| r.session_id).unwrap_or_default();
    for q in [
        "",
        "port:22",
        "finding:any",
        "severity:high",
        "finding:off-hours -port:3389",
        &format!("session:{first_session}"),
    ] {
        let req = views::page::PageRequest { query: q.to_owned(), ..Default::default() };
        let t = Instant::now();
        let page = views::page::build_page(&dataset, &prep, &req, sizes);
        println!(
            "  page JSON {} bytes: lanes {}, sessions {}, findings {}, finding marks {}, event rows {}, tunnels {}",
            serde_json::to_string(&page).map_or(0, |s| s.len()),
            serde_json::to_string(&page.lanes).map_or(0, |s| s.len()),
            serde_json::to_string(&page.sessions).map_or(0, |s| s.len()),
            serde_json::to_string(&page.findings).map_or(0, |s| s.len()),
            serde_json::to_string(&page.finding_marks).map_or(0, |s| s.len()),
            serde_json::to_string(&page.event_rows).map_or(0, |s| s.len()),
            serde_json::to_string(&page.tunnels).map_or(0, |s| s.len()),
        );
        println!(
            "re-filter {q:?}: {:.1} ms ({} events, {} sessions, {} findings)",
            t.elapsed().as_secs_f64() * 1e3,
            page.n_events,
            page.n_sessions,
            page.n_findings
        );
    }
    // Opening the detail of a tunnel that no key push pairs (so the instance inventory is
    // needed): paired again, then with the load's pairings, as the app's worker does.
    if let Some(row) = tunnel_rows.iter().find(|r| r.pairing != tunnelscope_core::Pairing::KeyPush) {
        let t = Instant::now();
        let live = views::event_detail(&dataset, &row.event_id);
        step("detail (paired again)", t);
        let t = Instant::now();
        let with = views::event_detail_with(&dataset, &row.event_id, Some(&pairings));
        step("detail (load's pairings)", t);
        assert_eq!(live, with);
    }
    println!(
        "{} events, {} tunnels ({} ids), {} changes, extent {:?}, {} ordered, coverage {:?}, index {}",
        dataset.len(),
        tunnel_rows.len(),
        ids.len(),
        change_rows.len(),
        extent,
        order.len(),
        std::mem::size_of_val(&coverage),
        std::mem::size_of_val(&query_index)
    );
}
