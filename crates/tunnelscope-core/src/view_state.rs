//! The view state in the URL fragment (contracts.md §6, §7, §8): query, window, grouping,
//! selection, session gap, findings settings, fingerprint.

// The fragment only ever holds what the user typed or selected plus a hash of file names and
// sizes, never record contents; parsing is tolerant because links are edited by hand.

use crate::i18n::Lang;
use crate::query::TimeWindow;
use crate::time::{format_rfc3339, parse_time_ms};

/// Longest query kept from a fragment (longer ones are dropped as not typed by a person).
const MAX_QUERY_CHARS: usize = 4096;
/// Longest selected event ID kept from a fragment.
const MAX_SELECTED_CHARS: usize = 256;
/// Longest grouping name kept from a fragment.
const MAX_GROUPING_CHARS: usize = 32;
/// Longest session gap kept from a fragment.
const MAX_GAP_CHARS: usize = 32;
/// Longest findings settings text kept from a fragment.
const MAX_SETTINGS_CHARS: usize = 4096;
/// Hex characters in a fingerprint.
const FINGERPRINT_HEX: usize = 12;

/// What the URL fragment restores: the query text, the brushed window, the grouping, the
/// selected event and the fingerprint of the files it was made with.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ViewState {
    /// The query box text, as typed.
    pub query: String,
    /// The brushed time window.
    pub window: Option<TimeWindow>,
    /// The timeline grouping (`endpoint`, `target`, `principal`, `source-ip`, …); empty for the default.
    pub grouping: String,
    /// The selected event's `eventID`.
    pub selected: Option<String>,
    /// The fingerprint of the loaded files ([`fingerprint`]); empty when none.
    pub fingerprint: String,
    /// The session gap as typed (`15m`); empty for the default.
    pub gap: String,
    /// Findings settings, `RULE.PARAM=VALUE` each (written `;`-separated as `set`).
    pub settings: Vec<String>,
    /// The page's language as a tag (`pt-BR`); empty for the default (English), so links made
    /// before languages existed are unchanged.
    pub lang: String,
}

impl ViewState {
    /// The fragment without the leading `#`: percent-encoded `key=value` pairs joined by `&`
    /// (`q`, `from`, `to`, `group`, `sel`, `gap`, `set`, `lang`, `fp`), empty ones omitted.
    pub fn to_fragment(&self) -> String {
        let mut pairs: Vec<(&str, String)> = Vec::new();
        if !self.query.is_empty() {
            pairs.push(("q", self.query.clone()));
        }
        if let Some(w) = self.window {
            let (from, to) = (format_rfc3339(w.start_ms), format_rfc3339(w.end_ms));
            // Times outside what RFC 3339 can write are left out rather than written wrongly.
            if !from.is_empty() && !to.is_empty() {
                pairs.push(("from", from));
                pairs.push(("to", to));
            }
        }
        if !self.grouping.is_empty() {
            pairs.push(("group", self.grouping.clone()));
        }
        if let Some(sel) = self.selected.as_ref().filter(|s| !s.is_empty()) {
            pairs.push(("sel", sel.clone()));
        }
        if !self.gap.is_empty() {
            pairs.push(("gap", self.gap.clone()));
        }
        if !self.settings.is_empty() {
            pairs.push(("set", self.settings.join(";")));
        }
        if !self.lang.is_empty() {
            pairs.push(("lang", self.lang.clone()));
        }
        if !self.fingerprint.is_empty() {
            pairs.push(("fp", self.fingerprint.clone()));
        }
        pairs.iter().map(|(k, v)| format!("{k}={}", encode(v))).collect::<Vec<_>>().join("&")
    }

    /// Reads a fragment (with or without the leading `#`); unknown keys are ignored, bad or
    /// oversized values (and empty or inverted windows) dropped, and a later repeat of a key wins.
    pub fn from_fragment(s: &str) -> ViewState {
        let s = s.strip_prefix('#').unwrap_or(s);
        let mut state = ViewState::default();
        let (mut from, mut to) = (None, None);
        for pair in s.split('&') {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            let Some(value) = decode(v) else { continue };
            match decode(k).as_deref() {
                Some("q") if value.chars().count() <= MAX_QUERY_CHARS => state.query = value,
                Some("from") => from = parse_time_ms(&value),
                Some("to") => to = parse_time_ms(&value),
                Some("group") if is_grouping(&value) => state.grouping = value,
                Some("sel") if is_selection(&value) => state.selected = Some(value),
                Some("fp") if is_fingerprint(&value) => state.fingerprint = value,
                Some("gap") if is_gap(&value) => state.gap = value,
                Some("lang") => {
                    if let Some(lang) = Lang::from_code(&value).filter(|&l| l != Lang::DEFAULT) {
                        state.lang = lang.code().to_owned();
                    }
                }
                Some("set") if value.chars().count() <= MAX_SETTINGS_CHARS && !value.chars().any(char::is_control) => {
                    state.settings =
                        value.split(';').map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned).collect()
                }
                _ => {}
            }
        }
        state.window = match (from, to) {
            (Some(start_ms), Some(end_ms)) if start_ms < end_ms => Some(TimeWindow { start_ms, end_ms }),
            _ => None,
        };
        state
    }
}

/// A grouping name is a short lower-case identifier.
fn is_grouping(v: &str) -> bool {
    !v.is_empty()
        && v.len() <= MAX_GROUPING_CHARS
        && v.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
}

