//! The rules' input from a loaded dataset: its EICE events with facts and its trail changes,
//! in (time, event ID) order, each with its pairing.

use super::{Act, EventIn, TRAIL_CHANGES};
use crate::dataset::{Dataset, Pairing};
use crate::pairing::TunnelPairings;

/// The rules' input from a dataset: every EICE event with facts and every successful trail
/// change, in (time, event ID) order, with their dataset indices.
pub fn inputs<'a>(ds: &'a Dataset, pairings: &TunnelPairings) -> (Vec<u32>, Vec<EventIn<'a>>) {
    // The EICE events with facts, and the trail changes found by name in the name column:
    // building every one of a million rows to look for a handful took most of the time.
    let mut picked: Vec<(u32, crate::EventRef<'a>)> = ds.fact_events().collect();
    picked.extend(
        ds.events_named(&TRAIL_CHANGES).filter(|(_, e)| {
            e.error_code.is_empty() && e.event_source == "cloudtrail.amazonaws.com" && e.eice.is_none()
        }),
    );
    picked.sort_by(|a, b| a.1.time_ms.cmp(&b.1.time_ms).then_with(|| a.1.event_id.cmp(&b.1.event_id)));
    let mut index = Vec::with_capacity(picked.len());
    let mut events = Vec::with_capacity(picked.len());
    for (i, e) in picked {
        let act = if let Some(t) = e.tunnel() {
            let key_push = matches!(pairings.get(i), Some((Pairing::KeyPush, _, _)));
            Act::Tunnel { endpoint_id: &t.endpoint_id, private_ip: &t.private_ip, port: t.port, key_push }
        } else if e.key_push().is_some() {
            Act::KeyPush
        } else if let Some(a) = e.endpoint_activity() {
            let Some(op) = a.op else { continue };
            Act::Endpoint { op, endpoint_ids: &a.endpoint_ids, preserve_client_ip: a.preserve_client_ip }
        } else if e.eice.is_none() {
            Act::TrailChange
        } else {
            continue;
        };
        let resource = e.principal_arn.splitn(6, ':').nth(5);
        index.push(i);
        events.push(EventIn {
            time_ms: e.time_ms,
            event_id: e.event_id,
            event_name: e.event_name,
            principal_key: e.principal_arn,
            principal: e.principal,
            is_root: e.principal == "root" && resource.is_none_or(|r| r == "root"),
            source_ip: e.source_ip,
            account: e.account,
            failed: !e.error_code.is_empty(),
            act,
        });
    }
    (index, events)
}
