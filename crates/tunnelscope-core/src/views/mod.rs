//! What the investigation view shows, from a dataset and the indices of the events matching the filter.

// Semantics chosen here:
// - `indices` are positions in the dataset (as `query::matching_indices` returns them);
//   positions out of range are ignored rather than trusted.
// - Endpoint lives take the endpoint *set* and the usage (tunnel counts, first/last use) from
//   the matching events, but the lifecycle and configuration from every loaded event, so a
//   filter such as `user:alice` never makes an endpoint look created-before-the-data.
// - Configuration (subnet, VPC, groups, …) is read only from events naming exactly one
//   endpoint: an event naming several cannot say whose value it logged.
// - Failed Create/Modify/Delete calls changed nothing: they are listed in `failed_changes_ms`
//   only. Failed Describes are still reads and are kept as Describe ticks.
// - "First/last use" of an endpoint counts accepted tunnels only: a refused attempt is no use.
// - Histogram ranges are inclusive at both ends, so `time_extent`'s last instant is counted.
// - Principal lanes are keyed by ARN (else display name) and labelled with the display name.
// - Related events are listed once each, under the first relation that applies: key push /
//   paired tunnel, then endpoint lifecycle (every change, the 50 nearest Describes), then the
//   same principal within ±5 minutes (the 50 nearest).

use std::borrow::Cow;
use std::cmp::{Ordering, Reverse};
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use serde::{Deserialize, Serialize};

use crate::dataset::{Dataset, Pairing, TunnelRow, latest_end_ms};
use crate::ids::EventId;
use crate::model::{EiceFacts, EndpointOp, TunnelFacts};
pub use crate::pairing::TunnelPairings;

pub mod page;
pub mod raw;
use crate::pairing::{KEY_PUSH_WINDOW_MS, Pairer, push_key, tunnel_row};
use crate::store::{B_EICE, B_FAILED, B_TUNNEL, EventRef, Store, col};
use crate::time::format_rfc3339;

/// How far around an event the same principal's activity counts as related (±5 minutes).
pub const RELATED_WINDOW_MS: i64 = 5 * 60_000;
/// At most this many "same principal" related events are listed (nearest first).
pub const MAX_RELATED_PRINCIPAL: usize = 50;
/// At most this many Describe calls are listed as an endpoint's related lifecycle (nearest first).
pub const MAX_RELATED_DESCRIBES: usize = 50;
/// Event names that change what CloudTrail records (trails and Lake event data stores).
pub const TRAIL_CHANGE_EVENTS: [&str; 11] = [
    "StopLogging",
    "StartLogging",
    "DeleteTrail",
    "UpdateTrail",
    "PutEventSelectors",
    "PutInsightSelectors",
    "CreateTrail",
    "StopEventDataStoreIngestion",
    "StartEventDataStoreIngestion",
    "DeleteEventDataStore",
    "UpdateEventDataStore",
];

/// Histograms never hold more buckets than this (a canvas is far narrower).
pub const MAX_BUCKETS: usize = 1 << 20;

const DAY_MS: i64 = 86_400_000;

/// How the tunnel timeline groups tunnels into swimlanes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Grouping {
    /// One lane per endpoint ID.
    #[default]
    Endpoint,
    /// One lane per target private IP.
    Target,
    /// One lane per principal.
    Principal,
    /// One lane per source IP.
    SourceIp,
}

impl Grouping {
    /// Every grouping, in the order the UI offers them.
    pub const ALL: [Grouping; 4] = [Grouping::Endpoint, Grouping::Target, Grouping::Principal, Grouping::SourceIp];

    /// The name used in URLs and serde (`endpoint`, `target`, `principal`, `source-ip`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Endpoint => "endpoint",
            Self::Target => "target",
            Self::Principal => "principal",
            Self::SourceIp => "source-ip",
        }
    }

    /// The grouping with this name (ASCII case-insensitive, surrounding spaces ignored).
    pub fn parse(s: &str) -> Option<Self> {
        let s = s.trim();
        Self::ALL.into_iter().find(|g| g.as_str().eq_ignore_ascii_case(s))
    }

    /// A label for people (`Endpoint`, `Target IP`, `Principal`, `Source IP`).
    pub fn label(self) -> &'static str {
        match self {
            Self::Endpoint => "Endpoint",
            Self::Target => "Target IP",
            Self::Principal => "Principal",
            Self::SourceIp => "Source IP",
        }
    }
}

/// Events per time bucket over a range, with the failed tunnels among them.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Histogram {
    /// Start of the first bucket, UTC epoch milliseconds.
    pub start_ms: i64,
    /// Width of every bucket (at least 1 ms).
    pub bucket_ms: i64,
    /// Matching events per bucket, by event time.
    pub counts: Vec<u32>,
    /// Matching failed tunnels (OpenTunnel with an `errorCode`) per bucket.
    pub failed_tunnels: Vec<u32>,
}

/// The time span of the matching events: the earliest event time to the latest event time or
/// tunnel latest possible end; `None` when nothing matches.
pub fn time_extent(ds: &Dataset, indices: &[u32]) -> Option<(i64, i64)> {
    extent_over(ds, indices.iter().copied())
}

/// [`time_extent`] over any sequence of event indices.
fn extent_over(ds: &Dataset, indices: impl Iterator<Item = u32>) -> Option<(i64, i64)> {
    let mut extent: Option<(i64, i64)> = None;
    for e in indices.filter_map(|i| ds.get(i)) {
        let end = e.tunnel().map_or(e.time_ms, |t| latest_end_ms(e.time_ms, t.max_duration_secs).max(e.time_ms));
        extent = Some(match extent {
            None => (e.time_ms, end),
            Some((lo, hi)) => (lo.min(e.time_ms), hi.max(end)),
        });
    }
    extent
}

/// Counts matching events per bucket over the inclusive range `[range.0, range.1]` (swapped if
/// reversed) cut into `n_buckets` (1 to [`MAX_BUCKETS`]) equal buckets; events outside are not counted.
pub fn histogram(ds: &Dataset, indices: &[u32], range: (i64, i64), n_buckets: usize) -> Histogram {
    let mut h = empty_histogram(range, n_buckets);
    let (start, end, bucket, last) = (h.start_ms, range.0.max(range.1), h.bucket_ms as u64, h.counts.len() - 1);
    for e in indices.iter().filter_map(|&i| ds.get(i)) {
        let t = e.time_ms;
        if t < start || t > end {
            continue;
        }
        let b = usize::try_from(t.abs_diff(start) / bucket).unwrap_or(usize::MAX).min(last);
        h.counts[b] = h.counts[b].saturating_add(1);
        if e.is_failed() && e.tunnel().is_some() {
            h.failed_tunnels[b] = h.failed_tunnels[b].saturating_add(1);
        }
    }
    h
}

/// The zeroed buckets of a histogram over an inclusive range.
fn empty_histogram(range: (i64, i64), n_buckets: usize) -> Histogram {
    let n = n_buckets.clamp(1, MAX_BUCKETS);
    let (start, end) = (range.0.min(range.1), range.0.max(range.1));
    // Inclusive range: the last instant must land in the last bucket, hence the `+ 1`.
    let span = u128::from(end.abs_diff(start)) + 1;
    let bucket = span.div_ceil(n as u128).clamp(1, i64::MAX as u128) as i64;
    Histogram { start_ms: start, bucket_ms: bucket, counts: vec![0; n], failed_tunnels: vec![0; n] }
}

