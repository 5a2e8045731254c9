// Loops no counted plan takes (loops.ts), whose accesses are bounded by the loop's own compares: a state machine
// over a buffer (`for (i = 0; i < len; i++) { d = p[i] - '0'; if (d < 10) ... else if (in) ... }` as clang lays it
// out: several ways around, i bumped in two places, the bound tested in each), a match loop with two exits
// (`while (l < 32 && a[q + l] == a[p + l]) l++`). Each access there is `*(base + X + c)` right after an unsigned
// compare `X + k < B` (or <=) that let the trip go on, base and B not written in the loop: the access lies in
// [base + c - k, base + c - k + B + size), whatever path the trip took. versioned.ts tests the union of those
// ranges once on entry (facttest.ts) and runs an unchecked copy of them; every other access of the copy stays checked.
//
// The analysis is a forward dataflow over the blocks of the range [h, l] (h its only entry, its exit path aside,
// analysis/exitpaths.ts), iterated to a fixed point. Per register, at each point:
//   - SUM: a sum of registers the loop does not write (r10 among them), the value of one frame slot it never
//     stores to (reloaded in the loop: the pointer clang spilled) and a constant;
//   - VAR: terms + v + off, v an unknown value named by where it was made (an instruction writing it, a join of
//     differing values at a block start, the value on entry): registers naming the same v hold values that
//     differ by their offsets, so a compare on one bounds them all. When a name is made again (the instruction runs
//     again, the block is entered again), any other register still naming it is forgotten (TOP). With a bound:
//     value - terms lies in [lo, B + hi] (B a register the loop does not write, or 0 for a constant bound), an
//     interval of the 64-bit value (B's high word is zero, tested on entry, and |lo|, |hi| stay below 2^20).
//   - TOP: nothing known.
// An unsigned 64-bit compare of Y = v + off with B bounds Y to [0, B - 1] (or [0, B]) on the edge where the test
// holds, and every register naming v accordingly. An equality test `Y == B` (or K) moves an end of Y's bound that
// equals B past it on the edge where Y differs: a counter stepped by 1 towards B stays below it (`l++; if (l ==
// 32) break`, clang's form of `while (l < 32 && ...)`). At a join the values of all incoming edges meet: the same
// name and offset keep it (the bounds' union), others get a new name (with the union of their bounds when they
// have the same terms and bound). A constant bound whose top still grows after a few passes is widened to the next
// limit a compare's constant K sets (K - 1, K or K + 1: a counter an inner loop starts at a constant on every entry
// and steps to K), kept when the next pass leaves it there, else dropped. The sum of two bounded values is bounded
// by their bounds' sum (one of them constant: an index below B plus an inner loop's counter below K). A value of
// constant bound [lo, hi] shifted left by k is in [lo << k, hi << k] (an index scaled to bytes: `a + (m << 1)`).
// The sum of two unknown values is a new name, and the state remembers it as their sum (a few such sums, kept
// while both operands' names and the sum's are the values they were, and at a join where both ways know it): the
// same two names summed again, with terms or constants around them, name that value again, and take the bound a
// compare gave it (`i + j < len` compared, then `(p + i) + j` read). So that this survives the blocks between, a
// block with one way in takes that way's state as it is (no join to rename its values), and at a join registers
// that differ by a constant on both ways in (`p + i` and i) are renamed alike.
//
// Bounds relative to B relate the values the loop makes (analysis/scaled.ts): a bound may be a multiple of B
// (B << scale), so that two values below B sum below 2B, halve back below B and scale to bytes below B << 2. An
// unsigned compare Y < Z of two such values bounds Y below Z's top and Z past Y's bottom; a constant (or B + c) met
// with a value below B is below B too. A binary search (`while (lo < hi) { mid = (lo + hi) >> 1; if (a[mid] < key) lo
// = mid + 1; else hi = mid; }`, lo = 0 and hi = n on entry) then keeps lo <= hi <= n at its head, by induction over
// its ways back, and mid in [0, n - 1] at its read: a[mid] in a[0..n). A 32-bit operation or compare counts as the
// 64-bit one where the values are known to lie in [0, 2^32): constants, and values at least 0 below B, B then
// tested below 2^28 on entry (taken so only where B bounds an access). The code falling into h may set the entry
// values (`lo = 0; hi = n` before a search tested at its top): those are assumed where that bounds more accesses,
// and checked on entry as any assumption.
//
// The values on entry are the registers' own; a register the loop writes and that joins, at some block start, a
// bounded value of itself (`i < n` on entry, as the guard before a rotated loop made it) or the frame slot's value
// may be assumed to hold it on entry, as may one whose entry value plus off an equality test compares with B
// (assumed at most B - off: the counter starts at most at its bound): the analysis is run again with the
// assumption, and the test checks it (facttest.ts; registers not live at h need no check: no access reads their
// entry value). The value so met may be another register's entry value copied (a selection sort's `m = i` before
// its inner loop, m then only ever an earlier j): that register is assumed bounded as the other way in is. A
// constant bound's lowest value is assumed too (j = i + 1 at least 1 on entry, so that `m = j - 1` stays at or past
// 0), but only where that bounds more accesses than the run without it: such an assumption fails on an entry at 0.
//
// The range is the one around a backward jump, grown down to the lowest block any jump inside it goes back to;
// when that range (a loop around this one, whose latch is this loop's way out) bounds no access, the loop's own
// range, from its jump's target, is tried too (lz_match: the window loop of match searches inside the loop over
// positions); when it bounds some, the loop's own range is kept instead if it bounds more of the accesses inside
// it, those run on every trip of the inner loop (sel_sort: the outer range bounds a[i], the inner one a[m]).
import { Context } from "../jit/context";
import { markExitPath, onExitPath } from "./exitpaths";
import { liveAt } from "../jit/liveness";
import {
  MAX_ACCESSES, MAX_LOOPS, NO_SLOT, SLOT_BIT, accInsn, accRegs, loopAccesses, addAccess, dstAt, immAt, inOwnFrame, leaderAt, loopFacts,
  loopHead, loopLast, lowestTarget, opAt, overlaps, setFactLoop, setIvStep, setFactZeroHigh, setLoopBaseSlot, setLoopExitsBounded, sizeBytes, slotUnwritten,
  srcAt, targetOf, writes, setFactCounters, setFactSmall, factCounterMask, packFactCounters, FACT_MARGIN_LIMIT,
} from "./loops";
import { analyseStrides, recordStride, setTripBound, tripBlock } from "./strides";
import { CLS_JMP, CLS_LDX, CLS_ST, CLS_STX } from "../../isa";
import { boundReg, isRegBound, scaleOf, scaledBy } from "./scaled";

const MAX_INSNS: i32 = 128; // loops.ts MAX_LOOP_INSNS: the exit path's bitmap
const MAX_BLOCKS: i32 = 32;
const MAX_PASSES: i32 = 12;
const WIDEN_AFTER: i32 = 4;
const LIMIT: i64 = 1 << 20; // |lo|, |hi|, offsets of a bound
const REGS: i32 = 10; // r10 is never written: always the sum of itself
const WORDS: i32 = 5; // per register: kind | bound << 2 | terms << 8, name, offset, lo, hi
// then the sums the state knows (SUMS of them): name X's value is name A's plus name B's plus a constant
const SUMS: i32 = 4;
const SUM_WORDS: i32 = 4; // X (0: none), A, B, the constant
const SUMS_AT: i32 = REGS * WORDS;
const STATE: i32 = SUMS_AT + SUMS * SUM_WORDS;
const WORK: i32 = MAX_BLOCKS; // the state walked through a block
const EDGE: i32 = MAX_BLOCKS + 1; // the state on one of its ways out
const SAVED: i32 = MAX_BLOCKS + 2; // a block's state before a meet changes it
const states = new StaticArray<i32>((MAX_BLOCKS + 3) * STATE);
const blockStarts = new StaticArray<i32>(MAX_BLOCKS);
const visited = new StaticArray<bool>(MAX_BLOCKS);
const assumed = new StaticArray<i32>(REGS); // per register: the entry assumption of this run (ASSUME_*)
const noted = new StaticArray<i32>(REGS); // the assumptions the run found useful

const TOP = 1, SUM = 2, VAR = 3; // (0: no edge reached the block yet)
const NO_BOUND = 0, CONST_BOUND = 15; // else the bound register + 1 | scale << SCALE_AT (scaled.ts)

