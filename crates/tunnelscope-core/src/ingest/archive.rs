//! zip archives: members become files named `archive.zip!/member`, with bounded expansion.

use std::io::{Cursor, Read};

use zip::ZipArchive;
use zip::result::ZipError;

use super::{MAX_EXPANSION_RATIO, MIN_EXPANSION_ALLOWANCE};

/// Members allowed in one archive (nested archives included); real exports have far fewer.
pub const MAX_ARCHIVE_MEMBERS: usize = 100_000;
/// How deep archives may nest inside archives.
const MAX_NESTING: usize = 4;

/// True for the local-file and empty-archive signatures a zip file starts with.
pub(super) fn is_zip(bytes: &[u8]) -> bool {
    bytes.starts_with(b"PK\x03\x04") || bytes.starts_with(b"PK\x05\x06")
}

/// Expands an archive into its member files (nested archives expanded too), handing each to
/// `f` as soon as it is read, so that only one member is held in memory at a time.
///
/// An archive that cannot be opened, is empty or has too many members is one file under its
/// own name, with the reason. Once the expansion bound is reached, the member that crossed it
/// and every member after it are rejected with that reason.
pub(super) fn for_each_member(name: &str, bytes: &[u8], f: &mut dyn FnMut(String, Result<Vec<u8>, String>)) {
    let limit = (bytes.len() as u64).saturating_mul(MAX_EXPANSION_RATIO).max(MIN_EXPANSION_ALLOWANCE);
    let mut budget = Budget { bytes_left: limit, limit, members: 0, exhausted: None };
    let mut emitted = 0usize;
    let mut count = |n: String, r: Result<Vec<u8>, String>| {
        emitted += 1;
        f(n, r);
    };
    expand_into(name, bytes, 0, &mut budget, &mut count);
    if emitted == 0 {
        f(name.to_owned(), Err("zip archive with no files in it".to_owned()));
    }
}

struct Budget {
    bytes_left: u64,
    limit: u64,
    members: usize,
    /// Set once the expansion bound is crossed: the reason every later member gets.
    exhausted: Option<String>,
}

fn expand_into(
    name: &str,
    bytes: &[u8],
    depth: usize,
    budget: &mut Budget,
    f: &mut dyn FnMut(String, Result<Vec<u8>, String>),
) {
    let mut archive = match ZipArchive::new(Cursor::new(bytes)) {
        Ok(a) => a,
        Err(e) => return f(name.to_owned(), Err(open_error(&e))),
    };
    if budget.members.saturating_add(archive.len()) > MAX_ARCHIVE_MEMBERS {
        return f(
            name.to_owned(),
            Err(format!("zip archive with more than {MAX_ARCHIVE_MEMBERS} files: not a real export")),
        );
    }
    let mut members = Vec::with_capacity(archive.len());
    for i in 0..archive.len() {
        match archive.by_index_raw(i) {
            Ok(m) if m.is_file() && !m.is_symlink() => members.push((i, m.name().to_owned())),
            Ok(_) => {}
            // The central directory was readable as a whole; a bad entry is the archive's fault.
            Err(e) => return f(name.to_owned(), Err(open_error(&e))),
        }
    }
    budget.members += members.len();
    if members.is_empty() && depth > 0 {
        return f(name.to_owned(), Err("zip archive with no files in it".to_owned()));
    }
    for (i, member_name) in members {
        let full = format!("{name}!/{member_name}");
        if let Some(reason) = &budget.exhausted {
            f(full, Err(reason.clone()));
            continue;
        }
        let content = read_member(&mut archive, i, budget);
        match content {
            Ok(data) if is_zip(&data) && depth < MAX_NESTING => expand_into(&full, &data, depth + 1, budget, f),
            other => f(full, other),
        }
    }
}

/// Decompressed bytes of a member held as it is read the first time; a bigger member is first
/// only counted against the bound as it streams, then read again into a buffer of its exact
/// size, so a bomb is refused without ever being held.
const HOLD_FIRST: u64 = MIN_EXPANSION_ALLOWANCE;

fn read_member(archive: &mut ZipArchive<Cursor<&[u8]>>, i: usize, budget: &mut Budget) -> Result<Vec<u8>, String> {
    let bomb = |budget: &mut Budget| {
        let reason = format!(
            "zip archive expands beyond {} bytes ({MAX_EXPANSION_RATIO}× its size): not a real export (decompression bomb?)",
            budget.limit
        );
        budget.exhausted = Some(reason.clone());
        Err(reason)
    };
    let corrupt = |e: std::io::Error| format!("corrupt or truncated zip member: {e}");
    let first = HOLD_FIRST.min(budget.bytes_left);
    let mut produced = {
        let mut file = archive.by_index(i).map_err(|e| member_error(&e))?;
        let hint = usize::try_from(file.size()).unwrap_or(usize::MAX).saturating_add(1);
        let n = match super::gzip::read_held(&mut file, hint, usize::try_from(first).unwrap_or(usize::MAX)) {
            Ok((data, false)) => {
                budget.bytes_left -= data.len() as u64;
                return Ok(data);
            }
            Ok((data, true)) => data.len() as u64 + 1,
            Err((e, _)) => return Err(corrupt(e)),
        };
        if n > budget.bytes_left {
            return bomb(budget);
        }
        // More than the first hold: count the rest, without holding it, up to the bound.
        let mut scratch = vec![0u8; 256 << 10];
        let mut produced = n;
        loop {
            match file.read(&mut scratch) {
                Ok(0) => break produced,
                Ok(k) => {
                    produced += k as u64;
                    if produced > budget.bytes_left {
                        return bomb(budget);
                    }
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(corrupt(e)),
            }
        }
    };
    let size = usize::try_from(produced).map_err(|_| "zip member too big to hold in memory here".to_owned())?;
    let mut data = Vec::new();
    data.try_reserve_exact(size)
        .map_err(|_| format!("zip member of {produced} bytes is too big to hold in memory here"))?;
    let file = archive.by_index(i).map_err(|e| member_error(&e))?;
    produced = file.take(produced).read_to_end(&mut data).map_err(corrupt)? as u64;
    budget.bytes_left -= produced;
    Ok(data)
}

fn member_error(e: &ZipError) -> String {
    match e {
        ZipError::UnsupportedArchive(ZipError::PASSWORD_REQUIRED) => {
            "encrypted zip member: tunnelscope cannot read password-protected archives".to_owned()
        }
        ZipError::UnsupportedArchive(what) => {
            format!("zip member uses an unsupported feature ({what}); re-zip it with plain deflate")
        }
        e => format!("corrupt zip member: {e}"),
    }
}

fn open_error(e: &ZipError) -> String {
    match e {
        ZipError::Io(io) if io.kind() == std::io::ErrorKind::UnexpectedEof => {
            "truncated zip archive: the data ends early".to_owned()
        }
        ZipError::InvalidArchive(why) => format!("truncated or corrupt zip archive: {why}"),
        other => format!("unreadable zip archive: {other}"),
    }
}
