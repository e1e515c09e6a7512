//! The investigation views over the built-in sample and a small hand-built trail.

#![allow(clippy::unwrap_used)] // test helpers: a failure is the message

mod common;

use std::sync::OnceLock;

use common::{ACCT, alice, bob, carol, mallory};
use serde_json::{Value, json};
use tunnelscope_core::export::is_eice_relevant;
use tunnelscope_core::query::{Query, matching_indices};
use tunnelscope_core::sample::{SAMPLE_FILE_NAME, sample_trail_json};
use tunnelscope_core::time::parse_time_ms;
use tunnelscope_core::views::{
    Grouping, Lane, MAX_LANE_ROWS, REL_KEY_PUSH, REL_LIFECYCLE, REL_PAIRED_TUNNEL, REL_PRINCIPAL, SortOrder,
    TunnelMark, TunnelPairings, counters, coverage, endpoint_lives, event_detail, event_detail_with, event_row,
    event_rows, event_rows_sorted, histogram, lanes, lanes_with, n_source_ips, pack_rows, sorted_event_indices,
    time_extent,
};
use tunnelscope_core::{Dataset, Pairing};

const EP_A: &str = "eice-0aaa1111aaaa11110";
const EP_B: &str = "eice-0bbb2222bbbb22220";
const EIC: &str = "ec2-instance-connect.amazonaws.com";
const EC2: &str = "ec2.amazonaws.com";
const CT: &str = "cloudtrail.amazonaws.com";
const ALICE_IP: &str = "198.51.100.10";
const BOB_IP: &str = "203.0.113.25";
const CAROL_IP: &str = "2001:db8:44::17";
const MALLORY_IP: &str = "192.0.2.66";

fn rec(id: &str, time: &str, who: Value, source: &str, name: &str, ip: &str, extra: Value) -> Value {
    let mut r = json!({"eventVersion":"1.11","eventID":id,"eventTime":time,"userIdentity":who,"eventSource":source,"eventName":name,
        "awsRegion":"us-east-1","sourceIPAddress":ip,"userAgent":"test-agent","recipientAccountId":ACCT,"requestParameters":null,"responseElements":null});
    if let (Value::Object(m), Value::Object(more)) = (&mut r, extra) {
        m.extend(more);
    }
    r
}

fn tunnel_req(ep: &str, ip: &str, port: u32, duration: Option<u32>) -> Value {
    let mut req = json!({"instanceConnectEndpointId":ep,"remotePort":port.to_string(),"privateIpAddress":ip});
    if let Some(d) = duration {
        req["maxTunnelDuration"] = json!(d.to_string());
    }
    json!({ "requestParameters": req })
}

/// Endpoint A: created by bob, modified by bob (preserveClientIp true) and carol, described by
/// alice, a Delete by mallory that failed; three tunnels (one paired by a key push, one with an
/// assumed duration, one failed). Endpoint B: never created, one tunnel days later. Trail
/// changes, same-principal activity, days with gaps, another account and an empty source IP.
fn trail() -> &'static Dataset {
    static DS: OnceLock<Dataset> = OnceLock::new();
    DS.get_or_init(|| {
        let records = vec![
            rec(
                "c1",
                "2026-10-01T09:00:00Z",
                bob(),
                EC2,
                "CreateInstanceConnectEndpoint",
                BOB_IP,
                json!({"requestParameters":{"CreateInstanceConnectEndpointRequest":{"SubnetId":"subnet-0aaa","PreserveClientIp":false}},
                    "responseElements":{"CreateInstanceConnectEndpointResponse":{"instanceConnectEndpoint":{"instanceConnectEndpointId":EP_A,
                    "state":"create-in-progress","vpcId":"vpc-0aaa","subnetId":"subnet-0aaa","preserveClientIp":false,
                    "securityGroupIdSet":{"item":{"content":"sg-0aaa","tag":1}},"ipAddressType":"ipv4","dnsName":"a.example"}}}}),
            ),
            rec(
                "k1",
                "2026-10-01T09:59:30Z",
                alice(),
                EIC,
                "SendSSHPublicKey",
                ALICE_IP,
                json!({"requestParameters":{"instanceId":"i-0a11","instanceOSUser":"ec2-user"}}),
            ),
            rec("t1", "2026-10-01T10:00:00Z", alice(), EIC, "OpenTunnel", ALICE_IP, tunnel_req(EP_A, "10.0.1.15", 22, Some(1800))),
            rec(
                "d1",
                "2026-10-01T10:00:30Z",
                alice(),
                EC2,
                "DescribeInstanceConnectEndpoints",
                ALICE_IP,
                json!({"requestParameters":{"DescribeInstanceConnectEndpointsRequest":{"InstanceConnectEndpointId":{"item":EP_A}}}}),
            ),
            rec("g1", "2026-10-01T10:04:00Z", alice(), "sts.amazonaws.com", "GetCallerIdentity", ALICE_IP, json!({})),
            rec("g2", "2026-10-01T10:06:00Z", alice(), "s3.amazonaws.com", "ListBuckets", ALICE_IP, json!({})),
            rec(
                "m1",
                "2026-10-01T10:30:00Z",
                bob(),
                EC2,
                "ModifyInstanceConnectEndpoint",
                BOB_IP,
                json!({"requestParameters":{"ModifyInstanceConnectEndpointRequest":{"InstanceConnectEndpointId":EP_A,"PreserveClientIp":true}}}),
            ),
            rec(
                "m2",
                "2026-10-01T10:40:00Z",
                carol(),
                EC2,
                "ModifyInstanceConnectEndpoint",
                CAROL_IP,
                json!({"requestParameters":{"ModifyInstanceConnectEndpointRequest":{"InstanceConnectEndpointId":EP_A,"SecurityGroupId":{"item":"sg-0bbb"}}}}),
            ),
            rec(
                "dx",
                "2026-10-01T11:00:00Z",
                mallory(),
                EC2,
                "DeleteInstanceConnectEndpoint",
                MALLORY_IP,
                json!({"requestParameters":{"DeleteInstanceConnectEndpointRequest":{"InstanceConnectEndpointId":EP_A}},"errorCode":"Client.UnauthorizedOperation"}),
            ),
            rec(
                "k2",
                "2026-10-01T11:58:00Z",
                alice(),
                EIC,
                "SendSSHPublicKey",
                ALICE_IP,
                json!({"requestParameters":{"instanceId":"i-0b22","instanceOSUser":"ubuntu"}}),
            ),
            rec("t2", "2026-10-01T12:00:00Z", alice(), EIC, "OpenTunnel", ALICE_IP, tunnel_req(EP_A, "10.0.1.27", 22, None)),
            {
                let mut r = rec(
                    "t3",
                    "2026-10-01T12:30:00Z",
                    mallory(),
                    EIC,
                    "OpenTunnel",
                    MALLORY_IP,
                    tunnel_req(EP_A, "10.0.2.40", 5432, Some(3600)),
                );
                r["errorCode"] = json!("AccessDenied");
                r
            },
            rec("s1", "2026-10-02T12:00:00Z", bob(), CT, "StopLogging", BOB_IP, json!({})),
            rec("s2", "2026-10-04T08:00:00Z", bob(), CT, "StartLogging", BOB_IP, json!({})),
            rec("t4", "2026-10-04T09:00:00Z", bob(), EIC, "OpenTunnel", BOB_IP, tunnel_req(EP_B, "10.20.3.8", 3389, Some(600))),
            rec(
                "e1",
                "2026-10-08T00:00:00Z",
                json!({"type":"AWSService","invokedBy":EC2}),
                EC2,
                "DescribeInstances",
                "",
                json!({"recipientAccountId":"444455556666","awsRegion":"eu-west-1"}),
            ),
        ];
        let bytes = serde_json::to_vec(&json!({ "Records": records })).unwrap_or_default();
        let mut ds = Dataset::new();
        ds.add_file("trail.json", &bytes);
        assert_eq!(ds.events().len(), 16, "every test record loads");
        ds
    })
}

