//! What only the kernels of the qemu matrix can prove (`scripts/kernel-matrix`
//! runs this file on Debian's 6.1 and 6.12 kernels): kprobes and kretprobes
//! through the kprobe PMU, ksyscall, kprobe.multi, fentry / fexit /
//! fmod_ret through BPF trampolines, and BPF LSM.
//!
//! Every test first decides what the running kernel must do, from facts that
//! do not depend on the code under test: the kernel configuration
//! (`/boot/config-RELEASE` or `/proc/config.gz`), the lockdown mode
//! (securityfs), the kprobe PMU in sysfs. Where the kernel has the feature,
//! the test attaches the program, triggers it with a real syscall or
//! `BPF_PROG_TEST_RUN`, and checks what the program recorded. Where it does
//! not (the development host: lockdown=integrity, no `CONFIG_KPROBES`, no
//! `CONFIG_FPROBE`), the test asserts the exact error instead; it never
//! skips. Inside the matrix (`OXBPF_KERNEL_MATRIX` is set by the VM's
//! `/init`), "not supported" is itself a failure, except kprobe.multi on
//! 6.1, which Debian builds without `CONFIG_FPROBE`.
//!
//! The programs are `testdata/vm/*.bpf.c`. They are attached here with
//! `oxbpf::sys` calls directly (perf_event_open on the kprobe PMU,
//! `PERF_EVENT_IOC_SET_BPF`, `BPF_LINK_CREATE`, `BPF_RAW_TRACEPOINT_OPEN`);
//! the loader's attach API will replace them.
#![cfg(target_arch = "x86_64")]

mod common;

use std::ffi::CStr;
use std::io::ErrorKind;
use std::os::fd::{AsRawFd, OwnedFd};
use std::path::{Path, PathBuf};
use std::process::Command;

use oxbpf::loader::{Collection, CollectionSpec, LoadError, LoadOptions, Program, TestRun};
use oxbpf::sys::{
    self, AttachTarget, AttachType, KprobeMultiFlags, LinkCreateArgs, LinkExtra, LookupFlags,
    PerfEventAttr, PerfEventOpenFlags, UpdateFlags,
};

const EPERM: i32 = 1;
const EINVAL: i32 = 22;
const EOPNOTSUPP: i32 = 95;

// ------------------------------------------------------------------ facts

/// The kernel configuration: `/boot/config-RELEASE`, else `/proc/config.gz`
/// (through `zcat`, not the loader's decoder, which is under test elsewhere).
fn kernel_config() -> String {
    let release = std::fs::read_to_string("/proc/sys/kernel/osrelease")
        .expect("/proc/sys/kernel/osrelease")
        .trim()
        .to_string();
    let boot = format!("/boot/config-{release}");
    if let Ok(text) = std::fs::read_to_string(&boot) {
        return text;
    }
    let out = Command::new("zcat")
        .arg("/proc/config.gz")
        .output()
        .unwrap_or_else(|e| panic!("neither {boot} nor /proc/config.gz (zcat: {e})"));
    assert!(
        out.status.success() && !out.stdout.is_empty(),
        "neither {boot} nor /proc/config.gz is readable"
    );
    String::from_utf8(out.stdout).expect("kernel config is not UTF-8")
}

/// Whether `CONFIG_<name>=y` in the kernel configuration.
fn config_y(config: &str, name: &str) -> bool {
    config
        .lines()
        .any(|l| l.strip_prefix(name).and_then(|r| r.strip_prefix('=')) == Some("y"))
}

/// The files of securityfs the tests read, read once per process.
struct SecurityFs {
    /// `lockdown`, if the kernel has the lockdown LSM.
    lockdown: Option<String>,
    /// `lsm`: the active LSMs.
    lsm: String,
}

