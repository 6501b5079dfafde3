//! struct_ops maps against the running kernel: libbpf's
//! `find_struct_ops_kern_types` and `bpf_map__init_kern_struct_ops`.
//!
//! The object's struct (`struct tcp_congestion_ops` as the object was
//! compiled) is matched to the kernel's by member name: plain members are
//! copied into the kernel's layout (sizes must agree), function pointer
//! members set to programs become prog fd slots, and each program learns
//! the kernel struct and member it implements (`attach_btf_id` and
//! `expected_attach_type` of its `BPF_PROG_LOAD`).

use oxbpf_btf::{Btf, Kind, Type, TypeId};

use crate::error::LoadError;
use crate::kernel_btf::{KernelBtf, Origin};
use crate::object::is_func_ptr;
use crate::spec::StructOpsSpec;

/// A struct_ops map resolved against the kernel's BTF.
#[derive(Debug, Clone)]
pub(crate) struct StructOpsPlan {
    /// The map's name.
    pub(crate) name: String,
    /// The struct's name (`tcp_congestion_ops`).
    pub(crate) type_name: String,
    /// `BPF_F_LINK`
    pub(crate) link: bool,
    /// The kernel's `bpf_struct_ops_<type>`: `btf_vmlinux_value_type_id`.
    pub(crate) vtype_id: TypeId,
    /// The module whose BTF holds the types, if not vmlinux.
    pub(crate) module: Option<usize>,
    /// The map's value in the kernel's layout, prog fd slots zero.
    pub(crate) value: Vec<u8>,
    /// Byte offsets in `value` of the prog fd slots, and their programs.
    pub(crate) slots: Vec<(usize, String)>,
}

/// What a struct_ops program is loaded against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct StructOpsAttach {
    /// The kernel struct (`attach_btf_id`).
    pub(crate) type_id: TypeId,
    /// The member's index in it (`expected_attach_type`).
    pub(crate) member: u32,
    /// The module whose BTF holds the struct (`attach_btf_obj_fd`).
    pub(crate) module: Option<usize>,
}

