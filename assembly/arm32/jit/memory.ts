// Memory instructions: checked loads and stores, atomics (LDREX/STREX loops) and legacy packet loads.
// Register access goes through jit/regs.ts.

import {
  AL, CLREX, EQ, HS, IP, NE, OP_ADC, OP_ADD, OP_AND, OP_EOR, OP_MOV, OP_ORR, OP_SBC, OP_SUB, OP_TST, R0, R1, R10,
  R11, R2, R3, R4, R8, R9, SH_ASR, branch, cmpImm, cmpReg, cmpRegC, dpImm, ldr, ldrb, ldrd, ldrex, ldrexd, ldrh, ldrsb,
  ldrsh, movImmC, movReg, movRegC, opReg, opRegS, shiftImm, str, strb, strex, strexd, strh,
} from "../a32/encoder";
import { frameAccess } from "../analysis/frame-ranges";
import { inOwnFrame, sizeBytes } from "../analysis/loops";
import { Context, dstOf, fail, immOf, offOf, srcOf } from "./context";
import { copyMiss, inCopy, inLoopCopy, planned } from "./copies";
import { inMapValue, valueAligned } from "./mapvalue";
import {
  FRAME_TOP, fixedFrame, hi, hiDst, hiJustStored, inArm, known0, lo, loDst, loInArm, pairInto, setHi, setHiZero,
  setLo,
} from "./regs";
import {
  ATOMIC_ADD, ATOMIC_AND, ATOMIC_CMPXCHG, ATOMIC_FETCH, ATOMIC_OR, ATOMIC_XCHG, ATOMIC_XOR, CLS_LDX, CLS_ST,
  CLS_STX, MODE_ATOMIC, MODE_IND, MODE_MEM, MODE_MEMSX,
} from "../../isa";
import { ERR_OPCODE } from "../../../targets/arm32/abi";
import { L_CHECK, L_CHECK_PAIR, L_LDPKT, S_RCACHE, S_REGS } from "../../../targets/arm32/image";

function log2Size(bytes: i32): i32 { return bytes == 1 ? 0 : bytes == 2 ? 1 : bytes == 4 ? 2 : 3; }

// The check entries (read 1/2/4/8, write 1/2/4/8: bit k) some load or store with offset 0 from a register other
// than r10 may use (not one proven in the frame: analysis/frame-ranges.ts): only those get the L_CHECK_PAIR stubs
// (runtime/routines.ts), 3 per entry, in the order of k.

/** Finds pairChecks for the program at `insns` (n instructions), before the runtime is emitted. */
export function noteChecks(c: Context, insns: usize, n: i32): void {
  c.pairChecks = 0;
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
      if ((regs >> 4) != 10 && !frameAccess(c, i)) c.pairChecks |= <u32>1 << <u32>log2Size(bytes);
    } else if ((cls == CLS_ST || cls == CLS_STX) && (mode == MODE_MEM || cls == CLS_STX && mode == MODE_ATOMIC)) {
      if ((regs & 15) != 10 && !frameAccess(c, i)) c.pairChecks |= <u32>1 << <u32>(4 + log2Size(bytes));
    }
  }
}

/** Offset of the L_CHECK_PAIR stub for ARM pair p (0: r4:r5, 1: r6:r7, 2: r8:r9) and entry k. */
export function pairStub(c: Context, p: i32, k: i32): i32 {
  return 12 * (3 * <i32>popcnt<u32>(c.pairChecks & ((<u32>1 << <u32>k) - 1)) + p);
}

/**
 * base + off, checked for an access of `bytes`; returns the register holding the address, to which the access adds
 * addrOff. Without a check: an access through the frame pointer into its own frame, one through another register
 * that stays in the frame whatever it holds (analysis/frame-ranges.ts, copies.ts planned), and in a loop copy an
 * access whose range was tested before the loop (versioned.ts): the base's low word (r11 for an r10 regs.ts fixedFrame
 * fixes), the offset in the instruction when it fits (`small`: a halfword or signed byte transfer, 8-bit
 * offsets), else the sum in r2.
 * Checked: is the access inside the region the last passing check found (S_RCACHE: start, span)? Only otherwise
 * the runtime's check, which goes through every region (in a loop copy: the ordinary code, see versioned.ts).
 * Returns r10 (high word in ip), or, for offset 0 from a register kept in an ARM pair, that pair's low register
 * (`needR10`, for an atomic: a register to add no offset to). Uses r2, r3 (free once the base is read).
 */
