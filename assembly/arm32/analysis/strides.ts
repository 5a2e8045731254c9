// Pointers stepped next to a counter in a loop analysis/facts.ts plans: `for (j = i + 1; j < n; j++) if (a[j] < v)`
// as clang leaves it, a pointer p bumped by 2 in the block that bumps j, the load through p, the bound on j alone.
// The facts' dataflow names values and cannot relate p to j (they step by different amounts); this file does.
//
// A trip starts each time control enters the trip block P: the loop's first block, or, where that block is a lone
// `ja` (clang's rotated loop), the block it jumps to. Per register and program point, a form (q, b) says the
// register holds H_q(t) + b, H_q(t) being q's value when the current trip t entered P (H_q(0): q's value on entry;
// a lone `ja` changes nothing). `mov r, s` copies s's form, `add r, c` and `sub r, c` (64 bits) move b; any other
// write, and a join of differing forms, leaves the register without one. On every edge back into P a register r
// whose form is (r, s) with the same s > 0 on all of them steps by s a trip: H_r(t) = E_r + s * t, E_r its value on
// entry (no wrap-around below: the steps and bounds are small).
//
// An access through p of form (q_p, b_p), q_p stepping by S a trip, is bounded by a counter q stepping by s a trip
// (S = R * s, R a power of two up to 8) whose value at P's start the facts' analysis bounds by U (a constant, or a
// register B the loop does not write plus a constant): H_q(t) <= U at every entry into P, so s * t <= U - E_q and
// p's value in trip t, E_qp + b_p + S * t, lies in [E_qp + b_p, E_qp + b_p + R * (U - E_q)]. The access's plan entry
// sums q_p with constant b_p + its offset, and stridetest.ts computes the span R * (U - E_q) on entry (below 0, or
// 2^32 or more, failing). Since s * t stays at most U, a counter's trips never wrap around.
import { Context } from "../jit/context";
import { onExitPath } from "./exitpaths";
import { dstAt, immAt, offAt, opAt, srcAt, writes } from "./fields";
import { addAccess, leaderAt, targetOf } from "./loops";
import { CLS_JMP, CLS_JMP32 } from "../../isa";

const REGS: i32 = 10;
const MAX_BLOCKS: i32 = 32; // facts.ts's
const WORK: i32 = MAX_BLOCKS; // the forms walked through a block
const UNSEEN: i32 = -2, NONE: i32 = -1; // no edge reached the block yet; no form
const MAX_OFF: i32 = 1 << 20; // |b|
const MAX_STEP: i32 = 1 << 16; // a trip's step s
const MAX_PASSES: i32 = 64;

const formReg = new StaticArray<i32>((MAX_BLOCKS + 1) * REGS); // q, NONE or UNSEEN
const formOff = new StaticArray<i32>((MAX_BLOCKS + 1) * REGS); // b
const steps = new StaticArray<i32>(REGS); // per register: its step a trip (0: none known)
const tripBounds = new StaticArray<u32>(REGS); // per register: its bound at P's start (setTripBound), or NO_TRIP_BOUND
const NO_TRIP_BOUND: u32 = 0xffffffff;
let starts: StaticArray<i32> = new StaticArray<i32>(0);
let blocks = 0;
let region = 0, head = 0, last = 0;
let trip = -1; // P's block, or -1: no forms for this loop

/** Where the access's plan entry keeps R's log2 (in its register set) and q + 1 (in its store word). */
const LOG_R_AT: u32 = 14;
const COUNTER_AT: u32 = 26;

/** Whether access word `word` (loops.ts accStore's) is one of this file's: bounded by a counter stepped next to it. */
export function strideCounter(word: u32): i32 { return <i32>((word >>> COUNTER_AT) & 15) - 1; }
/** log2 R of a stride access's register set. */
export function strideLogR(regs: u32): i32 { return <i32>((regs >>> LOG_R_AT) & 3); }

function rowOf(b: i32, r: i32): i32 { return b * REGS + r; }
function blockOf(i: i32): i32 {
  for (let b = 0; b < blocks; b++) if (unchecked(starts[b]) == i) return b;
  return -1;
}

