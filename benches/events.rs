//! Event reader benchmarks, the shape of `../shared/peers/libbpf-ringbuf`:
//! an XDP program run with `BPF_PROG_TEST_RUN` fills the ring (bpf_loop,
//! 64-byte records), then one drain is timed.
//!
//! - `events/ringbuf_consume_64b`: one iteration drains a full 8 MiB
//!   `BPF_MAP_TYPE_RINGBUF` of 64-byte records (116,508 records; reserve +
//!   submit, `BPF_RB_NO_WAKEUP`) with `RingBufReader::consume`; the
//!   closure reads and checks the sequence number, as the peer's does.
//! - `events/perfbuf_consume_64b`: one iteration drains an 8 MiB per-CPU
//!   perf ring filled with 64-byte `bpf_perf_event_output` samples
//!   (104,857 records, all on the CPU the test run happened on) with
//!   `PerfBuffer::consume`.
//!
//! Before criterion runs, a peer-style pass prints the median rate over
//! `OXBPF_BENCH_CYCLES` (default 100) fill+drain cycles after one warm-up
//! cycle, in the peer's format, so the two can be compared line by line
//! (`OXBPF_BENCH_NO_PEER` skips it; `OXBPF_BENCH_ONLY_RING` /
//! `OXBPF_BENCH_ONLY_PERF` run one half). The fill is never timed. The
//! perf peer is `perfbuf_bench.c` + `perfbuf.bpf.c` (libbpf's
//! `perf_buffer__consume` over the same fill), built like the ring one.

#![allow(missing_docs)] // criterion generates undocumented items

#[path = "../crates/maps/tests/ringbuf_common/mod.rs"]
mod ringbuf_common;
mod stats;

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput};
use oxbpf::maps::{Map, MapSpec, MapType, PerfBuffer, PerfBufferOptions, PerfEvent, RingBufReader};
use ringbuf_common::{seq_of, Emit, Producer, Run};
use stats::{env, median};

const RING_BYTES: u32 = 8 << 20;
/// `BPF_RB_NO_WAKEUP`, as the peer.
const NO_WAKEUP: u64 = 1;

/// The ring buffer, its producer and reader, and a prepared fill packet.
struct Ring {
    producer: Producer,
    reader: RingBufReader,
    packet: Vec<u8>,
    next_seq: u64,
    _map: Map,
}

/// A ring that is filled (untimed) and drained (timed).
trait FillDrain {
    /// Fills the ring; returns how many records went in.
    fn fill(&mut self) -> u64;
    /// Drains it; returns the records seen and how many were wrong.
    fn drain(&mut self) -> (u64, u64);
}

impl Ring {
    fn new() -> Self {
        let map = Map::create(&MapSpec::new(
            "bench_rb",
            MapType::RINGBUF,
            0,
            0,
            RING_BYTES,
        ))
        .expect("create ringbuf (root needed)");
        let producer = Producer::new(&map, Emit::RingbufReserve(64));
        let reader = RingBufReader::new(&map).unwrap();
        Self {
            producer,
            reader,
            packet: Vec::new(),
            next_seq: 0,
            _map: map,
        }
    }
}

impl FillDrain for Ring {
    /// More records than fit: the producer stops when the ring is full.
    fn fill(&mut self) -> u64 {
        let mut run = Run::new(u64::from(RING_BYTES) / 72 + 16, self.next_seq, 64);
        run.flags = NO_WAKEUP;
        self.packet = Producer::packet(&run);
        self.producer.run_packet(&self.packet)
    }

    /// Checks sequence numbers like the peer.
    fn drain(&mut self) -> (u64, u64) {
        let mut next = self.next_seq;
        let mut bad = 0u64;
        let n = self
            .reader
            .consume(|r| {
                bad += u64::from(seq_of(r) != next) + u64::from(r.len() != 64);
                next += 1;
            })
            .unwrap() as u64;
        self.next_seq = next;
        (n, bad)
    }
}

/// A perf event array with 8 MiB per CPU, its producer and buffer.
struct Perf {
    producer: Producer,
    buffer: PerfBuffer,
    next_seq: u64,
    _map: Map,
}

/// `BPF_F_CURRENT_CPU`
const CURRENT_CPU: u64 = 0xffff_ffff;
/// 8 + 4 + 68 ring bytes per 64-byte sample.
const PERF_RECORD: u64 = 80;

impl Perf {
    fn new() -> Self {
        let cpus = oxbpf::sys::nr_possible_cpus().unwrap() as u32;
        let map = Map::create(&MapSpec::new(
            "bench_pb",
            MapType::PERF_EVENT_ARRAY,
            4,
            4,
            cpus,
        ))
        .expect("create perf event array (root needed)");
        let producer = Producer::new(&map, Emit::PerfOutput);
        let pages = RING_BYTES as usize / oxbpf::sys::page_size();
        let buffer = PerfBuffer::new(&map, &PerfBufferOptions::with_pages(pages)).unwrap();
        Self {
            producer,
            buffer,
            next_seq: 0,
            _map: map,
        }
    }
}

impl FillDrain for Perf {
    /// Exactly as many samples as fit (the kernel keeps one byte free), so
    /// nothing is lost; all on the CPU the test run happens on.
    fn fill(&mut self) -> u64 {
        let mut run = Run::new((u64::from(RING_BYTES) - 1) / PERF_RECORD, self.next_seq, 64);
        run.flags = CURRENT_CPU;
        let made = self.producer.run(&run);
        assert_eq!(made, run.count, "perf ring refused samples");
        made
    }

