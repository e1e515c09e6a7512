//! Reading a file in the worker: one chunk loop that feeds a file's bytes to a [`FileStream`],
//! however they arrive (the `File`'s stream, its bytes asked for ahead, or pieces a helper
//! sends), and what that loop needs: small files asked for ahead, yields, chunk reads.

use std::collections::VecDeque;

use js_sys::{Promise, Reflect, Uint8Array};
use tunnelscope_core::ParsedFile;
use tunnelscope_core::ingest::FileStream;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use web_sys::{File, FileReaderSync, MessageChannel, ReadableStreamDefaultReader};

use crate::protocol::YIELD_INTERVAL_MS;
use crate::worker::engine::Engine;
use crate::worker::owner::{Pumped, next_pumped};
use crate::worker::profile::{self, Phase};
use crate::worker::progress::Counter;

/// Where a file's bytes come from.
pub(super) enum Source {
    /// `Blob.stream()`: the browser reads ahead while the worker parses (a chunk at a time, a
    /// few hundred KB each); far faster in Chromium than slice-by-slice reads.
    Stream,
    /// The whole file, asked for ahead ([`Prefetch`]).
    Whole(JsFuture),
    /// Pieces of the owner's file `key` (load, position) from helper `helper`, which reads it
    /// meanwhile (`helper::pump_files`); each is acknowledged once parsed.
    Pumped { key: (u64, usize), helper: usize },
}

/// What a source gives next.
pub(super) enum Next {
    /// The file's next bytes.
    Chunk(Uint8Array),
    /// The file's end.
    End,
    /// Why the file cannot be read.
    Failed(String),
    /// The helper could not read all of the file: it is read here instead.
    Unfinished,
    /// The load was cancelled meanwhile.
    Cancelled,
}

/// A file's bytes as they come, a chunk at a time.
pub(super) enum Chunks {
    Stream(Option<ReadableStreamDefaultReader>),
    Whole(Option<JsFuture>),
    Pumped { key: (u64, usize), helper: usize },
}

impl Chunks {
    pub(super) fn new(source: Source, file: &File) -> Self {
        match source {
            Source::Stream => Self::Stream(file.stream().get_reader().dyn_into().ok()),
            Source::Whole(bytes) => Self::Whole(Some(bytes)),
            Source::Pumped { key, helper } => Self::Pumped { key, helper },
        }
    }

    pub(super) async fn next(&mut self, engine: &Engine) -> Next {
        match self {
            Self::Stream(None) => Next::Failed("the browser cannot stream files".to_owned()),
            Self::Stream(Some(reader)) => match next_chunk(reader).await {
                Ok(Some(chunk)) => Next::Chunk(chunk),
                Ok(None) => Next::End,
                Err(reason) => Next::Failed(reason),
            },
            Self::Whole(bytes) => match bytes.take() {
                None => Next::End,
                Some(bytes) => match bytes.await {
                    Ok(buffer) => Next::Chunk(Uint8Array::new(&buffer)),
                    Err(e) => Next::Failed(format!("cannot read the file: {}", js_error_text(&e))),
                },
            },
            Self::Pumped { key, .. } => match next_pumped(engine, *key).await {
                None => Next::Cancelled,
                Some(Pumped::Bytes(bytes)) => Next::Chunk(bytes),
                Some(Pumped::End { ok: true }) => Next::End,
                Some(Pumped::End { ok: false }) => Next::Unfinished,
            },
        }
    }

    /// A chunk of `n` bytes was parsed: the helper that sent it may send more.
    fn parsed(&self, engine: &Engine, n: u32) {
        if let Self::Pumped { helper, .. } = self {
            engine.ack(*helper, u64::from(n));
        }
    }

    /// Stops the browser reading ahead; nothing to wait for.
    pub(super) fn stop(&self) {
        if let Self::Stream(Some(reader)) = self {
            let _ = reader.cancel();
        }
    }
}

/// How a read ended.
enum Read {
    Done(Vec<(String, ParsedFile)>),
    Unfinished,
    Cancelled,
}

/// Reads files into [`FileStream`]s (one reusable buffer), yielding every [`YIELD_INTERVAL_MS`].
pub(super) struct ChunkReader {
    reader: Option<FileReaderSync>,
    slice: Vec<u8>,
    last_yield: f64,
}

impl ChunkReader {
    pub(super) fn new() -> Self {
        Self { reader: FileReaderSync::new().ok(), slice: Vec::new(), last_yield: js_sys::Date::now() }
    }

