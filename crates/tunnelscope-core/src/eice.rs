//! EICE facts read from one record (tunnels, endpoint activity, key pushes) and the EICE event names.

use serde_json::Value;
use serde_json::value::RawValue;

use crate::model::{EiceFacts, EndpointFacts, EndpointOp, Event, KeyPushFacts, TunnelFacts};
use crate::record::RecordIn;

/// `eventSource` of `OpenTunnel` and `SendSSHPublicKey`.
pub const EIC_SOURCE: &str = "ec2-instance-connect.amazonaws.com";
/// `maxTunnelDuration` when the request does not give one.
pub const DEFAULT_MAX_TUNNEL_SECS: u64 = 3600;
/// The longest tunnel EICE opens (`maxTunnelDuration` is 1..=3600 s): no tunnel's latest end
/// is later than its start plus this, whatever its record says.
pub const MAX_TUNNEL_SECS: u64 = 3600;
/// Inventory events that can resolve a private IP to an instance.
pub const INVENTORY_EVENTS: [&str; 2] = ["RunInstances", "CreateNetworkInterface"];

/// Event names beyond [`INVENTORY_EVENTS`] that the instance inventory reads: when an instance or
/// interface ends, and which instance an interface is attached to; an extract keeps them so
/// pairing by inventory gives the same answer after reloading.
const INSTANCE_LIFECYCLE_EVENTS: [&str; 3] = ["TerminateInstances", "DeleteNetworkInterface", "AttachNetworkInterface"];

/// True for events an EICE investigation needs: tunnels, endpoint activity, key pushes, and the
/// inventory events that resolve private IPs to instances (and end those instances).
pub fn is_eice_relevant(e: &Event) -> bool {
    e.eice.is_some() || is_eice_name(&e.event_name)
}

/// True for the inventory and lifecycle event names [`is_eice_relevant`] keeps whatever their facts.
pub(crate) fn is_eice_name(name: &str) -> bool {
    INVENTORY_EVENTS.contains(&name) || INSTANCE_LIFECYCLE_EVENTS.contains(&name)
}

/// Derives the EICE facts of a record, if it is EICE-related.
pub(crate) fn facts(event_name: &str, event_source: &str, rec: &RecordIn<'_>) -> Option<EiceFacts> {
    if !may_have_facts(event_name, event_source) {
        return None;
    }
    if let Some(op) = EndpointOp::from_event_name(event_name) {
        return Some(EiceFacts::Endpoint(endpoint_facts(op, rec)));
    }
    match event_name {
        "OpenTunnel" => Some(EiceFacts::Tunnel(tunnel_facts(rec))),
        "SendSSHPublicKey" => {
            let req = to_value(rec.request_parameters);
            Some(EiceFacts::KeyPush(KeyPushFacts {
                instance_id: find_string(&req, &["instanceId"]).unwrap_or_default(),
                os_user: find_string(&req, &["instanceOSUser"]).unwrap_or_default(),
            }))
        }
        _ => None,
    }
}

/// True when [`facts`] gives facts for an event of this name and source (it always does then).
pub(crate) fn may_have_facts(event_name: &str, event_source: &str) -> bool {
    EndpointOp::from_event_name(event_name).is_some()
        || ((event_source == EIC_SOURCE || event_source.is_empty())
            && matches!(event_name, "OpenTunnel" | "SendSSHPublicKey"))
}

