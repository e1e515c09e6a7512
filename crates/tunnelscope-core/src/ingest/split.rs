//! Cutting one big `{"Records":[…]}` file (plain or gzipped) at record boundaries, so several
//! cores parse it: a gzipped file as it is decompressed ([`Cutter`]), a plain one by offsets
//! (each core reads its own piece, from the cut [`guess_cut`] finds after the piece's offset).
//!
//! Cuts after the document's head are guessed, not scanned for: a scan of every byte is serial
//! work. Every piece still goes through the core's parsing, and the merge is used only when the
//! pieces are clean (all records valid events) and meet (each starts where the one before it
//! ended); a piece that parses cleanly from a true record start ends at a true record end, so by
//! induction from the document's start every cut is then exact. Anything else falls back to
//! parsing the whole file, so results are always those of `parse_input` on it. The CLI cuts big
//! files this way; the browser parses one file in one worker.

use std::io::Read;

use super::scan::{Mark as RecordMark, Scanner as RecordScanner};
use super::{FileStatus, MAX_EXPANSION_RATIO, MIN_EXPANSION_ALLOWANCE, ParsedFile, Shape};

/// Plain files smaller than this are parsed whole (cutting would not pay).
pub const MIN_SPLIT_BYTES: usize = 32 << 20;
/// The content bytes of one piece (cut at the next record start after this many). 4 MiB: the
/// last pieces share out better between the cores than with 8 MiB (the CLI on the 200 MB bench
/// file: 183 against 195 ms plain, 282 against 296 ms gzipped, all cores; 2 MiB was no better).
pub const PIECE_BYTES: usize = 4 << 20;

/// Bytes read past a piece's size to find the cut after it (most records are 1–2 KB).
const SLACK: usize = 64 << 10;

/// The synthetic head and tail that make a piece of the `Records` array a document.
pub const HEAD: &[u8] = b"{\"Records\":[";
pub const TAIL: &[u8] = b"]}";

/// True when the bytes start with the gzip magic number.
pub fn is_gzip(bytes: &[u8]) -> bool {
    bytes.starts_with(&[0x1f, 0x8b])
}

/// The most a gzip file of `compressed` bytes may expand to (the core's bound).
pub fn gzip_limit(compressed: u64) -> u64 {
    compressed.saturating_mul(MAX_EXPANSION_RATIO).max(MIN_EXPANSION_ALLOWANCE)
}

/// One piece of a file: a `{"Records":[…]}` document of whole records.
pub struct Piece {
    /// The piece's number, from 0.
    pub k: usize,
    pub doc: Vec<u8>,
    /// What to add to an offset in `doc` to make it an offset in the file's content.
    pub shift: i64,
}

/// Cuts a `{"Records":[…]}` content, fed in chunks as it is read or decompressed, into pieces
/// of whole records.
///
/// Only the document's head is scanned exactly (the core's record scanner, up to the first
/// record). After it, a cut is placed where the bytes look like a record boundary (`}`, a
/// comma, then an object with `eventTime` and `eventName` keys) without walking every byte:
/// walking them was the serial part that kept the other cores waiting. A wrong guess is caught
/// by [`Merger`]: a piece that parses cleanly from a true record start ends at a true record
/// end (the parser reads its bytes exactly as the whole document's parser would, and the
/// synthetic `]}` only closes the array after a whole record), so by induction from the
/// document's start every cut is exact, and anything else falls back to the whole file.
pub struct Cutter {
    /// The exact scanner, until the first record starts (then `None`).
    head: Option<RecordScanner>,
    /// Content not yet handed out, from `piece_start`.
    piece: Vec<u8>,
    piece_start: u64,
    /// Bytes of synthetic head at the start of `piece` (none in the first piece).
    head_len: usize,
    /// Where the search for the next cut goes on in `piece` (commas before it were judged).
    search_from: usize,
    /// The search waits for `piece` to hold this many bytes (a candidate record was
    /// incomplete: judging it again on every small chunk would cost quadratic time).
    wait_for: usize,
    next_k: usize,
    target: usize,
    read: usize,
    /// Buffers of pieces already parsed, given back to hold the next ones ([`Cutter::recycle`]).
    spare: Vec<Vec<u8>>,
}

