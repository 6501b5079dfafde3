//! Maps whose values are file descriptors on the way in (programs, maps,
//! sockets, perf events, devices) and IDs or cookies on the way out.

use std::borrow::Borrow;
use std::marker::PhantomData;
use std::mem::size_of;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd};

use oxbpf_sys::{
    self as sys, as_bytes, as_bytes_mut, read_unaligned, zeroed, LookupFlags, MapId, MapType, Pod,
    ProgId, UpdateFlags,
};

use crate::error::MapError;
use crate::iter::Keys;
use crate::map::{enoent_false, Map};

/// An fd as the `u32` the kernel reads from a value buffer.
fn fd_u32(fd: BorrowedFd<'_>) -> u32 {
    // Open fds are non-negative.
    fd.as_raw_fd() as u32
}

/// A value buffer of up to 8 bytes holding the given 32-bit words.
fn words(a: u32, b: u32) -> [u8; 8] {
    let mut out = [0u8; 8];
    out[..4].copy_from_slice(&a.to_ne_bytes());
    out[4..].copy_from_slice(&b.to_ne_bytes());
    out
}

fn value_prefix<'b>(map: &Map, buf: &'b [u8; 8]) -> Result<&'b [u8], MapError> {
    buf.get(..map.value_size() as usize)
        .ok_or_else(|| MapError::InvalidValueSize {
            name: map.name().to_string(),
            size: map.value_size() as usize,
            expected: 8,
        })
}

fn update_raw<K: Pod>(
    map: &Map,
    key: &K,
    value: &[u8],
    flags: UpdateFlags,
) -> Result<(), MapError> {
    sys::map_update_elem(map.map_fd(), as_bytes(key), value, flags)
        .map_err(|e| map.err("update", e))
}

fn delete_raw<K: Pod>(map: &Map, key: &K) -> Result<bool, MapError> {
    enoent_false(sys::map_delete_elem(map.map_fd(), as_bytes(key)))
        .map_err(|e| map.err("delete", e))
}

/// Looks up `key` into an 8-byte buffer (the map's value size must be at
/// most 8, which every view here checks).
fn lookup_raw<K: Pod>(map: &Map, key: &K) -> Result<Option<[u8; 8]>, MapError> {
    let mut buf = [0u8; 8];
    let len = map.value_size() as usize;
    let slot = buf
        .get_mut(..len)
        .ok_or_else(|| MapError::InvalidValueSize {
            name: map.name().to_string(),
            size: len,
            expected: 8,
        })?;
    match enoent_false(sys::map_lookup_elem(
        map.map_fd(),
        as_bytes(key),
        slot,
        LookupFlags::empty(),
    )) {
        Ok(true) => Ok(Some(buf)),
        Ok(false) => Ok(None),
        Err(e) => Err(map.err("lookup", e)),
    }
}

fn word(buf: &[u8; 8], i: usize) -> u32 {
    read_unaligned::<u32>(&buf[i * 4..]).unwrap_or(0)
}

macro_rules! view_new {
    ($types:expr, $key:expr, $values:expr) => {
        /// The map types this view accepts.
        pub const TYPES: &'static [MapType] = $types;

        /// Wraps `map` after checking its type and key/value sizes.
        pub fn new(map: T) -> Result<Self, MapError> {
            {
                let m: &Map = map.borrow();
                m.check_view(Self::TYPES, $key, None)?;
                let allowed: &[u32] = $values;
                if !allowed.contains(&m.value_size()) {
                    return Err(MapError::InvalidValueSize {
                        name: m.name().to_string(),
                        size: m.value_size() as usize,
                        expected: allowed[0] as usize,
                    });
                }
            }
            Ok(Self {
                map,
                _k: PhantomData,
            })
        }

        /// The underlying map.
        pub fn map(&self) -> &Map {
            self.map.borrow()
        }

        /// Unwraps the map.
        pub fn into_inner(self) -> T {
            self.map
        }
    };
}

