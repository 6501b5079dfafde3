//! Object commands: pinning (`BPF_OBJ_PIN`/`BPF_OBJ_GET`), IDs
//! (`BPF_*_GET_NEXT_ID`, `BPF_*_GET_FD_BY_ID`) and info
//! (`BPF_OBJ_GET_INFO_BY_FD`).

use std::ffi::CString;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

use crate::attr::{GetIdAttr, InfoAttr, ObjAttr};
use crate::bpf::{cstr_ptr, fd_u32, len_u32, ptr_mut, sys_bpf, sys_bpf_fd};
use crate::error::{einval, Result, SyscallError};
use crate::flags::{AccessFlags, MapFlags};
use crate::info::{BpfBtfInfo, BpfFuncInfo, BpfLineInfo, BpfLinkInfo, BpfMapInfo};
use crate::info::{BpfProgInfo, Info, ObjInfo, BPF_TAG_SIZE};
use crate::types::{BtfId, Cmd, LinkId, MapId, ProgId};

/// A path as a C string, or `EINVAL` for `call` if it contains a NUL.
fn c_path(path: &Path, call: &'static str) -> Result<CString> {
    CString::new(path.as_os_str().as_bytes()).map_err(|_| einval(call))
}

fn obj_pin_impl(fd: BorrowedFd<'_>, dir: Option<BorrowedFd<'_>>, path: &Path) -> Result<()> {
    const CALL: &str = "BPF_OBJ_PIN";
    let path = c_path(path, CALL)?;
    let mut attr = ObjAttr {
        pathname: cstr_ptr(&path),
        bpf_fd: fd_u32(fd),
        file_flags: if dir.is_some() {
            MapFlags::PATH_FD.bits()
        } else {
            0
        },
        path_fd: dir.map_or(0, |d| d.as_raw_fd()),
        ..Default::default()
    };
    // SAFETY: `pathname` points to a NUL-terminated string alive for the
    // call; the fds are borrowed; `BPF_OBJ_PIN` writes nothing to user
    // memory and creates no fd.
    unsafe { sys_bpf(Cmd::OBJ_PIN, &mut attr) }.map(drop)
}

/// `BPF_OBJ_PIN`—Pins the object behind `fd` (a program, map, link or
/// BTF) at `path` in a BPF file system, keeping it alive after the last fd
/// is closed.
///
/// A path containing a NUL byte is `EINVAL`.
///
/// # Minimum kernel version
///
/// 4.4
pub fn obj_pin(fd: impl AsFd, path: impl AsRef<Path>) -> Result<(), SyscallError> {
    obj_pin_impl(fd.as_fd(), None, path.as_ref())
}

/// `BPF_OBJ_PIN` with `BPF_F_PATH_FD`—Like [`obj_pin`], with a relative
/// `path` resolved against the directory `dir` (as with `openat(2)`).
///
/// # Minimum kernel version
///
/// 6.5
pub fn obj_pin_at(
    dir: impl AsFd,
    path: impl AsRef<Path>,
    fd: impl AsFd,
) -> Result<(), SyscallError> {
    obj_pin_impl(fd.as_fd(), Some(dir.as_fd()), path.as_ref())
}

fn obj_get_impl(dir: Option<BorrowedFd<'_>>, path: &Path, flags: AccessFlags) -> Result<OwnedFd> {
    const CALL: &str = "BPF_OBJ_GET";
    let path = c_path(path, CALL)?;
    let mut file_flags = flags.bits();
    if dir.is_some() {
        file_flags |= MapFlags::PATH_FD.bits();
    }
    let mut attr = ObjAttr {
        pathname: cstr_ptr(&path),
        file_flags,
        path_fd: dir.map_or(0, |d| d.as_raw_fd()),
        ..Default::default()
    };
    // SAFETY: `pathname` points to a NUL-terminated string alive for the
    // call; `BPF_OBJ_GET` writes nothing to user memory and returns a new fd.
    unsafe { sys_bpf_fd(Cmd::OBJ_GET, &mut attr) }
}

/// `BPF_OBJ_GET`—Opens the object pinned at `path` and returns a new fd.
///
/// `flags` limits the access of the fd (maps only).
///
/// # Minimum kernel version
///
/// 4.4
pub fn obj_get(path: impl AsRef<Path>, flags: AccessFlags) -> Result<OwnedFd, SyscallError> {
    obj_get_impl(None, path.as_ref(), flags)
}

