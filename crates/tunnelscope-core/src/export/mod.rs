//! Export helpers shared by the CLI and the web app: CSV/JSON rows, reloadable records, and output sanitising.

use std::borrow::Cow;
use std::fmt::Write as _;

use serde::Serialize;

use crate::dataset::{Pairing, TunnelRow};
pub use crate::eice::is_eice_relevant;

mod builder;
mod stats;
use crate::ids::EventId;
use crate::store::EventRef;
use crate::time::format_rfc3339;
pub use builder::{ExportBuilder, ExportKind, build_export};
pub use stats::{StatsDoc, stats_doc};

/// The tunnel columns of `tunnels --format csv` and the app's tunnel export, in order (contracts.md §3).
pub const TUNNEL_COLUMNS: [&str; 19] = [
    "event_id",
    "time",
    "endpoint_id",
    "private_ip",
    "port",
    "max_duration_secs",
    "max_duration_assumed",
    "latest_end",
    "outcome",
    "error_code",
    "principal",
    "principal_arn",
    "source_ip",
    "user_agent",
    "account",
    "region",
    "instance_id",
    "os_user",
    "pairing",
];

/// The columns of the generic event export, in order.
pub const EVENT_COLUMNS: [&str; 11] = [
    "event_id",
    "time",
    "event_name",
    "event_source",
    "principal",
    "principal_arn",
    "source_ip",
    "user_agent",
    "region",
    "account",
    "error_code",
];

/// Prefixes a `'` to a cell a spreadsheet would run as a formula (`=`, `+`, `-`, `@`, tab, CR).
pub fn csv_safe_cell(s: &str) -> Cow<'_, str> {
    match s.as_bytes().first() {
        Some(b'=' | b'+' | b'-' | b'@' | b'\t' | b'\r') => Cow::Owned(format!("'{s}")),
        _ => Cow::Borrowed(s),
    }
}

/// True for characters that must not reach a terminal raw: controls (C0, DEL, C1, which covers
/// ANSI escapes), bidi overrides and isolates, zero-width and line/paragraph separators.
fn is_terminal_unsafe(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{061c}'
                | '\u{200b}'..='\u{200f}'
                | '\u{2028}'..='\u{202e}'
                | '\u{2060}'..='\u{2064}'
                | '\u{2066}'..='\u{2069}'
                | '\u{feff}'
        )
}

/// Escapes control characters, ANSI escapes, bidi overrides and zero-width characters as `\u{..}`.
pub fn terminal_safe(s: &str) -> Cow<'_, str> {
    if !s.chars().any(is_terminal_unsafe) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if is_terminal_unsafe(c) {
            let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// Rewrites JSON text so C1 controls, bidi and zero-width characters appear as `\uXXXX` escapes;
/// the parsed value is unchanged (serde_json already escapes C0 controls, but not these).
pub fn json_terminal_safe(json: String) -> String {
    // JSON's own whitespace stays; serde_json has already escaped C0 controls inside strings.
    let unsafe_here = |c: char| is_terminal_unsafe(c) && !c.is_ascii_whitespace();
    if !json.chars().any(unsafe_here) {
        return json;
    }
    let mut out = String::with_capacity(json.len() + 16);
    for c in json.chars() {
        if unsafe_here(c) {
            // Outside strings JSON only has ASCII whitespace, so every hit is inside a string,
            // where `\uXXXX` is valid (all these characters are in the BMP).
            let _ = write!(out, "\\u{:04x}", u32::from(c));
        } else {
            out.push(c);
        }
    }
    out
}

/// The contract spelling of a pairing (`key-push`, `ip-inventory`, `ambiguous`, `none`).
pub fn pairing_str(p: Pairing) -> &'static str {
    match p {
        Pairing::KeyPush => "key-push",
        Pairing::IpInventory => "ip-inventory",
        Pairing::Ambiguous => "ambiguous",
        Pairing::None => "none",
    }
}

/// Writes a header and rows through the `csv` crate, neutralising every cell.
fn write_csv<const N: usize>(header: [&str; N], rows: impl Iterator<Item = [String; N]>) -> String {
    let mut w = csv::WriterBuilder::new().terminator(csv::Terminator::CRLF).from_writer(Vec::new());
    // Writing into a Vec cannot fail; ignoring the results keeps the helpers infallible.
    let _ = w.write_record(header);
    for row in rows {
        let _ = w.write_record(row.iter().map(|c| csv_safe_cell(c).into_owned()));
    }
    let bytes = w.into_inner().unwrap_or_default();
    String::from_utf8(bytes).unwrap_or_default()
}

