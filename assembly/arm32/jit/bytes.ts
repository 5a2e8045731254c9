// Byte-assembled words in a loop copy: C reads an unaligned little-endian word byte by byte (p[0] | p[1] << 8 |
// ...), and clang's BPF backend keeps that as byte loads, shifts and ors, interleaved with other work. In a copy
// (versioned.ts), a byte load that needs no check (planned, or in its own frame), a shift of such a value by a
// constant and an or of two of them on one base emit nothing: the register holds a deferred value, "the bytes at
// base + offset_i shifted by s_i, or-ed" (the Context's byte* tables). It is emitted where something reads the
// register, as one LDR (LDRH, LDRB) per word when its bytes are contiguous and in order, LDR + REV (LDRH + REV16)
// when they are in reverse order, else byte by byte with the shifts folded into the ORRs; a register written
// before it is read is never emitted: the temporaries of the idiom cost nothing. Unaligned LDR and LDRH are
// allowed on ARMv7 and on ARMv6 under Linux (never LDRD or LDM here).
//
// Deferring is exact because every byte was allowed where the program loaded it, and nothing between the load and
// the emission writes memory or the base register: every deferred value is emitted before a store, a call, a
// jump, a checked access (whose miss resumes in the ordinary code), an exit and a block's end (a budget check
// may resume there), before a write to its base, and at the copy's end. So wherever the code can leave the copy,
// every register holds what the byte-by-byte code would have left. The high word is written at the load (0), or
// at the emission when a 64-bit shift moved bytes into it. A value nothing reads any more (liveness.ts: a
// temporary of the idiom at the block's end) is never emitted.

import { AL, OP_ORR, R2, R3, SH_LSL, dpReg, ldr, ldrb, ldrh, movImm, rev, rev16, shiftImm } from "../a32/encoder";
import { inOwnFrame, loopLast, sizeBytes } from "../analysis/loops";
import { Context, F_LEADER, dstOf, flagOf, immOf, offOf, opcode, srcOf } from "./context";
import { planned } from "./copies";
import { liveAt } from "./liveness";
import { hiDst, lo, loDst, setHi, setHiZero, setLo } from "./regs";
import { ALU_LSH, ALU_MOV, ALU_OR, CLS_ALU, CLS_ALU64, CLS_LDX, MODE_MEM, MODE_MEMSX, SRC_X } from "../../isa";

const MAX_BYTES = 8;
const REACH = 248; // offsets deferred: an LDRH or LDR of the group's bytes still takes them in its instruction

function deferred(c: Context, r: i32): bool { return ((c.byteMask >> <u32>r) & 1) != 0; }

/** An unchecked access in a copy: planned (versioned.ts), or in its own frame. */
function noCheck(c: Context, i: i32, bytes: i32): bool {
  return planned(c, i) || inOwnFrame(srcOf(c, i), offOf(c, i), bytes);
}

/**
 * In a copy, instruction i as a step of a byte-assembled word: a byte load, a shift by a constant or an or. True
 * when it was taken (no code; the caller runs afterInsn), false when it is emitted as usual.
 */
