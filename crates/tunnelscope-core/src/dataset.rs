//! The dataset: loaded events, exact dedupe by event ID, per-file accounting, and the derived
//! EICE views (tunnel rows, endpoint changes, stats) that the CLI and the app share.

use std::cmp::Ordering;
use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use crate::ingest::{FileStatus, InvalidRecord, ParsedFile, Shape, parse_input};
use crate::model::{EndpointOp, Event, Fidelity};
use crate::store::{EventRef, Found, Incoming, Store, col};
use crate::time::format_rfc3339;

/// Invalid-record details kept per file (the count is always exact).
pub const MAX_INVALID_DETAILS_PER_FILE: usize = crate::ingest::MAX_INVALID_DETAILS;

/// What became of one file and its records.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FileReport {
    /// The path as given.
    pub name: String,
    /// Read, skipped or rejected.
    pub status: FileStatus,
    /// Why it was skipped or rejected.
    pub reason: String,
    /// The shape it was read as.
    pub shape: Option<Shape>,
    /// Records of this file that are loaded events.
    pub n_loaded: u64,
    /// Records of this file that duplicate an event kept from elsewhere.
    pub n_duplicates: u64,
    /// Records of this file that are not valid events.
    pub n_invalid: u64,
    /// The first invalid records, with position and reason.
    pub invalid: Vec<InvalidRecord>,
    /// What a person should know about a read file that is not a record's fault (trailing
    /// bytes after a gzip stream, …); see [`FileReport::all_notes`].
    pub notes: Vec<String>,
    /// Tunnels of this file whose `maxTunnelDuration` or `remotePort` EICE cannot produce
    /// ([`crate::model::TunnelFacts::out_of_range`]).
    pub n_out_of_range: u64,
    /// The event ID of the first of them.
    pub first_out_of_range: String,
    /// Records of this file loaded as new events although a different loaded event (another
    /// time, source or name) has their event ID: ID collisions (contracts.md §1).
    pub n_id_collisions: u64,
    /// The first [`MAX_COLLISION_IDS`] of those IDs, in load order.
    pub id_collisions: Vec<String>,
}

/// Colliding event IDs a file's report names (the count is always exact).
pub const MAX_COLLISION_IDS: usize = 5;

impl FileReport {
    /// [`FileReport::notes`], and a sentence on tunnels with out-of-range values.
    pub fn all_notes(&self) -> Vec<String> {
        let mut out = self.notes.clone();
        if self.n_out_of_range > 0 {
            let n = self.n_out_of_range;
            out.push(format!(
                "{n} {} a maxTunnelDuration or remotePort that EICE cannot produce (it accepts 1–3600 s and \
                 ports 1–65535), first event {}: kept as given, latest end at most 1 h after the start",
                if n == 1 { "tunnel has" } else { "tunnels have" },
                self.first_out_of_range
            ));
        }
        if self.n_id_collisions > 0 {
            let n = self.n_id_collisions;
            let ids: Vec<String> = self.id_collisions.iter().map(|id| format!("{id:?}")).collect();
            let more = if n > ids.len() as u64 { ", …" } else { "" };
            out.push(format!(
                "{n} {} an event ID that a different loaded event has (another time, source or name): both \
                 are loaded; {}: {}{more}",
                if n == 1 { "record reuses" } else { "records reuse" },
                if n == 1 { "ID" } else { "IDs" },
                ids.join(", ")
            ));
        }
        out
    }
}

/// One file's accounting as the CLI prints it (`stats --json` `files_detail`) and the page's
/// load report carries it (`file-status` data attributes): [`FileReport::detail`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileDetail {
    /// The path as given (archive members as `a.zip!/member`).
    pub file: String,
    /// `read`, `skipped` or `rejected`.
    pub status: FileStatus,
    /// Why it was skipped or rejected (empty when read).
    pub reason: String,
    /// The shape it was read as, if recognised.
    pub shape: Option<Shape>,
    /// Its records that are loaded events.
    pub loaded: u64,
    /// Its records that duplicate an event kept from elsewhere.
    pub duplicates: u64,
    /// Its records that are not valid events.
    pub invalid: u64,
    /// Its records loaded although another event has their event ID (ID collisions).
    #[serde(default)]
    pub id_collisions: u64,
}

