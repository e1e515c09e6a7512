//! The string interner: dense `u32` ids for distinct strings, each string stored once.

use std::hash::BuildHasher;

use hashbrown::{DefaultHashBuilder, HashTable};

/// The id no string has (`u32::MAX`): "no value" in id columns.
pub(crate) const NONE: u32 = u32::MAX;

/// Dense ids for one field's distinct strings, each string stored once.
#[derive(Debug, Clone, Default)]
pub struct Strings {
    pub(crate) values: Vec<Box<str>>,
    pub(crate) table: HashTable<u32>,
    hasher: DefaultHashBuilder,
}

impl Strings {
    /// The id of `s`, adding it when new.
    pub fn intern(&mut self, s: &str) -> u32 {
        let hash = self.hasher.hash_one(s);
        let values = &self.values;
        if let Some(&id) = self.table.find(hash, |&id| &*values[id as usize] == s) {
            return id;
        }
        // Distinct values never outnumber events, whose indices are u32.
        let id = u32::try_from(self.values.len()).unwrap_or(NONE);
        self.values.push(s.into());
        let (values, hasher) = (&self.values, &self.hasher);
        self.table.insert_unique(hash, id, |&id| hasher.hash_one(&*values[id as usize]));
        id
    }

    /// The id of `s`, if it was interned.
    pub fn find(&self, s: &str) -> Option<u32> {
        let hash = self.hasher.hash_one(s);
        self.table.find(hash, |&id| &*self.values[id as usize] == s).copied()
    }

    /// The string of an id (`""` for [`NONE`] or an unknown id).
    pub fn get(&self, id: u32) -> &str {
        self.values.get(id as usize).map_or("", |s| s)
    }

    /// Every distinct string, by id.
    pub fn values(&self) -> &[Box<str>] {
        &self.values
    }

    /// Number of distinct strings.
    pub fn len(&self) -> usize {
        self.values.len()
    }

    /// True when nothing was interned.
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }
}
