//! Shape detection and record splitting after decompression, by content: every JSON shape, and CSV.

use std::borrow::Cow;
use std::collections::BTreeMap;

use serde::Deserialize;
use serde::de::IgnoredAny;
use serde_json::value::RawValue;
use serde_json::{Map, Value};

use super::columns::{ColumnMap, finish};
use super::{FileStatus, MAX_RECORD_BYTES, ParsedFile, Shape, scan, table};
use crate::model::{Event, Fidelity, RawSpan};
use crate::record::{
    self, FROM_LOOKUP_SUMMARY, FROM_QUERY_ROW, Lenient, Parsed, RowSink, clip, looks_like_record, parse_record,
};

/// The top-level keys that identify each JSON shape; everything else is skipped.
#[derive(Deserialize, Default)]
#[serde(default)]
struct Top<'a> {
    #[serde(rename = "Records", borrow)]
    records: Option<&'a RawValue>,
    #[serde(rename = "Events", borrow)]
    lookup_events: Option<&'a RawValue>,
    #[serde(rename = "events", borrow)]
    log_events: Option<&'a RawValue>,
    #[serde(rename = "logEvents", borrow)]
    subscription_events: Option<&'a RawValue>,
    #[serde(rename = "messageType", borrow)]
    message_type: Lenient<'a>,
    #[serde(rename = "detail-type")]
    detail_type: Option<IgnoredAny>,
    #[serde(borrow)]
    detail: Option<&'a RawValue>,
    #[serde(rename = "digestStartTime")]
    digest_start: Option<IgnoredAny>,
    #[serde(rename = "digestEndTime")]
    digest_end: Option<IgnoredAny>,
    #[serde(rename = "digestS3Object")]
    digest_object: Option<IgnoredAny>,
    #[serde(rename = "logFiles")]
    digest_log_files: Option<IgnoredAny>,
    #[serde(rename = "hashSignature")]
    hash_signature: Option<IgnoredAny>,
    #[serde(rename = "hashAlgorithm")]
    hash_algorithm: Option<IgnoredAny>,
    #[serde(rename = "files")]
    sign_files: Option<IgnoredAny>,
    #[serde(rename = "QueryResultRows", borrow)]
    query_rows: Option<&'a RawValue>,
}

/// How one element of a container is to be read.
// `Parsed` is the common case of the big files; boxing it would cost an allocation per record.
#[allow(clippy::large_enum_variant)]
enum Element<'a> {
    Record(&'a str, Fidelity),
    OwnedRecord(String, Fidelity),
    /// Already parsed (from one parse that also classified it); the text it was parsed from.
    Parsed(Result<Event, String>, &'a str),
    /// Already added to the file's rows.
    Row,
    Invalid(String),
}

/// A container's elements, classified one at a time as they are taken.
type Elements<'a> = Box<dyn Iterator<Item = Element<'a>> + 'a>;

/// The elements of a JSON array, taken one at a time from its (already validated) text: a list
/// of millions of records is never held as a list.
#[derive(Clone)]
struct ArrayItems<'a> {
    text: &'a str,
    pos: usize,
}

impl<'a> ArrayItems<'a> {
    /// `body`: a validated JSON value's text; `None` unless it is an array.
    fn new(body: &'a str) -> Option<Self> {
        body.starts_with('[').then_some(Self { text: body, pos: 1 })
    }
}

impl<'a> Iterator for ArrayItems<'a> {
    type Item = &'a RawValue;

    fn next(&mut self) -> Option<&'a RawValue> {
        let bytes = self.text.as_bytes();
        while bytes.get(self.pos).is_some_and(|b| b.is_ascii_whitespace() || *b == b',') {
            self.pos += 1;
        }
        if bytes.get(self.pos).is_none_or(|b| *b == b']') {
            return None;
        }
        let rest = &self.text[self.pos..];
        let mut stream = serde_json::Deserializer::from_str(rest).into_iter::<&RawValue>();
        match stream.next() {
            Some(Ok(value)) => {
                self.pos += stream.byte_offset();
                Some(value)
            }
            _ => {
                self.pos = bytes.len();
                None
            }
        }
    }
}

/// Where a file's content lies in memory, to turn a record's `&str` into its byte range in the
/// content ([`Event::span`]); records elsewhere (unescaped, synthesized) get no span.
#[derive(Clone, Copy)]
pub(super) struct Base {
    start: usize,
    len: usize,
    /// The content offset of `start`.
    offset: u64,
}

impl Base {
    /// `text` is the content from `offset` on.
    pub(super) fn new(text: &[u8], offset: u64) -> Self {
        Self { start: text.as_ptr() as usize, len: text.len(), offset }
    }

