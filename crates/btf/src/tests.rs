//! Unit tests over hand-made BTF: malformed input of every shape the parser
//! rejects (each with the error it must give), split BTF, kind_flag
//! semantics, the layout section and the queries.
#![allow(clippy::indexing_slicing)]

use std::sync::Arc;

use crate::*;

fn le32(b: &mut [u8], at: usize, v: u32) {
    b[at..at + 4].copy_from_slice(&v.to_ne_bytes());
}

/// A small BTF with one of every common kind.
fn sample() -> (BtfBuilder, Vec<TypeId>) {
    let mut b = BtfBuilder::new();
    let int = b.add_int("int", 4, IntEncoding::Signed); // 1
    let uchar = b.add_int("unsigned char", 1, IntEncoding::Unsigned); // 2
    let ptr = b.add_ptr(int); // 3
    let arr = b.add_array(uchar, int, 16); // 4
    let s = b
        .add_struct(
            "s",
            24,
            &[
                MemberSpec {
                    name: "a",
                    ty: int,
                    bit_offset: 0,
                    bitfield_size: 0,
                },
                MemberSpec {
                    name: "b",
                    ty: ptr,
                    bit_offset: 64,
                    bitfield_size: 0,
                },
                MemberSpec {
                    name: "c",
                    ty: arr,
                    bit_offset: 128,
                    bitfield_size: 0,
                },
            ],
        )
        .unwrap(); // 5
    let e = b
        .add_enum("e", 4, true, false, &[("NEG", (-5i64) as u64), ("POS", 7)])
        .unwrap(); // 6
    let td = b.add_typedef("s_t", s); // 7
    let proto = b
        .add_func_proto(int, &[("x", ptr), ("", TypeId::VOID)])
        .unwrap(); // 8
    let func = b.add_func("f", proto, Linkage::Global); // 9
    let var = b.add_var("v", int, Linkage::Global); // 10
    let ds = b
        .add_datasec(
            ".data",
            4,
            &[VarSecInfo {
                ty: var,
                offset: 0,
                size: 4,
            }],
        )
        .unwrap(); // 11
    (
        b,
        vec![int, uchar, ptr, arr, s, e, td, proto, func, var, ds],
    )
}

fn sample_bytes() -> Vec<u8> {
    sample().0.to_bytes().unwrap()
}

/// Offset of type `n` (1-based) in `sample_bytes()`.
fn type_offset(bytes: &[u8], n: u32) -> usize {
    let btf = Btf::parse(bytes).unwrap();
    let rec = btf.raw_record(TypeId(n)).unwrap();
    rec.as_ptr() as usize - bytes.as_ptr() as usize
}

#[track_caller]
fn expect_err(bytes: &[u8], check: impl Fn(&ParseError) -> bool) {
    match Btf::parse(bytes) {
        Ok(_) => panic!("parsed, but should have failed"),
        Err(e) => assert!(check(&e), "unexpected error: {e:?} ({e})"),
    }
}

#[test]
fn sample_parses_and_decodes() {
    let (_, ids) = sample();
    let bytes = sample_bytes();
    let btf = Btf::parse(&bytes).unwrap();
    assert_eq!(btf.type_count(), 11);
    let Some(Type::Enum(e)) = btf.type_by_id(ids[5]) else {
        panic!()
    };
    assert!(e.signed);
    let vals: Vec<_> = e.values().map(|v| (v.name, v.value as i64)).collect();
    assert_eq!(vals, [("NEG", -5), ("POS", 7)]);
    let Some(Type::FuncProto(p)) = btf.type_by_id(ids[7]) else {
        panic!()
    };
    assert!(p.is_variadic());
    assert_eq!(btf.display(ids[8]).to_string(), "int f(int *, ...)");
    assert_eq!(btf.size_of(ids[6]).unwrap(), 24);
    assert_eq!(btf.align_of(ids[4]).unwrap(), 8);
    assert_eq!(btf.resolve(ids[6]).unwrap(), ids[4]);
    assert_eq!(btf.size_of(ids[9]).unwrap(), 4, "VAR size is its type's");
    assert!(matches!(
        btf.size_of(ids[8]),
        Err(TypeError::NoSize {
            kind: Kind::Func,
            ..
        })
    ));
}

