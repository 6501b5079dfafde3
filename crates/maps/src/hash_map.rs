//! [`HashMap`] and [`PerCpuHashMap`] (plain and LRU).

use std::borrow::Borrow;
use std::marker::PhantomData;
use std::mem::size_of;

use oxbpf_sys::{
    self as sys, as_bytes, as_bytes_mut, zeroed, LookupFlags, MapType, Pod, UpdateFlags,
};

use crate::batch::{self, BatchOptions};
use crate::error::MapError;
use crate::iter::{Entries, Keys, PerCpuEntries};
use crate::map::{enoent_false, Map};
use crate::per_cpu::PerCpuValues;

/// Typed view of a `BPF_MAP_TYPE_HASH` or `BPF_MAP_TYPE_LRU_HASH` map.
///
/// `T` is the map, owned (`Map`) or borrowed (`&Map`). The key and value
/// sizes are checked once, in [`new`](Self::new); every operation is then
/// exactly one system call with stack buffers, no allocation.
///
/// ```no_run
/// use oxbpf_maps::{HashMap, Map, MapSpec, UpdateMode};
/// let map = Map::create(&MapSpec::hash::<u32, u64>("counts", 1024))?;
/// let counts = HashMap::<_, u32, u64>::new(&map)?;
/// counts.insert(&1, &10, UpdateMode::Any)?;
/// assert_eq!(counts.get(&1)?, Some(10));
/// assert_eq!(counts.get(&2)?, None);
/// for entry in counts.iter() {
///     let (k, v) = entry?;
///     println!("{k} = {v}");
/// }
/// # Ok::<(), oxbpf_maps::MapError>(())
/// ```
#[doc(alias = "BPF_MAP_TYPE_HASH")]
#[doc(alias = "BPF_MAP_TYPE_LRU_HASH")]
#[derive(Debug)]
pub struct HashMap<T, K, V> {
    map: T,
    _kv: PhantomData<fn() -> (K, V)>,
}

/// Typed view of a `BPF_MAP_TYPE_LRU_HASH` map: the same operations as
/// [`HashMap`], which accepts both types.
#[doc(alias = "BPF_MAP_TYPE_LRU_HASH")]
pub type LruHashMap<T, K, V> = HashMap<T, K, V>;

