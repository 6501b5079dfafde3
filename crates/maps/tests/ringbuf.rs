//! Ring buffer reader and user ring buffer writer against the running
//! kernel, with hand-assembled producers run through `BPF_PROG_TEST_RUN`
//! (see `ringbuf_common`).

mod common;
mod ringbuf_common;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use common::require_kernel;
use oxbpf_maps::*;
use ringbuf_common::*;

/// `BPF_RB_NO_WAKEUP`
const NO_WAKEUP: u64 = 1;
/// `BPF_RB_FORCE_WAKEUP`
const FORCE_WAKEUP: u64 = 2;

fn ringbuf(name: &str, size: u32) -> Map {
    Map::create(&MapSpec::new(name, MapType::RINGBUF, 0, 0, size)).expect("create ringbuf")
}

fn page() -> u32 {
    oxbpf_sys::page_size() as u32
}

/// Ring bytes of a record with `len` payload bytes.
fn total(len: usize) -> u64 {
    (len as u64 + 8).div_ceil(8) * 8
}

/// Consumes everything, checking sequence numbers continue from `*next`
/// and every record's contents; returns the count.
fn drain_checked(reader: &mut RingBufReader, next: &mut u64, size: usize) -> usize {
    reader
        .consume(|r| {
            check_record(r, *next, size);
            *next += 1;
        })
        .expect("consume")
}

#[test]
fn consume_in_order() {
    if !require_kernel() {
        return;
    }
    let map = ringbuf("rb_order", 64 * 1024);
    let producer = Producer::new(&map, Emit::RingbufOutput);
    let mut reader = RingBufReader::new(&map).unwrap();
    assert_eq!(reader.size(), 64 * 1024);
    assert_eq!(reader.max_record_len(), 64 * 1024 - 8);
    assert_eq!(reader.consume(|_| panic!("empty ring")).unwrap(), 0);
    assert!(reader.next().unwrap().is_none());

    let mut next = 0;
    for round in 0..20 {
        let n = 1000;
        assert_eq!(producer.run(&Run::new(n, next, 40)), n, "round {round}");
        assert_eq!(reader.pending_bytes() as u64, n * total(40));
        assert_eq!(drain_checked(&mut reader, &mut next, 40), n as usize);
        assert_eq!(reader.pending_bytes(), 0);
        assert_eq!(reader.consumer_pos(), reader.producer_pos());
    }
    assert_eq!(next, 20_000);
}

#[test]
fn next_releases_on_drop() {
    if !require_kernel() {
        return;
    }
    let map = ringbuf("rb_next", page());
    let producer = Producer::new(&map, Emit::RingbufOutput);
    let mut reader = RingBufReader::new(&map).unwrap();
    assert_eq!(producer.run(&Run::new(3, 100, 24)), 3);
    let start = reader.consumer_pos();
    {
        let record = reader.next().unwrap().expect("record");
        check_record(&record, 100, 24);
    }
    assert_eq!(reader.consumer_pos(), start + total(24));
    let mut seqs = Vec::new();
    while let Some(record) = reader.next().unwrap() {
        check_record(&record, 101 + seqs.len() as u64, 24);
        seqs.push(seq_of(&record));
    }
    assert_eq!(seqs, [101, 102]);
    assert_eq!(reader.consumer_pos(), start + 3 * total(24));
    // A forgotten guard releases nothing: the record comes back.
    assert_eq!(producer.run(&Run::new(1, 103, 24)), 1);
    std::mem::forget(reader.next().unwrap().expect("record"));
    let again = reader.next().unwrap().expect("same record");
    assert_eq!(seq_of(&again), 103);
}

