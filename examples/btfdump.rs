//! `btfdump` — print BTF the way `bpftool btf dump file FILE format raw` does.
//!
//! ```text
//! cargo run --release --example btfdump -- /sys/kernel/btf/vmlinux
//! cargo run --release --example btfdump -- module.btf --base /sys/kernel/btf/vmlinux
//! cargo run --release --example btfdump -- prog.bpf.o
//! ```
//!
//! FILE is raw BTF or an ELF object (its `.BTF` section is dumped). With
//! `--base`, FILE is split BTF on top of BASE and only FILE's own types are
//! printed, as bpftool does.

use std::io::{self, BufWriter, Write};
use std::process::ExitCode;
use std::sync::Arc;

use oxbpf::btf::{Btf, Linkage, Type, TypeId};

const USAGE: &str = "usage: btfdump FILE [--base BASE]\n\n\
Prints FILE's BTF exactly as `bpftool btf dump file FILE format raw` does.\n\
FILE may be raw BTF (/sys/kernel/btf/*) or an ELF object with a .BTF section.";

fn main() -> ExitCode {
    let mut file = None;
    let mut base = None;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "-h" | "--help" => {
                println!("{USAGE}");
                return ExitCode::SUCCESS;
            }
            "--base" | "-B" => base = args.next(),
            _ if file.is_none() => file = Some(a),
            _ => {
                eprintln!("btfdump: unexpected argument `{a}`\n\n{USAGE}");
                return ExitCode::from(2);
            }
        }
    }
    let Some(file) = file else {
        eprintln!("{USAGE}");
        return ExitCode::from(2);
    };
    match run(&file, base.as_deref()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("btfdump: {e}");
            let mut src = e.source();
            while let Some(s) = src {
                eprintln!("  caused by: {s}");
                src = s.source();
            }
            ExitCode::FAILURE
        }
    }
}

/// Reads a file's raw BTF: the whole file, or the `.BTF` section of an ELF.
fn btf_bytes(path: &str) -> Result<Vec<u8>, Box<dyn std::error::Error>> {
    let data = std::fs::read(path).map_err(|e| format!("reading {path}: {e}"))?;
    if data.starts_with(b"\x7fELF") {
        use object::{Object, ObjectSection};
        let elf = object::File::parse(&*data).map_err(|e| format!("{path}: {e}"))?;
        let sec = elf
            .section_by_name(".BTF")
            .ok_or_else(|| format!("{path}: no .BTF section"))?;
        return Ok(sec
            .data()
            .map_err(|e| format!("{path}: .BTF: {e}"))?
            .to_vec());
    }
    Ok(data)
}

fn run(file: &str, base: Option<&str>) -> Result<(), Box<dyn std::error::Error>> {
    let base = match base {
        Some(b) => Some(Arc::new(
            Btf::parse_owned(btf_bytes(b)?).map_err(|e| format!("{b}: {e}"))?,
        )),
        None => None,
    };
    let bytes = btf_bytes(file)?;
    let btf = match base {
        Some(b) => Btf::parse_split(&bytes, b),
        None => Btf::parse(&bytes),
    }
    .map_err(|e| format!("{file}: {e}"))?;
    let mut out = BufWriter::with_capacity(1 << 16, io::stdout().lock());
    for id in btf.own_ids() {
        dump_type(&btf, id, &mut out)?;
    }
    out.flush()?;
    Ok(())
}

fn quoted(name: &str) -> &str {
    if name.is_empty() {
        "(anon)"
    } else {
        name
    }
}

fn dump_type(btf: &Btf<'_>, id: TypeId, out: &mut impl Write) -> io::Result<()> {
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
