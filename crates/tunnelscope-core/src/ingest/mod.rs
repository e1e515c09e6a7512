//! Reading one file: detect its shape, decompress, split it into records, and account for it.
//!
//! Every file ends as exactly one [`FileStatus`]; every record in a read file becomes an
//! [`Event`] or an invalid record with a reason. Dedupe happens later, in the dataset.

mod archive;
mod columns;
mod container;
mod elements;
mod gzip;
mod gzstream;
mod lines;
mod ocsf;
mod scan;
mod spans;
pub mod split;
mod stream;
mod table;
mod trail;
pub(crate) mod wire;
mod wrapped;

pub use archive::MAX_ARCHIVE_MEMBERS;
pub use gzip::bomb_reason;
pub use scan::{Mark as RecordMark, Scanner as RecordScanner};
pub use spans::{SpanReader, SpanTexts};
pub use stream::{FileStream, parse_input_compact};
pub use wire::{files_from_wire, files_into_wire};

use serde::{Deserialize, Serialize};

use crate::model::{Event, RawSpan};
pub use crate::rows::Rows;

/// Invalid records a parsed file keeps with their position and reason; beyond these it only
/// counts them (`ParsedFile::invalid_more`), so a file of millions of non-records (`{}` lines)
/// costs no memory per record, and the counts stay exact.
pub const MAX_INVALID_DETAILS: usize = 100;
/// The largest single record accepted (contracts.md §1); a bigger one rejects the file.
pub const MAX_RECORD_BYTES: usize = 1 << 20;
/// Decompressed bytes allowed per compressed byte before a file is taken for a bomb.
pub const MAX_EXPANSION_RATIO: u64 = 200;
/// Decompressed output always allowed, whatever the ratio (small files compress well).
pub const MIN_EXPANSION_ALLOWANCE: u64 = 64 << 20;

/// The most content held whole to read it: a file (or a zip archive, a zip member, or a gzip
/// file's content) that does not stream. `{"Records":[…]}` documents and files of one record
/// (or envelope) per line stream as their bytes arrive, plain or gzipped, whatever their size;
/// anything else (another JSON shape, CSV, a zip, a streamed file that needs the whole-file
/// reading after all) is held, and beyond this it is rejected ([`too_big_reason`]) and loading
/// goes on with the next file. 64 MiB: the whole-file reading holds the content and, while it
/// parses, about as much again in the records' text and parsed events (~2.5× the content), so
/// one such file stays near 160 MB, within the 256 MB the CLI and the page's engine keep to
/// beyond the loaded dataset itself (the CLI reads one such file at a time, `load.rs`).
pub const MAX_WHOLE_BYTES: u64 = 64 << 20;

/// Why content of `size` bytes that would have to be held whole (`what`: "the file", "the
/// zip archive", …) is refused: its size, the limit, and what streams instead.
pub fn too_big_reason(what: &str, size: u64, limit: u64) -> String {
    format!(
        "too big to read whole: {what} is {size} bytes, beyond the {limit} byte limit for content that does not \
         stream (only {{\"Records\":[…]}} documents and one record per line, plain or gzipped, stream: convert \
         it, e.g. with jq -c '.Records[]', or unzip an archive and load its files)"
    )
}

/// What became of a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FileStatus {
    /// A recognised container of CloudTrail records.
    Read,
    /// Recognised, but holds no events by nature (digest files, …).
    Skipped,
    /// Unusable, with a reason.
    Rejected,
}

impl FileStatus {
    /// `read`, `skipped` or `rejected`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Read => "read",
            Self::Skipped => "skipped",
            Self::Rejected => "rejected",
        }
    }
}