/// Records of every size from 16 to 256 bytes through a one-page ring:
/// hundreds of them straddle the end of the data area and must come out
/// whole (the data area is mapped twice, so they are read in place).
#[test]
fn records_straddling_the_wrap() {
    if !require_kernel() {
        return;
    }
    let size = page() as u64;
    let map = ringbuf("rb_wrap", size as u32);
    let producer = Producer::new(&map, Emit::RingbufOutput);
    let mut reader = RingBufReader::new(&map).unwrap();
    let mut pos = reader.consumer_pos();
    let mut next = 0u64;
    let mut straddled = 0;
    let mut wrapped_header_at_end = 0;
    for round in 0..2000u64 {
        let len = 16 + (round as usize * 13) % (MAX_PAYLOAD - 15);
        let n = 1 + round % 7;
        let made = producer.run(&Run::new(n, next, len as u64));
        assert!(made > 0, "a one-page ring takes at least one record");
        let got = reader
            .consume(|r| {
                check_record(r, next, len);
                let offset = pos % size;
                if offset + 8 + len as u64 > size {
                    straddled += 1;
                }
                if offset + 8 == size {
                    wrapped_header_at_end += 1;
                }
                pos += total(len);
                next += 1;
            })
            .unwrap();
        assert_eq!(got as u64, made);
        assert_eq!(reader.consumer_pos(), pos);
    }
    assert!(
        straddled > 100,
        "only {straddled} records straddled the wrap"
    );
    assert!(wrapped_header_at_end > 0, "no header in the last 8 bytes");
}

#[test]
fn discarded_records_are_skipped() {
    if !require_kernel() {
        return;
    }
    let map = ringbuf("rb_discard", 16 * page());
    let producer = Producer::new(&map, Emit::RingbufReserve(64));
    let mut reader = RingBufReader::new(&map).unwrap();
    let mut run = Run::new(300, 0, 64);
    run.discard_mod = 3;
    assert_eq!(producer.run(&run), 300);
    let mut seqs = Vec::new();
    let n = reader
        .consume(|r| {
            let seq = seq_of(r);
            check_record(r, seq, 64);
            seqs.push(seq);
        })
        .unwrap();
    let want: Vec<u64> = (0..300).filter(|s| s % 3 != 0).collect();
    assert_eq!(n, want.len());
    assert_eq!(seqs, want);
    assert_eq!(reader.pending_bytes(), 0);
    // The same through `next`.
    run.start_seq = 300;
    assert_eq!(producer.run(&run), 300);
    let mut seqs = Vec::new();
    while let Some(r) = reader.next().unwrap() {
        seqs.push(seq_of(&r));
    }
    let want: Vec<u64> = (300..600).filter(|s| s % 3 != 0).collect();
    assert_eq!(seqs, want);
    assert_eq!(reader.pending_bytes(), 0);
}

/// A full ring refuses records (the producer stops at the first refusal):
/// exactly as many as fit were accepted, and all of them are delivered.
#[test]
fn overflow_refuses_then_recovers() {
    if !require_kernel() {
        return;
    }
    let size = 4 * page() as u64;
    let map = ringbuf("rb_full", size as u32);
    let producer = Producer::new(&map, Emit::RingbufOutput);
    let mut reader = RingBufReader::new(&map).unwrap();
    let fit = size / total(40);
    let made = producer.run(&Run::new(10_000, 0, 40));
    assert_eq!(made, fit);
    assert_eq!(
        producer.run(&Run::new(1, made, 40)),
        0,
        "full ring accepted"
    );
    // Half drained through `next`: room for exactly that many again.
    let mut next = 0;
    for _ in 0..fit / 2 {
        let r = reader.next().unwrap().unwrap();
        check_record(&r, next, 40);
        next += 1;
    }
    assert_eq!(producer.run(&Run::new(10_000, made, 40)), fit / 2);
    assert_eq!(
        drain_checked(&mut reader, &mut next, 40) as u64,
        fit - fit / 2 + fit / 2
    );
    assert_eq!(next, fit + fit / 2);
}

/// A producer thread fills a small ring as fast as it can (retrying when
/// it is full) while the consumer polls: every record arrives, in order.
#[test]
fn concurrent_producer_and_consumer() {
    if !require_kernel() {
        return;
    }
    const TOTAL: u64 = 300_000;
    let map = ringbuf("rb_conc", 4 * page());
    let producer = Producer::new(&map, Emit::RingbufOutput);
    let mut reader = RingBufReader::new(&map).unwrap();
    let done = Arc::new(AtomicBool::new(false));
    let done2 = done.clone();
    let prod = thread::spawn(move || {
        let mut next = 0;
        let mut refusals = 0u64;
        while next < TOTAL {
            let len = 16 + (next as usize % 30) * 7; // sizes vary per run
            let n = (TOTAL - next).min(500);
            let made = producer.run(&Run::new(n, next, len as u64));
            next += made;
            if made < n {
                refusals += 1;
                thread::yield_now();
            }
        }
        done2.store(true, Ordering::Release);
        refusals
    });
    let mut next = 0u64;
    let deadline = Instant::now() + Duration::from_secs(60);
    while next < TOTAL {
        assert!(Instant::now() < deadline, "stuck at {next}");
        reader
            .poll(Some(Duration::from_millis(10)), |r| {
                let seq = seq_of(r);
                assert_eq!(seq, next, "out of order");
                let len = r.len();
                assert_eq!(r[len - 8..], seq.to_ne_bytes());
                next += 1;
            })
            .unwrap();
    }
    let refusals = prod.join().unwrap();
    assert!(done.load(Ordering::Acquire));
    assert_eq!(next, TOTAL);
    assert_eq!(reader.pending_bytes(), 0);
    eprintln!("producer saw a full ring {refusals} times");
}

