//! One CloudTrail record (JSON) to an [`Event`], or the reason it is not a valid event.

use std::borrow::Cow;
use std::fmt;

use serde::Deserialize;
use serde::de::{self, Deserializer, IgnoredAny, MapAccess, Visitor};
use serde_json::value::RawValue;

use crate::eice;
use crate::model::{Event, Fidelity, RawSpan};
use crate::principal;
use crate::rows::Rows;
use crate::time::{epoch_number_ms, parse_time_ms};

mod fast;

/// A string field that also accepts numbers and booleans (vendor data writes account IDs as
/// numbers and booleans as strings); objects and arrays read as absent.
#[derive(Debug, Default, Clone, PartialEq)]
pub(crate) struct Lenient<'a>(pub(crate) Option<Cow<'a, str>>);

impl<'de: 'a, 'a> Deserialize<'de> for Lenient<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Lenient<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a scalar")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Lenient(Some(Cow::Borrowed(v))))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Lenient(Some(Cow::Owned(v.to_owned()))))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
                Ok(Lenient(Some(Cow::Owned(v))))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
                Ok(Lenient(Some(Cow::Owned(v.to_string()))))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
                Ok(Lenient(Some(Cow::Owned(v.to_string()))))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
                Ok(Lenient(Some(Cow::Owned(v.to_string()))))
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
                Ok(Lenient(Some(Cow::Borrowed(if v { "true" } else { "false" }))))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(Lenient(None))
            }
            fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(Lenient(None))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut m: A) -> Result<Self::Value, A::Error> {
                while m.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(Lenient(None))
            }
            fn visit_seq<A: de::SeqAccess<'de>>(self, mut s: A) -> Result<Self::Value, A::Error> {
                while s.next_element::<IgnoredAny>()?.is_some() {}
                Ok(Lenient(None))
            }
        }
        d.deserialize_any(V)
    }
}

impl Lenient<'_> {
    pub(crate) fn as_str(&self) -> &str {
        self.0.as_deref().unwrap_or("")
    }
    fn owned(&self) -> String {
        self.as_str().to_owned()
    }
}

/// The typed subset of a record that the model needs; everything else is skipped.
#[derive(Deserialize, Default)]
#[serde(default)]
pub(crate) struct RecordIn<'a> {
    #[serde(rename = "eventTime", borrow)]
    pub(crate) event_time: Option<&'a RawValue>,
    /// Logstash's time field: records it shipped have their `eventTime` renamed to it.
    #[serde(rename = "@timestamp", borrow)]
    pub(crate) at_timestamp: Option<&'a RawValue>,
    #[serde(rename = "eventName", borrow)]
    pub(crate) event_name: Lenient<'a>,
    #[serde(rename = "eventSource", borrow)]
    pub(crate) event_source: Lenient<'a>,
    #[serde(rename = "eventVersion", borrow)]
    pub(crate) event_version: Lenient<'a>,
    #[serde(rename = "awsRegion", borrow)]
    region: Lenient<'a>,
    #[serde(rename = "recipientAccountId", borrow)]
    recipient_account: Lenient<'a>,
    #[serde(rename = "sourceIPAddress", borrow)]
    source_ip: Lenient<'a>,
    #[serde(rename = "userAgent", borrow)]
    user_agent: Lenient<'a>,
    #[serde(rename = "errorCode", borrow)]
    error_code: Lenient<'a>,
    #[serde(rename = "errorMessage", borrow)]
    error_message: Lenient<'a>,
    #[serde(rename = "eventID", borrow)]
    event_id: Lenient<'a>,
    #[serde(rename = "userIdentity", borrow)]
    pub(crate) user_identity: Option<IdentityIn<'a>>,
    #[serde(rename = "requestParameters", borrow)]
    pub(crate) request_parameters: Option<&'a RawValue>,
    #[serde(rename = "responseElements", borrow)]
    pub(crate) response_elements: Option<&'a RawValue>,
    #[serde(borrow)]
    pub(crate) resources: Option<&'a RawValue>,
    #[serde(rename = "insightDetails", borrow)]
    insight_details: Option<InsightIn<'a>>,
    #[serde(rename = "tunnelscopeSynthesized", borrow)]
    synthesized: Option<SynthIn<'a>>,
}