impl FileReport {
    /// The file's accounting, in the shape both the CLI and the page's load report show.
    pub fn detail(&self) -> FileDetail {
        FileDetail {
            file: self.name.clone(),
            status: self.status,
            reason: self.reason.clone(),
            shape: self.shape,
            loaded: self.n_loaded,
            duplicates: self.n_duplicates,
            invalid: self.n_invalid,
            id_collisions: self.n_id_collisions,
        }
    }
}

/// The accounting and EICE counts (contracts.md §3 `stats --json`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Stats {
    /// Files by status.
    pub files: FileCounts,
    /// Records by status.
    pub records: RecordCounts,
    /// Tunnels (OpenTunnel attempts).
    pub tunnels: TunnelCounts,
    /// Endpoint activity by kind.
    pub endpoint_changes: EndpointChangeCounts,
    /// Distinct endpoint IDs named by tunnels and endpoint activity, sorted.
    pub endpoints: Vec<String>,
    /// Distinct principals of loaded events.
    pub principals: u64,
    /// Skipped and rejected files with reasons.
    pub problems: Vec<Problem>,
    /// Loaded events whose event ID an earlier loaded, different event has (ID collisions:
    /// contracts.md §1); each file's report names them.
    #[serde(default)]
    pub id_collisions: u64,
}

/// Files by status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct FileCounts {
    /// Read files.
    pub read: u64,
    /// Skipped files.
    pub skipped: u64,
    /// Rejected files.
    pub rejected: u64,
}

/// Records by status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct RecordCounts {
    /// Loaded events.
    pub loaded: u64,
    /// Duplicate records.
    pub duplicates: u64,
    /// Invalid records.
    pub invalid: u64,
}

/// Tunnel counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct TunnelCounts {
    /// All OpenTunnel attempts.
    pub total: u64,
    /// Attempts with an `errorCode`.
    pub failed: u64,
}

/// Endpoint activity counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct EndpointChangeCounts {
    /// Create calls.
    pub create: u64,
    /// Modify calls.
    pub modify: u64,
    /// Delete calls.
    pub delete: u64,
    /// Describe calls.
    pub describe: u64,
}

impl EndpointChangeCounts {
    /// Counts one endpoint call.
    pub fn count(&mut self, op: EndpointOp) {
        match op {
            EndpointOp::Create => self.create += 1,
            EndpointOp::Modify => self.modify += 1,
            EndpointOp::Delete => self.delete += 1,
            EndpointOp::Describe => self.describe += 1,
        }
    }
}

/// A skipped or rejected file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Problem {
    /// The path as given.
    pub file: String,
    /// `skipped` or `rejected`.
    pub status: FileStatus,
    /// Why.
    pub reason: String,
}

/// How a tunnel's target instance was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Pairing {
    /// From a `SendSSHPublicKey` just before the tunnel.
    KeyPush,
    /// From instance inventory events in the data.
    IpInventory,
    /// Several candidates disagree.
    Ambiguous,
    /// Not found.
    None,
}

/// One tunnel, in the contract's columns and order (contracts.md §3).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TunnelRow {
    /// `eventID`.
    pub event_id: String,
    /// Start, RFC 3339 UTC.
    pub time: String,
    /// Endpoint ID.
    pub endpoint_id: String,
    /// Target private IP.
    pub private_ip: String,
    /// Remote port.
    pub port: Option<u32>,
    /// Max duration, given or assumed.
    pub max_duration_secs: u64,
    /// True when the max duration was assumed.
    pub max_duration_assumed: bool,
    /// Latest possible end, RFC 3339 UTC.
    pub latest_end: String,
    /// `accepted` or `failed`.
    pub outcome: String,
    /// `errorCode`.
    pub error_code: String,
    /// Principal display name.
    pub principal: String,
    /// Principal key (ARN).
    pub principal_arn: String,
    /// Source IP.
    pub source_ip: String,
    /// User agent.
    pub user_agent: String,
    /// Account.
    pub account: String,
    /// Region.
    pub region: String,
    /// Instance ID, when paired.
    pub instance_id: String,
    /// OS user, when paired by key push.
    pub os_user: String,
    /// How the instance was found.
    pub pairing: Pairing,
}

