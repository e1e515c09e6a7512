//! Tunnel pairing (contracts.md §2): a key push, else the instance inventory in the data, says
//! which instance (and OS user) a tunnel reached; one engine for the rows, the lanes and the detail.

use std::collections::BTreeMap;

use hashbrown::HashMap;
use serde_json::Value;

use crate::dataset::{Dataset, Pairing, TunnelRow, latest_end_ms};
use crate::eice::{find_key, find_string, flatten_strings};
use crate::model::TunnelFacts;
use crate::store::EventRef;
use crate::time::format_rfc3339;

/// How long before a tunnel a key push may be to pair with it (the key's lifetime).
pub const KEY_PUSH_WINDOW_MS: i64 = 60_000;

/// The instance behind every tunnel of a dataset (contracts.md §2 pairing), computed once per
/// load so re-filtering the Target lanes does not pair again.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TunnelPairings {
    /// Per tunnel's event index, its position in `pairs`.
    slot: HashMap<u32, u32>,
    pairs: Vec<(Pairing, String, String)>,
    /// The key pushes each key-push-paired tunnel paired with (event indices), by position in
    /// `pairs` in compressed-row form: `push_list[push_start[k]..push_start[k + 1]]`.
    push_start: Vec<u32>,
    push_list: Vec<u32>,
}

impl TunnelPairings {
    /// Pairs every tunnel of the dataset, as `Dataset::tunnel_rows` does.
    pub fn new(ds: &Dataset) -> Self {
        let mut pairer = Pairer::new(ds);
        let mut slot = HashMap::new();
        let mut pairs = Vec::new();
        let (mut push_start, mut push_list) = (vec![0u32], Vec::new());
        for (i, e) in ds.fact_events() {
            if let Some(t) = e.tunnel() {
                slot.insert(i, pairs.len() as u32);
                let pair = pairer.pair(e, t);
                if pair.0 == Pairing::KeyPush {
                    push_list.extend(pairer.candidates(e).iter().map(|&(_, j)| j));
                }
                push_start.push(push_list.len() as u32);
                pairs.push(pair);
            }
        }
        Self { slot, pairs, push_start, push_list }
    }

    /// The key pushes (event indices, in time order) the tunnel at this position paired with;
    /// empty unless its pairing is `key-push`.
    pub fn pushes_of(&self, index: u32) -> &[u32] {
        let Some(&at) = self.slot.get(&index) else { return &[] };
        let at = at as usize;
        match (self.push_start.get(at), self.push_start.get(at + 1)) {
            (Some(&from), Some(&to)) => &self.push_list[from as usize..to as usize],
            _ => &[],
        }
    }

    /// (pairing, instance ID, OS user) of the tunnel at this position of the dataset.
    pub fn get(&self, index: u32) -> Option<(Pairing, &str, &str)> {
        let at = *self.slot.get(&index)?;
        self.pairs.get(at as usize).map(|(p, i, u)| (*p, i.as_str(), u.as_str()))
    }
}

/// The (principal, account, Region, source IP) a key push and its tunnel share.
pub(crate) type PushKey<'a> = (&'a str, &'a str, &'a str, &'a str);

pub(crate) fn push_key<'e>(e: &EventRef<'e>) -> PushKey<'e> {
    (e.principal_arn, e.account, e.region, e.source_ip)
}

/// Pairs tunnels with instances as `Dataset::tunnel_rows` does (contracts.md §2), with the
/// key-push index built once and the inventory only when a tunnel needs it.
pub(crate) struct Pairer<'a> {
    ds: &'a Dataset,
    /// Successful key pushes by key: (time, event index), sorted.
    pushes: HashMap<PushKey<'a>, Vec<(i64, u32)>>,
    inventory: Option<Inventory>,
}

impl<'a> Pairer<'a> {
    pub(crate) fn new(ds: &'a Dataset) -> Self {
        Self::with_pushes(ds, |_| true)
    }