#[test]
fn header_errors() {
    let good = sample_bytes();
    expect_err(&[], |e| matches!(e, ParseError::Truncated { .. }));
    expect_err(&good[..10], |e| matches!(e, ParseError::Truncated { .. }));
    let mut b = good.clone();
    b[0] = 0;
    expect_err(&b, |e| matches!(e, ParseError::BadMagic { .. }));
    let mut b = good.clone();
    b[2] = 2;
    expect_err(&b, |e| *e == ParseError::BadVersion(2));
    let mut b = good.clone();
    b[3] = 1;
    expect_err(
        &b,
        |e| matches!(e, ParseError::BadHeader(m) if m.contains("flags")),
    );
    let mut b = good.clone();
    le32(&mut b, 4, 20);
    expect_err(
        &b,
        |e| matches!(e, ParseError::BadHeader(m) if m.contains("smaller than 24")),
    );
    let mut b = good.clone();
    le32(&mut b, 4, 1 << 20);
    expect_err(
        &b,
        |e| matches!(e, ParseError::Truncated { need, .. } if *need == 1 << 20),
    );
    // type section running past the end
    let mut b = good.clone();
    le32(&mut b, 12, 1 << 20);
    expect_err(&b, |e| {
        matches!(
            e,
            ParseError::SectionOutOfBounds {
                section: "type",
                ..
            }
        )
    });
    // string section overlapping the type section
    let mut b = good.clone();
    le32(&mut b, 16, 0);
    expect_err(&b, |e| matches!(e, ParseError::SectionOutOfBounds { .. }));
}

#[test]
fn unknown_nonzero_header_fields_are_rejected() {
    // A 40-byte header: the layout fields (zero) plus 8 unknown bytes.
    let good = sample_bytes();
    let mut b = good[..24].to_vec();
    le32(&mut b, 4, 40);
    b.extend_from_slice(&[0; 16]);
    b.extend_from_slice(&good[24..]);
    assert!(
        Btf::parse(&b).is_ok(),
        "zeroed unknown header fields are fine"
    );
    b[36] = 1;
    expect_err(
        &b,
        |e| matches!(e, ParseError::BadHeader(m) if m.contains("unknown non-zero")),
    );
}

#[test]
fn string_section_errors() {
    let good = sample_bytes();
    let str_start = 24 + u32::from_ne_bytes(good[16..20].try_into().unwrap()) as usize;
    let mut b = good.clone();
    b[str_start] = b'x';
    expect_err(
        &b,
        |e| matches!(e, ParseError::BadStrings(m) if m.contains("start")),
    );
    let mut b = good.clone();
    *b.last_mut().unwrap() = b'x';
    expect_err(
        &b,
        |e| matches!(e, ParseError::BadStrings(m) if m.contains("end")),
    );
    let mut b = good.clone();
    b[str_start + 1] = 0xff;
    expect_err(
        &b,
        |e| matches!(e, ParseError::BadStrings(m) if m.contains("UTF-8")),
    );
}

/// Patches word `word` of type `n` and expects a `BadType` for that type
/// whose reason contains `needle`.
#[track_caller]
fn expect_bad_type(n: u32, word: usize, value: u32, needle: &str) {
    let mut b = sample_bytes();
    let at = type_offset(&b, n) + word * 4;
    le32(&mut b, at, value);
    expect_err(
        &b,
        |e| matches!(e, ParseError::BadType { id, reason, .. } if id.0 == n && reason.contains(needle)),
    );
}

#[test]
fn type_errors_name_the_type_and_the_problem() {
    let info = |kind: u32, vlen: u32| (kind << 24) | vlen;
    expect_bad_type(1, 1, info(0, 0), "kind 0");
    expect_bad_type(1, 2, 3, "INT size 3");
    expect_bad_type(1, 3, 40, "does not fit"); // 40 bits in 4 bytes
    expect_bad_type(1, 3, (3 << 24) | 32, "encoding");
    expect_bad_type(1, 3, 0x100 | 32, "unused bits");
    expect_bad_type(3, 1, info(2, 1), "non-zero vlen");
    expect_bad_type(3, 2, 99, "beyond the last type [11]");
    expect_bad_type(4, 3, 77, "array element refers to type [77]");
    expect_bad_type(5, 3, 1 << 30, "name offset");
    expect_bad_type(6, 2, 3, "ENUM size 3");
    expect_bad_type(9, 1, info(12, 3), "FUNC linkage 3");
    expect_bad_type(9, 2, 0, "FUNC refers to void");
    expect_bad_type(10, 3, 7, "VAR linkage 7");
    expect_bad_type(10, 0, 0, "VAR without a name");
    expect_bad_type(11, 3, 1, "not a VAR or FUNC");
    expect_bad_type(11, 4, u32::MAX, "overflows");
}

