//! A one-pass reader of the common record: the fields a row needs, read straight from the
//! bytes, everything else validated and skipped.
//!
//! serde_json's derive visits each key through several layers of generic calls and reads a
//! skipped value byte by byte; this reads the same grammar with a word-at-a-time string scan
//! and a direct key match, at about twice the speed (the load of a big file is mostly this).
//!
//! It is never the judge of a record: it answers only when it is sure serde_json would give
//! the same fields (`Some`), and `None` for anything it does not read itself (malformed JSON,
//! numbers in text fields, duplicate keys, surrogate escapes, keys with escapes, insight and
//! synthesized records, SQS messages, deep nesting). On `None` the caller parses the record
//! with serde_json, which gives the exact result or error. So it can be stricter than serde,
//! never laxer, and a test holds it to serde on mutated records.

use std::borrow::Cow;

use super::{IdentityIn, IssuerIn, Lenient, SessionContextIn};

/// The fields of a record that a row and the trail checks need.
#[derive(Default)]
#[cfg_attr(test, derive(Debug, PartialEq))]
pub(super) struct FastRecord<'a> {
    /// The JSON text of `eventTime` when present and not `null`.
    pub(super) event_time: Option<&'a str>,
    pub(super) event_name: Lenient<'a>,
    pub(super) event_source: Lenient<'a>,
    pub(super) event_version: Lenient<'a>,
    pub(super) region: Lenient<'a>,
    pub(super) recipient_account: Lenient<'a>,
    pub(super) source_ip: Lenient<'a>,
    pub(super) user_agent: Lenient<'a>,
    pub(super) error_code: Lenient<'a>,
    pub(super) error_message: Lenient<'a>,
    pub(super) event_id: Lenient<'a>,
    pub(super) user_identity: Option<IdentityIn<'a>>,
}

impl<'a> FastRecord<'a> {
    /// `looks_like_record` of the record (it has no `insightDetails`: those are serde's).
    pub(super) fn looks_like_record(&self) -> bool {
        self.event_name.0.is_some()
            || self.event_time.is_some()
            || (self.event_version.0.is_some() && self.event_source.0.is_some())
    }

    /// The fields a row takes.
    pub(super) fn row(&self) -> super::RowFields<'_, 'a> {
        super::RowFields {
            event_time: self.event_time,
            event_name: &self.event_name,
            event_source: &self.event_source,
            region: &self.region,
            recipient_account: &self.recipient_account,
            source_ip: &self.source_ip,
            user_agent: &self.user_agent,
            error_code: &self.error_code,
            error_message: &self.error_message,
            event_id: &self.event_id,
            user_identity: self.user_identity.as_ref(),
        }
    }
}

/// Reads one record (an object's JSON text, no surrounding white space), or `None` when
/// serde_json must (see the module's text).
#[cfg(test)]
fn read(text: &str) -> Option<FastRecord<'_>> {
    let (rec, len) = read_prefix(text)?;
    text.as_bytes()[len..].iter().all(|b| matches!(b, b' ' | b'\t' | b'\n' | b'\r')).then_some(rec)
}

/// Reads the record that `text` starts with (at its `{`; the text may go on after it), and
/// the record's length; `None` as for [`read`], and when the text ends inside the record.
pub(super) fn read_prefix(text: &str) -> Option<(FastRecord<'_>, usize)> {
    let mut p = P { s: text.as_bytes(), src: text, i: 0 };
    let rec = p.record()?;
    Some((rec, p.i))
}

/// Deeper than this, a skipped value is left to serde_json (whose skip has no depth limit).
const MAX_SKIP_DEPTH: u32 = 64;

const LO: u64 = 0x0101_0101_0101_0101;
const HI: u64 = 0x8080_8080_8080_8080;

struct P<'a> {
    s: &'a [u8],
    src: &'a str,
    i: usize,
}

