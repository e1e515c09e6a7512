//! A byte scanner for `{"Records":[…]}` documents: finds where each record starts and ends,
//! across chunks, tracking strings, escapes and nesting depth.
//!
//! It checks the document's frame strictly (an optional BOM, `{`, `"Records"`, `:`, `[`, records
//! separated by commas, `]`, `}`, then only JSON white space); anything else fails the scan, and
//! the caller reads the file with the general parser instead. The records themselves are only
//! delimited here, not validated: each one is then parsed by serde_json on its own, which
//! rejects a malformed one (a delimiting mistake can only come from malformed JSON).

/// What the scanner reports, with offsets into the chunk being fed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mark {
    /// A record starts at this offset (its `{`).
    Start(usize),
    /// The open record ends just before this offset (one past its `}`).
    End(usize),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Matching byte `.1` of the byte-order mark (only at the very start of the content).
    Bom(u8),
    /// Before token `.0` of the head (`{`, `"Records"`, `:`, `[`), `.1` bytes of it matched.
    Head(u8, u8),
    /// After `[`: white space, then a record or `]`.
    First,
    /// Inside a record.
    Item,
    /// After a record: white space, then `,` or `]`.
    After,
    /// After `,`: white space, then a record.
    Next,
    /// After `]`: white space, then `}`.
    Close,
    /// After the final `}`: only white space.
    Done,
    /// Not a `{"Records":[…]}` document (or not one this scanner reads).
    Failed,
}

const HEAD: [&[u8]; 4] = [b"{", b"\"Records\"", b":", b"["];

/// Finds where the records of a `{"Records":[…]}` content (as stored after gunzip, from its
/// first byte) start and end, fed in chunks; strict about the document's frame.
///
/// For callers that cut a big file into pieces at record boundaries to parse them in
/// parallel (the CLI): a piece of whole records between a synthetic `{"Records":[` and `]}` is
/// a document, and [`crate::ingest::parse_file`] of it gives those records' results.
#[derive(Debug, Clone)]
pub struct Scanner {
    state: State,
    depth: u32,
    in_string: bool,
    escaped: bool,
    /// Bytes fed so far (the content offset of the next chunk).
    fed: u64,
}

impl Default for Scanner {
    fn default() -> Self {
        Self { state: State::Bom(0), depth: 0, in_string: false, escaped: false, fed: 0 }
    }
}

fn is_ws(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r')
}

impl Scanner {
    /// A scanner for text whose byte-order mark, if any, was already removed.
    pub(crate) fn after_bom() -> Self {
        Self { state: State::Head(0, 0), ..Self::default() }
    }

    /// Content bytes fed so far.
    pub fn fed(&self) -> u64 {
        self.fed
    }

    /// True inside a record (its start was reported, its end not yet).
    pub fn in_item(&self) -> bool {
        self.state == State::Item
    }

    /// True when the document is complete (what follows, if anything, must be white space).
    pub fn done(&self) -> bool {
        self.state == State::Done
    }

    /// Scans the next chunk, reporting record starts and ends in order; returns false (and
    /// stops) when the scan fails.
    pub fn feed(&mut self, chunk: &[u8], mark: &mut impl FnMut(Mark)) -> bool {
        self.feed_skipping(chunk, &mut |m| {
            mark(m);
            None
        })
    }

    /// [`Scanner::feed`], where the caller may answer a record's start with the record's
    /// length when it has read the whole record itself (a complete JSON object within this
    /// chunk): the scan goes on after it, and reports no end for it.
    pub(crate) fn feed_skipping(&mut self, chunk: &[u8], mark: &mut impl FnMut(Mark) -> Option<usize>) -> bool {
        let mut i = 0;
        let n = chunk.len();
        while i < n {
            match self.state {
                State::Item => {
                    i = self.item(chunk, i, mark);
                    continue;
                }
                State::Bom(k) => {
                    const BOM: &[u8] = b"\xEF\xBB\xBF";
                    if self.fed + i as u64 == u64::from(k) && chunk[i] == BOM[usize::from(k)] {
                        self.state = if k == 2 { State::Head(0, 0) } else { State::Bom(k + 1) };
                        i += 1;
                        continue;
                    }
                    if k != 0 {
                        self.state = State::Failed;
                        break;
                    }
                    self.state = State::Head(0, 0);
                    continue;
                }
                State::Head(t, k) => {
                    let b = chunk[i];
                    let token = HEAD[usize::from(t)];
                    if k == 0 && is_ws(b) {
                        i += 1;
                        continue;
                    }
                    if b != token[usize::from(k)] {
                        self.state = State::Failed;
                        break;
                    }
                    i += 1;
                    self.state = if usize::from(k) + 1 < token.len() {
                        State::Head(t, k + 1)
                    } else if usize::from(t) + 1 < HEAD.len() {
                        State::Head(t + 1, 0)
                    } else {
                        State::First
                    };
                }
                State::First | State::Next => {
                    let b = chunk[i];
                    if is_ws(b) {
                        i += 1;
                    } else if b == b'{' {
                        if let Some(len) = mark(Mark::Start(i)) {
                            self.state = State::After;
                            i += len;
                            continue;
                        }
                        self.state = State::Item;
                        self.depth = 0;
                        self.in_string = false;
                        self.escaped = false;
                    } else if b == b']' && self.state == State::First {
                        self.state = State::Close;
                        i += 1;
                    } else {
                        self.state = State::Failed;
                        break;
                    }
                }
                State::After => {
                    match chunk[i] {
                        b if is_ws(b) => {}
                        b',' => self.state = State::Next,
                        b']' => self.state = State::Close,
                        _ => {
                            self.state = State::Failed;
                            break;
                        }
                    }
                    i += 1;
                }
                State::Close => {
                    match chunk[i] {
                        b if is_ws(b) => {}
                        b'}' => self.state = State::Done,
                        _ => {
                            self.state = State::Failed;
                            break;
                        }
                    }
                    i += 1;
                }
                State::Done => {
                    if !is_ws(chunk[i]) {
                        self.state = State::Failed;
                        break;
                    }
                    i += 1;
                }
                State::Failed => break,
            }
        }
        self.fed += n as u64;
        self.state != State::Failed
    }

