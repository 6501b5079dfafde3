//! Program section names: libbpf's `SEC("...")` conventions.
//!
//! The table mirrors `section_defs` in libbpf's libbpf.c (libbpf
//! `f7081a6`), restricted to what Linux 6.18 supports, with the same
//! matching rules (`sec_def_matches`):
//! - a definition ending in `/` matches any name with that prefix;
//! - one ending in `+` matches the exact name or the name followed by
//!   `/extras` (the extras are the attach target);
//! - any other matches exactly.
//!
//! A leading `?` (`SEC("?tp/...")`) turns off auto-loading. The first
//! matching definition wins, in table order.

use oxbpf_sys::{AttachType, ProgramType};

/// How a program of a section attaches, for automatic attachment.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum AttachKind {
    /// Nothing automatic (attached explicitly, e.g. to an interface or a
    /// cgroup chosen at run time).
    Manual,
    /// `kprobe/FUNC[+OFFSET]`, `kretprobe/FUNC`.
    Kprobe,
    /// `kprobe.multi/PATTERN`, `kretprobe.multi/PATTERN`.
    KprobeMulti,
    /// `kprobe.session/PATTERN`.
    KprobeSession,
    /// `uprobe/PATH:FUNC[+OFFSET]`, `uretprobe/...`.
    Uprobe,
    /// `uprobe.multi/PATH:PATTERN`, `uretprobe.multi/...`,
    /// `uprobe.session/...`.
    UprobeMulti,
    /// `ksyscall/NAME`, `kretsyscall/NAME`.
    Ksyscall,
    /// `usdt/PATH:PROVIDER:NAME`.
    Usdt,
    /// `tracepoint/CATEGORY/NAME`, `tp/CATEGORY/NAME`.
    Tracepoint,
    /// `raw_tracepoint/NAME`, `raw_tp/NAME` (also `.w`).
    RawTracepoint,
    /// `tp_btf/`, `fentry/`, `fexit/`, `fmod_ret/`, `freplace/`: a BTF
    /// target, attached with a tracing link.
    Trace,
    /// `lsm/HOOK`.
    Lsm,
    /// `iter/TARGET`.
    Iter,
}

/// Section flags (libbpf's `enum sec_def_flags`).
#[derive(Copy, Clone, Debug, PartialEq, Eq, Default)]
struct Flags(u8);

impl Flags {
    const NONE: Self = Self(0);
    const EXP_ATTACH_OPT: u8 = 1;
    const ATTACHABLE: u8 = 2;
    const ATTACHABLE_OPT: Self = Self(Self::ATTACHABLE | Self::EXP_ATTACH_OPT);
    const ATTACH_BTF: u8 = 4;
    const SLEEPABLE: u8 = 8;
    const XDP_FRAGS: u8 = 16;
    const USDT: u8 = 32;
    const fn has(self, f: u8) -> bool {
        self.0 & f != 0
    }
}

struct SecDef {
    pattern: &'static str,
    prog_type: ProgramType,
    attach_type: Option<AttachType>,
    flags: Flags,
    attach: AttachKind,
}

const fn def(
    pattern: &'static str,
    prog_type: ProgramType,
    attach_type: Option<AttachType>,
    flags: u8,
    attach: AttachKind,
) -> SecDef {
    SecDef {
        pattern,
        prog_type,
        attach_type,
        flags: Flags(flags),
        attach,
    }
}

use AttachKind as K;
use AttachType as A;
use ProgramType as P;

const NONE: u8 = Flags::NONE.0;
const ATT: u8 = Flags::ATTACHABLE;
const ATT_OPT: u8 = Flags::ATTACHABLE_OPT.0;
const BTF: u8 = Flags::ATTACH_BTF;
const SLEEP: u8 = Flags::SLEEPABLE;
const FRAGS: u8 = Flags::XDP_FRAGS;