/// The keys a record at a guessed cut must have: an object nested in a record (a `resources`
/// list, say) rarely has both, and a wrong guess only costs reading the file whole.
#[derive(serde::Deserialize)]
struct RecordProbe {
    #[serde(rename = "eventTime")]
    _time: serde::de::IgnoredAny,
    #[serde(rename = "eventName")]
    _name: serde::de::IgnoredAny,
}

/// Where a guessed cut stands in `bytes`.
enum Guess {
    /// The record before ends at `.0` (one past its `}`), the next starts at `.1` (its `{`).
    Cut(usize, usize),
    /// More bytes are needed to judge the candidate at this comma.
    Wait(usize),
    /// No boundary found before the end of `bytes`.
    None,
}

fn is_json_ws(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r')
}

/// The first likely record boundary whose comma is at or after `from`.
fn guess_boundary(bytes: &[u8], from: usize) -> Guess {
    let mut at = from;
    while let Some(i) = memchr::memchr(b',', &bytes[at.min(bytes.len())..]).map(|i| i + at) {
        at = i + 1;
        let before = bytes[..i].iter().rposition(|&b| !is_json_ws(b));
        if before.is_none_or(|b| bytes[b] != b'}') {
            continue;
        }
        let Some(s) = bytes[i + 1..].iter().position(|&b| !is_json_ws(b)).map(|p| p + i + 1) else {
            return Guess::Wait(i);
        };
        if bytes[s] != b'{' {
            continue;
        }
        let mut records = serde_json::Deserializer::from_slice(&bytes[s..]).into_iter::<RecordProbe>();
        match records.next() {
            Some(Ok(_)) => {}
            Some(Err(e)) if e.is_eof() => return Guess::Wait(i),
            _ => continue,
        }
        // A record is followed by a comma or the array's end.
        match bytes[s + records.byte_offset()..].iter().find(|&&b| !is_json_ws(b)) {
            Some(b',' | b']') => return Guess::Cut(before.map_or(0, |b| b + 1), s),
            Some(_) => continue,
            None => return Guess::Wait(i),
        }
    }
    Guess::None
}

/// The first likely record boundary in `bytes` (content from any offset; a comma at their very
/// start does not count, as what precedes it is unknown): the end of the record before (one
/// past its `}`) and the start of the next (its `{`). `None` until enough bytes are given to
/// see a whole record after a comma. The same bytes always give the same answer, and more bytes
/// after a found boundary do not move it. A guess only: pieces cut there are checked by
/// [`Merger`] (each must parse cleanly) and by their being adjacent.
pub fn guess_cut(bytes: &[u8]) -> Option<(usize, usize)> {
    match guess_boundary(bytes, 0) {
        Guess::Cut(end, start) => Some((end, start)),
        Guess::Wait(_) | Guess::None => None,
    }
}

/// True when `head`, the first bytes of a content, open a `{"Records":[…]}` document and its
/// first record (as the core's exact scanner reads the frame).
pub fn opens_trail(head: &[u8]) -> bool {
    let mut started = false;
    RecordScanner::default().feed(head, &mut |m| started |= matches!(m, RecordMark::Start(_))) && started
}

/// Content bytes a cutter holds before the first record starts (an export's head is a few
/// bytes); beyond, the content is left to the whole-file path.
const HEAD_BEFORE_RECORD: usize = 1 << 20;

impl Cutter {
    /// A cutter making pieces of about `target` content bytes.
    pub fn new(target: usize) -> Self {
        Self {
            head: Some(RecordScanner::default()),
            piece: Vec::new(),
            piece_start: 0,
            head_len: 0,
            search_from: 0,
            wait_for: 0,
            next_k: 0,
            target,
            read: 0,
            spare: Vec::new(),
        }
    }

