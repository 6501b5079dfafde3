//! [`Program`]: a loaded program (an fd on the kernel's program), with
//! `test_run`, `info`, pinning and the translated instructions.

use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::path::Path;

use oxbpf_sys::{
    self as sys, AccessFlags, AttachType, BtfId, MapId, ProgId, ProgInfoBuffers, ProgramType,
    SyscallError, TestRunArgs, TestRunFlags,
};

use crate::error::ProgramError;
use crate::insn::Insn;

/// A program loaded into the kernel. Dropping it closes its fd; the
/// program lives on while something else (a pin, a link, a program array)
/// holds it.
#[derive(Debug)]
pub struct Program {
    fd: OwnedFd,
    name: String,
    prog_type: ProgramType,
    expected_attach_type: Option<AttachType>,
    verifier_log: Option<String>,
    /// Where the program came from, for automatic attachment.
    origin: Option<Origin>,
}

/// The section a program was loaded from and the attach target it names
/// (as [`ProgramSpec`](crate::ProgramSpec) had them at load time).
#[derive(Debug, Clone)]
pub(crate) struct Origin {
    pub(crate) section: String,
    pub(crate) section_info: Option<crate::section::ProgramSection>,
    pub(crate) attach_target: Option<String>,
}

/// What the kernel reports about a program (`struct bpf_prog_info`).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ProgramInfo {
    /// `name`—The kernel's copy of the name (at most 15 bytes).
    pub name: String,
    /// `id`—The program's kernel-wide ID.
    pub id: ProgId,
    /// `type`
    pub prog_type: ProgramType,
    /// `tag`—Hash of the program's instructions (as `bpftool` prints it).
    pub tag: [u8; 8],
    /// `xlated_prog_len`—Size of the translated instructions, in bytes.
    pub xlated_len: u32,
    /// `jited_prog_len`—Size of the JIT-compiled image, in bytes.
    pub jited_len: u32,
    /// `verified_insns`—Instructions the verifier processed (5.16+).
    pub verified_insns: u32,
    /// `run_time_ns`—Total run time while `BPF_ENABLE_STATS` is on.
    pub run_time_ns: u64,
    /// `run_cnt`—Number of runs while `BPF_ENABLE_STATS` is on.
    pub run_count: u64,
    /// `recursion_misses`
    pub recursion_misses: u64,
    /// `map_ids`—The maps the program uses.
    pub map_ids: Vec<MapId>,
    /// `btf_id`—The program's BTF object, if it has one.
    pub btf_id: Option<BtfId>,
    /// `load_time`—Nanoseconds since boot.
    pub load_time_ns: u64,
    /// `created_by_uid`
    pub created_by_uid: u32,
    /// `gpl_compatible`
    pub gpl_compatible: bool,
}

impl ProgramInfo {
    /// The tag in hex, as `bpftool prog show` prints it.
    pub fn tag_hex(&self) -> String {
        self.tag.iter().map(|b| format!("{b:02x}")).collect()
    }
}

/// Input of [`Program::test_run`] (`BPF_PROG_TEST_RUN`).
#[derive(Debug, Clone, Default)]
pub struct TestRun<'a> {
    /// `data_in`—The packet (or other data) to run on.
    pub data_in: &'a [u8],
    /// Size of the output buffer for the (possibly modified) data; 0 for
    /// none.
    pub data_out_size: usize,
    /// `ctx_in`—The context (`struct __sk_buff`, `struct xdp_md`, ...).
    pub ctx_in: &'a [u8],
    /// Size of the output buffer for the context; 0 for none.
    pub ctx_out_size: usize,
    /// `repeat`—How many times to run (0 means once).
    pub repeat: u32,
    /// `flags`
    pub flags: TestRunFlags,
    /// `cpu`—With [`TestRunFlags::RUN_ON_CPU`].
    pub cpu: u32,
    /// `batch_size`—With [`TestRunFlags::XDP_LIVE_FRAMES`].
    pub batch_size: u32,
}

/// Output of [`Program::test_run`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TestRunResult {
    /// `retval`—The program's return value (of the last run).
    pub retval: u32,
    /// `duration`—Average run time in nanoseconds.
    pub duration_ns: u32,
    /// The output data (truncated to `data_out_size`).
    pub data_out: Vec<u8>,
    /// The output context (truncated to `ctx_out_size`).
    pub ctx_out: Vec<u8>,
}

impl Program {
    pub(crate) fn new(
        fd: OwnedFd,
        name: String,
        prog_type: ProgramType,
        expected_attach_type: Option<AttachType>,
        verifier_log: Option<String>,
    ) -> Self {
        Program {
            fd,
            name,
            prog_type,
            expected_attach_type,
            verifier_log,
            origin: None,
        }
    }

