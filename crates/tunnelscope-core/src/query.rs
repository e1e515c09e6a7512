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

use std::collections::HashMap;
use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;

use ipnet::IpNet;
use serde::{Deserialize, Serialize};

use crate::dataset::{Dataset, latest_end_ms};
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

/// A case-insensitive text match anywhere in a field (words, `user:`), with `*` wildcards:
/// the pieces between them, in order. Prepared once so matching does not allocate.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Needle {
    /// The pieces between wildcards, as written (one piece when there is no wildcard).
    parts: Vec<String>,
    /// The non-empty pieces, lower-cased.
    lower: Vec<String>,
    ascii: bool,
}

impl Needle {
    fn new(parts: Vec<String>) -> Self {
        let ascii = parts.iter().all(|p| p.is_ascii());
        let lower = parts.iter().filter(|p| !p.is_empty()).map(|p| p.to_lowercase()).collect();
        Self { parts, lower, ascii }
    }

    /// Case-insensitive search: every piece, in order, without overlap.
    fn found_in(&self, hay: &str) -> bool {
        match self.lower.as_slice() {
            [] => true,
            [one] if self.ascii => contains_ascii_ci(hay.as_bytes(), one.as_bytes()),
            [one] => contains_unicode_ci(hay, one),
            pieces => {
                let mut from = 0;
                for piece in pieces {
                    let found = if self.ascii {
                        find_ascii_ci(&hay.as_bytes()[from..], piece.as_bytes()).map(|at| from + at + piece.len())
                    } else {
                        find_unicode_ci(hay, from, piece)
                    };
                    match found {
                        Some(end) => from = end,
                        None => return false,
                    }
                }
                true
            }
        }
    }

    fn has_wildcard(&self) -> bool {
        self.parts.len() > 1
    }
}

/// A whole-value match, ignoring ASCII case (`event:`, `endpoint:`, `region:`, `account:`),
/// with `*` wildcards.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Pattern {
    /// The pieces between wildcards, as written (one piece when there is no wildcard).
    parts: Vec<String>,
    /// The same, ASCII lower-cased.
    lower: Vec<String>,
}

impl Pattern {
    fn new(parts: Vec<String>) -> Self {
        let lower = parts.iter().map(|p| p.to_ascii_lowercase()).collect();
        Self { parts, lower }
    }

    fn matches(&self, hay: &str) -> bool {
        match self.lower.as_slice() {
            [one] => hay.eq_ignore_ascii_case(one),
            [first, middle @ .., last] => {
                let h = hay.as_bytes();
                if h.len() < first.len() + last.len()
                    || !h[..first.len()].eq_ignore_ascii_case(first.as_bytes())
                    || !h[h.len() - last.len()..].eq_ignore_ascii_case(last.as_bytes())
                {
                    return false;
                }
                // The pieces between, leftmost first: with `*` only, the earliest fit is never wrong.
                let mut rest = &h[first.len()..h.len() - last.len()];
                for piece in middle {
                    match find_ascii_ci(rest, piece.as_bytes()) {
                        Some(at) => rest = &rest[at + piece.len()..],
                        None => return false,
                    }
                }
                true
            }
            [] => true,
        }
    }

    fn has_wildcard(&self) -> bool {
        self.parts.len() > 1
    }

    /// As written, `*` for wildcards (for descriptions).
    fn shown(&self) -> String {
        self.parts.join("*")
    }
}

/// ASCII case-insensitive substring search; `needle` is already lower-case.
fn contains_ascii_ci(hay: &[u8], needle: &[u8]) -> bool {
    find_ascii_ci(hay, needle).is_some()
}

/// Where `needle` (lower-case) first occurs in `hay`, ignoring ASCII case.
fn find_ascii_ci(hay: &[u8], needle: &[u8]) -> Option<usize> {
    let Some((&first, rest)) = needle.split_first() else {
        return Some(0);
    };
    if needle.len() > hay.len() {
        return None;
    }
    let last_start = hay.len() - needle.len();
    let first_upper = first.to_ascii_uppercase();
    let mut i = 0;
    while i <= last_start {
        // Scan for the first byte in either case, then compare the rest.
        match hay[i..=last_start].iter().position(|&b| b == first || b == first_upper) {
            None => return None,
            Some(p) => {
                let at = i + p;
                if hay[at + 1..at + needle.len()].iter().zip(rest).all(|(h, n)| h.to_ascii_lowercase() == *n) {
                    return Some(at);
                }
                i = at + 1;
            }
        }
    }
    None
}

/// Unicode case-insensitive substring search without allocating; `needle` is lower-case.
fn contains_unicode_ci(hay: &str, needle: &str) -> bool {
    if needle.is_empty() {
        return true;
    }
    hay.char_indices().any(|(i, _)| {
        let mut lowered = hay[i..].chars().flat_map(char::to_lowercase);
        needle.chars().all(|n| lowered.next() == Some(n))
    })
}

/// The byte end of the first match of `needle` (lower-case, not empty) in `hay` from byte
/// `from`, ignoring case as [`contains_unicode_ci`] does.
fn find_unicode_ci(hay: &str, from: usize, needle: &str) -> Option<usize> {
    let tail = hay.get(from..)?;
    tail.char_indices().find_map(|(i, _)| {
        let mut want = needle.chars().peekable();
        for (j, c) in tail[i..].char_indices() {
            for lc in c.to_lowercase() {
                match want.next() {
                    Some(n) if n == lc => {}
                    Some(_) => return None,
                    None => break,
                }
            }
            if want.peek().is_none() {
                return Some(from + i + j + c.len_utf8());
            }
        }
        None
    })
}

/// The keys of the language, in evaluation order (cheap checks first).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
enum Key {
    After,
    Before,
    Active,
    Outcome,
    Port,
    Region,
    Account,
    Event,
    Endpoint,
    Target,
    Ip,
    User,
    Word,
}

