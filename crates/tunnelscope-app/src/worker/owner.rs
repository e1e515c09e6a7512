//! The owner (worker 0): what it holds (the dataset, its `File`s, the prepared views) and how a
//! load adds files to it, strictly in path order, whether the owner reads a file itself or a
//! helper parsed it or sent its bytes.

use std::collections::VecDeque;

use js_sys::{Array, Uint8Array};
use tunnelscope_core::ingest::files_from_wire;
use tunnelscope_core::sample::{SAMPLE_FILE_NAME, sample_trail_json};
use tunnelscope_core::{Dataset, ParsedFile};
use web_sys::File;

use crate::protocol::Response;
use crate::worker::engine::{Engine, wait_until};
use crate::worker::profile::{self, Phase};
use crate::worker::progress::{Counter, Throttle};
use crate::worker::raw_source::LoadedFiles;
use crate::worker::read::{ChunkReader, Prefetch, Source};
use crate::worker::view::Prepared;

/// What the owner holds: the dataset (compact: raw JSON only for EICE-related events), the
/// `File`s it was read from (to read other raw records again on demand), and what is prepared
/// from it for views (rebuilt lazily after every change, so a burst of loads prepares once).
pub(super) struct Holdings {
    pub(super) dataset: Dataset,
    pub(super) files: LoadedFiles,
    pub(super) prepared: Option<Prepared>,
}

impl Default for Holdings {
    fn default() -> Self {
        Self { dataset: Dataset::compact(), files: LoadedFiles::default(), prepared: None }
    }
}

impl Holdings {
    pub(super) fn prepared(&mut self) -> &Prepared {
        let dataset = &self.dataset;
        self.prepared.get_or_insert_with(|| Prepared::new(dataset))
    }

    fn add(&mut self, name: &str, parsed: ParsedFile) {
        self.prepared = None;
        self.dataset.add_parsed(name, parsed);
    }

    pub(super) fn add_sample(&mut self) {
        self.prepared = None;
        let bytes = sample_trail_json();
        // The compact dataset drops the raw JSON of the sample's unrelated events too: they are
        // read again, as any file's, from a `File` of the sample's bytes.
        let parts = Array::of1(&Uint8Array::from(bytes.as_slice()));
        if let Ok(file) = File::new_with_u8_array_sequence(&parts, SAMPLE_FILE_NAME) {
            self.files.insert(SAMPLE_FILE_NAME.to_owned(), file);
        }
        self.dataset.add_file(SAMPLE_FILE_NAME, &bytes);
    }
}

/// A piece of one of the owner's files, as the helper that reads it sends it.
pub(super) enum Pumped {
    /// The file's next bytes.
    Bytes(Uint8Array),
    /// The file's end; `ok` false when the helper could not read all of it (the owner then
    /// reads the file itself).
    End { ok: bool },
}

/// The owner: the next piece of its file `key` from the helper that reads it; `None` when
/// the load is cancelled meanwhile.
pub(super) async fn next_pumped(engine: &Engine, key: (u64, usize)) -> Option<Pumped> {
    wait_until(engine, || engine.pumped.borrow_mut().get_mut(&key).and_then(VecDeque::pop_front)).await
}