fn tunnel_facts(rec: &RecordIn<'_>) -> TunnelFacts {
    let req = to_value(rec.request_parameters);
    let endpoint_id = find_string(&req, &["instanceConnectEndpointId"])
        .or_else(|| endpoint_ids_in_resources(rec).into_iter().next())
        .unwrap_or_default();
    let mut out_of_range = false;
    // The rule for values EICE cannot produce (ARCHITECTURE.md, "EICE semantics"): the same
    // for strings and numbers; kept as given when a whole number that fits, else as absent;
    // flagged; and `latest_end_ms` never reaches past EICE's maximum duration.
    let (max_duration_secs, max_duration_assumed) = match find_key(&req, &["maxTunnelDuration"]).map(whole_number) {
        None | Some(Whole::Absent) => (DEFAULT_MAX_TUNNEL_SECS, true),
        Some(Whole::Value(secs)) => {
            out_of_range |= !(1..=MAX_TUNNEL_SECS).contains(&secs);
            (secs, false)
        }
        Some(Whole::Unreadable) => {
            out_of_range = true;
            (DEFAULT_MAX_TUNNEL_SECS, true)
        }
    };
    let port = match find_key(&req, &["remotePort"]).map(whole_number) {
        None | Some(Whole::Absent) => None,
        Some(Whole::Value(p)) => {
            out_of_range |= !(1..=65_535).contains(&p);
            u32::try_from(p).ok()
        }
        Some(Whole::Unreadable) => {
            out_of_range = true;
            None
        }
    };
    TunnelFacts {
        endpoint_id,
        private_ip: find_string(&req, &["privateIpAddress"]).unwrap_or_default(),
        port,
        max_duration_secs,
        max_duration_assumed,
        out_of_range,
    }
}

fn endpoint_facts(op: EndpointOp, rec: &RecordIn<'_>) -> EndpointFacts {
    let req = to_value(rec.request_parameters);
    let resp = to_value(rec.response_elements);
    let mut ids: Vec<String> = Vec::new();
    for v in [&req, &resp] {
        collect_endpoint_ids(v, &mut ids, 0);
    }
    ids.extend(endpoint_ids_in_resources(rec));
    ids.sort();
    ids.dedup();
    let either = |keys: &[&str]| find_string(&resp, keys).or_else(|| find_string(&req, keys)).unwrap_or_default();
    let mut sgs = Vec::new();
    for v in [&resp, &req] {
        if let Some(list) = find_key(v, &["securityGroupIdSet", "securityGroupIds", "securityGroupId"]) {
            flatten_strings(list, &mut sgs, 0);
        }
    }
    sgs.sort();
    sgs.dedup();
    let preserve =
        find_key(&resp, &["preserveClientIp"]).or_else(|| find_key(&req, &["preserveClientIp"])).and_then(scalar_bool);
    EndpointFacts {
        op: Some(op),
        endpoint_ids: ids,
        subnet_id: either(&["subnetId"]),
        vpc_id: either(&["vpcId"]),
        security_group_ids: sgs,
        preserve_client_ip: preserve,
        ip_address_type: either(&["ipAddressType"]),
        dns_name: find_string(&resp, &["dnsName"]).unwrap_or_default(),
        state: find_string(&resp, &["state"]).unwrap_or_default(),
    }
}

/// A request or response as a value. Text serde_json accepted as a raw value but will not
/// build (a number beyond f64 such as `1e999`, a lone surrogate escape) is read with such
/// numbers as strings of their text and such escapes as U+FFFD, so that one odd value never
/// blanks the others.
fn to_value(raw: Option<&RawValue>) -> Value {
    let Some(raw) = raw else { return Value::Null };
    serde_json::from_str(raw.get()).or_else(|_| serde_json::from_str(&tolerant_json(raw.get()))).unwrap_or(Value::Null)
}

