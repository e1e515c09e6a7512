//! The parse helpers (workers 1…): they parse files of a load for the owner and send each
//! result over their port, or, left without files, read the owner's files and send their bytes.

use js_sys::Uint8Array;
use tunnelscope_core::ingest::files_into_wire;
use web_sys::{File, MessagePort};

use crate::protocol::{Envelope, Response, ToOwner};
use crate::worker::engine::Engine;
use crate::worker::owner::records_of;
use crate::worker::profile;
use crate::worker::progress::{Counter, Throttle};
use crate::worker::read::{ChunkReader, Chunks, Next, Prefetch, Source};

/// Bytes a helper sends ahead of what the owner has parsed: the window that keeps the read
/// ahead without piling a big file up in memory.
const PUMP_WINDOW: u64 = 32 << 20;

/// A parse helper: reads its files of a load and sends each parsed result to the owner (as
/// bytes, the buffer transferred, not copied); reports its own bytes and records.
pub(super) async fn parse_files(engine: &Engine, load_id: u64, indices: &[usize], names: &[String], files: &[File]) {
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
    let mut reader = ChunkReader::new();
    let mut cancelled = false;
    let mut ahead = Prefetch::new(files, (0..files.len()).collect());
    for (k, ((file, &index), name)) in files.iter().zip(indices).zip(names).enumerate() {
        let Some(parsed) = reader.read(engine, name, file, ahead.source(k), &mut counter).await else {
            cancelled = true;
            break;
        };
        counter.records_done += records_of(&parsed);
        profile::mark("helper: file parsed");
        let bytes = Uint8Array::from(files_into_wire(parsed).as_slice());
        send_to_owner(owner.as_ref(), Envelope::new(ToOwner::Parsed { load_id, index }).with_bytes(bytes));
        profile::mark("helper: file sent");
        counter.post(engine, 0, false);
    }
    counter.post(engine, 0, true);
    engine.post(&Response::Loaded { load_id, cancelled });
}

/// A helper with no files of its own: reads the owner's files (positions `indices` of the
/// load) and sends their bytes to the owner as they arrive, at most [`PUMP_WINDOW`] ahead of
/// what the owner has parsed: the owner's worker is busy parsing, so a stream it read itself
/// would only read ahead while it waits. A file it cannot read all of ends with `ok: false`,
/// and the owner reads that one itself.
///
/// Gzip files are sent as stored: decompressing them here, for the owner to parse the text,
/// gained nothing on a 2-core machine (both workers slowed down) and held more memory.
pub(super) async fn pump_files(engine: &Engine, load_id: u64, indices: &[usize], files: &[File]) {
    profile::reset();
    profile::mark("helper: pump starts");
    let owner = engine.owner.borrow().clone();
    engine.acked.set(0);
    let (mut sent, mut cancelled) = (0u64, false);
    for (file, &index) in files.iter().zip(indices) {
        let size = file.size() as u64;
        let mut chunks = Chunks::new(Source::Stream, file);
        let (mut at, mut ok) = (0u64, matches!(chunks, Chunks::Stream(Some(_))));
        while ok {
            let since = profile::now();
            let chunk = match chunks.next(engine).await {
                Next::Chunk(chunk) => chunk,
                Next::End => break,
                _ => {
                    ok = false;
                    break;
                }
            };
            profile::count(profile::Phase::Wait, since);
            at += u64::from(chunk.length());
            sent += u64::from(chunk.length());
            send_to_owner(owner.as_ref(), Envelope::new(ToOwner::Bytes { load_id, index, at }).with_bytes(chunk));
            // The window: wait for the owner to parse what is ahead.
            while sent.saturating_sub(engine.acked.get()) > PUMP_WINDOW && !engine.cancelled() {
                engine.wait().await;
            }
            if engine.cancelled() {
                chunks.stop();
                cancelled = true;
                break;
            }
        }
        if cancelled {
            break;
        }
        send_to_owner(owner.as_ref(), Envelope::new(ToOwner::End { load_id, index, ok: ok && at == size }));
        profile::mark("helper: file pumped");
    }
    engine.post(&Response::Loaded { load_id, cancelled });
}

/// A helper's message to the owner, its bytes' buffer moved rather than copied.
fn send_to_owner(owner: Option<&MessagePort>, msg: Envelope<ToOwner>) {
    let Some(port) = owner else { return };
    let Ok((msg, transfer)) = msg.to_js() else { return };
    // A failed post leaves the owner waiting: it can only mean the page is going away.
    let _ = match transfer {
        Some(t) => port.post_message_with_transferable(&msg, &t),
        None => port.post_message(&msg),
    };
}