macro_rules! fd_array {
    (
        $(#[$meta:meta])*
        $name:ident, $types:expr, values = $values:expr, what = $what:literal
    ) => {
        $(#[$meta])*
        #[derive(Debug)]
        pub struct $name<T> {
            map: T,
            _k: PhantomData<()>,
        }

        impl<T: Borrow<Map>> $name<T> {
            view_new!($types, Some(4), $values);

            #[doc = concat!("`BPF_MAP_UPDATE_ELEM`—Stores ", $what, " `fd` at `index`.")]
            pub fn set(&self, index: u32, fd: impl AsFd) -> Result<(), MapError> {
                let map = self.map();
                let buf = words(fd_u32(fd.as_fd()), 0);
                update_raw(map, &index, value_prefix(map, &buf)?, UpdateFlags::ANY)
            }

            /// `BPF_MAP_DELETE_ELEM`—Clears `index`; `false` if it was empty.
            pub fn remove(&self, index: u32) -> Result<bool, MapError> {
                delete_raw(self.map(), &index)
            }
        }
    };
}

fd_array!(
    /// Typed view of a `BPF_MAP_TYPE_PROG_ARRAY`: the targets of
    /// `bpf_tail_call`.
    #[doc(alias = "BPF_MAP_TYPE_PROG_ARRAY")]
    ProgramArray, &[MapType::PROG_ARRAY], values = &[4], what = "the program"
);

impl<T: Borrow<Map>> ProgramArray<T> {
    /// `BPF_MAP_LOOKUP_ELEM`—The ID of the program at `index`, or `None`.
    pub fn get(&self, index: u32) -> Result<Option<ProgId>, MapError> {
        Ok(lookup_raw(self.map(), &index)?.map(|b| ProgId::new(word(&b, 0))))
    }
}

fd_array!(
    /// Typed view of a `BPF_MAP_TYPE_ARRAY_OF_MAPS`: inner maps by index.
    #[doc(alias = "BPF_MAP_TYPE_ARRAY_OF_MAPS")]
    ArrayOfMaps, &[MapType::ARRAY_OF_MAPS], values = &[4], what = "the inner map"
);

impl<T: Borrow<Map>> ArrayOfMaps<T> {
    /// `BPF_MAP_LOOKUP_ELEM`—The ID of the inner map at `index`, or `None`
    /// (open it with [`Map::from_id`]).
    pub fn get(&self, index: u32) -> Result<Option<MapId>, MapError> {
        Ok(lookup_raw(self.map(), &index)?.map(|b| MapId::new(word(&b, 0))))
    }
}

fd_array!(
    /// Typed view of a `BPF_MAP_TYPE_PERF_EVENT_ARRAY`: one perf event
    /// (usually a `PERF_COUNT_SW_BPF_OUTPUT` per CPU) per index, for
    /// `bpf_perf_event_output` and `bpf_perf_event_read`.
    #[doc(alias = "BPF_MAP_TYPE_PERF_EVENT_ARRAY")]
    PerfEventArray, &[MapType::PERF_EVENT_ARRAY], values = &[4], what = "the perf event"
);

fd_array!(
    /// Typed view of a `BPF_MAP_TYPE_XSKMAP`: AF_XDP sockets for
    /// `bpf_redirect_map`. Only bound XDP sockets are accepted.
    #[doc(alias = "BPF_MAP_TYPE_XSKMAP")]
    XskMap, &[MapType::XSKMAP], values = &[4], what = "the AF_XDP socket"
);

fd_array!(
    /// Typed view of a `BPF_MAP_TYPE_SOCKMAP`: sockets (TCP established or
    /// listening, bound UDP, unix) for sk_msg/sk_skb redirects.
    #[doc(alias = "BPF_MAP_TYPE_SOCKMAP")]
    SockMap, &[MapType::SOCKMAP], values = &[4, 8], what = "the socket"
);

impl<T: Borrow<Map>> SockMap<T> {
    /// `BPF_MAP_LOOKUP_ELEM`—The socket cookie at `index` (maps with
    /// 8-byte values only; `ENOSPC` otherwise), or `None`.
    pub fn cookie(&self, index: u32) -> Result<Option<u64>, MapError> {
        Ok(lookup_raw(self.map(), &index)?.and_then(|b| read_unaligned::<u64>(&b)))
    }
}

/// Typed view of a `BPF_MAP_TYPE_HASH_OF_MAPS`: inner maps by key.
#[doc(alias = "BPF_MAP_TYPE_HASH_OF_MAPS")]
#[derive(Debug)]
pub struct HashOfMaps<T, K> {
    map: T,
    _k: PhantomData<fn() -> K>,
}

impl<T: Borrow<Map>, K: Pod> HashOfMaps<T, K> {
    view_new!(&[MapType::HASH_OF_MAPS], Some(size_of::<K>()), &[4]);

    /// `BPF_MAP_UPDATE_ELEM`—Stores the inner map `fd` under `key`.
    pub fn insert(
        &self,
        key: &K,
        inner: impl AsFd,
        flags: impl Into<UpdateFlags>,
    ) -> Result<(), MapError> {
        let buf = words(fd_u32(inner.as_fd()), 0);
        update_raw(self.map(), key, &buf[..4], flags.into())
    }

    /// `BPF_MAP_LOOKUP_ELEM`—The ID of the inner map under `key`.
    pub fn get(&self, key: &K) -> Result<Option<MapId>, MapError> {
        Ok(lookup_raw(self.map(), key)?.map(|b| MapId::new(word(&b, 0))))
    }

    /// `BPF_MAP_DELETE_ELEM`—Removes `key`; `false` if it was absent.
    pub fn remove(&self, key: &K) -> Result<bool, MapError> {
        delete_raw(self.map(), key)
    }

    /// `BPF_MAP_GET_NEXT_KEY`—The keys.
    pub fn keys(&self) -> Keys<'_, K> {
        Keys::new(self.map())
    }
}

/// Typed view of a `BPF_MAP_TYPE_SOCKHASH`: sockets by key.
#[doc(alias = "BPF_MAP_TYPE_SOCKHASH")]
#[derive(Debug)]
pub struct SockHash<T, K> {
    map: T,
    _k: PhantomData<fn() -> K>,
}

impl<T: Borrow<Map>, K: Pod> SockHash<T, K> {
    view_new!(&[MapType::SOCKHASH], Some(size_of::<K>()), &[4, 8]);

    /// `BPF_MAP_UPDATE_ELEM`—Stores the socket `fd` under `key`.
    pub fn insert(
        &self,
        key: &K,
        socket: impl AsFd,
        flags: impl Into<UpdateFlags>,
    ) -> Result<(), MapError> {
        let map = self.map();
        let buf = words(fd_u32(socket.as_fd()), 0);
        update_raw(map, key, value_prefix(map, &buf)?, flags.into())
    }

    /// `BPF_MAP_LOOKUP_ELEM`—The socket cookie under `key` (8-byte values
    /// only), or `None`.
    pub fn cookie(&self, key: &K) -> Result<Option<u64>, MapError> {
        Ok(lookup_raw(self.map(), key)?.and_then(|b| read_unaligned::<u64>(&b)))
    }

    /// `BPF_MAP_DELETE_ELEM`—Removes `key`; `false` if it was absent.
    pub fn remove(&self, key: &K) -> Result<bool, MapError> {
        delete_raw(self.map(), key)
    }

    /// `BPF_MAP_GET_NEXT_KEY`—The keys.
    pub fn keys(&self) -> Keys<'_, K> {
        Keys::new(self.map())
    }
}