    /// A pairer that knows only the key pushes `keep` accepts (one tunnel's, for its detail).
    pub(crate) fn with_pushes(ds: &'a Dataset, keep: impl Fn(&EventRef<'_>) -> bool) -> Self {
        let mut pushes: HashMap<PushKey<'a>, Vec<(i64, u32)>> = HashMap::new();
        for (i, e) in ds.fact_events() {
            if e.key_push().is_some() && !e.is_failed() && keep(&e) {
                pushes.entry(push_key(&e)).or_default().push((e.time_ms, i));
            }
        }
        for list in pushes.values_mut() {
            list.sort_unstable();
        }
        Self { ds, pushes, inventory: None }
    }

    /// Successful key pushes that may pair with the tunnel: same key, at most 60 s before it.
    pub(crate) fn candidates(&self, tunnel: EventRef<'a>) -> &[(i64, u32)] {
        let Some(list) = self.pushes.get(&push_key(&tunnel)) else { return &[] };
        let t = tunnel.time_ms;
        let lo = list.partition_point(|&(p, _)| p < t.saturating_sub(KEY_PUSH_WINDOW_MS));
        let hi = list.partition_point(|&(p, _)| p <= t);
        &list[lo..hi.max(lo)]
    }

    /// (pairing, instance ID, OS user) of a tunnel.
    pub(crate) fn pair(&mut self, tunnel: EventRef<'a>, t: &TunnelFacts) -> (Pairing, String, String) {
        let mut found = self
            .candidates(tunnel)
            .iter()
            .filter_map(|&(_, j)| self.ds.full_event(j)?.key_push())
            .map(|k| (k.instance_id.as_str(), k.os_user.as_str()));
        if let Some(first) = found.next() {
            // Several pushes of the same key to the same instance and user still pair.
            return if found.all(|other| other == first) {
                (Pairing::KeyPush, first.0.to_owned(), first.1.to_owned())
            } else {
                (Pairing::Ambiguous, String::new(), String::new())
            };
        }
        let ds = self.ds;
        let inventory = self.inventory.get_or_insert_with(|| Inventory::build(ds.eice_events().map(|(_, e)| e)));
        let mut held = inventory.resolve(tunnel.account, tunnel.region, &t.private_ip, tunnel.time_ms);
        match held.len() {
            0 => (Pairing::None, String::new(), String::new()),
            1 => (Pairing::IpInventory, held.pop().unwrap_or_default(), String::new()),
            _ => (Pairing::Ambiguous, String::new(), String::new()),
        }
    }
}

/// The contract's tunnel row of one tunnel, as `Dataset::tunnel_rows` builds it.
pub(crate) fn tunnel_row(
    e: &EventRef<'_>,
    t: &TunnelFacts,
    pairing: Pairing,
    instance_id: String,
    os_user: String,
) -> TunnelRow {
    TunnelRow {
        event_id: e.event_id.to_string(),
        time: format_rfc3339(e.time_ms),
        endpoint_id: t.endpoint_id.clone(),
        private_ip: t.private_ip.clone(),
        port: t.port,
        max_duration_secs: t.max_duration_secs,
        max_duration_assumed: t.max_duration_assumed,
        latest_end: format_rfc3339(latest_end_ms(e.time_ms, t.max_duration_secs)),
        outcome: if e.is_failed() { "failed" } else { "accepted" }.to_owned(),
        error_code: e.error_code.to_owned(),
        principal: e.principal.to_owned(),
        principal_arn: e.principal_arn.to_owned(),
        source_ip: e.source_ip.to_owned(),
        user_agent: e.user_agent.to_owned(),
        account: e.account.to_owned(),
        region: e.region.to_owned(),
        instance_id,
        os_user,
        pairing,
    }
}

impl Dataset {
    /// Every tunnel in time order, paired with its instance by key push, else by the instance
    /// inventory (`RunInstances` / `CreateNetworkInterface`) found in the data.
    pub fn tunnel_rows(&self) -> Vec<TunnelRow> {
        // One pairing engine (TunnelPairings) serves the rows, the lanes and the detail.
        self.tunnel_rows_with(&TunnelPairings::new(self))
    }

    /// [`Dataset::tunnel_rows`] with pairings already computed for this dataset.
    pub fn tunnel_rows_with(&self, pairings: &TunnelPairings) -> Vec<TunnelRow> {
        self.tunnel_rows_indexed(pairings).into_iter().map(|(_, row)| row).collect()
    }

    /// [`Dataset::tunnel_rows_with`], each row with its event's position (an event ID alone
    /// may name two events: an ID collision).
    pub fn tunnel_rows_indexed(&self, pairings: &TunnelPairings) -> Vec<(u32, TunnelRow)> {
        self.eice_time_order(|e| e.tunnel().is_some())
            .into_iter()
            .filter_map(|(i, e)| {
                let t = e.tunnel()?;
                let (pairing, instance, user) = pairings.get(i).unwrap_or((Pairing::None, "", ""));
                Some((i, tunnel_row(&e, t, pairing, instance.to_owned(), user.to_owned())))
            })
            .collect()
    }
}

