//! Unit tests of the relocation engine on small hand-built BTFs: the
//! corners clang-built objects rarely reach (anonymous members, flexible
//! arrays, several candidates, pruning, the compatibility relations,
//! errors).

use oxbpf_btf::ext::CoreRelo;
use oxbpf_btf::{Btf, BtfBuilder, IntEncoding, Linkage, MemberSpec, StrOffset, TypeId};

use super::*;
use crate::insn::{op, Insn, Reg};

fn m(name: &str, ty: TypeId, bit_offset: u32) -> MemberSpec<'_> {
    MemberSpec {
        name,
        ty,
        bit_offset,
        bitfield_size: 0,
    }
}

fn bf(name: &str, ty: TypeId, bit_offset: u32, bits: u8) -> MemberSpec<'_> {
    MemberSpec {
        name,
        ty,
        bit_offset,
        bitfield_size: bits,
    }
}

fn relo(type_id: TypeId, access: StrOffset, kind: ReloKind) -> CoreRelo {
    CoreRelo {
        insn_off: 0,
        type_id,
        access_str_off: access,
        kind: kind.raw(),
    }
}

fn parse(b: &BtfBuilder) -> Btf<'static> {
    Btf::parse_owned(b.to_bytes().unwrap()).unwrap()
}

/// Computes `r` of `local` against every candidate of its type in
/// `target`.
fn calc<'a>(
    local: &'a Btf<'a>,
    target: &'a Btf<'a>,
    index: &'a CandidateIndex,
    r: &CoreRelo,
) -> Result<ReloOutcome<'a>, CoreError> {
    let t = Target {
        btf: target,
        name: "target",
        index,
    };
    Relocator::new(local, t).calc(r)
}

/// Local: `struct s { int a; int b; int arr[4]; int tail[]; }` plus
/// access strings.
struct Local {
    btf: Btf<'static>,
    s: TypeId,
    int: TypeId,
    acc: Vec<StrOffset>,
}

fn local_s(accesses: &[&str]) -> Local {
    let mut b = BtfBuilder::new();
    let int = b.add_int("int", 4, IntEncoding::Signed);
    let idx = b.add_int("__ARRAY_SIZE_TYPE__", 4, IntEncoding::Unsigned);
    let arr = b.add_array(int, idx, 4);
    let tail = b.add_array(int, idx, 0);
    let s = b
        .add_struct(
            "s",
            24,
            &[
                m("a", int, 0),
                m("b", int, 32),
                m("arr", arr, 64),
                m("tail", tail, 192),
            ],
        )
        .unwrap();
    let acc = accesses.iter().map(|a| b.add_string(a)).collect();
    Local {
        btf: parse(&b),
        s,
        int,
        acc,
    }
}

#[test]
fn members_inside_anonymous_members_are_found() {
    let l = local_s(&["0:1"]);
    // Target: struct s { long pad; union { struct { char c; int b; }; long x; }; }
    let mut b = BtfBuilder::new();
    let int = b.add_int("int", 4, IntEncoding::Signed);
    let long = b.add_int("long", 8, IntEncoding::Signed);
    let chr = b.add_int("char", 1, IntEncoding::Signed);
    let inner = b
        .add_struct("", 8, &[m("c", chr, 0), m("b", int, 32)])
        .unwrap();
    let un = b
        .add_union("", 8, &[m("", inner, 0), m("x", long, 0)])
        .unwrap();
    let s = b
        .add_struct("s", 16, &[m("pad", long, 0), m("", un, 64)])
        .unwrap();
    let target = parse(&b);
    let index = CandidateIndex::build(&target);
    let out = calc(
        &l.btf,
        &target,
        &index,
        &relo(l.s, l.acc[0], ReloKind::FieldByteOffset),
    )
    .unwrap();
    let ts = out.target_spec.unwrap();
    assert_eq!(ts.root_type_id, s);
    assert_eq!(ts.raw, [0, 1, 0, 1], "through both anonymous members");
    assert_eq!(ts.bit_offset, 64 + 32);
    assert_eq!(out.result.new_val, 12);
    assert_eq!(out.result.orig_val, 4);
    assert_eq!(ts.accessors.len(), 2, "only the named field is high-level");
    assert_eq!(
        ts.to_string(),
        "<byte_off> [6] struct s.b (0:1:0:1 @ offset 12)"
    );
}

