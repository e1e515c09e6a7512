//! The query language of contracts.md §5: one parser and matcher shared by the app and the CLI.

// Semantics chosen here (also stated in QUERY_HELP, which the app and the CLI render):
// - Terms side by side follow §5: positive terms with the same key are OR-ed, different keys
//   AND-ed; bare words are each their own AND-ed condition, so `alice ssh` narrows as in any
//   search box.
// - `-term` (or `NOT term`) negates one term, and each negated term is its own AND-ed
//   condition, so `-user:a -user:b` excludes both. It is plain logical NOT: a term that does not
//   apply to an event does not match it, so its negation does (`-port:22` keeps non-tunnel events).
// - `OR` and `AND`, upper case and standing alone, combine what is on either side; AND (also
//   the implicit one between terms side by side) binds tighter than OR, as in Kibana, Lucene and
//   SQL: `a b OR c` is `(a b) OR c`. An explicit AND keeps both sides apart, so
//   `user:a AND user:b` needs both while `user:a user:b` is either. Parentheses group, `-(…)` and
//   `NOT (…)` negate a group; an unbalanced or empty pair is an error with its position.
// - `or`, `and`, `not` in any other case are an error, not a word: `user:a or user:b` would
//   otherwise search for "or" and silently match nothing. Quoted (`"or"`) they are words.
// - `*` is a wildcard (any run of characters, also none) where a term matches text: bare words
//   and `user:` match anywhere in the field (`ali*ce`), `event:`, `endpoint:`, `region:` and
//   `account:` match the whole value (`event:Describe*`, `region:eu-*`). `ip:` and `target:`
//   take CIDR ranges, and `port:`, `outcome:` and times take no wildcard: a `*` there is an
//   error, never a silent no-match. Inside quotes `*` is a plain character.
// - Double quotes group text with spaces, colons, parentheses or stars (`"two words"`,
//   `user:"Admin/bob"`); inside quotes `\"` and `\\` escape. A term whose colon comes after a
//   quote is a bare phrase.
// - A term that parses as an IP address (`2001:db8::1`) or starts with `arn:` is a bare word.
// - Every malformed term is an error with its character span; nothing is silently ignored.
// - A parsed query prints back in the language (`Display`): `Query::parse(&q.to_string())`
//   gives `q` again, which `describe` puts in words.

use hashbrown::HashMap;
use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;

use ipnet::IpNet;
use serde::{Deserialize, Serialize};

use crate::dataset::{Dataset, latest_end_ms};
use crate::findings::Severity;
use crate::model::EiceFacts;
use crate::store::{B_EICE, B_FAILED, EventRef, Store, col};
use crate::time::parse_user_time_ms;

/// The documentation of the query language, (term, meaning), rendered by the app and the CLI.
pub const QUERY_HELP: &[(&str, &str)] = &[
    (
        "word",
        "case-insensitive substring of principal, principal ARN, event name, source IP, user agent, endpoint ID, target IP or error code",
    ),
    ("\"two words\"", "a quoted phrase, matched like a word"),
    ("user:X", "principal name or ARN contains X (case-insensitive)"),
    ("ip:CIDR|IP", "source IP in range, IPv4 or IPv6 (a service name such as ec2.amazonaws.com never matches)"),
    ("target:CIDR|IP", "tunnel target private IP in range"),
    ("port:N", "tunnels to port N"),
    ("endpoint:ID", "tunnels and endpoint activity naming that endpoint"),
    ("event:NAME", "event name, exact (case-insensitive)"),
    ("outcome:failed|accepted", "events with / without an errorCode"),
    ("region:R", "Region, exact (ignoring case)"),
    ("account:N", "account ID, exact"),
    ("after:T", "event time >= T (UTC; 2026-10-01 or RFC 3339 such as 2026-10-01T10:00Z)"),
    ("before:T", "event time < T (UTC)"),
    ("active:T", "tunnels whose [start, latest possible end] contains T"),
    ("session:ID", "that session's tunnels (ID: its first tunnel's event ID) and the key pushes paired with them"),
    (
        "finding:RULE|any|ID",
        "evidence events of findings of that rule (failed-burst, unusual-port, …), of any finding, or of one finding by its ID (failed-burst:EVENTID)",
    ),
    ("severity:S", "evidence events of findings of severity S: high, medium, low or info"),
    ("-term", "excludes what term matches; each negated term is its own condition (-port:22 keeps non-tunnel events)"),
    ("NOT term", "the same as -term; NOT (…) and -(…) exclude a group"),
    ("key:\"a b\"", "quotes keep spaces, colons, parentheses and * in a value; \\\" and \\\\ escape inside quotes"),
    ("key:A key:B", "the same key side by side: A or B"),
    ("key:A other:B", "different keys (and separate words) side by side: A and B"),
    ("A OR B", "either (OR in upper case); AND binds tighter: a b OR c means (a b) OR c"),
    ("A AND B", "both, even with the same key: user:alice AND user:admin"),
    ("( … )", "groups terms: (user:alice OR user:carol) port:22; an unclosed ( is an error"),
    (
        "*",
        "wildcard in words and user: (anywhere in the text: ali*ce), event:, endpoint:, region:, account: (the whole value: event:Describe*, region:eu-*); not in ip:/target: (use a CIDR range), port:, outcome: or times",
    ),
    ("or, and, not", "in lower case an error, not a word: write OR / AND / NOT, or quote the word (\"or\")"),
];

