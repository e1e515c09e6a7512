//! The protocol between threads: every message the page and the workers exchange, typed here.
//!
//! Each message is an [`Envelope`]: a typed message as JSON text (serde) in a JS object
//! `{json, files?, port?, bytes?}`; `File` objects, a `MessagePort` and bytes travel beside the
//! JSON (the bytes' buffer and the port transferred, not copied), so the worker reads files as
//! streams (never as JS strings). Page → worker: [`Request`]; worker → page: [`Response`];
//! helper → owner over their port: [`ToOwner`] (a parsed file in the core's wire format, or
//! the bytes of one of the owner's files); owner → helper: [`ToHelper`]. Every request that produces a view
//! carries a `generation`, and the UI drops responses older than the newest it asked for.
//! Worker 0 owns the dataset and answers every query; workers 1… are parse helpers: they read
//! and parse files of a load and hand the parsed files to the owner as bytes over a
//! `MessagePort`, and the owner adds them in the load's order (see ARCHITECTURE.md).

use js_sys::{Array, Object, Reflect, Uint8Array};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use tunnelscope_core::views::EventDetail;
use tunnelscope_core::views::page::{Page, PageRequest};
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{File, MessagePort};

/// Least time between two progress messages of a load, so thousands of small files do not
/// flood the UI thread.
pub const PROGRESS_INTERVAL_MS: f64 = 100.0;
/// Most time the worker works on a load before it lets other messages (cancel, views) in.
pub const YIELD_INTERVAL_MS: f64 = 50.0;
/// Rows sent per window request.
pub const WINDOW_ROWS: usize = 100;
/// Event-table rows sent per window request (the table renders only the visible ones).
pub const EVENT_WINDOW_ROWS: usize = 300;
/// Sessions-table and findings-list rows per window: a window renders in one task, so it is
/// kept small (100 session rows at once made a 100 ms task at 60,000 events).
pub const SUMMARY_WINDOW_ROWS: usize = 25;
/// Buckets in the overview histogram.
pub const HISTOGRAM_BUCKETS: usize = 240;

/// What the screen asks to see: the core's [`PageRequest`] (query, window, grouping, table
/// settings, session gap, findings settings) and the generation it belongs to. It reads as
/// its `PageRequest` (`Deref`), so the page sets `request.query` as before.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct ViewRequest {
    /// The view's generation.
    pub generation: u64,
    pub page: PageRequest,
}

impl std::ops::Deref for ViewRequest {
    type Target = PageRequest;
    fn deref(&self) -> &PageRequest {
        &self.page
    }
}

impl std::ops::DerefMut for ViewRequest {
    fn deref_mut(&mut self) -> &mut PageRequest {
        &mut self.page
    }
}

/// What an export holds: the core's kinds.
pub use tunnelscope_core::export::ExportKind;

/// UI → worker.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Request {
    /// Read the `File`s sent beside this message; `names` are their paths, in the same order.
    /// Sent to the worker that owns the dataset, which adds the files in this order.
    Load {
        /// Identifies the load in progress messages.
        load_id: u64,
        /// Paths as the user gave them (relative paths for folders).
        names: Vec<String>,
        /// Which worker parses each file: 0 this one, `k` the parse helper `k`, whose result
        /// arrives through its port (empty: all here).
        #[serde(default)]
        parsers: Vec<usize>,
        /// The helper that reads this worker's own files for it ([`Request::Pump`]): their
        /// bytes arrive through its port, so reading overlaps the parse. `None`: this worker
        /// reads them itself.
        #[serde(default)]
        pump: Option<usize>,
    },
    /// To a helper with no files of its own to parse: read the owner's files (positions
    /// `indices` of load `load_id`, sent beside this message) and send their bytes to the
    /// owner through the port, a window of them at a time.
    Pump {
        /// The load.
        load_id: u64,
        /// The files' positions in the owner's list.
        indices: Vec<usize>,
        /// Their paths.
        names: Vec<String>,
    },
    /// To a parse helper: parse the `File`s sent beside this message (files `indices` of load
    /// `load_id`) and hand each result to the owner through the port ([`Request::Connect`]).
    Parse {
        /// The load.
        load_id: u64,
        /// The files' positions in the owner's list.
        indices: Vec<usize>,
        /// Their paths.
        names: Vec<String>,
    },
    /// Sets up the direct line between the owner and parse helper `helper`: the
    /// `MessagePort` sent beside this message (the owner receives the other end).
    Connect {
        /// The helper's number (1…).
        helper: usize,
        /// This end is a helper's and leads to the owner (else it is the owner's, from the helper).
        to_owner: bool,
    },
    /// Load the built-in sample dataset.
    LoadSample {
        /// Identifies the load.
        load_id: u64,
    },
    /// Stop a load: the file being read is dropped, files already read stay loaded, and the
    /// load ends with `Loaded { cancelled: true }` (a load still queued ends without reading).
    Cancel {
        /// The load to stop.
        load_id: u64,
    },
    /// Empty the dataset (stops loads in progress and queued, like `Cancel`).
    Clear,
    /// Recompute the view.
    View(ViewRequest),
    /// One event's detail.
    Detail {
        /// The event.
        event_id: String,
    },
    /// Export the filtered view: a task that reports [`Response::ExportProgress`] and ends with
    /// [`Response::Export`], or [`Response::ExportCancelled`]; views and details are answered
    /// meanwhile. Exports and loads take turns, in the order asked (an export sees the data of
    /// the loads asked before it).
    Export {
        /// Identifies the export in its progress and result.
        #[serde(default)]
        export_id: u64,
        /// What to export.
        kind: ExportKind,
        /// The view whose matching events are exported.
        view: ViewRequest,
    },
    /// Stop an export (running or waiting for its turn): it ends with
    /// [`Response::ExportCancelled`], unless it has already ended.
    CancelExport {
        /// The export to stop.
        export_id: u64,
    },
}

