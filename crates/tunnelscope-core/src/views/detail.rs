//! One event's detail: its fields, its raw record pretty-printed, and the events related to it.

use super::*;

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
    /// For a record tunnelscope made or repaired (`tunnelscopeSynthesized`): what it was read
    /// from (`ocsf`, `logstash`, `console-csv`, `query-row`, `lookup-summary`), else empty.
    pub synthesized_from: String,
    /// The CloudTrail fields that record lacks or could not be read exactly (`lossyFields`).
    pub lossy_fields: Vec<String>,
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
    let (synthesized_from, lossy_fields) = synthesized(e.raw);
    Some(EventDetail { row: event_row(&e), raw_pretty, tunnel, related, synthesized_from, lossy_fields })
}

/// Orders events by distance in time from `center`, then by time and ID.
pub(super) fn nearest(center: &EventRef<'_>, a: &EventRef<'_>, b: &EventRef<'_>) -> Ordering {
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

/// What the marker of a record tunnelscope made or repaired says: where from, and what is lossy.
fn synthesized(raw: &str) -> (String, Vec<String>) {
    #[derive(serde::Deserialize, Default)]
    #[serde(default)]
    struct Doc {
        #[serde(rename = "tunnelscopeSynthesized")]
        marker: Option<Marker>,
    }
    #[derive(serde::Deserialize, Default)]
    #[serde(default)]
    struct Marker {
        from: String,
        #[serde(rename = "lossyFields")]
        lossy_fields: Vec<String>,
    }
    if !raw.contains(crate::record::SYNTH_KEY) {
        return (String::new(), Vec::new());
    }
    match serde_json::from_str::<Doc>(raw).ok().and_then(|d| d.marker) {
        Some(m) => (m.from, m.lossy_fields),
        None => (String::new(), Vec::new()),
    }
}
