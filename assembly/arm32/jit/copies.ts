// The state of the loop copies being emitted (versioned.ts), as the instruction families see it: whether code is
// going into a copy, which accesses are planned (unchecked) there, where a branch or a copy's way out goes (with
// the moves back to the ordinary code's registers, loopregs.ts). Kept apart from versioned.ts so that the families
// below it need not import it.

import { AL, OP_ADD, R0, R1, R11, branch, immRot, ldr, opImm, opReg, str } from "../a32/encoder";
import {
  MAX_ACCESSES, POOL, accInsn, loopAccesses, loopAt, loopBodyAt, loopDown, loopHead, loopIv, loopIvAt,
  loopIvGroup, loopLast, loopFacts, factCounters, factCounterMask, loopZeroHigh, narrowAdd, reloadsBound, loopEnteredAt, loopTestAt,
} from "../analysis/loops";
import { frameAccess, frameSum } from "../analysis/frame-ranges";
import { Context, MAX_GIVEN_BACK, targetPos } from "./context";
import { exitMoves, exitMovesNeeded } from "./loopregs";
import { copyCharge } from "./segments";
import { L_RECHECK, S_BUDGET } from "../../../targets/arm32/image";

@inline export function poolAt(e: i32): i32 { return load<i32>(POOL + (<usize>e << 2)); }
@inline export function setPool(e: i32, at: i32): void { store<i32>(POOL + (<usize>e << 2), at); }

/** Before each pass over the program. */
export function resetCopies(c: Context): void {
  c.constCount = 0;
  c.poolUsed = 0;
  c.copies = 0;
  c.depth = 0;
  c.local = false;
  c.byteMask = 0; // jit/bytes.ts: nothing deferred
  c.byteHiOwed = 0;
  c.hiLate = 0; // jit/latehigh.ts: nothing left to write
  c.lateOk = false;
  c.grouping = false; // jit/groups.ts
  c.groupEnd = -1;
  c.groups = 0;
  c.owed = 0; // jit/budget.ts: no chain charged ahead
  c.chainNext = -1;
  c.chargeAt = -1;
  c.backJoin = -1;
  c.selectEnd = -1; // jit/select.ts: no conversion under way (the high-word analysis may have begun one)
  c.watching = false;
  c.selectJoin = -1;
  c.cmpJump = -1;
}

/** Whether code is going into a loop's copy or a group's (jit/groups.ts). */
export function inCopy(c: Context): bool { return c.depth > 0 || c.grouping; }

/** Whether code is going into a loop's copy (not a group's): nothing enters it but at its leaders. */
export function inLoopCopy(c: Context): bool { return c.depth > 0 && !c.grouping; }

/**
 * Whether instruction i is a planned access of a copy being emitted, or a load of the group being copied; or,
 * anywhere, an access that stays in the frame whatever its index holds (analysis/frame-ranges.ts): unchecked.
 */
export function planned(c: Context, i: i32): bool {
  if (frameAccess(c, i)) return true;
  const d = i - c.groupFirst;
  if (c.grouping && d >= 0 && d < 64 && ((c.groupMask >> <u64>d) & 1) != 0) return true;
  for (let d = 0; d < c.depth; d++) {
    const k = unchecked(c.copyLoop[d]);
    for (let j = 0; j < loopAccesses(k); j++) if (accInsn(k * MAX_ACCESSES + j) == i) return true;
  }
  return false;
}

/**
 * Whether the ADD at i is 32 bits wide in the copies being emitted (loops.ts narrowAdd), or anywhere, as a frame
 * address (analysis/frame-ranges.ts frameSum).
 */
export function addressAdd(c: Context, i: i32): bool {
  if (frameSum(c, i)) return true;
  for (let d = 0; d < c.depth; d++) {
    const k = unchecked(c.copyLoop[d]);
    if (narrowAdd(c, k, i)) return true;
  }
  return false;
}

/** High words known to be zero at every block start of the copies being emitted (loops.ts loopZeroHigh). */
export function copyZeroHigh(c: Context): u32 {
  let m: u32 = 0;
  for (let d = 0; d < c.depth; d++) m |= loopZeroHigh(unchecked(c.copyLoop[d]));
  return m;
}

/** Whether instruction i reloads the bound of a copy being emitted from its frame slot (a 32-bit value there). */
export function copyBoundReload(c: Context, i: i32): bool {
  for (let d = 0; d < c.depth; d++) if (reloadsBound(c, unchecked(c.copyLoop[d]), i)) return true;
  return false;
}

/**
 * Registers below 2^31 at every block start of the copies being emitted: an upward loop's iv and its group (the
 * test made iv0 + step and E + step below 2^31, and iv stays below E + step), and the counters of a loop of
 * analysis/facts.ts that stay at most B + margin there (the test made that below 2^31: loops.ts factCounters).
 */
