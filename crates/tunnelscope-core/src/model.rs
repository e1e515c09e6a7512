//! The event model: one loaded CloudTrail event in display terms, plus its EICE facts.

use serde::{Deserialize, Serialize};

/// How complete a record is; when two copies of one event meet, the fuller one is kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Fidelity {
    /// A console Event-history CSV row: no request or response.
    ConsoleCsv = 0,
    /// An Athena or CloudTrail Lake result row.
    QueryRow = 1,
    /// A record wrapped by lookup-events, EventBridge or CloudWatch Logs.
    Wrapped = 2,
    /// A full record as delivered to S3.
    Full = 3,
}

/// One loaded CloudTrail event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    /// `eventID`, or `content:<hash>` when the record has none.
    pub event_id: String,
    /// Event time, UTC epoch milliseconds.
    pub time_ms: i64,
    /// `eventName` (for Insights events, `insightDetails.eventName`).
    pub event_name: String,
    /// `eventSource`.
    pub event_source: String,
    /// `awsRegion`.
    pub region: String,
    /// `recipientAccountId`, else `userIdentity.accountId`.
    pub account: String,
    /// The principal's key: ARN, else principal ID, else the invoking service.
    pub principal_arn: String,
    /// The principal as people know it (`alice`, `Admin/alice`, `root`).
    pub principal: String,
    /// `sourceIPAddress`.
    pub source_ip: String,
    /// `userAgent`.
    pub user_agent: String,
    /// `errorCode`; empty when the call succeeded.
    pub error_code: String,
    /// `errorMessage`.
    pub error_message: String,
    /// How complete the record is.
    pub fidelity: Fidelity,
    /// EICE facts derived from the record, when it is EICE-related.
    pub eice: Option<EiceFacts>,
    /// The record's JSON as found in the file (the inner record for wrapped shapes).
    pub raw: String,
    /// Where `raw` lies in the file's (decompressed) bytes, when it is an exact slice of them;
    /// lets a compact dataset drop the text and read it again on demand.
    ///
    /// Always written, `None` too: events cross between workers as postcard, which is not
    /// self-describing, so a field left out shifts every byte after it (issue 17). Nothing
    /// reads or writes an `Event` as JSON.
    pub span: Option<RawSpan>,
}

/// A byte range of a file's content (after gunzip; for an archive member, of the member).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct RawSpan {
    /// First byte.
    pub offset: u64,
    /// Length in bytes.
    pub len: u32,
}

/// EICE facts of an event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum EiceFacts {
    /// An `OpenTunnel` attempt.
    Tunnel(TunnelFacts),
    /// Create, Modify, Delete or Describe of endpoints.
    Endpoint(EndpointFacts),
    /// A `SendSSHPublicKey` push (instance and OS user).
    KeyPush(KeyPushFacts),
}

/// What an `OpenTunnel` event says.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TunnelFacts {
    /// Endpoint ID (`eice-…` or `eici-…`), from the request or the resource ARN.
    pub endpoint_id: String,
    /// Target private IP (IPv4 or IPv6), as logged.
    pub private_ip: String,
    /// Remote port as given (string or number); `None` when absent, or not a whole number
    /// that fits 32 bits.
    pub port: Option<u32>,
    /// `maxTunnelDuration` as given (string or number) when a whole number that fits 64 bits,
    /// else 3600. May be outside EICE's 1..=3600: the tunnel's latest end is still at most
    /// an hour after its start (`dataset::latest_end_ms`).
    pub max_duration_secs: u64,
    /// True when 3600 was assumed: `maxTunnelDuration` was absent, or not a whole number
    /// that fits 64 bits.
    pub max_duration_assumed: bool,
    /// True when `maxTunnelDuration` or `remotePort` holds a value EICE cannot produce
    /// (outside 1..=3600 s or 1..=65535, or not a whole number): the record is loaded and
    /// kept as given, and its file's load report says so.
    pub out_of_range: bool,
}

