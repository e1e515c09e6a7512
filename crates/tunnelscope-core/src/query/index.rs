//! QueryIndex: the query matched over the dataset's columns, built once per load; gives
//! exactly the scan's (`matching_indices`) results.

use super::*;
use crate::intern::Strings;

/// Marks "no value" in the index's id columns (non-tunnels have no target, no port).
pub(super) const NONE: u32 = u32::MAX;

/// What the query language reads beyond the dataset's own columns, built once per load: the
/// tunnel and endpoint facts of the (few) EICE events, and the distinct source IPs parsed once.
/// String conditions are compiled into hit tables over each column's distinct values, so
/// re-filtering reads small integer columns instead of every event's strings, and gives
/// [`matching_indices`]' results.
#[derive(Debug, Clone, Default)]
pub struct QueryIndex {
    /// Events in the dataset when built (a different count means it is stale).
    pub(super) n_events: usize,
    /// Per EICE event index, its slot in the sparse columns below.
    pub(super) slot: HashMap<u32, u32>,
    /// Latest possible end for tunnels, the event time otherwise.
    pub(super) end: Vec<i64>,
    /// Per slot, the tunnel's port (`None`: no tunnel, or no port; every `u32` is a port the
    /// data can hold, so none of them marks absence).
    pub(super) port: Vec<Option<u32>>,
    pub(super) is_tunnel: Vec<bool>,
    pub(super) target: Vec<u32>,
    pub(super) targets: Vec<String>,
    pub(super) target_ips: Vec<Option<IpAddr>>,
    /// Endpoint IDs per slot in compressed-row form: slot `k` names `ep_list[ep_start[k]..ep_start[k + 1]]`.
    pub(super) ep_start: Vec<u32>,
    pub(super) ep_list: Vec<u32>,
    pub(super) endpoints: Vec<String>,
    /// The dataset's distinct source IPs parsed as addresses, by string id.
    pub(super) source_ips: Vec<Option<IpAddr>>,
}

/// A condition compiled against an index: string conditions become a hit table over the
/// distinct values, evaluated once per query instead of once per event.
#[derive(Debug)]
pub(super) enum Pred {
    /// A dataset column (`store::col`) and hits over its distinct values.
    Hits(usize, Vec<bool>),
    /// Principal name or ARN.
    User(Vec<bool>, Vec<bool>),
    Target(Vec<bool>),
    Endpoint(Vec<bool>),
    Word(Box<WordHits>),
    Port(u32),
    Failed(bool),
    After(i64),
    Before(i64),
    Active(i64),
    /// A bound `session:`, `finding:` or `severity:` term: a bit per event.
    Set(Vec<u64>),
}

/// A query's tree with its conditions compiled.
#[derive(Debug)]
pub(super) enum PNode {
    All(Vec<PNode>),
    Any(Vec<PNode>),
    Not(Box<PNode>),
    Leaf(Pred),
}

/// Hit tables of a bare word, one per searched field.
#[derive(Debug)]
pub(super) struct WordHits {
    pub(super) principal: Vec<bool>,
    pub(super) arn: Vec<bool>,
    pub(super) event: Vec<bool>,
    pub(super) source: Vec<bool>,
    pub(super) error: Vec<bool>,
    pub(super) target: Vec<bool>,
    pub(super) endpoint: Vec<bool>,
    pub(super) agent: Vec<bool>,
}

/// The hit for an id, `false` for [`NONE`].
pub(super) fn hit(table: &[bool], id: u32) -> bool {
    table.get(id as usize).copied().unwrap_or(false)
}

impl QueryIndex {
    /// Indexes the events of a dataset.
    pub fn new(ds: &Dataset) -> Self {
        let mut ix = QueryIndex { n_events: ds.len(), ep_start: vec![0], ..QueryIndex::default() };
        let (mut tg, mut ep) = (Strings::default(), Strings::default());
        for (i, e) in ds.fact_events() {
            let tunnel = e.tunnel();
            if tunnel.is_none() && e.endpoint_activity().is_none() {
                continue;
            }
            ix.slot.insert(i, ix.end.len() as u32);
            ix.end.push(tunnel.map_or(e.time_ms, |t| latest_end_ms(e.time_ms, t.max_duration_secs)));
            ix.is_tunnel.push(tunnel.is_some());
            ix.port.push(tunnel.and_then(|t| t.port));
            ix.target.push(tunnel.map_or(NONE, |t| tg.intern(&t.private_ip)));
            match &e.eice {
                Some(EiceFacts::Tunnel(t)) => ix.ep_list.push(ep.intern(&t.endpoint_id)),
                Some(EiceFacts::Endpoint(a)) => ix.ep_list.extend(a.endpoint_ids.iter().map(|id| ep.intern(id))),
                _ => {}
            }
            ix.ep_start.push(u32::try_from(ix.ep_list.len()).unwrap_or(NONE));
        }
        (ix.targets, ix.endpoints) = (tg.into_values(), ep.into_values());
        ix.target_ips = ix.targets.iter().map(|s| parse_ip(s)).collect();
        ix.source_ips = ds.store().dict[col::SOURCE_IP].values().iter().map(|s| parse_ip(s)).collect();
        ix
    }

