// A loop copy's own register allocation (versioned.ts): the whole program's choice (translate.ts
// allocateRegisters) gives three eBPF registers an ARM pair each, but a hot loop mostly works on other registers,
// often 32-bit values whose high words are known to be zero there (loops.ts loopZeroHigh). On entry to the
// outermost copy, the registers and wide constants the loop uses most go to ARM registers: r4-r9, and r10 and ip
// too when nothing in the copy is checked (the ordinary code's address scratch; lr then replaces ip as the
// emitters' scratch, XR). A register whose high word is zero at every block start of the copy takes only one ARM
// register, its high word staying in the register file (regs.ts keeps the two words' places apart), so up to
// eight eBPF registers live in ARM registers in a loop instead of three, and more where the copy's code leaves
// some of the scratch registers r0-r3 alone (borrowed.ts). The wide constants: immediates no ARM
// immediate encodes, lddw's words and the multipliers and divisors of divisions by constants (divide.ts), each
// used from its register instead of a MOVW + MOVT (regs.ts constIn, loopConstant); and the multipliers one MOV
// makes that a product reads from a register all the same (keptMultiplier), each use then a MOV fewer. The choice
// is the set that saves the most within the ARM registers free (a knapsack over the candidates' estimated savings
// per trip; a rotation, emitted as a whole, counts its source and result once, and its temporary only where it is
// computed).
//
// The ordinary code may keep a register's low word alone in an ARM register (lowords.ts): the copy keeps it there,
// and where it chooses that register's both words, its high word goes to a free ARM register too.
//
// Every way out of the copy goes through copies.ts leave(), which emits exitMoves: the copy's ARM-held words back
// to the register file (only for registers the loop writes: the others' slots are still valid; no low word of a
// register nothing reads after the way out), then the ordinary code's ARM registers reloaded. A register both
// choices keep in the same ARM register moves neither way.
// The alternative, liveness-based allocation inside the copy (two eBPF registers with disjoint live ranges
// sharing one ARM register), would need a live-range analysis over the copy and its inner copies.

import { IP, LR, R10, R11, R4, immRot, ldr, str } from "../a32/encoder";
import { isLowMask } from "../a32/code";
import {
  MAX_ACCESSES, accInsn, inOwnFrame, loopAccesses, loopExitAt, loopHead, loopIvAt, loopLast, loopPromotable,
  loopWrites, loopZeroHigh, narrowAdd, reloadsBound, loopFacts, loopExitsBounded,
} from "../analysis/loops";
import { leavesLoop, onExitPath } from "../analysis/exitpaths";
import { Context, F_LEADER, dstOf, flagOf, immOf, offOf, opcode, operandRegs, srcOf } from "./context";
import {
  ALU_ADD, ALU_AND, ALU_ARSH, ALU_LSH, ALU_MOD, ALU_MOV, ALU_MUL, ALU_OR, ALU_RSH, ALU_SUB, CLS_ALU, CLS_ALU64, CLS_JMP,
  CLS_JMP32,
  SRC_X,
} from "../../isa";
import { unsignedMagic32 } from "../../divmagic";
import * as ranges from "../analysis/ranges";
import { S_REGS } from "../../../targets/arm32/image";
import { isConstantPair, rotationLength } from "./shapes";
import { liveAt } from "./liveness";
import { isProductPair, shifterFactor } from "./products";
import { SCRATCH, borrowedBy, chosenBefore, endBody, noteChosen, startBody } from "./borrowed";

const REGS = 11; // candidates 0-10: eBPF registers; from REGS on: the wide constants found
const MAX_CANDIDATES = 32;
const POOL_LOW: u32 = 0x3f0; // r4-r9
/** The widest operand (bits) of an add whose high word only a carry reaches (carryhigh.ts carryHighOk). */
export const NARROW = 16;

