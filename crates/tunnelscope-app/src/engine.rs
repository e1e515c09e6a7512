//! The engine: runs inside a web worker, owns one shard of the dataset, reads `File`s in
//! slices, and answers view requests. Only this module and `pool` know the message format.

use std::cell::RefCell;
use std::rc::Rc;

use js_sys::{Array, Reflect, Uint8Array};
use tunnelscope_core::Dataset;
use tunnelscope_core::sample::{SAMPLE_FILE_NAME, sample_trail_json};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use web_sys::{DedicatedWorkerGlobalScope, File, FileReaderSync, MessageEvent};

use crate::protocol::{Request, Response, SLICE_BYTES};
use crate::view::{Prepared, build_export, build_view};

/// Starts the engine in the current worker: installs the message handler and says `Ready`.
pub fn run_worker() {
    let scope: DedicatedWorkerGlobalScope = js_sys::global().unchecked_into();
    let dataset = Rc::new(RefCell::new(Shard::default()));
    let post_scope = scope.clone();
    let post = move |r: &Response| {
        if let Ok(text) = serde_json::to_string(r) {
            // A failed post means the page is gone; there is no one left to tell.
            let _ = post_scope.post_message(&JsValue::from_str(&text));
        }
    };
    let post = Rc::new(post);
    let handler_post = Rc::clone(&post);
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
            Some(Ok(req)) => handle(&dataset, req, &files, &*handler_post),
            Some(Err(e)) => handler_post(&Response::Failed { message: format!("bad request: {e}") }),
            None => handler_post(&Response::Failed { message: "bad request: no json".into() }),
        }
    });
    scope.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    // The handler lives as long as the worker.
    on_message.forget();
    post(&Response::Ready);
}

/// A worker's shard: the dataset and what is prepared from it for views (rebuilt lazily after
/// every change, so a burst of loads prepares once).
#[derive(Default)]
struct Shard {
    dataset: Dataset,
    prepared: Option<Prepared>,
}

impl Shard {
    fn prepared(&mut self) -> &Prepared {
        let dataset = &self.dataset;
        self.prepared.get_or_insert_with(|| Prepared::new(dataset))
    }
}

fn handle(shard: &RefCell<Shard>, req: Request, files: &[File], post: &dyn Fn(&Response)) {
    match req {
        Request::Load { load_id, names } => {
            let bytes_total: u64 = files.iter().map(|f| f.size() as u64).sum();
            let mut bytes_done = 0u64;
            let files_total = files.len();
            for (i, file) in files.iter().enumerate() {
                let name = names.get(i).cloned().unwrap_or_else(|| file.name());
                match read_file(file, |n| {
                    bytes_done += n;
                    post(&Response::Progress { load_id, files_done: i, files_total, bytes_done, bytes_total });
                }) {
                    Ok(bytes) => {
                        let mut s = shard.borrow_mut();
                        s.prepared = None;
                        s.dataset.add_file(&name, &bytes);
                    }
                    Err(reason) => {
                        shard.borrow_mut().dataset.add_parsed(&name, tunnelscope_core::ParsedFile::rejected(reason));
                    }
                }
                post(&Response::Progress { load_id, files_done: i + 1, files_total, bytes_done, bytes_total });
            }
            post(&Response::Loaded { load_id });
        }
        Request::LoadSample { load_id } => {
            let bytes = sample_trail_json();
            let mut s = shard.borrow_mut();
            s.prepared = None;
            s.dataset.add_file(SAMPLE_FILE_NAME, &bytes);
            post(&Response::Loaded { load_id });
        }
        Request::Clear => *shard.borrow_mut() = Shard::default(),
        Request::View(req) => {
            let mut s = shard.borrow_mut();
            s.prepared();
            let view = match &s.prepared {
                Some(prep) => build_view(&s.dataset, prep, &req),
                None => return,
            };
            post(&Response::View(Box::new(view)));
        }
        Request::Detail { event_id } => {
            let detail = crate::view::build_detail(&shard.borrow().dataset, &event_id, &mut crate::view::NoFiles);
            post(&Response::Detail(Box::new(detail)));
        }
        Request::Export { kind, view } => {
            let mut s = shard.borrow_mut();
            s.prepared();
            let Some(prep) = &s.prepared else { return };
            let (file_name, mime, body) = build_export(&s.dataset, prep, kind, &view, &mut crate::view::NoFiles);
            post(&Response::Export { file_name, mime, body });
        }
    }
}

/// Reads a `File` in slices (never as one JS string), reporting bytes after each slice.
fn read_file(file: &File, mut on_slice: impl FnMut(u64)) -> Result<Vec<u8>, String> {
    let size = file.size() as u64;
    let reader = FileReaderSync::new().map_err(|_| "the browser cannot read files in a worker".to_owned())?;
    let mut out = Vec::new();
    out.try_reserve_exact(usize::try_from(size).unwrap_or(usize::MAX))
        .map_err(|_| format!("file too large to hold in memory ({size} bytes)"))?;
    let mut start = 0u64;
    while start < size {
        let end = (start + SLICE_BYTES).min(size);
        let blob = file
            .slice_with_f64_and_f64(start as f64, end as f64)
            .map_err(|_| format!("cannot slice the file at byte {start}"))?;
        let buffer = reader
            .read_as_array_buffer(&blob)
            .map_err(|e| format!("cannot read the file at byte {start}: {}", js_error_text(&e)))?;
        let chunk = Uint8Array::new(&buffer);
        let offset = out.len();
        out.resize(offset + chunk.length() as usize, 0);
        chunk.copy_to(&mut out[offset..]);
        on_slice(end - start);
        start = end;
    }
    Ok(out)
}

fn js_error_text(e: &JsValue) -> String {
    e.as_string()
        .or_else(|| Reflect::get(e, &JsValue::from_str("message")).ok().and_then(|m| m.as_string()))
        .unwrap_or_else(|| "unknown error".to_owned())
}
