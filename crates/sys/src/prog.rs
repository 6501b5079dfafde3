//! Program commands: `BPF_PROG_LOAD`, `BPF_PROG_TEST_RUN`,
//! `BPF_PROG_ATTACH`/`DETACH`/`QUERY` and `BPF_PROG_BIND_MAP`.

use std::borrow::Cow;
use std::ffi::CStr;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};

use crate::attr::{ProgAttachAttr, ProgBindMapAttr, ProgLoadAttr, ProgQueryAttr, TestRunAttr};
use crate::bpf::ObjName;
use crate::bpf::{cstr_ptr, fd_u32, len_u32, opt_fd_u32, ptr, ptr_mut, sys_bpf, sys_bpf_fd};
use crate::error::{einval, Result, SyscallError};
use crate::flags::{AttachFlags, LogLevel, ProgFlags, QueryFlags, TestRunFlags};
use crate::insn::BpfInsn;
use crate::types::{AttachType, Cmd, LinkId, ProgId, ProgramType};

/// Largest log buffer the kernel accepts (`UINT_MAX >> 2`); longer buffers
/// are passed with this length.
pub const MAX_LOG_SIZE: u32 = u32::MAX >> 2;

/// A verifier (or BTF) log buffer with its level, and the size the kernel
/// reports the full log needs.
///
/// The kernel writes a NUL-terminated log into the buffer. Since Linux 6.4
/// it also reports [`true_size`](Self::true_size), the buffer size the
/// complete log needs; a caller whose log was truncated can retry with a
/// buffer that large. Since 6.4 the log is rotating by default (a truncated
/// log holds the *last* bytes); [`LogLevel::FIXED`] keeps the first ones.
#[derive(Debug)]
pub struct LogBuffer<'a> {
    buf: &'a mut [u8],
    level: LogLevel,
    true_size: u32,
}

impl<'a> LogBuffer<'a> {
    /// A log of `level` written into `buf` (at most [`MAX_LOG_SIZE`]
    /// bytes of it are used).
    ///
    /// An empty `buf` with a non-empty level asks only for
    /// [`true_size`](Self::true_size) (Linux 6.4+).
    pub fn new(buf: &'a mut [u8], level: LogLevel) -> Self {
        if let Some(first) = buf.first_mut() {
            *first = 0;
        }
        Self {
            buf,
            level,
            true_size: 0,
        }
    }

    /// The log level.
    pub fn level(&self) -> LogLevel {
        self.level
    }

    /// `log_true_size`—The buffer size the complete log needs, including
    /// the terminating NUL, as reported by the last call; 0 before a call
    /// and on kernels before 6.4.
    pub fn true_size(&self) -> u32 {
        self.true_size
    }

    /// Whether the last call's log did not fit (known on Linux 6.4+ only).
    pub fn is_truncated(&self) -> bool {
        self.true_size as usize > self.usable_len()
    }

    /// The log text, up to its terminating NUL.
    pub fn as_bytes(&self) -> &[u8] {
        let len = self
            .buf
            .iter()
            .position(|&b| b == 0)
            .unwrap_or(self.buf.len());
        &self.buf[..len]
    }

    /// The log text as UTF-8, with invalid sequences replaced.
    pub fn to_string_lossy(&self) -> Cow<'_, str> {
        String::from_utf8_lossy(self.as_bytes())
    }

    /// Records the kernel's `log_true_size`.
    pub(crate) fn set_true_size(&mut self, size: u32) {
        self.true_size = size;
    }

    fn usable_len(&self) -> usize {
        self.buf.len().min(MAX_LOG_SIZE as usize)
    }

    /// Pointer, size and level for the attr. With an empty level no buffer
    /// is passed (the kernel rejects a buffer without a level).
    pub(crate) fn raw_parts(&mut self) -> (u64, u32, u32) {
        if self.level.is_empty() {
            return (0, 0, 0);
        }
        let len = self.usable_len();
        let buf = &mut self.buf[..len];
        // Length fits: `usable_len` is capped at `MAX_LOG_SIZE`.
        (ptr_mut(buf), len as u32, self.level.bits())
    }
}

/// An array of BTF.ext-style records (`func_info`, `line_info`,
/// `core_relos`): raw bytes plus the size of one record.
#[derive(Debug, Clone, Copy, Default)]
pub struct Records<'a> {
    /// The records, back to back.
    pub data: &'a [u8],
    /// The size of one record; `data.len()` must be a multiple of it.
    pub rec_size: u32,
}