#[test]
fn incompatible_namesake_in_anonymous_member_keeps_libbpf_quirk() {
    // libbpf's bpf_core_match_member leaves the raw index and offset of a
    // same-named but incompatible member inside an anonymous member in the
    // spec when it goes on searching; the result has them too.
    let l = local_s(&["0:1"]);
    let mut b = BtfBuilder::new();
    let int = b.add_int("int", 4, IntEncoding::Signed);
    let inner_s = b.add_struct("inner", 4, &[m("x", int, 0)]).unwrap();
    // `b` here is a struct: incompatible with the local int.
    let anon = b.add_struct("", 4, &[m("b", inner_s, 0)]).unwrap();
    b.add_struct("s", 12, &[m("", anon, 32), m("b", int, 64)])
        .unwrap();
    let target = parse(&b);
    let index = CandidateIndex::build(&target);
    let out = calc(
        &l.btf,
        &target,
        &index,
        &relo(l.s, l.acc[0], ReloKind::FieldByteOffset),
    )
    .unwrap();
    let ts = out.target_spec.unwrap();
    // [0, 0 (anon, popped by the caller), 0 (stale `b`), 1 (`b`)]: the
    // anonymous member's own index is undone, the inner one is not.
    assert_eq!(ts.raw, [0, 0, 1]);
    assert_eq!(ts.bit_offset, 64, "the stale inner offset was 0");
}

#[test]
fn flexible_arrays() {
    let l = local_s(&["0:3:5", "0:2:5"]);
    // Target: tail is still flexible and last; arr has 8 elements.
    let mut b = BtfBuilder::new();
    let int = b.add_int("int", 4, IntEncoding::Signed);
    let idx = b.add_int("__ARRAY_SIZE_TYPE__", 4, IntEncoding::Unsigned);
    let arr = b.add_array(int, idx, 8);
    let tail = b.add_array(int, idx, 0);
    b.add_struct("s", 40, &[m("arr", arr, 0), m("tail", tail, 320)])
        .unwrap();
    let target = parse(&b);
    let index = CandidateIndex::build(&target);
    let tail5 = calc(
        &l.btf,
        &target,
        &index,
        &relo(l.s, l.acc[0], ReloKind::FieldByteOffset),
    )
    .unwrap();
    assert_eq!(tail5.result.new_val, 40 + 20);
    assert_eq!(tail5.result.orig_val, 24 + 20);
    assert_eq!((tail5.result.orig_sz, tail5.result.new_sz), (4, 4));
    // arr[5]: out of the local array's bounds: the local spec fails.
    let err = calc(
        &l.btf,
        &target,
        &index,
        &relo(l.s, l.acc[1], ReloKind::FieldByteOffset),
    )
    .unwrap_err();
    assert!(
        matches!(
            err,
            CoreError::Spec {
                reason: SpecError::ArrayIndex {
                    index: 5,
                    len: 4,
                    ..
                },
                ..
            }
        ),
        "{err:?}"
    );

    // A target where tail has 3 elements: tail[5] does not fit, poison.
    let mut b = BtfBuilder::new();
    let int = b.add_int("int", 4, IntEncoding::Signed);
    let idx = b.add_int("__ARRAY_SIZE_TYPE__", 4, IntEncoding::Unsigned);
    let tail = b.add_array(int, idx, 3);
    b.add_struct("s", 12, &[m("tail", tail, 0)]).unwrap();
    let target = parse(&b);
    let index = CandidateIndex::build(&target);
    let out = calc(
        &l.btf,
        &target,
        &index,
        &relo(l.s, l.acc[0], ReloKind::FieldByteOffset),
    )
    .unwrap();
    assert!(out.result.poison && out.target_spec.is_none());
    // A zero-length array that is not the last member is not flexible.
    let mut b = BtfBuilder::new();
    let int = b.add_int("int", 4, IntEncoding::Signed);
    let idx = b.add_int("__ARRAY_SIZE_TYPE__", 4, IntEncoding::Unsigned);
    let tail = b.add_array(int, idx, 0);
    b.add_struct("s", 8, &[m("tail", tail, 0), m("z", int, 0)])
        .unwrap();
    let target = parse(&b);
    let index = CandidateIndex::build(&target);
    let out = calc(
        &l.btf,
        &target,
        &index,
        &relo(l.s, l.acc[0], ReloKind::FieldByteOffset),
    )
    .unwrap();
    assert!(out.result.poison);
}