fn sample() -> &'static Dataset {
    static DS: OnceLock<Dataset> = OnceLock::new();
    DS.get_or_init(|| {
        let mut ds = Dataset::new();
        ds.add_file(SAMPLE_FILE_NAME, &sample_trail_json());
        ds
    })
}

fn all(ds: &Dataset) -> Vec<u32> {
    (0..ds.events().len() as u32).collect()
}

fn matching(ds: &Dataset, query: &str) -> Vec<u32> {
    let q = Query::parse(query).unwrap_or_else(|e| panic!("{query:?}: {e}"));
    matching_indices(ds, &q, None)
}

fn ms(t: &str) -> i64 {
    parse_time_ms(t).unwrap_or_else(|| panic!("bad time {t}"))
}

fn index_of(ds: &Dataset, id: &str) -> u32 {
    ds.events().iter().position(|e| e.event_id == id).unwrap() as u32
}

#[test]
fn time_extent_reaches_the_latest_possible_tunnel_end() {
    let ds = trail();
    assert_eq!(time_extent(ds, &all(ds)), Some((ms("2026-10-01T09:00:00Z"), ms("2026-10-08T00:00:00Z"))));
    let tunnels = matching(ds, "event:OpenTunnel");
    assert_eq!(time_extent(ds, &tunnels), Some((ms("2026-10-01T10:00:00Z"), ms("2026-10-04T09:10:00Z"))));
    let t2 = [index_of(ds, "t2")];
    assert_eq!(time_extent(ds, &t2), Some((ms("2026-10-01T12:00:00Z"), ms("2026-10-01T13:00:00Z"))));
    assert_eq!(time_extent(ds, &[]), None);
}

#[test]
fn histogram_sums_to_the_matching_events_inside_the_range() {
    for ds in [trail(), sample()] {
        for query in ["", "event:OpenTunnel", "outcome:failed", "user:alice"] {
            let idx = matching(ds, query);
            let (lo, hi) = time_extent(ds, &idx).unwrap();
            let mid = lo + (hi - lo) / 3;
            for range in [(lo, hi), (lo, mid), (mid, hi), (mid, mid), (hi + 1, hi + 1000)] {
                for n in [1, 2, 10, 333, 2000] {
                    let h = histogram(ds, &idx, range, n);
                    assert_eq!(h.counts.len(), n);
                    assert_eq!(h.failed_tunnels.len(), n);
                    assert!(h.bucket_ms >= 1);
                    assert_eq!(h.start_ms, range.0);
                    let inside: Vec<_> = idx
                        .iter()
                        .filter_map(|&i| ds.get(i))
                        .filter(|e| range.0 <= e.time_ms && e.time_ms <= range.1)
                        .collect();
                    assert_eq!(h.counts.iter().sum::<u32>() as usize, inside.len(), "{query:?} {range:?} {n}");
                    let failed = inside.iter().filter(|e| e.tunnel().is_some() && e.is_failed()).count();
                    assert_eq!(h.failed_tunnels.iter().sum::<u32>() as usize, failed);
                    // Each event sits in the bucket its time falls in.
                    for e in inside {
                        let b = ((e.time_ms - h.start_ms) / h.bucket_ms) as usize;
                        assert!(h.counts[b] > 0);
                    }
                }
            }
        }
    }
    // Failed tunnels of the sample: all five in the one-bucket histogram.
    let ds = sample();
    let idx = all(ds);
    let h = histogram(ds, &idx, time_extent(ds, &idx).unwrap(), 1);
    assert_eq!((h.counts, h.failed_tunnels), (vec![idx.len() as u32], vec![5]));
}

