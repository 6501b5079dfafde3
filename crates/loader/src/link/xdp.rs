//! XDP: `BPF_LINK_CREATE` with `BPF_XDP` (and the netlink attachment of
//! older kernels).

use std::fmt;
use std::os::fd::{AsFd, OwnedFd};

use oxbpf_sys::netlink::{self, RouteSocket, XdpState};
use oxbpf_sys::{self as sys, AttachTarget, AttachType, LinkCreateArgs, LinkExtra, ProgramType};
use oxbpf_sys::{SyscallError, XdpFlags};

use super::net_common::{check_type, dup, Interface};
use super::{AttachError, LegacyAttachment, Link};
use crate::Program;

/// Where an XDP program runs.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum XdpMode {
    /// The kernel's choice: native if the driver supports it, else generic.
    #[default]
    Auto,
    /// Native, in the driver (`XDP_FLAGS_DRV_MODE`).
    Driver,
    /// Generic, on the skb after the driver (`XDP_FLAGS_SKB_MODE`); works
    /// on every interface.
    Generic,
    /// Offloaded to the NIC (`XDP_FLAGS_HW_MODE`); the program must have
    /// been loaded for that device.
    Offload,
}

impl XdpMode {
    /// The `XDP_FLAGS_*` mode bit.
    pub fn flags(self) -> XdpFlags {
        match self {
            XdpMode::Auto => XdpFlags::empty(),
            XdpMode::Driver => XdpFlags::DRV_MODE,
            XdpMode::Generic => XdpFlags::SKB_MODE,
            XdpMode::Offload => XdpFlags::HW_MODE,
        }
    }
}

impl fmt::Display for XdpMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            XdpMode::Auto => "auto",
            XdpMode::Driver => "driver",
            XdpMode::Generic => "generic",
            XdpMode::Offload => "offload",
        })
    }
}

/// Describes the XDP programs already on an interface, for errors.
fn describe_existing(ifindex: u32) -> Option<String> {
    let state: XdpState = netlink::xdp_query(&mut RouteSocket::open().ok()?, ifindex).ok()?;
    let mut parts = Vec::new();
    for (mode, id) in [
        ("driver", state.driver),
        ("generic", state.generic),
        ("offload", state.offload),
    ] {
        if let Some(id) = id {
            parts.push(format!("program {id} in {mode} mode"));
        }
    }
    (!parts.is_empty()).then(|| parts.join(", "))
}

/// The clearest error for a refused XDP attachment.
fn xdp_error(
    what: String,
    mode: XdpMode,
    ifindex: u32,
    errno: i32,
    source: SyscallError,
) -> AttachError {
    match errno {
        // The kernel says EINVAL for an unknown ifindex.
        libc::ENODEV | libc::EINVAL if sys::if_indextoname(ifindex).is_err() => {
            AttachError::TargetNotFound {
                what: format!("network interface #{ifindex}"),
            }
        }
        libc::EBUSY | libc::EEXIST => AttachError::AlreadyAttached {
            what,
            detail: match describe_existing(ifindex) {
                Some(d) => format!("the interface already has XDP: {d}"),
                None => format!("the interface already has XDP (asked for {mode} mode)"),
            },
        },
        libc::EOPNOTSUPP if mode == XdpMode::Driver => AttachError::NotSupported {
            what,
            detail: Some("the driver has no native XDP; use XdpMode::Generic".into()),
        },
        _ => AttachError::kernel(what, source),
    }
}

impl Program {
    /// `BPF_LINK_CREATE` (`BPF_XDP`)—Attaches an XDP program to a network
    /// interface through a bpf_link, in the given mode.
    ///
    /// The interface is looked up, and the link created, in the calling
    /// thread's network namespace. Only one XDP program per mode can be
    /// attached to an interface: a second one fails with
    /// [`AttachError::AlreadyAttached`] (naming the program that is there),
    /// an unknown interface with [`AttachError::TargetNotFound`], driver
    /// mode on a driver without native XDP with
    /// [`AttachError::NotSupported`].
    ///
    /// ```no_run
    /// # use oxbpf_loader::{Collection, link::XdpMode};
    /// # fn f(coll: &Collection) -> Result<(), Box<dyn std::error::Error>> {
    /// let link = coll.program("xdp_filter").unwrap().attach_xdp("eth0", XdpMode::Generic)?;
    /// // ... the program runs until `link` is dropped.
    /// # Ok(()) }
    /// ```
    ///
    /// # Minimum kernel version
    ///
    /// 5.9 (XDP links); see [`attach_xdp_netlink`](Self::attach_xdp_netlink)
    /// for older kernels.
    pub fn attach_xdp(
        &self,
        interface: impl Into<Interface>,
        mode: XdpMode,
    ) -> Result<Link, AttachError> {
        check_type(self, &[ProgramType::XDP], "an XDP program")?;
        let interface = interface.into();
        let ifindex = interface.index()?;
        let what = format!(
            "attach XDP program `{}` to {interface} in {mode} mode",
            self.name()
        );
        let fd = sys::link_create(&LinkCreateArgs {
            prog: self.fd(),
            target: Some(AttachTarget::Ifindex(ifindex)),
            attach_type: AttachType::XDP,
            flags: mode.flags().bits(),
            extra: LinkExtra::None,
        })
        .map_err(|e| xdp_error(what, mode, ifindex, e.errno(), e))?;
        Ok(Link::from_bpf_link(
            fd,
            format!("xdp `{}` on {interface} ({mode} mode)", self.name()),
        ))
    }

