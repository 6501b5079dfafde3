//! `perf_event_open(2)` and the perf ioctls BPF needs.

use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};

use bitflags::bitflags;

use crate::bpf::owned_fd;
use crate::error::{Result, SyscallError};
use crate::types::kernel_enum;

kernel_enum! {
    /// `enum perf_type_id`—The `type` of a perf event. Dynamic PMUs
    /// (`kprobe`, `uprobe`, …) have numbers assigned at boot, found in
    /// `/sys/bus/event_source/devices/<pmu>/type`.
    pub struct PerfType(u32);
    "PERF_TYPE_HARDWARE" => HARDWARE = 0;
    "PERF_TYPE_SOFTWARE" => SOFTWARE = 1;
    "PERF_TYPE_TRACEPOINT" => TRACEPOINT = 2;
    "PERF_TYPE_HW_CACHE" => HW_CACHE = 3;
    "PERF_TYPE_RAW" => RAW = 4;
    "PERF_TYPE_BREAKPOINT" => BREAKPOINT = 5;
}

kernel_enum! {
    /// `enum perf_sw_ids`—The `config` of a [`PerfType::SOFTWARE`] event.
    pub struct PerfSwId(u64);
    "PERF_COUNT_SW_CPU_CLOCK" => CPU_CLOCK = 0;
    "PERF_COUNT_SW_TASK_CLOCK" => TASK_CLOCK = 1;
    "PERF_COUNT_SW_PAGE_FAULTS" => PAGE_FAULTS = 2;
    "PERF_COUNT_SW_CONTEXT_SWITCHES" => CONTEXT_SWITCHES = 3;
    "PERF_COUNT_SW_CPU_MIGRATIONS" => CPU_MIGRATIONS = 4;
    "PERF_COUNT_SW_PAGE_FAULTS_MIN" => PAGE_FAULTS_MIN = 5;
    "PERF_COUNT_SW_PAGE_FAULTS_MAJ" => PAGE_FAULTS_MAJ = 6;
    "PERF_COUNT_SW_ALIGNMENT_FAULTS" => ALIGNMENT_FAULTS = 7;
    "PERF_COUNT_SW_EMULATION_FAULTS" => EMULATION_FAULTS = 8;
    "PERF_COUNT_SW_DUMMY" => DUMMY = 9;
    /// The event behind `bpf_perf_event_output()` and perf buffers.
    "PERF_COUNT_SW_BPF_OUTPUT" => BPF_OUTPUT = 10;
    "PERF_COUNT_SW_CGROUP_SWITCHES" => CGROUP_SWITCHES = 11;
}

/// Bit `n` of a C bitfield word of `bits` bits, allocated from the least
/// significant bit on little-endian targets and from the most significant
/// one on big-endian targets (the GCC/Clang ABI on Linux).
const fn bitfield_bit(n: u32, bits: u32) -> u32 {
    if cfg!(target_endian = "little") {
        n
    } else {
        bits - 1 - n
    }
}

