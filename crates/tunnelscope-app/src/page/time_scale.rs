//! TimeScale: the mapping between time and x pixels for the timeline and the overview, with
//! zoom and pan (pure; tested natively).

use tunnelscope_core::time::{civil_from_days, days_from_civil};

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
}

// ---------------------------------------------------------------------------------------------
// The time axis: ticks on calendar boundaries of a zone, labelled compactly, never overlapping.
// ---------------------------------------------------------------------------------------------

const SEC: i64 = 1_000;
const MIN: i64 = 60 * SEC;
const HOUR: i64 = 60 * MIN;
const DAY: i64 = 24 * HOUR;
/// 0001-01-01T00:00:00Z and 9999-12-31T23:59:59.999Z: the axis draws nothing outside.
const FIRST_MS: i64 = -62_135_596_800_000;
const LAST_MS: i64 = 253_402_300_799_999;
/// 1970-01-05, a Monday, as days since the epoch: weeks start on Mondays.
const MONDAY: i64 = 4;

/// A label starts this far right of its tick line.
pub const LABEL_PAD_PX: f64 = 3.0;
/// Labels of one row are at least this far apart.
pub const LABEL_GAP_PX: f64 = 12.0;
/// Ticks are this far apart at least, however short their labels (by the step's nominal
/// length: see [`Step::nominal_ms`]).
pub const MIN_TICK_PX: f64 = 48.0;
/// No step is tried whose ticks would outnumber this.
const MAX_TICKS: usize = 1_000;

/// The unit of a tick step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    /// Seconds.
    Second,
    /// Minutes.
    Minute,
    /// Hours (of the zone's day).
    Hour,
    /// Days (counted from the epoch, so a 2-day step is regular).
    Day,
    /// Weeks starting on Monday.
    Week,
    /// Months (a 3-month step falls on quarters).
    Month,
    /// Years.
    Year,
}

/// A tick step: `count` of `unit`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Step {
    /// The unit.
    pub unit: Unit,
    /// How many units apart the ticks are.
    pub count: i64,
}

const fn step(unit: Unit, count: i64) -> Step {
    Step { unit, count }
}

/// Every step the axis may use, finest first: the first whose labels fit is taken.
pub const STEPS: [Step; 32] = [
    step(Unit::Second, 1),
    step(Unit::Second, 2),
    step(Unit::Second, 5),
    step(Unit::Second, 10),
    step(Unit::Second, 15),
    step(Unit::Second, 30),
    step(Unit::Minute, 1),
    step(Unit::Minute, 2),
    step(Unit::Minute, 5),
    step(Unit::Minute, 10),
    step(Unit::Minute, 15),
    step(Unit::Minute, 30),
    step(Unit::Hour, 1),
    step(Unit::Hour, 3),
    step(Unit::Hour, 6),
    step(Unit::Hour, 12),
    step(Unit::Day, 1),
    step(Unit::Day, 2),
    step(Unit::Week, 1),
    step(Unit::Month, 1),
    step(Unit::Month, 3),
    step(Unit::Month, 6),
    step(Unit::Year, 1),
    step(Unit::Year, 2),
    step(Unit::Year, 5),
    step(Unit::Year, 10),
    step(Unit::Year, 25),
    step(Unit::Year, 50),
    step(Unit::Year, 100),
    step(Unit::Year, 250),
    step(Unit::Year, 500),
    step(Unit::Year, 1000),
];

impl Step {
    /// The usual time between two ticks (months of 30 days, years of 365; where the clocks
    /// change or months are short, a step can be up to a third shorter: 3 h across a change to
    /// summer time are 2 h).
    pub fn nominal_ms(&self) -> i64 {
        let n = self.count;
        n * match self.unit {
            Unit::Second => SEC,
            Unit::Minute => MIN,
            Unit::Hour => HOUR,
            Unit::Day => DAY,
            Unit::Week => 7 * DAY,
            Unit::Month => 30 * DAY,
            Unit::Year => 365 * DAY,
        }
    }

