//! gzip: detection and bounded decompression (truncation and bombs are errors, not panics).

use std::io::Read;

use flate2::bufread::GzDecoder;

use super::{MAX_EXPANSION_RATIO, MIN_EXPANSION_ALLOWANCE};

/// True when the bytes start with the gzip magic number.
pub(super) fn is_gzip(bytes: &[u8]) -> bool {
    bytes.starts_with(&[0x1f, 0x8b])
}

/// Decompressed bytes held while a gzip stream is read the first time; content beyond this is
/// first only counted (checking the expansion bound as it streams), then read again into a
/// buffer of its exact size, so a bomb is refused without ever being held.
const HOLD_FIRST: u64 = MIN_EXPANSION_ALLOWANCE;

/// The most a compressed input of `compressed` bytes may expand to.
pub(super) fn expansion_limit(compressed: u64) -> u64 {
    compressed.saturating_mul(MAX_EXPANSION_RATIO).max(MIN_EXPANSION_ALLOWANCE)
}

/// Reads at most `max` bytes from `r` into a buffer grown by doubling from `hint` (never past
/// `max`, so holding `max` bytes costs `max`, not twice it); true with them when more follow.
/// On an error, how many bytes were read before it.
pub(super) fn read_held(
    r: &mut impl Read,
    hint: usize,
    max: usize,
) -> Result<(Vec<u8>, bool), (std::io::Error, usize)> {
    let mut out: Vec<u8> = Vec::new();
    let mut len = 0;
    loop {
        if len == out.len() {
            if len >= max {
                let mut one = [0u8; 1];
                loop {
                    match r.read(&mut one) {
                        Ok(n) => return Ok((out, n > 0)),
                        Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                        Err(e) => return Err((e, len)),
                    }
                }
            }
            let target = if len == 0 { hint.max(64 << 10) } else { len.saturating_mul(2) }.min(max);
            out.reserve_exact(target - len);
            out.resize(target, 0);
        }
        match r.read(&mut out[len..]) {
            Ok(0) => {
                out.truncate(len);
                return Ok((out, false));
            }
            Ok(n) => len += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err((e, len)),
        }
    }
}

/// Why a gzip file that expands beyond `limit` bytes is refused (the same words wherever the
/// bound is found: whole, streamed, or cut by the CLI).
pub fn bomb_reason(limit: u64) -> String {
    format!(
        "gzip expands beyond {limit} bytes ({MAX_EXPANSION_RATIO}× its size): not a real export (decompression bomb?)"
    )
}

pub(super) fn read_error(e: &std::io::Error, produced: u64) -> String {
    if e.kind() == std::io::ErrorKind::UnexpectedEof {
        format!("truncated gzip: the compressed data ends early (after {produced} bytes of output)")
    } else {
        format!("corrupt gzip: {e}")
    }
}

/// The gzip members of a file one after another, as one reader, stopping before bytes that are
/// not gzip (trailing zeros or garbage some tools leave): a `bufread` decoder stops at its
/// member's end, leaving the rest. Where such bytes begin is kept in `trailing`.
struct Members<'a> {
    decoder: Option<GzDecoder<&'a [u8]>>,
    /// The bytes after the gzip data and their offset in the file, once reached.
    trailing: Option<(usize, &'a [u8])>,
    total: usize,
}

impl<'a> Members<'a> {
    fn new(bytes: &'a [u8]) -> Self {
        Self { decoder: Some(GzDecoder::new(bytes)), trailing: None, total: bytes.len() }
    }

    /// The note on the bytes after the gzip data, once the reader has reached them.
    fn note(&self) -> Option<String> {
        let (offset, rest) = self.trailing?;
        let what = if rest.iter().all(|&b| b == 0) { "zero bytes" } else { "bytes that are not gzip" };
        Some(format!("{} {what} after the gzip data (from byte {offset}) were not read", rest.len()))
    }
}

impl Read for Members<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        while let Some(decoder) = self.decoder.as_mut() {
            let n = decoder.read(buf)?;
            if n > 0 {
                return Ok(n);
            }
            // This member has ended: the next one, or the end of the gzip data.
            let input = self.decoder.take().map(GzDecoder::into_inner).unwrap_or_default();
            if input.is_empty() {
                break;
            }
            if !is_gzip(input) {
                self.trailing = Some((self.total - input.len(), input));
                break;
            }
            self.decoder = Some(GzDecoder::new(input));
        }
        Ok(0)
    }
}

/// Decompresses a whole gzip stream (concatenated members too), bounded by the expansion limit.
pub(super) fn gunzip(bytes: &[u8]) -> Result<Vec<u8>, String> {
    gunzip_noting(bytes).map(|(out, _)| out)
}

/// [`gunzip`], and a note when bytes that are not gzip follow the last member (trailing
/// zeros or garbage some tools leave): the members before them are the content, the rest
/// is reported, not read. A truncated or corrupt member is still an error.
///
/// Up to [`HOLD_FIRST`] bytes of output are held as they come; a bigger content is decompressed
/// once counting only (to the bound: a bomb stops there, holding nothing), then again for real.
pub(super) fn gunzip_noting(bytes: &[u8]) -> Result<(Vec<u8>, Option<String>), String> {
    gunzip_holding(bytes, HOLD_FIRST)
}

