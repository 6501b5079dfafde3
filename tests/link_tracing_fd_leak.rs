//! Attaching leaks no fd: every failed attach closes what it opened (perf
//! events, links, tracefs probe events), and a dropped link closes its
//! fds. One test per binary, so that no other test's fds interfere with
//! the count.

mod common;

use std::hint::black_box;
use std::path::PathBuf;

use common::require;
use oxbpf::loader::link::{
    tracefs_root, IterTarget, KprobeOptions, PerfEventConfig, PerfEventScope, PerfSample,
    ProbeAttachMode, UprobeLocation, UprobeOptions,
};
use oxbpf::loader::{Collection, CollectionSpec, Link, LoadOptions};
use oxbpf::sys::fs::TempBpfFs;
use oxbpf::sys::kernfs::TempMount;
use oxbpf::sys::PerfSwId;

fn open_fds() -> usize {
    std::fs::read_dir("/proc/self/fd")
        .expect("/proc/self/fd")
        .count()
}

fn load(name: &str) -> Collection {
    let path: PathBuf = common::root().join(format!("testdata/links/{name}.bpf.o"));
    let spec = CollectionSpec::from_file(path).expect("parse");
    Collection::load(&spec, &LoadOptions::default()).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// Probed by the test.
#[no_mangle]
#[inline(never)]
pub extern "C" fn oxbpf_fd_leak_target(x: u64) -> u64 {
    black_box(x) + 1
}

#[test]
fn attach_failures_and_dropped_links_close_every_fd() {
    if !require("kernel") {
        return;
    }
    let _tracefs = if tracefs_root().is_none() {
        Some(TempMount::new(c"tracefs").expect("mount tracefs"))
    } else {
        None
    };
    let bpffs = TempBpfFs::mount().expect("mount bpffs");
    let tp = load("trace_tp");
    let up = load("trace_uprobe");
    let perf = load("trace_perf");
    let kp = load("trace_kprobe");
    let exe = std::env::current_exe().unwrap();
    let raw = tp.program("raw_getppid").unwrap();
    let tracepoint = tp.program("tp_getppid").unwrap();
    let uprobe = up.program("uprobe_entry").unwrap();
    // Warm up the cached feature probes and lockdown mode.
    drop(tracepoint.attach().unwrap());
    drop(raw.attach().unwrap());
    let _ = oxbpf::loader::features::lockdown();
    let base = open_fds();

    for round in 0..3 {
        // Successes, dropped.
        drop(
            tracepoint
                .attach_tracepoint_with("syscalls", "sys_enter_getppid", 0, ProbeAttachMode::Perf)
                .unwrap(),
        );
        let links: Vec<Link> = vec![
            tracepoint.attach().unwrap(),
            raw.attach_raw_tracepoint("sys_enter").unwrap(),
            tp.program("btf_getppid").unwrap().attach_trace().unwrap(),
            uprobe
                .attach_uprobe(
                    &exe,
                    UprobeLocation::Symbol("oxbpf_fd_leak_target"),
                    &UprobeOptions::default(),
                )
                .unwrap(),
            uprobe
                .attach_uprobe(
                    &exe,
                    UprobeLocation::Symbol("oxbpf_fd_leak_target"),
                    &UprobeOptions::default().mode(ProbeAttachMode::Legacy),
                )
                .unwrap(),
            perf.program("on_sample")
                .unwrap()
                .attach_perf_event(
                    &PerfEventConfig::software(PerfSwId::CPU_CLOCK, PerfSample::Frequency(10)),
                    PerfEventScope::CallingThread,
                )
                .unwrap(),
        ];
        assert!(open_fds() > base, "links hold fds");
        black_box(oxbpf_fd_leak_target(1));
        drop(links);
        assert_eq!(open_fds(), base, "round {round}: after dropping links");

        // Failures, at each step. A program runs once per tracepoint.
        let link = tracepoint.attach().unwrap();
        let err = tracepoint.attach().unwrap_err();
        assert!(
            matches!(err, oxbpf::loader::AttachError::AlreadyAttached { .. }),
            "{err}"
        );
        drop(link);
        assert!(tracepoint
            .attach_tracepoint("syscalls", "sys_enter_oxbpf_nope")
            .is_err());
        assert!(tracepoint
            .attach_tracepoint_with("syscalls", "sys_enter_getppid", 7, ProbeAttachMode::Perf)
            .is_err());
        assert!(raw.attach_raw_tracepoint("oxbpf_nope").is_err());
        assert!(raw
            .attach_tracepoint("syscalls", "sys_enter_getppid")
            .is_err());
        assert!(uprobe
            .attach_uprobe(
                &exe,
                UprobeLocation::Symbol("oxbpf_no_such_symbol"),
                &UprobeOptions::default()
            )
            .is_err());
        assert!(uprobe
            .attach_uprobe(
                &exe,
                UprobeLocation::Offset(0),
                &UprobeOptions::default()
                    .mode(ProbeAttachMode::Perf)
                    .cookie(3)
            )
            .is_err());
        assert!(kp
            .program("kprobe_unlinkat")
            .unwrap()
            .attach_kprobe("oxbpf_no_such_kernel_function", &KprobeOptions::default())
            .is_err());
        // Fails here (no CONFIG_FPROBE); attaches and is dropped elsewhere.
        drop(kp.program("kprobe_multi_unlink").unwrap().attach());
        let link = raw.attach_raw_tracepoint("sys_enter").unwrap();
        assert!(link
            .update(tp.program("raw_getppid_b").unwrap(), None)
            .is_err());
        assert!(link.open_iter().is_err());
        drop(link);
        assert!(Link::from_pin(bpffs.path().join("none")).is_err());
        assert!(raw.attach_iter(IterTarget::All).is_err());
        assert_eq!(open_fds(), base, "round {round}: after failed attaches");
    }
}
