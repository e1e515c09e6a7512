//! The query language of contracts.md §5: one parser and matcher shared by the app and the CLI.

// Semantics chosen here (also stated in QUERY_HELP, which the app and the CLI render):
// - Positive terms with the same key are OR-ed, different keys AND-ed; bare words are each
//   their own AND-ed condition, so `alice ssh` narrows as in any search box.
// - `-term` negates one term and each negated term is its own AND-ed condition, so
//   `-user:a -user:b` excludes both. It is plain logical NOT: a term that does not apply to an
//   event does not match it, so its negation does (`-port:22` keeps non-tunnel events).
// - Double quotes group text with spaces or colons (`"two words"`, `user:"Admin/bob"`); inside
//   quotes `\"` and `\\` escape. A term whose colon comes after a quote is a bare phrase.
// - A term that parses as an IP address (`2001:db8::1`) or starts with `arn:` is a bare word.
// - Every malformed term is an error with its character span; nothing is silently ignored.

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
    ("key:\"a b\"", "quotes keep spaces and colons in a value; \\\" and \\\\ escape inside quotes"),
    ("key:A key:B", "the same key repeated: A or B"),
    ("key:A other:B", "different keys (and separate words): A and B"),
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

/// A lower-cased search string, prepared once so matching does not allocate.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Needle {
    lower: String,
    ascii: bool,
}

impl Needle {
    fn new(s: &str) -> Self {
        Self { lower: s.to_lowercase(), ascii: s.is_ascii() }
    }

    /// Case-insensitive substring test.
    fn found_in(&self, hay: &str) -> bool {
        if self.ascii {
            contains_ascii_ci(hay.as_bytes(), self.lower.as_bytes())
        } else {
            contains_unicode_ci(hay, &self.lower)
        }
    }
}

