//! Reading one file fed in chunks (slices of a browser `File`, or reads of a native file).
//!
//! The caller pushes the file's bytes as stored (gzip or not, any chunk sizes) and finishes
//! it; the result is exactly what [`super::parse_input`] gives for the whole bytes.
//!
//! The common big cases stream: a plain or gzipped `{"Records":[…]}` document is decompressed
//! incrementally and parsed record by record as bytes arrive (the partial record is carried
//! over to the next chunk), so memory is a chunk plus the parsed events. Everything else (zip,
//! other shapes, UTF-16, CSV) is buffered and read by [`super::parse_input`] at the end.
//!
//! Anything unusual on the streaming path (truncation, malformed JSON, another top-level key,
//! trailing data, a record beyond [`MAX_RECORD_BYTES`], bad UTF-8, a gzip error or an
//! expansion beyond the bound) makes the file be read whole by [`super::parse_input`], so the
//! outcome (status, reason, positions) is always the whole-file one:
//! - a plain file keeps, while streaming, every byte that is not the `raw` text of an event
//!   (the head, separators, records that are not events), so its content can be rebuilt;
//! - a gzip file keeps its compressed bytes (a small fraction of the content) and is read
//!   again from them.

use super::elements::Base;
use super::gzstream::{Gz, HEAD_HELD, max_line};
use super::lines::{LineReader, LinesEnd, starts_object};
use super::scan::{Mark, Scanner};
use super::trail::TrailAcc;
use super::{MAX_RECORD_BYTES, MAX_WHOLE_BYTES, ParsedFile, archive, gzip, parse_input, too_big_reason};

/// Bytes needed to tell gzip and zip files from the rest.
const SNIFF_BYTES: usize = 4;
/// Bytes of a plain file scanned and parsed at a time (a chunk may be far bigger than a cache).
const PLAIN_PIECE: usize = 256 << 10;

/// One file being read chunk by chunk.
#[derive(Debug)]
pub struct FileStream {
    name: String,
    size_hint: u64,
    mode: Mode,
    /// The highest record count reported (it stays when the file falls back to buffering).
    records: u64,
    /// Let go of the raw text of unrelated events with a span as they are parsed.
    compact: bool,
    /// Bytes pushed so far.
    fed: u64,
    /// The most content held whole ([`MAX_WHOLE_BYTES`]).
    ceiling: u64,
}

#[derive(Debug)]
enum Mode {
    /// The first bytes, until the kind of file is known.
    Sniff(Vec<u8>),
    /// Buffered whole, read at the end (zip, or a plain file that does not stream), within
    /// the ceiling.
    Buffer(Vec<u8>),
    /// Content beyond the ceiling that does not stream (what it is): only counted.
    Refused(&'static str),
    /// A plain file whose content streams as a trail document; the content so far while no
    /// record was read (to read it line by line after all).
    Plain(Box<Trail>, Option<Vec<u8>>),
    /// A plain file read line by line; the content so far, within the ceiling, for the
    /// whole-file reading (a compact stream reads its file again instead).
    Lines(Box<LineReader>, Option<Vec<u8>>),
    /// A gzip file: its compressed bytes and the decompressed content streaming.
    Gzip(Box<Gz>),
    /// A compact plain file that needs the whole-file reading: its events' text was let go, so
    /// the file is read again at the end (`finish_with`).
    Reread,
}

impl FileStream {
    /// Starts reading the file `name` (the path as given); `size_hint` is its size on disk.
    pub fn new(name: &str, size_hint: u64) -> Self {
        Self {
            name: name.to_owned(),
            size_hint,
            mode: Mode::Sniff(Vec::new()),
            records: 0,
            compact: false,
            fed: 0,
            ceiling: MAX_WHOLE_BYTES,
        }
    }

    /// A stream for a compact dataset: the raw text of events that are not EICE-related and
    /// have a span is let go as soon as they are parsed (the dataset keeps only the span), so
    /// a load holds a chunk and the parsed fields, not the file's text. A plain file that then
    /// needs the whole-file reading is read again through [`FileStream::finish_with`].
    pub fn compact(mut self) -> Self {
        self.compact = true;
        self
    }

