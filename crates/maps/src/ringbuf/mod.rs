//! Ring buffers: [`RingBufReader`] consumes a `BPF_MAP_TYPE_RINGBUF`,
//! [`RingBufPoller`] waits on several, [`UserRingBufWriter`] produces into
//! a `BPF_MAP_TYPE_USER_RINGBUF`.
//!
//! Records are read in place from the memory-mapped ring (no copies, no
//! system calls while there is data), in the order the kernel committed
//! them. Records a program reserved and discarded are skipped; a record
//! still being written stops the reader until it is committed (as in the
//! kernel's and libbpf's protocol: records are consumed strictly in
//! order).
//!
//! ```no_run
//! use std::time::Duration;
//! use oxbpf_maps::{Map, MapSpec, MapType, RingBufReader};
//!
//! # let map = Map::create(&MapSpec::new("events", MapType::RINGBUF, 0, 0, 1 << 20))?;
//! // `map` is the program's BPF_MAP_TYPE_RINGBUF.
//! let mut events = RingBufReader::new(&map)?;
//! loop {
//!     // Waits up to 100 ms, then hands every available record over.
//!     events.poll(Some(Duration::from_millis(100)), |record: &[u8]| {
//!         println!("{} bytes", record.len());
//!     })?;
//! }
//! # Ok::<(), oxbpf_maps::MapError>(())
//! ```
//!
//! # Minimum kernel version
//!
//! `RINGBUF` 5.8, `USER_RINGBUF` 6.1.

mod mmap;

use std::collections::HashSet;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd, RawFd};
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use oxbpf_sys::{Epoll, EpollEvent, EpollFlags, MapType, SyscallError};

use crate::error::MapError;
use crate::fd_maps::{RingBuf, UserRingBuf};
use crate::map::Map;

pub(crate) use self::mmap::prefetch;
use self::mmap::{Consumer, Corrupt, Producer, ReserveError, RingMmap, Side};
pub use self::mmap::{RingBufRecord, UserRingBufEntry};

/// The maps of this process that have a reader (consumer side) or a
/// writer (producer side): a second one would move the position under
/// the first one's feet.
static IN_USE: Mutex<Option<HashSet<(u32, bool)>>> = Mutex::new(None);

/// Registration of one map side in [`IN_USE`], removed on drop.
#[derive(Debug)]
struct Exclusive {
    id: u32,
    producer: bool,
}

impl Exclusive {
    fn claim(map: &Map, producer: bool) -> Result<Self, MapError> {
        let id = map.id().as_raw();
        let mut set = IN_USE.lock().unwrap_or_else(PoisonError::into_inner);
        if !set.get_or_insert_with(HashSet::new).insert((id, producer)) {
            return Err(MapError::RingInUse {
                name: map.name().to_string(),
                id,
                role: if producer { "writer" } else { "reader" },
            });
        }
        Ok(Self { id, producer })
    }
}

impl Drop for Exclusive {
    fn drop(&mut self) {
        let mut set = IN_USE.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(set) = set.as_mut() {
            set.remove(&(self.id, self.producer));
        }
    }
}

fn corrupt(name: &str, c: Corrupt) -> MapError {
    MapError::CorruptRing {
        name: name.to_string(),
        position: c.position,
        reason: c.reason,
    }
}

fn epoll_err(name: &str, source: SyscallError) -> MapError {
    MapError::Syscall {
        name: name.to_string(),
        op: "epoll",
        source,
    }
}

/// Maps `map` after checking its type; returns the mapping, a dup of its
/// fd (for epoll; the reader outlives the `Map`) and its registration.
fn open_ring(
    map: &Map,
    ty: MapType,
    expected: &'static [MapType],
    side: Side,
) -> Result<(RingMmap, OwnedFd, Exclusive), MapError> {
    if map.map_type() != ty {
        return Err(MapError::WrongMapType {
            name: map.name().to_string(),
            actual: map.map_type(),
            expected,
        });
    }
    let exclusive = Exclusive::claim(map, side == Side::Producer)?;
    let ring =
        RingMmap::new(map.as_fd(), map.max_entries(), side).map_err(|source| MapError::Mmap {
            name: map.name().to_string(),
            source,
        })?;
    let fd = map
        .as_fd()
        .try_clone_to_owned()
        .map_err(|source| MapError::Mmap {
            name: map.name().to_string(),
            source,
        })?;
    Ok((ring, fd, exclusive))
}

