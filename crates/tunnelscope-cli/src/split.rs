//! Cutting one big plain `{"Records":[…]}` file at record boundaries so several cores parse it.
//!
//! Every piece still goes through the core's `parse_file`, and the merge is used only when the
//! pieces prove the cuts right; anything else falls back to parsing the whole file, so results
//! are always those of one `parse_file` call on the whole file.

use std::io::Read;
use std::ops::Range;

use flate2::read::MultiGzDecoder;
use tunnelscope_core::ingest::{MAX_EXPANSION_RATIO, MIN_EXPANSION_ALLOWANCE};
use tunnelscope_core::{FileStatus, ParsedFile, Shape};

/// Plain files smaller than this are parsed whole (cutting would not pay).
pub(crate) const MIN_SPLIT_BYTES: usize = 32 << 20;

/// The synthetic head and tail that make a piece of the `Records` array a document.
const HEAD: &[u8] = b"{\"Records\":[";
const TAIL: &[u8] = b"]}";

/// True when the bytes start with the gzip magic number.
pub(crate) fn is_gzip(bytes: &[u8]) -> bool {
    bytes.starts_with(&[0x1f, 0x8b])
}

/// Decompresses a whole gzip stream exactly as the core does (all members, same bound), or
/// `None` on any problem, which the core's own reading of the file then reports.
pub(crate) fn gunzip_like_core(bytes: &[u8]) -> Option<Vec<u8>> {
    let limit = (bytes.len() as u64).saturating_mul(MAX_EXPANSION_RATIO).max(MIN_EXPANSION_ALLOWANCE);
    let mut out = Vec::with_capacity(bytes.len().saturating_mul(8).min(256 << 20));
    let mut decoder = MultiGzDecoder::new(bytes).take(limit + 1);
    match decoder.read_to_end(&mut out) {
        Ok(_) if out.len() as u64 <= limit => Some(out),
        _ => None,
    }
}

/// Byte ranges of the original file, one per piece, when the file can be cut into `parts`.
///
/// The first range starts at 0 (the file's own head) and the last ends at the file's end (its
/// own tail); the others are runs of whole records. `None` when the file is not a plain
/// `{"Records":[…]}` document or no cut was found.
pub(crate) fn plan(bytes: &[u8], parts: usize, min_len: usize) -> Option<Vec<Range<usize>>> {
    if parts < 2 || bytes.len() < min_len {
        return None;
    }
    let body = records_start(bytes)?;
    let mut ranges = Vec::with_capacity(parts);
    let mut start = 0;
    for k in 1..parts {
        let target = (bytes.len() / parts * k).max(body);
        if target <= start {
            continue;
        }
        let Some((comma, next)) = find_cut(bytes, target) else { break };
        if comma <= start.max(body) {
            continue;
        }
        ranges.push(start..comma);
        start = next;
    }
    if ranges.is_empty() {
        return None;
    }
    // The last piece must end the document exactly (`]` `}` then only white space): checked by
    // scanning it, as the core would read anything after it as more documents.
    if !ends_document(&bytes[start..]) {
        return None;
    }
    ranges.push(start..bytes.len());
    Some(ranges)
}

/// The offset just after `{"Records":[` (white space allowed between tokens).
fn records_start(bytes: &[u8]) -> Option<usize> {
    let mut i = skip_ws(bytes, 0);
    for token in [&b"{"[..], b"\"Records\"", b":", b"["] {
        if !bytes[i..].starts_with(token) {
            return None;
        }
        i = skip_ws(bytes, i + token.len());
    }
    Some(i)
}

fn skip_ws(bytes: &[u8], mut i: usize) -> usize {
    while i < bytes.len() && matches!(bytes[i], b' ' | b'\t' | b'\n' | b'\r') {
        i += 1;
    }
    i
}

/// The first `}` ws `,` ws `{` at or after `from`: returns the comma's offset and the next
/// record's start. It may sit inside a string or a nested list; the pieces' parse rejects such a
/// cut (the piece before it cannot be a complete document), and the whole file is parsed instead.
fn find_cut(bytes: &[u8], from: usize) -> Option<(usize, usize)> {
    let mut i = from;
    while i < bytes.len() {
        let comma = i + bytes[i..].iter().position(|&b| b == b',')?;
        let before = bytes[..comma].iter().rposition(|b| !matches!(b, b' ' | b'\t' | b'\n' | b'\r'));
        let next = skip_ws(bytes, comma + 1);
        if before.is_some_and(|p| bytes[p] == b'}') && bytes.get(next) == Some(&b'{') {
            return Some((comma, next));
        }
        i = comma + 1;
    }
    None
}

