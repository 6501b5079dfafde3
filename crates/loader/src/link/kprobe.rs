//! Kprobes: `kprobe`/`kretprobe` (kprobe PMU perf event, or tracefs
//! `kprobe_events`), `kprobe.multi` (one link on many functions) and
//! `ksyscall` (a kprobe on a syscall's entry point).
//!
//! A kernel built without `CONFIG_KPROBES` has neither the kprobe PMU nor
//! `kprobe_events`; attaching then fails with
//! [`AttachError::NotSupported`] saying so. (Such a kernel still loads
//! `kprobe` programs: they are the program type of uprobes too.)

use std::ffi::CString;
use std::path::Path;

use oxbpf_sys::{
    self as sys, AttachType, KprobeMultiFlags, LinkCreateArgs, LinkExtra, PerfEventAttr,
    PerfEventOpenFlags, PerfType, ProgramType,
};

use super::perf_event::{attach_perf_fd, check_type, open_error, ProbeAttachMode};
use super::tracefs::{tracefs_root, LegacyEvent};
use super::uprobe::glob_match;
use super::{AttachError, Link};
use crate::features::{supports, Feature};
use crate::Program;

/// Where the kprobe PMU describes itself.
const KPROBE_PMU: &str = "/sys/bus/event_source/devices/kprobe";

/// Options of [`Program::attach_kprobe`] and [`Program::attach_ksyscall`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct KprobeOptions {
    /// Offset into the function.
    pub offset: u64,
    /// A kretprobe: run when the function returns.
    pub retprobe: bool,
    /// The BPF cookie (`bpf_get_attach_cookie()`); needs a perf link.
    pub cookie: u64,
    /// PMU with perf link (default), PMU with ioctl, or tracefs.
    pub mode: ProbeAttachMode,
}

impl KprobeOptions {
    /// A kretprobe.
    pub fn retprobe(mut self, retprobe: bool) -> Self {
        self.retprobe = retprobe;
        self
    }

    /// At `offset` bytes into the function.
    pub fn offset(mut self, offset: u64) -> Self {
        self.offset = offset;
        self
    }

    /// With a BPF cookie.
    pub fn cookie(mut self, cookie: u64) -> Self {
        self.cookie = cookie;
        self
    }

    /// How to attach.
    pub fn mode(mut self, mode: ProbeAttachMode) -> Self {
        self.mode = mode;
        self
    }
}

/// Options of [`Program::attach_kprobe_multi`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct KprobeMultiOptions {
    /// Return probes (`BPF_F_KPROBE_MULTI_RETURN`).
    pub retprobe: bool,
    /// One cookie per function (in the order of the resolved list), or
    /// none.
    pub cookies: Vec<u64>,
}

impl KprobeMultiOptions {
    /// Return probes.
    pub fn retprobe(mut self, retprobe: bool) -> Self {
        self.retprobe = retprobe;
        self
    }
}

/// The kprobe PMU's type and retprobe bit.
fn kprobe_pmu() -> Option<(u32, u32)> {
    let dir = Path::new(KPROBE_PMU);
    let ty = std::fs::read_to_string(dir.join("type"))
        .ok()?
        .trim()
        .parse()
        .ok()?;
    let bit = std::fs::read_to_string(dir.join("format/retprobe"))
        .ok()?
        .trim()
        .strip_prefix("config:")?
        .parse()
        .ok()?;
    Some((ty, bit))
}

/// Why no kprobe can be created, if none can: neither the PMU nor
/// tracefs' `kprobe_events` is there.
fn kprobes_missing() -> Option<String> {
    if Path::new(KPROBE_PMU).exists() {
        return None;
    }
    match tracefs_root() {
        Some(root) if root.join("kprobe_events").exists() => None,
        Some(root) => Some(format!(
            "no kprobe PMU ({KPROBE_PMU}) and no {}: the kernel is built without CONFIG_KPROBES",
            root.join("kprobe_events").display()
        )),
        None => Some(format!(
            "no kprobe PMU ({KPROBE_PMU}), so the kernel is built without CONFIG_KPROBES or \
             is older than 4.17; tracefs, whose kprobe_events older kernels use, is not mounted"
        )),
    }
}

/// libbpf's `arch_specific_syscall_pfx`.
fn syscall_prefix() -> Option<&'static str> {
    Some(match std::env::consts::ARCH {
        "x86_64" => "x64",
        "x86" => "ia32",
        "s390x" => "s390x",
        "arm" => "arm",
        "aarch64" => "arm64",
        "mips" | "mips64" => "mips",
        "riscv64" => "riscv",
        "powerpc" => "powerpc",
        "powerpc64" => "powerpc64",
        _ => return None,
    })
}