/// One IP claim: an instance (or a network interface) held this private IP from `start_ms`.
#[derive(Debug, Clone)]
struct Claim {
    /// `i-…` for instances, `eni-…` for network interfaces created on their own.
    holder: String,
    start_ms: i64,
}

/// The instance inventory found in the data: who held which private IP when (contracts.md §2).
///
/// `RunInstances` responses claim their instances' private IPv4 and IPv6 addresses (and their
/// network interfaces) until a `TerminateInstances`; `CreateNetworkInterface` responses claim
/// the interface's addresses until a `DeleteNetworkInterface`, resolved to an instance through
/// `AttachNetworkInterface` when the data has one. Failed calls claim nothing.
#[derive(Debug, Default)]
pub(crate) struct Inventory {
    /// Claims by (account, Region, canonical IP).
    claims: BTreeMap<(String, String, String), Vec<Claim>>,
    /// When each instance or interface ended (terminated or deleted), sorted.
    ends: HashMap<String, Vec<i64>>,
    /// Interface attachments to instances: (time, instance), sorted.
    attachments: HashMap<String, Vec<(i64, String)>>,
}

impl Inventory {
    /// Reads the inventory events among `events`.
    pub(crate) fn build<'e>(events: impl IntoIterator<Item = EventRef<'e>>) -> Self {
        let mut inv = Self::default();
        for e in events {
            let name = e.event_name;
            if e.is_failed()
                || !matches!(
                    name,
                    "RunInstances"
                        | "CreateNetworkInterface"
                        | "TerminateInstances"
                        | "DeleteNetworkInterface"
                        | "AttachNetworkInterface"
                )
            {
                continue;
            }
            let Some((req, resp)) = request_and_response(e.raw, name) else { continue };
            let (req, resp) = (&req, &resp);
            match name {
                "RunInstances" => {
                    for instance in ec2_items(find_key(resp, &["instancesSet"]).unwrap_or(&Value::Null)) {
                        let Some(id) = instance.get("instanceId").and_then(Value::as_str) else { continue };
                        let mut ips = Vec::new();
                        collect_ips(instance, &mut ips, 0);
                        inv.claim(&e, id, &ips);
                        let mut enis = Vec::new();
                        collect_strings_under(instance, "networkInterfaceId", &mut enis, 0);
                        for eni in enis {
                            inv.attachments.entry(eni).or_default().push((e.time_ms, id.to_owned()));
                        }
                    }
                }
                "CreateNetworkInterface" => {
                    let eni_obj = find_key(resp, &["networkInterface"]).unwrap_or(resp);
                    if let Some(id) = find_string(eni_obj, &["networkInterfaceId"]) {
                        let mut ips = Vec::new();
                        collect_ips(eni_obj, &mut ips, 0);
                        inv.claim(&e, &id, &ips);
                    }
                }
                "TerminateInstances" | "DeleteNetworkInterface" => {
                    let key = if name == "TerminateInstances" { "instanceId" } else { "networkInterfaceId" };
                    let mut ids = Vec::new();
                    collect_strings_under(req, key, &mut ids, 0);
                    collect_strings_under(resp, key, &mut ids, 0);
                    ids.sort();
                    ids.dedup();
                    for id in ids {
                        inv.ends.entry(id).or_default().push(e.time_ms);
                    }
                }
                _ => {
                    let eni = find_string(req, &["networkInterfaceId"]);
                    let instance = find_string(req, &["instanceId"]);
                    if let (Some(eni), Some(instance)) = (eni, instance) {
                        inv.attachments.entry(eni).or_default().push((e.time_ms, instance));
                    }
                }
            }
        }
        inv.ends.values_mut().for_each(|v| v.sort_unstable());
        inv.attachments.values_mut().for_each(|v| v.sort_unstable());
        inv
    }

    fn claim(&mut self, e: &EventRef<'_>, holder: &str, ips: &[String]) {
        for ip in ips {
            let key = (e.account.to_owned(), e.region.to_owned(), canonical_ip(ip));
            self.claims.entry(key).or_default().push(Claim { holder: holder.to_owned(), start_ms: e.time_ms });
        }
    }

    /// True while `id` exists at `t`: created at `start`, not yet terminated or deleted.
    fn alive(&self, id: &str, start_ms: i64, t_ms: i64) -> bool {
        start_ms <= t_ms
            && !self.ends.get(id).is_some_and(|ends| ends.iter().any(|&end| end >= start_ms && end <= t_ms))
    }

    /// The distinct instances (or interfaces) holding `ip` in that account and Region at `t`.
    pub(crate) fn resolve(&self, account: &str, region: &str, ip: &str, t_ms: i64) -> Vec<String> {
        if ip.is_empty() {
            return Vec::new();
        }
        let key = (account.to_owned(), region.to_owned(), canonical_ip(ip));
        let Some(claims) = self.claims.get(&key) else { return Vec::new() };
        let mut out: Vec<String> = Vec::new();
        for c in claims.iter().filter(|c| self.alive(&c.holder, c.start_ms, t_ms)) {
            let holder = if c.holder.starts_with("eni-") {
                self.attached_instance(&c.holder, t_ms).unwrap_or_else(|| c.holder.clone())
            } else {
                c.holder.clone()
            };
            if !out.contains(&holder) {
                out.push(holder);
            }
        }
        out.sort();
        out
    }

    /// The instance an interface was last attached to before `t`, if it still runs.
    fn attached_instance(&self, eni: &str, t_ms: i64) -> Option<String> {
        let (at, instance) = self.attachments.get(eni)?.iter().rev().find(|(at, _)| *at <= t_ms)?;
        self.alive(instance, *at, t_ms).then(|| instance.clone())
    }
}

