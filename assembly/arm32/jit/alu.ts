// ALU and ALU64 instructions: eBPF arithmetic on (low, high) register pairs, 32-bit only where the high word
// is known to be zero. Register access goes through jit/regs.ts. Products by constants the shifter makes are one
// shift-add (emitMul32Imm); a pointer stepped after a load through it is stepped by that load (postIndexed).

import {
  AL, NE, OP_ADC, OP_ADD, OP_AND, OP_EOR, OP_MOV, OP_ORR, OP_RSB, OP_RSC, OP_SBC, OP_SUB, PL, R0, R1, R2, R3,
  SH_ASR, SH_LSL, SH_LSR, cmpImm, dpImm, dpReg, dpRegShift, immRot, mla, mls, movImm, movReg, mul, opImm, opImmS,
  opReg, opRegS, rev, rev16, sdiv, shiftImm, shiftReg, subImm, sxtb, sxth, udiv, umull, uxth,
} from "../a32/encoder";
import { Context, fail } from "./context";
import { maskOnlyCompared } from "./maskedcompare";
import { foldShiftBack, foldSpreadExtension, spreadExtended } from "./extend";
import { carryHighOk, emitCarryHigh } from "./carryhigh";
import { emitDivImm32, emitDivImm64 } from "./divide";
import {
  hi, hiDst, hiRead, known0, lo, loDst, loInArm, operandHi, operandKnown0, operandLo, pairInto, setHi, setHiZero,
  setLo,
} from "./regs";
import {
  ALU_ADD, ALU_AND, ALU_ARSH, ALU_DIV, ALU_END, ALU_LSH, ALU_MOD, ALU_MOV, ALU_MUL, ALU_NEG, ALU_OR, ALU_RSH,
  ALU_SUB, ALU_XOR,
} from "../../isa";
import { ERR_OPCODE, OPT_IDIV } from "../../../targets/arm32/abi";
import { L_SDIVMOD64, L_UDIVMOD64 } from "../../../targets/arm32/image";

