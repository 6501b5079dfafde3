//! Link commands: `BPF_LINK_CREATE`, `BPF_LINK_UPDATE`, `BPF_LINK_DETACH`,
//! `BPF_RAW_TRACEPOINT_OPEN`, `BPF_ITER_CREATE` and `BPF_ENABLE_STATS`.

use std::ffi::CStr;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};

use crate::attr::{EnableStatsAttr, IterCreateAttr, LinkCreateAttr, LinkCreateExtra};
use crate::attr::{LinkCreateIter, LinkCreateKprobeMulti, LinkCreateNetfilter};
use crate::attr::{LinkCreatePerfEvent, LinkCreateRelative, LinkCreateTracing};
use crate::attr::{LinkCreateUprobeMulti, LinkDetachAttr, LinkUpdateAttr, RawTracepointAttr};
use crate::bpf::{cstr_ptr, fd_u32, len_u32, opt_fd_u32, ptr, sys_bpf, sys_bpf_fd};
use crate::error::{einval, Result, SyscallError};
use crate::flags::{AttachFlags, KprobeMultiFlags, NetfilterFlags, UprobeMultiFlags};
use crate::prog::{AttachTarget, Relative};
use crate::types::{AttachType, Cmd, StatsType};

/// The attach-type specific part of [`LinkCreateArgs`] (the union in
/// `link_create`).
#[derive(Debug, Clone, Copy, Default)]
#[non_exhaustive]
pub enum LinkExtra<'a> {
    /// Nothing (cgroup, XDP, netns, sockmap, struct_ops, … links).
    #[default]
    None,
    /// `target_btf_id`—BTF ID of the target function (tracing, LSM, `EXT`).
    TargetBtfId(u32),
    /// `iter_info`/`iter_info_len`—A `union bpf_iter_link_info` as bytes.
    Iter {
        /// The iterator parameters.
        info: &'a [u8],
    },
    /// `perf_event`—A program on a perf event (kprobe, uprobe, tracepoint
    /// or hardware event fd given as the target).
    PerfEvent {
        /// `bpf_cookie`—Value of `bpf_get_attach_cookie()`.
        bpf_cookie: u64,
    },
    /// `kprobe_multi`—Exactly one of `syms` and `addrs` is non-empty;
    /// `cookies` is empty or as long.
    KprobeMulti {
        /// `flags`
        flags: KprobeMultiFlags,
        /// `syms`—Function names.
        syms: &'a [&'a CStr],
        /// `addrs`—Function addresses.
        addrs: &'a [u64],
        /// `cookies`
        cookies: &'a [u64],
    },
    /// `tracing`—fentry/fexit/fmod_ret/LSM with a cookie (6.10+).
    Tracing {
        /// `target_btf_id`
        target_btf_id: u32,
        /// `cookie`
        cookie: u64,
    },
    /// `netfilter`
    Netfilter {
        /// `pf`—`NFPROTO_IPV4`, `NFPROTO_IPV6`.
        pf: u32,
        /// `hooknum`—`NF_INET_*`.
        hooknum: u32,
        /// `priority`
        priority: i32,
        /// `flags`
        flags: NetfilterFlags,
    },
    /// `tcx`—Ordering of a tcx link.
    Tcx {
        /// `relative_fd`/`relative_id`
        relative: Relative<'a>,
        /// `expected_revision`
        expected_revision: u64,
    },
    /// `uprobe_multi`—`ref_ctr_offsets` and `cookies` are empty or as long
    /// as `offsets`.
    UprobeMulti {
        /// `path`—The binary.
        path: &'a CStr,
        /// `offsets`—File offsets of the probes.
        offsets: &'a [u64],
        /// `ref_ctr_offsets`—USDT semaphore offsets.
        ref_ctr_offsets: &'a [u64],
        /// `cookies`
        cookies: &'a [u64],
        /// `flags`
        flags: UprobeMultiFlags,
        /// `pid`—0 for every process.
        pid: u32,
    },
    /// `netkit`—Ordering of a netkit link.
    Netkit {
        /// `relative_fd`/`relative_id`
        relative: Relative<'a>,
        /// `expected_revision`
        expected_revision: u64,
    },
    /// `cgroup`—Ordering of a cgroup link (6.16+).
    Cgroup {
        /// `relative_fd`/`relative_id`
        relative: Relative<'a>,
        /// `expected_revision`
        expected_revision: u64,
    },
}