    /// `RTM_SETLINK` with `IFLA_XDP`—Attaches an XDP program through
    /// netlink, as `ip link set dev X xdp` does: the way before XDP links
    /// (and the one other netlink tools see as theirs).
    ///
    /// Fails with [`AttachError::AlreadyAttached`] if the interface has an
    /// XDP program in that mode (`XDP_FLAGS_UPDATE_IF_NOEXIST`). The
    /// returned [`Link`] is a legacy attachment: dropping it removes the
    /// program, but only if it is still the one attached.
    ///
    /// # Minimum kernel version
    ///
    /// 4.8; removing only our own program needs 5.7.
    pub fn attach_xdp_netlink(
        &self,
        interface: impl Into<Interface>,
        mode: XdpMode,
    ) -> Result<Link, AttachError> {
        check_type(self, &[ProgramType::XDP], "an XDP program")?;
        let interface = interface.into();
        let ifindex = interface.index()?;
        let what = format!(
            "attach XDP program `{}` to {interface} in {mode} mode via netlink",
            self.name()
        );
        let mut sock = RouteSocket::open().map_err(|e| netlink_error(&what, e))?;
        let flags = mode.flags() | XdpFlags::UPDATE_IF_NOEXIST;
        if let Err(e) = netlink::xdp_set(&mut sock, ifindex, Some(self.fd()), flags.bits(), None) {
            return Err(match e.errno() {
                Some(libc::EBUSY | libc::EEXIST) => AttachError::AlreadyAttached {
                    what,
                    detail: e.extack.clone().unwrap_or_else(|| {
                        describe_existing(ifindex)
                            .map(|d| format!("the interface already has XDP: {d}"))
                            .unwrap_or_else(|| "the interface already has XDP".into())
                    }),
                },
                Some(libc::ENODEV) => AttachError::TargetNotFound {
                    what: format!("network interface {interface}"),
                },
                _ => netlink_error(&what, e),
            });
        }
        let prog = dup(self.fd(), || what.clone())?;
        Ok(Link::from_legacy(
            XdpNetlink {
                sock,
                ifindex,
                mode,
                prog,
            },
            format!(
                "xdp `{}` on {interface} ({mode} mode, netlink)",
                self.name()
            ),
        ))
    }
}

/// Turns a netlink failure into an [`AttachError`]: `EOPNOTSUPP` is
/// [`AttachError::NotSupported`], anything else [`AttachError::Netlink`]
/// (the extack message and errno are in its source).
pub(super) fn netlink_error(what: &str, e: netlink::NetlinkError) -> AttachError {
    match e.errno() {
        Some(libc::EOPNOTSUPP) => AttachError::NotSupported {
            what: what.to_owned(),
            detail: Some(e.to_string()),
        },
        _ => AttachError::Netlink {
            what: what.to_owned(),
            source: e,
        },
    }
}

/// An XDP program attached through netlink.
#[derive(Debug)]
struct XdpNetlink {
    sock: RouteSocket,
    ifindex: u32,
    mode: XdpMode,
    prog: OwnedFd,
}

impl LegacyAttachment for XdpNetlink {
    fn detach(&mut self) -> Result<(), AttachError> {
        let flags = self.mode.flags() | XdpFlags::REPLACE;
        match netlink::xdp_set(
            &mut self.sock,
            self.ifindex,
            None,
            flags.bits(),
            Some(self.prog.as_fd()),
        ) {
            Ok(()) => Ok(()),
            // The interface is gone, or the program was replaced by
            // someone else: nothing of ours is left to remove.
            Err(e) if matches!(e.errno(), Some(libc::ENODEV | libc::EEXIST)) => Ok(()),
            Err(e) => Err(netlink_error("detach XDP program (netlink)", e)),
        }
    }
}
