//! Facts about the running system that BPF user space needs: CPU lists,
//! the page size, and the memlock limit of old kernels.

use std::fs;
use std::io;
use std::sync::OnceLock;

/// Where the kernel lists the possible CPUs.
pub const POSSIBLE_CPUS_PATH: &str = "/sys/devices/system/cpu/possible";
/// Where the kernel lists the online CPUs.
pub const ONLINE_CPUS_PATH: &str = "/sys/devices/system/cpu/online";

/// Largest CPU number accepted in a CPU list.
///
/// The kernel's `NR_CPUS` is at most 8192 on every architecture today; the
/// limit only stops a corrupt list from allocating gigabytes.
pub const MAX_CPU_ID: u32 = (1 << 20) - 1;

/// An error reading or parsing a kernel CPU list.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CpuListError {
    /// The CPU list file (`/sys/devices/system/cpu/possible`, `online`)
    /// could not be read.
    #[error("cannot read {path}")]
    Io {
        /// The file.
        path: &'static str,
        /// Why.
        #[source]
        source: io::Error,
    },
    /// The file's text is not a CPU list such as `0-3,6` (a bad number, a
    /// reversed range, an empty item).
    #[error("malformed CPU list {text:?} at byte {offset}: {reason}")]
    Malformed {
        /// The text, without trailing whitespace.
        text: String,
        /// Byte offset of the problem in `text`.
        offset: usize,
        /// What is wrong.
        reason: &'static str,
    },
}

/// Parses a kernel CPU list such as `"0-3,5,7-8\n"` into `[0, 1, 2, 3, 5,
/// 7, 8]`.
///
/// This is the format of `/sys/devices/system/cpu/{possible,online}` (the
/// kernel's `%*pbl`): comma-separated decimal numbers and inclusive ranges
/// `a-b`, ascending, without whitespace except a trailing newline. An empty
/// list (as in `/sys/devices/system/cpu/offline`) is valid. Anything else
/// — signs, spaces, empty items, descending or overlapping ranges, numbers
/// above [`MAX_CPU_ID`] — is [`CpuListError::Malformed`].
///
/// ```
/// assert_eq!(oxbpf_sys::parse_cpu_list("0-3,5,7-8\n").unwrap(), [0, 1, 2, 3, 5, 7, 8]);
/// assert!(oxbpf_sys::parse_cpu_list("3-1").is_err());
/// ```
pub fn parse_cpu_list(text: &str) -> Result<Vec<u32>, CpuListError> {
    let text = text.trim_end_matches(['\n', '\r', ' ', '\t']);
    let malformed = |offset: usize, reason: &'static str| CpuListError::Malformed {
        text: text.to_owned(),
        offset,
        reason,
    };
    let mut cpus = Vec::new();
    if text.is_empty() {
        return Ok(cpus);
    }
    // The next CPU number allowed (ranges must be ascending and disjoint).
    let mut next_allowed: u32 = 0;
    let mut offset = 0;
    for item in text.split(',') {
        let (first, last) = match item.split_once('-') {
            Some((a, b)) => {
                let first = parse_cpu(a).map_err(|r| malformed(offset, r))?;
                let last = parse_cpu(b).map_err(|r| malformed(offset + a.len() + 1, r))?;
                if last < first {
                    return Err(malformed(offset, "range end below its start"));
                }
                (first, last)
            }
            None => {
                let cpu = parse_cpu(item).map_err(|r| malformed(offset, r))?;
                (cpu, cpu)
            }
        };
        if first < next_allowed {
            return Err(malformed(offset, "CPUs not in ascending order"));
        }
        cpus.extend(first..=last);
        next_allowed = last + 1;
        offset += item.len() + 1;
    }
    Ok(cpus)
}

/// Parses one decimal CPU number.
fn parse_cpu(digits: &str) -> Result<u32, &'static str> {
    if digits.is_empty() {
        return Err("missing number");
    }
    if !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err("not a decimal number");
    }
    match digits.parse::<u32>() {
        Ok(n) if n <= MAX_CPU_ID => Ok(n),
        _ => Err("CPU number too large"),
    }
}

