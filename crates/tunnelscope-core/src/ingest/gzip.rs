//! gzip: detection and bounded decompression (truncation and bombs are errors, not panics).

use std::io::Read;

use flate2::read::MultiGzDecoder;

use super::{MAX_EXPANSION_RATIO, MIN_EXPANSION_ALLOWANCE};

/// True when the bytes start with the gzip magic number.
pub(super) fn is_gzip(bytes: &[u8]) -> bool {
    bytes.starts_with(&[0x1f, 0x8b])
}

/// Decompresses a whole gzip stream (concatenated members too), bounded by the expansion limit.
pub(super) fn gunzip(bytes: &[u8]) -> Result<Vec<u8>, String> {
    let limit = (bytes.len() as u64).saturating_mul(MAX_EXPANSION_RATIO).max(MIN_EXPANSION_ALLOWANCE);
    let mut out = Vec::with_capacity(bytes.len().saturating_mul(8).min(256 << 20));
    // Read one byte past the limit so that reaching it is detectable.
    let mut decoder = MultiGzDecoder::new(bytes).take(limit + 1);
    match decoder.read_to_end(&mut out) {
        Ok(_) if out.len() as u64 > limit => Err(format!(
            "gzip expands beyond {limit} bytes ({}× its size): not a real export (decompression bomb?)",
            MAX_EXPANSION_RATIO
        )),
        Ok(_) => Ok(out),
        Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => {
            Err(format!("truncated gzip: the compressed data ends early (after {} bytes of output)", out.len()))
        }
        Err(e) => Err(format!("corrupt gzip: {e}")),
    }
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