#[test]
fn unknown_kind_needs_a_layout_section() {
    let mut b = sample_bytes();
    let at = type_offset(&b, 2);
    le32(&mut b, at + 4, 25 << 24);
    expect_err(
        &b,
        |e| matches!(e, ParseError::UnknownKind { id, kind: 25, .. } if id.0 == 2),
    );
}

#[test]
fn layout_section_steps_over_unknown_kinds() {
    // Kind 25 with 4 fixed bytes and 8-byte elements, described by a layout
    // section; the types after it must still parse.
    let (mut builder, _) = sample();
    let mut layout = vec![KindLayout::default(); 26];
    layout[25] = KindLayout {
        info_size: 4,
        elem_size: 8,
        flags: 0,
    };
    builder.set_layout(layout.clone());
    let mut bytes = builder.to_bytes().unwrap();
    // Turn type 2 (`unsigned char`, INT: 4 fixed bytes, no elements) into
    // kind 25 with vlen 0: same size.
    let at = type_offset(&bytes, 2);
    le32(&mut bytes, at + 4, 25 << 24);
    let btf = Btf::parse(&bytes).unwrap();
    assert_eq!(btf.kind_layouts(), &layout[..]);
    let Some(Type::Unknown(u)) = btf.type_by_id(TypeId(2)) else {
        panic!()
    };
    assert_eq!((u.kind, u.name, u.record.len()), (25, "unsigned char", 16));
    assert!(matches!(btf.type_by_id(TypeId(5)), Some(Type::Struct(_))));
    // And it round-trips through the writer, layout included.
    let again = BtfBuilder::from_btf(&btf).unwrap().to_bytes().unwrap();
    let again = Btf::parse(&again).unwrap();
    for id in btf.ids() {
        assert_eq!(btf.type_by_id(id), again.type_by_id(id));
    }
}

#[test]
fn truncated_records() {
    let good = sample_bytes();
    // Claim more members than there are bytes for in the last type.
    let mut b = good.clone();
    let at = type_offset(&b, 11);
    le32(&mut b, at + 4, (15 << 24) | 500);
    expect_err(&b, |e| {
        matches!(
            e,
            ParseError::Truncated {
                what: "DATASEC",
                ..
            }
        )
    });
    // Cut the type section in the middle of a header.
    let mut b = good.clone();
    let type_len = u32::from_ne_bytes(b[12..16].try_into().unwrap());
    le32(&mut b, 12, type_len - 6);
    le32(&mut b, 16, type_len - 6);
    let str_len = u32::from_ne_bytes(b[20..24].try_into().unwrap());
    let str_start = 24 + type_len as usize;
    let strings = b[str_start..str_start + str_len as usize].to_vec();
    b.truncate(24 + type_len as usize - 6);
    b.extend_from_slice(&strings);
    expect_err(&b, |e| matches!(e, ParseError::Truncated { .. }));
}

#[test]
fn kind_flag_semantics() {
    let mut b = BtfBuilder::new();
    let u32_ = b.add_int("u32", 4, IntEncoding::Unsigned);
    let s = b
        .add_struct(
            "bits",
            4,
            &[
                MemberSpec {
                    name: "lo",
                    ty: u32_,
                    bit_offset: 0,
                    bitfield_size: 3,
                },
                MemberSpec {
                    name: "hi",
                    ty: u32_,
                    bit_offset: 3,
                    bitfield_size: 29,
                },
            ],
        )
        .unwrap();
    let fwd_u = b.add_fwd("later_u", true);
    let fwd_s = b.add_fwd("later_s", false);
    let e64 = b
        .add_enum("big", 8, false, true, &[("HUGE", 1 << 40)])
        .unwrap();
    let btf = Btf::parse_owned(b.to_bytes().unwrap()).unwrap();
    let Some(Type::Struct(c)) = btf.type_by_id(s) else {
        panic!()
    };
    assert!(c.kind_flag);
    let m: Vec<_> = c
        .members()
        .map(|m| (m.name, m.offset.0, m.bitfield_size.map(|b| b.get())))
        .collect();
    assert_eq!(m, [("lo", 0, Some(3)), ("hi", 3, Some(29))]);
    assert!(matches!(btf.type_by_id(fwd_u), Some(Type::Fwd(f)) if f.is_union));
    assert!(matches!(btf.type_by_id(fwd_s), Some(Type::Fwd(f)) if !f.is_union));
    let Some(Type::Enum64(e)) = btf.type_by_id(e64) else {
        panic!()
    };
    assert_eq!(e.values().next().unwrap().value, 1 << 40);
    assert_eq!(btf.display(fwd_u).to_string(), "union later_u");
}