/** At loop k's outermost copy, before its first instruction: the copy's allocation, and the moves into it. */
export function enterLocal(c: Context, k: i32): void {
  // one ARM register: a zero high word at every block start of the copy, or one the loop never writes and that
  // is zero on entry (r10's, the input's address); not when some instruction may write a high word other than 0
  // (a store to the register file each time)
  const entryZero = loopZeroHigh(k) | (c.hiZero & ~loopWrites(k)) | (<u32>1 << 10);
  const spare = borrowedBy(k);
  const nconst = scoreCandidates(c, k, entryZero, spare != 0);
  // r4-r9, then r10 and ip, then the scratch registers the copy's code names nowhere (borrowed.ts)
  const free = (loopPromotable(k) ? 8 : 6) + <i32>popcnt(spare);
  let zero = entryZero & ~c.candWide;
  // a register whose high word few instructions touch: its low word alone, each of those paying a load or store
  for (let r = 0; r < REGS; r++) {
    const hiUses = unchecked(c.candHiUses[r]);
    if (((zero >> <u32>r) & 1) != 0 || hiUses * 2 > unchecked(c.candScore[r])) continue;
    zero |= <u32>1 << <u32>r;
    unchecked(c.candScore[r] -= hiUses);
  }
  // A loop left early (a search) may run few trips each time: the registers the ordinary code keeps in ARM
  // registers stay in them, both words (no moves for them), the others take what is left (r10 and ip).
  let chosen: u32 = 0;
  let used = 0;
  if (leftEarly(c, k)) {
    // Those with both words held cost two, a low word held alone one; then, in order, such a low word's high
    // word takes an ARM register too where the copy wants it and one is left. (The ordinary code holds at most
    // r4-r9, so all of them fit in `free`; wanting a high word for each could exceed it: none would be left.)
    let alone: u32 = 0;
    for (let r = 0; r < REGS; r++) {
      if (unchecked(c.armLo[r]) < 0) continue;
      const bit = <u32>1 << <u32>r;
      chosen |= bit;
      if (unchecked(c.armHi[r]) >= 0) zero &= ~bit;
      else if ((zero & bit) == 0) alone |= bit;
      used += unchecked(c.armHi[r]) >= 0 ? 2 : 1;
    }
    for (let r = 0; r < REGS; r++) {
      const bit = <u32>1 << <u32>r;
      if ((alone & bit) == 0) continue;
      if (used < free) used++;
      else zero |= bit; // its high word stays in the register file, as in the ordinary code
    }
  }
  // with scratch registers borrowed, first what the emission before chose (borrowed.ts chosenBefore), which fits
  if (spare != 0) {
    const before = chosenBefore(k) & ~chosen;
    let more = 0;
    for (let j = 0; j < REGS + nconst; j++) if ((before >> <u32>j) & 1) more += cost(j, zero);
    if (used + more <= free) {
      chosen |= before;
      used += more;
    }
  }
  // then the candidates that save the most in all within the ARM registers left: a knapsack (choosing by savings
  // per register would leave one unused that a register needing two could have had). c.score's entry n: the best
  // savings within n registers (high half) and the candidates taken (low half); at most 8 constants fit anyway.
  const room = free - used;
  for (let n = 0; n <= room; n++) unchecked(c.score[n] = 0);
  for (let j = 0; j < REGS + nconst; j++) {
    const s = <i64>unchecked(c.candScore[j]);
    if ((chosen >> <u32>j) & 1 || s <= 0) continue;
    const w = cost(j, zero);
    for (let n = room; n >= w; n--) {
      const take = unchecked(c.score[n - w]) + (s << 32) | <i64>(<u32>1 << <u32>j);
      if ((take >> 32) > (unchecked(c.score[n]) >> 32)) unchecked(c.score[n] = take);
    }
  }
  chosen |= <u32>unchecked(c.score[room]);
  noteChosen(k, chosen);
  // where: a register the ordinary code keeps in ARM registers stays in them; the others take free ones, those
  // no register of the ordinary code's holds first; an unchosen register of the ordinary code's whose ARM
  // registers nobody took stays too (no moves)
  const pool = POOL_LOW | (loopPromotable(k) ? bitOf(R10) | bitOf(IP) : 0) | spare;
  let taken: u32 = 0;
  let held: u32 = 0;
  for (let r = 0; r < REGS; r++) {
    unchecked(c.globalLo[r] = c.armLo[r]);
    unchecked(c.globalHi[r] = c.armHi[r]);
    if (unchecked(c.armLo[r]) >= 0) held |= bitOf(c.armLo[r]) | bitOf(c.armHi[r]);
    const keep = ((chosen >> <u32>r) & 1) != 0 && unchecked(c.armLo[r]) >= 0;
    if (keep && cost(r, zero) == 2) taken |= bitOf(c.armLo[r]) | bitOf(c.armHi[r]);
    else if (keep) taken |= bitOf(c.armLo[r]);
    if (!keep) unchecked(c.armLo[r] = -1);
    if (!keep || cost(r, zero) == 1) unchecked(c.armHi[r] = -1);
  }
  c.constCount = 0;
  for (let j = 0; j < REGS + nconst; j++) {
    if (((chosen >> <u32>j) & 1) == 0) continue;
    if (j >= REGS) {
      const a = next(pool & ~taken, held);
      unchecked(c.constValues[c.constCount] = c.candValue[j]);
      unchecked(c.constRegs[c.constCount] = a);
      taken |= bitOf(a);
      c.constCount++;
      continue;
    }
    if (unchecked(c.armLo[j]) >= 0) {
      // kept where the ordinary code keeps its low word alone (lowords.ts): its high word too, where chosen
      if (cost(j, zero) == 2 && unchecked(c.armHi[j]) < 0) {
        const b = next(pool & ~taken, held);
        unchecked(c.armHi[j] = b);
        taken |= bitOf(b);
      }
      continue;
    }
    const a = next(pool & ~taken, held);
    unchecked(c.armLo[j] = a);
    taken |= bitOf(a);
    if (cost(j, zero) == 2) {
      const b = next(pool & ~taken, held);
      unchecked(c.armHi[j] = b);
      taken |= bitOf(b);
    }
  }
  for (let r = 0; r < REGS; r++) {
    const gl = unchecked(c.globalLo[r]);
    if (gl < 0 || unchecked(c.armLo[r]) >= 0 || ((bitOf(gl) | bitOf(c.globalHi[r])) & taken) != 0) continue;
    unchecked(c.armLo[r] = gl);
    unchecked(c.armHi[r] = c.globalHi[r]);
    taken |= bitOf(gl) | bitOf(c.globalHi[r]);
  }
  // the ordinary code's ARM-held words that move go to the register file first, then the copy's are loaded
  for (let r = 0; r < REGS; r++) {
    const slot = S_REGS + 8 * r;
    if (c.globalLo[r] >= 0 && c.globalLo[r] != c.armLo[r]) c.emit(str(c.globalLo[r], R11, slot));
    if (c.globalHi[r] >= 0 && c.globalHi[r] != c.armHi[r]) c.emit(str(c.globalHi[r], R11, slot + 4));
  }
  for (let r = 0; r < REGS; r++) {
    const slot = S_REGS + 8 * r;
    if (c.armLo[r] >= 0 && c.globalLo[r] != c.armLo[r]) c.emit(ldr(c.armLo[r], R11, slot));
    if (c.armHi[r] >= 0 && c.globalHi[r] != c.armHi[r]) c.emit(ldr(c.armHi[r], R11, slot + 4));
  }
  for (let j = 0; j < c.constCount; j++) c.emitConst(c.constRegs[j], c.constValues[j]);
  c.localWrites = loopWrites(k);
  c.local = true;
  if ((taken & (bitOf(R10) | bitOf(IP))) != 0) c.XR = LR;
  startBody(c, k);
}

