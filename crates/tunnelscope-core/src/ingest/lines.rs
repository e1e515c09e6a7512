//! A file of one record (or envelope) per line read as its lines arrive (NDJSON: CloudWatch,
//! EventBridge or Splunk-like exports), with the same judgement as the whole-file reading.
//!
//! Each complete line is split into its JSON values and each value read at once
//! ([`MultiAcc`]): memory is the open line plus the parsed events, whatever the file's size.
//! The result is the whole-file one when every line holds whole values on its own and there
//! are at least two (the whole-file reading then takes the same values at the same lines), or
//! when the text is not UTF-8 (which the whole-file reading also reads line by line). Any
//! other file (a line that is not JSON on its own, which may be part of a value spanning
//! lines; a single value; text that is not UTF-8; a line beyond the ceiling) needs the
//! whole-file reading, which the caller gives when it can hold the content
//! ([`super::MAX_WHOLE_BYTES`]); beyond that, the lines as read (a line that is not JSON an
//! invalid record) when any record was recognised, else the file is too big.

use serde_json::value::RawValue;

use super::ParsedFile;
use super::container::{MultiAcc, strip_position};
use super::elements::Base;

/// One file's content, fed in chunks from its first byte, read line by line.
#[derive(Debug)]
pub(super) struct LineReader {
    name: String,
    acc: MultiAcc,
    /// The open line's bytes from earlier chunks.
    carry: Vec<u8>,
    /// Content offset of the open line's first byte.
    line_at: u64,
    /// Number of the open line (1-based).
    line: usize,
    /// JSON values read.
    values: usize,
    /// Every line so far held whole values on its own, in UTF-8.
    intact: bool,
    /// Where the content stops being UTF-8 (the whole-file reading's reason when it holds no
    /// record).
    not_utf8: Option<String>,
    /// The longest line held; a longer one refuses the file (its reason).
    max_line: usize,
    refused: Option<String>,
    /// The open line is beyond `max_line`: its bytes are skipped up to its end.
    skipping: bool,
    /// Bytes of the open line skipped so far (beyond `max_line`).
    skipped: u64,
    /// Length of the byte-order mark the content starts with.
    bom: u64,
}

/// How a line-by-line reading ended.
#[derive(Debug)]
pub(super) enum LinesEnd {
    /// The whole-file reading's result.
    Exact(ParsedFile),
    /// The whole-file reading is needed; without it, `otherwise` (the lines as read, when any
    /// record was recognised), or the file is too big to read.
    Whole { otherwise: Option<ParsedFile>, refused: Option<String> },
}

impl LineReader {
    /// A reader for the file `name`; `compact` lets go of unrelated events' raw text as they
    /// are read; lines beyond `max_line` bytes refuse the file.
    pub(super) fn new(name: &str, compact: bool, max_line: usize) -> Self {
        let mut acc = MultiAcc::default();
        acc.compact = compact;
        Self {
            name: name.to_owned(),
            acc,
            carry: Vec::new(),
            line_at: 0,
            line: 1,
            values: 0,
            intact: true,
            not_utf8: None,
            max_line,
            refused: None,
            skipping: false,
            skipped: 0,
            bom: 0,
        }
    }

    /// Records found so far (valid or not).
    pub(super) fn records(&self) -> usize {
        self.acc.records()
    }

    /// Reads the next content bytes.
    pub(super) fn push(&mut self, mut chunk: &[u8]) {
        while let Some(nl) = memchr(b'\n', chunk) {
            let (line, rest) = (&chunk[..nl], &chunk[nl + 1..]);
            let len = self.carry.len() as u64 + self.skipped + nl as u64 + 1;
            if self.skipping {
                self.skipping = false;
            } else if self.carry.len() + nl > self.max_line {
                // The same whatever the chunks: a line beyond the bound is never read.
                self.refuse(self.carry.len() + nl);
                self.carry.clear();
            } else if self.carry.is_empty() {
                self.line_done(line);
            } else {
                let mut joined = std::mem::take(&mut self.carry);
                joined.extend_from_slice(line);
                self.line_done(&joined);
                joined.clear();
                self.carry = joined;
            }
            self.line_at += len;
            self.skipped = 0;
            self.line += 1;
            chunk = rest;
        }
        if self.skipping || chunk.is_empty() {
            self.skipped += chunk.len() as u64;
            return;
        }
        if self.carry.len() + chunk.len() > self.max_line {
            self.refuse(self.carry.len() + chunk.len());
            self.skipped = (self.carry.len() + chunk.len()) as u64;
            self.carry = Vec::new();
            self.skipping = true;
        } else {
            self.carry.extend_from_slice(chunk);
        }
    }

