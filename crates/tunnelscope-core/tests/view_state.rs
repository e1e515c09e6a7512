//! The URL view state (contracts.md §6): round trips, hostile strings, tolerance and fingerprints.

use tunnelscope_core::query::TimeWindow;
use tunnelscope_core::view_state::{ViewState, fingerprint};

const HOSTILE: &[&str] = &[
    "a&b=c",
    "#frag#ment",
    "100% %41 %zz %",
    "two  spaces and\ttab",
    "+plus+",
    "user:\"Admin/bob\" -event:X",
    "<script>alert(1)</script>",
    "\"><img src=x onerror=alert(1)>",
    "日本語 ünïcödé 🦀",
    "\u{202e}bidi\u{200b}zero-width",
    "?q=1&sel=2",
    "/path/../x",
    "'single' (parens) *star* !bang $dollar ;semi ,comma",
];

fn full(query: &str) -> ViewState {
    ViewState {
        query: query.to_owned(),
        window: Some(TimeWindow { start_ms: 1_790_841_600_000, end_ms: 1_790_845_200_123 }),
        grouping: "endpoint".to_owned(),
        selected: Some("3f1c2a9e-0000-4000-8000-000000000001".to_owned()),
        fingerprint: fingerprint(&[("a.json", 1), ("b.json.gz", 2)]),
    }
}

#[test]
fn round_trips_every_field() {
    let s = full("user:alice port:22");
    let frag = s.to_fragment();
    assert_eq!(ViewState::from_fragment(&frag), s);
    assert_eq!(ViewState::from_fragment(&format!("#{frag}")), s, "a leading # is tolerated");
    assert!(frag.starts_with("q=user:alice%20port:22&from=2026-10-01T08:00:00Z&to=2026-10-01T09:00:00.123Z"), "{frag}");
    assert!(frag.contains("&group=endpoint&sel=3f1c2a9e-0000-4000-8000-000000000001&fp="), "{frag}");
}

#[test]
fn hostile_strings_round_trip_and_never_break_the_fragment() {
    for h in HOSTILE {
        let s = ViewState { selected: Some((*h).to_owned()), ..full(h) };
        let frag = s.to_fragment();
        for bad in ['&', '=', '#', ' ', '\t', '"', '<', '>', '\'', '%'] {
            // `&`, `=` and `%` appear only as separators and escapes.
            let allowed = match bad {
                '&' => frag.matches('&').count() == 5,
                '=' => frag.matches('=').count() == 6,
                '%' => frag.split('%').skip(1).all(|p| p.len() >= 2 && p[..2].chars().all(|c| c.is_ascii_hexdigit())),
                _ => !frag.contains(bad),
            };
            assert!(allowed, "{bad:?} in {frag:?}");
        }
        assert!(frag.is_ascii(), "{frag}");
        let back = ViewState::from_fragment(&frag);
        // Control characters are not a plausible event ID, so `sel` drops them; the query keeps all.
        let want_sel = if h.chars().any(char::is_control) { None } else { Some((*h).to_owned()) };
        assert_eq!(back.query, *h);
        assert_eq!(back.selected, want_sel, "{frag}");
        assert_eq!(back.window, s.window);
    }
}

#[test]
fn empty_fields_are_omitted() {
    assert_eq!(ViewState::default().to_fragment(), "");
    assert_eq!(ViewState::from_fragment(""), ViewState::default());
    assert_eq!(ViewState::from_fragment("#"), ViewState::default());
    let s = ViewState { grouping: "principal".to_owned(), selected: Some(String::new()), ..ViewState::default() };
    assert_eq!(s.to_fragment(), "group=principal");
}