/// Tunnels as CSV with exactly [`TUNNEL_COLUMNS`], formula-like cells neutralised.
pub fn tunnels_csv(rows: &[TunnelRow]) -> String {
    write_csv(
        TUNNEL_COLUMNS,
        rows.iter().map(|r| {
            [
                r.event_id.clone(),
                r.time.clone(),
                r.endpoint_id.clone(),
                r.private_ip.clone(),
                r.port.map(|p| p.to_string()).unwrap_or_default(),
                r.max_duration_secs.to_string(),
                r.max_duration_assumed.to_string(),
                r.latest_end.clone(),
                r.outcome.clone(),
                r.error_code.clone(),
                r.principal.clone(),
                r.principal_arn.clone(),
                r.source_ip.clone(),
                r.user_agent.clone(),
                r.account.clone(),
                r.region.clone(),
                r.instance_id.clone(),
                r.os_user.clone(),
                pairing_str(r.pairing).to_owned(),
            ]
        }),
    )
}

/// Tunnels as a pretty JSON array with the contract keys.
pub fn tunnels_json(rows: &[TunnelRow]) -> String {
    json_terminal_safe(serde_json::to_string_pretty(rows).unwrap_or_else(|_| "[]".to_owned()))
}

/// The columns of the sessions CSV (contracts.md §7), in order.
pub const SESSION_COLUMNS: [&str; 18] = [
    "session_id",
    "start",
    "last_start",
    "latest_end",
    "tunnels",
    "accepted",
    "failed",
    "principal",
    "principal_arn",
    "source_ip",
    "endpoint_id",
    "private_ip",
    "port",
    "instance_ids",
    "os_users",
    "account",
    "region",
    "event_ids",
];

/// Sessions as CSV with exactly [`SESSION_COLUMNS`] (lists joined with `;`), cells neutralised.
pub fn sessions_csv(rows: &[crate::sessions::SessionRow]) -> String {
    write_csv(
        SESSION_COLUMNS,
        rows.iter().map(|r| {
            [
                r.session_id.clone(),
                r.start.clone(),
                r.last_start.clone(),
                r.latest_end.clone(),
                r.tunnels.to_string(),
                r.accepted.to_string(),
                r.failed.to_string(),
                r.principal.clone(),
                r.principal_arn.clone(),
                r.source_ip.clone(),
                r.endpoint_id.clone(),
                r.private_ip.clone(),
                r.port.map(|p| p.to_string()).unwrap_or_default(),
                r.instance_ids.join(";"),
                r.os_users.join(";"),
                r.account.clone(),
                r.region.clone(),
                r.event_ids.join(";"),
            ]
        }),
    )
}

/// Sessions as a pretty JSON array with the contract keys (lists as arrays).
pub fn sessions_json(rows: &[crate::sessions::SessionRow]) -> String {
    json_terminal_safe(serde_json::to_string_pretty(rows).unwrap_or_else(|_| "[]".to_owned()))
}

/// The columns of the findings CSV (contracts.md §8), in order.
pub const FINDING_COLUMNS: [&str; 8] =
    ["finding_id", "rule", "severity", "subject", "first", "last", "explanation", "event_ids"];

/// Findings as CSV with exactly [`FINDING_COLUMNS`] (evidence IDs joined with `;`), cells neutralised.
pub fn findings_csv(rows: &[crate::findings::FindingRow]) -> String {
    write_csv(
        FINDING_COLUMNS,
        rows.iter().map(|r| {
            [
                r.finding_id.clone(),
                r.rule.to_owned(),
                r.severity.as_str().to_owned(),
                r.subject.clone(),
                r.first.clone(),
                r.last.clone(),
                r.explanation.clone(),
                r.event_ids.join(";"),
            ]
        }),
    )
}

/// Findings as a pretty JSON array with the contract keys.
pub fn findings_json(rows: &[crate::findings::FindingRow]) -> String {
    json_terminal_safe(serde_json::to_string_pretty(rows).unwrap_or_else(|_| "[]".to_owned()))
}

