//! The engine in a web worker: its state, the messages it receives, and the job queue that
//! runs loads, parses and exports one after the other.
//!
//! Worker 0 owns the dataset and answers view, detail and export requests; the other workers
//! are parse helpers that read files for it. Loads run as one asynchronous task: each file is
//! read as a stream (`Blob.stream()`, chunks of a few hundred KB, the browser reading ahead)
//! fed to a `FileStream` (`read.rs`), and every `YIELD_INTERVAL_MS` of work the task lets the
//! worker's message queue run (a `MessageChannel` tick), so a `Cancel`, a `View` or a `Detail`
//! sent during a load is handled between chunks. The dataset only changes between files, in
//! one synchronous step per file, so a view asked for during a load shows exactly the files
//! finished so far. Exports run in the same task, in turn with loads (so the dataset does not
//! change under them), and yield the same way: a view, a detail or a `CancelExport` is
//! answered while one runs.

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;

use hashbrown::HashMap;
use std::rc::Rc;

use js_sys::{Promise, Uint8Array};
use serde::Serialize;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use web_sys::{DedicatedWorkerGlobalScope, File, MessageEvent, MessagePort};

use crate::protocol::{Envelope, ExportKind, Request, Response, ToHelper, ToOwner, ViewRequest};
use crate::worker::export::run_export;
use crate::worker::helper::{parse_files, pump_files};
use crate::worker::owner::{Holdings, Pumped, load_files};
use crate::worker::profile::{self, Phase};
use crate::worker::read::Ticker;
use crate::worker::view::{build_detail, build_view};

/// Starts the engine in the current worker: installs the message handler and says `Ready`.
pub fn run_worker() {
    let scope: DedicatedWorkerGlobalScope = js_sys::global().unchecked_into();
    let engine = Rc::new(Engine {
        scope: scope.clone(),
        holdings: RefCell::new(Holdings::default()),
        queue: RefCell::new(VecDeque::new()),
        running: Cell::new(None),
        exporting: Cell::new(None),
        task_active: Cell::new(false),
        cancel: Cell::new(false),
        ticker: Ticker::new(),
        inbox: RefCell::new(HashMap::new()),
        pumped: RefCell::new(HashMap::new()),
        acked: Cell::new(0),
        wake: RefCell::new(None),
        owner: RefCell::new(None),
        owner_handler: RefCell::new(None),
        helper_ports: RefCell::new(Vec::new()),
    });
    let handler_engine = Rc::clone(&engine);
    let on_message =
        Closure::<dyn FnMut(MessageEvent)>::new(move |msg: MessageEvent| {
            match Envelope::<Request>::from_js(&msg.data()) {
                Ok(Envelope { message: Request::Connect { helper, to_owner }, port, .. }) => match port {
                    Some(port) => connect(&handler_engine, helper, to_owner, port),
                    None => handler_engine.post(&Response::Failed { message: "connect without a port".into() }),
                },
                Ok(Envelope { message, files, .. }) => handle(&handler_engine, message, files),
                Err(e) => handler_engine.post(&Response::Failed { message: format!("bad request: {e}") }),
            }
        });
    scope.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    // The handler lives as long as the worker.
    on_message.forget();
    engine.post(&Response::Ready);
}

/// A job waiting for its turn (jobs run one at a time, in the order they were sent).
enum Job {
    /// The owner: read (or receive from helpers) and add these files.
    Files {
        load_id: u64,
        names: Vec<String>,
        files: Vec<File>,
        parsers: Vec<usize>,
        pump: Option<usize>,
    },
    Sample {
        load_id: u64,
    },
    /// A parse helper: parse these files (positions `indices` of the load) for the owner.
    Parse {
        load_id: u64,
        indices: Vec<usize>,
        names: Vec<String>,
        files: Vec<File>,
    },
    /// A helper: read these files of the owner's (positions `indices`) and send their bytes.
    Pump {
        load_id: u64,
        indices: Vec<usize>,
        files: Vec<File>,
    },
    /// The owner: an export, in its turn between loads (so the dataset does not change under it).
    Export {
        export_id: u64,
        kind: ExportKind,
        view: ViewRequest,
    },
}