/// Reads securityfs where it is mounted, or else through a private mount
/// on a temporary directory (unmounted again).
fn securityfs() -> &'static SecurityFs {
    static FS: std::sync::OnceLock<SecurityFs> = std::sync::OnceLock::new();
    FS.get_or_init(|| {
        let read = |dir: &Path| SecurityFs {
            lockdown: std::fs::read_to_string(dir.join("lockdown")).ok(),
            lsm: std::fs::read_to_string(dir.join("lsm"))
                .unwrap_or_else(|e| panic!("{}/lsm: {e}", dir.display())),
        };
        let mounted = Path::new("/sys/kernel/security");
        if mounted.join("lsm").exists() {
            return read(mounted);
        }
        let dir = std::env::temp_dir().join(format!("oxbpf-securityfs-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let status = Command::new("mount")
            .args(["-t", "securityfs", "securityfs"])
            .arg(&dir)
            .status()
            .expect("running mount");
        assert!(status.success(), "mounting securityfs on {}", dir.display());
        let fs = read(&dir);
        let _ = Command::new("umount").arg(&dir).status();
        let _ = std::fs::remove_dir(&dir);
        fs
    })
}

/// The lockdown mode (`none`, `integrity`, `confidentiality`); `none` if
/// the kernel has no lockdown LSM.
fn lockdown() -> String {
    let Some(text) = &securityfs().lockdown else {
        return "none".to_string();
    };
    let start = text.find('[').expect("lockdown file has a [selected] mode") + 1;
    let end = text[start..].find(']').expect("closing ]") + start;
    text[start..end].to_string()
}

/// The active LSMs, comma-separated.
fn active_lsms() -> String {
    securityfs().lsm.clone()
}

/// The matrix kernel this runs on (`6.1`, `6.12`), if inside the matrix.
fn matrix() -> Option<String> {
    std::env::var("OXBPF_KERNEL_MATRIX").ok()
}

const KPROBE_PMU: &str = "/sys/bus/event_source/devices/kprobe";

/// The kprobe PMU's perf type and the `config` bit that makes a kretprobe.
fn kprobe_pmu() -> std::io::Result<(u32, u32)> {
    let ty = std::fs::read_to_string(format!("{KPROBE_PMU}/type"))?;
    let ty = ty.trim().parse().expect("PMU type is a number");
    let fmt = std::fs::read_to_string(format!("{KPROBE_PMU}/format/retprobe"))?;
    let bit = fmt
        .trim()
        .strip_prefix("config:")
        .and_then(|b| b.parse().ok())
        .unwrap_or_else(|| panic!("unexpected retprobe format {fmt:?}"));
    Ok((ty, bit))
}

/// This thread's id (from `/proc/thread-self`, a link to `PID/task/TID`).
fn gettid() -> u32 {
    let link = std::fs::read_link("/proc/thread-self").expect("/proc/thread-self");
    link.file_name()
        .and_then(|n| n.to_str())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("unexpected /proc/thread-self -> {}", link.display()))
}

/// The address of a kernel symbol in `/proc/kallsyms` (0 if hidden).
fn kallsyms_addr(name: &str) -> Option<u64> {
    let text = std::fs::read_to_string("/proc/kallsyms").expect("/proc/kallsyms");
    text.lines().find_map(|l| {
        let mut f = l.split_whitespace();
        let (addr, _kind, sym) = (f.next()?, f.next()?, f.next()?);
        (sym == name && f.next().is_none()).then(|| u64::from_str_radix(addr, 16).unwrap())
    })
}

/// Prints what a test proved or asserted, past the harness's capture, so
/// the matrix's console log shows it.
fn note(what: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "vm_only: {what}");
}

// ------------------------------------------------------------------ objects

fn object(name: &str) -> CollectionSpec {
    let path: PathBuf = common::root()
        .join("testdata/vm")
        .join(format!("{name}.bpf.o"));
    CollectionSpec::from_file(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn program<'a>(coll: &'a Collection, name: &str) -> &'a Program {
    coll.program(name)
        .unwrap_or_else(|| panic!("no program {name}"))
}

