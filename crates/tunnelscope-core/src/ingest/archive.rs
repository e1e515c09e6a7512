//! zip archives: members become files named `archive.zip!/member`, with bounded expansion.

use std::io::{Cursor, Read};

use zip::ZipArchive;
use zip::result::ZipError;

use super::{MAX_EXPANSION_RATIO, MAX_WHOLE_BYTES, MIN_EXPANSION_ALLOWANCE};

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
    // The zip crate keeps one entry per name (the last); the others of a name are read from
    // the central directory's own list (`shadowed_entries`).
    let shadowed = shadowed_entries(bytes);
    let mut members = Vec::with_capacity(archive.len());
    let mut names = std::collections::HashSet::new();
    for i in 0..archive.len() {
        match archive.by_index_raw(i) {
            Ok(m) if m.is_file() && !m.is_symlink() => {
                let earlier = shadowed.get(m.name_raw()).cloned().unwrap_or_default();
                names.insert(m.name().to_owned());
                members.push((i, m.name().to_owned(), earlier));
            }
            Ok(_) => {}
            // The central directory was readable as a whole; a bad entry is the archive's fault.
            Err(e) => return f(name.to_owned(), Err(open_error(&e))),
        }
    }
    budget.members += members.iter().map(|(_, _, earlier)| 1 + earlier.len()).sum::<usize>();
    if budget.members > MAX_ARCHIVE_MEMBERS {
        return f(
            name.to_owned(),
            Err(format!("zip archive with more than {MAX_ARCHIVE_MEMBERS} files: not a real export")),
        );
    }
    if members.is_empty() && depth > 0 {
        return f(name.to_owned(), Err("zip archive with no files in it".to_owned()));
    }
    let mut emit = |full: String, content: Result<Vec<u8>, String>, budget: &mut Budget| match content {
        Ok(data) if is_zip(&data) && depth < MAX_NESTING => expand_into(&full, &data, depth + 1, budget, f),
        other => f(full, other),
    };
    for (i, member_name, earlier) in members {
        // Members of one name, in the archive's order: `x.json`, `x.json (2)`, … (a number
        // whose name is taken by another member is passed over).
        let mut number = 1;
        let mut next_name = |first: bool| {
            if first {
                return format!("{name}!/{member_name}");
            }
            loop {
                number += 1;
                let candidate = format!("{member_name} ({number})");
                if !names.contains(&candidate) {
                    names.insert(candidate.clone());
                    return format!("{name}!/{candidate}");
                }
            }
        };
        for (k, entry) in earlier.iter().enumerate() {
            let full = next_name(k == 0);
            let content = match &budget.exhausted {
                Some(reason) => Err(reason.clone()),
                None => read_shadowed(bytes, entry, budget),
            };
            emit(full, content, budget);
        }
        let full = next_name(earlier.is_empty());
        let content = match &budget.exhausted {
            Some(reason) => Err(reason.clone()),
            None => read_member(&mut archive, i, budget),
        };
        emit(full, content, budget);
    }
}

/// Where a member the zip crate does not list starts, and its compressed size.
#[derive(Debug, Clone, Copy)]
struct Entry {
    header_start: usize,
    compressed_size: u64,
}

/// The entries of each name that occurs more than once in the central directory, but for
/// the last (the one the zip crate keeps), in the archive's order; by raw name. Empty when
/// the directory cannot be walked plainly (zip64): those archives keep one member per name.
fn shadowed_entries(bytes: &[u8]) -> std::collections::HashMap<Vec<u8>, Vec<Entry>> {
    let mut by_name: std::collections::HashMap<Vec<u8>, Vec<Entry>> = std::collections::HashMap::new();
    let u16_at = |at: usize| bytes.get(at..at + 2).map(|b| usize::from(u16::from_le_bytes([b[0], b[1]])));
    let u32_at = |at: usize| bytes.get(at..at + 4).map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]));
    // The end-of-central-directory record: its signature, at most 64 KiB of comment from the end.
    let floor = bytes.len().saturating_sub(22 + 0xFFFF);
    let Some(eocd) = (floor..bytes.len().saturating_sub(21)).rev().find(|&at| u32_at(at) == Some(0x0605_4b50)) else {
        return by_name;
    };
    let (Some(count), Some(size), Some(offset)) = (u16_at(eocd + 10), u32_at(eocd + 12), u32_at(eocd + 16)) else {
        return by_name;
    };
    if count == 0xFFFF || size == u32::MAX || offset == u32::MAX {
        return by_name;
    }
    // Bytes before the archive (a self-extracting stub) shift every offset.
    let Some(shift) = eocd.checked_sub(size as usize).and_then(|start| start.checked_sub(offset as usize)) else {
        return by_name;
    };
    let mut at = shift + offset as usize;
    let mut order: Vec<(Vec<u8>, Entry)> = Vec::with_capacity(count);
    for _ in 0..count {
        if u32_at(at) != Some(0x0201_4b50) {
            return std::collections::HashMap::new();
        }
        let (Some(csize), Some(name_len), Some(extra_len), Some(comment_len), Some(local)) =
            (u32_at(at + 20), u16_at(at + 28), u16_at(at + 30), u16_at(at + 32), u32_at(at + 42))
        else {
            return std::collections::HashMap::new();
        };
        let Some(raw_name) = bytes.get(at + 46..at + 46 + name_len) else { return std::collections::HashMap::new() };
        if csize != u32::MAX && local != u32::MAX && !raw_name.ends_with(b"/") {
            let entry = Entry { header_start: shift + local as usize, compressed_size: u64::from(csize) };
            order.push((raw_name.to_vec(), entry));
        }
        at += 46 + name_len + extra_len + comment_len;
    }
    for (raw_name, entry) in order {
        by_name.entry(raw_name).or_default().push(entry);
    }
    by_name.retain(|_, entries| entries.len() > 1);
    for entries in by_name.values_mut() {
        entries.pop();
    }
    by_name
}

