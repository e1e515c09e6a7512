//! Sessions and findings on the timeline: the zoom rule that opens sessions into their
//! tunnels, and where session bars and finding marks lie (shared by drawing and hit testing).
//!
//! The zoom rule ([`view_mode`]): sessions open into tunnels once at most [`OPEN_SPAN_MS`]
//! (2 hours) is in view and the tunnels of a session can be told apart there: the median
//! on-screen gap between successive tunnel starts of one session (over the tunnels starting in
//! view, each measured from its session's previous tunnel) is at least [`OPEN_GAP_PX`]. When
//! no tunnel in view follows another of its session, the span alone decides. So a whole day
//! shows sessions however sparse, and a burst of tunnels stays one bar until it spreads out.
//! Lanes without sessions always show tunnels, and so does the whole timeline when no lane
//! has any.

use tunnelscope_core::findings::Severity;
use tunnelscope_core::views::insight::FindingMark;
use tunnelscope_core::views::{Lane, SessionMark};

use crate::page::fmt::visible;
use crate::page::time_scale::TimeScale;

/// Sessions open into tunnels when their tunnels' starts are at least this far apart on
/// screen (median): a start mark is 3 px wide and a cross 8 px, so 10 px keeps them apart.
pub(super) const OPEN_GAP_PX: f64 = 10.0;
/// Sessions open only with this visible span or less.
pub(super) const OPEN_SPAN_MS: f64 = 2.0 * 3_600_000.0;
/// A finding mark is at least this wide.
pub(super) const MIN_FINDING_W: f64 = 4.0;
/// Findings that overlap in time stack into at most this many sub-rows of the strip.
pub(super) const MAX_FINDING_ROWS: u32 = 6;
/// Pointer slack around session bars and finding marks.
const SLACK_PX: f64 = 3.0;

/// What the lanes show.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(super) enum Mode {
    /// One bar per session, a tick per tunnel.
    Sessions,
    /// Every tunnel in its own sub-row (the lanes' `rows`).
    Tunnels,
}

impl Mode {
    /// `sessions` or `tunnels`, the section's `data-mode`.
    pub(super) fn as_str(self) -> &'static str {
        match self {
            Self::Sessions => "sessions",
            Self::Tunnels => "tunnels",
        }
    }
}

/// Whether `lane` draws its sessions in `mode` (a lane without sessions draws its tunnels).
pub(super) fn shows_sessions(lane: &Lane, mode: Mode) -> bool {
    mode == Mode::Sessions && !lane.sessions.is_empty()
}

/// The lane's sub-rows in `mode` (at least 1).
pub(super) fn lane_rows(lane: &Lane, mode: Mode) -> u32 {
    if shows_sessions(lane, mode) { lane.session_rows.max(1) } else { lane.rows.max(1) }
}

/// The mode for these lanes at this zoom (see the module's documentation).
pub(super) fn view_mode(lanes: &[Lane], scale: &TimeScale) -> Mode {
    if lanes.iter().all(|l| l.sessions.is_empty()) {
        return Mode::Tunnels;
    }
    if scale.span_ms() > OPEN_SPAN_MS {
        return Mode::Sessions;
    }
    let (lo, hi) = (scale.start_ms, scale.end_ms);
    let px_per_ms = scale.width_px / scale.span_ms().max(1.0);
    let mut gaps: Vec<f64> = Vec::new();
    let mut last: Vec<Option<i64>> = Vec::new();
    for lane in lanes {
        last.clear();
        last.resize(lane.sessions.len(), None);
        // Marks are sorted by start, so each is compared with its session's previous one.
        for m in &lane.marks {
            let Some(prev) = last.get_mut(m.session as usize) else { continue };
            if let Some(p) = *prev {
                let t = m.start_ms as f64;
                if lo <= t && t <= hi {
                    gaps.push((m.start_ms - p) as f64 * px_per_ms);
                }
            }
            *prev = Some(m.start_ms);
        }
    }
    let open = if gaps.is_empty() {
        true
    } else {
        let mid = gaps.len() / 2;
        let (_, median, _) = gaps.select_nth_unstable_by(mid, f64::total_cmp);
        *median >= OPEN_GAP_PX
    };
    if open { Mode::Tunnels } else { Mode::Sessions }
}