/** After the outermost copy's last way out: the ordinary code's allocation again. */
export function leaveLocal(c: Context): void {
  endBody(c);
  for (let r = 0; r < REGS; r++) {
    unchecked(c.armLo[r] = c.globalLo[r]);
    unchecked(c.armHi[r] = c.globalHi[r]);
  }
  c.local = false;
  c.constCount = 0;
  c.XR = IP;
}

/** Whether a way out of the copy to instruction `at` (-1: not known) moves any word (exitMoves emits something). */
export function exitMovesNeeded(c: Context, at: i32): bool {
  if (!c.local) return false;
  for (let r = 0; r < REGS; r++) {
    if (c.armLo[r] != c.globalLo[r] && (c.globalLo[r] >= 0 || writtenHere(c, r) && c.armLo[r] >= 0) &&
      loNeeded(c, r, at)) return true;
    if (c.armHi[r] != c.globalHi[r] && (c.globalHi[r] >= 0 || writtenHere(c, r) && c.armHi[r] >= 0)) return true;
  }
  return false;
}

/**
 * On a way out of the copy to instruction `at` (-1: not known): its ARM-held words of written registers stored, the
 * ordinary code's reloaded; not the low word of a register nothing reads from `at` on before writing it (a loop's
 * temporaries, left each time an inner loop ends). Its high word moves all the same: the ordinary code knows some
 * high words to be zero at its block starts, and the next 32-bit write of the register would not store that zero.
 */