/// One endpoint activity event, for the endpoint-change list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EndpointChangeRow {
    /// `eventID`.
    pub event_id: String,
    /// Time, RFC 3339 UTC.
    pub time: String,
    /// `create`, `modify`, `delete` or `describe`.
    pub op: String,
    /// The event name.
    pub event_name: String,
    /// Endpoint IDs named.
    pub endpoint_ids: Vec<String>,
    /// Principal display name.
    pub principal: String,
    /// Source IP.
    pub source_ip: String,
    /// Subnet.
    pub subnet_id: String,
    /// VPC.
    pub vpc_id: String,
    /// Security groups.
    pub security_group_ids: Vec<String>,
    /// `preserveClientIp` as logged.
    pub preserve_client_ip: Option<bool>,
    /// Endpoint state in the response.
    pub state: String,
    /// `errorCode`.
    pub error_code: String,
    /// Account.
    pub account: String,
    /// Region.
    pub region: String,
}

/// Where a loaded event came from: its file and record position (for dedupe precedence).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Origin {
    file: u32,
    record: u32,
}

/// Where each event was loaded from, in about four bytes an event: events arrive file by
/// file, so the file is kept as runs (the first event of each run), and the rare event a
/// later file's fuller copy replaced is noted apart.
#[derive(Debug, Clone, Default)]
struct Origins {
    record: Vec<u32>,
    /// (first event, file) of each run of events from one file, by first event.
    runs: Vec<(u32, u32)>,
    /// Events whose file is no longer their run's (replaced by a copy from another file).
    moved: hashbrown::HashMap<u32, u32>,
}

impl Origins {
    fn push(&mut self, o: Origin) {
        let i = self.record.len() as u32;
        if self.runs.last().is_none_or(|&(_, f)| f != o.file) {
            self.runs.push((i, o.file));
        }
        self.record.push(o.record);
    }

    fn get(&self, i: usize) -> Option<Origin> {
        let record = *self.record.get(i)?;
        let i = i as u32;
        let file = match self.moved.get(&i) {
            Some(&f) => f,
            None => self.runs[self.runs.partition_point(|&(first, _)| first <= i) - 1].1,
        };
        Some(Origin { file, record })
    }

    fn set(&mut self, i: usize, o: Origin) {
        self.record[i] = o.record;
        let i = i as u32;
        self.moved.remove(&i);
        if self.get(i as usize).is_some_and(|now| now.file != o.file) {
            self.moved.insert(i, o.file);
        }
    }
}

/// Loaded events with exact dedupe and per-file accounting, in a compact columnar store
/// (`store.rs`): every event keeps the fields the table and the query language read; full
/// events with raw JSON are kept for EICE-related events. A dataset made with
/// [`Dataset::compact`] drops the raw JSON of the other events where it can be read again
/// from the file ([`EventRef::span`]); [`Dataset::new`] keeps it (the CLI, tests).
#[derive(Debug, Clone)]
pub struct Dataset {
    files: Vec<FileReport>,
    store: Store,
    origins: Origins,
}

impl Default for Dataset {
    fn default() -> Self {
        Self::new()
    }
}

impl Dataset {
    /// An empty dataset that keeps every event's raw JSON.
    pub fn new() -> Self {
        Self { files: Vec::new(), store: Store::new(true), origins: Origins::default() }
    }

    /// An empty dataset that keeps raw JSON only for EICE-related events and for records
    /// without a span (issue 5: a compact dataset; the rest is re-read from the file on demand).
    pub fn compact() -> Self {
        Self { files: Vec::new(), store: Store::new(false), origins: Origins::default() }
    }

    /// Reads one file's bytes and adds what it holds; returns its report (for an archive, the
    /// report of its last member: see [`Dataset::add_file_reports`] for all of them).
    pub fn add_file(&mut self, name: &str, bytes: &[u8]) -> &FileReport {
        // Always at least one report: an empty or unreadable archive is one rejected file.
        self.add_file_reports(name, bytes);
        &self.files[self.files.len() - 1]
    }

    /// Reads one file's bytes, expanding a zip archive into its members (`a.zip!/member`),
    /// and returns the reports of the files added (at least one).
    pub fn add_file_reports(&mut self, name: &str, bytes: &[u8]) -> &[FileReport] {
        let first = self.files.len();
        for (file, parsed) in parse_input(name, bytes) {
            self.add_parsed(&file, parsed);
        }
        &self.files[first..]
    }

