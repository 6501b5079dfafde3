//! Perf buffer reader against the running kernel: samples sent with
//! `bpf_perf_event_output` by hand-assembled XDP programs run through
//! `BPF_PROG_TEST_RUN` on chosen CPUs (see `ringbuf_common`).

mod common;
mod ringbuf_common;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use common::require_kernel;
use oxbpf_maps::*;
use ringbuf_common::*;

/// `BPF_F_CURRENT_CPU`
const CURRENT_CPU: u64 = 0xffff_ffff;

fn perf_array(name: &str) -> Map {
    let cpus = oxbpf_sys::nr_possible_cpus().unwrap() as u32;
    Map::create(&MapSpec::new(name, MapType::PERF_EVENT_ARRAY, 4, 4, cpus))
        .expect("create perf event array")
}

/// Pins the calling thread to `cpu`.
fn pin_to(cpu: u32) {
    // SAFETY: `cpu_set_t` is plain data; all zeroes is the empty set.
    let mut set: libc::cpu_set_t = unsafe { std::mem::zeroed() };
    // SAFETY: `cpu` is below `CPU_SETSIZE` (a CPU number of this
    // machine); `set` is a valid, exclusively borrowed `cpu_set_t`.
    unsafe { libc::CPU_SET(cpu as usize, &mut set) };
    // SAFETY: `set` is a valid `cpu_set_t` of the size passed; 0 is the
    // calling thread.
    let ret = unsafe { libc::sched_setaffinity(0, std::mem::size_of_val(&set), &set) };
    assert_eq!(ret, 0, "sched_setaffinity({cpu})");
}

/// Runs `run` on `cpu` (in a pinned thread); returns the records sent.
fn run_on(producer: &Producer, cpu: u32, run: Run) -> u64 {
    thread::scope(|s| {
        s.spawn(|| {
            pin_to(cpu);
            producer.run(&run)
        })
        .join()
        .unwrap()
    })
}

fn perf_run(count: u64, start_seq: u64, size: u64) -> Run {
    let mut run = Run::new(count, start_seq, size);
    run.flags = CURRENT_CPU;
    run
}

/// The sample length the kernel reports for `size` payload bytes.
fn padded(size: usize) -> usize {
    (size + 4).div_ceil(8) * 8 - 4
}

/// Ring bytes of one sample of `size` bytes.
fn record_bytes(size: usize) -> usize {
    8 + 4 + padded(size)
}

#[derive(Debug, Default)]
struct Seen {
    samples: BTreeMap<u32, Vec<u64>>,
    lost: BTreeMap<u32, u64>,
    /// (cpu, samples before this report, lost)
    lost_reports: Vec<(u32, usize, u64)>,
}

impl Seen {
    fn take(&mut self, cpu: u32, event: PerfEvent<'_>, size: usize) {
        match event {
            PerfEvent::Sample(data) => {
                assert_eq!(data.len(), padded(size));
                let seq = seq_of(data);
                check_record(&data[..size], seq, size);
                self.samples.entry(cpu).or_default().push(seq);
            }
            PerfEvent::Lost(n) => {
                let before = self.samples.get(&cpu).map_or(0, Vec::len);
                self.lost_reports.push((cpu, before, n));
                *self.lost.entry(cpu).or_default() += n;
            }
        }
    }
}

#[test]
fn samples_from_every_cpu() {
    if !require_kernel() {
        return;
    }
    let map = perf_array("pb_cpus");
    let producer = Producer::new(&map, Emit::PerfOutput);
    let mut perf = PerfBuffer::new(&map, &PerfBufferOptions::default()).unwrap();
    let online = oxbpf_sys::online_cpus().unwrap();
    assert_eq!(perf.cpus().collect::<Vec<_>>(), online);
    assert_eq!(perf.ring_size(), 64 * oxbpf_sys::page_size());
    for &cpu in &online {
        let start = u64::from(cpu) * 1_000_000;
        assert_eq!(run_on(&producer, cpu, perf_run(500, start, 40)), 500);
    }
    let mut seen = Seen::default();
    let n = perf.consume(|cpu, e| seen.take(cpu, e, 40)).unwrap();
    assert_eq!(n, 500 * online.len());
    for &cpu in &online {
        let start = u64::from(cpu) * 1_000_000;
        let want: Vec<u64> = (start..start + 500).collect();
        assert_eq!(seen.samples[&cpu], want, "cpu {cpu}");
    }
    assert!(seen.lost.is_empty());
    assert_eq!(perf.pending_bytes(), 0);
    assert_eq!(perf.consume(|_, _| panic!("drained")).unwrap(), 0);
}

