//! Differential tests: `oxbpf::btf::dump::write_raw` against
//! `bpftool btf dump file FILE [--base-btf BASE] format raw`, byte for byte,
//! on the running kernel's BTF, on every committed BPF object and on split
//! BTF built with `BtfBuilder::new_split` (whose C header is also checked
//! against `format c`; `tests/codegen_c.rs` has the other C header tests).
//!
//! bpftool and the kernel's BTF are required; set `OXBPF_ALLOW_SKIP=1` to
//! skip (loudly) where they are missing.

mod common;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use common::{assert_same_dump, bpftool, elf_section, rel, require, testdata_objects};
use oxbpf::btf::{
    Btf, BtfBuilder, Endian, IntEncoding, Kind, Linkage, MemberSpec, Type, TypeId, VarSecInfo,
    KERNEL_BTF_PATH,
};

fn oxbpf_dump(btf: &Btf<'_>) -> String {
    let mut out = Vec::new();
    oxbpf::btf::dump::write_raw(btf, &mut out).expect("writing to a Vec");
    String::from_utf8(out).expect("write_raw printed non-UTF-8")
}

/// A fresh, empty directory for one test's files.
fn scratch_dir(test: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("btfdump-{test}"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    dir
}

#[test]
fn vmlinux_matches_bpftool() {
    if !require("bpftool") || !require("kernel-btf") {
        return;
    }
    let expected = bpftool(&["btf", "dump", "file", KERNEL_BTF_PATH, "format", "raw"]);

    // Fully validated parse of a copy ...
    let bytes = std::fs::read(KERNEL_BTF_PATH).expect("reading kernel BTF");
    let btf = Btf::parse(&bytes).expect("parsing kernel BTF");
    assert_same_dump(
        KERNEL_BTF_PATH,
        ("bpftool", &expected),
        ("oxbpf", &oxbpf_dump(&btf)),
    );

    // ... and the mapped, trusted path that `Btf::kernel` takes.
    let kernel = Btf::kernel().expect("Btf::kernel");
    assert_same_dump(
        "Btf::kernel()",
        ("bpftool", &expected),
        ("oxbpf", &oxbpf_dump(&kernel)),
    );
}

#[test]
fn testdata_objects_match_bpftool() {
    if !require("bpftool") {
        return;
    }
    for obj in testdata_objects() {
        // bpftool reads the ELF itself; we hand oxbpf the .BTF section.
        let expected = bpftool(&["btf", "dump", "file", path_str(&obj), "format", "raw"]);
        let bytes = elf_section(&obj, ".BTF");
        let btf = Btf::parse(&bytes).unwrap_or_else(|e| panic!("{}: .BTF: {e}", rel(&obj)));
        assert!(btf.own_type_count() > 0, "{}: empty .BTF", rel(&obj));
        assert_same_dump(
            &rel(&obj),
            ("bpftool", &expected),
            ("oxbpf", &oxbpf_dump(&btf)),
        );
    }
}

#[test]
fn split_on_object_base_matches_bpftool() {
    if !require("bpftool") {
        return;
    }
    let dir = scratch_dir("split-on-object");
    let obj = common::root().join("testdata/btf/kinds.bpf.o");
    let base_path = dir.join("base.btf");
    std::fs::write(&base_path, elf_section(&obj, ".BTF")).expect("writing base.btf");
    let base = Btf::from_file(&base_path).expect("parsing base.btf");
    check_split(&dir, &base_path, Arc::new(base));
}

#[test]
fn split_on_vmlinux_matches_bpftool() {
    if !require("bpftool") || !require("kernel-btf") {
        return;
    }
    let dir = scratch_dir("split-on-vmlinux");
    let base = Btf::kernel().expect("Btf::kernel");
    check_split(&dir, Path::new(KERNEL_BTF_PATH), Arc::new(base));
}

/// The C header of split BTF (base types included, as bpftool prints
/// them) matches bpftool's `--base-btf BASE btf dump file SPLIT format c`.
#[test]
fn split_c_headers_match_bpftool() {
    if !require("bpftool") {
        return;
    }
    let dir = scratch_dir("split-c");
    let obj = common::root().join("testdata/btf/kinds.bpf.o");
    let base_path = dir.join("base.btf");
    std::fs::write(&base_path, elf_section(&obj, ".BTF")).expect("writing base.btf");
    let mut bases = vec![(
        base_path.clone(),
        Arc::new(Btf::from_file(&base_path).expect("parsing base.btf")),
    )];
    if require("kernel-btf") {
        bases.push((
            PathBuf::from(KERNEL_BTF_PATH),
            Arc::new(Btf::kernel().expect("Btf::kernel")),
        ));
    }
    for (i, (base_path, base)) in bases.into_iter().enumerate() {
        let split_path = dir.join(format!("split{i}.btf"));
        std::fs::write(&split_path, build_split(&base)).expect("writing split BTF");
        let expected = bpftool(&[
            "--base-btf",
            path_str(&base_path),
            "btf",
            "dump",
            "file",
            path_str(&split_path),
            "format",
            "c",
        ]);
        let bytes = std::fs::read(&split_path).expect("reading split BTF");
        let btf = Btf::parse_split(&bytes, base).expect("parsing split BTF");
        let mut out = Vec::new();
        oxbpf::btf::codegen::c::write_header(&btf, &mut out).expect("C header of split BTF");
        let actual = String::from_utf8(out).expect("UTF-8 header");
        assert_same_dump(
            &split_path.display().to_string(),
            ("bpftool", &expected),
            ("oxbpf", &actual),
        );
        // Guard: split types made it into the header.
        assert!(
            actual.contains("struct split_wrap {"),
            "no split types in the header"
        );
    }
}

/// Re-serialises BTF with `BtfBuilder::from_btf` in the opposite byte order
/// (libbpf swaps such BTF on load, as oxbpf does) and compares both dumps of
/// the result with the original's bpftool dump.
#[test]
fn byte_swapped_rewrites_match_bpftool() {
    if !require("bpftool") {
        return;
    }
    let dir = scratch_dir("byte-swapped");
    let foreign = match Endian::NATIVE {
        Endian::Little => Endian::Big,
        Endian::Big => Endian::Little,
    };
    let mut inputs: Vec<(String, PathBuf, Vec<u8>)> = testdata_objects()
        .into_iter()
        .map(|obj| (rel(&obj), obj.clone(), elf_section(&obj, ".BTF")))
        .collect();
    if require("kernel-btf") {
        let vmlinux = std::fs::read(KERNEL_BTF_PATH).expect("reading kernel BTF");
        inputs.push((KERNEL_BTF_PATH.into(), KERNEL_BTF_PATH.into(), vmlinux));
    }

    for (i, (name, path, bytes)) in inputs.iter().enumerate() {
        let expected = bpftool(&["btf", "dump", "file", path_str(path), "format", "raw"]);
        let btf = Btf::parse(bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
        let swapped = BtfBuilder::from_btf(&btf)
            .and_then(|b| b.to_bytes_endian(foreign))
            .unwrap_or_else(|e| panic!("{name}: rewriting: {e}"));
        let swapped_path = dir.join(format!("{i}.btf"));
        std::fs::write(&swapped_path, &swapped).expect("writing swapped BTF");

        let what = format!("{name}, byte-swapped");
        let theirs = bpftool(&[
            "btf",
            "dump",
            "file",
            path_str(&swapped_path),
            "format",
            "raw",
        ]);
        assert_same_dump(
            &what,
            ("bpftool, original", &expected),
            ("bpftool, swapped", &theirs),
        );
        let reparsed = Btf::parse(&swapped).unwrap_or_else(|e| panic!("{what}: {e}"));
        assert_eq!(reparsed.endian(), foreign);
        assert_same_dump(
            &what,
            ("bpftool", &expected),
            ("oxbpf", &oxbpf_dump(&reparsed)),
        );
    }
}

/// Builds split BTF on `base`, writes it next to `base_path` and compares
/// bpftool's dump of it with ours.
fn check_split(dir: &Path, base_path: &Path, base: Arc<Btf<'static>>) {
    let split = build_split(&base);
    let split_path = dir.join("split.btf");
    std::fs::write(&split_path, &split).expect("writing split.btf");

    // bpftool 7.1 spells the option `-B` / `--base-btf`; it is global, so
    // it goes before the command.
    let expected = bpftool(&[
        "--base-btf",
        path_str(base_path),
        "btf",
        "dump",
        "file",
        path_str(&split_path),
        "format",
        "raw",
    ]);
    let bytes = std::fs::read(&split_path).expect("reading split.btf");
    let btf = Btf::parse_split(&bytes, base.clone()).expect("parsing split.btf");
    assert_eq!(btf.start_id().0, base.type_count() + 1);
    let actual = oxbpf_dump(&btf);
    assert_same_dump(
        &split_path.display().to_string(),
        ("bpftool", &expected),
        ("oxbpf", &actual),
    );

    // Guard the test itself: every kind made it into the split BTF, and the
    // dump mentions base types (ids below the split's first id).
    let kinds: std::collections::BTreeSet<Kind> =
        btf.own_ids().filter_map(|id| btf.kind(id)).collect();
    assert_eq!(kinds.len(), 19, "split BTF lacks some kinds: {kinds:?}");
    assert!(actual.contains(&format!("type_id={}", first_int(&base).0)));
}

fn path_str(p: &Path) -> &str {
    p.to_str().expect("non-UTF-8 path")
}

/// The first base type for which `pred` holds.
fn first(base: &Btf<'_>, what: &str, pred: impl Fn(TypeId, &Type<'_>) -> bool) -> TypeId {
    base.types()
        .find(|(id, t)| pred(*id, t))
        .map(|(id, _)| id)
        .unwrap_or_else(|| panic!("base BTF has no {what}"))
}

fn first_int(base: &Btf<'_>) -> TypeId {
    base.find_by_name_kind("int", Kind::Int)
        .expect("base BTF has no `int`")
}

/// Lays members out one after another, each 8-byte aligned; returns bit
/// offsets.
#[derive(Default)]
struct Layout(u32);

impl Layout {
    fn place(&mut self, size: u32) -> u32 {
        let at = self.0;
        self.0 = (self.0 + size).next_multiple_of(8);
        at * 8
    }

    fn size(&self) -> u32 {
        self.0
    }
}

/// Split BTF with every kind, most of them referring to base types.
fn build_split(base: &Btf<'_>) -> Vec<u8> {
    let size = |id| base.size_of(id).expect("size of a base type");
    let int = first_int(base);
    let base_struct = first(
        base,
        "struct with members",
        |_, t| matches!(t, Type::Struct(c) if !c.is_empty()),
    );
    let base_union = first(base, "union", |_, t| matches!(t, Type::Union(_)));
    let base_enum = first(base, "enum", |_, t| matches!(t, Type::Enum(_)));
    let base_typedef = first(base, "typedef of at most 8 bytes", |id, t| {
        matches!(t, Type::Typedef(_)) && base.size_of(id).is_ok_and(|s| s <= 8)
    });
    let base_proto = first(base, "func_proto", |_, t| matches!(t, Type::FuncProto(_)));
    let base_func = first(base, "func", |_, t| matches!(t, Type::Func(_)));
    let base_ptr = first(base, "ptr", |_, t| matches!(t, Type::Ptr(_)));

    let mut b = BtfBuilder::new_split(base);
    let m = |name, ty, bit_offset, bitfield_size| MemberSpec {
        name,
        ty,
        bit_offset,
        bitfield_size,
    };

    // The first split type gets its name patched, below, to the base
    // typedef's name offset: split BTF (pahole's, for modules) names types
    // with base strings.
    let Some(Type::Typedef(base_td)) = base.type_by_id(base_typedef) else {
        unreachable!()
    };
    let dup_typedef = b.add_typedef("to-be-patched", base_td.target);
    assert_eq!(dup_typedef.0, base.type_count() + 1);

    // INT: every encoding, 16 bytes, and a non-zero bit offset.
    let s_int = b.add_int("split_int", 4, IntEncoding::Signed);
    b.add_int("split_char", 1, IntEncoding::Char);
    let s_bool = b.add_int("split_bool", 1, IntEncoding::Bool);
    b.add_int("unsigned __int128", 16, IntEncoding::Unsigned);
    let s_bits = b.add_int_bits("split_int_bits", 8, IntEncoding::Unsigned, 4, 40);

    // PTR, ARRAY (1-d, 2-d, flexible), FWD, TYPEDEF and the modifiers.
    let p_struct = b.add_ptr(base_struct);
    let p_void = b.add_ptr(TypeId::VOID);
    b.add_ptr(base_ptr);
    let arr = b.add_array(int, s_int, 7);
    let arr2 = b.add_array(arr, int, 3);
    let flex = b.add_array(int, int, 0);
    let fwd_s = b.add_fwd("split_fwd_struct", false);
    let fwd_u = b.add_fwd("split_fwd_union", true);
    b.add_ptr(fwd_s);
    b.add_ptr(fwd_u);
    let td = b.add_typedef("split_typedef", base_typedef);
    b.add_typedef("split_typedef2", td);
    let vol = b.add_volatile(int);
    let cvi = b.add_const(vol);
    let rst = b.add_restrict(p_struct);
    let tag = b.add_type_tag("user", int);
    let p_tag = b.add_ptr(tag);
    let tag2 = b.add_type_tag("rcu", base_struct);
    let p_tag2 = b.add_ptr(tag2);

    // STRUCT/UNION: bitfields (kind_flag), base types by value, anonymous.
    let mut l = Layout::default();
    let a = l.place(4);
    let bitfields = l.place(4);
    let members = [
        m("a", int, a, 0),
        m("bf1", s_int, bitfields, 3),
        m("bf2", int, bitfields + 3, 29),
        m("p", p_struct, l.place(8), 0),
        m("arr", arr, l.place(28), 0),
        m("td", td, l.place(size(base_typedef)), 0),
        m("tagged", p_tag, l.place(8), 0),
    ];
    let split_struct_size = l.size();
    let st = b
        .add_struct("split_struct", split_struct_size, &members)
        .expect("split_struct");
    let anon_union = b
        .add_union(
            "",
            4,
            &[
                m("whole", s_int, 0, 0),
                m("low", int, 0, 12),
                m("flag", s_bool, 12, 1),
            ],
        )
        .expect("anonymous union");
    b.add_union(
        "split_union",
        8,
        &[m("", anon_union, 0, 0), m("ptr", p_void, 0, 0)],
    )
    .expect("split_union");
    let mut l = Layout::default();
    let members = [
        m("inner", base_struct, l.place(size(base_struct)), 0),
        m("u", base_union, l.place(size(base_union)), 0),
        m("e", base_enum, l.place(size(base_enum)), 0),
        m("grid", arr2, l.place(84), 0),
        m("cvi", cvi, l.place(4), 0),
        m("bits", s_bits, l.place(8), 0),
        m("flex", flex, l.place(0), 0),
    ];
    let wrap_size = l.size();
    let wrap = b
        .add_struct("split_wrap", wrap_size, &members)
        .expect("split_wrap");

    // ENUM (unsigned, signed, empty) and ENUM64 (unsigned, signed).
    b.add_enum(
        "split_enum",
        4,
        false,
        false,
        &[("SPLIT_A", 0), ("SPLIT_B", 0xffff_ffff)],
    )
    .expect("split_enum");
    b.add_enum(
        "split_senum",
        4,
        true,
        false,
        &[("SPLIT_NEG", u64::from(-5i32 as u32)), ("SPLIT_POS", 5)],
    )
    .expect("split_senum");
    b.add_enum("", 1, false, false, &[("SPLIT_ANON", 1)])
        .expect("anonymous enum");
    b.add_enum("split_fwd_enum", 4, false, false, &[])
        .expect("split_fwd_enum");
    b.add_enum(
        "split_enum64",
        8,
        false,
        true,
        &[("SPLIT_BIG", 1 << 40), ("SPLIT_MAX", u64::MAX)],
    )
    .expect("split_enum64");
    b.add_enum(
        "split_senum64",
        8,
        true,
        true,
        &[("SPLIT_MIN", i64::MIN as u64), ("SPLIT_M1", -1i64 as u64)],
    )
    .expect("split_senum64");

    // FLOAT
    b.add_float("split_float", 4);
    b.add_float("long double", 16);

    // FUNC_PROTO (variadic, empty, restrict param) and FUNC of each linkage.
    let proto = b
        .add_func_proto(
            int,
            &[("ctx", p_struct), ("n", td), ("r", rst), ("", TypeId::VOID)],
        )
        .expect("variadic proto");
    let proto_void = b.add_func_proto(TypeId::VOID, &[]).expect("empty proto");
    b.add_func_proto(p_tag2, &[("", base_struct)])
        .expect("unnamed-param proto");
    let f_global = b.add_func("split_global", proto, Linkage::Global);
    b.add_func("split_static", base_proto, Linkage::Static);
    let f_extern = b.add_func("split_extern", proto_void, Linkage::Extern);

    // VAR of each linkage and DATASECs holding them.
    let v_global = b.add_var("split_var", st, Linkage::Global);
    let v_static = b.add_var("split_static_var", wrap, Linkage::Static);
    let v_extern = b.add_var("split_extern_var", int, Linkage::Extern);
    let mut l = Layout::default();
    let vars = [
        VarSecInfo {
            ty: v_global,
            offset: l.place(split_struct_size) / 8,
            size: split_struct_size,
        },
        VarSecInfo {
            ty: v_static,
            offset: l.place(wrap_size) / 8,
            size: wrap_size,
        },
    ];
    b.add_datasec(".data.split", l.size(), &vars)
        .expect(".data.split");
    b.add_datasec(
        ".ksyms",
        0,
        &[
            VarSecInfo {
                ty: f_extern,
                offset: 0,
                size: 0,
            },
            VarSecInfo {
                ty: v_extern,
                offset: 0,
                size: 4,
            },
        ],
    )
    .expect(".ksyms");

    // DECL_TAG on split and base types, members, params and vars.
    b.add_decl_tag("split_struct_tag", st, -1);
    b.add_decl_tag("split_member_tag", st, 1);
    b.add_decl_tag("base_struct_tag", base_struct, -1);
    b.add_decl_tag("base_func_tag", base_func, -1);
    b.add_decl_tag("param_tag", f_global, 0);
    b.add_decl_tag("var_tag", v_global, -1);

    let mut bytes = b.to_bytes().expect("serialising split BTF");
    // Point the first split type's name at the base's string.
    let word = |at: usize| u32::from_ne_bytes(bytes[at..at + 4].try_into().unwrap()) as usize;
    let first_rec = word(4) + word(8); // hdr_len + type_off
    let name_off = base.name_offset(base_typedef).0;
    bytes[first_rec..first_rec + 4].copy_from_slice(&name_off.to_ne_bytes());
    bytes
}
