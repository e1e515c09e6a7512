//! Table rows (Athena / CloudTrail Lake results, console CSV) to synthesized CloudTrail records.

use serde_json::{Map, Value};

use crate::record::SYNTH_KEY;

/// How a column's text becomes a JSON value.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// Kept as a string.
    Text,
    /// `true` / `false` become booleans.
    Bool,
    /// JSON text, else a `{key=value, …}` rendering (lossy), else a string.
    Json,
}

/// Record fields by lower-case column name (Athena lower-cases them; Lake keeps camelCase).
const TOP: &[(&str, &str, Kind)] = &[
    ("eventversion", "eventVersion", Kind::Text),
    ("useridentity", "userIdentity", Kind::Json),
    ("eventtime", "eventTime", Kind::Text),
    ("eventsource", "eventSource", Kind::Text),
    ("eventname", "eventName", Kind::Text),
    ("awsregion", "awsRegion", Kind::Text),
    ("sourceipaddress", "sourceIPAddress", Kind::Text),
    ("useragent", "userAgent", Kind::Text),
    ("errorcode", "errorCode", Kind::Text),
    ("errormessage", "errorMessage", Kind::Text),
    ("requestparameters", "requestParameters", Kind::Json),
    ("responseelements", "responseElements", Kind::Json),
    ("additionaleventdata", "additionalEventData", Kind::Json),
    ("requestid", "requestID", Kind::Text),
    ("eventid", "eventID", Kind::Text),
    ("eventtype", "eventType", Kind::Text),
    ("apiversion", "apiVersion", Kind::Text),
    ("readonly", "readOnly", Kind::Bool),
    ("resources", "resources", Kind::Json),
    ("recipientaccountid", "recipientAccountId", Kind::Text),
    ("serviceeventdetails", "serviceEventDetails", Kind::Json),
    ("sharedeventid", "sharedEventID", Kind::Text),
    ("vpcendpointid", "vpcEndpointId", Kind::Text),
    ("vpcendpointaccountid", "vpcEndpointAccountId", Kind::Text),
    ("eventcategory", "eventCategory", Kind::Text),
    ("managementevent", "managementEvent", Kind::Bool),
    ("tlsdetails", "tlsDetails", Kind::Json),
    ("sessioncredentialfromconsole", "sessionCredentialFromConsole", Kind::Text),
    ("addendum", "addendum", Kind::Json),
    ("edgedevicedetails", "edgeDeviceDetails", Kind::Json),
    ("insightdetails", "insightDetails", Kind::Json),
    ("eventcontext", "eventContext", Kind::Json),
];

/// Bare column names that Trino gives a selected `userIdentity.<field>` (it names the column
/// after the last field).
const IDENTITY_FIELDS: &[&str] = &["arn", "principalid", "accountid", "accesskeyid", "username", "invokedby"];

/// Nested keys as CloudTrail spells them (Athena lower-cases struct fields, also in
/// `CAST(… AS JSON)`); matched case-insensitively.
const NESTED: &[&str] = &[
    "type",
    "principalId",
    "arn",
    "accountId",
    "accessKeyId",
    "userName",
    "invokedBy",
    "sessionContext",
    "sessionIssuer",
    "attributes",
    "mfaAuthenticated",
    "creationDate",
    "webIdFederationData",
    "federatedProvider",
    "sourceIdentity",
    "ec2RoleDelivery",
    "assumedRoot",
    "identityProvider",
    "credentialId",
    "onBehalfOf",
    "userId",
    "identityStoreArn",
    "inScopeOf",
    "tlsVersion",
    "cipherSuite",
    "clientProvidedHostHeader",
    "state",
    "eventSource",
    "eventName",
    "insightType",
    "insightContext",
    "reason",
    "updatedFields",
    "originalRequestID",
    "originalEventID",
];

/// Columns of a result table mapped to record paths; built once per table.
pub(super) struct ColumnMap {
    /// Per column: the record path and kind, or `None` when the column is not a record field.
    targets: Vec<Option<(Vec<String>, Kind)>>,
    /// The index of a CloudWatch Logs Insights `@message` column (a whole record).
    message: Option<usize>,
}