impl Job {
    /// The load this job is part of (`None`: an export).
    fn load_id(&self) -> Option<u64> {
        match self {
            Self::Files { load_id, .. }
            | Self::Sample { load_id }
            | Self::Parse { load_id, .. }
            | Self::Pump { load_id, .. } => Some(*load_id),
            Self::Export { .. } => None,
        }
    }

    /// Says that the job ends without running (cancelled, or the dataset cleared).
    fn cancelled(&self) -> Response {
        match self {
            Self::Export { export_id, .. } => Response::ExportCancelled { export_id: *export_id },
            _ => Response::Loaded { load_id: self.load_id().unwrap_or_default(), cancelled: true },
        }
    }
}

/// A port's message handler, kept alive as long as its port.
type PortHandler = Closure<dyn FnMut(MessageEvent)>;

/// One worker's engine: what it holds, its jobs, and its lines to the page and the other workers.
pub(super) struct Engine {
    scope: DedicatedWorkerGlobalScope,
    pub(super) holdings: RefCell<Holdings>,
    /// Jobs not started yet.
    queue: RefCell<VecDeque<Job>>,
    /// The load being read.
    running: Cell<Option<u64>>,
    /// The export being made.
    exporting: Cell<Option<u64>>,
    /// The job task is running (or about to).
    task_active: Cell<bool>,
    /// The running load (or export) was asked to stop.
    cancel: Cell<bool>,
    pub(super) ticker: Ticker,
    /// The owner: parsed files received from helpers, by (load, file position), as bytes kept
    /// outside wasm memory until their turn (a helper may be files ahead).
    pub(super) inbox: RefCell<HashMap<(u64, usize), Uint8Array>>,
    /// The owner: pieces of its own files from the helper that reads them, by (load, file).
    pub(super) pumped: RefCell<HashMap<(u64, usize), VecDeque<Pumped>>>,
    /// A helper that reads files for the owner: the bytes the owner says it has parsed.
    pub(super) acked: Cell<u64>,
    /// Resolves the job task's wait for the inbox (or a cancel).
    wake: RefCell<Option<js_sys::Function>>,
    /// A helper: the port to the owner.
    pub(super) owner: RefCell<Option<MessagePort>>,
    /// A helper: the handler of what the owner says back (kept alive with the port).
    owner_handler: RefCell<Option<PortHandler>>,
    /// The owner: its ends of the helpers' ports, by helper number (kept alive with their
    /// handlers).
    helper_ports: RefCell<Vec<(usize, MessagePort, PortHandler)>>,
}

impl Engine {
    pub(super) fn cancelled(&self) -> bool {
        self.cancel.get()
    }

    /// Posts a response to the page.
    pub(super) fn post(&self, response: &Response) {
        self.post_envelope(Envelope::new(response));
    }

    /// Posts a response to the page with bytes beside it (their buffer transferred).
    pub(super) fn post_with_bytes(&self, response: &Response, bytes: Uint8Array) {
        self.post_envelope(Envelope::new(response).with_bytes(bytes));
    }

    fn post_envelope<M: Serialize>(&self, envelope: Envelope<M>) {
        let Ok((msg, transfer)) = envelope.to_js() else { return };
        // A failed post means the page is gone; there is no one left to tell.
        let _ = match transfer {
            Some(t) => self.scope.post_message_with_transfer(&msg, &t),
            None => self.scope.post_message(&msg),
        };
    }

    /// The owner: tells helper `helper` it has parsed `bytes` more of what it sent.
    pub(super) fn ack(&self, helper: usize, bytes: u64) {
        if let Some((_, port, _)) = self.helper_ports.borrow().iter().find(|(h, _, _)| *h == helper) {
            if let Ok((msg, _)) = Envelope::new(ToHelper::Ack { bytes }).to_js() {
                let _ = port.post_message(&msg);
            }
        }
    }

    /// Wakes the job task if it waits for a helper.
    fn notify(&self) {
        if let Some(resolve) = self.wake.borrow_mut().take() {
            let _ = resolve.call0(&JsValue::NULL);
        }
    }