impl Key {
    fn from_name(name: &str) -> Option<Self> {
        Some(match name.to_ascii_lowercase().as_str() {
            "user" => Self::User,
            "ip" => Self::Ip,
            "target" => Self::Target,
            "port" => Self::Port,
            "endpoint" => Self::Endpoint,
            "event" => Self::Event,
            "outcome" => Self::Outcome,
            "region" => Self::Region,
            "account" => Self::Account,
            "after" => Self::After,
            "before" => Self::Before,
            "active" => Self::Active,
            _ => return None,
        })
    }
}

/// One parsed condition.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Cond {
    Word(Needle),
    User(Needle),
    Ip(IpNet),
    Target(IpNet),
    Port(u32),
    Endpoint(Pattern),
    Event(Pattern),
    Failed(bool),
    Region(Pattern),
    Account(Pattern),
    /// A time, and the text it was read from (printed back as written).
    After(i64, String),
    Before(i64, String),
    Active(i64, String),
}

impl Cond {
    fn matches(&self, e: &EventRef<'_>) -> bool {
        match self {
            Self::Word(n) => word_matches(n, e),
            Self::User(n) => n.found_in(e.principal) || n.found_in(e.principal_arn),
            Self::Ip(net) => ip_in(net, e.source_ip),
            Self::Target(net) => e.tunnel().is_some_and(|t| ip_in(net, &t.private_ip)),
            Self::Port(p) => e.tunnel().is_some_and(|t| t.port == Some(*p)),
            Self::Endpoint(id) => names_endpoint(e, id),
            Self::Event(name) => name.matches(e.event_name),
            Self::Failed(failed) => e.is_failed() == *failed,
            Self::Region(r) => r.matches(e.region),
            Self::Account(a) => a.matches(e.account),
            Self::After(t, _) => e.time_ms >= *t,
            Self::Before(t, _) => e.time_ms < *t,
            Self::Active(t, _) => {
                e.tunnel().is_some_and(|f| e.time_ms <= *t && *t <= latest_end_ms(e.time_ms, f.max_duration_secs))
            }
        }
    }

    fn describe(&self) -> String {
        let text = |n: &Needle| {
            if n.has_wildcard() {
                format!("matches {:?}", format!("*{}*", n.parts.join("*").to_lowercase()))
            } else {
                format!("contains {:?}", n.lower.first().map_or("", String::as_str))
            }
        };
        let exact = |what: &str, p: &Pattern| {
            if p.has_wildcard() { format!("{what} matches {:?}", p.shown()) } else { format!("{what} = {}", p.shown()) }
        };
        match self {
            Self::Word(n) => format!("text {}", text(n)),
            Self::User(n) => format!("principal {}", text(n)),
            Self::Ip(net) => format!("source IP in {net}"),
            Self::Target(net) => format!("target IP in {net}"),
            Self::Port(p) => format!("port = {p}"),
            Self::Endpoint(id) => exact("endpoint", id),
            Self::Event(name) => exact("event", name),
            Self::Failed(true) => "outcome = failed".to_owned(),
            Self::Failed(false) => "outcome = accepted".to_owned(),
            Self::Region(r) => exact("region", r),
            Self::Account(a) => exact("account", a),
            Self::After(t, _) => format!("time >= {}", crate::time::format_rfc3339(*t)),
            Self::Before(t, _) => format!("time < {}", crate::time::format_rfc3339(*t)),
            Self::Active(t, _) => format!("tunnel active at {}", crate::time::format_rfc3339(*t)),
        }
    }

    /// The term in the query language, parsing back to this condition.
    fn term(&self) -> String {
        match self {
            Self::Word(n) => pattern_text("", &n.parts),
            Self::User(n) => pattern_text("user", &n.parts),
            Self::Ip(net) => format!("ip:{net}"),
            Self::Target(net) => format!("target:{net}"),
            Self::Port(p) => format!("port:{p}"),
            Self::Endpoint(p) => pattern_text("endpoint", &p.parts),
            Self::Event(p) => pattern_text("event", &p.parts),
            Self::Failed(true) => "outcome:failed".to_owned(),
            Self::Failed(false) => "outcome:accepted".to_owned(),
            Self::Region(p) => pattern_text("region", &p.parts),
            Self::Account(p) => pattern_text("account", &p.parts),
            Self::After(_, text) => format_term("after", text),
            Self::Before(_, text) => format_term("before", text),
            Self::Active(_, text) => format_term("active", text),
        }
    }
}

/// The fields a bare word searches.
fn word_matches(n: &Needle, e: &EventRef<'_>) -> bool {
    if n.found_in(e.principal)
        || n.found_in(e.principal_arn)
        || n.found_in(e.event_name)
        || n.found_in(e.source_ip)
        || n.found_in(e.error_code)
    {
        return true;
    }
    let in_eice = match e.eice {
        Some(EiceFacts::Tunnel(t)) => n.found_in(&t.endpoint_id) || n.found_in(&t.private_ip),
        Some(EiceFacts::Endpoint(a)) => a.endpoint_ids.iter().any(|id| n.found_in(id)),
        _ => false,
    };
    // The user agent is the longest field; test it last.
    in_eice || n.found_in(e.user_agent)
}

/// True when the event is a tunnel or endpoint activity naming this endpoint (without the
/// allocation of `Event::endpoint_ids`).
fn names_endpoint(e: &EventRef<'_>, id: &Pattern) -> bool {
    match e.eice {
        Some(EiceFacts::Tunnel(t)) => id.matches(&t.endpoint_id),
        Some(EiceFacts::Endpoint(a)) => a.endpoint_ids.iter().any(|x| id.matches(x)),
        _ => false,
    }
}

/// True when `text` is an IP address inside `net`.
fn ip_in(net: &IpNet, text: &str) -> bool {
    parse_ip(text).is_some_and(|addr| net_contains(net, addr))
}

/// A logged address as an IP, `None` for service names such as `ec2.amazonaws.com`.
fn parse_ip(text: &str) -> Option<IpAddr> {
    text.trim().parse::<IpAddr>().ok()
}

