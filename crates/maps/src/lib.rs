//! `oxbpf-maps` — BPF maps: [`MapSpec`] → [`Map`], typed views, iteration,
//! batch operations, pinning and memory-mapped arrays.
//!
//! - [`MapSpec`] is the editable description of a map (what the loader
//!   builds from an ELF object, or you build by hand); [`Map::create`]
//!   turns it into a [`Map`], which owns the fd and the kernel's
//!   [`MapInfo`]. Maps are also opened with [`Map::from_pin`],
//!   [`Map::from_id`] and [`Map::from_fd`].
//! - Typed views check the map type and key/value sizes once, then cost
//!   exactly one system call per operation, with stack buffers:
//!   [`HashMap`], [`Array`], [`PerCpuHashMap`], [`PerCpuArray`],
//!   [`LpmTrie`], [`Queue`], [`Stack`], [`BloomFilter`],
//!   [`StackTraceMap`], [`ProgramArray`], [`ArrayOfMaps`],
//!   [`HashOfMaps`], [`DevMap`], [`DevMapHash`], [`CpuMap`], [`XskMap`],
//!   [`SockMap`], [`SockHash`], [`PerfEventArray`], the local storages
//!   ([`SkStorage`], [`TaskStorage`], [`InodeStorage`], [`CgrpStorage`]),
//!   [`RingBuf`], [`UserRingBuf`] and [`Arena`]. Views own their map
//!   (`HashMap<Map, K, V>`) or borrow it (`HashMap<&Map, K, V>`).
//! - Keys and values are [`Pod`] (plain bytes, checked by size) and
//!   describe their layout ([`BtfLayout`](oxbpf_btf::layout::BtfLayout)):
//!   when the map has BTF for its key and value (maps from BPF objects,
//!   and maps created with [`MapSpec::with_btf`]), opening a view checks the
//!   Rust types against it and fails with [`MapError::Layout`], a table of
//!   every difference, instead of reading garbage. `#[derive(BtfStruct)]`
//!   (re-exported as `oxbpf::BtfStruct`) implements both for `#[repr(C)]`
//!   structs.
//! - Missing keys are `Ok(None)`, never an error; every error is a
//!   [`MapError`] naming the map and the operation.
//! - Event streams: [`RingBufReader`] reads a `RINGBUF` in place (and
//!   [`RingBufPoller`] waits on several), [`UserRingBufWriter`] feeds a
//!   `USER_RINGBUF`, [`PerfBuffer`] reads a `PERF_EVENT_ARRAY` through
//!   per-CPU perf rings ([`ringbuf`], [`perf`]). The `tokio` feature adds
//!   async versions.
//!
//! ```no_run
//! use oxbpf_maps::{HashMap, Map, MapSpec, UpdateMode};
//! # mod oxbpf { pub use oxbpf_btf as btf; pub use oxbpf_sys as sys; }
//! use oxbpf_derive::BtfStruct; // `oxbpf::BtfStruct` through the facade
//!
//! #[derive(BtfStruct, Clone, Copy, Debug, PartialEq)]
//! #[repr(C)]
//! # #[btf(crate = "oxbpf")]
//! struct Flow { saddr: u32, daddr: u32, ports: u32, proto: u32 }
//!
//! let map = Map::create(&MapSpec::hash::<Flow, u64>("flows", 65536))?;
//! let flows = HashMap::<_, Flow, u64>::new(map)?;
//! let flow = Flow { saddr: 1, daddr: 2, ports: 3, proto: 6 };
//! flows.insert(&flow, &1500, UpdateMode::NoExist)?;
//! assert_eq!(flows.get(&flow)?, Some(1500));
//! for entry in flows.iter() {
//!     let (flow, bytes) = entry?;
//!     println!("{flow:?}: {bytes}");
//! }
//! let all = flows.lookup_batch()?; // BPF_MAP_LOOKUP_BATCH, chunked
//! assert_eq!(all.len(), 1);
//! # Ok::<(), oxbpf_maps::MapError>(())
//! ```
//!
//! # Minimum kernel version
//!
//! Map creation needs 3.19; most map types and the batch operations are
//! newer (noted on each item). Tests run against Linux 6.18.
#![deny(missing_docs)]
#![deny(unsafe_code)]

mod array;
mod batch;
mod error;
mod fd_maps;
mod hash_map;
pub mod iter;
mod lpm_trie;
mod map;
mod mmap;
mod per_cpu;
pub mod perf;
mod queue;
pub mod ringbuf;
mod spec;

pub use crate::array::{Array, PerCpuArray};
pub use crate::batch::BatchOptions;
pub use crate::error::MapError;
pub use crate::fd_maps::{
    Arena, ArrayOfMaps, CgrpStorage, CpuMap, CpuMapValue, DevMap, DevMapHash, DevMapValue,
    HashOfMaps, InodeStorage, PerfEventArray, ProgramArray, RingBuf, SkStorage, SockHash, SockMap,
    StackTrace, StackTraceMap, TaskStorage, UserRingBuf, XskMap,
};
pub use crate::hash_map::{HashMap, LruHashMap, LruPerCpuHashMap, PerCpuHashMap};
pub use crate::lpm_trie::LpmTrie;
pub use crate::map::{Map, MapInfo};
pub use crate::mmap::MmapArray;
pub use crate::per_cpu::PerCpuValues;
pub use crate::perf::{PerfBuffer, PerfBufferOptions, PerfEvent, Wakeup};
pub use crate::queue::{BloomFilter, Queue, Stack};
pub use crate::ringbuf::{
    RingBufPoller, RingBufReader, RingBufRecord, UserRingBufEntry, UserRingBufWriter,
};
pub use crate::spec::{MapBtf, MapCreateOptions, MapEntry, MapSpec, Pinning, DEFAULT_PIN_ROOT};

pub use oxbpf_sys::{
    as_bytes, as_bytes_mut, from_bytes, read_unaligned, LookupFlags, LpmKey, MapFlags, MapId,
    MapType, Pod, ProgId, UpdateFlags, UpdateMode,
};
