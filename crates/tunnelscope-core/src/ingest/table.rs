//! CSV exports: console Event-history downloads and Athena / CloudTrail Lake query results.

use serde_json::{Map, Value};

use super::columns::{ColumnMap, finish};
use super::elements::{Element, push};
use super::wrapped;
use super::{MAX_RECORD_BYTES, ParsedFile, Shape};
use crate::eice::is_endpoint_id;
use crate::model::Fidelity;
use crate::record::{FROM_CONSOLE_CSV, FROM_QUERY_ROW, clip, parse_record};

/// The console Event-history CSV header (formats.md §3a), lower-cased, with the record field
/// each column becomes.
const CONSOLE: [(&str, &str); 16] = [
    ("user name", "userName"),
    ("aws access key", "accessKeyId"),
    ("event time", "eventTime"),
    ("event source", "eventSource"),
    ("event name", "eventName"),
    ("aws region", "awsRegion"),
    ("source ip address", "sourceIPAddress"),
    ("user agent", "userAgent"),
    ("error code", "errorCode"),
    ("resources", "resources"),
    ("request id", "requestID"),
    ("event id", "eventID"),
    ("read-only", "readOnly"),
    ("event type", "eventType"),
    ("recipient account id", "recipientAccountId"),
    ("event category", "eventCategory"),
];

/// How rows of a recognised table become records.
enum Layout {
    /// Console Event-history CSV: the column index of each [`CONSOLE`] field.
    Console([usize; 16]),
    /// Athena / Lake result with the columns that were selected.
    Query(ColumnMap),
}

/// Reads CSV text; `not_csv` is the reason given when the bytes do not look like a table at all.
pub(super) fn parse(bytes: &[u8], not_csv: &str) -> ParsedFile {
    let mut reader = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(bytes);
    let mut rows = reader.byte_records();
    let header = match rows.next() {
        Some(Ok(h)) => h,
        Some(Err(e)) => return ParsedFile::rejected(format!("unreadable CSV header: {e}")),
        None => return ParsedFile::rejected("empty file (only white space)"),
    };
    // A Splunk CSV export: the event's text is the `_raw` column, whatever else was exported
    // (`| table _raw` gives that column alone).
    if let Some(raw_col) = header.iter().position(|n| n.trim_ascii() == b"_raw") {
        return splunk_csv(bytes, rows, raw_col);
    }
    if header.len() < 2 {
        return ParsedFile::rejected(not_csv);
    }
    let names: Vec<String> = header.iter().map(|f| String::from_utf8_lossy(f).into_owned()).collect();
    let mut rows = rows.peekable();
    // Prose with a comma in its first line is not a table: the next row must match the header.
    let tabular = match rows.peek() {
        Some(Ok(next)) => next.len() == header.len(),
        _ => true,
    };
    let name_refs: Vec<&str> = names.iter().map(String::as_str).collect();
    let (layout, shape, fidelity, from) = match console_layout(&name_refs) {
        Some(idx) => (Layout::Console(idx), Shape::ConsoleCsv, Fidelity::ConsoleCsv, FROM_CONSOLE_CSV),
        None => match ColumnMap::new(&name_refs) {
            Some(map) => (Layout::Query(map), Shape::QueryResult, Fidelity::QueryRow, FROM_QUERY_ROW),
            None if !tabular => return ParsedFile::rejected(not_csv),
            None => {
                return ParsedFile::rejected(format!(
                    "CSV, but not a CloudTrail export: no event time and event name columns (header: {})",
                    clip(&name_refs.join(","), 160)
                ));
            }
        },
    };
    let mut out = ParsedFile::read(shape);
    let mut index = 0u32;
    for (line, row) in lined_rows(bytes, rows) {
        let row = match row {
            Ok(r) => r,
            Err(reason) => {
                out.push_invalid(|| format!("line {line}"), reason);
                index = index.saturating_add(1);
                continue;
            }
        };
        if row.as_slice().len() > MAX_RECORD_BYTES {
            return ParsedFile::rejected(format!(
                "the row at line {line} is {} bytes, beyond the {MAX_RECORD_BYTES} byte limit for one record",
                row.as_slice().len()
            ));
        }
        let result = row_record(&row, header.len(), &layout, from)
            .and_then(|raw| parse_record(&raw, fidelity).map_err(|e| e.reason));
        match result {
            Ok(event) => out.events.push((index, event)),
            Err(reason) => out.push_invalid(|| format!("line {line}"), reason),
        }
        index = index.saturating_add(1);
    }
    out
}

