//! [`Map`]: a created map, and [`MapInfo`].

use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use oxbpf_btf::layout::{validate_type, FieldType};
use oxbpf_btf::{Btf, TypeId};

use oxbpf_sys::{
    self as sys, AccessFlags, BpfMapInfo, BtfId, LogBuffer, LogLevel, LookupFlags, MapCreateArgs,
    MapFd, MapFlags, MapId, MapType, ObjName, SyscallError, UpdateFlags,
};

use crate::error::MapError;
use crate::spec::{MapCreateOptions, MapSpec, Pinning};

/// What the kernel reports about a map (`struct bpf_map_info`).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct MapInfo {
    /// `type`
    pub map_type: MapType,
    /// `id`—The map's kernel-wide ID.
    pub id: MapId,
    /// `key_size`
    pub key_size: u32,
    /// `value_size`
    pub value_size: u32,
    /// `max_entries`
    pub max_entries: u32,
    /// `map_flags`
    pub flags: MapFlags,
    /// `name`—The kernel's copy of the name (at most 15 bytes).
    pub name: String,
    /// `btf_id`—The BTF object describing key and value, if any.
    pub btf_id: Option<BtfId>,
    /// `btf_key_type_id`
    pub btf_key_type_id: u32,
    /// `btf_value_type_id`
    pub btf_value_type_id: u32,
    /// `map_extra`
    pub map_extra: u64,
    /// `ifindex`—The device the map is offloaded to, or 0.
    pub ifindex: u32,
}

impl From<&BpfMapInfo> for MapInfo {
    fn from(info: &BpfMapInfo) -> Self {
        Self {
            map_type: info.map_type,
            id: info.id,
            key_size: info.key_size,
            value_size: info.value_size,
            max_entries: info.max_entries,
            flags: info.flags(),
            name: String::from_utf8_lossy(info.name()).into_owned(),
            btf_id: (info.btf_id.as_raw() != 0).then_some(info.btf_id),
            btf_key_type_id: info.btf_key_type_id,
            btf_value_type_id: info.btf_value_type_id,
            map_extra: info.map_extra,
            ifindex: info.ifindex,
        }
    }
}

/// A map that exists in the kernel: its fd and what the kernel said about
/// it when it was opened. Closing the fd (dropping the `Map`) frees the
/// map unless something else (a pin, a program, another fd) holds it.
///
/// The byte-level operations here check buffer lengths against the map's
/// sizes; the typed views ([`HashMap`](crate::HashMap),
/// [`Array`](crate::Array), …) check their types once and are what most
/// code wants.
#[derive(Debug)]
pub struct Map {
    fd: MapFd,
    info: MapInfo,
    name: String,
    /// The map's BTF: the creating spec's, or read back from the kernel on
    /// first use (for views that validate their key and value types).
    btf: OnceLock<Option<Arc<Btf<'static>>>>,
}

impl Map {
    /// `BPF_MAP_CREATE`—Creates the map `spec` describes (pinning under
    /// `/sys/fs/bpf` if the spec says so).
    pub fn create(spec: &MapSpec) -> Result<Self, MapError> {
        Self::create_with(spec, &MapCreateOptions::default())
    }

    /// `BPF_MAP_CREATE`—Creates the map `spec` describes, with options.
    ///
    /// With [`Pinning::ByName`], a map already pinned at
    /// `<pin_root>/<name>` is opened and checked against the spec instead
    /// (type, sizes, `max_entries`, flags), failing with
    /// [`MapError::Incompatible`] if it differs; otherwise the new map is
    /// pinned there. The spec's BTF is loaded for the call and closed
    /// again (the map keeps its own reference). Every fd opened on the way
    /// is closed on error.
    pub fn create_with(spec: &MapSpec, opts: &MapCreateOptions<'_>) -> Result<Self, MapError> {
        let pin_path = match spec.pinning {
            Pinning::None => None,
            Pinning::ByName => Some(spec.pin_path(opts.pin_root)),
        };
        if let Some(path) = &pin_path {
            check_bpffs(path)?;
            match sys::obj_get(path, AccessFlags::empty()) {
                Ok(fd) => {
                    let map = Self::from_owned_fd(fd, spec.name.clone(), "pinned fd")?;
                    map.check_compatible(spec, path)?;
                    return Ok(map);
                }
                Err(e) if e.errno() == libc::ENOENT => {}
                Err(e) => {
                    return Err(MapError::FromPin {
                        path: path.clone(),
                        source: e.into_io_error(),
                    })
                }
            }
        }
        let map = Self::create_unpinned(spec, opts)?;
        for entry in &spec.contents {
            map.update(&entry.key, &entry.value, UpdateFlags::ANY)?;
        }
        if spec.freeze {
            map.freeze()?;
        }
        if let Some(path) = &pin_path {
            map.pin(path)?;
        }
        Ok(map)
    }

