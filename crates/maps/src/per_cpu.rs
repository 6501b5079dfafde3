//! [`PerCpuValues`]: one value per possible CPU.

use std::fmt;
use std::marker::PhantomData;
use std::mem::size_of;

use oxbpf_sys::{as_bytes, nr_possible_cpus, read_unaligned, Pod};

use crate::error::MapError;

/// The values of one per-CPU map element, one per possible CPU, in the
/// kernel's layout: each value in a slot of `size_of::<V>()` rounded up to
/// 8 bytes, slot `i` belonging to the `i`-th possible CPU
/// (`/sys/devices/system/cpu/possible`).
///
/// The buffer is exactly what `BPF_MAP_LOOKUP_ELEM` writes and
/// `BPF_MAP_UPDATE_ELEM` reads, so no conversion happens on either side.
#[derive(Clone, PartialEq, Eq)]
pub struct PerCpuValues<V> {
    buf: Vec<u8>,
    _value: PhantomData<V>,
}

impl<V: Pod> PerCpuValues<V> {
    /// The slot size: `size_of::<V>()` rounded up to 8.
    pub const STRIDE: usize = size_of::<V>().div_ceil(8) * 8;

    /// `value` on every possible CPU.
    pub fn new(value: V) -> Result<Self, MapError> {
        Self::from_fn(|_| value)
    }

    /// All-zero values, one per possible CPU.
    pub fn zeroed() -> Result<Self, MapError> {
        let cpus = nr_possible_cpus().map_err(MapError::PossibleCpus)?;
        Ok(Self {
            buf: vec![0; Self::STRIDE * cpus],
            _value: PhantomData,
        })
    }

    /// `f(i)` for the `i`-th possible CPU.
    pub fn from_fn(mut f: impl FnMut(usize) -> V) -> Result<Self, MapError> {
        let mut out = Self::zeroed()?;
        for i in 0..out.len() {
            out.set(i, f(i));
        }
        Ok(out)
    }

    /// The number of slots (possible CPUs).
    pub fn len(&self) -> usize {
        self.buf.len() / Self::STRIDE.max(1)
    }

    /// Whether there are no slots (never, on a real system).
    pub fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }

    /// The value of the `i`-th possible CPU.
    pub fn get(&self, i: usize) -> Option<V> {
        let start = i.checked_mul(Self::STRIDE)?;
        read_unaligned(self.buf.get(start..)?)
    }

    /// Sets the value of the `i`-th possible CPU.
    ///
    /// # Panics
    ///
    /// If `i >= self.len()`.
    pub fn set(&mut self, i: usize, value: V) {
        let len = self.len();
        let start = i * Self::STRIDE;
        let slot = self
            .buf
            .get_mut(start..start + size_of::<V>())
            .unwrap_or_else(|| panic!("CPU slot {i} out of range ({len} possible CPUs)"));
        slot.copy_from_slice(as_bytes(&value));
    }

    /// The values, in slot order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = V> + '_ {
        (0..self.len()).map(|i| self.get(i).expect("slot in range"))
    }

    /// The values as a `Vec`.
    pub fn to_vec(&self) -> Vec<V> {
        self.iter().collect()
    }

    /// The raw kernel-layout buffer.
    pub fn as_bytes(&self) -> &[u8] {
        &self.buf
    }

    pub(crate) fn as_bytes_mut(&mut self) -> &mut [u8] {
        &mut self.buf
    }
}

impl<V: Pod + fmt::Debug> fmt::Debug for PerCpuValues<V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layout() {
        assert_eq!(PerCpuValues::<u32>::STRIDE, 8);
        assert_eq!(PerCpuValues::<[u8; 12]>::STRIDE, 16);
        assert_eq!(PerCpuValues::<u64>::STRIDE, 8);
        let cpus = nr_possible_cpus().unwrap();
        let v = PerCpuValues::<u32>::from_fn(|i| i as u32 + 1).unwrap();
        assert_eq!(v.len(), cpus);
        assert_eq!(v.as_bytes().len(), 8 * cpus);
        assert_eq!(v.get(0), Some(1));
        assert_eq!(v.get(cpus), None);
        assert_eq!(v.iter().sum::<u32>() as usize, cpus * (cpus + 1) / 2);
        assert_eq!(&v.as_bytes()[..4], oxbpf_sys::as_bytes(&1u32));
        assert_eq!(&v.as_bytes()[4..8], &[0; 4]);
    }
}
