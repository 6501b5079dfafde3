//! Perf buffers: [`PerfBuffer`] reads what programs send with
//! `bpf_perf_event_output` through a `BPF_MAP_TYPE_PERF_EVENT_ARRAY`.
//!
//! One `PERF_COUNT_SW_BPF_OUTPUT` perf event is opened per CPU and stored
//! in the array at the CPU's index; each has its own memory-mapped ring.
//! Samples arrive in order per CPU (not across CPUs); when a CPU's ring
//! is full the kernel drops samples and later reports how many with a
//! `PERF_RECORD_LOST` record, passed on as [`PerfEvent::Lost`].
//!
//! Prefer a [`RingBufReader`](crate::RingBufReader) (Linux 5.8+): one
//! ring shared by all CPUs, ordered, no per-CPU memory, and faster.
//!
//! ```no_run
//! use std::time::Duration;
//! use oxbpf_maps::{Map, PerfBuffer, PerfBufferOptions, PerfEvent};
//!
//! # fn f(events: &Map) -> Result<(), oxbpf_maps::MapError> {
//! // `events` is the program's PERF_EVENT_ARRAY.
//! let mut perf = PerfBuffer::new(events, &PerfBufferOptions::default())?;
//! loop {
//!     perf.poll(Some(Duration::from_millis(100)), |cpu, event| match event {
//!         PerfEvent::Sample(data) => println!("cpu {cpu}: {} bytes", data.len()),
//!         PerfEvent::Lost(n) => eprintln!("cpu {cpu}: lost {n} samples"),
//!     })?;
//! }
//! # }
//! ```
//!
//! # Minimum kernel version
//!
//! 4.4 (`PERF_COUNT_SW_BPF_OUTPUT`); pause/resume 4.7.

mod mmap;

use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd, RawFd};
use std::time::Duration;

use oxbpf_sys::{
    self as sys, Epoll, EpollEvent, EpollFlags, MapType, PerfEventAttr, PerfEventFlags,
    PerfEventOpenFlags, PerfSampleType, PerfSwId, PerfType, SyscallError, UpdateFlags,
};

use self::mmap::{Corrupt, PerfRing};
use crate::error::MapError;
use crate::fd_maps::PerfEventArray;
use crate::map::Map;

/// `PERF_RECORD_LOST`
const RECORD_LOST: u32 = 2;
/// `PERF_RECORD_SAMPLE`
const RECORD_SAMPLE: u32 = 9;

/// When the kernel wakes a waiting reader (`poll`, epoll) for one CPU's
/// ring. Reading never depends on it: [`PerfBuffer::consume`] reads
/// whatever is there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wakeup {
    /// `wakeup_events`—After every `n` samples (at least 1).
    Events(u32),
    /// `wakeup_watermark` (with `watermark`)—When at least `n` bytes are
    /// waiting (at least 1).
    Bytes(u32),
}

/// How to set up a [`PerfBuffer`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct PerfBufferOptions {
    /// Data pages per CPU, a power of two (the ring is this many pages
    /// plus one control page). Default: 64 (256 KiB with 4 KiB pages).
    pub pages: usize,
    /// When waiting readers are woken. Default: every sample, as libbpf.
    pub wakeup: Wakeup,
    /// The CPUs to read; default (`None`): every online CPU. Each must be
    /// below the array's `max_entries`.
    pub cpus: Option<Vec<u32>>,
}

impl Default for PerfBufferOptions {
    fn default() -> Self {
        Self {
            pages: 64,
            wakeup: Wakeup::Events(1),
            cpus: None,
        }
    }
}

impl PerfBufferOptions {
    /// The defaults with `pages` data pages per CPU.
    pub fn with_pages(pages: usize) -> Self {
        Self {
            pages,
            ..Self::default()
        }
    }

    /// Sets the wakeup policy.
    pub fn wakeup(mut self, wakeup: Wakeup) -> Self {
        self.wakeup = wakeup;
        self
    }

    /// Reads only these CPUs.
    pub fn cpus(mut self, cpus: Vec<u32>) -> Self {
        self.cpus = Some(cpus);
        self
    }
}

