//! Flag words of the `bpf(2)` commands.
//!
//! Each set is a [`bitflags`] type whose constants drop the `BPF_F_` (or
//! similar) prefix; the doc comment of each constant gives the C name.
//! Values are those of `include/uapi/linux/bpf.h` (and `if_link.h` for XDP)
//! as of Linux 6.18.
//!
//! Values the kernel reports back (for example `map_flags` in
//! [`BpfMapInfo`](crate::BpfMapInfo)) are converted with
//! `from_bits_retain`, so bits this crate does not know are kept.

use bitflags::bitflags;

bitflags! {
    /// `map_flags` of `BPF_MAP_CREATE` (also reported by map info).
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
    pub struct MapFlags: u32 {
        /// `BPF_F_NO_PREALLOC`—Allocate hash elements on demand.
        const NO_PREALLOC = 1 << 0;
        /// `BPF_F_NO_COMMON_LRU`—Per-CPU LRU lists instead of one shared list.
        const NO_COMMON_LRU = 1 << 1;
        /// `BPF_F_NUMA_NODE`—`numa_node` is valid.
        const NUMA_NODE = 1 << 2;
        /// `BPF_F_RDONLY`—User space may only read the map.
        const RDONLY = 1 << 3;
        /// `BPF_F_WRONLY`—User space may only write the map.
        const WRONLY = 1 << 4;
        /// `BPF_F_STACK_BUILD_ID`—Stack traces store build ID + offset.
        const STACK_BUILD_ID = 1 << 5;
        /// `BPF_F_ZERO_SEED`—Zero hash seed (testing only).
        const ZERO_SEED = 1 << 6;
        /// `BPF_F_RDONLY_PROG`—Programs may only read the map.
        const RDONLY_PROG = 1 << 7;
        /// `BPF_F_WRONLY_PROG`—Programs may only write the map.
        const WRONLY_PROG = 1 << 8;
        /// `BPF_F_CLONE`—Clone socket-local storage to accepted sockets.
        const CLONE = 1 << 9;
        /// `BPF_F_MMAPABLE`—The map can be `mmap`ed.
        const MMAPABLE = 1 << 10;
        /// `BPF_F_PRESERVE_ELEMS`—Share perf events among processes.
        const PRESERVE_ELEMS = 1 << 11;
        /// `BPF_F_INNER_MAP`—Inner map template with dynamic `max_entries`.
        const INNER_MAP = 1 << 12;
        /// `BPF_F_LINK`—A struct_ops map registered through a link.
        const LINK = 1 << 13;
        /// `BPF_F_PATH_FD`—`path_fd` is valid (`BPF_OBJ_PIN`/`BPF_OBJ_GET`).
        const PATH_FD = 1 << 14;
        /// `BPF_F_VTYPE_BTF_OBJ_FD`—`value_type_btf_obj_fd` is valid.
        const VTYPE_BTF_OBJ_FD = 1 << 15;
        /// `BPF_F_TOKEN_FD`—The command's token fd field is valid.
        const TOKEN_FD = 1 << 16;
        /// `BPF_F_SEGV_ON_FAULT`—Arena: `SIGSEGV` instead of faulting in pages.
        const SEGV_ON_FAULT = 1 << 17;
        /// `BPF_F_NO_USER_CONV`—Arena: do not convert kernel pointers.
        const NO_USER_CONV = 1 << 18;
    }
}

bitflags! {
    /// `prog_flags` of `BPF_PROG_LOAD`.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
    pub struct ProgFlags: u32 {
        /// `BPF_F_STRICT_ALIGNMENT`—Verify alignment as on strict-alignment CPUs.
        const STRICT_ALIGNMENT = 1 << 0;
        /// `BPF_F_ANY_ALIGNMENT`—Allow any alignment (testing).
        const ANY_ALIGNMENT = 1 << 1;
        /// `BPF_F_TEST_RND_HI32`—Randomise upper halves (verifier testing).
        const TEST_RND_HI32 = 1 << 2;
        /// `BPF_F_TEST_STATE_FREQ`—Verifier-internal test flag.
        const TEST_STATE_FREQ = 1 << 3;
        /// `BPF_F_SLEEPABLE`—The program may sleep.
        const SLEEPABLE = 1 << 4;
        /// `BPF_F_XDP_HAS_FRAGS`—The XDP program supports fragments.
        const XDP_HAS_FRAGS = 1 << 5;
        /// `BPF_F_XDP_DEV_BOUND_ONLY`—Device-bound XDP program with metadata.
        const XDP_DEV_BOUND_ONLY = 1 << 6;
        /// `BPF_F_TEST_REG_INVARIANTS`—Verifier-internal test flag.
        const TEST_REG_INVARIANTS = 1 << 7;
        /// `BPF_F_TOKEN_FD`—`prog_token_fd` is valid.
        const TOKEN_FD = 1 << 16;
    }
}

