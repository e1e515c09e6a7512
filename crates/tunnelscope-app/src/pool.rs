//! The UI side of the engine: spawns the worker(s) at start-up, queues requests until each
//! is ready, fans view requests out, and merges the answers.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use js_sys::{Array, Object, Reflect};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use web_sys::{File, MessageEvent, Worker};

use crate::protocol::{ExportKind, Request, Response, View, ViewRequest};
use crate::state::Progress;

/// The worker script, relative to the page so the site works from any sub-path.
pub const WORKER_URL: &str = "./worker_loader.js";

struct Shared {
    ready: Vec<bool>,
    queued: Vec<Vec<JsValue>>,
    views: HashMap<u64, Vec<View>>,
    /// Per load: shards finished, and whether any of them was cancelled.
    loads: HashMap<u64, (usize, bool)>,
    /// Per load: each shard's progress.
    progress: HashMap<u64, Vec<Progress>>,
    details_pending: usize,
    detail_found: bool,
}

/// A pool of engine workers; each owns one shard of the dataset.
pub struct EnginePool {
    workers: Vec<Worker>,
    shared: Rc<RefCell<Shared>>,
    _handlers: Vec<Closure<dyn FnMut(MessageEvent)>>,
    _error_handlers: Vec<Closure<dyn FnMut(web_sys::ErrorEvent)>>,
}

impl EnginePool {
    /// Starts `n` workers; `on_response` receives merged responses on the UI thread.
    pub fn spawn(n: usize, on_response: impl Fn(Response) + 'static) -> Result<Self, String> {
        let n = n.max(1);
        let on_response = Rc::new(on_response);
        let shared = Rc::new(RefCell::new(Shared {
            ready: vec![false; n],
            queued: vec![Vec::new(); n],
            views: HashMap::new(),
            loads: HashMap::new(),
            progress: HashMap::new(),
            details_pending: 0,
            detail_found: false,
        }));
        let mut workers = Vec::with_capacity(n);
        let mut handlers = Vec::with_capacity(n);
        let mut error_handlers = Vec::with_capacity(n);
        for idx in 0..n {
            let worker = Worker::new(WORKER_URL).map_err(|e| format!("cannot start the worker: {e:?}"))?;
            let shared_h = Rc::clone(&shared);
            let worker_h = worker.clone();
            let respond = Rc::clone(&on_response);
            let handler = Closure::<dyn FnMut(MessageEvent)>::new(move |msg: MessageEvent| {
                let Some(text) = msg.data().as_string() else { return };
                let response = match serde_json::from_str::<Response>(&text) {
                    Ok(r) => r,
                    Err(e) => Response::Failed { message: format!("unreadable worker message: {e}") },
                };
                if let Some(merged) = receive(&shared_h, &worker_h, idx, n, response) {
                    respond(merged);
                }
            });
            worker.set_onmessage(Some(handler.as_ref().unchecked_ref()));
            // A worker that dies (out of memory in wasm is an abort) must not leave the page
            // loading forever: say so.
            let respond = Rc::clone(&on_response);
            let on_error = Closure::<dyn FnMut(web_sys::ErrorEvent)>::new(move |e: web_sys::ErrorEvent| {
                respond(Response::EngineStopped { message: e.message() });
            });
            worker.set_onerror(Some(on_error.as_ref().unchecked_ref()));
            workers.push(worker);
            handlers.push(handler);
            error_handlers.push(on_error);
        }
        Ok(Self { workers, shared, _handlers: handlers, _error_handlers: error_handlers })
    }

    /// Sends files to load; they are spread over the shards by size, and each shard reads its
    /// files in path order (so the load report and partial results grow in that order).
    pub fn load(&self, load_id: u64, files: Vec<(String, File)>) {
        let n = self.workers.len();
        let mut shards: Vec<Vec<(String, File)>> = vec![Vec::new(); n];
        let mut sizes = vec![0f64; n];
        let mut files = files;
        files.sort_by(|a, b| b.1.size().total_cmp(&a.1.size()));
        for (name, file) in files {
            let (k, _) =
                sizes.iter().enumerate().fold((0, f64::MAX), |best, (i, s)| if *s < best.1 { (i, *s) } else { best });
            sizes[k] += file.size();
            shards[k].push((name, file));
        }
        self.shared.borrow_mut().loads.insert(load_id, (0, false));
        for (k, mut shard) in shards.into_iter().enumerate() {
            shard.sort_by(|a, b| a.0.cmp(&b.0));
            let names = shard.iter().map(|(name, _)| name.clone()).collect();
            let array = Array::new();
            for (_, f) in &shard {
                array.push(f);
            }
            self.post(k, &Request::Load { load_id, names }, Some(&array));
        }
    }