/// A device map entry (`struct bpf_devmap_val`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DevMapValue {
    /// `ifindex`—The target device.
    pub ifindex: u32,
    /// `bpf_prog.id`—The XDP program run on redirected frames, if any
    /// (maps with 8-byte values only).
    pub prog_id: Option<ProgId>,
}

/// A CPU map entry (`struct bpf_cpumap_val`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CpuMapValue {
    /// `qsize`—The queue size of the CPU's kthread.
    pub qsize: u32,
    /// `bpf_prog.id`—The XDP program run on the CPU, if any (maps with
    /// 8-byte values only).
    pub prog_id: Option<ProgId>,
}

fn prog_word(prog: Option<BorrowedFd<'_>>) -> u32 {
    // `bpf_prog.fd`: the kernel attaches a program only for fd > 0;
    // -1 is "none" on every kernel.
    prog.map_or(u32::MAX, fd_u32)
}

fn prog_id(map: &Map, buf: &[u8; 8]) -> Option<ProgId> {
    (map.value_size() >= 8 && word(buf, 1) != 0).then(|| ProgId::new(word(buf, 1)))
}

/// Typed view of a `BPF_MAP_TYPE_DEVMAP`: network devices by index, for
/// XDP `bpf_redirect_map`.
#[doc(alias = "BPF_MAP_TYPE_DEVMAP")]
#[derive(Debug)]
pub struct DevMap<T> {
    map: T,
    _k: PhantomData<()>,
}

impl<T: Borrow<Map>> DevMap<T> {
    view_new!(&[MapType::DEVMAP], Some(4), &[4, 8]);

    /// `BPF_MAP_UPDATE_ELEM`—Redirects to `ifindex` at `index`, optionally
    /// running the XDP program `prog` (a `BPF_XDP_DEVMAP` program; maps
    /// with 8-byte values only) on redirected frames.
    pub fn set(
        &self,
        index: u32,
        ifindex: u32,
        prog: Option<BorrowedFd<'_>>,
    ) -> Result<(), MapError> {
        let map = self.map();
        let buf = words(ifindex, prog_word(prog));
        update_raw(map, &index, value_prefix(map, &buf)?, UpdateFlags::ANY)
    }

