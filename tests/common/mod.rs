//! Helpers shared by the integration tests. Each test binary uses a subset.
#![allow(dead_code)]

use std::env;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

use oxbpf::btf::KERNEL_BTF_PATH;

/// Whether `feature` ("bpftool" or "kernel-btf") is available.
///
/// If it is not, this panics with the reason, unless `OXBPF_ALLOW_SKIP` is
/// set: then it prints `SKIP` and the reason to stderr and returns `false`,
/// and the caller returns early. Tests never skip silently: the `SKIP` line
/// goes straight to the process's stderr, past the test harness's output
/// capture.
#[track_caller]
pub fn require(feature: &str) -> bool {
    match probe(feature) {
        Ok(()) => true,
        Err(e) if env::var_os("OXBPF_ALLOW_SKIP").is_some() => {
            let _ = writeln!(
                std::io::stderr(),
                "SKIP {feature}: {e} (OXBPF_ALLOW_SKIP is set)"
            );
            false
        }
        Err(e) => panic!("{feature} unavailable: {e}; set OXBPF_ALLOW_SKIP=1 to skip"),
    }
}

fn probe(feature: &str) -> Result<(), String> {
    match feature {
        "bpftool" => match Command::new("bpftool").arg("version").output() {
            Ok(o) if o.status.success() => Ok(()),
            Ok(o) => Err(format!(
                "`bpftool version` failed ({}): {}",
                o.status,
                String::from_utf8_lossy(&o.stderr).trim()
            )),
            Err(e) => Err(format!("cannot run bpftool: {e}")),
        },
        "kernel" => oxbpf::maps::Map::create(&oxbpf::maps::MapSpec::array::<u32>("oxbpf_probe", 1))
            .map(drop)
            .map_err(|e| format!("cannot create a BPF map (bpf(2) unavailable?): {e}")),
        "kernel-btf" => std::fs::File::open(KERNEL_BTF_PATH)
            .map(drop)
            .map_err(|e| format!("{KERNEL_BTF_PATH}: {e}")),
        _ => panic!("unknown feature `{feature}` in require()"),
    }
}

/// The repository root.
pub fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Every committed `testdata/**/*.bpf.o`, sorted. Panics if there are none:
/// an empty corpus would make every loop over it pass vacuously.
pub fn testdata_objects() -> Vec<PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        let entries =
            std::fs::read_dir(dir).unwrap_or_else(|e| panic!("reading {}: {e}", dir.display()));
        for entry in entries {
            let path = entry.expect("directory entry").path();
            if path.is_dir() {
                walk(&path, out);
            } else if path.to_str().is_some_and(|p| p.ends_with(".bpf.o")) {
                out.push(path);
            }
        }
    }
    let mut out = Vec::new();
    walk(&root().join("testdata"), &mut out);
    out.sort();
    assert!(
        out.len() >= 3,
        "expected the BPF objects under testdata/ (run scripts/build-bpf), found {out:?}"
    );
    out
}

/// The contents of section `name` of the ELF file at `path`.
pub fn elf_section(path: &Path, name: &str) -> Vec<u8> {
    use object::{Object, ObjectSection};
    let data = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let elf = object::File::parse(&*data).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let sec = elf
        .section_by_name(name)
        .unwrap_or_else(|| panic!("{}: no {name} section", path.display()));
    sec.data()
        .unwrap_or_else(|e| panic!("{}: {name}: {e}", path.display()))
        .to_vec()
}

/// A path relative to the repository root, for messages.
pub fn rel(path: &Path) -> String {
    path.strip_prefix(root())
        .unwrap_or(path)
        .display()
        .to_string()
}

/// Runs `bpftool ARGS` and returns its stdout; panics with its stderr if it
/// fails.
pub fn bpftool(args: &[&str]) -> String {
    let out = Command::new("bpftool")
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("running bpftool {args:?}: {e}"));
    assert!(
        out.status.success(),
        "bpftool {args:?} failed ({}):\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("bpftool printed non-UTF-8")
}

/// Asserts that two dumps, labelled for the message (`"bpftool"`,
/// `"oxbpf"`), are identical; on a mismatch, panics with the first differing
/// lines (numbered, 1-based) and the line counts.
#[track_caller]
pub fn assert_same_dump(
    what: &str,
    (expected_label, expected): (&str, &str),
    (actual_label, actual): (&str, &str),
) {
    if expected == actual {
        return;
    }
    const MAX_SHOWN: usize = 12;
    let exp: Vec<&str> = expected.lines().collect();
    let act: Vec<&str> = actual.lines().collect();
    let mut report = String::new();
    let mut shown = 0;
    for i in 0..exp.len().max(act.len()) {
        let (e, a) = (exp.get(i), act.get(i));
        if e == a {
            continue;
        }
        if shown == MAX_SHOWN {
            report.push_str("  ...\n");
            break;
        }
        let width = expected_label.len().max(actual_label.len());
        report.push_str(&format!(
            "  line {}:\n    {expected_label:>width$}: {}\n    {actual_label:>width$}: {}\n",
            i + 1,
            e.copied().unwrap_or("<end of output>"),
            a.copied().unwrap_or("<end of output>"),
        ));
        shown += 1;
    }
    if report.is_empty() {
        // Same lines, so the difference is in line endings or a final newline.
        report = format!(
            "  lines are equal; trailing bytes differ ({} vs {} bytes)\n",
            expected.len(),
            actual.len()
        );
    }
    panic!(
        "{what}: {actual_label}'s dump differs from {expected_label}'s ({} vs {} lines):\n{report}",
        exp.len(),
        act.len()
    );
}

/// Prints `matrix: TEXT` straight to stderr, past the test harness's
/// capture, so that a run shows what a test proved or asserted on this
/// kernel (`scripts/kernel-matrix` lists these lines per kernel).
pub fn kernel_note(text: &str) {
    // One write, so that the line is not split by the harness's output.
    let line = format!("matrix: {text}\n");
    let _ = std::io::stderr().write_all(line.as_bytes());
}
