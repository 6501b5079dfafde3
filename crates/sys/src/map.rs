//! Map commands: `BPF_MAP_CREATE`, the element and batch operations, and
//! `BPF_MAP_FREEZE`.
//!
//! Element operations copy `key_size` bytes from the key buffer and
//! `value_size` bytes (times the number of possible CPUs for per-CPU maps)
//! into or out of the value buffer. A safe wrapper must therefore know
//! those sizes; they are cached in [`MapFd`], which the element and batch
//! wrappers take, and every buffer is checked against them before the
//! system call (a mismatch is `EINVAL` without entering the kernel).

use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};

use crate::attr::{MapBatchAttr, MapCreateAttr, MapElemAttr};
use crate::bpf::{fd_u32, len_u32, opt_fd_u32, ptr, ptr_mut, sys_bpf, sys_bpf_fd, ObjName};
use crate::error::{einval, Result, SyscallError};
use crate::flags::{LookupFlags, MapFlags, UpdateFlags};
use crate::obj::map_info;
use crate::types::{Cmd, MapType};

/// What to create with [`map_create`]: the typed form of `MapCreateAttr`.
///
/// Start from `Default` and set what you need; optional fds are `None` by
/// default, and setting one also sets the flag the kernel expects with it
/// (`BPF_F_NUMA_NODE`, `BPF_F_VTYPE_BTF_OBJ_FD`, `BPF_F_TOKEN_FD`).
#[derive(Debug, Clone, Copy, Default)]
pub struct MapCreateArgs<'a> {
    /// `map_type`
    pub map_type: MapType,
    /// `key_size`
    pub key_size: u32,
    /// `value_size`
    pub value_size: u32,
    /// `max_entries`
    pub max_entries: u32,
    /// `map_flags`
    pub map_flags: MapFlags,
    /// `inner_map_fd`—Template of the inner maps of a map-in-map.
    pub inner_map: Option<BorrowedFd<'a>>,
    /// `numa_node`; `Some` also sets `BPF_F_NUMA_NODE`.
    pub numa_node: Option<u32>,
    /// `map_name`
    pub name: ObjName,
    /// `map_ifindex`—Device to offload the map to, or 0.
    pub map_ifindex: u32,
    /// `btf_fd`—BTF describing the key and value types.
    pub btf: Option<BorrowedFd<'a>>,
    /// `btf_key_type_id`
    pub btf_key_type_id: u32,
    /// `btf_value_type_id`
    pub btf_value_type_id: u32,
    /// `btf_vmlinux_value_type_id`—Kernel type of a struct_ops value.
    pub btf_vmlinux_value_type_id: u32,
    /// `map_extra`
    pub map_extra: u64,
    /// `value_type_btf_obj_fd`—Module BTF holding
    /// `btf_vmlinux_value_type_id`; `Some` also sets
    /// `BPF_F_VTYPE_BTF_OBJ_FD`.
    pub value_type_btf_obj: Option<BorrowedFd<'a>>,
    /// `map_token_fd`; `Some` also sets `BPF_F_TOKEN_FD`.
    pub token: Option<BorrowedFd<'a>>,
    /// `excl_prog_hash`—Hash of the only program allowed to use the map.
    pub excl_prog_hash: Option<&'a [u8]>,
}

impl MapCreateArgs<'_> {
    /// The attr struct these arguments describe. Its pointer fields point
    /// into `self`, so it must not outlive `self`.
    fn build_attr(&self) -> Result<MapCreateAttr> {
        let mut flags = self.map_flags;
        flags.set(MapFlags::NUMA_NODE, self.numa_node.is_some());
        flags.set(
            MapFlags::VTYPE_BTF_OBJ_FD,
            self.value_type_btf_obj.is_some(),
        );
        flags.set(MapFlags::TOKEN_FD, self.token.is_some());
        let hash = self.excl_prog_hash.unwrap_or(&[]);
        Ok(MapCreateAttr {
            map_type: self.map_type.as_raw(),
            key_size: self.key_size,
            value_size: self.value_size,
            max_entries: self.max_entries,
            map_flags: flags.bits(),
            inner_map_fd: opt_fd_u32(self.inner_map),
            numa_node: self.numa_node.unwrap_or(0),
            map_name: self.name.to_array(),
            map_ifindex: self.map_ifindex,
            btf_fd: opt_fd_u32(self.btf),
            btf_key_type_id: self.btf_key_type_id,
            btf_value_type_id: self.btf_value_type_id,
            btf_vmlinux_value_type_id: self.btf_vmlinux_value_type_id,
            map_extra: self.map_extra,
            value_type_btf_obj_fd: self.value_type_btf_obj.map_or(0, |fd| fd.as_raw_fd()),
            map_token_fd: self.token.map_or(0, |fd| fd.as_raw_fd()),
            excl_prog_hash: ptr(hash),
            excl_prog_hash_size: len_u32(hash.len(), "BPF_MAP_CREATE")?,
            ..Default::default()
        })
    }
}

