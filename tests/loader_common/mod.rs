//! Helpers of the loader's kernel tests (`tests/loader*.rs`).
#![allow(dead_code)]

use std::io::Write;
use std::path::PathBuf;
use std::sync::{Mutex, MutexGuard};

use oxbpf::loader::CollectionSpec;
use oxbpf::sys::fs::TempBpfFs;

/// The gate of every test that needs the running kernel: `true` if BPF
/// programs can be loaded here (we are root and `bpf(2)` works).
///
/// Otherwise it panics with the reason, unless `OXBPF_ALLOW_SKIP` is set:
/// then it prints a loud `SKIP` line straight to stderr (past the test
/// harness's capture) and returns `false`, and the test returns early. A
/// test never passes silently without having run.
#[track_caller]
pub fn require_kernel() -> bool {
    match probe() {
        Ok(()) => true,
        Err(e) if std::env::var_os("OXBPF_ALLOW_SKIP").is_some() => {
            let loc = std::panic::Location::caller();
            let _ = writeln!(
                std::io::stderr(),
                "SKIP ({}:{}): kernel BPF unavailable: {e} (OXBPF_ALLOW_SKIP is set)",
                loc.file(),
                loc.line()
            );
            false
        }
        Err(e) => panic!("kernel BPF unavailable: {e}; set OXBPF_ALLOW_SKIP=1 to skip"),
    }
}

fn probe() -> Result<(), String> {
    use oxbpf::loader::insn::{Insn, Reg};
    let insns = [Insn::mov64_imm(Reg::R0, 0), Insn::exit()];
    let code: Vec<_> = insns
        .iter()
        .map(|i| oxbpf::sys::BpfInsn::new(i.code, i.dst, i.src, i.off, i.imm))
        .collect();
    let args = oxbpf::sys::ProgLoadArgs {
        prog_type: oxbpf::sys::ProgramType::SOCKET_FILTER,
        insns: &code,
        license: c"GPL",
        ..Default::default()
    };
    oxbpf::sys::prog_load(&args, None)
        .map(drop)
        .map_err(|e| format!("loading a trivial program: {e} ({})", e.source))
}

/// Path of a corpus object, `testdata/loader/NAME.bpf.o`.
pub fn corpus_path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("testdata/loader")
        .join(format!("{name}.bpf.o"))
}

/// Parses a corpus object.
pub fn corpus(name: &str) -> CollectionSpec {
    let path = corpus_path(name);
    CollectionSpec::from_file(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// A fresh bpffs on a temporary directory (unmounted on drop).
pub fn bpffs() -> TempBpfFs {
    TempBpfFs::mount().expect("mounting a bpffs (are we root?)")
}

/// The number of open fds of this process.
pub fn open_fds() -> usize {
    std::fs::read_dir("/proc/self/fd")
        .expect("/proc/self/fd")
        .count()
}

/// Serialises tests that count fds or otherwise must not overlap.
pub fn serial() -> MutexGuard<'static, ()> {
    static LOCK: Mutex<()> = Mutex::new(());
    LOCK.lock().unwrap_or_else(|e| e.into_inner())
}