    /// Another ceiling on content held whole than [`MAX_WHOLE_BYTES`] (tests use small ones).
    pub fn with_ceiling(mut self, bytes: u64) -> Self {
        self.ceiling = bytes;
        self
    }

    /// Feeds the next chunk of the file's bytes.
    pub fn push(&mut self, chunk: &[u8]) {
        self.fed += chunk.len() as u64;
        self.feed(chunk);
        let now = match &self.mode {
            Mode::Plain(trail, _) => trail.acc.records() as u64,
            Mode::Lines(lines, _) => lines.records() as u64,
            Mode::Gzip(gz) => gz.records() as u64,
            Mode::Sniff(_) | Mode::Buffer(_) | Mode::Refused(_) | Mode::Reread => 0,
        };
        self.records = self.records.max(now);
    }

    fn feed(&mut self, mut chunk: &[u8]) {
        if let Mode::Sniff(head) = &mut self.mode {
            // Only the first bytes: the rest is fed in the file's own mode, not copied here.
            let take = SNIFF_BYTES.saturating_sub(head.len()).min(chunk.len());
            head.extend_from_slice(&chunk[..take]);
            chunk = &chunk[take..];
            if head.len() < SNIFF_BYTES {
                return;
            }
            let head = std::mem::take(head);
            self.mode = self.start(&head);
            self.feed(&head);
        }
        let ceiling = self.ceiling;
        match &mut self.mode {
            Mode::Sniff(_) | Mode::Reread | Mode::Refused(_) => {}
            Mode::Buffer(buffer) => {
                if buffer.len() as u64 + chunk.len() as u64 > ceiling {
                    let what = if archive::is_zip(buffer) { "the zip archive" } else { "the file" };
                    self.mode = Mode::Refused(what);
                } else {
                    buffer.extend_from_slice(chunk);
                }
            }
            Mode::Lines(lines, held) => {
                lines.push(chunk);
                if let Some(content) = held {
                    if content.len() as u64 + chunk.len() as u64 > ceiling {
                        *held = None;
                    } else {
                        content.extend_from_slice(chunk);
                    }
                }
            }
            Mode::Plain(trail, head) => {
                // In cache-sized pieces: each record is parsed while the scan has just read it.
                let mut at = 0;
                while at < chunk.len() {
                    let end = (at + PLAIN_PIECE).min(chunk.len());
                    let piece = &chunk[at..end];
                    let Some(content) = trail.push(piece) else {
                        if let Some(h) = head {
                            if trail.acc.records() > 0 || h.len() + piece.len() > HEAD_HELD {
                                *head = None;
                            } else {
                                h.extend_from_slice(piece);
                            }
                        }
                        at = end;
                        continue;
                    };
                    let head = head.take().filter(|_| trail.acc.records() == 0);
                    self.mode = match head {
                        // Not a trail document: maybe one record per line.
                        Some(mut head) => {
                            head.extend_from_slice(piece);
                            self.content_mode(head)
                        }
                        None if self.compact => Mode::Reread,
                        None => Mode::Buffer(content),
                    };
                    // The rest of the chunk belongs to the content too.
                    self.feed(&chunk[end..]);
                    break;
                }
            }
            Mode::Gzip(gz) => gz.push(chunk, self.size_hint),
        }
    }

    /// The mode for a file that starts with `head` (at least [`SNIFF_BYTES`] bytes; fed next).
    fn start(&self, head: &[u8]) -> Mode {
        if archive::is_zip(head) {
            let mut buffer = Vec::new();
            // A hint, not a promise: a failed reservation just grows the buffer as chunks arrive.
            let _ = buffer.try_reserve(usize::try_from(self.size_hint.min(self.ceiling)).unwrap_or(0));
            return Mode::Buffer(buffer);
        }
        if gzip::is_gzip(head) {
            return Mode::Gzip(Box::new(Gz::new(&self.name, self.size_hint, self.compact, self.ceiling)));
        }
        // A compact stream keeps nothing to rebuild the content from: it reads the file again.
        let mut trail = Box::new(Trail::new(!self.compact));
        trail.acc.compact = self.compact;
        Mode::Plain(trail, Some(Vec::new()))
    }