    /// `BPF_MAP_LOOKUP_ELEM`—The entry at `index`, or `None`.
    pub fn get(&self, index: u32) -> Result<Option<DevMapValue>, MapError> {
        let map = self.map();
        Ok(lookup_raw(map, &index)?.map(|b| DevMapValue {
            ifindex: word(&b, 0),
            prog_id: prog_id(map, &b),
        }))
    }

    /// `BPF_MAP_DELETE_ELEM`—Clears `index`; `false` if it was empty.
    pub fn remove(&self, index: u32) -> Result<bool, MapError> {
        delete_raw(self.map(), &index)
    }
}

/// Typed view of a `BPF_MAP_TYPE_DEVMAP_HASH`: network devices by `u32`
/// key.
#[doc(alias = "BPF_MAP_TYPE_DEVMAP_HASH")]
#[derive(Debug)]
pub struct DevMapHash<T> {
    map: T,
    _k: PhantomData<()>,
}

impl<T: Borrow<Map>> DevMapHash<T> {
    view_new!(&[MapType::DEVMAP_HASH], Some(4), &[4, 8]);

    /// `BPF_MAP_UPDATE_ELEM`—Redirects to `ifindex` under `key` (see
    /// [`DevMap::set`]).
    pub fn insert(
        &self,
        key: u32,
        ifindex: u32,
        prog: Option<BorrowedFd<'_>>,
    ) -> Result<(), MapError> {
        let map = self.map();
        let buf = words(ifindex, prog_word(prog));
        update_raw(map, &key, value_prefix(map, &buf)?, UpdateFlags::ANY)
    }

    /// `BPF_MAP_LOOKUP_ELEM`—The entry under `key`, or `None`.
    pub fn get(&self, key: u32) -> Result<Option<DevMapValue>, MapError> {
        let map = self.map();
        Ok(lookup_raw(map, &key)?.map(|b| DevMapValue {
            ifindex: word(&b, 0),
            prog_id: prog_id(map, &b),
        }))
    }

    /// `BPF_MAP_DELETE_ELEM`—Removes `key`; `false` if it was absent.
    pub fn remove(&self, key: u32) -> Result<bool, MapError> {
        delete_raw(self.map(), &key)
    }

    /// `BPF_MAP_GET_NEXT_KEY`—The keys.
    pub fn keys(&self) -> Keys<'_, u32> {
        Keys::new(self.map())
    }
}

/// Typed view of a `BPF_MAP_TYPE_CPUMAP`: per-CPU kthreads that XDP
/// frames can be redirected to, indexed by CPU number.
#[doc(alias = "BPF_MAP_TYPE_CPUMAP")]
#[derive(Debug)]
pub struct CpuMap<T> {
    map: T,
    _k: PhantomData<()>,
}

impl<T: Borrow<Map>> CpuMap<T> {
    view_new!(&[MapType::CPUMAP], Some(4), &[4, 8]);

    /// `BPF_MAP_UPDATE_ELEM`—Starts a kthread on `cpu` with a queue of
    /// `qsize` frames, optionally running the XDP program `prog` (a
    /// `BPF_XDP_CPUMAP` program; maps with 8-byte values only).
    pub fn set(&self, cpu: u32, qsize: u32, prog: Option<BorrowedFd<'_>>) -> Result<(), MapError> {
        let map = self.map();
        let buf = words(qsize, prog_word(prog));
        update_raw(map, &cpu, value_prefix(map, &buf)?, UpdateFlags::ANY)
    }

    /// `BPF_MAP_LOOKUP_ELEM`—The entry of `cpu`, or `None`.
    pub fn get(&self, cpu: u32) -> Result<Option<CpuMapValue>, MapError> {
        let map = self.map();
        Ok(lookup_raw(map, &cpu)?.map(|b| CpuMapValue {
            qsize: word(&b, 0),
            prog_id: prog_id(map, &b),
        }))
    }

    /// `BPF_MAP_DELETE_ELEM`—Stops the kthread of `cpu`; `false` if there
    /// was none.
    pub fn remove(&self, cpu: u32) -> Result<bool, MapError> {
        delete_raw(self.map(), &cpu)
    }
}

/// `BPF_MAP_TYPE_STACK_TRACE` frames: instruction pointers, innermost
/// first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StackTrace {
    /// The frames (trailing zero slots removed).
    pub ips: Vec<u64>,
}