#[test]
fn tolerant_of_unknown_keys_and_bad_values() {
    let s = ViewState::from_fragment(
        "#zzz=1&q=port%3A22&&=&junk&from=nope&to=2026-10-01T00:00:00Z&fp=XYZ&group=<b>&sel=%E0%A4",
    );
    assert_eq!(s, ViewState { query: "port:22".to_owned(), ..ViewState::default() });
    // A window needs both ends, in order.
    let s = ViewState::from_fragment("from=2026-10-02T00:00:00Z&to=2026-10-01T00:00:00Z");
    assert_eq!(s.window, None);
    let s = ViewState::from_fragment("from=2026-10-01T00:00:00Z");
    assert_eq!(s.window, None);
    // Epoch milliseconds are accepted too (hand-made links).
    let s = ViewState::from_fragment("from=1790812800000&to=1790899200000");
    assert_eq!(s.window, Some(TimeWindow { start_ms: 1_790_812_800_000, end_ms: 1_790_899_200_000 }));
    // A later repeat wins; a broken escape drops only that value.
    let s = ViewState::from_fragment("q=a&q=b&q=%G1");
    assert_eq!(s.query, "b");
    // Oversized values are dropped.
    let long = "x".repeat(5000);
    assert_eq!(ViewState::from_fragment(&format!("q={long}")).query, "");
    assert_eq!(ViewState::from_fragment(&format!("sel={long}")).selected, None);
    // `+` is a plus, not a space.
    assert_eq!(ViewState::from_fragment("q=a+b").query, "a+b");
    // Keys are matched after decoding.
    assert_eq!(ViewState::from_fragment("%71=x").query, "x");
}

#[test]
fn never_panics_on_garbage() {
    let garbage = [
        "%",
        "%%",
        "%e2%82",
        "=",
        "&&&",
        "q=%",
        "q",
        "from=&to=",
        "#q=%ff%fe",
        "sel=\u{0}",
        "😀=😀",
        "q=😀%F0%9F%98%80",
    ];
    for g in garbage {
        let s = ViewState::from_fragment(g);
        // Whatever survives round-trips.
        assert_eq!(ViewState::from_fragment(&s.to_fragment()), s, "{g:?}");
    }
    assert_eq!(ViewState::from_fragment("q=😀%F0%9F%98%80").query, "😀😀");
}

#[test]
fn window_edges_round_trip() {
    for (a, b) in [(1, 2), (-86_400_000, 0), (1_790_841_600_001, 1_790_841_600_999), (0, 253_402_300_799_000)] {
        let s = ViewState { window: Some(TimeWindow { start_ms: a, end_ms: b }), ..ViewState::default() };
        assert_eq!(ViewState::from_fragment(&s.to_fragment()).window, s.window, "{a}..{b}: {}", s.to_fragment());
    }
    // An empty window is not a window.
    let s = ViewState { window: Some(TimeWindow { start_ms: 5, end_ms: 5 }), ..ViewState::default() };
    assert_eq!(ViewState::from_fragment(&s.to_fragment()).window, None);
    // Times beyond what RFC 3339 can write are left out, not written wrongly.
    let s = ViewState { window: Some(TimeWindow { start_ms: 0, end_ms: i64::MAX }), ..ViewState::default() };
    assert_eq!(s.to_fragment(), "");
}

#[test]
fn fingerprint_is_stable_order_free_and_short() {
    let a = fingerprint(&[("logs/a.json.gz", 1234), ("logs/b.zip!/x.json", 99)]);
    let b = fingerprint(&[("logs/b.zip!/x.json", 99), ("logs/a.json.gz", 1234)]);
    assert_eq!(a, b);
    assert_eq!(a.len(), 12);
    assert!(a.bytes().all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase()));
    assert_ne!(a, fingerprint(&[("logs/a.json.gz", 1234)]));
    assert_ne!(a, fingerprint(&[("logs/a.json.gz", 1235), ("logs/b.zip!/x.json", 99)]));
    assert_ne!(fingerprint(&[("a", 1), ("b", 2)]), fingerprint(&[("a", 2), ("b", 1)]));
    // Golden values: the same on every platform and in every build (native and wasm).
    assert_eq!(fingerprint(&[]), GOLDEN_EMPTY);
    assert_eq!(a, GOLDEN_AB);
    // The fingerprint survives the fragment.
    let s = ViewState { fingerprint: a.clone(), ..ViewState::default() };
    assert_eq!(ViewState::from_fragment(&s.to_fragment()).fingerprint, a);
}

const GOLDEN_EMPTY: &str = "0174a2367c13";
const GOLDEN_AB: &str = "c73b02ad1fd1";
