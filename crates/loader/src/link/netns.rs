//! Network namespace programs: `sk_lookup` and `flow_dissector` links.

use std::os::fd::{AsFd, AsRawFd, BorrowedFd};

use oxbpf_sys::{self as sys, AttachTarget, AttachType, LinkCreateArgs, LinkExtra, ProgramType};

use super::net_common::{check_type, fd_path};
use super::{AttachError, Link};
use crate::Program;

impl Program {
    /// `BPF_LINK_CREATE` on a network namespace—Attaches an `SK_LOOKUP`
    /// program (which picks the socket for incoming connections and
    /// datagrams) or a `FLOW_DISSECTOR` program to the namespace `netns`
    /// is open on (`/proc/self/ns/net`, `/run/netns/NAME`).
    ///
    /// Several `sk_lookup` programs can share a namespace; a second flow
    /// dissector fails with [`AttachError::AlreadyAttached`].
    ///
    /// # Minimum kernel version
    ///
    /// 5.8 (flow dissector links), 5.9 (sk_lookup)
    pub fn attach_netns(&self, netns: impl AsFd) -> Result<Link, AttachError> {
        check_type(
            self,
            &[ProgramType::SK_LOOKUP, ProgramType::FLOW_DISSECTOR],
            "an sk_lookup or flow_dissector program",
        )?;
        let (hook, kind) = if self.prog_type() == ProgramType::SK_LOOKUP {
            (AttachType::SK_LOOKUP, "sk_lookup")
        } else {
            (AttachType::FLOW_DISSECTOR, "flow_dissector")
        };
        let netns = netns.as_fd();
        let path = fd_path(netns);
        let what = format!("attach {kind} program `{}` to {path}", self.name());
        let fd = sys::link_create(&LinkCreateArgs {
            prog: self.fd(),
            target: Some(AttachTarget::Fd(netns)),
            attach_type: hook,
            flags: 0,
            extra: LinkExtra::None,
        })
        .map_err(|e| match e.errno() {
            libc::EEXIST | libc::E2BIG if hook == AttachType::FLOW_DISSECTOR => {
                AttachError::AlreadyAttached {
                    what: what.clone(),
                    detail: "the namespace has a flow dissector".into(),
                }
            }
            libc::EINVAL if !is_nsfs(netns) => {
                AttachError::InvalidArgument(format!("{what}: not a network namespace file"))
            }
            _ => AttachError::kernel(what.clone(), e),
        })?;
        Ok(Link::from_bpf_link(
            fd,
            format!("{kind} `{}` on {path}", self.name()),
        ))
    }
}

/// `NSFS_MAGIC`—The file system of namespace files.
const NSFS_MAGIC: i64 = 0x6e73_6673;

/// Whether `fd` is a namespace file (`/proc/PID/ns/*`, `/run/netns/*`).
fn is_nsfs(fd: BorrowedFd<'_>) -> bool {
    sys::fs::statfs_type(format!("/proc/self/fd/{}", fd.as_raw_fd())).ok() == Some(NSFS_MAGIC)
}