/** An assumption on a register's value on entry, kept in loop k's STEP_TABLE row (loops.ts loopIvStep). */
export const ASSUME_SLOT: i32 = 1; // equal to the base slot's value
export const ASSUME_REG: i32 = 2; // at most B + adj: 2 | B << 2 | adj << 8
export const ASSUME_CONST: i32 = 3; // in [lo, hi]: 3 | hi << 2 | lo << ASSUME_LO_AT (hi < 2^20, lo < 2^8)
export const ASSUME_LO_AT: i32 = 22;
const MAX_ASSUMED_LO: i64 = 255; // an ARM immediate (facttest.ts compares with it)
/** An ASSUME_CONST assumption's interval. */
export function assumedHi(a: i32): i32 { return (a >>> 2) & <i32>(LIMIT - 1); }
export function assumedLo(a: i32): i32 { return a >>> ASSUME_LO_AT; }

let blocks = 0;
let region = 0; // the loop being planned (its exit path)
let head = 0, last = 0; // its range
let mask = 0; // the registers the loop writes
let slot: i32 = 1; // the frame slot whose reloads are SUM(SLOT_BIT) (loops.ts NO_SLOT: none)
let added = false; // an assumption was added in this run
let pass = 0;

function at(s: i32, r: i32, w: i32): i32 { return unchecked(states[s * STATE + r * WORDS + w]); }
function put(s: i32, r: i32, w: i32, v: i32): void { unchecked(states[s * STATE + r * WORDS + w] = v); }
function kindOf(s: i32, r: i32): i32 { return r == 10 ? SUM : at(s, r, 0) & 3; }
function boundOf(s: i32, r: i32): i32 { return r == 10 ? NO_BOUND : (at(s, r, 0) >> 2) & 63; }
function termsOf(s: i32, r: i32): i32 { return r == 10 ? 1 << 10 : at(s, r, 0) >>> 8; }
function nameOf(s: i32, r: i32): i32 { return r == 10 ? 0 : at(s, r, 1); }
function offOf(s: i32, r: i32): i32 { return r == 10 ? 0 : at(s, r, 2); }

function set(s: i32, r: i32, kind: i32, bound: i32, terms: i32, name: i32, off: i64, lo: i64, hi: i64): void {
  if (off <= -LIMIT || off >= LIMIT) {
    // an offset out of reach: a name of its own (a constant of a SUM is any 32-bit value)
    if (kind != SUM || off < i32.MIN_VALUE || off > i32.MAX_VALUE) { put(s, r, 0, TOP); return; }
  }
  if (bound != NO_BOUND && (lo <= -LIMIT || lo >= LIMIT || hi <= -LIMIT || (bound != CONST_BOUND && hi >= LIMIT) ||
      hi > i32.MAX_VALUE || (bound == CONST_BOUND && lo > hi))) bound = NO_BOUND;
  put(s, r, 0, kind | bound << 2 | terms << 8);
  put(s, r, 1, name);
  put(s, r, 2, <i32>off);
  put(s, r, 3, <i32>lo);
  put(s, r, 4, <i32>hi);
}

/**
 * r: a new value named `name`; any other register naming it (an older value of that name) forgotten, and so is
 * every sum that names it (it held for the older value).
 */
function fresh(s: i32, r: i32, name: i32): void {
  for (let q = 0; q < REGS; q++) if (q != r && kindOf(s, q) == VAR && nameOf(s, q) == name) put(s, q, 0, TOP);
  for (let e = 0; e < SUMS; e++) {
    const at = s * STATE + SUMS_AT + e * SUM_WORDS;
    const x = unchecked(states[at]);
    if (x != 0 && (x == name || unchecked(states[at + 1]) == name || unchecked(states[at + 2]) == name)) unchecked(states[at] = 0);
  }
  put(s, r, 0, VAR);
  put(s, r, 1, name);
  put(s, r, 2, 0);
}

function copyState(to: i32, from: i32): void {
  memory.copy(changetype<usize>(states) + <usize>(to * STATE * 4), changetype<usize>(states) + <usize>(from * STATE * 4), <usize>(STATE * 4));
}

function copyReg(to: i32, d: i32, from: i32, r: i32): void {
  if (r == 10) { set(to, d, SUM, NO_BOUND, 1 << 10, 0, 0, 0, 0); return; }
  for (let w = 0; w < WORDS; w++) put(to, d, w, at(from, r, w));
}

/** The block starting at instruction i, or -1. */
function blockOf(i: i32): i32 {
  for (let b = 0; b < blocks; b++) if (unchecked(blockStarts[b]) == i) return b;
  return -1;
}

/** Instruction i's effect on state s (not a jump). */
function transfer(c: Context, s: i32, i: i32): void {
  const op = opAt(c, i);
  const cls = op & 7;
  if (cls == CLS_ST || cls == CLS_STX) return;
  const d = dstAt(c, i), r = srcAt(c, i);
  const imm = <i64>immAt(c, i);
  const name = (i + 1) << 5 | 16 | d;
  if (d >= REGS) return;
  const off16 = <i32>load<i16>(c.insns + (<usize>i << 3) + 2);
  if (op == 0xbf && off16 == 0) copyReg(s, d, s, r);
  else if (op == 0xb7) set(s, d, SUM, NO_BOUND, 0, 0, imm, 0, 0);
  else if (op == 0x18) {
    const v = <i64>(<u32>immAt(c, i)) | <i64>immAt(c, i + 1) << 32;
    if (v >= i32.MIN_VALUE && v <= i32.MAX_VALUE) set(s, d, SUM, NO_BOUND, 0, 0, v, 0, 0);
    else fresh(s, d, name);
  } else if (op == 0x07 || op == 0x17) addConst(s, d, op == 0x07 ? imm : -imm, name);
  else if (op == 0x0f) addReg(s, d, r, name);
  else if (op == 0x79 && r == 10 && load<i16>(c.insns + (<usize>i << 3) + 2) == slot) set(s, d, SUM, NO_BOUND, SLOT_BIT, 0, 0, 0, 0);
  else if (op == 0x67 && imm >= 0 && imm < 20) shiftLeft(s, d, <i32>imm, name);
  else if (op == 0x77 && imm >= 0 && imm < 64) shiftRight(s, d, <i32>imm, name);
  else if (cls == 4) transfer32(s, op, d, r, imm, off16, name);
  else fresh(s, d, name);
}

// Registers whose value the analysis took as its low word (a 32-bit operation on it, or a compare): the entry test
// checks them below 2^SMALL_BITS (scaled.ts), so only those bounding an access are let (planFacts): the test
// would refuse the loop for a pointer, whatever its accesses
let narrowed: u32 = 0;
let unnarrowable: u32 = 0;

/**
 * Whether r's value in s is known to lie in [0, 2^32): a constant, a value of bound [lo, ...] with lo at least 0
 * (a register bound taken small: see `narrowed`), a register the loop does not write, as it is (taken small).
 */
function small(s: i32, r: i32): bool {
  if (r >= REGS) return false;
  const kind = kindOf(s, r), t = termsOf(s, r);
  let b = -1;
  if (kind == SUM) {
    if (t == 0) return offOf(s, r) >= 0;
    if (offOf(s, r) != 0 || popcnt(t) != 1) return false;
    b = ctz(t);
  } else {
    if (kind != VAR || t != 0 || at(s, r, 3) < 0 || boundOf(s, r) == NO_BOUND) return false;
    if (boundOf(s, r) == CONST_BOUND) return true;
    b = boundReg(boundOf(s, r));
  }
  if (b >= REGS || ((unnarrowable >> <u32>b) & 1) != 0) return false;
  narrowed |= <u32>1 << <u32>b;
  return true;
}

/**
 * A 32-bit operation (ALU32): where its operands are known to lie in [0, 2^32) and its result too (its bound says
 * so), it is the 64-bit operation (the result zero-extended); anything else is a new unknown value.
 */
function transfer32(s: i32, op: i32, d: i32, r: i32, imm: i64, off16: i32, name: i32): void {
  if (op == 0xb4) {
    if (imm >= 0) set(s, d, SUM, NO_BOUND, 0, 0, imm, 0, 0);
    else fresh(s, d, name);
    return;
  }
  if (op == 0xbc && off16 == 0) {
    if (small(s, r)) copyReg(s, d, s, r);
    else fresh(s, d, name);
    return;
  }
  if (!small(s, d)) { fresh(s, d, name); return; }
  if (op == 0x04 || op == 0x14) addConst(s, d, op == 0x04 ? imm : -imm, name);
  else if (op == 0x0c && small(s, r)) addReg(s, d, r, name);
  else if (op == 0x74 && imm >= 0 && imm < 32) shiftRight(s, d, <i32>imm, name);
  else { fresh(s, d, name); return; }
  if (!small(s, d)) fresh(s, d, name);
}