/// `BPF_MAP_CREATE`—Creates a map and returns its fd.
///
/// See [`MapFd::create`] for a handle that also enables the element
/// operations.
///
/// # Minimum kernel version
///
/// 3.19; most map types and fields are newer.
pub fn map_create(args: &MapCreateArgs<'_>) -> Result<OwnedFd, SyscallError> {
    let mut attr = args.build_attr()?;
    // SAFETY: `attr` is the `BPF_MAP_CREATE` attr; its only pointer
    // (`excl_prog_hash`) borrows `args`, alive for the call, with its exact
    // length; its fds are borrowed from `args`; the command returns a new fd.
    unsafe { sys_bpf_fd(Cmd::MAP_CREATE, &mut attr) }
}

/// A map fd together with the sizes the element operations need.
///
/// The sizes are fixed when the map is created and cannot change, so
/// caching them is exact. The element and batch wrappers check every
/// buffer against them, which is what makes them safe.
#[derive(Debug)]
pub struct MapFd {
    fd: OwnedFd,
    map_type: MapType,
    key_size: u32,
    value_size: u32,
    max_entries: u32,
    map_flags: MapFlags,
    value_len: usize,
}

impl MapFd {
    /// `BPF_MAP_CREATE`—Creates a map (see [`map_create`]).
    pub fn create(args: &MapCreateArgs<'_>) -> Result<Self, SyscallError> {
        let value_len = value_len(args.map_type, args.value_size)?;
        let map_flags = MapFlags::from_bits_retain(args.build_attr()?.map_flags);
        let fd = map_create(args)?;
        Ok(Self {
            fd,
            map_type: args.map_type,
            key_size: args.key_size,
            value_size: args.value_size,
            max_entries: args.max_entries,
            map_flags,
            value_len,
        })
    }

    /// `BPF_OBJ_GET_INFO_BY_FD`—Wraps an fd of a map (from
    /// [`obj_get`](crate::obj_get), [`map_get_fd_by_id`](crate::map_get_fd_by_id),
    /// another process, …), asking the kernel for its sizes.
    ///
    /// The fd is first checked to be a map (its `/proc/self/fd` link is the
    /// kernel's `anon_inode:bpf-map`), because the kernel answers
    /// `BPF_OBJ_GET_INFO_BY_FD` for programs, links and BTF too, with
    /// different structs. Fails with `EINVAL` if `fd` is not a BPF map, and
    /// with the `readlink` error if `/proc` is unavailable.
    pub fn from_fd(fd: OwnedFd) -> Result<Self, SyscallError> {
        if !is_map_fd(fd.as_fd())? {
            return Err(einval("BPF_OBJ_GET_INFO_BY_FD"));
        }
        let info = map_info(fd.as_fd())?;
        let value_len = value_len(info.map_type, info.value_size)?;
        Ok(Self {
            map_type: info.map_type,
            key_size: info.key_size,
            value_size: info.value_size,
            max_entries: info.max_entries,
            map_flags: info.flags(),
            value_len,
            fd,
        })
    }

    /// The map's type.
    pub fn map_type(&self) -> MapType {
        self.map_type
    }

    /// `key_size`: the exact length of every key buffer.
    pub fn key_size(&self) -> u32 {
        self.key_size
    }

    /// `value_size` as the map was created with.
    pub fn value_size(&self) -> u32 {
        self.value_size
    }

    /// The exact length of a value buffer in element operations:
    /// `value_size`, or for per-CPU maps `value_size` rounded up to 8,
    /// times the number of possible CPUs.
    pub fn value_len(&self) -> usize {
        self.value_len
    }

    /// `max_entries`
    pub fn max_entries(&self) -> u32 {
        self.max_entries
    }

    /// `map_flags`
    pub fn flags(&self) -> MapFlags {
        self.map_flags
    }

