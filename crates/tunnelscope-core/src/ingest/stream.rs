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

use std::io::{self, BufRead, Read};

use flate2::bufread::MultiGzDecoder;

use super::container::{Base, TrailAcc};
use super::scan::{Mark, Scanner};
use super::{MAX_EXPANSION_RATIO, MAX_RECORD_BYTES, MIN_EXPANSION_ALLOWANCE, ParsedFile, archive, gzip, parse_input};

/// Bytes needed to tell gzip and zip files from the rest.
const SNIFF_BYTES: usize = 4;
/// Decompressed bytes produced per read of the gzip decoder.
const GZ_OUT: usize = 256 << 10;
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
}

#[derive(Debug)]
enum Mode {
    /// The first bytes, until the kind of file is known.
    Sniff(Vec<u8>),
    /// Buffered whole, read at the end (zip, or a plain file that is not a trail document).
    Buffer(Vec<u8>),
    /// A plain file whose content streams.
    Plain(Box<Trail>),
    /// A gzip file: its compressed bytes and the decompressed content streaming.
    Gzip(Box<Gz>),
    /// A compact plain file that needs the whole-file reading: its events' text was let go, so
    /// the file is read again at the end (`finish_with`).
    Reread,
}

impl FileStream {
    /// Starts reading the file `name` (the path as given); `size_hint` is its size on disk.
    pub fn new(name: &str, size_hint: u64) -> Self {
        Self { name: name.to_owned(), size_hint, mode: Mode::Sniff(Vec::new()), records: 0, compact: false }
    }

    /// A stream for a compact dataset: the raw text of events that are not EICE-related and
    /// have a span is let go as soon as they are parsed (the dataset keeps only the span), so
    /// a load holds a chunk and the parsed fields, not the file's text. A plain file that then
    /// needs the whole-file reading is read again through [`FileStream::finish_with`].
    pub fn compact(mut self) -> Self {
        self.compact = true;
        self
    }

    /// Feeds the next chunk of the file's bytes.
    pub fn push(&mut self, chunk: &[u8]) {
        self.feed(chunk);
        let now = match &self.mode {
            Mode::Plain(trail) => trail.acc.records() as u64,
            Mode::Gzip(gz) => gz.trail.as_ref().map_or(0, |t| t.acc.records() as u64),
            Mode::Sniff(_) | Mode::Buffer(_) | Mode::Reread => 0,
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
            self.mode = self.start(head);
        }
        match &mut self.mode {
            Mode::Sniff(_) | Mode::Reread => {}
            Mode::Buffer(buffer) => buffer.extend_from_slice(chunk),
            Mode::Plain(trail) => {
                // In cache-sized pieces: each record is parsed while the scan has just read it.
                let mut at = 0;
                while at < chunk.len() {
                    let end = (at + PLAIN_PIECE).min(chunk.len());
                    if let Some(mut content) = trail.push(&chunk[at..end]) {
                        self.mode = if self.compact {
                            Mode::Reread
                        } else {
                            // The rest of the chunk belongs to the content too.
                            content.extend_from_slice(&chunk[end..]);
                            Mode::Buffer(content)
                        };
                        break;
                    }
                    at = end;
                }
            }
            Mode::Gzip(gz) => gz.push(chunk, self.size_hint),
        }
    }