/// Range test where IPv4-mapped IPv6 addresses count as IPv4.
fn net_contains(net: &IpNet, addr: IpAddr) -> bool {
    match (net, addr) {
        (IpNet::V4(n), IpAddr::V6(a)) => a.to_ipv4_mapped().is_some_and(|v4| n.contains(&v4)),
        _ => net.contains(&addr),
    }
}

/// The message for a `)` without its `(`.
const STRAY_CLOSE: &str = "this ) has no ( to close";
/// The message for a `(` without its `)`.
const UNCLOSED: &str = "this ( is never closed: add a )";

/// Parentheses (and `NOT`s) nested deeper than this are an error: the parser and the matchers
/// recurse, and a query can come from a link.
const MAX_DEPTH: usize = 32;

/// A query as a tree. Built only through [`Node::all`], [`Node::any`] and [`Node::not`], which
/// keep one canonical shape (no nested `All` in `All` or `Any` in `Any`, no one-child groups, no
/// double negation, `All` children in evaluation order), so equal trees print alike.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Node {
    /// Every child matches (no children: everything matches).
    All(Vec<Node>),
    /// Some child matches.
    Any(Vec<Node>),
    Not(Box<Node>),
    Term(Key, Cond),
}

impl Node {
    fn all(children: Vec<Node>) -> Node {
        let mut out = Vec::with_capacity(children.len());
        for child in children {
            match child {
                Node::All(grand) => out.extend(grand),
                other => out.push(other),
            }
        }
        if out.len() == 1 {
            if let Some(only) = out.pop() {
                return only;
            }
        }
        // Cheap keys first, negations after; the sort is stable, so the user's order is kept
        // among equals.
        out.sort_by_key(Node::rank);
        Node::All(out)
    }

    fn any(children: Vec<Node>) -> Node {
        let mut out = Vec::with_capacity(children.len());
        for child in children {
            match child {
                Node::Any(grand) => out.extend(grand),
                other => out.push(other),
            }
        }
        if out.len() == 1 {
            if let Some(only) = out.pop() {
                return only;
            }
        }
        Node::Any(out)
    }

    fn not(node: Node) -> Node {
        match node {
            Node::Not(inner) => *inner,
            other => Node::Not(Box::new(other)),
        }
    }

    /// Order among the children of an `All`: terms (and same-key groups) by key, then negated
    /// terms by key, then other groups.
    fn rank(&self) -> (u8, Key) {
        match self {
            Node::Term(key, _) => (0, *key),
            Node::Any(children) => match same_key(children) {
                Some(key) => (0, key),
                None => (2, Key::Word),
            },
            Node::Not(inner) => match **inner {
                Node::Term(key, _) => (1, key),
                _ => (3, Key::Word),
            },
            Node::All(_) => (2, Key::Word),
        }
    }

    /// A condition inline, a group through [`Node::group_matches`] (as [`QueryIndex`] does).
    #[inline(always)]
    fn matches(&self, e: &EventRef<'_>) -> bool {
        match self {
            Node::Term(_, cond) => cond.matches(e),
            group => group.group_matches(e),
        }
    }

    #[inline(never)]
    fn group_matches(&self, e: &EventRef<'_>) -> bool {
        match self {
            Node::All(children) => children.iter().all(|c| c.matches(e)),
            Node::Any(children) => children.iter().any(|c| c.matches(e)),
            Node::Not(inner) => !inner.matches(e),
            Node::Term(_, cond) => cond.matches(e),
        }
    }

    /// The tree in words; `Any` inside `All` (and any group under NOT) in parentheses.
    fn describe(&self) -> String {
        let wrap = |n: &Node, bare: bool| if bare { n.describe() } else { format!("({})", n.describe()) };
        match self {
            Node::Term(_, cond) => cond.describe(),
            Node::Not(inner) => format!("NOT {}", wrap(inner, matches!(**inner, Node::Term(..)))),
            Node::All(children) => {
                children.iter().map(|c| wrap(c, !matches!(c, Node::Any(_)))).collect::<Vec<_>>().join(" AND ")
            }
            Node::Any(children) => {
                children.iter().map(|c| wrap(c, !matches!(c, Node::All(_)))).collect::<Vec<_>>().join(" OR ")
            }
        }
    }

    /// The tree in the query language (see [`Query`]'s `Display`).
    fn write(&self, out: &mut String) {
        let group = |n: &Node, out: &mut String| {
            out.push('(');
            n.write(out);
            out.push(')');
        };
        match self {
            Node::Term(_, cond) => out.push_str(&cond.term()),
            Node::Not(inner) => {
                out.push('-');
                match **inner {
                    Node::Term(..) => inner.write(out),
                    _ => group(inner, out),
                }
            }
            Node::All(children) => {
                // Side by side, two positive terms with one key would read as either: then
                // every child is joined by an explicit AND.
                let mut keys: Vec<Key> = children
                    .iter()
                    .filter_map(|c| match c {
                        Node::Term(k, _) if *k != Key::Word => Some(*k),
                        _ => None,
                    })
                    .collect();
                let n = keys.len();
                keys.dedup();
                let sep = if keys.len() < n { " AND " } else { " " };
                for (i, c) in children.iter().enumerate() {
                    if i > 0 {
                        out.push_str(sep);
                    }
                    match c {
                        Node::Any(_) => group(c, out),
                        _ => c.write(out),
                    }
                }
            }
            Node::Any(children) => {
                for (i, c) in children.iter().enumerate() {
                    if i > 0 {
                        out.push_str(" OR ");
                    }
                    match c {
                        Node::All(_) => group(c, out),
                        _ => c.write(out),
                    }
                }
            }
        }
    }
}

/// The key shared by a group of positive terms, if they all have one.
fn same_key(children: &[Node]) -> Option<Key> {
    let mut key = None;
    for c in children {
        match (c, key) {
            (Node::Term(k, _), None) => key = Some(*k),
            (Node::Term(k, _), Some(prev)) if *k == prev => {}
            _ => return None,
        }
    }
    key
}

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

