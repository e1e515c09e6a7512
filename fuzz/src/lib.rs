//! The ingest fuzz target (see `check.rs`), built by `cargo xtask fuzz` with libFuzzer.

pub mod check;
