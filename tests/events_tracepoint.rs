//! The event readers fed by a real tracepoint rather than
//! `BPF_PROG_TEST_RUN`: `testdata/events/tp_events.bpf.c` turns every
//! `getppid()` of one thread (seen at `syscalls/sys_enter_getppid`) into a
//! numbered record, sent to a ring buffer or a perf buffer. The tests make
//! a known number of calls and account for every one of them: received in
//! order, or dropped by the kernel and counted (ring buffer: by the
//! program; perf buffer: by `PERF_RECORD_LOST`, which must name exactly
//! the missing sequence numbers). Both readers are also drained while a
//! producer thread is running, through rings too small to hold the run.

mod common;

use std::collections::BTreeMap;
use std::hint::black_box;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex, Weak};
use std::thread;
use std::time::{Duration, Instant};

use common::require;
use oxbpf::btf::layout::validate_by_name;
use oxbpf::loader::link::tracefs_root;
use oxbpf::loader::{Collection, CollectionSpec, Link, LoadOptions};
use oxbpf::maps::{PerfBuffer, PerfBufferOptions, PerfEvent, RingBufReader, Wakeup};
use oxbpf::sys::kernfs::TempMount;
use oxbpf::sys::pod::read_unaligned;
use oxbpf::sys::LookupFlags;
use oxbpf::BtfStruct;

/// `struct record` of tp_events.bpf.c; its layout is checked against the
/// object's BTF before any record is read.
#[derive(Clone, Copy, Debug, BtfStruct)]
#[repr(C)]
#[btf(name = "record")]
struct Record {
    seq: u64,
    tid: u32,
    cpu: u32,
    ktime: u64,
}

/// Ring buffer bytes of one record: 8-byte header + payload, 8-aligned.
const RING_RECORD: usize = 8 + std::mem::size_of::<Record>();

/// Perf ring bytes of one sample: `perf_event_header`, the `u32` size,
/// and the payload padded to 4 bytes short of a multiple of 8.
const PERF_SAMPLE: usize = 8 + 4 + (std::mem::size_of::<Record>() + 4).div_ceil(8) * 8 - 4;

// Slots of tp_events.bpf.c's `state` array.
const NEXT_SEQ: u32 = 0;
const RING_DROPS: u32 = 1;
const PERF_FAILS: u32 = 2;

// ---------------------------------------------------------------------------
// Helpers.

/// The calling thread's id (`gettid`).
fn gettid() -> u32 {
    // SAFETY: gettid has no preconditions and cannot fail.
    let tid = unsafe { libc::gettid() };
    tid as u32
}

/// The CPU the calling thread runs on.
fn current_cpu() -> u32 {
    // SAFETY: sched_getcpu has no preconditions; it returns -1 on error.
    let cpu = unsafe { libc::sched_getcpu() };
    assert!(
        cpu >= 0,
        "sched_getcpu: {}",
        std::io::Error::last_os_error()
    );
    cpu as u32
}

/// Pins the calling thread to `cpu`.
fn pin_to(cpu: u32) {
    // SAFETY: `cpu_set_t` is plain data; all zeroes is the empty set.
    let mut set: libc::cpu_set_t = unsafe { std::mem::zeroed() };
    // SAFETY: `cpu` is a CPU of this machine (below `CPU_SETSIZE`); `set`
    // is a valid, exclusively borrowed `cpu_set_t`.
    unsafe { libc::CPU_SET(cpu as usize, &mut set) };
    // SAFETY: `set` is a valid `cpu_set_t` of the size passed; pid 0 is
    // the calling thread.
    let ret = unsafe { libc::sched_setaffinity(0, std::mem::size_of_val(&set), &set) };
    assert_eq!(
        ret,
        0,
        "sched_setaffinity({cpu}): {}",
        std::io::Error::last_os_error()
    );
}

