//! Loading the corpus (`testdata/loader`) into the running kernel and
//! checking what the programs see: subprogram calls, callbacks, global
//! data, maps and their initial slots, externs, pinning, verifier errors.

mod loader_common;

use loader_common::{
    bpffs, corpus, kallsyms_addr, kernel_config, kernel_has_enumerator, kernel_note, require_kernel,
};
use oxbpf::loader::{Collection, LoadError, LoadOptions, Program, TestRun};
use oxbpf::maps::{Map, MapType};
use oxbpf::sys::{LookupFlags, MapFlags, ProgramType};

const EPERM: i32 = 1;
const EACCES: i32 = 13;
const EINVAL: i32 = 22;

/// Runs an XDP program on a small packet; returns its return value.
fn run_xdp(p: &Program) -> u32 {
    p.test_run(&TestRun {
        data_in: &[0u8; 64],
        ..Default::default()
    })
    .unwrap_or_else(|e| panic!("test run of {}: {e}", p.name()))
    .retval
}

fn lookup(map: &Map, key: u32) -> Vec<u8> {
    let mut v = vec![0u8; map.value_size() as usize];
    assert!(map
        .lookup(&key.to_ne_bytes(), &mut v, LookupFlags::empty())
        .unwrap());
    v
}

fn u64_at(b: &[u8], off: usize) -> u64 {
    u64::from_ne_bytes(b[off..off + 8].try_into().unwrap())
}

fn u32_at(b: &[u8], off: usize) -> u32 {
    u32::from_ne_bytes(b[off..off + 4].try_into().unwrap())
}

#[test]
fn subprograms_and_callbacks_run() {
    if !require_kernel() {
        return;
    }
    let spec = corpus("progs");
    let coll = Collection::load(&spec, &LoadOptions::default()).unwrap();
    assert_eq!(coll.programs().count(), spec.programs.len());
    for name in ["xdp_first", "xdp_second", "xdp_callbacks"] {
        assert_eq!(run_xdp(coll.program(name).unwrap()), 2, "{name}: XDP_PASS");
    }
    let results = coll.map("results").unwrap();
    // sub_a(1) = sub_b(1) + 1 = 4; sub_c(2) = sub_b(2) + 2 = 8.
    assert_eq!(u64_at(&lookup(results, 0), 0), 4);
    assert_eq!(u64_at(&lookup(results, 1), 0), 8);
    // bpf_loop: 0 + 1 + ... + 9.
    assert_eq!(u64_at(&lookup(results, 2), 0), 45);
    // for_each over 8 slots: sum of 1 + 3 * key.
    assert_eq!(
        u64_at(&lookup(results, 3), 0),
        (0..8).map(|k| 1 + 3 * k).sum::<u64>()
    );
    // global_double(len) + hidden_triple(1) on a 64-byte packet (50 bytes
    // past the Ethernet header).
    let sock = coll.program("socket_globals").unwrap();
    let out = sock
        .test_run(&TestRun {
            data_in: &[0u8; 64],
            ..Default::default()
        })
        .unwrap();
    assert_eq!(out.retval, 50 * 2 + 3);
    // The long name is kept in full on our side, truncated in the kernel.
    let long = coll.program("a_program_with_a_rather_long_name").unwrap();
    assert_eq!(long.info().unwrap().name, "a_program_with_");
    let info = coll.program("xdp_first").unwrap().info().unwrap();
    assert_eq!(info.prog_type, ProgramType::XDP);
    assert_eq!(info.map_ids, vec![results.id()]);
    assert!(info.verified_insns > 0 && info.xlated_len > 0 && info.jited_len > 0);
    assert!(info.btf_id.is_some(), "loaded with func_info/line_info");
    assert_eq!(info.tag_hex().len(), 16);
    assert!(info.gpl_compatible);
}