    fn span_of(&self, s: &str) -> Option<RawSpan> {
        let at = (s.as_ptr() as usize).checked_sub(self.start)?;
        if at.checked_add(s.len())? > self.len {
            return None;
        }
        Some(RawSpan { offset: self.offset + at as u64, len: u32::try_from(s.len()).ok()? })
    }
}

impl Element<'_> {
    fn is_invalid(&self) -> bool {
        matches!(self, Element::Invalid(_))
    }
}

/// What one JSON document is.
enum Doc<'a> {
    /// A container of elements, with the shape and a description for messages. The elements
    /// are classified as they are taken, so a list of millions costs no memory per element.
    Items(Shape, &'static str, Elements<'a>),
    /// Recognised, holds no events by nature.
    Skip(Shape, &'static str),
    /// Not CloudTrail; rejects the document.
    Reject(String),
    /// Rejects the whole file whatever else it holds (a record beyond the size bound).
    Fatal(String),
}

/// Reads the content `bytes`; `exact` when they are the file's content as stored (after gunzip),
/// so records get their [`Event::span`] (not for text converted from UTF-16).
pub(super) fn parse(name: &str, bytes: &[u8], exact: bool) -> ParsedFile {
    let base = exact.then(|| Base::new(bytes, 0));
    let base = base.as_ref();
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let Some(start) = bytes.iter().position(|b| !b.is_ascii_whitespace()) else {
        return ParsedFile::rejected("empty file (only white space)");
    };
    let first = bytes[start];
    match (first, std::str::from_utf8(bytes)) {
        (b'{' | b'[', Ok(text)) => parse_json(name, text, base),
        (b'{' | b'[', Err(e)) => {
            let reason = format!("not UTF-8 text: invalid byte at {}", e.valid_up_to());
            let lines = bytes.split(|b| *b == b'\n').enumerate().map(|(i, line)| {
                (
                    i + 1,
                    std::str::from_utf8(line)
                        .map_err(|e| format!("not UTF-8 text (invalid byte at column {})", e.valid_up_to() + 1)),
                )
            });
            multi(name, values_by_line(lines), Some(reason), base)
        }
        (_, utf8) => {
            let shown = if first.is_ascii_graphic() {
                format!("{:?}", char::from(first))
            } else {
                format!("byte 0x{first:02x} (binary data?)")
            };
            let not_csv = format!("not JSON or a known CSV export: starts with {shown} at byte {start}");
            let header_ok = bytes.split(|b| *b == b'\n').next().is_some_and(|h| std::str::from_utf8(h).is_ok());
            match utf8 {
                Err(e) if !header_ok => {
                    ParsedFile::rejected(format!("not UTF-8 text: invalid byte at {} ({not_csv})", e.valid_up_to()))
                }
                _ => table::parse(bytes, &not_csv),
            }
        }
    }
}

fn parse_json(name: &str, text: &str, base: Option<&Base>) -> ParsedFile {
    if let Some(parsed) = trail_document(text, base) {
        return parsed;
    }
    let mut stream = serde_json::Deserializer::from_str(text).into_iter::<&RawValue>();
    match stream.next() {
        Some(Ok(first)) => {
            if text[stream.byte_offset()..].trim().is_empty() {
                return single(name, first, base);
            }
            // Several values: NDJSON, concatenated documents (`zcat *.json.gz`), pretty or not.
            // Checked whole first, then read value by value (nothing kept per value).
            let complete = serde_json::Deserializer::from_str(text).into_iter::<&RawValue>().all(|v| v.is_ok());
            if complete {
                let mut stream = serde_json::Deserializer::from_str(text).into_iter::<&RawValue>();
                let mut lines = Lines::default();
                let values = std::iter::from_fn(move || {
                    let before = stream.byte_offset();
                    let value = stream.next()?.ok()?;
                    Some((lines.line_of(text, before), Ok(value)))
                });
                multi(name, values, None, base)
            } else {
                let lines = text.split('\n').enumerate().map(|(i, l)| (i + 1, Ok(l)));
                multi(name, values_by_line(lines), None, base)
            }
        }
        Some(Err(e)) => {
            let msg = json_error(text, &e);
            // A broken first line need not condemn a file of one record per line.
            if text.trim_end().contains('\n') {
                let lines = text.split('\n').enumerate().map(|(i, l)| (i + 1, Ok(l)));
                let attempt = multi(name, values_by_line(lines), Some(msg.clone()), base);
                if attempt.status != FileStatus::Rejected {
                    return attempt;
                }
            }
            ParsedFile::rejected(msg)
        }
        None => ParsedFile::rejected("empty file (only white space)"),
    }
}

/// Line numbers of increasing byte offsets, counted incrementally (files can hold millions).
#[derive(Default)]
struct Lines {
    byte: usize,
    newlines: usize,
}

