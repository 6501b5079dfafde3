//! Differential tests: `oxbpf::btf::codegen::c` against
//! `bpftool btf dump file FILE format c`, byte for byte, on the running
//! kernel's BTF, on every committed BPF object, on hand-built BTF with the
//! corner cases of libbpf's BTF-to-C converter, and on a few hundred
//! randomly generated BTF blobs.
//!
//! bpftool and the kernel's BTF are required; set `OXBPF_ALLOW_SKIP=1` to
//! skip (loudly) where they are missing.

mod common;

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{assert_same_dump, bpftool, elf_section, rel, require, root, testdata_objects};
use oxbpf::btf::codegen::c::{write_header, CDumper};
use oxbpf::btf::codegen::CodegenError;
use oxbpf::btf::{Btf, BtfBuilder, IntEncoding, Linkage, MemberSpec, TypeId, KERNEL_BTF_PATH};

fn oxbpf_header(btf: &Btf<'_>) -> Result<String, CodegenError> {
    let mut out = Vec::new();
    write_header(btf, &mut out)?;
    Ok(String::from_utf8(out).expect("the header is UTF-8"))
}

/// A fresh, empty directory for one test's files.
fn scratch_dir(test: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("codegen-c-{test}"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    dir
}

fn path_str(p: &Path) -> &str {
    p.to_str().expect("non-UTF-8 path")
}

/// bpftool's header for `path`, or its error output if it fails. bpftool
/// is killed after 60 seconds (libbpf loops forever on some malformed
/// BTF, such as a modifier referring to itself).
fn bpftool_header(path: &Path) -> Result<String, String> {
    let mut child = Command::new("bpftool")
        .args(["btf", "dump", "file", path_str(path), "format", "c"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("running bpftool: {e}"));
    let mut stdout = child.stdout.take().expect("piped stdout");
    let reader = std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = stdout.read_to_end(&mut buf);
        buf
    });
    let deadline = Instant::now() + Duration::from_secs(60);
    let status = loop {
        if let Some(status) = child.try_wait().expect("waiting for bpftool") {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "bpftool btf dump file {} format c: no result after 60 s",
                path.display()
            );
        }
        std::thread::sleep(Duration::from_millis(2));
    };
    let out = reader.join().expect("reading bpftool's output");
    if status.success() {
        Ok(String::from_utf8(out).expect("bpftool printed non-UTF-8"))
    } else {
        let mut err = String::new();
        if let Some(mut e) = child.stderr.take() {
            let _ = e.read_to_string(&mut err);
        }
        Err(format!("{status}: {err}"))
    }
}

#[test]
fn vmlinux_header_matches_bpftool() {
    if !require("bpftool") || !require("kernel-btf") {
        return;
    }
    let expected = bpftool(&["btf", "dump", "file", KERNEL_BTF_PATH, "format", "c"]);
    // Guard the comparison itself: a real vmlinux.h.
    assert!(expected.len() > 1_000_000, "bpftool's vmlinux.h is tiny");
    assert!(expected.contains("\nstruct task_struct {\n"));

    let kernel = Btf::kernel().expect("Btf::kernel");
    let actual = oxbpf_header(&kernel).expect("generating vmlinux.h");
    assert_same_dump(KERNEL_BTF_PATH, ("bpftool", &expected), ("oxbpf", &actual));

    // The validating parse of a copy gives the same.
    let bytes = std::fs::read(KERNEL_BTF_PATH).expect("reading kernel BTF");
    let btf = Btf::parse(&bytes).expect("parsing kernel BTF");
    assert_same_dump(
        "parsed copy of vmlinux",
        ("bpftool", &expected),
        ("oxbpf", &oxbpf_header(&btf).expect("generating vmlinux.h")),
    );
}

/// Whether clang-19 runs; like `common::require`, a missing compiler fails
/// the test unless `OXBPF_ALLOW_SKIP` is set (then it says so, loudly).
fn require_clang() -> bool {
    match Command::new("clang-19").arg("--version").output() {
        Ok(o) if o.status.success() => true,
        other => {
            let why = format!("clang-19 unavailable: {other:?}");
            if std::env::var_os("OXBPF_ALLOW_SKIP").is_some() {
                eprintln!("SKIP clang-19: {why} (OXBPF_ALLOW_SKIP is set)");
                false
            } else {
                panic!("{why}; set OXBPF_ALLOW_SKIP=1 to skip")
            }
        }
    }
}

