//! The engine: runs inside a web worker. Worker 0 owns the dataset and answers view, detail
//! and export requests; the other workers are parse helpers that read files for it. Only this
//! module and `pool` know the message format.
//!
//! Loads run as one asynchronous task: each file is read as a stream (`Blob.stream()`, chunks
//! of a few hundred KB, the browser reading ahead) fed to a [`FileStream`], and every
//! [`YIELD_INTERVAL_MS`] of work the task lets the worker's message queue run (a
//! `MessageChannel` tick), so a `Cancel`, a `View` or a `Detail` sent during a load is handled
//! between chunks. The dataset only changes between files, in one synchronous step per file,
//! so a view asked for during a load shows exactly the files finished so far. Exports run in
//! the same task, in turn with loads (so the dataset does not change under them), and yield
//! the same way: a view, a detail or a `CancelExport` is answered while one runs.

use std::cell::{Cell, RefCell};
use std::collections::{HashMap, VecDeque};
use std::rc::Rc;

use js_sys::{Array, Object, Promise, Reflect, Uint8Array};
use tunnelscope_core::ingest::{FileStream, SpanTexts, files_from_wire, files_into_wire};
use tunnelscope_core::sample::{SAMPLE_FILE_NAME, sample_trail_json};
use tunnelscope_core::{Dataset, ParsedFile};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use web_sys::{
    DedicatedWorkerGlobalScope, File, FileReaderSync, MessageChannel, MessageEvent, MessagePort,
    ReadableStreamDefaultReader,
};

use crate::protocol::{
    ExportBody, ExportKind, PROGRESS_INTERVAL_MS, Request, Response, ViewRequest, YIELD_INTERVAL_MS,
};
use crate::view::{ExportBuilder, Prepared, build_detail, build_view};
use crate::worker::profile::{self, Phase};
use crate::worker::raw_source::{LoadedFiles, read_spans_async};

/// Starts the engine in the current worker: installs the message handler and says `Ready`.
pub fn run_worker() {
    let scope: DedicatedWorkerGlobalScope = js_sys::global().unchecked_into();
    let post_scope = scope.clone();
    let post = move |r: &Response| {
        if let Ok(text) = serde_json::to_string(r) {
            // A failed post means the page is gone; there is no one left to tell.
            let _ = post_scope.post_message(&JsValue::from_str(&text));
        }
    };
    let engine = Rc::new(Engine {
        shard: RefCell::new(Shard::default()),
        queue: RefCell::new(VecDeque::new()),
        running: Cell::new(None),
        exporting: Cell::new(None),
        task_active: Cell::new(false),
        cancel: Cell::new(false),
        ticker: Ticker::new(),
        post: Box::new(post),
        inbox: RefCell::new(HashMap::new()),
        pumped: RefCell::new(HashMap::new()),
        acked: Cell::new(0),
        wake: RefCell::new(None),
        owner: RefCell::new(None),
        owner_handler: RefCell::new(None),
        helper_ports: RefCell::new(Vec::new()),
    });
    let handler_engine = Rc::clone(&engine);
    let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |msg: MessageEvent| {
        let data = msg.data();
        let json = Reflect::get(&data, &JsValue::from_str("json")).ok().and_then(|v| v.as_string());
        let files: Vec<File> = Reflect::get(&data, &JsValue::from_str("files"))
            .ok()
            .filter(|v| v.is_object())
            .map(|v| Array::from(&v).iter().filter_map(|f| f.dyn_into::<File>().ok()).collect())
            .unwrap_or_default();
        let port = Reflect::get(&data, &JsValue::from_str("port")).ok().and_then(|p| p.dyn_into::<MessagePort>().ok());
        let request = json.as_deref().map(serde_json::from_str::<Request>);
        match request {
            Some(Ok(Request::Connect { helper, to_owner })) => match port {
                Some(port) => connect(&handler_engine, helper, to_owner, port),
                None => (handler_engine.post)(&Response::Failed { message: "connect without a port".into() }),
            },
            Some(Ok(req)) => handle(&handler_engine, req, files),
            Some(Err(e)) => (handler_engine.post)(&Response::Failed { message: format!("bad request: {e}") }),
            None => (handler_engine.post)(&Response::Failed { message: "bad request: no json".into() }),
        }
    });
    scope.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    // The handler lives as long as the worker.
    on_message.forget();
    (engine.post)(&Response::Ready);
}

/// A worker's shard: the dataset (compact: raw JSON only for EICE-related events), the `File`s
/// it was read from (to read other raw records again on demand), and what is prepared from it
/// for views (rebuilt lazily after every change, so a burst of loads prepares once).
struct Shard {
    dataset: Dataset,
    files: LoadedFiles,
    prepared: Option<Prepared>,
}

impl Default for Shard {
    fn default() -> Self {
        Self { dataset: Dataset::compact(), files: LoadedFiles::default(), prepared: None }
    }
}

