// Instruction pairs emitted as one ARM instruction (per word); sign and zero extensions by a pair of shifts are
// extend.ts's. A copy and the operation on the copy: clang writes
// `r4 = r1; r4 += r3` for `p = base + i`, and ARM's three-operand instructions do both at once, so the copy costs
// nothing. The pair must be
//
//   mov d, s          (ALU64 or ALU32, a register, no sign extension)
//   op  d, t | imm    (the same class; ADD, SUB, AND, OR or XOR, or MUL in 32 bits (a hash's `h = x * prime`),
//                      or LSH, RSH or ARSH by a constant (by t in 32 bits): `x - ((x >> 1) & m)` copies x first;
//                      not a block start, t is not d)
//
// with d not s. The value widths of ranges.ts decide, as for single instructions, where 32 bits are enough; a
// frame address `mov d, r10; add d, C` (-STACK_SIZE <= C <= 0), which no borrow reaches, is 32 bits wide too.
// And a 32-bit shift by a constant followed by an operation with another register, which ARM's shifted second
// operand does in one (`crc = (crc >> 1) ^ mask`):
//
//   lsh32 / rsh32 / arsh32 d, k     (1 <= k <= 31)
//   op32  d, t                      (ADD, SUB, AND, OR or XOR; not a block start, t is not d)
//
// And a 32-bit product accumulated (`sum += a[k] * b[k]`, a hash's `acc = acc * prime + x`), ARM's
// multiply-accumulate:
//
//   mul32 d, s | imm
//   add32 d, t        (t is not d; not a block start)
//
// And, in a loop copy, an element loaded through a sum that clang computes into the loaded register (`x = p[i]`),
// or into a register nothing reads after the load (`c = data[i]` through a temporary address that is written
// again before it is read: liveness.ts):
//
//   mov d, s
//   add d, t           (ALU64; s and t are not d; the sum below 2^32 (ranges.ts), or a tested address)
//   ldx e, [d + 0]     (byte, halfword or word; unchecked there (versioned.ts planned); no block start in the three;
//                      e is d, or d is dead after the load)
//
// as one LDR (LDRB, LDRH) with a register offset, `ldr e, [s, t]`: the sum is never written. (A dead d keeps the
// value it had before the pair, words and what is known of them alike: nothing reads it.)
//
// And an element's address in a buffer in the frame (`p = &buf[i]`: clang copies r10, adds the buffer's offset,
// then the index):
//
//   mov d, r10
//   add d, C           (-STACK_SIZE <= C <= 0: r10 + C, which no borrow reaches (r10 is at least STACK_SIZE), is
//                      32 bits wide: one ADD, from r11 where r10 is fixed, regs.ts fixedFrame)
//   add d, x           (ALU64, x a register other than d and r10; no block start in the three): the index added with
//                      its carry, or in 32 bits when the sum is a tested address (versioned.ts) or x is below 2^w
//                      with 2^w - 1 <= -C (ranges.ts: `buf[i & 63]` of `u8 buf[64]`, at most r10); no word of r10 +
//                      C is written
//
// And a table's address and an index (`p = table + i`: clang loads the address into p first):
//
//   lddw d, K          (K's high word 0)
//   op   d, s          (ALU64 ADD, AND, OR or XOR; s is not d, s's high word known zero; ADD: the sum below 2^32;
//                      not a block start): d = s OP K, no move of K into d first
//
// And a 64-bit constant read once (`x & 0x5555555555555555`: clang loads the mask into a register first):
//
//   lddw k, K
//   op   d, k         (ALU64 or ALU32; ADD, SUB, AND, OR, XOR or MUL; not a block start, d is not k, and nothing
//                      reads k afterwards (liveness.ts)): K is the operation's operand, k is not written; a
//                      zero half of K leaves the operation on that word out (ALU64 but MUL: a zero low word)

