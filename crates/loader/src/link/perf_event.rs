//! Programs on perf events: the shared attach step of tracepoints,
//! kprobes and uprobes (a perf event fd plus a perf link, or
//! `PERF_EVENT_IOC_SET_BPF`), and `perf_event` programs on hardware and
//! software events.

use std::os::fd::{AsFd, BorrowedFd, OwnedFd};

use oxbpf_sys::{
    self as sys, AttachTarget, AttachType, LinkCreateArgs, LinkExtra, PerfEventAttr,
    PerfEventFlags, PerfEventOpenFlags, PerfSwId, PerfType, ProgramType, SyscallError,
};

use super::tracefs::LegacyEvent;
use super::{AttachError, LegacyAttachment, Link};
use crate::features::{supports, Feature};
use crate::Program;

/// How a program is put on a perf event (libbpf's `probe_attach_mode`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum ProbeAttachMode {
    /// The best the kernel offers: a perf event from the kprobe/uprobe PMU
    /// (tracefs `*_events` without one), attached by a perf link where the
    /// kernel has them ([`Feature::PerfLink`], 5.15), by
    /// `PERF_EVENT_IOC_SET_BPF` otherwise.
    #[default]
    Default,
    /// A perf link; [`AttachError::NotSupported`] if the kernel has none.
    Link,
    /// `PERF_EVENT_IOC_SET_BPF` on a PMU perf event: a
    /// [`LinkKind::Legacy`](super::LinkKind::Legacy) attachment, no
    /// cookie.
    Perf,
    /// A probe event created through tracefs (`kprobe_events`,
    /// `uprobe_events`) and `PERF_EVENT_IOC_SET_BPF`: what kernels before
    /// 4.17 offer. The event is removed on detach. For tracepoints, the
    /// same as [`Perf`](Self::Perf).
    Legacy,
}

/// A perf event with a program on it by `PERF_EVENT_IOC_SET_BPF`: the
/// program runs while the event fd is open.
#[derive(Debug)]
pub(crate) struct PerfAttachment {
    fd: Option<OwnedFd>,
    /// A tracefs probe event behind `fd`, removed after `fd` is closed.
    event: Option<LegacyEvent>,
}

impl LegacyAttachment for PerfAttachment {
    fn detach(&mut self) -> Result<(), AttachError> {
        let result = match self.fd.take() {
            Some(fd) => {
                let r = sys::perf_event_ioc_disable(&fd)
                    .map_err(|source| AttachError::kernel("disabling the perf event", source));
                drop(fd);
                r
            }
            None => Ok(()),
        };
        // The kernel refuses to delete a probe event that is still open.
        drop(self.event.take());
        result
    }

    fn fd(&self) -> Option<BorrowedFd<'_>> {
        self.fd.as_ref().map(|f| f.as_fd())
    }
}

impl Drop for PerfAttachment {
    fn drop(&mut self) {
        // `Link` calls `detach` on drop; this covers a `PerfAttachment`
        // dropped before it was wrapped (on an error path): the fd first,
        // then the event.
        drop(self.fd.take());
        drop(self.event.take());
    }
}

/// Puts `prog` on the perf event `pfd` (libbpf's
/// `bpf_program__attach_perf_event_opts`).
///
/// With a perf link, the link keeps the event alive; with the ioctl (or a
/// tracefs `event`, always attached by ioctl so that it can be removed
/// after the event is closed), the returned legacy attachment owns `pfd`.
pub(crate) fn attach_perf_fd(
    prog: &Program,
    pfd: OwnedFd,
    cookie: u64,
    mode: ProbeAttachMode,
    event: Option<LegacyEvent>,
    description: String,
) -> Result<Link, AttachError> {
    let use_link = match mode {
        ProbeAttachMode::Link => {
            if !supports(Feature::PerfLink) {
                return Err(AttachError::NotSupported {
                    what: format!("{description}: a perf link"),
                    detail: Some("BPF_LINK_CREATE for perf events needs Linux 5.15".into()),
                });
            }
            true
        }
        ProbeAttachMode::Default => event.is_none() && supports(Feature::PerfLink),
        ProbeAttachMode::Perf | ProbeAttachMode::Legacy => false,
    };
    if use_link {
        let link = sys::link_create(&LinkCreateArgs {
            prog: prog.fd(),
            target: Some(AttachTarget::Fd(pfd.as_fd())),
            attach_type: AttachType::PERF_EVENT,
            flags: 0,
            extra: LinkExtra::PerfEvent { bpf_cookie: cookie },
        })
        .map_err(|source| attach_error(&description, source))?;
        // A tracepoint/probe event is enabled when opened; sampling events
        // opened disabled start here.
        sys::perf_event_ioc_enable(&pfd)
            .map_err(|source| AttachError::kernel(description.clone(), source))?;
        return Ok(Link::from_bpf_link_keeping(link, vec![pfd], description));
    }
    if cookie != 0 {
        return Err(AttachError::NotSupported {
            what: format!("{description}: a BPF cookie"),
            detail: Some("cookies need a perf link (Linux 5.15); not with the ioctl".into()),
        });
    }
    let attachment = PerfAttachment {
        fd: Some(pfd),
        event,
    };
    if let Some(fd) = &attachment.fd {
        sys::perf_event_ioc_set_bpf(fd, prog.fd())
            .map_err(|source| attach_error(&description, source))?;
        sys::perf_event_ioc_enable(fd)
            .map_err(|source| AttachError::kernel(description.clone(), source))?;
    }
    Ok(Link::from_legacy(attachment, description))
}

