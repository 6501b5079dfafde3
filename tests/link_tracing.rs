//! Tracing-side attachment, proven by programs that run: tracepoints, raw
//! tracepoints, tp_btf, uprobes (executable, PIE and shared library; by
//! symbol and offset; pid filter; perf link, ioctl and tracefs), uprobe
//! multi, perf events and iterators. Each test triggers the event from its
//! own thread (the programs count only that thread's events), reads the
//! program's counters, drops the link and shows the program no longer
//! runs. Links are pinned, reopened, updated and described. kprobes,
//! fentry/fexit/fmod_ret and LSM either run (on kernels that allow them)
//! or fail with the clear error this machine's kernel calls for. The
//! feature probes are checked against what actually loads and attaches.

mod common;

use std::hint::black_box;
use std::os::fd::AsFd;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock, Weak};
use std::time::{Duration, Instant};

use common::require;
use oxbpf::loader::features::{self, Feature, Lockdown};
use oxbpf::loader::link::{
    resolve_symbol_offset, tracefs_root, tracepoint_id, IterTarget, KprobeMultiOptions,
    KprobeOptions, PerfEventConfig, PerfEventLinkInfo, PerfEventScope, PerfSample, ProbeAttachMode,
    UprobeLocation, UprobeMultiOptions, UprobeOptions,
};
use oxbpf::loader::{
    AttachError, Collection, CollectionSpec, LinkKind, LoadError, LoadOptions, TestRun,
};
use oxbpf::maps::{Map, MapSpec};
use oxbpf::sys::fs::TempBpfFs;
use oxbpf::sys::kernfs::TempMount;
use oxbpf::sys::{LinkDetails, LinkType, LookupFlags, MapType, PerfSwId, ProgramType, UpdateFlags};

// ---------------------------------------------------------------------------
// Helpers.

/// The calling thread's id (`gettid`), from `/proc/thread-self`.
fn gettid() -> u32 {
    let link = std::fs::read_link("/proc/thread-self").expect("/proc/thread-self");
    link.file_name()
        .and_then(|n| n.to_str())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("unexpected /proc/thread-self -> {}", link.display()))
}

fn object(name: &str) -> PathBuf {
    common::root().join(format!("testdata/links/{name}.bpf.o"))
}

/// Loads `testdata/links/NAME.bpf.o` with `target_tid` set to the calling
/// thread, after `edit`.
fn load_with(name: &str, edit: impl FnOnce(&mut CollectionSpec)) -> Collection {
    let mut spec = CollectionSpec::from_file(object(name)).expect("parse");
    spec.set_variable("target_tid", &gettid())
        .expect("target_tid");
    edit(&mut spec);
    Collection::load(&spec, &LoadOptions::default()).unwrap_or_else(|e| panic!("load {name}: {e}"))
}

fn load(name: &str) -> Collection {
    load_with(name, |_| {})
}

/// Slot `slot` of the object's `counts` array.
fn count(coll: &Collection, slot: u32) -> u64 {
    let map = coll.map("counts").expect("counts map");
    let mut v = [0u8; 8];
    assert!(map
        .lookup(&slot.to_ne_bytes(), &mut v, LookupFlags::empty())
        .expect("lookup"));
    u64::from_ne_bytes(v)
}

/// `getppid()`, `n` times (the trigger of trace_tp.bpf.c).
fn getppid(n: usize) {
    for _ in 0..n {
        black_box(std::os::unix::process::parent_id());
    }
}

/// Held for writing while a test forks a child, for reading while one
/// drops links: a child forked while a link is being closed would hold a
/// copy of the link's fd (until its exec closes it), and the program
/// would run a little longer than the test expects.
static FORK: RwLock<()> = RwLock::new(());

/// Drops links (detaching them), with no fork in progress.
fn unhook<T>(links: T) {
    let _no_fork = FORK.read().unwrap_or_else(|e| e.into_inner());
    drop(links);
}

/// Runs `cmd` to completion, holding [`FORK`].
fn output(cmd: &mut std::process::Command) -> std::io::Result<std::process::Output> {
    let _forking = FORK.write().unwrap_or_else(|e| e.into_inner());
    cmd.output()
}

/// Spawns `cmd`, holding [`FORK`] until it has exec'd.
fn spawn(cmd: &mut std::process::Command) -> std::io::Result<std::process::Child> {
    let _forking = FORK.write().unwrap_or_else(|e| e.into_inner());
    cmd.spawn()
}