/// One tunnel drawn on the timeline.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct TunnelMark {
    /// The OpenTunnel `eventID`.
    pub event_id: String,
    /// When the tunnel was accepted (or refused), UTC epoch milliseconds.
    pub start_ms: i64,
    /// Latest possible end (start + max duration); `start_ms` itself for a failed attempt,
    /// which never opened.
    pub end_ms: i64,
    /// True when the call failed (has an `errorCode`).
    pub failed: bool,
    /// True when the max duration was assumed (3600 s), not logged.
    pub assumed: bool,
    /// Remote port.
    pub port: Option<u32>,
    /// The lane's sub-row the mark is drawn in (0 = top): marks whose intervals overlap never
    /// share a sub-row, unless the lane has [`MAX_LANE_ROWS`] of them (see [`Lane::n_overdrawn`]).
    pub row: u32,
}

/// A lane stacks overlapping tunnels into at most this many sub-rows.
pub const MAX_LANE_ROWS: u32 = 16;

/// One swimlane of the tunnel timeline.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Lane {
    /// The grouping value (endpoint ID, target IP, principal ARN or source IP); empty when unknown.
    pub key: String,
    /// The lane's title for people.
    pub label: String,
    /// Extra context: the instance and OS user of a target, the Region of an endpoint; else empty.
    pub sublabel: String,
    /// The lane's tunnels sorted by start (ties by event ID).
    pub marks: Vec<TunnelMark>,
    /// Failed tunnels among the marks.
    pub n_failed: u32,
    /// Sub-rows the marks are stacked into (at least 1; see [`pack_rows`]).
    pub rows: u32,
    /// Marks that found all [`MAX_LANE_ROWS`] sub-rows taken and overlap another mark.
    pub n_overdrawn: u32,
}

/// Stacks a lane's marks (sorted by start) into sub-rows by greedy interval packing: each mark
/// takes the first sub-row whose last interval ended before it starts. An accepted tunnel
/// covers `[start, latest end]`; a failed attempt never opened and covers the instant
/// `[start, start]`. Intervals that touch count as overlapping (a start mark drawn on the end
/// of a bar would hide it). With marks sorted by start this uses as few sub-rows as the most
/// marks overlapping at one instant, capped at `max_rows`: past that a mark goes to the sub-row
/// that ended first and is counted as overdrawn. Returns (sub-rows, overdrawn).
pub fn pack_rows(marks: &mut [TunnelMark], max_rows: u32) -> (u32, u32) {
    let max_rows = max_rows.max(1) as usize;
    // The latest end of each sub-row so far.
    let mut ends: Vec<i64> = Vec::new();
    let mut overdrawn = 0u32;
    for m in marks.iter_mut() {
        let end = if m.failed { m.start_ms } else { m.end_ms.max(m.start_ms) };
        let row = match ends.iter().position(|&e| e < m.start_ms) {
            Some(r) => r,
            None if ends.len() < max_rows => {
                ends.push(i64::MIN);
                ends.len() - 1
            }
            None => {
                overdrawn += 1;
                // The sub-row that frees first: the least overlap.
                ends.iter().enumerate().min_by_key(|&(i, &e)| (e, i)).map_or(0, |(i, _)| i)
            }
        };
        ends[row] = ends[row].max(end);
        m.row = row as u32;
    }
    (ends.len().max(1) as u32, overdrawn)
}

/// The principal's key: ARN (or principal ID), else the display name for rows without one.
fn principal_key<'e>(e: &EventRef<'e>) -> &'e str {
    if e.principal_arn.is_empty() { e.principal } else { e.principal_arn }
}

/// Orders events by time, then event ID (unique after dedupe), so every order is stable.
fn by_time(a: &EventRef<'_>, b: &EventRef<'_>) -> Ordering {
    a.time_ms.cmp(&b.time_ms).then_with(|| a.event_id.cmp(&b.event_id))
}

/// Distinct values are compared directly up to this many; beyond, they are hashed.
const FEW: usize = 16;

/// Dense ids for distinct strings. Real data has few distinct endpoints, accounts or Regions,
/// and comparing against a handful costs less than hashing every event's string.
#[derive(Default)]
struct Ids<'a> {
    all: Vec<&'a str>,
    map: HashMap<&'a str, usize>,
}

impl<'a> Ids<'a> {
    fn id(&mut self, s: &'a str) -> usize {
        if self.map.is_empty() {
            if let Some(p) = self.all.iter().position(|&x| x == s) {
                return p;
            }
            if self.all.len() < FEW {
                self.all.push(s);
                return self.all.len() - 1;
            }
            self.map = self.all.iter().enumerate().map(|(i, &x)| (x, i)).collect();
        }
        let next = self.all.len();
        let all = &mut self.all;
        *self.map.entry(s).or_insert_with(|| {
            all.push(s);
            next
        })
    }

    /// The id of a string already seen.
    fn get(&self, s: &str) -> Option<usize> {
        if self.map.is_empty() { self.all.iter().position(|&x| x == s) } else { self.map.get(s).copied() }
    }

    fn len(&self) -> usize {
        self.all.len()
    }
}

/// The swimlanes of the matching tunnels under a grouping, sorted by key (Target lanes pair
/// their tunnels on each call; see [`lanes_with`] to pair once per load).
pub fn lanes(ds: &Dataset, indices: &[u32], grouping: Grouping) -> Vec<Lane> {
    let source = if grouping == Grouping::Target { PairSource::Live(Pairer::new(ds)) } else { PairSource::Off };
    lanes_from(ds, indices, grouping, source)
}

/// Like [`lanes`], with Target sublabels read from pairings computed once per load.
pub fn lanes_with(ds: &Dataset, indices: &[u32], grouping: Grouping, pairings: &TunnelPairings) -> Vec<Lane> {
    let source = if grouping == Grouping::Target { PairSource::Cached(pairings) } else { PairSource::Off };
    lanes_from(ds, indices, grouping, source)
}

