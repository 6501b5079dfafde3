//! `cargo bench --bench loader [-- [--iters N] OBJ...]`: user-space CPU time
//! of opening and loading an object, the shape of the libbpf peer in
//! `benches/peers/libbpf-load` (which prints the same line for libbpf).
//!
//! For each object (default: every `testdata/loader/*.bpf.o` that loads on
//! this kernel) it reads the file once, then `iters` times runs
//! `CollectionSpec::parse` + `Collection::load` + drop, after 20 untimed
//! rounds, and prints user and system CPU per load (getrusage around the
//! loop) and the wall time. The kernel's share (verifier, JIT, map creation)
//! is system time; the comparison with libbpf is about user time.
#![allow(missing_docs)]

use std::path::{Path, PathBuf};
use std::time::Instant;

use oxbpf::loader::{Collection, CollectionSpec, LoadOptions};
use oxbpf::sys::cpu_times;

/// Objects the default run measures: every loader test object except the
/// one written to fail verification.
fn default_objects() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/loader");
    let mut objs: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("testdata/loader")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            let name = p.file_name().unwrap().to_string_lossy();
            name.ends_with(".bpf.o") && !name.starts_with("verifier_fail")
        })
        .collect();
    objs.sort();
    objs
}

fn load_once(bytes: &[u8]) -> Result<(), Box<dyn std::error::Error>> {
    let spec = CollectionSpec::parse(bytes)?;
    let coll = Collection::load(&spec, &LoadOptions::default())?;
    drop(coll);
    Ok(())
}

fn main() {
    let mut iters = 500usize;
    let mut objs = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--iters" => iters = args.next().and_then(|n| n.parse().ok()).expect("--iters N"),
            // Flags cargo bench passes through.
            "--bench" | "--test" => {}
            _ if a.starts_with('-') => {}
            _ => objs.push(PathBuf::from(a)),
        }
    }
    if objs.is_empty() {
        objs = default_objects();
    }
    for obj in objs {
        let name = obj.file_name().unwrap().to_string_lossy().into_owned();
        let bytes = std::fs::read(&obj).unwrap_or_else(|e| panic!("{}: {e}", obj.display()));
        if let Err(e) = load_once(&bytes) {
            println!("oxbpf  load {name:<24} skipped: it does not load here ({e})");
            continue;
        }
        for _ in 0..20 {
            load_once(&bytes).expect("warm-up load");
        }
        let c0 = cpu_times().expect("getrusage");
        let t0 = Instant::now();
        for _ in 0..iters {
            load_once(&bytes).expect("load");
        }
        let wall = t0.elapsed();
        let c1 = cpu_times().expect("getrusage");
        let per = |d: std::time::Duration| d.as_secs_f64() * 1e6 / iters as f64;
        println!(
            "oxbpf  load {name:<24} user {:8.1} us  sys {:8.1} us  wall {:8.1} us  per load ({iters} loads)",
            per(c1.user - c0.user),
            per(c1.system - c0.system),
            per(wall),
        );
    }
}
