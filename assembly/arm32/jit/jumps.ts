// Jump instructions: 64-bit comparisons on register pairs, one 32-bit comparison where both high words are
// known to be zero. Register access goes through jit/regs.ts.

import {
  AL, EQ, GE, GT, HI, HS, LE, LO, LS, LT, NE, OP_ADC, OP_CMN, OP_CMP, OP_ORR, OP_RSB, OP_RSC, OP_SBC, OP_TST, R0,
  R1, R2, SH_LSL, cmpImm, cmpReg, cmpRegC, dpImm, dpReg, immRot, opRegS, tstReg, tstRegC,
} from "../a32/encoder";
import { Context, dstOf, fail, immOf, offOf, srcOf } from "./context";
import { branchTo } from "./copies";
import { Step, compareKey, flagsHold, selectOver } from "./select";
import { hi, known0, lo, loInArm, operandHi, operandKnown0, operandLo } from "./regs";
import {
  CLS_JMP, CLS_JMP32, JMP_JA, JMP_JEQ, JMP_JGE, JMP_JGT, JMP_JLE, JMP_JLT, JMP_JNE, JMP_JSET, JMP_JSGE, JMP_JSGT,
  JMP_JSLE, JMP_JSLT, SRC_X,
} from "../../isa";
import { ERR_OPCODE } from "../../../targets/arm32/abi";

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

/**
 * The condition that decides `cond` against constant v (the comparison `own`, compareKey's) from the flags of a
 * comparison of the same register with v + 1 or v - 1 (`key`): x > v is x >= v + 1, x <= v is x < v + 1, x >= v is x > v - 1, x < v is
 * x <= v - 1, unsigned or signed where v +- 1 does not wrap. 0xf when key is neither neighbour.
 */
function neighbourCondition(cond: u32, own: u64, key: u64): u32 {
  // the same register (and neither a TST nor against a register: compareKey's high bits)
  if ((key >> 32) != (own >> 32) || (key & (<u64>3 << 41)) != 0) return 0xf;
  const v = <u32>own;
  const k = <u32>key;
  if (k == v + 1) {
    if (cond == HI && v != 0xffffffff) return HS;
    if (cond == LS && v != 0xffffffff) return LO;
    if (cond == GT && v != 0x7fffffff) return GE;
    if (cond == LE && v != 0x7fffffff) return LT;
  } else if (k == v - 1) {
    if (cond == HS && v != 0) return HI;
    if (cond == LO && v != 0) return LS;
    if (cond == GE && v != 0x80000000) return GT;
    if (cond == LT && v != 0x80000000) return LE;
  }
  return 0xf;
}

/** cmp/tst of a 32-bit register against the second operand's low word. */
function compareLo(c: Context, code: u32, a: i32, x: bool, src: i32, imm: i32): void {
  const aop = code == JMP_JSET ? OP_TST : OP_CMP;
  if (!x) {
    const v = <u32>imm;
    if (immRot(v) >= 0) { c.emit(dpImm(AL, aop, 1, 0, a, immRot(v))); return; }
    if (aop == OP_CMP && v != 0 && immRot(-v) >= 0) { c.emit(dpImm(AL, OP_CMN, 1, 0, a, immRot(-v))); return; }
  }
  const b_ = operandLo(c, x, src, imm);
  c.emit(dpReg(AL, aop, 1, 0, a, b_, SH_LSL, 0));
}

/** cmp rn, #v (or cmn rn, #-v); false when neither fits. */
function compareImm(c: Context, rn: i32, v: u32): bool {
  if (immRot(v) >= 0) c.emit(dpImm(AL, OP_CMP, 1, 0, rn, immRot(v)));
  else if (v != 0 && immRot(-v) >= 0) c.emit(dpImm(AL, OP_CMN, 1, 0, rn, immRot(-v)));
  else return false;
  return true;
}

/** A 64-bit comparison against a sign-extended immediate, without loading it: high word 0 or -1. Leaves the
 * flags for `cond`, except that GT / LE become LT / GE on swapped operands. False when the immediate does not fit. */
function emitCompare64Imm(c: Context, code: u32, cond: u32, dst: i32, imm: i32): bool {
  const v = <u32>imm;
  const fits = immRot(v) >= 0 || (v != 0 && immRot(-v) >= 0);
  if (code == JMP_JSET) {
    if (immRot(v) < 0) return false;
    const al = lo(c, dst, R0);
    if (imm >= 0) {
      c.emit(dpImm(AL, OP_TST, 1, 0, al, immRot(v)));
    } else {
      const ah = hi(c, dst, R1);
      c.emit(dpImm(AL, OP_TST, 1, 0, al, immRot(v)));
      c.emit(tstRegC(EQ, ah, ah));
    }
    return true;
  }
  if (!fits) return false;
  if (cond == LT || cond == GE) {
    const al = lo(c, dst, R0);
    const ah = hi(c, dst, R1);
    compareImm(c, al, v);
    // a.hi - b.hi - borrow, with b.hi = 0 (sbcs #0) or -1 (adcs #0 is the same addition, same flags)
    c.emit(dpImm(AL, imm >= 0 ? OP_SBC : OP_ADC, 1, c.XR, ah, 0));
    return true;
  }
  if (cond == GT || cond == LE) {
    if (imm < 0 || immRot(v) < 0) return false;
    const al = lo(c, dst, R0);
    const ah = hi(c, dst, R1);
    c.emit(dpImm(AL, OP_RSB, 1, c.XR, al, immRot(v))); // b - a
    c.emit(dpImm(AL, OP_RSC, 1, c.XR, ah, 0));
    return true;
  }
  if (imm == 0 && (code == JMP_JEQ || code == JMP_JNE)) {
    // (in)equality with 0: one ORRS of both words
    const al = lo(c, dst, R0);
    const ah = hi(c, dst, R1);
    c.emit(opRegS(OP_ORR, c.XR, al, ah));
    return true;
  }
  // equality and unsigned: high words first, then the low words when they are equal
  const ah = hi(c, dst, R1);
  if (imm >= 0) c.emit(cmpImm(ah, 0));
  else c.emit(dpImm(AL, OP_CMN, 1, 0, ah, 1));
  const al = lo(c, dst, R0);
  if (immRot(v) >= 0) c.emit(dpImm(EQ, OP_CMP, 1, 0, al, immRot(v)));
  else c.emit(dpImm(EQ, OP_CMN, 1, 0, al, immRot(-v)));
  return true;
}

