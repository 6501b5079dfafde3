//! The error type of every system call wrapper in this crate.

use std::io;

/// A failed system call: which call, and the `errno` it failed with.
///
/// `call` names the operation as the kernel documents it (`"BPF_MAP_CREATE"`,
/// `"perf_event_open"`, `"PERF_EVENT_IOC_SET_BPF"`, …); `source` is the
/// [`io::Error`] built from `errno`, so [`errno`](Self::errno) always has a
/// value. Wrappers that reject an argument before entering the kernel (a key
/// slice of the wrong length, a path containing a NUL byte) report `EINVAL`
/// under the name of the call they refused to make, exactly as if the kernel
/// had rejected it.
///
/// `Display` prints only the call (`"BPF_MAP_CREATE failed"`); the `errno`
/// text is the [`source`](std::error::Error::source), as the Rust API
/// guidelines recommend for wrapped errors.
#[derive(Debug, thiserror::Error)]
#[error("{call} failed")]
#[non_exhaustive]
pub struct SyscallError {
    /// The C name of the failed operation, e.g. `"BPF_PROG_LOAD"`.
    pub call: &'static str,
    /// The error the kernel returned.
    #[source]
    pub source: io::Error,
}

impl SyscallError {
    /// Builds the error for `call` from the calling thread's current `errno`.
    ///
    /// Call this immediately after the failing system call returned, before
    /// anything else can overwrite `errno`.
    pub(crate) fn last_os_error(call: &'static str) -> Self {
        Self {
            call,
            source: io::Error::last_os_error(),
        }
    }

    /// Builds the error for `call` from an explicit `errno` value.
    pub fn from_errno(call: &'static str, errno: i32) -> Self {
        Self {
            call,
            source: io::Error::from_raw_os_error(errno),
        }
    }

    /// The `errno` value the call failed with (for example `libc::ENOENT`).
    pub fn errno(&self) -> i32 {
        // Every constructor builds `source` from an errno value, so this
        // never falls back; EIO is only a defensive default.
        self.source.raw_os_error().unwrap_or(libc::EIO)
    }

    /// The `errno` value, as [`io::Error::raw_os_error`] reports it.
    ///
    /// Always `Some`: kept for symmetry with [`io::Error`].
    pub fn raw_os_error(&self) -> Option<i32> {
        self.source.raw_os_error()
    }

    /// The [`io::ErrorKind`] of the underlying error.
    pub fn kind(&self) -> io::ErrorKind {
        self.source.kind()
    }

    /// Consumes the error, returning the bare [`io::Error`] (without `call`).
    pub fn into_io_error(self) -> io::Error {
        self.source
    }
}

impl From<SyscallError> for io::Error {
    /// Wraps the error, keeping its [`io::ErrorKind`] and the call name in
    /// the message; use [`SyscallError::into_io_error`] to keep the raw
    /// `errno` on the returned value instead.
    fn from(err: SyscallError) -> Self {
        io::Error::new(err.kind(), err)
    }
}

/// Shorthand used by the wrappers.
pub(crate) type Result<T, E = SyscallError> = std::result::Result<T, E>;

/// Returns `EINVAL` for `call` without entering the kernel.
pub(crate) fn einval(call: &'static str) -> SyscallError {
    SyscallError::from_errno(call, libc::EINVAL)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errno_is_reachable() {
        let err = SyscallError::from_errno("BPF_MAP_CREATE", libc::EPERM);
        assert_eq!(err.errno(), libc::EPERM);
        assert_eq!(err.raw_os_error(), Some(libc::EPERM));
        assert_eq!(err.kind(), io::ErrorKind::PermissionDenied);
        assert_eq!(err.to_string(), "BPF_MAP_CREATE failed");
        let source = std::error::Error::source(&err).expect("has a source");
        assert_eq!(
            source.to_string(),
            io::Error::from_raw_os_error(libc::EPERM).to_string()
        );
        let io: io::Error = err.into();
        assert_eq!(io.kind(), io::ErrorKind::PermissionDenied);
        assert!(io.to_string().contains("BPF_MAP_CREATE"));
    }
}