    /// Adds an already parsed file.
    pub fn add_parsed(&mut self, name: &str, parsed: ParsedFile) -> &FileReport {
        let file_idx = u32::try_from(self.files.len()).unwrap_or(u32::MAX);
        let n_invalid = parsed.n_invalid() as u64;
        let mut invalid = parsed.invalid;
        invalid.truncate(MAX_INVALID_DETAILS_PER_FILE);
        // A read file's reason is a note (the file was read, but not all of it).
        let (reason, notes) = match parsed.status {
            FileStatus::Read if !parsed.reason.is_empty() => (String::new(), vec![parsed.reason]),
            _ => (parsed.reason, Vec::new()),
        };
        self.files.push(FileReport {
            name: name.to_owned(),
            status: parsed.status,
            reason,
            shape: parsed.shape,
            n_loaded: 0,
            n_duplicates: 0,
            n_invalid,
            invalid,
            notes,
            n_out_of_range: 0,
            first_out_of_range: String::new(),
            n_id_collisions: 0,
            id_collisions: Vec::new(),
        });
        self.insert_parsed(file_idx, parsed.events, &parsed.rows);
        &self.files[self.files.len() - 1]
    }

    /// Adds the next piece of the last file added (its records moved to their place in the
    /// file: [`crate::ingest::split::Merger::next`]) to that file's counts, as if it had come
    /// with it: a file cut in pieces goes in while its later pieces are being parsed. Invalid
    /// records are the whole file's to judge, so a piece has none (else it is not added).
    /// False, adding nothing, when no file was added or the piece has invalid records.
    pub fn add_more(&mut self, parsed: ParsedFile) -> bool {
        let Some(last) = self.files.len().checked_sub(1) else { return false };
        if parsed.n_invalid() > 0 {
            return false;
        }
        self.insert_parsed(u32::try_from(last).unwrap_or(u32::MAX), parsed.events, &parsed.rows);
        true
    }

    /// Inserts a file's events and rows in record order, as a file read without rows would add them.
    fn insert_parsed(&mut self, file_idx: u32, events: Vec<(u32, crate::model::Event)>, rows: &crate::store::Rows) {
        if let Some(report) = self.files.get_mut(file_idx as usize) {
            for (_, e) in events.iter().filter(|(_, e)| e.tunnel().is_some_and(|t| t.out_of_range)) {
                if report.n_out_of_range == 0 {
                    report.first_out_of_range.clone_from(&e.event_id);
                }
                report.n_out_of_range += 1;
            }
        }
        let map = self.store.map_rows(rows);
        let mut events = events.into_iter().peekable();
        let mut j = 0;
        loop {
            let row_first = j < rows.len() && events.peek().is_none_or(|(record, _)| rows.record[j] < *record);
            if row_first {
                self.insert(Origin { file: file_idx, record: rows.record[j] }, Incoming::Row(rows, j, &map));
                j += 1;
            } else if let Some((record, event)) = events.next() {
                self.insert(Origin { file: file_idx, record }, Incoming::Event(event));
            } else {
                break;
            }
        }
    }

    /// Empties the dataset (keeping its raw-JSON policy).
    pub fn clear(&mut self) {
        *self = if self.store.keep_raw { Self::new() } else { Self::compact() };
    }

    /// Inserts one event: a record of an event already loaded (the same event ID, time, source
    /// and name) keeps the fuller copy, then the one from the earliest path and position; a
    /// reused ID with another event is loaded and noted as an ID collision.
    fn insert(&mut self, origin: Origin, event: Incoming<'_>) {
        match self.store.find_same(&event) {
            found @ (Found::New | Found::Collision) => {
                if found == Found::Collision {
                    let report = &mut self.files[origin.file as usize];
                    report.n_id_collisions += 1;
                    if report.id_collisions.len() < MAX_COLLISION_IDS {
                        let id = match &event {
                            Incoming::Event(e) => e.event_id.clone(),
                            Incoming::Row(rows, j, _) => rows.id_at(*j).as_str().to_owned(),
                        };
                        report.id_collisions.push(id);
                    }
                }
                self.store.push(event);
                self.origins.push(origin);
                self.files[origin.file as usize].n_loaded += 1;
            }
            Found::Same(idx) => {
                let idx = idx as usize;
                let old = self.origins.get(idx).unwrap_or(origin);
                if self.precedes(event.fidelity(), origin, self.store.fidelity(idx), old) {
                    self.files[old.file as usize].n_loaded -= 1;
                    self.files[old.file as usize].n_duplicates += 1;
                    self.files[origin.file as usize].n_loaded += 1;
                    self.store.set(idx, event);
                    self.origins.set(idx, origin);
                } else {
                    self.files[origin.file as usize].n_duplicates += 1;
                }
            }
        }
    }

