//! Many records' raw text read again from one file in a single pass, as its bytes arrive.
//!
//! A compact dataset keeps only a span (a byte range of the file's content) for most events;
//! a raw-records export needs thousands of them from each file. [`SpanReader`] takes the file's
//! bytes in chunks, in order, and cuts every span out as the content passes by: a plain file
//! need only be read over the ranges that hold spans ([`SpanReader::ranges`]), a gzip file is
//! decompressed as a stream and no further than its last span, and a zip member is read whole
//! by [`super::read_spans`] (a member is bounded in size). Each span gives what
//! [`super::read_span`] gives for it, `None` where that is an error (beyond the content, not
//! UTF-8, a damaged or over-expanding gzip stream before the span ends).
//!
//! The records are copied back to back into one buffer ([`SpanTexts`]), room for all of them
//! made at once: in wasm (V8, Node 20), 50,000 records (40 MB) allocated one by one took
//! 290-530 ms, the memory growing a little at a time, against ~55 ms into one buffer.

use std::io::{ErrorKind, Read};

use flate2::bufread::MultiGzDecoder;

use super::gzstream::Feed;
use super::{MAX_EXPANSION_RATIO, MIN_EXPANSION_ALLOWANCE, archive, gzip, read_spans};
use crate::model::RawSpan;

/// Decompressed bytes produced per read of the gzip decoder.
const GZ_OUT: usize = 256 << 10;

/// Reads the records at a set of spans of one file from its bytes pushed in order.
#[derive(Debug)]
pub struct SpanReader {
    cut: Cutter,
    mode: Mode,
}

#[derive(Debug)]
enum Mode {
    /// The content is the file itself.
    Plain,
    /// A gzip file, decompressed as it arrives.
    Gzip(Box<Gz>),
    /// A zip archive's member: the file is buffered and read whole at the end.
    Whole { member: String, bytes: Vec<u8> },
}

/// The decompression of a gzip file.
struct Gz {
    decoder: MultiGzDecoder<Feed>,
    out: Vec<u8>,
    /// Content bytes produced so far.
    produced: u64,
    /// Most content bytes allowed (as [`super::read_span`] allows).
    limit: u64,
    /// Compressed bytes pushed so far.
    pushed: u64,
    /// The stream ended, failed or went beyond the limit: nothing more comes out.
    stopped: bool,
}

impl std::fmt::Debug for Gz {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Gz").field("produced", &self.produced).field("pushed", &self.pushed).finish()
    }
}

impl SpanReader {
    /// Reads `spans` of a file of `file_size` bytes whose first bytes are `head` (at least 4
    /// unless the file is shorter); `member` is the path inside a zip archive (after `!/`).
    pub fn new(head: &[u8], member: Option<&str>, spans: &[RawSpan], file_size: u64) -> Self {
        let mode = match member {
            Some(member) => Mode::Whole { member: member.to_owned(), bytes: Vec::new() },
            None if gzip::is_gzip(head) => Mode::Gzip(Box::new(Gz {
                decoder: MultiGzDecoder::new(Feed::default()),
                out: vec![0; GZ_OUT],
                produced: 0,
                limit: file_size.saturating_mul(MAX_EXPANSION_RATIO).max(MIN_EXPANSION_ALLOWANCE),
                pushed: 0,
                stopped: false,
            })),
            None => Mode::Plain,
        };
        Self { cut: Cutter::new(spans), mode }
    }

    /// The byte ranges of the file to push, in order: for a plain file the runs of spans, a
    /// gap of up to `gap` bytes read through rather than starting another read; for a gzip
    /// file or an archive the whole file (`0..file_size`; a gzip file's reading may stop once
    /// [`SpanReader::is_done`]).
    pub fn ranges(&self, gap: u64, file_size: u64) -> Vec<(u64, u64)> {
        if !matches!(self.mode, Mode::Plain) {
            return vec![(0, file_size)];
        }
        let mut runs: Vec<(u64, u64)> = Vec::new();
        for (span, _) in &self.cut.spans {
            let (start, end) = (span.offset, span.offset.saturating_add(u64::from(span.len)));
            match runs.last_mut() {
                Some(run) if start <= run.1.saturating_add(gap) => run.1 = run.1.max(end),
                _ => runs.push((start, end)),
            }
        }
        runs
    }

