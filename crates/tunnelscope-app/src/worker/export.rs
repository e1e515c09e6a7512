//! The owner's exports: the matching rows fixed at the start, the raw records the dataset
//! dropped read again from their files, the document written a few thousand rows a step.

use tunnelscope_core::ingest::SpanTexts;
use web_sys::File;

use crate::protocol::{ExportBody, ExportKind, Response, ViewRequest};
use crate::worker::engine::Engine;
use crate::worker::profile;
use crate::worker::progress::{ExportCounter, Throttle};
use crate::worker::raw_source::read_spans_async;
use crate::worker::read::{Prefetch, yield_due};
use crate::worker::view::ExportBuilder;

/// Rows an export writes in one step (a few ms), between which the worker may yield.
const EXPORT_ROWS_PER_STEP: usize = 2_000;

/// The owner: makes an export ([`ExportBuilder`]). What matches is fixed at the start; the raw
/// records the dataset dropped are read again from their files, each file once and in one
/// pass ([`read_spans_async`]); the document is written [`EXPORT_ROWS_PER_STEP`] rows at a
/// time. Yields every `YIELD_INTERVAL_MS`, so views, details and a `CancelExport` are
/// answered meanwhile; posts its progress at most every `PROGRESS_INTERVAL_MS`; ends with
/// `Export`, or `ExportCancelled` when cancelled or when the dataset was cleared meanwhile.
pub(super) async fn run_export(engine: &Engine, export_id: u64, kind: ExportKind, view: &ViewRequest) {
    profile::mark("owner: export starts");
    let export = {
        let mut guard = engine.holdings.borrow_mut();
        guard.prepared();
        let s = &*guard;
        s.prepared.as_ref().map(|prep| ExportBuilder::new(&s.dataset, prep, kind, view))
    };
    let Some(mut export) = export else {
        // Cannot happen (just prepared); still, the page must not wait for it forever.
        engine.post(&Response::ExportCancelled { export_id });
        return;
    };
    let mut counter = ExportCounter { export_id, total: export.total() as u64, throttle: Throttle::NEW };
    counter.post(engine, export.done(), true);
    let mut last_yield = js_sys::Date::now();
    let files = export.take_files();
    let handles: Vec<Option<File>> = {
        let s = engine.holdings.borrow();
        files.iter().map(|f| s.files.get(&f.name)).collect()
    };
    let present: Vec<File> = handles.iter().flatten().cloned().collect();
    // Small files asked for ahead, as when loading (a folder of many small trail files).
    let mut ahead = Prefetch::new(&present, (0..present.len()).collect());
    let mut position = 0;
    let cancelled = 'run: {
        for (k, (file, handle)) in files.iter().zip(&handles).enumerate() {
            let texts = match handle {
                Some(handle) => {
                    let whole = ahead.take(position);
                    position += 1;
                    let member = file.name.split_once("!/").map(|(_, m)| m);
                    let base = export.done();
                    let pause = async |taken: usize| {
                        counter.post(engine, base + taken, false);
                        yield_due(engine, &mut last_yield).await
                    };
                    match read_spans_async(handle, member, &file.spans, whole, pause).await {
                        Some(texts) => texts,
                        None => break 'run true,
                    }
                }
                None => SpanTexts::unreadable(file.spans.len()),
            };
            export.put_raws(k, texts);
        }
        profile::mark("owner: export read");
        loop {
            // A Clear meanwhile replaced the dataset: the rows fixed at the start are gone.
            if engine.cancelled() {
                break 'run true;
            }
            let finished = {
                let s = engine.holdings.borrow();
                let Some(prep) = &s.prepared else { break 'run true };
                export.write(&s.dataset, prep, EXPORT_ROWS_PER_STEP)
            };
            counter.post(engine, export.done(), false);
            if finished {
                break 'run false;
            }
            if yield_due(engine, &mut last_yield).await {
                break 'run true;
            }
        }
    };
    if cancelled {
        engine.post(&Response::ExportCancelled { export_id });
        return;
    }
    let (file_name, mime, body) = export.finish();
    profile::mark("owner: export written");
    // The text travels beside the response as bytes, their buffer transferred ([`ExportBody`]).
    let bytes = js_sys::Uint8Array::from(body.as_bytes());
    engine.post_with_bytes(&Response::Export { export_id, file_name, mime, body: ExportBody::default() }, bytes);
}