/// A target with `s` and `s___2` where `a` is at offsets `a1` and `a2`,
/// and `b` only in `s___2`.
fn two_candidates(a1: u32, a2: u32, a2_long: bool) -> Btf<'static> {
    let mut b = BtfBuilder::new();
    let int = b.add_int("int", 4, IntEncoding::Signed);
    let long = b.add_int("long", 8, IntEncoding::Signed);
    b.add_struct("s", 16, &[m("a", int, a1)]).unwrap();
    b.add_struct(
        "s___2",
        16,
        &[
            m("a", if a2_long { long } else { int }, a2),
            m("b", int, 96),
        ],
    )
    .unwrap();
    parse(&b)
}

#[test]
fn several_candidates_must_agree() {
    let l = local_s(&["0:0", "0:1"]);
    let r_a = relo(l.s, l.acc[0], ReloKind::FieldByteOffset);
    // Agreeing duplicates (dedup leftovers): fine, both kept.
    let target = two_candidates(32, 32, false);
    let index = CandidateIndex::build(&target);
    let t = Target {
        btf: &target,
        name: "t",
        index: &index,
    };
    let mut rel = Relocator::new(&l.btf, t);
    assert_eq!(rel.calc(&r_a).unwrap().result.new_val, 4);
    assert_eq!(rel.candidates(l.s).unwrap().len(), 2);
    // Different offsets: libbpf's "field offset ambiguity".
    let target = two_candidates(32, 64, false);
    let index = CandidateIndex::build(&target);
    assert_eq!(
        calc(&l.btf, &target, &index, &r_a).unwrap_err(),
        CoreError::OffsetAmbiguity { a: 64, b: 32 }
    );
    // Same offset, different sizes: "relocation decision ambiguity".
    let target = two_candidates(32, 32, true);
    let index = CandidateIndex::build(&target);
    let r = relo(l.s, l.acc[0], ReloKind::FieldByteSize);
    assert!(matches!(
        calc(&l.btf, &target, &index, &r).unwrap_err(),
        CoreError::DecisionAmbiguity { a: 8, b: 4, .. }
    ));
}

#[test]
fn matching_prunes_candidates_for_later_relocations() {
    let l = local_s(&["0:1", "0:0"]);
    let target = two_candidates(0, 64, false);
    let index = CandidateIndex::build(&target);
    let t = Target {
        btf: &target,
        name: "t",
        index: &index,
    };
    let mut rel = Relocator::new(&l.btf, t);
    assert_eq!(rel.candidates(l.s).unwrap().len(), 2);
    // `b` only exists in s___2: the list is pruned to it ...
    let out = rel
        .calc(&relo(l.s, l.acc[0], ReloKind::FieldByteOffset))
        .unwrap();
    assert_eq!(out.result.new_val, 12);
    let cands = rel.candidates(l.s).unwrap();
    assert_eq!(cands.len(), 1);
    assert_eq!(target.name_of(cands[0].id), "s___2");
    // ... so `a` now resolves in s___2 only (no ambiguity with `s`).
    let out = rel
        .calc(&relo(l.s, l.acc[1], ReloKind::FieldByteOffset))
        .unwrap();
    assert_eq!(out.result.new_val, 8);
    // A relocation matching nothing leaves the list alone.
    let l2 = local_s(&["0:2"]);
    let t = Target {
        btf: &target,
        name: "t",
        index: &index,
    };
    let mut rel = Relocator::new(&l2.btf, t);
    let out = rel
        .calc(&relo(l2.s, l2.acc[0], ReloKind::FieldExists))
        .unwrap();
    assert_eq!(out.result.new_val, 0);
    assert_eq!(rel.candidates(l2.s).unwrap().len(), 2);
}