impl ColumnMap {
    /// Maps column names; `None` when the table has no event-time column (not CloudTrail).
    pub(super) fn new(names: &[&str]) -> Option<Self> {
        let cleaned: Vec<String> = names.iter().map(|n| clean_name(n)).collect();
        let has_identity = cleaned.iter().any(|c| c == "useridentity");
        let mut targets = Vec::with_capacity(names.len());
        let mut message = None;
        for (i, name) in cleaned.iter().enumerate() {
            if name == "@message" {
                message = Some(i);
            }
            targets.push(target(name, has_identity));
        }
        let has = |field: &str| targets.iter().flatten().any(|(p, _)| p.len() == 1 && p[0] == field);
        let recognised = message.is_some() || (has("eventTime") && (has("eventName") || has("eventID")));
        recognised.then_some(Self { targets, message })
    }

    /// Builds the record JSON of one row (values in column order; empty means null).
    pub(super) fn record(&self, values: &[&str], from: &str) -> String {
        let mut rec = Map::new();
        let mut lossy: Vec<String> = Vec::new();
        if let Some(Value::Object(base)) =
            self.message.and_then(|i| values.get(i)).and_then(|m| serde_json::from_str::<Value>(m).ok())
        {
            rec = base;
        }
        for (target, value) in self.targets.iter().zip(values) {
            let Some((path, kind)) = target else { continue };
            let value = value.trim();
            if value.is_empty() {
                continue;
            }
            let (json, was_lossy) = convert(value, *kind, &path[0]);
            if was_lossy {
                lossy.push(path.join("."));
            }
            insert_path(&mut rec, path, json);
        }
        finish(rec, from, &lossy)
    }
}

/// Adds the synthesized-record marker and serialises.
pub(super) fn finish(mut rec: Map<String, Value>, from: &str, lossy: &[String]) -> String {
    let mut marker = Map::new();
    marker.insert("from".into(), Value::String(from.to_owned()));
    if !lossy.is_empty() {
        marker.insert("lossyFields".into(), Value::from(lossy.to_vec()));
    }
    rec.insert(SYNTH_KEY.into(), Value::Object(marker));
    Value::Object(rec).to_string()
}

/// Lower-case, trimmed, without quoting; `"userIdentity.arn"` → `useridentity.arn`.
fn clean_name(name: &str) -> String {
    name.trim().trim_matches(|c| c == '"' || c == '`' || c == '\'').trim().to_ascii_lowercase()
}

fn target(name: &str, has_identity: bool) -> Option<(Vec<String>, Kind)> {
    let mut segments = name.split('.');
    let first = segments.next()?;
    let rest: Vec<&str> = segments.collect();
    if let Some(&(_, field, kind)) = TOP.iter().find(|(col, _, _)| *col == first) {
        if rest.is_empty() {
            return Some((vec![field.to_owned()], kind));
        }
        if kind != Kind::Json || rest.iter().any(|s| s.is_empty()) {
            return None;
        }
        let mut path = vec![field.to_owned()];
        path.extend(rest.iter().map(|s| nested_name(s)));
        return Some((path, Kind::Text));
    }
    if rest.is_empty() && !has_identity && IDENTITY_FIELDS.contains(&first) {
        return Some((vec!["userIdentity".to_owned(), nested_name(first)], Kind::Text));
    }
    None
}

fn nested_name(s: &str) -> String {
    NESTED.iter().find(|k| k.eq_ignore_ascii_case(s)).map_or_else(|| s.to_owned(), |k| (*k).to_owned())
}

fn insert_path(rec: &mut Map<String, Value>, path: &[String], value: Value) {
    let Some((last, parents)) = path.split_last() else { return };
    let mut node = rec;
    for p in parents {
        let entry = node.entry(p.clone()).or_insert_with(|| Value::Object(Map::new()));
        if !entry.is_object() {
            *entry = Value::Object(Map::new());
        }
        let Value::Object(next) = entry else { return };
        node = next;
    }
    node.insert(last.clone(), value);
}