impl Shard {
    fn prepared(&mut self) -> &Prepared {
        let dataset = &self.dataset;
        self.prepared.get_or_insert_with(|| Prepared::new(dataset))
    }

    fn add(&mut self, name: &str, parsed: ParsedFile) {
        self.prepared = None;
        self.dataset.add_parsed(name, parsed);
    }
}

/// A load waiting for its turn (loads run one at a time, in the order they were sent).
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

/// A piece of one of the owner's files, as the helper that reads it sends it.
enum Pumped {
    /// The file's next bytes; `at`: the file's bytes read so far.
    Bytes { bytes: Uint8Array, at: u64 },
    /// The file's end; `ok` false when the helper could not read all of it (the owner then
    /// reads the file itself).
    End { ok: bool },
}

/// Bytes a helper sends ahead of what the owner has parsed: the window that keeps the read
/// ahead without piling a big file up in memory.
const PUMP_WINDOW: u64 = 32 << 20;

/// A port's message handler, kept alive as long as its port.
type PortHandler = Closure<dyn FnMut(MessageEvent)>;

struct Engine {
    shard: RefCell<Shard>,
    /// Loads not started yet.
    queue: RefCell<VecDeque<Job>>,
    /// The load being read.
    running: Cell<Option<u64>>,
    /// The export being made.
    exporting: Cell<Option<u64>>,
    /// The load task is running (or about to).
    task_active: Cell<bool>,
    /// The running load (or export) was asked to stop.
    cancel: Cell<bool>,
    ticker: Ticker,
    post: Box<dyn Fn(&Response)>,
    /// The owner: parsed files received from helpers, by (load, file position), as bytes kept
    /// outside wasm memory until their turn (a helper may be files ahead).
    inbox: RefCell<HashMap<(u64, usize), Uint8Array>>,
    /// The owner: pieces of its own files from the helper that reads them, by (load, file).
    pumped: RefCell<HashMap<(u64, usize), VecDeque<Pumped>>>,
    /// A helper that reads files for the owner: the bytes the owner says it has parsed.
    acked: Cell<u64>,
    /// Resolves the load task's wait for the inbox (or a cancel).
    wake: RefCell<Option<js_sys::Function>>,
    /// A helper: the port to the owner.
    owner: RefCell<Option<MessagePort>>,
    /// A helper: the handler of what the owner says back (kept alive with the port).
    owner_handler: RefCell<Option<PortHandler>>,
    /// The owner: its ends of the helpers' ports, by helper number (kept alive with their
    /// handlers).
    helper_ports: RefCell<Vec<(usize, MessagePort, PortHandler)>>,
}

impl Engine {
    fn cancelled(&self) -> bool {
        self.cancel.get()
    }

    /// Wakes the load task if it waits for a helper.
    fn notify(&self) {
        if let Some(resolve) = self.wake.borrow_mut().take() {
            let _ = resolve.call0(&JsValue::NULL);
        }
    }

    /// Waits until [`Engine::notify`].
    async fn wait(&self) {
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

/// A helper's end of the line to the owner (`to_owner`), kept to send on (the owner answers
/// on it with the bytes it has parsed of what the helper reads for it), or the owner's end of
/// the line from helper `helper`: what arrives goes into its inbox (parsed files) or its
/// pumped pieces (its own files, read by the helper).
fn connect(engine: &Rc<Engine>, helper: usize, to_owner: bool, port: MessagePort) {
    if to_owner {
        let ack_engine = Rc::clone(engine);
        let on_ack = Closure::<dyn FnMut(MessageEvent)>::new(move |msg: MessageEvent| {
            if let Some(n) = Reflect::get(&msg.data(), &JsValue::from_str("ack")).ok().and_then(|v| v.as_f64()) {
                ack_engine.acked.set(ack_engine.acked.get() + n as u64);
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
        let data = msg.data();
        let get = |key: &str| Reflect::get(&data, &JsValue::from_str(key)).ok();
        let num = |key: &str| get(key).and_then(|v| v.as_f64());
        let (Some(load_id), Some(index)) = (num("load_id"), num("index")) else { return };
        let load_id = load_id as u64;
        if !inbox_engine.wants(load_id) {
            return;
        }
        let bytes = get("bytes").and_then(|b| b.dyn_into::<Uint8Array>().ok());
        if let Some(end) = get("end").and_then(|v| v.as_bool()) {
            // A piece of one of the owner's own files.
            let piece = match bytes {
                Some(bytes) if !end => Pumped::Bytes { bytes, at: num("at").unwrap_or(0.0) as u64 },
                _ => Pumped::End { ok: end && get("ok").and_then(|v| v.as_bool()).unwrap_or(false) },
            };
            inbox_engine.pumped.borrow_mut().entry((load_id, index as usize)).or_default().push_back(piece);
        } else if let Some(bytes) = bytes {
            inbox_engine.inbox.borrow_mut().insert((load_id, index as usize), bytes);
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
                    (engine.post)(&Response::Loaded { load_id, cancelled: true });
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
                (engine.post)(&job.cancelled());
            }
            *engine.shard.borrow_mut() = Shard::default();
        }
        Request::View(req) => {
            profile::mark("owner: view asked");
            // Answered from the dataset as it stands: during a load, the files finished so far.
            let mut s = engine.shard.borrow_mut();
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
            (engine.post)(&Response::View(Box::new(view)));
            profile::count(Phase::View, since);
            profile::mark("owner: view posted");
        }
        Request::Detail { event_id } => {
            let detail = {
                let mut s = engine.shard.borrow_mut();
                let s = &mut *s;
                // Prepared only if a view was asked since the last change (always once loaded).
                build_detail(&s.dataset, s.prepared.as_ref(), &event_id, &mut s.files)
            };
            (engine.post)(&Response::Detail { event_id, detail: Box::new(detail) });
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
                    (engine.post)(&Response::ExportCancelled { export_id });
                }
                // Otherwise it has already ended.
            }
        }
    }
}

/// Queues a load and starts the load task if it is not running.
fn enqueue(engine: &Rc<Engine>, job: Job) {
    engine.queue.borrow_mut().push_back(job);
    if !engine.task_active.get() {
        // Marked before the task first runs, so a second load queues behind it.
        engine.task_active.set(true);
        let engine = Rc::clone(engine);
        wasm_bindgen_futures::spawn_local(async move { run_loads(engine).await });
    }
}

/// The load task: runs queued loads and exports one after the other until the queue is empty.
async fn run_loads(engine: Rc<Engine>) {
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
                engine.shard.borrow_mut().add_sample();
                (engine.post)(&Response::Loaded { load_id, cancelled: false });
            }
        }
    }
}