#[test]
fn foreign_endian_input_parses_to_the_same_types() {
    let (b, _) = sample();
    let native = Btf::parse_owned(b.to_bytes().unwrap()).unwrap();
    let other = match Endian::NATIVE {
        Endian::Little => Endian::Big,
        Endian::Big => Endian::Little,
    };
    let swapped_bytes = b.to_bytes_endian(other).unwrap();
    let swapped = Btf::parse(&swapped_bytes).unwrap();
    assert_eq!(swapped.endian(), other);
    for id in native.ids() {
        assert_eq!(native.type_by_id(id), swapped.type_by_id(id));
    }
}

#[test]
fn split_btf_continues_ids_and_strings() {
    let (b, ids) = sample();
    let base = Arc::new(Btf::parse_owned(b.to_bytes().unwrap()).unwrap());
    let mut sb = BtfBuilder::new_split(&base);
    assert_eq!(sb.next_id(), TypeId(12));
    let p = sb.add_ptr(ids[4]); // pointer to base struct `s`
    let mine = sb
        .add_struct(
            "module_s",
            16,
            &[
                MemberSpec {
                    name: "base_s",
                    ty: p,
                    bit_offset: 0,
                    bitfield_size: 0,
                },
                MemberSpec {
                    name: "a",
                    ty: ids[0],
                    bit_offset: 64,
                    bitfield_size: 0,
                },
            ],
        )
        .unwrap();
    let dup = sb.add_typedef("s_t", ids[4]); // same name as a base typedef
    let split_bytes = sb.to_bytes().unwrap();
    let split = Btf::parse_split(&split_bytes, base.clone()).unwrap();
    assert_eq!(split.start_id(), TypeId(12));
    assert_eq!(split.type_count(), 14);
    assert_eq!(split.own_ids().collect::<Vec<_>>(), [p, mine, dup]);
    // Base types are reachable through the split BTF.
    assert_eq!(split.type_by_id(ids[4]), base.type_by_id(ids[4]));
    assert_eq!(split.display(p).to_string(), "struct s *");
    assert_eq!(split.size_of(mine).unwrap(), 16);
    // Lookups: base first, ascending ids.
    assert_eq!(split.ids_by_name("s_t"), [ids[6], dup]);
    assert_eq!(
        split.find_by_name_kind("module_s", Kind::Struct),
        Some(mine)
    );
    // The name "a" exists in the base's strings; the split one adds only
    // what the base lacks (base offsets are reused? no: the split writer
    // keeps its own strings), and every name resolves.
    let Some(Type::Struct(c)) = split.type_by_id(mine) else {
        panic!()
    };
    assert_eq!(
        c.members().map(|m| m.name).collect::<Vec<_>>(),
        ["base_s", "a"]
    );
    // A split type referring past the end is rejected with its id.
    let mut bad = split_bytes.clone();
    le32(&mut bad, 24 + 8, 99);
    match Btf::parse_split(&bad, base) {
        Err(ParseError::BadType { id, .. }) => assert_eq!(id, TypeId(12)),
        other => panic!("{other:?}"),
    }
}

#[test]
fn resolve_loops_are_errors_not_hangs() {
    // typedef A -> const -> typedef A (ids 1 -> 2 -> 1)
    let mut b = BtfBuilder::new();
    let a = b.add_typedef("A", TypeId(2));
    let c = b.add_const(a);
    let arr = b.add_array(a, a, 2);
    // const -> volatile -> const, with no typedef name to stop at.
    let c2 = b.add_const(TypeId(b.next_id().0 + 1));
    let _v2 = b.add_volatile(c2);
    let btf = Btf::parse_owned(b.to_bytes().unwrap()).unwrap();
    assert_eq!(btf.resolve(c), Err(TypeError::TooDeep(c)));
    assert_eq!(btf.size_of(arr), Err(TypeError::TooDeep(arr)));
    assert!(btf.align_of(arr).is_err());
    assert_eq!(btf.display(c).to_string(), "const A");
    assert!(btf.display(c2).to_string().contains("..."));
}

