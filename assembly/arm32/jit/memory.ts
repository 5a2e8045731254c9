// Memory instructions: checked loads and stores, atomics (LDREX/STREX loops) and legacy packet loads.
// Register access goes through the table in translate.ts.

import {
  out, measuring, emit, emitConst, emitAddConst, emitAddConstS, skip, pos, R0, R1, R2, R3, R10, R11, IP, AL,
  EQ, NE, HS, LO, OP_MVN, OP_AND, OP_EOR, OP_ADD, OP_ADC, OP_SBC, OP_TST, OP_ORR, OP_MOV, SH_ASR, dpImm, movReg, cmpImm, opReg,
  opRegS, cmpReg, cmpRegC, shiftImm, ldr, str, ldrb, strb, ldrh, strh, ldrsb, ldrsh, ldrex, strex, ldrexd,
  strexd, CLREX, branch, movImmC, R4, R8, OP_SUB, ldrd,
} from "../a32/encoder";
import { at, b, bl, call, S_REGS, S_RCACHE, L_CHECK, L_CHECK_PAIR, L_LDPKT } from "../../../targets/arm32/image";
import { inCopy, planned, copyMiss } from "../versioned";

import {
  CLS_LDX, CLS_ST, MODE_MEM, CLS_STX, SZ_W, SZ_H, SZ_B, MODE_IND, MODE_MEMSX, ATOMIC_ADD, ATOMIC_OR, ATOMIC_AND, ATOMIC_XOR, ATOMIC_FETCH,
  ATOMIC_XCHG, ATOMIC_CMPXCHG, STACK_SIZE,
} from "../../isa";
import {
  inArm, lo, hi, loDst, hiDst, setLo, setHi, setHiZero, pairInto, fail, ARM_LO, ARM_HI, dstOf, srcOf, offOf,
  immOf, ERR_OPCODE, known0,
} from "./translate";

export function sizeBytes(sz: u32): i32 {
  return sz == SZ_B ? 1 : sz == SZ_H ? 2 : sz == SZ_W ? 4 : 8;
}
function log2Size(bytes: i32): i32 { return bytes == 1 ? 0 : bytes == 2 ? 1 : bytes == 4 ? 2 : 3; }

// The check entries (read 1/2/4/8, write 1/2/4/8: bit k) some load or store with offset 0 from a register other
// than r10 may use: only those get the L_CHECK_PAIR stubs (runtime.ts), 3 per entry, in the order of k.
export let pairChecks: u32 = 0;

/** Finds pairChecks for the program at `insns` (n instructions), before the runtime is emitted. */
export function noteChecks(insns: usize, n: i32): void {
  pairChecks = 0;
  for (let i = 0; i < n; i++) {
    const p = insns + (<usize>i << 3);
    const op = <u32>load<u8>(p);
    if (op == 0x18) { i++; continue; }
    const cls = op & 7;
    const mode = op & 0xe0;
    if (load<i16>(p + 2) != 0) continue;
    const regs = <i32>load<u8>(p + 1);
    const bytes = sizeBytes(op & 0x18);
    if (cls == CLS_LDX && (mode == MODE_MEM || mode == MODE_MEMSX)) {
      if ((regs >> 4) != 10) pairChecks |= <u32>1 << <u32>log2Size(bytes);
    } else if ((cls == CLS_ST || cls == CLS_STX) && mode == MODE_MEM) {
      if ((regs & 15) != 10) pairChecks |= <u32>1 << <u32>(4 + log2Size(bytes));
    }
  }
}

/** Offset of the L_CHECK_PAIR stub for ARM pair p (0: r4:r5, 1: r6:r7, 2: r8:r9) and entry k. */
export function pairStub(p: i32, k: i32): i32 {
  return 12 * (3 * <i32>popcnt<u32>(pairChecks & ((<u32>1 << <u32>k) - 1)) + p);
}