/// True when `tail`, read from a record start inside the `Records` list, closes the list and the
/// document and then holds only white space.
fn ends_document(tail: &[u8]) -> bool {
    let (mut depth, mut in_string, mut escaped) = (0usize, false, false);
    for (i, &b) in tail.iter().enumerate() {
        if in_string {
            if escaped {
                escaped = false;
            } else if b == b'\\' {
                escaped = true;
            } else if b == b'"' {
                in_string = false;
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'{' | b'[' => depth += 1,
            b'}' | b']' if depth > 0 => depth -= 1,
            b']' => {
                let j = skip_ws(tail, i + 1);
                return tail.get(j) == Some(&b'}') && skip_ws(tail, j + 1) == tail.len();
            }
            b'}' => return false,
            _ => {}
        }
    }
    false
}

/// The document for piece `k`: the original head or a synthetic one, the records, and the
/// original tail or a synthetic one.
pub(crate) fn piece(bytes: &[u8], ranges: &[Range<usize>], k: usize) -> Vec<u8> {
    let r = ranges[k].clone();
    let head = if k == 0 { &b""[..] } else { HEAD };
    let tail = if k + 1 == ranges.len() { &b""[..] } else { TAIL };
    let mut doc = Vec::with_capacity(head.len() + r.len() + tail.len());
    doc.extend_from_slice(head);
    doc.extend_from_slice(&bytes[r]);
    doc.extend_from_slice(tail);
    doc
}

/// Joins the pieces' results into the whole file's, or `None` when any piece shows the cut was
/// not a clean record boundary (or needs the whole file to judge: invalid records, rejection).
pub(crate) fn merge(pieces: Vec<ParsedFile>) -> Option<ParsedFile> {
    let clean = |p: &ParsedFile| {
        p.status == FileStatus::Read
            && p.shape == Some(Shape::TrailRecords)
            && p.invalid.is_empty()
            && !p.events.is_empty()
            && p.events.iter().enumerate().all(|(i, (pos, _))| *pos as usize == i)
    };
    if !pieces.iter().all(clean) {
        return None;
    }
    let total: usize = pieces.iter().map(|p| p.events.len()).sum();
    let mut events = Vec::with_capacity(total);
    for p in pieces {
        let offset = u32::try_from(events.len()).ok()?;
        events.extend(p.events.into_iter().map(|(pos, e)| (pos + offset, e)));
    }
    Some(ParsedFile { events, ..ParsedFile::read(Shape::TrailRecords) })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};
    use tunnelscope_core::parse_file;
    use tunnelscope_core::sample::sample_trail_json;

    /// Parses `bytes` cut into `parts` (tiny threshold), or whole when it cannot be cut.
    fn split_parse(bytes: &[u8], parts: usize) -> (bool, ParsedFile) {
        match plan(bytes, parts, 0) {
            Some(ranges) => {
                let pieces = (0..ranges.len()).map(|k| parse_file("f.json", &piece(bytes, &ranges, k))).collect();
                match merge(pieces) {
                    Some(p) => (true, p),
                    None => (false, parse_file("f.json", bytes)),
                }
            }
            None => (false, parse_file("f.json", bytes)),
        }
    }

    fn records() -> Vec<Value> {
        let v: Value = serde_json::from_slice(&sample_trail_json()).expect("sample");
        v["Records"].as_array().expect("records").clone()
    }

    fn check(bytes: &[u8], want_split: bool) {
        let whole = parse_file("f.json", bytes);
        for parts in [2, 3, 7, 16] {
            let (did_split, got) = split_parse(bytes, parts);
            assert_eq!(got, whole, "parts {parts}");
            if want_split {
                assert!(did_split, "parts {parts}: expected the cut to be used");
            }
        }
    }

    #[test]
    fn compact_and_pretty_trails_split_to_the_same_result() {
        let recs = records();
        check(&serde_json::to_vec(&json!({"Records": recs})).expect("json"), true);
        check(&serde_json::to_vec_pretty(&json!({"Records": recs})).expect("json"), true);
        let spaced = format!(
            " \n{{ \"Records\" :\n[ {} ]\n}}\n\n",
            recs.iter().map(Value::to_string).collect::<Vec<_>>().join(" ,\n ")
        );
        check(spaced.as_bytes(), true);
    }

    #[test]
    fn cuts_inside_strings_or_nested_lists_fall_back_to_the_whole_file() {
        let mut recs = records();
        for (i, r) in recs.iter_mut().enumerate() {
            r["userAgent"] = json!(format!("agent }}, {{ \"x\": [{{}},{{}}] {i}"));
            r["requestParameters"] = json!({"items": [{"a": 1}, {"b": "},{"}, {"c": [{}, {}]}]});
        }
        check(&serde_json::to_vec(&json!({"Records": recs})).expect("json"), false);
    }

    #[test]
    fn files_the_core_judges_whole_are_never_merged() {
        let recs = records();
        // An invalid record, an S3 notification, a huge record, trailing documents, other keys.
        let mut with_invalid = recs.clone();
        with_invalid[recs.len() / 2] = json!({"eventName": "NoTime"});
        check(&serde_json::to_vec(&json!({"Records": with_invalid})).expect("json"), false);
        let mut with_s3 = recs.clone();
        with_s3[recs.len() - 3] = json!({"eventVersion":"2.1","eventSource":"aws:s3","eventName":"ObjectCreated:Put","eventTime":"2026-10-01T08:00:00Z"});
        check(&serde_json::to_vec(&json!({"Records": with_s3})).expect("json"), false);
        let doc = serde_json::to_vec(&json!({"Records": recs})).expect("json");
        let mut twice = doc.clone();
        twice.extend_from_slice(&doc);
        check(&twice, false);
        let mut trailing = doc.clone();
        trailing.extend_from_slice(b" x");
        check(&trailing, false);
        let other_key = serde_json::to_vec(&json!({"Records": recs, "Zeta": 1})).expect("json");
        check(&other_key, false);
        let truncated = &doc[..doc.len() - 2];
        check(truncated, false);
        let mut bad_utf8 = doc.clone();
        let at = bad_utf8.len() / 2;
        bad_utf8[at] = 0xff;
        check(&bad_utf8, false);
    }

    #[test]
    fn small_or_other_shapes_are_not_cut() {
        assert!(plan(b"{\"Records\":[]}", 4, 0).is_none());
        assert!(plan(&sample_trail_json(), 4, MIN_SPLIT_BYTES).is_none());
        assert!(plan(b"[{\"a\":1},{\"b\":2}]", 2, 0).is_none());
        assert!(plan(&sample_trail_json(), 1, 0).is_none());
    }
}
