//! CO-RE relocation (`oxbpf::loader::core`), end to end:
//!
//! - `testdata/core/kernel.bpf.c` against the running kernel: every
//!   relocation kind on kernel types, computed values checked against the
//!   kernel's BTF, and the loaded program run in this test's thread to
//!   read its own task_struct (pid, tgid, comm, a scheduler bitfield).
//! - `testdata/core/synthetic.bpf.c` against target BTFs built here, in
//!   which fields moved, changed size or sign, were renamed or removed:
//!   every relocation's value and every patched instruction, then the
//!   programs loaded with that target and run.
//! - A poisoned access the verifier reaches: the error names the program,
//!   the relocation and the access.

mod common;
mod core_common;
mod loader_common;

use std::collections::HashMap;
use std::sync::Arc;

use core_common::{core_obj, f, moved, removed, t, Variant};
use loader_common::require_kernel;
use oxbpf::btf::{Btf, Kind, Type, TypeId};
use oxbpf::loader::core::{
    is_poisoned, Applied, CandidateIndex, ReloKind, Relocator, Target, POISON_INSN,
};
use oxbpf::loader::insn::{op, Insn};
use oxbpf::loader::{Collection, CollectionSpec, CoreBtf, LoadError, LoadOptions, TestRun};
use oxbpf::maps::Map;
use oxbpf::sys::LookupFlags;

fn lookup0(map: &Map) -> Vec<u8> {
    let mut v = vec![0u8; map.value_size() as usize];
    assert!(map
        .lookup(&0u32.to_ne_bytes(), &mut v, LookupFlags::empty())
        .unwrap());
    v
}

/// The `u64` array variable `name` of a loaded collection's `.bss`.
fn u64s(spec: &CollectionSpec, coll: &Collection, name: &str) -> Vec<u64> {
    let (sec, var) = spec.variable(name).unwrap();
    let bytes = lookup0(coll.map(&sec.section).unwrap());
    bytes[var.offset as usize..(var.offset + var.size) as usize]
        .chunks_exact(8)
        .map(|c| u64::from_ne_bytes(c.try_into().unwrap()))
        .collect()
}

/// Relocates every program of `spec` against `target` with the pure
/// relocator; returns the patched instructions and what was applied, per
/// program name.
fn relocate_all<'a>(
    spec: &'a CollectionSpec,
    target: Target<'a>,
) -> HashMap<String, (Vec<Insn>, Vec<Applied<'a>>)> {
    let local = spec.btf.as_deref().expect("object BTF");
    let mut relocator = Relocator::new(local, target);
    let mut out = HashMap::new();
    for p in &spec.programs {
        let mut insns = p.insns.clone();
        let applied = relocator
            .relocate(&mut insns, &p.core_relos)
            .unwrap_or_else(|e| panic!("{}: {e}: {}", p.name, e.source));
        assert_eq!(applied.len(), p.core_relos.len());
        out.insert(p.name.clone(), (insns, applied));
    }
    out
}

/// `kind c_access` of an applied relocation: `byte_off struct s.a`.
fn key(a: &Applied<'_>) -> String {
    format!("{} {}", a.kind, a.outcome.local_spec.c_access())
}

// ---------------------------------------------------------------------
// Against the running kernel.

const K_PID: usize = 0;
const K_TGID: usize = 1;
const K_PARENT_TGID: usize = 2;
const K_RESET_ON_FORK: usize = 3;
const K_CONTRIB_TO_LOAD: usize = 4;
const K_COMM_SIZE: usize = 5;
const K_PID_SIGNED: usize = 6;
const K_FLAGS_SIGNED: usize = 7;
const K_OLD_STATE_EXISTS: usize = 8;
const K_STATE: usize = 9;
const K_TASK_EXISTS: usize = 10;
const K_MISSING_EXISTS: usize = 11;
const K_TASK_SIZE: usize = 12;
const K_TASK_ID_KERNEL: usize = 13;
const K_TASK_ID_LOCAL: usize = 14;
const K_MATCH: usize = 15;
const K_NOMATCH: usize = 16;
const K_ARENA_EXISTS: usize = 17;
const K_ARENA_VALUE: usize = 18;
const K_NOPE_EXISTS: usize = 19;
const K_CALLCHAIN_KERNEL: usize = 20;
const K_PID_OFFSET: usize = 21;
const K_COMM1: usize = 22;
const K_RESET_ON_FORK_SIZE: usize = 23;
const K_NR: usize = 24;