/// Decompressed bytes of a member held as it is read the first time; a bigger member is first
/// only counted against the bound as it streams, then read again into a buffer of its exact
/// size, so a bomb is refused without ever being held.
const HOLD_FIRST: u64 = MIN_EXPANSION_ALLOWANCE;

fn read_member(archive: &mut ZipArchive<Cursor<&[u8]>>, i: usize, budget: &mut Budget) -> Result<Vec<u8>, String> {
    let mut with_file = |read: Reading<'_>| {
        let mut file = archive.by_index(i).map_err(|e| member_error(&e))?;
        let size = file.size();
        read(&mut file, size)
    };
    read_twice(&mut with_file, budget)
}

/// Reads a member the zip crate does not list, from its local header.
fn read_shadowed(bytes: &[u8], entry: &Entry, budget: &mut Budget) -> Result<Vec<u8>, String> {
    let mut with_file = |read: Reading<'_>| {
        let mut reader = bytes.get(entry.header_start..).ok_or("corrupt zip member: it starts beyond the archive")?;
        match zip::read::read_zipfile_from_stream_with_compressed_size(&mut reader, entry.compressed_size) {
            Ok(Some(mut file)) => {
                let size = file.size();
                read(&mut file, size)
            }
            Ok(None) => Err("corrupt zip member: no local header where the directory says".to_owned()),
            Err(e) => Err(member_error(&e)),
        }
    };
    read_twice(&mut with_file, budget)
}

/// What one reading of a member gave: its content, or (when it is more than the first hold)
/// only its size, counted against the bound as it streamed.
enum MemberRead {
    Held(Vec<u8>),
    Counted(u64),
}

/// One reading of an open member, given its declared size.
type Reading<'r> = &'r mut dyn FnMut(&mut dyn Read, u64) -> Result<MemberRead, String>;

/// A member's content, within what the archive may still expand to. `with_file` opens the
/// member (afresh each time) and hands it, with its declared size, to the reading given: the
/// first reading holds up to [`HOLD_FIRST`] bytes, or else counts them to the bound (a bomb
/// stops there, holding nothing); the second then reads them into a buffer of their exact size.
fn read_twice(
    with_file: &mut dyn FnMut(Reading<'_>) -> Result<MemberRead, String>,
    budget: &mut Budget,
) -> Result<Vec<u8>, String> {
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
    let bytes_left = budget.bytes_left;
    let mut first_read = |mut file: &mut dyn Read, size: u64| {
        let hint = usize::try_from(size).unwrap_or(usize::MAX).saturating_add(1);
        let n = match super::gzip::read_held(&mut file, hint, usize::try_from(first).unwrap_or(usize::MAX)) {
            Ok((data, false)) => return Ok(MemberRead::Held(data)),
            Ok((data, true)) => data.len() as u64 + 1,
            Err((e, _)) => return Err(corrupt(e)),
        };
        if n > bytes_left {
            return Ok(MemberRead::Counted(n));
        }
        // More than the first hold: count the rest, without holding it, up to the bound.
        let mut scratch = vec![0u8; 256 << 10];
        let mut produced = n;
        loop {
            match file.read(&mut scratch) {
                Ok(0) => return Ok(MemberRead::Counted(produced)),
                Ok(k) => {
                    produced += k as u64;
                    if produced > bytes_left {
                        return Ok(MemberRead::Counted(produced));
                    }
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(corrupt(e)),
            }
        }
    };
    let produced = match with_file(&mut first_read)? {
        MemberRead::Held(data) => {
            budget.bytes_left -= data.len() as u64;
            return Ok(data);
        }
        MemberRead::Counted(n) if n > budget.bytes_left => return bomb(budget),
        MemberRead::Counted(n) => n,
    };
    // Within the expansion bound, but a member is held whole to be read: beyond the ceiling
    // it is refused, and the archive's other members are still read.
    if produced > MAX_WHOLE_BYTES {
        return Err(super::too_big_reason("the zip member", produced, MAX_WHOLE_BYTES));
    }
    let size = usize::try_from(produced).map_err(|_| "zip member too big to hold in memory here".to_owned())?;
    let mut data = Vec::new();
    data.try_reserve_exact(size)
        .map_err(|_| format!("zip member of {produced} bytes is too big to hold in memory here"))?;
    let mut second_read = |file: &mut dyn Read, _: u64| {
        file.take(produced).read_to_end(&mut data).map_err(corrupt)?;
        Ok(MemberRead::Counted(0))
    };
    with_file(&mut second_read)?;
    budget.bytes_left -= data.len() as u64;
    Ok(data)
}

/// Why a member cannot be opened.
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