    /// Records the section and attach target the program was loaded from
    /// (used by [`Program::attach`]).
    pub(crate) fn with_origin(mut self, origin: Origin) -> Self {
        self.origin = Some(origin);
        self
    }

    pub(crate) fn origin(&self) -> Option<&Origin> {
        self.origin.as_ref()
    }

    /// The ELF section the program was loaded from (`"tracepoint/sched/sched_switch"`),
    /// if it was loaded from a [`CollectionSpec`](crate::CollectionSpec).
    pub fn section(&self) -> Option<&str> {
        self.origin.as_ref().map(|o| o.section.as_str())
    }

    /// The attach target its section names (`"sched/sched_switch"`), as
    /// the spec had it at load time.
    pub fn attach_target(&self) -> Option<&str> {
        self.origin.as_ref()?.attach_target.as_deref()
    }

    fn err(&self, what: &'static str, source: SyscallError) -> ProgramError {
        ProgramError::Syscall {
            program: self.name.clone(),
            what,
            source,
        }
    }

    /// The program's name: the full function name for programs loaded from
    /// a spec, the kernel's (15-byte) name for programs opened otherwise.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The program type.
    pub fn prog_type(&self) -> ProgramType {
        self.prog_type
    }

    /// The `expected_attach_type` it was loaded with, if known.
    pub fn expected_attach_type(&self) -> Option<AttachType> {
        self.expected_attach_type
    }

    /// The verifier log of a load that asked for one
    /// ([`LoadOptions::log_level`](crate::LoadOptions::log_level)).
    pub fn verifier_log(&self) -> Option<&str> {
        self.verifier_log.as_deref()
    }

