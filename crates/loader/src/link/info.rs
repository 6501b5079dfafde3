//! [`LinkInfo`]: what the kernel reports about a link.

use std::os::fd::{AsRawFd, BorrowedFd};

use oxbpf_sys::{BpfLinkInfo, BpfPerfEventType, LinkDetails, LinkId, LinkType, ObjInfo, ProgId};

/// What the kernel reports about a bpf_link (`struct bpf_link_info`).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct LinkInfo {
    /// `id`—The link's kernel-wide ID.
    pub id: LinkId,
    /// `type`
    pub link_type: LinkType,
    /// `prog_id`—The attached program (0 once detached).
    pub prog_id: ProgId,
    /// The type-specific part, decoded.
    pub details: LinkDetails,
    /// The name of what the link is attached to, where the kernel tells it
    /// (from `/proc/self/fdinfo`): the raw tracepoint (`sched_switch`),
    /// the iterator target (`task`).
    pub target_name: Option<String>,
}

/// The perf-event part of a [`LinkType::PERF_EVENT`] link's info.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum PerfEventLinkInfo {
    /// A uprobe or uretprobe.
    Uprobe {
        /// A uretprobe.
        retprobe: bool,
        /// `offset`—The probe's file offset.
        offset: u32,
        /// `cookie`
        cookie: u64,
    },
    /// A kprobe or kretprobe.
    Kprobe {
        /// A kretprobe.
        retprobe: bool,
        /// `offset`—Offset from the function.
        offset: u32,
        /// `addr`—The probed address (0 when `kptr_restrict` hides it).
        addr: u64,
        /// `missed`—Runs missed because of recursion.
        missed: u64,
        /// `cookie`
        cookie: u64,
    },
    /// A tracepoint.
    Tracepoint {
        /// `cookie`
        cookie: u64,
    },
    /// A hardware or software event (`perf_event` programs).
    Event {
        /// `type`—The perf event type (`PERF_TYPE_*`).
        event_type: u32,
        /// `config`
        config: u64,
        /// `cookie`
        cookie: u64,
    },
    /// A perf event type this crate does not know.
    Other(BpfPerfEventType),
}

/// The two native-endian `u32`s stored in a `u64` union word, in memory
/// order.
fn halves(word: u64) -> (u32, u32) {
    let b = word.to_ne_bytes();
    (
        u32::from_ne_bytes([b[0], b[1], b[2], b[3]]),
        u32::from_ne_bytes([b[4], b[5], b[6], b[7]]),
    )
}

impl LinkInfo {
    pub(crate) fn from_raw(raw: &ObjInfo<BpfLinkInfo>, fd: BorrowedFd<'_>) -> LinkInfo {
        let target_name = match raw.link_type {
            LinkType::RAW_TRACEPOINT => fdinfo_field(fd, "tp_name"),
            LinkType::ITER => fdinfo_field(fd, "target_name"),
            _ => None,
        };
        LinkInfo {
            id: raw.id,
            link_type: raw.link_type,
            prog_id: raw.prog_id,
            details: raw.details(),
            target_name,
        }
    }

    /// The BPF cookie the link was created with, for the link types whose
    /// info has one: perf-event links (reported since Linux 6.8), raw
    /// tracepoint and tracing links (since 6.16). Older kernels report 0.
    pub fn cookie(&self) -> Option<u64> {
        match self.details {
            LinkDetails::RawTracepoint { cookie, .. } | LinkDetails::Tracing { cookie, .. } => {
                Some(cookie)
            }
            LinkDetails::PerfEvent { .. } => match self.perf_event()? {
                PerfEventLinkInfo::Uprobe { cookie, .. }
                | PerfEventLinkInfo::Kprobe { cookie, .. }
                | PerfEventLinkInfo::Tracepoint { cookie }
                | PerfEventLinkInfo::Event { cookie, .. } => Some(cookie),
                PerfEventLinkInfo::Other(_) => None,
            },
            _ => None,
        }
    }

    /// The perf-event details of a perf-event link (Linux 6.6+; older
    /// kernels report none: [`PerfEventLinkInfo::Other`] with
    /// `BPF_PERF_EVENT_UNSPEC`).
    pub fn perf_event(&self) -> Option<PerfEventLinkInfo> {
        let LinkDetails::PerfEvent { event_type, raw } = self.details else {
            return None;
        };
        let (_, offset) = halves(raw[1]);
        Some(match event_type {
            BpfPerfEventType::UPROBE | BpfPerfEventType::URETPROBE => PerfEventLinkInfo::Uprobe {
                retprobe: event_type == BpfPerfEventType::URETPROBE,
                offset,
                cookie: raw[2],
            },
            BpfPerfEventType::KPROBE | BpfPerfEventType::KRETPROBE => PerfEventLinkInfo::Kprobe {
                retprobe: event_type == BpfPerfEventType::KRETPROBE,
                offset,
                addr: raw[2],
                missed: raw[3],
                cookie: raw[4],
            },
            BpfPerfEventType::TRACEPOINT => PerfEventLinkInfo::Tracepoint { cookie: raw[2] },
            BpfPerfEventType::EVENT => PerfEventLinkInfo::Event {
                event_type: halves(raw[1]).0,
                config: raw[0],
                cookie: raw[2],
            },
            other => PerfEventLinkInfo::Other(other),
        })
    }
}

/// The value of `key:` in `/proc/self/fdinfo/FD`.
pub(crate) fn fdinfo_field(fd: BorrowedFd<'_>, key: &str) -> Option<String> {
    let text = std::fs::read_to_string(format!("/proc/self/fdinfo/{}", fd.as_raw_fd())).ok()?;
    text.lines().find_map(|line| {
        let (k, v) = line.split_once(':')?;
        (k == key).then(|| v.trim().to_string())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn perf_event_union_words() {
        let word = |lo: u32, hi: u32| {
            let mut b = [0u8; 8];
            b[..4].copy_from_slice(&lo.to_ne_bytes());
            b[4..].copy_from_slice(&hi.to_ne_bytes());
            u64::from_ne_bytes(b)
        };
        let info = LinkInfo {
            id: LinkId::new(1),
            link_type: LinkType::PERF_EVENT,
            prog_id: ProgId::new(2),
            details: LinkDetails::PerfEvent {
                event_type: BpfPerfEventType::URETPROBE,
                raw: [0, word(10, 0x1234), 77, 0, 0],
            },
            target_name: None,
        };
        assert_eq!(
            info.perf_event(),
            Some(PerfEventLinkInfo::Uprobe {
                retprobe: true,
                offset: 0x1234,
                cookie: 77
            })
        );
        assert_eq!(info.cookie(), Some(77));
        let event = LinkInfo {
            details: LinkDetails::PerfEvent {
                event_type: BpfPerfEventType::EVENT,
                raw: [3, word(1, 0), 9, 0, 0],
            },
            ..info
        };
        assert_eq!(
            event.perf_event(),
            Some(PerfEventLinkInfo::Event {
                event_type: 1,
                config: 3,
                cookie: 9
            })
        );
    }
}
