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

/// A column of string ids, each as narrow as its dictionary allows: most fields have few
/// distinct values (tens of event names, a few Regions and accounts), so one or two bytes a
/// row instead of four. Widens, copying once, when the dictionary outgrows the width; the
/// width's all-ones value is [`NONE`].
#[derive(Debug, Clone)]
pub(crate) enum IdCol {
    U8(Vec<u8>),
    U16(Vec<u16>),
    U32(Vec<u32>),
}

impl Default for IdCol {
    fn default() -> Self {
        Self::U8(Vec::new())
    }
}

impl IdCol {
    /// The id at row `i`.
    #[inline]
    pub(crate) fn get(&self, i: usize) -> u32 {
        match self {
            Self::U8(v) => widen_none(u32::from(v[i]), u32::from(u8::MAX)),
            Self::U16(v) => widen_none(u32::from(v[i]), u32::from(u16::MAX)),
            Self::U32(v) => v[i],
        }
    }

    /// Makes the column wide enough for `id`.
    fn fit(&mut self, id: u32) {
        let need = if id == NONE || id < u32::from(u8::MAX) {
            return;
        } else if id < u32::from(u16::MAX) {
            1
        } else {
            2
        };
        let have = match self {
            Self::U8(_) => 0,
            Self::U16(_) => 1,
            Self::U32(_) => 2,
        };
        if need <= have {
            return;
        }
        let wide: Vec<u32> = (0..self.len()).map(|i| self.get(i)).collect();
        let cap = self.capacity();
        *self = if need == 1 {
            let mut v = Vec::with_capacity(cap);
            v.extend(wide.iter().map(|&x| if x == NONE { u16::MAX } else { x as u16 }));
            Self::U16(v)
        } else {
            let mut v = Vec::with_capacity(cap);
            v.extend_from_slice(&wide);
            Self::U32(v)
        };
    }

    /// Appends `id`.
    pub(crate) fn push(&mut self, id: u32) {
        self.fit(id);
        match self {
            // `fit` made room: an id that does not fit the width is NONE.
            Self::U8(v) => v.push(u8::try_from(id).unwrap_or(u8::MAX)),
            Self::U16(v) => v.push(u16::try_from(id).unwrap_or(u16::MAX)),
            Self::U32(v) => v.push(id),
        }
    }

    /// Sets row `i` to `id`.
    pub(crate) fn set(&mut self, i: usize, id: u32) {
        self.fit(id);
        match self {
            Self::U8(v) => v[i] = u8::try_from(id).unwrap_or(u8::MAX),
            Self::U16(v) => v[i] = u16::try_from(id).unwrap_or(u16::MAX),
            Self::U32(v) => v[i] = id,
        }
    }

    fn len(&self) -> usize {
        match self {
            Self::U8(v) => v.len(),
            Self::U16(v) => v.len(),
            Self::U32(v) => v.len(),
        }
    }

    fn capacity(&self) -> usize {
        match self {
            Self::U8(v) => v.capacity(),
            Self::U16(v) => v.capacity(),
            Self::U32(v) => v.capacity(),
        }
    }

    /// Heap bytes held.
    fn bytes(&self) -> usize {
        match self {
            Self::U8(v) => v.capacity(),
            Self::U16(v) => v.capacity() * 2,
            Self::U32(v) => v.capacity() * 4,
        }
    }

    /// Room for `n` more rows, exactly.
    fn reserve(&mut self, n: usize) {
        let _ = match self {
            Self::U8(v) => v.try_reserve_exact(n),
            Self::U16(v) => v.try_reserve_exact(n),
            Self::U32(v) => v.try_reserve_exact(n),
        };
    }

    fn shrink_to_fit(&mut self) {
        match self {
            Self::U8(v) => v.shrink_to_fit(),
            Self::U16(v) => v.shrink_to_fit(),
            Self::U32(v) => v.shrink_to_fit(),
        }
    }
}

/// `x`, or [`NONE`] when it is the narrow width's all-ones value.
#[inline]
fn widen_none(x: u32, none: u32) -> u32 {
    if x == none { NONE } else { x }
}

/// What an EICE-related row keeps beyond the columns.
#[derive(Debug, Clone)]
pub(crate) struct Full {
    /// Its row ([`NONE`] once a copy that is not EICE-related replaced it).
    row: u32,
    facts: Option<Box<EiceFacts>>,
    /// Its raw JSON in `Store::full_raw`.
    raw: TextAt,
}

/// Where a text is in a [`TextArena`].
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct TextAt {
    chunk: u32,
    start: u32,
    len: u32,
}

/// Texts packed in chunks of [`TextArena::CHUNK`] bytes: one allocation per megabyte instead
/// of one per text, and no regrowth (a growing buffer would hold two copies at its last step).
/// Small allocations kept from each parsed file would otherwise pin the holes the file's
/// freed memory leaves, and wasm memory only grows.
#[derive(Debug, Clone, Default)]
pub(crate) struct TextArena {
    chunks: Vec<String>,
}