/// tracefs for the duration of a test: the system's if it is mounted,
/// otherwise one private mount shared by the tests running at the time
/// and unmounted when the last of them is done.
enum Tracefs {
    System,
    Private(#[allow(dead_code)] Arc<TempMount>),
}

fn tracefs() -> Tracefs {
    static SHARED: Mutex<Weak<TempMount>> = Mutex::new(Weak::new());
    let mut shared = SHARED.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(m) = shared.upgrade() {
        return Tracefs::Private(m);
    }
    if tracefs_root().is_some() {
        return Tracefs::System;
    }
    let m = Arc::new(TempMount::new(c"tracefs").expect("mounting a private tracefs"));
    *shared = Arc::downgrade(&m);
    Tracefs::Private(m)
}

fn is_not_supported(e: &AttachError) -> bool {
    matches!(e, AttachError::NotSupported { .. })
}

// ---------------------------------------------------------------------------
// Tracepoints, raw tracepoints, tp_btf.

// Slots of trace_tp.bpf.c.
const TP: u32 = 0;
const RAW: u32 = 1;
const RAW_B: u32 = 2;
const BTF: u32 = 3;
const TP_COOKIE: u32 = 4;
const BTF_COOKIE: u32 = 5;
const RAW_COOKIE: u32 = 6;

#[test]
fn tracepoint_runs_then_stops() {
    if !require("kernel") {
        return;
    }
    let _tracefs = tracefs();
    let coll = load("trace_tp");
    let prog = coll.program("tp_getppid").unwrap();

    // Perf link (the default on 5.15+), with a cookie.
    assert!(features::supports(Feature::PerfLink));
    let link = prog
        .attach_tracepoint_with(
            "syscalls",
            "sys_enter_getppid",
            0xc00c1e,
            ProbeAttachMode::Default,
        )
        .unwrap();
    assert_eq!(link.kind(), LinkKind::Bpf);
    getppid(5);
    assert_eq!(count(&coll, TP), 5);
    assert_eq!(count(&coll, TP_COOKIE), 0xc00c1e);
    let info = link.info().unwrap();
    assert_eq!(info.link_type, LinkType::PERF_EVENT);
    // Perf-event link details are reported since 6.6, their cookies since
    // 6.8.
    if kernel_version() >= (6, 8) {
        assert_eq!(
            info.perf_event(),
            Some(PerfEventLinkInfo::Tracepoint { cookie: 0xc00c1e })
        );
    }
    assert_eq!(info.prog_id, prog.info().unwrap().id);
    unhook(link);
    getppid(5);
    assert_eq!(count(&coll, TP), 5, "ran after the link was dropped");

    // PERF_EVENT_IOC_SET_BPF: a legacy attachment, detached on drop.
    let link = prog
        .attach_tracepoint_with("syscalls", "sys_enter_getppid", 0, ProbeAttachMode::Perf)
        .unwrap();
    assert_eq!(link.kind(), LinkKind::Legacy);
    assert!(link.fd().is_some(), "the perf event fd");
    getppid(3);
    assert_eq!(count(&coll, TP), 8);
    assert!(matches!(link.info(), Err(AttachError::NotABpfLink { .. })));
    {
        let _no_fork = FORK.read().unwrap_or_else(|e| e.into_inner());
        link.detach().unwrap();
    }
    getppid(3);
    assert_eq!(count(&coll, TP), 8, "ran after detach");

    // Cookies need a perf link.
    let err = prog
        .attach_tracepoint_with("syscalls", "sys_enter_getppid", 1, ProbeAttachMode::Perf)
        .unwrap_err();
    assert!(is_not_supported(&err), "{err}");

    // Clear errors for bad targets and program types.
    let err = prog
        .attach_tracepoint("syscalls", "sys_enter_oxbpf_nope")
        .unwrap_err();
    assert!(
        matches!(&err, AttachError::TargetNotFound { what } if what.contains("sys_enter_oxbpf_nope")),
        "{err}"
    );
    assert!(matches!(
        tracepoint_id("..", "x"),
        Err(AttachError::InvalidArgument(_))
    ));
    assert!(tracepoint_id("raw_syscalls", "sys_enter").unwrap() > 0);
    let raw = coll.program("raw_getppid").unwrap();
    let err = raw
        .attach_tracepoint("syscalls", "sys_enter_getppid")
        .unwrap_err();
    assert!(
        matches!(&err, AttachError::WrongProgramType { program, .. } if program == "raw_getppid"),
        "{err}"
    );
}

#[test]
fn raw_tracepoint_runs_then_stops() {
    if !require("kernel") {
        return;
    }
    let coll = load("trace_tp");
    let prog = coll.program("raw_getppid").unwrap();
    let link = prog.attach_raw_tracepoint("sys_enter").unwrap();
    assert_eq!(link.kind(), LinkKind::Bpf);
    getppid(4);
    assert_eq!(count(&coll, RAW), 4);
    let info = link.info().unwrap();
    assert_eq!(info.link_type, LinkType::RAW_TRACEPOINT);
    assert_eq!(info.target_name.as_deref(), Some("sys_enter"));
    assert!(matches!(info.details, LinkDetails::RawTracepoint { .. }));
    unhook(link);
    getppid(4);
    assert_eq!(count(&coll, RAW), 4, "ran after the link was dropped");

    // A cookie (6.10+).
    if features::supports(Feature::RawTracepointCookie) {
        let coll = load_with("trace_tp", |spec| {
            spec.program_mut("raw_getppid_cookie").unwrap().autoload = true;
        });
        let prog = coll.program("raw_getppid_cookie").unwrap();
        let link = prog.attach_raw_tracepoint_with("sys_enter", 77).unwrap();
        getppid(1);
        assert_eq!(count(&coll, RAW), 1);
        assert_eq!(count(&coll, RAW_COOKIE), 77);
        // Raw tracepoint link info reports the cookie since 6.16.
        if kernel_version() >= (6, 16) {
            assert_eq!(link.info().unwrap().cookie(), Some(77));
        }
    }

    // Raw tracepoint links cannot swap programs: a clear "not supported".
    let link = prog.attach_raw_tracepoint("sys_enter").unwrap();
    let other = coll.program("raw_getppid_b").unwrap();
    let err = link.update(other, None).unwrap_err();
    assert!(is_not_supported(&err), "{err}");
    getppid(1);
    assert_eq!(count(&coll, RAW_B), 0, "the refused program ran");

    let err = prog
        .attach_raw_tracepoint("oxbpf_no_such_tracepoint")
        .unwrap_err();
    assert!(matches!(err, AttachError::TargetNotFound { .. }), "{err}");
}

#[test]
fn tp_btf_runs_then_stops() {
    if !require("kernel") || !require("kernel-btf") {
        return;
    }
    let coll = load("trace_tp");
    let prog = coll.program("btf_getppid").unwrap();
    assert_eq!(prog.prog_type(), ProgramType::TRACING);
    let link = prog.attach_trace().unwrap();
    getppid(3);
    assert_eq!(count(&coll, BTF), 3);
    let info = link.info().unwrap();
    assert!(
        matches!(info.link_type, LinkType::RAW_TRACEPOINT | LinkType::TRACING),
        "{:?}",
        info.link_type
    );
    assert!(
        link.description().contains("tp_btf"),
        "{}",
        link.description()
    );
    unhook(link);
    getppid(3);
    assert_eq!(count(&coll, BTF), 3, "ran after the link was dropped");

    if features::supports(Feature::RawTracepointCookie) {
        let coll = load_with("trace_tp", |spec| {
            spec.program_mut("btf_getppid_cookie").unwrap().autoload = true;
        });
        let prog = coll.program("btf_getppid_cookie").unwrap();
        let _link = prog.attach_trace_with(99).unwrap();
        getppid(1);
        assert_eq!(count(&coll, BTF), 1);
        assert_eq!(count(&coll, BTF_COOKIE), 99);
    }
}

#[test]
fn attach_by_section_name() {
    if !require("kernel") || !require("kernel-btf") {
        return;
    }
    let _tracefs = tracefs();
    let coll = load("trace_tp");
    let links: Vec<_> = ["tp_getppid", "raw_getppid", "btf_getppid"]
        .iter()
        .map(|name| {
            let p = coll.program(name).unwrap();
            assert!(p.section().is_some());
            p.attach().unwrap_or_else(|e| panic!("{name}: {e}"))
        })
        .collect();
    getppid(2);
    assert_eq!(
        [count(&coll, TP), count(&coll, RAW), count(&coll, BTF)],
        [2, 2, 2]
    );
    unhook(links);
    getppid(2);
    assert_eq!(
        [count(&coll, TP), count(&coll, RAW), count(&coll, BTF)],
        [2, 2, 2]
    );
    // A program opened by fd has no section.
    let p = coll.program("raw_getppid").unwrap();
    let bare = oxbpf::loader::Program::from_fd(p.fd().try_clone_to_owned().unwrap()).unwrap();
    let err = bare.attach().unwrap_err();
    assert!(matches!(err, AttachError::InvalidArgument(_)), "{err}");
}

// ---------------------------------------------------------------------------
// Pinning, reopening, force-detaching.

#[test]
fn pinned_link_outlives_its_handle() {
    if !require("kernel") {
        return;
    }
    let bpffs = TempBpfFs::mount().expect("mount bpffs");
    let coll = load("trace_tp");
    let prog = coll.program("raw_getppid").unwrap();
    let pin = bpffs.path().join("raw_link");

    let mut link = prog.attach_raw_tracepoint("sys_enter").unwrap();
    let id = link.id().unwrap();
    link.pin(&pin).unwrap();
    assert_eq!(link.pin_path(), Some(pin.as_path()));
    unhook(link);
    // The pin keeps it attached.
    getppid(2);
    assert_eq!(
        count(&coll, RAW),
        2,
        "a pinned link must survive its handle"
    );

    // Reopened from the pin: the same link.
    let mut again = oxbpf::loader::Link::from_pin(&pin).unwrap();
    assert_eq!(again.id().unwrap(), id);
    assert_eq!(again.info().unwrap().link_type, LinkType::RAW_TRACEPOINT);
    // And by id.
    let by_id = oxbpf::loader::Link::from_id(id).unwrap();
    assert_eq!(by_id.info().unwrap().prog_id, prog.info().unwrap().id);
    unhook(by_id);
    getppid(1);
    assert_eq!(count(&coll, RAW), 3, "dropping a second handle detached");

    // Pin through the reopened handle at a second path, remove both pins,
    // drop the handle: detached.
    let pin2 = bpffs.path().join("raw_link2");
    again.pin(&pin2).unwrap();
    std::fs::remove_file(&pin).unwrap();
    again.unpin().unwrap();
    assert!(!pin2.exists());
    unhook(again);
    getppid(2);
    assert_eq!(count(&coll, RAW), 3, "ran after the last pin and fd went");

    // Raw tracepoint links have no BPF_LINK_DETACH: a clear error, and the
    // link keeps running.
    let mut link = prog.attach_raw_tracepoint("sys_enter").unwrap();
    link.pin(&pin).unwrap();
    let err = link.force_detach().unwrap_err();
    assert!(matches!(err, AttachError::NotSupported { .. }), "{err}");
    getppid(2);
    assert_eq!(count(&coll, RAW), 5);
    // detach() removes this handle's pin first.
    {
        let _no_fork = FORK.read().unwrap_or_else(|e| e.into_inner());
        link.detach().unwrap();
    }
    assert!(!pin.exists());
    getppid(1);
    assert_eq!(count(&coll, RAW), 5);

    // Errors.
    assert!(matches!(
        oxbpf::loader::Link::from_pin(bpffs.path().join("nothing")),
        Err(AttachError::TargetNotFound { .. })
    ));
    let prog_pin = bpffs.path().join("a_program");
    prog.pin(&prog_pin).unwrap();
    let err = oxbpf::loader::Link::from_pin(&prog_pin).unwrap_err();
    assert!(matches!(err, AttachError::InvalidArgument(_)), "{err}");
    let mut link = prog.attach_raw_tracepoint("sys_enter").unwrap();
    let err = link.pin("/tmp/oxbpf-not-bpffs-pin").unwrap_err();
    assert!(matches!(err, AttachError::InvalidArgument(_)), "{err}");

    // Legacy attachments cannot be pinned.
    let _tracefs = tracefs();
    let tp = coll.program("tp_getppid").unwrap();
    let mut legacy = tp
        .attach_tracepoint_with("syscalls", "sys_enter_getppid", 0, ProbeAttachMode::Perf)
        .unwrap();
    assert!(matches!(
        legacy.pin(bpffs.path().join("legacy")),
        Err(AttachError::NotABpfLink { .. })
    ));
}

// ---------------------------------------------------------------------------
// Uprobes.

/// Probed by the tests: in this (PIE) test executable.
#[no_mangle]
#[inline(never)]
pub extern "C" fn oxbpf_uprobe_target(x: u64) -> u64 {
    black_box(x).wrapping_mul(2).wrapping_add(1)
}

/// Probed by the uprobe.multi test.
#[no_mangle]
#[inline(never)]
pub extern "C" fn oxbpf_multi_target_one(x: u64) -> u64 {
    black_box(x).wrapping_add(11)
}

/// Probed by the uprobe.multi test.
#[no_mangle]
#[inline(never)]
pub extern "C" fn oxbpf_multi_target_two(x: u64) -> u64 {
    black_box(x).wrapping_mul(3)
}

fn call_target(n: usize, arg: u64) {
    let f: extern "C" fn(u64) -> u64 = black_box(oxbpf_uprobe_target);
    for _ in 0..n {
        black_box(f(black_box(arg)));
    }
}

// Slots of trace_uprobe.bpf.c.
const ENTRY: u32 = 0;
const ENTRY_ARG: u32 = 1;
const ENTRY_COOKIE: u32 = 2;
const RET: u32 = 3;
const RET_VALUE: u32 = 4;
const MULTI: u32 = 5;
const AUTO: u32 = 6;

fn exe() -> PathBuf {
    std::env::current_exe().expect("current_exe")
}

#[test]
fn uprobe_in_pie_executable_runs_then_stops() {
    if !require("kernel") {
        return;
    }
    let coll = load("trace_uprobe");
    let entry = coll.program("uprobe_entry").unwrap();
    let ret = coll.program("uprobe_return").unwrap();
    let me = std::process::id();
    let offset = resolve_symbol_offset(exe(), "oxbpf_uprobe_target").unwrap();

    let opts = UprobeOptions::default().pid(me).cookie(0x5eed);
    let l1 = entry
        .attach_uprobe(exe(), UprobeLocation::Symbol("oxbpf_uprobe_target"), &opts)
        .unwrap();
    let l2 = ret
        .attach_uprobe(
            exe(),
            UprobeLocation::Offset(offset),
            &UprobeOptions::default().pid(me).retprobe(true),
        )
        .unwrap();
    assert_eq!(l1.kind(), LinkKind::Bpf);
    call_target(3, 42);
    assert_eq!(count(&coll, ENTRY), 3);
    assert_eq!(count(&coll, ENTRY_ARG), 42);
    assert_eq!(count(&coll, ENTRY_COOKIE), 0x5eed);
    assert_eq!(count(&coll, RET), 3);
    assert_eq!(count(&coll, RET_VALUE), 85);
    let info = l1.info().unwrap();
    assert_eq!(info.link_type, LinkType::PERF_EVENT);
    if kernel_version() >= (6, 8) {
        match info.perf_event() {
            Some(PerfEventLinkInfo::Uprobe {
                retprobe: false,
                offset: o,
                cookie: 0x5eed,
            }) => assert_eq!(u64::from(o), offset),
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            l2.info().unwrap().perf_event(),
            Some(PerfEventLinkInfo::Uprobe { retprobe: true, .. })
        ));
    }
    unhook((l1, l2));
    call_target(3, 42);
    assert_eq!((count(&coll, ENTRY), count(&coll, RET)), (3, 3));

