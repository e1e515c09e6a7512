//! Finding input files and loading them on every core into one dataset, in sorted path order.

use std::collections::{HashMap, HashSet};
use std::fs;
use std::io::{IsTerminal, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Condvar, Mutex, mpsc};
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

/// The pieces of a cut file received so far (result and shift by piece number), and how many
/// there are once known.
type PieceSlots = (Vec<Option<(ParsedFile, i64)>>, Option<usize>);

/// What a worker sends back: a whole file's result, one piece of a file being cut, or how many
/// pieces a cut file has.
// One message per file or piece: the size of a parsed file on the channel does not matter.
#[allow(clippy::large_enum_variant)]
enum Done {
    Whole(usize, Parsed),
    Piece(usize, usize, ParsedFile, i64),
    Pieces(usize, usize),
}

/// Work shared by the workers: the next file to read and pieces of cut files waiting.
struct Queue {
    next_file: usize,
    pieces: Vec<(usize, Piece)>,
    /// Workers reading a file, which may yet queue pieces: idle workers wait for them.
    reading: usize,
    failed: bool,
}

enum Job {
    File(usize),
    Piece(usize, Piece),
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
        queue: Mutex::new(Queue { next_file: 0, pieces: Vec::new(), reading: 0, failed: false }),
        wake: Condvar::new(),
        bytes_read: AtomicU64::new(0),
        cores,
        min_split,
        piece_bytes: split::PIECE_BYTES.min(min_split / 4).max(1),
    };
    let mut progress = Progress::new(files.len());
    // Compact: every command reads raw JSON of EICE-related events only (extract writes those).
    let mut dataset = Dataset::compact();
    let mut error = None;
    thread::scope(|s| {
        let (tx, rx) = mpsc::channel::<Done>();
        for _ in 0..cores {
            let tx = tx.clone();
            let shared = &shared;
            s.spawn(move || {
                while let Some(job) = next_job(shared) {
                    let sent = match job {
                        Job::Piece(index, piece) => {
                            let parsed = split::parse_piece(&shared.files[index].name, &piece.doc);
                            tx.send(Done::Piece(index, piece.k, parsed, piece.shift)).is_ok()
                        }
                        Job::File(i) => read_file(shared, i, &tx),
                    };
                    if !sent {
                        break;
                    }
                }
            });
        }
        drop(tx);
        // Results arrive in any order; they are added strictly in index order.
        let mut pending: Vec<Option<Parsed>> = (0..files.len()).map(|_| None).collect();
        let mut pieces: HashMap<usize, PieceSlots> = HashMap::new();
        let mut next_to_add = 0;
        loop {
            match rx.recv_timeout(Duration::from_millis(100)) {
                Ok(Done::Whole(i, result)) => {
                    // A file cut in pieces that turned out to need reading whole: its pieces go.
                    pieces.remove(&i);
                    pending[i] = Some(result);
                }
                Ok(Done::Piece(i, k, parsed, shift)) => {
                    if i >= next_to_add && pending[i].is_none() {
                        let slots = &mut pieces.entry(i).or_default().0;
                        if slots.len() <= k {
                            slots.resize_with(k + 1, || None);
                        }
                        slots[k] = Some((parsed, shift));
                    }
                }
                Ok(Done::Pieces(i, n)) => {
                    if i >= next_to_add && pending[i].is_none() {
                        pieces.entry(i).or_default().1 = Some(n);
                    }
                }
                Err(mpsc::RecvTimeoutError::Timeout) => {}
                Err(mpsc::RecvTimeoutError::Disconnected) => break,
            }
            let complete: Vec<usize> = pieces
                .iter()
                .filter(|(_, (slots, n))| n.is_some_and(|n| slots.len() == n && slots.iter().all(Option::is_some)))
                .map(|(&i, _)| i)
                .collect();
            for i in complete {
                let parts =
                    pieces.remove(&i).map(|(slots, _)| slots.into_iter().flatten().collect()).unwrap_or_default();
                // Pieces that do not make the whole file's result: the whole file, read here (rare).
                let parsed = match split::merge(parts) {
                    Some(p) => Ok(vec![(files[i].name.clone(), p)]),
                    None => fs::read(&files[i].path)
                        .map(|bytes| ingest::parse_input_compact(&files[i].name, &bytes))
                        .map_err(|e| format!("{}: {e}", shown(&files[i].path))),
                };
                pending[i] = Some(parsed);
            }
            while let Some(slot) = pending.get_mut(next_to_add).and_then(Option::take) {
                match slot {
                    Ok(parsed) => {
                        for (name, p) in parsed {
                            dataset.add_parsed(&name, p);
                        }
                    }
                    Err(e) => {
                        error.get_or_insert(e);
                    }
                }
                next_to_add += 1;
                progress.done = next_to_add;
            }
            progress.show(shared.bytes_read.load(Ordering::Relaxed));
        }
        // A worker that stopped early leaves unread slots; report the first I/O error seen.
        for slot in pending.into_iter().flatten() {
            if let Err(e) = slot {
                error.get_or_insert(e);
            }
        }
    });
    progress.finish();
    match error {
        Some(e) => Err(e),
        None => Ok(dataset),
    }
}