impl TextArena {
    const CHUNK: usize = 1 << 20;

    /// Stores `text`.
    pub(crate) fn push(&mut self, text: &str) -> TextAt {
        let fits = self.chunks.last().is_some_and(|c| c.capacity() - c.len() >= text.len());
        if !fits {
            // A text longer than a chunk gets a chunk of its own size.
            self.chunks.push(String::with_capacity(text.len().max(Self::CHUNK)));
        }
        let chunk = self.chunks.len() - 1;
        let c = &mut self.chunks[chunk];
        let start = c.len();
        c.push_str(text);
        let n = |x: usize| u32::try_from(x).unwrap_or(u32::MAX);
        TextAt { chunk: n(chunk), start: n(start), len: n(text.len()) }
    }

    /// The text stored at `at`.
    pub(crate) fn get(&self, at: TextAt) -> &str {
        let (start, end) = (at.start as usize, at.start as usize + at.len as usize);
        self.chunks.get(at.chunk as usize).and_then(|c| c.get(start..end)).unwrap_or("")
    }

    /// Heap bytes held.
    pub(crate) fn bytes(&self) -> usize {
        self.chunks.iter().map(String::capacity).sum()
    }
}

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

/// One loaded event, borrowed from the store: the same fields as [`Event`], as text.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EventRef<'a> {
    /// Its position in the dataset.
    pub index: u32,
    /// `eventID`, or `content:<hash>`.
    pub event_id: EventId<'a>,
    /// Event time, UTC epoch milliseconds.
    pub time_ms: i64,
    /// `eventName`.
    pub event_name: &'a str,
    /// `eventSource`.
    pub event_source: &'a str,
    /// `awsRegion`.
    pub region: &'a str,
    /// Account.
    pub account: &'a str,
    /// Principal key (ARN).
    pub principal_arn: &'a str,
    /// Principal display name.
    pub principal: &'a str,
    /// `sourceIPAddress`.
    pub source_ip: &'a str,
    /// `userAgent`.
    pub user_agent: &'a str,
    /// `errorCode`.
    pub error_code: &'a str,
    /// `errorMessage`.
    pub error_message: &'a str,
    /// How complete the record is.
    pub fidelity: Fidelity,
    /// EICE facts, when EICE-related.
    pub eice: Option<&'a EiceFacts>,
    /// The raw record; empty when the compact dataset dropped it (see `span`).
    pub raw: &'a str,
    /// Where the raw record lies in its file's content.
    pub span: Option<RawSpan>,
    /// True for tunnels, endpoint activity, key pushes and inventory events.
    pub is_eice: bool,
    lossy: bool,
}

impl<'a> EventRef<'a> {
    /// The tunnel facts, when this event is an `OpenTunnel`.
    pub fn tunnel(&self) -> Option<&'a TunnelFacts> {
        match self.eice {
            Some(EiceFacts::Tunnel(t)) => Some(t),
            _ => None,
        }
    }

    /// The endpoint facts, when this event is endpoint activity.
    pub fn endpoint_activity(&self) -> Option<&'a EndpointFacts> {
        match self.eice {
            Some(EiceFacts::Endpoint(e)) => Some(e),
            _ => None,
        }
    }

    /// The key push, when this event is a `SendSSHPublicKey`.
    pub fn key_push(&self) -> Option<&'a KeyPushFacts> {
        match self.eice {
            Some(EiceFacts::KeyPush(k)) => Some(k),
            _ => None,
        }
    }

    /// As [`Event::is_lossy`].
    pub fn is_lossy(&self) -> bool {
        self.lossy
    }

    /// True when the call failed (has an `errorCode`).
    pub fn is_failed(&self) -> bool {
        !self.error_code.is_empty()
    }

    /// Endpoint IDs this event names (tunnel or endpoint activity).
    pub fn endpoint_ids(&self) -> Vec<&'a str> {
        match self.eice {
            Some(EiceFacts::Tunnel(t)) if !t.endpoint_id.is_empty() => vec![t.endpoint_id.as_str()],
            Some(EiceFacts::Endpoint(e)) => e.endpoint_ids.iter().map(String::as_str).collect(),
            _ => Vec::new(),
        }
    }

    /// The principal's key: ARN (or principal ID), else the display name for rows without one.
    pub fn principal_key(&self) -> &'a str {
        if self.principal_arn.is_empty() { self.principal } else { self.principal_arn }
    }

    /// An owned copy (raw as held: empty when dropped).
    pub fn to_event(&self) -> Event {
        Event {
            event_id: self.event_id.to_string(),
            time_ms: self.time_ms,
            event_name: self.event_name.to_owned(),
            event_source: self.event_source.to_owned(),
            region: self.region.to_owned(),
            account: self.account.to_owned(),
            principal_arn: self.principal_arn.to_owned(),
            principal: self.principal.to_owned(),
            source_ip: self.source_ip.to_owned(),
            user_agent: self.user_agent.to_owned(),
            error_code: self.error_code.to_owned(),
            error_message: self.error_message.to_owned(),
            fidelity: self.fidelity,
            eice: self.eice.cloned(),
            raw: self.raw.to_owned(),
            span: self.span,
        }
    }
}