impl Shard {
    fn add_sample(&mut self) {
        self.prepared = None;
        let bytes = sample_trail_json();
        // The compact dataset drops the raw JSON of the sample's unrelated events too: they are
        // read again, as any file's, from a `File` of the sample's bytes.
        let parts = Array::of1(&Uint8Array::from(bytes.as_slice()));
        if let Ok(file) = File::new_with_u8_array_sequence(&parts, SAMPLE_FILE_NAME) {
            self.files.insert(SAMPLE_FILE_NAME.to_owned(), file);
        }
        self.dataset.add_file(SAMPLE_FILE_NAME, &bytes);
    }
}

/// Counts of a load in progress, and when they were last posted.
struct Counter {
    load_id: u64,
    files_done: usize,
    files_total: usize,
    bytes_done: u64,
    bytes_total: u64,
    /// Records of finished files.
    records_done: u64,
    throttle: Throttle,
}

/// When progress was last posted: at most one message per [`PROGRESS_INTERVAL_MS`].
#[derive(Clone, Copy)]
struct Throttle {
    last_post_ms: f64,
}

impl Throttle {
    const NEW: Self = Self { last_post_ms: f64::NEG_INFINITY };

    /// True (and the clock restarted) when a post is due now, always when `force`.
    fn due(&mut self, force: bool) -> bool {
        let now = js_sys::Date::now();
        if !force && now - self.last_post_ms < PROGRESS_INTERVAL_MS {
            return false;
        }
        self.last_post_ms = now;
        true
    }
}

impl Counter {
    /// Posts progress if [`PROGRESS_INTERVAL_MS`] passed since the last post (always when `force`).
    fn post(&mut self, engine: &Engine, records_current: u64, force: bool) {
        if !self.throttle.due(force) {
            return;
        }
        (engine.post)(&Response::Progress {
            load_id: self.load_id,
            files_done: self.files_done,
            files_total: self.files_total,
            bytes_done: self.bytes_done,
            bytes_total: self.bytes_total,
            records_done: self.records_done + records_current,
        });
    }
}

