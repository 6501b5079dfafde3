//! [`MapSpec`]: what to create.

use std::mem::size_of;
use std::os::fd::BorrowedFd;
use std::path::Path;
use std::sync::Arc;

use oxbpf_btf::{Btf, TypeId};
use oxbpf_sys::{as_bytes, LpmKey, MapFlags, MapType, Pod};

/// The default root of [`Pinning::ByName`]: `/sys/fs/bpf`.
pub const DEFAULT_PIN_ROOT: &str = "/sys/fs/bpf";

/// Whether and where a map is pinned when it is created.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Pinning {
    /// `LIBBPF_PIN_NONE`—Not pinned.
    #[default]
    None,
    /// `LIBBPF_PIN_BY_NAME`—Pinned at `<pin root>/<name>`: if a map is
    /// already pinned there it is reused (after checking that it matches
    /// the spec), else the new map is pinned there.
    ByName,
}

/// The BTF describing a map's key and value, so that the kernel (and
/// `bpftool map dump`) knows their field names, and so that maps needing
/// BTF (spin locks, local storage, timers, kptrs) can be created.
#[derive(Debug, Clone)]
pub struct MapBtf {
    /// The BTF blob holding both types; loaded with `BPF_BTF_LOAD` when
    /// the map is created.
    pub btf: Arc<Btf<'static>>,
    /// `btf_key_type_id`—The key type (`TypeId(0)` for maps without keys).
    pub key_type_id: TypeId,
    /// `btf_value_type_id`—The value type.
    pub value_type_id: TypeId,
}

impl MapBtf {
    /// Key and value types from `btf`.
    pub fn new(btf: Arc<Btf<'static>>, key_type_id: TypeId, value_type_id: TypeId) -> Self {
        Self {
            btf,
            key_type_id,
            value_type_id,
        }
    }

    /// Parses `bytes` (raw BTF, e.g. from [`BtfBuilder::to_bytes`]) and
    /// uses the given types.
    ///
    /// [`BtfBuilder::to_bytes`]: oxbpf_btf::BtfBuilder::to_bytes
    pub fn from_bytes(
        bytes: Vec<u8>,
        key_type_id: TypeId,
        value_type_id: TypeId,
    ) -> Result<Self, oxbpf_btf::ParseError> {
        Ok(Self::new(
            Arc::new(Btf::parse_owned(bytes)?),
            key_type_id,
            value_type_id,
        ))
    }
}

/// One initial element of a map: raw key and value bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MapEntry {
    /// Key bytes (`key_size` long).
    pub key: Vec<u8>,
    /// Value bytes (`value_size` long; for per-CPU maps, one value
    /// replicated to every CPU is not done for you: give the full
    /// per-CPU buffer).
    pub value: Vec<u8>,
}

/// What to create: the editable description of a map (cilium/ebpf's
/// `MapSpec`, libbpf's map definition).
///
/// ```
/// use oxbpf_maps::{MapFlags, MapSpec, MapType};
/// let mut spec = MapSpec::hash::<u32, u64>("counts", 1024);
/// spec.flags |= MapFlags::NO_PREALLOC;
/// spec.push_entry(&7u32, &1u64);
/// assert_eq!(spec.map_type, MapType::HASH);
/// assert_eq!((spec.key_size, spec.value_size), (4, 8));
/// ```
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct MapSpec {
    /// The map's name. The kernel keeps the first 15 bytes (which must be
    /// ASCII letters, digits, `_` or `.`); errors and pinning use all of it.
    pub name: String,
    /// `map_type`
    pub map_type: MapType,
    /// `key_size`
    pub key_size: u32,
    /// `value_size`; for map-in-map types 0 means 4 (an fd).
    pub value_size: u32,
    /// `max_entries`
    pub max_entries: u32,
    /// `map_flags`
    pub flags: MapFlags,
    /// `numa_node`; `Some` sets `BPF_F_NUMA_NODE`.
    pub numa_node: Option<u32>,
    /// `map_extra`: bloom filter hash count, arena address hint, …
    pub map_extra: u64,
    /// The template of the inner maps of `ARRAY_OF_MAPS`/`HASH_OF_MAPS`:
    /// created, passed as `inner_map_fd`, and closed again.
    pub inner_map: Option<Box<MapSpec>>,
    /// Whether to pin the map when it is created.
    pub pinning: Pinning,
    /// BTF key and value types.
    pub btf: Option<MapBtf>,
    /// Elements stored right after creation (not when an existing pinned
    /// map is reused).
    pub contents: Vec<MapEntry>,
    /// `BPF_MAP_FREEZE` after storing `contents` (libbpf does this for
    /// `.rodata`).
    pub freeze: bool,
    /// `btf_vmlinux_value_type_id`—For `STRUCT_OPS` maps: the kernel's
    /// `bpf_struct_ops_<type>` (in vmlinux, or in the module BTF given as
    /// [`MapCreateOptions::value_type_btf_obj`]); 0 otherwise. The spec's
    /// `btf` must then be set (the kernel wants BTF with the map) with
    /// key and value type ids 0.
    pub btf_vmlinux_value_type_id: u32,
}

