//! Numbers defined by the kernel: commands, map/program/attach/link types,
//! and typed object IDs.
//!
//! Each is a `#[repr(transparent)]` newtype over the kernel's integer with
//! one associated constant per value known as of Linux 6.18, not a Rust
//! `enum`: a newer kernel may report a value this crate does not know, and
//! that must not be undefined behaviour (the reasoning of rustix's `Errno`).
//! `Debug` prints the C name (`BPF_MAP_TYPE_HASH`), or `MapType(99)` for an
//! unknown value.

use std::fmt;

/// Defines a kernel-number newtype with named constants.
macro_rules! kernel_enum {
    (
        $(#[$meta:meta])*
        $vis:vis struct $name:ident($repr:ty);
        $(
            $(#[doc = $doc:literal])*
            $(#[doc(alias = $alias:literal)])*
            $cname:literal => $konst:ident = $value:expr;
        )*
    ) => {
        $(#[$meta])*
        #[derive(Copy, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
        #[repr(transparent)]
        $vis struct $name($repr);

        impl $name {
            $(
                $(#[doc = $doc])*
                ///
                #[doc = concat!("`", $cname, "`")]
                #[doc(alias = $cname)]
                $(#[doc(alias = $alias)])*
                pub const $konst: Self = Self($value);
            )*

            /// Wraps a raw kernel value (known or not).
            pub const fn from_raw(raw: $repr) -> Self {
                Self(raw)
            }

            /// The raw kernel value.
            pub const fn as_raw(self) -> $repr {
                self.0
            }

            /// The C name of this value, if it is one this crate knows.
            pub const fn name(self) -> Option<&'static str> {
                match self.0 {
                    $( v if v == $value => Some($cname), )*
                    _ => None,
                }
            }

            /// Every value this crate knows, in kernel order.
            pub const ALL: &'static [Self] = &[$(Self::$konst),*];
        }

        impl ::std::fmt::Debug for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                match self.name() {
                    Some(name) => f.write_str(name),
                    None => write!(f, concat!(stringify!($name), "({})"), self.0),
                }
            }
        }

        impl From<$repr> for $name {
            fn from(raw: $repr) -> Self {
                Self(raw)
            }
        }

        impl From<$name> for $repr {
            fn from(value: $name) -> Self {
                value.0
            }
        }
    };
}

pub(crate) use kernel_enum;

kernel_enum! {
    /// `enum bpf_cmd`—A `bpf(2)` command.
    pub struct Cmd(u32);
    "BPF_MAP_CREATE" => MAP_CREATE = 0;
    "BPF_MAP_LOOKUP_ELEM" => MAP_LOOKUP_ELEM = 1;
    "BPF_MAP_UPDATE_ELEM" => MAP_UPDATE_ELEM = 2;
    "BPF_MAP_DELETE_ELEM" => MAP_DELETE_ELEM = 3;
    "BPF_MAP_GET_NEXT_KEY" => MAP_GET_NEXT_KEY = 4;
    "BPF_PROG_LOAD" => PROG_LOAD = 5;
    "BPF_OBJ_PIN" => OBJ_PIN = 6;
    "BPF_OBJ_GET" => OBJ_GET = 7;
    "BPF_PROG_ATTACH" => PROG_ATTACH = 8;
    "BPF_PROG_DETACH" => PROG_DETACH = 9;
    /// Also known as `BPF_PROG_RUN`.
    #[doc(alias = "BPF_PROG_RUN")]
    "BPF_PROG_TEST_RUN" => PROG_TEST_RUN = 10;
    "BPF_PROG_GET_NEXT_ID" => PROG_GET_NEXT_ID = 11;
    "BPF_MAP_GET_NEXT_ID" => MAP_GET_NEXT_ID = 12;
    "BPF_PROG_GET_FD_BY_ID" => PROG_GET_FD_BY_ID = 13;
    "BPF_MAP_GET_FD_BY_ID" => MAP_GET_FD_BY_ID = 14;
    "BPF_OBJ_GET_INFO_BY_FD" => OBJ_GET_INFO_BY_FD = 15;
    "BPF_PROG_QUERY" => PROG_QUERY = 16;
    "BPF_RAW_TRACEPOINT_OPEN" => RAW_TRACEPOINT_OPEN = 17;
    "BPF_BTF_LOAD" => BTF_LOAD = 18;
    "BPF_BTF_GET_FD_BY_ID" => BTF_GET_FD_BY_ID = 19;
    "BPF_TASK_FD_QUERY" => TASK_FD_QUERY = 20;
    "BPF_MAP_LOOKUP_AND_DELETE_ELEM" => MAP_LOOKUP_AND_DELETE_ELEM = 21;
    "BPF_MAP_FREEZE" => MAP_FREEZE = 22;
    "BPF_BTF_GET_NEXT_ID" => BTF_GET_NEXT_ID = 23;
    "BPF_MAP_LOOKUP_BATCH" => MAP_LOOKUP_BATCH = 24;
    "BPF_MAP_LOOKUP_AND_DELETE_BATCH" => MAP_LOOKUP_AND_DELETE_BATCH = 25;
    "BPF_MAP_UPDATE_BATCH" => MAP_UPDATE_BATCH = 26;
    "BPF_MAP_DELETE_BATCH" => MAP_DELETE_BATCH = 27;
    "BPF_LINK_CREATE" => LINK_CREATE = 28;
    "BPF_LINK_UPDATE" => LINK_UPDATE = 29;
    "BPF_LINK_GET_FD_BY_ID" => LINK_GET_FD_BY_ID = 30;
    "BPF_LINK_GET_NEXT_ID" => LINK_GET_NEXT_ID = 31;
    "BPF_ENABLE_STATS" => ENABLE_STATS = 32;
    "BPF_ITER_CREATE" => ITER_CREATE = 33;
    "BPF_LINK_DETACH" => LINK_DETACH = 34;
    "BPF_PROG_BIND_MAP" => PROG_BIND_MAP = 35;
    "BPF_TOKEN_CREATE" => TOKEN_CREATE = 36;
    "BPF_PROG_STREAM_READ_BY_FD" => PROG_STREAM_READ_BY_FD = 37;
}

kernel_enum! {
    /// `enum bpf_map_type`—The kind of a BPF map.
    pub struct MapType(u32);
    "BPF_MAP_TYPE_UNSPEC" => UNSPEC = 0;
    "BPF_MAP_TYPE_HASH" => HASH = 1;
    "BPF_MAP_TYPE_ARRAY" => ARRAY = 2;
    "BPF_MAP_TYPE_PROG_ARRAY" => PROG_ARRAY = 3;
    "BPF_MAP_TYPE_PERF_EVENT_ARRAY" => PERF_EVENT_ARRAY = 4;
    "BPF_MAP_TYPE_PERCPU_HASH" => PERCPU_HASH = 5;
    "BPF_MAP_TYPE_PERCPU_ARRAY" => PERCPU_ARRAY = 6;
    "BPF_MAP_TYPE_STACK_TRACE" => STACK_TRACE = 7;
    "BPF_MAP_TYPE_CGROUP_ARRAY" => CGROUP_ARRAY = 8;
    "BPF_MAP_TYPE_LRU_HASH" => LRU_HASH = 9;
    "BPF_MAP_TYPE_LRU_PERCPU_HASH" => LRU_PERCPU_HASH = 10;
    "BPF_MAP_TYPE_LPM_TRIE" => LPM_TRIE = 11;
    "BPF_MAP_TYPE_ARRAY_OF_MAPS" => ARRAY_OF_MAPS = 12;
    "BPF_MAP_TYPE_HASH_OF_MAPS" => HASH_OF_MAPS = 13;
    "BPF_MAP_TYPE_DEVMAP" => DEVMAP = 14;
    "BPF_MAP_TYPE_SOCKMAP" => SOCKMAP = 15;
    "BPF_MAP_TYPE_CPUMAP" => CPUMAP = 16;
    "BPF_MAP_TYPE_XSKMAP" => XSKMAP = 17;
    "BPF_MAP_TYPE_SOCKHASH" => SOCKHASH = 18;
    /// Deprecated in favour of [`MapType::CGRP_STORAGE`].
    #[doc(alias = "BPF_MAP_TYPE_CGROUP_STORAGE_DEPRECATED")]
    "BPF_MAP_TYPE_CGROUP_STORAGE" => CGROUP_STORAGE = 19;
    "BPF_MAP_TYPE_REUSEPORT_SOCKARRAY" => REUSEPORT_SOCKARRAY = 20;
    /// Deprecated in favour of [`MapType::CGRP_STORAGE`] with per-CPU kptrs.
    #[doc(alias = "BPF_MAP_TYPE_PERCPU_CGROUP_STORAGE_DEPRECATED")]
    "BPF_MAP_TYPE_PERCPU_CGROUP_STORAGE" => PERCPU_CGROUP_STORAGE = 21;
    "BPF_MAP_TYPE_QUEUE" => QUEUE = 22;
    "BPF_MAP_TYPE_STACK" => STACK = 23;
    "BPF_MAP_TYPE_SK_STORAGE" => SK_STORAGE = 24;
    "BPF_MAP_TYPE_DEVMAP_HASH" => DEVMAP_HASH = 25;
    "BPF_MAP_TYPE_STRUCT_OPS" => STRUCT_OPS = 26;
    "BPF_MAP_TYPE_RINGBUF" => RINGBUF = 27;
    "BPF_MAP_TYPE_INODE_STORAGE" => INODE_STORAGE = 28;
    "BPF_MAP_TYPE_TASK_STORAGE" => TASK_STORAGE = 29;
    "BPF_MAP_TYPE_BLOOM_FILTER" => BLOOM_FILTER = 30;
    "BPF_MAP_TYPE_USER_RINGBUF" => USER_RINGBUF = 31;
    "BPF_MAP_TYPE_CGRP_STORAGE" => CGRP_STORAGE = 32;
    "BPF_MAP_TYPE_ARENA" => ARENA = 33;
}

impl MapType {
    /// Whether values of this map type are per-CPU: user space reads and
    /// writes one value slot, rounded up to 8 bytes, per possible CPU.
    ///
    /// Mirrors the kernel's `bpf_map_value_size()`.
    pub const fn is_per_cpu(self) -> bool {
        matches!(
            self,
            Self::PERCPU_HASH
                | Self::PERCPU_ARRAY
                | Self::LRU_PERCPU_HASH
                | Self::PERCPU_CGROUP_STORAGE
        )
    }
}

kernel_enum! {
    /// `enum bpf_prog_type`—The kind of a BPF program.
    pub struct ProgramType(u32);
    "BPF_PROG_TYPE_UNSPEC" => UNSPEC = 0;
    "BPF_PROG_TYPE_SOCKET_FILTER" => SOCKET_FILTER = 1;
    "BPF_PROG_TYPE_KPROBE" => KPROBE = 2;
    "BPF_PROG_TYPE_SCHED_CLS" => SCHED_CLS = 3;
    "BPF_PROG_TYPE_SCHED_ACT" => SCHED_ACT = 4;
    "BPF_PROG_TYPE_TRACEPOINT" => TRACEPOINT = 5;
    "BPF_PROG_TYPE_XDP" => XDP = 6;
    "BPF_PROG_TYPE_PERF_EVENT" => PERF_EVENT = 7;
    "BPF_PROG_TYPE_CGROUP_SKB" => CGROUP_SKB = 8;
    "BPF_PROG_TYPE_CGROUP_SOCK" => CGROUP_SOCK = 9;
    "BPF_PROG_TYPE_LWT_IN" => LWT_IN = 10;
    "BPF_PROG_TYPE_LWT_OUT" => LWT_OUT = 11;
    "BPF_PROG_TYPE_LWT_XMIT" => LWT_XMIT = 12;
    "BPF_PROG_TYPE_SOCK_OPS" => SOCK_OPS = 13;
    "BPF_PROG_TYPE_SK_SKB" => SK_SKB = 14;
    "BPF_PROG_TYPE_CGROUP_DEVICE" => CGROUP_DEVICE = 15;
    "BPF_PROG_TYPE_SK_MSG" => SK_MSG = 16;
    "BPF_PROG_TYPE_RAW_TRACEPOINT" => RAW_TRACEPOINT = 17;
    "BPF_PROG_TYPE_CGROUP_SOCK_ADDR" => CGROUP_SOCK_ADDR = 18;
    "BPF_PROG_TYPE_LWT_SEG6LOCAL" => LWT_SEG6LOCAL = 19;
    "BPF_PROG_TYPE_LIRC_MODE2" => LIRC_MODE2 = 20;
    "BPF_PROG_TYPE_SK_REUSEPORT" => SK_REUSEPORT = 21;
    "BPF_PROG_TYPE_FLOW_DISSECTOR" => FLOW_DISSECTOR = 22;
    "BPF_PROG_TYPE_CGROUP_SYSCTL" => CGROUP_SYSCTL = 23;
    "BPF_PROG_TYPE_RAW_TRACEPOINT_WRITABLE" => RAW_TRACEPOINT_WRITABLE = 24;
    "BPF_PROG_TYPE_CGROUP_SOCKOPT" => CGROUP_SOCKOPT = 25;
    "BPF_PROG_TYPE_TRACING" => TRACING = 26;
    "BPF_PROG_TYPE_STRUCT_OPS" => STRUCT_OPS = 27;
    "BPF_PROG_TYPE_EXT" => EXT = 28;
    "BPF_PROG_TYPE_LSM" => LSM = 29;
    "BPF_PROG_TYPE_SK_LOOKUP" => SK_LOOKUP = 30;
    /// A program that can execute syscalls.
    "BPF_PROG_TYPE_SYSCALL" => SYSCALL = 31;
    "BPF_PROG_TYPE_NETFILTER" => NETFILTER = 32;
}

kernel_enum! {
    /// `enum bpf_attach_type`—Where a program attaches (or is expected to).
    pub struct AttachType(u32);
    "BPF_CGROUP_INET_INGRESS" => CGROUP_INET_INGRESS = 0;
    "BPF_CGROUP_INET_EGRESS" => CGROUP_INET_EGRESS = 1;
    "BPF_CGROUP_INET_SOCK_CREATE" => CGROUP_INET_SOCK_CREATE = 2;
    "BPF_CGROUP_SOCK_OPS" => CGROUP_SOCK_OPS = 3;
    "BPF_SK_SKB_STREAM_PARSER" => SK_SKB_STREAM_PARSER = 4;
    "BPF_SK_SKB_STREAM_VERDICT" => SK_SKB_STREAM_VERDICT = 5;
    "BPF_CGROUP_DEVICE" => CGROUP_DEVICE = 6;
    "BPF_SK_MSG_VERDICT" => SK_MSG_VERDICT = 7;
    "BPF_CGROUP_INET4_BIND" => CGROUP_INET4_BIND = 8;
    "BPF_CGROUP_INET6_BIND" => CGROUP_INET6_BIND = 9;
    "BPF_CGROUP_INET4_CONNECT" => CGROUP_INET4_CONNECT = 10;
    "BPF_CGROUP_INET6_CONNECT" => CGROUP_INET6_CONNECT = 11;
    "BPF_CGROUP_INET4_POST_BIND" => CGROUP_INET4_POST_BIND = 12;
    "BPF_CGROUP_INET6_POST_BIND" => CGROUP_INET6_POST_BIND = 13;
    "BPF_CGROUP_UDP4_SENDMSG" => CGROUP_UDP4_SENDMSG = 14;
    "BPF_CGROUP_UDP6_SENDMSG" => CGROUP_UDP6_SENDMSG = 15;
    "BPF_LIRC_MODE2" => LIRC_MODE2 = 16;
    "BPF_FLOW_DISSECTOR" => FLOW_DISSECTOR = 17;
    "BPF_CGROUP_SYSCTL" => CGROUP_SYSCTL = 18;
    "BPF_CGROUP_UDP4_RECVMSG" => CGROUP_UDP4_RECVMSG = 19;
    "BPF_CGROUP_UDP6_RECVMSG" => CGROUP_UDP6_RECVMSG = 20;
    "BPF_CGROUP_GETSOCKOPT" => CGROUP_GETSOCKOPT = 21;
    "BPF_CGROUP_SETSOCKOPT" => CGROUP_SETSOCKOPT = 22;
    "BPF_TRACE_RAW_TP" => TRACE_RAW_TP = 23;
    "BPF_TRACE_FENTRY" => TRACE_FENTRY = 24;
    "BPF_TRACE_FEXIT" => TRACE_FEXIT = 25;
    "BPF_MODIFY_RETURN" => MODIFY_RETURN = 26;
    "BPF_LSM_MAC" => LSM_MAC = 27;
    "BPF_TRACE_ITER" => TRACE_ITER = 28;
    "BPF_CGROUP_INET4_GETPEERNAME" => CGROUP_INET4_GETPEERNAME = 29;
    "BPF_CGROUP_INET6_GETPEERNAME" => CGROUP_INET6_GETPEERNAME = 30;
    "BPF_CGROUP_INET4_GETSOCKNAME" => CGROUP_INET4_GETSOCKNAME = 31;
    "BPF_CGROUP_INET6_GETSOCKNAME" => CGROUP_INET6_GETSOCKNAME = 32;
    "BPF_XDP_DEVMAP" => XDP_DEVMAP = 33;
    "BPF_CGROUP_INET_SOCK_RELEASE" => CGROUP_INET_SOCK_RELEASE = 34;
    "BPF_XDP_CPUMAP" => XDP_CPUMAP = 35;
    "BPF_SK_LOOKUP" => SK_LOOKUP = 36;
    "BPF_XDP" => XDP = 37;
    "BPF_SK_SKB_VERDICT" => SK_SKB_VERDICT = 38;
    "BPF_SK_REUSEPORT_SELECT" => SK_REUSEPORT_SELECT = 39;
    "BPF_SK_REUSEPORT_SELECT_OR_MIGRATE" => SK_REUSEPORT_SELECT_OR_MIGRATE = 40;
    "BPF_PERF_EVENT" => PERF_EVENT = 41;
    "BPF_TRACE_KPROBE_MULTI" => TRACE_KPROBE_MULTI = 42;
    "BPF_LSM_CGROUP" => LSM_CGROUP = 43;
    "BPF_STRUCT_OPS" => STRUCT_OPS = 44;
    "BPF_NETFILTER" => NETFILTER = 45;
    "BPF_TCX_INGRESS" => TCX_INGRESS = 46;
    "BPF_TCX_EGRESS" => TCX_EGRESS = 47;
    "BPF_TRACE_UPROBE_MULTI" => TRACE_UPROBE_MULTI = 48;
    "BPF_CGROUP_UNIX_CONNECT" => CGROUP_UNIX_CONNECT = 49;
    "BPF_CGROUP_UNIX_SENDMSG" => CGROUP_UNIX_SENDMSG = 50;
    "BPF_CGROUP_UNIX_RECVMSG" => CGROUP_UNIX_RECVMSG = 51;
    "BPF_CGROUP_UNIX_GETPEERNAME" => CGROUP_UNIX_GETPEERNAME = 52;
    "BPF_CGROUP_UNIX_GETSOCKNAME" => CGROUP_UNIX_GETSOCKNAME = 53;
    "BPF_NETKIT_PRIMARY" => NETKIT_PRIMARY = 54;
    "BPF_NETKIT_PEER" => NETKIT_PEER = 55;
    "BPF_TRACE_KPROBE_SESSION" => TRACE_KPROBE_SESSION = 56;
    "BPF_TRACE_UPROBE_SESSION" => TRACE_UPROBE_SESSION = 57;
}

kernel_enum! {
    /// `enum bpf_link_type`—The kind of a BPF link.
    pub struct LinkType(u32);
    "BPF_LINK_TYPE_UNSPEC" => UNSPEC = 0;
    "BPF_LINK_TYPE_RAW_TRACEPOINT" => RAW_TRACEPOINT = 1;
    "BPF_LINK_TYPE_TRACING" => TRACING = 2;
    "BPF_LINK_TYPE_CGROUP" => CGROUP = 3;
    "BPF_LINK_TYPE_ITER" => ITER = 4;
    "BPF_LINK_TYPE_NETNS" => NETNS = 5;
    "BPF_LINK_TYPE_XDP" => XDP = 6;
    "BPF_LINK_TYPE_PERF_EVENT" => PERF_EVENT = 7;
    "BPF_LINK_TYPE_KPROBE_MULTI" => KPROBE_MULTI = 8;
    "BPF_LINK_TYPE_STRUCT_OPS" => STRUCT_OPS = 9;
    "BPF_LINK_TYPE_NETFILTER" => NETFILTER = 10;
    "BPF_LINK_TYPE_TCX" => TCX = 11;
    "BPF_LINK_TYPE_UPROBE_MULTI" => UPROBE_MULTI = 12;
    "BPF_LINK_TYPE_NETKIT" => NETKIT = 13;
    "BPF_LINK_TYPE_SOCKMAP" => SOCKMAP = 14;
}

kernel_enum! {
    /// `enum bpf_perf_event_type`—What a `BPF_LINK_TYPE_PERF_EVENT` link is
    /// attached to, as reported in [`BpfLinkInfo`](crate::BpfLinkInfo).
    pub struct BpfPerfEventType(u32);
    "BPF_PERF_EVENT_UNSPEC" => UNSPEC = 0;
    "BPF_PERF_EVENT_UPROBE" => UPROBE = 1;
    "BPF_PERF_EVENT_URETPROBE" => URETPROBE = 2;
    "BPF_PERF_EVENT_KPROBE" => KPROBE = 3;
    "BPF_PERF_EVENT_KRETPROBE" => KRETPROBE = 4;
    "BPF_PERF_EVENT_TRACEPOINT" => TRACEPOINT = 5;
    "BPF_PERF_EVENT_EVENT" => EVENT = 6;
}

kernel_enum! {
    /// `enum bpf_stats_type`—Statistics switched on by
    /// [`enable_stats`](crate::enable_stats).
    pub struct StatsType(u32);
    /// Run time (`run_time_ns`) and run count (`run_cnt`) of every program.
    "BPF_STATS_RUN_TIME" => RUN_TIME = 0;
}

/// Defines a typed kernel object ID.
macro_rules! object_id {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[repr(transparent)]
        pub struct $name(u32);

        impl $name {
            /// Wraps a raw ID.
            pub const fn new(raw: u32) -> Self {
                Self(raw)
            }

            /// The raw ID.
            pub const fn as_raw(self) -> u32 {
                self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(&self.0, f)
            }
        }

        impl From<u32> for $name {
            fn from(raw: u32) -> Self {
                Self(raw)
            }
        }

        impl From<$name> for u32 {
            fn from(id: $name) -> Self {
                id.0
            }
        }
    };
}

object_id! {
    /// The system-wide ID of a loaded BPF program (`prog_id`).
    ///
    /// IDs are not handles: a program may be unloaded and its ID stays
    /// unused (IDs are allocated cyclically); turn one into an fd with
    /// [`prog_get_fd_by_id`](crate::prog_get_fd_by_id).
    ProgId
}

object_id! {
    /// The system-wide ID of a BPF map (`map_id`).
    MapId
}

object_id! {
    /// The system-wide ID of a BTF object loaded into the kernel (`btf_id`).
    ///
    /// Not to be confused with a type ID *inside* one BTF blob.
    BtfId
}

object_id! {
    /// The system-wide ID of a BPF link (`link_id`).
    LinkId
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_prints_c_names() {
        assert_eq!(format!("{:?}", MapType::HASH), "BPF_MAP_TYPE_HASH");
        assert_eq!(format!("{:?}", MapType::from_raw(1000)), "MapType(1000)");
        assert_eq!(format!("{:?}", Cmd::PROG_LOAD), "BPF_PROG_LOAD");
        assert_eq!(
            format!("{:?}", AttachType::TRACE_UPROBE_SESSION),
            "BPF_TRACE_UPROBE_SESSION"
        );
        assert_eq!(
            format!("{:?}", ProgramType::NETFILTER),
            "BPF_PROG_TYPE_NETFILTER"
        );
        assert_eq!(format!("{:?}", LinkType::SOCKMAP), "BPF_LINK_TYPE_SOCKMAP");
        assert_eq!(MapType::ARENA.name(), Some("BPF_MAP_TYPE_ARENA"));
        assert_eq!(format!("{}", ProgId::new(7)), "7");
        assert_eq!(format!("{:?}", MapId::new(7)), "MapId(7)");
    }

    /// The enumerations are dense from 0 in `include/uapi/linux/bpf.h`
    /// (Linux 6.18), so the constants must be 0, 1, 2, … in order, ending
    /// at the last value before `__MAX_BPF_*`.
    #[test]
    fn enumerations_are_dense_and_complete() {
        fn check(values: &[u32], max: u32) {
            let expected: Vec<u32> = (0..max).collect();
            assert_eq!(values, expected.as_slice());
        }
        check(&Cmd::ALL.iter().map(|c| c.as_raw()).collect::<Vec<_>>(), 38);
        check(
            &MapType::ALL.iter().map(|c| c.as_raw()).collect::<Vec<_>>(),
            34,
        );
        check(
            &ProgramType::ALL
                .iter()
                .map(|c| c.as_raw())
                .collect::<Vec<_>>(),
            33,
        );
        check(
            &AttachType::ALL
                .iter()
                .map(|c| c.as_raw())
                .collect::<Vec<_>>(),
            58,
        );
        check(
            &LinkType::ALL.iter().map(|c| c.as_raw()).collect::<Vec<_>>(),
            15,
        );
        check(
            &BpfPerfEventType::ALL
                .iter()
                .map(|c| c.as_raw())
                .collect::<Vec<_>>(),
            7,
        );
    }

    #[test]
    fn names_match_prefixes() {
        for t in MapType::ALL {
            assert!(t.name().unwrap().starts_with("BPF_MAP_TYPE_"));
        }
        for t in ProgramType::ALL {
            assert!(t.name().unwrap().starts_with("BPF_PROG_TYPE_"));
        }
        for t in LinkType::ALL {
            assert!(t.name().unwrap().starts_with("BPF_LINK_TYPE_"));
        }
        for t in Cmd::ALL {
            assert!(t.name().unwrap().starts_with("BPF_"));
        }
    }

    #[test]
    fn per_cpu_map_types() {
        assert!(MapType::PERCPU_HASH.is_per_cpu());
        assert!(MapType::PERCPU_CGROUP_STORAGE.is_per_cpu());
        assert!(!MapType::HASH.is_per_cpu());
        assert!(!MapType::from_raw(999).is_per_cpu());
    }
}
