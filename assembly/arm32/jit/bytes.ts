// Byte-assembled words in a loop copy: C reads an unaligned little-endian word byte by byte (p[0] | p[1] << 8 |
// ...), and clang's BPF backend keeps that as byte loads, shifts and ors, interleaved with other work. In a copy
// (versioned.ts), a byte load that needs no check (planned, or in its own frame), a shift of such a value by a
// constant and an or of two of them on one base emit nothing: the register holds a deferred value, "the bytes at
// base + offset_i shifted by s_i, or-ed" (the Context's byte* tables). It is emitted where something reads the
// register, as one LDR (LDRH, LDRB) per word when its bytes are contiguous and in order, LDR + REV (LDRH + REV16)
// when they are in reverse order, else in runs of such bytes with the shifts folded into the ORRs; a register written
// before it is read is never emitted: the temporaries of the idiom cost nothing. Unaligned LDR and LDRH are
// allowed on ARMv7 and on ARMv6 under Linux (never LDRD or LDM here).
//
// Deferring is exact because every byte was allowed where the program loaded it, and nothing between the load and
// the emission writes memory or the base register: every deferred value is emitted before a store, a call, a
// jump, a checked access (whose miss resumes in the ordinary code), an exit and a block's end (a budget check
// may resume there), before a write to its base, and at the copy's end. So wherever the code can leave the copy,
// every register holds what the byte-by-byte code would have left. The high word is written at the emission (0,
// or the bytes a 64-bit shift moved into it), or for a dropped value by the register's next write or at the next
// flush (oweHighZero): a temporary overwritten before it is read costs nothing. A value nothing reads any more (liveness.ts: a temporary
// of the idiom at the block's end) is never emitted.

import { AL, OP_ORR, R2, R3, SH_LSL, dpReg, ldr, ldrb, ldrh, movImm, movReg, rev, rev16, shiftImm } from "../a32/encoder";
import { inOwnFrame, loopLast, sizeBytes } from "../analysis/loops";
import { Context, F_LEADER, dstOf, flagOf, immOf, offOf, opcode, srcOf } from "./context";
import { planned } from "./copies";
import { liveAt } from "./liveness";
import { hiDst, known0, lo, loDst, setHi, setHiZero, setLo } from "./regs";
import { ALU_LSH, ALU_MOV, ALU_OR, CLS_ALU, CLS_ALU64, CLS_LDX, MODE_MEM, MODE_MEMSX, SRC_X } from "../../isa";

const MAX_BYTES = 8;
const REACH = 248; // offsets deferred: an LDRH or LDR of the group's bytes still takes them in its instruction

function deferred(c: Context, r: i32): bool { return ((c.byteMask >> <u32>r) & 1) != 0; }

/** An unchecked access in a copy: planned (versioned.ts), or in its own frame. */
function noCheck(c: Context, i: i32, bytes: i32): bool {
  return planned(c, i) || inOwnFrame(srcOf(c, i), offOf(c, i), bytes);
}

/**
 * In a copy, instruction i as a step of a byte-assembled word: a byte load, a shift by a constant or an or; or a
 * word's last byte loaded through its base (lastByte). The instructions taken (the caller runs afterInsn on each),
 * 0 when i is emitted as usual.
 */
