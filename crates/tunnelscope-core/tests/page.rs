//! A load's prepared page and its exports (moved with the code from the web app's view module).

#![allow(clippy::unwrap_used)]

use tunnelscope_core::Dataset;
use tunnelscope_core::RawSpan;
use tunnelscope_core::dataset::TunnelRow;
use tunnelscope_core::export::{self, ExportBuilder, ExportKind, build_export};
use tunnelscope_core::ingest::SpanTexts;
use tunnelscope_core::query::TimeWindow;
use tunnelscope_core::sample::{SAMPLE_FILE_NAME, sample_trail_json};
use tunnelscope_core::views::SortOrder;
use tunnelscope_core::views::page::{Page, PageRequest, PageSizes, Prepared, build_page};
use tunnelscope_core::views::raw::{NoFiles, RawSource};

/// The page's sizes in the web app.
const WINDOW_ROWS: usize = 100;
const SIZES: PageSizes = PageSizes { rows: WINDOW_ROWS, event_rows: 300, histogram_buckets: 240, summary_rows: 25 };

fn build_view(ds: &Dataset, prep: &Prepared, req: &PageRequest) -> Page {
    build_page(ds, prep, req, SIZES)
}

fn sample() -> Dataset {
    let mut ds = Dataset::new();
    ds.add_file(SAMPLE_FILE_NAME, &sample_trail_json());
    ds
}

fn req(query: &str) -> PageRequest {
    PageRequest { query: query.into(), ..PageRequest::default() }
}

#[test]
fn data_without_eice_activity_says_so() {
    let mut ds = Dataset::new();
    let trail = br#"{"Records":[{"eventVersion":"1.08","eventTime":"2026-10-01T08:00:00Z","eventSource":"s3.amazonaws.com","eventName":"GetObject","awsRegion":"us-east-1","eventID":"00000000-0000-4000-8000-000000000001"}]}"#;
    ds.add_file("s3.json", trail);
    let v = build_view(&ds, &Prepared::new(&ds), &req(""));
    assert_eq!((v.n_events_total, v.n_eice_total), (1, 0));
}

#[test]
fn unfiltered_view_counts_everything() {
    let ds = sample();
    let v = build_view(&ds, &Prepared::new(&ds), &req(""));
    assert_eq!(v.n_events, v.n_events_total);
    assert_eq!(v.stats.tunnels.total, 45);
    let c = v.stats.endpoint_changes;
    assert_eq!(v.n_eice_total, 45 + c.create + c.modify + c.delete + c.describe);
    // A filter changes what is shown, never the whole data's EICE activity.
    assert_eq!(build_view(&ds, &Prepared::new(&ds), &req("port:3389")).n_eice_total, v.n_eice_total);
    assert_eq!(v.n_tunnel_rows, 45);
    assert_eq!(v.tunnels.len(), WINDOW_ROWS.min(45));
    let page = build_view(&ds, &Prepared::new(&ds), &PageRequest { offset: 44, ..req("") });
    assert_eq!(page.tunnels.len(), 1);
    assert_eq!(v.lanes.iter().map(|l| l.marks.len()).sum::<usize>(), 45);
    assert_eq!(v.endpoints.len(), 3);
    assert_eq!(v.histogram.counts.iter().map(|&c| u64::from(c)).sum::<u64>(), v.n_events);
    assert_eq!(v.n_event_rows as u64, v.n_events);
    assert!(v.extent.is_some());
}

#[test]
fn query_and_window_narrow_rows_and_counters_but_not_the_overview() {
    let ds = sample();
    let prep = Prepared::new(&ds);
    let v = build_view(&ds, &prep, &req("outcome:failed"));
    assert_eq!(v.query_error, None);
    assert_eq!(v.stats.tunnels.total, 5);
    assert!(v.tunnels.iter().all(|t| t.outcome == "failed"));
    let (start, _) = v.extent.unwrap();
    let windowed = PageRequest { window: Some(TimeWindow { start_ms: start, end_ms: start + 1 }), ..req("") };
    let w = build_view(&ds, &prep, &windowed);
    assert!(w.n_events < v.n_events_total);
    assert_eq!(w.histogram.counts.iter().map(|&c| u64::from(c)).sum::<u64>(), w.n_events_total);
}