    /// Gives back the buffer of a piece that was parsed, to hold a later piece: fresh memory
    /// costs a page fault per 4 KiB on first touch, which made up a fifth of the reading
    /// thread's time on a big gzipped file. Keeps a few.
    pub fn recycle(&mut self, mut buf: Vec<u8>) {
        if self.spare.len() < 4 && buf.capacity() > 0 {
            buf.clear();
            self.spare.push(buf);
        }
    }

    /// An empty buffer of at least `room` bytes, recycled when one is at hand.
    fn buffer(&mut self, room: usize) -> Vec<u8> {
        match self.spare.iter().position(|b| b.capacity() >= room) {
            Some(i) => self.spare.swap_remove(i),
            None => Vec::with_capacity(room),
        }
    }

    /// Feeds the next content bytes; gives the pieces completed, or `None` when the content is not
    /// a `{"Records":[…]}` document the scanner reads (the file is then parsed whole).
    pub fn feed(&mut self, chunk: &[u8]) -> Option<Vec<Piece>> {
        let mut rest = chunk;
        let mut out = Vec::new();
        // `feed_from` reads no further than the cut it looks for needs.
        while !rest.is_empty() {
            out.extend(self.feed_from(&mut rest, chunk.len()).ok()??);
        }
        Some(out)
    }

    /// Reads up to `max` content bytes from `reader` (fewer when the piece's cut needs fewer)
    /// straight into the current piece and cuts what it can: `Ok(None)` when the content is
    /// not a trail document, `Ok(Some(vec![]))` and 0 bytes read at the end (see
    /// [`Cutter::read`]).
    pub fn feed_from(&mut self, reader: &mut impl Read, max: usize) -> std::io::Result<Option<Vec<Piece>>> {
        let before = self.piece.len();
        // No more than the piece needs to reach its size and show the next record: what is
        // read beyond the cut is copied into the next piece.
        let max = max.min((self.head_len + self.size() + SLACK).saturating_sub(before).max(SLACK));
        // Room first: `read_to_end` growing the buffer itself doubles it (a copy, and fresh
        // memory to fault in) when it fills up. Failure is fine: it then grows as it reads.
        let _ = self.piece.try_reserve(max);
        // Until `max` bytes or the end: a gzip decoder gives a few hundred KB per read, and
        // zeroing room for `max` on each of them cost more than the decompression. `read_to_end`
        // zeroes no spare capacity twice.
        if let Err(e) = reader.take(max as u64).read_to_end(&mut self.piece) {
            self.piece.truncate(before);
            return Err(e);
        }
        let n = self.piece.len() - before;
        self.read = n;
        if let Some(scanner) = &mut self.head {
            let mut first = None;
            let framed = scanner.feed(&self.piece[before..], &mut |m| {
                if let (None, RecordMark::Start(s)) = (first, m) {
                    first = Some(s);
                }
            });
            if !framed {
                return Ok(None);
            }
            let Some(s) = first else {
                // White space without end before the first record (a flood, not an export):
                // not cut, so not held here; the whole-file path bounds it.
                return Ok((self.piece.len() <= HEAD_BEFORE_RECORD).then(Vec::new));
            };
            // The head is a trail document's: from here on, cuts are guessed.
            self.head = None;
            self.search_from = before + s;
        }
        let mut out = Vec::new();
        while self.piece.len() >= self.wait_for {
            let from = self.search_from.max(self.head_len + self.size());
            match guess_boundary(&self.piece, from) {
                Guess::Cut(end, s) => {
                    // The next piece starts with a synthetic head, then this record.
                    let room = if self.target >= 1 << 20 { self.target + 2 * max.max(4 << 20) } else { 0 };
                    let mut rest = self.buffer(room.max(HEAD.len() + self.piece.len() - s));
                    rest.extend_from_slice(HEAD);
                    rest.extend_from_slice(&self.piece[s..]);
                    let mut records = std::mem::replace(&mut self.piece, rest);
                    records.truncate(end);
                    out.push(self.make(records, false));
                    self.piece_start += (s - self.head_len) as u64;
                    self.head_len = HEAD.len();
                    self.search_from = HEAD.len();
                    self.wait_for = 0;
                }
                Guess::Wait(comma) => {
                    self.search_from = comma;
                    self.wait_for = self.piece.len() + (self.piece.len() - comma).max(64);
                    break;
                }
                Guess::None => {
                    self.search_from = self.piece.len().max(from);
                    break;
                }
            }
        }
        Ok(Some(out))
    }

