//! BPF instructions: the [`Insn`] type, a small builder, and a
//! disassembler printing the kernel's / bpftool's `prog dump xlated` syntax.

use std::fmt;

use crate::helpers::HELPER_NAMES;

/// A BPF register, `r0`..`r10`.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Reg(u8);

impl Reg {
    /// Return value, helper results.
    pub const R0: Self = Self(0);
    /// First argument (the context on entry).
    pub const R1: Self = Self(1);
    /// Second argument.
    pub const R2: Self = Self(2);
    /// Third argument.
    pub const R3: Self = Self(3);
    /// Fourth argument.
    pub const R4: Self = Self(4);
    /// Fifth argument.
    pub const R5: Self = Self(5);
    /// Callee-saved.
    pub const R6: Self = Self(6);
    /// Callee-saved.
    pub const R7: Self = Self(7);
    /// Callee-saved.
    pub const R8: Self = Self(8);
    /// Callee-saved.
    pub const R9: Self = Self(9);
    /// The read-only frame pointer.
    pub const R10: Self = Self(10);

    /// The register number.
    pub const fn get(self) -> u8 {
        self.0
    }
}

/// Opcode fields (`BPF_*` from `include/uapi/linux/bpf_common.h` and
/// `bpf.h`).
#[allow(missing_docs)]
pub mod op {
    // classes
    pub const LD: u8 = 0x00;
    pub const LDX: u8 = 0x01;
    pub const ST: u8 = 0x02;
    pub const STX: u8 = 0x03;
    pub const ALU: u8 = 0x04;
    pub const JMP: u8 = 0x05;
    pub const JMP32: u8 = 0x06;
    pub const ALU64: u8 = 0x07;
    // sizes
    pub const W: u8 = 0x00;
    pub const H: u8 = 0x08;
    pub const B: u8 = 0x10;
    pub const DW: u8 = 0x18;
    // modes
    pub const IMM: u8 = 0x00;
    pub const ABS: u8 = 0x20;
    pub const IND: u8 = 0x40;
    pub const MEM: u8 = 0x60;
    pub const MEMSX: u8 = 0x80;
    pub const ATOMIC: u8 = 0xc0;
    // sources
    pub const K: u8 = 0x00;
    pub const X: u8 = 0x08;
    // ALU operations
    pub const ADD: u8 = 0x00;
    pub const SUB: u8 = 0x10;
    pub const MUL: u8 = 0x20;
    pub const DIV: u8 = 0x30;
    pub const OR: u8 = 0x40;
    pub const AND: u8 = 0x50;
    pub const LSH: u8 = 0x60;
    pub const RSH: u8 = 0x70;
    pub const NEG: u8 = 0x80;
    pub const MOD: u8 = 0x90;
    pub const XOR: u8 = 0xa0;
    pub const MOV: u8 = 0xb0;
    pub const ARSH: u8 = 0xc0;
    pub const END: u8 = 0xd0;
    // jump operations
    pub const JA: u8 = 0x00;
    pub const JEQ: u8 = 0x10;
    pub const JGT: u8 = 0x20;
    pub const JGE: u8 = 0x30;
    pub const JSET: u8 = 0x40;
    pub const JNE: u8 = 0x50;
    pub const JSGT: u8 = 0x60;
    pub const JSGE: u8 = 0x70;
    pub const CALL: u8 = 0x80;
    pub const EXIT: u8 = 0x90;
    pub const JLT: u8 = 0xa0;
    pub const JLE: u8 = 0xb0;
    pub const JSLT: u8 = 0xc0;
    pub const JSLE: u8 = 0xd0;
    pub const JCOND: u8 = 0xe0;
    // atomic operations (in `imm`)
    pub const FETCH: i32 = 0x01;
    pub const XCHG: i32 = 0xe0 | FETCH;
    pub const CMPXCHG: i32 = 0xf0 | FETCH;
    pub const LOAD_ACQ: i32 = 0x100;
    pub const STORE_REL: i32 = 0x110;
}

