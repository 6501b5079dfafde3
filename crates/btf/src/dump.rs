//! Text dumps of BTF.
//!
//! [`write_raw`] prints exactly what `bpftool btf dump file FILE format raw`
//! prints (bpftool v7.1, `dump_btf_type` in src/btf.c), so the two can be
//! diffed.

use std::io::{self, Write};

use crate::{Btf, Linkage, Type, TypeId};

/// Writes every own type of `btf` (for split BTF, not the base's) in
/// bpftool's raw format.
///
/// ```
/// use oxbpf_btf::{Btf, BtfBuilder, IntEncoding};
/// let mut b = BtfBuilder::new();
/// let int = b.add_int("int", 4, IntEncoding::Signed);
/// b.add_ptr(int);
/// let btf = Btf::parse_owned(b.to_bytes()?)?;
/// let mut out = Vec::new();
/// oxbpf_btf::dump::write_raw(&btf, &mut out)?;
/// assert_eq!(
///     String::from_utf8(out)?,
///     "[1] INT 'int' size=4 bits_offset=0 nr_bits=32 encoding=SIGNED\n[2] PTR '(anon)' type_id=1\n"
/// );
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn write_raw(btf: &Btf<'_>, out: &mut impl Write) -> io::Result<()> {
    for id in btf.own_ids() {
        write_raw_type(btf, id, out)?;
    }
    Ok(())
}

fn quoted(name: &str) -> &str {
    if name.is_empty() {
        "(anon)"
    } else {
        name
    }
}

/// Writes type `id` as `bpftool btf dump ... format raw` prints it.
pub fn write_raw_type(btf: &Btf<'_>, id: TypeId, out: &mut impl Write) -> io::Result<()> {
    let Some(t) = btf.type_by_id(id) else {
        return Ok(());
    };
    let kind = match t {
        Type::Unknown(_) => "UNKNOWN",
        _ => t.kind().name(),
    };
    // bpftool prints "(anon)" for name offset 0 only; a non-zero offset to
    // an empty string prints ''.
    let name = if btf.name_offset(id).0 == 0 {
        "(anon)"
    } else {
        t.name()
    };
    write!(out, "[{id}] {kind} '{name}'")?;
    match t {
        Type::Int(i) => {
            let enc = match i.encoding.raw() {
                0 => "(none)",
                1 => "SIGNED",
                2 => "CHAR",
                4 => "BOOL",
                _ => "UNKN",
            };
            write!(
                out,
                " size={} bits_offset={} nr_bits={} encoding={enc}",
                i.size, i.bit_offset, i.bits
            )?;
        }
        Type::Ptr(r)
        | Type::Const(r)
        | Type::Volatile(r)
        | Type::Restrict(r)
        | Type::Typedef(r)
        | Type::TypeTag(r) => {
            write!(out, " type_id={}", r.target)?;
        }
        Type::Array(a) => write!(
            out,
            " type_id={} index_type_id={} nr_elems={}",
            a.elem, a.index, a.len
        )?,
        Type::Struct(c) | Type::Union(c) => {
            write!(out, " size={} vlen={}", c.size, c.len())?;
            for m in c.members() {
                write!(
                    out,
                    "\n\t'{}' type_id={} bits_offset={}",
                    quoted(m.name),
                    m.ty,
                    m.offset.0
                )?;
                if let Some(b) = m.bitfield_size {
                    write!(out, " bitfield_size={b}")?;
                }
            }
        }
        Type::Enum(e) | Type::Enum64(e) => {
            let enc = if e.signed { "SIGNED" } else { "UNSIGNED" };
            write!(out, " encoding={enc} size={} vlen={}", e.size, e.len())?;
            for v in e.values() {
                let n = quoted(v.name);
                match (e.is_64(), e.signed) {
                    (false, true) => write!(out, "\n\t'{n}' val={}", v.value as i64 as i32)?,
                    (false, false) => write!(out, "\n\t'{n}' val={}", v.value as u32)?,
                    (true, true) => write!(out, "\n\t'{n}' val={}LL", v.value as i64)?,
                    (true, false) => write!(out, "\n\t'{n}' val={}ULL", v.value)?,
                }
            }
        }
        Type::Fwd(f) => write!(
            out,
            " fwd_kind={}",
            if f.is_union { "union" } else { "struct" }
        )?,
        Type::Func(f) => write!(
            out,
            " type_id={} linkage={}",
            f.proto,
            f.linkage.map_or("(unknown)", Linkage::name)
        )?,
        Type::FuncProto(p) => {
            write!(out, " ret_type_id={} vlen={}", p.ret, p.len())?;
            for prm in p.params() {
                write!(out, "\n\t'{}' type_id={}", quoted(prm.name), prm.ty)?;
            }
        }
        Type::Var(v) => write!(
            out,
            " type_id={}, linkage={}",
            v.ty,
            v.linkage.map_or("(unknown)", Linkage::name)
        )?,
        Type::Datasec(d) => {
            write!(out, " size={} vlen={}", d.size, d.len())?;
            for v in d.vars() {
                write!(
                    out,
                    "\n\ttype_id={} offset={} size={}",
                    v.ty, v.offset, v.size
                )?;
                if let Some(vt) = btf.type_by_id(v.ty) {
                    let kind = match vt {
                        Type::Unknown(_) => "UNKNOWN",
                        _ => vt.kind().name(),
                    };
                    let name = if btf.name_offset(v.ty).0 == 0 {
                        "(anon)"
                    } else {
                        vt.name()
                    };
                    write!(out, " ({kind} '{name}')")?;
                }
            }
        }
        Type::Float(f) => write!(out, " size={}", f.size)?,
        Type::DeclTag(d) => write!(
            out,
            " type_id={} component_idx={}",
            d.target, d.component_idx
        )?,
        Type::Void | Type::Unknown(_) => {}
    }
    writeln!(out)
}
