// Loop versioning: region checks hoisted out of the counted loops loops.ts finds, and out of the loops
// analysis/facts.ts finds bounded by their own compares (their test: facttest.ts). At a loop's head, one test
// checks the whole range each planned access can reach over all trips (against the window of the last check that
// passed, else by a search of the region table, L_RANGE, which leaves the window it finds for the next); when
// every range is allowed, an unchecked copy of the loop runs, else the ordinary code. An access into the frame (r10 +
// a constant + terms: a buffer on the stack indexed by a counter) is tested against the frame by its terms alone
// (emitFrameRangeTest), without a region lookup.
// Nothing in such a loop changes the region table (it makes no calls), so the test holds for all its trips.
//
// In a copy:
//   - planned accesses are not checked; an add that computes such an access's address (offset 0, later in the
//     same block, dst not written between) is 32 bits wide: that address is in the tested range, below 2^32;
//     so is iv's step (the test also checked iv0 + step and bound + step below 2^31: iv and its group stay
//     below 2^31 in the copy, so that a sum of one and a 31-bit value needs no high word; a count down's test,
//     emitDownTest, keeps iv and its last value in [0, 2^31)). The registers of
//     loops.ts loopZeroHigh have a zero high word at every block start;
//   - nothing faults or calls out: where the ordinary code would (a budget running out at a block, a checked
//     access missing the inline region cache, an inner loop's failing test), the copy resumes in the ordinary
//     code at the same instruction, whose state is the same: it then faults with the right instruction index, or
//     goes on checked. Jumps to instructions outside the copy go to the ordinary code too. The copy charges the
//     budget a chain of blocks at a time (jit/budget.ts) and gives back, on a way out, what it charged ahead;
//   - the outermost copy has a register allocation of its own (jit/loopregs.ts): the registers and wide
//     constants the loop uses most in ARM registers (r10 and ip too when nothing in it is checked), loaded on
//     entry, and the ordinary code's registers restored on every way out.
// Inner loops are versioned again inside a copy, always (loops.ts counts on it); their failing test resumes in the
// ordinary code. An inner loop whose accesses the outer loop's test proved for all its entries (analysis/nests.ts,
// emitNestTest: its span over both loops' trips) has no test in the outer copy.
// The code positions of copied instructions are kept in POOL, one entry per instruction and copy, in emission order
// (loops.ts made sure they fit): the first pass records them, the second reads forward positions.
// The test's code goes where the loop's head was (the instruction-offset table points at it), then the copy, then
// the head's ordinary code (bodyStarts): faults can only happen in the ordinary code, so the table stays exact. A
// loop entered only by a `ja` from outside it into its middle (analysis/loops.ts loopEntryJump) has them after that
// `ja`'s ordinary code instead, which jumps there (nothing else does, and nothing falls through to there): the
// copy starts with a jump to where the `ja` went, and a failing test goes to the ordinary code there.
//
// A search (a loop that can leave before its counted test says: an exit besides it) is often entered for a trip or
// two, and then its test costs more than the checks it saves. As the Wasm engine does (wasm/translate.ts:
// L_TRIPS), each entry at depth 0 takes TOLL from a balance (S_TRIPS), each trip of the head's ordinary code gives
// one back (bodyStarts), and the test is skipped, for the ordinary code, while the balance is below -SKIP_BELOW,
// floored at -TRIPS_FLOOR (a run of long searches after short ones soon tests again). The copy without checks
// does not count, so long searches run the balance down too, and then one of them runs checked: where its trips
// bring the balance back to 0 it takes the test after all (any head may: the state there is an entry's) with the
// balance set to BONUS, so that such a probe, a few checked trips, comes once in BONUS / TOLL entries (a checked
// trip costs some 20 ARM instructions more than an unchecked one: probing every few entries would cost more than
// the test). The balance only chooses between two equivalent copies: faults, messages and budgets are the same
// either way. Inside a copy the test always runs: skipping it there would leave the outer copy.

import {
  AL, EQ, GT, HI, HS, LO, LR, LS, LT, MI, NE, NOP, OP_ADC, OP_ADD, OP_BIC, OP_CMN, OP_MVN, OP_SBC, OP_SUB, OP_TST, R0, R1, R11, R2,
  R3, R4, R5, R6, bit,
  OP_MOV, SH_LSL, SH_LSR, branch, bx, cmpImm, cmpReg, cmpRegC, dpImm, dpReg, immRot, ldr, ldrd, movImm, movReg, opImm, opImmS, opReg, opRegS, pop, shiftImm, str, subImm, umull,
} from "./a32/encoder";
import { block } from "./a32/labels";
import {
  COPY_TABLE, IV_BIT, NEST_IV_BIT, NO_SLOT, SLOT_BIT, MAX_ACCESSES, accScale, MAX_LOOPS, MAX_ADDRESS_OFF, accBound, accInsn, accDown, loopDown, loopIvStepsByReg, accBytes, accConst, accRegs, accStore, loopAccesses, loopAt, loopBodyAt,
  loopBoundAdj, loopBoundConverges, loopBoundImm, loopDerive, downFloor, loopBoundNarrow, loopBoundNe, loopNarrowLimit, loopBoundReg, loopBoundSlot, loopBoundSlotOff, loopBaseSlot, loopHead, loopIvGroup, loopIv, loopIvEntry, loopIvStep, loopCapReg, loopCapValue, NO_CAP, loopLast, loopOtherIvs, loopPadded, loopStepImm, loopStepReg,
  loopFacts, loopTrips, loopZeroHigh, setLoopBodyAt, setLoopPadded, loopEntryJump, loopEntryTarget, setLoopTestAt, accInner, loopExitAt, loopNestFromOuter, loopNestInner, loopNestStart, loopSubReg, loopWrites,
} from "./analysis/loops";
import { Context, immOf, offOf, opcode, targetPos } from "./jit/context";
import { leave, poolAt, resumePos, setPool } from "./jit/copies";
import { liveAt } from "./jit/liveness";
import { exitBlockEnd, leavesCopyAt, leavesLoop, onExitPath } from "./analysis/exitpaths";
import { enterLocal, leaveLocal } from "./jit/loopregs";
import {
  borrowClashed, chosenBefore, endStep, noteChosen, setBorrowed, spareScratch, startStep,
} from "./jit/borrowed";
import { settleSwaps, startSwaps } from "./jit/swaps";
import { barrier, hi, hiInArm, known0, lo } from "./jit/regs";
import { emitStep, enterBlock } from "./jit/step";
import { L_RANGE, REGION_BYTES, S_NREGIONS, S_RCACHE, S_REGIONS, S_REGS, S_TRIPS } from "../../targets/arm32/image";
import { CLS_JMP, CLS_JMP32, JMP_JA, STACK_SIZE } from "../isa";
import { emitFactChecks, emitFactSpan } from "./facttest";

