//! BTF to C: the header `bpftool btf dump file FILE format c` prints.
//!
//! This is a reimplementation of libbpf's BTF-to-C converter (`btf_dump.c`)
//! as linked into Debian's bpftool v7.1 (the libbpf of Linux 6.1.y): its
//! output is identical byte for byte, which the differential tests check on
//! the running kernel's BTF and on every BPF object of this repository.
//!
//! The algorithm has two passes per requested type:
//!
//! 1. **Ordering** ([`CDumper::dump_type`] → `order_type`): a depth-first
//!    walk that puts every named type the requested one needs *before* it.
//!    A type embedded by value (a struct member, an array element) is a
//!    *strong* dependency: it must be defined first. A type reached through
//!    a pointer is *weak*: a forward declaration (`struct foo;`) suffices,
//!    unless an anonymous type sits in between (anonymous types are defined
//!    inline, so what they embed is strong again).
//! 2. **Emission** (`emit_type`): each queued type is written, preceded by
//!    the forward declarations its definition needs. Declarations are
//!    turned inside out the C way (`int (*f[4])(void)`) with a stack of the
//!    type chain (`emit_type_decl`).
//!
//! Names that occur more than once (distinct types that happen to share a
//! name, enumerators that clash) get libbpf's `___N` suffixes, numbered in
//! order of first use. Structs whose layout natural alignment cannot
//! produce get `__attribute__((packed))`, and holes get explicit anonymous
//! bitfield padding (`long: 64;`).
//!
//! As in bpftool 7.1, and unlike libbpf master: no `mode(byte)` or
//! `mode(word)` attributes on enums of unusual sizes, and every `TYPE_TAG`
//! is printed as a `btf_type_tag` attribute.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::io::Write;

use super::{CodegenError, MAX_DEPTH};
use crate::{Btf, Kind, Type, TypeId};

/// The lines bpftool prints before the types.
pub const HEADER_PROLOGUE: &str = "#ifndef __VMLINUX_H__\n#define __VMLINUX_H__\n\n\
#ifndef BPF_NO_PRESERVE_ACCESS_INDEX\n\
#pragma clang attribute push (__attribute__((preserve_access_index)), apply_to = record)\n\
#endif\n\n";

/// The lines bpftool prints after the types.
pub const HEADER_EPILOGUE: &str = "#ifndef BPF_NO_PRESERVE_ACCESS_INDEX\n\
#pragma clang attribute pop\n#endif\n\n#endif /* __VMLINUX_H__ */\n";

/// How much output is buffered before it is handed to the writer.
const FLUSH_AT: usize = 1 << 16;

/// Writes a complete header for every type of `btf` (for split BTF, the
/// base's too), exactly as `bpftool btf dump file FILE format c` does:
/// the `__VMLINUX_H__` guard, the `preserve_access_index` pragma, then
/// every type in an order C accepts.
///
/// ```
/// use oxbpf_btf::{Btf, BtfBuilder, IntEncoding, MemberSpec, TypeId};
/// let mut b = BtfBuilder::new();
/// let int = b.add_int("int", 4, IntEncoding::Signed);
/// let node = TypeId(b.next_id().0 + 1); // the struct, after the pointer
/// let ptr = b.add_ptr(node);
/// b.add_struct("node", 16, &[
///     MemberSpec { name: "value", ty: int, bit_offset: 0, bitfield_size: 0 },
///     MemberSpec { name: "next", ty: ptr, bit_offset: 64, bitfield_size: 0 },
/// ])?;
/// let btf = Btf::parse_owned(b.to_bytes()?)?;
/// let mut out = Vec::new();
/// oxbpf_btf::codegen::c::write_header(&btf, &mut out)?;
/// let text = String::from_utf8(out)?;
/// assert!(text.contains("struct node {\n\tint value;\n\tstruct node *next;\n};\n"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Errors
///
/// [`CodegenError::TypeCycle`], [`CodegenError::TooDeep`] or
/// [`CodegenError::UnsupportedKind`] for BTF that C cannot express, and
/// [`CodegenError::Io`] if writing fails. Part of the header may have been
/// written by then (bpftool also stops halfway).
pub fn write_header(btf: &Btf<'_>, out: &mut impl Write) -> Result<(), CodegenError> {
    let ids: Vec<TypeId> = btf.ids().collect();
    write_header_for(btf, &ids, out)
}

/// Like [`write_header`], but only for `roots` and the types they need
/// (bpftool's `root_type_ids`, as used by `bpftool btf dump map`).
pub fn write_header_for(
    btf: &Btf<'_>,
    roots: &[TypeId],
    out: &mut impl Write,
) -> Result<(), CodegenError> {
    let mut d = CDumper::new(btf)?;
    d.out.extend_from_slice(HEADER_PROLOGUE.as_bytes());
    for &id in roots {
        d.dump(id)?;
        if d.out.len() >= FLUSH_AT {
            out.write_all(&d.out)?;
            d.out.clear();
        }
    }
    d.out.extend_from_slice(HEADER_EPILOGUE.as_bytes());
    out.write_all(&d.out)?;
    Ok(())
}

/// [`write_header`] into a `String`.
pub fn header_to_string(btf: &Btf<'_>) -> Result<String, CodegenError> {
    let mut out = Vec::new();
    write_header(btf, &mut out)?;
    // Names are `str`s and everything else is ASCII.
    Ok(String::from_utf8(out).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into()))
}

// Not ordered yet: 0 (the default).
const ORDERING: u8 = 1;
const ORDERED: u8 = 2;

const NOT_EMITTED: u8 = 0;
const EMITTING: u8 = 1;
const EMITTED: u8 = 2;

// Raw kind numbers (`BTF_KIND_*`).
const INT: u8 = Kind::Int.raw();
const PTR: u8 = Kind::Ptr.raw();
const ARRAY: u8 = Kind::Array.raw();
const STRUCT: u8 = Kind::Struct.raw();
const UNION: u8 = Kind::Union.raw();
const ENUM: u8 = Kind::Enum.raw();
const FWD: u8 = Kind::Fwd.raw();
const TYPEDEF: u8 = Kind::Typedef.raw();
const VOLATILE: u8 = Kind::Volatile.raw();
const CONST: u8 = Kind::Const.raw();
const RESTRICT: u8 = Kind::Restrict.raw();
const FUNC: u8 = Kind::Func.raw();
const FUNC_PROTO: u8 = Kind::FuncProto.raw();
const VAR: u8 = Kind::Var.raw();
const DATASEC: u8 = Kind::Datasec.raw();
const FLOAT: u8 = Kind::Float.raw();
const DECL_TAG: u8 = Kind::DeclTag.raw();
const TYPE_TAG: u8 = Kind::TypeTag.raw();
const ENUM64: u8 = Kind::Enum64.raw();