fn read_cpu_list(path: &'static str) -> Result<Vec<u32>, CpuListError> {
    let text = fs::read_to_string(path).map_err(|source| CpuListError::Io { path, source })?;
    parse_cpu_list(&text)
}

/// The possible CPUs (`/sys/devices/system/cpu/possible`): every CPU that
/// can ever be online, which is what per-CPU maps are sized by.
pub fn possible_cpus() -> Result<Vec<u32>, CpuListError> {
    read_cpu_list(POSSIBLE_CPUS_PATH)
}

/// The CPUs online now (`/sys/devices/system/cpu/online`).
pub fn online_cpus() -> Result<Vec<u32>, CpuListError> {
    read_cpu_list(ONLINE_CPUS_PATH)
}

/// `num_possible_cpus()`—The number of possible CPUs, read once and cached.
///
/// Per-CPU map values hold one slot per possible CPU; this is the count of
/// [`possible_cpus`] (not its highest number plus one), as in the kernel.
/// A failure is not cached.
pub fn nr_possible_cpus() -> Result<usize, CpuListError> {
    static COUNT: OnceLock<usize> = OnceLock::new();
    if let Some(&n) = COUNT.get() {
        return Ok(n);
    }
    let n = possible_cpus()?.len();
    if n == 0 {
        return Err(CpuListError::Malformed {
            text: String::new(),
            offset: 0,
            reason: "no possible CPUs",
        });
    }
    Ok(*COUNT.get_or_init(|| n))
}

/// `sysconf(_SC_PAGESIZE)`—The page size in bytes, read once and cached.
pub fn page_size() -> usize {
    static SIZE: OnceLock<usize> = OnceLock::new();
    *SIZE.get_or_init(|| {
        // SAFETY: `sysconf` has no memory-safety preconditions.
        let size = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
        // `_SC_PAGESIZE` cannot fail on Linux; 4096 is only a fallback.
        usize::try_from(size)
            .ok()
            .filter(|&s| s > 0)
            .unwrap_or(4096)
    })
}

/// CPU time a process has used, split by mode (`getrusage`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CpuTimes {
    /// Time spent running user-space code.
    pub user: std::time::Duration,
    /// Time spent in the kernel on the process's behalf.
    pub system: std::time::Duration,
}

/// `getrusage(RUSAGE_SELF)`—The calling process's user and system CPU time.
///
/// With tick-based accounting (`CONFIG_TICK_CPU_ACCOUNTING`) the split is
/// sampled at every timer tick, so measure over many ticks (seconds).
pub fn cpu_times() -> io::Result<CpuTimes> {
    // SAFETY: `rusage` is plain data; all-zero is a valid value.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: `usage` is a valid, writable `rusage`.
    if unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) } != 0 {
        return Err(io::Error::last_os_error());
    }
    let tv = |t: libc::timeval| {
        std::time::Duration::from_secs(t.tv_sec.max(0) as u64)
            + std::time::Duration::from_micros(t.tv_usec.max(0) as u64)
    };
    Ok(CpuTimes {
        user: tv(usage.ru_utime),
        system: tv(usage.ru_stime),
    })
}

