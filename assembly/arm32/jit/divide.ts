// Division and modulo by a constant (eBPF's `div`/`mod`/`sdiv`/`smod` with an immediate, 32- and 64-bit) without
// the division routine: Cortex-A8 has no UDIV/SDIV, and the routine costs tens of instructions where a multiply by
// a reciprocal costs four or five. eBPF's rules (assembly/interp.ts is the reference) are kept: x / 0 = 0,
// x % 0 = x, MIN / -1 wraps to MIN, MIN % -1 = 0; signed results truncate toward zero, a remainder takes the
// dividend's sign.
//
// Every 32-bit emitter leaves the quotient in r2 and keeps the dividend: the remainder is then one MLS
// (n - q * d). A 64-bit dividend takes the 32-bit sequence when its value fits in 32 bits (checked at run time
// unless known), and otherwise a 64-bit multiply-high by a 64-bit reciprocal (assembly/divmagic.ts): four
// UMULL/UMLAL across the register pair and a carry, about twenty instructions in all, ARMv6 included. The multiply
// needs six registers: r4 and r5 are saved on the native stack around it.

import {
  AL, HS, LO, NE, OP_ADD, OP_CMP, OP_RSB, OP_RSC, OP_SBC, OP_SUB, R0, R1, R2, R3, SH_ASR, SH_LSL, SH_LSR, cmpImm,
  cmpReg, dpReg, movImm, movImmC, movReg, movRegC, opImm, opImmS, opReg, opRegS, shiftImm, smmul, umull,
  umlal, push, pop, bit, R4, R5, OP_EOR, OP_ORR, OP_ADC, OP_MOV, OP_MVN, SH_ROR,
} from "../a32/encoder";
import { Magic64, signedMagic32, unsignedMagic32, unsignedMagic64 } from "../../divmagic";
import { Context } from "./context";
import { constIn, hi, known0, setHi, setHiZero, setLo } from "./regs";

/** unsignedMagic64's result, one object for the module: a new one per division emitted would fill the heap. */
const magic64 = new Magic64();

/**
 * to = n / d (r2 unless told), unsigned 32-bit, for a constant d >= 1 and a dividend below 2^bits (uses r2, r3,
 * ip; n is none of them; `to` is written last, so that it may be n itself: the quotient needs no move into place).
 * A shift for powers of two; a compare for d >= 2^31 (the quotient is 0 or 1); else, when the dividend is known to
 * be small, the shortest exact reciprocal: q = (n * m) >> s with m = ceil(2^s / d) < 2^32, exact for
 * n < 2^bits when m * d - 2^s <= 2^(s - bits) (the error n * (m * d - 2^s) / (d * 2^s) stays below 1 / d).
 * Otherwise the round-up multiply (Granlund and Montgomery), exact for every 32-bit dividend: t = (n * m) >> 32,
 * q = (t + ((n - t) >> 1)) >> (l - 1) with l = ceil(log2 d) and m = floor(2^(32 + l) / d) + 1 - 2^32.
 */