import {
  AL, OP_ADC, OP_ADD, R11, OP_AND, OP_EOR, OP_ORR, OP_RSB, OP_RSC, OP_SBC, OP_SUB, R0, R1, R2, R3, SH_ASR, SH_LSL, SH_LSR, dpReg,
  immRot, ldrReg, ldrbReg, ldrhReg, mla, movImm, movReg, mul, opImm, opImmS, opReg, opRegS, shiftImm, shiftReg,
} from "../a32/encoder";
import { emitAlu32, emitAlu64, emitMul32Imm, emitShift64From, shiftAmount32 } from "./alu";
import { liveAt } from "./liveness";
import { Context, F_LEADER, dstOf, flagOf, immOf, offOf, opcode, srcOf } from "./context";
import { addressAdd, inCopy, planned } from "./copies";
import { FRAME_TOP, fixedFrame, loInArm } from "./regs";
import { isConstantPair } from "./shapes";
import { isProductPair } from "./products";
import { emitReadOnce, readOnceLength } from "./readonce";
import { emitNotMask, isNotMask } from "./notmask";
import { emitExtension, extensionLength } from "./extend";
import {
  constIn, hi, hiDst, hiRead, known0, lo, loDst, operandHi, operandKnown0, operandLo, setHi, setHiZero, setLo,
} from "./regs";
import {
  ALU_ADD, ALU_AND, ALU_ARSH, ALU_LSH, ALU_MOV, ALU_MUL, ALU_OR, ALU_RSH, ALU_SUB, ALU_XOR, CLS_ALU, CLS_ALU64,
  PSEUDO_IMM64, SRC_X, STACK_SIZE,
} from "../../isa";
import * as ranges from "../analysis/ranges";

/** The instruction slots of the pair starting at i (3 for lddw and its use), or 0 when i starts none. */
export function fusedLength(c: Context, i: i32): i32 {
  const extension = extensionLength(c, i);
  if (extension > 0) return extension;
  const once = readOnceLength(c, i);
  if (once > 0) return once;
  if (isConstantPair(c, i) || isConstantBasePair(c, i) || isIndexedLoad(c, i) || isFrameIndex(c, i)) return 3;
  if (i + 1 >= c.count || (flagOf(c, i + 1) & F_LEADER) != 0) return 0;
  return isCopyPair(c, i) || isShiftPair(c, i) || isProductPair(c, i) || isNotMask(c, i) ? 2 : 0;
}

function isIndexedLoad(c: Context, i: i32): bool {
  if (opcode(c, i) != (CLS_ALU64 | ALU_MOV | SRC_X) || offOf(c, i) != 0 || i + 2 >= c.count || !inCopy(c)) return false;
  if ((flagOf(c, i + 1) & F_LEADER) != 0 || (flagOf(c, i + 2) & F_LEADER) != 0) return false;
  const d = dstOf(c, i);
  const s = srcOf(c, i);
  const t = srcOf(c, i + 1);
  if (d >= 10 || s >= 10 || s == d || opcode(c, i + 1) != (CLS_ALU64 | ALU_ADD | SRC_X) || dstOf(c, i + 1) != d) return false;
  if (t >= 10 || t == d || offOf(c, i + 1) != 0) return false;
  const load = opcode(c, i + 2);
  if (load != 0x71 && load != 0x69 && load != 0x61) return false; // ldxb, ldxh, ldxw
  if (srcOf(c, i + 2) != d || offOf(c, i + 2) != 0 || !planned(c, i + 2)) return false;
  if (dstOf(c, i + 2) != d && liveAt(c, i + 3, d)) return false; // the sum read again: it must be written
  // the address below 2^32: the sum of two 32-bit values that does not carry, or a tested address (versioned.ts)
  return known0(c, s) && known0(c, t) && c.ranges.widthAfterCopy(CLS_ALU64 | ALU_ADD | SRC_X, d, s, t, 0) <= 32 ||
    addressAdd(c, i + 1);
}