/// Where Target lanes learn which instance (and OS user) a tunnel reached.
enum PairSource<'p, 'a> {
    Off,
    Live(Pairer<'a>),
    Cached(&'p TunnelPairings),
}

impl<'p, 'a> PairSource<'p, 'a> {
    /// The instance and OS user a tunnel's pairing revealed, if it revealed one.
    fn revealed(&mut self, i: u32, e: EventRef<'a>, t: &TunnelFacts) -> Option<(Cow<'p, str>, Cow<'p, str>)> {
        let (pairing, instance, user) = match self {
            Self::Off => return None,
            Self::Live(p) => {
                let (p, i, u) = p.pair(e, t);
                (p, Cow::Owned(i), Cow::Owned(u))
            }
            Self::Cached(c) => c.get(i).map(|(p, i, u)| (p, Cow::Borrowed(i), Cow::Borrowed(u)))?,
        };
        (matches!(pairing, Pairing::KeyPush | Pairing::IpInventory) && !instance.is_empty()).then_some((instance, user))
    }
}

fn lanes_from<'a>(ds: &'a Dataset, indices: &[u32], grouping: Grouping, pairs: PairSource<'_, 'a>) -> Vec<Lane> {
    let mut slot = Ids::default();
    let mut groups: Vec<(&str, Vec<SortKey>)> = Vec::new();
    for &i in indices {
        let Some(e) = ds.full_event(i) else { continue };
        let Some(t) = e.tunnel() else { continue };
        let key = match grouping {
            Grouping::Endpoint => t.endpoint_id.as_str(),
            Grouping::Target => t.private_ip.as_str(),
            Grouping::Principal => principal_key(&e),
            Grouping::SourceIp => e.source_ip,
        };
        let k = slot.id(key);
        if k == groups.len() {
            groups.push((key, Vec::new()));
        }
        groups[k].1.push((e.time_ms, i));
    }
    build_lanes(ds, groups, grouping, pairs)
}

/// Lanes from tunnels already grouped by key, as (time, index) pairs.
fn build_lanes<'a>(
    ds: &'a Dataset,
    mut groups: Vec<(&str, Vec<SortKey>)>,
    grouping: Grouping,
    mut pairs: PairSource<'_, 'a>,
) -> Vec<Lane> {
    groups.sort_unstable_by(|a, b| a.0.cmp(b.0));
    groups
        .into_iter()
        .map(|(key, mut members)| {
            members.sort_unstable_by(key_order(ds, SortOrder::TimeAsc));
            let mut marks = Vec::with_capacity(members.len());
            let mut n_failed = 0u32;
            // For Target lanes: instance -> OS users revealed by pairing.
            let mut revealed: BTreeMap<Cow<'_, str>, BTreeSet<Cow<'_, str>>> = BTreeMap::new();
            let mut regions: Vec<&str> = Vec::new();
            for &(_, i) in &members {
                let Some(e) = ds.full_event(i) else { continue };
                let Some(t) = e.tunnel() else { continue };
                n_failed += u32::from(e.is_failed());
                marks.push(mark(&e, t));
                if let Some((instance, user)) = pairs.revealed(i, e, t) {
                    let users = revealed.entry(instance).or_default();
                    if !user.is_empty() {
                        users.insert(user);
                    }
                }
                if grouping == Grouping::Endpoint && !e.region.is_empty() && !regions.contains(&e.region) {
                    regions.push(e.region);
                }
            }
            let first = members.first().and_then(|&(_, i)| ds.full_event(i));
            let label = match grouping {
                _ if key.is_empty() => "(unknown)".to_owned(),
                Grouping::Principal => {
                    first.map(|e| if e.principal.is_empty() { key } else { e.principal }).unwrap_or(key).to_owned()
                }
                _ => key.to_owned(),
            };
            let sublabel = match grouping {
                Grouping::Target => target_sublabel(&revealed),
                Grouping::Endpoint => regions.join(", "),
                Grouping::Principal | Grouping::SourceIp => String::new(),
            };
            let (rows, n_overdrawn) = pack_rows(&mut marks, MAX_LANE_ROWS);
            Lane { key: key.to_owned(), label, sublabel, marks, n_failed, rows, n_overdrawn }
        })
        .collect()
}

fn mark(e: &EventRef<'_>, t: &TunnelFacts) -> TunnelMark {
    let failed = e.is_failed();
    TunnelMark {
        event_id: e.event_id.to_string(),
        start_ms: e.time_ms,
        end_ms: if failed { e.time_ms } else { latest_end_ms(e.time_ms, t.max_duration_secs) },
        failed,
        assumed: t.max_duration_assumed,
        port: t.port,
        row: 0,
    }
}

/// `i-0abc as ec2-user/ubuntu, i-0def`, at most three instances then `+N more`.
fn target_sublabel(revealed: &BTreeMap<Cow<'_, str>, BTreeSet<Cow<'_, str>>>) -> String {
    const SHOWN: usize = 3;
    let mut parts: Vec<String> = revealed
        .iter()
        .take(SHOWN)
        .map(|(instance, users)| {
            if users.is_empty() {
                instance.to_string()
            } else {
                let users: Vec<&str> = users.iter().map(|u| u.as_ref()).collect();
                format!("{instance} as {}", users.join("/"))
            }
        })
        .collect();
    if revealed.len() > SHOWN {
        parts.push(format!("+{} more", revealed.len() - SHOWN));
    }
    parts.join(", ")
}

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
type Stamped<'a, T> = Option<((i64, EventId<'a>), T)>;

/// Keeps the value logged latest.
fn keep_latest<'a, T>(slot: &mut Stamped<'a, T>, at: (i64, EventId<'a>), value: T) {
    if slot.as_ref().is_none_or(|(t, _)| at >= *t) {
        *slot = Some((at, value));
    }
}

/// Keeps the value logged earliest.
fn keep_earliest<'a, T>(slot: &mut Stamped<'a, T>, at: (i64, EventId<'a>), value: T) {
    if slot.as_ref().is_none_or(|(t, _)| at < *t) {
        *slot = Some((at, value));
    }
}

/// An endpoint life while it is being gathered.
#[derive(Default)]
struct LifeAcc<'a> {
    life: EndpointLife,
    first: Stamped<'a, (&'a str, &'a str)>,
    create: Stamped<'a, &'a str>,
    delete: Stamped<'a, &'a str>,
    modifies: Vec<((i64, EventId<'a>), &'a str)>,
    subnet: Stamped<'a, &'a str>,
    vpc: Stamped<'a, &'a str>,
    sgs: Stamped<'a, &'a [String]>,
    preserve: Stamped<'a, bool>,
    ip_type: Stamped<'a, &'a str>,
    dns: Stamped<'a, &'a str>,
}

impl<'a> LifeAcc<'a> {
    fn seen(&mut self, e: EventRef<'a>) {
        let at = (e.time_ms, e.event_id);
        keep_earliest(&mut self.first, at, (e.region, e.account));
        self.life.first_seen_ms = self.life.first_seen_ms.min(e.time_ms);
        self.life.last_seen_ms = self.life.last_seen_ms.max(e.time_ms);
    }

    fn activity(&mut self, e: EventRef<'a>, a: &'a crate::model::EndpointFacts, sole: bool) {
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

    fn finish(mut self) -> EndpointLife {
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

/// One life per distinct endpoint ID named by the matching events (contracts.md §2), sorted by
/// ID: usage from the matching tunnels, lifecycle and configuration from all loaded events.
pub fn endpoint_lives(ds: &Dataset, indices: &[u32]) -> Vec<EndpointLife> {
    let mut ids = Ids::default();
    let mut accs: Vec<LifeAcc<'_>> = Vec::new();
    fn acc_of<'e>(ids: &mut Ids<'e>, accs: &mut Vec<LifeAcc<'e>>, id: &'e str) -> usize {
        let k = ids.id(id);
        if k == accs.len() {
            let life = EndpointLife {
                endpoint_id: id.to_owned(),
                first_seen_ms: i64::MAX,
                last_seen_ms: i64::MIN,
                ..EndpointLife::default()
            };
            accs.push(LifeAcc { life, ..LifeAcc::default() });
        }
        k
    }
    for e in indices.iter().filter_map(|&i| ds.full_event(i)) {
        match &e.eice {
            Some(EiceFacts::Tunnel(t)) if !t.endpoint_id.is_empty() => {
                let k = acc_of(&mut ids, &mut accs, &t.endpoint_id);
                let life = &mut accs[k].life;
                life.n_tunnels += 1;
                if e.is_failed() {
                    life.n_failed += 1;
                } else {
                    life.first_use_ms = Some(life.first_use_ms.map_or(e.time_ms, |f| f.min(e.time_ms)));
                    life.last_use_ms = Some(life.last_use_ms.map_or(e.time_ms, |l| l.max(e.time_ms)));
                }
            }
            Some(EiceFacts::Endpoint(a)) => {
                for id in &a.endpoint_ids {
                    acc_of(&mut ids, &mut accs, id);
                }
            }
            _ => {}
        }
    }
    if accs.is_empty() {
        return Vec::new();
    }
    for (_, e) in ds.fact_events() {
        match &e.eice {
            Some(EiceFacts::Tunnel(t)) => {
                if let Some(k) = ids.get(&t.endpoint_id) {
                    accs[k].seen(e);
                }
            }
            Some(EiceFacts::Endpoint(a)) => {
                let sole = a.endpoint_ids.len() == 1;
                for id in &a.endpoint_ids {
                    if let Some(k) = ids.get(id) {
                        accs[k].seen(e);
                        accs[k].activity(e, a, sole);
                    }
                }
            }
            _ => {}
        }
    }
    let mut lives: Vec<EndpointLife> = accs.into_iter().map(LifeAcc::finish).collect();
    lives.sort_unstable_by(|a, b| a.endpoint_id.cmp(&b.endpoint_id));
    lives
}

/// One row of the event table, like the AWS console's columns.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct EventRow {
    /// `eventID`.
    pub event_id: String,
    /// Event time, UTC epoch milliseconds.
    pub time_ms: i64,
    /// Event time, RFC 3339 UTC with `Z`.
    pub time: String,
    /// `eventName`.
    pub event_name: String,
    /// `eventSource`.
    pub event_source: String,
    /// Principal display name.
    pub principal: String,
    /// `sourceIPAddress`.
    pub source_ip: String,
    /// `awsRegion`.
    pub region: String,
    /// Account.
    pub account: String,
    /// `errorCode`; empty when the call succeeded.
    pub error_code: String,
    /// `userAgent`.
    pub user_agent: String,
    /// True when an EICE investigation needs it (`export::is_eice_relevant`).
    pub is_eice: bool,
}

/// The table row of one event.
pub fn event_row(e: &EventRef<'_>) -> EventRow {
    EventRow {
        event_id: e.event_id.to_string(),
        time_ms: e.time_ms,
        time: format_rfc3339(e.time_ms),
        event_name: e.event_name.to_owned(),
        event_source: e.event_source.to_owned(),
        principal: e.principal.to_owned(),
        source_ip: e.source_ip.to_owned(),
        region: e.region.to_owned(),
        account: e.account.to_owned(),
        error_code: e.error_code.to_owned(),
        user_agent: e.user_agent.to_owned(),
        is_eice: e.is_eice,
    }
}

/// The event table's sort order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SortOrder {
    /// Oldest first (ties by event ID).
    #[default]
    TimeAsc,
    /// Newest first (ties by event ID, descending).
    TimeDesc,
}