/// Loads an object, panicking with the verifier log on failure.
#[track_caller]
fn load(spec: &CollectionSpec, what: &str) -> Collection {
    match Collection::load(spec, &LoadOptions::default()) {
        Ok(c) => c,
        Err(LoadError::Program {
            program,
            log,
            source,
        }) => panic!(
            "{what}: program {program}: {source}; verifier log:\n{}",
            log.as_str()
        ),
        Err(e) => panic!("{what}: {e}"),
    }
}

/// Writes `state` (the object's only .bss variable): zeros, and this
/// thread's id in `target_tid`, so the programs count only this thread.
fn arm(coll: &Collection) {
    let bss = coll.map(".bss").expect(".bss map");
    let mut value = vec![0u8; bss.value_size() as usize];
    value[..4].copy_from_slice(&gettid().to_ne_bytes());
    bss.update(&0u32.to_ne_bytes(), &value, UpdateFlags::ANY)
        .expect("arming .bss");
}

/// `state` as 64-bit words (word 0 holds target_tid).
fn state(coll: &Collection) -> Vec<u64> {
    let bss = coll.map(".bss").expect(".bss map");
    let mut value = vec![0u8; bss.value_size() as usize];
    assert!(bss
        .lookup(&0u32.to_ne_bytes(), &mut value, LookupFlags::empty())
        .expect("reading .bss"));
    value
        .chunks_exact(8)
        .map(|c| u64::from_ne_bytes(c.try_into().unwrap()))
        .collect()
}

/// Asserts that loading fails with oxbpf's lockdown error: the kernel's
/// `EPERM` for a trampoline program under lockdown `mode`, named as such.
#[track_caller]
fn assert_lockdown_refusal(spec: &CollectionSpec, mode: &str) {
    let err = match Collection::load(spec, &LoadOptions::default()) {
        Ok(_) => panic!("loading succeeded under lockdown={mode}"),
        Err(e) => e,
    };
    let LoadError::Lockdown {
        program,
        mode: reported,
        source,
        ..
    } = &err
    else {
        panic!("expected LoadError::Lockdown (lockdown={mode}), got: {err}");
    };
    assert_eq!(source.errno(), EPERM, "{err}");
    assert_eq!(reported, mode, "{err}");
    assert!(
        err.to_string().contains("lockdown"),
        "the message should say why: {err}"
    );
    assert!(
        spec.program(program).is_some(),
        "{program} is not in the object"
    );
}

// ------------------------------------------------------------------ kprobe PMU

/// Opens a kprobe (or kretprobe) perf event on `func` through the PMU.
fn kprobe_event(
    (pmu, retbit): (u32, u32),
    func: &CStr,
    retprobe: bool,
) -> Result<OwnedFd, sys::SyscallError> {
    let attr = PerfEventAttr {
        event_type: pmu,
        config: if retprobe { 1 << retbit } else { 0 },
        // kprobe_func: the kernel reads the name during the call; `func`
        // outlives it.
        config1: func.as_ptr() as u64,
        config2: 0,
        ..Default::default()
    };
    sys::perf_event_open(&attr, -1, 0, None, PerfEventOpenFlags::empty())
}

/// A bpf_link of `prog` on a perf event, with a cookie.
fn perf_event_link(prog: &Program, event: &OwnedFd, cookie: u64) -> OwnedFd {
    use std::os::fd::AsFd;
    sys::link_create(&LinkCreateArgs {
        prog: prog.fd(),
        target: Some(AttachTarget::Fd(event.as_fd())),
        attach_type: AttachType::PERF_EVENT,
        flags: 0,
        extra: LinkExtra::PerfEvent { bpf_cookie: cookie },
    })
    .expect("BPF_LINK_CREATE (perf_event)")
}