/// Bytes read per call while cutting a big file.
const READ_CHUNK: usize = 4 << 20;

/// Reads file `i`: a big trail file is cut into pieces as it is read (and decompressed), the
/// pieces queued for the other workers and the last one parsed here; anything else is parsed
/// whole. Returns false when the results can no longer be sent.
fn read_file(shared: &Shared<'_>, i: usize, tx: &mpsc::Sender<Done>) -> bool {
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
        if shared.cores < 2 || !big {
            let mut bytes = head;
            f.read_to_end(&mut bytes).map_err(io_error)?;
            shared.bytes_read.fetch_add(bytes.len() as u64, Ordering::Relaxed);
            return Ok(Outcome::Whole(ingest::parse_input_compact(&file.name, &bytes)));
        }
        cut_file(shared, i, f, head)
    })();
    match result {
        Ok(Outcome::Whole(parsed)) => {
            finish_reading(shared, |_| {});
            tx.send(Done::Whole(i, Ok(parsed))).is_ok()
        }
        Ok(Outcome::Pieces(n, last)) => {
            finish_reading(shared, |_| {});
            let parsed = split::parse_piece(&file.name, &last.doc);
            tx.send(Done::Pieces(i, n)).is_ok() && tx.send(Done::Piece(i, last.k, parsed, last.shift)).is_ok()
        }
        Err(e) => {
            finish_reading(shared, |q| q.failed = true);
            tx.send(Done::Whole(i, Err(e))).is_ok()
        }
    }
}

/// How a file was read: whole, or cut into `n` pieces (the last one given back to parse).
enum Outcome {
    Whole(Vec<(String, ParsedFile)>),
    Pieces(usize, Piece),
}

/// Cuts a big file (its first bytes `head` already read from `f`) as it is read and, when
/// gzipped, decompressed; queues every piece but the last. Falls back to reading it whole when
/// it is not a trail document, the gzip is broken or expands beyond the bound.
fn cut_file(shared: &Shared<'_>, i: usize, mut f: fs::File, head: Vec<u8>) -> Result<Outcome, String> {
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
            q.pieces.extend(pieces.into_iter().map(|p| (i, p)));
        }
        shared.wake.notify_all();
    };
    let whole = |bytes: &[u8]| {
        // The pieces queued so far are dropped by the collector when the whole result comes.
        Ok(Outcome::Whole(ingest::parse_input_compact(&file.name, bytes)))
    };
    if split::is_gzip(&head) {
        let mut stored = head;
        f.read_to_end(&mut stored).map_err(io_error)?;
        shared.bytes_read.fetch_add(stored.len() as u64, Ordering::Relaxed);
        let limit = split::gzip_limit(stored.len() as u64);
        let mut decoder = MultiGzDecoder::new(&stored[..]);
        let mut produced = 0u64;
        loop {
            match cutter.feed_from(&mut decoder, READ_CHUNK) {
                Ok(Some(pieces)) if cutter.read() > 0 => {
                    queue(pieces);
                    produced += cutter.read() as u64;
                    if produced > limit {
                        return whole(&stored);
                    }
                }
                Ok(Some(_)) => break,
                Ok(None) | Err(_) => return whole(&stored),
            }
        }
        return match cutter.finish() {
            Some(last) => Ok(Outcome::Pieces(queued + 1, last)),
            None => whole(&stored),
        };
    }
    let mut cut = true;
    let mut first = Some(head);
    loop {
        let (fed, counted) = match first.take() {
            Some(head) => (cutter.feed_from(&mut &head[..], head.len()), true),
            None => (cutter.feed_from(&mut f, READ_CHUNK), false),
        };
        match fed.map_err(io_error)? {
            Some(pieces) => queue(pieces),
            None => {
                cut = false;
                break;
            }
        }
        if cutter.read() == 0 {
            break;
        }
        if !counted {
            shared.bytes_read.fetch_add(cutter.read() as u64, Ordering::Relaxed);
        }
    }
    match cut.then(|| cutter.finish()).flatten() {
        Some(last) => Ok(Outcome::Pieces(queued + 1, last)),
        // Not cut after all: the whole file, read again (a plain file's content is not kept).
        None => whole(&fs::read(&file.path).map_err(io_error)?),
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
        if let Some((i, piece)) = q.pieces.pop() {
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
