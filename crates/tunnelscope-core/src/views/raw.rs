//! Raw records the compact dataset dropped, read again from their files through a [`RawSource`]
//! (grouped by file, each read once), and an event's detail with its raw record.

use std::collections::BTreeMap;

use super::EventDetail;
use super::page::Prepared;
use crate::dataset::Dataset;
use crate::ingest::SpanTexts;
use crate::model::RawSpan;

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
    let mut detail = super::event_detail_with(dataset, event_id, prep.map(Prepared::pairings))?;
    if detail.raw_pretty.is_empty() {
        let i = dataset.index_of(event_id)?;
        let raw = raw_records(dataset, &[i], source).pop().unwrap_or_default();
        detail.raw_pretty = if raw.is_empty() {
            "(the raw record could not be read again from its file)".to_owned()
        } else {
            super::pretty_json(&raw)
        };
    }
    Some(detail)
}