/**
 * d >>= k (logical) of a value at least 0: a constant shifted, or a value in [lo, hi] (a constant bound) or in
 * [lo, (B << scale) + hi] with scale at least k, in [lo >> k, (B << (scale - k)) + (hi >> k)] (B << scale a
 * multiple of 2^k: the floor of the sum is B << (scale - k) plus hi's); with a smaller scale, or B + c, at most
 * what it was. Anything else is a new unknown value.
 */
function shiftRight(s: i32, d: i32, k: i32, name: i32): void {
  const kind = kindOf(s, d), bd = boundOf(s, d);
  if (kind == SUM && termsOf(s, d) == 0 && offOf(s, d) >= 0) {
    set(s, d, SUM, NO_BOUND, 0, 0, <i64>offOf(s, d) >> k, 0, 0);
    return;
  }
  const b = kind == SUM ? alone(s, d) : -1;
  if (b >= 0) {
    // B + c, c at least 0: in [c, B + c], at most that once shifted
    fresh(s, d, name);
    set(s, d, VAR, b + 1, 0, name, 0, <i64>offOf(s, d) >> k, offOf(s, d));
    return;
  }
  const lo = <i64>at(s, d, 3), hi = <i64>at(s, d, 4);
  const ok = kind == VAR && termsOf(s, d) == 0 && lo >= 0 && bd != NO_BOUND;
  fresh(s, d, name);
  if (!ok) return;
  if (bd == CONST_BOUND) set(s, d, VAR, bd, 0, name, 0, lo >> k, hi >> k);
  else if (scaledBy(bd, -k) >= 0) set(s, d, VAR, scaledBy(bd, -k), 0, name, 0, lo >> k, hi >> k);
  else set(s, d, VAR, bd, 0, name, 0, lo >> k, hi); // a value at least 0 shifted is at most itself
}

/** The register B when r's value in s is B + c (a SUM of one register the loop does not write, c at least 0), else -1. */
function alone(s: i32, r: i32): i32 {
  const t = termsOf(s, r);
  if (kindOf(s, r) != SUM || popcnt(t) != 1 || offOf(s, r) < 0) return -1;
  const b = ctz(t);
  return b < REGS ? b : -1;
}

/**
 * d <<= k: a constant shifted, or a value of constant bound [lo, hi] (no terms) in [lo << k, hi << k], or of
 * bound [lo, (B << scale) + hi] in [lo << k, (B << (scale + k)) + (hi << k)] up to MAX_SCALE. That is its value's
 * interval, not only mod 2^64: |lo|, |hi| < 2^20, B < 2^32 and k < 20 keep the products below 2^63 (an index below
 * n scaled to bytes, `a + (m << 1)`, stays below n << 1). Anything else is a new unknown value.
 */
function shiftLeft(s: i32, d: i32, k: i32, name: i32): void {
  const kind = kindOf(s, d);
  if (kind == SUM && termsOf(s, d) == 0) {
    set(s, d, SUM, NO_BOUND, 0, 0, <i64>offOf(s, d) << k, 0, 0);
    return;
  }
  const bd = boundOf(s, d);
  const to = bd == CONST_BOUND ? bd : isRegBound(bd) ? scaledBy(bd, k) : -1;
  const bounded = kind == VAR && termsOf(s, d) == 0 && to >= 0;
  const lo = <i64>at(s, d, 3) << k, hi = <i64>at(s, d, 4) << k;
  fresh(s, d, name);
  if (bounded) set(s, d, VAR, to, 0, name, 0, lo, hi);
}

function addConst(s: i32, d: i32, v: i64, name: i32): void {
  const kind = kindOf(s, d);
  if (kind == SUM) set(s, d, SUM, NO_BOUND, termsOf(s, d), 0, <i64>offOf(s, d) + v, 0, 0);
  else if (kind == VAR) {
    const b = boundOf(s, d);
    set(s, d, VAR, b, termsOf(s, d), nameOf(s, d), <i64>offOf(s, d) + v, <i64>at(s, d, 3) + v, <i64>at(s, d, 4) + v);
  } else fresh(s, d, name);
}

function addReg(s: i32, d: i32, r: i32, name: i32): void {
  const kd = kindOf(s, d), kr = kindOf(s, r);
  const td = termsOf(s, d), tr = termsOf(s, r);
  if (d != r && (td & tr) == 0 && kd == VAR && kr == VAR) { addBounded(s, d, r, name); return; }
  if (d == r || (td & tr) != 0 || (kd != SUM && kr != SUM) || kd < SUM || kr < SUM) { fresh(s, d, name); return; }
  if (kd == SUM && kr == SUM) {
    set(s, d, SUM, NO_BOUND, td | tr, 0, <i64>offOf(s, d) + <i64>offOf(s, r), 0, 0);
    return;
  }
  // a VAR plus a SUM: the VAR's name, the SUM's terms and constant added
  const v = kd == VAR ? d : r, k = kd == VAR ? r : d;
  const cst = <i64>offOf(s, k);
  set(s, d, VAR, boundOf(s, v), td | tr, nameOf(s, v), <i64>offOf(s, v) + cst, <i64>at(s, v, 3) + cst,
    <i64>at(s, v, 4) + cst);
}

/**
 * d += r, both unknown values (VAR): a new value, bounded by the sum of their intervals when both have one and at
 * most one of them grows with a register B (an index plus an inner loop's counter: `a[q + l]`, q < p, l < 32), or
 * both with the same multiple of B (scaled.ts).
 */
function addBounded(s: i32, d: i32, r: i32, name: i32): void {
  const bd = boundOf(s, d), br = boundOf(s, r);
  const terms = termsOf(s, d) | termsOf(s, r);
  const lo = <i64>at(s, d, 3) + <i64>at(s, r, 3), hi = <i64>at(s, d, 4) + <i64>at(s, r, 4);
  const nd = nameOf(s, d), nr = nameOf(s, r);
  const off = <i64>offOf(s, d) + <i64>offOf(s, r);
  if (sumAgain(s, d, nd, nr, terms, off)) return;
  fresh(s, d, name);
  // (without terms the new name's value is the whole sum: kept, so that the same sum made again is this value)
  if (terms == 0 && nd != name && nr != name) noteSum(s, name, nd, nr, off);
  if (bd == NO_BOUND || br == NO_BOUND) return;
  if (bd != CONST_BOUND && br != CONST_BOUND) {
    // two values below the same B << scale: their sum below B << (scale + 1) (lo + hi of a binary search)
    const twice = bd == br ? scaledBy(bd, 1) : -1;
    if (twice >= 0) set(s, d, VAR, twice, terms, name, 0, lo, hi);
    return;
  }
  set(s, d, VAR, bd != CONST_BOUND ? bd : br, terms, name, 0, lo, hi);
}

/**
 * d = terms + A + B + off, A and B names of values: where the state knows a value X = A + B + c (noteSum), d is
 * terms + X + (off - c), bounded as a register naming X without terms is. Clang computes `i + j` for a compare
 * and `p + i` then `(p + i) + j` for the access it guards (`while (i + j < len && p[i + j] ...)`): the compare's
 * bound holds for the access. Returns false where no sum matches.
 */
function sumAgain(s: i32, d: i32, a: i32, b: i32, terms: i32, off: i64): bool {
  for (let e = 0; e < SUMS; e++) {
    const at0 = s * STATE + SUMS_AT + e * SUM_WORDS;
    const x = unchecked(states[at0]);
    if (x == 0) continue;
    const ea = unchecked(states[at0 + 1]), eb = unchecked(states[at0 + 2]);
    if (!((ea == a && eb == b) || (ea == b && eb == a))) continue;
    const o = off - <i64>unchecked(states[at0 + 3]);
    if (o <= -LIMIT || o >= LIMIT) return false;
    // X's bound, from a register naming it without terms
    for (let q = 0; q < REGS; q++) {
      if (kindOf(s, q) != VAR || nameOf(s, q) != x || termsOf(s, q) != 0 || boundOf(s, q) == NO_BOUND) continue;
      const delta = o - <i64>offOf(s, q);
      set(s, d, VAR, boundOf(s, q), terms, x, o, <i64>at(s, q, 3) + delta, <i64>at(s, q, 4) + delta);
      return true;
    }
    set(s, d, VAR, NO_BOUND, terms, x, o, 0, 0);
    return true;
  }
  return false;
}

/** Notes in s that name x's value is a's plus b's plus c (replacing the oldest sum when all are taken). */
function noteSum(s: i32, x: i32, a: i32, b: i32, c: i64): void {
  if (c <= -LIMIT || c >= LIMIT || a == 0 || b == 0) return;
  let slot = SUMS - 1;
  for (let e = 0; e < SUMS; e++) if (unchecked(states[s * STATE + SUMS_AT + e * SUM_WORDS]) == 0) { slot = e; break; }
  const at0 = s * STATE + SUMS_AT + slot * SUM_WORDS;
  unchecked(states[at0] = x);
  unchecked(states[at0 + 1] = a);
  unchecked(states[at0 + 2] = b);
  unchecked(states[at0 + 3] = <i32>c);
}

