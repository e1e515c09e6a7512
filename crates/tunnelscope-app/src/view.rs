//! Building views, details and exports from a dataset shard (pure; unit-tested natively).

use std::collections::BTreeMap;

use tunnelscope_core::dataset::Stats;
use tunnelscope_core::dataset::{EndpointChangeRow, TunnelRow};
use tunnelscope_core::ingest::SpanTexts;
use tunnelscope_core::query::{Query, QueryIndex, TimeWindow};
use tunnelscope_core::views::{Counters, Coverage, EndpointLife, EventDetail, SortOrder, TunnelPairings, ViewIndex};
use tunnelscope_core::{Dataset, EventRef, RawSpan, export, views};

use crate::protocol::{EVENT_WINDOW_ROWS, ExportKind, HISTOGRAM_BUCKETS, View, ViewRequest, WINDOW_ROWS};

/// What the worker computes once per load and reuses for every view: the query and view
/// indexes, tunnel pairing, the tunnel and endpoint-change rows and the coverage.
pub struct Prepared {
    query_index: QueryIndex,
    view_index: ViewIndex,
    pairings: TunnelPairings,
    tunnel_rows: Vec<TunnelRow>,
    /// Event index of each tunnel row.
    tunnel_idx: Vec<u32>,
    change_rows: Vec<EndpointChangeRow>,
    change_idx: Vec<u32>,
    coverage: Coverage,
    extent: Option<(i64, i64)>,
    /// All events in time order, so the event table filters instead of sorting per view.
    time_order: Vec<u32>,
}

impl Prepared {
    /// Prepares a loaded dataset.
    pub fn new(dataset: &Dataset) -> Self {
        use crate::profile::mark;
        let index_of = |id: &str| dataset.index_of(id).unwrap_or(u32::MAX);
        mark("owner: prepare starts");
        let pairings = TunnelPairings::new(dataset);
        mark("owner: prepared pairings");
        let tunnel_rows = dataset.tunnel_rows_with(&pairings);
        let tunnel_idx = tunnel_rows.iter().map(|r| index_of(&r.event_id)).collect();
        mark("owner: prepared tunnel rows");
        let change_rows = dataset.endpoint_change_rows();
        let change_idx = change_rows.iter().map(|r| index_of(&r.event_id)).collect();
        mark("owner: prepared change rows");
        let view_index = ViewIndex::new(dataset);
        mark("owner: prepared view index");
        let query_index = QueryIndex::new(dataset);
        mark("owner: prepared query index");
        let extent = view_index.time_extent_all(dataset);
        let coverage = views::coverage(dataset);
        mark("owner: prepared coverage");
        let time_order = dataset.time_order();
        mark("owner: prepared time order");
        Self {
            query_index,
            extent,
            view_index,
            pairings,
            tunnel_rows,
            tunnel_idx,
            change_rows,
            change_idx,
            coverage,
            time_order,
        }
    }

    /// Matching event indices (ascending) for a query and window, and the query's error.
    ///
    /// A query the core cannot parse is reported and the view is left unfiltered by it, so the
    /// screen never silently shows a different filter than the one typed.
    pub fn matching(&self, dataset: &Dataset, query: &str, window: Option<TimeWindow>) -> (Vec<u32>, Option<String>) {
        match Query::parse(query) {
            Ok(q) => (self.query_index.matching_indices(dataset, &q, window), None),
            Err(e) => (self.query_index.matching_indices(dataset, &Query::default(), window), Some(e.to_string())),
        }
    }
}

/// A window of the rows whose event is in `mask`, and their number.
fn matching_rows<T: Clone>(rows: &[T], idx: &[u32], mask: &[bool], offset: usize) -> (usize, Vec<T>) {
    let mut total = 0;
    let mut out = Vec::new();
    for (row, &i) in rows.iter().zip(idx) {
        if mask.get(i as usize).copied().unwrap_or(false) {
            if total >= offset && out.len() < WINDOW_ROWS {
                out.push(row.clone());
            }
            total += 1;
        }
    }
    (total, out)
}