/// `setrlimit(RLIMIT_MEMLOCK, RLIM_INFINITY)`—Lifts the locked-memory limit
/// for kernels that charge BPF memory to it.
///
/// Linux 5.11 and later account BPF memory to the memory cgroup instead, so
/// this is only needed on older kernels (where map creation otherwise fails
/// with `EPERM`). Raising the hard limit needs `CAP_SYS_RESOURCE`; without
/// it (`EPERM`), the soft limit is raised to the hard limit, which is as far
/// as an unprivileged process may go. Returns the previous soft and hard
/// limits, which callers may restore.
pub fn bump_memlock_rlimit() -> io::Result<(u64, u64)> {
    let mut old = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: `old` is a valid, writable `rlimit`.
    if unsafe { libc::getrlimit(libc::RLIMIT_MEMLOCK, &mut old) } != 0 {
        return Err(io::Error::last_os_error());
    }
    let unlimited = libc::rlimit {
        rlim_cur: libc::RLIM_INFINITY,
        rlim_max: libc::RLIM_INFINITY,
    };
    // SAFETY: `unlimited` is a valid `rlimit` that is only read.
    if unsafe { libc::setrlimit(libc::RLIMIT_MEMLOCK, &unlimited) } != 0 {
        let err = io::Error::last_os_error();
        if err.raw_os_error() != Some(libc::EPERM) {
            return Err(err);
        }
        let soft_to_hard = libc::rlimit {
            rlim_cur: old.rlim_max,
            rlim_max: old.rlim_max,
        };
        // SAFETY: `soft_to_hard` is a valid `rlimit` that is only read.
        if unsafe { libc::setrlimit(libc::RLIMIT_MEMLOCK, &soft_to_hard) } != 0 {
            return Err(io::Error::last_os_error());
        }
    }
    #[allow(clippy::useless_conversion)] // rlim_t is u64 on most, not all, targets
    Ok((u64::from(old.rlim_cur), u64::from(old.rlim_max)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn valid_lists() {
        let cases: &[(&str, &[u32])] = &[
            ("0", &[0]),
            ("0\n", &[0]),
            ("", &[]),
            ("\n", &[]),
            ("0-3", &[0, 1, 2, 3]),
            ("0-3\n", &[0, 1, 2, 3]),
            ("0-3,5,7-8", &[0, 1, 2, 3, 5, 7, 8]),
            ("1,3,5", &[1, 3, 5]),
            ("2-2", &[2]),
            ("0,1-2,3", &[0, 1, 2, 3]),
            ("4-5,8-9\n", &[4, 5, 8, 9]),
            ("0-1,64-65", &[0, 1, 64, 65]),
            ("007", &[7]),
            ("1048575", &[MAX_CPU_ID]),
        ];
        for (text, want) in cases {
            assert_eq!(parse_cpu_list(text).unwrap(), *want, "{text:?}");
        }
    }

    #[test]
    fn malformed_lists() {
        let cases: &[(&str, usize)] = &[
            (",", 0),
            ("0,", 2),
            (",0", 0),
            ("0,,1", 2),
            ("-1", 0),
            ("1-", 2),
            ("3-1", 0),
            ("a", 0),
            ("0-a", 2),
            ("0 1", 0),
            (" 0", 0),
            ("0-1-2", 2),
            ("+1", 0),
            ("1,0", 2),
            ("0-3,2-5", 4),
            ("0-3,3", 4),
            ("4294967296", 0),
            ("1048576", 0),
            ("0-4294967295", 2),
            ("0:1", 0),
            ("0-7:2/4", 2),
            ("٣", 0),
        ];
        for (text, want_offset) in cases {
            match parse_cpu_list(text) {
                Err(CpuListError::Malformed { offset, .. }) => {
                    assert_eq!(offset, *want_offset, "{text:?}")
                }
                other => panic!("{text:?}: expected Malformed, got {other:?}"),
            }
        }
    }

    #[test]
    fn error_display() {
        let err = parse_cpu_list("0-3,x\n").unwrap_err();
        assert_eq!(
            err.to_string(),
            "malformed CPU list \"0-3,x\" at byte 4: not a decimal number"
        );
    }

    #[test]
    fn system_values() {
        let possible = possible_cpus().unwrap();
        let online = online_cpus().unwrap();
        assert!(!possible.is_empty());
        assert!(online.iter().all(|c| possible.contains(c)));
        assert_eq!(nr_possible_cpus().unwrap(), possible.len());
        assert!(page_size().is_power_of_two());
        assert!(page_size() >= 4096);
    }
}