/// `getppid()`, `n` times: one hit of the tracepoint each (glibc does not
/// cache it).
fn getppid(n: u64) {
    for _ in 0..n {
        black_box(std::os::unix::process::parent_id());
    }
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

/// Loads tp_events.bpf.o counting thread `tid`'s calls, with a ring
/// buffer of `ring_bytes`, after checking `Record` against its BTF.
fn load(tid: u32, ring_bytes: u32) -> Collection {
    let path = common::root().join("testdata/events/tp_events.bpf.o");
    let mut spec = CollectionSpec::from_file(&path).expect("parse tp_events.bpf.o");
    let btf = spec.btf.clone().expect("tp_events.bpf.o has BTF");
    validate_by_name::<Record>(&btf, "record").expect("Record matches struct record");
    spec.set_variable("target_tid", &tid).expect("target_tid");
    assert!(spec.set_max_entries("ring", ring_bytes));
    Collection::load(&spec, &LoadOptions::default()).expect("load tp_events.bpf.o")
}

/// Attaches program `name` to syscalls/sys_enter_getppid.
fn attach(coll: &Collection, name: &str) -> Link {
    coll.program(name)
        .unwrap_or_else(|| panic!("no program {name}"))
        .attach_tracepoint("syscalls", "sys_enter_getppid")
        .unwrap_or_else(|e| panic!("attach {name}: {e}"))
}

/// Slot `slot` of the `state` array.
fn state(coll: &Collection, slot: u32) -> u64 {
    let mut v = [0u8; 8];
    let found = coll
        .map("state")
        .expect("state map")
        .lookup(&slot.to_ne_bytes(), &mut v, LookupFlags::empty())
        .expect("lookup state");
    assert!(found, "state[{slot}] missing");
    u64::from_ne_bytes(v)
}

/// Decodes one record.
fn record(bytes: &[u8]) -> Record {
    assert!(
        bytes.len() >= std::mem::size_of::<Record>(),
        "short record: {} bytes",
        bytes.len()
    );
    read_unaligned::<Record>(bytes).expect("record")
}

/// Checks that `seqs` is strictly increasing and returns how many numbers
/// below `end` it skips.
fn gaps(seqs: &[u64], end: u64) -> u64 {
    let mut next = 0;
    let mut missing = 0;
    for (i, &s) in seqs.iter().enumerate() {
        assert!(
            s >= next,
            "record #{i}: seq {s} after {} (out of order)",
            next.wrapping_sub(1)
        );
        missing += s - next;
        next = s + 1;
    }
    assert!(next <= end, "seq {} beyond the {end} hits", next - 1);
    missing + (end - next)
}

/// A producer thread: reports its tid, waits for `go`, makes `n` calls,
/// then (if `flush_after` is given) waits for it and makes one more.
struct Producer {
    tid: u32,
    go: mpsc::Sender<()>,
    flush: mpsc::Sender<()>,
    done: Arc<AtomicBool>,
    handle: thread::JoinHandle<()>,
}

impl Producer {
    fn spawn(n: u64, pin: Option<u32>) -> Producer {
        let (tid_tx, tid_rx) = mpsc::channel();
        let (go, go_rx) = mpsc::channel::<()>();
        let (flush, flush_rx) = mpsc::channel::<()>();
        let done = Arc::new(AtomicBool::new(false));
        let done2 = done.clone();
        let handle = thread::spawn(move || {
            if let Some(cpu) = pin {
                pin_to(cpu);
            }
            tid_tx.send(gettid()).unwrap();
            if go_rx.recv().is_err() {
                return;
            }
            getppid(n);
            done2.store(true, Ordering::Release);
            if flush_rx.recv().is_ok() {
                getppid(1);
            }
        });
        let tid = tid_rx.recv().expect("producer tid");
        Producer {
            tid,
            go,
            flush,
            done,
            handle,
        }
    }

    fn done(&self) -> bool {
        self.done.load(Ordering::Acquire)
    }

    /// Makes the flush call (or none, if `flush` is false) and joins.
    fn finish(self, flush: bool) {
        if flush {
            self.flush.send(()).unwrap();
        }
        drop(self.flush);
        self.handle.join().expect("producer panicked");
    }
}

/// Polls until `producer` is done and `drain` finds nothing more; gives up
/// after a minute.
fn drain_while_running(producer: &Producer, mut poll: impl FnMut() -> usize) {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let finished = producer.done();
        let n = poll();
        if finished && n == 0 {
            return;
        }
        assert!(Instant::now() < deadline, "producer did not finish in 60s");
    }
}

// ---------------------------------------------------------------------------
// Ring buffer.

#[test]
fn ring_buffer_receives_every_hit_in_order() {
    if !require("kernel") {
        return;
    }
    let _tracefs = tracefs();
    const N: u64 = 2000;
    let me = gettid();
    let coll = load(me, 256 << 10);
    let mut reader = RingBufReader::new(coll.map("ring").unwrap()).unwrap();
    assert_eq!(reader.pending_bytes(), 0);

    let link = attach(&coll, "to_ringbuf");
    getppid(N);
    drop(link);
    getppid(10); // detached: no more records

    let mut seen = Vec::new();
    let n = reader.consume(|r| seen.push(record(r))).unwrap();
    assert_eq!(n as u64, N);
    assert_eq!(reader.pending_bytes(), 0);
    assert_eq!(reader.consume(|_| {}).unwrap(), 0);
    for (i, r) in seen.iter().enumerate() {
        assert_eq!(r.seq, i as u64, "record #{i}");
        assert_eq!(r.tid, me, "record #{i}");
    }
    assert!(
        seen.windows(2).all(|w| w[0].ktime <= w[1].ktime),
        "timestamps go back"
    );
    assert_eq!(state(&coll, NEXT_SEQ), N, "hits counted by the program");
    assert_eq!(state(&coll, RING_DROPS), 0);
}