#[test]
fn global_data_is_initialised_settable_and_frozen() {
    if !require_kernel() {
        return;
    }
    let mut spec = corpus("globals");
    spec.set_variable("ro_magic", &0xabcdu32).unwrap();
    spec.set_variable("data_counter", &1000u64).unwrap();
    assert!(matches!(
        spec.set_variable("ro_magic", &1u8),
        Err(oxbpf::loader::VariableError::TypeMismatch { .. })
    ));
    assert!(spec.set_variable("no_such_variable", &1u8).is_err());
    let coll = Collection::load(&spec, &LoadOptions::default()).unwrap();
    assert_eq!(run_xdp(coll.program("report").unwrap()), 2);
    let bss = coll.map(".bss").unwrap();
    assert_eq!(bss.name(), "globals.bss");
    let v = lookup(bss, 0);
    let out = 16; // `out` follows static_counter and bss_zero
    assert_eq!(u32_at(&v, out), 0xabcd, "magic from the set .rodata");
    assert_eq!(u32_at(&v, out + 4), 7, "ro_config.mode");
    assert_eq!(u16::from_ne_bytes([v[out + 8], v[out + 9]]), 8080);
    assert_eq!(u64_at(&v, out + 16), 1001, "data_counter + 1");
    assert_eq!(u64_at(&v, out + 24), 10, "sum of ro_array");
    assert_eq!(u64_at(&v, out + 32), 42 + 9, ".data.custom");
    assert_eq!(u64_at(&v, out + 40), 43, ".rodata.custom");
    assert_eq!(u64_at(&v, out + 48), 1 + 511, ".data.big");
    assert_eq!(u64_at(&v, out + 56), 5, "hidden .data.hidden");
    assert_eq!(
        u32_at(&v, out + 64),
        "magic=43981".len() as u32 + 1,
        "snprintf with .rodata.str1.1"
    );
    assert_eq!(u64_at(&v, 8) as i64, -5, "bss_zero = data_signed");
    // .rodata is frozen: user space cannot write it any more.
    let ro = coll.map(".rodata").unwrap();
    assert!(ro
        .flags()
        .contains(MapFlags::RDONLY_PROG | MapFlags::MMAPABLE));
    let bytes = lookup(ro, 0);
    assert!(ro
        .update(&0u32.to_ne_bytes(), &bytes, oxbpf::sys::UpdateFlags::ANY)
        .is_err());
    // Hidden globals make their section not mmapable (libbpf's rule).
    assert!(!coll
        .map(".data.hidden")
        .unwrap()
        .flags()
        .contains(MapFlags::MMAPABLE));
    assert!(coll
        .map(".rodata.str1.1")
        .unwrap()
        .flags()
        .contains(MapFlags::RDONLY_PROG));
}

#[test]
fn maps_and_their_initial_slots() {
    if !require_kernel() {
        return;
    }
    let spec = corpus("maps");
    let coll = Collection::load(&spec, &LoadOptions::default()).unwrap();
    let ringbuf = coll.map("ringbuf").unwrap();
    assert_eq!(ringbuf.max_entries(), 8192, "5000 rounded up to pages");
    let ncpus = oxbpf::sys::nr_possible_cpus().unwrap() as u32;
    assert_eq!(coll.map("perf_events").unwrap().max_entries(), ncpus);
    assert_eq!(coll.map("bloom").unwrap().info().map_extra, 3);
    assert_eq!(coll.map("hash").unwrap().flags(), MapFlags::NO_PREALLOC);
    assert!(coll.map("hash").unwrap().info().btf_id.is_some());
    assert_eq!(
        coll.map("outer_hash").unwrap().map_type(),
        MapType::HASH_OF_MAPS
    );
    // outer_array = { [0] = &inner_a, [2] = &inner_b }: lookups from user
    // space return the inner maps' ids.
    let outer = coll.map("outer_array").unwrap();
    let mut id = [0u8; 4];
    assert!(outer
        .lookup(&0u32.to_ne_bytes(), &mut id, LookupFlags::empty())
        .unwrap());
    assert_eq!(
        u32::from_ne_bytes(id),
        coll.map("inner_a").unwrap().id().as_raw()
    );
    assert!(!outer
        .lookup(&1u32.to_ne_bytes(), &mut id, LookupFlags::empty())
        .unwrap());
    assert!(outer
        .lookup(&2u32.to_ne_bytes(), &mut id, LookupFlags::empty())
        .unwrap());
    assert_eq!(
        u32::from_ne_bytes(id),
        coll.map("inner_b").unwrap().id().as_raw()
    );
    // jump_table = { [0] = tail_zero, [2] = tail_one }: test runs come in
    // on the loopback device (ifindex 1), so use_maps tail-calls slot 2,
    // and tail_one returns XDP_TX.
    let jt = coll.map("jump_table").unwrap();
    assert!(jt
        .lookup(&0u32.to_ne_bytes(), &mut id, LookupFlags::empty())
        .unwrap());
    let tail_zero = coll.program("tail_zero").unwrap().info().unwrap().id;
    assert_eq!(u32::from_ne_bytes(id), tail_zero.as_raw());
    assert_eq!(run_xdp(coll.program("use_maps").unwrap()), 3);
    let info = coll.program("use_maps").unwrap().info().unwrap();
    assert_eq!(info.map_ids.len(), 13);
}

