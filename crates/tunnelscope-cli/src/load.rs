//! Finding input files and loading them on every core into one dataset, in sorted path order.

use std::collections::{HashMap, HashSet, VecDeque};
use std::fs;
use std::io::{IsTerminal, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use tunnelscope_core::Dataset;
use tunnelscope_core::export::terminal_safe;
use tunnelscope_core::ingest::{self, ParsedFile};

use flate2::read::MultiGzDecoder;

use tunnelscope_core::ingest::split::{self, Piece};

/// One input file: its name as shown (the path as given, joined) and where to read it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct InputFile {
    pub(crate) name: String,
    pub(crate) path: PathBuf,
}

/// Every file under the given paths (folders recursively), sorted by name and deduplicated, so
/// the load order does not depend on the order paths were given in.
pub(crate) fn collect_files(paths: &[PathBuf]) -> Result<Vec<InputFile>, String> {
    let mut files = Vec::new();
    let mut seen_dirs = HashSet::new();
    for p in paths {
        let meta = fs::metadata(p).map_err(|e| format!("{}: {e}", shown(p)))?;
        if meta.is_dir() {
            walk(p, &mut files, &mut seen_dirs)?;
        } else {
            files.push(InputFile { name: p.to_string_lossy().into_owned(), path: p.clone() });
        }
    }
    files.sort();
    // The same path given twice (or inside a folder also given) is one file, not duplicates.
    files.dedup();
    Ok(files)
}

/// True when `a` and `b` name the same existing file (`b` may not exist yet).
pub(crate) fn same_file(a: &Path, b: &Path) -> bool {
    // Names differ in most cases; only then pay for resolving both paths.
    a.file_name() == b.file_name() && matches!((fs::canonicalize(a), fs::canonicalize(b)), (Ok(x), Ok(y)) if x == y)
}

fn shown(p: &Path) -> String {
    terminal_safe(&p.to_string_lossy()).into_owned()
}

/// Recursive folder walk; symlinked folders are followed once (canonical path), so loops end.
fn walk(dir: &Path, files: &mut Vec<InputFile>, seen_dirs: &mut HashSet<PathBuf>) -> Result<(), String> {
    let canonical = fs::canonicalize(dir).map_err(|e| format!("{}: {e}", shown(dir)))?;
    if !seen_dirs.insert(canonical) {
        return Ok(());
    }
    let entries = fs::read_dir(dir).map_err(|e| format!("{}: {e}", shown(dir)))?;
    for entry in entries {
        let entry = entry.map_err(|e| format!("{}: {e}", shown(dir)))?;
        let path = entry.path();
        let mut ft = entry.file_type().map_err(|e| format!("{}: {e}", shown(&path)))?;
        if ft.is_symlink() {
            match fs::metadata(&path) {
                Ok(m) => ft = m.file_type(),
                // A dangling link holds nothing to read; it is not an input file.
                Err(_) => continue,
            }
        }
        if ft.is_dir() {
            walk(&path, files, seen_dirs)?;
        } else if ft.is_file() {
            files.push(InputFile { name: path.to_string_lossy().into_owned(), path });
        }
    }
    Ok(())
}

type Parsed = Result<Vec<(String, ParsedFile)>, String>;

/// A file being cut: its pieces joined so far (in order, as they come), those that came early,
/// and how many there are once known.
#[derive(Default)]
struct CutFile {
    merger: split::Merger,
    early: Vec<Option<Parsed1>>,
    joined: usize,
    pieces: Option<usize>,
    /// The cut the last piece joined ends at (pieces read by offsets).
    last_cut: Option<Cut>,
    adjacent: bool,
    /// Whether the pieces go straight into the dataset as they join, instead of into one
    /// result added at the end (decided at the first piece): so adding them is not left to
    /// after the last piece, on one thread. Only for the first file of a load, into a dataset
    /// that holds nothing, which a piece that fails can simply empty again.
    direct: Option<bool>,
    /// Whether the file's report is in the dataset (its first piece with records went in).
    reported: bool,
}

