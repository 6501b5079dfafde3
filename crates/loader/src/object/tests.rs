//! Parser tests over the committed corpus (`testdata/loader`); no kernel
//! needed.
#![allow(clippy::indexing_slicing)]

use oxbpf_btf::{Kind, Type};
use oxbpf_maps::{MapFlags, MapType, Pinning};
use oxbpf_sys::{AttachType, ProgFlags, ProgramType};

use crate::error::ParseError;
use crate::insn::{pseudo, Insn};
use crate::spec::{
    CollectionSpec, DataSectionKind, ExternKind, KconfigType, ParseOptions, RelocationTarget,
    SlotTarget, VariableError,
};

fn bytes(name: &str) -> Vec<u8> {
    let path = format!(
        "{}/../../testdata/loader/{name}.bpf.o",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn corpus(name: &str) -> CollectionSpec {
    CollectionSpec::parse_with(
        &bytes(name),
        &ParseOptions {
            name: Some(name.to_string()),
            relaxed_maps: false,
        },
    )
    .unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// The instruction a call or callback reference at `i` targets.
fn target(insns: &[Insn], i: usize) -> usize {
    (i as i64 + 1 + i64::from(insns[i].imm)) as usize
}

#[test]
fn subprograms_are_appended_in_libbpfs_order() {
    let spec = corpus("progs");
    let names = |p: &str| -> Vec<String> {
        spec.program(p)
            .unwrap()
            .subprograms
            .iter()
            .map(|s| s.name.clone())
            .collect()
    };
    assert_eq!(names("xdp_first"), ["sub_a", "sub_b"]);
    assert_eq!(names("xdp_second"), ["sub_c", "sub_b"]);
    assert_eq!(names("xdp_callbacks"), ["loop_cb", "for_each_cb", "sub_b"]);
    assert_eq!(names("socket_globals"), ["global_double", "hidden_triple"]);
    assert!(names("classifier_prog").is_empty());
    assert!(
        spec.program("unused_global").is_none(),
        ".text functions are not programs"
    );
    assert!(spec.program("sub_a").is_none());

    for p in &spec.programs {
        let starts: Vec<usize> = std::iter::once(0)
            .chain(p.subprograms.iter().map(|s| s.offset))
            .collect();
        // Every bpf-to-bpf call and callback reference lands on the start
        // of an appended function.
        for (i, insn) in p.insns.iter().enumerate() {
            let is_call = insn.is_pseudo_call();
            let is_func = insn.is_ld_imm64() && insn.src == pseudo::FUNC;
            if is_call || is_func {
                let t = target(&p.insns, i);
                assert!(starts[1..].contains(&t), "{}: insn {i} -> {t}", p.name);
            }
        }
        // func_info: one record per function, in instructions, in order.
        let offs: Vec<usize> = p.func_info.iter().map(|f| f.insn_off as usize).collect();
        assert_eq!(offs, starts, "{}", p.name);
        // line_info: ascending, inside the program.
        assert!(p
            .line_info
            .windows(2)
            .all(|w| w[0].insn_off <= w[1].insn_off));
        assert!(p
            .line_info
            .iter()
            .all(|l| (l.insn_off as usize) < p.insns.len()));
        let last = p.subprograms.last().map_or(0, |s| s.offset + s.len);
        assert_eq!(
            last.max(p.insns.len() - p.subprograms.iter().map(|s| s.len).sum::<usize>()),
            p.insns.len()
        );
    }
    // Callbacks are BPF_PSEUDO_FUNC loads.
    let cb = spec.program("xdp_callbacks").unwrap();
    let funcs: Vec<usize> = cb
        .insns
        .iter()
        .enumerate()
        .filter(|(_, i)| i.is_ld_imm64() && i.src == pseudo::FUNC)
        .map(|(i, _)| target(&cb.insns, i))
        .collect();
    assert_eq!(funcs, [cb.subprograms[0].offset, cb.subprograms[1].offset]);
}

#[test]
fn sections_give_types_and_flags() {
    let spec = corpus("progs");
    let p = |n: &str| spec.program(n).unwrap();
    assert_eq!(spec.license, "Dual MIT/GPL");
    assert_eq!(p("xdp_first").prog_type, ProgramType::XDP);
    assert_eq!(p("xdp_first").expected_attach_type, Some(AttachType::XDP));
    assert_eq!(
        p("tp_getpid").attach_target.as_deref(),
        Some("syscalls/sys_enter_getpid")
    );
    assert_eq!(p("xdp_frags_prog").flags, ProgFlags::XDP_HAS_FRAGS);
    assert_eq!(p("syscall_prog").flags, ProgFlags::SLEEPABLE);
    assert_eq!(
        p("cgroup_connect4").prog_type,
        ProgramType::CGROUP_SOCK_ADDR
    );
    assert_eq!(
        p("uprobe_prog").attach_target.as_deref(),
        Some("/proc/self/exe:main")
    );
    assert!(spec.programs.iter().all(|p| p.autoload));
    let opt = corpus("optional");
    assert!(opt.program("always").unwrap().autoload);
    let x = opt.program("optional_xdp").unwrap();
    assert!(!x.autoload);
    assert_eq!(x.section, "xdp", "the `?` is not part of the section");
    assert_eq!(opt.program("core_prog").unwrap().core_relos.len(), 1);
    let tr = corpus("tracing");
    let s = tr.program("dump_task_sleepable").unwrap();
    assert_eq!(s.expected_attach_type, Some(AttachType::TRACE_ITER));
    assert_eq!(s.flags, ProgFlags::SLEEPABLE);
    assert!(s.section_info.as_ref().unwrap().attach_btf);
}

#[test]
fn btf_maps_with_every_field() {
    let spec = corpus("maps");
    let m = |n: &str| spec.map(n).unwrap_or_else(|| panic!("{n}"));
    assert_eq!(m("hash").map_type, MapType::HASH);
    assert_eq!((m("hash").key_size, m("hash").value_size), (4, 32));
    assert_eq!(m("hash").flags, MapFlags::NO_PREALLOC);
    let btf = m("hash").btf.as_ref().unwrap();
    assert_eq!(btf.btf.name_of(btf.value_type_id), "value");
    assert!(m("sized_array").btf.is_none(), "sizes only: no BTF types");
    assert_eq!(
        m("ringbuf").max_entries,
        8192,
        "rounded up to the page size"
    );
    assert_eq!(m("perf_events").max_entries, 0, "filled in at load");
    assert_eq!(m("bloom").map_extra, 3);
    assert_eq!(
        m("lru").numa_node,
        None,
        "no BPF_F_NUMA_NODE: numa_node unused"
    );
    let inner = m("outer_hash").inner_map.as_ref().unwrap();
    assert_eq!(inner.name, "outer_hash.inner");
    assert_eq!((inner.map_type, inner.max_entries), (MapType::HASH, 2));
    assert_eq!(m("outer_array").value_size, 4);
    assert_eq!(m("jump_table").map_type, MapType::PROG_ARRAY);
    let slots: Vec<_> = spec
        .map_slots
        .iter()
        .map(|s| (s.map.as_str(), s.index, s.target.clone()))
        .collect();
    assert_eq!(
        slots,
        [
            ("outer_array", 0, SlotTarget::Map("inner_a".into())),
            ("outer_array", 2, SlotTarget::Map("inner_b".into())),
            ("jump_table", 0, SlotTarget::Program("tail_zero".into())),
            ("jump_table", 2, SlotTarget::Program("tail_one".into())),
        ]
    );
    let pinning = corpus("pinning");
    assert_eq!(
        pinning.map("shared_counts").unwrap().pinning,
        Pinning::ByName
    );
    assert_eq!(
        pinning.map("private_counts").unwrap().pinning,
        Pinning::None
    );
    let legacy = corpus("legacy");
    let h = legacy.map("legacy_hash").unwrap();
    assert_eq!(
        (h.map_type, h.key_size, h.value_size, h.max_entries, h.flags),
        (MapType::HASH, 4, 8, 16, MapFlags::NO_PREALLOC)
    );
    let p = legacy.program("legacy_prog").unwrap();
    assert!(p
        .relocations
        .iter()
        .all(|r| matches!(&r.target, RelocationTarget::Map { map } if map.starts_with("legacy_"))));
}

#[test]
fn global_data_sections_maps_and_variables() {
    let spec = corpus("globals");
    let names: Vec<_> = spec.maps.iter().map(|m| m.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "globals.rodata",
            "globals.data",
            ".data.custom",
            ".rodata.custom",
            ".data.big",
            ".data.hidden",
            "globals.bss",
            ".rodata.str1.1"
        ]
    );
    let ro = spec.map(".rodata").unwrap();
    assert_eq!(ro.flags, MapFlags::RDONLY_PROG | MapFlags::MMAPABLE);
    assert!(ro.freeze);
    assert_eq!(spec.map(".data.hidden").unwrap().flags, MapFlags::empty());
    let s = spec.map(".rodata.str1.1").unwrap();
    assert!(s.btf.is_none() && s.flags == MapFlags::RDONLY_PROG);
    assert_eq!(spec.map(".bss").unwrap().contents[0].value, vec![0; 88]);
    let d = spec.data_section(".rodata").unwrap();
    assert_eq!(d.kind, DataSectionKind::Rodata);
    let magic = d.variables.iter().find(|v| v.name == "ro_magic").unwrap();
    assert_eq!(
        (magic.offset, magic.size, magic.scalar_size),
        (0, 4, Some(4))
    );
    let hidden = spec.data_section(".data.hidden").unwrap();
    assert!(!hidden.variables[0].global);
    assert_eq!(
        spec.variable_value("ro_magic").unwrap(),
        0x1234u32.to_ne_bytes()
    );
    assert_eq!(
        spec.variable_value("custom_data").unwrap(),
        42u64.to_ne_bytes()
    );
    // Every global data reference is an ld_imm64 into a data map.
    let report = spec.program("report").unwrap();
    for r in &report.relocations {
        let RelocationTarget::MapValue { map, offset } = &r.target else {
            panic!("{r:?}");
        };
        assert!(report.insns[r.insn].is_ld_imm64());
        assert!(*offset < spec.map(map).unwrap().value_size);
    }
    // The fixed-up BTF has real DATASEC sizes and offsets.
    let btf = spec.btf.as_ref().unwrap();
    let id = btf
        .find_by_name_kind(".data.custom", Kind::Datasec)
        .unwrap();
    let Some(Type::Datasec(ds)) = btf.type_by_id(id) else {
        panic!()
    };
    assert_eq!(ds.size, 20);
    let offs: Vec<u32> = ds.vars().map(|v| v.offset).collect();
    assert_eq!(offs, [0, 8]);
    // Names without an object name: libbpf's open_mem would prefix garbage.
    let anon = CollectionSpec::parse(&bytes("globals")).unwrap();
    assert!(anon.map(".rodata").is_some() && anon.maps[0].name == ".rodata");
}

#[test]
fn set_variable_checks_types() {
    let mut spec = corpus("globals");
    spec.set_variable("ro_magic", &7u32).unwrap();
    spec.set_variable("data_signed", &-1i32).unwrap();
    assert_eq!(
        spec.variable_value("data_signed").unwrap(),
        (-1i32).to_ne_bytes()
    );
    assert!(matches!(
        spec.set_variable("ro_magic", &7u64),
        Err(VariableError::TypeMismatch { .. })
    ));
    // A struct variable takes bytes of its size, not a scalar of that size.
    assert!(spec.set_variable_bytes("ro_config", &[1; 8]).is_ok());
    assert!(
        spec.set_variable("ro_config", &0u64).is_ok(),
        "struct of 8 bytes"
    );
    assert!(spec.set_variable_bytes("ro_config", &[1; 4]).is_err());
    assert!(matches!(
        spec.set_variable("nope", &0u8),
        Err(VariableError::NotFound(_))
    ));
    spec.set_variable("bss_zero", &5u64).unwrap();
    assert_eq!(spec.variable_value("bss_zero").unwrap(), 5u64.to_ne_bytes());
    let mut ext = corpus("externs");
    assert!(
        ext.set_variable("CONFIG_HZ", &1i32).is_err(),
        ".kconfig is the loader's"
    );
}

#[test]
fn externs_are_laid_out_like_libbpf() {
    let spec = corpus("externs");
    let kconfig: Vec<(&str, u32, u32)> = spec
        .externs
        .iter()
        .filter_map(|e| match e.kind {
            ExternKind::Kconfig { offset, size, .. } => Some((e.name.as_str(), offset, size)),
            _ => None,
        })
        .collect();
    // By alignment (descending), then size (ascending), then name.
    assert_eq!(
        kconfig,
        [
            ("CONFIG_NR_CPUS", 0, 8),
            ("CONFIG_BPF_JIT", 8, 4),
            ("CONFIG_HZ", 12, 4),
            ("CONFIG_OXBPF_MISSING_NUMBER", 16, 4),
            ("LINUX_KERNEL_VERSION", 20, 4),
            ("CONFIG_BPF_SYSCALL", 24, 1),
            ("CONFIG_OXBPF_DOES_NOT_EXIST", 25, 1),
            ("LINUX_HAS_BPF_COOKIE", 26, 1),
            ("CONFIG_DEFAULT_HOSTNAME", 27, 8),
        ]
    );
    let kind = |n: &str| spec.externs.iter().find(|e| e.name == n).unwrap();
    assert!(matches!(
        kind("CONFIG_BPF_JIT").kind,
        ExternKind::Kconfig {
            value_type: KconfigType::Tristate,
            ..
        }
    ));
    assert!(matches!(
        kind("CONFIG_DEFAULT_HOSTNAME").kind,
        ExternKind::Kconfig {
            value_type: KconfigType::CharArray,
            ..
        }
    ));
    assert!(matches!(
        kind("bpf_prog_put").kind,
        ExternKind::Ksym {
            type_id: None,
            func: false
        }
    ));
    assert!(matches!(
        kind("bpf_iter_num_new").kind,
        ExternKind::Ksym {
            type_id: Some(_),
            func: true
        }
    ));
    assert!(kind("oxbpf_no_such_kfunc").weak);
    assert_eq!(spec.map(".kconfig").unwrap().value_size, 35);
    assert_eq!(spec.map(".kconfig").unwrap().name, "externs.kconfig");
    // The BTF the kernel gets has allocated externs: .ksyms holds 4-byte
    // ints and the `dummy_ksym` standing in for functions.
    let btf = spec.btf.as_ref().unwrap();
    let ksyms = btf.find_by_name_kind(".ksyms", Kind::Datasec).unwrap();
    let Some(Type::Datasec(d)) = btf.type_by_id(ksyms) else {
        panic!()
    };
    let dummy = btf.find_by_name_kind("dummy_ksym", Kind::Var).unwrap();
    for (i, v) in d.vars().enumerate() {
        assert_eq!((v.offset, v.size), (4 * i as u32, 4));
        let Some(Type::Var(var)) = btf.type_by_id(v.ty) else {
            panic!()
        };
        assert_eq!(var.raw_linkage, 1, "allocated");
        assert!(v.ty == dummy || btf.size_of(var.ty).unwrap() == 4);
    }
    assert_eq!(d.size, 4 * d.len() as u32);
    let p = spec.program("use_kfuncs").unwrap();
    let calls = p
        .relocations
        .iter()
        .filter(|r| matches!(r.target, RelocationTarget::KfuncCall { .. }))
        .count();
    assert_eq!(calls, 5);
}

#[test]
fn malformed_objects_are_typed_errors() {
    assert!(matches!(
        CollectionSpec::parse(b"not an elf"),
        Err(ParseError::Elf { .. })
    ));
    let good = bytes("progs");
    let mut wrong_machine = good.clone();
    wrong_machine[18] = 62; // EM_X86_64
    wrong_machine[19] = 0;
    assert!(matches!(
        CollectionSpec::parse(&wrong_machine),
        Err(ParseError::NotBpf { machine: 62 })
    ));
    let mut exec = good.clone();
    exec[16] = 2; // ET_EXEC
    assert!(matches!(
        CollectionSpec::parse(&exec),
        Err(ParseError::NotRelocatable { e_type: 2 })
    ));
    let mut elf32 = good.clone();
    elf32[4] = 1;
    assert!(CollectionSpec::parse(&elf32).is_err());
    // No truncation or single-byte corruption panics.
    for name in ["progs", "maps", "externs", "globals"] {
        let data = bytes(name);
        for len in (0..data.len()).step_by(97) {
            let _ = CollectionSpec::parse(&data[..len]);
        }
        for i in (0..data.len()).step_by(13) {
            let mut d = data.clone();
            d[i] ^= 0xa5;
            let _ = CollectionSpec::parse(&d);
        }
    }
}

#[test]
fn every_corpus_object_parses() {
    for name in [
        "progs",
        "maps",
        "globals",
        "externs",
        "optional",
        "legacy",
        "newer",
        "pinning",
        "verifier_fail",
        "tracing",
    ] {
        let spec = corpus(name);
        assert!(!spec.programs.is_empty(), "{name}");
        assert!(!spec.big_endian);
        assert!(
            spec.unsupported.is_empty(),
            "{name}: {:?}",
            spec.unsupported
        );
        for p in &spec.programs {
            assert!(p.insns.len() >= 2, "{name}/{}", p.name);
            for r in &p.relocations {
                assert!(r.insn < p.insns.len());
            }
        }
    }
}

/// `include_bytes!` and slices of larger buffers need not be 8-byte
/// aligned; the parser must not care.
#[test]
fn misaligned_input_parses_like_aligned() {
    let data = bytes("globals");
    let aligned = CollectionSpec::parse(&data).unwrap();
    for shift in 1..8 {
        let mut buf = vec![0u8; data.len() + shift];
        buf[shift..].copy_from_slice(&data);
        let input = &buf[shift..];
        if input.as_ptr() as usize % 8 == 0 {
            continue;
        }
        let spec = CollectionSpec::parse(input)
            .unwrap_or_else(|e| panic!("input misaligned by {shift}: {e}"));
        assert_eq!(spec.programs.len(), aligned.programs.len());
        assert_eq!(spec.maps.len(), aligned.maps.len());
        assert_eq!(spec.programs[0].insns, aligned.programs[0].insns);
    }
}

#[test]
fn two_maps_of_one_name_are_refused() {
    // legacy.bpf.o with its second map renamed to the first's name.
    let mut data = bytes("legacy");
    let (from, to) = (&b"legacy_array\0"[..], &b"legacy_hash\0\0"[..]);
    let mut patched = 0;
    let mut i = 0;
    while let Some(at) = data[i..].windows(from.len()).position(|w| w == from) {
        data[i + at..i + at + to.len()].copy_from_slice(to);
        i += at + to.len();
        patched += 1;
    }
    assert!(patched >= 1);
    match CollectionSpec::parse(&data).unwrap_err() {
        ParseError::Map { map, reason } => {
            assert_eq!(
                (map.as_str(), reason.as_str()),
                ("legacy_hash", "two maps have this name")
            )
        }
        e => panic!("{e:?}"),
    }
}

#[test]
fn a_huge_bss_header_is_refused_before_allocating_it() {
    // globals.bpf.o with its .bss section header claiming 2.8 GB (found by
    // the elf_object_parse fuzzer: parsing allocated the claimed size).
    use object::{Object, ObjectSection};
    let mut data = bytes("globals");
    let (shoff, index) = {
        let file = object::File::parse(&*data).unwrap();
        let bss = file.section_by_name(".bss").expect(".bss");
        let shoff = match &file {
            object::File::Elf64(e) => e.elf_header().e_shoff.get(object::Endianness::Little),
            _ => unreachable!(),
        };
        (shoff as usize, bss.index().0)
    };
    let size_at = shoff + index * 64 + 32;
    data[size_at..size_at + 8].copy_from_slice(&0xA800_0000u64.to_le_bytes());
    match CollectionSpec::parse(&data).unwrap_err() {
        ParseError::Section {
            section, reason, ..
        } => {
            assert_eq!(section, ".bss");
            assert!(
                reason.contains("larger than any kernel accepts"),
                "{reason}"
            );
        }
        e => panic!("{e:?}"),
    }
}