#[test]
fn ring_buffer_drained_while_tracepoint_produces() {
    if !require("kernel") {
        return;
    }
    let _tracefs = tracefs();
    // 100k records of 32 bytes fit in 4 MiB: nothing may be dropped, and
    // the reader must keep its order while the producer runs.
    const N: u64 = 100_000;
    let producer = Producer::spawn(N, None);
    let coll = load(producer.tid, 4 << 20);
    let mut reader = RingBufReader::new(coll.map("ring").unwrap()).unwrap();
    let _link = attach(&coll, "to_ringbuf");

    let mut seqs = Vec::with_capacity(N as usize);
    let mut while_running = 0u64;
    producer.go.send(()).unwrap();
    drain_while_running(&producer, || {
        let running = !producer.done();
        let n = reader
            .poll(Some(Duration::from_millis(10)), |r| {
                let r = record(r);
                assert_eq!(r.tid, producer.tid);
                seqs.push(r.seq);
            })
            .unwrap();
        if running {
            while_running += n as u64;
        }
        n
    });
    producer.finish(false);

    assert_eq!(seqs.len() as u64, N);
    assert!(
        seqs.iter().enumerate().all(|(i, &s)| s == i as u64),
        "out of order"
    );
    assert_eq!(state(&coll, NEXT_SEQ), N);
    assert_eq!(state(&coll, RING_DROPS), 0);
    assert!(
        while_running > 0,
        "no record was read while the producer ran"
    );
}

#[test]
fn ring_buffer_too_small_loses_only_what_the_program_counts() {
    if !require("kernel") {
        return;
    }
    let _tracefs = tracefs();
    // 16 KiB holds 512 records: the reader must drain while the producer
    // runs; what it cannot keep up with is dropped at reserve time and
    // counted, and every record that arrives is in order.
    const RING: u32 = 16 << 10;
    const N: u64 = 100_000;
    let producer = Producer::spawn(N, None);
    let coll = load(producer.tid, RING);
    let mut reader = RingBufReader::new(coll.map("ring").unwrap()).unwrap();
    assert_eq!(reader.size(), RING as usize);
    let _link = attach(&coll, "to_ringbuf");

    let mut seqs = Vec::with_capacity(N as usize);
    producer.go.send(()).unwrap();
    drain_while_running(&producer, || {
        reader
            .poll(Some(Duration::from_millis(10)), |r| {
                seqs.push(record(r).seq);
            })
            .unwrap()
    });
    producer.finish(false);

    let drops = state(&coll, RING_DROPS);
    eprintln!(
        "ring of {RING} bytes: {} received, {drops} dropped",
        seqs.len()
    );
    assert_eq!(state(&coll, NEXT_SEQ), N);
    assert_eq!(seqs.len() as u64 + drops, N, "received + dropped");
    assert_eq!(gaps(&seqs, N), drops, "missing sequence numbers");
    let capacity = RING as usize / RING_RECORD;
    assert!(
        seqs.len() > 2 * capacity,
        "only {} of {N} records received ({drops} dropped); the ring holds {capacity}",
        seqs.len()
    );
}

// ---------------------------------------------------------------------------
// Perf buffer.

#[test]
fn perf_buffer_receives_every_hit() {
    if !require("kernel") {
        return;
    }
    let _tracefs = tracefs();
    const N: u64 = 2000;
    let me = gettid();
    let coll = load(me, 4096);
    let mut perf = PerfBuffer::new(coll.map("perf").unwrap(), &PerfBufferOptions::default())
        .expect("perf buffer");

    let link = attach(&coll, "to_perf");
    getppid(N);
    drop(link);
    getppid(10);

    // The thread may have moved between CPUs: order holds per CPU.
    let mut per_cpu: BTreeMap<u32, Vec<u64>> = BTreeMap::new();
    let mut lost = 0;
    perf.consume(|cpu, event| match event {
        PerfEvent::Sample(data) => {
            let r = record(data);
            assert_eq!(r.cpu, cpu, "sample of cpu {} in cpu {cpu}'s ring", r.cpu);
            assert_eq!(r.tid, me);
            per_cpu.entry(cpu).or_default().push(r.seq);
        }
        PerfEvent::Lost(n) => lost += n,
    })
    .unwrap();
    assert_eq!(lost, 0);
    assert_eq!(perf.pending_bytes(), 0);
    let mut all = Vec::new();
    for (cpu, seqs) in &per_cpu {
        assert!(
            seqs.windows(2).all(|w| w[0] < w[1]),
            "cpu {cpu}: out of order"
        );
        all.extend_from_slice(seqs);
    }
    all.sort_unstable();
    assert_eq!(all, (0..N).collect::<Vec<_>>());
    assert_eq!(state(&coll, PERF_FAILS), 0);
}

