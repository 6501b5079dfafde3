//! `epoll(7)`: waiting on ring buffers, perf buffers and other fds.

use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};
use std::time::Duration;

use bitflags::bitflags;

use crate::bpf::owned_fd;
use crate::error::{Result, SyscallError};

bitflags! {
    /// `EPOLL*`—Readiness bits of an [`EpollEvent`] and of the interest
    /// passed to [`Epoll::add`].
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
    pub struct EpollFlags: u32 {
        /// `EPOLLIN`—Readable (a ring buffer or perf buffer has data).
        const IN = libc::EPOLLIN as u32;
        /// `EPOLLPRI`
        const PRI = libc::EPOLLPRI as u32;
        /// `EPOLLOUT`—Writable (a user ring buffer has free space).
        const OUT = libc::EPOLLOUT as u32;
        /// `EPOLLERR`
        const ERR = libc::EPOLLERR as u32;
        /// `EPOLLHUP`—Hang-up (a perf event whose task exited).
        const HUP = libc::EPOLLHUP as u32;
        /// `EPOLLRDNORM`
        const RDNORM = libc::EPOLLRDNORM as u32;
        /// `EPOLLWRNORM`
        const WRNORM = libc::EPOLLWRNORM as u32;
        /// `EPOLLRDHUP`
        const RDHUP = libc::EPOLLRDHUP as u32;
        /// `EPOLLET`—Edge-triggered (interest only).
        const ET = libc::EPOLLET as u32;
        /// `EPOLLONESHOT` (interest only).
        const ONESHOT = libc::EPOLLONESHOT as u32;
        const _ = !0;
    }
}

/// `struct epoll_event`—One readiness report: the [`EpollFlags`] and the
/// token given to [`Epoll::add`].
#[repr(transparent)]
#[derive(Clone, Copy)]
pub struct EpollEvent(libc::epoll_event);

impl EpollEvent {
    /// An empty event, to size the buffer passed to [`Epoll::wait`].
    pub const fn zeroed() -> Self {
        Self(libc::epoll_event { events: 0, u64: 0 })
    }

    /// The token the fd was registered with.
    pub fn token(&self) -> u64 {
        // Read by value: the struct is packed on x86-64.
        self.0.u64
    }

    /// What the fd is ready for.
    pub fn flags(&self) -> EpollFlags {
        EpollFlags::from_bits_retain(self.0.events)
    }
}

impl Default for EpollEvent {
    fn default() -> Self {
        Self::zeroed()
    }
}

impl std::fmt::Debug for EpollEvent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EpollEvent")
            .field("flags", &self.flags())
            .field("token", &self.token())
            .finish()
    }
}

/// An epoll instance (`epoll_create1(EPOLL_CLOEXEC)`), closed on drop.
///
/// The epoll fd itself is pollable ([`AsFd`]): it is readable while any
/// registered fd is ready, which is how an event loop (tokio's `AsyncFd`,
/// mio) waits on many ring buffers at once.
#[derive(Debug)]
pub struct Epoll {
    fd: OwnedFd,
}

/// `timeout` as the milliseconds `epoll_wait` takes: `None` is -1
/// (forever), sub-millisecond waits round up so they do wait.
fn timeout_ms(timeout: Option<Duration>) -> libc::c_int {
    match timeout {
        None => -1,
        Some(d) => {
            let ms = d.as_nanos().div_ceil(1_000_000);
            libc::c_int::try_from(ms).unwrap_or(libc::c_int::MAX)
        }
    }
}

impl Epoll {
    /// `epoll_create1(EPOLL_CLOEXEC)`
    pub fn new() -> Result<Self> {
        // SAFETY: `epoll_create1` takes no pointers.
        let ret = unsafe { libc::epoll_create1(libc::EPOLL_CLOEXEC) };
        if ret < 0 {
            return Err(SyscallError::last_os_error("epoll_create1"));
        }
        // SAFETY: `ret` is a new fd returned by `epoll_create1`, owned by
        // nobody else.
        let fd = unsafe { owned_fd(libc::c_long::from(ret)) };
        Ok(Self { fd })
    }

    fn ctl(
        &self,
        op: libc::c_int,
        fd: BorrowedFd<'_>,
        flags: EpollFlags,
        token: u64,
        call: &'static str,
    ) -> Result<()> {
        let mut event = libc::epoll_event {
            events: flags.bits(),
            u64: token,
        };
        // SAFETY: both fds are borrowed (open) for the call; `event` is a
        // valid `epoll_event` the kernel only reads.
        let ret = unsafe { libc::epoll_ctl(self.fd.as_raw_fd(), op, fd.as_raw_fd(), &mut event) };
        if ret < 0 {
            Err(SyscallError::last_os_error(call))
        } else {
            Ok(())
        }
    }