#[rustfmt::skip]
static SECTION_DEFS: &[SecDef] = &[
    def("socket", P::SOCKET_FILTER, None, NONE, K::Manual),
    def("sk_reuseport/migrate", P::SK_REUSEPORT, Some(A::SK_REUSEPORT_SELECT_OR_MIGRATE), ATT, K::Manual),
    def("sk_reuseport", P::SK_REUSEPORT, Some(A::SK_REUSEPORT_SELECT), ATT, K::Manual),
    def("kprobe+", P::KPROBE, None, NONE, K::Kprobe),
    def("uprobe+", P::KPROBE, None, NONE, K::Uprobe),
    def("uprobe.s+", P::KPROBE, None, SLEEP, K::Uprobe),
    def("kretprobe+", P::KPROBE, None, NONE, K::Kprobe),
    def("uretprobe+", P::KPROBE, None, NONE, K::Uprobe),
    def("uretprobe.s+", P::KPROBE, None, SLEEP, K::Uprobe),
    def("kprobe.multi+", P::KPROBE, Some(A::TRACE_KPROBE_MULTI), NONE, K::KprobeMulti),
    def("kretprobe.multi+", P::KPROBE, Some(A::TRACE_KPROBE_MULTI), NONE, K::KprobeMulti),
    def("kprobe.session+", P::KPROBE, Some(A::TRACE_KPROBE_SESSION), NONE, K::KprobeSession),
    def("uprobe.multi+", P::KPROBE, Some(A::TRACE_UPROBE_MULTI), NONE, K::UprobeMulti),
    def("uretprobe.multi+", P::KPROBE, Some(A::TRACE_UPROBE_MULTI), NONE, K::UprobeMulti),
    def("uprobe.session+", P::KPROBE, Some(A::TRACE_UPROBE_SESSION), NONE, K::UprobeMulti),
    def("uprobe.multi.s+", P::KPROBE, Some(A::TRACE_UPROBE_MULTI), SLEEP, K::UprobeMulti),
    def("uretprobe.multi.s+", P::KPROBE, Some(A::TRACE_UPROBE_MULTI), SLEEP, K::UprobeMulti),
    def("uprobe.session.s+", P::KPROBE, Some(A::TRACE_UPROBE_SESSION), SLEEP, K::UprobeMulti),
    def("ksyscall+", P::KPROBE, None, NONE, K::Ksyscall),
    def("kretsyscall+", P::KPROBE, None, NONE, K::Ksyscall),
    def("usdt+", P::KPROBE, None, Flags::USDT, K::Usdt),
    def("usdt.s+", P::KPROBE, None, Flags::USDT | SLEEP, K::Usdt),
    def("tc/ingress", P::SCHED_CLS, Some(A::TCX_INGRESS), NONE, K::Manual),
    def("tc/egress", P::SCHED_CLS, Some(A::TCX_EGRESS), NONE, K::Manual),
    def("tcx/ingress", P::SCHED_CLS, Some(A::TCX_INGRESS), NONE, K::Manual),
    def("tcx/egress", P::SCHED_CLS, Some(A::TCX_EGRESS), NONE, K::Manual),
    def("tc", P::SCHED_CLS, None, NONE, K::Manual),
    def("classifier", P::SCHED_CLS, None, NONE, K::Manual),
    def("action", P::SCHED_ACT, None, NONE, K::Manual),
    def("netkit/primary", P::SCHED_CLS, Some(A::NETKIT_PRIMARY), NONE, K::Manual),
    def("netkit/peer", P::SCHED_CLS, Some(A::NETKIT_PEER), NONE, K::Manual),
    def("tracepoint+", P::TRACEPOINT, None, NONE, K::Tracepoint),
    def("tp+", P::TRACEPOINT, None, NONE, K::Tracepoint),
    def("tracepoint.s+", P::TRACEPOINT, None, SLEEP, K::Tracepoint),
    def("tp.s+", P::TRACEPOINT, None, SLEEP, K::Tracepoint),
    def("raw_tracepoint+", P::RAW_TRACEPOINT, None, NONE, K::RawTracepoint),
    def("raw_tp+", P::RAW_TRACEPOINT, None, NONE, K::RawTracepoint),
    def("raw_tracepoint.s+", P::RAW_TRACEPOINT, None, SLEEP, K::RawTracepoint),
    def("raw_tp.s+", P::RAW_TRACEPOINT, None, SLEEP, K::RawTracepoint),
    def("raw_tracepoint.w+", P::RAW_TRACEPOINT_WRITABLE, None, NONE, K::RawTracepoint),
    def("raw_tp.w+", P::RAW_TRACEPOINT_WRITABLE, None, NONE, K::RawTracepoint),
    def("tp_btf+", P::TRACING, Some(A::TRACE_RAW_TP), BTF, K::Trace),
    def("tp_btf.s+", P::TRACING, Some(A::TRACE_RAW_TP), BTF | SLEEP, K::Trace),
    def("fentry+", P::TRACING, Some(A::TRACE_FENTRY), BTF, K::Trace),
    def("fmod_ret+", P::TRACING, Some(A::MODIFY_RETURN), BTF, K::Trace),
    def("fexit+", P::TRACING, Some(A::TRACE_FEXIT), BTF, K::Trace),
    def("fentry.s+", P::TRACING, Some(A::TRACE_FENTRY), BTF | SLEEP, K::Trace),
    def("fmod_ret.s+", P::TRACING, Some(A::MODIFY_RETURN), BTF | SLEEP, K::Trace),
    def("fexit.s+", P::TRACING, Some(A::TRACE_FEXIT), BTF | SLEEP, K::Trace),
    def("freplace+", P::EXT, None, BTF, K::Trace),
    def("lsm+", P::LSM, Some(A::LSM_MAC), BTF, K::Lsm),
    def("lsm.s+", P::LSM, Some(A::LSM_MAC), BTF | SLEEP, K::Lsm),
    def("lsm_cgroup+", P::LSM, Some(A::LSM_CGROUP), BTF, K::Manual),
    def("iter+", P::TRACING, Some(A::TRACE_ITER), BTF, K::Iter),
    def("iter.s+", P::TRACING, Some(A::TRACE_ITER), BTF | SLEEP, K::Iter),
    def("syscall", P::SYSCALL, None, SLEEP, K::Manual),
    def("xdp.frags/devmap", P::XDP, Some(A::XDP_DEVMAP), FRAGS, K::Manual),
    def("xdp/devmap", P::XDP, Some(A::XDP_DEVMAP), ATT, K::Manual),
    def("xdp.frags/cpumap", P::XDP, Some(A::XDP_CPUMAP), FRAGS, K::Manual),
    def("xdp/cpumap", P::XDP, Some(A::XDP_CPUMAP), ATT, K::Manual),
    def("xdp.frags", P::XDP, Some(A::XDP), FRAGS, K::Manual),
    def("xdp", P::XDP, Some(A::XDP), ATT_OPT, K::Manual),
    def("perf_event", P::PERF_EVENT, None, NONE, K::Manual),
    def("lwt_in", P::LWT_IN, None, NONE, K::Manual),
    def("lwt_out", P::LWT_OUT, None, NONE, K::Manual),
    def("lwt_xmit", P::LWT_XMIT, None, NONE, K::Manual),
    def("lwt_seg6local", P::LWT_SEG6LOCAL, None, NONE, K::Manual),
    def("sockops", P::SOCK_OPS, Some(A::CGROUP_SOCK_OPS), ATT_OPT, K::Manual),
    def("sk_skb/stream_parser", P::SK_SKB, Some(A::SK_SKB_STREAM_PARSER), ATT_OPT, K::Manual),
    def("sk_skb/stream_verdict", P::SK_SKB, Some(A::SK_SKB_STREAM_VERDICT), ATT_OPT, K::Manual),
    def("sk_skb/verdict", P::SK_SKB, Some(A::SK_SKB_VERDICT), ATT_OPT, K::Manual),
    def("sk_skb", P::SK_SKB, None, NONE, K::Manual),
    def("sk_msg", P::SK_MSG, Some(A::SK_MSG_VERDICT), ATT_OPT, K::Manual),
    def("lirc_mode2", P::LIRC_MODE2, Some(A::LIRC_MODE2), ATT_OPT, K::Manual),
    def("flow_dissector", P::FLOW_DISSECTOR, Some(A::FLOW_DISSECTOR), ATT_OPT, K::Manual),
    def("cgroup_skb/ingress", P::CGROUP_SKB, Some(A::CGROUP_INET_INGRESS), ATT_OPT, K::Manual),
    def("cgroup_skb/egress", P::CGROUP_SKB, Some(A::CGROUP_INET_EGRESS), ATT_OPT, K::Manual),
    def("cgroup/skb", P::CGROUP_SKB, None, NONE, K::Manual),
    def("cgroup/sock_create", P::CGROUP_SOCK, Some(A::CGROUP_INET_SOCK_CREATE), ATT, K::Manual),
    def("cgroup/sock_release", P::CGROUP_SOCK, Some(A::CGROUP_INET_SOCK_RELEASE), ATT, K::Manual),
    def("cgroup/sock", P::CGROUP_SOCK, Some(A::CGROUP_INET_SOCK_CREATE), ATT_OPT, K::Manual),
    def("cgroup/post_bind4", P::CGROUP_SOCK, Some(A::CGROUP_INET4_POST_BIND), ATT, K::Manual),
    def("cgroup/post_bind6", P::CGROUP_SOCK, Some(A::CGROUP_INET6_POST_BIND), ATT, K::Manual),
    def("cgroup/bind4", P::CGROUP_SOCK_ADDR, Some(A::CGROUP_INET4_BIND), ATT, K::Manual),
    def("cgroup/bind6", P::CGROUP_SOCK_ADDR, Some(A::CGROUP_INET6_BIND), ATT, K::Manual),
    def("cgroup/connect4", P::CGROUP_SOCK_ADDR, Some(A::CGROUP_INET4_CONNECT), ATT, K::Manual),
    def("cgroup/connect6", P::CGROUP_SOCK_ADDR, Some(A::CGROUP_INET6_CONNECT), ATT, K::Manual),
    def("cgroup/connect_unix", P::CGROUP_SOCK_ADDR, Some(A::CGROUP_UNIX_CONNECT), ATT, K::Manual),
    def("cgroup/sendmsg4", P::CGROUP_SOCK_ADDR, Some(A::CGROUP_UDP4_SENDMSG), ATT, K::Manual),
    def("cgroup/sendmsg6", P::CGROUP_SOCK_ADDR, Some(A::CGROUP_UDP6_SENDMSG), ATT, K::Manual),
    def("cgroup/sendmsg_unix", P::CGROUP_SOCK_ADDR, Some(A::CGROUP_UNIX_SENDMSG), ATT, K::Manual),
    def("cgroup/recvmsg4", P::CGROUP_SOCK_ADDR, Some(A::CGROUP_UDP4_RECVMSG), ATT, K::Manual),
    def("cgroup/recvmsg6", P::CGROUP_SOCK_ADDR, Some(A::CGROUP_UDP6_RECVMSG), ATT, K::Manual),
    def("cgroup/recvmsg_unix", P::CGROUP_SOCK_ADDR, Some(A::CGROUP_UNIX_RECVMSG), ATT, K::Manual),
    def("cgroup/getpeername4", P::CGROUP_SOCK_ADDR, Some(A::CGROUP_INET4_GETPEERNAME), ATT, K::Manual),
    def("cgroup/getpeername6", P::CGROUP_SOCK_ADDR, Some(A::CGROUP_INET6_GETPEERNAME), ATT, K::Manual),
    def("cgroup/getpeername_unix", P::CGROUP_SOCK_ADDR, Some(A::CGROUP_UNIX_GETPEERNAME), ATT, K::Manual),
    def("cgroup/getsockname4", P::CGROUP_SOCK_ADDR, Some(A::CGROUP_INET4_GETSOCKNAME), ATT, K::Manual),
    def("cgroup/getsockname6", P::CGROUP_SOCK_ADDR, Some(A::CGROUP_INET6_GETSOCKNAME), ATT, K::Manual),
    def("cgroup/getsockname_unix", P::CGROUP_SOCK_ADDR, Some(A::CGROUP_UNIX_GETSOCKNAME), ATT, K::Manual),
    def("cgroup/sysctl", P::CGROUP_SYSCTL, Some(A::CGROUP_SYSCTL), ATT, K::Manual),
    def("cgroup/getsockopt", P::CGROUP_SOCKOPT, Some(A::CGROUP_GETSOCKOPT), ATT, K::Manual),
    def("cgroup/setsockopt", P::CGROUP_SOCKOPT, Some(A::CGROUP_SETSOCKOPT), ATT, K::Manual),
    def("cgroup/dev", P::CGROUP_DEVICE, Some(A::CGROUP_DEVICE), ATT_OPT, K::Manual),
    def("struct_ops+", P::STRUCT_OPS, None, NONE, K::Manual),
    def("struct_ops.s+", P::STRUCT_OPS, None, SLEEP, K::Manual),
    def("sk_lookup", P::SK_LOOKUP, Some(A::SK_LOOKUP), ATT, K::Manual),
    def("netfilter", P::NETFILTER, Some(A::NETFILTER), NONE, K::Manual),
];