#[test]
fn packed_structs_align_to_one() {
    let mut b = BtfBuilder::new();
    let u8_ = b.add_int("u8", 1, IntEncoding::Unsigned);
    let u32_ = b.add_int("u32", 4, IntEncoding::Unsigned);
    let packed = b
        .add_struct(
            "packed",
            5,
            &[
                MemberSpec {
                    name: "a",
                    ty: u8_,
                    bit_offset: 0,
                    bitfield_size: 0,
                },
                MemberSpec {
                    name: "b",
                    ty: u32_,
                    bit_offset: 8,
                    bitfield_size: 0,
                },
            ],
        )
        .unwrap();
    let normal = b
        .add_struct(
            "normal",
            8,
            &[
                MemberSpec {
                    name: "a",
                    ty: u8_,
                    bit_offset: 0,
                    bitfield_size: 0,
                },
                MemberSpec {
                    name: "b",
                    ty: u32_,
                    bit_offset: 32,
                    bitfield_size: 0,
                },
            ],
        )
        .unwrap();
    let btf = Btf::parse_owned(b.to_bytes().unwrap()).unwrap();
    assert_eq!(btf.align_of(packed).unwrap(), 1);
    assert_eq!(btf.align_of(normal).unwrap(), 4);
}

#[test]
fn display_of_declarators() {
    let mut b = BtfBuilder::new();
    let int = b.add_int("int", 4, IntEncoding::Signed);
    let ch = b.add_int("char", 1, IntEncoding::Signed);
    let p = b.add_ptr(ch);
    let cp = b.add_const(p); // char *const
    let proto = b.add_func_proto(int, &[("a", int), ("b", p)]).unwrap();
    let fp = b.add_ptr(proto); // int (*)(int, char *)
    let afp = b.add_array(fp, int, 3); // int (*[3])(int, char *)
    let pa = b.add_array(int, int, 4);
    let ppa = b.add_ptr(pa); // int (*)[4]
    let v = b.add_volatile(int);
    let noargs = b.add_func_proto(TypeId::VOID, &[]).unwrap();
    let btf = Btf::parse_owned(b.to_bytes().unwrap()).unwrap();
    assert_eq!(btf.display(cp).to_string(), "char *const");
    assert_eq!(btf.display(fp).to_string(), "int (*)(int, char *)");
    assert_eq!(btf.display(afp).to_string(), "int (*[3])(int, char *)");
    assert_eq!(btf.display(ppa).to_string(), "int (*)[4]");
    assert_eq!(btf.display(v).to_string(), "volatile int");
    assert_eq!(btf.display(noargs).to_string(), "void (void)");
}

#[test]
fn lookups_switch_to_an_index_with_the_same_answers() {
    let (b, ids) = sample();
    let btf = Btf::parse_owned(b.to_bytes().unwrap()).unwrap();
    assert!(btf.names.get().is_none());
    let first = btf.find_by_name_kind("s", Kind::Struct);
    assert_eq!(first, Some(ids[4]));
    assert_eq!(btf.find_by_name("nope"), None);
    // Keep missing until scanning has cost enough to build the index.
    for _ in 0..INDEX_AFTER_SCANS {
        assert_eq!(btf.find_by_name("nope"), None);
    }
    assert!(btf.names.get().is_some(), "index was not built");
    assert_eq!(btf.find_by_name_kind("s", Kind::Struct), first);
    assert_eq!(btf.find_by_name_kind("s", Kind::Union), None);
    assert_eq!(btf.ids_by_name("int"), [ids[0]]);
    assert_eq!(btf.find_by_name(""), None);
    assert!(btf.index_heap_size() > 0);
}

#[test]
fn builder_rejects_what_btf_cannot_encode() {
    let mut b = BtfBuilder::new();
    let int = b.add_int("int", 4, IntEncoding::Signed);
    let many: Vec<MemberSpec<'_>> = (0..70_000)
        .map(|_| MemberSpec {
            name: "m",
            ty: int,
            bit_offset: 0,
            bitfield_size: 0,
        })
        .collect();
    assert!(matches!(
        b.add_struct("big", 4, &many),
        Err(BuildError::VlenTooLarge { count: 70_000, .. })
    ));
    let far = MemberSpec {
        name: "far",
        ty: int,
        bit_offset: 1 << 25,
        bitfield_size: 1,
    };
    assert!(matches!(
        b.add_struct("far", 4, &[far]),
        Err(BuildError::BadBitfield { .. })
    ));
}

