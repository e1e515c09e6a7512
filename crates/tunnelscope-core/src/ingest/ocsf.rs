//! OCSF API Activity (`class_uid` 6003), as Amazon Security Lake stores CloudTrail and its
//! queries return it, mapped back to a CloudTrail record: the fields OCSF kept (operation,
//! service, actor, source, time, IDs, the request and response where kept) go back to their
//! CloudTrail names; the marker says which fields could not be mapped back and holds the
//! OCSF record as it was found.

use serde_json::{Map, Value};

use super::elements::Element;
use crate::model::Fidelity;
use crate::record::{FROM_OCSF, SYNTH_KEY, clip};
use crate::time::{epoch_number_ms, format_rfc3339, parse_time_ms};

/// The OCSF class of API Activity.
const API_ACTIVITY: u64 = 6003;

/// The CloudTrail fields a mapped record is checked for: those missing are named as lossy.
const EXPECTED: [&str; 12] = [
    "eventVersion",
    "eventTime",
    "eventSource",
    "eventName",
    "awsRegion",
    "sourceIPAddress",
    "userAgent",
    "requestParameters",
    "responseElements",
    "requestID",
    "eventID",
    "recipientAccountId",
];

/// One OCSF record (a JSON object's text) as a CloudTrail record, or why it is not one.
pub(super) fn record(body: &str) -> Element<'static> {
    let found: Value = match serde_json::from_str(body) {
        Ok(v @ Value::Object(_)) => v,
        _ => return Element::Invalid("unreadable OCSF record".into()),
    };
    let class = found.get("class_uid").and_then(|v| v.as_u64().or_else(|| v.as_str()?.trim().parse().ok()));
    if class != Some(API_ACTIVITY) {
        let name = found.get("class_name").and_then(Value::as_str).unwrap_or("");
        let shown = found.get("class_uid").map(Value::to_string).unwrap_or_default();
        return Element::Invalid(format!(
            "OCSF record of class {} {}, not API Activity (6003), which is what CloudTrail maps to",
            clip(&shown, 20),
            clip(name, 40)
        ));
    }
    let at = |path: &str| -> Option<&Value> {
        path.split('.').try_fold(&found, |v: &Value, k| v.get(k)).filter(|v| !v.is_null())
    };
    let text = |path: &str| -> Option<Value> {
        match at(path)? {
            Value::String(s) if s.is_empty() => None,
            v @ (Value::String(_) | Value::Number(_) | Value::Bool(_)) => Some(v.clone()),
            _ => None,
        }
    };
    let mut rec = Map::new();
    let put = |rec: &mut Map<String, Value>, key: &str, value: Option<Value>| {
        if let Some(v) = value {
            rec.insert(key.to_owned(), v);
        }
    };
    put(&mut rec, "eventVersion", text("metadata.product.version"));
    let time_ms = at("time")
        .and_then(|t| match t {
            Value::Number(n) => n.as_f64().and_then(epoch_number_ms),
            Value::String(s) => parse_time_ms(s),
            _ => None,
        })
        .or_else(|| at("time_dt").and_then(Value::as_str).and_then(parse_time_ms));
    put(&mut rec, "eventTime", time_ms.map(|ms| Value::String(format_rfc3339(ms))));
    put(&mut rec, "eventSource", text("api.service.name"));
    put(&mut rec, "eventName", text("api.operation"));
    put(&mut rec, "awsRegion", text("cloud.region"));
    put(&mut rec, "sourceIPAddress", text("src_endpoint.ip").or_else(|| text("src_endpoint.domain")));
    put(&mut rec, "userAgent", text("http_request.user_agent"));
    put(&mut rec, "errorCode", text("api.response.error"));
    put(&mut rec, "errorMessage", text("api.response.message"));
    put(&mut rec, "requestID", text("api.request.uid"));
    put(&mut rec, "eventID", text("metadata.uid"));
    put(&mut rec, "recipientAccountId", text("cloud.account.uid"));
    let mut identity = Map::new();
    put(&mut identity, "type", text("actor.user.type"));
    match text("actor.user.uid") {
        Some(Value::String(uid)) if uid.starts_with("arn:") => put(&mut identity, "arn", Some(Value::String(uid))),
        other => put(&mut identity, "principalId", other),
    }
    if !identity.contains_key("principalId") {
        put(&mut identity, "principalId", text("actor.user.uid_alt"));
    }
    put(&mut identity, "accountId", text("actor.user.account.uid").or_else(|| text("actor.user.account_uid")));
    put(&mut identity, "userName", text("actor.user.name"));
    put(&mut identity, "accessKeyId", text("actor.user.credential_uid"));
    put(&mut identity, "invokedBy", text("actor.invoked_by"));
    if let Some(Value::String(issuer)) = text("actor.session.issuer") {
        let name = issuer.rsplit('/').next().unwrap_or("").to_owned();
        let mut si = Map::new();
        si.insert("arn".into(), Value::String(issuer));
        if !name.is_empty() {
            si.insert("userName".into(), Value::String(name));
        }
        let mut sc = Map::new();
        sc.insert("sessionIssuer".into(), Value::Object(si));
        identity.insert("sessionContext".into(), Value::Object(sc));
    }
    if !identity.is_empty() {
        rec.insert("userIdentity".into(), Value::Object(identity));
    }
    // The request and response: kept in `api.*.data` (OCSF 1.1), else among the unmapped
    // fields, whole or flattened (`requestParameters.remotePort`).
    let unmapped = at("unmapped").and_then(Value::as_object);
    for (field, data) in [("requestParameters", "api.request.data"), ("responseElements", "api.response.data")] {
        let value = at(data).map(json_value).or_else(|| unmapped.and_then(|u| u.get(field)).map(json_value));
        let value = value.or_else(|| unmapped.and_then(|u| flattened(u, field)));
        put(&mut rec, field, value);
    }
    if let Some(Value::Array(resources)) = at("resources") {
        let list: Vec<Value> = resources
            .iter()
            .filter_map(|r| {
                let mut m = Map::new();
                if let Some(uid) = r.get("uid").filter(|v| v.is_string()) {
                    m.insert("ARN".into(), uid.clone());
                }
                if let Some(t) = r.get("type").filter(|v| v.is_string()) {
                    m.insert("type".into(), t.clone());
                }
                if let Some(a) = r.get("account_uid").or_else(|| r.get("owner").and_then(|o| o.get("account_uid"))) {
                    m.insert("accountId".into(), a.clone());
                }
                (!m.is_empty()).then_some(Value::Object(m))
            })
            .collect();
        if !list.is_empty() {
            rec.insert("resources".into(), Value::Array(list));
        }
    }
    // Other CloudTrail fields Security Lake keeps unmapped under their own names.
    if let Some(u) = unmapped {
        for (k, v) in u {
            if !k.contains('.') && !rec.contains_key(k) && !v.is_null() {
                rec.insert(k.clone(), json_value(v));
            }
        }
    }
    let mut lossy: Vec<Value> =
        EXPECTED.iter().filter(|f| !rec.contains_key(**f)).map(|f| Value::String((*f).to_owned())).collect();
    if rec.get("userIdentity").is_none_or(|i| i.get("sessionContext").is_none()) {
        lossy.push(Value::String("userIdentity.sessionContext".into()));
    }
    let mut marker = Map::new();
    marker.insert("from".into(), Value::String(FROM_OCSF.into()));
    marker.insert("lossyFields".into(), Value::Array(lossy));
    marker.insert("found".into(), found.clone());
    rec.insert(SYNTH_KEY.into(), Value::Object(marker));
    Element::OwnedRecord(Value::Object(rec).to_string(), Fidelity::QueryRow)
}

/// A field's value: JSON held as a string (Security Lake writes some as text) is read.
fn json_value(v: &Value) -> Value {
    match v {
        Value::String(s) if s.trim_start().starts_with(['{', '[']) => {
            serde_json::from_str(s).unwrap_or_else(|_| v.clone())
        }
        other => other.clone(),
    }
}

/// `field.x` keys of the unmapped map, as one object (`None` when there are none).
fn flattened(unmapped: &Map<String, Value>, field: &str) -> Option<Value> {
    let prefix = format!("{field}.");
    let mut out = Map::new();
    for (k, v) in unmapped {
        if let Some(rest) = k.strip_prefix(&prefix) {
            out.insert(rest.to_owned(), json_value(v));
        }
    }
    (!out.is_empty()).then_some(Value::Object(out))
}