#[test]
fn bitfields() {
    // Local: struct bits { unsigned int lo:4; int mid:7; unsigned long long hi:40; }
    let mut b = BtfBuilder::new();
    let uint = b.add_int("unsigned int", 4, IntEncoding::Unsigned);
    let int = b.add_int("int", 4, IntEncoding::Signed);
    let ull = b.add_int("unsigned long long", 8, IntEncoding::Unsigned);
    let bits = b
        .add_struct(
            "bits",
            16,
            &[
                bf("lo", uint, 0, 4),
                bf("mid", int, 4, 7),
                bf("hi", ull, 64, 40),
            ],
        )
        .unwrap();
    let acc_mid = b.add_string("0:1");
    let acc_hi = b.add_string("0:2");
    let local = parse(&b);
    // Target: mid became unsigned, 9 bits, at bit 28 (crossing into the
    // next u32: a u64 load is needed); hi moved to bit 70.
    let mut b = BtfBuilder::new();
    let uint = b.add_int("unsigned int", 4, IntEncoding::Unsigned);
    let ull = b.add_int("unsigned long long", 8, IntEncoding::Unsigned);
    b.add_struct(
        "bits",
        24,
        &[
            bf("lo", uint, 0, 4),
            bf("mid", uint, 28, 9),
            bf("hi", ull, 70, 40),
        ],
    )
    .unwrap();
    let target = parse(&b);
    let index = CandidateIndex::build(&target);
    let val = |acc, kind| {
        calc(&local, &target, &index, &relo(bits, acc, kind))
            .unwrap()
            .result
    };
    let off = val(acc_mid, ReloKind::FieldByteOffset);
    assert_eq!((off.orig_val, off.new_val), (0, 0));
    assert!(!off.validate, "bitfield offsets are not validated");
    assert_eq!(val(acc_mid, ReloKind::FieldByteSize).new_val, 8);
    assert_eq!(val(acc_mid, ReloKind::FieldLshiftU64).new_val, 64 - 37);
    let r = val(acc_mid, ReloKind::FieldRshiftU64);
    assert_eq!((r.orig_val, r.new_val, r.validate), (57, 55, true));
    let s = val(acc_mid, ReloKind::FieldSigned);
    assert_eq!((s.orig_val, s.new_val, s.validate), (1, 0, true));
    // hi at bit 70, 40 bits: a u64 at byte 8 covers bits 64..128.
    assert_eq!(val(acc_hi, ReloKind::FieldByteOffset).new_val, 8);
    assert_eq!(val(acc_hi, ReloKind::FieldByteSize).new_val, 8);
    assert_eq!(val(acc_hi, ReloKind::FieldLshiftU64).new_val, 64 - 46);
    assert_eq!(val(acc_hi, ReloKind::FieldRshiftU64).new_val, 24);

    // No 64-bit load covers a 40-bit field at bit 100: an error, as libbpf.
    let mut b = BtfBuilder::new();
    let uint = b.add_int("unsigned int", 4, IntEncoding::Unsigned);
    let ull = b.add_int("unsigned long long", 8, IntEncoding::Unsigned);
    b.add_struct(
        "bits",
        24,
        &[
            bf("lo", uint, 0, 4),
            bf("mid", uint, 4, 7),
            bf("hi", ull, 100, 40),
        ],
    )
    .unwrap();
    let target = parse(&b);
    let index = CandidateIndex::build(&target);
    let err = calc(
        &local,
        &target,
        &index,
        &relo(bits, acc_hi, ReloKind::FieldByteOffset),
    )
    .unwrap_err();
    assert!(
        matches!(&err, CoreError::Calc(msg) if msg.contains("can't be satisfied for bitfield")),
        "{err:?}"
    );
}

#[test]
fn memory_size_adjustment() {
    // Local: struct m { long long sl; unsigned long long ul; int *p; }
    let mut b = BtfBuilder::new();
    let ll = b.add_int("long long", 8, IntEncoding::Signed);
    let ull = b.add_int("unsigned long long", 8, IntEncoding::Unsigned);
    let int = b.add_int("int", 4, IntEncoding::Signed);
    let p = b.add_ptr(int);
    let ms = b
        .add_struct("m", 24, &[m("sl", ll, 0), m("ul", ull, 64), m("p", p, 128)])
        .unwrap();
    let acc: Vec<_> = ["0:0", "0:1", "0:2"]
        .iter()
        .map(|a| b.add_string(a))
        .collect();
    let local = parse(&b);
    // A 32-bit target: `long` is 4 bytes, so are pointers; sl and ul are
    // 32-bit `long`s.
    let mut b = BtfBuilder::new();
    let long = b.add_int("long", 4, IntEncoding::Signed);
    let ulong = b.add_int("unsigned long", 4, IntEncoding::Unsigned);
    let int = b.add_int("int", 4, IntEncoding::Signed);
    let p = b.add_ptr(int);
    b.add_struct(
        "m",
        12,
        &[m("sl", long, 0), m("ul", ulong, 32), m("p", p, 64)],
    )
    .unwrap();
    let target = parse(&b);
    let index = CandidateIndex::build(&target);
    assert_eq!(index.pointer_size(), 4);
    let load = |acc, off| {
        let res = calc(
            &local,
            &target,
            &index,
            &relo(ms, acc, ReloKind::FieldByteOffset),
        )
        .unwrap()
        .result;
        let mut insns = [Insn::ldx(op::DW, Reg::R0, Reg::R1, off)];
        patch_insn(&mut insns, 0, &res).unwrap();
        (res, insns[0])
    };
    // Signed: the value would change, poisoned.
    let (res, i) = load(acc[0], 0);
    assert!(res.fail_memsz_adjust && is_poisoned(&i));
    // Unsigned and pointers: the load narrows.
    let (res, i) = load(acc[1], 8);
    assert_eq!((res.orig_sz, res.new_sz), (8, 4));
    assert_eq!(i, Insn::ldx(op::W, Reg::R0, Reg::R1, 4));
    let (_, i) = load(acc[2], 16);
    assert_eq!(i, Insn::ldx(op::W, Reg::R0, Reg::R1, 8));
    // ALU uses of the offset are never poisoned for size.
    let res = calc(
        &local,
        &target,
        &index,
        &relo(ms, acc[0], ReloKind::FieldByteOffset),
    )
    .unwrap()
    .result;
    let mut insns = [Insn::alu64_imm(op::ADD, Reg::R1, 0)];
    patch_insn(&mut insns, 0, &res).unwrap();
    assert_eq!(insns[0].imm, 0);
}

