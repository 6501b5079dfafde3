//! `struct bpf_insn`, the 8-byte eBPF instruction as `BPF_PROG_LOAD` reads it.

use std::fmt;

/// `struct bpf_insn`—One 8-byte eBPF instruction, in the host's byte order.
///
/// The C struct packs `dst_reg:4` and `src_reg:4` into one byte; the order
/// of the two nibbles follows the target's bitfield layout (destination in
/// the low nibble on little-endian targets, in the high nibble on
/// big-endian ones), which [`new`](Self::new) and the accessors handle.
///
/// This is the raw encoding only; building and decoding instructions is
/// the loader's business.
#[repr(C)]
#[derive(Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct BpfInsn {
    /// `code`—Opcode.
    pub code: u8,
    regs: u8,
    /// `off`—Signed offset.
    pub off: i16,
    /// `imm`—Signed immediate.
    pub imm: i32,
}

impl BpfInsn {
    /// Builds an instruction from its fields; registers are masked to 4 bits.
    pub const fn new(code: u8, dst_reg: u8, src_reg: u8, off: i16, imm: i32) -> Self {
        Self {
            code,
            regs: Self::pack(dst_reg, src_reg),
            off,
            imm,
        }
    }

    const fn pack(dst: u8, src: u8) -> u8 {
        if cfg!(target_endian = "little") {
            (dst & 0xf) | ((src & 0xf) << 4)
        } else {
            ((dst & 0xf) << 4) | (src & 0xf)
        }
    }

    /// `dst_reg`—Destination register.
    pub const fn dst_reg(&self) -> u8 {
        if cfg!(target_endian = "little") {
            self.regs & 0xf
        } else {
            self.regs >> 4
        }
    }

    /// `src_reg`—Source register.
    pub const fn src_reg(&self) -> u8 {
        if cfg!(target_endian = "little") {
            self.regs >> 4
        } else {
            self.regs & 0xf
        }
    }

    /// Sets `dst_reg` (masked to 4 bits).
    pub fn set_dst_reg(&mut self, reg: u8) {
        self.regs = Self::pack(reg, self.src_reg());
    }

    /// Sets `src_reg` (masked to 4 bits).
    pub fn set_src_reg(&mut self, reg: u8) {
        self.regs = Self::pack(self.dst_reg(), reg);
    }

    /// The instruction's 8 bytes as the kernel reads them.
    pub fn to_bytes(self) -> [u8; 8] {
        let mut out = [0; 8];
        out[0] = self.code;
        out[1] = self.regs;
        out[2..4].copy_from_slice(&self.off.to_ne_bytes());
        out[4..8].copy_from_slice(&self.imm.to_ne_bytes());
        out
    }

    /// Decodes 8 bytes in the kernel's (host) layout.
    pub fn from_bytes(bytes: [u8; 8]) -> Self {
        Self {
            code: bytes[0],
            regs: bytes[1],
            off: i16::from_ne_bytes([bytes[2], bytes[3]]),
            imm: i32::from_ne_bytes([bytes[4], bytes[5], bytes[6], bytes[7]]),
        }
    }
}

impl fmt::Debug for BpfInsn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BpfInsn")
            .field("code", &format_args!("{:#04x}", self.code))
            .field("dst_reg", &self.dst_reg())
            .field("src_reg", &self.src_reg())
            .field("off", &self.off)
            .field("imm", &self.imm)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registers_round_trip() {
        let mut insn = BpfInsn::new(0xbf, 3, 10, -8, 0x1234);
        assert_eq!((insn.dst_reg(), insn.src_reg()), (3, 10));
        insn.set_dst_reg(1);
        insn.set_src_reg(2);
        assert_eq!((insn.dst_reg(), insn.src_reg()), (1, 2));
        assert_eq!(BpfInsn::from_bytes(insn.to_bytes()), insn);
        assert_eq!(std::mem::size_of::<BpfInsn>(), 8);
        assert_eq!(std::mem::align_of::<BpfInsn>(), 4);
    }

    #[cfg(target_endian = "little")]
    #[test]
    fn little_endian_encoding() {
        // mov r0, 2: code 0xb7, dst r0, imm 2.
        assert_eq!(
            BpfInsn::new(0xb7, 0, 0, 0, 2).to_bytes(),
            [0xb7, 0, 0, 0, 2, 0, 0, 0]
        );
        // ldxdw r1, [r10-8]: dst in the low nibble, src in the high one.
        assert_eq!(
            BpfInsn::new(0x79, 1, 10, -8, 0).to_bytes(),
            [0x79, 0xa1, 0xf8, 0xff, 0, 0, 0, 0]
        );
    }
}