/// ftruncate(2) on a fresh temporary file, with `len`; returns the fd used.
fn ftruncate(len: u64) -> i32 {
    let path = std::env::temp_dir().join(format!("oxbpf-vm-only-{}", gettid()));
    let file = std::fs::File::create(&path).expect("temp file");
    let _ = std::fs::remove_file(&path);
    file.set_len(len).expect("ftruncate");
    file.as_raw_fd()
}

/// kprobe (perf_event_open on the kprobe PMU + `PERF_EVENT_IOC_SET_BPF`)
/// and kretprobe (the same PMU + a perf_event bpf_link with a cookie) on
/// `__x64_sys_getppid`, triggered by getppid(2).
#[test]
fn kprobe_and_kretprobe_on_a_syscall() {
    if !common::require("kernel") {
        return;
    }
    let config = kernel_config();
    let has_kprobes = config_y(&config, "CONFIG_KPROBES");
    let pmu = kprobe_pmu();
    if let Some(k) = matrix() {
        assert!(has_kprobes, "matrix kernel {k} must have CONFIG_KPROBES=y");
    }
    // Kprobe programs load everywhere; attaching needs the PMU.
    let coll = load(
        &object("kprobe"),
        "kprobe programs load even without CONFIG_KPROBES",
    );
    if !has_kprobes {
        let err = pmu.expect_err("a kprobe PMU without CONFIG_KPROBES");
        assert_eq!(err.kind(), ErrorKind::NotFound, "{KPROBE_PMU}: {err}");
        assert!(
            !Path::new("/sys/kernel/tracing/kprobe_events").exists(),
            "no CONFIG_KPROBES, yet tracefs has kprobe_events"
        );
        note("kprobes not supported here (CONFIG_KPROBES is not set): asserted");
        return;
    }
    let pmu = pmu.expect("CONFIG_KPROBES=y but no kprobe PMU");
    arm(&coll);

    let entry = kprobe_event(pmu, c"__x64_sys_getppid", false).expect("kprobe perf event");
    sys::perf_event_ioc_set_bpf(&entry, program(&coll, "on_getppid").fd())
        .expect("PERF_EVENT_IOC_SET_BPF");
    sys::perf_event_ioc_enable(&entry).expect("PERF_EVENT_IOC_ENABLE");
    let ret = kprobe_event(pmu, c"__x64_sys_getppid", true).expect("kretprobe perf event");
    let link = perf_event_link(program(&coll, "on_getppid_ret"), &ret, 0x0bad_cafe);

    let ppid = std::os::unix::process::parent_id();
    let s = state(&coll);
    // Words: 1 kprobe_hits, 2 kprobe_regs, 3 kretprobe_hits, 4 kretprobe_rc,
    // 5 kretprobe_cookie.
    assert_eq!(s[1], 1, "kprobe hits after one getppid()");
    assert!(
        s[2] >> 63 == 1,
        "the wrapper's argument is a kernel pt_regs pointer: {:#x}",
        s[2]
    );
    assert_eq!(s[3], 1, "kretprobe hits after one getppid()");
    assert_eq!(
        s[4],
        u64::from(ppid),
        "kretprobe saw getppid's return value"
    );
    assert_eq!(s[5], 0x0bad_cafe, "bpf_get_attach_cookie in the kretprobe");

    // Detached: no more hits.
    drop((entry, ret, link));
    let _ = std::os::unix::process::parent_id();
    let after = state(&coll);
    assert_eq!((after[1], after[3]), (1, 1), "hits after detaching");
    note("kprobe + kretprobe (kprobe PMU) proven");
}