#[test]
fn lanes_by_endpoint_target_principal_and_source() {
    let ds = trail();
    let idx = all(ds);
    let by_ep = lanes(ds, &idx, Grouping::Endpoint);
    let keys: Vec<&str> = by_ep.iter().map(|l| l.key.as_str()).collect();
    assert_eq!(keys, [EP_A, EP_B]);
    let a = &by_ep[0];
    assert_eq!((a.label.as_str(), a.sublabel.as_str(), a.n_failed), (EP_A, "us-east-1", 1));
    let ids: Vec<&str> = a.marks.iter().map(|m| m.event_id.as_str()).collect();
    assert_eq!(ids, ["t1", "t2", "t3"]);
    let (t1, t2, t3) = (&a.marks[0], &a.marks[1], &a.marks[2]);
    assert_eq!((t1.start_ms, t1.end_ms), (ms("2026-10-01T10:00:00Z"), ms("2026-10-01T10:30:00Z")));
    assert!(!t1.assumed && !t1.failed && t1.port == Some(22));
    assert!(t2.assumed && t2.end_ms - t2.start_ms == 3_600_000);
    assert!(t3.failed && t3.port == Some(5432));
    // A denied attempt never opened: it is an instant, not a box of the max duration.
    assert_eq!(t3.end_ms, t3.start_ms);
    // t3 (12:30, failed) falls inside t2 (12:00 to 13:00): it is stacked under it; t1 ended
    // at 10:30, before t2, so t2 shares t1's sub-row.
    assert_eq!((a.rows, a.n_overdrawn), (2, 0));
    assert_eq!([t1.row, t2.row, t3.row], [0, 0, 1]);

    let by_target = lanes(ds, &idx, Grouping::Target);
    let keys: Vec<&str> = by_target.iter().map(|l| l.key.as_str()).collect();
    assert_eq!(keys, ["10.0.1.15", "10.0.1.27", "10.0.2.40", "10.20.3.8"]);
    // t1 followed a key push 30 s before; t2's push was two minutes earlier, beyond the key's life.
    assert_eq!(by_target[0].sublabel, "i-0a11 as ec2-user");
    assert_eq!(by_target[1].sublabel, "");

    let by_principal = lanes(ds, &idx, Grouping::Principal);
    let got: Vec<(&str, &str, usize, u32)> =
        by_principal.iter().map(|l| (l.key.as_str(), l.label.as_str(), l.marks.len(), l.n_failed)).collect();
    assert_eq!(
        got,
        [
            ("arn:aws:iam::111122223333:user/alice", "alice", 2, 0),
            ("arn:aws:iam::111122223333:user/contractor-mallory", "contractor-mallory", 1, 1),
            ("arn:aws:sts::111122223333:assumed-role/Admin/bob", "Admin/bob", 1, 0),
        ]
    );
    assert!(by_principal.iter().all(|l| l.sublabel.is_empty()));

    let by_source = lanes(ds, &idx, Grouping::SourceIp);
    let keys: Vec<&str> = by_source.iter().map(|l| l.key.as_str()).collect();
    assert_eq!(keys, [MALLORY_IP, ALICE_IP, BOB_IP]);

    // Lanes follow the filter.
    let alice = lanes(ds, &matching(ds, "user:alice"), Grouping::Endpoint);
    assert_eq!(alice.len(), 1);
    assert_eq!(alice[0].marks.len(), 2);
    assert!(lanes(ds, &matching(ds, "event:StopLogging"), Grouping::Target).is_empty());
}

/// The instant interval a mark occupies in its lane: an accepted tunnel to its latest end, a
/// failed attempt only its start.
fn span_of(m: &TunnelMark) -> (i64, i64) {
    (m.start_ms, if m.failed { m.start_ms } else { m.end_ms })
}

/// The most marks whose closed intervals hold one instant (the fewest sub-rows possible).
fn depth(marks: &[TunnelMark]) -> u32 {
    marks
        .iter()
        .map(|m| marks.iter().filter(|o| o.start_ms <= m.start_ms && m.start_ms <= span_of(o).1).count() as u32)
        .max()
        .unwrap_or(0)
}

/// No two marks of one sub-row overlap (touching counts), every row is in range, and the lane
/// uses as few sub-rows as its deepest overlap needs (up to the cap).
fn assert_packed(l: &Lane) {
    assert!(l.rows >= 1, "{}: a lane has at least one sub-row", l.key);
    assert!(l.marks.iter().all(|m| m.row < l.rows), "{}: rows in range", l.key);
    if l.n_overdrawn == 0 {
        for (i, a) in l.marks.iter().enumerate() {
            for b in &l.marks[i + 1..] {
                let ((a0, a1), (b0, b1)) = (span_of(a), span_of(b));
                assert!(
                    a.row != b.row || a1 < b0 || b1 < a0,
                    "{}: {} and {} overlap in sub-row {}",
                    l.key,
                    a.event_id,
                    b.event_id,
                    a.row
                );
            }
        }
    }
    assert_eq!(l.rows, depth(&l.marks).clamp(1, MAX_LANE_ROWS), "{}: as few sub-rows as the deepest overlap", l.key);
}

fn tm(id: usize, start_s: i64, end_s: i64, failed: bool) -> TunnelMark {
    TunnelMark {
        event_id: format!("e{id:03}"),
        start_ms: start_s * 1000,
        end_ms: if failed { start_s * 1000 } else { end_s * 1000 },
        failed,
        ..TunnelMark::default()
    }
}

#[test]
fn pack_rows_stacks_overlaps_and_nothing_else() {
    // Two overlapping tunnels and a denied attempt inside both: three sub-rows; the next
    // tunnel, after the first ended, reuses the top one.
    let mut marks = vec![tm(0, 0, 100, false), tm(1, 50, 150, false), tm(2, 60, 0, true), tm(3, 101, 200, false)];
    assert_eq!(pack_rows(&mut marks, MAX_LANE_ROWS), (3, 0));
    assert_eq!(marks.iter().map(|m| m.row).collect::<Vec<_>>(), [0, 1, 2, 0]);
    // Denied attempts apart from each other are instants: they share one sub-row.
    let mut burst: Vec<TunnelMark> = (0..50).map(|i| tm(i, i as i64, 0, true)).collect();
    assert_eq!(pack_rows(&mut burst, MAX_LANE_ROWS), (1, 0));
    // Touching intervals overlap (the start mark would sit on the bar's end).
    let mut touching = vec![tm(0, 0, 100, false), tm(1, 100, 200, false)];
    assert_eq!(pack_rows(&mut touching, MAX_LANE_ROWS), (2, 0));
    // Past the cap, marks are overdrawn on the sub-row that freed first, and counted.
    let mut deep: Vec<TunnelMark> = (0..20).map(|i| tm(i, i as i64, 1000 + i as i64, false)).collect();
    assert_eq!(pack_rows(&mut deep, 4), (4, 16));
    assert_eq!(deep.iter().map(|m| m.row).collect::<Vec<_>>()[..6], [0, 1, 2, 3, 0, 1]);
    let mut none: Vec<TunnelMark> = Vec::new();
    assert_eq!(pack_rows(&mut none, MAX_LANE_ROWS), (1, 0));
}