/// [`QUERY_HELP`] as plain text, one term a line, meanings aligned after the terms (the CLI's
/// help; the app renders the table itself).
pub fn help_text() -> String {
    let width = QUERY_HELP.iter().map(|(term, _)| term.chars().count()).max().unwrap_or(0);
    let mut out = String::new();
    for (term, meaning) in QUERY_HELP {
        let pad = width - term.chars().count();
        out.push_str(&format!("  {term}{:pad$}  {meaning}\n", ""));
    }
    out
}

/// A half-open time window `[start_ms, end_ms)` in UTC epoch milliseconds; empty (matching nothing) unless `start_ms < end_ms`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct TimeWindow {
    /// Inclusive start.
    pub start_ms: i64,
    /// Exclusive end.
    pub end_ms: i64,
}

impl TimeWindow {
    /// True when the event falls in the window: a tunnel when `[start, latest_end]` overlaps it,
    /// any other event when its time is inside it.
    pub fn contains_event(&self, event: &EventRef<'_>) -> bool {
        if self.is_empty() {
            return false;
        }
        match event.tunnel() {
            Some(t) => {
                let end = latest_end_ms(event.time_ms, t.max_duration_secs);
                event.time_ms < self.end_ms && end >= self.start_ms
            }
            None => self.start_ms <= event.time_ms && event.time_ms < self.end_ms,
        }
    }

    /// True when the window holds no instant (`end_ms <= start_ms`).
    pub fn is_empty(&self) -> bool {
        self.end_ms <= self.start_ms
    }
}

/// A query that failed to parse: a message and the character span of the offending term.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueryError {
    /// What is wrong, for a person.
    pub message: String,
    /// Start of the offending term, in characters (Unicode scalar values) from the input start.
    pub start: usize,
    /// End (exclusive) of the offending term, in characters.
    pub end: usize,
}

impl QueryError {
    /// The span as a byte range of `input`, for slicing or highlighting in Rust strings.
    pub fn byte_range(&self, input: &str) -> std::ops::Range<usize> {
        let byte_at = |c: usize| input.char_indices().nth(c).map_or(input.len(), |(b, _)| b);
        byte_at(self.start)..byte_at(self.end)
    }

    /// The span in UTF-16 code units of `input`, as a browser text input's selection counts.
    pub fn utf16_range(&self, input: &str) -> std::ops::Range<usize> {
        let units = |c: usize| input.chars().take(c).map(char::len_utf16).sum::<usize>();
        units(self.start)..units(self.end)
    }
}

impl fmt::Display for QueryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (at characters {}..{})", self.message, self.start, self.end)
    }
}

impl std::error::Error for QueryError {}

mod index;
mod parse;
mod text;
mod tree;

pub use index::QueryIndex;
pub use parse::format_term;
use parse::*;
use text::*;
pub use tree::FindingSel;
use tree::*;

/// A parsed query (contracts.md §5, with `OR`, `AND`, parentheses and `*`; see the module
/// comment). `Display` prints it back in the language, in a canonical form that parses to the
/// same query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Query {
    root: Node,
}

impl Default for Query {
    /// The empty query: it matches every event.
    fn default() -> Self {
        Self { root: Node::All(Vec::new()) }
    }
}

/// What the terms about a load's sessions and findings select, read from the load: dataset
/// indices, ascending and distinct.
pub trait Marks {
    /// The tunnels of the session with this ID and the key pushes paired with them; empty when
    /// no session has that ID.
    fn session_events(&self, id: &str) -> Vec<u32>;
    /// The evidence events of the findings `sel` means.
    fn finding_events(&self, sel: &FindingSel) -> Vec<u32>;
    /// The evidence events of the findings of this severity.
    fn severity_events(&self, severity: Severity) -> Vec<u32>;
}

