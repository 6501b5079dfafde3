//! [`AttachError`]: why attaching (or operating on a link) failed.

use oxbpf_sys::SyscallError;

/// Why attaching a program, or an operation on a [`Link`](super::Link),
/// failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AttachError {
    /// A system call of the attachment failed with an errno that no more
    /// specific variant explains (`BPF_LINK_CREATE`, `perf_event_open`,
    /// `PERF_EVENT_IOC_SET_BPF`, a netlink request, `setsockopt`); the
    /// source names the call.
    #[error("{what}")]
    Syscall {
        /// What was being done, e.g. `attach program \`count\` to tracepoint sched/sched_switch`.
        what: String,
        /// The failed call.
        #[source]
        source: SyscallError,
    },
    /// An I/O operation (tracefs, sysfs, an ELF file) failed.
    #[error("{what}")]
    Io {
        /// What was being done.
        what: String,
        /// The error.
        #[source]
        source: std::io::Error,
    },
    /// The running kernel does not support this kind of attachment.
    #[error("{what} is not supported by this kernel{}", detail.as_deref().map(|d| format!(" ({d})")).unwrap_or_default())]
    NotSupported {
        /// What was attempted.
        what: String,
        /// Why (the missing feature, the errno seen).
        detail: Option<String>,
    },
    /// The kernel refused because it is in lockdown.
    #[error("{what}: permission denied by kernel lockdown ({mode})")]
    Lockdown {
        /// What was attempted.
        what: String,
        /// The lockdown mode from /sys/kernel/security/lockdown.
        mode: String,
    },
    /// The program's type does not fit this attach method.
    #[error("program `{program}` is of type {actual}, which cannot be attached as {expected}")]
    WrongProgramType {
        /// The program's name.
        program: String,
        /// Its type.
        actual: String,
        /// The attach method.
        expected: &'static str,
    },
    /// The attach target was not found (a tracepoint, symbol, interface...).
    #[error("{what}: not found")]
    TargetNotFound {
        /// The target.
        what: String,
    },
    /// The operation needs a bpf_link, but this is a legacy attachment.
    #[error("{what} needs a bpf_link; this link is a legacy attachment ({description})")]
    NotABpfLink {
        /// The operation.
        what: &'static str,
        /// The link's description.
        description: String,
    },
    /// Invalid argument given by the caller.
    #[error("{0}")]
    InvalidArgument(String),
    /// The hook is taken: an XDP program in that mode, a tc filter with
    /// that handle and priority, a non-multi cgroup attachment, ...
    #[error("{what}: already attached ({detail})")]
    AlreadyAttached {
        /// What was attempted.
        what: String,
        /// What is there (the attached program and mode, when known).
        detail: String,
    },
    /// A netlink request (legacy tc, netlink XDP) failed; the source carries
    /// the errno and the kernel's extended ack message.
    #[error("{what}")]
    Netlink {
        /// What was being done.
        what: String,
        /// The failed request.
        #[source]
        source: oxbpf_sys::netlink::NetlinkError,
    },
    /// tracefs (for tracepoint IDs, legacy probe events) is not mounted
    /// anywhere in this mount namespace.
    #[error("{what}: tracefs is not mounted; mount it with `mount -t tracefs tracefs /sys/kernel/tracing`")]
    TracefsNotMounted {
        /// What was attempted.
        what: String,
    },
    /// A symbol could not be resolved in an ELF file (uprobes).
    #[error("{}: {reason}", path.display())]
    Elf {
        /// The binary or library.
        path: std::path::PathBuf,
        /// What is wrong: no such symbol, several candidates, not an ELF
        /// file, ...
        reason: String,
    },
}

impl AttachError {
    /// Maps a failed system call to the clearest error: `EPERM` while the
    /// kernel is in lockdown, for a process whose capabilities rule out any
    /// other reason, becomes [`AttachError::Lockdown`],
    /// `EOPNOTSUPP`/`ENOTSUPP` become [`AttachError::NotSupported`],
    /// anything else stays [`AttachError::Syscall`].
    pub(crate) fn kernel(what: impl Into<String>, source: SyscallError) -> Self {
        let what = what.into();
        match source.errno() {
            libc::EPERM
                if crate::features::lockdown().is_active() && crate::features::privileged() =>
            {
                AttachError::Lockdown {
                    what,
                    mode: crate::features::lockdown().to_string(),
                }
            }
            libc::EOPNOTSUPP | ENOTSUPP => AttachError::NotSupported {
                what,
                detail: Some(format!("{} returned {}", source.call, source.source)),
            },
            _ => AttachError::Syscall { what, source },
        }
    }

    /// The `errno` of the failed system call, if this error is one.
    pub fn errno(&self) -> Option<i32> {
        match self {
            AttachError::Syscall { source, .. } => Some(source.errno()),
            AttachError::Io { source, .. } => source.raw_os_error(),
            AttachError::Netlink { source, .. } => source.errno(),
            _ => None,
        }
    }
}

/// `ENOTSUPP`—The kernel-internal "operation not supported" (524) that
/// leaks to user space from some BPF paths.
pub(crate) const ENOTSUPP: i32 = 524;
