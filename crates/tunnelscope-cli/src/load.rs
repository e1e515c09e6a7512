//! Finding input files and loading them on every core into one dataset, in sorted path order.

use std::collections::{HashMap, HashSet};
use std::fs;
use std::io::{IsTerminal, Write};
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, mpsc};
use std::thread;
use std::time::{Duration, Instant};

use tunnelscope_core::export::terminal_safe;
use tunnelscope_core::ingest::{self, ParsedFile};
use tunnelscope_core::{Dataset, parse_file};

use crate::split;

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

/// One big file being parsed in pieces by several workers.
struct SplitFile {
    index: usize,
    name: String,
    /// The document cut into pieces (decompressed when the file is gzip).
    bytes: Vec<u8>,
    ranges: Vec<Range<usize>>,
    /// The file as read, when `bytes` is its decompressed text (for the whole-file fallback).
    compressed: Option<Vec<u8>>,
}

/// What a worker sends back: a whole file's result, or one piece of a split file.
enum Done {
    Whole(usize, Parsed),
    Piece(Arc<SplitFile>, usize, ParsedFile),
}

/// Work shared by the workers: the next file to read and pieces of split files waiting.
struct Queue {
    next_file: usize,
    pieces: Vec<(Arc<SplitFile>, usize)>,
    /// Workers reading a file, which may yet queue pieces: idle workers wait for them.
    reading: usize,
    failed: bool,
}

enum Job {
    File(usize),
    Piece(Arc<SplitFile>, usize),
}

/// Reads and parses the files on every available core (a big plain trail file is cut at record
/// boundaries and parsed in pieces), then adds them to one dataset in the given (sorted) order,
/// so the result is identical to a sequential run.
pub(crate) fn load(files: &[InputFile]) -> Result<Dataset, String> {
    let cores = thread::available_parallelism().map_or(1, |n| n.get());
    let workers = cores.max(1);
    // Tests set a small threshold to exercise cutting on small files.
    let min_split = std::env::var("TUNNELSCOPE_SPLIT_MIN_BYTES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(split::MIN_SPLIT_BYTES);
    let queue = Mutex::new(Queue { next_file: 0, pieces: Vec::new(), reading: 0, failed: false });
    let wake = Condvar::new();
    let bytes_read = AtomicU64::new(0);
    let mut progress = Progress::new(files.len());
    let mut dataset = Dataset::new();
    let mut error = None;
    thread::scope(|s| {
        let (tx, rx) = mpsc::channel::<Done>();
        for _ in 0..workers {
            let tx = tx.clone();
            let (queue, wake, bytes_read) = (&queue, &wake, &bytes_read);
            s.spawn(move || {
                while let Some(job) = next_job(queue, wake, files.len()) {
                    let done = match job {
                        Job::Piece(split, k) => {
                            let doc = split::piece(&split.bytes, &split.ranges, k);
                            let parsed = parse_file(&split.name, &doc);
                            Done::Piece(split, k, parsed)
                        }
                        Job::File(i) => {
                            let read = fs::read(&files[i].path);
                            if let Ok(bytes) = &read {
                                bytes_read.fetch_add(bytes.len() as u64, Ordering::Relaxed);
                            }
                            match read {
                                Ok(bytes) => match cut(i, &files[i].name, bytes, cores, min_split) {
                                    Ok(split) => {
                                        let split = Arc::new(split);
                                        finish_reading(queue, wake, |q| {
                                            q.pieces.extend((1..split.ranges.len()).map(|k| (split.clone(), k)));
                                        });
                                        let doc = split::piece(&split.bytes, &split.ranges, 0);
                                        let parsed = parse_file(&split.name, &doc);
                                        Done::Piece(split, 0, parsed)
                                    }
                                    Err(bytes) => {
                                        finish_reading(queue, wake, |_| {});
                                        Done::Whole(i, Ok(ingest::parse_input(&files[i].name, &bytes)))
                                    }
                                },
                                Err(e) => {
                                    finish_reading(queue, wake, |q| q.failed = true);
                                    Done::Whole(i, Err(format!("{}: {e}", shown(&files[i].path))))
                                }
                            }
                        }
                    };
                    if tx.send(done).is_err() {
                        break;
                    }
                }
            });
        }
        drop(tx);
        // Results arrive in any order; they are added strictly in index order.
        let mut pending: Vec<Option<Parsed>> = (0..files.len()).map(|_| None).collect();
        let mut pieces: HashMap<usize, Vec<Option<ParsedFile>>> = HashMap::new();
        let mut next_to_add = 0;
        loop {
            match rx.recv_timeout(Duration::from_millis(100)) {
                Ok(Done::Whole(i, result)) => pending[i] = Some(result),
                Ok(Done::Piece(split, k, parsed)) => {
                    let slots = pieces.entry(split.index).or_default();
                    slots.resize_with(split.ranges.len(), || None);
                    slots[k] = Some(parsed);
                    if slots.iter().all(Option::is_some) {
                        let parts = pieces.remove(&split.index).unwrap_or_default().into_iter().flatten().collect();
                        // A cut the pieces do not confirm: the whole file, parsed here (rare).
                        let whole = split.compressed.as_deref().unwrap_or(&split.bytes);
                        let parsed = split::merge(parts).unwrap_or_else(|| parse_file(&split.name, whole));
                        pending[split.index] = Some(Ok(vec![(split.name.clone(), parsed)]));
                    }
                }
                Err(mpsc::RecvTimeoutError::Timeout) => {}
                Err(mpsc::RecvTimeoutError::Disconnected) => break,
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
            progress.show(bytes_read.load(Ordering::Relaxed));
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

/// Plans cutting file `index` for `parts` cores (gunzipping a big gzip file first); gives the
/// bytes back when it is parsed whole.
fn cut(index: usize, name: &str, bytes: Vec<u8>, parts: usize, min_len: usize) -> Result<SplitFile, Vec<u8>> {
    if parts < 2 {
        return Err(bytes);
    }
    let (doc, compressed) = if split::is_gzip(&bytes) && bytes.len() >= min_len / 16 {
        match split::gunzip_like_core(&bytes) {
            Some(doc) => (doc, Some(bytes)),
            None => return Err(bytes),
        }
    } else {
        (bytes, None)
    };
    match split::plan(&doc, parts, min_len) {
        Some(ranges) => Ok(SplitFile { index, name: name.to_owned(), bytes: doc, ranges, compressed }),
        None => Err(compressed.unwrap_or(doc)),
    }
}

/// The next job: a waiting piece first (it frees a big file sooner), else the next file; waits
/// while another worker is still reading a file that may be cut into pieces.
fn next_job(queue: &Mutex<Queue>, wake: &Condvar, n_files: usize) -> Option<Job> {
    let mut q = queue.lock().ok()?;
    loop {
        if q.failed {
            return None;
        }
        if let Some((split, k)) = q.pieces.pop() {
            return Some(Job::Piece(split, k));
        }
        if q.next_file < n_files {
            q.next_file += 1;
            q.reading += 1;
            return Some(Job::File(q.next_file - 1));
        }
        if q.reading == 0 {
            return None;
        }
        q = wake.wait(q).ok()?;
    }
}

/// Marks a file as read (after `update` queues its pieces, if any) and wakes idle workers.
fn finish_reading(queue: &Mutex<Queue>, wake: &Condvar, update: impl FnOnce(&mut Queue)) {
    if let Ok(mut q) = queue.lock() {
        update(&mut q);
        q.reading -= 1;
    }
    wake.notify_all();
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
