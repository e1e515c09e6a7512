//! A parsed file as bytes, for handing it from the worker that parsed it to the one that owns
//! the dataset (browser workers share no memory): postcard, a compact binary serde format, over
//! the file's columns, so the cost is close to copying them.

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
}

/// [`Rows`] without its lookup tables (rebuilt on arrival from the distinct values).
#[derive(Serialize, Deserialize, Default)]
pub(crate) struct RowsWire {
    pub(crate) record: Vec<u32>,
    pub(crate) time: Vec<i64>,
    #[serde(with = "serde_bytes")]
    pub(crate) id_bytes: Vec<u8>,
    pub(crate) id_end: Vec<u32>,
    pub(crate) strs: [Vec<u32>; N_STR],
    pub(crate) dict: [Vec<String>; N_STR],
    #[serde(with = "serde_bytes")]
    pub(crate) bits: Vec<u8>,
    pub(crate) span: Vec<u64>,
}

impl ParsedFile {
    /// The file as bytes ([`ParsedFile::from_wire`] reads them back).
    pub fn into_wire(self) -> Vec<u8> {
        let wire = FileWire {
            status: self.status,
            reason: self.reason,
            shape: self.shape,
            events: self.events,
            rows: self.rows.into_wire(),
            invalid: self.invalid,
        };
        // Serialising plain data into a Vec cannot fail; an empty answer would be rejected on arrival.
        postcard::to_allocvec(&wire).unwrap_or_default()
    }

    /// Reads [`ParsedFile::into_wire`]'s bytes, checking that the columns agree.
    pub fn from_wire(bytes: &[u8]) -> Result<Self, String> {
        let wire: FileWire = postcard::from_bytes(bytes).map_err(|e| format!("unreadable parsed file: {e}"))?;
        Ok(Self {
            status: wire.status,
            reason: wire.reason,
            shape: wire.shape,
            events: wire.events,
            rows: Rows::from_wire(wire.rows).ok_or("inconsistent rows in a parsed file")?,
            invalid: wire.invalid,
        })
    }
}
