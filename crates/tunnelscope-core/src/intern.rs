//! The string interner: dense ids for distinct strings, each stored once ([`Strings`], owned,
//! the columns' dictionaries), or borrowed for one pass ([`Few`], a view's distinct values).

use std::hash::BuildHasher;

use hashbrown::{DefaultHashBuilder, HashMap, HashTable};

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

    /// Every distinct string, by id, given up.
    pub fn into_values(self) -> Vec<String> {
        self.values.into_iter().map(String::from).collect()
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

/// Distinct values are compared directly up to this many; beyond, they are hashed.
const FEW: usize = 16;

/// Dense ids for the distinct strings of one pass over borrowed text (a view's lanes, endpoints,
/// counters): no copies, and no hashing while there are few. Real data has few distinct endpoints, accounts or Regions,
/// and comparing against a handful costs less than hashing every event's string.
#[derive(Default)]
pub(crate) struct Few<'a> {
    pub(crate) all: Vec<&'a str>,
    map: HashMap<&'a str, usize>,
}

impl<'a> Few<'a> {
    /// The id of `s`, given the next one when new.
    pub(crate) fn id(&mut self, s: &'a str) -> usize {
        if self.map.is_empty() {
            if let Some(p) = self.all.iter().position(|&x| x == s) {
                return p;
            }
            if self.all.len() < FEW {
                self.all.push(s);
                return self.all.len() - 1;
            }
            self.map = self.all.iter().enumerate().map(|(i, &x)| (x, i)).collect();
        }
        let next = self.all.len();
        let all = &mut self.all;
        *self.map.entry(s).or_insert_with(|| {
            all.push(s);
            next
        })
    }

    /// The id of a string already seen.
    pub(crate) fn get(&self, s: &str) -> Option<usize> {
        if self.map.is_empty() { self.all.iter().position(|&x| x == s) } else { self.map.get(s).copied() }
    }

    /// Number of distinct strings seen.
    pub(crate) fn len(&self) -> usize {
        self.all.len()
    }
}
