//! Shape detection and record splitting after decompression, by content: every JSON shape, and CSV.

use std::borrow::Cow;
use std::collections::BTreeMap;

use serde::Deserialize;
use serde::de::IgnoredAny;
use serde_json::value::RawValue;

use super::elements::{ArrayItems, Base, Doc, Element, items_doc, push, query_rows};
use super::trail::{trail_document, trail_records};
use super::{FileStatus, ParsedFile, Shape, table};
use crate::record::{self, Lenient, clip, looks_like_record};

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
    /// One lookup-events entry (`jq -c '.Events[]'`).
    #[serde(rename = "CloudTrailEvent")]
    cloudtrail_event: Option<IgnoredAny>,
    #[serde(rename = "EventId")]
    lookup_id: Option<IgnoredAny>,
    #[serde(rename = "EventName")]
    lookup_name: Option<IgnoredAny>,
    /// Splunk: an export line's result, the REST endpoint's results, a line of messages.
    #[serde(borrow)]
    result: Option<&'a RawValue>,
    #[serde(borrow)]
    results: Option<&'a RawValue>,
    preview: Option<IgnoredAny>,
    /// Cribl's (and Splunk's) event text.
    #[serde(rename = "_raw")]
    raw_text: Option<IgnoredAny>,
    /// Elastic / OpenSearch: a `_search` response, a dumped document.
    #[serde(borrow)]
    hits: Option<&'a RawValue>,
    #[serde(rename = "_source")]
    source: Option<IgnoredAny>,
    #[serde(rename = "class_uid")]
    class_uid: Option<IgnoredAny>,
    /// Amazon SNS notifications.
    #[serde(rename = "Type", borrow)]
    sns_type: Lenient<'a>,
    #[serde(rename = "TopicArn")]
    topic_arn: Option<IgnoredAny>,
    #[serde(rename = "Message", borrow)]
    sns_message: Lenient<'a>,
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

pub(super) fn strip_position(e: &serde_json::Error) -> String {
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
    let mut acc = MultiAcc::default();
    for (line, value) in values {
        if !acc.add(name, line, value, base) {
            break;
        }
    }
    acc.finish(first_error)
}

/// The values of a file of several JSON values, taken one at a time (whole, or as its lines
/// stream in, `super::lines`): the same judgement either way.
#[derive(Debug)]
pub(super) struct MultiAcc {
    out: ParsedFile,
    index: usize,
    any_recognised: bool,
    /// The shape of the first container, and whether every container had it.
    shapes: Option<(Shape, bool)>,
    skipped: Option<(Shape, &'static str)>,
    first_reject: Option<String>,
    /// The file's rejection by a value beyond the size bound: the rest is not read.
    fatal: Option<String>,
    /// Let go of the raw text of unrelated events with a span as they are added.
    pub(super) compact: bool,
}

impl Default for MultiAcc {
    fn default() -> Self {
        Self {
            out: ParsedFile::read(Shape::Ndjson),
            index: 0,
            any_recognised: false,
            shapes: None,
            skipped: None,
            first_reject: None,
            fatal: None,
            compact: false,
        }
    }
}

impl MultiAcc {
    /// Records found so far (valid or not).
    pub(super) fn records(&self) -> usize {
        self.index
    }

    /// True once a record was recognised (valid or not, but a record).
    pub(super) fn any_recognised(&self) -> bool {
        self.any_recognised
    }

