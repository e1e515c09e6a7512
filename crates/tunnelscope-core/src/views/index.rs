//! ViewIndex: the views over the dataset's columns and the EICE events' facts, built once per
//! load; its methods give exactly the results of the scan functions of the same names.

use super::*;

/// Marks "no value" in the view index's id columns.
pub(super) const NO_ID: u32 = u32::MAX;

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
