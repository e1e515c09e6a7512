//! The parsed query: its terms (key and condition) in a tree, matched against one event by
//! reading its fields (the scan: the CLI's matcher and the oracle of `QueryIndex`), and
//! printed back or described in words.

use super::*;

/// The keys of the language, in evaluation order (cheap checks first).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(super) enum Key {
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
    Session,
    Finding,
    Severity,
}

impl Key {
    pub(super) fn from_name(name: &str) -> Option<Self> {
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
            "session" => Self::Session,
            "finding" => Self::Finding,
            "severity" => Self::Severity,
            _ => return None,
        })
    }
}

/// One parsed condition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Cond {
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
    /// `session:ID`: that session's tunnels and the key pushes paired with them.
    Session(String, Bound),
    /// `finding:RULE`, `finding:any` or `finding:ID`: evidence events of those findings.
    Finding(FindingSel, Bound),
    /// `severity:S`: evidence events of findings of that severity.
    Severity(Severity, Bound),
}

/// Which findings a `finding:` term means.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FindingSel {
    /// `finding:any`.
    Any,
    /// `finding:RULE`.
    Rule(&'static str),
    /// `finding:RULE:EVENTID`: one finding, by its ID.
    Id(String),
}

/// What a term about the load's sessions or findings selects, once [`Query::bind`] has read it
/// from the load ([`Marks`]): dataset indices, ascending. `None` before binding, when it
/// matches nothing.
pub(super) type Bound = Option<std::sync::Arc<[u32]>>;

/// True when the bound set holds the event.
fn bound_has(set: &Bound, index: u32) -> bool {
    set.as_ref().is_some_and(|s| s.binary_search(&index).is_ok())
}

impl Cond {
    pub(super) fn matches(&self, e: &EventRef<'_>) -> bool {
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
            Self::Session(_, set) | Self::Finding(_, set) | Self::Severity(_, set) => bound_has(set, e.index),
        }
    }

    pub(super) fn describe(&self) -> String {
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
            Self::Session(id, _) => format!("in session {id}"),
            Self::Finding(FindingSel::Rule(rule), _) => format!("evidence of a {rule} finding"),
            Self::Finding(FindingSel::Any, _) => "evidence of any finding".to_owned(),
            Self::Finding(FindingSel::Id(id), _) => format!("evidence of finding {id}"),
            Self::Severity(s, _) => format!("evidence of a {} finding", s.as_str()),
        }
    }

    /// The term in the query language, parsing back to this condition.
    pub(super) fn term(&self) -> String {
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
            Self::Session(id, _) => format_term("session", id),
            Self::Finding(FindingSel::Any, _) => "finding:any".to_owned(),
            Self::Finding(FindingSel::Rule(rule), _) => format!("finding:{rule}"),
            Self::Finding(FindingSel::Id(id), _) => format_term("finding", id),
            Self::Severity(s, _) => format!("severity:{}", s.as_str()),
        }
    }
}

/// The fields a bare word searches.
pub(super) fn word_matches(n: &Needle, e: &EventRef<'_>) -> bool {
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
pub(super) fn names_endpoint(e: &EventRef<'_>, id: &Pattern) -> bool {
    match e.eice {
        Some(EiceFacts::Tunnel(t)) => id.matches(&t.endpoint_id),
        Some(EiceFacts::Endpoint(a)) => a.endpoint_ids.iter().any(|x| id.matches(x)),
        _ => false,
    }
}

/// True when `text` is an IP address inside `net`.
pub(super) fn ip_in(net: &IpNet, text: &str) -> bool {
    parse_ip(text).is_some_and(|addr| net_contains(net, addr))
}

/// A logged address as an IP, `None` for service names such as `ec2.amazonaws.com`.
pub(super) fn parse_ip(text: &str) -> Option<IpAddr> {
    text.trim().parse::<IpAddr>().ok()
}

/// Range test where IPv4-mapped IPv6 addresses count as IPv4.
pub(super) fn net_contains(net: &IpNet, addr: IpAddr) -> bool {
    match (net, addr) {
        (IpNet::V4(n), IpAddr::V6(a)) => a.to_ipv4_mapped().is_some_and(|v4| n.contains(&v4)),
        _ => net.contains(&addr),
    }
}

/// The message for a `)` without its `(`.
pub(super) const STRAY_CLOSE: &str = "this ) has no ( to close";
/// The message for a `(` without its `)`.
pub(super) const UNCLOSED: &str = "this ( is never closed: add a )";

/// Parentheses (and `NOT`s) nested deeper than this are an error: the parser and the matchers
/// recurse, and a query can come from a link.
pub(super) const MAX_DEPTH: usize = 32;

/// A query as a tree. Built only through [`Node::all`], [`Node::any`] and [`Node::not`], which
/// keep one canonical shape (no nested `All` in `All` or `Any` in `Any`, no one-child groups, no
/// double negation, `All` children in evaluation order), so equal trees print alike.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Node {
    /// Every child matches (no children: everything matches).
    All(Vec<Node>),
    /// Some child matches.
    Any(Vec<Node>),
    Not(Box<Node>),
    Term(Key, Cond),
}

impl Node {
    pub(super) fn all(children: Vec<Node>) -> Node {
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

    pub(super) fn any(children: Vec<Node>) -> Node {
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

    pub(super) fn not(node: Node) -> Node {
        match node {
            Node::Not(inner) => *inner,
            other => Node::Not(Box::new(other)),
        }
    }

    /// Order among the children of an `All`: terms (and same-key groups) by key, then negated
    /// terms by key, then other groups.
    pub(super) fn rank(&self) -> (u8, Key) {
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
    pub(super) fn matches(&self, e: &EventRef<'_>) -> bool {
        match self {
            Node::Term(_, cond) => cond.matches(e),
            group => group.group_matches(e),
        }
    }

    #[inline(never)]
    pub(super) fn group_matches(&self, e: &EventRef<'_>) -> bool {
        match self {
            Node::All(children) => children.iter().all(|c| c.matches(e)),
            Node::Any(children) => children.iter().any(|c| c.matches(e)),
            Node::Not(inner) => !inner.matches(e),
            Node::Term(_, cond) => cond.matches(e),
        }
    }

    /// True when some condition of the tree satisfies `f`.
    pub(super) fn any_cond(&self, f: &dyn Fn(&Cond) -> bool) -> bool {
        match self {
            Node::All(children) | Node::Any(children) => children.iter().any(|c| c.any_cond(f)),
            Node::Not(inner) => inner.any_cond(f),
            Node::Term(_, cond) => f(cond),
        }
    }

    /// Binds every term about sessions and findings (see [`Bound`]).
    pub(super) fn bind(&mut self, marks: &dyn Marks) {
        match self {
            Node::All(children) | Node::Any(children) => children.iter_mut().for_each(|c| c.bind(marks)),
            Node::Not(inner) => inner.bind(marks),
            Node::Term(_, cond) => match cond {
                Cond::Session(id, set) => *set = Some(marks.session_events(id).into()),
                Cond::Finding(sel, set) => *set = Some(marks.finding_events(sel).into()),
                Cond::Severity(s, set) => *set = Some(marks.severity_events(*s).into()),
                _ => {}
            },
        }
    }

    /// The tree in words; `Any` inside `All` (and any group under NOT) in parentheses.
    pub(super) fn describe(&self) -> String {
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
    pub(super) fn write(&self, out: &mut String) {
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
pub(super) fn same_key(children: &[Node]) -> Option<Key> {
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
