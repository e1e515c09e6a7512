//! gzip: detection and bounded decompression (truncation and bombs are errors, not panics).

use std::io::Read;

use flate2::bufread::GzDecoder;

use super::{MAX_EXPANSION_RATIO, MIN_EXPANSION_ALLOWANCE};

/// True when the bytes start with the gzip magic number.
pub(super) fn is_gzip(bytes: &[u8]) -> bool {
    bytes.starts_with(&[0x1f, 0x8b])
}

/// Decompresses a whole gzip stream (concatenated members too), bounded by the expansion limit.
pub(super) fn gunzip(bytes: &[u8]) -> Result<Vec<u8>, String> {
    gunzip_noting(bytes).map(|(out, _)| out)
}

/// [`gunzip`], and a note when bytes that are not gzip follow the last member (trailing
/// zeros or garbage some tools leave): the members before them are the content, the rest
/// is reported, not read. A truncated or corrupt member is still an error.
pub(super) fn gunzip_noting(bytes: &[u8]) -> Result<(Vec<u8>, Option<String>), String> {
    let limit = (bytes.len() as u64).saturating_mul(MAX_EXPANSION_RATIO).max(MIN_EXPANSION_ALLOWANCE);
    let mut out = Vec::with_capacity(bytes.len().saturating_mul(8).min(256 << 20));
    let mut input = bytes;
    loop {
        // One member at a time: a bufread decoder stops at its member's end, leaving the rest.
        let mut decoder = GzDecoder::new(input);
        // Read one byte past the limit so that reaching it is detectable.
        let left = (limit + 1).saturating_sub(out.len() as u64);
        match (&mut decoder).take(left).read_to_end(&mut out) {
            Ok(_) if out.len() as u64 > limit => {
                return Err(format!(
                    "gzip expands beyond {limit} bytes ({}× its size): not a real export (decompression bomb?)",
                    MAX_EXPANSION_RATIO
                ));
            }
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => {
                return Err(format!(
                    "truncated gzip: the compressed data ends early (after {} bytes of output)",
                    out.len()
                ));
            }
            Err(e) => return Err(format!("corrupt gzip: {e}")),
        }
        input = decoder.into_inner();
        if input.is_empty() {
            return Ok((out, None));
        }
        if !is_gzip(input) {
            let offset = bytes.len() - input.len();
            let what = if input.iter().all(|&b| b == 0) { "zero bytes" } else { "bytes that are not gzip" };
            let note = format!("{} {what} after the gzip data (from byte {offset}) were not read", input.len());
            return Ok((out, Some(note)));
        }
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

    #[test]
    fn bombs_are_refused() {
        let zeros = vec![b' '; (MIN_EXPANSION_ALLOWANCE + 1024) as usize];
        let packed = gz(&zeros);
        assert!(packed.len() < 200_000);
        let err = gunzip(&packed).unwrap_err();
        assert!(err.contains("decompression bomb"), "{err}");
    }
}
