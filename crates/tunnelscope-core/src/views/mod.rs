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
use std::collections::{BTreeMap, BTreeSet};

use hashbrown::{HashMap, HashSet};

use serde::{Deserialize, Serialize};

use crate::dataset::{Dataset, Pairing, TunnelRow, latest_end_ms};
use crate::ids::EventId;
use crate::model::{EiceFacts, EndpointOp, TunnelFacts};
pub use crate::pairing::TunnelPairings;

pub mod insight;
pub mod page;
pub mod raw;

mod coverage;
mod detail;
mod endpoints;
mod events;
mod index;
mod scan;
mod timeline;

use crate::intern::Few as Ids;
use crate::pairing::{KEY_PUSH_WINDOW_MS, Pairer, push_key, tunnel_row};
use crate::store::{B_EICE, B_FAILED, B_TUNNEL, EventRef, Store, col};
use crate::time::format_rfc3339;
pub use coverage::*;
pub use detail::*;
pub use endpoints::*;
pub use events::*;
pub use index::*;
use insight::Insight;
pub use scan::*;
pub use timeline::*;

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

/// The principal's key: ARN (or principal ID), else the display name for rows without one.
pub(super) fn principal_key<'e>(e: &EventRef<'e>) -> &'e str {
    if e.principal_arn.is_empty() { e.principal } else { e.principal_arn }
}

/// Orders events by time, then event ID (unique after dedupe), so every order is stable.
pub(super) fn by_time(a: &EventRef<'_>, b: &EventRef<'_>) -> Ordering {
    a.time_ms.cmp(&b.time_ms).then_with(|| a.event_id.cmp(&b.event_id))
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