/// What a program's section name says about it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProgramSection {
    /// The program type.
    pub prog_type: ProgramType,
    /// The expected attach type passed to `BPF_PROG_LOAD`, if any.
    pub expected_attach_type: Option<AttachType>,
    /// Whether the loader may drop `expected_attach_type` on kernels that
    /// reject it (libbpf's `SEC_EXP_ATTACH_OPT`).
    pub expected_attach_type_optional: bool,
    /// The part after the matched prefix and its `/`: a function, a
    /// tracepoint `category/name`, a BTF type, a `path:symbol`...
    pub attach_target: Option<String>,
    /// The attach target is a BTF id resolved at load time (`tp_btf`,
    /// `fentry`, `lsm`, `iter`, `freplace`).
    pub attach_btf: bool,
    /// `BPF_F_SLEEPABLE`.
    pub sleepable: bool,
    /// `BPF_F_XDP_HAS_FRAGS`.
    pub xdp_frags: bool,
    /// A return probe (`kretprobe`, `uretprobe`, `kretsyscall`, and their
    /// `.multi` forms).
    pub retprobe: bool,
    /// How the program attaches automatically.
    pub attach: AttachKind,
    /// `false` for `SEC("?...")`: the program is parsed but not loaded
    /// unless the user asks for it.
    pub autoload: bool,
    /// The matched table entry (`"kprobe+"`, `"xdp"`, ...).
    pub pattern: &'static str,
}

