//! Generates a local and a target BTF and CO-RE relocation records from
//! bytes, relocates them, and checks what must hold whatever the input.
//! Shared by the fuzz target (`fuzz/fuzz_targets/core_relocate.rs`) and
//! the deterministic test `tests/core_fuzz.rs`, which include this file
//! with `#[path = "..."] mod core_gen;`.
//!
//! The local BTF is a random set of types; the target is a mutation of it
//! (members moved, resized, renamed, dropped or reordered, enumerators
//! changed, flavors added), so that most relocations find candidates.
//! Access strings mostly walk real paths through the local types; some
//! are garbage. A check panics if relocation panics, or if two ways of
//! computing the same thing disagree: the candidate index against libbpf's
//! scan of every type, and the member tables against libbpf's
//! member-by-member scan.
#![allow(dead_code)]

use std::collections::HashMap;

use oxbpf_btf::ext::CoreRelo;
use oxbpf_btf::{Btf, BtfBuilder, IntEncoding, MemberSpec, StrOffset, Type, TypeId};
use oxbpf_loader::core::{
    describe, kind_str, patch_insn, scan_candidates, CandidateIndex, CoreError, Relocator, Target,
};
use oxbpf_loader::insn::Insn;

/// Reads the input a byte at a time; zeros once it is exhausted.
pub struct Bytes<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> Bytes<'a> {
    pub fn new(data: &'a [u8]) -> Self {
        Bytes { data, pos: 0 }
    }

    pub fn u8(&mut self) -> u8 {
        let b = self.data.get(self.pos).copied().unwrap_or(0);
        self.pos += 1;
        b
    }

    /// A number below `n` (`n` > 0).
    pub fn below(&mut self, n: usize) -> usize {
        usize::from(self.u8()) % n
    }

    /// True with probability 1/`n`.
    pub fn one_in(&mut self, n: usize) -> bool {
        self.below(n) == 0
    }
}

/// Names: plain, flavored, anonymous, and namesakes across both BTFs.
const NAMES: &[&str] = &[
    "s",
    "s___v1",
    "s___v2",
    "t",
    "a",
    "b",
    "c",
    "x",
    "",
    "e",
    "E1",
    "E1___f",
    "u",
    "long",
    "int",
    "char",
    "s___",
    "___s",
    "a___b___c",
    "y",
];