/// Resolves `spec` against the kernel, returning the plan and, for every
/// program it uses, what that program implements.
pub(crate) fn plan(
    spec: &StructOpsSpec,
    local: &Btf<'_>,
    kernel: &mut KernelBtf,
) -> Result<(StructOpsPlan, Vec<(String, StructOpsAttach)>), LoadError> {
    let err = |reason: String| LoadError::StructOps {
        map: spec.name.clone(),
        reason,
    };
    let tname = spec.type_name.as_str();
    let (origin, kern_type_id) = kernel
        .find(tname, Kind::Struct)?
        .ok_or_else(|| err(format!("struct {tname} is not in the kernel's BTF")))?;
    let module = match origin {
        Origin::Vmlinux => None,
        Origin::Module(i) => Some(i),
    };
    let kbtf = kernel.btf(origin)?;
    let vname = format!("bpf_struct_ops_{tname}");
    let vtype_id = kbtf
        .ids_by_name(&vname)
        .into_iter()
        .find(|&id| kbtf.kind(id) == Some(Kind::Struct))
        .ok_or_else(|| {
            err(format!(
                "the kernel has no `struct {vname}`: it does not let BPF implement struct {tname}"
            ))
        })?;
    let Some(Type::Struct(vtype)) = kbtf.type_by_id(vtype_id) else {
        return Err(err(format!("struct {vname} is not a struct")));
    };
    let data_off = vtype
        .members()
        .find(|m| m.ty == kern_type_id)
        .map(|m| m.offset.bytes() as usize)
        .ok_or_else(|| {
            err(format!(
                "struct {vname} has no member of type struct {tname}"
            ))
        })?;
    let Some(Type::Struct(ktype)) = kbtf.type_by_id(kern_type_id) else {
        return Err(err(format!("struct {tname} is not a struct in the kernel")));
    };
    let Some(Type::Struct(ltype)) = local.type_by_id(spec.type_id) else {
        return Err(err(format!(
            "type [{}] of the object is not a struct",
            spec.type_id
        )));
    };
    let mut value = vec![0u8; vtype.size as usize];
    let mut slots = Vec::new();
    let mut progs = Vec::new();
    for m in ltype.members() {
        let moff = m.offset.bytes() as usize;
        let lsize = local.size_of(m.ty).ok();
        let ldata = lsize.and_then(|n| spec.data.get(moff..moff + n as usize));
        let prog = spec
            .programs
            .iter()
            .find(|p| p.offset as usize == moff && p.member == m.name);
        let Some((kidx, km)) = ktype
            .members()
            .enumerate()
            .find(|(_, k)| !m.name.is_empty() && k.name == m.name)
        else {
            // libbpf: a member the kernel lacks is fine while it is unset.
            if prog.is_none() && ldata.is_none_or_zero() {
                continue;
            }
            return Err(err(format!(
                "member `{}` is set but struct {tname} of this kernel has no such member",
                m.name
            )));
        };
        if m.bitfield_size.is_some() || km.bitfield_size.is_some() {
            if prog.is_none() && ldata.is_none_or_zero() {
                continue;
            }
            return Err(err(format!(
                "member `{}`: bitfields are not supported",
                m.name
            )));
        }
        let kmoff = km.offset.bytes() as usize;
        let lkind = local.resolve_type(m.ty).map(|(_, t)| t.kind()).ok();
        let kkind = kbtf.resolve_type(km.ty).map(|(_, t)| t.kind()).ok();
        if lkind != kkind {
            return Err(err(format!(
                "member `{}`: the object's is {}, the kernel's {}",
                m.name,
                lkind.map_or("?", |k| k.name()),
                kkind.map_or("?", |k| k.name())
            )));
        }
        if lkind == Some(Kind::Ptr) {
            let Some(prog) = prog else {
                continue;
            };
            if !is_func_ptr(kbtf, km.ty) {
                return Err(err(format!(
                    "member `{}` is not a function pointer in the kernel",
                    m.name
                )));
            }
            slots.push((data_off + kmoff, prog.program.clone()));
            progs.push((
                prog.program.clone(),
                StructOpsAttach {
                    type_id: kern_type_id,
                    member: kidx as u32,
                    module,
                },
            ));
            continue;
        }
        let ksize = kbtf.size_of(km.ty).ok();
        let (Some(n), true) = (lsize, lsize == ksize) else {
            return Err(err(format!(
                "member `{}`: {} bytes in the object, {} in the kernel",
                m.name,
                lsize.map_or("?".into(), |n| n.to_string()),
                ksize.map_or("?".into(), |n| n.to_string())
            )));
        };
        let src = ldata.ok_or_else(|| {
            err(format!(
                "member `{}` is outside the variable's bytes",
                m.name
            ))
        })?;
        let dst = value
            .get_mut(data_off + kmoff..data_off + kmoff + n as usize)
            .ok_or_else(|| err(format!("member `{}` is outside struct {vname}", m.name)))?;
        dst.copy_from_slice(src);
    }
    for p in &spec.programs {
        if !slots.iter().any(|(_, name)| *name == p.program) {
            return Err(err(format!(
                "program `{}` is set for member `{}`, which is not a function pointer member here",
                p.program, p.member
            )));
        }
    }
    Ok((
        StructOpsPlan {
            name: spec.name.clone(),
            type_name: spec.type_name.clone(),
            link: spec.link,
            vtype_id,
            module,
            value,
            slots,
        },
        progs,
    ))
}

trait ZeroedExt {
    fn is_none_or_zero(&self) -> bool;
}

impl ZeroedExt for Option<&[u8]> {
    /// libbpf's `libbpf_is_mem_zeroed` (an unknown size counts as unset).
    fn is_none_or_zero(&self) -> bool {
        self.map_or(true, |d| d.iter().all(|&b| b == 0))
    }
}
