//! Read-only file mappings.

use std::fs::File;
use std::io;
use std::path::Path;

/// A read-only, private (`MAP_PRIVATE`, `PROT_READ`) mapping of a whole file.
///
/// Used for files whose contents do not change while they are mapped, such
/// as `/sys/kernel/btf/vmlinux`: the kernel's BTF is immutable for the
/// lifetime of the running kernel.
#[derive(Debug)]
pub struct ReadOnlyMapping {
    map: memmap2::Mmap,
}

impl ReadOnlyMapping {
    /// `mmap(PROT_READ, MAP_PRIVATE)`—Maps the file at `path` read-only.
    ///
    /// Fails if the file cannot be opened or the file system does not
    /// support `mmap` for it (callers fall back to reading the file).
    /// An empty file is an error (`EINVAL`), as it is for `mmap(2)`.
    ///
    /// The caller asserts, by using this function, that nobody truncates or
    /// rewrites the file while the mapping is alive; this holds for the
    /// kernel's BTF files under `/sys/kernel/btf`, which is what this is for.
    pub fn open(path: impl AsRef<Path>) -> io::Result<Self> {
        let file = File::open(path)?;
        let len = file.metadata()?.len();
        if len == 0 {
            return Err(io::Error::from_raw_os_error(libc::EINVAL));
        }
        // SAFETY: the mapping is read-only and private, so no Rust reference
        // into it can observe our own writes; the files this is used for
        // (sysfs BTF) are immutable while the kernel runs, so the bytes
        // behind the returned slice never change or disappear.
        let map = unsafe { memmap2::MmapOptions::new().map_copy_read_only(&file)? };
        Ok(Self { map })
    }
}

impl AsRef<[u8]> for ReadOnlyMapping {
    fn as_ref(&self) -> &[u8] {
        &self.map
    }
}

impl std::ops::Deref for ReadOnlyMapping {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        &self.map
    }
}