#[test]
fn enumerators() {
    let mut b = BtfBuilder::new();
    let e = b
        .add_enum(
            "e",
            4,
            false,
            false,
            &[("A", 1), ("B___old", 2), ("C", 0xffff_fff0)],
        )
        .unwrap();
    let acc: Vec<_> = ["0", "1", "2"].iter().map(|a| b.add_string(a)).collect();
    let bad = b.add_string("3");
    let local = parse(&b);
    // Target: an ENUM64 of the same name, B without flavor, no A.
    let mut b = BtfBuilder::new();
    b.add_enum(
        "e",
        8,
        true,
        true,
        &[("B", 0x1_0000_0002), ("C", 0xffff_fff0)],
    )
    .unwrap();
    let target = parse(&b);
    let index = CandidateIndex::build(&target);
    let res = |acc, kind| {
        calc(&local, &target, &index, &relo(e, acc, kind))
            .unwrap()
            .result
    };
    assert_eq!(res(acc[0], ReloKind::EnumvalExists).new_val, 0);
    assert!(res(acc[0], ReloKind::EnumvalValue).poison);
    assert_eq!(res(acc[1], ReloKind::EnumvalExists).new_val, 1);
    let b_val = res(acc[1], ReloKind::EnumvalValue);
    assert_eq!((b_val.orig_val, b_val.new_val), (2, 0x1_0000_0002));
    // A 32-bit enumerator's value is sign-extended (`__s32 val`), even
    // in an unsigned enum, as libbpf reads it.
    assert_eq!(
        res(acc[2], ReloKind::EnumvalValue).orig_val,
        0xffff_ffff_ffff_fff0
    );
    assert_eq!(res(acc[2], ReloKind::EnumvalValue).new_val, 0xffff_fff0);
    assert!(matches!(
        calc(
            &local,
            &target,
            &index,
            &relo(e, bad, ReloKind::EnumvalValue)
        )
        .unwrap_err(),
        CoreError::Spec {
            reason: SpecError::Enumerator,
            ..
        }
    ));
}

#[test]
fn type_relocations() {
    let mut b = BtfBuilder::new();
    let int = b.add_int("int", 4, IntEncoding::Signed);
    let s = b.add_struct("s", 4, &[m("x", int, 0)]).unwrap();
    let td = b.add_typedef("s_t", s);
    let anon = b.add_struct("", 4, &[m("x", int, 0)]).unwrap();
    let zero = b.add_string("0");
    let bad = b.add_string("0:0");
    let local = parse(&b);
    let mut b = BtfBuilder::new();
    let int = b.add_int("int", 4, IntEncoding::Signed);
    let _pad = b.add_int("pad", 1, IntEncoding::Unsigned);
    let ts = b.add_struct("s", 16, &[m("x", int, 0)]).unwrap();
    let ttd = b.add_typedef("s_t", ts);
    let target = parse(&b);
    let index = CandidateIndex::build(&target);
    let r = |id, kind| calc(&local, &target, &index, &relo(id, zero, kind));
    assert_eq!(r(s, ReloKind::TypeSize).unwrap().result.new_val, 16);
    assert_eq!(r(td, ReloKind::TypeSize).unwrap().result.new_val, 16);
    assert_eq!(
        r(td, ReloKind::TypeIdTarget).unwrap().result.new_val,
        u64::from(ttd.0)
    );
    let local_id = r(s, ReloKind::TypeIdLocal).unwrap().result;
    assert_eq!((local_id.orig_val, local_id.new_val), (2, 2));
    assert!(!local_id.validate);
    // Anonymous types cannot be searched for.
    assert!(matches!(
        r(anon, ReloKind::TypeExists).unwrap_err(),
        CoreError::Anonymous { .. }
    ));
    // ... except for their local id.
    assert_eq!(r(anon, ReloKind::TypeIdLocal).unwrap().result.new_val, 4);
    assert!(matches!(
        calc(&local, &target, &index, &relo(s, bad, ReloKind::TypeExists)).unwrap_err(),
        CoreError::Spec {
            reason: SpecError::TypeAccess,
            ..
        }
    ));
    let unknown = CoreRelo {
        kind: 13,
        ..relo(s, zero, ReloKind::TypeExists)
    };
    assert_eq!(
        calc(&local, &target, &index, &unknown).unwrap_err(),
        CoreError::UnknownKind(13)
    );
}