impl Query {
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

/// Marks "no value" in the index's id columns (non-tunnels have no target, no port).
const NONE: u32 = u32::MAX;

/// What the query language reads beyond the dataset's own columns, built once per load: the
/// tunnel and endpoint facts of the (few) EICE events, and the distinct source IPs parsed once.
/// String conditions are compiled into hit tables over each column's distinct values, so
/// re-filtering reads small integer columns instead of every event's strings, and gives
/// [`matching_indices`]' results.
#[derive(Debug, Clone, Default)]
pub struct QueryIndex {
    /// Events in the dataset when built (a different count means it is stale).
    n_events: usize,
    /// Per EICE event index, its slot in the sparse columns below.
    slot: HashMap<u32, u32>,
    /// Latest possible end for tunnels, the event time otherwise.
    end: Vec<i64>,
    /// Per slot, the tunnel's port (`None`: no tunnel, or no port; every `u32` is a port the
    /// data can hold, so none of them marks absence).
    port: Vec<Option<u32>>,
    is_tunnel: Vec<bool>,
    target: Vec<u32>,
    targets: Vec<String>,
    target_ips: Vec<Option<IpAddr>>,
    /// Endpoint IDs per slot in compressed-row form: slot `k` names `ep_list[ep_start[k]..ep_start[k + 1]]`.
    ep_start: Vec<u32>,
    ep_list: Vec<u32>,
    endpoints: Vec<String>,
    /// The dataset's distinct source IPs parsed as addresses, by string id.
    source_ips: Vec<Option<IpAddr>>,
}

/// Gives each distinct string a dense id while building the index.
struct Interner<'a> {
    ids: HashMap<&'a str, u32>,
    values: Vec<String>,
}

impl<'a> Interner<'a> {
    fn new() -> Self {
        Self { ids: HashMap::new(), values: Vec::new() }
    }

    fn id(&mut self, s: &'a str) -> u32 {
        if let Some(&id) = self.ids.get(s) {
            return id;
        }
        // Distinct values never outnumber events, whose indices are u32.
        let id = u32::try_from(self.values.len()).unwrap_or(NONE);
        self.values.push(s.to_owned());
        self.ids.insert(s, id);
        id
    }
}

/// A condition compiled against an index: string conditions become a hit table over the
/// distinct values, evaluated once per query instead of once per event.
#[derive(Debug)]
enum Pred {
    /// A dataset column (`store::col`) and hits over its distinct values.
    Hits(usize, Vec<bool>),
    /// Principal name or ARN.
    User(Vec<bool>, Vec<bool>),
    Target(Vec<bool>),
    Endpoint(Vec<bool>),
    Word(Box<WordHits>),
    Port(u32),
    Failed(bool),
    After(i64),
    Before(i64),
    Active(i64),
}

/// A query's tree with its conditions compiled.
#[derive(Debug)]
enum PNode {
    All(Vec<PNode>),
    Any(Vec<PNode>),
    Not(Box<PNode>),
    Leaf(Pred),
}

/// Hit tables of a bare word, one per searched field.
#[derive(Debug)]
struct WordHits {
    principal: Vec<bool>,
    arn: Vec<bool>,
    event: Vec<bool>,
    source: Vec<bool>,
    error: Vec<bool>,
    target: Vec<bool>,
    endpoint: Vec<bool>,
    agent: Vec<bool>,
}

/// The hit for an id, `false` for [`NONE`].
fn hit(table: &[bool], id: u32) -> bool {
    table.get(id as usize).copied().unwrap_or(false)
}

impl QueryIndex {
    /// Indexes the events of a dataset.
    pub fn new(ds: &Dataset) -> Self {
        let mut ix = QueryIndex { n_events: ds.len(), ep_start: vec![0], ..QueryIndex::default() };
        let (mut tg, mut ep) = (Interner::new(), Interner::new());
        for (i, e) in ds.fact_events() {
            let tunnel = e.tunnel();
            if tunnel.is_none() && e.endpoint_activity().is_none() {
                continue;
            }
            ix.slot.insert(i, ix.end.len() as u32);
            ix.end.push(tunnel.map_or(e.time_ms, |t| latest_end_ms(e.time_ms, t.max_duration_secs)));
            ix.is_tunnel.push(tunnel.is_some());
            ix.port.push(tunnel.and_then(|t| t.port));
            ix.target.push(tunnel.map_or(NONE, |t| tg.id(&t.private_ip)));
            match &e.eice {
                Some(EiceFacts::Tunnel(t)) => ix.ep_list.push(ep.id(&t.endpoint_id)),
                Some(EiceFacts::Endpoint(a)) => ix.ep_list.extend(a.endpoint_ids.iter().map(|id| ep.id(id))),
                _ => {}
            }
            ix.ep_start.push(u32::try_from(ix.ep_list.len()).unwrap_or(NONE));
        }
        (ix.targets, ix.endpoints) = (tg.values, ep.values);
        ix.target_ips = ix.targets.iter().map(|s| parse_ip(s)).collect();
        ix.source_ips = ds.store().dict[col::SOURCE_IP].values().iter().map(|s| parse_ip(s)).collect();
        ix
    }

    /// Number of events indexed.
    pub fn len(&self) -> usize {
        self.n_events
    }

    /// True when no events are indexed.
    pub fn is_empty(&self) -> bool {
        self.n_events == 0
    }

