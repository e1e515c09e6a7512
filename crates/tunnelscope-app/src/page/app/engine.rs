//! The worker pool as a hook: made once and started when a person reaches for a file or the
//! sample (or on the first load), its responses dispatched as actions, and what the
//! state asks of the engine (a view of a new generation, the selected event's detail, an
//! export) sent once when the state asks for it; a finished export becomes a download.

use std::rc::Rc;

use gloo_events::{EventListener, EventListenerOptions};

use wasm_bindgen::JsCast;
use wasm_bindgen::JsValue;
use yew::prelude::*;

use crate::page::pool::EnginePool;
use crate::page::state::{Action, AppState, ExportFile, Progress};
use crate::page::tasks::{later, now_ms, perf_mark};
use crate::protocol::{ExportBody, Response};

/// Most workers in the pool: the owner of the dataset plus parse helpers. Each helper is a
/// wasm instance of its own; beyond a few the owner, which adds every file, is the bottleneck.
const MAX_WORKERS: usize = 4;

/// Workers for this machine: one per core (`navigator.hardwareConcurrency`), at most
/// [`MAX_WORKERS`]; a single core gets the owner alone.
fn n_workers() -> usize {
    let cores = web_sys::window().map_or(1.0, |w| w.navigator().hardware_concurrency());
    (cores as usize).clamp(1, MAX_WORKERS)
}

/// The pool, once spawned (`Err`: why it could not be).
pub(super) type Pool = Rc<Result<EnginePool, String>>;

/// Runs `f` with the pool, if it is running.
pub(super) fn with_pool(pool: &Pool, f: impl FnOnce(&EnginePool)) {
    if let Ok(p) = pool.as_ref() {
        f(p);
    }
}

/// Spawns the pool once and keeps the engine in step with `state`.
#[hook]
pub(super) fn use_engine(state: &UseReducerHandle<AppState>) -> Pool {
    let pool: Pool = {
        let d = state.dispatcher();
        (*use_memo((), move |_| Rc::new(EnginePool::spawn(n_workers(), move |r| respond(&d, r))))).clone()
    };
    {
        let (pool, d) = (pool.clone(), state.dispatcher());
        use_effect_with((), move |_| {
            if let Err(message) = pool.as_ref() {
                d.dispatch(Action::Failed(message.clone()));
            }
        });
    }
    // The engine starts when a person reaches for data: a pointer pressed or a focus anywhere
    // in the page (the file input's dialog, the sample button), files dragged in. Its module is
    // then fetched while the person picks files, not with the first view (issue 23).
    {
        let pool = pool.clone();
        use_effect_with((), move |_| {
            let document = web_sys::window().and_then(|w| w.document());
            let listeners: Vec<EventListener> = document
                .map(|doc| {
                    ["pointerdown", "focusin", "dragenter", "keydown"]
                        .into_iter()
                        .map(|name| {
                            let pool = pool.clone();
                            EventListener::new_with_options(
                                &doc,
                                name,
                                EventListenerOptions::run_in_capture_phase(),
                                move |_| {
                                    with_pool(&pool, |p| {
                                        if !p.started() {
                                            perf_mark("ui: engine started");
                                            p.start();
                                        }
                                    })
                                },
                            )
                        })
                        .collect()
                })
                .unwrap_or_default();
            move || drop(listeners)
        });
    }
    // The view of each new generation of the request (sent once, the newest only when several
    // were asked for within a render).
    {
        let (pool, request) = (pool.clone(), state.request.clone());
        use_effect_with(state.request.generation, move |_| with_pool(&pool, |p| p.view(&request)));
    }
    // The selected event's detail.
    {
        let pool = pool.clone();
        use_effect_with(state.selected.clone(), move |selected| {
            if let Some(id) = selected {
                with_pool(&pool, |p| p.detail(id));
            }
        });
    }
    // An export asked for, of the view as it is requested now.
    {
        let (pool, request) = (pool.clone(), state.request.clone());
        use_effect_with(state.export.as_ref().map(|run| (run.export_id, run.kind)), move |run| {
            if let Some((export_id, kind)) = *run {
                with_pool(&pool, |p| p.export(export_id, kind, &request));
            }
        });
    }
    // A finished export becomes a download once (the reducer drops a cancelled one's file).
    {
        let d = state.dispatcher();
        use_effect_with(state.download.clone(), move |file| {
            if let Some(f) = file {
                download(&f.file_name, &f.mime, &f.body);
                d.dispatch(Action::Downloaded { export_id: f.export_id });
            }
        });
    }
    pool
}

/// What a response from the engine does to the state.
fn respond(d: &UseReducerDispatcher<AppState>, response: Response) {
    match response {
        Response::Progress { load_id, files_done, files_total, bytes_done, bytes_total, records_done } => {
            let progress = Progress { files_done, files_total, bytes_done, bytes_total, records_done };
            d.dispatch(Action::ProgressArrived { load_id, progress, now_ms: now_ms() });
        }
        Response::Loaded { load_id, cancelled } => {
            perf_mark("ui: Loaded");
            d.dispatch(Action::LoadEnded { load_id, cancelled });
        }
        Response::View(view) => {
            perf_mark("ui: view arrived");
            let received_ms = now_ms();
            // Rendered in a task of its own: reading a big view's message and the render it
            // causes were one task of up to ~115 ms at 2,000,000 events.
            let d = d.clone();
            later(move || d.dispatch(Action::ViewReceived { view: Rc::new(*view), received_ms }));
        }
        Response::Detail { event_id, detail } => d.dispatch(Action::DetailArrived(event_id, (*detail).map(Rc::new))),
        Response::ExportProgress { export_id, done, total } => {
            d.dispatch(Action::ExportProgressed { export_id, done, total });
        }
        Response::ExportCancelled { export_id } => d.dispatch(Action::ExportCancelled { export_id }),
        Response::Export { export_id, file_name, mime, body } => {
            d.dispatch(Action::ExportArrived(Rc::new(ExportFile { export_id, file_name, mime, body })));
        }
        Response::Failed { message } => d.dispatch(Action::Failed(message)),
        // The pool starts a fresh, empty engine for the next request.
        Response::EngineStopped { message } => d.dispatch(Action::EngineStopped(message)),
        Response::Ready => {}
    }
}

/// Hands an export's file to the browser as a download.
fn download(file_name: &str, mime: &str, body: &ExportBody) {
    let Some(document) = web_sys::window().and_then(|w| w.document()) else { return };
    let part = match body {
        ExportBody::Text(text) => JsValue::from_str(text),
        // The bytes as the worker sent them: never copied into this thread's memory.
        ExportBody::Bytes(bytes) => bytes.clone(),
    };
    let parts = js_sys::Array::of1(&part);
    let opts = web_sys::BlobPropertyBag::new();
    opts.set_type(mime);
    let Ok(blob) = web_sys::Blob::new_with_str_sequence_and_options(&parts, &opts) else { return };
    let Ok(url) = web_sys::Url::create_object_url_with_blob(&blob) else { return };
    if let Ok(a) = document.create_element("a").map(|e| e.unchecked_into::<web_sys::HtmlAnchorElement>()) {
        a.set_href(&url);
        a.set_download(file_name);
        a.click();
    }
    let _ = web_sys::Url::revoke_object_url(&url);
}