#[test]
fn types_match_rules() {
    let mut b = BtfBuilder::new();
    let int = b.add_int("int", 4, IntEncoding::Signed);
    let uint = b.add_int("unsigned int", 4, IntEncoding::Unsigned);
    let fwd = b.add_fwd("node", false);
    let pfwd = b.add_ptr(fwd);
    let a = b
        .add_struct("a", 16, &[m("n", pfwd, 0), m("v", int, 64)])
        .unwrap();
    let e4 = b.add_enum("e", 4, false, false, &[("X", 1)]).unwrap();
    let fp = b.add_func_proto(int, &[("x", int)]).unwrap();
    let pfp = b.add_ptr(fp);
    let f = b.add_struct("f", 8, &[m("cb", pfp, 0)]).unwrap();
    let _ = uint;
    let local = parse(&b);
    let mut b = BtfBuilder::new();
    let int = b.add_int("int", 4, IntEncoding::Signed);
    let uint = b.add_int("unsigned int", 4, IntEncoding::Unsigned);
    let node = b.add_struct("node", 8, &[m("k", int, 0)]).unwrap();
    let pnode = b.add_ptr(node);
    // Extra members and another order are fine.
    let ta = b
        .add_struct(
            "a",
            24,
            &[m("extra", int, 0), m("v", int, 32), m("n", pnode, 64)],
        )
        .unwrap();
    let ta_bad = b
        .add_struct("a___u", 24, &[m("n", pnode, 0), m("v", uint, 64)])
        .unwrap();
    let te4 = b
        .add_enum("e", 4, false, false, &[("Y", 0), ("X", 7)])
        .unwrap();
    let te8 = b.add_enum("e", 8, false, true, &[("X", 1)]).unwrap();
    let fp_ok = b.add_func_proto(int, &[("y", int)]).unwrap();
    let fp_bad = b.add_func_proto(int, &[("y", uint)]).unwrap();
    let p_ok = b.add_ptr(fp_ok);
    let p_bad = b.add_ptr(fp_bad);
    let tf = b.add_struct("f", 8, &[m("cb", p_ok, 0)]).unwrap();
    let tf_bad = b.add_struct("f", 8, &[m("cb", p_bad, 0)]).unwrap();
    let fn_ = b.add_func("f", fp_ok, Linkage::Global);
    let target = parse(&b);
    // A forward declaration behind a pointer matches the struct.
    assert_eq!(types_match(&local, a, &target, ta), Ok(true));
    // Signedness matters.
    assert_eq!(types_match(&local, a, &target, ta_bad), Ok(false));
    // Enumerators by name, sizes must be equal (ENUM64 may match ENUM).
    assert_eq!(types_match(&local, e4, &target, te4), Ok(true));
    assert_eq!(types_match(&local, e4, &target, te8), Ok(false));
    assert_eq!(types_match(&local, f, &target, tf), Ok(true));
    assert_eq!(types_match(&local, f, &target, tf_bad), Ok(false));
    assert_eq!(types_match(&local, f, &target, fn_), Ok(false));
    // The looser relation: any two structs of a name are compatible.
    assert_eq!(types_are_compat(&local, a, &target, ta_bad), Ok(true));
    assert_eq!(types_are_compat(&local, e4, &target, te8), Ok(true));
    assert_eq!(types_are_compat(&local, a, &target, te4), Ok(false));
    assert!(types_are_compat(&local, TypeId(999), &target, ta).is_err());
}