/// `src_reg` values with a special meaning (`BPF_PSEUDO_*`).
#[allow(missing_docs)]
pub mod pseudo {
    pub const MAP_FD: u8 = 1;
    pub const MAP_VALUE: u8 = 2;
    pub const BTF_ID: u8 = 3;
    pub const FUNC: u8 = 4;
    pub const MAP_IDX: u8 = 5;
    pub const MAP_IDX_VALUE: u8 = 6;
    /// In a `call`: a bpf-to-bpf call (`imm` is the relative target).
    pub const CALL: u8 = 1;
    /// In a `call`: a kfunc call (`imm` is the BTF id of the FUNC).
    pub const KFUNC_CALL: u8 = 2;
    /// In a `JCOND`: `may_goto`.
    pub const MAY_GOTO: u8 = 0;
}

/// One 8-byte BPF instruction (`struct bpf_insn`).
///
/// A 64-bit immediate load (`ld_imm64`) takes two consecutive instructions;
/// the second has code 0 and carries the upper 32 bits in `imm`.
///
/// ```
/// use oxbpf_loader::insn::{Insn, Reg, disassemble};
/// let prog = [Insn::mov64_imm(Reg::R0, 2), Insn::exit()];
/// assert_eq!(disassemble(&prog), "   0: (b7) r0 = 2\n   1: (95) exit\n");
/// ```
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, Default)]
pub struct Insn {
    /// Opcode: class | size/op | mode/source.
    pub code: u8,
    /// Destination register (4 bits).
    pub dst: u8,
    /// Source register (4 bits), or a `BPF_PSEUDO_*` marker.
    pub src: u8,
    /// Signed offset (jumps: in instructions; memory: in bytes).
    pub off: i16,
    /// Signed immediate.
    pub imm: i32,
}

/// An error decoding instructions.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum InsnError {
    /// The byte count is not a multiple of 8.
    #[error("instruction bytes ({0}) are not a multiple of 8")]
    Misaligned(usize),
}

impl Insn {
    /// Size of one instruction in bytes.
    pub const SIZE: usize = 8;

    /// An instruction from its fields.
    pub const fn new(code: u8, dst: u8, src: u8, off: i16, imm: i32) -> Self {
        Insn {
            code,
            dst,
            src,
            off,
            imm,
        }
    }

    /// The instruction class (`BPF_CLASS`).
    pub const fn class(&self) -> u8 {
        self.code & 0x07
    }

    /// Decodes one instruction; `big_endian` swaps the register nibbles and
    /// multi-byte fields as the ELF's byte order demands.
    pub fn from_bytes(b: [u8; 8], big_endian: bool) -> Self {
        let [code, regs, o0, o1, i0, i1, i2, i3] = b;
        if big_endian {
            Insn {
                code,
                dst: regs >> 4,
                src: regs & 0x0f,
                off: i16::from_be_bytes([o0, o1]),
                imm: i32::from_be_bytes([i0, i1, i2, i3]),
            }
        } else {
            Insn {
                code,
                dst: regs & 0x0f,
                src: regs >> 4,
                off: i16::from_le_bytes([o0, o1]),
                imm: i32::from_le_bytes([i0, i1, i2, i3]),
            }
        }
    }

    /// Encodes the instruction in the host's byte order (what `bpf(2)`
    /// takes).
    pub fn to_bytes(&self) -> [u8; 8] {
        let o = self.off.to_ne_bytes();
        let i = self.imm.to_ne_bytes();
        let regs = if cfg!(target_endian = "big") {
            (self.dst << 4) | (self.src & 0x0f)
        } else {
            (self.src << 4) | (self.dst & 0x0f)
        };
        [self.code, regs, o[0], o[1], i[0], i[1], i[2], i[3]]
    }

