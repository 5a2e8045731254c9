// Rotations: eBPF has no rotate instruction, so C's `x << k | x >> (W - k)` (every hash's rotl32, SipHash's
// rotl64) reaches the translator as shifts and an or through a temporary t:
//
//   mov32 t, x;  rsh32 t, 32 - k;  lsh32 x, k;  or32 x, t           (or lsh32 t, k then rsh32 x, 32 - k)
//   mov t, x;    rsh t, 64 - k;    lsh x, k;    or x, t             (64 bits, the same two orders)
//   mov t, x;    rsh t, 64 - k;    mov y, x;    lsh y, k;  or y, t  (64 bits, the result in another register)
//
// (no block start after the first). ARM does a 32-bit one in one ROR, a 64-bit one in four instructions on the
// two words (in place too: r2 keeps only the bits of the word written first that the other needs, and ARM's
// shifted operand the rest, rather than a fifth instruction moving a word computed aside). The temporary is computed too only when something may read it afterwards (liveness.ts): a 32-bit
// one with one more instruction, a 64-bit one not at all (the instructions are then emitted one by one). A
// temporary left alone gets a zero high word when the emitters are to know it as zero afterwards (they would
// have written it so), so that what they know stays true of the register file.

import { AL, OP_ORR, R0, R1, R2, R3, SH_LSL, SH_LSR, SH_ROR, dpReg, movReg, mul, shiftImm } from "../a32/encoder";
import { emitMul32Imm } from "./alu";
import { Context, F_LEADER, dstOf, flagOf, immOf, offOf, opcode, srcOf } from "./context";
import { oweZeroHigh } from "./bytes";
import { inCopy } from "./copies";
import { liveAt } from "./liveness";
import { swapWords } from "./swaps";
export { rotationLength } from "./shapes";
import { constIn, hi, hiDst, known0, lo, loDst, loInArm, setHi, setHiZero, setLo } from "./regs";

/** Emits the rotation of `n` instructions at i (rotationLength); whether the temporary was computed too. */
export function emitRotation(c: Context, i: i32, n: i32): bool {
  const t = dstOf(c, i);
  const x = srcOf(c, i);
  if (n == 5 && opcode(c, i) == 0xbc) {
    // a product rotated (productRotation): x * c1, then ROR by 32 - r
    const xl = lo(c, x, R0);
    const dl = loDst(c, x);
    const factor = <u32>immOf(c, i + 2);
    if (!emitMul32Imm(c, dl, xl, factor)) c.emit(mul(dl, xl, constIn(c, R2, factor)));
    c.emit(shiftImm(SH_ROR, dl, dl, <u32>immOf(c, i + 3)));
    setLo(c, x, dl);
    setHiZero(c, x);
    return false;
  }
  const y = dstOf(c, i + n - 1);
  const right = (opcode(c, i + 1) & 0xf0) == 0x70;
  const m = <u32>immOf(c, i + 1);
  if (opcode(c, i) == 0xbc) {
    const xl = lo(c, x, R0);
    const live = liveAt(c, i + n, t);
    if (live) {
      const tl = loInArm(c, t) ? unchecked(c.armLo[t]) : R2; // not r0, which may hold x
      c.emit(shiftImm(right ? SH_LSR : SH_LSL, tl, xl, m));
      setLo(c, t, tl);
      setHiZero(c, t);
    }
    const dl = loDst(c, x);
    c.emit(shiftImm(SH_ROR, dl, xl, right ? m : 32 - m));
    setLo(c, x, dl);
    setHiZero(c, x);
    return live;
  }
  // y = x rotated left by k: each new word from a word shifted left and the other shifted right
  const k = right ? 64 - m : m;
  const xl = lo(c, x, R0);
  const xh = hi(c, x, R1);
  if (k == 32) {
    // the words swapped: in a loop copy, where they are in ARM registers, by the table alone (swaps.ts); else
    // through XR only where y's low word is x's, still to be read
    if (y == x && swapWords(c, x)) return false;
    if (loInArm(c, y) && unchecked(c.armLo[y]) == xl) {
      c.emit(movReg(c.XR, xl));
      setLo(c, y, xh);
      setHi(c, y, c.XR);
    } else {
      setLo(c, y, xh);
      setHi(c, y, xl);
    }
    return false;
  }
  const j = <u32>(k & 31);
  const a = k < 32 ? xl : xh; // the word that becomes the low word's upper part
  const b = k < 32 ? xh : xl;
  if (emitRotationInto(c, y, a, b, j)) return false;
  c.emit(shiftImm(SH_LSL, R2, a, j));
  c.emit(dpReg(AL, OP_ORR, 0, R2, R2, b, SH_LSR, 32 - j));
  const dh = hiDst(c, y) != a ? hiDst(c, y) : R3; // straight into y's high word unless a is still to be read there
  c.emit(shiftImm(SH_LSL, dh, b, j));
  c.emit(dpReg(AL, OP_ORR, 0, dh, dh, a, SH_LSR, 32 - j));
  setLo(c, y, R2);
  setHi(c, y, dh);
  return false;
}

