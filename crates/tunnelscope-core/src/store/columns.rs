//! The store's column types: string-id columns as narrow as their dictionaries allow (IdCol),
//! and the chunked arena of kept raw JSON (TextArena).

use super::*;

/// A column of string ids, each as narrow as its dictionary allows: most fields have few
/// distinct values (tens of event names, a few Regions and accounts), so one or two bytes a
/// row instead of four. Widens, copying once, when the dictionary outgrows the width; the
/// width's all-ones value is [`NONE`].
#[derive(Debug, Clone)]
pub(crate) enum IdCol {
    U8(Vec<u8>),
    U16(Vec<u16>),
    U32(Vec<u32>),
}

impl Default for IdCol {
    fn default() -> Self {
        Self::U8(Vec::new())
    }
}

impl IdCol {
    /// The id at row `i`.
    #[inline]
    pub(crate) fn get(&self, i: usize) -> u32 {
        match self {
            Self::U8(v) => widen_none(u32::from(v[i]), u32::from(u8::MAX)),
            Self::U16(v) => widen_none(u32::from(v[i]), u32::from(u16::MAX)),
            Self::U32(v) => v[i],
        }
    }

    /// Makes the column wide enough for `id`.
    pub(super) fn fit(&mut self, id: u32) {
        let need = if id == NONE || id < u32::from(u8::MAX) {
            return;
        } else if id < u32::from(u16::MAX) {
            1
        } else {
            2
        };
        let have = match self {
            Self::U8(_) => 0,
            Self::U16(_) => 1,
            Self::U32(_) => 2,
        };
        if need <= have {
            return;
        }
        let wide: Vec<u32> = (0..self.len()).map(|i| self.get(i)).collect();
        let cap = self.capacity();
        *self = if need == 1 {
            let mut v = Vec::with_capacity(cap);
            v.extend(wide.iter().map(|&x| if x == NONE { u16::MAX } else { x as u16 }));
            Self::U16(v)
        } else {
            let mut v = Vec::with_capacity(cap);
            v.extend_from_slice(&wide);
            Self::U32(v)
        };
    }

    /// Appends `id`.
    pub(crate) fn push(&mut self, id: u32) {
        self.fit(id);
        match self {
            // `fit` made room: an id that does not fit the width is NONE.
            Self::U8(v) => v.push(u8::try_from(id).unwrap_or(u8::MAX)),
            Self::U16(v) => v.push(u16::try_from(id).unwrap_or(u16::MAX)),
            Self::U32(v) => v.push(id),
        }
    }

    /// Sets row `i` to `id`.
    pub(crate) fn set(&mut self, i: usize, id: u32) {
        self.fit(id);
        match self {
            Self::U8(v) => v[i] = u8::try_from(id).unwrap_or(u8::MAX),
            Self::U16(v) => v[i] = u16::try_from(id).unwrap_or(u16::MAX),
            Self::U32(v) => v[i] = id,
        }
    }

    pub(super) fn len(&self) -> usize {
        match self {
            Self::U8(v) => v.len(),
            Self::U16(v) => v.len(),
            Self::U32(v) => v.len(),
        }
    }

    pub(super) fn capacity(&self) -> usize {
        match self {
            Self::U8(v) => v.capacity(),
            Self::U16(v) => v.capacity(),
            Self::U32(v) => v.capacity(),
        }
    }

    /// Heap bytes held.
    pub(super) fn bytes(&self) -> usize {
        match self {
            Self::U8(v) => v.capacity(),
            Self::U16(v) => v.capacity() * 2,
            Self::U32(v) => v.capacity() * 4,
        }
    }

    /// Room for `n` more rows, exactly.
    pub(super) fn reserve(&mut self, n: usize) {
        let _ = match self {
            Self::U8(v) => v.try_reserve_exact(n),
            Self::U16(v) => v.try_reserve_exact(n),
            Self::U32(v) => v.try_reserve_exact(n),
        };
    }

    pub(super) fn shrink_to_fit(&mut self) {
        match self {
            Self::U8(v) => v.shrink_to_fit(),
            Self::U16(v) => v.shrink_to_fit(),
            Self::U32(v) => v.shrink_to_fit(),
        }
    }
}

/// `x`, or [`NONE`] when it is the narrow width's all-ones value.
#[inline]
pub(super) fn widen_none(x: u32, none: u32) -> u32 {
    if x == none { NONE } else { x }
}

/// What an EICE-related row keeps beyond the columns.
#[derive(Debug, Clone)]
pub(crate) struct Full {
    /// Its row ([`NONE`] once a copy that is not EICE-related replaced it).
    pub(super) row: u32,
    pub(super) facts: Option<Box<EiceFacts>>,
    /// Its raw JSON in `Store::full_raw`.
    pub(super) raw: TextAt,
}

/// Where a text is in a [`TextArena`].
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct TextAt {
    pub(super) chunk: u32,
    pub(super) start: u32,
    pub(super) len: u32,
}

/// Texts packed in chunks of [`TextArena::CHUNK`] bytes: one allocation per megabyte instead
/// of one per text, and no regrowth (a growing buffer would hold two copies at its last step).
/// Small allocations kept from each parsed file would otherwise pin the holes the file's
/// freed memory leaves, and wasm memory only grows.
#[derive(Debug, Clone, Default)]
pub(crate) struct TextArena {
    pub(super) chunks: Vec<String>,
}

impl TextArena {
    pub(super) const CHUNK: usize = 1 << 20;

    /// Stores `text`.
    pub(crate) fn push(&mut self, text: &str) -> TextAt {
        let fits = self.chunks.last().is_some_and(|c| c.capacity() - c.len() >= text.len());
        if !fits {
            // A text longer than a chunk gets a chunk of its own size.
            self.chunks.push(String::with_capacity(text.len().max(Self::CHUNK)));
        }
        let chunk = self.chunks.len() - 1;
        let c = &mut self.chunks[chunk];
        let start = c.len();
        c.push_str(text);
        let n = |x: usize| u32::try_from(x).unwrap_or(u32::MAX);
        TextAt { chunk: n(chunk), start: n(start), len: n(text.len()) }
    }

    /// The text stored at `at`.
    pub(crate) fn get(&self, at: TextAt) -> &str {
        let (start, end) = (at.start as usize, at.start as usize + at.len as usize);
        self.chunks.get(at.chunk as usize).and_then(|c| c.get(start..end)).unwrap_or("")
    }

    /// Heap bytes held.
    pub(crate) fn bytes(&self) -> usize {
        self.chunks.iter().map(String::capacity).sum()
    }
}
