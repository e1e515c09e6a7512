//! Event IDs in 16 bytes each. CloudTrail's `eventID` is a lowercase hyphenated UUID: 36 bytes
//! of text, the biggest single field of a compact row. Such an ID is kept as its 16 bytes and
//! written out again on demand; any other ID (`content:<hash>`, hand-made or upper-case ones)
//! is kept as text, so every ID reads back exactly as it arrived.

use std::cmp::Ordering;
use std::fmt;
use std::hash::{BuildHasher, Hash, Hasher};
use std::ops::Deref;

use uuid::Uuid;

/// A canonical UUID's text length.
const UUID_LEN: usize = 36;

/// An event ID as looked up: the UUID's bytes when the text is a canonical (lowercase,
/// hyphenated) UUID, else the text. The same text always gives the same key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Key<'a> {
    Uuid([u8; 16]),
    Text(&'a str),
}

impl<'a> Key<'a> {
    /// The key of an ID's text.
    pub(crate) fn of(id: &'a str) -> Self {
        if id.len() == UUID_LEN
            && let Ok(u) = Uuid::try_parse(id)
        {
            // Only when writing it out gives the same text back (try_parse also takes upper case).
            let mut buf = [0u8; UUID_LEN];
            if u.hyphenated().encode_lower(&mut buf).as_bytes() == id.as_bytes() {
                return Self::Uuid(*u.as_bytes());
            }
        }
        Self::Text(id)
    }

    /// The key's hash under `hasher` (a UUID by its bytes, other IDs by their text).
    pub(crate) fn hash_with(&self, hasher: &impl BuildHasher) -> u64 {
        match self {
            Self::Uuid(b) => hasher.hash_one(b),
            Self::Text(t) => hasher.hash_one(t),
        }
    }
}

/// Event IDs by row: 16 bytes each, text IDs in an arena.
#[derive(Debug, Clone, Default)]
pub(crate) struct Ids {
    /// Per row, the UUID's bytes, or for a text ID its arena range (start, end) as two u64 LE.
    keys: Vec<[u8; 16]>,
    /// One bit per row: the key is an arena range.
    is_text: Vec<u64>,
    arena: Vec<u8>,
}

impl Ids {
    /// Room for `n` more, exactly (see `Store::reserve`).
    pub(crate) fn reserve(&mut self, n: usize) {
        let _ = self.keys.try_reserve_exact(n);
        let _ = self.is_text.try_reserve_exact(n.div_ceil(64));
    }

    /// Gives back unused room.
    pub(crate) fn shrink_to_fit(&mut self) {
        self.keys.shrink_to_fit();
        self.is_text.shrink_to_fit();
    }

    /// Appends an ID.
    pub(crate) fn push(&mut self, key: Key<'_>) {
        let i = self.keys.len();
        if i.is_multiple_of(64) {
            self.is_text.push(0);
        }
        match key {
            Key::Uuid(b) => self.keys.push(b),
            Key::Text(t) => {
                let start = self.arena.len() as u64;
                self.arena.extend_from_slice(t.as_bytes());
                self.keys.push(range_key(start, self.arena.len() as u64));
                self.is_text[i / 64] |= 1 << (i % 64);
            }
        }
    }

    fn text_at(&self, i: usize) -> Option<&str> {
        if self.is_text[i / 64] & (1 << (i % 64)) == 0 {
            return None;
        }
        let (start, end) = key_range(&self.keys[i]);
        // Ranges only ever cover whole `str`s pushed above or checked by `from_parts`.
        Some(self.arena.get(start..end).and_then(|b| std::str::from_utf8(b).ok()).unwrap_or(""))
    }

    /// The key of row `i`.
    pub(crate) fn key(&self, i: usize) -> Key<'_> {
        match self.text_at(i) {
            Some(t) => Key::Text(t),
            None => Key::Uuid(self.keys[i]),
        }
    }

    /// The ID of row `i`.
    pub(crate) fn get(&self, i: usize) -> EventId<'_> {
        match self.text_at(i) {
            Some(t) => EventId(Repr::Text(t)),
            None => EventId::uuid(&self.keys[i]),
        }
    }

    /// The order of the IDs of rows `a` and `b` as text, without writing UUIDs out: a
    /// canonical UUID's text orders as its bytes (fixed hyphens, lowercase hex digits).
    pub(crate) fn cmp(&self, a: usize, b: usize) -> Ordering {
        match (self.key(a), self.key(b)) {
            (Key::Uuid(x), Key::Uuid(y)) => x.cmp(&y),
            _ => self.get(a).as_str().cmp(self.get(b).as_str()),
        }
    }

    /// Heap bytes held.
    pub(crate) fn bytes(&self) -> usize {
        self.keys.capacity() * 16 + self.is_text.capacity() * 8 + self.arena.capacity()
    }

    /// The columns as plain data: keys (16 bytes a row), text bits, arena.
    pub(crate) fn into_parts(self) -> (Vec<u8>, Vec<u64>, Vec<u8>) {
        (self.keys.into_iter().flatten().collect(), self.is_text, self.arena)
    }

    /// The IDs of [`Ids::into_parts`], for `n` rows; `None` when the parts disagree.
    pub(crate) fn from_parts(n: usize, keys: &[u8], is_text: Vec<u64>, arena: Vec<u8>) -> Option<Self> {
        if keys.len() != n.checked_mul(16)? || is_text.len() != n.div_ceil(64) {
            return None;
        }
        let keys: Vec<[u8; 16]> = keys.chunks_exact(16).map(|c| c.try_into().unwrap_or([0; 16])).collect();
        let ids = Self { keys, is_text, arena };
        for i in 0..n {
            if ids.is_text[i / 64] & (1 << (i % 64)) != 0 {
                let (start, end) = key_range(&ids.keys[i]);
                let text = ids.arena.get(start..end).and_then(|b| std::str::from_utf8(b).ok())?;
                // A UUID kept as text would not be found by its key.
                if matches!(Key::of(text), Key::Uuid(_)) {
                    return None;
                }
            }
        }
        // No bits beyond the last row.
        if !n.is_multiple_of(64) && ids.is_text.last().is_some_and(|w| w >> (n % 64) != 0) {
            return None;
        }
        Some(ids)
    }
}