    /// Number of events indexed.
    pub fn len(&self) -> usize {
        self.n_events
    }

    /// True when no events are indexed.
    pub fn is_empty(&self) -> bool {
        self.n_events == 0
    }

    /// Indices of events, ascending, matching the query and the window, like [`matching_indices`].
    pub fn matching_indices(&self, ds: &Dataset, query: &Query, window: Option<TimeWindow>) -> Vec<u32> {
        if ds.len() != self.n_events {
            // Built for another load: the exact scan.
            return matching_indices(ds, query, window);
        }
        let mut out = Vec::new();
        if window.is_some_and(|w| w.is_empty()) {
            return out;
        }
        let store = ds.store();
        if query.is_empty() && window.is_none() {
            return (0..self.n_events as u32).collect();
        }
        let root = self.compile_node(ds, &query.root);
        // The top-level conditions in the loop itself (the usual query is a few of them).
        let top: &[PNode] = match &root {
            PNode::All(children) => children,
            other => std::slice::from_ref(other),
        };
        out.reserve(self.n_events / 8);
        for i in 0..self.n_events {
            let slot = if store.bits[i] & B_EICE != 0 { self.slot.get(&(i as u32)).copied() } else { None };
            let time = store.time[i];
            let in_window = window.is_none_or(|w| {
                let end = slot.map_or(time, |k| self.end[k as usize]);
                time < w.end_ms && end >= w.start_ms
            });
            if in_window && top.iter().all(|c| self.eval_node(store, c, i, slot)) {
                // Indexed slices come from a dataset, whose indices are u32.
                out.push(i as u32);
            }
        }
        out
    }

    /// The query's tree with each condition compiled.
    pub(super) fn compile_node(&self, ds: &Dataset, node: &Node) -> PNode {
        match node {
            Node::All(children) => PNode::All(children.iter().map(|c| self.compile_node(ds, c)).collect()),
            Node::Any(children) => PNode::Any(children.iter().map(|c| self.compile_node(ds, c)).collect()),
            Node::Not(inner) => PNode::Not(Box::new(self.compile_node(ds, inner))),
            Node::Term(_, cond) => PNode::Leaf(self.compile(ds, cond)),
        }
    }

    /// A condition inline, a group through [`Self::eval_group`] (the recursion stays out of the
    /// per-event loop, so the common flat query evaluates as a plain loop over conditions).
    #[inline(always)]
    pub(super) fn eval_node(&self, store: &Store, node: &PNode, i: usize, slot: Option<u32>) -> bool {
        match node {
            PNode::Leaf(p) => self.eval(store, p, i, slot),
            group => self.eval_group(store, group, i, slot),
        }
    }

    #[inline(never)]
    pub(super) fn eval_group(&self, store: &Store, node: &PNode, i: usize, slot: Option<u32>) -> bool {
        match node {
            PNode::Leaf(p) => self.eval(store, p, i, slot),
            PNode::All(children) => children.iter().all(|c| self.eval_node(store, c, i, slot)),
            PNode::Any(children) => children.iter().any(|c| self.eval_node(store, c, i, slot)),
            PNode::Not(inner) => !self.eval_node(store, inner, i, slot),
        }
    }