    fn drain(&mut self) -> (u64, u64) {
        let mut next = self.next_seq;
        let mut bad = 0u64;
        let n = self
            .buffer
            .consume(|_cpu, event| match event {
                PerfEvent::Sample(r) => {
                    bad += u64::from(seq_of(r) != next) + u64::from(r.len() != 68);
                    next += 1;
                }
                PerfEvent::Lost(_) => bad += 1,
            })
            .unwrap() as u64;
        self.next_seq = next;
        (n, bad)
    }
}

/// The peer's loop: one warm-up cycle, then `cycles` fill + timed drain
/// cycles; returns the per-cycle rates (records/s) and records per fill.
fn peer_cycles(bench: &mut impl FillDrain, cycles: usize) -> (Vec<f64>, u64) {
    let mut rates = Vec::with_capacity(cycles);
    let mut per_fill = 0;
    for c in 0..=cycles {
        let made = bench.fill();
        let t = Instant::now();
        let (n, bad) = bench.drain();
        let dt = t.elapsed();
        assert_eq!((n, bad), (made, 0), "cycle {c}");
        if c == 0 {
            continue; // warm-up: page faults on the mapping
        }
        per_fill = n;
        rates.push(n as f64 / dt.as_secs_f64());
    }
    (rates, per_fill)
}

fn peer_style_ringbuf(cycles: usize) {
    let (mut rates, per_fill) = peer_cycles(&mut Ring::new(), cycles);
    let r = median(&mut rates);
    println!(
        "oxbpf ringbuf {RING_BYTES} bytes, {per_fill} x 64-byte records per fill, {cycles} cycles, consumer=read-seq"
    );
    println!(
        "consume: median {:.2} Mrec/s ({:.2} ns/rec), payload {:.0} MB/s, ring {:.0} MB/s [min {:.2} max {:.2} Mrec/s]",
        r / 1e6,
        1e9 / r,
        r * 64.0 / 1e6,
        r * 72.0 / 1e6,
        rates[0] / 1e6,
        rates[rates.len() - 1] / 1e6
    );
}

/// `iters` untimed fills, each followed by one timed drain.
fn timed_drains(iters: u64, bench: &mut impl FillDrain) -> Duration {
    let mut total = Duration::ZERO;
    for _ in 0..iters {
        let made = bench.fill();
        let t = Instant::now();
        let (n, bad) = black_box(bench.drain());
        total += t.elapsed();
        assert_eq!((n, bad), (made, 0));
    }
    total
}

fn peer_style_perfbuf(cycles: usize) {
    let (mut rates, per_fill) = peer_cycles(&mut Perf::new(), cycles);
    let r = median(&mut rates);
    println!(
        "oxbpf perfbuf {RING_BYTES} bytes/CPU, {per_fill} x 64-byte samples per fill, {cycles} cycles, consumer=read-seq"
    );
    println!(
        "consume: median {:.2} Mrec/s ({:.2} ns/rec), payload {:.0} MB/s, ring {:.0} MB/s [min {:.2} max {:.2} Mrec/s]",
        r / 1e6,
        1e9 / r,
        r * 64.0 / 1e6,
        r * PERF_RECORD as f64 / 1e6,
        rates[0] / 1e6,
        rates[rates.len() - 1] / 1e6
    );
}

fn criterion_benches(c: &mut Criterion) {
    let mut g = c.benchmark_group("events");
    g.sample_size(10)
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_millis(500));

    let mut ring = Ring::new();
    let per_fill = ring.fill();
    ring.drain();
    g.throughput(Throughput::Elements(per_fill));
    g.bench_function("ringbuf_consume_64b", |b| {
        b.iter_custom(|iters| timed_drains(iters, &mut ring))
    });
    drop(ring);

    let mut perf = Perf::new();
    let per_fill = perf.fill();
    perf.drain();
    g.throughput(Throughput::Elements(per_fill));
    g.bench_function("perfbuf_consume_64b", |b| {
        b.iter_custom(|iters| timed_drains(iters, &mut perf))
    });
    g.finish();
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let listing = args.iter().any(|a| a == "--list" || a == "--test");
    if let Err(e) = Map::create(&MapSpec::new("probe", MapType::RINGBUF, 0, 0, 4096)) {
        if std::env::var_os("OXBPF_ALLOW_SKIP").is_some() {
            eprintln!("SKIP events benches: bpf(2) unavailable: {e}");
            return;
        }
        panic!("events benches need bpf(2) (root): {e}; set OXBPF_ALLOW_SKIP=1 to skip");
    }
    if !listing && std::env::var_os("OXBPF_BENCH_NO_PEER").is_none() {
        let cycles = env("OXBPF_BENCH_CYCLES", 100).max(1) as usize;
        if std::env::var_os("OXBPF_BENCH_ONLY_PERF").is_none() {
            peer_style_ringbuf(cycles);
        }
        if std::env::var_os("OXBPF_BENCH_ONLY_RING").is_none() {
            peer_style_perfbuf(cycles);
        }
    }
    let mut c = Criterion::default().configure_from_args();
    criterion_benches(&mut c);
    c.final_summary();
}
