//! `btfdump` — print BTF the way `bpftool btf dump file FILE format raw|c`
//! does.
//!
//! ```text
//! cargo run --release --example btfdump -- /sys/kernel/btf/vmlinux
//! cargo run --release --example btfdump -- module.btf --base /sys/kernel/btf/vmlinux
//! cargo run --release --example btfdump -- prog.bpf.o
//! cargo run --release --example btfdump -- --format c /sys/kernel/btf/vmlinux > vmlinux.h
//! ```
//!
//! FILE is raw BTF or an ELF object (its `.BTF` section is dumped). With
//! `--base`, FILE is split BTF on top of BASE; the raw format prints only
//! FILE's own types, the C format every type (base ones too), as bpftool
//! does. `--format c` writes a `vmlinux.h`-style header, byte-identical to
//! `bpftool btf dump file FILE format c`.

use std::io::{self, BufWriter, Write};
use std::process::ExitCode;
use std::sync::Arc;

use oxbpf::btf::Btf;

const USAGE: &str = "usage: btfdump [--format raw|c] FILE [--base BASE]\n\n\
Prints FILE's BTF exactly as `bpftool btf dump file FILE format raw` (the\n\
default) or `... format c` (a C header, e.g. vmlinux.h) does.\n\
FILE may be raw BTF (/sys/kernel/btf/*) or an ELF object with a .BTF section.";

/// The output format.
#[derive(Clone, Copy)]
enum Format {
    Raw,
    C,
}

fn main() -> ExitCode {
    let mut file = None;
    let mut base = None;
    let mut format = Format::Raw;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "-h" | "--help" => {
                println!("{USAGE}");
                return ExitCode::SUCCESS;
            }
            "--base" | "-B" => base = args.next(),
            "--format" | "-f" => match args.next().as_deref() {
                Some("raw") => format = Format::Raw,
                Some("c") => format = Format::C,
                other => {
                    eprintln!("btfdump: --format takes `raw` or `c`, not {other:?}\n\n{USAGE}");
                    return ExitCode::from(2);
                }
            },
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
    match run(&file, base.as_deref(), format) {
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

fn run(file: &str, base: Option<&str>, format: Format) -> Result<(), Box<dyn std::error::Error>> {
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
    match format {
        Format::Raw => oxbpf::btf::dump::write_raw(&btf, &mut out)?,
        Format::C => oxbpf::btf::codegen::c::write_header(&btf, &mut out)?,
    }
    out.flush()?;
    Ok(())
}
