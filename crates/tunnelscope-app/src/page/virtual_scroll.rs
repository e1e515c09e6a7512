//! Virtual scrolling for lists taller than a browser lets an element be: Chromium caps an
//! element's height at 33,554,428 px (Firefox near 17.9 million), so 2,000,000 rows of 24 px
//! cannot each have their own pixel. Up to [`MAX_SCROLL_PX`] the list scrolls one pixel per
//! pixel; beyond it the scroll bar's range is mapped linearly onto the rows, so the top of the
//! bar shows the first row and the bottom the last, and every row in between is reachable.

use std::ops::Range;

/// The tallest scroll area used: well under every browser's cap.
pub const MAX_SCROLL_PX: f64 = 8_000_000.0;

/// Where a list's rows go for one scroll position.
#[derive(Debug, Clone, PartialEq)]
pub struct Layout {
    /// The height of the scroll area (the spacer inside the viewport).
    pub spacer_px: f64,
    /// Rows to render (overscan included).
    pub rows: Range<usize>,
    /// Top of the block holding `rows`, in the spacer's coordinates.
    pub block_top_px: f64,
}

/// Lays out `n_rows` rows of `row_px` in a viewport of `viewport_px` scrolled to `scroll_top_px`,
/// with `overscan` rows beyond each edge.
pub fn layout(scroll_top_px: f64, viewport_px: f64, row_px: f64, n_rows: usize, overscan: usize) -> Layout {
    let content_px = n_rows as f64 * row_px;
    if n_rows == 0 || row_px <= 0.0 {
        return Layout { spacer_px: 0.0, rows: 0..0, block_top_px: 0.0 };
    }
    let spacer_px = content_px.min(MAX_SCROLL_PX);
    let scroll_range = (spacer_px - viewport_px).max(0.0);
    let scroll = scroll_top_px.clamp(0.0, scroll_range);
    // The content's own offset at this scroll position: equal to it while the list fits; past
    // the cap the bar's fraction of its range is the content's fraction of its range.
    let content_range = (content_px - viewport_px).max(0.0);
    let virtual_top =
        if content_px <= MAX_SCROLL_PX || scroll_range == 0.0 { scroll } else { scroll / scroll_range * content_range };
    let first = ((virtual_top / row_px).floor() as usize).min(n_rows - 1);
    let count = (viewport_px / row_px).ceil() as usize + 1;
    let start = first.saturating_sub(overscan);
    let end = (first + count + overscan).min(n_rows);
    // Row `first` sits where it would in the whole content, relative to the viewport's top.
    let first_top = scroll - (virtual_top - first as f64 * row_px);
    Layout { spacer_px, rows: start..end, block_top_px: first_top - (first - start) as f64 * row_px }
}

/// The scroll position that shows row `index` at the viewport's top (for keyboard moves).
pub fn scroll_for_row(index: usize, viewport_px: f64, row_px: f64, n_rows: usize) -> f64 {
    let content_px = n_rows as f64 * row_px;
    let spacer_px = content_px.min(MAX_SCROLL_PX);
    let scroll_range = (spacer_px - viewport_px).max(0.0);
    let content_range = (content_px - viewport_px).max(0.0);
    let target = (index as f64 * row_px).min(content_range);
    if content_px <= MAX_SCROLL_PX || content_range == 0.0 { target } else { target / content_range * scroll_range }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ROW: f64 = 24.0;
    const VIEW: f64 = 432.0;

    /// The rows whose box intersects the viewport, by the layout's own placement.
    fn on_screen(l: &Layout, scroll: f64) -> Vec<usize> {
        l.rows
            .clone()
            .filter(|&i| {
                let top = l.block_top_px + (i - l.rows.start) as f64 * ROW - scroll;
                top + ROW > 0.0 && top < VIEW
            })
            .collect()
    }

    #[test]
    fn small_lists_scroll_pixel_for_pixel() {
        let l = layout(2400.0, VIEW, ROW, 1000, 2);
        assert_eq!(l.spacer_px, 24_000.0);
        assert_eq!(l.rows, 98..121);
        assert_eq!(l.block_top_px, 98.0 * ROW);
        assert_eq!(layout(0.0, VIEW, ROW, 0, 2).rows, 0..0);
    }

    #[test]
    fn every_row_of_two_million_can_be_reached() {
        let n = 2_000_000;
        let l = layout(0.0, VIEW, ROW, n, 0);
        assert_eq!(l.spacer_px, MAX_SCROLL_PX, "capped, far below Chromium's 33,554,428 px");
        // The bottom of the bar shows the last row, fully.
        let bottom = l.spacer_px - VIEW;
        let end = layout(bottom, VIEW, ROW, n, 0);
        assert_eq!(on_screen(&end, bottom).last(), Some(&(n - 1)));
        let last_top = end.block_top_px + (n - 1 - end.rows.start) as f64 * ROW - bottom;
        assert!((last_top + ROW - VIEW).abs() < 1e-6, "the last row ends at the viewport's bottom: {last_top}");
        // Any row is shown by the scroll position made for it.
        for index in [0, 1, 17, 999_999, 1_400_000, 1_999_981, n - 1] {
            let s = scroll_for_row(index, VIEW, ROW, n);
            let shown = on_screen(&layout(s, VIEW, ROW, n, 2), s);
            assert!(shown.contains(&index), "row {index} at scroll {s}: {shown:?}");
        }
    }

    #[test]
    fn rows_never_overlap_or_leave_gaps() {
        for n in [10, 5_000, 400_000, 2_000_000] {
            let l0 = layout(0.0, VIEW, ROW, n, 0);
            let range = (l0.spacer_px - VIEW).max(0.0);
            for k in 0..=50 {
                let s = range * f64::from(k) / 50.0;
                let shown = on_screen(&layout(s, VIEW, ROW, n, 3), s);
                let want = (VIEW / ROW).ceil() as usize;
                assert!(shown.len() >= want.min(n), "n {n} scroll {s}: {shown:?}");
                assert!(shown.windows(2).all(|w| w[1] == w[0] + 1), "consecutive rows");
            }
        }
    }
}
