//! Sessions (contracts.md §7) against the contract's own words, on random tunnels: every tunnel
//! in exactly one session; within a session each tunnel starts within the gap of the latest
//! end before it; consecutive sessions of one key are further apart than the gap; every
//! session's fields are those of its tunnels.
#![cfg(not(target_arch = "wasm32"))]

use proptest::prelude::*;
use tunnelscope_core::sessions::{SessionKey, Sessions, TunnelIn};

const PRINCIPALS: [&str; 3] = ["alice", "bob", ""];
const IPS: [&str; 2] = ["10.0.0.5", "10.0.0.6"];

fn tunnels() -> impl Strategy<Value = Vec<(usize, usize, Option<u32>, i64, i64, bool)>> {
    prop::collection::vec(
        (
            0..3usize,
            0..2usize,
            prop::option::of(prop::sample::select(vec![22u32, 3389])),
            0..200i64,
            0..70i64,
            any::<bool>(),
        ),
        0..60,
    )
}

proptest! {
    #[test]
    fn sessions_follow_the_contract(raw in tunnels(), gap_min in 0..30i64) {
        let mut raw = raw;
        raw.sort_by_key(|t| t.3);
        let input: Vec<TunnelIn<'_>> = raw
            .iter()
            .map(|&(p, ip, port, start, minutes, accepted)| TunnelIn {
                key: SessionKey { principal: PRINCIPALS[p], source_ip: "198.51.100.7", endpoint_id: "eice-1", private_ip: IPS[ip], port },
                start_ms: start * 60_000,
                latest_end_ms: (start + minutes) * 60_000,
                accepted,
            })
            .collect();
        let gap = gap_min * 60_000;
        let s = Sessions::build(&input, gap);
        prop_assert_eq!(s.session_of.len(), input.len());
        let mut seen = vec![0; input.len()];
        let mut last_of_key: std::collections::HashMap<SessionKey<'_>, i64> = Default::default();
        let mut previous_first = None;
        for (k, session) in s.sessions.iter().enumerate() {
            let members = s.tunnels_of(k);
            prop_assert!(!members.is_empty());
            prop_assert_eq!(members[0], session.first);
            // In order of their first tunnel.
            prop_assert!(previous_first < Some(session.first));
            previous_first = Some(session.first);
            let key = input[members[0] as usize].key;
            let mut end = i64::MIN;
            for (n, &m) in members.iter().enumerate() {
                let t = &input[m as usize];
                seen[m as usize] += 1;
                prop_assert_eq!(s.session_of[m as usize] as usize, k);
                prop_assert_eq!(t.key, key);
                if n > 0 {
                    prop_assert!(members[n - 1] < m);
                    prop_assert!(t.start_ms <= end + gap, "joined past the gap");
                }
                end = end.max(if t.accepted { t.latest_end_ms } else { t.start_ms });
            }
            let starts = members.iter().map(|&m| input[m as usize].start_ms);
            prop_assert_eq!(session.start_ms, starts.clone().min().unwrap());
            prop_assert_eq!(session.last_start_ms, starts.max().unwrap());
            prop_assert_eq!(session.latest_end_ms, end);
            let accepted = members.iter().filter(|&&m| input[m as usize].accepted).count() as u32;
            prop_assert_eq!((session.tunnels, session.accepted, session.failed), (members.len() as u32, accepted, members.len() as u32 - accepted));
            // The session before it of the same key ended more than the gap before it started.
            if let Some(&before) = last_of_key.get(&key) {
                prop_assert!(session.start_ms > before + gap, "should have joined the session before");
            }
            last_of_key.insert(key, end);
        }
        prop_assert!(seen.iter().all(|&n| n == 1));
    }
}