export function exitMoves(c: Context, at: i32): void {
  const touched = c.touched; // the moves name the copy's registers wherever they are (borrowed.ts)
  const wrote = c.wrote;
  for (let r = 0; r < REGS; r++) {
    if (!writtenHere(c, r)) continue;
    const slot = S_REGS + 8 * r;
    if (c.armLo[r] >= 0 && c.armLo[r] != c.globalLo[r] && loNeeded(c, r, at)) c.emit(str(c.armLo[r], R11, slot));
    if (c.armHi[r] >= 0 && c.armHi[r] != c.globalHi[r]) c.emit(str(c.armHi[r], R11, slot + 4));
  }
  for (let r = 0; r < REGS; r++) {
    const slot = S_REGS + 8 * r;
    if (c.globalLo[r] >= 0 && c.globalLo[r] != c.armLo[r] && loNeeded(c, r, at)) {
      c.emit(ldr(c.globalLo[r], R11, slot));
    }
    if (c.globalHi[r] >= 0 && c.globalHi[r] != c.armHi[r]) c.emit(ldr(c.globalHi[r], R11, slot + 4));
  }
  c.touched = touched;
  c.wrote = wrote;
}

/** Whether a way out to instruction `at` (-1: not known) needs rn's low word where it was: something may read it. */
function loNeeded(c: Context, r: i32, at: i32): bool { return at < 0 || r >= 10 || liveAt(c, at, r); }

/** In a copy that keeps it in a register: the register holding constant `imm`, else -1. */
export function loopConstant(c: Context, imm: i32): i32 {
  for (let j = 0; j < c.constCount; j++) if (unchecked(c.constValues[j]) == <u32>imm) return unchecked(c.constRegs[j]);
  return -1;
}

function writtenHere(c: Context, r: i32): bool { return ((c.localWrites >> <u32>r) & 1) != 0; }

/** ARM registers a candidate takes: a constant or a register with a zero high word one, other registers two. */
function cost(j: i32, zero: u32): i32 { return j >= REGS || ((zero >> <u32>j) & 1) != 0 ? 1 : 2; }

function bitOf(reg: i32): u32 { return <u32>1 << <u32>reg; }

/**
 * An ARM register of `free` (not empty), one not in `avoid` if there is one, and of those one that is not a scratch
 * register (borrowed.ts) if there is one.
 */
function next(free: u32, avoid: u32): i32 {
  const m = (free & ~avoid) != 0 ? free & ~avoid : free;
  // (of the scratch registers the highest: r0 is named by the zero fields of many words, a32/code.ts postIndex)
  return (m & ~SCRATCH) != 0 ? <i32>ctz(m & ~SCRATCH) : 31 - <i32>clz(m);
}

/**
 * How much keeping each candidate in an ARM register saves per trip, roughly: one load or store per use of a
 * register, two instructions (MOVW, MOVT) per use of a wide constant; inner loops count 8 times. Returns the
 * number of constants found (candidates REGS on).
 */