function isFrameIndex(c: Context, i: i32): bool {
  if (opcode(c, i) != (CLS_ALU64 | ALU_MOV | SRC_X) || srcOf(c, i) != 10 || offOf(c, i) != 0 || i + 2 >= c.count) return false;
  if ((flagOf(c, i + 1) & F_LEADER) != 0 || (flagOf(c, i + 2) & F_LEADER) != 0) return false;
  const d = dstOf(c, i);
  const x = srcOf(c, i + 2);
  return d < 10 && opcode(c, i + 1) == (CLS_ALU64 | ALU_ADD) && dstOf(c, i + 1) == d && offOf(c, i + 1) == 0 &&
    immOf(c, i + 1) >= -STACK_SIZE && immOf(c, i + 1) <= 0 && opcode(c, i + 2) == (CLS_ALU64 | ALU_ADD | SRC_X) &&
    dstOf(c, i + 2) == d && offOf(c, i + 2) == 0 && x != d && x < 10;
}

function isConstantBasePair(c: Context, i: i32): bool {
  if (opcode(c, i) != 0x18 || srcOf(c, i) != PSEUDO_IMM64 || i + 2 >= c.count || (flagOf(c, i + 2) & F_LEADER) != 0) return false;
  const d = dstOf(c, i);
  const op = opcode(c, i + 2);
  const code = op & 0xf0;
  if (op != (CLS_ALU64 | code | SRC_X) || dstOf(c, i + 2) != d || offOf(c, i + 2) != 0 || immOf(c, i + 1) != 0) return false;
  const s = srcOf(c, i + 2);
  if (d >= 10 || s == d || s >= 10 || !known0(c, s)) return false;
  if (code == ALU_AND || code == ALU_OR || code == ALU_XOR) return true;
  // a sum below 2^32 (a table's address plus an index): no carry into the high word
  return code == ALU_ADD && (<u32>immOf(c, i) < 0x80000000 && c.ranges.widthNow(s) <= 31 || addressAdd(c, i + 2));
}

function isShiftPair(c: Context, i: i32): bool {
  const sh = opcode(c, i);
  const code = sh & 0xf0;
  if ((sh & 7) != CLS_ALU || (sh & SRC_X) != 0 || (code != ALU_LSH && code != ALU_RSH && code != ALU_ARSH)) return false;
  const k = immOf(c, i);
  if (k < 1 || k > 31 || dstOf(c, i) >= 10) return false;
  const op = opcode(c, i + 1);
  const next = op & 0xf0;
  if ((op & 7) != CLS_ALU || (op & SRC_X) == 0 || dstOf(c, i + 1) != dstOf(c, i) || srcOf(c, i + 1) == dstOf(c, i)) return false;
  return next == ALU_ADD || next == ALU_SUB || next == ALU_AND || next == ALU_OR || next == ALU_XOR;
}

function isCopyPair(c: Context, i: i32): bool {
  const mov = opcode(c, i);
  const cls = mov & 7;
  if ((cls != CLS_ALU64 && cls != CLS_ALU) || (mov & 0xf0) != ALU_MOV || (mov & SRC_X) == 0 || offOf(c, i) != 0) return false;
  const d = dstOf(c, i);
  if (d == srcOf(c, i) || d >= 10) return false;
  const op = opcode(c, i + 1);
  const code = op & 0xf0;
  if ((op & 7) != cls || dstOf(c, i + 1) != d || offOf(c, i + 1) != 0) return false;
  const product = code == ALU_MUL && cls == CLS_ALU;
  const shift = code == ALU_LSH || code == ALU_RSH || code == ALU_ARSH;
  // a shift by a constant, or in 32 bits by a register (64-bit ones by a register work on dst's words in place)
  if (shift) return (op & SRC_X) == 0 || cls == CLS_ALU && srcOf(c, i + 1) != d;
  if (code != ALU_ADD && code != ALU_SUB && code != ALU_AND && code != ALU_OR && code != ALU_XOR && !product) return false;
  return (op & SRC_X) == 0 || srcOf(c, i + 1) != d;
}

function armOp(code: u32): u32 {
  return code == ALU_ADD ? OP_ADD : code == ALU_SUB ? OP_SUB : code == ALU_AND ? OP_AND : code == ALU_OR ? OP_ORR : OP_EOR;
}

