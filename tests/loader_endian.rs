//! Objects of the other byte order: `scripts/build-bpf` builds a few test
//! sources twice, `-target bpf` (this machine's little-endian) and
//! `-target bpfeb` (`NAME.bpfeb.o`). Both must parse into the same spec —
//! programs instruction for instruction, relocations, BTF and .BTF.ext
//! records, maps, global variables with their values — and loading the
//! foreign one must fail with a typed error rather than feed the kernel
//! swapped bytes.

mod common;

use std::path::Path;

use oxbpf::btf::dump;
use oxbpf::loader::insn::Insn;
use oxbpf::loader::{Collection, CollectionSpec, LoadError, LoadOptions};

const PAIRS: [&str; 4] = ["loader/globals", "loader/maps", "loader/progs", "core/many"];

fn parse(path: &Path) -> CollectionSpec {
    CollectionSpec::from_file(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The same instructions, except where clang itself emits different code
/// for the two byte orders: a 64-bit immediate (`lddw`) that stores a pair
/// of 32-bit fields has its halves swapped on big-endian (the constant
/// describes memory, not a number). Anything else must be identical.
fn assert_same_code(le: &[Insn], be: &[Insn], what: &str) {
    assert_eq!(le.len(), be.len(), "{what}: instruction count");
    let mut i = 0;
    while i < le.len() {
        let (l, b) = (le[i], be[i]);
        if l.code == 0x18 && l.src == 0 && i + 1 < le.len() && l != b {
            let (ln, bn) = (le[i + 1], be[i + 1]);
            let swapped = Insn { imm: bn.imm, ..b } == l && Insn { imm: b.imm, ..bn } == ln;
            assert!(swapped, "{what}: lddw #{i}: {l:?} {ln:?} vs {b:?} {bn:?}");
            i += 2;
            continue;
        }
        assert_eq!(l, b, "{what}: instruction #{i}");
        i += 1;
    }
}

fn raw_dump(spec: &CollectionSpec) -> String {
    let btf = spec.btf.as_ref().expect("object BTF");
    let mut out = Vec::new();
    dump::write_raw(btf, &mut out).unwrap();
    String::from_utf8(out).unwrap()
}

#[test]
fn big_endian_objects_parse_into_the_same_spec() {
    for pair in PAIRS {
        let le_path = common::root().join(format!("testdata/{pair}.bpf.o"));
        let be_path = common::root().join(format!("testdata/{pair}.bpfeb.o"));
        let (le, be) = (parse(&le_path), parse(&be_path));
        assert!(!le.big_endian && be.big_endian, "{pair}");
        assert_eq!(le.name, be.name);
        assert_eq!(
            (&le.license, le.kernel_version),
            (&be.license, be.kernel_version)
        );

        // Programs: every field, every instruction (register nibbles and
        // immediates decoded from the foreign order), every record.
        assert_eq!(le.programs.len(), be.programs.len(), "{pair}");
        assert!(!le.programs.is_empty(), "{pair}");
        for (l, b) in le.programs.iter().zip(&be.programs) {
            let what = format!("{pair}: program `{}`", l.name);
            assert_eq!(format!("{l:?}"), format!("{b:?}"), "{what}");
            assert_same_code(&l.insns, &b.insns, &what);
            assert_eq!(l.relocations, b.relocations, "{what}");
            assert_eq!(l.func_info, b.func_info, "{what}");
            assert_eq!(l.line_info.len(), b.line_info.len(), "{what}");
            assert_eq!(l.core_relos, b.core_relos, "{what}");
        }

        // BTF: the same types, id by id (bpftool's raw dump of each).
        assert_eq!(raw_dump(&le), raw_dump(&be), "{pair}: BTF");

        // Maps: the same shapes; initial contents are byte-swapped per
        // variable, so compare them through the variables below.
        assert_eq!(le.maps.len(), be.maps.len(), "{pair}");
        for (l, b) in le.maps.iter().zip(&be.maps) {
            let shape = |m: &oxbpf::maps::MapSpec| {
                (
                    m.name.clone(),
                    m.map_type,
                    m.key_size,
                    m.value_size,
                    m.max_entries,
                    m.flags,
                    m.numa_node,
                    m.map_extra,
                    m.pinning,
                    m.freeze,
                    m.contents.len(),
                )
            };
            assert_eq!(shape(l), shape(b), "{pair}: map `{}`", l.name);
        }
        assert_eq!(le.map_slots, be.map_slots, "{pair}");
        assert_eq!(le.externs, be.externs, "{pair}");
        assert_eq!(le.data_sections, be.data_sections, "{pair}");

        // Global variables: each scalar's value is the same number.
        let mut scalars = 0;
        for d in &le.data_sections {
            let (Some(lm), Some(bm)) = (le.map(&d.map), be.map(&d.map)) else {
                panic!("{pair}: map of {}", d.section)
            };
            let (Some(lc), Some(bc)) = (lm.contents.first(), bm.contents.first()) else {
                continue; // .bss: no initial contents
            };
            for v in &d.variables {
                let (off, size) = (v.offset as usize, v.size as usize);
                let (lv, bv) = (&lc.value[off..off + size], &bc.value[off..off + size]);
                match v.scalar_size {
                    Some(n @ (2 | 4 | 8)) if n as usize == size => {
                        let mut swapped = bv.to_vec();
                        swapped.reverse();
                        assert_eq!(lv, &swapped[..], "{pair}: `{}`", v.name);
                        scalars += 1;
                    }
                    Some(1) => assert_eq!(lv, bv, "{pair}: `{}`", v.name),
                    _ => {}
                }
            }
        }
        if pair == "loader/globals" {
            assert!(
                scalars >= 3,
                "{pair}: only {scalars} scalar globals compared"
            );
        }
    }
}

#[test]
fn a_foreign_byte_order_object_is_refused_before_any_syscall() {
    let spec = parse(&common::root().join("testdata/loader/progs.bpfeb.o"));
    match Collection::load(&spec, &LoadOptions::default()).unwrap_err() {
        e @ LoadError::ForeignEndian("big") => assert_eq!(
            e.to_string(),
            "the object is big-endian; only objects of this machine's byte order can be loaded"
        ),
        e => panic!("{e:?}"),
    }
}