/// The marker tunnelscope puts on records it synthesized from table rows.
#[derive(Deserialize, Default)]
#[serde(default)]
struct SynthIn<'a> {
    #[serde(borrow)]
    from: Lenient<'a>,
}

/// The top-level key marking a record synthesized from a CSV or query-result row: `{"from":
/// "console-csv" | "query-row", "lossyFields": [...]}`. Reloading such a record keeps its
/// lower fidelity, so a real copy of the event still wins the dedupe.
pub const SYNTH_KEY: &str = "tunnelscopeSynthesized";
/// `from` value of records synthesized from console Event-history CSV rows.
pub const FROM_CONSOLE_CSV: &str = "console-csv";
/// `from` value of records synthesized from Athena / CloudTrail Lake result rows.
pub const FROM_QUERY_ROW: &str = "query-row";
/// `from` value of records synthesized from lookup-events summaries (no `CloudTrailEvent`).
pub const FROM_LOOKUP_SUMMARY: &str = "lookup-summary";
/// `from` value of records mapped back from OCSF API Activity (Amazon Security Lake).
pub const FROM_OCSF: &str = "ocsf";
/// `from` value of Logstash-shipped records whose `eventTime` was renamed to `@timestamp`.
pub const FROM_LOGSTASH: &str = "logstash";

/// `userIdentity`, the fields the principal display needs.
#[derive(Deserialize, Default)]
#[cfg_attr(test, derive(Debug, PartialEq))]
#[serde(default)]
pub(crate) struct IdentityIn<'a> {
    #[serde(rename = "type", borrow)]
    pub(crate) kind: Lenient<'a>,
    #[serde(borrow)]
    pub(crate) arn: Lenient<'a>,
    #[serde(rename = "principalId", borrow)]
    pub(crate) principal_id: Lenient<'a>,
    #[serde(rename = "accountId", borrow)]
    pub(crate) account_id: Lenient<'a>,
    #[serde(rename = "userName", borrow)]
    pub(crate) user_name: Lenient<'a>,
    #[serde(rename = "invokedBy", borrow)]
    pub(crate) invoked_by: Lenient<'a>,
    #[serde(rename = "sessionContext", borrow)]
    pub(crate) session_context: Option<SessionContextIn<'a>>,
}

#[derive(Deserialize, Default)]
#[cfg_attr(test, derive(Debug, PartialEq))]
#[serde(default)]
pub(crate) struct SessionContextIn<'a> {
    #[serde(rename = "sessionIssuer", borrow)]
    pub(crate) session_issuer: Option<IssuerIn<'a>>,
}

#[derive(Deserialize, Default)]
#[cfg_attr(test, derive(Debug, PartialEq))]
#[serde(default)]
pub(crate) struct IssuerIn<'a> {
    #[serde(rename = "userName", borrow)]
    pub(crate) user_name: Lenient<'a>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct InsightIn<'a> {
    #[serde(rename = "eventName", borrow)]
    event_name: Lenient<'a>,
    #[serde(rename = "eventSource", borrow)]
    event_source: Lenient<'a>,
}

/// Why a record inside a recognised container is not a valid event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidRecord {
    /// A person-readable reason.
    pub reason: String,
}

/// True when a JSON object looks like a CloudTrail record (used to recognise containers).
pub(crate) fn looks_like_record(raw: &RawValue) -> bool {
    probe_record(raw).unwrap_or(false)
}

