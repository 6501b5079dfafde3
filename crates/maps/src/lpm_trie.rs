//! [`LpmTrie`]: longest-prefix-match lookups.

use std::borrow::Borrow;
use std::marker::PhantomData;
use std::mem::size_of;

use oxbpf_sys::{
    self as sys, as_bytes, as_bytes_mut, zeroed, LookupFlags, LpmKey, MapType, Pod, UpdateFlags,
};

use crate::error::MapError;
use crate::iter::{Entries, Keys};
use crate::map::{enoent_false, Map};

/// Typed view of a `BPF_MAP_TYPE_LPM_TRIE`: keys are [`LpmKey<K>`]
/// (prefix length + data), and a lookup returns the value of the longest
/// stored prefix matching the key.
///
/// ```no_run
/// use oxbpf_maps::{LpmKey, LpmTrie, Map, MapSpec, UpdateMode};
/// let map = Map::create(&MapSpec::lpm_trie::<[u8; 4], u32>("routes", 16))?;
/// let routes = LpmTrie::<_, [u8; 4], u32>::new(map)?;
/// routes.insert(&LpmKey::new(8, [10, 0, 0, 0]), &1, UpdateMode::Any)?;
/// routes.insert(&LpmKey::new(16, [10, 1, 0, 0]), &2, UpdateMode::Any)?;
/// assert_eq!(routes.get(&LpmKey::new(32, [10, 1, 2, 3]))?, Some(2));
/// assert_eq!(routes.get(&LpmKey::new(32, [10, 9, 2, 3]))?, Some(1));
/// # Ok::<(), oxbpf_maps::MapError>(())
/// ```
#[doc(alias = "BPF_MAP_TYPE_LPM_TRIE")]
#[derive(Debug)]
pub struct LpmTrie<T, K, V> {
    map: T,
    _kv: PhantomData<fn() -> (K, V)>,
}

impl<T: Borrow<Map>, K: Pod, V: Pod + oxbpf_btf::layout::BtfLayout> LpmTrie<T, K, V> {
    /// The map types this view accepts.
    pub const TYPES: &'static [MapType] = &[MapType::LPM_TRIE];

    /// Wraps `map` after checking its type and that `LpmKey<K>` and `V`
    /// have the map's key and value sizes.
    pub fn new(map: T) -> Result<Self, MapError> {
        map.borrow().check_view(
            Self::TYPES,
            Some(size_of::<LpmKey<K>>()),
            Some(size_of::<V>()),
        )?;
        // The key is `struct { u32 prefixlen; K data; }` on the C side:
        // only the value is checked against BTF.
        map.borrow().check_layout(None, Some(V::btf_type()))?;
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

    /// `BPF_MAP_LOOKUP_ELEM`—The value of the longest stored prefix that
    /// matches `key`, or `None`.
    pub fn get(&self, key: &LpmKey<K>) -> Result<Option<V>, MapError> {
        let map = self.map();
        let mut value = zeroed::<V>();
        match enoent_false(sys::map_lookup_elem(
            map.map_fd(),
            as_bytes(key),
            as_bytes_mut(&mut value),
            LookupFlags::empty(),
        )) {
            Ok(true) => Ok(Some(value)),
            Ok(false) => Ok(None),
            Err(e) => Err(map.err("lookup", e)),
        }
    }

    /// `BPF_MAP_UPDATE_ELEM`—Stores `value` for the prefix `key`.
    pub fn insert(
        &self,
        key: &LpmKey<K>,
        value: &V,
        flags: impl Into<UpdateFlags>,
    ) -> Result<(), MapError> {
        let map = self.map();
        sys::map_update_elem(map.map_fd(), as_bytes(key), as_bytes(value), flags.into())
            .map_err(|e| map.err("update", e))
    }

    /// `BPF_MAP_DELETE_ELEM`—Removes the exact prefix `key`; `false` if
    /// it was absent.
    pub fn remove(&self, key: &LpmKey<K>) -> Result<bool, MapError> {
        let map = self.map();
        enoent_false(sys::map_delete_elem(map.map_fd(), as_bytes(key)))
            .map_err(|e| map.err("delete", e))
    }

    /// `BPF_MAP_GET_NEXT_KEY`—The stored prefixes.
    pub fn keys(&self) -> Keys<'_, LpmKey<K>> {
        Keys::new(self.map())
    }

    /// The stored prefixes and their values.
    pub fn iter(&self) -> Entries<'_, LpmKey<K>, V> {
        Entries::new(self.map())
    }
}
