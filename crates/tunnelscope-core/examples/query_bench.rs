//! Times `query::matching_indices` (scan) and `QueryIndex::matching_indices` over 1,000,000 synthetic events.

use std::time::Instant;

use serde_json::json;
use tunnelscope_core::Dataset;
use tunnelscope_core::model::{Event, Fidelity};
use tunnelscope_core::query::{Query, QueryIndex, TimeWindow, matching_indices};
use tunnelscope_core::record::parse_record;

const N: usize = 1_000_000;
/// 2026-10-01T00:00:00Z.
const T0_MS: i64 = 1_790_812_800_000;

/// A small deterministic generator (xorshift64*), so the data is the same every run.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// One parsed template event per kind; the synthetic events are clones with varied fields.
fn template(name: &str, source: &str, request: serde_json::Value) -> Event {
    let rec = json!({"eventVersion":"1.11","eventID":"template","eventTime":"2026-10-01T00:00:00Z",
        "userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/template","accountId":"111122223333","userName":"template"},
        "eventSource":source,"eventName":name,"awsRegion":"us-east-1","sourceIPAddress":"198.51.100.1",
        "userAgent":"aws-cli/2.22.4","recipientAccountId":"111122223333","requestParameters":request});
    match parse_record(&rec.to_string(), Fidelity::Full) {
        Ok(e) => e,
        Err(e) => panic!("template {name} does not parse: {e:?}"),
    }
}

fn synthetic() -> Vec<Event> {
    let tunnel = template(
        "OpenTunnel",
        "ec2-instance-connect.amazonaws.com",
        json!({"instanceConnectEndpointId":"eice-0a1b2c3d4e5f60718","remotePort":"22","privateIpAddress":"10.0.1.15","maxTunnelDuration":"3600"}),
    );
    let describe = template(
        "DescribeInstanceConnectEndpoints",
        "ec2.amazonaws.com",
        json!({"DescribeInstanceConnectEndpointsRequest":{"InstanceConnectEndpointId":{"item":"eice-0a1b2c3d4e5f60718"}}}),
    );
    let other = template("DescribeInstances", "ec2.amazonaws.com", json!({}));
    let names = ["DescribeInstances", "GetCallerIdentity", "ListBuckets", "Decrypt", "AssumeRole", "ConsoleLogin"];
    let agents = [
        "aws-cli/2.22.4 md/awscrt#0.23.4 ua/2.1 os/linux#6.8 md/arch#x86_64 lang/python#3.12.6 exec-env/CloudShell command/ec2-instance-connect.ssh",
        "Boto3/1.35.20 md/Botocore#1.35.20 ua/2.0 os/linux#6.1 md/arch#x86_64 lang/python#3.11.2",
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
        "ec2.amazonaws.com",
    ];
    let mut rng = Rng(0x5eed_0000_0000_0001);
    let mut out = Vec::with_capacity(N);
    for i in 0..N {
        let kind = rng.below(100);
        let mut e = if kind < 10 {
            let mut e = tunnel.clone();
            if let Some(tunnelscope_core::EiceFacts::Tunnel(t)) = &mut e.eice {
                t.port = Some(if rng.below(5) == 0 { 3389 } else { 22 });
                t.private_ip = format!("10.{}.{}.{}", rng.below(4), rng.below(256), rng.below(256));
                t.endpoint_id = format!("eice-0a1b2c3d4e5f6071{}", rng.below(8));
            }
            e
        } else if kind < 12 {
            describe.clone()
        } else {
            let mut e = other.clone();
            e.event_name = names[rng.below(names.len() as u64) as usize].to_owned();
            e
        };
        let user = rng.below(2000);
        e.event_id = format!("{i:08x}-0000-4000-8000-000000000000");
        e.time_ms = T0_MS + (i as i64) * 2_600; // about a month
        e.principal = format!("user{user}");
        e.principal_arn = format!("arn:aws:iam::111122223333:user/user{user}");
        e.source_ip = match rng.below(10) {
            0 => format!("2001:db8:{:x}::{:x}", rng.below(65536), rng.below(65536)),
            1 => "ec2.amazonaws.com".to_owned(),
            _ => format!("{}.{}.{}.{}", 192 + rng.below(16), rng.below(256), rng.below(256), rng.below(256)),
        };
        e.user_agent = agents[rng.below(agents.len() as u64) as usize].to_owned();
        if rng.below(50) == 0 {
            e.error_code = "AccessDenied".to_owned();
        }
        // The raw JSON is not searched; keep memory small.
        e.raw = String::new();
        out.push(e);
    }
    out
}

