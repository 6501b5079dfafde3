//! rtnetlink: the netlink requests behind legacy tc attachment (a `clsact`
//! qdisc and `cls_bpf` filters in direct-action mode).
//!
//! [`RouteSocket`] is a `NETLINK_ROUTE` socket with extended acks turned
//! on: every request asks for an acknowledgement, and a refusal comes back
//! as a [`NetlinkError`] carrying the errno *and* the kernel's extack
//! message (`"Exclusivity flag on, cannot modify"`, …) when it sent one.
//! Messages are built and parsed from bytes ([`MessageBuilder`],
//! [`attrs`]); only the socket calls are `unsafe`.
//!
//! A netlink socket belongs to the network namespace it was created in:
//! the requests of one [`RouteSocket`] act on that namespace's interfaces,
//! whichever thread sends them later. Keep the socket to undo an attachment
//! (as [`tc_filter_del`] needs) from anywhere.
//!
//! Message layouts follow `include/uapi/linux/netlink.h`, `rtnetlink.h`
//! and `pkt_cls.h`/`pkt_sched.h` of Linux 6.18.

use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, OwnedFd};

/// `NLMSG_NOOP`
pub const NLMSG_NOOP: u16 = 1;
/// `NLMSG_ERROR`—An error report, or an acknowledgement (errno 0).
pub const NLMSG_ERROR: u16 = 2;
/// `NLMSG_DONE`—End of a multipart dump.
pub const NLMSG_DONE: u16 = 3;

/// `NLM_F_REQUEST`
pub const NLM_F_REQUEST: u16 = 0x1;
/// `NLM_F_MULTI`
pub const NLM_F_MULTI: u16 = 0x2;
/// `NLM_F_ACK`
pub const NLM_F_ACK: u16 = 0x4;
/// `NLM_F_ECHO`—Send the resulting notification back to the requester.
pub const NLM_F_ECHO: u16 = 0x8;
/// `NLM_F_DUMP` (`NLM_F_ROOT | NLM_F_MATCH`)
pub const NLM_F_DUMP: u16 = 0x300;
/// `NLM_F_REPLACE`—Replace an existing object.
pub const NLM_F_REPLACE: u16 = 0x100;
/// `NLM_F_EXCL`—Fail if the object exists.
pub const NLM_F_EXCL: u16 = 0x200;
/// `NLM_F_CREATE`—Create the object if it does not exist.
pub const NLM_F_CREATE: u16 = 0x400;
/// `NLM_F_CAPPED` (in `NLMSG_ERROR`)—The original request is not echoed.
pub const NLM_F_CAPPED: u16 = 0x100;
/// `NLM_F_ACK_TLVS` (in `NLMSG_ERROR`)—Extended ack attributes follow.
pub const NLM_F_ACK_TLVS: u16 = 0x200;

/// `NLMSGERR_ATTR_MSG`—The extack message (a C string).
pub const NLMSGERR_ATTR_MSG: u16 = 1;
/// `NLMSGERR_ATTR_OFFS`—Offset of the offending attribute in the request.
pub const NLMSGERR_ATTR_OFFS: u16 = 2;

/// `RTM_NEWQDISC`
pub const RTM_NEWQDISC: u16 = 36;
/// `RTM_DELQDISC`
pub const RTM_DELQDISC: u16 = 37;
/// `RTM_GETQDISC`
pub const RTM_GETQDISC: u16 = 38;
/// `RTM_NEWTFILTER`
pub const RTM_NEWTFILTER: u16 = 44;
/// `RTM_DELTFILTER`
pub const RTM_DELTFILTER: u16 = 45;
/// `RTM_GETTFILTER`
pub const RTM_GETTFILTER: u16 = 46;

/// `TCA_KIND`—Qdisc or classifier kind (`"clsact"`, `"bpf"`).
pub const TCA_KIND: u16 = 1;
/// `TCA_OPTIONS`—Kind-specific nested options.
pub const TCA_OPTIONS: u16 = 2;
/// `TCA_BPF_FD`—The program's fd (`cls_bpf`).
pub const TCA_BPF_FD: u16 = 6;
/// `TCA_BPF_NAME`—A name shown by `tc filter show`.
pub const TCA_BPF_NAME: u16 = 7;
/// `TCA_BPF_FLAGS`
pub const TCA_BPF_FLAGS: u16 = 8;
/// `TCA_BPF_ID`—The attached program's ID (in replies).
pub const TCA_BPF_ID: u16 = 11;
/// `TCA_BPF_FLAG_ACT_DIRECT`—The program's return value is the action.
pub const TCA_BPF_FLAG_ACT_DIRECT: u32 = 1;

/// `TC_H_CLSACT` (= `TC_H_INGRESS`)—Parent of the `clsact` qdisc.
pub const TC_H_CLSACT: u32 = 0xffff_fff1;
/// `TC_H_MIN_INGRESS`—Minor of the `clsact` ingress hook.
pub const TC_H_MIN_INGRESS: u16 = 0xfff2;
/// `TC_H_MIN_EGRESS`—Minor of the `clsact` egress hook.
pub const TC_H_MIN_EGRESS: u16 = 0xfff3;
/// `ETH_P_ALL`—Match every protocol.
pub const ETH_P_ALL: u16 = 0x0003;

