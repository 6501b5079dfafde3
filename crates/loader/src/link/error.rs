//! [`AttachError`]: why attaching (or operating on a link) failed.

use oxbpf_sys::SyscallError;

/// Why attaching a program, or an operation on a [`Link`](super::Link),
/// failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AttachError {
    /// A system call failed.
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
}