/// An event's sort key: time first from a compact array, the event ID only on ties.
type SortKey = (i64, u32);

/// The comparator of an order over sort keys.
fn key_order(ds: &Dataset, order: SortOrder) -> impl Fn(&SortKey, &SortKey) -> Ordering + '_ {
    move |a, b| {
        let store = ds.store();
        let n = store.len();
        let o = a.0.cmp(&b.0).then_with(|| {
            let (x, y) = (a.1 as usize, b.1 as usize);
            if x < n && y < n { store.cmp_ids(x, y) } else { (x < n).cmp(&(y < n)) }
        });
        if order == SortOrder::TimeDesc { o.reverse() } else { o }
    }
}

/// Sort keys of the matching events (only EICE-related ones when `eice_only`).
fn sort_keys(ds: &Dataset, indices: &[u32], eice_only: bool) -> Vec<SortKey> {
    let store = ds.store();
    indices
        .iter()
        .filter_map(|&i| {
            let k = i as usize;
            let time = *store.time.get(k)?;
            (!eice_only || store.bits[k] & B_EICE != 0).then_some((time, i))
        })
        .collect()
}

/// The matching indices (only EICE-related ones when `eice_only`) fully sorted, for callers that
/// page through one result many times: sort once, then page with [`event_rows_sorted`].
pub fn sorted_event_indices(ds: &Dataset, indices: &[u32], eice_only: bool, order: SortOrder) -> Vec<u32> {
    let mut keys = sort_keys(ds, indices, eice_only);
    keys.sort_unstable_by(key_order(ds, order));
    keys.into_iter().map(|(_, i)| i).collect()
}

/// Rows `offset..offset + limit` of indices already in display order.
pub fn event_rows_sorted(ds: &Dataset, sorted: &[u32], offset: usize, limit: usize) -> Vec<EventRow> {
    let start = offset.min(sorted.len());
    let end = offset.saturating_add(limit).min(sorted.len());
    sorted[start..end].iter().filter_map(|&i| ds.get(i)).map(|e| event_row(&e)).collect()
}

/// One page of the event table: the total after `eice_only`, and rows `offset..offset + limit`
/// in the given order (by time, ties by event ID). Selects the page in linear time instead of
/// sorting every match.
pub fn event_rows(
    ds: &Dataset,
    indices: &[u32],
    eice_only: bool,
    order: SortOrder,
    offset: usize,
    limit: usize,
) -> (usize, Vec<EventRow>) {
    let mut keys = sort_keys(ds, indices, eice_only);
    let total = keys.len();
    let start = offset.min(total);
    let end = offset.saturating_add(limit).min(total);
    if start == end {
        return (total, Vec::new());
    }
    let cmp = key_order(ds, order);
    // Event IDs are unique, so the order is total and the selected page is exact.
    if end < total {
        keys.select_nth_unstable_by(end, &cmp);
        keys.truncate(end);
    }
    if start > 0 {
        keys.select_nth_unstable_by(start, &cmp);
    }
    let page = &mut keys[start..end];
    page.sort_unstable_by(&cmp);
    (total, page.iter().filter_map(|&(_, i)| ds.get(i)).map(|e| event_row(&e)).collect())
}

/// An event related to the selected one, and how.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct RelatedEvent {
    /// `key push`, `paired tunnel`, `endpoint lifecycle` or `same principal ±5 min`.
    pub relation: String,
    /// The related event.
    pub row: EventRow,
}

/// Everything the detail panel shows for one event.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct EventDetail {
    /// The event's key fields.
    pub row: EventRow,
    /// The raw record pretty-printed (key order and numbers kept), or as-is if it is not JSON.
    pub raw_pretty: String,
    /// The tunnel row, with its pairing, when the event is an `OpenTunnel`.
    pub tunnel: Option<TunnelRow>,
    /// Related events: key pushes / paired tunnels, then endpoint lifecycle by time, then the
    /// same principal's activity nearest first.
    pub related: Vec<RelatedEvent>,
}

/// Relation of a key push that paired with the selected tunnel.
pub const REL_KEY_PUSH: &str = "key push";
/// Relation of a tunnel the selected key push paired with.
pub const REL_PAIRED_TUNNEL: &str = "paired tunnel";
/// Relation of the activity of an endpoint the selected event names.
pub const REL_LIFECYCLE: &str = "endpoint lifecycle";
/// Relation of the same principal's activity around the selected event.
pub const REL_PRINCIPAL: &str = "same principal ±5 min";

/// The detail of the event with this ID: row, pretty raw record, tunnel row and related events.
///
/// A compact dataset may have dropped the raw record of a non-EICE event: then `raw_pretty` is
/// empty and the caller reads the record again ([`EventRef::span`]) and pretty-prints it.
pub fn event_detail(ds: &Dataset, event_id: &str) -> Option<EventDetail> {
    event_detail_with(ds, event_id, None)
}