impl CutFile {
    /// Takes a parsed piece and joins those next in order; `dataset`: the dataset and the
    /// file's name once every file before this one was added (see [`CutFile::direct`]).
    fn add(&mut self, piece: Parsed1, dataset: Option<(&mut Dataset, &str)>) {
        let direct = *self.direct.get_or_insert_with(|| dataset.as_ref().is_some_and(|(d, _)| d.files().is_empty()));
        let mut direct = dataset.filter(|_| direct);
        let k = piece.k;
        if self.early.len() <= k {
            self.early.resize_with(k + 1, || None);
        }
        self.early[k] = Some(piece);
        while let Some(p) = self.early.get_mut(self.joined).and_then(Option::take) {
            // Pieces read by offsets must meet at the same cut (else records would be lost or
            // read twice while every piece parses cleanly): the first starts at 0.
            if let Some((start, end)) = p.cuts {
                self.adjacent = self.joined == 0 && start == (0, 0) || self.adjacent && self.last_cut == Some(start);
                self.last_cut = Some(end);
            } else {
                self.adjacent = true;
            }
            // Once a piece needs the whole file, the rest are only counted.
            let clean = self.adjacent
                && p.parsed.is_none_or(|parsed| match direct.as_mut() {
                    Some((dataset, name)) => match self.merger.next(parsed, p.shift) {
                        Some(piece) if self.reported => dataset.add_more(piece),
                        Some(piece) => {
                            self.reported = true;
                            dataset.add_parsed(name, piece);
                            true
                        }
                        None => false,
                    },
                    None => self.merger.push(parsed, p.shift),
                });
            if !clean {
                self.merger = split::Merger::failed();
            }
            self.joined += 1;
        }
    }

    fn complete(&self) -> bool {
        self.pieces == Some(self.joined)
    }
}

/// What a worker sends back: a whole file's result, one piece of a file being cut, or how many
/// pieces a cut file has.
// One message per file or piece: the size of a parsed file on the channel does not matter.
#[allow(clippy::large_enum_variant)]
enum Done {
    Whole(usize, Parsed),
    Piece(usize, Parsed1),
    Pieces(usize, usize),
}

/// A parsed piece of a file: its number, result, shift, and for a range read by offsets the
/// guessed cuts it starts and ends at (each as the end of the record before and the start of
/// the next), which the neighbouring pieces must share.
struct Parsed1 {
    k: usize,
    /// `None` for a piece of a plain file in which no record starts.
    parsed: Option<ParsedFile>,
    shift: i64,
    cuts: Option<(Cut, Cut)>,
}

/// A guessed cut in a file's content: (end of the record before, start of the next).
type Cut = (u64, u64);

/// Work shared by the workers: the next file to read and pieces of cut files waiting.
struct Queue {
    next_file: usize,
    pieces: VecDeque<(usize, PieceJob)>,
    /// Workers reading a file, which may yet queue pieces: idle workers wait for them.
    reading: usize,
    failed: bool,
}

enum Job {
    File(usize),
    Piece(usize, PieceJob),
}

/// A piece of a big file to parse: cut while the file was read (gzip), or piece `k` of `n` of
/// a plain file, read by offsets by the worker that parses it.
enum PieceJob {
    Cut(Piece),
    Range { k: usize, n: usize },
}

/// Shared by the workers.
struct Shared<'a> {
    files: &'a [InputFile],
    queue: Mutex<Queue>,
    wake: Condvar,
    bytes_read: AtomicU64,
    cores: usize,
    min_split: usize,
    piece_bytes: usize,
    /// Buffers of parsed pieces, for the cutter to fill again ([`split::Cutter::recycle`]).
    spare: Mutex<Vec<Vec<u8>>>,
    /// Held by the worker reading a big file that may be held whole (see [`stream_file`]).
    whole: Mutex<()>,
}