impl Lines {
    /// The line (1-based) of the first non-white-space byte at or after `offset`.
    fn line_of(&mut self, text: &str, offset: usize) -> usize {
        let bytes = text.as_bytes();
        let mut start = offset.min(bytes.len());
        while bytes.get(start).is_some_and(u8::is_ascii_whitespace) {
            start += 1;
        }
        if start < self.byte {
            *self = Self::default();
        }
        self.newlines += bytes[self.byte..start].iter().filter(|b| **b == b'\n').count();
        self.byte = start;
        self.newlines + 1
    }
}

/// Splits each line into its JSON values; a line that does not parse is one error. Lazily:
/// a file of millions of lines is never held as a list of values.
fn values_by_line<'a>(
    lines: impl Iterator<Item = (usize, Result<&'a str, String>)> + 'a,
) -> impl Iterator<Item = (usize, Result<&'a RawValue, String>)> + 'a {
    lines.flat_map(|(line_no, line)| {
        let mut out = Vec::new();
        let line = match line {
            Ok(l) => l.trim(),
            Err(reason) => {
                out.push((line_no, Err(reason)));
                return out;
            }
        };
        if line.is_empty() {
            return out;
        }
        for value in serde_json::Deserializer::from_str(line).into_iter::<&RawValue>() {
            match value {
                Ok(v) => out.push((line_no, Ok(v))),
                Err(e) => {
                    out.push((line_no, Err(format!("not valid JSON: {}", strip_position(&e)))));
                    break;
                }
            }
        }
        out
    })
}

/// A serde_json error as "not valid JSON at byte N (line L, column C): message".
fn json_error(text: &str, e: &serde_json::Error) -> String {
    let offset = byte_offset(text, e.line(), e.column());
    if e.is_eof() {
        format!("truncated JSON: the text ends at byte {} before the document is complete", text.len())
    } else {
        format!("not valid JSON at byte {offset} (line {}, column {}): {}", e.line(), e.column(), strip_position(e))
    }
}

fn strip_position(e: &serde_json::Error) -> String {
    let s = e.to_string();
    match s.find(" at line ") {
        Some(i) => s[..i].to_owned(),
        None => s,
    }
}

fn byte_offset(text: &str, line: usize, column: usize) -> usize {
    let line_start: usize = text.split_inclusive('\n').take(line.saturating_sub(1)).map(str::len).sum();
    (line_start + column.saturating_sub(1)).min(text.len())
}

/// A file holding one JSON document.
fn single(name: &str, doc: &RawValue, base: Option<&Base>) -> ParsedFile {
    match document(name, doc) {
        Doc::Items(shape, what, elements) => {
            let mut out = ParsedFile::read(shape);
            let (mut any, mut any_recognised, mut first_invalid) = (false, false, None);
            for (i, element) in elements.enumerate() {
                any = true;
                match &element {
                    Element::Invalid(reason) if i == 0 => first_invalid = Some(reason.clone()),
                    Element::Invalid(_) => {}
                    _ => any_recognised = true,
                }
                push(&mut out, i, || format!("record {}", i + 1), element, base);
            }
            if any && !any_recognised {
                let first = first_invalid.map(|r| format!(" (first: {r})")).unwrap_or_default();
                return ParsedFile::rejected(format!("JSON, but {what} holds no CloudTrail records{first}"));
            }
            out
        }
        Doc::Skip(shape, reason) => ParsedFile::skipped(shape, reason),
        Doc::Reject(reason) | Doc::Fatal(reason) => ParsedFile::rejected(reason),
    }
}

/// A file of several JSON values (one per line, or concatenated), read value by value: only
/// its events and the first invalid records' details are kept.
fn multi<'a>(
    name: &str,
    values: impl IntoIterator<Item = (usize, Result<&'a RawValue, String>)>,
    first_error: Option<String>,
    base: Option<&Base>,
) -> ParsedFile {
    let mut out = ParsedFile::read(Shape::Ndjson);
    let mut index = 0usize;
    let mut any_recognised = false;
    // The shape of the first container, and whether every container had it.
    let mut shapes: Option<(Shape, bool)> = None;
    let mut skipped: Option<(Shape, &'static str)> = None;
    let mut first_reject: Option<String> = None;
    for (line, value) in values {
        let doc = match value {
            Ok(v) => document(name, v),
            Err(reason) => Doc::Reject(reason),
        };
        match doc {
            Doc::Items(shape, _, mut items) => {
                shapes = Some(match shapes {
                    None => (shape, true),
                    Some((first, same)) => (first, same && first == shape),
                });
                let first = items.next();
                let second = first.is_some().then(|| items.next()).flatten();
                let several =
                    second.is_some() || first.is_none() || !matches!(shape, Shape::SingleRecord | Shape::EventBridge);
                let items = first.into_iter().chain(second).chain(items);
                for (k, element) in items.enumerate() {
                    any_recognised |= !element.is_invalid();
                    let position =
                        || if several { format!("line {line} record {}", k + 1) } else { format!("line {line}") };
                    push(&mut out, index, position, element, base);
                    index += 1;
                }
            }
            Doc::Skip(shape, reason) => skipped = skipped.or(Some((shape, reason))),
            Doc::Reject(reason) => {
                first_reject.get_or_insert_with(|| reason.clone());
                push(&mut out, index, || format!("line {line}"), Element::Invalid(reason), base);
                index += 1;
            }
            Doc::Fatal(reason) => return ParsedFile::rejected(format!("line {line}: {reason}")),
        }
    }
    if !any_recognised {
        if shapes.is_none() {
            if let (Some((shape, reason)), None) = (skipped, &first_reject) {
                return ParsedFile::skipped(shape, reason);
            }
        }
        if let (0, Some((shape, _))) = (index, shapes) {
            // Containers that are all empty (`{"Records":[]}` twice) are still read.
            return ParsedFile::read(shape);
        }
        return ParsedFile::rejected(
            first_error
                .or(first_reject)
                .unwrap_or_else(|| "several JSON values, but none is a CloudTrail record or export".to_owned()),
        );
    }
    out.shape = Some(match shapes {
        Some((s, true)) if s != Shape::SingleRecord => s,
        _ => Shape::Ndjson,
    });
    out
}

/// Recognises one JSON document.
fn document<'a>(name: &str, doc: &'a RawValue) -> Doc<'a> {
    let body = doc.get();
    if body.starts_with('[') {
        return match ArrayItems::new(body) {
            Some(items) => items_doc(Shape::RecordArray, "the JSON array", items),
            None => Doc::Reject("unreadable JSON array".to_owned()),
        };
    }
    if !body.starts_with('{') {
        return Doc::Reject(format!("JSON, but not a CloudTrail export: a bare value {}", clip(body, 40)));
    }
    let top: Top<'_> = match serde_json::from_str(body) {
        Ok(t) => t,
        Err(e) => return Doc::Reject(format!("unreadable JSON object: {e}")),
    };
    if let Some(records) = top.records {
        return match ArrayItems::new(records.get()) {
            Some(items) => trail_records(items),
            None => Doc::Reject("\"Records\" is not a list of records".into()),
        };
    }
    let digest_path = name.contains("CloudTrail-Digest");
    let digest_keys = [&top.digest_start, &top.digest_end, &top.digest_object, &top.digest_log_files];
    if (top.digest_start.is_some() && top.digest_log_files.is_some())
        || (digest_path && digest_keys.iter().any(|k| k.is_some()))
    {
        return Doc::Skip(Shape::Digest, "CloudTrail digest file (integrity data, holds no events)");
    }
    if top.hash_signature.is_some()
        || (name.ends_with("result_sign.json") && top.sign_files.is_some() && top.hash_algorithm.is_some())
    {
        return Doc::Skip(Shape::LakeSignature, "CloudTrail Lake result signature (holds no events)");
    }
    match top.message_type.as_str() {
        "CONTROL_MESSAGE" => {
            return Doc::Skip(Shape::CloudWatchLogs, "CloudWatch Logs control message (holds no events)");
        }
        "DATA_MESSAGE" => {
            if let Some(events) = top.subscription_events {
                return list_of(Shape::CloudWatchLogs, events, "\"logEvents\"");
            }
        }
        _ => {}
    }
    if let Some(events) = top.lookup_events {
        return list_of(Shape::LookupEvents, events, "\"Events\"");
    }
    if let Some(events) = top.log_events {
        return list_of(Shape::CloudWatchLogs, events, "\"events\"");
    }
    if top.detail_type.is_some() && top.detail.is_some() {
        return items_doc(Shape::EventBridge, "the EventBridge event", std::iter::once(doc));
    }
    if let Some(rows) = top.query_rows {
        return query_rows(rows);
    }
    // A record with one of its keys twice is still a record (an invalid one, saying why).
    if looks_like_record(doc) || record::probe_error(doc).is_some() {
        return items_doc(Shape::SingleRecord, "the record", std::iter::once(doc));
    }
    Doc::Reject(format!("JSON, but not a CloudTrail export (top-level keys: {})", top_keys(body)))
}