impl Query {
    /// True when the query has a `session:`, `finding:` or `severity:` term, which match
    /// nothing until [`Query::bind`] reads them from the load.
    pub fn needs_marks(&self) -> bool {
        self.root.any_cond(&|c| matches!(c, Cond::Session(..) | Cond::Finding(..) | Cond::Severity(..)))
    }

    /// Reads what each `session:`, `finding:` and `severity:` term selects from the load.
    pub fn bind(&mut self, marks: &dyn Marks) {
        self.root.bind(marks);
    }

    /// Parses a query; the empty string (or only spaces) is the empty query, matching everything.
    pub fn parse(input: &str) -> Result<Query, QueryError> {
        let lexemes = lex(input)?;
        if lexemes.is_empty() {
            return Ok(Query::default());
        }
        let mut p = Parser { lexemes, pos: 0, n_chars: input.chars().count() };
        let root = p.or_expr(0)?;
        if let Some(Lex::Close(at)) = p.peek() {
            return Err(QueryError { message: STRAY_CLOSE.to_owned(), start: *at, end: at + 1 });
        }
        Ok(Query { root })
    }

    /// True when the event satisfies the query.
    pub fn matches(&self, event: &EventRef<'_>) -> bool {
        match &self.root {
            Node::All(children) => children.iter().all(|c| c.matches(event)),
            other => other.matches(event),
        }
    }

    /// True when the query has no terms (it matches every event).
    pub fn is_empty(&self) -> bool {
        matches!(&self.root, Node::All(children) if children.is_empty())
    }

    /// The query's conditions, one line each, as the matcher reads them (AND between lines).
    pub fn clauses(&self) -> Vec<String> {
        match &self.root {
            Node::All(children) => children.iter().map(Node::describe).collect(),
            other => vec![other.describe()],
        }
    }

    /// The whole query in words (`everything` when empty).
    pub fn describe(&self) -> String {
        if self.is_empty() { "everything".to_owned() } else { self.root.describe() }
    }
}

impl fmt::Display for Query {
    /// The query in its own language, canonical: terms in evaluation order, groups in
    /// parentheses, same-key alternatives as `(k:a OR k:b)`; `Query::parse` reads it back as
    /// the same query.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = String::new();
        self.root.write(&mut out);
        f.write_str(&out)
    }
}

impl FromStr for Query {
    type Err = QueryError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Query::parse(s)
    }
}