/// Worker → UI.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Response {
    /// The worker's wasm is initialised and it accepts requests.
    Ready,
    /// Bytes, files and records read so far in a load (throttled: at most every
    /// [`PROGRESS_INTERVAL_MS`], plus one when the load ends).
    Progress {
        /// The load.
        load_id: u64,
        /// Files finished.
        files_done: usize,
        /// Files in the load.
        files_total: usize,
        /// Bytes read.
        bytes_done: u64,
        /// Bytes in the load.
        bytes_total: u64,
        /// Records read: those of finished files plus those found so far in the current one.
        records_done: u64,
    },
    /// A load finished (or was cancelled); a `View` follows when the UI asks for it.
    Loaded {
        /// The load.
        load_id: u64,
        /// The load was cancelled: files read before stay loaded, the rest were not read.
        cancelled: bool,
    },
    /// The view for a query: counters, the file report and a window of rows.
    View(Box<View>),
    /// One event's detail (`None` when it is not loaded).
    Detail {
        /// The event asked for.
        event_id: String,
        /// Its detail; `None` when no loaded event has that ID.
        detail: Box<Option<EventDetail>>,
    },
    /// How far an export got (at most every [`PROGRESS_INTERVAL_MS`]).
    ExportProgress {
        /// The export.
        export_id: u64,
        /// Records (rows) done: for a raw-records export, those in hand.
        done: u64,
        /// Records (rows) in the export.
        total: u64,
    },
    /// An export was cancelled (or the dataset was cleared): nothing to download.
    ExportCancelled {
        /// The export.
        export_id: u64,
    },
    /// An export, ready to download.
    Export {
        /// The export.
        #[serde(default)]
        export_id: u64,
        /// File name to save as.
        file_name: String,
        /// MIME type.
        mime: String,
        /// The file's text: never in the JSON, it travels beside it ([`ExportBody`]).
        #[serde(skip)]
        body: ExportBody,
    },
    /// A worker stopped (an uncaught error, e.g. out of memory); the dataset is gone.
    EngineStopped {
        /// The browser's message.
        message: String,
    },
    /// A request failed as a whole (never for bad input, which is reported per file).
    Failed {
        /// What went wrong.
        message: String,
    },
}

/// An export's file. The engine builds it as text; from the worker to the page it travels
/// beside the JSON message as the bytes of a transferred buffer ([`Envelope::bytes`]), so neither
/// side escapes it into JSON, the page's thread never parses or copies it, and the `Blob` is
/// made from the bytes as they came. In JSON, 50,000 records (40 MB) took natively 87 ms to
/// write in the worker and 128 ms to read back on the page's thread.
#[derive(Debug, Clone, PartialEq)]
pub enum ExportBody {
    /// The text.
    Text(String),
    /// The text's UTF-8 bytes in a JS `Uint8Array`, as the page receives them.
    Bytes(JsValue),
}

impl Default for ExportBody {
    fn default() -> Self {
        Self::Text(String::new())
    }
}