/// Why a JSON object that may be a record cannot even be probed as one (a record key twice:
/// `duplicate key "eventTime"`), in the words of [`parse_record`]'s reasons.
pub(crate) fn probe_error(raw: &RawValue) -> Option<String> {
    let e = probe_record(raw).err()?;
    let text = e.to_string();
    // serde says "duplicate field `eventTime` at line 1 column 60".
    let reason = match text.strip_prefix("duplicate field `").and_then(|t| t.split_once('`')) {
        Some((key, rest)) => format!("duplicate key \"{key}\"{rest}"),
        None => text,
    };
    Some(format!("malformed record: {reason}"))
}

/// [`looks_like_record`], or the error of reading the keys it looks at.
fn probe_record(raw: &RawValue) -> Result<bool, serde_json::Error> {
    #[derive(Deserialize, Default)]
    #[serde(default)]
    struct Probe<'a> {
        #[serde(rename = "eventVersion", borrow)]
        event_version: Lenient<'a>,
        #[serde(rename = "eventName", borrow)]
        event_name: Lenient<'a>,
        #[serde(rename = "eventTime", borrow)]
        event_time: Option<&'a RawValue>,
        #[serde(rename = "eventSource", borrow)]
        event_source: Lenient<'a>,
        #[serde(rename = "insightDetails")]
        insight: Option<IgnoredAny>,
    }
    serde_json::from_str::<Probe<'_>>(raw.get()).map(|p| {
        p.event_name.0.is_some()
            || p.event_time.is_some()
            || p.insight.is_some()
            || (p.event_version.0.is_some() && p.event_source.0.is_some())
    })
}

/// True when a record is an S3 event notification, a CloudTrail look-alike to reject.
pub(crate) fn is_s3_notification(raw: &RawValue) -> bool {
    match serde_json::from_str::<RecordIn<'_>>(raw.get()) {
        Ok(r) => r.event_source.as_str() == "aws:s3" && r.event_version.as_str().starts_with("2."),
        Err(_) => false,
    }
}

/// Parses one record into an [`Event`].
pub fn parse_record(raw: &str, fidelity: Fidelity) -> Result<Event, InvalidRecord> {
    let trimmed = raw.trim();
    if !trimmed.starts_with('{') {
        return Err(InvalidRecord { reason: "not a JSON object".into() });
    }
    let rec: RecordIn<'_> =
        serde_json::from_str(trimmed).map_err(|e| InvalidRecord { reason: format!("malformed record: {e}") })?;
    event_from(rec, trimmed, fidelity)
}

/// The event a parsed record makes (`trimmed` is the record's text, for `raw` and the content ID).
fn event_from(rec: RecordIn<'_>, trimmed: &str, fidelity: Fidelity) -> Result<Event, InvalidRecord> {
    let invalid = |reason: String| InvalidRecord { reason };
    // Logstash renames eventTime to @timestamp (the OTRF Security-Datasets are like this): the
    // time is read from it, and the record marked as lossy, saying why (`logstash_raw`).
    let logstash = rec.event_time.is_none() && rec.synthesized.is_none();
    let time_ms = match rec.at_timestamp.filter(|_| logstash) {
        Some(at) => parse_time_value(at.get())
            .ok_or_else(|| invalid(format!("no eventTime, and an unreadable @timestamp {}", clip(at.get(), 40))))?,
        None => event_time(rec.event_time.map(RawValue::get))?,
    };
    let logstash = logstash.then_some(rec.at_timestamp).flatten();
    let (event_name, event_source, is_insight) = match (&rec.event_name.0, &rec.insight_details) {
        (Some(n), _) if !n.is_empty() => (n.to_string(), rec.event_source.owned(), false),
        (_, Some(ins)) => {
            let name = ins.event_name.as_str();
            (if name.is_empty() { "Insight".to_owned() } else { name.to_owned() }, ins.event_source.owned(), true)
        }
        _ => return Err(invalid("no eventName".into())),
    };
    let identity = rec.user_identity.as_ref();
    let principal = principal::describe(identity);
    let account = if rec.recipient_account.as_str().is_empty() {
        identity.map(|i| i.account_id.owned()).unwrap_or_default()
    } else {
        rec.recipient_account.owned()
    };
    let event_id = match rec.event_id.as_str() {
        "" => content_id(trimmed),
        id => id.to_owned(),
    };
    // An Insight about OpenTunnel calls is a rate statistic, not a tunnel.
    let eice = if is_insight { None } else { eice::facts(&event_name, &event_source, &rec) };
    let fidelity = match rec.synthesized.as_ref().map(|m| m.from.as_str()) {
        Some(FROM_CONSOLE_CSV | FROM_LOOKUP_SUMMARY) => fidelity.min(Fidelity::ConsoleCsv),
        Some(FROM_QUERY_ROW | FROM_OCSF | FROM_LOGSTASH) => fidelity.min(Fidelity::QueryRow),
        _ if logstash.is_some() => fidelity.min(Fidelity::QueryRow),
        _ => fidelity,
    };
    let raw = match logstash {
        Some(at) => logstash_raw(trimmed, at.get()),
        None => trimmed.to_owned(),
    };
    Ok(Event {
        event_id,
        time_ms,
        event_name,
        event_source,
        region: rec.region.owned(),
        account,
        principal_arn: principal.key,
        principal: principal.display,
        source_ip: rec.source_ip.owned(),
        user_agent: rec.user_agent.owned(),
        error_code: rec.error_code.owned(),
        error_message: rec.error_message.owned(),
        fidelity,
        eice,
        raw,
        span: None,
    })
}

