//! Display helpers: times in UTC or local time, and log text made safe to look at.

use std::borrow::Cow;

use tunnelscope_core::i18n::{Lang, Texts};
use tunnelscope_core::time::format_rfc3339;

/// Formats epoch milliseconds as `YYYY-MM-DD HH:MM:SS` in UTC (with `Z`) or the browser's zone.
pub fn fmt_time(ms: i64, local: bool) -> String {
    if local {
        if let Some(s) = local_time(ms) {
            return s;
        }
    }
    format_rfc3339(ms).replacen('T', " ", 1)
}

#[cfg(target_arch = "wasm32")]
fn local_time(ms: i64) -> Option<String> {
    let d = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(ms as f64));
    let offset_min = -(d.get_timezone_offset() as i64);
    let sign = if offset_min < 0 { '-' } else { '+' };
    Some(format!(
        "{:04}-{:02}-{:02} {:02}:{:02}:{:02}{}{:02}:{:02}",
        d.get_full_year(),
        d.get_month() + 1,
        d.get_date(),
        d.get_hours(),
        d.get_minutes(),
        d.get_seconds(),
        sign,
        offset_min.abs() / 60,
        offset_min.abs() % 60
    ))
}

#[cfg(not(target_arch = "wasm32"))]
fn local_time(_ms: i64) -> Option<String> {
    None
}

/// Formats an RFC 3339 string from the core in the chosen zone (falls back to the input).
pub fn fmt_rfc3339(s: &str, local: bool) -> String {
    match tunnelscope_core::time::parse_time_ms(s) {
        Some(ms) => fmt_time(ms, local),
        None => s.to_owned(),
    }
}

/// Makes control, bidi-override and zero-width characters visible (`⟨U+202E⟩`), so a log field
/// cannot reorder or hide what is shown around it. Everything is still rendered as text.
pub fn visible(s: &str) -> Cow<'_, str> {
    let hidden = |c: char| {
        c.is_control()
            || matches!(c, '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{feff}' | '\u{2060}')
    };
    if !s.chars().any(hidden) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 16);
    for c in s.chars() {
        if hidden(c) {
            out.push_str(&format!("⟨U+{:04X}⟩", c as u32));
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// A tunnel's max duration as the detail panel says it: assumed, or beyond what EICE accepts
/// (1 s to 1 h; the latest end is then at most an hour after the start).
pub fn max_duration_text(secs: u64, assumed: bool) -> String {
    max_duration_in(secs, assumed, Lang::DEFAULT.texts())
}

/// [`max_duration_text`] in the language of `t`.
pub fn max_duration_in(secs: u64, assumed: bool, t: &Texts) -> String {
    let mut out = fmt_duration(secs);
    if assumed {
        out.push_str(t.assumed);
    } else if !(1..=3600).contains(&secs) {
        out.push_str(t.outside_eice);
    }
    out
}

/// A duration in seconds as people say it (`1 h`, `30 min`, `45 s`).
pub fn fmt_duration(secs: u64) -> String {
    match secs {
        s if s >= 3600 && s % 3600 == 0 => format!("{} h", s / 3600),
        s if s % 60 == 0 => format!("{} min", s / 60),
        s => format!("{s} s"),
    }
}

/// How a tunnel's instance was found, in words.
pub fn pairing_label(p: tunnelscope_core::Pairing, t: &Texts) -> &'static str {
    (t.pairing)(match p {
        tunnelscope_core::Pairing::KeyPush => "key-push",
        tunnelscope_core::Pairing::IpInventory => "ip-inventory",
        tunnelscope_core::Pairing::Ambiguous => "ambiguous",
        tunnelscope_core::Pairing::None => "none",
    })
}

/// `n` with its noun, singular for one: "1 file", "2 files", "1,204 events".
pub fn count(n: u64, singular: &str, plural: &str) -> String {
    format!("{} {}", thousands(n), if n == 1 { singular } else { plural })
}

/// `n` with thousands separators (`12,345`).
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A time column's header in the zone times are shown in.
pub fn time_header(local: bool) -> &'static str {
    if local { "time (local)" } else { "time (UTC)" }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utc_times_and_durations() {
        assert_eq!(fmt_time(1_790_841_600_000, false), "2026-10-01 08:00:00Z");
        assert_eq!(fmt_duration(3600), "1 h");
        assert_eq!(fmt_duration(1800), "30 min");
        assert_eq!(fmt_duration(45), "45 s");
    }

    #[test]
    fn counts_say_one_in_the_singular() {
        assert_eq!(count(1, "file", "files"), "1 file");
        assert_eq!(count(0, "file", "files"), "0 files");
        assert_eq!(count(1_234_567, "event", "events"), "1,234,567 events");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(time_header(true), "time (local)");
    }

    #[test]
    fn hidden_characters_become_visible() {
        assert_eq!(visible("alice"), "alice");
        assert_eq!(visible("a\u{202e}b\u{200b}c\n"), "a⟨U+202E⟩b⟨U+200B⟩c⟨U+000A⟩");
    }
}

#[cfg(test)]
mod max_duration_tests {
    use super::*;

    #[test]
    fn a_duration_eice_cannot_produce_says_so() {
        assert_eq!(max_duration_text(600, false), "10 min");
        assert!(max_duration_text(3600, true).contains("assumed"));
        assert!(max_duration_text(7200, false).starts_with("2 h (outside what EICE accepts"));
        assert!(max_duration_text(0, false).contains("outside"));
        assert!(max_duration_text(u64::MAX, false).contains("outside"));
    }
}
