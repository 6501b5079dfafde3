//! tc: tcx links (`BPF_TCX_INGRESS`/`BPF_TCX_EGRESS`) and legacy `cls_bpf`
//! filters on a `clsact` qdisc, through netlink.

use std::fmt;

use oxbpf_sys::netlink::{self, RouteSocket, TcFilter, TcHook};
use oxbpf_sys::{self as sys, AttachTarget, AttachType, LinkCreateArgs, LinkExtra, ProgramType};

use super::net_common::{check_type, Anchor, Interface};
use super::xdp::netlink_error;
use super::{AttachError, LegacyAttachment, Link};
use crate::Program;

/// Which way the packets a tc program sees are going.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TcDirection {
    /// Received by the interface.
    Ingress,
    /// Sent by the interface.
    Egress,
}

impl TcDirection {
    fn tcx(self) -> AttachType {
        match self {
            TcDirection::Ingress => AttachType::TCX_INGRESS,
            TcDirection::Egress => AttachType::TCX_EGRESS,
        }
    }

    fn hook(self) -> TcHook {
        match self {
            TcDirection::Ingress => TcHook::Ingress,
            TcDirection::Egress => TcHook::Egress,
        }
    }
}

impl fmt::Display for TcDirection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TcDirection::Ingress => "ingress",
            TcDirection::Egress => "egress",
        })
    }
}

/// Options of [`Program::attach_tcx`].
#[derive(Debug, Clone, Copy, Default)]
pub struct TcxOptions<'a> {
    /// Where the program goes among the interface's tcx programs.
    pub anchor: Anchor<'a>,
    /// `expected_revision`—Attach only if the hook's list is still at this
    /// revision (from `BPF_PROG_QUERY`); 0 for any.
    pub expected_revision: u64,
}

/// Options of [`Program::attach_tc`].
#[derive(Debug, Clone, Copy, Default)]
pub struct TcOptions {
    /// Filter priority (1 runs first); 0 lets the kernel choose.
    pub priority: u16,
    /// Filter handle; 0 lets the kernel choose.
    pub handle: u32,
    /// Replace a filter with the same priority and handle instead of
    /// failing with [`AttachError::AlreadyAttached`].
    pub replace: bool,
}

impl Program {
    /// `BPF_LINK_CREATE` (`BPF_TCX_INGRESS`/`BPF_TCX_EGRESS`)—Attaches a
    /// `SCHED_CLS` program to an interface's tcx hook through a bpf_link.
    ///
    /// Several programs share a hook, in the order given by
    /// [`TcxOptions::anchor`]; each returns `TCX_NEXT` (-1) to let the next
    /// one run, `TCX_PASS` (0), `TCX_DROP` (2) or `TCX_REDIRECT` (7). The
    /// interface is looked up in the calling thread's network namespace.
    /// A stale [`TcxOptions::expected_revision`] fails with `ESTALE`.
    ///
    /// # Minimum kernel version
    ///
    /// 6.6
    pub fn attach_tcx(
        &self,
        interface: impl Into<Interface>,
        direction: TcDirection,
        options: &TcxOptions<'_>,
    ) -> Result<Link, AttachError> {
        check_type(self, &[ProgramType::SCHED_CLS], "a tc (sched_cls) program")?;
        let interface = interface.into();
        let ifindex = interface.index()?;
        let what = format!(
            "attach tcx program `{}` to {interface} {direction}",
            self.name()
        );
        let (flags, relative) = options.anchor.raw()?;
        let fd = sys::link_create(&LinkCreateArgs {
            prog: self.fd(),
            target: Some(AttachTarget::Ifindex(ifindex)),
            attach_type: direction.tcx(),
            flags: flags.bits(),
            extra: LinkExtra::Tcx {
                relative,
                expected_revision: options.expected_revision,
            },
        })
        .map_err(|e| match e.errno() {
            libc::ENODEV => AttachError::TargetNotFound {
                what: format!("network interface {interface}"),
            },
            libc::EEXIST => AttachError::AlreadyAttached {
                what: what.clone(),
                detail: "this program is already on the hook".into(),
            },
            libc::EINVAL if !tcx_supported() => AttachError::NotSupported {
                what: what.clone(),
                detail: Some("tcx links need Linux 6.6".into()),
            },
            _ => AttachError::kernel(what.clone(), e),
        })?;
        Ok(Link::from_bpf_link(
            fd,
            format!("tcx {direction} `{}` on {interface}", self.name()),
        ))
    }