bitflags! {
    /// `attach_flags` of `BPF_PROG_ATTACH`/`BPF_PROG_DETACH`, and the
    /// generic attachment flags of `BPF_LINK_CREATE` for tcx, netkit and
    /// cgroup links.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
    pub struct AttachFlags: u32 {
        /// `BPF_F_ALLOW_OVERRIDE`—A sub-cgroup program overrides this one.
        const ALLOW_OVERRIDE = 1 << 0;
        /// `BPF_F_ALLOW_MULTI`—Programs of sub-cgroups run as well.
        const ALLOW_MULTI = 1 << 1;
        /// `BPF_F_REPLACE`—Replace the program given as `replace_bpf_fd`.
        const REPLACE = 1 << 2;
        /// `BPF_F_BEFORE`—Attach before the relative program/link.
        const BEFORE = 1 << 3;
        /// `BPF_F_AFTER`—Attach after the relative program/link.
        const AFTER = 1 << 4;
        /// `BPF_F_ID`—The relative object is given by ID, not fd.
        const ID = 1 << 5;
        /// `BPF_F_PREORDER`—Run before programs of descendant cgroups.
        const PREORDER = 1 << 6;
        /// `BPF_F_LINK`—The relative object is a link, not a program.
        const LINK = 1 << 13;
    }
}

bitflags! {
    /// `query_flags` of `BPF_PROG_QUERY`.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
    pub struct QueryFlags: u32 {
        /// `BPF_F_QUERY_EFFECTIVE`—Include programs inherited from ancestors.
        const EFFECTIVE = 1 << 0;
    }
}

bitflags! {
    /// `flags` of `BPF_PROG_TEST_RUN`.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
    pub struct TestRunFlags: u32 {
        /// `BPF_F_TEST_RUN_ON_CPU`—Run on the CPU given in `cpu`.
        const RUN_ON_CPU = 1 << 0;
        /// `BPF_F_TEST_XDP_LIVE_FRAMES`—Transmit XDP frames after the run.
        const XDP_LIVE_FRAMES = 1 << 1;
        /// `BPF_F_TEST_SKB_CHECKSUM_COMPLETE`—Apply and check `CHECKSUM_COMPLETE`.
        const SKB_CHECKSUM_COMPLETE = 1 << 2;
    }
}

bitflags! {
    /// `XDP_FLAGS_*` from `include/uapi/linux/if_link.h`: the `flags` of an
    /// XDP `BPF_LINK_CREATE` (and of the netlink attach).
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
    pub struct XdpFlags: u32 {
        /// `XDP_FLAGS_UPDATE_IF_NOEXIST`—Fail if a program is attached.
        const UPDATE_IF_NOEXIST = 1 << 0;
        /// `XDP_FLAGS_SKB_MODE`—Generic (skb) mode.
        const SKB_MODE = 1 << 1;
        /// `XDP_FLAGS_DRV_MODE`—Native driver mode.
        const DRV_MODE = 1 << 2;
        /// `XDP_FLAGS_HW_MODE`—Offloaded to the NIC.
        const HW_MODE = 1 << 3;
        /// `XDP_FLAGS_REPLACE`—Replace the expected program.
        const REPLACE = 1 << 4;
    }
}

bitflags! {
    /// `open_flags` of `BPF_*_GET_FD_BY_ID` and `file_flags` of
    /// `BPF_OBJ_GET`: the access the returned fd grants.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
    pub struct AccessFlags: u32 {
        /// `BPF_F_RDONLY`—Read-only access.
        const RDONLY = 1 << 3;
        /// `BPF_F_WRONLY`—Write-only access.
        const WRONLY = 1 << 4;
    }
}

bitflags! {
    /// `elem_flags`/`flags` of map lookups (`BPF_MAP_LOOKUP_ELEM`,
    /// `BPF_MAP_LOOKUP_BATCH`, …).
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
    pub struct LookupFlags: u64 {
        /// `BPF_F_LOCK`—Copy the value under its `bpf_spin_lock`.
        const LOCK = 4;
    }
}

bitflags! {
    /// `log_level` of `BPF_PROG_LOAD` and `btf_log_level` of `BPF_BTF_LOAD`.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
    pub struct LogLevel: u32 {
        /// `BPF_LOG_LEVEL1`—Log the verifier's path through the program.
        const LEVEL1 = 1;
        /// `BPF_LOG_LEVEL2`—Log every instruction's state (very verbose).
        const LEVEL2 = 2;
        /// `BPF_LOG_STATS`—Log verification statistics.
        const STATS = 4;
        /// `BPF_LOG_FIXED`—Keep the first bytes of an overflowing log instead
        /// of the last (the default since Linux 6.4 is a rotating log).
        const FIXED = 8;
    }
}