/// What the passes need of each type, read once from its raw record.
#[derive(Copy, Clone, Default)]
struct Info {
    /// The raw kind (0 for `void`).
    kind: u8,
    kind_flag: bool,
    vlen: u16,
    name_off: u32,
    /// The referenced type: pointee, typedef target, array element,
    /// return type of a prototype, type of a variable.
    target: u32,
    /// The size, for kinds that have one.
    size: u32,
}

/// Per-type state (libbpf's `btf_dump_type_aux_state`).
#[derive(Copy, Clone, Default)]
struct State {
    /// 0 (not ordered), `ORDERING` or `ORDERED`.
    order: u8,
    /// `NOT_EMITTED`, `EMITTING` or `EMITTED`.
    emit: u8,
    /// A forward declaration (or, for a typedef, the typedef) was written.
    fwd_emitted: bool,
    /// The type's unique name was decided (`dup`).
    name_resolved: bool,
    /// Some other type refers to this one.
    referenced: bool,
    /// The name's occurrence number: above 1, the name gets `___{dup}`.
    dup: u32,
}

/// FxHash: names are short; SipHash would dominate.
#[derive(Default)]
struct FxHasher(u64);

const FX_K: u64 = 0x51_7c_c1_b7_27_22_0a_95;

impl Hasher for FxHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let mut w = [0u8; 8];
            w.copy_from_slice(c);
            self.0 = (self.0.rotate_left(5) ^ u64::from_le_bytes(w)).wrapping_mul(FX_K);
        }
        for &b in chunks.remainder() {
            self.0 = (self.0.rotate_left(5) ^ u64::from(b)).wrapping_mul(FX_K);
        }
    }

    fn write_u8(&mut self, b: u8) {
        self.0 = (self.0.rotate_left(5) ^ u64::from(b)).wrapping_mul(FX_K);
    }

    fn write_usize(&mut self, n: usize) {
        self.0 = (self.0.rotate_left(5) ^ n as u64).wrapping_mul(FX_K);
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

/// Names (as bytes: they are printed, never inspected) → occurrences.
type NameMap<'b> = HashMap<&'b [u8], u32, BuildHasherDefault<FxHasher>>;

/// Thirteen tabs: libbpf's deepest indentation.
const PREFIXES: &str = "\t\t\t\t\t\t\t\t\t\t\t\t\t";

fn pfx(lvl: usize) -> &'static str {
    PREFIXES.get(..lvl.min(PREFIXES.len())).unwrap_or(PREFIXES)
}

/// `roundup(x, y)`: the smallest multiple of `y` that is at least `x`.
fn roundup(x: i64, y: i64) -> i64 {
    if y <= 0 {
        return x;
    }
    (x + y - 1).div_euclid(y) * y
}

/// The members of a struct or union as (name offset, type, bit offset,
/// bitfield size), read from the raw record.
struct RawMembers<'b> {
    body: &'b [u8],
    kind_flag: bool,
}

impl Iterator for RawMembers<'_> {
    type Item = (u32, u32, u32, u32);

    fn next(&mut self) -> Option<(u32, u32, u32, u32)> {
        let (m, rest) = self.body.split_at_checked(12)?;
        self.body = rest;
        let (name, ty, off) = (rd(m, 0), rd(m, 4), rd(m, 8));
        Some(if self.kind_flag {
            (name, ty, off & 0x00ff_ffff, off >> 24)
        } else {
            (name, ty, off, 0)
        })
    }
}

fn rd(b: &[u8], at: usize) -> u32 {
    crate::btf::rd(b, at)
}

/// A view of one declaration chain on the shared declaration stack: the
/// entries `base..base + cnt`, popped from the end.
struct Frame {
    base: usize,
    cnt: usize,
}

/// libbpf's `btf_dump`: writes C declarations of BTF types, each with the
/// types it depends on, each type at most once per dumper.
///
/// ```
/// use oxbpf_btf::codegen::c::CDumper;
/// use oxbpf_btf::{Btf, BtfBuilder, IntEncoding};
/// let mut b = BtfBuilder::new();
/// let uint = b.add_int("unsigned int", 4, IntEncoding::Unsigned);
/// let u32_ = b.add_typedef("u32", uint);
/// let btf = Btf::parse_owned(b.to_bytes()?)?;
/// let mut d = CDumper::new(&btf)?;
/// let mut out = Vec::new();
/// d.dump_type(u32_, &mut out)?;
/// d.dump_type(u32_, &mut out)?; // already written: nothing more
/// assert_eq!(String::from_utf8(out)?, "typedef unsigned int u32;\n\n");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct CDumper<'b, 'a> {
    btf: &'b Btf<'a>,
    /// Pointer size in bytes (libbpf's `ptr_sz`).
    ptr_sz: u32,
    infos: Vec<Info>,
    states: Vec<State>,
    /// struct/union/enum names → occurrences.
    type_names: NameMap<'b>,
    /// typedef and enumerator names → occurrences.
    ident_names: NameMap<'b>,
    /// Ids to emit for the current `dump_type` call, in order.
    emit_queue: Vec<u32>,
    /// Shared stack of declaration chains.
    decl_stack: Vec<u32>,
    /// Memoized `btf__align_of` of structs and unions (`-1`: unknown, `-2`:
    /// being computed).
    aligns: Vec<i32>,
    out: Vec<u8>,
    /// Current emission depth, against runaway recursion.
    depth: usize,
    /// The first error met while emitting (emission itself never stops
    /// halfway, like libbpf's).
    error: Option<CodegenError>,
}

impl std::fmt::Debug for CDumper<'_, '_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CDumper")
            .field("types", &self.states.len())
            .field("ptr_sz", &self.ptr_sz)
            .finish_non_exhaustive()
    }
}

/// The pointer size `btf` assumes: the size of its `long` (libbpf's
/// `determine_ptr_size`), or 8 if it has none.
pub fn pointer_size(btf: &Btf<'_>) -> u32 {
    const LONG_ALIASES: [&str; 11] = [
        "long",
        "long int",
        "int long",
        "unsigned long",
        "long unsigned",
        "unsigned long int",
        "unsigned int long",
        "long unsigned int",
        "long int unsigned",
        "int unsigned long",
        "int long unsigned",
    ];
    for id in btf.ids() {
        if btf.raw_kind(id) != INT {
            continue;
        }
        if let Some(Type::Int(i)) = btf.type_by_id(id) {
            if (i.size == 4 || i.size == 8) && LONG_ALIASES.contains(&i.name) {
                return i.size;
            }
        }
    }
    8
}