/// The owner: adds the files of one load in order, reading each one itself as a stream fed to
/// a `FileStream` or taking the bytes a parse helper sent for it (`parsers`), yielding to the
/// message queue every `YIELD_INTERVAL_MS`; stops between chunks when cancelled.
pub(super) async fn load_files(
    engine: &Engine,
    load_id: u64,
    names: &[String],
    files: &[File],
    parsers: &[usize],
    pump: Option<usize>,
) {
    let mine = |i: usize| parsers.get(i).copied().unwrap_or(0) == 0;
    profile::reset();
    profile::mark("owner: load starts");
    let mut counter = Counter {
        load_id,
        files_done: 0,
        files_total: files.len(),
        bytes_done: 0,
        // Helpers report the bytes and records of the files they read.
        bytes_total: files.iter().enumerate().filter(|(i, _)| mine(*i)).map(|(_, f)| f.size() as u64).sum(),
        records_done: 0,
        throttle: Throttle::NEW,
    };
    counter.post(engine, 0, true);
    // Room for the load's events, so the columns neither regrow (a regrowth holds two copies)
    // nor overshoot: for the first file at 1,000 bytes a record, then, once a thousand records
    // are in, for all the rest at the bytes per record seen so far, plus a tenth.
    let all_bytes: u64 = files.iter().map(|f| f.size() as u64).sum();
    let first = files.first().map_or(0, |f| f.size() as u64);
    engine.holdings.borrow_mut().dataset.reserve(usize::try_from(first / 1000).unwrap_or(0));
    let (mut bytes_added, mut records_added, mut fitted) = (0u64, 0u64, false);
    let mut reader = ChunkReader::new();
    let mut cancelled = false;
    let mut own_done = 0u64;
    // A pumped file is read by the helper; the others' small files are asked for ahead.
    let mut ahead = Prefetch::new(files, (0..files.len()).filter(|&i| mine(i) && pump.is_none()).collect());
    for (i, file) in files.iter().enumerate() {
        let name = names.get(i).cloned().unwrap_or_else(|| file.name());
        let parsed = if mine(i) {
            let source = match (pump, ahead.take(i)) {
                (_, Some(bytes)) => Source::Whole(bytes),
                (Some(helper), None) => Source::Pumped { key: (load_id, i), helper },
                (None, None) => Source::Stream,
            };
            match reader.read(engine, &name, file, source, &mut counter).await {
                Some(parsed) => {
                    counter.records_done += records_of(&parsed);
                    own_done += file.size() as u64;
                    parsed
                }
                None => {
                    cancelled = true;
                    break;
                }
            }
        } else {
            let since = profile::now();
            let Some(bytes) = wait_for(engine, load_id, i).await else {
                cancelled = true;
                break;
            };
            profile::count(Phase::Handover, since);
            profile::time(Phase::Add, || {
                files_from_wire(&bytes).unwrap_or_else(|e| vec![(name.clone(), ParsedFile::rejected(e))])
            })
        };
        {
            let since = profile::now();
            let mut holdings = engine.holdings.borrow_mut();
            holdings.files.insert(name.clone(), file.clone());
            // Events, not records: a file of millions of invalid `{}` must not make the
            // estimate of the events to come (bytes left / bytes per event) absurd.
            records_added += parsed.iter().map(|(_, p)| p.n_events() as u64).sum::<u64>();
            for (name, file) in parsed {
                holdings.add(&name, file);
            }
            bytes_added += file.size() as u64;
            if !fitted && records_added >= 1000 {
                fitted = true;
                let left = all_bytes.saturating_sub(bytes_added) / (bytes_added / records_added).max(1);
                holdings.dataset.reserve(usize::try_from(left + left / 10).unwrap_or(0));
            }
            profile::count(Phase::Add, since);
        }
        profile::mark("owner: file added");
        counter.files_done += 1;
        counter.post(engine, 0, false);
        if reader.yield_due(engine).await {
            cancelled = true;
            break;
        }
    }
    if cancelled {
        // What was read of the dropped file no longer counts.
        counter.bytes_done = own_done;
    }
    profile::mark("owner: files added");
    profile::time(Phase::Add, || engine.holdings.borrow_mut().dataset.shrink_to_fit());
    profile::mark("owner: Loaded");
    counter.post(engine, 0, true);
    engine.post(&Response::Loaded { load_id, cancelled });
}

/// Records found in a file's parsed results (valid or not).
pub(super) fn records_of(parsed: &[(String, ParsedFile)]) -> u64 {
    parsed.iter().map(|(_, p)| p.n_records() as u64).sum()
}

/// The owner: the bytes helper sent for file `index` of the load, waiting for them; `None`
/// when the load is cancelled meanwhile.
async fn wait_for(engine: &Engine, load_id: u64, index: usize) -> Option<Vec<u8>> {
    let bytes = wait_until(engine, || engine.inbox.borrow_mut().remove(&(load_id, index))).await?;
    Some(bytes.to_vec())
}