/// The owner: adds the files of one load in order, reading each one itself as a stream fed to
/// a [`FileStream`] or taking the bytes a parse helper sent for it (`parsers`), yielding to the
/// message queue every [`YIELD_INTERVAL_MS`]; stops between chunks when cancelled.
async fn load_files(
    engine: &Engine,
    load_id: u64,
    names: &[String],
    files: &[File],
    parsers: &[usize],
    pump: Option<usize>,
) {
    let mine = |i: usize| parsers.get(i).copied().unwrap_or(0) == 0;
    profile::reset();
    profile::mark("owner: load starts");
    let mut counter = Counter {
        load_id,
        files_done: 0,
        files_total: files.len(),
        bytes_done: 0,
        // Helpers report the bytes and records of the files they read.
        bytes_total: files.iter().enumerate().filter(|(i, _)| mine(*i)).map(|(_, f)| f.size() as u64).sum(),
        records_done: 0,
        throttle: Throttle::NEW,
    };
    counter.post(engine, 0, true);
    // Room for the load's events, so the columns neither regrow (a regrowth holds two copies)
    // nor overshoot: for the first file at 1,000 bytes a record, then, once a thousand records
    // are in, for all the rest at the bytes per record seen so far, plus a tenth.
    let all_bytes: u64 = files.iter().map(|f| f.size() as u64).sum();
    let first = files.first().map_or(0, |f| f.size() as u64);
    engine.shard.borrow_mut().dataset.reserve(usize::try_from(first / 1000).unwrap_or(0));
    let (mut bytes_added, mut records_added, mut fitted) = (0u64, 0u64, false);
    let mut reader = Reader::new();
    let mut cancelled = false;
    let mut own_done = 0u64;
    // A pumped file is read by the helper; the others' small files are asked for ahead.
    let mut ahead = Prefetch::new(files, (0..files.len()).filter(|&i| mine(i) && pump.is_none()).collect());
    for (i, file) in files.iter().enumerate() {
        let name = names.get(i).cloned().unwrap_or_else(|| file.name());
        let parsed = if mine(i) {
            let read = match (pump, ahead.take(i)) {
                (_, Some(bytes)) => reader.read_whole(engine, &name, file, bytes, &mut counter).await,
                (Some(helper), None) => {
                    reader.read_pumped(engine, (load_id, i), helper, &name, file, &mut counter).await
                }
                (None, None) => reader.read(engine, &name, file, &mut counter).await,
            };
            match read {
                Some(parsed) => {
                    counter.records_done += records_of(&parsed);
                    own_done += file.size() as u64;
                    parsed
                }
                None => {
                    cancelled = true;
                    break;
                }
            }
        } else {
            let since = profile::now();
            let Some(bytes) = wait_for(engine, load_id, i).await else {
                cancelled = true;
                break;
            };
            profile::count(Phase::Handover, since);
            profile::time(Phase::Add, || {
                files_from_wire(&bytes).unwrap_or_else(|e| vec![(name.clone(), ParsedFile::rejected(e))])
            })
        };
        {
            let since = profile::now();
            let mut shard = engine.shard.borrow_mut();
            shard.files.insert(name.clone(), file.clone());
            // Events, not records: a file of millions of invalid `{}` must not make the
            // estimate of the events to come (bytes left / bytes per event) absurd.
            records_added += parsed.iter().map(|(_, p)| p.n_events() as u64).sum::<u64>();
            for (name, file) in parsed {
                shard.add(&name, file);
            }
            bytes_added += file.size() as u64;
            if !fitted && records_added >= 1000 {
                fitted = true;
                let left = all_bytes.saturating_sub(bytes_added) / (bytes_added / records_added).max(1);
                shard.dataset.reserve(usize::try_from(left + left / 10).unwrap_or(0));
            }
            profile::count(Phase::Add, since);
        }
        profile::mark("owner: file added");
        counter.files_done += 1;
        counter.post(engine, 0, false);
        if reader.yield_due(engine).await {
            cancelled = true;
            break;
        }
    }
    if cancelled {
        // What was read of the dropped file no longer counts.
        counter.bytes_done = own_done;
    }
    profile::mark("owner: files added");
    profile::time(Phase::Add, || engine.shard.borrow_mut().dataset.shrink_to_fit());
    profile::mark("owner: Loaded");
    counter.post(engine, 0, true);
    (engine.post)(&Response::Loaded { load_id, cancelled });
}

/// Rows an export writes in one step (a few ms), between which the worker may yield.
const EXPORT_ROWS_PER_STEP: usize = 2_000;

/// An export's progress, and when it was last posted.
struct ExportCounter {
    export_id: u64,
    total: u64,
    throttle: Throttle,
}

impl ExportCounter {
    /// Posts progress if [`PROGRESS_INTERVAL_MS`] passed since the last post (always when `force`).
    fn post(&mut self, engine: &Engine, done: usize, force: bool) {
        if !self.throttle.due(force) {
            return;
        }
        (engine.post)(&Response::ExportProgress { export_id: self.export_id, done: done as u64, total: self.total });
    }
}

/// The owner: makes an export ([`ExportBuilder`]). What matches is fixed at the start; the raw
/// records the dataset dropped are read again from their files, each file once and in one
/// pass ([`read_spans_async`]); the document is written [`EXPORT_ROWS_PER_STEP`] rows at a
/// time. Yields every [`YIELD_INTERVAL_MS`], so views, details and a `CancelExport` are
/// answered meanwhile; posts its progress at most every [`PROGRESS_INTERVAL_MS`]; ends with
/// `Export`, or `ExportCancelled` when cancelled or when the dataset was cleared meanwhile.
async fn run_export(engine: &Engine, export_id: u64, kind: ExportKind, view: &ViewRequest) {
    profile::mark("owner: export starts");
    let export = {
        let mut guard = engine.shard.borrow_mut();
        guard.prepared();
        let s = &*guard;
        s.prepared.as_ref().map(|prep| ExportBuilder::new(&s.dataset, prep, kind, view))
    };
    let Some(mut export) = export else {
        // Cannot happen (just prepared); still, the page must not wait for it forever.
        (engine.post)(&Response::ExportCancelled { export_id });
        return;
    };
    let mut counter = ExportCounter { export_id, total: export.total() as u64, throttle: Throttle::NEW };
    counter.post(engine, export.done(), true);
    let mut last_yield = js_sys::Date::now();
    let files = export.take_files();
    let handles: Vec<Option<File>> = {
        let s = engine.shard.borrow();
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
                let s = engine.shard.borrow();
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
        (engine.post)(&Response::ExportCancelled { export_id });
        return;
    }
    let (file_name, mime, body) = export.finish();
    profile::mark("owner: export written");
    post_export(&Response::Export { export_id, file_name, mime, body: ExportBody::default() }, &body);
}