/// [`gunzip_noting`] holding at most `hold_first` bytes before it knows the whole is bounded.
fn gunzip_holding(bytes: &[u8], hold_first: u64) -> Result<(Vec<u8>, Option<String>), String> {
    let limit = expansion_limit(bytes.len() as u64);
    let first = hold_first.min(limit);
    let mut members = Members::new(bytes);
    let hint = bytes.len().saturating_mul(8);
    let out = match read_held(&mut members, hint, usize::try_from(first).unwrap_or(usize::MAX)) {
        Ok((out, false)) => return Ok((out, members.note())),
        Ok((out, true)) => out,
        Err((e, produced)) => return Err(read_error(&e, produced as u64)),
    };
    // More than the first hold: count the rest, without holding it, up to the bound.
    let mut produced = out.len() as u64 + 1;
    drop(out);
    let mut scratch = vec![0u8; 256 << 10];
    loop {
        match members.read(&mut scratch) {
            Ok(0) => break,
            Ok(n) => {
                produced += n as u64;
                if produced > limit {
                    return Err(bomb_reason(limit));
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(read_error(&e, produced)),
        }
    }
    drop(scratch);
    let note = members.note();
    let size = usize::try_from(produced).map_err(|_| bomb_reason(limit))?;
    let mut out = Vec::new();
    out.try_reserve_exact(size)
        .map_err(|_| format!("gzip content of {produced} bytes is too big to hold in memory here"))?;
    Members::new(bytes).take(produced).read_to_end(&mut out).map_err(|e| read_error(&e, out.len() as u64))?;
    Ok((out, note))
}

#[cfg(test)]
mod tests {
    use super::*;
    use flate2::{Compression, write::GzEncoder};
    use std::io::Write;

    fn gz(data: &[u8]) -> Vec<u8> {
        let mut e = GzEncoder::new(Vec::new(), Compression::default());
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }

    #[test]
    fn round_trip_truncated_and_corrupt() {
        let data = b"{\"Records\":[]}".repeat(100);
        let packed = gz(&data);
        assert_eq!(gunzip(&packed).unwrap(), data);
        let err = gunzip(&packed[..packed.len() / 2]).unwrap_err();
        assert!(err.starts_with("truncated gzip"), "{err}");
        let mut bad = packed.clone();
        bad[12] ^= 0xff;
        bad[13] ^= 0xff;
        assert!(gunzip(&bad).is_err());
    }

    /// Issue 18, item 6a: what follows the gzip data is reported, not a reason to refuse it.
    #[test]
    fn trailing_bytes_after_the_gzip_data_are_noted() {
        let data = b"{\"Records\":[]}".repeat(100);
        let packed = gz(&data);
        assert_eq!(gunzip_noting(&packed).unwrap(), (data.clone(), None));
        let two = [packed.clone(), gz(b"more")].concat();
        assert_eq!(gunzip_noting(&two).unwrap(), ([&data[..], b"more"].concat(), None), "members in a row");
        let zeros = [packed.clone(), vec![0; 512]].concat();
        let (out, note) = gunzip_noting(&zeros).unwrap();
        assert_eq!(out, data);
        let note = note.unwrap();
        assert!(
            note.starts_with("512 zero bytes after the gzip data") && note.contains(&packed.len().to_string()),
            "{note}"
        );
        let garbage = [packed.clone(), b"garbage".to_vec()].concat();
        let (out, note) = gunzip_noting(&garbage).unwrap();
        assert_eq!(out, data);
        assert!(note.unwrap().starts_with("7 bytes that are not gzip"));
        // A member cut short is still an error, trailing or not.
        let cut = [packed.clone(), packed[..packed.len() / 2].to_vec()].concat();
        assert!(gunzip_noting(&cut).unwrap_err().starts_with("truncated gzip"));
    }

    /// Issue 18: past the first hold (here a few bytes, so that any content is), the gzip data
    /// is counted member by member, then read again: the bytes after it are still a note, a
    /// cut member still an error, and a bomb still refused, trailing bytes or not.
    #[test]
    fn counted_then_read_again_keeps_the_trailing_note() {
        let data = b"{\"Records\":[]}".repeat(100);
        let packed = gz(&data);
        for hold in [0, 1, 16, data.len() as u64 - 1, data.len() as u64, data.len() as u64 + 1] {
            assert_eq!(gunzip_holding(&packed, hold).unwrap(), (data.clone(), None), "{hold}");
            let two = [packed.clone(), gz(b""), gz(b"more")].concat();
            assert_eq!(gunzip_holding(&two, hold).unwrap(), ([&data[..], b"more"].concat(), None), "{hold}");
            let zeros = [two.clone(), vec![0; 512]].concat();
            let note = format!("512 zero bytes after the gzip data (from byte {}) were not read", two.len());
            assert_eq!(gunzip_holding(&zeros, hold).unwrap(), ([&data[..], b"more"].concat(), Some(note)));
            let garbage = [packed.clone(), b"garbage".to_vec()].concat();
            let (out, note) = gunzip_holding(&garbage, hold).unwrap();
            assert_eq!(out, data);
            assert!(note.unwrap().starts_with("7 bytes that are not gzip"));
            let cut = [packed.clone(), packed[..packed.len() / 2].to_vec()].concat();
            assert!(gunzip_holding(&cut, hold).unwrap_err().starts_with("truncated gzip"), "{hold}");
        }
        let bomb = [gz(&vec![b' '; (MIN_EXPANSION_ALLOWANCE + 1024) as usize]), vec![0; 512]].concat();
        for hold in [16, HOLD_FIRST] {
            let err = gunzip_holding(&bomb, hold).unwrap_err();
            assert_eq!(err, bomb_reason(expansion_limit(bomb.len() as u64)));
        }
    }

    #[test]
    fn bombs_are_refused() {
        let zeros = vec![b' '; (MIN_EXPANSION_ALLOWANCE + 1024) as usize];
        let packed = gz(&zeros);
        assert!(packed.len() < 200_000);
        let err = gunzip(&packed).unwrap_err();
        assert!(err.contains("decompression bomb"), "{err}");
    }
}