/**
 * Low words: dl = al OP (t | imm), flags set when `flags` (for the carry into the high word). An immediate goes in
 * the instruction when it fits (ADD and SUB of a negative one as SUB and ADD of its magnitude: `negated` tells).
 */
function lowOp(c: Context, code: u32, dl: i32, al: i32, x: bool, t: i32, imm: i32, flags: bool): bool {
  const aop = armOp(code);
  if (!x) {
    if (code == ALU_AND && !flags && c.emitLowBits(dl, al, <u32>imm)) return false; // UXTH, UBFX
    if (immRot(<u32>imm) >= 0) {
      c.emit(flags ? opImmS(aop, dl, al, immRot(<u32>imm)) : opImm(aop, dl, al, immRot(<u32>imm)));
      return false;
    }
    if ((code == ALU_ADD || code == ALU_SUB) && imm != i32.MIN_VALUE && immRot(<u32>-imm) >= 0) {
      const other = code == ALU_ADD ? OP_SUB : OP_ADD;
      c.emit(flags ? opImmS(other, dl, al, immRot(<u32>-imm)) : opImm(other, dl, al, immRot(<u32>-imm)));
      return true;
    }
  }
  const bl = operandLo(c, x, t, imm);
  c.emit(flags ? opRegS(aop, dl, al, bl) : opReg(aop, dl, al, bl));
  return false;
}