const PAGE: u32 = 4096;
const TOLL: u32 = 4;
const BORROW_ROUNDS = 3;
const SKIP_BELOW: u32 = 8;
const TRIPS_FLOOR: u32 = 64;
const BONUS: u32 = 255;
// per loop: where its test goes on after the toll, and the way there from bodyStarts (emitBonus)
const afterToll = new StaticArray<i32>(MAX_LOOPS);
const bonusAt = new StaticArray<i32>(MAX_LOOPS);
// S_TRIPS lies past r11 + 4095 (LDR's reach): lr = r11 + TRIPS_PAGE, then the word at TRIPS_OFF from lr
const TRIPS_PAGE: u32 = <u32>S_TRIPS & ~(PAGE - 1);
const TRIPS_OFF: i32 = S_TRIPS & <i32>(PAGE - 1);
const RANGE_LOCAL = block("versioned.ts L_RANGE", 3);

/**
 * At loop k's head in the ordinary code (depth 0) or in a copy: the test and the copy. Returns false on a
 * translation error. At depth 0 the head's ordinary code follows (bodyStarts).
 */
export function emitVersioned(c: Context, k: i32, inMain: bool): bool {
  if (c.depth > 0) return emitTestAndCopy(c, k, inMain);
  if (loopEntryJump(k) >= 0) setLoopTestAt(k, c.pos); // where its entry jump goes (jit/copies.ts branchTo)
  // qemu-arm chains its translated blocks only within a guest page: a hot loop across a page boundary would look
  // up the next block on every trip. A copy that would straddle one moves to the next page (a branch over the gap).
  // The first pass decides (the second one must not emit anything twice: forward positions come from the first).
  const start = c.pos;
  if (c.measuring) {
    const used = c.poolUsed;
    const copiesBefore = c.copies;
    // the scratch registers the copy's code names nowhere keep eBPF registers (jit/borrowed.ts): emitted again
    // each time with those the last emission left alone (BORROW_ROUNDS emissions at most); one whose code names a
    // borrowed register wrongly is followed by one with the last that did not
    setBorrowed(k, 0);
    if (!emitTestAndCopy(c, k, inMain)) return false;
    let good: u32 = 0;
    let last: u32 = 0; // the last emission's
    let spare = spareScratch();
    // what the emission with `good` borrowed kept in ARM registers: an emission after one that clashed starts
    // from that, not from the clashing one's choice (loopregs.ts keeps what the emission before chose, which may
    // need the scratch registers only the clashing one had)
    let goodChosen = chosenBefore(k);
    for (let round = 0; ; round++) {
      const trying = round < BORROW_ROUNDS && (spare & ~good) != 0;
      if (!trying && last == good) break;
      c.rewind(start);
      c.poolUsed = used;
      c.copies = copiesBefore;
      last = trying ? spare : good;
      setBorrowed(k, last);
      if (!trying) noteChosen(k, goodChosen);
      if (!emitTestAndCopy(c, k, inMain)) return false;
      if (!trying) {
        // (it should not clash, being the good one again; where it does, none borrowed, which cannot)
        if (last == 0 || !borrowClashed()) break;
        good = 0;
        spare = 0;
        continue;
      }
      if (borrowClashed()) spare = good;
      else {
        good = spare;
        goodChosen = chosenBefore(k);
        spare |= spareScratch();
      }
    }
    const first = c.imageBase + <u32>start;
    setLoopPadded(k, ((first ^ (c.imageBase + <u32>c.pos - 1)) & ~(PAGE - 1)) != 0 && <u32>(c.pos - start) <= PAGE / 2);
    if (!loopPadded(k)) return true;
    c.rewind(start);
    c.poolUsed = used;
    c.copies = copiesBefore;
  }
  if (loopPadded(k)) {
    const next = start + <i32>(PAGE - ((c.imageBase + <u32>start) & (PAGE - 1)));
    c.emit(branch(AL, false, c.pos, next));
    while (c.pos < next) c.emit(NOP);
  }
  return emitTestAndCopy(c, k, inMain);
}

function emitTestAndCopy(c: Context, k: i32, inMain: bool): bool {
  const h = loopHead(k);
  const l = loopLast(k);
  const n = l - h + 1;
  // an inner loop whose accesses the enclosing copy's test proved for all its entries (analysis/nests.ts): no test
  if (c.depth > 0 && loopNestInner(unchecked(c.copyLoop[c.depth - 1])) == k) {
    barrier(c);
    enterBlock(c, h);
  } else emitTest(c, k);
  const outermost = c.depth == 0;
  const base = c.poolUsed;
  store<i32>(COPY_TABLE + (<usize>c.copies << 3), k);
  store<i32>(COPY_TABLE + (<usize>c.copies << 3), base, 4);
  c.copies++;
  unchecked(c.copyLoop[c.depth] = k);
  unchecked(c.copyBase[c.depth] = base);
  c.depth++;
  c.poolUsed += n;
  // the copy's own register allocation (jit/loopregs.ts), loaded once here and stored back on every way out
  if (outermost) {
    enterLocal(c, k);
    startSwaps(k);
  }
  // a loop entered by a jump (loopEntryJump): its copy too, where that jump goes
  if (loopEntryJump(k) >= 0) c.emit(branch(AL, false, c.pos, poolAt(base + loopEntryTarget(c, k) - h)));
  for (let i = h; i <= l;) {
    if (outermost) settleSwaps(c, i); // jit/swaps.ts: words swapped in place back where code may be entered
    setPool(base + i - h, c.pos);
    if (outermost) startStep(c);
    const from = i;
    if (onExitPath(k, i)) {
      i = leaveForExitPath(c, k, base, i, l, inMain);
      if (i < 0) return false;
    } else {
      const inner = i != h ? loopAt(c, i) : -1;
      if (inner >= 0) {
        if (!emitVersioned(c, inner, inMain)) return false;
        for (let q = i + 1; q <= loopLast(inner); q++) setPool(base + q - h, c.pos); // not jumped to
        i = loopLast(inner) + 1;
      } else {
        const next = emitStep(c, i, inMain);
        if (next < 0) return false;
        for (let q = i + 1; q < next; q++) setPool(base + q - h, c.pos); // the rest of a fused group, lddw's second slot
        i = next;
      }
    }
    if (outermost) endStep(c, from, i);
  }
  c.depth--;
  if (c.depth == 0) {
    settleSwaps(c, l + 1);
    // the loop ended: on to the ordinary code after it (none when it ends the program: its `ja` back goes on)
    if (l + 1 < c.count) leave(c, AL, targetPos(c, l + 1), l + 1);
    leaveLocal(c);
    if (leavesEarly(c, k)) emitBonus(c, k);
  }
  return true;
}

/**
 * At the block of loop k's exit path starting at i (analysis/exitpaths.ts): the loop has ended, and the ordinary
 * code runs the rest, checked, as it runs the code after the loop: a way out (a `ja` takes its own way).
 * Nothing else enters the block, which the copy does not charge: what a chain charged for it is given back
 * (jit/budget.ts). Returns the instruction after the block.
 */
