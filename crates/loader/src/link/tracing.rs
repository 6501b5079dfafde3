//! BTF-targeted programs: `tp_btf`, `fentry`, `fexit`, `fmod_ret`, `lsm`
//! (the target was fixed at load time) and `freplace` (attached to a
//! function of another program).

use std::os::fd::AsFd;

use oxbpf_btf::{Btf, Kind};
use oxbpf_sys::{
    self as sys, AttachTarget, AttachType, BtfInfoBuffers, LinkCreateArgs, LinkExtra, ProgramType,
    SyscallError,
};

use super::perf_event::check_type;
use super::{AttachError, Link};
use crate::Program;

impl Program {
    /// Attaches a BTF-targeted tracing program to the kernel function,
    /// tracepoint or LSM hook it was loaded for (`tp_btf/NAME`,
    /// `fentry/FUNC`, `fexit/FUNC`, `fmod_ret/FUNC`, `lsm/HOOK`): a tracing
    /// link (`BPF_LINK_CREATE`, or `BPF_RAW_TRACEPOINT_OPEN` on kernels
    /// whose `BPF_LINK_CREATE` does not take these programs), libbpf's
    /// `bpf_program__attach_trace` and `bpf_program__attach_lsm`.
    ///
    /// Under kernel lockdown, `fentry`/`fexit`/`fmod_ret`/`lsm` programs
    /// cannot even be loaded: [`Collection::load`](crate::Collection::load)
    /// fails with [`LoadError::Lockdown`](crate::LoadError::Lockdown).
    /// `tp_btf` programs work.
    ///
    /// # Minimum kernel version
    ///
    /// 5.5 (`tp_btf`, `fentry`, `fexit`), 5.7 (`fmod_ret`, `lsm`).
    pub fn attach_trace(&self) -> Result<Link, AttachError> {
        self.attach_trace_with(0)
    }

    /// [`attach_trace`](Self::attach_trace) with a BPF cookie (Linux 6.10
    /// for tracing links, 6.10 for `tp_btf`).
    pub fn attach_trace_with(&self, cookie: u64) -> Result<Link, AttachError> {
        check_type(
            self,
            &[ProgramType::TRACING, ProgramType::LSM],
            "a tracing or LSM program (tp_btf, fentry, fexit, fmod_ret, lsm)",
        )?;
        let attach_type = self.expected_attach_type().unwrap_or_default();
        if attach_type == AttachType::TRACE_ITER {
            return Err(AttachError::InvalidArgument(format!(
                "program `{}` is an iterator: use attach_iter",
                self.name()
            )));
        }
        let target = self.attach_target().unwrap_or("its load-time target");
        let description = format!(
            "{} {target} (program `{}`)",
            trace_kind(attach_type),
            self.name()
        );
        let created = if attach_type == AttachType::default() {
            // Unknown attach type (a program opened by fd): only
            // BPF_RAW_TRACEPOINT_OPEN can attach without it.
            Err(SyscallError::from_errno("BPF_LINK_CREATE", libc::EINVAL))
        } else {
            sys::link_create(&LinkCreateArgs {
                prog: self.fd(),
                target: None,
                attach_type,
                flags: 0,
                extra: LinkExtra::Tracing {
                    target_btf_id: 0,
                    cookie,
                },
            })
        };
        let fd = match created {
            Ok(fd) => fd,
            // Kernels before 5.x: BPF_LINK_CREATE does not know tracing
            // programs; BPF_RAW_TRACEPOINT_OPEN with no name attaches them
            // to their load-time target.
            Err(e) if e.errno() == libc::EINVAL && cookie == 0 => {
                sys::raw_tracepoint_open(None, self.fd(), 0)
                    .map_err(|source| AttachError::kernel(description.clone(), source))?
            }
            Err(source) => return Err(AttachError::kernel(description, source)),
        };
        Ok(Link::from_bpf_link(fd, description))
    }

    /// Same as [`attach_trace`](Self::attach_trace), for `lsm/HOOK`
    /// programs (libbpf's `bpf_program__attach_lsm`).
    pub fn attach_lsm(&self) -> Result<Link, AttachError> {
        check_type(self, &[ProgramType::LSM], "an LSM program")?;
        self.attach_trace()
    }

    /// Attaches an `freplace` (`EXT`) program in place of the global
    /// function `function` of the loaded program `target` (libbpf's
    /// `bpf_program__attach_freplace`): `function`'s BTF ID is looked up in
    /// `target`'s BTF, and a tracing link replaces it.
    ///
    /// # Minimum kernel version
    ///
    /// 5.10 (re-targeting an `freplace` program at attach time).
    pub fn attach_freplace(&self, target: &Program, function: &str) -> Result<Link, AttachError> {
        check_type(self, &[ProgramType::EXT], "an freplace (EXT) program")?;
        let description = format!(
            "freplace of {function} in program `{}` (program `{}`)",
            target.name(),
            self.name()
        );
        let btf_id = function_btf_id(target, function, &description)?;
        let fd = sys::link_create(&LinkCreateArgs {
            prog: self.fd(),
            target: Some(AttachTarget::Fd(target.as_fd())),
            attach_type: AttachType::default(),
            flags: 0,
            extra: LinkExtra::TargetBtfId(btf_id),
        })
        .map_err(|source| AttachError::kernel(description.clone(), source))?;
        Ok(Link::from_bpf_link(fd, description))
    }
}

fn trace_kind(attach_type: AttachType) -> &'static str {
    match attach_type {
        AttachType::TRACE_RAW_TP => "tp_btf",
        AttachType::TRACE_FENTRY => "fentry",
        AttachType::TRACE_FEXIT => "fexit",
        AttachType::MODIFY_RETURN => "fmod_ret",
        AttachType::LSM_MAC => "lsm",
        AttachType::LSM_CGROUP => "lsm_cgroup",
        _ => "tracing",
    }
}

/// The BTF ID of `FUNC function` in a loaded program's BTF.
pub(crate) fn function_btf_id(
    prog: &Program,
    function: &str,
    what: &str,
) -> Result<u32, AttachError> {
    let info = sys::prog_info(prog.fd())
        .map_err(|source| AttachError::kernel(format!("{what}: program info"), source))?;
    if info.btf_id.as_raw() == 0 {
        return Err(AttachError::InvalidArgument(format!(
            "{what}: program `{}` has no BTF",
            prog.name()
        )));
    }
    let btf_fd = sys::btf_get_fd_by_id(info.btf_id)
        .map_err(|source| AttachError::kernel(format!("{what}: opening its BTF"), source))?;
    let size = sys::btf_info(&btf_fd)
        .map_err(|source| AttachError::kernel(format!("{what}: BTF info"), source))?
        .btf_size;
    let mut data = vec![0u8; size as usize];
    sys::btf_info_with(
        &btf_fd,
        &mut BtfInfoBuffers {
            btf: &mut data,
            ..Default::default()
        },
    )
    .map_err(|source| AttachError::kernel(format!("{what}: reading its BTF"), source))?;
    let btf = Btf::parse(&data).map_err(|e| {
        AttachError::InvalidArgument(format!("{what}: the program's BTF does not parse: {e}"))
    })?;
    btf.ids_by_name(function)
        .into_iter()
        .find(|&id| btf.kind(id) == Some(Kind::Func))
        .map(|id| id.get())
        .ok_or_else(|| AttachError::TargetNotFound {
            what: format!("function {function} in program `{}`", prog.name()),
        })
}