/// [`event_detail`] with the dataset's tunnel pairings when they were computed for it (the
/// app's worker keeps them per load): a tunnel that no key push pairs then needs no instance
/// inventory read from every inventory record again (~0.5 s natively at 2,000,000 events).
pub fn event_detail_with(ds: &Dataset, event_id: &str, pairings: Option<&TunnelPairings>) -> Option<EventDetail> {
    let e = ds.event(event_id)?;
    let mut related: Vec<RelatedEvent> = Vec::new();
    let mut listed: HashSet<u32> = HashSet::from([e.index]);
    let add = |related: &mut Vec<RelatedEvent>, listed: &mut HashSet<u32>, relation: &str, j: u32| {
        if listed.insert(j) {
            if let Some(r) = ds.get(j) {
                related.push(RelatedEvent { relation: relation.to_owned(), row: event_row(&r) });
            }
        }
    };
    let mut tunnel = None;
    if let (Some(full), Some(t)) = (ds.full_event(e.index), e.tunnel()) {
        let key = push_key(&full);
        let window = e.time_ms.saturating_sub(KEY_PUSH_WINDOW_MS)..=e.time_ms;
        let mut pairer = Pairer::with_pushes(ds, |p| window.contains(&p.time_ms) && push_key(p) == key);
        let (pairing, instance, user) = match pairings.and_then(|p| p.get(e.index)) {
            Some((pairing, instance, user)) => (pairing, instance.to_owned(), user.to_owned()),
            None => pairer.pair(full, t),
        };
        tunnel = Some(tunnel_row(&full, t, pairing, instance, user));
        for &(_, j) in pairer.candidates(full) {
            add(&mut related, &mut listed, REL_KEY_PUSH, j);
        }
    }
    if let Some(full) = ds.full_event(e.index).filter(|f| f.key_push().is_some() && !f.is_failed()) {
        let key = push_key(&full);
        let mut paired: Vec<EventRef<'_>> = ds
            .fact_events()
            .filter(|(_, x)| {
                x.tunnel().is_some()
                    && x.time_ms >= e.time_ms
                    && x.time_ms - e.time_ms <= KEY_PUSH_WINDOW_MS
                    && push_key(x) == key
            })
            .filter_map(|(j, _)| ds.get(j))
            .collect();
        paired.sort_unstable_by(by_time);
        for x in paired {
            add(&mut related, &mut listed, REL_PAIRED_TUNNEL, x.index);
        }
    }
    let ids = e.endpoint_ids();
    if !ids.is_empty() {
        let mut changes: Vec<EventRef<'_>> = Vec::new();
        let mut describes: Vec<EventRef<'_>> = Vec::new();
        for (j, x) in ds.fact_events() {
            let Some(a) = x.endpoint_activity() else { continue };
            if !a.endpoint_ids.iter().any(|id| ids.contains(&id.as_str())) {
                continue;
            }
            let Some(x) = ds.get(j) else { continue };
            if a.op == Some(EndpointOp::Describe) { describes.push(x) } else { changes.push(x) }
        }
        // Busy trails describe endpoints constantly: keep the nearest ones.
        describes.sort_unstable_by(|a, b| nearest(&e, a, b));
        describes.truncate(MAX_RELATED_DESCRIBES);
        changes.extend(describes);
        changes.sort_unstable_by(by_time);
        for x in changes {
            add(&mut related, &mut listed, REL_LIFECYCLE, x.index);
        }
    }
    let who = e.principal_key();
    if !who.is_empty() {
        // Compare string ids, not text: one pass over two columns.
        let store = ds.store();
        let (arn, name) = (store.sid(col::ARN, e.index as usize), store.sid(col::PRINCIPAL, e.index as usize));
        let by_arn = !e.principal_arn.is_empty();
        let mut near: Vec<EventRef<'_>> = Vec::new();
        for (j, &t) in store.time.iter().enumerate() {
            if t.abs_diff(e.time_ms) > RELATED_WINDOW_MS as u64 || listed.contains(&(j as u32)) {
                continue;
            }
            let same = if by_arn {
                store.sid(col::ARN, j) == arn
            } else {
                store.text(col::ARN, j).is_empty() && store.sid(col::PRINCIPAL, j) == name
            };
            if same {
                near.extend(ds.get(j as u32));
            }
        }
        near.sort_unstable_by(|a, b| nearest(&e, a, b));
        near.truncate(MAX_RELATED_PRINCIPAL);
        for x in near {
            add(&mut related, &mut listed, REL_PRINCIPAL, x.index);
        }
    }
    let raw_pretty = if e.raw.is_empty() { String::new() } else { pretty_json(e.raw) };
    Some(EventDetail { row: event_row(&e), raw_pretty, tunnel, related })
}

/// Orders events by distance in time from `center`, then by time and ID.
fn nearest(center: &EventRef<'_>, a: &EventRef<'_>, b: &EventRef<'_>) -> Ordering {
    let d = |x: &EventRef<'_>| x.time_ms.abs_diff(center.time_ms);
    d(a).cmp(&d(b)).then_with(|| by_time(a, b))
}

/// Pretty-prints JSON text with two-space indents, keeping key order, duplicate keys and
/// number spellings exactly (a `serde_json::Value` round trip would sort keys); text that is
/// not JSON is returned as-is.
pub fn pretty_json(raw: &str) -> String {
    if serde_json::from_str::<serde::de::IgnoredAny>(raw).is_err() {
        return raw.to_owned();
    }
    let mut out = String::with_capacity(raw.len() + raw.len() / 2);
    let mut depth = 0usize;
    let mut chars = raw.chars().peekable();
    let newline = |out: &mut String, depth: usize| {
        out.push('\n');
        out.extend(std::iter::repeat_n(' ', depth * 2));
    };
    while let Some(c) = chars.next() {
        match c {
            '"' => {
                out.push('"');
                let mut escaped = false;
                for s in chars.by_ref() {
                    out.push(s);
                    match s {
                        _ if escaped => escaped = false,
                        '\\' => escaped = true,
                        '"' => break,
                        _ => {}
                    }
                }
            }
            '{' | '[' => {
                out.push(c);
                while chars.next_if(|n| n.is_ascii_whitespace()).is_some() {}
                if let Some(close) = chars.next_if(|&n| n == '}' || n == ']') {
                    out.push(close);
                } else {
                    depth += 1;
                    newline(&mut out, depth);
                }
            }
            '}' | ']' => {
                depth = depth.saturating_sub(1);
                newline(&mut out, depth);
                out.push(c);
            }
            ',' => {
                out.push(',');
                newline(&mut out, depth);
            }
            ':' => out.push_str(": "),
            c if c.is_ascii_whitespace() => {}
            c => out.push(c),
        }
    }
    out
}

/// Events on one UTC day.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct DayCount {
    /// The day, `YYYY-MM-DD` UTC.
    pub day: String,
    /// Loaded events on that day.
    pub events: u64,
}

/// What the loaded data covers, so an empty result can be trusted or doubted.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Coverage {
    /// Accounts with events, sorted.
    pub accounts: Vec<String>,
    /// Regions with events, sorted.
    pub regions: Vec<String>,
    /// Days with events, in order.
    pub days: Vec<DayCount>,
    /// Runs of days without events between the first and last day: (first missing, last missing).
    pub gaps: Vec<(String, String)>,
    /// Changes to what CloudTrail records ([`TRAIL_CHANGE_EVENTS`]), in time order.
    pub trail_changes: Vec<EventRow>,
    /// Events per (account, Region), sorted.
    pub account_regions: Vec<(String, String, u64)>,
}

/// `YYYY-MM-DD` of a day number since the epoch.
fn day_string(day: i64) -> String {
    day.checked_mul(86_400_000).map(crate::time::format_date).unwrap_or_default()
}