function leaveForExitPath(c: Context, k: i32, base: i32, i: i32, l: i32, inMain: bool): i32 {
  const h = loopHead(k);
  const end = exitBlockEnd(c, k, i, l);
  const at = c.pos;
  if (!leavesCopyAt(c, k, i)) {
    if (emitStep(c, i, inMain) < 0) return -1;
  } else {
    barrier(c);
    leave(c, AL, resumePos(c, i), i);
  }
  c.owed = 0;
  c.chainNext = -1;
  for (let q = i; q < end; q++) setPool(base + q - h, at);
  return end;
}

/**
 * At depth 0, after emitVersioned: the head's ordinary code starts here. A search's trips through it give back
 * to the balance, one each (r0 and lr: free where the failing test lands).
 */
export function bodyStarts(c: Context, k: i32): void {
  setLoopBodyAt(k, c.pos);
  if (!leavesEarly(c, k)) return;
  barrier(c);
  const base = tripsBase(c);
  c.emit(ldr(R0, base, TRIPS_OFF));
  c.emit(opImmS(OP_ADD, R0, R0, immRot(1)));
  c.emit(str(R0, base, TRIPS_OFF));
  c.emit(branch(EQ, false, c.pos, unchecked(bonusAt[k]))); // back to 0: a long search, tested after all
  barrier(c);
}

/**
 * After a search's copy (nothing falls through to here): the way from bodyStarts back to the test, the balance
 * set to BONUS (lr: the balance's base, as bodyStarts left it).
 */
function emitBonus(c: Context, k: i32): void {
  unchecked(bonusAt[k] = c.pos);
  c.emit(movImm(R0, BONUS));
  c.emit(str(R0, TRIPS_PAGE == 0 ? R11 : LR, TRIPS_OFF));
  c.emit(branch(AL, false, c.pos, unchecked(afterToll[k])));
}

/** lr = the base S_TRIPS is at TRIPS_OFF from (r11 itself when it is within reach). */
function tripsBase(c: Context): i32 {
  if (TRIPS_PAGE == 0) return R11;
  c.emit(opImm(OP_ADD, LR, R11, immRot(TRIPS_PAGE)));
  return LR;
}

/**
 * A search's toll on entry (see the header): balance = max(balance - TOLL, -TRIPS_FLOOR); below -SKIP_BELOW, on to
 * the ordinary code without the test.
 */
function emitToll(c: Context, k: i32): void {
  const base = tripsBase(c);
  c.emit(ldr(R0, base, TRIPS_OFF));
  c.emit(opImm(OP_SUB, R0, R0, immRot(TOLL)));
  c.emit(dpImm(AL, OP_CMN, 1, 0, R0, immRot(TRIPS_FLOOR)));
  c.emit(dpImm(LT, OP_MVN, 0, R0, 0, immRot(TRIPS_FLOOR - 1))); // mvnlt r0: -TRIPS_FLOOR
  c.emit(str(R0, base, TRIPS_OFF));
  c.emit(dpImm(AL, OP_CMN, 1, 0, R0, immRot(SKIP_BELOW)));
  fail(c, LT, k);
  unchecked(afterToll[k] = c.pos);
}

/**
 * Whether loop k can leave before its counted test says: a jump from inside it to outside it other than that test
 * (the back edge at its last instruction, or a conditional jump over a closing `ja head` just before it; a rotated
 * loop's test is loopExitAt, and its last instruction's fall-through, or that jump over the `ja`, leaves early).
 */
function leavesEarly(c: Context, k: i32): bool {
  if (loopFacts(k)) return false; // (no counted test: every entry tests, facttest.ts)
  if (loopEntryJump(k) >= 0) return false; // (no trips through the test's place to give back: every entry tests)
  const h = loopHead(k);
  const l = loopLast(k);
  const closingJa = opcode(c, l) == (CLS_JMP | JMP_JA);
  const rotated = loopExitAt(k) >= 0;
  if (rotated && !closingJa) return true; // a rotated search leaving at L (loops.ts planRotated)
  for (let i = h; i < l; i++) {
    // (a call or exit is no loop's, loops.ts; its exit path's ways out are not the loop's: exitpaths.ts)
    if (onExitPath(k, i) || !leavesLoop(c, k, h, l, i)) continue;
    const op = opcode(c, i);
    const t = i + 1 + (op == (CLS_JMP32 | JMP_JA) ? immOf(c, i) : offOf(c, i));
    if ((closingJa && !rotated && i == l - 1 && t == l + 1) || i == loopExitAt(k)) continue;
    // the exit test falling through into the exit path
    if (i + 1 == loopExitAt(k) && t >= h && t <= l && !onExitPath(k, t)) continue;
    return true;
  }
  return false;
}

/**
 * The test at loop k's head (registers hold their values on entry): iv0, bound and step below 2^32, then for each
 * planned access, its address with iv = iv0 below 2^32 and [address, address + span + T + size) in one region's
 * window (span: emitSpan; T: the access's bounded term, loops.ts).
 * Any failure goes to the head's ordinary code. Uses r0-r3 and lr.
 */
