//! Cgroup programs: `BPF_LINK_CREATE` on a cgroup, or `BPF_PROG_ATTACH`
//! with `BPF_F_ALLOW_MULTI`/`BPF_F_ALLOW_OVERRIDE`.

use std::fmt;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};

use oxbpf_sys::{
    self as sys, AttachFlags, AttachTarget, AttachType, LinkCreateArgs, LinkExtra, ProgAttachArgs,
    ProgDetachArgs, ProgramType, Relative,
};

use super::net_common::{check_type, dup, fd_path, type_name, Anchor};
use super::{AttachError, LegacyAttachment, Link};
use crate::Program;

/// How [`Program::attach_cgroup`] attaches.
///
/// A cgroup's effective programs for a hook are its own plus those of its
/// ancestors: programs attached with [`Link`](CgroupMode::Link) or
/// [`Multi`](CgroupMode::Multi) all run (ancestors' after, or with
/// `BPF_F_PREORDER` before, the cgroup's own); an
/// [`Override`](CgroupMode::Override) attachment is replaced by a
/// descendant's; an [`Exclusive`](CgroupMode::Exclusive) one forbids
/// descendants to attach at all. The modes cannot be mixed on one cgroup
/// and hook: the kernel refuses (`EPERM`), which is reported as
/// [`AttachError::AlreadyAttached`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum CgroupMode {
    /// A bpf_link (multi-attach semantics); on kernels without cgroup
    /// links (before 5.7), `BPF_PROG_ATTACH` with `BPF_F_ALLOW_MULTI`.
    #[default]
    Auto,
    /// A bpf_link, or an error.
    Link,
    /// `BPF_PROG_ATTACH` with `BPF_F_ALLOW_MULTI`.
    Multi,
    /// `BPF_PROG_ATTACH` with `BPF_F_ALLOW_OVERRIDE`: one program, which a
    /// descendant cgroup's program overrides.
    Override,
    /// `BPF_PROG_ATTACH` without flags: one program; descendants cannot
    /// attach. Attaching again replaces it.
    Exclusive,
}

impl CgroupMode {
    fn flags(self) -> AttachFlags {
        match self {
            CgroupMode::Override => AttachFlags::ALLOW_OVERRIDE,
            CgroupMode::Exclusive => AttachFlags::empty(),
            _ => AttachFlags::ALLOW_MULTI,
        }
    }
}

impl fmt::Display for CgroupMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            CgroupMode::Auto | CgroupMode::Link => "link",
            CgroupMode::Multi => "multi",
            CgroupMode::Override => "override",
            CgroupMode::Exclusive => "exclusive",
        })
    }
}

/// Options of [`Program::attach_cgroup`].
#[derive(Debug, Clone, Copy, Default)]
pub struct CgroupOptions<'a> {
    /// The hook. `None` takes the program's expected attach type (from
    /// its section: `cgroup/connect4` → `BPF_CGROUP_INET4_CONNECT`);
    /// `cgroup_skb` programs of section `cgroup/skb` must say.
    pub attach_type: Option<AttachType>,
    /// Link or `BPF_PROG_ATTACH` flavour.
    pub mode: CgroupMode,
    /// Order among the cgroup's programs for the hook (6.16+; links and
    /// multi attachments).
    pub anchor: Anchor<'a>,
    /// `expected_revision`—0 for any (6.16+).
    pub expected_revision: u64,
    /// `BPF_F_PREORDER`—Run before the programs of ancestor cgroups
    /// (6.15+).
    pub preorder: bool,
}

