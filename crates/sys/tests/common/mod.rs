//! Helpers shared by the kernel-facing integration tests.
//!
//! Every test that needs `bpf(2)` starts with `if !require_kernel() {
//! return; }`: the probe either succeeds, or the test is skipped *loudly*
//! (only when `OXBPF_ALLOW_SKIP` is set), or it fails. There is no silent
//! early return.

#![allow(dead_code)] // each test binary uses a different subset

use std::ffi::CString;
use std::io;
use std::os::fd::{AsFd, OwnedFd};
use std::path::{Path, PathBuf};

use oxbpf_sys::{map_create, BpfInsn, MapCreateArgs, MapType};

mod kernel_btf;
#[allow(unused_imports)] // not every test binary asks the kernel's BTF
pub use kernel_btf::*;

/// Probes whether `bpf(2)` works here by creating a one-entry array map.
fn probe() -> Result<(), String> {
    let args = MapCreateArgs {
        map_type: MapType::ARRAY,
        key_size: 4,
        value_size: 4,
        max_entries: 1,
        ..Default::default()
    };
    map_create(&args)
        .map(drop)
        .map_err(|e| format!("{e}: {}", e.source))
}

/// Returns whether the test can use the kernel.
///
/// If `bpf(2)` does not work: with `OXBPF_ALLOW_SKIP` set, prints `SKIP`
/// with the reason and returns `false`; otherwise panics.
pub fn require_kernel() -> bool {
    match probe() {
        Ok(()) => true,
        Err(reason) if std::env::var_os("OXBPF_ALLOW_SKIP").is_some() => {
            eprintln!("SKIP (bpf(2) unavailable): {reason}");
            false
        }
        Err(reason) => panic!(
            "bpf(2) unavailable: {reason}; these tests need root (or CAP_BPF) on Linux; \
             set OXBPF_ALLOW_SKIP=1 to skip them"
        ),
    }
}

/// `mov64 r0, imm`
pub fn mov64_imm(dst: u8, imm: i32) -> BpfInsn {
    BpfInsn::new(0xb7, dst, 0, 0, imm)
}

/// `exit`
pub fn exit() -> BpfInsn {
    BpfInsn::new(0x95, 0, 0, 0, 0)
}

/// `r{dst} = map` — the two halves of `ld_imm64` with `BPF_PSEUDO_MAP_FD`.
pub fn ld_map_fd(dst: u8, map: impl AsFd) -> [BpfInsn; 2] {
    use std::os::fd::AsRawFd;
    [
        BpfInsn::new(0x18, dst, 1, 0, map.as_fd().as_raw_fd()),
        BpfInsn::new(0, 0, 0, 0, 0),
    ]
}

/// A minimal BTF blob: header, one `INT` type named `int` (signed, 32
/// bits), string table `"\0int\0"`.
pub fn int_btf() -> Vec<u8> {
    let types: Vec<u8> = [
        1u32,           // name_off: "int"
        1 << 24,        // info: kind INT (1), vlen 0
        4,              // size
        (1 << 24) | 32, // BTF_INT_SIGNED, offset 0, 32 bits
    ]
    .iter()
    .flat_map(|w| w.to_ne_bytes())
    .collect();
    let strings = b"\0int\0";
    let mut blob = Vec::new();
    blob.extend_from_slice(&0xeb9f_u16.to_ne_bytes()); // magic
    blob.push(1); // version
    blob.push(0); // flags
    for w in [
        24u32,                // hdr_len
        0,                    // type_off
        types.len() as u32,   // type_len
        types.len() as u32,   // str_off
        strings.len() as u32, // str_len
    ] {
        blob.extend_from_slice(&w.to_ne_bytes());
    }
    blob.extend_from_slice(&types);
    blob.extend_from_slice(strings);
    blob
}

/// A BPF file system mounted on a fresh temporary directory, unmounted
/// and removed on drop.
pub struct BpfFs {
    path: PathBuf,
}

impl BpfFs {
    /// `mkdtemp` + `mount -t bpf bpf DIR`.
    pub fn mount() -> io::Result<Self> {
        let mut template = *b"/tmp/oxbpf-sys-bpffs-XXXXXX\0";
        // SAFETY: `template` is a writable NUL-terminated buffer ending in
        // six `X`s, as mkdtemp requires.
        let dir = unsafe { libc::mkdtemp(template.as_mut_ptr().cast()) };
        if dir.is_null() {
            return Err(io::Error::last_os_error());
        }
        let path = PathBuf::from(
            std::str::from_utf8(&template[..template.len() - 1]).expect("ASCII template"),
        );
        let c_path = CString::new(path.to_str().expect("ASCII path")).expect("no NUL");
        // SAFETY: all arguments are valid NUL-terminated strings (or null
        // data), alive for the call.
        let ret = unsafe {
            libc::mount(
                c"bpf".as_ptr(),
                c_path.as_ptr(),
                c"bpf".as_ptr(),
                0,
                std::ptr::null(),
            )
        };
        if ret != 0 {
            let err = io::Error::last_os_error();
            let _ = std::fs::remove_dir(&path);
            return Err(err);
        }
        Ok(Self { path })
    }

    /// The mount point.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The mount point opened as a directory fd.
    pub fn dir_fd(&self) -> OwnedFd {
        std::fs::File::open(&self.path)
            .expect("open bpffs directory")
            .into()
    }
}

impl Drop for BpfFs {
    fn drop(&mut self) {
        let c_path = CString::new(self.path.to_str().expect("ASCII path")).expect("no NUL");
        // SAFETY: `c_path` is a valid NUL-terminated path alive for the call.
        let ret = unsafe { libc::umount2(c_path.as_ptr(), libc::MNT_DETACH) };
        if ret != 0 {
            eprintln!(
                "umount {}: {}",
                self.path.display(),
                io::Error::last_os_error()
            );
        }
        let _ = std::fs::remove_dir(&self.path);
    }
}

/// Number of open fds of this process.
pub fn open_fds() -> usize {
    std::fs::read_dir("/proc/self/fd")
        .expect("read /proc/self/fd")
        .count()
}
