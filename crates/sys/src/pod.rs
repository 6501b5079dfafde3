//! Plain-old-data types: values that are nothing but bytes.
//!
//! Map keys and values cross the user/kernel boundary as raw bytes. The
//! [`Pod`] trait marks the Rust types for which that is sound in both
//! directions, and the functions here are the only casts between such
//! types and byte slices that the rest of oxbpf needs.

use std::mem::{size_of, MaybeUninit};

/// A type whose values are plain bytes: any value may be viewed as bytes,
/// and any bytes of the right length are a valid value.
///
/// # Safety
///
/// Implementing `Pod` for a type `T` asserts all of the following (the
/// contract of the `object` crate's `Pod`, plus the last point):
///
/// 1. **Layout is defined**: `T` is a primitive integer, an array of `Pod`
///    types, or a struct/union with `#[repr(C)]` or `#[repr(transparent)]`
///    (or `#[repr(C, packed)]`) whose fields are all `Pod`.
/// 2. **No padding**: every byte of the value belongs to a field. A
///    `#[repr(C)]` struct has no padding iff `size_of::<T>()` equals the
///    sum of its fields' sizes; check it with
///    `const _: () = assert!(size_of::<T>() == …);`. Padding bytes are
///    uninitialised, and viewing them as `&[u8]` is undefined behaviour.
/// 3. **Every bit pattern is valid**: no field is a `bool`, `char`, enum,
///    reference, pointer, `NonZero*`, or anything else with a niche or an
///    invalid value. The kernel may write any bytes.
/// 4. **No interior mutability, no drop glue**: `T: Copy + 'static`, and no
///    field is an `UnsafeCell` (e.g. atomics).
///
/// Floats (`f32`, `f64`) are not implemented here: their bytes are all
/// valid, but BPF programs cannot do float arithmetic and a value read
/// back may be a signalling NaN; wrap them in your own `#[repr(C)]` type
/// if you must.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not plain data (`Pod`)",
    label = "not `Pod`",
    note = "for a `#[repr(C)]` struct, `#[derive(oxbpf::BtfStruct)]` implements `Pod` once it has proven there is no padding"
)]
pub unsafe trait Pod: Copy + 'static {}

macro_rules! impl_pod {
    ($($t:ty),* $(,)?) => {
        $(
            // SAFETY: primitive integers have no padding, no invalid bit
            // patterns and no interior mutability.
            unsafe impl Pod for $t {}
        )*
    };
}

impl_pod!(u8, u16, u32, u64, u128, usize, i8, i16, i32, i64, i128, isize);

// SAFETY: IEEE 754 floats have no padding, and every bit pattern is a valid
// value (NaNs included); no interior mutability.
unsafe impl Pod for f32 {}
// SAFETY: as for `f32`.
unsafe impl Pod for f64 {}

// SAFETY: an array of `Pod` elements has no padding between elements
// (size is a multiple of alignment), and every element's bytes are valid.
unsafe impl<T: Pod, const N: usize> Pod for [T; N] {}

// SAFETY: a zero-sized type has no bytes at all.
unsafe impl Pod for () {}

/// Views a `Pod` value as its bytes.
#[inline]
pub fn as_bytes<T: Pod>(value: &T) -> &[u8] {
    // SAFETY: `T: Pod` has no padding, so all `size_of::<T>()` bytes behind
    // the reference are initialised; `u8` has alignment 1; the slice
    // borrows `value` for its lifetime; no `UnsafeCell` (Pod rule 4).
    unsafe { std::slice::from_raw_parts((value as *const T).cast::<u8>(), size_of::<T>()) }
}

/// Views a `Pod` value as mutable bytes: any bytes written are a valid `T`.
#[inline]
pub fn as_bytes_mut<T: Pod>(value: &mut T) -> &mut [u8] {
    // SAFETY: as in `as_bytes`; writes through the slice are fine because
    // every bit pattern is a valid `T` (Pod rule 3); the exclusive borrow
    // of `value` is transferred to the slice.
    unsafe { std::slice::from_raw_parts_mut((value as *mut T).cast::<u8>(), size_of::<T>()) }
}

/// Views a slice of `Pod` values as bytes.
#[inline]
pub fn slice_as_bytes<T: Pod>(values: &[T]) -> &[u8] {
    // SAFETY: elements have no padding and lie back to back (array layout),
    // so all `size_of_val(values)` bytes are initialised; the length cannot
    // overflow because the slice already exists in memory.
    unsafe {
        std::slice::from_raw_parts(values.as_ptr().cast::<u8>(), std::mem::size_of_val(values))
    }
}

/// Views a mutable slice of `Pod` values as mutable bytes.
#[inline]
pub fn slice_as_bytes_mut<T: Pod>(values: &mut [T]) -> &mut [u8] {
    let len = std::mem::size_of_val(values);
    // SAFETY: as in `slice_as_bytes`; any bytes written are valid elements
    // (Pod rule 3); the exclusive borrow is transferred to the result.
    unsafe { std::slice::from_raw_parts_mut(values.as_mut_ptr().cast::<u8>(), len) }
}

