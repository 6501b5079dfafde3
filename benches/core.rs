//! CO-RE benchmarks against the running kernel's BTF
//! (`/sys/kernel/btf/vmlinux`), on `testdata/core/many.bpf.o` (one program,
//! 237 relocations over task_struct, mm_struct, file, inode and
//! super_block fields).
//!
//! Before criterion runs, it prints:
//! - `relocate`: CPU ns per relocation of the whole program (a fresh
//!   [`Relocator`] per round, as per object load; vmlinux parsed and
//!   indexed beforehand), and wall ns. Target: ≤ 1000 ns.
//! - the cost of indexing vmlinux (once per process);
//! - side by side with libbpf (`benches/peers/libbpf-core`, built here with
//!   clang-19 and libbpf-dev), the user CPU of open + relocate + load:
//!   *warm* (many loads in one process: libbpf re-parses vmlinux every
//!   time, oxbpf keeps it) and *cold* (one load per fresh process, start-up
//!   included on both sides), with ratios. Needs root (it loads programs);
//!   skipped with a message otherwise, or with
//!   `OXBPF_CORE_SIDE_BY_SIDE=0`.
//!
//! Criterion then times `core/relocate_many`, `core/index_vmlinux` and
//! (as root) `core/open_relocate_load_many`.

#![allow(missing_docs)] // criterion_group! generates undocumented items

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use criterion::{criterion_group, Criterion};
use oxbpf::btf::Btf;
use oxbpf::loader::core::{CandidateIndex, Relocator, Target};
use oxbpf::loader::{Collection, CollectionSpec, LoadOptions};

mod stats;

/// Set in a child process: load this object once and exit.
const CHILD_ENV: &str = "OXBPF_CORE_BENCH_CHILD";

fn obj_path(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("testdata/core")
        .join(format!("{name}.bpf.o"))
}

fn user_us(who: i32) -> f64 {
    // SAFETY: `ru` is a valid rusage buffer for getrusage to fill.
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: as above; `who` is RUSAGE_SELF or RUSAGE_CHILDREN.
    unsafe { libc::getrusage(who, &mut ru) };
    ru.ru_utime.tv_sec as f64 * 1e6 + ru.ru_utime.tv_usec as f64
}

fn sys_us(who: i32) -> f64 {
    // SAFETY: `ru` is a valid rusage buffer for getrusage to fill.
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: as above.
    unsafe { libc::getrusage(who, &mut ru) };
    ru.ru_stime.tv_sec as f64 * 1e6 + ru.ru_stime.tv_usec as f64
}

fn load_once(bytes: &[u8]) -> Result<(), String> {
    let spec = CollectionSpec::parse(bytes).map_err(|e| e.to_string())?;
    let coll = Collection::load(&spec, &LoadOptions::default()).map_err(|e| e.to_string())?;
    drop(black_box(coll));
    Ok(())
}

/// CPU time of this thread, in ns (the machine is shared: wall time
/// counts other people's work too).
fn thread_cpu_ns() -> f64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid timespec for clock_gettime to fill.
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    ts.tv_sec as f64 * 1e9 + ts.tv_nsec as f64
}

/// Relocates the program `rounds` times, each with a fresh relocator (as
/// each object load does), as the loader does (`apply`); returns the
/// number of relocations applied.
fn relocate_rounds(spec: &CollectionSpec, target: Target<'_>, rounds: u32) -> usize {
    let local = spec.btf.as_deref().unwrap();
    let p = &spec.programs[0];
    let mut insns = p.insns.clone();
    let mut n = 0;
    for _ in 0..rounds {
        insns.copy_from_slice(&p.insns);
        let mut r = Relocator::new(local, target);
        r.apply(&mut insns, &p.core_relos).unwrap();
        n += p.core_relos.len();
    }
    black_box(&insns);
    n
}

fn report_relocation(vmlinux: &Btf<'_>, index: &CandidateIndex) {
    let spec = CollectionSpec::from_file(obj_path("many")).unwrap();
    let relos = spec.programs[0].core_relos.len();
    let target = Target {
        btf: vmlinux,
        name: "vmlinux",
        index,
    };
    relocate_rounds(&spec, target, 50);
    let (mut cpu, mut wall) = (Vec::new(), Vec::new());
    for _ in 0..15 {
        let (c, t) = (thread_cpu_ns(), Instant::now());
        let n = relocate_rounds(&spec, target, 200) as f64;
        wall.push(t.elapsed().as_nanos() as f64 / n);
        cpu.push((thread_cpu_ns() - c) / n);
    }
    println!(
        "relocate many.bpf.o ({relos} relocations) against vmlinux: {:.0} ns CPU per relocation ({:.0} ns wall; median of 15 x 200 rounds; target <= 1000)",
        stats::median(&mut cpu),
        stats::median(&mut wall)
    );
    let mut samples = Vec::new();
    for _ in 0..7 {
        let c = thread_cpu_ns();
        black_box(CandidateIndex::build(vmlinux));
        samples.push((thread_cpu_ns() - c) / 1e6);
    }
    println!(
        "index vmlinux ({} types) by essential name: {:.2} ms CPU, {} KiB (once per process)",
        vmlinux.type_count(),
        stats::median(&mut samples),
        index.heap_size() / 1024
    );
}