    /// The program's fd.
    pub fn fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }

    /// Gives up ownership of the fd.
    pub fn into_fd(self) -> OwnedFd {
        self.fd
    }

    /// A second handle on the same program (`F_DUPFD_CLOEXEC`).
    pub fn try_clone(&self) -> Result<Program, ProgramError> {
        let fd = self.fd.try_clone().map_err(|e| {
            self.err(
                "dup",
                SyscallError::from_errno("F_DUPFD_CLOEXEC", e.raw_os_error().unwrap_or(libc::EIO)),
            )
        })?;
        Ok(Program {
            fd,
            name: self.name.clone(),
            prog_type: self.prog_type,
            expected_attach_type: self.expected_attach_type,
            verifier_log: None,
            origin: self.origin.clone(),
        })
    }

    /// `BPF_OBJ_GET_INFO_BY_FD`—What the kernel reports about the program.
    pub fn info(&self) -> Result<ProgramInfo, ProgramError> {
        let mut ids = vec![MapId::default(); 16];
        loop {
            let info = sys::prog_info_with(
                &self.fd,
                &mut ProgInfoBuffers {
                    map_ids: &mut ids,
                    ..Default::default()
                },
            )
            .map_err(|e| self.err("info", e))?;
            let i = info.info;
            let n = i.nr_map_ids as usize;
            if n > ids.len() {
                ids = vec![MapId::default(); n];
                continue;
            }
            ids.truncate(n);
            let len = i.name().len();
            return Ok(ProgramInfo {
                name: String::from_utf8_lossy(&i.name[..len]).into_owned(),
                id: i.id,
                prog_type: i.prog_type,
                tag: i.tag,
                xlated_len: i.xlated_prog_len,
                jited_len: i.jited_prog_len,
                verified_insns: i.verified_insns,
                run_time_ns: i.run_time_ns,
                run_count: i.run_cnt,
                recursion_misses: i.recursion_misses,
                map_ids: ids,
                btf_id: (i.btf_id.as_raw() != 0).then_some(i.btf_id),
                load_time_ns: i.load_time,
                created_by_uid: i.created_by_uid,
                gpl_compatible: i.gpl_compatible(),
            });
        }
    }

    /// The instructions as the kernel keeps them after verification
    /// (`bpftool prog dump xlated`): map references show map IDs, helper
    /// calls their resolved form. Empty if `kptr_restrict` hides them.
    pub fn xlated_insns(&self) -> Result<Vec<Insn>, ProgramError> {
        let info = sys::prog_info(&self.fd).map_err(|e| self.err("info", e))?;
        let mut buf = vec![0u8; info.info.xlated_prog_len as usize];
        sys::prog_info_with(
            &self.fd,
            &mut ProgInfoBuffers {
                xlated_prog_insns: &mut buf,
                ..Default::default()
            },
        )
        .map_err(|e| self.err("info", e))?;
        Ok(Insn::decode_all(&buf, cfg!(target_endian = "big")).unwrap_or_default())
    }

    /// `BPF_PROG_TEST_RUN`—Runs the program in the kernel on the given
    /// input (packet programs, `syscall`, raw tracepoints, ...).
    ///
    /// If an output buffer is too small, the kernel says so (`ENOSPC`) and
    /// the run is repeated once with a buffer of the size it reported.
    ///
    /// # Minimum kernel version
    ///
    /// 4.12; support depends on the program type.
    pub fn test_run(&self, run: &TestRun<'_>) -> Result<TestRunResult, ProgramError> {
        let mut data_out = vec![0u8; run.data_out_size];
        let mut ctx_out = vec![0u8; run.ctx_out_size];
        let mut retried = false;
        loop {
            let mut args = TestRunArgs {
                data_in: run.data_in,
                data_out: (!data_out.is_empty()).then_some(&mut data_out[..]),
                ctx_in: run.ctx_in,
                ctx_out: (!ctx_out.is_empty()).then_some(&mut ctx_out[..]),
                repeat: run.repeat,
                flags: run.flags,
                cpu: run.cpu,
                batch_size: run.batch_size,
            };
            match sys::prog_test_run(&self.fd, &mut args) {
                Ok(out) => {
                    data_out.truncate(out.data_size_out as usize);
                    ctx_out.truncate(out.ctx_size_out as usize);
                    return Ok(TestRunResult {
                        retval: out.retval,
                        duration_ns: out.duration,
                        data_out,
                        ctx_out,
                    });
                }
                Err(e) if e.errno() == libc::ENOSPC && !retried && !data_out.is_empty() => {
                    retried = true;
                    let n = data_out.len() * 4;
                    data_out.resize(n, 0);
                }
                Err(e) => return Err(self.err("test run", e)),
            }
        }
    }

    /// `BPF_OBJ_PIN`—Pins the program at `path` on a BPF file system.
    pub fn pin(&self, path: impl AsRef<Path>) -> Result<(), ProgramError> {
        let path = path.as_ref();
        check_bpffs(path)?;
        sys::obj_pin(&self.fd, path).map_err(|e| self.err("pin", e))
    }

    /// `BPF_OBJ_GET`—Opens the program pinned at `path`.
    pub fn from_pin(path: impl AsRef<Path>) -> Result<Program, ProgramError> {
        let path = path.as_ref();
        check_bpffs(path)?;
        let fd =
            sys::obj_get(path, AccessFlags::empty()).map_err(|source| ProgramError::Syscall {
                program: path.display().to_string(),
                what: "open pinned program",
                source,
            })?;
        Self::from_fd(fd)
    }

    /// `BPF_PROG_GET_FD_BY_ID`—Opens the program with this ID.
    pub fn from_id(id: ProgId) -> Result<Program, ProgramError> {
        let fd = sys::prog_get_fd_by_id(id).map_err(|source| ProgramError::Syscall {
            program: format!("id {id:?}"),
            what: "open by id",
            source,
        })?;
        Self::from_fd(fd)
    }

    /// Wraps a program fd (from another process, a pin, ...), reading its
    /// name and type from the kernel. Fails if `fd` is not a program.
    pub fn from_fd(fd: OwnedFd) -> Result<Program, ProgramError> {
        let info = sys::prog_info(&fd).map_err(|e| {
            if e.errno() == libc::EINVAL {
                ProgramError::NotAProgram
            } else {
                ProgramError::Syscall {
                    program: "?".into(),
                    what: "info",
                    source: e,
                }
            }
        })?;
        // BPF_OBJ_GET_INFO_BY_FD answers for maps, BTF and links too; the
        // kernel's fdinfo tells what the fd is.
        use std::os::fd::AsRawFd;
        if let Ok(fdinfo) = std::fs::read_to_string(format!("/proc/self/fdinfo/{}", fd.as_raw_fd()))
        {
            if !fdinfo.lines().any(|l| l.starts_with("prog_type:")) {
                return Err(ProgramError::NotAProgram);
            }
        }
        let name = String::from_utf8_lossy(info.info.name()).into_owned();
        Ok(Program {
            fd,
            name,
            prog_type: info.info.prog_type,
            expected_attach_type: None,
            verifier_log: None,
            origin: None,
        })
    }
}

impl AsFd for Program {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }
}

impl From<Program> for OwnedFd {
    fn from(p: Program) -> OwnedFd {
        p.fd
    }
}

/// Fails unless `path`'s directory is on a BPF file system.
pub(crate) fn check_bpffs(path: &Path) -> Result<(), ProgramError> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    match sys::fs::is_bpffs(dir) {
        Ok(true) => Ok(()),
        Ok(false) => Err(ProgramError::NotBpffs {
            path: path.to_path_buf(),
        }),
        Err(source) => Err(ProgramError::Io {
            path: path.to_path_buf(),
            source,
        }),
    }
}
