//! Records inside what SIEMs and pipelines export: Splunk's and Cribl's `_raw` (the event's
//! text, a record or a whole `{"Records":[…]}` delivery file, as a string or an object) and an
//! Elastic / OpenSearch document's `_source` (the record itself, or the original event in
//! `event.original`). The record is read as it was found; the wrapper's own fields are not.

use std::borrow::Cow;

use serde::Deserialize;
use serde_json::value::RawValue;

use super::elements::{ArrayItems, Element, Elems, wrapped_string};
use super::{MAX_RECORD_BYTES, ocsf};
use crate::model::Fidelity;
use crate::record::{clip, looks_like_record};

/// The keys that tell what a `_raw` object or an `_source` holds.
#[derive(Deserialize, Default)]
#[serde(default)]
struct Inner<'a> {
    #[serde(rename = "Records", borrow)]
    records: Option<&'a RawValue>,
    #[serde(rename = "class_uid", borrow)]
    class_uid: Option<&'a RawValue>,
    #[serde(borrow)]
    event: Option<EcsEvent<'a>>,
    /// `event.original` written as one dotted key (flattened documents).
    #[serde(rename = "event.original", borrow)]
    dotted_original: Option<&'a RawValue>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct EcsEvent<'a> {
    #[serde(borrow)]
    original: Option<&'a RawValue>,
}

/// Splunk's or Cribl's `_raw`: a record or a delivery file, as a JSON string or an object.
pub(super) fn raw_field(value: &RawValue) -> Elems<'_> {
    let text = value.get();
    if text.starts_with('{') {
        return borrowed(value);
    }
    let inner: Cow<'_, str> = match serde_json::from_str(text) {
        Ok(s) => s,
        Err(_) => return Element::Invalid(format!("_raw is not text or a JSON object: {}", clip(text, 40))).into(),
    };
    raw_text(&inner)
}

/// A `_raw` cell's text (a Splunk CSV export): a record or a delivery file.
pub(super) fn raw_text(text: &str) -> Elems<'static> {
    let trimmed = text.trim();
    if !trimmed.starts_with('{') {
        return Element::Invalid(format!("_raw is not a JSON record: {}", clip(trimmed, 60))).into();
    }
    owned(trimmed)
}

/// A `_raw` held as an object: its records are slices of the file (their spans kept).
fn borrowed(value: &RawValue) -> Elems<'_> {
    if looks_like_record(value) {
        return Element::Record(value.get(), Fidelity::Wrapped).into();
    }
    let Ok(inner) = serde_json::from_str::<Inner<'_>>(value.get()) else {
        return Element::Invalid("_raw is an object of unexpected field types".into()).into();
    };
    if let Some(records) = inner.records {
        let Some(items) = ArrayItems::new(records.get()) else {
            return Element::Invalid("_raw's \"Records\" is not a list".into()).into();
        };
        return Elems::Many(items.map(|r| record_item(r.get(), r)).collect::<Vec<_>>().into_iter());
    }
    if inner.class_uid.is_some() {
        return ocsf::record(value.get()).into();
    }
    Element::Invalid(not_cloudtrail(value.get())).into()
}

/// A `_raw` held as a JSON string: its records are copied out of the unescaped text.
fn owned(text: &str) -> Elems<'static> {
    let value: &RawValue = match serde_json::from_str(text) {
        Ok(v) => v,
        Err(e) if e.is_eof() => {
            return Element::Invalid(format!(
                "_raw is cut short ({} bytes of unfinished JSON; Splunk cuts events at TRUNCATE, 10,000 bytes \
                 unless props.conf says otherwise)",
                text.len()
            ))
            .into();
        }
        Err(e) => {
            return Element::Invalid(format!("_raw is not valid JSON: {}", super::container::strip_position(&e)))
                .into();
        }
    };
    if looks_like_record(value) {
        return Element::OwnedRecord(text.to_owned(), Fidelity::Wrapped).into();
    }
    let Ok(inner) = serde_json::from_str::<Inner<'_>>(text) else {
        return Element::Invalid("_raw is an object of unexpected field types".into()).into();
    };
    if let Some(records) = inner.records {
        let Some(items) = ArrayItems::new(records.get()) else {
            return Element::Invalid("_raw's \"Records\" is not a list".into()).into();
        };
        let elements: Vec<Element<'static>> = items
            .map(|r| match record_item(r.get(), r) {
                Element::Record(t, f) => Element::OwnedRecord(t.to_owned(), f),
                Element::Invalid(reason) => Element::Invalid(reason),
                // `record_item` makes records or invalid records only.
                _ => Element::Invalid("unreadable record".into()),
            })
            .collect();
        return Elems::Many(elements.into_iter());
    }
    if inner.class_uid.is_some() {
        return ocsf::record(text).into();
    }
    Element::Invalid(not_cloudtrail(text)).into()
}

/// One element of a `Records` list found inside a wrapper.
fn record_item<'a>(text: &'a str, raw: &'a RawValue) -> Element<'a> {
    if !text.starts_with('{') {
        return Element::Invalid(format!("not a JSON object: {}", clip(text, 40)));
    }
    if text.len() > MAX_RECORD_BYTES {
        return Element::Invalid(format!("a record of {} bytes, beyond the {MAX_RECORD_BYTES} byte limit", text.len()));
    }
    if looks_like_record(raw) {
        Element::Record(text, Fidelity::Wrapped)
    } else {
        Element::Invalid(not_cloudtrail(text))
    }
}

/// An Elastic / OpenSearch document's `_source`: the original event in `event.original` (the
/// Elastic AWS integration with `preserve_original_event`), else the record itself (shipped
/// as it was, or by Logstash), else OCSF.
pub(super) fn elastic_source(source: &RawValue) -> Element<'_> {
    if !source.get().starts_with('{') {
        return Element::Invalid(format!("_source is not a JSON object: {}", clip(source.get(), 40)));
    }
    let inner = serde_json::from_str::<Inner<'_>>(source.get()).unwrap_or_default();
    if let Some(original) = inner.event.and_then(|e| e.original).or(inner.dotted_original) {
        return wrapped_string(original);
    }
    if looks_like_record(source) {
        return Element::Record(source.get(), Fidelity::Wrapped);
    }
    if inner.class_uid.is_some() {
        return ocsf::record(source.get());
    }
    Element::Invalid(
        "Elastic document without its CloudTrail record: _source has neither the record's fields nor \
         event.original (the Elastic AWS integration keeps the original only with preserve_original_event)"
            .into(),
    )
}

fn not_cloudtrail(text: &str) -> String {
    format!("_raw holds JSON that is not a CloudTrail record: {}", clip(text, 60))
}
