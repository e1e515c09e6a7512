//! The UI side of the engine: spawns the worker(s) on the first load (or a sign of one coming),
//! queues requests until each is ready, fans view requests out, and merges the answers.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::rc::Rc;

use gloo_events::{EventListener, EventListenerOptions};
use js_sys::Array;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use web_sys::{File, MessageEvent, Worker};

use crate::page::state::Progress;
use crate::protocol::{Envelope, ExportBody, ExportKind, Request, Response, ViewRequest};

/// The worker script, relative to the page so the site works from any sub-path.
pub const WORKER_URL: &str = "./worker_loader.js";

/// Where workers start: the single-file build (`tunnelscope.html`) sets
/// `window.tunnelscopeWorkerUrl` to a `blob:` URL of its embedded worker; the site uses
/// [`WORKER_URL`].
fn worker_url() -> String {
    web_sys::window()
        .and_then(|w| js_sys::Reflect::get(&w, &JsValue::from_str("tunnelscopeWorkerUrl")).ok())
        .and_then(|v| v.as_string())
        .unwrap_or_else(|| WORKER_URL.to_owned())
}

struct Shared {
    ready: Vec<bool>,
    /// Messages for a worker not ready yet, with what they transfer.
    queued: Vec<Vec<(JsValue, Option<Array>)>>,
    /// Per load: workers finished, and whether any of them was cancelled.
    loads: HashMap<u64, (usize, bool)>,
    /// Per load: each worker's progress.
    progress: HashMap<u64, Vec<Progress>>,
    /// Per load: its files and bytes in all (a worker reports only its own part).
    totals: HashMap<u64, (usize, u64)>,
    /// Per load: its files' names in path order (the order the owner adds them in), to say
    /// which one the engine was loading if it stops.
    names: HashMap<u64, Vec<String>>,
    /// Set once a worker of this set has stopped: the set is replaced before the next request.
    stopped: bool,
}

type OnResponse = Rc<dyn Fn(Response)>;

/// One set of engine workers and their handlers.
struct Workers {
    workers: Vec<Worker>,
    shared: Rc<RefCell<Shared>>,
    /// Each worker's message and error listeners (removed when dropped).
    _listeners: Vec<[EventListener; 2]>,
}

/// A request made before the workers were started, sent to them once they are.
type Deferred = Box<dyn FnOnce(&Workers)>;

/// A pool of engine workers: worker 0 owns the dataset and answers every query; the others
/// parse files for it (their results go straight to it over a `MessagePort`).
///
/// The workers start on the first load, or earlier on [`EnginePool::start`] (the page calls it
/// when a person reaches for a file or the sample), never with the page: the first view needs
/// only the page's own module, and a visit that loads nothing never downloads the engine.
/// Requests made before then (a view of a linked query, say) wait, in order, and go first.
///
/// When a worker stops (out of memory, a panic: wasm aborts), the pool says so once
/// ([`Response::EngineStopped`], naming the file being loaded when known) and, before the next
/// request, replaces the whole set with fresh workers: the next load starts on an empty engine
/// instead of waiting forever for the dead one.
pub struct EnginePool {
    n: usize,
    /// The latest load's ID.
    load_ids: Cell<u64>,
    on_response: OnResponse,
    /// The running set, once started.
    current: RefCell<Option<Workers>>,
    /// Requests made before the workers started.
    deferred: RefCell<Vec<Deferred>>,
}

impl EnginePool {
    /// A pool of `n` workers, started later; `on_response` receives merged responses on the UI
    /// thread.
    pub fn spawn(n: usize, on_response: impl Fn(Response) + 'static) -> Result<Self, String> {
        let n = n.max(1);
        let on_response: OnResponse = Rc::new(on_response);
        Ok(Self {
            n,
            load_ids: Cell::new(0),
            on_response,
            current: RefCell::new(None),
            deferred: RefCell::new(Vec::new()),
        })
    }

    /// Starts the workers unless they run (and replaces a stopped set): their scripts and
    /// module are fetched now, so a load asked for soon finds them ready. Returns whether a set
    /// runs.
    pub fn start(&self) -> bool {
        let running = self.current.borrow().as_ref().map(|w| w.shared.borrow().stopped);
        match running {
            Some(false) => return true,
            Some(true) => self.restart_stopped(),
            None => match Workers::spawn(self.n, &self.on_response) {
                Ok(set) => {
                    let deferred = std::mem::take(&mut *self.deferred.borrow_mut());
                    for request in deferred {
                        request(&set);
                    }
                    *self.current.borrow_mut() = Some(set);
                }
                Err(message) => (self.on_response)(Response::Failed { message }),
            },
        }
        self.current.borrow().is_some()
    }