/// Reads and parses the files on every available core (a big trail file, plain or gzipped, is
/// cut at record boundaries while it is read and decompressed, and parsed in pieces), then adds
/// them to one dataset in the given (sorted) order, so the result is identical to a sequential run.
pub(crate) fn load(files: &[InputFile]) -> Result<Dataset, String> {
    let cores = thread::available_parallelism().map_or(1, |n| n.get()).max(1);
    // Tests set a small threshold to exercise cutting on small files.
    let min_split = std::env::var("TUNNELSCOPE_SPLIT_MIN_BYTES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(split::MIN_SPLIT_BYTES);
    let shared = Shared {
        files,
        queue: Mutex::new(Queue { next_file: 0, pieces: VecDeque::new(), reading: 0, failed: false }),
        wake: Condvar::new(),
        bytes_read: AtomicU64::new(0),
        cores,
        min_split,
        piece_bytes: split::PIECE_BYTES.min(min_split / 4).max(1),
        spare: Mutex::new(Vec::new()),
        whole: Mutex::new(()),
    };
    // Compact: every command reads raw JSON of EICE-related events only (extract writes those).
    let results = Results {
        inbox: Mutex::new(Vec::new()),
        collector: Mutex::new(Collector {
            files,
            whole: &shared.whole,
            dataset: Dataset::compact(),
            pending: (0..files.len()).map(|_| None).collect(),
            pieces: HashMap::new(),
            next_to_add: 0,
            error: None,
            progress: Progress::new(files.len()),
        }),
    };
    let working = AtomicUsize::new(cores);
    let main = thread::current();
    thread::scope(|s| {
        for _ in 0..cores {
            let (shared, results, working, main) = (&shared, &results, &working, &main);
            s.spawn(move || {
                // The last worker to finish wakes the main thread (it shows progress meanwhile).
                let _last = Finished(working, main);
                while let Some(job) = next_job(shared) {
                    match job {
                        Job::Piece(index, PieceJob::Cut(piece)) => {
                            let parsed = Some(split::parse_piece(&shared.files[index].name, &piece.doc));
                            // A few kept for the cutter; the rest freed here.
                            if let Ok(mut spare) = shared.spare.lock() {
                                if spare.len() < 4 {
                                    spare.push(piece.doc);
                                }
                            }
                            let piece = Parsed1 { k: piece.k, parsed, shift: piece.shift, cuts: None };
                            results.deliver(shared, Done::Piece(index, piece));
                        }
                        Job::Piece(index, PieceJob::Range { k, n }) => {
                            results.deliver(shared, Done::Piece(index, read_range(shared, index, k, n)));
                        }
                        Job::File(i) => read_file(shared, i, results),
                    }
                }
            });
        }
        // Progress while no result comes in (one big file parsed whole, say).
        while working.load(Ordering::Acquire) > 0 {
            thread::park_timeout(Duration::from_millis(100));
            if let Ok(mut c) = results.collector.try_lock() {
                c.progress.show(shared.bytes_read.load(Ordering::Relaxed));
            }
        }
    });
    // Every worker is done: what is left in the inbox, then the result.
    results.drain(&shared);
    let mut c = results.collector.into_inner().map_err(|_| "a worker failed".to_owned())?;
    // A worker that stopped early leaves unread slots; report the first I/O error seen.
    for slot in std::mem::take(&mut c.pending).into_iter().flatten() {
        if let Err(e) = slot {
            c.error.get_or_insert(e);
        }
    }
    c.progress.finish();
    match c.error {
        Some(e) => Err(e),
        None => Ok(c.dataset),
    }
}

/// Counts a worker out when it ends (also by a panic), waking the main thread after the last.
struct Finished<'a>(&'a AtomicUsize, &'a thread::Thread);

impl Drop for Finished<'_> {
    fn drop(&mut self) {
        if self.0.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.1.unpark();
        }
    }
}

/// The workers' results, taken in by whichever worker holds the collector: no thread of its own
/// (on 2 cores a third busy thread slowed both workers, and woke once per file).
struct Results<'a> {
    /// Results left by workers that found the collector busy, in the order they came.
    inbox: Mutex<Vec<Done>>,
    collector: Mutex<Collector<'a>>,
}

impl Results<'_> {
    /// Hands a result in, and takes in every waiting one unless another worker is doing so.
    fn deliver(&self, shared: &Shared<'_>, done: Done) {
        if let Ok(mut inbox) = self.inbox.lock() {
            inbox.push(done);
        }
        self.drain(shared);
    }

    /// Takes in the waiting results, unless another worker holds the collector: it then takes
    /// them (it looks at the inbox again after letting the collector go).
    fn drain(&self, shared: &Shared<'_>) {
        loop {
            let Ok(mut c) = self.collector.try_lock() else { return };
            loop {
                let batch = self.inbox.lock().map(|mut b| std::mem::take(&mut *b)).unwrap_or_default();
                if batch.is_empty() {
                    break;
                }
                for done in batch {
                    c.take(done);
                }
                c.progress.show(shared.bytes_read.load(Ordering::Relaxed));
            }
            drop(c);
            if self.inbox.lock().map_or(true, |b| b.is_empty()) {
                return;
            }
        }
    }
}