/** Emits the pair at i (see fusedLength). */
export function emitFused(c: Context, i: i32): void {
  if (extensionLength(c, i) > 0) {
    emitExtension(c, i);
    return;
  }
  const once = readOnceLength(c, i);
  if (once > 0) {
    emitReadOnce(c, i, once);
    return;
  }
  if (isIndexedLoad(c, i)) {
    // e = *(base + index): one load with a register offset (e is the sum's register, or that one is dead after)
    const e = dstOf(c, i + 2);
    const sl = lo(c, srcOf(c, i), R0);
    const tl = lo(c, srcOf(c, i + 1), R2);
    const el = loDst(c, e);
    const load = opcode(c, i + 2);
    c.emit(load == 0x71 ? ldrbReg(el, sl, tl) : load == 0x69 ? ldrhReg(el, sl, tl) : ldrReg(el, sl, tl));
    setLo(c, e, el);
    setHiZero(c, e);
    return;
  }
  if (isConstantBasePair(c, i)) {
    emitConstantBase(c, i);
    return;
  }
  if (isFrameIndex(c, i)) {
    emitFrameIndex(c, i);
    return;
  }
  if (opcode(c, i) == 0x18) {
    emitConstantOperand(c, i);
    return;
  }
  if (isNotMask(c, i)) {
    emitNotMask(c, i);
    return;
  }
  if (isProductPair(c, i)) {
    // d = d * (s | imm) + t
    const d = dstOf(c, i);
    const al = lo(c, d, R0);
    const bl = operandLo(c, (opcode(c, i) & SRC_X) != 0, srcOf(c, i), immOf(c, i));
    const tl = lo(c, srcOf(c, i + 1), R3);
    const dl = loDst(c, d);
    c.emit(mla(dl, al, bl, tl));
    setLo(c, d, dl);
    setHiZero(c, d);
    return;
  }
  if (isShiftPair(c, i)) {
    // d = t OP (d SHIFT k); SUB: d = (d SHIFT k) - t, a reverse subtraction
    const d = dstOf(c, i);
    const code = opcode(c, i) & 0xf0;
    const shift = code == ALU_LSH ? SH_LSL : code == ALU_RSH ? SH_LSR : SH_ASR;
    const next = opcode(c, i + 1) & 0xf0;
    const aop = next == ALU_SUB ? OP_RSB : armOp(next);
    const al = lo(c, d, R0);
    const tl = lo(c, srcOf(c, i + 1), R2);
    const dl = loDst(c, d);
    c.emit(dpReg(AL, aop, 0, dl, tl, al, shift, <u32>immOf(c, i)));
    setLo(c, d, dl);
    setHiZero(c, d);
    return;
  }
  const cls = opcode(c, i) & 7;
  const d = dstOf(c, i);
  const s = srcOf(c, i);
  const op = opcode(c, i + 1);
  const code = op & 0xf0;
  const x = (op & SRC_X) != 0;
  const t = srcOf(c, i + 1);
  const imm = immOf(c, i + 1);
  const dl = loDst(c, d);
  if (cls == CLS_ALU64 && s == 10 && code == ALU_ADD && !x && imm >= -STACK_SIZE && imm <= 0) {
    // a frame address (`p = buf`), which no borrow reaches (r10 is at least STACK_SIZE): 32 bits, from r11 where
    // r10 is fixed (regs.ts fixedFrame)
    const fixed = !loInArm(c, 10) && fixedFrame(c);
    c.emitAddConst(dl, fixed ? R11 : lo(c, 10, R0), <u32>((fixed ? FRAME_TOP : 0) + imm), R3);
    setLo(c, d, dl);
    setHiZero(c, d);
    return;
  }
  const al = lo(c, s, R0);
  if (code == ALU_LSH || code == ALU_RSH || code == ALU_ARSH) {
    emitCopyShift(c, op, d, s, t, imm, dl, al);
    return;
  }
  if (cls == CLS_ALU && code == ALU_MUL) {
    if (x || !emitMul32Imm(c, dl, al, <u32>imm)) c.emit(mul(dl, al, operandLo(c, x, t, imm)));
    setLo(c, d, dl);
    setHiZero(c, d);
    return;
  }
  if (cls == CLS_ALU) {
    lowOp(c, code, dl, al, x, t, imm, false);
    setLo(c, d, dl);
    setHiZero(c, d);
    return;
  }
  const a0 = known0(c, s);
  const b0 = operandKnown0(c, x, t, imm);
  if ((code == ALU_ADD || code == ALU_SUB) && a0 && b0 && c.ranges.widthAfterCopy(op, d, s, t, imm) <= 32 ||
    code == ALU_ADD && addressAdd(c, i + 1)) {
    // no carry, no borrow reaches the high word; or the sum is a tested address (versioned.ts)
    lowOp(c, code, dl, al, x, t, imm, false);
    setLo(c, d, dl);
    setHiZero(c, d);
    return;
  }
  if (code == ALU_ADD || code == ALU_SUB) {
    if (x && a0 && !b0) {
      // s's high word is 0: t's and the carry (0 - t's - borrow: RSC), s's not loaded
      const bl = operandLo(c, true, t, 0);
      const bh = operandHi(c, true, t, 0);
      const dh = hiDst(c, d);
      c.emit(opRegS(armOp(code), dl, al, bl));
      c.emit(opImm(code == ALU_ADD ? OP_ADC : OP_RSC, dh, bh, 0));
      setLo(c, d, dl);
      setHi(c, d, dh);
      return;
    }
    const ah = hiRead(c, s, R1);
    const negated = lowOp(c, code, dl, al, x, t, imm, true);
    const dh = hiDst(c, d);
    const add = (code == ALU_ADD) != negated;
    if (b0 && !negated) c.emit(opImm(add ? OP_ADC : OP_SBC, dh, ah, 0));
    else if (!x && negated) c.emit(opImm(add ? OP_ADC : OP_SBC, dh, ah, 0)); // the magnitude's high word is 0 too
    // an immediate's high word of all ones: adding it and the carry is SBC #0, subtracting it ADC #0
    else if (!x) c.emit(opImm(add ? OP_SBC : OP_ADC, dh, ah, 0));
    else c.emit(opReg(add ? OP_ADC : OP_SBC, dh, ah, operandHi(c, x, t, imm)));
    setLo(c, d, dl);
    setHi(c, d, dh);
    return;
  }
  if (x && !a0 && !b0) {
    // both words of both: each register's two loaded together (one LDRD each where they are in the register file)
    const ah = hi(c, s, R1);
    const bl = operandLo(c, true, t, 0);
    const bh = operandHi(c, true, t, 0);
    const dh = hiDst(c, d);
    c.emit(opReg(armOp(code), dl, al, bl));
    c.emit(opReg(armOp(code), dh, ah, bh));
    setLo(c, d, dl);
    setHi(c, d, dh);
    return;
  }
  lowOp(c, code, dl, al, x, t, imm, false);
  setLo(c, d, dl);
  // high words: AND with a zero high word is 0; OR and XOR with one copy the other
  if (code == ALU_AND ? a0 || b0 : a0 && b0) {
    setHiZero(c, d);
    return;
  }
  if (code != ALU_AND && a0) {
    setHi(c, d, operandHi(c, x, t, imm));
    return;
  }
  if (code != ALU_AND && b0) {
    setHi(c, d, hi(c, s, R1));
    return;
  }
  const dh = hiDst(c, d);
  c.emit(opReg(armOp(code), dh, hi(c, s, R1), operandHi(c, x, t, imm)));
  setHi(c, d, dh);
}

