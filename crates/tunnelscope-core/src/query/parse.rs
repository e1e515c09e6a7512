//! Reading the query's text: the lexer (words, quotes, operators, parentheses) and the parser
//! (precedence, negation, errors with their character spans).

use super::*;

/// Writes one term of the query language so that it parses back to exactly `value`, quoting
/// when needed (for "click a value to filter"); an empty `key` makes a bare word or phrase.
/// A `*` in `value` is quoted too, so it stays a plain character.
pub fn format_term(key: &str, value: &str) -> String {
    let body = quote_if_needed(value, key.is_empty());
    if key.is_empty() { body } else { format!("{key}:{body}") }
}

/// `value` as it must be written to be read literally: as is, or in quotes.
pub(super) fn quote_if_needed(value: &str, bare: bool) -> String {
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
pub(super) fn pattern_text(key: &str, parts: &[String]) -> String {
    let body: Vec<String> =
        parts.iter().map(|p| if p.is_empty() { String::new() } else { quote_if_needed(p, key.is_empty()) }).collect();
    let body = body.join("*");
    if key.is_empty() { body } else { format!("{key}:{body}") }
}

/// The words that combine terms, in the only case that does.
pub(super) const OPERATORS: [&str; 3] = ["OR", "AND", "NOT"];

/// One term before interpretation.
#[derive(Debug)]
pub(super) struct Token {
    pub(super) negated: bool,
    /// The key as typed, when an unquoted `name:` starts the term.
    pub(super) key: Option<String>,
    /// The value with quotes removed (a wildcard shows as `*`).
    pub(super) value: String,
    /// The value split at its wildcards (unquoted `*`); one piece when it has none.
    pub(super) parts: Vec<String>,
    /// The value was written with quotes (so it is never reinterpreted as a key or operator).
    pub(super) quoted: bool,
    /// Character span of the whole term, for errors.
    pub(super) start: usize,
    pub(super) end: usize,
}

impl Token {
    pub(super) fn error(&self, message: impl Into<String>) -> QueryError {
        QueryError { message: message.into(), start: self.start, end: self.end }
    }

    pub(super) fn has_wildcard(&self) -> bool {
        self.parts.len() > 1
    }
}

/// What the input is made of: terms, operators and parentheses (spans in characters).
#[derive(Debug)]
pub(super) enum Lex {
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
pub(super) fn lex(input: &str) -> Result<Vec<Lex>, QueryError> {
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
pub(super) fn wildcard_parts(value: &[(char, bool)]) -> Vec<String> {
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
pub(super) fn operator(t: Token) -> Result<Lex, QueryError> {
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
pub(super) struct Parser {
    pub(super) lexemes: Vec<Lex>,
    pub(super) pos: usize,
    /// Characters in the input (the span of "something is missing at the end").
    pub(super) n_chars: usize,
}

impl Parser {
    pub(super) fn peek(&self) -> Option<&Lex> {
        self.lexemes.get(self.pos)
    }

    /// True when nothing that can start a term comes next.
    pub(super) fn at_end_of_operand(&self) -> bool {
        matches!(self.peek(), None | Some(Lex::Close(_) | Lex::Or(..) | Lex::And(..)))
    }

    pub(super) fn or_expr(&mut self, depth: usize) -> Result<Node, QueryError> {
        let mut alternatives = vec![self.and_expr(depth)?];
        while let Some(&Lex::Or(start, end)) = self.peek() {
            self.pos += 1;
            self.operand_after("OR", start, end)?;
            alternatives.push(self.and_expr(depth)?);
        }
        Ok(Node::any(alternatives))
    }

    pub(super) fn and_expr(&mut self, depth: usize) -> Result<Node, QueryError> {
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
    pub(super) fn missing(&self) -> QueryError {
        let end = self.n_chars.max(1);
        QueryError { message: "a term is missing".to_owned(), start: end - 1, end }
    }

    pub(super) fn operand_after(&self, op: &str, start: usize, end: usize) -> Result<(), QueryError> {
        if self.at_end_of_operand() {
            return Err(QueryError { message: format!("{op} needs a term after it"), start, end });
        }
        Ok(())
    }

    /// Terms side by side: positive terms with one key are one condition (any of them), every
    /// other term or group its own (contracts.md §5).
    pub(super) fn seq(&mut self, depth: usize) -> Result<Node, QueryError> {
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

    pub(super) fn unary(&mut self, depth: usize) -> Result<Node, QueryError> {
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
    pub(super) fn group(&mut self, at: usize, depth: usize) -> Result<Node, QueryError> {
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
pub(super) fn parse_term(t: &Token) -> Result<(Key, Cond), QueryError> {
    let Some(key_name) = &t.key else {
        if t.value.is_empty() {
            let msg = if t.negated && !t.quoted { "nothing to negate after -" } else { "empty search text" };
            return Err(t.error(msg));
        }
        return Ok((Key::Word, Cond::Word(Needle::new(t.parts.clone()))));
    };
    let Some(key) = Key::from_name(key_name) else {
        let known = "user, ip, target, port, endpoint, event, outcome, region, account, after, before, active, \
                     session, finding, severity";
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
            Key::Session => Some("a session ID (its first tunnel's event ID), not a wildcard"),
            Key::Finding => Some("a rule name or any, not a wildcard"),
            Key::Severity => Some("high, medium, low or info, not a wildcard"),
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
        Key::Session => Cond::Session(v.to_owned(), None),
        Key::Finding if v.eq_ignore_ascii_case("any") => Cond::Finding(FindingSel::Any, None),
        Key::Finding => {
            let (name, id) = v.split_once(':').map_or((v, None), |(n, rest)| (n, Some(rest)));
            match (crate::findings::rule(&name.to_ascii_lowercase()), id) {
                (Some(rule), None) => Cond::Finding(FindingSel::Rule(rule.name), None),
                (Some(rule), Some(id)) if !id.is_empty() => {
                    Cond::Finding(FindingSel::Id(format!("{}:{id}", rule.name)), None)
                }
                _ => {
                    let names: Vec<&str> = crate::findings::RULES.iter().map(|r| r.name).collect();
                    return Err(t.error(format!(
                        "finding: {v:?} is not a rule or a finding ID (any, {}, or RULE:EVENTID)",
                        names.join(", ")
                    )));
                }
            }
        }
        Key::Severity => match Severity::parse(&v.to_ascii_lowercase()) {
            Some(s) => Cond::Severity(s, None),
            None => return Err(t.error(format!("severity is high, medium, low or info, not {v:?}"))),
        },
    };
    Ok((key, cond))
}

/// A CIDR range, or a single address as a host range.
pub(super) fn parse_net(v: &str) -> Option<IpNet> {
    if let Ok(net) = v.parse::<IpNet>() {
        return Some(net);
    }
    v.parse::<IpAddr>().ok().map(IpNet::from)
}