    // The same, through PERF_EVENT_IOC_SET_BPF and through tracefs'
    // uprobe_events (a legacy probe event, removed on detach).
    for (mode, kind) in [
        (ProbeAttachMode::Perf, LinkKind::Legacy),
        (ProbeAttachMode::Legacy, LinkKind::Legacy),
        (ProbeAttachMode::Link, LinkKind::Bpf),
    ] {
        let _tracefs = tracefs();
        let before = count(&coll, ENTRY);
        let link = entry
            .attach_uprobe(
                exe(),
                UprobeLocation::SymbolOffset("oxbpf_uprobe_target", 0),
                &UprobeOptions::default().pid(me).mode(mode),
            )
            .unwrap_or_else(|e| panic!("{mode:?}: {e}"));
        assert_eq!(link.kind(), kind, "{mode:?}");
        call_target(2, 7);
        assert_eq!(count(&coll, ENTRY), before + 2, "{mode:?}");
        unhook(link);
        call_target(2, 7);
        assert_eq!(count(&coll, ENTRY), before + 2, "{mode:?} ran after drop");
        if mode == ProbeAttachMode::Legacy {
            let events = tracefs_root().unwrap().join("uprobe_events");
            let text = std::fs::read_to_string(events).unwrap();
            assert!(
                !text.contains(&format!("oxbpf_{me}_")),
                "legacy event left behind: {text}"
            );
        }
    }
}

