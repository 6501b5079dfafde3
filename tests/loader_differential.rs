//! Differential test against libbpf: every corpus object that libbpf
//! (through `bpftool prog loadall`) loads must load with oxbpf too, into
//! the same programs with the same translated instructions, as the kernel
//! reports them (`BPF_OBJ_GET_INFO_BY_FD`'s `xlated_prog_insns`). Map
//! references are compared by the referenced map's name, since the two
//! loads create different maps.

mod core_common;
mod loader_common;

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

use loader_common::{bpffs, corpus_path, require_kernel};
use oxbpf::loader::insn::{pseudo, Insn};
use oxbpf::loader::{Collection, CollectionSpec, CoreBtf, LoadOptions, Program};
use oxbpf::maps::Map;
use oxbpf::sys::MapId;

/// The objects libbpf 1.1 (Debian's bpftool) loads on this kernel; they
/// must load with both and agree. The other corpus objects use what libbpf
/// 1.1 refuses (`?` sections cannot be pinned by `loadall`, legacy `maps`,
/// `.bss.*`, pinning under /sys/fs/bpf, a failing program).
const MUST_AGREE: &[&str] = &["progs", "maps", "globals", "externs", "tracing"];

fn require_bpftool() -> bool {
    match Command::new("bpftool").arg("version").output() {
        Ok(o) if o.status.success() => true,
        r => {
            let why = match r {
                Ok(o) => String::from_utf8_lossy(&o.stderr).into_owned(),
                Err(e) => e.to_string(),
            };
            if std::env::var_os("OXBPF_ALLOW_SKIP").is_some() {
                eprintln!(
                    "SKIP differential test: bpftool unavailable: {why} (OXBPF_ALLOW_SKIP is set)"
                );
                false
            } else {
                panic!("bpftool unavailable: {why}; install bpftool or set OXBPF_ALLOW_SKIP=1");
            }
        }
    }
}

/// The program's translated instructions, one line each, with map ids
/// replaced by map names.
fn xlated(p: &Program) -> Vec<String> {
    let insns = p.xlated_insns().unwrap();
    assert!(
        !insns.is_empty(),
        "{}: no xlated instructions (kptr_restrict?)",
        p.name()
    );
    let mut out = Vec::with_capacity(insns.len());
    let mut i = 0;
    while let Some(insn) = insns.get(i) {
        let next = insns.get(i + 1).copied();
        if insn.is_ld_imm64() && matches!(insn.src, pseudo::MAP_FD | pseudo::MAP_VALUE) {
            let name = Map::from_id(MapId::new(insn.imm as u32))
                .map(|m| m.info().name.clone())
                .unwrap_or_else(|e| format!("<map {}: {e}>", insn.imm));
            let masked = Insn { imm: 0, ..*insn };
            out.push(format!(
                "{i}: {:?} map `{name}` off {}",
                masked,
                next.map_or(0, |n| n.imm)
            ));
            i += 2;
            continue;
        }
        out.push(format!(
            "{i}: {}",
            insn.display(next.as_ref().filter(|_| insn.is_ld_imm64()))
        ));
        if insn.is_ld_imm64() {
            out.push(format!("{}: {:?}", i + 1, next));
            i += 2;
        } else {
            i += 1;
        }
    }
    out
}