/// `NLA_F_NESTED`
pub const NLA_F_NESTED: u16 = 1 << 15;
/// `NLA_TYPE_MASK`—The type bits of `nla_type`.
pub const NLA_TYPE_MASK: u16 = !(1 << 15 | 1 << 14);

const NETLINK_CAP_ACK: libc::c_int = 10;
const NETLINK_EXT_ACK: libc::c_int = 11;
/// Size of `struct nlmsghdr`.
pub const NLMSG_HDRLEN: usize = 16;
/// Size of `struct tcmsg`.
pub const TCMSG_LEN: usize = 20;
const NLA_HDRLEN: usize = 4;

/// `TC_H_MAKE(major, minor)`—A tc handle from its halves.
pub const fn tc_h_make(major: u32, minor: u16) -> u32 {
    (major & 0xffff_0000) | minor as u32
}

/// Rounds up to the 4-byte netlink alignment.
const fn align4(n: usize) -> usize {
    (n + 3) & !3
}

/// A refused or failed netlink request.
///
/// `Display` names the request and adds the kernel's extack message when
/// it sent one (`RTM_NEWTFILTER failed: Exclusivity flag on, cannot
/// modify`); the errno is the [`source`](std::error::Error::source).
#[derive(Debug, thiserror::Error)]
#[error("{op} failed{}", extack.as_deref().map(|m| format!(": {m}")).unwrap_or_default())]
#[non_exhaustive]
pub struct NetlinkError {
    /// The request (`"RTM_NEWTFILTER"`) or socket call (`"bind"`).
    pub op: &'static str,
    /// The extended ack message, if the kernel gave one.
    pub extack: Option<String>,
    /// The errno.
    #[source]
    pub source: io::Error,
}

impl NetlinkError {
    fn new(op: &'static str, source: io::Error) -> Self {
        Self {
            op,
            extack: None,
            source,
        }
    }

    fn last_os_error(op: &'static str) -> Self {
        Self::new(op, io::Error::last_os_error())
    }

    fn invalid(op: &'static str, why: &str) -> Self {
        Self::new(op, io::Error::new(io::ErrorKind::InvalidData, why))
    }

    /// The errno, if the error came from the kernel (`EEXIST`, `ENODEV`, …).
    pub fn errno(&self) -> Option<i32> {
        self.source.raw_os_error()
    }
}

/// Builds one netlink message: a `struct nlmsghdr`, a fixed header
/// (`struct tcmsg`, …) and attributes, nested ones included.
#[derive(Debug, Clone)]
pub struct MessageBuilder {
    buf: Vec<u8>,
    nests: Vec<usize>,
}

impl MessageBuilder {
    /// Starts a message of type `ty` with `flags`; `nlmsg_len`, `seq` and
    /// `pid` are filled in when it is sent.
    pub fn new(ty: u16, flags: u16) -> Self {
        let mut buf = Vec::with_capacity(128);
        buf.extend_from_slice(&0u32.to_ne_bytes());
        buf.extend_from_slice(&ty.to_ne_bytes());
        buf.extend_from_slice(&flags.to_ne_bytes());
        buf.extend_from_slice(&[0; 8]);
        Self {
            buf,
            nests: Vec::new(),
        }
    }

    /// Appends a fixed header (padded to 4 bytes).
    pub fn header(&mut self, bytes: &[u8]) -> &mut Self {
        self.buf.extend_from_slice(bytes);
        self.pad();
        self
    }

    /// Appends a `struct tcmsg`.
    pub fn tcmsg(&mut self, tc: &TcMsg) -> &mut Self {
        self.header(&tc.to_bytes())
    }

    fn pad(&mut self) {
        self.buf.resize(align4(self.buf.len()), 0);
    }

    /// Appends attribute `ty` with `payload`.
    pub fn attr(&mut self, ty: u16, payload: &[u8]) -> &mut Self {
        let len = u16::try_from(NLA_HDRLEN + payload.len()).unwrap_or(u16::MAX);
        self.buf.extend_from_slice(&len.to_ne_bytes());
        self.buf.extend_from_slice(&ty.to_ne_bytes());
        self.buf.extend_from_slice(payload);
        self.pad();
        self
    }

    /// Appends a `u32` attribute.
    pub fn attr_u32(&mut self, ty: u16, value: u32) -> &mut Self {
        self.attr(ty, &value.to_ne_bytes())
    }

    /// Appends a NUL-terminated string attribute.
    pub fn attr_str(&mut self, ty: u16, value: &str) -> &mut Self {
        let mut bytes = Vec::with_capacity(value.len() + 1);
        bytes.extend_from_slice(value.as_bytes());
        bytes.push(0);
        self.attr(ty, &bytes)
    }