/// Records of many sizes through one-page rings: hundreds wrap around the
/// end of the data area and are reassembled.
#[test]
fn wrapped_records_copied_whole() {
    if !require_kernel() {
        return;
    }
    let map = perf_array("pb_wrap");
    let producer = Producer::new(&map, Emit::PerfOutput);
    let mut perf = PerfBuffer::new(&map, &PerfBufferOptions::with_pages(1).cpus(vec![0])).unwrap();
    let size = perf.ring_size() as u64;
    assert_eq!(size, oxbpf_sys::page_size() as u64);
    let mut pos = 0u64;
    let mut wrapped = 0;
    let mut seq = 0;
    for round in 0..1500u64 {
        let len = 16 + (round as usize * 11) % (MAX_PAYLOAD - 15);
        let n = 1 + round % 5;
        assert_eq!(run_on(&producer, 0, perf_run(n, seq, len as u64)), n);
        let mut got = 0;
        perf.consume(|cpu, e| {
            assert_eq!(cpu, 0);
            let PerfEvent::Sample(data) = e else {
                panic!("lost records in a drained ring")
            };
            check_record(&data[..len], seq, len);
            let body_start = (pos + 8) % size;
            if body_start + 4 + padded(len) as u64 > size {
                wrapped += 1;
            }
            pos += record_bytes(len) as u64;
            seq += 1;
            got += 1;
        })
        .unwrap();
        assert_eq!(got, n);
    }
    assert!(wrapped > 100, "only {wrapped} records wrapped");
}

/// A full ring drops samples; the kernel reports exactly how many before
/// the next sample it manages to write.
#[test]
fn lost_samples_reported_exactly() {
    if !require_kernel() {
        return;
    }
    let map = perf_array("pb_lost");
    let producer = Producer::new(&map, Emit::PerfOutput);
    let mut perf = PerfBuffer::new(&map, &PerfBufferOptions::with_pages(1).cpus(vec![0])).unwrap();
    let page = oxbpf_sys::page_size();
    // The kernel keeps one byte free: (page - 1) / record bytes fit.
    let fit = ((page - 1) / record_bytes(40)) as u64;
    let sent = run_on(&producer, 0, perf_run(1000, 0, 40));
    assert_eq!(sent, fit);
    let mut seen = Seen::default();
    assert_eq!(
        perf.consume(|c, e| seen.take(c, e, 40)).unwrap() as u64,
        fit
    );
    // The next sample that fits is preceded by the lost report.
    assert_eq!(run_on(&producer, 0, perf_run(1, 1000, 40)), 1);
    perf.consume(|c, e| seen.take(c, e, 40)).unwrap();
    let mut want: Vec<u64> = (0..fit).collect();
    want.push(1000);
    assert_eq!(seen.samples[&0], want);
    assert_eq!(seen.lost_reports, [(0, fit as usize, 1000 - fit)]);
}

