//! TimeScale: the mapping between time and x pixels for the timeline and the overview, with
//! zoom and pan (pure; tested natively).

/// The smallest visible span (one second), so zooming in stops somewhere sensible.
pub const MIN_SPAN_MS: f64 = 1_000.0;

/// A visible time range drawn over a width in pixels.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TimeScale {
    /// Left edge, epoch ms.
    pub start_ms: f64,
    /// Right edge, epoch ms.
    pub end_ms: f64,
    /// Drawing width in CSS pixels.
    pub width_px: f64,
}

impl TimeScale {
    /// A scale over `[start_ms, end_ms]`, widened to at least [`MIN_SPAN_MS`].
    pub fn new(start_ms: f64, end_ms: f64, width_px: f64) -> Self {
        let span = (end_ms - start_ms).max(MIN_SPAN_MS);
        let mid = (start_ms + end_ms) / 2.0;
        let (start_ms, end_ms) =
            if end_ms - start_ms < MIN_SPAN_MS { (mid - span / 2.0, mid + span / 2.0) } else { (start_ms, end_ms) };
        Self { start_ms, end_ms, width_px: width_px.max(1.0) }
    }

    /// Visible span in ms.
    pub fn span_ms(&self) -> f64 {
        self.end_ms - self.start_ms
    }

    /// x pixel of a time.
    pub fn x_of(&self, t_ms: f64) -> f64 {
        (t_ms - self.start_ms) / self.span_ms() * self.width_px
    }

    /// Time at an x pixel.
    pub fn t_of(&self, x_px: f64) -> f64 {
        self.start_ms + x_px / self.width_px * self.span_ms()
    }

    /// Zooms by `factor` (< 1 zooms in) keeping the time under `x_px` in place.
    pub fn zoom_at(&self, x_px: f64, factor: f64) -> Self {
        let t = self.t_of(x_px);
        let span = (self.span_ms() * factor).max(MIN_SPAN_MS);
        let left = t - x_px / self.width_px * span;
        Self { start_ms: left, end_ms: left + span, width_px: self.width_px }
    }

    /// Pans by `dx_px` pixels (positive moves the view to later times).
    pub fn pan(&self, dx_px: f64) -> Self {
        let dt = dx_px / self.width_px * self.span_ms();
        Self { start_ms: self.start_ms + dt, end_ms: self.end_ms + dt, width_px: self.width_px }
    }

    /// Tick times at a "nice" step so that about `target` ticks are visible.
    pub fn ticks(&self, target: usize) -> Vec<i64> {
        const STEPS: [i64; 16] = [
            1_000,
            5_000,
            15_000,
            60_000,
            300_000,
            900_000,
            1_800_000,
            3_600_000,
            7_200_000,
            21_600_000,
            43_200_000,
            86_400_000,
            172_800_000,
            604_800_000,
            2_592_000_000,
            31_536_000_000,
        ];
        let want = self.span_ms() / target.max(1) as f64;
        let step = STEPS.iter().copied().find(|s| *s as f64 >= want).unwrap_or(31_536_000_000);
        let first = (self.start_ms / step as f64).ceil() as i64 * step;
        (0..).map(|i| first + i * step).take_while(|t| (*t as f64) <= self.end_ms).take(1000).collect()
    }
}

/// Which rows of a fixed-height list are visible, with `overscan` rows either side.
pub fn visible_rows(
    scroll_top_px: f64,
    viewport_px: f64,
    row_px: f64,
    n_rows: usize,
    overscan: usize,
) -> std::ops::Range<usize> {
    if n_rows == 0 || row_px <= 0.0 {
        return 0..0;
    }
    let first = (scroll_top_px.max(0.0) / row_px).floor() as usize;
    let count = (viewport_px / row_px).ceil() as usize + 1;
    let start = first.saturating_sub(overscan).min(n_rows);
    let end = (first + count + overscan).min(n_rows);
    start..end
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_and_inverts() {
        let s = TimeScale::new(0.0, 10_000.0, 100.0);
        assert_eq!(s.x_of(5_000.0), 50.0);
        assert_eq!(s.t_of(25.0), 2_500.0);
    }

    #[test]
    fn zoom_keeps_the_point_under_the_cursor() {
        let s = TimeScale::new(0.0, 100_000.0, 1000.0);
        let z = s.zoom_at(250.0, 0.5);
        assert!((z.t_of(250.0) - s.t_of(250.0)).abs() < 1e-6);
        assert!((z.span_ms() - 50_000.0).abs() < 1e-6);
        let tiny = s.zoom_at(0.0, 1e-9);
        assert_eq!(tiny.span_ms(), MIN_SPAN_MS);
    }

    #[test]
    fn pan_and_ticks() {
        let s = TimeScale::new(0.0, 3_600_000.0, 600.0);
        assert_eq!(s.pan(60.0).start_ms, 360_000.0);
        let ticks = s.ticks(6);
        assert!(ticks.len() >= 4 && ticks.len() <= 13, "{ticks:?}");
        assert!(ticks.windows(2).all(|w| w[1] > w[0]));
    }

    #[test]
    fn visible_rows_windows_the_list() {
        assert_eq!(visible_rows(0.0, 100.0, 20.0, 1000, 2), 0..8);
        assert_eq!(visible_rows(2000.0, 100.0, 20.0, 1000, 2), 98..108);
        assert_eq!(visible_rows(1e9, 100.0, 20.0, 10, 2), 10..10);
        assert_eq!(visible_rows(0.0, 100.0, 20.0, 0, 2), 0..0);
    }
}