impl Program {
    /// Attaches a `kprobe` (or, with [`KprobeOptions::retprobe`], a
    /// kretprobe) program to the kernel function `function` (libbpf's
    /// `bpf_program__attach_kprobe_opts`): a perf event of the kprobe PMU,
    /// or a tracefs `kprobe_events` entry (removed on detach) where there
    /// is no PMU.
    ///
    /// On a kernel without `CONFIG_KPROBES` this is
    /// [`AttachError::NotSupported`].
    ///
    /// # Minimum kernel version
    ///
    /// 4.17 (kprobe PMU); 4.1 through tracefs.
    pub fn attach_kprobe(&self, function: &str, opts: &KprobeOptions) -> Result<Link, AttachError> {
        check_type(self, &[ProgramType::KPROBE], "a kprobe")?;
        let kind = if opts.retprobe { "kretprobe" } else { "kprobe" };
        let at = if opts.offset == 0 {
            function.to_string()
        } else {
            format!("{function}+{:#x}", opts.offset)
        };
        let description = format!("{kind} {at} (program `{}`)", self.name());
        if let Some(why) = kprobes_missing() {
            return Err(AttachError::NotSupported {
                what: description,
                detail: Some(why),
            });
        }
        let c_func = CString::new(function).map_err(|_| {
            AttachError::InvalidArgument(format!("{description}: the name contains NUL"))
        })?;
        let pmu = match opts.mode {
            ProbeAttachMode::Legacy => None,
            _ => kprobe_pmu(),
        };
        let Some((pmu_type, retprobe_bit)) = pmu else {
            if !matches!(
                opts.mode,
                ProbeAttachMode::Legacy | ProbeAttachMode::Default
            ) {
                return Err(AttachError::NotSupported {
                    what: description,
                    detail: Some(format!("no kprobe PMU ({KPROBE_PMU})")),
                });
            }
            let spec = format!("{function}+{:#x}", opts.offset);
            let (event, id) = LegacyEvent::create(
                "kprobe_events",
                opts.retprobe,
                function,
                &spec,
                &description,
            )?;
            let attr = PerfEventAttr {
                event_type: PerfType::TRACEPOINT.as_raw(),
                config: id,
                ..Default::default()
            };
            let pfd = sys::perf_event_open(&attr, -1, 0, None, PerfEventOpenFlags::empty())
                .map_err(|source| open_error(description.clone(), source))?;
            return attach_perf_fd(
                self,
                pfd,
                opts.cookie,
                ProbeAttachMode::Legacy,
                Some(event),
                description,
            );
        };
        let mut attr = PerfEventAttr {
            event_type: pmu_type,
            // The kernel reads the name through this address during the
            // call; `c_func` outlives it.
            config1: c_func.as_ptr() as u64,
            config2: opts.offset,
            ..Default::default()
        };
        if opts.retprobe {
            attr.config |= 1 << retprobe_bit;
        }
        let pfd = sys::perf_event_open(&attr, -1, 0, None, PerfEventOpenFlags::empty()).map_err(
            |source| match source.errno() {
                libc::ENOENT | libc::EINVAL => AttachError::TargetNotFound {
                    what: format!("kernel function {function} (to probe)"),
                },
                _ => open_error(description.clone(), source),
            },
        )?;
        drop(c_func);
        attach_perf_fd(self, pfd, opts.cookie, opts.mode, None, description)
    }

    /// Attaches a `ksyscall` program: a kprobe on the kernel entry point of
    /// system call `syscall` (`openat`), `__x64_sys_openat` on kernels with
    /// syscall wrappers (libbpf's `bpf_program__attach_ksyscall`).
    pub fn attach_ksyscall(
        &self,
        syscall: &str,
        opts: &KprobeOptions,
    ) -> Result<Link, AttachError> {
        let function = match syscall_prefix() {
            Some(pfx) if supports(Feature::SyscallWrapper) => format!("__{pfx}_sys_{syscall}"),
            _ => format!("sys_{syscall}"),
        };
        self.attach_kprobe(&function, opts)
    }