function address(c: Context,
  i: i32, base: i32, off: i32, bytes: i32, write: bool, needR10: bool = false, small: bool = false,
): i32 {
  c.addrOff = 0;
  c.addrAligned = false;
  const frame = inOwnFrame(base, off, bytes);
  // r10 that is r11 + FRAME_TOP everywhere (regs.ts fixedFrame): the frame's words as offsets from r11
  const fixed = frame && !loInArm(c, 10) && fixedFrame(c);
  if (!needR10 && (frame || planned(c, i))) {
    const reach = small ? 255 : 4095 - 4;
    if (fixed && FRAME_TOP + off <= reach) {
      c.addrOff = FRAME_TOP + off;
      return R11;
    }
    const a = lo(c, base, R2);
    if (off >= -reach && off <= reach) {
      c.addrOff = off;
      return a;
    }
    c.emitAddConst(R2, a, <u32>off, R3);
    return R2;
  }
  if (!frame && inMapValue(c, i, base, off, bytes, write)) {
    // inside a map value a lookup returned and its null test passed (mapvalue.ts): nothing to check
    c.addrAligned = valueAligned;
    if (needR10) {
      const l = lo(c, base, R10);
      if (off == 0 && (l >= R4 && l <= R9 || l == R10)) return l; // the body writes r0-r3 and ip only
      c.emitAddConst(R10, l, <u32>off, IP);
      return R10;
    }
    const reach = small ? 255 : 4095 - 4;
    const a = lo(c, base, R2);
    if (off <= reach) {
      c.addrOff = off;
      return a;
    }
    c.emitAddConst(R2, a, <u32>off, R3);
    return R2;
  }
  if (fixed) {
    c.emitAddConst(R10, R11, <u32>(FRAME_TOP + off), IP);
    return R10;
  }
  if (frame) {
    c.emitAddConst(R10, lo(c, 10, R2), <u32>off, IP);
    return R10;
  }
  const entry = (write ? 4 : 0) + log2Size(bytes);
  const cache = S_RCACHE + (write ? 8 : 0); // below 256 - 8: one LDRD reads start and span
  const k0 = known0(c, base);
  if (off == 0 && inArm(c, base)) {
    const bl_ = unchecked(c.armLo[base]);
    const bh = unchecked(c.armHi[base]);
    if (bh == bl_ + 1 && bl_ >= R4 && bl_ <= R8 && (c.pairChecks >> <u32>entry) & 1) {
      c.emit(ldrd(R2, R11, cache)); // start, span
      c.emit(opReg(OP_SUB, R2, bl_, R2));
      if (k0) c.emit(cmpReg(R2, R3));
      else {
        c.emit(cmpImm(bh, 0)); // a high word: HS (carry set, not equal)
        c.emit(cmpRegC(EQ, R2, R3));
      }
      if (inCopy(c)) {
        // the address where L_RECHECK takes it
        if (inLoopCopy(c)) {
          c.emit(movRegC(HS, R10, bl_));
          if (!k0) c.emit(movRegC(HS, IP, bh));
        }
        copyMiss(c, i, entry, k0);
      } else c.emit(branch(HS, true, c.pos, c.at(L_CHECK_PAIR) + pairStub(c, (bl_ - R4) >> 1, entry)));
      return bl_;
    }
  }
  if (off == 0) {
    const l = lo(c, base, R10);
    if (l != R10) c.emit(movReg(R10, l));
    if (!k0) {
      const h = hi(c, base, IP);
      if (h != IP) c.emit(movReg(IP, h));
    }
  } else {
    const bl_ = lo(c, base, R2);
    const bh = hi(c, base, R3);
    c.emitAddConstS(R10, bl_, <u32>off, IP);
    c.emit(dpImm(AL, off >= 0 ? OP_ADC : OP_SBC, 0, IP, bh, 0));
  }
  const zeroHigh = off == 0 && k0;
  c.emit(ldrd(R2, R11, cache)); // start, span
  c.emit(opReg(OP_SUB, R2, R10, R2));
  if (zeroHigh) {
    c.emit(cmpReg(R2, R3));
    if (!inCopy(c)) c.emit(movImmC(HS, IP, 0));
  } else {
    c.emit(cmpImm(IP, 0)); // a high word: HS (carry set, not equal)
    c.emit(cmpRegC(EQ, R2, R3));
  }
  if (inCopy(c)) copyMiss(c, i, entry, zeroHigh);
  else c.call(HS, L_CHECK + entry);
  return R10;
}