    fn create_unpinned(spec: &MapSpec, opts: &MapCreateOptions<'_>) -> Result<Self, MapError> {
        let name = &spec.name;
        let inner = match (&spec.inner_map, spec.map_type) {
            (Some(inner), _) => {
                let mut inner = (**inner).clone();
                inner.pinning = Pinning::None;
                inner.contents.clear();
                inner.freeze = false;
                if inner.name.is_empty() {
                    inner.name = format!("{name}.inner");
                }
                Some(Self::create_unpinned(&inner, opts)?)
            }
            (None, MapType::ARRAY_OF_MAPS | MapType::HASH_OF_MAPS) => {
                return Err(MapError::InvalidSpec {
                    name: name.clone(),
                    reason: "a map-in-map needs an inner map spec".into(),
                })
            }
            (None, _) => None,
        };
        let loaded_btf = match (&spec.btf, opts.btf_fd) {
            (Some(_), Some(_)) | (None, _) => None,
            (Some(btf), None) => Some(load_btf(name, btf.btf.raw_bytes())?),
        };
        let btf_fd = match (&spec.btf, opts.btf_fd) {
            (None, _) => None,
            (Some(_), Some(fd)) => Some(fd),
            (Some(_), None) => loaded_btf.as_ref().map(|fd| fd.as_fd()),
        };
        let args = MapCreateArgs {
            map_type: spec.map_type,
            key_size: spec.key_size,
            value_size: spec.effective_value_size(),
            max_entries: spec.max_entries,
            map_flags: spec.flags,
            inner_map: inner.as_ref().map(|m| m.fd.as_fd()),
            numa_node: spec.numa_node,
            name: ObjName::truncated(name),
            btf: btf_fd,
            btf_key_type_id: spec.btf.as_ref().map_or(0, |b| b.key_type_id.get()),
            btf_value_type_id: spec.btf.as_ref().map_or(0, |b| b.value_type_id.get()),
            map_extra: spec.map_extra,
            btf_vmlinux_value_type_id: spec.btf_vmlinux_value_type_id,
            value_type_btf_obj: opts.value_type_btf_obj,
            ..Default::default()
        };
        let fd = MapFd::create(&args).map_err(|source| MapError::Create {
            name: name.clone(),
            source,
        })?;
        drop(inner);
        drop(loaded_btf);
        let info = sys::map_info(&fd).map_err(|source| MapError::Syscall {
            name: name.clone(),
            op: "info",
            source,
        })?;
        let btf = OnceLock::new();
        if let Some(b) = &spec.btf {
            let _ = btf.set(Some(b.btf.clone()));
        }
        Ok(Self {
            fd,
            info: MapInfo::from(&info.info),
            name: name.clone(),
            btf,
        })
    }

    fn check_compatible(&self, spec: &MapSpec, path: &Path) -> Result<(), MapError> {
        let i = &self.info;
        // Flags the kernel adds or that do not describe the map's shape.
        let ignore = MapFlags::RDONLY | MapFlags::WRONLY;
        let mismatch = if i.map_type != spec.map_type {
            Some(format!("type {:?} != {:?}", i.map_type, spec.map_type))
        } else if i.key_size != spec.key_size {
            Some(format!("key_size {} != {}", i.key_size, spec.key_size))
        } else if i.value_size != spec.effective_value_size() {
            Some(format!(
                "value_size {} != {}",
                i.value_size, spec.value_size
            ))
        } else if i.max_entries != spec.max_entries {
            Some(format!(
                "max_entries {} != {}",
                i.max_entries, spec.max_entries
            ))
        } else if (i.flags - ignore) != (spec.flags - ignore) {
            Some(format!("flags {:?} != {:?}", i.flags, spec.flags))
        } else {
            None
        };
        match mismatch {
            None => Ok(()),
            Some(reason) => Err(MapError::Incompatible {
                name: spec.name.clone(),
                path: path.to_path_buf(),
                reason,
            }),
        }
    }