/// ksyscall: a kprobe on the syscall wrapper `__x64_sys_ftruncate` whose
/// program reads the syscall's own arguments through the wrapper's
/// `struct pt_regs *` (BPF_KSYSCALL, `LINUX_HAS_SYSCALL_WRAPPER`).
#[test]
fn ksyscall_reads_the_syscall_arguments() {
    if !common::require("kernel") {
        return;
    }
    let config = kernel_config();
    let has_kprobes = config_y(&config, "CONFIG_KPROBES");
    if let Some(k) = matrix() {
        assert!(has_kprobes, "matrix kernel {k} must have CONFIG_KPROBES=y");
    }
    let coll = load(
        &object("kprobe"),
        "kprobe programs load even without CONFIG_KPROBES",
    );
    let pmu = match kprobe_pmu() {
        Ok(pmu) => pmu,
        Err(e) => {
            assert!(!has_kprobes, "CONFIG_KPROBES=y but {KPROBE_PMU}: {e}");
            assert_eq!(e.kind(), ErrorKind::NotFound, "{KPROBE_PMU}: {e}");
            note("ksyscall not supported here (no kprobe PMU): asserted");
            return;
        }
    };
    assert!(has_kprobes, "a kprobe PMU without CONFIG_KPROBES=y");
    arm(&coll);
    let event = kprobe_event(pmu, c"__x64_sys_ftruncate", false).expect("kprobe perf event");
    let link = perf_event_link(program(&coll, "on_ftruncate"), &event, 0);
    let len = 0x1234_5678;
    let fd = ftruncate(len);
    let s = state(&coll);
    // Words: 6 ksyscall_hits, 7 ksyscall_fd, 8 ksyscall_len.
    assert_eq!(s[6], 1, "ksyscall hits after one ftruncate()");
    assert_eq!(s[7], fd as u64, "ftruncate's fd argument");
    assert_eq!(s[8], len, "ftruncate's length argument");
    drop((link, event));
    note("ksyscall proven");
}

/// kprobe.multi: one `BPF_LINK_CREATE` on two functions by name, with a
/// cookie each; the program records which cookie fired and
/// `bpf_get_func_ip`. Needs `CONFIG_FPROBE` (6.12 has it, 6.1 does not:
/// there the link must fail with `EOPNOTSUPP`).
#[test]
fn kprobe_multi_by_symbol_with_cookies() {
    if !common::require("kernel") {
        return;
    }
    let config = kernel_config();
    let has_fprobe = config_y(&config, "CONFIG_FPROBE");
    if let Some(k) = matrix() {
        assert_eq!(
            has_fprobe,
            k != "6.1",
            "CONFIG_FPROBE on matrix kernel {k} (Debian's 6.1 lacks it, 6.12 has it)"
        );
    }
    let coll = load(
        &object("kprobe"),
        "kprobe.multi programs load without CONFIG_FPROBE",
    );
    arm(&coll);
    let syms: [&CStr; 2] = [c"__x64_sys_getppid", c"__x64_sys_ftruncate"];
    let result = sys::link_create(&LinkCreateArgs {
        prog: program(&coll, "on_multi").fd(),
        target: None,
        attach_type: AttachType::TRACE_KPROBE_MULTI,
        flags: 0,
        extra: LinkExtra::KprobeMulti {
            flags: KprobeMultiFlags::empty(),
            syms: &syms,
            addrs: &[],
            cookies: &[0, 1],
        },
    });
    if !has_fprobe {
        let err = result.expect_err("kprobe.multi without CONFIG_FPROBE");
        assert_eq!(err.errno(), EOPNOTSUPP, "{err}");
        note("kprobe.multi not supported here (no CONFIG_FPROBE): asserted");
        return;
    }
    let link = result.expect("BPF_LINK_CREATE (kprobe_multi)");
    let _ = std::os::unix::process::parent_id();
    ftruncate(4096);
    let s = state(&coll);
    // Words: 9 multi_hits, 10 multi_cookies, 11..=12 multi_ips.
    assert_eq!(s[9], 2, "kprobe.multi hits: getppid + ftruncate");
    assert_eq!(s[10], 0b11, "both cookies fired");
    for (i, sym) in syms.iter().enumerate() {
        let name = sym.to_str().unwrap();
        let addr = kallsyms_addr(name).unwrap_or_else(|| panic!("{name} in /proc/kallsyms"));
        if addr != 0 {
            // With IBT the probe sits after the 4-byte endbr64.
            assert!(
                s[11 + i] == addr || s[11 + i] == addr + 4,
                "bpf_get_func_ip for {name}: {:#x}, kallsyms {addr:#x}",
                s[11 + i]
            );
        }
    }
    drop(link);
    note("kprobe.multi proven");
}