impl Records<'_> {
    /// Pointer, count and record size for the attr.
    fn raw_parts(&self, call: &'static str) -> Result<(u64, u32, u32)> {
        if self.data.is_empty() {
            return Ok((0, 0, 0));
        }
        let size = self.rec_size as usize;
        if size == 0 || self.data.len() % size != 0 {
            return Err(einval(call));
        }
        Ok((
            ptr(self.data),
            len_u32(self.data.len() / size, call)?,
            self.rec_size,
        ))
    }
}

/// What to load with [`prog_load`]: the typed form of `ProgLoadAttr`.
///
/// Start from `Default`. Setting `token` also sets `BPF_F_TOKEN_FD`.
#[derive(Debug, Clone, Copy, Default)]
pub struct ProgLoadArgs<'a> {
    /// `prog_type`
    pub prog_type: ProgramType,
    /// `insns`/`insn_cnt`
    pub insns: &'a [BpfInsn],
    /// `license`, e.g. `c"GPL"`; GPL-only helpers need a GPL-compatible one.
    pub license: &'a CStr,
    /// `kern_version`—Ignored by kernels since 5.0.
    pub kern_version: u32,
    /// `prog_flags`
    pub prog_flags: ProgFlags,
    /// `prog_name`
    pub name: ObjName,
    /// `prog_ifindex`—Device to offload to or bind to, or 0.
    pub prog_ifindex: u32,
    /// `expected_attach_type`
    pub expected_attach_type: AttachType,
    /// `prog_btf_fd`—BTF for `func_info`/`line_info`/`core_relos`.
    pub prog_btf: Option<BorrowedFd<'a>>,
    /// `func_info`/`func_info_cnt`/`func_info_rec_size`
    pub func_info: Records<'a>,
    /// `line_info`/`line_info_cnt`/`line_info_rec_size`
    pub line_info: Records<'a>,
    /// `attach_btf_id`
    pub attach_btf_id: u32,
    /// `attach_prog_fd` or `attach_btf_obj_fd` (one field in the kernel):
    /// the program an `EXT`/tracing program attaches to, or the module BTF
    /// holding `attach_btf_id` (`None`: vmlinux).
    pub attach_fd: Option<BorrowedFd<'a>>,
    /// `core_relos`/`core_relo_cnt`/`core_relo_rec_size`—CO-RE relocations
    /// for the kernel to apply.
    pub core_relos: Records<'a>,
    /// `fd_array`—Fds referenced by index from instructions (maps with
    /// `BPF_PSEUDO_MAP_IDX`, module BTFs of kfunc calls).
    pub fd_array: &'a [BorrowedFd<'a>],
    /// Also pass `fd_array_cnt`, binding every map in `fd_array` to the
    /// program (Linux 6.13+).
    pub bind_fd_array: bool,
    /// `prog_token_fd`; `Some` also sets `BPF_F_TOKEN_FD`.
    pub token: Option<BorrowedFd<'a>>,
    /// `signature`/`signature_size`—Signature of a signed loader program.
    pub signature: &'a [u8],
    /// `keyring_id`—Keyring to verify `signature` with.
    pub keyring_id: i32,
}

impl ProgLoadArgs<'_> {
    /// The attr these arguments describe, without the log fields. Its
    /// pointer fields point into `self` and what it borrows.
    fn build_attr(&self) -> Result<ProgLoadAttr> {
        const CALL: &str = "BPF_PROG_LOAD";
        let (func_info, func_info_cnt, func_info_rec_size) = self.func_info.raw_parts(CALL)?;
        let (line_info, line_info_cnt, line_info_rec_size) = self.line_info.raw_parts(CALL)?;
        let (core_relos, core_relo_cnt, core_relo_rec_size) = self.core_relos.raw_parts(CALL)?;
        let mut flags = self.prog_flags;
        flags.set(ProgFlags::TOKEN_FD, self.token.is_some());
        Ok(ProgLoadAttr {
            prog_type: self.prog_type.as_raw(),
            insn_cnt: len_u32(self.insns.len(), CALL)?,
            insns: ptr(self.insns),
            license: cstr_ptr(self.license),
            kern_version: self.kern_version,
            prog_flags: flags.bits(),
            prog_name: self.name.to_array(),
            prog_ifindex: self.prog_ifindex,
            expected_attach_type: self.expected_attach_type.as_raw(),
            prog_btf_fd: opt_fd_u32(self.prog_btf),
            func_info_rec_size,
            func_info,
            func_info_cnt,
            line_info_rec_size,
            line_info,
            line_info_cnt,
            attach_btf_id: self.attach_btf_id,
            attach_prog_fd: opt_fd_u32(self.attach_fd),
            core_relo_cnt,
            fd_array: ptr(self.fd_array),
            core_relos,
            core_relo_rec_size,
            prog_token_fd: self.token.map_or(0, |fd| fd.as_raw_fd()),
            fd_array_cnt: if self.bind_fd_array {
                len_u32(self.fd_array.len(), CALL)?
            } else {
                0
            },
            signature: ptr(self.signature),
            signature_size: len_u32(self.signature.len(), CALL)?,
            keyring_id: self.keyring_id,
            ..Default::default()
        })
    }
}