/// ASCII case-insensitive substring search; `needle` is already lower-case.
fn contains_ascii_ci(hay: &[u8], needle: &[u8]) -> bool {
    let Some((&first, rest)) = needle.split_first() else {
        return true;
    };
    if needle.len() > hay.len() {
        return false;
    }
    let last_start = hay.len() - needle.len();
    let first_upper = first.to_ascii_uppercase();
    let mut i = 0;
    while i <= last_start {
        // Scan for the first byte in either case, then compare the rest.
        match hay[i..=last_start].iter().position(|&b| b == first || b == first_upper) {
            None => return false,
            Some(p) => {
                let at = i + p;
                if hay[at + 1..at + needle.len()].iter().zip(rest).all(|(h, n)| h.to_ascii_lowercase() == *n) {
                    return true;
                }
                i = at + 1;
            }
        }
    }
    false
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
    Endpoint(String),
    Event(String),
    Failed(bool),
    Region(String),
    Account(String),
    After(i64),
    Before(i64),
    Active(i64),
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
            Self::Event(name) => e.event_name.eq_ignore_ascii_case(name),
            Self::Failed(failed) => e.is_failed() == *failed,
            Self::Region(r) => e.region.eq_ignore_ascii_case(r),
            Self::Account(a) => e.account.eq_ignore_ascii_case(a),
            Self::After(t) => e.time_ms >= *t,
            Self::Before(t) => e.time_ms < *t,
            Self::Active(t) => {
                e.tunnel().is_some_and(|f| e.time_ms <= *t && *t <= latest_end_ms(e.time_ms, f.max_duration_secs))
            }
        }
    }

    fn describe(&self) -> String {
        match self {
            Self::Word(n) => format!("text contains {:?}", n.lower),
            Self::User(n) => format!("principal contains {:?}", n.lower),
            Self::Ip(net) => format!("source IP in {net}"),
            Self::Target(net) => format!("target IP in {net}"),
            Self::Port(p) => format!("port = {p}"),
            Self::Endpoint(id) => format!("endpoint = {id}"),
            Self::Event(name) => format!("event = {name}"),
            Self::Failed(true) => "outcome = failed".to_owned(),
            Self::Failed(false) => "outcome = accepted".to_owned(),
            Self::Region(r) => format!("region = {r}"),
            Self::Account(a) => format!("account = {a}"),
            Self::After(t) => format!("time >= {}", crate::time::format_rfc3339(*t)),
            Self::Before(t) => format!("time < {}", crate::time::format_rfc3339(*t)),
            Self::Active(t) => format!("tunnel active at {}", crate::time::format_rfc3339(*t)),
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
fn names_endpoint(e: &EventRef<'_>, id: &str) -> bool {
    match e.eice {
        Some(EiceFacts::Tunnel(t)) => t.endpoint_id.eq_ignore_ascii_case(id),
        Some(EiceFacts::Endpoint(a)) => a.endpoint_ids.iter().any(|x| x.eq_ignore_ascii_case(id)),
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

/// A group of positive conditions with one key: any may match.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Group {
    key: Key,
    any: Vec<Cond>,
}

/// A parsed query: positive key groups (OR inside, AND across) and negated terms (each AND-ed).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Query {
    groups: Vec<Group>,
    negated: Vec<(Key, Cond)>,
}

impl Query {
    /// Parses a query; the empty string (or only spaces) is the empty query, matching everything.
    pub fn parse(input: &str) -> Result<Query, QueryError> {
        let mut q = Query::default();
        for token in tokenize(input)? {
            let (key, cond) = parse_term(&token)?;
            if token.negated {
                q.negated.push((key, cond));
            } else if key == Key::Word {
                q.groups.push(Group { key, any: vec![cond] });
            } else if let Some(g) = q.groups.iter_mut().find(|g| g.key == key) {
                g.any.push(cond);
            } else {
                q.groups.push(Group { key, any: vec![cond] });
            }
        }
        // Cheap keys first; the sort is stable so the user's order is kept within a key.
        q.groups.sort_by_key(|g| g.key);
        q.negated.sort_by_key(|(k, _)| *k);
        Ok(q)
    }

    /// True when the event satisfies every condition of the query.
    pub fn matches(&self, event: &EventRef<'_>) -> bool {
        self.groups.iter().all(|g| g.any.iter().any(|c| c.matches(event)))
            && self.negated.iter().all(|(_, c)| !c.matches(event))
    }

    /// True when the query has no terms (it matches every event).
    pub fn is_empty(&self) -> bool {
        self.groups.is_empty() && self.negated.is_empty()
    }

    /// The query's conditions, one line each, as the matcher reads them (AND between lines).
    pub fn clauses(&self) -> Vec<String> {
        let positive = self.groups.iter().map(|g| {
            let parts: Vec<String> = g.any.iter().map(Cond::describe).collect();
            parts.join(" OR ")
        });
        let negative = self.negated.iter().map(|(_, c)| format!("NOT {}", c.describe()));
        positive.chain(negative).collect()
    }

    /// The whole query in words (`everything` when empty).
    pub fn describe(&self) -> String {
        let clauses = self.clauses();
        if clauses.is_empty() {
            return "everything".to_owned();
        }
        clauses
            .into_iter()
            .map(|c| if c.contains(" OR ") { format!("({c})") } else { c })
            .collect::<Vec<_>>()
            .join(" AND ")
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
    port: Vec<u32>,
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
            ix.port.push(tunnel.and_then(|t| t.port).unwrap_or(NONE));
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
        let groups: Vec<Vec<Pred>> =
            query.groups.iter().map(|g| g.any.iter().map(|c| self.compile(ds, c)).collect()).collect();
        let negated: Vec<Pred> = query.negated.iter().map(|(_, c)| self.compile(ds, c)).collect();
        if groups.is_empty() && negated.is_empty() && window.is_none() {
            return (0..self.n_events as u32).collect();
        }
        out.reserve(self.n_events / 8);
        for i in 0..self.n_events {
            let slot = if store.bits[i] & B_EICE != 0 { self.slot.get(&(i as u32)).copied() } else { None };
            let time = store.time[i];
            let in_window = window.is_none_or(|w| {
                let end = slot.map_or(time, |k| self.end[k as usize]);
                time < w.end_ms && end >= w.start_ms
            });
            if in_window
                && groups.iter().all(|g| g.iter().any(|p| self.eval(store, p, i, slot)))
                && negated.iter().all(|p| !self.eval(store, p, i, slot))
            {
                // Indexed slices come from a dataset, whose indices are u32.
                out.push(i as u32);
            }
        }
        out
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
            Cond::Endpoint(id) => Pred::Endpoint(self.endpoints.iter().map(|s| s.eq_ignore_ascii_case(id)).collect()),
            Cond::Event(name) => Pred::Hits(col::NAME, table(dict(col::NAME), |s: &str| s.eq_ignore_ascii_case(name))),
            Cond::Failed(f) => Pred::Failed(*f),
            Cond::Region(r) => Pred::Hits(col::REGION, table(dict(col::REGION), |s: &str| s.eq_ignore_ascii_case(r))),
            Cond::Account(a) => {
                Pred::Hits(col::ACCOUNT, table(dict(col::ACCOUNT), |s: &str| s.eq_ignore_ascii_case(a)))
            }
            Cond::After(t) => Pred::After(*t),
            Cond::Before(t) => Pred::Before(*t),
            Cond::Active(t) => Pred::Active(*t),
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
            Pred::Port(port) => slot.is_some_and(|k| self.port[k as usize] == *port),
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
pub fn format_term(key: &str, value: &str) -> String {
    let plain = !value.is_empty()
        && !value.starts_with('-')
        && !value.chars().any(|c| c.is_whitespace() || c == '"' || c == '\\' || (key.is_empty() && c == ':'));
    let body = if plain {
        value.to_owned()
    } else {
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
    };
    if key.is_empty() { body } else { format!("{key}:{body}") }
}

/// One whitespace-separated term before interpretation.
#[derive(Debug)]
struct Token {
    negated: bool,
    /// The key as typed, when an unquoted `name:` starts the term.
    key: Option<String>,
    /// The value with quotes removed.
    value: String,
    /// The value was written with quotes (so it is never reinterpreted as a key).
    quoted: bool,
    /// Character span of the whole term, for errors.
    start: usize,
    end: usize,
}

impl Token {
    fn error(&self, message: impl Into<String>) -> QueryError {
        QueryError { message: message.into(), start: self.start, end: self.end }
    }
}

/// Splits the input into terms, honouring quotes; spans are in characters.
fn tokenize(input: &str) -> Result<Vec<Token>, QueryError> {
    let chars: Vec<char> = input.chars().collect();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        if chars[i].is_whitespace() {
            i += 1;
            continue;
        }
        let start = i;
        let negated = chars[i] == '-';
        if negated {
            i += 1;
        }
        let mut text = String::new();
        let mut key = None;
        let mut quoted = false;
        while i < chars.len() && !chars[i].is_whitespace() {
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
                            text.push(chars[i + 1]);
                            i += 2;
                        }
                        ch => {
                            text.push(ch);
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
            } else if c == ':' && key.is_none() && !quoted {
                key = Some(std::mem::take(&mut text));
                i += 1;
            } else {
                text.push(c);
                i += 1;
            }
        }
        let end = i;
        // IPv6 addresses and ARNs contain colons but are words, not keys.
        if let Some(k) = &key {
            let whole = format!("{k}:{text}");
            let is_word = k.eq_ignore_ascii_case("arn")
                || k.is_empty()
                || !k.chars().all(|c| c.is_ascii_alphabetic())
                || (!quoted && whole.parse::<IpAddr>().is_ok());
            if is_word {
                text = whole;
                key = None;
            }
        }
        tokens.push(Token { negated, key, value: text, quoted, start, end });
    }
    Ok(tokens)
}

/// Interprets one term.
fn parse_term(t: &Token) -> Result<(Key, Cond), QueryError> {
    let Some(key_name) = &t.key else {
        if t.value.is_empty() {
            let msg = if t.negated && !t.quoted { "nothing to negate after -" } else { "empty search text" };
            return Err(t.error(msg));
        }
        return Ok((Key::Word, Cond::Word(Needle::new(&t.value))));
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
    let cond = match key {
        Key::User => Cond::User(Needle::new(v)),
        Key::Ip => Cond::Ip(parse_net(v).ok_or_else(|| t.error(format!("not an IP address or CIDR range: {v:?}")))?),
        Key::Target => {
            Cond::Target(parse_net(v).ok_or_else(|| t.error(format!("not an IP address or CIDR range: {v:?}")))?)
        }
        Key::Port => match v.parse::<u32>() {
            Ok(p) if p <= 65_535 => Cond::Port(p),
            _ => return Err(t.error(format!("not a port number (0-65535): {v:?}"))),
        },
        Key::Endpoint => Cond::Endpoint(v.to_owned()),
        Key::Event => Cond::Event(v.to_owned()),
        Key::Outcome => match v.to_ascii_lowercase().as_str() {
            "failed" => Cond::Failed(true),
            "accepted" => Cond::Failed(false),
            _ => return Err(t.error(format!("outcome is failed or accepted, not {v:?}"))),
        },
        Key::Region => Cond::Region(v.to_owned()),
        Key::Account => Cond::Account(v.to_owned()),
        Key::After | Key::Before | Key::Active => {
            let ms = parse_user_time_ms(v).ok_or_else(|| {
                t.error(format!("not a time: {v:?} (use 2026-10-01, 2026-10-01T10:00Z or RFC 3339, UTC)"))
            })?;
            match key {
                Key::After => Cond::After(ms),
                Key::Before => Cond::Before(ms),
                _ => Cond::Active(ms),
            }
        }
        Key::Word => Cond::Word(Needle::new(v)),
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
        assert!(Needle::new("ÜBER").found_in("x über y"));
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
        for key in ["after:", "before:", "active:"] {
            assert!(QUERY_HELP.iter().any(|(t, _)| t.starts_with(key)), "{key}");
        }
    }
}
