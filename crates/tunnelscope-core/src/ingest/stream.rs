//! Reading one file fed in chunks (slices of a browser `File`, or reads of a native file).
//!
//! The caller pushes the file's bytes as stored (gzip or not, any chunk sizes) and finishes
//! it; the result is exactly what [`super::parse_input`] gives for the whole bytes.
//! (First version: buffers the chunks; the streaming parser replaces the body, not the API.)

use super::{ParsedFile, parse_input};

/// One file being read chunk by chunk.
#[derive(Debug, Default)]
pub struct FileStream {
    name: String,
    buffer: Vec<u8>,
}

impl FileStream {
    /// Starts reading the file `name` (the path as given); `size_hint` is its size on disk.
    pub fn new(name: &str, size_hint: u64) -> Self {
        let mut buffer = Vec::new();
        // A hint, not a promise: a failed reservation just grows the buffer as chunks arrive.
        let _ = buffer.try_reserve(usize::try_from(size_hint).unwrap_or(0));
        Self { name: name.to_owned(), buffer }
    }

    /// Feeds the next chunk of the file's bytes.
    pub fn push(&mut self, chunk: &[u8]) {
        self.buffer.extend_from_slice(chunk);
    }

    /// Records found so far (valid or not), for progress; 0 until the parser streams.
    pub fn records_so_far(&self) -> u64 {
        0
    }

    /// Ends the file: its parsed files (one, or an archive's members named `a.zip!/member`).
    pub fn finish(self) -> Vec<(String, ParsedFile)> {
        parse_input(&self.name, &self.buffer)
    }
}