    /// Indices of events, ascending, matching the query and the window, like [`matching_indices`].
    pub fn matching_indices(&self, ds: &Dataset, query: &Query, window: Option<TimeWindow>) -> Vec<u32> {
        if ds.len() != self.n_events {
            // Built for another load: the exact scan.
            return matching_indices(ds, query, window);
        }
        let mut out = Vec::new();
        if window.is_some_and(|w| w.is_empty()) {
            return out;
        }
        let store = ds.store();
        if query.is_empty() && window.is_none() {
            return (0..self.n_events as u32).collect();
        }
        let root = self.compile_node(ds, &query.root);
        // The top-level conditions in the loop itself (the usual query is a few of them).
        let top: &[PNode] = match &root {
            PNode::All(children) => children,
            other => std::slice::from_ref(other),
        };
        out.reserve(self.n_events / 8);
        for i in 0..self.n_events {
            let slot = if store.bits[i] & B_EICE != 0 { self.slot.get(&(i as u32)).copied() } else { None };
            let time = store.time[i];
            let in_window = window.is_none_or(|w| {
                let end = slot.map_or(time, |k| self.end[k as usize]);
                time < w.end_ms && end >= w.start_ms
            });
            if in_window && top.iter().all(|c| self.eval_node(store, c, i, slot)) {
                // Indexed slices come from a dataset, whose indices are u32.
                out.push(i as u32);
            }
        }
        out
    }

    /// The query's tree with each condition compiled.
    fn compile_node(&self, ds: &Dataset, node: &Node) -> PNode {
        match node {
            Node::All(children) => PNode::All(children.iter().map(|c| self.compile_node(ds, c)).collect()),
            Node::Any(children) => PNode::Any(children.iter().map(|c| self.compile_node(ds, c)).collect()),
            Node::Not(inner) => PNode::Not(Box::new(self.compile_node(ds, inner))),
            Node::Term(_, cond) => PNode::Leaf(self.compile(ds, cond)),
        }
    }

    /// A condition inline, a group through [`Self::eval_group`] (the recursion stays out of the
    /// per-event loop, so the common flat query evaluates as a plain loop over conditions).
    #[inline(always)]
    fn eval_node(&self, store: &Store, node: &PNode, i: usize, slot: Option<u32>) -> bool {
        match node {
            PNode::Leaf(p) => self.eval(store, p, i, slot),
            group => self.eval_group(store, group, i, slot),
        }
    }

    #[inline(never)]
    fn eval_group(&self, store: &Store, node: &PNode, i: usize, slot: Option<u32>) -> bool {
        match node {
            PNode::Leaf(p) => self.eval(store, p, i, slot),
            PNode::All(children) => children.iter().all(|c| self.eval_node(store, c, i, slot)),
            PNode::Any(children) => children.iter().any(|c| self.eval_node(store, c, i, slot)),
            PNode::Not(inner) => !self.eval_node(store, inner, i, slot),
        }
    }

    /// Evaluates a condition over the distinct values, with the same functions as the scan.
    fn compile(&self, ds: &Dataset, c: &Cond) -> Pred {
        fn table<T: ?Sized>(values: &[impl std::ops::Deref<Target = T>], f: impl Fn(&T) -> bool) -> Vec<bool> {
            values.iter().map(|v| f(v)).collect()
        }
        let dict = |c: usize| ds.store().dict[c].values();
        match c {
            Cond::Word(n) => Pred::Word(Box::new(WordHits {
                principal: table(dict(col::PRINCIPAL), |s: &str| n.found_in(s)),
                arn: table(dict(col::ARN), |s: &str| n.found_in(s)),
                event: table(dict(col::NAME), |s: &str| n.found_in(s)),
                source: table(dict(col::SOURCE_IP), |s: &str| n.found_in(s)),
                error: table(dict(col::ERROR), |s: &str| n.found_in(s)),
                target: self.targets.iter().map(|s| n.found_in(s)).collect(),
                endpoint: self.endpoints.iter().map(|s| n.found_in(s)).collect(),
                agent: table(dict(col::AGENT), |s: &str| n.found_in(s)),
            })),
            Cond::User(n) => Pred::User(
                table(dict(col::PRINCIPAL), |s: &str| n.found_in(s)),
                table(dict(col::ARN), |s: &str| n.found_in(s)),
            ),
            Cond::Ip(net) => Pred::Hits(
                col::SOURCE_IP,
                self.source_ips.iter().map(|a| a.is_some_and(|a| net_contains(net, a))).collect(),
            ),
            Cond::Target(net) => {
                Pred::Target(self.target_ips.iter().map(|a| a.is_some_and(|a| net_contains(net, a))).collect())
            }
            Cond::Port(p) => Pred::Port(*p),
            Cond::Endpoint(id) => Pred::Endpoint(self.endpoints.iter().map(|s| id.matches(s)).collect()),
            Cond::Event(name) => Pred::Hits(col::NAME, table(dict(col::NAME), |s: &str| name.matches(s))),
            Cond::Failed(f) => Pred::Failed(*f),
            Cond::Region(r) => Pred::Hits(col::REGION, table(dict(col::REGION), |s: &str| r.matches(s))),
            Cond::Account(a) => Pred::Hits(col::ACCOUNT, table(dict(col::ACCOUNT), |s: &str| a.matches(s))),
            Cond::After(t, _) => Pred::After(*t),
            Cond::Before(t, _) => Pred::Before(*t),
            Cond::Active(t, _) => Pred::Active(*t),
        }
    }

    fn endpoints_of(&self, slot: Option<u32>) -> &[u32] {
        match slot {
            Some(k) => {
                let k = k as usize;
                &self.ep_list[self.ep_start[k] as usize..self.ep_start[k + 1] as usize]
            }
            None => &[],
        }
    }