    /// Evaluates a condition over the distinct values, with the same functions as the scan.
    pub(super) fn compile(&self, ds: &Dataset, c: &Cond) -> Pred {
        fn table<T: ?Sized>(values: &[impl std::ops::Deref<Target = T>], f: impl Fn(&T) -> bool) -> Vec<bool> {
            values.iter().map(|v| f(v)).collect()
        }
        let dict = |c: usize| ds.store().dict[c].values();
        match c {
            Cond::Word(n) => Pred::Word(Box::new(WordHits {
                principal: table(dict(col::PRINCIPAL), |s: &str| n.found_in(s)),
                arn: table(dict(col::ARN), |s: &str| n.found_in(s)),
                event: table(dict(col::NAME), |s: &str| n.found_in(s)),
                source: table(dict(col::SOURCE_IP), |s: &str| n.found_in(s)),
                error: table(dict(col::ERROR), |s: &str| n.found_in(s)),
                target: self.targets.iter().map(|s| n.found_in(s)).collect(),
                endpoint: self.endpoints.iter().map(|s| n.found_in(s)).collect(),
                agent: table(dict(col::AGENT), |s: &str| n.found_in(s)),
            })),
            Cond::User(n) => Pred::User(
                table(dict(col::PRINCIPAL), |s: &str| n.found_in(s)),
                table(dict(col::ARN), |s: &str| n.found_in(s)),
            ),
            Cond::Ip(net) => Pred::Hits(
                col::SOURCE_IP,
                self.source_ips.iter().map(|a| a.is_some_and(|a| net_contains(net, a))).collect(),
            ),
            Cond::Target(net) => {
                Pred::Target(self.target_ips.iter().map(|a| a.is_some_and(|a| net_contains(net, a))).collect())
            }
            Cond::Port(p) => Pred::Port(*p),
            Cond::Endpoint(id) => Pred::Endpoint(self.endpoints.iter().map(|s| id.matches(s)).collect()),
            Cond::Event(name) => Pred::Hits(col::NAME, table(dict(col::NAME), |s: &str| name.matches(s))),
            Cond::Failed(f) => Pred::Failed(*f),
            Cond::Region(r) => Pred::Hits(col::REGION, table(dict(col::REGION), |s: &str| r.matches(s))),
            Cond::Account(a) => Pred::Hits(col::ACCOUNT, table(dict(col::ACCOUNT), |s: &str| a.matches(s))),
            Cond::After(t, _) => Pred::After(*t),
            Cond::Before(t, _) => Pred::Before(*t),
            Cond::Active(t, _) => Pred::Active(*t),
            Cond::Session(_, set) | Cond::Finding(_, set) | Cond::Severity(_, set) => {
                let mut bits = vec![0u64; self.n_events.div_ceil(64)];
                for &i in set.as_deref().unwrap_or_default() {
                    if let Some(word) = bits.get_mut(i as usize / 64) {
                        *word |= 1 << (i % 64);
                    }
                }
                Pred::Set(bits)
            }
        }
    }

    pub(super) fn endpoints_of(&self, slot: Option<u32>) -> &[u32] {
        match slot {
            Some(k) => {
                let k = k as usize;
                &self.ep_list[self.ep_start[k] as usize..self.ep_start[k + 1] as usize]
            }
            None => &[],
        }
    }

    pub(super) fn eval(&self, store: &Store, p: &Pred, i: usize, slot: Option<u32>) -> bool {
        let target = || slot.map_or(NONE, |k| self.target[k as usize]);
        match p {
            Pred::Hits(c, hits) => hit(hits, store.sid(*c, i)),
            Pred::User(names, arns) => hit(names, store.sid(col::PRINCIPAL, i)) || hit(arns, store.sid(col::ARN, i)),
            Pred::Target(hits) => hit(hits, target()),
            Pred::Endpoint(hits) => self.endpoints_of(slot).iter().any(|&id| hit(hits, id)),
            Pred::Word(w) => {
                hit(&w.principal, store.sid(col::PRINCIPAL, i))
                    || hit(&w.arn, store.sid(col::ARN, i))
                    || hit(&w.event, store.sid(col::NAME, i))
                    || hit(&w.source, store.sid(col::SOURCE_IP, i))
                    || hit(&w.error, store.sid(col::ERROR, i))
                    || hit(&w.target, target())
                    || self.endpoints_of(slot).iter().any(|&id| hit(&w.endpoint, id))
                    || hit(&w.agent, store.sid(col::AGENT, i))
            }
            Pred::Port(port) => slot.is_some_and(|k| self.port[k as usize] == Some(*port)),
            Pred::Failed(f) => (store.bits[i] & B_FAILED != 0) == *f,
            Pred::After(t) => store.time[i] >= *t,
            Pred::Before(t) => store.time[i] < *t,
            Pred::Set(bits) => bits.get(i / 64).is_some_and(|w| w & (1 << (i % 64)) != 0),
            Pred::Active(t) => slot.is_some_and(|k| {
                let k = k as usize;
                self.is_tunnel[k] && store.time[i] <= *t && *t <= self.end[k]
            }),
        }
    }
}