/// The accounts, Regions and days all loaded events cover, the gaps, and trail changes.
pub fn coverage(ds: &Dataset) -> Coverage {
    let mut days: BTreeMap<i64, u64> = BTreeMap::new();
    let store = ds.store();
    let (accounts, regions) = (&store.dict[col::ACCOUNT], &store.dict[col::REGION]);
    let mut pairs: HashMap<(u32, u32), u64> = HashMap::new();
    let names = &store.dict[col::NAME];
    let trail_change_ids: Vec<u32> = TRAIL_CHANGE_EVENTS.iter().filter_map(|n| names.find(n)).collect();
    let mut changes: Vec<EventRef<'_>> = Vec::new();
    // Events cluster by day: remember the last one to skip most map lookups.
    let mut last: Option<(i64, u64)> = None;
    for (i, &time) in store.time.iter().enumerate() {
        let day = time.div_euclid(DAY_MS);
        match &mut last {
            Some((d, n)) if *d == day => *n += 1,
            _ => {
                if let Some((d, n)) = last {
                    *days.entry(d).or_default() += n;
                }
                last = Some((day, 1));
            }
        }
        *pairs.entry((store.sid(col::ACCOUNT, i), store.sid(col::REGION, i))).or_default() += 1;
        if trail_change_ids.contains(&store.sid(col::NAME, i)) {
            changes.extend(ds.get(i as u32));
        }
    }
    if let Some((d, n)) = last {
        *days.entry(d).or_default() += n;
    }
    let mut account_regions: Vec<(String, String, u64)> =
        pairs.iter().map(|(&(a, r), &n)| (accounts.get(a).to_owned(), regions.get(r).to_owned(), n)).collect();
    let (mut seen_a, mut seen_r) = (vec![false; accounts.len()], vec![false; regions.len()]);
    for &(a, r) in pairs.keys() {
        (seen_a[a as usize], seen_r[r as usize]) = (true, true);
    }
    let used = |d: &'_ crate::store::Strings, seen: &[bool]| -> BTreeSet<String> {
        d.values().iter().zip(seen).filter(|(v, s)| **s && !v.is_empty()).map(|(v, _)| v.to_string()).collect()
    };
    let (accounts, regions) = (used(accounts, &seen_a), used(regions, &seen_r));
    account_regions.sort_unstable();
    let mut gaps = Vec::new();
    let mut prev: Option<i64> = None;
    for &d in days.keys() {
        if let Some(p) = prev.filter(|&p| d - p > 1) {
            gaps.push((day_string(p + 1), day_string(d - 1)));
        }
        prev = Some(d);
    }
    changes.sort_unstable_by(by_time);
    Coverage {
        accounts: accounts.into_iter().collect(),
        regions: regions.into_iter().collect(),
        days: days.into_iter().map(|(d, events)| DayCount { day: day_string(d), events }).collect(),
        gaps,
        trail_changes: changes.iter().map(event_row).collect(),
        account_regions,
    }
}

/// Distinct non-empty source IPs of the matching events.
pub fn n_source_ips(ds: &Dataset, indices: &[u32]) -> u64 {
    let mut set = Ids::default();
    for e in indices.iter().filter_map(|&i| ds.get(i)) {
        if !e.source_ip.is_empty() {
            set.id(e.source_ip);
        }
    }
    set.len() as u64
}

/// The overview counters over the matching events (contracts.md §4, plus source IPs).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Counters {
    /// Matching events.
    pub events: u64,
    /// Matching tunnels, accepted and failed.
    pub tunnels: u64,
    /// Matching failed tunnels.
    pub failed_tunnels: u64,
    /// Distinct endpoints named by matching events.
    pub endpoints: u64,
    /// Distinct principals of matching events (by ARN, else by name), as `Dataset::stats_of`.
    pub principals: u64,
    /// Distinct non-empty source IPs of matching events.
    pub source_ips: u64,
}

/// All overview counters in one pass over the matching events.
pub fn counters(ds: &Dataset, indices: &[u32]) -> Counters {
    let mut c = Counters::default();
    let (mut endpoints, mut arns, mut names, mut sources) =
        (Ids::default(), Ids::default(), Ids::default(), Ids::default());
    for e in indices.iter().filter_map(|&i| ds.get(i)) {
        c.events += 1;
        match e.eice {
            Some(EiceFacts::Tunnel(t)) => {
                c.tunnels += 1;
                c.failed_tunnels += u64::from(e.is_failed());
                if !t.endpoint_id.is_empty() {
                    endpoints.id(&t.endpoint_id);
                }
            }
            Some(EiceFacts::Endpoint(a)) => {
                for id in &a.endpoint_ids {
                    endpoints.id(id);
                }
            }
            _ => {}
        }
        // As stats_of: CSV rows know a person only by name.
        if !e.principal_arn.is_empty() {
            arns.id(e.principal_arn);
        } else if !e.principal.is_empty() {
            names.id(e.principal);
        }
        if !e.source_ip.is_empty() {
            sources.id(e.source_ip);
        }
    }
    c.endpoints = endpoints.len() as u64;
    c.principals = (arns.len() + names.len()) as u64;
    c.source_ips = sources.len() as u64;
    c
}

/// Sorts lanes by how many tunnels they hold (most first), then by key; for "busiest first" views.
pub fn sort_lanes_by_size(lanes: &mut [Lane]) {
    lanes.sort_by(|a, b| (Reverse(a.marks.len()), &a.key).cmp(&(Reverse(b.marks.len()), &b.key)));
}

/// Marks "no value" in the view index's id columns.
const NO_ID: u32 = u32::MAX;

/// What the views read beyond the dataset's own columns, built once per load: the tunnel and
/// endpoint facts of the (few) EICE events and every endpoint's lifecycle. Re-filtering then
/// touches the dataset's integer columns instead of every event's strings (issue 5: a million
/// events within 100 ms). Its methods give exactly the results of the functions of the same names.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ViewIndex {
    /// Events in the dataset when built (a different count means it is stale).
    n_events: usize,
    /// Per EICE event index (tunnels and endpoint activity), its slot in the sparse columns.
    slot: HashMap<u32, u32>,
    /// Latest possible end for tunnels (at least the start), the event time otherwise.
    end: Vec<i64>,
    /// Tunnel target id (`NO_ID` for non-tunnels).
    target: Vec<u32>,
    n_targets: u32,
    /// Endpoint ids per slot in compressed-row form.
    ep_start: Vec<u32>,
    ep_list: Vec<u32>,
    n_endpoints: u32,
    /// String ids of the empty ARN, name and source IP (`NO_ID` when absent).
    empty: [u32; 3],
    /// Distinct ARNs, names and source IPs when built.
    n_arns: u32,
    n_names: u32,
    n_sources: u32,
    /// Every endpoint's lifecycle from all events, usage zeroed, sorted by ID.
    lives: Vec<EndpointLife>,
    /// Per endpoint id, its position in `lives`.
    life_of: Vec<u32>,
}

