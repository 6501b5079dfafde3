//! [`Array`] and [`PerCpuArray`].

use std::borrow::Borrow;
use std::marker::PhantomData;
use std::mem::size_of;

use oxbpf_sys::{
    self as sys, as_bytes, as_bytes_mut, zeroed, LookupFlags, MapType, Pod, UpdateFlags,
};

use crate::batch::{self, BatchOptions};
use crate::error::MapError;
use crate::map::Map;
use crate::per_cpu::PerCpuValues;

fn check_index(map: &Map, index: u32) -> Result<(), MapError> {
    if index < map.max_entries() {
        Ok(())
    } else {
        Err(MapError::OutOfBounds {
            name: map.name().to_string(),
            index,
            max_entries: map.max_entries(),
        })
    }
}

/// Typed view of a `BPF_MAP_TYPE_ARRAY`: `max_entries` values of type `V`
/// indexed by `u32`, all present from creation (zeroed), never deleted.
///
/// ```no_run
/// use oxbpf_maps::{Array, Map, MapSpec, UpdateMode};
/// let map = Map::create(&MapSpec::array::<u64>("config", 4))?;
/// let config = Array::<_, u64>::new(map)?;
/// config.set(2, &42, UpdateMode::Any)?;
/// assert_eq!(config.get(2)?, 42);
/// assert_eq!(config.get(0)?, 0);
/// # Ok::<(), oxbpf_maps::MapError>(())
/// ```
#[doc(alias = "BPF_MAP_TYPE_ARRAY")]
#[derive(Debug)]
pub struct Array<T, V> {
    map: T,
    _v: PhantomData<fn() -> V>,
}

impl<T: Borrow<Map>, V: Pod + oxbpf_btf::layout::BtfLayout> Array<T, V> {
    /// The map types this view accepts.
    pub const TYPES: &'static [MapType] = &[MapType::ARRAY];