#[test]
fn ext_records_larger_than_known_are_stepped_over() {
    use crate::ext::*;
    // func_info with 12-byte records (4 unknown trailing bytes each).
    let mut b = Vec::new();
    b.extend_from_slice(&BTF_MAGIC.to_ne_bytes());
    b.extend_from_slice(&[1, 0]);
    for w in [32u32, 0, 4 + 8 + 24, 0, 0, 0, 0] {
        b.extend_from_slice(&w.to_ne_bytes());
    }
    for w in [12u32, 5, 2, 0, 7, 0xdead, 16, 8, 0xbeef] {
        b.extend_from_slice(&w.to_ne_bytes());
    }
    let ext = BtfExt::parse(&b).unwrap();
    assert_eq!(ext.func_info.len(), 1);
    assert_eq!(ext.func_info[0].sec_name_off, StrOffset(5));
    assert_eq!(
        ext.func_info[0].records,
        [
            FuncInfo {
                insn_off: 0,
                type_id: TypeId(7)
            },
            FuncInfo {
                insn_off: 16,
                type_id: TypeId(8)
            }
        ]
    );
    // Record size below the minimum, zero records, and overruns are errors.
    let mut small = b.clone();
    le32(&mut small, 32, 4);
    assert!(matches!(
        BtfExt::parse(&small),
        Err(ParseError::BadExt {
            section: "func_info",
            ..
        })
    ));
    let mut zero = b.clone();
    le32(&mut zero, 40, 0);
    assert!(
        matches!(BtfExt::parse(&zero), Err(ParseError::BadExt { reason, .. }) if reason.contains("no records"))
    );
    let mut over = b.clone();
    le32(&mut over, 40, 3);
    assert!(
        matches!(BtfExt::parse(&over), Err(ParseError::BadExt { reason, .. }) if reason.contains("past the end"))
    );
    let mut oob = b.clone();
    le32(&mut oob, 12, 1000);
    assert!(matches!(
        BtfExt::parse(&oob),
        Err(ParseError::SectionOutOfBounds { .. })
    ));
}

#[test]
fn layout_validation_of_self_containing_anonymous_members_terminates() {
    use crate::layout::{validate, CompositeKind, Field, FieldType, Layout};
    // struct s { struct s; struct s; } through anonymous members: flattening
    // would double at each of 32 levels.
    let mut b = BtfBuilder::new();
    let s = b
        .add_struct(
            "s",
            8,
            &[
                MemberSpec {
                    name: "",
                    ty: TypeId(1),
                    bit_offset: 0,
                    bitfield_size: 0,
                },
                MemberSpec {
                    name: "",
                    ty: TypeId(1),
                    bit_offset: 0,
                    bitfield_size: 0,
                },
            ],
        )
        .unwrap();
    let btf = Btf::parse_owned(b.to_bytes().unwrap()).unwrap();
    static FIELDS: [Field; 1] = [Field {
        name: "x",
        rust_name: "x",
        offset: 0,
        size: 8,
        ty: <u64 as crate::layout::BtfLayout>::btf_type,
        pad: false,
        anon: false,
        bitfields: &[],
    }];
    static L: Layout = Layout {
        name: "s",
        rust_name: "S",
        size: 8,
        align: 8,
        kind: CompositeKind::Struct,
        fields: &FIELDS,
        variants: &[],
        subset: true,
    };
    struct S;
    impl crate::layout::BtfLayout for S {
        fn btf_type() -> FieldType {
            FieldType::Composite(&L)
        }
    }
    let start = std::time::Instant::now();
    let err = validate::<S>(&btf, s).unwrap_err();
    assert!(start.elapsed() < std::time::Duration::from_secs(5));
    assert_eq!(
        err.differences[0].problem,
        crate::layout::Problem::MissingInBtf
    );
}

#[test]
fn name_offsets_inside_a_utf8_character_are_rejected() {
    let mut b = BtfBuilder::new();
    let off = b.add_string("caf\u{e9}").0; // "café": é is 2 bytes
    b.add_int("int", 4, IntEncoding::Signed);
    let mut bytes = b.to_bytes().unwrap();
    assert!(Btf::parse(&bytes).is_ok());
    // Point the INT's name (the first word of the first record, right after
    // the 24-byte header) at the second byte of "é".
    le32(&mut bytes, 24, off + 4);
    expect_err(
        &bytes,
        |e| matches!(e, ParseError::BadType { id, reason, .. } if id.0 == 1 && reason.contains("middle of a UTF-8")),
    );
}