/// A Logstash-shipped record as shown and exported: as found, with `eventTime` put back (the
/// `@timestamp` text `at`) and the marker saying so; the rest of the text is untouched.
fn logstash_raw(trimmed: &str, at: &str) -> String {
    let rest = trimmed[1..].trim_start();
    let comma = if rest.starts_with('}') { "" } else { "," };
    format!(
        "{{\"eventTime\":{at},\"{SYNTH_KEY}\":{{\"from\":\"{FROM_LOGSTASH}\",\"lossyFields\":[\"eventTime\"],\
         \"note\":\"no eventTime: Logstash renamed it to @timestamp, which gives the time\"}}{comma}{rest}"
    )
}

/// A key that is present, whatever its value (`null` included).
#[derive(Default)]
struct Present(bool);

impl<'de> Deserialize<'de> for Present {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        IgnoredAny::deserialize(d)?;
        Ok(Present(true))
    }
}

/// Every field that [`RecordIn`], the record probe of [`looks_like_record`] and the SQS probe
/// read, in one struct, so that one parse answers all three.
///
/// Each of those structs reads a subset of these keys with the same or a laxer type, so when
/// this parse succeeds each of them would have succeeded with the same values; when it fails
/// the caller asks them one by one (the exact, slower path).
#[derive(Deserialize, Default)]
#[serde(default)]
struct RecordScan<'a> {
    #[serde(rename = "eventTime", borrow)]
    event_time: Option<&'a RawValue>,
    #[serde(rename = "@timestamp", borrow)]
    at_timestamp: Option<&'a RawValue>,
    #[serde(rename = "eventName", borrow)]
    event_name: Lenient<'a>,
    #[serde(rename = "eventSource", borrow)]
    event_source: Lenient<'a>,
    #[serde(rename = "eventVersion", borrow)]
    event_version: Lenient<'a>,
    #[serde(rename = "awsRegion", borrow)]
    region: Lenient<'a>,
    #[serde(rename = "recipientAccountId", borrow)]
    recipient_account: Lenient<'a>,
    #[serde(rename = "sourceIPAddress", borrow)]
    source_ip: Lenient<'a>,
    #[serde(rename = "userAgent", borrow)]
    user_agent: Lenient<'a>,
    #[serde(rename = "errorCode", borrow)]
    error_code: Lenient<'a>,
    #[serde(rename = "errorMessage", borrow)]
    error_message: Lenient<'a>,
    #[serde(rename = "eventID", borrow)]
    event_id: Lenient<'a>,
    #[serde(rename = "userIdentity", borrow)]
    user_identity: Option<IdentityIn<'a>>,
    #[serde(rename = "requestParameters", borrow)]
    request_parameters: Option<&'a RawValue>,
    #[serde(rename = "responseElements", borrow)]
    response_elements: Option<&'a RawValue>,
    #[serde(borrow)]
    resources: Option<&'a RawValue>,
    #[serde(rename = "insightDetails", borrow)]
    insight_details: Option<InsightIn<'a>>,
    #[serde(rename = "tunnelscopeSynthesized", borrow)]
    synthesized: Option<SynthIn<'a>>,
    #[serde(rename = "messageId")]
    message_id: Present,
    body: Present,
}

