//! Shared by the CO-RE tests (`tests/core*.rs`): the objects of
//! `testdata/core`, and target BTFs for `synthetic.bpf.c`'s types in which
//! fields moved, changed size or sign, were renamed or removed, with the
//! values every relocation must give against each.
#![allow(dead_code)]

use std::path::PathBuf;

use oxbpf::btf::{Btf, BtfBuilder, IntEncoding, MemberSpec, TypeId};
use oxbpf::loader::CollectionSpec;

/// `testdata/core/NAME.bpf.o`.
pub fn core_path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("testdata/core")
        .join(format!("{name}.bpf.o"))
}

/// Parses `testdata/core/NAME.bpf.o`.
pub fn core_obj(name: &str) -> CollectionSpec {
    let path = core_path(name);
    CollectionSpec::from_file(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

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

/// Slots of `fields_out` (synthetic.bpf.c's `F_*`).
pub mod f {
    pub const A_OFF: usize = 0;
    pub const A_SIZE: usize = 1;
    pub const A_SIGNED: usize = 2;
    pub const B_OFF: usize = 3;
    pub const B_SIZE: usize = 4;
    pub const C_OFF: usize = 5;
    pub const UC_SIZE: usize = 6;
    pub const BFU_OFF: usize = 7;
    pub const BFU_SIZE: usize = 8;
    pub const BFU_LSHIFT: usize = 9;
    pub const BFU_RSHIFT: usize = 10;
    pub const BFS_SIGNED: usize = 11;
    pub const BFS_LSHIFT: usize = 12;
    pub const BFS_RSHIFT: usize = 13;
    pub const ARR_OFF: usize = 14;
    pub const ARR_SIZE: usize = 15;
    pub const ARR2_OFF: usize = 16;
    pub const INY_OFF: usize = 17;
    pub const INS1X_OFF: usize = 18;
    pub const U2_OFF: usize = 19;
    pub const COL_SIGNED: usize = 20;
    pub const PTR_SIZE: usize = 21;
    pub const GONE_EXISTS: usize = 22;
    pub const TAIL1_OFF: usize = 23;
    pub const NR: usize = 24;
}

/// Slots of `reads_out` (`R_*`).
pub mod r {
    pub const A: usize = 0;
    pub const B: usize = 1;
    pub const C: usize = 2;
    pub const UC: usize = 3;
    pub const BFU: usize = 4;
    pub const BFS: usize = 5;
    pub const BFW: usize = 6;
    pub const ARR2: usize = 7;
    pub const INY: usize = 8;
    pub const INS1X: usize = 9;
    pub const U2: usize = 10;
    pub const COL: usize = 11;
    pub const GONE: usize = 12;
    pub const TAIL1: usize = 13;
    pub const RENAMED: usize = 14;
    pub const NR: usize = 15;
}

/// Slots of `types_out` (`T_*`).
pub mod t {
    pub const SAMPLE_EXISTS: usize = 0;
    pub const MISSING_EXISTS: usize = 1;
    pub const SAMPLE_SIZE: usize = 2;
    pub const U32_SIZE: usize = 3;
    pub const SAMPLE_ID_LOCAL: usize = 4;
    pub const SAMPLE_ID_TARGET: usize = 5;
    pub const SAMPLE_MATCHES: usize = 6;
    pub const BLUE_EXISTS: usize = 7;
    pub const GREEN_VALUE: usize = 8;
    pub const NEG_VALUE: usize = 9;
    pub const BIGB_VALUE: usize = 10;
    pub const BIGA_EXISTS: usize = 11;
    pub const GREEN2_VALUE: usize = 12;
    pub const PURPLE2_EXISTS: usize = 13;
    pub const MISSING_ID_TARGET: usize = 14;
    pub const NR: usize = 15;
}

/// A target BTF for synthetic.bpf.c and everything it must give.
pub struct Variant {
    /// For messages.
    pub name: &'static str,
    /// The raw BTF.
    pub bytes: Vec<u8>,
    /// `struct sample`'s id in it.
    pub sample_id: u32,
    /// `fields_out` after the `fields` program ran.
    pub fields: [u64; f::NR],
    /// `types_out` after `types` ran (`SAMPLE_ID_LOCAL` is filled in by
    /// the test from the object's BTF).
    pub types: [u64; t::NR],
    /// `buf` in the target's layout ...
    pub buf: Vec<u8>,
    /// ... and `reads_out` after `reads` ran on it.
    pub reads: [u64; r::NR],
}

impl Variant {
    /// The parsed BTF.
    pub fn btf(&self) -> Btf<'static> {
        Btf::parse_owned(self.bytes.clone()).unwrap()
    }
}

fn put(buf: &mut [u8], off: usize, bytes: &[u8]) {
    buf[off..off + bytes.len()].copy_from_slice(bytes);
}

/// Fields moved, reordered, widened (`b` u16 → u32), narrowed (`uc` u64 →
/// u32), sign-flipped (`a` int → unsigned int), bitfields moved and
/// resized (`bf_s` 5 → 6 bits), arrays grown, enumerator values changed,
/// a typedef widened, `new_name` present (the `sample___v2` flavor
/// matches), `missing_type` absent.
pub fn moved() -> Variant {
    let mut b = BtfBuilder::new();
    let int = b.add_int("int", 4, IntEncoding::Signed);
    let uint = b.add_int("unsigned int", 4, IntEncoding::Unsigned);
    let ll = b.add_int("long long", 8, IntEncoding::Signed);
    let chr = b.add_int("char", 1, IntEncoding::Signed);
    let ulong = b.add_int("long unsigned int", 8, IntEncoding::Unsigned);
    let idx = b.add_int("__ARRAY_SIZE_TYPE__", 4, IntEncoding::Unsigned);
    // struct inner { int y; int x; }: reordered.
    let inner = b
        .add_struct("inner", 8, &[m("y", int, 0), m("x", int, 32)])
        .unwrap();
    let arr = b.add_array(chr, idx, 8);
    let ins = b.add_array(inner, idx, 3);
    let tail = b.add_array(int, idx, 0);
    let un = b
        .add_union("", 8, &[m("u2", ll, 0), m("u1", int, 0)])
        .unwrap();
    let color = b
        .add_enum(
            "color",
            4,
            false,
            false,
            &[("RED", 10), ("GREEN", 20), ("BLUE", 40), ("PURPLE", 80)],
        )
        .unwrap();
    let pint = b.add_ptr(int);
    let sample = b
        .add_struct(
            "sample",
            104,
            &[
                m("c", ll, 0),
                m("b", uint, 64),
                m("a", uint, 96),
                m("uc", uint, 128),
                bf("bf_w", uint, 192, 20),
                bf("bf_u", uint, 212, 3),
                bf("bf_s", int, 215, 6),
                m("arr", arr, 256),
                m("in", inner, 320),
                m("ins", ins, 384),
                m("", un, 576),
                m("col", color, 640),
                m("ptr", pint, 704),
                m("gone", int, 768),
                m("new_name", int, 800),
                m("tail", tail, 832),
            ],
        )
        .unwrap();
    b.add_enum("sneg", 4, true, false, &[("NEG", -7i64 as u64), ("POS", 9)])
        .unwrap();
    b.add_enum(
        "big",
        8,
        false,
        true,
        &[("BIG_A", 0x3_0000_0000), ("BIG_B", 0x8000_0000_0000_0001)],
    )
    .unwrap();
    b.add_typedef("u32_t", ulong);
    let bytes = b.to_bytes().unwrap();

    let mut buf = vec![0u8; 256];
    put(&mut buf, 0, &0x1122_3344_5566_7788u64.to_ne_bytes());
    put(&mut buf, 8, &0x12345u32.to_ne_bytes());
    put(&mut buf, 12, &(-123i32).to_ne_bytes());
    put(&mut buf, 16, &0xdead_beefu32.to_ne_bytes());
    let word: u32 = 0xabcde | (5 << 20) | ((-17i32 as u32 & 0x3f) << 23);
    put(&mut buf, 24, &word.to_ne_bytes());
    put(&mut buf, 32, b"ABz?wxyz");
    put(&mut buf, 40, &4242i32.to_ne_bytes()); // in.y
    put(&mut buf, 44, &1i32.to_ne_bytes()); // in.x
    put(&mut buf, 60, &777i32.to_ne_bytes()); // ins[1].x
    put(&mut buf, 72, &0x0102_0304_0506_0708u64.to_ne_bytes());
    put(&mut buf, 80, &20u32.to_ne_bytes()); // GREEN here
    put(&mut buf, 96, &99i32.to_ne_bytes()); // gone
    put(&mut buf, 100, &31337i32.to_ne_bytes()); // new_name
    put(&mut buf, 108, &5150i32.to_ne_bytes()); // tail[1]

    let mut fields = [0u64; f::NR];
    fields[f::A_OFF] = 12;
    fields[f::A_SIZE] = 4;
    fields[f::A_SIGNED] = 0;
    fields[f::B_OFF] = 8;
    fields[f::B_SIZE] = 4;
    fields[f::C_OFF] = 0;
    fields[f::UC_SIZE] = 4;
    // All three bitfields in the u32 at 24: bf_u ends at bit 215 - 192 =
    // 23 of it (lshift 64 - 23), bf_s at 221 - 192 = 29 (lshift 35).
    fields[f::BFU_OFF] = 24;
    fields[f::BFU_SIZE] = 4;
    fields[f::BFU_LSHIFT] = 41;
    fields[f::BFU_RSHIFT] = 61;
    fields[f::BFS_SIGNED] = 1;
    fields[f::BFS_LSHIFT] = 35;
    fields[f::BFS_RSHIFT] = 58;
    fields[f::ARR_OFF] = 32;
    fields[f::ARR_SIZE] = 8;
    fields[f::ARR2_OFF] = 34;
    fields[f::INY_OFF] = 40;
    fields[f::INS1X_OFF] = 48 + 8 + 4;
    fields[f::U2_OFF] = 72;
    fields[f::COL_SIGNED] = 0;
    fields[f::PTR_SIZE] = 8;
    fields[f::GONE_EXISTS] = 1;
    fields[f::TAIL1_OFF] = 108;

    let mut types = [0u64; t::NR];
    types[t::SAMPLE_EXISTS] = 1;
    types[t::MISSING_EXISTS] = 0;
    types[t::SAMPLE_SIZE] = 104;
    types[t::U32_SIZE] = 8;
    types[t::SAMPLE_ID_TARGET] = u64::from(sample.0);
    // `a` is unsigned here: struct sample___m { int a; ... } does not match.
    types[t::SAMPLE_MATCHES] = 0;
    types[t::BLUE_EXISTS] = 1;
    types[t::GREEN_VALUE] = 20;
    types[t::NEG_VALUE] = -7i64 as u64;
    types[t::BIGB_VALUE] = 0x8000_0000_0000_0001;
    types[t::BIGA_EXISTS] = 1;
    types[t::GREEN2_VALUE] = 20;
    types[t::PURPLE2_EXISTS] = 1;
    types[t::MISSING_ID_TARGET] = 0;

    let mut reads = [0u64; r::NR];
    reads[r::A] = -123i64 as u64; // read as the local `int`
    reads[r::B] = 0x12345; // the u16 load became a u32 load
    reads[r::C] = 0x1122_3344_5566_7788;
    reads[r::UC] = 0xdead_beef; // the u64 load became a u32 load
    reads[r::BFU] = 5;
    reads[r::BFS] = -17i64 as u64;
    reads[r::BFW] = 0xabcde;
    reads[r::ARR2] = u64::from(b'z');
    reads[r::INY] = 4242;
    reads[r::INS1X] = 777;
    reads[r::U2] = 0x0102_0304_0506_0708;
    reads[r::COL] = 20;
    reads[r::GONE] = 99;
    reads[r::TAIL1] = 5150;
    reads[r::RENAMED] = 31337;
    Variant {
        name: "moved",
        bytes,
        sample_id: sample.0,
        fields,
        types,
        buf,
        reads,
    }
}

/// The local layout, but `gone`, `BLUE`, `BIG_A`, `u32_t` and
/// `missing_type` removed and the renamed field under its old name (the
/// `sample___v1` flavor matches).
pub fn removed() -> Variant {
    let mut b = BtfBuilder::new();
    let int = b.add_int("int", 4, IntEncoding::Signed);
    let uint = b.add_int("unsigned int", 4, IntEncoding::Unsigned);
    let ushort = b.add_int("unsigned short", 2, IntEncoding::Unsigned);
    let ll = b.add_int("long long", 8, IntEncoding::Signed);
    let ull = b.add_int("unsigned long long", 8, IntEncoding::Unsigned);
    let chr = b.add_int("char", 1, IntEncoding::Signed);
    let idx = b.add_int("__ARRAY_SIZE_TYPE__", 4, IntEncoding::Unsigned);
    let inner = b
        .add_struct("inner", 8, &[m("x", int, 0), m("y", int, 32)])
        .unwrap();
    let arr = b.add_array(chr, idx, 4);
    let ins = b.add_array(inner, idx, 2);
    let tail = b.add_array(int, idx, 0);
    let un = b
        .add_union("", 8, &[m("u1", int, 0), m("u2", ll, 0)])
        .unwrap();
    let color = b
        .add_enum("color", 4, false, false, &[("RED", 1), ("GREEN", 2)])
        .unwrap();
    let pint = b.add_ptr(int);
    let sample = b
        .add_struct(
            "sample",
            88,
            &[
                m("a", int, 0),
                m("b", ushort, 32),
                m("c", ll, 64),
                m("uc", ull, 128),
                bf("bf_u", uint, 192, 3),
                bf("bf_s", int, 195, 5),
                bf("bf_w", uint, 200, 20),
                m("arr", arr, 224),
                m("in", inner, 256),
                m("ins", ins, 320),
                m("", un, 448),
                m("col", color, 512),
                m("ptr", pint, 576),
                m("old_name", int, 640),
                m("tail", tail, 672),
            ],
        )
        .unwrap();
    b.add_enum("sneg", 4, true, false, &[("NEG", -5i64 as u64), ("POS", 7)])
        .unwrap();
    b.add_enum("big", 8, false, true, &[("BIG_B", 0xffff_ffff_ffff_fff0)])
        .unwrap();
    let bytes = b.to_bytes().unwrap();

    let mut buf = vec![0u8; 256];
    put(&mut buf, 0, &(-9i32).to_ne_bytes());
    put(&mut buf, 4, &0xbeefu16.to_ne_bytes());
    put(&mut buf, 8, &(-2i64).to_ne_bytes());
    put(&mut buf, 16, &0xffff_0000_1111_2222u64.to_ne_bytes());
    let word: u32 = 6 | ((-3i32 as u32 & 0x1f) << 3) | (0x54321 << 8);
    put(&mut buf, 24, &word.to_ne_bytes());
    put(&mut buf, 28, b"pqrs");
    put(&mut buf, 36, &61i32.to_ne_bytes()); // in.y
    put(&mut buf, 48, &62i32.to_ne_bytes()); // ins[1].x
    put(&mut buf, 56, &63i64.to_ne_bytes()); // u2
    put(&mut buf, 64, &2u32.to_ne_bytes()); // col
    put(&mut buf, 80, &64i32.to_ne_bytes()); // old_name
    put(&mut buf, 88, &65i32.to_ne_bytes()); // tail[1]

    let mut fields = [0u64; f::NR];
    fields[f::A_OFF] = 0;
    fields[f::A_SIZE] = 4;
    fields[f::A_SIGNED] = 1;
    fields[f::B_OFF] = 4;
    fields[f::B_SIZE] = 2;
    fields[f::C_OFF] = 8;
    fields[f::UC_SIZE] = 8;
    // libbpf loads these bitfields with the smallest load of their type's
    // size that covers them: 4 bytes (clang's own values say 8).
    fields[f::BFU_OFF] = 24;
    fields[f::BFU_SIZE] = 4;
    fields[f::BFU_LSHIFT] = 61;
    fields[f::BFU_RSHIFT] = 61;
    fields[f::BFS_SIGNED] = 1;
    fields[f::BFS_LSHIFT] = 56;
    fields[f::BFS_RSHIFT] = 59;
    fields[f::ARR_OFF] = 28;
    fields[f::ARR_SIZE] = 4;
    fields[f::ARR2_OFF] = 30;
    fields[f::INY_OFF] = 36;
    fields[f::INS1X_OFF] = 48;
    fields[f::U2_OFF] = 56;
    fields[f::COL_SIGNED] = 0;
    fields[f::PTR_SIZE] = 8;
    fields[f::GONE_EXISTS] = 0;
    fields[f::TAIL1_OFF] = 88;

    let mut types = [0u64; t::NR];
    types[t::SAMPLE_EXISTS] = 1;
    types[t::MISSING_EXISTS] = 0;
    types[t::SAMPLE_SIZE] = 88;
    types[t::U32_SIZE] = 0;
    types[t::SAMPLE_ID_TARGET] = u64::from(sample.0);
    types[t::SAMPLE_MATCHES] = 1;
    types[t::BLUE_EXISTS] = 0;
    types[t::GREEN_VALUE] = 2;
    types[t::NEG_VALUE] = -5i64 as u64;
    types[t::BIGB_VALUE] = 0xffff_ffff_ffff_fff0;
    types[t::BIGA_EXISTS] = 0;
    types[t::GREEN2_VALUE] = 2;
    types[t::PURPLE2_EXISTS] = 0;
    types[t::MISSING_ID_TARGET] = 0;

    let mut reads = [0u64; r::NR];
    reads[r::A] = -9i64 as u64;
    reads[r::B] = 0xbeef;
    reads[r::C] = -2i64 as u64;
    reads[r::UC] = 0xffff_0000_1111_2222;
    reads[r::BFU] = 6;
    reads[r::BFS] = -3i64 as u64;
    reads[r::BFW] = 0x54321;
    reads[r::ARR2] = u64::from(b'r');
    reads[r::INY] = 61;
    reads[r::INS1X] = 62;
    reads[r::U2] = 63;
    reads[r::COL] = 2;
    reads[r::GONE] = 0xdead;
    reads[r::TAIL1] = 65;
    reads[r::RENAMED] = 64;
    Variant {
        name: "removed",
        bytes,
        sample_id: sample.0,
        fields,
        types,
        buf,
        reads,
    }
}
