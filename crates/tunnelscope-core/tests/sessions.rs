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

mod dataset {
    use serde_json::{Value, json};
    use tunnelscope_core::Dataset;
    use tunnelscope_core::findings::{self, FindingRow, Settings};
    use tunnelscope_core::sample::sample_trail_json;
    use tunnelscope_core::sessions::{self, DEFAULT_GAP_MS, SessionRow};
    use tunnelscope_core::views::TunnelPairings;

    fn record(id: &str, time: &str, name: &str, params: Value) -> Value {
        json!({"eventVersion":"1.09","eventTime":time,"eventSource":"ec2-instance-connect.amazonaws.com",
            "eventName":name,"awsRegion":"eu-west-1","sourceIPAddress":"2001:db8::7","userAgent":"aws-cli/2",
            "userIdentity":{"type":"IAMUser","principalId":"AIDAD","arn":"arn:aws:iam::111122223333:user/dave","accountId":"111122223333","userName":"dave"},
            "requestParameters":params,"responseElements":null,"eventID":id,"eventType":"AwsApiCall","recipientAccountId":"111122223333"})
    }

    /// dave pushes one key, then opens tunnels to two IPv6 targets within its minute: two
    /// sessions share that push.
    fn ipv6_file() -> Vec<u8> {
        let tunnel = |id: &str, time: &str, target: &str| {
            record(
                id,
                time,
                "OpenTunnel",
                json!({"instanceConnectEndpointId":"eice-0123456789abcdef0","remotePort":"22","privateIpAddress":target}),
            )
        };
        let records = vec![
            record(
                "k-1",
                "2026-10-04T09:00:00Z",
                "SendSSHPublicKey",
                json!({"instanceId":"i-0123456789abcdef0","instanceOSUser":"ec2-user","sSHPublicKey":"ssh-ed25519 AAAA"}),
            ),
            tunnel("v-1", "2026-10-04T09:00:20Z", "fd00:ec2::10"),
            tunnel("v-2", "2026-10-04T09:00:30Z", "fd00:ec2::11"),
        ];
        serde_json::to_vec(&json!({"Records": records})).expect("json")
    }

    fn load(files: &[(&str, &[u8])]) -> (Vec<SessionRow>, Vec<FindingRow>) {
        let mut ds = Dataset::new();
        for (name, bytes) in files {
            ds.add_file(name, bytes);
        }
        let pairings = TunnelPairings::new(&ds);
        let rows = sessions::session_rows(&ds, &pairings, DEFAULT_GAP_MS);
        let (_, events) = findings::inputs(&ds, &pairings);
        let found = findings::find(&events, &Settings::default()).iter().map(|f| FindingRow::of(f, &events)).collect();
        (rows, found)
    }

    #[test]
    fn load_order_and_duplicates_change_no_session_or_finding() {
        let sample = sample_trail_json();
        let extra = ipv6_file();
        let one = load(&[("a/sample.json", &sample), ("b/ipv6.json", &extra)]);
        let other = load(&[("b/ipv6.json", &extra), ("c/copy.json", &sample), ("a/sample.json", &sample)]);
        assert_eq!(one, other);
        assert!(!one.0.is_empty() && !one.1.is_empty());
    }

    #[test]
    fn a_key_push_can_pair_with_two_sessions_and_ipv6_targets_are_kept() {
        let (rows, _) = load(&[("ipv6.json", &ipv6_file())]);
        assert_eq!(rows.len(), 2);
        for (row, target) in rows.iter().zip(["fd00:ec2::10", "fd00:ec2::11"]) {
            assert_eq!(row.private_ip, target);
            assert_eq!(row.source_ip, "2001:db8::7");
            assert_eq!(row.instance_ids, ["i-0123456789abcdef0"]);
            assert_eq!(row.os_users, ["ec2-user"]);
        }
    }
}