export function emitAlu64(c: Context, i: i32, op: u32, x: bool, dst: i32, src: i32, imm: i32, off: i32): bool {
  if (op == ALU_MOV) {
    const dl = loDst(c, dst);
    if (!x) {
      c.emitConst(dl, <u32>imm);
      setLo(c, dst, dl);
      if (imm >= 0) setHiZero(c, dst);
      else {
        const dh = hiDst(c, dst);
        c.emitConst(dh, 0xffffffff);
        setHi(c, dst, dh);
      }
      return true;
    }
    if (off == 0) {
      // straight into dst's own registers when it has them (a register in memory: through r2 / r3); both words
      // read before either is written: two loads from the register file and two stores are one LDRD and one STRD
      if (known0(c, src)) {
        setLo(c, dst, lo(c, src, dl != R0 ? dl : R2));
        setHiZero(c, dst);
        return true;
      }
      const l = lo(c, src, dl != R0 ? dl : R2);
      const h = hi(c, src, hiDst(c, dst) != R1 ? hiDst(c, dst) : R3);
      setLo(c, dst, l);
      setHi(c, dst, h);
      return true;
    }
    const sl = lo(c, src, R2);
    if (off == 8) c.emit(sxtb(dl, sl));
    else if (off == 16) c.emit(sxth(dl, sl));
    else if (off == 32) { if (dl != sl) c.emit(movReg(dl, sl)); }
    else return fail(c, ERR_OPCODE, i);
    setLo(c, dst, dl);
    const dh = hiDst(c, dst);
    c.emit(shiftImm(SH_ASR, dh, dl, 31));
    setHi(c, dst, dh);
    return true;
  }
  if (op == ALU_END) return emitSwap(c, dst, imm, true);

  const dl = lo(c, dst, R0);
  const d0 = known0(c, dst);
  const b0 = operandKnown0(c, x, src, imm);

  if (!x && emitAlu64Imm(c, op, dst, dl, imm)) return true;
  if (op == ALU_OR || op == ALU_XOR || op == ALU_AND) {
    const aop = op == ALU_OR ? OP_ORR : op == ALU_XOR ? OP_EOR : OP_AND;
    const bl_ = operandLo(c, x, src, imm);
    // OR and XOR with a zero high word leave dst's alone
    if (b0 && op != ALU_AND || op == ALU_AND && d0) {
      c.emit(opReg(aop, dl, dl, bl_));
      setLo(c, dst, dl);
      return true;
    }
    if (op == ALU_AND && b0) {
      c.emit(opReg(aop, dl, dl, bl_));
      setLo(c, dst, dl);
      setHiZero(c, dst);
      return true;
    }
    const dh = hi(c, dst, R1);
    const bh = operandHi(c, x, src, imm);
    c.emit(opReg(aop, dl, dl, bl_));
    c.emit(opReg(aop, dh, dh, bh));
    setLo(c, dst, dl);
    setHi(c, dst, dh);
    return true;
  }
  if (op == ALU_ADD || op == ALU_SUB) {
    if (x && d0 && !b0) {
      // dst's high word is 0: the operand's high word and the carry (0 - it - borrow: RSC), dst's not loaded
      const bl_ = operandLo(c, x, src, imm);
      const bh = operandHi(c, x, src, imm);
      const dh = hiDst(c, dst);
      c.emit(opRegS(op == ALU_ADD ? OP_ADD : OP_SUB, dl, dl, bl_));
      c.emit(opImm(op == ALU_ADD ? OP_ADC : OP_RSC, dh, bh, 0));
      setLo(c, dst, dl);
      setHi(c, dst, dh);
      return true;
    }
    if (b0 || !x) {
      // the second operand's high word is 0 (or, an immediate, all ones: adding it and the carry is SBC #0,
      // subtracting it ADC #0): only the carry (borrow) reaches the high word, no operand high word in a register
      const add = (op == ALU_ADD) == b0;
      if (carryHighOk(c, dst, x, src, imm)) {
        c.emit(opRegS(op == ALU_ADD ? OP_ADD : OP_SUB, dl, dl, operandLo(c, x, src, imm)));
        emitCarryHigh(c, dst, add);
        return true;
      }
      const ah = hiRead(c, dst, R1);
      const dh = hiDst(c, dst);
      const bl_ = operandLo(c, x, src, imm);
      c.emit(opRegS(op == ALU_ADD ? OP_ADD : OP_SUB, dl, dl, bl_));
      c.emit(opImm(add ? OP_ADC : OP_SBC, dh, ah, 0));
      setLo(c, dst, dl);
      setHi(c, dst, dh);
      return true;
    }
    const dh = hi(c, dst, R1);
    const bl_ = operandLo(c, x, src, imm);
    const bh = operandHi(c, x, src, imm);
    c.emit(opRegS(op == ALU_ADD ? OP_ADD : OP_SUB, dl, dl, bl_));
    c.emit(opReg(op == ALU_ADD ? OP_ADC : OP_SBC, dh, dh, bh));
    setLo(c, dst, dl);
    setHi(c, dst, dh);
    return true;
  }
  if (op == ALU_MUL) {
    const bl_ = operandLo(c, x, src, imm);
    const dh = hiDst(c, dst);
    if (d0 && b0) {
      c.emit(umull(dl, dh, dl, bl_));
    } else if (b0) {
      // a zero high word in the operand: one cross product (ah * bl), added to the high word of al * bl as it is
      // made (the product's high word in XR, dh may be ah)
      const ah = hi(c, dst, R1);
      c.emit(umull(dl, c.XR, dl, bl_));
      c.emit(mla(dh, ah, bl_, c.XR));
    } else {
      const ah = hi(c, dst, R1);
      const bh = operandHi(c, x, src, imm);
      if (bh == bl_) {
        // both words of the operand the same (a constant's, 0x0101010101010101): the cross products are
        // (al + ah) * b
        c.emit(opReg(OP_ADD, c.XR, dl, ah));
        c.emit(umull(dl, dh, dl, bl_));
        c.emit(mla(dh, c.XR, bl_, dh));
        setLo(c, dst, dl);
        setHi(c, dst, dh);
        return true;
      }
      c.emit(mul(c.XR, dl, bh));
      c.emit(mla(c.XR, ah, bl_, c.XR));
      c.emit(umull(dl, dh, dl, bl_));
      c.emit(opReg(OP_ADD, dh, dh, c.XR));
    }
    setLo(c, dst, dl);
    setHi(c, dst, dh);
    return true;
  }
  if ((op == ALU_DIV || op == ALU_MOD) && !x && (off == 0 || off == 1)) {
    emitDivImm64(c, dst, dl, imm, off == 1, op == ALU_MOD, min(c.ranges.widthNow(dst), 32));
    return true;
  }
  if (op == ALU_DIV || op == ALU_MOD) {
    if (off != 0 && off != 1) return fail(c, ERR_OPCODE, i);
    if (dl != R0) c.emit(movReg(R0, dl));
    const ah = hi(c, dst, R1);
    if (ah != R1) c.emit(movReg(R1, ah));
    if (x) pairInto(c, src, R2, R3);
    else {
      c.emitConst(R2, <u32>imm);
      c.emitConst(R3, imm < 0 ? 0xffffffff : 0);
    }
    c.bl(off == 1 ? L_SDIVMOD64 : L_UDIVMOD64);
    setLo(c, dst, op == ALU_DIV ? R0 : R2);
    setHi(c, dst, op == ALU_DIV ? R1 : R3);
    return true;
  }
  if (op == ALU_NEG) {
    const dh = hi(c, dst, R1);
    c.emit(opImmS(OP_RSB, dl, dl, 0));
    c.emit(opImm(OP_RSC, dh, dh, 0));
    setLo(c, dst, dl);
    setHi(c, dst, dh);
    return true;
  }
  if (op == ALU_LSH || op == ALU_RSH || op == ALU_ARSH) {
    if (!x) return emitShift64Imm(c, op, dst, dl, <u32>imm & 63);
    const s = lo(c, src, R2);
    c.emit(opImm(OP_AND, R2, s, 63));
    const dh = hi(c, dst, R1);
    if (op == ALU_LSH) {
      c.emit(subImm(R3, R2, 32));
      c.emit(dpImm(AL, OP_RSB, 0, c.XR, R2, 32));
      c.emit(shiftReg(SH_LSL, dh, dh, R2));
      c.emit(dpRegShift(AL, OP_ORR, 0, dh, dh, dl, SH_LSL, R3));
      c.emit(dpRegShift(AL, OP_ORR, 0, dh, dh, dl, SH_LSR, c.XR));
      c.emit(shiftReg(SH_LSL, dl, dl, R2));
    } else if (op == ALU_RSH) {
      c.emit(subImm(R3, R2, 32));
      c.emit(dpImm(AL, OP_RSB, 0, c.XR, R2, 32));
      c.emit(shiftReg(SH_LSR, dl, dl, R2));
      c.emit(dpRegShift(AL, OP_ORR, 0, dl, dl, dh, SH_LSL, c.XR));
      c.emit(dpRegShift(AL, OP_ORR, 0, dl, dl, dh, SH_LSR, R3));
      c.emit(shiftReg(SH_LSR, dh, dh, R2));
    } else {
      c.emit(dpImm(AL, OP_RSB, 0, c.XR, R2, 32));
      c.emit(opImmS(OP_SUB, R3, R2, 32));
      c.emit(shiftReg(SH_LSR, dl, dl, R2));
      c.emit(dpRegShift(AL, OP_ORR, 0, dl, dl, dh, SH_LSL, c.XR));
      c.emit(dpRegShift(PL, OP_MOV, 0, dl, 0, dh, SH_ASR, R3));
      c.emit(shiftReg(SH_ASR, dh, dh, R2));
    }
    setLo(c, dst, dl);
    setHi(c, dst, dh);
    return true;
  }
  return fail(c, ERR_OPCODE, i);
}