/** `mov d, s` and a shift of d (op) by `imm`, or by t in 32 bits: s's words shifted straight into d's. */
function emitCopyShift(c: Context, op: u32, d: i32, s: i32, t: i32, imm: i32, dl: i32, al: i32): void {
  const code = op & 0xf0;
  const sh = code == ALU_LSH ? SH_LSL : code == ALU_RSH ? SH_LSR : SH_ASR;
  if ((op & 7) == CLS_ALU) {
    if ((op & SRC_X) != 0) {
      c.emit(shiftReg(sh, dl, al, shiftAmount32(c, t)));
    } else if ((imm & 31) != 0) c.emit(shiftImm(sh, dl, al, <u32>imm & 31));
    else if (dl != al) c.emit(movReg(dl, al));
    setLo(c, d, dl);
    setHiZero(c, d);
    return;
  }
  const n = <u32>imm & 63;
  if (n == 0) {
    const zero = known0(c, s);
    setLo(c, d, al);
    if (zero) setHiZero(c, d);
    else setHi(c, d, hi(c, s, R1));
    return;
  }
  if (code == ALU_LSH && known0(c, s) && c.ranges.widthAfterCopy(op, d, s, t, imm) <= 32) {
    // the result fits in the low word (ranges.ts)
    c.emit(shiftImm(SH_LSL, dl, al, n));
    setLo(c, d, dl);
    setHiZero(c, d);
    return;
  }
  emitShift64From(c, code, d, s, al, n);
}

/**
 * `lddw k, K` and `op d, k`, k read nowhere after: k is not written (its register-file words or ARM registers keep
 * their old value). A K that is a sign-extended 32-bit number is the operation's immediate; other K's words go into
 * scratch registers (r2, r3; one for two equal words, none for a zero high word where the operation does not read
 * it), which the operation's emitter takes for k's own (the register table points k there while it runs). Only a
 * zero high word is still written where k's was not known to be zero: the emitters take a register whose high word
 * is known zero to hold one, and the value widths (ranges.ts) now say that k's is.
 */
