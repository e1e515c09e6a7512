//! The sample's incidents: the events that make the rules no working day fires
//! (trail-tampering, root-activity, new-source-ip, off-hours, unknown-source) fire, each a
//! story a responder would recognise.
//!
//! Appended after the working day's records are shuffled, so those keep their event IDs and
//! their order in the file (later delivery files come later, as in a real trail).

use serde_json::{Value, json};

use super::{ACCOUNT, Builder, ENDPOINTS, PEOPLE, Person, T0_MS};

const MIN: i64 = 60_000;
const DAY: i64 = 24 * 60 * MIN;

/// The account's own trail (the records here come from the organization trail, which a
/// member account cannot stop: that is why the gap below loses no records).
const TRAIL: &str = "arn:aws:cloudtrail:us-east-1:111122223333:trail/account-audit";

fn root() -> Value {
    json!({"type":"Root","principalId":ACCOUNT,"arn":"arn:aws:iam::111122223333:root","accountId":ACCOUNT,
      "sessionContext":{"attributes":{"creationDate":"2026-10-02T09:12:05Z","mfaAuthenticated":"false"}}})
}

/// The root user, signed in to the console from the office network.
const ROOT: Person = Person {
    identity: root,
    source_ip: "203.0.113.77",
    user_agent: "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/129.0.0.0 Safari/537.36",
};

/// alice's access key from a hotel network, on a laptop rather than her CloudShell.
const ALICE_AWAY: Person = Person {
    identity: super::alice,
    source_ip: "198.18.42.7",
    user_agent: "aws-cli/2.22.4 md/awscrt#0.23.4 ua/2.1 os/macos#24.1.0 md/arch#arm64 lang/python#3.12.6 command/ec2-instance-connect.ssh",
};

/// Adds the incidents to `b`'s records.
pub(super) fn add(b: &mut Builder) {
    trail_stopped(b);
    root_tunnel(b);
    alice_away(b);
}

/// Thursday 11:39–12:03: minutes after her denied burst, contractor-mallory looks up the
/// trails and stops the account's (her policy allowed `cloudtrail:*` by mistake); bob checks
/// the trail's status and starts it again 22 minutes later.
fn trail_stopped(b: &mut Builder) {
    let mallory = &PEOPLE[3];
    let bob = &PEOPLE[1];
    let ct = "cloudtrail.amazonaws.com";
    let none = || json!({});
    let t = T0_MS + 219 * MIN;
    let request = json!({"trailNameList":[],"includeShadowTrails":true});
    b.push(t + 52_000, mallory, ct, "DescribeTrails", "us-east-1", request, Value::Null, none());
    let stop = t + 2 * MIN + 17_000;
    b.push(stop, mallory, ct, "StopLogging", "us-east-1", json!({"name":TRAIL}), Value::Null, none());
    let t = T0_MS + 242 * MIN;
    b.push(t + 10_000, bob, ct, "GetTrailStatus", "us-east-1", json!({"name":TRAIL}), Value::Null, none());
    b.push(t + MIN + 34_000, bob, ct, "StartLogging", "us-east-1", json!({"name":TRAIL}), Value::Null, none());
}

/// Friday 09:12: someone signs in as the account root user, without MFA, and opens an SSH
/// tunnel from the console to the first endpoint's first instance.
fn root_tunnel(b: &mut Builder) {
    let t = T0_MS + DAY + 72 * MIN + 5_000;
    let extra = json!({"eventType":"AwsConsoleSignIn","responseElements":{"ConsoleLogin":"Success"},
      "additionalEventData":{"LoginTo":"https://console.aws.amazon.com/console/home","MobileVersion":"No","MFAUsed":"No"}});
    b.push(t, &ROOT, "signin.amazonaws.com", "ConsoleLogin", "us-east-1", Value::Null, Value::Null, extra);
    tunnel(b, t + 2 * MIN + 25_000, &ROOT, 0, 0, "ec2-user");
}

/// Saturday 06:29–06:47, more than a day after her first tunnel: alice's key checks who it is
/// and opens three SSH tunnels from an address she never used, before working hours.
fn alice_away(b: &mut Builder) {
    let t = T0_MS + 2 * DAY - 91 * MIN;
    b.push(
        t + 40_000,
        &ALICE_AWAY,
        "sts.amazonaws.com",
        "GetCallerIdentity",
        "us-east-1",
        json!({}),
        Value::Null,
        json!({}),
    );
    tunnel(b, t + 2 * MIN + 12_000, &ALICE_AWAY, 0, 1, "ubuntu");
    tunnel(b, t + 9 * MIN + 50_000, &ALICE_AWAY, 0, 2, "ec2-user");
    tunnel(b, t + 18 * MIN + 3_000, &ALICE_AWAY, 2, 1, "ec2-user");
}

/// A key push to the target's instance and, four seconds later, the SSH tunnel to it (the
/// record shape of the working day's tunnels).
fn tunnel(b: &mut Builder, t: i64, person: &Person, endpoint: usize, target: usize, os_user: &str) {
    let ep = &ENDPOINTS[endpoint];
    let push = json!({"instanceId":ep.instances[target],"instanceOSUser":os_user,"sSHPublicKey":"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIEXAMPLEEXAMPLEEXAMPLEEXAMPLEEXAMPLEEXAMPLE"});
    let source = "ec2-instance-connect.amazonaws.com";
    let ok = json!({"requestId":"sample","success":true});
    b.push(t - 4_000, person, source, "SendSSHPublicKey", ep.region, push, ok, json!({}));
    let request = json!({"instanceConnectEndpointId":ep.id,"remotePort":"22","privateIpAddress":ep.targets[target],"maxTunnelDuration":"3600"});
    let arn = format!("arn:aws:ec2:{}:{ACCOUNT}:instance-connect-endpoint/{}", ep.region, ep.id);
    let resources = json!({"resources":[{"accountId":ACCOUNT,"type":"AWS::EC2::InstanceConnectEndpoint","ARN":arn}]});
    b.push(t, person, source, "OpenTunnel", ep.region, request, Value::Null, resources);
}