    /// Loads the built-in sample into the first shard (the others report an empty load).
    pub fn load_sample(&self, load_id: u64) {
        self.shared.borrow_mut().loads.insert(load_id, (0, false));
        for k in 0..self.workers.len() {
            let req =
                if k == 0 { Request::LoadSample { load_id } } else { Request::Load { load_id, names: Vec::new() } };
            self.post(k, &req, None);
        }
    }

    /// Stops a load on every shard; files already read stay loaded. One `Loaded` with
    /// `cancelled: true` follows (unless the load had already ended).
    pub fn cancel(&self, load_id: u64) {
        for k in 0..self.workers.len() {
            self.post(k, &Request::Cancel { load_id }, None);
        }
    }

    /// Empties every shard.
    pub fn clear(&self) {
        for k in 0..self.workers.len() {
            self.post(k, &Request::Clear, None);
        }
    }

    /// Asks every shard for its view; one merged `Response::View` follows.
    pub fn view(&self, req: &ViewRequest) {
        for k in 0..self.workers.len() {
            self.post(k, &Request::View(req.clone()), None);
        }
    }

    /// Asks every shard for one event's detail; the shard that holds it answers.
    pub fn detail(&self, event_id: &str) {
        {
            let mut s = self.shared.borrow_mut();
            s.details_pending = self.workers.len();
            s.detail_found = false;
        }
        for k in 0..self.workers.len() {
            self.post(k, &Request::Detail { event_id: event_id.to_owned() }, None);
        }
    }

    /// Asks for an export of the filtered view.
    pub fn export(&self, kind: ExportKind, view: &ViewRequest) {
        // Exports are whole files: with one shard its answer is the file. Several shards would
        // need a merge per format, which comes with sharded loading.
        self.post(0, &Request::Export { kind, view: view.clone() }, None);
    }

    fn post(&self, k: usize, req: &Request, files: Option<&Array>) {
        let Ok(json) = serde_json::to_string(req) else { return };
        let msg = Object::new();
        let _ = Reflect::set(&msg, &JsValue::from_str("json"), &JsValue::from_str(&json));
        if let Some(files) = files {
            let _ = Reflect::set(&msg, &JsValue::from_str("files"), files);
        }
        let msg: JsValue = msg.into();
        let mut shared = self.shared.borrow_mut();
        if shared.ready[k] {
            drop(shared);
            let _ = self.workers[k].post_message(&msg);
        } else {
            shared.queued[k].push(msg);
        }
    }
}

/// Handles one worker's response; returns what the UI should see, if anything yet.
fn receive(shared: &RefCell<Shared>, worker: &Worker, idx: usize, n: usize, response: Response) -> Option<Response> {
    let mut s = shared.borrow_mut();
    match response {
        Response::Ready => {
            s.ready[idx] = true;
            for msg in std::mem::take(&mut s.queued[idx]) {
                let _ = worker.post_message(&msg);
            }
            None
        }
        Response::Loaded { load_id, cancelled } => {
            let done = s.loads.entry(load_id).or_insert((0, false));
            done.0 += 1;
            done.1 |= cancelled;
            if done.0 >= n {
                let cancelled = done.1;
                s.loads.remove(&load_id);
                s.progress.remove(&load_id);
                Some(Response::Loaded { load_id, cancelled })
            } else {
                None
            }
        }
        Response::Progress { load_id, files_done, files_total, bytes_done, bytes_total, records_done } => {
            let parts = s.progress.entry(load_id).or_insert_with(|| vec![Progress::default(); n]);
            parts[idx] = Progress { files_done, files_total, bytes_done, bytes_total, records_done };
            let sum = parts.iter().fold(Progress::default(), |a, p| Progress {
                files_done: a.files_done + p.files_done,
                files_total: a.files_total + p.files_total,
                bytes_done: a.bytes_done + p.bytes_done,
                bytes_total: a.bytes_total + p.bytes_total,
                records_done: a.records_done + p.records_done,
            });
            Some(Response::Progress {
                load_id,
                files_done: sum.files_done,
                files_total: sum.files_total,
                bytes_done: sum.bytes_done,
                bytes_total: sum.bytes_total,
                records_done: sum.records_done,
            })
        }
        Response::View(view) => {
            let generation = view.generation;
            let parts = s.views.entry(generation).or_default();
            parts.push(*view);
            if parts.len() >= n {
                let parts = s.views.remove(&generation).unwrap_or_default();
                // Older generations will never be shown: drop their partial answers.
                s.views.retain(|g, _| *g > generation);
                Some(Response::View(Box::new(View::merge(parts))))
            } else {
                None
            }
        }
        Response::Detail(detail) => {
            s.details_pending = s.details_pending.saturating_sub(1);
            let found = detail.is_some();
            if found && !s.detail_found {
                s.detail_found = true;
                Some(Response::Detail(detail))
            } else if s.details_pending == 0 && !s.detail_found {
                Some(Response::Detail(detail))
            } else {
                None
            }
        }
        other => Some(other),
    }
}