#[test]
fn pack_rows_is_minimal_and_disjoint_on_every_small_layout() {
    // Every lane of up to 4 marks with starts and ends on a grid of 4 instants, some failed:
    // sub-rows never hold overlapping marks and are as few as the deepest overlap.
    let mut checked = 0;
    for n in 0..=4usize {
        let combos = 20usize.pow(n as u32);
        for code in 0..combos {
            let mut c = code;
            let mut marks: Vec<TunnelMark> = (0..n)
                .map(|i| {
                    let (k, rest) = (c % 20, c / 20);
                    c = rest;
                    // k < 16: accepted [k/4, k/4 + 1 + k%4]; else failed at k-16.
                    if k < 16 {
                        tm(i, (k / 4) as i64, (k / 4 + 1 + k % 4) as i64, false)
                    } else {
                        tm(i, (k - 16) as i64, 0, true)
                    }
                })
                .collect();
            marks.sort_by(|a, b| (a.start_ms, &a.event_id).cmp(&(b.start_ms, &b.event_id)));
            let (rows, overdrawn) = pack_rows(&mut marks, MAX_LANE_ROWS);
            let lane = Lane { key: format!("{code}/{n}"), marks, rows, n_overdrawn: overdrawn, ..Lane::default() };
            assert_eq!(overdrawn, 0);
            assert_packed(&lane);
            checked += 1;
        }
    }
    assert_eq!(checked, 1 + 20 + 400 + 8_000 + 160_000);
}

#[test]
fn sample_lanes_count_and_order() {
    let ds = sample();
    let idx = all(ds);
    let pairings = TunnelPairings::new(ds);
    for g in Grouping::ALL {
        let ls = lanes(ds, &idx, g);
        assert_eq!(ls.iter().map(|l| l.marks.len()).sum::<usize>(), 45, "{g:?}");
        assert_eq!(ls.iter().map(|l| l.n_failed).sum::<u32>(), 5, "{g:?}");
        assert!(ls.windows(2).all(|w| w[0].key < w[1].key), "{g:?} lanes sorted by key");
        for l in &ls {
            assert!(l.marks.windows(2).all(|w| (w[0].start_ms, &w[0].event_id) < (w[1].start_ms, &w[1].event_id)));
            assert!(l.marks.iter().all(|m| if m.failed { m.end_ms == m.start_ms } else { m.end_ms > m.start_ms }));
            assert_packed(l);
        }
        assert_eq!(lanes_with(ds, &idx, g, &pairings), ls, "{g:?}: cached pairings agree");
    }
    let counts: Vec<(String, usize)> =
        lanes(ds, &idx, Grouping::Endpoint).into_iter().map(|l| (l.key, l.marks.len())).collect();
    assert_eq!(
        counts,
        [
            ("eice-04c5d6e7f8091a2b3".to_owned(), 8),
            ("eice-0a1b2c3d4e5f60718".to_owned(), 21),
            ("eice-0f9e8d7c6b5a49382".to_owned(), 16)
        ]
    );
    let by_principal = lanes(ds, &idx, Grouping::Principal);
    // The sample's principals open tunnels that overlap in time: their lanes stack (alice's
    // three Saturday tunnels, opened within 16 minutes for up to an hour each, take three rows).
    let stacked: Vec<(&str, u32)> =
        by_principal.iter().filter(|l| l.rows > 1).map(|l| (l.label.as_str(), l.rows)).collect();
    assert_eq!(stacked, [("alice", 3), ("carol@example.com", 2), ("Admin/bob", 2)]);
    let mallory = by_principal.iter().find(|l| l.label == "contractor-mallory").unwrap();
    assert_eq!((mallory.marks.len(), mallory.n_failed), (5, 5));
    // Target sublabels name exactly the instances and users the tunnel rows were paired with.
    let rows = ds.tunnel_rows();
    for lane in lanes(ds, &idx, Grouping::Target) {
        let mut revealed: Vec<&str> = rows
            .iter()
            .filter(|r| r.private_ip == lane.key && matches!(r.pairing, Pairing::KeyPush | Pairing::IpInventory))
            .map(|r| r.instance_id.as_str())
            .collect();
        revealed.sort_unstable();
        revealed.dedup();
        for instance in &revealed {
            assert!(lane.sublabel.contains(instance), "{} lacks {instance}: {:?}", lane.key, lane.sublabel);
        }
        for r in rows.iter().filter(|r| r.private_ip == lane.key && r.pairing == Pairing::KeyPush) {
            assert!(lane.sublabel.contains(&format!("{} as ", r.instance_id)), "{}", lane.sublabel);
            assert!(lane.sublabel.contains(&r.os_user), "{}", lane.sublabel);
        }
        assert_eq!(lane.sublabel.is_empty(), revealed.is_empty(), "{}", lane.key);
    }
    // The IPv6 target is its own lane.
    assert!(lanes(ds, &idx, Grouping::Target).iter().any(|l| l.key == "fd00:ec2:10::15"));
}