/// Posts a finished export as `{json, body}`: the response without its text, and the text's
/// bytes beside it, their buffer transferred rather than copied ([`ExportBody`]).
fn post_export(response: &Response, body: &str) {
    let Ok(json) = serde_json::to_string(response) else { return };
    let bytes = Uint8Array::from(body.as_bytes());
    let msg = Object::new();
    let _ = Reflect::set(&msg, &JsValue::from_str("json"), &JsValue::from_str(&json));
    let _ = Reflect::set(&msg, &JsValue::from_str("body"), &bytes);
    let scope: DedicatedWorkerGlobalScope = js_sys::global().unchecked_into();
    // A failed post means the page is gone; there is no one left to tell.
    let _ = scope.post_message_with_transfer(&msg, &Array::of1(&bytes.buffer()));
}

/// Records found in a file's parsed results (valid or not).
fn records_of(parsed: &[(String, ParsedFile)]) -> u64 {
    parsed.iter().map(|(_, p)| p.n_records() as u64).sum()
}

/// The owner: the bytes helper sent for file `index` of the load, waiting for them; `None`
/// when the load is cancelled meanwhile.
async fn wait_for(engine: &Engine, load_id: u64, index: usize) -> Option<Vec<u8>> {
    let bytes = wait_until(engine, || engine.inbox.borrow_mut().remove(&(load_id, index))).await?;
    Some(bytes.to_vec())
}

