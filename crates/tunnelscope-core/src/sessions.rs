//! Sessions (contracts.md §7): the OpenTunnel connections one person made to one target,
//! grouped by key and by the gap between a tunnel's start and the session's latest end.
//!
//! Pure over a list of tunnels given in (event time, event ID) order, so it does not depend on
//! how the dataset stores them; one pass with a hash map of open sessions per key, then a
//! counting pass that lays each session's tunnels out contiguously (linear in the tunnels).

use std::collections::BTreeSet;

use hashbrown::HashMap;
use serde::{Deserialize, Serialize};

use crate::dataset::{Dataset, latest_end_ms};
use crate::pairing::TunnelPairings;
use crate::time::format_rfc3339;

/// The default gap: a tunnel starting within 10 minutes of the session's latest end joins it.
pub const DEFAULT_GAP_MS: i64 = 10 * 60 * 1000;

/// What makes two tunnels candidates for one session: principal key (ARN, else principal ID),
/// source IP, endpoint ID, private IP and port, each as given (absent = empty / `None`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SessionKey<'a> {
    pub principal: &'a str,
    pub source_ip: &'a str,
    pub endpoint_id: &'a str,
    pub private_ip: &'a str,
    pub port: Option<u32>,
}

/// One tunnel as the grouping needs it.
#[derive(Debug, Clone, Copy)]
pub struct TunnelIn<'a> {
    pub key: SessionKey<'a>,
    /// Start (the event's time), ms since the epoch.
    pub start_ms: i64,
    /// The end of its possible interval when accepted (`latest_end_ms`); ignored when failed.
    pub latest_end_ms: i64,
    /// `false` when the event carries an `errorCode` (a denied attempt never opened).
    pub accepted: bool,
}

impl TunnelIn<'_> {
    /// The end of the tunnel's possible interval: `latest_end` when accepted, its start when not.
    pub fn end_ms(&self) -> i64 {
        if self.accepted { self.latest_end_ms.max(self.start_ms) } else { self.start_ms }
    }
}

/// One session; its tunnels are [`Sessions::tunnels_of`] (indices into the input, in order).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Session {
    /// The input index of its first tunnel (its ID is that tunnel's event ID).
    pub first: u32,
    pub start_ms: i64,
    pub last_start_ms: i64,
    pub latest_end_ms: i64,
    pub tunnels: u32,
    pub accepted: u32,
    pub failed: u32,
    /// Where its tunnels start in [`Sessions::members`].
    from: u32,
}

/// `stats --json`'s `sessions` (contracts.md §7): sessions in the view, and those of them with
/// no accepted tunnel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct SessionCounts {
    pub total: u64,
    pub failed_only: u64,
}

/// Every session of a list of tunnels, in order of their first tunnel (start, then event ID).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Sessions {
    pub sessions: Vec<Session>,
    /// For each input tunnel, the index of its session.
    pub session_of: Vec<u32>,
    /// Input indices of the tunnels, grouped by session, each group in input order.
    members: Vec<u32>,
}

