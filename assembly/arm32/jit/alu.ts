// ALU and ALU64 instructions: eBPF arithmetic on (low, high) register pairs, 32-bit only where the high word
// is known to be zero. Register access goes through the table in translate.ts.

import {
  emit, emitConst, R0, R1, R2, R3, AL, PL, OP_AND, OP_EOR, OP_SUB, OP_RSB, OP_ADD, OP_ADC, OP_SBC, OP_RSC,
  OP_ORR, OP_MOV, SH_LSL, SH_LSR, SH_ASR, immRot, dpImm, dpReg, dpRegShift, movReg, movImm, opReg, opRegS,
  opImm, opImmS, shiftImm, shiftReg, mul, mla, mls, umull, udiv, sdiv, bit, subImm, rev, rev16, sxtb, sxth,
  uxth, pos, out, measuring, branch, cmpImm, NE, lastWord, rewind, sbfx,
} from "../a32/encoder";
import { bl, L_UDIVMOD64, L_SDIVMOD64 } from "../../../targets/arm32/image";
import { widthNow } from "../analysis/ranges";

import {
  ALU_ADD, ALU_SUB, ALU_MUL, ALU_DIV, ALU_OR, ALU_AND, ALU_LSH, ALU_RSH, ALU_NEG, ALU_MOD, ALU_XOR, ALU_MOV,
  ALU_ARSH, ALU_END, END_TO_BE,
} from "../../isa";
import {
  known0, inArm, XR, lo, hi, loDst, hiDst, setLo, setHi, setHiZero, pairInto, operandLo, operandHi, operandKnown0, fail,
  options, OPT_IDIV, ERR_OPCODE, blockStart,
} from "./translate";

/**
 * r2 = n / d, unsigned 32-bit, for a constant 2 <= d < 2^31 and a dividend below 2^bits (uses r3, ip; n is none
 * of r2, r3, ip). A shift for powers of two; else, when the dividend is known to be small, the shortest exact
 * reciprocal: q = (n * m) >> s with m = ceil(2^s / d) < 2^32, exact for n < 2^bits when m * d - 2^s <= 2^(s - bits)
 * (the error n * (m * d - 2^s) / (d * 2^s) stays below 1 / d). Otherwise the round-up multiply (Granlund and
 * Montgomery), exact for every 32-bit dividend: t = (n * m) >> 32, q = (t + ((n - t) >> 1)) >> (l - 1) with
 * l = ceil(log2 d) and m = floor(2^(32 + l) / d) + 1 - 2^32.
 */
function emitDivConst32(n: i32, d: u32, bits: i32): void {
  if ((d & (d - 1)) == 0) {
    emit(shiftImm(SH_LSR, R2, n, ctz<u32>(d)));
    return;
  }
  for (let sh: u64 = 32; sh < 64; sh++) {
    const m = ((<u64>1 << sh) + <u64>d - 1) / <u64>d;
    if (m >> 32) break;
    if (m * <u64>d - (<u64>1 << sh) <= (<u64>1 << (sh - <u64>bits))) {
      emitConst(R3, <u32>m);
      emit(umull(XR, R2, n, R3));
      if (sh > 32) emit(shiftImm(SH_LSR, R2, R2, <u32>(sh - 32)));
      return;
    }
  }
  const l: u32 = 32 - clz<u32>(d - 1);
  const m = <u32>(((<u64>1 << <u64>(32 + l)) / <u64>d) + 1);
  emitConst(R2, m);
  emit(umull(XR, R3, n, R2));
  emit(opReg(OP_SUB, R2, n, R3));
  emit(dpReg(AL, OP_ADD, 0, R2, R3, R2, SH_LSR, 1));
  if (l > 1) emit(shiftImm(SH_LSR, R2, R2, l - 1));
}

function forwardBranch(): i32 {
  const at_ = pos;
  emit(0);
  return at_;
}

/** Turn the placeholder at `at_` into b<cond> to the current position. */
function patch(at_: i32, cond: u32): void {
  if (!measuring) store<u32>(out + <usize>at_, branch(cond, false, at_, pos));
}