/// Arguments of [`link_create`].
#[derive(Debug, Clone, Copy)]
pub struct LinkCreateArgs<'a> {
    /// `prog_fd`, or `map_fd` of a struct_ops map for [`AttachType::STRUCT_OPS`].
    pub prog: BorrowedFd<'a>,
    /// `target_fd`/`target_ifindex`; `None` (0) where there is no target
    /// (tracing, kprobe_multi, uprobe_multi, netfilter, struct_ops).
    pub target: Option<AttachTarget<'a>>,
    /// `attach_type`
    pub attach_type: AttachType,
    /// `flags`—Attach-type specific: [`XdpFlags`](crate::XdpFlags) for XDP,
    /// [`AttachFlags`] bits for tcx/netkit/cgroup ordering, ….
    pub flags: u32,
    /// The per-attach-type union.
    pub extra: LinkExtra<'a>,
}

/// Fills the `relative` union shape, returning the flag it implies.
fn relative(relative: Relative<'_>, expected_revision: u64) -> (LinkCreateRelative, AttachFlags) {
    let (relative_fd, implied) = relative.raw();
    (
        LinkCreateRelative {
            relative_fd,
            expected_revision,
            ..Default::default()
        },
        implied,
    )
}

/// Checks that an optional array is empty or `n` long.
fn optional_len(slice: &[u64], n: usize, call: &'static str) -> Result<u64> {
    match slice.len() {
        0 => Ok(0),
        len if len == n => Ok(ptr(slice)),
        _ => Err(einval(call)),
    }
}

/// `BPF_LINK_CREATE`—Attaches a program through a link and returns the
/// link's fd; the attachment lasts as long as the link (its fds and pins).
///
/// The slices and strings in `args.extra` are validated (mismatched array
/// lengths are `EINVAL`) and passed by pointer for the duration of the call.
///
/// # Minimum kernel version
///
/// 5.7; most attach types are newer.
pub fn link_create(args: &LinkCreateArgs<'_>) -> Result<OwnedFd, SyscallError> {
    const CALL: &str = "BPF_LINK_CREATE";
    let mut flags = args.flags;
    let mut extra = LinkCreateExtra::default();
    // Pointer arrays for kprobe_multi symbols; must outlive the syscall.
    let sym_ptrs: Vec<u64>;
    match args.extra {
        LinkExtra::None => {}
        LinkExtra::TargetBtfId(id) => extra.target_btf_id = id,
        LinkExtra::Iter { info } => {
            extra.iter = LinkCreateIter {
                iter_info: ptr(info),
                iter_info_len: len_u32(info.len(), CALL)?,
                ..Default::default()
            }
        }
        LinkExtra::PerfEvent { bpf_cookie } => {
            extra.perf_event = LinkCreatePerfEvent { bpf_cookie }
        }
        LinkExtra::KprobeMulti {
            flags: kflags,
            syms,
            addrs,
            cookies,
        } => {
            let n = match (syms.len(), addrs.len()) {
                (0, n) | (n, 0) if n > 0 => n,
                _ => return Err(einval(CALL)),
            };
            sym_ptrs = syms.iter().map(|s| cstr_ptr(s)).collect();
            extra.kprobe_multi = LinkCreateKprobeMulti {
                flags: kflags.bits(),
                cnt: len_u32(n, CALL)?,
                syms: ptr(&sym_ptrs),
                addrs: ptr(addrs),
                cookies: optional_len(cookies, n, CALL)?,
            };
        }
        LinkExtra::Tracing {
            target_btf_id,
            cookie,
        } => {
            extra.tracing = LinkCreateTracing {
                target_btf_id,
                cookie,
                ..Default::default()
            }
        }
        LinkExtra::Netfilter {
            pf,
            hooknum,
            priority,
            flags: nflags,
        } => {
            extra.netfilter = LinkCreateNetfilter {
                pf,
                hooknum,
                priority,
                flags: nflags.bits(),
            }
        }
        LinkExtra::Tcx {
            relative: rel,
            expected_revision,
        } => {
            let (shape, implied) = relative(rel, expected_revision);
            extra.tcx = shape;
            flags |= implied.bits();
        }
        LinkExtra::Netkit {
            relative: rel,
            expected_revision,
        } => {
            let (shape, implied) = relative(rel, expected_revision);
            extra.netkit = shape;
            flags |= implied.bits();
        }
        LinkExtra::Cgroup {
            relative: rel,
            expected_revision,
        } => {
            let (shape, implied) = relative(rel, expected_revision);
            extra.cgroup = shape;
            flags |= implied.bits();
        }
        LinkExtra::UprobeMulti {
            path,
            offsets,
            ref_ctr_offsets,
            cookies,
            flags: uflags,
            pid,
        } => {
            let n = offsets.len();
            if n == 0 {
                return Err(einval(CALL));
            }
            extra.uprobe_multi = LinkCreateUprobeMulti {
                path: cstr_ptr(path),
                offsets: ptr(offsets),
                ref_ctr_offsets: optional_len(ref_ctr_offsets, n, CALL)?,
                cookies: optional_len(cookies, n, CALL)?,
                cnt: len_u32(n, CALL)?,
                flags: uflags.bits(),
                pid,
                ..Default::default()
            };
        }
    }
    let mut attr = LinkCreateAttr {
        prog_fd: fd_u32(args.prog),
        target_fd: args.target.map_or(0, |t| match t {
            AttachTarget::Fd(fd) => fd_u32(fd),
            AttachTarget::Ifindex(index) => index,
        }),
        attach_type: args.attach_type.as_raw(),
        flags,
        extra,
    };
    // SAFETY: every pointer in the union borrows `args` (iter info, arrays
    // with the count passed as `cnt`, C strings) or `sym_ptrs`, a local
    // array of pointers to C strings borrowed from `args`, all alive for the
    // call and only read; fds are borrowed from `args`; the command returns
    // a new fd.
    unsafe { sys_bpf_fd(Cmd::LINK_CREATE, &mut attr) }
}