#[test]
fn kconfig_ksyms_and_kfuncs() {
    if !require_kernel() {
        return;
    }
    let spec = corpus("externs");
    let coll = Collection::load(&spec, &LoadOptions::default()).unwrap();
    for p in coll.programs() {
        assert_eq!(run_xdp(p), 2, "{}", p.name());
    }
    let v = lookup(coll.map(".bss").unwrap(), 0);
    let config = kernel_config().expect("neither /boot/config-RELEASE nor /proc/config.gz");
    let value = |name: &str| {
        config
            .lines()
            .find_map(|l| l.strip_prefix(&format!("{name}=")))
            .map(str::to_string)
    };
    assert_eq!(u32_at(&v, 0), 1, "CONFIG_BPF_SYSCALL=y");
    let jit = match value("CONFIG_BPF_JIT").as_deref() {
        Some("y") => 1,
        Some("m") => 2,
        _ => 0,
    };
    assert_eq!(u32_at(&v, 4), jit, "CONFIG_BPF_JIT as tristate");
    if let Some(hz) = value("CONFIG_HZ") {
        assert_eq!(u32_at(&v, 8), hz.parse::<u32>().unwrap());
    }
    if let Some(n) = value("CONFIG_NR_CPUS") {
        assert_eq!(u64_at(&v, 16), n.parse::<u64>().unwrap());
    }
    if let Some(h) = value("CONFIG_DEFAULT_HOSTNAME") {
        let want = h.trim_matches('"').as_bytes();
        let n = want.len().min(7);
        assert_eq!(&v[24..24 + n], &want[..n]);
        assert_eq!(v[24 + n], 0);
    }
    let (a, b, c) = libbpf_kernel_version();
    assert_eq!(
        u32_at(&v, 32),
        (a << 16) + (b << 8) + c.min(255),
        "LINUX_KERNEL_VERSION {a}.{b}.{c}"
    );
    assert_eq!(u32_at(&v, 36), 1, "LINUX_HAS_BPF_COOKIE");
    assert_eq!(u32_at(&v, 40), 0, "weak missing bool");
    assert_eq!(u32_at(&v, 44), 0, "weak missing number");
    let addr = kallsyms_addr("bpf_prog_put").expect("bpf_prog_put in /proc/kallsyms");
    assert_eq!(u64_at(&v, 48), addr, "typeless ksym from kallsyms");
    assert_eq!(u64_at(&v, 56), 0, "weak missing typeless ksym");
    assert_eq!(u32_at(&v, 64), 0, "weak missing typed ksym");
    assert_eq!(u32_at(&v, 68), 0, "bpf_ksym_exists(missing kfunc)");
    // The weak kfuncs of the object: resolved and called where the kernel
    // has them (/proc/kallsyms tells, independently of the loader's kernel
    // BTF lookup), poisoned and skipped where it does not.
    if kallsyms_addr("bpf_iter_num_new").is_some() {
        assert_eq!(u32_at(&v, 72) as i32, 10, "bpf_iter_num sum");
        kernel_note("loader: bpf_iter_num_* kfuncs resolved and called: proven");
    } else {
        assert_eq!(
            u32_at(&v, 72) as i32,
            -2,
            "bpf_iter_num_* absent: not called"
        );
        kernel_note("loader: no bpf_iter_num_* kfuncs: weak calls poisoned, asserted not called");
    }
    assert_eq!(u32_at(&v, 76) as i32, -1, "poisoned weak kfunc not called");
    assert_eq!(
        u32_at(&v, 80),
        u32::from(kallsyms_addr("bpf_rcu_read_lock").is_some()),
        "bpf_ksym_exists(bpf_rcu_read_lock), a kfunc since 6.2"
    );

    // LoadOptions::kconfig takes precedence over the kernel's.
    let opts = LoadOptions {
        kconfig: Some("CONFIG_HZ=100\nCONFIG_OXBPF_MISSING_NUMBER=7\n".into()),
        ..Default::default()
    };
    let coll = Collection::load(&spec, &opts).unwrap();
    run_xdp(coll.program("read_kconfig").unwrap());
    let v = lookup(coll.map(".bss").unwrap(), 0);
    assert_eq!(u32_at(&v, 8), 100);
    assert_eq!(u32_at(&v, 44), 7);
    // A value that does not fit its type is an error naming the extern.
    let opts = LoadOptions {
        kconfig: Some("CONFIG_BPF_SYSCALL=m\n".into()),
        ..Default::default()
    };
    let err = Collection::load(&spec, &opts).unwrap_err();
    assert!(
        matches!(&err, LoadError::Extern { name, .. } if name == "CONFIG_BPF_SYSCALL"),
        "{err}"
    );
    // A kfunc the kernel lacks is an error naming it unless it is weak.
    let mut strong = spec.clone();
    let ext = strong
        .externs
        .iter_mut()
        .find(|e| e.name == "oxbpf_no_such_kfunc")
        .unwrap();
    ext.weak = false;
    let err = Collection::load(&strong, &LoadOptions::default()).unwrap_err();
    assert!(
        matches!(&err, LoadError::Extern { name, reason }
            if name == "oxbpf_no_such_kfunc" && reason.contains("not found in kernel or module BTF")),
        "{err}"
    );
}