fn top_keys(body: &str) -> String {
    match serde_json::from_str::<BTreeMap<Cow<'_, str>, IgnoredAny>>(body) {
        Ok(map) if map.is_empty() => "none".to_owned(),
        Ok(map) => clip(&map.keys().map(|k| k.as_ref()).collect::<Vec<_>>().join(", "), 120),
        Err(_) => "unreadable".to_owned(),
    }
}

fn list_of<'a>(shape: Shape, list: &'a RawValue, what: &'static str) -> Doc<'a> {
    match ArrayItems::new(list.get()) {
        Some(items) => items_doc(shape, what, items),
        None => Doc::Reject(format!("{what} is not a list")),
    }
}

const S3_NOTIFICATIONS: &str =
    "Amazon S3 event notifications (eventSource aws:s3, eventVersion 2.x), not CloudTrail records";
const SQS_MESSAGES: &str = "Amazon SQS/SNS messages (\"Records\" with body/messageId), not CloudTrail records";

/// A `Records` list on the general path: judged whole first (S3 notifications, SQS messages,
/// a record beyond the size bound), then each record read again as it is taken.
fn trail_records(items: ArrayItems<'_>) -> Doc<'_> {
    let (mut s3, mut sqs) = (false, false);
    for item in items.clone() {
        let (is_s3, is_sqs, _) = trail_item(item);
        s3 |= is_s3;
        sqs |= is_sqs;
    }
    if s3 {
        return Doc::Reject(S3_NOTIFICATIONS.into());
    }
    if sqs {
        return Doc::Reject(SQS_MESSAGES.into());
    }
    if let Some(fatal) = too_big(items.clone()) {
        return fatal;
    }
    Doc::Items(Shape::TrailRecords, "\"Records\"", Box::new(items.map(|item| trail_item(item).2)))
}

/// One element of a `Records` list: is it an S3 notification, an SQS message, and how it reads.
/// One parse answers all three for a record object; anything else takes the separate checks.
fn trail_item<'a>(item: &'a RawValue) -> (bool, bool, Element<'a>) {
    let body = item.get();
    if body.starts_with('{') {
        if let Some(t) = record::scan_trail_item(body, Fidelity::Full, None) {
            let element = match t.record {
                Some(Ok(Parsed::Event(e))) => Element::Parsed(Ok(e), body),
                Some(Err(e)) => Element::Parsed(Err(e.reason), body),
                // Without a sink no record becomes a row; were one to, it is read again.
                Some(Ok(Parsed::Row)) | None => classify(item, Shape::TrailRecords),
            };
            return (t.s3_notification, t.sqs_message, element);
        }
    }
    (record::is_s3_notification(item), is_sqs_message(item), classify(item, Shape::TrailRecords))
}

