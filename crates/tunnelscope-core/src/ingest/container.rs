//! Shape detection and record splitting for JSON exports (trail files, arrays, NDJSON,
//! lookup-events, EventBridge, CloudWatch Logs), after decompression.

use std::borrow::Cow;
use std::collections::BTreeMap;

use serde::Deserialize;
use serde::de::IgnoredAny;
use serde_json::value::RawValue;

use super::{FileStatus, InvalidRecord, MAX_RECORD_BYTES, ParsedFile, Shape};
use crate::model::{Event, Fidelity};
use crate::record::{self, clip, looks_like_record, parse_record};

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
    message_type: Option<Cow<'a, str>>,
    #[serde(rename = "detail-type")]
    detail_type: Option<IgnoredAny>,
    #[serde(borrow)]
    detail: Option<&'a RawValue>,
    #[serde(rename = "digestStartTime")]
    digest_start: Option<IgnoredAny>,
    #[serde(rename = "logFiles")]
    digest_log_files: Option<IgnoredAny>,
    #[serde(rename = "hashSignature")]
    hash_signature: Option<IgnoredAny>,
    #[serde(rename = "QueryResultRows")]
    query_rows: Option<IgnoredAny>,
}

/// How one element of a container is to be read.
enum Element<'a> {
    Record(&'a str, Fidelity),
    OwnedRecord(String, Fidelity),
    Invalid(String),
}

pub(super) fn parse(_name: &str, bytes: &[u8]) -> ParsedFile {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let text = match std::str::from_utf8(bytes) {
        Ok(t) => t,
        Err(e) => return ParsedFile::rejected(format!("not UTF-8 text: invalid byte at {}", e.valid_up_to())),
    };
    let start = text.len() - text.trim_start().len();
    match text.as_bytes().get(start) {
        None => ParsedFile::rejected("empty file (only white space)"),
        Some(b'{' | b'[') => parse_json(text),
        Some(&b) => ParsedFile::rejected(format!(
            "not JSON or a known CSV export: starts with {:?} at byte {start}",
            char::from(b)
        )),
    }
}

fn parse_json(text: &str) -> ParsedFile {
    let mut stream = serde_json::Deserializer::from_str(text).into_iter::<&RawValue>();
    match stream.next() {
        Some(Ok(first)) => {
            if text[stream.byte_offset()..].trim().is_empty() {
                document(first)
            } else {
                ndjson(text, None)
            }
        }
        Some(Err(e)) => {
            let msg = json_error(text, &e);
            // A broken first line need not condemn a file of one record per line.
            if text.trim_end().contains('\n') {
                let attempt = ndjson(text, Some(msg.clone()));
                if attempt.status == FileStatus::Read {
                    return attempt;
                }
            }
            ParsedFile::rejected(msg)
        }
        None => ParsedFile::rejected("empty file (only white space)"),
    }
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

fn document(doc: &RawValue) -> ParsedFile {
    let body = doc.get();
    if body.starts_with('[') {
        return match serde_json::from_str::<Vec<&RawValue>>(body) {
            Ok(items) => container(Shape::RecordArray, &items, "the JSON array"),
            Err(e) => ParsedFile::rejected(format!("unreadable JSON array: {e}")),
        };
    }
    let top: Top<'_> = match serde_json::from_str(body) {
        Ok(t) => t,
        Err(e) => return ParsedFile::rejected(format!("unreadable JSON object: {e}")),
    };
    if let Some(records) = top.records {
        return match serde_json::from_str::<Vec<&RawValue>>(records.get()) {
            Ok(items) => trail_records(&items),
            Err(_) => ParsedFile::rejected("\"Records\" is not a list of records"),
        };
    }
    if top.digest_start.is_some() && top.digest_log_files.is_some() {
        return ParsedFile::skipped(Shape::Digest, "CloudTrail digest file (integrity data, holds no events)");
    }
    if top.hash_signature.is_some() {
        return ParsedFile::skipped(Shape::LakeSignature, "CloudTrail Lake result signature (holds no events)");
    }
    if let Some(kind) = top.message_type.as_deref() {
        if kind == "CONTROL_MESSAGE" {
            return ParsedFile::skipped(Shape::CloudWatchLogs, "CloudWatch Logs control message (holds no events)");
        }
        if let Some(events) = top.subscription_events {
            return list_of(Shape::CloudWatchLogs, events, "logEvents");
        }
    }
    if let Some(events) = top.lookup_events {
        return list_of(Shape::LookupEvents, events, "Events");
    }
    if let Some(events) = top.log_events {
        return list_of(Shape::CloudWatchLogs, events, "events");
    }
    if top.detail_type.is_some() && top.detail.is_some() {
        return container(Shape::EventBridge, &[doc], "the EventBridge envelope");
    }
    if top.query_rows.is_some() {
        return ParsedFile::rejected("CloudTrail Lake GetQueryResults output is not supported yet");
    }
    if looks_like_record(doc) {
        return container(Shape::SingleRecord, &[doc], "the record");
    }
    ParsedFile::rejected(format!("JSON, but not a CloudTrail export (top-level keys: {})", top_keys(body)))
}