/// What one parse of an element of a `Records` list tells.
pub(crate) struct TrailItem {
    /// [`is_s3_notification`] of the element.
    pub(crate) s3_notification: bool,
    /// The element has `messageId` and `body` (an SQS/SNS message).
    pub(crate) sqs_message: bool,
    /// [`looks_like_record`] of the element, and then its [`parse_record`] result.
    pub(crate) record: Option<Result<Parsed, InvalidRecord>>,
}

/// A valid record: an event, or a row already added to the [`RowSink`]'s batch.
// Moved once per record; boxing the event would cost an allocation per record.
#[allow(clippy::large_enum_variant)]
pub(crate) enum Parsed {
    Event(Event),
    Row,
}

/// Where a compact stream puts a record that needs no [`Event`] (valid, full or wrapped, not
/// EICE-related: `Event::raw_is_droppable` would hold): the batch, its position and its span.
pub(crate) struct RowSink<'r> {
    pub(crate) rows: &'r mut Rows,
    pub(crate) record: u32,
    pub(crate) span: RawSpan,
}

/// Answers [`is_s3_notification`], the SQS probe, [`looks_like_record`] and, for a record,
/// [`parse_record`] with `fidelity`, from one parse of `body` (an object's JSON text, no
/// surrounding white space). `None` when that parse fails: the caller then asks each one
/// separately, which gives the exact answers (and error messages) of the slow path.
///
/// `lean`: the caller lets go of unrelated records' text (a compact stream): such a record is
/// added to the sink's rows instead of becoming an [`Event`].
///
/// A compact stream tries [`fast_row`] on each record first; what reaches this was left by it.
pub(crate) fn scan_trail_item(body: &str, fidelity: Fidelity, lean: Option<RowSink<'_>>) -> Option<TrailItem> {
    let body = body.trim();
    let scan: RecordScan<'_> = serde_json::from_str(body).ok()?;
    let s3_notification = scan.event_source.as_str() == "aws:s3" && scan.event_version.as_str().starts_with("2.");
    let sqs_message = scan.message_id.0 && scan.body.0;
    let looks_like = scan.event_name.0.is_some()
        || scan.event_time.is_some()
        || scan.insight_details.is_some()
        || (scan.event_version.0.is_some() && scan.event_source.0.is_some());
    // Without an eventTime a record is read as an event (its time may be Logstash's).
    let eligible = |s: &RecordScan<'_>| {
        s.event_time.is_some()
            && row_eligible(s.event_name.as_str(), s.event_source.as_str(), s.synthesized.is_some(), fidelity)
    };
    if let Some(sink) = lean.filter(|_| looks_like && eligible(&scan)) {
        let row = RowFields {
            event_time: scan.event_time.map(RawValue::get),
            event_name: &scan.event_name,
            event_source: &scan.event_source,
            region: &scan.region,
            recipient_account: &scan.recipient_account,
            source_ip: &scan.source_ip,
            user_agent: &scan.user_agent,
            error_code: &scan.error_code,
            error_message: &scan.error_message,
            event_id: &scan.event_id,
            user_identity: scan.user_identity.as_ref(),
        };
        let record = Some(add_row(&row, body, fidelity, sink).map(|()| Parsed::Row));
        return Some(TrailItem { s3_notification, sqs_message, record });
    }
    let record = looks_like.then(|| {
        let rec = RecordIn {
            event_time: scan.event_time,
            at_timestamp: scan.at_timestamp,
            event_name: scan.event_name,
            event_source: scan.event_source,
            event_version: scan.event_version,
            region: scan.region,
            recipient_account: scan.recipient_account,
            source_ip: scan.source_ip,
            user_agent: scan.user_agent,
            error_code: scan.error_code,
            error_message: scan.error_message,
            event_id: scan.event_id,
            user_identity: scan.user_identity,
            request_parameters: scan.request_parameters,
            response_elements: scan.response_elements,
            resources: scan.resources,
            insight_details: scan.insight_details,
            synthesized: scan.synthesized,
        };
        event_from(rec, body, fidelity).map(Parsed::Event)
    });
    Some(TrailItem { s3_notification, sqs_message, record })
}