/** Keeps in block b's state only the sums edge state e knows too. Returns whether one was dropped. */
function meetSums(b: i32, e: i32): bool {
  let changed = false;
  for (let j = 0; j < SUMS; j++) {
    const at0 = b * STATE + SUMS_AT + j * SUM_WORDS;
    if (unchecked(states[at0]) == 0) continue;
    let found = false;
    for (let k = 0; k < SUMS && !found; k++) {
      const at1 = e * STATE + SUMS_AT + k * SUM_WORDS;
      found = unchecked(states[at1]) == unchecked(states[at0]) && unchecked(states[at1 + 1]) == unchecked(states[at0 + 1]) &&
        unchecked(states[at1 + 2]) == unchecked(states[at0 + 2]) && unchecked(states[at1 + 3]) == unchecked(states[at0 + 3]);
    }
    if (!found) {
      unchecked(states[at0] = 0);
      changed = true;
    }
  }
  return changed;
}

/**
 * State s on the edge of the conditional jump at i where it is taken (or not): an unsigned 64-bit compare of a
 * register Y (a VAR without terms) with a bound B bounds Y to [0, B - 1] (or [0, B]) and every register naming
 * Y's value.
 */
function refine(c: Context, s: i32, i: i32, taken: bool): void {
  const op = opAt(c, i);
  // a 32-bit compare bounds the low words: the values where both are known to lie in [0, 2^32) (small)
  const narrow = (op & 7) == 6;
  if ((op & 7) != CLS_JMP && !narrow) return;
  const kind = op & 0xf0, x = (op & 8) != 0;
  if ((kind == 0x10 && !taken) || (kind == 0x50 && taken)) { if (!narrow) differs(c, s, i); return; }
  let y = -1, incl = false, first = true; // first: Y is the first operand
  if (kind == 0xa0 && taken) y = 0; // jlt Y, B
  else if (kind == 0xb0 && taken) { y = 0; incl = true; } // jle
  else if (kind == 0x30 && !taken) y = 0; // jge falls through: Y < B
  else if (kind == 0x20 && !taken) { y = 0; incl = true; }
  else if (x && kind == 0x20 && taken) { y = 0; first = false; } // jgt B, Y
  else if (x && kind == 0x30 && taken) { y = 0; first = false; incl = true; }
  else if (x && kind == 0xb0 && !taken) { y = 0; first = false; } // jle B, Y falls through: Y < B
  else if (x && kind == 0xa0 && !taken) { y = 0; first = false; incl = true; }
  if (y < 0) return;
  y = first ? dstAt(c, i) : srcAt(c, i);
  if (narrow && (!small(s, dstAt(c, i)) || (x && !small(s, srcAt(c, i))))) return;
  let bound: i32, hi: i64;
  if (first && !x) {
    if (immAt(c, i) < 0) return;
    bound = CONST_BOUND;
    hi = <i64>immAt(c, i) - (incl ? 0 : 1);
    if (hi < 0) return; // never holds
  } else {
    const b = first ? srcAt(c, i) : dstAt(c, i);
    if (b >= REGS) return;
    if ((mask & (1 << b)) != 0) { relate(s, y, b, incl); return; }
    bound = b + 1;
    hi = incl ? 0 : -1;
  }
  if (y >= REGS || kindOf(s, y) != VAR || termsOf(s, y) != 0) return;
  let lo: i64 = 0;
  if (boundOf(s, y) == bound) {
    if (<i64>at(s, y, 3) > lo) lo = at(s, y, 3);
    if (<i64>at(s, y, 4) < hi) hi = at(s, y, 4);
  }
  bind(s, y, bound, lo, hi);
}

/**
 * Y < Z (Y <= Z: incl), both values the loop makes: where Z is below B (a multiple of it), so is Y, and Z lies
 * above Y's bottom (at least 1 past it when strict): a binary search's `lo < hi` with hi <= n keeps lo below n, and
 * hi past lo at least 0. (Below a constant bound Z, Y is left as it was: `j <= need` with need <= 3 would bound a
 * read at `i + j` that only `i + j < len` keeps in the buffer, loosely enough to fail the test on entry.)
 */
function relate(s: i32, y: i32, z: i32, incl: bool): void {
  if (y >= REGS || z >= REGS || kindOf(s, y) != VAR || kindOf(s, z) != VAR || termsOf(s, y) != 0 || termsOf(s, z) != 0 ||
      nameOf(s, y) == nameOf(s, z)) return;
  const by = boundOf(s, y), bz = boundOf(s, z);
  const loY = <i64>at(s, y, 3), hiY = <i64>at(s, y, 4), loZ = <i64>at(s, z, 3), hiZ = <i64>at(s, z, 4);
  const step: i64 = incl ? 0 : 1;
  // (the compare is unsigned: an interval tells the value only where it starts at 0 or past it)
  if (loZ < 0) return;
  if (isRegBound(bz) && (by == NO_BOUND || by == bz || by == CONST_BOUND)) {
    // (a constant bound gives way to Z's: lo = 0 then `lo < hi` with hi <= n is lo < n, which a join keeps)
    let lo: i64 = by == NO_BOUND ? 0 : max(<i64>0, loY), hi = hiZ - step;
    if (by == bz) hi = min(hi, hiY);
    bind(s, y, bz, lo, hi);
  }
  if (by != NO_BOUND && bz != NO_BOUND && loY >= 0) bind(s, z, bz, max(loZ, loY + step), hiZ);
}

/** Y (a VAR without terms) in [lo, hi] over bound: so every register naming Y's value, by its offset from Y. */
function bind(s: i32, y: i32, bound: i32, lo: i64, hi: i64): void {
  const name = nameOf(s, y), offY = <i64>offOf(s, y);
  for (let r = 0; r < REGS; r++) {
    if (kindOf(s, r) != VAR || nameOf(s, r) != name) continue;
    const delta = <i64>offOf(s, r) - offY;
    let l2 = lo + delta, h2 = hi + delta;
    if (boundOf(s, r) == bound && r != y) {
      if (<i64>at(s, r, 3) > l2) l2 = at(s, r, 3);
      if (<i64>at(s, r, 4) < h2) h2 = at(s, r, 4);
    }
    set(s, r, VAR, bound, termsOf(s, r), name, offOf(s, r), l2, h2);
  }
}

/**
 * State s on the edge of the equality test at i where Y != K (K a constant, or a register B the loop does not write,
 * in either operand): a bound whose end is K moves past it. A counter stepping by 1 towards K from below therefore
 * stays below it (`while (l < 32 && ...)` as clang leaves it: `l++; if (l == 32) break`): when Y is its own entry
 * value plus off, unbounded, the run notes the assumption Y <= K on entry (entry value <= K - off), which the
 * next run starts from and the test checks (facttest.ts). A bound the assumption does not make stable (a step
 * other than 1, a start past K) widens and is dropped as any other.
 */
function differs(c: Context, s: i32, i: i32): void {
  let y = dstAt(c, i), bound = CONST_BOUND, k: i64 = <i64>immAt(c, i);
  if ((opAt(c, i) & 8) != 0) {
    // the register operand the loop does not write is the bound
    const r = srcAt(c, i);
    if (r < REGS && (mask & (1 << r)) == 0 && y != r) bound = r + 1;
    else if (y < REGS && (mask & (1 << y)) == 0 && y != r) { bound = y + 1; y = r; }
    else return;
    k = 0;
  } else if (k < 0) return;
  if (y >= REGS || kindOf(s, y) != VAR || termsOf(s, y) != 0) return;
  const name = nameOf(s, y), offY = <i64>offOf(s, y);
  if (boundOf(s, y) == NO_BOUND) {
    // its entry value plus off (names 1-10 are the registers' values on entry): assume Y <= K there
    if (name < 1 || name > REGS) return;
    const r = name - 1;
    if (bound == CONST_BOUND) {
      if (k - offY < 0 || k - offY >= LIMIT) return;
      noteBound(r, ASSUME_CONST | <i32>(k - offY) << 2);
    } else {
      if (-offY < -2048 || -offY > 2047) return;
      noteBound(r, ASSUME_REG | (bound - 1) << 2 | <i32>(-offY) << 8);
    }
    return;
  }
  if (boundOf(s, y) != bound) return;
  // Y's interval [lo, hi] (over B for a register bound: K is B + 0) loses an end equal to K
  let lo = <i64>at(s, y, 3), hi = <i64>at(s, y, 4);
  if (hi == k) hi--;
  else if (lo == k && bound == CONST_BOUND) lo++;
  else return;
  for (let r = 0; r < REGS; r++) {
    if (kindOf(s, r) != VAR || nameOf(s, r) != name || boundOf(s, r) != bound) continue;
    const delta = <i64>offOf(s, r) - offY;
    set(s, r, VAR, bound, termsOf(s, r), name, offOf(s, r), max(<i64>at(s, r, 3), lo + delta), min(<i64>at(s, r, 4), hi + delta));
  }
}