/** Whether an access of `bytes` at base + off lies in the frame r10 points at: no check needed. */
export function inOwnFrame(base: i32, off: i32, bytes: i32): bool {
  return base == 10 && off >= -STACK_SIZE && off + bytes <= 0;
}

/** The offset the access adds to address()'s register (an immediate of the load or store). */
let addrOff: i32 = 0;

/**
 * base + off, checked for an access of `bytes`; returns the register holding the address, to which the access adds
 * addrOff. Without a check: an access through the frame pointer into its own frame, and in a loop copy an access
 * whose range was tested before the loop (versioned.ts): the base's low word, the offset in the instruction when
 * it fits (`small`: a halfword or signed byte transfer, 8-bit offsets), else the sum in r2.
 * Checked: is the access inside the region the last passing check found (S_RCACHE: start, span)? Only otherwise
 * the runtime's check, which goes through every region (in a loop copy: the ordinary code, see versioned.ts).
 * Returns r10 (high word in ip), or, for offset 0 from a register kept in an ARM pair, that pair's low register
 * (unless `r10` is asked for). Uses r2, r3 (free once the base is read).
 */
function address(
  i: i32, base: i32, off: i32, bytes: i32, write: bool, needR10: bool = false, small: bool = false,
): i32 {
  addrOff = 0;
  const frame = inOwnFrame(base, off, bytes);
  if (!needR10 && (frame || planned(i))) {
    const reach = small ? 255 : 4095 - 4;
    const a = lo(base, R2);
    if (off >= -reach && off <= reach) {
      addrOff = off;
      return a;
    }
    emitAddConst(R2, a, <u32>off, R3);
    return R2;
  }
  if (frame) {
    emitAddConst(R10, lo(10, R2), <u32>off, IP);
    return R10;
  }
  const entry = (write ? 4 : 0) + log2Size(bytes);
  const cache = S_RCACHE + (write ? 8 : 0); // below 256 - 8: one LDRD reads start and span
  const k0 = known0(base);
  if (off == 0 && inArm(base) && !needR10) {
    const bl_ = unchecked(ARM_LO[base]);
    const bh = unchecked(ARM_HI[base]);
    if (bh == bl_ + 1 && bl_ >= R4 && bl_ <= R8 && (pairChecks >> <u32>entry) & 1) {
      emit(ldrd(R2, R11, cache)); // start, span
      emit(opReg(OP_SUB, R2, bl_, R2));
      if (k0) emit(cmpReg(R2, R3));
      else {
        emit(cmpImm(bh, 0)); // a high word: HS (carry set, not equal)
        emit(cmpRegC(EQ, R2, R3));
      }
      if (inCopy()) copyMiss(i);
      else emit(branch(HS, true, pos, at(L_CHECK_PAIR) + pairStub((bl_ - R4) >> 1, entry)));
      return bl_;
    }
  }
  if (off == 0) {
    const l = lo(base, R10);
    if (l != R10) emit(movReg(R10, l));
    if (!k0) {
      const h = hi(base, IP);
      if (h != IP) emit(movReg(IP, h));
    }
  } else {
    const bl_ = lo(base, R2);
    const bh = hi(base, R3);
    emitAddConstS(R10, bl_, <u32>off, IP);
    emit(dpImm(AL, off >= 0 ? OP_ADC : OP_SBC, 0, IP, bh, 0));
  }
  const zeroHigh = off == 0 && k0;
  emit(ldrd(R2, R11, cache)); // start, span
  emit(opReg(OP_SUB, R2, R10, R2));
  if (zeroHigh) {
    emit(cmpReg(R2, R3));
    if (!inCopy()) emit(movImmC(HS, IP, 0));
  } else {
    emit(cmpImm(IP, 0)); // a high word: HS (carry set, not equal)
    emit(cmpRegC(EQ, R2, R3));
  }
  if (inCopy()) copyMiss(i);
  else call(HS, L_CHECK + entry);
  return R10;
}