    /// Wraps `map` after checking its type and value size.
    pub fn new(map: T) -> Result<Self, MapError> {
        map.borrow()
            .check_view(Self::TYPES, Some(4), Some(size_of::<V>()))?;
        map.borrow().check_layout(None, Some(V::btf_type()))?;
        Ok(Self {
            map,
            _v: PhantomData,
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

    /// `max_entries`
    pub fn len(&self) -> u32 {
        self.map().max_entries()
    }

    /// Whether `max_entries` is 0 (never: the kernel refuses that).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// `BPF_MAP_LOOKUP_ELEM`—The value at `index`.
    #[inline]
    pub fn get(&self, index: u32) -> Result<V, MapError> {
        self.get_with(index, LookupFlags::empty())
    }

    /// `BPF_MAP_LOOKUP_ELEM` with flags (`BPF_F_LOCK`).
    pub fn get_with(&self, index: u32, flags: LookupFlags) -> Result<V, MapError> {
        let map = self.map();
        check_index(map, index)?;
        let mut value = zeroed::<V>();
        sys::map_lookup_elem(
            map.map_fd(),
            as_bytes(&index),
            as_bytes_mut(&mut value),
            flags,
        )
        .map_err(|e| map.err("lookup", e))?;
        Ok(value)
    }

    /// `BPF_MAP_UPDATE_ELEM`—Sets the value at `index` (`NoExist` always
    /// fails on arrays: every index exists).
    #[inline]
    pub fn set(
        &self,
        index: u32,
        value: &V,
        flags: impl Into<UpdateFlags>,
    ) -> Result<(), MapError> {
        let map = self.map();
        check_index(map, index)?;
        sys::map_update_elem(
            map.map_fd(),
            as_bytes(&index),
            as_bytes(value),
            flags.into(),
        )
        .map_err(|e| map.err("update", e))
    }

    /// All values, index by index (`max_entries` lookups; use
    /// [`lookup_batch`](Self::lookup_batch) for large arrays).
    pub fn iter(&self) -> impl Iterator<Item = Result<V, MapError>> + '_ {
        (0..self.len()).map(move |i| self.get(i))
    }

    /// `BPF_MAP_LOOKUP_BATCH`—All values, in index order.
    ///
    /// # Minimum kernel version
    ///
    /// 5.6
    pub fn lookup_batch(&self) -> Result<Vec<V>, MapError> {
        let mut keys = Vec::<u32>::new();
        let mut values = Vec::new();
        let opts = BatchOptions {
            chunk: self.len().clamp(1, 1 << 16),
            ..Default::default()
        };
        batch::lookup_all(self.map(), false, &mut keys, &mut values, &opts)?;
        Ok(values)
    }

    /// `BPF_MAP_UPDATE_BATCH`—Sets `values[i]` at `indices[i]`.
    ///
    /// The kernel takes no update mode for batches: `flags` must be
    /// [`UpdateMode::Any`](crate::UpdateMode::Any), optionally
    /// [`with_lock`](UpdateFlags::with_lock); anything else is refused
    /// before the call.
    pub fn update_batch(
        &self,
        indices: &[u32],
        values: &[V],
        flags: impl Into<UpdateFlags>,
    ) -> Result<usize, MapError> {
        batch::update_all(self.map(), indices, values, flags.into())
    }

    /// `BPF_MAP_FREEZE`—See [`Map::freeze`].
    pub fn freeze(&self) -> Result<(), MapError> {
        self.map().freeze()
    }
}

/// Typed view of a `BPF_MAP_TYPE_PERCPU_ARRAY`: one `V` per possible CPU
/// at every index.
#[doc(alias = "BPF_MAP_TYPE_PERCPU_ARRAY")]
#[derive(Debug)]
pub struct PerCpuArray<T, V> {
    map: T,
    _v: PhantomData<fn() -> V>,
}

impl<T: Borrow<Map>, V: Pod + oxbpf_btf::layout::BtfLayout> PerCpuArray<T, V> {
    /// The map types this view accepts.
    pub const TYPES: &'static [MapType] = &[MapType::PERCPU_ARRAY];

    /// Wraps `map` after checking its type and per-CPU value size.
    pub fn new(map: T) -> Result<Self, MapError> {
        map.borrow()
            .check_view(Self::TYPES, Some(4), Some(size_of::<V>()))?;
        map.borrow().check_layout(None, Some(V::btf_type()))?;
        Ok(Self {
            map,
            _v: PhantomData,
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

    /// `max_entries`
    pub fn len(&self) -> u32 {
        self.map().max_entries()
    }

    /// Whether `max_entries` is 0.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// `BPF_MAP_LOOKUP_ELEM`—The values at `index` on every CPU.
    pub fn get(&self, index: u32) -> Result<PerCpuValues<V>, MapError> {
        let mut values = PerCpuValues::zeroed()?;
        self.get_into(index, &mut values)?;
        Ok(values)
    }

    /// `BPF_MAP_LOOKUP_ELEM` into an existing buffer (no allocation).
    pub fn get_into(&self, index: u32, values: &mut PerCpuValues<V>) -> Result<(), MapError> {
        let map = self.map();
        check_index(map, index)?;
        sys::map_lookup_elem(
            map.map_fd(),
            as_bytes(&index),
            values.as_bytes_mut(),
            LookupFlags::empty(),
        )
        .map_err(|e| map.err("lookup", e))
    }

    /// `BPF_MAP_UPDATE_ELEM`—Sets the values at `index` on every CPU.
    pub fn set(
        &self,
        index: u32,
        values: &PerCpuValues<V>,
        flags: impl Into<UpdateFlags>,
    ) -> Result<(), MapError> {
        let map = self.map();
        check_index(map, index)?;
        sys::map_update_elem(
            map.map_fd(),
            as_bytes(&index),
            values.as_bytes(),
            flags.into(),
        )
        .map_err(|e| map.err("update", e))
    }

    /// All values, index by index.
    pub fn iter(&self) -> impl Iterator<Item = Result<PerCpuValues<V>, MapError>> + '_ {
        (0..self.len()).map(move |i| self.get(i))
    }
}