impl<'b, 'a> CDumper<'b, 'a> {
    /// A dumper for `btf`. Reads every type once, noting which are
    /// referenced by others (that decides whether an anonymous enum is a
    /// top-level declaration).
    ///
    /// # Errors
    ///
    /// [`CodegenError::UnsupportedKind`] if `btf` has a type of a kind this
    /// crate does not know.
    pub fn new(btf: &'b Btf<'a>) -> Result<Self, CodegenError> {
        let n = btf.type_count() as usize + 1;
        let mut states = vec![State::default(); n];
        if let Some(void) = states.first_mut() {
            void.order = ORDERED;
            void.emit = EMITTED;
        }
        let mut d = CDumper {
            btf,
            ptr_sz: pointer_size(btf),
            infos: vec![Info::default(); n],
            states,
            type_names: NameMap::with_capacity_and_hasher(n / 4, Default::default()),
            ident_names: NameMap::with_capacity_and_hasher(n / 2, Default::default()),
            emit_queue: Vec::new(),
            decl_stack: Vec::new(),
            aligns: vec![-1; n],
            out: Vec::with_capacity(FLUSH_AT + 4096),
            depth: 0,
            error: None,
        };
        d.read_types()?;
        Ok(d)
    }

    /// Writes the C definition of type `id`, preceded by every type it
    /// needs that this dumper has not written yet. Types without a
    /// definition of their own (pointers, functions, variables, ...) write
    /// only what they depend on.
    ///
    /// # Errors
    ///
    /// [`CodegenError::NoSuchType`] for an id past the last type,
    /// [`CodegenError::TypeCycle`] or [`CodegenError::TooDeep`] for a
    /// type C cannot declare, [`CodegenError::Io`] if writing fails.
    pub fn dump_type(&mut self, id: TypeId, out: &mut impl Write) -> Result<(), CodegenError> {
        let r = self.dump(id);
        out.write_all(&self.out)?;
        self.out.clear();
        r
    }

    fn dump(&mut self, id: TypeId) -> Result<(), CodegenError> {
        if id.0 > self.btf.type_count() {
            return Err(CodegenError::NoSuchType(id));
        }
        self.emit_queue.clear();
        self.order_type(id.0, false, 0)?;
        let queue = std::mem::take(&mut self.emit_queue);
        for &q in &queue {
            self.emit_type(q, 0);
        }
        self.emit_queue = queue;
        match self.error.take() {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }

    fn info(&self, id: u32) -> Info {
        self.infos.get(id as usize).copied().unwrap_or_default()
    }

    fn rec(&self, id: u32) -> &'b [u8] {
        let btf: &'b Btf<'a> = self.btf;
        btf.raw_record(TypeId(id)).unwrap_or_default()
    }

