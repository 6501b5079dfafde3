//! Socket-level attachment and interface names: `SO_ATTACH_BPF` /
//! `SO_DETACH_BPF`, `if_nametoindex(3)` / `if_indextoname(3)`, and the
//! `TCP_CONGESTION` option that selects a (BPF struct_ops) congestion
//! control.

use std::ffi::CString;
use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd};

use crate::error::SyscallError;

/// `SO_ATTACH_BPF` (`asm-generic/socket.h`).
const SO_ATTACH_BPF: libc::c_int = 50;
/// `SO_DETACH_BPF` (= `SO_DETACH_FILTER`).
const SO_DETACH_BPF: libc::c_int = 27;
/// `IF_NAMESIZE`—Interface names are at most 15 bytes plus the NUL.
pub const IF_NAMESIZE: usize = 16;

/// `setsockopt(socket, SOL_SOCKET, SO_ATTACH_BPF, &prog_fd)`—Attaches a
/// `SOCKET_FILTER` program to a socket, replacing any filter it had. The
/// program's return value is how many bytes of each packet to keep (0
/// drops it).
///
/// # Minimum kernel version
///
/// 3.19
pub fn socket_attach_bpf(socket: impl AsFd, prog: impl AsFd) -> Result<(), SyscallError> {
    let prog_fd: libc::c_int = prog.as_fd().as_raw_fd();
    let ptr: *const libc::c_int = &prog_fd;
    // SAFETY: `ptr` points to a live int whose size is passed; both fds
    // are borrowed, so open for the call.
    let ret = unsafe {
        libc::setsockopt(
            socket.as_fd().as_raw_fd(),
            libc::SOL_SOCKET,
            SO_ATTACH_BPF,
            ptr.cast(),
            std::mem::size_of::<libc::c_int>() as libc::socklen_t,
        )
    };
    if ret < 0 {
        return Err(SyscallError::last_os_error("SO_ATTACH_BPF"));
    }
    Ok(())
}

/// `setsockopt(socket, SOL_SOCKET, SO_DETACH_BPF)`—Removes the socket's
/// filter (classic or BPF). `ENOENT` if it had none.
///
/// # Minimum kernel version
///
/// 3.19
pub fn socket_detach_bpf(socket: impl AsFd) -> Result<(), SyscallError> {
    let dummy: libc::c_int = 0;
    let ptr: *const libc::c_int = &dummy;
    // SAFETY: `ptr` points to a live int whose size is passed (the kernel
    // ignores the value); the fd is borrowed, so open for the call.
    let ret = unsafe {
        libc::setsockopt(
            socket.as_fd().as_raw_fd(),
            libc::SOL_SOCKET,
            SO_DETACH_BPF,
            ptr.cast(),
            std::mem::size_of::<libc::c_int>() as libc::socklen_t,
        )
    };
    if ret < 0 {
        return Err(SyscallError::last_os_error("SO_DETACH_BPF"));
    }
    Ok(())
}

/// `if_nametoindex(name)`—The index of the network interface `name` in
/// the calling thread's network namespace. `ENODEV` if there is none.
pub fn if_nametoindex(name: &str) -> io::Result<u32> {
    if name.is_empty() || name.len() >= IF_NAMESIZE {
        return Err(io::Error::from_raw_os_error(libc::ENODEV));
    }
    let c = CString::new(name).map_err(|_| io::Error::from_raw_os_error(libc::ENODEV))?;
    // SAFETY: `c` is a NUL-terminated string alive for the call.
    let index = unsafe { libc::if_nametoindex(c.as_ptr()) };
    if index == 0 {
        let err = io::Error::last_os_error();
        // glibc reports ENODEV; some libcs leave errno at 0.
        return Err(match err.raw_os_error() {
            Some(0) | None => io::Error::from_raw_os_error(libc::ENODEV),
            _ => err,
        });
    }
    Ok(index)
}