/// The export shape a file was recognised as.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Shape {
    /// `{"Records":[…]}`: S3 delivery or console Event-history JSON.
    TrailRecords,
    /// A bare JSON array of records.
    RecordArray,
    /// One record object.
    SingleRecord,
    /// One record (or envelope) per line.
    Ndjson,
    /// `aws cloudtrail lookup-events` output.
    LookupEvents,
    /// EventBridge envelope(s).
    EventBridge,
    /// CloudWatch Logs `filter-log-events` / `get-log-events` output or subscription payload.
    CloudWatchLogs,
    /// CloudTrail digest file.
    Digest,
    /// CloudTrail Lake `result_sign.json`.
    LakeSignature,
    /// Console Event-history CSV download.
    ConsoleCsv,
    /// Athena or CloudTrail Lake query result (CSV, or `GetQueryResults` JSON).
    QueryResult,
    /// Operating-system metadata that archives carry (macOS AppleDouble `._*`, `.DS_Store`).
    OsMetadata,
    /// Splunk search results (`{"result":{"_raw":…}}` lines, `{"results":[…]}`, CSV with `_raw`).
    Splunk,
    /// Cribl captures: events with the record (or a delivery file) in `_raw`.
    Cribl,
    /// Elastic / OpenSearch `_search` responses and dumps (`_source`, `event.original`).
    Elastic,
    /// OCSF API Activity (`class_uid` 6003), as Amazon Security Lake queries return it.
    Ocsf,
}

impl Shape {
    /// Its name as serialised (`"TrailRecords"`, …): what `stats --json` prints in
    /// `files_detail` and the page puts in the load report's `data-shape`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::TrailRecords => "TrailRecords",
            Self::RecordArray => "RecordArray",
            Self::SingleRecord => "SingleRecord",
            Self::Ndjson => "Ndjson",
            Self::LookupEvents => "LookupEvents",
            Self::EventBridge => "EventBridge",
            Self::CloudWatchLogs => "CloudWatchLogs",
            Self::Digest => "Digest",
            Self::LakeSignature => "LakeSignature",
            Self::ConsoleCsv => "ConsoleCsv",
            Self::QueryResult => "QueryResult",
            Self::OsMetadata => "OsMetadata",
            Self::Splunk => "Splunk",
            Self::Cribl => "Cribl",
            Self::Elastic => "Elastic",
            Self::Ocsf => "Ocsf",
        }
    }
}

/// One record that was found but is not a valid event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvalidRecord {
    /// Where in the file: `record 3`, `line 12`.
    pub position: String,
    /// Why it is not a valid event.
    pub reason: String,
}

/// The outcome of reading one file.
#[derive(Debug, Clone, PartialEq)]
pub struct ParsedFile {
    /// Read, skipped or rejected.
    pub status: FileStatus,
    /// Why the file was skipped or rejected; for a read file, empty or a note on what was not
    /// read (bytes after the gzip data), which the load report shows as a note.
    pub reason: String,
    /// The recognised shape, when there is one.
    pub shape: Option<Shape>,
    /// Valid events, in file order, each with its record position.
    pub events: Vec<(u32, Event)>,
    /// More valid events, held as columns (a compact stream's unrelated records); their record
    /// positions interleave with those of `events`.
    pub rows: Rows,
    /// Records that are not valid events: the first [`MAX_INVALID_DETAILS`] of them.
    pub invalid: Vec<InvalidRecord>,
    /// Invalid records beyond those in `invalid`, counted only.
    pub invalid_more: u64,
}

impl ParsedFile {
    /// A read file of `shape`, records to be added.
    pub fn read(shape: Shape) -> Self {
        Self {
            status: FileStatus::Read,
            reason: String::new(),
            shape: Some(shape),
            events: Vec::new(),
            rows: Rows::default(),
            invalid: Vec::new(),
            invalid_more: 0,
        }
    }

    /// A file rejected for `reason`.
    pub fn rejected(reason: impl Into<String>) -> Self {
        Self {
            status: FileStatus::Rejected,
            reason: reason.into(),
            shape: None,
            events: Vec::new(),
            rows: Rows::default(),
            invalid: Vec::new(),
            invalid_more: 0,
        }
    }

    pub(crate) fn skipped(shape: Shape, reason: impl Into<String>) -> Self {
        Self {
            status: FileStatus::Skipped,
            reason: reason.into(),
            shape: Some(shape),
            events: Vec::new(),
            rows: Rows::default(),
            invalid: Vec::new(),
            invalid_more: 0,
        }
    }