#[test]
fn uprobe_pid_filter_excludes_other_processes() {
    if !require("kernel") {
        return;
    }
    let coll = load("trace_uprobe");
    let entry = coll.program("uprobe_entry").unwrap();
    let mut child = spawn(std::process::Command::new("sleep").arg("30")).expect("spawn sleep");
    let result = entry.attach_uprobe(
        exe(),
        UprobeLocation::Symbol("oxbpf_uprobe_target"),
        &UprobeOptions::default().pid(child.id()),
    );
    let link = result.unwrap();
    call_target(3, 1);
    let n = count(&coll, ENTRY);
    unhook(link);
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(n, 0, "a probe for another process ran in this one");
    // Without the filter it does run here (the program's own thread
    // filter passes this thread).
    let _link = entry
        .attach_uprobe(
            exe(),
            UprobeLocation::Symbol("oxbpf_uprobe_target"),
            &UprobeOptions::default(),
        )
        .unwrap();
    call_target(3, 1);
    assert_eq!(count(&coll, ENTRY), 3);
}

#[test]
fn uprobe_in_shared_library_runs_then_stops() {
    if !require("kernel") {
        return;
    }
    let coll = load("trace_uprobe");
    let entry = coll.program("uprobe_entry").unwrap();
    // std::process::id() is glibc's getpid(), in libc.so.6.
    let link = entry
        .attach_uprobe(
            "libc.so.6",
            UprobeLocation::Symbol("getpid"),
            &UprobeOptions::default().pid(std::process::id()),
        )
        .unwrap();
    assert!(
        link.description().contains("libc.so.6"),
        "{}",
        link.description()
    );
    for _ in 0..4 {
        black_box(std::process::id());
    }
    assert_eq!(count(&coll, ENTRY), 4);
    unhook(link);
    for _ in 0..4 {
        black_box(std::process::id());
    }
    assert_eq!(count(&coll, ENTRY), 4);
}

#[test]
fn uprobe_errors_are_clear() {
    if !require("kernel") {
        return;
    }
    let coll = load("trace_uprobe");
    let entry = coll.program("uprobe_entry").unwrap();
    let opts = UprobeOptions::default();
    let err = entry
        .attach_uprobe(exe(), UprobeLocation::Symbol("oxbpf_no_such_fn"), &opts)
        .unwrap_err();
    assert!(
        matches!(&err, AttachError::Elf { reason, .. } if reason.contains("oxbpf_no_such_fn")),
        "{err}"
    );
    let err = entry
        .attach_uprobe("/no/such/binary", UprobeLocation::Offset(0), &opts)
        .unwrap_err();
    assert!(matches!(err, AttachError::TargetNotFound { .. }), "{err}");
    let err = entry
        .attach_uprobe("/etc/hostname", UprobeLocation::Symbol("main"), &opts)
        .unwrap_err();
    assert!(
        matches!(
            err,
            AttachError::Elf { .. } | AttachError::TargetNotFound { .. }
        ),
        "{err}"
    );
    let tp = load("trace_tp");
    let err = tp
        .program("raw_getppid")
        .unwrap()
        .attach_uprobe(exe(), UprobeLocation::Symbol("oxbpf_uprobe_target"), &opts)
        .unwrap_err();
    assert!(matches!(err, AttachError::WrongProgramType { .. }), "{err}");
}

#[test]
fn uprobe_attached_by_section_name() {
    if !require("kernel") {
        return;
    }
    let target = format!("{}:oxbpf_uprobe_target", exe().display());
    let coll = load_with("trace_uprobe", |spec| {
        spec.program_mut("uprobe_auto").unwrap().attach_target = Some(target.clone());
    });
    let prog = coll.program("uprobe_auto").unwrap();
    assert_eq!(prog.attach_target(), Some(target.as_str()));
    let link = prog.attach().unwrap();
    call_target(2, 3);
    assert_eq!(count(&coll, AUTO), 2);
    unhook(link);
    call_target(2, 3);
    assert_eq!(count(&coll, AUTO), 2);
    // The unedited section ("SELF:...") names no real binary.
    let coll = load("trace_uprobe");
    let err = coll.program("uprobe_auto").unwrap().attach().unwrap_err();
    assert!(matches!(err, AttachError::TargetNotFound { .. }), "{err}");
}

#[test]
fn uprobe_multi_runs_then_stops() {
    if !require("kernel") {
        return;
    }
    let coll = load("trace_uprobe");
    let prog = coll.program("uprobe_multi").unwrap();
    let result = prog.attach_uprobe_multi(
        exe(),
        "oxbpf_multi_target_*",
        &UprobeMultiOptions::default().pid(std::process::id()),
    );
    if !features::link_type(LinkType::UPROBE_MULTI) {
        let err = result.unwrap_err();
        assert!(is_not_supported(&err), "{err}");
        return;
    }
    let link = result.unwrap();
    let info = link.info().unwrap();
    assert_eq!(info.link_type, LinkType::UPROBE_MULTI);
    assert!(
        matches!(info.details, LinkDetails::UprobeMulti { count: 2, .. }),
        "{:?}",
        info.details
    );
    let (one, two): (extern "C" fn(u64) -> u64, extern "C" fn(u64) -> u64) = (
        black_box(oxbpf_multi_target_one),
        black_box(oxbpf_multi_target_two),
    );
    black_box(one(1));
    black_box(two(2));
    black_box(two(3));
    assert_eq!(count(&coll, MULTI), 3);
    unhook(link);
    black_box(one(1));
    assert_eq!(count(&coll, MULTI), 3);
    let err = prog
        .attach_uprobe_multi(
            exe(),
            "oxbpf_nothing_matches_*",
            &UprobeMultiOptions::default(),
        )
        .unwrap_err();
    assert!(matches!(err, AttachError::Elf { .. }), "{err}");
}

// ---------------------------------------------------------------------------
// Perf events.