export function emitDivConst32(c: Context, n: i32, d: u32, bits: i32, to: i32 = R2): void {
  if (d == 1) {
    c.emit(movReg(to, n));
    return;
  }
  if ((d & (d - 1)) == 0) {
    c.emit(shiftImm(SH_LSR, to, n, ctz<u32>(d)));
    return;
  }
  if (d >= 0x80000000) {
    c.emitConst(R3, d);
    c.emit(cmpReg(n, R3));
    c.emit(movImmC(LO, to, 0));
    c.emit(movImmC(HS, to, 1));
    return;
  }
  // the multiplier from the register a loop copy keeps it in (loopregs.ts), if it does
  const magic = unsignedMagic32(d, bits);
  const sh = <u32>(magic >> 32);
  if (sh != 0) {
    // (a high word written over the factor n: allowed from ARMv6 on, the oldest target)
    c.emit(umull(c.XR, sh > 32 ? R2 : to, n, constIn(c, R3, <u32>magic)));
    if (sh > 32) c.emit(shiftImm(SH_LSR, to, R2, sh - 32));
    return;
  }
  const l: u32 = 32 - clz<u32>(d - 1);
  c.emit(umull(c.XR, R3, n, constIn(c, R2, <u32>magic)));
  c.emit(opReg(OP_SUB, R2, n, R3));
  c.emit(dpReg(AL, OP_ADD, 0, l > 1 ? R2 : to, R3, R2, SH_LSR, 1));
  if (l > 1) c.emit(shiftImm(SH_LSR, to, R2, l - 1));
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
  const magic = signedMagic32(d);
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
  if (!signed && !mod) {
    emitDivConst32(c, dl, <u32>imm, bits, dl); // (the quotient straight into place)
    return;
  }
  if (signed) emitSDivConst32(c, dl, imm);
  else emitDivConst32(c, dl, <u32>imm, bits);
  if (mod) c.emitMulSub(dl, R2, constIn(c, R3, <u32>imm), dl);
  else c.emit(movReg(dl, R2));
}

/**
 * dst = dst / imm or dst % imm, 64-bit, imm sign-extended. dl holds dst's low word (dst's own register, or r0).
 * Constant cases first; then the 32-bit sequence when the dividend fits in 32 bits (zero-extended for unsigned,
 * sign-extended for signed), the 64-bit one (emitDivConst64) otherwise.
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
  // n in r0 (and r1 on the 64-bit path), so that both paths leave the result in r0:r1
  if (dl != R0) c.emit(movReg(R0, dl));
  const ah = d0 ? R1 : hi(c, dst, R1);
  if (d0) c.emit(movImm(R1, 0));
  // does the dividend fit in 32 bits? unsigned: the high word is 0; signed: it is the low word's sign
  if (signed) c.emit(dpReg(AL, OP_CMP, 1, 0, ah, R0, SH_ASR, 31));
  else c.emit(cmpImm(ah, 0));
  const wide = c.forwardBranch();
  if (signed) emitSDivConst32(c, R0, imm);
  else emitDivConst32(c, R0, <u32>imm, 32);
  if (mod) {
    c.emitConst(R3, <u32>imm);
    c.emitMulSub(R0, R2, R3, R0);
  } else c.emit(movReg(R0, R2));
  if (signed) c.emit(shiftImm(SH_ASR, R1, R0, 31));
  else c.emit(movImm(R1, 0));
  const end = c.forwardBranch();
  c.patchBranch(wide, NE);
  if (ah != R1) c.emit(movReg(R1, ah));
  emitDivConst64(c, imm, signed, mod);
  c.patchBranch(end, AL);
  setLo(c, dst, R0);
  setHi(c, dst, R1);
}

/**
 * r0:r1 = n / imm or n % imm for the 64-bit n in r0:r1, imm sign-extended, not in {-1, 0, 1}, and above 0 when
 * unsigned (so |imm| <= 2^31). Signed operands go through the unsigned division of |n| by |imm| (|MIN| = 2^63
 * is a fine unsigned value), the result's sign restored after: a quotient's is n's xor imm's, a remainder's n's.
 * The remainder is below 2^31 in magnitude, so only low words take part in n - q * |imm|. Uses r2, r3, the fifth
 * scratch register and r4, r5 (saved on the native stack).
 */