export function emitAlu64(i: i32, op: u32, x: bool, dst: i32, src: i32, imm: i32, off: i32): bool {
  if (op == ALU_MOV) {
    const dl = loDst(dst);
    if (!x) {
      emitConst(dl, <u32>imm);
      setLo(dst, dl);
      if (imm >= 0) setHiZero(dst);
      else {
        const dh = hiDst(dst);
        emitConst(dh, 0xffffffff);
        setHi(dst, dh);
      }
      return true;
    }
    if (off == 0) {
      // straight into dst's own registers when it has them (a register in memory: through r2 / r3)
      const keep0 = known0(src);
      setLo(dst, lo(src, inArm(dst) ? dl : R2));
      if (keep0) setHiZero(dst);
      else setHi(dst, hi(src, inArm(dst) ? hiDst(dst) : R3));
      return true;
    }
    const sl = lo(src, R2);
    if (off == 8) emit(sxtb(dl, sl));
    else if (off == 16) emit(sxth(dl, sl));
    else if (off == 32) { if (dl != sl) emit(movReg(dl, sl)); }
    else return fail(ERR_OPCODE, i);
    setLo(dst, dl);
    const dh = hiDst(dst);
    emit(shiftImm(SH_ASR, dh, dl, 31));
    setHi(dst, dh);
    return true;
  }
  if (op == ALU_END) return emitSwap(dst, imm, true);

  const dl = lo(dst, R0);
  const d0 = known0(dst);
  const b0 = operandKnown0(x, src, imm);

  if (!x && emitAlu64Imm(op, dst, dl, imm)) return true;
  if (op == ALU_OR || op == ALU_XOR || op == ALU_AND) {
    const aop = op == ALU_OR ? OP_ORR : op == ALU_XOR ? OP_EOR : OP_AND;
    const bl_ = operandLo(x, src, imm);
    if ((d0 && b0) || (op == ALU_AND && d0)) {
      emit(opReg(aop, dl, dl, bl_));
      setLo(dst, dl);
      return true;
    }
    if (op == ALU_AND && b0) {
      emit(opReg(aop, dl, dl, bl_));
      setLo(dst, dl);
      setHiZero(dst);
      return true;
    }
    const dh = hi(dst, R1);
    const bh = operandHi(x, src, imm);
    emit(opReg(aop, dl, dl, bl_));
    emit(opReg(aop, dh, dh, bh));
    setLo(dst, dl);
    setHi(dst, dh);
    return true;
  }
  if (op == ALU_ADD || op == ALU_SUB) {
    const dh = hi(dst, R1);
    const bl_ = operandLo(x, src, imm);
    if (x && known0(src)) {
      // the second operand's high word is 0: only the carry (borrow) reaches the high word
      emit(opRegS(op == ALU_ADD ? OP_ADD : OP_SUB, dl, dl, bl_));
      emit(opImm(op == ALU_ADD ? OP_ADC : OP_SBC, dh, dh, 0));
      setLo(dst, dl);
      setHi(dst, dh);
      return true;
    }
    const bh = operandHi(x, src, imm);
    emit(opRegS(op == ALU_ADD ? OP_ADD : OP_SUB, dl, dl, bl_));
    emit(opReg(op == ALU_ADD ? OP_ADC : OP_SBC, dh, dh, bh));
    setLo(dst, dl);
    setHi(dst, dh);
    return true;
  }
  if (op == ALU_MUL) {
    const bl_ = operandLo(x, src, imm);
    const dh = hiDst(dst);
    if (d0 && b0) {
      emit(umull(dl, dh, dl, bl_));
    } else {
      const ah = hi(dst, R1);
      const bh = operandHi(x, src, imm);
      emit(mul(XR, dl, bh));
      emit(mla(XR, ah, bl_, XR));
      emit(umull(dl, dh, dl, bl_));
      emit(opReg(OP_ADD, dh, dh, XR));
    }
    setLo(dst, dl);
    setHi(dst, dh);
    return true;
  }
  if ((op == ALU_DIV || op == ALU_MOD) && !x && off == 0 && imm >= 2) {
    // Unsigned division by a constant: a multiply when the dividend fits in 32 bits (known, or checked here),
    // else the routine.
    if (d0) {
      emitDivConst32(dl, <u32>imm, min(widthNow(dst), 32));
      if (op == ALU_MOD) {
        emitConst(R3, <u32>imm);
        emit(mls(dl, R2, R3, dl));
      } else emit(movReg(dl, R2));
      setLo(dst, dl);
      setHiZero(dst);
      return true;
    }
    if (dl != R0) emit(movReg(R0, dl));
    let ah = R1;
    let slow = -1;
    if (!d0) {
      ah = hi(dst, R1);
      emit(cmpImm(ah, 0));
      slow = forwardBranch();
    }
    emitDivConst32(R0, <u32>imm, 32);
    if (op == ALU_MOD) {
      emitConst(R3, <u32>imm);
      emit(mls(R0, R2, R3, R0));
    } else emit(movReg(R0, R2));
    emit(movImm(R1, 0));
    const end = forwardBranch();
    patch(slow, NE);
    if (ah != R1) emit(movReg(R1, ah));
    emitConst(R2, <u32>imm);
    emit(movImm(R3, 0));
    bl(L_UDIVMOD64);
    if (op == ALU_MOD) {
      emit(movReg(R0, R2));
      emit(movReg(R1, R3));
    }
    patch(end, AL);
    setLo(dst, R0);
    setHi(dst, R1);
    return true;
  }
  if (op == ALU_DIV || op == ALU_MOD) {
    if (off != 0 && off != 1) return fail(ERR_OPCODE, i);
    if (dl != R0) emit(movReg(R0, dl));
    const ah = hi(dst, R1);
    if (ah != R1) emit(movReg(R1, ah));
    if (x) pairInto(src, R2, R3);
    else {
      emitConst(R2, <u32>imm);
      emitConst(R3, imm < 0 ? 0xffffffff : 0);
    }
    bl(off == 1 ? L_SDIVMOD64 : L_UDIVMOD64);
    setLo(dst, op == ALU_DIV ? R0 : R2);
    setHi(dst, op == ALU_DIV ? R1 : R3);
    return true;
  }
  if (op == ALU_NEG) {
    const dh = hi(dst, R1);
    emit(opImmS(OP_RSB, dl, dl, 0));
    emit(opImm(OP_RSC, dh, dh, 0));
    setLo(dst, dl);
    setHi(dst, dh);
    return true;
  }
  if (op == ALU_LSH || op == ALU_RSH || op == ALU_ARSH) {
    if (!x) return emitShift64Imm(op, dst, dl, <u32>imm & 63);
    const s = lo(src, R2);
    emit(opImm(OP_AND, R2, s, 63));
    const dh = hi(dst, R1);
    if (op == ALU_LSH) {
      emit(subImm(R3, R2, 32));
      emit(dpImm(AL, OP_RSB, 0, XR, R2, 32));
      emit(shiftReg(SH_LSL, dh, dh, R2));
      emit(dpRegShift(AL, OP_ORR, 0, dh, dh, dl, SH_LSL, R3));
      emit(dpRegShift(AL, OP_ORR, 0, dh, dh, dl, SH_LSR, XR));
      emit(shiftReg(SH_LSL, dl, dl, R2));
    } else if (op == ALU_RSH) {
      emit(subImm(R3, R2, 32));
      emit(dpImm(AL, OP_RSB, 0, XR, R2, 32));
      emit(shiftReg(SH_LSR, dl, dl, R2));
      emit(dpRegShift(AL, OP_ORR, 0, dl, dl, dh, SH_LSL, XR));
      emit(dpRegShift(AL, OP_ORR, 0, dl, dl, dh, SH_LSR, R3));
      emit(shiftReg(SH_LSR, dh, dh, R2));
    } else {
      emit(dpImm(AL, OP_RSB, 0, XR, R2, 32));
      emit(opImmS(OP_SUB, R3, R2, 32));
      emit(shiftReg(SH_LSR, dl, dl, R2));
      emit(dpRegShift(AL, OP_ORR, 0, dl, dl, dh, SH_LSL, XR));
      emit(dpRegShift(PL, OP_MOV, 0, dl, 0, dh, SH_ASR, R3));
      emit(shiftReg(SH_ASR, dh, dh, R2));
    }
    setLo(dst, dl);
    setHi(dst, dh);
    return true;
  }
  return fail(ERR_OPCODE, i);
}

