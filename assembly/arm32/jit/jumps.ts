// Jump instructions: 64-bit comparisons on register pairs, one 32-bit comparison where both high words are
// known to be zero. Register access goes through the table in translate.ts.

import {
  emit, pos, R0, R1, R2, AL, EQ, NE, HS, LO, HI, LS, GE, LT, GT, LE, OP_RSB, OP_ADC, OP_SBC, OP_RSC, OP_TST,
  OP_CMP, OP_CMN, OP_ORR, SH_LSL, immRot, dpImm, dpReg, cmpImm, opRegS, cmpReg, cmpRegC, tstReg, tstRegC, bit, branch,
  lastFlagSettable, setFlagsOfLast,
} from "../a32/encoder";
import { at, L_CODE } from "../../../targets/arm32/image";
import { SECOND_SLOT } from "../../../targets/arm32/runtime/routines";
import {
  CLS_JMP, CLS_JMP32, SRC_X, JMP_JA, JMP_JEQ, JMP_JGT, JMP_JGE, JMP_JSET, JMP_JNE, JMP_JSGT, JMP_JSGE, JMP_JLT,
  JMP_JLE, JMP_JSLT, JMP_JSLE,
} from "../../isa";
import {
  known0, lo, hi, operandLo, operandHi, operandKnown0, fail, offsets, dstOf, srcOf, offOf, immOf, ERR_OPCODE, inArm,
  ARM_LO, blockStart, XR,
} from "./translate";
import { branchTo } from "../versioned";

function condition(code: u32): u32 {
  switch (code) {
    case JMP_JEQ: return EQ;
    case JMP_JNE: return NE;
    case JMP_JSET: return NE;
    case JMP_JGT: return HI;
    case JMP_JGE: return HS;
    case JMP_JLT: return LO;
    case JMP_JLE: return LS;
    case JMP_JSGT: return GT;
    case JMP_JSGE: return GE;
    case JMP_JSLT: return LT;
    case JMP_JSLE: return LE;
  }
  return 0xf;
}

/** The unsigned condition that decides a signed comparison of two non-negative values. */
function unsignedOf(cond: u32): u32 {
  if (cond == GT) return HI;
  if (cond == GE) return HS;
  if (cond == LT) return LO;
  if (cond == LE) return LS;
  return cond;
}

export function targetPos(t: i32): i32 { return at(L_CODE) + <i32>(load<u32>(offsets + (<usize>t << 2)) & ~SECOND_SLOT); }

/** cmp/tst of a 32-bit register against the second operand's low word. */
function compareLo(code: u32, a: i32, x: bool, src: i32, imm: i32): void {
  const aop = code == JMP_JSET ? OP_TST : OP_CMP;
  if (!x) {
    const v = <u32>imm;
    if (immRot(v) >= 0) { emit(dpImm(AL, aop, 1, 0, a, immRot(v))); return; }
    if (aop == OP_CMP && v != 0 && immRot(-v) >= 0) { emit(dpImm(AL, OP_CMN, 1, 0, a, immRot(-v))); return; }
  }
  const b_ = operandLo(x, src, imm);
  emit(dpReg(AL, aop, 1, 0, a, b_, SH_LSL, 0));
}

/** cmp rn, #v (or cmn rn, #-v); false when neither fits. */
function compareImm(rn: i32, v: u32): bool {
  if (immRot(v) >= 0) emit(dpImm(AL, OP_CMP, 1, 0, rn, immRot(v)));
  else if (v != 0 && immRot(-v) >= 0) emit(dpImm(AL, OP_CMN, 1, 0, rn, immRot(-v)));
  else return false;
  return true;
}

/** A 64-bit comparison against a sign-extended immediate, without loading it: high word 0 or -1. Leaves the
 * flags for `cond`, except that GT / LE become LT / GE on swapped operands. False when the immediate does not fit. */