/// The cgroup attach types of each cgroup program type.
fn hooks(t: ProgramType) -> &'static [AttachType] {
    use AttachType as A;
    match t {
        ProgramType::CGROUP_SKB => &[A::CGROUP_INET_INGRESS, A::CGROUP_INET_EGRESS],
        ProgramType::CGROUP_SOCK => &[
            A::CGROUP_INET_SOCK_CREATE,
            A::CGROUP_INET_SOCK_RELEASE,
            A::CGROUP_INET4_POST_BIND,
            A::CGROUP_INET6_POST_BIND,
        ],
        ProgramType::CGROUP_SOCK_ADDR => &[
            A::CGROUP_INET4_BIND,
            A::CGROUP_INET6_BIND,
            A::CGROUP_INET4_CONNECT,
            A::CGROUP_INET6_CONNECT,
            A::CGROUP_UDP4_SENDMSG,
            A::CGROUP_UDP6_SENDMSG,
            A::CGROUP_UDP4_RECVMSG,
            A::CGROUP_UDP6_RECVMSG,
            A::CGROUP_INET4_GETPEERNAME,
            A::CGROUP_INET6_GETPEERNAME,
            A::CGROUP_INET4_GETSOCKNAME,
            A::CGROUP_INET6_GETSOCKNAME,
            A::CGROUP_UNIX_CONNECT,
            A::CGROUP_UNIX_SENDMSG,
            A::CGROUP_UNIX_RECVMSG,
            A::CGROUP_UNIX_GETPEERNAME,
            A::CGROUP_UNIX_GETSOCKNAME,
        ],
        ProgramType::SOCK_OPS => &[A::CGROUP_SOCK_OPS],
        ProgramType::CGROUP_DEVICE => &[A::CGROUP_DEVICE],
        ProgramType::CGROUP_SYSCTL => &[A::CGROUP_SYSCTL],
        ProgramType::CGROUP_SOCKOPT => &[A::CGROUP_GETSOCKOPT, A::CGROUP_SETSOCKOPT],
        ProgramType::LSM => &[A::LSM_CGROUP],
        _ => &[],
    }
}

/// The program types [`Program::attach_cgroup`] takes.
const CGROUP_TYPES: &[ProgramType] = &[
    ProgramType::CGROUP_SKB,
    ProgramType::CGROUP_SOCK,
    ProgramType::CGROUP_SOCK_ADDR,
    ProgramType::SOCK_OPS,
    ProgramType::CGROUP_DEVICE,
    ProgramType::CGROUP_SYSCTL,
    ProgramType::CGROUP_SOCKOPT,
    ProgramType::LSM,
];

/// The attach type to use: the asked one if it fits the program type, else
/// the program's expected one if it does.
fn resolve_hook(prog: &Program, asked: Option<AttachType>) -> Result<AttachType, AttachError> {
    let valid = hooks(prog.prog_type());
    let name = |t: AttachType| t.name().map_or_else(|| format!("{t:?}"), str::to_owned);
    if let Some(t) = asked {
        if valid.contains(&t) {
            return Ok(t);
        }
        return Err(AttachError::InvalidArgument(format!(
            "program `{}` ({}) cannot attach to cgroup hook {}; it can attach to {}",
            prog.name(),
            type_name(prog.prog_type()),
            name(t),
            valid
                .iter()
                .map(|&t| name(t))
                .collect::<Vec<_>>()
                .join(", ")
        )));
    }
    match prog.expected_attach_type() {
        // Programs loaded without one report 0, which is also
        // CGROUP_INET_INGRESS: only trust it where it is the only choice
        // or clearly meant.
        Some(t) if valid.contains(&t) => Ok(t),
        _ if valid.len() == 1 => Ok(valid[0]),
        _ => Err(AttachError::InvalidArgument(format!(
            "program `{}` ({}) has no expected attach type: set CgroupOptions::attach_type to one of {}",
            prog.name(),
            type_name(prog.prog_type()),
            valid.iter().map(|&t| name(t)).collect::<Vec<_>>().join(", ")
        ))),
    }
}