#[test]
fn poll_waits_and_wakes() {
    if !require_kernel() {
        return;
    }
    let map = ringbuf("rb_poll", 4 * page());
    let producer = Producer::new(&map, Emit::RingbufOutput);
    let mut reader = RingBufReader::new(&map).unwrap();

    // Nothing there: the timeout passes.
    let t = Instant::now();
    assert_eq!(
        reader
            .poll(Some(Duration::from_millis(50)), |_| {})
            .unwrap(),
        0
    );
    assert!(t.elapsed() >= Duration::from_millis(45));
    assert!(!reader.wait(Some(Duration::ZERO)).unwrap());

    // Data already there: no wait at all.
    assert_eq!(producer.run(&Run::new(2, 0, 16)), 2);
    assert!(reader.wait(Some(Duration::ZERO)).unwrap());
    assert_eq!(reader.poll(None, |_| {}).unwrap(), 2);

    // Woken by a producer committing (default wakeup policy) while we
    // wait without a timeout.
    let p = thread::spawn(move || {
        thread::sleep(Duration::from_millis(100));
        assert_eq!(producer.run(&Run::new(5, 2, 16)), 5);
        producer
    });
    let t = Instant::now();
    let mut got = Vec::new();
    while got.len() < 5 {
        reader
            .poll(Some(Duration::from_secs(10)), |r| got.push(seq_of(r)))
            .unwrap();
        assert!(t.elapsed() < Duration::from_secs(10), "not woken");
    }
    assert_eq!(got, [2, 3, 4, 5, 6]);
    let producer = p.join().unwrap();

    // BPF_RB_NO_WAKEUP suppresses the wakeup; BPF_RB_FORCE_WAKEUP forces
    // one even though records are pending.
    let mut run = Run::new(1, 7, 16);
    run.flags = NO_WAKEUP;
    assert_eq!(producer.run(&run), 1);
    run.start_seq = 8;
    run.flags = FORCE_WAKEUP;
    assert_eq!(producer.run(&run), 1);
    let mut got = Vec::new();
    reader.poll(None, |r| got.push(seq_of(r))).unwrap();
    assert_eq!(got, [7, 8]);
}

#[test]
fn poller_over_several_rings() {
    if !require_kernel() {
        return;
    }
    let maps: Vec<Map> = (0..3)
        .map(|i| ringbuf(&format!("rb_multi{i}"), 4 * page()))
        .collect();
    let producers: Vec<Producer> = maps
        .iter()
        .map(|m| Producer::new(m, Emit::RingbufOutput))
        .collect();
    let mut poller = RingBufPoller::new().unwrap();
    for (i, m) in maps.iter().enumerate() {
        assert_eq!(poller.add(RingBufReader::new(m).unwrap()).unwrap(), i);
    }
    assert_eq!(poller.readers().len(), 3);
    let t = Instant::now();
    assert_eq!(
        poller
            .poll(Some(Duration::from_millis(30)), |_, _| {})
            .unwrap(),
        0
    );
    assert!(t.elapsed() >= Duration::from_millis(25));

    // Only ring 1 has data.
    assert_eq!(producers[1].run(&Run::new(4, 10, 32)), 4);
    let mut got = Vec::new();
    let n = poller
        .poll(Some(Duration::from_secs(5)), |i, r| {
            got.push((i, seq_of(r)))
        })
        .unwrap();
    assert_eq!(n, 4);
    assert_eq!(got, [(1, 10), (1, 11), (1, 12), (1, 13)]);

    // All three, woken from another thread.
    let p = thread::spawn(move || {
        thread::sleep(Duration::from_millis(50));
        for (i, prod) in producers.iter().enumerate() {
            assert_eq!(prod.run(&Run::new(3, 100 * i as u64, 32)), 3);
        }
    });
    let mut got = Vec::new();
    while got.len() < 9 {
        poller
            .poll(Some(Duration::from_secs(10)), |i, r| {
                got.push((i, seq_of(r)))
            })
            .unwrap();
    }
    p.join().unwrap();
    got.sort();
    let want: Vec<(usize, u64)> = (0..3)
        .flat_map(|i| (0..3).map(move |k| (i, 100 * i as u64 + k)))
        .collect();
    assert_eq!(got, want);
    assert_eq!(poller.consume(|_, _| panic!("drained")).unwrap(), 0);
    assert!(poller.reader_mut(2).unwrap().next().unwrap().is_none());
}