export function deferBytes(c: Context, i: i32): bool {
  const op = opcode(c, i);
  const d = dstOf(c, i);
  const s = srcOf(c, i);
  if (d > 9) return false;
  if (op == (CLS_LDX | MODE_MEM | 0x10)) { // ldxb
    const off = offOf(c, i);
    if (d == s || s > 10 || deferred(c, s) || off < -REACH || off > REACH || !noCheck(c, i, 1)) return false;
    dependents(c, d, i + 1); // their base changes
    setHiZero(c, d);
    unchecked(c.byteBase[d] = s);
    unchecked(c.byteCount[d] = 1);
    unchecked(c.byteOffs[d * MAX_BYTES] = off);
    unchecked(c.byteShifts[d * MAX_BYTES] = 0);
    c.byteMask |= <u32>1 << <u32>d;
    return true;
  }
  const cls = op & 7;
  if ((cls != CLS_ALU && cls != CLS_ALU64) || !deferred(c, d)) return false;
  const bits = cls == CLS_ALU ? 32 : 64;
  const code = op & 0xf0;
  const n = unchecked(c.byteCount[d]);
  if (code == ALU_LSH && (op & SRC_X) == 0) {
    const k = immOf(c, i);
    if (k < 0 || k >= bits) return false;
    for (let j = 0; j < n; j++) {
      const t = unchecked(c.byteShifts[d * MAX_BYTES + j]) + k;
      if (t + 8 > bits || (t < 32 && t + 8 > 32)) return false; // out of the value, or across its two words
    }
    for (let j = 0; j < n; j++) unchecked(c.byteShifts[d * MAX_BYTES + j] += k);
    if (wide(c, d)) c.hiZero &= ~(<u32>1 << <u32>d); // written at the emission
    return true;
  }
  if (code == ALU_OR && (op & SRC_X) != 0) {
    if (s == d || s > 9 || !deferred(c, s)) return false;
    const m = unchecked(c.byteCount[s]);
    if (unchecked(c.byteBase[s]) != unchecked(c.byteBase[d]) || n + m > MAX_BYTES) return false;
    if (bits == 32 && (wide(c, d) || wide(c, s))) return false;
    for (let j = 0; j < m; j++) {
      unchecked(c.byteOffs[d * MAX_BYTES + n + j] = c.byteOffs[s * MAX_BYTES + j]);
      unchecked(c.byteShifts[d * MAX_BYTES + n + j] = c.byteShifts[s * MAX_BYTES + j]);
    }
    unchecked(c.byteCount[d] = n + m);
    if (wide(c, d)) c.hiZero &= ~(<u32>1 << <u32>d);
    return true;
  }
  return false;
}

/**
 * Before instruction i is emitted as usual in a copy: the deferred values it reads emitted, and those whose base
 * it writes; the one it overwrites dropped. Anything but an ALU operation, lddw and an unchecked load (anything
 * that writes memory, leaves the copy or may) emits them all.
 */
export function beforeInsn(c: Context, i: i32): void {
  if (c.byteMask == 0) return;
  const op = opcode(c, i);
  const cls = op & 7;
  const d = dstOf(c, i);
  const s = srcOf(c, i);
  let reads: u32 = 0;
  if (cls == CLS_ALU || cls == CLS_ALU64) {
    if ((op & SRC_X) != 0) reads |= <u32>1 << <u32>s;
    if ((op & 0xf0) != ALU_MOV) reads |= <u32>1 << <u32>d;
  } else if (cls == CLS_LDX && ((op & 0xe0) == MODE_MEM || (op & 0xe0) == MODE_MEMSX) && noCheck(c, i, sizeBytes(op & 0x18))) {
    reads |= <u32>1 << <u32>s;
  } else if (op != 0x18) {
    flushBytes(c, i);
    return;
  }
  for (let r = 0; r < 10; r++) if ((reads >> <u32>r) & 1 && deferred(c, r)) emitValue(c, r);
  if (d > 9) return;
  dependents(c, d, op == 0x18 ? i + 2 : i + 1);
  c.byteMask &= ~(<u32>1 << <u32>d); // overwritten before it was read
}

/** After instruction i, next the one that follows: at a block's or the copy's end, every deferred value emitted. */
export function afterStep(c: Context, next: i32): void {
  if (c.byteMask == 0) return;
  if (next >= c.count || (flagOf(c, next) & F_LEADER) != 0 || next > loopLast(unchecked(c.copyLoop[c.depth - 1]))) {
    flushBytes(c, next);
  }
}

/** Every deferred value that may be read from instruction `at` on emitted, the others dropped. */
function flushBytes(c: Context, at: i32): void {
  for (let r = 0; r < 10; r++) if (deferred(c, r)) settle(c, r, at);
}

/** The deferred values based on register b emitted (b is about to be written; `next`: the instruction after). */
function dependents(c: Context, b: i32, next: i32): void {
  for (let r = 0; r < 10; r++) if (deferred(c, r) && unchecked(c.byteBase[r]) == b) settle(c, r, next);
}

