//! Registering struct_ops maps: `BPF_MAP_UPDATE_ELEM` with the kernel
//! value (prog fds in the function pointer slots), then a
//! `BPF_LINK_TYPE_STRUCT_OPS` link for `BPF_F_LINK` maps, or, for legacy
//! maps, a registration undone by deleting the element.

use std::os::fd::AsFd;

use oxbpf_maps::{Map, MapError, UpdateFlags};
use oxbpf_sys::{self as sys, AttachType, LinkCreateArgs, LinkExtra};

use super::{AttachError, LegacyAttachment, Link};

/// The one key of a struct_ops map.
const KEY: [u8; 4] = 0u32.to_ne_bytes();

/// Registers `value` (the kernel's `bpf_struct_ops_<type>` layout, slots
/// already holding prog fds) through `map`. `what` names the map for
/// errors and the link's description.
pub(crate) fn register(
    map: &Map,
    value: &[u8],
    link: bool,
    what: &str,
) -> Result<Link, AttachError> {
    let action = format!("register struct_ops {what}");
    match map.update(&KEY, value, UpdateFlags::ANY) {
        Ok(()) => {}
        // A BPF_F_LINK map is updated once; after its first link is gone
        // it can be linked again without another update.
        Err(MapError::Syscall { source, .. }) if link && source.errno() == libc::EBUSY => {}
        Err(MapError::Syscall { source, .. }) => {
            return Err(match source.errno() {
                libc::EBUSY => AttachError::AlreadyAttached {
                    what: action,
                    detail: "the map is registered already".into(),
                },
                libc::EEXIST => AttachError::AlreadyAttached {
                    what: action,
                    detail: "the kernel has a struct_ops of that name registered".into(),
                },
                _ => AttachError::kernel(action, source),
            })
        }
        Err(e) => return Err(AttachError::InvalidArgument(format!("{action}: {e}"))),
    }
    if !link {
        let map = map
            .try_clone()
            .map_err(|e| AttachError::InvalidArgument(format!("{action}: {e}")))?;
        return Ok(Link::from_legacy(
            Registration { map: Some(map) },
            format!("struct_ops {what} (map update)"),
        ));
    }
    let fd = sys::link_create(&LinkCreateArgs {
        prog: map.as_fd(),
        target: None,
        attach_type: AttachType::STRUCT_OPS,
        flags: 0,
        extra: LinkExtra::None,
    })
    .map_err(|e| match e.errno() {
        libc::EEXIST => AttachError::AlreadyAttached {
            what: action.clone(),
            detail: "the kernel has a struct_ops of that name registered".into(),
        },
        _ => AttachError::kernel(action.clone(), e),
    })?;
    Ok(Link::from_bpf_link(fd, format!("struct_ops {what}")))
}

/// A legacy struct_ops registration: deleting the map's element
/// unregisters it.
#[derive(Debug)]
struct Registration {
    map: Option<Map>,
}

impl LegacyAttachment for Registration {
    fn detach(&mut self) -> Result<(), AttachError> {
        let Some(map) = self.map.take() else {
            return Ok(());
        };
        match map.delete(&KEY) {
            Ok(_) => Ok(()),
            Err(MapError::Syscall { source, .. }) => Err(AttachError::kernel(
                "unregister struct_ops (BPF_MAP_DELETE_ELEM)",
                source,
            )),
            Err(e) => Err(AttachError::InvalidArgument(e.to_string())),
        }
    }

    fn fd(&self) -> Option<std::os::fd::BorrowedFd<'_>> {
        self.map.as_ref().map(|m| m.as_fd())
    }
}
