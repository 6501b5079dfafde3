//! sk_msg and sk_skb programs on a sockmap or sockhash: `BPF_PROG_ATTACH`
//! with the map as target, or a sockmap bpf_link (6.10+).

use std::os::fd::AsFd;

use oxbpf_sys::{
    self as sys, AttachFlags, AttachTarget, AttachType, LinkCreateArgs, LinkExtra, ProgAttachArgs,
    ProgramType, Relative,
};

use super::cgroup::ProgAttachment;
use super::net_common::{check_type, dup, type_name};
use super::{AttachError, Link};
use crate::Program;

/// How an attachment is made where the kernel offers both a bpf_link and
/// `BPF_PROG_ATTACH`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum AttachMethod {
    /// A bpf_link where the kernel has one, else `BPF_PROG_ATTACH`.
    #[default]
    Auto,
    /// A bpf_link, or an error.
    Link,
    /// `BPF_PROG_ATTACH` (a legacy attachment).
    ProgAttach,
}

/// Options of [`Program::attach_sockmap`].
#[derive(Debug, Clone, Copy, Default)]
pub struct SockmapOptions {
    /// The hook: `BPF_SK_MSG_VERDICT`, `BPF_SK_SKB_STREAM_PARSER`,
    /// `BPF_SK_SKB_STREAM_VERDICT` or `BPF_SK_SKB_VERDICT`. `None` takes
    /// the program's expected attach type (from its section:
    /// `sk_skb/stream_parser`, ...); plain `sk_skb` programs must say.
    pub attach_type: Option<AttachType>,
    /// Link or `BPF_PROG_ATTACH`.
    pub method: AttachMethod,
}

fn resolve_hook(prog: &Program, asked: Option<AttachType>) -> Result<AttachType, AttachError> {
    use AttachType as A;
    let valid: &[AttachType] = if prog.prog_type() == ProgramType::SK_MSG {
        &[A::SK_MSG_VERDICT]
    } else {
        &[
            A::SK_SKB_STREAM_PARSER,
            A::SK_SKB_STREAM_VERDICT,
            A::SK_SKB_VERDICT,
        ]
    };
    let names = || {
        valid
            .iter()
            .map(|t| t.name().unwrap_or("?"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    match asked.or(prog.expected_attach_type()) {
        Some(t) if valid.contains(&t) => Ok(t),
        _ if asked.is_none() && valid.len() == 1 => Ok(valid[0]),
        Some(t) if asked.is_some() => Err(AttachError::InvalidArgument(format!(
            "program `{}` ({}) cannot attach to sockmap hook {}; it can attach to {}",
            prog.name(),
            type_name(prog.prog_type()),
            t.name().unwrap_or("?"),
            names()
        ))),
        _ => Err(AttachError::InvalidArgument(format!(
            "program `{}` has no sockmap attach type: set SockmapOptions::attach_type to one of {}",
            prog.name(),
            names()
        ))),
    }
}

impl Program {
    /// Attaches an `SK_MSG` or `SK_SKB` program to a sockmap or sockhash
    /// (`map`): it then runs for the sockets in the map (on `sendmsg` for
    /// `sk_msg`, on received data for `sk_skb` stream parsers and
    /// verdicts). Sockets take the map's programs when they are added to
    /// it: add them after attaching (and re-add them after detaching).
    ///
    /// A map holds one program per hook. While a bpf_link holds it,
    /// another attachment fails with [`AttachError::AlreadyAttached`]; a
    /// program attached with `BPF_PROG_ATTACH` is replaced by the next
    /// attachment (the kernel's rule). With [`AttachMethod::Auto`] the
    /// attachment is a bpf_link on kernels that have sockmap links (6.10)
    /// and `BPF_PROG_ATTACH` (undone by `BPF_PROG_DETACH` on drop) before.
    ///
    /// # Minimum kernel version
    ///
    /// 4.14 (sk_skb), 4.17 (sk_msg), 5.13 (`BPF_SK_SKB_VERDICT`); links
    /// 6.10.
    pub fn attach_sockmap(
        &self,
        map: impl AsFd,
        options: &SockmapOptions,
    ) -> Result<Link, AttachError> {
        check_type(
            self,
            &[ProgramType::SK_MSG, ProgramType::SK_SKB],
            "an sk_msg or sk_skb program",
        )?;
        let hook = resolve_hook(self, options.attach_type)?;
        let map = map.as_fd();
        let hook_name = hook.name().unwrap_or("sockmap hook");
        let what = format!("attach `{}` to {hook_name} of a sockmap", self.name());
        let description = format!("{hook_name} `{}` on a sockmap", self.name());
        let error = |e: sys::SyscallError| match e.errno() {
            libc::EBUSY | libc::EEXIST => AttachError::AlreadyAttached {
                what: what.clone(),
                detail: "the map has a program for this hook".into(),
            },
            _ => AttachError::kernel(what.clone(), e),
        };
        if options.method != AttachMethod::ProgAttach {
            match sys::link_create(&LinkCreateArgs {
                prog: self.fd(),
                target: Some(AttachTarget::Fd(map)),
                attach_type: hook,
                flags: 0,
                extra: LinkExtra::None,
            }) {
                Ok(fd) => return Ok(Link::from_bpf_link(fd, description)),
                // Before 6.10 BPF_LINK_CREATE refuses sockmap attach types.
                Err(e) if options.method == AttachMethod::Auto && e.errno() == libc::EINVAL => {}
                Err(e) if e.errno() == libc::EINVAL => {
                    return Err(AttachError::NotSupported {
                        what,
                        detail: Some("sockmap links need Linux 6.10".into()),
                    })
                }
                Err(e) => return Err(error(e)),
            }
        }
        sys::prog_attach(&ProgAttachArgs {
            target: AttachTarget::Fd(map),
            prog: self.fd(),
            attach_type: hook,
            flags: AttachFlags::empty(),
            replace: None,
            relative: Relative::None,
            expected_revision: 0,
        })
        .map_err(error)?;
        let attachment = match (dup(map, || what.clone()), dup(self.fd(), || what.clone())) {
            (Ok(target), Ok(prog)) => ProgAttachment {
                target,
                prog,
                attach_type: hook,
            },
            (Err(e), _) | (_, Err(e)) => {
                let _ = sys::prog_detach(&sys::ProgDetachArgs {
                    target: AttachTarget::Fd(map),
                    prog: Some(self.fd()),
                    attach_type: hook,
                    flags: AttachFlags::empty(),
                    relative: Relative::None,
                    expected_revision: 0,
                });
                return Err(e);
            }
        };
        Ok(Link::from_legacy(
            attachment,
            format!("{description} (BPF_PROG_ATTACH)"),
        ))
    }
}