impl ViewIndex {
    /// Indexes the events of a dataset.
    pub fn new(ds: &Dataset) -> Self {
        let store = ds.store();
        let mut ix = ViewIndex { n_events: ds.len(), ep_start: vec![0], ..ViewIndex::default() };
        let (mut targets, mut endpoints) = (Ids::default(), Ids::default());
        for (i, e) in ds.fact_events() {
            let tunnel = e.tunnel();
            if tunnel.is_none() && e.endpoint_activity().is_none() {
                continue;
            }
            ix.slot.insert(i, ix.end.len() as u32);
            ix.end.push(tunnel.map_or(e.time_ms, |t| latest_end_ms(e.time_ms, t.max_duration_secs).max(e.time_ms)));
            ix.target.push(tunnel.map_or(NO_ID, |t| targets.id(&t.private_ip) as u32));
            match &e.eice {
                Some(EiceFacts::Tunnel(t)) if !t.endpoint_id.is_empty() => {
                    ix.ep_list.push(endpoints.id(&t.endpoint_id) as u32)
                }
                Some(EiceFacts::Endpoint(a)) => {
                    ix.ep_list.extend(a.endpoint_ids.iter().map(|id| endpoints.id(id) as u32))
                }
                _ => {}
            }
            ix.ep_start.push(ix.ep_list.len() as u32);
        }
        let dict = &store.dict;
        ix.empty = [col::ARN, col::PRINCIPAL, col::SOURCE_IP].map(|c| dict[c].find("").unwrap_or(NO_ID));
        (ix.n_arns, ix.n_names, ix.n_sources) =
            (dict[col::ARN].len() as u32, dict[col::PRINCIPAL].len() as u32, dict[col::SOURCE_IP].len() as u32);
        ix.n_targets = targets.len() as u32;
        ix.n_endpoints = endpoints.len() as u32;
        let all: Vec<u32> = ds.fact_events().map(|(i, _)| i).collect();
        ix.lives = endpoint_lives(ds, &all);
        for life in &mut ix.lives {
            (life.n_tunnels, life.n_failed, life.first_use_ms, life.last_use_ms) = (0, 0, None, None);
        }
        ix.life_of = endpoints
            .all
            .iter()
            .map(|id| ix.lives.binary_search_by(|l| l.endpoint_id.as_str().cmp(id)).map_or(NO_ID, |p| p as u32))
            .collect();
        ix
    }

    /// The sparse slot of event `i`, when it is a tunnel or endpoint activity.
    fn slot_of(&self, store: &Store, i: usize) -> Option<usize> {
        if store.bits[i] & B_EICE == 0 {
            return None;
        }
        self.slot.get(&(i as u32)).map(|&k| k as usize)
    }

    fn endpoints_at(&self, slot: Option<usize>) -> &[u32] {
        slot.map_or(&[], |k| &self.ep_list[self.ep_start[k] as usize..self.ep_start[k + 1] as usize])
    }

    /// [`endpoint_lives`] over the index: the lifecycles were gathered once, only usage is counted.
    pub fn endpoint_lives(&self, ds: &Dataset, indices: &[u32]) -> Vec<EndpointLife> {
        if ds.len() != self.len() {
            return endpoint_lives(ds, indices);
        }
        let store = ds.store();
        let mut out: Vec<Option<EndpointLife>> = vec![None; self.lives.len()];
        for i in self.valid(indices) {
            let slot = self.slot_of(store, i);
            for &ep in self.endpoints_at(slot) {
                let Some(&at) = self.life_of.get(ep as usize) else { continue };
                let (Some(out_slot), Some(base)) = (out.get_mut(at as usize), self.lives.get(at as usize)) else {
                    continue;
                };
                let life = out_slot.get_or_insert_with(|| base.clone());
                if store.bits[i] & B_TUNNEL != 0 {
                    life.n_tunnels += 1;
                    if store.bits[i] & B_FAILED != 0 {
                        life.n_failed += 1;
                    } else {
                        let t = store.time[i];
                        life.first_use_ms = Some(life.first_use_ms.map_or(t, |f| f.min(t)));
                        life.last_use_ms = Some(life.last_use_ms.map_or(t, |l| l.max(t)));
                    }
                }
            }
        }
        out.into_iter().flatten().collect()
    }

    /// [`n_source_ips`] over the index.
    pub fn n_source_ips(&self, ds: &Dataset, indices: &[u32]) -> u64 {
        self.counters(ds, indices).source_ips
    }

    /// Number of indexed events.
    pub fn len(&self) -> usize {
        self.n_events
    }

    /// True when no events are indexed.
    pub fn is_empty(&self) -> bool {
        self.n_events == 0
    }