    /// Whether the workers have been started.
    pub fn started(&self) -> bool {
        self.current.borrow().is_some()
    }

    /// Runs `f` on the workers: started first when `start`, else deferred until they are.
    fn with(&self, start: bool, f: impl FnOnce(&Workers) + 'static) {
        if !start && !self.started() {
            self.deferred.borrow_mut().push(Box::new(f));
            return;
        }
        if self.start() {
            if let Some(set) = self.current.borrow().as_ref() {
                f(set);
            }
        }
    }

    /// Replaces a stopped set of workers by a fresh one (an empty dataset).
    fn restart_stopped(&self) {
        match Workers::spawn(self.n, &self.on_response) {
            Ok(fresh) => {
                if let Some(old) = self.current.replace(Some(fresh)) {
                    for w in &old.workers {
                        w.terminate();
                    }
                    // This may run inside one of the old handlers (a response that asks for a
                    // view): they are let go of without being freed, which a stop rarely costs.
                    std::mem::forget(old);
                }
            }
            Err(message) => (self.on_response)(Response::Failed { message }),
        }
    }

    /// An ID for the next load.
    pub fn next_load_id(&self) -> u64 {
        self.load_ids.set(self.load_ids.get() + 1);
        self.load_ids.get()
    }

    /// Sends files to load: the owner receives them all (it adds them in path order and keeps
    /// them to read raw records again), and each is parsed by the worker with the least bytes
    /// assigned so far (the owner's count weighted, as it also adds everything).
    pub fn load(&self, load_id: u64, files: Vec<(String, File)>) {
        self.with(true, move |w| w.load(load_id, files));
    }

    /// Loads the built-in sample into the owner (the helpers report an empty load).
    pub fn load_sample(&self, load_id: u64) {
        self.with(true, move |w| w.load_sample(load_id));
    }

    /// Stops a load on every worker; files already read stay loaded. One `Loaded` with
    /// `cancelled: true` follows (unless the load had already ended).
    pub fn cancel(&self, load_id: u64) {
        self.with(false, move |w| w.cancel(load_id));
    }

    /// Empties the dataset (every worker stops what it does).
    pub fn clear(&self) {
        self.with(false, Workers::clear);
    }

    /// Asks the owner for the view.
    pub fn view(&self, req: &ViewRequest) {
        let req = req.clone();
        self.with(false, move |w| w.view(&req));
    }

    /// Asks the owner for one event's detail.
    pub fn detail(&self, event_id: &str) {
        let event_id = event_id.to_owned();
        self.with(false, move |w| w.detail(&event_id));
    }

    /// Asks the owner for an export of the filtered view (`export_id` names its progress and
    /// result).
    pub fn export(&self, export_id: u64, kind: ExportKind, view: &ViewRequest) {
        let view = view.clone();
        self.with(false, move |w| w.export(export_id, kind, &view));
    }

    /// Stops an export; `ExportCancelled` follows unless it has already ended.
    pub fn cancel_export(&self, export_id: u64) {
        self.with(false, move |w| w.cancel_export(export_id));
    }
}

