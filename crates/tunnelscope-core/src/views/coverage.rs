//! What the loaded data covers (accounts, Regions, days, trail changes) and the counters over
//! matching events.

use super::*;

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
pub(super) fn day_string(day: i64) -> String {
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