impl Program {
    /// Attaches a cgroup program (`cgroup_skb`, `cgroup/sock_create`,
    /// `cgroup/connect4`, `cgroup/getsockopt`, `cgroup/sysctl`,
    /// `cgroup/dev`, `sockops`, ...) to the cgroup (v2) directory `cgroup`
    /// is open on: by `BPF_LINK_CREATE`, or `BPF_PROG_ATTACH` per
    /// [`CgroupOptions::mode`].
    ///
    /// The programs run for the tasks of the cgroup and of its descendants
    /// (sockets keep the cgroup they were created in). Mixing attachment
    /// modes on one hook is refused with [`AttachError::AlreadyAttached`].
    ///
    /// ```no_run
    /// # use oxbpf_loader::{Collection, link::CgroupOptions};
    /// # fn f(coll: &Collection) -> Result<(), Box<dyn std::error::Error>> {
    /// let cgroup = std::fs::File::open("/sys/fs/cgroup/app")?;
    /// let prog = coll.program("connect4").unwrap();
    /// let link = prog.attach_cgroup(&cgroup, &CgroupOptions::default())?;
    /// # Ok(()) }
    /// ```
    ///
    /// # Minimum kernel version
    ///
    /// 4.10 (`BPF_PROG_ATTACH`); links 5.7; ordering 6.16.
    pub fn attach_cgroup(
        &self,
        cgroup: impl AsFd,
        options: &CgroupOptions<'_>,
    ) -> Result<Link, AttachError> {
        check_type(self, CGROUP_TYPES, "a cgroup program")?;
        let hook = resolve_hook(self, options.attach_type)?;
        let cgroup = cgroup.as_fd();
        let hook_name = hook.name().unwrap_or("cgroup hook");
        let path = fd_path(cgroup);
        let what = format!(
            "attach `{}` to {hook_name} of cgroup {path} ({} mode)",
            self.name(),
            options.mode
        );
        let (mut flags, relative) = options.anchor.raw()?;
        if options.preorder {
            flags |= AttachFlags::PREORDER;
        }
        let description = format!("{hook_name} `{}` on cgroup {path}", self.name());
        let ordered = !options.anchor.is_default() || options.expected_revision != 0;
        if matches!(options.mode, CgroupMode::Auto | CgroupMode::Link) {
            let extra = if ordered {
                LinkExtra::Cgroup {
                    relative,
                    expected_revision: options.expected_revision,
                }
            } else {
                LinkExtra::None
            };
            match sys::link_create(&LinkCreateArgs {
                prog: self.fd(),
                target: Some(AttachTarget::Fd(cgroup)),
                attach_type: hook,
                flags: flags.bits(),
                extra,
            }) {
                Ok(fd) => return Ok(Link::from_bpf_link(fd, description)),
                // Kernels before 5.7 do not know cgroup links.
                Err(e)
                    if options.mode == CgroupMode::Auto
                        && e.errno() == libc::EINVAL
                        && !ordered
                        && !options.preorder
                        && !cgroup_links_supported() => {}
                Err(e) => return Err(cgroup_error(what, e)),
            }
        }
        let attach_flags = options.mode.flags() | flags;
        sys::prog_attach(&ProgAttachArgs {
            target: AttachTarget::Fd(cgroup),
            prog: self.fd(),
            attach_type: hook,
            flags: attach_flags,
            replace: None,
            relative,
            expected_revision: options.expected_revision,
        })
        .map_err(|e| {
            // The kernel says EINVAL for a program attached twice.
            if e.errno() == libc::EINVAL && is_attached(cgroup, hook, self) {
                AttachError::AlreadyAttached {
                    what: what.clone(),
                    detail: "this program is already attached to the hook".into(),
                }
            } else {
                cgroup_error(what.clone(), e)
            }
        })?;
        let undo = || {
            let _ = sys::prog_detach(&ProgDetachArgs {
                target: AttachTarget::Fd(cgroup),
                prog: Some(self.fd()),
                attach_type: hook,
                flags: AttachFlags::empty(),
                relative: Relative::None,
                expected_revision: 0,
            });
        };
        let (cgroup_fd, prog_fd) = match (
            dup(cgroup, || what.clone()),
            dup(self.fd(), || what.clone()),
        ) {
            (Ok(c), Ok(p)) => (c, p),
            (Err(e), _) | (_, Err(e)) => {
                undo();
                return Err(e);
            }
        };
        Ok(Link::from_legacy(
            ProgAttachment {
                target: cgroup_fd,
                prog: prog_fd,
                attach_type: hook,
            },
            format!("{description} ({} mode)", options.mode),
        ))
    }
}