    /// `BPF_OBJ_GET`—Opens the map pinned at `path`.
    ///
    /// Fails with [`MapError::NotBpffs`] if `path`'s directory is not on a
    /// BPF file system, and with [`MapError::FromPin`] if nothing (or no
    /// map) is pinned there.
    pub fn from_pin(path: impl AsRef<Path>) -> Result<Self, MapError> {
        let path = path.as_ref();
        check_bpffs(path)?;
        let fd = sys::obj_get(path, AccessFlags::empty()).map_err(|e| MapError::FromPin {
            path: path.to_path_buf(),
            source: e.into_io_error(),
        })?;
        let mut map = Self::from_fd(fd).map_err(|e| match e {
            MapError::Open { source, .. } => MapError::FromPin {
                path: path.to_path_buf(),
                source: source.into_io_error(),
            },
            other => other,
        })?;
        if map.name.is_empty() {
            map.name = path.display().to_string();
        }
        Ok(map)
    }

    /// `BPF_MAP_GET_FD_BY_ID`—Opens the map with this kernel ID.
    pub fn from_id(id: MapId) -> Result<Self, MapError> {
        let fd =
            sys::map_get_fd_by_id(id, AccessFlags::empty()).map_err(|source| MapError::Open {
                what: format!("id {id}"),
                source,
            })?;
        Self::from_fd(fd)
    }

    /// `BPF_OBJ_GET_INFO_BY_FD`—Wraps the fd of a map (from another
    /// process, a program's map list, …). Fails if `fd` is not a map.
    pub fn from_fd(fd: OwnedFd) -> Result<Self, MapError> {
        Self::from_owned_fd(fd, String::new(), "fd")
    }

    fn from_owned_fd(fd: OwnedFd, name: String, what: &str) -> Result<Self, MapError> {
        let fd = MapFd::from_fd(fd).map_err(|source| MapError::Open {
            what: what.to_string(),
            source,
        })?;
        let info = sys::map_info(&fd).map_err(|source| MapError::Open {
            what: what.to_string(),
            source,
        })?;
        let info = MapInfo::from(&info.info);
        let name = if name.is_empty() {
            info.name.clone()
        } else {
            name
        };
        Ok(Self {
            fd,
            info,
            name,
            btf: OnceLock::new(),
        })
    }

    /// What the kernel reported when the map was created or opened.
    pub fn info(&self) -> &MapInfo {
        &self.info
    }

    /// The map's name: the spec's full name, or the kernel's (15-byte)
    /// name for maps opened by fd, ID or pin.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// `type`
    pub fn map_type(&self) -> MapType {
        self.info.map_type
    }

    /// `id`
    pub fn id(&self) -> MapId {
        self.info.id
    }

    /// `key_size`
    pub fn key_size(&self) -> u32 {
        self.info.key_size
    }

    /// `value_size`
    pub fn value_size(&self) -> u32 {
        self.info.value_size
    }

    /// `max_entries`
    pub fn max_entries(&self) -> u32 {
        self.info.max_entries
    }

    /// `map_flags`
    pub fn flags(&self) -> MapFlags {
        self.info.flags
    }

    /// The map's fd with its cached sizes, for the `oxbpf_sys` wrappers.
    pub fn map_fd(&self) -> &MapFd {
        &self.fd
    }

    /// Unwraps the fd.
    pub fn into_fd(self) -> OwnedFd {
        self.fd.into_fd()
    }

    /// Duplicates the fd (`F_DUPFD_CLOEXEC`): a second handle to the same
    /// map.
    pub fn try_clone(&self) -> Result<Self, MapError> {
        let fd = self.fd.try_clone().map_err(|e| MapError::Syscall {
            name: self.name.clone(),
            op: "dup",
            source: SyscallError::from_errno(
                "F_DUPFD_CLOEXEC",
                e.raw_os_error().unwrap_or(libc::EIO),
            ),
        })?;
        Ok(Self {
            fd,
            info: self.info.clone(),
            name: self.name.clone(),
            btf: self.btf.clone(),
        })
    }

    /// `BPF_OBJ_PIN`—Pins the map at `path`, which must be a new name in a
    /// directory on a BPF file system.
    ///
    /// Fails with [`MapError::NotBpffs`] (naming `path`) if the directory
    /// is not on a bpffs, before trying to pin.
    pub fn pin(&self, path: impl AsRef<Path>) -> Result<(), MapError> {
        let path = path.as_ref();
        check_bpffs(path).map_err(|e| match e {
            MapError::FromPin { path, source } => MapError::Pin {
                name: self.name.clone(),
                path,
                source,
            },
            other => other,
        })?;
        sys::obj_pin(&self.fd, path).map_err(|e| MapError::Pin {
            name: self.name.clone(),
            path: path.to_path_buf(),
            source: e.into_io_error(),
        })
    }