/// A session's bar in plot pixels: start, last tunnel's start, latest possible end.
pub(super) fn session_xs(s: &SessionMark, scale: &TimeScale) -> (f64, f64, f64) {
    let x = |t: i64| scale.x_of(t as f64);
    let last = s.last_start_ms.max(s.start_ms);
    (x(s.start_ms), x(last), x(s.end_ms.max(last)))
}

/// Whether the session is at least partly in view.
pub(super) fn session_in_view(s: &SessionMark, scale: &TimeScale) -> bool {
    (s.end_ms.max(s.last_start_ms) as f64) >= scale.start_ms && (s.start_ms as f64) <= scale.end_ms
}

/// The session bar under plot x in session sub-row `sub_row`: the latest-starting one whose
/// bar (with a few px of slack) covers x.
pub(super) fn hit_session<'a>(lane: &'a Lane, sub_row: u32, scale: &TimeScale, x: f64) -> Option<&'a SessionMark> {
    lane.sessions.iter().rev().filter(|s| s.row == sub_row).find(|s| {
        let (x0, _, x2) = session_xs(s, scale);
        x0 - SLACK_PX <= x && x <= x2 + SLACK_PX
    })
}

/// A finding's mark in plot pixels, at least [`MIN_FINDING_W`] wide (centred on its span).
pub(super) fn finding_xs(f: &FindingMark, scale: &TimeScale) -> (f64, f64) {
    let (a, b) = (scale.x_of(f.first_ms as f64), scale.x_of(f.last_ms.max(f.first_ms) as f64));
    let grow = (MIN_FINDING_W - (b - a)).max(0.0) / 2.0;
    (a - grow, b + grow)
}

/// Stacks findings into sub-rows of the strip as the core packs tunnels: by first time, each
/// in the first sub-row free by then, at most `max_rows` (then the one that frees first).
/// Returns each finding's sub-row, in the given order, and the number of sub-rows (at least 1).
pub(super) fn pack_findings(marks: &[FindingMark], max_rows: u32) -> (Vec<u32>, u32) {
    let mut order: Vec<usize> = (0..marks.len()).collect();
    order.sort_by_key(|&k| (marks[k].first_ms, k));
    let mut rows = vec![0u32; marks.len()];
    let mut ends: Vec<i64> = Vec::new();
    for k in order {
        let f = &marks[k];
        let row = match ends.iter().position(|&e| e < f.first_ms) {
            Some(r) => r,
            None if ends.len() < max_rows.max(1) as usize => {
                ends.push(i64::MIN);
                ends.len() - 1
            }
            None => ends.iter().enumerate().min_by_key(|&(i, &e)| (e, i)).map_or(0, |(i, _)| i),
        };
        ends[row] = ends[row].max(f.last_ms.max(f.first_ms));
        rows[k] = row as u32;
    }
    (rows, ends.len().max(1) as u32)
}

/// The finding mark under plot x in sub-row `sub_row` (`rows` from [`pack_findings`]): the
/// most severe one covering it, with some slack.
pub(super) fn hit_finding<'a>(
    marks: &'a [FindingMark],
    rows: &[u32],
    sub_row: u32,
    scale: &TimeScale,
    x: f64,
) -> Option<&'a FindingMark> {
    let mut hits = marks.iter().zip(rows).filter(|&(_, &r)| r == sub_row).map(|(f, _)| f).filter(|f| {
        let (a, b) = finding_xs(f, scale);
        a - SLACK_PX / 2.0 <= x && x <= b + SLACK_PX / 2.0
    });
    let first = hits.next()?;
    // The most severe wins (it is drawn on top); among equals the first in the list.
    Some(hits.fold(first, |best, f| if f.severity > best.severity { f } else { best }))
}

