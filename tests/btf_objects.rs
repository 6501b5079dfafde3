//! The committed BPF objects under `testdata/`: their `.BTF.ext` agrees with
//! their ELF and `.BTF`, their paths are relative, and together they contain
//! every BTF kind. This guards the test corpus as much as the parser: if a
//! clang upgrade or a source edit stops emitting a kind, this fails.

mod common;

use std::collections::{BTreeMap, BTreeSet};

use common::{elf_section, rel, root, testdata_objects};
use object::{Object, ObjectSection, ObjectSymbol, SectionFlags, SymbolKind};
use oxbpf::btf::{Btf, BtfExt, Kind, Linkage, Type};

/// `SHF_EXECINSTR`
const SHF_EXECINSTR: u64 = 0x4;

#[test]
fn func_info_covers_every_program_function() {
    for obj in testdata_objects() {
        let name = rel(&obj);
        let data = std::fs::read(&obj).expect("reading object");
        let elf = object::File::parse(&*data).expect("parsing ELF");
        let btf_bytes = elf_section(&obj, ".BTF");
        let btf = Btf::parse(&btf_bytes).unwrap_or_else(|e| panic!("{name}: .BTF: {e}"));
        let ext = BtfExt::parse(&elf_section(&obj, ".BTF.ext"))
            .unwrap_or_else(|e| panic!("{name}: .BTF.ext: {e}"));

        // Functions per executable section, from the symbol table:
        // section name -> {insn byte offset -> symbol name}.
        let mut funcs: BTreeMap<String, BTreeMap<u32, String>> = BTreeMap::new();
        for sec in elf.sections() {
            let SectionFlags::Elf { sh_flags } = sec.flags() else {
                unreachable!()
            };
            if sh_flags & SHF_EXECINSTR != 0 && sec.size() > 0 {
                funcs.insert(sec.name().unwrap().to_owned(), BTreeMap::new());
            }
        }
        for sym in elf.symbols() {
            if sym.kind() != SymbolKind::Text {
                continue;
            }
            let sec = elf.section_by_index(sym.section_index().unwrap()).unwrap();
            funcs
                .get_mut(sec.name().unwrap())
                .unwrap_or_else(|| panic!("{name}: function symbol outside code"))
                .insert(sym.address() as u32, sym.name().unwrap().to_owned());
        }
        assert!(!funcs.is_empty(), "{name}: expected program sections");

        // The same, from func_info: every record names a FUNC of the right
        // name at the symbol's offset.
        let mut from_ext: BTreeMap<String, BTreeMap<u32, String>> = BTreeMap::new();
        for sec in &ext.func_info {
            let sec_name = sec
                .sec_name(&btf)
                .unwrap_or_else(|| panic!("{name}: bad func_info section name offset"));
            let entry = from_ext.entry(sec_name.to_owned()).or_default();
            assert!(
                !sec.records.is_empty(),
                "{name}: empty func_info for {sec_name}"
            );
            for r in &sec.records {
                let Some(Type::Func(f)) = btf.type_by_id(r.type_id) else {
                    panic!(
                        "{name}: func_info in {sec_name} at {} points at {:?}, not a FUNC",
                        r.insn_off,
                        btf.kind(r.type_id)
                    );
                };
                assert_ne!(f.linkage, Some(Linkage::Extern), "{name}: {}", f.name);
                entry.insert(r.insn_off, f.name.to_owned());
            }
        }
        assert_eq!(from_ext, funcs, "{name}: func_info vs ELF function symbols");
        for (sec, fs) in &from_ext {
            assert!(fs.contains_key(&0), "{name}: {sec} has no function at 0");
        }
    }
}

#[test]
fn line_info_names_relative_sources() {
    let checkout = root().to_str().expect("UTF-8 checkout path");
    for obj in testdata_objects() {
        let name = rel(&obj);
        let btf_bytes = elf_section(&obj, ".BTF");
        let btf = Btf::parse(&btf_bytes).unwrap_or_else(|e| panic!("{name}: .BTF: {e}"));
        let ext = BtfExt::parse(&elf_section(&obj, ".BTF.ext"))
            .unwrap_or_else(|e| panic!("{name}: .BTF.ext: {e}"));
        let source = name.trim_end_matches(".o").to_owned() + ".c";

        assert!(!ext.line_info.is_empty(), "{name}: no line_info");
        let mut files = BTreeSet::new();
        for sec in &ext.line_info {
            let sec_name = sec.sec_name(&btf).expect("line_info section name");
            assert!(
                !sec.records.is_empty(),
                "{name}: empty line_info for {sec_name}"
            );
            for r in &sec.records {
                let file = btf
                    .str_at(r.file_name_off)
                    .unwrap_or_else(|| panic!("{name}: line_info file name offset"));
                let line = btf
                    .str_at(r.line_off)
                    .unwrap_or_else(|| panic!("{name}: line_info line offset"));
                assert!(r.line() > 0, "{name}: line 0 in {sec_name}");
                assert!(!line.is_empty(), "{name}: empty source line in {sec_name}");
                files.insert(file.to_owned());
            }
        }
        assert!(
            files.iter().any(|f| f.trim_start_matches("./") == source),
            "{name}: no line_info names {source} (files: {files:?})"
        );
        for file in &files {
            // libbpf-dev's headers with inline functions (usdt.bpf.h) are
            // named by their system path, the same on every machine (and
            // not necessarily present where the test runs, e.g. the VMs).
            if file.starts_with("/usr/include/bpf/") && file.ends_with(".h") {
                continue;
            }
            assert!(
                !file.starts_with('/') && !file.contains(checkout),
                "{name}: line_info file {file:?} is absolute (build with scripts/build-bpf)"
            );
            // The object's own source, or a header of the corpus with
            // inline functions (e.g. testdata/links/net_common.h).
            let rel = file.trim_start_matches("./");
            assert!(
                rel == source || (rel.ends_with(".h") && root().join(rel).exists()),
                "{name}: line_info file {file:?} is neither {source} nor a header of the repository"
            );
        }
        // Nothing in the object may name the checkout.
        let data = std::fs::read(&obj).expect("reading object");
        assert!(
            !data
                .windows(checkout.len())
                .any(|w| w == checkout.as_bytes()),
            "{name} contains the checkout path {checkout}"
        );
    }
}

