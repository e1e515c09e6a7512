//! The engine: runs inside a web worker, owns one shard of the dataset, reads `File`s in
//! slices, and answers view requests. Only this module and `pool` know the message format.
//!
//! Loads run as one asynchronous task: files are read in [`SLICE_BYTES`] slices and fed to a
//! [`FileStream`], and every [`YIELD_INTERVAL_MS`] of work the task lets the worker's message
//! queue run (a `MessageChannel` tick), so a `Cancel`, a `View` or a `Detail` sent during a
//! load is handled between slices. The dataset only changes between files, in one synchronous
//! step per file, so a view asked for during a load shows exactly the files finished so far.

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::rc::Rc;

use js_sys::{Array, Promise, Reflect, Uint8Array};
use tunnelscope_core::ingest::FileStream;
use tunnelscope_core::sample::{SAMPLE_FILE_NAME, sample_trail_json};
use tunnelscope_core::{Dataset, ParsedFile};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use web_sys::{DedicatedWorkerGlobalScope, File, FileReaderSync, MessageChannel, MessageEvent};

use crate::protocol::{PROGRESS_INTERVAL_MS, Request, Response, SLICE_BYTES, YIELD_INTERVAL_MS};
use crate::raw_source::LoadedFiles;
use crate::view::{Prepared, build_detail, build_export, build_view};

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
        task_active: Cell::new(false),
        cancel: Cell::new(false),
        ticker: Ticker::new(),
        post: Box::new(post),
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
        let request = json.as_deref().map(serde_json::from_str::<Request>);
        match request {
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
    Files { load_id: u64, names: Vec<String>, files: Vec<File> },
    Sample { load_id: u64 },
}

impl Job {
    fn load_id(&self) -> u64 {
        match self {
            Self::Files { load_id, .. } | Self::Sample { load_id } => *load_id,
        }
    }
}

struct Engine {
    shard: RefCell<Shard>,
    /// Loads not started yet.
    queue: RefCell<VecDeque<Job>>,
    /// The load being read.
    running: Cell<Option<u64>>,
    /// The load task is running (or about to).
    task_active: Cell<bool>,
    /// The running load was asked to stop.
    cancel: Cell<bool>,
    ticker: Ticker,
    post: Box<dyn Fn(&Response)>,
}

impl Engine {
    fn cancelled(&self) -> bool {
        self.cancel.get()
    }
}

