//! `{"Records":[…]}` documents: the record-by-record reading (whole or streamed, `TrailAcc`) and
//! the general path's judgement of a `Records` list (S3 notifications, SQS messages).

use serde::Deserialize;
use serde::de::IgnoredAny;
use serde_json::value::RawValue;

use super::elements::{ArrayItems, Base, Doc, Element, classify_one, push, too_big};
use super::{MAX_RECORD_BYTES, ParsedFile, Shape, scan};
use crate::model::Fidelity;
use crate::record::{self, Parsed, RowSink};
pub(super) const S3_NOTIFICATIONS: &str =
    "Amazon S3 event notifications (eventSource aws:s3, eventVersion 2.x), not CloudTrail records";
pub(super) const SQS_MESSAGES: &str =
    "Amazon SQS/SNS messages (\"Records\" with body/messageId), not CloudTrail records";

/// A `Records` list on the general path: judged whole first (S3 notifications, SQS messages,
/// a record beyond the size bound), then each record read again as it is taken.
pub(super) fn trail_records(items: ArrayItems<'_>) -> Doc<'_> {
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
                Some(Ok(Parsed::Row)) | None => classify_one(item, Shape::TrailRecords),
            };
            return (t.s3_notification, t.sqs_message, element);
        }
    }
    (record::is_s3_notification(item), is_sqs_message(item), classify_one(item, Shape::TrailRecords))
}

/// A `{"Records":[…]}` document read record by record with the byte scanner (one parse per
/// record); `None` when anything is unusual (another shape, other keys, trailing data, a
/// record beyond the size bound, malformed JSON), and the general parser decides.
pub(super) fn trail_document(text: &str, base: Option<&Base>) -> Option<ParsedFile> {
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
                    None => classify_one(raw_value(item)?, Shape::TrailRecords),
                };
                (t.s3_notification, t.sqs_message, element)
            }
            None => {
                let raw = raw_value(item)?;
                (record::is_s3_notification(raw), is_sqs_message(raw), classify_one(raw, Shape::TrailRecords))
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
