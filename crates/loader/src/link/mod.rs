//! Links: attaching loaded [`Program`]s to kernel hooks.
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
//!
//! The tracing side (this crate's `Program::attach_*` methods):
//!
//! | Program | Method | Kernel object |
//! |---|---|---|
//! | `tracepoint/CAT/NAME` | [`attach_tracepoint`](crate::Program::attach_tracepoint) | perf event (tracefs id) + perf link, or `PERF_EVENT_IOC_SET_BPF` |
//! | `raw_tp/NAME` | [`attach_raw_tracepoint`](crate::Program::attach_raw_tracepoint) | raw tracepoint link |
//! | `tp_btf/`, `fentry/`, `fexit/`, `fmod_ret/`, `lsm/` | [`attach_trace`](crate::Program::attach_trace) | tracing link |
//! | `freplace/` | [`attach_freplace`](crate::Program::attach_freplace) | tracing link to another program |
//! | `uprobe/`, `uretprobe/` | [`attach_uprobe`](crate::Program::attach_uprobe) | uprobe PMU perf event, or tracefs `uprobe_events` |
//! | `uprobe.multi/` | [`attach_uprobe_multi`](crate::Program::attach_uprobe_multi) | uprobe_multi link |
//! | `kprobe/`, `kretprobe/`, `ksyscall/` | [`attach_kprobe`](crate::Program::attach_kprobe), [`attach_ksyscall`](crate::Program::attach_ksyscall) | kprobe PMU perf event, or tracefs `kprobe_events` |
//! | `kprobe.multi/` | [`attach_kprobe_multi`](crate::Program::attach_kprobe_multi) | kprobe_multi link |
//! | `perf_event` | [`attach_perf_event`](crate::Program::attach_perf_event) | perf event + perf link |
//! | `iter/` | [`attach_iter`](crate::Program::attach_iter), then [`Link::open_iter`] | iterator link |
//!
//! [`Program::attach`](crate::Program::attach) picks the method and its
//! target from the program's section name, as libbpf's
//! `bpf_program__attach` does.
//!
//! # Pinned links
//!
//! A bpf_link lives as long as something references it: an open fd or a
//! pin on bpffs. Dropping a [`Link`] closes its fd; if the link is pinned
//! ([`Link::pin`]), the pin keeps the attachment in place and the program
//! keeps running after the process exits, until the pin is removed
//! ([`Link::unpin`], or `rm`) and no fd is left. [`Link::from_pin`] gets a
//! handle on it again. [`Link::force_detach`] (`BPF_LINK_DETACH`) detaches
//! the program whatever holds the link.
//!
//! # Forks
//!
//! A child process forked while a link is open holds a copy of its fd
//! until it closes it; every fd this crate creates is close-on-exec, so
//! that lasts until the child's `exec`. A multi-threaded program that
//! drops a link while another thread forks may see the program run a
//! moment longer.

mod auto;
mod error;
mod info;
mod iter;
mod kprobe;
mod perf_event;
pub(crate) mod struct_ops;
mod tracefs;
mod tracepoint;
mod tracing;
mod uprobe;
mod usdt;
// Network, cgroup and socket attachment.
mod cgroup;
mod net_common;
mod netfilter;
mod netns;
mod socket;
mod sockmap;
mod tc;
mod xdp;

use std::fmt;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::path::{Path, PathBuf};

use oxbpf_sys::{self as sys, AccessFlags, LinkId, LinkType};

pub use cgroup::{CgroupMode, CgroupOptions};
pub use error::AttachError;
pub(crate) use error::ENOTSUPP;
pub use info::{LinkInfo, PerfEventLinkInfo};
pub use iter::{CgroupIterOrder, IterTarget};
pub use kprobe::{KprobeMultiOptions, KprobeOptions};
pub use net_common::{Anchor, AnchorTarget, Interface};
pub use netfilter::{NetfilterOptions, NfHook, NfProtocol};
pub use perf_event::{PerfEventConfig, PerfEventScope, PerfSample, ProbeAttachMode};
pub use sockmap::{AttachMethod, SockmapOptions};
pub use tc::{TcDirection, TcOptions, TcxOptions};
pub use tracefs::{tracefs_root, tracepoint_id};
pub(crate) use tracing::function_btf_id;
pub use uprobe::{
    resolve_binary, resolve_symbol_offset, UprobeLocation, UprobeMultiOptions, UprobeOptions,
};
pub(crate) use usdt::attach as usdt_attach;
pub use usdt::{
    parse_usdt_arg, parse_usdt_args, usdt_notes, usdt_notes_from_bytes, UsdtArg, UsdtArgLocation,
    UsdtNote, UsdtOptions, USDT_MAX_ARGS,
};
pub use xdp::XdpMode;