/** Records the assumption a (ASSUME_CONST or ASSUME_REG) on register r's entry value (see noteAssumption). */
function noteBound(r: i32, a: i32): void {
  if (unchecked(assumed[r]) != 0 || unchecked(noted[r]) != 0 || (mask & (1 << r)) == 0) return;
  unchecked(noted[r] = a);
  added = true;
}

function sameReg(a: i32, b: i32, r: i32): bool {
  const k = kindOf(a, r);
  if (k != kindOf(b, r)) return false;
  if (k == TOP) return true;
  for (let w = 0; w < WORDS; w++) {
    if (w >= 3 && (k != VAR || boundOf(a, r) == NO_BOUND)) break;
    if (at(a, r, w) != at(b, r, w)) return false;
  }
  return true;
}

/**
 * The register q whose value on entry register r holds in s, with no assumption (see the header): r's own, or a
 * copy of another's (`m = i` before an inner loop that keeps `m = j` or m: m's join meets i's entry value); or -1.
 */
function entryOf(s: i32, r: i32): i32 {
  if (kindOf(s, r) != VAR || offOf(s, r) != 0 || termsOf(s, r) != 0 || boundOf(s, r) != NO_BOUND) return -1;
  const name = nameOf(s, r);
  return name >= 1 && name <= REGS ? name - 1 : -1;
}

/** Records an assumption on q's entry value that would make it meet register r's value in `s` (see the header). */
function noteAssumption(s: i32, r: i32, q: i32): void {
  if (q < 0 || unchecked(assumed[q]) != 0 || unchecked(noted[q]) != 0 || (mask & (1 << q)) == 0) return;
  const b = boundOf(s, r);
  if (kindOf(s, r) == SUM && termsOf(s, r) == SLOT_BIT && offOf(s, r) == 0) unchecked(noted[q] = ASSUME_SLOT);
  else if (kindOf(s, r) == VAR && termsOf(s, r) == 0 && b != NO_BOUND && at(s, r, 3) >= 0) {
    const hi = at(s, r, 4);
    if (b == CONST_BOUND) {
      // its lowest value too (clamped: a lower one assumed is still true), so that a counter started past 0
      // stays at or past 0 once stepped back (`j = i + 1` on entry, `m = j - 1` in the loop)
      if (hi >= LIMIT) return;
      const lo = <i32>min(<i64>at(s, r, 3), MAX_ASSUMED_LO);
      if (lo > 0 && !withLo) loDropped = true;
      unchecked(noted[q] = ASSUME_CONST | hi << 2 | (withLo ? lo : 0) << ASSUME_LO_AT);
    } else {
      if (hi < -2048 || hi > 2047 || scaleOf(b) != 0) return;
      unchecked(noted[q] = ASSUME_REG | (b - 1) << 2 | hi << 8);
    };
  } else return;
  added = true;
}

/**
 * Per block, the ways into it from blocks of the range (the head's entry counts as one): a block with one way in
 * has that edge's state, names and all, which a join would rename (an earlier pass's names differing from a later
 * one's), losing what the names related (noteSum).
 */
const waysIn = new StaticArray<i32>(MAX_BLOCKS);
function countWaysIn(c: Context): void {
  for (let b = 0; b < blocks; b++) unchecked(waysIn[b] = 0);
  unchecked(waysIn[0] = 1);
  for (let b = 0; b < blocks; b++) {
    const start = unchecked(blockStarts[b]);
    for (let i = start; i <= last && !onExitPath(region, i);) {
      if (i != start && leaderAt(c, i)) { countWay(i); break; }
      const op = opAt(c, i);
      const cls = op & 7;
      if (cls == CLS_JMP || cls == 6) {
        countWay(targetOf(c, i));
        if (op != 0x05 && op != 0x06) countWay(i + 1);
        break;
      }
      i += op == 0x18 ? 2 : 1;
    }
  }
}

function countWay(t: i32): void {
  if (t < head || t > last || onExitPath(region, t)) return;
  const b = blockOf(t);
  if (b >= 0) unchecked(waysIn[b]++);
}

/** Meets the edge state e into block b's state (the first edge's is taken as it is). Returns whether it changed. */
function meet(b: i32, e: i32): bool {
  if (!unchecked(visited[b]) || unchecked(waysIn[b]) == 1) {
    let changed = !unchecked(visited[b]);
    unchecked(visited[b] = true);
    for (let w = 0; w < STATE && !changed; w++) changed = unchecked(states[b * STATE + w]) != unchecked(states[e * STATE + w]);
    copyState(b, e);
    return changed;
  }
  const start = unchecked(blockStarts[b]);
  copyState(SAVED, b);
  for (let r = 0; r < REGS; r++) {
    unchecked(newNames[r] = 0);
    // a value a new name given in this meet forgot (fresh): the old name it held is that one's no more, but the
    // value may still be related to the one renamed (renamed alike, below)
    const renamed = kindOf(b, r) == TOP && kindOf(SAVED, r) != TOP;
    if (renamed) copyReg(b, r, SAVED, r);
    else if (sameReg(b, e, r)) continue;
    for (let w = 0; w < WORDS; w++) unchecked(before[w] = at(b, r, w));
    const qb = entryOf(b, r), qe = entryOf(e, r);
    if (qb >= 0) noteAssumption(e, r, qb);
    else if (qe >= 0) noteAssumption(b, r, qe);
    const kb = kindOf(b, r), ke = kindOf(e, r);
    const name = (start + 1) << 5 | r;
    const bb = boundOf(b, r), be = boundOf(e, r);
    if (!renamed && kb == VAR && ke == VAR && nameOf(b, r) == nameOf(e, r) && offOf(b, r) == offOf(e, r) && termsOf(b, r) == termsOf(e, r)) {
      // the same name and offset: the bounds' union
      const lo = min(at(b, r, 3), at(e, r, 3)), hi = max(at(b, r, 4), at(e, r, 4));
      set(b, r, VAR, bb == be ? bb : NO_BOUND, termsOf(b, r), nameOf(b, r), offOf(b, r), lo, hi);
    } else if (kb == TOP || ke == TOP) {
      put(b, r, 0, TOP);
    } else {
      // a new name (or this block's own again): value - terms in the union of both intervals when both have one
      // over the same bound (a SUM's is its constant)
      let tb = termsOf(b, r), te = termsOf(e, r);
      let bound = NO_BOUND, lo: i64 = 0, hi: i64 = 0;
      let kbBound = kb == SUM ? CONST_BOUND : bb, keBound = ke == SUM ? CONST_BOUND : be;
      // B + c (a register the loop does not write) meeting a value below B: in [c, B + c] (B at least 0)
      if (kb == SUM && ke == VAR && te == 0 && isRegBound(be) && scaleOf(be) == 0 && tb == 1 << boundReg(be)) { kbBound = be; tb = 0; }
      if (ke == SUM && kb == VAR && tb == 0 && isRegBound(bb) && scaleOf(bb) == 0 && te == 1 << boundReg(bb)) { keBound = bb; te = 0; }
      // a constant or constant bound [lo, hi] meeting a value below B << scale: in [lo, (B << scale) + hi] too
      if (kbBound == CONST_BOUND && isRegBound(keBound)) kbBound = keBound;
      if (keBound == CONST_BOUND && isRegBound(kbBound)) keBound = kbBound;
      if (tb == te && kbBound == keBound && kbBound != NO_BOUND) {
        bound = kbBound;
        lo = min(kb == SUM ? <i64>offOf(b, r) : <i64>at(b, r, 3), ke == SUM ? <i64>offOf(e, r) : <i64>at(e, r, 3));
        hi = max(kb == SUM ? <i64>offOf(b, r) : <i64>at(b, r, 4), ke == SUM ? <i64>offOf(e, r) : <i64>at(e, r, 4));
      }
      const q = renamedAlike(b, e, r);
      if (q >= 0) {
        // the same value as q's plus a constant on both ways in: q's new name, so that relations between them hold
        set(b, r, VAR, bound, termsOf(SAVED, r), unchecked(newNames[q]), offOf(SAVED, r) - offOf(SAVED, q), lo, hi);
      } else {
        fresh(b, r, name);
        if (bound != NO_BOUND) set(b, r, VAR, bound, tb, name, 0, lo, hi);
        if (kb == VAR && ke == VAR && termsOf(SAVED, r) == 0 && termsOf(e, r) == 0) unchecked(newNames[r] = name);
      }
    }
    // a bound still moving after a few passes (a value stepping without a test) is dropped: the passes end. A
    // constant bound whose top alone grows goes up to the next limit a compare in the loop may set instead (a
    // counter that each entry of an inner loop starts at a constant, stepped to a compare's constant): kept when
    // the next pass leaves it there
    if (pass >= WIDEN_AFTER && boundOf(b, r) != NO_BOUND &&
        (at(b, r, 3) != unchecked(before[3]) || at(b, r, 4) != unchecked(before[4]))) {
      const top = boundOf(b, r) == CONST_BOUND && at(b, r, 3) == unchecked(before[3]) && at(b, r, 4) > unchecked(before[4])
        ? limitAbove(at(b, r, 4)) : NO_LIMIT;
      if (top != NO_LIMIT) put(b, r, 4, <i32>top);
      else put(b, r, 0, at(b, r, 0) & ~(63 << 2));
    }
  }
  meetSums(b, e);
  for (let w = 0; w < STATE; w++) if (unchecked(states[b * STATE + w]) != unchecked(states[SAVED * STATE + w])) return true;
  return false;
}

