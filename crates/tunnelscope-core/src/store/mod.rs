//! The compact event store behind [`crate::Dataset`]: one row per loaded event, kept as columns
//! of interned string ids, times as integers and the event IDs in 16 bytes ([`crate::ids`]).
//! EICE-related events also keep their facts and raw JSON (their text fields are the
//! columns'); the others keep the
//! fields the table and the query language read, and their raw JSON only where the dataset was
//! asked to keep it (otherwise a [`RawSpan`] says where to read it again).
//!
//! Budget (issue 5: at most 150 bytes per non-EICE event): 8 (time) + 16 (event ID, a UUID's
//! bytes) + ~10 (its slot in the ID table) + 10 string ids of 1–4 bytes each (~14 on CloudTrail
//! data) + 1 (bits) + 4 (slot) + 8 (span) + 4 (origin) = ~65 bytes, plus the distinct strings.

use hashbrown::{DefaultHashBuilder, HashTable};

use crate::ids::{EventId, Ids, Key};
use crate::model::{EiceFacts, EndpointFacts, Event, Fidelity, KeyPushFacts, RawSpan, TunnelFacts};

pub(crate) use crate::intern::NONE;
pub use crate::intern::Strings;
pub use crate::rows::Rows;
pub(crate) use crate::rows::{B_EICE, B_FAILED, B_LOSSY, B_TUNNEL, N_STR, col};
use crate::rows::{fidelity_of, map_dicts, pack_span, unpack_span};

mod columns;
mod event_ref;

pub(crate) use columns::*;
pub use event_ref::EventRef;
use event_ref::*;

/// Columns of every loaded event.
#[derive(Debug, Clone, Default)]
pub(crate) struct Store {
    pub(crate) time: Vec<i64>,
    ids: Ids,
    /// Row of each event ID, by the ID's key hash.
    by_id: HashTable<u32>,
    id_hasher: DefaultHashBuilder,
    pub(crate) strs: [IdCol; N_STR],
    pub(crate) dict: [Strings; N_STR],
    pub(crate) bits: Vec<u8>,
    /// For an EICE-related row ([`B_EICE`]), its position in `full`; for another, the position
    /// in `raws` of its kept raw record, or [`NONE`].
    slot: Vec<u32>,
    /// What EICE-related rows keep beyond the columns (facts, raw JSON), by slot.
    pub(crate) full: Vec<Full>,
    /// The raw JSON of the full events, packed (see [`TextArena`]).
    full_raw: TextArena,
    raws: Vec<Box<str>>,
    span: Vec<u64>,
    /// Whether non-EICE events keep their raw JSON (else only where there is no span).
    pub(crate) keep_raw: bool,
}

/// An event arriving at the store: a full [`Event`], or row `j` of a batch with the map of
/// its strings to the store's ids ([`Store::map_rows`]).
// Moved once per event; boxing the event would cost an allocation per event.
#[allow(clippy::large_enum_variant)]
pub(crate) enum Incoming<'a> {
    Event(Event),
    Row(&'a Rows, usize, &'a [Vec<u32>; N_STR]),
}

impl Incoming<'_> {
    pub(crate) fn key(&self) -> Key<'_> {
        match self {
            Self::Event(e) => Key::of(&e.event_id),
            Self::Row(rows, j, _) => rows.ids.key(*j),
        }
    }

    pub(crate) fn fidelity(&self) -> Fidelity {
        match self {
            Self::Event(e) => e.fidelity,
            Self::Row(rows, j, _) => fidelity_of(rows.bits[*j]),
        }
    }

    /// What besides the event ID makes two records the same event (contracts.md §1): the
    /// time (an instant, in ms), `eventSource` and `eventName`.
    pub(crate) fn sameness(&self) -> (i64, &str, &str) {
        match self {
            Self::Event(e) => (e.time_ms, e.event_source.as_str(), e.event_name.as_str()),
            Self::Row(rows, j, _) => (rows.time[*j], rows.text(col::SOURCE, *j), rows.text(col::NAME, *j)),
        }
    }
}

/// What [`Store::find_same`] found for an arriving record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Found {
    /// No loaded event has its event ID.
    New,
    /// A loaded event has its ID but is another event (time, source or name differ): an ID
    /// collision; the record is a new event.
    Collision,
    /// The same event is loaded at this row.
    Same(u32),
}

impl Store {
    /// An empty store; `keep_raw`: non-EICE events keep their raw JSON too.
    pub(crate) fn new(keep_raw: bool) -> Self {
        Self { keep_raw, ..Self::default() }
    }