/// `rule (severity): explanation`.
pub(super) fn finding_tooltip(f: &FindingMark) -> String {
    let t = crate::page::i18n::texts();
    let said = if f.said.rule == f.rule { (t.explain)(&f.said) } else { f.explanation.clone() };
    format!("{} ({}): {}", visible(&f.rule), (t.severity)(f.severity.as_str()), visible(&said))
}

/// The finding marks (with their sub-rows) in drawing order: least severe first, so the most
/// severe end on top (and among equals the first in the list, as [`hit_finding`] picks).
pub(super) fn drawing_order<'a>(marks: &'a [FindingMark], rows: &[u32]) -> Vec<(&'a FindingMark, u32)> {
    let mut v: Vec<(&FindingMark, u32)> = marks.iter().zip(rows.iter().copied()).rev().collect();
    v.sort_by_key(|(f, _)| f.severity);
    v
}

/// Severity's rank for colours (high, medium, low, info).
pub(super) fn severity_rank(s: Severity) -> usize {
    match s {
        Severity::High => 0,
        Severity::Medium => 1,
        Severity::Low => 2,
        Severity::Info => 3,
    }
}

#[cfg(test)]
mod tests {
    use tunnelscope_core::views::TunnelMark;

    use super::*;

    const MIN: i64 = 60_000;

    fn tunnel(id: &str, start: i64, session: u32) -> TunnelMark {
        TunnelMark { event_id: id.into(), start_ms: start, end_ms: start + 60 * MIN, session, ..TunnelMark::default() }
    }

    fn session(id: &str, start: i64, last: i64, end: i64, row: u32) -> SessionMark {
        SessionMark {
            session_id: id.into(),
            start_ms: start,
            last_start_ms: last,
            end_ms: end,
            row,
            ..SessionMark::default()
        }
    }

    /// One lane: session "a" with tunnels every 5 minutes from 0 to 20 min, session "b" (row 1)
    /// with one tunnel at 30 min.
    fn lane() -> Lane {
        let marks = vec![
            tunnel("a0", 0, 0),
            tunnel("a1", 5 * MIN, 0),
            tunnel("a2", 10 * MIN, 0),
            tunnel("a3", 15 * MIN, 0),
            tunnel("a4", 20 * MIN, 0),
            tunnel("b0", 30 * MIN, 1),
        ];
        let sessions = vec![session("a0", 0, 20 * MIN, 80 * MIN, 0), session("b0", 30 * MIN, 30 * MIN, 90 * MIN, 1)];
        Lane { key: "k".into(), label: "k".into(), marks, rows: 6, session_rows: 2, sessions, ..Lane::default() }
    }

    #[test]
    fn sessions_open_within_two_hours_once_their_tunnels_are_ten_px_apart() {
        let lanes = [lane()];
        // 5 minutes apart: 10 px at 2 px a minute, 9.9 px just under it.
        let at = |px_per_min: f64, span_min: f64| {
            view_mode(&lanes, &TimeScale::new(0.0, span_min * MIN as f64, span_min * px_per_min))
        };
        assert_eq!(at(2.0, 100.0), Mode::Tunnels);
        assert_eq!(at(1.98, 100.0), Mode::Sessions);
        // More than two hours in view: sessions, however far apart the tunnels.
        assert_eq!(at(20.0, 121.0), Mode::Sessions);
        // Only "b0" starts in view (its session has one tunnel): then the span decides.
        let from = |lo: f64, hi: f64, w: f64| view_mode(&lanes, &TimeScale::new(lo, hi, w));
        let after = 25.0 * MIN as f64;
        assert_eq!(from(after, after + OPEN_SPAN_MS, 100.0), Mode::Tunnels);
        assert_eq!(from(after, after + OPEN_SPAN_MS + 1.0, 3000.0), Mode::Sessions);
        // A tunnel in view whose previous one is not still counts its gap: "a4" alone, 5
        // minutes after "a3", is 8.3 px from it at 200 px for two hours.
        assert_eq!(from(19.0 * MIN as f64, 19.0 * MIN as f64 + OPEN_SPAN_MS, 200.0), Mode::Sessions);
        assert_eq!(from(19.0 * MIN as f64, 19.0 * MIN as f64 + OPEN_SPAN_MS, 300.0), Mode::Tunnels);
        // Without sessions there is nothing else to draw.
        let bare = [Lane { sessions: Vec::new(), session_rows: 0, ..lane() }];
        assert_eq!(view_mode(&bare, &TimeScale::new(0.0, 1e12, 100.0)), Mode::Tunnels);
    }