    /// The minimum length of a batch token buffer (`in_batch`/`out_batch`):
    /// hash maps use a `u32` bucket index, other maps a key.
    pub fn batch_token_len(&self) -> usize {
        (self.key_size as usize).max(std::mem::size_of::<u32>())
    }

    /// Unwraps the fd.
    pub fn into_fd(self) -> OwnedFd {
        self.fd
    }

    /// Duplicates the fd (`F_DUPFD_CLOEXEC`), keeping the cached sizes.
    pub fn try_clone(&self) -> io::Result<Self> {
        Ok(Self {
            fd: self.fd.try_clone()?,
            ..*self
        })
    }

    fn check_key(&self, key: &[u8], call: &'static str) -> Result<()> {
        if key.len() == self.key_size as usize {
            Ok(())
        } else {
            Err(einval(call))
        }
    }

    fn check_value(&self, value: &[u8], call: &'static str) -> Result<()> {
        if value.len() == self.value_len {
            Ok(())
        } else {
            Err(einval(call))
        }
    }
}

impl AsFd for MapFd {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }
}

impl From<MapFd> for OwnedFd {
    fn from(map: MapFd) -> Self {
        map.fd
    }
}

/// Whether `fd` is a BPF map: the kernel names the anonymous inode of
/// every map fd `bpf-map` (`bpf-prog`, `bpf_link`, `btf` for the others).
fn is_map_fd(fd: BorrowedFd<'_>) -> Result<bool> {
    const CALL: &str = "readlink /proc/self/fd";
    let link =
        std::fs::read_link(format!("/proc/self/fd/{}", fd.as_raw_fd())).map_err(|source| {
            SyscallError {
                call: CALL,
                source: match source.raw_os_error() {
                    Some(_) => source,
                    None => io::Error::from_raw_os_error(libc::EIO),
                },
            }
        })?;
    Ok(link.as_os_str() == "anon_inode:bpf-map")
}

/// The value buffer length for a map type and value size (see
/// [`MapFd::value_len`]).
fn value_len(map_type: MapType, value_size: u32) -> Result<usize> {
    if !map_type.is_per_cpu() {
        return Ok(value_size as usize);
    }
    let cpus = crate::system::nr_possible_cpus().map_err(|err| {
        let source = match err {
            crate::system::CpuListError::Io { source, .. } => source,
            _ => io::Error::from_raw_os_error(libc::EINVAL),
        };
        SyscallError {
            call: crate::system::POSSIBLE_CPUS_PATH,
            source,
        }
    })?;
    let slot = (value_size as usize).div_ceil(8) * 8;
    slot.checked_mul(cpus)
        .ok_or_else(|| einval(crate::system::POSSIBLE_CPUS_PATH))
}

/// Runs an element command on `attr`.
///
/// # Safety
///
/// `attr.key` and `attr.value` are zero or point to live buffers of the
/// lengths `cmd` accesses for this map, the value buffer being writable and
/// unaliased for lookups.
unsafe fn elem_op(cmd: Cmd, attr: &mut MapElemAttr) -> Result<()> {
    // SAFETY: forwarded from the caller; `MapElemAttr` is the attr of all
    // element commands, and none of them creates an fd.
    unsafe { sys_bpf(cmd, attr) }.map(drop)
}

/// `BPF_MAP_LOOKUP_ELEM`—Copies the value stored under `key` into `value`.
///
/// `key` must be [`key_size`](MapFd::key_size) bytes long and `value`
/// [`value_len`](MapFd::value_len) bytes, else `EINVAL`. `ENOENT` means
/// there is no such element. For queues and stacks (key size 0) this peeks.
pub fn map_lookup_elem(
    map: &MapFd,
    key: &[u8],
    value: &mut [u8],
    flags: LookupFlags,
) -> Result<(), SyscallError> {
    const CALL: &str = "BPF_MAP_LOOKUP_ELEM";
    map.check_key(key, CALL)?;
    map.check_value(value, CALL)?;
    let mut attr = MapElemAttr {
        map_fd: fd_u32(map.as_fd()),
        key: ptr(key),
        value: ptr_mut(value),
        flags: flags.bits(),
        ..Default::default()
    };
    // SAFETY: key and value are borrowed for the call and have exactly the
    // lengths the kernel copies for this map (checked above); `value` is
    // exclusively borrowed.
    unsafe { elem_op(Cmd::MAP_LOOKUP_ELEM, &mut attr) }
}