/// What the kernel's BTF says, computed with the BTF crate's queries (not
/// with the relocator).
struct KernelFacts {
    task: TypeId,
    task_size: u32,
    pid_off: u32,
    tgid_off: u32,
    comm_off: u32,
    reset_on_fork_bit: u32,
    /// `BPF_MAP_TYPE_ARENA` (6.9+), if this kernel has it.
    arena: Option<u64>,
    callchain_kernel: u64,
}

fn kernel_facts(vmlinux: &Btf<'_>) -> KernelFacts {
    let task = vmlinux
        .find_by_name_kind("task_struct", Kind::Struct)
        .expect("task_struct");
    let Some(Type::Struct(s)) = vmlinux.type_by_id(task) else {
        panic!()
    };
    let member = |n: &str| s.member(n).unwrap_or_else(|| panic!("task_struct.{n}"));
    let enumerator = |e: &str, v: &str| {
        let id = vmlinux
            .find_by_name(e)
            .unwrap_or_else(|| panic!("enum {e}"));
        match vmlinux.type_by_id(id) {
            Some(Type::Enum(x) | Type::Enum64(x)) => {
                x.values().find(|x| x.name == v).unwrap().value
            }
            _ => panic!("{e} is not an enum"),
        }
    };
    KernelFacts {
        task,
        task_size: vmlinux.size_of(task).unwrap(),
        pid_off: member("pid").offset.bytes(),
        tgid_off: member("tgid").offset.bytes(),
        comm_off: member("comm").offset.bytes(),
        reset_on_fork_bit: member("sched_reset_on_fork").offset.0,
        arena: vmlinux
            .find_by_name("bpf_map_type")
            .and_then(|id| match vmlinux.type_by_id(id) {
                Some(Type::Enum(x) | Type::Enum64(x)) => x
                    .values()
                    .find(|x| x.name == "BPF_MAP_TYPE_ARENA")
                    .map(|x| x.value),
                _ => None,
            }),
        callchain_kernel: enumerator("perf_callchain_context", "PERF_CONTEXT_KERNEL"),
    }
}