/// The keys of a record this reader knows, as bits (a key seen twice is serde's error).
mod key {
    pub(super) const TIME: u32 = 1;
    pub(super) const NAME: u32 = 1 << 1;
    pub(super) const SOURCE: u32 = 1 << 2;
    pub(super) const VERSION: u32 = 1 << 3;
    pub(super) const REGION: u32 = 1 << 4;
    pub(super) const RECIPIENT: u32 = 1 << 5;
    pub(super) const IP: u32 = 1 << 6;
    pub(super) const AGENT: u32 = 1 << 7;
    pub(super) const ERROR_CODE: u32 = 1 << 8;
    pub(super) const ERROR_MESSAGE: u32 = 1 << 9;
    pub(super) const ID: u32 = 1 << 10;
    pub(super) const IDENTITY: u32 = 1 << 11;
    pub(super) const REQUEST: u32 = 1 << 12;
    pub(super) const RESPONSE: u32 = 1 << 13;
    pub(super) const RESOURCES: u32 = 1 << 14;
}

impl<'a> P<'a> {
    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }

    fn ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.i += 1;
        }
    }

    /// After white space, the byte `b`.
    fn eat(&mut self, b: u8) -> Option<()> {
        self.ws();
        (self.peek()? == b).then(|| self.i += 1)
    }

    /// The first `"`, `\` or control byte at or after `j`, a word at a time.
    fn special(&self, mut j: usize) -> Option<usize> {
        let s = self.s;
        while let Some(word) = s.get(j..j + 8) {
            let w = u64::from_le_bytes(word.try_into().ok()?);
            let q = w ^ (LO * u64::from(b'"'));
            let b = w ^ (LO * u64::from(b'\\'));
            // The lowest flagged byte of each term is a true match (borrows only run upwards).
            let m = ((q.wrapping_sub(LO) & !q) | (b.wrapping_sub(LO) & !b) | (w.wrapping_sub(LO * 0x20) & !w)) & HI;
            if m != 0 {
                return Some(j + (m.trailing_zeros() / 8) as usize);
            }
            j += 8;
        }
        (j..s.len()).find(|&k| matches!(s[k], b'"' | b'\\' | 0..=0x1f))
    }

    /// Four hex digits at `j`.
    fn hex4(&self, j: usize) -> Option<u16> {
        let digits = self.s.get(j..j + 4)?;
        let mut v = 0u16;
        for &d in digits {
            v = v << 4 | u16::from(char::from(d).to_digit(16)? as u8);
        }
        Some(v)
    }

    /// Skips a string (at its `"`), validating its escapes as serde_json's skip does.
    fn skip_string(&mut self) -> Option<()> {
        let mut j = self.i + 1;
        loop {
            j = self.special(j)?;
            match self.s[j] {
                b'"' => {
                    self.i = j + 1;
                    return Some(());
                }
                b'\\' => match *self.s.get(j + 1)? {
                    b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => j += 2,
                    b'u' => {
                        self.hex4(j + 2)?;
                        j += 6;
                    }
                    _ => return None,
                },
                _ => return None,
            }
        }
    }

    /// Reads a string (at its `"`): borrowed when it has no escapes.
    fn string(&mut self) -> Option<Cow<'a, str>> {
        let start = self.i + 1;
        let mut j = self.special(start)?;
        if self.s[j] == b'"' {
            self.i = j + 1;
            return Some(Cow::Borrowed(&self.src[start..j]));
        }
        let mut out = String::with_capacity(j - start + 16);
        let mut from = start;
        loop {
            // `from..j` holds no special byte and the cuts are at ASCII bytes: whole characters.
            out.push_str(&self.src[from..j]);
            match self.s[j] {
                b'"' => {
                    self.i = j + 1;
                    return Some(Cow::Owned(out));
                }
                b'\\' => {
                    let c = match *self.s.get(j + 1)? {
                        b'"' => '"',
                        b'\\' => '\\',
                        b'/' => '/',
                        b'b' => '\u{8}',
                        b'f' => '\u{c}',
                        b'n' => '\n',
                        b'r' => '\r',
                        b't' => '\t',
                        // Surrogates (pairs or not) are left to serde_json.
                        b'u' => char::from_u32(u32::from(self.hex4(j + 2)?))?,
                        _ => return None,
                    };
                    out.push(c);
                    from = j + if self.s[j + 1] == b'u' { 6 } else { 2 };
                    j = self.special(from)?;
                }
                _ => return None,
            }
        }
    }

    /// Skips a number, validating it as serde_json's skip does.
    fn skip_number(&mut self) -> Option<()> {
        let digits = |p: &mut Self| {
            let from = p.i;
            while let Some(b'0'..=b'9') = p.peek() {
                p.i += 1;
            }
            p.i > from
        };
        if self.peek() == Some(b'-') {
            self.i += 1;
        }
        match self.peek()? {
            b'0' => {
                self.i += 1;
                if let Some(b'0'..=b'9') = self.peek() {
                    return None;
                }
            }
            b'1'..=b'9' => {
                digits(self);
            }
            _ => return None,
        }
        if self.peek() == Some(b'.') {
            self.i += 1;
            if !digits(self) {
                return None;
            }
        }
        if let Some(b'e' | b'E') = self.peek() {
            self.i += 1;
            if let Some(b'+' | b'-') = self.peek() {
                self.i += 1;
            }
            if !digits(self) {
                return None;
            }
        }
        Some(())
    }

    /// Skips the literal `word` (its first byte is current).
    fn literal(&mut self, word: &[u8]) -> Option<()> {
        (self.s.get(self.i..self.i + word.len())? == word).then(|| self.i += word.len())
    }

    /// Skips one value after white space, validating it.
    fn skip_value(&mut self, depth: u32) -> Option<()> {
        self.ws();
        match self.peek()? {
            b'"' => self.skip_string(),
            b'{' => {
                if depth >= MAX_SKIP_DEPTH {
                    return None;
                }
                self.i += 1;
                self.ws();
                if self.peek()? == b'}' {
                    self.i += 1;
                    return Some(());
                }
                loop {
                    self.ws();
                    if self.peek()? != b'"' {
                        return None;
                    }
                    self.skip_string()?;
                    self.eat(b':')?;
                    self.skip_value(depth + 1)?;
                    self.ws();
                    match self.peek()? {
                        b',' => self.i += 1,
                        b'}' => {
                            self.i += 1;
                            return Some(());
                        }
                        _ => return None,
                    }
                }
            }
            b'[' => {
                if depth >= MAX_SKIP_DEPTH {
                    return None;
                }
                self.i += 1;
                self.ws();
                if self.peek()? == b']' {
                    self.i += 1;
                    return Some(());
                }
                loop {
                    self.skip_value(depth + 1)?;
                    self.ws();
                    match self.peek()? {
                        b',' => self.i += 1,
                        b']' => {
                            self.i += 1;
                            return Some(());
                        }
                        _ => return None,
                    }
                }
            }
            b't' => self.literal(b"true"),
            b'f' => self.literal(b"false"),
            b'n' => self.literal(b"null"),
            b'-' | b'0'..=b'9' => self.skip_number(),
            _ => None,
        }
    }

    /// A [`Lenient`] field: strings, booleans and `null` as serde reads them, arrays skipped;
    /// numbers (their text is serde's formatting) and objects (serde reads their keys as
    /// strings, surrogates checked) are left to serde_json.
    fn lenient(&mut self) -> Option<Lenient<'a>> {
        self.ws();
        match self.peek()? {
            b'"' => Some(Lenient(Some(self.string()?))),
            b'n' => self.literal(b"null").map(|()| Lenient(None)),
            b't' => self.literal(b"true").map(|()| Lenient(Some(Cow::Borrowed("true")))),
            b'f' => self.literal(b"false").map(|()| Lenient(Some(Cow::Borrowed("false")))),
            b'[' => self.skip_value(1).map(|()| Lenient(None)),
            _ => None,
        }
    }

    /// `null` (`Some(false)`), or the start of an object (`Some(true)`, past its `{`); anything
    /// else is left to serde_json.
    fn object_or_null(&mut self) -> Option<bool> {
        self.ws();
        match self.peek()? {
            b'n' => self.literal(b"null").map(|()| false),
            b'{' => {
                self.i += 1;
                Some(true)
            }
            _ => None,
        }
    }

    /// The fields of an object (past its `{`): `field` reads the value of each key and tells
    /// whether it knew it; unknown keys' values are skipped. A key with an escape is left to
    /// serde_json (it matches keys after unescaping them).
    fn fields(&mut self, mut field: impl FnMut(&mut Self, &[u8]) -> Option<bool>) -> Option<()> {
        self.ws();
        if self.peek()? == b'}' {
            self.i += 1;
            return Some(());
        }
        loop {
            self.ws();
            if self.peek()? != b'"' {
                return None;
            }
            let start = self.i + 1;
            let end = self.special(start)?;
            if self.s[end] != b'"' {
                return None;
            }
            self.i = end + 1;
            self.eat(b':')?;
            let key = &self.s[start..end];
            if !field(self, key)? {
                self.skip_value(1)?;
            }
            self.ws();
            match self.peek()? {
                b',' => self.i += 1,
                b'}' => {
                    self.i += 1;
                    return Some(());
                }
                _ => return None,
            }
        }
    }

    fn record(&mut self) -> Option<FastRecord<'a>> {
        if !self.object_or_null()? {
            return None;
        }
        let mut r = FastRecord::default();
        let mut seen = 0u32;
        self.fields(|p, k| {
            let (bit, lenient): (u32, Option<&mut Lenient<'a>>) = match k {
                b"eventTime" => (key::TIME, None),
                b"eventName" => (key::NAME, Some(&mut r.event_name)),
                b"eventSource" => (key::SOURCE, Some(&mut r.event_source)),
                b"eventVersion" => (key::VERSION, Some(&mut r.event_version)),
                b"awsRegion" => (key::REGION, Some(&mut r.region)),
                b"recipientAccountId" => (key::RECIPIENT, Some(&mut r.recipient_account)),
                b"sourceIPAddress" => (key::IP, Some(&mut r.source_ip)),
                b"userAgent" => (key::AGENT, Some(&mut r.user_agent)),
                b"errorCode" => (key::ERROR_CODE, Some(&mut r.error_code)),
                b"errorMessage" => (key::ERROR_MESSAGE, Some(&mut r.error_message)),
                b"eventID" => (key::ID, Some(&mut r.event_id)),
                b"userIdentity" => (key::IDENTITY, None),
                b"requestParameters" => (key::REQUEST, None),
                b"responseElements" => (key::RESPONSE, None),
                b"resources" => (key::RESOURCES, None),
                // Insight and synthesized records, and SQS messages, are serde_json's.
                b"insightDetails" | b"tunnelscopeSynthesized" | b"messageId" | b"body" => return None,
                _ => return Some(false),
            };
            first(&mut seen, bit)?;
            if let Some(field) = lenient {
                *field = p.lenient()?;
            } else if bit == key::IDENTITY {
                r.user_identity = p.identity()?;
            } else {
                p.ws();
                let start = p.i;
                if p.peek()? == b'n' {
                    p.literal(b"null")?;
                } else {
                    p.skip_value(1)?;
                    if bit == key::TIME {
                        r.event_time = Some(&p.src[start..p.i]);
                    }
                }
            }
            Some(true)
        })?;
        Some(r)
    }

    /// `userIdentity`: `null` or an object of the fields the principal display reads.
    fn identity(&mut self) -> Option<Option<IdentityIn<'a>>> {
        if !self.object_or_null()? {
            return Some(None);
        }
        let mut id = IdentityIn::default();
        let mut seen = 0u32;
        self.fields(|p, k| {
            let (bit, field) = match k {
                b"type" => (1, &mut id.kind),
                b"arn" => (1 << 1, &mut id.arn),
                b"principalId" => (1 << 2, &mut id.principal_id),
                b"accountId" => (1 << 3, &mut id.account_id),
                b"userName" => (1 << 4, &mut id.user_name),
                b"invokedBy" => (1 << 5, &mut id.invoked_by),
                b"sessionContext" => {
                    first(&mut seen, 1 << 6)?;
                    id.session_context = p.session_context()?;
                    return Some(true);
                }
                _ => return Some(false),
            };
            first(&mut seen, bit)?;
            *field = p.lenient()?;
            Some(true)
        })?;
        Some(Some(id))
    }

    fn session_context(&mut self) -> Option<Option<SessionContextIn<'a>>> {
        let ctx = self.object_of_one(b"sessionIssuer", Self::issuer)?;
        Some(ctx.map(|session_issuer| SessionContextIn { session_issuer }))
    }

    fn issuer(&mut self) -> Option<Option<IssuerIn<'a>>> {
        let issuer = self.object_of_one(b"userName", Self::lenient)?;
        Some(issuer.map(|user_name| IssuerIn { user_name }))
    }

    /// `null` (`Some(None)`), or an object of which only `key` is read, by `read` (absent: the
    /// default value).
    fn object_of_one<T: Default>(
        &mut self,
        key: &[u8],
        mut read: impl FnMut(&mut Self) -> Option<T>,
    ) -> Option<Option<T>> {
        if !self.object_or_null()? {
            return Some(None);
        }
        let mut value = None;
        self.fields(|p, k| {
            if k != key {
                return Some(false);
            }
            // A key twice is serde's error.
            if value.is_some() {
                return None;
            }
            value = Some(read(p)?);
            Some(true)
        })?;
        Some(Some(value.unwrap_or_default()))
    }
}