/// The counts over matching events, from the compact per-load index rather than the events'
/// strings (the accounting part is over all files, as `Dataset::stats_of` gives it).
fn view_stats(dataset: &Dataset, prep: &Prepared, c: &Counters, mask: &[bool], endpoints: &[EndpointLife]) -> Stats {
    let mut stats = dataset.stats_of(std::iter::empty());
    stats.tunnels.total = c.tunnels;
    stats.tunnels.failed = c.failed_tunnels;
    stats.principals = c.principals;
    stats.endpoints = endpoints.iter().map(|e| e.endpoint_id.clone()).collect();
    for (row, &i) in prep.change_rows.iter().zip(&prep.change_idx) {
        if mask.get(i as usize).copied().unwrap_or(false) {
            let counts = &mut stats.endpoint_changes;
            match row.op.as_str() {
                "create" => counts.create += 1,
                "modify" => counts.modify += 1,
                "delete" => counts.delete += 1,
                _ => counts.describe += 1,
            }
        }
    }
    stats
}

/// Builds everything the screen shows for `req` over a prepared `dataset`.
pub fn build_view(dataset: &Dataset, prep: &Prepared, req: &ViewRequest) -> View {
    let (matching, query_error) = prep.matching(dataset, &req.query, req.window);
    let mut mask = vec![false; dataset.len()];
    for &i in &matching {
        mask[i as usize] = true;
    }
    let (n_tunnel_rows, tunnels) = matching_rows(&prep.tunnel_rows, &prep.tunnel_idx, &mask, req.offset);
    let (n_endpoint_rows, endpoint_changes) = matching_rows(&prep.change_rows, &prep.change_idx, &mask, req.offset);
    let endpoints = prep.view_index.endpoint_lives(dataset, &matching);
    let counters = prep.view_index.counters(dataset, &matching);
    let stats = view_stats(dataset, prep, &counters, &mask, &endpoints);
    let extent = prep.extent;
    // The overview shows the whole loaded range under the query, so the brush can widen again.
    let histogram = match extent {
        Some(range) => {
            let unwindowed;
            let idx = if req.window.is_some() {
                unwindowed = prep.matching(dataset, &req.query, None).0;
                &unwindowed
            } else {
                &matching
            };
            prep.view_index.histogram(dataset, idx, range, HISTOGRAM_BUCKETS)
        }
        None => Default::default(),
    };
    // The global time order filtered by the mask: linear, no sort and no copy per view.
    let keep = |i: u32| mask[i as usize] && (!req.eice_only || dataset.is_eice(i));
    let (mut n_event_rows, mut window) = (0usize, Vec::with_capacity(EVENT_WINDOW_ROWS));
    let mut take = |i: u32| {
        if keep(i) {
            if n_event_rows >= req.event_offset && window.len() < EVENT_WINDOW_ROWS {
                window.push(i);
            }
            n_event_rows += 1;
        }
    };
    match req.order {
        SortOrder::TimeAsc => prep.time_order.iter().for_each(|&i| take(i)),
        SortOrder::TimeDesc => prep.time_order.iter().rev().for_each(|&i| take(i)),
    }
    let event_rows = views::event_rows_sorted(dataset, &window, 0, EVENT_WINDOW_ROWS);
    View {
        generation: req.generation,
        n_events_total: dataset.len() as u64,
        n_events: matching.len() as u64,
        stats,
        files: dataset.files().to_vec(),
        n_tunnel_rows,
        tunnels,
        n_endpoint_rows,
        endpoint_changes,
        offset: req.offset,
        query_error,
        n_source_ips: counters.source_ips,
        extent,
        histogram,
        lanes: prep.view_index.lanes(dataset, &matching, req.grouping, Some(&prep.pairings)),
        endpoints,
        n_event_rows,
        event_rows,
        event_offset: req.event_offset,
        coverage: prep.coverage.clone(),
        n_eice_total: (prep.tunnel_rows.len() + prep.change_rows.len()) as u64,
    }
}

/// Reads raw records a compact dataset dropped, from the files they were loaded from.
pub trait RawSource {
    /// The raw records at these spans of the file `name`, in order (`None` where unreadable).
    fn read(&mut self, name: &str, spans: &[RawSpan]) -> SpanTexts;
}

/// A source that has no files (everything was kept in memory, or the files are gone).
pub struct NoFiles;

impl RawSource for NoFiles {
    fn read(&mut self, _name: &str, spans: &[RawSpan]) -> SpanTexts {
        SpanTexts::unreadable(spans.len())
    }
}

/// Raw records a compact dataset dropped, to read again from one file.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RawFile {
    /// The file's name as loaded (`a.zip!/member` for an archive member).
    pub name: String,
    /// Where each record goes (positions in the list asked for).
    pub slots: Vec<usize>,
    /// The records' spans in the file's content, beside their slots.
    pub spans: Vec<RawSpan>,
}