function emitTest(c: Context, k: i32): void {
  const h = loopHead(k);
  barrier(c); // jumps land here
  // what is known where the loop is entered (a loop entered by a jump: at that jump's target, whose knowledge
  // holds on the jump's edge too)
  const entry = loopEntryJump(k) >= 0 ? loopEntryTarget(c, k) : h;
  enterBlock(c, entry);
  if (c.depth == 0 && leavesEarly(c, k)) emitToll(c, k);
  const iv = loopIvEntry(k);
  const boundReg = loopBoundReg(k);
  const stepReg = loopStepReg(k);
  testedZero = 0;
  if (iv >= 0) highWordZero(c, iv, k); // (analysis/facts.ts's loops have none)
  if (boundReg >= 0) highWordZero(c, boundReg, k);
  if (stepReg >= 0) highWordZero(c, stepReg, k);
  if (loopSubReg(k) >= 0) highWordZero(c, loopSubReg(k), k);
  // the copy's zero high words (loopZeroHigh): zero on entry, iv + step below 2^32 on every trip. A register the
  // loop writes before any read of it (dead where the loop is entered) is not tested but given a zero high word:
  // its value on entry is never seen, and the copy, counting on that word being zero at every block start, never
  // writes it
  const zero = loopZeroHigh(k);
  const group = loopIvGroup(k);
  for (let r = 0; r < 10; r++) {
    if ((((zero | group) >> <u32>r) & 1) == 0 || r == iv || r == boundReg || r == stepReg) continue;
    if (((group >> <u32>r) & 1) != 0 || liveAt(c, entry, r)) highWordZero(c, r, k);
    else zeroHighWord(c, r);
  }
  // iv's group equal to iv (their high words are zero, as iv's)
  for (let r = 0; r < 10; r++) {
    if (((group >> <u32>r) & 1) == 0) continue;
    c.emit(cmpReg(lo(c, r, R0), lo(c, iv, R1)));
    fail(c, NE, k);
  }
  if (loopBoundSlot(k)) {
    // the bound's frame slot: its high word
    c.emit(ldr(R0, lo(c, 10, R0), loopBoundSlotOff(k) + 4));
    c.emit(cmpImm(R0, 0));
    fail(c, NE, k);
  }
  if (loopBaseSlot(k) != NO_SLOT) {
    // the base slot's high word (emitRangeTest adds its low word as a register's whose high word is zero; the
    // copy reloads it as a 32-bit value, loops.ts reloadsBound)
    c.emit(ldr(R0, lo(c, 10, R0), loopBaseSlot(k) + 4));
    c.emit(cmpImm(R0, 0));
    fail(c, NE, k);
  }
  if (loopFacts(k)) {
    // analysis/facts.ts's loop: its bounds and entry assumptions, then each access with its span (facttest.ts)
    emitFactChecks(c, k);
    for (let j = 0; j < loopAccesses(k); j++) {
      emitFactSpan(c, k, k * MAX_ACCESSES + j);
      emitRangeTest(c, k, k * MAX_ACCESSES + j);
    }
    return;
  }
  if (loopDown(k)) emitDownTest(c, k);
  else if (loopTrips(k) > 0) emitTripsTest(c, k);
  else emitUpwardTest(c, k);
  // the accesses that move with iv alone first, with D computed once for all of them (a loop entered often, for
  // few trips, pays for its test each time); then the others, each with its own span
  let withD = 0;
  for (let j = 0; j < loopAccesses(k); j++) {
    const a = k * MAX_ACCESSES + j;
    if (!movesWithIvOnly(k, a) || frameTestedBefore(c, k, a)) continue;
    if (withD++ == 0) emitD(c, k);
    emitRangeTest(c, k, a);
  }
  for (let j = 0; j < loopAccesses(k); j++) {
    const a = k * MAX_ACCESSES + j;
    if (movesWithIvOnly(k, a) || accInner(a) || frameTestedBefore(c, k, a)) continue;
    emitSpan(c, k, a);
    emitRangeTest(c, k, a);
  }
  for (let r = 0; r < 10; r++) if ((loopOtherIvs(k) >> <u32>r) & 1) emitLastValue(c, k, r);
  if (loopNestInner(k) >= 0) emitNestTest(c, k);
}

/**
 * Another induction variable p (its high word tested zero with loopZeroHigh's): its value after the last trip,
 * p0 + (D / step + 1) * c, below 2^32 (or not below 0 when c < 0), so that its step is 32 bits wide in the copy
 * (loops.ts narrowAdd). D < 2^31 (emitUpwardTest): the trips do not overflow.
 */
function emitLastValue(c: Context, k: i32, p: i32): void {
  if (((loopZeroHigh(k) >> <u32>p) & 1) == 0) highWordZero(c, p, k);
  emitD(c, k);
  const step = loopStepImm(k);
  if (step > 1) c.emit(shiftImm(SH_LSR, R1, R1, ctz<u32>(<u32>step)));
  c.emit(opImm(OP_ADD, R1, R1, immRot(1)));
  const v = loopIvStep(k, p);
  const byReg = loopIvStepsByReg(k, p);
  if (byReg) highWordZero(c, v, k);
  else if (v != 1 && v != -1) c.emitConst(R2, <u32>(v < 0 ? -v : v));
  if (byReg || (v != 1 && v != -1)) { // a step of 1 or -1: the trips themselves, below 2^32
    c.emit(umull(R1, R3, R1, byReg ? lo(c, v, R2) : R2));
    c.emit(cmpImm(R3, 0));
    fail(c, NE, k);
  }
  if (!byReg && v < 0) {
    c.emit(opRegS(OP_SUB, R1, lo(c, p, R0), R1));
    fail(c, LO, k);
  } else {
    c.emit(opRegS(OP_ADD, R1, R1, lo(c, p, R0)));
    fail(c, HS, k);
  }
}

/**
 * Loop k's test for its inner loop q (analysis/nests.ts), whose copy inside k's copy then goes without a test of
 * its own: what q's test would check on each entry, once for all of them. The high words of q's bound and of the
 * registers q's copy counts on having a zero high word that k does not write (k's test and the nest's analysis
 * covered the others); q's E + step below 2^31 (q's iv starts at a constant below it, checked there); each of q's
 * accesses over all the trips of both loops (emitNestSpan).
 */
function emitNestTest(c: Context, k: i32): void {
  const q = loopNestInner(k);
  const outside = loopZeroHigh(q) & ~loopWrites(k);
  for (let r = 0; r < 10; r++) if ((outside >> <u32>r) & 1) highWordZero(c, r, k); // (q's bound among them)
  c.emitConst(R2, <u32>loopStepImm(q));
  c.emit(opRegS(OP_ADD, R0, emitBound(c, q, R0, k), R2));
  fail(c, HS, k);
  fail(c, MI, k);
  if (loopNestFromOuter(k)) {
    // q's iv starting at k's iv + c0: its largest start iv0 + D + c0, plus q's step, below 2^31 too
    emitD(c, k);
    c.emit(opRegS(OP_ADD, R1, R1, lo(c, loopIvEntry(k), R0)));
    fail(c, HS, k);
    c.emitAddConstS(R1, R1, <u32>(loopNestStart(k) + loopStepImm(q)), R3);
    fail(c, HS, k);
    fail(c, MI, k);
  }
  for (let j = 0; j < loopAccesses(k); j++) {
    const a = k * MAX_ACCESSES + j;
    if (!accInner(a)) continue;
    emitNestSpan(c, k, a);
    emitRangeTest(c, k, a);
  }
}

/**
 * r1 = how far inner access a's address moves over loop k's trips and its inner loop q's: q's iv from its start
 * to q's E - 1 (0 when E is not above the start) when it sums q's iv, plus k's D when it sums k's iv (its start
 * address is the lifted sum with k's iv at iv0 and q's at its start).
 */
function emitNestSpan(c: Context, k: i32, a: i32): void {
  const q = loopNestInner(k);
  if ((accRegs(a) & NEST_IV_BIT) != 0 && loopNestFromOuter(k)) {
    // q's iv from k's iv + c0: over all entries in [iv0 + c0, max(iv0 + D + c0, E - 1)], a span of max(D, E - 1 -
    // c0 - iv0) (E, c0 and iv0 below 2^31: a difference that wraps only comes out larger, never smaller)
    emitD(c, k);
    const e = emitBound(c, q, R3, k);
    c.emitConst(R2, <u32>loopNestStart(k) + 1);
    c.emit(opReg(OP_SUB, R0, e, R2));
    c.emit(opReg(OP_SUB, R0, R0, lo(c, loopIvEntry(k), R2)));
    c.emit(cmpReg(R0, R1));
    c.emit(dpReg(GT, OP_MOV, 0, R1, 0, R0, SH_LSL, 0)); // movgt r1, r0
    return;
  }
  if (accRegs(a) & NEST_IV_BIT) {
    const e = emitBound(c, q, R3, k);
    c.emitConst(R2, <u32>loopNestStart(k));
    c.emit(opRegS(OP_SUB, R1, e, R2));
    c.emit(dpImm(LS, 0xd, 0, R1, 0, 0)); // movls r1, #0
    c.emit(dpImm(HI, OP_SUB, 0, R1, R1, 1));
  } else c.emit(movImm(R1, 0));
  if ((accRegs(a) & IV_BIT) == 0) return;
  c.emit(movReg(R0, R1));
  emitD(c, k);
  c.emit(opRegS(OP_ADD, R1, R1, R0));
  fail(c, HS, k);
}

