//! Lookups by name.
//!
//! The first lookups scan the type section linearly and stop at the first
//! match, as libbpf's `btf__find_by_name_kind` does: for a tool that parses
//! BTF and looks up a handful of names that is the cheapest possible plan.
//! Once lookups have scanned [`INDEX_AFTER_SCANS`] times the number of types,
//! a hash index is built (one pass, about 4 bytes per type) and every later
//! lookup costs O(1) expected. The answer is the same either way: matches
//! come in ascending id order, base types first.

use std::ops::ControlFlow;
use std::sync::atomic::Ordering;

use crate::{Btf, Kind, TypeId};

/// After scanning this many multiples of the type count, build the index.
pub const INDEX_AFTER_SCANS: u64 = 4;

/// An open-addressing table of type ids, keyed by a hash of the name.
///
/// Slots hold `id` (0 is empty). Ids of equal names sit on one probe chain in
/// insertion (= ascending id) order, so the first match is the lowest id.
pub(crate) struct NameIndex {
    slots: Box<[u32]>,
    mask: usize,
}

#[inline]
fn hash(name: &[u8]) -> u64 {
    // FxHash-style multiplicative hash over 8-byte chunks: fast for the short
    // identifiers BTF is made of.
    const K: u64 = 0x517c_c1b7_2722_0a95;
    let mut h: u64 = name.len() as u64;
    let mut chunks = name.chunks_exact(8);
    for c in &mut chunks {
        let mut w = [0u8; 8];
        w.copy_from_slice(c);
        h = (h.rotate_left(5) ^ u64::from_le_bytes(w)).wrapping_mul(K);
    }
    let rest = chunks.remainder();
    if !rest.is_empty() {
        let mut w = [0u8; 8];
        if let Some(dst) = w.get_mut(..rest.len()) {
            dst.copy_from_slice(rest);
        }
        h = (h.rotate_left(5) ^ u64::from_le_bytes(w)).wrapping_mul(K);
    }
    h ^ (h >> 29)
}

impl NameIndex {
    fn build(btf: &Btf<'_>) -> Self {
        let strings = btf.strings();
        let named: Vec<(TypeId, u64)> = btf
            .own_ids()
            .filter_map(|id| {
                let off = btf.name_off(id);
                if off == 0 {
                    return None;
                }
                let name = strings.bytes(off)?;
                Some((id, hash(name)))
            })
            .collect();
        let cap = (named.len() * 2).next_power_of_two().max(16);
        let mask = cap - 1;
        let mut slots = vec![0u32; cap].into_boxed_slice();
        for (id, h) in named {
            let mut i = h as usize & mask;
            loop {
                match slots.get_mut(i) {
                    Some(s) if *s == 0 => {
                        *s = id.0;
                        break;
                    }
                    _ => i = (i + 1) & mask,
                }
            }
        }
        NameIndex { slots, mask }
    }

    fn for_each(
        &self,
        btf: &Btf<'_>,
        name: &[u8],
        f: &mut dyn FnMut(TypeId) -> ControlFlow<()>,
    ) -> ControlFlow<()> {
        let strings = btf.strings();
        let mut i = hash(name) as usize & self.mask;
        loop {
            let id = match self.slots.get(i) {
                Some(&0) | None => return ControlFlow::Continue(()),
                Some(&id) => TypeId(id),
            };
            if strings.bytes(btf.name_off(id)) == Some(name) {
                f(id)?;
            }
            i = (i + 1) & self.mask;
        }
    }

    /// Heap bytes held by the index.
    pub(crate) fn heap_size(&self) -> usize {
        self.slots.len() * 4
    }
}

impl Btf<'_> {
    /// Calls `f` for each own type named `name`, in ascending id order.
    fn for_each_own_named(
        &self,
        name: &[u8],
        f: &mut dyn FnMut(TypeId) -> ControlFlow<()>,
    ) -> ControlFlow<()> {
        if name.is_empty() {
            return ControlFlow::Continue(());
        }
        if let Some(index) = self.names.get() {
            return index.for_each(self, name, f);
        }
        let strings = self.strings();
        let mut scanned = 0u64;
        let result = self.scan_headers(|id, off, _| {
            scanned += 1;
            if off != 0 && strings.eq_at(off, name) {
                f(id)
            } else {
                ControlFlow::Continue(())
            }
        });
        let total = self.scanned.fetch_add(scanned, Ordering::Relaxed) + scanned;
        if total > INDEX_AFTER_SCANS * u64::from(self.own_type_count()) {
            self.build_name_index();
        }
        result
    }

    /// Calls `f` for every type (base first) named `name`, ascending.
    pub(crate) fn for_each_named(
        &self,
        name: &str,
        f: &mut dyn FnMut(TypeId) -> ControlFlow<()>,
    ) -> ControlFlow<()> {
        if let Some(base) = self.base() {
            base.for_each_named(name, f)?;
        }
        self.for_each_own_named(name.as_bytes(), f)
    }

    /// Builds the name index now, if it has not been built yet. Lookups
    /// build it by themselves once scanning has become costlier; call this
    /// first if you know you will look up many names.
    pub fn build_name_index(&self) {
        self.names.get_or_init(|| NameIndex::build(self));
        if let Some(b) = self.base() {
            b.build_name_index();
        }
    }

    /// Heap bytes used by this BTF's own indexes (the id → record table and,
    /// once built, the name index), not counting the BTF bytes themselves.
    pub fn index_heap_size(&self) -> usize {
        self.offsets_capacity() * 4 + self.names.get().map_or(0, NameIndex::heap_size)
    }

    /// The lowest id of a type named `name`, of any kind.
    pub fn find_by_name(&self, name: &str) -> Option<TypeId> {
        let mut found = None;
        let _ = self.for_each_named(name, &mut |id| {
            found = Some(id);
            ControlFlow::Break(())
        });
        found
    }

    /// The lowest id of a type named `name` of kind `kind` (libbpf's
    /// `btf__find_by_name_kind`).
    pub fn find_by_name_kind(&self, name: &str, kind: Kind) -> Option<TypeId> {
        let mut found = None;
        let _ = self.for_each_named(name, &mut |id| {
            if self.raw_kind(id) == kind.raw() {
                found = Some(id);
                return ControlFlow::Break(());
            }
            ControlFlow::Continue(())
        });
        found
    }

    /// Every type named `name`, ascending (base types first).
    pub fn ids_by_name(&self, name: &str) -> Vec<TypeId> {
        let mut ids = Vec::new();
        let _ = self.for_each_named(name, &mut |id| {
            ids.push(id);
            ControlFlow::Continue(())
        });
        ids
    }
}