/// The clearest error for a refused cgroup attachment.
fn cgroup_error(what: String, e: sys::SyscallError) -> AttachError {
    match e.errno() {
        // The hook holds programs attached in another mode, or an
        // exclusive program of an ancestor forbids attaching here (lockdown
        // does not restrict cgroup programs).
        libc::EPERM => AttachError::AlreadyAttached {
            what,
            detail: "the cgroup hook has programs attached in an incompatible mode \
                     (link/multi, override and exclusive cannot be mixed), an ancestor's \
                     exclusive program forbids it, or the caller lacks CAP_NET_ADMIN"
                .into(),
        },
        libc::EEXIST => AttachError::AlreadyAttached {
            what,
            detail: "this program is already attached to the hook".into(),
        },
        libc::EBADF => {
            AttachError::InvalidArgument(format!("{what}: the fd is not a cgroup v2 directory"))
        }
        _ => AttachError::kernel(what, e),
    }
}

/// Whether `prog` is among the programs attached to `hook` of `cgroup`
/// itself (`BPF_PROG_QUERY`).
fn is_attached(cgroup: BorrowedFd<'_>, hook: AttachType, prog: &Program) -> bool {
    let Ok(info) = prog.info() else {
        return false;
    };
    let mut ids = vec![sys::ProgId::default(); 64];
    let mut args = sys::ProgQueryArgs {
        target: AttachTarget::Fd(cgroup),
        attach_type: hook,
        query_flags: sys::QueryFlags::empty(),
        prog_ids: &mut ids,
        prog_attach_flags: None,
        link_ids: None,
        link_attach_flags: None,
    };
    match sys::prog_query(&mut args) {
        Ok(out) => ids.iter().take(out.count as usize).any(|&id| id == info.id),
        Err(_) => false,
    }
}

/// Whether the kernel has bpf_links for cgroups (5.7). Probed through
/// `BPF_LINK_GET_NEXT_ID` (5.8), which kernels without links refuse with
/// `EINVAL`; a 5.7 kernel is taken for one without (and gets the
/// equivalent `BPF_F_ALLOW_MULTI` attachment).
fn cgroup_links_supported() -> bool {
    !matches!(sys::link_get_next_id(None), Err(e) if e.errno() == libc::EINVAL)
}

/// A `BPF_PROG_ATTACH` attachment (cgroup, sockmap, netns), undone with
/// `BPF_PROG_DETACH` of the same program.
#[derive(Debug)]
pub(super) struct ProgAttachment {
    pub(super) target: OwnedFd,
    pub(super) prog: OwnedFd,
    pub(super) attach_type: AttachType,
}

impl LegacyAttachment for ProgAttachment {
    fn detach(&mut self) -> Result<(), AttachError> {
        sys::prog_detach(&ProgDetachArgs {
            target: AttachTarget::Fd(self.target.as_fd()),
            prog: Some(self.prog.as_fd()),
            attach_type: self.attach_type,
            flags: AttachFlags::empty(),
            relative: Relative::None,
            expected_revision: 0,
        })
        .map_err(|e| {
            AttachError::kernel(
                format!(
                    "detach program from {} of {}",
                    self.attach_type.name().unwrap_or("hook"),
                    fd_path(self.target.as_fd())
                ),
                e,
            )
        })
    }
}