#[test]
fn kernel_relocations_computed_exactly() {
    if !common::require("kernel-btf") {
        return;
    }
    let vmlinux = Btf::kernel().expect("kernel BTF (/sys/kernel/btf/vmlinux)");
    let facts = kernel_facts(&vmlinux);
    let index = CandidateIndex::build(&vmlinux);
    let spec = core_obj("kernel");
    let local = spec.btf.as_deref().unwrap();
    let local_task = local
        .find_by_name_kind("task_struct", Kind::Struct)
        .unwrap();
    let target = Target {
        btf: &vmlinux,
        name: "vmlinux",
        index: &index,
    };
    let all = relocate_all(&spec, target);
    let (insns, applied) = &all["kernel_task"];
    // The bitfield's containing u32 (libbpf's smallest load of the
    // bitfield's type size that covers it).
    let rof_word = facts.reset_on_fork_bit / 32 * 4;
    let rof_lshift = 64 - (facts.reset_on_fork_bit + 1 - rof_word * 8);
    let expect: HashMap<&str, u64> = [
        ("byte_off struct task_struct.pid", u64::from(facts.pid_off)),
        (
            "byte_off struct task_struct.tgid",
            u64::from(facts.tgid_off),
        ),
        (
            "byte_off struct task_struct.comm",
            u64::from(facts.comm_off),
        ),
        (
            "byte_off struct task_struct.comm[1]",
            u64::from(facts.comm_off + 1),
        ),
        ("byte_sz struct task_struct.comm", 16),
        ("signed struct task_struct.pid", 1),
        ("signed struct task_struct.flags", 0),
        (
            "byte_off struct task_struct.sched_reset_on_fork",
            u64::from(rof_word),
        ),
        ("byte_sz struct task_struct.sched_reset_on_fork", 4),
        (
            "lshift_u64 struct task_struct.sched_reset_on_fork",
            u64::from(rof_lshift),
        ),
        ("rshift_u64 struct task_struct.sched_reset_on_fork", 63),
        ("signed struct task_struct.sched_reset_on_fork", 0),
        ("field_exists struct task_struct___old.state", 0),
        ("type_exists struct task_struct", 1),
        ("type_exists struct oxbpf_not_in_kernel", 0),
        ("type_size struct task_struct", u64::from(facts.task_size)),
        ("target_type_id struct task_struct", u64::from(facts.task.0)),
        ("local_type_id struct task_struct", u64::from(local_task.0)),
        ("type_matches struct task_struct___match", 1),
        ("type_matches struct task_struct___nomatch", 0),
        (
            "enumval_exists enum bpf_map_type___l::BPF_MAP_TYPE_ARENA___l",
            u64::from(facts.arena.is_some()),
        ),
        (
            "enumval_value enum bpf_map_type___l::BPF_MAP_TYPE_ARENA___l",
            facts.arena.unwrap_or(0),
        ),
        (
            "enumval_exists enum bpf_map_type___l::BPF_MAP_TYPE_OXBPF_NOPE___l",
            0,
        ),
        (
            "enumval_value enum perf_callchain_context___l::PERF_CONTEXT_KERNEL___l",
            facts.callchain_kernel,
        ),
    ]
    .into_iter()
    .collect();
    let mut kinds_seen = std::collections::BTreeSet::new();
    for a in applied {
        let k = key(a);
        kinds_seen.insert(a.kind.raw());
        let res = &a.outcome.result;
        if k == "enumval_value enum bpf_map_type___l::BPF_MAP_TYPE_ARENA___l"
            && facts.arena.is_none()
        {
            // No such enumerator before 6.9: poisoned, guarded dead code.
            assert!(res.poison, "{k}");
            continue;
        }
        if k == "byte_off struct task_struct___old.state" {
            // Missing on this kernel, guarded: poisoned, dead code.
            assert!(res.poison, "{k}");
            assert_eq!(insns[a.insn], POISON_INSN, "{k}");
            continue;
        }
        assert!(!res.poison, "{k} poisoned");
        if let Some(&want) = expect.get(k.as_str()) {
            assert_eq!(res.new_val, want, "{k}");
        }
        // Every relocation of a field this kernel has resolves to a
        // candidate, with the patched value in the instruction.
        let i = &insns[a.insn];
        match i.class() {
            op::ALU | op::ALU64 => assert_eq!(i.imm as u64, res.new_val as u32 as u64, "{k}"),
            op::LD => {
                let imm = u64::from(i.imm as u32) | (u64::from(insns[a.insn + 1].imm as u32) << 32);
                assert_eq!(imm, res.new_val, "{k}");
            }
            c => panic!("{k}: unexpected class {c}"),
        }
    }
    for k in expect.keys() {
        assert!(
            applied.iter().any(|a| key(a) == *k),
            "no relocation {k} in the object"
        );
    }
    // All 13 kinds are exercised by this object.
    assert_eq!(
        kinds_seen.len(),
        13,
        "kinds: {:?}",
        kinds_seen
            .iter()
            .map(|&k| ReloKind::from_raw(k).unwrap())
            .collect::<Vec<_>>()
    );
}