impl Event {
    /// True when a compact dataset may let go of this event's raw text: it has a span to read
    /// it again by, it is not EICE-related, and nothing is derived from the text later (a full
    /// or wrapped record; a reloaded query row's lossiness is read from its text).
    pub fn raw_is_droppable(&self) -> bool {
        self.span.is_some() && self.fidelity >= Fidelity::Wrapped && !crate::eice::is_eice_relevant(self)
    }

    /// This event borrowed as an [`EventRef`] (not in any dataset: `index` is `u32::MAX`).
    pub fn view(&self) -> EventRef<'_> {
        EventRef {
            index: u32::MAX,
            event_id: EventId::text(&self.event_id),
            time_ms: self.time_ms,
            event_name: &self.event_name,
            event_source: &self.event_source,
            region: &self.region,
            account: &self.account,
            principal_arn: &self.principal_arn,
            principal: &self.principal,
            source_ip: &self.source_ip,
            user_agent: &self.user_agent,
            error_code: &self.error_code,
            error_message: &self.error_message,
            fidelity: self.fidelity,
            eice: self.eice.as_ref(),
            raw: &self.raw,
            span: self.span,
            is_eice: crate::eice::is_eice_relevant(self),
            lossy: self.is_lossy(),
        }
    }
}

fn strings_of(e: &Event) -> [&str; N_STR] {
    [
        &e.event_name,
        &e.event_source,
        &e.region,
        &e.account,
        &e.principal_arn,
        &e.principal,
        &e.source_ip,
        &e.user_agent,
        &e.error_code,
        &e.error_message,
    ]
}

/// Row `i` of a set of columns as an [`EventRef`]: `text(c)` is the row's text of column `c`.
#[allow(clippy::too_many_arguments)] // a row's columns, one argument each
fn row_ref<'a>(
    i: usize,
    event_id: EventId<'a>,
    time_ms: i64,
    text: impl Fn(usize) -> &'a str,
    bits: u8,
    eice: Option<&'a EiceFacts>,
    raw: &'a str,
    span: u64,
) -> EventRef<'a> {
    EventRef {
        index: u32::try_from(i).unwrap_or(NONE),
        event_id,
        time_ms,
        event_name: text(col::NAME),
        event_source: text(col::SOURCE),
        region: text(col::REGION),
        account: text(col::ACCOUNT),
        principal_arn: text(col::ARN),
        principal: text(col::PRINCIPAL),
        source_ip: text(col::SOURCE_IP),
        user_agent: text(col::AGENT),
        error_code: text(col::ERROR),
        error_message: text(col::MESSAGE),
        fidelity: fidelity_of(bits),
        eice,
        raw,
        span: unpack_span(span),
        is_eice: bits & B_EICE != 0,
        lossy: bits & B_LOSSY != 0,
    }
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

    /// The row holding the event ID of this key.
    pub(crate) fn find(&self, key: Key<'_>) -> Option<u32> {
        let hash = key.hash_with(&self.id_hasher);
        self.by_id.find(hash, |&i| self.ids.key(i as usize) == key).copied()
    }

    /// Appends a row for a new event ID; returns its index.
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
        // After `set`, so the closure can read the new row's ID.
        let (ids, hasher) = (&self.ids, &self.id_hasher);
        self.by_id.insert_unique(hash, i, |&j| ids.key(j as usize).hash_with(hasher));
        i
    }

    /// The store's ids of each of `rows`' distinct strings, by column.
    pub(crate) fn map_rows(&mut self, rows: &Rows) -> [Vec<u32>; N_STR] {
        map_dicts(&mut self.dict, &rows.dict)
    }

    /// Replaces row `i` (same event ID: a fuller copy won the dedupe).
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

impl Rows {
    /// Row `j` as an owned event (its raw JSON empty: it is read again by its span).
    pub fn event(&self, j: usize) -> Event {
        let text = |c| self.text(c, j);
        row_ref(j, self.id_at(j), self.time[j], text, self.bits[j], None, "", self.span[j]).to_event()
    }

    /// Every row as (record position, owned event), in row order.
    pub fn events(&self) -> impl Iterator<Item = (u32, Event)> + '_ {
        (0..self.len()).map(|j| (self.record[j], self.event(j)))
    }
}

impl PartialEq for Rows {
    /// The same events at the same positions (dictionary ids may differ).
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len() && self.events().eq(other.events())
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