/** ADD/SUB/AND/OR/XOR with an immediate that fits an A32 operand: no constant loads, and a high word touched
 * only when the sign-extended immediate changes it. False when the immediate does not fit. */
function emitAlu64Imm(c: Context, op: u32, dst: i32, dl: i32, imm: i32): bool {
  if (op == ALU_ADD || op == ALU_SUB) {
    if (imm == i32.MIN_VALUE) return false;
    const v = op == ALU_SUB ? -imm : imm; // add v
    const mag = <u32>(v < 0 ? -v : v);
    if (immRot(mag) < 0) return false;
    if (carryHighOk(c, dst, false, 0, v)) {
      c.emit(opImmS(v < 0 ? OP_SUB : OP_ADD, dl, dl, immRot(mag)));
      emitCarryHigh(c, dst, v >= 0); // SBC #0 below: a borrow takes one off
      return true;
    }
    const ah = hiRead(c, dst, R1);
    const dh = hiDst(c, dst);
    c.emit(opImmS(v < 0 ? OP_SUB : OP_ADD, dl, dl, immRot(mag)));
    c.emit(opImm(v < 0 ? OP_SBC : OP_ADC, dh, ah, 0)); // sbc #0 adds 0xffffffff and the carry
    setLo(c, dst, dl);
    setHi(c, dst, dh);
    return true;
  }
  if (op != ALU_OR && op != ALU_XOR && op != ALU_AND) return false;
  if (op == ALU_AND && imm >= 0 && c.emitLowBits(dl, dl, <u32>imm)) {
    setLo(c, dst, dl);
    setHiZero(c, dst);
    return true;
  }
  if (immRot(<u32>imm) < 0) return false;
  c.emit(opImm(op == ALU_OR ? OP_ORR : op == ALU_XOR ? OP_EOR : OP_AND, dl, dl, immRot(<u32>imm)));
  setLo(c, dst, dl);
  if (imm >= 0) {
    if (op == ALU_AND) setHiZero(c, dst); // OR/XOR with 0 leave the high word alone
    return true;
  }
  if (op == ALU_AND) return true; // AND with all ones
  const dh = op == ALU_OR ? hiDst(c, dst) : hi(c, dst, R1);
  if (op == ALU_OR) c.emitConst(dh, 0xffffffff);
  else c.emit(dpReg(AL, 0xf /* MVN */, 0, dh, 0, dh, SH_LSL, 0));
  setHi(c, dst, dh);
  return true;
}