    /// Decodes a whole instruction stream.
    pub fn decode_all(bytes: &[u8], big_endian: bool) -> Result<Vec<Insn>, InsnError> {
        if bytes.len() % Self::SIZE != 0 {
            return Err(InsnError::Misaligned(bytes.len()));
        }
        Ok(bytes
            .chunks_exact(Self::SIZE)
            .filter_map(|c| c.first_chunk::<8>())
            .map(|c| Insn::from_bytes(*c, big_endian))
            .collect())
    }

    /// Encodes a program for `BPF_PROG_LOAD`.
    pub fn encode_all(insns: &[Insn]) -> Vec<u8> {
        insns.iter().flat_map(Insn::to_bytes).collect()
    }

    /// Whether this is the first half of a 64-bit immediate load.
    pub const fn is_ld_imm64(&self) -> bool {
        self.code == op::LD | op::IMM | op::DW
    }

    /// Whether this is a call (helper, bpf-to-bpf or kfunc).
    pub const fn is_call(&self) -> bool {
        self.code == op::JMP | op::CALL
    }

    /// Whether this is a bpf-to-bpf call.
    pub const fn is_pseudo_call(&self) -> bool {
        self.is_call() && self.src == pseudo::CALL
    }

    /// Whether this is `exit`.
    pub const fn is_exit(&self) -> bool {
        self.code == op::JMP | op::EXIT
    }

    // ---- builder ----

    /// `dst = imm` (64-bit).
    pub const fn mov64_imm(dst: Reg, imm: i32) -> Self {
        Self::new(op::ALU64 | op::MOV | op::K, dst.0, 0, 0, imm)
    }

    /// `dst = src` (64-bit).
    pub const fn mov64_reg(dst: Reg, src: Reg) -> Self {
        Self::new(op::ALU64 | op::MOV | op::X, dst.0, src.0, 0, 0)
    }

    /// `wdst = imm` (32-bit).
    pub const fn mov32_imm(dst: Reg, imm: i32) -> Self {
        Self::new(op::ALU | op::MOV | op::K, dst.0, 0, 0, imm)
    }

    /// `dst op= imm` (64-bit), `alu_op` one of [`op::ADD`]...
    pub const fn alu64_imm(alu_op: u8, dst: Reg, imm: i32) -> Self {
        Self::new(op::ALU64 | alu_op | op::K, dst.0, 0, 0, imm)
    }

    /// `dst op= src` (64-bit).
    pub const fn alu64_reg(alu_op: u8, dst: Reg, src: Reg) -> Self {
        Self::new(op::ALU64 | alu_op | op::X, dst.0, src.0, 0, 0)
    }

    /// `wdst op= imm` (32-bit).
    pub const fn alu32_imm(alu_op: u8, dst: Reg, imm: i32) -> Self {
        Self::new(op::ALU | alu_op | op::K, dst.0, 0, 0, imm)
    }

    /// `wdst op= wsrc` (32-bit).
    pub const fn alu32_reg(alu_op: u8, dst: Reg, src: Reg) -> Self {
        Self::new(op::ALU | alu_op | op::X, dst.0, src.0, 0, 0)
    }

    /// `dst = imm64`: two instructions.
    pub const fn ld_imm64(dst: Reg, imm: u64) -> [Self; 2] {
        Self::ld_imm64_pseudo(dst, 0, imm as u32 as i32, (imm >> 32) as u32 as i32)
    }

    /// A 64-bit immediate load with a `BPF_PSEUDO_*` source: two
    /// instructions with `imm` and `next_imm`.
    pub const fn ld_imm64_pseudo(dst: Reg, src: u8, imm: i32, next_imm: i32) -> [Self; 2] {
        [
            Self::new(op::LD | op::IMM | op::DW, dst.0, src, 0, imm),
            Self::new(0, 0, 0, 0, next_imm),
        ]
    }

    /// `dst = map` (`BPF_PSEUDO_MAP_FD`): two instructions.
    pub const fn ld_map_fd(dst: Reg, map_fd: i32) -> [Self; 2] {
        Self::ld_imm64_pseudo(dst, pseudo::MAP_FD, map_fd, 0)
    }