macro_rules! perf_flags {
    ($($(#[doc = $doc:literal])* $name:ident = $bit:expr;)*) => {
        bitflags! {
            /// The single-bit fields of the bitfield word of
            /// `struct perf_event_attr` (`disabled:1`, `inherit:1`, …).
            ///
            /// Bit positions follow the target's bitfield allocation.
            /// The two-bit `precise_ip` field is accessed through
            /// [`PerfEventAttr::precise_ip`].
            #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
            pub struct PerfEventFlags: u64 {
                $(
                    $(#[doc = $doc])*
                    const $name = 1 << bitfield_bit($bit, 64);
                )*
            }
        }
    };
}

perf_flags! {
    /// `disabled`—Start disabled.
    DISABLED = 0;
    /// `inherit`—Children inherit the event.
    INHERIT = 1;
    /// `pinned`—Always on the PMU.
    PINNED = 2;
    /// `exclusive`—Only group on the PMU.
    EXCLUSIVE = 3;
    /// `exclude_user`—Do not count user space.
    EXCLUDE_USER = 4;
    /// `exclude_kernel`—Do not count the kernel.
    EXCLUDE_KERNEL = 5;
    /// `exclude_hv`—Do not count the hypervisor.
    EXCLUDE_HV = 6;
    /// `exclude_idle`—Do not count when idle.
    EXCLUDE_IDLE = 7;
    /// `mmap`—Include mmap data.
    MMAP = 8;
    /// `comm`—Include comm data.
    COMM = 9;
    /// `freq`—`sample_period` is a frequency.
    FREQ = 10;
    /// `inherit_stat`—Per-task counts.
    INHERIT_STAT = 11;
    /// `enable_on_exec`—Enable on the next exec.
    ENABLE_ON_EXEC = 12;
    /// `task`—Trace fork/exit.
    TASK = 13;
    /// `watermark`—`wakeup_events` is a byte watermark.
    WATERMARK = 14;
    /// `mmap_data`—Non-exec mmap data.
    MMAP_DATA = 17;
    /// `sample_id_all`—`sample_type` fields on all records.
    SAMPLE_ID_ALL = 18;
    /// `exclude_host`—Do not count in the host.
    EXCLUDE_HOST = 19;
    /// `exclude_guest`—Do not count in guests.
    EXCLUDE_GUEST = 20;
    /// `exclude_callchain_kernel`
    EXCLUDE_CALLCHAIN_KERNEL = 21;
    /// `exclude_callchain_user`
    EXCLUDE_CALLCHAIN_USER = 22;
    /// `mmap2`—Extended mmap records.
    MMAP2 = 23;
    /// `comm_exec`—Flag comm events caused by exec.
    COMM_EXEC = 24;
    /// `use_clockid`—Use `clockid` for time fields.
    USE_CLOCKID = 25;
    /// `context_switch`—Context switch records.
    CONTEXT_SWITCH = 26;
    /// `write_backward`—Write the ring buffer from end to start.
    WRITE_BACKWARD = 27;
    /// `namespaces`—Namespace records.
    NAMESPACES = 28;
    /// `ksymbol`—Kernel symbol records.
    KSYMBOL = 29;
    /// `bpf_event`—BPF program load/unload records.
    BPF_EVENT = 30;
    /// `aux_output`—Generate AUX records instead of events.
    AUX_OUTPUT = 31;
    /// `cgroup`—Cgroup records.
    CGROUP = 32;
    /// `text_poke`—Text poke records.
    TEXT_POKE = 33;
    /// `build_id`—Build IDs in mmap2 records.
    BUILD_ID = 34;
    /// `inherit_thread`—Children inherit only when cloned with `CLONE_THREAD`.
    INHERIT_THREAD = 35;
    /// `remove_on_exec`—Remove the event on exec.
    REMOVE_ON_EXEC = 36;
    /// `sigtrap`—Send `SIGTRAP` on overflow.
    SIGTRAP = 37;
}

/// Position of the two-bit `precise_ip` field in the bitfield word.
const PRECISE_IP_SHIFT: u32 = if cfg!(target_endian = "little") {
    15
} else {
    64 - 15 - 2
};

bitflags! {
    /// `sample_type`—`PERF_SAMPLE_*`: what samples record.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
    pub struct PerfSampleType: u64 {
        /// `PERF_SAMPLE_IP`
        const IP = 1 << 0;
        /// `PERF_SAMPLE_TID`
        const TID = 1 << 1;
        /// `PERF_SAMPLE_TIME`
        const TIME = 1 << 2;
        /// `PERF_SAMPLE_ADDR`
        const ADDR = 1 << 3;
        /// `PERF_SAMPLE_READ`
        const READ = 1 << 4;
        /// `PERF_SAMPLE_CALLCHAIN`
        const CALLCHAIN = 1 << 5;
        /// `PERF_SAMPLE_ID`
        const ID = 1 << 6;
        /// `PERF_SAMPLE_CPU`
        const CPU = 1 << 7;
        /// `PERF_SAMPLE_PERIOD`
        const PERIOD = 1 << 8;
        /// `PERF_SAMPLE_STREAM_ID`
        const STREAM_ID = 1 << 9;
        /// `PERF_SAMPLE_RAW`—Raw data, as written by `bpf_perf_event_output()`.
        const RAW = 1 << 10;
        /// `PERF_SAMPLE_BRANCH_STACK`
        const BRANCH_STACK = 1 << 11;
        /// `PERF_SAMPLE_REGS_USER`
        const REGS_USER = 1 << 12;
        /// `PERF_SAMPLE_STACK_USER`
        const STACK_USER = 1 << 13;
        /// `PERF_SAMPLE_WEIGHT`
        const WEIGHT = 1 << 14;
        /// `PERF_SAMPLE_DATA_SRC`
        const DATA_SRC = 1 << 15;
        /// `PERF_SAMPLE_IDENTIFIER`
        const IDENTIFIER = 1 << 16;
        /// `PERF_SAMPLE_TRANSACTION`
        const TRANSACTION = 1 << 17;
        /// `PERF_SAMPLE_REGS_INTR`
        const REGS_INTR = 1 << 18;
        /// `PERF_SAMPLE_PHYS_ADDR`
        const PHYS_ADDR = 1 << 19;
        /// `PERF_SAMPLE_AUX`
        const AUX = 1 << 20;
        /// `PERF_SAMPLE_CGROUP`
        const CGROUP = 1 << 21;
        /// `PERF_SAMPLE_DATA_PAGE_SIZE`
        const DATA_PAGE_SIZE = 1 << 22;
        /// `PERF_SAMPLE_CODE_PAGE_SIZE`
        const CODE_PAGE_SIZE = 1 << 23;
        /// `PERF_SAMPLE_WEIGHT_STRUCT`
        const WEIGHT_STRUCT = 1 << 24;
    }
}

bitflags! {
    /// The `flags` argument of `perf_event_open(2)`.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
    pub struct PerfEventOpenFlags: libc::c_ulong {
        /// `PERF_FLAG_FD_NO_GROUP`
        const FD_NO_GROUP = 1 << 0;
        /// `PERF_FLAG_FD_OUTPUT`
        const FD_OUTPUT = 1 << 1;
        /// `PERF_FLAG_PID_CGROUP`—`pid` is a cgroup directory fd.
        const PID_CGROUP = 1 << 2;
        /// `PERF_FLAG_FD_CLOEXEC`—Always set by [`perf_event_open`].
        const FD_CLOEXEC = 1 << 3;
    }
}

/// `PERF_ATTR_SIZE_VER8`—Size of [`PerfEventAttr`] (through `config3`).
pub const PERF_ATTR_SIZE: u32 = 136;

/// `struct perf_event_attr` (as of Linux 6.18, `PERF_ATTR_SIZE_VER8`).
///
/// C unions of same-sized fields are one field named after the most
/// general alias, with the others in its doc. The bitfield word is
/// [`flags`](Self::flags) ([`PerfEventFlags`] plus `precise_ip`).
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PerfEventAttr {
    /// `type`—A [`PerfType`] or a dynamic PMU's number.
    pub event_type: u32,
    /// `size`—Set to [`PERF_ATTR_SIZE`] by [`perf_event_open`].
    pub size: u32,
    /// `config`—Event selector within the type.
    pub config: u64,
    /// `sample_period` / `sample_freq` (with [`PerfEventFlags::FREQ`]).
    pub sample_period: u64,
    /// `sample_type`—[`PerfSampleType`] bits.
    pub sample_type: u64,
    /// `read_format`
    pub read_format: u64,
    /// The bitfield word: [`PerfEventFlags`] bits and `precise_ip`.
    pub flags: u64,
    /// `wakeup_events` / `wakeup_watermark`—Wake up every n events (or
    /// bytes, with [`PerfEventFlags::WATERMARK`]).
    pub wakeup_events: u32,
    /// `bp_type`
    pub bp_type: u32,
    /// `config1` / `bp_addr` / `kprobe_func` / `uprobe_path`.
    ///
    /// For the kprobe and uprobe PMUs this holds the *address* of a
    /// NUL-terminated function name or path, which the kernel reads during
    /// `perf_event_open`; keep that string alive until the call returns.
    /// (A wrong address makes the kernel read the wrong bytes or fail with
    /// `EFAULT`; it never writes through it.)
    pub config1: u64,
    /// `config2` / `bp_len` / `kprobe_addr` / `probe_offset`.
    pub config2: u64,
    /// `branch_sample_type`
    pub branch_sample_type: u64,
    /// `sample_regs_user`
    pub sample_regs_user: u64,
    /// `sample_stack_user`
    pub sample_stack_user: u32,
    /// `clockid`
    pub clockid: i32,
    /// `sample_regs_intr`
    pub sample_regs_intr: u64,
    /// `aux_watermark`
    pub aux_watermark: u32,
    /// `sample_max_stack`
    pub sample_max_stack: u16,
    /// `__reserved_2`—Must be zero.
    pub reserved_2: u16,
    /// `aux_sample_size`
    pub aux_sample_size: u32,
    /// `aux_action`—`aux_start_paused:1`, `aux_pause:1`, `aux_resume:1`.
    pub aux_action: u32,
    /// `sig_data`—Sent with `SIGTRAP`.
    pub sig_data: u64,
    /// `config3`
    pub config3: u64,
}

impl PerfEventAttr {
    /// The single-bit flags of the bitfield word (unknown bits kept).
    pub fn event_flags(&self) -> PerfEventFlags {
        PerfEventFlags::from_bits_retain(self.flags)
    }

    /// Sets the single-bit flags, keeping `precise_ip`.
    pub fn set_event_flags(&mut self, flags: PerfEventFlags) {
        let precise = self.flags & (3 << PRECISE_IP_SHIFT);
        self.flags = (flags.bits() & !(3 << PRECISE_IP_SHIFT)) | precise;
    }

    /// `precise_ip`—Skid constraint, 0 to 3.
    pub fn precise_ip(&self) -> u8 {
        ((self.flags >> PRECISE_IP_SHIFT) & 3) as u8
    }

    /// Sets `precise_ip` (masked to 2 bits).
    pub fn set_precise_ip(&mut self, value: u8) {
        self.flags =
            (self.flags & !(3 << PRECISE_IP_SHIFT)) | ((u64::from(value) & 3) << PRECISE_IP_SHIFT);
    }
}

/// `perf_event_open(attr, pid, cpu, group_fd, flags)`—Opens a perf event
/// and returns its fd.
///
/// `pid`: the process/thread to measure, 0 for the caller, -1 for all
/// (then `cpu` must be ≥ 0), or with [`PerfEventOpenFlags::PID_CGROUP`] a
/// raw cgroup directory fd. `cpu`: the CPU, or -1 for any. `group`: the
/// group leader. `attr.size` is set to [`PERF_ATTR_SIZE`] in a copy of
/// `attr`, and `PERF_FLAG_FD_CLOEXEC` is always added.
///
/// # Minimum kernel version
///
/// 2.6.31
pub fn perf_event_open(
    attr: &PerfEventAttr,
    pid: i32,
    cpu: i32,
    group: Option<BorrowedFd<'_>>,
    flags: PerfEventOpenFlags,
) -> Result<OwnedFd, SyscallError> {
    let mut attr = PerfEventAttr {
        size: PERF_ATTR_SIZE,
        ..*attr
    };
    let ptr: *mut PerfEventAttr = &mut attr;
    let group_fd = group.map_or(-1, |fd| fd.as_raw_fd());
    let flags = flags | PerfEventOpenFlags::FD_CLOEXEC;
    // SAFETY: `ptr` points to a live, fully initialised `perf_event_attr`
    // of `size` bytes that the kernel may read and write back (`size` on
    // E2BIG); `group_fd` is -1 or borrowed for the call.
    let ret = unsafe {
        libc::syscall(
            libc::SYS_perf_event_open,
            ptr,
            pid as libc::c_long,
            cpu as libc::c_long,
            group_fd as libc::c_long,
            flags.bits(),
        )
    };
    if ret < 0 {
        return Err(SyscallError::last_os_error("perf_event_open"));
    }
    // SAFETY: perf_event_open returns a new fd that nobody else owns.
    Ok(unsafe { owned_fd(ret) })
}

/// `_IOC(dir, type, nr, size)` from `asm-generic/ioctl.h`, with the
/// direction bits of the architectures that differ.
const fn ioc(dir: u32, ty: u8, nr: u8, size: usize) -> u32 {
    #[cfg(any(
        target_arch = "powerpc",
        target_arch = "powerpc64",
        target_arch = "mips",
        target_arch = "mips64",
        target_arch = "sparc",
        target_arch = "sparc64"
    ))]
    const DIR_SHIFT: u32 = 29;
    #[cfg(not(any(
        target_arch = "powerpc",
        target_arch = "powerpc64",
        target_arch = "mips",
        target_arch = "mips64",
        target_arch = "sparc",
        target_arch = "sparc64"
    )))]
    const DIR_SHIFT: u32 = 30;
    (dir << DIR_SHIFT) | ((size as u32) << 16) | ((ty as u32) << 8) | nr as u32
}