/// `BPF_OBJ_GET` with `BPF_F_PATH_FD`—Like [`obj_get`], with a relative
/// `path` resolved against the directory `dir`.
///
/// # Minimum kernel version
///
/// 6.5
pub fn obj_get_at(
    dir: impl AsFd,
    path: impl AsRef<Path>,
    flags: AccessFlags,
) -> Result<OwnedFd, SyscallError> {
    obj_get_impl(Some(dir.as_fd()), path.as_ref(), flags)
}

/// Runs one of the `BPF_*_GET_NEXT_ID` commands.
fn next_id(cmd: Cmd, start: u32) -> Result<Option<u32>> {
    let mut attr = GetIdAttr {
        id: start,
        ..Default::default()
    };
    // SAFETY: the attr holds no pointers or fds; the command only writes
    // `next_id` inside the attr.
    match unsafe { sys_bpf(cmd, &mut attr) } {
        Ok(_) => Ok(Some(attr.next_id)),
        Err(e) if e.errno() == libc::ENOENT => Ok(None),
        Err(e) => Err(e),
    }
}

/// `BPF_PROG_GET_NEXT_ID`—The smallest program ID above `start` (above 0
/// when `None`), or `None` past the last one.
///
/// Needs `CAP_SYS_ADMIN`.
pub fn prog_get_next_id(start: Option<ProgId>) -> Result<Option<ProgId>, SyscallError> {
    Ok(next_id(Cmd::PROG_GET_NEXT_ID, start.map_or(0, ProgId::as_raw))?.map(ProgId::new))
}

/// `BPF_MAP_GET_NEXT_ID`—The smallest map ID above `start`, or `None`.
pub fn map_get_next_id(start: Option<MapId>) -> Result<Option<MapId>, SyscallError> {
    Ok(next_id(Cmd::MAP_GET_NEXT_ID, start.map_or(0, MapId::as_raw))?.map(MapId::new))
}

/// `BPF_BTF_GET_NEXT_ID`—The smallest BTF object ID above `start`, or `None`.
pub fn btf_get_next_id(start: Option<BtfId>) -> Result<Option<BtfId>, SyscallError> {
    Ok(next_id(Cmd::BTF_GET_NEXT_ID, start.map_or(0, BtfId::as_raw))?.map(BtfId::new))
}

/// `BPF_LINK_GET_NEXT_ID`—The smallest link ID above `start`, or `None`.
pub fn link_get_next_id(start: Option<LinkId>) -> Result<Option<LinkId>, SyscallError> {
    Ok(next_id(Cmd::LINK_GET_NEXT_ID, start.map_or(0, LinkId::as_raw))?.map(LinkId::new))
}

/// Runs one of the `BPF_*_GET_FD_BY_ID` commands.
fn fd_by_id(cmd: Cmd, id: u32, flags: AccessFlags) -> Result<OwnedFd> {
    let mut attr = GetIdAttr {
        id,
        open_flags: flags.bits(),
        ..Default::default()
    };
    // SAFETY: the attr holds no pointers or fds; the command returns a new fd.
    unsafe { sys_bpf_fd(cmd, &mut attr) }
}

/// `BPF_PROG_GET_FD_BY_ID`—Opens the program with this ID.
///
/// `ENOENT` means no such program. Needs `CAP_SYS_ADMIN`.
pub fn prog_get_fd_by_id(id: ProgId) -> Result<OwnedFd, SyscallError> {
    fd_by_id(Cmd::PROG_GET_FD_BY_ID, id.as_raw(), AccessFlags::empty())
}

/// `BPF_MAP_GET_FD_BY_ID`—Opens the map with this ID, with the access
/// `flags` allow.
pub fn map_get_fd_by_id(id: MapId, flags: AccessFlags) -> Result<OwnedFd, SyscallError> {
    fd_by_id(Cmd::MAP_GET_FD_BY_ID, id.as_raw(), flags)
}

/// `BPF_BTF_GET_FD_BY_ID`—Opens the BTF object with this ID.
pub fn btf_get_fd_by_id(id: BtfId) -> Result<OwnedFd, SyscallError> {
    fd_by_id(Cmd::BTF_GET_FD_BY_ID, id.as_raw(), AccessFlags::empty())
}

