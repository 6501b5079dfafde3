//! Producers for the event reader tests and benchmarks: hand-assembled
//! XDP programs run with `BPF_PROG_TEST_RUN`.
//!
//! Each program takes its parameters from the test packet and uses
//! `bpf_loop` to emit records with consecutive sequence numbers:
//!
//! ```text
//! packet: u64 count, u64 start_seq, u64 size, u64 flags, u64 discard_mod,
//!         u64 produced (0), u8 buf[256] (the payload pattern)
//! record: buf[..size] with its first and last 8 bytes replaced by the
//!         sequence number (start_seq + loop index)
//! retval: records emitted (ring buffers stop at the first refusal; the
//!         perf producer goes on, the kernel counting refusals as lost)
//! ```
//!
//! The instructions are encoded here from `oxbpf_sys::BpfInsn` (not the
//! loader's builder) so these tests depend on nothing but `oxbpf-maps`.
//! `bpf_loop` and `bpf_user_ringbuf_drain` callbacks need BTF `func_info`
//! (the verifier insists on static callbacks), built with `BtfBuilder`.

#![allow(dead_code)] // each test binary uses a different subset

use std::collections::HashMap;
use std::os::fd::{AsFd, AsRawFd, OwnedFd};

use oxbpf_btf::{BtfBuilder, IntEncoding, Linkage, TypeId};
use oxbpf_maps::Map;
use oxbpf_sys::{
    btf_load, prog_load, prog_test_run, BpfInsn, LogBuffer, LogLevel, ProgLoadArgs, ProgramType,
    Records, TestRunArgs,
};

// ---- a tiny assembler with labels -----------------------------------------

pub mod reg {
    pub const R0: u8 = 0;
    pub const R1: u8 = 1;
    pub const R2: u8 = 2;
    pub const R3: u8 = 3;
    pub const R4: u8 = 4;
    pub const R5: u8 = 5;
    pub const R6: u8 = 6;
    pub const R7: u8 = 7;
    pub const R8: u8 = 8;
    pub const R9: u8 = 9;
    pub const FP: u8 = 10;
}
use reg::*;

/// Jump conditions (`BPF_JMP | op | BPF_K/BPF_X`).
pub const JEQ: u8 = 0x10;
pub const JGT: u8 = 0x20;
pub const JNE: u8 = 0x50;

/// Sizes.
pub const DW: u8 = 0x18;
pub const W: u8 = 0x00;
pub const B: u8 = 0x10;

/// Helper numbers (`enum bpf_func_id`).
pub mod helper {
    pub const PERF_EVENT_OUTPUT: i32 = 25;
    pub const RINGBUF_OUTPUT: i32 = 130;
    pub const RINGBUF_RESERVE: i32 = 131;
    pub const RINGBUF_SUBMIT: i32 = 132;
    pub const RINGBUF_DISCARD: i32 = 133;
    pub const LOOP: i32 = 181;
    pub const XDP_LOAD_BYTES: i32 = 189;
    pub const DYNPTR_READ: i32 = 201;
    pub const USER_RINGBUF_DRAIN: i32 = 209;
}