impl Sessions {
    /// Groups `tunnels`, which must be in (start, event ID) order, with the `gap` (ms,
    /// inclusive: a tunnel starting exactly at latest end + gap joins).
    pub fn build(tunnels: &[TunnelIn<'_>], gap_ms: i64) -> Self {
        let gap_ms = gap_ms.max(0);
        let mut open: HashMap<SessionKey<'_>, u32> = HashMap::new();
        let mut sessions: Vec<Session> = Vec::new();
        let mut session_of = Vec::with_capacity(tunnels.len());
        for (i, t) in tunnels.iter().enumerate() {
            let i = i as u32;
            let end = t.end_ms();
            let joined = open.get(&t.key).copied().filter(|&s| {
                let s = &sessions[s as usize];
                t.start_ms <= s.latest_end_ms.saturating_add(gap_ms)
            });
            let s = match joined {
                Some(s) => {
                    let session = &mut sessions[s as usize];
                    session.last_start_ms = session.last_start_ms.max(t.start_ms);
                    session.latest_end_ms = session.latest_end_ms.max(end);
                    s
                }
                None => {
                    let s = sessions.len() as u32;
                    sessions.push(Session {
                        first: i,
                        start_ms: t.start_ms,
                        last_start_ms: t.start_ms,
                        latest_end_ms: end,
                        tunnels: 0,
                        accepted: 0,
                        failed: 0,
                        from: 0,
                    });
                    open.insert(t.key, s);
                    s
                }
            };
            let session = &mut sessions[s as usize];
            session.tunnels += 1;
            if t.accepted {
                session.accepted += 1;
            } else {
                session.failed += 1;
            }
            session_of.push(s);
        }
        // Counting sort of the tunnels by session: each session's run, in input order.
        let mut next = 0u32;
        for s in &mut sessions {
            s.from = next;
            next += s.tunnels;
        }
        let mut fill: Vec<u32> = sessions.iter().map(|s| s.from).collect();
        let mut members = vec![0u32; tunnels.len()];
        for (i, &s) in session_of.iter().enumerate() {
            let at = &mut fill[s as usize];
            members[*at as usize] = i as u32;
            *at += 1;
        }
        Self { sessions, session_of, members }
    }

    /// The input indices of session `s`'s tunnels, in order.
    pub fn tunnels_of(&self, s: usize) -> &[u32] {
        let session = &self.sessions[s];
        &self.members[session.from as usize..(session.from + session.tunnels) as usize]
    }

    /// Sessions none of whose tunnels was accepted.
    pub fn failed_only(&self) -> usize {
        self.sessions.iter().filter(|s| s.accepted == 0).count()
    }

    /// The counts of `stats` for the sessions `shown` (indices, as [`Sessions::matching`] gives).
    pub fn counts(&self, shown: &[u32]) -> SessionCounts {
        let failed_only = shown.iter().filter(|&&s| self.sessions[s as usize].accepted == 0).count();
        SessionCounts { total: shown.len() as u64, failed_only: failed_only as u64 }
    }

    /// The sessions with at least one tunnel for which `matches(input index)` holds, in order.
    pub fn matching(&self, mut matches: impl FnMut(u32) -> bool) -> Vec<u32> {
        let mut seen = vec![false; self.sessions.len()];
        for (i, &s) in self.session_of.iter().enumerate() {
            if !seen[s as usize] && matches(i as u32) {
                seen[s as usize] = true;
            }
        }
        seen.iter().enumerate().filter(|&(_, &on)| on).map(|(s, _)| s as u32).collect()
    }
}

/// Reads a gap such as `10m`, `90s`, `1h30m`, `45` (minutes) or `0`: ms, `None` when malformed.
pub fn parse_gap(text: &str) -> Option<i64> {
    let text = text.trim();
    if text.is_empty() {
        return None;
    }
    if let Ok(minutes) = text.parse::<u32>() {
        return Some(i64::from(minutes) * 60_000);
    }
    let mut total: i64 = 0;
    let mut number = String::new();
    for c in text.chars() {
        if c.is_ascii_digit() {
            number.push(c);
            continue;
        }
        let unit = match c {
            'h' => 3_600_000,
            'm' => 60_000,
            's' => 1_000,
            _ => return None,
        };
        let n: i64 = number.parse().ok()?;
        number.clear();
        total = total.checked_add(n.checked_mul(unit)?)?;
    }
    number.is_empty().then_some(total)
}

/// A gap as the shortest text [`parse_gap`] reads back (`10m`, `1h30m`, `90s`, `0s`).
pub fn format_gap(ms: i64) -> String {
    let secs = ms.max(0) / 1000;
    if secs == 0 {
        return "0s".to_owned();
    }
    let (h, m, s) = (secs / 3600, secs / 60 % 60, secs % 60);
    let mut out = String::new();
    for (n, unit) in [(h, 'h'), (m, 'm'), (s, 's')] {
        if n > 0 {
            out.push_str(&n.to_string());
            out.push(unit);
        }
    }
    out
}

/// One session as the CLI and exports show it (contracts.md §7 keys).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct SessionRow {
    /// The event ID of its first tunnel.
    pub session_id: String,
    /// RFC 3339 UTC.
    pub start: String,
    pub last_start: String,
    pub latest_end: String,
    pub tunnels: u32,
    pub accepted: u32,
    pub failed: u32,
    /// Principal display name and key (ARN, else principal ID).
    pub principal: String,
    pub principal_arn: String,
    pub source_ip: String,
    pub endpoint_id: String,
    pub private_ip: String,
    pub port: Option<u32>,
    /// Distinct values its tunnels were paired with, sorted.
    pub instance_ids: Vec<String>,
    pub os_users: Vec<String>,
    pub account: String,
    pub region: String,
    /// Its tunnels' event IDs, in order.
    pub event_ids: Vec<String>,
}

