//! The elements of a JSON container: how each is read (a record, a wrapper holding one, a
//! query row) and added to a parsed file, and where a record's text lies in the content.

use std::borrow::Cow;

use serde::Deserialize;
use serde::de::IgnoredAny;
use serde_json::value::RawValue;
use serde_json::{Map, Value};

use super::columns::{ColumnMap, finish};
use super::{MAX_RECORD_BYTES, ParsedFile, Shape};
use crate::model::{Event, Fidelity, RawSpan};
use crate::record::{self, FROM_LOOKUP_SUMMARY, FROM_QUERY_ROW, Lenient, clip, looks_like_record, parse_record};
/// How one element of a container is to be read.
// `Parsed` is the common case of the big files; boxing it would cost an allocation per record.
#[allow(clippy::large_enum_variant)]
pub(super) enum Element<'a> {
    Record(&'a str, Fidelity),
    OwnedRecord(String, Fidelity),
    /// Already parsed (from one parse that also classified it); the text it was parsed from.
    Parsed(Result<Event, String>, &'a str),
    /// Already added to the file's rows.
    Row,
    Invalid(String),
}

/// A container's elements, classified one at a time as they are taken.
pub(super) type Elements<'a> = Box<dyn Iterator<Item = Element<'a>> + 'a>;

/// The elements of a JSON array, taken one at a time from its (already validated) text: a list
/// of millions of records is never held as a list.
#[derive(Clone)]
pub(super) struct ArrayItems<'a> {
    text: &'a str,
    pos: usize,
}

impl<'a> ArrayItems<'a> {
    /// `body`: a validated JSON value's text; `None` unless it is an array.
    pub(super) fn new(body: &'a str) -> Option<Self> {
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

    pub(super) fn span_of(&self, s: &str) -> Option<RawSpan> {
        let at = (s.as_ptr() as usize).checked_sub(self.start)?;
        if at.checked_add(s.len())? > self.len {
            return None;
        }
        Some(RawSpan { offset: self.offset + at as u64, len: u32::try_from(s.len()).ok()? })
    }
}

impl Element<'_> {
    pub(super) fn is_invalid(&self) -> bool {
        matches!(self, Element::Invalid(_))
    }
}

/// What one JSON document is.
pub(super) enum Doc<'a> {
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

/// The fatal rejection when an item is beyond the size bound.
pub(super) fn too_big<'a, 'b>(items: impl Iterator<Item = &'b RawValue>) -> Option<Doc<'a>> {
    let (i, big) = items.enumerate().find(|(_, r)| r.get().len() > MAX_RECORD_BYTES)?;
    Some(Doc::Fatal(format!(
        "record {} is {} bytes, beyond the {} byte limit for one record",
        i + 1,
        big.get().len(),
        MAX_RECORD_BYTES
    )))
}

/// Classifies the items of a container; a record beyond the size bound is fatal.
pub(super) fn items_doc<'a>(
    shape: Shape,
    what: &'static str,
    items: impl Iterator<Item = &'a RawValue> + Clone + 'a,
) -> Doc<'a> {
    if let Some(fatal) = too_big(items.clone()) {
        return fatal;
    }
    Doc::Items(shape, what, Box::new(items.flat_map(move |r| classify(r, shape))))
}

/// `GetQueryResults` output: rows of single-key objects whose values are strings.
pub(super) fn query_rows(rows: &RawValue) -> Doc<'_> {
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
pub(super) fn push(
    out: &mut ParsedFile,
    index: usize,
    position: impl FnOnce() -> String,
    element: Element<'_>,
    base: Option<&Base>,
) {
    // A record shown otherwise than found (a Logstash record with its eventTime put back, always
    // longer) has no span: its text is not read again from the file.
    let span =
        |raw: &str, e: &Event| base.filter(|_| e.raw.len() == raw.trim().len()).and_then(|b| b.span_of(raw.trim()));
    let parsed: Result<Event, String> = match element {
        Element::Record(raw, fidelity) => {
            parse_record(raw, fidelity).map(|e| Event { span: span(raw, &e), ..e }).map_err(|e| e.reason)
        }
        Element::OwnedRecord(raw, fidelity) => parse_record(&raw, fidelity).map_err(|e| e.reason),
        Element::Parsed(parsed, raw) => parsed.map(|e| Event { span: span(raw, &e), ..e }),
        Element::Row => return,
        Element::Invalid(reason) => Err(reason),
    };
    match parsed {
        Ok(event) => out.events.push((u32::try_from(index).unwrap_or(u32::MAX), event)),
        Err(reason) => out.push_invalid(position, reason),
    }
}