#[cfg(any(
    target_arch = "powerpc",
    target_arch = "powerpc64",
    target_arch = "mips",
    target_arch = "mips64",
    target_arch = "sparc",
    target_arch = "sparc64"
))]
mod ioc_dir {
    pub const NONE: u32 = 1;
    pub const WRITE: u32 = 4;
    pub const READ: u32 = 2;
}
#[cfg(not(any(
    target_arch = "powerpc",
    target_arch = "powerpc64",
    target_arch = "mips",
    target_arch = "mips64",
    target_arch = "sparc",
    target_arch = "sparc64"
)))]
mod ioc_dir {
    pub const NONE: u32 = 0;
    pub const WRITE: u32 = 1;
    pub const READ: u32 = 2;
}

/// `PERF_EVENT_IOC_ENABLE`—`_IO('$', 0)`
pub const PERF_EVENT_IOC_ENABLE: u32 = ioc(ioc_dir::NONE, b'$', 0, 0);
/// `PERF_EVENT_IOC_DISABLE`—`_IO('$', 1)`
pub const PERF_EVENT_IOC_DISABLE: u32 = ioc(ioc_dir::NONE, b'$', 1, 0);
/// `PERF_EVENT_IOC_ID`—`_IOR('$', 7, __u64 *)`
pub const PERF_EVENT_IOC_ID: u32 = ioc(ioc_dir::READ, b'$', 7, std::mem::size_of::<*const u64>());
/// `PERF_EVENT_IOC_SET_BPF`—`_IOW('$', 8, __u32)`
pub const PERF_EVENT_IOC_SET_BPF: u32 = ioc(ioc_dir::WRITE, b'$', 8, 4);
/// `PERF_EVENT_IOC_PAUSE_OUTPUT`—`_IOW('$', 9, __u32)`
pub const PERF_EVENT_IOC_PAUSE_OUTPUT: u32 = ioc(ioc_dir::WRITE, b'$', 9, 4);