export function emitLoad(i: i32, op: u32): bool {
  const dst = dstOf(i);
  const bytes = sizeBytes(op & 0x18);
  const sx = (op & 0xe0) == MODE_MEMSX;
  const a = address(i, srcOf(i), offOf(i), bytes, false, false, bytes == 2 || (sx && bytes == 1));
  const o = addrOff;
  const dl = loDst(dst);
  if (bytes == 8 && a == dl) {
    // the address register is the destination's low word: the high word first
    const dh = hiDst(dst);
    emit(ldr(dh, a, o + 4));
    emit(ldr(dl, a, o));
    setLo(dst, dl);
    setHi(dst, dh);
    return true;
  }
  if (bytes == 1) emit(sx ? ldrsb(dl, a, o) : ldrb(dl, a, o));
  else if (bytes == 2) emit(sx ? ldrsh(dl, a, o) : ldrh(dl, a, o));
  else emit(ldr(dl, a, o));
  setLo(dst, dl);
  if (bytes == 8) {
    const dh = hiDst(dst);
    emit(ldr(dh, a, o + 4));
    setHi(dst, dh);
  } else if (sx) {
    const dh = hiDst(dst);
    emit(shiftImm(SH_ASR, dh, dl, 31));
    setHi(dst, dh);
  } else setHiZero(dst);
  return true;
}

export function emitStore(i: i32, op: u32): bool {
  const bytes = sizeBytes(op & 0x18);
  const x = (op & 7) == CLS_STX;
  const src = srcOf(i);
  const imm = immOf(i);
  const a = address(i, dstOf(i), offOf(i), bytes, true, false, bytes == 2);
  const o = addrOff;
  let vl: i32, vh: i32 = R1;
  if (x) vl = lo(src, R0);
  else {
    vl = R0;
    emitConst(R0, <u32>imm);
  }
  if (bytes == 1) emit(strb(vl, a, o));
  else if (bytes == 2) emit(strh(vl, a, o));
  else emit(str(vl, a, o));
  if (bytes == 8) {
    if (x) vh = hi(src, R1);
    else emitConst(R1, imm < 0 ? 0xffffffff : 0);
    emit(str(vh, a, o + 4));
  }
  return true;
}

export function emitAtomic(i: i32, op: u32): bool {
  const bytes = sizeBytes(op & 0x18);
  if (bytes != 4 && bytes != 8) return fail(ERR_OPCODE, i);
  const src = srcOf(i);
  const aop = <u32>immOf(i);
  const base = aop & ~ATOMIC_FETCH;
  let arith: u32 = 0;
  if (aop == ATOMIC_XCHG || aop == ATOMIC_CMPXCHG) arith = OP_MOV;
  else if (base == ATOMIC_ADD) arith = OP_ADD;
  else if (base == ATOMIC_OR) arith = OP_ORR;
  else if (base == ATOMIC_AND) arith = OP_AND;
  else if (base == ATOMIC_XOR) arith = OP_EOR;
  else return fail(ERR_OPCODE, i);
  address(i, dstOf(i), offOf(i), bytes, true, true);
  // LDREX/STREX fault on unaligned addresses, which eBPF allows outside the kernel. Programs here run on one
  // thread, so an unaligned atomic is an ordinary read-modify-write.
  emit(dpImm(AL, OP_TST, 1, 0, R10, bytes - 1));
  const toPlain = forwardBranch();
  emitAtomicBody(bytes, src, aop, arith, true);
  const toEnd = forwardBranch();
  patch(toPlain, NE);
  emitAtomicBody(bytes, src, aop, arith, false);
  patch(toEnd, AL);
  // r0 (:r1) = the old value
  if (aop == ATOMIC_CMPXCHG) {
    setLo(0, R0);
    if (bytes == 4) setHiZero(0);
    else setHi(0, R1);
  } else if (aop & ATOMIC_FETCH) {
    setLo(src, R0);
    if (bytes == 4) setHiZero(src);
    else setHi(src, R1);
  }
  return true;
}

