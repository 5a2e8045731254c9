// Which registers an A32 instruction word writes, for Code's record of what registers hold (code.ts holds()): bit n
// for rn, or ALL for anything not decoded here (branches with link, block transfers, writeback, system and
// coprocessor instructions), which forgets everything. Only the forms the encoder (encoder.ts) emits need to be
// exact; the rest may say more than is written, never less.

export const ALL: u32 = 0xffffffff;
const PC_BIT: u32 = 1 << 15;

/** The registers `w` writes (see above); a write to pc (a branch) counts as ALL. */
export function writtenBy(w: u32): u32 {
  if ((w >>> 28) == 0xf) return ALL; // the unconditional space: PLD, CLREX, barriers
  const rd: u32 = <u32>1 << ((w >> 12) & 15);
  const rn: u32 = <u32>1 << ((w >> 16) & 15);
  const written = writes(w, rd, rn);
  return (written & PC_BIT) != 0 ? ALL : written;
}

function writes(w: u32, rd: u32, rn: u32): u32 {
  const op1 = (w >> 25) & 7;
  const indexed = (w & 0x01000000) != 0 && (w & 0x00200000) == 0; // offset addressing, no writeback
  if (op1 == 0 && (w & 0x90) == 0x90) {
    if ((w & 0x60) == 0) {
      if ((w & 0x0f800000) == 0) return rn; // MUL, MLA, MLS, UMAAL: Rd in bits 16-19
      if ((w & 0x0f800000) == 0x00800000) return rn | rd; // UMULL, SMULL (and the accumulating ones)
      return ALL; // SWP, LDREX / STREX
    }
    // halfword, signed byte and doubleword transfers
    if (!indexed) return ALL;
    if ((w & 0x00100000) != 0) return rd; // LDRH, LDRSB, LDRSH
    return ((w >> 5) & 3) == 2 ? rd | (rd << 1) : 0; // LDRD; STRH, STRD
  }
  if (op1 == 0 || op1 == 1) {
    const opc = (w >> 21) & 15;
    if ((opc & 0xc) != 0x8) return rd; // data processing
    if ((w & 0x00100000) != 0) return 0; // TST, TEQ, CMP, CMN
    const movwt = w & 0x0ff00000;
    return movwt == 0x03000000 || movwt == 0x03400000 ? rd : ALL; // MOVW, MOVT; MRS, MSR, BX, CLZ...
  }
  if (op1 == 3 && (w & 0x10) != 0) {
    // media: REV, REV16, the extends, SSAT / USAT (0110 1xxx), SBFX / UBFX (0111 1x1): Rd in bits 12-15
    return (w & 0x0f800000) == 0x06800000 || (w & 0x0fa00000) == 0x07a00000 ? rd : ALL;
  }
  if (op1 == 2 || op1 == 3) {
    if (!indexed) return ALL;
    return (w & 0x00100000) != 0 ? rd : 0; // LDR, LDRB; STR, STRB
  }
  return ALL; // block transfers, branches, coprocessor, SVC
}

/**
 * The registers `w` may read or write, never fewer: its register fields (an immediate's bits as well where a form
 * not decoded here puts one there), LDRD's and STRD's second register, or ALL for a branch with link (the code it
 * calls may use any register), a block transfer, a coprocessor or system instruction, or the unconditional space.
 * A branch without link names none. A loop copy that names a scratch register nowhere may keep an eBPF register in
 * it (jit/borrowed.ts).
 */
export function mentionedBy(w: u32): u32 {
  if ((w >>> 28) == 0xf) return ALL;
  const op1 = (w >> 25) & 7;
  if (op1 == 5) return (w & 0x01000000) != 0 ? ALL : 0; // BL; B
  if (op1 == 4 || op1 >= 6) return ALL;
  if ((w & 0x0ffffff0) == 0x012fff30) return ALL; // BLX (register)
  const rd: u32 = <u32>1 << ((w >> 12) & 15);
  const rn: u32 = <u32>1 << ((w >> 16) & 15);
  const rm: u32 = <u32>1 << (w & 15);
  const movwt = w & 0x0ff00000;
  if (movwt == 0x03000000 || movwt == 0x03400000) return rd; // MOVW, MOVT
  const misc = (w & 0x01900000) == 0x01000000; // opcodes 10xx without S: MRS, MSR, BX, CLZ...
  if ((op1 == 1 || (op1 == 0 && (w & 0x90) != 0x90)) && !misc) {
    // data processing: MOV and MVN read no Rn, TST, TEQ, CMP, CMN write no Rd; an immediate operand, or Rm
    // shifted by an immediate (bits 7-11) or by Rs (bits 8-11, bit 4 set)
    const opc = (w >> 21) & 15;
    let regs: u32 = (opc & 0xd) == 0xd ? 0 : rn;
    if ((opc & 0xc) != 0x8) regs |= rd;
    if (op1 == 0) regs |= rm | ((w & 0x10) != 0 ? <u32>1 << ((w >> 8) & 15) : 0);
    return regs;
  }
  if (op1 == 1) return rd | rn;
  if (op1 == 2) return rd | rn; // LDR, STR, LDRB, STRB with an immediate offset
  if (op1 == 3 && (w & 0x10) == 0) return rd | rn | rm; // ... with a register offset, shifted by an immediate
  // MUL: Rd in bits 16-19, Rm and Rs, bits 12-15 zero (not r0: a loop copy's products leave it free)
  if ((w & 0x0fe000f0) == 0x00000090) return rn | rm | (<u32>1 << ((w >> 8) & 15));
  const extra = op1 == 0 && (w & 0x90) == 0x90 && (w & 0x60) != 0; // halfword, signed byte, doubleword transfers
  // (with an immediate offset, bit 22: its halves in bits 0-3 and 8-11; with a register offset, bits 8-11 are
  // zero, not a register: `ldrsh rt, [rn, rm]` names no r0)
  let regs = extra ? ((w & 0x00400000) != 0 ? rd | rn : rd | rn | rm) :
    rd | rn | rm | (<u32>1 << ((w >> 8) & 15));
  if (extra && (w & 0x00100040) == 0x40) regs |= rd << 1; // LDRD, STRD: Rt and Rt + 1
  return regs;
}
