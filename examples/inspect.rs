//! `inspect`: what is in a BPF object, and what the kernel makes of it.
//!
//! ```text
//! cargo run --example inspect -- OBJ                 # programs, maps, globals, externs
//! cargo run --example inspect -- --load OBJ          # also load it; per-program verifier stats
//! cargo run --example inspect -- --pin DIR OBJ       # load and pin every program as DIR/<name>
//! ```
//!
//! `--pin` implies `--load`; DIR must be on a BPF file system
//! (`mount -t bpf bpf DIR`). `--pin-root DIR` sets where maps pinned by
//! name live (default `/sys/fs/bpf`). `--disasm` prints each program's
//! instructions. Exits non-zero with a message on any failure.

use std::error::Error;
use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use oxbpf::loader::{
    Collection, CollectionSpec, DataSectionKind, ExternKind, LoadError, LoadOptions, SlotTarget,
};

const USAGE: &str = "\
usage: inspect [OPTIONS] OBJ

Lists the programs (section, type, attach target, instruction count), maps
(type, sizes, flags, pinning), global variables and externs of a BPF ELF
object, as oxbpf parses it.

options:
  --load           load the object and print per-program verifier stats
  --pin DIR        load, then pin every program as DIR/<program name>
  --pin-root DIR   root of maps pinned by name (default /sys/fs/bpf)
  --disasm         print each program's instructions
  --log            keep and print each program's verifier log (with --load)
  -q, --quiet      print nothing but errors (for timing)
  -h, --help       this help";

struct Args {
    object: PathBuf,
    load: bool,
    pin: Option<PathBuf>,
    pin_root: Option<PathBuf>,
    disasm: bool,
    log: bool,
    quiet: bool,
}

fn parse_args() -> Result<Option<Args>, String> {
    let mut object = None;
    let (mut load, mut disasm, mut log, mut quiet) = (false, false, false, false);
    let (mut pin, mut pin_root) = (None, None);
    let mut args = std::env::args_os().skip(1);
    while let Some(arg) = args.next() {
        match arg.to_str() {
            Some("-h" | "--help") => return Ok(None),
            Some("--load") => load = true,
            Some("--disasm") => disasm = true,
            Some("--log") => log = true,
            Some("-q" | "--quiet") => quiet = true,
            Some("--pin") => {
                pin = Some(PathBuf::from(args.next().ok_or("--pin needs a directory")?));
                load = true;
            }
            Some("--pin-root") => {
                pin_root = Some(PathBuf::from(
                    args.next().ok_or("--pin-root needs a directory")?,
                ));
            }
            Some(s) if s.starts_with('-') => return Err(format!("unknown option `{s}`")),
            _ => {
                if object.replace(PathBuf::from(arg)).is_some() {
                    return Err("more than one object given".into());
                }
            }
        }
    }
    let object = object.ok_or("no object file given")?;
    Ok(Some(Args {
        object,
        load,
        pin,
        pin_root,
        disasm,
        log,
        quiet,
    }))
}

/// `println!` that returns the write error (a closed pipe: `inspect | head`)
/// instead of panicking.
macro_rules! outln {
    ($($arg:tt)*) => {
        writeln!(std::io::stdout().lock(), $($arg)*)?
    };
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(Some(a)) => a,
        Ok(None) => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("inspect: {e}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        // The reader went away (`inspect OBJ | head`): not an error.
        Err(e)
            if e.downcast_ref::<std::io::Error>()
                .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe) =>
        {
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("inspect: {}: {}", args.object.display(), chain(e.as_ref()));
            if let Some(log) = e
                .downcast_ref::<LoadError>()
                .and_then(LoadError::verifier_log)
                .filter(|l| !l.is_empty())
            {
                eprintln!("--- verifier log ---\n{}", log.as_str().trim_end());
            }
            ExitCode::FAILURE
        }
    }
}

/// An error with its causes: "a: b: c".
fn chain(e: &dyn Error) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    while let Some(c) = cur {
        s.push_str(": ");
        s.push_str(&c.to_string());
        cur = c.source();
    }
    s
}

fn run(args: &Args) -> Result<(), Box<dyn Error>> {
    let spec = CollectionSpec::from_file(&args.object)?;
    if !args.quiet {
        print_spec(&spec, args.disasm)?;
    }
    if !args.load {
        return Ok(());
    }
    let mut opts = LoadOptions::default();
    if let Some(root) = &args.pin_root {
        opts.pin_root = root.clone();
    }
    if args.log {
        opts.log_level = oxbpf::sys::LogLevel::LEVEL1 | oxbpf::sys::LogLevel::STATS;
    }
    let coll = Collection::load(&spec, &opts)?;
    if args.quiet {
        if let Some(dir) = &args.pin {
            std::fs::create_dir_all(dir)?;
            coll.pin_programs(dir)?;
        }
        return Ok(());
    }
    outln!("\nloaded:");
    for w in coll.warnings() {
        outln!("  warning: {w}");
    }
    for p in coll.programs() {
        let info = p.info()?;
        outln!(
            "  {:<28} id {:<6} tag {}  xlated {:>6} B  jited {:>6} B  verified {:>6} insns  maps {}",
            p.name(),
            info.id.as_raw(),
            info.tag_hex(),
            info.xlated_len,
            info.jited_len,
            info.verified_insns,
            info.map_ids.len()
        );
        if let Some(log) = p.verifier_log() {
            for line in log.lines() {
                outln!("    | {line}");
            }
        }
    }
    for (name, map) in coll.maps() {
        outln!("  map {:<24} id {}", name, map.id().as_raw());
    }
    if let Some(dir) = &args.pin {
        // Like `bpftool prog loadall`, which creates its directory.
        std::fs::create_dir_all(dir)?;
        coll.pin_programs(dir)?;
        outln!(
            "pinned {} programs under {}",
            coll.programs().count(),
            dir.display()
        );
    }
    Ok(())
}