/// The elements one item of a container reads as: one, or several (a Splunk or Cribl event
/// whose `_raw` holds a whole `{"Records":[…]}` delivery file).
// `One` is the common case (every record of a big array); boxing it would cost an allocation each.
#[allow(clippy::large_enum_variant)]
pub(super) enum Elems<'a> {
    One(Option<Element<'a>>),
    Many(std::vec::IntoIter<Element<'a>>),
}

impl<'a> Iterator for Elems<'a> {
    type Item = Element<'a>;

    fn next(&mut self) -> Option<Element<'a>> {
        match self {
            Self::One(e) => e.take(),
            Self::Many(it) => it.next(),
        }
    }
}

impl<'a> From<Element<'a>> for Elems<'a> {
    fn from(e: Element<'a>) -> Self {
        Self::One(Some(e))
    }
}

/// [`classify`] for an item that must read as one element (an element of a `Records` list):
/// a wrapper holding several records there is an invalid record, not several.
pub(super) fn classify_one<'a>(raw: &'a RawValue, shape: Shape) -> Element<'a> {
    let mut elems = classify(raw, shape);
    match elems {
        Elems::One(ref mut e) => e.take().unwrap_or_else(|| Element::Invalid("empty wrapper".into())),
        Elems::Many(_) => Element::Invalid("a wrapper holding a whole delivery file inside a \"Records\" list".into()),
    }
}

/// Decides how to read one item: a record, or a wrapper holding one (or, for Splunk's and
/// Cribl's `_raw`, a whole delivery file of them).
pub(super) fn classify<'a>(raw: &'a RawValue, shape: Shape) -> Elems<'a> {
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
        /// Splunk's and Cribl's event text.
        #[serde(rename = "_raw", borrow)]
        raw_text: Option<&'a RawValue>,
        /// An Elastic / OpenSearch document.
        #[serde(rename = "_source", borrow)]
        source: Option<&'a RawValue>,
        /// A Splunk export line's result.
        #[serde(borrow)]
        result: Option<&'a RawValue>,
        #[serde(rename = "class_uid")]
        class_uid: Option<IgnoredAny>,
    }
    let body = raw.get();
    if !body.starts_with('{') {
        return Element::Invalid(format!("not a JSON object: {}", clip(body, 40))).into();
    }
    // A record is read as one even if it also carries a wrapper's key: no wrapper has the
    // record's own keys, and reloading an exported record must give the same event. Lists
    // that hold wrappers by definition (`Events`, `events`) still need the wrapper: a JSON
    // file with an `events` list of record-like summaries is not a CloudWatch export.
    // So do Splunk's and Cribl's events, whose extracted fields can look like a record's.
    let wrappers_only = matches!(shape, Shape::LookupEvents | Shape::CloudWatchLogs | Shape::Splunk | Shape::Cribl);
    if !wrappers_only && looks_like_record(raw) {
        return Element::Record(body, Fidelity::Full).into();
    }
    let Ok(w) = serde_json::from_str::<Wrapper<'a>>(body) else {
        return Element::Invalid("a wrapper field has an unexpected type".into()).into();
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
        }
        .into();
    }
    if let Some(inner) = w.cloudtrail_event {
        return wrapped_string(inner).into();
    }
    if matches!(shape, Shape::LookupEvents) {
        return match w.lookup_name {
            Some(_) => lookup_summary(body),
            None => Element::Invalid("lookup-events entry without CloudTrailEvent".into()),
        }
        .into();
    }
    if matches!(shape, Shape::CloudWatchLogs) {
        return match w.message {
            Some(inner) => wrapped_string(inner),
            None => Element::Invalid("log event without message".into()),
        }
        .into();
    }
    if let Some(result) = w.result.filter(|r| r.get().starts_with('{')) {
        return classify(result, Shape::Splunk);
    }
    if let Some(text) = w.raw_text {
        return super::wrapped::raw_field(text);
    }
    if let Some(source) = w.source {
        return super::wrapped::elastic_source(source).into();
    }
    if w.class_uid.is_some() {
        return super::ocsf::record(body).into();
    }
    match w.insights_message {
        Some(inner) => wrapped_string(inner),
        // A record with a key twice is not one that lacks its keys.
        None => Element::Invalid(
            record::probe_error(raw)
                .unwrap_or_else(|| "not a CloudTrail record (no eventTime, eventName or eventVersion)".into()),
        ),
    }
    .into()
}

/// A record held as a JSON string (lookup-events, CloudWatch Logs).
pub(super) fn wrapped_string(raw: &RawValue) -> Element<'_> {
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