/// One record of a CPU's perf ring.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PerfEvent<'a> {
    /// What a program passed to `bpf_perf_event_output`, padded by the
    /// kernel so that its length is 4 bytes short of a multiple of 8 (64
    /// bytes sent arrive as 68). The padding bytes are whatever the ring
    /// held before (the kernel skips them without writing): carry the
    /// length in the payload if it matters. Records that wrapped around
    /// the ring are copied; the others are read in place.
    Sample(&'a [u8]),
    /// `PERF_RECORD_LOST`—This many samples of this CPU were dropped
    /// (ring full, or output paused) before the samples that follow.
    Lost(u64),
}

/// One CPU's event and ring.
#[derive(Debug)]
struct CpuRing {
    cpu: u32,
    ring: PerfRing,
    event: OwnedFd,
}

/// Reads a `BPF_MAP_TYPE_PERF_EVENT_ARRAY`: one perf event and ring per
/// CPU, waited on with one epoll.
///
/// Creating it stores its events in the array (replacing what was at
/// those CPUs' indices); dropping it removes them and closes everything.
///
/// ```no_run
/// use oxbpf_maps::{Map, PerfBuffer, PerfBufferOptions, PerfEvent, Wakeup};
/// # fn f(events: &Map) -> Result<(), oxbpf_maps::MapError> {
/// // 1 MiB per CPU; wake the poller only once 64 KiB are waiting.
/// let opts = PerfBufferOptions::with_pages(256).wakeup(Wakeup::Bytes(64 << 10));
/// let mut perf = PerfBuffer::new(events, &opts)?;
/// let (mut samples, mut lost) = (0, 0);
/// perf.consume(|_cpu, event| match event {
///     PerfEvent::Sample(_) => samples += 1,
///     PerfEvent::Lost(n) => lost += n,
/// })?;
/// # Ok(()) }
/// ```
#[doc(alias = "perf_buffer__new")]
#[derive(Debug)]
pub struct PerfBuffer {
    rings: Vec<CpuRing>,
    epoll: Epoll,
    events: Vec<EpollEvent>,
    /// Wrapped records are assembled here.
    scratch: Vec<u8>,
    /// Our own handle of the array, to remove the events on drop.
    map: Map,
    name: String,
}

fn perf_err(name: &str, cpu: u32, op: &'static str, source: std::io::Error) -> MapError {
    MapError::PerfBuffer {
        name: name.to_string(),
        cpu,
        op,
        source,
    }
}

fn sys_err(name: &str, cpu: u32, source: SyscallError) -> MapError {
    let op = source.call;
    perf_err(name, cpu, op, source.into_io_error())
}

fn corrupt(name: &str, c: Corrupt) -> MapError {
    MapError::CorruptRing {
        name: name.to_string(),
        position: c.position,
        reason: c.reason,
    }
}

