//! Uprobes: a program on an instruction of an ELF binary or shared
//! library, found by symbol (→ file offset, as libbpf's `elf.c` computes
//! it) or given as a file offset.

use std::ffi::CString;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use object::{Object, ObjectSection, ObjectSymbol, SymbolKind};
use oxbpf_sys::{
    self as sys, AttachType, LinkCreateArgs, LinkExtra, PerfEventAttr, PerfEventOpenFlags,
    PerfType, ProgramType, UprobeMultiFlags,
};

use super::perf_event::{attach_perf_fd, check_type, open_error, ProbeAttachMode};
use super::tracefs::LegacyEvent;
use super::{AttachError, Link};
use crate::Program;

/// Where in the binary a uprobe goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UprobeLocation<'a> {
    /// The entry of a function symbol (`.symtab`, else `.dynsym`; a
    /// versioned name such as `malloc@@GLIBC_2.2.5` matches `malloc`).
    Symbol(&'a str),
    /// `offset` bytes into a function.
    SymbolOffset(&'a str, u64),
    /// A file offset.
    Offset(u64),
}

/// Options of [`Program::attach_uprobe`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct UprobeOptions {
    /// Only this process (`perf_event_open`'s `pid`); `None` for every
    /// process that maps the binary.
    pub pid: Option<u32>,
    /// A uretprobe: run when the function returns.
    pub retprobe: bool,
    /// The BPF cookie (`bpf_get_attach_cookie()`); needs a perf link.
    pub cookie: u64,
    /// File offset of a USDT semaphore to increment while attached.
    pub ref_ctr_offset: u64,
    /// PMU with perf link (default), PMU with ioctl, or tracefs.
    pub mode: ProbeAttachMode,
}

impl UprobeOptions {
    /// Only in process `pid`.
    pub fn pid(mut self, pid: u32) -> Self {
        self.pid = Some(pid);
        self
    }

    /// A uretprobe.
    pub fn retprobe(mut self, retprobe: bool) -> Self {
        self.retprobe = retprobe;
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

/// Options of [`Program::attach_uprobe_multi`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct UprobeMultiOptions {
    /// Only this process; `None` for every process.
    pub pid: Option<u32>,
    /// Return probes (`BPF_F_UPROBE_MULTI_RETURN`).
    pub retprobe: bool,
}

impl UprobeMultiOptions {
    /// Only in process `pid`.
    pub fn pid(mut self, pid: u32) -> Self {
        self.pid = Some(pid);
        self
    }

