//! Event-time parsing: every timestamp form seen in CloudTrail exports, to UTC epoch milliseconds.

use chrono::{DateTime, NaiveDate, NaiveDateTime, TimeZone, Utc};

/// Epoch seconds below this are treated as seconds, above it as milliseconds (year 5138 vs 1973).
const EPOCH_MS_THRESHOLD: f64 = 1.0e11;

/// Parses a CloudTrail time string into UTC epoch milliseconds.
///
/// Accepts RFC 3339 (`…Z`, fractions, `±hh:mm` offsets), `YYYY-MM-DD HH:MM:SS[.f]` (UTC),
/// `YYYY-MM-DD HH:MM:SS±hh:mm`, the basic form `20131102T010628Z`, and epoch seconds or
/// milliseconds written as a number string.
pub fn parse_time_ms(s: &str) -> Option<i64> {
    let s = s.trim();
    if s.is_empty() || s.len() > 64 {
        return None;
    }
    if let Some(ms) = plain_utc_ms(s.as_bytes()) {
        return Some(ms);
    }
    if let Ok(dt) = DateTime::parse_from_rfc3339(s) {
        return Some(dt.timestamp_millis());
    }
    // Space-separated variants (Athena, Lake, Panther): with or without an offset.
    for fmt in ["%Y-%m-%d %H:%M:%S%.f%:z", "%Y-%m-%d %H:%M:%S%.f%#z", "%Y-%m-%dT%H:%M:%S%.f%#z"] {
        if let Ok(dt) = DateTime::parse_from_str(s, fmt) {
            return Some(dt.timestamp_millis());
        }
    }
    let no_z = s.strip_suffix('Z').or_else(|| s.strip_suffix(" UTC")).unwrap_or(s);
    for fmt in ["%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%dT%H:%M:%S%.f", "%Y%m%dT%H%M%S"] {
        if let Ok(naive) = NaiveDateTime::parse_from_str(no_z, fmt) {
            return Some(Utc.from_utc_datetime(&naive).timestamp_millis());
        }
    }
    if s.bytes().all(|b| b.is_ascii_digit() || b == b'.') && s.bytes().any(|b| b.is_ascii_digit()) {
        return s.parse::<f64>().ok().and_then(epoch_number_ms);
    }
    None
}

/// The form nearly every record uses, `YYYY-MM-DDTHH:MM:SSZ`, without chrono; `None` for
/// anything else (including leap seconds), which the general parser then reads.
fn plain_utc_ms(b: &[u8]) -> Option<i64> {
    if b.len() != 20 || b[4] != b'-' || b[7] != b'-' || b[10] != b'T' || b[13] != b':' || b[16] != b':' || b[19] != b'Z'
    {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<i64> {
        b[r].iter().try_fold(0i64, |acc, &c| c.is_ascii_digit().then(|| acc * 10 + i64::from(c - b'0')))
    };
    let (year, month, day) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (hour, minute, second) = (num(11..13)?, num(14..16)?, num(17..19)?);
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    let month_days = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return None,
    };
    if day < 1 || day > month_days || hour > 23 || minute > 59 || second > 59 {
        return None;
    }
    // Days from the civil date (Howard Hinnant's algorithm), proleptic Gregorian.
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some(((days * 24 + hour) * 60 + minute) * 60_000 + second * 1000)
}

/// Converts an epoch number (seconds or milliseconds, chosen by magnitude) to milliseconds.
pub fn epoch_number_ms(n: f64) -> Option<i64> {
    if !n.is_finite() || n < 0.0 {
        return None;
    }
    let ms = if n < EPOCH_MS_THRESHOLD { n * 1000.0 } else { n };
    // Reject absurd values (beyond year 9999) rather than wrapping.
    if ms > 253_402_300_799_000.0 {
        return None;
    }
    Some(ms.round() as i64)
}