/**
 * The forms and steps of loop k, [h, l], whose blocks (facts.ts's) start at `s[0..n)`: called once the blocks are
 * known, before the facts' analysis records accesses.
 */
export function analyseStrides(c: Context, k: i32, h: i32, l: i32, s: StaticArray<i32>, n: i32): void {
  starts = s;
  blocks = n;
  region = k;
  head = h;
  last = l;
  trip = 0;
  for (let r = 0; r < REGS; r++) unchecked(steps[r] = 0);
  if (opAt(c, h) == 0x05 && n > 1 && unchecked(starts[1]) == h + 1) {
    const t = targetOf(c, h);
    trip = t > h && t <= l && !onExitPath(k, t) ? blockOf(t) : -1;
  }
  if (trip < 0) return;
  for (let j = 0; j < (MAX_BLOCKS + 1) * REGS; j++) unchecked(formReg[j] = UNSEEN);
  for (let r = 0; r < REGS; r++) {
    setForm(0, r, r, 0);
    setForm(trip, r, r, 0);
  }
  let pass = 0;
  for (; pass < MAX_PASSES; pass++) {
    let changed = false;
    for (let b = 0; b < blocks; b++) if (unchecked(formReg[rowOf(b, 0)]) != UNSEEN && walk(c, b, false)) changed = true;
    if (!changed) break;
  }
  if (pass == MAX_PASSES || trip < 0) { trip = -1; return; }
  // the steps, from the edges back into P at the fixed point
  for (let r = 0; r < REGS; r++) unchecked(steps[r] = -1); // -1: no edge back seen yet
  for (let b = 0; b < blocks; b++) if (unchecked(formReg[rowOf(b, 0)]) != UNSEEN) walk(c, b, true);
  for (let r = 0; r < REGS; r++) if (unchecked(steps[r]) <= 0 || unchecked(steps[r]) >= MAX_STEP) unchecked(steps[r] = 0);
}

function setForm(b: i32, r: i32, q: i32, off: i32): void {
  unchecked(formReg[rowOf(b, r)] = q);
  unchecked(formOff[rowOf(b, r)] = off);
}

/** Walks block b's forms: meets them into the blocks its ways out reach, or (`back`) notes the steps on edges into P. */
function walk(c: Context, b: i32, back: bool): bool {
  for (let r = 0; r < REGS; r++) setForm(WORK, r, unchecked(formReg[rowOf(b, r)]), unchecked(formOff[rowOf(b, r)]));
  const start = unchecked(starts[b]);
  for (let i = start; i <= last && !onExitPath(region, i);) {
    if (i != start && leaderAt(c, i)) return edge(b, i, back);
    const op = opAt(c, i);
    const cls = op & 7;
    if (cls == CLS_JMP || cls == CLS_JMP32) {
      const t = targetOf(c, i);
      if (op == 0x05 || op == 0x06) return edge(b, t, back);
      let changed = edge(b, t, back);
      if (edge(b, i + 1, back)) changed = true;
      return changed;
    }
    transfer(c, i);
    i += op == 0x18 ? 2 : 1;
  }
  return false;
}

/** Instruction i's effect on the walked forms (not a jump). */
function transfer(c: Context, i: i32): void {
  const w = writes(c, i);
  const d = dstAt(c, i);
  if (w == 0 || d >= REGS) return;
  const op = opAt(c, i);
  const at = rowOf(WORK, d);
  if (op == 0xbf && offAt(c, i) == 0 && srcAt(c, i) < REGS) {
    const s = rowOf(WORK, srcAt(c, i));
    unchecked(formReg[at] = formReg[s]);
    unchecked(formOff[at] = formOff[s]);
  } else if ((op == 0x07 || op == 0x17) && unchecked(formReg[at]) >= 0) {
    const v = <i64>unchecked(formOff[at]) + (op == 0x07 ? <i64>immAt(c, i) : -<i64>immAt(c, i));
    if (v > -MAX_OFF && v < MAX_OFF) unchecked(formOff[at] = <i32>v);
    else unchecked(formReg[at] = NONE);
  } else unchecked(formReg[at] = NONE);
}