    /// The mode for a plain file that is not a trail document, its `content` so far: line by
    /// line when it starts with a JSON object, else held whole (within the ceiling).
    fn content_mode(&self, content: Vec<u8>) -> Mode {
        if starts_object(&content) {
            let mut lines = Box::new(LineReader::new(&self.name, self.compact, max_line(self.ceiling)));
            lines.push(&content);
            return Mode::Lines(lines, (!self.compact).then_some(content));
        }
        // Room for the whole file at once (within the ceiling): growing by doubling would
        // hold the old buffer and one twice its size while it copies.
        let mut buffer = Vec::new();
        let room = usize::try_from(self.size_hint.min(self.ceiling)).unwrap_or(0).max(content.len());
        if buffer.try_reserve_exact(room).is_err() {
            return Mode::Buffer(content);
        }
        buffer.extend_from_slice(&content);
        Mode::Buffer(buffer)
    }

    /// Records found so far (valid or not), for progress.
    pub fn records_so_far(&self) -> u64 {
        self.records
    }

    /// Ends the file: its parsed files (one, or an archive's members named `a.zip!/member`).
    ///
    /// A compact stream that must read its file again cannot here: use
    /// [`FileStream::finish_with`] (this reports the file as unreadable).
    pub fn finish(self) -> Vec<(String, ParsedFile)> {
        self.finish_with(&mut || Err("the file could not be read again".to_owned()))
    }

    /// [`FileStream::finish`], with `whole` giving the file's bytes again when a compact plain
    /// file needs the whole-file reading (or why they cannot be read: the file is rejected).
    /// It is not called for a file beyond the ceiling on content held whole: such a file is
    /// rejected, saying its size and the limit.
    pub fn finish_with(self, whole: &mut dyn FnMut() -> Result<Vec<u8>, String>) -> Vec<(String, ParsedFile)> {
        let Self { name, compact, fed, ceiling, .. } = self;
        let too_big = || ParsedFile::rejected(too_big_reason("the file", fed, ceiling));
        let reread = |name: String, whole: &mut dyn FnMut() -> Result<Vec<u8>, String>| match whole() {
            _ if fed > ceiling => vec![(name, too_big())],
            Ok(bytes) => parse_input(&name, &bytes),
            Err(reason) => vec![(name, ParsedFile::rejected(reason))],
        };
        let files = match self.mode {
            Mode::Buffer(bytes) if bytes.len() as u64 > ceiling => vec![(name, too_big())],
            Mode::Sniff(bytes) | Mode::Buffer(bytes) => parse_input(&name, &bytes),
            Mode::Refused(what) => vec![(name, ParsedFile::rejected(too_big_reason(what, fed, ceiling)))],
            Mode::Reread => reread(name, whole),
            Mode::Plain(trail, _) => match trail.finish() {
                Ok(parsed) => vec![(name, parsed)],
                Err(_) if compact => reread(name, whole),
                Err(content) if content.len() as u64 > ceiling => vec![(name, too_big())],
                Err(content) => parse_input(&name, &content),
            },
            Mode::Lines(lines, held) => match (lines.finish(), held) {
                (LinesEnd::Exact(parsed), _) => vec![(name, parsed)],
                (LinesEnd::Whole { .. }, Some(content)) => parse_input(&name, &content),
                (LinesEnd::Whole { .. }, None) if compact && fed <= ceiling => reread(name, whole),
                (LinesEnd::Whole { otherwise: Some(parsed), .. }, None) => vec![(name, parsed)],
                (LinesEnd::Whole { refused: Some(reason), .. }, None) => vec![(name, ParsedFile::rejected(reason))],
                (LinesEnd::Whole { .. }, None) => vec![(name, too_big())],
            },
            Mode::Gzip(gz) => gz.finish(),
        };
        if compact { drop_unrelated_raw(files) } else { files }
    }
}

/// [`parse_input`] for a compact dataset: the bytes through a compact [`FileStream`] at once,
/// so unrelated records become rows without their text being copied (the CLI reads this way).
pub fn parse_input_compact(name: &str, bytes: &[u8]) -> Vec<(String, ParsedFile)> {
    let mut stream = FileStream::new(name, bytes.len() as u64).compact();
    stream.push(bytes);
    stream.finish_with(&mut || Ok(bytes.to_vec()))
}

/// Lets go of the raw text of events that are not EICE-related and have a span (a compact
/// stream's result is the same whichever way the file was read).
fn drop_unrelated_raw(mut files: Vec<(String, ParsedFile)>) -> Vec<(String, ParsedFile)> {
    for (_, f) in &mut files {
        for (_, e) in &mut f.events {
            if e.raw_is_droppable() {
                e.raw = String::new();
            }
        }
    }
    files
}

/// A `{"Records":[…]}` content being parsed record by record.
#[derive(Debug)]
pub(super) struct Trail {
    scanner: Scanner,
    pub(super) acc: TrailAcc,
    /// The open record's bytes from earlier chunks.
    carry: Vec<u8>,
    /// Content offset of the open record.
    open_at: u64,
    /// Whether to keep what is needed to rebuild the content (plain files).
    keep: bool,
    /// Every content byte so far that is not the `raw` of an event, in order.
    aux: Vec<u8>,
    /// Where each such event's `raw` goes back into `aux`: (aux position, event index).
    holes: Vec<(usize, usize)>,
    marks: Vec<Mark>,
}

impl Trail {
    pub(super) fn new(keep: bool) -> Self {
        Self {
            scanner: Scanner::default(),
            acc: TrailAcc::default(),
            carry: Vec::new(),
            open_at: 0,
            keep,
            aux: Vec::new(),
            holes: Vec::new(),
            marks: Vec::new(),
        }
    }