    fn eval(&self, store: &Store, p: &Pred, i: usize, slot: Option<u32>) -> bool {
        let target = || slot.map_or(NONE, |k| self.target[k as usize]);
        match p {
            Pred::Hits(c, hits) => hit(hits, store.sid(*c, i)),
            Pred::User(names, arns) => hit(names, store.sid(col::PRINCIPAL, i)) || hit(arns, store.sid(col::ARN, i)),
            Pred::Target(hits) => hit(hits, target()),
            Pred::Endpoint(hits) => self.endpoints_of(slot).iter().any(|&id| hit(hits, id)),
            Pred::Word(w) => {
                hit(&w.principal, store.sid(col::PRINCIPAL, i))
                    || hit(&w.arn, store.sid(col::ARN, i))
                    || hit(&w.event, store.sid(col::NAME, i))
                    || hit(&w.source, store.sid(col::SOURCE_IP, i))
                    || hit(&w.error, store.sid(col::ERROR, i))
                    || hit(&w.target, target())
                    || self.endpoints_of(slot).iter().any(|&id| hit(&w.endpoint, id))
                    || hit(&w.agent, store.sid(col::AGENT, i))
            }
            Pred::Port(port) => slot.is_some_and(|k| self.port[k as usize] == Some(*port)),
            Pred::Failed(f) => (store.bits[i] & B_FAILED != 0) == *f,
            Pred::After(t) => store.time[i] >= *t,
            Pred::Before(t) => store.time[i] < *t,
            Pred::Active(t) => slot.is_some_and(|k| {
                let k = k as usize;
                self.is_tunnel[k] && store.time[i] <= *t && *t <= self.end[k]
            }),
        }
    }
}

/// Writes one term of the query language so that it parses back to exactly `value`, quoting
/// when needed (for "click a value to filter"); an empty `key` makes a bare word or phrase.
/// A `*` in `value` is quoted too, so it stays a plain character.
pub fn format_term(key: &str, value: &str) -> String {
    let body = quote_if_needed(value, key.is_empty());
    if key.is_empty() { body } else { format!("{key}:{body}") }
}

/// `value` as it must be written to be read literally: as is, or in quotes.
fn quote_if_needed(value: &str, bare: bool) -> String {
    let plain = !value.is_empty()
        && !value.starts_with('-')
        && !value.chars().any(|c| c.is_whitespace() || matches!(c, '"' | '\\' | '*' | '(' | ')') || (bare && c == ':'))
        && (!bare || !OPERATORS.iter().any(|op| value.eq_ignore_ascii_case(op)));
    if plain {
        return value.to_owned();
    }
    let mut s = String::with_capacity(value.len() + 2);
    s.push('"');
    for c in value.chars() {
        if c == '"' || c == '\\' {
            s.push('\\');
        }
        s.push(c);
    }
    s.push('"');
    s
}

/// A term whose value has wildcards between `parts` (each written literally).
fn pattern_text(key: &str, parts: &[String]) -> String {
    let body: Vec<String> =
        parts.iter().map(|p| if p.is_empty() { String::new() } else { quote_if_needed(p, key.is_empty()) }).collect();
    let body = body.join("*");
    if key.is_empty() { body } else { format!("{key}:{body}") }
}

/// The words that combine terms, in the only case that does.
const OPERATORS: [&str; 3] = ["OR", "AND", "NOT"];

/// One term before interpretation.
#[derive(Debug)]
struct Token {
    negated: bool,
    /// The key as typed, when an unquoted `name:` starts the term.
    key: Option<String>,
    /// The value with quotes removed (a wildcard shows as `*`).
    value: String,
    /// The value split at its wildcards (unquoted `*`); one piece when it has none.
    parts: Vec<String>,
    /// The value was written with quotes (so it is never reinterpreted as a key or operator).
    quoted: bool,
    /// Character span of the whole term, for errors.
    start: usize,
    end: usize,
}

impl Token {
    fn error(&self, message: impl Into<String>) -> QueryError {
        QueryError { message: message.into(), start: self.start, end: self.end }
    }

    fn has_wildcard(&self) -> bool {
        self.parts.len() > 1
    }
}

/// What the input is made of: terms, operators and parentheses (spans in characters).
#[derive(Debug)]
enum Lex {
    Term(Token),
    Open(usize),
    Close(usize),
    /// `-` right before `(`.
    Minus,
    Or(usize, usize),
    And(usize, usize),
    Not(usize, usize),
}

/// Splits the input into terms, operators and parentheses, honouring quotes.
fn lex(input: &str) -> Result<Vec<Lex>, QueryError> {
    let chars: Vec<char> = input.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        match chars[i] {
            c if c.is_whitespace() => {
                i += 1;
                continue;
            }
            '(' => {
                out.push(Lex::Open(i));
                i += 1;
                continue;
            }
            ')' => {
                out.push(Lex::Close(i));
                i += 1;
                continue;
            }
            _ => {}
        }
        let start = i;
        let negated = chars[i] == '-';
        if negated {
            i += 1;
            if chars.get(i) == Some(&'(') {
                out.push(Lex::Minus);
                continue;
            }
        }
        // The term's characters, each with whether it was quoted (a quoted `*` is literal).
        let mut text: Vec<(char, bool)> = Vec::new();
        let mut colon = None;
        let mut quoted = false;
        while i < chars.len() && !chars[i].is_whitespace() && chars[i] != '(' && chars[i] != ')' {
            let c = chars[i];
            if c == '"' {
                quoted = true;
                i += 1;
                let mut closed = false;
                while i < chars.len() {
                    match chars[i] {
                        '"' => {
                            closed = true;
                            i += 1;
                            break;
                        }
                        '\\' if i + 1 < chars.len() => {
                            text.push((chars[i + 1], true));
                            i += 2;
                        }
                        ch => {
                            text.push((ch, true));
                            i += 1;
                        }
                    }
                }
                if !closed {
                    return Err(QueryError {
                        message: "unterminated quote: add a closing \"".to_owned(),
                        start,
                        end: chars.len(),
                    });
                }
            } else {
                if c == ':' && colon.is_none() && !quoted {
                    colon = Some(text.len());
                }
                text.push((c, false));
                i += 1;
            }
        }
        let end = i;
        let mut key = None;
        let mut value = &text[..];
        if let Some(at) = colon {
            // IPv6 addresses and ARNs contain colons but are words, not keys.
            let k: String = text[..at].iter().map(|&(c, _)| c).collect();
            let whole: String = text.iter().map(|&(c, _)| c).collect();
            let is_word = k.eq_ignore_ascii_case("arn")
                || k.is_empty()
                || !k.chars().all(|c| c.is_ascii_alphabetic())
                || (!quoted && whole.parse::<IpAddr>().is_ok());
            if !is_word {
                key = Some(k);
                value = &text[at + 1..];
            }
        }
        let token = Token {
            negated,
            key,
            value: value.iter().map(|&(c, _)| c).collect(),
            parts: wildcard_parts(value),
            quoted,
            start,
            end,
        };
        out.push(operator(token)?);
    }
    Ok(out)
}