/// Maps a failure to put a program on a perf event.
fn attach_error(description: &str, source: SyscallError) -> AttachError {
    if source.errno() == libc::EEXIST {
        return AttachError::AlreadyAttached {
            what: description.to_string(),
            detail: "the kernel runs a program at most once per tracepoint or probe event".into(),
        };
    }
    AttachError::kernel(description.to_string(), source)
}

/// Maps a `perf_event_open` failure.
pub(crate) fn open_error(what: String, source: SyscallError) -> AttachError {
    match source.errno() {
        libc::ENOENT | libc::ENODEV | libc::EOPNOTSUPP => AttachError::NotSupported {
            what,
            detail: Some(format!("perf_event_open: {}", source.source)),
        },
        _ => AttachError::kernel(what, source),
    }
}

/// Checks a program's type for an attach method.
pub(crate) fn check_type(
    prog: &Program,
    allowed: &[ProgramType],
    expected: &'static str,
) -> Result<(), AttachError> {
    if allowed.contains(&prog.prog_type()) {
        return Ok(());
    }
    Err(AttachError::WrongProgramType {
        program: prog.name().to_string(),
        actual: format!("{:?}", prog.prog_type()),
        expected,
    })
}

/// How often a sampling event fires.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PerfSample {
    /// `sample_period`—Every N events (for clocks: every N nanoseconds).
    Period(u64),
    /// `sample_freq`—N times per second (`freq = 1`).
    Frequency(u64),
}

/// Which processes and CPUs a perf event counts (the `pid` and `cpu`
/// arguments of `perf_event_open`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PerfEventScope {
    /// The calling thread, on any CPU (`pid = 0, cpu = -1`).
    CallingThread,
    /// One thread or process, on any CPU (`pid = N, cpu = -1`).
    Process(u32),
    /// Every process, on one CPU (`pid = -1, cpu = N`).
    Cpu(u32),
    /// One thread or process, on one CPU.
    ProcessOnCpu {
        /// The thread or process.
        pid: u32,
        /// The CPU.
        cpu: u32,
    },
}

impl PerfEventScope {
    fn pid_cpu(self) -> Result<(i32, i32), AttachError> {
        let int = |v: u32| {
            i32::try_from(v)
                .map_err(|_| AttachError::InvalidArgument(format!("{v} is out of range")))
        };
        Ok(match self {
            PerfEventScope::CallingThread => (0, -1),
            PerfEventScope::Process(pid) => (int(pid)?, -1),
            PerfEventScope::Cpu(cpu) => (-1, int(cpu)?),
            PerfEventScope::ProcessOnCpu { pid, cpu } => (int(pid)?, int(cpu)?),
        })
    }
}

/// A hardware or software perf event for a `perf_event` program.
///
/// ```
/// use oxbpf_loader::link::{PerfEventConfig, PerfSample};
/// use oxbpf_sys::PerfSwId;
/// // The CPU clock, sampled 1000 times a second.
/// let config = PerfEventConfig::software(PerfSwId::CPU_CLOCK, PerfSample::Frequency(1000));
/// assert_eq!(config.config, 0);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct PerfEventConfig {
    /// `type`—[`PerfType::HARDWARE`], [`PerfType::SOFTWARE`],
    /// [`PerfType::HW_CACHE`], [`PerfType::RAW`] or a dynamic PMU's number.
    pub event_type: PerfType,
    /// `config`—The event within the type (`PERF_COUNT_HW_CPU_CYCLES` = 0,
    /// `PERF_COUNT_HW_INSTRUCTIONS` = 1, ...; [`PerfSwId`] values).
    pub config: u64,
    /// How often the program runs.
    pub sample: PerfSample,
    /// `inherit`—Also count in child threads created later.
    pub inherit: bool,
    /// The BPF cookie (`bpf_get_attach_cookie()`); needs a perf link.
    pub cookie: u64,
}