/// The `requestParameters` and `responseElements` an inventory event is read from, as values
/// (`Null` when absent or not needed for `name`); `None` when the record is not a JSON object.
///
/// Only those two members are built as values (the rest of the record is skimmed), which makes
/// reading thousands of `RunInstances` several times cheaper; a record whose top level a typed
/// read refuses (duplicate keys) is read whole, as before.
fn request_and_response(raw: &str, name: &str) -> Option<(Value, Value)> {
    #[derive(serde::Deserialize)]
    struct Parts<'a> {
        #[serde(rename = "requestParameters", borrow, default)]
        req: Option<&'a serde_json::value::RawValue>,
        #[serde(rename = "responseElements", borrow, default)]
        resp: Option<&'a serde_json::value::RawValue>,
    }
    let (need_req, need_resp) = match name {
        "RunInstances" | "CreateNetworkInterface" => (false, true),
        "AttachNetworkInterface" => (true, false),
        _ => (true, true),
    };
    if !raw.trim_start().starts_with('{') {
        return None;
    }
    let value = |part: Option<&serde_json::value::RawValue>, need: bool| -> Option<Value> {
        match part {
            Some(p) if need => serde_json::from_str(p.get()).ok(),
            _ => Some(Value::Null),
        }
    };
    match serde_json::from_str::<Parts<'_>>(raw) {
        Ok(p) => Some((value(p.req, need_req)?, value(p.resp, need_resp)?)),
        Err(_) => {
            let Ok(Value::Object(mut rec)) = serde_json::from_str::<Value>(raw) else { return None };
            let req = rec.remove("requestParameters").unwrap_or(Value::Null);
            let resp = rec.remove("responseElements").unwrap_or(Value::Null);
            Some((req, resp))
        }
    }
}

/// IPv6 (and IPv4) written one way, so that `fd00::5` and `fd00:0::5` match.
fn canonical_ip(ip: &str) -> String {
    let ip = ip.trim();
    ip.parse::<std::net::IpAddr>().map_or_else(|_| ip.to_ascii_lowercase(), |a| a.to_string())
}

/// The elements of an EC2 list rendering (`{"items":[…]}`, `{"item":…}`, `[…]`).
fn ec2_items(v: &Value) -> Vec<&Value> {
    match v {
        Value::Array(items) => items.iter().collect(),
        Value::Object(map) => match map.get("items").or_else(|| map.get("item")) {
            Some(Value::Array(items)) => items.iter().collect(),
            Some(one @ Value::Object(_)) => vec![one],
            _ => Vec::new(),
        },
        _ => Vec::new(),
    }
}

/// Private IPv4 and IPv6 addresses anywhere under `v` (`privateIpAddress`, `ipv6Address`).
fn collect_ips(v: &Value, out: &mut Vec<String>, depth: usize) {
    for key in ["privateIpAddress", "ipv6Address"] {
        collect_strings_under(v, key, out, depth);
    }
    out.sort();
    out.dedup();
}

/// Every string under keys named `key` (case-insensitive, any depth).
fn collect_strings_under(v: &Value, key: &str, out: &mut Vec<String>, depth: usize) {
    if depth > 32 {
        return;
    }
    match v {
        Value::Object(map) => {
            for (k, child) in map {
                if k.eq_ignore_ascii_case(key) {
                    flatten_strings(child, out, 0);
                } else {
                    collect_strings_under(child, key, out, depth + 1);
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|i| collect_strings_under(i, key, out, depth + 1)),
        _ => {}
    }
}