    /// `dst = &map_value[offset]` (`BPF_PSEUDO_MAP_VALUE`): two
    /// instructions.
    pub const fn ld_map_value(dst: Reg, map_fd: i32, offset: u32) -> [Self; 2] {
        Self::ld_imm64_pseudo(dst, pseudo::MAP_VALUE, map_fd, offset as i32)
    }

    /// `dst = *(size *)(src + off)`, `size` one of [`op::B`], [`op::H`],
    /// [`op::W`], [`op::DW`].
    pub const fn ldx(size: u8, dst: Reg, src: Reg, off: i16) -> Self {
        Self::new(op::LDX | size | op::MEM, dst.0, src.0, off, 0)
    }

    /// `*(size *)(dst + off) = src`.
    pub const fn stx(size: u8, dst: Reg, src: Reg, off: i16) -> Self {
        Self::new(op::STX | size | op::MEM, dst.0, src.0, off, 0)
    }

    /// `*(size *)(dst + off) = imm`.
    pub const fn st(size: u8, dst: Reg, off: i16, imm: i32) -> Self {
        Self::new(op::ST | size | op::MEM, dst.0, 0, off, imm)
    }

    /// `lock *(size *)(dst + off) += src` (atomic add; `size` is W or DW).
    pub const fn atomic_add(size: u8, dst: Reg, src: Reg, off: i16) -> Self {
        Self::new(
            op::STX | size | op::ATOMIC,
            dst.0,
            src.0,
            off,
            op::ADD as i32,
        )
    }

    /// `if dst op imm goto pc+off` (64-bit compare).
    pub const fn jmp_imm(jmp_op: u8, dst: Reg, imm: i32, off: i16) -> Self {
        Self::new(op::JMP | jmp_op | op::K, dst.0, 0, off, imm)
    }

    /// `if dst op src goto pc+off` (64-bit compare).
    pub const fn jmp_reg(jmp_op: u8, dst: Reg, src: Reg, off: i16) -> Self {
        Self::new(op::JMP | jmp_op | op::X, dst.0, src.0, off, 0)
    }

    /// `goto pc+off`.
    pub const fn ja(off: i16) -> Self {
        Self::new(op::JMP | op::JA, 0, 0, off, 0)
    }

    /// `call helper#id`.
    pub const fn call_helper(id: i32) -> Self {
        Self::new(op::JMP | op::CALL, 0, 0, 0, id)
    }

    /// A bpf-to-bpf call `rel` instructions after the next one.
    pub const fn call_rel(rel: i32) -> Self {
        Self::new(op::JMP | op::CALL, 0, pseudo::CALL, 0, rel)
    }

    /// A kfunc call to the FUNC with BTF id `btf_id` (in the module whose
    /// fd-array index is `off`, 0 for vmlinux).
    pub const fn call_kfunc(btf_id: i32, off: i16) -> Self {
        Self::new(op::JMP | op::CALL, 0, pseudo::KFUNC_CALL, off, btf_id)
    }

    /// `exit`.
    pub const fn exit() -> Self {
        Self::new(op::JMP | op::EXIT, 0, 0, 0, 0)
    }

    /// Renders the instruction as the kernel's verifier and
    /// `bpftool prog dump xlated` do: `(b7) r0 = 2`. For `ld_imm64`, pass
    /// the second half as `next`.
    pub fn display(&self, next: Option<&Insn>) -> InsnDisplay<'_> {
        InsnDisplay {
            insn: self,
            next_imm: next.map_or(0, |n| n.imm),
        }
    }
}

/// Formatter for one instruction; see [`Insn::display`].
pub struct InsnDisplay<'a> {
    insn: &'a Insn,
    next_imm: i32,
}

