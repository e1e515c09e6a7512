//! gzip: detection and bounded decompression (truncation and bombs are errors, not panics).

use std::io::Read;

use flate2::read::MultiGzDecoder;

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
            let target = if len == 0 { hint.clamp(64 << 10, max.max(1)) } else { len.saturating_mul(2) }.min(max);
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

fn read_error(e: &std::io::Error, produced: u64) -> String {
    if e.kind() == std::io::ErrorKind::UnexpectedEof {
        format!("truncated gzip: the compressed data ends early (after {produced} bytes of output)")
    } else {
        format!("corrupt gzip: {e}")
    }
}

/// Decompresses a whole gzip stream (concatenated members too), bounded by the expansion limit.
///
/// Up to [`HOLD_FIRST`] bytes of output are held as they come; a bigger content is decompressed
/// once counting only (to the bound: a bomb stops there, holding nothing), then again for real.
pub(super) fn gunzip(bytes: &[u8]) -> Result<Vec<u8>, String> {
    let limit = expansion_limit(bytes.len() as u64);
    let first = HOLD_FIRST.min(limit);
    let mut decoder = MultiGzDecoder::new(bytes);
    let hint = bytes.len().saturating_mul(8);
    let out = match read_held(&mut decoder, hint, usize::try_from(first).unwrap_or(usize::MAX)) {
        Ok((out, false)) => return Ok(out),
        Ok((out, true)) => out,
        Err((e, produced)) => return Err(read_error(&e, produced as u64)),
    };
    // More than the first hold: count the rest, without holding it, up to the bound.
    let mut produced = out.len() as u64 + 1;
    drop(out);
    let mut scratch = vec![0u8; 256 << 10];
    loop {
        match decoder.read(&mut scratch) {
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
    let size = usize::try_from(produced).map_err(|_| bomb_reason(limit))?;
    let mut out = Vec::new();
    out.try_reserve_exact(size)
        .map_err(|_| format!("gzip content of {produced} bytes is too big to hold in memory here"))?;
    MultiGzDecoder::new(bytes).take(produced).read_to_end(&mut out).map_err(|e| read_error(&e, out.len() as u64))?;
    Ok(out)
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

    #[test]
    fn bombs_are_refused() {
        let zeros = vec![b' '; (MIN_EXPANSION_ALLOWANCE + 1024) as usize];
        let packed = gz(&zeros);
        assert!(packed.len() < 200_000);
        let err = gunzip(&packed).unwrap_err();
        assert!(err.contains("decompression bomb"), "{err}");
    }
}