    /// Opens a nested attribute; close it with [`end_nested`](Self::end_nested).
    pub fn begin_nested(&mut self, ty: u16) -> &mut Self {
        self.nests.push(self.buf.len());
        self.buf.extend_from_slice(&0u16.to_ne_bytes());
        self.buf
            .extend_from_slice(&(ty | NLA_F_NESTED).to_ne_bytes());
        self
    }

    /// Closes the innermost open nested attribute.
    pub fn end_nested(&mut self) -> &mut Self {
        if let Some(start) = self.nests.pop() {
            let len = u16::try_from(self.buf.len() - start).unwrap_or(u16::MAX);
            self.buf[start..start + 2].copy_from_slice(&len.to_ne_bytes());
        }
        self
    }

    /// The finished message with `seq`, `pid` and the length filled in
    /// (open nests are closed).
    pub fn finish(&mut self, seq: u32, pid: u32) -> Vec<u8> {
        while !self.nests.is_empty() {
            self.end_nested();
        }
        let mut out = self.buf.clone();
        let len = u32::try_from(out.len()).unwrap_or(u32::MAX);
        out[0..4].copy_from_slice(&len.to_ne_bytes());
        out[8..12].copy_from_slice(&seq.to_ne_bytes());
        out[12..16].copy_from_slice(&pid.to_ne_bytes());
        out
    }
}

/// `struct tcmsg`—The fixed header of qdisc and filter messages.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TcMsg {
    /// `tcm_family`
    pub family: u8,
    /// `tcm_ifindex`
    pub ifindex: i32,
    /// `tcm_handle`
    pub handle: u32,
    /// `tcm_parent`
    pub parent: u32,
    /// `tcm_info`—For filters: priority in the upper 16 bits, protocol
    /// (network byte order) in the lower.
    pub info: u32,
}

impl TcMsg {
    /// The 20 bytes of the struct.
    pub fn to_bytes(&self) -> [u8; TCMSG_LEN] {
        let mut b = [0u8; TCMSG_LEN];
        b[0] = self.family;
        b[4..8].copy_from_slice(&self.ifindex.to_ne_bytes());
        b[8..12].copy_from_slice(&self.handle.to_ne_bytes());
        b[12..16].copy_from_slice(&self.parent.to_ne_bytes());
        b[16..20].copy_from_slice(&self.info.to_ne_bytes());
        b
    }

    /// Parses the struct from the start of `b`.
    pub fn parse(b: &[u8]) -> Option<Self> {
        let u32_at = |o: usize| Some(u32::from_ne_bytes(b.get(o..o + 4)?.try_into().ok()?));
        Some(Self {
            family: *b.first()?,
            ifindex: u32_at(4)? as i32,
            handle: u32_at(8)?,
            parent: u32_at(12)?,
            info: u32_at(16)?,
        })
    }
}

/// One received netlink message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// `nlmsg_type`
    pub ty: u16,
    /// `nlmsg_flags`
    pub flags: u16,
    /// `nlmsg_seq`
    pub seq: u32,
    /// Everything after the `nlmsghdr`.
    pub payload: Vec<u8>,
}

/// Splits a received buffer into messages. Truncated trailing bytes are an
/// error.
pub fn parse_messages(mut buf: &[u8]) -> Result<Vec<Message>, NetlinkError> {
    const OP: &str = "netlink recv";
    let mut out = Vec::new();
    while buf.len() >= NLMSG_HDRLEN {
        let len = u32::from_ne_bytes([buf[0], buf[1], buf[2], buf[3]]) as usize;
        if len < NLMSG_HDRLEN || len > buf.len() {
            return Err(NetlinkError::invalid(OP, "truncated netlink message"));
        }
        out.push(Message {
            ty: u16::from_ne_bytes([buf[4], buf[5]]),
            flags: u16::from_ne_bytes([buf[6], buf[7]]),
            seq: u32::from_ne_bytes([buf[8], buf[9], buf[10], buf[11]]),
            payload: buf[NLMSG_HDRLEN..len].to_vec(),
        });
        buf = buf.get(align4(len)..).unwrap_or_default();
    }
    if !buf.is_empty() {
        return Err(NetlinkError::invalid(
            OP,
            "trailing bytes after netlink messages",
        ));
    }
    Ok(out)
}

/// Iterates over the attributes in `b` as `(type without flags, payload)`;
/// stops at the first malformed one.
pub fn attrs(mut b: &[u8]) -> impl Iterator<Item = (u16, &[u8])> {
    std::iter::from_fn(move || {
        if b.len() < NLA_HDRLEN {
            return None;
        }
        let len = u16::from_ne_bytes([b[0], b[1]]) as usize;
        let ty = u16::from_ne_bytes([b[2], b[3]]) & NLA_TYPE_MASK;
        if len < NLA_HDRLEN || len > b.len() {
            b = &[];
            return None;
        }
        let payload = &b[NLA_HDRLEN..len];
        b = b.get(align4(len)..).unwrap_or_default();
        Some((ty, payload))
    })
}

