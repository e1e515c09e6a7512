//! Text matching for the query: case-insensitive substrings (ASCII fast path, Unicode
//! otherwise) and `*` wildcards.

/// A case-insensitive text match anywhere in a field (words, `user:`), with `*` wildcards:
/// the pieces between them, in order. Prepared once so matching does not allocate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Needle {
    /// The pieces between wildcards, as written (one piece when there is no wildcard).
    pub(super) parts: Vec<String>,
    /// The non-empty pieces, lower-cased.
    pub(super) lower: Vec<String>,
    pub(super) ascii: bool,
}

impl Needle {
    pub(super) fn new(parts: Vec<String>) -> Self {
        let ascii = parts.iter().all(|p| p.is_ascii());
        let lower = parts.iter().filter(|p| !p.is_empty()).map(|p| p.to_lowercase()).collect();
        Self { parts, lower, ascii }
    }

    /// Case-insensitive search: every piece, in order, without overlap.
    pub(super) fn found_in(&self, hay: &str) -> bool {
        match self.lower.as_slice() {
            [] => true,
            [one] if self.ascii => contains_ascii_ci(hay.as_bytes(), one.as_bytes()),
            [one] => contains_unicode_ci(hay, one),
            pieces => {
                let mut from = 0;
                for piece in pieces {
                    let found = if self.ascii {
                        find_ascii_ci(&hay.as_bytes()[from..], piece.as_bytes()).map(|at| from + at + piece.len())
                    } else {
                        find_unicode_ci(hay, from, piece)
                    };
                    match found {
                        Some(end) => from = end,
                        None => return false,
                    }
                }
                true
            }
        }
    }

    pub(super) fn has_wildcard(&self) -> bool {
        self.parts.len() > 1
    }
}

/// A whole-value match, ignoring ASCII case (`event:`, `endpoint:`, `region:`, `account:`),
/// with `*` wildcards.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Pattern {
    /// The pieces between wildcards, as written (one piece when there is no wildcard).
    pub(super) parts: Vec<String>,
    /// The same, ASCII lower-cased.
    pub(super) lower: Vec<String>,
}

impl Pattern {
    pub(super) fn new(parts: Vec<String>) -> Self {
        let lower = parts.iter().map(|p| p.to_ascii_lowercase()).collect();
        Self { parts, lower }
    }

    pub(super) fn matches(&self, hay: &str) -> bool {
        match self.lower.as_slice() {
            [one] => hay.eq_ignore_ascii_case(one),
            [first, middle @ .., last] => {
                let h = hay.as_bytes();
                if h.len() < first.len() + last.len()
                    || !h[..first.len()].eq_ignore_ascii_case(first.as_bytes())
                    || !h[h.len() - last.len()..].eq_ignore_ascii_case(last.as_bytes())
                {
                    return false;
                }
                // The pieces between, leftmost first: with `*` only, the earliest fit is never wrong.
                let mut rest = &h[first.len()..h.len() - last.len()];
                for piece in middle {
                    match find_ascii_ci(rest, piece.as_bytes()) {
                        Some(at) => rest = &rest[at + piece.len()..],
                        None => return false,
                    }
                }
                true
            }
            [] => true,
        }
    }

    pub(super) fn has_wildcard(&self) -> bool {
        self.parts.len() > 1
    }

    /// As written, `*` for wildcards (for descriptions).
    pub(super) fn shown(&self) -> String {
        self.parts.join("*")
    }
}

/// ASCII case-insensitive substring search; `needle` is already lower-case.
pub(super) fn contains_ascii_ci(hay: &[u8], needle: &[u8]) -> bool {
    find_ascii_ci(hay, needle).is_some()
}

/// Where `needle` (lower-case) first occurs in `hay`, ignoring ASCII case.
pub(super) fn find_ascii_ci(hay: &[u8], needle: &[u8]) -> Option<usize> {
    let Some((&first, rest)) = needle.split_first() else {
        return Some(0);
    };
    if needle.len() > hay.len() {
        return None;
    }
    let last_start = hay.len() - needle.len();
    let first_upper = first.to_ascii_uppercase();
    let mut i = 0;
    while i <= last_start {
        // Scan for the first byte in either case, then compare the rest.
        match hay[i..=last_start].iter().position(|&b| b == first || b == first_upper) {
            None => return None,
            Some(p) => {
                let at = i + p;
                if hay[at + 1..at + needle.len()].iter().zip(rest).all(|(h, n)| h.to_ascii_lowercase() == *n) {
                    return Some(at);
                }
                i = at + 1;
            }
        }
    }
    None
}

/// Unicode case-insensitive substring search without allocating; `needle` is lower-case.
pub(super) fn contains_unicode_ci(hay: &str, needle: &str) -> bool {
    if needle.is_empty() {
        return true;
    }
    hay.char_indices().any(|(i, _)| {
        let mut lowered = hay[i..].chars().flat_map(char::to_lowercase);
        needle.chars().all(|n| lowered.next() == Some(n))
    })
}

/// The byte end of the first match of `needle` (lower-case, not empty) in `hay` from byte
/// `from`, ignoring case as [`contains_unicode_ci`] does.
pub(super) fn find_unicode_ci(hay: &str, from: usize, needle: &str) -> Option<usize> {
    let tail = hay.get(from..)?;
    tail.char_indices().find_map(|(i, _)| {
        let mut want = needle.chars().peekable();
        for (j, c) in tail[i..].char_indices() {
            for lc in c.to_lowercase() {
                match want.next() {
                    Some(n) if n == lc => {}
                    Some(_) => return None,
                    None => break,
                }
            }
            if want.peek().is_none() {
                return Some(from + i + j + c.len_utf8());
            }
        }
        None
    })
}