/// Reads a `BPF_MAP_TYPE_RINGBUF`: records in commit order, in place.
///
/// - [`consume`](Self::consume) hands every available record to a
///   closure and publishes the consumer position once per batch — the
///   fast path;
/// - [`next`](Self::next) returns one record at a time as a guard that
///   releases its space when dropped;
/// - [`poll`](Self::poll) waits (epoll on the map fd) until records are
///   available or a timeout passes, then consumes;
/// - several readers share one wait with [`RingBufPoller`]; with the
///   `tokio` feature, `AsyncRingBufReader` awaits records.
///
/// The reader keeps its own fd of the map and its own mapping: it stays
/// valid after the [`Map`] is dropped. One reader per map per process
/// ([`MapError::RingInUse`] otherwise); another *process* consuming the
/// same ring at the same time is a logic error the kernel cannot prevent
/// — records could then change while a closure reads them.
///
/// ```no_run
/// use oxbpf_maps::{Map, RingBufReader};
/// # fn f(map: &Map) -> Result<(), oxbpf_maps::MapError> {
/// let mut reader = RingBufReader::new(map)?;
/// // Non-blocking, one at a time:
/// while let Some(record) = reader.next()? {
///     println!("{:02x?}", &record[..]);
/// } // each record's space is released when its guard drops
/// // Batched, the fast path:
/// let mut bytes = 0;
/// let n = reader.consume(|r| bytes += r.len())?;
/// println!("{n} records, {bytes} bytes");
/// # Ok(()) }
/// ```
///
/// # Minimum kernel version
///
/// 5.8
#[doc(alias = "ring_buffer__new")]
#[derive(Debug)]
pub struct RingBufReader {
    consumer: Consumer,
    fd: OwnedFd,
    name: String,
    /// Created on the first [`wait`](Self::wait).
    epoll: Option<Epoll>,
    _exclusive: Exclusive,
}

impl RingBufReader {
    /// Maps the ring buffer `map` for reading.
    ///
    /// Fails with [`MapError::WrongMapType`] unless it is a `RINGBUF`,
    /// [`MapError::RingInUse`] if this process already has a reader for
    /// it, and [`MapError::Mmap`] if mapping fails.
    pub fn new(map: &Map) -> Result<Self, MapError> {
        let (ring, fd, exclusive) =
            open_ring(map, MapType::RINGBUF, RingBuf::<Map>::TYPES, Side::Consumer)?;
        Ok(Self {
            consumer: Consumer::new(ring),
            fd,
            name: map.name().to_string(),
            epoll: None,
            _exclusive: exclusive,
        })
    }

    /// The map's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The data area's size in bytes (the map's `max_entries`).
    pub fn size(&self) -> usize {
        self.consumer.ring().size() as usize
    }

    /// The largest record payload the ring can hold (its size less the
    /// 8-byte record header).
    pub fn max_record_len(&self) -> usize {
        self.consumer.ring().max_len() as usize
    }

    /// Bytes produced but not consumed yet, headers and padding included
    /// (records still being written and discarded ones count too).
    pub fn pending_bytes(&self) -> usize {
        self.consumer.pending_bytes() as usize
    }

    /// The consumer position (bytes consumed since the map was created).
    pub fn consumer_pos(&self) -> u64 {
        self.consumer.ring().consumer_pos()
    }

    /// The producer position (bytes reserved by producers since the map
    /// was created).
    pub fn producer_pos(&self) -> u64 {
        self.consumer.ring().producer_pos()
    }