function emitDivConst64(c: Context, imm: i32, signed: bool, mod: bool): void {
  const d: u32 = <u32>(imm < 0 ? -imm : imm); // 2^31 for imm = MIN: its bit pattern
  const xr = c.XR;
  c.emit(push(bit(R4) | bit(R5)));
  if (signed) {
    // r5 = n's sign mask, n = |n|: (n ^ mask) - mask across the pair
    c.emit(shiftImm(SH_ASR, R5, R1, 31));
    c.emit(opReg(OP_EOR, R0, R0, R5));
    c.emit(opReg(OP_EOR, R1, R1, R5));
    c.emit(opRegS(OP_SUB, R0, R0, R5));
    c.emit(opReg(OP_SBC, R1, R1, R5));
  }
  // r2:r3 = n / d (unsigned)
  if ((d & (d - 1)) == 0) {
    const k = ctz<u32>(d); // 1 to 31
    c.emit(shiftImm(SH_LSR, R2, R0, k));
    c.emit(dpReg(AL, OP_ORR, 0, R2, R2, R1, SH_LSL, 32 - k));
    c.emit(shiftImm(SH_LSR, R3, R1, k));
  } else {
    const magic = unsignedMagic64(d, magic64);
    emitMulHigh64(c, magic.m); // xr:r4 = hi64(n * m)
    let lo = R4, hi = xr, s = magic.shift;
    if (magic.add) {
      // the 65-bit n + hi64(n * m), its carry shifted in by RRX (a shift right by one through the carry)
      c.emit(opRegS(OP_ADD, R2, R4, R0));
      c.emit(dpReg(AL, OP_ADC, 1, R3, xr, R1, SH_LSL, 0));
      c.emit(dpReg(AL, OP_MOV, 1, R3, 0, R3, SH_ROR, 0));
      c.emit(dpReg(AL, OP_MOV, 0, R2, 0, R2, SH_ROR, 0));
      lo = R2; hi = R3; s--;
    }
    if (s > 0) {
      c.emit(shiftImm(SH_LSR, R2, lo, s));
      c.emit(dpReg(AL, OP_ORR, 0, R2, R2, hi, SH_LSL, 32 - s));
      c.emit(shiftImm(SH_LSR, R3, hi, s));
    } else if (lo != R2) {
      c.emit(movReg(R2, lo));
      c.emit(movReg(R3, hi));
    }
  }
  if (mod) {
    c.emitConst(R3, d);
    c.emitMulSub(R0, R2, R3, R0); // the low word of n - q * d is the whole remainder
    if (signed) {
      c.emit(opReg(OP_EOR, R0, R0, R5));
      c.emit(opReg(OP_SUB, R0, R0, R5));
      c.emit(shiftImm(SH_ASR, R1, R0, 31));
    } else c.emit(movImm(R1, 0));
  } else if (signed) {
    if (imm < 0) c.emit(dpReg(AL, OP_MVN, 0, R5, 0, R5, SH_LSL, 0));
    c.emit(opReg(OP_EOR, R2, R2, R5));
    c.emit(opReg(OP_EOR, R3, R3, R5));
    c.emit(opRegS(OP_SUB, R0, R2, R5));
    c.emit(opReg(OP_SBC, R1, R3, R5));
  } else {
    c.emit(movReg(R0, R2));
    c.emit(movReg(R1, R3));
  }
  c.emit(pop(bit(R4) | bit(R5)));
}

/**
 * xr:r4 = the high 64 bits of the 128-bit product of r0:r1 and the constant m (r0:r1 kept; uses r2, r3):
 * hi(a0 * b0) + a1 * b0 + a0 * b1, whose high 33 bits join a1 * b1.
 */
function emitMulHigh64(c: Context, m: u64): void {
  const xr = c.XR;
  c.emitConst(R2, <u32>m);
  c.emit(umull(R3, xr, R0, R2)); // xr = hi(a0 * b0)
  c.emit(movImm(R4, 0));
  c.emit(umlal(xr, R4, R1, R2)); // r4:xr = hi(a0 * b0) + a1 * b0
  c.emitConst(R2, <u32>(m >> 32));
  c.emit(movImm(R3, 0));
  c.emit(umlal(xr, R3, R0, R2)); // r3:xr = xr + a0 * b1 (xr, the product's second word, is not needed)
  c.emit(opRegS(OP_ADD, R4, R4, R3));
  c.emit(movImm(xr, 0));
  c.emit(opImm(OP_ADC, xr, xr, 0)); // xr = the carry out of the middle column
  c.emit(umlal(R4, xr, R1, R2)); // xr:r4 = a1 * b1 + the middle column's high 33 bits
}
