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
        gap: "15m".to_owned(),
        settings: vec!["failed-burst.min=2".to_owned(), "unknown-source.allow=10.0.0.0/8,192.0.2.1".to_owned()],
        lang: "pt-BR".to_owned(),
    }
}

#[test]
fn round_trips_every_field() {
    let s = full("user:alice port:22");
    let frag = s.to_fragment();
    assert_eq!(ViewState::from_fragment(&frag), s);
    assert_eq!(ViewState::from_fragment(&format!("#{frag}")), s, "a leading # is tolerated");
    assert!(frag.starts_with("q=user:alice%20port:22&from=2026-10-01T08:00:00Z&to=2026-10-01T09:00:00.123Z"), "{frag}");
    assert!(frag.contains("&group=endpoint&sel=3f1c2a9e-0000-4000-8000-000000000001&gap=15m&set="), "{frag}");
}

#[test]
fn the_gap_and_settings_are_kept_only_when_they_look_like_them() {
    let s = ViewState::from_fragment("gap=1h30m&set=off-hours.offset%3D%2B02:00%3B%3Brdp.enabled%3Dfalse");
    assert_eq!(s.gap, "1h30m");
    assert_eq!(s.settings, vec!["off-hours.offset=+02:00".to_owned(), "rdp.enabled=false".to_owned()]);
    assert_eq!(ViewState::from_fragment("gap=10%20minutes").gap, "", "not a duration's characters");
    assert!(ViewState::from_fragment("set=a%0Ab").settings.is_empty(), "control characters");
}