/// The kind of endpoint activity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum EndpointOp {
    /// `CreateInstanceConnectEndpoint`.
    Create,
    /// `ModifyInstanceConnectEndpoint`.
    Modify,
    /// `DeleteInstanceConnectEndpoint`.
    Delete,
    /// `DescribeInstanceConnectEndpoints`.
    Describe,
}

impl EndpointOp {
    /// The lower-case key used in counts (`create`, `modify`, `delete`, `describe`).
    pub fn key(self) -> &'static str {
        match self {
            Self::Create => "create",
            Self::Modify => "modify",
            Self::Delete => "delete",
            Self::Describe => "describe",
        }
    }

    /// The operation named by a CloudTrail `eventName`, if it is endpoint activity.
    pub fn from_event_name(name: &str) -> Option<Self> {
        match name {
            "CreateInstanceConnectEndpoint" => Some(Self::Create),
            "ModifyInstanceConnectEndpoint" => Some(Self::Modify),
            "DeleteInstanceConnectEndpoint" => Some(Self::Delete),
            "DescribeInstanceConnectEndpoints" => Some(Self::Describe),
            _ => None,
        }
    }
}

/// What an endpoint-management event says about the endpoint(s).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct EndpointFacts {
    /// Create, Modify, Delete or Describe.
    pub op: Option<EndpointOp>,
    /// Endpoint IDs named by the request, the response or the resources (sorted, unique).
    pub endpoint_ids: Vec<String>,
    /// Subnet, from request or response.
    pub subnet_id: String,
    /// VPC, from the response.
    pub vpc_id: String,
    /// Security groups (sorted, unique).
    pub security_group_ids: Vec<String>,
    /// `preserveClientIp` as logged; never assumed.
    pub preserve_client_ip: Option<bool>,
    /// `ipAddressType` (`ipv4`, `dualstack`, `ipv6`).
    pub ip_address_type: String,
    /// The endpoint's DNS name.
    pub dns_name: String,
    /// The state in the response (`create-in-progress`, …).
    pub state: String,
}

/// What a `SendSSHPublicKey` event says.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KeyPushFacts {
    /// `instanceId`.
    pub instance_id: String,
    /// `instanceOSUser`.
    pub os_user: String,
}

impl Event {
    /// The tunnel facts, when this event is an `OpenTunnel`.
    pub fn tunnel(&self) -> Option<&TunnelFacts> {
        match &self.eice {
            Some(EiceFacts::Tunnel(t)) => Some(t),
            _ => None,
        }
    }

    /// The endpoint facts, when this event is endpoint activity.
    pub fn endpoint_activity(&self) -> Option<&EndpointFacts> {
        match &self.eice {
            Some(EiceFacts::Endpoint(e)) => Some(e),
            _ => None,
        }
    }

    /// The key push, when this event is a `SendSSHPublicKey`.
    pub fn key_push(&self) -> Option<&KeyPushFacts> {
        match &self.eice {
            Some(EiceFacts::KeyPush(k)) => Some(k),
            _ => None,
        }
    }

    /// True when the event lacks part of its record: a console CSV row or lookup-events
    /// summary (no request or response), or a query row read from `{key=value}` renderings.
    pub fn is_lossy(&self) -> bool {
        match self.fidelity {
            Fidelity::ConsoleCsv => true,
            // The marker tunnelscope writes into rows it read best-effort (record::SYNTH_KEY).
            Fidelity::QueryRow => self.raw.contains("\"lossyFields\""),
            Fidelity::Wrapped | Fidelity::Full => false,
        }
    }

    /// True when the call failed (has an `errorCode`).
    pub fn is_failed(&self) -> bool {
        !self.error_code.is_empty()
    }

    /// Endpoint IDs this event names (tunnel or endpoint activity).
    pub fn endpoint_ids(&self) -> Vec<&str> {
        match &self.eice {
            Some(EiceFacts::Tunnel(t)) if !t.endpoint_id.is_empty() => vec![t.endpoint_id.as_str()],
            Some(EiceFacts::Endpoint(e)) => e.endpoint_ids.iter().map(String::as_str).collect(),
            _ => Vec::new(),
        }
    }
}