/// A CO-RE BPF program compiles against oxbpf's vmlinux.h with the flags
/// of `scripts/build-bpf`, and its BTF records the kernel types it used.
#[test]
fn bpf_program_compiles_against_generated_vmlinux_h() {
    if !require("kernel-btf") || !require_clang() {
        return;
    }
    let dir = scratch_dir("compile");
    let header = oxbpf_header(&Btf::kernel().expect("Btf::kernel")).expect("vmlinux.h");
    std::fs::write(dir.join("vmlinux.h"), header).expect("writing vmlinux.h");
    let src = dir.join("probe.bpf.c");
    std::fs::write(
        &src,
        r#"#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>

char LICENSE[] SEC("license") = "GPL";

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} events SEC(".maps");

struct event {
	pid_t ppid;
	__u32 len;
	char comm[TASK_COMM_LEN];
};

SEC("tp_btf/sched_process_exec")
int BPF_PROG(on_exec, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
{
	struct event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);

	if (!e)
		return 0;
	e->ppid = BPF_CORE_READ(p, real_parent, tgid);
	bpf_probe_read_kernel_str(e->comm, sizeof(e->comm), p->comm);
	e->len = bpf_core_field_size(struct sk_buff, len);
	bpf_ringbuf_submit(e, 0);
	return 0;
}
"#,
    )
    .expect("writing the program");
    let obj = dir.join("probe.bpf.o");
    let arch_include = format!("/usr/include/{}-linux-gnu", std::env::consts::ARCH);
    let out = Command::new("clang-19")
        .args([
            "-g",
            "-O2",
            "-target",
            "bpf",
            "-mcpu=v3",
            "-D__TARGET_ARCH_x86",
        ])
        .args(["-Wall", "-Werror", "-I", &arch_include, "-c"])
        .arg(&src)
        .arg("-o")
        .arg(&obj)
        .output()
        .expect("running clang-19");
    assert!(
        out.status.success(),
        "clang-19 rejects oxbpf's vmlinux.h:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let btf = Btf::parse_owned(elf_section(&obj, ".BTF")).expect("the object's BTF");
    for name in ["task_struct", "sk_buff"] {
        assert!(
            btf.find_by_name_kind(name, oxbpf::btf::Kind::Struct)
                .is_some(),
            "the object's BTF lacks struct {name}"
        );
    }
}

/// Every committed BPF object: testdata's and the examples'.
fn all_objects() -> Vec<PathBuf> {
    let mut objs = testdata_objects();
    let examples = root().join("examples/bpf");
    if let Ok(entries) = std::fs::read_dir(&examples) {
        let mut more: Vec<PathBuf> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.to_str().is_some_and(|s| s.ends_with(".bpf.o")))
            .collect();
        more.sort();
        objs.extend(more);
    }
    objs
}

#[test]
fn object_headers_match_bpftool() {
    if !require("bpftool") {
        return;
    }
    let objs = all_objects();
    for obj in &objs {
        // bpftool reads the ELF itself; we hand oxbpf the .BTF section.
        let expected = bpftool(&["btf", "dump", "file", path_str(obj), "format", "c"]);
        let bytes = elf_section(obj, ".BTF");
        let btf = Btf::parse(&bytes).unwrap_or_else(|e| panic!("{}: .BTF: {e}", rel(obj)));
        let actual = oxbpf_header(&btf).unwrap_or_else(|e| panic!("{}: {e}", rel(obj)));
        assert_same_dump(&rel(obj), ("bpftool", &expected), ("oxbpf", &actual));
    }
    // Guard: the corpus has the constructs this is meant to cover.
    let kinds = oxbpf_header(
        &Btf::parse(&elf_section(
            &root().join("testdata/btf/kinds.bpf.o"),
            ".BTF",
        ))
        .unwrap(),
    )
    .unwrap();
    for needle in [
        "\tunsigned int a: 3;",
        "\tunion {\n\t\tstruct {\n",
        "\tint (*printf_like)(const char *, ...);",
        "\tvoid (*noargs)(void);",
        "\tint two_dim[2][3];",
        "\tHUGE = 78187493530ULL,",
        "\tNEG = -2,",
        "struct never_defined;\n",
    ] {
        assert!(
            kinds.contains(needle),
            "kinds.bpf.o header lacks {needle:?}"
        );
    }
}