// ------------------------------------------------------------------ trampolines

/// `object(name)` with only `programs` loaded (autoload).
fn object_with(name: &str, programs: &[&str]) -> CollectionSpec {
    let mut spec = object(name);
    let all: Vec<String> = spec.programs.iter().map(|p| p.name.clone()).collect();
    for p in &all {
        spec.program_mut(p).unwrap().autoload = programs.contains(&p.as_str());
    }
    for p in programs {
        assert!(
            all.iter().any(|a| a == p),
            "{name}.bpf.o has no program {p}"
        );
    }
    spec
}

/// The running kernel's (major, minor).
fn kernel_version() -> (u32, u32) {
    let release = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap();
    let mut parts = release.trim().split(|c: char| !c.is_ascii_digit());
    let major = parts.next().and_then(|p| p.parse().ok()).unwrap();
    let minor = parts.next().and_then(|p| p.parse().ok()).unwrap();
    (major, minor)
}

/// The lockdown mode, asserting that the matrix kernels have none.
fn lockdown_outside_matrix() -> String {
    let mode = lockdown();
    if let Some(k) = matrix() {
        assert_eq!(mode, "none", "lockdown on matrix kernel {k}");
    }
    mode
}

/// fentry (through `BPF_RAW_TRACEPOINT_OPEN`) and fexit (through
/// `BPF_LINK_CREATE`) on `bpf_fentry_test1`, triggered by
/// `BPF_PROG_TEST_RUN` of the fentry program itself. Under lockdown (this
/// host), loading fails with `EPERM` before the verifier.
#[test]
fn fentry_and_fexit_via_test_run() {
    if !common::require("kernel") {
        return;
    }
    let mode = lockdown_outside_matrix();
    let spec = object_with("tracing", &["fentry_test1", "fexit_test1"]);
    if mode != "none" {
        assert_lockdown_refusal(&spec, &mode);
        note(&format!(
            "fentry/fexit refused under lockdown={mode}: asserted"
        ));
        return;
    }
    let coll = load(&spec, "loading fentry/fexit programs");
    arm(&coll);
    let fentry = sys::raw_tracepoint_open(None, program(&coll, "fentry_test1").fd(), 0)
        .expect("BPF_RAW_TRACEPOINT_OPEN (fentry)");
    let fexit = tracing_link(program(&coll, "fexit_test1"), AttachType::TRACE_FEXIT);
    program(&coll, "fentry_test1")
        .test_run(&TestRun::default())
        .expect("BPF_PROG_TEST_RUN of an fentry program");
    let s = state(&coll);
    // Words: 1 fentry_hits, 2 fentry_a, 3 fexit_hits, 4 fexit_a, 5 fexit_ret.
    assert_eq!((s[1], s[2]), (1, 1), "fentry saw bpf_fentry_test1(1)");
    assert_eq!(
        (s[3], s[4], s[5]),
        (1, 1, 2),
        "fexit saw bpf_fentry_test1(1) return 2"
    );
    // Detached: a second run is not seen.
    drop((fentry, fexit));
    program(&coll, "fentry_test1")
        .test_run(&TestRun::default())
        .unwrap();
    let after = state(&coll);
    assert_eq!((after[1], after[3]), (1, 1), "hits after detaching");
    note("fentry + fexit proven");
}