export function deferBytes(c: Context, i: i32): i32 {
  const op = opcode(c, i);
  const d = dstOf(c, i);
  const s = srcOf(c, i);
  if (d > 9) return 0;
  if (op == (CLS_LDX | MODE_MEM | 0x10)) { // ldxb
    const off = offOf(c, i);
    if (d == s) return lastByte(c, i);
    if (s > 10 || deferred(c, s) || off < -REACH || off > REACH || !noCheck(c, i, 1)) return 0;
    dependents(c, d, i + 1); // their base changes
    oweHighZero(c, d);
    unchecked(c.byteBase[d] = s);
    unchecked(c.byteCount[d] = 1);
    unchecked(c.byteOffs[d * MAX_BYTES] = off);
    unchecked(c.byteShifts[d * MAX_BYTES] = 0);
    c.byteMask |= <u32>1 << <u32>d;
    return 1;
  }
  const cls = op & 7;
  if ((cls != CLS_ALU && cls != CLS_ALU64) || !deferred(c, d)) return 0;
  const bits = cls == CLS_ALU ? 32 : 64;
  const code = op & 0xf0;
  const n = unchecked(c.byteCount[d]);
  if (code == ALU_LSH && (op & SRC_X) == 0) {
    const k = immOf(c, i);
    if (k < 0 || k >= bits) return 0;
    for (let j = 0; j < n; j++) {
      const t = unchecked(c.byteShifts[d * MAX_BYTES + j]) + k;
      if (t + 8 > bits || (t < 32 && t + 8 > 32)) return 0; // out of the value, or across its two words
    }
    for (let j = 0; j < n; j++) unchecked(c.byteShifts[d * MAX_BYTES + j] += k);
    if (wide(c, d)) c.hiZero &= ~(<u32>1 << <u32>d); // written at the emission
    return 1;
  }
  if (code == ALU_OR && (op & SRC_X) != 0) {
    if (s == d || s > 9 || !deferred(c, s)) return 0;
    const m = unchecked(c.byteCount[s]);
    if (unchecked(c.byteBase[s]) != unchecked(c.byteBase[d]) || n + m > MAX_BYTES) return 0;
    if (bits == 32 && (wide(c, d) || wide(c, s))) return 0;
    for (let j = 0; j < m; j++) {
      unchecked(c.byteOffs[d * MAX_BYTES + n + j] = c.byteOffs[s * MAX_BYTES + j]);
      unchecked(c.byteShifts[d * MAX_BYTES + n + j] = c.byteShifts[s * MAX_BYTES + j]);
    }
    unchecked(c.byteCount[d] = n + m);
    if (wide(c, d)) c.hiZero &= ~(<u32>1 << <u32>d);
    return 1;
  }
  return 0;
}

/**
 * `ldxb d, [d + off]` (clang loads a word's last byte through the register that held its address), optionally
 * `lsh d, k`, then `or x, y` with {x, y} = {d, r}, r a deferred value on base d: the or's result is emitted at
 * once, byte included, while d still holds the address; the other one too when something reads it afterwards.
 * The instructions taken (2 or 3), or 0.
 */
function lastByte(c: Context, i: i32): i32 {
  const d = dstOf(c, i);
  const off = offOf(c, i);
  if (off < -REACH || off > REACH || !noCheck(c, i, 1)) return 0;
  let j = i + 1;
  let k = 0;
  if (j >= c.count || (flagOf(c, j) & F_LEADER) != 0) return 0;
  let op = opcode(c, j);
  if ((op == 0x64 || op == 0x67) && dstOf(c, j) == d) {
    k = immOf(c, j);
    if (k < 0 || k + 8 > (op == 0x64 ? 32 : 64) || (k < 32 && k + 8 > 32)) return 0;
    j++;
    if (j >= c.count || (flagOf(c, j) & F_LEADER) != 0) return 0;
    op = opcode(c, j);
  }
  if (op != 0x4c && op != 0x4f) return 0;
  const x = dstOf(c, j);
  const y = srcOf(c, j);
  const r = x == d ? y : x;
  if ((x != d && y != d) || r == d || r > 9 || !deferred(c, r) || unchecked(c.byteBase[r]) != d) return 0;
  const n = unchecked(c.byteCount[r]);
  if (n == MAX_BYTES || (op == 0x4c && (wide(c, r) || k >= 32))) return 0;
  for (let q = 0; q < 10; q++) if (q != r && deferred(c, q) && unchecked(c.byteBase[q]) == d) settle(c, q, i);
  // the or's result: r's bytes and this one, on base d
  const after = j + 1;
  const d8 = d * MAX_BYTES, r8 = r * MAX_BYTES;
  for (let q = 0; q < n; q++) {
    unchecked(c.byteOffs[d8 + q] = c.byteOffs[r8 + q]);
    unchecked(c.byteShifts[d8 + q] = c.byteShifts[r8 + q]);
  }
  unchecked(c.byteOffs[d8 + n] = off);
  unchecked(c.byteShifts[d8 + n] = k);
  unchecked(c.byteBase[d] = d);
  unchecked(c.byteCount[d] = n + 1);
  if (x == d) {
    if (liveAt(c, after, r)) emitValue(c, r); // r as it was, which the or left alone
    else c.byteMask &= ~(<u32>1 << <u32>r);
    emitOwnBase(c, d);
  } else {
    // r = r | byte << k, then d = byte << k when something reads it
    for (let q = 0; q <= n; q++) {
      unchecked(c.byteOffs[r8 + q] = c.byteOffs[d8 + q]);
      unchecked(c.byteShifts[r8 + q] = c.byteShifts[d8 + q]);
    }
    unchecked(c.byteCount[r] = n + 1);
    if (wide(c, r)) c.hiZero &= ~(<u32>1 << <u32>r);
    emitValue(c, r);
    unchecked(c.byteOffs[d8] = off);
    unchecked(c.byteShifts[d8] = k);
    unchecked(c.byteCount[d] = 1);
    if (liveAt(c, after, d)) emitOwnBase(c, d);
    else oweHighZero(c, d); // its low word left behind: nothing reads it
  }
  return after - i;
}

