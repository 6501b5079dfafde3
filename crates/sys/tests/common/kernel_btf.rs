//! What the running kernel says about itself in its BTF
//! (`/sys/kernel/btf/vmlinux`), for the tests that adapt to the kernel.
//!
//! A kernel's BTF describes the `union bpf_attr`, the `struct bpf_*_info`
//! and the enums (`bpf_map_type`, `bpf_attach_type`, ...) it was built
//! with, so it answers exactly which uapi additions this kernel knows. A
//! test of an addition asks it first: where the kernel has the addition,
//! the test proves it works; where it does not, the test asserts the
//! kernel's exact refusal (never a silent pass). The code under test
//! never asks these questions (the syscall layer and the maps read no
//! kernel BTF; the loader reads it for other things), so the answer does
//! not depend on what is being tested.
//!
//! Every kernel of `scripts/kernel-matrix` (Debian 6.1 and 6.12) and the
//! 6.18 development host have BTF; on a kernel without it these helpers
//! panic with the reason.
//!
//! One copy, shared through `#[path]` by the test helpers of oxbpf-sys
//! (`crates/sys/tests/common`), oxbpf-maps (`crates/maps/tests/common`)
//! and the loader (`tests/loader_common`).

#![allow(dead_code)] // each test binary uses a different subset

use std::io::Write;
use std::sync::OnceLock;

use oxbpf_btf::{Btf, Composite, Type};

/// The running kernel's BTF, parsed once per test binary.
pub fn kernel_btf() -> &'static Btf<'static> {
    static BTF: OnceLock<Btf<'static>> = OnceLock::new();
    BTF.get_or_init(|| {
        Btf::kernel().unwrap_or_else(|e| {
            panic!(
                "reading the kernel's BTF ({}): {e}; these tests ask it which bpf \
                 uapi this kernel has (CONFIG_DEBUG_INFO_BTF)",
                oxbpf_btf::KERNEL_BTF_PATH
            )
        })
    })
}

/// The kernel's struct or union called `name` (panics if there is none:
/// every name asked for is part of the bpf uapi).
fn composite(name: &str) -> Composite<'static> {
    let btf = kernel_btf();
    btf.ids_by_name(name)
        .into_iter()
        .find_map(|id| match btf.type_by_id(id) {
            Some(Type::Struct(c) | Type::Union(c)) => Some(c),
            _ => None,
        })
        .unwrap_or_else(|| panic!("the kernel's BTF has no struct or union `{name}`"))
}

/// Whether `c` has a member `member`, directly or inside one of its
/// anonymous struct or union members (where `union bpf_attr` keeps the
/// fields of each command).
fn has_member(c: &Composite<'static>, member: &str) -> bool {
    let btf = kernel_btf();
    c.members().any(|m| {
        m.name == member
            || (m.name.is_empty()
                && matches!(
                    btf.resolve_type(m.ty),
                    Ok((_, Type::Struct(inner) | Type::Union(inner))) if has_member(&inner, member)
                ))
    })
}

/// Whether the kernel's struct or union `ty` (`bpf_attr`, `bpf_link_info`,
/// ...) has a member called `member`, looking through anonymous members:
/// `kernel_has_member("bpf_attr", "log_true_size")` is true from 6.4 on.
pub fn kernel_has_member(ty: &str, member: &str) -> bool {
    has_member(&composite(ty), member)
}

/// `sizeof` the kernel's struct or union `ty`: what the kernel writes of
/// a `struct bpf_map_info`, the largest `union bpf_attr` it reads.
pub fn kernel_sizeof(ty: &str) -> usize {
    composite(ty).size as usize
}

/// Whether the kernel's `enum ty` has the enumerator `value`:
/// `kernel_has_enumerator("bpf_map_type", "BPF_MAP_TYPE_ARENA")`.
pub fn kernel_has_enumerator(ty: &str, value: &str) -> bool {
    let btf = kernel_btf();
    let e = btf
        .ids_by_name(ty)
        .into_iter()
        .find_map(|id| match btf.type_by_id(id) {
            Some(Type::Enum(e) | Type::Enum64(e)) => Some(e),
            _ => None,
        })
        .unwrap_or_else(|| panic!("the kernel's BTF has no enum `{ty}`"));
    e.values().any(|v| v.name == value)
}

/// Prints `matrix: TEXT` straight to stderr, past the test harness's
/// capture, so that the run shows what a test proved or asserted on this
/// kernel (`scripts/kernel-matrix` lists these lines per kernel).
pub fn kernel_note(text: &str) {
    // One write, so that the line is not split by the harness's output.
    let line = format!("matrix: {text}\n");
    let _ = std::io::stderr().write_all(line.as_bytes());
}