/// One cell to JSON; the flag says whether it was read best-effort (lossy).
fn convert(text: &str, kind: Kind, field: &str) -> (Value, bool) {
    match kind {
        Kind::Text => (Value::String(text.to_owned()), false),
        Kind::Bool => match text.to_ascii_lowercase().as_str() {
            "true" => (Value::Bool(true), false),
            "false" => (Value::Bool(false), false),
            _ => (Value::String(text.to_owned()), false),
        },
        Kind::Json => {
            if text == "null" {
                return (Value::Null, false);
            }
            let (mut v, lossy) = match serde_json::from_str::<Value>(text) {
                Ok(v) => (v, false),
                Err(_) if text.starts_with('{') || text.starts_with('[') => match parse_rendering(text) {
                    Some(v) => (v, true),
                    None => (Value::String(text.to_owned()), true),
                },
                Err(_) => (Value::String(text.to_owned()), true),
            };
            normalise(&mut v, field);
            (v, lossy)
        }
    }
}

/// Restores CloudTrail's spelling of nested keys and unwraps JSON held in strings (Lake maps
/// hold nested values as JSON text).
fn normalise(v: &mut Value, field: &str) {
    match field {
        "userIdentity" | "tlsDetails" | "addendum" | "insightDetails" => rename_keys(v, 0),
        "resources" => {
            if let Value::Array(items) = v {
                for item in items {
                    rename_keys(item, 0);
                    if let Value::Object(m) = item {
                        if let Some(arn) = m.remove("arn") {
                            m.insert("ARN".into(), arn);
                        }
                    }
                }
            }
        }
        _ => {}
    }
    if let Value::Object(map) = v {
        for child in map.values_mut() {
            if let Value::String(s) = child {
                let t = s.trim_start();
                if t.starts_with('{') || t.starts_with('[') {
                    if let Ok(inner) = serde_json::from_str::<Value>(s) {
                        *child = inner;
                    }
                }
            }
        }
    }
}

fn rename_keys(v: &mut Value, depth: usize) {
    if depth > 16 {
        return;
    }
    match v {
        Value::Object(map) => {
            let old = std::mem::take(map);
            for (k, mut child) in old {
                rename_keys(&mut child, depth + 1);
                map.insert(nested_name(&k), child);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|i| rename_keys(i, depth + 1)),
        _ => {}
    }
}

/// Parses Trino's rendering of structs, maps and arrays (`{type=IAMUser, arn=…}`, `[a, b]`),
/// best-effort: scalars are strings, `null` is null.
pub(super) fn parse_rendering(text: &str) -> Option<Value> {
    let mut p = Rendering { s: text.as_bytes(), i: 0 };
    let v = p.value(0, b"")?;
    p.skip_ws();
    (p.i == p.s.len()).then_some(v)
}

struct Rendering<'a> {
    s: &'a [u8],
    i: usize,
}