    /// Return probes.
    pub fn retprobe(mut self, retprobe: bool) -> Self {
        self.retprobe = retprobe;
        self
    }
}

/// The full path of a binary or library named by a uprobe (libbpf's
/// `resolve_full_path`): a name with a `/` is used as is; a shared library
/// name (`libc.so.6`) is looked up in the libraries `pid` has mapped, then
/// in `LD_LIBRARY_PATH` and the system library directories; any other name
/// in `PATH`.
pub fn resolve_binary(name: &str, pid: Option<u32>) -> Result<PathBuf, AttachError> {
    if name.contains('/') {
        let path = PathBuf::from(name);
        if !path.exists() {
            return Err(AttachError::TargetNotFound {
                what: format!("binary {name}"),
            });
        }
        return Ok(path);
    }
    if name.is_empty() {
        return Err(AttachError::InvalidArgument(
            "uprobe: empty binary name".into(),
        ));
    }
    let is_lib = name.ends_with(".so") || name.contains(".so.");
    if is_lib {
        if let Some(pid) = pid {
            if let Ok(maps) = std::fs::read_to_string(format!("/proc/{pid}/maps")) {
                let suffix = format!("/{name}");
                if let Some(path) = maps
                    .lines()
                    .filter_map(|l| l.split_whitespace().nth(5))
                    .find(|p| p.ends_with(&suffix))
                {
                    return Ok(PathBuf::from(path));
                }
            }
        }
    }
    let mut dirs: Vec<String> = Vec::new();
    let env = if is_lib { "LD_LIBRARY_PATH" } else { "PATH" };
    if let Ok(v) = std::env::var(env) {
        dirs.extend(v.split(':').filter(|d| !d.is_empty()).map(String::from));
    }
    let arch_dir = format!("{}-linux-gnu", std::env::consts::ARCH);
    if is_lib {
        dirs.extend([
            "/usr/lib64".to_string(),
            "/usr/lib".to_string(),
            "/lib64".to_string(),
            "/lib".to_string(),
            format!("/lib/{arch_dir}"),
            format!("/usr/lib/{arch_dir}"),
        ]);
    } else {
        dirs.extend(["/usr/bin".to_string(), "/usr/sbin".to_string()]);
    }
    dirs.iter()
        .map(|d| Path::new(d).join(name))
        .find(|p| p.is_file())
        .ok_or_else(|| AttachError::TargetNotFound {
            what: format!(
                "{} {name} (searched {})",
                if is_lib { "library" } else { "binary" },
                dirs.join(":")
            ),
        })
}

fn elf_err(path: &Path, reason: impl Into<String>) -> AttachError {
    AttachError::Elf {
        path: path.to_path_buf(),
        reason: reason.into(),
    }
}

/// Reads and parses an ELF file, then calls `f` on it.
fn with_elf<T>(
    path: &Path,
    f: impl FnOnce(&object::File<'_>) -> Result<T, AttachError>,
) -> Result<T, AttachError> {
    let data = std::fs::read(path).map_err(|source| AttachError::Io {
        what: format!("reading {}", path.display()),
        source,
    })?;
    let file =
        object::File::parse(&*data).map_err(|e| elf_err(path, format!("not an ELF file: {e}")))?;
    if file.format() != object::BinaryFormat::Elf {
        return Err(elf_err(path, "not an ELF file"));
    }
    f(&file)
}

/// A function symbol with its file offset.
struct FuncSym {
    name: String,
    offset: u64,
    weak: bool,
}

/// Every defined function symbol of `.symtab` and `.dynsym`, with its file
/// offset `st_value - sh_addr + sh_offset` (libbpf's `elf_sym_offset`),
/// which holds for executables, PIE and shared libraries alike.
fn function_symbols(file: &object::File<'_>) -> Vec<FuncSym> {
    let mut out = Vec::new();
    for sym in file.symbols().chain(file.dynamic_symbols()) {
        if sym.kind() != SymbolKind::Text || sym.is_undefined() {
            continue;
        }
        let (Ok(name), Some(index)) = (sym.name(), sym.section_index()) else {
            continue;
        };
        let Ok(section) = file.section_by_index(index) else {
            continue;
        };
        let Some((sh_offset, _)) = section.file_range() else {
            continue;
        };
        let Some(offset) = sym
            .address()
            .checked_sub(section.address())
            .and_then(|d| d.checked_add(sh_offset))
        else {
            continue;
        };
        out.push(FuncSym {
            name: name.to_string(),
            offset,
            weak: sym.is_weak(),
        });
    }
    out
}

/// Whether the symbol `sym` is the function `want`: `name@VERSION` and
/// `name@@VERSION` symbols match a plain `want`, and a versioned `want`
/// matches a plain symbol of that name (the versions of `.dynsym` live in
/// `.gnu.version`, which is not consulted).
fn name_matches(sym: &str, want: &str) -> bool {
    if sym == want {
        return true;
    }
    let base = |s: &str| s.split('@').next().unwrap_or("").to_string();
    match (sym.contains('@'), want.contains('@')) {
        (true, false) => base(sym) == want,
        (false, true) => sym == base(want),
        _ => false,
    }
}

/// The file offset of the function `symbol` in the ELF file at `path`
/// (libbpf's `elf_find_func_offset`). Several symbols of that name at
/// different offsets are an error, unless exactly one is global (then it
/// wins over the weak ones).
pub fn resolve_symbol_offset(path: impl AsRef<Path>, symbol: &str) -> Result<u64, AttachError> {
    let path = path.as_ref();
    with_elf(path, |file| {
        let mut found: Vec<FuncSym> = function_symbols(file)
            .into_iter()
            .filter(|s| name_matches(&s.name, symbol))
            .collect();
        found.sort_by_key(|s| (s.offset, s.weak));
        found.dedup_by_key(|s| s.offset);
        match found.len() {
            0 => Err(elf_err(path, format!("no function symbol `{symbol}`"))),
            1 => Ok(found[0].offset),
            _ => {
                let strong: Vec<&FuncSym> = found.iter().filter(|s| !s.weak).collect();
                if let [one] = strong[..] {
                    return Ok(one.offset);
                }
                let list: Vec<String> = found.iter().map(|s| format!("{:#x}", s.offset)).collect();
                Err(elf_err(
                    path,
                    format!(
                        "function `{symbol}` is ambiguous: symbols at offsets {}",
                        list.join(", ")
                    ),
                ))
            }
        }
    })
}

/// libbpf's `glob_match`: `*` matches any run, `?` one character.
pub(crate) fn glob_match(text: &str, pattern: &str) -> bool {
    let (t, p): (Vec<char>, Vec<char>) = (text.chars().collect(), pattern.chars().collect());
    let (mut ti, mut pi) = (0, 0);
    let (mut star, mut mark) = (None, 0);
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            ti += 1;
            pi += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = ti;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ti = mark;
        } else {
            return false;
        }
    }
    while pi < p.len() && p[pi] == '*' {
        pi += 1;
    }
    pi == p.len()
}