    /// Waits until [`Engine::notify`].
    pub(super) async fn wait(&self) {
        let promise = Promise::new(&mut |resolve, _reject| {
            *self.wake.borrow_mut() = Some(resolve);
        });
        let _ = JsFuture::from(promise).await;
    }

    /// True when `load_id` is running or queued here (a helper's result for it is wanted).
    fn wants(&self, load_id: u64) -> bool {
        self.running.get() == Some(load_id) || self.queue.borrow().iter().any(|j| j.load_id() == Some(load_id))
    }
}

/// Waits until `take` gives something (it is asked again after each [`Engine::notify`]);
/// `None` when the load is cancelled meanwhile.
pub(super) async fn wait_until<T>(engine: &Engine, mut take: impl FnMut() -> Option<T>) -> Option<T> {
    loop {
        if engine.cancelled() {
            return None;
        }
        if let Some(found) = take() {
            return Some(found);
        }
        engine.wait().await;
    }
}

/// A helper's end of the line to the owner (`to_owner`), kept to send on (the owner answers
/// on it with the bytes it has parsed of what the helper reads for it), or the owner's end of
/// the line from helper `helper`: what arrives goes into its inbox (parsed files) or its
/// pumped pieces (its own files, read by the helper).
fn connect(engine: &Rc<Engine>, helper: usize, to_owner: bool, port: MessagePort) {
    if to_owner {
        let ack_engine = Rc::clone(engine);
        let on_ack = Closure::<dyn FnMut(MessageEvent)>::new(move |msg: MessageEvent| {
            if let Ok(Envelope { message: ToHelper::Ack { bytes }, .. }) = Envelope::from_js(&msg.data()) {
                ack_engine.acked.set(ack_engine.acked.get() + bytes);
                ack_engine.notify();
            }
        });
        port.set_onmessage(Some(on_ack.as_ref().unchecked_ref()));
        *engine.owner.borrow_mut() = Some(port);
        *engine.owner_handler.borrow_mut() = Some(on_ack);
        return;
    }
    let inbox_engine = Rc::clone(engine);
    let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |msg: MessageEvent| {
        let Ok(Envelope { message, bytes, .. }) = Envelope::<ToOwner>::from_js(&msg.data()) else { return };
        let key = message.key();
        if !inbox_engine.wants(key.0) {
            return;
        }
        let piece = match (message, bytes) {
            (ToOwner::Parsed { .. }, Some(bytes)) => {
                inbox_engine.inbox.borrow_mut().insert(key, bytes);
                None
            }
            // A piece of one of the owner's own files.
            (ToOwner::Bytes { .. }, Some(bytes)) => Some(Pumped::Bytes(bytes)),
            (ToOwner::End { ok, .. }, _) => Some(Pumped::End { ok }),
            (ToOwner::Bytes { .. }, None) => Some(Pumped::End { ok: false }),
            (ToOwner::Parsed { .. }, None) => None,
        };
        if let Some(piece) = piece {
            inbox_engine.pumped.borrow_mut().entry(key).or_default().push_back(piece);
        }
        inbox_engine.notify();
    });
    port.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    engine.helper_ports.borrow_mut().push((helper, port, on_message));
}