    /// The size of the piece being cut: the first is smaller, so that other workers start sooner.
    fn size(&self) -> usize {
        if self.next_k == 0 { self.target / 4 } else { self.target }
    }

    /// Content bytes the last [`Cutter::feed_from`] read (0 at the end of the content).
    pub fn read(&self) -> usize {
        self.read
    }

    /// The last piece, once the document's head was seen (whether the document ends properly
    /// is for the piece's parse to judge).
    pub fn finish(mut self) -> Option<Piece> {
        if self.head.as_ref().is_some_and(|s| !s.done()) {
            return None;
        }
        let records = std::mem::take(&mut self.piece);
        Some(self.make(records, true))
    }

    /// A piece of `doc` (its head already in place), closed by a synthetic tail unless `last`.
    fn make(&mut self, mut doc: Vec<u8>, last: bool) -> Piece {
        let k = self.next_k;
        self.next_k += 1;
        if !last {
            doc.extend_from_slice(TAIL);
        }
        Piece { k, doc, shift: self.piece_start as i64 - self.head_len as i64 }
    }
}

/// Reads one piece (a trail document of whole records) for a compact dataset: its unrelated
/// records become rows.
pub fn parse_piece(name: &str, doc: &[u8]) -> ParsedFile {
    let mut files = super::parse_input_compact(name, doc);
    if files.is_empty() { ParsedFile::rejected("empty piece") } else { files.swap_remove(0).1 }
}

/// Joins the pieces' results (each with its [`Piece::shift`]) into the whole file's, or `None`
/// when a piece needs the whole file to judge (an invalid record, a rejection, no records).
pub fn merge(pieces: Vec<(ParsedFile, i64)>) -> Option<ParsedFile> {
    let mut merger = Merger::default();
    pieces.into_iter().all(|(p, shift)| merger.push(p, shift)).then(|| merger.finish()).flatten()
}

/// [`merge`] piece by piece, in order, as the pieces are parsed (so that joining them is not
/// left to the end of the file).
pub struct Merger {
    out: ParsedFile,
    records: u32,
    ok: bool,
}

impl Default for Merger {
    fn default() -> Self {
        Self { out: ParsedFile::read(Shape::TrailRecords), records: 0, ok: true }
    }
}

impl Merger {
    /// Joins the next piece; false (from then on) when it needs the whole file to judge.
    pub fn push(&mut self, p: ParsedFile, shift: i64) -> bool {
        self.ok = self.ok && Self::clean(&p) && self.join(p, shift).is_some();
        self.ok
    }

    /// Every record of the piece a valid event (events and rows hold them in record order).
    fn clean(p: &ParsedFile) -> bool {
        p.status == FileStatus::Read
            && p.shape == Some(Shape::TrailRecords)
            && p.n_invalid() == 0
            && p.n_events() > 0
            && p.events.iter().all(|(pos, _)| (*pos as usize) < p.n_events())
    }

    /// The next piece moved to its place in the whole file (record positions and spans), for
    /// a caller that adds the pieces to a dataset one by one ([`crate::Dataset::add_more`])
    /// instead of joining them here: the same events as [`Merger::push`] then
    /// [`Merger::finish`] would give, piece by piece. `None` (from then on) as for `push`.
    pub fn next(&mut self, mut p: ParsedFile, shift: i64) -> Option<ParsedFile> {
        self.ok = self.ok && Self::clean(&p) && self.shift(&mut p, shift).is_some();
        self.ok.then_some(p)
    }

