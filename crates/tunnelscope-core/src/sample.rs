//! The built-in sample: a small synthetic trail written for this project (a few endpoints,
//! a few dozen tunnels including failed ones, key pushes, and unrelated events), and the
//! incidents of `incidents.rs` that make every findings rule fire.
//!
//! Deterministic: the same bytes every time, so tests can assert its counts.

use serde_json::{Value, json};

use crate::time::format_rfc3339;

mod incidents;

/// The sample's file name as shown in the load report.
pub const SAMPLE_FILE_NAME: &str = "sample/tunnelscope-sample.json";

const ACCOUNT: &str = "111122223333";
/// 2026-10-01T08:00:00Z.
const T0_MS: i64 = 1_790_841_600_000;

struct Person {
    identity: fn() -> Value,
    source_ip: &'static str,
    user_agent: &'static str,
}

fn alice() -> Value {
    json!({"type":"IAMUser","principalId":"AIDAEXAMPLEALICE0001","arn":"arn:aws:iam::111122223333:user/alice","accountId":ACCOUNT,"accessKeyId":"AKIAEXAMPLEALICE0001","userName":"alice"})
}
fn bob() -> Value {
    json!({"type":"AssumedRole","principalId":"AROAEXAMPLEADMIN0001:bob","arn":"arn:aws:sts::111122223333:assumed-role/Admin/bob","accountId":ACCOUNT,"accessKeyId":"ASIAEXAMPLEBOB000001",
      "sessionContext":{"sessionIssuer":{"type":"Role","principalId":"AROAEXAMPLEADMIN0001","arn":"arn:aws:iam::111122223333:role/Admin","accountId":ACCOUNT,"userName":"Admin"},"attributes":{"creationDate":"2026-10-01T07:55:00Z","mfaAuthenticated":"true"}}})
}
fn carol() -> Value {
    json!({"type":"AssumedRole","principalId":"AROAEXAMPLESSO000001:carol@example.com","arn":"arn:aws:sts::111122223333:assumed-role/AWSReservedSSO_Operators_0123456789abcdef/carol@example.com","accountId":ACCOUNT,"accessKeyId":"ASIAEXAMPLECAROL0001",
      "sessionContext":{"sessionIssuer":{"type":"Role","principalId":"AROAEXAMPLESSO000001","arn":"arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_Operators_0123456789abcdef","accountId":ACCOUNT,"userName":"AWSReservedSSO_Operators_0123456789abcdef"}}})
}
fn mallory() -> Value {
    json!({"type":"IAMUser","principalId":"AIDAEXAMPLEMALLORY01","arn":"arn:aws:iam::111122223333:user/contractor-mallory","accountId":ACCOUNT,"accessKeyId":"AKIAEXAMPLEMALLORY01","userName":"contractor-mallory"})
}

const PEOPLE: [Person; 4] = [
    Person {
        identity: alice,
        source_ip: "198.51.100.10",
        user_agent: "aws-cli/2.22.4 md/awscrt#0.23.4 ua/2.1 os/linux#6.8 md/arch#x86_64 lang/python#3.12.6 exec-env/CloudShell command/ec2-instance-connect.ssh",
    },
    Person {
        identity: bob,
        source_ip: "203.0.113.25",
        user_agent: "aws-cli/2.22.4 md/awscrt#0.23.4 ua/2.1 os/macos#24.1.0 md/arch#arm64 lang/python#3.12.6 command/ec2-instance-connect.open-tunnel",
    },
    Person {
        identity: carol,
        source_ip: "2001:db8:44::17",
        user_agent: "aws-cli/2.22.4 md/awscrt#0.23.4 ua/2.1 os/windows#10 md/arch#amd64 lang/python#3.12.6 command/ec2-instance-connect.open-tunnel",
    },
    Person {
        identity: mallory,
        source_ip: "192.0.2.66",
        user_agent: "Boto3/1.35.20 md/Botocore#1.35.20 ua/2.0 os/linux#6.1 md/arch#x86_64 lang/python#3.11.2",
    },
];

