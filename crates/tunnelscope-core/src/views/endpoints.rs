//! Endpoint lives: each endpoint's lifecycle, configuration and use as the data shows it.

use super::*;

/// One endpoint's life as the data shows it, for the lifecycle track and the endpoint card.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct EndpointLife {
    /// The endpoint ID.
    pub endpoint_id: String,
    /// Region of the earliest event naming it.
    pub region: String,
    /// Account of the earliest event naming it.
    pub account: String,
    /// "Create requested": the first successful Create in the data; `None` = open-ended start.
    pub create_ms: Option<i64>,
    /// "Delete requested": the last successful Delete in the data; `None` = open-ended end.
    pub delete_ms: Option<i64>,
    /// The earliest event naming it (tunnel or endpoint activity, failed ones included).
    pub first_seen_ms: i64,
    /// The latest event naming it.
    pub last_seen_ms: i64,
    /// Successful Modify calls, in time order.
    pub modify_ms: Vec<i64>,
    /// Describe calls naming it, in time order.
    pub describe_ms: Vec<i64>,
    /// Failed Create, Modify and Delete calls naming it, in time order.
    pub failed_changes_ms: Vec<i64>,
    /// Who requested the first Create.
    pub created_by: String,
    /// Who requested the last Delete.
    pub deleted_by: String,
    /// Who modified it (unique, in time order).
    pub modified_by: Vec<String>,
    /// Subnet, latest logged.
    pub subnet_id: String,
    /// VPC, latest logged.
    pub vpc_id: String,
    /// Security groups, latest logged.
    pub security_group_ids: Vec<String>,
    /// `preserveClientIp`, latest value logged by a successful Create or Modify; never assumed.
    pub preserve_client_ip: Option<bool>,
    /// `ipAddressType`, latest logged.
    pub ip_address_type: String,
    /// DNS name, latest logged.
    pub dns_name: String,
    /// Matching tunnels through it (accepted and failed).
    pub n_tunnels: u64,
    /// Matching failed tunnels.
    pub n_failed: u64,
    /// The first matching accepted tunnel.
    pub first_use_ms: Option<i64>,
    /// The last matching accepted tunnel.
    pub last_use_ms: Option<i64>,
}

/// A value and the (time, event ID) it was logged at, so "latest" does not depend on load order.
pub(super) type Stamped<'a, T> = Option<((i64, EventId<'a>), T)>;

/// Keeps the value logged latest.
pub(super) fn keep_latest<'a, T>(slot: &mut Stamped<'a, T>, at: (i64, EventId<'a>), value: T) {
    if slot.as_ref().is_none_or(|(t, _)| at >= *t) {
        *slot = Some((at, value));
    }
}

/// Keeps the value logged earliest.
pub(super) fn keep_earliest<'a, T>(slot: &mut Stamped<'a, T>, at: (i64, EventId<'a>), value: T) {
    if slot.as_ref().is_none_or(|(t, _)| at < *t) {
        *slot = Some((at, value));
    }
}

/// An endpoint life while it is being gathered.
#[derive(Default)]
pub(super) struct LifeAcc<'a> {
    pub(super) life: EndpointLife,
    pub(super) first: Stamped<'a, (&'a str, &'a str)>,
    pub(super) create: Stamped<'a, &'a str>,
    pub(super) delete: Stamped<'a, &'a str>,
    pub(super) modifies: Vec<((i64, EventId<'a>), &'a str)>,
    pub(super) subnet: Stamped<'a, &'a str>,
    pub(super) vpc: Stamped<'a, &'a str>,
    pub(super) sgs: Stamped<'a, &'a [String]>,
    pub(super) preserve: Stamped<'a, bool>,
    pub(super) ip_type: Stamped<'a, &'a str>,
    pub(super) dns: Stamped<'a, &'a str>,
}

impl<'a> LifeAcc<'a> {
    pub(super) fn seen(&mut self, e: EventRef<'a>) {
        let at = (e.time_ms, e.event_id);
        keep_earliest(&mut self.first, at, (e.region, e.account));
        self.life.first_seen_ms = self.life.first_seen_ms.min(e.time_ms);
        self.life.last_seen_ms = self.life.last_seen_ms.max(e.time_ms);
    }

    pub(super) fn activity(&mut self, e: EventRef<'a>, a: &'a crate::model::EndpointFacts, sole: bool) {
        let at = (e.time_ms, e.event_id);
        let op = a.op.or_else(|| EndpointOp::from_event_name(e.event_name));
        match op {
            Some(EndpointOp::Describe) => self.life.describe_ms.push(e.time_ms),
            Some(_) if e.is_failed() => self.life.failed_changes_ms.push(e.time_ms),
            Some(EndpointOp::Create) => keep_earliest(&mut self.create, at, e.principal),
            Some(EndpointOp::Delete) => keep_latest(&mut self.delete, at, e.principal),
            Some(EndpointOp::Modify) => self.modifies.push((at, e.principal)),
            None => {}
        }
        // A failed call logged a request, not the endpoint's state.
        if !sole || e.is_failed() {
            return;
        }
        let non_empty = |s: &'a str| (!s.is_empty()).then_some(s);
        if let Some(v) = non_empty(&a.subnet_id) {
            keep_latest(&mut self.subnet, at, v);
        }
        if let Some(v) = non_empty(&a.vpc_id) {
            keep_latest(&mut self.vpc, at, v);
        }
        if !a.security_group_ids.is_empty() {
            keep_latest(&mut self.sgs, at, a.security_group_ids.as_slice());
        }
        if let Some(v) = non_empty(&a.ip_address_type) {
            keep_latest(&mut self.ip_type, at, v);
        }
        if let Some(v) = non_empty(&a.dns_name) {
            keep_latest(&mut self.dns, at, v);
        }
        if matches!(op, Some(EndpointOp::Create | EndpointOp::Modify)) {
            if let Some(v) = a.preserve_client_ip {
                keep_latest(&mut self.preserve, at, v);
            }
        }
    }

    pub(super) fn finish(mut self) -> EndpointLife {
        let mut life = self.life;
        if let Some((_, (region, account))) = self.first {
            (life.region, life.account) = (region.to_owned(), account.to_owned());
        }
        if let Some(((t, _), who)) = self.create {
            (life.create_ms, life.created_by) = (Some(t), who.to_owned());
        }
        if let Some(((t, _), who)) = self.delete {
            (life.delete_ms, life.deleted_by) = (Some(t), who.to_owned());
        }
        self.modifies.sort_unstable();
        life.modify_ms = self.modifies.iter().map(|((t, _), _)| *t).collect();
        for (_, who) in &self.modifies {
            if !life.modified_by.iter().any(|m| m == who) {
                life.modified_by.push((*who).to_owned());
            }
        }
        life.describe_ms.sort_unstable();
        life.failed_changes_ms.sort_unstable();
        let text = |s: Stamped<'_, &str>| s.map(|(_, v)| v.to_owned()).unwrap_or_default();
        life.subnet_id = text(self.subnet);
        life.vpc_id = text(self.vpc);
        life.ip_address_type = text(self.ip_type);
        life.dns_name = text(self.dns);
        life.security_group_ids = self.sgs.map(|(_, v)| v.to_vec()).unwrap_or_default();
        life.preserve_client_ip = self.preserve.map(|(_, v)| v);
        life
    }
}