/** r's deferred value emitted when something may read it from instruction `at` on, else dropped. */
function settle(c: Context, r: i32, at: i32): void {
  if (liveAt(c, at, r)) emitValue(c, r);
  else c.byteMask &= ~(<u32>1 << <u32>r);
}

/** Whether some byte of r's deferred value is in its high word. */
function wide(c: Context, r: i32): bool {
  for (let j = 0; j < unchecked(c.byteCount[r]); j++) if (unchecked(c.byteShifts[r * MAX_BYTES + j]) >= 32) return true;
  return false;
}

/** Register r's deferred value into r: each word, then the words stored where r lives. */
function emitValue(c: Context, r: i32): void {
  c.byteMask &= ~(<u32>1 << <u32>r);
  const a = lo(c, unchecked(c.byteBase[r]), R2);
  const dl = loDst(c, r);
  emitWord(c, r, dl, a, 0);
  if (wide(c, r)) {
    const dh = hiDst(c, r);
    emitWord(c, r, dh, a, 32);
    setLo(c, r, dl);
    setHi(c, r, dh);
  } else setLo(c, r, dl);
}

/**
 * rd = the bytes of r's deferred value with shifts in [low, low + 32), shifted by s - low, or-ed; address
 * register a. Uses r3.
 */
function emitWord(c: Context, r: i32, rd: i32, a: i32, low: i32): void {
  const at = r * MAX_BYTES;
  const n = unchecked(c.byteCount[r]);
  let count = 0;
  let first = -1; // the byte with the lowest shift
  for (let j = 0; j < n; j++) {
    const s = unchecked(c.byteShifts[at + j]);
    if (s < low || s >= low + 32) continue;
    count++;
    if (first < 0 || s < unchecked(c.byteShifts[at + first])) first = j;
  }
  if (count == 0) {
    c.emit(movImm(rd, 0));
    return;
  }
  const s0 = unchecked(c.byteShifts[at + first]);
  const o0 = unchecked(c.byteOffs[at + first]);
  const rel = <u32>(s0 - low);
  // one access when the bytes are each place of `count` bytes exactly once, in order (or in reverse order)
  let forward = count == 1 || count == 2 || count == 4;
  let backward = (count == 2 || count == 4) && rel == 0;
  for (let j = 0; j < n && (forward || backward); j++) {
    const s = unchecked(c.byteShifts[at + j]);
    if (s < low || s >= low + 32) continue;
    const d = s - s0;
    for (let q = 0; q < j; q++) if (unchecked(c.byteShifts[at + q]) == s) forward = backward = false;
    if ((d & 7) != 0 || (d >> 3) >= count) forward = backward = false;
    const o = unchecked(c.byteOffs[at + j]) - o0;
    if (o != (d >> 3)) forward = false;
    if (o != -(d >> 3)) backward = false;
  }
  if (forward) {
    c.emit(count == 1 ? ldrb(rd, a, o0) : count == 2 ? ldrh(rd, a, o0) : ldr(rd, a, o0));
    if (rel != 0) c.emit(shiftImm(SH_LSL, rd, rd, rel));
    return;
  }
  if (backward) {
    const start = o0 - (count - 1);
    if (count == 2) {
      c.emit(ldrh(rd, a, start));
      c.emit(rev16(rd, rd));
    } else {
      c.emit(ldr(rd, a, start));
      c.emit(rev(rd, rd));
    }
    return;
  }
  let done = false;
  for (let j = 0; j < n; j++) {
    const s = unchecked(c.byteShifts[at + j]);
    if (s < low || s >= low + 32) continue;
    const o = unchecked(c.byteOffs[at + j]);
    if (!done) {
      c.emit(ldrb(rd, a, o));
      if (s != low) c.emit(shiftImm(SH_LSL, rd, rd, <u32>(s - low)));
      done = true;
      continue;
    }
    c.emit(ldrb(R3, a, o));
    c.emit(dpReg(AL, OP_ORR, 0, rd, rd, R3, SH_LSL, <u32>(s - low)));
  }
}
