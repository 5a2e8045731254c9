// Instruction pairs emitted as one ARM instruction (per word). A copy and the operation on the copy: clang writes
// `r4 = r1; r4 += r3` for `p = base + i`, and ARM's three-operand instructions do both at once, so the copy costs
// nothing. The pair must be
//
//   mov d, s          (ALU64 or ALU32, a register, no sign extension)
//   op  d, t | imm    (the same class; ADD, SUB, AND, OR or XOR; not a block start, t is not d)
//
// with d not s. The value widths of ranges.ts decide, as for single instructions, where 32 bits are enough.
// And a 32-bit shift by a constant followed by an operation with another register, which ARM's shifted second
// operand does in one (`crc = (crc >> 1) ^ mask`):
//
//   lsh32 / rsh32 / arsh32 d, k     (1 <= k <= 31)
//   op32  d, t                      (ADD, SUB, AND, OR or XOR; not a block start, t is not d)

import {
  emit, emitConst, R0, R1, R2, R3, AL, OP_AND, OP_EOR, OP_ORR, OP_ADD, OP_SUB, OP_RSB, OP_ADC, OP_SBC, SH_LSL, SH_LSR,
  SH_ASR, immRot, opReg, opRegS, opImm, opImmS, dpReg,
} from "../a32/encoder";
import {
  CLS_ALU, CLS_ALU64, SRC_X, ALU_MOV, ALU_ADD, ALU_SUB, ALU_AND, ALU_OR, ALU_XOR, ALU_LSH, ALU_RSH, ALU_ARSH,
} from "../../isa";
import {
  known0, lo, hi, loDst, hiDst, setLo, setHi, setHiZero, operandLo, operandHi, operandKnown0, opcode, dstOf, srcOf,
  offOf, immOf,
} from "./translate";
import * as ranges from "../analysis/ranges";
import { addressAdd } from "../versioned";

/** Whether instruction i and i + 1 (known not to start a block) form one of the pairs above. */
export function fusable(i: i32, count: i32): bool {
  if (i + 1 >= count) return false;
  return isCopyPair(i) || isShiftPair(i);
}

function isShiftPair(i: i32): bool {
  const sh = opcode(i);
  const code = sh & 0xf0;
  if ((sh & 7) != CLS_ALU || (sh & SRC_X) != 0 || (code != ALU_LSH && code != ALU_RSH && code != ALU_ARSH)) return false;
  const k = immOf(i);
  if (k < 1 || k > 31 || dstOf(i) >= 10) return false;
  const op = opcode(i + 1);
  const next = op & 0xf0;
  if ((op & 7) != CLS_ALU || (op & SRC_X) == 0 || dstOf(i + 1) != dstOf(i) || srcOf(i + 1) == dstOf(i)) return false;
  return next == ALU_ADD || next == ALU_SUB || next == ALU_AND || next == ALU_OR || next == ALU_XOR;
}

function isCopyPair(i: i32): bool {
  const mov = opcode(i);
  const cls = mov & 7;
  if ((cls != CLS_ALU64 && cls != CLS_ALU) || (mov & 0xf0) != ALU_MOV || (mov & SRC_X) == 0 || offOf(i) != 0) return false;
  const d = dstOf(i);
  if (d == srcOf(i) || d >= 10) return false;
  const op = opcode(i + 1);
  const code = op & 0xf0;
  if ((op & 7) != cls || dstOf(i + 1) != d || offOf(i + 1) != 0) return false;
  if (code != ALU_ADD && code != ALU_SUB && code != ALU_AND && code != ALU_OR && code != ALU_XOR) return false;
  return (op & SRC_X) == 0 || srcOf(i + 1) != d;
}

function armOp(code: u32): u32 {
  return code == ALU_ADD ? OP_ADD : code == ALU_SUB ? OP_SUB : code == ALU_AND ? OP_AND : code == ALU_OR ? OP_ORR : OP_EOR;
}

/**
 * Low words: dl = al OP (t | imm), flags set when `flags` (for the carry into the high word). An immediate goes in
 * the instruction when it fits (ADD and SUB of a negative one as SUB and ADD of its magnitude: `negated` tells).
 */