/// The sessions of every loaded tunnel of `ds`: the tunnels' dataset indices in (time, event
/// ID) order, and their grouping (input index `i` is `order[i]`).
pub fn of_dataset(ds: &Dataset, gap_ms: i64) -> (Vec<u32>, Sessions) {
    let tunnels = ds.eice_time_order(|e| e.tunnel().is_some());
    let input: Vec<TunnelIn<'_>> = tunnels
        .iter()
        .filter_map(|(_, e)| {
            let t = e.tunnel()?;
            Some(TunnelIn {
                key: SessionKey {
                    principal: e.principal_arn,
                    source_ip: e.source_ip,
                    endpoint_id: &t.endpoint_id,
                    private_ip: &t.private_ip,
                    port: t.port,
                },
                start_ms: e.time_ms,
                latest_end_ms: latest_end_ms(e.time_ms, t.max_duration_secs),
                accepted: !e.is_failed(),
            })
        })
        .collect();
    let sessions = Sessions::build(&input, gap_ms);
    (tunnels.into_iter().map(|(i, _)| i).collect(), sessions)
}

/// Every session of `ds` as rows, in order of their start (then session ID).
pub fn session_rows(ds: &Dataset, pairings: &TunnelPairings, gap_ms: i64) -> Vec<SessionRow> {
    let (order, sessions) = of_dataset(ds, gap_ms);
    (0..sessions.sessions.len()).filter_map(|s| session_row(ds, pairings, &order, &sessions, s)).collect()
}