/// Reads a `u32` attribute payload.
pub fn attr_u32(payload: &[u8]) -> Option<u32> {
    Some(u32::from_ne_bytes(payload.get(..4)?.try_into().ok()?))
}

/// Decodes the payload of an `NLMSG_ERROR` message: the errno (0 for an
/// acknowledgement) and the extack message, if any.
pub fn parse_error(flags: u16, payload: &[u8]) -> Option<(i32, Option<String>)> {
    let error = i32::from_ne_bytes(payload.get(..4)?.try_into().ok()?);
    // The TLVs follow the echoed request: only its header when capped.
    let echoed = if flags & NLM_F_CAPPED != 0 {
        NLMSG_HDRLEN
    } else {
        payload
            .get(4..8)
            .map(|l| u32::from_ne_bytes(l.try_into().unwrap_or_default()) as usize)
            .unwrap_or(NLMSG_HDRLEN)
            .max(NLMSG_HDRLEN)
    };
    let mut msg = None;
    if flags & NLM_F_ACK_TLVS != 0 {
        if let Some(tlvs) = payload.get(4 + align4(echoed)..) {
            for (ty, p) in attrs(tlvs) {
                if ty == NLMSGERR_ATTR_MSG {
                    let end = p.iter().position(|&c| c == 0).unwrap_or(p.len());
                    msg = Some(String::from_utf8_lossy(&p[..end]).into_owned());
                }
            }
        }
    }
    Some((error.checked_neg().unwrap_or(error), msg))
}

/// A `NETLINK_ROUTE` socket with extended acks, bound to the network
/// namespace of the thread that opened it.
#[derive(Debug)]
pub struct RouteSocket {
    fd: OwnedFd,
    pid: u32,
    seq: u32,
}

impl RouteSocket {
    /// `socket(AF_NETLINK, SOCK_RAW, NETLINK_ROUTE)`, with
    /// `NETLINK_EXT_ACK` and `NETLINK_CAP_ACK` turned on (where the kernel
    /// has them), bound to a kernel-chosen port.
    pub fn open() -> Result<Self, NetlinkError> {
        // SAFETY: `socket` takes three integers and returns a new fd or -1.
        let raw = unsafe {
            libc::socket(
                libc::AF_NETLINK,
                libc::SOCK_RAW | libc::SOCK_CLOEXEC,
                libc::NETLINK_ROUTE,
            )
        };
        if raw < 0 {
            return Err(NetlinkError::last_os_error("socket(AF_NETLINK)"));
        }
        // SAFETY: `raw` is a fresh fd from `socket`, owned by nobody else.
        let fd = unsafe { OwnedFd::from_raw_fd(raw) };
        for opt in [NETLINK_EXT_ACK, NETLINK_CAP_ACK] {
            // Best effort: kernels before 4.12 lack extended acks.
            let _ = setsockopt_int(fd.as_fd(), libc::SOL_NETLINK, opt, 1);
        }
        // SAFETY: an all-zero sockaddr_nl is a valid value of the C struct.
        let mut addr: libc::sockaddr_nl = unsafe { std::mem::zeroed() };
        addr.nl_family = libc::AF_NETLINK as libc::sa_family_t;
        let len = std::mem::size_of::<libc::sockaddr_nl>() as libc::socklen_t;
        let addr_ptr: *const libc::sockaddr_nl = &addr;
        // SAFETY: `addr_ptr` points to a live sockaddr_nl of `len` bytes;
        // the fd is open.
        let ret = unsafe { libc::bind(fd.as_raw_fd(), addr_ptr.cast(), len) };
        if ret < 0 {
            return Err(NetlinkError::last_os_error("bind(AF_NETLINK)"));
        }
        let mut len = len;
        let addr_mut: *mut libc::sockaddr_nl = &mut addr;
        // SAFETY: `addr_mut` points to a writable sockaddr_nl and `len`
        // holds its size; the kernel writes at most that much.
        let ret = unsafe { libc::getsockname(fd.as_raw_fd(), addr_mut.cast(), &mut len) };
        if ret < 0 {
            return Err(NetlinkError::last_os_error("getsockname(AF_NETLINK)"));
        }
        Ok(Self {
            fd,
            pid: addr.nl_pid,
            seq: 0,
        })
    }