/// A producer thread sends as fast as it can into a small ring while the
/// reader polls: every sample is received in order or reported lost, and
/// the lost reports sit exactly at the gaps.
#[test]
fn concurrent_producer_received_or_lost() {
    if !require_kernel() {
        return;
    }
    const TOTAL: u64 = 200_000;
    let online = oxbpf_sys::online_cpus().unwrap();
    let cpu = *online.last().unwrap();
    let map = perf_array("pb_conc");
    let producer = Producer::new(&map, Emit::PerfOutput);
    let mut perf = PerfBuffer::new(
        &map,
        &PerfBufferOptions::with_pages(4).wakeup(Wakeup::Bytes(4096)),
    )
    .unwrap();
    let done = Arc::new(AtomicBool::new(false));
    let flushed = Arc::new(AtomicBool::new(false));
    let (done2, flushed2) = (done.clone(), flushed.clone());
    let prod = thread::spawn(move || {
        pin_to(cpu);
        let mut sent = 0;
        let mut seq = 0;
        while seq < TOTAL {
            let n = (TOTAL - seq).min(400);
            sent += producer.run(&perf_run(n, seq, 48));
            seq += n;
        }
        done2.store(true, Ordering::Release);
        // Once the reader has drained everything, one last sample makes
        // the kernel write the final lost report (if any) before it.
        while !flushed2.load(Ordering::Acquire) {
            thread::sleep(Duration::from_millis(1));
        }
        assert_eq!(producer.run(&perf_run(1, TOTAL, 48)), 1);
        sent + 1
    });
    let mut seen = Seen::default();
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        assert!(
            Instant::now() < deadline,
            "stuck: done {} flushed {} finished {} last {:?} count {} lost {:?} pending {}",
            done.load(Ordering::Relaxed),
            flushed.load(Ordering::Relaxed),
            prod.is_finished(),
            seen.samples.get(&cpu).and_then(|s| s.last()),
            seen.samples.get(&cpu).map_or(0, Vec::len),
            seen.lost,
            perf.pending_bytes()
        );
        perf.poll(Some(Duration::from_millis(5)), |c, e| seen.take(c, e, 48))
            .unwrap();
        if done.load(Ordering::Acquire) {
            // Below the watermark nothing wakes `poll`: read directly.
            perf.consume(|c, e| seen.take(c, e, 48)).unwrap();
            flushed.store(true, Ordering::Release);
        }
        if seen.samples.get(&cpu).and_then(|s| s.last()) == Some(&TOTAL) {
            break;
        }
    }
    let sent = prod.join().unwrap();
    perf.consume(|c, e| seen.take(c, e, 48)).unwrap();
    let samples = &seen.samples[&cpu];
    let lost = seen.lost.get(&cpu).copied().unwrap_or(0);
    assert_eq!(samples.len() as u64, sent, "every sent sample arrived");
    assert_eq!(samples.len() as u64 + lost, TOTAL + 1, "received + lost");
    // In order, and each gap is announced by a lost report of its size.
    let mut reports = seen.lost_reports.iter().peekable();
    let mut expect = 0;
    for (i, &seq) in samples.iter().enumerate() {
        let mut gap = 0;
        while let Some(&&(_, before, n)) = reports.peek() {
            if before != i {
                break;
            }
            gap += n;
            reports.next();
        }
        assert_eq!(seq, expect + gap, "sample {i}");
        expect = seq + 1;
    }
    assert!(reports.next().is_none());
    eprintln!("{} samples received, {lost} lost", samples.len());
}

#[test]
fn pause_and_resume() {
    if !require_kernel() {
        return;
    }
    let map = perf_array("pb_pause");
    let producer = Producer::new(&map, Emit::PerfOutput);
    let mut perf = PerfBuffer::new(&map, &PerfBufferOptions::with_pages(2).cpus(vec![0])).unwrap();
    perf.pause().unwrap();
    assert_eq!(run_on(&producer, 0, perf_run(10, 0, 24)), 0, "paused");
    assert_eq!(perf.consume(|_, _| panic!("paused")).unwrap(), 0);
    perf.resume().unwrap();
    assert_eq!(run_on(&producer, 0, perf_run(2, 10, 24)), 2);
    let mut seen = Seen::default();
    assert_eq!(perf.consume(|c, e| seen.take(c, e, 24)).unwrap(), 3);
    assert_eq!(seen.lost_reports, [(0, 0, 10)]);
    assert_eq!(seen.samples[&0], [10, 11]);
}