/// `text` (valid JSON) with every number that does not fit an f64 quoted as a string of its
/// text, and every `\u` escape of a surrogate not in a pair replaced by `\uFFFD`.
fn tolerant_json(text: &str) -> String {
    let b = text.as_bytes();
    let mut out = String::with_capacity(text.len() + 16);
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'"' => {
                let start = i;
                i += 1;
                let mut from = start;
                while i < b.len() && b[i] != b'"' {
                    if b[i] == b'\\' {
                        if b.get(i + 1) == Some(&b'u') {
                            let unit = |at: usize| text.get(at..at + 4).and_then(|h| u16::from_str_radix(h, 16).ok());
                            match unit(i + 2) {
                                Some(0xD800..=0xDBFF)
                                    if text.get(i + 6..i + 8) == Some("\\u")
                                        && unit(i + 8).is_some_and(|lo| (0xDC00..=0xDFFF).contains(&lo)) =>
                                {
                                    i += 12;
                                }
                                Some(0xD800..=0xDFFF) => {
                                    out.push_str(&text[from..i]);
                                    out.push_str("\\uFFFD");
                                    i += 6;
                                    from = i;
                                }
                                _ => i += 6,
                            }
                        } else {
                            i += 2;
                        }
                    } else {
                        i += 1;
                    }
                }
                i = (i + 1).min(b.len());
                out.push_str(&text[from..i]);
            }
            b'-' | b'0'..=b'9' => {
                let start = i;
                while i < b.len() && matches!(b[i], b'-' | b'+' | b'.' | b'e' | b'E' | b'0'..=b'9') {
                    i += 1;
                }
                let number = &text[start..i];
                if number.parse::<f64>().is_ok_and(f64::is_finite) {
                    out.push_str(number);
                } else {
                    out.push('"');
                    out.push_str(number);
                    out.push('"');
                }
            }
            _ => {
                let start = i;
                i += 1;
                while i < b.len() && !matches!(b[i], b'"' | b'-' | b'0'..=b'9') {
                    i += 1;
                }
                out.push_str(&text[start..i]);
            }
        }
    }
    out
}

/// Endpoint IDs in `resources[].ARN` (`…:instance-connect-endpoint/eice-…`).
fn endpoint_ids_in_resources(rec: &RecordIn<'_>) -> Vec<String> {
    let resources = to_value(rec.resources);
    let mut out = Vec::new();
    if let Value::Array(items) = resources {
        for item in items {
            if let Some(arn) = find_string(&item, &["ARN", "arn"]) {
                if let Some(id) = id_from_arn(&arn) {
                    out.push(id);
                }
            }
        }
    }
    out
}

fn id_from_arn(arn: &str) -> Option<String> {
    let (_, id) = arn.rsplit_once("instance-connect-endpoint/")?;
    is_endpoint_id(id).then(|| id.to_owned())
}