/// Sets this thread's name and `SCHED_RESET_ON_FORK`, loads and runs
/// `kernel_task` here, and returns `out` and `comm`.
fn run_kernel_task(spec: &CollectionSpec) -> (Vec<u64>, Vec<u8>) {
    // SAFETY: PR_SET_NAME reads a NUL-terminated string of at most 16 bytes.
    let rc = unsafe { libc::prctl(libc::PR_SET_NAME, c"oxbpf-core-t".as_ptr()) };
    assert_eq!(rc, 0);
    let param = libc::sched_param { sched_priority: 0 };
    // SAFETY: `param` is a valid sched_param; 0 is this thread.
    let rc = unsafe {
        libc::sched_setscheduler(0, libc::SCHED_OTHER | libc::SCHED_RESET_ON_FORK, &param)
    };
    assert_eq!(
        rc,
        0,
        "sched_setscheduler: {}",
        std::io::Error::last_os_error()
    );
    let coll = Collection::load(spec, &LoadOptions::default()).unwrap_or_else(|e| panic!("{e:?}"));
    let prog = coll.program("kernel_task").unwrap();
    let res = prog.test_run(&TestRun::default()).unwrap();
    assert_eq!(res.retval, 0);
    let out = u64s(spec, &coll, "out");
    let (sec, var) = spec.variable("comm").unwrap();
    let bss = lookup0(coll.map(&sec.section).unwrap());
    let comm = bss[var.offset as usize..(var.offset + var.size) as usize].to_vec();
    (out, comm)
}

#[test]
fn kernel_program_reads_its_own_task() {
    if !require_kernel() {
        return;
    }
    let vmlinux = Btf::kernel().unwrap();
    let facts = kernel_facts(&vmlinux);
    let spec = core_obj("kernel");
    let local_task = spec
        .btf
        .as_deref()
        .unwrap()
        .find_by_name_kind("task_struct", Kind::Struct)
        .unwrap();
    let spec2 = spec.clone();
    let (out, comm, tid) = std::thread::spawn(move || {
        // SAFETY: gettid has no preconditions.
        let tid = unsafe { libc::gettid() };
        let (out, comm) = run_kernel_task(&spec2);
        (out, comm, tid)
    })
    .join()
    .unwrap();
    assert_eq!(out.len(), K_NR);
    assert_eq!(
        out[K_PID] as i64,
        i64::from(tid),
        "task->pid is the thread id"
    );
    assert_eq!(out[K_TGID] as i64, i64::from(std::process::id()));
    // SAFETY: getppid has no preconditions.
    let ppid = unsafe { libc::getppid() };
    assert_eq!(out[K_PARENT_TGID] as i64, i64::from(ppid));
    assert_eq!(out[K_RESET_ON_FORK], 1, "sched_reset_on_fork, a bitfield");
    assert!(out[K_CONTRIB_TO_LOAD] <= 1, "a 1-bit field");
    assert_eq!(&comm[..13], b"oxbpf-core-t\0");
    assert_eq!(out[K_COMM1], u64::from(b'x'), "comm[1]");
    assert_eq!(out[K_COMM_SIZE], 16);
    assert_eq!(out[K_PID_SIGNED], 1);
    assert_eq!(out[K_FLAGS_SIGNED], 0);
    assert_eq!(out[K_RESET_ON_FORK_SIZE], 4);
    assert_eq!(out[K_PID_OFFSET], u64::from(facts.pid_off));
    assert_eq!(
        out[K_OLD_STATE_EXISTS], 0,
        "`state` is `__state` since 5.14"
    );
    assert_eq!(
        out[K_STATE], 0,
        "TASK_RUNNING, read through the ___new flavor"
    );
    assert_eq!(out[K_TASK_EXISTS], 1);
    assert_eq!(out[K_MISSING_EXISTS], 0);
    assert_eq!(out[K_TASK_SIZE], u64::from(facts.task_size));
    assert_eq!(out[K_TASK_ID_KERNEL], u64::from(facts.task.0));
    assert_eq!(out[K_TASK_ID_LOCAL], u64::from(local_task.0));
    assert_eq!(out[K_MATCH], 1);
    assert_eq!(out[K_NOMATCH], 0);
    assert_eq!(out[K_ARENA_EXISTS], u64::from(facts.arena.is_some()));
    assert_eq!(out[K_ARENA_VALUE], facts.arena.unwrap_or(0));
    assert_eq!(out[K_NOPE_EXISTS], 0);
    assert_eq!(out[K_CALLCHAIN_KERNEL], facts.callchain_kernel);
    assert_eq!(facts.callchain_kernel, -128i64 as u64, "an ENUM64 value");
}

