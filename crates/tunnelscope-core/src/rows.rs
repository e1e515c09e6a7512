//! The parser's rows: a file's records that are not EICE-related, as columns of interned
//! strings (no [`Event`] per record), and the row format (bits, packed span, string columns)
//! the store keeps too.

use crate::ids::{EventId, Ids, Key};
use crate::intern::Strings;
use crate::model::{Fidelity, RawSpan};

/// Events of one file (or piece of a file) held as columns until they join a dataset: what a
/// compact stream makes of the records that are not EICE-related (no [`Event`], no allocation
/// per field; each string interned in the batch's own dictionaries, which a dataset maps to
/// its own once per distinct value). Every row has a span: its raw JSON is read again from the
/// file on demand.
#[derive(Debug, Clone, Default)]
pub struct Rows {
    /// Record position of each row in its file.
    pub(crate) record: Vec<u32>,
    pub(crate) time: Vec<i64>,
    pub(crate) ids: Ids,
    pub(crate) strs: [Vec<u32>; N_STR],
    pub(crate) dict: [Strings; N_STR],
    pub(crate) bits: Vec<u8>,
    pub(crate) span: Vec<u64>,
}

impl Rows {
    /// Number of rows.
    pub fn len(&self) -> usize {
        self.time.len()
    }

    /// True when there are none.
    pub fn is_empty(&self) -> bool {
        self.time.is_empty()
    }

    /// Appends a row: `strs` in column order ([`col`]).
    pub(crate) fn push(
        &mut self,
        record: u32,
        event_id: &str,
        time_ms: i64,
        strs: [&str; N_STR],
        fidelity: Fidelity,
        span: RawSpan,
    ) {
        self.record.push(record);
        self.time.push(time_ms);
        self.ids.push(Key::of(event_id));
        for (c, s) in strs.into_iter().enumerate() {
            self.strs[c].push(self.dict[c].intern(s));
        }
        let failed = if strs[col::ERROR].is_empty() { 0 } else { B_FAILED };
        self.bits.push(fidelity as u8 | failed);
        self.span.push(pack_span(Some(span)));
    }

    /// The event ID of row `j`.
    pub(crate) fn id_at(&self, j: usize) -> EventId<'_> {
        self.ids.get(j)
    }

    /// The text of column `c` at row `j`.
    pub(crate) fn text(&self, c: usize, j: usize) -> &str {
        self.dict[c].get(self.strs[c][j])
    }

    /// Appends `other`'s rows, their record positions moved by `record_offset` and their spans
    /// by `span_shift` (pieces of one file read apart); `None` when a span would leave range.
    pub fn append(&mut self, other: &Rows, record_offset: u32, span_shift: i64) -> Option<()> {
        let maps = map_dicts(&mut self.dict, &other.dict);
        for j in 0..other.len() {
            self.record.push(other.record[j].checked_add(record_offset)?);
            self.time.push(other.time[j]);
            self.ids.push(other.ids.key(j));
            for c in 0..N_STR {
                self.strs[c].push(maps[c][other.strs[c][j] as usize]);
            }
            self.bits.push(other.bits[j]);
            let mut span = unpack_span(other.span[j])?;
            span.offset = span.offset.checked_add_signed(span_shift)?;
            self.span.push(pack_span(Some(span)));
        }
        Some(())
    }

    /// Moves the rows by `record_offset` records and their spans by `span_shift` bytes, in
    /// place ([`Rows::append`] to an empty batch, without copying); `None` when a row has no
    /// span or a position overflows (the rows are then partly moved: drop them).
    pub fn shift(&mut self, record_offset: u32, span_shift: i64) -> Option<()> {
        for r in &mut self.record {
            *r = r.checked_add(record_offset)?;
        }
        for packed in &mut self.span {
            let mut span = unpack_span(*packed)?;
            span.offset = span.offset.checked_add_signed(span_shift)?;
            *packed = pack_span(Some(span));
        }
        Some(())
    }
}

/// For each column, the id in `into` of every string of `from` (interned when new).
pub(crate) fn map_dicts(into: &mut [Strings; N_STR], from: &[Strings; N_STR]) -> [Vec<u32>; N_STR] {
    std::array::from_fn(|c| from[c].values().iter().map(|v| into[c].intern(v)).collect())
}

/// Row bits: fidelity in the low two bits.
pub(crate) const FIDELITY_MASK: u8 = 3;
/// Row bit: the record lacks part of its content (`Event::is_lossy`).
pub(crate) const B_LOSSY: u8 = 4;
/// Row bit: EICE-related (`export::is_eice_relevant`): the full event is kept.
pub(crate) const B_EICE: u8 = 8;
/// Row bit: has an `errorCode`.
pub(crate) const B_FAILED: u8 = 16;
/// Row bit: an `OpenTunnel`.
pub(crate) const B_TUNNEL: u8 = 32;

pub(crate) fn fidelity_of(bits: u8) -> Fidelity {
    match bits & FIDELITY_MASK {
        0 => Fidelity::ConsoleCsv,
        1 => Fidelity::QueryRow,
        2 => Fidelity::Wrapped,
        _ => Fidelity::Full,
    }
}

/// A span packed in 64 bits: offset in the high 40 bits (1 TiB), length in the low 24 (records
/// are at most 1 MiB); `u64::MAX` for none.
pub(crate) fn pack_span(span: Option<RawSpan>) -> u64 {
    match span {
        // All ones is "none"; such a span (the last byte of a 1 TiB file) is not packed.
        Some(s) if s.offset < (1 << 40) && s.len < (1 << 24) - 1 => (s.offset << 24) | u64::from(s.len),
        _ => u64::MAX,
    }
}

pub(crate) fn unpack_span(v: u64) -> Option<RawSpan> {
    (v != u64::MAX).then_some(RawSpan { offset: v >> 24, len: (v & 0xFF_FFFF) as u32 })
}

/// The string fields of a row, in column order.
pub(crate) const N_STR: usize = 10;
/// Column positions of the string fields.
pub(crate) mod col {
    pub(crate) const NAME: usize = 0;
    pub(crate) const SOURCE: usize = 1;
    pub(crate) const REGION: usize = 2;
    pub(crate) const ACCOUNT: usize = 3;
    pub(crate) const ARN: usize = 4;
    pub(crate) const PRINCIPAL: usize = 5;
    pub(crate) const SOURCE_IP: usize = 6;
    pub(crate) const AGENT: usize = 7;
    pub(crate) const ERROR: usize = 8;
    pub(crate) const MESSAGE: usize = 9;
}