fn name(b: &mut Bytes<'_>) -> &'static str {
    NAMES[b.below(NAMES.len())]
}

/// A type to build; references are indices into the list (0 is void,
/// entry `i` is type `i + 1`).
#[derive(Clone, Debug)]
enum Desc {
    Int(&'static str, u32, IntEncoding, u8, u8),
    Ptr(usize),
    Array(usize, u32),
    Comp {
        union: bool,
        name: &'static str,
        size: u32,
        members: Vec<(&'static str, usize, u32, u8)>,
    },
    Enum(&'static str, u32, bool, bool, Vec<(&'static str, u64)>),
    Typedef(&'static str, usize),
    Const(usize),
    Fwd(&'static str, bool),
    Proto(usize, Vec<usize>),
}

fn gen_descs(b: &mut Bytes<'_>) -> Vec<Desc> {
    let n = 1 + b.below(16);
    let mut d = Vec::with_capacity(n);
    for i in 0..n {
        // References go to earlier types (or void), so everything exists.
        let r = |b: &mut Bytes<'_>| b.below(i + 1);
        d.push(match b.below(12) {
            0 | 1 => {
                let enc = [
                    IntEncoding::Signed,
                    IntEncoding::Unsigned,
                    IntEncoding::Char,
                ][b.below(3)];
                let (off, bits) = if b.one_in(16) {
                    (b.below(4) as u8, 1 + b.below(8) as u8)
                } else {
                    (0, 0)
                };
                Desc::Int(name(b), [1, 2, 4, 8][b.below(4)], enc, off, bits)
            }
            2 => Desc::Ptr(r(b)),
            3 => Desc::Array(r(b), b.below(5) as u32),
            4..=7 => {
                let m = b.below(6);
                let members = (0..m)
                    .map(|j| {
                        let bits = if b.one_in(4) {
                            1 + b.below(12) as u8
                        } else {
                            0
                        };
                        let off = (j * 64 + b.below(8) * 8 + if bits > 0 { b.below(8) } else { 0 })
                            as u32;
                        (name(b), r(b), off, bits)
                    })
                    .collect();
                Desc::Comp {
                    union: b.one_in(4),
                    name: name(b),
                    size: (m as u32 + 1) * 8,
                    members,
                }
            }
            8 => {
                let is64 = b.one_in(2);
                let vals = (0..1 + b.below(4))
                    .map(|_| (name(b), (b.u8() as u64) << (8 * b.below(8))))
                    .collect();
                Desc::Enum(name(b), if is64 { 8 } else { 4 }, b.one_in(2), is64, vals)
            }
            9 => Desc::Typedef(name(b), r(b)),
            10 => {
                if b.one_in(2) {
                    Desc::Const(r(b))
                } else {
                    Desc::Fwd(name(b), b.one_in(2))
                }
            }
            _ => Desc::Proto(r(b), (0..b.below(3)).map(|_| r(b)).collect()),
        });
    }
    d
}

/// The target: the local types, changed here and there.
fn mutate(b: &mut Bytes<'_>, descs: &[Desc]) -> Vec<Desc> {
    let flavor = |b: &mut Bytes<'_>, n: &'static str| -> &'static str {
        if b.one_in(6) {
            name(b)
        } else if b.one_in(5) && !n.is_empty() {
            // Only names of NAMES can be flavored without allocating.
            match n {
                "s" => "s___v1",
                "E1" => "E1___f",
                _ => n,
            }
        } else {
            n
        }
    };
    descs
        .iter()
        .map(|d| match d.clone() {
            Desc::Int(n, size, enc, off, bits) => {
                let size = if b.one_in(4) {
                    [1, 2, 4, 8][b.below(4)]
                } else {
                    size
                };
                let enc = if b.one_in(5) {
                    IntEncoding::Unsigned
                } else {
                    enc
                };
                Desc::Int(flavor(b, n), size, enc, off, bits)
            }
            Desc::Array(e, len) => {
                Desc::Array(e, if b.one_in(3) { b.below(6) as u32 } else { len })
            }
            Desc::Comp {
                union,
                name: n,
                size,
                mut members,
            } => {
                if b.one_in(3) && !members.is_empty() {
                    let i = b.below(members.len());
                    members.remove(i);
                }
                if b.one_in(3) {
                    members.reverse();
                }
                for m in &mut members {
                    if b.one_in(3) {
                        m.2 = m.2.wrapping_add((b.below(5) as u32) * 8) % 4096;
                    }
                    if b.one_in(8) {
                        m.0 = name(b);
                    }
                    if m.3 > 0 && b.one_in(3) {
                        m.3 = 1 + b.below(12) as u8;
                    }
                }
                Desc::Comp {
                    union,
                    name: flavor(b, n),
                    size: size + 8 * b.below(3) as u32,
                    members,
                }
            }
            Desc::Enum(n, size, signed, is64, mut vals) => {
                if b.one_in(3) && !vals.is_empty() {
                    let i = b.below(vals.len());
                    vals.remove(i);
                }
                for v in &mut vals {
                    if b.one_in(3) {
                        v.1 = v.1.wrapping_add(b.u8() as u64);
                    }
                }
                let is64 = if b.one_in(4) { !is64 } else { is64 };
                Desc::Enum(
                    flavor(b, n),
                    if is64 { 8 } else { size.min(4) },
                    signed,
                    is64,
                    vals,
                )
            }
            Desc::Typedef(n, t) => Desc::Typedef(flavor(b, n), t),
            other => other,
        })
        .collect()
}

fn build(descs: &[Desc], extra_strings: &[String]) -> Option<(Btf<'static>, Vec<StrOffset>)> {
    let mut bb = BtfBuilder::new();
    let id = |i: usize| TypeId(i as u32);
    for d in descs {
        match d {
            Desc::Int(n, size, enc, off, bits) => {
                if *bits > 0 {
                    bb.add_int_bits(n, *size, *enc, *off, *bits);
                } else {
                    bb.add_int(n, *size, *enc);
                }
            }
            Desc::Ptr(t) => {
                bb.add_ptr(id(*t));
            }
            Desc::Array(e, len) => {
                bb.add_array(id(*e), id(0), *len);
            }
            Desc::Comp {
                union,
                name,
                size,
                members,
            } => {
                let ms: Vec<MemberSpec<'_>> = members
                    .iter()
                    .map(|&(n, t, off, bits)| MemberSpec {
                        name: n,
                        ty: id(t),
                        bit_offset: off,
                        bitfield_size: bits,
                    })
                    .collect();
                if *union {
                    bb.add_union(name, *size, &ms).ok()?;
                } else {
                    bb.add_struct(name, *size, &ms).ok()?;
                }
            }
            Desc::Enum(n, size, signed, is64, vals) => {
                bb.add_enum(n, *size, *signed, *is64, vals).ok()?;
            }
            Desc::Typedef(n, t) => {
                bb.add_typedef(n, id(*t));
            }
            Desc::Const(t) => {
                bb.add_const(id(*t));
            }
            Desc::Fwd(n, u) => {
                bb.add_fwd(n, *u);
            }
            Desc::Proto(ret, params) => {
                let ps: Vec<(&str, TypeId)> = params.iter().map(|&p| ("", id(p))).collect();
                bb.add_func_proto(id(*ret), &ps).ok()?;
            }
        }
    }
    let offs = extra_strings.iter().map(|s| bb.add_string(s)).collect();
    let btf = Btf::parse_owned(bb.to_bytes().ok()?).ok()?;
    Some((btf, offs))
}

/// An access string walking type `root` of `btf` (or garbage now and
/// then), and a relocation kind that fits it.
fn gen_access(b: &mut Bytes<'_>, btf: &Btf<'_>, root: TypeId) -> (String, u32) {
    if b.one_in(12) {
        let junk = [
            "",
            ":1",
            "0:-1",
            "0::1",
            "x",
            "0:",
            "99999999999",
            "1:2:3:4:5:6:7:8:9",
        ];
        return (junk[b.below(junk.len())].to_string(), b.below(15) as u32);
    }
    let resolved = btf.resolve_type(root).ok();
    match resolved.map(|(_, t)| t) {
        Some(Type::Enum(e) | Type::Enum64(e)) if b.one_in(2) => {
            let i = b.below(e.len().max(1) + 1);
            return (i.to_string(), 10 + b.below(2) as u32);
        }
        _ => {}
    }
    if b.one_in(4) {
        let kinds = [6, 7, 8, 9, 12];
        return ("0".into(), kinds[b.below(kinds.len())]);
    }
    let mut comps = vec![if b.one_in(8) { 1 } else { 0 }];
    let mut cur = root;
    for _ in 0..1 + b.below(5) {
        let Ok((_, t)) = btf.resolve_type(cur) else {
            break;
        };
        match t {
            Type::Struct(c) | Type::Union(c) if !c.is_empty() => {
                let i = b.below(c.len());
                comps.push(i);
                cur = c.members().nth(i).map_or(TypeId::VOID, |m| m.ty);
            }
            Type::Array(a) => {
                comps.push(b.below(a.len as usize + 2));
                cur = a.elem;
            }
            _ => break,
        }
    }
    let s = comps
        .iter()
        .map(|c| c.to_string())
        .collect::<Vec<_>>()
        .join(":");
    (s, b.below(6) as u32)
}

/// Runs one input: generates, relocates both ways, checks.
pub fn check_core(data: &[u8]) {
    let mut b = Bytes::new(data);
    let local_descs = gen_descs(&mut b);
    let target_descs = mutate(&mut b, &local_descs);
    let Some((probe, _)) = build(&local_descs, &[]) else {
        return;
    };
    let n = local_descs.len();
    let mut relos = Vec::new();
    let mut accesses = Vec::new();
    let named: Vec<u32> = (1..=n as u32)
        .filter(|&i| !probe.name_of(TypeId(i)).is_empty())
        .collect();
    for i in 0..1 + b.below(12) {
        let root = TypeId(if b.one_in(16) {
            b.below(n + 3) as u32
        } else if !named.is_empty() && !b.one_in(6) {
            named[b.below(named.len())]
        } else {
            1 + b.below(n) as u32
        });
        let (acc, kind) = gen_access(&mut b, &probe, root);
        accesses.push(acc);
        relos.push((i, root, kind));
    }
    // Same types, with the access strings added to the strings.
    let Some((local, offs)) = build(&local_descs, &accesses) else {
        return;
    };
    let Some((target, _)) = build(&target_descs, &[]) else {
        return;
    };
    let relos: Vec<CoreRelo> = relos
        .iter()
        .zip(&offs)
        .map(|(&(i, root, kind), &off)| CoreRelo {
            insn_off: (i * 8) as u32,
            type_id: root,
            access_str_off: off,
            kind,
        })
        .collect();
    let index = CandidateIndex::build(&target);
    let t = Target {
        btf: &target,
        name: "target",
        index: &index,
    };
    // Candidate index == libbpf's scan.
    for r in &relos {
        if let Some(lt) = local.type_by_id(r.type_id) {
            let kind = if r.type_id == TypeId::VOID {
                0
            } else {
                local.raw_kind(r.type_id)
            };
            let found: Vec<_> = index.find(&target, lt.name(), kind).collect();
            assert_eq!(
                found,
                scan_candidates(&target, lt.name(), kind),
                "candidates of {}",
                lt.name()
            );
        }
    }
    let mut tables = Relocator::new(&local, t);
    let mut scan = Relocator::new(&local, t).scan_members();
    let mut stats: HashMap<&str, usize> = HashMap::new();
    for r in &relos {
        let a = tables.calc(r);
        let c = scan.calc(r);
        let tag = match &a {
            Ok(x) if x.target_spec.is_some() => "matched",
            Ok(x) if x.result.poison => "poisoned",
            Ok(_) => "no match",
            Err(CoreError::Spec { .. }) => "bad access",
            Err(CoreError::Anonymous { .. }) => "anonymous",
            Err(CoreError::UnknownKind(_)) => "unknown kind",
            Err(_) => "other error",
        };
        *stats.entry(tag).or_default() += 1;
        match (&a, &c) {
            (Ok(x), Ok(y)) => {
                assert_eq!(x.result, y.result, "results differ for {r:?}");
                let xs = x
                    .target_spec
                    .as_ref()
                    .map(|s| (s.raw.to_vec(), s.bit_offset, s.to_string()));
                let ys = y
                    .target_spec
                    .as_ref()
                    .map(|s| (s.raw.to_vec(), s.bit_offset, s.to_string()));
                assert_eq!(xs, ys, "target specs differ for {r:?}");
                let _ = (x.local_spec.to_string(), x.local_spec.c_access());
                // Patching any instruction must not panic.
                let mut insns = [
                    Insn::new(
                        b.u8(),
                        b.u8() & 0xf,
                        b.u8() & 0xf,
                        i16::from(b.u8()),
                        i32::from(b.u8()),
                    ),
                    Insn::new(b.u8() & 1, 0, 0, 0, 7),
                ];
                let _ = patch_insn(&mut insns, 0, &x.result);
                let _ = patch_insn(&mut insns, 1, &x.result);
            }
            (Err(x), Err(y)) => assert_eq!(
                std::mem::discriminant(x),
                std::mem::discriminant(y),
                "errors differ for {r:?}: {x} / {y}"
            ),
            _ => panic!("one way fails, the other not, for {r:?}: {a:?} / {c:?}"),
        }
        let _ = describe(&local, r);
        let _ = kind_str(r.kind as u8);
    }
    // The candidate lists were pruned the same way.
    for r in &relos {
        let x = tables
            .candidates(r.type_id)
            .map(|c| c.iter().map(|c| c.id).collect::<Vec<_>>());
        let y = scan
            .candidates(r.type_id)
            .map(|c| c.iter().map(|c| c.id).collect::<Vec<_>>());
        assert_eq!(x.ok(), y.ok());
    }
    if std::env::var_os("OXBPF_CORE_FUZZ_STATS").is_some() {
        for (k, v) in stats {
            eprintln!("STAT {k} {v}");
        }
    }
}