#[test]
fn endpoint_lives_of_the_hand_built_trail() {
    let ds = trail();
    let lives = endpoint_lives(ds, &all(ds));
    assert_eq!(lives.len(), 2);
    let a = &lives[0];
    assert_eq!(a.endpoint_id, EP_A);
    assert_eq!((a.region.as_str(), a.account.as_str()), ("us-east-1", ACCT));
    assert_eq!(a.create_ms, Some(ms("2026-10-01T09:00:00Z")));
    assert_eq!(a.created_by, "Admin/bob");
    assert_eq!(a.delete_ms, None, "a failed Delete deletes nothing");
    assert_eq!(a.deleted_by, "");
    assert_eq!(a.failed_changes_ms, [ms("2026-10-01T11:00:00Z")]);
    assert_eq!(a.modify_ms, [ms("2026-10-01T10:30:00Z"), ms("2026-10-01T10:40:00Z")]);
    assert_eq!(a.modified_by, ["Admin/bob", "carol@example.com"]);
    assert_eq!(a.describe_ms, [ms("2026-10-01T10:00:30Z")]);
    assert_eq!(a.preserve_client_ip, Some(true), "the Modify's value replaces the Create's");
    assert_eq!((a.subnet_id.as_str(), a.vpc_id.as_str()), ("subnet-0aaa", "vpc-0aaa"));
    assert_eq!(a.security_group_ids, ["sg-0bbb"], "the latest Modify's groups");
    assert_eq!((a.ip_address_type.as_str(), a.dns_name.as_str()), ("ipv4", "a.example"));
    assert_eq!((a.n_tunnels, a.n_failed), (3, 1));
    assert_eq!(a.first_use_ms, Some(ms("2026-10-01T10:00:00Z")));
    assert_eq!(a.last_use_ms, Some(ms("2026-10-01T12:00:00Z")), "a failed attempt is no use");
    assert_eq!((a.first_seen_ms, a.last_seen_ms), (ms("2026-10-01T09:00:00Z"), ms("2026-10-01T12:30:00Z")));

    let b = &lives[1];
    assert_eq!(b.endpoint_id, EP_B);
    assert_eq!((b.create_ms, b.delete_ms), (None, None), "open-ended on both sides");
    assert_eq!(b.preserve_client_ip, None, "never assumed");
    assert!(b.subnet_id.is_empty() && b.created_by.is_empty() && b.modify_ms.is_empty());
    assert_eq!(
        (b.n_tunnels, b.first_seen_ms, b.last_seen_ms),
        (1, ms("2026-10-04T09:00:00Z"), ms("2026-10-04T09:00:00Z"))
    );

    // The filter picks the endpoints and the usage, not the lifecycle.
    let alice = endpoint_lives(ds, &matching(ds, "user:alice"));
    assert_eq!(alice.len(), 1);
    assert_eq!((alice[0].n_tunnels, alice[0].n_failed), (2, 0));
    assert_eq!(alice[0].create_ms, a.create_ms);
    assert_eq!(alice[0].modify_ms, a.modify_ms);
    let bob_changes = endpoint_lives(ds, &matching(ds, "user:bob event:ModifyInstanceConnectEndpoint"));
    assert_eq!(bob_changes.len(), 1);
    assert_eq!((bob_changes[0].n_tunnels, bob_changes[0].first_use_ms), (0, None));
    assert!(endpoint_lives(ds, &matching(ds, "event:StopLogging")).is_empty());
}

#[test]
fn endpoint_lives_of_the_sample() {
    let ds = sample();
    let lives = endpoint_lives(ds, &all(ds));
    let ids: Vec<&str> = lives.iter().map(|l| l.endpoint_id.as_str()).collect();
    assert_eq!(ids, ["eice-04c5d6e7f8091a2b3", "eice-0a1b2c3d4e5f60718", "eice-0f9e8d7c6b5a49382"]);
    let (third, first, second) = (&lives[0], &lives[1], &lives[2]);
    assert_eq!((third.create_ms, third.delete_ms), (None, None), "predates the data");
    assert_eq!(third.region, "eu-west-1");
    assert_eq!(third.preserve_client_ip, None);
    assert_eq!(third.n_tunnels, 8);
    assert!(first.create_ms.is_some() && first.delete_ms.is_none());
    assert_eq!(first.preserve_client_ip, Some(true));
    assert_eq!((first.n_tunnels, first.n_failed), (21, 3));
    assert_eq!(first.created_by, "Admin/bob");
    assert_eq!(
        (first.vpc_id.as_str(), first.subnet_id.as_str()),
        ("vpc-0aa11bb22cc33dd44", "subnet-0123456789abcdef0")
    );
    assert_eq!(first.security_group_ids, ["sg-0fedcba9876543210"]);
    assert!(second.create_ms.is_some() && second.delete_ms.is_some());
    assert!(
        second.create_ms < second.modify_ms.first().copied() && second.modify_ms.last().copied() < second.delete_ms
    );
    assert_eq!(second.preserve_client_ip, Some(true), "created false, then modified to true");
    assert_eq!(
        (second.deleted_by.as_str(), second.modified_by.as_slice()),
        ("Admin/bob", &["Admin/bob".to_owned()][..])
    );
    assert_eq!((second.n_tunnels, second.n_failed), (16, 2));
    let describes: usize = lives.iter().map(|l| l.describe_ms.len()).sum();
    assert_eq!(describes as u64, ds.stats().endpoint_changes.describe);
    for l in &lives {
        assert!(l.first_seen_ms <= l.last_seen_ms);
        assert!(l.first_use_ms >= Some(l.first_seen_ms) && l.last_use_ms <= Some(l.last_seen_ms));
        assert!(l.create_ms.is_none_or(|c| c == l.first_seen_ms));
    }
}

