//! A gzip file decompressed as its bytes arrive, its content read as it streams: a
//! `{"Records":[…]}` document record by record, a file of one record per line line by line,
//! anything else only counted (for the expansion bound and the ceiling on content held whole).

use std::io::{self, BufRead, Read};

use flate2::bufread::MultiGzDecoder;

use super::lines::{LineReader, LinesEnd, starts_object};
use super::stream::Trail;
use super::{MAX_RECORD_BYTES, ParsedFile, gzip, parse_input, too_big_reason};

/// Content held before the first record, to read it line by line after all when it is not a
/// trail document (which shows within its first bytes); beyond, the whole-file reading decides.
pub(super) const HEAD_HELD: usize = 1 << 20;
/// Decompressed bytes produced per read of the decoder.
const GZ_OUT: usize = 256 << 10;

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

/// What the decompressed content goes to.
#[derive(Debug)]
enum Sink {
    /// A `{"Records":[…]}` document, record by record.
    Trail(Box<Trail>),
    /// One record per line.
    Lines(Box<LineReader>),
    /// Anything else: only counted; the whole-file reading decides at the end.
    Count,
    /// The decoder failed (or the content is a bomb): nothing more is decompressed.
    Stop,
}

/// A gzip file being decompressed as it arrives.
pub(super) struct Gz {
    name: String,
    /// The file's compressed bytes, for the whole-file reading when the content does not
    /// stream; let go beyond the ceiling unless the content is a trail document with records.
    stored: Option<Vec<u8>>,
    /// Compressed bytes pushed.
    compressed: u64,
    decoder: MultiGzDecoder<Feed>,
    sink: Sink,
    /// The content so far, while no record was read (to read it line by line after all).
    head: Option<Vec<u8>>,
    out: Vec<u8>,
    produced: u64,
    ended: bool,
    /// The decoder's error, when it failed.
    error: Option<String>,
    compact: bool,
    ceiling: u64,
}

impl std::fmt::Debug for Gz {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Gz").field("compressed", &self.compressed).field("produced", &self.produced).finish()
    }
}

impl Gz {
    pub(super) fn new(name: &str, size_hint: u64, compact: bool, ceiling: u64) -> Self {
        // Room for the file within the ceiling: more only once its content is known to stream
        // (wasm memory never shrinks, so a reservation is a peak).
        let mut stored = Vec::new();
        let _ = stored.try_reserve_exact(usize::try_from(size_hint.min(ceiling)).unwrap_or(0));
        let mut trail = Box::new(Trail::new(false));
        trail.acc.compact = compact;
        Self {
            name: name.to_owned(),
            stored: Some(stored),
            compressed: 0,
            decoder: MultiGzDecoder::new(Feed::default()),
            sink: Sink::Trail(trail),
            head: Some(Vec::new()),
            out: vec![0; GZ_OUT],
            produced: 0,
            ended: false,
            error: None,
            compact,
            ceiling,
        }
    }

    /// Records found so far (valid or not).
    pub(super) fn records(&self) -> usize {
        match &self.sink {
            Sink::Trail(t) => t.acc.records(),
            Sink::Lines(l) => l.records(),
            Sink::Count | Sink::Stop => 0,
        }
    }

    pub(super) fn push(&mut self, chunk: &[u8], size_hint: u64) {
        self.compressed += chunk.len() as u64;
        // A trail document streams (its compressed bytes, a fraction of what its records
        // need, are kept for the whole-file reading); anything else is kept within the ceiling.
        let streams = matches!(&self.sink, Sink::Trail(t) if t.acc.records() > 0);
        if let Some(stored) = &mut self.stored {
            let need = stored.len() as u64 + chunk.len() as u64;
            if !streams && need > self.ceiling {
                self.stored = None;
            } else {
                if need > stored.capacity() as u64 {
                    // Once, to the file's size: growing by doubling would copy and overshoot.
                    let want = size_hint.max(need) - stored.len() as u64;
                    let _ = stored.try_reserve_exact(usize::try_from(want).unwrap_or(0));
                }
                stored.extend_from_slice(chunk);
            }
        }
        if matches!(self.sink, Sink::Stop) {
            return;
        }
        let feed = self.decoder.get_mut();
        feed.buf.drain(..feed.pos);
        feed.pos = 0;
        feed.buf.extend_from_slice(chunk);
        self.decode(size_hint);
    }