/** Register r's value from bytes on base r itself (lastByte): the address kept apart while r is written. */
function emitOwnBase(c: Context, r: i32): void {
  c.byteMask &= ~(<u32>1 << <u32>r);
  let a = lo(c, r, R2);
  const dl = loDst(c, r);
  if (a == dl && (wide(c, r) || emitWord(c, r, dl, a, 0, true) > 1)) {
    // one access may load into its own base (LDRH r4, [r4]); more need the address after the first
    c.emit(movReg(R2, a));
    a = R2;
  }
  emitWord(c, r, dl, a, 0);
  if (wide(c, r)) {
    const dh = hiDst(c, r);
    emitWord(c, r, dh, a, 32);
    setLo(c, r, dl);
    setHi(c, r, dh);
  } else {
    setLo(c, r, dl);
    payHighZero(c, r);
  }
}

/**
 * Before instruction i is emitted as usual in a copy: the deferred values it reads emitted, and those whose base
 * it writes; the one it overwrites dropped. Anything but an ALU operation, lddw and an unchecked load (anything
 * that writes memory, leaves the copy or may) emits them all.
 */
export function beforeInsn(c: Context, i: i32): void {
  if (c.byteMask == 0 && c.byteHiOwed == 0) return;
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
  // an owed high word is not zero where it is kept: the instruction writes it, or reads nothing of that register
  c.hiZero &= ~c.byteHiOwed;
  if (d > 9) return;
  dependents(c, d, op == 0x18 ? i + 2 : i + 1);
  c.byteMask &= ~(<u32>1 << <u32>d); // overwritten before it was read
  c.byteHiOwed &= ~(<u32>1 << <u32>d); // its emitter writes the high word (hiZero is clear)
}

/** After instruction i, next the one that follows: at a block's or the copy's end, every deferred value emitted. */
export function afterStep(c: Context, next: i32): void {
  if (c.byteMask == 0 && c.byteHiOwed == 0) return;
  if (next >= c.count || (flagOf(c, next) & F_LEADER) != 0 || (c.depth > 0 ? next > loopLast(unchecked(c.copyLoop[c.depth - 1])) : next >= c.groupEnd)) {
    flushBytes(c, next);
  }
}

/** Every deferred value that may be read from instruction `at` on emitted, the others dropped. */
function flushBytes(c: Context, at: i32): void {
  for (let r = 0; r < 10; r++) if (deferred(c, r)) settle(c, r, at);
  if (c.byteHiOwed == 0) return;
  // A store to the register file just before, which the next instruction may find still in its register (regs.ts
  // stored()), stays the last instruction: the zeros go before it (they write other registers and words).
  const last = c.lastWord;
  const rt = <i32>((last >> 12) & 15);
  const pair = (last & 0xffff00f0) == 0xe1cb00f0; // strd rt, rt + 1, [r11, #off]
  let move = c.pos - 4 >= c.forwardFrom && ((last & 0xffff0000) == 0xe58b0000 || pair); // or str rt, [r11, #off]
  for (let r = 0; r < 10 && move; r++) {
    if (((c.byteHiOwed >> <u32>r) & 1) == 0) continue;
    const z = unchecked(c.armHi[r]) >= 0 ? unchecked(c.armHi[r]) : c.XR; // what paying writes
    if (z == rt || (pair && z == rt + 1)) move = false;
  }
  if (move) c.rewind(c.pos - 4);
  for (let r = 0; r < 10; r++) if ((c.byteHiOwed >> <u32>r) & 1) payHighZero(c, r);
  if (move) c.emit(last);
}

/**
 * A byte load's zero high word (or that of a register whose low word is left behind) counted as written, written
 * only where the value is emitted, or at a flush (the code after may leave the copy, whose block states take it as
 * written). Dropped values cost nothing then: clang's temporaries are overwritten before they are read. Until then
 * the bit stays in byteHiOwed, and the emitters, which take hiZero as what the register holds, do not see it
 * (beforeInsn clears it), so that the next write of the register writes its high word.
 */
function oweHighZero(c: Context, r: i32): void {
  if (known0(c, r) && ((c.byteHiOwed >> <u32>r) & 1) == 0) return; // zero already
  oweZeroHigh(c, r);
}