/// Results arrive in any order; files are added strictly in index order.
struct Collector<'a> {
    files: &'a [InputFile],
    whole: &'a Mutex<()>,
    dataset: Dataset,
    pending: Vec<Option<Parsed>>,
    pieces: HashMap<usize, CutFile>,
    next_to_add: usize,
    error: Option<String>,
    progress: Progress,
}

impl Collector<'_> {
    /// Takes one result and adds every file now next in order.
    fn take(&mut self, done: Done) {
        let files = self.files;
        match done {
            Done::Whole(i, result) => {
                // A file cut in pieces that turned out to need reading whole: its pieces go.
                if self.pieces.remove(&i).is_some_and(|f| f.reported) {
                    self.dataset = Dataset::compact();
                }
                self.pending[i] = Some(result);
            }
            Done::Piece(i, piece) => {
                if i >= self.next_to_add && self.pending[i].is_none() {
                    let dataset = (i == self.next_to_add).then_some((&mut self.dataset, files[i].name.as_str()));
                    self.pieces.entry(i).or_default().add(piece, dataset);
                }
            }
            Done::Pieces(i, n) => {
                if i >= self.next_to_add && self.pending[i].is_none() {
                    self.pieces.entry(i).or_default().pieces = Some(n);
                }
            }
        }
        let complete: Vec<usize> = self.pieces.iter().filter(|(_, f)| f.complete()).map(|(&i, _)| i).collect();
        for i in complete {
            let Some(f) = self.pieces.remove(&i) else { continue };
            let (merged, reported) = (f.merger.finish(), f.reported);
            if reported && merged.is_none() {
                // Some pieces went into the dataset, which held nothing before them.
                self.dataset = Dataset::compact();
            }
            // Pieces that do not make the whole file's result: the whole file, read here (rare).
            let parsed = match merged {
                // Already in the dataset, piece by piece.
                Some(_) if reported => Ok(Vec::new()),
                Some(p) => Ok(vec![(files[i].name.clone(), p)]),
                None => reread_file(self.whole, &files[i]),
            };
            self.pending[i] = Some(parsed);
        }
        while let Some(slot) = self.pending.get_mut(self.next_to_add).and_then(Option::take) {
            match slot {
                Ok(parsed) => {
                    for (name, p) in parsed {
                        self.dataset.add_parsed(&name, p);
                    }
                }
                Err(e) => {
                    self.error.get_or_insert(e);
                }
            }
            self.next_to_add += 1;
            self.progress.done = self.next_to_add;
        }
    }
}

/// Bytes read per call while cutting a big file.
const READ_CHUNK: usize = 4 << 20;

/// Reads file `i`: a big trail file is cut into pieces as it is read (and decompressed), the
/// pieces queued for the other workers and the last one parsed here; anything else is parsed
/// whole; the results go to `results`.
fn read_file(shared: &Shared<'_>, i: usize, results: &Results<'_>) {
    let file = &shared.files[i];
    let io_error = |e: std::io::Error| format!("{}: {e}", shown(&file.path));
    let result = (|| -> Result<Outcome, String> {
        let mut f = fs::File::open(&file.path).map_err(io_error)?;
        let len = f.metadata().map_err(io_error)?.len();
        let mut head = Vec::new();
        (&mut f).take(READ_CHUNK as u64).read_to_end(&mut head).map_err(io_error)?;
        shared.bytes_read.fetch_add(head.len() as u64, Ordering::Relaxed);
        let big =
            if split::is_gzip(&head) { len >= (shared.min_split / 16) as u64 } else { len >= shared.min_split as u64 };
        if shared.cores < 2 || !big || !split::is_gzip(&head) && !split::opens_trail(&head) {
            return stream_file(shared, file, head, f, len).map(Outcome::Whole);
        }
        if !split::is_gzip(&head) {
            // A plain file: every worker reads the pieces it parses (reading 200 MB in one
            // thread took as long as parsing a third of it), this one the first.
            let n = usize::try_from(len.div_ceil(range_bytes(shared))).unwrap_or(usize::MAX).max(1);
            if let Ok(mut q) = shared.queue.lock() {
                q.pieces.extend((1..n).map(|k| (i, PieceJob::Range { k, n })));
            }
            shared.wake.notify_all();
            shared.bytes_read.fetch_sub(head.len() as u64, Ordering::Relaxed);
            return Ok(Outcome::Ranges(n));
        }
        cut_gzip(shared, i, f, head)
    })();
    match result {
        Ok(Outcome::Whole(parsed)) => {
            finish_reading(shared, |_| {});
            results.deliver(shared, Done::Whole(i, Ok(parsed)));
        }
        Ok(Outcome::Pieces(n, last)) => {
            finish_reading(shared, |_| {});
            let parsed = Some(split::parse_piece(&file.name, &last.doc));
            let last = Parsed1 { k: last.k, parsed, shift: last.shift, cuts: None };
            results.deliver(shared, Done::Pieces(i, n));
            results.deliver(shared, Done::Piece(i, last));
        }
        Ok(Outcome::Ranges(n)) => {
            finish_reading(shared, |_| {});
            results.deliver(shared, Done::Pieces(i, n));
            results.deliver(shared, Done::Piece(i, read_range(shared, i, 0, n)));
        }
        Err(e) => {
            finish_reading(shared, |q| q.failed = true);
            results.deliver(shared, Done::Whole(i, Err(e)));
        }
    }
}

