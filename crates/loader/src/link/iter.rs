//! BPF iterators (`iter/TARGET`): an iterator link, and fds that run the
//! program on every `read(2)`.

use std::io::Read;
use std::os::fd::{AsRawFd, BorrowedFd};

use oxbpf_sys::{self as sys, AttachType, LinkCreateArgs, LinkExtra, ProgramType};

use super::perf_event::check_type;
use super::{AttachError, Link, LinkKind};
use crate::Program;

/// Order of a cgroup iterator walk (`enum bpf_cgroup_iter_order`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum CgroupIterOrder {
    /// `BPF_CGROUP_ITER_SELF_ONLY`—The cgroup only.
    SelfOnly = 1,
    /// `BPF_CGROUP_ITER_DESCENDANTS_PRE`—Pre-order walk of descendants.
    DescendantsPre = 2,
    /// `BPF_CGROUP_ITER_DESCENDANTS_POST`—Post-order walk of descendants.
    DescendantsPost = 3,
    /// `BPF_CGROUP_ITER_ANCESTORS_UP`—The cgroup and its ancestors.
    AncestorsUp = 4,
}

/// What an iterator walks (`union bpf_iter_link_info`).
#[derive(Debug, Clone, Copy, Default)]
#[non_exhaustive]
pub enum IterTarget<'a> {
    /// Everything of the target's kind: every task (`iter/task`), every
    /// map (`iter/bpf_map`), every program, TCP socket, ...
    #[default]
    All,
    /// The elements of one map (`iter/bpf_map_elem`,
    /// `iter/bpf_sk_storage_map`).
    Map(BorrowedFd<'a>),
    /// One thread (`task`, `task_file`, `task_vma` iterators; 6.1).
    Thread(u32),
    /// The threads of one process.
    Process(u32),
    /// The threads of the process behind a pidfd.
    ProcessFd(BorrowedFd<'a>),
    /// cgroups (`iter/cgroup`, 6.1), from `cgroup` (a cgroup directory fd)
    /// in `order`.
    Cgroup {
        /// A cgroup v2 directory fd.
        cgroup: BorrowedFd<'a>,
        /// The walk.
        order: CgroupIterOrder,
    },
}

impl IterTarget<'_> {
    /// The union's 16 bytes, or none for [`IterTarget::All`].
    fn info(self) -> Option<[u8; 16]> {
        let mut b = [0u8; 16];
        let mut put = |off: usize, v: u32| b[off..off + 4].copy_from_slice(&v.to_ne_bytes());
        let fd = |f: BorrowedFd<'_>| f.as_raw_fd() as u32;
        match self {
            IterTarget::All => return None,
            IterTarget::Map(m) => put(0, fd(m)),
            IterTarget::Thread(tid) => put(0, tid),
            IterTarget::Process(pid) => put(4, pid),
            IterTarget::ProcessFd(pidfd) => put(8, fd(pidfd)),
            IterTarget::Cgroup { cgroup, order } => {
                put(0, order as u32);
                put(4, fd(cgroup));
            }
        }
        Some(b)
    }
}

impl Program {
    /// Creates an iterator link for an `iter/TARGET` program (libbpf's
    /// `bpf_program__attach_iter`). Nothing runs until the iterator is
    /// read: [`Link::open_iter`] or [`Link::read_iter`].
    ///
    /// # Minimum kernel version
    ///
    /// 5.8; map element iterators 5.9; task filters and cgroups 6.1.
    pub fn attach_iter(&self, target: IterTarget<'_>) -> Result<Link, AttachError> {
        check_type(self, &[ProgramType::TRACING], "an iterator")?;
        if self
            .expected_attach_type()
            .is_some_and(|t| t != AttachType::TRACE_ITER)
        {
            return Err(AttachError::WrongProgramType {
                program: self.name().to_string(),
                actual: format!("{:?}", self.expected_attach_type().unwrap_or_default()),
                expected: "an iterator (iter/TARGET)",
            });
        }
        let description = format!(
            "iterator {} (program `{}`)",
            self.attach_target().unwrap_or("?"),
            self.name()
        );
        let info = target.info();
        let fd = sys::link_create(&LinkCreateArgs {
            prog: self.fd(),
            target: None,
            attach_type: AttachType::TRACE_ITER,
            flags: 0,
            extra: LinkExtra::Iter {
                info: info.as_ref().map_or(&[][..], |b| &b[..]),
            },
        })
        .map_err(|source| AttachError::kernel(description.clone(), source))?;
        Ok(Link::from_bpf_link(fd, description))
    }
}

impl Link {
    /// `BPF_ITER_CREATE`—Opens a new run of an iterator link
    /// ([`Program::attach_iter`]): each `read` runs the program over the
    /// next objects and returns what it wrote (`bpf_seq_printf`,
    /// `bpf_seq_write`); end of file ends the walk. Every call starts a new
    /// walk.
    ///
    /// # Minimum kernel version
    ///
    /// 5.8
    pub fn open_iter(&self) -> Result<std::fs::File, AttachError> {
        if self.kind() != LinkKind::Bpf {
            return Err(AttachError::NotABpfLink {
                what: "BPF_ITER_CREATE",
                description: self.description().to_string(),
            });
        }
        let fd = self.bpf_fd("BPF_ITER_CREATE")?;
        let iter = sys::iter_create(fd).map_err(|source| {
            AttachError::kernel(format!("opening iterator `{}`", self.description()), source)
        })?;
        Ok(std::fs::File::from(iter))
    }

    /// Runs the iterator once over everything and returns its whole output
    /// ([`open_iter`](Self::open_iter) read to the end).
    pub fn read_iter(&self) -> Result<Vec<u8>, AttachError> {
        let mut out = Vec::new();
        self.open_iter()?
            .read_to_end(&mut out)
            .map_err(|source| AttachError::Io {
                what: format!("reading iterator `{}`", self.description()),
                source,
            })?;
        Ok(out)
    }
}