/** ADD/SUB/AND/OR/XOR with an immediate that fits an A32 operand: no constant loads, and a high word touched
 * only when the sign-extended immediate changes it. False when the immediate does not fit. */
function emitAlu64Imm(op: u32, dst: i32, dl: i32, imm: i32): bool {
  if (op == ALU_ADD || op == ALU_SUB) {
    if (imm == i32.MIN_VALUE) return false;
    const v = op == ALU_SUB ? -imm : imm; // add v
    const mag = <u32>(v < 0 ? -v : v);
    if (immRot(mag) < 0) return false;
    const dh = hi(dst, R1);
    emit(opImmS(v < 0 ? OP_SUB : OP_ADD, dl, dl, immRot(mag)));
    emit(opImm(v < 0 ? OP_SBC : OP_ADC, dh, dh, 0)); // sbc #0 adds 0xffffffff and the carry
    setLo(dst, dl);
    setHi(dst, dh);
    return true;
  }
  if (op != ALU_OR && op != ALU_XOR && op != ALU_AND) return false;
  if (immRot(<u32>imm) < 0) return false;
  emit(opImm(op == ALU_OR ? OP_ORR : op == ALU_XOR ? OP_EOR : OP_AND, dl, dl, immRot(<u32>imm)));
  setLo(dst, dl);
  if (imm >= 0) {
    if (op == ALU_AND) setHiZero(dst); // OR/XOR with 0 leave the high word alone
    return true;
  }
  if (op == ALU_AND) return true; // AND with all ones
  const dh = op == ALU_OR ? hiDst(dst) : hi(dst, R1);
  if (op == ALU_OR) emitConst(dh, 0xffffffff);
  else emit(dpReg(AL, 0xf /* MVN */, 0, dh, 0, dh, SH_LSL, 0));
  setHi(dst, dh);
  return true;
}