fn print_spec(spec: &CollectionSpec, disasm: bool) -> std::io::Result<()> {
    outln!(
        "object `{}`: license {:?}, kernel version {:#x}",
        spec.name,
        spec.license,
        spec.kernel_version
    );
    if !spec.unsupported.is_empty() {
        outln!("unsupported sections: {}", spec.unsupported.join(", "));
    }
    outln!("\nprograms:");
    for p in &spec.programs {
        let target = p.attach_target.as_deref().unwrap_or("-");
        let eat = p
            .expected_attach_type
            .map_or_else(|| "-".to_string(), |t| format!("{t:?}"));
        outln!(
            "  {:<28} section {:<34} {:<34} attach {:<26} target {:<20} insns {:>5}{}{}",
            p.name,
            p.section,
            format!("{:?}", p.prog_type),
            eat,
            target,
            p.insns.len(),
            if p.autoload { "" } else { "  (not autoloaded)" },
            if p.flags.is_empty() {
                String::new()
            } else {
                format!("  flags {:?}", p.flags)
            }
        );
        if !p.subprograms.is_empty() {
            let subs: Vec<_> = p
                .subprograms
                .iter()
                .map(|s| format!("{}@{}", s.name, s.offset))
                .collect();
            outln!("    subprograms: {}", subs.join(", "));
        }
        if !p.core_relos.is_empty() {
            outln!("    CO-RE relocations: {}", p.core_relos.len());
        }
        if disasm {
            for line in p.disassemble().lines() {
                outln!("    {line}");
            }
        }
    }
    outln!("\nmaps:");
    for m in &spec.maps {
        let mut extra = Vec::new();
        if !m.flags.is_empty() {
            extra.push(format!("flags {:?}", m.flags));
        }
        if m.pinning != oxbpf::maps::Pinning::None {
            extra.push(format!("pinning {:?}", m.pinning));
        }
        if let Some(n) = m.numa_node {
            extra.push(format!("numa {n}"));
        }
        if m.map_extra != 0 {
            extra.push(format!("map_extra {}", m.map_extra));
        }
        if let Some(inner) = &m.inner_map {
            extra.push(format!(
                "inner {:?} key {} value {} max {}",
                inner.map_type, inner.key_size, inner.value_size, inner.max_entries
            ));
        }
        if m.btf.is_some() {
            extra.push("btf".into());
        }
        outln!(
            "  {:<20} {:<34} key {:>4} value {:>6} max_entries {:>6}  {}",
            m.name,
            format!("{:?}", m.map_type),
            m.key_size,
            m.value_size,
            m.max_entries,
            extra.join(", ")
        );
    }
    for s in &spec.map_slots {
        let t = match &s.target {
            SlotTarget::Program(p) => format!("program {p}"),
            SlotTarget::Map(m) => format!("map {m}"),
        };
        outln!("    {}[{}] = {t}", s.map, s.index);
    }
    if !spec.struct_ops.is_empty() {
        outln!("\nstruct_ops:");
        for s in &spec.struct_ops {
            outln!(
                "  {:<20} struct {:<24} {}{}",
                s.name,
                s.type_name,
                if s.link { "bpf_link" } else { "legacy" },
                if s.autocreate { "" } else { ", not created" }
            );
            for p in &s.programs {
                outln!("    .{:<22} = {}", p.member, p.program);
            }
        }
    }
    outln!("\nglobals:");
    for d in &spec.data_sections {
        if d.kind == DataSectionKind::Kconfig {
            continue;
        }
        outln!("  {} (map {}, {:?})", d.section, d.map, d.kind);
        for v in &d.variables {
            let ty = spec
                .btf
                .as_ref()
                .map(|b| b.display(v.type_id).to_string())
                .unwrap_or_default();
            outln!(
                "    {:<24} +{:<5} {:>5} B  {}{}",
                v.name,
                v.offset,
                v.size,
                ty,
                if v.global { "" } else { "  (static)" }
            );
        }
    }
    outln!("\nexterns:");
    for e in &spec.externs {
        let kind = match &e.kind {
            ExternKind::Kconfig {
                value_type,
                offset,
                size,
                ..
            } => {
                format!("kconfig {value_type:?} ({size} B at +{offset})")
            }
            ExternKind::Ksym { type_id: None, .. } => "ksym (typeless: kallsyms address)".into(),
            ExternKind::Ksym {
                type_id: Some(t),
                func: true,
            } => {
                let proto = spec
                    .btf
                    .as_ref()
                    .map(|b| b.display(*t).to_string())
                    .unwrap_or_default();
                format!("kfunc {proto}")
            }
            ExternKind::Ksym {
                type_id: Some(t),
                func: false,
            } => {
                let ty = spec
                    .btf
                    .as_ref()
                    .map(|b| b.display(*t).to_string())
                    .unwrap_or_default();
                format!("ksym variable: {ty}")
            }
            _ => "?".into(),
        };
        outln!(
            "  {:<30} {}{}",
            e.name,
            kind,
            if e.weak { " (weak)" } else { "" }
        );
    }
    Ok(())
}