    /// Records found in the file: valid plus invalid.
    pub fn n_records(&self) -> usize {
        self.n_events() + self.n_invalid()
    }

    /// Invalid records found in the file (those kept with details and those only counted).
    pub fn n_invalid(&self) -> usize {
        self.invalid.len().saturating_add(usize::try_from(self.invalid_more).unwrap_or(usize::MAX))
    }

    /// Records an invalid record: its details while fewer than [`MAX_INVALID_DETAILS`] are
    /// kept (`position` is only called then), else only its count.
    pub fn push_invalid(&mut self, position: impl FnOnce() -> String, reason: String) {
        if self.invalid.len() < MAX_INVALID_DETAILS {
            self.invalid.push(InvalidRecord { position: position(), reason });
        } else {
            self.invalid_more += 1;
        }
    }

    /// Valid events (`events` and `rows`), in record order.
    pub fn n_events(&self) -> usize {
        self.events.len() + self.rows.len()
    }

    /// The same file with its rows turned into events (raw JSON empty), in record order: what
    /// tests compare, whichever form a reading chose.
    pub fn with_rows_as_events(mut self) -> Self {
        if !self.rows.is_empty() {
            self.events.extend(self.rows.events());
            self.events.sort_by_key(|(record, _)| *record);
            self.rows = Rows::default();
        }
        self
    }
}

/// Expands a file into the files it holds: a zip archive into its members, named
/// `name!/member` (nested archives too), anything else into itself.
///
/// An unreadable archive (truncated, corrupt, beyond the expansion bound) is one file, under the
/// archive's own name, with the reason; [`crate::Dataset::add_file`] calls this first.
pub fn expand(name: &str, bytes: &[u8]) -> Vec<(String, Result<Vec<u8>, String>)> {
    let mut out = Vec::new();
    for_each_file(name, bytes, &mut |n, r| out.push((n, r.map(<[u8]>::to_vec))));
    out
}

/// One file's bytes, or why it cannot be read (a member of a broken archive).
pub type FileContent<'a> = Result<&'a [u8], String>;

/// Reads one input (a file or an archive) into parsed files: archive members are expanded as
/// `a.zip!/member`, an unreadable archive or member becomes a rejected file. The CLI parses
/// inputs with this on every core; `Dataset::add_file_reports` uses it too.
pub fn parse_input(name: &str, bytes: &[u8]) -> Vec<(String, ParsedFile)> {
    let mut out = Vec::new();
    for_each_file(name, bytes, &mut |file, content| {
        let parsed = match content {
            Ok(data) => parse_file(&file, data),
            Err(reason) => ParsedFile::rejected(reason),
        };
        out.push((file, parsed));
    });
    out
}