    /// Adds the value starting on line `line` (or why that line is not JSON); false once the
    /// file is rejected whatever follows.
    pub(super) fn add(
        &mut self,
        name: &str,
        line: usize,
        value: Result<&RawValue, String>,
        base: Option<&Base>,
    ) -> bool {
        if self.fatal.is_some() {
            return false;
        }
        let doc = match value {
            Ok(v) => document(name, v),
            Err(reason) => Doc::Reject(reason),
        };
        let out = &mut self.out;
        let before = out.events.len();
        match doc {
            Doc::Items(shape, what, mut items) => {
                self.shapes = Some(match self.shapes {
                    None => (shape, true),
                    Some((first, same)) => (first, same && first == shape),
                });
                let first = items.next();
                let second = first.is_some().then(|| items.next()).flatten();
                let several = second.is_some() || first.is_none() || !one_item(shape, what);
                let items = first.into_iter().chain(second).chain(items);
                for (k, element) in items.enumerate() {
                    self.any_recognised |= !element.is_invalid();
                    if let (Element::Invalid(reason), None) = (&element, &self.first_reject) {
                        self.first_reject = Some(format!("{what}: {reason}"));
                    }
                    let position =
                        || if several { format!("line {line} record {}", k + 1) } else { format!("line {line}") };
                    push(out, self.index, position, element, base);
                    self.index += 1;
                }
            }
            Doc::Skip(shape, reason) => self.skipped = self.skipped.or(Some((shape, reason))),
            Doc::Reject(reason) => {
                self.first_reject.get_or_insert_with(|| reason.clone());
                push(out, self.index, || format!("line {line}"), Element::Invalid(reason), base);
                self.index += 1;
            }
            Doc::Fatal(reason) => {
                self.fatal = Some(format!("line {line}: {reason}"));
                return false;
            }
        }
        if self.compact {
            // Unrelated events become rows, as a compact trail stream's do: ~70 B each instead
            // of an event's fields and text, so a file of millions of lines stays small.
            for (record, e) in out.events.split_off(before) {
                match e.span.filter(|_| e.raw_is_droppable()) {
                    Some(span) => {
                        let strs = [
                            e.event_name.as_str(),
                            e.event_source.as_str(),
                            e.region.as_str(),
                            e.account.as_str(),
                            e.principal_arn.as_str(),
                            e.principal.as_str(),
                            e.source_ip.as_str(),
                            e.user_agent.as_str(),
                            e.error_code.as_str(),
                            e.error_message.as_str(),
                        ];
                        out.rows.push(record, &e.event_id, e.time_ms, strs, e.fidelity, span);
                    }
                    None => out.events.push((record, e)),
                }
            }
        }
        true
    }