    /// The next committed record, without waiting: `Ok(None)` if the ring
    /// is empty or the next record is still being written. The record's
    /// space is released to producers when the guard is dropped.
    ///
    /// Fails only with [`MapError::CorruptRing`].
    #[allow(clippy::should_implement_trait)] // a lending iterator
    pub fn next(&mut self) -> Result<Option<RingBufRecord<'_>>, MapError> {
        let name = &self.name;
        self.consumer.next().map_err(|c| corrupt(name, c))
    }

    /// Calls `f` with every available record, in order, and returns how
    /// many there were; does not wait.
    ///
    /// Stops at the first record still being written, when the ring is
    /// empty, or after about one ring's worth of data (so a producer as
    /// fast as `f` cannot keep it from returning). The consumer position
    /// is published once per batch (and every quarter ring within a large
    /// one), not once per record.
    ///
    /// Fails only with [`MapError::CorruptRing`], after handing over the
    /// records before the corrupt one.
    #[doc(alias = "ring_buffer__consume")]
    #[inline]
    pub fn consume<F: FnMut(&[u8])>(&mut self, mut f: F) -> Result<usize, MapError> {
        match self.consumer.consume(&mut f) {
            (n, Ok(())) => Ok(n),
            (_, Err(c)) => Err(corrupt(&self.name, c)),
        }
    }

    /// Waits until records are available (the map fd is readable) or
    /// `timeout` passes (`None`: no limit). Returns at once if records are
    /// already available. Returns whether there is data.
    ///
    /// Producers that commit with `BPF_RB_NO_WAKEUP` do not wake it.
    pub fn wait(&mut self, timeout: Option<Duration>) -> Result<bool, MapError> {
        if self.consumer.pending_bytes() > 0 {
            return Ok(true);
        }
        if self.epoll.is_none() {
            let epoll = Epoll::new().map_err(|e| epoll_err(&self.name, e))?;
            epoll
                .add(&self.fd, EpollFlags::IN, 0)
                .map_err(|e| epoll_err(&self.name, e))?;
            self.epoll = Some(epoll);
        }
        if let Some(epoll) = &self.epoll {
            let mut events = [EpollEvent::zeroed()];
            epoll
                .wait(&mut events, timeout)
                .map_err(|e| epoll_err(&self.name, e))?;
        }
        Ok(self.consumer.pending_bytes() > 0)
    }

    /// [`wait`](Self::wait)s up to `timeout`, then
    /// [`consume`](Self::consume)s: returns the number of records.
    #[doc(alias = "ring_buffer__poll")]
    pub fn poll<F: FnMut(&[u8])>(
        &mut self,
        timeout: Option<Duration>,
        f: F,
    ) -> Result<usize, MapError> {
        self.wait(timeout)?;
        self.consume(f)
    }
}

impl AsFd for RingBufReader {
    /// The map fd: readable while records are available (for event loops).
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }
}

impl AsRawFd for RingBufReader {
    fn as_raw_fd(&self) -> RawFd {
        self.fd.as_raw_fd()
    }
}

impl<T: std::borrow::Borrow<Map>> RingBuf<T> {
    /// A [`RingBufReader`] for this ring buffer.
    pub fn reader(&self) -> Result<RingBufReader, MapError> {
        RingBufReader::new(self.map())
    }
}

/// Several ring buffers behind one epoll: one wait, then every ring that
/// has records is consumed (libbpf's `ring_buffer__add`).
///
/// Records are passed with the index [`add`](Self::add) returned.
///
/// ```no_run
/// use std::time::Duration;
/// use oxbpf_maps::{Map, RingBufPoller, RingBufReader};
/// # fn f(exec: &Map, exit: &Map) -> Result<(), oxbpf_maps::MapError> {
/// let mut poller = RingBufPoller::new()?;
/// let execs = poller.add(RingBufReader::new(exec)?)?;
/// let exits = poller.add(RingBufReader::new(exit)?)?;
/// poller.poll(Some(Duration::from_secs(1)), |ring, record| {
///     if ring == execs { /* ... */ } else if ring == exits { /* ... */ }
///     let _ = record;
/// })?;
/// # Ok(()) }
/// ```
#[doc(alias = "ring_buffer__add")]
#[derive(Debug)]
pub struct RingBufPoller {
    epoll: Epoll,
    readers: Vec<RingBufReader>,
    events: Vec<EpollEvent>,
}

impl RingBufPoller {
    /// An empty poller (creates its epoll fd).
    pub fn new() -> Result<Self, MapError> {
        Ok(Self {
            epoll: Epoll::new().map_err(|e| epoll_err("(poller)", e))?,
            readers: Vec::new(),
            events: Vec::new(),
        })
    }

    /// Adds a reader; returns its index, passed to the closures with each
    /// of its records.
    pub fn add(&mut self, reader: RingBufReader) -> Result<usize, MapError> {
        let index = self.readers.len();
        self.epoll
            .add(&reader.fd, EpollFlags::IN, index as u64)
            .map_err(|e| epoll_err(&reader.name, e))?;
        self.readers.push(reader);
        self.events.push(EpollEvent::zeroed());
        Ok(index)
    }