function movesWithIvOnly(k: i32, a: i32): bool {
  return (accRegs(a) & IV_BIT) != 0 && (accRegs(a) & loopOtherIvs(k)) == 0 && !accInner(a) && accScale(a) == 0;
}

/**
 * iv0 + step and E + step below 2^31: nothing in the copy wraps around, and iv stays below 2^31 (copies.ts
 * copyNarrowIvs; a counter or offset of 2 GiB or more on a 32-bit device runs the ordinary code). For an exit
 * test `!=`, iv0 below E too and E - iv0 a multiple of the step: iv then meets E - step. For a 32-bit exit test, E + c at most 2^31
 * (loops.ts: loopNarrowLimit; a constant E was checked there). For a bound stepping down (loopBoundConverges), B0 not 0.
 */
function emitUpwardTest(c: Context, k: i32): void {
  const iv = loopIvEntry(k);
  const stepReg = loopStepReg(k);
  if (loopBoundNarrow(k) && (loopBoundReg(k) >= 0 || loopBoundSlot(k))) {
    const e = emitBound(c, k, R0);
    c.emitConst(R2, loopNarrowLimit(k));
    c.emit(cmpReg(e, R2));
    fail(c, HI, k);
  }
  if (loopBoundConverges(k)) {
    // a bound stepping down by 1 (loops.ts convergingBound): B0 at least 1, or the test's B - 1 would wrap
    c.emit(cmpImm(lo(c, loopBoundReg(k), R0), 0));
    fail(c, EQ, k);
  }
  if (loopBoundNe(k)) {
    const e = emitBound(c, k, R0);
    c.emit(cmpReg(lo(c, iv, R2), e));
    fail(c, HS, k);
    if (stepReg < 0 && loopStepImm(k) > 1) { // E - iv0 a multiple of the step
      c.emit(opReg(OP_SUB, R0, e, lo(c, iv, R2)));
      c.emit(dpImm(AL, OP_TST, 1, 0, R0, immRot(<u32>(loopStepImm(k) - 1))));
      fail(c, NE, k);
    }
  }
  const s_ = stepReg >= 0 ? lo(c, stepReg, R2) : R2;
  if (stepReg < 0) c.emitConst(R2, <u32>loopStepImm(k));
  c.emit(opRegS(OP_ADD, R0, lo(c, iv, R0), s_));
  fail(c, HS, k);
  fail(c, MI, k);
  c.emit(opRegS(OP_ADD, R0, emitBound(c, k, R0), s_));
  fail(c, HS, k);
  fail(c, MI, k);
}

/**
 * A loop whose trips a division bounds (loops.ts loopTrips): iv's last value, iv0 + trips * step, below 2^31, so
 * that iv stays below 2^31 in the copy as an upward loop's does (the trips times the step: below 2^20, loops.ts).
 */
function emitTripsTest(c: Context, k: i32): void {
  c.emitAddConstS(R0, lo(c, loopIvEntry(k), R0), <u32>(loopTrips(k) * loopStepImm(k)), LR);
  fail(c, HS, k);
  fail(c, MI, k);
}

/**
 * A count down (loops.ts): L at least downFloor (a constant L was checked there) and iv0 at least L: iv's values
 * at the head then stay in [L, iv0] (D = iv0 - L), iv's and Y = iv + c's at the exit test not below 0, and iv's
 * step is the same in 32 bits as in 64 (iv0's high word is zero); a constant L below the step lets iv's last value
 * be below 0 (loops.ts loopEndsBelowZero: that step stays 64 bits wide). For a 32-bit exit test, iv0 + c (c > 0) and a
 * bound in a register (or frame slot) below 2^31 too: every Y in [0, 2^31) compares the same in 32 bits.
 */
function emitDownTest(c: Context, k: i32): void {
  const iv = loopIvEntry(k);
  const cy = loopDerive(k);
  const constant = loopBoundReg(k) < 0 && !loopBoundSlot(k);
  if (loopBoundNarrow(k) && !constant) {
    let b = R0;
    if (loopBoundSlot(k)) c.emit(ldr(R0, lo(c, 10, R0), loopBoundSlotOff(k)));
    else b = lo(c, loopBoundReg(k), R0);
    c.emit(cmpImm(b, 0));
    fail(c, MI, k);
  }
  if (constant) {
    // the carry: iv0 >= L (L > 0); an L of 0 (loops.ts loopEndsBelowZero) holds for any iv0 (high word zero)
    if (loopBoundImm(k) > 0) c.emitAddConstS(R0, lo(c, iv, R0), <u32>-loopBoundImm(k), LR);
  } else {
    const e = emitBound(c, k, R0);
    c.emitConst(R2, <u32>downFloor(loopStepImm(k), cy));
    c.emit(cmpReg(e, R2));
    fail(c, LO, k);
    c.emit(cmpReg(lo(c, iv, R2), e));
  }
  if (!constant || loopBoundImm(k) > 0) fail(c, LO, k);
  if (loopBoundNe(k) && loopStepImm(k) > 1) { // iv0 - L a multiple of the step: iv meets L, where `!=` leaves
    if (constant) c.emitAddConst(R0, lo(c, iv, R0), <u32>-loopBoundImm(k), LR);
    else c.emit(opReg(OP_SUB, R0, lo(c, iv, R0), emitBound(c, k, R2)));
    c.emit(dpImm(AL, OP_TST, 1, 0, R0, immRot(<u32>(loopStepImm(k) - 1))));
    fail(c, NE, k);
  }
  if (!loopBoundNarrow(k)) return;
  c.emitAddConstS(R0, lo(c, iv, R0), <u32>max(cy, 0), LR);
  fail(c, HS, k);
  fail(c, MI, k);
}

/**
 * The ARM register holding E's low word (loops.ts: the bound iv's values at the head stay below; its high word
 * was tested zero): the bound register's, or `tmp` holding a constant, a frame slot's word or B + adjustment.
 * An E below 0 or of 2^32 or more fails the test. Uses tmp and lr.
 */