    /// Bytes `at..at + bytes.len()` of the file as stored. Pushes go forward: bytes already
    /// pushed are ignored; a plain file may skip bytes (those no span needs), a gzip file may
    /// not (what follows a gap is not decompressed).
    pub fn push(&mut self, at: u64, bytes: &[u8]) {
        match &mut self.mode {
            Mode::Plain => self.cut.content(at, bytes),
            Mode::Whole { bytes: buffer, .. } => {
                let have = buffer.len() as u64;
                if at <= have {
                    let skip = usize::try_from(have - at).unwrap_or(usize::MAX);
                    buffer.extend_from_slice(bytes.get(skip..).unwrap_or_default());
                }
            }
            Mode::Gzip(gz) => {
                let skip = usize::try_from(gz.pushed.saturating_sub(at)).unwrap_or(usize::MAX);
                if at > gz.pushed {
                    gz.stopped = true;
                }
                if gz.stopped || skip >= bytes.len() {
                    return;
                }
                let bytes = &bytes[skip..];
                gz.pushed += bytes.len() as u64;
                let feed = gz.decoder.get_mut();
                feed.buf.drain(..feed.pos);
                feed.pos = 0;
                feed.buf.extend_from_slice(bytes);
                gz.decode(&mut self.cut);
            }
        }
    }

    /// Every span has been read (or found unreadable): the rest of the file is not needed.
    /// Never true for an archive member, which is read at the end.
    pub fn is_done(&self) -> bool {
        match &self.mode {
            Mode::Whole { .. } => false,
            Mode::Gzip(gz) if gz.stopped => true,
            _ => self.cut.is_done(),
        }
    }

    /// Spans read so far (an archive member's count only at the end).
    pub fn taken(&self) -> usize {
        self.cut.next
    }

    /// The records, in the order the spans were given (`None` where unreadable).
    pub fn finish(mut self) -> SpanTexts {
        match self.mode {
            Mode::Plain => self.cut.flush(),
            Mode::Gzip(mut gz) => {
                if !gz.stopped {
                    gz.decoder.get_mut().complete = true;
                    gz.decode(&mut self.cut);
                }
                self.cut.flush();
            }
            Mode::Whole { member, bytes } => {
                let spans: Vec<RawSpan> = self.cut.spans.iter().map(|(s, _)| *s).collect();
                // A member holds at most what reading allowed: read whole, as when it was loaded.
                if archive::is_zip(&bytes) {
                    if let Ok(texts) = read_spans(&bytes, Some(&member), &spans) {
                        for ((_, slot), text) in self.cut.spans.iter().zip(texts) {
                            let start = self.cut.out.bytes.len();
                            self.cut.out.bytes.extend_from_slice(text.as_bytes());
                            self.cut.out.places[*slot] = Some((start, self.cut.out.bytes.len()));
                        }
                    }
                }
            }
        }
        self.cut.out
    }
}

/// Records read again from one file: their bytes back to back in one buffer, and where each
/// one is, in the order the spans were given.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SpanTexts {
    bytes: Vec<u8>,
    places: Vec<Option<(usize, usize)>>,
}

impl SpanTexts {
    /// `n` records, none readable.
    pub fn unreadable(n: usize) -> Self {
        Self { bytes: Vec::new(), places: vec![None; n] }
    }

    /// Record `k`'s text; `None` when it could not be read or is not UTF-8 text.
    pub fn get(&self, k: usize) -> Option<&str> {
        let (start, end) = (*self.places.get(k)?)?;
        std::str::from_utf8(self.bytes.get(start..end)?).ok()
    }

    /// Records in all (readable or not).
    pub fn len(&self) -> usize {
        self.places.len()
    }

    /// No records.
    pub fn is_empty(&self) -> bool {
        self.places.is_empty()
    }

    /// Bytes of text held, every record's together.
    pub fn text_len(&self) -> usize {
        self.bytes.len()
    }

    /// Each record's text as a string of its own.
    pub fn to_vec(&self) -> Vec<Option<String>> {
        (0..self.len()).map(|k| self.get(k).map(str::to_owned)).collect()
    }
}

impl From<Vec<Option<String>>> for SpanTexts {
    fn from(texts: Vec<Option<String>>) -> Self {
        let mut out = Self::unreadable(texts.len());
        for (place, text) in out.places.iter_mut().zip(texts) {
            if let Some(text) = text {
                let start = out.bytes.len();
                out.bytes.extend_from_slice(text.as_bytes());
                *place = Some((start, out.bytes.len()));
            }
        }
        out
    }
}