fn top_keys(body: &str) -> String {
    match serde_json::from_str::<BTreeMap<Cow<'_, str>, IgnoredAny>>(body) {
        Ok(map) if map.is_empty() => "none".to_owned(),
        Ok(map) => clip(&map.keys().map(|k| k.as_ref()).collect::<Vec<_>>().join(", "), 120),
        Err(_) => "unreadable".to_owned(),
    }
}

fn list_of(shape: Shape, list: &RawValue, key: &str) -> ParsedFile {
    match serde_json::from_str::<Vec<&RawValue>>(list.get()) {
        Ok(items) => container(shape, &items, key),
        Err(_) => ParsedFile::rejected(format!("\"{key}\" is not a list")),
    }
}

fn trail_records(items: &[&RawValue]) -> ParsedFile {
    if items.iter().any(|r| record::is_s3_notification(r)) {
        return ParsedFile::rejected(
            "Amazon S3 event notifications (eventSource aws:s3, eventVersion 2.x), not CloudTrail records",
        );
    }
    if items.iter().any(|r| is_sqs_message(r)) {
        return ParsedFile::rejected(
            "Amazon SQS/SNS messages (\"Records\" with body/messageId), not CloudTrail records",
        );
    }
    container(Shape::TrailRecords, items, "\"Records\"")
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

/// Reads a list of elements; rejects the file when none of them is CloudTrail at all.
fn container(shape: Shape, items: &[&RawValue], what: &str) -> ParsedFile {
    if let Some((i, big)) = items.iter().enumerate().find(|(_, r)| r.get().len() > MAX_RECORD_BYTES) {
        return ParsedFile::rejected(format!(
            "record {} is {} bytes, beyond the {} byte limit for one record",
            i + 1,
            big.get().len(),
            MAX_RECORD_BYTES
        ));
    }
    let elements: Vec<Element<'_>> = items.iter().map(|r| classify(r, shape)).collect();
    let recognised = elements.iter().any(|e| !matches!(e, Element::Invalid(_)));
    if !items.is_empty() && !recognised {
        return ParsedFile::rejected(format!("JSON, but {what} holds no CloudTrail records"));
    }
    let mut out = ParsedFile {
        status: FileStatus::Read,
        reason: String::new(),
        shape: Some(shape),
        events: Vec::new(),
        invalid: Vec::new(),
    };
    for (i, element) in elements.into_iter().enumerate() {
        let position = format!("record {}", i + 1);
        push(&mut out, i, position, element);
    }
    out
}

fn push(out: &mut ParsedFile, index: usize, position: String, element: Element<'_>) {
    let parsed: Result<Event, String> = match element {
        Element::Record(raw, fidelity) => parse_record(raw, fidelity).map_err(|e| e.reason),
        Element::OwnedRecord(raw, fidelity) => parse_record(&raw, fidelity).map_err(|e| e.reason),
        Element::Invalid(reason) => Err(reason),
    };
    match parsed {
        Ok(event) => out.events.push((u32::try_from(index).unwrap_or(u32::MAX), event)),
        Err(reason) => out.invalid.push(InvalidRecord { position, reason }),
    }
}

/// Decides how to read one element: a record, or a wrapper holding one.
fn classify<'a>(raw: &'a RawValue, shape: Shape) -> Element<'a> {
    #[derive(Deserialize, Default)]
    #[serde(default)]
    struct Wrapper<'a> {
        #[serde(rename = "detail-type")]
        detail_type: Option<IgnoredAny>,
        #[serde(borrow)]
        detail: Option<&'a RawValue>,
        #[serde(rename = "CloudTrailEvent", borrow)]
        cloudtrail_event: Option<Cow<'a, str>>,
        #[serde(borrow)]
        message: Option<Cow<'a, str>>,
    }
    let body = raw.get();
    if !body.starts_with('{') {
        return Element::Invalid(format!("not a JSON object: {}", clip(body, 40)));
    }
    let Ok(w) = serde_json::from_str::<Wrapper<'a>>(body) else {
        return Element::Invalid("a wrapper field has an unexpected type".into());
    };
    if w.detail_type.is_some() {
        return match w.detail {
            Some(detail) => Element::Record(detail.get(), Fidelity::Wrapped),
            None => Element::Invalid("EventBridge envelope without detail".into()),
        };
    }
    if let Some(inner) = w.cloudtrail_event {
        return wrapped_string(inner);
    }
    if matches!(shape, Shape::LookupEvents) {
        return Element::Invalid("lookup-events entry without CloudTrailEvent".into());
    }
    if matches!(shape, Shape::CloudWatchLogs) {
        return match w.message {
            Some(inner) => wrapped_string(inner),
            None => Element::Invalid("log event without message".into()),
        };
    }
    if looks_like_record(raw) {
        Element::Record(body, Fidelity::Full)
    } else {
        Element::Invalid("not a CloudTrail record (no eventTime, eventName or eventVersion)".into())
    }
}