    /// Room for `n` more rows without regrowing the columns (growing a column by doubling
    /// holds the old and new copies at once, which is what a load's peak memory is made of).
    pub(crate) fn reserve(&mut self, n: usize) {
        // Exact: `n` is an estimate already; doubling past it is what would overshoot.
        // Failure is fine: the columns then grow as rows arrive.
        let _ = self.time.try_reserve_exact(n);
        self.ids.reserve(n);
        let (ids, hasher) = (&self.ids, &self.id_hasher);
        // Tried, as the columns are: an estimate from hostile input (a file of tiny records
        // before a big one) must not abort on an allocation or a capacity overflow.
        let _ = self.by_id.try_reserve(n, |&j| ids.key(j as usize).hash_with(hasher));
        for c in &mut self.strs {
            c.reserve(n);
        }
        let _ = self.bits.try_reserve_exact(n);
        let _ = self.slot.try_reserve_exact(n);
        let _ = self.span.try_reserve_exact(n);
    }

    /// Gives back the room a load reserved and did not use (its estimate overshoots by a
    /// tenth), before the per-load indexes are built in it.
    pub(crate) fn shrink_to_fit(&mut self) {
        self.time.shrink_to_fit();
        self.ids.shrink_to_fit();
        for c in &mut self.strs {
            c.shrink_to_fit();
        }
        self.bits.shrink_to_fit();
        self.slot.shrink_to_fit();
        self.span.shrink_to_fit();
        self.full.shrink_to_fit();
    }

    /// Number of rows.
    pub(crate) fn len(&self) -> usize {
        self.time.len()
    }