/// The value's pieces between unquoted `*`s; runs of `*` count as one.
fn wildcard_parts(value: &[(char, bool)]) -> Vec<String> {
    let mut parts = vec![String::new()];
    for &(c, quoted) in value {
        if c == '*' && !quoted {
            parts.push(String::new());
        } else if let Some(last) = parts.last_mut() {
            last.push(c);
        }
    }
    // `a**b` is `a*b`: drop the empty pieces between two stars (the ends stay: `*a`, `a*`).
    let n = parts.len();
    let mut i = 0;
    parts.retain(|p| {
        i += 1;
        i == 1 || i == n || !p.is_empty()
    });
    parts
}

/// An unquoted bare `OR`, `AND` or `NOT` is an operator; in another case, or negated, an error.
fn operator(t: Token) -> Result<Lex, QueryError> {
    if t.quoted || t.key.is_some() || t.has_wildcard() {
        return Ok(Lex::Term(t));
    }
    let Some(op) = OPERATORS.iter().find(|op| t.value.eq_ignore_ascii_case(op)) else {
        return Ok(Lex::Term(t));
    };
    if t.negated {
        return Err(t.error(format!("-{} negates nothing: to exclude the word, write -\"{}\"", t.value, t.value)));
    }
    if t.value != *op {
        let meant = if *op == "NOT" { "NOT (or -term) to exclude a term" } else { &format!("{op} to combine terms") };
        return Err(t.error(format!(
            "{:?} is not an operator in {}: write {meant}, or \"{}\" in quotes to search for the word",
            t.value,
            if t.value.chars().all(|c| c.is_ascii_lowercase()) { "lower case" } else { "this case" },
            t.value
        )));
    }
    Ok(match *op {
        "OR" => Lex::Or(t.start, t.end),
        "AND" => Lex::And(t.start, t.end),
        _ => Lex::Not(t.start, t.end),
    })
}

/// Recursive descent over the lexemes: `or := and (OR and)*`, `and := seq (AND seq)*`,
/// `seq := unary+` (side by side, contracts.md §5), `unary := NOT unary | -( or ) | ( or ) | term`.
struct Parser {
    lexemes: Vec<Lex>,
    pos: usize,
    /// Characters in the input (the span of "something is missing at the end").
    n_chars: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Lex> {
        self.lexemes.get(self.pos)
    }

    /// True when nothing that can start a term comes next.
    fn at_end_of_operand(&self) -> bool {
        matches!(self.peek(), None | Some(Lex::Close(_) | Lex::Or(..) | Lex::And(..)))
    }

    fn or_expr(&mut self, depth: usize) -> Result<Node, QueryError> {
        let mut alternatives = vec![self.and_expr(depth)?];
        while let Some(&Lex::Or(start, end)) = self.peek() {
            self.pos += 1;
            self.operand_after("OR", start, end)?;
            alternatives.push(self.and_expr(depth)?);
        }
        Ok(Node::any(alternatives))
    }

    fn and_expr(&mut self, depth: usize) -> Result<Node, QueryError> {
        let mut both = vec![self.seq(depth)?];
        while let Some(&Lex::And(start, end)) = self.peek() {
            self.pos += 1;
            self.operand_after("AND", start, end)?;
            both.push(self.seq(depth)?);
        }
        Ok(Node::all(both))
    }

    /// "A term is missing" at the end of the input (callers check that a term comes first,
    /// so only a broken invariant gets here).
    fn missing(&self) -> QueryError {
        let end = self.n_chars.max(1);
        QueryError { message: "a term is missing".to_owned(), start: end - 1, end }
    }

    fn operand_after(&self, op: &str, start: usize, end: usize) -> Result<(), QueryError> {
        if self.at_end_of_operand() {
            return Err(QueryError { message: format!("{op} needs a term after it"), start, end });
        }
        Ok(())
    }

    /// Terms side by side: positive terms with one key are one condition (any of them), every
    /// other term or group its own (contracts.md §5).
    fn seq(&mut self, depth: usize) -> Result<Node, QueryError> {
        let mut items: Vec<Vec<Node>> = Vec::new();
        let mut by_key: Vec<(Key, usize)> = Vec::new();
        while !self.at_end_of_operand() {
            let plain = matches!(self.peek(), Some(Lex::Term(t)) if !t.negated);
            let node = self.unary(depth)?;
            if let (true, Node::Term(key, _)) = (plain, &node) {
                if *key != Key::Word {
                    if let Some(&(_, at)) = by_key.iter().find(|(k, _)| k == key) {
                        items[at].push(node);
                        continue;
                    }
                    by_key.push((*key, items.len()));
                }
            }
            items.push(vec![node]);
        }
        if items.is_empty() {
            return Err(match self.peek() {
                Some(&Lex::Or(start, end)) => {
                    QueryError { message: "OR needs a term before it".to_owned(), start, end }
                }
                Some(&Lex::And(start, end)) => {
                    QueryError { message: "AND needs a term before it".to_owned(), start, end }
                }
                Some(&Lex::Close(at)) => QueryError { message: STRAY_CLOSE.to_owned(), start: at, end: at + 1 },
                _ => self.missing(),
            });
        }
        Ok(Node::all(items.into_iter().map(Node::any).collect()))
    }