/// Session `s` of [`of_dataset`]'s result as a row.
pub fn session_row(
    ds: &Dataset,
    pairings: &TunnelPairings,
    order: &[u32],
    sessions: &Sessions,
    s: usize,
) -> Option<SessionRow> {
    let session = sessions.sessions.get(s)?;
    let members = sessions.tunnels_of(s);
    let first = ds.get(order[session.first as usize])?;
    let t = first.tunnel()?;
    let mut instance_ids = BTreeSet::new();
    let mut os_users = BTreeSet::new();
    let mut event_ids = Vec::with_capacity(members.len());
    for &m in members {
        let index = order[m as usize];
        if let Some((_, instance, user)) = pairings.get(index) {
            if !instance.is_empty() {
                instance_ids.insert(instance.to_owned());
            }
            if !user.is_empty() {
                os_users.insert(user.to_owned());
            }
        }
        event_ids.push(ds.get(index).map(|e| e.event_id.to_string()).unwrap_or_default());
    }
    Some(SessionRow {
        session_id: first.event_id.to_string(),
        start: format_rfc3339(session.start_ms),
        last_start: format_rfc3339(session.last_start_ms),
        latest_end: format_rfc3339(session.latest_end_ms),
        tunnels: session.tunnels,
        accepted: session.accepted,
        failed: session.failed,
        principal: first.principal.to_owned(),
        principal_arn: first.principal_arn.to_owned(),
        source_ip: first.source_ip.to_owned(),
        endpoint_id: t.endpoint_id.clone(),
        private_ip: t.private_ip.clone(),
        port: t.port,
        instance_ids: instance_ids.into_iter().collect(),
        os_users: os_users.into_iter().collect(),
        account: first.account.to_owned(),
        region: first.region.to_owned(),
        event_ids,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIN: i64 = 60_000;

    fn key(principal: &str) -> SessionKey<'_> {
        SessionKey {
            principal,
            source_ip: "198.51.100.7",
            endpoint_id: "eice-1",
            private_ip: "10.0.2.40",
            port: Some(22),
        }
    }

    fn tunnel(key: SessionKey<'_>, start_min: i64, accepted: bool) -> TunnelIn<'_> {
        TunnelIn { key, start_ms: start_min * MIN, latest_end_ms: start_min * MIN + 60 * MIN, accepted }
    }

    #[test]
    fn joins_within_gap_of_the_latest_end_inclusive() {
        let a = key("alice");
        // Ends at 60; 70 is exactly latest end + gap (joins), 141 is past 130 + 10 (new session).
        let ts = [tunnel(a, 0, true), tunnel(a, 70, true), tunnel(a, 141, true)];
        let s = Sessions::build(&ts, DEFAULT_GAP_MS);
        assert_eq!(s.sessions.len(), 2);
        assert_eq!(s.sessions[0].tunnels, 2);
        assert_eq!(s.sessions[0].latest_end_ms, 130 * MIN);
        assert_eq!(s.sessions[0].last_start_ms, 70 * MIN);
        assert_eq!(s.session_of, vec![0, 0, 1]);
        // One minute less of gap and the second tunnel opens its own session.
        assert_eq!(Sessions::build(&ts, DEFAULT_GAP_MS - MIN).sessions.len(), 3);
    }

    #[test]
    fn failed_tunnels_are_points() {
        let a = key("mallory");
        let ts = [tunnel(a, 0, false), tunnel(a, 10, false), tunnel(a, 21, false), tunnel(a, 25, true)];
        let s = Sessions::build(&ts, DEFAULT_GAP_MS);
        // 0 → 10 joins (0 + 10), 21 > 10 + 10 opens a new one, which the accepted 25 joins.
        assert_eq!(s.sessions.len(), 2);
        assert_eq!((s.sessions[0].failed, s.sessions[0].accepted, s.sessions[0].latest_end_ms), (2, 0, 10 * MIN));
        assert_eq!((s.sessions[1].failed, s.sessions[1].accepted), (1, 1));
        assert_eq!(s.sessions[1].latest_end_ms, 85 * MIN);
        assert_eq!(s.failed_only(), 1);
    }

    #[test]
    fn keys_keep_sessions_apart_and_members_stay_in_order() {
        let (a, b) = (key("alice"), key("bob"));
        let other_port = SessionKey { port: None, ..a };
        let ts = [tunnel(a, 0, true), tunnel(b, 1, true), tunnel(other_port, 2, true), tunnel(a, 3, true)];
        let s = Sessions::build(&ts, DEFAULT_GAP_MS);
        assert_eq!(s.sessions.len(), 3);
        assert_eq!(s.tunnels_of(0), &[0, 3]);
        assert_eq!(s.tunnels_of(1), &[1]);
        assert_eq!(s.tunnels_of(2), &[2]);
        assert_eq!(s.sessions.iter().map(|x| x.first).collect::<Vec<_>>(), vec![0, 1, 2]);
        assert_eq!(s.matching(|i| i == 3), vec![0]);
        assert_eq!(s.matching(|i| i >= 1), vec![0, 1, 2]);
    }

    #[test]
    fn an_empty_list_has_no_sessions() {
        let s = Sessions::build(&[], DEFAULT_GAP_MS);
        assert!(s.sessions.is_empty());
        assert_eq!(s.failed_only(), 0);
    }

    #[test]
    fn gaps_read_and_print() {
        for (text, ms) in [("10m", 600_000), ("90s", 90_000), ("1h30m", 5_400_000), ("45", 2_700_000), ("0", 0)] {
            assert_eq!(parse_gap(text), Some(ms), "{text}");
        }
        for bad in ["", "m", "10x", "1h3", "-5m", "99999999999999999999h"] {
            assert_eq!(parse_gap(bad), None, "{bad}");
        }
        for ms in [0, 1_000, 90_000, 600_000, 5_400_000, 3_600_000] {
            assert_eq!(parse_gap(&format_gap(ms)), Some(ms));
        }
    }
}