/// True for `eice-…` and the documentation's `eici-…` IDs.
pub fn is_endpoint_id(s: &str) -> bool {
    (s.starts_with("eice-") || s.starts_with("eici-"))
        && s.len() > 5
        && s.len() <= 64
        && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

/// Collects endpoint IDs anywhere under keys named `instanceConnectEndpointId` (any case, any
/// EC2 list wrapping) or in endpoint ARNs.
fn collect_endpoint_ids(v: &Value, out: &mut Vec<String>, depth: usize) {
    if depth > 32 {
        return;
    }
    match v {
        Value::Object(map) => {
            for (k, child) in map {
                let lk = k.to_ascii_lowercase();
                if lk.starts_with("instanceconnectendpointid") {
                    let mut found = Vec::new();
                    flatten_strings(child, &mut found, 0);
                    out.extend(found.into_iter().filter(|s| is_endpoint_id(s)));
                } else if lk == "instanceconnectendpointarn" {
                    if let Some(id) = child.as_str().and_then(id_from_arn) {
                        out.push(id);
                    }
                } else {
                    collect_endpoint_ids(child, out, depth + 1);
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|i| collect_endpoint_ids(i, out, depth + 1)),
        _ => {}
    }
}

/// Finds the first value under any of `keys` (case-insensitive, at any depth, breadth-first).
pub(crate) fn find_key<'v>(v: &'v Value, keys: &[&str]) -> Option<&'v Value> {
    let mut queue = std::collections::VecDeque::from([(v, 0usize)]);
    while let Some((node, depth)) = queue.pop_front() {
        if depth > 32 {
            continue;
        }
        match node {
            Value::Object(map) => {
                for (k, child) in map {
                    if keys.iter().any(|want| k.eq_ignore_ascii_case(want)) {
                        return Some(child);
                    }
                }
                queue.extend(map.values().map(|c| (c, depth + 1)));
            }
            Value::Array(items) => queue.extend(items.iter().map(|c| (c, depth + 1))),
            _ => {}
        }
    }
    None
}

/// The first non-empty string (or number) under `keys`, unwrapping EC2 list shapes.
pub(crate) fn find_string(v: &Value, keys: &[&str]) -> Option<String> {
    let found = find_key(v, keys)?;
    let mut out = Vec::new();
    flatten_strings(found, &mut out, 0);
    out.into_iter().next()
}

/// Flattens EC2 list renderings (`""`, `[..]`, `{"item":..}`, `{"items":[..]}`,
/// `{"content":"sg-..","tag":1}`) and scalars into strings.
pub(crate) fn flatten_strings(v: &Value, out: &mut Vec<String>, depth: usize) {
    if depth > 16 {
        return;
    }
    match v {
        Value::String(s) if !s.is_empty() => out.push(s.clone()),
        Value::Number(n) => out.push(n.to_string()),
        Value::Array(items) => items.iter().for_each(|i| flatten_strings(i, out, depth + 1)),
        Value::Object(map) => {
            for key in ["item", "items", "content", "member", "value"] {
                if let Some(child) = map.get(key) {
                    flatten_strings(child, out, depth + 1);
                }
            }
        }
        _ => {}
    }
}

/// What a numeric field of a request holds, read alike from a string and a number.
#[derive(Debug, PartialEq)]
enum Whole {
    /// `null`, or an empty string: as if the key were absent.
    Absent,
    /// A whole number that fits 64 bits (`120`, `"120"`, `120.0`, `"1.2e2"`).
    Value(u64),
    /// Anything else: negative, fractional, beyond 64 bits (`18446744073709551616`, `1e999`),
    /// not a number (`"abc"`, `true`, an object).
    Unreadable,
}

fn whole_number(v: &Value) -> Whole {
    let from_f64 = |f: f64| {
        // 2^64 is the first value that does not fit: `f as u64` would saturate to u64::MAX.
        if f.is_finite() && f >= 0.0 && f.fract() == 0.0 && f < 18_446_744_073_709_551_616.0 {
            Whole::Value(f as u64)
        } else {
            Whole::Unreadable
        }
    };
    match v {
        Value::Null => Whole::Absent,
        Value::Number(n) => n.as_u64().map_or_else(|| n.as_f64().map_or(Whole::Unreadable, from_f64), Whole::Value),
        Value::String(s) => {
            let s = s.trim();
            if s.is_empty() {
                Whole::Absent
            } else if let Ok(n) = s.parse::<u64>() {
                Whole::Value(n)
            } else if s.bytes().all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'E' | b'+' | b'-')) {
                // JSON's number forms only (Rust would also read "inf" and "NaN").
                s.parse::<f64>().map_or(Whole::Unreadable, from_f64)
            } else {
                Whole::Unreadable
            }
        }
        _ => Whole::Unreadable,
    }
}