/// `/sys/bus/event_source/devices/uprobe/type` and the retprobe bit, if
/// the kernel has the uprobe PMU (4.17).
fn uprobe_pmu() -> Option<(u32, u32)> {
    let dir = Path::new("/sys/bus/event_source/devices/uprobe");
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

fn pid_arg(pid: Option<u32>) -> Result<(i32, i32), AttachError> {
    // libbpf: pid -1 → all processes on CPU 0 (probe events fire on any
    // CPU); a pid → that process on any CPU.
    match pid {
        None => Ok((-1, 0)),
        Some(p) => Ok((
            i32::try_from(p)
                .map_err(|_| AttachError::InvalidArgument(format!("pid {p} is out of range")))?,
            -1,
        )),
    }
}

impl Program {
    /// Attaches a `uprobe` (or, with [`UprobeOptions::retprobe`], a
    /// uretprobe) program to `location` in the ELF binary or shared
    /// library `binary` (a path, or a name resolved by
    /// [`resolve_binary`]), for every process or for
    /// [`UprobeOptions::pid`] only (libbpf's
    /// `bpf_program__attach_uprobe_opts`).
    ///
    /// Symbols are turned into file offsets from the ELF section headers,
    /// which works for executables, PIE and shared libraries. The probe is
    /// a perf event of the uprobe PMU (or, without one, a tracefs
    /// `uprobe_events` entry, removed on detach).
    ///
    /// # Minimum kernel version
    ///
    /// 4.17 (uprobe PMU); 4.3 through tracefs.
    pub fn attach_uprobe(
        &self,
        binary: impl AsRef<Path>,
        location: UprobeLocation<'_>,
        opts: &UprobeOptions,
    ) -> Result<Link, AttachError> {
        check_type(self, &[ProgramType::KPROBE], "a uprobe")?;
        let binary = binary.as_ref();
        let path = resolve_binary(&binary.to_string_lossy(), opts.pid)?;
        let offset = match location {
            UprobeLocation::Symbol(s) => resolve_symbol_offset(&path, s)?,
            UprobeLocation::SymbolOffset(s, off) => resolve_symbol_offset(&path, s)?
                .checked_add(off)
                .ok_or_else(|| AttachError::InvalidArgument(format!("{s}+{off} overflows")))?,
            UprobeLocation::Offset(off) => off,
        };
        let kind = if opts.retprobe { "uretprobe" } else { "uprobe" };
        let at = match location {
            UprobeLocation::Symbol(s) => s.to_string(),
            UprobeLocation::SymbolOffset(s, off) => format!("{s}+{off:#x}"),
            UprobeLocation::Offset(off) => format!("{off:#x}"),
        };
        let description = format!(
            "{kind} {}:{at} (offset {offset:#x}{}) of program `{}`",
            path.display(),
            opts.pid.map(|p| format!(", pid {p}")).unwrap_or_default(),
            self.name()
        );
        let (pid, cpu) = pid_arg(opts.pid)?;
        let c_path = CString::new(path.as_os_str().as_bytes()).map_err(|_| {
            AttachError::InvalidArgument(format!("{}: path contains NUL", path.display()))
        })?;
        let pmu = match opts.mode {
            ProbeAttachMode::Legacy => None,
            _ => uprobe_pmu(),
        };
        let Some((pmu_type, retprobe_bit)) = pmu else {
            if opts.ref_ctr_offset != 0 {
                return Err(AttachError::NotSupported {
                    what: format!("{description}: a USDT semaphore"),
                    detail: Some("tracefs uprobe_events take no reference counter here".into()),
                });
            }
            if opts.mode != ProbeAttachMode::Legacy && opts.mode != ProbeAttachMode::Default {
                return Err(AttachError::NotSupported {
                    what: description,
                    detail: Some("no uprobe PMU (/sys/bus/event_source/devices/uprobe)".into()),
                });
            }
            let spec = format!("{}:{offset:#x}", path.display());
            let stem = path.file_name().map(|f| f.to_string_lossy().into_owned());
            let (event, id) = LegacyEvent::create(
                "uprobe_events",
                opts.retprobe,
                &format!("{}_{offset:x}", stem.unwrap_or_default()),
                &spec,
                &description,
            )?;
            let attr = PerfEventAttr {
                event_type: PerfType::TRACEPOINT.as_raw(),
                config: id,
                ..Default::default()
            };
            let pfd = sys::perf_event_open(&attr, pid, cpu, None, PerfEventOpenFlags::empty())
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
        if opts.ref_ctr_offset >= 1 << 32 {
            return Err(AttachError::InvalidArgument(format!(
                "{description}: ref_ctr_offset {:#x} does not fit in 32 bits",
                opts.ref_ctr_offset
            )));
        }
        let mut config = opts.ref_ctr_offset << 32;
        if opts.retprobe {
            config |= 1 << retprobe_bit;
        }
        let attr = PerfEventAttr {
            event_type: pmu_type,
            config,
            // The kernel reads the path through this address during the
            // call; `c_path` outlives it.
            config1: c_path.as_ptr() as u64,
            config2: offset,
            ..Default::default()
        };
        let pfd = sys::perf_event_open(&attr, pid, cpu, None, PerfEventOpenFlags::empty())
            .map_err(|source| open_error(description.clone(), source))?;
        drop(c_path);
        attach_perf_fd(self, pfd, opts.cookie, opts.mode, None, description)
    }

    /// Attaches a `uprobe.multi` program (loaded with
    /// `BPF_TRACE_UPROBE_MULTI`) to every function of `binary` whose name
    /// matches `pattern` (`*` and `?` globs, as in
    /// `SEC("uprobe.multi/PATH:PATTERN")`): one uprobe_multi link for all
    /// of them (libbpf's `bpf_program__attach_uprobe_multi`).
    ///
    /// # Minimum kernel version
    ///
    /// 6.6 ([`Feature::UprobeMultiLink`](crate::features::Feature::UprobeMultiLink))
    pub fn attach_uprobe_multi(
        &self,
        binary: impl AsRef<Path>,
        pattern: &str,
        opts: &UprobeMultiOptions,
    ) -> Result<Link, AttachError> {
        let binary = binary.as_ref();
        let path = resolve_binary(&binary.to_string_lossy(), opts.pid)?;
        let mut offsets: Vec<(String, u64)> = with_elf(&path, |file| {
            Ok(function_symbols(file)
                .into_iter()
                .filter(|s| glob_match(s.name.split('@').next().unwrap_or(""), pattern))
                .map(|s| (s.name.split('@').next().unwrap_or("").to_string(), s.offset))
                .collect())
        })?;
        offsets.sort();
        offsets.dedup();
        if offsets.is_empty() {
            return Err(elf_err(
                &path,
                format!("no function symbol matches `{pattern}`"),
            ));
        }
        let offsets: Vec<u64> = offsets.into_iter().map(|(_, o)| o).collect();
        self.attach_uprobe_multi_offsets(&path, &offsets, &[], opts)
    }

    /// Attaches a `uprobe.multi` program at the given file `offsets` of
    /// `binary`, with one cookie per offset (or none).
    pub fn attach_uprobe_multi_offsets(
        &self,
        binary: impl AsRef<Path>,
        offsets: &[u64],
        cookies: &[u64],
        opts: &UprobeMultiOptions,
    ) -> Result<Link, AttachError> {
        self.attach_uprobe_multi_inner(binary.as_ref(), offsets, &[], cookies, opts)
    }

    /// [`attach_uprobe_multi_offsets`](Self::attach_uprobe_multi_offsets)
    /// with USDT semaphore offsets (one per offset, 0 for none, or none).
    pub(crate) fn attach_uprobe_multi_inner(
        &self,
        binary: &Path,
        offsets: &[u64],
        ref_ctr_offsets: &[u64],
        cookies: &[u64],
        opts: &UprobeMultiOptions,
    ) -> Result<Link, AttachError> {
        check_type(self, &[ProgramType::KPROBE], "a uprobe.multi program")?;
        let path = resolve_binary(&binary.to_string_lossy(), opts.pid)?;
        let attach_type = match self.expected_attach_type() {
            Some(t @ (AttachType::TRACE_UPROBE_MULTI | AttachType::TRACE_UPROBE_SESSION)) => t,
            _ => AttachType::TRACE_UPROBE_MULTI,
        };
        let description = format!(
            "{} {}: {} offset(s){} of program `{}`",
            if opts.retprobe {
                "uretprobe.multi"
            } else {
                "uprobe.multi"
            },
            path.display(),
            offsets.len(),
            opts.pid.map(|p| format!(", pid {p}")).unwrap_or_default(),
            self.name()
        );
        let refs = ref_ctr_offsets.iter().any(|&r| r != 0);
        if offsets.is_empty()
            || (!cookies.is_empty() && cookies.len() != offsets.len())
            || (refs && ref_ctr_offsets.len() != offsets.len())
        {
            return Err(AttachError::InvalidArgument(format!(
                "{description}: need at least one offset and as many cookies as offsets, or none"
            )));
        }
        let c_path = CString::new(path.as_os_str().as_bytes()).map_err(|_| {
            AttachError::InvalidArgument(format!("{}: path contains NUL", path.display()))
        })?;
        let mut flags = UprobeMultiFlags::empty();
        flags.set(UprobeMultiFlags::RETURN, opts.retprobe);
        let fd = sys::link_create(&LinkCreateArgs {
            prog: self.fd(),
            target: None,
            attach_type,
            flags: 0,
            extra: LinkExtra::UprobeMulti {
                path: &c_path,
                offsets,
                ref_ctr_offsets: if refs { ref_ctr_offsets } else { &[] },
                cookies,
                flags,
                pid: opts.pid.unwrap_or(0),
            },
        })
        .map_err(|source| match source.errno() {
            libc::EINVAL
                if !crate::features::supports(crate::features::Feature::UprobeMultiLink) =>
            {
                AttachError::NotSupported {
                    what: description.clone(),
                    detail: Some("uprobe_multi links need Linux 6.6".into()),
                }
            }
            _ => AttachError::kernel(description.clone(), source),
        })?;
        Ok(Link::from_bpf_link(fd, description))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs() {
        assert!(glob_match("malloc", "malloc"));
        assert!(glob_match("malloc", "mal*"));
        assert!(glob_match("malloc", "*"));
        assert!(glob_match("malloc", "m?lloc"));
        assert!(glob_match("malloc", "*lo*"));
        assert!(!glob_match("malloc", "free*"));
        assert!(!glob_match("malloc", "malloc?"));
        assert!(glob_match("", "*"));
        assert!(!glob_match("", "?"));
    }

    #[test]
    fn versioned_names() {
        assert!(name_matches("malloc@@GLIBC_2.2.5", "malloc"));
        assert!(name_matches("malloc", "malloc"));
        assert!(!name_matches("malloc@@GLIBC_2.2.5", "malloc@GLIBC_2.0"));
        assert!(!name_matches("mallocx", "malloc"));
    }

    #[test]
    fn binary_resolution() {
        assert!(matches!(
            resolve_binary("/no/such/binary", None),
            Err(AttachError::TargetNotFound { .. })
        ));
        assert!(matches!(
            resolve_binary("", None),
            Err(AttachError::InvalidArgument(_))
        ));
        assert!(matches!(
            resolve_binary("oxbpf-no-such-tool", None),
            Err(AttachError::TargetNotFound { .. })
        ));
        // This test binary's own libc, through /proc/self/maps.
        let libc = resolve_binary("libc.so.6", Some(std::process::id())).unwrap();
        assert!(libc.is_file(), "{}", libc.display());
        let sh = resolve_binary("sh", None).unwrap();
        assert!(sh.is_absolute());
    }

    #[test]
    fn symbols_of_libc() {
        let libc = resolve_binary("libc.so.6", Some(std::process::id())).unwrap();
        let getpid = resolve_symbol_offset(&libc, "getpid").unwrap();
        assert!(getpid > 0);
        assert_eq!(
            resolve_symbol_offset(&libc, "getpid@@GLIBC_2.2.5").ok(),
            Some(getpid)
        );
        let err = resolve_symbol_offset(&libc, "oxbpf_no_such_symbol").unwrap_err();
        assert!(matches!(err, AttachError::Elf { .. }), "{err}");
        let err = resolve_symbol_offset("/proc/self/status", "x").unwrap_err();
        assert!(matches!(err, AttachError::Elf { .. }), "{err}");
    }
}