function scoreCandidates(c: Context, k: i32, zero: u32, borrowing: bool): i32 {
  for (let j = 0; j < MAX_CANDIDATES; j++) unchecked(c.candScore[j] = 0);
  c.candWide = 0;
  for (let r = 0; r < REGS; r++) unchecked(c.candHiUses[r] = 0);
  let nconst = 0;
  let assembled: u32 = 0; // registers holding a byte-assembled word here (bytes.ts), as far as can be told
  let baseRead: u32 = 0; // the bases of byte-assembled words counted in this block
  // the rotation being gone through (shapes.ts, emitted by rotate.ts as a whole): its source read once, its
  // result written once, its temporary written once when the rotation computes it, else not at all (nor is c1 << r
  // of a product rotated)
  let rotationEnd = -1;
  let rotationUses: u32 = 0;
  let temporary = -1;
  for (let i = loopHead(k); i <= loopLast(k); i++) {
    if (onExitPath(k, i)) continue; // the ordinary code's (analysis/exitpaths.ts)
    const rotation = i > rotationEnd ? rotationLength(c, i) : 0;
    if (rotation > 0) {
      rotationEnd = i + rotation - 1;
      const t = dstOf(c, i);
      const computed = opcode(c, i) == 0xbc && rotation == 4 && liveAt(c, i + 4, t);
      temporary = computed ? -1 : t;
      const x = srcOf(c, i);
      const y = dstOf(c, rotationEnd);
      rotationUses = (<u32>1 << <u32>x) | (<u32>1 << <u32>y) | (computed ? <u32>1 << <u32>t : 0);
      // a 64-bit one by 32 swaps the words: three moves in ARM registers (in place, none until the block's end, or
      // at all where the value dies first: swaps.ts), a load and two stores in the register file; its result saves
      // nothing in ARM registers, its source (when elsewhere) one load (counting the in-place swap's saving as a
      // use chose worse for SipHash)
      if (opcode(c, i) == 0xbf && immOf(c, i + 1) == 32) rotationUses = y == x ? 0 : <u32>1 << <u32>x;
    }
    const inRotation = i <= rotationEnd;
    const w = weight(c, k, i);
    const op = opcode(c, i);
    const d = dstOf(c, i);
    if (flagOf(c, i) & F_LEADER) {
      assembled = 0;
      baseRead = 0;
    }
    if (d < 10) baseRead &= ~(<u32>1 << <u32>d); // (a load's base written by the load itself is read first)
    // the widths as the ordinary code's analysis found them: a division's multiplier depends on its dividend's
    if (i == loopHead(k) || (flagOf(c, i) & F_LEADER) != 0) c.ranges.loadState(c.widths + <usize>i * ranges.STATE_BYTES);
    const bits = min(c.ranges.widthNow(d < 10 ? d : 0), 32);
    // an add whose high word only a rare carry reaches (carryhigh.ts): not the sum of a copy just made (fuse.ts)
    const s = srcOf(c, i);
    const narrowOperand = (i == loopHead(k) || !isCopyOf(c, i - 1, d)) &&
      ((op & SRC_X) != 0 ? s < 10 && c.ranges.widthNow(s) <= NARROW : abs(immOf(c, i)) < 1 << NARROW);
    c.ranges.step(op, d, srcOf(c, i), offOf(c, i), immOf(c, i), op == 0x18 ? immOf(c, i + 1) : 0);
    const imm = immOf(c, i);
    if ((op == 0x34 || op == 0x94 || op == 0x37 || op == 0x97) && offOf(c, i) == 0 && imm > 2 && (imm & (imm - 1)) != 0) {
      // an unsigned division or remainder by a constant (divide.ts): its multiplier, and the divisor for MLS
      const m = <u32>unsignedMagic32(<u32>imm, bits);
      nconst = scoreConstant(c, m, twoWords(m) ? 2 * w : w, nconst);
      if ((op & 0xf0) == ALU_MOD) nconst = scoreConstant(c, <u32>imm, w, nconst);
    }
    // a step of a byte-assembled word emits nothing: only a byte load's base counts, once in a block until it is
    // written (the words' loads read it from the register that held it first: a32/code.ts holds())
    const step = byteStep(c, k, i, assembled);
    if (step != 0) {
      const base = <u32>1 << <u32>srcOf(c, i);
      if (op == 0x71 && (baseRead & base) == 0) use(c, srcOf(c, i), w);
      if (op == 0x71) baseRead |= base;
      assembled = step & 0x3ff;
      continue;
    }
    if (d < 10) assembled &= ~(<u32>1 << <u32>d);
    // a copy's destination saves nothing in an ARM register (a move instead of a store) unless its source is in
    // memory too: not counted
    // nor, where the copy borrows scratch registers (borrowed.ts), does a 64-bit copy's source whose high word may
    // not be 0: two MOVs from its ARM registers, where LDRD loads both words from the register file in one
    const wideSource = borrowing && op == 0xbf && ((zero >> <u32>s) & 1) == 0 ? <u32>0x10000 << <u32>s : 0;
    const operands = operandRegs(c, i) & ~(op == 0xbf || op == 0xbc ? <u32>1 << <u32>d : 0) & ~wideSource;
    assembled &= ~(operands | (operands >> 16));
    const named = inRotation ? (i == rotationEnd ? rotationUses : 0) : operands;
    for (let r = 0; r < REGS; r++) {
      if ((named >> <u32>r) & 1) use(c, r, w);
      if ((named >> <u32>(16 + r)) & 1) use(c, r, w);
    }
    if (d < REGS && writesHigh(c, k, i, zero)) c.candWide |= <u32>1 << <u32>d;
    countHighUses(c, k, i, w, narrowOperand);
    if (wideOperand(c, i) && !(inRotation && d == temporary)) nconst = scoreConstant(c, <u32>immOf(c, i), 2 * w, nconst);
    else if (keptMultiplier(c, i)) nconst = scoreConstant(c, <u32>immOf(c, i), w, nconst);
    if (op == 0x18) {
      // lddw's words: a move from a kept constant instead of MOVW + MOVT, or nothing at all where its one use takes
      // the constant's register itself (fuse.ts, shapes.ts isConstantPair)
      const low = <u32>immOf(c, i), high = <u32>immOf(c, i + 1);
      const saved = isConstantPair(c, i) ? 2 * w : w;
      if (twoWords(low)) nconst = scoreConstant(c, low, saved, nconst);
      if (twoWords(high) && high != low) nconst = scoreConstant(c, high, saved, nconst);
      i++;
    }
  }
  return nconst;
}

