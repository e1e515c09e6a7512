//! tunnelscope-core: reads exported AWS CloudTrail logs from bytes and derives EC2 Instance
//! Connect Endpoint (EICE) tunnels, endpoint activity and exact accounting of every file and
//! record.
//!
//! Invariants: no I/O, no clock, no web dependencies (callers pass bytes, names and "now");
//! parsing never panics on any input; every number in contracts.md is computed here once.

pub mod dataset;
pub mod eice;
pub mod export;
pub mod findings;
pub mod heap;
pub mod ids;
pub mod ingest;
pub mod intern;
pub mod model;
pub mod pairing;
pub mod principal;
pub mod query;
pub mod record;
pub mod rows;
pub mod sample;
pub mod sessions;
pub mod store;
pub mod time;
pub mod view_state;
pub mod views;

pub use dataset::{Dataset, EndpointChangeRow, FileDetail, FileReport, Pairing, Stats, TunnelRow};
pub use ids::EventId;
pub use ingest::{FileStatus, ParsedFile, Shape, parse_file};
pub use model::{EiceFacts, EndpointFacts, EndpointOp, Event, Fidelity, KeyPushFacts, RawSpan, TunnelFacts};
pub use store::EventRef;
