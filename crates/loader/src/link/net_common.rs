//! Pieces shared by the network, cgroup and socket attach methods:
//! [`Interface`], [`Anchor`], program type checks and fd descriptions.

use std::fmt;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};

use oxbpf_sys::{self as sys, AttachFlags, LinkId, ProgId, ProgramType, Relative};

use super::{AttachError, Link, LinkKind};
use crate::Program;

/// A network interface, by index or by name.
///
/// Names and indexes are per network namespace: a name is resolved, and an
/// index is interpreted, in the network namespace of the thread that
/// attaches (enter another one with [`oxbpf_sys::netns::enter`] from a
/// dedicated thread).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Interface {
    /// `ifindex`
    Index(u32),
    /// The interface name (`"eth0"`).
    Name(String),
}

impl Interface {
    /// The interface index: the given one, or the name's
    /// (`if_nametoindex`). An unknown name is
    /// [`AttachError::TargetNotFound`].
    pub fn index(&self) -> Result<u32, AttachError> {
        match self {
            Interface::Index(0) => Err(AttachError::InvalidArgument(
                "interface index 0 names no interface".into(),
            )),
            Interface::Index(i) => Ok(*i),
            Interface::Name(name) => sys::if_nametoindex(name).map_err(|e| {
                if e.raw_os_error() == Some(libc::ENODEV) {
                    AttachError::TargetNotFound {
                        what: format!("network interface `{name}`"),
                    }
                } else {
                    AttachError::Io {
                        what: format!("looking up network interface `{name}`"),
                        source: e,
                    }
                }
            }),
        }
    }
}

impl fmt::Display for Interface {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Interface::Index(i) => match sys::if_indextoname(*i) {
                Ok(name) => write!(f, "{name} (#{i})"),
                Err(_) => write!(f, "interface #{i}"),
            },
            Interface::Name(n) => f.write_str(n),
        }
    }
}

impl From<u32> for Interface {
    fn from(index: u32) -> Self {
        Interface::Index(index)
    }
}

impl From<&str> for Interface {
    fn from(name: &str) -> Self {
        Interface::Name(name.to_owned())
    }
}

impl From<String> for Interface {
    fn from(name: String) -> Self {
        Interface::Name(name)
    }
}

impl From<&String> for Interface {
    fn from(name: &String) -> Self {
        Interface::Name(name.clone())
    }
}