    /// Decompresses what the input allows, reading the output; stops on an error or on
    /// output beyond the expansion bound.
    fn decode(&mut self, size_hint: u64) {
        let limit = gzip::expansion_limit(self.compressed.max(size_hint));
        loop {
            if matches!(self.sink, Sink::Stop) {
                return;
            }
            match self.decoder.read(&mut self.out) {
                Ok(0) => {
                    self.ended = true;
                    return;
                }
                Ok(n) => {
                    self.produced += n as u64;
                    if self.produced > limit {
                        self.sink = Sink::Stop;
                        return;
                    }
                    self.content(n);
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return,
                Err(e) => {
                    self.error = Some(gzip::read_error(&e, self.produced));
                    self.sink = Sink::Stop;
                }
            }
        }
    }

    /// Reads the next `n` content bytes (in `out`).
    fn content(&mut self, n: usize) {
        let data = &self.out[..n];
        match &mut self.sink {
            Sink::Trail(trail) => {
                if trail.push(data).is_none() {
                    if let Some(head) = &mut self.head {
                        if trail.acc.records() > 0 || head.len() + n > HEAD_HELD {
                            self.head = None;
                        } else {
                            head.extend_from_slice(data);
                        }
                    }
                    return;
                }
                self.sink = match self.head.take() {
                    // Not a trail document: maybe one record per line.
                    Some(mut content) if trail.acc.records() == 0 => {
                        content.extend_from_slice(data);
                        if starts_object(&content) {
                            let mut lines = LineReader::new(&self.name, self.compact, max_line(self.ceiling));
                            lines.push(&content);
                            Sink::Lines(Box::new(lines))
                        } else {
                            Sink::Count
                        }
                    }
                    _ => Sink::Count,
                };
            }
            Sink::Lines(lines) => lines.push(data),
            Sink::Count | Sink::Stop => {}
        }
    }

    /// The parsed files: the streamed reading's, or the whole-file reading's of the compressed
    /// bytes when it is needed and the content is within the ceiling.
    pub(super) fn finish(mut self) -> Vec<(String, ParsedFile)> {
        if !matches!(self.sink, Sink::Stop) {
            self.decoder.get_mut().complete = true;
            self.decode(0);
        }
        let limit = gzip::expansion_limit(self.compressed);
        let name = self.name.clone();
        let one = |parsed: ParsedFile| vec![(name.clone(), parsed)];
        if self.produced > limit {
            // Already a bomb as it streamed (the whole-file reading would say so too, after
            // decompressing it all again): refused without reading it again.
            return one(ParsedFile::rejected(gzip::bomb_reason(limit)));
        }
        let (otherwise, refused) = match std::mem::replace(&mut self.sink, Sink::Stop) {
            Sink::Trail(trail) if self.ended => match trail.finish() {
                Ok(parsed) => return one(parsed),
                Err(_) => (None, None),
            },
            Sink::Lines(lines) if self.ended => match lines.finish() {
                LinesEnd::Exact(parsed) => return one(parsed),
                LinesEnd::Whole { otherwise, refused } => (otherwise, refused),
            },
            _ => (None, None),
        };
        match self.stored {
            Some(stored) if self.produced <= self.ceiling => parse_input(&self.name, &stored),
            _ => one(match (self.error, otherwise, refused) {
                // Content past the ceiling that did not stream is refused for its size, whatever
                // the decoder met after it: bytes after the gzip data, which the whole reading
                // only notes, make a streaming decoder fail as if the data were cut.
                (Some(_), None, None) if self.produced > self.ceiling => {
                    ParsedFile::rejected(too_big_reason("the gzip file's content", self.produced, self.ceiling))
                }
                // What the whole-file reading would say first.
                (Some(error), _, _) => ParsedFile::rejected(error),
                (None, Some(parsed), _) => parsed,
                (None, None, Some(reason)) => ParsedFile::rejected(reason),
                (None, None, None) => {
                    ParsedFile::rejected(too_big_reason("the gzip file's content", self.produced, self.ceiling))
                }
            }),
        }
    }
}

/// The longest line held by a line-by-line reading within `ceiling`.
pub(super) fn max_line(ceiling: u64) -> usize {
    usize::try_from(ceiling).unwrap_or(usize::MAX).max(MAX_RECORD_BYTES)
}