/// The rows of a Splunk CSV export: each `_raw` cell is a record, or a whole delivery file.
fn splunk_csv(bytes: &[u8], rows: impl Iterator<Item = csv::Result<csv::ByteRecord>>, raw_col: usize) -> ParsedFile {
    let mut out = ParsedFile::read(Shape::Splunk);
    let mut index = 0usize;
    for (line, row) in lined_rows(bytes, rows) {
        let row = match row {
            Ok(r) => r,
            Err(reason) => {
                out.push_invalid(|| format!("line {line}"), reason);
                index = index.saturating_add(1);
                continue;
            }
        };
        let cell = row.get(raw_col).map(std::str::from_utf8);
        let elements: Vec<Element<'static>> = match cell {
            None => vec![Element::Invalid(format!("no _raw: the row has {} fields", row.len()))],
            Some(Err(e)) => vec![Element::Invalid(format!("_raw is not UTF-8 text at byte {}", e.valid_up_to()))],
            Some(Ok(text)) => wrapped::raw_text(text).collect(),
        };
        let several = elements.len() > 1;
        for (k, element) in elements.into_iter().enumerate() {
            let position = || if several { format!("line {line} record {}", k + 1) } else { format!("line {line}") };
            push(&mut out, index, position, element, None);
            index = index.saturating_add(1);
        }
    }
    if out.n_events() == 0 && out.n_invalid() > 0 {
        let first = out.invalid.first().map(|r| format!(" (first: {}: {})", r.position, r.reason)).unwrap_or_default();
        return ParsedFile::rejected(format!(
            "a Splunk CSV export, but its _raw column holds no CloudTrail records{first}"
        ));
    }
    out
}

/// The rows after the header with the line each starts on, blank lines left out; a row that
/// cannot be read is why (both readings of a table share this).
fn lined_rows<'a>(
    bytes: &'a [u8],
    rows: impl Iterator<Item = csv::Result<csv::ByteRecord>> + 'a,
) -> impl Iterator<Item = (usize, Result<csv::ByteRecord, String>)> + 'a {
    let mut lines = LineCounter::default();
    rows.filter_map(move |row| match row {
        Ok(r) if r.len() == 1 && r.get(0).is_some_and(|f| f.trim_ascii().is_empty()) => None,
        Ok(r) => Some((lines.line_at(bytes, r.position().map_or(0, |p| p.byte())), Ok(r))),
        Err(e) => {
            Some((lines.line_at(bytes, e.position().map_or(0, |p| p.byte())), Err(format!("unreadable CSV: {e}"))))
        }
    })
}

/// Line numbers from byte offsets, counted incrementally (csv's own count lags on CRLF).
#[derive(Default)]
struct LineCounter {
    byte: usize,
    line: usize,
}

impl LineCounter {
    /// The 1-based line of the record starting at `byte` (after any line break left before it).
    fn line_at(&mut self, bytes: &[u8], byte: u64) -> usize {
        let mut start = usize::try_from(byte).unwrap_or(usize::MAX).min(bytes.len());
        while bytes.get(start).is_some_and(|b| *b == b'\r' || *b == b'\n') {
            start += 1;
        }
        if start < self.byte {
            *self = Self::default();
        }
        self.line += bytes[self.byte..start].iter().filter(|b| **b == b'\n').count();
        self.byte = start;
        self.line + 1
    }
}

