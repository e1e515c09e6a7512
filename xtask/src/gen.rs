//! Synthetic CloudTrail exports for `cargo xtask bench`, deterministic from a seed.
//!
//! # What a record looks like
//! Every record is a full CloudTrail management event as S3 trail files hold them, about 1–1.5 KB of
//! JSON on average:
//! - `userIdentity` is nested and varied: `IAMUser` (access key, user name), `AssumedRole` with a full
//!   `sessionContext` (`sessionIssuer`, `attributes`, sometimes `sourceIdentity`; Identity Center
//!   `AWSReservedSSO_…` roles with e-mail session names) and `AWSService` (`invokedBy`). Names include
//!   Unicode (`zoë`, `José.García`, `李雷`, `Ωmega-ops`) and an apostrophe.
//! - Strings need escaping: IAM policy documents embedded as JSON strings (`"{\"Version\":…}"`), S3 keys
//!   with quotes, backslashes, tabs and newlines, `\u00e9`-style escapes, emoji, error messages quoting ARNs.
//! - 46 event names across EC2, S3, IAM, STS, KMS, Lambda, CloudWatch Logs, sign-in, SSM, DynamoDB,
//!   Secrets Manager and CloudTrail, with `requestParameters` / `responseElements` shaped like the real
//!   ones (RunInstances responses carry private IPs, AssumeRole returns credentials, ConsoleLogin is an
//!   `AwsConsoleSignIn` with `additionalEventData`), `resources`, `tlsDetails`, ~3 % `AccessDenied` errors.
//! - About 0.5 % of the records are EICE events: `OpenTunnel` (`ec2-instance-connect.amazonaws.com`) with
//!   `remotePort` / `maxTunnelDuration` as strings or as numbers, ~20 % without `maxTunnelDuration`,
//!   ~15 % failed (`AccessDenied` with an `errorMessage`), a few IPv6 targets and odd ports;
//!   a `SendSSHPublicKey` 5–50 s before ~40 % of the tunnels (same principal, account, Region and
//!   source IP); and `CreateInstanceConnectEndpoint` (state `create-in-progress`),
//!   `DescribeInstanceConnectEndpoints` (naming an endpoint ID) and `DeleteInstanceConnectEndpoint`.
//!   Eight endpoint IDs (`eice-…`) are shared by all of them.
//! - `eventID`s (and `requestID`s) are UUID-shaped and unique across everything one generator writes: the
//!   last 12 hex digits are a stream number and a sequence number. Event times increase by 0–3 s.
//!
//! # Outputs (all in [`generate`])
//! - `big.json`: one `{"Records":[…]}` file of about `--mb` MB (10^6 bytes); `big.json.gz`: the same bytes gzipped.
//! - `tree/AWSLogs/<acct>/CloudTrail/<region>/YYYY/MM/DD/<acct>_CloudTrail_<region>_<YYYYMMDDTHHMMZ>_<rand>.json.gz`:
//!   `--files` small S3-style trail files, 1–60 records each (two accounts, four Regions, five-minute files).
//! - `events/events-NNN.json`: `--events` records in total, in `{"Records":[…]}` files of at most 100,000 records.
//!
//! The same seed and sizes always give byte-identical files (a splitmix64 generator; no clock, no
//! hash-map order). A `manifest.txt` beside them records the parameters and the counts, so a second
//! run with the same parameters reuses the data.

use std::fmt::Write as _;
use std::fs::{self, File};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use flate2::Compression;
use flate2::write::GzEncoder;

type Result<T = ()> = std::result::Result<T, String>;

/// Records per file of the `events/` set.
pub(crate) const EVENTS_PER_FILE: u64 = 100_000;

/// What to generate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Spec {
    pub(crate) seed: u64,
    pub(crate) mb: u64,
    pub(crate) files: u64,
    pub(crate) events: u64,
}

impl Spec {
    /// The folder name under `target/bench-data/` for these parameters.
    pub(crate) fn dir_name(&self) -> String {
        format!("mb{}-files{}-events{}-seed{}", self.mb, self.files, self.events, self.seed)
    }
}

/// Counts of one generated set of files.
#[derive(Clone, Debug, Default)]
pub(crate) struct Set {
    pub(crate) paths: Vec<PathBuf>,
    pub(crate) records: u64,
    pub(crate) eice: u64,
    /// Uncompressed JSON bytes.
    pub(crate) json_bytes: u64,
    /// Bytes on disk (compressed for `.gz`).
    pub(crate) disk_bytes: u64,
}

/// Everything [`generate`] wrote.
#[derive(Clone, Debug, Default)]
pub(crate) struct Data {
    pub(crate) big_json: Set,
    pub(crate) big_gz: Set,
    pub(crate) tree: Set,
    pub(crate) events: Set,
}