    /// The first boundary of this step at or after the wall-clock time `w` (ms since the epoch
    /// of the zone's wall clock).
    pub fn ceil(&self, w: i64) -> i64 {
        let fixed = |unit: i64| ceil_div(w, unit * self.count) * unit * self.count;
        match self.unit {
            Unit::Second => fixed(SEC),
            Unit::Minute => fixed(MIN),
            Unit::Hour => fixed(HOUR),
            Unit::Day => fixed(DAY),
            Unit::Week => {
                let d = ceil_div(w, DAY);
                (d + (MONDAY - d).rem_euclid(7 * self.count)) * DAY
            }
            Unit::Month => {
                let (y, m, _) = civil_from_days(w.div_euclid(DAY));
                let mut index = y * 12 + (m - 1);
                if month_start(index) < w {
                    index += 1;
                }
                month_start(ceil_div(index, self.count) * self.count)
            }
            Unit::Year => {
                let (y, _, _) = civil_from_days(w.div_euclid(DAY));
                let mut y = y;
                if days_from_civil(y, 1, 1) * DAY < w {
                    y += 1;
                }
                days_from_civil(ceil_div(y, self.count) * self.count, 1, 1) * DAY
            }
        }
    }

    /// Whether the wall-clock time `w` is a boundary of this step.
    pub fn is_boundary(&self, w: i64) -> bool {
        self.ceil(w) == w
    }
}

fn ceil_div(a: i64, b: i64) -> i64 {
    let q = a.div_euclid(b);
    if a.rem_euclid(b) == 0 { q } else { q + 1 }
}

/// The first instant of month `index` (`year * 12 + month - 1`) on the wall clock.
fn month_start(index: i64) -> i64 {
    days_from_civil(index.div_euclid(12), index.rem_euclid(12) + 1, 1) * DAY
}

/// A time zone as the axis needs it: the offset east of UTC, in minutes, at a UTC instant
/// (`|_| 0` is UTC; the page passes the browser's zone in local-time mode).
pub type Zone<'a> = &'a dyn Fn(i64) -> i32;

fn offset_ms(zone: Zone<'_>, t: i64) -> i64 {
    i64::from(zone(t)) * MIN
}

/// The first instant at or after `u` (UTC ms) whose wall clock in `zone` reads a boundary of
/// `step`. Where the clocks change, a boundary the wall clock skips is the instant of the
/// change (which reads a later round time), and a repeated one is taken at its first reading.
pub fn next_tick(u: i64, step: Step, zone: Zone<'_>) -> i64 {
    let mut u = u;
    for _ in 0..4 {
        let o = offset_ms(zone, u);
        let wb = step.ceil(u + o);
        let at = wb - o;
        let o_at = offset_ms(zone, at);
        if o_at == o || step.is_boundary(at + o_at) {
            return at;
        }
        // The offset changed between `u` and `at`: the boundary in the new offset.
        let shifted = wb - o_at;
        if shifted >= u && offset_ms(zone, shifted) == o_at {
            return shifted;
        }
        u = at;
    }
    u
}

/// The ticks of `step` in `[start, end]` (UTC ms), at most `max` of them (None beyond).
pub fn ticks_of(start: i64, end: i64, step: Step, zone: Zone<'_>, max: usize) -> Option<Vec<i64>> {
    let mut out = Vec::new();
    let mut u = start;
    while u <= end {
        let t = next_tick(u, step, zone);
        if t > end {
            break;
        }
        if out.len() == max {
            return None;
        }
        out.push(t);
        u = t + 1;
    }
    Some(out)
}

/// Broken-down wall-clock time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Civil {
    y: i64,
    mo: i64,
    d: i64,
    h: i64,
    mi: i64,
    s: i64,
}

fn civil(w: i64) -> Civil {
    let (y, mo, d) = civil_from_days(w.div_euclid(DAY));
    let ms = w.rem_euclid(DAY);
    Civil { y, mo, d, h: ms / HOUR, mi: ms % HOUR / MIN, s: ms % MIN / SEC }
}