fn scalar_bool(v: &Value) -> Option<bool> {
    match v {
        Value::Bool(b) => Some(*b),
        Value::String(s) if s.eq_ignore_ascii_case("true") => Some(true),
        Value::String(s) if s.eq_ignore_ascii_case("false") => Some(false),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use crate::model::{EiceFacts, EndpointOp, Fidelity};
    use crate::record::parse_record;

    fn facts(json: &str) -> EiceFacts {
        parse_record(json, Fidelity::Full).unwrap().eice.expect("EICE facts")
    }

    #[test]
    fn open_tunnel_numbers_as_strings_or_numbers_and_assumed_duration() {
        let EiceFacts::Tunnel(t) = facts(
            r#"{"eventTime":"2024-01-01T00:00:00Z","eventSource":"ec2-instance-connect.amazonaws.com","eventName":"OpenTunnel",
            "requestParameters":{"instanceConnectEndpointId":"eice-0abc","remotePort":3389,"privateIpAddress":"fd00::5"}}"#,
        ) else {
            panic!("not a tunnel")
        };
        assert_eq!(t.endpoint_id, "eice-0abc");
        assert_eq!(t.port, Some(3389));
        assert_eq!(t.private_ip, "fd00::5");
        assert_eq!((t.max_duration_secs, t.max_duration_assumed), (3600, true));

        let EiceFacts::Tunnel(t) = facts(
            r#"{"eventTime":"2024-01-01T00:00:00Z","eventSource":"ec2-instance-connect.amazonaws.com","eventName":"OpenTunnel","errorCode":"AccessDenied",
            "requestParameters":{"remotePort":"8080","maxTunnelDuration":"120"},
            "resources":[{"type":"AWS::EC2::InstanceConnectEndpoint","ARN":"arn:aws:ec2:us-east-1:1:instance-connect-endpoint/eice-0def"}]}"#,
        ) else {
            panic!("not a tunnel")
        };
        assert_eq!(t.endpoint_id, "eice-0def");
        assert_eq!(t.port, Some(8080));
        assert_eq!((t.max_duration_secs, t.max_duration_assumed), (120, false));
    }

    #[test]
    fn create_endpoint_wrappers_and_ec2_list_shapes() {
        let EiceFacts::Endpoint(e) = facts(
            r#"{"eventTime":"2024-01-01T00:00:00Z","eventSource":"ec2.amazonaws.com","eventName":"CreateInstanceConnectEndpoint",
            "requestParameters":{"CreateInstanceConnectEndpointRequest":{"SubnetId":"subnet-1","SecurityGroupId":{"item":[{"content":"sg-2","tag":1},{"content":"sg-1","tag":2}]},"PreserveClientIp":"false"}},
            "responseElements":{"CreateInstanceConnectEndpointResponse":{"instanceConnectEndpoint":{"instanceConnectEndpointId":"eice-0123","state":"create-in-progress","vpcId":"vpc-9","subnetId":"subnet-1","dnsName":"eice-0123.x.amazonaws.com","securityGroupIdSet":"","tagSet":"","ipAddressType":"ipv4"}}}}"#,
        ) else {
            panic!("not endpoint activity")
        };
        assert_eq!(e.op, Some(EndpointOp::Create));
        assert_eq!(e.endpoint_ids, vec!["eice-0123"]);
        assert_eq!(e.vpc_id, "vpc-9");
        assert_eq!(e.subnet_id, "subnet-1");
        assert_eq!(e.security_group_ids, vec!["sg-1", "sg-2"]);
        assert_eq!(e.preserve_client_ip, Some(false));
        assert_eq!(e.state, "create-in-progress");
        assert_eq!(e.ip_address_type, "ipv4");
    }

    #[test]
    fn describe_names_ids_only_when_requested() {
        let EiceFacts::Endpoint(e) = facts(
            r#"{"eventTime":"2024-01-01T00:00:00Z","eventSource":"ec2.amazonaws.com","eventName":"DescribeInstanceConnectEndpoints","requestParameters":{"DescribeInstanceConnectEndpointsRequest":{"InstanceConnectEndpointId":{"item":"eice-0aa"}}},"responseElements":null}"#,
        ) else {
            panic!()
        };
        assert_eq!(e.endpoint_ids, vec!["eice-0aa"]);
        let EiceFacts::Endpoint(e) = facts(
            r#"{"eventTime":"2024-01-01T00:00:00Z","eventSource":"ec2.amazonaws.com","eventName":"DescribeInstanceConnectEndpoints","requestParameters":{"DescribeInstanceConnectEndpointsRequest":{"MaxResults":5}},"responseElements":null}"#,
        ) else {
            panic!()
        };
        assert!(e.endpoint_ids.is_empty());
    }

    #[test]
    fn key_push() {
        let EiceFacts::KeyPush(k) = facts(
            r#"{"eventTime":"2024-01-01T00:00:00Z","eventSource":"ec2-instance-connect.amazonaws.com","eventName":"SendSSHPublicKey","requestParameters":{"instanceId":"i-1","instanceOSUser":"ec2-user","sSHPublicKey":"ssh-ed25519 AAAA"}}"#,
        ) else {
            panic!()
        };
        assert_eq!((k.instance_id.as_str(), k.os_user.as_str()), ("i-1", "ec2-user"));
    }
}
