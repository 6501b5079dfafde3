//! Patching an instruction with a relocation's result
//! (`bpf_core_patch_insn`, `bpf_core_poison_insn`).

use crate::insn::{op, Insn};

use super::error::PatchError;
use super::ReloResult;

/// The immediate of a poisoned instruction: a call of helper `0xbad2310`
/// ("bad relo"), which the verifier rejects as `invalid func
/// unknown#195896080` if it is reachable and removes as dead code if not.
pub const POISON_IMM: i32 = 0xbad2310;

/// The poisoned instruction (`bpf_core_poison_insn`).
pub const POISON_INSN: Insn = Insn::new(op::JMP | op::CALL, 0, 0, 0, POISON_IMM);

/// Whether `insn` is a CO-RE poisoned instruction.
pub fn is_poisoned(insn: &Insn) -> bool {
    *insn == POISON_INSN
}

fn size_to_bytes(code: u8) -> i32 {
    match code & 0x18 {
        op::DW => 8,
        op::W => 4,
        op::H => 2,
        op::B => 1,
        _ => -1,
    }
}

fn bytes_to_size(sz: u32) -> Option<u8> {
    Some(match sz {
        8 => op::DW,
        4 => op::W,
        2 => op::H,
        1 => op::B,
        _ => return None,
    })
}

/// `bpf_core_patch_insn`: applies `res` to instruction `idx` of `insns`.
///
/// - poison: the instruction (both halves of an `ld_imm64`) becomes
///   [`POISON_INSN`];
/// - `rX = imm`, `rX op= imm` (ALU, ALU64 with an immediate): `imm`;
/// - `rX = *(T *)(rY + off)`, `*(T *)(rX + off) = rY / imm` (LDX, STX,
///   ST): `off`, and the access size if the field's size changed (for
///   pointers and unsigned integers only; other size changes poison the
///   instruction);
/// - `rX = imm64` (`ld_imm64`): the 64-bit immediate.
///
/// Unless `res.validate` is false, the instruction must hold
/// `res.orig_val` first: otherwise the object and its BTF disagree and
/// the patch fails.
pub fn patch_insn(insns: &mut [Insn], idx: usize, res: &ReloResult) -> Result<(), PatchError> {
    let insn = *insns.get(idx).ok_or(PatchError::OutOfRange(idx))?;
    if res.poison {
        poison(insns, idx);
        return Ok(());
    }
    let (orig_val, new_val) = (res.orig_val, res.new_val);
    match insn.class() {
        op::ALU | op::ALU64 => {
            if insn.code & op::X != op::K {
                return Err(PatchError::AluNotImmediate);
            }
            if res.validate && i64::from(insn.imm) as u64 != orig_val {
                return Err(PatchError::UnexpectedValue {
                    class: "ALU/ALU64",
                    got: i64::from(insn.imm),
                    expected: orig_val,
                    new: new_val,
                });
            }
            insns[idx].imm = new_val as i32;
        }
        op::LDX | op::ST | op::STX => {
            if res.validate && i64::from(insn.off) as u64 != orig_val {
                return Err(PatchError::UnexpectedValue {
                    class: "LDX/ST/STX",
                    got: i64::from(insn.off),
                    expected: orig_val,
                    new: new_val,
                });
            }
            if new_val > i16::MAX as u64 {
                return Err(PatchError::OffsetTooBig(new_val));
            }
            if res.fail_memsz_adjust {
                poison(insns, idx);
                return Ok(());
            }
            let mut patched = insn;
            patched.off = new_val as i16;
            if res.new_sz != res.orig_sz {
                let got = size_to_bytes(insn.code);
                if got != res.orig_sz as i32 {
                    return Err(PatchError::UnexpectedMemSize {
                        got,
                        expected: res.orig_sz,
                    });
                }
                let size =
                    bytes_to_size(res.new_sz).ok_or(PatchError::InvalidMemSize(res.new_sz))?;
                patched.code = (insn.code & 0xe0) | size | insn.class();
            }
            insns[idx] = patched;
        }
        op::LD => {
            let next = insns.get(idx + 1).copied();
            let Some(next) = next.filter(|n| {
                insn.is_ld_imm64()
                    && insn.src == 0
                    && insn.off == 0
                    && n.code == 0
                    && n.dst == 0
                    && n.src == 0
                    && n.off == 0
            }) else {
                return Err(PatchError::BadLdImm64);
            };
            let imm = u64::from(insn.imm as u32) | (u64::from(next.imm as u32) << 32);
            if res.validate && imm != orig_val {
                return Err(PatchError::UnexpectedValue {
                    class: "LDIMM64",
                    got: imm as i64,
                    expected: orig_val,
                    new: new_val,
                });
            }
            insns[idx].imm = new_val as u32 as i32;
            insns[idx + 1].imm = (new_val >> 32) as u32 as i32;
        }
        _ => {
            return Err(PatchError::Unrecognized {
                code: insn.code,
                src: insn.src,
                dst: insn.dst,
                off: insn.off,
                imm: insn.imm,
            })
        }
    }
    Ok(())
}