#[test]
fn unguarded_missing_field_names_the_relocation() {
    if !require_kernel() {
        return;
    }
    let spec = core_obj("unresolved");
    let err = Collection::load(&spec, &LoadOptions::default()).unwrap_err();
    let msg = err.to_string();
    match &err {
        LoadError::CoreUnresolved(u) => {
            let (libbpf_spec, log) = (&u.spec, &u.log);
            assert_eq!(u.program, "unguarded");
            assert_eq!(u.relocation, 1);
            assert_eq!(u.insn, 2);
            assert_eq!(u.access, "struct task_struct.mm->oxbpf_missing");
            assert!(
                libbpf_spec.starts_with("<byte_off> [")
                    && libbpf_spec.ends_with("struct mm_struct.oxbpf_missing (0:0 @ offset 0)"),
                "{libbpf_spec}"
            );
            assert!(log.as_str().contains("invalid func unknown#195896080"));
        }
        e => panic!("expected CoreUnresolved, got {e:?}"),
    }
    assert!(msg.contains("`unguarded`") && msg.contains("#2") && msg.contains("relocation #1"));
    assert!(
        msg.contains("struct task_struct.mm->oxbpf_missing"),
        "{msg}"
    );
    assert!(err.verifier_log().is_some());
    assert_eq!(err.errno(), Some(libc::EINVAL));
}

// ---------------------------------------------------------------------
// Synthetic types against built target BTFs.

fn slot(name: &str) -> Option<(&'static str, usize)> {
    // The program's `out[SLOT] = <relocated constant>` stores, by access.
    let fields: &[(&str, usize)] = &[
        ("byte_off struct sample.a", f::A_OFF),
        ("byte_sz struct sample.a", f::A_SIZE),
        ("signed struct sample.a", f::A_SIGNED),
        ("byte_off struct sample.b", f::B_OFF),
        ("byte_sz struct sample.b", f::B_SIZE),
        ("byte_off struct sample.c", f::C_OFF),
        ("byte_sz struct sample.uc", f::UC_SIZE),
        ("byte_off struct sample.bf_u", f::BFU_OFF),
        ("byte_sz struct sample.bf_u", f::BFU_SIZE),
        ("lshift_u64 struct sample.bf_u", f::BFU_LSHIFT),
        ("rshift_u64 struct sample.bf_u", f::BFU_RSHIFT),
        ("signed struct sample.bf_s", f::BFS_SIGNED),
        ("lshift_u64 struct sample.bf_s", f::BFS_LSHIFT),
        ("rshift_u64 struct sample.bf_s", f::BFS_RSHIFT),
        ("byte_off struct sample.arr", f::ARR_OFF),
        ("byte_sz struct sample.arr", f::ARR_SIZE),
        ("byte_off struct sample.arr[2]", f::ARR2_OFF),
        ("byte_off struct sample.in.y", f::INY_OFF),
        ("byte_off struct sample.ins[1].x", f::INS1X_OFF),
        ("byte_off struct sample.u2", f::U2_OFF),
        ("signed struct sample.col", f::COL_SIGNED),
        ("byte_sz struct sample.ptr", f::PTR_SIZE),
        ("field_exists struct sample.gone", f::GONE_EXISTS),
        ("byte_off struct sample.tail[1]", f::TAIL1_OFF),
    ];
    let types: &[(&str, usize)] = &[
        ("type_exists struct sample", t::SAMPLE_EXISTS),
        ("type_exists struct missing_type", t::MISSING_EXISTS),
        ("type_size struct sample", t::SAMPLE_SIZE),
        ("type_size typedef u32_t", t::U32_SIZE),
        ("local_type_id struct sample", t::SAMPLE_ID_LOCAL),
        ("target_type_id struct sample", t::SAMPLE_ID_TARGET),
        ("type_matches struct sample___m", t::SAMPLE_MATCHES),
        ("enumval_exists enum color::BLUE", t::BLUE_EXISTS),
        ("enumval_value enum color::GREEN", t::GREEN_VALUE),
        ("enumval_value enum sneg::NEG", t::NEG_VALUE),
        ("enumval_value enum big::BIG_B", t::BIGB_VALUE),
        ("enumval_exists enum big::BIG_A", t::BIGA_EXISTS),
        ("enumval_value enum color___v2::GREEN___v2", t::GREEN2_VALUE),
        (
            "enumval_exists enum color___v2::PURPLE___v2",
            t::PURPLE2_EXISTS,
        ),
        ("target_type_id struct missing_type", t::MISSING_ID_TARGET),
    ];
    fields
        .iter()
        .map(|&(k, s)| ("fields", k, s))
        .chain(types.iter().map(|&(k, s)| ("types", k, s)))
        .find(|(_, k, _)| *k == name)
        .map(|(p, _, s)| (p, s))
}