bitflags! {
    /// `kprobe_multi.flags` of `BPF_LINK_CREATE` (also reported in link info).
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
    pub struct KprobeMultiFlags: u32 {
        /// `BPF_F_KPROBE_MULTI_RETURN`—Attach return probes.
        const RETURN = 1 << 0;
    }
}

bitflags! {
    /// `uprobe_multi.flags` of `BPF_LINK_CREATE` (also reported in link info).
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
    pub struct UprobeMultiFlags: u32 {
        /// `BPF_F_UPROBE_MULTI_RETURN`—Attach return probes.
        const RETURN = 1 << 0;
    }
}

bitflags! {
    /// `netfilter.flags` of `BPF_LINK_CREATE`.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
    pub struct NetfilterFlags: u32 {
        /// `BPF_F_NETFILTER_IP_DEFRAG`—Defragment IP packets first.
        const IP_DEFRAG = 1 << 0;
    }
}

/// `BPF_ANY`/`BPF_NOEXIST`/`BPF_EXIST`—What an update does about an
/// existing element. These are values, not bits; see [`UpdateFlags`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum UpdateMode {
    /// `BPF_ANY`—Create the element or overwrite it.
    #[default]
    Any,
    /// `BPF_NOEXIST`—Create the element; fail with `EEXIST` if it exists.
    NoExist,
    /// `BPF_EXIST`—Overwrite the element; fail with `ENOENT` if it is absent.
    Exist,
}

/// The `flags` of `BPF_MAP_UPDATE_ELEM` (and `elem_flags` of
/// `BPF_MAP_UPDATE_BATCH`): an [`UpdateMode`] plus the `BPF_F_LOCK` bit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct UpdateFlags {
    /// What to do about an existing element.
    pub mode: UpdateMode,
    /// `BPF_F_LOCK`—Update the value under its `bpf_spin_lock`.
    pub lock: bool,
}

impl UpdateFlags {
    /// `BPF_ANY`
    pub const ANY: Self = Self::new(UpdateMode::Any);
    /// `BPF_NOEXIST`
    pub const NO_EXIST: Self = Self::new(UpdateMode::NoExist);
    /// `BPF_EXIST`
    pub const EXIST: Self = Self::new(UpdateMode::Exist);

    /// The given mode, without `BPF_F_LOCK`.
    pub const fn new(mode: UpdateMode) -> Self {
        Self { mode, lock: false }
    }

    /// The same mode with `BPF_F_LOCK` set.
    pub const fn with_lock(self) -> Self {
        Self {
            mode: self.mode,
            lock: true,
        }
    }

    /// The raw flags word passed to the kernel.
    pub const fn bits(self) -> u64 {
        let mode = match self.mode {
            UpdateMode::Any => 0,
            UpdateMode::NoExist => 1,
            UpdateMode::Exist => 2,
        };
        if self.lock {
            mode | LookupFlags::LOCK.bits()
        } else {
            mode
        }
    }
}

impl From<UpdateMode> for UpdateFlags {
    fn from(mode: UpdateMode) -> Self {
        Self::new(mode)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn update_flags_bits() {
        assert_eq!(UpdateFlags::ANY.bits(), 0);
        assert_eq!(UpdateFlags::NO_EXIST.bits(), 1);
        assert_eq!(UpdateFlags::EXIST.bits(), 2);
        assert_eq!(UpdateFlags::EXIST.with_lock().bits(), 6);
        assert_eq!(UpdateFlags::default(), UpdateFlags::ANY);
    }

    /// Values from `include/uapi/linux/bpf.h`, Linux 6.18.
    #[test]
    fn flag_values() {
        assert_eq!(MapFlags::NO_USER_CONV.bits(), 1 << 18);
        assert_eq!(MapFlags::all().bits(), (1 << 19) - 1);
        assert_eq!(ProgFlags::TOKEN_FD.bits(), 0x1_0000);
        assert_eq!(ProgFlags::TEST_REG_INVARIANTS.bits(), 0x80);
        assert_eq!(AttachFlags::LINK.bits(), MapFlags::LINK.bits());
        assert_eq!(AccessFlags::RDONLY.bits(), MapFlags::RDONLY.bits());
        assert_eq!(AccessFlags::WRONLY.bits(), MapFlags::WRONLY.bits());
        assert_eq!(XdpFlags::all().bits(), 0x1f);
    }
}
