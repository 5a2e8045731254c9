// Memory instructions: checked loads and stores, atomics (LDREX/STREX loops) and legacy packet loads.
// Register access goes through the table in translate.ts.

import {
  out, measuring, emit, emitConst, emitAddConst, emitAddConstS, skip, pos, R0, R1, R2, R3, R10, R11, IP, AL,
  EQ, NE, HS, LO, OP_MVN, OP_AND, OP_EOR, OP_ADD, OP_ADC, OP_SBC, OP_TST, OP_ORR, OP_MOV, SH_ASR, dpImm, movReg, cmpImm, opReg,
  opRegS, cmpReg, cmpRegC, shiftImm, ldr, str, ldrb, strb, ldrh, strh, ldrsb, ldrsh, ldrex, strex, ldrexd,
  strexd, CLREX, branch,
} from "./encoder";
import { at, b, bl, call, S_REGS, S_RCACHE, L_CHECK, L_LDPKT } from "./image";

import {
  CLS_STX, SZ_W, SZ_H, SZ_B, MODE_IND, MODE_MEMSX, ATOMIC_ADD, ATOMIC_OR, ATOMIC_AND, ATOMIC_XOR, ATOMIC_FETCH,
  ATOMIC_XCHG, ATOMIC_CMPXCHG, STACK_SIZE,
} from "../isa";
import {
  inArm, lo, hi, loDst, hiDst, setLo, setHi, setHiZero, pairInto, fail, ARM_LO, ARM_HI, dstOf, srcOf, offOf,
  immOf, ERR_OPCODE,
} from "./translate";

function sizeBytes(sz: u32): i32 {
  return sz == SZ_B ? 1 : sz == SZ_H ? 2 : sz == SZ_W ? 4 : 8;
}
function log2Size(bytes: i32): i32 { return bytes == 1 ? 0 : bytes == 2 ? 1 : bytes == 4 ? 2 : 3; }

/**
 * r10 = base + off, checked for an access of `bytes` (statically for the frame pointer's own frame). Inline: is
 * the access inside the region the last passing check found (S_RCACHE)? Only otherwise the runtime's check, which
 * goes through every region. Uses r2, r3 (free once the base is read).
 */
function address(base: i32, off: i32, bytes: i32, write: bool): void {
  if (base == 10 && off >= -STACK_SIZE && off + bytes <= 0) {
    emitAddConst(R10, lo(10, R2), <u32>off, IP);
    return;
  }
  const bl_ = lo(base, R2);
  const bh = hi(base, R3);
  emitAddConstS(R10, bl_, <u32>off, IP);
  emit(dpImm(AL, off >= 0 ? OP_ADC : OP_SBC, 0, IP, bh, 0));
  const cache = S_RCACHE + (write ? 8 : 0);
  emit(ldr(R2, R11, cache)); // start
  emit(ldr(R3, R11, cache + 4)); // end - 8
  emit(cmpImm(IP, 0));
  emit(dpImm(NE, OP_MVN, 0, R2, 0, 0)); // a high word: nothing matches
  emit(cmpReg(R10, R2));
  emit(cmpRegC(HS, R3, R10)); // carry: start <= address <= end - 8
  call(LO, L_CHECK + (write ? 4 : 0) + log2Size(bytes));
}

export function emitLoad(i: i32, op: u32): bool {
  const dst = dstOf(i);
  const bytes = sizeBytes(op & 0x18);
  const sx = (op & 0xe0) == MODE_MEMSX;
  address(srcOf(i), offOf(i), bytes, false);
  const dl = loDst(dst);
  if (bytes == 1) emit(sx ? ldrsb(dl, R10, 0) : ldrb(dl, R10, 0));
  else if (bytes == 2) emit(sx ? ldrsh(dl, R10, 0) : ldrh(dl, R10, 0));
  else emit(ldr(dl, R10, 0));
  setLo(dst, dl);
  if (bytes == 8) {
    const dh = hiDst(dst);
    emit(ldr(dh, R10, 4));
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
  address(dstOf(i), offOf(i), bytes, true);
  let vl: i32, vh: i32 = R1;
  if (x) vl = lo(src, R0);
  else {
    vl = R0;
    emitConst(R0, <u32>imm);
  }
  if (bytes == 1) emit(strb(vl, R10, 0));
  else if (bytes == 2) emit(strh(vl, R10, 0));
  else emit(str(vl, R10, 0));
  if (bytes == 8) {
    if (x) vh = hi(src, R1);
    else emitConst(R1, imm < 0 ? 0xffffffff : 0);
    emit(str(vh, R10, 4));
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
  address(dstOf(i), offOf(i), bytes, true);
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