    pub(super) async fn yield_due(&mut self, engine: &Engine) -> bool {
        yield_due(engine, &mut self.last_yield).await
    }

    /// Reads and parses one file from `source` (counting its bytes); `None` when cancelled
    /// meanwhile (the partly read file is dropped). A file a helper could not send all of is
    /// read here, as without a helper.
    pub(super) async fn read(
        &mut self,
        engine: &Engine,
        name: &str,
        file: &File,
        source: Source,
        counter: &mut Counter,
    ) -> Option<Vec<(String, ParsedFile)>> {
        match self.read_from(engine, name, file, Chunks::new(source, file), counter).await {
            Read::Done(parsed) => Some(parsed),
            Read::Cancelled => None,
            Read::Unfinished => {
                match self.read_from(engine, name, file, Chunks::new(Source::Stream, file), counter).await {
                    Read::Done(parsed) => Some(parsed),
                    Read::Unfinished | Read::Cancelled => None,
                }
            }
        }
    }

    /// The chunk loop: every chunk is pushed to the file's stream as it arrives.
    async fn read_from(
        &mut self,
        engine: &Engine,
        name: &str,
        file: &File,
        mut chunks: Chunks,
        counter: &mut Counter,
    ) -> Read {
        let size = file.size() as u64;
        let base = counter.bytes_done;
        let pumped = matches!(chunks, Chunks::Pumped { .. });
        // Compact: the text of unrelated records is let go as they are parsed (read again on demand).
        let mut stream = FileStream::new(name, size).compact();
        let mut read = 0u64;
        let mut error = loop {
            let since = profile::now();
            let next = chunks.next(engine).await;
            profile::count(Phase::Wait, since);
            let chunk = match next {
                Next::Chunk(chunk) => chunk,
                Next::End => break None,
                Next::Failed(reason) => break Some(reason),
                Next::Unfinished => {
                    counter.bytes_done = base;
                    return Read::Unfinished;
                }
                Next::Cancelled => return Read::Cancelled,
            };
            if pumped && read == 0 {
                profile::mark("owner: first pumped bytes");
            }
            let since = profile::now();
            copy_into(&chunk, &mut self.slice);
            stream.push(&self.slice);
            profile::count(Phase::Parse, since);
            read += self.slice.len() as u64;
            chunks.parsed(engine, chunk.length());
            counter.bytes_done = base + read;
            counter.post(engine, stream.records_so_far(), false);
            if self.yield_due(engine).await {
                chunks.stop();
                return Read::Cancelled;
            }
        };
        if read != size && error.is_none() {
            error = Some(changed_while_read(read, size));
        }
        let parsed = match error {
            Some(reason) => {
                // The rest of the file will not be read: count it as done for the progress bar.
                counter.bytes_done += size.saturating_sub(read);
                vec![(name.to_owned(), ParsedFile::rejected(reason))]
            }
            None => {
                if pumped {
                    profile::mark("owner: last pumped bytes parsed");
                }
                self.finish(stream, file)
            }
        };
        if pumped {
            profile::mark("owner: file parsed");
        }
        // Parsing took a while: a cancel sent meanwhile still drops this file.
        if self.yield_due(engine).await {
            return Read::Cancelled;
        }
        Read::Done(parsed)
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
}

/// Yields to the worker's message queue once `YIELD_INTERVAL_MS` have passed since the last
/// yield, so Cancel, View and Detail are answered mid-load; true when a Cancel arrived.
pub(super) async fn yield_due(engine: &Engine, last_yield: &mut f64) -> bool {
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
pub(super) struct Prefetch<'a> {
    files: &'a [File],
    /// Positions of the small files still to ask for, in reading order.
    todo: VecDeque<usize>,
    asked: VecDeque<(usize, JsFuture)>,
}

impl<'a> Prefetch<'a> {
    /// Asks ahead for the small files among `positions` (of `files`, in reading order).
    pub(super) fn new(files: &'a [File], positions: Vec<usize>) -> Self {
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
    pub(super) fn take(&mut self, i: usize) -> Option<JsFuture> {
        if self.asked.front().is_none_or(|(j, _)| *j != i) {
            return None;
        }
        let (_, bytes) = self.asked.pop_front()?;
        self.top_up();
        Some(bytes)
    }

    /// Where file `i`'s bytes come from: asked for ahead, else its stream.
    pub(super) fn source(&mut self, i: usize) -> Source {
        self.take(i).map_or(Source::Stream, Source::Whole)
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
pub(super) struct Ticker {
    channel: Option<MessageChannel>,
}

impl Ticker {
    pub(super) fn new() -> Self {
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