/** One read-modify-write at r10: old value to r0(:r1), new value from r2(:r3); exclusive: an LDREX/STREX loop. */
function emitAtomicBody(bytes: i32, src: i32, aop: u32, arith: u32, exclusive: bool): void {
  const cas = aop == ATOMIC_CMPXCHG;
  let mismatch = -1;
  if (bytes == 4) {
    const v = lo(src, R3); // outside the retry loop
    const expected = cas ? lo(0, R1) : R1;
    const loop = pos;
    emit(exclusive ? ldrex(R0, R10) : ldr(R0, R10, 0));
    if (cas) {
      emit(cmpReg(R0, expected));
      mismatch = forwardBranch();
    }
    if (arith == OP_MOV) emit(movReg(R2, v));
    else emit(opReg(arith, R2, R0, v));
    if (exclusive) {
      emit(strex(IP, R2, R10));
      emit(cmpImm(IP, 0));
      emit(branch(NE, false, pos, loop));
    } else emit(str(R2, R10, 0));
  } else {
    const loop = pos;
    if (exclusive) emit(ldrexd(R0, R10));
    else {
      emit(ldr(R0, R10, 0));
      emit(ldr(R1, R10, 4));
    }
    if (cas) {
      const el = inArm(0) ? unchecked(ARM_LO[0]) : R2;
      const eh = inArm(0) ? unchecked(ARM_HI[0]) : R3;
      if (!inArm(0)) {
        emit(ldr(R2, R11, S_REGS));
        emit(ldr(R3, R11, S_REGS + 4));
      }
      emit(cmpReg(R0, el));
      emit(cmpRegC(EQ, R1, eh));
      mismatch = forwardBranch();
      pairInto(src, R2, R3);
    } else if (inArm(src)) {
      if (arith == OP_MOV) {
        emit(movReg(R2, unchecked(ARM_LO[src])));
        emit(movReg(R3, unchecked(ARM_HI[src])));
      } else {
        emit(opRegS(arith, R2, R0, unchecked(ARM_LO[src])));
        emit(opReg(arith == OP_ADD ? OP_ADC : arith, R3, R1, unchecked(ARM_HI[src])));
      }
    } else {
      emit(ldr(R2, R11, S_REGS + 8 * src)); // inside the loop: r0-r3 are all taken
      emit(ldr(R3, R11, S_REGS + 8 * src + 4));
      if (arith != OP_MOV) {
        emit(opRegS(arith, R2, R0, R2));
        emit(opReg(arith == OP_ADD ? OP_ADC : arith, R3, R1, R3));
      }
    }
    if (exclusive) {
      emit(strexd(IP, R2, R10));
      emit(cmpImm(IP, 0));
      emit(branch(NE, false, pos, loop));
    } else {
      emit(str(R2, R10, 0));
      emit(str(R3, R10, 4));
    }
  }
  if (cas) {
    if (exclusive) {
      skip(AL, 1);
      patch(mismatch, NE);
      emit(CLREX); // no store on a mismatch: drop the reservation
    } else patch(mismatch, NE);
  }
}

/** A branch whose target comes later: emits a placeholder and returns its position for patch(). */
function forwardBranch(): i32 {
  const at_ = pos;
  emit(0);
  return at_;
}

/** Turn the placeholder at `at_` into b<cond> to the current position. */
function patch(at_: i32, cond: u32): void {
  if (!measuring) store<u32>(out + <usize>at_, branch(cond, false, at_, pos));
}

/** LD_ABS / LD_IND: r0 = big-endian packet bytes at imm (+ src); outside the packet the program ends, r0 = 0. */
export function emitPacketLoad(i: i32, op: u32): bool {
  const bytes = sizeBytes(op & 0x18);
  if (bytes == 8) return fail(ERR_OPCODE, i);
  if ((op & 0xe0) == MODE_IND) emitAddConst(R0, lo(srcOf(i), R0), <u32>immOf(i), IP);
  else emitConst(R0, <u32>immOf(i));
  bl(L_LDPKT + log2Size(bytes));
  setLo(0, R0);
  setHiZero(0);
  return true;
}