#[test]
fn corpus_covers_every_kind() {
    let mut kinds = BTreeSet::new();
    // Finer points that a kind alone does not show.
    let mut seen = BTreeSet::new();
    let mut datasecs = BTreeSet::new();
    for obj in testdata_objects() {
        let bytes = elf_section(&obj, ".BTF");
        let btf = Btf::parse(&bytes).unwrap_or_else(|e| panic!("{}: {e}", rel(&obj)));
        for (_, t) in btf.types() {
            kinds.insert(t.kind());
            match t {
                Type::Int(i) if i.size == 16 => seen.insert("16-byte INT"),
                Type::Struct(c) if c.kind_flag => seen.insert("STRUCT with bitfields"),
                Type::Union(c) if c.kind_flag => seen.insert("UNION with bitfields"),
                Type::Struct(c) if c.name.is_empty() => seen.insert("anonymous STRUCT"),
                Type::Union(c) if c.name.is_empty() => seen.insert("anonymous UNION"),
                Type::Enum(e) if e.signed => seen.insert("signed ENUM"),
                Type::Enum(_) => seen.insert("unsigned ENUM"),
                Type::Enum64(e) if e.signed => seen.insert("signed ENUM64"),
                Type::Enum64(_) => seen.insert("unsigned ENUM64"),
                Type::Fwd(f) if f.is_union => seen.insert("union FWD"),
                Type::Fwd(_) => seen.insert("struct FWD"),
                Type::Array(a) if a.len == 0 => seen.insert("flexible ARRAY"),
                Type::Array(a) if btf.kind(a.elem) == Some(Kind::Array) => {
                    seen.insert("ARRAY of ARRAY")
                }
                Type::FuncProto(p) if p.is_variadic() => seen.insert("variadic FUNC_PROTO"),
                Type::Func(f) => seen.insert(match f.linkage {
                    Some(Linkage::Static) => "static FUNC",
                    Some(Linkage::Global) => "global FUNC",
                    Some(Linkage::Extern) => "extern FUNC",
                    None => "FUNC with unknown linkage",
                }),
                Type::Var(v) => seen.insert(match v.linkage {
                    Some(Linkage::Static) => "static VAR",
                    Some(Linkage::Global) => "global VAR",
                    Some(Linkage::Extern) => "extern VAR",
                    None => "VAR with unknown linkage",
                }),
                Type::DeclTag(d) if d.component_idx < 0 => seen.insert("DECL_TAG on a decl"),
                Type::DeclTag(d) => match btf.kind(d.target) {
                    Some(Kind::Func) => seen.insert("DECL_TAG on a param"),
                    _ => seen.insert("DECL_TAG on a member"),
                },
                Type::Datasec(d) => datasecs.insert(d.name.to_owned()),
                _ => false,
            };
        }
    }
    let all: BTreeSet<Kind> = (1..=19).filter_map(Kind::from_raw).collect();
    assert_eq!(all.len(), 19);
    let missing: Vec<_> = all.difference(&kinds).collect();
    assert!(missing.is_empty(), "no object has kinds {missing:?}");

    let want = [
        "16-byte INT",
        "STRUCT with bitfields",
        "UNION with bitfields",
        "anonymous STRUCT",
        "anonymous UNION",
        "signed ENUM",
        "unsigned ENUM",
        "signed ENUM64",
        "unsigned ENUM64",
        "union FWD",
        "struct FWD",
        "flexible ARRAY",
        "ARRAY of ARRAY",
        "variadic FUNC_PROTO",
        "static FUNC",
        "global FUNC",
        "extern FUNC",
        "static VAR",
        "global VAR",
        "extern VAR",
        "DECL_TAG on a decl",
        "DECL_TAG on a param",
        "DECL_TAG on a member",
    ];
    let missing: Vec<_> = want.iter().filter(|w| !seen.contains(*w)).collect();
    assert!(missing.is_empty(), "no object has {missing:?}");

    let want = [
        ".bss",
        ".data",
        ".data.foo",
        ".kconfig",
        ".ksyms",
        ".maps",
        ".rodata",
    ];
    let missing: Vec<_> = want.iter().filter(|w| !datasecs.contains(**w)).collect();
    assert!(missing.is_empty(), "no object has DATASECs {missing:?}");
}