/// Bytes read per push while streaming a file that is not cut (a record per line, other shapes).
const STREAM_CHUNK: usize = 1 << 20;

/// Files of at most this many bytes are read without taking [`Shared::whole`]: at most this
/// much each is held whole by the other workers meanwhile.
const SMALL_FILE: u64 = 8 << 20;

/// Reads file `file` (its first bytes `head` already read from `f`, `len` its size) through a
/// compact [`ingest::FileStream`], as the page does: a trail document or a file of one record
/// per line streams; anything else is held whole within [`ingest::MAX_WHOLE_BYTES`] and refused
/// beyond it, so no file is ever read into memory whole past that. A big file that may be held
/// whole is read under [`Shared::whole`], so at most one such file is held at a time (the peak
/// stays within the 256 MB bound whatever the number of cores).
fn stream_file(
    shared: &Shared<'_>,
    file: &InputFile,
    head: Vec<u8>,
    f: fs::File,
    len: u64,
) -> Result<Vec<(String, ParsedFile)>, String> {
    let _one = (len > SMALL_FILE && !split::opens_trail(&head)).then(|| shared.whole.lock());
    stream_from(file, head, f, len, Some(&shared.bytes_read))
}

/// [`stream_from`] of the whole file again (pieces that did not make the file's result, or a
/// gzip that could not be cut), under `whole` when it is big.
fn reread_file(whole: &Mutex<()>, file: &InputFile) -> Result<Vec<(String, ParsedFile)>, String> {
    let io_error = |e: std::io::Error| format!("{}: {e}", shown(&file.path));
    let f = fs::File::open(&file.path).map_err(io_error)?;
    let len = f.metadata().map_err(io_error)?.len();
    let _one = (len > SMALL_FILE).then(|| whole.lock());
    stream_from(file, Vec::new(), f, len, None)
}

/// Pushes `head` and then the rest of `f` through a compact stream, adding to `counted`.
fn stream_from(
    file: &InputFile,
    head: Vec<u8>,
    mut f: fs::File,
    len: u64,
    counted: Option<&AtomicU64>,
) -> Result<Vec<(String, ParsedFile)>, String> {
    let io_error = |e: std::io::Error| format!("{}: {e}", shown(&file.path));
    let mut stream = ingest::FileStream::new(&file.name, len).compact();
    stream.push(&head);
    drop(head);
    let mut buf = vec![0u8; STREAM_CHUNK];
    loop {
        let n = match f.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(io_error(e)),
        };
        if let Some(c) = counted {
            c.fetch_add(n as u64, Ordering::Relaxed);
        }
        stream.push(&buf[..n]);
    }
    drop(buf);
    // Called only within the ceiling on content held whole (the stream refuses the file beyond).
    Ok(stream.finish_with(&mut || fs::read(&file.path).map_err(io_error)))
}

/// How a file was read: whole, or cut into `n` pieces (the last one given back to parse).
enum Outcome {
    Whole(Vec<(String, ParsedFile)>),
    Pieces(usize, Piece),
    /// A plain file to read in `n` pieces by offsets (the first one is read here).
    Ranges(usize),
}