/// `BPF_MAP_UPDATE_ELEM`—Stores `value` under `key`.
///
/// Buffer lengths as for [`map_lookup_elem`]. For queues and stacks (key
/// size 0) this pushes.
pub fn map_update_elem(
    map: &MapFd,
    key: &[u8],
    value: &[u8],
    flags: UpdateFlags,
) -> Result<(), SyscallError> {
    const CALL: &str = "BPF_MAP_UPDATE_ELEM";
    map.check_key(key, CALL)?;
    map.check_value(value, CALL)?;
    let mut attr = MapElemAttr {
        map_fd: fd_u32(map.as_fd()),
        key: ptr(key),
        value: ptr(value),
        flags: flags.bits(),
        ..Default::default()
    };
    // SAFETY: key and value are borrowed for the call with the lengths the
    // kernel reads (checked above); nothing is written.
    unsafe { elem_op(Cmd::MAP_UPDATE_ELEM, &mut attr) }
}

/// `BPF_MAP_DELETE_ELEM`—Deletes the element stored under `key`.
///
/// `ENOENT` means there is no such element.
pub fn map_delete_elem(map: &MapFd, key: &[u8]) -> Result<(), SyscallError> {
    const CALL: &str = "BPF_MAP_DELETE_ELEM";
    map.check_key(key, CALL)?;
    let mut attr = MapElemAttr {
        map_fd: fd_u32(map.as_fd()),
        key: ptr(key),
        ..Default::default()
    };
    // SAFETY: the key is borrowed for the call with the length the kernel
    // reads (checked above); there is no value buffer.
    unsafe { elem_op(Cmd::MAP_DELETE_ELEM, &mut attr) }
}

/// `BPF_MAP_GET_NEXT_KEY`—Writes the key following `key` (the first key if
/// `key` is `None` or absent from the map) into `next_key`.
///
/// `ENOENT` means `key` was the last one. Both buffers are
/// [`key_size`](MapFd::key_size) bytes.
pub fn map_get_next_key(
    map: &MapFd,
    key: Option<&[u8]>,
    next_key: &mut [u8],
) -> Result<(), SyscallError> {
    const CALL: &str = "BPF_MAP_GET_NEXT_KEY";
    if let Some(key) = key {
        map.check_key(key, CALL)?;
    }
    map.check_key(next_key, CALL)?;
    let mut attr = MapElemAttr {
        map_fd: fd_u32(map.as_fd()),
        key: key.map_or(0, ptr),
        value: ptr_mut(next_key),
        ..Default::default()
    };
    // SAFETY: both buffers are borrowed for the call and are exactly
    // `key_size` bytes, which is what the kernel reads and writes;
    // `next_key` is exclusively borrowed.
    unsafe { elem_op(Cmd::MAP_GET_NEXT_KEY, &mut attr) }
}

/// `BPF_MAP_LOOKUP_AND_DELETE_ELEM`—Copies the value under `key` into
/// `value` and deletes the element; for queues and stacks (key size 0,
/// empty `key`) this pops.
///
/// Buffer lengths as for [`map_lookup_elem`].
pub fn map_lookup_and_delete_elem(
    map: &MapFd,
    key: &[u8],
    value: &mut [u8],
    flags: LookupFlags,
) -> Result<(), SyscallError> {
    const CALL: &str = "BPF_MAP_LOOKUP_AND_DELETE_ELEM";
    map.check_key(key, CALL)?;
    map.check_value(value, CALL)?;
    let mut attr = MapElemAttr {
        map_fd: fd_u32(map.as_fd()),
        key: ptr(key),
        value: ptr_mut(value),
        flags: flags.bits(),
        ..Default::default()
    };
    // SAFETY: as for `map_lookup_elem`.
    unsafe { elem_op(Cmd::MAP_LOOKUP_AND_DELETE_ELEM, &mut attr) }
}

/// `BPF_MAP_FREEZE`—Makes the map read-only for user space, for good.
///
/// # Minimum kernel version
///
/// 5.2
pub fn map_freeze(map: impl AsFd) -> Result<(), SyscallError> {
    let mut attr = MapElemAttr {
        map_fd: fd_u32(map.as_fd()),
        ..Default::default()
    };
    // SAFETY: the attr holds no pointers; the fd is borrowed for the call.
    unsafe { elem_op(Cmd::MAP_FREEZE, &mut attr) }
}

