//! Map operation benchmarks: `BPF_MAP_TYPE_HASH` u32 → u64, preallocated,
//! the shape of `../shared/peers/libbpf-maps/maps_bench.c`.
//!
//! - `maps/hash_lookup`: `HashMap::get` of a present key.
//! - `maps/hash_update`: `HashMap::insert` with `BPF_EXIST`.
//! - `maps/hash_lookup_batch_100k`: `HashMap::lookup_batch_into` of a
//!   100,000-entry map (whole map, chunks of 100,000 as the peer's first
//!   batch row), buffers reused.
//!
//! Before criterion runs, a peer-style pass prints ns/op for the same
//! phases as the C peer (N ops per phase, median of R reps; set
//! `OXBPF_BENCH_OPS`, `OXBPF_BENCH_BATCH`, `OXBPF_BENCH_REPS`), so the two
//! can be compared line by line. Also counts heap allocations on the hot
//! path (must be zero).

#![allow(missing_docs)] // criterion generates undocumented items

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::Criterion;
use oxbpf::maps::{BatchOptions, HashMap, Map, MapSpec, UpdateMode};
use oxbpf::sys::alloc_count::CountingAlloc;
use stats::{env, median};

mod stats;

#[global_allocator]
static ALLOC: CountingAlloc = CountingAlloc::new();

type Hash = HashMap<Map, u32, u64>;

fn create(max_entries: u32) -> Hash {
    let map = Map::create(&MapSpec::hash::<u32, u64>("bench_hash", max_entries))
        .expect("create hash map (root needed)");
    HashMap::new(map).unwrap()
}

fn report(name: &str, v: &mut [f64], ops: u32) {
    let med = median(v);
    println!(
        "{name:<28} median {med:7.1} ns/op  (min {:.1}, max {:.1}; {ops} ops x {} reps)",
        v[0],
        v[v.len() - 1],
        v.len()
    );
}

fn per_op(t: Duration, n: u32) -> f64 {
    t.as_nanos() as f64 / f64::from(n)
}

