//! zip archives: members become files named `archive.zip!/member`, with bounded expansion.

use std::io::{Cursor, Read};

use zip::ZipArchive;
use zip::result::ZipError;

use super::{MAX_EXPANSION_RATIO, MIN_EXPANSION_ALLOWANCE};

/// Members allowed in one archive (nested archives included); real exports have far fewer.
pub const MAX_ARCHIVE_MEMBERS: usize = 100_000;
/// How deep archives may nest inside archives.
const MAX_NESTING: usize = 4;

/// One expanded file: its name and its bytes, or why it cannot be read.
pub(super) type Member = (String, Result<Vec<u8>, String>);

/// True for the local-file and empty-archive signatures a zip file starts with.
pub(super) fn is_zip(bytes: &[u8]) -> bool {
    bytes.starts_with(b"PK\x03\x04") || bytes.starts_with(b"PK\x05\x06")
}

/// Expands an archive into its member files (nested archives expanded too). On an unreadable,
/// oversized or bomb-like archive, the whole archive is one file with the reason.
pub(super) fn expand(name: &str, bytes: &[u8]) -> Vec<Member> {
    let limit = (bytes.len() as u64).saturating_mul(MAX_EXPANSION_RATIO).max(MIN_EXPANSION_ALLOWANCE);
    let mut budget = Budget { bytes_left: limit, limit, members: 0 };
    let mut out = Vec::new();
    match expand_into(name, bytes, 0, &mut budget, &mut out) {
        Ok(()) if out.is_empty() => vec![(name.to_owned(), Err("zip archive with no files in it".to_owned()))],
        Ok(()) => out,
        Err(reason) => vec![(name.to_owned(), Err(reason))],
    }
}

struct Budget {
    bytes_left: u64,
    limit: u64,
    members: usize,
}

fn expand_into(
    name: &str,
    bytes: &[u8],
    depth: usize,
    budget: &mut Budget,
    out: &mut Vec<Member>,
) -> Result<(), String> {
    let mut archive = ZipArchive::new(Cursor::new(bytes)).map_err(|e| open_error(&e))?;
    for i in 0..archive.len() {
        let (member_name, is_file) = match archive.by_index_raw(i) {
            Ok(f) => (f.name().to_owned(), f.is_file() && !f.is_symlink()),
            Err(e) => return Err(open_error(&e)),
        };
        if !is_file {
            continue;
        }
        budget.members += 1;
        if budget.members > MAX_ARCHIVE_MEMBERS {
            return Err(format!("zip archive with more than {MAX_ARCHIVE_MEMBERS} files: not a real export"));
        }
        let full = format!("{name}!/{member_name}");
        let content = match archive.by_index(i) {
            Ok(mut file) => {
                let mut data = Vec::with_capacity(usize::try_from(file.size().min(1 << 20)).unwrap_or(0));
                match (&mut file).take(budget.bytes_left.saturating_add(1)).read_to_end(&mut data) {
                    Ok(n) if n as u64 > budget.bytes_left => {
                        return Err(format!(
                            "zip archive expands beyond {} bytes ({MAX_EXPANSION_RATIO}× its size): not a real export (decompression bomb?)",
                            budget.limit
                        ));
                    }
                    Ok(n) => {
                        budget.bytes_left -= n as u64;
                        Ok(data)
                    }
                    Err(e) => Err(format!("corrupt or truncated zip member: {e}")),
                }
            }
            Err(ZipError::UnsupportedArchive(ZipError::PASSWORD_REQUIRED)) => {
                Err("encrypted zip member: tunnelscope cannot read password-protected archives".to_owned())
            }
            Err(ZipError::UnsupportedArchive(what)) => {
                Err(format!("zip member uses an unsupported feature ({what}); re-zip it with plain deflate"))
            }
            Err(e) => Err(format!("corrupt zip member: {e}")),
        };
        match content {
            Ok(data) if is_zip(&data) && depth < MAX_NESTING => expand_into(&full, &data, depth + 1, budget, out)?,
            other => out.push((full, other)),
        }
    }
    Ok(())
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