impl Gz {
    /// Decompresses what the input allows, handing the content to `cut`, until the input runs
    /// out, the stream ends or fails, or every span is read.
    fn decode(&mut self, cut: &mut Cutter) {
        while !self.stopped && !cut.is_done() {
            match self.decoder.read(&mut self.out) {
                Ok(0) => self.stopped = true,
                Ok(n) => {
                    let at = self.produced;
                    self.produced += n as u64;
                    if self.produced > self.limit {
                        // As a whole reading would: nothing beyond the bound is content.
                        self.stopped = true;
                    } else {
                        cut.content(at, &self.out[..n]);
                    }
                }
                Err(e) if e.kind() == ErrorKind::WouldBlock => return,
                Err(_) => self.stopped = true,
            }
        }
    }
}

/// Cuts spans out of content bytes passing by in order.
#[derive(Debug)]
struct Cutter {
    /// The spans in content order, with their position in the order given.
    spans: Vec<(RawSpan, usize)>,
    /// The next span to cut.
    next: usize,
    out: SpanTexts,
    /// Content bytes from `carry_at` that the next span needs (it began in an earlier push).
    carry: Vec<u8>,
    carry_at: u64,
    /// Content bytes seen up to here.
    seen: u64,
}

impl Cutter {
    fn new(spans: &[RawSpan]) -> Self {
        let mut sorted: Vec<(RawSpan, usize)> = spans.iter().copied().zip(0..).collect();
        sorted.sort_by_key(|(s, slot)| (s.offset, s.len, *slot));
        let mut out = SpanTexts::unreadable(spans.len());
        // Room for every record at once (a hint: failing to reserve it only grows the buffer later).
        let total: u64 = spans.iter().map(|s| u64::from(s.len)).sum();
        let _ = out.bytes.try_reserve(usize::try_from(total.min(MAX_RESERVE)).unwrap_or(0));
        Self { spans: sorted, next: 0, out, carry: Vec::new(), carry_at: 0, seen: 0 }
    }

    fn is_done(&self) -> bool {
        self.next >= self.spans.len()
    }

    /// At the content's end: the spans that lie within what was carried for an earlier one that
    /// runs beyond the end (only overlapping spans can) are read too.
    fn flush(&mut self) {
        let carried = self.carry_at + self.carry.len() as u64;
        for n in self.next..self.spans.len() {
            let (span, slot) = self.spans[n];
            let span_end = span.offset.saturating_add(u64::from(span.len));
            if span.offset >= self.carry_at && span_end <= carried {
                self.take(slot, carried, &[], span.offset, span_end);
            }
        }
        self.next = self.spans.len();
        self.carry.clear();
    }

    /// Content bytes `at..at + bytes.len()`.
    fn content(&mut self, mut at: u64, mut bytes: &[u8]) {
        if at < self.seen {
            let skip = usize::try_from(self.seen - at).unwrap_or(usize::MAX);
            bytes = bytes.get(skip..).unwrap_or_default();
            at = self.seen;
        }
        if bytes.is_empty() {
            return;
        }
        if self.carry_at + self.carry.len() as u64 != at {
            // Bytes were skipped: what was carried cannot be completed.
            self.carry.clear();
        }
        let start = if self.carry.is_empty() { at } else { self.carry_at };
        let end = at + bytes.len() as u64;
        self.seen = end;
        while let Some(&(span, slot)) = self.spans.get(self.next) {
            let span_end = span.offset.saturating_add(u64::from(span.len));
            if span.offset < start {
                // It began in bytes never pushed.
                self.next += 1;
                continue;
            }
            if span_end > end {
                break;
            }
            self.take(slot, at, bytes, span.offset, span_end);
            self.next += 1;
        }
        match self.spans.get(self.next) {
            Some(&(span, _)) if span.offset < end => {
                let mut kept = Vec::new();
                copy_range(&self.carry, self.carry_at, at, bytes, span.offset, end, &mut kept);
                self.carry = kept;
                self.carry_at = span.offset;
            }
            _ => self.carry.clear(),
        }
    }