/// Where a new program goes among those already attached to a hook that
/// keeps an ordered list (tcx, netkit, and cgroup links on 6.16+): the
/// kernel's `BPF_F_BEFORE`/`BPF_F_AFTER` with a relative program or link.
#[derive(Debug, Clone, Copy, Default)]
pub enum Anchor<'a> {
    /// After every attached program (the default).
    #[default]
    Last,
    /// Before every attached program (`BPF_F_BEFORE` without a relative).
    First,
    /// Right before the given program or link.
    Before(AnchorTarget<'a>),
    /// Right after the given program or link.
    After(AnchorTarget<'a>),
}

/// The program or link an [`Anchor`] is relative to.
#[derive(Debug, Clone, Copy)]
pub enum AnchorTarget<'a> {
    /// An attached program.
    Program(&'a Program),
    /// An attached program, by ID.
    ProgramId(ProgId),
    /// A bpf_link on the same hook.
    Link(&'a Link),
    /// A bpf_link on the same hook, by ID.
    LinkId(LinkId),
}

impl<'a> Anchor<'a> {
    /// The flags and relative object for `BPF_LINK_CREATE`/`BPF_PROG_ATTACH`.
    pub(crate) fn raw(&self) -> Result<(AttachFlags, Relative<'a>), AttachError> {
        let (mut flags, target) = match *self {
            Anchor::Last => return Ok((AttachFlags::empty(), Relative::None)),
            Anchor::First => return Ok((AttachFlags::BEFORE, Relative::None)),
            Anchor::Before(t) => (AttachFlags::BEFORE, t),
            Anchor::After(t) => (AttachFlags::AFTER, t),
        };
        let relative = match target {
            AnchorTarget::Program(p) => Relative::Fd(p.fd()),
            AnchorTarget::ProgramId(id) => Relative::Id(id.as_raw()),
            AnchorTarget::Link(l) => {
                flags |= AttachFlags::LINK;
                match (l.kind(), l.fd()) {
                    (LinkKind::Bpf, Some(fd)) => Relative::Fd(fd),
                    _ => {
                        return Err(AttachError::InvalidArgument(format!(
                            "anchor link `{}` is not a live bpf_link",
                            l.description()
                        )))
                    }
                }
            }
            AnchorTarget::LinkId(id) => {
                flags |= AttachFlags::LINK;
                Relative::Id(id.as_raw())
            }
        };
        Ok((flags, relative))
    }

    /// Whether this is the default placement.
    pub(crate) fn is_default(&self) -> bool {
        matches!(self, Anchor::Last)
    }
}

/// Fails with [`AttachError::WrongProgramType`] unless the program is of
/// one of `allowed`.
pub(crate) fn check_type(
    prog: &Program,
    allowed: &[ProgramType],
    expected: &'static str,
) -> Result<(), AttachError> {
    if allowed.contains(&prog.prog_type()) {
        return Ok(());
    }
    Err(AttachError::WrongProgramType {
        program: prog.name().to_owned(),
        actual: type_name(prog.prog_type()),
        expected,
    })
}

/// `BPF_PROG_TYPE_XDP` → `"xdp"`, for messages.
pub(crate) fn type_name(t: ProgramType) -> String {
    match t.name() {
        Some(n) => n.trim_start_matches("BPF_PROG_TYPE_").to_ascii_lowercase(),
        None => format!("{t:?}"),
    }
}

/// What an fd refers to, for descriptions: its `/proc/self/fd` link
/// (`/sys/fs/cgroup/app`, `net:[4026531840]`, `socket:[1234]`).
pub(crate) fn fd_path(fd: BorrowedFd<'_>) -> String {
    std::fs::read_link(format!("/proc/self/fd/{}", fd.as_raw_fd()))
        .map(|p| p.display().to_string())
        .unwrap_or_else(|_| format!("fd {}", fd.as_raw_fd()))
}

/// A second fd on the same object, kept by a legacy attachment to undo it.
pub(crate) fn dup(fd: impl AsFd, what: impl FnOnce() -> String) -> Result<OwnedFd, AttachError> {
    fd.as_fd()
        .try_clone_to_owned()
        .map_err(|source| AttachError::Io {
            what: format!("{}: duplicating an fd", what()),
            source,
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interface_conversions() {
        assert_eq!(Interface::from(3), Interface::Index(3));
        assert_eq!(Interface::from("lo"), Interface::Name("lo".into()));
        assert!(Interface::from("lo").index().unwrap() >= 1);
        assert!(matches!(
            Interface::from("oxbpf-none0").index(),
            Err(AttachError::TargetNotFound { what }) if what.contains("oxbpf-none0")
        ));
        assert!(matches!(
            Interface::Index(0).index(),
            Err(AttachError::InvalidArgument(_))
        ));
        let lo = Interface::from("lo").index().unwrap();
        assert_eq!(Interface::Index(lo).to_string(), format!("lo (#{lo})"));
    }

    #[test]
    fn anchors() {
        let (f, r) = Anchor::Last.raw().unwrap();
        assert!(f.is_empty() && matches!(r, Relative::None));
        let (f, _) = Anchor::First.raw().unwrap();
        assert_eq!(f, AttachFlags::BEFORE);
        let (f, r) = Anchor::After(AnchorTarget::LinkId(LinkId::new(7)))
            .raw()
            .unwrap();
        assert_eq!(f, AttachFlags::AFTER | AttachFlags::LINK);
        assert!(matches!(r, Relative::Id(7)));
        let (f, r) = Anchor::Before(AnchorTarget::ProgramId(ProgId::new(9)))
            .raw()
            .unwrap();
        assert_eq!(f, AttachFlags::BEFORE);
        assert!(matches!(r, Relative::Id(9)));
        assert_eq!(type_name(ProgramType::SCHED_CLS), "sched_cls");
    }
}
