//! The one `bpf(2)` entry point, and the helpers the safe wrappers share.

use std::ffi::CStr;
use std::os::fd::{AsRawFd, BorrowedFd, FromRawFd, OwnedFd, RawFd};

use crate::attr::{Attr, BPF_OBJ_NAME_LEN};
use crate::error::{Result, SyscallError};
use crate::types::Cmd;

/// `bpf(cmd, attr, size)`—The raw system call.
///
/// Returns the non-negative result, or the error with `cmd`'s C name.
///
/// # Safety
///
/// - `A` is the member of `union bpf_attr` that the kernel reads for `cmd`.
/// - Every pointer field of `attr` is zero or points to memory that stays
///   valid for the whole call for the accesses `cmd` makes through it:
///   reads of the lengths given in `attr` for inputs, and writes of at most
///   the lengths given in `attr` for outputs. Output memory must not be
///   reachable through any other live reference during the call.
/// - Every fd field of `attr` is an fd that stays open during the call.
/// - If `cmd` creates an fd, the caller takes ownership of the returned
///   number (see [`owned_fd`]); otherwise it leaks.
pub(crate) unsafe fn sys_bpf<A: Attr>(cmd: Cmd, attr: &mut A) -> Result<libc::c_long> {
    let size = std::mem::size_of::<A>() as libc::c_uint;
    let ptr: *mut A = attr;
    // SAFETY: `ptr` points to a live, fully initialised `A` (no implicit
    // padding, by the `Attr` contract) of exactly `size` bytes that the
    // kernel may read and write; the caller guarantees that the pointers
    // and fds inside it are valid for `cmd`.
    let ret = unsafe { libc::syscall(libc::SYS_bpf, cmd.as_raw() as libc::c_long, ptr, size) };
    if ret < 0 {
        Err(SyscallError::last_os_error(cmd.name().unwrap_or("bpf")))
    } else {
        Ok(ret)
    }
}

/// Takes ownership of the file descriptor a system call returned.
///
/// # Safety
///
/// `ret` is the non-negative return value of a system call that creates a
/// new file descriptor (such as `BPF_MAP_CREATE` or `perf_event_open`), and
/// nothing else owns or has closed that descriptor.
pub(crate) unsafe fn owned_fd(ret: libc::c_long) -> OwnedFd {
    // File descriptors are `int`s in the kernel, so this is lossless.
    debug_assert!((0..=libc::c_long::from(RawFd::MAX)).contains(&ret));
    let fd = ret as RawFd;
    // SAFETY: the caller guarantees `fd` is a fresh descriptor that nobody
    // else owns, so the new `OwnedFd` is its only owner.
    unsafe { OwnedFd::from_raw_fd(fd) }
}

/// `sys_bpf` for commands that create an fd.
///
/// # Safety
///
/// As for [`sys_bpf`]; additionally `cmd` returns a new fd on success.
pub(crate) unsafe fn sys_bpf_fd<A: Attr>(cmd: Cmd, attr: &mut A) -> Result<OwnedFd> {
    // SAFETY: forwarded from the caller.
    let ret = unsafe { sys_bpf(cmd, attr) }?;
    // SAFETY: `cmd` creates an fd (caller's guarantee) and `ret` is its
    // non-negative result, not yet owned by anybody.
    Ok(unsafe { owned_fd(ret) })
}

/// The raw number of a borrowed fd, as the `u32` the attr structs hold.
pub(crate) fn fd_u32(fd: BorrowedFd<'_>) -> u32 {
    // Valid fds are non-negative, so this is lossless.
    fd.as_raw_fd() as u32
}

/// The raw number of an optional fd; 0 when absent (the kernel's "none").
pub(crate) fn opt_fd_u32(fd: Option<BorrowedFd<'_>>) -> u32 {
    fd.map_or(0, fd_u32)
}