function emitShift64Imm(c: Context, op: u32, dst: i32, dl: i32, n: u32): bool {
  if (n == 0) {
    setLo(c, dst, dl);
    return true;
  }
  emitShift64From(c, op, dst, dst, dl, n);
  return true;
}

/**
 * dst = src SHIFT n (LSH, RSH or ARSH, 1 <= n <= 63), from src's words straight into dst's: the instruction itself
 * (src is dst), or `mov d, s` and the shift fused (fuse.ts), where ARM's shifted operand makes the copy free. A
 * source whose high word is known to be zero needs no high-word input (and an arithmetic shift is a logical one).
 * `sl`: src's low word, already where lo() put it.
 */
export function emitShift64From(c: Context, op: u32, dst: i32, src: i32, sl: i32, n: u32): void {
  const zero = known0(c, src);
  // a shift left by 32 or more reads nothing of src's high word: not loaded
  const unread = zero || op == ALU_LSH && n >= 32;
  let sh = unread ? -1 : hi(c, src, R1);
  const dl = dst == src ? sl : loDst(c, dst);
  const dh = dst == src && !unread ? sh : hiDst(c, dst);
  if (op == ALU_LSH) {
    if (n >= 32) {
      if (n == 32) { if (dh != sl) c.emit(movReg(dh, sl)); }
      else c.emit(shiftImm(SH_LSL, dh, sl, n - 32));
      c.emit(movImm(dl, 0));
    } else if (zero) {
      c.emit(shiftImm(SH_LSR, dh, sl, 32 - n)); // dh is never sl: different words (or r1 and r0)
      c.emit(shiftImm(SH_LSL, dl, sl, n));
    } else {
      c.emit(shiftImm(SH_LSL, dh, sh, n));
      c.emit(dpReg(AL, OP_ORR, 0, dh, dh, sl, SH_LSR, 32 - n));
      c.emit(shiftImm(SH_LSL, dl, sl, n));
    }
    setLo(c, dst, dl);
    setHi(c, dst, dh);
    return;
  }
  if (zero) {
    if (n < 32) c.emit(shiftImm(SH_LSR, dl, sl, n));
    else c.emit(movImm(dl, 0));
    setLo(c, dst, dl);
    setHiZero(c, dst);
    return;
  }
  const arith = op == ALU_ARSH;
  if (dl == sh) { // never with the registers of jit/context.ts (different words, or r0 and r1): kept correct anyway
    c.emit(movReg(R3, sh));
    sh = R3;
  }
  if (n >= 32) {
    if (n == 32) { if (dl != sh) c.emit(movReg(dl, sh)); } // LSR #0 would encode LSR #32
    else c.emit(shiftImm(arith ? SH_ASR : SH_LSR, dl, sh, n - 32));
    setLo(c, dst, dl);
    if (!arith) setHiZero(c, dst);
    else {
      c.emit(shiftImm(SH_ASR, dh, sh, 31));
      setHi(c, dst, dh);
    }
    return;
  }
  c.emit(shiftImm(SH_LSR, dl, sl, n));
  c.emit(dpReg(AL, OP_ORR, 0, dl, dl, sh, SH_LSL, 32 - n));
  c.emit(shiftImm(arith ? SH_ASR : SH_LSR, dh, sh, n));
  setLo(c, dst, dl);
  setHi(c, dst, dh);
}