/// Burns CPU on this thread for `d`.
fn spin(d: Duration) {
    let start = Instant::now();
    let mut x = 0u64;
    while start.elapsed() < d {
        x = black_box(x.wrapping_add(1));
    }
}

#[test]
fn perf_event_samples_then_stops() {
    if !require("kernel") {
        return;
    }
    let coll = load("trace_perf");
    let prog = coll.program("on_sample").unwrap();
    // The task clock of this thread, every 100 µs of its CPU time.
    let config = PerfEventConfig::software(PerfSwId::TASK_CLOCK, PerfSample::Period(100_000))
        .with_cookie(4242);
    let link = prog
        .attach_perf_event(&config, PerfEventScope::Process(gettid()))
        .unwrap();
    assert_eq!(link.kind(), LinkKind::Bpf);
    // At 10 kHz, 100 samples take 10 ms of CPU; allow far more, since a
    // slow machine (the kernel matrix's emulated CPUs) makes the kernel
    // throttle perf_event_max_sample_rate and its vCPUs share one thread.
    let start = Instant::now();
    while count(&coll, 0) < 100 && start.elapsed() < Duration::from_secs(10) {
        spin(Duration::from_millis(20));
    }
    let n = count(&coll, 0);
    assert!(
        n >= 100,
        "{n} samples in {:?} of spinning at 10 kHz",
        start.elapsed()
    );
    assert_eq!(count(&coll, 1), 4242);
    // (The type is the PMU's: task-clock has a PMU of its own on recent
    // kernels.)
    if kernel_version() >= (6, 8) {
        match link.info().unwrap().perf_event() {
            Some(PerfEventLinkInfo::Event { config, cookie, .. }) => {
                assert_eq!((config, cookie), (PerfSwId::TASK_CLOCK.as_raw(), 4242))
            }
            other => panic!("{other:?}"),
        }
    }
    unhook(link);
    let after = count(&coll, 0);
    spin(Duration::from_millis(100));
    assert_eq!(count(&coll, 0), after, "sampled after the link was dropped");

    // One event per CPU, system-wide, by frequency.
    let links = prog
        .attach_perf_event_per_cpu(&PerfEventConfig::software(
            PerfSwId::CPU_CLOCK,
            PerfSample::Frequency(1000),
        ))
        .unwrap();
    assert_eq!(links.len(), oxbpf::sys::online_cpus().unwrap().len());
    spin(Duration::from_millis(100));
    assert!(count(&coll, 0) > after);
    unhook(links);

    // Hardware events: a clear "not supported" where there is no PMU.
    match prog.attach_perf_event(
        &PerfEventConfig::hardware(0, PerfSample::Period(1_000_000)),
        PerfEventScope::Process(gettid()),
    ) {
        Ok(link) => {
            let before = count(&coll, 0);
            spin(Duration::from_millis(200));
            assert!(count(&coll, 0) > before, "CPU cycles never sampled");
            unhook(link);
        }
        Err(e) => assert!(is_not_supported(&e), "{e}"),
    }
    // Wrong program type.
    let tp = load("trace_tp");
    let err = tp
        .program("raw_getppid")
        .unwrap()
        .attach_perf_event(&config, PerfEventScope::CallingThread)
        .unwrap_err();
    assert!(matches!(err, AttachError::WrongProgramType { .. }), "{err}");
}

// ---------------------------------------------------------------------------
// Iterators.

/// The byte offset of `field` in kernel `struct name`.
fn kernel_offset(name: &str, field: &str) -> u32 {
    use oxbpf::btf::{Btf, Kind, Type};
    let btf = Btf::kernel().expect("kernel BTF");
    let id = btf
        .find_by_name_kind(name, Kind::Struct)
        .unwrap_or_else(|| panic!("struct {name}"));
    let Some(Type::Struct(s)) = btf.type_by_id(id) else {
        panic!("struct {name}")
    };
    let m = s.member(field).unwrap_or_else(|| panic!("{name}.{field}"));
    m.offset.0 / 8
}

fn load_iter() -> Collection {
    let (pid, tgid, id) = (
        kernel_offset("task_struct", "pid"),
        kernel_offset("task_struct", "tgid"),
        kernel_offset("bpf_map", "id"),
    );
    load_with("trace_iter", |spec| {
        spec.set_variable("task_pid_off", &pid).unwrap();
        spec.set_variable("task_tgid_off", &tgid).unwrap();
        spec.set_variable("map_id_off", &id).unwrap();
    })
}

fn lines(bytes: &[u8]) -> Vec<String> {
    String::from_utf8(bytes.to_vec())
        .expect("UTF-8")
        .lines()
        .map(String::from)
        .collect()
}

#[test]
fn task_iterator_lists_tasks() {
    if !require("kernel") || !require("kernel-btf") {
        return;
    }
    let coll = load_iter();
    let prog = coll.program("dump_task").unwrap();
    let link = prog.attach_iter(IterTarget::All).unwrap();
    assert_eq!(link.info().unwrap().link_type, LinkType::ITER);
    assert_eq!(link.info().unwrap().target_name.as_deref(), Some("task"));
    let me = std::process::id();
    let tid = gettid();
    let out = lines(&link.read_iter().unwrap());
    assert!(
        out.contains(&format!("{me} {me}")),
        "this process is missing"
    );
    assert!(
        out.contains(&format!("{me} {tid}")),
        "this thread is missing"
    );
    // Roughly every task of /proc (tasks come and go meanwhile).
    let procs = std::fs::read_dir("/proc")
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .is_ok_and(|e| e.file_name().to_string_lossy().parse::<u32>().is_ok())
        })
        .count();
    let leaders = out
        .iter()
        .filter(|l| l.split_once(' ').is_some_and(|(a, b)| a == b))
        .count();
    assert!(
        leaders + 10 >= procs && procs + 10 >= leaders,
        "{leaders} thread-group leaders iterated, {procs} in /proc"
    );
    // Each read is a new walk.
    assert!(lines(&link.read_iter().unwrap()).contains(&format!("{me} {me}")));

    // Only this process's threads.
    let link = prog.attach_iter(IterTarget::Process(me)).unwrap();
    let out = lines(&link.read_iter().unwrap());
    assert!(out.contains(&format!("{me} {tid}")), "{out:?}");
    assert!(
        out.iter().all(|l| l.starts_with(&format!("{me} "))),
        "another process's task: {out:?}"
    );
    // One thread.
    let link = prog.attach_iter(IterTarget::Thread(tid)).unwrap();
    assert_eq!(lines(&link.read_iter().unwrap()), [format!("{me} {tid}")]);

    // The by-section attach is an iterator over everything.
    let link = prog.attach().unwrap();
    assert!(lines(&link.read_iter().unwrap()).len() >= leaders / 2);
}