/// Writes `b`'s BTF to `dir/name.btf` and checks that oxbpf's header is
/// bpftool's, or that both fail. Returns the header (empty if both
/// failed).
fn check_built(dir: &Path, name: &str, b: &BtfBuilder) -> String {
    let bytes = b.to_bytes().expect("serialising BTF");
    let path = dir.join(format!("{name}.btf"));
    std::fs::write(&path, &bytes).expect("writing BTF");
    let btf = Btf::parse(&bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
    let ours = oxbpf_header(&btf);
    match (bpftool_header(&path), ours) {
        (Ok(expected), Ok(actual)) => {
            assert_same_dump(
                &format!("{name} ({})", path.display()),
                ("bpftool", &expected),
                ("oxbpf", &actual),
            );
            actual
        }
        (Err(_), Err(_)) => String::new(),
        (Ok(_), Err(e)) => panic!("{name}: bpftool dumps it, oxbpf fails: {e}"),
        (Err(e), Ok(_)) => panic!("{name}: oxbpf dumps it, bpftool fails: {e}"),
    }
}

fn m(name: &str, ty: TypeId, bit_offset: u32, bitfield_size: u8) -> MemberSpec<'_> {
    MemberSpec {
        name,
        ty,
        bit_offset,
        bitfield_size,
    }
}