fn main() {
    let started = Instant::now();
    let mut ds = Dataset::new();
    // Any file gives a `ParsedFile` to carry the synthetic events into the dataset.
    let mut parsed = tunnelscope_core::parse_file("synthetic.json", br#"{"Records":[]}"#);
    parsed.events = synthetic().into_iter().enumerate().map(|(i, e)| (i as u32, e)).collect();
    ds.add_parsed("synthetic.json", parsed);
    println!("built {} events in {:.1} s", ds.len(), started.elapsed().as_secs_f64());
    let t = Instant::now();
    let ix = QueryIndex::new(&ds);
    println!("QueryIndex::new: {:.0} ms", t.elapsed().as_secs_f64() * 1000.0);

    let day = 86_400_000;
    let window = Some(TimeWindow { start_ms: T0_MS + 3 * day, end_ms: T0_MS + 4 * day });
    let queries: &[(&str, Option<TimeWindow>)] = &[
        ("", None),
        ("", window),
        ("event:OpenTunnel", None),
        ("port:22", None),
        ("outcome:failed", None),
        ("region:us-east-1 account:111122223333", None),
        ("user:user42", None),
        ("ip:198.51.100.0/24", None),
        ("ip:2001:db8::/32", None),
        ("target:10.1.0.0/16", None),
        ("endpoint:eice-0a1b2c3d4e5f60713", None),
        ("active:2026-10-05T12:00Z", None),
        ("after:2026-10-10 before:2026-10-12", None),
        ("user42", None),
        ("zzzz-not-present", None),
        ("accessdenied", None),
        (
            "user:user1 port:22 ip:192.0.0.0/8 target:10.0.0.0/8 outcome:accepted -event:DescribeInstanceConnectEndpoints",
            None,
        ),
        ("port:22 port:3389 -user:user7 -ip:2001:db8::/32", window),
        // Operators, groups and wildcards (issue 17).
        ("user:user42 OR user:user7", None),
        ("(user:user1 OR ip:2001:db8::/32) port:22 OR outcome:failed", None),
        ("-(event:Describe* OR port:3389) region:us-*", None),
        ("user:user4*2 event:*Tunnel endpoint:eice-0a1b*3", None),
        ("NOT (accessdenied OR aws-cli*ssh) -ip:192.0.0.0/8", window),
    ];
    let (mut worst_scan, mut worst_index) = (0.0f64, 0.0f64);
    println!("{:>10} {:>10} {:>9}  query", "scan ms", "index ms", "matches");
    for (text, w) in queries {
        let q = match Query::parse(text) {
            Ok(q) => q,
            Err(e) => panic!("{text:?}: {e}"),
        };
        let scan = median_ms(|| matching_indices(&ds, &q, *w).len());
        let index = median_ms(|| ix.matching_indices(&ds, &q, *w).len());
        let n = ix.matching_indices(&ds, &q, *w).len();
        assert_eq!(n, matching_indices(&ds, &q, *w).len(), "{text:?}");
        worst_scan = worst_scan.max(scan);
        worst_index = worst_index.max(index);
        let label = if w.is_some() { format!("{text} [+window]") } else { text.to_string() };
        println!("{scan:10.1} {index:10.1} {n:>9}  {label:?}");
    }
    println!("slowest median over {} events: scan {worst_scan:.1} ms, index {worst_index:.1} ms", ds.len());
}

/// Median wall time of five runs, in milliseconds.
fn median_ms(mut f: impl FnMut() -> usize) -> f64 {
    let mut times: Vec<f64> = (0..5)
        .map(|_| {
            let t = Instant::now();
            std::hint::black_box(f());
            t.elapsed().as_secs_f64() * 1000.0
        })
        .collect();
    times.sort_by(f64::total_cmp);
    times[times.len() / 2]
}
