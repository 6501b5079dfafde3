//! The kernel's pseudo file systems that attaching needs besides bpffs:
//! tracefs (tracepoint IDs, legacy kprobe/uprobe events) and securityfs
//! (the lockdown mode).
//!
//! Finding them is plain file reading ([`find_mount`] parses
//! `/proc/self/mountinfo`); [`TempMount`] mounts a private instance on a
//! fresh directory for the rare machine where none is mounted, and
//! unmounts it on drop.

use std::ffi::{CStr, CString};
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

/// `TRACEFS_MAGIC`—The `f_type` of a tracefs (`include/uapi/linux/magic.h`).
pub const TRACEFS_MAGIC: i64 = 0x7472_6163;
/// `SECURITYFS_MAGIC`—The `f_type` of a securityfs.
pub const SECURITYFS_MAGIC: i64 = 0x7363_6673;
/// `DEBUGFS_MAGIC`—The `f_type` of a debugfs.
pub const DEBUGFS_MAGIC: i64 = 0x6462_6720;

/// Where the kernel's mount table for this process is.
pub const MOUNTINFO_PATH: &str = "/proc/self/mountinfo";

fn c_path(path: &Path) -> io::Result<CString> {
    CString::new(path.as_os_str().as_bytes())
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "path contains a NUL byte"))
}

/// `mount(fstype, path, fstype, 0, NULL)`—Mounts a new instance of the
/// pseudo file system `fstype` (`c"tracefs"`, `c"securityfs"`, ...) on the
/// existing directory `path`. Needs `CAP_SYS_ADMIN`.
pub fn mount_pseudo_fs(fstype: &CStr, path: impl AsRef<Path>) -> io::Result<()> {
    let path = c_path(path.as_ref())?;
    // SAFETY: all strings are NUL-terminated and alive for the call; `data`
    // may be null.
    let ret = unsafe {
        libc::mount(
            fstype.as_ptr(),
            path.as_ptr(),
            fstype.as_ptr(),
            0,
            std::ptr::null(),
        )
    };
    if ret != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// Decodes the octal escapes (`\040` for a space, ...) the kernel writes
/// in mount points.
fn unescape(field: &str) -> PathBuf {
    let b = field.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\\' && i + 3 < b.len() {
            let digits = &b[i + 1..i + 4];
            if digits.iter().all(|d| (b'0'..=b'7').contains(d)) {
                let v = digits
                    .iter()
                    .fold(0u32, |acc, d| acc * 8 + u32::from(d - b'0'));
                if let Ok(byte) = u8::try_from(v) {
                    out.push(byte);
                    i += 4;
                    continue;
                }
            }
        }
        out.push(b[i]);
        i += 1;
    }
    PathBuf::from(std::ffi::OsStr::from_bytes(&out))
}

/// The mount points of every file system of type `fstype` (`"tracefs"`)
/// in a `/proc/PID/mountinfo` text, in table order.
///
/// ```
/// let text = "22 27 0:21 / /proc rw,relatime - proc proc rw\n\
///             50 23 0:12 / /sys/kernel/tracing rw - tracefs nodev rw\n";
/// let found = oxbpf_sys::kernfs::parse_mountinfo(text, "tracefs");
/// assert_eq!(found, [std::path::PathBuf::from("/sys/kernel/tracing")]);
/// ```
pub fn parse_mountinfo(text: &str, fstype: &str) -> Vec<PathBuf> {
    text.lines()
        .filter_map(|line| {
            // "ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTS [OPTIONAL...] - FSTYPE SOURCE SUPER"
            let (pre, post) = line.split_once(" - ")?;
            let ty = post.split(' ').next()?;
            if ty != fstype {
                return None;
            }
            let mount_point = pre.split(' ').nth(4)?;
            Some(unescape(mount_point))
        })
        .collect()
}

/// The mount points of `fstype` in this process's mount namespace.
pub fn find_mounts(fstype: &str) -> io::Result<Vec<PathBuf>> {
    Ok(parse_mountinfo(
        &std::fs::read_to_string(MOUNTINFO_PATH)?,
        fstype,
    ))
}

/// The first mount point of `fstype`, preferring the ones in `preferred`
/// (which are checked with `statfs` against `magic` first, as libbpf does
/// for `/sys/kernel/tracing`).
pub fn find_mount(fstype: &str, magic: i64, preferred: &[&str]) -> Option<PathBuf> {
    for p in preferred {
        if crate::fs::statfs_type(p).is_ok_and(|t| t == magic) {
            return Some(PathBuf::from(p));
        }
    }
    find_mounts(fstype).ok()?.into_iter().next()
}

/// A pseudo file system mounted on a fresh directory under
/// `std::env::temp_dir()`, unmounted and removed on drop.
#[derive(Debug)]
pub struct TempMount {
    path: PathBuf,
}

impl TempMount {
    /// Mounts a new instance of `fstype` (`c"tracefs"`, `c"securityfs"`)
    /// on a unique temporary directory. Needs `CAP_SYS_ADMIN`.
    pub fn new(fstype: &CStr) -> io::Result<Self> {
        use std::sync::atomic::{AtomicU32, Ordering};
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let base = std::env::temp_dir();
        let name = fstype.to_string_lossy();
        loop {
            let n = NEXT.fetch_add(1, Ordering::Relaxed);
            let path = base.join(format!("oxbpf-{name}-{}-{n}", std::process::id()));
            match std::fs::create_dir(&path) {
                Ok(()) => {}
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
                Err(e) => return Err(e),
            }
            if let Err(e) = mount_pseudo_fs(fstype, &path) {
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

impl Drop for TempMount {
    fn drop(&mut self) {
        let _ = crate::fs::unmount(&self.path);
        let _ = std::fs::remove_dir(&self.path);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mountinfo_lines() {
        let text = "\
22 27 0:21 / /proc rw,relatime - proc proc rw
60 23 0:13 / /sys/kernel/debug/tracing rw,nosuid shared:7 - tracefs tracefs rw
61 27 0:13 / /tmp/my\\040dir rw - tracefs nodev rw
bogus line
62 27 0:14 / /sys/kernel/security rw - securityfs securityfs rw
";
        assert_eq!(
            parse_mountinfo(text, "tracefs"),
            [
                PathBuf::from("/sys/kernel/debug/tracing"),
                PathBuf::from("/tmp/my dir")
            ]
        );
        assert_eq!(
            parse_mountinfo(text, "securityfs"),
            [PathBuf::from("/sys/kernel/security")]
        );
        assert!(parse_mountinfo(text, "bpf").is_empty());
        // A backslash not followed by three octal digits stays.
        assert_eq!(unescape("/a\\b\\0"), PathBuf::from("/a\\b\\0"));
    }

    #[test]
    fn proc_is_mounted() {
        assert!(find_mounts("proc")
            .unwrap()
            .contains(&PathBuf::from("/proc")));
    }
}