/// The raw records of these events that the dataset dropped, to read again, grouped by file
/// (so each file is read once); the others it holds (or has no span to read them by).
pub fn plan_raw_records(dataset: &Dataset, indices: &[u32]) -> Vec<RawFile> {
    let mut by_file: BTreeMap<&str, RawFile> = BTreeMap::new();
    for (k, &i) in indices.iter().enumerate() {
        let Some(e) = dataset.get(i) else { continue };
        if !e.raw.is_empty() {
            continue;
        }
        if let (Some(span), Some(file)) = (e.span, dataset.file_of(i)) {
            let entry = by_file.entry(file).or_insert_with(|| RawFile { name: file.to_owned(), ..RawFile::default() });
            entry.slots.push(k);
            entry.spans.push(span);
        }
    }
    by_file.into_values().collect()
}

/// The raw records of these events: kept ones as they are, dropped ones read again from their
/// files (grouped by file, so a gzip file is decompressed once); `""` where unreadable.
pub fn raw_records(dataset: &Dataset, indices: &[u32], source: &mut dyn RawSource) -> Vec<String> {
    let mut out: Vec<String> =
        indices.iter().map(|&i| dataset.get(i).map(|e| e.raw.to_owned()).unwrap_or_default()).collect();
    for file in plan_raw_records(dataset, indices) {
        let texts = source.read(&file.name, &file.spans);
        for (n, &k) in file.slots.iter().enumerate() {
            out[k] = texts.get(n).unwrap_or_default().to_owned();
        }
    }
    out
}

/// One event's detail, its raw record read again from its file when the dataset dropped it;
/// a tunnel's pairing from `prep` when the dataset's views were prepared (else paired now).
pub fn build_detail(
    dataset: &Dataset,
    prep: Option<&Prepared>,
    event_id: &str,
    source: &mut dyn RawSource,
) -> Option<EventDetail> {
    let mut detail = views::event_detail_with(dataset, event_id, prep.map(|p| &p.pairings))?;
    if detail.raw_pretty.is_empty() {
        let i = dataset.index_of(event_id)?;
        let raw = raw_records(dataset, &[i], source).pop().unwrap_or_default();
        detail.raw_pretty = if raw.is_empty() {
            "(the raw record could not be read again from its file)".to_owned()
        } else {
            views::pretty_json(&raw)
        };
    }
    Some(detail)
}

/// Builds an export of the events matching `req` at once: (file name, MIME type, body).
pub fn build_export(
    dataset: &Dataset,
    prep: &Prepared,
    kind: ExportKind,
    req: &ViewRequest,
    source: &mut dyn RawSource,
) -> (String, String, String) {
    let mut export = ExportBuilder::new(dataset, prep, kind, req);
    for (k, file) in export.take_files().into_iter().enumerate() {
        let texts = source.read(&file.name, &file.spans);
        export.put_raws(k, texts);
    }
    while !export.write(dataset, prep, usize::MAX) {}
    export.finish()
}

/// An export built a step at a time, so the worker can answer views, report progress and stop
/// between steps: the matching events (or tunnels) are fixed when it starts; a raw-records
/// export then reads the records the dataset dropped again from their files
/// ([`ExportBuilder::take_files`], [`ExportBuilder::put_raws`]); then the body is written a
/// number of rows at a time ([`ExportBuilder::write`]). The result is byte for byte what one
/// step gives.
#[derive(Debug)]
pub struct ExportBuilder {
    kind: ExportKind,
    /// The matching events in time order, or for a tunnel export the matching tunnel rows'
    /// positions in [`Prepared`].
    items: Vec<u32>,
    /// A raw-records export: where each item's raw text is: `(0, _)` in the dataset (kept, or
    /// not to be had), `(f, k)` record `k` of the texts read again from file `f - 1`.
    places: Vec<(u32, u32)>,
    /// A raw-records export: the records to read again, by file.
    files: Vec<RawFile>,
    /// The records read again, by file (as [`ExportBuilder::take_files`] gave the files).
    texts: Vec<SpanTexts>,
    /// Records in hand (kept by the dataset, or read again), of a raw-records export.
    read: usize,
    /// Items written to the body.
    written: usize,
    body: String,
}