    /// `BPF_MAP_FREEZE`—Makes the map read-only for user space, for good
    /// (programs may still write unless the map has `BPF_F_RDONLY_PROG`).
    ///
    /// # Minimum kernel version
    ///
    /// 5.2
    pub fn freeze(&self) -> Result<(), MapError> {
        sys::map_freeze(&self.fd).map_err(|e| self.err("freeze", e))
    }

    /// `BPF_MAP_LOOKUP_ELEM`—Copies the value under `key` into `value`;
    /// `Ok(false)` if there is no such element.
    ///
    /// `key` must be `key_size` bytes and `value`
    /// [`value_len`](MapFd::value_len) bytes (per-CPU maps: one rounded
    /// slot per possible CPU).
    pub fn lookup(
        &self,
        key: &[u8],
        value: &mut [u8],
        flags: LookupFlags,
    ) -> Result<bool, MapError> {
        self.check_raw(key, Some(value.len()))?;
        enoent_false(sys::map_lookup_elem(&self.fd, key, value, flags))
            .map_err(|e| self.err("lookup", e))
    }

    /// `BPF_MAP_UPDATE_ELEM`—Stores `value` under `key`.
    pub fn update(
        &self,
        key: &[u8],
        value: &[u8],
        flags: impl Into<UpdateFlags>,
    ) -> Result<(), MapError> {
        self.check_raw(key, Some(value.len()))?;
        sys::map_update_elem(&self.fd, key, value, flags.into()).map_err(|e| self.err("update", e))
    }

    /// `BPF_MAP_DELETE_ELEM`—Deletes the element under `key`; `Ok(false)`
    /// if there was none.
    pub fn delete(&self, key: &[u8]) -> Result<bool, MapError> {
        self.check_raw(key, None)?;
        enoent_false(sys::map_delete_elem(&self.fd, key)).map_err(|e| self.err("delete", e))
    }

    /// `BPF_MAP_LOOKUP_AND_DELETE_ELEM`—Copies the value under `key` into
    /// `value` and deletes the element; `Ok(false)` if there was none.
    pub fn lookup_and_delete(
        &self,
        key: &[u8],
        value: &mut [u8],
        flags: LookupFlags,
    ) -> Result<bool, MapError> {
        self.check_raw(key, Some(value.len()))?;
        enoent_false(sys::map_lookup_and_delete_elem(&self.fd, key, value, flags))
            .map_err(|e| self.err("lookup_and_delete", e))
    }

    /// `BPF_MAP_GET_NEXT_KEY`—Writes the key after `key` (the first key if
    /// `key` is `None` or absent) to `next_key`; `Ok(false)` at the end.
    pub fn next_key(&self, key: Option<&[u8]>, next_key: &mut [u8]) -> Result<bool, MapError> {
        if let Some(key) = key {
            self.check_raw(key, None)?;
        }
        self.check_raw(next_key, None)?;
        enoent_false(sys::map_get_next_key(&self.fd, key, next_key))
            .map_err(|e| self.err("get_next_key", e))
    }

    fn check_raw(&self, key: &[u8], value: Option<usize>) -> Result<(), MapError> {
        if key.len() != self.info.key_size as usize {
            return Err(MapError::InvalidKeySize {
                name: self.name.clone(),
                size: key.len(),
                expected: self.info.key_size as usize,
            });
        }
        match value {
            Some(len) if len != self.fd.value_len() => Err(MapError::InvalidValueSize {
                name: self.name.clone(),
                size: len,
                expected: self.fd.value_len(),
            }),
            _ => Ok(()),
        }
    }

    /// Wraps a failed operation's error with the map's name.
    #[cold]
    #[inline(never)]
    pub(crate) fn err(&self, op: &'static str, source: SyscallError) -> MapError {
        MapError::Syscall {
            name: self.name.clone(),
            op,
            source,
        }
    }