/// One event in the generic export's columns.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EventRow<'a> {
    /// `eventID`.
    pub event_id: EventId<'a>,
    /// Event time, RFC 3339 UTC.
    pub time: String,
    /// `eventName`.
    pub event_name: &'a str,
    /// `eventSource`.
    pub event_source: &'a str,
    /// Principal display name.
    pub principal: &'a str,
    /// Principal key (ARN).
    pub principal_arn: &'a str,
    /// Source IP.
    pub source_ip: &'a str,
    /// User agent.
    pub user_agent: &'a str,
    /// Region.
    pub region: &'a str,
    /// Account.
    pub account: &'a str,
    /// `errorCode`.
    pub error_code: &'a str,
}

impl<'a> EventRow<'a> {
    /// The export row of one event.
    pub fn of(e: &EventRef<'a>) -> Self {
        Self {
            event_id: e.event_id,
            time: format_rfc3339(e.time_ms),
            event_name: e.event_name,
            event_source: e.event_source,
            principal: e.principal,
            principal_arn: e.principal_arn,
            source_ip: e.source_ip,
            user_agent: e.user_agent,
            region: e.region,
            account: e.account,
            error_code: e.error_code,
        }
    }

    fn cells(&self) -> [String; 11] {
        [
            self.event_id.as_str(),
            &self.time,
            self.event_name,
            self.event_source,
            self.principal,
            self.principal_arn,
            self.source_ip,
            self.user_agent,
            self.region,
            self.account,
            self.error_code,
        ]
        .map(str::to_owned)
    }
}

/// Events as CSV with exactly [`EVENT_COLUMNS`], formula-like cells neutralised.
pub fn events_csv<'a>(events: impl IntoIterator<Item = EventRef<'a>>) -> String {
    write_csv(EVENT_COLUMNS, events.into_iter().map(|e| EventRow::of(&e).cells()))
}

/// Events as a pretty JSON array with the [`EVENT_COLUMNS`] keys.
pub fn events_json<'a>(events: impl IntoIterator<Item = EventRef<'a>>) -> String {
    let rows: Vec<EventRow<'_>> = events.into_iter().map(|e| EventRow::of(&e)).collect();
    json_terminal_safe(serde_json::to_string_pretty(&rows).unwrap_or_else(|_| "[]".to_owned()))
}

/// A minimal CloudTrail record for an event whose raw text is not a JSON object (lossy rows),
/// so the document stays valid and the event still reloads.
fn synthetic_record(e: &EventRef<'_>) -> String {
    let mut rec = serde_json::json!({
        "eventVersion": "1.08",
        "eventID": e.event_id,
        "eventTime": format_rfc3339(e.time_ms),
        "eventName": e.event_name,
        "eventSource": e.event_source,
        "awsRegion": e.region,
        "recipientAccountId": e.account,
        "sourceIPAddress": e.source_ip,
        "userAgent": e.user_agent,
        "userIdentity": {"arn": e.principal_arn, "accountId": e.account},
    });
    if let Some(map) = rec.as_object_mut() {
        if !e.error_code.is_empty() {
            map.insert("errorCode".into(), e.error_code.into());
            map.insert("errorMessage".into(), e.error_message.into());
        }
    }
    rec.to_string()
}

/// The events' raw records as one reloadable `{"Records":[…]}` document, in the order given.
pub fn records_json<'a>(events: impl Iterator<Item = EventRef<'a>>) -> Vec<u8> {
    records_json_with(events.map(|e| (e, e.raw)))
}