#[test]
fn fields_compat_rules() {
    let mut b = BtfBuilder::new();
    let int = b.add_int("int", 4, IntEncoding::Signed);
    let odd = b.add_int_bits("int", 4, IntEncoding::Signed, 3, 5);
    let e = b.add_enum("e___x", 4, false, false, &[("A", 1)]).unwrap();
    let anon_e = b.add_enum("", 4, false, false, &[("A", 1)]).unwrap();
    let fl = b.add_float("float", 4);
    let idx = b.add_int("__ARRAY_SIZE_TYPE__", 4, IntEncoding::Unsigned);
    let arr = b.add_array(int, idx, 2);
    let p = b.add_ptr(int);
    let local = parse(&b);
    let mut b = BtfBuilder::new();
    let long = b.add_int("long", 8, IntEncoding::Signed);
    let te = b.add_enum("e", 8, false, true, &[("B", 1)]).unwrap();
    let other = b.add_enum("other", 4, false, false, &[("A", 1)]).unwrap();
    let fl8 = b.add_float("double", 8);
    let idx = b.add_int("__ARRAY_SIZE_TYPE__", 4, IntEncoding::Unsigned);
    let tarr = b.add_array(long, idx, 9);
    let s = b.add_struct("s", 8, &[m("x", long, 0)]).unwrap();
    let tp = b.add_ptr(s);
    let target = parse(&b);
    assert_eq!(fields_are_compat(&local, int, &target, long), Ok(true));
    assert_eq!(fields_are_compat(&local, odd, &target, long), Ok(false));
    assert_eq!(
        fields_are_compat(&local, e, &target, te),
        Ok(true),
        "flavor"
    );
    assert_eq!(fields_are_compat(&local, e, &target, other), Ok(false));
    assert_eq!(fields_are_compat(&local, anon_e, &target, other), Ok(true));
    assert_eq!(fields_are_compat(&local, fl, &target, fl8), Ok(true));
    assert_eq!(fields_are_compat(&local, arr, &target, tarr), Ok(true));
    assert_eq!(fields_are_compat(&local, p, &target, tp), Ok(true));
    assert_eq!(fields_are_compat(&local, p, &target, long), Ok(false));
    assert_eq!(fields_are_compat(&local, int, &target, s), Ok(false));
}

#[test]
fn patching_validates_the_original_value() {
    let l = local_s(&["0:1"]);
    let mut b = BtfBuilder::new();
    let int = b.add_int("int", 4, IntEncoding::Signed);
    b.add_struct("s", 8, &[m("b", int, 0)]).unwrap();
    let target = parse(&b);
    let index = CandidateIndex::build(&target);
    let t = Target {
        btf: &target,
        name: "t",
        index: &index,
    };
    let r = relo(l.s, l.acc[0], ReloKind::FieldByteOffset);
    // The instruction says 8, the local BTF says 4: the object is broken.
    let mut insns = [Insn::ldx(op::W, Reg::R0, Reg::R1, 8), Insn::exit()];
    let err = Relocator::new(&l.btf, t)
        .relocate(&mut insns, &[r])
        .unwrap_err();
    assert_eq!((err.index, err.insn), (0, 0));
    assert_eq!(err.access, "byte_off struct s.b");
    assert!(matches!(
        *err.source,
        CoreError::Patch {
            insn: 0,
            reason: PatchError::UnexpectedValue {
                got: 8,
                expected: 4,
                new: 0,
                ..
            }
        }
    ));
    // Past the end of the program.
    let r = CoreRelo { insn_off: 16, ..r };
    let err = Relocator::new(&l.btf, t)
        .relocate(&mut insns, &[r])
        .unwrap_err();
    assert_eq!(*err.source, CoreError::InsnOffset(16));
    let _ = l.int;
}