/** Whether constant v takes two instructions (MOVW + MOVT). */
function twoWords(v: u32): bool { return immRot(v) < 0 && immRot(~v) < 0 && (v >>> 16) != 0; }

/** Constant v as a candidate saving `score` more; returns the number of constants found. */
function scoreConstant(c: Context, v: u32, score: i32, nconst: i32): i32 {
  let j = REGS;
  while (j < REGS + nconst && unchecked(c.candValue[j]) != v) j++;
  if (j == REGS + nconst && j < MAX_CANDIDATES) {
    unchecked(c.candValue[j] = v);
    nconst++;
  }
  if (j < MAX_CANDIDATES) unchecked(c.candScore[j] += score);
  return nconst;
}

/**
 * Whether instruction i of loop k is likely a step of a byte-assembled word (bytes.ts deferBytes) when `assembled`
 * holds the registers with such words: the registers that hold them after it, with bit 31 set; else 0.
 */
function byteStep(c: Context, k: i32, i: i32, assembled: u32): u32 {
  const op = opcode(c, i);
  const d = dstOf(c, i);
  const s = srcOf(c, i);
  const dbit = <u32>1 << <u32>d;
  const sbit = <u32>1 << <u32>s;
  if (d > 9) return 0;
  if (op == 0x71) {
    if (s == d || (assembled & sbit) != 0 || !(inOwnFrame(s, offOf(c, i), 1) || plannedWithin(c, k, i))) return 0;
    return assembled | dbit | 0x80000000;
  }
  const cls = op & 7;
  if ((cls != CLS_ALU && cls != CLS_ALU64) || (assembled & dbit) == 0) return 0;
  const code = op & 0xf0;
  if (code == ALU_LSH && (op & SRC_X) == 0) return assembled | 0x80000000;
  if (code == ALU_OR && (op & SRC_X) != 0 && s != d && (assembled & sbit) != 0) return assembled | 0x80000000;
  return 0;
}