/// Builds the libbpf peer next to this binary.
fn build_peer() -> Result<PathBuf, String> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/peers/libbpf-core/core_bench.c");
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let bin = exe.with_file_name("libbpf-core-peer");
    let cc = std::env::var("CC").unwrap_or_else(|_| "clang-19".into());
    let out = Command::new(&cc)
        .args(["-O2", "-Wall", "-o"])
        .arg(&bin)
        .arg(&src)
        .arg("-lbpf")
        .output()
        .map_err(|e| format!("{cc}: {e}"))?;
    if !out.status.success() {
        return Err(String::from_utf8_lossy(&out.stderr).into_owned());
    }
    Ok(bin)
}

/// `user us per load` from the peer's output line.
fn peer_user(line: &str) -> Option<f64> {
    let mut it = line.split_whitespace();
    it.find(|w| *w == "user")?;
    it.next()?.parse().ok()
}

fn side_by_side(name: &str, peer: &Path) {
    let path = obj_path(name);
    let bytes = std::fs::read(&path).unwrap();
    // Warm: many loads in this process.
    let iters = stats::env("OXBPF_CORE_ITERS", 200);
    for _ in 0..10 {
        if let Err(e) = load_once(&bytes) {
            println!("side by side: SKIP {name}: oxbpf cannot load it here ({e}); run as root");
            return;
        }
    }
    let (u0, s0, t0) = (
        user_us(libc::RUSAGE_SELF),
        sys_us(libc::RUSAGE_SELF),
        Instant::now(),
    );
    for _ in 0..iters {
        load_once(&bytes).unwrap();
    }
    let wall = t0.elapsed().as_secs_f64() * 1e6 / f64::from(iters);
    let ox_user = (user_us(libc::RUSAGE_SELF) - u0) / f64::from(iters);
    let ox_sys = (sys_us(libc::RUSAGE_SELF) - s0) / f64::from(iters);
    println!(
        "oxbpf  core {:<20} user {ox_user:8.1} us  sys {ox_sys:8.1} us  wall {wall:8.1} us  per load ({iters} loads)",
        format!("{name}.bpf.o")
    );
    let out = Command::new(peer)
        .args(["--iters", &iters.to_string(), "--warmup", "10"])
        .arg(&path)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    print!("{text}");
    let lib_user = text.lines().find_map(peer_user);
    if let Some(lib) = lib_user {
        println!(
            "  warm ratio oxbpf/libbpf user CPU per load: {:.2}",
            ox_user / lib
        );
    } else {
        println!(
            "  libbpf peer failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        );
        return;
    }
    // Cold: one load per fresh process, process start-up included.
    let n = stats::env("OXBPF_CORE_COLD", 20);
    let exe = std::env::current_exe().unwrap();
    let run = |cmd: &mut Command| {
        let u0 = user_us(libc::RUSAGE_CHILDREN);
        for _ in 0..n {
            let st = cmd.status().unwrap();
            assert!(st.success(), "{cmd:?} failed");
        }
        (user_us(libc::RUSAGE_CHILDREN) - u0) / f64::from(n)
    };
    let ox = run(Command::new(&exe).env(CHILD_ENV, &path));
    let lib = run(Command::new(peer)
        .args(["--iters", "1", "--warmup", "0"])
        .arg(&path)
        .stdout(std::process::Stdio::null()));
    println!(
        "  cold (fresh process per load, {n} each): user CPU oxbpf {ox:.0} us, libbpf {lib:.0} us, ratio {:.2}",
        ox / lib
    );
}

fn benches(c: &mut Criterion) {
    let vmlinux = Btf::kernel().expect("kernel BTF");
    let index = CandidateIndex::build(&vmlinux);
    let spec = CollectionSpec::from_file(obj_path("many")).unwrap();
    let target = Target {
        btf: &vmlinux,
        name: "vmlinux",
        index: &index,
    };
    c.bench_function("core/relocate_many", |b| {
        b.iter(|| relocate_rounds(&spec, target, 1))
    });
    c.bench_function("core/index_vmlinux", |b| {
        b.iter(|| black_box(CandidateIndex::build(&vmlinux)))
    });
    let bytes = std::fs::read(obj_path("many")).unwrap();
    if load_once(&bytes).is_ok() {
        c.bench_function("core/open_relocate_load_many", |b| {
            b.iter(|| load_once(&bytes).unwrap())
        });
    }
}

criterion_group!(group, benches);

fn main() {
    if let Some(obj) = std::env::var_os(CHILD_ENV) {
        let bytes = std::fs::read(obj).unwrap();
        load_once(&bytes).unwrap();
        return;
    }
    let vmlinux = Btf::kernel().expect("kernel BTF (/sys/kernel/btf/vmlinux)");
    let index = CandidateIndex::build(&vmlinux);
    report_relocation(&vmlinux, &index);
    if stats::env("OXBPF_CORE_SIDE_BY_SIDE", 1) == 0 {
        println!("side by side: skipped (OXBPF_CORE_SIDE_BY_SIDE=0)");
    } else {
        match build_peer() {
            Ok(peer) => {
                for name in ["many", "kernel"] {
                    side_by_side(name, &peer);
                }
            }
            Err(e) => println!("side by side: SKIP: cannot build the libbpf peer: {e}"),
        }
    }
    group();
    Criterion::default().configure_from_args().final_summary();
}