/// Like [`expand`], but hands each file to `f` as soon as it is read (one archive member in
/// memory at a time); a file that is not an archive is passed through without a copy.
pub fn for_each_file(name: &str, bytes: &[u8], f: &mut dyn FnMut(String, FileContent<'_>)) {
    if archive::is_zip(bytes) {
        archive::for_each_member(name, bytes, &mut |n, r| match r {
            Ok(data) => f(n, Ok(&data)),
            Err(reason) => f(n, Err(reason)),
        });
    } else {
        f(name.to_owned(), Ok(bytes));
    }
}

/// The exact text of a record from its [`Event::span`]: `file_bytes` is the file as stored
/// (plain, gzip, or a zip archive with `member` the path after `!/`, nested archives as
/// `inner.zip!/x.json`); gunzips or unzips as needed, under the same bounds as reading.
///
/// A compact dataset drops the `raw` text of most events and reads it again with this. Each
/// call decompresses the file: use [`read_spans`] for many records of one file, or
/// [`SpanReader`] to take them as the file's bytes arrive, in one pass.
pub fn read_span(file_bytes: &[u8], member: Option<&str>, span: RawSpan) -> Result<String, String> {
    read_spans(file_bytes, member, &[span])?.pop().ok_or_else(|| "no record".to_owned())
}

/// [`read_span`] for several records of one file (decompressed once), in the order given.
pub fn read_spans(file_bytes: &[u8], member: Option<&str>, spans: &[RawSpan]) -> Result<Vec<String>, String> {
    let slice_all = |content: &[u8]| -> Result<Vec<String>, String> {
        let content =
            if gzip::is_gzip(content) { std::borrow::Cow::Owned(gzip::gunzip(content)?) } else { content.into() };
        spans
            .iter()
            .map(|span| {
                let start = usize::try_from(span.offset).map_err(|_| "span beyond the file".to_owned())?;
                let bytes =
                    start.checked_add(span.len as usize).and_then(|end| content.get(start..end)).ok_or_else(|| {
                        format!("span {}+{} beyond the file's {} bytes", span.offset, span.len, content.len())
                    })?;
                String::from_utf8(bytes.to_vec())
                    .map_err(|_| format!("span {}+{} is not UTF-8 text", span.offset, span.len))
            })
            .collect()
    };
    let Some(member) = member else {
        return slice_all(file_bytes);
    };
    if !archive::is_zip(file_bytes) {
        return Err(format!("not a zip archive, so no member {member:?}"));
    }
    let wanted = format!("!/{member}");
    let mut found = None;
    archive::for_each_member("", file_bytes, &mut |name, content| {
        if found.is_none() && name == wanted {
            found = Some(content.and_then(|c| slice_all(&c)));
        }
    });
    found.unwrap_or_else(|| Err(format!("no member {member:?} in the archive")))
}

/// True when the bytes are a zip archive (to be expanded with [`expand`] before parsing).
pub fn is_archive(bytes: &[u8]) -> bool {
    archive::is_zip(bytes)
}

/// Reads one file's bytes: gunzips if needed, detects the shape and parses every record.
///
/// `name` is the path as given (used for messages and shape hints only). Archives are not
/// expanded here (see [`expand`]).
pub fn parse_file(name: &str, bytes: &[u8]) -> ParsedFile {
    if bytes.is_empty() {
        return ParsedFile::rejected("empty file");
    }
    if gzip::is_gzip(bytes) {
        return match gzip::gunzip_noting(bytes) {
            Ok((inner, _)) if inner.is_empty() => ParsedFile::rejected("empty file (inside gzip)"),
            Ok((inner, note)) => {
                let mut parsed = parse_plain(name, &inner);
                // A read file's reason is a note for its load report (Dataset::add_parsed).
                if let (Some(note), FileStatus::Read) = (note, parsed.status) {
                    parsed.reason = note;
                }
                parsed
            }
            Err(reason) => ParsedFile::rejected(reason),
        };
    }
    parse_plain(name, bytes)
}

fn parse_plain(name: &str, bytes: &[u8]) -> ParsedFile {
    if archive::is_zip(bytes) {
        return ParsedFile::rejected("zip archive inside a compressed file: unzip it first");
    }
    // AppleDouble and .DS_Store files ride along in zips made on macOS.
    if bytes.starts_with(&[0x00, 0x05, 0x16, 0x07]) || bytes.starts_with(b"\x00\x00\x00\x01Bud1") {
        return ParsedFile::skipped(
            Shape::OsMetadata,
            "macOS metadata file (AppleDouble or .DS_Store), holds no events",
        );
    }
    // Windows PowerShell 5 writes `aws … > out.json` as UTF-16 with a byte-order mark.
    if let Some(text) = utf16_text(bytes) {
        return container::parse(name, text.as_bytes(), false);
    }
    container::parse(name, bytes, true)
}

/// Text with a UTF-16 byte-order mark, as UTF-8 (unpaired surrogates become U+FFFD).
fn utf16_text(bytes: &[u8]) -> Option<String> {
    let little = match bytes.get(..2)? {
        [0xFF, 0xFE] => true,
        [0xFE, 0xFF] => false,
        _ => return None,
    };
    let units = bytes[2..].chunks_exact(2).map(|c| {
        let pair = [c[0], c[1]];
        if little { u16::from_le_bytes(pair) } else { u16::from_be_bytes(pair) }
    });
    Some(char::decode_utf16(units).map(|c| c.unwrap_or(char::REPLACEMENT_CHARACTER)).collect())
}
