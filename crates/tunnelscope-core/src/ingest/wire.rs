//! A parsed file as bytes, for handing it from the worker that parsed it to the one that owns
//! the dataset (browser workers share no memory): postcard, a compact binary serde format, over
//! the file's columns, so the cost is close to copying them.
//!
//! Postcard is not self-describing: every type reachable from [`FileWire`] must write each field
//! every time (no `skip_serializing_if`), and use no `untagged`, `flatten` or
//! `serde_json::Value`, or a reader takes one field's bytes for the next. `tests/wire.rs` holds
//! any parsed file of any shape to arriving unchanged.

use serde::{Deserialize, Serialize};

use super::{FileStatus, InvalidRecord, ParsedFile, Shape};
use crate::ids::Ids;
use crate::intern::Strings;
use crate::model::Event;
use crate::rows::{N_STR, Rows};

#[derive(Serialize, Deserialize)]
struct FileWire {
    status: FileStatus,
    reason: String,
    shape: Option<Shape>,
    events: Vec<(u32, Event)>,
    rows: RowsWire,
    invalid: Vec<InvalidRecord>,
    invalid_more: u64,
}

/// [`Rows`] without its lookup tables (rebuilt on arrival from the distinct values).
#[derive(Serialize, Deserialize, Default)]
pub(crate) struct RowsWire {
    pub(crate) record: Vec<u32>,
    pub(crate) time: Vec<i64>,
    /// [`crate::ids::Ids::into_parts`].
    #[serde(with = "serde_bytes")]
    pub(crate) id_keys: Vec<u8>,
    pub(crate) id_is_text: Vec<u64>,
    #[serde(with = "serde_bytes")]
    pub(crate) id_arena: Vec<u8>,
    pub(crate) strs: [Vec<u32>; N_STR],
    pub(crate) dict: [Vec<String>; N_STR],
    #[serde(with = "serde_bytes")]
    pub(crate) bits: Vec<u8>,
    pub(crate) span: Vec<u64>,
}

impl ParsedFile {
    fn wire(self) -> FileWire {
        FileWire {
            status: self.status,
            reason: self.reason,
            shape: self.shape,
            events: self.events,
            rows: self.rows.into_wire(),
            invalid: self.invalid,
            invalid_more: self.invalid_more,
        }
    }
}

impl FileWire {
    fn unwire(self) -> Result<ParsedFile, String> {
        Ok(ParsedFile {
            status: self.status,
            reason: self.reason,
            shape: self.shape,
            events: self.events,
            rows: Rows::from_wire(self.rows).ok_or("inconsistent rows in a parsed file")?,
            invalid: self.invalid,
            invalid_more: self.invalid_more,
        })
    }
}

/// What reading one input gave (an archive gives its members), as bytes.
pub fn files_into_wire(files: Vec<(String, ParsedFile)>) -> Vec<u8> {
    encode(&files.into_iter().map(|(name, f)| (name, f.wire())).collect::<Vec<_>>())
}

/// Reads [`files_into_wire`]'s bytes, checking that each file's columns agree.
pub fn files_from_wire(bytes: &[u8]) -> Result<Vec<(String, ParsedFile)>, String> {
    decode::<Vec<(String, FileWire)>>(bytes)?.into_iter().map(|(name, f)| Ok((name, f.unwire()?))).collect()
}

fn encode<T: Serialize>(value: &T) -> Vec<u8> {
    // Sized first, then written once into a buffer of exactly that size: growing a Vec by
    // doubling would hold up to three times the bytes at its last step (wasm memory keeps its
    // peak). Serialising plain data cannot fail; empty bytes would be rejected on arrival.
    let Ok(n) = postcard::experimental::serialized_size(value) else { return Vec::new() };
    let mut buf = vec![0u8; n];
    match postcard::to_slice(value, &mut buf) {
        Ok(used) if used.len() == n => buf,
        _ => Vec::new(),
    }
}

fn decode<'a, T: Deserialize<'a>>(bytes: &'a [u8]) -> Result<T, String> {
    postcard::from_bytes(bytes).map_err(|e| format!("unreadable parsed file: {e}"))
}

impl Rows {
    /// The columns as plain data (dictionaries as their values).
    pub(crate) fn into_wire(self) -> RowsWire {
        let (id_keys, id_is_text, id_arena) = self.ids.into_parts();
        RowsWire {
            record: self.record,
            time: self.time,
            id_keys,
            id_is_text,
            id_arena,
            strs: self.strs,
            dict: self.dict.map(|d| d.values.into_iter().map(String::from).collect()),
            bits: self.bits,
            span: self.span,
        }
    }

    /// The rows of [`Rows::into_wire`]; `None` when the columns disagree (lengths, ids, ranges).
    pub(crate) fn from_wire(w: RowsWire) -> Option<Self> {
        let n = w.time.len();
        let same =
            [w.record.len(), w.bits.len(), w.span.len()].iter().all(|&l| l == n) && w.strs.iter().all(|c| c.len() == n);
        let strs_ok = (0..N_STR).all(|c| w.strs[c].iter().all(|&id| (id as usize) < w.dict[c].len()));
        if !(same && strs_ok) {
            return None;
        }
        let ids = Ids::from_parts(n, &w.id_keys, w.id_is_text, w.id_arena)?;
        let dict = w.dict.map(|values| {
            let mut d = Strings::default();
            for v in &values {
                d.intern(v);
            }
            // Each value must keep its id: they arrive distinct.
            (d.len() == values.len()).then_some(d)
        });
        if dict.iter().any(Option::is_none) {
            return None;
        }
        let dict = dict.map(Option::unwrap_or_default);
        Some(Self { record: w.record, time: w.time, ids, strs: w.strs, dict, bits: w.bits, span: w.span })
    }
}
