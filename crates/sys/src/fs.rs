//! File-system helpers around BPF objects: `statfs` for the bpffs check
//! before pinning, mounting a bpffs (tests, sandboxes), and `pidfd_open`
//! (the key of task-local storage).

use std::ffi::CString;
use std::io;
use std::os::fd::{FromRawFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

/// `BPF_FS_MAGIC`—The `f_type` that `statfs(2)` reports for a BPF file
/// system (`include/uapi/linux/magic.h`).
pub const BPF_FS_MAGIC: i64 = 0xcafe_4a11;

fn c_path(path: &Path) -> io::Result<CString> {
    CString::new(path.as_os_str().as_bytes())
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "path contains a NUL byte"))
}

/// `statfs(path).f_type`—The magic number of the file system holding
/// `path` (compare with [`BPF_FS_MAGIC`]).
pub fn statfs_type(path: impl AsRef<Path>) -> io::Result<i64> {
    let path = c_path(path.as_ref())?;
    // SAFETY: an all-zero `statfs` is a valid value of the plain C struct.
    let mut buf: libc::statfs = unsafe { std::mem::zeroed() };
    // SAFETY: `path` is NUL-terminated and alive for the call; `buf` is a
    // writable `statfs` the kernel fills.
    let ret = unsafe { libc::statfs(path.as_ptr(), &mut buf) };
    if ret != 0 {
        return Err(io::Error::last_os_error());
    }
    #[allow(clippy::unnecessary_cast)] // f_type's width differs between targets
    Ok(buf.f_type as i64)
}

/// Whether `path` lies on a BPF file system.
pub fn is_bpffs(path: impl AsRef<Path>) -> io::Result<bool> {
    Ok(statfs_type(path)? == BPF_FS_MAGIC)
}

/// `mount("bpf", path, "bpf", 0, NULL)`—Mounts a new BPF file system on
/// the existing directory `path`. Needs `CAP_SYS_ADMIN`.
pub fn mount_bpffs(path: impl AsRef<Path>) -> io::Result<()> {
    let path = c_path(path.as_ref())?;
    // SAFETY: all strings are NUL-terminated and alive for the call; `data`
    // may be null.
    let ret = unsafe {
        libc::mount(
            c"bpf".as_ptr(),
            path.as_ptr(),
            c"bpf".as_ptr(),
            0,
            std::ptr::null(),
        )
    };
    if ret != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// `umount2(path, MNT_DETACH)`—Lazily unmounts the file system at `path`.
pub fn unmount(path: impl AsRef<Path>) -> io::Result<()> {
    let path = c_path(path.as_ref())?;
    // SAFETY: `path` is NUL-terminated and alive for the call.
    let ret = unsafe { libc::umount2(path.as_ptr(), libc::MNT_DETACH) };
    if ret != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// A BPF file system mounted on a fresh directory, unmounted and removed
/// on drop. Meant for tests and sandboxes that must not touch
/// `/sys/fs/bpf`.
#[derive(Debug)]
pub struct TempBpfFs {
    path: std::path::PathBuf,
}

impl TempBpfFs {
    /// Creates a unique directory under `std::env::temp_dir()` and mounts
    /// a bpffs on it.
    pub fn mount() -> io::Result<Self> {
        use std::sync::atomic::{AtomicU32, Ordering};
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let base = std::env::temp_dir();
        loop {
            let n = NEXT.fetch_add(1, Ordering::Relaxed);
            let path = base.join(format!("oxbpf-bpffs-{}-{n}", std::process::id()));
            match std::fs::create_dir(&path) {
                Ok(()) => {}
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
                Err(e) => return Err(e),
            }
            if let Err(e) = mount_bpffs(&path) {
                let _ = std::fs::remove_dir(&path);
                return Err(e);
            }
            return Ok(Self { path });
        }
    }

    /// The mount point.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for TempBpfFs {
    fn drop(&mut self) {
        let _ = unmount(&self.path);
        let _ = std::fs::remove_dir(&self.path);
    }
}

/// `pidfd_open(pid, 0)`—An fd referring to the process `pid` (the key of
/// task-local storage maps).
///
/// # Minimum kernel version
///
/// 5.3
pub fn pidfd_open(pid: u32) -> io::Result<OwnedFd> {
    let pid = libc::pid_t::try_from(pid).map_err(|_| io::Error::from_raw_os_error(libc::EINVAL))?;
    // SAFETY: `pidfd_open` takes two integers and returns a new fd or -1.
    let ret = unsafe { libc::syscall(libc::SYS_pidfd_open, pid, 0) };
    if ret < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: `ret` is a fresh fd returned by the kernel, owned by nobody.
    Ok(unsafe { OwnedFd::from_raw_fd(ret as i32) })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statfs_of_proc() {
        // PROC_SUPER_MAGIC
        assert_eq!(statfs_type("/proc").unwrap(), 0x9fa0);
        assert!(!is_bpffs("/proc").unwrap());
        assert!(statfs_type("/nonexistent/oxbpf").is_err());
    }
}