    /// Attaches a `kprobe.multi` program (loaded with
    /// `BPF_TRACE_KPROBE_MULTI`) to every kernel function matching
    /// `pattern` (`*`/`?` globs; from tracefs'
    /// `available_filter_functions`, else `/proc/kallsyms`), with one
    /// kprobe_multi link (libbpf's `bpf_program__attach_kprobe_multi_opts`).
    ///
    /// # Minimum kernel version
    ///
    /// 5.18 with `CONFIG_FPROBE`
    /// ([`Feature::KprobeMultiLink`]).
    pub fn attach_kprobe_multi(
        &self,
        pattern: &str,
        opts: &KprobeMultiOptions,
    ) -> Result<Link, AttachError> {
        check_type(self, &[ProgramType::KPROBE], "a kprobe.multi program")?;
        let description = format!(
            "{} {pattern} (program `{}`)",
            if opts.retprobe {
                "kretprobe.multi"
            } else {
                "kprobe.multi"
            },
            self.name()
        );
        if !supports(Feature::KprobeMultiLink) {
            return Err(AttachError::NotSupported {
                what: description,
                detail: Some("kprobe_multi links need Linux 5.18 built with CONFIG_FPROBE".into()),
            });
        }
        let functions: Vec<String> = if pattern.contains(['*', '?']) {
            let mut v = kernel_functions()?
                .into_iter()
                .filter(|f| glob_match(f, pattern))
                .collect::<Vec<_>>();
            v.sort();
            v.dedup();
            v
        } else {
            vec![pattern.to_string()]
        };
        if functions.is_empty() {
            return Err(AttachError::TargetNotFound {
                what: format!("kernel functions matching {pattern}"),
            });
        }
        let names: Vec<&str> = functions.iter().map(String::as_str).collect();
        self.attach_kprobe_multi_symbols(&names, opts)
    }

    /// Attaches a `kprobe.multi` program to the listed kernel functions.
    pub fn attach_kprobe_multi_symbols(
        &self,
        functions: &[&str],
        opts: &KprobeMultiOptions,
    ) -> Result<Link, AttachError> {
        check_type(self, &[ProgramType::KPROBE], "a kprobe.multi program")?;
        let description = format!(
            "{} on {} function(s) (program `{}`)",
            if opts.retprobe {
                "kretprobe.multi"
            } else {
                "kprobe.multi"
            },
            functions.len(),
            self.name()
        );
        if functions.is_empty()
            || (!opts.cookies.is_empty() && opts.cookies.len() != functions.len())
        {
            return Err(AttachError::InvalidArgument(format!(
                "{description}: need at least one function and as many cookies as functions, or none"
            )));
        }
        let c_names = functions
            .iter()
            .map(|f| CString::new(*f))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|_| {
                AttachError::InvalidArgument(format!("{description}: a name contains NUL"))
            })?;
        let syms: Vec<&std::ffi::CStr> = c_names.iter().map(|c| c.as_c_str()).collect();
        let mut flags = KprobeMultiFlags::empty();
        flags.set(KprobeMultiFlags::RETURN, opts.retprobe);
        let attach_type = match self.expected_attach_type() {
            Some(t @ (AttachType::TRACE_KPROBE_MULTI | AttachType::TRACE_KPROBE_SESSION)) => t,
            _ => AttachType::TRACE_KPROBE_MULTI,
        };
        let fd = sys::link_create(&LinkCreateArgs {
            prog: self.fd(),
            target: None,
            attach_type,
            flags: 0,
            extra: LinkExtra::KprobeMulti {
                flags,
                syms: &syms,
                addrs: &[],
                cookies: &opts.cookies,
            },
        })
        .map_err(|source| match source.errno() {
            libc::ENOENT | libc::ESRCH => AttachError::TargetNotFound {
                what: format!("{description}: a kernel function"),
            },
            _ => AttachError::kernel(description.clone(), source),
        })?;
        Ok(Link::from_bpf_link(fd, description))
    }
}

/// Functions kprobes may attach to: tracefs' `available_filter_functions`
/// (module suffixes stripped), else the text symbols of `/proc/kallsyms`.
fn kernel_functions() -> Result<Vec<String>, AttachError> {
    if let Some(root) = tracefs_root() {
        let path = root.join("available_filter_functions");
        if let Ok(text) = std::fs::read_to_string(&path) {
            return Ok(text
                .lines()
                .filter_map(|l| l.split_whitespace().next())
                .map(String::from)
                .collect());
        }
    }
    let text = std::fs::read_to_string("/proc/kallsyms").map_err(|source| AttachError::Io {
        what: "reading /proc/kallsyms".into(),
        source,
    })?;
    Ok(text
        .lines()
        .filter_map(|l| {
            let mut it = l.split_whitespace();
            let (_, ty, name) = (it.next()?, it.next()?, it.next()?);
            matches!(ty, "t" | "T").then(|| name.to_string())
        })
        .collect())
}
