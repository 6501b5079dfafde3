//! [`Queue`], [`Stack`] and [`BloomFilter`]: the keyless maps.

use std::borrow::Borrow;
use std::marker::PhantomData;
use std::mem::size_of;

use oxbpf_sys::{
    self as sys, as_bytes, as_bytes_mut, zeroed, LookupFlags, MapType, Pod, UpdateFlags, UpdateMode,
};

use crate::error::MapError;
use crate::map::{enoent_false, Map};

macro_rules! keyless {
    ($(#[$meta:meta])* $name:ident, $ty:expr, $what:literal) => {
        $(#[$meta])*
        #[derive(Debug)]
        pub struct $name<T, V> {
            map: T,
            _v: PhantomData<fn() -> V>,
        }

        impl<T: Borrow<Map>, V: Pod + oxbpf_btf::layout::BtfLayout> $name<T, V> {
            /// The map types this view accepts.
            pub const TYPES: &'static [MapType] = &[$ty];

            /// Wraps `map` after checking its type and value size.
            pub fn new(map: T) -> Result<Self, MapError> {
                map.borrow()
                    .check_view(Self::TYPES, Some(0), Some(size_of::<V>()))?;
                map.borrow().check_layout(None, Some(V::btf_type()))?;
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

            #[doc = concat!("`BPF_MAP_UPDATE_ELEM`—Pushes `value` onto the ", $what, ".")]
            ///
            /// When it is full this fails with `E2BIG`, unless `overwrite`
            /// is set (`BPF_EXIST`), which drops the oldest element.
            pub fn push(&self, value: &V, overwrite: bool) -> Result<(), MapError> {
                let map = self.map();
                let mode = if overwrite { UpdateMode::Exist } else { UpdateMode::Any };
                sys::map_update_elem(map.map_fd(), &[], as_bytes(value), UpdateFlags::new(mode))
                    .map_err(|e| map.err("push", e))
            }

            #[doc = concat!("`BPF_MAP_LOOKUP_AND_DELETE_ELEM`—Removes and returns the next element of the ", $what, ", or `None` if it is empty.")]
            pub fn pop(&self) -> Result<Option<V>, MapError> {
                let map = self.map();
                let mut value = zeroed::<V>();
                match enoent_false(sys::map_lookup_and_delete_elem(
                    map.map_fd(), &[], as_bytes_mut(&mut value), LookupFlags::empty(),
                )) {
                    Ok(true) => Ok(Some(value)),
                    Ok(false) => Ok(None),
                    Err(e) => Err(map.err("pop", e)),
                }
            }

            #[doc = concat!("`BPF_MAP_LOOKUP_ELEM`—The next element of the ", $what, " without removing it, or `None`.")]
            pub fn peek(&self) -> Result<Option<V>, MapError> {
                let map = self.map();
                let mut value = zeroed::<V>();
                match enoent_false(sys::map_lookup_elem(
                    map.map_fd(), &[], as_bytes_mut(&mut value), LookupFlags::empty(),
                )) {
                    Ok(true) => Ok(Some(value)),
                    Ok(false) => Ok(None),
                    Err(e) => Err(map.err("peek", e)),
                }
            }
        }
    };
}

keyless!(
    /// Typed view of a `BPF_MAP_TYPE_QUEUE`: first in, first out.
    ///
    /// # Minimum kernel version
    ///
    /// 4.20
    #[doc(alias = "BPF_MAP_TYPE_QUEUE")]
    Queue, MapType::QUEUE, "queue"
);

keyless!(
    /// Typed view of a `BPF_MAP_TYPE_STACK`: last in, first out.
    ///
    /// # Minimum kernel version
    ///
    /// 4.20
    #[doc(alias = "BPF_MAP_TYPE_STACK")]
    Stack, MapType::STACK, "stack"
);

/// Typed view of a `BPF_MAP_TYPE_BLOOM_FILTER`: a set that answers
/// "definitely not present" or "maybe present". `map_extra` of the spec is
/// the number of hash functions (1–15; 0 means 5).
///
/// # Minimum kernel version
///
/// 5.16
#[doc(alias = "BPF_MAP_TYPE_BLOOM_FILTER")]
#[derive(Debug)]
pub struct BloomFilter<T, V> {
    map: T,
    _v: PhantomData<fn() -> V>,
}

impl<T: Borrow<Map>, V: Pod + oxbpf_btf::layout::BtfLayout> BloomFilter<T, V> {
    /// The map types this view accepts.
    pub const TYPES: &'static [MapType] = &[MapType::BLOOM_FILTER];

    /// Wraps `map` after checking its type and value size.
    pub fn new(map: T) -> Result<Self, MapError> {
        map.borrow()
            .check_view(Self::TYPES, Some(0), Some(size_of::<V>()))?;
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

    /// `BPF_MAP_UPDATE_ELEM`—Adds `value` to the set.
    pub fn insert(&self, value: &V) -> Result<(), MapError> {
        let map = self.map();
        sys::map_update_elem(map.map_fd(), &[], as_bytes(value), UpdateFlags::ANY)
            .map_err(|e| map.err("update", e))
    }

    /// `BPF_MAP_LOOKUP_ELEM`—`false` if `value` is definitely not in the
    /// set, `true` if it may be.
    pub fn contains(&self, value: &V) -> Result<bool, MapError> {
        let map = self.map();
        let mut probe = *value;
        enoent_false(sys::map_lookup_elem(
            map.map_fd(),
            &[],
            as_bytes_mut(&mut probe),
            LookupFlags::empty(),
        ))
        .map_err(|e| map.err("lookup", e))
    }
}