#[test]
fn map_iterators_list_maps_and_elements() {
    if !require("kernel") || !require("kernel-btf") {
        return;
    }
    let coll = load_iter();
    let map = Map::create(&MapSpec::hash::<u32, u64>("oxbpf_iter_m", 8)).unwrap();
    for (k, v) in [(1u32, 10u64), (2, 20), (3, 30)] {
        map.update(&k.to_ne_bytes(), &v.to_ne_bytes(), UpdateFlags::ANY)
            .unwrap();
    }
    let maps = coll
        .program("dump_map")
        .unwrap()
        .attach_iter(IterTarget::All)
        .unwrap();
    let ids = lines(&maps.read_iter().unwrap());
    assert!(ids.contains(&map.id().as_raw().to_string()), "{ids:?}");
    assert!(ids.contains(&coll.map("counts").unwrap().id().as_raw().to_string()));

    let elems = coll
        .program("dump_elem")
        .unwrap()
        .attach_iter(IterTarget::Map(map.map_fd().as_fd()))
        .unwrap();
    let mut got = lines(&elems.read_iter().unwrap());
    got.sort();
    assert_eq!(got, ["1 10", "2 20", "3 30"]);
    // The iterator sees updates.
    map.update(&4u32.to_ne_bytes(), &40u64.to_ne_bytes(), UpdateFlags::ANY)
        .unwrap();
    assert_eq!(lines(&elems.read_iter().unwrap()).len(), 4);
    // A map iterator needs its map.
    let err = coll
        .program("dump_elem")
        .unwrap()
        .attach_iter(IterTarget::All)
        .unwrap_err();
    assert!(matches!(err, AttachError::Syscall { .. }), "{err}");
}

#[test]
fn iterator_link_update_swaps_programs() {
    if !require("kernel") || !require("kernel-btf") {
        return;
    }
    let coll = load_iter();
    let a = coll.program("task_a").unwrap();
    let b = coll.program("task_b").unwrap();
    let link = a
        .attach_iter(IterTarget::Process(std::process::id()))
        .unwrap();
    let only = |out: Vec<String>, want: &str| {
        assert!(!out.is_empty());
        assert!(out.iter().all(|l| l == want), "{out:?}");
    };
    only(lines(&link.read_iter().unwrap()), "A");
    link.update(b, Some(a)).unwrap();
    assert_eq!(link.info().unwrap().prog_id, b.info().unwrap().id);
    only(lines(&link.read_iter().unwrap()), "B");
    // Expecting the old program again fails: the link runs `b` now.
    let err = link.update(a, Some(a)).unwrap_err();
    assert!(
        matches!(&err, AttachError::Syscall { what, .. } if what.contains("no longer runs")),
        "{err}"
    );
    link.update(a, None).unwrap();
    only(lines(&link.read_iter().unwrap()), "A");
    // A program of another kind is refused.
    let tp = load("trace_tp");
    let err = link
        .update(tp.program("btf_getppid").unwrap(), None)
        .unwrap_err();
    assert!(err.errno().is_some(), "{err}");
}

// ---------------------------------------------------------------------------
// What this machine's kernel refuses: kprobes, trampolines under lockdown.

/// Removes files with unlink(2) and unlinkat(2) (std's remove_dir_all),
/// both of which reach the kernel's do_unlinkat.
fn unlink_files(dir: &Path) {
    let f = dir.join(format!("oxbpf-unlink-{}", gettid()));
    std::fs::write(&f, b"x").unwrap();
    std::fs::remove_file(&f).unwrap();
    let d = dir.join(format!("oxbpf-unlinkat-{}", gettid()));
    std::fs::create_dir_all(&d).unwrap();
    std::fs::write(d.join("f"), b"x").unwrap();
    std::fs::remove_dir_all(&d).unwrap();
}

fn kprobes_available() -> bool {
    Path::new("/sys/bus/event_source/devices/kprobe/type").exists()
}

#[test]
fn kprobes_run_or_are_clearly_unsupported() {
    if !require("kernel") {
        return;
    }
    let _tracefs = tracefs();
    let coll = load("trace_kprobe");
    let kprobe = coll.program("kprobe_unlinkat").unwrap();
    let attempts: Vec<(&str, Result<_, AttachError>)> = vec![
        (
            "kprobe",
            kprobe.attach_kprobe("do_unlinkat", &KprobeOptions::default()),
        ),
        (
            "kretprobe",
            coll.program("kretprobe_unlinkat")
                .unwrap()
                .attach_kprobe("do_unlinkat", &KprobeOptions::default().retprobe(true)),
        ),
        (
            "ksyscall",
            coll.program("ksyscall_unlinkat")
                .unwrap()
                .attach_ksyscall("unlinkat", &KprobeOptions::default()),
        ),
        ("kprobe by section", kprobe.attach()),
    ];
    let dir = std::env::temp_dir();
    let unlink = || unlink_files(&dir);
    if kprobes_available() {
        let links: Vec<_> = attempts
            .into_iter()
            .map(|(what, r)| r.unwrap_or_else(|e| panic!("{what}: {e}")))
            .collect();
        unlink();
        assert!(count(&coll, 0) >= 2 && count(&coll, 1) >= 1 && count(&coll, 2) >= 1);
        unhook(links);
    } else {
        for (what, r) in attempts {
            let err = r.expect_err(what);
            assert!(is_not_supported(&err), "{what}: {err}");
            let text = err.to_string();
            assert!(
                text.contains("not supported by this kernel") && text.contains("CONFIG_KPROBES"),
                "{what}: {text}"
            );
        }
    }
    // kprobe.multi, by its own probe.
    let multi = coll.program("kprobe_multi_unlink").unwrap();
    let r = multi.attach_kprobe_multi("do_unlinkat*", &KprobeMultiOptions::default());
    if features::link_type(LinkType::KPROBE_MULTI) {
        let link = r.unwrap();
        unlink();
        assert!(count(&coll, 3) >= 1);
        unhook(link);
    } else {
        let err = r.unwrap_err();
        assert!(is_not_supported(&err), "{err}");
        let err = multi.attach().unwrap_err();
        assert!(is_not_supported(&err), "{err}");
    }
}