enum Fixup {
    Jump(&'static str),
    Func(&'static str),
}

#[derive(Default)]
pub struct Asm {
    insns: Vec<BpfInsn>,
    labels: HashMap<&'static str, usize>,
    fixups: Vec<(usize, Fixup)>,
}

impl Asm {
    pub fn pc(&self) -> usize {
        self.insns.len()
    }
    fn raw(&mut self, code: u8, dst: u8, src: u8, off: i16, imm: i32) -> &mut Self {
        self.insns.push(BpfInsn::new(code, dst, src, off, imm));
        self
    }
    pub fn label(&mut self, name: &'static str) -> &mut Self {
        assert!(self.labels.insert(name, self.pc()).is_none(), "{name}");
        self
    }
    pub fn mov_imm(&mut self, dst: u8, imm: i32) -> &mut Self {
        self.raw(0xb7, dst, 0, 0, imm)
    }
    pub fn mov(&mut self, dst: u8, src: u8) -> &mut Self {
        self.raw(0xbf, dst, src, 0, 0)
    }
    pub fn add_imm(&mut self, dst: u8, imm: i32) -> &mut Self {
        self.raw(0x07, dst, 0, 0, imm)
    }
    pub fn add(&mut self, dst: u8, src: u8) -> &mut Self {
        self.raw(0x0f, dst, src, 0, 0)
    }
    pub fn rsh_imm(&mut self, dst: u8, imm: i32) -> &mut Self {
        self.raw(0x77, dst, 0, 0, imm)
    }
    pub fn and_imm(&mut self, dst: u8, imm: i32) -> &mut Self {
        self.raw(0x57, dst, 0, 0, imm)
    }
    /// `dst %= src` (64-bit, unsigned).
    pub fn mod_reg(&mut self, dst: u8, src: u8) -> &mut Self {
        self.raw(0x9f, dst, src, 0, 0)
    }
    pub fn ldx(&mut self, size: u8, dst: u8, src: u8, off: i16) -> &mut Self {
        self.raw(0x61 | size, dst, src, off, 0)
    }
    pub fn stx(&mut self, size: u8, dst: u8, src: u8, off: i16) -> &mut Self {
        self.raw(0x63 | size, dst, src, off, 0)
    }
    pub fn st(&mut self, size: u8, dst: u8, off: i16, imm: i32) -> &mut Self {
        self.raw(0x62 | size, dst, 0, off, imm)
    }
    pub fn jmp_imm(&mut self, op: u8, dst: u8, imm: i32, target: &'static str) -> &mut Self {
        self.fixups.push((self.pc(), Fixup::Jump(target)));
        self.raw(0x05 | op, dst, 0, 0, imm)
    }
    pub fn jmp_reg(&mut self, op: u8, dst: u8, src: u8, target: &'static str) -> &mut Self {
        self.fixups.push((self.pc(), Fixup::Jump(target)));
        self.raw(0x0d | op, dst, src, 0, 0)
    }
    pub fn ja(&mut self, target: &'static str) -> &mut Self {
        self.fixups.push((self.pc(), Fixup::Jump(target)));
        self.raw(0x05, 0, 0, 0, 0)
    }
    pub fn call(&mut self, helper: i32) -> &mut Self {
        self.raw(0x85, 0, 0, 0, helper)
    }
    pub fn exit(&mut self) -> &mut Self {
        self.raw(0x95, 0, 0, 0, 0)
    }
    fn ld_imm64(&mut self, dst: u8, src: u8, lo: i32, hi: i32) -> &mut Self {
        self.raw(0x18, dst, src, 0, lo).raw(0, 0, 0, 0, hi)
    }
    pub fn ld_map_fd(&mut self, dst: u8, map: &Map) -> &mut Self {
        self.ld_imm64(dst, 1, map.as_fd().as_raw_fd(), 0)
    }
    /// `dst = &map_value[0] + off` (`BPF_PSEUDO_MAP_VALUE`).
    pub fn ld_map_value(&mut self, dst: u8, map: &Map, off: u32) -> &mut Self {
        self.ld_imm64(dst, 2, map.as_fd().as_raw_fd(), off as i32)
    }
    /// `dst = &func` (`BPF_PSEUDO_FUNC`), for callbacks.
    pub fn ld_func(&mut self, dst: u8, target: &'static str) -> &mut Self {
        self.fixups.push((self.pc(), Fixup::Func(target)));
        self.ld_imm64(dst, 4, 0, 0)
    }
    pub fn finish(mut self) -> Vec<BpfInsn> {
        for (at, fixup) in std::mem::take(&mut self.fixups) {
            let (name, is_func) = match fixup {
                Fixup::Jump(n) => (n, false),
                Fixup::Func(n) => (n, true),
            };
            let target = *self
                .labels
                .get(name)
                .unwrap_or_else(|| panic!("label {name}"));
            let rel = target as i64 - (at as i64 + 1);
            let insn = &mut self.insns[at];
            if is_func {
                insn.imm = rel as i32;
            } else {
                insn.off = i16::try_from(rel).expect("jump too far");
            }
        }
        self.insns
    }
}

// ---- loading ---------------------------------------------------------------

/// BTF with `long main(void *)` (global) and `long cb(long, void *)`
/// (static); func_info for both.
fn callback_btf() -> (Vec<u8>, TypeId, TypeId) {
    let mut b = BtfBuilder::new();
    let long = b.add_int("long", 8, IntEncoding::Signed);
    let ptr = b.add_ptr(TypeId::VOID);
    let main_proto = b.add_func_proto(long, &[("ctx", ptr)]).unwrap();
    let cb_proto = b.add_func_proto(long, &[("a", long), ("b", ptr)]).unwrap();
    let main = b.add_func("prog", main_proto, Linkage::Global);
    let cb = b.add_func("cb", cb_proto, Linkage::Static);
    (b.to_bytes().unwrap(), main, cb)
}

/// Loads an XDP program whose callback starts at `cb_start`.
pub fn load_xdp_with_callback(insns: &[BpfInsn], cb_start: usize) -> OwnedFd {
    let (btf, main, cb) = callback_btf();
    let btf_fd = btf_load(&btf, None, None).expect("load BTF");
    let mut func_info = Vec::new();
    for (off, id) in [(0u32, main), (cb_start as u32, cb)] {
        func_info.extend_from_slice(&off.to_ne_bytes());
        func_info.extend_from_slice(&id.get().to_ne_bytes());
    }
    let mut log = vec![0u8; 1 << 20];
    let mut log_buf = LogBuffer::new(&mut log, LogLevel::LEVEL1);
    let result = prog_load(
        &ProgLoadArgs {
            prog_type: ProgramType::XDP,
            insns,
            license: c"GPL",
            prog_btf: Some(btf_fd.as_fd()),
            func_info: Records {
                data: &func_info,
                rec_size: 8,
            },
            ..Default::default()
        },
        Some(&mut log_buf),
    );
    match result {
        Ok(fd) => fd,
        Err(e) => panic!(
            "program rejected: {e} ({:?})\n{}",
            e.source,
            log_buf.to_string_lossy()
        ),
    }
}

// ---- producers ---------------------------------------------------------------

/// Parameter block offsets (in the packet and the bpf_loop context).
const P_COUNT: i16 = 0;
const P_START: i16 = 8;
const P_SIZE: i16 = 16;
const P_FLAGS: i16 = 24;
const P_DISCARD: i16 = 32;
const P_PRODUCED: i16 = 40;
const P_BUF: i16 = 48;
/// Largest payload of the variable-size producers.
pub const MAX_PAYLOAD: usize = 256;
const P_LEN: i32 = P_BUF as i32 + MAX_PAYLOAD as i32;
/// The context block lives at `fp + P_BASE` of the main program.
const P_BASE: i16 = -(P_LEN as i16) - 8;

/// How a producer writes each record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Emit {
    /// `bpf_ringbuf_output(map, buf, size, flags)`: any size 16..=256.
    RingbufOutput,
    /// `bpf_ringbuf_reserve(map, N, 0)`, fill, `bpf_ringbuf_submit` (or
    /// `bpf_ringbuf_discard` for sequence numbers divisible by the
    /// `discard_mod` parameter): fixed size `N` (a multiple of 8).
    RingbufReserve(u32),
    /// `bpf_perf_event_output(ctx, map, flags, buf, size)`: any size
    /// 16..=256.
    PerfOutput,
}

/// A loaded producer program.
pub struct Producer {
    pub prog: OwnedFd,
    pub emit: Emit,
}

/// Parameters of one producer run.
#[derive(Debug, Clone, Copy)]
pub struct Run {
    pub count: u64,
    pub start_seq: u64,
    pub size: u64,
    pub flags: u64,
    /// Discard (reserve mode) records whose seq is a multiple of this; 0: never.
    pub discard_mod: u64,
}

impl Run {
    pub fn new(count: u64, start_seq: u64, size: u64) -> Self {
        Self {
            count,
            start_seq,
            size,
            flags: 0,
            discard_mod: 0,
        }
    }
}

/// The pattern byte at payload offset `j` (the first and last 8 bytes of
/// each record hold its sequence number instead).
pub fn pattern(j: usize) -> u8 {
    (j.wrapping_mul(7) + 3) as u8
}

/// Checks a record produced by [`Producer::run`] or written for the drain
/// program: `seq` in its first and last 8 bytes, [`pattern`] bytes between.
pub fn check_record(record: &[u8], seq: u64, size: usize) {
    assert_eq!(record.len(), size, "record {seq}: size");
    assert!(size >= 16);
    let word = |at: usize| u64::from_ne_bytes(record[at..at + 8].try_into().unwrap());
    assert_eq!(word(0), seq, "sequence number");
    assert_eq!(
        word(size - 8),
        seq,
        "record {seq}: trailing sequence number"
    );
    for (j, &b) in record.iter().enumerate().take(size - 8).skip(8) {
        assert_eq!(b, pattern(j), "record {seq} byte {j}");
    }
}

/// The sequence number of a record.
pub fn seq_of(record: &[u8]) -> u64 {
    u64::from_ne_bytes(record[..8].try_into().unwrap())
}

impl Producer {
    pub fn new(map: &Map, emit: Emit) -> Self {
        let mut a = Asm::default();
        // main(xdp_md *ctx): load the parameter block from the packet,
        // spill ctx just below it, bpf_loop(count, cb, &block, 0).
        a.mov(R6, R1)
            .mov(R1, R6)
            .mov_imm(R2, 0)
            .mov(R3, FP)
            .add_imm(R3, P_BASE as i32)
            .mov_imm(R4, P_LEN)
            .call(helper::XDP_LOAD_BYTES)
            .jmp_imm(JNE, R0, 0, "fail")
            .stx(DW, FP, R6, P_BASE - 8)
            .ldx(DW, R1, FP, P_BASE + P_COUNT)
            .ld_func(R2, "cb")
            .mov(R3, FP)
            .add_imm(R3, P_BASE as i32)
            .mov_imm(R4, 0)
            .call(helper::LOOP)
            .ldx(DW, R0, FP, P_BASE + P_PRODUCED)
            .exit()
            .label("fail")
            .mov_imm(R0, -1)
            .exit();
        // cb(u64 index, struct params *p): seq = start + index.
        let cb_start = a.pc();
        a.label("cb")
            .mov(R6, R2)
            .ldx(DW, R7, R6, P_START)
            .add(R7, R1);
        match emit {
            Emit::RingbufOutput | Emit::PerfOutput => {
                // buf[0..8] = seq; buf[size-8..size] = seq; emit buf[..size]
                a.stx(DW, R6, R7, P_BUF)
                    .ldx(DW, R8, R6, P_SIZE)
                    .jmp_imm(JGT, R8, MAX_PAYLOAD as i32, "stop")
                    .jmp_imm(JGT, R8, 15, "size_ok")
                    .ja("stop")
                    .label("size_ok")
                    .mov(R2, R6)
                    .add(R2, R8);
                // Byte by byte: the size need not be a multiple of 8.
                for k in 0..8 {
                    a.mov(R1, R7)
                        .rsh_imm(R1, 8 * k)
                        .stx(B, R2, R1, P_BUF - 8 + k as i16);
                }
                if emit == Emit::RingbufOutput {
                    a.ld_map_fd(R1, map)
                        .mov(R2, R6)
                        .add_imm(R2, P_BUF as i32)
                        .mov(R3, R8)
                        .ldx(DW, R4, R6, P_FLAGS)
                        .call(helper::RINGBUF_OUTPUT)
                        .jmp_imm(JNE, R0, 0, "stop");
                } else {
                    // A full perf ring counts the record as lost: go on.
                    a.ldx(DW, R1, R6, -8)
                        .ld_map_fd(R2, map)
                        .ldx(DW, R3, R6, P_FLAGS)
                        .mov(R4, R6)
                        .add_imm(R4, P_BUF as i32)
                        .mov(R5, R8)
                        .call(helper::PERF_EVENT_OUTPUT)
                        .jmp_imm(JNE, R0, 0, "next");
                }
            }
            Emit::RingbufReserve(n) => {
                assert!(n % 8 == 0 && (16..=MAX_PAYLOAD as u32).contains(&n));
                a.ld_map_fd(R1, map)
                    .mov_imm(R2, n as i32)
                    .mov_imm(R3, 0)
                    .call(helper::RINGBUF_RESERVE)
                    .jmp_imm(JEQ, R0, 0, "stop")
                    .stx(DW, R0, R7, 0);
                for j in (8..n as i16 - 8).step_by(8) {
                    a.ldx(DW, R1, R6, P_BUF + j).stx(DW, R0, R1, j);
                }
                a.stx(DW, R0, R7, n as i16 - 8)
                    .ldx(DW, R1, R6, P_DISCARD)
                    .jmp_imm(JEQ, R1, 0, "submit")
                    .mov(R2, R7)
                    .mod_reg(R2, R1)
                    .jmp_imm(JNE, R2, 0, "submit")
                    .mov(R1, R0)
                    .ldx(DW, R2, R6, P_FLAGS)
                    .call(helper::RINGBUF_DISCARD)
                    .ja("count")
                    .label("submit")
                    .mov(R1, R0)
                    .ldx(DW, R2, R6, P_FLAGS)
                    .call(helper::RINGBUF_SUBMIT)
                    .label("count");
            }
        }
        a.ldx(DW, R1, R6, P_PRODUCED)
            .add_imm(R1, 1)
            .stx(DW, R6, R1, P_PRODUCED)
            .label("next")
            .mov_imm(R0, 0)
            .exit()
            .label("stop")
            .mov_imm(R0, 1)
            .exit();
        let insns = a.finish();
        Self {
            prog: load_xdp_with_callback(&insns, cb_start),
            emit,
        }
    }

