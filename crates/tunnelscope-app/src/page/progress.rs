//! Load progress: each load's counts, and what the progress bar sums over a batch of loads.

/// Bytes, files and records read so far.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Progress {
    /// Files finished.
    pub files_done: usize,
    /// Files in the load.
    pub files_total: usize,
    /// Bytes read.
    pub bytes_done: u64,
    /// Bytes in the load.
    pub bytes_total: u64,
    /// Records read (finished files plus the current one so far).
    pub records_done: u64,
}

/// The loads since loading last started from a finished state: what the progress bar sums.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct LoadBatch {
    /// When the first load of the batch was sent (ms, page clock).
    pub started_ms: f64,
    /// When the latest progress arrived (ms, page clock).
    pub now_ms: f64,
    /// Each load of the batch and its latest progress (finished loads keep their last one).
    pub loads: Vec<(u64, Progress)>,
}

/// What the progress bar shows: the batch's counts summed, with the time they took.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct ProgressSummary {
    /// Counts over every load of the batch.
    pub progress: Progress,
    /// Time since the batch started, as of the latest progress (ms).
    pub elapsed_ms: f64,
}

impl ProgressSummary {
    /// Least time measured before a rate (and a time left) is shown: earlier ones are noise.
    pub const MIN_ELAPSED_MS: f64 = 300.0;

    /// The fraction of bytes read (0 when there are no bytes).
    pub fn fraction(&self) -> f64 {
        let p = self.progress;
        if p.bytes_total == 0 { 0.0 } else { (p.bytes_done as f64 / p.bytes_total as f64).clamp(0.0, 1.0) }
    }

    /// Bytes read per second since the batch started, once measurable.
    pub fn bytes_per_sec(&self) -> Option<f64> {
        (self.elapsed_ms >= Self::MIN_ELAPSED_MS && self.progress.bytes_done > 0)
            .then(|| self.progress.bytes_done as f64 * 1000.0 / self.elapsed_ms)
    }

    /// Seconds left at the rate so far; `None` before the rate is known and once every byte is
    /// read (what remains then is finishing the last file, which bytes cannot tell).
    pub fn secs_left(&self) -> Option<f64> {
        let p = self.progress;
        if p.bytes_done >= p.bytes_total {
            return None;
        }
        self.bytes_per_sec().map(|rate| (p.bytes_total - p.bytes_done) as f64 / rate)
    }
}

impl LoadBatch {
    /// The summed counts.
    pub fn summary(&self) -> ProgressSummary {
        let progress = self.loads.iter().fold(Progress::default(), |a, (_, p)| Progress {
            files_done: a.files_done + p.files_done,
            files_total: a.files_total + p.files_total,
            bytes_done: a.bytes_done + p.bytes_done,
            bytes_total: a.bytes_total + p.bytes_total,
            records_done: a.records_done + p.records_done,
        });
        ProgressSummary { progress, elapsed_ms: (self.now_ms - self.started_ms).max(0.0) }
    }
}