#[test]
fn one_reader_per_map_and_type_checks() {
    if !require_kernel() {
        return;
    }
    let map = ringbuf("rb_excl", page());
    let reader = RingBufReader::new(&map).unwrap();
    match RingBufReader::new(&map) {
        Err(MapError::RingInUse { role, .. }) => assert_eq!(role, "reader"),
        other => panic!("second reader: {other:?}"),
    }
    // Another fd of the same map is the same ring.
    let clone = map.try_clone().unwrap();
    assert!(matches!(
        RingBufReader::new(&clone),
        Err(MapError::RingInUse { .. })
    ));
    drop(reader);
    let reader = RingBuf::new(&map).unwrap().reader().unwrap();
    assert_eq!(reader.name(), "rb_excl");

    let array = Map::create(&MapSpec::array::<u32>("rb_notring", 1)).unwrap();
    assert!(matches!(
        RingBufReader::new(&array),
        Err(MapError::WrongMapType { .. })
    ));
    let urb = Map::create(&MapSpec::new(
        "urb_notrb",
        MapType::USER_RINGBUF,
        0,
        0,
        page(),
    ))
    .unwrap();
    assert!(matches!(
        RingBufReader::new(&urb),
        Err(MapError::WrongMapType { .. })
    ));
    assert!(matches!(
        UserRingBufWriter::new(&map),
        Err(MapError::WrongMapType { .. })
    ));
}

/// The reader holds its own fd and mapping: it works after the `Map` and
/// the producer's own reference are gone (the program keeps the map).
#[test]
fn reader_outlives_map_handle() {
    if !require_kernel() {
        return;
    }
    let map = ringbuf("rb_outlive", page());
    let producer = Producer::new(&map, Emit::RingbufOutput);
    let mut reader = RingBufReader::new(&map).unwrap();
    drop(map);
    assert_eq!(producer.run(&Run::new(2, 5, 16)), 2);
    let mut next = 5;
    assert_eq!(drain_checked(&mut reader, &mut next, 16), 2);
    assert!(reader.wait(Some(Duration::from_millis(1))).is_ok());
}

// ---- user ring buffer ---------------------------------------------------------

fn user_ringbuf(name: &str, size: u32) -> Map {
    Map::create(&MapSpec::new(name, MapType::USER_RINGBUF, 0, 0, size))
        .expect("create user ringbuf")
}

#[test]
fn user_ringbuf_drained_by_program() {
    if !require_kernel() {
        return;
    }
    let size = page() as usize;
    let map = user_ringbuf("urb_drain", size as u32);
    let drainer = Drainer::new(&map);
    let mut writer = UserRingBufWriter::new(&map).unwrap();
    assert_eq!(writer.size(), size);
    assert_eq!(writer.free_bytes(), size);
    assert_eq!(drainer.run(), 0, "empty ring");

    let mut seq = 0u64;
    let mut bytes = 0u64;
    let mut pos = 0u64;
    let mut straddled = 0;
    for round in 0..300usize {
        // Fill until full with varying sizes, then drain.
        let mut written = 0;
        loop {
            let len = 24 + (seq as usize * 37 + round) % 300;
            let rec = user_record(seq, len);
            if !writer.write(&rec).unwrap() {
                assert!(writer.free_bytes() < total(len) as usize);
                break;
            }
            if pos % size as u64 + 8 + len as u64 > size as u64 {
                straddled += 1;
            }
            pos += total(len);
            seq += 1;
            bytes += len as u64;
            written += 1;
        }
        assert!(written > 0);
        assert_eq!(drainer.run(), written, "round {round}");
        assert_eq!(writer.free_bytes(), size);
        let stats = drainer.stats();
        assert_eq!(
            stats,
            DrainStats {
                count: seq,
                next_seq: seq,
                bad: 0,
                bytes
            }
        );
    }
    assert!(
        straddled > 50,
        "only {straddled} records straddled the wrap"
    );
}