#[test]
fn hostile_strings_round_trip_and_never_break_the_fragment() {
    for h in HOSTILE {
        let s = ViewState { selected: Some((*h).to_owned()), ..full(h) };
        let frag = s.to_fragment();
        for bad in ['&', '=', '#', ' ', '\t', '"', '<', '>', '\'', '%'] {
            // `&`, `=` and `%` appear only as separators and escapes.
            let allowed = match bad {
                '&' => frag.matches('&').count() == 8,
                '=' => frag.matches('=').count() == 9,
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

#[cfg(not(target_arch = "wasm32"))] // proptest: native only
mod properties {
    use proptest::prelude::*;
    use tunnelscope_core::query::TimeWindow;
    use tunnelscope_core::view_state::{ViewState, fingerprint};

    /// 0001-01-01T00:00:00Z and 9999-12-31T23:59:59.999Z: the times RFC 3339 writes with
    /// four-digit years.
    const MIN_MS: i64 = -62_135_596_800_000;
    const MAX_MS: i64 = 253_402_300_799_999;

    /// Text of any characters, with the fragment's own (`&=#%+`) and quotes, spaces, controls
    /// and bidi marks often; sometimes thousands of characters long.
    fn text(max: usize) -> impl Strategy<Value = String> {
        let special = prop::sample::select(
            &['&', '=', '#', '%', '+', ' ', '"', '\'', '<', '>', '\t', '\n', '\0', '\u{202e}', '\u{feff}', '🦀', 'é'][..],
        );
        let ch = prop_oneof![2 => any::<char>(), 1 => special];
        prop_oneof![
            8 => prop::collection::vec(ch, 0..max.min(80)).prop_map(String::from_iter),
            1 => (any::<char>(), 0..=max).prop_map(|(c, n)| std::iter::repeat_n(c, n).collect()),
        ]
    }

    fn window() -> impl Strategy<Value = TimeWindow> {
        (MIN_MS..MAX_MS, prop_oneof![1i64..1000, 1i64..86_400_000, 1i64..i64::MAX / 2])
            .prop_map(|(start_ms, d)| TimeWindow { start_ms, end_ms: start_ms.saturating_add(d).min(MAX_MS) })
            .prop_filter("a window holds an instant", |w| w.start_ms < w.end_ms)
    }

    /// A state the page can hold: the query as typed (up to 4096 characters), a window, a
    /// grouping name, an event ID (no control characters) and a fingerprint.
    fn page_state() -> impl Strategy<Value = ViewState> {
        let grouping = prop_oneof![Just(String::new()), "[a-z0-9_-]{1,32}"];
        let selected = prop::option::of(
            prop::collection::vec(any::<char>().prop_filter("no control", |c| !c.is_control()), 1..60)
                .prop_map(String::from_iter),
        );
        let files = prop::collection::vec((text(20), any::<u64>()), 0..4);
        let fp = prop_oneof![
            Just(String::new()),
            files.prop_map(|f| fingerprint(&f.iter().map(|(n, s)| (n.as_str(), *s)).collect::<Vec<_>>())),
            "[0-9a-f]{12}",
        ];
        let gap = prop_oneof![Just(String::new()), "[0-9]{1,4}[hms]?", "[0-9]{1,2}h[0-9]{1,2}m"];
        let settings = prop::collection::vec("[a-z-]{1,20}\\.[a-z_]{1,8}=[ -:<-~]{0,30}", 0..4);
        let lang = prop_oneof![Just(String::new()), Just("pt-BR".to_owned())];
        (text(4096), prop::option::of(window()), grouping, selected, fp, gap, settings, lang).prop_map(
            |(query, window, grouping, selected, fingerprint, gap, settings, lang)| {
                // What a fragment can hold: no empty or blank settings (they are dropped).
                let settings = settings.into_iter().map(|s| s.trim().to_owned()).filter(|s| !s.is_empty()).collect();
                ViewState { query, window, grouping, selected, fingerprint, gap, settings, lang }
            },
        )
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 1024, failure_persistence: None, ..ProptestConfig::default() })]

        /// Any state the page can hold comes back from its fragment unchanged, and the fragment
        /// is ASCII with `&`, `=` and `%` only as separators and escapes.
        #[test]
        fn any_page_state_round_trips_through_the_fragment(s in page_state()) {
            let frag = s.to_fragment();
            prop_assert_eq!(ViewState::from_fragment(&frag), s.clone(), "{}", frag);
            prop_assert_eq!(ViewState::from_fragment(&format!("#{frag}")), s.clone());
            prop_assert!(frag.is_ascii() && !frag.contains([' ', '#', '"', '\'', '<', '>', '+']), "{}", frag);
            let fields = usize::from(!s.query.is_empty())
                + 2 * usize::from(s.window.is_some())
                + usize::from(!s.grouping.is_empty())
                + usize::from(s.selected.is_some())
                + usize::from(!s.fingerprint.is_empty())
                + usize::from(!s.gap.is_empty())
                + usize::from(!s.settings.is_empty())
                + usize::from(!s.lang.is_empty());
            prop_assert_eq!(frag.matches('=').count(), fields, "{}", frag);
            prop_assert_eq!(frag.split('&').filter(|p| !p.is_empty()).count(), fields, "{}", frag);
        }

        /// Any state at all: what its fragment gives back keeps every field a link may hold
        /// (the rest is dropped, never garbled), and is itself a fixed point.
        #[test]
        fn any_state_keeps_what_a_link_may_hold_and_is_stable(
            query in text(5000),
            window in prop::option::of((any::<i64>(), any::<i64>())),
            grouping in text(40),
            selected in prop::option::of(text(300)),
            fp in prop_oneof![text(14), "[0-9a-f]{12}"],
        ) {
            let window = window.map(|(start_ms, end_ms)| TimeWindow { start_ms, end_ms });
            let s = ViewState { query, window, grouping, selected, fingerprint: fp, ..ViewState::default() };
            let back = ViewState::from_fragment(&s.to_fragment());
            prop_assert_eq!(ViewState::from_fragment(&back.to_fragment()), back.clone());
            let q_ok = s.query.chars().count() <= 4096;
            prop_assert_eq!(&back.query, if q_ok { &s.query } else { "" });
            let g_ok = !s.grouping.is_empty()
                && s.grouping.len() <= 32
                && s.grouping.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_');
            prop_assert_eq!(&back.grouping, if g_ok { &s.grouping } else { "" });
            let sel_ok = |v: &String| !v.is_empty() && v.chars().count() <= 256 && !v.chars().any(char::is_control);
            prop_assert_eq!(back.selected.clone(), s.selected.clone().filter(sel_ok));
            let fp_ok = s.fingerprint.len() == 12 && s.fingerprint.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
            prop_assert_eq!(&back.fingerprint, if fp_ok { &s.fingerprint } else { "" });
            // A window comes back as it was, or not at all; always when RFC 3339 can write it.
            prop_assert!(back.window.is_none() || back.window == s.window, "{:?} -> {:?}", s.window, back.window);
            if let Some(w) = s.window {
                if w.start_ms < w.end_ms && MIN_MS <= w.start_ms && w.end_ms <= MAX_MS {
                    prop_assert_eq!(back.window, s.window);
                }
            }
        }
    }
}