fn alu_str(o: u8) -> &'static str {
    match o {
        op::ADD => "+=",
        op::SUB => "-=",
        op::MUL => "*=",
        op::DIV => "/=",
        op::OR => "|=",
        op::AND => "&=",
        op::LSH => "<<=",
        op::RSH => ">>=",
        op::NEG => "neg",
        op::MOD => "%=",
        op::XOR => "^=",
        op::MOV => "=",
        op::ARSH => "s>>=",
        op::END => "endian",
        _ => "?",
    }
}

fn jmp_str(o: u8) -> &'static str {
    match o {
        op::JA => "jmp",
        op::JEQ => "==",
        op::JGT => ">",
        op::JLT => "<",
        op::JGE => ">=",
        op::JLE => "<=",
        op::JSET => "&",
        op::JNE => "!=",
        op::JSGT => "s>",
        op::JSLT => "s<",
        op::JSGE => "s>=",
        op::JSLE => "s<=",
        op::CALL => "call",
        op::EXIT => "exit",
        _ => "?",
    }
}

fn size_str(code: u8) -> &'static str {
    match code & 0x18 {
        op::W => "u32",
        op::H => "u16",
        op::B => "u8",
        _ => "u64",
    }
}

fn sx_size_str(code: u8) -> &'static str {
    match code & 0x18 {
        op::W => "s32",
        op::H => "s16",
        op::B => "s8",
        _ => "s64",
    }
}

/// `%+d`
struct Signed(i32);
impl fmt::Display for Signed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0 >= 0 {
            write!(f, "+{}", self.0)
        } else {
            write!(f, "{}", self.0)
        }
    }
}