/// `if_indextoname(index)`—The name of interface `index` in the calling
/// thread's network namespace. `ENXIO` if there is none.
pub fn if_indextoname(index: u32) -> io::Result<String> {
    let mut buf = [0 as libc::c_char; IF_NAMESIZE];
    // SAFETY: `buf` is a writable buffer of IF_NAMESIZE bytes, which is
    // what `if_indextoname` writes at most.
    let ret = unsafe { libc::if_indextoname(index, buf.as_mut_ptr()) };
    if ret.is_null() {
        return Err(io::Error::last_os_error());
    }
    let bytes: Vec<u8> = buf
        .iter()
        .take_while(|&&c| c != 0)
        .map(|&c| c as u8)
        .collect();
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

/// The `SO_COOKIE` of a socket: its kernel-wide 64-bit identity (what
/// `bpf_get_socket_cookie` returns and sockmaps report).
///
/// # Minimum kernel version
///
/// 4.12
pub fn socket_cookie(socket: BorrowedFd<'_>) -> io::Result<u64> {
    let mut cookie: u64 = 0;
    let mut len = std::mem::size_of::<u64>() as libc::socklen_t;
    let ptr: *mut u64 = &mut cookie;
    // SAFETY: `ptr` points to a writable u64 and `len` holds its size; the
    // kernel writes at most `len` bytes. The fd is borrowed, so open.
    let ret = unsafe {
        libc::getsockopt(
            socket.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_COOKIE,
            ptr.cast(),
            &mut len,
        )
    };
    if ret < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(cookie)
}

/// `TCP_CA_NAME_MAX`—Congestion control names are at most 15 bytes.
const TCP_CA_NAME_MAX: usize = 16;

/// `setsockopt(socket, IPPROTO_TCP, TCP_CONGESTION, name)`—Selects the
/// socket's TCP congestion control by name (`cubic`, or one a BPF
/// struct_ops map registered). `ENOENT` if no such algorithm is
/// registered; without `CAP_NET_ADMIN`, only those in
/// `net.ipv4.tcp_allowed_congestion_control`.
///
/// # Minimum kernel version
///
/// 2.6.13
pub fn set_tcp_congestion(socket: impl AsFd, name: &str) -> io::Result<()> {
    if name.len() >= TCP_CA_NAME_MAX || name.contains('\0') {
        return Err(io::Error::from_raw_os_error(libc::EINVAL));
    }
    let ptr: *const u8 = name.as_ptr();
    // SAFETY: `ptr` points to `name.len()` readable bytes, the length
    // passed; the fd is borrowed, so open for the call.
    let ret = unsafe {
        libc::setsockopt(
            socket.as_fd().as_raw_fd(),
            libc::IPPROTO_TCP,
            libc::TCP_CONGESTION,
            ptr.cast(),
            name.len() as libc::socklen_t,
        )
    };
    if ret < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// `getsockopt(socket, IPPROTO_TCP, TCP_CONGESTION)`—The name of the
/// socket's TCP congestion control.
///
/// # Minimum kernel version
///
/// 2.6.13
pub fn tcp_congestion(socket: impl AsFd) -> io::Result<String> {
    let mut buf = [0u8; TCP_CA_NAME_MAX];
    let mut len = buf.len() as libc::socklen_t;
    let ptr: *mut u8 = buf.as_mut_ptr();
    // SAFETY: `ptr` points to `len` writable bytes and the kernel writes
    // at most `len`; the fd is borrowed, so open for the call.
    let ret = unsafe {
        libc::getsockopt(
            socket.as_fd().as_raw_fd(),
            libc::IPPROTO_TCP,
            libc::TCP_CONGESTION,
            ptr.cast(),
            &mut len,
        )
    };
    if ret < 0 {
        return Err(io::Error::last_os_error());
    }
    let got = buf.get(..len as usize).unwrap_or(&buf);
    let end = got.iter().position(|&b| b == 0).unwrap_or(got.len());
    Ok(String::from_utf8_lossy(got.get(..end).unwrap_or_default()).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_index_and_name() {
        let index = if_nametoindex("lo").unwrap();
        assert!(index >= 1);
        assert_eq!(if_indextoname(index).unwrap(), "lo");
        let err = if_nametoindex("oxbpf-nope0").unwrap_err();
        assert_eq!(err.raw_os_error(), Some(libc::ENODEV));
        assert!(if_nametoindex("a-name-far-too-long-for-linux").is_err());
        assert!(if_nametoindex("").is_err());
        assert!(if_indextoname(u32::MAX).is_err());
    }

    #[test]
    fn detach_without_filter_is_enoent() {
        let sock = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        let err = socket_detach_bpf(&sock).unwrap_err();
        assert_eq!(err.errno(), libc::ENOENT);
        assert_eq!(err.call, "SO_DETACH_BPF");
        assert!(socket_cookie(sock.as_fd()).unwrap() != 0);
    }
}
