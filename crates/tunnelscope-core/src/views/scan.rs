//! The views computed by scanning the matching events: the oracle the tests hold [`ViewIndex`]'s
//! methods of the same names to, and the simple reading of each view's semantics.

use super::*;

/// The time span of the matching events: the earliest event time to the latest event time or
/// tunnel latest possible end; `None` when nothing matches.
pub fn time_extent(ds: &Dataset, indices: &[u32]) -> Option<(i64, i64)> {
    extent_over(ds, indices.iter().copied())
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