/// Number of attempts `prog_load` makes while the kernel says `EAGAIN`,
/// as libbpf does.
const PROG_LOAD_ATTEMPTS: usize = 5;

/// `BPF_PROG_LOAD`—Verifies and loads a program, returning its fd.
///
/// With `log`, the verifier writes its log there and the size the full log
/// needs is available from [`LogBuffer::true_size`] afterwards, whether the
/// load succeeded or not; a truncated log makes the load fail with
/// `ENOSPC` (even if the program is fine), so callers that want a complete
/// log retry with a bigger buffer. The verifier's rejection is `EACCES`
/// (or `EINVAL` for malformed programs).
///
/// `EAGAIN` (the verifier was interrupted or ran out of a transient
/// resource) is retried up to 5 times in all, like libbpf does.
///
/// # Minimum kernel version
///
/// 3.19; most fields are newer.
pub fn prog_load(
    args: &ProgLoadArgs<'_>,
    mut log: Option<&mut LogBuffer<'_>>,
) -> Result<OwnedFd, SyscallError> {
    let mut attr = args.build_attr()?;
    if let Some(log) = log.as_deref_mut() {
        let (buf, size, level) = log.raw_parts();
        attr.log_buf = buf;
        attr.log_size = size;
        attr.log_level = level;
    }
    let mut attempt = 1;
    let result = loop {
        // SAFETY: all pointers in `attr` borrow `args` (instructions,
        // license, records with their exact counts, fd array, signature)
        // or the exclusively borrowed log buffer (with its exact length),
        // all alive for the call; its fds are borrowed from `args`;
        // `BPF_PROG_LOAD` returns a new fd.
        let result = unsafe { sys_bpf_fd(Cmd::PROG_LOAD, &mut attr) };
        match result {
            Err(e) if e.errno() == libc::EAGAIN && attempt < PROG_LOAD_ATTEMPTS => attempt += 1,
            other => break other,
        }
    };
    if let Some(log) = log {
        log.set_true_size(attr.log_true_size);
    }
    result
}

/// Input and output buffers of [`prog_test_run`].
#[derive(Debug, Default)]
pub struct TestRunArgs<'a> {
    /// `data_in`—Input packet or data.
    pub data_in: &'a [u8],
    /// `data_out`—Receives the output packet; `ENOSPC` if too small (the
    /// needed size is in [`TestRunOutput::data_size_out`]).
    pub data_out: Option<&'a mut [u8]>,
    /// `ctx_in`—Input context (e.g. `struct __sk_buff`, `struct xdp_md`).
    pub ctx_in: &'a [u8],
    /// `ctx_out`—Receives the output context.
    pub ctx_out: Option<&'a mut [u8]>,
    /// `repeat`—Number of runs (0 means 1).
    pub repeat: u32,
    /// `flags`
    pub flags: TestRunFlags,
    /// `cpu`—With [`TestRunFlags::RUN_ON_CPU`].
    pub cpu: u32,
    /// `batch_size`—With [`TestRunFlags::XDP_LIVE_FRAMES`].
    pub batch_size: u32,
}

/// Results of [`prog_test_run`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TestRunOutput {
    /// `retval`—The program's return value (of the last run).
    pub retval: u32,
    /// `duration`—Average run time in nanoseconds.
    pub duration: u32,
    /// `data_size_out`—Size of the output data (may exceed `data_out`).
    pub data_size_out: u32,
    /// `ctx_size_out`—Size of the output context.
    pub ctx_size_out: u32,
}