/// Marks key `bit` as seen; `None` when it was already (a key twice is serde's error).
fn first(seen: &mut u32, bit: u32) -> Option<()> {
    (*seen & bit == 0).then(|| *seen |= bit)
}

#[cfg(test)]
mod tests {
    use serde_json::value::RawValue;

    use super::super::RecordScan;
    use super::*;

    /// The fast reading of `text` agrees with serde_json's whenever it answers.
    fn agrees(text: &str) -> bool {
        let Some(fast) = read(text) else { return false };
        let serde: RecordScan<'_> = match serde_json::from_str(text) {
            Ok(s) => s,
            Err(e) => panic!("fast read accepted what serde rejects ({e}): {text:?}"),
        };
        assert!(!serde.message_id.0 && !serde.body.0 && serde.insight_details.is_none() && serde.synthesized.is_none());
        let want = FastRecord {
            event_time: serde.event_time.map(RawValue::get),
            event_name: serde.event_name,
            event_source: serde.event_source,
            event_version: serde.event_version,
            region: serde.region,
            recipient_account: serde.recipient_account,
            source_ip: serde.source_ip,
            user_agent: serde.user_agent,
            error_code: serde.error_code,
            error_message: serde.error_message,
            event_id: serde.event_id,
            user_identity: serde.user_identity,
        };
        assert_eq!(fast, want, "{text:?}");
        true
    }

    const RECORD: &str = r#"{"eventVersion":"1.10","userIdentity":{"type":"AssumedRole","principalId":"AROA:alice","arn":"arn:aws:sts::111122223333:assumed-role/Admin/alice","accountId":"111122223333","sessionContext":{"sessionIssuer":{"type":"Role","userName":"Admin"},"attributes":{"mfaAuthenticated":"false"}}},"eventTime":"2026-10-01T00:00:03Z","eventSource":"ec2.amazonaws.com","eventName":"DescribeInstances","awsRegion":"eu-west-1","sourceIPAddress":"203.0.113.7","userAgent":"quote \" tab \t caf\u00e9 \u2603 \/ 李雷 🚀","errorCode":null,"requestParameters":{"a":[1,-2.5e+3,0,true,false,null,{"b":"\ud83d"}],"c":{}},"responseElements":null,"eventID":"6e464026-4801-4d5c-8019-010000000008","readOnly":false,"recipientAccountId":"111122223333","tlsDetails":{"tlsVersion":"TLSv1.3"}}"#;

    #[test]
    fn a_common_record_reads_as_serde_reads_it() {
        assert!(agrees(RECORD));
        let r = read(RECORD).unwrap();
        assert_eq!(r.user_agent.as_str(), "quote \" tab \t café ☃ / 李雷 🚀");
        assert_eq!(r.event_time, Some("\"2026-10-01T00:00:03Z\""));
        assert_eq!(r.error_code.0, None);
        let issuer = r.user_identity.unwrap().session_context.unwrap().session_issuer.unwrap();
        assert_eq!(issuer.user_name.as_str(), "Admin");
        assert!(agrees(" { } ".trim()));
        assert!(agrees(
            r#"{"eventName":true,"userAgent":[{"x":[1]}],"awsRegion":[],"userIdentity":null,"eventTime":1700000000}"#
        ));
        assert!(agrees("{ \"eventName\" : \"X\" ,\n\t\"eventTime\" : \"t\" \r}"));
    }

    #[test]
    fn what_it_does_not_read_is_left_to_serde() {
        for text in [
            // serde's errors
            r#"{"eventName":"a","eventName":"b"}"#,
            r#"{"userIdentity":{"arn":"a","arn":"b"}}"#,
            r#"{"a":1,}"#,
            r#"{"a":01}"#,
            r#"{"a":1.}"#,
            r#"{"a":-}"#,
            r#"{"a":1e}"#,
            r#"{"a":"\x"}"#,
            r#"{"a":"\u12G4"}"#,
            "{\"a\":\"tab\tinside\"}",
            r#"{"a":tru}"#,
            r#"{"a" 1}"#,
            r#"{"a":[1 2]}"#,
            r#"{"a":{"b"}}"#,
            r#"{"a":1} x"#,
            r#"{"userIdentity":"text"}"#,
            r#"{"userAgent":"\ud800"}"#,
            r#"{"userAgent":{"\ud800":1}}"#,
            // serde's answers, another way
            r#"{"eventName":"\ud83d\ude80"}"#,
            r#"{"recipientAccountId":111122223333}"#,
            r#"{"event\u004eame":"X"}"#,
            r#"{"insightDetails":null}"#,
            r#"{"messageId":"1","body":"{}"}"#,
            r#"{"userIdentity":["IAMUser"]}"#,
            "[1]",
            "",
        ] {
            assert!(read(text).is_none(), "{text}");
        }
        let deep = format!(r#"{{"requestParameters":{}1{}}}"#, "[".repeat(100), "]".repeat(100));
        assert!(read(&deep).is_none());
        assert!(serde_json::from_str::<RecordScan<'_>>(&deep).is_ok(), "serde reads what this leaves to it");
    }

    #[test]
    fn mutated_records_never_read_otherwise_than_serde() {
        // Every one-byte change of a record to each of the JSON-significant bytes and a few
        // others: whenever the fast reader answers, serde gives the same fields.
        let bytes = RECORD.as_bytes();
        let mut answered = 0;
        for at in 0..bytes.len() {
            for &b in b"\"\\{}[],:0-.eEtfnu \x01aZ/" {
                let mut m = bytes.to_vec();
                m[at] = b;
                let Ok(text) = std::str::from_utf8(&m) else { continue };
                answered += usize::from(agrees(text));
            }
            let mut cut = bytes.to_vec();
            cut.remove(at);
            if let Ok(text) = std::str::from_utf8(&cut) {
                answered += usize::from(agrees(text));
            }
        }
        assert!(answered > 1000, "the mutations the reader answers are compared ({answered})");
    }
}