// meet: per register, the new name it got there, its value without terms on both ways in (0: none)
const newNames = new StaticArray<i32>(REGS);

/**
 * A register q before r renamed in this meet (newNames) whose value r's is plus the same constant on both ways in,
 * terms aside (the same terms on both): `p + i` kept next to i. Else -1.
 */
function renamedAlike(b: i32, e: i32, r: i32): i32 {
  if (kindOf(SAVED, r) != VAR || kindOf(e, r) != VAR || termsOf(SAVED, r) != termsOf(e, r)) return -1;
  for (let q = 0; q < r; q++) {
    if (unchecked(newNames[q]) == 0 || kindOf(b, q) != VAR || nameOf(b, q) != unchecked(newNames[q])) continue;
    if (nameOf(SAVED, r) != nameOf(SAVED, q) || nameOf(e, r) != nameOf(e, q)) continue;
    const delta = <i64>offOf(SAVED, r) - <i64>offOf(SAVED, q);
    if (delta == <i64>offOf(e, r) - <i64>offOf(e, q) && delta > -LIMIT && delta < LIMIT) return q;
  }
  return -1;
}

// The constants the loop's 64-bit compares test registers against (K), for meet's widening: a counter stepped by
// 1 and tested against K stays at most K - 1, K or K + 1 at a block start, with the test before or after the step,
// strict or not.
const MAX_LIMITS: i32 = 8;
const limits = new StaticArray<i64>(MAX_LIMITS);
let limitCount = 0;
const NO_LIMIT: i64 = -1;

function collectLimits(c: Context): void {
  limitCount = 0;
  for (let i = head; i <= last && limitCount < MAX_LIMITS; i++) {
    const op = opAt(c, i);
    if ((op & 7) == CLS_JMP && (op & 8) == 0 && op != 0x05 && op != 0x85 && op != 0x95 && !onExitPath(region, i)) {
      const k = <i64>immAt(c, i);
      if (k > 0 && k < LIMIT) unchecked(limits[limitCount++] = k);
    }
    if (op == 0x18) i++;
  }
}

/** The smallest K - 1, K or K + 1 of a compare's constant K at least hi (collectLimits), or NO_LIMIT. */
function limitAbove(hi: i64): i64 {
  let best = NO_LIMIT;
  for (let j = 0; j < limitCount; j++) {
    for (let d: i64 = -1; d <= 1; d++) {
      const t = unchecked(limits[j]) + d;
      if (t >= hi && (best == NO_LIMIT || t < best)) best = t;
    }
  }
  return best;
}

// meet's widening: each register's words before the meet
const before = new StaticArray<i32>(WORDS);

/** After loops.ts has planned its loops: the ranges around the backward jumps no plan took (see the header). */
export function planFactLoops(c: Context): void {
  for (let l = c.count - 1; l >= 0 && c.loops < MAX_LOOPS; l--) {
    const t = targetOf(c, l);
    if (t < 0 || t > l) continue;
    const h = rangeStart(c, lowestTarget(c, t, l), l);
    const own = rangeStart(c, t, l);
    if (tryRange(c, h, l)) {
      if (own <= h) continue;
      // the range grew down to the head of a loop around this one (a jump back from inside to below t: that
      // loop's latch, as a search's way out may be): the one whose plan bounds more of this loop's own accesses,
      // those of the trips that run most, is kept (the outer one when as many)
      const outer = accessesWithin(c.loops - 1, own, l);
      c.loops--;
      if (tryRange(c, own, l)) {
        if (accessesWithin(c.loops - 1, own, l) > outer) continue;
        c.loops--;
      }
      tryRange(c, h, l);
      continue;
    }
    // the outer range bounds nothing: this loop's own range, from t, may still be bounded
    if (own > h) tryRange(c, own, l);
  }
}

/** How many of planned loop k's accesses (those its copy does not check) lie in [h, l]. */
function accessesWithin(k: i32, h: i32, l: i32): i32 {
  let n = 0;
  for (let j = 0; j < loopAccesses(k); j++) {
    const i = accInsn(k * MAX_ACCESSES + j);
    if (i >= h && i <= l) n++;
  }
  return n;
}

/** h, or h - 1 where a `ja` just before h jumps into the range (clang's rotated loops): the range starts there. */
function rangeStart(c: Context, h: i32, l: i32): i32 {
  return h > 0 && opAt(c, h - 1) == 0x05 && targetOf(c, h - 1) > h && targetOf(c, h - 1) <= l ? h - 1 : h;
}

/** planFacts on [h, l] where the range qualifies: whether it planned a loop. */
function tryRange(c: Context, h: i32, l: i32): bool {
  if (l - h + 1 > MAX_INSNS || (l + 1 >= c.count && opAt(c, l) != 0x05) || insideFactLoop(c, h, l) || overlaps(c, h, l)) return false;
  const loops = c.loops;
  planFacts(c, h, l);
  return c.loops > loops;
}

function insideFactLoop(c: Context, h: i32, l: i32): bool {
  for (let k = 0; k < c.loops; k++) if (loopFacts(k) && loopHead(k) <= h && loopLast(k) >= l) return true;
  return false;
}

function planFacts(c: Context, h: i32, l: i32): void {
  const k = c.loops;
  region = k;
  head = h;
  last = l;
  markExitPath(c, k, h, l);
  mask = 0;
  slot = NO_SLOT;
  blocks = 0;
  for (let i = h; i <= l; i++) {
    if (i > h && (load<u8>(c.flags + <usize>i) & c.funcBits) != 0) return;
    if (onExitPath(k, i)) continue;
    const w = writes(c, i);
    if (w < 0) return;
    mask |= w;
    if (i == h || leaderAt(c, i)) {
      if (blocks == MAX_BLOCKS) return;
      unchecked(blockStarts[blocks++] = i);
    }
    const off = <i32>load<i16>(c.insns + (<usize>i << 3) + 2);
    if (opAt(c, i) == 0x79 && srcAt(c, i) == 10 && slot == NO_SLOT && inOwnFrame(10, off, 8) && slotUnwritten(c, h, l, off)) slot = off;
    if (opAt(c, i) == 0x18) i++;
  }
  // entered at h only (its exit path aside: a jump there leaves the loop)
  for (let i = 0; i < c.count; i++) {
    const t = targetOf(c, i);
    if ((i < h || i > l) && t > h && t <= l && !onExitPath(k, t)) return;
    if (opAt(c, i) == 0x18) i++;
  }
  countWaysIn(c);
  collectLimits(c);
  analyseStrides(c, k, h, l, blockStarts, blocks);
  // entry assumptions with lowest values past 0 only where they bound more accesses than those without: such an
  // assumption fails on an entry at 0 (a counter started at 0, stepped to 1 and more on the way back)
  withLo = false;
  loDropped = false;
  unnarrowable = 0;
  // the entry values the code falling into h sets, assumed where that bounds more accesses than the run without
  useHints = false;
  let without = planAccesses(c, k, h, l);
  if (entryHints(c, h)) {
    // (on top of the assumptions the run without found: those it tailored to the loop stay)
    for (let r = 0; r < REGS; r++) if (unchecked(assumed[r]) != 0) unchecked(hints[r] = assumed[r]);
    useHints = true;
    const withHints = planAccesses(c, k, h, l);
    if (withHints <= without) {
      useHints = false;
      planAccesses(c, k, h, l);
    } else without = withHints;
  }
  if (loDropped) {
    withLo = true;
    if (planAccesses(c, k, h, l) <= without) {
      withLo = false;
      planAccesses(c, k, h, l);
    }
  }
  // registers taken small that bound no access: not taken so (see `narrowed`), the analysis run again without
  for (let run = 0; run < 3; run++) {
    const extra = narrowed & ~accessBounds(k);
    if (extra == 0) break;
    unnarrowable |= extra;
    planAccesses(c, k, h, l);
  }
  if ((narrowed & ~accessBounds(k)) != 0) return;
  if (!bounded) return;
  let slotUsed = false;
  for (let r = 0; r < REGS; r++) {
    setIvStep(k, r, unchecked(assumed[r]));
    if (unchecked(assumed[r]) == ASSUME_SLOT) slotUsed = true;
  }
  for (let j = 0; j < found; j++) if ((accRegs(k * MAX_ACCESSES + j) & SLOT_BIT) != 0) slotUsed = true;
  setLoopBaseSlot(k, slotUsed ? slot : NO_SLOT);
  if (exitsBounded) setLoopExitsBounded(k);
  const counters = countersBelowBound(c);
  setFactCounters(k, counters);
  setFactZeroHigh(k, smallAtBlockStarts(c) | factCounterMask(counters));
  setFactSmall(k, narrowed);
  c.loops++;
}

