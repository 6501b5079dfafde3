//! The tokio readers (feature `tokio`): `cargo test -p oxbpf-maps
//! --features tokio --test ringbuf_async`.
#![cfg(feature = "tokio")]

mod common;
mod ringbuf_common;

use std::time::Duration;

use common::require_kernel;
use oxbpf_maps::perf::AsyncPerfBuffer;
use oxbpf_maps::ringbuf::{AsyncRingBufPoller, AsyncRingBufReader};
use oxbpf_maps::*;
use ringbuf_common::*;
use tokio::time::timeout;

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

fn ringbuf(name: &str) -> Map {
    Map::create(&MapSpec::new(name, MapType::RINGBUF, 0, 0, 16 * 4096)).unwrap()
}

#[test]
fn async_ring_reader() {
    if !require_kernel() {
        return;
    }
    let map = ringbuf("rb_async");
    let producer = Producer::new(&map, Emit::RingbufOutput);
    runtime().block_on(async {
        let mut reader = AsyncRingBufReader::new(RingBufReader::new(&map).unwrap()).unwrap();
        // Nothing yet: the future stays pending.
        assert!(timeout(Duration::from_millis(50), reader.consume(|_| {}))
            .await
            .is_err());
        // Records produced while we await (another thread) wake us.
        let p = tokio::task::spawn_blocking(move || {
            std::thread::sleep(Duration::from_millis(50));
            for k in 0..10 {
                assert_eq!(producer.run(&Run::new(100, k * 100, 32)), 100);
                std::thread::sleep(Duration::from_millis(5));
            }
        });
        let mut next = 0u64;
        while next < 1000 {
            timeout(
                Duration::from_secs(10),
                reader.consume(|r| {
                    check_record(r, next, 32);
                    next += 1;
                }),
            )
            .await
            .expect("woken")
            .unwrap();
        }
        p.await.unwrap();
        assert_eq!(next, 1000);
        assert!(reader.get_mut().next().unwrap().is_none());
        assert_eq!(reader.into_inner().pending_bytes(), 0);
    });
}

#[test]
fn async_ring_poller() {
    if !require_kernel() {
        return;
    }
    let maps = [ringbuf("rb_apoll0"), ringbuf("rb_apoll1")];
    let producers: Vec<Producer> = maps
        .iter()
        .map(|m| Producer::new(m, Emit::RingbufOutput))
        .collect();
    runtime().block_on(async {
        let mut poller = RingBufPoller::new().unwrap();
        for m in &maps {
            poller.add(RingBufReader::new(m).unwrap()).unwrap();
        }
        let mut poller = AsyncRingBufPoller::new(poller).unwrap();
        let p = tokio::task::spawn_blocking(move || {
            std::thread::sleep(Duration::from_millis(30));
            assert_eq!(producers[1].run(&Run::new(3, 10, 16)), 3);
            std::thread::sleep(Duration::from_millis(30));
            assert_eq!(producers[0].run(&Run::new(2, 20, 16)), 2);
        });
        let mut got = Vec::new();
        while got.len() < 5 {
            timeout(
                Duration::from_secs(10),
                poller.consume(|i, r| got.push((i, seq_of(r)))),
            )
            .await
            .expect("woken")
            .unwrap();
        }
        p.await.unwrap();
        assert_eq!(got, [(1, 10), (1, 11), (1, 12), (0, 20), (0, 21)]);
        assert_eq!(poller.get_ref().readers().len(), 2);
    });
}

#[test]
fn async_perf_buffer() {
    if !require_kernel() {
        return;
    }
    let cpus = oxbpf_sys::nr_possible_cpus().unwrap() as u32;
    let map = Map::create(&MapSpec::new(
        "pb_async",
        MapType::PERF_EVENT_ARRAY,
        4,
        4,
        cpus,
    ))
    .unwrap();
    let producer = Producer::new(&map, Emit::PerfOutput);
    runtime().block_on(async {
        let buffer = PerfBuffer::new(&map, &PerfBufferOptions::default()).unwrap();
        let mut perf = AsyncPerfBuffer::new(buffer).unwrap();
        assert!(timeout(Duration::from_millis(50), perf.consume(|_, _| {}))
            .await
            .is_err());
        let p = tokio::task::spawn_blocking(move || {
            std::thread::sleep(Duration::from_millis(50));
            let mut run = Run::new(50, 0, 40);
            run.flags = 0xffff_ffff; // BPF_F_CURRENT_CPU
            assert_eq!(producer.run(&run), 50);
        });
        let mut seqs = Vec::new();
        while seqs.len() < 50 {
            timeout(
                Duration::from_secs(10),
                perf.consume(|_cpu, e| match e {
                    PerfEvent::Sample(d) => seqs.push(seq_of(d)),
                    PerfEvent::Lost(n) => panic!("lost {n}"),
                }),
            )
            .await
            .unwrap_or_else(|_| {
                panic!(
                    "not woken: pending {} seen {}",
                    perf.get_ref().pending_bytes(),
                    seqs.len()
                )
            })
            .unwrap();
        }
        p.await.unwrap();
        assert_eq!(seqs, (0..50).collect::<Vec<u64>>());
        assert_eq!(perf.get_ref().pending_bytes(), 0);
    });
}