struct Endpoint {
    id: &'static str,
    region: &'static str,
    vpc: &'static str,
    subnet: &'static str,
    sg: &'static str,
    targets: [&'static str; 3],
    instances: [&'static str; 3],
}

const ENDPOINTS: [Endpoint; 3] = [
    Endpoint {
        id: "eice-0a1b2c3d4e5f60718",
        region: "us-east-1",
        vpc: "vpc-0aa11bb22cc33dd44",
        subnet: "subnet-0123456789abcdef0",
        sg: "sg-0fedcba9876543210",
        targets: ["10.0.1.15", "10.0.1.27", "10.0.2.40"],
        instances: ["i-0a11b22c33d44e55f", "i-0b22c33d44e55f661", "i-0c33d44e55f667788"],
    },
    Endpoint {
        id: "eice-0f9e8d7c6b5a49382",
        region: "us-east-1",
        vpc: "vpc-0ee55ff66aa77bb88",
        subnet: "subnet-0abcdef0123456789",
        sg: "sg-0123abcd4567ef890",
        targets: ["10.20.3.8", "10.20.3.9", "10.20.4.100"],
        instances: ["i-0d44e55f66778899a", "i-0e55f66778899aabb", "i-0f66778899aabbccd"],
    },
    Endpoint {
        id: "eice-04c5d6e7f8091a2b3",
        region: "eu-west-1",
        vpc: "vpc-0cc99dd00ee11ff22",
        subnet: "subnet-0fedcba9876543210",
        sg: "sg-0a0b0c0d0e0f01020",
        targets: ["fd00:ec2:10::15", "172.31.9.4", "172.31.9.5"],
        instances: ["i-0a0a0a0a0a0a0a0a1", "i-0b0b0b0b0b0b0b0b2", "i-0c0c0c0c0c0c0c0c3"],
    },
];

/// A tiny deterministic generator (xorshift64*), so the sample needs no dependency.
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

struct Builder {
    records: Vec<Value>,
    rng: Rng,
}

impl Builder {
    fn id(&mut self) -> String {
        let (a, b) = (self.rng.next(), self.rng.next());
        format!(
            "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
            (a >> 32) as u32,
            (a >> 16) as u16,
            (a & 0xfff) as u16,
            0x8000 | ((b >> 48) as u16 & 0x3fff),
            b & 0xffff_ffff_ffff
        )
    }

    #[allow(clippy::too_many_arguments)]
    fn push(
        &mut self,
        t_ms: i64,
        person: &Person,
        source: &str,
        name: &str,
        region: &str,
        request: Value,
        response: Value,
        extra: Value,
    ) {
        let mut rec = json!({
            "eventVersion": "1.11",
            "userIdentity": (person.identity)(),
            "eventTime": format_rfc3339(t_ms - t_ms % 1000),
            "eventSource": source,
            "eventName": name,
            "awsRegion": region,
            "sourceIPAddress": person.source_ip,
            "userAgent": person.user_agent,
            "requestParameters": request,
            "responseElements": response,
            "requestID": self.id(),
            "eventID": self.id(),
            "readOnly": name.starts_with("Describe") || name.starts_with("Get") || name.starts_with("List"),
            "eventType": "AwsApiCall",
            "managementEvent": true,
            "recipientAccountId": ACCOUNT,
            "eventCategory": "Management",
        });
        if let (Value::Object(map), Value::Object(more)) = (&mut rec, extra) {
            map.extend(more);
        }
        self.records.push(rec);
    }
}

/// The sample trail as `{"Records":[…]}` JSON bytes.
pub fn sample_trail_json() -> Vec<u8> {
    let mut b = Builder { records: Vec::new(), rng: Rng(0x5eed_7a11_cafe_f00d) };
    let min = 60_000;
    // Endpoint lifecycles: the first two are created in the data; the third predates it.
    for (k, ep) in ENDPOINTS.iter().take(2).enumerate() {
        let t = T0_MS + k as i64 * 7 * min;
        let request = json!({"CreateInstanceConnectEndpointRequest":{"SubnetId":ep.subnet,"SecurityGroupId":{"content":ep.sg,"tag":1},"PreserveClientIp":k == 0,"ClientToken":format!("token-{k}")}});
        let response = json!({"CreateInstanceConnectEndpointResponse":{"clientToken":format!("token-{k}"),"requestId":b.id(),
            "instanceConnectEndpoint":{"ownerId":ACCOUNT,"instanceConnectEndpointId":ep.id,"instanceConnectEndpointArn":format!("arn:aws:ec2:{}:{ACCOUNT}:instance-connect-endpoint/{}", ep.region, ep.id),
            "state":"create-in-progress","dnsName":format!("{}.1a2b3c4d.ec2-instance-connect-endpoint.{}.amazonaws.com", ep.id, ep.region),
            "networkInterfaceIdSet":"","vpcId":ep.vpc,"availabilityZone":format!("{}a", ep.region),"createdAt":format_rfc3339(t),"subnetId":ep.subnet,
            "preserveClientIp":k == 0,"securityGroupIdSet":{"item":{"content":ep.sg,"tag":1}},"tagSet":"","ipAddressType":"ipv4"},"xmlns":"http://ec2.amazonaws.com/doc/2016-11-15/"}});
        b.push(
            t,
            &PEOPLE[1],
            "ec2.amazonaws.com",
            "CreateInstanceConnectEndpoint",
            ep.region,
            request,
            response,
            json!({}),
        );
    }
    // Inventory that resolves some private IPs (RunInstances responses).
    for (k, ep) in ENDPOINTS.iter().enumerate() {
        let t = T0_MS + (15 + k as i64) * min;
        let response = json!({"instancesSet":{"items":[{"instanceId":ep.instances[2],"privateIpAddress":ep.targets[2],"subnetId":ep.subnet,"vpcId":ep.vpc}]}});
        b.push(
            t,
            &PEOPLE[1],
            "ec2.amazonaws.com",
            "RunInstances",
            ep.region,
            json!({"instanceType":"t3.micro","minCount":1,"maxCount":1}),
            response,
            json!({}),
        );
    }
    // Tunnels over a working day.
    let mut t = T0_MS + 30 * min;
    for n in 0..36u64 {
        let person = &PEOPLE[(n % 3) as usize];
        let ep = &ENDPOINTS[(n % 5 % 3) as usize];
        let target_idx = b.rng.below(3) as usize;
        let rdp = n % 6 == 5;
        let port = if rdp { 3389 } else { 22 };
        t += (5 + b.rng.below(20) as i64) * min + b.rng.below(50_000) as i64;
        // Most SSH tunnels are preceded by an ephemeral key push (aws ec2-instance-connect ssh).
        if !rdp && n % 4 != 3 {
            let push = json!({"instanceId":ep.instances[target_idx],"instanceOSUser":if n % 2 == 0 {"ec2-user"} else {"ubuntu"},"sSHPublicKey":"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIEXAMPLEEXAMPLEEXAMPLEEXAMPLEEXAMPLEEXAMPLE"});
            b.push(
                t - 4_000,
                person,
                "ec2-instance-connect.amazonaws.com",
                "SendSSHPublicKey",
                ep.region,
                push,
                json!({"requestId":"sample","success":true}),
                json!({}),
            );
        }
        let mut request = json!({"instanceConnectEndpointId":ep.id,"remotePort":port.to_string(),"privateIpAddress":ep.targets[target_idx]});
        if n % 3 != 1 {
            request["maxTunnelDuration"] = json!(if n % 5 == 0 { "1800" } else { "3600" });
        }
        let resources = json!({"resources":[{"accountId":ACCOUNT,"type":"AWS::EC2::InstanceConnectEndpoint","ARN":format!("arn:aws:ec2:{}:{ACCOUNT}:instance-connect-endpoint/{}", ep.region, ep.id)}]});
        b.push(
            t,
            person,
            "ec2-instance-connect.amazonaws.com",
            "OpenTunnel",
            ep.region,
            request,
            Value::Null,
            resources,
        );
        if n % 9 == 4 {
            b.push(
                t + 20_000,
                person,
                "ec2.amazonaws.com",
                "DescribeInstanceConnectEndpoints",
                ep.region,
                json!({"DescribeInstanceConnectEndpointsRequest":{"InstanceConnectEndpointId":{"item":ep.id}}}),
                Value::Null,
                json!({}),
            );
        }
    }
    // Failed attempts: a contractor probing ports and an endpoint without permission.
    for (k, port) in [22u32, 3389, 8080, 5432, 22].into_iter().enumerate() {
        let ep = &ENDPOINTS[k % 2];
        let tt = T0_MS + (200 + k as i64 * 3) * min;
        let request = json!({"instanceConnectEndpointId":ep.id,"remotePort":port,"privateIpAddress":ep.targets[k % 3],"maxTunnelDuration":3600});
        let extra = json!({"errorCode":"AccessDenied","errorMessage":format!("User: arn:aws:iam::{ACCOUNT}:user/contractor-mallory is not authorized to perform: ec2-instance-connect:OpenTunnel on resource: arn:aws:ec2:{}:{ACCOUNT}:instance-connect-endpoint/{} because no identity-based policy allows the ec2-instance-connect:OpenTunnel action", ep.region, ep.id)});
        b.push(
            tt,
            &PEOPLE[3],
            "ec2-instance-connect.amazonaws.com",
            "OpenTunnel",
            ep.region,
            request,
            Value::Null,
            extra,
        );
    }
    // Endpoint changes late in the day: a Modify, then a Delete of the second endpoint.
    let ep = &ENDPOINTS[1];
    let tm = T0_MS + 600 * min;
    b.push(
        tm,
        &PEOPLE[1],
        "ec2.amazonaws.com",
        "ModifyInstanceConnectEndpoint",
        ep.region,
        json!({"ModifyInstanceConnectEndpointRequest":{"InstanceConnectEndpointId":ep.id,"PreserveClientIp":true}}),
        json!({"ModifyInstanceConnectEndpointResponse":{"requestId":"sample","return":true}}),
        json!({}),
    );
    b.push(tm + 30 * min, &PEOPLE[1], "ec2.amazonaws.com", "DeleteInstanceConnectEndpoint", ep.region,
        json!({"DeleteInstanceConnectEndpointRequest":{"InstanceConnectEndpointId":ep.id}}),
        json!({"DeleteInstanceConnectEndpointResponse":{"instanceConnectEndpoint":{"instanceConnectEndpointId":ep.id,"state":"delete-in-progress","vpcId":ep.vpc,"subnetId":ep.subnet}}}), json!({}));
    // Unrelated activity, as any trail has.
    let others = [
        ("signin.amazonaws.com", "ConsoleLogin"),
        ("s3.amazonaws.com", "ListBuckets"),
        ("ec2.amazonaws.com", "DescribeInstances"),
        ("sts.amazonaws.com", "GetCallerIdentity"),
        ("iam.amazonaws.com", "ListRoles"),
        ("kms.amazonaws.com", "Decrypt"),
        ("ec2.amazonaws.com", "DescribeSecurityGroups"),
        ("cloudtrail.amazonaws.com", "LookupEvents"),
    ];
    for n in 0..40i64 {
        let (source, name) = others[(n as usize) % others.len()];
        let person = &PEOPLE[(n % 4) as usize];
        let region = if n % 5 == 0 { "eu-west-1" } else { "us-east-1" };
        b.push(T0_MS + n * 17 * min + 11_000, person, source, name, region, json!({}), Value::Null, json!({}));
    }
    // Records are unordered in real trails; keep a stable shuffled order.
    let len = b.records.len();
    for i in (1..len).rev() {
        let j = b.rng.below(i as u64 + 1) as usize;
        b.records.swap(i, j);
    }
    incidents::add(&mut b);
    serde_json::to_vec(&json!({"Records": b.records})).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Dataset;

    #[test]
    fn sample_is_populated_and_stable() {
        let bytes = sample_trail_json();
        assert_eq!(bytes, sample_trail_json());
        let mut ds = Dataset::new();
        ds.add_file(SAMPLE_FILE_NAME, &bytes);
        let s = ds.stats();
        assert_eq!(s.files.read, 1);
        assert_eq!(s.records.invalid, 0);
        assert_eq!(s.records.duplicates, 0);
        assert_eq!(s.tunnels.total, 45);
        assert_eq!(s.tunnels.failed, 5);
        assert_eq!(s.endpoints.len(), 3);
        assert_eq!(s.endpoint_changes.create, 2);
        assert_eq!(s.endpoint_changes.modify, 1);
        assert_eq!(s.endpoint_changes.delete, 1);
        assert!(s.endpoint_changes.describe >= 3);
        let rows = ds.tunnel_rows();
        assert!(rows.iter().any(|r| r.pairing == crate::Pairing::KeyPush && !r.os_user.is_empty()));
        assert!(rows.iter().any(|r| r.private_ip.contains(':')));
        assert!(rows.iter().any(|r| r.max_duration_assumed));
        assert!(rows.windows(2).all(|w| w[0].time <= w[1].time));
    }
}
