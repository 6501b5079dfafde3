//! `btf2rust` — Rust bindings for BTF types, checked against that BTF.
//!
//! ```text
//! cargo run --example btf2rust -- task_struct sk_buff > src/vmlinux.rs
//! cargo run --example btf2rust -- --btf prog.bpf.o event
//! cargo run --example btf2rust -- --btf module.btf --base /sys/kernel/btf/vmlinux 'struct foo'
//! ```
//!
//! Prints `#[repr(C)]` definitions with `#[derive(oxbpf::BtfStruct)]` of
//! each TYPE and of every type it contains (see
//! `oxbpf::btf::codegen::rust` for the conventions: explicit padding,
//! bitfield accessors, kernel pointers as `u64`, names for anonymous
//! types). A TYPE is `struct NAME`, `union NAME`, `enum NAME`,
//! `typedef NAME` or a bare NAME. The BTF is `/sys/kernel/btf/vmlinux`
//! unless `--btf FILE` names raw BTF or an ELF object (its `.BTF`
//! section). Each generated type can then be checked against the BTF it
//! came from:
//!
//! ```ignore
//! mod vmlinux; // the output
//! let btf = oxbpf::btf::Btf::kernel()?;
//! oxbpf::btf::layout::validate_named::<vmlinux::task_struct>(&btf)?;
//! ```

use std::io::Write;
use std::process::ExitCode;
use std::sync::Arc;

use oxbpf::btf::codegen::rust::{generate, RustOptions};
use oxbpf::btf::{Btf, KERNEL_BTF_PATH};

const USAGE: &str = "usage: btf2rust [--btf FILE [--base BASE]] [--crate PATH] TYPE...\n\n\
Prints Rust bindings (#[derive(BtfStruct)]) for each TYPE and what it contains.\n\
FILE (default /sys/kernel/btf/vmlinux) is raw BTF or an ELF object with a .BTF\n\
section; BASE is the base of split BTF. PATH is the path of the oxbpf crate in\n\
the generated code (default ::oxbpf). TYPE is `struct NAME`, `union NAME`,\n\
`enum NAME`, `typedef NAME` or NAME.";

fn main() -> ExitCode {
    let mut btf_path = None;
    let mut base = None;
    let mut crate_path = None;
    let mut types = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "-h" | "--help" => {
                println!("{USAGE}");
                return ExitCode::SUCCESS;
            }
            "--btf" => btf_path = args.next(),
            "--base" | "-B" => base = args.next(),
            "--crate" => crate_path = args.next(),
            _ if a.starts_with('-') => {
                eprintln!("btf2rust: unknown option `{a}`\n\n{USAGE}");
                return ExitCode::from(2);
            }
            _ => types.push(a),
        }
    }
    if types.is_empty() {
        eprintln!("{USAGE}");
        return ExitCode::from(2);
    }
    let file = btf_path.unwrap_or_else(|| KERNEL_BTF_PATH.to_string());
    match run(&file, base.as_deref(), crate_path, &types) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("btf2rust: {e}");
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

fn run(
    file: &str,
    base: Option<&str>,
    crate_path: Option<String>,
    types: &[String],
) -> Result<(), Box<dyn std::error::Error>> {
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
    let mut opts = RustOptions {
        source: Some(file.to_string()),
        ..RustOptions::default()
    };
    if let Some(p) = crate_path {
        opts.crate_path = p;
    }
    let names: Vec<&str> = types.iter().map(String::as_str).collect();
    let bindings = generate(&btf, &names, &opts)?;
    let mut out = std::io::stdout().lock();
    out.write_all(bindings.code.as_bytes())?;
    out.flush()?;
    eprintln!(
        "btf2rust: {} types for {} requested",
        bindings.items.len(),
        types.len()
    );
    Ok(())
}