function emitCompare64Imm(code: u32, cond: u32, dst: i32, imm: i32): bool {
  const v = <u32>imm;
  const fits = immRot(v) >= 0 || (v != 0 && immRot(-v) >= 0);
  if (code == JMP_JSET) {
    if (immRot(v) < 0) return false;
    const al = lo(dst, R0);
    if (imm >= 0) {
      emit(dpImm(AL, OP_TST, 1, 0, al, immRot(v)));
    } else {
      const ah = hi(dst, R1);
      emit(dpImm(AL, OP_TST, 1, 0, al, immRot(v)));
      emit(tstRegC(EQ, ah, ah));
    }
    return true;
  }
  if (!fits) return false;
  if (cond == LT || cond == GE) {
    const al = lo(dst, R0);
    const ah = hi(dst, R1);
    compareImm(al, v);
    // a.hi - b.hi - borrow, with b.hi = 0 (sbcs #0) or -1 (adcs #0 is the same addition, same flags)
    emit(dpImm(AL, imm >= 0 ? OP_SBC : OP_ADC, 1, XR, ah, 0));
    return true;
  }
  if (cond == GT || cond == LE) {
    if (imm < 0 || immRot(v) < 0) return false;
    const al = lo(dst, R0);
    const ah = hi(dst, R1);
    emit(dpImm(AL, OP_RSB, 1, XR, al, immRot(v))); // b - a
    emit(dpImm(AL, OP_RSC, 1, XR, ah, 0));
    return true;
  }
  if (imm == 0 && (code == JMP_JEQ || code == JMP_JNE)) {
    // (in)equality with 0: one ORRS of both words
    const al = lo(dst, R0);
    const ah = hi(dst, R1);
    emit(opRegS(OP_ORR, XR, al, ah));
    return true;
  }
  // equality and unsigned: high words first, then the low words when they are equal
  const ah = hi(dst, R1);
  if (imm >= 0) emit(cmpImm(ah, 0));
  else emit(dpImm(AL, OP_CMN, 1, 0, ah, 1));
  const al = lo(dst, R0);
  if (immRot(v) >= 0) emit(dpImm(EQ, OP_CMP, 1, 0, al, immRot(v)));
  else emit(dpImm(EQ, OP_CMN, 1, 0, al, immRot(-v)));
  return true;
}

export function emitJump(i: i32, op: u32): bool {
  const cls = op & 7;
  const code = op & 0xf0;
  const x = (op & SRC_X) != 0;
  const dst = dstOf(i);
  const src = srcOf(i);
  const imm = immOf(i);
  if (code == JMP_JA) {
    const t = cls == CLS_JMP32 ? i + 1 + imm : i + 1 + offOf(i);
    branchTo(AL, t, i);
    return true;
  }
  let cond = condition(code);
  if (cond == 0xf) return fail(ERR_OPCODE, i);
  const t = i + 1 + offOf(i);
  if (cls == CLS_JMP32 || (known0(dst) && operandKnown0(x, src, imm))) {
    if (cls == CLS_JMP) cond = unsignedOf(cond);
    if (!x && imm == 0 && (code == JMP_JEQ || code == JMP_JNE) && inArm(dst) && pos - 4 >= blockStart &&
      lastFlagSettable() == unchecked(ARM_LO[dst])) {
      // the instruction that computed dst's low word, just before in this block, sets Z instead of a compare
      setFlagsOfLast();
    } else compareLo(code, lo(dst, R0), x, src, imm);
  } else if (!x && emitCompare64Imm(code, cond, dst, imm)) {
    if (cond == GT) cond = LT;
    else if (cond == LE) cond = GE;
  } else if (x && known0(src)) {
    // the second operand's high word is 0: compare against it as an immediate, without loading it
    const al = lo(dst, R0);
    const ah = hi(dst, R1);
    const bl_ = lo(src, R2);
    if (code == JMP_JSET) {
      emit(tstReg(al, bl_));
    } else if (cond == LT || cond == GE) {
      emit(cmpReg(al, bl_));
      emit(dpImm(AL, OP_SBC, 1, XR, ah, 0));
    } else if (cond == GT || cond == LE) {
      emit(cmpReg(bl_, al));
      emit(dpImm(AL, OP_RSC, 1, XR, ah, 0)); // 0 - ah - borrow
      cond = cond == GT ? LT : GE;
    } else {
      emit(cmpImm(ah, 0));
      emit(cmpRegC(EQ, al, bl_));
    }
  } else {
    const al = lo(dst, R0);
    const ah = hi(dst, R1);
    const bl_ = operandLo(x, src, imm);
    const bh = operandHi(x, src, imm);
    if (code == JMP_JSET) {
      emit(tstReg(al, bl_));
      emit(tstRegC(EQ, ah, bh));
    } else if (cond == LT || cond == GE) {
      emit(cmpReg(al, bl_));
      emit(opRegS(OP_SBC, XR, ah, bh));
    } else if (cond == GT || cond == LE) {
      emit(cmpReg(bl_, al));
      emit(opRegS(OP_SBC, XR, bh, ah));
      cond = cond == GT ? LT : GE;
    } else {
      emit(cmpReg(ah, bh));
      emit(cmpRegC(EQ, al, bl_));
    }
  }
  branchTo(cond, t, i);
  return true;
}
