//! The page's languages (issue 23): the browser's choice, digit grouping, every rule and term said
//! in every language, and the English table equal to the words the CLI writes.

use tunnelscope_core::i18n::*;

#[test]
fn the_browser_language_picks_pt_br_for_any_portuguese() {
    let pt = Lang::from_code("pt-BR").unwrap();
    assert_eq!(Lang::from_browser(&["pt-BR", "en"]), pt);
    assert_eq!(Lang::from_browser(&["pt"]), pt);
    assert_eq!(Lang::from_browser(&["pt-PT"]), pt);
    assert_eq!(Lang::from_browser(&["de-DE", "pt_BR"]), pt);
    assert_eq!(Lang::from_browser(&["en-US", "pt-BR"]), Lang::DEFAULT);
    assert_eq!(Lang::from_browser(&["fr"]), Lang::DEFAULT);
    assert_eq!(Lang::from_browser::<&str>(&[]), Lang::DEFAULT);
    assert_eq!(Lang::DEFAULT.code(), "en");
    assert_eq!(Lang::from_code("PT-br"), Some(pt));
    assert_eq!(Lang::from_code("xx"), None);
    assert_eq!(Lang::all().count(), LANGS.len());
}

#[test]
fn numbers_group_per_language() {
    let (en, pt) = (Lang::DEFAULT.texts(), Lang::from_code("pt-BR").unwrap().texts());
    assert_eq!(en.num(1_234_567), "1,234,567");
    assert_eq!(pt.num(1_234_567), "1.234.567");
    assert_eq!(pt.num(999), "999");
    assert_eq!(en.count(1, en.n_files), "1 file");
    assert_eq!(pt.count(2_000, pt.n_events), "2.000 eventos");
    assert_eq!(en.decimal(2.5, 1), "2.5");
    assert_eq!(pt.decimal(2.5, 1), "2,5");
}

#[test]
fn every_language_says_every_rule_and_severity() {
    for l in Lang::all() {
        let t = l.texts();
        for rule in tunnelscope_core::findings::RULES.iter() {
            assert!(!(t.rule_about)(rule.name).is_empty(), "{} {}", t.code, rule.name);
            let said = Said { rule: rule.name.to_owned(), subject: "alice".into(), n: 2, ..Said::default() };
            assert!((t.explain)(&said).starts_with("alice") || rule.name == "trail-tampering");
        }
        for s in SEVERITIES {
            assert!(!(t.severity)(s).is_empty());
        }
        for (term, meaning) in tunnelscope_core::query::QUERY_HELP {
            assert!(!(t.query_help)(term, meaning).is_empty());
        }
    }
}

#[test]
fn the_english_table_says_the_rules_as_the_findings_table_does() {
    let en = Lang::DEFAULT.texts();
    for rule in tunnelscope_core::findings::RULES.iter() {
        assert_eq!((en.rule_about)(rule.name), rule.about, "{}", rule.name);
    }
    assert_eq!(en.params, tunnelscope_core::findings::PARAMS);
}

#[test]
fn the_parsers_usual_errors_are_said_in_pt_br() {
    let pt = Lang::from_code("pt-BR").unwrap().texts();
    for bad in [
        "user:alice OR",
        "OR user:alice",
        "NOT",
        "(user:alice",
        "user:alice)",
        "()",
        "port:x",
        "outcome:maybe",
        "severity:urgent",
        "ip:nowhere",
        "after:yesterday",
        "colour:red",
        "user:",
        "\"open",
        "user:a or user:b",
        "-OR",
        "finding:nope",
    ] {
        let e = tunnelscope_core::query::Query::parse(bad).unwrap_err();
        let said = (pt.query_error)(&e.message);
        assert_ne!(said, e.message, "{bad}: {}", e.message);
        assert_eq!((Lang::DEFAULT.texts().query_error)(&e.message), e.message);
    }
}

#[test]
fn issue_22_reasons_and_the_collision_note_are_said_in_pt_br() {
    let pt = tunnelscope_core::i18n::Lang::from_code("pt-BR").unwrap().texts();
    let note = "2 records reuse an event ID that a different loaded event has (another time, source or name): both are loaded; IDs: \"1\", \"1\"";
    assert!((pt.report_text)(note).starts_with("2 registros reutilizam o ID de evento"), "{}", (pt.report_text)(note));
    let sns = "an Amazon SNS notification of a CloudTrail delivery: it names the log files";
    assert!((pt.report_text)(sns).starts_with("uma notificação do Amazon SNS"));
    let en = tunnelscope_core::i18n::Lang::DEFAULT.texts();
    assert_eq!((en.report_text)(note), note);
}