export function copyNarrowIvs(c: Context): u32 {
  let m: u32 = 0;
  for (let d = 0; d < c.depth; d++) {
    const k = unchecked(c.copyLoop[d]);
    if (!loopDown(k) && loopIv(k) >= 0) m |= (<u32>1 << <u32>loopIv(k)) | loopIvGroup(k);
    if (loopFacts(k)) m |= factCounterMask(factCounters(k));
  }
  return m;
}

/** Where the code of instruction t is: in a copy being emitted that holds t, else in the ordinary code. */
export function branchTo(c: Context, cond: u32, t: i32, from: i32): void {
  for (let d = c.depth - 1; d >= 0; d--) {
    const k = unchecked(c.copyLoop[d]);
    const h = loopHead(k);
    if (t >= h && t <= loopLast(k)) {
      c.emit(branch(cond, false, c.pos, poolAt(unchecked(c.copyBase[d]) + t - h)));
      return;
    }
  }
  const k = loopAt(c, t);
  // a loop's entry jump goes to its test (analysis/loops.ts loopEntryJump)
  const entered = loopEnteredAt(c, t, from);
  if (entered >= 0) {
    leave(c, cond, loopTestAt(entered), t);
    return;
  }
  // the ordinary code's way back to a versioned head skips its test
  leave(c, cond, k >= 0 && from >= t && from <= loopLast(k) ? loopBodyAt(k) : targetPos(c, t), t);
}

/** The ordinary code of instruction i, where a copy resumes. */
export function resumePos(c: Context, i: i32): i32 {
  if (c.grouping && i == c.groupFirst) return c.groupBody; // after the group's test
  const k = loopAt(c, i);
  return k >= 0 ? loopBodyAt(k) : targetPos(c, i);
}

/**
 * What the chain being emitted charged for blocks not yet entered, and `again` of the block it leaves, given back
 * (jit/budget.ts): uses r0 and r1. Where the chain may still take on a converted block (budget.ts chargeSkipped),
 * the ADD's place, to give that block back too.
 */
function giveBack(c: Context, again: u32): void {
  const n = c.owed + again;
  if (n == 0) return;
  c.emit(ldr(R0, R11, S_BUDGET));
  if (immRot(n) >= 0) {
    if (c.chargeAt >= 0 && c.givenBacks < MAX_GIVEN_BACK) {
      unchecked(c.givenBackAt[c.givenBacks] = c.pos);
      unchecked(c.givenBackLen[c.givenBacks] = n);
      c.givenBacks++;
    } else c.chargeAt = -1;
    c.emit(opImm(OP_ADD, R0, R0, immRot(n)));
  } else {
    c.chargeAt = -1;
    c.emitConst(R1, n);
    c.emit(opReg(OP_ADD, R0, R0, R1));
  }
  c.emit(str(R0, R11, S_BUDGET));
}

/**
 * A branch to the ordinary code at `target` (instruction `at`, -1 where not known); from a copy with registers of
 * its own, after the moves back, and where blocks the way out skips were charged with the one it leaves
 * (jit/budget.ts), after giving those back, and `again` instructions of the block it leaves, which the ordinary
 * code charges again from `at` (segments.ts copyCharge).
 */
export function leave(c: Context, cond: u32, target: i32, at: i32, again: u32 = 0): void {
  if (c.owed == 0) c.chargeAt = -1; // nothing to give back here, so no later block may join the chain (budget.ts)
  if (!exitMovesNeeded(c, at) && c.owed + again == 0) {
    c.emit(branch(cond, false, c.pos, target));
    return;
  }
  const over = cond != AL ? c.forwardBranch() : -1;
  giveBack(c, again);
  if (c.local) exitMoves(c, at); // a group's copy keeps no registers of its own (its moves' tables are a loop's)
  c.emit(branch(AL, false, c.pos, target));
  if (over >= 0) c.patchBranch(over, cond ^ 1);
}

/**
 * A copy's checked access whose inline check missed (flags HS), its address in r10 (high word in ip, unless
 * `highZero`: known zero): in a loop's copy, L_RECHECK + entry looks through every region and caches the window
 * that holds it, and the copy goes on; only when none does (or in a group's copy) the ordinary code of i redoes the
 * access and reports the fault. (A loop that reads through two regions in turn, one of them planned, would
 * otherwise leave its copy at the first trip: the test on entry leaves the planned region's window in the cache.)
 * A loop copy with checked accesses keeps no eBPF word in r10, ip or lr (loopregs.ts: only loops whose accesses are
 * all planned do), and L_RECHECK preserves the rest.
 */
export function copyMiss(c: Context, i: i32, entry: i32, highZero: bool): void {
  if (inLoopCopy(c)) c.call(0x2, L_RECHECK + (highZero ? 8 : 0) + entry); // HS
  leave(c, 0x2, resumePos(c, i), i, c.budget != 0 ? copyCharge(c, i) : 0); // HS
}