export function emitLoad(c: Context, i: i32, op: u32): bool {
  const dst = dstOf(c, i);
  const bytes = sizeBytes(op & 0x18);
  const sx = (op & 0xe0) == MODE_MEMSX;
  const a = address(c, i, srcOf(c, i), offOf(c, i), bytes, false, false, bytes == 2 || (sx && bytes == 1));
  const o = c.addrOff;
  const dl = loDst(c, dst);
  if (bytes == 8 && a == dl) {
    // the address register is the destination's low word: the high word first
    const dh = hiDst(c, dst);
    c.emit(ldr(dh, a, o + 4));
    c.emit(ldr(dl, a, o));
    setLo(c, dst, dl);
    setHi(c, dst, dh);
    return true;
  }
  if (bytes == 1) c.emit(sx ? ldrsb(dl, a, o) : ldrb(dl, a, o));
  else if (bytes == 2) c.emit(sx ? ldrsh(dl, a, o) : ldrh(dl, a, o));
  else c.emit(ldr(dl, a, o));
  if (bytes == 8) {
    // both words loaded first: stored to the register file, they go with one STRD (regs.ts pairWith)
    const dh = hiDst(c, dst);
    c.emit(ldr(dh, a, o + 4));
    setLo(c, dst, dl);
    setHi(c, dst, dh);
    return true;
  }
  setLo(c, dst, dl);
  if (sx) {
    const dh = hiDst(c, dst);
    c.emit(shiftImm(SH_ASR, dh, dl, 31));
    setHi(c, dst, dh);
  } else setHiZero(c, dst);
  return true;
}

export function emitStore(c: Context, i: i32, op: u32): bool {
  const bytes = sizeBytes(op & 0x18);
  const x = (op & 7) == CLS_STX;
  const src = srcOf(c, i);
  const imm = immOf(c, i);
  const a = address(c, i, dstOf(c, i), offOf(c, i), bytes, true, false, bytes == 2);
  const o = c.addrOff;
  // a high word the instruction before stored to the register file: still in the register it came from (not r0,
  // which the low word may be loaded into)
  const kept = bytes == 8 && x ? hiJustStored(c, src) : -1;
  let vl: i32, vh: i32 = R1;
  if (x) vl = lo(c, src, R0);
  else {
    vl = R0;
    c.emitConst(R0, <u32>imm);
  }
  if (bytes == 1) c.emit(strb(vl, a, o));
  else if (bytes == 2) c.emit(strh(vl, a, o));
  else c.emit(str(vl, a, o));
  if (bytes == 8) {
    if (kept > R0) vh = kept;
    else if (x) vh = hi(c, src, R1);
    else c.emitConst(R1, imm < 0 ? 0xffffffff : 0);
    c.emit(str(vh, a, o + 4));
  }
  return true;
}

export function emitAtomic(c: Context, i: i32, op: u32): bool {
  const bytes = sizeBytes(op & 0x18);
  if (bytes != 4 && bytes != 8) return fail(c, ERR_OPCODE, i);
  const src = srcOf(c, i);
  const aop = <u32>immOf(c, i);
  const base = aop & ~ATOMIC_FETCH;
  let arith: u32 = 0;
  if (aop == ATOMIC_XCHG || aop == ATOMIC_CMPXCHG) arith = OP_MOV;
  else if (base == ATOMIC_ADD) arith = OP_ADD;
  else if (base == ATOMIC_OR) arith = OP_ORR;
  else if (base == ATOMIC_AND) arith = OP_AND;
  else if (base == ATOMIC_XOR) arith = OP_EOR;
  else return fail(c, ERR_OPCODE, i);
  const a = address(c, i, dstOf(c, i), offOf(c, i), bytes, true, true);
  if (c.addrAligned) {
    // an aligned word of a map value (mapvalue.ts): the exclusive body alone
    emitAtomicBody(c, a, bytes, src, aop, arith, true);
    atomicResult(c, src, bytes, aop);
    return true;
  }
  // LDREX/STREX fault on unaligned addresses, which eBPF allows outside the kernel. Programs here run on one
  // thread, so an unaligned atomic is an ordinary read-modify-write.
  c.emit(dpImm(AL, OP_TST, 1, 0, a, bytes - 1));
  const toPlain = c.forwardBranch();
  emitAtomicBody(c, a, bytes, src, aop, arith, true);
  const toEnd = c.forwardBranch();
  c.patchBranch(toPlain, NE);
  emitAtomicBody(c, a, bytes, src, aop, arith, false);
  c.patchBranch(toEnd, AL);
  atomicResult(c, src, bytes, aop);
  return true;
}