function emitBound(c: Context, k: i32, tmp: i32, to: i32 = -1): i32 {
  if (to < 0) to = k;
  const e = emitBoundAdded(c, k, tmp, to);
  const sub = loopSubReg(k);
  if (sub < 0) return e;
  // a rotated loop's E less R (its high word tested zero): below 0, no trip after the first would go on
  c.emit(opRegS(OP_SUB, tmp, e, lo(c, sub, LR)));
  fail(c, LO, to);
  return tmp;
}

/**
 * emitBound's E before R is subtracted: the closing test's, or the smaller of that and the cap's (loops.ts
 * loopCapReg: E2 = B2 + adjustment, or a constant). A failure goes to loop `to`'s ordinary code.
 */
function emitBoundAdded(c: Context, k: i32, tmp: i32, to: i32): i32 {
  const e = emitClosingBound(c, k, tmp, to);
  const cap = loopCapReg(k);
  if (cap == NO_CAP) return e;
  let e2 = LR;
  if (cap < 0) c.emitConst(LR, <u32>loopCapValue(k));
  else {
    e2 = lo(c, cap, LR);
    const adj = loopCapValue(k);
    if (adj != 0) { // (|adj| below 256: one instruction)
      c.emitAddConstS(LR, e2, <u32>adj, LR);
      fail(c, adj > 0 ? HS : LO, to);
      e2 = LR;
    }
  }
  if (e != tmp) c.emit(movReg(tmp, e));
  c.emit(cmpReg(tmp, e2));
  c.emit(dpReg(HI, OP_MOV, 0, tmp, 0, e2, SH_LSL, 0)); // movhi tmp, e2
  return tmp;
}

/** The closing test's E; a failure goes to loop `to`'s ordinary code. */
function emitClosingBound(c: Context, k: i32, tmp: i32, to: i32): i32 {
  const boundReg = loopBoundReg(k);
  let src: i32;
  if (loopBoundSlot(k)) {
    c.emit(ldr(tmp, lo(c, 10, tmp), loopBoundSlotOff(k)));
    src = tmp;
  } else if (boundReg >= 0) src = lo(c, boundReg, tmp);
  else {
    c.emitConst(tmp, <u32>loopBoundImm(k));
    return tmp;
  }
  const adj = loopBoundAdj(k);
  if (adj == 0) return src;
  c.emitAddConstS(tmp, src, <u32>adj, LR); // the carry: a wrap-around above (adj > 0) or below (adj < 0)
  fail(c, adj > 0 ? HS : LO, to);
  return tmp;
}

/**
 * r1 = D: E - 1 - iv0 when iv0 < E, else 0; (trips - 1) * step when a division bounds the trips. Counting down, iv0 - L (emitDownTest: not below 0). Either way a
 * multiple of a constant step that is a power of two: iv's values at the head differ from iv0 by multiples of it
 * (counting down, the lowest need not be L: `for (int i = n - 5; i >= 0; i -= 4)` ends at (n - 5) % 4).
 */
function emitD(c: Context, k: i32): void {
  if (loopTrips(k) > 0) {
    c.emitConst(R1, <u32>((loopTrips(k) - 1) * loopStepImm(k))); // (a division's trips: loops.ts loopTrips)
    return;
  }
  if (loopDown(k)) {
    if (loopBoundReg(k) < 0 && !loopBoundSlot(k)) c.emitAddConst(R1, lo(c, loopIvEntry(k), R1), <u32>-loopBoundImm(k), R3);
    else c.emit(opReg(OP_SUB, R1, lo(c, loopIvEntry(k), R1), emitBound(c, k, R3)));
  } else {
    const b_ = emitBound(c, k, R3);
    c.emit(opRegS(OP_SUB, R1, b_, lo(c, loopIvEntry(k), R2)));
    c.emit(dpImm(LS, 0xd, 0, R1, 0, 0)); // movls r1, #0
    c.emit(dpImm(HI, OP_SUB, 0, R1, R1, 1));
  }
  const step = loopStepImm(k);
  if (loopStepReg(k) < 0 && (step & (step - 1)) == 0 && step > 1 && immRot(<u32>(step - 1)) >= 0) {
    c.emit(opImm(OP_BIC, R1, R1, immRot(<u32>(step - 1))));
  }
}

/**
 * r1 = how far access a's address moves over the loop: 0 when it sums no induction variable, D when only iv, else
 * (D / step) * K, K the steps of the induction variables it sums (loops.ts); a K or a product of 2^32 or more
 * fails the test.
 */
function emitSpan(c: Context, k: i32, a: i32): void {
  const regs = accRegs(a);
  const others = regs & loopOtherIvs(k);
  if (others == 0) {
    if ((regs & IV_BIT) == 0) {
      c.emit(movImm(R1, 0));
      return;
    }
    emitD(c, k);
    const scale = accScale(a);
    if (scale == 0) return;
    // D << k: below 2^32, or the ordinary code
    c.emit(dpReg(AL, OP_MOV, 1, R3, 0, R1, SH_LSR, <u32>(32 - scale)));
    fail(c, NE, k);
    c.emit(shiftImm(SH_LSL, R1, R1, <u32>scale));
    return;
  }
  emitD(c, k);
  // r1 = the trips after the first: D / step (a power of two when there are other induction variables)
  const step = loopStepImm(k);
  if (step > 1) c.emit(shiftImm(SH_LSR, R1, R1, ctz<u32>(<u32>step)));
  let kc: u64 = (regs & IV_BIT) != 0 ? <u64>step << <u64>accScale(a) : 0;
  let byReg = false;
  for (let r = 0; r < 10; r++) {
    if ((others & (<u32>1 << <u32>r)) == 0) continue;
    if (loopIvStepsByReg(k, r)) {
      byReg = true;
      continue;
    }
    const v = loopIvStep(k, r); // loops.ts: every step of this address has one sign
    kc += <u64>(v < 0 ? -v : v);
  }
  if (kc >> 32) {
    fail(c, AL, k); // a step of 2^32 or more: the ordinary code
    return;
  }
  if (kc == 1 && !byReg) return; // (D / step) * 1
  c.emitConst(R2, <u32>kc);
  for (let r = 0; r < 10; r++) {
    if ((others & (<u32>1 << <u32>r)) == 0 || !loopIvStepsByReg(k, r)) continue;
    const s = loopIvStep(k, r);
    highWordZero(c, s, k);
    c.emit(opRegS(OP_ADD, R2, R2, lo(c, s, R3)));
    fail(c, HS, k);
  }
  c.emit(umull(R1, R3, R1, R2));
  c.emit(cmpImm(R3, 0));
  fail(c, NE, k);
}

/**
 * The ARM register holding the low word of term `bit` of access a's sum (bit r: eBPF register r), or tmp; iv
 * shifted by its scale (accScale; iv0 << k of 2^32 or more fails the test). Uses r3.
 */