    fn unary(&mut self, depth: usize) -> Result<Node, QueryError> {
        if self.pos >= self.lexemes.len() {
            return Err(self.missing());
        }
        let lexeme = &mut self.lexemes[self.pos];
        // Terms are taken out of the list as they are read (nothing reads them twice).
        let lexeme = std::mem::replace(lexeme, Lex::Open(0));
        self.pos += 1;
        match lexeme {
            Lex::Term(t) => {
                let (key, cond) = parse_term(&t)?;
                let node = Node::Term(key, cond);
                Ok(if t.negated { Node::not(node) } else { node })
            }
            Lex::Not(start, end) => {
                if self.at_end_of_operand() {
                    return Err(QueryError { message: "NOT needs a term after it".to_owned(), start, end });
                }
                if depth >= MAX_DEPTH {
                    return Err(QueryError { message: format!("more than {MAX_DEPTH} NOTs in a row"), start, end });
                }
                Ok(Node::not(self.unary(depth + 1)?))
            }
            // A `(` follows (the lexer makes a Minus only there): the group it opens.
            Lex::Minus => Ok(Node::not(self.unary(depth)?)),
            Lex::Open(at) => self.group(at, depth),
            Lex::Close(at) => Err(QueryError { message: STRAY_CLOSE.to_owned(), start: at, end: at + 1 }),
            Lex::Or(start, end) | Lex::And(start, end) => {
                Err(QueryError { message: "an operator needs a term before it".to_owned(), start, end })
            }
        }
    }

    /// The inside of a `(` at character `at`, through its `)`.
    fn group(&mut self, at: usize, depth: usize) -> Result<Node, QueryError> {
        let unclosed = || QueryError { message: UNCLOSED.to_owned(), start: at, end: at + 1 };
        if depth >= MAX_DEPTH {
            return Err(QueryError {
                message: format!("parentheses nested more than {MAX_DEPTH} deep"),
                start: at,
                end: at + 1,
            });
        }
        match self.peek() {
            Some(&Lex::Close(close)) => {
                return Err(QueryError { message: "empty parentheses".to_owned(), start: at, end: close + 1 });
            }
            None => return Err(unclosed()),
            _ => {}
        }
        let inner = self.or_expr(depth + 1)?;
        match self.peek() {
            Some(Lex::Close(_)) => {
                self.pos += 1;
                Ok(inner)
            }
            _ => Err(unclosed()),
        }
    }
}

/// Interprets one term.
fn parse_term(t: &Token) -> Result<(Key, Cond), QueryError> {
    let Some(key_name) = &t.key else {
        if t.value.is_empty() {
            let msg = if t.negated && !t.quoted { "nothing to negate after -" } else { "empty search text" };
            return Err(t.error(msg));
        }
        return Ok((Key::Word, Cond::Word(Needle::new(t.parts.clone()))));
    };
    let Some(key) = Key::from_name(key_name) else {
        let known = "user, ip, target, port, endpoint, event, outcome, region, account, after, before, active";
        return Err(t.error(format!(
            "unknown key {key_name:?} (known keys: {known}); to search for the text, put it in quotes"
        )));
    };
    // Values are used as written: unquoted ones hold no spaces, quoted ones keep theirs.
    let v = t.value.as_str();
    if v.is_empty() {
        return Err(t.error(format!("{key_name}: needs a value")));
    }
    if t.has_wildcard() {
        let takes = match key {
            Key::Ip | Key::Target => Some("an IP address or CIDR range (10.0.0.0/8), not a wildcard"),
            Key::Port => Some("one port number, not a wildcard"),
            Key::Outcome => Some("failed or accepted, not a wildcard"),
            Key::After | Key::Before | Key::Active => Some("a time, not a wildcard"),
            _ => None,
        };
        if let Some(takes) = takes {
            return Err(t.error(format!(
                "{key_name}: takes {takes} (* works in words and user:, event:, endpoint:, region:, account:)"
            )));
        }
    }
    let cond = match key {
        Key::User => Cond::User(Needle::new(t.parts.clone())),
        Key::Ip => Cond::Ip(parse_net(v).ok_or_else(|| t.error(format!("not an IP address or CIDR range: {v:?}")))?),
        Key::Target => {
            Cond::Target(parse_net(v).ok_or_else(|| t.error(format!("not an IP address or CIDR range: {v:?}")))?)
        }
        // Any port the data can hold, not only those EICE accepts (1-65535): a record may
        // claim `remotePort` 99999, and the tables show it.
        Key::Port => match v.parse::<u32>() {
            Ok(p) => Cond::Port(p),
            _ => return Err(t.error(format!("not a port number (0-4294967295): {v:?}"))),
        },
        Key::Endpoint => Cond::Endpoint(Pattern::new(t.parts.clone())),
        Key::Event => Cond::Event(Pattern::new(t.parts.clone())),
        Key::Outcome => match v.to_ascii_lowercase().as_str() {
            "failed" => Cond::Failed(true),
            "accepted" => Cond::Failed(false),
            _ => return Err(t.error(format!("outcome is failed or accepted, not {v:?}"))),
        },
        Key::Region => Cond::Region(Pattern::new(t.parts.clone())),
        Key::Account => Cond::Account(Pattern::new(t.parts.clone())),
        Key::After | Key::Before | Key::Active => {
            let ms = parse_user_time_ms(v).ok_or_else(|| {
                t.error(format!("not a time: {v:?} (use 2026-10-01, 2026-10-01T10:00Z or RFC 3339, UTC)"))
            })?;
            match key {
                Key::After => Cond::After(ms, v.to_owned()),
                Key::Before => Cond::Before(ms, v.to_owned()),
                _ => Cond::Active(ms, v.to_owned()),
            }
        }
        Key::Word => Cond::Word(Needle::new(t.parts.clone())),
    };
    Ok((key, cond))
}

/// A CIDR range, or a single address as a host range.
fn parse_net(v: &str) -> Option<IpNet> {
    if let Ok(net) = v.parse::<IpNet>() {
        return Some(net);
    }
    v.parse::<IpAddr>().ok().map(IpNet::from)
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
}