/// Indices into the dataset, ascending, of events matching the query and the window (when given).
pub fn matching_indices(ds: &Dataset, query: &Query, window: Option<TimeWindow>) -> Vec<u32> {
    let mut out = Vec::new();
    for e in ds.iter() {
        if window.is_none_or(|w| w.contains_event(&e)) && query.matches(&e) {
            out.push(e.index);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The terms of the input (operators and parentheses left out).
    fn tokenize(input: &str) -> Result<Vec<Token>, QueryError> {
        Ok(lex(input)?
            .into_iter()
            .filter_map(|l| match l {
                Lex::Term(t) => Some(t),
                _ => None,
            })
            .collect())
    }

    #[test]
    fn ascii_case_insensitive_search() {
        assert!(contains_ascii_ci(b"Hello World", b"world"));
        assert!(contains_ascii_ci(b"Hello World", b"o w"));
        assert!(contains_ascii_ci(b"abc", b""));
        assert!(!contains_ascii_ci(b"ab", b"abc"));
        assert!(contains_ascii_ci(b"aaab", b"aab"));
        assert!(contains_ascii_ci(b"XYZ", b"xyz"));
        assert!(!contains_ascii_ci(b"xy", b"yz"));
    }

    #[test]
    fn unicode_case_insensitive_search() {
        assert!(contains_unicode_ci("Ärger Über", "über"));
        assert!(contains_unicode_ci("ÉCOLE", "école"));
        assert!(!contains_unicode_ci("école", "écoles"));
        assert!(Needle::new(vec!["ÜBER".into()]).found_in("x über y"));
    }

    #[test]
    fn tokens_and_quotes() {
        let t = tokenize(r#"  user:"Admin/bob"  -"two words" a\b "q\"x" "#).unwrap_or_default();
        assert_eq!(t.len(), 4);
        assert_eq!(
            (t[0].key.as_deref(), t[0].value.as_str(), t[0].start, t[0].end),
            (Some("user"), "Admin/bob", 2, 18)
        );
        assert!(t[1].negated && t[1].key.is_none());
        assert_eq!(t[1].value, "two words");
        assert_eq!(t[2].value, "a\\b");
        assert_eq!(t[3].value, "q\"x");
        let ipv6 = tokenize("2001:db8::1 arn:aws:iam::1:user/x \"user:x\"").unwrap_or_default();
        assert!(ipv6.iter().all(|t| t.key.is_none()), "{ipv6:?}");
        assert_eq!(ipv6[0].value, "2001:db8::1");
        assert_eq!(ipv6[2].value, "user:x");
    }

    #[test]
    fn grouping_and_describe() {
        let q = Query::parse("port:22 user:alice port:3389 -event:X after:2026-10-01").unwrap_or_default();
        assert_eq!(
            q.clauses(),
            vec![
                "time >= 2026-10-01T00:00:00Z".to_owned(),
                "port = 22 OR port = 3389".to_owned(),
                "principal contains \"alice\"".to_owned(),
                "NOT event = X".to_owned(),
            ]
        );
        assert!(q.describe().contains("(port = 22 OR port = 3389) AND"));
        assert_eq!(Query::default().describe(), "everything");
        assert!(Query::parse("   ").is_ok_and(|q| q.is_empty()));
    }

    #[test]
    fn format_term_round_trips() {
        for (key, value) in [
            ("user", "Admin/bob"),
            ("user", "two words"),
            ("", "two words"),
            ("", "arn:aws:iam::1:user/x"),
            ("", "-dash"),
            ("user", "q\"uo\\te"),
            ("event", "OpenTunnel"),
            ("", "user:x"),
            ("", "ali*"),
            ("user", "(x)"),
            ("", "or"),
            ("", "NOT"),
            ("event", "OR"),
        ] {
            let term = format_term(key, value);
            let tokens = tokenize(&term).unwrap_or_default();
            assert_eq!(tokens.len(), 1, "{term}");
            assert_eq!(tokens[0].value, value, "{term}");
            assert_eq!(tokens[0].key.as_deref().unwrap_or(""), key, "{term}");
        }
    }

    #[test]
    fn error_byte_range() {
        let e = QueryError { message: String::new(), start: 2, end: 4 };
        assert_eq!(e.byte_range("éébbx"), 4..6);
        assert_eq!(e.utf16_range("🦀ébbx"), 3..5);
        assert_eq!(e.to_string(), " (at characters 2..4)");
    }

    #[test]
    fn parse_never_panics_and_spans_stay_inside_the_input() {
        let pieces = [
            "user:",
            "ip:",
            "port:",
            "-",
            "\"",
            "\\",
            ":",
            "é",
            "🦀",
            " ",
            "\t",
            "a",
            "10.0.0.0/8",
            "::1",
            "after:",
            "2026-10-01",
            "outcome:",
            "failed",
            "x:y",
            "arn:",
            "\u{202e}",
            "-\"",
            "active:",
            "(",
            ")",
            " OR ",
            "AND",
            "NOT ",
            "or",
            "*",
            "-(",
        ];
        let mut state = 0x9e37_79b9_7f4a_7c15_u64;
        for _ in 0..20_000 {
            let mut input = String::new();
            for _ in 0..(state % 7) {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                input.push_str(pieces[(state % pieces.len() as u64) as usize]);
            }
            state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
            if let Err(e) = Query::parse(&input) {
                let n = input.chars().count();
                assert!(e.start < e.end && e.end <= n, "{input:?}: {e}");
                let r = e.byte_range(&input);
                assert!(input.get(r).is_some_and(|t| !t.trim().is_empty()), "{input:?}: {e}");
            }
        }
    }

    #[test]
    fn help_covers_every_key() {
        for key in ["user:", "ip:", "target:", "port:", "endpoint:", "event:", "outcome:", "region:", "account:"] {
            assert!(QUERY_HELP.iter().any(|(t, _)| t.starts_with(key)), "{key}");
        }
        for key in ["after:", "before:", "active:", "-term", "NOT", "A OR B", "A AND B", "(", "*", "or, and, not"] {
            assert!(QUERY_HELP.iter().any(|(t, _)| t.starts_with(key)), "{key}");
        }
    }

    #[test]
    fn help_text_is_the_help_table() {
        let text = help_text();
        assert_eq!(text.lines().count(), QUERY_HELP.len());
        for ((term, meaning), line) in QUERY_HELP.iter().zip(text.lines()) {
            assert!(line.trim_start().starts_with(term) && line.ends_with(meaning), "{line}");
        }
    }
}
