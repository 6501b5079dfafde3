//! Netfilter: `BPF_LINK_CREATE` with `BPF_NETFILTER`.

use std::fmt;

use oxbpf_sys::{self as sys, AttachType, LinkCreateArgs, LinkExtra, NetfilterFlags, ProgramType};

use super::net_common::check_type;
use super::{AttachError, Link};
use crate::Program;

/// The protocol family of a netfilter hook (`NFPROTO_*`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum NfProtocol {
    /// `NFPROTO_IPV4`
    Ipv4,
    /// `NFPROTO_IPV6`
    Ipv6,
}

impl NfProtocol {
    /// The `NFPROTO_*` value.
    pub fn as_raw(self) -> u32 {
        match self {
            NfProtocol::Ipv4 => 2,
            NfProtocol::Ipv6 => 10,
        }
    }
}

/// A netfilter hook (`NF_INET_*`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NfHook {
    /// `NF_INET_PRE_ROUTING`
    PreRouting,
    /// `NF_INET_LOCAL_IN`
    LocalIn,
    /// `NF_INET_FORWARD`
    Forward,
    /// `NF_INET_LOCAL_OUT`
    LocalOut,
    /// `NF_INET_POST_ROUTING`
    PostRouting,
}

impl NfHook {
    /// The `NF_INET_*` value.
    pub fn as_raw(self) -> u32 {
        match self {
            NfHook::PreRouting => 0,
            NfHook::LocalIn => 1,
            NfHook::Forward => 2,
            NfHook::LocalOut => 3,
            NfHook::PostRouting => 4,
        }
    }
}

impl fmt::Display for NfHook {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            NfHook::PreRouting => "PRE_ROUTING",
            NfHook::LocalIn => "LOCAL_IN",
            NfHook::Forward => "FORWARD",
            NfHook::LocalOut => "LOCAL_OUT",
            NfHook::PostRouting => "POST_ROUTING",
        })
    }
}

/// Where [`Program::attach_netfilter`] hooks a program.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct NetfilterOptions {
    /// The protocol family.
    pub protocol: NfProtocol,
    /// The hook.
    pub hook: NfHook,
    /// The hook priority: lower runs first. `i32::MIN` and `i32::MAX`
    /// are reserved by the kernel.
    pub priority: i32,
    /// `BPF_F_NETFILTER_IP_DEFRAG`—Reassemble fragments before the program
    /// runs (the priority must then be above the defrag hook's, -400).
    pub defrag: bool,
}

impl Program {
    /// `BPF_LINK_CREATE` (`BPF_NETFILTER`)—Attaches a `NETFILTER` program
    /// to a netfilter hook of the calling thread's network namespace. The
    /// program returns `NF_DROP` (0) or `NF_ACCEPT` (1).
    ///
    /// # Minimum kernel version
    ///
    /// 6.4; [`NetfilterOptions::defrag`] 6.6.
    pub fn attach_netfilter(&self, options: &NetfilterOptions) -> Result<Link, AttachError> {
        check_type(self, &[ProgramType::NETFILTER], "a netfilter program")?;
        let what = format!(
            "attach netfilter program `{}` to {:?} {} (priority {})",
            self.name(),
            options.protocol,
            options.hook,
            options.priority
        );
        if options.priority == i32::MIN || options.priority == i32::MAX {
            return Err(AttachError::InvalidArgument(format!(
                "{what}: priorities i32::MIN and i32::MAX are reserved"
            )));
        }
        let fd = sys::link_create(&LinkCreateArgs {
            prog: self.fd(),
            target: None,
            attach_type: AttachType::NETFILTER,
            flags: 0,
            extra: LinkExtra::Netfilter {
                pf: options.protocol.as_raw(),
                hooknum: options.hook.as_raw(),
                priority: options.priority,
                flags: if options.defrag {
                    NetfilterFlags::IP_DEFRAG
                } else {
                    NetfilterFlags::empty()
                },
            },
        })
        .map_err(|e| match e.errno() {
            libc::EBUSY => AttachError::AlreadyAttached {
                what: what.clone(),
                detail: "another hook has this priority".into(),
            },
            _ => AttachError::kernel(what.clone(), e),
        })?;
        Ok(Link::from_bpf_link(
            fd,
            format!(
                "netfilter `{}` on {:?} {} (priority {})",
                self.name(),
                options.protocol,
                options.hook,
                options.priority
            ),
        ))
    }
}