/// The corners of libbpf's converter, one BTF each or all together.
#[test]
fn corner_cases_match_bpftool() {
    if !require("bpftool") {
        return;
    }
    let dir = scratch_dir("corners");

    let mut b = BtfBuilder::new();
    let int = b.add_int("int", 4, IntEncoding::Signed);
    let uint = b.add_int("unsigned int", 4, IntEncoding::Unsigned);
    let ch = b.add_int("char", 1, IntEncoding::Signed);
    let long = b.add_int("long", 8, IntEncoding::Signed);
    let short = b.add_int("short", 2, IntEncoding::Signed);
    let boolean = b.add_int("_Bool", 1, IntEncoding::Bool);
    let u128_ = b.add_int("unsigned __int128", 16, IntEncoding::Unsigned);
    // GCC's ARM SIMD polynomial types get typedefs; __builtin_va_list is
    // never redefined; old GCC's __gnuc_va_list of void is fixed up.
    let poly = b.add_int("__Poly8_t", 1, IntEncoding::Unsigned);
    b.add_struct("simd", 1, &[m("p", poly, 0, 0)]).unwrap();
    let va = b.add_typedef("__builtin_va_list", long);
    b.add_typedef("__gnuc_va_list", TypeId::VOID);
    b.add_typedef("va_list", va);

    // Self- and mutually-referencing structs through pointers.
    let node = TypeId(b.next_id().0 + 2);
    let p_node = b.add_ptr(node);
    let p_other = b.add_ptr(TypeId(node.0 + 1));
    assert_eq!(
        b.add_struct(
            "node",
            16,
            &[m("next", p_node, 0, 0), m("other", p_other, 64, 0)]
        )
        .unwrap(),
        node
    );
    b.add_struct("other", 8, &[m("back", p_node, 0, 0)])
        .unwrap();

    // Packed, over-aligned, bitfields across storage units, padding
    // between them, and at the end.
    b.add_struct(
        "packed",
        7,
        &[m("c", ch, 0, 0), m("i", int, 8, 0), m("s", short, 40, 0)],
    )
    .unwrap();
    b.add_struct("aligned", 64, &[m("c", ch, 0, 0), m("l", long, 256, 0)])
        .unwrap();
    b.add_struct("wide", 32, &[m("c", ch, 0, 0), m("w", u128_, 128, 0)])
        .unwrap();
    b.add_struct(
        "bits",
        24,
        &[
            m("a", uint, 0, 3),
            m("b", int, 3, 30),
            m("c", long, 40, 20),
            m("flag", boolean, 100, 1),
            m("d", ch, 104, 0),
            m("e", uint, 120, 2),
        ],
    )
    .unwrap();
    b.add_struct("tail_pad", 16, &[m("l", long, 0, 0), m("c", ch, 64, 0)])
        .unwrap();

    // Empty structs, top level and nested; a struct of padding only.
    let empty = b.add_struct("", 0, &[]).unwrap();
    b.add_struct("empty", 0, &[]).unwrap();
    b.add_struct("holds_empty", 8, &[m("e", empty, 0, 0), m("x", long, 0, 0)])
        .unwrap();

    // Anonymous nesting three deep, an anonymous enum member, a top-level
    // anonymous enum, and a named member of anonymous type.
    let anon_enum = b
        .add_enum("", 4, false, false, &[("ANON_A", 0), ("ANON_B", 9)])
        .unwrap();
    b.add_enum("", 4, true, false, &[("TOP_LEVEL", u64::MAX)])
        .unwrap();
    let inner = b
        .add_struct("", 8, &[m("x", int, 0, 0), m("y", anon_enum, 32, 0)])
        .unwrap();
    let mid = b
        .add_union("", 8, &[m("", inner, 0, 0), m("whole", long, 0, 0)])
        .unwrap();
    b.add_struct("outer", 16, &[m("tag", int, 0, 0), m("", mid, 64, 0)])
        .unwrap();
    b.add_struct("named_anon", 8, &[m("in", inner, 0, 0)])
        .unwrap();

    // Enums: 1-byte, 8-byte ENUM, ENUM64 signed and unsigned, empty (a
    // forward declaration), and enumerator names that clash.
    b.add_enum("small", 1, false, false, &[("S1", 1)]).unwrap();
    b.add_enum("wide", 8, false, false, &[("W1", 1)]).unwrap();
    b.add_enum(
        "big64",
        8,
        false,
        true,
        &[("B1", 1), ("B2", 0xffff_ffff_0000)],
    )
    .unwrap();
    b.add_enum("small64", 8, true, true, &[("N1", (-1i64) as u64)])
        .unwrap();
    b.add_enum("fwd_enum", 4, false, false, &[]).unwrap();
    b.add_enum("clash", 4, false, false, &[("S1", 7), ("va_list", 8)])
        .unwrap();

    // Duplicate names of every namespace.
    b.add_struct("node", 4, &[m("dup", int, 0, 0)]).unwrap();
    b.add_typedef("va_list", int);
    b.add_union("node", 4, &[m("u", int, 0, 0)]).unwrap();

    // Function prototypes: pointers to them, arrays of them, returning
    // pointers to functions, with modifiers dropped where GCC adds them.
    let cchar = b.add_const(ch);
    let p_cchar = b.add_ptr(cchar);
    let proto = b
        .add_func_proto(int, &[("fmt", p_cchar), ("", TypeId::VOID)])
        .unwrap();
    let p_proto = b.add_ptr(proto);
    let vproto = b.add_volatile(proto);
    let p_vproto = b.add_ptr(vproto);
    let arr_fp = b.add_array(p_proto, int, 4);
    let ret_fp = b.add_func_proto(p_proto, &[("n", long)]).unwrap();
    let p_ret_fp = b.add_ptr(ret_fp);
    let void_proto = b.add_func_proto(TypeId::VOID, &[]).unwrap();
    let p_void_proto = b.add_ptr(void_proto);
    let td_fp = b.add_typedef("handler_t", p_proto);
    // Pointers to arrays, arrays of arrays, const pointers, restrict.
    let arr = b.add_array(int, int, 3);
    let p_arr = b.add_ptr(arr);
    let arr2 = b.add_array(arr, int, 2);
    let p_int = b.add_ptr(int);
    let cp_int = b.add_const(p_int);
    let r_int = b.add_restrict(p_int);
    let next = TypeId(b.next_id().0 + 1);
    let cv_int = b.add_volatile(next);
    let c_int = b.add_const(int);
    assert_eq!(c_int, next);
    let tag = b.add_type_tag("user", int);
    let p_tag = b.add_ptr(tag);
    let carr = b.add_const(arr);
    let mut off = 0;
    let mut at = |size: u32| {
        let here = off;
        off += size * 8;
        here
    };
    let members = [
        m("fp", p_proto, at(8), 0),
        m("vfp", p_vproto, at(8), 0),
        m("fps", arr_fp, at(32), 0),
        m("ret_fp", p_ret_fp, at(8), 0),
        m("noargs", p_void_proto, at(8), 0),
        m("handler", td_fp, at(8), 0),
        m("parr", p_arr, at(8), 0),
        m("grid", arr2, at(24), 0),
        m("cp", cp_int, at(8), 0),
        m("rp", r_int, at(8), 0),
        m("cv", cv_int, at(4), 0),
        m("carr", carr, at(12), 0),
        m("tagged", p_tag, at(8) + 32, 0),
    ];
    let size = off / 8 + 8;
    b.add_struct("decls", size, &members).unwrap();
    b.add_func("uses_proto", ret_fp, Linkage::Global);
    let var = b.add_var("a_var", int, Linkage::Global);
    b.add_datasec(
        ".data",
        4,
        &[oxbpf::btf::VarSecInfo {
            ty: var,
            offset: 0,
            size: 4,
        }],
    )
    .unwrap();
    let header = check_built(&dir, "corners", &b);
    for needle in [
        "typedef unsigned char __Poly8_t;",
        "typedef __builtin_va_list __gnuc_va_list;",
        "struct node___2 {",
        "} __attribute__((packed));",
        "\tint (*fps[4])(const char *fmt, ...);",
        "\tint (* (*ret_fp)(long n))(const char *fmt, ...);",
        "\tvoid (*noargs)(void);",
        "\tint (*parr)[3];",
        "\tstruct {} e;",
        "enum wide___2 {",
        "\tANON_A___2 = 0,",
        "\tlong: 0;",
        "typedef int va_list___3;",
    ] {
        assert!(
            header.contains(needle),
            "corner-case header lacks {needle:?}"
        );
    }

    // A 32-bit target's BTF: `long` is 4 bytes, and so are pointers.
    let mut b = BtfBuilder::new();
    let long = b.add_int("long int", 4, IntEncoding::Signed);
    let ch = b.add_int("char", 1, IntEncoding::Signed);
    let p = b.add_ptr(ch);
    b.add_struct(
        "ilp32",
        16,
        &[m("c", ch, 0, 0), m("p", p, 32, 0), m("l", long, 96, 0)],
    )
    .unwrap();
    b.add_struct("gap32", 12, &[m("c", ch, 0, 0), m("l", long, 64, 0)])
        .unwrap();
    check_built(&dir, "ilp32", &b);
}