fn handle(engine: &Rc<Engine>, req: Request, files: Vec<File>) {
    match req {
        Request::Load { load_id, names, parsers, pump } => {
            enqueue(engine, Job::Files { load_id, names, files, parsers, pump });
        }
        Request::Parse { load_id, indices, names } => enqueue(engine, Job::Parse { load_id, indices, names, files }),
        Request::Pump { load_id, indices, .. } => enqueue(engine, Job::Pump { load_id, indices, files }),
        // Handled with its port in the message handler.
        Request::Connect { .. } => {}
        Request::LoadSample { load_id } => enqueue(engine, Job::Sample { load_id }),
        Request::Cancel { load_id } => {
            if engine.running.get() == Some(load_id) {
                engine.cancel.set(true);
                engine.notify();
            } else {
                let queued = {
                    let mut queue = engine.queue.borrow_mut();
                    let before = queue.len();
                    queue.retain(|j| j.load_id() != Some(load_id));
                    before != queue.len()
                };
                if queued {
                    engine.post(&Response::Loaded { load_id, cancelled: true });
                }
                // Otherwise the load has already ended: nothing to stop.
            }
        }
        Request::Clear => {
            if engine.running.get().is_some() || engine.exporting.get().is_some() {
                engine.cancel.set(true);
                engine.notify();
            }
            engine.inbox.borrow_mut().clear();
            engine.pumped.borrow_mut().clear();
            let queued: Vec<Job> = engine.queue.borrow_mut().drain(..).collect();
            for job in queued {
                engine.post(&job.cancelled());
            }
            *engine.holdings.borrow_mut() = Holdings::default();
        }
        Request::View(req) => {
            profile::mark("owner: view asked");
            // Answered from the dataset as it stands: during a load, the files finished so far.
            let mut s = engine.holdings.borrow_mut();
            if s.prepared.is_none() {
                profile::tally(Phase::Prepares);
            }
            profile::time(Phase::Prepare, || {
                s.prepared();
            });
            profile::mark("owner: prepared");
            let since = profile::now();
            let view = match &s.prepared {
                Some(prep) => build_view(&s.dataset, prep, &req),
                None => return,
            };
            drop(s);
            engine.post(&Response::View(Box::new(view)));
            profile::count(Phase::View, since);
            profile::mark("owner: view posted");
        }
        Request::Detail { event_id } => {
            let detail = {
                let mut s = engine.holdings.borrow_mut();
                let s = &mut *s;
                // Prepared only if a view was asked since the last change (always once loaded).
                build_detail(&s.dataset, s.prepared.as_ref(), &event_id, &mut s.files)
            };
            engine.post(&Response::Detail { event_id, detail: Box::new(detail) });
        }
        Request::Export { export_id, kind, view } => enqueue(engine, Job::Export { export_id, kind, view }),
        Request::CancelExport { export_id } => {
            if engine.exporting.get() == Some(export_id) {
                engine.cancel.set(true);
            } else {
                let mut queue = engine.queue.borrow_mut();
                let before = queue.len();
                queue.retain(|j| !matches!(j, Job::Export { export_id: e, .. } if *e == export_id));
                if before != queue.len() {
                    drop(queue);
                    engine.post(&Response::ExportCancelled { export_id });
                }
                // Otherwise it has already ended.
            }
        }
    }
}

/// Queues a job and starts the job task if it is not running.
fn enqueue(engine: &Rc<Engine>, job: Job) {
    engine.queue.borrow_mut().push_back(job);
    if !engine.task_active.get() {
        // Marked before the task first runs, so a second job queues behind it.
        engine.task_active.set(true);
        let engine = Rc::clone(engine);
        wasm_bindgen_futures::spawn_local(async move { run_jobs(engine).await });
    }
}

/// The job task: runs queued loads and exports one after the other until the queue is empty.
async fn run_jobs(engine: Rc<Engine>) {
    loop {
        let job = engine.queue.borrow_mut().pop_front();
        let Some(job) = job else {
            engine.running.set(None);
            engine.task_active.set(false);
            return;
        };
        engine.running.set(job.load_id());
        engine.cancel.set(false);
        match job {
            Job::Files { load_id, names, files, parsers, pump } => {
                load_files(&engine, load_id, &names, &files, &parsers, pump).await;
                engine.inbox.borrow_mut().retain(|(l, _), _| *l != load_id);
                engine.pumped.borrow_mut().retain(|(l, _), _| *l != load_id);
            }
            Job::Parse { load_id, indices, names, files } => {
                parse_files(&engine, load_id, &indices, &names, &files).await
            }
            Job::Pump { load_id, indices, files } => pump_files(&engine, load_id, &indices, &files).await,
            Job::Export { export_id, kind, view } => {
                engine.exporting.set(Some(export_id));
                run_export(&engine, export_id, kind, &view).await;
                engine.exporting.set(None);
            }
            // The sample is small and built in: one step, nothing to cancel.
            Job::Sample { load_id } => {
                engine.holdings.borrow_mut().add_sample();
                engine.post(&Response::Loaded { load_id, cancelled: false });
            }
        }
    }
}