function emitConstantOperand(c: Context, i: i32): void {
  const k = dstOf(c, i);
  const low = <u32>immOf(c, i);
  const high = <u32>immOf(c, i + 1);
  const j = i + 2;
  const op = opcode(c, j);
  const code = op & 0xf0;
  const d = dstOf(c, j);
  const bit = <u32>1 << <u32>k;
  const wasZero = c.hiZero & bit;
  c.ranges.step(0x18, k, 0, 0, <i32>low, <i32>high); // as emitInsn would see it after the lddw (afterInsn repeats it)
  if ((op & 7) == CLS_ALU || high == <u32>(<i32>low >> 31)) {
    const imm = <i32>low;
    const narrow = (op & 7) == CLS_ALU || (code == ALU_ADD || code == ALU_SUB || code == ALU_MUL) && known0(c, d) &&
      imm >= 0 && c.ranges.widthAfter(op & ~SRC_X, d, 0, 0, imm) <= 32;
    if (narrow) emitAlu32(c, j, code, false, d, 0, imm, 0);
    else emitAlu64(c, j, code, false, d, 0, imm, 0);
  } else if ((op & 7) == CLS_ALU64 && low == 0 && code != ALU_MUL) {
    // K's low word is 0: d's low word unchanged (0 for AND), no carry or borrow, only the high words combined
    if (code == ALU_AND) {
      const dl = loDst(c, d);
      c.emit(movImm(dl, 0));
      setLo(c, d, dl);
    }
    const dh = hi(c, d, R1);
    if (immRot(high) >= 0) c.emit(opImm(armOp(code), dh, dh, immRot(high)));
    else c.emit(opReg(armOp(code), dh, dh, constIn(c, R3, high)));
    setHi(c, d, dh);
  } else {
    const savedLo = unchecked(c.armLo[k]);
    const savedHi = unchecked(c.armHi[k]);
    const late = c.hiLate & bit; // (latehigh.ts) k's own ARM register's, not the scratch registers'
    c.hiLate &= ~bit;
    // from the registers a loop copy keeps constants in (loopregs.ts) where it keeps these
    const rl = constIn(c, R2, low);
    // a zero high word: the emitters take k's as known zero and read none (OR, XOR with it copy d's)
    const needHigh = high != low && high != 0;
    const rh = high == low ? rl : needHigh ? constIn(c, R3, high) : R3;
    if (high == 0) c.hiZero |= bit;
    else c.hiZero &= ~bit;
    unchecked(c.armLo[k] = rl);
    unchecked(c.armHi[k] = rh);
    if ((code == ALU_ADD || code == ALU_SUB || code == ALU_MUL) && known0(c, d) && high == 0 &&
      c.ranges.widthAfter(op, d, k, 0, 0) <= 32) emitAlu32(c, j, code, true, d, k, 0, 0);
    else emitAlu64(c, j, code, true, d, k, 0, 0);
    unchecked(c.armLo[k] = savedLo);
    unchecked(c.armHi[k] = savedHi);
    c.hiLate |= late;
    c.hiZero = (c.hiZero & ~bit) | wasZero;
  }
  if (high == 0) setHiZero(c, k);
}

/**
 * `lddw d, K` and `op d, s` (see the header): d = s OP K in one instruction, K an immediate or the register a loop
 * copy keeps it in, instead of K moved into d first. Both high words are 0, and so is d's.
 */
function emitConstantBase(c: Context, i: i32): void {
  const d = dstOf(c, i);
  const s = srcOf(c, i + 2);
  const k = <u32>immOf(c, i);
  const aop = armOp(opcode(c, i + 2) & 0xf0);
  const sl = lo(c, s, R2);
  const dl = loDst(c, d);
  if (immRot(k) >= 0) c.emit(opImm(aop, dl, sl, immRot(k)));
  else c.emit(opReg(aop, dl, sl, constIn(c, R3, k)));
  setLo(c, d, dl);
  setHiZero(c, d);
}

/** d = r10 + C + x (isFrameIndex). */
function emitFrameIndex(c: Context, i: i32): void {
  const d = dstOf(c, i);
  const x = srcOf(c, i + 2);
  const dl = loDst(c, d);
  const fixed = !loInArm(c, 10) && fixedFrame(c);
  c.emitAddConst(R0, fixed ? R11 : lo(c, 10, R0), <u32>((fixed ? FRAME_TOP : 0) + immOf(c, i + 1)), R3);
  const xl = lo(c, x, R2);
  // an index below 2^w with 2^w - 1 <= -C keeps the sum at most r10: no carry
  const w = known0(c, x) ? c.ranges.widthNow(x) : 64;
  if (addressAdd(c, i + 2) || w < 31 && (1 << w) - 1 <= -immOf(c, i + 1)) {
    c.emit(opReg(OP_ADD, dl, R0, xl));
    setLo(c, d, dl);
    setHiZero(c, d);
    return;
  }
  const xh = hiRead(c, x, R3);
  c.emit(opRegS(OP_ADD, dl, R0, xl));
  const dh = hiDst(c, d);
  c.emit(opImm(OP_ADC, dh, xh, 0));
  setLo(c, d, dl);
  setHi(c, d, dh);
}