/// Parses a date or RFC 3339 time given by a user (query language): `2026-10-01`,
/// `2026-10-01T10:00Z`, `2026-10-01T10:00:00+02:00`.
pub fn parse_user_time_ms(s: &str) -> Option<i64> {
    if let Some(ms) = parse_time_ms(s) {
        return Some(ms);
    }
    let s = s.trim();
    for fmt in ["%Y-%m-%dT%H:%MZ", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"] {
        if let Ok(naive) = NaiveDateTime::parse_from_str(s, fmt) {
            return Some(Utc.from_utc_datetime(&naive).timestamp_millis());
        }
    }
    if let Ok(dt) = DateTime::parse_from_str(s, "%Y-%m-%dT%H:%M%:z") {
        return Some(dt.timestamp_millis());
    }
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|naive| Utc.from_utc_datetime(&naive).timestamp_millis())
}

/// Formats epoch milliseconds as RFC 3339 UTC with a `Z`, with milliseconds only when non-zero.
///
/// Years 0..=9999 are four digits, as RFC 3339 has them. A time outside (a tunnel that starts
/// in the last hour of 9999 ends in 10000) keeps the same form with the year's own digits,
/// `10000-01-01T00:30:00Z`, never chrono's `+10000-…`; a year before 0 is `-0001-…`. Beyond
/// what a calendar date can hold (±262,000 years), the text is empty.
pub fn format_rfc3339(ms: i64) -> String {
    use chrono::{Datelike, Timelike};
    let Some(dt) = Utc.timestamp_millis_opt(ms).single() else { return String::new() };
    let mut out = format!(
        "{}-{:02}-{:02}T{:02}:{:02}:{:02}",
        year_text(dt.year()),
        dt.month(),
        dt.day(),
        dt.hour(),
        dt.minute(),
        dt.second()
    );
    if ms.rem_euclid(1000) != 0 {
        out.push_str(&format!(".{:03}", ms.rem_euclid(1000)));
    }
    out.push('Z');
    out
}

/// `YYYY-MM-DD` of epoch milliseconds in UTC, years as [`format_rfc3339`] writes them.
pub fn format_date(ms: i64) -> String {
    let t = format_rfc3339(ms);
    t.split_once('T').map_or(t.clone(), |(date, _)| date.to_owned())
}