impl MapSpec {
    /// A spec with the given shape and everything else default.
    pub fn new(
        name: impl Into<String>,
        map_type: MapType,
        key_size: u32,
        value_size: u32,
        max_entries: u32,
    ) -> Self {
        Self {
            name: name.into(),
            map_type,
            key_size,
            value_size,
            max_entries,
            ..Default::default()
        }
    }

    /// `BPF_MAP_TYPE_HASH` from `K` to `V`.
    pub fn hash<K: Pod, V: Pod>(name: impl Into<String>, max_entries: u32) -> Self {
        Self::new(
            name,
            MapType::HASH,
            size32::<K>(),
            size32::<V>(),
            max_entries,
        )
    }

    /// `BPF_MAP_TYPE_ARRAY` of `V`.
    pub fn array<V: Pod>(name: impl Into<String>, max_entries: u32) -> Self {
        Self::new(name, MapType::ARRAY, 4, size32::<V>(), max_entries)
    }

    /// `BPF_MAP_TYPE_LPM_TRIE` from `LpmKey<K>` to `V` (with the required
    /// `BPF_F_NO_PREALLOC`).
    pub fn lpm_trie<K: Pod, V: Pod>(name: impl Into<String>, max_entries: u32) -> Self {
        let mut spec = Self::new(
            name,
            MapType::LPM_TRIE,
            size32::<LpmKey<K>>(),
            size32::<V>(),
            max_entries,
        );
        spec.flags = MapFlags::NO_PREALLOC;
        spec
    }

    /// A map of `map_type` (e.g. `ARRAY_OF_MAPS`) whose inner maps look
    /// like `inner`.
    pub fn map_of_maps(
        name: impl Into<String>,
        map_type: MapType,
        key_size: u32,
        max_entries: u32,
        inner: MapSpec,
    ) -> Self {
        let mut spec = Self::new(name, map_type, key_size, 4, max_entries);
        spec.inner_map = Some(Box::new(inner));
        spec
    }

    /// Sets [`btf`](Self::btf).
    pub fn with_btf(mut self, btf: MapBtf) -> Self {
        self.btf = Some(btf);
        self
    }

    /// Sets [`flags`](Self::flags).
    pub fn with_flags(mut self, flags: MapFlags) -> Self {
        self.flags = flags;
        self
    }

    /// Appends an initial element.
    pub fn push_entry<K: Pod, V: Pod>(&mut self, key: &K, value: &V) {
        self.contents.push(MapEntry {
            key: as_bytes(key).to_vec(),
            value: as_bytes(value).to_vec(),
        });
    }

    /// The path a [`Pinning::ByName`] map has under `root`.
    pub fn pin_path(&self, root: &Path) -> std::path::PathBuf {
        root.join(&self.name)
    }

    /// The value size the kernel will see: for map-in-map types, 0 means
    /// 4 (an fd).
    pub(crate) fn effective_value_size(&self) -> u32 {
        if self.value_size == 0
            && matches!(
                self.map_type,
                MapType::ARRAY_OF_MAPS | MapType::HASH_OF_MAPS
            )
        {
            4
        } else {
            self.value_size
        }
    }
}

/// Options for [`Map::create_with`](crate::Map::create_with).
#[derive(Debug, Clone, Copy)]
pub struct MapCreateOptions<'a> {
    /// Root directory of [`Pinning::ByName`] maps; [`DEFAULT_PIN_ROOT`]
    /// by default.
    pub pin_root: &'a Path,
    /// BTF already loaded into the kernel (e.g. an object's `.BTF`, shared
    /// by all its maps) to use with the spec's type IDs instead of loading
    /// the spec's BTF again.
    pub btf_fd: Option<BorrowedFd<'a>>,
    /// `value_type_btf_obj_fd`—Module BTF holding the spec's
    /// [`btf_vmlinux_value_type_id`](MapSpec::btf_vmlinux_value_type_id)
    /// (a struct_ops type a module defines).
    pub value_type_btf_obj: Option<BorrowedFd<'a>>,
}

impl Default for MapCreateOptions<'_> {
    fn default() -> Self {
        Self {
            pin_root: Path::new(DEFAULT_PIN_ROOT),
            btf_fd: None,
            value_type_btf_obj: None,
        }
    }
}

/// `size_of::<T>()` as the `u32` of the kernel's sizes (saturating: a
/// type of 4 GiB is rejected by the kernel anyway).
pub(crate) fn size32<T>() -> u32 {
    u32::try_from(size_of::<T>()).unwrap_or(u32::MAX)
}