    /// Scans inside a record from `i`; returns where scanning stopped (the chunk's end, or
    /// just past the record's closing bracket).
    fn item(&mut self, chunk: &[u8], mut i: usize, mark: &mut impl FnMut(Mark) -> Option<usize>) -> usize {
        let n = chunk.len();
        while i < n {
            if self.in_string {
                if self.escaped {
                    self.escaped = false;
                    i += 1;
                    continue;
                }
                match memchr::memchr2(b'"', b'\\', &chunk[i..]) {
                    None => return n,
                    Some(k) => {
                        i += k;
                        if chunk[i] == b'"' {
                            self.in_string = false;
                        } else {
                            self.escaped = true;
                        }
                        i += 1;
                    }
                }
                continue;
            }
            match chunk[i] {
                b'"' => self.in_string = true,
                b'{' | b'[' => self.depth += 1,
                b'}' | b']' => {
                    self.depth = self.depth.saturating_sub(1);
                    if self.depth == 0 {
                        let _ = mark(Mark::End(i + 1));
                        self.state = State::After;
                        return i + 1;
                    }
                }
                _ => {}
            }
            i += 1;
        }
        n
    }
}

#[cfg(test)]
/// Byte ranges of the records of a whole `{"Records":[…]}` document (its text after any
/// byte-order mark), or `None` when the scanner does not read it (the general parser decides).
pub(crate) fn record_ranges(text: &[u8]) -> Option<Vec<std::ops::Range<usize>>> {
    let mut scanner = Scanner::after_bom();
    let mut ranges = Vec::new();
    let mut start = 0;
    let ok = scanner.feed(text, &mut |m| match m {
        Mark::Start(s) => start = s,
        Mark::End(e) => ranges.push(start..e),
    });
    (ok && scanner.done()).then_some(ranges)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ranges_chunked(content: &[u8], size: usize) -> Option<Vec<std::ops::Range<u64>>> {
        let mut scanner = Scanner::default();
        let mut ranges = Vec::new();
        let mut start = 0;
        for chunk in content.chunks(size.max(1)) {
            let base = scanner.fed();
            let ok = scanner.feed(chunk, &mut |m| match m {
                Mark::Start(s) => start = base + s as u64,
                Mark::End(e) => ranges.push(start..base + e as u64),
            });
            if !ok {
                return None;
            }
        }
        scanner.done().then_some(ranges)
    }

    #[test]
    fn records_are_delimited_whatever_the_chunks() {
        let doc = "\u{feff} { \"Records\" : [ {\"a\":\"}{\\\"]\",\"b\":[{},{}]} ,\n{\"c\":\"\\\\\"} ] } \n";
        let whole = record_ranges(doc.strip_prefix('\u{feff}').unwrap().as_bytes()).unwrap();
        let whole: Vec<_> = whole.into_iter().map(|r| r.start + 3..r.end + 3).collect();
        let texts: Vec<&str> = whole.iter().map(|r| &doc[r.clone()]).collect();
        assert_eq!(texts, ["{\"a\":\"}{\\\"]\",\"b\":[{},{}]}", "{\"c\":\"\\\\\"}"]);
        for size in [1, 2, 3, 7, 64] {
            let got = ranges_chunked(doc.as_bytes(), size).unwrap();
            let want: Vec<_> = whole.iter().map(|r| r.start as u64..r.end as u64).collect();
            assert_eq!(got, want, "chunk size {size}");
        }
        assert_eq!(record_ranges(b"{\"Records\":[]}"), Some(vec![]));
    }

    #[test]
    fn anything_else_fails() {
        for bad in [
            &b"{\"Records\":[],\"x\":1}"[..],
            b"{\"Records\":[1]}",
            b"{\"Records\":[{}]} x",
            b"{\"Records\":[{},]}",
            b"{\"Records\":[{}",
            b"{\"Recordz\":[]}",
            b"[{}]",
            b"\xEF\xBB{\"Records\":[]}",
            b"\xEF\xBB\xBF{\"Records\":[]}",
            b"{\"Records\":[]}\x0c",
        ] {
            assert!(record_ranges(bad).is_none(), "{}", String::from_utf8_lossy(bad));
        }
    }
}
