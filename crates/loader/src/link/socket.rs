//! Socket filters: `SO_ATTACH_BPF` / `SO_DETACH_BPF`.

use std::os::fd::{AsFd, BorrowedFd, OwnedFd};

use oxbpf_sys::{self as sys, ProgramType};

use super::net_common::{check_type, dup, fd_path};
use super::{AttachError, LegacyAttachment, Link};
use crate::Program;

impl Program {
    /// `setsockopt(SO_ATTACH_BPF)`—Attaches a `SOCKET_FILTER` program to
    /// a socket (replacing any filter it had). For each packet the socket
    /// would receive, the program returns how many bytes to keep; 0 drops
    /// the packet.
    ///
    /// The returned [`Link`] is a legacy attachment that keeps a duplicate
    /// of the socket's fd (so the socket lives at least as long as the
    /// link); dropping it removes the socket's filter (`SO_DETACH_BPF`).
    ///
    /// # Minimum kernel version
    ///
    /// 3.19
    pub fn attach_socket_filter(&self, socket: impl AsFd) -> Result<Link, AttachError> {
        check_type(self, &[ProgramType::SOCKET_FILTER], "a socket filter")?;
        let socket = socket.as_fd();
        let path = fd_path(socket);
        let what = format!("attach socket filter `{}` to {path}", self.name());
        let kept = dup(socket, || what.clone())?;
        sys::socket_attach_bpf(socket, self.fd()).map_err(|e| match e.errno() {
            libc::ENOTSOCK => AttachError::InvalidArgument(format!("{what}: not a socket")),
            _ => AttachError::kernel(what.clone(), e),
        })?;
        Ok(Link::from_legacy(
            SocketFilter { socket: kept },
            format!("socket filter `{}` on {path}", self.name()),
        ))
    }
}

/// A filter attached with `SO_ATTACH_BPF`.
#[derive(Debug)]
struct SocketFilter {
    socket: OwnedFd,
}

impl LegacyAttachment for SocketFilter {
    fn detach(&mut self) -> Result<(), AttachError> {
        match sys::socket_detach_bpf(&self.socket) {
            Ok(()) => Ok(()),
            // Someone removed the filter already.
            Err(e) if e.errno() == libc::ENOENT => Ok(()),
            Err(e) => Err(AttachError::kernel(
                format!("detach socket filter from {}", fd_path(self.socket.as_fd())),
                e,
            )),
        }
    }

    fn fd(&self) -> Option<BorrowedFd<'_>> {
        Some(self.socket.as_fd())
    }
}
