//! Links: attaching loaded [`Program`](crate::Program)s to kernel hooks.
//!
//! Every `attach_*` method returns a [`Link`], an RAII handle that detaches
//! the program when dropped, unless the link was pinned to bpffs or
//! [released](Link::release). Links created through `BPF_LINK_CREATE` (or
//! `BPF_RAW_TRACEPOINT_OPEN`, or a perf event link) are [`LinkKind::Bpf`]:
//! they can be pinned, reopened from their pin, updated to another program
//! and described by the kernel ([`Link::info`]). Attachments the kernel
//! offers no bpf_link for (legacy tc filters via netlink, `SO_ATTACH_BPF`,
//! `PERF_EVENT_IOC_SET_BPF` on old kernels, `BPF_PROG_ATTACH`) are
//! [`LinkKind::Legacy`]: still detached on drop, but not pinnable.

mod error;

use std::fmt;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};

pub use error::AttachError;

/// A non-bpf_link attachment: something that knows how to undo itself.
///
/// Implemented by each legacy attach method (netlink tc filter, socket
/// filter, `BPF_PROG_ATTACH`, perf event ioctl, ...).
pub(crate) trait LegacyAttachment: fmt::Debug + Send + Sync + 'static {
    /// Undoes the attachment. Called at most once, by [`Link::detach`] or on
    /// drop (where an error is ignored).
    fn detach(&mut self) -> Result<(), AttachError>;

    /// The fd that keeps the attachment alive, if there is one (the perf
    /// event of an ioctl-attached tracepoint, the socket of a filter).
    fn fd(&self) -> Option<BorrowedFd<'_>> {
        None
    }
}

/// How a [`Link`] holds its attachment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum LinkKind {
    /// A kernel bpf_link (an fd): pinnable, updatable, with info.
    Bpf,
    /// An attachment without a bpf_link, undone by user space on drop.
    Legacy,
}

#[derive(Debug)]
enum Inner {
    Bpf {
        fd: OwnedFd,
        /// Extra fds the link needs alive (the perf event under a perf
        /// event link).
        _keep: Vec<OwnedFd>,
    },
    Legacy(Box<dyn LegacyAttachment>),
    /// Released or detached already.
    Gone,
}

/// An attached program. Dropping it detaches the program, unless it was
/// pinned or [released](Link::release).
pub struct Link {
    inner: Inner,
    description: String,
}

impl fmt::Debug for Link {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Link")
            .field("description", &self.description)
            .field("inner", &self.inner)
            .finish()
    }
}

impl Link {
    /// Wraps a bpf_link fd. `description` says what is attached where, for
    /// errors and `Debug` (e.g. `"tracepoint syscalls/sys_enter_execve"`).
    pub(crate) fn from_bpf_link(fd: OwnedFd, description: impl Into<String>) -> Link {
        Link {
            inner: Inner::Bpf {
                fd,
                _keep: Vec::new(),
            },
            description: description.into(),
        }
    }

    /// Wraps a bpf_link fd that needs `keep` open as long as it lives.
    pub(crate) fn from_bpf_link_keeping(
        fd: OwnedFd,
        keep: Vec<OwnedFd>,
        description: impl Into<String>,
    ) -> Link {
        Link {
            inner: Inner::Bpf { fd, _keep: keep },
            description: description.into(),
        }
    }

    /// Wraps a legacy attachment.
    pub(crate) fn from_legacy(
        attachment: impl LegacyAttachment,
        description: impl Into<String>,
    ) -> Link {
        Link {
            inner: Inner::Legacy(Box::new(attachment)),
            description: description.into(),
        }
    }

    /// What is attached where.
    pub fn description(&self) -> &str {
        &self.description
    }

    /// Whether this is a kernel bpf_link or a legacy attachment.
    pub fn kind(&self) -> LinkKind {
        match self.inner {
            Inner::Legacy(_) => LinkKind::Legacy,
            _ => LinkKind::Bpf,
        }
    }

    /// The bpf_link's fd (or the fd keeping a legacy attachment alive).
    pub fn fd(&self) -> Option<BorrowedFd<'_>> {
        match &self.inner {
            Inner::Bpf { fd, .. } => Some(fd.as_fd()),
            Inner::Legacy(l) => l.fd(),
            Inner::Gone => None,
        }
    }

    /// Detaches now, reporting failure (dropping detaches too, silently).
    pub fn detach(mut self) -> Result<(), AttachError> {
        match std::mem::replace(&mut self.inner, Inner::Gone) {
            // Closing the last fd of an unpinned bpf_link detaches it.
            Inner::Bpf { fd, .. } => {
                drop(fd);
                Ok(())
            }
            Inner::Legacy(mut l) => l.detach(),
            Inner::Gone => Ok(()),
        }
    }

    /// Lets the attachment outlive this handle: nothing is detached on drop.
    /// A bpf_link's fd is returned (the link lives while it is open or
    /// pinned); a legacy attachment stays until removed by other means.
    pub fn release(mut self) -> Option<OwnedFd> {
        match std::mem::replace(&mut self.inner, Inner::Gone) {
            Inner::Bpf { fd, _keep } => {
                // The kept fds (a perf event) are referenced by the link
                // itself in the kernel; closing ours is fine.
                drop(_keep);
                Some(fd)
            }
            Inner::Legacy(l) => {
                std::mem::forget(l);
                None
            }
            Inner::Gone => None,
        }
    }
}

impl Drop for Link {
    fn drop(&mut self) {
        if let Inner::Legacy(l) = &mut self.inner {
            // Errors cannot be reported from drop; `detach` reports them.
            let _ = l.detach();
        }
    }
}
