//! Network namespaces: entering one from the calling thread.
//!
//! Network devices, their indexes, netfilter hooks and netlink sockets are
//! per namespace. `setns(2)` changes the namespace of the calling *thread*
//! only, so a program can attach to interfaces of another namespace from a
//! dedicated thread (the created links and sockets stay bound to that
//! namespace whichever thread later uses or drops them).

use std::fs::File;
use std::io;
use std::os::fd::{AsFd, AsRawFd};
use std::path::Path;

/// `/proc/thread-self/ns/net`—The calling thread's network namespace.
pub const THREAD_NETNS_PATH: &str = "/proc/thread-self/ns/net";

/// Opens the network namespace file at `path` (`/run/netns/NAME` for one
/// made by `ip netns add`, `/proc/PID/ns/net`).
pub fn open(path: impl AsRef<Path>) -> io::Result<File> {
    File::open(path)
}

/// Opens the calling thread's network namespace (to return to it later).
pub fn current() -> io::Result<File> {
    File::open(THREAD_NETNS_PATH)
}

/// `setns(fd, CLONE_NEWNET)`—Moves the calling thread into the network
/// namespace `ns` (an fd from [`open`] or [`current`]). Needs
/// `CAP_SYS_ADMIN`.
pub fn enter(ns: impl AsFd) -> io::Result<()> {
    // SAFETY: `setns` takes an fd (borrowed, so open) and an integer.
    let ret = unsafe { libc::setns(ns.as_fd().as_raw_fd(), libc::CLONE_NEWNET) };
    if ret < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enter_own_namespace() {
        let ns = current().unwrap();
        // Re-entering the namespace one is in is allowed (with
        // CAP_SYS_ADMIN); without it the kernel says EPERM.
        match enter(&ns) {
            Ok(()) => {}
            Err(e) => assert_eq!(e.raw_os_error(), Some(libc::EPERM)),
        }
        // Not a namespace file.
        let err = enter(File::open("/proc/self/status").unwrap()).unwrap_err();
        assert_eq!(err.raw_os_error(), Some(libc::EINVAL));
    }
}