    /// The string at `off`, as bytes (names are printed, never inspected:
    /// no UTF-8 check needed).
    fn name(&self, off: u32) -> &'b [u8] {
        let btf: &'b Btf<'a> = self.btf;
        btf.strings().bytes(off).unwrap_or_default()
    }

    /// The members of struct or union `id` (none for other kinds).
    fn members(&self, id: u32) -> RawMembers<'b> {
        let i = self.info(id);
        let n = if i.kind == STRUCT || i.kind == UNION {
            usize::from(i.vlen)
        } else {
            0
        };
        RawMembers {
            body: self.rec(id).get(12..12 + n * 12).unwrap_or_default(),
            kind_flag: i.kind_flag,
        }
    }

    /// The parameters of prototype `id` as (name offset, type).
    fn params(&self, id: u32) -> impl Iterator<Item = (u32, u32)> + 'b {
        let i = self.info(id);
        let n = if i.kind == FUNC_PROTO {
            usize::from(i.vlen)
        } else {
            0
        };
        let body = self.rec(id).get(12..12 + n * 8).unwrap_or_default();
        body.chunks_exact(8).map(|p| (rd(p, 0), rd(p, 4)))
    }

    fn st(&mut self, id: u32) -> &mut State {
        let i = id as usize;
        if i >= self.states.len() {
            self.states.resize(i + 1, State::default());
        }
        #[allow(clippy::indexing_slicing)] // resized just above
        &mut self.states[i]
    }

    fn p(&mut self, s: &str) {
        self.out.extend_from_slice(s.as_bytes());
    }

    fn pb(&mut self, s: &[u8]) {
        self.out.extend_from_slice(s);
    }

    fn num_u(&mut self, mut n: u64) {
        let mut buf = [0u8; 20];
        let mut i = buf.len();
        loop {
            i -= 1;
            if let Some(d) = buf.get_mut(i) {
                *d = b'0' + (n % 10) as u8;
            }
            n /= 10;
            if n == 0 || i == 0 {
                break;
            }
        }
        self.out.extend_from_slice(buf.get(i..).unwrap_or_default());
    }

    fn num_i(&mut self, n: i64) {
        if n < 0 {
            self.out.push(b'-');
        }
        self.num_u(n.unsigned_abs());
    }

    fn fail(&mut self, e: CodegenError) {
        if self.error.is_none() {
            self.error = Some(e);
        }
    }

    /// Reads every type's [`Info`] and marks the types other types refer
    /// to (libbpf's `btf_dump_mark_referenced`).
    fn read_types(&mut self) -> Result<(), CodegenError> {
        let btf: &'b Btf<'a> = self.btf;
        let mut refs: Vec<u32> = Vec::new();
        for id in btf.ids() {
            let rec = btf.raw_record(id).ok_or(CodegenError::NoSuchType(id))?;
            let info = rd(rec, 4);
            let kind = ((info >> 24) & 0x7f) as u8;
            let vlen = (info & 0xffff) as usize;
            let st = rd(rec, 8);
            let mut i = Info {
                kind,
                kind_flag: info >> 31 != 0,
                vlen: vlen as u16,
                name_off: rd(rec, 0),
                target: 0,
                size: 0,
            };
            let body = rec.get(12..).unwrap_or_default();
            refs.clear();
            match kind {
                INT | ENUM | ENUM64 | FLOAT | FWD => i.size = st,
                PTR | TYPEDEF | VOLATILE | CONST | RESTRICT | TYPE_TAG | FUNC | VAR | DECL_TAG => {
                    i.target = st;
                    refs.push(st);
                }
                ARRAY => {
                    i.target = rd(body, 0);
                    refs.extend([rd(body, 4), rd(body, 0)]);
                }
                STRUCT | UNION => {
                    i.size = st;
                    refs.extend(body.chunks_exact(12).take(vlen).map(|m| rd(m, 4)));
                }
                FUNC_PROTO => {
                    i.target = st;
                    refs.extend(body.chunks_exact(8).take(vlen).map(|p| rd(p, 4)));
                }
                DATASEC => {
                    i.size = st;
                    refs.extend(body.chunks_exact(12).take(vlen).map(|v| rd(v, 0)));
                }
                _ => return Err(CodegenError::UnsupportedKind { id, kind }),
            }
            if let Some(slot) = self.infos.get_mut(id.0 as usize) {
                *slot = i;
            }
            for &r in &refs {
                self.st(r).referenced = true;
            }
        }
        Ok(())
    }

    /// libbpf's `btf_dump_order_type`: queues the named types `id` needs,
    /// then `id` itself if it is a named definition. Returns whether the
    /// link to `id` is strong (must be defined, not just declared, first).
    fn order_type(
        &mut self,
        id: u32,
        through_ptr: bool,
        depth: usize,
    ) -> Result<bool, CodegenError> {
        let state = self.st(id).order;
        if state == ORDERED {
            return Ok(true);
        }
        let t = self.info(id);
        let named = t.name_off != 0;
        if state == ORDERING {
            // A loop, fine if it goes through a pointer to a named type.
            if (t.kind == STRUCT || t.kind == UNION) && through_ptr && named {
                return Ok(false);
            }
            return Err(CodegenError::TypeCycle(TypeId(id)));
        }
        if depth > MAX_DEPTH {
            return Err(CodegenError::TooDeep(TypeId(id)));
        }
        let depth = depth + 1;
        match t.kind {
            INT | FLOAT => {
                self.st(id).order = ORDERED;
                Ok(false)
            }
            PTR => {
                let r = self.order_type(t.target, true, depth);
                self.st(id).order = ORDERED;
                r
            }
            ARRAY => self.order_type(t.target, false, depth),
            STRUCT | UNION => {
                // Only embedding (or being anonymous, so defined inline)
                // makes a struct a strong dependency.
                if through_ptr && named {
                    return Ok(false);
                }
                self.st(id).order = ORDERING;
                for (_, ty, _, _) in self.members(id) {
                    self.order_type(ty, false, depth)?;
                }
                if named {
                    self.emit_queue.push(id);
                }
                self.st(id).order = ORDERED;
                Ok(true)
            }
            ENUM | ENUM64 | FWD => {
                // Named or unreferenced (top-level anonymous) enums are
                // declarations of their own.
                if named || !self.st(id).referenced {
                    self.emit_queue.push(id);
                }
                self.st(id).order = ORDERED;
                Ok(true)
            }
            TYPEDEF => {
                let strong = self.order_type(t.target, through_ptr, depth)?;
                if through_ptr && !strong {
                    return Ok(false);
                }
                self.emit_queue.push(id);
                self.st(id).order = ORDERED;
                Ok(true)
            }
            VOLATILE | CONST | RESTRICT | TYPE_TAG => self.order_type(t.target, through_ptr, depth),
            FUNC_PROTO => {
                let mut strong = self.order_type(t.target, through_ptr, depth)?;
                for (_, ty) in self.params(id) {
                    if self.order_type(ty, through_ptr, depth)? {
                        strong = true;
                    }
                }
                Ok(strong)
            }
            FUNC | VAR | DATASEC | DECL_TAG => {
                self.st(id).order = ORDERED;
                Ok(false)
            }
            0 => Ok(true),
            kind => Err(CodegenError::UnsupportedKind {
                id: TypeId(id),
                kind,
            }),
        }
    }

    /// libbpf's `btf_dump_emit_type`: writes the definition of `id` (if it
    /// is top-level, `cont_id == 0`) and the forward declarations it needs.
    /// `cont_id` is the struct/union being defined, which needs no forward
    /// declaration of itself.
    fn emit_type(&mut self, id: u32, cont_id: u32) {
        if self.depth > MAX_DEPTH {
            self.fail(CodegenError::TooDeep(TypeId(id)));
            return;
        }
        self.depth += 1;
        self.emit_type_inner(id, cont_id);
        self.depth -= 1;
    }

    fn emit_type_inner(&mut self, id: u32, cont_id: u32) {
        let state = *self.st(id);
        if state.emit == EMITTED {
            return;
        }
        let t = self.info(id);
        let named = t.name_off != 0;
        let top_level_def = cont_id == 0;

        if state.emit == EMITTING {
            // Referenced from inside its own definition.
            if state.fwd_emitted {
                return;
            }
            match t.kind {
                STRUCT | UNION => {
                    // A struct referring to itself needs no declaration; an
                    // anonymous one cannot have one (libbpf warns).
                    if id == cont_id || !named {
                        return;
                    }
                    self.emit_struct_fwd(id);
                    self.p(";\n\n");
                    self.st(id).fwd_emitted = true;
                }
                TYPEDEF => {
                    // The typedef serves as its own forward declaration,
                    // good for pointers to it.
                    if !self.is_blacklisted(id) {
                        self.emit_typedef_def(id, 0);
                        self.p(";\n\n");
                    }
                    self.st(id).fwd_emitted = true;
                }
                _ => {}
            }
            return;
        }

        match t.kind {
            INT => {
                self.emit_missing_aliases(id);
                self.st(id).emit = EMITTED;
            }
            ENUM | ENUM64 => {
                if top_level_def {
                    self.emit_enum_def(id, 0);
                    self.p(";\n\n");
                }
                self.st(id).emit = EMITTED;
            }
            PTR | VOLATILE | CONST | RESTRICT | TYPE_TAG | ARRAY => {
                self.emit_type(t.target, cont_id)
            }
            FWD => {
                self.emit_fwd_def(id);
                self.p(";\n\n");
                self.st(id).emit = EMITTED;
            }
            TYPEDEF => {
                self.st(id).emit = EMITTING;
                self.emit_type(t.target, id);
                // Unless a pointer inside already needed the typedef as a
                // forward declaration (and so wrote it), write it now.
                if !self.st(id).fwd_emitted && !self.is_blacklisted(id) {
                    self.emit_typedef_def(id, 0);
                    self.p(";\n\n");
                }
                self.st(id).emit = EMITTED;
            }
            STRUCT | UNION => {
                self.st(id).emit = EMITTING;
                if top_level_def || !named {
                    // The full definition will be written here (top level)
                    // or inline (anonymous): its members' types need their
                    // declarations first.
                    let new_cont = if named { id } else { cont_id };
                    for (_, ty, _, _) in self.members(id) {
                        self.emit_type(ty, new_cont);
                    }
                } else if !self.st(id).fwd_emitted && id != cont_id {
                    self.emit_struct_fwd(id);
                    self.p(";\n\n");
                    self.st(id).fwd_emitted = true;
                }
                if top_level_def {
                    self.emit_struct_def(id, 0);
                    self.p(";\n\n");
                    self.st(id).emit = EMITTED;
                } else {
                    self.st(id).emit = NOT_EMITTED;
                }
            }
            FUNC_PROTO => {
                self.emit_type(t.target, cont_id);
                for (_, ty) in self.params(id) {
                    self.emit_type(ty, cont_id);
                }
            }
            _ => {}
        }
    }

    /// `__builtin_va_list` is the compiler's: never redefine it.
    fn is_blacklisted(&self, id: u32) -> bool {
        let off = self.info(id).name_off;
        off != 0 && self.name(off) == b"__builtin_va_list"
    }

    /// libbpf's `btf__align_of`, memoized for structs and unions; 0 where
    /// libbpf fails.
    fn align_of(&mut self, id: u32, depth: usize) -> u32 {
        if depth > MAX_DEPTH {
            return 0;
        }
        let t = self.info(id);
        match t.kind {
            INT | ENUM | ENUM64 | FLOAT => self.ptr_sz.min(t.size),
            PTR => self.ptr_sz,
            TYPEDEF | VOLATILE | CONST | RESTRICT | TYPE_TAG | ARRAY => {
                self.align_of(t.target, depth + 1)
            }
            STRUCT | UNION => {
                match self.aligns.get(id as usize).copied() {
                    Some(a) if a >= 0 => return a as u32,
                    Some(-2) => return 0, // a struct containing itself
                    _ => {}
                }
                self.set_align(id, -2);
                let mut max_align = 1;
                let mut result = None;
                for (_, ty, off, bits) in self.members(id) {
                    let align = self.align_of(ty, depth + 1);
                    if align == 0 {
                        result = Some(0);
                        break;
                    }
                    max_align = max_align.max(align);
                    // A member its type's alignment does not allow there
                    // means the struct is packed.
                    if bits == 0 && off % (8 * align) != 0 {
                        result = Some(1);
                        break;
                    }
                }
                let a = result.unwrap_or(if t.size % max_align != 0 {
                    1
                } else {
                    max_align
                });
                self.set_align(id, a as i32);
                a
            }
            _ => 0,
        }
    }

    fn set_align(&mut self, id: u32, a: i32) {
        if let Some(slot) = self.aligns.get_mut(id as usize) {
            *slot = a;
        }
    }

    /// libbpf's `btf__resolve_size` with this BTF's pointer size; 0 where
    /// libbpf fails.
    fn resolve_size(&self, mut id: u32) -> i64 {
        let mut nelems: u64 = 1;
        for _ in 0..crate::MAX_RESOLVE_DEPTH {
            let t = self.info(id);
            let size = match t.kind {
                INT | STRUCT | UNION | ENUM | ENUM64 | DATASEC | FLOAT => t.size,
                PTR => self.ptr_sz,
                TYPEDEF | VOLATILE | CONST | RESTRICT | TYPE_TAG | VAR | DECL_TAG => {
                    id = t.target;
                    continue;
                }
                ARRAY => {
                    let len = u64::from(rd(self.rec(id), 20));
                    if nelems != 0 && len > u64::from(u32::MAX) / nelems {
                        return 0;
                    }
                    nelems *= len;
                    id = t.target;
                    continue;
                }
                _ => return 0,
            };
            let size = u64::from(size);
            if nelems != 0 && size > u64::from(u32::MAX) / nelems {
                return 0;
            }
            return (size * nelems) as i64;
        }
        0
    }

    /// libbpf's `btf_is_struct_packed`: natural alignment cannot produce
    /// this layout.
    fn is_struct_packed(&mut self, id: u32) -> bool {
        let mut max_align = 1;
        for (_, ty, off, bits) in self.members(id) {
            let align = self.align_of(ty, 0);
            if align != 0 && bits == 0 && off % (8 * align) != 0 {
                return true;
            }
            max_align = max_align.max(align);
        }
        self.info(id).size % max_align != 0
    }

    /// libbpf's `btf_dump_emit_bit_padding`: anonymous bitfields that make
    /// the compiler put the next member at `next_off` bits.
    fn emit_bit_padding(
        &mut self,
        mut cur_off: i64,
        next_off: i64,
        next_align: i64,
        in_bitfield: bool,
        lvl: usize,
    ) {
        if cur_off >= next_off {
            return;
        }
        let pads: [(&str, i64); 4] = [
            ("long", i64::from(self.ptr_sz) * 8),
            ("int", 32),
            ("short", 16),
            ("char", 8),
        ];
        // The largest padding type whose alignment boundary is not past
        // the next member.
        let (mut pad_type, mut pad_bits) = pads[3];
        let mut new_off = cur_off;
        for (name, bits) in pads {
            pad_type = name;
            pad_bits = bits;
            new_off = roundup(cur_off, bits);
            if new_off <= next_off {
                break;
            }
        }
        if new_off > cur_off && new_off <= next_off {
            // An explicit `type: 0` when the compiler would not align to
            // `new_off` by itself.
            if in_bitfield
                || (new_off == next_off && roundup(cur_off, next_align * 8) != new_off)
                || (new_off != next_off && next_off - new_off <= new_off - cur_off)
            {
                self.pad_line(
                    lvl,
                    pad_type,
                    if in_bitfield { new_off - cur_off } else { 0 },
                );
            }
            cur_off = new_off;
        }
        while cur_off < next_off {
            let bits = (next_off - cur_off).min(pad_bits);
            if bits == pad_bits {
                self.pad_line(lvl, pad_type, pad_bits);
                cur_off += bits;
                continue;
            }
            // The remainder: the smallest type that holds it.
            for (name, b) in pads.into_iter().rev() {
                pad_type = name;
                pad_bits = b;
                if b < bits {
                    continue;
                }
                self.pad_line(lvl, pad_type, bits);
                cur_off += bits;
                break;
            }
            if pad_bits < bits {
                // Only reachable with a pointer size under 8 bits.
                break;
            }
        }
    }

    fn pad_line(&mut self, lvl: usize, pad_type: &str, bits: i64) {
        self.p("\n");
        self.p(pfx(lvl));
        self.p(pad_type);
        self.p(": ");
        self.num_i(bits);
        self.p(";");
    }

    fn emit_struct_fwd(&mut self, id: u32) {
        let t = self.info(id);
        self.p(if t.kind == STRUCT { "struct" } else { "union" });
        if t.name_off != 0 {
            self.p(" ");
        }
        self.put_type_name(id);
    }

    /// libbpf's `btf_dump_emit_struct_def`.
    fn emit_struct_def(&mut self, id: u32, lvl: usize) {
        let t = self.info(id);
        let is_struct = t.kind == STRUCT;
        let align = self.align_of(id, 0);
        let packed = is_struct && self.is_struct_packed(id);

        self.emit_struct_fwd(id);
        self.p(" {");

        let mut off: i64 = 0;
        let mut prev_bitfield = false;
        for (name, ty, m_off, bits) in self.members(id) {
            let m_sz = i64::from(bits);
            let m_off = i64::from(m_off);
            let m_align = if packed { 1 } else { self.align_of(ty, 0) };
            let in_bitfield = prev_bitfield && m_sz != 0;
            self.emit_bit_padding(off, m_off, i64::from(m_align), in_bitfield, lvl + 1);
            self.p("\n");
            self.p(pfx(lvl + 1));
            let fname = self.name(name);
            self.emit_type_decl(ty, fname, lvl + 1);
            if m_sz != 0 {
                self.p(": ");
                self.num_i(m_sz);
                off = m_off + m_sz;
                prev_bitfield = true;
            } else {
                off = m_off + self.resolve_size(ty) * 8;
                prev_bitfield = false;
            }
            self.p(";");
        }
        if is_struct {
            self.emit_bit_padding(off, i64::from(t.size) * 8, i64::from(align), false, lvl + 1);
        }
        // `struct empty {}` stays on one line.
        if t.vlen != 0 || t.size != 0 {
            self.p("\n");
            self.p(pfx(lvl));
            self.p("}");
        } else {
            self.p("}");
        }
        if packed {
            self.p(" __attribute__((packed))");
        }
    }

    /// libbpf's `btf_dump_emit_missing_aliases`: GCC's ARM SIMD types.
    fn emit_missing_aliases(&mut self, id: u32) {
        const MISSING: [(&str, &str); 4] = [
            ("__Poly8_t", "unsigned char"),
            ("__Poly16_t", "unsigned short"),
            ("__Poly64_t", "unsigned long long"),
            ("__Poly128_t", "unsigned __int128"),
        ];
        let (name, dup) = self.resolve_name(id, false);
        if dup > 1 {
            return;
        }
        if let Some((_, alias)) = MISSING.iter().find(|(n, _)| n.as_bytes() == name) {
            self.p("typedef ");
            self.p(alias);
            self.p(" ");
            self.pb(name);
            self.p(";\n\n");
        }
    }

    /// libbpf's `btf_dump_emit_enum_def`.
    fn emit_enum_def(&mut self, id: u32, lvl: usize) {
        let t = self.info(id);
        self.p("enum");
        if t.name_off != 0 {
            self.p(" ");
        }
        self.put_type_name(id);
        if t.vlen == 0 {
            return;
        }
        self.p(" {");
        let is_64 = t.kind == ENUM64;
        let stride = if is_64 { 12 } else { 8 };
        let n = usize::from(t.vlen);
        let body = self.rec(id).get(12..12 + n * stride).unwrap_or_default();
        for v in body.chunks_exact(stride) {
            let name = self.name(rd(v, 0));
            let lo = rd(v, 4);
            // Enumerators share the namespace of typedefs.
            let dup = bump(&mut self.ident_names, name);
            self.p("\n");
            self.p(pfx(lvl + 1));
            self.pb(name);
            if dup > 1 {
                self.p("___");
                self.num_u(u64::from(dup));
            }
            self.p(" = ");
            let value = u64::from(lo) | if is_64 { u64::from(rd(v, 8)) << 32 } else { 0 };
            match (is_64, t.kind_flag) {
                (false, true) => self.num_i(i64::from(lo as i32)),
                (false, false) => self.num_u(u64::from(lo)),
                (true, true) => {
                    self.num_i(value as i64);
                    self.p("LL");
                }
                (true, false) => {
                    self.num_u(value);
                    self.p("ULL");
                }
            }
            self.p(",");
        }
        self.p("\n");
        self.p(pfx(lvl));
        self.p("}");
    }

    fn emit_fwd_def(&mut self, id: u32) {
        self.p(if self.info(id).kind_flag {
            "union "
        } else {
            "struct "
        });
        self.put_type_name(id);
    }

    /// libbpf's `btf_dump_emit_typedef_def`.
    fn emit_typedef_def(&mut self, id: u32, lvl: usize) {
        let target = self.info(id).target;
        let (name, dup) = self.resolve_name(id, true);
        // Old GCC emits `__gnuc_va_list` as a typedef of void.
        if target == 0 && name == b"__gnuc_va_list" && dup <= 1 {
            self.p("typedef __builtin_va_list __gnuc_va_list");
            return;
        }
        self.p("typedef ");
        if dup > 1 {
            let mut full = name.to_vec();
            full.extend_from_slice(format!("___{dup}").as_bytes());
            self.emit_type_decl(target, &full, lvl);
        } else {
            self.emit_type_decl(target, name, lvl);
        }
    }

    /// libbpf's `btf_dump_emit_type_decl`: the declaration of something of
    /// type `id` called `fname` (empty for none).
    fn emit_type_decl(&mut self, mut id: u32, fname: &[u8], lvl: usize) {
        if self.depth > MAX_DEPTH {
            self.fail(CodegenError::TooDeep(TypeId(id)));
            return;
        }
        self.depth += 1;
        let base = self.decl_stack.len();
        loop {
            self.decl_stack.push(id);
            if id == 0 {
                break;
            }
            if self.decl_stack.len() - base > MAX_DEPTH {
                self.fail(CodegenError::TooDeep(TypeId(id)));
                self.decl_stack.truncate(base);
                self.depth -= 1;
                return;
            }
            let t = self.info(id);
            match t.kind {
                PTR | VOLATILE | CONST | RESTRICT | TYPE_TAG | FUNC_PROTO | ARRAY => id = t.target,
                _ => break,
            }
        }
        let mut frame = Frame {
            base,
            cnt: self.decl_stack.len() - base,
        };
        self.emit_type_chain(&mut frame, fname, lvl);
        self.decl_stack.truncate(base);
        self.depth -= 1;
    }

    fn top(&self, f: &Frame) -> Option<u32> {
        let i = f.cnt.checked_sub(1)?;
        self.decl_stack.get(f.base + i).copied()
    }

    /// Writes the `const`/`volatile`/`restrict` on top of the stack.
    fn emit_mods(&mut self, f: &mut Frame) {
        while let Some(id) = self.top(f) {
            match self.info(id).kind {
                VOLATILE if id != 0 => self.p("volatile "),
                CONST if id != 0 => self.p("const "),
                RESTRICT if id != 0 => self.p("restrict "),
                _ => return,
            }
            f.cnt -= 1;
        }
    }

    /// Drops the modifiers on top of the stack (arrays and functions
    /// cannot be qualified; GCC emits such qualifiers all the same).
    fn drop_mods(&mut self, f: &mut Frame) {
        while let Some(id) = self.top(f) {
            match self.info(id).kind {
                VOLATILE | CONST | RESTRICT | TYPE_TAG if id != 0 => f.cnt -= 1,
                _ => return,
            }
        }
    }

    fn emit_name(&mut self, name: &[u8], last_was_ptr: bool) {
        if !name.is_empty() && !last_was_ptr {
            self.p(" ");
        }
        self.pb(name);
    }

    /// libbpf's `btf_dump_emit_type_chain`: the stacked chain, innermost
    /// type first, in C's inside-out declarator syntax.
    fn emit_type_chain(&mut self, f: &mut Frame, fname: &[u8], lvl: usize) {
        // Whether a `*` was just written (`int **p`, not `int * * p`).
        let mut last_was_ptr = true;
        while let Some(id) = self.top(f) {
            f.cnt -= 1;
            if id == 0 {
                self.emit_mods(f);
                self.p("void");
                last_was_ptr = false;
                continue;
            }
            let t = self.info(id);
            match t.kind {
                INT | FLOAT => {
                    self.emit_mods(f);
                    let name = self.name(t.name_off);
                    self.pb(name);
                }
                STRUCT | UNION => {
                    self.emit_mods(f);
                    if t.name_off != 0 {
                        self.emit_struct_fwd(id);
                    } else {
                        // Anonymous: defined inline.
                        self.emit_struct_def(id, lvl);
                    }
                }
                ENUM | ENUM64 => {
                    self.emit_mods(f);
                    if t.name_off != 0 {
                        self.p("enum ");
                        self.put_type_name(id);
                    } else {
                        self.emit_enum_def(id, lvl);
                    }
                }
                FWD => {
                    self.emit_mods(f);
                    self.emit_fwd_def(id);
                }
                TYPEDEF => {
                    self.emit_mods(f);
                    self.put_ident_name(id);
                }
                PTR => self.p(if last_was_ptr { "*" } else { " *" }),
                VOLATILE => self.p(" volatile"),
                CONST => self.p(" const"),
                RESTRICT => self.p(" restrict"),
                TYPE_TAG => {
                    self.emit_mods(f);
                    self.p(" __attribute__((btf_type_tag(\"");
                    let name = self.name(t.name_off);
                    self.pb(name);
                    self.p("\")))");
                }
                ARRAY => {
                    self.drop_mods(f);
                    let len = rd(self.rec(id), 20);
                    let Some(next) = self.top(f) else {
                        self.emit_name(fname, last_was_ptr);
                        self.array_dim(len);
                        return;
                    };
                    let multidim = next != 0 && self.info(next).kind == ARRAY;
                    if !fname.is_empty() && !last_was_ptr {
                        self.p(" ");
                    }
                    if !multidim {
                        self.p("(");
                    }
                    self.emit_type_chain(f, fname, lvl);
                    if !multidim {
                        self.p(")");
                    }
                    self.array_dim(len);
                    return;
                }
                FUNC_PROTO => {
                    self.drop_mods(f);
                    if f.cnt > 0 {
                        self.p(" (");
                        self.emit_type_chain(f, fname, lvl);
                        self.p(")");
                    } else {
                        self.emit_name(fname, last_was_ptr);
                    }
                    self.p("(");
                    let n = usize::from(t.vlen);
                    let first_is_void = self.params(id).next().is_some_and(|(_, ty)| ty == 0);
                    // No parameters, or clang's single `void` one.
                    if n == 0 || (n == 1 && first_is_void) {
                        self.p("void)");
                        return;
                    }
                    for (i, (name, ty)) in self.params(id).enumerate() {
                        if i > 0 {
                            self.p(", ");
                        }
                        // A last parameter of type void means `...`.
                        if i == n - 1 && ty == 0 {
                            self.p("...");
                            break;
                        }
                        let pname = self.name(name);
                        self.emit_type_decl(ty, pname, lvl);
                    }
                    self.p(")");
                    return;
                }
                // FUNC, VAR, DATASEC, DECL_TAG: not part of a declarator
                // (libbpf warns and stops).
                _ => return,
            }
            last_was_ptr = t.kind == PTR;
        }
        self.emit_name(fname, last_was_ptr);
    }

    fn array_dim(&mut self, len: u32) {
        self.p("[");
        self.num_u(u64::from(len));
        self.p("]");
    }

    /// libbpf's `btf_dump_resolve_name`: the name `id` is printed with, as
    /// (original name, occurrence number); a number above 1 is printed as
    /// a `___N` suffix. The first use of a name decides the numbering.
    fn resolve_name(&mut self, id: u32, ident: bool) -> (&'b [u8], u32) {
        let t = self.info(id);
        if t.name_off == 0 {
            return (b"", 1);
        }
        let orig = self.name(t.name_off);
        let s = *self.st(id);
        if s.name_resolved {
            return (orig, s.dup);
        }
        // Forward declarations and empty enums may repeat freely.
        let free = t.kind == FWD || (t.kind == ENUM && t.vlen == 0);
        let dup = if free {
            1
        } else {
            let map = if ident {
                &mut self.ident_names
            } else {
                &mut self.type_names
            };
            bump(map, orig)
        };
        let s = self.st(id);
        s.name_resolved = true;
        s.dup = dup;
        (orig, dup)
    }

    fn put_resolved(&mut self, id: u32, ident: bool) {
        let (name, dup) = self.resolve_name(id, ident);
        self.pb(name);
        if dup > 1 {
            self.p("___");
            self.num_u(u64::from(dup));
        }
    }

    fn put_type_name(&mut self, id: u32) {
        self.put_resolved(id, false);
    }

    fn put_ident_name(&mut self, id: u32) {
        self.put_resolved(id, true);
    }
}

