//! The UI components, one per file.

pub mod drop_zone;
pub mod endpoint_changes;
pub mod filter_bar;
pub mod load_report;
pub mod pager;
pub mod stats_bar;
pub mod status_bar;
pub mod tunnel_table;