/// A gap is short: digits and `h`, `m`, `s` (the core reads it; a bad one is reported there).
fn is_gap(v: &str) -> bool {
    !v.is_empty()
        && v.len() <= MAX_GAP_CHARS
        && v.bytes().all(|b| b.is_ascii_digit() || matches!(b, b'h' | b'm' | b's'))
}

/// An event ID is short, non-empty and has no control characters.
fn is_selection(v: &str) -> bool {
    !v.is_empty() && v.chars().count() <= MAX_SELECTED_CHARS && !v.chars().any(char::is_control)
}

/// A fingerprint is exactly [`FINGERPRINT_HEX`] lower-case hex characters.
fn is_fingerprint(v: &str) -> bool {
    v.len() == FINGERPRINT_HEX && v.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// A short stable fingerprint of a set of files, (name, size) each: 12 hex characters,
/// independent of the order given and the same on every platform.
pub fn fingerprint(files: &[(&str, u64)]) -> String {
    let mut sorted: Vec<(&str, u64)> = files.to_vec();
    sorted.sort_unstable();
    // FNV-1a: tiny, fixed and portable (std's hashers are not promised stable).
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut eat = |bytes: &[u8]| {
        for &b in bytes {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
    };
    eat(&(sorted.len() as u64).to_le_bytes());
    for (name, size) in &sorted {
        // Length-prefix the name so ("ab", n) and ("a", …) can never collide by concatenation.
        eat(&(name.len() as u64).to_le_bytes());
        eat(name.as_bytes());
        eat(&size.to_le_bytes());
    }
    // A final avalanche (splitmix64) so the kept low bits depend on every input bit.
    let mut z = h;
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^= z >> 31;
    format!("{:012x}", z & 0xffff_ffff_ffff)
}

/// Percent-encodes everything but unreserved characters and the readable `:/@,`, which a
/// fragment allows unescaped.
fn encode(s: &str) -> String {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let mut out = String::with_capacity(s.len());
    for &b in s.as_bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b':' | b'/' | b'@' | b',') {
            out.push(char::from(b));
        } else {
            out.push('%');
            out.push(char::from(HEX[usize::from(b >> 4)]));
            out.push(char::from(HEX[usize::from(b & 0xf)]));
        }
    }
    out
}

/// Decodes percent-escapes (`+` stays `+`); `None` for a broken escape or invalid UTF-8.
fn decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hi = bytes.get(i + 1).and_then(|&b| char::from(b).to_digit(16))?;
            let lo = bytes.get(i + 2).and_then(|&b| char::from(b).to_digit(16))?;
            // Two hex digits always fit in a byte.
            out.push(u8::try_from(hi * 16 + lo).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_language_is_kept_only_when_not_the_default() {
        let vs = ViewState { query: "port:22".into(), lang: "pt-BR".into(), ..ViewState::default() };
        assert_eq!(vs.to_fragment(), "q=port:22&lang=pt-BR");
        assert_eq!(ViewState::from_fragment("#q=port%3A22&lang=pt-BR"), vs);
        assert_eq!(ViewState::from_fragment("lang=pt-br").lang, "pt-BR");
        assert_eq!(ViewState::from_fragment("lang=en").lang, "", "the default is never written");
        assert_eq!(ViewState::from_fragment("lang=xx%3Cb%3E").lang, "");
        assert_eq!(ViewState { query: "a".into(), ..ViewState::default() }.to_fragment(), "q=a");
    }

    #[test]
    fn encode_decode_round_trip() {
        for s in ["", "a b", "&=#%+", "é 日本 🦀", "<script>alert(1)</script>", "%zz", "user:\"Admin/bob\""] {
            let e = encode(s);
            assert!(!e.contains(['&', '=', '#', ' ', '+', '"', '<', '>']), "{e}");
            assert_eq!(decode(&e).as_deref(), Some(s));
        }
    }

    #[test]
    fn broken_escapes_are_rejected() {
        assert_eq!(decode("%"), None);
        assert_eq!(decode("%4"), None);
        assert_eq!(decode("%zz"), None);
        assert_eq!(decode("%ff"), None);
        assert_eq!(decode("a+b").as_deref(), Some("a+b"));
    }

    #[test]
    fn random_fragments_never_panic_and_survivors_round_trip() {
        let pieces = [
            "q=",
            "from=",
            "to=",
            "group=",
            "sel=",
            "fp=",
            "&",
            "=",
            "#",
            "%",
            "%4",
            "%41",
            "%e2%82%ac",
            "a",
            "é",
            "+",
            "2026-10-01T00:00:00Z",
            "0123456789ab",
        ];
        let mut state = 0x2545_f491_4f6c_dd1d_u64;
        for _ in 0..20_000 {
            let mut frag = String::new();
            for _ in 0..(state % 9) {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                frag.push_str(pieces[(state % pieces.len() as u64) as usize]);
            }
            state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
            let v = ViewState::from_fragment(&frag);
            assert_eq!(ViewState::from_fragment(&v.to_fragment()), v, "{frag:?}");
        }
    }

    #[test]
    fn fingerprint_is_short_stable_and_order_free() {
        let a = fingerprint(&[("a.json", 10), ("b.json.gz", 20)]);
        assert_eq!(a.len(), 12);
        assert_eq!(a, fingerprint(&[("b.json.gz", 20), ("a.json", 10)]));
        assert_ne!(a, fingerprint(&[("a.json", 10), ("b.json.gz", 21)]));
        assert_ne!(fingerprint(&[("ab", 1)]), fingerprint(&[("a", 1)]));
        assert!(is_fingerprint(&a));
    }
}