/// Poisons instruction `idx`, and the second half of an `ld_imm64` (so
/// the verifier does not complain about an unknown opcode 00 first).
fn poison(insns: &mut [Insn], idx: usize) {
    let is_ld_imm64 = insns.get(idx).is_some_and(Insn::is_ld_imm64);
    if is_ld_imm64 {
        if let Some(next) = insns.get_mut(idx + 1) {
            *next = POISON_INSN;
        }
    }
    if let Some(i) = insns.get_mut(idx) {
        *i = POISON_INSN;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::insn::Reg;
    use oxbpf_btf::TypeId;

    fn res(orig: u64, new: u64) -> ReloResult {
        ReloResult {
            orig_val: orig,
            new_val: new,
            validate: true,
            ..Default::default()
        }
    }

    #[test]
    fn alu_ldx_ldimm64() {
        let mut p = vec![Insn::alu64_imm(op::ADD, Reg::R1, 8), Insn::exit()];
        patch_insn(&mut p, 0, &res(8, 24)).unwrap();
        assert_eq!(p[0].imm, 24);
        // The value must be the local one.
        assert!(matches!(
            patch_insn(&mut p, 0, &res(8, 24)),
            Err(PatchError::UnexpectedValue { got: 24, .. })
        ));
        let mut p = vec![Insn::alu64_reg(op::ADD, Reg::R1, Reg::R2)];
        assert_eq!(
            patch_insn(&mut p, 0, &res(0, 1)),
            Err(PatchError::AluNotImmediate)
        );

        let mut p = vec![Insn::ldx(op::W, Reg::R0, Reg::R1, 4)];
        patch_insn(&mut p, 0, &res(4, 12)).unwrap();
        assert_eq!(p[0], Insn::ldx(op::W, Reg::R0, Reg::R1, 12));
        assert_eq!(
            patch_insn(&mut p, 0, &res(12, 40000)),
            Err(PatchError::OffsetTooBig(40000))
        );

        let mut p = Insn::ld_imm64(Reg::R1, 5).to_vec();
        patch_insn(&mut p, 0, &res(5, 0x1_0000_0007)).unwrap();
        assert_eq!((p[0].imm, p[1].imm), (7, 1));
        let mut bad = Insn::ld_imm64(Reg::R1, 5).to_vec();
        bad[1].src = 1;
        assert_eq!(
            patch_insn(&mut bad, 0, &res(5, 6)),
            Err(PatchError::BadLdImm64)
        );
        assert_eq!(
            patch_insn(&mut bad[..1], 0, &res(5, 6)),
            Err(PatchError::BadLdImm64)
        );
        assert_eq!(
            patch_insn(&mut bad, 2, &res(5, 6)),
            Err(PatchError::OutOfRange(2))
        );
        let mut j = vec![Insn::ja(0)];
        assert!(matches!(
            patch_insn(&mut j, 0, &res(0, 0)),
            Err(PatchError::Unrecognized { .. })
        ));
    }

    #[test]
    fn memory_size_changes() {
        // u32 field widened to u64: the load becomes 8 bytes wide.
        let mut r = res(4, 16);
        r.orig_sz = 4;
        r.new_sz = 8;
        r.orig_type_id = TypeId(1);
        let mut p = vec![Insn::ldx(op::W, Reg::R0, Reg::R1, 4)];
        patch_insn(&mut p, 0, &r).unwrap();
        assert_eq!(p[0], Insn::ldx(op::DW, Reg::R0, Reg::R1, 16));
        // The instruction's size must be the local field's.
        let mut p = vec![Insn::ldx(op::H, Reg::R0, Reg::R1, 4)];
        assert_eq!(
            patch_insn(&mut p, 0, &r),
            Err(PatchError::UnexpectedMemSize {
                got: 2,
                expected: 4
            })
        );
        r.new_sz = 3;
        let mut p = vec![Insn::ldx(op::W, Reg::R0, Reg::R1, 4)];
        assert_eq!(
            patch_insn(&mut p, 0, &r),
            Err(PatchError::InvalidMemSize(3))
        );
        // A signed field that changed size: poisoned, not failed.
        r.new_sz = 8;
        r.fail_memsz_adjust = true;
        patch_insn(&mut p, 0, &r).unwrap();
        assert!(is_poisoned(&p[0]));
    }

    #[test]
    fn poisoning() {
        let mut r = res(0, 0);
        r.poison = true;
        let mut p = Insn::ld_imm64(Reg::R1, 5).to_vec();
        p.push(Insn::exit());
        patch_insn(&mut p, 0, &r).unwrap();
        assert_eq!(p, [POISON_INSN, POISON_INSN, Insn::exit()]);
        assert_eq!(POISON_IMM, 195_896_080);
        let mut p = vec![Insn::ldx(op::DW, Reg::R0, Reg::R1, 0)];
        patch_insn(&mut p, 0, &r).unwrap();
        assert_eq!(p, [POISON_INSN]);
    }
}