function termLo(c: Context, k: i32, a: i32, bit: u32, tmp: i32): i32 {
  if (bit == SLOT_BIT) {
    c.emit(ldr(tmp, lo(c, 10, tmp), loopBaseSlot(k)));
    return tmp;
  }
  const l = lo(c, bit == IV_BIT ? loopIvEntry(k) : ctz<i32>(<i32>bit), tmp);
  const scale = bit == IV_BIT ? accScale(a) : 0;
  if (scale == 0) return l;
  c.emit(dpReg(AL, OP_MOV, 1, R3, 0, l, SH_LSR, <u32>(32 - scale)));
  fail(c, NE, k);
  c.emit(shiftImm(SH_LSL, tmp, l, <u32>scale));
  return tmp;
}

/** Whether term `bit`'s high word is zero here (the base slot's and a scaled iv's: emitTest tested them). */
function termHigh0(c: Context, k: i32, a: i32, bit: u32): bool {
  if (bit == SLOT_BIT || (bit == IV_BIT && accScale(a) != 0)) return true;
  const r = bit == IV_BIT ? loopIvEntry(k) : ctz<i32>(<i32>bit);
  return known0(c, r) || ((testedZero >> <u32>r) & 1) != 0;
}

// The registers whose high word the test being emitted has found zero (highWordZero): zero from there on, where
// the test goes on
let testedZero: u32 = 0;

// The terms an access's address may sum (loops.ts): registers, iv, the base slot (not an inner loop's iv: lifted
// accesses have its start in their constant)
const TERMS: u32 = 0xfff | SLOT_BIT;

function emitRangeTest(c: Context, k: i32, a: i32): void {
  const base0 = accConst(a);
  const regs = accRegs(a) & TERMS;
  if (emitFrameRangeTest(c, k, a, base0, regs)) return;
  // every high word zero (known here) and a constant below 2^32: the address is the 32-bit sum, any carry out of
  // it an address of 2^32 or more, which no range holds
  let narrow = (base0 >> 32) == 0 && !accDown(a);
  for (let r = 0; r <= 13; r++) {
    if ((regs & (<u32>1 << <u32>r)) != 0 && !termHigh0(c, k, a, <u32>1 << <u32>r)) narrow = false;
  }
  if (narrow) {
    let first = true;
    for (let r = 0; r <= 13; r++) {
      if ((regs & (<u32>1 << <u32>r)) == 0) continue;
      const l_ = termLo(c, k, a, <u32>1 << <u32>r, R2);
      if (first) c.emitAddConstS(R0, l_, <u32>base0, R3);
      else c.emit(opRegS(OP_ADD, R0, R0, l_));
      fail(c, HS, k);
      first = false;
    }
    if (first) c.emitConst(R0, <u32>base0);
  } else {
    c.emitConst(R0, <u32>base0);
    c.emitConst(LR, <u32>(base0 >> 32));
    for (let r = 0; r <= 13; r++) {
      const bit = <u32>1 << <u32>r;
      if ((regs & bit) == 0) continue;
      c.emit(opRegS(OP_ADD, R0, R0, termLo(c, k, a, bit, R2)));
      if (termHigh0(c, k, a, bit)) c.emit(opImm(OP_ADC, LR, LR, 0));
      else c.emit(opReg(OP_ADC, LR, LR, hi(c, bit == IV_BIT ? loopIvEntry(k) : r, R3)));
    }
    if (accDown(a)) {
      // the address moves down: the range starts span below it
      c.emit(opRegS(OP_SUB, R0, R0, R1));
      c.emit(opImm(OP_SBC, LR, LR, 0));
    }
    c.emit(cmpImm(LR, 0));
    fail(c, NE, k);
  }
  // an address computed as a sum and an offset (loops.ts addressOfPlanned): the sum is not below 0, nor 2^32 or
  // more (r1: the span)
  const off = offOf(c, accInsn(a));
  const size = <u32>accBytes(a) + accBound(a);
  if (off > 0 && off <= MAX_ADDRESS_OFF && !accDown(a)) {
    c.emit(cmpImm(R0, <u32>off));
    fail(c, LO, k);
  } else if (off < 0 && off >= -MAX_ADDRESS_OFF && !accDown(a)) {
    c.emit(opRegS(OP_ADD, R2, R0, R1));
    fail(c, HS, k);
    c.emitAddConstS(R2, R2, size - <u32>off, R3);
    fail(c, HS, k);
  }
  // First the window of the last check that passed (S_RCACHE, as memory.ts's inline checks): a loop mostly reads
  // where the code before it read, and a loop entered often for few trips would pay L_RANGE's search each time.
  // [r0, r0 + D + size) fits in [start, start + span + 7) when (r0 - start) + D + size - 8 < span, every step
  // without a wrap-around (a span of 0 matches nothing).
  const v = <i32>size - 8;
  const fits = v >= 0 ? immRot(<u32>v) : immRot(<u32>-v);
  let pass = -1;
  if (fits >= 0) {
    c.emit(ldrd(R2, R11, S_RCACHE + (accStore(a) ? 8 : 0))); // start, span
    c.emit(opRegS(OP_SUB, R2, R0, R2));
    const below = c.forwardBranch();
    c.emit(opRegS(OP_ADD, R2, R2, R1));
    const over = c.forwardBranch();
    if (v > 0) {
      c.emit(opImmS(OP_ADD, R2, R2, fits));
    } else if (v < 0) c.emit(opImm(OP_SUB, R2, R2, fits)); // below 0: a large value, not below the span
    const wraps = v > 0 ? c.forwardBranch() : -1;
    c.emit(cmpReg(R2, R3));
    pass = c.forwardBranch();
    c.patchBranch(below, LO);
    c.patchBranch(over, HS);
    if (wraps >= 0) c.patchBranch(wraps, HS);
    barrier(c);
  }
  c.emitConst(R2, size); // L_RANGE adds D: the range's length less one
  c.emit(movImm(R3, accStore(a) ? 8 : 0));
  c.bl(L_RANGE);
  fail(c, NE, k);
  if (pass >= 0) {
    c.patchBranch(pass, LO);
    barrier(c);
  }
}

/**
 * An access whose address is r10 + a constant + terms with zero high words (a buffer in the frame indexed by iv,
 * `buf[k]` of `char buf[12]`): its range is tested against the frame, [r10 - STACK_SIZE, r10), by the terms' sum
 * alone: S + base0 >= -STACK_SIZE and S + base0 + span + size <= 0 (moving down: S - span + base0 >= -STACK_SIZE,
 * S + base0 + size <= 0), in 32 bits, a carry or borrow failing the test. Any such range is the frame's, which every
 * access may reach, so no region is looked up; a range outside it fails the test (the ordinary code then checks each
 * access, as it would). The frame's address is at least STACK_SIZE and its top far below 2^32 (the image's state
 * lies above it), so the sum before an access's offset (loops.ts addressOfPlanned) is neither below 0 nor 2^32 or
 * more. False (nothing emitted) when the access is not of that shape. r1: the span.
 */
