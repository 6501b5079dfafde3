//! [`MapError`], the one error type of this crate.

use std::io;
use std::path::PathBuf;

use oxbpf_sys::{CpuListError, MapType, SyscallError};

/// Everything that can go wrong creating, opening or using a map.
///
/// Every variant names the map (its full spec name, or the kernel's name
/// for maps opened by fd/ID/pin) and, where a system call failed, keeps
/// the [`SyscallError`] (with its `errno`) as the
/// [`source`](std::error::Error::source).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MapError {
    /// `BPF_MAP_CREATE` failed.
    #[error("map `{name}`: create failed")]
    Create {
        /// The map.
        name: String,
        /// The error.
        #[source]
        source: SyscallError,
    },
    /// A map operation failed (`BPF_MAP_LOOKUP_ELEM`, `BPF_MAP_FREEZE`, …).
    #[error("map `{name}`: {op} failed")]
    Syscall {
        /// The map.
        name: String,
        /// The operation, e.g. `"lookup"`, `"update"`, `"freeze"`.
        op: &'static str,
        /// The error, naming the `bpf(2)` command.
        #[source]
        source: SyscallError,
    },
    /// A batch operation failed after processing some elements.
    #[error("map `{name}`: {op} failed after {processed} elements")]
    Batch {
        /// The map.
        name: String,
        /// The operation, e.g. `"lookup_batch"`.
        op: &'static str,
        /// Elements processed (returned, updated, deleted) before the error,
        /// over all chunks.
        processed: usize,
        /// The error.
        #[source]
        source: SyscallError,
    },
    /// A key type's size differs from the map's `key_size`.
    #[error("map `{name}`: key size {size} does not match the map's key_size {expected}")]
    InvalidKeySize {
        /// The map.
        name: String,
        /// `size_of` the key type.
        size: usize,
        /// The map's key size.
        expected: usize,
    },
    /// A value type's size differs from the map's `value_size` (for
    /// per-CPU maps: from the per-CPU slot's value size).
    #[error("map `{name}`: value size {size} does not match the map's value_size {expected}")]
    InvalidValueSize {
        /// The map.
        name: String,
        /// `size_of` the value type (or the buffer length).
        size: usize,
        /// The map's value size.
        expected: usize,
    },
    /// The map is not of a type the view supports.
    #[error("map `{name}`: is {actual:?}, expected one of {expected:?}")]
    WrongMapType {
        /// The map.
        name: String,
        /// The map's type.
        actual: MapType,
        /// The types the view accepts.
        expected: &'static [MapType],
    },
    /// An array index at or past `max_entries`.
    #[error("map `{name}`: index {index} out of bounds (max_entries {max_entries})")]
    OutOfBounds {
        /// The map.
        name: String,
        /// The index.
        index: u32,
        /// The map's `max_entries`.
        max_entries: u32,
    },
    /// Iteration with `BPF_MAP_GET_NEXT_KEY` visited more keys than the map
    /// can hold: concurrent deletions kept restarting it.
    #[error(
        "map `{name}`: iteration aborted after {steps} keys (concurrent deletions restarted it)"
    )]
    IterationAborted {
        /// The map.
        name: String,
        /// Keys visited before giving up.
        steps: u64,
    },
    /// A spec that cannot be created as given.
    #[error("map `{name}`: invalid spec: {reason}")]
    InvalidSpec {
        /// The map.
        name: String,
        /// What is wrong.
        reason: String,
    },
    /// The kernel rejected the spec's BTF.
    #[error("map `{name}`: BTF load failed: {log}")]
    BtfLoad {
        /// The map.
        name: String,
        /// The kernel's BTF verifier log (may be empty).
        log: String,
        /// The error.
        #[source]
        source: SyscallError,
    },
    /// The Rust key or value type of a view does not match the map's BTF
    /// (see `#[derive(BtfStruct)]`): the report lists every difference.
    #[error("map `{name}`: the Rust {part} type does not match the map's BTF\n{source}")]
    Layout {
        /// The map.
        name: String,
        /// `"key"` or `"value"`.
        part: &'static str,
        /// Every difference, as a table.
        #[source]
        source: Box<oxbpf_btf::layout::LayoutMismatch>,
    },
    /// The map's BTF could not be read back from the kernel or parsed.
    #[error("map `{name}`: reading its BTF: {reason}")]
    MapBtf {
        /// The map.
        name: String,
        /// What went wrong.
        reason: String,
    },
    /// A pin path is not on a BPF file system.
    #[error("{}: not on a BPF file system (mount one with `mount -t bpf bpf DIR`)", path.display())]
    NotBpffs {
        /// The path that was to be pinned or opened.
        path: PathBuf,
    },
    /// `BPF_OBJ_PIN` failed, or the pin directory could not be examined.
    #[error("map `{name}`: pin at {} failed", path.display())]
    Pin {
        /// The map.
        name: String,
        /// The pin path.
        path: PathBuf,
        /// The error.
        #[source]
        source: io::Error,
    },
    /// Opening a pinned map failed.
    #[error("open pinned map {} failed", path.display())]
    FromPin {
        /// The pin path.
        path: PathBuf,
        /// The error.
        #[source]
        source: io::Error,
    },
    /// A map pinned at the path of a spec with
    /// [`Pinning::ByName`](crate::Pinning::ByName) differs from the spec.
    #[error("map `{name}`: pinned map at {} is incompatible: {reason}", path.display())]
    Incompatible {
        /// The map.
        name: String,
        /// The pin path.
        path: PathBuf,
        /// What differs.
        reason: String,
    },
    /// Opening a map by ID or fd failed.
    #[error("open map {what} failed")]
    Open {
        /// `"id 42"`, `"fd"`.
        what: String,
        /// The error.
        #[source]
        source: SyscallError,
    },
    /// Reading the possible CPUs for a per-CPU map failed.
    #[error("reading the possible CPUs failed")]
    PossibleCpus(#[source] CpuListError),
    /// `mmap` of a map failed.
    #[error("map `{name}`: mmap failed")]
    Mmap {
        /// The map.
        name: String,
        /// The error.
        #[source]
        source: io::Error,
    },
    /// A record does not fit a ring buffer at all (more than its size
    /// less the 8-byte header), or is too large for the kernel.
    #[error("map `{name}`: a {size}-byte record does not fit (at most {max} bytes)")]
    RecordTooLarge {
        /// The map.
        name: String,
        /// The requested record size.
        size: usize,
        /// The largest record the ring can take.
        max: usize,
    },
    /// A ring buffer or perf buffer holds a record header that cannot be
    /// right (a length past the ring's end): someone other than the kernel
    /// wrote to it. Reading stops there; nothing past it is trusted.
    #[error("map `{name}`: corrupt ring at position {position}: {reason}")]
    CorruptRing {
        /// The map.
        name: String,
        /// The consumer position of the bad record.
        position: u64,
        /// What is wrong.
        reason: &'static str,
    },
    /// Another reader (or user ring buffer writer) in this process already
    /// owns the map's consumer (producer) position: two would corrupt
    /// each other's view of the ring.
    #[error("map `{name}` (id {id}): already has a {role} in this process")]
    RingInUse {
        /// The map.
        name: String,
        /// The map's ID.
        id: u32,
        /// `"reader"` or `"writer"`.
        role: &'static str,
    },
    /// Setting up or driving one CPU's perf event of a perf buffer failed
    /// (`perf_event_open`, `mmap`, an ioctl, storing it in the array).
    #[error("map `{name}`: perf buffer CPU {cpu}: {op} failed")]
    PerfBuffer {
        /// The `PERF_EVENT_ARRAY`.
        name: String,
        /// The CPU.
        cpu: u32,
        /// The operation, e.g. `"perf_event_open"`.
        op: &'static str,
        /// The error.
        #[source]
        source: io::Error,
    },
}

impl MapError {
    /// The `errno` of the failed system call, if the error came from one.
    pub fn errno(&self) -> Option<i32> {
        match self {
            Self::Create { source, .. }
            | Self::Syscall { source, .. }
            | Self::Batch { source, .. }
            | Self::BtfLoad { source, .. }
            | Self::Open { source, .. } => Some(source.errno()),
            Self::Pin { source, .. }
            | Self::FromPin { source, .. }
            | Self::Mmap { source, .. }
            | Self::PerfBuffer { source, .. } => source.raw_os_error(),
            _ => None,
        }
    }
}