/// Waits until `take` gives something (it is asked again after each [`Engine::notify`]);
/// `None` when the load is cancelled meanwhile.
async fn wait_until<T>(engine: &Engine, mut take: impl FnMut() -> Option<T>) -> Option<T> {
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

/// A parse helper: reads its files of a load and sends each parsed result to the owner (as
/// bytes, the buffer transferred, not copied); reports its own bytes and records.
async fn parse_files(engine: &Engine, load_id: u64, indices: &[usize], names: &[String], files: &[File]) {
    let mut counter = Counter {
        load_id,
        files_done: 0,
        // The owner counts files (as it adds them); a helper, the bytes and records it reads.
        files_total: 0,
        bytes_done: 0,
        bytes_total: files.iter().map(|f| f.size() as u64).sum(),
        records_done: 0,
        throttle: Throttle::NEW,
    };
    counter.post(engine, 0, true);
    profile::reset();
    let owner = engine.owner.borrow().clone();
    let mut reader = Reader::new();
    let mut cancelled = false;
    let mut ahead = Prefetch::new(files, (0..files.len()).collect());
    for (k, ((file, &index), name)) in files.iter().zip(indices).zip(names).enumerate() {
        let read = match ahead.take(k) {
            Some(bytes) => reader.read_whole(engine, name, file, bytes, &mut counter).await,
            None => reader.read(engine, name, file, &mut counter).await,
        };
        let Some(parsed) = read else {
            cancelled = true;
            break;
        };
        counter.records_done += records_of(&parsed);
        profile::mark("helper: file parsed");
        let bytes = Uint8Array::from(files_into_wire(parsed).as_slice());
        let buffer: JsValue = bytes.buffer().into();
        send_to_owner(owner.as_ref(), (load_id, index), &[("bytes", bytes.into())], Some(&buffer));
        profile::mark("helper: file sent");
        counter.post(engine, 0, false);
    }
    counter.post(engine, 0, true);
    (engine.post)(&Response::Loaded { load_id, cancelled });
}

/// A helper with no files of its own: reads the owner's files (positions `indices` of the
/// load) and sends their bytes to the owner as they arrive, at most [`PUMP_WINDOW`] ahead of
/// what the owner has parsed: the owner's worker is busy parsing, so a stream it read itself
/// would only read ahead while it waits. A file it cannot read all of ends with `ok: false`,
/// and the owner reads that one itself.
///
/// Gzip files are sent as stored: decompressing them here, for the owner to parse the text,
/// gained nothing on a 2-core machine (both workers slowed down) and held more memory.
async fn pump_files(engine: &Engine, load_id: u64, indices: &[usize], files: &[File]) {
    profile::reset();
    profile::mark("helper: pump starts");
    let owner = engine.owner.borrow().clone();
    let send = |index: usize, fields: &[(&str, JsValue)], transfer: Option<&JsValue>| {
        send_to_owner(owner.as_ref(), (load_id, index), fields, transfer);
    };
    engine.acked.set(0);
    let (mut sent, mut cancelled) = (0u64, false);
    for (file, &index) in files.iter().zip(indices) {
        let size = file.size() as u64;
        let reader: Option<ReadableStreamDefaultReader> = file.stream().get_reader().dyn_into().ok();
        let (mut at, mut ok) = (0u64, reader.is_some());
        while let Some(r) = reader.as_ref().filter(|_| ok) {
            let since = profile::now();
            let chunk = match next_chunk(r).await {
                Ok(Some(chunk)) => chunk,
                Ok(None) => break,
                Err(_) => {
                    ok = false;
                    break;
                }
            };
            profile::count(Phase::Wait, since);
            at += u64::from(chunk.length());
            sent += u64::from(chunk.length());
            let buffer: JsValue = chunk.buffer().into();
            let fields = [("bytes", chunk.into()), ("at", JsValue::from_f64(at as f64)), ("end", JsValue::FALSE)];
            send(index, &fields, Some(&buffer));
            // The window: wait for the owner to parse what is ahead.
            while sent.saturating_sub(engine.acked.get()) > PUMP_WINDOW && !engine.cancelled() {
                engine.wait().await;
            }
            if engine.cancelled() {
                let _ = r.cancel();
                cancelled = true;
                break;
            }
        }
        if cancelled {
            break;
        }
        let fields = [("end", JsValue::TRUE), ("ok", JsValue::from_bool(ok && at == size))];
        send(index, &fields, None);
        profile::mark("helper: file pumped");
    }
    (engine.post)(&Response::Loaded { load_id, cancelled });
}

/// A helper's message about file `key` (load, position) to the owner, with `fields`, the
/// buffer `transfer` moved rather than copied.
fn send_to_owner(
    owner: Option<&MessagePort>,
    key: (u64, usize),
    fields: &[(&str, JsValue)],
    transfer: Option<&JsValue>,
) {
    let Some(port) = owner else { return };
    let msg = Object::new();
    let _ = Reflect::set(&msg, &JsValue::from_str("load_id"), &JsValue::from_f64(key.0 as f64));
    let _ = Reflect::set(&msg, &JsValue::from_str("index"), &JsValue::from_f64(key.1 as f64));
    for (name, value) in fields {
        let _ = Reflect::set(&msg, &JsValue::from_str(name), value);
    }
    // A failed post leaves the owner waiting: it can only mean the page is going away.
    let _ = match transfer {
        Some(t) => port.post_message_with_transferable(&msg, &Array::of1(t)),
        None => port.post_message(&msg),
    };
}

/// The owner: the next piece of its file `key` from the helper that reads it; `None` when
/// the load is cancelled meanwhile.
async fn next_pumped(engine: &Engine, key: (u64, usize)) -> Option<Pumped> {
    wait_until(engine, || engine.pumped.borrow_mut().get_mut(&key).and_then(VecDeque::pop_front)).await
}

/// Reads files as streams (one reusable buffer), yielding every [`YIELD_INTERVAL_MS`].
struct Reader {
    reader: Option<FileReaderSync>,
    slice: Vec<u8>,
    last_yield: f64,
}

impl Reader {
    fn new() -> Self {
        Self { reader: FileReaderSync::new().ok(), slice: Vec::new(), last_yield: js_sys::Date::now() }
    }

    async fn yield_due(&mut self, engine: &Engine) -> bool {
        yield_due(engine, &mut self.last_yield).await
    }

    /// Ends a file's stream: an unusual plain file is read whole again (its events' text was
    /// let go).
    fn finish(&self, stream: FileStream, file: &File) -> Vec<(String, ParsedFile)> {
        profile::time(Phase::Parse, || {
            stream.finish_with(&mut || {
                let mut whole = Vec::new();
                read_slice(self.reader.as_ref(), file, 0, file.size() as u64, &mut whole).map(|()| whole)
            })
        })
    }

    /// [`Reader::read`] of file `key` (load, position) with its bytes from helper `helper`,
    /// which reads it meanwhile ([`pump_files`]). A file the helper could not read all of is
    /// read here, as without a helper.
    async fn read_pumped(
        &mut self,
        engine: &Engine,
        key: (u64, usize),
        helper: usize,
        name: &str,
        file: &File,
        counter: &mut Counter,
    ) -> Option<Vec<(String, ParsedFile)>> {
        let size = file.size() as u64;
        let base = counter.bytes_done;
        // Compact: as in `read`.
        let mut stream = FileStream::new(name, size).compact();
        let ok = loop {
            let since = profile::now();
            let piece = next_pumped(engine, key).await?;
            profile::count(Phase::Wait, since);
            let Pumped::Bytes { bytes, at } = piece else {
                break matches!(piece, Pumped::End { ok: true });
            };
            if at == u64::from(bytes.length()) {
                profile::mark("owner: first pumped bytes");
            }
            let since = profile::now();
            copy_into(&bytes, &mut self.slice);
            stream.push(&self.slice);
            profile::count(Phase::Parse, since);
            if let Some((_, port, _)) = engine.helper_ports.borrow().iter().find(|(h, _, _)| *h == helper) {
                let ack = Object::new();
                let _ = Reflect::set(&ack, &JsValue::from_str("ack"), &JsValue::from_f64(f64::from(bytes.length())));
                let _ = port.post_message(&ack);
            }
            counter.bytes_done = base + at.min(size);
            counter.post(engine, stream.records_so_far(), false);
            if self.yield_due(engine).await {
                return None;
            }
        };
        if !ok {
            counter.bytes_done = base;
            return self.read(engine, name, file, counter).await;
        }
        profile::mark("owner: last pumped bytes parsed");
        let parsed = self.finish(stream, file);
        profile::mark("owner: file parsed");
        counter.bytes_done = base + size;
        if self.yield_due(engine).await {
            return None;
        }
        Some(parsed)
    }

    /// [`Reader::read`] of a small file whose bytes were asked for ahead ([`Prefetch`]).
    async fn read_whole(
        &mut self,
        engine: &Engine,
        name: &str,
        file: &File,
        bytes: JsFuture,
        counter: &mut Counter,
    ) -> Option<Vec<(String, ParsedFile)>> {
        let size = file.size() as u64;
        let since = profile::now();
        let read = bytes.await;
        profile::count(Phase::Wait, since);
        counter.bytes_done += size;
        let parsed = match read {
            Ok(buffer) => {
                let since = profile::now();
                copy_into(&Uint8Array::new(&buffer), &mut self.slice);
                profile::count(Phase::Parse, since);
                if self.slice.len() as u64 == size {
                    let mut stream = FileStream::new(name, size).compact();
                    profile::time(Phase::Parse, || stream.push(&self.slice));
                    self.finish(stream, file)
                } else {
                    vec![(name.to_owned(), ParsedFile::rejected(changed_while_read(self.slice.len() as u64, size)))]
                }
            }
            Err(e) => {
                vec![(name.to_owned(), ParsedFile::rejected(format!("cannot read the file: {}", js_error_text(&e))))]
            }
        };
        if self.yield_due(engine).await {
            return None;
        }
        Some(parsed)
    }

    /// Reads and parses one file (counting its bytes); `None` when cancelled meanwhile (the
    /// partly read file is dropped).
    async fn read(
        &mut self,
        engine: &Engine,
        name: &str,
        file: &File,
        counter: &mut Counter,
    ) -> Option<Vec<(String, ParsedFile)>> {
        let size = file.size() as u64;
        // Compact: the text of unrelated records is let go as they are parsed (read again on demand).
        let mut stream = FileStream::new(name, size).compact();
        let mut start = 0u64;
        let mut error = None;
        // `Blob.stream()`: the browser reads ahead while the worker parses (a chunk at a time,
        // a few hundred KB each); far faster in Chromium than slice-by-slice reads.
        let reader: Option<ReadableStreamDefaultReader> = file.stream().get_reader().dyn_into().ok();
        loop {
            let since = profile::now();
            let read = match &reader {
                Some(r) => next_chunk(r).await,
                None => Err("the browser cannot stream files".to_owned()),
            };
            profile::count(Phase::Wait, since);
            match read {
                Ok(Some(chunk)) => {
                    let since = profile::now();
                    copy_into(&chunk, &mut self.slice);
                    stream.push(&self.slice);
                    profile::count(Phase::Parse, since);
                    start += self.slice.len() as u64;
                    counter.bytes_done += self.slice.len() as u64;
                }
                Ok(None) => break,
                Err(reason) => {
                    error = Some(reason);
                    break;
                }
            }
            counter.post(engine, stream.records_so_far(), false);
            if self.yield_due(engine).await {
                if let Some(r) = &reader {
                    // Stops the browser reading ahead; nothing to wait for.
                    let _ = r.cancel();
                }
                return None;
            }
        }
        if start != size && error.is_none() {
            error = Some(changed_while_read(start, size));
        }
        let parsed = match error {
            Some(reason) => {
                // The rest of the file will not be read: count it as done for the progress bar.
                counter.bytes_done += size.saturating_sub(start);
                vec![(name.to_owned(), ParsedFile::rejected(reason))]
            }
            None => self.finish(stream, file),
        };
        // Parsing took a while: a cancel sent meanwhile still drops this file.
        if self.yield_due(engine).await {
            return None;
        }
        Some(parsed)
    }
}

/// Yields to the worker's message queue once `YIELD_INTERVAL_MS` have passed since the last
/// yield, so Cancel, View and Detail are answered mid-load; true when a Cancel arrived.
async fn yield_due(engine: &Engine, last_yield: &mut f64) -> bool {
    if js_sys::Date::now() - *last_yield < YIELD_INTERVAL_MS {
        return false;
    }
    engine.ticker.tick().await;
    *last_yield = js_sys::Date::now();
    engine.cancelled()
}

/// The next chunk of a file's stream (`None` at its end), or why it cannot be read.
pub(crate) async fn next_chunk(reader: &ReadableStreamDefaultReader) -> Result<Option<Uint8Array>, String> {
    let result =
        JsFuture::from(reader.read()).await.map_err(|e| format!("cannot read the file: {}", js_error_text(&e)))?;
    let done = Reflect::get(&result, &JsValue::from_str("done")).ok().and_then(|d| d.as_bool()).unwrap_or(true);
    if done {
        return Ok(None);
    }
    Reflect::get(&result, &JsValue::from_str("value"))
        .ok()
        .and_then(|v| v.dyn_into::<Uint8Array>().ok())
        .map(Some)
        .ok_or_else(|| "cannot read the file: the browser gave no bytes".to_owned())
}

/// Why a file that gave `read` of its `size` bytes is rejected.
fn changed_while_read(read: u64, size: u64) -> String {
    format!("the file changed while it was read ({read} of {size} bytes)")
}

/// Files up to this size are read whole and asked for ahead ([`Prefetch`]).
const SMALL_FILE_BYTES: u64 = 2 << 20;
/// Small files asked for ahead of the one being parsed.
const PREFETCH_FILES: usize = 16;

/// Small files asked for ahead (`File.arrayBuffer()`), so that the browser's latency per file
/// overlaps the parsing: a worker read 2,000 small files in 0.44-0.61 s with 4-64 asked for
/// ahead, against 0.96-1.42 s one after the other (stream, `arrayBuffer` or `FileReaderSync`).
struct Prefetch<'a> {
    files: &'a [File],
    /// Positions of the small files still to ask for, in reading order.
    todo: VecDeque<usize>,
    asked: VecDeque<(usize, JsFuture)>,
}

