// Division and modulo by a constant (eBPF's `div`/`mod`/`sdiv`/`smod` with an immediate, 32- and 64-bit) without
// the division routine: Cortex-A8 has no UDIV/SDIV, and the routine costs tens of instructions where a multiply by
// a reciprocal costs four or five. eBPF's rules (assembly/interp.ts is the reference) are kept: x / 0 = 0,
// x % 0 = x, MIN / -1 wraps to MIN, MIN % -1 = 0; signed results truncate toward zero, a remainder takes the
// dividend's sign.
//
// Every emitter leaves the quotient in r2 and keeps the dividend: the remainder is then one MLS (n - q * d). A
// 64-bit dividend takes the 32-bit sequence when its value fits in 32 bits (checked at run time unless known), and
// the routine otherwise; a 64-bit multiply-high sequence would need four UMULLs and a carry chain, for dividends
// that the kernels measured here never have.

import {
  AL, HS, LO, NE, OP_ADD, OP_CMP, OP_RSB, OP_RSC, OP_SBC, OP_SUB, R0, R1, R2, R3, SH_ASR, SH_LSL, SH_LSR, cmpImm,
  cmpReg, dpReg, movImm, movImmC, movReg, movRegC, opImm, opImmS, opReg, opRegS, shiftImm, smmul, umull,
} from "../a32/encoder";
import { Context } from "./context";
import { hi, known0, setHi, setHiZero, setLo } from "./regs";
import { L_SDIVMOD64, L_UDIVMOD64 } from "../../../targets/arm32/image";

/**
 * r2 = n / d, unsigned 32-bit, for a constant d >= 1 and a dividend below 2^bits (uses r3, ip; n is none of r2,
 * r3, ip). A shift for powers of two; a compare for d >= 2^31 (the quotient is 0 or 1); else, when the dividend
 * is known to be small, the shortest exact reciprocal: q = (n * m) >> s with m = ceil(2^s / d) < 2^32, exact for
 * n < 2^bits when m * d - 2^s <= 2^(s - bits) (the error n * (m * d - 2^s) / (d * 2^s) stays below 1 / d).
 * Otherwise the round-up multiply (Granlund and Montgomery), exact for every 32-bit dividend: t = (n * m) >> 32,
 * q = (t + ((n - t) >> 1)) >> (l - 1) with l = ceil(log2 d) and m = floor(2^(32 + l) / d) + 1 - 2^32.
 */
export function emitDivConst32(c: Context, n: i32, d: u32, bits: i32): void {
  if (d == 1) {
    c.emit(movReg(R2, n));
    return;
  }
  if ((d & (d - 1)) == 0) {
    c.emit(shiftImm(SH_LSR, R2, n, ctz<u32>(d)));
    return;
  }
  if (d >= 0x80000000) {
    c.emitConst(R3, d);
    c.emit(cmpReg(n, R3));
    c.emit(movImmC(LO, R2, 0));
    c.emit(movImmC(HS, R2, 1));
    return;
  }
  for (let sh: u64 = 32; sh < 64; sh++) {
    const m = ((<u64>1 << sh) + <u64>d - 1) / <u64>d;
    if (m >> 32) break;
    if (m * <u64>d - (<u64>1 << sh) <= (<u64>1 << (sh - <u64>bits))) {
      c.emitConst(R3, <u32>m);
      c.emit(umull(c.XR, R2, n, R3));
      if (sh > 32) c.emit(shiftImm(SH_LSR, R2, R2, <u32>(sh - 32)));
      return;
    }
  }
  const l: u32 = 32 - clz<u32>(d - 1);
  const m = <u32>(((<u64>1 << <u64>(32 + l)) / <u64>d) + 1);
  c.emitConst(R2, m);
  c.emit(umull(c.XR, R3, n, R2));
  c.emit(opReg(OP_SUB, R2, n, R3));
  c.emit(dpReg(AL, OP_ADD, 0, R2, R3, R2, SH_LSR, 1));
  if (l > 1) c.emit(shiftImm(SH_LSR, R2, R2, l - 1));
}