#[test]
fn counters_agree_with_the_dataset_and_the_table_is_in_time_order() {
    let ds = sample();
    let prep = Prepared::new(&ds);
    for q in
        ["", "user:alice", "outcome:failed", "port:3389", "event:DescribeInstanceConnectEndpoints", "region:eu-west-1"]
    {
        let v = build_view(&ds, &prep, &req(q));
        let (matching, _) = prep.matching(&ds, q, None);
        let want = ds.stats_of(matching.iter().filter_map(|&i| ds.get(i)));
        assert_eq!(v.stats, want, "query {q:?}");
        assert!(v.event_rows.windows(2).all(|w| (w[0].time_ms, &w[0].event_id) <= (w[1].time_ms, &w[1].event_id)));
    }
    let desc = build_view(&ds, &prep, &PageRequest { order: SortOrder::TimeDesc, eice_only: true, ..req("") });
    assert!(desc.event_rows.windows(2).all(|w| w[0].time_ms >= w[1].time_ms));
    assert!(desc.event_rows.iter().all(|r| r.is_eice));
}

#[test]
fn a_bad_query_is_reported_not_ignored() {
    let ds = sample();
    let v = build_view(&ds, &Prepared::new(&ds), &req("port:notanumber"));
    assert!(v.query_error.is_some());
    assert_eq!(v.n_tunnel_rows, 45);
}

#[test]
fn exports_follow_the_filter() {
    let ds = sample();
    let prep = Prepared::new(&ds);
    let (name, _, csv) = build_export(&ds, &prep, ExportKind::TunnelsCsv, "outcome:failed", None, &mut NoFiles);
    assert_eq!(name, "tunnels.csv");
    assert_eq!(csv.lines().count(), 6, "header + 5 failed tunnels");
    let (_, _, records) = build_export(&ds, &prep, ExportKind::Records, "event:OpenTunnel", None, &mut NoFiles);
    let mut reloaded = Dataset::new();
    reloaded.add_file("records.json", records.as_bytes());
    assert_eq!(reloaded.stats().tunnels.total, 45);
    assert_eq!(reloaded.events().len(), 45);
}

/// The files of a compact dataset, read again from their bytes in one pass each.
struct Bytes(Vec<(String, Vec<u8>)>, usize);

impl RawSource for Bytes {
    fn read(&mut self, name: &str, spans: &[RawSpan]) -> SpanTexts {
        self.1 += 1;
        let bytes = &self.0.iter().find(|(n, _)| n == name).unwrap().1;
        let mut r = tunnelscope_core::ingest::SpanReader::new(bytes, None, spans, bytes.len() as u64);
        for piece in bytes.chunks(1000) {
            r.push((piece.as_ptr() as usize - bytes.as_ptr() as usize) as u64, piece);
        }
        r.finish()
    }
}

/// Each export's document as it was written in one go (before exports went a step at a time).
fn whole_document(ds: &Dataset, prep: &Prepared, kind: ExportKind, q: &str) -> String {
    let (matching, _) = prep.matching(ds, q, None);
    let ordered: Vec<u32> = prep.time_order().iter().copied().filter(|i| matching.contains(i)).collect();
    let picked = || ordered.iter().filter_map(|&i| ds.get(i));
    let (rows, idx) = prep.tunnel_rows();
    let tunnels: Vec<TunnelRow> =
        rows.iter().zip(idx).filter(|(_, i)| matching.contains(i)).map(|(r, _)| r.clone()).collect();
    match kind {
        ExportKind::TunnelsCsv => export::tunnels_csv(&tunnels),
        ExportKind::TunnelsJson => export::tunnels_json(&tunnels),
        ExportKind::EventsCsv => export::events_csv(picked()),
        ExportKind::EventsJson => export::events_json(picked()),
        ExportKind::Records => String::from_utf8(export::records_json(picked())).unwrap(),
        ExportKind::SessionsCsv | ExportKind::SessionsJson => {
            let insight = prep.insight();
            let rows: Vec<_> = insight
                .sessions_in(|i| matching.contains(&i))
                .into_iter()
                .filter_map(|s| insight.session_row(ds, prep.pairings(), s))
                .collect();
            if kind == ExportKind::SessionsCsv { export::sessions_csv(&rows) } else { export::sessions_json(&rows) }
        }
        ExportKind::FindingsCsv | ExportKind::FindingsJson => {
            let insight = prep.insight();
            let rows: Vec<_> = insight
                .findings_in(|i| matching.contains(&i))
                .into_iter()
                .map(|k| insight.findings()[k].clone())
                .collect();
            if kind == ExportKind::FindingsCsv { export::findings_csv(&rows) } else { export::findings_json(&rows) }
        }
    }
}