impl PerfBuffer {
    /// Opens a perf event and maps a ring for each CPU (every online CPU
    /// unless [`PerfBufferOptions::cpus`] says otherwise), stores the
    /// events in `map` and enables them.
    ///
    /// Fails with [`MapError::WrongMapType`] unless `map` is a
    /// `PERF_EVENT_ARRAY`, [`MapError::InvalidSpec`] for a page count
    /// that is not a power of two or a CPU at or past `max_entries`, and
    /// [`MapError::PerfBuffer`] naming the CPU and the step that failed.
    /// Everything set up before a failure is undone.
    pub fn new(map: &Map, opts: &PerfBufferOptions) -> Result<Self, MapError> {
        let name = map.name().to_string();
        if map.map_type() != MapType::PERF_EVENT_ARRAY {
            return Err(MapError::WrongMapType {
                name,
                actual: map.map_type(),
                expected: PerfEventArray::<Map>::TYPES,
            });
        }
        let invalid = |reason: String| MapError::InvalidSpec {
            name: map.name().to_string(),
            reason,
        };
        if !opts.pages.is_power_of_two() {
            return Err(invalid(format!(
                "perf buffer pages must be a power of two, not {}",
                opts.pages
            )));
        }
        let (wakeup_events, flags) = match opts.wakeup {
            Wakeup::Events(n) => (n.max(1), PerfEventFlags::empty()),
            Wakeup::Bytes(n) => (n.max(1), PerfEventFlags::WATERMARK),
        };
        let cpus = match &opts.cpus {
            Some(cpus) => cpus.clone(),
            None => sys::online_cpus().map_err(MapError::PossibleCpus)?,
        };
        if let Some(&cpu) = cpus.iter().find(|&&c| c >= map.max_entries()) {
            return Err(invalid(format!(
                "CPU {cpu} has no slot: max_entries is {} (create the array with one entry \
                 per possible CPU)",
                map.max_entries()
            )));
        }
        let own_map = map.try_clone()?;
        let epoll = Epoll::new().map_err(|e| sys_err(&name, 0, e))?;
        let mut attr = PerfEventAttr {
            event_type: PerfType::SOFTWARE.as_raw(),
            config: PerfSwId::BPF_OUTPUT.as_raw(),
            sample_period: 1,
            sample_type: PerfSampleType::RAW.bits(),
            wakeup_events,
            ..Default::default()
        };
        attr.set_event_flags(flags);
        let mut buffer = Self {
            rings: Vec::with_capacity(cpus.len()),
            events: Vec::with_capacity(cpus.len().max(1)),
            epoll,
            scratch: Vec::new(),
            map: own_map,
            name,
        };
        for &cpu in &cpus {
            // On error, `buffer`'s drop removes the CPUs stored so far.
            let event =
                sys::perf_event_open(&attr, -1, cpu as i32, None, PerfEventOpenFlags::FD_CLOEXEC)
                    .map_err(|e| sys_err(&buffer.name, cpu, e))?;
            let ring = PerfRing::new(event.as_fd(), opts.pages)
                .map_err(|e| perf_err(&buffer.name, cpu, "mmap", e))?;
            let index = buffer.rings.len() as u64;
            buffer
                .epoll
                .add(&event, EpollFlags::IN, index)
                .map_err(|e| sys_err(&buffer.name, cpu, e))?;
            let value = (event.as_raw_fd() as u32).to_ne_bytes();
            sys::map_update_elem(map.map_fd(), &cpu.to_ne_bytes(), &value, UpdateFlags::ANY)
                .map_err(|e| sys_err(&buffer.name, cpu, e))?;
            buffer.rings.push(CpuRing { cpu, ring, event });
            buffer.events.push(EpollEvent::zeroed());
            sys::perf_event_ioc_enable(&buffer.rings[index as usize].event)
                .map_err(|e| sys_err(&buffer.name, cpu, e))?;
        }
        if buffer.events.is_empty() {
            buffer.events.push(EpollEvent::zeroed());
        }
        Ok(buffer)
    }