/// A `{"Records":[…]}` document read record by record with the byte scanner (one parse per
/// record); `None` when anything is unusual (another shape, other keys, trailing data, a
/// record beyond the size bound, malformed JSON), and the general parser decides.
fn trail_document(text: &str, base: Option<&Base>) -> Option<ParsedFile> {
    let mut scanner = scan::Scanner::after_bom();
    let mut acc = TrailAcc::default();
    let (mut start, mut ok) = (0, true);
    // Each record is parsed as soon as the scanner has found its end, while it is in cache.
    let scanned = scanner.feed(text.as_bytes(), &mut |m| match m {
        scan::Mark::Start(s) => start = s,
        scan::Mark::End(e) => {
            // The scanner cuts at ASCII brackets, so these are character boundaries.
            ok = ok
                && e - start <= MAX_RECORD_BYTES
                && text.get(start..e).is_some_and(|item| acc.add(item, base).is_ok());
        }
    });
    (scanned && ok && scanner.done()).then(|| acc.finish())
}

/// A `{"Records":[…]}` document's records, accumulated one at a time (whole or streamed).
#[derive(Default, Debug)]
pub(super) struct TrailAcc {
    /// Let go of the raw text of unrelated events with a span (a compact stream).
    pub(super) compact: bool,
    out: Option<ParsedFile>,
    records: usize,
    s3: bool,
    sqs: bool,
    any_record: bool,
    first_invalid: Option<String>,
}

/// A record text that is not JSON: the document is not, and the general parser must judge it.
#[derive(Debug)]
pub(super) struct NotJson;

impl TrailAcc {
    /// Records added so far.
    pub(super) fn records(&self) -> usize {
        self.records
    }

    /// The index of the last event added.
    pub(super) fn last_event(&self) -> usize {
        self.out.as_ref().map_or(0, |o| o.events.len().saturating_sub(1))
    }

    /// The `raw` text of event `i`.
    pub(super) fn event_raw(&self, i: usize) -> &str {
        self.out.as_ref().and_then(|o| o.events.get(i)).map_or("", |(_, e)| e.raw.as_str())
    }