impl PerfEventConfig {
    /// A software event ([`PerfSwId::CPU_CLOCK`], ...).
    pub fn software(id: PerfSwId, sample: PerfSample) -> Self {
        PerfEventConfig {
            event_type: PerfType::SOFTWARE,
            config: id.as_raw(),
            sample,
            inherit: false,
            cookie: 0,
        }
    }

    /// A generalised hardware event (`PERF_COUNT_HW_*`: 0 CPU cycles, 1
    /// instructions, 2 cache references, 3 cache misses, ...).
    pub fn hardware(config: u64, sample: PerfSample) -> Self {
        PerfEventConfig {
            event_type: PerfType::HARDWARE,
            config,
            sample,
            inherit: false,
            cookie: 0,
        }
    }

    /// Sets the BPF cookie.
    pub fn with_cookie(mut self, cookie: u64) -> Self {
        self.cookie = cookie;
        self
    }

    /// Sets `inherit`.
    pub fn with_inherit(mut self, inherit: bool) -> Self {
        self.inherit = inherit;
        self
    }

    fn attr(&self) -> PerfEventAttr {
        let mut attr = PerfEventAttr {
            event_type: self.event_type.as_raw(),
            config: self.config,
            ..Default::default()
        };
        let mut flags = PerfEventFlags::DISABLED;
        match self.sample {
            PerfSample::Period(n) => attr.sample_period = n,
            PerfSample::Frequency(n) => {
                attr.sample_period = n;
                flags |= PerfEventFlags::FREQ;
            }
        }
        if self.inherit {
            flags |= PerfEventFlags::INHERIT;
        }
        attr.set_event_flags(flags);
        attr
    }
}

impl Program {
    /// Attaches a `perf_event` program to a new hardware or software perf
    /// event counting in `scope`: the program runs on every sample
    /// (libbpf's `bpf_program__attach_perf_event` after opening the event).
    ///
    /// A hardware event the machine does not have (a VM without a PMU) is
    /// [`AttachError::NotSupported`].
    ///
    /// # Minimum kernel version
    ///
    /// 4.9; a perf link (bpf_link, cookie) needs 5.15.
    pub fn attach_perf_event(
        &self,
        config: &PerfEventConfig,
        scope: PerfEventScope,
    ) -> Result<Link, AttachError> {
        check_type(self, &[ProgramType::PERF_EVENT], "a perf event program")?;
        let (pid, cpu) = scope.pid_cpu()?;
        let description = format!(
            "perf event {:?} config {} ({scope:?}) of program `{}`",
            config.event_type,
            config.config,
            self.name()
        );
        let pfd = sys::perf_event_open(&config.attr(), pid, cpu, None, PerfEventOpenFlags::empty())
            .map_err(|source| open_error(description.clone(), source))?;
        attach_perf_fd(
            self,
            pfd,
            config.cookie,
            ProbeAttachMode::Default,
            None,
            description,
        )
    }

    /// [`attach_perf_event`](Self::attach_perf_event) on every online CPU
    /// (`pid = -1`), one link per CPU, as system-wide profilers do.
    pub fn attach_perf_event_per_cpu(
        &self,
        config: &PerfEventConfig,
    ) -> Result<Vec<Link>, AttachError> {
        let cpus = sys::online_cpus().map_err(|e| AttachError::Io {
            what: "reading the online CPUs".into(),
            source: std::io::Error::other(e),
        })?;
        cpus.into_iter()
            .map(|cpu| self.attach_perf_event(config, PerfEventScope::Cpu(cpu)))
            .collect()
    }

    /// Attaches the program to a perf event the caller opened (a
    /// tracepoint, kprobe, uprobe or sampling event; `perf_event_open`
    /// with `disabled` is fine: the event is enabled here). The link owns
    /// `event` from now on.
    pub fn attach_perf_event_fd(
        &self,
        event: OwnedFd,
        cookie: u64,
        mode: ProbeAttachMode,
    ) -> Result<Link, AttachError> {
        let description = format!("perf event fd of program `{}`", self.name());
        attach_perf_fd(self, event, cookie, mode, None, description)
    }
}
