//! The UI components, one per file.

pub mod coverage_panel;
pub mod detail_panel;
pub mod drop_zone;
pub mod endpoint_cards;
pub mod endpoint_changes;
pub mod event_table;
pub mod export_progress;
pub mod filter_bar;
pub mod findings_panel;
pub mod help;
pub mod load_progress;
pub mod load_report;
pub mod overview;
pub mod pager;
pub mod sessions_table;
pub mod stats_bar;
pub mod status_bar;
pub mod timeline;
pub mod tunnel_table;