/// Typed view of a `BPF_MAP_TYPE_STACK_TRACE`: stacks recorded by
/// `bpf_get_stackid`, by stack ID. `value_size` is 8 × the maximum
/// depth (with `BPF_F_STACK_BUILD_ID`, 32 bytes per frame: use
/// [`get_raw`](Self::get_raw)).
#[doc(alias = "BPF_MAP_TYPE_STACK_TRACE")]
#[derive(Debug)]
pub struct StackTraceMap<T> {
    map: T,
    _k: PhantomData<()>,
}

impl<T: Borrow<Map>> StackTraceMap<T> {
    /// The map types this view accepts.
    pub const TYPES: &'static [MapType] = &[MapType::STACK_TRACE];

    /// Wraps `map` after checking its type and key size.
    pub fn new(map: T) -> Result<Self, MapError> {
        map.borrow().check_view(Self::TYPES, Some(4), None)?;
        Ok(Self {
            map,
            _k: PhantomData,
        })
    }

    /// The underlying map.
    pub fn map(&self) -> &Map {
        self.map.borrow()
    }

    /// Unwraps the map.
    pub fn into_inner(self) -> T {
        self.map
    }

    /// `BPF_MAP_LOOKUP_ELEM`—The raw frames of `stack_id`, or `None`.
    pub fn get_raw(&self, stack_id: u32) -> Result<Option<Vec<u8>>, MapError> {
        let map = self.map();
        let mut buf = vec![0u8; map.value_size() as usize];
        map.lookup(as_bytes(&stack_id), &mut buf, LookupFlags::empty())
            .map(|found| found.then_some(buf))
    }

    /// `BPF_MAP_LOOKUP_ELEM`—The instruction pointers of `stack_id`.
    pub fn get(&self, stack_id: u32) -> Result<Option<StackTrace>, MapError> {
        Ok(self.get_raw(stack_id)?.map(|raw| {
            let mut ips: Vec<u64> = raw
                .chunks_exact(8)
                .map(|c| read_unaligned::<u64>(c).unwrap_or(0))
                .collect();
            while ips.last() == Some(&0) {
                ips.pop();
            }
            StackTrace { ips }
        }))
    }

    /// `BPF_MAP_DELETE_ELEM`—Frees `stack_id`; `false` if it was absent.
    pub fn remove(&self, stack_id: u32) -> Result<bool, MapError> {
        delete_raw(self.map(), &stack_id)
    }

    /// `BPF_MAP_GET_NEXT_KEY`—The stack IDs in use.
    pub fn stack_ids(&self) -> Keys<'_, u32> {
        Keys::new(self.map())
    }
}