/// The bytes of a piece of a plain file read by offsets: [`Shared::piece_bytes`], but never
/// so few that finding the cuts (reading a window after each offset) costs more than the piece.
fn range_bytes(shared: &Shared<'_>) -> u64 {
    shared.piece_bytes.max(16 << 10) as u64
}

/// Reads and parses piece `k` of `n` of plain file `i`: from the cut guessed after
/// `k × piece_bytes` to the one guessed after the next piece's offset. Any failure (an I/O
/// error, a cut not found) gives a rejected piece, so the whole file is read instead.
fn read_range(shared: &Shared<'_>, i: usize, k: usize, n: usize) -> Parsed1 {
    let file = &shared.files[i];
    let p = range_bytes(shared);
    let read = || -> std::io::Result<Option<Parsed1>> {
        let mut f = fs::File::open(&file.path)?;
        let Some(start) = (if k == 0 { Some((0, 0)) } else { cut_after(&mut f, k as u64 * p)? }) else {
            return Ok(None);
        };
        let end = if k + 1 == n { None } else { cut_after(&mut f, (k as u64 + 1) * p)? };
        if end == Some(start) {
            // No record starts in this piece's bytes (records longer than a piece).
            return Ok(Some(Parsed1 { k, parsed: None, shift: 0, cuts: Some((start, start)) }));
        }
        if k + 1 < n && end.is_none_or(|e| e.0 <= start.1) {
            return Ok(None);
        }
        let head = if k == 0 { &[][..] } else { split::HEAD };
        let mut doc = Vec::with_capacity(shared.piece_bytes + (1 << 20));
        doc.extend_from_slice(head);
        f.seek(SeekFrom::Start(start.1))?;
        match end {
            Some((e, _)) => (&mut f).take(e - start.1).read_to_end(&mut doc)?,
            None => f.read_to_end(&mut doc)?,
        };
        shared.bytes_read.fetch_add((doc.len() - head.len()) as u64, Ordering::Relaxed);
        if end.is_some() {
            doc.extend_from_slice(split::TAIL);
        }
        let parsed = split::parse_piece(&file.name, &doc);
        let end = end.unwrap_or((u64::MAX, u64::MAX));
        Ok(Some(Parsed1 {
            k,
            parsed: Some(parsed),
            shift: start.1 as i64 - head.len() as i64,
            cuts: Some((start, end)),
        }))
    };
    read().ok().flatten().unwrap_or_else(|| Parsed1 {
        k,
        parsed: Some(ParsedFile::rejected("no record boundary near the piece's offset")),
        shift: 0,
        cuts: None,
    })
}

/// The cut [`split::guess_cut`] finds in the content after `at`, reading more until it sees
/// one (at most a few MiB: records are at most 1 MiB); `None` when there is none.
fn cut_after(f: &mut fs::File, at: u64) -> std::io::Result<Option<Cut>> {
    let mut window = Vec::new();
    let mut want = 64 << 10;
    f.seek(SeekFrom::Start(at))?;
    while want <= 8 << 20 {
        let before = window.len();
        (&mut *f).take((want - before) as u64).read_to_end(&mut window)?;
        if let Some((end, start)) = split::guess_cut(&window) {
            return Ok(Some((at + end as u64, at + start as u64)));
        }
        if window.len() < want {
            break;
        }
        want *= 2;
    }
    Ok(None)
}