fn pinned_names(dir: &Path) -> BTreeSet<String> {
    std::fs::read_dir(dir)
        .map(|d| {
            d.map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default()
}

/// Loads `obj` with bpftool and with oxbpf and compares. `Ok(false)` if
/// bpftool refuses the object.
fn compare(obj: &Path) -> Result<bool, String> {
    compare_with(obj, None)
}

/// A libbpf program that loads an object with a CO-RE target BTF
/// (`btf_custom_path`, which bpftool 7.1 cannot pass) and pins its
/// programs as `bpftool prog loadall` does: `core-load OBJ BTF DIR`.
struct CoreHarness(std::path::PathBuf);

const CORE_HARNESS_C: &str = include_str!("loader_common/core-load.c");

/// Builds the harness with clang and libbpf-dev (which CI installs), or
/// takes the one `$OXBPF_CORE_HARNESS` names (built by scripts/kernel-matrix
/// on the host: the VMs have no compiler); `None` (loudly) if that fails
/// and OXBPF_ALLOW_SKIP is set.
fn core_harness(dir: &Path) -> Option<CoreHarness> {
    if let Some(prebuilt) = std::env::var_os("OXBPF_CORE_HARNESS") {
        let prebuilt = std::path::PathBuf::from(prebuilt);
        assert!(
            prebuilt.is_file(),
            "OXBPF_CORE_HARNESS names {}, which is not a file",
            prebuilt.display()
        );
        return Some(CoreHarness(prebuilt));
    }
    let src = dir.join("core-load.c");
    let bin = dir.join("core-load");
    std::fs::write(&src, CORE_HARNESS_C).unwrap();
    let cc = std::env::var("CC").unwrap_or_else(|_| "clang-19".into());
    let out = Command::new(&cc)
        .args(["-O1", "-o"])
        .arg(&bin)
        .arg(&src)
        .arg("-lbpf")
        .output();
    match out {
        Ok(o) if o.status.success() => Some(CoreHarness(bin)),
        r => {
            let why = match r {
                Ok(o) => String::from_utf8_lossy(&o.stderr).into_owned(),
                Err(e) => e.to_string(),
            };
            if std::env::var_os("OXBPF_ALLOW_SKIP").is_some() {
                eprintln!("SKIP CO-RE differential test: cannot build a libbpf harness with {cc}: {why} (OXBPF_ALLOW_SKIP is set)");
                None
            } else {
                panic!("cannot build a libbpf harness with {cc} (needs libbpf-dev): {why}; set OXBPF_ALLOW_SKIP=1 to skip");
            }
        }
    }
}

/// Loads `obj` with libbpf and with oxbpf — with `custom`, through the
/// harness with that CO-RE target BTF — and compares. `Ok(false)` if
/// libbpf refuses the object.
fn compare_with(obj: &Path, custom: Option<(&CoreHarness, &Path)>) -> Result<bool, String> {
    let fs = bpffs();
    let lib_dir = fs.path().join("libbpf");
    let ox_dir = fs.path().join("oxbpf");
    let out = match custom {
        None => Command::new("bpftool")
            .arg("prog")
            .arg("loadall")
            .arg(obj)
            .arg(&lib_dir)
            .output(),
        Some((harness, btf)) => {
            std::fs::create_dir(&lib_dir).map_err(|e| e.to_string())?;
            Command::new(&harness.0)
                .arg(obj)
                .arg(btf)
                .arg(&lib_dir)
                .output()
        }
    }
    .map_err(|e| e.to_string())?;
    if !out.status.success() {
        eprintln!(
            "libbpf refuses {}: {}",
            obj.display(),
            String::from_utf8_lossy(&out.stderr)
                .lines()
                .next()
                .unwrap_or("")
        );
        return Ok(false);
    }
    let spec = CollectionSpec::from_file(obj).map_err(|e| e.to_string())?;
    let opts = LoadOptions {
        core_btf: custom.map(|(_, btf)| CoreBtf::File(btf.to_path_buf())),
        ..Default::default()
    };
    let coll = Collection::load(&spec, &opts)
        .map_err(|e| format!("oxbpf refuses what libbpf loads: {e}"))?;
    std::fs::create_dir(&ox_dir).map_err(|e| e.to_string())?;
    coll.pin_programs(&ox_dir).map_err(|e| e.to_string())?;
    let lib_names = pinned_names(&lib_dir);
    let ox_names = pinned_names(&ox_dir);
    if lib_names != ox_names {
        return Err(format!(
            "programs differ: libbpf {lib_names:?}, oxbpf {ox_names:?}"
        ));
    }
    for name in &lib_names {
        let a = Program::from_pin(lib_dir.join(name)).map_err(|e| e.to_string())?;
        let b = Program::from_pin(ox_dir.join(name)).map_err(|e| e.to_string())?;
        let (xa, xb) = (xlated(&a), xlated(&b));
        if xa != xb {
            let first = xa
                .iter()
                .zip(&xb)
                .position(|(x, y)| x != y)
                .unwrap_or(xa.len().min(xb.len()));
            return Err(format!(
                "program `{name}`: xlated instructions differ ({} vs {} insns) from line {first}:\n  libbpf: {:?}\n  oxbpf:  {:?}",
                xa.len(),
                xb.len(),
                xa.get(first),
                xb.get(first)
            ));
        }
        let (ia, ib) = (a.info().unwrap(), b.info().unwrap());
        if ia.prog_type != ib.prog_type || ia.map_ids.len() != ib.map_ids.len() {
            return Err(format!("program `{name}`: type or map count differ"));
        }
    }
    eprintln!(
        "{}: {} programs identical to libbpf's",
        obj.file_name().unwrap().to_string_lossy(),
        lib_names.len()
    );
    Ok(true)
}

#[test]
fn xlated_instructions_match_libbpf() {
    if !require_kernel() || !require_bpftool() {
        return;
    }
    let _serial = loader_common::serial();
    let mut failures = Vec::new();
    for name in MUST_AGREE {
        match compare(&corpus_path(name)) {
            Ok(true) => {}
            Ok(false) => failures.push(format!("{name}: libbpf no longer loads it")),
            Err(e) => failures.push(format!("{name}: {e}")),
        }
    }
    // Every other committed object: wherever libbpf loads it, so must we.
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata");
    let mut others = Vec::new();
    for dir in ["loader", "btf", "core"] {
        if let Ok(rd) = std::fs::read_dir(root.join(dir)) {
            for e in rd.flatten() {
                let p = e.path();
                let stem = p.file_name().unwrap().to_string_lossy().into_owned();
                if stem.ends_with(".bpf.o")
                    && !(dir == "loader" && MUST_AGREE.iter().any(|n| stem == format!("{n}.bpf.o")))
                {
                    others.push(p);
                }
            }
        }
    }
    others.sort();
    for p in others {
        if let Err(e) = compare(&p) {
            failures.push(format!("{}: {e}", p.display()));
        }
    }
    assert!(
        failures.is_empty(),
        "differences from libbpf:\n{}",
        failures.join("\n")
    );
}

/// The CO-RE objects libbpf loads on this kernel (relocated against its
/// BTF): each must load with oxbpf into identical instructions.
/// (`synthetic` needs a target BTF that has its types, see
/// `core_against_target_btf_matches_libbpf`; `unresolved` is refused by
/// both, on purpose.)
const CORE_MUST_AGREE: &[&str] = &["kernel", "many"];

#[test]
fn core_relocated_instructions_match_libbpf() {
    if !require_kernel() || !require_bpftool() {
        return;
    }
    let _serial = loader_common::serial();
    let mut failures = Vec::new();
    for name in CORE_MUST_AGREE {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("testdata/core")
            .join(format!("{name}.bpf.o"));
        match compare(&path) {
            Ok(true) => {}
            Ok(false) => failures.push(format!("{name}: libbpf no longer loads it")),
            Err(e) => failures.push(format!("{name}: {e}")),
        }
    }
    assert!(
        failures.is_empty(),
        "differences from libbpf:\n{}",
        failures.join("\n")
    );
}

/// synthetic.bpf.o relocated against target BTFs in which its types'
/// fields moved, changed size or sign, were renamed or removed (see
/// `tests/core_common`): libbpf (given the same file as
/// `btf_custom_path`) and oxbpf (`LoadOptions::core_btf`) must produce
/// identical instructions.
#[test]
fn core_against_target_btf_matches_libbpf() {
    if !require_kernel() {
        return;
    }
    let _serial = loader_common::serial();
    let dir = std::env::temp_dir().join(format!("oxbpf-core-diff-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let Some(harness) = core_harness(&dir) else {
        return;
    };
    let obj = core_common::core_path("synthetic");
    let mut failures = Vec::new();
    for v in [core_common::moved(), core_common::removed()] {
        let btf = dir.join(format!("{}.btf", v.name));
        std::fs::write(&btf, &v.bytes).unwrap();
        match compare_with(&obj, Some((&harness, &btf))) {
            Ok(true) => {}
            Ok(false) => failures.push(format!("{}: libbpf refuses it", v.name)),
            Err(e) => failures.push(format!("{}: {e}", v.name)),
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    assert!(
        failures.is_empty(),
        "differences from libbpf:\n{}",
        failures.join("\n")
    );
}