#[test]
fn event_rows_order_pages_and_eice_only() {
    for ds in [trail(), sample()] {
        let idx = all(ds);
        let time_order: Vec<String> =
            ds.time_order().iter().map(|&i| ds.events()[i as usize].event_id.clone()).collect();
        let (total, rows) = event_rows(ds, &idx, false, SortOrder::TimeAsc, 0, usize::MAX);
        assert_eq!(total, idx.len());
        let got: Vec<String> = rows.iter().map(|r| r.event_id.clone()).collect();
        assert_eq!(got, time_order);
        let (_, desc) = event_rows(ds, &idx, false, SortOrder::TimeDesc, 0, usize::MAX);
        let mut reversed: Vec<String> = desc.iter().map(|r| r.event_id.clone()).collect();
        reversed.reverse();
        assert_eq!(reversed, time_order);
        // Pages of any size put back together give the whole table, in both orders.
        for order in [SortOrder::TimeAsc, SortOrder::TimeDesc] {
            let whole = event_rows(ds, &idx, false, order, 0, usize::MAX).1;
            let sorted = sorted_event_indices(ds, &idx, false, order);
            for size in [1, 3, 7, 50] {
                let mut joined = Vec::new();
                let mut offset = 0;
                while offset < total {
                    let (t, page) = event_rows(ds, &idx, false, order, offset, size);
                    assert_eq!(t, total);
                    assert_eq!(page.len(), size.min(total - offset));
                    assert_eq!(page, event_rows_sorted(ds, &sorted, offset, size));
                    joined.extend(page);
                    offset += size;
                }
                assert_eq!(joined, whole, "page size {size}");
            }
        }
        assert_eq!(event_rows(ds, &idx, false, SortOrder::TimeAsc, total, 10), (total, Vec::new()));
        assert_eq!(event_rows(ds, &idx, false, SortOrder::TimeAsc, 5, 0), (total, Vec::new()));
        // EICE-only keeps exactly the relevant events, still in order.
        let relevant = ds.events().iter().filter(|e| is_eice_relevant(e)).count();
        let (eice_total, eice_rows) = event_rows(ds, &idx, true, SortOrder::TimeAsc, 0, usize::MAX);
        assert_eq!(eice_total, relevant);
        assert!(relevant < total);
        assert!(eice_rows.iter().all(|r| r.is_eice));
        assert!(eice_rows.windows(2).all(|w| (w[0].time_ms, &w[0].event_id) < (w[1].time_ms, &w[1].event_id)));
        assert_eq!(rows.iter().filter(|r| r.is_eice).count(), relevant);
    }
    // Rows carry the console's columns.
    let ds = trail();
    let t3 = event_row(&ds.event("t3").unwrap());
    assert_eq!(
        (
            t3.time.as_str(),
            t3.event_name.as_str(),
            t3.principal.as_str(),
            t3.source_ip.as_str(),
            t3.error_code.as_str()
        ),
        ("2026-10-01T12:30:00Z", "OpenTunnel", "contractor-mallory", MALLORY_IP, "AccessDenied")
    );
    assert_eq!((t3.event_source.as_str(), t3.region.as_str(), t3.account.as_str()), (EIC, "us-east-1", ACCT));
    assert!(t3.is_eice);
    assert!(!event_row(&ds.event("g1").unwrap()).is_eice);
    // A filtered page.
    let (n, page) = event_rows(ds, &matching(ds, "user:alice"), false, SortOrder::TimeDesc, 1, 2);
    assert_eq!(n, 7);
    let ids: Vec<&str> = page.iter().map(|r| r.event_id.as_str()).collect();
    assert_eq!(ids, ["k2", "g2"]);
}

fn related(d: &tunnelscope_core::views::EventDetail) -> Vec<(&str, &str)> {
    d.related.iter().map(|r| (r.relation.as_str(), r.row.event_id.as_str())).collect()
}

#[test]
fn event_detail_of_a_tunnel_lists_key_push_lifecycle_and_nearby_activity() {
    let ds = trail();
    let d = event_detail(ds, "t1").unwrap();
    assert_eq!(d.row, event_row(&ds.event("t1").unwrap()));
    let t = d.tunnel.as_ref().unwrap();
    assert_eq!((t.pairing, t.instance_id.as_str(), t.os_user.as_str()), (Pairing::KeyPush, "i-0a11", "ec2-user"));
    assert_eq!(
        related(&d),
        [
            (REL_KEY_PUSH, "k1"),
            (REL_LIFECYCLE, "c1"),
            (REL_LIFECYCLE, "d1"),
            (REL_LIFECYCLE, "m1"),
            (REL_LIFECYCLE, "m2"),
            (REL_LIFECYCLE, "dx"),
            (REL_PRINCIPAL, "g1"),
        ]
    );
    // The raw record, pretty-printed, is the same JSON.
    let pretty: Value = serde_json::from_str(&d.raw_pretty).unwrap();
    let raw: Value = serde_json::from_str(ds.event("t1").unwrap().raw).unwrap();
    assert_eq!(pretty, raw);
    assert!(d.raw_pretty.contains("\n  \"eventID\": \"t1\""));

    // t2's key push was too early to pair; the failed tunnel has no push at all.
    let d2 = event_detail(ds, "t2").unwrap();
    assert_eq!(d2.tunnel.as_ref().unwrap().pairing, Pairing::None);
    assert!(!related(&d2).contains(&(REL_KEY_PUSH, "k2")));
    assert!(related(&d2).contains(&(REL_PRINCIPAL, "k2")), "still the same principal two minutes before");
    let d3 = event_detail(ds, "t3").unwrap();
    assert_eq!(d3.tunnel.as_ref().unwrap().outcome, "failed");
    assert!(related(&d3).iter().all(|(rel, _)| *rel == REL_LIFECYCLE), "{:?}", related(&d3));

    // From the key push, the tunnel it paired with.
    let k1 = event_detail(ds, "k1").unwrap();
    assert!(k1.tunnel.is_none());
    assert_eq!(related(&k1)[0], (REL_PAIRED_TUNNEL, "t1"));
    // An endpoint change lists the rest of the lifecycle, never itself.
    let c1 = event_detail(ds, "c1").unwrap();
    let lifecycle: Vec<&str> = related(&c1).into_iter().filter(|r| r.0 == REL_LIFECYCLE).map(|r| r.1).collect();
    assert_eq!(lifecycle, ["d1", "m1", "m2", "dx"]);
    // Unrelated events: only the same principal around them.
    let g1 = event_detail(ds, "g1").unwrap();
    let mut around: Vec<&str> = related(&g1).into_iter().map(|r| r.1).collect();
    around.sort_unstable();
    assert_eq!(around, ["d1", "g2", "k1", "t1"], "k1 is 4.5 min away, within ±5 min");
    assert!(event_detail(ds, "no-such-event").is_none());
}

