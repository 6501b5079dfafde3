//! USDT: `SEC("usdt")` programs on SystemTap SDT probes compiled into this
//! test binary (the `probe` crate writes the same `.note.stapsdt` notes as
//! `<sys/sdt.h>`). The programs read the probes' arguments and cookie with
//! libbpf's `usdt.bpf.h`; each test fires its probe, checks what the
//! program saw, detaches and shows the program no longer runs. A probe
//! with a semaphore is only enabled while attached.

mod common;

use std::hint::black_box;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};

use oxbpf::loader::link::{usdt_notes, UsdtArgLocation, UsdtOptions};
use oxbpf::loader::{AttachError, Collection, CollectionSpec, LinkKind, LoadOptions};
use oxbpf::sys::{AttachType, LookupFlags};

// Slots of trace_usdt.bpf.c.
const TICKS: u32 = 0;
const ARG0: u32 = 1;
const ARG1: u32 = 2;
const ARG2: u32 = 3;
const ARG_CNT: u32 = 4;
const COOKIE: u32 = 5;
const LAZY: u32 = 6;
const LAZY_ARG: u32 = 7;

fn gettid() -> u32 {
    let link = std::fs::read_link("/proc/thread-self").expect("/proc/thread-self");
    link.file_name()
        .and_then(|n| n.to_str())
        .and_then(|n| n.parse().ok())
        .expect("thread id")
}

fn exe() -> PathBuf {
    std::env::current_exe().expect("current_exe")
}

/// Loads trace_usdt.bpf.o counting events of the calling thread only.
fn load() -> Collection {
    let mut spec =
        CollectionSpec::from_file(common::root().join("testdata/links/trace_usdt.bpf.o"))
            .expect("parse");
    spec.set_variable("target_tid", &gettid())
        .expect("target_tid");
    Collection::load(&spec, &LoadOptions::default()).unwrap_or_else(|e| panic!("load: {e}"))
}

fn count(coll: &Collection, slot: u32) -> u64 {
    let mut v = [0u8; 8];
    assert!(coll
        .map("counts")
        .unwrap()
        .lookup(&slot.to_ne_bytes(), &mut v, LookupFlags::empty())
        .unwrap());
    u64::from_ne_bytes(v)
}

/// Fires `oxbpf_test:tick` `n` times; the i-th firing passes
/// (i, -i, 2^40 + i).
#[inline(never)]
fn tick(n: i64) {
    for i in 1..=n {
        let (seq, neg, big) = black_box((i, -i, (1i64 << 40) + i));
        probe::probe!(oxbpf_test, tick, seq, neg, big);
    }
}

/// How often the lazy probe's argument was computed.
static LAZY_EVALS: AtomicU64 = AtomicU64::new(0);

/// Fires `oxbpf_test:lazy` (guarded by a semaphore) `n` times; returns how
/// many firings were enabled.
#[inline(never)]
fn lazy(n: u64) -> u64 {
    let mut enabled = 0;
    for i in 0..n {
        let on = probe::probe_lazy!(oxbpf_test, lazy, {
            LAZY_EVALS.fetch_add(1, Ordering::Relaxed);
            black_box(1000 + i as i64)
        });
        enabled += u64::from(on);
    }
    enabled
}

#[test]
fn notes_of_this_binary() {
    let notes = usdt_notes(exe()).unwrap();
    let find = |name: &str| {
        notes
            .iter()
            .find(|n| n.provider == "oxbpf_test" && n.name == name)
            .unwrap_or_else(|| panic!("no oxbpf_test:{name} in {notes:#?}"))
    };
    let t = find("tick");
    assert_eq!(t.semaphore_offset, 0, "{t:?}");
    let args = oxbpf::loader::link::parse_usdt_args(&t.args).unwrap();
    assert_eq!(args.len(), 3, "{t:?}");
    for a in &args {
        assert_eq!((a.size, a.signed), (8, true), "{t:?}");
        assert!(matches!(a.location, UsdtArgLocation::Reg { .. }), "{t:?}");
    }
    let l = find("lazy");
    assert_ne!(l.semaphore_offset, 0, "{l:?}");
    // SDT puts a `nop` at each site: the file offset must point at it.
    let bytes = std::fs::read(exe()).unwrap();
    for n in [t, l] {
        assert_eq!(bytes[n.offset as usize], 0x90, "{n:?}: no nop at the site");
    }
    // A binary without notes has none; a missing file is an error.
    assert!(usdt_notes("/nonexistent/oxbpf").is_err());
}

#[test]
fn usdt_program_reads_arguments_and_cookie_then_stops() {
    if !common::require("kernel") {
        return;
    }
    let coll = load();
    let link = coll
        .attach_usdt(
            "on_tick",
            exe(),
            "oxbpf_test",
            "tick",
            &UsdtOptions::default()
                .pid(std::process::id())
                .cookie(0xfeed),
        )
        .unwrap();
    assert_eq!(link.kind(), LinkKind::Legacy);
    let multi = coll.program("on_tick").unwrap().expected_attach_type()
        == Some(AttachType::TRACE_UPROBE_MULTI);
    tick(5);
    assert_eq!(count(&coll, TICKS), 5);
    assert_eq!(count(&coll, ARG0), 5);
    assert_eq!(count(&coll, ARG1) as i64, -5);
    assert_eq!(count(&coll, ARG2), (1 << 40) + 5);
    assert_eq!(count(&coll, ARG_CNT), 3);
    assert_eq!(count(&coll, COOKIE), 0xfeed);
    common::kernel_note(&format!(
        "usdt: proven: arguments and cookie read ({})",
        if multi {
            "uprobe_multi link"
        } else {
            "perf uprobes"
        }
    ));
    link.detach().unwrap();
    tick(3);
    assert_eq!(count(&coll, TICKS), 5, "the program ran after detach");

    // Errors name what is missing.
    match coll.attach_usdt(
        "on_tick",
        exe(),
        "oxbpf_test",
        "nope",
        &UsdtOptions::default(),
    ) {
        Err(AttachError::TargetNotFound { what }) => {
            assert!(what.contains("oxbpf_test:nope"), "{what}")
        }
        other => panic!("{other:?}"),
    }
    match coll.attach_usdt(
        "no_prog",
        exe(),
        "oxbpf_test",
        "tick",
        &UsdtOptions::default(),
    ) {
        Err(AttachError::InvalidArgument(m)) => assert!(m.contains("no_prog"), "{m}"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn semaphore_enables_a_lazy_probe_only_while_attached() {
    if !common::require("kernel") {
        return;
    }
    let coll = load();
    assert_eq!(lazy(4), 0, "the probe is enabled before anything attached");
    let evals = LAZY_EVALS.load(Ordering::Relaxed);
    let link = coll
        .attach_usdt(
            "on_lazy",
            exe(),
            "oxbpf_test",
            "lazy",
            &UsdtOptions::default().pid(std::process::id()),
        )
        .unwrap();
    assert_eq!(lazy(4), 4, "the semaphore was not raised");
    assert_eq!(LAZY_EVALS.load(Ordering::Relaxed), evals + 4);
    assert_eq!(count(&coll, LAZY), 4);
    assert_eq!(count(&coll, LAZY_ARG), 1003);
    drop(link);
    assert_eq!(lazy(4), 0, "the semaphore stayed up after detach");
    assert_eq!(count(&coll, LAZY), 4);
    common::kernel_note("usdt: proven: semaphore raised while attached, lowered after");
}