fn wrapped_string(inner: Cow<'_, str>) -> Element<'_> {
    match inner {
        Cow::Borrowed(s) => Element::Record(s, Fidelity::Wrapped),
        Cow::Owned(s) => Element::OwnedRecord(s, Fidelity::Wrapped),
    }
}

/// One JSON value per line (LF or CRLF); blank lines are ignored.
fn ndjson(text: &str, first_error: Option<String>) -> ParsedFile {
    let mut elements: Vec<(usize, Element<'_>)> = Vec::new();
    for (line_idx, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        if line.len() > MAX_RECORD_BYTES {
            return ParsedFile::rejected(format!(
                "line {} is {} bytes, beyond the {} byte limit for one record",
                line_idx + 1,
                line.len(),
                MAX_RECORD_BYTES
            ));
        }
        let element = match serde_json::from_str::<&RawValue>(line) {
            Ok(raw) => classify(raw, Shape::Ndjson),
            Err(e) => Element::Invalid(format!("not valid JSON: {}", strip_position(&e))),
        };
        elements.push((line_idx + 1, element));
    }
    if !elements.iter().any(|(_, e)| !matches!(e, Element::Invalid(_))) {
        return ParsedFile::rejected(
            first_error.unwrap_or_else(|| "several JSON values, but no line is a CloudTrail record".to_owned()),
        );
    }
    let mut out = ParsedFile {
        status: FileStatus::Read,
        reason: String::new(),
        shape: Some(Shape::Ndjson),
        events: Vec::new(),
        invalid: Vec::new(),
    };
    for (i, (line_no, element)) in elements.into_iter().enumerate() {
        push(&mut out, i, format!("line {line_no}"), element);
    }
    out
}