/// The all-zero value of a `Pod` type.
#[inline]
pub fn zeroed<T: Pod>() -> T {
    // SAFETY: all-zero bytes are a valid `T` (Pod rule 3).
    unsafe { MaybeUninit::<T>::zeroed().assume_init() }
}

/// Reads a `T` from the start of `bytes` (any alignment), or `None` if
/// `bytes` is shorter than `T`. Extra bytes are ignored.
#[inline]
pub fn read_unaligned<T: Pod>(bytes: &[u8]) -> Option<T> {
    let src = bytes.get(..size_of::<T>())?;
    let mut out = zeroed::<T>();
    as_bytes_mut(&mut out).copy_from_slice(src);
    Some(out)
}

/// Reads a `T` from exactly `size_of::<T>()` bytes (any alignment), or
/// `None` if the length differs.
#[inline]
pub fn from_bytes<T: Pod>(bytes: &[u8]) -> Option<T> {
    if bytes.len() == size_of::<T>() {
        read_unaligned(bytes)
    } else {
        None
    }
}

/// `struct bpf_lpm_trie_key_u8`—The key of an LPM trie: a prefix length in
/// bits followed immediately by the data bytes (`data` at offset 4, with
/// no padding whatever `K`'s alignment is, as the kernel expects).
///
/// `data` is compared byte by byte from its first byte, so store
/// addresses in network byte order (`u32::from_be_bytes(ip.octets())`
/// stored with `to_be()` or simply `[u8; 4]`).
#[repr(C, packed)]
#[derive(Clone, Copy)]
pub struct LpmKey<K> {
    /// `prefixlen`—Number of leading bits of `data` that are significant.
    pub prefix_len: u32,
    /// `data`—The key bytes.
    pub data: K,
}

impl<K: Pod> LpmKey<K> {
    /// A key matching the first `prefix_len` bits of `data`.
    pub const fn new(prefix_len: u32, data: K) -> Self {
        Self { prefix_len, data }
    }

    /// `prefix_len`, copied out of the packed struct.
    pub fn prefix_len(&self) -> u32 {
        self.prefix_len
    }

    /// `data`, copied out of the packed struct.
    pub fn data(&self) -> K {
        self.data
    }
}

impl<K: Pod + std::fmt::Debug> std::fmt::Debug for LpmKey<K> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (prefix_len, data) = (self.prefix_len, self.data);
        f.debug_struct("LpmKey")
            .field("prefix_len", &prefix_len)
            .field("data", &data)
            .finish()
    }
}

impl<K: Pod + PartialEq> PartialEq for LpmKey<K> {
    fn eq(&self, other: &Self) -> bool {
        let (a, b) = (self.data, other.data);
        let (pa, pb) = (self.prefix_len, other.prefix_len);
        pa == pb && a == b
    }
}

impl<K: Pod + Eq> Eq for LpmKey<K> {}

// SAFETY: `repr(C, packed)` leaves no padding: the size is exactly
// 4 + size_of::<K>(), all of it `u32` and `K` bytes, both `Pod`.
unsafe impl<K: Pod> Pod for LpmKey<K> {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips() {
        let v: u64 = 0x0102_0304_0506_0708;
        assert_eq!(as_bytes(&v), &v.to_ne_bytes());
        assert_eq!(from_bytes::<u64>(as_bytes(&v)), Some(v));
        assert_eq!(from_bytes::<u64>(&[0; 7]), None);
        assert_eq!(read_unaligned::<u32>(&[1, 0, 0, 0, 9]), Some(1u32.to_le()));
        let mut a = [0u16; 3];
        slice_as_bytes_mut(&mut a).copy_from_slice(&[1, 0, 2, 0, 3, 0]);
        assert_eq!(a, [1u16.to_le(), 2u16.to_le(), 3u16.to_le()]);
        assert_eq!(slice_as_bytes(&a).len(), 6);
        assert_eq!(zeroed::<[u32; 4]>(), [0; 4]);
        let mut x = 0u32;
        as_bytes_mut(&mut x).copy_from_slice(&7u32.to_ne_bytes());
        assert_eq!(x, 7);
    }

    #[test]
    fn lpm_key_layout() {
        assert_eq!(size_of::<LpmKey<u64>>(), 12);
        assert_eq!(std::mem::align_of::<LpmKey<u64>>(), 1);
        let k = LpmKey::new(24, [10u8, 0, 0, 0]);
        assert_eq!(as_bytes(&k), &[24, 0, 0, 0, 10, 0, 0, 0][..]);
        assert_eq!(k, LpmKey::new(24, [10, 0, 0, 0]));
        assert_eq!(k.prefix_len(), 24);
        assert!(format!("{k:?}").contains("prefix_len: 24"));
    }
}