/** The walked forms on the edge from block `from` to instruction t (see walk). */
function edge(from: i32, t: i32, back: bool): bool {
  if (t < head || t > last || onExitPath(region, t)) return false;
  const b = blockOf(t);
  if (b < 0) return false;
  if (b == trip) {
    if (from == 0 && trip != 0) return false; // the way in: trip 0 enters P
    if (back) {
      for (let r = 0; r < REGS; r++) {
        const ok = unchecked(formReg[rowOf(WORK, r)]) == r;
        const s = ok ? unchecked(formOff[rowOf(WORK, r)]) : 0;
        if (!ok || (unchecked(steps[r]) >= 0 && unchecked(steps[r]) != s)) unchecked(steps[r] = 0);
        else unchecked(steps[r] = s);
      }
    }
    return false;
  }
  if (b == 0) {
    if (!back) trip = -1; // back to a lone `ja` before P: no trip structure this file knows
    return false;
  }
  if (back) return false;
  let changed = false;
  for (let r = 0; r < REGS; r++) {
    const at = rowOf(b, r), w = rowOf(WORK, r);
    if (unchecked(formReg[at]) == UNSEEN) {
      unchecked(formReg[at] = formReg[w]);
      unchecked(formOff[at] = formOff[w]);
      changed = true;
    } else if (unchecked(formReg[at]) != NONE && (formReg[at] != formReg[w] || formOff[at] != formOff[w])) {
      unchecked(formReg[at] = NONE);
      changed = true;
    }
  }
  return changed;
}

/** P's block (facts.ts's index), or -1. */
export function tripBlock(): i32 {
  return trip;
}

/**
 * Register r's bound at P's start, from the facts' analysis: `v` a fact access's bound register field and adj
 * (facts.ts FACT_BOUND_AT, FACT_ADJ_AT: B + adj, or the constant adj), when `bounded`.
 */
export function setTripBound(r: i32, bounded: bool, v: u32): void {
  unchecked((tripBounds[r] = bounded ? v : NO_TRIP_BOUND));
}

/**
 * The access at i through `base` (offset off, `size` bytes, store 0 or 1) in loop k's plan when a counter stepped next
 * to base bounds it (see the header): whether it was recorded.
 */
export function recordStride(c: Context, k: i32, i: i32, base: i32, off: i64, size: i32, store: i32): bool {
  if (trip < 0 || base >= REGS) return false;
  // base's form at i: from its block's start
  let b = -1;
  for (let j = 0; j < blocks; j++) if (unchecked(starts[j]) <= i && (b < 0 || unchecked(starts[j]) > unchecked(starts[b]))) b = j;
  if (b < 0 || unchecked(formReg[rowOf(b, 0)]) == UNSEEN || b == 0 && trip != 0) return false;
  for (let r = 0; r < REGS; r++) setForm(WORK, r, unchecked(formReg[rowOf(b, r)]), unchecked(formOff[rowOf(b, r)]));
  for (let j = unchecked(starts[b]); j < i; j += opAt(c, j) == 0x18 ? 2 : 1) transfer(c, j);
  const qp = unchecked(formReg[rowOf(WORK, base)]);
  if (qp < 0) return false;
  const big = unchecked(steps[qp]);
  if (big == 0) return false;
  for (let q = 0; q < REGS; q++) {
    const s = unchecked(steps[q]);
    if (s == 0 || big % s != 0) continue;
    const ratio = big / s;
    if (ratio > 8 || (ratio & (ratio - 1)) != 0) continue;
    const bound = unchecked(tripBounds[q]);
    if (bound == NO_TRIP_BOUND) continue;
    const regs = (<u32>1 << <u32>qp) | (<u32>ctz<i32>(ratio) << LOG_R_AT) | bound;
    addAccess(k, i, size, store | (q + 1) << <i32>COUNTER_AT, regs, <i64>unchecked(formOff[rowOf(WORK, base)]) + off);
    return true;
  }
  return false;
}
