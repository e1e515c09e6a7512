//! A worker's progress messages: what a load or an export has done, at most one message per
//! [`PROGRESS_INTERVAL_MS`].

use crate::protocol::{PROGRESS_INTERVAL_MS, Response};
use crate::worker::engine::Engine;

/// When progress was last posted: at most one message per [`PROGRESS_INTERVAL_MS`].
#[derive(Clone, Copy)]
pub(super) struct Throttle {
    last_post_ms: f64,
}

impl Throttle {
    pub(super) const NEW: Self = Self { last_post_ms: f64::NEG_INFINITY };

    /// True (and the clock restarted) when a post is due now, always when `force`.
    fn due(&mut self, force: bool) -> bool {
        let now = js_sys::Date::now();
        if !force && now - self.last_post_ms < PROGRESS_INTERVAL_MS {
            return false;
        }
        self.last_post_ms = now;
        true
    }
}

/// Counts of a load in progress, and when they were last posted.
pub(super) struct Counter {
    pub(super) load_id: u64,
    pub(super) files_done: usize,
    pub(super) files_total: usize,
    pub(super) bytes_done: u64,
    pub(super) bytes_total: u64,
    /// Records of finished files.
    pub(super) records_done: u64,
    pub(super) throttle: Throttle,
}

impl Counter {
    /// Posts progress if [`PROGRESS_INTERVAL_MS`] passed since the last post (always when `force`).
    pub(super) fn post(&mut self, engine: &Engine, records_current: u64, force: bool) {
        if !self.throttle.due(force) {
            return;
        }
        engine.post(&Response::Progress {
            load_id: self.load_id,
            files_done: self.files_done,
            files_total: self.files_total,
            bytes_done: self.bytes_done,
            bytes_total: self.bytes_total,
            records_done: self.records_done + records_current,
        });
    }
}

/// An export's progress, and when it was last posted.
pub(super) struct ExportCounter {
    pub(super) export_id: u64,
    pub(super) total: u64,
    pub(super) throttle: Throttle,
}

impl ExportCounter {
    /// Posts progress if [`PROGRESS_INTERVAL_MS`] passed since the last post (always when `force`).
    pub(super) fn post(&mut self, engine: &Engine, done: usize, force: bool) {
        if !self.throttle.due(force) {
            return;
        }
        engine.post(&Response::ExportProgress { export_id: self.export_id, done: done as u64, total: self.total });
    }
}