/// `BPF_PROG_TEST_RUN`—Runs a program on the given input in the kernel
/// (also known as `BPF_PROG_RUN`).
///
/// # Minimum kernel version
///
/// 4.12; support depends on the program type.
pub fn prog_test_run(
    prog: impl AsFd,
    args: &mut TestRunArgs<'_>,
) -> Result<TestRunOutput, SyscallError> {
    const CALL: &str = "BPF_PROG_TEST_RUN";
    let (data_out, data_size_out) = match args.data_out.as_deref_mut() {
        Some(buf) => (ptr_mut(buf), len_u32(buf.len(), CALL)?),
        None => (0, 0),
    };
    let (ctx_out, ctx_size_out) = match args.ctx_out.as_deref_mut() {
        Some(buf) => (ptr_mut(buf), len_u32(buf.len(), CALL)?),
        None => (0, 0),
    };
    let mut attr = TestRunAttr {
        prog_fd: fd_u32(prog.as_fd()),
        data_size_in: len_u32(args.data_in.len(), CALL)?,
        data_size_out,
        data_in: ptr(args.data_in),
        data_out,
        repeat: args.repeat,
        ctx_size_in: len_u32(args.ctx_in.len(), CALL)?,
        ctx_size_out,
        ctx_in: ptr(args.ctx_in),
        ctx_out,
        flags: args.flags.bits(),
        cpu: args.cpu,
        batch_size: args.batch_size,
        ..Default::default()
    };
    // SAFETY: the input pointers borrow `args` with their exact lengths;
    // the output pointers are exclusively borrowed from `args` with their
    // exact lengths as `*_size_out`, which bounds the kernel's copies; the
    // command creates no fd.
    unsafe { sys_bpf(Cmd::PROG_TEST_RUN, &mut attr) }?;
    Ok(TestRunOutput {
        retval: attr.retval,
        duration: attr.duration,
        data_size_out: attr.data_size_out,
        ctx_size_out: attr.ctx_size_out,
    })
}

/// What a program is attached to: an object given by fd (cgroup, map,
/// netns, …) or a network device given by index (tcx).
#[derive(Debug, Clone, Copy)]
pub enum AttachTarget<'a> {
    /// `target_fd`
    Fd(BorrowedFd<'a>),
    /// `target_ifindex`
    Ifindex(u32),
}

impl AttachTarget<'_> {
    fn raw(self) -> u32 {
        match self {
            Self::Fd(fd) => fd_u32(fd),
            Self::Ifindex(index) => index,
        }
    }
}

/// The anchor of a `BPF_F_BEFORE`/`BPF_F_AFTER` attachment
/// (`relative_fd`/`relative_id`).
///
/// [`Relative::Id`] makes the wrappers set `BPF_F_ID`; whether the anchor
/// is a program or a link is told by `BPF_F_LINK`, set by the caller.
#[derive(Debug, Clone, Copy, Default)]
pub enum Relative<'a> {
    /// No anchor (0).
    #[default]
    None,
    /// `relative_fd`
    Fd(BorrowedFd<'a>),
    /// `relative_id` (a program or link ID)
    Id(u32),
}

impl Relative<'_> {
    /// The raw field and the flag it implies.
    pub(crate) fn raw(self) -> (u32, AttachFlags) {
        match self {
            Self::None => (0, AttachFlags::empty()),
            Self::Fd(fd) => (fd_u32(fd), AttachFlags::empty()),
            Self::Id(id) => (id, AttachFlags::ID),
        }
    }
}

/// Arguments of [`prog_attach`].
#[derive(Debug, Clone, Copy)]
pub struct ProgAttachArgs<'a> {
    /// `target_fd`/`target_ifindex`
    pub target: AttachTarget<'a>,
    /// `attach_bpf_fd`—The program.
    pub prog: BorrowedFd<'a>,
    /// `attach_type`
    pub attach_type: AttachType,
    /// `attach_flags`
    pub flags: AttachFlags,
    /// `replace_bpf_fd`—With [`AttachFlags::REPLACE`].
    pub replace: Option<BorrowedFd<'a>>,
    /// `relative_fd`/`relative_id`
    pub relative: Relative<'a>,
    /// `expected_revision`—0 for any.
    pub expected_revision: u64,
}