/// fmod_ret + fexit on `bpf_modify_return_test`, triggered by
/// `BPF_PROG_TEST_RUN` of the fmod_ret program. fmod_ret may modify it
/// since Linux 6.2 ("do not rely on ALLOW_ERROR_INJECTION for fmod_ret"),
/// or on kernels with `CONFIG_FUNCTION_ERROR_INJECTION`: Debian's 6.1 has
/// neither, and refuses the load with `EINVAL` ("is not modifiable").
#[test]
fn fmod_ret_via_test_run() {
    if !common::require("kernel") {
        return;
    }
    let mode = lockdown_outside_matrix();
    let spec = object_with("tracing", &["fmod_ret_test", "fexit_modify_return"]);
    if mode != "none" {
        assert_lockdown_refusal(&spec, &mode);
        note(&format!("fmod_ret refused under lockdown={mode}: asserted"));
        return;
    }
    let modifiable =
        kernel_version() >= (6, 2) || config_y(&kernel_config(), "CONFIG_FUNCTION_ERROR_INJECTION");
    if let Some(k) = matrix() {
        assert_eq!(
            modifiable,
            k != "6.1",
            "fmod_ret on bpf_modify_return_test on {k}"
        );
    }
    if !modifiable {
        let err = Collection::load(&spec, &LoadOptions::default())
            .expect_err("fmod_ret on bpf_modify_return_test loaded without error injection");
        let LoadError::Program {
            program,
            log,
            source,
            ..
        } = &err
        else {
            panic!("expected a program load error, got: {err}");
        };
        assert_eq!(program, "fmod_ret_test");
        assert_eq!(source.errno(), EINVAL, "{err}");
        assert!(
            log.as_str()
                .contains("bpf_modify_return_test() is not modifiable"),
            "verifier log:\n{}",
            log.as_str()
        );
        note("fmod_ret on bpf_modify_return_test: not modifiable on this kernel: asserted");
        return;
    }
    let coll = load(&spec, "loading fmod_ret programs");
    arm(&coll);
    let fmod = sys::raw_tracepoint_open(None, program(&coll, "fmod_ret_test").fd(), 0)
        .expect("BPF_RAW_TRACEPOINT_OPEN (fmod_ret)");
    let fmod_exit = tracing_link(
        program(&coll, "fexit_modify_return"),
        AttachType::TRACE_FEXIT,
    );
    let run = program(&coll, "fmod_ret_test")
        .test_run(&TestRun::default())
        .expect("BPF_PROG_TEST_RUN of an fmod_ret program");
    let s = state(&coll);
    // Words: 6 fmod_hits, 7 fmod_a, 8 fmod_exit_hits, 9 fmod_exit_ret.
    assert_eq!(
        (s[6], s[7]),
        (1, 1),
        "fmod_ret saw bpf_modify_return_test(1, &b)"
    );
    assert_eq!(
        (s[8], s[9]),
        (1, 1234),
        "fexit saw the result fmod_ret imposed"
    );
    // The test run returns side_effect << 16 | the sum of the results, where
    // side_effect counts the test functions whose body ran (b starts at 2,
    // each body increments it). Since 6.2 (bpf_modify_return_test2 exists)
    // the run also calls bpf_modify_return_test2(1, &b, 3, 4, 5, 6, 7),
    // unmodified: its body runs and returns 29.
    let with_test2 = kallsyms_addr("bpf_modify_return_test2").is_some();
    let want = if with_test2 {
        (1 << 16) | (1234 + 29)
    } else {
        1234
    };
    assert_eq!(
        run.retval, want,
        "test_run's retval {:#x}: bpf_modify_return_test's body must be skipped and its \
         result be 1234 (bpf_modify_return_test2 present: {with_test2})",
        run.retval
    );
    drop((fmod, fmod_exit));
    program(&coll, "fmod_ret_test")
        .test_run(&TestRun::default())
        .unwrap();
    let after = state(&coll);
    assert_eq!((after[6], after[8]), (1, 1), "hits after detaching");
    note("fmod_ret on bpf_modify_return_test proven");
}