/// Unsatisfiable BTF: bpftool fails, and so does oxbpf, with a typed error.
#[test]
fn unsatisfiable_cycles_fail_like_bpftool() {
    if !require("bpftool") {
        return;
    }
    let dir = scratch_dir("cycles");
    // An anonymous struct that points to itself: no name to forward-declare.
    let mut b = BtfBuilder::new();
    let me = TypeId(b.next_id().0 + 1);
    let p = b.add_ptr(me);
    b.add_struct("", 8, &[m("self_ptr", p, 0, 0)]).unwrap();
    b.add_struct("holder", 8, &[m("anon", me, 0, 0)]).unwrap();
    let path = dir.join("anon_loop.btf");
    std::fs::write(&path, b.to_bytes().unwrap()).unwrap();
    assert!(
        bpftool_header(&path).is_err(),
        "bpftool accepted an anonymous loop"
    );
    let btf = Btf::parse_owned(b.to_bytes().unwrap()).unwrap();
    match oxbpf_header(&btf) {
        Err(CodegenError::TypeCycle(id)) => assert_eq!(id, me),
        other => panic!("expected a type cycle at [{me}], got {other:?}"),
    }
    // The dumper stays usable: other types still dump.
    let mut d = CDumper::new(&btf).unwrap();
    let mut out = Vec::new();
    d.dump_type(TypeId(1), &mut out).unwrap_err();
    d.dump_type(TypeId::VOID, &mut out).unwrap();
    assert!(matches!(
        d.dump_type(TypeId(99), &mut out),
        Err(CodegenError::NoSuchType(TypeId(99)))
    ));
}

/// A deterministic xorshift64* generator.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
    fn pick<T: Copy>(&mut self, v: &[T]) -> T {
        v[self.below(v.len() as u64) as usize]
    }
}

/// What a generated type can be used as.
#[derive(Copy, Clone)]
struct Usable {
    id: TypeId,
    size: u32,
    align: u32,
    /// An integer (bitfields allowed), its size in bits.
    int_bits: Option<u32>,
    /// A named struct or union (pointers may reach it from anywhere).
    named_composite: bool,
}