/// `BPF_PROG_ATTACH`—Attaches a program to a cgroup, socket map, netns,
/// network device (tcx), ….
///
/// # Minimum kernel version
///
/// 4.10; the ordering fields (`relative`, `expected_revision`) 6.6.
pub fn prog_attach(args: &ProgAttachArgs<'_>) -> Result<(), SyscallError> {
    let (relative_fd, implied) = args.relative.raw();
    let mut attr = ProgAttachAttr {
        target_fd: args.target.raw(),
        attach_bpf_fd: fd_u32(args.prog),
        attach_type: args.attach_type.as_raw(),
        attach_flags: (args.flags | implied).bits(),
        replace_bpf_fd: opt_fd_u32(args.replace),
        relative_fd,
        expected_revision: args.expected_revision,
    };
    // SAFETY: the attr holds no pointers; its fds are borrowed from `args`.
    unsafe { sys_bpf(Cmd::PROG_ATTACH, &mut attr) }.map(drop)
}

/// Arguments of [`prog_detach`].
#[derive(Debug, Clone, Copy)]
pub struct ProgDetachArgs<'a> {
    /// `target_fd`/`target_ifindex`
    pub target: AttachTarget<'a>,
    /// `attach_bpf_fd`—The program to detach; `None` detaches the only one
    /// (legacy single-program attach points).
    pub prog: Option<BorrowedFd<'a>>,
    /// `attach_type`
    pub attach_type: AttachType,
    /// `attach_flags`
    pub flags: AttachFlags,
    /// `relative_fd`/`relative_id`
    pub relative: Relative<'a>,
    /// `expected_revision`—0 for any.
    pub expected_revision: u64,
}

/// `BPF_PROG_DETACH`—Detaches a program attached with [`prog_attach`].
///
/// # Minimum kernel version
///
/// 4.10
pub fn prog_detach(args: &ProgDetachArgs<'_>) -> Result<(), SyscallError> {
    let (relative_fd, implied) = args.relative.raw();
    let mut attr = ProgAttachAttr {
        target_fd: args.target.raw(),
        attach_bpf_fd: opt_fd_u32(args.prog),
        attach_type: args.attach_type.as_raw(),
        attach_flags: (args.flags | implied).bits(),
        relative_fd,
        expected_revision: args.expected_revision,
        ..Default::default()
    };
    // SAFETY: the attr holds no pointers; its fds are borrowed from `args`.
    unsafe { sys_bpf(Cmd::PROG_DETACH, &mut attr) }.map(drop)
}

/// Arguments of [`prog_query`]: what to query, and buffers for the answer.
///
/// The optional arrays, if given, must be at least as long as `prog_ids`.
#[derive(Debug)]
pub struct ProgQueryArgs<'a> {
    /// `target_fd`/`target_ifindex`
    pub target: AttachTarget<'a>,
    /// `attach_type`
    pub attach_type: AttachType,
    /// `query_flags`
    pub query_flags: QueryFlags,
    /// `prog_ids`—Receives the IDs of the attached programs.
    pub prog_ids: &'a mut [ProgId],
    /// `prog_attach_flags`—Receives per-program attach flags.
    pub prog_attach_flags: Option<&'a mut [u32]>,
    /// `link_ids`—Receives the IDs of the links (0 for direct attachments).
    pub link_ids: Option<&'a mut [LinkId]>,
    /// `link_attach_flags`—Receives per-link attach flags.
    pub link_attach_flags: Option<&'a mut [u32]>,
}

/// Results of [`prog_query`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProgQueryOutput {
    /// `attach_flags`—Flags of the attach point (cgroups).
    pub attach_flags: AttachFlags,
    /// `count`—Number of attached programs; more than the buffers hold
    /// when the call failed with `ENOSPC`.
    pub count: u32,
    /// `revision`—Revision of the attach point (tcx, netkit; 6.6+).
    pub revision: u64,
}