    /// Adds the next record (`item`: a `{…}` text at most [`MAX_RECORD_BYTES`] long); `base`
    /// places it in the content. `Ok(true)` when it became an event whose `raw` is `item`.
    pub(super) fn add(&mut self, item: &str, base: Option<&Base>) -> Result<bool, NotJson> {
        let out = self.out.get_or_insert_with(|| ParsedFile::read(Shape::TrailRecords));
        let index = self.records;
        // A compact stream on the streaming path (every record gets a span): unrelated records
        // become rows, their text not even copied.
        let span = base.and_then(|b| b.span_of(item.trim()));
        let sink = span.filter(|_| self.compact).map(|span| RowSink {
            rows: &mut out.rows,
            record: u32::try_from(index).unwrap_or(u32::MAX),
            span,
        });
        let (s3, sqs, element) = match record::scan_trail_item(item, Fidelity::Full, sink) {
            Some(t) => {
                let element = match t.record {
                    Some(Ok(Parsed::Row)) => Element::Row,
                    Some(Ok(Parsed::Event(e))) => Element::Parsed(Ok(e), item),
                    Some(Err(e)) => Element::Parsed(Err(e.reason), item),
                    None => classify(raw_value(item)?, Shape::TrailRecords),
                };
                (t.s3_notification, t.sqs_message, element)
            }
            None => {
                let raw = raw_value(item)?;
                (record::is_s3_notification(raw), is_sqs_message(raw), classify(raw, Shape::TrailRecords))
            }
        };
        Ok(self.note(index, s3, sqs, element, base))
    }

    /// A compact stream's fast path: adds the record that `text` starts with (at its `{`; the
    /// text may go on after it, `base` places it in the content) when it is a common row, and
    /// returns the record's length. `None` leaves the record to [`TrailAcc::add`].
    pub(super) fn add_row_fast(&mut self, text: &str, base: &Base) -> Option<usize> {
        if !self.compact {
            return None;
        }
        let (row, len) = record::fast_row(text, Fidelity::Full).filter(|(_, len)| *len <= MAX_RECORD_BYTES)?;
        let item = &text[..len];
        let span = base.span_of(item)?;
        let index = self.records;
        let out = self.out.get_or_insert_with(|| ParsedFile::read(Shape::TrailRecords));
        let sink = RowSink { rows: &mut out.rows, record: u32::try_from(index).unwrap_or(u32::MAX), span };
        let element = match row.add(item, Fidelity::Full, sink) {
            Ok(()) => Element::Row,
            Err(e) => Element::Parsed(Err(e.reason), item),
        };
        self.note(index, row.s3_notification(), false, element, Some(base));
        Some(len)
    }

    /// Counts record `index` and keeps what it gave; true when it became an event whose
    /// `raw` is its text.
    fn note(&mut self, index: usize, s3: bool, sqs: bool, element: Element<'_>, base: Option<&Base>) -> bool {
        self.s3 |= s3;
        self.sqs |= sqs;
        let out = self.out.get_or_insert_with(|| ParsedFile::read(Shape::TrailRecords));
        self.records += 1;
        let own_raw = matches!(element, Element::Parsed(Ok(_), _));
        match &element {
            Element::Invalid(reason) => {
                self.first_invalid.get_or_insert_with(|| reason.clone());
            }
            _ => self.any_record = true,
        }
        push(out, index, || format!("record {}", index + 1), element, base);
        if self.compact {
            if let Some((_, e)) = out.events.last_mut() {
                if e.raw_is_droppable() {
                    e.raw = String::new();
                }
            }
        }
        own_raw
    }

    /// The parsed file, judged as a whole: S3 notifications and SQS messages reject it, as does a
    /// non-empty list of nothing CloudTrail.
    pub(super) fn finish(self) -> ParsedFile {
        if self.s3 {
            return ParsedFile::rejected(S3_NOTIFICATIONS);
        }
        if self.sqs {
            return ParsedFile::rejected(SQS_MESSAGES);
        }
        if self.records > 0 && !self.any_record {
            let first = self.first_invalid.map(|r| format!(" (first: {r})")).unwrap_or_default();
            return ParsedFile::rejected(format!("JSON, but \"Records\" holds no CloudTrail records{first}"));
        }
        self.out.unwrap_or_else(|| ParsedFile::read(Shape::TrailRecords))
    }
}

/// `item` as a validated JSON value, or [`NotJson`].
fn raw_value(item: &str) -> Result<&RawValue, NotJson> {
    serde_json::from_str::<&RawValue>(item).map_err(|_| NotJson)
}