impl ExportBuilder {
    /// Starts an export of what matches `req`.
    pub fn new(dataset: &Dataset, prep: &Prepared, kind: ExportKind, req: &ViewRequest) -> Self {
        let (matching, _) = prep.matching(dataset, &req.query, req.window);
        let mut mask = vec![false; dataset.len()];
        for &i in &matching {
            mask[i as usize] = true;
        }
        let matches = |i: u32| mask.get(i as usize).copied().unwrap_or(false);
        let items: Vec<u32> = match kind {
            ExportKind::TunnelsCsv | ExportKind::TunnelsJson => {
                (0..prep.tunnel_idx.len() as u32).filter(|&k| matches(prep.tunnel_idx[k as usize])).collect()
            }
            _ => prep.time_order.iter().copied().filter(|&i| matches(i)).collect(),
        };
        let files = match kind {
            ExportKind::Records => plan_raw_records(dataset, &items),
            _ => Vec::new(),
        };
        let mut places = vec![(0, 0); if kind == ExportKind::Records { items.len() } else { 0 }];
        for (f, file) in files.iter().enumerate() {
            for (k, &slot) in file.slots.iter().enumerate() {
                places[slot] = (f as u32 + 1, k as u32);
            }
        }
        let read = items.len() - files.iter().map(|f| f.slots.len()).sum::<usize>();
        let texts = vec![SpanTexts::default(); files.len()];
        Self { kind, items, places, files, texts, read, written: 0, body: String::new() }
    }

    /// Events (tunnels for a tunnel export) in the export.
    pub fn total(&self) -> usize {
        self.items.len()
    }

    /// How far it got, out of [`ExportBuilder::total`]: a raw-records export counts the records
    /// in hand (writing them is quick), the others the rows written.
    pub fn done(&self) -> usize {
        match self.kind {
            ExportKind::Records => self.read,
            _ => self.written,
        }
    }

    /// The records to read again from files (none for other exports), each file once; what
    /// was read from the `k`-th is given back with [`ExportBuilder::put_raws`].
    pub fn take_files(&mut self) -> Vec<RawFile> {
        std::mem::take(&mut self.files)
    }

    /// The records read again from the `k`-th file [`ExportBuilder::take_files`] gave, beside
    /// its spans.
    pub fn put_raws(&mut self, k: usize, texts: SpanTexts) {
        self.read += texts.len();
        if let Some(slot) = self.texts.get_mut(k) {
            *slot = texts;
        }
    }

    /// Writes up to `max_rows` more rows; true once every row is written.
    pub fn write(&mut self, dataset: &Dataset, prep: &Prepared, max_rows: usize) -> bool {
        let from = self.written;
        let to = from.saturating_add(max_rows).min(self.items.len());
        if from >= to {
            return true;
        }
        let part = &self.items[from..to];
        let events = || part.iter().filter_map(|&i| dataset.get(i));
        let tunnels = || part.iter().map(|&k| prep.tunnel_rows[k as usize].clone()).collect::<Vec<_>>();
        let (piece, shape) = match self.kind {
            ExportKind::TunnelsCsv => (export::tunnels_csv(&tunnels()), Piece::CSV),
            ExportKind::TunnelsJson => (export::tunnels_json(&tunnels()), Piece::JSON_ARRAY),
            ExportKind::EventsCsv => (export::events_csv(events()), Piece::CSV),
            ExportKind::EventsJson => (export::events_json(events()), Piece::JSON_ARRAY),
            ExportKind::Records => {
                if from == 0 {
                    // Room for the whole document at once (in wasm, memory grown a little at a
                    // time is slow): the records, and a separator each.
                    let kept: usize = self.items.iter().filter_map(|&i| dataset.get(i)).map(|e| e.raw.len()).sum();
                    let read: usize = self.texts.iter().map(SpanTexts::text_len).sum();
                    let _ = self.body.try_reserve(kept + read + 2 * self.items.len() + 32);
                }
                let texts = &self.texts;
                let pairs = part.iter().zip(&self.places[from..to]).filter_map(|(&i, &(f, k))| {
                    let e: EventRef<'_> = dataset.get(i)?;
                    let text = match f {
                        0 => e.raw,
                        f => texts.get(f as usize - 1).and_then(|t| t.get(k as usize)).unwrap_or_default(),
                    };
                    Some((e, text))
                });
                let bytes = export::records_json_with(pairs);
                let text =
                    String::from_utf8(bytes).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned());
                (text, Piece::RECORDS)
            }
        };
        shape.append(&mut self.body, &piece, from == 0);
        self.written = to;
        to == self.items.len()
    }

    /// The export: (file name, MIME type, body). Call once [`ExportBuilder::write`] is done.
    pub fn finish(self) -> (String, String, String) {
        let (name, mime) = match self.kind {
            ExportKind::TunnelsCsv => ("tunnels.csv", "text/csv"),
            ExportKind::TunnelsJson => ("tunnels.json", "application/json"),
            ExportKind::EventsCsv => ("events.csv", "text/csv"),
            ExportKind::EventsJson => ("events.json", "application/json"),
            ExportKind::Records => ("records.json", "application/json"),
        };
        let body = if self.items.is_empty() {
            // Nothing matched: the empty document, as the export function writes it.
            match self.kind {
                ExportKind::TunnelsCsv => export::tunnels_csv(&[]),
                ExportKind::TunnelsJson => export::tunnels_json(&[]),
                ExportKind::EventsCsv => export::events_csv(std::iter::empty()),
                ExportKind::EventsJson => export::events_json(std::iter::empty()),
                ExportKind::Records => String::from_utf8_lossy(&export::records_json(std::iter::empty())).into_owned(),
            }
        } else {
            let mut body = self.body;
            let close = match self.kind {
                ExportKind::TunnelsJson | ExportKind::EventsJson => Piece::JSON_ARRAY.close,
                ExportKind::Records => Piece::RECORDS.close,
                _ => "",
            };
            body.push_str(close);
            body
        };
        (name.to_owned(), mime.to_owned(), body)
    }
}

