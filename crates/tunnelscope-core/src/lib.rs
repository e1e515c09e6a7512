//! tunnelscope-core: reads exported AWS CloudTrail logs from bytes and derives EC2 Instance
//! Connect Endpoint (EICE) tunnels, endpoint activity and exact accounting of every file and
//! record.
//!
//! Invariants: no I/O, no clock, no web dependencies (callers pass bytes, names and "now");
//! parsing never panics on any input; every number in contracts.md is computed here once.
//!
//! Layers, lowest first (a module uses its own and lower ones; `cargo xtask structure` checks):
//! base (time, ids, heap, model, intern, sample) < record (record, eice, principal, rows) <
//! ingest < store (store, dataset) < semantics (pairing, sessions, findings) < views (query, views,
//! view_state) < export.

// base
pub mod heap;
pub mod i18n;
pub mod ids;
pub mod intern;
pub mod model;
pub mod sample;
pub mod time;
// record
pub mod eice;
pub mod principal;
pub mod record;
pub mod rows;
// ingest
pub mod ingest;
// store
pub mod dataset;
pub mod store;
// semantics
pub mod findings;
pub mod pairing;
pub mod sessions;
// views
pub mod query;
pub mod view_state;
pub mod views;
// export
pub mod export;

pub use dataset::{Dataset, EndpointChangeRow, FileDetail, FileReport, Pairing, Stats, TunnelRow};
pub use ids::EventId;
pub use ingest::{FileStatus, ParsedFile, Shape, parse_file};
pub use model::{EiceFacts, EndpointFacts, EndpointOp, Event, Fidelity, KeyPushFacts, RawSpan, TunnelFacts};
pub use store::EventRef;