/// Random but C-expressible BTF: by-value members only use earlier types,
/// pointers may point anywhere named (including forward and at the type
/// being defined), anonymous types are used by value once.
fn random_btf(rng: &mut Rng) -> BtfBuilder {
    let names = ["a", "b", "node", "list", "dup", "x", "type_t", "s", "u"];
    let mut b = BtfBuilder::new();
    let mut pool: Vec<Usable> = Vec::new();
    let mut anon_pool: Vec<Usable> = Vec::new();
    let int = |b: &mut BtfBuilder, name: &str, size: u32, enc| Usable {
        id: b.add_int(name, size, enc),
        size,
        align: size.min(8),
        int_bits: Some(size * 8),
        named_composite: false,
    };
    pool.push(int(&mut b, "int", 4, IntEncoding::Signed));
    pool.push(int(&mut b, "unsigned int", 4, IntEncoding::Unsigned));
    pool.push(int(&mut b, "char", 1, IntEncoding::Signed));
    pool.push(int(&mut b, "long", 8, IntEncoding::Signed));
    pool.push(int(&mut b, "short unsigned int", 2, IntEncoding::Unsigned));
    pool.push(int(&mut b, "_Bool", 1, IntEncoding::Bool));
    let index = pool[0].id;
    let fwd = b.add_fwd("opaque", rng.chance(50));
    let mut ptr_targets: Vec<TypeId> = vec![fwd, TypeId::VOID, pool[2].id];

    let n_types = 8 + rng.below(25);
    for _ in 0..n_types {
        let choice = rng.below(100);
        let name = if rng.chance(20) {
            String::new()
        } else {
            rng.pick(&names).to_string()
        };
        if choice < 10 && !pool.is_empty() {
            // typedef of something usable
            let t = rng.pick(&pool);
            let id = b.add_typedef(if name.is_empty() { "td" } else { &name }, t.id);
            pool.push(Usable { id, ..t });
        } else if choice < 20 {
            // enum
            let size = rng.pick(&[1u32, 2, 4, 8]);
            let is_64 = size == 8 && rng.chance(60);
            let n = rng.below(4);
            let vals: Vec<(String, u64)> = (0..n)
                .map(|i| {
                    (
                        format!("{}{i}", rng.pick(&["E", "V", "a"])),
                        rng.next() >> rng.below(64),
                    )
                })
                .collect();
            let vals: Vec<(&str, u64)> = vals.iter().map(|(n, v)| (n.as_str(), *v)).collect();
            let id = b
                .add_enum(&name, size, rng.chance(40), is_64, &vals)
                .unwrap();
            let u = Usable {
                id,
                size,
                align: size,
                int_bits: Some(size * 8),
                named_composite: false,
            };
            if name.is_empty() {
                if rng.chance(50) {
                    anon_pool.push(u);
                }
            } else {
                pool.push(u);
            }
        } else if choice < 30 && !pool.is_empty() {
            // array (sometimes flexible), maybe const
            let t = rng.pick(&pool);
            let len = rng.pick(&[0u32, 1, 2, 3, 16]);
            let mut id = b.add_array(t.id, index, len);
            if rng.chance(20) {
                id = b.add_const(id);
            }
            pool.push(Usable {
                id,
                size: t.size * len,
                align: t.align,
                int_bits: None,
                named_composite: false,
            });
        } else if choice < 40 {
            // pointer, maybe to a function, maybe qualified or tagged
            let target = if rng.chance(30) {
                let ret = rng.pick(&pool).id;
                let np = rng.below(3);
                let mut params: Vec<(&str, TypeId)> = (0..np)
                    .map(|_| (rng.pick(&["", "p", "ctx"]), rng.pick(&pool).id))
                    .collect();
                if rng.chance(20) {
                    params.push(("", TypeId::VOID));
                }
                b.add_func_proto(ret, &params).unwrap()
            } else {
                rng.pick(&ptr_targets)
            };
            let target = match rng.below(6) {
                0 => b.add_const(target),
                1 => b.add_volatile(target),
                2 => b.add_type_tag("user", target),
                _ => target,
            };
            let mut id = b.add_ptr(target);
            if rng.chance(15) {
                id = b.add_const(id);
            }
            pool.push(Usable {
                id,
                size: 8,
                align: 8,
                int_bits: None,
                named_composite: false,
            });
        } else {
            // struct or union
            let is_union = rng.chance(25);
            let packed = rng.chance(10);
            let n = rng.below(6);
            // A pointer to the type itself, defined right before it.
            let self_ptr = if !name.is_empty() && rng.chance(40) {
                let id = b.add_ptr(TypeId(b.next_id().0 + 1));
                Some(id)
            } else {
                None
            };
            let mut members: Vec<(String, TypeId, u32, u8)> = Vec::new();
            let mut off_bits: u32 = 0;
            let mut max_align = 1;
            let mut max_size = 0;
            for k in 0..n {
                let use_anon = !anon_pool.is_empty() && rng.chance(25);
                let t = if let Some(sp) = self_ptr.filter(|_| rng.chance(30)) {
                    Usable {
                        id: sp,
                        size: 8,
                        align: 8,
                        int_bits: None,
                        named_composite: false,
                    }
                } else if use_anon {
                    anon_pool.swap_remove(rng.below(anon_pool.len() as u64) as usize)
                } else if !pool.is_empty() {
                    rng.pick(&pool)
                } else {
                    break;
                };
                let mname = if use_anon && rng.chance(50) {
                    String::new()
                } else {
                    format!("m{k}")
                };
                let bits = match t.int_bits {
                    Some(tb) if !mname.is_empty() && rng.chance(35) => {
                        1 + rng.below(u64::from(tb.min(64))) as u32
                    }
                    _ => 0,
                };
                max_align = max_align.max(t.align);
                if is_union {
                    members.push((mname, t.id, 0, bits as u8));
                    max_size = max_size.max(t.size);
                    continue;
                }
                if bits > 0 {
                    if rng.chance(20) {
                        off_bits += rng.below(9) as u32;
                    }
                    members.push((mname, t.id, off_bits, bits as u8));
                    off_bits += bits;
                } else {
                    let align_bits = if packed { 8 } else { t.align * 8 };
                    off_bits = off_bits.next_multiple_of(align_bits);
                    if rng.chance(15) {
                        off_bits += align_bits * (1 + rng.below(3) as u32);
                    }
                    members.push((mname, t.id, off_bits, 0));
                    off_bits += t.size * 8;
                }
            }
            let mut size = if is_union {
                max_size
            } else {
                off_bits.div_ceil(8)
            };
            if !packed {
                size = size.next_multiple_of(max_align);
            }
            if rng.chance(10) {
                size += 8;
            }
            let specs: Vec<MemberSpec<'_>> = members
                .iter()
                .map(|(n, ty, off, bits)| m(n, *ty, *off, *bits))
                .collect();
            let id = if is_union {
                b.add_union(&name, size, &specs)
            } else {
                b.add_struct(&name, size, &specs)
            }
            .unwrap();
            if let Some(sp) = self_ptr {
                assert_eq!(sp.0 + 1, id.0);
            }
            let u = Usable {
                id,
                size,
                align: if packed { 1 } else { max_align },
                int_bits: None,
                named_composite: !name.is_empty(),
            };
            if name.is_empty() {
                anon_pool.push(u);
            } else {
                pool.push(u);
                ptr_targets.push(id);
            }
        }
    }
    // Something refers to everything named, and to some anonymous types.
    let all: Vec<TypeId> = pool
        .iter()
        .filter(|u| u.named_composite)
        .map(|u| u.id)
        .collect();
    if let Some(&first) = all.first() {
        let proto = b.add_func_proto(first, &[]).unwrap();
        b.add_func("f", proto, Linkage::Global);
    }
    b
}

/// oxbpf and bpftool agree on a few hundred random BTF blobs.
#[test]
fn random_btf_matches_bpftool() {
    if !require("bpftool") {
        return;
    }
    let dir = scratch_dir("random");
    let cases: u64 = std::env::var("OXBPF_CODEGEN_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(300);
    let mut dumped = 0;
    let mut lines = 0;
    for seed in 0..cases {
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15 ^ (seed + 1).wrapping_mul(0x1000_0000_01b3));
        let b = random_btf(&mut rng);
        let header = check_built(&dir, &format!("seed{seed}"), &b);
        if !header.is_empty() {
            dumped += 1;
            lines += header.lines().count();
        }
    }
    // Guard: most cases produce headers with real content.
    assert!(dumped * 10 >= cases * 9, "only {dumped} of {cases} dumped");
    assert!(lines as u64 > cases * 20, "headers are suspiciously short");
}