#[test]
fn perf_buffer_reports_exactly_the_lost_samples() {
    if !require("kernel") {
        return;
    }
    let _tracefs = tracefs();
    // This thread stays on one CPU, whose ring (one page) fills up: the
    // samples that fit arrive, the rest are lost, and the next sample
    // that fits is preceded by a PERF_RECORD_LOST naming all of them.
    let cpu = current_cpu();
    pin_to(cpu);
    const N: u64 = 1000;
    let me = gettid();
    let coll = load(me, 4096);
    let mut perf = PerfBuffer::new(coll.map("perf").unwrap(), &PerfBufferOptions::with_pages(1))
        .expect("perf buffer");
    let _link = attach(&coll, "to_perf");

    // Sample(seq) as Ok(seq), Lost(n) as Err(n), in ring order.
    let drain = |perf: &mut PerfBuffer| {
        let mut events = Vec::new();
        perf.consume(|c, event| {
            assert_eq!(c, cpu, "event in another CPU's ring");
            events.push(match event {
                PerfEvent::Sample(data) => Ok(record(data).seq),
                PerfEvent::Lost(n) => Err(n),
            });
        })
        .unwrap();
        events
    };
    getppid(N);
    let events = drain(&mut perf);
    let fitted = events.len() as u64;
    assert!(
        events.iter().enumerate().all(|(i, e)| *e == Ok(i as u64)),
        "the first samples, in order: {events:?}"
    );
    let capacity = (oxbpf::sys::page_size() / PERF_SAMPLE) as u64;
    assert_eq!(fitted, capacity, "samples that fit in one page");
    let failed = state(&coll, PERF_FAILS);
    assert_eq!(failed, N - fitted, "bpf_perf_event_output failures");

    // One more sample: now there is room for the lost record too.
    getppid(1);
    assert_eq!(
        drain(&mut perf),
        [Err(N - fitted), Ok(N)],
        "lost report, then the new sample"
    );
    assert_eq!(state(&coll, NEXT_SEQ), N + 1);
}

#[test]
fn perf_buffer_drained_while_tracepoint_produces() {
    if !require("kernel") {
        return;
    }
    let _tracefs = tracefs();
    // A producer pinned to one CPU whose ring (one page: about 100
    // samples; the reader is woken only once 3/4 of it is used) is drained
    // while it runs. Samples arrive in order; every gap between two of
    // them is announced, exactly, by PERF_RECORD_LOST.
    let cpu = current_cpu();
    const N: u64 = 100_000;
    let producer = Producer::spawn(N, Some(cpu));
    let tid = producer.tid;
    let coll = load(tid, 4096);
    let page = oxbpf::sys::page_size() as u32;
    let opts = PerfBufferOptions::with_pages(1).wakeup(Wakeup::Bytes(page * 3 / 4));
    let mut perf = PerfBuffer::new(coll.map("perf").unwrap(), &opts).expect("perf buffer");
    let _link = attach(&coll, "to_perf");

    let mut next = 0u64; // the sequence number the next sample must have
    let mut samples = 0u64;
    let mut lost = 0u64;
    let mut take = |c: u32, event: PerfEvent<'_>| {
        assert_eq!(c, cpu, "event in another CPU's ring");
        match event {
            PerfEvent::Sample(data) => {
                let r = record(data);
                assert_eq!(r.tid, tid);
                assert_eq!(r.seq, next, "sample after {samples} samples, {lost} lost");
                next = r.seq + 1;
                samples += 1;
            }
            PerfEvent::Lost(n) => {
                next += n;
                lost += n;
            }
        }
    };
    producer.go.send(()).unwrap();
    drain_while_running(&producer, || {
        perf.poll(Some(Duration::from_millis(10)), &mut take)
            .unwrap()
    });
    // Losses at the very end are reported before the next sample: make
    // one.
    producer.finish(true);
    perf.consume(&mut take).unwrap();

    eprintln!("perf ring of one page: {samples} samples, {lost} lost");
    assert_eq!(state(&coll, NEXT_SEQ), N + 1);
    assert_eq!(next, N + 1, "{samples} samples, {lost} lost");
    assert_eq!(samples + lost, N + 1);
    assert_eq!(lost, state(&coll, PERF_FAILS), "lost = failed outputs");
    let capacity = (oxbpf::sys::page_size() / PERF_SAMPLE) as u64;
    assert!(
        samples > 2 * capacity,
        "only {samples} of {N} samples received ({lost} lost); the ring holds {capacity}"
    );
}