#[test]
fn event_detail_of_sample_tunnels_matches_the_tunnel_rows() {
    let ds = sample();
    let pairings = TunnelPairings::new(ds);
    let rows = ds.tunnel_rows();
    assert!(
        rows.iter().any(|r| r.pairing == Pairing::IpInventory) && rows.iter().any(|r| r.pairing == Pairing::KeyPush)
    );
    for row in rows {
        let d = event_detail(ds, &row.event_id).unwrap();
        assert_eq!(d.tunnel.as_ref(), Some(&row));
        // The app's worker passes the load's pairings: the same detail without pairing again.
        assert_eq!(event_detail_with(ds, &row.event_id, Some(&pairings)).as_ref(), Some(&d));
        let pushes = d.related.iter().filter(|r| r.relation == REL_KEY_PUSH).count();
        if row.pairing == Pairing::KeyPush {
            assert!(pushes >= 1);
            let push = d.related.iter().find(|r| r.relation == REL_KEY_PUSH).unwrap();
            assert_eq!(push.row.event_name, "SendSSHPublicKey");
            assert!(push.row.time_ms <= d.row.time_ms && d.row.time_ms - push.row.time_ms <= 60_000);
        } else {
            assert_eq!(pushes, 0, "{}", row.event_id);
        }
        let lifecycle: Vec<_> = d.related.iter().filter(|r| r.relation == REL_LIFECYCLE).collect();
        let created_here = row.endpoint_id != "eice-04c5d6e7f8091a2b3";
        assert_eq!(lifecycle.iter().any(|r| r.row.event_name == "CreateInstanceConnectEndpoint"), created_here);
        assert!(d.related.iter().filter(|r| r.relation == REL_PRINCIPAL).count() <= 50);
        for r in d.related.iter().filter(|r| r.relation == REL_PRINCIPAL) {
            assert_eq!(r.row.principal, row.principal);
            assert!((r.row.time_ms - d.row.time_ms).abs() <= 300_000);
        }
        let mut ids: Vec<&str> = d.related.iter().map(|r| r.row.event_id.as_str()).collect();
        ids.push(&row.event_id);
        let n = ids.len();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), n, "no event is listed twice");
    }
}

#[test]
fn coverage_days_gaps_and_trail_changes() {
    let ds = trail();
    let c = coverage(ds);
    assert_eq!(c.accounts, [ACCT, "444455556666"]);
    assert_eq!(c.regions, ["eu-west-1", "us-east-1"]);
    let days: Vec<(&str, u64)> = c.days.iter().map(|d| (d.day.as_str(), d.events)).collect();
    assert_eq!(days, [("2026-10-01", 12), ("2026-10-02", 1), ("2026-10-04", 2), ("2026-10-08", 1)]);
    assert_eq!(
        c.gaps,
        [("2026-10-03".to_owned(), "2026-10-03".to_owned()), ("2026-10-05".to_owned(), "2026-10-07".to_owned())]
    );
    let changes: Vec<(&str, &str)> =
        c.trail_changes.iter().map(|r| (r.event_id.as_str(), r.event_name.as_str())).collect();
    assert_eq!(changes, [("s1", "StopLogging"), ("s2", "StartLogging")]);

    let s = coverage(sample());
    assert_eq!(s.accounts, ["111122223333"]);
    assert_eq!(s.regions, ["eu-west-1", "us-east-1"]);
    // The working day, the root user's Friday, alice's Saturday morning.
    let days: Vec<(&str, u64)> = s.days.iter().map(|d| (d.day.as_str(), d.events)).collect();
    assert_eq!(days, [("2026-10-01", 120), ("2026-10-02", 3), ("2026-10-03", 7)]);
    assert_eq!(days.iter().map(|d| d.1 as usize).sum::<usize>(), sample().events().len());
    assert!(s.gaps.is_empty());
    // mallory stops the trail minutes after her denied burst; bob starts it again.
    let changes: Vec<(&str, &str)> =
        s.trail_changes.iter().map(|r| (r.event_name.as_str(), r.principal.as_str())).collect();
    assert_eq!(changes, [("StopLogging", "contractor-mallory"), ("StartLogging", "Admin/bob")]);
    assert_eq!(coverage(&Dataset::new()), Default::default());
}

#[test]
fn source_ips_and_counters_follow_the_filter() {
    let ds = trail();
    assert_eq!(n_source_ips(ds, &all(ds)), 4, "the empty source IP is not one");
    assert_eq!(n_source_ips(ds, &matching(ds, "user:alice")), 1);
    assert_eq!(n_source_ips(ds, &[]), 0);
    let s = sample();
    // The four people, the root user's office address and alice's hotel.
    assert_eq!(n_source_ips(s, &all(s)), 6);
    for ds in [trail(), sample()] {
        for query in [
            "",
            "user:alice",
            "outcome:failed",
            "event:OpenTunnel",
            "endpoint:eice-0f9e8d7c6b5a49382",
            "nothing-matches",
        ] {
            let idx = matching(ds, query);
            let c = counters(ds, &idx);
            let stats = ds.stats_of(idx.iter().filter_map(|&i| ds.get(i)));
            assert_eq!(c.events as usize, idx.len());
            assert_eq!((c.tunnels, c.failed_tunnels), (stats.tunnels.total, stats.tunnels.failed), "{query:?}");
            assert_eq!((c.endpoints, c.principals), (stats.endpoints.len() as u64, stats.principals), "{query:?}");
            assert_eq!(c.source_ips, n_source_ips(ds, &idx));
        }
    }
}