    /// The dedupe order: fuller first, then sorted path, then record position.
    fn precedes(&self, a: Fidelity, a_origin: Origin, b: Fidelity, b_origin: Origin) -> bool {
        let by_fidelity = b.cmp(&a);
        let by_path = self.files[a_origin.file as usize].name.cmp(&self.files[b_origin.file as usize].name);
        let order = by_fidelity.then(by_path).then(a_origin.record.cmp(&b_origin.record));
        order == Ordering::Less
    }

    /// Makes room for `n` more events, exactly (a load estimates `n` from its bytes: CloudTrail
    /// records are 1–1.5 KB), so the columns do not regrow while loading.
    pub fn reserve(&mut self, n: usize) {
        self.store.reserve(n);
        let _ = self.origins.record.try_reserve_exact(n);
    }

    /// Gives back the room [`Dataset::reserve`] made and the load did not fill.
    pub fn shrink_to_fit(&mut self) {
        self.store.shrink_to_fit();
        self.origins.record.shrink_to_fit();
    }

    /// Number of loaded events.
    pub fn len(&self) -> usize {
        self.store.len()
    }

    /// True when no event is loaded.
    pub fn is_empty(&self) -> bool {
        self.store.len() == 0
    }

    /// The loaded event at this position (positions follow insertion order).
    pub fn get(&self, index: u32) -> Option<EventRef<'_>> {
        self.store.get(index as usize)
    }

    /// Loaded events, in insertion order.
    pub fn iter(&self) -> impl Iterator<Item = EventRef<'_>> + '_ {
        (0..self.store.len()).filter_map(|i| self.store.get(i))
    }

    /// EICE-related events (full, with raw JSON) and their positions, in first-load order.
    pub fn eice_events(&self) -> impl Iterator<Item = (u32, EventRef<'_>)> + '_ {
        self.store.full_events().filter_map(|i| Some((i, self.store.get(i as usize)?)))
    }

    /// The EICE events with facts ([`EventRef::eice`]: tunnels, endpoint activity, key
    /// pushes), in insertion order: what most views read, without building an [`EventRef`]
    /// for each of the far more numerous inventory records (`RunInstances` and the like).
    pub fn fact_events(&self) -> impl Iterator<Item = (u32, EventRef<'_>)> + '_ {
        self.store.fact_events().filter_map(|i| Some((i, self.store.get(i as usize)?)))
    }

    /// The events named one of `names` (`eventName`, exact), in insertion order, found in the
    /// name column without building the others.
    pub fn events_named<'a>(&'a self, names: &[&str]) -> impl Iterator<Item = (u32, EventRef<'a>)> + 'a {
        let rows = self.store.rows_with(crate::rows::col::NAME, names);
        rows.into_iter().filter_map(|i| Some((i, self.store.get(i as usize)?)))
    }

    /// The event at this position, when it is EICE-related (its facts and raw JSON held).
    pub fn full_event(&self, index: u32) -> Option<EventRef<'_>> {
        self.store.full_event(index as usize)?;
        self.store.get(index as usize)
    }

    /// Owned copies of the loaded events, in insertion order (for tests and small data: the
    /// dataset itself holds them compactly).
    pub fn events(&self) -> Vec<Event> {
        self.iter().map(|e| e.to_event()).collect()
    }

    /// Per-file reports, in the order files were added.
    pub fn files(&self) -> &[FileReport] {
        &self.files
    }

    /// True when the event at this position is EICE-related (`export::is_eice_relevant`).
    pub fn is_eice(&self, index: u32) -> bool {
        self.store.bits.get(index as usize).is_some_and(|b| b & crate::store::B_EICE != 0)
    }

    /// The name of the file an event was loaded from (for re-reading its raw record).
    pub fn file_of(&self, index: u32) -> Option<&str> {
        let o = self.origins.get(index as usize)?;
        self.files.get(o.file as usize).map(|f| f.name.as_str())
    }

    /// The loaded event with this ID (of events sharing an ID, an ID collision, the first loaded).
    pub fn event(&self, event_id: &str) -> Option<EventRef<'_>> {
        self.store.find(crate::ids::Key::of(event_id)).and_then(|i| self.store.get(i as usize))
    }

    /// The position of the event with this ID (of events sharing it, the first loaded).
    pub fn index_of(&self, event_id: &str) -> Option<u32> {
        self.store.find(crate::ids::Key::of(event_id))
    }

    /// Approximate bytes per part of the event store, and distinct values per string column
    /// (name, source, Region, account, ARN, principal, source IP, user agent, error, message).
    pub fn store_breakdown(&self) -> (Vec<(&'static str, usize)>, Vec<usize>) {
        (self.store.breakdown(), self.store.distinct().to_vec())
    }

    pub(crate) fn store(&self) -> &Store {
        &self.store
    }

    /// Indices of loaded events in time order (ties by event ID, so the order is stable).
    pub fn time_order(&self) -> Vec<u32> {
        // Sort (time, index) keys, then order each run of equal times by event ID: most
        // comparisons then touch only integers. A key is one u64 (time from the earliest,
        // index in the low bits) where that fits, as it does for any real trail: half the
        // memory of (i64, u32) pairs, which at millions of events is the load's peak.
        let time = &self.store.time;
        let n = self.store.len();
        let bits = usize::BITS - n.leading_zeros();
        let (lo, hi) = (time.iter().min().copied().unwrap_or(0), time.iter().max().copied().unwrap_or(0));
        let span = hi.checked_sub(lo).and_then(|s| u64::try_from(s).ok());
        // No events: no index bits, and a shift by 64 would overflow (it panicked in debug).
        let fits = |s: u64| bits < 64 && 1u64.checked_shl(64 - bits).is_none_or(|limit| s < limit);
        let mut idx: Vec<u32> = match span.filter(|&s| fits(s)) {
            Some(_) => {
                let mut keys: Vec<u64> = (0..n).map(|i| (((time[i] - lo) as u64) << bits) | i as u64).collect();
                keys.sort_unstable();
                let mask = (1u64 << bits) - 1;
                keys.iter().map(|&k| (k & mask) as u32).collect()
            }
            None => {
                let mut keys: Vec<(i64, u32)> = (0..n as u32).map(|i| (time[i as usize], i)).collect();
                keys.sort_unstable();
                keys.iter().map(|&(_, i)| i).collect()
            }
        };
        let mut start = 0;
        while start < n {
            let t = time[idx[start] as usize];
            let mut end = start + 1;
            while end < n && time[idx[end] as usize] == t {
                end += 1;
            }
            if end - start > 1 {
                idx[start..end].sort_unstable_by(|&a, &b| self.store.cmp_ids(a as usize, b as usize));
            }
            start = end;
        }
        idx
    }

    /// The accounting and EICE counts over everything loaded.
    pub fn stats(&self) -> Stats {
        // `stats_of(self.iter())` without building every event: the EICE counts from the
        // events with facts (the only ones they count), the principals of all from the
        // columns, by string id (each column's strings are interned: equal ids, equal text).
        let mut s = self.stats_of(self.fact_events().map(|(_, e)| e));
        let store = &self.store;
        let mut principals = hashbrown::HashSet::new();
        for i in 0..store.len() {
            // As `stats_of`: the ARN when there is one, else the display name (CSV rows).
            if !store.text(col::ARN, i).is_empty() {
                principals.insert((true, store.sid(col::ARN, i)));
            } else if !store.text(col::PRINCIPAL, i).is_empty() {
                principals.insert((false, store.sid(col::PRINCIPAL, i)));
            }
        }
        s.principals = principals.len() as u64;
        s
    }

    /// The accounting plus EICE counts over the given subset of loaded events.
    pub fn stats_of<'a>(&'a self, events: impl Iterator<Item = EventRef<'a>>) -> Stats {
        let mut s = Stats::default();
        for f in &self.files {
            match f.status {
                FileStatus::Read => s.files.read += 1,
                FileStatus::Skipped => s.files.skipped += 1,
                FileStatus::Rejected => s.files.rejected += 1,
            }
            s.records.loaded += f.n_loaded;
            s.records.duplicates += f.n_duplicates;
            s.records.invalid += f.n_invalid;
            s.id_collisions += f.n_id_collisions;
            if f.status != FileStatus::Read {
                s.problems.push(Problem { file: f.name.clone(), status: f.status, reason: f.reason.clone() });
            }
        }
        let mut endpoints = BTreeSet::new();
        // Hashed, not ordered: only their number is wanted, and ordering every event's ARN
        // against the others (long shared prefixes) was most of the time of the counts.
        let mut principals = hashbrown::HashSet::new();
        for e in events {
            // CSV rows know a person only by name: count them by that.
            if !e.principal_arn.is_empty() {
                principals.insert((e.principal_arn, ""));
            } else if !e.principal.is_empty() {
                principals.insert(("", e.principal));
            }
            if e.tunnel().is_some() {
                s.tunnels.total += 1;
                s.tunnels.failed += u64::from(e.is_failed());
            }
            if let Some(op) = e.endpoint_activity().and_then(|a| a.op) {
                s.endpoint_changes.count(op);
            }
            endpoints.extend(e.endpoint_ids());
        }
        s.endpoints = endpoints.into_iter().map(str::to_owned).collect();
        s.principals = principals.len() as u64;
        s
    }

    /// The EICE events with facts ([`Dataset::fact_events`]) that `keep` accepts, in time order
    /// (ties by event ID). Filtered before they are gathered: all of them at once would hold a
    /// few hundred bytes for each of what can be hundreds of thousands of events.
    pub fn eice_time_order(&self, keep: impl Fn(&EventRef<'_>) -> bool) -> Vec<(u32, EventRef<'_>)> {
        let mut v: Vec<(u32, EventRef<'_>)> = self.fact_events().filter(|(_, e)| keep(e)).collect();
        v.sort_by(|a, b| a.1.time_ms.cmp(&b.1.time_ms).then_with(|| a.1.event_id.cmp(&b.1.event_id)));
        v
    }

    /// Every endpoint activity event (Create, Modify, Delete, Describe) in time order.
    pub fn endpoint_change_rows(&self) -> Vec<EndpointChangeRow> {
        self.endpoint_change_rows_indexed().into_iter().map(|(_, row)| row).collect()
    }

    /// [`Dataset::endpoint_change_rows`], each with its event's position.
    pub fn endpoint_change_rows_indexed(&self) -> Vec<(u32, EndpointChangeRow)> {
        self.eice_time_order(|e| e.endpoint_activity().is_some())
            .into_iter()
            .filter_map(|(i, e)| e.endpoint_activity().map(|a| (i, e, a)))
            .map(|(i, e, a)| {
                (
                    i,
                    EndpointChangeRow {
                        event_id: e.event_id.to_string(),
                        time: format_rfc3339(e.time_ms),
                        op: a.op.map(EndpointOp::key).unwrap_or_default().to_owned(),
                        event_name: e.event_name.to_owned(),
                        endpoint_ids: a.endpoint_ids.clone(),
                        principal: e.principal.to_owned(),
                        source_ip: e.source_ip.to_owned(),
                        subnet_id: a.subnet_id.clone(),
                        vpc_id: a.vpc_id.clone(),
                        security_group_ids: a.security_group_ids.clone(),
                        preserve_client_ip: a.preserve_client_ip,
                        state: a.state.clone(),
                        error_code: e.error_code.to_owned(),
                        account: e.account.to_owned(),
                        region: e.region.to_owned(),
                    },
                )
            })
            .collect()
    }
}

/// `start + max duration`, the duration capped at EICE's longest tunnel
/// ([`crate::eice::MAX_TUNNEL_SECS`]: a record that claims more cannot make a tunnel longer),
/// saturating.
pub fn latest_end_ms(start_ms: i64, max_duration_secs: u64) -> i64 {
    let secs = max_duration_secs.min(crate::eice::MAX_TUNNEL_SECS) as i64;
    start_ms.saturating_add(secs * 1000)
}