/// Checks every relocation of synthetic.bpf.o against `v`, at the level
/// of the pure relocator: values, poisoning and patched instructions.
fn check_synthetic_relocations(v: &Variant) {
    let spec = core_obj("synthetic");
    let local = spec.btf.as_deref().unwrap();
    let local_sample = local.find_by_name_kind("sample", Kind::Struct).unwrap();
    let btf = v.btf();
    let index = CandidateIndex::build(&btf);
    let target = Target {
        btf: &btf,
        name: v.name,
        index: &index,
    };
    let all = relocate_all(&spec, target);
    let mut checked = 0;
    for (prog, (insns, applied)) in &all {
        for a in applied {
            let k = key(a);
            let res = a.outcome.result;
            let insn = insns[a.insn];
            let orig = spec.program(prog).unwrap().insns[a.insn];
            if let Some((p, s)) = slot(&k).filter(|(p, _)| p == prog) {
                let want = match (p, s) {
                    ("fields", s) => v.fields[s],
                    ("types", s) if s == t::SAMPLE_ID_LOCAL => u64::from(local_sample.0),
                    (_, s) => v.types[s],
                };
                assert!(!res.poison, "{}: {k} poisoned", v.name);
                assert_eq!(res.new_val, want, "{}: {k}", v.name);
                checked += 1;
            }
            if res.poison {
                // Only what the target lacks, guarded in the program.
                assert!(
                    matches!(
                        k.as_str(),
                        "byte_off struct sample.gone"
                            | "byte_off struct sample___v1.old_name"
                            | "byte_off struct sample___v2.new_name"
                    ),
                    "{}: {k} poisoned",
                    v.name
                );
                assert!(insn == POISON_INSN && is_poisoned(&insn));
                continue;
            }
            match insn.class() {
                op::ALU | op::ALU64 => {
                    assert_eq!(insn.imm, res.new_val as i32, "{}: {k}", v.name);
                    assert_eq!((insn.code, insn.dst), (orig.code, orig.dst));
                }
                op::LD => {
                    let imm = u64::from(insn.imm as u32)
                        | (u64::from(insns[a.insn + 1].imm as u32) << 32);
                    assert_eq!(imm, res.new_val, "{}: {k}", v.name);
                }
                op::LDX => {
                    assert_eq!(insn.off as u64, res.new_val, "{}: {k}", v.name);
                    // The access size follows the field's, for unsigned
                    // integers and pointers.
                    let size = |code: u8| match code & 0x18 {
                        op::DW => 8,
                        op::W => 4,
                        op::H => 2,
                        _ => 1,
                    };
                    let want = if res.new_sz != 0 {
                        res.new_sz
                    } else {
                        size(orig.code)
                    };
                    assert_eq!(size(insn.code), want, "{}: {k}", v.name);
                    assert_eq!(insn.code & !0x18, orig.code & !0x18);
                }
                c => panic!("{k}: class {c}"),
            }
        }
    }
    if checked != f::NR + t::NR {
        let keys: Vec<String> = all.values().flat_map(|(_, a)| a.iter().map(key)).collect();
        panic!(
            "{}: {checked} slots checked, not {}: {keys:#?}",
            v.name,
            f::NR + t::NR
        );
    }
    // Spot checks of load size changes.
    let (insns, applied) = &all["reads"];
    let ldx = |name: &str| {
        let a = applied
            .iter()
            .find(|a| key(a) == name && insns[a.insn].class() == op::LDX)
            .unwrap_or_else(|| panic!("no load of {name}"));
        insns[a.insn]
    };
    if v.name == "moved" {
        assert_eq!(
            ldx("byte_off struct sample.b").code & 0x18,
            op::W,
            "u16 → u32"
        );
        assert_eq!(
            ldx("byte_off struct sample.uc").code & 0x18,
            op::W,
            "u64 → u32"
        );
        assert_eq!(ldx("byte_off struct sample.c").off, 0);
    }
}