/// [`records_json`] with each event's raw record given beside it (a compact dataset reads the
/// records it dropped again from their files).
pub fn records_json_with<'a, R: AsRef<str>>(events: impl Iterator<Item = (EventRef<'a>, R)>) -> Vec<u8> {
    let mut out = Vec::from(&b"{\"Records\":["[..]);
    for (i, (e, raw)) in events.enumerate() {
        out.extend_from_slice(if i == 0 { b"\n" } else { b",\n" });
        let raw = raw.as_ref().trim();
        if raw.starts_with('{') && raw.ends_with('}') {
            out.extend_from_slice(raw.as_bytes());
        } else {
            out.extend_from_slice(synthetic_record(&e).as_bytes());
        }
    }
    out.extend_from_slice(b"\n]}\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dataset::Dataset;
    use crate::sample::sample_trail_json;

    fn sample() -> Dataset {
        let mut ds = Dataset::new();
        ds.add_file("sample.json", &sample_trail_json());
        ds
    }

    #[test]
    fn csv_cells_with_formula_prefixes_are_neutralised() {
        for s in ["=cmd|' /C calc'!A0", "+1", "-2+3", "@SUM(A1)", "\tx", "\rx"] {
            assert_eq!(csv_safe_cell(s), format!("'{s}"), "{s:?}");
        }
        for s in ["", "alice", "1.2.3.4", "a=b", " =x", "'already"] {
            assert!(matches!(csv_safe_cell(s), Cow::Borrowed(_)), "{s:?}");
        }
    }

    #[test]
    fn terminal_safe_escapes_controls_ansi_bidi_and_zero_width() {
        let cases = [
            ("\x1b[31mred\x1b[0m", "\\u{1b}[31mred\\u{1b}[0m"),
            ("a\nb\tc\rd", "a\\u{a}b\\u{9}c\\u{d}d"),
            ("nul\0del\x7f", "nul\\u{0}del\\u{7f}"),
            ("c1\u{9b}31m", "c1\\u{9b}31m"),
            ("evil\u{202e}txt.exe", "evil\\u{202e}txt.exe"),
            ("iso\u{2066}x\u{2069}", "iso\\u{2066}x\\u{2069}"),
            ("lrm\u{200e}rlm\u{200f}alm\u{61c}", "lrm\\u{200e}rlm\\u{200f}alm\\u{61c}"),
            (
                "zw\u{200b}j\u{200d}nj\u{200c}wj\u{2060}bom\u{feff}",
                "zw\\u{200b}j\\u{200d}nj\\u{200c}wj\\u{2060}bom\\u{feff}",
            ),
            ("ls\u{2028}ps\u{2029}", "ls\\u{2028}ps\\u{2029}"),
        ];
        for (input, want) in cases {
            assert_eq!(terminal_safe(input), want, "{input:?}");
        }
        for s in ["alice", "Admin/bob", "carol@example.com", "café ünïcode 日本", "back\\slash"] {
            assert!(matches!(terminal_safe(s), Cow::Borrowed(_)), "{s:?}");
        }
    }

    #[test]
    fn tunnels_csv_has_the_contract_header_and_one_line_per_tunnel() {
        let ds = sample();
        let rows = ds.tunnel_rows();
        assert!(!rows.is_empty());
        let csv = tunnels_csv(&rows);
        let mut r = csv::Reader::from_reader(csv.as_bytes());
        let header: Vec<String> = r.headers().map(|h| h.iter().map(str::to_owned).collect()).unwrap_or_default();
        assert_eq!(header, TUNNEL_COLUMNS);
        let records: Vec<csv::StringRecord> = r.records().collect::<Result<_, _>>().expect("csv parses");
        assert_eq!(records.len(), rows.len());
        assert_eq!(&records[0][0], rows[0].event_id);
        assert!(records.iter().all(|r| ["key-push", "ip-inventory", "ambiguous", "none"].contains(&&r[18])));
    }

    #[test]
    fn tunnels_csv_neutralises_hostile_cells() {
        let mut row = sample().tunnel_rows().remove(0);
        row.user_agent = "=cmd|' /C calc'!A0".into();
        row.principal = "@evil".into();
        let csv = tunnels_csv(&[row]);
        let mut r = csv::Reader::from_reader(csv.as_bytes());
        let rec = r.records().next().expect("one row").expect("parses");
        assert_eq!(&rec[13], "'=cmd|' /C calc'!A0");
        assert_eq!(&rec[10], "'@evil");
    }

    #[test]
    fn tunnels_json_uses_the_contract_keys_and_escapes_invisible_characters() {
        let mut rows = sample().tunnel_rows();
        rows[0].user_agent = "x\u{202e}y\x1b[2J\u{9b}".into();
        let json = tunnels_json(&rows);
        assert!(!json.contains('\u{202e}') && !json.contains('\x1b') && !json.contains('\u{9b}'));
        let v: serde_json::Value = serde_json::from_str(&json).expect("valid JSON");
        let arr = v.as_array().expect("array");
        assert_eq!(arr.len(), rows.len());
        let keys: Vec<&str> = arr[0].as_object().expect("object").keys().map(String::as_str).collect();
        let mut want = TUNNEL_COLUMNS.to_vec();
        want.sort_unstable();
        let mut got = keys.clone();
        got.sort_unstable();
        assert_eq!(got, want);
        assert_eq!(arr[0]["user_agent"], "x\u{202e}y\x1b[2J\u{9b}");
        assert!(arr[0]["port"].is_u64() || arr[0]["port"].is_null());
    }

    #[test]
    fn events_csv_and_json_have_the_event_columns() {
        let ds = sample();
        let csv = events_csv(ds.iter());
        let mut r = csv::Reader::from_reader(csv.as_bytes());
        let header: Vec<String> = r.headers().map(|h| h.iter().map(str::to_owned).collect()).unwrap_or_default();
        assert_eq!(header, EVENT_COLUMNS);
        assert_eq!(r.records().count(), ds.events().len());
        let v: serde_json::Value = serde_json::from_str(&events_json(ds.iter())).expect("valid JSON");
        let arr = v.as_array().expect("array");
        assert_eq!(arr.len(), ds.events().len());
        assert_eq!(arr[0].as_object().map(|o| o.len()), Some(EVENT_COLUMNS.len()));
        assert_eq!(arr[0]["event_id"], ds.events()[0].event_id.as_str());
    }

    #[test]
    fn records_json_reloads_to_the_same_events() {
        let ds = sample();
        let order = ds.time_order();
        let doc = records_json(order.iter().filter_map(|&i| ds.get(i)));
        let mut again = Dataset::new();
        again.add_file("again.json", &doc);
        assert_eq!(again.stats().records.loaded, ds.events().len() as u64);
        assert_eq!(again.stats().tunnels, ds.stats().tunnels);
        assert_eq!(again.tunnel_rows(), ds.tunnel_rows());
        let empty = records_json(std::iter::empty());
        let v: serde_json::Value = serde_json::from_slice(&empty).expect("valid JSON");
        assert_eq!(v["Records"].as_array().map(Vec::len), Some(0));
    }

    #[test]
    fn records_json_synthesises_records_without_raw_json() {
        let ds = sample();
        let mut e = ds.events()[0].clone();
        e.raw = "eventID,eventTime\nx,y".into();
        let doc = records_json(std::iter::once(e.view()));
        let mut again = Dataset::new();
        again.add_file("again.json", &doc);
        assert_eq!(again.events().len(), 1);
        assert_eq!(again.events()[0].event_id, e.event_id);
        assert_eq!(again.events()[0].time_ms, e.time_ms);
    }

    #[test]
    fn eice_relevance_by_name_for_inventory_and_unrelated_events() {
        let ds = sample();
        let mut e = ds.events().iter().find(|e| e.eice.is_none()).expect("an unrelated event").clone();
        for (name, want) in [
            ("RunInstances", true),
            ("CreateNetworkInterface", true),
            ("TerminateInstances", true),
            ("DeleteNetworkInterface", true),
            ("AttachNetworkInterface", true),
            ("DescribeInstances", false),
            ("GetObject", false),
            ("ConsoleLogin", false),
        ] {
            e.event_name = name.into();
            assert_eq!(is_eice_relevant(&e), want, "{name}");
        }
        let tunnel = ds.events().into_iter().find(|e| e.tunnel().is_some()).expect("a tunnel");
        assert!(is_eice_relevant(&tunnel));
    }

    #[test]
    fn eice_relevance_keeps_tunnels_endpoints_pushes_and_inventory_only() {
        let ds = sample();
        let mut seen = std::collections::BTreeSet::new();
        let events = ds.events();
        for e in &events {
            if is_eice_relevant(e) {
                seen.insert(e.event_name.as_str());
            }
        }
        assert!(seen.contains("OpenTunnel"));
        assert!(seen.contains("SendSSHPublicKey"));
        assert!(seen.contains("RunInstances"));
        assert!(seen.contains("CreateInstanceConnectEndpoint"));
        let names: Vec<&str> = events.iter().filter(|e| !is_eice_relevant(e)).map(|e| e.event_name.as_str()).collect();
        assert!(!names.is_empty(), "the sample has unrelated events");
        assert!(names.iter().all(|n| !["OpenTunnel", "RunInstances", "TerminateInstances"].contains(n)));
    }
}