/** Register r's high word (not zero where it is kept) counted as zero, written later (see oweHighZero). */
export function oweZeroHigh(c: Context, r: i32): void {
  const bit = <u32>1 << <u32>r;
  c.hiZero |= bit;
  c.byteHiOwed |= bit;
}

/** An owed zero high word written (see oweHighZero); a register whose high word is known zero left as it is. */
function payHighZero(c: Context, r: i32): void {
  const bit = <u32>1 << <u32>r;
  if ((c.byteHiOwed & bit) != 0) c.hiZero &= ~bit;
  c.byteHiOwed &= ~bit;
  setHiZero(c, r);
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
    c.byteHiOwed &= ~(<u32>1 << <u32>r);
  } else {
    if ((c.byteHiOwed >> <u32>r) & 1) payHighZero(c, r); // first: the next instruction may find the low word
    setLo(c, r, dl);
  }
}

/**
 * rd = the bytes of r's deferred value with shifts in [low, low + 32), shifted by s - low, or-ed; address
 * register a. Uses r3. The accesses it makes; `dry`: only counted, nothing emitted.
 */
function emitWord(c: Context, r: i32, rd: i32, a: i32, low: i32, dry: bool = false): i32 {
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
    if (!dry) c.emit(movImm(rd, 0));
    return 0;
  }
  const s0 = unchecked(c.byteShifts[at + first]);
  const o0 = unchecked(c.byteOffs[at + first]);
  // one access and a byte swap when the bytes are each place of `count` bytes exactly once, in reverse order
  let backward = (count == 2 || count == 4) && s0 == low;
  for (let j = 0; j < n && backward; j++) {
    const s = unchecked(c.byteShifts[at + j]);
    if (s < low || s >= low + 32) continue;
    const d = s - s0;
    for (let q = 0; q < j; q++) if (unchecked(c.byteShifts[at + q]) == s) backward = false;
    if ((d & 7) != 0 || (d >> 3) >= count || unchecked(c.byteOffs[at + j]) - o0 != -(d >> 3)) backward = false;
  }
  if (backward) {
    if (dry) return 1;
    const start = o0 - (count - 1);
    if (count == 2) {
      c.emit(ldrh(rd, a, start));
      c.emit(rev16(rd, rd));
    } else {
      c.emit(ldr(rd, a, start));
      c.emit(rev(rd, rd));
    }
    return 1;
  }
  // else in runs: bytes at consecutive offsets with shifts 8 apart, 4 or 2 of them one LDR or LDRH, or-ed in with
  // their shift (each byte once: two bytes in one place are two runs)
  let left = 0; // bytes of this word still to emit (bit j)
  for (let j = 0; j < n; j++) {
    const s = unchecked(c.byteShifts[at + j]);
    if (s >= low && s < low + 32) left |= 1 << j;
  }
  let into = rd;
  let loads = 0;
  while (left != 0) {
    let j0 = -1;
    for (let j = 0; j < n; j++) {
      if ((left >> j) & 1 && (j0 < 0 || unchecked(c.byteShifts[at + j]) < unchecked(c.byteShifts[at + j0]))) j0 = j;
    }
    const s = unchecked(c.byteShifts[at + j0]);
    const o = unchecked(c.byteOffs[at + j0]);
    let run = 1;
    let taken = 1 << j0;
    let two = taken; // the bytes of a run of two
    for (let q = 1; q < 4; q++) {
      const next = byteAt(c, r, left & ~taken, s + 8 * q, o + q);
      if (next < 0 || s - low + 8 * (q + 1) > 32) break;
      taken |= 1 << next;
      if (q == 1) two = taken;
      run++;
    }
    if (run == 3) {
      run = 2;
      taken = two;
    }
    loads++;
    if (!dry) {
      c.emit(run == 4 ? ldr(into, a, o) : run == 2 ? ldrh(into, a, o) : ldrb(into, a, o));
      if (into == rd) {
        if (s != low) c.emit(shiftImm(SH_LSL, rd, rd, <u32>(s - low)));
      } else c.emit(dpReg(AL, OP_ORR, 0, rd, rd, R3, SH_LSL, <u32>(s - low)));
    }
    left &= ~taken;
    into = R3;
  }
  return loads;
}

/** Among the bytes `among` (bit j) of r's deferred value, the one at offset o with shift s, else -1. */
function byteAt(c: Context, r: i32, among: i32, s: i32, o: i32): i32 {
  for (let j = 0; j < unchecked(c.byteCount[r]); j++) {
    if ((among >> j) & 1 && unchecked(c.byteShifts[r * MAX_BYTES + j]) == s && unchecked(c.byteOffs[r * MAX_BYTES + j]) == o) return j;
  }
  return -1;
}
