//! Async ring buffer readers for tokio (feature `tokio`).

use std::io;
use std::os::fd::AsRawFd;
use std::time::Duration;

use oxbpf_sys::SyscallError;
use tokio::io::unix::AsyncFd;
use tokio::io::Interest;

use super::{RingBufPoller, RingBufReader};
use crate::error::MapError;

/// An `io::Error` of the reactor as a [`MapError`].
pub(crate) fn reactor_err(name: &str, e: io::Error) -> MapError {
    MapError::Syscall {
        name: name.to_string(),
        op: "epoll",
        source: SyscallError::from_errno("epoll_ctl", e.raw_os_error().unwrap_or(libc::EIO)),
    }
}

/// The readers of this crate: each owns the fd its `AsRawFd` returns
/// (a map fd dup or an epoll fd, an `OwnedFd` field never replaced), so
/// it stays open and the same for as long as the value lives.
pub(crate) trait OwnsItsFd: AsRawFd {}

impl OwnsItsFd for RingBufReader {}
impl OwnsItsFd for RingBufPoller {}
impl OwnsItsFd for crate::perf::PerfBuffer {}

/// Registers `inner` with the current tokio reactor for readability.
#[allow(unsafe_code)]
pub(crate) fn register<T: OwnsItsFd>(inner: T) -> io::Result<AsyncFd<T>> {
    // SAFETY: `OwnsItsFd`: the fd is owned by `inner`, which the `AsyncFd`
    // owns until it is dropped or `into_inner` returns it; every
    // `as_raw_fd` call returns that same open fd meanwhile.
    unsafe { AsyncFd::register_with_interest(inner, Interest::READABLE) }.map_err(|e| e.into())
}

/// A [`RingBufReader`] registered with the tokio reactor: `.await`s
/// records instead of blocking a thread.
///
/// ```no_run
/// use oxbpf_maps::{Map, RingBufReader};
/// use oxbpf_maps::ringbuf::AsyncRingBufReader;
/// # async fn f(map: &Map) -> Result<(), oxbpf_maps::MapError> {
/// let mut events = AsyncRingBufReader::new(RingBufReader::new(map)?)?;
/// loop {
///     let n = events.consume(|record| println!("{} bytes", record.len())).await?;
///     println!("{n} records");
/// }
/// # }
/// ```
#[derive(Debug)]
pub struct AsyncRingBufReader {
    inner: AsyncFd<RingBufReader>,
}

impl AsyncRingBufReader {
    /// Registers `reader`'s map fd with the current tokio reactor.
    ///
    /// # Panics
    ///
    /// Outside a tokio runtime with IO enabled, as
    /// [`AsyncFd::register_with_interest`].
    pub fn new(reader: RingBufReader) -> Result<Self, MapError> {
        let name = reader.name().to_string();
        let inner = register(reader).map_err(|e| reactor_err(&name, e))?;
        Ok(Self { inner })
    }

    /// Waits until records are available, then consumes them all (see
    /// [`RingBufReader::consume`]); returns how many (at least one).
    ///
    /// Cancel-safe: dropping the future before it completes loses no
    /// records (none are consumed until it completes).
    pub async fn consume<F: FnMut(&[u8])>(&mut self, mut f: F) -> Result<usize, MapError> {
        loop {
            let mut guard = self
                .inner
                .readable_mut()
                .await
                .map_err(|e| reactor_err("(ring buffer)", e))?;
            let n = guard.get_inner_mut().consume(&mut f)?;
            if n > 0 {
                return Ok(n);
            }
            // Empty (or the next record is still being written): wait for
            // the next wakeup. Readiness that arrived meanwhile is kept.
            guard.clear_ready();
        }
    }

    /// The reader.
    pub fn get_ref(&self) -> &RingBufReader {
        self.inner.get_ref()
    }

    /// The reader, e.g. for [`RingBufReader::next`].
    pub fn get_mut(&mut self) -> &mut RingBufReader {
        self.inner.get_mut()
    }

    /// Deregisters the reader and returns it.
    pub fn into_inner(self) -> RingBufReader {
        self.inner.into_inner()
    }
}

/// A [`RingBufPoller`] registered with the tokio reactor (its epoll fd is
/// readable while any ring has records).
#[derive(Debug)]
pub struct AsyncRingBufPoller {
    inner: AsyncFd<RingBufPoller>,
}

impl AsyncRingBufPoller {
    /// Registers `poller`'s epoll fd with the current tokio reactor.
    ///
    /// # Panics
    ///
    /// Outside a tokio runtime with IO enabled, as
    /// [`AsyncFd::register_with_interest`].
    pub fn new(poller: RingBufPoller) -> Result<Self, MapError> {
        let inner = register(poller).map_err(|e| reactor_err("(poller)", e))?;
        Ok(Self { inner })
    }

    /// Waits until some ring has records, then consumes every ring that
    /// has; returns how many records (at least one). Cancel-safe.
    pub async fn consume<F: FnMut(usize, &[u8])>(&mut self, mut f: F) -> Result<usize, MapError> {
        loop {
            let mut guard = self
                .inner
                .readable_mut()
                .await
                .map_err(|e| reactor_err("(poller)", e))?;
            // A zero-timeout poll also empties the epoll's ready list.
            let n = guard.get_inner_mut().poll(Some(Duration::ZERO), &mut f)?;
            if n > 0 {
                return Ok(n);
            }
            guard.clear_ready();
        }
    }

    /// The poller.
    pub fn get_ref(&self) -> &RingBufPoller {
        self.inner.get_ref()
    }

    /// The poller, e.g. to [`add`](RingBufPoller::add) readers.
    pub fn get_mut(&mut self) -> &mut RingBufPoller {
        self.inner.get_mut()
    }

    /// Deregisters the poller and returns it.
    pub fn into_inner(self) -> RingBufPoller {
        self.inner.into_inner()
    }
}
