//! [`Program::attach`]: attaching by the section name, as libbpf's
//! `bpf_program__attach` does.

use super::{
    AttachError, IterTarget, KprobeMultiOptions, KprobeOptions, Link, UprobeLocation,
    UprobeMultiOptions, UprobeOptions,
};
use crate::section::AttachKind;
use crate::Program;

/// Splits `FUNC+OFFSET` (decimal or `0x` hex offset).
fn split_offset(spec: &str) -> Result<(&str, u64), String> {
    match spec.rsplit_once('+') {
        Some((func, off)) => Ok((func, parse_number(off)?)),
        None => Ok((spec, 0)),
    }
}

fn parse_number(s: &str) -> Result<u64, String> {
    let parsed = match s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        Some(hex) => u64::from_str_radix(hex, 16),
        None => s.parse(),
    };
    parsed.map_err(|_| format!("`{s}` is not an offset"))
}

impl Program {
    /// Attaches the program where its section name says (libbpf's
    /// `bpf_program__attach`):
    ///
    /// | Section | Attached with |
    /// |---|---|
    /// | `tracepoint/CAT/NAME`, `tp/CAT/NAME` | [`attach_tracepoint`](Self::attach_tracepoint) |
    /// | `raw_tracepoint/NAME`, `raw_tp/NAME` | [`attach_raw_tracepoint`](Self::attach_raw_tracepoint) |
    /// | `tp_btf/`, `fentry/`, `fexit/`, `fmod_ret/`, `lsm/` | [`attach_trace`](Self::attach_trace) |
    /// | `iter/TARGET` | [`attach_iter`](Self::attach_iter) (every object) |
    /// | `kprobe/FUNC[+OFF]`, `kretprobe/FUNC` | [`attach_kprobe`](Self::attach_kprobe) |
    /// | `kprobe.multi/PATTERN`, `kretprobe.multi/PATTERN` | [`attach_kprobe_multi`](Self::attach_kprobe_multi) |
    /// | `ksyscall/NAME`, `kretsyscall/NAME` | [`attach_ksyscall`](Self::attach_ksyscall) |
    /// | `uprobe/PATH:FUNC[+OFF]`, `uprobe/PATH:OFFSET`, `uretprobe/...` | [`attach_uprobe`](Self::attach_uprobe) (every process) |
    /// | `uprobe.multi/PATH:PATTERN`, `uretprobe.multi/...` | [`attach_uprobe_multi`](Self::attach_uprobe_multi) |
    ///
    /// Other sections (XDP, tc, cgroup, socket, `perf_event`, `freplace`,
    /// `usdt`, ...) need a target chosen at run time: this returns
    /// [`AttachError::InvalidArgument`] naming the section; call the
    /// matching `attach_*` method. So does a section without a target
    /// (`SEC("kprobe")`) and a program not loaded from a
    /// [`CollectionSpec`](crate::CollectionSpec).
    pub fn attach(&self) -> Result<Link, AttachError> {
        let Some(origin) = self.origin() else {
            return Err(AttachError::InvalidArgument(format!(
                "program `{}` was not loaded from an object, so it has no section to attach by; use an attach_* method",
                self.name()
            )));
        };
        let section = origin.section.as_str();
        let manual = |why: &str| {
            AttachError::InvalidArgument(format!(
                "program `{}` (section `{section}`) cannot be attached automatically: {why}",
                self.name()
            ))
        };
        let Some(info) = origin.section_info.as_ref() else {
            return Err(manual("the section name is not one libbpf knows"));
        };
        let target = origin.attach_target.as_deref();
        let need_target = || {
            target
                .filter(|t| !t.is_empty())
                .ok_or_else(|| manual("the section names no attach target"))
        };
        match info.attach {
            AttachKind::Tracepoint => {
                let t = need_target()?;
                let (category, name) = t
                    .split_once('/')
                    .ok_or_else(|| manual("expected tracepoint/CATEGORY/NAME"))?;
                self.attach_tracepoint(category, name)
            }
            AttachKind::RawTracepoint => self.attach_raw_tracepoint(need_target()?),
            AttachKind::Trace if self.prog_type() == oxbpf_sys::ProgramType::EXT => Err(manual(
                "an freplace program needs its target program: use attach_freplace",
            )),
            AttachKind::Trace | AttachKind::Lsm => self.attach_trace(),
            AttachKind::Iter => self.attach_iter(IterTarget::All),
            AttachKind::Kprobe => {
                let (func, offset) = split_offset(need_target()?).map_err(|e| manual(&e))?;
                self.attach_kprobe(
                    func,
                    &KprobeOptions::default()
                        .retprobe(info.retprobe)
                        .offset(offset),
                )
            }
            AttachKind::KprobeMulti => self.attach_kprobe_multi(
                need_target()?,
                &KprobeMultiOptions::default().retprobe(info.retprobe),
            ),
            AttachKind::Ksyscall => self.attach_ksyscall(
                need_target()?,
                &KprobeOptions::default().retprobe(info.retprobe),
            ),
            AttachKind::Uprobe => {
                let t = need_target()?;
                let (binary, func) = t
                    .rsplit_once(':')
                    .ok_or_else(|| manual("expected uprobe/PATH:FUNCTION[+OFFSET]"))?;
                let opts = UprobeOptions::default().retprobe(info.retprobe);
                let location = if func.starts_with(|c: char| c.is_ascii_digit()) {
                    UprobeLocation::Offset(parse_number(func).map_err(|e| manual(&e))?)
                } else {
                    match split_offset(func).map_err(|e| manual(&e))? {
                        (name, 0) => UprobeLocation::Symbol(name),
                        (name, off) => UprobeLocation::SymbolOffset(name, off),
                    }
                };
                self.attach_uprobe(binary, location, &opts)
            }
            AttachKind::UprobeMulti => {
                let t = need_target()?;
                let (binary, pattern) = t
                    .rsplit_once(':')
                    .ok_or_else(|| manual("expected uprobe.multi/PATH:PATTERN"))?;
                self.attach_uprobe_multi(
                    binary,
                    pattern,
                    &UprobeMultiOptions::default().retprobe(info.retprobe),
                )
            }
            AttachKind::KprobeSession => Err(manual(
                "kprobe.session is not supported by this crate yet",
            )),
            AttachKind::Usdt => Err(manual(
                "USDT programs read their arguments through the object's `__bpf_usdt_specs` map; use Collection::attach_usdt",
            )),
            AttachKind::Manual if self.prog_type() == oxbpf_sys::ProgramType::STRUCT_OPS => Err(manual(
                "struct_ops programs run through their struct_ops map; use Collection::attach_struct_ops",
            )),
            AttachKind::Manual => Err(manual(
                "its target (interface, cgroup, socket, perf event, ...) is chosen at run time; use the matching attach_* method",
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets() {
        assert_eq!(split_offset("do_sys_open"), Ok(("do_sys_open", 0)));
        assert_eq!(split_offset("do_sys_open+0x10"), Ok(("do_sys_open", 16)));
        assert_eq!(split_offset("f+8"), Ok(("f", 8)));
        assert!(split_offset("f+zz").is_err());
        assert_eq!(parse_number("0x1234"), Ok(0x1234));
    }
}