fn handle(engine: &Rc<Engine>, req: Request, files: Vec<File>) {
    match req {
        Request::Load { load_id, names } => enqueue(engine, Job::Files { load_id, names, files }),
        Request::LoadSample { load_id } => enqueue(engine, Job::Sample { load_id }),
        Request::Cancel { load_id } => {
            if engine.running.get() == Some(load_id) {
                engine.cancel.set(true);
            } else {
                let queued = {
                    let mut queue = engine.queue.borrow_mut();
                    let before = queue.len();
                    queue.retain(|j| j.load_id() != load_id);
                    before != queue.len()
                };
                if queued {
                    (engine.post)(&Response::Loaded { load_id, cancelled: true });
                }
                // Otherwise the load has already ended: nothing to stop.
            }
        }
        Request::Clear => {
            if engine.running.get().is_some() {
                engine.cancel.set(true);
            }
            let queued: Vec<Job> = engine.queue.borrow_mut().drain(..).collect();
            for job in queued {
                (engine.post)(&Response::Loaded { load_id: job.load_id(), cancelled: true });
            }
            *engine.shard.borrow_mut() = Shard::default();
        }
        Request::View(req) => {
            // Answered from the dataset as it stands: during a load, the files finished so far.
            let mut s = engine.shard.borrow_mut();
            s.prepared();
            let view = match &s.prepared {
                Some(prep) => build_view(&s.dataset, prep, &req),
                None => return,
            };
            drop(s);
            (engine.post)(&Response::View(Box::new(view)));
        }
        Request::Detail { event_id } => {
            let detail = {
                let mut s = engine.shard.borrow_mut();
                let s = &mut *s;
                build_detail(&s.dataset, &event_id, &mut s.files)
            };
            (engine.post)(&Response::Detail(Box::new(detail)));
        }
        Request::Export { kind, view } => {
            let (file_name, mime, body) = {
                let mut guard = engine.shard.borrow_mut();
                guard.prepared();
                let s = &mut *guard;
                let Some(prep) = &s.prepared else { return };
                build_export(&s.dataset, prep, kind, &view, &mut s.files)
            };
            (engine.post)(&Response::Export { file_name, mime, body });
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

/// The load task: runs queued loads one after the other until the queue is empty.
async fn run_loads(engine: Rc<Engine>) {
    loop {
        let job = engine.queue.borrow_mut().pop_front();
        let Some(job) = job else {
            engine.running.set(None);
            engine.task_active.set(false);
            return;
        };
        engine.running.set(Some(job.load_id()));
        engine.cancel.set(false);
        match job {
            Job::Files { load_id, names, files } => load_files(&engine, load_id, &names, &files).await,
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
        self.dataset.add_file(SAMPLE_FILE_NAME, &sample_trail_json());
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
    last_post_ms: f64,
}

impl Counter {
    /// Posts progress if [`PROGRESS_INTERVAL_MS`] passed since the last post (always when `force`).
    fn post(&mut self, engine: &Engine, records_current: u64, force: bool) {
        let now = js_sys::Date::now();
        if !force && now - self.last_post_ms < PROGRESS_INTERVAL_MS {
            return;
        }
        self.last_post_ms = now;
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

/// Reads the files of one load in order, each in slices fed to a [`FileStream`], yielding to
/// the message queue every [`YIELD_INTERVAL_MS`]; stops between slices when cancelled.
async fn load_files(engine: &Engine, load_id: u64, names: &[String], files: &[File]) {
    let mut counter = Counter {
        load_id,
        files_done: 0,
        files_total: files.len(),
        bytes_done: 0,
        bytes_total: files.iter().map(|f| f.size() as u64).sum(),
        records_done: 0,
        last_post_ms: f64::NEG_INFINITY,
    };
    counter.post(engine, 0, true);
    // Room for the load's events up front (records are 1–1.5 KB), so columns do not regrow.
    engine.shard.borrow_mut().dataset.reserve(usize::try_from(counter.bytes_total / 1000).unwrap_or(0));
    let reader = FileReaderSync::new().ok();
    let mut slice = Vec::new();
    let mut last_yield = js_sys::Date::now();
    let mut cancelled = false;
    'files: for (i, file) in files.iter().enumerate() {
        let name = names.get(i).cloned().unwrap_or_else(|| file.name());
        let size = file.size() as u64;
        // Compact: the text of unrelated records is let go as they are parsed (read again on demand).
        let mut stream = FileStream::new(&name, size).compact();
        let mut start = 0u64;
        let mut error = None;
        while start < size {
            let end = (start + SLICE_BYTES).min(size);
            match read_slice(reader.as_ref(), file, start, end, &mut slice) {
                Ok(()) => stream.push(&slice),
                Err(reason) => {
                    error = Some(reason);
                    break;
                }
            }
            counter.bytes_done += end - start;
            start = end;
            counter.post(engine, stream.records_so_far(), false);
            if yield_due(engine, &mut last_yield).await {
                // The partly read file is dropped; the files before it stay.
                cancelled = true;
                break 'files;
            }
        }
        let parsed = match error {
            Some(reason) => {
                // The rest of the file will not be read: count it as done for the progress bar.
                counter.bytes_done += size - start;
                vec![(name.clone(), ParsedFile::rejected(reason))]
            }
            // An unusual plain file is read whole again (its events' text was let go).
            None => stream.finish_with(&mut || {
                let mut whole = Vec::new();
                read_slice(reader.as_ref(), file, 0, size, &mut whole).map(|()| whole)
            }),
        };
        // Parsing took a while: a cancel sent meanwhile still drops this file.
        if yield_due(engine, &mut last_yield).await {
            cancelled = true;
            break 'files;
        }
        {
            let mut shard = engine.shard.borrow_mut();
            shard.files.insert(name.clone(), file.clone());
            for (name, file) in parsed {
                counter.records_done += file.n_records() as u64;
                shard.add(&name, file);
            }
        }
        counter.files_done += 1;
        counter.post(engine, 0, false);
    }
    if cancelled {
        // What was read of the dropped file no longer counts.
        counter.bytes_done = counter.bytes_done.min(files[..counter.files_done].iter().map(|f| f.size() as u64).sum());
    }
    counter.post(engine, 0, true);
    (engine.post)(&Response::Loaded { load_id, cancelled });
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
    let chunk = Uint8Array::new(&buffer);
    out.clear();
    out.resize(chunk.length() as usize, 0);
    chunk.copy_to(out);
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