impl Rendering<'_> {
    fn skip_ws(&mut self) {
        while self.s.get(self.i).is_some_and(|b| *b == b' ') {
            self.i += 1;
        }
    }

    fn value(&mut self, depth: usize, ends: &[u8]) -> Option<Value> {
        if depth > 64 {
            return None;
        }
        self.skip_ws();
        match self.s.get(self.i) {
            Some(b'{') => self.object(depth),
            Some(b'[') => self.array(depth),
            _ => Some(self.scalar(ends)),
        }
    }

    fn object(&mut self, depth: usize) -> Option<Value> {
        self.i += 1;
        let mut map = Map::new();
        loop {
            self.skip_ws();
            match self.s.get(self.i) {
                Some(b'}') => {
                    self.i += 1;
                    return Some(Value::Object(map));
                }
                None => return None,
                _ => {}
            }
            let start = self.i;
            while self.s.get(self.i).is_some_and(|b| !matches!(b, b'=' | b',' | b'{' | b'}')) {
                self.i += 1;
            }
            if self.s.get(self.i) != Some(&b'=') {
                return None;
            }
            let key = String::from_utf8_lossy(&self.s[start..self.i]).trim().to_owned();
            self.i += 1;
            let v = self.value(depth + 1, b",}")?;
            map.insert(key, v);
            self.skip_ws();
            match self.s.get(self.i) {
                Some(b',') => self.i += 1,
                Some(b'}') => {}
                _ => return None,
            }
        }
    }

    fn array(&mut self, depth: usize) -> Option<Value> {
        self.i += 1;
        let mut items = Vec::new();
        loop {
            self.skip_ws();
            match self.s.get(self.i) {
                Some(b']') => {
                    self.i += 1;
                    return Some(Value::Array(items));
                }
                None => return None,
                _ => {}
            }
            items.push(self.value(depth + 1, b",]")?);
            self.skip_ws();
            match self.s.get(self.i) {
                Some(b',') => self.i += 1,
                Some(b']') => {}
                _ => return None,
            }
        }
    }

    /// A scalar runs to the closing bracket, or to a comma that starts the next `key=` (in a
    /// struct) or the next item (in an array): values such as user agents contain commas.
    fn scalar(&mut self, ends: &[u8]) -> Value {
        let start = self.i;
        while let Some(&b) = self.s.get(self.i) {
            if b == b',' && (ends != b",}" || self.next_is_key(self.i + 1)) {
                break;
            }
            if (b == b'}' || b == b']') && ends.contains(&b) {
                break;
            }
            self.i += 1;
        }
        let text = String::from_utf8_lossy(&self.s[start..self.i]).trim().to_owned();
        if text == "null" { Value::Null } else { Value::String(text) }
    }

    fn next_is_key(&self, mut j: usize) -> bool {
        while self.s.get(j) == Some(&b' ') {
            j += 1;
        }
        let start = j;
        while self.s.get(j).is_some_and(|b| b.is_ascii_alphanumeric() || *b == b'_' || *b == b'-') {
            j += 1;
        }
        j > start && self.s.get(j) == Some(&b'=')
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renderings() {
        let v = parse_rendering(
            "{type=IAMUser, principalid=AIDAX, arn=arn:aws:iam::111122223333:user/alice, sessioncontext={attributes={mfaauthenticated=false}, sessionissuer=null}, invokedby=null}",
        )
        .unwrap();
        assert_eq!(v["arn"], "arn:aws:iam::111122223333:user/alice");
        assert_eq!(v["sessioncontext"]["attributes"]["mfaauthenticated"], "false");
        assert_eq!(v["invokedby"], Value::Null);
        let v = parse_rendering("{ua=Mozilla/5.0 (KHTML, like Gecko), x=1}").unwrap();
        assert_eq!(v["ua"], "Mozilla/5.0 (KHTML, like Gecko)");
        let v = parse_rendering("[{accountid=1, type=AWS::EC2::Instance, arn=a}, {arn=b}]").unwrap();
        assert_eq!(v[1]["arn"], "b");
        assert!(parse_rendering("{unclosed=1").is_none());
        assert!(parse_rendering(&"[".repeat(10_000)).is_none());
    }

    #[test]
    fn columns_map_case_insensitively() {
        let map =
            ColumnMap::new(&["EventTime", "eventname", "useridentity.arn", "\"requestParameters\"", "other"]).unwrap();
        let raw = map.record(
            &[
                "2024-01-01 00:00:00.000",
                "OpenTunnel",
                "arn:aws:iam::111122223333:user/a",
                "{\"remotePort\":\"22\"}",
                "x",
            ],
            "query-row",
        );
        let v: Value = serde_json::from_str(&raw).unwrap();
        assert_eq!(v["userIdentity"]["arn"], "arn:aws:iam::111122223333:user/a");
        assert_eq!(v["requestParameters"]["remotePort"], "22");
        assert!(v.get("other").is_none());
        assert!(ColumnMap::new(&["name", "version"]).is_none());
    }
}