#[test]
fn user_ringbuf_discard_and_limits() {
    if !require_kernel() {
        return;
    }
    let size = page() as usize;
    let map = user_ringbuf("urb_discard", size as u32);
    let drainer = Drainer::new(&map);
    let mut writer = UserRingBufWriter::new(&map).unwrap();
    assert!(matches!(
        UserRingBufWriter::new(&map),
        Err(MapError::RingInUse { role: "writer", .. })
    ));
    // A reservation dropped without submitting is discarded.
    {
        let mut e = writer.reserve(100).unwrap().unwrap();
        e.fill(0xee);
    }
    writer.reserve(50).unwrap().unwrap().discard();
    assert!(writer.write(&user_record(0, 24)).unwrap());
    {
        let mut e = writer.reserve(40).unwrap().unwrap();
        assert_eq!(e.len(), 40);
        e.copy_from_slice(&user_record(1, 40));
        e.submit();
    }
    // Discarded records are consumed but not passed to the callback.
    assert_eq!(drainer.run(), 2);
    let s = drainer.stats();
    assert_eq!((s.count, s.bad, s.next_seq), (2, 0, 2));
    assert_eq!(writer.free_bytes(), size);

    // Sizes: the largest record fills the ring; one more byte never fits.
    assert_eq!(writer.max_record_len(), size - 8);
    match writer.reserve(size - 7) {
        Err(MapError::RecordTooLarge { size: s, max, .. }) => {
            assert_eq!((s, max), (size - 7, size - 8))
        }
        other => panic!("oversized reserve: {other:?}"),
    }
    assert!(writer.reserve(1 << 31).is_err());
    let big = user_record(2, size - 8);
    assert!(writer.write(&big).unwrap());
    assert_eq!(writer.free_bytes(), 0);
    assert!(writer.reserve(1).unwrap().is_none());
    assert_eq!(drainer.run(), 1);
    assert_eq!(drainer.stats().bad, 0);
    assert_eq!(drainer.stats().next_seq, 3);
}

#[test]
fn user_ringbuf_reserve_blocking() {
    if !require_kernel() {
        return;
    }
    let size = page() as usize;
    let map = user_ringbuf("urb_block", size as u32);
    let drainer = Drainer::new(&map);
    let mut writer = UserRingBuf::new(&map).unwrap().writer().unwrap();
    // Fill it.
    let mut seq = 0;
    while writer.write(&user_record(seq, 64)).unwrap() {
        seq += 1;
    }
    let t = Instant::now();
    assert!(writer
        .reserve_blocking(64, Some(Duration::from_millis(50)))
        .unwrap()
        .is_none());
    assert!(t.elapsed() >= Duration::from_millis(45));
    // A program drains it from another thread: the writer is woken.
    let d = thread::spawn(move || {
        thread::sleep(Duration::from_millis(100));
        let n = drainer.run();
        (drainer, n)
    });
    let t = Instant::now();
    let mut e = writer
        .reserve_blocking(64, Some(Duration::from_secs(10)))
        .unwrap()
        .expect("space after the drain");
    assert!(t.elapsed() < Duration::from_secs(10));
    e.copy_from_slice(&user_record(seq, 64));
    e.submit();
    let (drainer, n) = d.join().unwrap();
    // The kernel frees space record by record while it drains: our new
    // record may already have been drained in the same call.
    let seq = seq as i64;
    assert!(n == seq || n == seq + 1, "drained {n} of {seq} + 1");
    assert_eq!(drainer.run(), seq + 1 - n);
    let seq = seq as u64;
    let s = drainer.stats();
    assert_eq!((s.count, s.bad), (seq + 1, 0));
}