    /// The array's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The CPUs read, in ring order.
    pub fn cpus(&self) -> impl ExactSizeIterator<Item = u32> + '_ {
        self.rings.iter().map(|r| r.cpu)
    }

    /// Each CPU's data area size in bytes.
    pub fn ring_size(&self) -> usize {
        self.rings.first().map_or(0, |r| r.ring.size() as usize)
    }

    /// Bytes waiting in all rings.
    pub fn pending_bytes(&self) -> usize {
        self.rings
            .iter()
            .map(|r| r.ring.pending_bytes() as usize)
            .sum()
    }

    /// Reads every record of every CPU's ring (samples and lost-sample
    /// reports), without waiting; returns the number of records.
    ///
    /// Each ring's tail is published once, after its records. Record
    /// types other than samples and lost reports are skipped. Fails only
    /// with [`MapError::CorruptRing`].
    #[doc(alias = "perf_buffer__consume")]
    pub fn consume<F: FnMut(u32, PerfEvent<'_>)>(&mut self, mut f: F) -> Result<usize, MapError> {
        let mut total = 0;
        for i in 0..self.rings.len() {
            total += self.consume_ring(i, &mut f)?;
        }
        Ok(total)
    }

    /// Reads one ring, by its position in [`cpus`](Self::cpus).
    #[doc(alias = "perf_buffer__consume_buffer")]
    pub fn consume_ring<F: FnMut(u32, PerfEvent<'_>)>(
        &mut self,
        index: usize,
        mut f: F,
    ) -> Result<usize, MapError> {
        let Some(cpu_ring) = self.rings.get_mut(index) else {
            return Ok(0);
        };
        let cpu = cpu_ring.cpu;
        let mut bad = None;
        let (n, result) =
            cpu_ring.ring.read(
                &mut self.scratch,
                &mut |kind, _misc, body: &[u8]| match kind {
                    RECORD_SAMPLE => match body.split_first_chunk::<4>() {
                        Some((size, rest)) if u32::from_ne_bytes(*size) as usize <= rest.len() => {
                            let size = u32::from_ne_bytes(*size) as usize;
                            f(cpu, PerfEvent::Sample(&rest[..size]));
                        }
                        _ => bad = Some("sample shorter than its size field"),
                    },
                    RECORD_LOST => match body.get(8..16) {
                        Some(lost) => {
                            let lost = u64::from_ne_bytes(lost.try_into().unwrap_or_default());
                            f(cpu, PerfEvent::Lost(lost));
                        }
                        None => bad = Some("short PERF_RECORD_LOST"),
                    },
                    _ => {}
                },
            );
        if let Err(c) = result {
            return Err(corrupt(&self.name, c));
        }
        if let Some(reason) = bad {
            return Err(corrupt(
                &self.name,
                Corrupt {
                    position: 0,
                    reason,
                },
            ));
        }
        Ok(n)
    }

    /// Waits up to `timeout` (`None`: no limit) until some CPU's ring
    /// reaches its wakeup threshold, then reads every CPU's ring (see
    /// [`consume`](Self::consume)); returns the number of records.
    ///
    /// Samples below every CPU's threshold stay until one is reached or
    /// [`consume`](Self::consume) reads them.
    #[doc(alias = "perf_buffer__poll")]
    pub fn poll<F: FnMut(u32, PerfEvent<'_>)>(
        &mut self,
        timeout: Option<Duration>,
        f: F,
    ) -> Result<usize, MapError> {
        let ready = self
            .epoll
            .wait(&mut self.events, timeout)
            .map_err(|e| sys_err(&self.name, 0, e))?;
        if ready == 0 {
            return Ok(0);
        }
        // Every ring, not only those reported: a perf event's readiness is
        // cleared by whoever polls it first, which for an epoll nested in
        // an event loop may have been the outer loop.
        self.consume(f)
    }

    /// For event loops that watch [`as_fd`](AsFd::as_fd): empties the
    /// epoll's ready list without waiting and reads every ring.
    pub fn consume_ready<F: FnMut(u32, PerfEvent<'_>)>(&mut self, f: F) -> Result<usize, MapError> {
        self.epoll
            .wait(&mut self.events, Some(Duration::ZERO))
            .map_err(|e| sys_err(&self.name, 0, e))?;
        self.consume(f)
    }

    /// `PERF_EVENT_IOC_PAUSE_OUTPUT`—Stops writing samples on every CPU:
    /// samples sent meanwhile are dropped and reported as
    /// [`PerfEvent::Lost`] after [`resume`](Self::resume).
    pub fn pause(&self) -> Result<(), MapError> {
        self.set_paused(true)
    }

    /// Resumes writing samples after [`pause`](Self::pause).
    pub fn resume(&self) -> Result<(), MapError> {
        self.set_paused(false)
    }

    fn set_paused(&self, pause: bool) -> Result<(), MapError> {
        for r in &self.rings {
            sys::perf_event_ioc_pause_output(&r.event, pause)
                .map_err(|e| sys_err(&self.name, r.cpu, e))?;
        }
        Ok(())
    }
}

impl Drop for PerfBuffer {
    fn drop(&mut self) {
        for r in &self.rings {
            // Best effort, as libbpf: someone may have replaced the entry.
            let _ = self.map.delete(&r.cpu.to_ne_bytes());
        }
    }
}

impl AsFd for PerfBuffer {
    /// The epoll fd: readable while some CPU's ring reached its wakeup
    /// threshold. An event loop watching it should read with
    /// [`PerfBuffer::consume_ready`].
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.epoll.as_fd()
    }
}

impl AsRawFd for PerfBuffer {
    fn as_raw_fd(&self) -> RawFd {
        self.epoll.as_raw_fd()
    }
}

impl<T: std::borrow::Borrow<Map>> PerfEventArray<T> {
    /// A [`PerfBuffer`] over this array.
    pub fn buffer(&self, opts: &PerfBufferOptions) -> Result<PerfBuffer, MapError> {
        PerfBuffer::new(self.map(), opts)
    }
}

#[cfg(feature = "tokio")]
mod asynchronous;
#[cfg(feature = "tokio")]
pub use self::asynchronous::AsyncPerfBuffer;