/// The C peer's phases, timed the same way.
fn peer_style() {
    let nops = env("OXBPF_BENCH_OPS", 1_000_000);
    let nbatch = env("OXBPF_BENCH_BATCH", 100_000);
    let reps = env("OXBPF_BENCH_REPS", 3).max(1) as usize;
    // Preallocated: pushing inside the measured window must not allocate.
    let v = || Vec::with_capacity(reps);
    let (mut ins, mut upd, mut hit, mut miss, mut del) = (v(), v(), v(), v(), v());
    let mut hot_path_allocs = 0usize;
    for _ in 0..reps {
        let h = create(nops);
        let live = ALLOC.live();
        ALLOC.reset_peak();
        let t = Instant::now();
        for k in 0..nops {
            h.insert(&k, &u64::from(k), UpdateMode::NoExist).unwrap();
        }
        ins.push(per_op(t.elapsed(), nops));
        let t = Instant::now();
        for k in 0..nops {
            h.insert(&k, &(u64::from(k) * 3), UpdateMode::Exist)
                .unwrap();
        }
        upd.push(per_op(t.elapsed(), nops));
        let mut sum = 0u64;
        let t = Instant::now();
        for k in 0..nops {
            sum += h.get(&k).unwrap().unwrap();
        }
        hit.push(per_op(t.elapsed(), nops));
        assert_eq!(sum, 3 * (u64::from(nops) * u64::from(nops - 1) / 2));
        let t = Instant::now();
        for k in nops..2 * nops {
            assert!(h.get(&k).unwrap().is_none());
        }
        miss.push(per_op(t.elapsed(), nops));
        let t = Instant::now();
        for k in 0..nops {
            assert!(h.remove(&k).unwrap());
        }
        del.push(per_op(t.elapsed(), nops));
        hot_path_allocs = hot_path_allocs.max(ALLOC.peak() - live);
    }
    println!("oxbpf: BPF_MAP_TYPE_HASH u32->u64, prealloc, max_entries={nops}");
    report("update_elem (insert)", &mut ins, nops);
    report("update_elem (BPF_EXIST)", &mut upd, nops);
    report("lookup_elem (hit)", &mut hit, nops);
    report("lookup_elem (miss/ENOENT)", &mut miss, nops);
    report("delete_elem", &mut del, nops);
    println!(
        "{:<28} {hot_path_allocs} bytes allocated on the hot path",
        ""
    );
    assert_eq!(hot_path_allocs, 0, "the typed hot path must not allocate");

    let h = create(nbatch);
    let keys: Vec<u32> = (0..nbatch).collect();
    let values: Vec<u64> = keys.iter().map(|&k| u64::from(k) * 7).collect();
    let mut ub = vec![];
    for _ in 0..reps {
        let t = Instant::now();
        assert_eq!(
            h.update_batch(&keys, &values, UpdateMode::Any).unwrap(),
            nbatch as usize
        );
        ub.push(per_op(t.elapsed(), nbatch));
    }
    println!("oxbpf: BPF_MAP_TYPE_HASH u32->u64, {nbatch} entries, batch ops (ns per element)");
    report("update_batch (1 call)", &mut ub, nbatch);
    let mut okeys = Vec::with_capacity(nbatch as usize);
    let mut ovals = Vec::with_capacity(nbatch as usize);
    for chunk in [nbatch, 1024, 64] {
        let mut lb = vec![];
        for _ in 0..reps {
            okeys.clear();
            ovals.clear();
            let opts = BatchOptions {
                chunk,
                ..Default::default()
            };
            let t = Instant::now();
            let n = h.lookup_batch_into(&mut okeys, &mut ovals, &opts).unwrap();
            lb.push(per_op(t.elapsed(), nbatch));
            assert_eq!(n, nbatch as usize);
            assert!(okeys
                .iter()
                .zip(&ovals)
                .all(|(k, v)| *v == u64::from(*k) * 7));
        }
        report(&format!("lookup_batch (chunk {chunk})"), &mut lb, nbatch);
    }
}

fn criterion_benches(c: &mut Criterion) {
    let mut g = c.benchmark_group("maps");
    let n = 100_000u32;
    let h = create(n);
    for k in 0..n {
        h.insert(&k, &u64::from(k), UpdateMode::Any).unwrap();
    }
    let mut k = 0u32;
    g.bench_function("hash_lookup", |b| {
        b.iter(|| {
            k = (k + 1) % n;
            black_box(h.get(black_box(&k)).unwrap())
        })
    });
    g.bench_function("hash_update", |b| {
        b.iter(|| {
            k = (k + 1) % n;
            h.insert(black_box(&k), black_box(&7), UpdateMode::Exist)
                .unwrap()
        })
    });
    let mut keys = Vec::with_capacity(n as usize);
    let mut values = Vec::with_capacity(n as usize);
    let opts = BatchOptions {
        chunk: n,
        ..Default::default()
    };
    g.throughput(criterion::Throughput::Elements(u64::from(n)));
    g.bench_function("hash_lookup_batch_100k", |b| {
        b.iter(|| {
            // O(1) for Copy elements: the capacity is kept.
            keys.clear();
            values.clear();
            black_box(h.lookup_batch_into(&mut keys, &mut values, &opts).unwrap())
        })
    });
    g.finish();
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let listing = args.iter().any(|a| a == "--list" || a == "--test");
    if let Err(e) = Map::create(&MapSpec::hash::<u32, u64>("probe", 1)) {
        if std::env::var_os("OXBPF_ALLOW_SKIP").is_some() {
            eprintln!("SKIP maps benches: bpf(2) unavailable: {e}");
            return;
        }
        panic!("maps benches need bpf(2) (root): {e}; set OXBPF_ALLOW_SKIP=1 to skip");
    }
    if !listing && std::env::var_os("OXBPF_BENCH_NO_PEER").is_none() {
        peer_style();
    }
    let mut c = Criterion::default().configure_from_args();
    criterion_benches(&mut c);
    c.final_summary();
}