/**
 * The signed magic number of Hacker's Delight (10-1) for 2 <= |d| < 2^31, |d| not a power of two: the multiplier
 * in the low word, the shift in the high word. q = hi(n * M) (+ n when d > 0 > M, - n when d < 0 < M), shifted
 * right arithmetically by s, plus one when negative.
 */
function signedMagic(d: i32): u64 {
  const two31: u32 = 0x80000000;
  const ad: u32 = <u32>(d < 0 ? -d : d);
  const t: u32 = two31 + (<u32>d >>> 31);
  const anc: u32 = t - 1 - t % ad;
  let p: u32 = 31;
  let q1: u32 = two31 / anc;
  let r1: u32 = two31 - q1 * anc;
  let q2: u32 = two31 / ad;
  let r2: u32 = two31 - q2 * ad;
  let delta: u32 = 0;
  do {
    p++;
    q1 <<= 1; r1 <<= 1;
    if (r1 >= anc) { q1++; r1 -= anc; }
    q2 <<= 1; r2 <<= 1;
    if (r2 >= ad) { q2++; r2 -= ad; }
    delta = ad - r2;
  } while (q1 < delta || (q1 == delta && r1 == 0));
  let m: u32 = q2 + 1;
  if (d < 0) m = -m;
  return (<u64>(p - 32) << 32) | <u64>m;
}

/** r2 = n / d, signed 32-bit truncating, for a constant d not in {-1, 0, 1} (uses r3, ip; n is none of them). */
export function emitSDivConst32(c: Context, n: i32, d: i32): void {
  const ad: u32 = <u32>(d < 0 ? -d : d); // 2^31 for d = MIN: its bit pattern
  if ((ad & (ad - 1)) == 0) {
    // round toward zero: a negative dividend gets 2^k - 1 added before the arithmetic shift
    const k = ctz<u32>(ad);
    if (k == 1) c.emit(dpReg(AL, OP_ADD, 0, R2, n, n, SH_LSR, 31));
    else {
      c.emit(shiftImm(SH_ASR, R2, n, 31));
      c.emit(dpReg(AL, OP_ADD, 0, R2, n, R2, SH_LSR, 32 - k));
    }
    c.emit(shiftImm(SH_ASR, R2, R2, k));
    if (d < 0) c.emit(opImm(OP_RSB, R2, R2, 0));
    return;
  }
  const magic = signedMagic(d);
  const m = <i32>(<u32>magic);
  const s = <u32>(magic >> 32);
  c.emitConst(R3, <u32>m);
  c.emit(smmul(R2, n, R3));
  if (d > 0 && m < 0) c.emit(opReg(OP_ADD, R2, R2, n));
  else if (d < 0 && m > 0) c.emit(opReg(OP_SUB, R2, R2, n));
  if (s) c.emit(shiftImm(SH_ASR, R2, R2, s));
  c.emit(dpReg(AL, OP_ADD, 0, R2, R2, R2, SH_LSR, 31));
}

/** dl = dl / imm or dl % imm (32-bit; the caller clears the high word): every immediate, either signedness. */
export function emitDivImm32(c: Context, dl: i32, imm: i32, signed: bool, mod: bool, bits: i32): void {
  if (imm == 0) {
    if (!mod) c.emit(movImm(dl, 0)); // x % 0 = x
    return;
  }
  if (imm == 1 || (signed && imm == -1)) {
    if (mod) c.emit(movImm(dl, 0));
    else if (imm == -1) c.emit(opImm(OP_RSB, dl, dl, 0)); // MIN / -1 wraps to MIN
    return;
  }
  if (signed) emitSDivConst32(c, dl, imm);
  else emitDivConst32(c, dl, <u32>imm, bits);
  if (mod) {
    c.emitConst(R3, <u32>imm);
    c.emitMulSub(dl, R2, R3, dl);
  } else c.emit(movReg(dl, R2));
}