    /// Cuts span `slot`: content bytes `from..to` out of the carry (which ends at `at`) and
    /// `bytes` (from `at`), onto the end of the records' buffer.
    fn take(&mut self, slot: usize, at: u64, bytes: &[u8], from: u64, to: u64) {
        let start = self.out.bytes.len();
        copy_range(&self.carry, self.carry_at, at, bytes, from, to, &mut self.out.bytes);
        self.out.places[slot] = Some((start, self.out.bytes.len()));
    }
}

/// Most room made at once for the records of one file (they are a file's worth at most).
const MAX_RESERVE: u64 = 1 << 30;

/// Appends content bytes `from..to` to `out`, out of `carry` (from `carry_at`; it ends at `at`)
/// and `bytes` (from `at`).
fn copy_range(carry: &[u8], carry_at: u64, at: u64, bytes: &[u8], from: u64, to: u64, out: &mut Vec<u8>) {
    if from < at {
        let k = usize::try_from(from - carry_at).unwrap_or(usize::MAX);
        let upto = usize::try_from(to.min(at) - carry_at).unwrap_or(usize::MAX);
        out.extend_from_slice(carry.get(k..upto).unwrap_or_default());
    }
    if to > at {
        let k = usize::try_from(from.max(at) - at).unwrap_or(usize::MAX);
        let upto = usize::try_from(to - at).unwrap_or(usize::MAX);
        out.extend_from_slice(bytes.get(k..upto).unwrap_or_default());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::read_span;
    use flate2::{Compression, write::GzEncoder};
    use std::io::Write;

    fn gz(data: &[u8]) -> Vec<u8> {
        let mut e = GzEncoder::new(Vec::new(), Compression::fast());
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }

    /// A small deterministic generator (no dependency for it).
    struct Lcg(u64);

    impl Lcg {
        fn below(&mut self, n: u64) -> u64 {
            self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            (self.0 >> 33) % n.max(1)
        }
    }

    /// Reads `spans` of `file` pushed in `chunk`-byte pieces over `ranges(gap)`.
    fn read(file: &[u8], member: Option<&str>, spans: &[RawSpan], chunk: usize, gap: u64) -> Vec<Option<String>> {
        let size = file.len() as u64;
        let mut r = SpanReader::new(&file[..file.len().min(4)], member, spans, size);
        for (start, end) in r.ranges(gap, size) {
            let range = &file[start.min(size) as usize..end.min(size) as usize];
            for (k, piece) in range.chunks(chunk.max(1)).enumerate() {
                if r.is_done() {
                    break;
                }
                r.push(start + (k * chunk) as u64, piece);
            }
        }
        r.finish().to_vec()
    }

    /// Text with multi-byte characters, and random spans of it (some beyond it, some cutting a
    /// character, some overlapping, some repeated; none empty, as no record is).
    fn case(rng: &mut Lcg) -> (Vec<u8>, Vec<RawSpan>) {
        let words = ["{\"a\":1}", "é", "ünï", "\"x\\\"y\"", ",\n", "日本", "{\"Records\":["];
        let mut text = Vec::new();
        for _ in 0..rng.below(400) {
            text.extend_from_slice(words[rng.below(words.len() as u64) as usize].as_bytes());
        }
        let len = text.len() as u64;
        let spans =
            (0..rng.below(40)).map(|_| RawSpan { offset: rng.below(len + 8), len: 1 + rng.below(60) as u32 }).collect();
        (text, spans)
    }

    #[test]
    fn every_span_reads_as_read_span_reads_it_for_any_chunking_and_gap() {
        let mut rng = Lcg(17);
        for round in 0..300 {
            let (text, spans) = case(&mut rng);
            let packed = gz(&text);
            for file in [&text, &packed] {
                let want: Vec<Option<String>> = spans.iter().map(|&s| read_span(file, None, s).ok()).collect();
                for chunk in [1, 3, 64, 1 << 20] {
                    for gap in [0, 5, 1 << 20] {
                        assert_eq!(read(file, None, &spans, chunk, gap), want, "round {round} chunk {chunk} gap {gap}");
                    }
                }
            }
        }
    }

    #[test]
    fn texts_sit_back_to_back_and_what_is_not_text_reads_as_none() {
        let t = SpanTexts::from(vec![Some("a".to_owned()), None, Some("ünï".to_owned())]);
        assert_eq!((t.len(), t.get(0), t.get(1), t.get(2), t.get(3)), (3, Some("a"), None, Some("ünï"), None));
        assert_eq!(t.text_len(), 1 + "ünï".len());
        assert_eq!(SpanTexts::unreadable(2).to_vec(), vec![None, None]);
        // A span that cuts a character in two is not text.
        let cut = [RawSpan { offset: 0, len: 1 }, RawSpan { offset: 0, len: 2 }];
        assert_eq!(read("é".as_bytes(), None, &cut, 1, 0), vec![None, Some("é".to_owned())]);
    }

    #[test]
    fn a_plain_file_is_read_only_over_the_runs_of_its_spans() {
        let span = |offset, len| RawSpan { offset, len };
        let spans = [span(500, 10), span(0, 10), span(12, 3), span(40, 5), span(505, 100)];
        let r = SpanReader::new(b"{\"Re", None, &spans, 10_000);
        assert_eq!(r.ranges(0, 10_000), vec![(0, 10), (12, 15), (40, 45), (500, 605)]);
        assert_eq!(r.ranges(2, 10_000), vec![(0, 15), (40, 45), (500, 605)]);
        assert_eq!(r.ranges(1000, 10_000), vec![(0, 605)]);
        let g = SpanReader::new(&gz(b"x"), None, &spans, 10_000);
        assert_eq!(g.ranges(0, 10_000), vec![(0, 10_000)], "a gzip file is read from its start");
        assert_eq!(SpanReader::new(b"", None, &[], 0).ranges(0, 0), vec![]);
    }

    #[test]
    fn a_gzip_file_is_decompressed_no_further_than_its_last_span() {
        let text: Vec<u8> = (0..1_000_000u32).flat_map(|i| format!("{i},").into_bytes()).collect();
        let packed = gz(&text);
        let spans = [RawSpan { offset: 10, len: 20 }, RawSpan { offset: 100_000, len: 7 }];
        let mut r = SpanReader::new(&packed, None, &spans, packed.len() as u64);
        let mut pushed = 0;
        for piece in packed.chunks(4096) {
            if r.is_done() {
                break;
            }
            r.push(pushed as u64, piece);
            pushed += piece.len();
        }
        assert!(r.is_done());
        assert_eq!(r.taken(), 2);
        assert!(pushed < packed.len() / 2, "read {pushed} of {} bytes", packed.len());
        assert_eq!(r.finish().get(1).map(str::as_bytes), Some(&text[100_000..100_007]));
    }

    #[test]
    fn a_damaged_gzip_file_gives_the_spans_before_the_damage() {
        let text = b"{\"a\":\"first\"},".repeat(20_000);
        let packed = gz(&text);
        let cut = &packed[..packed.len() / 2];
        let spans = [RawSpan { offset: 14, len: 13 }, RawSpan { offset: (text.len() - 14) as u64, len: 13 }];
        let got = read(cut, None, &spans, 1000, 0);
        assert_eq!(got, vec![Some("{\"a\":\"first\"}".to_owned()), None]);
        // A gap in a gzip file's bytes: nothing after it is content.
        let mut r = SpanReader::new(&packed, None, &spans, packed.len() as u64);
        r.push(0, &packed[..10]);
        r.push(20, &packed[20..]);
        assert!(r.is_done());
        assert_eq!(r.finish().to_vec(), vec![None, None]);
    }

    #[test]
    fn archive_members_are_read_whole_and_a_bad_member_reads_nothing() {
        let text = b"{\"Records\":[{\"a\":1},{\"b\":2}]}";
        let mut z = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        z.start_file("in/x.json", zip::write::SimpleFileOptions::default()).unwrap();
        z.write_all(text).unwrap();
        let z = z.finish().unwrap().into_inner();
        let spans = [RawSpan { offset: 20, len: 7 }, RawSpan { offset: 12, len: 7 }];
        for chunk in [1, 100, z.len()] {
            let got = read(&z, Some("in/x.json"), &spans, chunk, 0);
            assert_eq!(got, vec![Some("{\"b\":2}".to_owned()), Some("{\"a\":1}".to_owned())]);
            assert_eq!(read(&z, Some("in/nope.json"), &spans, chunk, 0), vec![None, None]);
        }
        assert_eq!(read(text, Some("in/x.json"), &spans, 7, 0), vec![None, None], "not an archive");
    }
}