    /// The packet for `run`.
    pub fn packet(run: &Run) -> Vec<u8> {
        let mut pkt = Vec::with_capacity(P_LEN as usize);
        for v in [
            run.count,
            run.start_seq,
            run.size,
            run.flags,
            run.discard_mod,
            0,
        ] {
            pkt.extend_from_slice(&v.to_ne_bytes());
        }
        pkt.extend((0..MAX_PAYLOAD).map(pattern));
        pkt
    }

    /// Runs the program once; returns how many records it emitted (less
    /// than `run.count` if the ring refused one).
    pub fn run(&self, run: &Run) -> u64 {
        let pkt = Self::packet(run);
        self.run_packet(&pkt)
    }

    /// Runs the program on a prepared [`packet`](Self::packet).
    pub fn run_packet(&self, pkt: &[u8]) -> u64 {
        let out = prog_test_run(
            &self.prog,
            &mut TestRunArgs {
                data_in: pkt,
                repeat: 1,
                ..Default::default()
            },
        )
        .expect("BPF_PROG_TEST_RUN");
        assert_ne!(out.retval, u32::MAX, "producer failed to read its packet");
        u64::from(out.retval)
    }
}

// ---- user ring buffer drain ----------------------------------------------------

/// A user ring buffer record for [`Drainer`]: `seq`, `len` (u64s), then
/// [`pattern`] bytes, then `seq` again in the last 8 bytes. `len >= 24`.
pub fn user_record(seq: u64, len: usize) -> Vec<u8> {
    assert!(len >= 24);
    let mut r: Vec<u8> = (0..len).map(pattern).collect();
    r[..8].copy_from_slice(&seq.to_ne_bytes());
    r[8..16].copy_from_slice(&(len as u64).to_ne_bytes());
    r[len - 8..].copy_from_slice(&seq.to_ne_bytes());
    r
}

/// What the drain program found so far (kept in an array map).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct DrainStats {
    /// Good records.
    pub count: u64,
    /// The sequence number expected next.
    pub next_seq: u64,
    /// Records with a wrong sequence number, length or trailer.
    pub bad: u64,
    /// Payload bytes of the good records.
    pub bytes: u64,
}

