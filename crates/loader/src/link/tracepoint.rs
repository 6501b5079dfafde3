//! Tracepoints (`tracepoint/CATEGORY/NAME`) and raw tracepoints
//! (`raw_tp/NAME`).

use std::ffi::CString;

use oxbpf_sys::{self as sys, PerfEventAttr, PerfEventOpenFlags, PerfType, ProgramType};

use super::perf_event::{attach_perf_fd, check_type, open_error, ProbeAttachMode};
use super::tracefs::tracepoint_id;
use super::{AttachError, Link};
use crate::features::{supports, Feature};
use crate::Program;

impl Program {
    /// Attaches a `tracepoint` program to the tracepoint `category/name`
    /// (`sched/sched_switch`): a perf event on the tracepoint's tracefs ID,
    /// with the program put on it by a perf link where the kernel has them
    /// (5.15), by `PERF_EVENT_IOC_SET_BPF` otherwise.
    ///
    /// Needs tracefs mounted somewhere ([`tracefs_root`](super::tracefs_root)).
    ///
    /// # Minimum kernel version
    ///
    /// 4.7
    pub fn attach_tracepoint(&self, category: &str, name: &str) -> Result<Link, AttachError> {
        self.attach_tracepoint_with(category, name, 0, ProbeAttachMode::Default)
    }

    /// [`attach_tracepoint`](Self::attach_tracepoint) with a BPF cookie
    /// (`bpf_get_attach_cookie()`, needs a perf link) and a choice of
    /// perf link or ioctl.
    pub fn attach_tracepoint_with(
        &self,
        category: &str,
        name: &str,
        cookie: u64,
        mode: ProbeAttachMode,
    ) -> Result<Link, AttachError> {
        check_type(self, &[ProgramType::TRACEPOINT], "a tracepoint")?;
        let description = format!("tracepoint {category}/{name} (program `{}`)", self.name());
        let id = tracepoint_id(category, name)?;
        let attr = PerfEventAttr {
            event_type: PerfType::TRACEPOINT.as_raw(),
            config: id,
            ..Default::default()
        };
        let pfd = sys::perf_event_open(&attr, -1, 0, None, PerfEventOpenFlags::empty())
            .map_err(|source| open_error(description.clone(), source))?;
        attach_perf_fd(self, pfd, cookie, mode, None, description)
    }

    /// `BPF_RAW_TRACEPOINT_OPEN`—Attaches a raw tracepoint program
    /// (`raw_tp/NAME`, also writable ones) to the tracepoint `name`
    /// (`sched_switch`, `sys_enter`: the name without its category).
    ///
    /// # Minimum kernel version
    ///
    /// 4.17
    pub fn attach_raw_tracepoint(&self, name: &str) -> Result<Link, AttachError> {
        self.attach_raw_tracepoint_with(name, 0)
    }

    /// [`attach_raw_tracepoint`](Self::attach_raw_tracepoint) with a BPF
    /// cookie (Linux 6.10, [`Feature::RawTracepointCookie`]).
    pub fn attach_raw_tracepoint_with(&self, name: &str, cookie: u64) -> Result<Link, AttachError> {
        check_type(
            self,
            &[
                ProgramType::RAW_TRACEPOINT,
                ProgramType::RAW_TRACEPOINT_WRITABLE,
            ],
            "a raw tracepoint",
        )?;
        let description = format!("raw tracepoint {name} (program `{}`)", self.name());
        if cookie != 0 && !supports(Feature::RawTracepointCookie) {
            return Err(AttachError::NotSupported {
                what: format!("{description}: a BPF cookie"),
                detail: Some("raw tracepoint cookies need Linux 6.10".into()),
            });
        }
        let c_name = CString::new(name).map_err(|_| {
            AttachError::InvalidArgument(format!("{description}: the name contains NUL"))
        })?;
        let fd = sys::raw_tracepoint_open(Some(&c_name), self.fd(), cookie).map_err(|source| {
            if source.errno() == libc::ENOENT {
                AttachError::TargetNotFound {
                    what: format!("raw tracepoint {name}"),
                }
            } else {
                AttachError::kernel(description.clone(), source)
            }
        })?;
        Ok(Link::from_bpf_link(fd, description))
    }
}