    /// The readers, by index.
    pub fn readers(&self) -> &[RingBufReader] {
        &self.readers
    }

    /// One reader, to use it directly.
    pub fn reader_mut(&mut self, index: usize) -> Option<&mut RingBufReader> {
        self.readers.get_mut(index)
    }

    /// Consumes every ring (see [`RingBufReader::consume`]) without
    /// waiting; returns the number of records.
    #[doc(alias = "ring_buffer__consume")]
    pub fn consume<F: FnMut(usize, &[u8])>(&mut self, mut f: F) -> Result<usize, MapError> {
        let mut total = 0;
        for (i, reader) in self.readers.iter_mut().enumerate() {
            total += reader.consume(|r| f(i, r))?;
        }
        Ok(total)
    }

    /// Waits up to `timeout` (`None`: no limit) until some ring has
    /// records, then consumes every ring that has: returns the number of
    /// records. Returns at once (no system call) if records are already
    /// available.
    #[doc(alias = "ring_buffer__poll")]
    pub fn poll<F: FnMut(usize, &[u8])>(
        &mut self,
        timeout: Option<Duration>,
        mut f: F,
    ) -> Result<usize, MapError> {
        if self.readers.iter().any(|r| r.pending_bytes() > 0) {
            return self.consume(f);
        }
        if self.events.is_empty() {
            if let Some(t) = timeout {
                std::thread::sleep(t);
            }
            return Ok(0);
        }
        self.epoll
            .wait(&mut self.events, timeout)
            .map_err(|e| epoll_err("(poller)", e))?;
        self.consume(&mut f)
    }
}

impl AsFd for RingBufPoller {
    /// The epoll fd: readable while some ring has records.
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.epoll.as_fd()
    }
}

impl AsRawFd for RingBufPoller {
    fn as_raw_fd(&self) -> RawFd {
        self.epoll.as_raw_fd()
    }
}

/// Writes records into a `BPF_MAP_TYPE_USER_RINGBUF`, which programs
/// drain with `bpf_user_ringbuf_drain`.
///
/// One reservation at a time: [`reserve`](Self::reserve) borrows the
/// writer until the entry is submitted or discarded. One writer per map
/// per process ([`MapError::RingInUse`] otherwise).
///
/// ```no_run
/// use oxbpf_maps::{Map, UserRingBufWriter};
/// # fn f(map: &Map) -> Result<(), oxbpf_maps::MapError> {
/// let mut writer = UserRingBufWriter::new(map)?;
/// if let Some(mut entry) = writer.reserve(16)? {
///     entry[..8].copy_from_slice(&42u64.to_ne_bytes());
///     entry[8..].fill(0);
///     entry.submit();
/// }
/// // Or in one go; `false` if the ring is full:
/// let written = writer.write(b"hello")?;
/// # let _ = written; Ok(()) }
/// ```
///
/// # Minimum kernel version
///
/// 6.1
#[doc(alias = "user_ring_buffer__new")]
#[derive(Debug)]
pub struct UserRingBufWriter {
    producer: Producer,
    fd: OwnedFd,
    name: String,
    epoll: Option<Epoll>,
    _exclusive: Exclusive,
}

impl UserRingBufWriter {
    /// Maps the user ring buffer `map` for writing.
    ///
    /// Fails with [`MapError::WrongMapType`] unless it is a
    /// `USER_RINGBUF`, [`MapError::RingInUse`] if this process already has
    /// a writer for it, and [`MapError::Mmap`] if mapping fails.
    pub fn new(map: &Map) -> Result<Self, MapError> {
        let (ring, fd, exclusive) = open_ring(
            map,
            MapType::USER_RINGBUF,
            UserRingBuf::<Map>::TYPES,
            Side::Producer,
        )?;
        Ok(Self {
            producer: Producer::new(ring),
            fd,
            name: map.name().to_string(),
            epoll: None,
            _exclusive: exclusive,
        })
    }

    /// The map's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The data area's size in bytes.
    pub fn size(&self) -> usize {
        self.producer.ring().size() as usize
    }