fn matches<'n>(pattern: &str, name: &'n str) -> Option<Option<&'n str>> {
    if pattern.ends_with('/') {
        return name
            .strip_prefix(pattern)
            .map(|rest| Some(rest).filter(|r| !r.is_empty()));
    }
    if let Some(base) = pattern.strip_suffix('+') {
        let rest = name.strip_prefix(base)?;
        return match rest.strip_prefix('/') {
            Some(target) => Some(Some(target)),
            None if rest.is_empty() => Some(None),
            None => None,
        };
    }
    (name == pattern).then_some(None)
}

/// Interprets a program section name as libbpf does. `None` if no
/// definition matches (libbpf refuses such programs: "failed to guess
/// program type").
///
/// ```
/// use oxbpf_loader::section::{parse_section, AttachKind};
/// use oxbpf_sys::ProgramType;
/// let s = parse_section("?kretprobe/do_unlinkat").unwrap();
/// assert_eq!(s.prog_type, ProgramType::KPROBE);
/// assert_eq!(s.attach_target.as_deref(), Some("do_unlinkat"));
/// assert!(s.retprobe && !s.autoload);
/// assert_eq!(s.attach, AttachKind::Kprobe);
/// assert!(parse_section("kprobex").is_none());
/// ```
pub fn parse_section(name: &str) -> Option<ProgramSection> {
    let (autoload, name) = match name.strip_prefix('?') {
        Some(n) => (false, n),
        None => (true, name),
    };
    for d in SECTION_DEFS {
        let Some(target) = matches(d.pattern, name) else {
            continue;
        };
        let target = if d.pattern.ends_with('/') || d.pattern.ends_with('+') {
            target
        } else {
            None
        };
        let base = d.pattern.trim_end_matches('+');
        let retprobe = matches!(
            base,
            "kretprobe"
                | "uretprobe"
                | "uretprobe.s"
                | "kretsyscall"
                | "kretprobe.multi"
                | "uretprobe.multi"
                | "uretprobe.multi.s"
        );
        return Some(ProgramSection {
            prog_type: d.prog_type,
            expected_attach_type: d.attach_type,
            expected_attach_type_optional: d.flags.has(Flags::EXP_ATTACH_OPT),
            attach_target: target.map(str::to_owned),
            attach_btf: d.flags.has(Flags::ATTACH_BTF),
            sleepable: d.flags.has(Flags::SLEEPABLE),
            xdp_frags: d.flags.has(Flags::XDP_FRAGS),
            retprobe,
            attach: d.attach,
            autoload,
            pattern: d.pattern,
        });
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn libbpf_matching_rules() {
        let s = parse_section("tracepoint/syscalls/sys_enter_execve").unwrap();
        assert_eq!(s.prog_type, ProgramType::TRACEPOINT);
        assert_eq!(
            s.attach_target.as_deref(),
            Some("syscalls/sys_enter_execve")
        );
        // "+" means exact or "/extras", nothing else.
        assert_eq!(parse_section("tp").unwrap().attach_target, None);
        assert!(parse_section("tpx/foo").is_none());
        // Exact names do not take extras.
        assert!(parse_section("socket/foo").is_none());
        assert_eq!(
            parse_section("socket").unwrap().prog_type,
            ProgramType::SOCKET_FILTER
        );
        // Table order: "xdp.frags/devmap" before "xdp.frags" before "xdp".
        let x = parse_section("xdp.frags/devmap").unwrap();
        assert!(parse_section("xdp.frags/devmap/foo").is_none());
        assert_eq!(
            (x.expected_attach_type, x.xdp_frags),
            (Some(AttachType::XDP_DEVMAP), true)
        );
        let x = parse_section("xdp").unwrap();
        assert!(x.expected_attach_type_optional && !x.xdp_frags);
        assert!(
            parse_section("xdp/foo").is_none(),
            "libbpf has no \"xdp/\" prefix"
        );
        let f = parse_section("fentry.s/do_sys_open").unwrap();
        assert!(f.sleepable && f.attach_btf);
        assert_eq!(f.expected_attach_type, Some(AttachType::TRACE_FENTRY));
        let m = parse_section("uretprobe.multi.s//usr/lib/libc.so.6:malloc").unwrap();
        assert!(m.retprobe && m.sleepable);
        assert_eq!(
            m.attach_target.as_deref(),
            Some("/usr/lib/libc.so.6:malloc")
        );
        assert_eq!(
            parse_section("cgroup/connect4").unwrap().prog_type,
            ProgramType::CGROUP_SOCK_ADDR
        );
        assert_eq!(
            parse_section("tc/ingress").unwrap().expected_attach_type,
            Some(AttachType::TCX_INGRESS)
        );
        assert_eq!(parse_section("tc").unwrap().expected_attach_type, None);
        assert!(parse_section("iter/task").unwrap().attach_btf);
        assert!(!parse_section("kprobe/x").unwrap().retprobe);
    }

    #[test]
    fn every_entry_matches_itself_first() {
        // No entry is shadowed by an earlier, more general one.
        for d in SECTION_DEFS {
            let name = d.pattern.trim_end_matches('+').trim_end_matches('/');
            let name = if d.pattern.ends_with('/') {
                format!("{name}/x")
            } else {
                name.to_string()
            };
            assert_eq!(parse_section(&name).unwrap().pattern, d.pattern, "{name}");
        }
    }
}