/// The result of a successful batch lookup.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BatchLookup {
    /// Number of elements written to the key and value buffers.
    pub count: u32,
    /// Whether the end of the map was reached (the kernel returned
    /// `ENOENT`); `out_batch` is meaningless then.
    pub done: bool,
}

/// A failed batch operation: the error, and how many elements were
/// processed before it.
#[derive(Debug, thiserror::Error)]
#[error("{source} after {processed} elements")]
#[non_exhaustive]
pub struct BatchError {
    /// Elements processed (written, updated or deleted) before the error.
    pub processed: u32,
    /// The error.
    #[source]
    pub source: SyscallError,
}

impl From<SyscallError> for BatchError {
    fn from(source: SyscallError) -> Self {
        Self {
            processed: 0,
            source,
        }
    }
}

/// Number of whole records of `size` bytes in `buf`, or `EINVAL`.
fn record_count(buf_len: usize, size: usize, call: &'static str) -> Result<usize> {
    if size == 0 {
        return if buf_len == 0 {
            Ok(0)
        } else {
            Err(einval(call))
        };
    }
    if buf_len % size == 0 {
        Ok(buf_len / size)
    } else {
        Err(einval(call))
    }
}

/// Checks the buffers of a batch and returns the element count.
fn batch_count(map: &MapFd, keys: usize, values: Option<usize>, call: &'static str) -> Result<u32> {
    let count = record_count(keys, map.key_size as usize, call)?;
    if let Some(values) = values {
        if Some(values) != count.checked_mul(map.value_len) {
            return Err(einval(call));
        }
    }
    len_u32(count, call)
}

/// Shared body of the two batch lookups.
fn lookup_batch(
    cmd: Cmd,
    map: &MapFd,
    in_batch: Option<&[u8]>,
    out_batch: &mut [u8],
    keys: &mut [u8],
    values: &mut [u8],
    elem_flags: LookupFlags,
) -> Result<BatchLookup, BatchError> {
    let call = cmd.name().unwrap_or("bpf");
    let count = batch_count(map, keys.len(), Some(values.len()), call)?;
    let token_len = map.batch_token_len();
    if in_batch.is_some_and(|b| b.len() < token_len) || out_batch.len() < token_len {
        return Err(einval(call).into());
    }
    let mut attr = MapBatchAttr {
        in_batch: in_batch.map_or(0, ptr),
        out_batch: ptr_mut(out_batch),
        keys: ptr_mut(keys),
        values: ptr_mut(values),
        count,
        map_fd: fd_u32(map.as_fd()),
        elem_flags: elem_flags.bits(),
        flags: 0,
    };
    // SAFETY: the key and value buffers hold exactly `count` elements of the
    // map's key and value length, the token buffers at least the token
    // length the kernel reads and writes (both checked above); all are
    // borrowed for the call, the written ones exclusively.
    match unsafe { sys_bpf(cmd, &mut attr) } {
        Ok(_) => Ok(BatchLookup {
            count: attr.count,
            done: false,
        }),
        Err(e) if e.errno() == libc::ENOENT => Ok(BatchLookup {
            count: attr.count,
            done: true,
        }),
        Err(source) => Err(BatchError {
            processed: attr.count,
            source,
        }),
    }
}

/// `BPF_MAP_LOOKUP_BATCH`—Copies up to `keys.len() / key_size` elements,
/// starting at the `in_batch` token (`None` for the start of the map), and
/// writes the token for the next call to `out_batch`.
///
/// `keys` must hold a whole number `n` of keys and `values` exactly `n`
/// values of [`value_len`](MapFd::value_len) bytes; the token buffers must
/// be at least [`batch_token_len`](MapFd::batch_token_len) bytes. The end
/// of the map is reported as `done`, not as `ENOENT`. `ENOSPC` means the
/// buffers cannot hold even the first hash bucket.
///
/// # Minimum kernel version
///
/// 5.6
pub fn map_lookup_batch(
    map: &MapFd,
    in_batch: Option<&[u8]>,
    out_batch: &mut [u8],
    keys: &mut [u8],
    values: &mut [u8],
    elem_flags: LookupFlags,
) -> Result<BatchLookup, BatchError> {
    lookup_batch(
        Cmd::MAP_LOOKUP_BATCH,
        map,
        in_batch,
        out_batch,
        keys,
        values,
        elem_flags,
    )
}