/// Cuts a big gzipped file (its first bytes `head` already read from `f`) as it is read and
/// decompressed; queues every piece but the last. Falls back to reading it whole when it is not
/// a trail document, the gzip is broken or expands beyond the bound. (A big plain file is read
/// by offsets instead, see [`read_range`].)
fn cut_gzip(shared: &Shared<'_>, i: usize, f: fs::File, head: Vec<u8>) -> Result<Outcome, String> {
    let file = &shared.files[i];
    let io_error = |e: std::io::Error| format!("{}: {e}", shown(&file.path));
    let mut cutter = split::Cutter::new(shared.piece_bytes);
    let mut queued = 0;
    let mut queue = |pieces: Vec<Piece>| {
        if pieces.is_empty() {
            return;
        }
        queued += pieces.len();
        if let Ok(mut q) = shared.queue.lock() {
            q.pieces.extend(pieces.into_iter().map(|p| (i, PieceJob::Cut(p))));
        }
        shared.wake.notify_all();
    };
    // The whole file, read again: the pieces queued so far are dropped by the collector when
    // the whole result comes.
    let whole = || reread_file(&shared.whole, file).map(Outcome::Whole);
    // Inflated as it is read: reading the whole compressed file first (fresh memory to fault
    // in) kept the other workers waiting ~30 ms for the first piece of a 21 MB file.
    let limit = split::gzip_limit(f.metadata().map_err(io_error)?.len());
    let stored = std::io::BufReader::with_capacity(256 << 10, (&head[..]).chain(Counted { inner: f, shared }));
    let mut decoder = MultiGzDecoder::new(stored);
    let mut produced = 0u64;
    loop {
        if let Ok(mut spare) = shared.spare.lock() {
            spare.drain(..).for_each(|b| cutter.recycle(b));
        }
        match cutter.feed_from(&mut decoder, READ_CHUNK) {
            Ok(Some(pieces)) if cutter.read() > 0 => {
                queue(pieces);
                produced += cutter.read() as u64;
                if produced > limit {
                    // A bomb, found as it streams: reading it whole would only say so again.
                    let reason = ingest::bomb_reason(limit);
                    return Ok(Outcome::Whole(vec![(file.name.clone(), ParsedFile::rejected(reason))]));
                }
            }
            Ok(Some(_)) => break,
            Ok(None) | Err(_) => return whole(),
        }
    }
    match cutter.finish() {
        Some(last) => Ok(Outcome::Pieces(queued + 1, last)),
        None => whole(),
    }
}

/// A reader that adds what it reads to the load's byte count (for the progress line).
struct Counted<'a, R> {
    inner: R,
    shared: &'a Shared<'a>,
}

impl<R: Read> Read for Counted<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.shared.bytes_read.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

/// The next job: a waiting piece first (it frees a big file sooner), else the next file; waits
/// while another worker is still reading a file that may be cut into pieces.
fn next_job(shared: &Shared<'_>) -> Option<Job> {
    let mut q = shared.queue.lock().ok()?;
    loop {
        if q.failed {
            return None;
        }
        if let Some((i, piece)) = q.pieces.pop_front() {
            return Some(Job::Piece(i, piece));
        }
        if q.next_file < shared.files.len() {
            q.next_file += 1;
            q.reading += 1;
            return Some(Job::File(q.next_file - 1));
        }
        if q.reading == 0 {
            return None;
        }
        q = shared.wake.wait(q).ok()?;
    }
}

/// Marks a file as read (after `update`) and wakes idle workers.
fn finish_reading(shared: &Shared<'_>, update: impl FnOnce(&mut Queue)) {
    if let Ok(mut q) = shared.queue.lock() {
        update(&mut q);
        q.reading -= 1;
    }
    shared.wake.notify_all();
}

/// A one-line progress bar on stderr, only when stderr is a terminal.
struct Progress {
    enabled: bool,
    total: usize,
    done: usize,
    started: Instant,
    last: Option<Instant>,
}

impl Progress {
    fn new(total: usize) -> Self {
        Self { enabled: std::io::stderr().is_terminal(), total, done: 0, started: Instant::now(), last: None }
    }

    fn show(&mut self, bytes: u64) {
        let now = Instant::now();
        if !self.enabled || self.last.is_some_and(|t| now.duration_since(t) < Duration::from_millis(100)) {
            return;
        }
        self.last = Some(now);
        const WIDTH: usize = 30;
        let filled = (self.done * WIDTH).checked_div(self.total).unwrap_or(WIDTH);
        let mb = bytes as f64 / 1e6;
        let secs = now.duration_since(self.started).as_secs_f64().max(1e-3);
        let line = format!(
            "\r[{}{}] {}/{} files  {:.1} MB  {:.0} MB/s\x1b[K",
            "#".repeat(filled),
            " ".repeat(WIDTH - filled),
            self.done,
            self.total,
            mb,
            mb / secs
        );
        // Progress is best effort: a failed write to stderr must not fail the load.
        let _ = std::io::stderr().write_all(line.as_bytes());
    }

    fn finish(&mut self) {
        if self.enabled && self.last.is_some() {
            let _ = std::io::stderr().write_all(b"\r\x1b[2K");
        }
    }
}