impl fmt::Display for InsnDisplay<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let i = self.insn;
        let (code, dst, src, off, imm) = (i.code, i.dst, i.src, i32::from(i.off), i.imm);
        write!(f, "({code:02x}) ")?;
        let class = i.class();
        let o = code & 0xf0;
        match class {
            op::ALU | op::ALU64 => {
                let r = if class == op::ALU { 'w' } else { 'r' };
                let sdiv = (o == op::DIV || o == op::MOD) && off == 1;
                let opstr = match (sdiv, o) {
                    (true, op::DIV) => "s/=",
                    (true, _) => "s%=",
                    _ => alu_str(o),
                };
                if o == op::END {
                    if class == op::ALU64 {
                        write!(f, "r{dst} = bswap{imm} r{dst}")
                    } else {
                        let e = if code & op::X != 0 { "be" } else { "le" };
                        write!(f, "r{dst} = {e}{imm} r{dst}")
                    }
                } else if o == op::NEG {
                    write!(f, "{r}{dst} = -{r}{dst}")
                } else if code == op::ALU64 | op::MOV | op::X && off == 1 {
                    write!(
                        f,
                        "r{dst} = addr_space_cast(r{src}, {}, {})",
                        (imm as u32) >> 16,
                        imm as u16
                    )
                } else if code == op::ALU64 | op::MOV | op::X && off == -1 {
                    write!(f, "r{dst} = &(void __percpu *)(r{src})")
                } else if code & op::X != 0 {
                    let sx = match (o == op::MOV, off) {
                        (true, 8) => "(s8)",
                        (true, 16) => "(s16)",
                        (true, 32) => "(s32)",
                        _ => "",
                    };
                    write!(f, "{r}{dst} {opstr} {sx}{r}{src}")
                } else {
                    write!(f, "{r}{dst} {opstr} {imm}")
                }
            }
            op::STX => {
                let mode = code & 0xe0;
                let sz = size_str(code);
                let fetch64 = if code & 0x18 == op::DW { "64" } else { "" };
                let o = Signed(off);
                if mode == op::MEM {
                    write!(f, "*({sz} *)(r{dst} {o}) = r{src}")
                } else if mode == op::ATOMIC {
                    match imm {
                        0x00 | 0x40 | 0x50 | 0xa0 => {
                            write!(
                                f,
                                "lock *({sz} *)(r{dst} {o}) {} r{src}",
                                alu_str(imm as u8)
                            )
                        }
                        0x01 | 0x41 | 0x51 | 0xa1 => {
                            let name = match imm & 0xf0 {
                                0x00 => "add",
                                0x40 => "or",
                                0x50 => "and",
                                _ => "xor",
                            };
                            write!(f, "r{src} = atomic{fetch64}_fetch_{name}(({sz} *)(r{dst} {o}), r{src})")
                        }
                        op::CMPXCHG => write!(
                            f,
                            "r0 = atomic{fetch64}_cmpxchg(({sz} *)(r{dst} {o}), r0, r{src})"
                        ),
                        op::XCHG => write!(
                            f,
                            "r{src} = atomic{fetch64}_xchg(({sz} *)(r{dst} {o}), r{src})"
                        ),
                        op::LOAD_ACQ => write!(f, "r{dst} = load_acquire(({sz} *)(r{src} {o}))"),
                        op::STORE_REL => write!(f, "store_release(({sz} *)(r{dst} {o}), r{src})"),
                        _ => write!(f, "BUG_{code:02x}"),
                    }
                } else {
                    write!(f, "BUG_{code:02x}")
                }
            }
            op::ST => {
                if code & 0xe0 == op::MEM {
                    write!(f, "*({} *)(r{dst} {}) = {imm}", size_str(code), Signed(off))
                } else if code & 0xe0 == 0xc0 {
                    write!(f, "nospec")
                } else {
                    write!(f, "BUG_st_{code:02x}")
                }
            }
            op::LDX => {
                let mode = code & 0xe0;
                let sz = match mode {
                    op::MEM => size_str(code),
                    op::MEMSX => sx_size_str(code),
                    _ => return write!(f, "BUG_ldx_{code:02x}"),
                };
                write!(f, "r{dst} = *({sz} *)(r{src} {})", Signed(off))
            }
            op::LD => match code & 0xe0 {
                op::ABS => write!(f, "r0 = *({} *)skb[{imm}]", size_str(code)),
                op::IND => write!(f, "r0 = *({} *)skb[r{src} + {imm}]", size_str(code)),
                op::IMM if code & 0x18 == op::DW => {
                    let full = (u64::from(self.next_imm as u32) << 32) | u64::from(imm as u32);
                    match src {
                        pseudo::MAP_FD => write!(f, "r{dst} = map[id:{imm}]"),
                        pseudo::MAP_VALUE => {
                            write!(f, "r{dst} = map[id:{imm}][0]+{}", self.next_imm)
                        }
                        pseudo::MAP_IDX => write!(f, "r{dst} = map[idx:{imm}]"),
                        pseudo::MAP_IDX_VALUE => {
                            write!(f, "r{dst} = map[idx:{imm}][0]+{}", self.next_imm)
                        }
                        pseudo::FUNC => write!(f, "r{dst} = subprog[{}]", Signed(imm)),
                        _ => write!(f, "r{dst} = {full:#x}"),
                    }
                }
                _ => write!(f, "BUG_ld_{code:02x}"),
            },
            _ => {
                // JMP, JMP32
                let r = if class == op::JMP32 { 'w' } else { 'r' };
                if o == op::CALL {
                    return match src {
                        pseudo::CALL => write!(f, "call pc{}", Signed(imm)),
                        pseudo::KFUNC_CALL => write!(f, "call kernel-function#{imm}"),
                        _ => {
                            let name = usize::try_from(imm)
                                .ok()
                                .and_then(|i| HELPER_NAMES.get(i))
                                .filter(|n| !n.is_empty())
                                .copied()
                                .unwrap_or("unknown");
                            write!(f, "call {name}#{imm}")
                        }
                    };
                }
                if code == op::JMP | op::JA {
                    write!(f, "goto pc{}", Signed(off))
                } else if code == op::JMP | op::JA | op::X {
                    write!(f, "gotox r{dst}")
                } else if code == op::JMP | op::JCOND && src == pseudo::MAY_GOTO {
                    write!(f, "may_goto pc{}", Signed(off))
                } else if code == op::JMP32 | op::JA {
                    write!(f, "gotol pc{}", Signed(imm))
                } else if code == op::JMP | op::EXIT {
                    write!(f, "exit")
                } else if code & op::X != 0 {
                    write!(
                        f,
                        "if {r}{dst} {} {r}{src} goto pc{}",
                        jmp_str(o),
                        Signed(off)
                    )
                } else {
                    write!(
                        f,
                        "if {r}{dst} {} {:#x} goto pc{}",
                        jmp_str(o),
                        imm as u32,
                        Signed(off)
                    )
                }
            }
        }
    }
}