/// `BPF_LINK_GET_FD_BY_ID`—Opens the link with this ID.
pub fn link_get_fd_by_id(id: LinkId) -> Result<OwnedFd, SyscallError> {
    fd_by_id(Cmd::LINK_GET_FD_BY_ID, id.as_raw(), AccessFlags::empty())
}

/// `BPF_OBJ_GET_INFO_BY_FD` into `info`.
///
/// # Safety
///
/// Every pointer field of `info` is zero or points to a live, writable,
/// unaliased buffer at least as long as its length field says (in the
/// units the kernel copies), for the duration of the call.
unsafe fn obj_info<T: Info>(fd: BorrowedFd<'_>, mut info: T) -> Result<ObjInfo<T>> {
    let ptr: *mut T = &mut info;
    let mut attr = InfoAttr {
        bpf_fd: fd_u32(fd),
        info_len: std::mem::size_of::<T>() as u32,
        info: ptr as u64,
    };
    // SAFETY: `attr.info` points to `info`, a live `T` of `info_len` bytes
    // that any bytes may be written to (`Info` contract); its own pointer
    // fields are valid per the caller; the command creates no fd.
    unsafe { sys_bpf(Cmd::OBJ_GET_INFO_BY_FD, &mut attr) }?;
    Ok(ObjInfo {
        info,
        info_len: attr.info_len,
    })
}

/// `BPF_OBJ_GET_INFO_BY_FD`—Information about a program.
///
/// No arrays are requested (their counts are reported); use
/// [`prog_info_with`] for map IDs, instructions and the like.
pub fn prog_info(prog: impl AsFd) -> Result<ObjInfo<BpfProgInfo>, SyscallError> {
    // SAFETY: a default info has no pointers.
    unsafe { obj_info(prog.as_fd(), BpfProgInfo::default()) }
}

/// `BPF_OBJ_GET_INFO_BY_FD`—Information about a map.
pub fn map_info(map: impl AsFd) -> Result<ObjInfo<BpfMapInfo>, SyscallError> {
    // SAFETY: a default info has no pointers.
    unsafe { obj_info(map.as_fd(), BpfMapInfo::default()) }
}

/// `BPF_OBJ_GET_INFO_BY_FD`—Information about a BTF object, without its
/// name or data (see [`btf_info_with`]).
pub fn btf_info(btf: impl AsFd) -> Result<ObjInfo<BpfBtfInfo>, SyscallError> {
    // SAFETY: a default info has no pointers.
    unsafe { obj_info(btf.as_fd(), BpfBtfInfo::default()) }
}

/// `BPF_OBJ_GET_INFO_BY_FD`—Information about a link, without the
/// name/path/array buffers of some link types (their lengths are reported).
pub fn link_info(link: impl AsFd) -> Result<ObjInfo<BpfLinkInfo>, SyscallError> {
    // SAFETY: a default info has no pointers.
    unsafe { obj_info(link.as_fd(), BpfLinkInfo::default()) }
}

/// Buffers for the arrays [`prog_info_with`] can return.
///
/// The kernel fills each given buffer with as many entries as fit and
/// reports the full count in the matching `nr_*`/`*_len` field of the
/// returned info; call once with empty buffers to learn the sizes.
#[derive(Debug, Default)]
pub struct ProgInfoBuffers<'a> {
    /// `map_ids`—IDs of the maps the program uses.
    pub map_ids: &'a mut [MapId],
    /// `xlated_prog_insns`—The instructions after verification (raw bytes;
    /// zeroed when `kptr_restrict` hides them).
    pub xlated_prog_insns: &'a mut [u8],
    /// `jited_prog_insns`—The JIT-compiled image.
    pub jited_prog_insns: &'a mut [u8],
    /// `jited_ksyms`—Addresses of the JITed functions.
    pub jited_ksyms: &'a mut [u64],
    /// `jited_func_lens`—Lengths of the JITed functions.
    pub jited_func_lens: &'a mut [u32],
    /// `func_info`—BTF function records.
    pub func_info: &'a mut [BpfFuncInfo],
    /// `line_info`—BTF line records.
    pub line_info: &'a mut [BpfLineInfo],
    /// `jited_line_info`—Addresses of the JITed lines.
    pub jited_line_info: &'a mut [u64],
    /// `prog_tags`—Tags of the program's functions.
    pub prog_tags: &'a mut [[u8; BPF_TAG_SIZE]],
}