/// The console layout when every one of the 16 columns is present (any order, any case).
fn console_layout(names: &[&str]) -> Option<[usize; 16]> {
    let mut idx = [0usize; 16];
    for (slot, (want, _)) in idx.iter_mut().zip(CONSOLE) {
        *slot = names.iter().position(|n| n.trim().eq_ignore_ascii_case(want))?;
    }
    Some(idx)
}

fn row_record(row: &csv::ByteRecord, width: usize, layout: &Layout, from: &str) -> Result<String, String> {
    if row.len() != width {
        return Err(format!("{} fields where the header has {width}", row.len()));
    }
    let mut values = Vec::with_capacity(row.len());
    for (i, field) in row.iter().enumerate() {
        match std::str::from_utf8(field) {
            Ok(s) => values.push(s),
            Err(e) => return Err(format!("not UTF-8 text in column {} at byte {}", i + 1, e.valid_up_to())),
        }
    }
    Ok(match layout {
        Layout::Console(idx) => console_record(idx, &values),
        Layout::Query(map) => map.record(&values, from),
    })
}

/// A console CSV row as a CloudTrail-shaped record with the fields the CSV has.
fn console_record(idx: &[usize; 16], values: &[&str]) -> String {
    let cell = |i: usize| values.get(idx[i]).map_or("", |v| v.trim());
    let mut rec = Map::new();
    let mut identity = Map::new();
    let mut lossy = Vec::new();
    for (i, (_, field)) in CONSOLE.iter().enumerate() {
        let v = cell(i);
        if v.is_empty() {
            continue;
        }
        match *field {
            "userName" | "accessKeyId" => {
                identity.insert((*field).to_owned(), Value::String(v.to_owned()));
            }
            "readOnly" if v.eq_ignore_ascii_case("true") || v.eq_ignore_ascii_case("false") => {
                rec.insert("readOnly".into(), Value::Bool(v.eq_ignore_ascii_case("true")));
            }
            "resources" => match console_resources(v, cell(5), cell(14)) {
                Some(list) => {
                    rec.insert("resources".into(), list);
                }
                None => lossy.push("resources".to_owned()),
            },
            _ => {
                rec.insert((*field).to_owned(), Value::String(v.to_owned()));
            }
        }
    }
    if identity.get("userName").and_then(Value::as_str) == Some("root") {
        identity.insert("type".into(), Value::String("Root".into()));
    }
    if !identity.is_empty() {
        rec.insert("userIdentity".into(), Value::Object(identity));
    }
    finish(rec, FROM_CONSOLE_CSV, &lossy)
}

/// `[{"resourceType":…,"resourceName":…}]` to CloudTrail's `[{"type":…,"ARN":…}]`; an endpoint
/// named by ID gets its ARN so that the tunnel still shows its endpoint.
fn console_resources(text: &str, region: &str, account: &str) -> Option<Value> {
    let Value::Array(items) = serde_json::from_str::<Value>(text).ok()? else { return None };
    let mut out = Vec::with_capacity(items.len());
    for item in items {
        let kind = item.get("resourceType").and_then(Value::as_str).unwrap_or("");
        let name = item.get("resourceName").and_then(Value::as_str).unwrap_or("");
        let mut r = Map::new();
        if !kind.is_empty() {
            r.insert("type".into(), Value::String(kind.to_owned()));
        }
        if name.starts_with("arn:") {
            r.insert("ARN".into(), Value::String(name.to_owned()));
        } else if kind == "AWS::EC2::InstanceConnectEndpoint" && is_endpoint_id(name) {
            let arn = format!("arn:aws:ec2:{region}:{account}:instance-connect-endpoint/{name}");
            r.insert("ARN".into(), Value::String(arn));
        } else if !name.is_empty() {
            r.insert("resourceName".into(), Value::String(name.to_owned()));
        }
        out.push(Value::Object(r));
    }
    Some(Value::Array(out))
}
