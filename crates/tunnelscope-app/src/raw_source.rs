//! Reading raw records again from the `File`s a load came from (the worker keeps the handles),
//! for a compact dataset's detail panel and raw-records export.
//!
//! A plain file is read only at the record's bytes (one small slice); a gzip file or zip
//! archive is read and decompressed once per request, which is the honest slower path.

use std::collections::HashMap;

use js_sys::Uint8Array;
use tunnelscope_core::RawSpan;
use tunnelscope_core::ingest::read_spans;
use web_sys::{File, FileReaderSync};

use crate::view::RawSource;

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
}

/// Bytes `start..end` of a file.
fn read_bytes(file: &File, start: u64, end: u64) -> Option<Vec<u8>> {
    let reader = FileReaderSync::new().ok()?;
    let blob = file.slice_with_f64_and_f64(start as f64, end as f64).ok()?;
    let buffer = reader.read_as_array_buffer(&blob).ok()?;
    Some(Uint8Array::new(&buffer).to_vec())
}

impl RawSource for LoadedFiles {
    fn read(&mut self, name: &str, spans: &[RawSpan]) -> Vec<Option<String>> {
        // An archive member is named `a.zip!/member`: the file is the archive.
        let (outer, member) = match name.split_once("!/") {
            Some((outer, member)) => (outer, Some(member)),
            None => (name, None),
        };
        let Some(file) = self.files.get(outer) else { return vec![None; spans.len()] };
        let head = read_bytes(file, 0, 4).unwrap_or_default();
        let packed = head.starts_with(&[0x1f, 0x8b]) || head.starts_with(b"PK");
        if !packed && member.is_none() {
            // A plain file: read each record's own bytes.
            return spans
                .iter()
                .map(|s| {
                    // Spans are byte ranges of the content, which for a plain file is the file.
                    let bytes = read_bytes(file, s.offset, s.offset + u64::from(s.len))?;
                    String::from_utf8(bytes).ok()
                })
                .collect();
        }
        let Some(bytes) = read_bytes(file, 0, file.size() as u64) else { return vec![None; spans.len()] };
        match read_spans(&bytes, member, spans) {
            Ok(raws) => raws.into_iter().map(Some).collect(),
            Err(_) => vec![None; spans.len()],
        }
    }
}