/** Byte swaps: to big-endian / bswap (swap) or to little-endian (truncate only); width 16, 32 or 64. */
function emitSwap(c: Context, dst: i32, width: i32, swap: bool): bool {
  const dl = lo(c, dst, R0);
  if (width == 16) {
    if (swap) c.emit(rev16(dl, dl));
    c.emit(uxth(dl, dl));
  } else if (width == 32) {
    if (swap) c.emit(rev(dl, dl));
  } else if (width == 64) {
    if (!swap) return true;
    const dh = hi(c, dst, R1);
    c.emit(rev(c.XR, dl));
    c.emit(rev(dl, dh));
    c.emit(movReg(dh, c.XR));
    setLo(c, dst, dl);
    setHi(c, dst, dh);
    return true;
  } else return false;
  setLo(c, dst, dl);
  setHiZero(c, dst);
  return true;
}

/**
 * The ARM register holding rn's low word as a 32-bit shift by rn takes it: eBPF uses its low 5 bits, ARM the low
 * byte, so where the value widths (ranges.ts, before the shift) keep rn below 32 it is rn's own, else rn & 31 in XR.
 */
export function shiftAmount32(c: Context, r: i32): i32 {
  const s = lo(c, r, R2);
  if (c.ranges.widthNow(r) <= 5) return s;
  c.emit(opImm(OP_AND, c.XR, s, 31));
  return c.XR;
}

/** dl = dl op v for a 32-bit ADD/SUB/OR/AND/XOR with an encodable immediate (or its negation / complement). */
function emitAlu32Imm(c: Context, op: u32, dl: i32, v: u32): bool {
  if (op == ALU_SUB) { op = ALU_ADD; v = -v; }
  if (op == ALU_ADD) {
    if (immRot(v) >= 0) c.emit(opImm(OP_ADD, dl, dl, immRot(v)));
    else if (immRot(-v) >= 0) c.emit(opImm(OP_SUB, dl, dl, immRot(-v)));
    else return false;
    return true;
  }
  if (op == ALU_XOR && v == 0xffffffff) {
    c.emit(dpReg(AL, 0xf /* MVN */, 0, dl, 0, dl, SH_LSL, 0));
    return true;
  }
  if (op == ALU_AND && immRot(v) < 0 && immRot(~v) >= 0) {
    c.emit(opImm(0xe /* BIC */, dl, dl, immRot(~v)));
    return true;
  }
  if (op == ALU_AND && c.emitLowBits(dl, dl, v)) return true;
  if (immRot(v) < 0) return false;
  c.emit(opImm(op == ALU_OR ? OP_ORR : op == ALU_XOR ? OP_EOR : OP_AND, dl, dl, immRot(v)));
  return true;
}