#[test]
fn fallback_targets_only_without_main_candidates() {
    let l = local_s(&["0:1"]);
    // "vmlinux" without `s`, a "module" (split BTF) with it.
    let mut b = BtfBuilder::new();
    let int = b.add_int("int", 4, IntEncoding::Signed);
    b.add_struct("t", 4, &[m("x", int, 0)]).unwrap();
    let base = std::sync::Arc::new(parse(&b));
    let mut b = BtfBuilder::new_split(&base);
    let ms = b.add_struct("s", 8, &[m("b", int, 32)]).unwrap();
    let bytes = b.to_bytes().unwrap();
    let module = Btf::parse_split(&bytes, base.clone()).unwrap();
    let base_index = CandidateIndex::build(&base);
    let mod_index = CandidateIndex::build(&module);
    let main = Target {
        btf: &base,
        name: "vmlinux",
        index: &base_index,
    };
    let fallback = Target {
        btf: &module,
        name: "mymod",
        index: &mod_index,
    };
    let relos = [relo(l.s, l.acc[0], ReloKind::FieldByteOffset)];
    let rel = Relocator::new(&l.btf, main);
    assert!(rel.needs_fallback(&relos));
    let mut rel = rel.with_fallback(vec![fallback]);
    let out = rel.calc(&relos[0]).unwrap();
    let c = out.candidate.unwrap();
    assert_eq!((c.target, c.id), ("mymod", ms));
    assert_eq!(out.result.new_val, 4);
    // With `s` in the main target, the module is not searched.
    let mut b = BtfBuilder::new();
    let int = b.add_int("int", 4, IntEncoding::Signed);
    b.add_struct("s", 8, &[m("b", int, 0)]).unwrap();
    let main_btf = parse(&b);
    let main_index = CandidateIndex::build(&main_btf);
    let main = Target {
        btf: &main_btf,
        name: "vmlinux",
        index: &main_index,
    };
    let rel = Relocator::new(&l.btf, main);
    assert!(!rel.needs_fallback(&relos));
    let mut rel = rel.with_fallback(vec![fallback]);
    assert_eq!(
        rel.calc(&relos[0]).unwrap().candidate.unwrap().target,
        "vmlinux"
    );
}

#[test]
fn index_finds_what_a_scan_finds() {
    let mut b = BtfBuilder::new();
    let int = b.add_int("int", 4, IntEncoding::Signed);
    for name in ["s", "s___1", "s___x___2", "s____y", "t", "s___", "___s"] {
        b.add_struct(name, 4, &[m("x", int, 0)]).unwrap();
        b.add_union(name, 4, &[m("x", int, 0)]).unwrap();
    }
    b.add_enum("s", 4, false, false, &[("A", 1)]).unwrap();
    b.add_enum("s___e64", 8, false, true, &[("A", 1)]).unwrap();
    b.add_typedef("s", int);
    b.add_func_proto(int, &[]).unwrap();
    let fp = b.add_func_proto(int, &[]).unwrap();
    b.add_func("s", fp, Linkage::Global);
    b.add_func("s___f", fp, Linkage::Global);
    let btf = parse(&b);
    let index = CandidateIndex::build(&btf);
    for name in ["s", "s___local", "s___x", "t", "s____y", "___s", "nope"] {
        for kind in [1u8, 4, 5, 6, 8, 12, 19] {
            let found: Vec<_> = index.find(&btf, name, kind).collect();
            assert_eq!(
                found,
                scan_candidates(&btf, name, kind),
                "{name} kind {kind}"
            );
        }
    }
    let structs: Vec<_> = index.find(&btf, "s___mine", 4).collect();
    let names: Vec<_> = structs.iter().map(|&id| btf.name_of(id)).collect();
    // `s___` is its own essential name (no character after the `___`).
    assert_eq!(names, ["s", "s___1"]);
    let enums: Vec<_> = index.find(&btf, "s", 6).map(|id| btf.name_of(id)).collect();
    assert_eq!(
        enums,
        ["s", "s___e64"],
        "ENUM and ENUM64 are both candidates"
    );
    let funcs: Vec<_> = index
        .find(&btf, "s", 12)
        .map(|id| btf.name_of(id))
        .collect();
    assert_eq!(funcs, ["s", "s___f"]);
}

#[test]
fn spec_display_and_c_access() {
    let l = local_s(&["0:2:3", "1:0"]);
    let spec =
        super::parse_spec(&l.btf, &relo(l.s, l.acc[0], ReloKind::FieldByteOffset), 8).unwrap();
    assert_eq!(spec.c_access(), "struct s.arr[3]");
    assert_eq!(
        spec.to_string(),
        "<byte_off> [5] struct s.arr[3] (0:2:3 @ offset 20)"
    );
    let spec = super::parse_spec(&l.btf, &relo(l.s, l.acc[1], ReloKind::FieldByteSize), 8).unwrap();
    assert_eq!(spec.c_access(), "struct s[1].a");
    assert_eq!(spec.bit_offset, 24 * 8);
    assert_eq!(
        spec.to_string(),
        "<byte_sz> [5] struct s[1].a (1:0 @ offset 24)"
    );
}