    /// `EPOLL_CTL_ADD`—Watches `fd` for `flags` ([`EpollFlags::IN`] for
    /// ring and perf buffers); events for it carry `token`.
    ///
    /// The registration lasts until [`delete`](Self::delete) or until the
    /// last fd referring to the file is closed.
    pub fn add(&self, fd: impl AsFd, flags: EpollFlags, token: u64) -> Result<()> {
        self.ctl(
            libc::EPOLL_CTL_ADD,
            fd.as_fd(),
            flags,
            token,
            "EPOLL_CTL_ADD",
        )
    }

    /// `EPOLL_CTL_MOD`—Changes the interest and token of a watched fd.
    pub fn modify(&self, fd: impl AsFd, flags: EpollFlags, token: u64) -> Result<()> {
        self.ctl(
            libc::EPOLL_CTL_MOD,
            fd.as_fd(),
            flags,
            token,
            "EPOLL_CTL_MOD",
        )
    }

    /// `EPOLL_CTL_DEL`—Stops watching `fd`.
    pub fn delete(&self, fd: impl AsFd) -> Result<()> {
        self.ctl(
            libc::EPOLL_CTL_DEL,
            fd.as_fd(),
            EpollFlags::empty(),
            0,
            "EPOLL_CTL_DEL",
        )
    }

    /// `epoll_wait`—Waits up to `timeout` (`None`: forever, zero: just
    /// check) for watched fds to become ready, fills the front of
    /// `events` and returns how many it filled.
    ///
    /// An interrupted wait (`EINTR`, a signal arrived) returns `Ok(0)`,
    /// as a timeout does: callers loop or return to their own loop.
    pub fn wait(&self, events: &mut [EpollEvent], timeout: Option<Duration>) -> Result<usize> {
        if events.is_empty() {
            return Err(SyscallError::from_errno("epoll_wait", libc::EINVAL));
        }
        let max = libc::c_int::try_from(events.len()).unwrap_or(libc::c_int::MAX);
        // SAFETY: `EpollEvent` is `repr(transparent)` over `epoll_event`,
        // so `events` is `max` (at most `events.len()`) writable
        // `epoll_event`s, exclusively borrowed for the call.
        let ret = unsafe {
            libc::epoll_wait(
                self.fd.as_raw_fd(),
                events.as_mut_ptr().cast::<libc::epoll_event>(),
                max,
                timeout_ms(timeout),
            )
        };
        if ret < 0 {
            let err = SyscallError::last_os_error("epoll_wait");
            if err.errno() == libc::EINTR {
                return Ok(0);
            }
            return Err(err);
        }
        // `ret` is in `0..=max`.
        Ok(ret as usize)
    }
}

impl AsFd for Epoll {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }
}

impl AsRawFd for Epoll {
    fn as_raw_fd(&self) -> std::os::fd::RawFd {
        self.fd.as_raw_fd()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;
    use std::os::unix::net::UnixStream;

    #[test]
    fn timeouts() {
        assert_eq!(timeout_ms(None), -1);
        assert_eq!(timeout_ms(Some(Duration::ZERO)), 0);
        assert_eq!(timeout_ms(Some(Duration::from_micros(1))), 1);
        assert_eq!(timeout_ms(Some(Duration::from_millis(1500))), 1500);
        assert_eq!(timeout_ms(Some(Duration::MAX)), libc::c_int::MAX);
    }

    #[test]
    fn readiness_and_tokens() {
        let ep = Epoll::new().unwrap();
        let (a, mut b) = UnixStream::pair().unwrap();
        ep.add(&a, EpollFlags::IN, 42).unwrap();
        let mut events = [EpollEvent::zeroed(); 4];
        assert_eq!(ep.wait(&mut events, Some(Duration::ZERO)).unwrap(), 0);
        b.write_all(b"x").unwrap();
        assert_eq!(
            ep.wait(&mut events, Some(Duration::from_secs(5))).unwrap(),
            1
        );
        assert_eq!(events[0].token(), 42);
        assert!(events[0].flags().contains(EpollFlags::IN));
        ep.modify(&a, EpollFlags::IN, 7).unwrap();
        assert_eq!(ep.wait(&mut events, None).unwrap(), 1);
        assert_eq!(events[0].token(), 7);
        ep.delete(&a).unwrap();
        assert_eq!(ep.wait(&mut events, Some(Duration::ZERO)).unwrap(), 0);
        let e = ep
            .add(&a, EpollFlags::IN, 1)
            .and_then(|()| ep.add(&a, EpollFlags::IN, 1));
        assert_eq!(e.unwrap_err().errno(), libc::EEXIST);
        assert!(ep.wait(&mut [], None).is_err());
    }
}