/// fmod_ret on `security_socket_create` (security_* functions are
/// modifiable on every kernel with BPF trampolines): socket(2) of a UDP
/// socket fails with the EPERM the program returns, without the function
/// running, while a TCP socket is let through.
#[test]
fn fmod_ret_on_a_security_function() {
    if !common::require("kernel") {
        return;
    }
    let mode = lockdown_outside_matrix();
    let spec = object_with("tracing", &["fmod_socket"]);
    if mode != "none" {
        assert_lockdown_refusal(&spec, &mode);
        note(&format!("fmod_ret refused under lockdown={mode}: asserted"));
        return;
    }
    let coll = load(&spec, "loading fmod_socket");
    arm(&coll);
    let link = tracing_link(program(&coll, "fmod_socket"), AttachType::MODIFY_RETURN);
    let err = std::net::UdpSocket::bind("127.0.0.1:0").expect_err("UDP socket under fmod_ret");
    assert_eq!(err.raw_os_error(), Some(EPERM), "{err}");
    drop(std::net::TcpListener::bind("127.0.0.1:0").expect("TCP sockets stay allowed"));
    let s = state(&coll);
    // Words: 10 socket_hits, 11 socket_denied.
    assert_eq!(
        (s[10], s[11]),
        (2, 1),
        "security_socket_create: 2 calls, 1 denied"
    );
    drop(link);
    drop(std::net::UdpSocket::bind("127.0.0.1:0").expect("UDP works after detaching"));
    assert_eq!(state(&coll)[10], 2, "no calls after detaching");
    note("fmod_ret on security_socket_create proven");
}

/// A tracing link through `BPF_LINK_CREATE` (target from the program's
/// load-time attach_btf_id).
fn tracing_link(prog: &Program, attach_type: AttachType) -> OwnedFd {
    sys::link_create(&LinkCreateArgs {
        prog: prog.fd(),
        target: None,
        attach_type,
        flags: 0,
        extra: LinkExtra::None,
    })
    .unwrap_or_else(|e| panic!("BPF_LINK_CREATE ({attach_type:?}) for {}: {e}", prog.name()))
}

// ------------------------------------------------------------------ LSM

/// A BPF LSM program on `socket_create` that denies this thread's UDP
/// sockets: socket(2) fails with EPERM while it is attached, and works
/// again after. Under lockdown (this host), loading fails with `EPERM`.
#[test]
fn lsm_denies_a_socket() {
    if !common::require("kernel") {
        return;
    }
    let mode = lockdown_outside_matrix();
    let spec = object("lsm");
    if mode != "none" {
        assert_lockdown_refusal(&spec, &mode);
        note(&format!("BPF LSM refused under lockdown={mode}: asserted"));
        return;
    }
    let config = kernel_config();
    assert!(config_y(&config, "CONFIG_BPF_LSM"), "CONFIG_BPF_LSM");
    let lsms = active_lsms();
    assert!(
        lsms.trim().split(',').any(|l| l == "bpf"),
        "the bpf LSM is not active ({lsms}); boot with lsm=...,bpf"
    );
    let coll = load(&spec, "loading the LSM program");
    arm(&coll);
    let udp = || std::net::UdpSocket::bind("127.0.0.1:0");
    let link = tracing_link(program(&coll, "deny_udp"), AttachType::LSM_MAC);
    let err = udp().expect_err("socket(AF_INET, SOCK_DGRAM) while the LSM program denies it");
    assert_eq!(err.raw_os_error(), Some(EPERM), "{err}");
    let tcp = std::net::TcpListener::bind("127.0.0.1:0").expect("TCP sockets stay allowed");
    drop(tcp);
    let s = state(&coll);
    // Words: 1 calls, 2 denied.
    assert_eq!(s[1], 2, "socket_create calls: the UDP and the TCP socket");
    assert_eq!(s[2], 1, "denied: the UDP socket");
    drop(link);
    udp().expect("UDP sockets work again after detaching");
    assert_eq!(state(&coll)[1], 2, "no calls after detaching");
    note("BPF LSM proven");
}