function emitShift64Imm(op: u32, dst: i32, dl: i32, n: u32): bool {
  if (n == 0) {
    setLo(dst, dl);
    return true;
  }
  if (op == ALU_RSH && known0(dst)) {
    if (n < 32) emit(shiftImm(SH_LSR, dl, dl, n));
    else emit(movImm(dl, 0));
    setLo(dst, dl);
    return true;
  }
  const dh = hi(dst, R1);
  if (op == ALU_LSH) {
    if (n < 32) {
      emit(shiftImm(SH_LSL, dh, dh, n));
      emit(dpReg(AL, OP_ORR, 0, dh, dh, dl, SH_LSR, 32 - n));
      emit(shiftImm(SH_LSL, dl, dl, n));
    } else {
      emit(shiftImm(SH_LSL, dh, dl, n - 32));
      emit(movImm(dl, 0));
    }
  } else if (op == ALU_RSH) {
    if (n < 32) {
      emit(shiftImm(SH_LSR, dl, dl, n));
      emit(dpReg(AL, OP_ORR, 0, dl, dl, dh, SH_LSL, 32 - n));
      emit(shiftImm(SH_LSR, dh, dh, n));
    } else {
      if (n == 32) emit(movReg(dl, dh)); // LSR #0 would encode LSR #32
      else emit(shiftImm(SH_LSR, dl, dh, n - 32));
      emit(movImm(dh, 0));
    }
  } else {
    if (n < 32) {
      emit(shiftImm(SH_LSR, dl, dl, n));
      emit(dpReg(AL, OP_ORR, 0, dl, dl, dh, SH_LSL, 32 - n));
      emit(shiftImm(SH_ASR, dh, dh, n));
    } else {
      if (n == 32) emit(movReg(dl, dh));
      else emit(shiftImm(SH_ASR, dl, dh, n - 32));
      emit(shiftImm(SH_ASR, dh, dh, 31));
    }
  }
  setLo(dst, dl);
  setHi(dst, dh);
  return true;
}

/** Byte swaps: to big-endian / bswap (swap) or to little-endian (truncate only); width 16, 32 or 64. */
function emitSwap(dst: i32, width: i32, swap: bool): bool {
  const dl = lo(dst, R0);
  if (width == 16) {
    if (swap) emit(rev16(dl, dl));
    emit(uxth(dl, dl));
  } else if (width == 32) {
    if (swap) emit(rev(dl, dl));
  } else if (width == 64) {
    if (!swap) return true;
    const dh = hi(dst, R1);
    emit(rev(XR, dl));
    emit(rev(dl, dh));
    emit(movReg(dh, XR));
    setLo(dst, dl);
    setHi(dst, dh);
    return true;
  } else return false;
  setLo(dst, dl);
  setHiZero(dst);
  return true;
}

/** dl = dl op v for a 32-bit ADD/SUB/OR/AND/XOR with an encodable immediate (or its negation / complement). */
function emitAlu32Imm(op: u32, dl: i32, v: u32): bool {
  if (op == ALU_SUB) { op = ALU_ADD; v = -v; }
  if (op == ALU_ADD) {
    if (immRot(v) >= 0) emit(opImm(OP_ADD, dl, dl, immRot(v)));
    else if (immRot(-v) >= 0) emit(opImm(OP_SUB, dl, dl, immRot(-v)));
    else return false;
    return true;
  }
  if (op == ALU_XOR && v == 0xffffffff) {
    emit(dpReg(AL, 0xf /* MVN */, 0, dl, 0, dl, SH_LSL, 0));
    return true;
  }
  if (op == ALU_AND && immRot(v) < 0 && immRot(~v) >= 0) {
    emit(opImm(0xe /* BIC */, dl, dl, immRot(~v)));
    return true;
  }
  if (immRot(v) < 0) return false;
  emit(opImm(op == ALU_OR ? OP_ORR : op == ALU_XOR ? OP_EOR : OP_AND, dl, dl, immRot(v)));
  return true;
}