/// The month's abbreviation in the page's language (English in native tests).
fn month_name(mo: i64) -> &'static str {
    crate::page::i18n::texts().months[(mo.clamp(1, 12) - 1) as usize]
}

/// A tick's label: the finest unit its step shows (`10:30`, `Oct 3`, `Oct`, `2026`).
fn primary_label(c: &Civil, unit: Unit) -> String {
    match unit {
        Unit::Second => format!("{:02}:{:02}:{:02}", c.h, c.mi, c.s),
        Unit::Minute | Unit::Hour => format!("{:02}:{:02}", c.h, c.mi),
        Unit::Day | Unit::Week => (crate::page::i18n::texts().day_month)(c.d as u32, month_name(c.mo)),
        Unit::Month => month_name(c.mo).to_owned(),
        Unit::Year => c.y.to_string(),
    }
}

/// The larger unit under a tick (`Oct 3, 2026` under times of day, `2026` under dates and
/// months), shown where it changes; none under years.
fn context_label(c: &Civil, unit: Unit) -> Option<String> {
    match unit {
        Unit::Second | Unit::Minute | Unit::Hour => {
            Some((crate::page::i18n::texts().day_month_year)(c.d as u32, month_name(c.mo), c.y))
        }
        Unit::Day | Unit::Week | Unit::Month => Some(c.y.to_string()),
        Unit::Year => None,
    }
}

/// One label of the axis: text drawn from `x` (left edge, in plot pixels) to `x + width`.
#[derive(Debug, Clone, PartialEq)]
pub struct AxisLabel {
    /// The text.
    pub text: String,
    /// Left edge in pixels from the plot's left.
    pub x: f64,
    /// Measured width in pixels.
    pub width: f64,
}

/// The time axis of a scale: tick lines, their labels, and a second row naming the larger unit
/// (the day, or the year) at the left edge and wherever it changes.
#[derive(Debug, Clone, PartialEq)]
pub struct Axis {
    /// The step chosen. None when no step fits the width: then there are no ticks, and the
    /// context row only names the time at the left edge.
    pub step: Option<Step>,
    /// Tick times (UTC ms), increasing.
    pub ticks: Vec<i64>,
    /// Tick labels: within `[0, width]`, left-aligned [`LABEL_PAD_PX`] right of their tick, at
    /// least [`LABEL_GAP_PX`] apart. A tick whose label would cross the right edge has none.
    pub labels: Vec<AxisLabel>,
    /// The larger unit's labels, under the tick labels, laid out by the same rules.
    pub context: Vec<AxisLabel>,
}

/// A conservative width of `text` in a sans-serif font of `font_px` (for measuring without a
/// canvas; wider than system fonts draw digits, letters and punctuation).
pub fn estimate_text_width(text: &str, font_px: f64) -> f64 {
    text.chars()
        .map(|c| match c {
            ' ' | ',' | '.' | ':' => 0.36,
            'M' | 'W' | 'm' | 'w' => 0.95,
            c if c.is_ascii_uppercase() => 0.75,
            _ => 0.62,
        })
        .sum::<f64>()
        * font_px
}

/// Lays out a row of labels (already in order): those crossing the right edge are dropped;
/// false when two overlap. `optional_first`: the first may be dropped to make room.
fn fit_row(row: &mut Vec<AxisLabel>, width: f64, optional_first: bool) -> bool {
    row.retain(|l| l.x >= 0.0 && l.x + l.width <= width);
    if optional_first && row.len() >= 2 && row[0].x + row[0].width + LABEL_GAP_PX > row[1].x {
        row.remove(0);
    }
    row.windows(2).all(|w| w[0].x + w[0].width + LABEL_GAP_PX <= w[1].x)
}

