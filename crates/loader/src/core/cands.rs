//! Candidate search (libbpf's `bpf_core_add_cands` / `bpf_core_find_cands`)
//! through an index of a target BTF by *essential* name, so that finding
//! the candidates of a local type costs O(candidates) instead of a scan of
//! every target type.

use std::sync::{Arc, OnceLock, RwLock};

use oxbpf_btf::{Btf, Kind, TypeId};

use super::btfx::{
    essential, kind_core_compat, name_bytes, pointer_size, FxMap, RawComposite, Strs,
};

/// A target type that may correspond to a local type
/// (`struct bpf_core_cand`): same essential name, compatible kind.
#[derive(Copy, Clone, Debug)]
pub struct Candidate<'a> {
    /// The BTF the candidate is in.
    pub btf: &'a Btf<'a>,
    /// Its id there.
    pub id: TypeId,
    /// Which target it comes from (`vmlinux`, a module's name, a file).
    pub target: &'a str,
    /// libbpf's pointer size for that BTF.
    pub ptr_size: u32,
    /// That BTF's index, if there is one: member lookups then use (and
    /// fill) its per-struct member tables instead of scanning members.
    pub index: Option<&'a CandidateIndex>,
}

/// FxHash-style hash over the essential name.
#[inline]
pub(crate) fn hash(name: &[u8]) -> u64 {
    const K: u64 = 0x517c_c1b7_2722_0a95;
    let mut h: u64 = name.len() as u64;
    let mut chunks = name.chunks_exact(8);
    for c in &mut chunks {
        let w = u64::from_le_bytes(c.try_into().unwrap_or([0; 8]));
        h = (h.rotate_left(5) ^ w).wrapping_mul(K);
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

/// An open-addressing table of type ids keyed by essential name. Ids of
/// equal essential names sit on one probe chain in ascending order.
struct Table {
    slots: Box<[u32]>,
    mask: usize,
}

impl Table {
    fn build(btf: &Btf<'_>, keep: impl Fn(u8) -> bool) -> Table {
        let strs = Strs::of(btf);
        let mut named: Vec<(u32, u64)> = Vec::with_capacity(btf.own_type_count() as usize);
        // Raw record headers: no type is decoded while indexing.
        let _ = btf.scan_headers(|id, off, info| {
            if off != 0 && keep(((info >> 24) & 0x7f) as u8) {
                let name = strs.get(off);
                if !name.is_empty() {
                    named.push((id.0, hash(essential(name))));
                }
            }
            std::ops::ControlFlow::Continue(())
        });
        let cap = (named.len() * 2).next_power_of_two().max(16);
        let mask = cap - 1;
        let mut slots = vec![0u32; cap].into_boxed_slice();
        for (id, h) in named {
            let mut i = h as usize & mask;
            loop {
                match slots.get_mut(i) {
                    Some(s) if *s == 0 => {
                        *s = id;
                        break;
                    }
                    _ => i = (i + 1) & mask,
                }
            }
        }
        Table { slots, mask }
    }

    /// Calls `f` with each id whose essential name is `ess`, ascending.
    fn for_each(&self, btf: &Btf<'_>, ess: &[u8], mut f: impl FnMut(TypeId)) {
        let strs = Strs::of(btf);
        let mut i = hash(ess) as usize & self.mask;
        loop {
            let id = match self.slots.get(i) {
                Some(&0) | None => return,
                Some(&id) => TypeId(id),
            };
            if essential(strs.get(btf.name_offset(id).0)) == ess {
                f(id);
            }
            i = (i + 1) & self.mask;
        }
    }

    fn heap_size(&self) -> usize {
        self.slots.len() * 4
    }
}

/// A struct's or union's members by name, for O(1) member searches: the
/// named members in an open-addressing table (equal names on one probe
/// chain in ascending member order), the anonymous ones in a list.
pub(crate) struct MemberTable {
    slots: Box<[u32]>,
    mask: usize,
    /// Indices of the members without a name, ascending.
    pub(crate) anon: Box<[u32]>,
}

impl MemberTable {
    fn build(strs: &Strs<'_>, c: &RawComposite<'_>) -> Self {
        let n = c.len();
        let cap = (n * 2).next_power_of_two().max(4);
        let mask = cap - 1;
        let mut slots = vec![0u32; cap].into_boxed_slice();
        let mut anon = Vec::new();
        for i in 0..n {
            let Some(m) = c.member(i) else { break };
            let name = strs.get(m.name_off);
            if name.is_empty() {
                anon.push(i as u32);
                continue;
            }
            let mut at = hash(name) as usize & mask;
            loop {
                match slots.get_mut(at) {
                    Some(s) if *s == 0 => {
                        *s = i as u32 + 1;
                        break;
                    }
                    _ => at = (at + 1) & mask,
                }
            }
        }
        MemberTable {
            slots,
            mask,
            anon: anon.into_boxed_slice(),
        }
    }

    /// The first member named `name` (which is not empty).
    pub(crate) fn find(&self, strs: &Strs<'_>, c: &RawComposite<'_>, name: &[u8]) -> Option<usize> {
        let mut at = hash(name) as usize & self.mask;
        loop {
            let i = match self.slots.get(at) {
                Some(&0) | None => return None,
                Some(&s) => s as usize - 1,
            };
            if c.member(i).is_some_and(|m| strs.eq_at(m.name_off, name)) {
                return Some(i);
            }
            at = (at + 1) & self.mask;
        }
    }

    fn heap_size(&self) -> usize {
        (self.slots.len() + self.anon.len()) * 4
    }
}

/// Kinds that are never the root of a CO-RE relocation clang emits; they
/// go to a second table, built only if asked for (in vmlinux, functions
/// are half of all named types).
fn is_rare(kind: u8) -> bool {
    matches!(
        Kind::from_raw(kind),
        Some(Kind::Func | Kind::Var | Kind::Datasec | Kind::DeclTag)
    )
}

/// The candidate index of one target BTF: its own types (for split BTF,
/// not the base's) by essential name, plus libbpf's pointer size for it.
///
/// Building it is one pass over the types; every later search costs
/// O(candidates). The index holds type ids only, so it can be kept (and
/// shared between threads, programs and objects) for as long as the BTF
/// it was built from; using it with another BTF gives wrong candidates,
/// never a panic.
///
/// ```
/// use oxbpf_btf::{Btf, BtfBuilder, IntEncoding, Kind, MemberSpec};
/// use oxbpf_loader::core::CandidateIndex;
/// let mut b = BtfBuilder::new();
/// let int = b.add_int("int", 4, IntEncoding::Signed);
/// let m = [MemberSpec { name: "pid", ty: int, bit_offset: 0, bitfield_size: 0 }];
/// let plain = b.add_struct("task", 4, &m)?;
/// let flavor = b.add_struct("task___2", 4, &m)?;
/// let btf = Btf::parse_owned(b.to_bytes()?)?;
/// let index = CandidateIndex::build(&btf);
/// let ids: Vec<_> = index.find(&btf, "task___mine", Kind::Struct.raw()).collect();
/// assert_eq!(ids, [plain, flavor]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct CandidateIndex {
    common: Table,
    rare: OnceLock<Table>,
    members: RwLock<FxMap<u32, Arc<MemberTable>>>,
    ptr_size: u32,
    start_id: TypeId,
    own_types: u32,
}

impl std::fmt::Debug for CandidateIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CandidateIndex")
            .field("start_id", &self.start_id)
            .field("own_types", &self.own_types)
            .field("ptr_size", &self.ptr_size)
            .finish_non_exhaustive()
    }
}

