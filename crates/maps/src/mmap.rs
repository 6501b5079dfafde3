//! [`MmapArray`]: a `BPF_F_MMAPABLE` array as shared memory.
//!
//! This module and the event readers' mappings are the only places in
//! this crate with `unsafe` code. The mapping is a [`memmap2::MmapRaw`],
//! which never hands out references: the kernel (BPF programs) may write
//! any element at any time, so every access here is a volatile copy of
//! one element, or an atomic operation. No `&`/`&mut` to element memory
//! is ever created, except `&AtomicU64`, which is exactly the type made
//! for memory that others write concurrently.
#![allow(unsafe_code)]

use std::marker::PhantomData;
use std::mem::{align_of, size_of};
use std::os::fd::{AsFd, AsRawFd};
use std::sync::atomic::AtomicU64;

use memmap2::{MmapOptions, MmapRaw};
use oxbpf_sys::{as_bytes, as_bytes_mut, page_size, zeroed, MapFlags, MapType, Pod};

use crate::error::MapError;
use crate::map::Map;

/// A `BPF_MAP_TYPE_ARRAY` created with `BPF_F_MMAPABLE`, mapped into
/// this process: element reads and writes are plain memory accesses, no
/// system calls.
///
/// Element `i` lives at offset `i × round_up(value_size, 8)` of the
/// mapping, as in the kernel's `struct bpf_array`. The mapping holds its
/// own reference to the map, so it stays valid after the [`Map`] is
/// dropped.
///
/// A value is read and written as a whole with volatile copies; a value
/// larger than 8 bytes may be torn by a concurrent program write (use a
/// spin lock in the value and the syscall path with `BPF_F_LOCK` if that
/// matters, or [`atomic_u64`](Self::atomic_u64) for counters).
///
/// ```no_run
/// use oxbpf_maps::{Map, MapFlags, MapSpec, MmapArray};
/// let spec = MapSpec::array::<u64>("shared", 16).with_flags(MapFlags::MMAPABLE);
/// let map = Map::create(&spec)?;
/// let mem = MmapArray::<u64>::new(&map)?;
/// mem.set(3, 7)?;
/// assert_eq!(mem.get(3), Some(7));
/// # Ok::<(), oxbpf_maps::MapError>(())
/// ```
#[derive(Debug)]
pub struct MmapArray<V> {
    mmap: MmapRaw,
    name: String,
    len: u32,
    stride: usize,
    writable: bool,
    _v: PhantomData<fn() -> V>,
}

// SAFETY: the mapping is plain shared memory; all accesses are volatile
// element copies or atomics, which are fine from any thread (the kernel
// accesses it concurrently anyway).
unsafe impl<V> Send for MmapArray<V> {}
// SAFETY: as above; `&self` methods never create non-atomic references.
unsafe impl<V> Sync for MmapArray<V> {}

impl<V: Pod + oxbpf_btf::layout::BtfLayout> MmapArray<V> {
    /// Maps `map` read-write (`PROT_READ | PROT_WRITE`, `MAP_SHARED`).
    ///
    /// Fails with [`MapError::WrongMapType`] unless the map is an array,
    /// [`MapError::InvalidSpec`] without `BPF_F_MMAPABLE`,
    /// [`MapError::InvalidValueSize`] if `V` has the wrong size, and
    /// [`MapError::Mmap`] (`EPERM`) for frozen or read-only maps: use
    /// [`read_only`](Self::read_only) for those.
    pub fn new(map: &Map) -> Result<Self, MapError> {
        Self::map_with(map, true)
    }

    /// Maps `map` read-only (`PROT_READ`, `MAP_SHARED`): works for frozen
    /// maps; [`set`](Self::set) fails.
    pub fn read_only(map: &Map) -> Result<Self, MapError> {
        Self::map_with(map, false)
    }

    fn map_with(map: &Map, writable: bool) -> Result<Self, MapError> {
        map.check_view(&[MapType::ARRAY], Some(4), Some(size_of::<V>()))?;
        // For global data (`.data`, `.rodata`, `.bss`) the value type is the
        // section's DATASEC: `V` is then checked variable by variable.
        map.check_layout(None, Some(V::btf_type()))?;
        if !map.flags().contains(MapFlags::MMAPABLE) {
            return Err(MapError::InvalidSpec {
                name: map.name().to_string(),
                reason: "array was not created with BPF_F_MMAPABLE".into(),
            });
        }
        let stride = (map.value_size() as usize).div_ceil(8) * 8;
        let data = stride
            .checked_mul(map.max_entries() as usize)
            .ok_or_else(|| MapError::InvalidSpec {
                name: map.name().to_string(),
                reason: "array too large to map".into(),
            })?;
        let page = page_size();
        let len = data.div_ceil(page).max(1) * page;
        let mut opts = MmapOptions::new();
        opts.len(len);
        let fd = map.as_fd().as_raw_fd();
        let mmap = if writable {
            opts.map_raw(fd)
        } else {
            opts.map_raw_read_only(fd)
        }
        .map_err(|source| MapError::Mmap {
            name: map.name().to_string(),
            source,
        })?;
        Ok(Self {
            mmap,
            name: map.name().to_string(),
            len: map.max_entries(),
            stride,
            writable,
            _v: PhantomData,
        })
    }