/** The registers loop k's accesses grow with (factBound). */
function accessBounds(k: i32): u32 {
  let m: u32 = 0;
  for (let j = 0; j < loopAccesses(k); j++) {
    const b = factBound(k * MAX_ACCESSES + j);
    if (b >= 0) m |= <u32>1 << <u32>b;
  }
  return m;
}

/**
 * The registers the loop writes whose value lies in [lo, B + hi] (lo at least 0) at every block start in the last
 * run of the analysis, B one bound register for all of them (a counter stepped towards B by a small constant, as
 * parse_nums' `for (i = 0; i < len; i++)` over a state machine with several ways around): packed with B and the
 * largest hi (at least 0) for loops.ts factCounters. The test on entry checks B + hi below 2^31 (facttest.ts), so
 * that each of them is below 2^31 at every block start: its high word zero there, and an add of a constant up to
 * 2^31 to it 32 bits wide. At h, a register not read before it is written needs no bound, as in
 * smallAtBlockStarts. A block where a constant bounds it instead (in [0, 2^20)) is as good. 0 when there are none.
 */
function countersBelowBound(c: Context): u32 {
  const reentered = headReentered(c);
  let bound = NO_BOUND;
  let margin = 0;
  let found: u32 = 0;
  for (let r = 0; r < REGS; r++) {
    if ((mask & (1 << r)) == 0) continue;
    let ok = true;
    let b0 = bound, m0 = margin;
    for (let b = 0; b < blocks && ok; b++) {
      if (!unchecked(visited[b])) continue;
      if (b == 0 && !reentered && !liveAt(c, head, r)) continue; // (as smallAtBlockStarts)
      const bd = boundOf(b, r);
      // a block where a constant clamps it instead (`if (j < 512)` after `j < n`): below 2^20 there
      if (kindOf(b, r) == VAR && termsOf(b, r) == 0 && bd == CONST_BOUND && at(b, r, 3) >= 0 && at(b, r, 4) < LIMIT) continue;
      ok = kindOf(b, r) == VAR && termsOf(b, r) == 0 && bd != NO_BOUND && bd != CONST_BOUND && scaleOf(bd) == 0 && (b0 == NO_BOUND || bd == b0) &&
        at(b, r, 3) >= 0;
      if (!ok) break;
      b0 = bd;
      if (at(b, r, 4) > m0) m0 = at(b, r, 4);
    }
    if (!ok || b0 == NO_BOUND || m0 >= FACT_MARGIN_LIMIT) continue;
    bound = b0;
    margin = m0;
    found |= <u32>1 << <u32>r;
  }
  return found == 0 ? 0 : packFactCounters(found, bound - 1, margin);
}

/**
 * The registers the loop writes whose value lies in [0, 2^31) at every block start in the last run of the analysis
 * (a constant bound from 0 up, or a non-negative constant): their high word is zero there. At h, a register not
 * read before it is written needs none (versioned.ts zeroes its high word on entry) where nothing in the range
 * jumps back to h.
 */
function smallAtBlockStarts(c: Context): u32 {
  const reentered = headReentered(c);
  let small: u32 = 0;
  for (let r = 0; r < REGS; r++) {
    if ((mask & (1 << r)) == 0) continue;
    let ok = true;
    for (let b = 0; b < blocks && ok; b++) {
      if (!unchecked(visited[b])) continue;
      if (b == 0 && !reentered && !liveAt(c, head, r)) continue;
      const kind = kindOf(b, r);
      if (kind == SUM) ok = termsOf(b, r) == 0 && offOf(b, r) >= 0;
      else ok = kind == VAR && termsOf(b, r) == 0 && boundOf(b, r) == CONST_BOUND && at(b, r, 3) >= 0;
    }
    if (ok) small |= <u32>1 << <u32>r;
  }
  return small;
}

/** Whether something in the range jumps back to h. */
function headReentered(c: Context): bool {
  for (let i = head; i <= last; i++) {
    const op = opAt(c, i);
    if ((op & 7) == CLS_JMP || (op & 7) == 6) {
      if (op != 0x85 && op != 0x95 && targetOf(c, i) == head) return true;
    }
    if (op == 0x18) i++;
  }
  return false;
}

let found = 0; // accesses recorded
let bounded = false; // one of them by a compare
let boundedCount = 0; // how many
let withLo = false; // assumptions may have a lowest value past 0 (ASSUME_CONST's lo)
let useHints = false; // the runs start from the entry hints (entryHints)
const hints = new StaticArray<i32>(REGS);

/**
 * Assumptions on the entry values of the registers the loop writes, live at h, from the straight code that falls
 * into h (back to a block start or a jump): the last write there `r = B` (B a register neither the loop nor that
 * code after it writes) assumes r <= B, `r = 0` r = 0. A binary search tested at its top starts `lo = 0; hi = n`
 * there; its trips keep lo <= hi <= n only from such a start. They are guesses, which the test on entry checks
 * (facttest.ts) as any assumption. (Other constants set there are left to the runs: a counter's assumed lowest
 * value, j = i + 1 of a selection sort, bounds better than the constant the code sets.) Returns whether there is
 * one.
 */
function entryHints(c: Context, h: i32): bool {
  let any = false;
  let written: u32 = 0;
  for (let r = 0; r < REGS; r++) unchecked(hints[r] = 0);
  for (let i = h - 1; i >= 0; i--) {
    const op = opAt(c, i), cls = op & 7;
    if (op == 0 || cls == CLS_JMP || cls == 6 || (i > 0 && opAt(c, i - 1) == 0x18)) break;
    const d = dstAt(c, i);
    if (cls != CLS_ST && cls != CLS_STX && d < REGS && ((written >> <u32>d) & 1) == 0) {
      const off16 = <i32>load<i16>(c.insns + (<usize>i << 3) + 2);
      const b = srcAt(c, i);
      let a = 0;
      if ((op == 0xbf || op == 0xbc) && off16 == 0 && b < REGS && (mask & (1 << b)) == 0 && ((written >> <u32>b) & 1) == 0) {
        a = ASSUME_REG | b << 2;
      } else if ((op == 0xb7 || op == 0xb4) && immAt(c, i) == 0) a = ASSUME_CONST; // in [0, 0]
      if (a != 0 && (mask & (1 << d)) != 0 && liveAt(c, h, d)) {
        unchecked(hints[d] = a);
        any = true;
      }
    }
    if (cls != CLS_ST && cls != CLS_STX && d < REGS) written |= <u32>1 << <u32>d;
    if (leaderAt(c, i)) break;
  }
  return any;
}
let loDropped = false; // a lowest value past 0 was left out of an assumption
let exitsBounded = true; // every jump out of the loop tests a bounded counter against a bound (boundTest)
let boundTestAt = -1; // the last conditional jump out that did: a `ja` out right after it is its other way out

/**
 * The analysis, again with the entry assumptions each run finds useful, then its accesses in loop k's plan: how
 * many a compare bounds (-1: the analysis did not converge, nothing planned).
 */
function planAccesses(c: Context, k: i32, h: i32, l: i32): i32 {
  exitsBounded = true;
  boundTestAt = -1;
  found = 0;
  bounded = false;
  boundedCount = 0;
  for (let r = 0; r < REGS; r++) unchecked(assumed[r] = useHints ? unchecked(hints[r]) : 0);
  narrowed = 0;
  for (let run = 0; ; run++) {
    for (let r = 0; r < REGS; r++) unchecked(noted[r] = 0);
    added = false;
    if (!analyse(c)) return -1;
    if (!added || run == 3) break;
    for (let r = 0; r < REGS; r++) if (unchecked(noted[r]) != 0) unchecked(assumed[r] = noted[r]);
  }
  setFactLoop(k, h, l, mask);
  noteTripBounds();
  for (let b = 0; b < blocks; b++) if (unchecked(visited[b])) walk(c, b, true);
  return boundedCount;
}