/// A record read by the fast reader that will be a row (see [`fast_row`]).
pub(crate) struct FastRow<'a>(fast::FastRecord<'a>);

/// A compact stream's fast path: the record that `text` starts with (at its `{`; the text
/// may go on after it) when [`scan_trail_item`] would make it a row, and the record's length.
/// `None` for anything else, or a record cut at the end of `text`: the caller then delimits
/// the record and asks [`scan_trail_item`].
pub(crate) fn fast_row(text: &str, fidelity: Fidelity) -> Option<(FastRow<'_>, usize)> {
    let (f, len) = fast::read_prefix(text)?;
    let row = f.looks_like_record()
        && f.event_time.is_some()
        && row_eligible(f.event_name.as_str(), f.event_source.as_str(), false, fidelity);
    row.then_some((FastRow(f), len))
}

impl FastRow<'_> {
    /// [`TrailItem::s3_notification`] of the record.
    pub(crate) fn s3_notification(&self) -> bool {
        self.0.event_source.as_str() == "aws:s3" && self.0.event_version.as_str().starts_with("2.")
    }

    /// Adds the row to the sink (`item`: the record's text), or why the record is invalid.
    pub(crate) fn add(&self, item: &str, fidelity: Fidelity, sink: RowSink<'_>) -> Result<(), InvalidRecord> {
        add_row(&self.0.row(), item, fidelity, sink)
    }
}

/// True when the record's event would be a row: named by `eventName` (not an Insight), of
/// full or wrapped fidelity (not a synthesized row), and not EICE-related (no EICE facts, not
/// an inventory or lifecycle event: `export::is_eice_relevant`).
fn row_eligible(name: &str, source: &str, synthesized: bool, fidelity: Fidelity) -> bool {
    fidelity >= Fidelity::Wrapped
        && !name.is_empty()
        && !synthesized
        && !eice::may_have_facts(name, source)
        && !crate::eice::is_eice_name(name)
}

/// What a row takes of a record, whichever reader read it.
struct RowFields<'r, 'a> {
    /// The JSON text of `eventTime`.
    event_time: Option<&'r str>,
    event_name: &'r Lenient<'a>,
    event_source: &'r Lenient<'a>,
    region: &'r Lenient<'a>,
    recipient_account: &'r Lenient<'a>,
    source_ip: &'r Lenient<'a>,
    user_agent: &'r Lenient<'a>,
    error_code: &'r Lenient<'a>,
    error_message: &'r Lenient<'a>,
    event_id: &'r Lenient<'a>,
    user_identity: Option<&'r IdentityIn<'a>>,
}