impl<'a> Prefetch<'a> {
    /// Asks ahead for the small files among `positions` (of `files`, in reading order).
    fn new(files: &'a [File], positions: Vec<usize>) -> Self {
        let todo = positions.into_iter().filter(|&i| files.get(i).is_some_and(|f| f.size() as u64 <= SMALL_FILE_BYTES));
        let mut p = Self { files, todo: todo.collect(), asked: VecDeque::new() };
        p.top_up();
        p
    }

    fn top_up(&mut self) {
        while self.asked.len() < PREFETCH_FILES {
            let Some(i) = self.todo.pop_front() else { break };
            self.asked.push_back((i, JsFuture::from(self.files[i].array_buffer())));
        }
    }

    /// The bytes asked for of file `i`, when it is the next one asked for.
    fn take(&mut self, i: usize) -> Option<JsFuture> {
        if self.asked.front().is_none_or(|(j, _)| *j != i) {
            return None;
        }
        let (_, bytes) = self.asked.pop_front()?;
        self.top_up();
        Some(bytes)
    }
}

/// Copies a slice's bytes into `out` (reused between slices).
pub(crate) fn copy_into(chunk: &Uint8Array, out: &mut Vec<u8>) {
    out.clear();
    out.resize(chunk.length() as usize, 0);
    chunk.copy_to(out);
}