/**
 * A pointer stepped after a load through it (`x = *p; ...; p += 4`, or `p += n`): the load, a few instructions back,
 * steps it (post-indexed, a32/code.ts postIndex) and nothing is emitted here. Only for a pointer kept in an ARM
 * register, by a positive immediate or by another register kept in one.
 */
function postIndexed(c: Context, x: bool, dst: i32, src: i32, imm: i32, dl: i32): bool {
  if (!loInArm(c, dst)) return false;
  if (!x) return imm > 0 && c.postIndex(dl, -1, imm, c.blockStart);
  return loInArm(c, src) && unchecked(c.armLo[src]) != dl && c.postIndex(dl, unchecked(c.armLo[src]), 0, c.blockStart);
}

/**
 * dl = al * v for a v the shifter makes: 2^k (LSL), 2^k + 1 (ADD with LSL), 2^k - 1 (RSB with LSL), 0 and 1: one
 * instruction or none instead of a constant and a MUL (a hash's `h * 5`). The low 32 bits of the product are the same.
 */
export function emitMul32Imm(c: Context, dl: i32, al: i32, v: u32): bool {
  if (v == 1) {
    if (dl != al) c.emit(movReg(dl, al));
    return true;
  }
  if (v == 0) {
    c.emit(movImm(dl, 0));
    return true;
  }
  if ((v & (v - 1)) == 0) {
    c.emit(shiftImm(SH_LSL, dl, al, ctz(v)));
    return true;
  }
  const below = v - 1; // 2^k + 1
  if (below > 1 && (below & (below - 1)) == 0) {
    c.emit(dpReg(AL, OP_ADD, 0, dl, al, al, SH_LSL, ctz(below)));
    return true;
  }
  const above = v + 1; // 2^k - 1 (not 2^32 - 1: above wraps to 0)
  if (above > 2 && (above & (above - 1)) == 0) {
    c.emit(dpReg(AL, OP_RSB, 0, dl, al, al, SH_LSL, ctz(above)));
    return true;
  }
  return false;
}

