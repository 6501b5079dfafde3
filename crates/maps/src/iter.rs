//! Iteration with `BPF_MAP_GET_NEXT_KEY` that survives concurrent
//! deletion.
//!
//! The kernel has no stable cursor: `BPF_MAP_GET_NEXT_KEY(k)` returns the
//! key after `k`, and if `k` is no longer in a hash map it returns the
//! *first* key, restarting the walk. Two things keep iteration sound:
//!
//! - **Look-ahead.** The key after the current one is fetched *before*
//!   the current key is handed out, so deleting the key just returned (the
//!   common "drain while iterating" pattern) never restarts the walk.
//! - **A bound** (cilium/ebpf's `MapIterator` rule). A restart can still
//!   happen when another thread deletes the looked-ahead key; then keys
//!   may be seen again. Iteration stops with
//!   [`MapError::IterationAborted`] once it has visited more keys than
//!   [`MAX_PASSES`] full passes over the map could hold
//!   (`max_entries × MAX_PASSES`), so it always terminates.
//!
//! An element whose value lookup finds it gone (deleted between the two
//! calls, or an empty fd-array slot) is skipped.

use std::marker::PhantomData;

use oxbpf_sys::{self as sys, as_bytes, as_bytes_mut, zeroed, LookupFlags, Pod};

use crate::error::MapError;
use crate::map::{enoent_false, Map};
use crate::per_cpu::PerCpuValues;

/// How many full passes over a map an iteration may make (counting keys
/// seen again after restarts) before it gives up with
/// [`MapError::IterationAborted`].
pub const MAX_PASSES: u64 = 2;

/// The key walk shared by every iterator.
#[derive(Debug)]
struct KeyCursor<K> {
    /// The looked-ahead key, to be returned next.
    next: Option<K>,
    started: bool,
    done: bool,
    steps: u64,
    max_steps: u64,
}

impl<K: Pod> KeyCursor<K> {
    fn new(map: &Map) -> Self {
        Self {
            next: None,
            started: false,
            done: false,
            steps: 0,
            max_steps: u64::from(map.max_entries().max(1)) * MAX_PASSES,
        }
    }

    fn fetch(map: &Map, key: Option<&K>) -> Result<Option<K>, MapError> {
        let mut next = zeroed::<K>();
        let found = enoent_false(sys::map_get_next_key(
            map.map_fd(),
            key.map(as_bytes),
            as_bytes_mut(&mut next),
        ))
        .map_err(|e| map.err("get_next_key", e))?;
        Ok(found.then_some(next))
    }

    fn advance(&mut self, map: &Map) -> Option<Result<K, MapError>> {
        if self.done {
            return None;
        }
        let current = match self.next.take() {
            Some(k) => k,
            None if !self.started => {
                self.started = true;
                match Self::fetch(map, None) {
                    Ok(Some(k)) => k,
                    Ok(None) => {
                        self.done = true;
                        return None;
                    }
                    Err(e) => {
                        self.done = true;
                        return Some(Err(e));
                    }
                }
            }
            None => {
                self.done = true;
                return None;
            }
        };
        self.steps += 1;
        if self.steps > self.max_steps {
            self.done = true;
            return Some(Err(MapError::IterationAborted {
                name: map.name().to_string(),
                steps: self.steps - 1,
            }));
        }
        match Self::fetch(map, Some(&current)) {
            Ok(next) => self.next = next,
            Err(e) => {
                self.done = true;
                return Some(Err(e));
            }
        }
        Some(Ok(current))
    }
}

/// An iterator over a map's keys (`BPF_MAP_GET_NEXT_KEY`); see the
/// [module docs](self) for its behaviour under concurrent deletion.
#[derive(Debug)]
pub struct Keys<'a, K> {
    map: &'a Map,
    cursor: KeyCursor<K>,
}

impl<'a, K: Pod> Keys<'a, K> {
    pub(crate) fn new(map: &'a Map) -> Self {
        Self {
            map,
            cursor: KeyCursor::new(map),
        }
    }

    /// Overrides the bound on visited keys (default: `max_entries ×`
    /// [`MAX_PASSES`]).
    pub fn max_steps(mut self, steps: u64) -> Self {
        self.cursor.max_steps = steps;
        self
    }
}

impl<K: Pod> Iterator for Keys<'_, K> {
    type Item = Result<K, MapError>;

    fn next(&mut self) -> Option<Self::Item> {
        self.cursor.advance(self.map)
    }
}

/// An iterator over a map's keys and values: `BPF_MAP_GET_NEXT_KEY` then
/// `BPF_MAP_LOOKUP_ELEM` for each key.
#[derive(Debug)]
pub struct Entries<'a, K, V> {
    keys: Keys<'a, K>,
    _value: PhantomData<V>,
}

impl<'a, K: Pod, V: Pod> Entries<'a, K, V> {
    pub(crate) fn new(map: &'a Map) -> Self {
        Self {
            keys: Keys::new(map),
            _value: PhantomData,
        }
    }

    /// Overrides the bound on visited keys (see [`Keys::max_steps`]).
    pub fn max_steps(mut self, steps: u64) -> Self {
        self.keys = self.keys.max_steps(steps);
        self
    }
}

impl<K: Pod, V: Pod> Iterator for Entries<'_, K, V> {
    type Item = Result<(K, V), MapError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            let key = match self.keys.next()? {
                Ok(k) => k,
                Err(e) => return Some(Err(e)),
            };
            let map = self.keys.map;
            let mut value = zeroed::<V>();
            match enoent_false(sys::map_lookup_elem(
                map.map_fd(),
                as_bytes(&key),
                as_bytes_mut(&mut value),
                LookupFlags::empty(),
            )) {
                Ok(true) => return Some(Ok((key, value))),
                Ok(false) => continue,
                Err(e) => {
                    self.keys.cursor.done = true;
                    return Some(Err(map.err("lookup", e)));
                }
            }
        }
    }
}

/// An iterator over a per-CPU map's keys and values.
#[derive(Debug)]
pub struct PerCpuEntries<'a, K, V> {
    keys: Keys<'a, K>,
    _value: PhantomData<V>,
}

impl<'a, K: Pod, V: Pod> PerCpuEntries<'a, K, V> {
    pub(crate) fn new(map: &'a Map) -> Self {
        Self {
            keys: Keys::new(map),
            _value: PhantomData,
        }
    }
}

impl<K: Pod, V: Pod> Iterator for PerCpuEntries<'_, K, V> {
    type Item = Result<(K, PerCpuValues<V>), MapError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            let key = match self.keys.next()? {
                Ok(k) => k,
                Err(e) => return Some(Err(e)),
            };
            let map = self.keys.map;
            let mut values = match PerCpuValues::<V>::zeroed() {
                Ok(v) => v,
                Err(e) => return Some(Err(e)),
            };
            match enoent_false(sys::map_lookup_elem(
                map.map_fd(),
                as_bytes(&key),
                values.as_bytes_mut(),
                LookupFlags::empty(),
            )) {
                Ok(true) => return Some(Ok((key, values))),
                Ok(false) => continue,
                Err(e) => {
                    self.keys.cursor.done = true;
                    return Some(Err(map.err("lookup", e)));
                }
            }
        }
    }
}