    /// Sends `msg` with `NLM_F_ACK` added and waits for the
    /// acknowledgement, returning the other messages received for this
    /// request (an `NLM_F_ECHO` reply, dump parts). `op` names the request
    /// in errors.
    pub fn request(
        &mut self,
        op: &'static str,
        msg: &mut MessageBuilder,
    ) -> Result<Vec<Message>, NetlinkError> {
        self.seq = self.seq.wrapping_add(1);
        let seq = self.seq;
        let mut bytes = msg.finish(seq, self.pid);
        let flags = u16::from_ne_bytes([bytes[6], bytes[7]]) | NLM_F_ACK;
        bytes[6..8].copy_from_slice(&flags.to_ne_bytes());
        // SAFETY: `bytes` is a live buffer of `bytes.len()` bytes, only
        // read by the kernel; the fd is open.
        let ret = unsafe { libc::send(self.fd.as_raw_fd(), bytes.as_ptr().cast(), bytes.len(), 0) };
        if ret < 0 {
            return Err(NetlinkError::last_os_error(op));
        }
        let mut replies = Vec::new();
        let mut buf = vec![0u8; 32 * 1024];
        loop {
            // SAFETY: `buf` is an exclusively borrowed, writable buffer of
            // `buf.len()` bytes; the kernel writes at most that much.
            let n =
                unsafe { libc::recv(self.fd.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len(), 0) };
            if n < 0 {
                let err = io::Error::last_os_error();
                if err.kind() == io::ErrorKind::Interrupted {
                    continue;
                }
                return Err(NetlinkError::new(op, err));
            }
            let n = usize::try_from(n).unwrap_or(0);
            for m in parse_messages(&buf[..n.min(buf.len())])? {
                if m.seq != seq {
                    // A late answer to an earlier request.
                    continue;
                }
                match m.ty {
                    NLMSG_ERROR => {
                        let (errno, extack) = parse_error(m.flags, &m.payload)
                            .ok_or_else(|| NetlinkError::invalid(op, "short NLMSG_ERROR"))?;
                        if errno == 0 {
                            return Ok(replies);
                        }
                        return Err(NetlinkError {
                            op,
                            extack,
                            source: io::Error::from_raw_os_error(errno),
                        });
                    }
                    NLMSG_DONE => return Ok(replies),
                    NLMSG_NOOP => {}
                    _ => replies.push(m),
                }
            }
        }
    }
}

impl AsFd for RouteSocket {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }
}

/// `setsockopt(fd, level, opt, &value, sizeof(int))`.
pub(crate) fn setsockopt_int(
    fd: BorrowedFd<'_>,
    level: libc::c_int,
    opt: libc::c_int,
    value: libc::c_int,
) -> io::Result<()> {
    let ptr: *const libc::c_int = &value;
    // SAFETY: `ptr` points to a live int whose size is passed; the fd is
    // borrowed, so open.
    let ret = unsafe {
        libc::setsockopt(
            fd.as_raw_fd(),
            level,
            opt,
            ptr.cast(),
            std::mem::size_of::<libc::c_int>() as libc::socklen_t,
        )
    };
    if ret < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// Which `clsact` hook a tc filter sits on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TcHook {
    /// Ingress (`TC_H_MIN_INGRESS`).
    Ingress,
    /// Egress (`TC_H_MIN_EGRESS`).
    Egress,
}

impl TcHook {
    /// The filter's `tcm_parent`.
    pub const fn parent(self) -> u32 {
        tc_h_make(
            TC_H_CLSACT,
            match self {
                Self::Ingress => TC_H_MIN_INGRESS,
                Self::Egress => TC_H_MIN_EGRESS,
            },
        )
    }
}

/// `RTM_NEWQDISC` of kind `clsact` on `ifindex`. Returns `true` if the
/// qdisc was created, `false` if the interface already had one.
pub fn tc_clsact_create(sock: &mut RouteSocket, ifindex: u32) -> Result<bool, NetlinkError> {
    let mut msg = MessageBuilder::new(RTM_NEWQDISC, NLM_F_REQUEST | NLM_F_CREATE | NLM_F_EXCL);
    msg.tcmsg(&TcMsg {
        family: libc::AF_UNSPEC as u8,
        ifindex: ifindex as i32,
        handle: tc_h_make(TC_H_CLSACT, 0),
        parent: TC_H_CLSACT,
        info: 0,
    })
    .attr_str(TCA_KIND, "clsact");
    match sock.request("RTM_NEWQDISC", &mut msg) {
        Ok(_) => Ok(true),
        Err(e) if e.errno() == Some(libc::EEXIST) => Ok(false),
        Err(e) => Err(e),
    }
}

/// `RTM_DELQDISC` of the `clsact` qdisc on `ifindex` (which removes every
/// filter on it).
pub fn tc_clsact_delete(sock: &mut RouteSocket, ifindex: u32) -> Result<(), NetlinkError> {
    let mut msg = MessageBuilder::new(RTM_DELQDISC, NLM_F_REQUEST);
    msg.tcmsg(&TcMsg {
        family: libc::AF_UNSPEC as u8,
        ifindex: ifindex as i32,
        handle: tc_h_make(TC_H_CLSACT, 0),
        parent: TC_H_CLSACT,
        info: 0,
    })
    .attr_str(TCA_KIND, "clsact");
    sock.request("RTM_DELQDISC", &mut msg).map(drop)
}

