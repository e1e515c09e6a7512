//! Exports of what a view shows, built at once or a step at a time ([`ExportBuilder`]): tunnels
//! or events as CSV/JSON, or the raw records as a reloadable `{"Records":[…]}` file.

use serde::{Deserialize, Serialize};

use crate::dataset::Dataset;
use crate::ingest::SpanTexts;
use crate::query::TimeWindow;
use crate::store::EventRef;
use crate::views::page::Prepared;
use crate::views::raw::{RawFile, RawSource, plan_raw_records};

/// What an export holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ExportKind {
    /// Matching tunnels as CSV (the CLI's columns).
    TunnelsCsv,
    /// Matching tunnels as JSON.
    TunnelsJson,
    /// Matching events as CSV.
    EventsCsv,
    /// Matching events as JSON.
    EventsJson,
    /// Matching raw records as a reloadable `{"Records":[…]}` file.
    Records,
    /// Sessions in the view as CSV / JSON (the CLI's `sessions` columns, contracts.md §7).
    SessionsCsv,
    SessionsJson,
    /// Findings in the view as CSV / JSON (the CLI's `findings` columns, contracts.md §8).
    FindingsCsv,
    FindingsJson,
}

/// Builds an export of the events matching `query` and `window` at once: (file name, MIME type, body).
pub fn build_export(
    dataset: &Dataset,
    prep: &Prepared,
    kind: ExportKind,
    query: &str,
    window: Option<TimeWindow>,
    source: &mut dyn RawSource,
) -> (String, String, String) {
    let mut export = ExportBuilder::new(dataset, prep, kind, query, window);
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
    /// positions in [`Prepared`], or the sessions or findings in the view (in the CLI's order).
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
    /// Starts an export of what matches `query` and `window`.
    pub fn new(dataset: &Dataset, prep: &Prepared, kind: ExportKind, query: &str, window: Option<TimeWindow>) -> Self {
        let (mask, _, _) = prep.mask(dataset, query, window);
        let (_, tunnel_idx) = prep.tunnel_rows();
        let matches = |i: u32| mask.get(i as usize).copied().unwrap_or(false);
        let items: Vec<u32> = match kind {
            ExportKind::TunnelsCsv | ExportKind::TunnelsJson => {
                (0..tunnel_idx.len() as u32).filter(|&k| matches(tunnel_idx[k as usize])).collect()
            }
            ExportKind::SessionsCsv | ExportKind::SessionsJson => prep.insight().sessions_in(matches),
            ExportKind::FindingsCsv | ExportKind::FindingsJson => {
                prep.insight().findings_in(matches).into_iter().map(|k| k as u32).collect()
            }
            _ => prep.time_order().iter().copied().filter(|&i| matches(i)).collect(),
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
        let tunnels = || part.iter().map(|&k| prep.tunnel_rows().0[k as usize].clone()).collect::<Vec<_>>();
        let sessions = || {
            let insight = prep.insight();
            part.iter().filter_map(|&s| insight.session_row(dataset, prep.pairings(), s)).collect::<Vec<_>>()
        };
        let findings = || {
            let insight = prep.insight();
            part.iter().filter_map(|&k| insight.findings().get(k as usize).cloned()).collect::<Vec<_>>()
        };
        let (piece, shape) = match self.kind {
            ExportKind::TunnelsCsv => (super::tunnels_csv(&tunnels()), Piece::CSV),
            ExportKind::TunnelsJson => (super::tunnels_json(&tunnels()), Piece::JSON_ARRAY),
            ExportKind::EventsCsv => (super::events_csv(events()), Piece::CSV),
            ExportKind::EventsJson => (super::events_json(events()), Piece::JSON_ARRAY),
            ExportKind::SessionsCsv => (super::sessions_csv(&sessions()), Piece::CSV),
            ExportKind::SessionsJson => (super::sessions_json(&sessions()), Piece::JSON_ARRAY),
            ExportKind::FindingsCsv => (super::findings_csv(&findings()), Piece::CSV),
            ExportKind::FindingsJson => (super::findings_json(&findings()), Piece::JSON_ARRAY),
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
                let bytes = super::records_json_with(pairs);
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
            ExportKind::SessionsCsv => ("sessions.csv", "text/csv"),
            ExportKind::SessionsJson => ("sessions.json", "application/json"),
            ExportKind::FindingsCsv => ("findings.csv", "text/csv"),
            ExportKind::FindingsJson => ("findings.json", "application/json"),
        };
        let body = if self.items.is_empty() {
            // Nothing matched: the empty document, as the export function writes it.
            match self.kind {
                ExportKind::TunnelsCsv => super::tunnels_csv(&[]),
                ExportKind::TunnelsJson => super::tunnels_json(&[]),
                ExportKind::EventsCsv => super::events_csv(std::iter::empty()),
                ExportKind::EventsJson => super::events_json(std::iter::empty()),
                ExportKind::Records => String::from_utf8_lossy(&super::records_json(std::iter::empty())).into_owned(),
                ExportKind::SessionsCsv => super::sessions_csv(&[]),
                ExportKind::SessionsJson => super::sessions_json(&[]),
                ExportKind::FindingsCsv => super::findings_csv(&[]),
                ExportKind::FindingsJson => super::findings_json(&[]),
            }
        } else {
            let mut body = self.body;
            let close = match self.kind {
                ExportKind::TunnelsJson
                | ExportKind::EventsJson
                | ExportKind::SessionsJson
                | ExportKind::FindingsJson => Piece::JSON_ARRAY.close,
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
    /// `super::records_json_with`.
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