export function emitJump(c: Context, i: i32, op: u32, step: Step): bool {
  const cls = op & 7;
  const code = op & 0xf0;
  const x = (op & SRC_X) != 0;
  const dst = dstOf(c, i);
  const src = srcOf(c, i);
  const imm = immOf(c, i);
  if (code == JMP_JA) {
    const t = cls == CLS_JMP32 ? i + 1 + imm : i + 1 + offOf(c, i);
    branchTo(c, AL, t, i);
    return true;
  }
  let cond = condition(code);
  if (cond == 0xf) return fail(c, ERR_OPCODE, i);
  const lastCompare = c.cmpJump; // (flagsHold)
  c.cmpJump = -1;
  const t = i + 1 + offOf(c, i);
  if (cls == CLS_JMP32 || (known0(c, dst) && operandKnown0(c, x, src, imm))) {
    if (cls == CLS_JMP) cond = unsignedOf(cond);
    // the instruction that computed dst's low word, a few before in this block, sets Z instead of a compare
    // (a counter stepped before the loop's other updates: `n -= 1; a = b; if n != 0`)
    const setter = !x && imm == 0 && (code == JMP_JEQ || code == JMP_JNE) && loInArm(c, dst) ?
      c.flagSetterOf(unchecked(c.armLo[dst]), c.blockStart) : -1;
    // the same comparison as a jump converted just before (select.ts): its flags still hold
    let key = compareKey(code == JMP_JSET, dst, x, src, imm);
    if (setter >= 0) c.setFlagsAt(setter);
    else {
      const near = x || code == JMP_JSET ? 0xf : neighbourCondition(cond, key, c.cmpKey);
      if (near != 0xf && flagsHold(c, lastCompare, i, c.cmpKey)) {
        // the same comparison against the next constant (`x < 10`, then `x > 9`): its flags decide this one
        cond = near;
        key = c.cmpKey;
      } else if (!flagsHold(c, lastCompare, i, key)) compareLo(c, code, lo(c, dst, R0), x, src, imm);
      c.cmpJump = i;
      c.cmpKey = key;
      c.cmpEnd = c.pos;
    }
  } else if (!x && emitCompare64Imm(c, code, cond, dst, imm)) {
    if (cond == GT) cond = LT;
    else if (cond == LE) cond = GE;
  } else if (x && known0(c, src)) {
    // the second operand's high word is 0: compare against it as an immediate, without loading it
    const al = lo(c, dst, R0);
    const ah = hi(c, dst, R1);
    const bl_ = lo(c, src, R2);
    if (code == JMP_JSET) {
      c.emit(tstReg(al, bl_));
    } else if (cond == LT || cond == GE) {
      c.emit(cmpReg(al, bl_));
      c.emit(dpImm(AL, OP_SBC, 1, c.XR, ah, 0));
    } else if (cond == GT || cond == LE) {
      c.emit(cmpReg(bl_, al));
      c.emit(dpImm(AL, OP_RSC, 1, c.XR, ah, 0)); // 0 - ah - borrow
      cond = cond == GT ? LT : GE;
    } else {
      c.emit(cmpImm(ah, 0));
      c.emit(cmpRegC(EQ, al, bl_));
    }
  } else {
    const al = lo(c, dst, R0);
    const ah = hi(c, dst, R1);
    const bl_ = operandLo(c, x, src, imm);
    const bh = operandHi(c, x, src, imm);
    if (code == JMP_JSET) {
      c.emit(tstReg(al, bl_));
      c.emit(tstRegC(EQ, ah, bh));
    } else if (cond == LT || cond == GE) {
      c.emit(cmpReg(al, bl_));
      c.emit(opRegS(OP_SBC, c.XR, ah, bh));
    } else if (cond == GT || cond == LE) {
      c.emit(cmpReg(bl_, al));
      c.emit(opRegS(OP_SBC, c.XR, bh, ah));
      cond = cond == GT ? LT : GE;
    } else {
      c.emit(cmpReg(ah, bh));
      c.emit(cmpRegC(EQ, al, bl_));
    }
  }
  // a jump over a few ALU instructions: their code under the inverted condition instead (select.ts)
  if (!selectOver(c, i, cond, t, step)) branchTo(c, cond, t, i);
  return true;
}