/// Arguments of [`tc_filter_add_bpf`].
#[derive(Debug, Clone, Copy)]
pub struct TcFilterArgs<'a> {
    /// The interface.
    pub ifindex: u32,
    /// The `clsact` hook.
    pub hook: TcHook,
    /// `tcm_handle`—0 lets the kernel choose.
    pub handle: u32,
    /// Priority (1 is first); 0 lets the kernel choose.
    pub priority: u16,
    /// The `SCHED_CLS` program.
    pub prog: BorrowedFd<'a>,
    /// `TCA_BPF_NAME`—A name for `tc filter show`.
    pub name: &'a str,
    /// Replace an existing filter with the same handle and priority
    /// (`NLM_F_REPLACE`) instead of failing (`NLM_F_EXCL`).
    pub replace: bool,
}

/// A tc filter as the kernel reported it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TcFilter {
    /// The interface.
    pub ifindex: u32,
    /// The hook.
    pub hook: TcHook,
    /// The handle (kernel-chosen if 0 was asked).
    pub handle: u32,
    /// The priority (kernel-chosen if 0 was asked).
    pub priority: u16,
    /// `TCA_BPF_ID`—The program attached.
    pub prog_id: Option<u32>,
}

/// `RTM_NEWTFILTER` of kind `bpf` in direct-action mode, protocol
/// `ETH_P_ALL`, on a `clsact` hook (the qdisc must exist: see
/// [`tc_clsact_create`]). The kernel's echo of the new filter gives the
/// handle and priority it chose.
pub fn tc_filter_add_bpf(
    sock: &mut RouteSocket,
    args: &TcFilterArgs<'_>,
) -> Result<TcFilter, NetlinkError> {
    const OP: &str = "RTM_NEWTFILTER";
    let excl = if args.replace {
        NLM_F_REPLACE
    } else {
        NLM_F_EXCL
    };
    let mut msg = MessageBuilder::new(
        RTM_NEWTFILTER,
        NLM_F_REQUEST | NLM_F_CREATE | NLM_F_ECHO | excl,
    );
    msg.tcmsg(&TcMsg {
        family: libc::AF_UNSPEC as u8,
        ifindex: args.ifindex as i32,
        handle: args.handle,
        parent: args.hook.parent(),
        info: tc_h_make(u32::from(args.priority) << 16, ETH_P_ALL.to_be()),
    })
    .attr_str(TCA_KIND, "bpf")
    .begin_nested(TCA_OPTIONS)
    .attr_u32(TCA_BPF_FD, args.prog.as_raw_fd() as u32)
    .attr_str(TCA_BPF_NAME, args.name)
    .attr_u32(TCA_BPF_FLAGS, TCA_BPF_FLAG_ACT_DIRECT)
    .end_nested();
    let replies = sock.request(OP, &mut msg)?;
    for m in replies.iter().filter(|m| m.ty == RTM_NEWTFILTER) {
        let Some(tc) = TcMsg::parse(&m.payload) else {
            continue;
        };
        let mut prog_id = None;
        if let Some(rest) = m.payload.get(TCMSG_LEN..) {
            for (ty, p) in attrs(rest) {
                if ty == TCA_OPTIONS {
                    for (ty, p) in attrs(p) {
                        if ty == TCA_BPF_ID {
                            prog_id = attr_u32(p);
                        }
                    }
                }
            }
        }
        return Ok(TcFilter {
            ifindex: args.ifindex,
            hook: args.hook,
            handle: tc.handle,
            priority: (tc.info >> 16) as u16,
            prog_id,
        });
    }
    // No echo (should not happen): report what was asked.
    if args.handle == 0 || args.priority == 0 {
        return Err(NetlinkError::invalid(
            OP,
            "the kernel did not echo the new filter, so its handle is unknown",
        ));
    }
    Ok(TcFilter {
        ifindex: args.ifindex,
        hook: args.hook,
        handle: args.handle,
        priority: args.priority,
        prog_id: None,
    })
}

/// `RTM_DELTFILTER` of one `bpf` filter.
pub fn tc_filter_del(sock: &mut RouteSocket, filter: &TcFilter) -> Result<(), NetlinkError> {
    let mut msg = MessageBuilder::new(RTM_DELTFILTER, NLM_F_REQUEST);
    msg.tcmsg(&TcMsg {
        family: libc::AF_UNSPEC as u8,
        ifindex: filter.ifindex as i32,
        handle: filter.handle,
        parent: filter.hook.parent(),
        info: tc_h_make(u32::from(filter.priority) << 16, ETH_P_ALL.to_be()),
    })
    .attr_str(TCA_KIND, "bpf");
    sock.request("RTM_DELTFILTER", &mut msg).map(drop)
}