fn range_key(start: u64, end: u64) -> [u8; 16] {
    let mut k = [0u8; 16];
    k[..8].copy_from_slice(&start.to_le_bytes());
    k[8..].copy_from_slice(&end.to_le_bytes());
    k
}

fn key_range(k: &[u8; 16]) -> (usize, usize) {
    let half = |b: &[u8]| u64::from_le_bytes(b.try_into().unwrap_or([0; 8])) as usize;
    (half(&k[..8]), half(&k[8..]))
}

/// An event ID read from a dataset: the text it arrived as, borrowed or written out from its
/// 16 bytes. Reads as a `str` (`Deref`), and compares, orders, hashes and serialises as one.
#[derive(Clone, Copy)]
pub struct EventId<'a>(Repr<'a>);

#[derive(Clone, Copy)]
enum Repr<'a> {
    Text(&'a str),
    Uuid([u8; UUID_LEN]),
}

impl<'a> EventId<'a> {
    /// An ID held as text.
    pub fn text(id: &'a str) -> Self {
        Self(Repr::Text(id))
    }

    fn uuid(b: &[u8; 16]) -> Self {
        let mut buf = [0u8; UUID_LEN];
        Uuid::from_bytes(*b).hyphenated().encode_lower(&mut buf);
        Self(Repr::Uuid(buf))
    }

    /// The ID's text.
    pub fn as_str(&self) -> &str {
        match &self.0 {
            Repr::Text(t) => t,
            // Written by `encode_lower`: ASCII.
            Repr::Uuid(b) => std::str::from_utf8(b).unwrap_or(""),
        }
    }
}

impl Deref for EventId<'_> {
    type Target = str;
    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl PartialEq for EventId<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.as_str() == other.as_str()
    }
}

impl Eq for EventId<'_> {}

impl PartialEq<str> for EventId<'_> {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for EventId<'_> {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl PartialEq<String> for EventId<'_> {
    fn eq(&self, other: &String) -> bool {
        self.as_str() == other
    }
}

impl PartialOrd for EventId<'_> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for EventId<'_> {
    fn cmp(&self, other: &Self) -> Ordering {
        self.as_str().cmp(other.as_str())
    }
}

impl Hash for EventId<'_> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.as_str().hash(state);
    }
}

impl fmt::Debug for EventId<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl fmt::Display for EventId<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl serde::Serialize for EventId<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_canonical_uuids_are_packed_and_every_id_reads_back() {
        let texts = [
            "3f1c2a6e-9b7d-4e0a-8c5f-1d2e3f4a5b6c",
            "3F1C2A6E-9B7D-4E0A-8C5F-1D2E3F4A5B6C",
            "3f1c2a6e9b7d4e0a8c5f1d2e3f4a5b6c",
            "{3f1c2a6e-9b7d-4e0a-8c5f-1d2e3f4a5b6c}",
            "content:0123456789abcdef",
            "",
            "évènement",
            "3f1c2a6e-9b7d-4e0a-8c5f-1d2e3f4a5b6d",
            "a0000000-0000-4000-8000-000000000000",
            "09999999-0000-4000-8000-000000000000",
        ];
        let mut ids = Ids::default();
        for t in &texts {
            ids.push(Key::of(t));
        }
        assert!(matches!(Key::of(texts[0]), Key::Uuid(_)));
        assert!(texts[1..7].iter().all(|t| matches!(Key::of(t), Key::Text(_))));
        assert!(texts[7..].iter().all(|t| matches!(Key::of(t), Key::Uuid(_))));
        for (i, t) in texts.iter().enumerate() {
            assert_eq!(ids.get(i).as_str(), *t);
            assert_eq!(ids.key(i), Key::of(t));
        }
        let (keys, bits, arena) = ids.clone().into_parts();
        let again = Ids::from_parts(texts.len(), &keys, bits.clone(), arena.clone()).unwrap();
        assert!((0..texts.len()).all(|i| again.get(i) == ids.get(i)));
        // Ordered as their text, UUIDs or not.
        for a in 0..texts.len() {
            for b in 0..texts.len() {
                assert_eq!(ids.cmp(a, b), texts[a].cmp(texts[b]), "{} vs {}", texts[a], texts[b]);
            }
        }
        // A text bit past the last row, a UUID stored as text, or a range past the arena, is refused.
        assert!(Ids::from_parts(6, &keys[..6 * 16], bits.clone(), arena.clone()).is_none());
        let mut bad = keys.clone();
        bad[16 * 4 + 8..16 * 4 + 16].copy_from_slice(&10_000u64.to_le_bytes());
        assert!(Ids::from_parts(texts.len(), &bad, bits, arena).is_none());
        let mut t = Ids::default();
        t.push(Key::Text(texts[0]));
        let (k, b, a) = t.into_parts();
        assert!(Ids::from_parts(1, &k, b, a).is_none());
    }
}