    fn refuse(&mut self, len: usize) {
        self.intact = false;
        self.refused.get_or_insert_with(|| {
            format!(
                "line {} is more than {len} bytes, beyond the {} byte limit for a line held whole",
                self.line, self.max_line
            )
        });
    }

    /// Reads one complete line (without its `\n`), which starts at `self.line_at`.
    fn line_done(&mut self, bytes: &[u8]) {
        if self.refused.is_some() {
            return;
        }
        let (bytes, at) = match bytes.strip_prefix(b"\xEF\xBB\xBF") {
            Some(rest) if self.line == 1 => {
                self.bom = 3;
                (rest, self.line_at + 3)
            }
            _ => (bytes, self.line_at),
        };
        let base = Base::new(bytes, at);
        let text = match std::str::from_utf8(bytes) {
            Ok(text) => text,
            Err(e) => {
                self.intact = false;
                // Offsets in the text after the byte-order mark, as the whole-file reading says.
                let offset = at + e.valid_up_to() as u64 - self.bom;
                self.not_utf8.get_or_insert_with(|| format!("not UTF-8 text: invalid byte at {offset}"));
                let reason = format!("not UTF-8 text (invalid byte at column {})", e.valid_up_to() + 1);
                self.acc.add(&self.name, self.line, Err(reason), Some(&base));
                return;
            }
        };
        let line = text.trim();
        if line.is_empty() {
            return;
        }
        for value in serde_json::Deserializer::from_str(line).into_iter::<&RawValue>() {
            match value {
                Ok(v) => {
                    self.values += 1;
                    self.acc.add(&self.name, self.line, Ok(v), Some(&base));
                }
                Err(e) => {
                    self.intact = false;
                    let reason = format!("not valid JSON: {}", strip_position(&e));
                    self.acc.add(&self.name, self.line, Err(reason), Some(&base));
                    break;
                }
            }
        }
    }

    /// Ends the content: the last line (without a `\n`) is read too.
    pub(super) fn finish(mut self) -> LinesEnd {
        if !self.skipping && !self.carry.is_empty() {
            let last = std::mem::take(&mut self.carry);
            self.line_done(&last);
        }
        if self.intact && self.values >= 2 {
            return LinesEnd::Exact(self.acc.finish(None));
        }
        // Text that is not UTF-8 is read line by line by the whole-file reading too.
        if self.not_utf8.is_some() && self.refused.is_none() {
            return LinesEnd::Exact(self.acc.finish(self.not_utf8));
        }
        let otherwise = (self.refused.is_none() && self.acc.any_recognised()).then(|| self.acc.finish(self.not_utf8));
        LinesEnd::Whole { otherwise, refused: self.refused }
    }
}

/// The first `byte` in `hay`.
fn memchr(byte: u8, hay: &[u8]) -> Option<usize> {
    hay.iter().position(|&b| b == byte)
}

/// True when content starting with `head` is read line by line: its first byte that is not
/// white space (after a UTF-8 byte-order mark) opens a JSON object.
pub(super) fn starts_object(head: &[u8]) -> bool {
    let head = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
    // JSON's white space only: a form feed (which `is_ascii_whitespace` counts) is not JSON,
    // and the whole reading rejects it where it starts the content.
    head.iter().find(|b| !matches!(b, b' ' | b'\t' | b'\n' | b'\r')) == Some(&b'{')
}