impl<
        T: Borrow<Map>,
        K: Pod + oxbpf_btf::layout::BtfLayout,
        V: Pod + oxbpf_btf::layout::BtfLayout,
    > HashMap<T, K, V>
{
    /// The map types this view accepts.
    pub const TYPES: &'static [MapType] = &[MapType::HASH, MapType::LRU_HASH];

    /// Wraps `map` after checking its type and that `K` and `V` have the
    /// map's key and value sizes.
    pub fn new(map: T) -> Result<Self, MapError> {
        map.borrow()
            .check_view(Self::TYPES, Some(size_of::<K>()), Some(size_of::<V>()))?;
        map.borrow()
            .check_layout(Some(K::btf_type()), Some(V::btf_type()))?;
        Ok(Self {
            map,
            _kv: PhantomData,
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

    /// `BPF_MAP_LOOKUP_ELEM`—The value under `key`, or `None`.
    #[inline]
    pub fn get(&self, key: &K) -> Result<Option<V>, MapError> {
        self.get_with(key, LookupFlags::empty())
    }

    /// `BPF_MAP_LOOKUP_ELEM` with flags (`BPF_F_LOCK` to copy the value
    /// under its `bpf_spin_lock`).
    #[inline]
    pub fn get_with(&self, key: &K, flags: LookupFlags) -> Result<Option<V>, MapError> {
        let map = self.map();
        let mut value = zeroed::<V>();
        match enoent_false(sys::map_lookup_elem(
            map.map_fd(),
            as_bytes(key),
            as_bytes_mut(&mut value),
            flags,
        )) {
            Ok(true) => Ok(Some(value)),
            Ok(false) => Ok(None),
            Err(e) => Err(map.err("lookup", e)),
        }
    }

    /// `BPF_MAP_UPDATE_ELEM`—Stores `value` under `key`.
    ///
    /// `flags` is an [`UpdateMode`](crate::UpdateMode) or an
    /// [`UpdateFlags`] (to add `BPF_F_LOCK`).
    #[inline]
    pub fn insert(
        &self,
        key: &K,
        value: &V,
        flags: impl Into<UpdateFlags>,
    ) -> Result<(), MapError> {
        let map = self.map();
        sys::map_update_elem(map.map_fd(), as_bytes(key), as_bytes(value), flags.into())
            .map_err(|e| map.err("update", e))
    }

    /// `BPF_MAP_DELETE_ELEM`—Removes `key`; `false` if it was absent.
    #[inline]
    pub fn remove(&self, key: &K) -> Result<bool, MapError> {
        let map = self.map();
        enoent_false(sys::map_delete_elem(map.map_fd(), as_bytes(key)))
            .map_err(|e| map.err("delete", e))
    }

    /// `BPF_MAP_LOOKUP_AND_DELETE_ELEM`—Removes `key`, returning its value.
    ///
    /// # Minimum kernel version
    ///
    /// 5.14 for hash maps.
    pub fn take(&self, key: &K) -> Result<Option<V>, MapError> {
        let map = self.map();
        let mut value = zeroed::<V>();
        match enoent_false(sys::map_lookup_and_delete_elem(
            map.map_fd(),
            as_bytes(key),
            as_bytes_mut(&mut value),
            LookupFlags::empty(),
        )) {
            Ok(true) => Ok(Some(value)),
            Ok(false) => Ok(None),
            Err(e) => Err(map.err("lookup_and_delete", e)),
        }
    }

    /// `BPF_MAP_GET_NEXT_KEY`—The keys (see [`crate::iter`]).
    pub fn keys(&self) -> Keys<'_, K> {
        Keys::new(self.map())
    }

    /// `BPF_MAP_GET_NEXT_KEY` + `BPF_MAP_LOOKUP_ELEM`—The elements (see
    /// [`crate::iter`]).
    pub fn iter(&self) -> Entries<'_, K, V> {
        Entries::new(self.map())
    }

    /// `BPF_MAP_LOOKUP_BATCH`—All elements, in chunks of
    /// [`BatchOptions::default`].
    ///
    /// # Minimum kernel version
    ///
    /// 5.6
    pub fn lookup_batch(&self) -> Result<Vec<(K, V)>, MapError> {
        let (mut keys, mut values) = (Vec::new(), Vec::new());
        self.lookup_batch_into(&mut keys, &mut values, &BatchOptions::default())?;
        Ok(keys.into_iter().zip(values).collect())
    }

    /// `BPF_MAP_LOOKUP_BATCH`—Appends all elements to `keys` and `values`
    /// (reuse the vectors to avoid allocating); returns how many.
    pub fn lookup_batch_into(
        &self,
        keys: &mut Vec<K>,
        values: &mut Vec<V>,
        opts: &BatchOptions,
    ) -> Result<usize, MapError> {
        batch::lookup_all(self.map(), false, keys, values, opts)
    }

    /// `BPF_MAP_LOOKUP_AND_DELETE_BATCH`—Removes and returns all elements.
    pub fn lookup_and_delete_batch(&self) -> Result<Vec<(K, V)>, MapError> {
        let (mut keys, mut values) = (Vec::new(), Vec::new());
        self.lookup_and_delete_batch_into(&mut keys, &mut values, &BatchOptions::default())?;
        Ok(keys.into_iter().zip(values).collect())
    }

    /// `BPF_MAP_LOOKUP_AND_DELETE_BATCH`—Like
    /// [`lookup_batch_into`](Self::lookup_batch_into), deleting.
    pub fn lookup_and_delete_batch_into(
        &self,
        keys: &mut Vec<K>,
        values: &mut Vec<V>,
        opts: &BatchOptions,
    ) -> Result<usize, MapError> {
        batch::lookup_all(self.map(), true, keys, values, opts)
    }

    /// `BPF_MAP_UPDATE_BATCH`—Stores `values[i]` under `keys[i]`; returns
    /// how many were stored.
    ///
    /// The kernel takes no update mode for batches: `flags` must be
    /// [`UpdateMode::Any`](crate::UpdateMode::Any), optionally
    /// [`with_lock`](UpdateFlags::with_lock); anything else is refused
    /// before the call.
    pub fn update_batch(
        &self,
        keys: &[K],
        values: &[V],
        flags: impl Into<UpdateFlags>,
    ) -> Result<usize, MapError> {
        batch::update_all(self.map(), keys, values, flags.into())
    }

    /// `BPF_MAP_DELETE_BATCH`—Removes `keys` (all must exist: `ENOENT`
    /// otherwise, with the count deleted before it in
    /// [`MapError::Batch`]).
    pub fn delete_batch(&self, keys: &[K]) -> Result<usize, MapError> {
        batch::delete_all(self.map(), keys)
    }
}

/// Typed view of a `BPF_MAP_TYPE_PERCPU_HASH` or
/// `BPF_MAP_TYPE_LRU_PERCPU_HASH` map: every key has one `V` per possible
/// CPU ([`PerCpuValues`]).
#[doc(alias = "BPF_MAP_TYPE_PERCPU_HASH")]
#[doc(alias = "BPF_MAP_TYPE_LRU_PERCPU_HASH")]
#[derive(Debug)]
pub struct PerCpuHashMap<T, K, V> {
    map: T,
    _kv: PhantomData<fn() -> (K, V)>,
}

/// Typed view of a `BPF_MAP_TYPE_LRU_PERCPU_HASH` map (see
/// [`PerCpuHashMap`], which accepts both types).
#[doc(alias = "BPF_MAP_TYPE_LRU_PERCPU_HASH")]
pub type LruPerCpuHashMap<T, K, V> = PerCpuHashMap<T, K, V>;

impl<
        T: Borrow<Map>,
        K: Pod + oxbpf_btf::layout::BtfLayout,
        V: Pod + oxbpf_btf::layout::BtfLayout,
    > PerCpuHashMap<T, K, V>
{
    /// The map types this view accepts.
    pub const TYPES: &'static [MapType] = &[MapType::PERCPU_HASH, MapType::LRU_PERCPU_HASH];

    /// Wraps `map` after checking its type and the key and per-CPU value
    /// sizes.
    pub fn new(map: T) -> Result<Self, MapError> {
        map.borrow()
            .check_view(Self::TYPES, Some(size_of::<K>()), Some(size_of::<V>()))?;
        map.borrow()
            .check_layout(Some(K::btf_type()), Some(V::btf_type()))?;
        Ok(Self {
            map,
            _kv: PhantomData,
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

    /// `BPF_MAP_LOOKUP_ELEM`—The values under `key` on every CPU.
    pub fn get(&self, key: &K) -> Result<Option<PerCpuValues<V>>, MapError> {
        let mut values = PerCpuValues::zeroed()?;
        Ok(self.get_into(key, &mut values)?.then_some(values))
    }

    /// `BPF_MAP_LOOKUP_ELEM` into an existing buffer (no allocation);
    /// `false` if `key` is absent.
    pub fn get_into(&self, key: &K, values: &mut PerCpuValues<V>) -> Result<bool, MapError> {
        let map = self.map();
        enoent_false(sys::map_lookup_elem(
            map.map_fd(),
            as_bytes(key),
            values.as_bytes_mut(),
            LookupFlags::empty(),
        ))
        .map_err(|e| map.err("lookup", e))
    }

    /// `BPF_MAP_UPDATE_ELEM`—Stores one value per CPU under `key`.
    pub fn insert(
        &self,
        key: &K,
        values: &PerCpuValues<V>,
        flags: impl Into<UpdateFlags>,
    ) -> Result<(), MapError> {
        let map = self.map();
        sys::map_update_elem(map.map_fd(), as_bytes(key), values.as_bytes(), flags.into())
            .map_err(|e| map.err("update", e))
    }

    /// `BPF_MAP_DELETE_ELEM`—Removes `key`; `false` if it was absent.
    pub fn remove(&self, key: &K) -> Result<bool, MapError> {
        let map = self.map();
        enoent_false(sys::map_delete_elem(map.map_fd(), as_bytes(key)))
            .map_err(|e| map.err("delete", e))
    }

    /// `BPF_MAP_GET_NEXT_KEY`—The keys.
    pub fn keys(&self) -> Keys<'_, K> {
        Keys::new(self.map())
    }

    /// The elements.
    pub fn iter(&self) -> PerCpuEntries<'_, K, V> {
        PerCpuEntries::new(self.map())
    }
}