export function emitAlu32(c: Context, i: i32, op: u32, x: bool, dst: i32, src: i32, imm: i32, off: i32): bool {
  if (op == ALU_END) {
    if (!emitSwap(c, dst, imm, x /* END_TO_BE is the source bit */)) return fail(c, ERR_OPCODE, i);
    return true;
  }
  if (op == ALU_AND && !x && maskOnlyCompared(c, i)) return true; // a range test's mask (maskedcompare.ts)
  let dl = op == ALU_MOV ? loDst(c, dst) : lo(c, dst, R0);
  if (op == ALU_MOV) {
    if (!x) c.emitConst(dl, <u32>imm);
    else {
      // loaded straight into dst's own register; a register in memory stored from where src is, not moved first
      const sl = lo(c, src, dl != R0 ? dl : R2);
      if (off == 0 && !loInArm(c, dst)) dl = sl;
      else if (off == 0) { if (dl != sl) c.emit(movReg(dl, sl)); }
      else if (off == 8) c.emit(sxtb(dl, sl));
      else if (off == 16) c.emit(sxth(dl, sl));
      else return fail(c, ERR_OPCODE, i);
    }
  } else if (op == ALU_ADD || op == ALU_SUB || op == ALU_OR || op == ALU_AND || op == ALU_XOR || op == ALU_MUL) {
    if (op == ALU_ADD && postIndexed(c, x, dst, src, imm, dl) ||
      !x && (op == ALU_MUL ? emitMul32Imm(c, dl, dl, <u32>imm) : emitAlu32Imm(c, op, dl, <u32>imm))) {
      setLo(c, dst, dl);
      setHiZero(c, dst);
      return true;
    }
    const bl_ = operandLo(c, x, src, imm);
    if (op == ALU_MUL) c.emit(mul(dl, dl, bl_));
    else {
      const aop = op == ALU_ADD ? OP_ADD : op == ALU_SUB ? OP_SUB : op == ALU_OR ? OP_ORR : op == ALU_AND ? OP_AND : OP_EOR;
      c.emit(opReg(aop, dl, dl, bl_));
    }
  } else if ((op == ALU_DIV || op == ALU_MOD) && !x && (off == 0 || off == 1) && !(c.options & OPT_IDIV)) {
    emitDivImm32(c, dl, imm, off == 1, op == ALU_MOD, min(c.ranges.widthNow(dst), 32));
  } else if (op == ALU_DIV || op == ALU_MOD) {
    if (off != 0 && off != 1) return fail(c, ERR_OPCODE, i);
    const bl_ = operandLo(c, x, src, imm);
    if (c.options & OPT_IDIV) {
      c.emit(off == 1 ? sdiv(c.XR, dl, bl_) : udiv(c.XR, dl, bl_));
      if (op == ALU_DIV) c.emit(movReg(dl, c.XR));
      else c.emit(mls(dl, c.XR, bl_, dl)); // by zero: quotient 0, so the remainder is the dividend
    } else {
      // Widen to 64 bits and use the 64-bit routine: its zero and INT_MIN / -1 rules give the 32-bit ones.
      if (bl_ != R2) c.emit(movReg(R2, bl_));
      if (dl != R0) c.emit(movReg(R0, dl));
      if (off == 1) {
        c.emit(shiftImm(SH_ASR, R1, R0, 31));
        c.emit(shiftImm(SH_ASR, R3, R2, 31));
      } else {
        c.emit(movImm(R1, 0));
        c.emit(movImm(R3, 0));
      }
      c.bl(off == 1 ? L_SDIVMOD64 : L_UDIVMOD64);
      if (op == ALU_MOD) c.emit(movReg(R0, R2));
      if (dl != R0) c.emit(movReg(dl, R0));
    }
  } else if (op == ALU_LSH || op == ALU_RSH || op == ALU_ARSH) {
    const sh = op == ALU_LSH ? SH_LSL : op == ALU_RSH ? SH_LSR : SH_ASR;
    // a char's sign extension with other instructions between its shifts: the load extends it (extend.ts)
    if (!x && (foldSpreadExtension(c, i, dl) || spreadExtended(c, i))) {
      setLo(c, dst, dl);
      setHiZero(c, dst);
      return true;
    }
    if (!x) {
      const n = <u32>imm & 31;
      if (op != ALU_LSH && foldShiftBack(c, dl, n, op == ALU_ARSH)) {
        // the shift left just before and this one: an extension (extend.ts)
      } else if (n) c.emit(shiftImm(sh, dl, dl, n));
    } else {
      c.emit(shiftReg(sh, dl, dl, shiftAmount32(c, src)));
    }
  } else if (op == ALU_NEG) {
    // -(x & 1), a mask of the low bit (`crc & 1` in a table-less CRC): when the AND is the block's last
    // instruction so far, both are one SBFX
    const masked = <i32>((c.lastWord >> 16) & 15);
    if (c.lastWord == opImm(OP_AND, dl, masked, immRot(1)) && c.pos - 4 >= c.blockStart) {
      c.rewind(c.pos - 4);
      c.emitSbfx(dl, masked, 0, 1);
    } else c.emit(opImm(OP_RSB, dl, dl, 0));
  } else return fail(c, ERR_OPCODE, i);
  setLo(c, dst, dl);
  setHiZero(c, dst);
  return true;
}