/// `RTM_GETTFILTER` dump of a `clsact` hook: the `bpf` filters on it.
pub fn tc_filter_list(
    sock: &mut RouteSocket,
    ifindex: u32,
    hook: TcHook,
) -> Result<Vec<TcFilter>, NetlinkError> {
    let mut msg = MessageBuilder::new(RTM_GETTFILTER, NLM_F_REQUEST | NLM_F_DUMP);
    msg.tcmsg(&TcMsg {
        family: libc::AF_UNSPEC as u8,
        ifindex: ifindex as i32,
        handle: 0,
        parent: hook.parent(),
        info: 0,
    });
    let replies = sock.request("RTM_GETTFILTER", &mut msg)?;
    let mut out = Vec::new();
    for m in replies.iter().filter(|m| m.ty == RTM_NEWTFILTER) {
        let Some(tc) = TcMsg::parse(&m.payload) else {
            continue;
        };
        let mut kind_bpf = false;
        let mut prog_id = None;
        for (ty, p) in attrs(m.payload.get(TCMSG_LEN..).unwrap_or_default()) {
            match ty {
                TCA_KIND => kind_bpf = p.starts_with(b"bpf\0"),
                TCA_OPTIONS => {
                    for (ty, p) in attrs(p) {
                        if ty == TCA_BPF_ID {
                            prog_id = attr_u32(p);
                        }
                    }
                }
                _ => {}
            }
        }
        // The dump also lists a header entry per priority without a handle.
        if kind_bpf && tc.handle != 0 {
            out.push(TcFilter {
                ifindex,
                hook,
                handle: tc.handle,
                priority: (tc.info >> 16) as u16,
                prog_id,
            });
        }
    }
    Ok(out)
}

/// `RTM_NEWLINK`
pub const RTM_NEWLINK: u16 = 16;
/// `RTM_GETLINK`
pub const RTM_GETLINK: u16 = 18;
/// `RTM_SETLINK`
pub const RTM_SETLINK: u16 = 19;
/// Size of `struct ifinfomsg`.
pub const IFINFOMSG_LEN: usize = 16;
/// `IFLA_XDP`—Nested XDP state of a link.
pub const IFLA_XDP: u16 = 43;
/// `IFLA_XDP_FD`
pub const IFLA_XDP_FD: u16 = 1;
/// `IFLA_XDP_ATTACHED`—`XDP_ATTACHED_*`.
pub const IFLA_XDP_ATTACHED: u16 = 2;
/// `IFLA_XDP_FLAGS`
pub const IFLA_XDP_FLAGS: u16 = 3;
/// `IFLA_XDP_PROG_ID`
pub const IFLA_XDP_PROG_ID: u16 = 4;
/// `IFLA_XDP_DRV_PROG_ID`
pub const IFLA_XDP_DRV_PROG_ID: u16 = 5;
/// `IFLA_XDP_SKB_PROG_ID`
pub const IFLA_XDP_SKB_PROG_ID: u16 = 6;
/// `IFLA_XDP_HW_PROG_ID`
pub const IFLA_XDP_HW_PROG_ID: u16 = 7;
/// `IFLA_XDP_EXPECTED_FD`
pub const IFLA_XDP_EXPECTED_FD: u16 = 8;

/// `struct ifinfomsg` for `ifindex`, all else zero.
fn ifinfomsg(ifindex: u32) -> [u8; IFINFOMSG_LEN] {
    let mut b = [0u8; IFINFOMSG_LEN];
    b[0] = libc::AF_UNSPEC as u8;
    b[4..8].copy_from_slice(&(ifindex as i32).to_ne_bytes());
    b
}

/// The XDP programs attached to an interface, by mode (program IDs).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct XdpState {
    /// Native (driver) mode.
    pub driver: Option<u32>,
    /// Generic (skb) mode.
    pub generic: Option<u32>,
    /// Offloaded to the device.
    pub offload: Option<u32>,
}

/// `RTM_GETLINK` of `ifindex`: which XDP programs it has, in which mode.
pub fn xdp_query(sock: &mut RouteSocket, ifindex: u32) -> Result<XdpState, NetlinkError> {
    let mut msg = MessageBuilder::new(RTM_GETLINK, NLM_F_REQUEST);
    msg.header(&ifinfomsg(ifindex));
    let replies = sock.request("RTM_GETLINK", &mut msg)?;
    let mut state = XdpState::default();
    for m in replies.iter().filter(|m| m.ty == RTM_NEWLINK) {
        for (ty, p) in attrs(m.payload.get(IFINFOMSG_LEN..).unwrap_or_default()) {
            if ty != IFLA_XDP {
                continue;
            }
            let (mut attached, mut prog) = (0u8, None);
            for (ty, p) in attrs(p) {
                let v = attr_u32(p).filter(|&v| v != 0);
                match ty {
                    IFLA_XDP_ATTACHED => attached = p.first().copied().unwrap_or(0),
                    IFLA_XDP_PROG_ID => prog = v,
                    IFLA_XDP_DRV_PROG_ID => state.driver = v,
                    IFLA_XDP_SKB_PROG_ID => state.generic = v,
                    IFLA_XDP_HW_PROG_ID => state.offload = v,
                    _ => {}
                }
            }
            // XDP_ATTACHED_{DRV,SKB,HW}; MULTI (4) reports per-mode IDs.
            match attached {
                1 => state.driver = state.driver.or(prog),
                2 => state.generic = state.generic.or(prog),
                3 => state.offload = state.offload.or(prog),
                _ => {}
            }
        }
    }
    Ok(state)
}

