//! Partial views: while a load runs, a view is asked for now and then, so counters, table and
//! timeline fill in as files finish, without the engine spending its time preparing them.

use std::collections::HashMap;

/// Least time between two views asked for while a load runs (partial results).
const PARTIAL_VIEW_MIN_INTERVAL_MS: f64 = 500.0;
/// Partial views take at most about a tenth of the engine's time: the interval grows to this
/// many times the latest partial view's round trip (big datasets prepare slower, and each
/// one prepares the whole dataset so far). At 4, preparing indexes took 28 % of a
/// 2,000,000-event load (6.5 of 23.3 s, the final preparation included); at 10, 4
/// preparations in all took 5.8 of 21.1 s (one run each, a noisy machine).
const PARTIAL_VIEW_COST_FACTOR: f64 = 10.0;

/// Views asked for during a load: at most one in flight, spaced by at least
/// [`PARTIAL_VIEW_MIN_INTERVAL_MS`].
#[derive(Debug, Clone, PartialEq, Default)]
pub struct PartialViews {
    /// The generation in flight and when it was asked for.
    in_flight: Option<(u64, f64)>,
    /// When the latest one was asked for.
    last_ms: f64,
    /// The current spacing.
    interval_ms: f64,
    /// Files finished per load, as of the latest progress.
    files_done: HashMap<u64, usize>,
    /// Files finished since the latest partial view was asked for.
    changed: bool,
}

impl PartialViews {
    /// Notes a load's progress; true when a partial view should be asked for now (never once
    /// every file is read: the view that ends the load follows).
    pub fn progressed(&mut self, load_id: u64, files_done: usize, files_total: usize, now_ms: f64) -> bool {
        let seen = self.files_done.entry(load_id).or_insert(0);
        if files_done > *seen {
            *seen = files_done;
            self.changed = true;
        }
        let interval = self.interval_ms.max(PARTIAL_VIEW_MIN_INTERVAL_MS);
        files_done < files_total && self.changed && self.in_flight.is_none() && now_ms - self.last_ms >= interval
    }

    /// A partial view of `generation` was asked for.
    pub fn sent(&mut self, generation: u64, now_ms: f64) {
        self.in_flight = Some((generation, now_ms));
        self.last_ms = now_ms;
        self.changed = false;
    }

    /// A view of `generation` arrived (at `now_ms`): the next one may be asked for.
    pub fn view_arrived(&mut self, generation: u64, now_ms: f64) {
        if let Some((g, sent_ms)) = self.in_flight {
            if generation >= g {
                self.interval_ms = (now_ms - sent_ms) * PARTIAL_VIEW_COST_FACTOR;
                self.in_flight = None;
            }
        }
    }

    /// A load ended.
    pub fn load_ended(&mut self, load_id: u64) {
        self.files_done.remove(&load_id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_in_flight_spaced_by_ten_round_trips() {
        let mut p = PartialViews::default();
        assert!(!p.progressed(1, 0, 4, 1000.0), "no file finished yet");
        assert!(p.progressed(1, 1, 4, 1000.0));
        p.sent(7, 1000.0);
        assert!(!p.progressed(1, 2, 4, 2000.0), "one in flight");
        p.view_arrived(7, 1100.0);
        assert!(!p.progressed(1, 2, 4, 1900.0), "ten round trips (1,000 ms) apart");
        assert!(p.progressed(1, 2, 4, 2000.0));
        assert!(!p.progressed(1, 4, 4, 9000.0), "every file read: the final view follows");
    }
}