    /// The event ID of row `i`.
    pub(crate) fn id_at(&self, i: usize) -> EventId<'_> {
        self.ids.get(i)
    }

    /// The order of the event IDs of rows `a` and `b` (as text).
    pub(crate) fn cmp_ids(&self, a: usize, b: usize) -> std::cmp::Ordering {
        self.ids.cmp(a, b)
    }

    /// The first row (lowest index) holding the event ID of this key: IDs are unique but for
    /// collisions ([`Found::Collision`]), where the first loaded of them answers.
    pub(crate) fn find(&self, key: Key<'_>) -> Option<u32> {
        let hash = key.hash_with(&self.id_hasher);
        self.by_id.iter_hash(hash).copied().filter(|&i| self.ids.key(i as usize) == key).min()
    }

    /// Whether `incoming` is an event already loaded: the same event ID, time, source and name.
    pub(crate) fn find_same(&self, incoming: &Incoming<'_>) -> Found {
        let key = incoming.key();
        let hash = key.hash_with(&self.id_hasher);
        let (time, source, name) = incoming.sameness();
        let mut found = Found::New;
        for &i in self.by_id.iter_hash(hash) {
            let row = i as usize;
            if self.ids.key(row) != key {
                continue;
            }
            if self.time[row] == time && self.text(col::SOURCE, row) == source && self.text(col::NAME, row) == name {
                return Found::Same(i);
            }
            found = Found::Collision;
        }
        found
    }

    /// Appends a row for a new event (its ID may collide with another's); returns its index.
    pub(crate) fn push(&mut self, incoming: Incoming<'_>) -> u32 {
        let i = u32::try_from(self.len()).unwrap_or(NONE);
        let key = incoming.key();
        let hash = key.hash_with(&self.id_hasher);
        self.ids.push(key);
        self.time.push(0);
        for c in &mut self.strs {
            c.push(NONE);
        }
        self.bits.push(0);
        self.slot.push(NONE);
        self.span.push(u64::MAX);
        self.set(i as usize, incoming);
        // After `set`, so the closure can read the new row's ID. Colliding IDs get an entry
        // each (`find_same` tells their events apart).
        let (ids, hasher) = (&self.ids, &self.id_hasher);
        self.by_id.insert_unique(hash, i, |&j| ids.key(j as usize).hash_with(hasher));
        i
    }

    /// The store's ids of each of `rows`' distinct strings, by column.
    pub(crate) fn map_rows(&mut self, rows: &Rows) -> [Vec<u32>; N_STR] {
        map_dicts(&mut self.dict, &rows.dict)
    }

    /// Replaces row `i` (the same event: a fuller copy won the dedupe).
    pub(crate) fn set(&mut self, i: usize, incoming: Incoming<'_>) {
        match incoming {
            Incoming::Event(event) => self.set_event(i, event),
            Incoming::Row(rows, j, map) => {
                self.time[i] = rows.time[j];
                for c in 0..N_STR {
                    self.strs[c].set(i, map[c][rows.strs[c][j] as usize]);
                }
                self.unhold(i);
                self.bits[i] = rows.bits[j];
                self.span[i] = rows.span[j];
                // The rows' raw JSON is read again by its span; a store that keeps raw text
                // keeps none for them.
                self.slot[i] = NONE;
            }
        }
    }

    /// The position in `full` of row `i`'s event, if it holds one.
    fn full_slot(&self, i: usize) -> Option<u32> {
        (self.bits[i] & B_EICE != 0).then_some(self.slot[i]).filter(|&s| s != NONE)
    }

    /// Row `i` stops holding a full event (the copy replacing it is not EICE-related); call
    /// before its bits change.
    fn unhold(&mut self, i: usize) {
        if let Some(old_full) = self.full_slot(i) {
            // Rare: its old slot is left unused.
            self.full[old_full as usize].row = NONE;
            self.slot[i] = NONE;
        }
    }

    fn set_event(&mut self, i: usize, event: Event) {
        self.time[i] = event.time_ms;
        for (k, s) in strings_of(&event).into_iter().enumerate() {
            let id = self.dict[k].intern(s);
            self.strs[k].set(i, id);
        }
        let eice = crate::eice::is_eice_relevant(&event);
        let old_full = self.full_slot(i);
        if !eice {
            self.unhold(i);
        }
        let old_raw = if old_full.is_none() { self.slot[i] } else { NONE };
        self.bits[i] = event.fidelity as u8
            | if event.is_lossy() { B_LOSSY } else { 0 }
            | if eice { B_EICE } else { 0 }
            | if event.is_failed() { B_FAILED } else { 0 }
            | if event.tunnel().is_some() { B_TUNNEL } else { 0 };
        self.span[i] = pack_span(event.span);
        if eice {
            // The row's columns hold its text fields: what is kept beyond them is the facts
            // (boxed: most EICE-related events are inventory records with none) and the raw
            // JSON, packed in the arena.
            let raw = self.full_raw.push(&event.raw);
            let facts = event.eice.map(Box::new);
            match old_full {
                None => {
                    self.slot[i] = u32::try_from(self.full.len()).unwrap_or(NONE);
                    self.full.push(Full { row: i as u32, facts, raw });
                }
                // The old raw JSON is left unused in the arena (rare).
                Some(slot) => {
                    let f = &mut self.full[slot as usize];
                    (f.facts, f.raw) = (facts, raw);
                }
            }
            return;
        }
        let keep = self.keep_raw || unpack_span(self.span[i]).is_none();
        self.slot[i] = if !keep {
            NONE
        } else if old_raw != NONE {
            self.raws[old_raw as usize] = event.raw.into_boxed_str();
            old_raw
        } else {
            self.raws.push(event.raw.into_boxed_str());
            u32::try_from(self.raws.len() - 1).unwrap_or(NONE)
        };
    }

    /// The fidelity of row `i`.
    pub(crate) fn fidelity(&self, i: usize) -> Fidelity {
        fidelity_of(self.bits[i])
    }

    /// The string id of column `c` at row `i`.
    pub(crate) fn sid(&self, c: usize, i: usize) -> u32 {
        self.strs[c].get(i)
    }

    /// Rows whose column `c` holds one of `values`, in row order: one id compare per row, no
    /// row built (the few trail changes among a million events, say).
    pub(crate) fn rows_with(&self, c: usize, values: &[&str]) -> Vec<u32> {
        let ids: Vec<u32> = values.iter().filter_map(|v| self.dict[c].find(v)).collect();
        if ids.is_empty() {
            return Vec::new();
        }
        (0..self.len()).filter(|&i| ids.contains(&self.strs[c].get(i))).map(|i| i as u32).collect()
    }

    /// The text of column `c` at row `i`.
    pub(crate) fn text(&self, c: usize, i: usize) -> &str {
        self.dict[c].get(self.strs[c].get(i))
    }

    /// The facts and raw JSON of an EICE-related row.
    pub(crate) fn full_event(&self, i: usize) -> Option<(Option<&EiceFacts>, &str)> {
        if i >= self.len() {
            return None;
        }
        let slot = self.full_slot(i)?;
        self.full.get(slot as usize).map(|f| (f.facts.as_deref(), self.full_raw.get(f.raw)))
    }

    /// Row `i`, borrowed.
    pub(crate) fn get(&self, i: usize) -> Option<EventRef<'_>> {
        if i >= self.len() {
            return None;
        }
        let full = self.full_event(i);
        let bits = self.bits[i];
        let raw = match full {
            Some((_, raw)) => raw,
            None if bits & B_EICE == 0 => self.raws.get(self.slot[i] as usize).map_or("", |r| r),
            None => "",
        };
        let eice = full.and_then(|(facts, _)| facts);
        Some(row_ref(i, self.id_at(i), self.time[i], |c| self.text(c, i), bits, eice, raw, self.span[i]))
    }

    /// Full EICE-related events with their row, in the order they were first loaded.
    pub(crate) fn full_events(&self) -> impl Iterator<Item = u32> + '_ {
        self.full.iter().map(|f| f.row).filter(|&i| i != NONE)
    }

    /// [`Store::full_events`] that carry EICE facts (tunnels, endpoint activity, key pushes):
    /// a few percent of them; the rest are inventory records kept for their raw JSON.
    pub(crate) fn fact_events(&self) -> impl Iterator<Item = u32> + '_ {
        self.full.iter().filter(|f| f.facts.is_some()).map(|f| f.row).filter(|&i| i != NONE)
    }

    /// Bytes held by the parts of the store, approximately: (name, bytes).
    pub(crate) fn breakdown(&self) -> Vec<(&'static str, usize)> {
        let dict: usize = self
            .dict
            .iter()
            .map(|d| d.values.iter().map(|v| v.len() + 16).sum::<usize>() + d.table.capacity() * 5)
            .sum();
        let full: usize = self.full.capacity() * std::mem::size_of::<Full>()
            + self.full.iter().filter(|f| f.facts.is_some()).count() * (std::mem::size_of::<EiceFacts>() + 64)
            + self.full_raw.bytes();
        let raws: usize = self.raws.iter().map(|r| r.len() + 16).sum();
        vec![
            (
                "columns",
                self.time.capacity() * 8
                    + self.strs.iter().map(IdCol::bytes).sum::<usize>()
                    + self.bits.capacity()
                    + self.slot.capacity() * 4
                    + self.span.capacity() * 8,
            ),
            ("event IDs", self.ids.bytes() + self.by_id.capacity() * 5),
            ("distinct strings", dict),
            ("full EICE events (raw included)", full),
            ("kept raw records", raws),
        ]
    }

    /// Distinct values per string column.
    pub(crate) fn distinct(&self) -> [usize; N_STR] {
        std::array::from_fn(|c| self.dict[c].len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_intern_once_and_find_again() {
        let mut s = Strings::default();
        let ids: Vec<u32> = (0..1000).map(|i| s.intern(&format!("v{}", i % 300))).collect();
        assert_eq!(s.len(), 300);
        for (i, id) in ids.iter().enumerate() {
            assert_eq!(s.get(*id), format!("v{}", i % 300));
        }
        assert_eq!(s.find("v7"), Some(ids[7]));
        assert_eq!(s.find("nope"), None);
        assert_eq!(s.get(NONE), "");
    }

    #[test]
    fn text_arena_keeps_every_text_whole() {
        let mut a = TextArena::default();
        let big = "x".repeat(TextArena::CHUNK + 3);
        let texts: Vec<String> = (0..3000)
            .map(|i| if i == 1500 { big.clone() } else { format!("{{\"n\":{i},\"é\":\"{}\"}}", "y".repeat(i % 700)) })
            .collect();
        let at: Vec<TextAt> = texts.iter().map(|t| a.push(t)).collect();
        for (t, at) in texts.iter().zip(at) {
            assert_eq!(a.get(at), t);
        }
        assert!(a.chunks.len() >= 2 && a.chunks.iter().all(|c| c.len() <= c.capacity()));
        assert_eq!(a.get(TextAt { chunk: 99, start: 0, len: 1 }), "");
    }

    #[test]
    fn spans_pack_and_unpack() {
        for span in [RawSpan { offset: 0, len: 0 }, RawSpan { offset: (1 << 40) - 1, len: (1 << 24) - 2 }] {
            assert_eq!(unpack_span(pack_span(Some(span))), Some(span));
        }
        assert_eq!(unpack_span(pack_span(None)), None);
        assert_eq!(unpack_span(pack_span(Some(RawSpan { offset: 1 << 40, len: 1 }))), None);
    }
}
