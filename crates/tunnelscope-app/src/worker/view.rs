//! The worker's views, details and exports in the protocol's types: the core computes them
//! (`tunnelscope_core::views::page`, `views::raw`, `export::ExportBuilder`); this only maps
//! the messages' fields and adds the profile's marks.

use tunnelscope_core::Dataset;
use tunnelscope_core::export;
use tunnelscope_core::ingest::SpanTexts;
use tunnelscope_core::views::EventDetail;
use tunnelscope_core::views::page::{self, PageSizes};
use tunnelscope_core::views::raw;
pub use tunnelscope_core::views::raw::{NoFiles, RawFile, RawSource};

use crate::protocol::{
    EVENT_WINDOW_ROWS, ExportKind, HISTOGRAM_BUCKETS, SUMMARY_WINDOW_ROWS, View, ViewRequest, WINDOW_ROWS,
};

/// What the worker computes once per load and reuses for every view ([`page::Prepared`]).
#[derive(Debug)]
pub struct Prepared(page::Prepared);

impl Prepared {
    /// Prepares a loaded dataset, with the profile's marks.
    pub fn new(dataset: &Dataset) -> Self {
        Self(page::Prepared::new_marked(dataset, crate::profile::mark))
    }
}

const SIZES: PageSizes = PageSizes {
    rows: WINDOW_ROWS,
    event_rows: EVENT_WINDOW_ROWS,
    histogram_buckets: HISTOGRAM_BUCKETS,
    summary_rows: SUMMARY_WINDOW_ROWS,
};

/// Everything the screen shows for `req` over a prepared `dataset` ([`page::build_page`]).
pub fn build_view(dataset: &Dataset, prep: &Prepared, req: &ViewRequest) -> View {
    View {
        generation: req.generation,
        offset: req.offset,
        event_offset: req.event_offset,
        page: page::build_page(dataset, &prep.0, &req.page, SIZES),
    }
}

/// One event's detail ([`raw::build_detail`]).
pub fn build_detail(
    dataset: &Dataset,
    prep: Option<&Prepared>,
    event_id: &str,
    source: &mut dyn RawSource,
) -> Option<EventDetail> {
    raw::build_detail(dataset, prep.map(|p| &p.0), event_id, source)
}

/// An export of what matches `req` at once: (file name, MIME type, body) ([`export::build_export`]).
pub fn build_export(
    dataset: &Dataset,
    prep: &Prepared,
    k: ExportKind,
    req: &ViewRequest,
    source: &mut dyn RawSource,
) -> (String, String, String) {
    export::build_export(dataset, &prep.0, k, &req.query, req.window, source)
}

/// An export built a step at a time ([`export::ExportBuilder`]).
#[derive(Debug)]
pub struct ExportBuilder(export::ExportBuilder);

impl ExportBuilder {
    /// Starts an export of what matches `req`.
    pub fn new(dataset: &Dataset, prep: &Prepared, k: ExportKind, req: &ViewRequest) -> Self {
        Self(export::ExportBuilder::new(dataset, &prep.0, k, &req.query, req.window))
    }

    /// Events (tunnels for a tunnel export) in the export.
    pub fn total(&self) -> usize {
        self.0.total()
    }

    /// How far it got, out of [`ExportBuilder::total`].
    pub fn done(&self) -> usize {
        self.0.done()
    }

    /// The records to read again from files, each file once.
    pub fn take_files(&mut self) -> Vec<RawFile> {
        self.0.take_files()
    }

    /// The records read again from the `k`-th file [`ExportBuilder::take_files`] gave.
    pub fn put_raws(&mut self, k: usize, texts: SpanTexts) {
        self.0.put_raws(k, texts);
    }

    /// Writes up to `max_rows` more rows; true once every row is written.
    pub fn write(&mut self, dataset: &Dataset, prep: &Prepared, max_rows: usize) -> bool {
        self.0.write(dataset, &prep.0, max_rows)
    }

    /// The export: (file name, MIME type, body).
    pub fn finish(self) -> (String, String, String) {
        self.0.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tunnelscope_core::sample::{SAMPLE_FILE_NAME, sample_trail_json};

    /// The view answers its request's generation and windows; what it shows is the core's page
    /// (its tests: the core's `tests/page.rs`).
    #[test]
    fn the_view_is_the_cores_page_for_its_request() {
        let mut ds = Dataset::new();
        ds.add_file(SAMPLE_FILE_NAME, &sample_trail_json());
        let prep = Prepared::new(&ds);
        let page = page::PageRequest { query: "outcome:failed".into(), offset: 2, ..Default::default() };
        let req = ViewRequest { generation: 7, page };
        let v = build_view(&ds, &prep, &req);
        assert_eq!((v.generation, v.offset, v.stats.tunnels.total), (7, 2, 5));
        let p = page::build_page(&ds, &prep.0, &req.page, SIZES);
        assert_eq!((v.n_events, v.n_tunnel_rows, &v.tunnels), (p.n_events, p.n_tunnel_rows, &p.tunnels));
        let (name, _, csv) = build_export(&ds, &prep, ExportKind::TunnelsCsv, &req, &mut NoFiles);
        assert_eq!((name.as_str(), csv.lines().count()), ("tunnels.csv", 6));
    }
}