/// The address of a slice for a `__aligned_u64` pointer field; 0 (NULL)
/// for an empty slice, which the kernel requires where a length is 0.
pub(crate) fn ptr<T>(slice: &[T]) -> u64 {
    if slice.is_empty() {
        0
    } else {
        slice.as_ptr() as u64
    }
}

/// [`ptr`] for a buffer the kernel writes to.
pub(crate) fn ptr_mut<T>(slice: &mut [T]) -> u64 {
    if slice.is_empty() {
        0
    } else {
        slice.as_mut_ptr() as u64
    }
}

/// The address of a C string for a `__aligned_u64` pointer field.
pub(crate) fn cstr_ptr(s: &CStr) -> u64 {
    s.as_ptr() as u64
}

/// A length as the `u32` the kernel wants, or `EINVAL` for `call`.
pub(crate) fn len_u32(len: usize, call: &'static str) -> Result<u32> {
    u32::try_from(len).map_err(|_| crate::error::einval(call))
}

/// The name of a BPF object (`map_name`, `prog_name`): at most 15 bytes,
/// stored NUL-padded in 16.
///
/// The kernel further accepts only ASCII letters, digits, `_` and `.`, and
/// rejects other names with `EINVAL`; this type checks only the length.
#[derive(Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct ObjName([u8; BPF_OBJ_NAME_LEN]);

impl ObjName {
    /// `name` as an object name, or `None` if it is longer than 15 bytes
    /// or contains a NUL.
    pub fn new(name: &str) -> Option<Self> {
        let bytes = name.as_bytes();
        if bytes.len() >= BPF_OBJ_NAME_LEN || bytes.contains(&0) {
            return None;
        }
        let mut out = [0; BPF_OBJ_NAME_LEN];
        out[..bytes.len()].copy_from_slice(bytes);
        Some(Self(out))
    }

    /// The first 15 bytes of `name` (up to any NUL), as libbpf truncates
    /// names for the kernel.
    pub fn truncated(name: &str) -> Self {
        let bytes = name.as_bytes();
        let end = bytes
            .iter()
            .position(|&b| b == 0)
            .unwrap_or(bytes.len())
            .min(BPF_OBJ_NAME_LEN - 1);
        let mut out = [0; BPF_OBJ_NAME_LEN];
        out[..end].copy_from_slice(&bytes[..end]);
        Self(out)
    }

    /// The name's bytes, without the NUL padding.
    pub fn as_bytes(&self) -> &[u8] {
        let len = self.0.iter().position(|&b| b == 0).unwrap_or(self.0.len());
        &self.0[..len]
    }

    /// The NUL-padded array placed in the attr.
    pub const fn to_array(self) -> [u8; BPF_OBJ_NAME_LEN] {
        self.0
    }
}

impl std::fmt::Debug for ObjName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(&String::from_utf8_lossy(self.as_bytes()), f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn obj_name() {
        assert_eq!(ObjName::new("counts").unwrap().as_bytes(), b"counts");
        assert_eq!(
            ObjName::new("fifteen_chars_x").unwrap().as_bytes().len(),
            15
        );
        assert!(ObjName::new("sixteen_chars_xx").is_none());
        assert!(ObjName::new("a\0b").is_none());
        assert_eq!(
            ObjName::truncated("a_really_long_map_name").as_bytes(),
            b"a_really_long_m"
        );
        assert_eq!(ObjName::truncated("ab\0cd").as_bytes(), b"ab");
        assert_eq!(format!("{:?}", ObjName::new("x").unwrap()), "\"x\"");
        assert_eq!(ObjName::default().as_bytes(), b"");
        let arr = ObjName::new("abc").unwrap().to_array();
        assert_eq!(&arr[..4], b"abc\0");
    }

    #[test]
    fn pointers() {
        assert_eq!(ptr::<u8>(&[]), 0);
        let v = [1u8, 2];
        assert_eq!(ptr(&v), v.as_ptr() as u64);
        assert!(len_u32(usize::MAX, "X").is_err());
    }
}