/** r0 (:r1) = the old value, into r0 (cmpxchg) or src (a fetch). */
function atomicResult(c: Context, src: i32, bytes: i32, aop: u32): void {
  if (aop == ATOMIC_CMPXCHG) {
    setLo(c, 0, R0);
    if (bytes == 4) setHiZero(c, 0);
    else setHi(c, 0, R1);
  } else if (aop & ATOMIC_FETCH) {
    setLo(c, src, R0);
    if (bytes == 4) setHiZero(c, src);
    else setHi(c, src, R1);
  }
}

/**
 * One read-modify-write at `a` (r10, or a pair's low register, which the body leaves alone): old value to r0(:r1),
 * new value from r2(:r3); exclusive: an LDREX/STREX loop.
 */
function emitAtomicBody(c: Context, a: i32, bytes: i32, src: i32, aop: u32, arith: u32, exclusive: bool): void {
  const cas = aop == ATOMIC_CMPXCHG;
  let mismatch = -1;
  if (bytes == 4) {
    const v = lo(c, src, R3); // outside the retry loop
    const expected = cas ? lo(c, 0, R1) : R1;
    const loop = c.pos;
    c.emit(exclusive ? ldrex(R0, a) : ldr(R0, a, 0));
    if (cas) {
      c.emit(cmpReg(R0, expected));
      mismatch = c.forwardBranch();
    }
    if (arith == OP_MOV) c.emit(movReg(R2, v));
    else c.emit(opReg(arith, R2, R0, v));
    if (exclusive) {
      c.emit(strex(IP, R2, a));
      c.emit(cmpImm(IP, 0));
      c.emit(branch(NE, false, c.pos, loop));
    } else c.emit(str(R2, a, 0));
  } else {
    const loop = c.pos;
    if (exclusive) c.emit(ldrexd(R0, a));
    else {
      c.emit(ldr(R0, a, 0));
      c.emit(ldr(R1, a, 4));
    }
    if (cas) {
      const el = inArm(c, 0) ? unchecked(c.armLo[0]) : R2;
      const eh = inArm(c, 0) ? unchecked(c.armHi[0]) : R3;
      if (!inArm(c, 0)) {
        c.emit(ldr(R2, R11, S_REGS));
        c.emit(ldr(R3, R11, S_REGS + 4));
      }
      c.emit(cmpReg(R0, el));
      c.emit(cmpRegC(EQ, R1, eh));
      mismatch = c.forwardBranch();
      pairInto(c, src, R2, R3);
    } else if (inArm(c, src)) {
      if (arith == OP_MOV) {
        c.emit(movReg(R2, unchecked(c.armLo[src])));
        c.emit(movReg(R3, unchecked(c.armHi[src])));
      } else {
        c.emit(opRegS(arith, R2, R0, unchecked(c.armLo[src])));
        c.emit(opReg(arith == OP_ADD ? OP_ADC : arith, R3, R1, unchecked(c.armHi[src])));
      }
    } else {
      c.emit(ldr(R2, R11, S_REGS + 8 * src)); // inside the loop: r0-r3 are all taken
      c.emit(ldr(R3, R11, S_REGS + 8 * src + 4));
      if (arith != OP_MOV) {
        c.emit(opRegS(arith, R2, R0, R2));
        c.emit(opReg(arith == OP_ADD ? OP_ADC : arith, R3, R1, R3));
      }
    }
    if (exclusive) {
      c.emit(strexd(IP, R2, a));
      c.emit(cmpImm(IP, 0));
      c.emit(branch(NE, false, c.pos, loop));
    } else {
      c.emit(str(R2, a, 0));
      c.emit(str(R3, a, 4));
    }
  }
  if (cas) {
    if (exclusive) {
      c.skip(AL, 1);
      c.patchBranch(mismatch, NE);
      c.emit(CLREX); // no store on a mismatch: drop the reservation
    } else c.patchBranch(mismatch, NE);
  }
}

/** LD_ABS / LD_IND: r0 = big-endian packet bytes at imm (+ src); outside the packet the program ends, r0 = 0. */
export function emitPacketLoad(c: Context, i: i32, op: u32): bool {
  const bytes = sizeBytes(op & 0x18);
  if (bytes == 8) return fail(c, ERR_OPCODE, i);
  if ((op & 0xe0) == MODE_IND) c.emitAddConst(R0, lo(c, srcOf(c, i), R0), <u32>immOf(c, i), IP);
  else c.emitConst(R0, <u32>immOf(c, i));
  c.bl(L_LDPKT + log2Size(bytes));
  setLo(c, 0, R0);
  setHiZero(c, 0);
  return true;
}