#[test]
fn poll_wakeup_policies() {
    if !require_kernel() {
        return;
    }
    let map = perf_array("pb_wake");
    let producer = Producer::new(&map, Emit::PerfOutput);
    // A 64 KiB watermark: a few samples do not wake the poller...
    let mut perf = PerfBuffer::new(
        &map,
        &PerfBufferOptions::with_pages(32)
            .cpus(vec![0])
            .wakeup(Wakeup::Bytes(64 << 10)),
    )
    .unwrap();
    assert_eq!(run_on(&producer, 0, perf_run(10, 0, 32)), 10);
    let t = Instant::now();
    assert_eq!(
        perf.poll(Some(Duration::from_millis(50)), |_, _| {})
            .unwrap(),
        0
    );
    assert!(t.elapsed() >= Duration::from_millis(45));
    // ... but are there for `consume`.
    assert_eq!(perf.consume(|_, _| {}).unwrap(), 10);
    // Crossing the watermark wakes it.
    let n = (64 << 10) / record_bytes(32) as u64 + 1;
    assert_eq!(run_on(&producer, 0, perf_run(n, 10, 32)), n);
    assert_eq!(
        perf.poll(Some(Duration::ZERO), |_, _| {}).unwrap() as u64,
        n
    );
    drop(perf);

    // Every sample wakes (the default), also while we are blocked.
    let mut perf = PerfBuffer::new(&map, &PerfBufferOptions::default()).unwrap();
    let p = thread::spawn(move || {
        thread::sleep(Duration::from_millis(100));
        pin_to(0);
        assert_eq!(producer.run(&perf_run(1, 99, 32)), 1);
    });
    let t = Instant::now();
    let mut got = Vec::new();
    while got.is_empty() {
        perf.poll(Some(Duration::from_secs(10)), |cpu, e| {
            if let PerfEvent::Sample(d) = e {
                got.push((cpu, seq_of(d)));
            }
        })
        .unwrap();
        assert!(t.elapsed() < Duration::from_secs(10), "not woken");
    }
    p.join().unwrap();
    assert_eq!(got, [(0, 99)]);
}

#[test]
fn setup_errors_and_cleanup() {
    if !require_kernel() {
        return;
    }
    let ring = Map::create(&MapSpec::new("pb_notpea", MapType::RINGBUF, 0, 0, 4096)).unwrap();
    assert!(matches!(
        PerfBuffer::new(&ring, &PerfBufferOptions::default()),
        Err(MapError::WrongMapType { .. })
    ));
    let map = perf_array("pb_errors");
    assert!(matches!(
        PerfBuffer::new(&map, &PerfBufferOptions::with_pages(3)),
        Err(MapError::InvalidSpec { .. })
    ));
    let small = Map::create(&MapSpec::new(
        "pb_small",
        MapType::PERF_EVENT_ARRAY,
        4,
        4,
        1,
    ))
    .unwrap();
    assert!(matches!(
        PerfBuffer::new(&small, &PerfBufferOptions::default().cpus(vec![1])),
        Err(MapError::InvalidSpec { .. })
    ));
    // A CPU that does not exist: perf_event_open fails, naming it.
    let big = Map::create(&MapSpec::new(
        "pb_big",
        MapType::PERF_EVENT_ARRAY,
        4,
        4,
        4096,
    ))
    .unwrap();
    match PerfBuffer::new(&big, &PerfBufferOptions::default().cpus(vec![0, 4000])) {
        Err(MapError::PerfBuffer { cpu, op, .. }) => {
            assert_eq!((cpu, op), (4000, "perf_event_open"))
        }
        other => panic!("{other:?}"),
    }
    // ... and CPU 0's entry, stored before the failure, was removed.
    assert!(!big.delete(&0u32.to_ne_bytes()).unwrap());

    // Dropping the buffer removes its entries from the array.
    let perf = PerfEventArray::new(&map)
        .unwrap()
        .buffer(&PerfBufferOptions::default())
        .unwrap();
    drop(perf);
    for cpu in oxbpf_sys::online_cpus().unwrap() {
        assert!(!map.delete(&cpu.to_ne_bytes()).unwrap(), "cpu {cpu}");
    }
}