    /// The parsed file; `first_error`: the reason to give when nothing in it is a record.
    pub(super) fn finish(self, first_error: Option<String>) -> ParsedFile {
        if let Some(reason) = self.fatal {
            return ParsedFile::rejected(reason);
        }
        let mut out = self.out;
        if !self.any_recognised {
            if self.shapes.is_none() {
                if let (Some((shape, reason)), None) = (self.skipped, &self.first_reject) {
                    return ParsedFile::skipped(shape, reason);
                }
            }
            if let (0, Some((shape, _))) = (self.index, self.shapes) {
                // Containers that are all empty (`{"Records":[]}` twice) are still read.
                return ParsedFile::read(shape);
            }
            return ParsedFile::rejected(
                first_error
                    .or(self.first_reject)
                    .unwrap_or_else(|| "several JSON values, but none is a CloudTrail record or export".to_owned()),
            );
        }
        out.shape = Some(match self.shapes {
            Some((s, true)) if s != Shape::SingleRecord => s,
            _ => Shape::Ndjson,
        });
        out
    }
}

/// Recognises one JSON document.
fn document<'a>(name: &str, doc: &'a RawValue) -> Doc<'a> {
    let body = doc.get();
    if body.starts_with('[') {
        return match ArrayItems::new(body) {
            Some(items) => {
                let (shape, what) = array_shape(items.clone().next());
                items_doc(shape, what, items)
            }
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
    if top.cloudtrail_event.is_some() || (top.lookup_id.is_some() && top.lookup_name.is_some()) {
        return items_doc(Shape::LookupEvents, LOOKUP_ENTRY, std::iter::once(doc));
    }
    if top.result.is_some() {
        return items_doc(Shape::Splunk, SPLUNK_RESULT, std::iter::once(doc));
    }
    if let Some(results) = top.results {
        return list_of(Shape::Splunk, results, "Splunk's \"results\"");
    }
    if top.preview.is_some() {
        return Doc::Skip(Shape::Splunk, "Splunk export line without a result (messages, progress)");
    }
    if let Some(hits) = top.hits {
        #[derive(Deserialize)]
        struct Hits<'a> {
            #[serde(borrow)]
            hits: &'a RawValue,
        }
        return match serde_json::from_str::<Hits<'_>>(hits.get()) {
            Ok(h) => list_of(Shape::Elastic, h.hits, "the search hits"),
            Err(_) => Doc::Reject("an Elastic / OpenSearch response whose \"hits\" has no list of hits".into()),
        };
    }
    if top.source.is_some() {
        return items_doc(Shape::Elastic, ELASTIC_DOCUMENT, std::iter::once(doc));
    }
    if top.raw_text.is_some() {
        return items_doc(Shape::Cribl, CRIBL_EVENT, std::iter::once(doc));
    }
    if top.class_uid.is_some() {
        return items_doc(Shape::Ocsf, OCSF_RECORD, std::iter::once(doc));
    }
    if top.sns_type.as_str() == "Notification" && top.topic_arn.is_some() {
        let delivery = top.sns_message.as_str().contains("s3ObjectKey");
        return Doc::Reject(if delivery {
            "an Amazon SNS notification of a CloudTrail delivery: it names the log files (s3Bucket, s3ObjectKey) \
             and holds no events; load the files it names"
                .into()
        } else {
            "an Amazon SNS notification, not a CloudTrail record".into()
        });
    }
    // A record with one of its keys twice is still a record (an invalid one, saying why).
    if looks_like_record(doc) || record::probe_error(doc).is_some() {
        return items_doc(Shape::SingleRecord, "the record", std::iter::once(doc));
    }
    Doc::Reject(format!("JSON, but not a CloudTrail export (top-level keys: {})", top_keys(body)))
}

/// What one-item wrappers are called in messages; a file of them, one per line, names each
/// record by its line alone.
const LOOKUP_ENTRY: &str = "the lookup-events entry";
const SPLUNK_RESULT: &str = "the Splunk result";
const ELASTIC_DOCUMENT: &str = "the Elastic document";
const CRIBL_EVENT: &str = "the Cribl event";
const OCSF_RECORD: &str = "the OCSF record";

/// True for a document that is one item (a record, or one wrapper of one).
fn one_item(shape: Shape, what: &str) -> bool {
    matches!(shape, Shape::SingleRecord | Shape::EventBridge)
        || [LOOKUP_ENTRY, SPLUNK_RESULT, ELASTIC_DOCUMENT, CRIBL_EVENT, OCSF_RECORD].contains(&what)
}

/// The shape of a JSON array, from its first item: what SIEMs and pipelines export as arrays
/// of their own events, else records.
fn array_shape(first: Option<&RawValue>) -> (Shape, &'static str) {
    #[derive(Deserialize, Default)]
    #[serde(default)]
    struct Item {
        #[serde(rename = "_raw")]
        raw_text: Option<IgnoredAny>,
        #[serde(rename = "_source")]
        source: Option<IgnoredAny>,
        #[serde(rename = "class_uid")]
        class_uid: Option<IgnoredAny>,
        result: Option<IgnoredAny>,
    }
    let item = first.and_then(|f| serde_json::from_str::<Item>(f.get()).ok()).unwrap_or_default();
    if item.raw_text.is_some() {
        (Shape::Cribl, "the Cribl capture")
    } else if item.result.is_some() {
        (Shape::Splunk, "the Splunk results")
    } else if item.source.is_some() {
        (Shape::Elastic, "the Elastic documents")
    } else if item.class_uid.is_some() {
        (Shape::Ocsf, "the OCSF records")
    } else {
        (Shape::RecordArray, "the JSON array")
    }
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