impl Workers {
    fn spawn(n: usize, on_response: &OnResponse) -> Result<Self, String> {
        let shared = Rc::new(RefCell::new(Shared {
            ready: vec![false; n],
            queued: vec![Vec::new(); n],
            loads: HashMap::new(),
            progress: HashMap::new(),
            totals: HashMap::new(),
            names: HashMap::new(),
            stopped: false,
        }));
        let mut workers = Vec::with_capacity(n);
        let mut listeners = Vec::with_capacity(n);
        for idx in 0..n {
            let worker = Worker::new(&worker_url()).map_err(|e| format!("cannot start the worker: {e:?}"))?;
            let shared_h = Rc::clone(&shared);
            let worker_h = worker.clone();
            let respond = Rc::clone(on_response);
            let on_message = EventListener::new(&worker, "message", move |msg| {
                let Some(msg) = msg.dyn_ref::<MessageEvent>() else { return };
                let response = match Envelope::<Response>::from_js(&msg.data()) {
                    Ok(Envelope {
                        message: Response::Export { export_id, file_name, mime, .. },
                        bytes: Some(bytes),
                        ..
                    }) => {
                        // An export's text, beside the message as bytes.
                        Response::Export { export_id, file_name, mime, body: ExportBody::Bytes(bytes.into()) }
                    }
                    Ok(envelope) => envelope.message,
                    Err(e) => Response::Failed { message: format!("unreadable worker message: {e}") },
                };
                if let Some(merged) = receive(&shared_h, &worker_h, idx, n, response) {
                    respond(merged);
                }
            });
            // A worker that dies (out of memory in wasm is an abort) must not leave the page
            // loading forever: say so, once for the set, and mark the set to be replaced.
            let respond = Rc::clone(on_response);
            let shared_e = Rc::clone(&shared);
            // Not passive (gloo's default): the error is marked handled.
            let options = EventListenerOptions::enable_prevent_default();
            let on_error = EventListener::new_with_options(&worker, "error", options, move |e| {
                let Some(e) = e.dyn_ref::<web_sys::ErrorEvent>() else { return };
                // Handled here: the worker's own console has the details.
                e.prevent_default();
                let message = {
                    let mut s = shared_e.borrow_mut();
                    if s.stopped {
                        return;
                    }
                    s.stopped = true;
                    match loading_when_stopped(&s) {
                        Some(name) => format!("{}, while loading {name}", e.message()),
                        None => e.message(),
                    }
                };
                respond(Response::EngineStopped { message });
            });
            workers.push(worker);
            listeners.push([on_message, on_error]);
        }
        let set = Self { workers, shared, _listeners: listeners };
        // A direct line from each parse helper to the owner.
        for helper in 1..n {
            let channel = web_sys::MessageChannel::new().map_err(|e| format!("cannot connect the workers: {e:?}"))?;
            set.post(0, Envelope::new(Request::Connect { helper, to_owner: false }).with_port(channel.port1()));
            set.post(helper, Envelope::new(Request::Connect { helper, to_owner: true }).with_port(channel.port2()));
        }
        Ok(set)
    }

    /// Sends files to load: the owner receives them all (it adds them in path order and keeps
    /// them to read raw records again), and each is parsed by the worker with the least bytes
    /// assigned so far (the owner's count weighted, as it also adds everything).
    fn load(&self, load_id: u64, files: Vec<(String, File)>) {
        let n = self.workers.len();
        let mut files = files;
        files.sort_by(|a, b| a.0.cmp(&b.0));
        let parsers = assign(&files.iter().map(|(_, f)| f.size()).collect::<Vec<_>>(), n);
        {
            let mut shared = self.shared.borrow_mut();
            shared.loads.insert(load_id, (0, false));
            shared.totals.insert(load_id, (files.len(), files.iter().map(|(_, f)| f.size() as u64).sum()));
        }
        let names: Vec<String> = files.iter().map(|(name, _)| name.clone()).collect();
        self.shared.borrow_mut().names.insert(load_id, names.clone());
        let all: Vec<File> = files.iter().map(|(_, f)| f.clone()).collect();
        // A helper left without files reads the owner's for it (the first such one).
        let pump = (1..n).find(|&k| !parsers.contains(&k)).filter(|_| parsers.contains(&0));
        self.post(0, Envelope::new(Request::Load { load_id, names, parsers: parsers.clone(), pump }).with_files(all));
        for k in 1..n {
            let of = if pump == Some(k) { 0 } else { k };
            let indices: Vec<usize> = (0..files.len()).filter(|&i| parsers[i] == of).collect();
            let names = indices.iter().map(|&i| files[i].0.clone()).collect();
            let mine = indices.iter().map(|&i| files[i].1.clone()).collect();
            let req = if pump == Some(k) {
                Request::Pump { load_id, indices, names }
            } else {
                Request::Parse { load_id, indices, names }
            };
            self.post(k, Envelope::new(req).with_files(mine));
        }
    }

    /// Loads the built-in sample into the owner (the helpers report an empty load).
    fn load_sample(&self, load_id: u64) {
        self.shared.borrow_mut().loads.insert(load_id, (0, false));
        for k in 0..self.workers.len() {
            let req = if k == 0 {
                Request::LoadSample { load_id }
            } else {
                Request::Parse { load_id, indices: Vec::new(), names: Vec::new() }
            };
            self.post(k, Envelope::new(req));
        }
    }

    /// Stops a load on every worker; files already read stay loaded. One `Loaded` with
    /// `cancelled: true` follows (unless the load had already ended).
    fn cancel(&self, load_id: u64) {
        for k in 0..self.workers.len() {
            self.post(k, Envelope::new(Request::Cancel { load_id }));
        }
    }

    /// Empties the dataset (every worker stops what it does).
    fn clear(&self) {
        for k in 0..self.workers.len() {
            self.post(k, Envelope::new(Request::Clear));
        }
    }

    /// Asks the owner for the view.
    fn view(&self, req: &ViewRequest) {
        self.post(0, Envelope::new(Request::View(req.clone())));
    }