/// Reads bytes `start..end` of a `File` into `out` (never as a JS string).
fn read_slice(
    reader: Option<&FileReaderSync>,
    file: &File,
    start: u64,
    end: u64,
    out: &mut Vec<u8>,
) -> Result<(), String> {
    let reader = reader.ok_or_else(|| "the browser cannot read files in a worker".to_owned())?;
    let blob = file
        .slice_with_f64_and_f64(start as f64, end as f64)
        .map_err(|_| format!("cannot slice the file at byte {start}"))?;
    let buffer = reader
        .read_as_array_buffer(&blob)
        .map_err(|e| format!("cannot read the file at byte {start}: {}", js_error_text(&e)))?;
    copy_into(&Uint8Array::new(&buffer), out);
    Ok(())
}

fn js_error_text(e: &JsValue) -> String {
    e.as_string()
        .or_else(|| Reflect::get(e, &JsValue::from_str("message")).ok().and_then(|m| m.as_string()))
        .unwrap_or_else(|| "unknown error".to_owned())
}

/// Lets the worker's queued messages run: a message to itself through a `MessageChannel`
/// (no timer clamping, unlike `setTimeout(0)`), resolved after the tasks queued before it.
struct Ticker {
    channel: Option<MessageChannel>,
}

impl Ticker {
    fn new() -> Self {
        Self { channel: MessageChannel::new().ok() }
    }

    async fn tick(&self) {
        let Some(channel) = &self.channel else { return };
        let promise = Promise::new(&mut |resolve, _reject| {
            channel.port1().set_onmessage(Some(&resolve));
            if channel.port2().post_message(&JsValue::NULL).is_err() {
                let _ = resolve.call0(&JsValue::NULL);
            }
        });
        let _ = JsFuture::from(promise).await;
        channel.port1().set_onmessage(None);
    }
}
