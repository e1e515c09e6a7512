//! Reading raw records again from the `File`s a load came from (the worker keeps the handles),
//! for a compact dataset's detail panel and raw-records export.
//!
//! Each file is read once per request, in one pass ([`SpanReader`]): a plain file only over
//! the runs of bytes that hold the records asked for, a gzip file decompressed as it is read
//! and no further than the last record asked for, a zip archive whole. The detail panel reads
//! synchronously (one record); an export reads asynchronously, a chunk at a time
//! ([`read_spans_async`]), so the worker answers views meanwhile.

use hashbrown::HashMap;

use js_sys::Uint8Array;
use tunnelscope_core::RawSpan;
use tunnelscope_core::ingest::{SpanReader, SpanTexts};
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{File, FileReaderSync, ReadableStreamDefaultReader};

use crate::worker::read::{copy_into, next_chunk};
use crate::worker::view::RawSource;

/// Bytes between two records of a plain file read through rather than starting another read:
/// a read of a slice of a `File` costs about a millisecond in the worker (the raw-records
/// export of 50,000 events, one slice each, took ~40 s), about the time of reading this much.
const RUN_GAP: u64 = 512 << 10;

/// Most bytes read at once by the synchronous reading (the detail panel).
const SYNC_PIECE: u64 = 4 << 20;

/// The load's files by the name they were loaded under.
#[derive(Default)]
pub struct LoadedFiles {
    files: HashMap<String, File>,
}

impl LoadedFiles {
    /// Remembers a file under its name (the path as given).
    pub fn insert(&mut self, name: String, file: File) {
        self.files.insert(name, file);
    }

    /// Forgets every file (the dataset was cleared).
    pub fn clear(&mut self) {
        self.files.clear();
    }

    /// The file that holds the records of the file loaded as `name` (for an archive member
    /// `a.zip!/member`, the archive).
    pub fn get(&self, name: &str) -> Option<File> {
        let outer = name.split_once("!/").map_or(name, |(outer, _)| outer);
        self.files.get(outer).cloned()
    }
}

/// Bytes `start..end` of a file.
fn read_bytes(file: &File, start: u64, end: u64) -> Option<Vec<u8>> {
    let reader = FileReaderSync::new().ok()?;
    let blob = file.slice_with_f64_and_f64(start as f64, end as f64).ok()?;
    let buffer = reader.read_as_array_buffer(&blob).ok()?;
    Some(Uint8Array::new(&buffer).to_vec())
}

impl RawSource for LoadedFiles {
    fn read(&mut self, name: &str, spans: &[RawSpan]) -> SpanTexts {
        let Some(file) = self.get(name) else { return SpanTexts::unreadable(spans.len()) };
        let member = name.split_once("!/").map(|(_, member)| member);
        let size = file.size() as u64;
        let head = read_bytes(&file, 0, 4).unwrap_or_default();
        let mut reader = SpanReader::new(&head, member, spans, size);
        'ranges: for (start, end) in reader.ranges(RUN_GAP, size) {
            let mut at = start;
            while at < end.min(size) && !reader.is_done() {
                let to = end.min(size).min(at + SYNC_PIECE);
                let Some(bytes) = read_bytes(&file, at, to) else { break 'ranges };
                reader.push(at, &bytes);
                at = to;
            }
        }
        reader.finish()
    }
}

/// Reads the records at `spans` of `file` (`member`: inside a zip archive) in one pass, a
/// stream's chunk at a time: a plain file over the runs of its spans only, a gzip file no
/// further than its last span. `whole`: the file's bytes, when they were asked for ahead.
/// After each chunk `pause` is given the records read so far and answers whether to stop:
/// then `None`. Records that cannot be read (the file changed or is gone) are `None`.
pub(crate) async fn read_spans_async(
    file: &File,
    member: Option<&str>,
    spans: &[RawSpan],
    whole: Option<JsFuture>,
    mut pause: impl AsyncFnMut(usize) -> bool,
) -> Option<SpanTexts> {
    let size = file.size() as u64;
    if let Some(bytes) = whole {
        let bytes = bytes.await.map(|b| Uint8Array::new(&b).to_vec()).unwrap_or_default();
        let mut reader = SpanReader::new(&bytes, member, spans, size);
        reader.push(0, &bytes);
        if pause(reader.taken()).await {
            return None;
        }
        return Some(reader.finish());
    }
    let head = read_bytes(file, 0, 4).unwrap_or_default();
    let mut reader = SpanReader::new(&head, member, spans, size);
    let mut buffer = Vec::new();
    'ranges: for (start, end) in reader.ranges(RUN_GAP, size) {
        let end = end.min(size);
        if start >= end || reader.is_done() {
            continue;
        }
        let Ok(blob) = file.slice_with_f64_and_f64(start as f64, end as f64) else { break };
        let Ok(stream) = blob.stream().get_reader().dyn_into::<ReadableStreamDefaultReader>() else { break };
        let mut at = start;
        while !reader.is_done() {
            match next_chunk(&stream).await {
                Ok(Some(chunk)) => {
                    copy_into(&chunk, &mut buffer);
                    reader.push(at, &buffer);
                    at += buffer.len() as u64;
                }
                // The end of the range, or the file cannot be read (its records stay `None`).
                Ok(None) | Err(_) => continue 'ranges,
            }
            if pause(reader.taken()).await {
                let _ = stream.cancel();
                return None;
            }
        }
        // Every record is read: the browser need not read further.
        let _ = stream.cancel();
    }
    Some(reader.finish())
}
