//! BTF benchmarks on the running kernel's BTF (`/sys/kernel/btf/vmlinux`).
//!
//! - `btf/parse_vmlinux`: open (map or read) and parse, ready for lookups by id.
//! - `btf/parse_and_find_task_struct`: the above plus the first lookup of
//!   `task_struct` as a STRUCT, including any name indexing.
//! - `btf/decode_all`: decode every type once (members, values and
//!   parameters iterated) on an already parsed BTF.
//! - `btf/find_indexed`: a lookup once the name index is built.
//! - `btf/build_name_index`: building the name index.
//!
//! Before the timings it prints the heap used by a parsed and fully indexed
//! vmlinux beyond the BTF bytes, measured with a counting allocator.
//! Compare side by side with `../shared/peers/libbpf-btf` (see README).

#![allow(missing_docs)] // criterion_group! generates undocumented items

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};
use oxbpf::btf::{Btf, Kind, Type};
use oxbpf::sys::alloc_count::CountingAlloc;

#[global_allocator]
static ALLOC: CountingAlloc = CountingAlloc::new();

fn report_memory() {
    let bytes_len = std::fs::metadata(oxbpf::btf::KERNEL_BTF_PATH)
        .map(|m| m.len())
        .unwrap_or(0);
    let before = ALLOC.live();
    let btf = Btf::kernel().expect("kernel BTF");
    let parsed = ALLOC.live() - before;
    btf.build_name_index();
    let indexed = ALLOC.live() - before;
    // When the file could not be mapped it was read onto the heap: do not
    // count the BTF bytes themselves.
    let on_heap_copy = if parsed as u64 >= bytes_len {
        bytes_len as usize
    } else {
        0
    };
    let beyond = indexed - on_heap_copy;
    println!(
        "memory: vmlinux BTF {} bytes, {} types; heap after parse {} KiB, after name index {} KiB; \
         beyond the BTF bytes: {:.2} MiB (budget 2 MiB){}",
        bytes_len,
        btf.type_count(),
        (parsed - on_heap_copy) / 1024,
        beyond / 1024,
        beyond as f64 / (1024.0 * 1024.0),
        if on_heap_copy > 0 { " [file was read, not mapped]" } else { " [file mapped]" },
    );
}

fn decode_all(btf: &Btf<'_>) -> u64 {
    let mut acc = 0u64;
    for id in btf.ids() {
        let Some(t) = btf.type_by_id(id) else {
            continue;
        };
        acc += t.name().len() as u64;
        match t {
            Type::Struct(c) | Type::Union(c) => {
                for m in c.members() {
                    acc += u64::from(m.offset.0) + m.name.len() as u64;
                }
            }
            Type::Enum(e) | Type::Enum64(e) => {
                for v in e.values() {
                    acc += v.value;
                }
            }
            Type::FuncProto(p) => {
                for prm in p.params() {
                    acc += u64::from(prm.ty.0);
                }
            }
            Type::Datasec(d) => acc += d.vars().count() as u64,
            _ => {}
        }
    }
    acc
}

fn benches(c: &mut Criterion) {
    report_memory();
    let mut g = c.benchmark_group("btf");
    g.bench_function("parse_vmlinux", |b| {
        b.iter(|| black_box(Btf::kernel().unwrap()))
    });
    g.bench_function("parse_and_find_task_struct", |b| {
        b.iter(|| {
            let btf = Btf::kernel().unwrap();
            let id = btf.find_by_name_kind("task_struct", Kind::Struct).unwrap();
            black_box((btf, id))
        })
    });
    let btf = Btf::kernel().unwrap();
    g.bench_function("decode_all", |b| b.iter(|| black_box(decode_all(&btf))));
    g.bench_function("find_miss_fullscan", |b| {
        let fresh = Btf::kernel().unwrap();
        // Scanning until the adaptive policy would build the index is the
        // point here, so use a fresh BTF per sample batch.
        b.iter_batched(
            || (),
            |_| black_box(fresh.find_by_name_kind("no_such_type_zzz", Kind::Struct)),
            criterion::BatchSize::SmallInput,
        )
    });
    g.bench_function("build_name_index", |b| {
        b.iter_batched(
            || Btf::kernel().unwrap(),
            |btf| {
                btf.build_name_index();
                btf
            },
            criterion::BatchSize::LargeInput,
        )
    });
    btf.build_name_index();
    g.bench_function("find_indexed", |b| {
        b.iter(|| black_box(btf.find_by_name_kind(black_box("task_struct"), Kind::Struct)))
    });
    g.finish();
}

criterion_group!(btf_benches, benches);
criterion_main!(btf_benches);