/** Runs the analysis to its fixed point: false when it does not converge. */
function analyse(c: Context): bool {
  for (let b = 0; b < blocks; b++) unchecked(visited[b] = false);
  unchecked(visited[0] = true);
  for (let e = 0; e < SUMS; e++) unchecked(states[SUMS_AT + e * SUM_WORDS] = 0);
  for (let r = 0; r < REGS; r++) {
    const a = unchecked(assumed[r]);
    if ((mask & (1 << r)) == 0) set(0, r, SUM, NO_BOUND, 1 << r, 0, 0, 0, 0);
    else if (a == ASSUME_SLOT) set(0, r, SUM, NO_BOUND, SLOT_BIT, 0, 0, 0, 0);
    else if ((a & 3) == ASSUME_REG) set(0, r, VAR, ((a >> 2) & 15) + 1, 0, r + 1, 0, 0, a >> 8);
    else if ((a & 3) == ASSUME_CONST) set(0, r, VAR, CONST_BOUND, 0, r + 1, 0, assumedLo(a), assumedHi(a));
    else fresh(0, r, r + 1);
  }
  for (pass = 0; pass < MAX_PASSES; pass++) {
    let changed = false;
    for (let b = 0; b < blocks; b++) if (unchecked(visited[b]) && walk(c, b, false)) changed = true;
    if (!changed) return true;
  }
  return false;
}

/**
 * Walks block b from its state: meets its ways out into the blocks they go to (returns whether one changed); or,
 * `collect`, records its accesses in loop `region`'s plan instead.
 */
function walk(c: Context, b: i32, collect: bool): bool {
  copyState(WORK, b);
  const start = unchecked(blockStarts[b]);
  for (let i = start; i <= last && !onExitPath(region, i);) {
    if (i != start && leaderAt(c, i)) return edge(i, WORK, collect);
    const op = opAt(c, i);
    const cls = op & 7;
    if (cls == CLS_JMP || cls == 6) {
      const t = targetOf(c, i);
      if (op == 0x05 || op == 0x06) {
        if (collect && leaves(t) && boundTestAt != i - 1) exitsBounded = false;
        return edge(t, WORK, collect);
      }
      if (collect && (leaves(t) || leaves(i + 1))) {
        if (boundTest(c, WORK, i)) boundTestAt = i;
        else exitsBounded = false;
      }
      copyState(EDGE, WORK);
      refine(c, EDGE, i, true);
      let changed = edge(t, EDGE, collect);
      copyState(EDGE, WORK);
      refine(c, EDGE, i, false);
      if (edge(i + 1, EDGE, collect)) changed = true;
      return changed;
    }
    if (collect && (cls == CLS_LDX || cls == CLS_ST || cls == CLS_STX)) record(c, i);
    transfer(c, WORK, i);
    i += op == 0x18 ? 2 : 1;
  }
  return false;
}

/** Whether a jump to t leaves the loop being planned. */
function leaves(t: i32): bool { return t < head || t > last || onExitPath(region, t); }

/**
 * Whether the conditional jump at i compares, 64 bits wide, a register bounded in s before it (a counter, not a value
 * just loaded) with a register the loop does not write or a constant.
 */
function boundTest(c: Context, s: i32, i: i32): bool {
  const op = opAt(c, i);
  if ((op & 7) != CLS_JMP) return false;
  let y = dstAt(c, i);
  if ((op & 8) != 0) {
    const r = srcAt(c, i);
    if (r < REGS && (mask & (1 << r)) == 0) {} // y against r
    else if (y < REGS && (mask & (1 << y)) == 0) y = r;
    else return false;
  } else if (immAt(c, i) < 0) return false;
  return y < REGS && kindOf(s, y) == VAR && termsOf(s, y) == 0 && boundOf(s, y) != NO_BOUND;
}

function edge(t: i32, s: i32, collect: bool): bool {
  if (collect || t < head || t > last || onExitPath(region, t)) return false;
  const b = blockOf(t);
  return b >= 0 && meet(b, s);
}

/** The access at i, when its address is known in WORK (see the header), in the plan. */
function record(c: Context, i: i32): void {
  const op = opAt(c, i);
  const cls = op & 7;
  const base = cls == CLS_LDX ? srcAt(c, i) : dstAt(c, i);
  const off = <i64>load<i16>(c.insns + (<usize>i << 3) + 2);
  const size = sizeBytes(op & 0x18);
  if (inOwnFrame(base, <i32>off, size) || found == MAX_ACCESSES || plannedInside(i)) return;
  const kind = kindOf(WORK, base);
  const store = cls != CLS_LDX ? 1 : 0;
  if (kind == SUM) {
    addAccess(region, i, size, store, termsOf(WORK, base), <i64>offOf(WORK, base) + off);
  } else if (kind == VAR && boundOf(WORK, base) != NO_BOUND) {
    const lo = <i64>at(WORK, base, 3), hi = <i64>at(WORK, base, 4);
    const bound = boundOf(WORK, base);
    if (bound == CONST_BOUND) {
      if (hi - lo >= MAX_SPAN) return;
      addAccess(region, i, size, store | <i32>(hi - lo) << 1, termsOf(WORK, base), lo + off);
    } else {
      if (hi - lo < -2048 || hi - lo > 2047) return;
      // a scaled bound's span (B << scale) must not pass 2^32: B is tested small on entry (facttest.ts)
      if (scaleOf(bound) != 0) narrowed |= 1 << boundReg(bound);
      addAccess(region, i, size, store, termsOf(WORK, base) | (bound & 15) << FACT_BOUND_AT | scaleOf(bound) << FACT_SCALE_AT |
        <i32>(hi - lo) << FACT_ADJ_AT, lo + off);
    }
    bounded = true;
    // weighing plans (planFacts): a span that may start below its base fails its test wherever the base is where
    // its region starts (an array's first element), so it does not count for the plan that bounds it
    if (lo + off >= 0) boundedCount++;
  } else if (recordStride(c, region, i, base, off, size, store)) {
    // a pointer stepped next to a counter (analysis/strides.ts)
    bounded = true;
    boundedCount++;
  } else return;
  found++;
}

/**
 * Tells analysis/strides.ts each register's bound at the start of its trip block in the last run of the analysis,
 * as a fact access's register set holds a span's (a bound register B's field and adj: B + adj; or no register and
 * the constant adj, at least 0): where the register holds a value without terms so bounded, adj in the field's reach.
 */
function noteTripBounds(): void {
  const p = tripBlock();
  for (let r = 0; r < REGS; r++) {
    let bounded = false, v: u32 = 0;
    if (p >= 0 && p < blocks && unchecked(visited[p]) && kindOf(p, r) == VAR && termsOf(p, r) == 0 && boundOf(p, r) != NO_BOUND &&
      scaleOf(boundOf(p, r)) == 0) { // (a scaled bound, B << k, has no room in a stride's span)
      const b = boundOf(p, r), hi = at(p, r, 4);
      bounded = hi >= (b == CONST_BOUND ? 0 : -2048) && hi <= 2047;
      v = <u32>(b == CONST_BOUND ? 0 : b) << FACT_BOUND_AT | <u32>hi << FACT_ADJ_AT;
    }
    setTripBound(r, bounded, v);
  }
}

/** Whether a loop found before (one inside this one) plans the access at i: its own test covers it. */
function plannedInside(i: i32): bool {
  for (let q = 0; q < region; q++) {
    for (let j = 0; j < loopAccesses(q); j++) if (accInsn(q * MAX_ACCESSES + j) == i) return true;
  }
  return false;
}

const MAX_SPAN: i64 = 1 << 24; // loops.ts MAX_BOUND: a constant span in the access's T field
/** In a fact access's register set: its bound register + 1 (0: none), and the span's adjustment (facttest.ts). */
export const FACT_BOUND_AT: i32 = 16;
export const FACT_SCALE_AT: i32 = 14; // 2 bits: the span is (B << scale) + adj

export const FACT_ADJ_AT: i32 = 20;
/** The register a fact access's range grows with (its span B + adj), or -1. */
export function factBound(a: i32): i32 { return <i32>((accRegs(a) >> FACT_BOUND_AT) & 15) - 1; }
export function factAdj(a: i32): i32 { return <i32>accRegs(a) >> FACT_ADJ_AT; }
export function factScale(a: i32): i32 { return <i32>(accRegs(a) >> FACT_SCALE_AT) & 3; }