/// `BPF_MAP_LOOKUP_AND_DELETE_BATCH`—Like [`map_lookup_batch`], deleting
/// the elements returned.
///
/// # Minimum kernel version
///
/// 5.6
pub fn map_lookup_and_delete_batch(
    map: &MapFd,
    in_batch: Option<&[u8]>,
    out_batch: &mut [u8],
    keys: &mut [u8],
    values: &mut [u8],
    elem_flags: LookupFlags,
) -> Result<BatchLookup, BatchError> {
    lookup_batch(
        Cmd::MAP_LOOKUP_AND_DELETE_BATCH,
        map,
        in_batch,
        out_batch,
        keys,
        values,
        elem_flags,
    )
}

/// `BPF_MAP_UPDATE_BATCH`—Stores `values[i]` under `keys[i]` for every
/// element; returns how many were stored.
///
/// Buffers as for [`map_lookup_batch`]. On error,
/// [`BatchError::processed`] elements were stored.
///
/// # Minimum kernel version
///
/// 5.6
pub fn map_update_batch(
    map: &MapFd,
    keys: &[u8],
    values: &[u8],
    elem_flags: UpdateFlags,
) -> Result<u32, BatchError> {
    const CALL: &str = "BPF_MAP_UPDATE_BATCH";
    let count = batch_count(map, keys.len(), Some(values.len()), CALL)?;
    let mut attr = MapBatchAttr {
        keys: ptr(keys),
        values: ptr(values),
        count,
        map_fd: fd_u32(map.as_fd()),
        elem_flags: elem_flags.bits(),
        ..Default::default()
    };
    // SAFETY: both buffers hold exactly `count` elements of the map's key
    // and value length (checked above) and are only read.
    match unsafe { sys_bpf(Cmd::MAP_UPDATE_BATCH, &mut attr) } {
        Ok(_) => Ok(attr.count),
        Err(source) => Err(BatchError {
            processed: attr.count,
            source,
        }),
    }
}

/// `BPF_MAP_DELETE_BATCH`—Deletes the elements under `keys`; returns how
/// many were deleted.
///
/// On error, [`BatchError::processed`] elements were deleted.
///
/// # Minimum kernel version
///
/// 5.6
pub fn map_delete_batch(map: &MapFd, keys: &[u8]) -> Result<u32, BatchError> {
    const CALL: &str = "BPF_MAP_DELETE_BATCH";
    let count = batch_count(map, keys.len(), None, CALL)?;
    let mut attr = MapBatchAttr {
        keys: ptr(keys),
        count,
        map_fd: fd_u32(map.as_fd()),
        ..Default::default()
    };
    // SAFETY: the key buffer holds exactly `count` keys (checked above) and
    // is only read.
    match unsafe { sys_bpf(Cmd::MAP_DELETE_BATCH, &mut attr) } {
        Ok(_) => Ok(attr.count),
        Err(source) => Err(BatchError {
            processed: attr.count,
            source,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn create_args_set_implied_flags() {
        let args = MapCreateArgs {
            map_type: MapType::HASH,
            key_size: 4,
            value_size: 8,
            max_entries: 1,
            numa_node: Some(1),
            name: ObjName::new("m").unwrap(),
            ..Default::default()
        };
        let attr = args.build_attr().unwrap();
        assert_eq!(attr.map_flags, MapFlags::NUMA_NODE.bits());
        assert_eq!(attr.numa_node, 1);
        assert_eq!(attr.map_type, 1);
        assert_eq!(&attr.map_name[..2], b"m\0");
        assert_eq!(attr.excl_prog_hash, 0);
        assert_eq!(attr.excl_prog_hash_size, 0);
    }

    #[test]
    fn value_lengths() {
        assert_eq!(value_len(MapType::HASH, 12).unwrap(), 12);
        let cpus = crate::system::nr_possible_cpus().unwrap();
        assert_eq!(value_len(MapType::PERCPU_ARRAY, 12).unwrap(), 16 * cpus);
        assert_eq!(value_len(MapType::LRU_PERCPU_HASH, 8).unwrap(), 8 * cpus);
    }

    #[test]
    fn record_counts() {
        assert_eq!(record_count(12, 4, "X").unwrap(), 3);
        assert!(record_count(13, 4, "X").is_err());
        assert_eq!(record_count(0, 0, "X").unwrap(), 0);
        assert!(record_count(1, 0, "X").is_err());
    }
}