/// Adds a [`row_eligible`] record to the sink: the same fields, checks and messages as
/// [`event_from`].
fn add_row(f: &RowFields<'_, '_>, trimmed: &str, fidelity: Fidelity, sink: RowSink<'_>) -> Result<(), InvalidRecord> {
    let time_ms = event_time(f.event_time)?;
    let identity = f.user_identity;
    let (key, display) = principal::describe_borrowed(identity);
    let account = match f.recipient_account.as_str() {
        "" => identity.map_or("", |i| i.account_id.as_str()),
        a => a,
    };
    let content;
    let event_id = match f.event_id.as_str() {
        "" => {
            content = content_id(trimmed);
            content.as_str()
        }
        id => id,
    };
    let strs = [
        f.event_name.as_str(),
        f.event_source.as_str(),
        f.region.as_str(),
        account,
        key,
        display,
        f.source_ip.as_str(),
        f.user_agent.as_str(),
        f.error_code.as_str(),
        f.error_message.as_str(),
    ];
    sink.rows.push(sink.record, event_id, time_ms, strs, fidelity, sink.span);
    Ok(())
}

/// The time of a record (the JSON text of its `eventTime`), or why it has none.
fn event_time(t: Option<&str>) -> Result<i64, InvalidRecord> {
    let invalid = |reason: String| InvalidRecord { reason };
    match t {
        None => Err(invalid("no eventTime".into())),
        Some(t) => parse_time_value(t).ok_or_else(|| invalid(format!("unreadable eventTime {}", clip(t, 40)))),
    }
}

/// Reads an `eventTime` (its JSON text) that is a string or an epoch number.
fn parse_time_value(v: &str) -> Option<i64> {
    let s = v.trim();
    if let Some(rest) = s.strip_prefix('"') {
        // Without escapes or control characters the JSON string is its own text.
        if let Some(inner) = rest.strip_suffix('"').filter(|t| !t.bytes().any(|b| b == b'\\' || b < 0x20)) {
            return parse_time_ms(inner);
        }
        let text: Cow<'_, str> = serde_json::from_str(s).ok()?;
        parse_time_ms(&text)
    } else {
        s.parse::<f64>().ok().and_then(epoch_number_ms)
    }
}

/// A stable ID for a record without `eventID`: "the same content" is the same event.
///
/// `content:` and 16 hex digits of SipHash-2-4 (Aumasson and Bernstein's specification) under
/// the fixed key (0x7475_6e6e, 0x656c_7363) of the record's bytes followed by one 0xFF byte.
/// The same bytes give the same ID in every build, on every platform (wasm and native), in
/// links and exports alike; these are the IDs the standard library's SipHasher gave before.
pub(crate) fn content_id(raw: &str) -> String {
    let mut bytes = Vec::with_capacity(raw.len() + 1);
    bytes.extend_from_slice(raw.as_bytes());
    bytes.push(0xFF);
    format!("content:{:016x}", siphash24(0x7475_6e6e, 0x656c_7363, &bytes))
}

/// SipHash-2-4 of `bytes` under the key (`k0`, `k1`).
fn siphash24(k0: u64, k1: u64, bytes: &[u8]) -> u64 {
    let mut v = [
        k0 ^ 0x736f_6d65_7073_6575,
        k1 ^ 0x646f_7261_6e64_6f6d,
        k0 ^ 0x6c79_6765_6e65_7261,
        k1 ^ 0x7465_6462_7974_6573,
    ];
    fn round(v: &mut [u64; 4]) {
        v[0] = v[0].wrapping_add(v[1]);
        v[1] = v[1].rotate_left(13) ^ v[0];
        v[0] = v[0].rotate_left(32);
        v[2] = v[2].wrapping_add(v[3]);
        v[3] = v[3].rotate_left(16) ^ v[2];
        v[0] = v[0].wrapping_add(v[3]);
        v[3] = v[3].rotate_left(21) ^ v[0];
        v[2] = v[2].wrapping_add(v[1]);
        v[1] = v[1].rotate_left(17) ^ v[2];
        v[2] = v[2].rotate_left(32);
    }
    let compress = |v: &mut [u64; 4], m: u64| {
        v[3] ^= m;
        round(v);
        round(v);
        v[0] ^= m;
    };
    let mut words = bytes.chunks_exact(8);
    for w in &mut words {
        let mut le = [0u8; 8];
        le.copy_from_slice(w);
        compress(&mut v, u64::from_le_bytes(le));
    }
    let mut last = [0u8; 8];
    let tail = words.remainder();
    last[..tail.len()].copy_from_slice(tail);
    // The length's low byte in the top byte.
    last[7] = (bytes.len() & 0xFF) as u8;
    compress(&mut v, u64::from_le_bytes(last));
    v[2] ^= 0xFF;
    for _ in 0..4 {
        round(&mut v);
    }
    v[0] ^ v[1] ^ v[2] ^ v[3]
}