/// `BPF_LINK_UPDATE`—Replaces the program (or struct_ops map) of a link;
/// with `old`, only if it is still that one (`BPF_F_REPLACE`).
///
/// # Minimum kernel version
///
/// 5.7
pub fn link_update(
    link: impl AsFd,
    new: impl AsFd,
    old: Option<BorrowedFd<'_>>,
) -> Result<(), SyscallError> {
    let mut attr = LinkUpdateAttr {
        link_fd: fd_u32(link.as_fd()),
        new_prog_fd: fd_u32(new.as_fd()),
        flags: if old.is_some() {
            AttachFlags::REPLACE.bits()
        } else {
            0
        },
        old_prog_fd: opt_fd_u32(old),
    };
    // SAFETY: the attr holds no pointers; the fds are borrowed.
    unsafe { sys_bpf(Cmd::LINK_UPDATE, &mut attr) }.map(drop)
}

/// `BPF_LINK_DETACH`—Detaches a link's program without closing the link
/// (the fd then refers to a defunct link).
///
/// # Minimum kernel version
///
/// 5.9
pub fn link_detach(link: impl AsFd) -> Result<(), SyscallError> {
    let mut attr = LinkDetachAttr {
        link_fd: fd_u32(link.as_fd()),
    };
    // SAFETY: the attr holds no pointers; the fd is borrowed.
    unsafe { sys_bpf(Cmd::LINK_DETACH, &mut attr) }.map(drop)
}

/// `BPF_RAW_TRACEPOINT_OPEN`—Attaches a raw tracepoint program to the
/// tracepoint `name` (or, with `None`, a tracing/LSM/`EXT` program to its
/// load-time target), returning a link fd.
///
/// `cookie` needs Linux 6.10.
///
/// # Minimum kernel version
///
/// 4.17
pub fn raw_tracepoint_open(
    name: Option<&CStr>,
    prog: impl AsFd,
    cookie: u64,
) -> Result<OwnedFd, SyscallError> {
    let mut attr = RawTracepointAttr {
        name: name.map_or(0, cstr_ptr),
        prog_fd: fd_u32(prog.as_fd()),
        cookie,
        ..Default::default()
    };
    // SAFETY: `name` is null or a C string borrowed for the call; the fd is
    // borrowed; the command returns a new fd.
    unsafe { sys_bpf_fd(Cmd::RAW_TRACEPOINT_OPEN, &mut attr) }
}

/// `BPF_ITER_CREATE`—Creates a readable fd from an iterator link; each
/// `read(2)` runs the iterator program.
///
/// # Minimum kernel version
///
/// 5.8
pub fn iter_create(link: impl AsFd) -> Result<OwnedFd, SyscallError> {
    let mut attr = IterCreateAttr {
        link_fd: fd_u32(link.as_fd()),
        flags: 0,
    };
    // SAFETY: the attr holds no pointers; the fd is borrowed; the command
    // returns a new fd.
    unsafe { sys_bpf_fd(Cmd::ITER_CREATE, &mut attr) }
}

/// `BPF_ENABLE_STATS`—Turns on statistics system-wide for as long as the
/// returned fd is open.
///
/// # Minimum kernel version
///
/// 5.8
pub fn enable_stats(stats: StatsType) -> Result<OwnedFd, SyscallError> {
    let mut attr = EnableStatsAttr {
        stats_type: stats.as_raw(),
    };
    // SAFETY: the attr holds no pointers or fds; the command returns a new fd.
    unsafe { sys_bpf_fd(Cmd::ENABLE_STATS, &mut attr) }
}