function emitFrameRangeTest(c: Context, k: i32, a: i32, base0: i64, regs: u32): bool {
  if (!frameShaped(c, k, a)) return false;
  const terms = regs & ~(<u32>1 << 10);
  const room = -base0 - <i64>accBytes(a) - <i64>accBound(a); // the largest S (+ span) an access fits below r10 with
  const floor = -<i64>STACK_SIZE - base0; // the least S (- span) an access starts in the frame with
  let s = -1;
  for (let r = 0; r <= 13; r++) {
    const bit = <u32>1 << <u32>r;
    if ((terms & bit) == 0) continue;
    const l_ = termLo(c, k, a, bit, s < 0 ? R0 : R2);
    if (s < 0) s = l_;
    else {
      c.emit(opRegS(OP_ADD, R0, s, l_));
      fail(c, HS, k);
      s = R0;
    }
  }
  if (s < 0) {
    c.emitConst(R0, 0);
    s = R0;
  }
  if (accDown(a)) {
    compareWith(c, s, <u32>room);
    fail(c, HI, k);
    c.emit(opRegS(OP_SUB, R2, s, R1));
    fail(c, LO, k);
  } else {
    c.emit(opRegS(OP_ADD, R2, s, R1));
    fail(c, HS, k);
    compareWith(c, R2, <u32>room);
    fail(c, HI, k);
  }
  if (floor > 0) {
    compareWith(c, accDown(a) ? R2 : s, <u32>floor);
    fail(c, LO, k);
  }
  return true;
}

/** Whether access a's range is one emitFrameRangeTest tests. */
function frameShaped(c: Context, k: i32, a: i32): bool {
  const base0 = accConst(a);
  const regs = accRegs(a) & TERMS;
  if ((regs & (<u32>1 << 10)) == 0 || base0 > 0 || base0 < -(1 << 20) || accInner(a)) return false;
  for (let r = 0; r <= 13; r++) {
    const bit = <u32>1 << <u32>r;
    if (r != 10 && (regs & bit) != 0 && !termHigh0(c, k, a, bit)) return false;
  }
  return -base0 >= <i64>accBytes(a) + <i64>accBound(a);
}

/**
 * Whether an access of loop k before a has the same range in the frame (a load and a store of one element: `t =
 * buf[l]; buf[l] = ...`): the frame allows both, so its test (emitFrameRangeTest) covers a too.
 */
function frameTestedBefore(c: Context, k: i32, a: i32): bool {
  if (!frameShaped(c, k, a)) return false;
  for (let b = k * MAX_ACCESSES; b < a; b++) {
    if (frameShaped(c, k, b) && accRegs(b) == accRegs(a) && accConst(b) == accConst(a) && accBytes(b) == accBytes(a) &&
      accBound(b) == accBound(a) && accScale(b) == accScale(a) && accDown(b) == accDown(a)) return true;
  }
  return false;
}

/** cmp r, #v, through r3 when v has no immediate form. */
function compareWith(c: Context, r: i32, v: u32): void {
  if (immRot(v) >= 0) c.emit(cmpImm(r, v));
  else {
    c.emitConst(R3, v);
    c.emit(cmpReg(r, R3));
  }
}

/** Sets register r's high word to zero where it lives (an ARM register, or the register file), unless known zero. */
function zeroHighWord(c: Context, r: i32): void {
  if (known0(c, r)) return;
  if (hiInArm(c, r)) {
    c.emit(movImm(hi(c, r, R0), 0));
    return;
  }
  c.emit(movImm(R0, 0));
  c.emit(str(R0, R11, S_REGS + 8 * r + 4));
}

function highWordZero(c: Context, r: i32, k: i32): void {
  testedZero |= <u32>1 << <u32>r;
  if (known0(c, r)) return;
  c.emit(cmpImm(hi(c, r, R0), 0));
  fail(c, NE, k);
}

/** The test failed (cond): on to the head's ordinary code. */
function fail(c: Context, cond: u32, k: i32): void {
  leave(c, cond, loopBodyAt(k), loopHead(k));
}

/**
 * L_RANGE: r0 = start, r1 = D, r2 = access size, r3 = 0 (read) or 8 (write): EQ when [r0, r0 + r1 + r2) lies in
 * one region's readable (writable) window, else NE. Preserves r1 and r4-r12. Emitted when a loop is versioned.
 * The window found becomes the one the inline checks and the next tests try first (S_RCACHE, as L_CHECK leaves
 * it: windows of 8 bytes or more), so that a loop entered again does not search again.
 */
export function emitRangeRoutine(c: Context): void {
  if (c.loops == 0 && c.groups == 0) return; // also for jit/groups.ts
  const LOOP = RANGE_LOCAL, OUT = RANGE_LOCAL + 1, FOUND = RANGE_LOCAL + 2;
  const saved = bit(R1) | bit(R4) | bit(R5) | bit(R6);
  c.routine(L_RANGE, saved);
  c.emit(opReg(OP_ADD, R6, R11, R3)); // where this window's cache entry is, less S_RCACHE
  c.emit(opRegS(OP_ADD, R1, R1, R2)); // the range's length
  c.emit(dpImm(0x2, 0xd, 1, R4, 0, 1)); // movshs r4, #1: a length of 2^32 or more fits nowhere (NE)
  branchLabel(c, 0x2, OUT);
  c.emit(ldr(R4, R11, S_NREGIONS));
  c.emit(opReg(OP_ADD, R2, R11, R3));
  c.emit(opImm(OP_ADD, R2, R2, immRot(S_REGIONS)));
  c.label(LOOP);
  c.emit(opImmS(OP_SUB, R4, R4, 1));
  branchLabel(c, MI, OUT); // no region left: NE (N set, Z clear)
  c.emit(ldr(R3, R2, 0));
  c.emit(ldr(R5, R2, 4));
  c.emit(opImm(OP_ADD, R2, R2, immRot(REGION_BYTES)));
  c.emit(cmpReg(R0, R3));
  branchLabel(c, LO, LOOP);
  c.emit(opRegS(OP_SUB, R5, R5, R1));
  branchLabel(c, LO, LOOP); // the window is shorter than the range
  c.emit(cmpReg(R0, R5));
  branchLabel(c, HI, LOOP);
  // found: r3 = the window's start; its span for the cache, end - 7 - start, when it holds 8 bytes or more
  c.emit(ldr(R5, R2, 4 - <i32>REGION_BYTES));
  c.emit(opImmS(OP_SUB, R5, R5, 8));
  c.emit(cmpRegC(HS, R5, R3));
  branchLabel(c, LO, FOUND);
  c.emit(opReg(OP_SUB, R5, R5, R3));
  c.emit(opImm(OP_ADD, R5, R5, 1));
  c.emit(str(R3, R6, S_RCACHE));
  c.emit(str(R5, R6, S_RCACHE + 4));
  c.label(FOUND);
  c.emit(cmpReg(R0, R0)); // EQ
  c.label(OUT);
  c.emit(pop(saved));
  c.emit(bx(LR));
}

function branchLabel(c: Context, cond: u32, id: i32): void {
  c.emit(branch(cond, false, c.pos, c.at(id)));
}