/// How the document of some rows is laid out, so documents of consecutive rows join into the
/// document of all of them: `open`, the rows separated by `sep`, then `close`.
#[derive(Debug, Clone, Copy)]
struct Piece {
    /// The opening (`None`: the first line, a CSV header).
    open: Option<&'static str>,
    sep: &'static str,
    close: &'static str,
}

impl Piece {
    /// CSV: the header line, then rows each ending in CRLF.
    const CSV: Self = Self { open: None, sep: "", close: "" };
    /// A pretty-printed JSON array of objects.
    const JSON_ARRAY: Self = Self { open: Some("[\n"), sep: ",\n", close: "\n]" };
    /// `export::records_json_with`.
    const RECORDS: Self = Self { open: Some("{\"Records\":[\n"), sep: ",\n", close: "\n]}\n" };

    /// Appends the document of a non-empty run of rows to `body`, which holds those before
    /// it (`first`: none) without their closing.
    fn append(self, body: &mut String, piece: &str, first: bool) {
        let open_len = match self.open {
            Some(open) => open.len(),
            None => piece.find("\r\n").map_or(0, |k| k + 2),
        };
        let rows = piece.get(..piece.len().saturating_sub(self.close.len())).unwrap_or_default();
        if first {
            body.push_str(rows);
        } else {
            body.push_str(self.sep);
            body.push_str(rows.get(open_len..).unwrap_or_default());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tunnelscope_core::sample::{SAMPLE_FILE_NAME, sample_trail_json};

    fn sample() -> Dataset {
        let mut ds = Dataset::new();
        ds.add_file(SAMPLE_FILE_NAME, &sample_trail_json());
        ds
    }

    fn req(query: &str) -> ViewRequest {
        ViewRequest { generation: 7, query: query.into(), ..ViewRequest::default() }
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
        assert_eq!(v.generation, 7);
        assert_eq!(v.n_events, v.n_events_total);
        assert_eq!(v.stats.tunnels.total, 41);
        let c = v.stats.endpoint_changes;
        assert_eq!(v.n_eice_total, 41 + c.create + c.modify + c.delete + c.describe);
        // A filter changes what is shown, never the whole data's EICE activity.
        assert_eq!(build_view(&ds, &Prepared::new(&ds), &req("port:3389")).n_eice_total, v.n_eice_total);
        assert_eq!(v.n_tunnel_rows, 41);
        assert_eq!(v.tunnels.len(), WINDOW_ROWS.min(41));
        let page = build_view(&ds, &Prepared::new(&ds), &ViewRequest { offset: 40, ..req("") });
        assert_eq!(page.tunnels.len(), 1);
        assert_eq!(v.lanes.iter().map(|l| l.marks.len()).sum::<usize>(), 41);
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
        let windowed = ViewRequest { window: Some(TimeWindow { start_ms: start, end_ms: start + 1 }), ..req("") };
        let w = build_view(&ds, &prep, &windowed);
        assert!(w.n_events < v.n_events_total);
        assert_eq!(w.histogram.counts.iter().map(|&c| u64::from(c)).sum::<u64>(), w.n_events_total);
    }

    #[test]
    fn counters_agree_with_the_dataset_and_the_table_is_in_time_order() {
        let ds = sample();
        let prep = Prepared::new(&ds);
        for q in [
            "",
            "user:alice",
            "outcome:failed",
            "port:3389",
            "event:DescribeInstanceConnectEndpoints",
            "region:eu-west-1",
        ] {
            let v = build_view(&ds, &prep, &req(q));
            let (matching, _) = prep.matching(&ds, q, None);
            let want = ds.stats_of(matching.iter().filter_map(|&i| ds.get(i)));
            assert_eq!(v.stats, want, "query {q:?}");
            assert!(v.event_rows.windows(2).all(|w| (w[0].time_ms, &w[0].event_id) <= (w[1].time_ms, &w[1].event_id)));
        }
        let desc = build_view(&ds, &prep, &ViewRequest { order: SortOrder::TimeDesc, eice_only: true, ..req("") });
        assert!(desc.event_rows.windows(2).all(|w| w[0].time_ms >= w[1].time_ms));
        assert!(desc.event_rows.iter().all(|r| r.is_eice));
    }

    #[test]
    fn a_bad_query_is_reported_not_ignored() {
        let ds = sample();
        let v = build_view(&ds, &Prepared::new(&ds), &req("port:notanumber"));
        assert!(v.query_error.is_some());
        assert_eq!(v.n_tunnel_rows, 41);
    }

    #[test]
    fn exports_follow_the_filter() {
        let ds = sample();
        let prep = Prepared::new(&ds);
        let (name, _, csv) = build_export(&ds, &prep, ExportKind::TunnelsCsv, &req("outcome:failed"), &mut NoFiles);
        assert_eq!(name, "tunnels.csv");
        assert_eq!(csv.lines().count(), 6, "header + 5 failed tunnels");
        let (_, _, records) = build_export(&ds, &prep, ExportKind::Records, &req("event:OpenTunnel"), &mut NoFiles);
        let mut reloaded = Dataset::new();
        reloaded.add_file("records.json", records.as_bytes());
        assert_eq!(reloaded.stats().tunnels.total, 41);
        assert_eq!(reloaded.events().len(), 41);
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
        let ordered: Vec<u32> = prep.time_order.iter().copied().filter(|i| matching.contains(i)).collect();
        let picked = || ordered.iter().filter_map(|&i| ds.get(i));
        let tunnels: Vec<TunnelRow> = prep
            .tunnel_rows
            .iter()
            .zip(&prep.tunnel_idx)
            .filter(|(_, i)| matching.contains(i))
            .map(|(r, _)| r.clone())
            .collect();
        match kind {
            ExportKind::TunnelsCsv => export::tunnels_csv(&tunnels),
            ExportKind::TunnelsJson => export::tunnels_json(&tunnels),
            ExportKind::EventsCsv => export::events_csv(picked()),
            ExportKind::EventsJson => export::events_json(picked()),
            ExportKind::Records => String::from_utf8(export::records_json(picked())).unwrap(),
        }
    }

    const KINDS: [ExportKind; 5] = [
        ExportKind::TunnelsCsv,
        ExportKind::TunnelsJson,
        ExportKind::EventsCsv,
        ExportKind::EventsJson,
        ExportKind::Records,
    ];

    #[test]
    fn exports_written_a_few_rows_at_a_time_are_the_documents_written_in_one_go() {
        let ds = sample();
        let prep = Prepared::new(&ds);
        for q in ["", "outcome:failed", "user:alice", "event:nothing-matches"] {
            for kind in KINDS {
                let want = whole_document(&ds, &prep, kind, q);
                for step in [1, 3, 1000] {
                    let mut export = ExportBuilder::new(&ds, &prep, kind, &req(q));
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
            let mut export = ExportBuilder::new(&compact, &pc, ExportKind::Records, &req(q));
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
            let (_, _, at_once) = build_export(&compact, &pc, ExportKind::Records, &req(q), &mut source);
            assert_eq!(at_once, want);
        }
        // Unreadable records (the files are gone) still export, as synthetic records.
        let (_, _, body) = build_export(&compact, &pc, ExportKind::Records, &req(""), &mut NoFiles);
        let mut reloaded = Dataset::new();
        reloaded.add_file("records.json", body.as_bytes());
        assert_eq!(reloaded.len(), full.len());
    }
}
