//! Async perf buffer for tokio (feature `tokio`).

use tokio::io::unix::AsyncFd;

use super::{PerfBuffer, PerfEvent};
use crate::error::MapError;
use crate::ringbuf::{reactor_err, register};

/// A [`PerfBuffer`] registered with the tokio reactor (its epoll fd is
/// readable while some CPU's ring reached its wakeup threshold).
///
/// ```no_run
/// use oxbpf_maps::{Map, PerfBuffer, PerfBufferOptions, PerfEvent};
/// use oxbpf_maps::perf::AsyncPerfBuffer;
/// # async fn f(map: &Map) -> Result<(), oxbpf_maps::MapError> {
/// let mut perf = AsyncPerfBuffer::new(PerfBuffer::new(map, &PerfBufferOptions::default())?)?;
/// loop {
///     perf.consume(|cpu, event| {
///         if let PerfEvent::Lost(n) = event {
///             eprintln!("cpu {cpu}: lost {n}");
///         }
///     })
///     .await?;
/// }
/// # }
/// ```
#[derive(Debug)]
pub struct AsyncPerfBuffer {
    inner: AsyncFd<PerfBuffer>,
}

impl AsyncPerfBuffer {
    /// Registers `buffer`'s epoll fd with the current tokio reactor.
    ///
    /// # Panics
    ///
    /// Outside a tokio runtime with IO enabled, as
    /// [`AsyncFd::register_with_interest`].
    pub fn new(buffer: PerfBuffer) -> Result<Self, MapError> {
        let name = buffer.name().to_string();
        let inner = register(buffer).map_err(|e| reactor_err(&name, e))?;
        Ok(Self { inner })
    }

    /// Waits until some CPU's ring reaches its wakeup threshold, then
    /// reads every ring (see [`PerfBuffer::consume_ready`]); returns how
    /// many records (at least one). Cancel-safe.
    pub async fn consume<F: FnMut(u32, PerfEvent<'_>)>(
        &mut self,
        mut f: F,
    ) -> Result<usize, MapError> {
        loop {
            let mut guard = self
                .inner
                .readable_mut()
                .await
                .map_err(|e| reactor_err("(perf buffer)", e))?;
            let n = guard.get_inner_mut().consume_ready(&mut f)?;
            if n > 0 {
                return Ok(n);
            }
            guard.clear_ready();
        }
    }

    /// The buffer.
    pub fn get_ref(&self) -> &PerfBuffer {
        self.inner.get_ref()
    }

    /// The buffer, e.g. to [`pause`](PerfBuffer::pause) it or
    /// [`consume`](PerfBuffer::consume) below the wakeup threshold.
    pub fn get_mut(&mut self) -> &mut PerfBuffer {
        self.inner.get_mut()
    }

    /// Deregisters the buffer and returns it.
    pub fn into_inner(self) -> PerfBuffer {
        self.inner.into_inner()
    }
}
