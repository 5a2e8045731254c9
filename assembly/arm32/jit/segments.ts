// Where the ordinary code charges the instruction budget (jit/budget.ts): at each basic block's start and after
// each instruction that may end the run before the block does, a checked load or store (a fault), an atomic
// (a fault, or its alignment test's), a legacy packet load (its exit with 0). A charge covers its segment, up to
// and including the next such instruction: when the budget runs out in the middle of a block, an access before
// that point has run first and faulted as in the interpreter, and its stores, before the point, were made.
// Accesses that cannot fault need no split: into the program's own frame at a fixed offset from r10, or through an
// index it stays in (analysis/frame-ranges.ts), and inside a map value a lookup returned (mapvalue.ts), which
// memory.ts emits without a check. Calls and exits end blocks.
//
// A copy (a loop's, versioned.ts; a group's, groups.ts) charges whole blocks instead, its accesses unchecked or
// resuming in the ordinary code on a miss; where it goes back to the ordinary code in the middle of a block, the
// ordinary code charges the rest of that block again, segment by segment, so the copy gives it back first
// (copyCharge).

import { Context, F_LEADER, dstOf, flagOf, offOf, opcode, srcOf } from "./context";
import { inMapValue } from "./mapvalue";
import { frameAccess } from "../analysis/frame-ranges";
import { inOwnFrame, sizeBytes } from "../analysis/loops";
import { CLS_LD, CLS_LDX, CLS_ST, CLS_STX, MODE_ABS, MODE_IND, MODE_MEM, MODE_MEMSX } from "../../isa";

/** Whether instruction i may end the run where it is, before its block's end (see above). */
export function mayEndRun(c: Context, i: i32): bool {
  const op = opcode(c, i);
  const cls = op & 7;
  const mode = op & 0xe0;
  const bytes = sizeBytes(op & 0x18);
  if (cls == CLS_LD) return mode == MODE_ABS || mode == MODE_IND;
  if (cls == CLS_LDX && (mode == MODE_MEM || mode == MODE_MEMSX)) {
    const base = srcOf(c, i);
    const off = offOf(c, i);
    return !inOwnFrame(base, off, bytes) && !frameAccess(c, i) && !inMapValue(c, i, base, off, bytes, false);
  }
  if ((cls == CLS_ST || cls == CLS_STX) && mode == MODE_MEM) {
    const base = dstOf(c, i);
    const off = offOf(c, i);
    return !inOwnFrame(base, off, bytes) && !frameAccess(c, i) && !inMapValue(c, i, base, off, bytes, true);
  }
  return cls == CLS_STX || cls == CLS_ST || cls == CLS_LDX; // atomics, checked as a whole
}

@inline function nextOf(c: Context, i: i32): i32 { return i + (opcode(c, i) == 0x18 ? 2 : 1); }

@inline function isLeader(c: Context, i: i32): bool { return i >= c.count || (flagOf(c, i) & F_LEADER) != 0; }

/** Whether the ordinary code charges the budget at instruction i: a block's start, or after mayEndRun. */
export function chargePoint(c: Context, i: i32): bool {
  // an lddw's second slot is no instruction that may end the run (its opcode is 0)
  return isLeader(c, i) || i > 0 && mayEndRun(c, i - 1);
}

/** Instructions from i up to j (lddw counts once). */
export function lengthBetween(c: Context, i: i32, j: i32): u32 {
  let n: u32 = 0;
  for (let q = i; q < j; q = nextOf(c, q)) n++;
  return n;
}

/** Instructions the ordinary code's charge at i covers: up to its next charge point (lddw counts once). */
export function segmentLength(c: Context, i: i32): u32 {
  let j = nextOf(c, i);
  while (!chargePoint(c, j)) j = nextOf(c, j);
  return lengthBetween(c, i, j);
}

/**
 * Where what a copy charged for the block holding instruction i ends: at the block's end, or, in a group's copy,
 * which falls through to the ordinary code at its end (groupEnd), at the first charge point from there on, where
 * the ordinary code charges itself.
 */
export function copyLimit(c: Context, i: i32): i32 {
  let j = nextOf(c, i);
  while (!isLeader(c, j) && !(c.grouping && j >= c.groupEnd && chargePoint(c, j))) j = nextOf(c, j);
  return j;
}

/**
 * What the ordinary code charges from instruction i on, in i's block, up to where a copy's charge for that block
 * ends (copyLimit): from its first charge point at or after i (i itself when it starts the block). What a copy
 * charges at a block's start, or a group's copy at its first load in the middle of one (the test before it skips
 * the ordinary code's charges); and what a copy gives back when it resumes in the ordinary code at i (a checked
 * access whose check missed), whose code there comes before its own charge.
 */
export function copyCharge(c: Context, i: i32): u32 {
  let from = i;
  while (from < c.count && !chargePoint(c, from)) from = nextOf(c, from);
  const to = copyLimit(c, i);
  return from < to ? lengthBetween(c, from, to) : 0;
}