    /// The mode for a file that starts with `head` (at least [`SNIFF_BYTES`] bytes).
    fn start(&self, head: Vec<u8>) -> Mode {
        if archive::is_zip(&head) {
            let mut buffer = Vec::new();
            // A hint, not a promise: a failed reservation just grows the buffer as chunks arrive.
            let _ = buffer.try_reserve(usize::try_from(self.size_hint).unwrap_or(0));
            buffer.extend_from_slice(&head);
            return Mode::Buffer(buffer);
        }
        if gzip::is_gzip(&head) {
            let mut gz = Box::new(Gz::new(self.size_hint));
            if let Some(trail) = &mut gz.trail {
                trail.acc.compact = self.compact;
            }
            gz.push(&head, self.size_hint);
            return Mode::Gzip(gz);
        }
        // A compact stream keeps nothing to rebuild the content from: it reads the file again.
        let mut trail = Box::new(Trail::new(!self.compact));
        trail.acc.compact = self.compact;
        match trail.push(&head) {
            Some(_) if self.compact => Mode::Reread,
            Some(content) => Mode::Buffer(content),
            None => Mode::Plain(trail),
        }
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
    pub fn finish_with(self, whole: &mut dyn FnMut() -> Result<Vec<u8>, String>) -> Vec<(String, ParsedFile)> {
        let name = self.name;
        let compact = self.compact;
        let reread = |name: String, whole: &mut dyn FnMut() -> Result<Vec<u8>, String>| match whole() {
            Ok(bytes) => parse_input(&name, &bytes),
            Err(reason) => vec![(name, ParsedFile::rejected(reason))],
        };
        let files = match self.mode {
            Mode::Sniff(bytes) | Mode::Buffer(bytes) => parse_input(&name, &bytes),
            Mode::Reread => reread(name, whole),
            Mode::Plain(trail) => match trail.finish() {
                Ok(parsed) => vec![(name, parsed)],
                Err(_) if compact => reread(name, whole),
                Err(content) => parse_input(&name, &content),
            },
            Mode::Gzip(gz) => match gz.finish() {
                Ok(parsed) => vec![(name, parsed)],
                Err(stored) => parse_input(&name, &stored),
            },
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
struct Trail {
    scanner: Scanner,
    acc: TrailAcc,
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
    fn new(keep: bool) -> Self {
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
    fn push(&mut self, chunk: &[u8]) -> Option<Vec<u8>> {
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
    fn finish(mut self) -> Result<ParsedFile, Vec<u8>> {
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

/// The decompressor's input: the compressed bytes pushed and not yet consumed. Reads past them
/// "would block" until more arrive, or end once the file is complete.
#[derive(Debug, Default)]
pub(super) struct Feed {
    pub(super) buf: Vec<u8>,
    pub(super) pos: usize,
    pub(super) complete: bool,
}

impl Read for Feed {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let n = {
            let available = self.fill_buf()?;
            let n = available.len().min(out.len());
            out[..n].copy_from_slice(&available[..n]);
            n
        };
        self.consume(n);
        Ok(n)
    }
}

impl BufRead for Feed {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        if self.pos < self.buf.len() || self.complete {
            Ok(&self.buf[self.pos..])
        } else {
            Err(io::ErrorKind::WouldBlock.into())
        }
    }

    fn consume(&mut self, n: usize) {
        self.pos = (self.pos + n).min(self.buf.len());
    }
}

/// A gzip file being decompressed as it arrives.
struct Gz {
    /// The file's compressed bytes, for the whole-file reading when anything is unusual.
    stored: Vec<u8>,
    decoder: MultiGzDecoder<Feed>,
    /// The content's trail parse; `None` once the file is left to the whole-file reading.
    trail: Option<Trail>,
    out: Vec<u8>,
    produced: u64,
    ended: bool,
}

impl std::fmt::Debug for Gz {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Gz").field("stored", &self.stored.len()).field("produced", &self.produced).finish()
    }
}

impl Gz {
    fn new(size_hint: u64) -> Self {
        let mut stored = Vec::new();
        let _ = stored.try_reserve(usize::try_from(size_hint).unwrap_or(0));
        Self {
            stored,
            decoder: MultiGzDecoder::new(Feed::default()),
            trail: Some(Trail::new(false)),
            out: vec![0; GZ_OUT],
            produced: 0,
            ended: false,
        }
    }

    fn push(&mut self, chunk: &[u8], size_hint: u64) {
        self.stored.extend_from_slice(chunk);
        if self.trail.is_none() {
            return;
        }
        let feed = self.decoder.get_mut();
        feed.buf.drain(..feed.pos);
        feed.pos = 0;
        feed.buf.extend_from_slice(chunk);
        self.decode(size_hint);
    }

    /// Decompresses what the input allows, parsing the output; leaves the file to the
    /// whole-file reading on any error, on output beyond the expansion bound, or when the
    /// content is not a trail document.
    fn decode(&mut self, size_hint: u64) {
        let compressed = (self.stored.len() as u64).max(size_hint);
        let limit = compressed.saturating_mul(MAX_EXPANSION_RATIO).max(MIN_EXPANSION_ALLOWANCE);
        while let Some(trail) = &mut self.trail {
            match self.decoder.read(&mut self.out) {
                Ok(0) => {
                    self.ended = true;
                    return;
                }
                Ok(n) => {
                    self.produced += n as u64;
                    if self.produced > limit || trail.push(&self.out[..n]).is_some() {
                        self.trail = None;
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return,
                Err(_) => self.trail = None,
            }
        }
    }

    /// The parsed file, or the compressed bytes for the whole-file reading.
    fn finish(mut self) -> Result<ParsedFile, Vec<u8>> {
        if self.trail.is_some() {
            self.decoder.get_mut().complete = true;
            self.decode(0);
        }
        let limit = (self.stored.len() as u64).saturating_mul(MAX_EXPANSION_RATIO).max(MIN_EXPANSION_ALLOWANCE);
        if self.produced > limit {
            // Already a bomb as it streamed (the whole-file reading would say so too, after
            // decompressing it all again): refused without reading it again.
            return Ok(ParsedFile::rejected(gzip::bomb_reason(limit)));
        }
        match self.trail {
            Some(trail) if self.ended && self.produced <= limit => trail.finish().map_err(|_| self.stored),
            _ => Err(self.stored),
        }
    }
}