#[test]
fn trampoline_programs_run_or_are_refused_by_lockdown() {
    if !require("kernel") || !require("kernel-btf") {
        return;
    }
    // (slot of trace_kprobe.bpf.c's counter, program)
    for (slot, name) in [
        (4, "fentry_unlinkat"),
        (5, "fexit_unlinkat"),
        (6, "fmod_ret_test"),
        (7, "lsm_file_open"),
    ] {
        let mut spec = CollectionSpec::from_file(object("trace_kprobe")).unwrap();
        spec.set_variable("target_tid", &gettid()).unwrap();
        for p in &mut spec.programs {
            p.autoload = p.name == name;
        }
        match Collection::load(&spec, &LoadOptions::default()) {
            Err(LoadError::Lockdown {
                program,
                mode,
                source,
                section,
            }) => {
                assert_eq!(program, name);
                assert!(
                    features::lockdown().is_active(),
                    "{name}: Lockdown error without lockdown"
                );
                assert_eq!(mode, features::lockdown().to_string());
                assert_eq!(source.errno(), 1, "EPERM");
                let text = LoadError::Lockdown {
                    program,
                    section,
                    mode,
                    source,
                }
                .to_string();
                assert!(
                    text.contains("permission denied by kernel lockdown (integrity)")
                        || text.contains("permission denied by kernel lockdown (confidentiality)"),
                    "{text}"
                );
            }
            Ok(coll) => {
                // An unlocked kernel: the trampoline attaches and runs.
                assert!(!features::lockdown().is_active());
                let p = coll.program(name).unwrap();
                match p.attach() {
                    Ok(link) => {
                        assert_eq!(link.info().unwrap().link_type, LinkType::TRACING);
                        if slot <= 5 {
                            unlink_files(&std::env::temp_dir());
                            assert!(count(&coll, slot) >= 2, "{name} did not run");
                        }
                        unhook(link);
                    }
                    // An LSM program needs "bpf" in the boot's lsm= list.
                    Err(e) if name == "lsm_file_open" => {
                        assert!(
                            e.errno().is_some() || matches!(e, AttachError::NotSupported { .. }),
                            "{e}"
                        )
                    }
                    Err(e) => panic!("{name}: {e}"),
                }
            }
            // fmod_ret needs an error-injectable function: kernels without
            // CONFIG_FUNCTION_ERROR_INJECTION refuse it in the verifier.
            Err(LoadError::Program { program, log, .. })
                if name == "fmod_ret_test" && log.as_str().contains("is not modifiable") =>
            {
                assert_eq!(program, name);
            }
            Err(e) => panic!("{name}: unexpected error: {e}"),
        }
    }
}

#[test]
fn freplace_runs_or_is_refused_by_lockdown() {
    if !require("kernel") {
        return;
    }
    let spec = CollectionSpec::from_file(object("trace_freplace")).unwrap();
    let mut targets = Collection::load(&spec, &LoadOptions::default()).unwrap();
    let target = Arc::new(targets.take_program("freplace_target").unwrap());
    let run = |p: &oxbpf::loader::Program| {
        p.test_run(&TestRun {
            data_in: &[0u8; 64],
            ..Default::default()
        })
        .unwrap()
        .retval
    };
    assert_eq!(run(&target), 1);

    let mut ext_spec = spec.clone();
    for p in &mut ext_spec.programs {
        p.autoload = p.name == "new_verdict";
    }
    // Without a target: a clear error.
    let err = Collection::load(&ext_spec, &LoadOptions::default()).unwrap_err();
    assert!(
        matches!(&err, LoadError::AttachTarget { program, reason, .. }
            if program == "new_verdict" && reason.contains("freplace_targets")),
        "{err}"
    );
    // A target without that function.
    let mut wrong = ext_spec.clone();
    wrong.program_mut("new_verdict").unwrap().attach_target = Some("no_such_fn".into());
    let opts = LoadOptions {
        freplace_targets: vec![("new_verdict".into(), target.clone())],
        ..Default::default()
    };
    let err = Collection::load(&wrong, &opts).unwrap_err();
    assert!(
        matches!(&err, LoadError::AttachTarget { reason, .. } if reason.contains("no_such_fn")),
        "{err}"
    );

    match Collection::load(&ext_spec, &opts) {
        Err(LoadError::Lockdown { program, mode, .. }) => {
            assert_eq!(program, "new_verdict");
            assert!(features::lockdown().is_active());
            assert_eq!(mode, features::lockdown().to_string());
            common::kernel_note(&format!(
                "links: freplace refused under lockdown={mode}: asserted"
            ));
        }
        Ok(coll) => {
            let ext = coll.program("new_verdict").unwrap();
            let link = ext.attach_freplace(&target, "verdict").unwrap();
            assert_eq!(run(&target), 42, "the replacement did not run");
            unhook(link);
            assert_eq!(
                run(&target),
                1,
                "the replacement ran after the link was dropped"
            );
            common::kernel_note("links: freplace proven");
        }
        Err(e) => panic!("unexpected: {e}"),
    }
    // Only EXT programs replace functions.
    let err = target.attach_freplace(&target, "verdict").unwrap_err();
    assert!(matches!(err, AttachError::WrongProgramType { .. }), "{err}");
}

// ---------------------------------------------------------------------------
// Feature probes against reality.

/// The running kernel's (major, minor) version.
fn kernel_version() -> (u32, u32) {
    let release = std::fs::read_to_string("/proc/sys/kernel/osrelease").expect("osrelease");
    let mut parts = release
        .trim()
        .split(|c: char| !c.is_ascii_digit())
        .map(|p| p.parse().unwrap_or(0));
    (parts.next().unwrap_or(0), parts.next().unwrap_or(0))
}