/// Runs an ioctl whose argument is passed by value.
fn ioctl_value(
    fd: BorrowedFd<'_>,
    request: u32,
    arg: libc::c_ulong,
    call: &'static str,
) -> Result<()> {
    // SAFETY: the perf ioctls used with this helper take their argument by
    // value and do not access user memory; `fd` is borrowed for the call.
    let ret = unsafe { libc::ioctl(fd.as_raw_fd(), request as _, arg) };
    if ret < 0 {
        Err(SyscallError::last_os_error(call))
    } else {
        Ok(())
    }
}

/// `PERF_EVENT_IOC_ENABLE`—Enables the event.
pub fn perf_event_ioc_enable(event: impl AsFd) -> Result<(), SyscallError> {
    ioctl_value(
        event.as_fd(),
        PERF_EVENT_IOC_ENABLE,
        0,
        "PERF_EVENT_IOC_ENABLE",
    )
}

/// `PERF_EVENT_IOC_DISABLE`—Disables the event.
pub fn perf_event_ioc_disable(event: impl AsFd) -> Result<(), SyscallError> {
    ioctl_value(
        event.as_fd(),
        PERF_EVENT_IOC_DISABLE,
        0,
        "PERF_EVENT_IOC_DISABLE",
    )
}

/// `PERF_EVENT_IOC_SET_BPF`—Attaches a BPF program to a tracing perf event
/// (kprobe, uprobe, tracepoint) or a sampling event (`PERF_EVENT` programs).
///
/// The attachment lasts as long as the perf event fd; prefer a
/// `BPF_LINK_CREATE` perf-event link where available (5.15+).
///
/// # Minimum kernel version
///
/// 4.1
pub fn perf_event_ioc_set_bpf(event: impl AsFd, prog: impl AsFd) -> Result<(), SyscallError> {
    let prog = prog.as_fd().as_raw_fd();
    ioctl_value(
        event.as_fd(),
        PERF_EVENT_IOC_SET_BPF,
        prog as libc::c_ulong,
        "PERF_EVENT_IOC_SET_BPF",
    )
}

