//! EC2 Instance Connect Endpoint semantics: tunnels, endpoint activity and key pushes.

use serde_json::Value;
use serde_json::value::RawValue;

use crate::model::{EiceFacts, EndpointFacts, EndpointOp, KeyPushFacts, TunnelFacts};
use crate::record::RecordIn;

/// `eventSource` of `OpenTunnel` and `SendSSHPublicKey`.
pub const EIC_SOURCE: &str = "ec2-instance-connect.amazonaws.com";
/// `maxTunnelDuration` when the request does not give one.
pub const DEFAULT_MAX_TUNNEL_SECS: u64 = 3600;
/// Inventory events that can resolve a private IP to an instance.
pub const INVENTORY_EVENTS: [&str; 2] = ["RunInstances", "CreateNetworkInterface"];

/// Derives the EICE facts of a record, if it is EICE-related.
pub(crate) fn facts(event_name: &str, event_source: &str, rec: &RecordIn<'_>) -> Option<EiceFacts> {
    if let Some(op) = EndpointOp::from_event_name(event_name) {
        return Some(EiceFacts::Endpoint(endpoint_facts(op, rec)));
    }
    if event_source != EIC_SOURCE && !event_source.is_empty() {
        return None;
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

fn tunnel_facts(rec: &RecordIn<'_>) -> TunnelFacts {
    let req = to_value(rec.request_parameters);
    let endpoint_id = find_string(&req, &["instanceConnectEndpointId"])
        .or_else(|| endpoint_ids_in_resources(rec).into_iter().next())
        .unwrap_or_default();
    let duration = find_key(&req, &["maxTunnelDuration"]).and_then(scalar_u64);
    TunnelFacts {
        endpoint_id,
        private_ip: find_string(&req, &["privateIpAddress"]).unwrap_or_default(),
        port: find_key(&req, &["remotePort"]).and_then(scalar_u64).and_then(|p| u32::try_from(p).ok()),
        max_duration_secs: duration.unwrap_or(DEFAULT_MAX_TUNNEL_SECS),
        max_duration_assumed: duration.is_none(),
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

fn to_value(raw: Option<&RawValue>) -> Value {
    raw.and_then(|r| serde_json::from_str(r.get()).ok()).unwrap_or(Value::Null)
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

fn scalar_u64(v: &Value) -> Option<u64> {
    match v {
        Value::Number(n) => {
            n.as_u64().or_else(|| n.as_f64().filter(|f| *f >= 0.0 && f.fract() == 0.0).map(|f| f as u64))
        }
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
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
