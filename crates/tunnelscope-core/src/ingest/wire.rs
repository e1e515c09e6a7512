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
use crate::model::Event;
use crate::store::{N_STR, Rows};

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