/** Whether loop k or a loop inside it plans (leaves unchecked in its copy) the access at instruction i. */
function plannedWithin(c: Context, k: i32, i: i32): bool {
  for (let q = 0; q < c.loops; q++) {
    if (loopHead(q) < loopHead(k) || loopLast(q) > loopLast(k)) continue;
    for (let j = 0; j < loopAccesses(q); j++) if (accInsn(q * MAX_ACCESSES + j) == i) return true;
  }
  return false;
}

/**
 * Whether instruction i of loop k may write its destination's high word with something else than 0, roughly: a
 * 64-bit load, a wide lddw, a 64-bit operation other than a copy's address or index step (32 bits wide there,
 * copies.ts addressAdd), a non-negative constant or a copy of another such register.
 */
function writesHigh(c: Context, k: i32, i: i32, zero: u32): bool {
  const op = opcode(c, i);
  if (op == 0x79) return !reloadsBound(c, k, i);
  if (op == 0x18) return immOf(c, i + 1) != 0;
  if ((op & 7) != CLS_ALU64) return false;
  const code = op & 0xf0;
  const x = (op & SRC_X) != 0;
  if (!x && immOf(c, i) >= 0 && (code == ALU_MOV || code == ALU_AND || code == ALU_RSH || code == ALU_ARSH)) return false;
  if (x && code == ALU_MOV && (zero >> <u32>srcOf(c, i)) & 1) return false;
  return !indexOrAddress(c, k, i);
}

/**
 * The registers whose high word instruction i of loop k may read or write, with what that costs when the high
 * word is in the register file (w per load or store), roughly. An add or subtract of a narrow value
 * (`narrowOperand`: an immediate or a register ranges.ts finds at most 16 bits wide before i) costs none: only
 * its rare carry reaches that word (carryhigh.ts).
 */
function countHighUses(c: Context, k: i32, i: i32, w: i32, narrowOperand: bool): void {
  const op = opcode(c, i);
  const cls = op & 7;
  const d = dstOf(c, i);
  const s = srcOf(c, i);
  const x = (op & SRC_X) != 0;
  if (op == 0x79 && !reloadsBound(c, k, i) || (op == 0x18 && immOf(c, i + 1) != 0)) highUse(c, d, w);
  else if (op == 0x7b) highUse(c, s, w);
  else if (cls == CLS_ALU64 && ((op & 0xf0) == ALU_ADD || (op & 0xf0) == ALU_SUB) && narrowOperand) return;
  else if (cls == CLS_ALU64 && !indexOrAddress(c, k, i)) {
    highUse(c, d, (op & 0xf0) == ALU_MOV ? 2 * w : 3 * w); // (a load,) the operation, a store
    if (x) highUse(c, s, w);
  } else if (cls == CLS_JMP && (op & 0xf0) != 0x00 && (op & 0xf0) != 0x80 && (op & 0xf0) != 0x90) {
    highUse(c, d, w);
    if (x) highUse(c, s, w);
  }
}

function highUse(c: Context, r: i32, w: i32): void {
  if (r < REGS) unchecked(c.candHiUses[r] += w);
}

/** Whether instruction j copies a register into d (`mov d, s`, 32 or 64 bits). */
function isCopyOf(c: Context, j: i32, d: i32): bool {
  const op = opcode(c, j);
  return (op == (CLS_ALU64 | ALU_MOV | SRC_X) || op == (CLS_ALU | ALU_MOV | SRC_X)) && dstOf(c, j) == d;
}

/** An add the copy of loop k (or of a loop inside it) makes 32 bits wide (loops.ts narrowAdd). */
function indexOrAddress(c: Context, k: i32, i: i32): bool {
  if ((opcode(c, i) & 0xf0) != ALU_ADD) return false;
  for (let q = 0; q < c.loops; q++) {
    if (loopHead(q) < loopHead(k) || loopLast(q) > loopLast(k)) continue;
    if (narrowAdd(c, q, i)) return true;
  }
  return false;
}

/**
 * Whether loop k may run few trips each time it is entered: a jump in it leaves it before the last instruction (a
 * search), unless each of its ways out is a bounded counter's test (analysis/facts.ts loopExitsBounded). (A loop inside a loop the ordinary code runs is entered often too, but may run many trips each time:
 * fletcher32's blocks of 359, a matrix product's rows.)
 */