impl CandidateIndex {
    /// Indexes `btf`'s own named types by essential name.
    pub fn build(btf: &Btf<'_>) -> Self {
        CandidateIndex {
            common: Table::build(btf, |k| !is_rare(k)),
            rare: OnceLock::new(),
            members: RwLock::new(FxMap::default()),
            ptr_size: pointer_size(btf),
            start_id: btf.start_id(),
            own_types: btf.own_type_count(),
        }
    }

    /// libbpf's pointer size for the indexed BTF (`btf_ptr_sz`).
    pub fn pointer_size(&self) -> u32 {
        self.ptr_size
    }

    /// Whether this index was (probably) built from `btf`: same first id
    /// and type count.
    pub fn fits(&self, btf: &Btf<'_>) -> bool {
        self.start_id == btf.start_id() && self.own_types == btf.own_type_count()
    }

    /// Heap bytes held by the index (including the member tables built so
    /// far).
    pub fn heap_size(&self) -> usize {
        let members: usize = self
            .members
            .read()
            .map(|m| m.values().map(|t| t.heap_size() + 32).sum())
            .unwrap_or(0);
        self.common.heap_size() + self.rare.get().map_or(0, Table::heap_size) + members
    }

    /// The member table of struct or union `id` of `btf` (the indexed BTF),
    /// built on first use and kept: relocations of the same structs,
    /// across programs and objects, then find members in O(1).
    pub(crate) fn member_table(
        &self,
        btf: &Btf<'_>,
        id: TypeId,
        c: &RawComposite<'_>,
    ) -> Arc<MemberTable> {
        if let Some(t) = self.members.read().ok().and_then(|m| m.get(&id.0).cloned()) {
            return t;
        }
        let t = Arc::new(MemberTable::build(&Strs::of(btf), c));
        if let Ok(mut m) = self.members.write() {
            m.entry(id.0).or_insert_with(|| t.clone());
        }
        t
    }

    /// The candidates in `btf` (the indexed BTF) for a local type named
    /// `local_name` of raw kind `local_kind`, ascending by id, as
    /// `bpf_core_add_cands` finds them: a target type qualifies if its
    /// kind is the local one's (any two enums qualify) and its essential
    /// name is the local one's.
    pub fn find<'s>(
        &'s self,
        btf: &'s Btf<'_>,
        local_name: &str,
        local_kind: u8,
    ) -> impl Iterator<Item = TypeId> + 's {
        let mut out = Vec::new();
        let ess = essential(local_name.as_bytes());
        if !ess.is_empty() {
            let table = if is_rare(local_kind) {
                self.rare.get_or_init(|| Table::build(btf, is_rare))
            } else {
                &self.common
            };
            table.for_each(btf, ess, |id| {
                if kind_core_compat(btf.raw_kind(id), local_kind) {
                    out.push(id);
                }
            });
        }
        out.into_iter()
    }
}

/// The candidates for a local type by scanning every own type of `btf`
/// (libbpf's `bpf_core_add_cands`, literally): the reference the index is
/// tested against.
pub fn scan_candidates(btf: &Btf<'_>, local_name: &str, local_kind: u8) -> Vec<TypeId> {
    let ess = essential(local_name.as_bytes());
    btf.own_ids()
        .filter(|&id| {
            if !kind_core_compat(btf.raw_kind(id), local_kind) {
                return false;
            }
            let name = name_bytes(btf, btf.name_offset(id).0);
            !name.is_empty() && essential(name) == ess
        })
        .collect()
}