    /// Scans and parses the next content bytes. `Some(content so far)` when the content stops
    /// being a trail document this path reads (with `keep`; without it, the content is empty).
    pub(super) fn push(&mut self, chunk: &[u8]) -> Option<Vec<u8>> {
        if self.acc.compact && !self.keep {
            return self.push_lean(chunk);
        }
        let base = self.scanner.fed();
        let mut marks = std::mem::take(&mut self.marks);
        marks.clear();
        let ok = self.scanner.feed(chunk, &mut |m| marks.push(m));
        // Content bytes of `chunk` before `done` are in `aux`, `carry` or an event's `raw`.
        let mut done = 0;
        for &m in &marks {
            match m {
                Mark::Start(s) => {
                    if self.keep {
                        self.aux.extend_from_slice(&chunk[done..s]);
                    }
                    done = s;
                    self.open_at = base + s as u64;
                }
                Mark::End(e) => {
                    let joined;
                    let item: &[u8] = if self.carry.is_empty() {
                        &chunk[done..e]
                    } else {
                        let mut bytes = std::mem::take(&mut self.carry);
                        bytes.extend_from_slice(&chunk[done..e]);
                        joined = bytes;
                        &joined
                    };
                    match self.record(item, self.open_at) {
                        None => {
                            let mut content = self.rebuild();
                            content.extend_from_slice(item);
                            content.extend_from_slice(&chunk[e..]);
                            self.marks = marks;
                            return Some(content);
                        }
                        Some(true) => self.holes.push((self.aux.len(), self.acc.last_event())),
                        Some(false) if self.keep => self.aux.extend_from_slice(item),
                        Some(false) => {}
                    }
                    done = e;
                }
            }
        }
        self.marks = marks;
        if ok {
            if !self.scanner.in_item() {
                if self.keep {
                    self.aux.extend_from_slice(&chunk[done..]);
                }
                return None;
            }
            if self.carry.len() + (chunk.len() - done) <= MAX_RECORD_BYTES {
                self.carry.extend_from_slice(&chunk[done..]);
                return None;
            }
        }
        // Not (or no longer) a document this path reads: the content so far, rebuilt.
        let mut content = self.rebuild();
        content.extend_from_slice(&chunk[done..]);
        Some(content)
    }