function leftEarly(c: Context, k: i32): bool {
  if (loopFacts(k) && loopExitsBounded(k)) return false;
  const h = loopHead(k), l = loopLast(k);
  for (let i = 0; i < c.count; i++) {
    const op = opcode(c, i);
    if (op == 0x18) { i++; continue; }
    const cls = op & 7;
    if ((cls != CLS_JMP && cls != CLS_JMP32) || (op & 0xf0) == 0x80 || (op & 0xf0) == 0x90) continue;
    const t = op == 0x06 ? i + 1 + immOf(c, i) : i + 1 + offOf(c, i);
    // (not the exit test before a closing `ja` to the head: clang's rotated loops)
    // (or a rotated loop's, or one falling through into its exit path there)
    const exitTest = (i == l - 1 && (opcode(c, l) & 0xf7) == 0x05) || i == loopExitAt(k) ||
      (i + 1 == loopExitAt(k) && t >= h && t <= l && !onExitPath(k, t));
    // (its exit path's jumps are not the loop's: analysis/exitpaths.ts)
    if (i >= h && i < l && !onExitPath(k, i) && leavesLoop(c, k, h, l, i) && !exitTest) return true;
  }
  return false;
}

function use(c: Context, r: i32, w: i32): void {
  if (r < REGS) unchecked(c.candScore[r] += w);
}

/** How often instruction i of loop k runs, roughly: 8 times per loop around it inside k (a backward jump's range). */
export function weight(c: Context, k: i32, i: i32): i32 {
  let w = 1;
  for (let j = i; j < loopLast(k); j++) {
    const cls = opcode(c, j) & 7;
    if ((cls == CLS_JMP || cls == CLS_JMP32) && (opcode(c, j) & 0xf0) != 0x80 && (opcode(c, j) & 0xf0) != 0x90) {
      const t = opcode(c, j) == 0x06 ? j + 1 + immOf(c, j) : j + 1 + offOf(c, j);
      if (t > loopHead(k) && t <= i && w < 64) w <<= 3;
    }
  }
  return w;
}

/**
 * A product by a constant that one MOV makes (wider ones are wideOperand's) and that MUL, UMULL or MLA reads from a
 * register: a 64-bit product, or a 32-bit one the shifter does not make (alu.ts emitMul32Imm) or that an add makes
 * one MLA (products.ts isProductPair: `h = h * 33 + c`). Kept in a register, each use saves that MOV.
 */
function keptMultiplier(c: Context, i: i32): bool {
  const op = opcode(c, i);
  if ((op & 0xf0) != ALU_MUL || (op & SRC_X) != 0 || offOf(c, i) != 0) return false;
  if ((op & 7) == CLS_ALU64) return true;
  if ((op & 7) != CLS_ALU) return false;
  return !shifterFactor(<u32>immOf(c, i)) || isProductPair(c, i) && (flagOf(c, i + 1) & F_LEADER) == 0;
}

/**
 * An ALU operation or a comparison with a constant none of whose forms fits an ARM immediate (a MOVW and a MOVT
 * each time; CRC-32's polynomial, a hash's primes).
 */
function wideOperand(c: Context, i: i32): bool {
  const op = opcode(c, i);
  const cls = op & 7;
  if ((op & SRC_X) != 0 || op == 0x18) return false;
  const code = op & 0xf0;
  if (cls == CLS_ALU || cls == CLS_ALU64) {
    if (code != 0x00 && code != 0x10 && code != 0x20 && code != 0x40 && code != 0x50 && code != 0xa0) return false;
  } else if (cls == CLS_JMP || cls == CLS_JMP32) {
    if (code == 0x00 || code == 0x80 || code == 0x90) return false;
  } else return false;
  const v = <u32>immOf(c, i);
  // an AND with a mask of low bits is one UXTH or UBFX (a32/code.ts emitLowBits): no constant
  const alu = cls == CLS_ALU || cls == CLS_ALU64;
  if (code == ALU_AND && alu && isLowMask(v) && (!c.armv6 || v == 0xffff)) return false;
  return immRot(v) < 0 && immRot(~v) < 0 && immRot(-v) < 0;
}