    #[test]
    fn lane_rows_follow_the_mode() {
        let l = lane();
        assert_eq!((lane_rows(&l, Mode::Sessions), lane_rows(&l, Mode::Tunnels)), (2, 6));
        let bare = Lane { sessions: Vec::new(), session_rows: 0, ..lane() };
        assert_eq!(lane_rows(&bare, Mode::Sessions), 6);
        assert!(!shows_sessions(&bare, Mode::Sessions));
        assert_eq!(lane_rows(&Lane { session_rows: 0, ..lane() }, Mode::Sessions), 1);
    }

    fn finding(id: &str, severity: Severity, first: i64, last: i64) -> FindingMark {
        FindingMark {
            finding_id: id.into(),
            rule: "r".into(),
            severity,
            first_ms: first,
            last_ms: last,
            explanation: "e".into(),
            said: Default::default(),
        }
    }

    #[test]
    fn findings_stack_into_at_most_the_strip_rows() {
        let marks: Vec<FindingMark> = (0..8).map(|k| finding("f", Severity::Low, k * 10, 1000)).collect();
        let (rows, n) = pack_findings(&marks, MAX_FINDING_ROWS);
        assert_eq!(n, MAX_FINDING_ROWS);
        assert_eq!(rows[..6], [0, 1, 2, 3, 4, 5]);
        // Then a full strip: the sub-row that frees first (all end at 1000: the top one).
        assert_eq!(rows[6..], [0, 0]);
        // An instant right after a finding's end reuses its row; one at its end does not.
        let (rows, n) = pack_findings(
            &[
                finding("a", Severity::High, 0, 10),
                finding("b", Severity::Info, 10, 10),
                finding("c", Severity::Info, 11, 11),
            ],
            6,
        );
        assert_eq!((rows, n), (vec![0, 1, 0], 2));
        assert_eq!(pack_findings(&[], 6), (vec![], 1));
    }

    #[test]
    fn findings_are_at_least_a_few_px_wide_and_the_most_severe_is_hit() {
        let s = TimeScale::new(0.0, 1000.0, 1000.0);
        let marks = vec![finding("h", Severity::High, 500, 500), finding("i", Severity::Info, 100, 600)];
        assert_eq!(finding_xs(&marks[0], &s), (498.0, 502.0));
        assert_eq!(finding_xs(&marks[1], &s), (100.0, 600.0));
        // In one sub-row (as when the strip is full) they overlap.
        let one = [0, 0];
        let id = |x: f64| hit_finding(&marks, &one, 0, &s, x).map(|f| f.finding_id.as_str());
        assert_eq!((id(501.0), id(300.0), id(700.0)), (Some("h"), Some("i"), None));
        // Listed least severe first it still wins.
        let rev: Vec<FindingMark> = marks.iter().rev().cloned().collect();
        assert_eq!(hit_finding(&rev, &one, 0, &s, 499.0).map(|f| f.finding_id.as_str()), Some("h"));
        let order: Vec<&str> = drawing_order(&rev, &one).iter().map(|(f, _)| f.finding_id.as_str()).collect();
        assert_eq!(order, ["i", "h"]);
        // Packed, they take a sub-row each and are hit in their own.
        let (rows, n) = pack_findings(&marks, MAX_FINDING_ROWS);
        assert_eq!((rows.as_slice(), n), ([1, 0].as_slice(), 2));
        assert_eq!(hit_finding(&marks, &rows, 0, &s, 501.0).map(|f| f.finding_id.as_str()), Some("i"));
        assert_eq!(hit_finding(&marks, &rows, 1, &s, 501.0).map(|f| f.finding_id.as_str()), Some("h"));
        assert_eq!(finding_tooltip(&marks[0]), "r (high): e");
    }
}