    fn valid<'i>(&self, indices: &'i [u32]) -> impl Iterator<Item = usize> + 'i {
        let n = self.len();
        indices.iter().map(|&i| i as usize).filter(move |&i| i < n)
    }

    /// [`time_extent`] over the index.
    pub fn time_extent(&self, ds: &Dataset, indices: &[u32]) -> Option<(i64, i64)> {
        if ds.len() != self.len() {
            return time_extent(ds, indices);
        }
        self.extent_of(ds, self.valid(indices))
    }

    /// [`time_extent`] of every event, without a list of all their indices.
    pub fn time_extent_all(&self, ds: &Dataset) -> Option<(i64, i64)> {
        if ds.len() != self.len() {
            return extent_over(ds, 0..ds.len() as u32);
        }
        self.extent_of(ds, 0..self.len())
    }

    fn extent_of(&self, ds: &Dataset, rows: impl Iterator<Item = usize>) -> Option<(i64, i64)> {
        let store = ds.store();
        let mut extent: Option<(i64, i64)> = None;
        for i in rows {
            let t = store.time[i];
            let end = self.slot_of(store, i).map_or(t, |k| self.end[k]);
            extent = Some(match extent {
                None => (t, end),
                Some((lo, hi)) => (lo.min(t), hi.max(end)),
            });
        }
        extent
    }

    /// [`histogram`] over the index.
    pub fn histogram(&self, ds: &Dataset, indices: &[u32], range: (i64, i64), n_buckets: usize) -> Histogram {
        if ds.len() != self.len() {
            return histogram(ds, indices, range, n_buckets);
        }
        let store = ds.store();
        let mut h = empty_histogram(range, n_buckets);
        let (start, end, bucket, last) = (h.start_ms, range.0.max(range.1), h.bucket_ms as u64, h.counts.len() - 1);
        for i in self.valid(indices) {
            let t = store.time[i];
            if t < start || t > end {
                continue;
            }
            let b = usize::try_from(t.abs_diff(start) / bucket).unwrap_or(usize::MAX).min(last);
            h.counts[b] = h.counts[b].saturating_add(1);
            if store.bits[i] & (B_TUNNEL | B_FAILED) == B_TUNNEL | B_FAILED {
                h.failed_tunnels[b] = h.failed_tunnels[b].saturating_add(1);
            }
        }
        h
    }

    /// [`counters`] over the index.
    pub fn counters(&self, ds: &Dataset, indices: &[u32]) -> Counters {
        if ds.len() != self.len() {
            return counters(ds, indices);
        }
        let store = ds.store();
        let mut c = Counters::default();
        let mut seen_arn = vec![false; self.n_arns as usize];
        let mut seen_name = vec![false; self.n_names as usize];
        let mut seen_s = vec![false; self.n_sources as usize];
        let mut seen_e = vec![false; self.n_endpoints as usize];
        let count = |seen: &mut [bool], id: u32, n: &mut u64| {
            if let Some(s) = seen.get_mut(id as usize).filter(|s| !**s) {
                *s = true;
                *n += 1;
            }
        };
        let [empty_arn, empty_name, empty_source] = self.empty;
        let (arns, names, sources) = (&store.strs[col::ARN], &store.strs[col::PRINCIPAL], &store.strs[col::SOURCE_IP]);
        for i in self.valid(indices) {
            c.events += 1;
            let bits = store.bits[i];
            // As stats_of: CSV rows know a person only by name.
            let (arn, name, source) = (arns.get(i), names.get(i), sources.get(i));
            if arn != empty_arn {
                count(&mut seen_arn, arn, &mut c.principals);
            } else if name != empty_name {
                count(&mut seen_name, name, &mut c.principals);
            }
            if source != empty_source {
                count(&mut seen_s, source, &mut c.source_ips);
            }
            if bits & B_EICE != 0 {
                if bits & B_TUNNEL != 0 {
                    c.tunnels += 1;
                    c.failed_tunnels += u64::from(bits & B_FAILED != 0);
                }
                for &ep in self.endpoints_at(self.slot_of(store, i)) {
                    count(&mut seen_e, ep, &mut c.endpoints);
                }
            }
        }
        c
    }

    /// [`lanes`] over the index; Target sublabels from `pairings` when given, else paired now.
    pub fn lanes(
        &self,
        ds: &Dataset,
        indices: &[u32],
        grouping: Grouping,
        pairings: Option<&TunnelPairings>,
    ) -> Vec<Lane> {
        if ds.len() != self.len() {
            // Built for another load: fall back to the exact scan.
            return match pairings {
                Some(p) => lanes_with(ds, indices, grouping, p),
                None => lanes(ds, indices, grouping),
            };
        }
        let store = ds.store();
        let n_ids = match grouping {
            Grouping::Endpoint => self.n_endpoints,
            Grouping::Target => self.n_targets,
            Grouping::Principal => self.n_arns + self.n_names,
            Grouping::SourceIp => self.n_sources,
        } as usize;
        // One extra slot for tunnels without a value (empty key).
        let mut slot = vec![NO_ID; n_ids + 1];
        let mut groups: Vec<(&str, Vec<SortKey>)> = Vec::new();
        let [empty_arn, empty_name, empty_source] = self.empty;
        for i in self.valid(indices) {
            if store.bits[i] & B_TUNNEL == 0 {
                continue;
            }
            let k = self.slot_of(store, i);
            let id = match grouping {
                Grouping::Endpoint => self.endpoints_at(k).first().copied().unwrap_or(NO_ID),
                Grouping::Target => k.map_or(NO_ID, |k| self.target[k]),
                Grouping::Principal => {
                    let (arn, name) = (store.sid(col::ARN, i), store.sid(col::PRINCIPAL, i));
                    if arn != empty_arn {
                        arn
                    } else if name != empty_name {
                        self.n_arns + name
                    } else {
                        NO_ID
                    }
                }
                Grouping::SourceIp => {
                    let s = store.sid(col::SOURCE_IP, i);
                    if s == empty_source { NO_ID } else { s }
                }
            };
            let s = (id as usize).min(n_ids);
            if slot[s] == NO_ID {
                let Some(e) = ds.full_event(i as u32) else { continue };
                slot[s] = groups.len() as u32;
                let key = match (grouping, e.tunnel()) {
                    (Grouping::Endpoint, Some(t)) => t.endpoint_id.as_str(),
                    (Grouping::Target, Some(t)) => t.private_ip.as_str(),
                    (Grouping::Principal, _) => principal_key(&e),
                    (Grouping::SourceIp, _) => e.source_ip,
                    _ => "",
                };
                groups.push((key, Vec::new()));
            }
            groups[slot[s] as usize].1.push((store.time[i], i as u32));
        }
        let source = match (grouping, pairings) {
            (Grouping::Target, Some(p)) => PairSource::Cached(p),
            (Grouping::Target, None) => PairSource::Live(Pairer::new(ds)),
            _ => PairSource::Off,
        };
        build_lanes(ds, groups, grouping, source)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sample::{SAMPLE_FILE_NAME, sample_trail_json};

    fn sample() -> Dataset {
        let mut ds = Dataset::new();
        ds.add_file(SAMPLE_FILE_NAME, &sample_trail_json());
        ds
    }

    fn all(ds: &Dataset) -> Vec<u32> {
        (0..ds.len() as u32).collect()
    }

    #[test]
    fn grouping_names_round_trip() {
        for g in Grouping::ALL {
            assert_eq!(Grouping::parse(g.as_str()), Some(g));
            let json = serde_json::to_string(&g).unwrap();
            assert_eq!(json, format!("\"{}\"", g.as_str()));
        }
        assert_eq!(Grouping::parse(" Source-IP "), Some(Grouping::SourceIp));
        assert_eq!(Grouping::parse("sourceip"), None);
        assert_eq!(Grouping::default(), Grouping::Endpoint);
        assert_eq!(serde_json::to_string(&SortOrder::TimeDesc).unwrap(), "\"time-desc\"");
    }

    #[test]
    fn histogram_counts_every_event_of_the_extent_once() {
        let ds = sample();
        let idx = all(&ds);
        let (lo, hi) = time_extent(&ds, &idx).unwrap();
        for n in [0, 1, 7, 100, 10_000] {
            let h = histogram(&ds, &idx, (lo, hi), n);
            assert_eq!(h.counts.len(), n.max(1));
            assert!(h.bucket_ms >= 1);
            assert_eq!(h.counts.iter().map(|&c| c as usize).sum::<usize>(), idx.len(), "{n} buckets");
            assert_eq!(h.failed_tunnels.iter().sum::<u32>(), 5);
        }
        // The extremes of i64 neither overflow nor lose events.
        let h = histogram(&ds, &idx, (i64::MAX, i64::MIN), 3);
        assert_eq!(h.counts.iter().sum::<u32>() as usize, idx.len());
        assert_eq!(time_extent(&ds, &[]), None);
        assert_eq!(histogram(&ds, &[], (0, 0), 4).counts, vec![0; 4]);
    }

    #[test]
    fn the_extent_of_all_events_is_the_extent_of_their_indices() {
        let mut ds = sample();
        let vi = ViewIndex::new(&ds);
        let extent = time_extent(&ds, &all(&ds));
        assert!(extent.is_some());
        assert_eq!(vi.time_extent_all(&ds), extent);
        assert_eq!(vi.time_extent(&ds, &all(&ds)), extent);
        // Giving back a load's unused room changes no event, and a stale index falls back.
        let before = ds.events();
        ds.reserve(10_000);
        ds.shrink_to_fit();
        assert_eq!(ds.events(), before);
        assert_eq!(ViewIndex::new(&Dataset::compact()).time_extent_all(&ds), extent);
        assert_eq!(ViewIndex::new(&ds).time_extent_all(&Dataset::compact()), None);
    }

    #[test]
    fn ids_stay_dense_and_stable_past_the_few() {
        let names: Vec<String> = (0..100).map(|i| format!("v{}", i % 40)).collect();
        let mut ids = Ids::default();
        let got: Vec<usize> = names.iter().map(|n| ids.id(n)).collect();
        assert_eq!(ids.len(), 40);
        assert_eq!(got, (0..100).map(|i| i % 40).collect::<Vec<_>>());
        assert_eq!((ids.get("v39"), ids.get("v3"), ids.get("nope")), (Some(39), Some(3), None));
        let mut few = Ids::default();
        assert_eq!((few.id("a"), few.id("b"), few.id("a"), few.get("b"), few.get("c")), (0, 1, 0, Some(1), None));
    }

    #[test]
    fn pretty_json_keeps_order_numbers_and_strings() {
        let raw = r#"{"b":1.50,"a":[],"c":{},"d":"x,\"y\": {z}","e":[1,{"f":null}]}"#;
        let want = "{\n  \"b\": 1.50,\n  \"a\": [],\n  \"c\": {},\n  \"d\": \"x,\\\"y\\\": {z}\",\n  \"e\": [\n    1,\n    {\n      \"f\": null\n    }\n  ]\n}";
        assert_eq!(pretty_json(raw), want);
        assert_eq!(pretty_json("not json {"), "not json {");
        assert_eq!(pretty_json("eventTime,eventName"), "eventTime,eventName");
    }

    #[test]
    fn own_pairing_matches_the_datasets() {
        let ds = sample();
        let mut pairer = Pairer::new(&ds);
        for row in ds.tunnel_rows() {
            let e = ds.full_event(ds.index_of(&row.event_id).unwrap()).unwrap();
            let (p, instance, user) = pairer.pair(e, e.tunnel().unwrap());
            let mine = tunnel_row(&e, e.tunnel().unwrap(), p, instance, user);
            assert_eq!(mine, row);
        }
    }
}