/// The axis of `scale` in `zone`, measuring text with `measure`: the finest step of [`STEPS`]
/// whose ticks are nominally at least [`MIN_TICK_PX`] apart and whose labels fit without
/// overlapping.
pub fn axis(scale: &TimeScale, zone: Zone<'_>, measure: &dyn Fn(&str) -> f64) -> Axis {
    let none = Axis { step: None, ticks: Vec::new(), labels: Vec::new(), context: Vec::new() };
    let (width, span) = (scale.width_px, scale.span_ms());
    if !(span.is_finite() && span > 0.0 && width.is_finite()) {
        return none;
    }
    let start = scale.start_ms.ceil().clamp(FIRST_MS as f64, LAST_MS as f64) as i64;
    let end = scale.end_ms.floor().clamp(FIRST_MS as f64, LAST_MS as f64) as i64;
    if start > end {
        return none;
    }
    let x_of = |t: i64| scale.x_of(t as f64);
    for step in STEPS {
        if (step.nominal_ms() as f64) / span * width < MIN_TICK_PX {
            continue;
        }
        let Some(ticks) = ticks_of(start, end, step, zone, MAX_TICKS) else { continue };
        let wall = |t: i64| civil(t + offset_ms(zone, t));
        let label = |text: String, x: f64| AxisLabel { width: measure(&text), text, x };
        let mut labels: Vec<AxisLabel> =
            ticks.iter().map(|&t| label(primary_label(&wall(t), step.unit), x_of(t) + LABEL_PAD_PX)).collect();
        if !fit_row(&mut labels, width, false) || labels.is_empty() {
            continue;
        }
        let mut context = Vec::new();
        let first = wall(start);
        let mut shown = context_label(&first, step.unit);
        if let Some(text) = shown.clone() {
            context.push(label(text, LABEL_PAD_PX));
        }
        for &t in &ticks {
            let here = context_label(&wall(t), step.unit);
            if here != shown {
                if let Some(text) = here.clone() {
                    context.push(label(text, x_of(t) + LABEL_PAD_PX));
                }
                shown = here;
            }
        }
        if !fit_row(&mut context, width, true) {
            continue;
        }
        return Axis { step: Some(step), ticks, labels, context };
    }
    // No step fits (a span of a second or two in a narrow plot): name the time at the left
    // edge, as fully as fits.
    let c = civil(start + offset_ms(zone, start));
    let time = format!("{:02}:{:02}:{:02}", c.h, c.mi, c.s);
    let full = format!("{} {}, {} {time}", month_name(c.mo), c.d, c.y);
    let edge = [full, time]
        .into_iter()
        .map(|text| AxisLabel { width: measure(&text), text, x: LABEL_PAD_PX })
        .find(|l| l.x + l.width <= width);
    Axis { context: edge.into_iter().collect(), ..none }
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
    fn pan_moves_by_pixels() {
        let s = TimeScale::new(0.0, 3_600_000.0, 600.0);
        assert_eq!(s.pan(60.0).start_ms, 360_000.0);
    }

    #[test]
    fn visible_rows_windows_the_list() {
        assert_eq!(visible_rows(0.0, 100.0, 20.0, 1000, 2), 0..8);
        assert_eq!(visible_rows(2000.0, 100.0, 20.0, 1000, 2), 98..108);
        assert_eq!(visible_rows(1e9, 100.0, 20.0, 10, 2), 10..10);
        assert_eq!(visible_rows(0.0, 100.0, 20.0, 0, 2), 0..0);
    }

    use tunnelscope_core::time::{format_rfc3339, parse_time_ms};

    fn ms(s: &str) -> i64 {
        parse_time_ms(s).expect("a test time")
    }

    fn utc(_: i64) -> i32 {
        0
    }

    fn india(_: i64) -> i32 {
        330
    }

    fn nepal(_: i64) -> i32 {
        345
    }

    /// Central European time with 2026's summer time (29 March to 25 October, 01:00 UTC).
    fn berlin(t: i64) -> i32 {
        let summer = days_from_civil(2026, 3, 29) * DAY + HOUR..days_from_civil(2026, 10, 25) * DAY + HOUR;
        if summer.contains(&t) { 120 } else { 60 }
    }

    /// Brazil-like: -02:00 in (southern) summer until 2026-02-22 02:00 UTC, then -03:00.
    fn santiago(t: i64) -> i32 {
        if t < days_from_civil(2026, 2, 22) * DAY + 2 * HOUR { -120 } else { -180 }
    }

    fn est(s: &str) -> f64 {
        estimate_text_width(s, 12.0)
    }

    fn axis_of(from: &str, to: &str, width: f64, zone: Zone<'_>) -> Axis {
        let a = axis(&TimeScale::new(ms(from) as f64, ms(to) as f64, width), zone, &est);
        check(&a, &TimeScale::new(ms(from) as f64, ms(to) as f64, width), zone, &format!("{from}..{to} @{width}"));
        a
    }

    fn texts(labels: &[AxisLabel]) -> Vec<&str> {
        labels.iter().map(|l| l.text.as_str()).collect()
    }

    /// What every axis promises: ticks increasing, inside the range and on round boundaries of
    /// the zone's wall clock; labels inside the width, next to a tick (context: or at the left
    /// edge), measured, and never overlapping within a row.
    fn check(a: &Axis, s: &TimeScale, zone: Zone<'_>, what: &str) {
        let Some(step) = a.step else {
            assert!(a.ticks.is_empty() && a.labels.is_empty() && a.context.len() == 1, "{what}: {a:?}");
            let edge = &a.context[0];
            assert!(edge.x == LABEL_PAD_PX && edge.x + edge.width <= s.width_px, "{what}: {edge:?}");
            return;
        };
        assert!(a.ticks.windows(2).all(|w| w[0] < w[1]), "{what}: ticks increase: {:?}", a.ticks);
        for &t in &a.ticks {
            assert!(s.start_ms <= t as f64 && t as f64 <= s.end_ms, "{what}: tick {t} outside");
            let wall = t + i64::from(zone(t)) * MIN;
            assert!(step.is_boundary(wall), "{what}: {} is no {step:?} boundary", format_rfc3339(wall));
        }
        // A step is at most a third shorter than nominal (a short month, a clock change).
        for w in a.ticks.windows(2) {
            assert!(s.x_of(w[1] as f64) - s.x_of(w[0] as f64) >= MIN_TICK_PX * 2.0 / 3.0, "{what}: ticks too close");
        }
        let at_tick = |x: f64| a.ticks.iter().any(|&t| (s.x_of(t as f64) + LABEL_PAD_PX - x).abs() < 1e-6);
        assert!(a.labels.iter().all(|l| at_tick(l.x)), "{what}: labels sit at their ticks");
        assert!(a.context.iter().skip(1).all(|l| at_tick(l.x)), "{what}: context labels sit at ticks");
        assert!(a.context.first().is_none_or(|l| at_tick(l.x) || l.x == LABEL_PAD_PX), "{what}");
        for row in [&a.labels, &a.context] {
            for l in row.iter() {
                assert_eq!(l.width, est(&l.text), "{what}: measured");
                assert!(l.x >= 0.0 && l.x + l.width <= s.width_px, "{what}: {:?} clipped at {}", l, s.width_px);
            }
            for w in row.windows(2) {
                assert!(w[0].x + w[0].width + LABEL_GAP_PX <= w[1].x, "{what}: {:?} overlaps {:?}", w[0], w[1]);
            }
        }
        assert!(!a.labels.is_empty(), "{what}: something is labelled");
        if s.width_px >= 300.0 {
            assert!(a.ticks.len() >= 2 || s.span_ms() < 2.0 * step.nominal_ms() as f64, "{what}: {:?}", a.ticks);
        }
    }

    #[test]
    fn civil_dates_agree_with_the_core_formatter() {
        let mut d = days_from_civil(1, 1, 1);
        while d < days_from_civil(9999, 12, 31) {
            let (y, m, dd) = civil_from_days(d);
            assert_eq!(days_from_civil(y, m, dd), d);
            assert_eq!(format_rfc3339(d * DAY)[..10], format!("{y:04}-{m:02}-{dd:02}"));
            d += 97;
        }
    }

    #[test]
    fn calendar_steps_fall_on_calendar_boundaries() {
        let zone: Zone<'_> = &utc;
        let at = |step: Step, from: &str, to: &str| -> Vec<String> {
            ticks_of(ms(from), ms(to), step, zone, 100)
                .expect("few ticks")
                .into_iter()
                .map(|t| format_rfc3339(t).replace("T00:00:00Z", ""))
                .collect()
        };
        assert_eq!(
            at(step(Unit::Month, 3), "2025-11-20T00:00:00Z", "2026-11-01T00:00:00Z"),
            ["2026-01-01", "2026-04-01", "2026-07-01", "2026-10-01"]
        );
        assert_eq!(
            at(step(Unit::Month, 1), "2024-01-31T00:00:00Z", "2024-04-01T00:00:00Z"),
            ["2024-02-01", "2024-03-01", "2024-04-01"]
        );
        // Mondays.
        assert_eq!(
            at(step(Unit::Week, 1), "2026-09-30T12:00:00Z", "2026-10-20T00:00:00Z"),
            ["2026-10-05", "2026-10-12", "2026-10-19"]
        );
        assert_eq!(
            at(step(Unit::Year, 5), "2011-06-01T00:00:00Z", "2031-01-01T00:00:00Z"),
            ["2015-01-01", "2020-01-01", "2025-01-01", "2030-01-01"]
        );
        assert_eq!(
            at(step(Unit::Hour, 6), "2026-10-01T05:59:59Z", "2026-10-01T18:00:00Z"),
            ["2026-10-01T06:00:00Z", "2026-10-01T12:00:00Z", "2026-10-01T18:00:00Z"]
        );
        assert_eq!(
            at(step(Unit::Second, 15), "2026-10-01T10:30:01Z", "2026-10-01T10:31:00Z"),
            ["2026-10-01T10:30:15Z", "2026-10-01T10:30:30Z", "2026-10-01T10:30:45Z", "2026-10-01T10:31:00Z"]
        );
        // Before the epoch too.
        assert_eq!(
            at(step(Unit::Day, 1), "1969-12-30T12:00:00Z", "1970-01-01T00:00:00Z"),
            ["1969-12-31", "1970-01-01"]
        );
        assert_eq!(ticks_of(0, 10 * DAY, step(Unit::Second, 1), zone, 100), None, "bounded");
    }

    #[test]
    fn the_scale_decides_the_unit_and_labels_say_what_changes() {
        let u: Zone<'_> = &utc;
        let step_of = |a: &Axis| a.step.map(|s| (s.unit, s.count));
        // Six years over 1200 px: half years, the year under each January (the range starts
        // in December 2013, too close to the first January to say 2013 too; the last
        // January's year would cross the right edge).
        let a = axis_of("2013-12-21T00:00:00Z", "2020-02-21T00:00:00Z", 1200.0, u);
        assert_eq!(step_of(&a), Some((Unit::Month, 6)));
        assert_eq!(texts(&a.labels)[..4], ["Jan", "Jul", "Jan", "Jul"]);
        assert_eq!(texts(&a.context), ["2014", "2015", "2016", "2017", "2018", "2019"]);
        // Over 2000 px: quarters.
        let a = axis_of("2013-12-21T00:00:00Z", "2020-02-21T00:00:00Z", 2000.0, u);
        assert_eq!(step_of(&a), Some((Unit::Month, 3)));
        assert_eq!(texts(&a.labels)[..5], ["Jan", "Apr", "Jul", "Oct", "Jan"]);
        // Over 300 px: years alone; the last tick's label would be cut off, so it has none.
        let a = axis_of("2013-12-21T00:00:00Z", "2020-02-21T00:00:00Z", 300.0, u);
        assert_eq!(step_of(&a), Some((Unit::Year, 1)));
        assert_eq!(texts(&a.labels), ["2014", "2015", "2016", "2017", "2018", "2019"]);
        assert_eq!((a.ticks.len(), a.context.len()), (7, 0));
        // A month: every other day, or Mondays in 300 px; the year once.
        let a = axis_of("2026-10-01T00:00:00Z", "2026-10-31T00:00:00Z", 1000.0, u);
        assert_eq!(step_of(&a), Some((Unit::Day, 2)));
        assert_eq!(texts(&a.labels)[..3], ["Oct 2", "Oct 4", "Oct 6"]);
        assert_eq!(texts(&a.context), ["2026"]);
        let a = axis_of("2026-10-01T00:00:00Z", "2026-10-31T00:00:00Z", 300.0, u);
        assert_eq!(step_of(&a), Some((Unit::Week, 1)));
        assert_eq!(texts(&a.labels), ["Oct 5", "Oct 12", "Oct 19", "Oct 26"]);
        // Two days: every 3 hours; the date under each midnight.
        let a = axis_of("2026-10-02T20:00:00Z", "2026-10-04T20:00:00Z", 1000.0, u);
        assert_eq!(step_of(&a), Some((Unit::Hour, 3)));
        assert_eq!(texts(&a.labels)[..3], ["21:00", "00:00", "03:00"]);
        assert_eq!(texts(&a.context), ["Oct 3, 2026", "Oct 4, 2026"]);
        // An hour: 5 minutes; the date at the left edge.
        let a = axis_of("2026-10-03T10:00:00Z", "2026-10-03T11:00:00Z", 800.0, u);
        assert_eq!(step_of(&a), Some((Unit::Minute, 5)));
        assert_eq!(texts(&a.labels)[..3], ["10:00", "10:05", "10:10"]);
        assert_eq!(texts(&a.context), ["Oct 3, 2026"]);
        assert_eq!(a.context[0].x, LABEL_PAD_PX);
        // A minute: 5 seconds.
        let a = axis_of("2026-10-03T10:30:00Z", "2026-10-03T10:31:00Z", 800.0, u);
        assert_eq!(step_of(&a), Some((Unit::Second, 5)));
        assert_eq!(texts(&a.labels)[..3], ["10:30:00", "10:30:05", "10:30:10"]);
        // Three seconds: every second.
        let a = axis_of("2026-10-03T10:30:00Z", "2026-10-03T10:30:03Z", 600.0, u);
        assert_eq!(step_of(&a), Some((Unit::Second, 1)));
        assert_eq!(texts(&a.labels), ["10:30:00", "10:30:01", "10:30:02"]);
    }

    #[test]
    fn a_second_in_a_narrow_plot_still_says_when() {
        // Zoomed in to the last second of a minute at 200 px: the only tick (10:31:00) is too
        // near the right edge for its label, so the left edge is named instead.
        let s =
            TimeScale::new(ms("2026-10-03T10:30:59Z") as f64 + 100.0, ms("2026-10-03T10:31:00Z") as f64 + 100.0, 200.0);
        let a = axis(&s, &utc, &est);
        check(&a, &s, &utc, "one second");
        assert_eq!((a.step, texts(&a.context)), (None, vec!["Oct 3, 2026 10:30:59"]));
        let narrow = TimeScale::new(s.start_ms, s.end_ms, 100.0);
        assert_eq!(texts(&axis(&narrow, &utc, &est).context), ["10:30:59"]);
    }

    #[test]
    fn local_time_ticks_fall_on_local_boundaries() {
        let utc_texts = |a: &Axis| a.ticks.iter().map(|&t| format_rfc3339(t)).collect::<Vec<_>>();
        // India (+05:30): local hours are at half past in UTC, and are labelled in local time.
        let a = axis_of("2026-10-03T10:00:00Z", "2026-10-03T22:00:00Z", 800.0, &india);
        assert_eq!(a.step, Some(step(Unit::Hour, 1)));
        assert!(utc_texts(&a).iter().all(|t| t.ends_with(":30:00Z")), "{:?}", utc_texts(&a));
        assert_eq!(texts(&a.labels)[..2], ["16:00", "17:00"]);
        assert_eq!(texts(&a.context), ["Oct 3, 2026", "Oct 4, 2026"]);
        // Nepal (+05:45): half hours at a quarter past and a quarter to.
        let a = axis_of("2026-10-03T10:00:00Z", "2026-10-03T16:00:00Z", 800.0, &nepal);
        assert_eq!(a.step, Some(step(Unit::Minute, 30)));
        assert!(utc_texts(&a).iter().all(|t| t.ends_with(":15:00Z") || t.ends_with(":45:00Z")));
        assert_eq!(texts(&a.labels)[..2], ["16:00", "16:30"]);
        // Days start at local midnight: 18:30 UTC the day before.
        let a = axis_of("2026-10-01T00:00:00Z", "2026-10-08T00:00:00Z", 300.0, &india);
        assert_eq!(a.step, Some(step(Unit::Day, 2)));
        assert!(utc_texts(&a).iter().all(|t| t.ends_with("T18:30:00Z")), "{:?}", utc_texts(&a));
        assert_eq!(texts(&a.labels)[0], "Oct 2");
        // Summer time ends: midnights on both sides of the change are local midnights (22:00
        // UTC in summer, 23:00 in winter), and so are the noons.
        let a = axis_of("2026-10-22T00:00:00Z", "2026-10-28T00:00:00Z", 900.0, &berlin);
        assert_eq!(a.step, Some(step(Unit::Hour, 12)));
        let got = utc_texts(&a);
        assert_eq!(
            got[4..8],
            ["2026-10-24T10:00:00Z", "2026-10-24T22:00:00Z", "2026-10-25T11:00:00Z", "2026-10-25T23:00:00Z"]
        );
        assert_eq!(texts(&a.labels)[4..8], ["12:00", "00:00", "12:00", "00:00"]);
        // Hour by hour through the change: 02:00 is read twice, each an hour apart.
        let hours = ticks_of(ms("2026-10-25T00:00:00Z"), ms("2026-10-25T02:00:00Z"), step(Unit::Hour, 1), &berlin, 9);
        let walls: Vec<String> =
            hours.expect("few").into_iter().map(|t| format_rfc3339(t + i64::from(berlin(t)) * MIN)).collect();
        assert_eq!(walls, ["2026-10-25T02:00:00Z", "2026-10-25T02:00:00Z", "2026-10-25T03:00:00Z"]);
        // Summer time starts: 02:00 never happens; the change itself reads 03:00.
        let hours = ticks_of(ms("2026-03-29T00:00:00Z"), ms("2026-03-29T02:00:00Z"), step(Unit::Hour, 1), &berlin, 9);
        let walls: Vec<String> =
            hours.expect("few").into_iter().map(|t| format_rfc3339(t + i64::from(berlin(t)) * MIN)).collect();
        assert_eq!(walls, ["2026-03-29T01:00:00Z", "2026-03-29T03:00:00Z", "2026-03-29T04:00:00Z"]);
    }

    #[test]
    fn no_overlap_no_clipping_on_boundaries_at_every_zoom_and_width() {
        let zones: [(&str, Zone<'_>); 5] =
            [("utc", &utc), ("india", &india), ("nepal", &nepal), ("berlin", &berlin), ("santiago", &santiago)];
        let anchors = [
            ms("2013-12-21T00:00:00Z"),
            ms("2026-02-22T01:17:43Z"),
            ms("2026-03-29T00:30:00Z") + 123,
            ms("2026-10-24T23:59:59Z"),
            ms("1969-12-31T22:00:00Z"),
        ];
        let mut n = 0;
        for (name, zone) in zones {
            for &start in &anchors {
                let mut span = 1_000.0f64;
                while span < 80.0 * 365.0 * DAY as f64 {
                    for width in (160..=2000).step_by(46) {
                        let s = TimeScale::new(start as f64, start as f64 + span, f64::from(width));
                        let a = axis(&s, zone, &est);
                        check(&a, &s, zone, &format!("{name} {} +{span} ms @{width}", format_rfc3339(start)));
                        n += 1;
                    }
                    span *= 1.45;
                }
            }
        }
        assert!(n > 10_000, "{n}");
    }
}