#[test]
fn feature_probes_match_what_loads() {
    if !require("kernel") {
        return;
    }
    // The kernel configuration, where the kernel exposes it.
    let config =
        output(std::process::Command::new("sh").args(["-c", "zcat /proc/config.gz 2>/dev/null"]))
            .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
            .unwrap_or_default();
    let kver = kernel_version();
    // What a kernel of this version has: `expect(what, probed, since)`
    // asserts the probe says yes exactly from release `since` on.
    let expect = |what: &str, probed: bool, since: (u32, u32)| {
        assert_eq!(
            probed,
            kver >= since,
            "{what} (since {}.{}) on {}.{}",
            since.0,
            since.1,
            kver.0,
            kver.1
        );
    };
    // The same where a kernel option decides too, if the configuration
    // is readable.
    let expect_config = |what: &str, probed: bool, since: (u32, u32), option: &str| {
        if config.contains(&format!("{option}=")) || config.contains(&format!("{option} is not")) {
            let on = config.contains(&format!("{option}=y"));
            assert_eq!(probed, on && kver >= since, "{what} ({option})");
        }
    };

    for f in Feature::ALL {
        // Every probe answers (twice: cached) without panicking.
        assert_eq!(features::supports(f), features::supports(f), "{f:?}");
    }
    expect("perf links", features::supports(Feature::PerfLink), (5, 15));
    expect(
        "BPF cookies",
        features::supports(Feature::BpfCookie),
        (5, 15),
    );
    expect(
        "raw tracepoint cookies",
        features::supports(Feature::RawTracepointCookie),
        (6, 10),
    );

    // Every program type of the objects that loaded above is supported.
    for name in [
        "trace_tp",
        "trace_uprobe",
        "trace_perf",
        "trace_kprobe",
        "trace_iter",
        "trace_freplace",
    ] {
        let spec = CollectionSpec::from_file(object(name)).unwrap();
        for p in spec.programs.iter().filter(|p| p.autoload) {
            assert!(
                features::program_type(p.prog_type),
                "{name}/{}: {:?} loads but is reported unsupported",
                p.name,
                p.prog_type
            );
        }
    }
    for (t, since) in [
        (ProgramType::SOCKET_FILTER, (3, 19)),
        (ProgramType::XDP, (4, 8)),
        (ProgramType::SCHED_CLS, (4, 1)),
        (ProgramType::CGROUP_SKB, (4, 10)),
        (ProgramType::CGROUP_SOCK_ADDR, (4, 17)),
        (ProgramType::FLOW_DISSECTOR, (4, 20)),
        (ProgramType::CGROUP_SOCKOPT, (5, 3)),
        (ProgramType::TRACING, (5, 5)),
        (ProgramType::EXT, (5, 6)),
        (ProgramType::STRUCT_OPS, (5, 6)),
        (ProgramType::SK_LOOKUP, (5, 9)),
        (ProgramType::SYSCALL, (5, 14)),
    ] {
        expect(&format!("{t:?}"), features::program_type(t), since);
    }
    expect_config(
        "LSM programs",
        features::program_type(ProgramType::LSM),
        (5, 7),
        "CONFIG_BPF_LSM",
    );
    expect_config(
        "netfilter programs",
        features::program_type(ProgramType::NETFILTER),
        (6, 4),
        "CONFIG_NETFILTER_BPF_LINK",
    );
    // IR decoders are configured out of many kernels.
    expect_config(
        "lirc_mode2 programs",
        features::program_type(ProgramType::LIRC_MODE2),
        (4, 18),
        "CONFIG_BPF_LIRC_MODE2",
    );
    assert!(!features::program_type(ProgramType::from_raw(9999)));

    // Map types (each probe creates one).
    for (t, since) in [
        (MapType::HASH, (3, 19)),
        (MapType::ARRAY, (3, 19)),
        (MapType::PERCPU_HASH, (4, 6)),
        (MapType::PERCPU_ARRAY, (4, 6)),
        (MapType::STACK_TRACE, (4, 6)),
        (MapType::LRU_HASH, (4, 10)),
        (MapType::LPM_TRIE, (4, 11)),
        (MapType::ARRAY_OF_MAPS, (4, 12)),
        (MapType::CGROUP_STORAGE, (4, 19)),
        (MapType::QUEUE, (4, 20)),
        (MapType::SK_STORAGE, (5, 2)),
        (MapType::STRUCT_OPS, (5, 6)),
        (MapType::RINGBUF, (5, 8)),
        (MapType::TASK_STORAGE, (5, 11)),
        (MapType::BLOOM_FILTER, (5, 16)),
        (MapType::USER_RINGBUF, (6, 1)),
        (MapType::CGRP_STORAGE, (6, 2)),
        (MapType::ARENA, (6, 9)),
    ] {
        expect(&format!("{t:?}"), features::map_type(t), since);
    }
    assert!(!features::map_type(MapType::from_raw(9999)));

    // Helpers: bpf_get_attach_cookie (174) is what trace_tp's tracepoint
    // program calls; bpf_xdp_adjust_head (44) is for XDP programs only;
    // bpf_probe_write_user (36) not for socket filters; tracing programs
    // cannot be probed this way.
    assert_eq!(features::helper(ProgramType::TRACEPOINT, 174), Some(true));
    assert_eq!(features::helper(ProgramType::XDP, 44), Some(true));
    assert_eq!(
        features::helper(ProgramType::SOCKET_FILTER, 44),
        Some(false)
    );
    assert_eq!(
        features::helper(ProgramType::SOCKET_FILTER, 36),
        Some(false)
    );
    assert_eq!(features::helper(ProgramType::XDP, 100_000), Some(false));
    assert_eq!(features::helper(ProgramType::TRACING, 1), None);

    // Link types; the attach tests above create the tracing-side ones.
    for (t, since) in [
        (LinkType::RAW_TRACEPOINT, (5, 8)),
        (LinkType::TRACING, (5, 8)),
        (LinkType::CGROUP, (5, 7)),
        (LinkType::ITER, (5, 8)),
        (LinkType::NETNS, (5, 8)),
        (LinkType::XDP, (5, 9)),
        (LinkType::PERF_EVENT, (5, 15)),
        (LinkType::TCX, (6, 6)),
        (LinkType::UPROBE_MULTI, (6, 6)),
        (LinkType::SOCKMAP, (6, 10)),
    ] {
        expect(&format!("{t:?}"), features::link_type(t), since);
    }
    expect_config(
        "netfilter links",
        features::link_type(LinkType::NETFILTER),
        (6, 4),
        "CONFIG_NETFILTER_BPF_LINK",
    );
    expect_config(
        "netkit links",
        features::link_type(LinkType::NETKIT),
        (6, 7),
        "CONFIG_NETKIT",
    );
    // kprobe_multi needs CONFIG_FPROBE; without it the kprobe test above
    // gets NotSupported, with it a link.
    expect_config(
        "kprobe_multi links",
        features::link_type(LinkType::KPROBE_MULTI),
        (5, 18),
        "CONFIG_FPROBE",
    );

    for (k, since) in [
        (oxbpf::btf::Kind::Int, (4, 18)),
        (oxbpf::btf::Kind::Func, (5, 0)),
        (oxbpf::btf::Kind::Datasec, (5, 2)),
        (oxbpf::btf::Kind::Float, (5, 13)),
        (oxbpf::btf::Kind::DeclTag, (5, 16)),
        (oxbpf::btf::Kind::TypeTag, (5, 17)),
        (oxbpf::btf::Kind::Enum64, (6, 0)),
    ] {
        expect(&format!("BTF {k:?}"), features::btf_kind(k), since);
    }

    let limits = features::limits();
    assert_eq!(limits.max_insns, 1_000_000);
    assert!(limits.bounded_loops && limits.isa_v2 && limits.isa_v3);
    expect("ISA v4", limits.isa_v4, (6, 6));

    // Lockdown is read (root can always read it), and agrees with
    // /proc/config.gz where the kernel forces a mode.
    let mode = features::lockdown();
    assert_ne!(mode, Lockdown::Unknown);
    if config.contains("CONFIG_LOCK_DOWN_KERNEL_FORCE_INTEGRITY=y") {
        assert_eq!(mode, Lockdown::Integrity);
    }
    if config.contains("CONFIG_SECURITY_LOCKDOWN_LSM is not set") {
        assert_eq!(mode, Lockdown::None);
    }
}

/// Tracepoint ids resolve whether or not tracefs is mounted (on this
/// machine it is not: the library then reads the id from a private,
/// temporary mount), and agree with tracefs' own `id` file.
#[test]
fn tracepoint_id_with_or_without_a_mounted_tracefs() {
    if !common::require("kernel") {
        return;
    }
    let mounted = tracefs_root().is_some();
    let id = tracepoint_id("sched", "sched_switch").expect("tracepoint id of sched/sched_switch");
    let tmp = TempMount::new(c"tracefs").expect("mounting a private tracefs");
    let want: u64 = std::fs::read_to_string(tmp.path().join("events/sched/sched_switch/id"))
        .expect("reading the id")
        .trim()
        .parse()
        .expect("a number");
    assert_eq!(id, want, "tracefs mounted before: {mounted}");
    assert!(matches!(
        tracepoint_id("sched", "no_such_tracepoint_oxbpf"),
        Err(oxbpf::loader::AttachError::TargetNotFound { .. })
    ));
}