/// The fatal rejection when an item is beyond the size bound.
fn too_big<'a, 'b>(items: impl Iterator<Item = &'b RawValue>) -> Option<Doc<'a>> {
    let (i, big) = items.enumerate().find(|(_, r)| r.get().len() > MAX_RECORD_BYTES)?;
    Some(Doc::Fatal(format!(
        "record {} is {} bytes, beyond the {} byte limit for one record",
        i + 1,
        big.get().len(),
        MAX_RECORD_BYTES
    )))
}

fn is_sqs_message(raw: &RawValue) -> bool {
    #[derive(Deserialize)]
    struct Probe {
        #[serde(rename = "messageId")]
        _message_id: IgnoredAny,
        #[serde(rename = "body")]
        _body: IgnoredAny,
    }
    serde_json::from_str::<Probe>(raw.get()).is_ok()
}

/// Classifies the items of a container; a record beyond the size bound is fatal.
fn items_doc<'a>(shape: Shape, what: &'static str, items: impl Iterator<Item = &'a RawValue> + Clone + 'a) -> Doc<'a> {
    if let Some(fatal) = too_big(items.clone()) {
        return fatal;
    }
    Doc::Items(shape, what, Box::new(items.map(move |r| classify(r, shape))))
}

/// `GetQueryResults` output: rows of single-key objects whose values are strings.
fn query_rows(rows: &RawValue) -> Doc<'_> {
    let Some(rows) = ArrayItems::new(rows.get()) else {
        return Doc::Reject("\"QueryResultRows\" is not a list of rows".into());
    };
    if let Some((i, big)) = rows.clone().enumerate().find(|(_, r)| r.get().len() > MAX_RECORD_BYTES) {
        return Doc::Fatal(format!(
            "row {} is {} bytes, beyond the {MAX_RECORD_BYTES} byte limit",
            i + 1,
            big.get().len()
        ));
    }
    Doc::Items(Shape::QueryResult, "\"QueryResultRows\"", Box::new(rows.map(query_row)))
}

fn query_row<'a>(row: &RawValue) -> Element<'a> {
    let Ok(cells) = serde_json::from_str::<Vec<Map<String, Value>>>(row.get()) else {
        return Element::Invalid("a result row is not a list of {column: value} objects".into());
    };
    let mut names = Vec::with_capacity(cells.len());
    let mut values = Vec::with_capacity(cells.len());
    for cell in &cells {
        for (k, v) in cell {
            names.push(k.as_str());
            values.push(match v {
                Value::String(s) => s.clone(),
                Value::Null => String::new(),
                other => other.to_string(),
            });
        }
    }
    match ColumnMap::new(&names) {
        Some(map) => {
            let refs: Vec<&str> = values.iter().map(String::as_str).collect();
            Element::OwnedRecord(map.record(&refs, FROM_QUERY_ROW), Fidelity::QueryRow)
        }
        None => {
            Element::Invalid(format!("row without eventTime and eventName columns ({})", clip(&names.join(", "), 80)))
        }
    }
}

/// Adds one element's outcome; `position` names it in an invalid record's message.
fn push(
    out: &mut ParsedFile,
    index: usize,
    position: impl FnOnce() -> String,
    element: Element<'_>,
    base: Option<&Base>,
) {
    let span = |raw: &str| base.and_then(|b| b.span_of(raw.trim()));
    let parsed: Result<Event, String> = match element {
        Element::Record(raw, fidelity) => {
            parse_record(raw, fidelity).map(|e| Event { span: span(raw), ..e }).map_err(|e| e.reason)
        }
        Element::OwnedRecord(raw, fidelity) => parse_record(&raw, fidelity).map_err(|e| e.reason),
        Element::Parsed(parsed, raw) => parsed.map(|e| Event { span: span(raw), ..e }),
        Element::Row => return,
        Element::Invalid(reason) => Err(reason),
    };
    match parsed {
        Ok(event) => out.events.push((u32::try_from(index).unwrap_or(u32::MAX), event)),
        Err(reason) => out.push_invalid(position, reason),
    }
}