/// An XDP program calling `bpf_user_ringbuf_drain` on a user ring buffer;
/// its callback checks each [`user_record`] with `bpf_dynptr_read`: the
/// sequence number is the expected one, the trailer matches, and the
/// dynptr is exactly `len` bytes long.
pub struct Drainer {
    pub prog: OwnedFd,
    pub results: Map,
}

impl Drainer {
    pub fn new(urb: &Map) -> Self {
        use oxbpf_maps::{MapSpec, MapType};
        let results = Map::create(&MapSpec::new("drain_res", MapType::ARRAY, 4, 32, 1))
            .expect("create results map");
        let mut a = Asm::default();
        a.ld_map_value(R1, &results, 0);
        for k in 0..4 {
            a.ldx(DW, R2, R1, 8 * k).stx(DW, FP, R2, -32 + 8 * k);
        }
        a.ld_map_fd(R1, urb)
            .ld_func(R2, "cb")
            .mov(R3, FP)
            .add_imm(R3, -32)
            .mov_imm(R4, 0)
            .call(helper::USER_RINGBUF_DRAIN)
            .mov(R6, R0)
            .ld_map_value(R1, &results, 0);
        for k in 0..4 {
            a.ldx(DW, R2, FP, -32 + 8 * k).stx(DW, R1, R2, 8 * k);
        }
        a.mov(R0, R6).exit();
        let cb_start = a.pc();
        a.label("cb")
            .mov(R6, R2)
            .mov(R7, R1)
            // head: seq, len
            .mov(R1, FP)
            .add_imm(R1, -16)
            .mov_imm(R2, 16)
            .mov(R3, R7)
            .mov_imm(R4, 0)
            .mov_imm(R5, 0)
            .call(helper::DYNPTR_READ)
            .jmp_imm(JNE, R0, 0, "bad")
            .ldx(DW, R8, FP, -16)
            .ldx(DW, R9, FP, -8)
            .ldx(DW, R1, R6, 8)
            .jmp_reg(JNE, R8, R1, "bad")
            // trailer at len - 8
            .mov(R1, FP)
            .add_imm(R1, -24)
            .mov_imm(R2, 8)
            .mov(R3, R7)
            .mov(R4, R9)
            .add_imm(R4, -8)
            .mov_imm(R5, 0)
            .call(helper::DYNPTR_READ)
            .jmp_imm(JNE, R0, 0, "bad")
            .ldx(DW, R1, FP, -24)
            .jmp_reg(JNE, R1, R8, "bad")
            // one byte at len must be out of bounds
            .mov(R1, FP)
            .add_imm(R1, -24)
            .mov_imm(R2, 1)
            .mov(R3, R7)
            .mov(R4, R9)
            .mov_imm(R5, 0)
            .call(helper::DYNPTR_READ)
            .jmp_imm(JEQ, R0, 0, "bad")
            .ldx(DW, R1, R6, 0)
            .add_imm(R1, 1)
            .stx(DW, R6, R1, 0)
            .ldx(DW, R1, R6, 24)
            .add(R1, R9)
            .stx(DW, R6, R1, 24)
            .add_imm(R8, 1)
            .stx(DW, R6, R8, 8)
            .mov_imm(R0, 0)
            .exit()
            .label("bad")
            .ldx(DW, R1, R6, 16)
            .add_imm(R1, 1)
            .stx(DW, R6, R1, 16)
            .mov_imm(R0, 0)
            .exit();
        let insns = a.finish();
        Self {
            prog: load_xdp_with_callback(&insns, cb_start),
            results,
        }
    }

    /// Runs the program once: returns what `bpf_user_ringbuf_drain`
    /// returned (records drained, or a negative errno).
    pub fn run(&self) -> i64 {
        let pkt = [0u8; 64];
        let out = prog_test_run(
            &self.prog,
            &mut TestRunArgs {
                data_in: &pkt,
                repeat: 1,
                ..Default::default()
            },
        )
        .expect("BPF_PROG_TEST_RUN");
        i64::from(out.retval as i32)
    }

    pub fn stats(&self) -> DrainStats {
        let mut v = [0u8; 32];
        let found = self
            .results
            .lookup(&0u32.to_ne_bytes(), &mut v, oxbpf_sys::LookupFlags::empty())
            .expect("lookup results");
        assert!(found);
        let w = |k: usize| u64::from_ne_bytes(v[8 * k..8 * k + 8].try_into().unwrap());
        DrainStats {
            count: w(0),
            next_seq: w(1),
            bad: w(2),
            bytes: w(3),
        }
    }
}