/// Generates the data into `dir` unless `dir/manifest.txt` says it is already there with the same spec.
pub(crate) fn generate(dir: &Path, spec: Spec) -> Result<Data> {
    let manifest = dir.join("manifest.txt");
    let params = format!("{spec:?}");
    if let Ok(text) = fs::read_to_string(&manifest) {
        if text.lines().next() == Some(params.as_str()) {
            if let Some(data) = read_manifest(dir, &text) {
                eprintln!("bench data: reusing {}", dir.display());
                return Ok(data);
            }
        }
    }
    if dir.exists() {
        fs::remove_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let mut data = Data::default();

    eprintln!("bench data: {} MB {{\"Records\":[…]}} file", spec.mb);
    let big = dir.join("big.json");
    let mut g = Gen::new(spec.seed, 1);
    let (records, eice, bytes) = write_trail(&big, &mut g, Limit::Bytes(spec.mb * 1_000_000), None)?;
    data.big_json = Set { paths: vec![big.clone()], records, eice, json_bytes: bytes, disk_bytes: bytes };

    eprintln!("bench data: the same file gzipped");
    let gz = dir.join("big.json.gz");
    gzip_file(&big, &gz)?;
    data.big_gz = Set { paths: vec![gz.clone()], disk_bytes: file_len(&gz), ..data.big_json.clone() };

    eprintln!("bench data: {} small .json.gz files in S3 layout", spec.files);
    data.tree = write_tree(&dir.join("tree"), spec)?;

    eprintln!("bench data: {} events", spec.events);
    let events_dir = dir.join("events");
    fs::create_dir_all(&events_dir).map_err(|e| format!("{}: {e}", events_dir.display()))?;
    let mut g = Gen::new(spec.seed, 3);
    let mut left = spec.events;
    let mut n = 0;
    while left > 0 {
        let count = left.min(EVENTS_PER_FILE);
        let path = events_dir.join(format!("events-{n:03}.json"));
        let (records, eice, bytes) = write_trail(&path, &mut g, Limit::Records(count), None)?;
        data.events.paths.push(path);
        data.events.records += records;
        data.events.eice += eice;
        data.events.json_bytes += bytes;
        data.events.disk_bytes += bytes;
        left -= count;
        n += 1;
    }

    fs::write(&manifest, write_manifest(&params, dir, &data)).map_err(|e| format!("{}: {e}", manifest.display()))?;
    Ok(data)
}

fn file_len(p: &Path) -> u64 {
    fs::metadata(p).map(|m| m.len()).unwrap_or(0)
}

fn write_manifest(params: &str, dir: &Path, data: &Data) -> String {
    let mut s = format!("{params}\n");
    for (name, set) in
        [("big_json", &data.big_json), ("big_gz", &data.big_gz), ("tree", &data.tree), ("events", &data.events)]
    {
        let _ = writeln!(s, "set {name} {} {} {} {}", set.records, set.eice, set.json_bytes, set.disk_bytes);
        for p in &set.paths {
            let rel = p.strip_prefix(dir).unwrap_or(p);
            let _ = writeln!(s, "path {name} {}", rel.display());
        }
    }
    s
}

fn read_manifest(dir: &Path, text: &str) -> Option<Data> {
    let mut data = Data::default();
    for line in text.lines().skip(1) {
        let mut parts = line.splitn(3, ' ');
        let (kind, name, rest) = (parts.next()?, parts.next()?, parts.next()?);
        let set = match name {
            "big_json" => &mut data.big_json,
            "big_gz" => &mut data.big_gz,
            "tree" => &mut data.tree,
            "events" => &mut data.events,
            _ => return None,
        };
        match kind {
            "set" => {
                let n: Vec<u64> = rest.split(' ').map(|x| x.parse().ok()).collect::<Option<_>>()?;
                let [records, eice, json_bytes, disk_bytes] = n[..] else { return None };
                *set = Set { paths: std::mem::take(&mut set.paths), records, eice, json_bytes, disk_bytes };
            }
            "path" => {
                let p = dir.join(rest);
                if !p.is_file() {
                    return None;
                }
                set.paths.push(p);
            }
            _ => return None,
        }
    }
    Some(data)
}

fn gzip_file(from: &Path, to: &Path) -> Result {
    let mut input = File::open(from).map_err(|e| format!("{}: {e}", from.display()))?;
    let out = File::create(to).map_err(|e| format!("{}: {e}", to.display()))?;
    let mut enc = GzEncoder::new(BufWriter::with_capacity(1 << 20, out), Compression::default());
    std::io::copy(&mut input, &mut enc).map_err(|e| format!("{}: {e}", to.display()))?;
    enc.finish().and_then(|mut w| w.flush()).map_err(|e| format!("{}: {e}", to.display()))
}

enum Limit {
    Bytes(u64),
    Records(u64),
}

/// Writes one `{"Records":[…]}` file; returns (records, EICE records, bytes).
fn write_trail(path: &Path, g: &mut Gen, limit: Limit, gz: Option<Compression>) -> Result<(u64, u64, u64)> {
    let file = File::create(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let buf = BufWriter::with_capacity(1 << 20, file);
    let mut out: Box<dyn Write> = match gz {
        Some(level) => Box::new(GzEncoder::new(buf, level)),
        None => Box::new(buf),
    };
    let err = |e: std::io::Error| format!("{}: {e}", path.display());
    let mut bytes = 0u64;
    let mut records = 0u64;
    let mut eice = 0u64;
    let mut rec = String::with_capacity(8192);
    out.write_all(b"{\"Records\":[").map_err(err)?;
    bytes += 12;
    loop {
        let done = match limit {
            Limit::Bytes(b) => bytes + 2 >= b,
            Limit::Records(n) => records >= n,
        };
        if done {
            break;
        }
        rec.clear();
        if records > 0 {
            rec.push(',');
        }
        eice += u64::from(g.record(&mut rec));
        records += 1;
        out.write_all(rec.as_bytes()).map_err(err)?;
        bytes += rec.len() as u64;
    }
    out.write_all(b"]}").map_err(err)?;
    bytes += 2;
    out.flush().map_err(err)?;
    drop(out);
    Ok((records, eice, bytes))
}

const ACCOUNTS: [&str; 2] = ["111122223333", "444455556666"];
const REGIONS: [&str; 4] = ["us-east-1", "eu-west-1", "eu-central-1", "ap-northeast-1"];

fn write_tree(root: &Path, spec: Spec) -> Result<Set> {
    let mut set = Set::default();
    let mut g = Gen::new(spec.seed, 2);
    // Files are five-minute slices; each (account, Region) pair advances its own clock.
    for i in 0..spec.files {
        let account = ACCOUNTS[(i % 2) as usize];
        let region = REGIONS[((i / 2) % 4) as usize];
        let slot = i / 8;
        let start = BASE_TIME + (slot as i64) * 300;
        g.time = start;
        g.fixed = Some((account, region));
        let (y, mo, d, h, mi, _) = civil(start);
        let stamp = format!("{y:04}{mo:02}{d:02}T{h:02}{mi:02}Z");
        let rand: String = (0..16).map(|_| ALNUM[g.below(ALNUM.len() as u64) as usize] as char).collect();
        let dir = root.join(format!("AWSLogs/{account}/CloudTrail/{region}/{y:04}/{mo:02}/{d:02}"));
        fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        let path = dir.join(format!("{account}_CloudTrail_{region}_{stamp}_{rand}.json.gz"));
        let n = 1 + g.below(60);
        let (records, eice, bytes) = write_trail(&path, &mut g, Limit::Records(n), Some(Compression::default()))?;
        set.records += records;
        set.eice += eice;
        set.json_bytes += bytes;
        set.disk_bytes += file_len(&path);
        set.paths.push(path);
    }
    Ok(set)
}

const ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
const HEX: &[u8] = b"0123456789abcdef";
const KEY_CHARS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
/// 2026-10-01T00:00:00Z
const BASE_TIME: i64 = 1_790_812_800;

/// Days since 1970-01-01 to (year, month, day) (Howard Hinnant's algorithm), then the time of day.
fn civil(t: i64) -> (i64, u32, u32, u32, u32, u32) {
    let days = t.div_euclid(86_400);
    let secs = t.rem_euclid(86_400) as u32;
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d, secs / 3600, secs / 60 % 60, secs % 60)
}

fn push_time(out: &mut String, t: i64) {
    let (y, mo, d, h, mi, s) = civil(t);
    let _ = write!(out, "\"{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}Z\"");
}

/// A JSON string literal: quotes, backslashes and control characters escaped; other Unicode as is.
fn push_json_str(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// `"key":"value",` with the value escaped.
fn kv(out: &mut String, key: &str, value: &str) {
    out.push('"');
    out.push_str(key);
    out.push_str("\":");
    push_json_str(out, value);
    out.push(',');
}

#[derive(Clone)]
struct Principal {
    /// The rendered `userIdentity` object.
    identity: String,
    arn: String,
    /// For AWSService: the service host, used as source IP and user agent.
    service: Option<&'static str>,
}

const USERS: [&str; 8] = ["alice", "bob", "zoë", "José.García", "李雷", "Ωmega-ops", "o'brien", "deploy-bot"];
const ROLES: [&str; 6] = [
    "Admin",
    "ReadOnly",
    "ci-deployer",
    "AWSReservedSSO_AdministratorAccess_0123456789abcdef",
    "AWSReservedSSO_PowerUserAccess_fedcba9876543210",
    "lambda-exec-role",
];
const SESSIONS: [&str; 6] = [
    "alice@example.com",
    "i-0abc123def4567890",
    "GitHubActions",
    "botocore-session-1790812800",
    "zoë@example.org",
    "1790812800123",
];
const SERVICES: [&str; 5] = [
    "cloudtrail.amazonaws.com",
    "config.amazonaws.com",
    "autoscaling.amazonaws.com",
    "elasticloadbalancing.amazonaws.com",
    "ssm.amazonaws.com",
];
const AGENTS: [&str; 8] = [
    "aws-cli/2.22.4 md/awscrt#0.23.4 ua/2.1 os/linux#6.8.0-1019-aws md/arch#x86_64 lang/python#3.12.6 md/pyimpl#CPython exec-env/CloudShell cfg/retry-mode#standard md/installer#exe md/prompt#off md/command#ec2-instance-connect.open-tunnel",
    "aws-cli/2.17.20 md/awscrt#0.20.11 ua/2.0 os/macos#23.5.0 md/arch#arm64 lang/python#3.11.9 md/pyimpl#CPython cfg/retry-mode#standard md/installer#source md/prompt#off md/command#ec2.describe-instances",
    "[Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36]",
    "Boto3/1.35.54 md/Botocore#1.35.54 ua/2.0 os/linux#5.10.227-219.884.amzn2.x86_64 md/arch#x86_64 lang/python#3.12.7 md/pyimpl#CPython exec-env/AWS_Lambda_python3.12 cfg/retry-mode#legacy Botocore/1.35.54",
    "APN/1.0 HashiCorp/1.0 Terraform/1.9.8 (+https://www.terraform.io) terraform-provider-aws/5.75.0 (+https://registry.terraform.io/providers/hashicorp/aws) aws-sdk-go-v2/1.32.3 ua/2.1 os/linux lang/go#1.23.2 md/GOOS#linux md/GOARCH#amd64 api/ec2#1.187.0",
    "aws-sdk-java/2.29.6 Linux/6.1.112-124.190.amzn2023.x86_64 OpenJDK_64-Bit_Server_VM/21.0.5+11-LTS Java/21.0.5 vendor/Amazon.com_Inc. io/sync http/Apache cfg/retry-mode/adaptive",
    "console.amazonaws.com",
    "AWS Internal",
];
const ENDPOINTS: [&str; 8] = [
    "eice-0123456789abcdef0",
    "eice-0fedcba9876543210",
    "eice-00a1b2c3d4e5f6789",
    "eice-0aa11bb22cc33dd44",
    "eice-09f8e7d6c5b4a3210",
    "eice-0abcabcabcabcabc1",
    "eice-0d00df00dd00df00d",
    "eice-01234abcd5678ef90",
];
const BUCKETS: [&str; 5] =
    ["prod-logs-111122223333", "cdn-assets", "data-lake-raw", "terraform-state-\u{00e9}t\u{00e9}", "backups"];

/// (event name, event source, parameter shape, read-only)
const EVENTS: [(&str, &str, u8, bool); 46] = [
    ("DescribeInstances", "ec2.amazonaws.com", 3, true),
    ("DescribeInstanceStatus", "ec2.amazonaws.com", 3, true),
    ("DescribeSecurityGroups", "ec2.amazonaws.com", 0, true),
    ("DescribeVolumes", "ec2.amazonaws.com", 0, true),
    ("DescribeSubnets", "ec2.amazonaws.com", 0, true),
    ("DescribeVpcs", "ec2.amazonaws.com", 0, true),
    ("RunInstances", "ec2.amazonaws.com", 8, false),
    ("StartInstances", "ec2.amazonaws.com", 3, false),
    ("StopInstances", "ec2.amazonaws.com", 3, false),
    ("TerminateInstances", "ec2.amazonaws.com", 3, false),
    ("CreateTags", "ec2.amazonaws.com", 9, false),
    ("AuthorizeSecurityGroupIngress", "ec2.amazonaws.com", 11, false),
    ("CreateNetworkInterface", "ec2.amazonaws.com", 12, false),
    ("GetBucketAcl", "s3.amazonaws.com", 1, true),
    ("GetBucketPolicy", "s3.amazonaws.com", 1, true),
    ("GetBucketLocation", "s3.amazonaws.com", 1, true),
    ("ListBuckets", "s3.amazonaws.com", 0, true),
    ("PutBucketPolicy", "s3.amazonaws.com", 2, false),
    ("GetBucketEncryption", "s3.amazonaws.com", 1, true),
    ("GetUser", "iam.amazonaws.com", 0, true),
    ("ListRoles", "iam.amazonaws.com", 0, true),
    ("CreateRole", "iam.amazonaws.com", 2, false),
    ("PutRolePolicy", "iam.amazonaws.com", 2, false),
    ("AttachRolePolicy", "iam.amazonaws.com", 10, false),
    ("ListAttachedRolePolicies", "iam.amazonaws.com", 10, true),
    ("CreateAccessKey", "iam.amazonaws.com", 10, false),
    ("AssumeRole", "sts.amazonaws.com", 5, true),
    ("GetCallerIdentity", "sts.amazonaws.com", 0, true),
    ("AssumeRoleWithWebIdentity", "sts.amazonaws.com", 5, true),
    ("Decrypt", "kms.amazonaws.com", 4, true),
    ("GenerateDataKey", "kms.amazonaws.com", 4, true),
    ("Encrypt", "kms.amazonaws.com", 4, true),
    ("DescribeKey", "kms.amazonaws.com", 4, true),
    ("ListFunctions20150331", "lambda.amazonaws.com", 0, true),
    ("GetFunction20150331v2", "lambda.amazonaws.com", 10, true),
    ("UpdateFunctionCode20150331v2", "lambda.amazonaws.com", 10, false),
    ("CreateLogStream", "logs.amazonaws.com", 7, false),
    ("DescribeLogGroups", "logs.amazonaws.com", 0, true),
    ("PutRetentionPolicy", "logs.amazonaws.com", 7, false),
    ("ConsoleLogin", "signin.amazonaws.com", 6, false),
    ("GetParameter", "ssm.amazonaws.com", 10, true),
    ("StartSession", "ssm.amazonaws.com", 3, false),
    ("DescribeTable", "dynamodb.amazonaws.com", 10, true),
    ("ListTables", "dynamodb.amazonaws.com", 0, true),
    ("GetSecretValue", "secretsmanager.amazonaws.com", 10, true),
    ("LookupEvents", "cloudtrail.amazonaws.com", 0, true),
];

/// One record stream: a seeded generator plus a clock and a sequence number for unique IDs.
struct Gen {
    state: u64,
    stream: u64,
    seq: u64,
    time: i64,
    principals: Vec<Principal>,
    /// Account and Region of every record (S3 trail files), or random when `None`.
    fixed: Option<(&'static str, &'static str)>,
}

impl Gen {
    fn new(seed: u64, stream: u64) -> Gen {
        let mut g = Gen {
            state: seed ^ stream.wrapping_mul(0x9E37_79B9_7F4A_7C15),
            stream,
            seq: 0,
            time: BASE_TIME,
            principals: Vec::new(),
            fixed: None,
        };
        g.principals = g.make_principals();
        g
    }

    /// splitmix64
    fn next(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }

    /// True with probability `per_mille` / 1000.
    fn chance(&mut self, per_mille: u64) -> bool {
        self.below(1000) < per_mille
    }

    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len() as u64) as usize]
    }

    fn hex(&mut self, n: usize) -> String {
        (0..n).map(|_| HEX[self.below(16) as usize] as char).collect()
    }

    /// Upper-case letters and digits 2–7, as in AWS key and principal IDs.
    fn alnum_upper(&mut self, n: usize) -> String {
        (0..n).map(|_| KEY_CHARS[self.below(KEY_CHARS.len() as u64) as usize] as char).collect()
    }

    /// A UUID-shaped ID, unique per (stream, sequence).
    fn uuid(&mut self) -> String {
        self.seq += 1;
        let r = self.next();
        format!(
            "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
            r >> 32,
            (r >> 16) & 0xffff,
            r & 0xfff,
            0x8000 | ((r >> 12) & 0x3fff),
            (self.stream << 40) | (self.seq & 0xff_ffff_ffff)
        )
    }

    fn make_principals(&mut self) -> Vec<Principal> {
        let mut v = Vec::new();
        for account in ACCOUNTS {
            for user in USERS {
                let key = format!("AKIA{}", self.alnum_upper(16));
                let id = format!("AIDA{}", self.alnum_upper(17));
                let arn = format!("arn:aws:iam::{account}:user/{user}");
                let mut s = String::from("{\"type\":\"IAMUser\",");
                kv(&mut s, "principalId", &id);
                kv(&mut s, "arn", &arn);
                kv(&mut s, "accountId", account);
                kv(&mut s, "accessKeyId", &key);
                kv(&mut s, "userName", user);
                s.pop();
                s.push('}');
                v.push(Principal { identity: s, arn, service: None });
            }
            for (i, role) in ROLES.iter().enumerate() {
                let session = SESSIONS[i % SESSIONS.len()];
                let role_id = format!("AROA{}", self.alnum_upper(17));
                let key = format!("ASIA{}", self.alnum_upper(16));
                let path = if role.starts_with("AWSReservedSSO") { "aws-reserved/sso.amazonaws.com/" } else { "" };
                let arn = format!("arn:aws:sts::{account}:assumed-role/{role}/{session}");
                let mut s = String::from("{\"type\":\"AssumedRole\",");
                kv(&mut s, "principalId", &format!("{role_id}:{session}"));
                kv(&mut s, "arn", &arn);
                kv(&mut s, "accountId", account);
                kv(&mut s, "accessKeyId", &key);
                s.push_str("\"sessionContext\":{\"sessionIssuer\":{\"type\":\"Role\",");
                kv(&mut s, "principalId", &role_id);
                kv(&mut s, "arn", &format!("arn:aws:iam::{account}:role/{path}{role}"));
                kv(&mut s, "accountId", account);
                kv(&mut s, "userName", role);
                s.pop();
                s.push_str("},\"webIdFederationData\":{},\"attributes\":{\"creationDate\":");
                push_time(&mut s, BASE_TIME - 3600 + i as i64 * 61);
                s.push_str(",\"mfaAuthenticated\":\"");
                s.push_str(if i % 2 == 0 { "true" } else { "false" });
                s.push_str("\"}");
                if i == 2 {
                    s.push_str(",\"sourceIdentity\":\"ci@example.com\"");
                }
                s.push_str("}}");
                v.push(Principal { identity: s, arn, service: None });
            }
        }
        for svc in SERVICES {
            let identity = format!("{{\"type\":\"AWSService\",\"invokedBy\":\"{svc}\"}}");
            v.push(Principal { identity, arn: String::new(), service: Some(svc) });
        }
        v
    }

    fn ip(&mut self) -> String {
        match self.below(10) {
            0 => format!("2001:db8:{:x}::{:x}", self.below(0xffff), self.below(0xffff)),
            1..=4 => format!("198.51.100.{}", 1 + self.below(250)),
            5..=7 => format!("203.0.113.{}", 1 + self.below(250)),
            _ => format!("192.0.2.{}", 1 + self.below(250)),
        }
    }

    /// Appends one record (or, for a tunnel with a key push, two); returns how many were EICE events.
    fn record(&mut self, out: &mut String) -> u32 {
        self.time += self.below(4) as i64;
        let (account, region) = match self.fixed {
            Some(f) => f,
            None => (self.pick(&ACCOUNTS), self.pick(&REGIONS)),
        };
        if self.below(1000) < 5 {
            return self.eice(out, account, region);
        }
        let (name, source, shape, read_only) = self.pick(&EVENTS);
        let human = self.below(self.principals.len() as u64 - SERVICES.len() as u64) as usize;
        let p = if self.chance(60) {
            let i = self.principals.len() - 1 - self.below(SERVICES.len() as u64) as usize;
            self.principals[i].clone()
        } else {
            // Principals of the record's account.
            let per = (self.principals.len() - SERVICES.len()) / 2;
            let a = if account == ACCOUNTS[0] { 0 } else { per };
            self.principals[a + human % per].clone()
        };
        let (ip, agent) = match p.service {
            Some(svc) => (svc.to_owned(), svc.to_owned()),
            None => (self.ip(), self.pick(&AGENTS[..7]).to_owned()),
        };
        let failed = self.chance(30);
        let event_type = if name == "ConsoleLogin" { "AwsConsoleSignIn" } else { "AwsApiCall" };
        self.head(out, &p, name, source, region, &ip, &agent);
        if failed {
            out.push_str("\"errorCode\":\"AccessDenied\",");
            let msg = format!(
                "User: {} is not authorized to perform: {}:{name} on resource: \"arn:aws:{}:{region}:{account}:*\" because no identity-based policy allows the action — réessayez",
                p.arn,
                source.trim_end_matches(".amazonaws.com"),
                source.trim_end_matches(".amazonaws.com"),
            );
            kv(out, "errorMessage", &msg);
        }
        self.params(out, shape, name, account, region, failed);
        out.push_str("\"requestID\":\"");
        let rid = self.uuid();
        out.push_str(&rid);
        out.push_str("\",\"eventID\":\"");
        let eid = self.uuid();
        out.push_str(&eid);
        out.push_str("\",\"readOnly\":");
        out.push_str(if read_only { "true" } else { "false" });
        if shape == 4 {
            let _ = write!(
                out,
                ",\"resources\":[{{\"accountId\":\"{account}\",\"type\":\"AWS::KMS::Key\",\"ARN\":\"arn:aws:kms:{region}:{account}:key/{}-{}-4{}-8{}-{}\"}}]",
                self.hex(8),
                self.hex(4),
                self.hex(3),
                self.hex(3),
                self.hex(12)
            );
        }
        let _ = write!(
            out,
            ",\"eventType\":\"{event_type}\",\"managementEvent\":true,\"recipientAccountId\":\"{account}\",\"eventCategory\":\"Management\""
        );
        if p.service.is_none() && name != "ConsoleLogin" {
            let host = source.replace(".amazonaws.com", &format!(".{region}.amazonaws.com"));
            let _ = write!(
                out,
                ",\"tlsDetails\":{{\"tlsVersion\":\"TLSv1.3\",\"cipherSuite\":\"TLS_AES_128_GCM_SHA256\",\"clientProvidedHostHeader\":\"{host}\"}}"
            );
        }
        if agent.starts_with('[') {
            out.push_str(",\"sessionCredentialFromConsole\":\"true\"");
        }
        out.push('}');
        0
    }

    /// `{` through `userAgent`, with a trailing comma.
    #[allow(clippy::too_many_arguments)]
    fn head(&mut self, out: &mut String, p: &Principal, name: &str, source: &str, region: &str, ip: &str, agent: &str) {
        out.push_str("{\"eventVersion\":\"1.10\",\"userIdentity\":");
        out.push_str(&p.identity);
        out.push_str(",\"eventTime\":");
        push_time(out, self.time);
        out.push(',');
        kv(out, "eventSource", source);
        kv(out, "eventName", name);
        kv(out, "awsRegion", region);
        kv(out, "sourceIPAddress", ip);
        kv(out, "userAgent", agent);
    }

    /// `requestParameters` and `responseElements` (and `additionalEventData`), with a trailing comma.
    fn params(&mut self, out: &mut String, shape: u8, name: &str, account: &str, region: &str, failed: bool) {
        let instance = format!("i-0{}", self.hex(16));
        let mut response = String::from("null");
        out.push_str("\"requestParameters\":");
        match shape {
            1 => {
                let b = self.pick(&BUCKETS);
                let _ = write!(out, "{{\"bucketName\":\"{b}\",\"Host\":\"{b}.s3.{region}.amazonaws.com\",");
                out.push_str(match name {
                    "GetBucketAcl" => "\"acl\":\"\"}",
                    "GetBucketPolicy" => "\"policy\":\"\"}",
                    "GetBucketLocation" => "\"location\":\"\"}",
                    _ => "\"encryption\":\"\"}",
                });
            }
            2 => {
                let doc = format!(
                    "{{\"Version\":\"2012-10-17\",\"Statement\":[{{\"Sid\":\"AllowTunnels\",\"Effect\":\"Allow\",\"Action\":[\"ec2-instance-connect:OpenTunnel\",\"ec2-instance-connect:SendSSHPublicKey\"],\"Resource\":\"arn:aws:ec2:{region}:{account}:instance-connect-endpoint/*\",\"Condition\":{{\"NumericEquals\":{{\"ec2-instance-connect:remotePort\":\"22\"}},\"StringLike\":{{\"aws:PrincipalTag/team\":\"ops \\\\ \\\"sre\\\"\"}}}}}}]}}"
                );
                if name == "PutBucketPolicy" {
                    let b = self.pick(&BUCKETS);
                    let _ = write!(
                        out,
                        "{{\"bucketName\":\"{b}\",\"Host\":\"{b}.s3.{region}.amazonaws.com\",\"policy\":\"\",\"bucketPolicy\":{doc}}}"
                    );
                } else {
                    let role = self.pick(&ROLES);
                    out.push('{');
                    kv(out, "roleName", role);
                    kv(out, if name == "CreateRole" { "assumeRolePolicyDocument" } else { "policyDocument" }, &doc);
                    kv(out, "description", "Rôle créé par l'équipe \"plateforme\"\tC:\\deploy\\run.ps1\nsee ☃");
                    out.pop();
                    out.push('}');
                }
            }
            3 => {
                let _ = write!(
                    out,
                    "{{\"instancesSet\":{{\"items\":[{{\"instanceId\":\"{instance}\"}}]}},\"filterSet\":{{}},\"includeAllInstances\":false}}"
                );
                if name == "StartSession" {
                    response = format!(
                        "{{\"sessionId\":\"alice-0{}\",\"tokenValue\":\"Value hidden due to security reasons.\",\"streamUrl\":\"wss://ssmmessages.{region}.amazonaws.com/v1/data-channel/alice-0{}?role=publish_subscribe&cell-number=AAEAAb\\u0026x\"}}",
                        self.hex(16),
                        self.hex(16)
                    );
                }
            }
            4 => {
                let _ = write!(
                    out,
                    "{{\"encryptionAlgorithm\":\"SYMMETRIC_DEFAULT\",\"encryptionContext\":{{\"aws:lambda:FunctionArn\":\"arn:aws:lambda:{region}:{account}:function:ingest-{}\",\"PARTITION\":\"caf\\u00e9-\\u2603\"}}}}",
                    self.below(40)
                );
            }
            5 => {
                let role = self.pick(&ROLES);
                let session = self.pick(&SESSIONS);
                let _ = write!(
                    out,
                    "{{\"roleArn\":\"arn:aws:iam::{account}:role/{role}\",\"roleSessionName\":\"{session}\",\"durationSeconds\":{}}}",
                    900 * (1 + self.below(4))
                );
                if !failed {
                    response = format!(
                        "{{\"credentials\":{{\"accessKeyId\":\"ASIA{}\",\"sessionToken\":\"IQoJb3JpZ2luX2VjE{}\",\"expiration\":\"Oct 1, 2026, 9:00:00 PM\"}},\"assumedRoleUser\":{{\"assumedRoleId\":\"AROA{}:{session}\",\"arn\":\"arn:aws:sts::{account}:assumed-role/{role}/{session}\"}}}}",
                        self.alnum_upper(16),
                        self.hex(120),
                        self.alnum_upper(17)
                    );
                }
            }
            6 => {
                out.push_str("null");
                response = "{\"ConsoleLogin\":\"Success\"}".into();
            }
            7 => {
                let _ = write!(
                    out,
                    "{{\"logGroupName\":\"/aws/lambda/ingest-{}\",\"logStreamName\":\"2026/10/01/[$LATEST]{}\",\"retentionInDays\":30}}",
                    self.below(40),
                    self.hex(32)
                );
            }
            8 => {
                let ami = self.hex(17);
                let _ = write!(
                    out,
                    "{{\"instancesSet\":{{\"items\":[{{\"imageId\":\"ami-0{ami}\",\"minCount\":1,\"maxCount\":1}}]}},\"instanceType\":\"t3.micro\",\"blockDeviceMapping\":{{}},\"monitoring\":{{\"enabled\":false}},\"disableApiTermination\":false,\"clientToken\":\"{}\"}}",
                    self.uuid()
                );
                if !failed {
                    let ip = format!("10.0.{}.{}", self.below(256), 1 + self.below(250));
                    response = format!(
                        "{{\"requestId\":\"{}\",\"reservationId\":\"r-0{}\",\"ownerId\":\"{account}\",\"instancesSet\":{{\"items\":[{{\"instanceId\":\"{instance}\",\"imageId\":\"ami-0{ami}\",\"instanceState\":{{\"code\":0,\"name\":\"pending\"}},\"privateDnsName\":\"ip-{}.{region}.compute.internal\",\"privateIpAddress\":\"{ip}\",\"instanceType\":\"t3.micro\",\"launchTime\":1790812800000,\"subnetId\":\"subnet-0{}\",\"vpcId\":\"vpc-0{}\"}}]}}}}",
                        self.uuid(),
                        self.hex(16),
                        ip.replace('.', "-"),
                        self.hex(16),
                        self.hex(16)
                    );
                }
            }
            9 => {
                let _ = write!(
                    out,
                    "{{\"resourcesSet\":{{\"items\":[{{\"resourceId\":\"{instance}\"}}]}},\"tagSet\":{{\"items\":[{{\"key\":\"Name\",\"value\":\"web-{}\"}},{{\"key\":\"Owner\",\"value\":\"Zoë Ünsal 🚀\"}},{{\"key\":\"Notes\",\"value\":\"quote \\\" backslash \\\\ tab \\t end\"}}]}}}}",
                    self.below(100)
                );
                response = "{\"_return\":true}".into();
            }
            11 => {
                let _ = write!(
                    out,
                    "{{\"groupId\":\"sg-0{}\",\"ipPermissions\":{{\"items\":[{{\"ipProtocol\":\"tcp\",\"fromPort\":22,\"toPort\":22,\"groups\":{{}},\"ipRanges\":{{\"items\":[{{\"cidrIp\":\"10.0.0.0/16\",\"description\":\"EICE → instances\"}}]}}}}]}}}}",
                    self.hex(16)
                );
            }
            12 => {
                let _ = write!(out, "{{\"subnetId\":\"subnet-0{}\",\"description\":\"ELB app/web\"}}", self.hex(16));
                if !failed {
                    response = format!(
                        "{{\"requestId\":\"{}\",\"networkInterface\":{{\"networkInterfaceId\":\"eni-0{}\",\"privateIpAddress\":\"10.0.{}.{}\",\"status\":\"pending\"}}}}",
                        self.uuid(),
                        self.hex(16),
                        self.below(256),
                        1 + self.below(250)
                    );
                }
            }
            10 => {
                let n = self.below(100);
                let _ = write!(
                    out,
                    "{{\"name\":\"/prod/app-{n}/db-password\",\"withDecryption\":true,\"policyArn\":\"arn:aws:iam::aws:policy/ReadOnlyAccess\",\"functionName\":\"ingest-{n}\",\"tableName\":\"sessions-{n}\"}}"
                );
            }
            _ => {
                let _ = write!(out, "{{\"maxResults\":{},\"filterSet\":{{}}}}", 50 * (1 + self.below(20)));
            }
        }
        out.push_str(",\"responseElements\":");
        out.push_str(if failed { "null" } else { &response });
        out.push(',');
        if shape == 6 {
            out.push_str("\"additionalEventData\":{\"LoginTo\":\"https://console.aws.amazon.com/console/home?hashArgs=%23&isauthcode=true&state=hashArgsFromTB_us-east-1_0123456789abcdef\",\"MobileVersion\":\"No\",\"MFAIdentifier\":\"arn:aws:iam::111122223333:mfa/zoë\",\"MFAUsed\":\"Yes\"},");
        }
    }

    /// An EICE event (or a key push followed by a tunnel); returns the number of records written.
    fn eice(&mut self, out: &mut String, account: &'static str, region: &'static str) -> u32 {
        let per = (self.principals.len() - SERVICES.len()) / 2;
        let a = if account == ACCOUNTS[0] { 0 } else { per };
        let i = a + self.below(per as u64) as usize;
        let p = self.principals[i].clone();
        let ip = self.ip();
        let agent = AGENTS[if self.chance(700) { 0 } else { 4 }];
        let endpoint = self.pick(&ENDPOINTS);
        let kind = self.below(100);
        if kind < 70 {
            let with_key = self.chance(400);
            let mut written = 0;
            if with_key {
                let push_at = self.time;
                self.key_push(out, &p, account, region, &ip, agent);
                out.push(',');
                written += 1;
                self.time = push_at + 5 + self.below(46) as i64;
            }
            self.open_tunnel(out, &p, account, region, &ip, agent, endpoint);
            written + 1
        } else if kind < 75 {
            self.key_push(out, &p, account, region, &ip, agent);
            1
        } else {
            let (name, shape) = match kind {
                75..=82 => ("CreateInstanceConnectEndpoint", 0),
                83..=95 => ("DescribeInstanceConnectEndpoints", 1),
                _ => ("DeleteInstanceConnectEndpoint", 2),
            };
            self.head(out, &p, name, "ec2.amazonaws.com", region, &ip, agent);
            out.push_str("\"requestParameters\":");
            let subnet = format!("subnet-0{}", self.hex(16));
            match shape {
                0 => {
                    let _ = write!(
                        out,
                        "{{\"CreateInstanceConnectEndpointRequest\":{{\"SubnetId\":\"{subnet}\",\"PreserveClientIp\":false,\"ClientToken\":\"{}\"}}}},\"responseElements\":{{\"CreateInstanceConnectEndpointResponse\":{{\"clientToken\":\"x\",\"instanceConnectEndpoint\":{{\"availabilityZone\":\"{region}a\",\"createdAt\":\"2026-10-01T08:00:00.000Z\",\"dnsName\":\"{endpoint}.{}.ec2-instance-connect-endpoint.{region}.amazonaws.com\",\"fipsDnsName\":\"\",\"instanceConnectEndpointArn\":\"arn:aws:ec2:{region}:{account}:instance-connect-endpoint/{endpoint}\",\"instanceConnectEndpointId\":\"{endpoint}\",\"ownerId\":\"{account}\",\"preserveClientIp\":false,\"securityGroupIdSet\":{{\"item\":\"sg-0{}\"}},\"state\":\"create-in-progress\",\"stateMessage\":\"\",\"subnetId\":\"{subnet}\",\"tagSet\":\"\",\"vpcId\":\"vpc-0{}\"}},\"requestId\":\"{}\"}}}},",
                        self.uuid(),
                        self.hex(8),
                        self.hex(16),
                        self.hex(16),
                        self.uuid()
                    );
                }
                1 => {
                    let _ = write!(
                        out,
                        "{{\"DescribeInstanceConnectEndpointsRequest\":{{\"InstanceConnectEndpointId\":{{\"content\":\"{endpoint}\",\"tag\":1}}}}}},\"responseElements\":null,"
                    );
                }
                _ => {
                    let _ = write!(
                        out,
                        "{{\"DeleteInstanceConnectEndpointRequest\":{{\"InstanceConnectEndpointId\":\"{endpoint}\"}}}},\"responseElements\":{{\"DeleteInstanceConnectEndpointResponse\":{{\"instanceConnectEndpoint\":{{\"instanceConnectEndpointId\":\"{endpoint}\",\"state\":\"delete-in-progress\",\"subnetId\":\"{subnet}\"}},\"requestId\":\"{}\"}}}},",
                        self.uuid()
                    );
                }
            }
            self.tail(out, account, shape == 1);
            1
        }
    }

    /// `requestID` to the end of a record (no resources).
    fn tail(&mut self, out: &mut String, account: &str, read_only: bool) {
        let rid = self.uuid();
        let eid = self.uuid();
        let _ = write!(
            out,
            "\"requestID\":\"{rid}\",\"eventID\":\"{eid}\",\"readOnly\":{read_only},\"eventType\":\"AwsApiCall\",\"managementEvent\":true,\"recipientAccountId\":\"{account}\",\"eventCategory\":\"Management\"}}"
        );
    }

    fn key_push(&mut self, out: &mut String, p: &Principal, account: &str, region: &str, ip: &str, agent: &str) {
        self.head(out, p, "SendSSHPublicKey", "ec2-instance-connect.amazonaws.com", region, ip, agent);
        let _ = write!(
            out,
            "\"requestParameters\":{{\"instanceId\":\"i-0{}\",\"instanceOSUser\":\"{}\",\"sSHPublicKey\":\"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI{} eice\"}},\"responseElements\":{{\"requestId\":\"{}\",\"success\":true}},",
            self.hex(16),
            self.pick(&["ec2-user", "ubuntu", "admin"]),
            self.hex(43),
            self.uuid()
        );
        self.tail(out, account, false);
    }

    #[allow(clippy::too_many_arguments)]
    fn open_tunnel(
        &mut self,
        out: &mut String,
        p: &Principal,
        account: &str,
        region: &str,
        ip: &str,
        agent: &str,
        endpoint: &str,
    ) {
        self.head(out, p, "OpenTunnel", "ec2-instance-connect.amazonaws.com", region, ip, agent);
        let failed = self.chance(150);
        if failed {
            let msg = format!(
                "User: {} is not authorized to perform: ec2-instance-connect:OpenTunnel on resource: arn:aws:ec2:{region}:{account}:instance-connect-endpoint/{endpoint} because no identity-based policy allows the ec2-instance-connect:OpenTunnel action",
                p.arn
            );
            out.push_str("\"errorCode\":\"AccessDenied\",");
            kv(out, "errorMessage", &msg);
        }
        let port = match self.below(20) {
            0 => 3389,
            1 => 5432,
            2 => 443,
            3 => 65_535,
            _ => 22,
        };
        let target = if self.chance(30) {
            format!("fd00:ec2::{:x}", 1 + self.below(0xfff))
        } else {
            format!("10.0.{}.{}", self.below(256), 1 + self.below(250))
        };
        let numbers = self.chance(300);
        let _ = write!(out, "\"requestParameters\":{{\"instanceConnectEndpointId\":\"{endpoint}\",");
        if !self.chance(200) {
            let d = self.pick(&[3600, 1800, 600, 7200]);
            if numbers {
                let _ = write!(out, "\"maxTunnelDuration\":{d},");
            } else {
                let _ = write!(out, "\"maxTunnelDuration\":\"{d}\",");
            }
        }
        if numbers {
            let _ = write!(out, "\"remotePort\":{port},");
        } else {
            let _ = write!(out, "\"remotePort\":\"{port}\",");
        }
        let _ = write!(out, "\"privateIpAddress\":\"{target}\"}},\"responseElements\":null,");
        let rid = self.uuid();
        let eid = self.uuid();
        let _ = write!(
            out,
            "\"requestID\":\"{rid}\",\"eventID\":\"{eid}\",\"readOnly\":false,\"resources\":[{{\"accountId\":\"{account}\",\"type\":\"AWS::EC2::InstanceConnectEndpoint\",\"ARN\":\"arn:aws:ec2:{region}:{account}:instance-connect-endpoint/{endpoint}\"}}],\"eventType\":\"AwsApiCall\",\"managementEvent\":true,\"recipientAccountId\":\"{account}\",\"eventCategory\":\"Management\"}}"
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_are_valid_json_of_realistic_size_with_unique_ids() {
        let mut g = Gen::new(7, 1);
        let mut all = String::from("[");
        let mut eice = 0;
        let mut n = 0;
        for i in 0..20_000 {
            let mut rec = String::new();
            if i > 0 {
                rec.push(',');
            }
            eice += g.record(&mut rec);
            all.push_str(&rec);
            n += 1;
        }
        all.push(']');
        let v: Vec<serde_json::Value> = serde_json::from_str(&all).expect("valid JSON");
        assert!(v.len() >= n);
        let avg = all.len() / v.len();
        assert!((900..=1600).contains(&avg), "average record size {avg}");
        let ids: std::collections::HashSet<&str> = v.iter().map(|r| r["eventID"].as_str().unwrap()).collect();
        assert_eq!(ids.len(), v.len());
        let rate = f64::from(eice) / v.len() as f64;
        assert!((0.003..0.009).contains(&rate), "EICE rate {rate}");
        let names: std::collections::HashSet<&str> = v.iter().map(|r| r["eventName"].as_str().unwrap()).collect();
        assert!(names.len() > 40, "{} event names", names.len());
    }

    #[test]
    fn same_seed_same_bytes() {
        let (mut a, mut b) = (Gen::new(3, 1), Gen::new(3, 1));
        let (mut x, mut y) = (String::new(), String::new());
        for _ in 0..1000 {
            a.record(&mut x);
            b.record(&mut y);
        }
        assert_eq!(x, y);
    }

    #[test]
    fn civil_dates() {
        assert_eq!(civil(BASE_TIME), (2026, 10, 1, 0, 0, 0));
        assert_eq!(civil(0), (1970, 1, 1, 0, 0, 0));
        assert_eq!(civil(951_782_400), (2000, 2, 29, 0, 0, 0));
    }
}