const KINDS: [ExportKind; 9] = [
    ExportKind::TunnelsCsv,
    ExportKind::TunnelsJson,
    ExportKind::EventsCsv,
    ExportKind::EventsJson,
    ExportKind::Records,
    ExportKind::SessionsCsv,
    ExportKind::SessionsJson,
    ExportKind::FindingsCsv,
    ExportKind::FindingsJson,
];

#[test]
fn exports_written_a_few_rows_at_a_time_are_the_documents_written_in_one_go() {
    let ds = sample();
    let prep = Prepared::new(&ds);
    for q in ["", "outcome:failed", "user:alice", "event:nothing-matches"] {
        for kind in KINDS {
            let want = whole_document(&ds, &prep, kind, q);
            for step in [1, 3, 1000] {
                let mut export = ExportBuilder::new(&ds, &prep, kind, q, None);
                assert!(export.take_files().is_empty(), "a full dataset keeps every record");
                let mut steps = 0;
                while !export.write(&ds, &prep, step) {
                    steps += 1;
                    assert!(export.done() <= export.total());
                }
                assert_eq!(steps, export.total().div_ceil(step).saturating_sub(1), "{kind:?} {q:?}");
                assert_eq!(export.done(), export.total());
                let (_, _, body) = export.finish();
                assert_eq!(body, want, "{kind:?} {q:?} in steps of {step}");
            }
        }
    }
}

#[test]
fn a_compact_datasets_records_export_reads_each_file_once_and_equals_the_full_one() {
    let files = vec![("a/sample.json".to_owned(), sample_trail_json())];
    let (mut full, mut compact) = (Dataset::new(), Dataset::compact());
    full.add_file(&files[0].0, &files[0].1);
    compact.add_file(&files[0].0, &files[0].1);
    let (pf, pc) = (Prepared::new(&full), Prepared::new(&compact));
    for q in ["", "outcome:failed", "-event:OpenTunnel"] {
        let want = whole_document(&full, &pf, ExportKind::Records, q);
        let mut export = ExportBuilder::new(&compact, &pc, ExportKind::Records, q, None);
        let kept = export.done();
        let to_read = export.take_files();
        let n_read: usize = to_read.iter().map(|f| f.slots.len()).sum();
        assert_eq!(kept + n_read, export.total(), "{q:?}");
        // Failed tunnels are EICE events, kept whole; the sample's other events are read again.
        assert_eq!(to_read.len(), usize::from(q != "outcome:failed"), "{q:?}: each file once");
        assert_eq!(n_read > 20, q != "outcome:failed", "{q:?}: {n_read} to read");
        let mut source = Bytes(files.clone(), 0);
        for (k, file) in to_read.iter().enumerate() {
            let texts = source.read(&file.name, &file.spans);
            export.put_raws(k, texts);
        }
        assert_eq!(export.done(), export.total());
        while !export.write(&compact, &pc, 7) {}
        assert_eq!(export.finish().2, want, "{q:?}");
        let (_, _, at_once) = build_export(&compact, &pc, ExportKind::Records, q, None, &mut source);
        assert_eq!(at_once, want);
    }
    // Unreadable records (the files are gone) still export, as synthetic records.
    let (_, _, body) = build_export(&compact, &pc, ExportKind::Records, "", None, &mut NoFiles);
    let mut reloaded = Dataset::new();
    reloaded.add_file("records.json", body.as_bytes());
    assert_eq!(reloaded.len(), full.len());
}
