//! Code generation benchmarks on the running kernel's BTF
//! (`/sys/kernel/btf/vmlinux`).
//!
//! Before criterion runs, a side-by-side timing of the whole job — read
//! and parse the kernel's BTF, write `vmlinux.h` to `/dev/null` — with
//! `bpftool btf dump file /sys/kernel/btf/vmlinux format c > /dev/null`:
//! the median of `OXBPF_BENCH_RUNS` (default 15) runs each, and their
//! ratio. bpftool's time includes its process start (about a millisecond).
//!
//! - `codegen/c_header_vmlinux`: parse, then write the whole header (into
//!   `io::sink`).
//! - `codegen/c_header_vmlinux_preparsed`: the header from parsed BTF.
//! - `codegen/rust_bindings_task_struct`: Rust bindings for `task_struct`
//!   and the types it contains.

#![allow(missing_docs)] // criterion_group! generates undocumented items

mod stats;

use std::fs::File;
use std::hint::black_box;
use std::io::{self, BufWriter, Write};
use std::process::{Command, Stdio};
use std::time::Instant;

use criterion::{criterion_group, criterion_main, Criterion};
use oxbpf::btf::codegen::{c, rust};
use oxbpf::btf::{Btf, KERNEL_BTF_PATH};

/// The whole job as oxbpf does it, in process.
fn oxbpf_header_to_dev_null() -> io::Result<()> {
    let btf = Btf::kernel().map_err(io::Error::other)?;
    let mut out = BufWriter::with_capacity(1 << 16, File::create("/dev/null")?);
    c::write_header(&btf, &mut out).map_err(io::Error::other)?;
    out.flush()
}

fn bpftool_header_to_dev_null() -> io::Result<()> {
    let status = Command::new("bpftool")
        .args(["btf", "dump", "file", KERNEL_BTF_PATH, "format", "c"])
        .stdout(File::create("/dev/null")?)
        .stderr(Stdio::null())
        .status()?;
    if status.success() {
        Ok(())
    } else {
        Err(io::Error::other(format!("bpftool: {status}")))
    }
}

fn median_ms(runs: u32, f: impl Fn() -> io::Result<()>) -> io::Result<f64> {
    f()?; // warm the page cache
    let mut times = Vec::with_capacity(runs as usize);
    for _ in 0..runs {
        let t = Instant::now();
        f()?;
        times.push(t.elapsed().as_secs_f64() * 1e3);
    }
    Ok(stats::median(&mut times))
}

fn side_by_side() {
    let runs = stats::env("OXBPF_BENCH_RUNS", 15);
    let ours = match median_ms(runs, oxbpf_header_to_dev_null) {
        Ok(ms) => ms,
        Err(e) => {
            println!("vmlinux.h: oxbpf failed: {e}");
            return;
        }
    };
    match median_ms(runs, bpftool_header_to_dev_null) {
        Ok(theirs) => println!(
            "vmlinux.h to /dev/null, median of {runs}: oxbpf {ours:.1} ms, \
             bpftool {theirs:.1} ms; oxbpf/bpftool = {:.2}",
            ours / theirs
        ),
        Err(e) => println!("vmlinux.h: oxbpf {ours:.1} ms; bpftool unavailable ({e})"),
    }
}

fn benches(cr: &mut Criterion) {
    side_by_side();
    let mut g = cr.benchmark_group("codegen");
    g.sample_size(20);
    g.bench_function("c_header_vmlinux", |b| {
        b.iter(|| {
            let btf = Btf::kernel().unwrap();
            c::write_header(&btf, &mut io::sink()).unwrap();
        })
    });
    let btf = Btf::kernel().unwrap();
    g.bench_function("c_header_vmlinux_preparsed", |b| {
        b.iter(|| c::write_header(black_box(&btf), &mut io::sink()).unwrap())
    });
    g.bench_function("rust_bindings_task_struct", |b| {
        b.iter(|| {
            let out = rust::generate(&btf, &["task_struct"], &rust::RustOptions::default());
            black_box(out.unwrap().code.len())
        })
    });
    g.finish();
}

criterion_group!(codegen_benches, benches);
criterion_main!(codegen_benches);