/// Shortens a string for a message, on a character boundary.
pub(crate) fn clip(s: &str, max_chars: usize) -> String {
    let mut out: String = s.chars().take(max_chars).collect();
    if s.chars().count() > max_chars {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lenient_fields_and_missing_pieces() {
        let ok = parse_record(
            r#"{"eventTime":"2024-01-01 00:00:00","eventName":"X","recipientAccountId":123456789012,"readOnly":"false","userIdentity":{"type":"Root","arn":"arn:aws:iam::123456789012:root","accountId":123456789012}}"#,
            Fidelity::Full,
        )
        .unwrap();
        assert_eq!(ok.account, "123456789012");
        assert_eq!(ok.principal, "root");
        assert!(ok.event_id.starts_with("content:"));

        let no_time = parse_record(r#"{"eventName":"X"}"#, Fidelity::Full).unwrap_err();
        assert_eq!(no_time.reason, "no eventTime");
        let bad_time = parse_record(r#"{"eventName":"X","eventTime":"redacted"}"#, Fidelity::Full).unwrap_err();
        assert!(bad_time.reason.contains("unreadable eventTime"), "{bad_time:?}");
        let no_name = parse_record(r#"{"eventTime":"2024-01-01T00:00:00Z"}"#, Fidelity::Full).unwrap_err();
        assert_eq!(no_name.reason, "no eventName");
        assert!(parse_record("[1]", Fidelity::Full).is_err());
        assert!(parse_record(r#"{"eventTime": 1}"#, Fidelity::Full).is_err());
    }

    #[test]
    fn insight_events_take_their_name_from_insight_details() {
        let e = parse_record(
            r#"{"eventVersion":"1.07","eventTime":"2019-11-14T00:51:00Z","eventID":"i1","eventType":"AwsCloudTrailInsight","insightDetails":{"state":"Start","eventSource":"ssm.amazonaws.com","eventName":"UpdateInstanceInformation"}}"#,
            Fidelity::Full,
        )
        .unwrap();
        assert_eq!(e.event_name, "UpdateInstanceInformation");
        assert_eq!(e.event_source, "ssm.amazonaws.com");
    }

    #[test]
    fn content_ids_are_stable() {
        assert_eq!(content_id("{}"), content_id("{}"));
        assert_ne!(content_id("{}"), content_id("{ }"));
        // Pinned: these IDs are in links and exports.
        assert_eq!(content_id("{}"), "content:7a534da934645224");
        // SipHash-2-4's reference vector (key 00..0f, input 00..0e).
        let (k0, k1) = (0x0706_0504_0302_0100, 0x0f0e_0d0c_0b0a_0908);
        let input: Vec<u8> = (0..15).collect();
        assert_eq!(siphash24(k0, k1, &input), 0xa129_ca61_49be_45e5);
        // The IDs the standard library's SipHasher gave, for every length around a word.
        for n in 0..40 {
            let text: String = "{\"eventName\":\"x\"}".chars().cycle().take(n).collect();
            #[allow(deprecated)]
            let mut h = std::hash::SipHasher::new_with_keys(0x7475_6e6e, 0x656c_7363);
            std::hash::Hash::hash(text.as_str(), &mut h);
            assert_eq!(content_id(&text), format!("content:{:016x}", std::hash::Hasher::finish(&h)), "{n}");
        }
    }
}