    /// The BTF describing the map's key and value, if it has any: the
    /// creating spec's, or read back from the kernel (`BPF_BTF_GET_FD_BY_ID`
    /// + `BPF_OBJ_GET_INFO_BY_FD`) once and cached.
    pub fn btf(&self) -> Result<Option<Arc<Btf<'static>>>, MapError> {
        if let Some(b) = self.btf.get() {
            return Ok(b.clone());
        }
        let Some(id) = self.info.btf_id else {
            return Ok(self.btf.get_or_init(|| None).clone());
        };
        let fail = |reason: String| MapError::MapBtf {
            name: self.name.clone(),
            reason,
        };
        let fd = sys::btf_get_fd_by_id(id).map_err(|e| fail(e.to_string()))?;
        let mut no_name = [0u8; 0];
        let size = sys::btf_info_with(
            &fd,
            &mut sys::BtfInfoBuffers {
                name: &mut no_name,
                btf: &mut [],
            },
        )
        .map_err(|e| fail(e.to_string()))?
        .info
        .btf_size;
        let mut bytes = vec![0u8; size as usize];
        sys::btf_info_with(
            &fd,
            &mut sys::BtfInfoBuffers {
                name: &mut no_name,
                btf: &mut bytes,
            },
        )
        .map_err(|e| fail(e.to_string()))?;
        let btf = Btf::parse_owned(bytes).map_err(|e| fail(e.to_string()))?;
        Ok(self.btf.get_or_init(|| Some(Arc::new(btf))).clone())
    }

    /// Checks a view's Rust key and value types against the map's BTF
    /// key and value types, when the map has BTF for them.
    pub(crate) fn check_layout(
        &self,
        key: Option<FieldType>,
        value: Option<FieldType>,
    ) -> Result<(), MapError> {
        if self.info.btf_id.is_none() && self.btf.get().is_none() {
            return Ok(());
        }
        let Some(btf) = self.btf()? else {
            return Ok(());
        };
        let parts = [
            ("key", self.info.btf_key_type_id, key),
            ("value", self.info.btf_value_type_id, value),
        ];
        for (part, id, ty) in parts {
            let (Some(ty), true) = (ty, id != 0) else {
                continue;
            };
            validate_type(&btf, TypeId(id), &ty, part).map_err(|e| MapError::Layout {
                name: self.name.clone(),
                part,
                source: Box::new(e),
            })?;
        }
        Ok(())
    }

    /// Checks the map's type and the sizes of a view's key and value.
    pub(crate) fn check_view(
        &self,
        types: &'static [MapType],
        key_size: Option<usize>,
        value_size: Option<usize>,
    ) -> Result<(), MapError> {
        if !types.contains(&self.info.map_type) {
            return Err(MapError::WrongMapType {
                name: self.name.clone(),
                actual: self.info.map_type,
                expected: types,
            });
        }
        if let Some(size) = key_size {
            if size != self.info.key_size as usize {
                return Err(MapError::InvalidKeySize {
                    name: self.name.clone(),
                    size,
                    expected: self.info.key_size as usize,
                });
            }
        }
        if let Some(size) = value_size {
            if size != self.info.value_size as usize {
                return Err(MapError::InvalidValueSize {
                    name: self.name.clone(),
                    size,
                    expected: self.info.value_size as usize,
                });
            }
        }
        Ok(())
    }
}

impl AsFd for Map {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }
}

impl From<Map> for OwnedFd {
    fn from(map: Map) -> Self {
        map.into_fd()
    }
}

/// `ENOENT` → `Ok(false)`, success → `Ok(true)`.
#[inline]
pub(crate) fn enoent_false(r: Result<(), SyscallError>) -> Result<bool, SyscallError> {
    match r {
        Ok(()) => Ok(true),
        Err(e) if e.errno() == libc::ENOENT => Ok(false),
        Err(e) => Err(e),
    }
}

/// Fails with [`MapError::NotBpffs`] unless the directory of `path` is on
/// a BPF file system; a `statfs` failure is [`MapError::FromPin`].
fn check_bpffs(path: &Path) -> Result<(), MapError> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    match sys::fs::is_bpffs(dir) {
        Ok(true) => Ok(()),
        Ok(false) => Err(MapError::NotBpffs {
            path: PathBuf::from(path),
        }),
        Err(source) => Err(MapError::FromPin {
            path: PathBuf::from(path),
            source,
        }),
    }
}

/// Loads `bytes` with `BPF_BTF_LOAD`, retrying with a log on failure.
fn load_btf(name: &str, bytes: &[u8]) -> Result<OwnedFd, MapError> {
    match sys::btf_load(bytes, None, None) {
        Ok(fd) => Ok(fd),
        Err(first) => {
            let mut buf = vec![0u8; 64 * 1024];
            let mut log = LogBuffer::new(&mut buf, LogLevel::LEVEL1);
            let result = sys::btf_load(bytes, None, Some(&mut log));
            let text = log.to_string_lossy().trim_end().to_string();
            match result {
                Ok(fd) => Ok(fd),
                Err(source) => Err(MapError::BtfLoad {
                    name: name.to_string(),
                    log: text,
                    source,
                }),
            }
            .map_err(|e| match e {
                MapError::BtfLoad { name, log, .. } if log.is_empty() => MapError::BtfLoad {
                    name,
                    log,
                    source: first,
                },
                other => other,
            })
        }
    }
}