    /// `max_entries`
    pub fn len(&self) -> u32 {
        self.len
    }

    /// Whether the array has no elements (never: the kernel refuses that).
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Whether the mapping is writable.
    pub fn is_writable(&self) -> bool {
        self.writable
    }

    /// The address of element `index`, or `None` past the end.
    fn element(&self, index: u32) -> Option<*mut u8> {
        if index >= self.len {
            return None;
        }
        let offset = index as usize * self.stride;
        debug_assert!(offset + size_of::<V>() <= self.mmap.len());
        // SAFETY: `offset + size_of::<V>()` is within the mapping, whose
        // length covers `stride × len` bytes (checked at construction), so
        // the result stays inside the same allocation.
        Some(unsafe { self.mmap.as_mut_ptr().add(offset) })
    }

    /// Copies element `index` out of the mapping (`None` past the end).
    pub fn get(&self, index: u32) -> Option<V> {
        let ptr = self.element(index)?;
        if (ptr as usize) % align_of::<V>() == 0 {
            // SAFETY: `ptr` is in bounds for `size_of::<V>()` bytes (see
            // `element`), aligned for `V` (checked), and any bytes are a
            // valid `V` (`Pod`); a volatile read makes no assumption about
            // concurrent writers.
            Some(unsafe { ptr.cast::<V>().read_volatile() })
        } else {
            let mut out = zeroed::<V>();
            for (i, b) in as_bytes_mut(&mut out).iter_mut().enumerate() {
                // SAFETY: `ptr + i` is within the element (in bounds, see
                // `element`); `u8` needs no alignment.
                *b = unsafe { ptr.wrapping_add(i).read_volatile() };
            }
            Some(out)
        }
    }

    /// Copies `value` into element `index`.
    ///
    /// Fails with [`MapError::OutOfBounds`] past the end and with
    /// [`MapError::Mmap`] (`EACCES`) on a read-only mapping.
    pub fn set(&self, index: u32, value: V) -> Result<(), MapError> {
        self.check_writable()?;
        let ptr = self.element(index).ok_or(MapError::OutOfBounds {
            name: self.name.clone(),
            index,
            max_entries: self.len,
        })?;
        if (ptr as usize) % align_of::<V>() == 0 {
            // SAFETY: in bounds and aligned as in `get`; the mapping is
            // writable (checked); no reference to this memory exists.
            unsafe { ptr.cast::<V>().write_volatile(value) };
        } else {
            for (i, b) in as_bytes(&value).iter().enumerate() {
                // SAFETY: `ptr + i` is within the writable element.
                unsafe { ptr.wrapping_add(i).write_volatile(*b) };
            }
        }
        Ok(())
    }

    /// The first 8 bytes of element `index` as an [`AtomicU64`], for
    /// counters shared with programs (`__sync_fetch_and_add` on the BPF
    /// side). `None` past the end, on a read-only mapping, or if `V` is
    /// smaller than 8 bytes.
    pub fn atomic_u64(&self, index: u32) -> Option<&AtomicU64> {
        if !self.writable || size_of::<V>() < 8 {
            return None;
        }
        let ptr = self.element(index)?.cast::<u64>();
        // SAFETY: `ptr` is 8-byte aligned (the mapping is page-aligned and
        // the stride a multiple of 8), in bounds for 8 bytes (the element
        // has at least 8), and valid for reads and writes for as long as
        // `self` (the mapping) lives, which bounds the returned lifetime.
        // All Rust accesses to it through this type are atomic or volatile.
        Some(unsafe { AtomicU64::from_ptr(ptr) })
    }

    fn check_writable(&self) -> Result<(), MapError> {
        if self.writable {
            Ok(())
        } else {
            Err(MapError::Mmap {
                name: self.name.clone(),
                source: std::io::Error::from_raw_os_error(libc::EACCES),
            })
        }
    }
}