/// `BPF_PROG_QUERY`—Lists the programs attached to a cgroup, netns,
/// device, ….
///
/// Call with an empty `prog_ids` to learn the count. `ENOSPC` means the
/// buffers are too small.
///
/// # Minimum kernel version
///
/// 4.15
pub fn prog_query(args: &mut ProgQueryArgs<'_>) -> Result<ProgQueryOutput, SyscallError> {
    const CALL: &str = "BPF_PROG_QUERY";
    let n = args.prog_ids.len();
    fn opt_ptr<T>(buf: Option<&mut [T]>, n: usize) -> Result<u64> {
        match buf {
            None => Ok(0),
            Some(buf) if buf.len() >= n => Ok(ptr_mut(&mut buf[..n])),
            Some(_) => Err(einval(CALL)),
        }
    }
    let mut attr = ProgQueryAttr {
        target_fd: args.target.raw(),
        attach_type: args.attach_type.as_raw(),
        query_flags: args.query_flags.bits(),
        prog_ids: ptr_mut(args.prog_ids),
        count: len_u32(n, CALL)?,
        prog_attach_flags: opt_ptr(args.prog_attach_flags.as_deref_mut(), n)?,
        link_ids: opt_ptr(args.link_ids.as_deref_mut(), n)?,
        link_attach_flags: opt_ptr(args.link_attach_flags.as_deref_mut(), n)?,
        ..Default::default()
    };
    // SAFETY: every array pointer is null or points into an exclusively
    // borrowed buffer of at least `count` entries of the 4-byte type the
    // kernel writes, and the kernel writes at most `count` entries; the
    // command creates no fd.
    unsafe { sys_bpf(Cmd::PROG_QUERY, &mut attr) }?;
    Ok(ProgQueryOutput {
        attach_flags: AttachFlags::from_bits_retain(attr.attach_flags),
        count: attr.count,
        revision: attr.revision,
    })
}

/// `BPF_PROG_BIND_MAP`—Keeps `map` alive as long as `prog`, without the
/// program referencing it (for metadata maps).
///
/// # Minimum kernel version
///
/// 5.10
pub fn prog_bind_map(prog: impl AsFd, map: impl AsFd) -> Result<(), SyscallError> {
    let mut attr = ProgBindMapAttr {
        prog_fd: fd_u32(prog.as_fd()),
        map_fd: fd_u32(map.as_fd()),
        flags: 0,
    };
    // SAFETY: the attr holds no pointers; the fds are borrowed.
    unsafe { sys_bpf(Cmd::PROG_BIND_MAP, &mut attr) }.map(drop)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_are_checked() {
        let data = [0u8; 24];
        let ok = Records {
            data: &data,
            rec_size: 8,
        };
        assert_eq!(ok.raw_parts("X").unwrap().1, 3);
        let bad = Records {
            data: &data,
            rec_size: 16,
        };
        assert!(bad.raw_parts("X").is_err());
        let zero = Records {
            data: &data,
            rec_size: 0,
        };
        assert!(zero.raw_parts("X").is_err());
        assert_eq!(Records::default().raw_parts("X").unwrap(), (0, 0, 0));
    }

    #[test]
    fn log_buffer() {
        let mut buf = *b"hello\0world";
        let mut log = LogBuffer::new(&mut buf, LogLevel::LEVEL1);
        assert_eq!(log.as_bytes(), b"");
        log.buf[0] = b'h';
        assert_eq!(log.as_bytes(), b"hello");
        assert_eq!(log.to_string_lossy(), "hello");
        log.true_size = 100;
        assert!(log.is_truncated());
        let (_, size, level) = log.raw_parts();
        assert_eq!((size, level), (11, 1));
        let mut quiet_buf = [0u8; 8];
        let mut quiet = LogBuffer::new(&mut quiet_buf, LogLevel::empty());
        assert_eq!(quiet.raw_parts(), (0, 0, 0));
    }

    #[test]
    fn load_args_attr() {
        let insns = [
            BpfInsn::new(0xb7, 0, 0, 0, 2),
            BpfInsn::new(0x95, 0, 0, 0, 0),
        ];
        let args = ProgLoadArgs {
            prog_type: ProgramType::XDP,
            insns: &insns,
            license: c"GPL",
            ..Default::default()
        };
        let attr = args.build_attr().unwrap();
        assert_eq!(attr.insn_cnt, 2);
        assert_eq!(attr.insns, insns.as_ptr() as u64);
        assert_eq!(attr.prog_type, 6);
        assert_eq!(attr.fd_array, 0);
        assert_eq!(attr.fd_array_cnt, 0);
        assert_eq!(attr.prog_flags, 0);
    }
}