    /// [`Trail::push`] for a compact stream, which keeps nothing to rebuild the content from:
    /// each record is read where it starts, in one pass that also finds its end (the common
    /// rows, `TrailAcc::add_row_fast`), else delimited by the scanner and read as before.
    fn push_lean(&mut self, chunk: &[u8]) -> Option<Vec<u8>> {
        let base = self.scanner.fed();
        // The chunk's UTF-8 text up to its first incomplete or invalid character: records
        // within it are read in place, the rest (one cut at the chunk's end) the general way.
        let text = utf8_prefix(chunk);
        let piece = Base::new(chunk, base);
        let Self { scanner, acc, carry, open_at, .. } = self;
        let mut done = 0;
        let mut failed = false;
        let ok = scanner.feed_skipping(chunk, &mut |m| {
            if failed {
                return None;
            }
            match m {
                Mark::Start(s) => {
                    *open_at = base + s as u64;
                    done = s;
                    let len = acc.add_row_fast(text.get(s..)?, &piece)?;
                    done = s + len;
                    Some(len)
                }
                Mark::End(e) => {
                    let joined;
                    let item: &[u8] = if carry.is_empty() {
                        &chunk[done..e]
                    } else {
                        let mut bytes = std::mem::take(carry);
                        bytes.extend_from_slice(&chunk[done..e]);
                        joined = bytes;
                        &joined
                    };
                    failed = Self::read_record(acc, item, *open_at).is_none();
                    done = e;
                    None
                }
            }
        });
        if ok && !failed {
            if !self.scanner.in_item() {
                return None;
            }
            if self.carry.len() + (chunk.len() - done) <= MAX_RECORD_BYTES {
                self.carry.extend_from_slice(&chunk[done..]);
                return None;
            }
        }
        // Not (or no longer) a document this path reads: the file is read again.
        Some(Vec::new())
    }

    /// Parses one record (`Some(true)`: an event whose `raw` is the record's text), `None` when
    /// it is beyond the size bound, not UTF-8 or not JSON.
    fn record(&mut self, bytes: &[u8], offset: u64) -> Option<bool> {
        Self::read_record(&mut self.acc, bytes, offset)
    }

    fn read_record(acc: &mut TrailAcc, bytes: &[u8], offset: u64) -> Option<bool> {
        if bytes.len() > MAX_RECORD_BYTES {
            return None;
        }
        let text = std::str::from_utf8(bytes).ok()?;
        acc.add(text, Some(&Base::new(bytes, offset))).ok()
    }

    /// The content read so far (with `keep`): `aux` with the events' `raw` put back, and the
    /// open record's first part.
    fn rebuild(&mut self) -> Vec<u8> {
        if !self.keep {
            return Vec::new();
        }
        let mut out = Vec::with_capacity(self.aux.len() + self.carry.len());
        let mut from = 0;
        for &(at, event) in &self.holes {
            out.extend_from_slice(&self.aux[from..at]);
            out.extend_from_slice(self.acc.event_raw(event).as_bytes());
            from = at;
        }
        out.extend_from_slice(&self.aux[from..]);
        out.extend_from_slice(&self.carry);
        out
    }

    /// The parsed file when the document ended properly, else the content for the whole-file
    /// reading.
    pub(super) fn finish(mut self) -> Result<ParsedFile, Vec<u8>> {
        if self.scanner.done() { Ok(self.acc.finish()) } else { Err(self.rebuild()) }
    }
}

/// The longest UTF-8 prefix of `bytes`: all of it but a character cut at the end, or up to
/// the first invalid byte (validated twice, which only malformed text pays).
fn utf8_prefix(bytes: &[u8]) -> &str {
    // A cut character: the last lead byte (within the last four) needs more bytes than follow.
    let tail = bytes.len().saturating_sub(4);
    let end = (tail..bytes.len())
        .rev()
        .find(|&k| bytes[k] & 0xC0 != 0x80)
        .filter(|&k| {
            let need = match bytes[k] {
                b if b >= 0xF0 => 4,
                b if b >= 0xE0 => 3,
                b if b >= 0xC0 => 2,
                _ => 1,
            };
            k + need > bytes.len()
        })
        .unwrap_or(bytes.len());
    match std::str::from_utf8(&bytes[..end]) {
        Ok(text) => text,
        Err(e) => std::str::from_utf8(&bytes[..e.valid_up_to()]).unwrap_or_default(),
    }
}