/// Helper → owner, over the port between them ([`Request::Connect`]); the bytes travel beside
/// it in the [`Envelope`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum ToOwner {
    /// A parse helper's result for file `index` of load `load_id`: the bytes are the parsed
    /// file in the core's wire format (`ingest::files_into_wire`).
    Parsed {
        /// The load.
        load_id: u64,
        /// The file's position in the owner's list.
        index: usize,
    },
    /// The next bytes of the owner's own file `index`, read by a helper ([`Request::Pump`]).
    Bytes {
        /// The load.
        load_id: u64,
        /// The file's position in the owner's list.
        index: usize,
        /// The file's bytes read so far, these included.
        at: u64,
    },
    /// The end of the owner's file `index`; `ok` false when the helper could not read all of it
    /// (the owner then reads the file itself).
    End {
        /// The load.
        load_id: u64,
        /// The file's position in the owner's list.
        index: usize,
        /// Every byte of the file was sent.
        ok: bool,
    },
}

impl ToOwner {
    /// The load and the file's position the message is about.
    pub fn key(&self) -> (u64, usize) {
        match *self {
            Self::Parsed { load_id, index } | Self::Bytes { load_id, index, .. } | Self::End { load_id, index, .. } => {
                (load_id, index)
            }
        }
    }
}

/// Owner → helper, over the port between them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ToHelper {
    /// The owner has parsed this many more of the bytes the helper sent ([`ToOwner::Bytes`]).
    Ack {
        /// Bytes.
        bytes: u64,
    },
}

/// One message between threads as it travels: the typed message (as JSON under `json`) and
/// what goes beside it: `File`s (`files`, cloned), a `MessagePort` (`port`) and bytes
/// (`bytes`), the last two transferred.
#[derive(Debug, Clone)]
pub struct Envelope<M> {
    /// The message.
    pub message: M,
    /// Files beside it (a load's).
    pub files: Vec<File>,
    /// A port beside it ([`Request::Connect`]).
    pub port: Option<MessagePort>,
    /// Bytes beside it: a parsed file, a piece of a file, an export's text.
    pub bytes: Option<Uint8Array>,
}

impl<M> Envelope<M> {
    /// The message alone.
    pub fn new(message: M) -> Self {
        Self { message, files: Vec::new(), port: None, bytes: None }
    }

    /// With `files` beside it.
    #[must_use]
    pub fn with_files(mut self, files: Vec<File>) -> Self {
        self.files = files;
        self
    }

    /// With `port` beside it (transferred).
    #[must_use]
    pub fn with_port(mut self, port: MessagePort) -> Self {
        self.port = Some(port);
        self
    }

    /// With `bytes` beside it (their buffer transferred).
    #[must_use]
    pub fn with_bytes(mut self, bytes: Uint8Array) -> Self {
        self.bytes = Some(bytes);
        self
    }
}

impl<M: Serialize> Envelope<M> {
    /// The JS object to post, and what to transfer with it (`None`: nothing).
    pub fn to_js(&self) -> Result<(JsValue, Option<Array>), String> {
        let json = serde_json::to_string(&self.message).map_err(|e| e.to_string())?;
        let msg = Object::new();
        let set = |key: &str, value: &JsValue| {
            let _ = Reflect::set(&msg, &JsValue::from_str(key), value);
        };
        set("json", &JsValue::from_str(&json));
        let transfer = Array::new();
        if !self.files.is_empty() {
            set("files", &self.files.iter().collect::<Array>());
        }
        if let Some(port) = &self.port {
            set("port", port);
            transfer.push(port);
        }
        if let Some(bytes) = &self.bytes {
            set("bytes", bytes);
            transfer.push(&bytes.buffer());
        }
        Ok((msg.into(), (transfer.length() > 0).then_some(transfer)))
    }
}

impl<M: DeserializeOwned> Envelope<M> {
    /// Reads a posted message back.
    pub fn from_js(data: &JsValue) -> Result<Self, String> {
        let get = |key: &str| Reflect::get(data, &JsValue::from_str(key)).ok().filter(|v| !v.is_undefined());
        let json = get("json").and_then(|j| j.as_string()).ok_or("no json")?;
        let message = serde_json::from_str(&json).map_err(|e| e.to_string())?;
        let files = get("files")
            .filter(JsValue::is_object)
            .map(|v| Array::from(&v).iter().filter_map(|f| f.dyn_into::<File>().ok()).collect())
            .unwrap_or_default();
        let port = get("port").and_then(|p| p.dyn_into::<MessagePort>().ok());
        let bytes = get("bytes").and_then(|b| b.dyn_into::<Uint8Array>().ok());
        Ok(Self { message, files, port, bytes })
    }
}

