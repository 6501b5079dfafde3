//! `BPF_BTF_LOAD`.

use std::os::fd::{AsRawFd, BorrowedFd, OwnedFd};

use crate::attr::BtfLoadAttr;
use crate::bpf::{len_u32, ptr, sys_bpf_fd};
use crate::error::SyscallError;
use crate::flags::MapFlags;
use crate::prog::LogBuffer;
use crate::types::Cmd;

/// `BPF_BTF_LOAD`—Loads raw BTF (header, types, strings) into the kernel
/// and returns the BTF object's fd.
///
/// `log` works as for [`prog_load`](crate::prog_load): the kernel's
/// validation log goes there, and [`LogBuffer::true_size`] reports the size
/// the full log needs. With `token`, `BPF_F_TOKEN_FD` is set.
///
/// # Minimum kernel version
///
/// 4.18
pub fn btf_load(
    data: &[u8],
    token: Option<BorrowedFd<'_>>,
    log: Option<&mut LogBuffer<'_>>,
) -> Result<OwnedFd, SyscallError> {
    let mut attr = BtfLoadAttr {
        btf: ptr(data),
        btf_size: len_u32(data.len(), "BPF_BTF_LOAD")?,
        btf_flags: if token.is_some() {
            MapFlags::TOKEN_FD.bits()
        } else {
            0
        },
        btf_token_fd: token.map_or(0, |fd| fd.as_raw_fd()),
        ..Default::default()
    };
    let mut log = log;
    if let Some(log) = log.as_deref_mut() {
        let (buf, size, level) = log.raw_parts();
        attr.btf_log_buf = buf;
        attr.btf_log_size = size;
        attr.btf_log_level = level;
    }
    // SAFETY: `btf` points to `data` with its exact length, the log buffer
    // (if any) is exclusively borrowed with its exact length; both live for
    // the call; the token fd is borrowed; the command returns a new fd.
    let result = unsafe { sys_bpf_fd(Cmd::BTF_LOAD, &mut attr) };
    if let Some(log) = log {
        log.set_true_size(attr.btf_log_true_size);
    }
    result
}