/// `BPF_OBJ_GET_INFO_BY_FD`—Information about a program, filling the
/// arrays given in `bufs`.
///
/// The pointer fields of the returned info point into `bufs`; they are
/// meaningless once `bufs` is gone.
pub fn prog_info_with(
    prog: impl AsFd,
    bufs: &mut ProgInfoBuffers<'_>,
) -> Result<ObjInfo<BpfProgInfo>, SyscallError> {
    const CALL: &str = "BPF_OBJ_GET_INFO_BY_FD";
    let mut info = BpfProgInfo {
        nr_map_ids: len_u32(bufs.map_ids.len(), CALL)?,
        map_ids: ptr_mut(bufs.map_ids),
        xlated_prog_len: len_u32(bufs.xlated_prog_insns.len(), CALL)?,
        xlated_prog_insns: ptr_mut(bufs.xlated_prog_insns),
        jited_prog_len: len_u32(bufs.jited_prog_insns.len(), CALL)?,
        jited_prog_insns: ptr_mut(bufs.jited_prog_insns),
        nr_jited_ksyms: len_u32(bufs.jited_ksyms.len(), CALL)?,
        jited_ksyms: ptr_mut(bufs.jited_ksyms),
        nr_jited_func_lens: len_u32(bufs.jited_func_lens.len(), CALL)?,
        jited_func_lens: ptr_mut(bufs.jited_func_lens),
        nr_func_info: len_u32(bufs.func_info.len(), CALL)?,
        func_info: ptr_mut(bufs.func_info),
        nr_line_info: len_u32(bufs.line_info.len(), CALL)?,
        line_info: ptr_mut(bufs.line_info),
        nr_jited_line_info: len_u32(bufs.jited_line_info.len(), CALL)?,
        jited_line_info: ptr_mut(bufs.jited_line_info),
        nr_prog_tags: len_u32(bufs.prog_tags.len(), CALL)?,
        prog_tags: ptr_mut(bufs.prog_tags),
        ..Default::default()
    };
    // The kernel insists on the record sizes whenever records are asked for.
    if !bufs.func_info.is_empty() {
        info.func_info_rec_size = std::mem::size_of::<BpfFuncInfo>() as u32;
    }
    if !bufs.line_info.is_empty() {
        info.line_info_rec_size = std::mem::size_of::<BpfLineInfo>() as u32;
    }
    if !bufs.jited_line_info.is_empty() {
        info.jited_line_info_rec_size = std::mem::size_of::<u64>() as u32;
    }
    // SAFETY: every pointer is null or points into an exclusively borrowed
    // buffer of `bufs` whose length (in entries of the type the kernel
    // copies, whose sizes are fixed by the uapi and passed as the record
    // sizes) is the matching count; the kernel copies at most that many.
    unsafe { obj_info(prog.as_fd(), info) }
}

/// Buffers for [`btf_info_with`].
#[derive(Debug, Default)]
pub struct BtfInfoBuffers<'a> {
    /// `name`—Receives the NUL-terminated name (truncated to fit, with
    /// `ENOSPC`).
    pub name: &'a mut [u8],
    /// `btf`—Receives the raw BTF (as much as fits).
    pub btf: &'a mut [u8],
}

/// `BPF_OBJ_GET_INFO_BY_FD`—Information about a BTF object, with its name
/// and raw data copied into `bufs`.
pub fn btf_info_with(
    btf: impl AsFd,
    bufs: &mut BtfInfoBuffers<'_>,
) -> Result<ObjInfo<BpfBtfInfo>, SyscallError> {
    const CALL: &str = "BPF_OBJ_GET_INFO_BY_FD";
    let info = BpfBtfInfo {
        name_len: len_u32(bufs.name.len(), CALL)?,
        name: ptr_mut(bufs.name),
        btf_size: len_u32(bufs.btf.len(), CALL)?,
        btf: ptr_mut(bufs.btf),
        ..Default::default()
    };
    // SAFETY: both pointers are null or point into exclusively borrowed
    // buffers of exactly the lengths given; the kernel writes at most that.
    unsafe { obj_info(btf.as_fd(), info) }
}