/// `RTM_SETLINK` with `IFLA_XDP`: attaches `prog` to `ifindex` (or, with
/// `None`, detaches the program of the mode in `flags`). With `expected`
/// (and `XDP_FLAGS_REPLACE` in `flags`), only if that program is the one
/// attached.
pub fn xdp_set(
    sock: &mut RouteSocket,
    ifindex: u32,
    prog: Option<BorrowedFd<'_>>,
    flags: u32,
    expected: Option<BorrowedFd<'_>>,
) -> Result<(), NetlinkError> {
    let mut msg = MessageBuilder::new(RTM_SETLINK, NLM_F_REQUEST);
    msg.header(&ifinfomsg(ifindex)).begin_nested(IFLA_XDP);
    let fd = prog.map_or(-1, |p| p.as_raw_fd());
    msg.attr(IFLA_XDP_FD, &fd.to_ne_bytes());
    if flags != 0 {
        msg.attr_u32(IFLA_XDP_FLAGS, flags);
    }
    if let Some(e) = expected {
        msg.attr(IFLA_XDP_EXPECTED_FD, &e.as_raw_fd().to_ne_bytes());
    }
    msg.end_nested();
    sock.request("RTM_SETLINK", &mut msg).map(drop)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_nested_attributes() {
        let mut m = MessageBuilder::new(RTM_NEWTFILTER, NLM_F_REQUEST);
        m.tcmsg(&TcMsg {
            ifindex: 7,
            ..Default::default()
        })
        .attr_str(TCA_KIND, "bpf")
        .begin_nested(TCA_OPTIONS)
        .attr_u32(TCA_BPF_FD, 9)
        .end_nested();
        let bytes = m.finish(5, 42);
        // 16 header + 20 tcmsg + 8 ("bpf\0") + 4 nest + 8 u32.
        assert_eq!(bytes.len(), 56);
        assert_eq!(u32::from_ne_bytes(bytes[0..4].try_into().unwrap()), 56);
        assert_eq!(u32::from_ne_bytes(bytes[8..12].try_into().unwrap()), 5);
        assert_eq!(u32::from_ne_bytes(bytes[12..16].try_into().unwrap()), 42);
        let tc = TcMsg::parse(&bytes[16..]).unwrap();
        assert_eq!(tc.ifindex, 7);
        let a: Vec<_> = attrs(&bytes[36..]).collect();
        assert_eq!(a.len(), 2);
        assert_eq!(a[0], (TCA_KIND, &b"bpf\0"[..]));
        assert_eq!(a[1].0, TCA_OPTIONS);
        let inner: Vec<_> = attrs(a[1].1).collect();
        assert_eq!(inner, vec![(TCA_BPF_FD, &9u32.to_ne_bytes()[..])]);
        // The raw nested type carries NLA_F_NESTED.
        assert_eq!(
            u16::from_ne_bytes(bytes[46..48].try_into().unwrap()),
            TCA_OPTIONS | NLA_F_NESTED
        );
    }

    #[test]
    fn parses_errors_with_extack() {
        // errno -EEXIST, capped echo of a 16-byte header, then a message TLV.
        let mut p = Vec::new();
        p.extend_from_slice(&(-libc::EEXIST).to_ne_bytes());
        p.extend_from_slice(&[0u8; NLMSG_HDRLEN]);
        let text = b"Exclusivity flag on\0";
        p.extend_from_slice(&((4 + text.len()) as u16).to_ne_bytes());
        p.extend_from_slice(&NLMSGERR_ATTR_MSG.to_ne_bytes());
        p.extend_from_slice(text);
        let (errno, msg) = parse_error(NLM_F_CAPPED | NLM_F_ACK_TLVS, &p).unwrap();
        assert_eq!(errno, libc::EEXIST);
        assert_eq!(msg.as_deref(), Some("Exclusivity flag on"));
        let (errno, msg) = parse_error(0, &0i32.to_ne_bytes()).unwrap();
        assert_eq!((errno, msg), (0, None));
        assert!(parse_error(0, &[1, 2]).is_none());
    }

    #[test]
    fn rejects_truncated_messages() {
        let mut m = MessageBuilder::new(NLMSG_ERROR, 0);
        m.header(&0i32.to_ne_bytes());
        let bytes = m.finish(1, 0);
        assert_eq!(parse_messages(&bytes).unwrap().len(), 1);
        assert!(parse_messages(&bytes[..bytes.len() - 1]).is_err());
        let mut bad = bytes.clone();
        bad[0..4].copy_from_slice(&8u32.to_ne_bytes());
        assert!(parse_messages(&bad).is_err());
        // A malformed attribute ends the iteration instead of panicking.
        assert_eq!(attrs(&[200, 0, 1, 0, 0]).count(), 0);
    }

    #[test]
    fn handles() {
        assert_eq!(TcHook::Ingress.parent(), 0xffff_fff2);
        assert_eq!(TcHook::Egress.parent(), 0xffff_fff3);
        assert_eq!(tc_h_make(1 << 16, 0x0300), 0x0001_0300);
    }
}