/// Counts one more occurrence of `name`; returns the count.
fn bump<'b>(map: &mut NameMap<'b>, name: &'b [u8]) -> u32 {
    let n = map.entry(name).or_insert(0);
    *n += 1;
    *n
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{BtfBuilder, IntEncoding, MemberSpec};

    fn header(b: BtfBuilder) -> String {
        let btf = Btf::parse_owned(b.to_bytes().unwrap()).unwrap();
        let mut out = Vec::new();
        let mut d = CDumper::new(&btf).unwrap();
        for id in btf.ids() {
            d.dump_type(id, &mut out).unwrap();
        }
        String::from_utf8(out).unwrap()
    }

    fn m(name: &str, ty: TypeId, bit_offset: u32, bitfield_size: u8) -> MemberSpec<'_> {
        MemberSpec {
            name,
            ty,
            bit_offset,
            bitfield_size,
        }
    }

    #[test]
    // Expected outputs are bpftool 7.1's for the same BTF.
    fn padding_and_packed() {
        let mut b = BtfBuilder::new();
        let ch = b.add_int("char", 1, IntEncoding::Signed);
        let int = b.add_int("int", 4, IntEncoding::Signed);
        let long = b.add_int("long", 8, IntEncoding::Signed);
        // A hole the compiler would not leave, and a packed member.
        b.add_struct("holes", 24, &[m("c", ch, 0, 0), m("l", long, 128, 0)])
            .unwrap();
        b.add_struct("packed", 5, &[m("c", ch, 0, 0), m("i", int, 8, 0)])
            .unwrap();
        b.add_struct("bits", 8, &[m("a", int, 0, 3), m("b", int, 35, 4)])
            .unwrap();
        assert_eq!(
            header(b),
            "struct holes {\n\tchar c;\n\tlong: 64;\n\tlong l;\n};\n\n\
             struct packed {\n\tchar c;\n\tint i;\n} __attribute__((packed));\n\n\
             struct bits {\n\tint a: 3;\n\tint: 29;\n\tchar: 3;\n\tint b: 4;\n};\n\n"
        );
    }

    #[test]
    fn duplicate_names_and_anonymous_enums() {
        let mut b = BtfBuilder::new();
        let int = b.add_int("int", 4, IntEncoding::Signed);
        b.add_struct("dup", 4, &[m("a", int, 0, 0)]).unwrap();
        b.add_struct("dup", 4, &[m("b", int, 0, 0)]).unwrap();
        b.add_enum("", 4, false, false, &[("X", 1)]).unwrap();
        b.add_enum("", 4, false, false, &[("X", 2)]).unwrap();
        assert_eq!(
            header(b),
            "struct dup {\n\tint a;\n};\n\nstruct dup___2 {\n\tint b;\n};\n\n\
             enum {\n\tX = 1,\n};\n\nenum {\n\tX___2 = 2,\n};\n\n"
        );
    }

    #[test]
    fn cycles_are_errors_not_overflows() {
        // An anonymous struct holding a pointer to itself: unsatisfiable.
        let mut b = BtfBuilder::new();
        let me = TypeId(b.next_id().0 + 1);
        let ptr = b.add_ptr(me);
        assert_eq!(b.add_struct("", 8, &[m("p", ptr, 0, 0)]).unwrap(), me);
        let btf = Btf::parse_owned(b.to_bytes().unwrap()).unwrap();
        let mut d = CDumper::new(&btf).unwrap();
        let err = d.dump_type(ptr, &mut Vec::new()).unwrap_err();
        assert!(
            matches!(err, CodegenError::TypeCycle(id) if id == me),
            "{err}"
        );

        // A const loop: too deep, not a stack overflow.
        let mut b = BtfBuilder::new();
        let next = b.next_id();
        b.add_const(TypeId(next.0 + 1));
        b.add_const(next);
        let btf = Btf::parse_owned(b.to_bytes().unwrap()).unwrap();
        let mut d = CDumper::new(&btf).unwrap();
        let err = d.dump_type(next, &mut Vec::new()).unwrap_err();
        assert!(matches!(err, CodegenError::TooDeep(_)), "{err}");
    }

    #[test]
    fn deep_and_looping_btf_is_an_error_not_a_crash() {
        // 2000 structs, each embedding the next: too deep, reported.
        let mut b = BtfBuilder::new();
        let int = b.add_int("int", 4, IntEncoding::Signed);
        let mut inner = b.add_struct("s2000", 4, &[m("x", int, 0, 0)]).unwrap();
        for i in (0..2000).rev() {
            let name = format!("s{i}");
            inner = b.add_struct(&name, 4, &[m("x", inner, 0, 0)]).unwrap();
        }
        let btf = Btf::parse_owned(b.to_bytes().unwrap()).unwrap();
        // In id order each struct needs only the one before it ...
        write_header(&btf, &mut Vec::new()).unwrap();
        // ... but the outermost first needs all 2000 at once.
        let mut d = CDumper::new(&btf).unwrap();
        let err = d.dump_type(inner, &mut Vec::new()).unwrap_err();
        assert!(matches!(err, CodegenError::TooDeep(_)), "{err}");

        // Loops through every kind that can refer to another.
        let mut b = BtfBuilder::new();
        let first = b.next_id().0;
        let next = |k: u32| TypeId(first + k);
        b.add_ptr(next(1));
        b.add_typedef("t", next(2));
        b.add_volatile(next(3));
        b.add_restrict(next(4));
        b.add_type_tag("tag", next(5));
        b.add_array(next(6), next(0), 2);
        b.add_func_proto(next(0), &[("p", next(6))]).unwrap();
        let btf = Btf::parse_owned(b.to_bytes().unwrap()).unwrap();
        for id in btf.ids() {
            let mut d = CDumper::new(&btf).unwrap();
            let mut out = Vec::new();
            let r = d.dump_type(id, &mut out);
            let out = String::from_utf8_lossy(&out);
            assert!(
                matches!(r, Err(CodegenError::TooDeep(_))),
                "[{id}]: {r:?} {out}"
            );
        }
    }
}
