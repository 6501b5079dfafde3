//! Helpers of the loader's kernel tests (`tests/loader*.rs`).
#![allow(dead_code)]

use std::io::Write;
use std::path::PathBuf;
use std::sync::{Mutex, MutexGuard};

use oxbpf::loader::CollectionSpec;
use oxbpf::sys::fs::TempBpfFs;

#[path = "../../crates/sys/tests/common/kernel_btf.rs"]
mod kernel_btf;
#[allow(unused_imports)] // not every test binary asks the kernel's BTF
pub use kernel_btf::*;

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

/// The running kernel's configuration, read as the loader (and libbpf)
/// read it for `__kconfig` externs: `/boot/config-$(uname -r)`, else
/// `/proc/config.gz`. Gzipped data is decompressed with the `zcat` tool,
/// not with the loader's decoder, which is under test. `None` if neither
/// file is readable.
pub fn kernel_config() -> Option<String> {
    let release = std::fs::read_to_string("/proc/sys/kernel/osrelease").ok()?;
    let path = [
        format!("/boot/config-{}", release.trim()),
        "/proc/config.gz".to_string(),
    ]
    .into_iter()
    .find(|p| std::fs::metadata(p).is_ok())?;
    let data = std::fs::read(&path).ok()?;
    let text = if data.starts_with(&[0x1f, 0x8b]) {
        let out = std::process::Command::new("zcat")
            .arg(&path)
            .output()
            .unwrap_or_else(|e| panic!("zcat {path}: {e}"));
        assert!(out.status.success(), "zcat {path}: {:?}", out.status);
        out.stdout
    } else {
        data
    };
    Some(String::from_utf8(text).unwrap_or_else(|e| panic!("{path}: {e}")))
}

/// The address of the kernel symbol `name` in `/proc/kallsyms`, if the
/// kernel has it (0 when `kptr_restrict` hides addresses).
pub fn kallsyms_addr(name: &str) -> Option<u64> {
    let kallsyms = std::fs::read_to_string("/proc/kallsyms").expect("/proc/kallsyms");
    kallsyms.lines().find_map(|l| {
        let mut it = l.split_whitespace();
        let (a, _, n) = (it.next()?, it.next()?, it.next()?);
        (n == name).then(|| u64::from_str_radix(a, 16).expect("kallsyms address"))
    })
}