    /// The largest record payload the ring can hold.
    pub fn max_record_len(&self) -> usize {
        self.producer.ring().max_len() as usize
    }

    /// Free bytes now; a record of `n` bytes needs `n + 8` rounded up to
    /// a multiple of 8.
    pub fn free_bytes(&self) -> usize {
        self.producer.free_bytes() as usize
    }

    /// Reserves a record of `len` bytes without waiting: `Ok(None)` if the
    /// ring does not have the space now. The payload holds stale bytes
    /// until written.
    ///
    /// Fails with [`MapError::RecordTooLarge`] if `len` can never fit.
    #[doc(alias = "user_ring_buffer__reserve")]
    pub fn reserve(&mut self, len: usize) -> Result<Option<UserRingBufEntry<'_>>, MapError> {
        match self.producer.reserve(len) {
            Ok(entry) => Ok(Some(entry)),
            Err(ReserveError::Full) => Ok(None),
            Err(ReserveError::TooLarge(max)) => Err(MapError::RecordTooLarge {
                name: self.name.clone(),
                size: len,
                max: max as usize,
            }),
        }
    }

    /// Like [`reserve`](Self::reserve), but waits up to `timeout`
    /// (`None`: no limit) for programs to drain enough space; `Ok(None)`
    /// on timeout.
    #[doc(alias = "user_ring_buffer__reserve_blocking")]
    pub fn reserve_blocking(
        &mut self,
        len: usize,
        timeout: Option<Duration>,
    ) -> Result<Option<UserRingBufEntry<'_>>, MapError> {
        let deadline = timeout.map(|t| std::time::Instant::now() + t);
        loop {
            if self.has_space(len)? {
                return self.reserve(len);
            }
            let left = match deadline {
                None => None,
                Some(d) => match d.checked_duration_since(std::time::Instant::now()) {
                    Some(left) if !left.is_zero() => Some(left),
                    _ => return Ok(None),
                },
            };
            self.wait_writable(left)?;
        }
    }

    fn has_space(&self, len: usize) -> Result<bool, MapError> {
        let max = self.max_record_len();
        if len > max {
            return Err(MapError::RecordTooLarge {
                name: self.name.clone(),
                size: len,
                max,
            });
        }
        let total = (len as u64 + 8 + 7) & !7;
        Ok(total <= self.producer.free_bytes())
    }

    /// Waits until the kernel drains something (`EPOLLOUT`).
    fn wait_writable(&mut self, timeout: Option<Duration>) -> Result<(), MapError> {
        if self.epoll.is_none() {
            let epoll = Epoll::new().map_err(|e| epoll_err(&self.name, e))?;
            epoll
                .add(&self.fd, EpollFlags::OUT, 0)
                .map_err(|e| epoll_err(&self.name, e))?;
            self.epoll = Some(epoll);
        }
        if let Some(epoll) = &self.epoll {
            let mut events = [EpollEvent::zeroed()];
            epoll
                .wait(&mut events, timeout)
                .map_err(|e| epoll_err(&self.name, e))?;
        }
        Ok(())
    }

    /// Copies `data` into a new record and submits it; `Ok(false)` if the
    /// ring is full now.
    pub fn write(&mut self, data: &[u8]) -> Result<bool, MapError> {
        match self.reserve(data.len())? {
            Some(mut entry) => {
                entry.copy_from_slice(data);
                entry.submit();
                Ok(true)
            }
            None => Ok(false),
        }
    }
}

impl AsFd for UserRingBufWriter {
    /// The map fd: writable while the ring has free space.
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }
}

impl AsRawFd for UserRingBufWriter {
    fn as_raw_fd(&self) -> RawFd {
        self.fd.as_raw_fd()
    }
}

impl<T: std::borrow::Borrow<Map>> UserRingBuf<T> {
    /// A [`UserRingBufWriter`] for this user ring buffer.
    pub fn writer(&self) -> Result<UserRingBufWriter, MapError> {
        UserRingBufWriter::new(self.map())
    }
}

#[cfg(feature = "tokio")]
mod asynchronous;
#[cfg(feature = "tokio")]
pub(crate) use self::asynchronous::{reactor_err, register};
#[cfg(feature = "tokio")]
pub use self::asynchronous::{AsyncRingBufPoller, AsyncRingBufReader};
