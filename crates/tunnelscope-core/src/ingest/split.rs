//! Cutting one big `{"Records":[…]}` file (plain or gzipped) at record boundaries, as it is read
//! or decompressed, so several cores parse it while the rest is still being read.
//!
//! The CLI cuts big files this way for its threads, the browser for its parse helpers. Every
//! piece still goes through the core's parsing, and the merge is used only when the
//! pieces are clean (all records valid events) and the document ended properly; anything else
//! falls back to parsing the whole file, so results are always those of `parse_input` on it.

use std::io::Read;

use super::scan::{Mark as RecordMark, Scanner as RecordScanner};
use super::{FileStatus, MAX_EXPANSION_RATIO, MIN_EXPANSION_ALLOWANCE, ParsedFile, Shape};

/// Plain files smaller than this are parsed whole (cutting would not pay).
pub const MIN_SPLIT_BYTES: usize = 32 << 20;
/// The content bytes of one piece (cut at the next record start after this many).
pub const PIECE_BYTES: usize = 8 << 20;

/// The synthetic head and tail that make a piece of the `Records` array a document.
const HEAD: &[u8] = b"{\"Records\":[";
const TAIL: &[u8] = b"]}";

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
/// of whole records, with the core's exact record scanner (strings, escapes and nesting are
/// tracked, so a cut never falls inside a record).
pub struct Cutter {
    scanner: RecordScanner,
    /// Content not yet handed out, from `piece_start`.
    piece: Vec<u8>,
    piece_start: u64,
    /// End of the last complete record in `piece`.
    last_end: Option<usize>,
    /// Bytes of synthetic head at the start of `piece` (none in the first piece).
    head_len: usize,
    next_k: usize,
    target: usize,
    read: usize,
    marks: Vec<RecordMark>,
}

impl Cutter {
    /// A cutter making pieces of about `target` content bytes.
    pub fn new(target: usize) -> Self {
        Self {
            scanner: RecordScanner::default(),
            piece: Vec::new(),
            piece_start: 0,
            last_end: None,
            head_len: 0,
            next_k: 0,
            target,
            read: 0,
            marks: Vec::new(),
        }
    }

    /// Feeds the next content bytes; gives the pieces completed, or `None` when the content is not
    /// a `{"Records":[…]}` document the scanner reads (the file is then parsed whole).
    pub fn feed(&mut self, chunk: &[u8]) -> Option<Vec<Piece>> {
        self.feed_from(&mut &chunk[..], chunk.len()).ok()?
    }

    /// Reads up to `max` content bytes from `reader` straight into the current piece and scans
    /// them: `Ok(None)` when the content is not a trail document, `Ok(Some(vec![]))` and 0
    /// bytes read at the end (see [`Cutter::read`]).
    pub fn feed_from(&mut self, reader: &mut impl Read, max: usize) -> std::io::Result<Option<Vec<Piece>>> {
        let before = self.piece.len();
        self.piece.resize(before + max, 0);
        let n = loop {
            match reader.read(&mut self.piece[before..]) {
                Ok(n) => break n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => {
                    self.piece.truncate(before);
                    return Err(e);
                }
            }
        };
        self.piece.truncate(before + n);
        self.read = n;
        let mut marks = std::mem::take(&mut self.marks);
        marks.clear();
        if !self.scanner.feed(&self.piece[before..], &mut |m| marks.push(m)) {
            return Ok(None);
        }
        let mut out = Vec::new();
        // Bytes cut off the front of `piece` while going through this chunk's marks.
        let mut cut = 0;
        for &m in &marks {
            match m {
                RecordMark::End(e) => self.last_end = Some(before + e - cut),
                RecordMark::Start(s) => {
                    let s = before + s - cut;
                    if let Some(end) = self.last_end.filter(|_| s - self.head_len >= self.target) {
                        // The next piece starts with a synthetic head, then this record.
                        let room = if self.target >= 1 << 20 { self.target + (4 << 20) } else { 0 };
                        let mut rest = Vec::with_capacity(room.max(HEAD.len() + self.piece.len() - s));
                        rest.extend_from_slice(HEAD);
                        rest.extend_from_slice(&self.piece[s..]);
                        let mut records = std::mem::replace(&mut self.piece, rest);
                        records.truncate(end);
                        out.push(self.make(records, false));
                        self.piece_start += (s - self.head_len) as u64;
                        cut += s - HEAD.len();
                        self.head_len = HEAD.len();
                        self.last_end = None;
                    }
                }
            }
        }
        self.marks = marks;
        Ok(Some(out))
    }

    /// Content bytes the last [`Cutter::feed_from`] read (0 at the end of the content).
    pub fn read(&self) -> usize {
        self.read
    }

    /// The last piece, when the document ended properly.
    pub fn finish(mut self) -> Option<Piece> {
        if !self.scanner.done() {
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
    // Every record of every piece a valid event (events and rows hold them in record order).
    let clean = |p: &ParsedFile| {
        p.status == FileStatus::Read
            && p.shape == Some(Shape::TrailRecords)
            && p.invalid.is_empty()
            && p.n_events() > 0
            && p.events.iter().all(|(pos, _)| (*pos as usize) < p.n_events())
    };
    if !pieces.iter().all(|(p, _)| clean(p)) {
        return None;
    }
    let total: usize = pieces.iter().map(|(p, _)| p.events.len()).sum();
    let mut out = ParsedFile::read(Shape::TrailRecords);
    let mut records = 0u32;
    for (p, shift) in pieces {
        let n = u32::try_from(p.n_events()).ok()?;
        let mut part = p.events;
        for (pos, e) in &mut part {
            *pos += records;
            if let Some(span) = &mut e.span {
                span.offset = span.offset.checked_add_signed(shift)?;
            }
        }
        if out.events.is_empty() {
            // The first piece's events stay where they are; the others are moved after them.
            out.events = part;
            out.events.reserve(total - out.events.len());
        } else {
            out.events.append(&mut part);
        }
        out.rows.append(&p.rows, records, shift)?;
        records = records.checked_add(n)?;
    }
    Some(out)
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