/// The kernel version as libbpf's `get_kernel_version` reads it: Ubuntu's
/// `/proc/version_signature` (`Ubuntu 6.8.0-31.31-generic 6.8.1`), else
/// the `Debian X.Y.Z` of `uname -v` (Debian's release string says
/// `6.1.0-56-cloud-amd64` for 6.1.192), else the release.
fn libbpf_kernel_version() -> (u32, u32, u32) {
    let three = |s: &str| {
        let mut parts = s.split(|c: char| !c.is_ascii_digit());
        let mut next = || parts.next()?.parse::<u32>().ok();
        Some((next()?, next()?, next()?))
    };
    let ubuntu = std::fs::read_to_string("/proc/version_signature")
        .ok()
        .and_then(|sig| three(sig.split_whitespace().nth(2)?));
    let debian = || {
        let version = std::fs::read_to_string("/proc/sys/kernel/version").ok()?;
        three(version.split("Debian ").nth(1)?)
    };
    let release = || {
        three(
            std::fs::read_to_string("/proc/sys/kernel/osrelease")
                .ok()?
                .trim(),
        )
    };
    ubuntu
        .or_else(debian)
        .or_else(release)
        .expect("the kernel version from /proc")
}

#[test]
fn optional_programs_and_their_errors() {
    if !require_kernel() {
        return;
    }
    let mut spec = corpus("optional");
    let coll = Collection::load(&spec, &LoadOptions::default()).unwrap();
    let names: Vec<_> = coll.programs().map(|p| p.name().to_string()).collect();
    assert_eq!(names, ["always"], "SEC(\"?...\") programs are not loaded");
    drop(coll);

    spec.program_mut("optional_xdp").unwrap().autoload = true;
    let coll = Collection::load(&spec, &LoadOptions::default()).unwrap();
    assert_eq!(run_xdp(coll.program("optional_xdp").unwrap()), 3);
    drop(coll);

    // A typed ksym variable resolves to its BTF id; this kernel (without
    // CONFIG_KALLSYMS_ALL) then cannot find its address.
    let mut s = spec.clone();
    s.program_mut("typed_ksym").unwrap().autoload = true;
    match Collection::load(&s, &LoadOptions::default()) {
        Ok(_) => {} // a kernel with KALLSYMS_ALL
        Err(LoadError::Program { program, log, .. }) => {
            assert_eq!(program, "typed_ksym");
            assert!(log.as_str().contains("bpf_prog_active"), "{log}");
        }
        Err(e) => panic!("{e}"),
    }

    // CO-RE: task_struct.pid exists in every kernel, so the relocated
    // existence check makes the program pass the packet.
    let mut s = spec.clone();
    s.program_mut("core_prog").unwrap().autoload = true;
    let coll = Collection::load(&s, &LoadOptions::default()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(run_xdp(coll.program("core_prog").unwrap()), 2, "XDP_PASS");
    drop(coll);

    // fentry under lockdown: EPERM from the kernel, reported as lockdown,
    // with the program named.
    let mut s = spec;
    s.program_mut("fentry_prog").unwrap().autoload = true;
    match Collection::load(&s, &LoadOptions::default()) {
        Ok(c) => assert!(c.program("fentry_prog").is_some()),
        Err(LoadError::Lockdown {
            program, source, ..
        }) => {
            assert_eq!(program, "fentry_prog");
            assert_eq!(source.errno(), EPERM, "lockdown");
        }
        Err(e) => panic!("{e}"),
    }
}

#[test]
fn legacy_maps_newer_sections_and_btf_targets() {
    if !require_kernel() {
        return;
    }
    let coll = Collection::load(&corpus("legacy"), &LoadOptions::default()).unwrap();
    let p = coll.program("legacy_prog").unwrap();
    assert_eq!(p.info().unwrap().map_ids.len(), 2);
    let mut one = vec![0u8; 4];
    one[0] = 9;
    coll.map("legacy_array")
        .unwrap()
        .update(&0u32.to_ne_bytes(), &one, oxbpf::sys::UpdateFlags::ANY)
        .unwrap();
    let out = p
        .test_run(&TestRun {
            data_in: &[0u8; 64],
            ..Default::default()
        })
        .unwrap();
    assert_eq!(out.retval, 9);

    let mut newer = corpus("newer");
    let unix = kernel_has_enumerator("bpf_attach_type", "BPF_CGROUP_UNIX_CONNECT");
    if !unix {
        // Before 6.7 the kernel refuses the attach type when the program is
        // loaded, before the verifier runs: EINVAL and no log.
        let err = Collection::load(&newer, &LoadOptions::default()).unwrap_err();
        let LoadError::Program {
            program,
            log,
            source,
        } = &err
        else {
            panic!("{err}");
        };
        assert_eq!(program, "connect_unix");
        assert_eq!(source.errno(), EINVAL, "{err}");
        assert!(log.as_str().is_empty(), "{log}");
        kernel_note("loader: no BPF_CGROUP_UNIX_CONNECT: BPF_PROG_LOAD EINVAL asserted");
        newer.program_mut("connect_unix").unwrap().autoload = false;
    }
    let coll = Collection::load(&newer, &LoadOptions::default()).unwrap();
    assert_eq!(coll.programs().count(), if unix { 5 } else { 4 });
    assert_eq!(coll.program("connect_unix").is_some(), unix);
    assert_eq!(coll.map(".bss.custom").unwrap().value_size(), 24);
    if unix {
        kernel_note("loader: cgroup/connect_unix (BPF_CGROUP_UNIX_CONNECT) loads: proven");
    }

    let coll = Collection::load(&corpus("tracing"), &LoadOptions::default()).unwrap();
    let info = coll.program("on_switch").unwrap().info().unwrap();
    assert_eq!(info.prog_type, ProgramType::TRACING);
    assert!(coll.program("dump_task_sleepable").is_some());
}

#[test]
fn pinned_maps_are_reused_and_checked() {
    if !require_kernel() {
        return;
    }
    let fs = bpffs();
    let opts = LoadOptions {
        pin_root: fs.path().to_path_buf(),
        ..Default::default()
    };
    let spec = corpus("pinning");
    let first = Collection::load(&spec, &opts).unwrap();
    let pin = fs.path().join("shared_counts");
    assert!(pin.exists());
    assert!(!fs.path().join("private_counts").exists());
    let id = first.map("shared_counts").unwrap().id();
    run_xdp(first.program("count").unwrap());
    drop(first);
    // The pin keeps the map; a second load reuses it, contents and all.
    let second = Collection::load(&spec, &opts).unwrap();
    let shared = second.map("shared_counts").unwrap();
    assert_eq!(shared.id(), id);
    assert_eq!(u64_at(&lookup(shared, 0), 0), 1);
    run_xdp(second.program("count").unwrap());
    assert_eq!(u64_at(&lookup(shared, 0), 0), 2);
    drop(second);

    // A different definition is refused.
    let mut other = spec.clone();
    other.map_mut("shared_counts").unwrap().max_entries = 16;
    let err = Collection::load(&other, &opts).unwrap_err();
    assert!(matches!(err, LoadError::IncompatiblePin { .. }), "{err}");

    // A failed load unpins what it pinned.
    std::fs::remove_file(&pin).unwrap();
    let mut broken = spec;
    broken.programs[0].insns.truncate(3);
    assert!(Collection::load(&broken, &opts).is_err());
    assert!(!pin.exists(), "pin removed after the failed load");

    // Not a bpffs: a clear error.
    let opts = LoadOptions {
        pin_root: std::env::temp_dir(),
        ..Default::default()
    };
    let err = Collection::load(&corpus("pinning"), &opts).unwrap_err();
    assert!(err.to_string().contains("shared_counts"), "{err}");
}

#[test]
fn verifier_rejection_carries_the_complete_log() {
    if !require_kernel() {
        return;
    }
    let spec = corpus("verifier_fail");
    // A tiny first buffer: the loader must grow it to the full log.
    let opts = LoadOptions {
        log_size: 4096,
        ..Default::default()
    };
    let err = Collection::load(&spec, &opts).unwrap_err();
    let LoadError::Program {
        program,
        log,
        source,
    } = &err
    else {
        panic!("{err}");
    };
    assert_eq!(program, "rejected");
    assert_eq!(source.errno(), EACCES);
    let text = log.as_str();
    assert!(text.len() > 100_000, "{} bytes", text.len());
    // The log starts at the start: the state at instruction 0, printed
    // "0: R1=ctx() R10=fp0" since 6.6, "0: R1=ctx(off=0,imm=0) R10=fp0"
    // before.
    let first = text.lines().next().unwrap_or_default();
    assert!(
        first.starts_with("0: R1=ctx(") && first.ends_with(") R10=fp0"),
        "the log starts at the start: {first:?}"
    );
    assert!(text.contains("invalid access to map value"));
    assert!(
        log.tail(1).starts_with("processed "),
        "and ends with the summary"
    );
    assert!(err.to_string().contains("invalid access to map value"));

    // With a log level, successful programs keep their logs.
    let mut ok = spec.clone();
    ok.program_mut("rejected").unwrap().autoload = false;
    let coll = Collection::load(
        &ok,
        &LoadOptions {
            log_level: oxbpf::sys::LogLevel::LEVEL1 | oxbpf::sys::LogLevel::STATS,
            ..Default::default()
        },
    )
    .unwrap();
    let log = coll.program("fine").unwrap().verifier_log().unwrap();
    assert!(log.contains("processed"), "{log}");
}

#[test]
fn programs_pin_and_reopen() {
    if !require_kernel() {
        return;
    }
    let fs = bpffs();
    let coll = Collection::load(&corpus("progs"), &LoadOptions::default()).unwrap();
    coll.pin_programs(fs.path()).unwrap();
    let p = Program::from_pin(fs.path().join("xdp_first")).unwrap();
    let orig = coll.program("xdp_first").unwrap();
    assert_eq!(p.info().unwrap().id, orig.info().unwrap().id);
    assert_eq!(p.prog_type(), ProgramType::XDP);
    assert_eq!(p.xlated_insns().unwrap(), orig.xlated_insns().unwrap());
    assert_eq!(
        p.xlated_insns().unwrap().len() * 8,
        orig.info().unwrap().xlated_len as usize
    );
    assert_eq!(run_xdp(&p), 2);
    // Pinning outside a bpffs is refused with a clear error.
    let err = orig
        .pin(std::env::temp_dir().join("oxbpf-not-bpffs"))
        .unwrap_err();
    assert!(
        err.to_string().contains("not on a BPF file system"),
        "{err}"
    );
    // A map fd is not a program.
    let map_fd = coll.map("results").unwrap().try_clone().unwrap().into_fd();
    assert!(Program::from_fd(map_fd).is_err());
}