/// A year as four digits (0..=9999), its own digits above, `-` and four digits below 0.
fn year_text(year: i32) -> String {
    match year {
        0..=9999 => format!("{year:04}"),
        10_000.. => year.to_string(),
        _ => format!("-{:04}", year.unsigned_abs()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_plain_form_agrees_with_chrono() {
        let mut t: i64 = -62_135_596_800_000; // 0001-01-01
        while t < 253_402_300_799_000 {
            let s = format!("{}", Utc.timestamp_millis_opt(t).unwrap().format("%Y-%m-%dT%H:%M:%SZ"));
            let chrono_ms = DateTime::parse_from_rfc3339(&s).map(|d| d.timestamp_millis()).ok();
            assert_eq!(plain_utc_ms(s.as_bytes()), chrono_ms, "{s}");
            t += 86_399_937 * 7 + 1000;
        }
        for bad in [
            "2026-02-29T00:00:00Z",
            "2026-13-01T00:00:00Z",
            "2026-00-10T00:00:00Z",
            "2026-01-01T24:00:00Z",
            "2026-01-01T00:60:00Z",
            "2026-01-01T00:00:60Z",
            "+026-01-01T00:00:00Z",
            "2026-01-0 T00:00:00Z",
        ] {
            assert_eq!(plain_utc_ms(bad.as_bytes()), None, "{bad}");
        }
        for edge in ["0000-01-01T00:00:00Z", "0000-02-29T12:00:00Z", "1969-12-31T23:59:59Z", "9999-12-31T23:59:59Z"] {
            let chrono_ms = DateTime::parse_from_rfc3339(edge).map(|d| d.timestamp_millis()).ok();
            assert_eq!(plain_utc_ms(edge.as_bytes()), chrono_ms, "{edge}");
        }
        assert_eq!(
            plain_utc_ms(b"2024-02-29T23:59:59Z"),
            DateTime::parse_from_rfc3339("2024-02-29T23:59:59Z").map(|d| d.timestamp_millis()).ok()
        );
    }

    const T: i64 = 1_681_257_040_000; // 2023-04-11T23:50:40Z

    #[test]
    fn every_form_in_the_wild() {
        let cases = [
            ("2023-04-11T23:50:40Z", Some(T)),
            ("2023-04-11T23:50:40.000Z", Some(T)),
            ("2023-04-11T23:50:40.250Z", Some(T + 250)),
            ("2023-04-11T16:50:40-07:00", Some(T)),
            ("2023-04-12T01:50:40+02:00", Some(T)),
            ("2023-04-11 23:50:40", Some(T)),
            ("2023-04-11 23:50:40.000000000", Some(T)),
            ("2023-04-11 23:50:40.123", Some(T + 123)),
            ("2023-04-11 16:50:40-07:00", Some(T)),
            ("2023-04-11 23:50:40 UTC", Some(T)),
            ("20230411T235040Z", Some(T)),
            ("1681257040", Some(T)),
            ("1681257040.0", Some(T)),
            ("1681257040000", Some(T)),
            ("redacted", None),
            ("...", None),
            ("", None),
            ("99999999999999999999999", None),
            ("2023-13-45T99:00:00Z", None),
        ];
        for (input, want) in cases {
            assert_eq!(parse_time_ms(input), want, "input {input:?}");
        }
    }

    #[test]
    fn user_times() {
        assert_eq!(parse_user_time_ms("2023-04-11"), Some(T - (23 * 3600 + 50 * 60 + 40) * 1000));
        assert_eq!(parse_user_time_ms("2023-04-11T23:50Z"), Some(T - 40_000));
        assert_eq!(parse_user_time_ms("nonsense"), None);
    }

    #[test]
    fn formats_utc_z() {
        assert_eq!(format_rfc3339(T), "2023-04-11T23:50:40Z");
        assert_eq!(format_rfc3339(T + 5), "2023-04-11T23:50:40.005Z");
        assert_eq!(format_rfc3339(T + 999), "2023-04-11T23:50:40.999Z");
    }

    /// Issue 18, item 6f: a year-9999 time (and an hour later) prints without chrono's `+`.
    #[test]
    fn years_print_as_four_digits_and_beyond_without_a_sign() {
        let last = parse_time_ms("9999-12-31T23:59:59Z").unwrap();
        assert_eq!(format_rfc3339(last), "9999-12-31T23:59:59Z");
        assert_eq!(format_rfc3339(last + 1), "9999-12-31T23:59:59.001Z");
        assert_eq!(format_rfc3339(last + 1000), "10000-01-01T00:00:00Z");
        assert_eq!(format_rfc3339(last + 3_600_000 + 250), "10000-01-01T00:59:59.250Z");
        assert_eq!(format_date(last + 1000), "10000-01-01");
        let first = parse_time_ms("0001-01-01T00:00:00Z").unwrap();
        assert_eq!(format_rfc3339(first), "0001-01-01T00:00:00Z");
        assert_eq!(format_rfc3339(first + 1), "0001-01-01T00:00:00.001Z");
        assert_eq!(format_rfc3339(parse_time_ms("0000-03-01T00:00:00Z").unwrap()), "0000-03-01T00:00:00Z");
        assert_eq!(format_rfc3339(first - 366 * 86_400_000 - 1), "-0001-12-31T23:59:59.999Z");
        assert_eq!(format_rfc3339(-1), "1969-12-31T23:59:59.999Z");
        assert_eq!(format_rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(format_rfc3339(i64::MAX), "");
        assert_eq!(format_date(T), "2023-04-11");
        // Every 4-digit year reads back.
        for ms in [first, T, last, -1, first + 1] {
            assert_eq!(parse_time_ms(&format_rfc3339(ms)), Some(ms), "{ms}");
        }
    }
}