/// Loads synthetic.bpf.o with `v` as the CO-RE target, runs each program
/// and checks what it stored.
fn run_synthetic(v: &Variant, core_btf: CoreBtf) {
    let mut spec = core_obj("synthetic");
    spec.set_variable_bytes("buf", &v.buf).unwrap();
    let local_sample = spec
        .btf
        .as_deref()
        .unwrap()
        .find_by_name_kind("sample", Kind::Struct)
        .unwrap();
    let coll = Collection::load(
        &spec,
        &LoadOptions {
            core_btf: Some(core_btf),
            ..Default::default()
        },
    )
    .unwrap_or_else(|e| panic!("{}: {e}", v.name));
    for p in ["fields", "reads", "types"] {
        let res = coll
            .program(p)
            .unwrap()
            .test_run(&TestRun {
                data_in: &[0u8; 64],
                ..Default::default()
            })
            .unwrap();
        assert_eq!(res.retval, 2, "{p}: XDP_PASS");
    }
    assert_eq!(
        u64s(&spec, &coll, "fields_out"),
        v.fields,
        "{}: fields",
        v.name
    );
    let mut types = v.types;
    types[t::SAMPLE_ID_LOCAL] = u64::from(local_sample.0);
    assert_eq!(u64s(&spec, &coll, "types_out"), types, "{}: types", v.name);
    let reads = u64s(&spec, &coll, "reads_out");
    for (i, (got, want)) in reads.iter().zip(v.reads).enumerate() {
        assert_eq!(
            *got, want,
            "{}: reads_out[{i}] = {got:#x}, want {want:#x}",
            v.name
        );
    }
}

#[test]
fn synthetic_against_moved_target() {
    check_synthetic_relocations(&moved());
}

#[test]
fn synthetic_against_removed_target() {
    check_synthetic_relocations(&removed());
}

#[test]
fn synthetic_loaded_with_moved_target_runs() {
    if !require_kernel() {
        return;
    }
    let v = moved();
    run_synthetic(&v, CoreBtf::Btf(Arc::new(v.btf())));
}

#[test]
fn synthetic_loaded_with_removed_target_file_runs() {
    if !require_kernel() {
        return;
    }
    let v = removed();
    let dir = std::env::temp_dir().join(format!("oxbpf-core-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("removed.btf");
    std::fs::write(&path, &v.bytes).unwrap();
    run_synthetic(&v, CoreBtf::File(path.clone()));
    let _ = std::fs::remove_dir_all(&dir);
}