    /// Asks the owner for one event's detail.
    fn detail(&self, event_id: &str) {
        self.post(0, Envelope::new(Request::Detail { event_id: event_id.to_owned() }));
    }

    /// Asks the owner for an export of the filtered view (`export_id` names its progress and
    /// result).
    fn export(&self, export_id: u64, kind: ExportKind, view: &ViewRequest) {
        self.post(0, Envelope::new(Request::Export { export_id, kind, view: view.clone() }));
    }

    /// Stops an export; `ExportCancelled` follows unless it has already ended.
    fn cancel_export(&self, export_id: u64) {
        self.post(0, Envelope::new(Request::CancelExport { export_id }));
    }

    /// Posts a request to worker `k` (queued until it is ready).
    fn post(&self, k: usize, envelope: Envelope<Request>) {
        let Ok((msg, transfer)) = envelope.to_js() else { return };
        let mut shared = self.shared.borrow_mut();
        if shared.ready[k] {
            drop(shared);
            send(&self.workers[k], &msg, transfer.as_ref());
        } else {
            shared.queued[k].push((msg, transfer));
        }
    }
}

fn send(worker: &Worker, msg: &JsValue, transfer: Option<&Array>) {
    // A failed post means the worker is gone; its error handler has told the UI.
    let _ = match transfer {
        Some(t) => worker.post_message_with_transfer(msg, t),
        None => worker.post_message(msg),
    };
}

/// Which worker parses each file (sizes in load order): the one with the least bytes so far,
/// the owner's (worker 0) counted at [`OWNER_WEIGHT`] as it also adds every file.
fn assign(sizes: &[f64], n: usize) -> Vec<usize> {
    let mut load = vec![0f64; n.max(1)];
    sizes
        .iter()
        .map(|&size| {
            // Ties go to the owner (a lone file is parsed where it is added: nothing to hand over).
            let cost = |k: usize| load[k] * if k == 0 { OWNER_WEIGHT } else { 1.0 } + size;
            let k = (0..load.len()).min_by(|&a, &b| cost(a).total_cmp(&cost(b))).unwrap_or(0);
            load[k] += size;
            k
        })
        .collect()
}

/// How much more a byte parsed by the owner costs it than one parsed by a helper (it also adds
/// every file to the dataset): adding is about a fifth of parsing.
const OWNER_WEIGHT: f64 = 1.25;

/// The file the engine was loading when it stopped, by the owner's last progress report (it
/// adds files in path order, so the first it has not reported done), when a load was running.
fn loading_when_stopped(s: &Shared) -> Option<String> {
    let (load_id, names) = s.names.iter().max_by_key(|(id, _)| **id)?;
    let done = s.progress.get(load_id).and_then(|p| p.first()).map_or(0, |p| p.files_done);
    names.get(done).or(names.last()).cloned()
}

/// Handles one worker's response; returns what the UI should see, if anything yet.
fn receive(shared: &RefCell<Shared>, worker: &Worker, idx: usize, n: usize, response: Response) -> Option<Response> {
    let mut s = shared.borrow_mut();
    match response {
        Response::Ready => {
            s.ready[idx] = true;
            for (msg, transfer) in std::mem::take(&mut s.queued[idx]) {
                send(worker, &msg, transfer.as_ref());
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
                s.totals.remove(&load_id);
                s.names.remove(&load_id);
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
            let (files_total, bytes_total) =
                s.totals.get(&load_id).copied().unwrap_or((sum.files_total, sum.bytes_total));
            Some(Response::Progress {
                load_id,
                files_done: sum.files_done,
                files_total,
                bytes_done: sum.bytes_done,
                bytes_total,
                records_done: sum.records_done,
            })
        }
        // Views, details and exports come from the owner alone.
        other => Some(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_go_to_the_least_loaded_worker_and_a_lone_file_stays_with_the_owner() {
        assert_eq!(assign(&[100.0], 2), vec![0], "nothing to hand over");
        assert_eq!(assign(&[100.0], 1), vec![0]);
        // Equal files alternate, the owner (which also adds them all) taking fewer.
        let equal = assign(&[100.0; 9], 2);
        let owner = equal.iter().filter(|&&k| k == 0).count();
        assert!((3..=4).contains(&owner), "{equal:?}");
        assert!(equal.iter().all(|&k| k < 2));
        // A big file then small ones: the small ones go to the others until they catch up.
        assert_eq!(assign(&[1000.0, 10.0, 10.0, 10.0], 3), vec![0, 1, 2, 1]);
        // Every worker gets work when there are enough files.
        let four = assign(&[5.0; 40], 4);
        assert!((0..4).all(|k| four.contains(&k)), "{four:?}");
    }
}