export function emitAlu32(i: i32, op: u32, x: bool, dst: i32, src: i32, imm: i32, off: i32): bool {
  if (op == ALU_END) {
    if (!emitSwap(dst, imm, x /* END_TO_BE is the source bit */)) return fail(ERR_OPCODE, i);
    return true;
  }
  const dl = op == ALU_MOV ? loDst(dst) : lo(dst, R0);
  if (op == ALU_MOV) {
    if (!x) emitConst(dl, <u32>imm);
    else {
      const sl = lo(src, R2);
      if (off == 0) { if (dl != sl) emit(movReg(dl, sl)); }
      else if (off == 8) emit(sxtb(dl, sl));
      else if (off == 16) emit(sxth(dl, sl));
      else return fail(ERR_OPCODE, i);
    }
  } else if (op == ALU_ADD || op == ALU_SUB || op == ALU_OR || op == ALU_AND || op == ALU_XOR || op == ALU_MUL) {
    if (!x && op != ALU_MUL && emitAlu32Imm(op, dl, <u32>imm)) {
      setLo(dst, dl);
      setHiZero(dst);
      return true;
    }
    const bl_ = operandLo(x, src, imm);
    if (op == ALU_MUL) emit(mul(dl, dl, bl_));
    else {
      const aop = op == ALU_ADD ? OP_ADD : op == ALU_SUB ? OP_SUB : op == ALU_OR ? OP_ORR : op == ALU_AND ? OP_AND : OP_EOR;
      emit(opReg(aop, dl, dl, bl_));
    }
  } else if ((op == ALU_DIV || op == ALU_MOD) && !x && off == 0 && imm >= 2 && !(options & OPT_IDIV)) {
    emitDivConst32(dl, <u32>imm, min(widthNow(dst), 32));
    if (op == ALU_MOD) {
      emitConst(R3, <u32>imm);
      emit(mls(dl, R2, R3, dl));
    } else emit(movReg(dl, R2));
  } else if (op == ALU_DIV || op == ALU_MOD) {
    if (off != 0 && off != 1) return fail(ERR_OPCODE, i);
    const bl_ = operandLo(x, src, imm);
    if (options & OPT_IDIV) {
      emit(off == 1 ? sdiv(XR, dl, bl_) : udiv(XR, dl, bl_));
      if (op == ALU_DIV) emit(movReg(dl, XR));
      else emit(mls(dl, XR, bl_, dl)); // by zero: quotient 0, so the remainder is the dividend
    } else {
      // Widen to 64 bits and use the 64-bit routine: its zero and INT_MIN / -1 rules give the 32-bit ones.
      if (bl_ != R2) emit(movReg(R2, bl_));
      if (dl != R0) emit(movReg(R0, dl));
      if (off == 1) {
        emit(shiftImm(SH_ASR, R1, R0, 31));
        emit(shiftImm(SH_ASR, R3, R2, 31));
      } else {
        emit(movImm(R1, 0));
        emit(movImm(R3, 0));
      }
      bl(off == 1 ? L_SDIVMOD64 : L_UDIVMOD64);
      if (op == ALU_MOD) emit(movReg(R0, R2));
      if (dl != R0) emit(movReg(dl, R0));
    }
  } else if (op == ALU_LSH || op == ALU_RSH || op == ALU_ARSH) {
    const sh = op == ALU_LSH ? SH_LSL : op == ALU_RSH ? SH_LSR : SH_ASR;
    if (!x) {
      const n = <u32>imm & 31;
      if (n) emit(shiftImm(sh, dl, dl, n));
    } else {
      const s = lo(src, R2);
      emit(opImm(OP_AND, XR, s, 31));
      emit(shiftReg(sh, dl, dl, XR));
    }
  } else if (op == ALU_NEG) {
    // -(x & 1), a mask of the low bit (`crc & 1` in a table-less CRC): when the AND is the block's last
    // instruction so far, both are one SBFX
    const masked = <i32>((lastWord >> 16) & 15);
    if (lastWord == opImm(OP_AND, dl, masked, immRot(1)) && pos - 4 >= blockStart) {
      rewind(pos - 4);
      emit(sbfx(dl, masked, 0, 1));
    } else emit(opImm(OP_RSB, dl, dl, 0));
  } else return fail(ERR_OPCODE, i);
  setLo(dst, dl);
  setHiZero(dst);
  return true;
}