/// Disassembles a program in bpftool's `prog dump xlated` layout: one line
/// per instruction, numbered, `ld_imm64` pairs printed once.
pub fn disassemble(insns: &[Insn]) -> String {
    use fmt::Write;
    let mut out = String::new();
    let mut i = 0;
    while let Some(insn) = insns.get(i) {
        let next = insns.get(i + 1);
        let _ = writeln!(
            out,
            "{i:4}: {}",
            insn.display(next.filter(|_| insn.is_ld_imm64()))
        );
        i += if insn.is_ld_imm64() { 2 } else { 1 };
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_bytes_both_orders() {
        let i = Insn::new(0x61, 2, 1, -4, 0x1234_5678);
        let b = i.to_bytes();
        assert_eq!(Insn::from_bytes(b, cfg!(target_endian = "big")), i);
        // The ELF's big-endian encoding swaps the register nibbles too.
        let be = [0x61, 0x21, 0xff, 0xfc, 0x12, 0x34, 0x56, 0x78];
        assert_eq!(Insn::from_bytes(be, true), i);
        assert_eq!(
            Insn::decode_all(&[0; 7], false),
            Err(InsnError::Misaligned(7))
        );
    }

    #[test]
    fn disassembly_matches_the_kernels_syntax() {
        let [l0, l1] = Insn::ld_map_fd(Reg::R1, 5);
        let prog = [
            Insn::mov64_imm(Reg::R0, 2),
            l0,
            l1,
            Insn::call_helper(1),
            Insn::ldx(op::W, Reg::R2, Reg::R1, 0),
            Insn::stx(op::W, Reg::R10, Reg::R1, -4),
            Insn::jmp_imm(op::JEQ, Reg::R0, 0, 3),
            Insn::alu64_imm(op::ADD, Reg::R1, 1),
            Insn::mov64_reg(Reg::R6, Reg::R1),
            Insn::ja(-2),
            Insn::atomic_add(op::DW, Reg::R0, Reg::R1, 8),
            Insn::st(op::DW, Reg::R10, -8, 0),
            Insn::alu32_reg(op::XOR, Reg::R3, Reg::R4),
            Insn::call_rel(7),
            Insn::jmp_reg(op::JSGT, Reg::R1, Reg::R2, -1),
            Insn::exit(),
        ];
        let want = "   0: (b7) r0 = 2
   1: (18) r1 = map[id:5]
   3: (85) call bpf_map_lookup_elem#1
   4: (61) r2 = *(u32 *)(r1 +0)
   5: (63) *(u32 *)(r10 -4) = r1
   6: (15) if r0 == 0x0 goto pc+3
   7: (07) r1 += 1
   8: (bf) r6 = r1
   9: (05) goto pc-2
  10: (db) lock *(u64 *)(r0 +8) += r1
  11: (7a) *(u64 *)(r10 -8) = 0
  12: (ac) w3 ^= w4
  13: (85) call pc+7
  14: (6d) if r1 s> r2 goto pc-1
  15: (95) exit
";
        assert_eq!(disassemble(&prog), want);
        let [a, b] = Insn::ld_imm64(Reg::R3, 0x1_0000_0002);
        assert_eq!(a.display(Some(&b)).to_string(), "(18) r3 = 0x100000002");
    }
}