/// Decides how to read one element: a record, or a wrapper holding one.
fn classify<'a>(raw: &'a RawValue, shape: Shape) -> Element<'a> {
    #[derive(Deserialize, Default)]
    #[serde(default)]
    struct Wrapper<'a> {
        #[serde(rename = "detail-type", borrow)]
        detail_type: Option<Lenient<'a>>,
        #[serde(borrow)]
        detail: Option<&'a RawValue>,
        #[serde(rename = "CloudTrailEvent", borrow)]
        cloudtrail_event: Option<&'a RawValue>,
        #[serde(borrow)]
        message: Option<&'a RawValue>,
        #[serde(rename = "@message", borrow)]
        insights_message: Option<&'a RawValue>,
        #[serde(rename = "EventName")]
        lookup_name: Option<IgnoredAny>,
    }
    let body = raw.get();
    if !body.starts_with('{') {
        return Element::Invalid(format!("not a JSON object: {}", clip(body, 40)));
    }
    // A record is read as one even if it also carries a wrapper's key: no wrapper has the
    // record's own keys, and reloading an exported record must give the same event. Lists
    // that hold wrappers by definition (`Events`, `events`) still need the wrapper: a JSON
    // file with an `events` list of record-like summaries is not a CloudWatch export.
    let wrappers_only = matches!(shape, Shape::LookupEvents | Shape::CloudWatchLogs);
    if !wrappers_only && looks_like_record(raw) {
        return Element::Record(body, Fidelity::Full);
    }
    let Ok(w) = serde_json::from_str::<Wrapper<'a>>(body) else {
        return Element::Invalid("a wrapper field has an unexpected type".into());
    };
    if let Some(kind) = &w.detail_type {
        return match w.detail {
            Some(detail) if kind.as_str().ends_with("via CloudTrail") || looks_like_record(detail) => {
                Element::Record(detail.get(), Fidelity::Wrapped)
            }
            Some(_) => Element::Invalid(format!(
                "EventBridge event of detail-type {:?}, not from CloudTrail",
                clip(kind.as_str(), 60)
            )),
            None => Element::Invalid("EventBridge envelope without detail".into()),
        };
    }
    if let Some(inner) = w.cloudtrail_event {
        return wrapped_string(inner);
    }
    if matches!(shape, Shape::LookupEvents) {
        return match w.lookup_name {
            Some(_) => lookup_summary(body),
            None => Element::Invalid("lookup-events entry without CloudTrailEvent".into()),
        };
    }
    if matches!(shape, Shape::CloudWatchLogs) {
        return match w.message {
            Some(inner) => wrapped_string(inner),
            None => Element::Invalid("log event without message".into()),
        };
    }
    match w.insights_message {
        Some(inner) => wrapped_string(inner),
        // A record with a key twice is not one that lacks its keys.
        None => Element::Invalid(
            record::probe_error(raw)
                .unwrap_or_else(|| "not a CloudTrail record (no eventTime, eventName or eventVersion)".into()),
        ),
    }
}

/// A record held as a JSON string (lookup-events, CloudWatch Logs).
fn wrapped_string(raw: &RawValue) -> Element<'_> {
    let inner: Cow<'_, str> = match serde_json::from_str(raw.get()) {
        Ok(s) => s,
        Err(_) if raw.get().starts_with('{') => return Element::Record(raw.get(), Fidelity::Wrapped),
        Err(_) => {
            return Element::Invalid(format!("the wrapped message is not a JSON string: {}", clip(raw.get(), 40)));
        }
    };
    if !inner.trim_start().starts_with('{') {
        return Element::Invalid(format!("the wrapped message is not a JSON record: {}", clip(inner.trim(), 40)));
    }
    match inner {
        Cow::Borrowed(s) => Element::Record(s, Fidelity::Wrapped),
        Cow::Owned(s) => Element::OwnedRecord(s, Fidelity::Wrapped),
    }
}

/// A lookup-events entry without `CloudTrailEvent` (trimmed with `--query`): its summary
/// fields as a lossy record.
fn lookup_summary(body: &str) -> Element<'static> {
    let Ok(Value::Object(entry)) = serde_json::from_str::<Value>(body) else {
        return Element::Invalid("unreadable lookup-events entry".into());
    };
    let mut rec = Map::new();
    for (from, to) in
        [("EventId", "eventID"), ("EventName", "eventName"), ("EventTime", "eventTime"), ("EventSource", "eventSource")]
    {
        if let Some(v) = entry.get(from) {
            rec.insert(to.to_owned(), v.clone());
        }
    }
    if let Some(read_only) = entry.get("ReadOnly").and_then(Value::as_str) {
        rec.insert("readOnly".into(), Value::Bool(read_only == "true"));
    }
    let mut identity = Map::new();
    for (from, to) in [("Username", "userName"), ("AccessKeyId", "accessKeyId")] {
        if let Some(v) = entry.get(from).filter(|v| v.is_string()) {
            identity.insert(to.to_owned(), v.clone());
        }
    }
    if !identity.is_empty() {
        rec.insert("userIdentity".into(), Value::Object(identity));
    }
    if let Some(Value::Array(resources)) = entry.get("Resources") {
        let list: Vec<Value> = resources
            .iter()
            .map(|r| {
                let mut m = Map::new();
                if let Some(t) = r.get("ResourceType") {
                    m.insert("type".into(), t.clone());
                }
                if let Some(n) = r.get("ResourceName").and_then(Value::as_str) {
                    let key = if n.starts_with("arn:") { "ARN" } else { "resourceName" };
                    m.insert(key.into(), Value::String(n.to_owned()));
                }
                Value::Object(m)
            })
            .collect();
        rec.insert("resources".into(), Value::Array(list));
    }
    Element::OwnedRecord(finish(rec, FROM_LOOKUP_SUMMARY, &[]), Fidelity::ConsoleCsv)
}