    /// `RTM_NEWTFILTER`—Attaches a `SCHED_CLS` program as a `cls_bpf`
    /// filter in direct-action mode on the interface's `clsact` qdisc (as
    /// `tc filter add dev X ingress bpf da obj ...` does), creating the
    /// qdisc if the interface has none.
    ///
    /// The program's return value is the action (`TC_ACT_OK`,
    /// `TC_ACT_SHOT`, ...). The returned [`Link`] is a legacy attachment
    /// holding the netlink socket: dropping it deletes the filter (the
    /// qdisc stays, as other filters may use it). Its
    /// [`description`](Link::description) names the handle and priority
    /// the kernel chose. A filter with the same priority and handle fails
    /// with [`AttachError::AlreadyAttached`] unless
    /// [`TcOptions::replace`] is set.
    ///
    /// # Minimum kernel version
    ///
    /// 4.5 (`clsact`, direct action)
    pub fn attach_tc(
        &self,
        interface: impl Into<Interface>,
        direction: TcDirection,
        options: &TcOptions,
    ) -> Result<Link, AttachError> {
        check_type(self, &[ProgramType::SCHED_CLS], "a tc (sched_cls) program")?;
        let interface = interface.into();
        let ifindex = interface.index()?;
        let what = format!(
            "attach tc filter `{}` to {interface} {direction}",
            self.name()
        );
        let mut sock = RouteSocket::open().map_err(|e| netlink_error(&what, e))?;
        let not_found = |e: &netlink::NetlinkError| e.errno() == Some(libc::ENODEV);
        netlink::tc_clsact_create(&mut sock, ifindex).map_err(|e| {
            if not_found(&e) {
                AttachError::TargetNotFound {
                    what: format!("network interface {interface}"),
                }
            } else {
                netlink_error(&format!("{what}: create the clsact qdisc"), e)
            }
        })?;
        let id = self.info().map(|i| i.id.as_raw()).unwrap_or(0);
        let name = format!("{}:[{id}]", self.name());
        let filter = netlink::tc_filter_add_bpf(
            &mut sock,
            &netlink::TcFilterArgs {
                ifindex,
                hook: direction.hook(),
                handle: options.handle,
                priority: options.priority,
                prog: self.fd(),
                name: &name,
                replace: options.replace,
            },
        )
        .map_err(|e| match e.errno() {
            Some(libc::EEXIST) => AttachError::AlreadyAttached {
                what: what.clone(),
                detail: format!(
                    "a filter with priority {} and handle {:#x} exists{}",
                    options.priority,
                    options.handle,
                    e.extack
                        .as_deref()
                        .map(|m| format!(": {m}"))
                        .unwrap_or_default()
                ),
            },
            _ => netlink_error(&what, e),
        })?;
        Ok(Link::from_legacy(
            TcAttachment { sock, filter },
            format!(
                "tc {direction} filter `{}` on {interface} (handle {:#x}, priority {})",
                self.name(),
                filter.handle,
                filter.priority
            ),
        ))
    }
}

/// Whether the kernel has tcx (6.6): `BPF_PROG_QUERY` of
/// `BPF_TCX_INGRESS` on the loopback device answers on 6.6+ and fails with
/// `EINVAL` before.
fn tcx_supported() -> bool {
    let mut ids = [];
    let mut args = sys::ProgQueryArgs {
        target: AttachTarget::Ifindex(1),
        attach_type: AttachType::TCX_INGRESS,
        query_flags: sys::QueryFlags::empty(),
        prog_ids: &mut ids,
        prog_attach_flags: None,
        link_ids: None,
        link_attach_flags: None,
    };
    !matches!(sys::prog_query(&mut args), Err(e) if e.errno() == libc::EINVAL)
}

/// A `cls_bpf` filter added through netlink; the socket is bound to the
/// filter's network namespace.
#[derive(Debug)]
struct TcAttachment {
    sock: RouteSocket,
    filter: TcFilter,
}

impl LegacyAttachment for TcAttachment {
    fn detach(&mut self) -> Result<(), AttachError> {
        match netlink::tc_filter_del(&mut self.sock, &self.filter) {
            Ok(()) => Ok(()),
            // The filter, its qdisc or the interface is gone already.
            Err(e) if matches!(e.errno(), Some(libc::ENOENT | libc::ENODEV | libc::EINVAL)) => {
                Ok(())
            }
            Err(e) => Err(netlink_error("delete tc filter", e)),
        }
    }
}