/// `PERF_EVENT_IOC_PAUSE_OUTPUT`—Pauses (`true`) or resumes writing to the
/// event's ring buffer.
///
/// # Minimum kernel version
///
/// 4.7
pub fn perf_event_ioc_pause_output(event: impl AsFd, pause: bool) -> Result<(), SyscallError> {
    ioctl_value(
        event.as_fd(),
        PERF_EVENT_IOC_PAUSE_OUTPUT,
        libc::c_ulong::from(pause),
        "PERF_EVENT_IOC_PAUSE_OUTPUT",
    )
}

/// `PERF_EVENT_IOC_ID`—The event's unique ID (as in `PERF_SAMPLE_ID`).
pub fn perf_event_ioc_id(event: impl AsFd) -> Result<u64, SyscallError> {
    let mut id: u64 = 0;
    let ptr: *mut u64 = &mut id;
    // SAFETY: `PERF_EVENT_IOC_ID` writes one `u64` through its argument,
    // which points to `id`, live and exclusively borrowed for the call.
    let ret = unsafe { libc::ioctl(event.as_fd().as_raw_fd(), PERF_EVENT_IOC_ID as _, ptr) };
    if ret < 0 {
        return Err(SyscallError::last_os_error("PERF_EVENT_IOC_ID"));
    }
    Ok(id)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::mem::{offset_of, size_of};

    /// Values of `_IO*` from `include/uapi/linux/perf_event.h`, Linux 6.18,
    /// on x86-64/arm64/riscv64.
    #[cfg(any(
        target_arch = "x86_64",
        target_arch = "aarch64",
        target_arch = "riscv64"
    ))]
    #[test]
    fn ioctl_numbers() {
        assert_eq!(PERF_EVENT_IOC_ENABLE, 0x2400);
        assert_eq!(PERF_EVENT_IOC_DISABLE, 0x2401);
        assert_eq!(PERF_EVENT_IOC_ID, 0x8008_2407);
        assert_eq!(PERF_EVENT_IOC_SET_BPF, 0x4004_2408);
        assert_eq!(PERF_EVENT_IOC_PAUSE_OUTPUT, 0x4004_2409);
    }

    /// `struct perf_event_attr`, Linux 6.18 (`PERF_ATTR_SIZE_VER8`);
    /// offsets computed with the C compiler from the uapi header.
    #[test]
    fn perf_event_attr_layout() {
        assert_eq!(size_of::<PerfEventAttr>(), 136);
        assert_eq!(size_of::<PerfEventAttr>(), PERF_ATTR_SIZE as usize);
        let expected = [
            ("type", offset_of!(PerfEventAttr, event_type), 0),
            ("size", offset_of!(PerfEventAttr, size), 4),
            ("config", offset_of!(PerfEventAttr, config), 8),
            (
                "sample_period",
                offset_of!(PerfEventAttr, sample_period),
                16,
            ),
            ("sample_type", offset_of!(PerfEventAttr, sample_type), 24),
            ("read_format", offset_of!(PerfEventAttr, read_format), 32),
            ("flags", offset_of!(PerfEventAttr, flags), 40),
            (
                "wakeup_events",
                offset_of!(PerfEventAttr, wakeup_events),
                48,
            ),
            ("bp_type", offset_of!(PerfEventAttr, bp_type), 52),
            ("config1", offset_of!(PerfEventAttr, config1), 56),
            ("config2", offset_of!(PerfEventAttr, config2), 64),
            (
                "branch_sample_type",
                offset_of!(PerfEventAttr, branch_sample_type),
                72,
            ),
            (
                "sample_regs_user",
                offset_of!(PerfEventAttr, sample_regs_user),
                80,
            ),
            (
                "sample_stack_user",
                offset_of!(PerfEventAttr, sample_stack_user),
                88,
            ),
            ("clockid", offset_of!(PerfEventAttr, clockid), 92),
            (
                "sample_regs_intr",
                offset_of!(PerfEventAttr, sample_regs_intr),
                96,
            ),
            (
                "aux_watermark",
                offset_of!(PerfEventAttr, aux_watermark),
                104,
            ),
            (
                "sample_max_stack",
                offset_of!(PerfEventAttr, sample_max_stack),
                108,
            ),
            ("__reserved_2", offset_of!(PerfEventAttr, reserved_2), 110),
            (
                "aux_sample_size",
                offset_of!(PerfEventAttr, aux_sample_size),
                112,
            ),
            ("aux_action", offset_of!(PerfEventAttr, aux_action), 116),
            ("sig_data", offset_of!(PerfEventAttr, sig_data), 120),
            ("config3", offset_of!(PerfEventAttr, config3), 128),
        ];
        for (name, got, want) in expected {
            assert_eq!(got, want, "perf_event_attr.{name}");
        }
    }

    /// Bit values of the bitfield word as GCC lays it out for
    /// `include/uapi/linux/perf_event.h` (Linux 6.18) on x86-64: each
    /// field set alone, the word read back as a `u64`.
    #[cfg(target_endian = "little")]
    #[test]
    fn bitfield_bits() {
        let expected: &[(PerfEventFlags, u64)] = &[
            (PerfEventFlags::DISABLED, 0x1),
            (PerfEventFlags::INHERIT, 0x2),
            (PerfEventFlags::EXCLUDE_KERNEL, 0x20),
            (PerfEventFlags::FREQ, 0x400),
            (PerfEventFlags::WATERMARK, 0x4000),
            (PerfEventFlags::MMAP_DATA, 0x20000),
            (PerfEventFlags::SAMPLE_ID_ALL, 0x40000),
            (PerfEventFlags::USE_CLOCKID, 0x200_0000),
            (PerfEventFlags::AUX_OUTPUT, 0x8000_0000),
            (PerfEventFlags::CGROUP, 0x1_0000_0000),
            (PerfEventFlags::SIGTRAP, 0x20_0000_0000),
        ];
        for &(flag, bits) in expected {
            assert_eq!(flag.bits(), bits, "{flag:?}");
        }
        let mut attr = PerfEventAttr::default();
        attr.set_precise_ip(3);
        assert_eq!(attr.flags, 0x18000);
        attr.set_event_flags(PerfEventFlags::DISABLED | PerfEventFlags::FREQ);
        assert_eq!(attr.flags, 0x18401);
        assert_eq!(attr.precise_ip(), 3);
        assert_eq!(
            attr.event_flags(),
            PerfEventFlags::from_bits_retain(0x18401)
        );
        attr.set_precise_ip(1);
        assert_eq!(attr.flags, 0x8401);
    }

    #[test]
    fn names() {
        assert_eq!(format!("{:?}", PerfType::SOFTWARE), "PERF_TYPE_SOFTWARE");
        assert_eq!(
            format!("{:?}", PerfSwId::BPF_OUTPUT),
            "PERF_COUNT_SW_BPF_OUTPUT"
        );
    }
}