    /// Moves piece `p` after the records seen so far, its spans by `shift`.
    fn shift(&mut self, p: &mut ParsedFile, shift: i64) -> Option<()> {
        let records = self.records;
        let n = u32::try_from(p.n_events()).ok()?;
        for (pos, e) in &mut p.events {
            *pos = pos.checked_add(records)?;
            if let Some(span) = &mut e.span {
                span.offset = span.offset.checked_add_signed(shift)?;
            }
        }
        p.rows.shift(records, shift)?;
        self.records = records.checked_add(n)?;
        Some(())
    }

    fn join(&mut self, mut p: ParsedFile, shift: i64) -> Option<()> {
        self.shift(&mut p, shift)?;
        let out = &mut self.out;
        if out.events.is_empty() {
            // The first piece's events stay where they are; the others are moved after them.
            out.events = p.events;
        } else {
            out.events.append(&mut p.events);
        }
        if out.rows.is_empty() {
            out.rows = p.rows;
        } else {
            out.rows.append(&p.rows, 0, 0)?;
        }
        Some(())
    }

    /// A merger that gives no result (a piece is known to need the whole file).
    pub fn failed() -> Self {
        Self { ok: false, ..Self::default() }
    }

    /// The whole file's result, when every piece joined was clean (and there was one).
    pub fn finish(self) -> Option<ParsedFile> {
        (self.ok && self.records > 0).then_some(self.out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::{parse_file, parse_input, parse_input_compact};
    use crate::sample::sample_trail_json;
    use serde_json::{Value, json};

    /// Parses `bytes` cut into pieces of about `target` bytes fed in `chunk`-byte reads, or whole.
    fn split_parse(
        bytes: &[u8],
        target: usize,
        chunk: usize,
        parse: impl Fn(&str, &[u8]) -> ParsedFile,
    ) -> (bool, ParsedFile) {
        let whole = || parse_input("f.json", bytes).remove(0).1;
        let mut cutter = Cutter::new(target);
        let mut pieces = Vec::new();
        for c in bytes.chunks(chunk) {
            match cutter.feed(c) {
                Some(p) => pieces.extend(p),
                None => return (false, whole()),
            }
        }
        let Some(last) = cutter.finish() else { return (false, whole()) };
        pieces.push(last);
        assert!(pieces.iter().enumerate().all(|(i, p)| p.k == i));
        let n = pieces.len();
        let parsed = pieces.into_iter().map(|p| (parse("f.json", &p.doc), p.shift)).collect();
        match merge(parsed) {
            Some(p) => (n > 1, p),
            None => (false, whole()),
        }
    }

    fn records() -> Vec<Value> {
        let v: Value = serde_json::from_slice(&sample_trail_json()).expect("sample");
        v["Records"].as_array().expect("records").clone()
    }

    fn check(bytes: &[u8], want_split: bool) {
        let whole = parse_file("f.json", bytes);
        // Rows as events, without the text a compact reading lets go (a fallback reads whole).
        let lean = |p: ParsedFile| {
            let mut p = p.with_rows_as_events();
            for (_, e) in &mut p.events {
                if e.raw_is_droppable() {
                    e.raw = String::new();
                }
            }
            p
        };
        let compact = lean(parse_input_compact("f.json", bytes).remove(0).1);
        for (target, chunk) in [(1, 1), (100, 7), (3000, 4096), (1, bytes.len().max(1))] {
            let (did_split, got) = split_parse(bytes, target, chunk, parse_file);
            assert_eq!(got, whole, "target {target}, chunk {chunk}");
            if want_split {
                assert!(did_split, "target {target}: expected the cut to be used");
            }
            // Compact pieces (rows) merge to the compact whole-file result.
            let (_, got) = split_parse(bytes, target, chunk, |n, b| parse_input_compact(n, b).remove(0).1);
            assert_eq!(lean(got), compact, "compact, target {target}, chunk {chunk}");
        }
    }

    #[test]
    fn compact_and_pretty_trails_split_to_the_same_result() {
        let recs = records();
        check(&serde_json::to_vec(&json!({"Records": recs})).expect("json"), true);
        check(&serde_json::to_vec_pretty(&json!({"Records": recs})).expect("json"), true);
        let spaced = format!(
            "\u{feff} \n{{ \"Records\" :\n[ {} ]\n}}\n\n",
            recs.iter().map(Value::to_string).collect::<Vec<_>>().join(" ,\n ")
        );
        check(spaced.as_bytes(), true);
    }

    #[test]
    fn brackets_inside_strings_or_nested_lists_do_not_cut() {
        let mut recs = records();
        for (i, r) in recs.iter_mut().enumerate() {
            r["userAgent"] = json!(format!("agent }}, {{ \"x\": [{{}},{{}}] {i}"));
            r["requestParameters"] = json!({"items": [{"a": 1}, {"b": "},{"}, {"c": [{}, {}]}]});
        }
        check(&serde_json::to_vec(&json!({"Records": recs})).expect("json"), true);
    }

    #[test]
    fn records_nested_in_records_fool_the_guess_but_not_the_result() {
        // Objects with the keys of a record inside a list of a record: a cut guessed between
        // them leaves a piece that does not parse cleanly, and the file is read whole.
        let mut recs = records();
        for r in &mut recs {
            r["requestParameters"] = json!({"items": [
                {"eventTime": "2026-10-01T08:00:00Z", "eventName": "A"},
                {"eventTime": "2026-10-01T08:00:00Z", "eventName": "B"}
            ]});
        }
        check(&serde_json::to_vec(&json!({"Records": recs})).expect("json"), false);
        check(&serde_json::to_vec_pretty(&json!({"Records": recs})).expect("json"), false);
    }

    #[test]
    fn guessed_boundaries_wait_for_the_whole_record() {
        let doc = serde_json::to_vec(&json!({"Records": records()})).expect("json");
        let first_end = doc.iter().position(|&b| b == b'}').expect("a brace");
        // Fed one byte at a time, no cut is made before the next record is complete.
        let mut cutter = Cutter::new(1);
        let mut fed = 0;
        for &b in &doc[..first_end + 40] {
            fed += 1;
            assert!(cutter.feed(&[b]).expect("a trail head").is_empty(), "cut after {fed} bytes");
        }
        assert!(matches!(guess_boundary(b"{}, {\"eventTime\":1,\"eventName\":2}", 0), Guess::Wait(2)));
        assert!(matches!(guess_boundary(b"{}, {\"eventTime\":1,\"eventName\":2},", 0), Guess::Cut(2, 4)));
        assert!(matches!(guess_boundary(b"{}, {\"eventTime\":1,\"eventName\":2}]", 0), Guess::Cut(2, 4)));
        assert!(matches!(guess_boundary(b"{}, {\"eventTime\":1,\"eventName\":2", 0), Guess::Wait(2)));
        assert!(matches!(guess_boundary(b"{}, {\"eventTime\":1}, {\"x\":1}", 0), Guess::None));
        assert!(matches!(guess_boundary(b"[1], {\"eventTime\":1,\"eventName\":2}]", 0), Guess::None));
        // From the middle of a record: the next boundary, wherever the bytes start.
        for from in 1..first_end + 40 {
            let (end, start) = guess_cut(&doc[from..]).expect("a boundary");
            assert_eq!((&doc[from + end - 1..from + end], doc[from + start]), (&b"}"[..], b'{'));
            assert_eq!(guess_cut(&doc[from..from + start + 1]), None, "the next record must be whole");
        }
        assert!(opens_trail(&doc[..13]) && !opens_trail(&doc[..12]) && !opens_trail(b"[{\"a\":1}]"));
    }

    #[test]
    fn files_the_core_judges_whole_are_never_merged() {
        let recs = records();
        // An invalid record, an S3 notification, a huge record, trailing documents, other keys.
        let mut with_invalid = recs.clone();
        with_invalid[recs.len() / 2] = json!({"eventName": "NoTime"});
        check(&serde_json::to_vec(&json!({"Records": with_invalid})).expect("json"), false);
        let mut with_s3 = recs.clone();
        with_s3[recs.len() - 3] = json!({"eventVersion":"2.1","eventSource":"aws:s3","eventName":"ObjectCreated:Put","eventTime":"2026-10-01T08:00:00Z"});
        check(&serde_json::to_vec(&json!({"Records": with_s3})).expect("json"), false);
        let doc = serde_json::to_vec(&json!({"Records": recs})).expect("json");
        let mut twice = doc.clone();
        twice.extend_from_slice(&doc);
        check(&twice, false);
        let mut trailing = doc.clone();
        trailing.extend_from_slice(b" x");
        check(&trailing, false);
        let other_key = serde_json::to_vec(&json!({"Records": recs, "Zeta": 1})).expect("json");
        check(&other_key, false);
        let truncated = &doc[..doc.len() - 2];
        check(truncated, false);
        let mut bad_utf8 = doc.clone();
        let at = bad_utf8.len() / 2;
        bad_utf8[at] = 0xff;
        check(&bad_utf8, false);
        check(b"{\"Records\":[]}", false);
        check(b"[{\"a\":1},{\"b\":2}]", false);
    }

    #[test]
    fn pieces_added_one_by_one_make_the_dataset_of_the_merged_file() {
        // With a duplicate across pieces, so the dedupe sees rows of earlier pieces.
        let mut recs = records();
        recs.push(recs[0].clone());
        let doc = serde_json::to_vec_pretty(&json!({"Records": recs})).expect("json");
        let mut cutter = Cutter::new(900);
        let mut pieces = Vec::new();
        for c in doc.chunks(4096) {
            pieces.extend(cutter.feed(c).expect("a trail document"));
        }
        pieces.push(cutter.finish().expect("the last piece"));
        assert!(pieces.len() > 3, "{} pieces", pieces.len());
        let parsed: Vec<_> = pieces.iter().map(|p| (parse_piece("f.json", &p.doc), p.shift)).collect();
        let mut merged = crate::Dataset::compact();
        merged.add_parsed("f.json", merge(parsed.clone()).expect("clean pieces"));
        let mut one_by_one = crate::Dataset::compact();
        assert!(!one_by_one.add_more(parsed[0].0.clone()), "no file to add to yet");
        let mut merger = Merger::default();
        for (i, (p, shift)) in parsed.into_iter().enumerate() {
            let p = merger.next(p, shift).expect("a clean piece");
            if i == 0 {
                one_by_one.add_parsed("f.json", p);
            } else {
                assert!(one_by_one.add_more(p));
            }
        }
        assert!(merger.finish().is_some());
        assert_eq!(one_by_one.files(), merged.files());
        assert_eq!(one_by_one.events(), merged.events());
        assert_eq!(one_by_one.stats().records.duplicates, 1);
        // A piece that needs the whole file ends the piece-by-piece joining too.
        let mut merger = Merger::default();
        assert!(merger.next(ParsedFile::rejected("no"), 0).is_none());
        assert!(merger.finish().is_none());
    }

    #[test]
    fn spans_of_merged_pieces_are_file_offsets() {
        let doc = serde_json::to_vec_pretty(&json!({"Records": records()})).expect("json");
        let (did_split, got) = split_parse(&doc, 500, 64, parse_file);
        assert!(did_split);
        for (_, e) in &got.events {
            let span = e.span.expect("span");
            let at = span.offset as usize;
            assert_eq!(&doc[at..at + span.len as usize], e.raw.as_bytes());
        }
    }
}