macro_rules! local_storage {
    (
        $(#[$meta:meta])*
        $name:ident, $ty:expr, key = $key:literal
    ) => {
        $(#[$meta])*
        ///
        /// The map must be created with `BPF_F_NO_PREALLOC`, `max_entries`
        /// 0, a 4-byte key and BTF for key and value. From user space an
        /// element is addressed by an fd of its owner:
        #[doc = concat!($key, ".")]
        #[derive(Debug)]
        pub struct $name<T, V> {
            map: T,
            _v: PhantomData<fn() -> V>,
        }

        impl<T: Borrow<Map>, V: Pod> $name<T, V> {
            /// The map types this view accepts.
            pub const TYPES: &'static [MapType] = &[$ty];

            /// Wraps `map` after checking its type and value size.
            pub fn new(map: T) -> Result<Self, MapError> {
                map.borrow().check_view(Self::TYPES, Some(4), Some(size_of::<V>()))?;
                Ok(Self { map, _v: PhantomData })
            }

            /// The underlying map.
            pub fn map(&self) -> &Map {
                self.map.borrow()
            }

            /// Unwraps the map.
            pub fn into_inner(self) -> T {
                self.map
            }

            /// `BPF_MAP_LOOKUP_ELEM`—The value stored for the owner of
            /// `owner` (an fd), or `None`.
            pub fn get(&self, owner: impl AsFd) -> Result<Option<V>, MapError> {
                let map = self.map();
                let key = owner.as_fd().as_raw_fd();
                let mut value = zeroed::<V>();
                match enoent_false(sys::map_lookup_elem(
                    map.map_fd(), as_bytes(&key), as_bytes_mut(&mut value), LookupFlags::empty(),
                )) {
                    Ok(true) => Ok(Some(value)),
                    Ok(false) => Ok(None),
                    Err(e) => Err(map.err("lookup", e)),
                }
            }

            /// `BPF_MAP_UPDATE_ELEM`—Stores `value` for the owner of `owner`.
            pub fn insert(&self, owner: impl AsFd, value: &V, flags: impl Into<UpdateFlags>) -> Result<(), MapError> {
                let map = self.map();
                let key = owner.as_fd().as_raw_fd();
                sys::map_update_elem(map.map_fd(), as_bytes(&key), as_bytes(value), flags.into())
                    .map_err(|e| map.err("update", e))
            }

            /// `BPF_MAP_DELETE_ELEM`—Removes the value of the owner of
            /// `owner`; `false` if there was none.
            pub fn remove(&self, owner: impl AsFd) -> Result<bool, MapError> {
                let key = owner.as_fd().as_raw_fd();
                delete_raw(self.map(), &key)
            }
        }
    };
}

local_storage!(
    /// Typed view of a `BPF_MAP_TYPE_SK_STORAGE`: a value per socket.
    #[doc(alias = "BPF_MAP_TYPE_SK_STORAGE")]
    SkStorage, MapType::SK_STORAGE, key = "a socket fd"
);

local_storage!(
    /// Typed view of a `BPF_MAP_TYPE_TASK_STORAGE`: a value per task.
    #[doc(alias = "BPF_MAP_TYPE_TASK_STORAGE")]
    TaskStorage, MapType::TASK_STORAGE, key = "a pidfd (see `oxbpf_sys::fs::pidfd_open`)"
);

local_storage!(
    /// Typed view of a `BPF_MAP_TYPE_INODE_STORAGE`: a value per inode
    /// (needs the BPF LSM).
    #[doc(alias = "BPF_MAP_TYPE_INODE_STORAGE")]
    InodeStorage, MapType::INODE_STORAGE, key = "an fd of an open file"
);

local_storage!(
    /// Typed view of a `BPF_MAP_TYPE_CGRP_STORAGE`: a value per cgroup.
    #[doc(alias = "BPF_MAP_TYPE_CGRP_STORAGE")]
    CgrpStorage, MapType::CGRP_STORAGE, key = "an fd of a cgroup v2 directory"
);

macro_rules! opaque {
    ($(#[$meta:meta])* $name:ident, $ty:expr) => {
        $(#[$meta])*
        #[derive(Debug)]
        pub struct $name<T> {
            map: T,
        }

        impl<T: Borrow<Map>> $name<T> {
            /// The map types this view accepts.
            pub const TYPES: &'static [MapType] = &[$ty];

            /// Wraps `map` after checking its type.
            pub fn new(map: T) -> Result<Self, MapError> {
                map.borrow().check_view(Self::TYPES, None, None)?;
                Ok(Self { map })
            }

            /// The underlying map.
            pub fn map(&self) -> &Map {
                self.map.borrow()
            }

            /// Unwraps the map.
            pub fn into_inner(self) -> T {
                self.map
            }
        }
    };
}

opaque!(
    /// A `BPF_MAP_TYPE_RINGBUF`: `max_entries` is its size in bytes (a
    /// power-of-two multiple of the page size). The reader comes with the
    /// event readers.
    #[doc(alias = "BPF_MAP_TYPE_RINGBUF")]
    RingBuf, MapType::RINGBUF
);

impl<T: Borrow<Map>> RingBuf<T> {
    /// The data area's size in bytes.
    pub fn size(&self) -> u32 {
        self.map().max_entries()
    }
}

opaque!(
    /// A `BPF_MAP_TYPE_USER_RINGBUF`: a ring buffer user space writes and
    /// programs drain with `bpf_user_ringbuf_drain`.
    #[doc(alias = "BPF_MAP_TYPE_USER_RINGBUF")]
    UserRingBuf, MapType::USER_RINGBUF
);

impl<T: Borrow<Map>> UserRingBuf<T> {
    /// The data area's size in bytes.
    pub fn size(&self) -> u32 {
        self.map().max_entries()
    }
}

opaque!(
    /// A `BPF_MAP_TYPE_ARENA`: memory shared between programs and user
    /// space, `max_entries` pages (created with `BPF_F_MMAPABLE`).
    #[doc(alias = "BPF_MAP_TYPE_ARENA")]
    Arena, MapType::ARENA
);

impl<T: Borrow<Map>> Arena<T> {
    /// The arena's size in pages.
    pub fn pages(&self) -> u32 {
        self.map().max_entries()
    }
}