#[test]
fn view_index_gives_the_same_answers() {
    use tunnelscope_core::views::ViewIndex;
    for ds in [trail(), sample()] {
        let ix = ViewIndex::new(ds);
        assert_eq!(ix.len(), ds.events().len());
        let pairings = TunnelPairings::new(ds);
        for query in [
            "",
            "user:alice",
            "outcome:failed",
            "event:OpenTunnel",
            "port:22",
            "endpoint:eice-0f9e8d7c6b5a49382",
            "-event:OpenTunnel",
            "nothing-matches",
        ] {
            let idx = matching(ds, query);
            assert_eq!(ix.time_extent(ds, &idx), time_extent(ds, &idx), "{query:?}");
            assert_eq!(ix.counters(ds, &idx), counters(ds, &idx), "{query:?}");
            assert_eq!(ix.n_source_ips(ds, &idx), n_source_ips(ds, &idx), "{query:?}");
            assert_eq!(ix.endpoint_lives(ds, &idx), endpoint_lives(ds, &idx), "{query:?}");
            if let Some(range) = time_extent(ds, &idx) {
                for n in [1, 17, 500] {
                    assert_eq!(ix.histogram(ds, &idx, range, n), histogram(ds, &idx, range, n), "{query:?}");
                }
            }
            for g in Grouping::ALL {
                let want = lanes(ds, &idx, g);
                assert_eq!(ix.lanes(ds, &idx, g, None), want, "{query:?} {g:?}");
                assert_eq!(ix.lanes(ds, &idx, g, Some(&pairings)), want, "{query:?} {g:?}");
            }
        }
    }
    // An index of another load falls back to the exact scan.
    let stale = ViewIndex::new(trail());
    let s = sample();
    assert_eq!(stale.lanes(s, &all(s), Grouping::Endpoint, None), lanes(s, &all(s), Grouping::Endpoint));
}

#[test]
fn a_failed_create_is_no_create_and_describes_of_several_endpoints_set_no_configuration() {
    let records = vec![
        rec(
            "cf",
            "2026-10-01T09:00:00Z",
            mallory(),
            EC2,
            "CreateInstanceConnectEndpoint",
            MALLORY_IP,
            json!({"requestParameters":{"CreateInstanceConnectEndpointRequest":{"SubnetId":"subnet-0evil","PreserveClientIp":true}},
                "responseElements":{"instanceConnectEndpoint":{"instanceConnectEndpointId":EP_A}},"errorCode":"Client.UnauthorizedOperation"}),
        ),
        rec(
            "dm",
            "2026-10-01T09:05:00Z",
            bob(),
            EC2,
            "DescribeInstanceConnectEndpoints",
            BOB_IP,
            json!({"responseElements":{"DescribeInstanceConnectEndpointsResponse":{"instanceConnectEndpointSet":{"item":[
                {"instanceConnectEndpointId":EP_A,"subnetId":"subnet-0aaa","vpcId":"vpc-0aaa"},
                {"instanceConnectEndpointId":EP_B,"subnetId":"subnet-0bbb","vpcId":"vpc-0bbb"}]}}}}),
        ),
    ];
    let bytes = serde_json::to_vec(&json!({ "Records": records })).unwrap();
    let mut ds = Dataset::new();
    ds.add_file("t.json", &bytes);
    let lives = endpoint_lives(&ds, &all(&ds));
    let ids: Vec<&str> = lives.iter().map(|l| l.endpoint_id.as_str()).collect();
    assert_eq!(ids, [EP_A, EP_B]);
    let a = &lives[0];
    assert_eq!((a.create_ms, a.created_by.as_str()), (None, ""), "a refused Create requested nothing");
    assert_eq!(a.failed_changes_ms, [ms("2026-10-01T09:00:00Z")]);
    assert_eq!(a.preserve_client_ip, None, "a refused request's value is not the endpoint's");
    assert!(a.subnet_id.is_empty() && a.vpc_id.is_empty(), "a Describe of two endpoints cannot say whose subnet");
    assert_eq!(a.describe_ms, [ms("2026-10-01T09:05:00Z")]);
    assert_eq!(lives[1].describe_ms, a.describe_ms);
}

#[test]
fn time_order_of_no_events_is_empty() {
    // A shift by 64 bits panicked here in debug builds (issue 18, item 4).
    for mut ds in [Dataset::new(), Dataset::compact()] {
        assert!(ds.time_order().is_empty());
        ds.add_file("empty.json", br#"{"Records":[]}"#);
        assert!(ds.time_order().is_empty());
    }
}

#[test]
fn time_order_sorts_by_time_then_event_id_text() {
    // Ties in time (CloudTrail times are whole seconds), UUID IDs (held as 16 bytes) mixed
    // with other IDs, and times from year 1 to 9999.
    let recs = [
        ("2024-05-01T10:00:00Z", "b0000000-0000-4000-8000-000000000000"),
        ("2024-05-01T10:00:00Z", "a0000000-0000-4000-8000-000000000000"),
        ("2024-05-01T10:00:00Z", "B-upper-case-id"),
        ("2024-05-01T10:00:00Z", "a0000000-0000-4000-8000-00000000000f"),
        ("9999-12-31T23:59:59Z", "ffffffff-ffff-4fff-bfff-ffffffffffff"),
        ("0001-01-01T00:00:00Z", "zz"),
        ("2024-05-01T09:59:59Z", "c"),
        ("2024-05-01T10:00:01Z", "0"),
    ];
    let body: Vec<String> = recs
        .iter()
        .map(|(t, id)| {
            format!(r#"{{"eventVersion":"1.08","eventTime":"{t}","eventID":"{id}","eventName":"GetObject","eventSource":"s3.amazonaws.com","awsRegion":"us-east-1","recipientAccountId":"111122223333","userIdentity":{{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/a"}}}}"#)
        })
        .collect();
    let text = format!(r#"{{"Records":[{}]}}"#, body.join(","));
    for mut ds in [Dataset::new(), Dataset::compact()] {
        ds.add_file("t.json", text.as_bytes());
        assert_eq!(ds.len(), recs.len());
        let got: Vec<String> = ds.time_order().iter().map(|&i| ds.get(i).unwrap().event_id.to_string()).collect();
        let mut want: Vec<(i64, String)> = ds.iter().map(|e| (e.time_ms, e.event_id.to_string())).collect();
        want.sort();
        assert_eq!(got, want.into_iter().map(|(_, id)| id).collect::<Vec<_>>());
        assert_eq!(got[0], "zz");
        assert_eq!(
            &got[2..6],
            [
                "B-upper-case-id",
                "a0000000-0000-4000-8000-000000000000",
                "a0000000-0000-4000-8000-00000000000f",
                "b0000000-0000-4000-8000-000000000000"
            ]
        );
    }
}