/// Everything the screen shows for one query: the core's [`Page`] (read through `Deref`) and
/// the generation and windows it answers.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct View {
    /// The generation it answers.
    pub generation: u64,
    /// Where the tunnel and endpoint-change windows start.
    pub offset: usize,
    /// Where the event window starts.
    pub event_offset: usize,
    pub page: Page,
}

impl std::ops::Deref for View {
    type Target = Page;
    fn deref(&self) -> &Page {
        &self.page
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_round_trip_as_json() {
        let requests = [
            Request::Load { load_id: 3, names: vec!["a/b.json.gz".into()], parsers: vec![1], pump: None },
            Request::Load { load_id: 4, names: vec!["big.json".into()], parsers: vec![0], pump: Some(1) },
            Request::Pump { load_id: 4, indices: vec![0], names: vec!["big.json".into()] },
            Request::Parse { load_id: 3, indices: vec![0], names: vec!["a/b.json.gz".into()] },
            Request::Connect { helper: 1, to_owner: true },
            Request::Cancel { load_id: 3 },
            Request::Export { export_id: 2, kind: ExportKind::Records, view: ViewRequest::default() },
            Request::CancelExport { export_id: 2 },
            Request::View(ViewRequest {
                generation: 4,
                page: PageRequest {
                    query: "port:22".into(),
                    window: Some(tunnelscope_core::query::TimeWindow { start_ms: 1, end_ms: 2 }),
                    gap: "15m".into(),
                    settings: vec!["failed-burst.min=2".into()],
                    ..PageRequest::default()
                },
            }),
        ];
        for r in requests {
            let text = serde_json::to_string(&r).unwrap();
            assert_eq!(serde_json::from_str::<Request>(&text).unwrap(), r);
        }
    }

    #[test]
    fn responses_round_trip_as_json() {
        let responses = [
            Response::Progress {
                load_id: 1,
                files_done: 2,
                files_total: 3,
                bytes_done: 4,
                bytes_total: 5,
                records_done: 6,
            },
            Response::Loaded { load_id: 1, cancelled: true },
            Response::ExportProgress { export_id: 2, done: 3, total: 4 },
            Response::ExportCancelled { export_id: 2 },
            Response::Export {
                export_id: 2,
                file_name: "records.json".into(),
                mime: "application/json".into(),
                body: ExportBody::default(),
            },
        ];
        for r in responses {
            let text = serde_json::to_string(&r).unwrap();
            assert_eq!(serde_json::from_str::<Response>(&text).unwrap(), r);
        }
    }

    #[test]
    fn port_messages_round_trip_as_json() {
        let to_owner = [
            ToOwner::Parsed { load_id: 3, index: 1 },
            ToOwner::Bytes { load_id: 3, index: 0, at: 1 << 20 },
            ToOwner::End { load_id: 3, index: 0, ok: false },
        ];
        for m in to_owner {
            let text = serde_json::to_string(&m).unwrap();
            let back = serde_json::from_str::<ToOwner>(&text).unwrap();
            assert_eq!(back.key(), (3, m.key().1));
            assert_eq!(back, m);
        }
        let ack = ToHelper::Ack { bytes: 262_144 };
        assert_eq!(serde_json::from_str::<ToHelper>(&serde_json::to_string(&ack).unwrap()).unwrap(), ack);
    }

    #[test]
    fn a_load_is_json_the_end_to_end_tests_can_read() {
        // `tests/e2e/shapes.spec.ts` reads `{"Load":{"names","parsers","pump"}}` from `json`.
        let r = Request::Load { load_id: 1, names: vec!["a.json".into()], parsers: vec![0], pump: None };
        let text = serde_json::to_string(&r).unwrap();
        assert!(text.starts_with(r#"{"Load":{"load_id":1,"names":["a.json"],"parsers":[0],"pump":null"#), "{text}");
    }

    #[test]
    fn an_exports_text_is_never_put_in_the_json() {
        let body = ExportBody::Text("{\"Records\":[{\"eventID\":\"x\"}]}".into());
        let r =
            Response::Export { export_id: 2, file_name: "records.json".into(), mime: "application/json".into(), body };
        let text = serde_json::to_string(&r).unwrap();
        assert!(!text.contains("Records"), "{text}");
        let back = serde_json::from_str::<Response>(&text).unwrap();
        assert!(matches!(back, Response::Export { export_id: 2, body: ExportBody::Text(t), .. } if t.is_empty()));
    }
}