/**
 * dst = dst / imm or dst % imm, 64-bit, imm sign-extended. dl holds dst's low word (dst's own register, or r0).
 * Constant cases first; then the 32-bit sequence when the dividend fits in 32 bits (zero-extended for unsigned,
 * sign-extended for signed), the routine otherwise.
 */
export function emitDivImm64(c: Context, dst: i32, dl: i32, imm: i32, signed: bool, mod: bool, bits: i32): void {
  const d0 = known0(c, dst);
  if (imm == 0 || imm == 1 || (signed && imm == -1)) {
    if (imm == 0 && mod) return; // x % 0 = x
    if (imm == 1 && !mod) return;
    if (imm == -1 && !mod) {
      const dh = hi(c, dst, R1);
      c.emit(opImmS(OP_RSB, dl, dl, 0));
      c.emit(opImm(OP_RSC, dh, dh, 0));
      setLo(c, dst, dl);
      setHi(c, dst, dh);
      return;
    }
    c.emit(movImm(dl, 0)); // x / 0, x % 1, x % -1
    setLo(c, dst, dl);
    setHiZero(c, dst);
    return;
  }
  if (!signed && imm < 0) {
    // a divisor of 2^64 - 2^32 or more: the quotient is 1 when n >= d, else 0
    const dh = hi(c, dst, R1);
    c.emitConst(R2, <u32>imm);
    c.emit(opRegS(OP_SUB, R2, dl, R2));
    c.emitConst(R3, 0xffffffff);
    c.emit(dpReg(AL, OP_SBC, 1, R3, dh, R3, SH_LSL, 0));
    if (mod) {
      c.emit(movRegC(HS, dl, R2));
      c.emit(movRegC(HS, dh, R3));
      setLo(c, dst, dl);
      setHi(c, dst, dh);
    } else {
      c.emit(movImmC(LO, dl, 0));
      c.emit(movImmC(HS, dl, 1));
      setLo(c, dst, dl);
      setHiZero(c, dst);
    }
    return;
  }
  if (d0 && !signed) {
    emitDivImm32(c, dl, imm, false, mod, bits);
    setLo(c, dst, dl);
    setHiZero(c, dst);
    return;
  }
  // n in r0 (and r1 on the routine's path), so that both paths leave the result in r0:r1
  if (dl != R0) c.emit(movReg(R0, dl));
  const ah = d0 ? R1 : hi(c, dst, R1);
  if (d0) c.emit(movImm(R1, 0));
  // does the dividend fit in 32 bits? unsigned: the high word is 0; signed: it is the low word's sign
  if (signed) c.emit(dpReg(AL, OP_CMP, 1, 0, ah, R0, SH_ASR, 31));
  else c.emit(cmpImm(ah, 0));
  const slow = c.forwardBranch();
  if (signed) emitSDivConst32(c, R0, imm);
  else emitDivConst32(c, R0, <u32>imm, 32);
  if (mod) {
    c.emitConst(R3, <u32>imm);
    c.emitMulSub(R0, R2, R3, R0);
  } else c.emit(movReg(R0, R2));
  if (signed) c.emit(shiftImm(SH_ASR, R1, R0, 31));
  else c.emit(movImm(R1, 0));
  const end = c.forwardBranch();
  c.patchBranch(slow, NE);
  if (ah != R1) c.emit(movReg(R1, ah));
  c.emitConst(R2, <u32>imm);
  c.emitConst(R3, imm < 0 ? 0xffffffff : 0);
  c.bl(signed ? L_SDIVMOD64 : L_UDIVMOD64);
  if (mod) {
    c.emit(movReg(R0, R2));
    c.emit(movReg(R1, R3));
  }
  c.patchBranch(end, AL);
  setLo(c, dst, R0);
  setHi(c, dst, R1);
}