use crate::Program;

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
    /// Where this handle pinned the link, if it did.
    pinned: Option<PathBuf>,
}

impl fmt::Debug for Link {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Link")
            .field("description", &self.description)
            .field("inner", &self.inner)
            .field("pinned", &self.pinned)
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
            pinned: None,
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
            pinned: None,
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
            pinned: None,
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
    ///
    /// A pin this handle made ([`pin`](Self::pin)) is removed first; a
    /// bpf_link that other fds or pins still hold stays attached (see
    /// [`force_detach`](Self::force_detach)).
    pub fn detach(mut self) -> Result<(), AttachError> {
        self.unpin()?;
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

    /// The bpf_link fd, or [`AttachError::NotABpfLink`] naming `what`.
    fn bpf_fd(&self, what: &'static str) -> Result<BorrowedFd<'_>, AttachError> {
        match &self.inner {
            Inner::Bpf { fd, .. } => Ok(fd.as_fd()),
            Inner::Legacy(_) => Err(AttachError::NotABpfLink {
                what,
                description: self.description.clone(),
            }),
            Inner::Gone => Err(AttachError::InvalidArgument(format!(
                "{what}: link `{}` was detached",
                self.description
            ))),
        }
    }

    /// `BPF_OBJ_PIN`—Pins the link at `path` on a BPF file system. The
    /// attachment then outlives this handle and the process: dropping the
    /// `Link` only closes its fd, and the pin keeps the program attached
    /// until it is removed ([`unpin`](Self::unpin), or `rm PATH`).
    ///
    /// # Minimum kernel version
    ///
    /// 5.7
    pub fn pin(&mut self, path: impl AsRef<Path>) -> Result<(), AttachError> {
        let path = path.as_ref();
        let fd = self.bpf_fd("pinning")?;
        check_bpffs(path)?;
        sys::obj_pin(fd, path).map_err(|source| {
            AttachError::kernel(
                format!("pinning link `{}` at {}", self.description, path.display()),
                source,
            )
        })?;
        self.pinned = Some(path.to_path_buf());
        Ok(())
    }

    /// Removes the pin this handle made ([`pin`](Self::pin)); dropping the
    /// link then detaches it again (if no other fd or pin holds it).
    /// Does nothing if this handle did not pin it.
    pub fn unpin(&mut self) -> Result<(), AttachError> {
        if let Some(path) = self.pinned.take() {
            std::fs::remove_file(&path).map_err(|source| AttachError::Io {
                what: format!("removing the pin {}", path.display()),
                source,
            })?;
        }
        Ok(())
    }

    /// Where this handle pinned the link, if it did.
    pub fn pin_path(&self) -> Option<&Path> {
        self.pinned.as_deref()
    }

    /// `BPF_OBJ_GET`—Opens the link pinned at `path`. Dropping the returned
    /// handle closes it without detaching: the pin still holds the link.
    pub fn from_pin(path: impl AsRef<Path>) -> Result<Link, AttachError> {
        let path = path.as_ref();
        check_bpffs(path)?;
        let fd = sys::obj_get(path, AccessFlags::empty()).map_err(|source| {
            if source.errno() == libc::ENOENT {
                AttachError::TargetNotFound {
                    what: format!("pinned link {}", path.display()),
                }
            } else {
                AttachError::kernel(
                    format!("opening the pinned link {}", path.display()),
                    source,
                )
            }
        })?;
        Link::from_fd(fd, format!("pinned at {}", path.display()))
    }

    /// `BPF_LINK_GET_FD_BY_ID`—Opens the link with this ID (`bpftool link`
    /// lists them). Dropping the handle does not detach a link that other
    /// fds or pins hold.
    pub fn from_id(id: LinkId) -> Result<Link, AttachError> {
        let fd = sys::link_get_fd_by_id(id).map_err(|source| {
            if source.errno() == libc::ENOENT {
                AttachError::TargetNotFound {
                    what: format!("link id {}", id.as_raw()),
                }
            } else {
                AttachError::kernel(format!("opening link id {}", id.as_raw()), source)
            }
        })?;
        Link::from_fd(fd, format!("link id {}", id.as_raw()))
    }

    /// Wraps an fd that must be a bpf_link.
    fn from_fd(fd: OwnedFd, origin: String) -> Result<Link, AttachError> {
        if info::fdinfo_field(fd.as_fd(), "link_type").is_none() {
            return Err(AttachError::InvalidArgument(format!(
                "{origin}: not a BPF link"
            )));
        }
        let info = sys::link_info(&fd)
            .map_err(|source| AttachError::kernel(format!("{origin}: link info"), source))?;
        let kind = info.link_type.name().unwrap_or("BPF_LINK_TYPE_?");
        let description = format!(
            "{} link id {} ({origin})",
            kind.trim_start_matches("BPF_LINK_TYPE_")
                .to_ascii_lowercase(),
            info.id.as_raw()
        );
        Ok(Link::from_bpf_link(fd, description))
    }

    /// `BPF_LINK_UPDATE`—Replaces the link's program with `new`, atomically
    /// (the hook never runs without a program). With `expected_old`, only
    /// if the link still runs that program (`BPF_F_REPLACE`), else
    /// `EPERM`.
    ///
    /// The kernel refuses programs of another type or attach type
    /// (`EINVAL`) and links whose attach point cannot be swapped (perf
    /// event, tracing, ...: `EOPNOTSUPP`, reported as
    /// [`AttachError::NotSupported`]).
    ///
    /// # Minimum kernel version
    ///
    /// 5.7; raw tracepoint, iterator, XDP, cgroup, tcx and netns links.
    pub fn update(&self, new: &Program, expected_old: Option<&Program>) -> Result<(), AttachError> {
        let fd = self.bpf_fd("updating the program")?;
        sys::link_update(fd, new.fd(), expected_old.map(|p| p.fd())).map_err(|source| {
            let what = format!(
                "replacing the program of link `{}` with `{}`",
                self.description,
                new.name()
            );
            match (source.errno(), expected_old) {
                // BPF_F_REPLACE: the link runs another program.
                (libc::EPERM, Some(old)) => AttachError::Syscall {
                    what: format!("{what}: the link no longer runs `{}`", old.name()),
                    source,
                },
                // Links without an update operation answer EINVAL.
                (libc::EINVAL, _) if !self.updatable() => AttachError::NotSupported {
                    what,
                    detail: Some(
                        "links of this type cannot swap programs (BPF_LINK_UPDATE works on \
                         cgroup, iterator, XDP, netns, tcx, netkit, sockmap and struct_ops links)"
                            .into(),
                    ),
                },
                _ => AttachError::kernel(what, source),
            }
        })
    }

    /// Whether the kernel can swap this link's program (by link type).
    fn updatable(&self) -> bool {
        let Ok(fd) = self.bpf_fd("") else {
            return false;
        };
        sys::link_info(fd).is_ok_and(|i| {
            matches!(
                i.link_type,
                LinkType::CGROUP
                    | LinkType::ITER
                    | LinkType::XDP
                    | LinkType::NETNS
                    | LinkType::TCX
                    | LinkType::NETKIT
                    | LinkType::SOCKMAP
                    | LinkType::STRUCT_OPS
            )
        })
    }

    /// `BPF_LINK_DETACH`—Detaches the program now, even if other fds or a
    /// pin hold the link; the link stays open but defunct.
    ///
    /// Link types without a detach operation in the kernel (raw
    /// tracepoint, tracing, perf event, iterator links) answer
    /// [`AttachError::NotSupported`].
    ///
    /// # Minimum kernel version
    ///
    /// 5.9
    pub fn force_detach(&self) -> Result<(), AttachError> {
        let fd = self.bpf_fd("BPF_LINK_DETACH")?;
        sys::link_detach(fd).map_err(|source| {
            AttachError::kernel(format!("detaching link `{}`", self.description), source)
        })
    }

    /// The link's kernel-wide ID.
    pub fn id(&self) -> Result<LinkId, AttachError> {
        Ok(self.info()?.id)
    }

    /// `BPF_OBJ_GET_INFO_BY_FD`—What the kernel reports about the link.
    pub fn info(&self) -> Result<LinkInfo, AttachError> {
        let fd = self.bpf_fd("link info")?;
        let raw = sys::link_info(fd).map_err(|source| {
            AttachError::kernel(format!("link info of `{}`", self.description), source)
        })?;
        Ok(LinkInfo::from_raw(&raw, fd))
    }
}

/// Fails unless `path`'s directory is on a BPF file system.
fn check_bpffs(path: &Path) -> Result<(), AttachError> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    match sys::fs::is_bpffs(dir) {
        Ok(true) => Ok(()),
        Ok(false) => Err(AttachError::InvalidArgument(format!(
            "{} is not on a BPF file system (mount one with `mount -t bpf bpf DIR`)",
            path.display()
        ))),
        Err(source) => Err(AttachError::Io {
            what: format!("checking the file system of {}", path.display()),
            source,
        }),
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