/**
 * y = (a:b rotated) in four instructions where y's words go straight to their registers, without the fifth, a move
 * from r2: new low = a << j | b >> (32 - j), new high = b << j | a >> (32 - j), 1 <= j <= 31. Either y's registers
 * are neither a nor b (the third form into a register of its own), or y is x rotated in place (its low word's
 * register a or b, its high word's the other: then r2 keeps the bits of the word written first that the second
 * still needs, and ARM's shifted operand supplies the rest). False when neither holds (nothing emitted).
 */
function emitRotationInto(c: Context, y: i32, a: i32, b: i32, j: u32): bool {
  const dl = loDst(c, y);
  const dh = hiDst(c, y);
  if (dl != a && dl != b && dh != a && dh != b) {
    c.emit(shiftImm(SH_LSL, dl, a, j));
    c.emit(dpReg(AL, OP_ORR, 0, dl, dl, b, SH_LSR, 32 - j));
    c.emit(shiftImm(SH_LSL, dh, b, j));
    c.emit(dpReg(AL, OP_ORR, 0, dh, dh, a, SH_LSR, 32 - j));
  } else if (dl == a && dh == b) {
    c.emit(shiftImm(SH_LSR, R2, a, 32 - j)); // a's bits for the new high word
    c.emit(shiftImm(SH_LSL, dl, a, j));
    c.emit(dpReg(AL, OP_ORR, 0, dl, dl, b, SH_LSR, 32 - j));
    c.emit(dpReg(AL, OP_ORR, 0, dh, R2, b, SH_LSL, j));
  } else if (dl == b && dh == a) {
    c.emit(shiftImm(SH_LSL, R2, b, j)); // b's bits for the new high word
    c.emit(shiftImm(SH_LSR, dl, b, 32 - j));
    c.emit(dpReg(AL, OP_ORR, 0, dl, dl, a, SH_LSL, j));
    c.emit(dpReg(AL, OP_ORR, 0, dh, R2, a, SH_LSR, 32 - j));
  } else return false;
  setLo(c, y, dl);
  setHi(c, y, dh);
  return true;
}

/**
 * After the instructions of a rotation at i whose temporary was not computed went through afterInsn: if the
 * emitters now take its high word for zero, and did not before (`known`), it is made zero (in a copy, by its next
 * write or at the next flush).
 */
export function settleTemporary(c: Context, i: i32, known: bool): void {
  const t = dstOf(c, i);
  if (known || !known0(c, t)) return;
  if (inCopy(c)) oweZeroHigh(c, t); // in a copy, written only where it may matter (bytes.ts)
  else {
    c.hiZero &= ~(<u32>1 << <u32>t);
    setHiZero(c, t);
  }
}