function lowOp(code: u32, dl: i32, al: i32, x: bool, t: i32, imm: i32, flags: bool): bool {
  const aop = armOp(code);
  if (!x) {
    if (immRot(<u32>imm) >= 0) {
      emit(flags ? opImmS(aop, dl, al, immRot(<u32>imm)) : opImm(aop, dl, al, immRot(<u32>imm)));
      return false;
    }
    if ((code == ALU_ADD || code == ALU_SUB) && imm != i32.MIN_VALUE && immRot(<u32>-imm) >= 0) {
      const other = code == ALU_ADD ? OP_SUB : OP_ADD;
      emit(flags ? opImmS(other, dl, al, immRot(<u32>-imm)) : opImm(other, dl, al, immRot(<u32>-imm)));
      return true;
    }
  }
  const bl = operandLo(x, t, imm);
  emit(flags ? opRegS(aop, dl, al, bl) : opReg(aop, dl, al, bl));
  return false;
}

/** Emits the pair at i, i + 1 (see fusable). */
export function emitFused(i: i32): void {
  if (isShiftPair(i)) {
    // d = t OP (d SHIFT k); SUB: d = (d SHIFT k) - t, a reverse subtraction
    const d = dstOf(i);
    const code = opcode(i) & 0xf0;
    const shift = code == ALU_LSH ? SH_LSL : code == ALU_RSH ? SH_LSR : SH_ASR;
    const next = opcode(i + 1) & 0xf0;
    const aop = next == ALU_SUB ? OP_RSB : armOp(next);
    const al = lo(d, R0);
    const tl = lo(srcOf(i + 1), R2);
    const dl = loDst(d);
    emit(dpReg(AL, aop, 0, dl, tl, al, shift, <u32>immOf(i)));
    setLo(d, dl);
    setHiZero(d);
    return;
  }
  const cls = opcode(i) & 7;
  const d = dstOf(i);
  const s = srcOf(i);
  const op = opcode(i + 1);
  const code = op & 0xf0;
  const x = (op & SRC_X) != 0;
  const t = srcOf(i + 1);
  const imm = immOf(i + 1);
  const dl = loDst(d);
  const al = lo(s, R0);
  if (cls == CLS_ALU) {
    lowOp(code, dl, al, x, t, imm, false);
    setLo(d, dl);
    setHiZero(d);
    return;
  }
  const a0 = known0(s);
  const b0 = operandKnown0(x, t, imm);
  if ((code == ALU_ADD || code == ALU_SUB) && a0 && b0 && ranges.widthAfterCopy(op, d, s, t, imm) <= 32 ||
    code == ALU_ADD && addressAdd(i + 1)) {
    // no carry, no borrow reaches the high word; or the sum is a tested address (versioned.ts)
    lowOp(code, dl, al, x, t, imm, false);
    setLo(d, dl);
    setHiZero(d);
    return;
  }
  if (code == ALU_ADD || code == ALU_SUB) {
    const ah = hi(s, R1);
    const negated = lowOp(code, dl, al, x, t, imm, true);
    const dh = hiDst(d);
    const add = (code == ALU_ADD) != negated;
    if (b0 && !negated) emit(opImm(add ? OP_ADC : OP_SBC, dh, ah, 0));
    else if (!x && negated) emit(opImm(add ? OP_ADC : OP_SBC, dh, ah, 0)); // the magnitude's high word is 0 too
    else emit(opReg(add ? OP_ADC : OP_SBC, dh, ah, operandHi(x, t, imm)));
    setLo(d, dl);
    setHi(d, dh);
    return;
  }
  lowOp(code, dl, al, x, t, imm, false);
  setLo(d, dl);
  // high words: AND with a zero high word is 0; OR and XOR with one copy the other
  if (code == ALU_AND ? a0 || b0 : a0 && b0) {
    setHiZero(d);
    return;
  }
  if (code != ALU_AND && a0) {
    setHi(d, operandHi(x, t, imm));
    return;
  }
  if (code != ALU_AND && b0) {
    setHi(d, hi(s, R1));
    return;
  }
  const dh = hiDst(d);
  emit(opReg(armOp(code), dh, hi(s, R1), operandHi(x, t, imm)));
  setHi(d, dh);
}
