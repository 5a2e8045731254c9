// Counted loops whose memory checks can be hoisted: the loops versioned.ts emits twice. This file finds them and
// describes their accesses; it emits nothing. The same idea as the Wasm engine's hoist.ts, on the instruction
// order instead of a control-flow graph: here a loop is a range of instructions [head, last].
//
// A loop qualifies when
//   - `last` is `jlt iv, bound, head` (64-bit, unsigned; bound a register the loop does not write, or a constant
//     from 0 to 2^31 - 1); the only jump to head from inside the range, and no jump from outside the range lands inside it past head (jumps out of it,
//     to anywhere, are fine);
//   - iv is written in the range only by one `add iv, step` in the block that ends at `last` (step a constant above
//     0, or a register the loop does not write);
//   - the range holds no call, exit, packet load, atomic operation or subprogram start, and at most
//     MAX_LOOP_INSNS instructions.
// Blocks of the range that are not in the loop, its exit path (analysis/exitpaths.ts: code run once the loop has
// ended, such as an `exit` between a rotated loop's test and its body), count as outside it throughout: what they
// hold, write or access, and jumps into them from anywhere, which leave the loop.
// Or (planGeneral) the exit test compares iv + c with a bound, in any order and signedness, on 64 or on the low 32
// bits, as the back edge or as a conditional jump over a closing `ja head`; iv's new value may be copied to other
// registers (its group), and the bound may be reloaded from a frame slot in every trip. Its values at the head then
// stay below E = B + step - c (+1 when the test is <=), which takes the bound's place below. iv may count down
// (`add iv, -s`, the test > or >= or !=: `while (n--)`, `for (i = n; i > 0; i--)`): its values at the head then stay
// in [L, iv0], L = B - s - c (+1 unless >=), and D = iv0 - L (versioned.ts emitDownTest); an access through iv
// moves down; a constant L may lie below s (iv ends below 0, loopEndsBelowZero). iv's step may be an add32 (an
// `unsigned int` counter): the copy keeps iv in [0, 2^31), where it is the same as the 64-bit add. iv may be
// rotated through a copy, as clang leaves a loop with two exit tests (copiedCounter: `mov X, Y` first at the head,
// `mov Y, X; add Y, s` in the last block): iv is X, its value at the head on entry Y (loopIvEntry). An exit test
// that every trip runs before the last block, on iv against a second bound (findCap: the clamp of `if (n > K) n =
// K`), caps E: the test takes the smaller.
// Then iv takes the values iv0, iv0 + step, ... and every value it has at head after the first is below bound: over
// the loop it stays in [iv0, iv0 + D] with D = bound - 1 - iv0 when iv0 < bound, else 0 (rounded down to a multiple
// of step when step is a power of two; versioned.ts computes it). Nothing wraps around when iv0, bound and step
// are below 2^32 (tested there). An access whose address is, in its block, a sum of registers the loop does not
// write, at most one iv and a constant (of mov, lddw, add and sub) reaches [lo, lo + D + size), lo being its address
// with iv = iv0: the access's plan entry. iv may be shifted left by k = 1 to 3 first (`(i + c) << 2`: an index
// scaled to its elements' size): the access then reaches [lo, lo + (D << k) + size) (versioned.ts: emitSpan). The
// sum may also hold one term known, in its block, to lie in [0, T] (a byte or halfword load, an AND with a
// constant, shifted by constants: a table index such as CRC-32's `table[(crc ^ b) & 255]`): such an access reaches
// [lo, lo + D + T + size). Loops nest (a range inside another) or are disjoint; overlapping ranges are not
// versioned. A register loaded, in its block, from a frame slot no store in the loop can reach (`ldxdw r, [r10 -
// 8]`: a pointer clang spilled before the loop) may be summed too, as one the loop does not write: the test reads
// the slot on entry (loopBaseSlot). The tables that describe them are below (loopHead, accInsn, ...).
//
// Or (planRotated) the loop clang makes of `for (i = 0; i + n <= len; i++)`: a range ending in `ja` back, entered
// only at its first instruction (a `ja` into its middle), or only by one `ja` from elsewhere into its middle
// (loopEntryJump: a loop after another, entered from the first one's exit path), with several ways back and one
// way out, an exit test on iv + R + c in iv's block, which leaves itself or jumps over the `ja` that leaves (`if
// (i < n) goto body; goto out`, clang's form of many loops whose body has several paths); E then has R
// subtracted (loopSubReg). Its ways back may reach blocks before the latch too (a `continue` after some work):
// findLoops then also tries the range from the lowest block jumped back to. Other induction variables as below, bumped in iv's block before the exit
// test (a pointer stepping over an array of structs next to the counter). A loop without accesses of its own is
// kept while it holds another loop: analysis/nests.ts may lift that loop's accesses into it, or removes it.
//
// Or (planDivided) a loop of one block whose exit test compares no counter but a value a division shrinks on every
// trip (analysis/divided.ts: the digit loop `do { buf[k++] = '0' + v % 10; v /= 10; } while (v)`), which bounds its
// trips: a register stepped once by a constant s > 0 is iv, and the trips take the bound's place (loopTrips: iv's
// values at the head stay in [iv0, iv0 + (trips - 1) * s], D that span; versioned.ts emitTripsTest).
//
// Other induction variables: when iv's step is a constant power of two (or iv counts down), a register p written
// once in the range, by `add p, c` in iv's block (c a constant other than 0, or a register the loop does not
// write), holds p0 + t * c at the head in trip t, and t <= D / step. An address whose induction variables move
// both ways is not planned; one that moves down reaches [lo - span, lo + size). An address may sum such registers
// too (a pointer bumped next to a counter, a column pointer moving by a row's length): with K the steps of iv and
// of the p's it sums, it reaches [lo, lo + (D / step) * K + size), lo taking each p at p0 (versioned.ts: emitSpan).
import { Context } from "../jit/context";
import { divisionTrips } from "./divided";
import { dstAt, immAt, offAt, opAt, srcAt, writes } from "./fields";
import { hasExitPath, leavesCopyAt, leavesLoop, markExitPath, moveExitPath, onExitPath } from "./exitpaths";
import {
  CLS_ALU64, CLS_JMP, CLS_JMP32, CLS_LD, CLS_LDX, CLS_ST, CLS_STX, JMP_CALL, JMP_EXIT, MODE_ATOMIC, STACK_SIZE,
  SZ_B, SZ_H, SZ_W,
} from "../../isa";

/** Bytes of a load or store of size field `sz` (SZ_*). */
export function sizeBytes(sz: u32): i32 {
  return sz == SZ_B ? 1 : sz == SZ_H ? 2 : sz == SZ_W ? 4 : 8;
}

/** Whether an access of `bytes` at base + off lies in the frame r10 points at: no check needed. */
export function inOwnFrame(base: i32, off: i32, bytes: i32): bool {
  return base == 10 && off >= -STACK_SIZE && off + bytes <= 0;
}

export const MAX_LOOPS: i32 = 16;
export const MAX_ACCESSES: i32 = 16; // per loop
const MAX_LOOP_INSNS: i32 = 128;
export const IV_BIT: u32 = 1 << 11; // in an access's register set: the induction register
export const NEST_IV_BIT: u32 = 1 << 12; // in a lifted access's register set: it sums the inner loop's iv (nests.ts)
export const SLOT_BIT: u32 = 1 << 13; // in an access's register set: the loop's base slot's value (loopBaseSlot)
/** The largest offset of an access whose base is a sum the copy makes 32 bits wide (addressOfPlanned). */
export const MAX_ADDRESS_OFF: i32 = 255;
const MAX_BOUND: u32 = 1 << 24; // a bounded term's T stays below this (a range test of more would rarely pass)

// The tables live in the module's memory between the label table (a32/labels.ts, 0x8000-0x8eff) and the instructions
// (index.ts, from 0x10000): the module has no heap to spare.
const LOOP_TABLE: usize = 0x9000; // 64 bytes per loop: the fields below
const ACCESS_TABLE: usize = 0x9400; // 24 bytes per access k * MAX_ACCESSES + j: the fields below
const SCRATCH: usize = 0xac00; // collectAccesses: 11 sums (i32), 11 constants (i64), 11 bounded terms, 11 scales
const STEP_TABLE: usize = 0xad00; // 48 bytes per loop: i32 per register, the step of another induction variable
export const POOL: usize = 0xb000; // versioned.ts: POOL_SIZE i32
export const POOL_SIZE: i32 = 4096;
export const COPY_TABLE: usize = 0xf000; // versioned.ts: per copy emitted, its loop and first POOL entry (i32 each)

// What the exit tests of a general shape need (planGeneral), 16 bytes per loop below the loop table (the label table
// ends at 0x8eff): the bound's adjustment, the frame slot it is reloaded from, flags, the iv's group.
const EXTRA_TABLE: usize = 0x8f00;
const ADJ = 0, SLOT = 4, FLAGS = 8, GROUP = 12;
const F_SLOT = 1, F_NE = 2, F_NARROW = 4, F_BELOW = 8, F_CONVERGE = 16, F_FACTS = 32, F_TRIPS = 64, F_BOUND_EXITS = 128;
const F_FACT_SMALL = 512;
const MAX_NARROW_C = 1 << 20; // |c| of a 32-bit exit test: kept in FLAGS' upper bits
@inline function extra(k: i32, f: i32): usize { return EXTRA_TABLE + (<usize>k << 4) + <usize>f; }
/** E - B: the bound E that iv's values at the head stay below (see above) less the compared bound B. */
@inline export function loopBoundAdj(k: i32): i32 { return load<i32>(extra(k, ADJ)); }
/** Whether B is reloaded in every trip from a frame slot the loop does not store to: r10 + loopBoundSlotOff. */
@inline export function loopBoundSlot(k: i32): bool { return (load<i32>(extra(k, FLAGS)) & F_SLOT) != 0; }
@inline export function loopBoundSlotOff(k: i32): i32 { return load<i32>(extra(k, SLOT)); }
/**
 * Whether the exit test is `!=`: counting up, iv0 must be below E on entry and E - iv0 a multiple of the step (a
 * power of two), or the loop would step past the bound and wrap around; counting down, iv0 - L a multiple of it.
 */
@inline export function loopBoundNe(k: i32): bool { return (load<i32>(extra(k, FLAGS)) & F_NE) != 0; }
/** Whether the exit test compares the low 32 bits (JMP32): then E + c must not pass 2^31 (see planGeneral). */
@inline export function loopBoundNarrow(k: i32): bool { return (load<i32>(extra(k, FLAGS)) & F_NARROW) != 0; }
/**
 * Whether a count down's iv may end below 0: its last add takes it from a value in [L, L + step) (L a constant at
 * least 0 but below the step) to one below 0 where the loop leaves (`for (int i = n - 5; i >= 0; i -= 4)`). That
 * add is then 64 bits wide in the copy (narrowAdd), so iv's value on the way out is the ordinary code's.
 */
@inline export function loopEndsBelowZero(k: i32): bool { return (load<i32>(extra(k, FLAGS)) & F_BELOW) != 0; }
/**
 * Whether the loop is analysis/facts.ts's: no induction variable (loopIv -1), its accesses bounded by its own
 * compares, the assumptions its test checks on entry in its STEP_TABLE row (loopIvStep).
 */
@inline export function loopFacts(k: i32): bool { return (load<i32>(extra(k, FLAGS)) & F_FACTS) != 0; }
/**
 * A loop of analysis/facts.ts left only where a counter it had bounded is compared with a bound (a register it does
 * not write, or a constant): a counted loop, however clamped, not a search (jit/loopregs.ts leftEarly).
 */
@inline export function loopExitsBounded(k: i32): bool { return (load<i32>(extra(k, FLAGS)) & F_BOUND_EXITS) != 0; }
export function setLoopExitsBounded(k: i32): void { store<i32>(extra(k, FLAGS), load<i32>(extra(k, FLAGS)) | F_BOUND_EXITS); }
/**
 * The registers a loop of analysis/facts.ts took as their low words (32-bit operations and compares on values below
 * them, bounds scaled by analysis/scaled.ts): its test checks each below 2^SMALL_BITS (facttest.ts). Kept in the
 * bound adjustment's field, which such a loop has no use for.
 */
@inline export function factSmall(k: i32): u32 { return (load<i32>(extra(k, FLAGS)) & F_FACT_SMALL) != 0 ? load<u32>(extra(k, ADJ)) : 0; }
export function setFactSmall(k: i32, m: u32): void {
  if (m == 0) return;
  store<i32>(extra(k, FLAGS), load<i32>(extra(k, FLAGS)) | F_FACT_SMALL);
  store<u32>(extra(k, ADJ), m);
}
/** Loop k as analysis/facts.ts plans it: the range [h, l], the registers it writes; no accesses yet. */
export function setFactLoop(k: i32, h: i32, l: i32, mask: i32): void {
  clearExtras(k);
  setLoop(k, h, l, -1, -1, 0, -1, 0, false, -1, mask, 0, 0, F_FACTS, 0);
  setField(k, OTHER_IVS, 0);
  setField(k, ACCESSES, 0);
  memory.fill(STEP_TABLE + <usize>k * 48, 0, 48);
}
/**
 * The most trips loop k runs when a division bounds them (planDivided, analysis/divided.ts), else 0: its exit test
 * compares no counter, and iv's values at the head stay in [iv0, iv0 + (trips - 1) * step] (versioned.ts).
 */
@inline export function loopTrips(k: i32): i32 { return (load<i32>(extra(k, FLAGS)) & F_TRIPS) != 0 ? load<i32>(extra(k, ADJ)) : 0; }
/** Whether the bound register steps down by 1 before the exit test (planGeneral: two converging indices). */
@inline export function loopBoundConverges(k: i32): bool { return (load<i32>(extra(k, FLAGS)) & F_CONVERGE) != 0; }
/** For a 32-bit exit test: 2^31 - c, the largest E for which every Y = X + c at the test lies below 2^31. */
@inline export function loopNarrowLimit(k: i32): u32 { return <u32>0x80000000 - <u32>(load<i32>(extra(k, FLAGS)) >> 8); }
/** c in Y = iv + c (iv's value at the block start of the exit test) for a 32-bit exit test or a count down. */
@inline export function loopDerive(k: i32): i32 { return load<i32>(extra(k, FLAGS)) >> 8; }
/** Registers equal to iv at every head (each written once, a copy of iv's new value), tested equal on entry. */
@inline export function loopIvGroup(k: i32): u32 { return load<u32>(extra(k, GROUP)); }

// Per loop, what planRotated and analysis/nests.ts add: the register subtracted from the bound, the exit test in
// the middle, the inner loop whose test the loop's own proves, and that inner loop's iv on entry.
const subRegs = new StaticArray<i32>(MAX_LOOPS);
const exitTests = new StaticArray<i32>(MAX_LOOPS);
const nestInners = new StaticArray<i32>(MAX_LOOPS);
const nestStarts = new StaticArray<i32>(MAX_LOOPS);
const baseSlots = new StaticArray<i32>(MAX_LOOPS);
const ivEntries = new StaticArray<i32>(MAX_LOOPS);
const capRegs = new StaticArray<i32>(MAX_LOOPS);
const capValues = new StaticArray<i32>(MAX_LOOPS);
const entryJumps = new StaticArray<i32>(MAX_LOOPS);
const testsAt = new StaticArray<i32>(MAX_LOOPS);
export const NO_CAP: i32 = -2;
export const NO_SLOT: i32 = 1; // no slot of the frame, which lies below r10
/**
 * The frame slot r10 + off (8 bytes) whose value the accesses with SLOT_BIT sum, or NO_SLOT: a pointer clang
 * spilled before the loop and reloads in it, which nothing in the loop stores to (slotUnwritten), so that the
 * value the test reads on entry is the one every trip loads.
 */
@inline export function loopBaseSlot(k: i32): i32 { return unchecked(baseSlots[k]); }
/**
 * The register holding iv's value at the head on entry and on every way back: iv itself, or, for a counter
 * rotated through a copy (planGeneral: `mov X, Y` first at the head, `mov Y, X; add Y, s` in the last block), Y.
 * The entry test (versioned.ts) reads this one; the loop's accesses sum iv (X), equal to it past the head's mov.
 */
@inline export function loopIvEntry(k: i32): i32 { return unchecked(ivEntries[k]) >= 0 ? unchecked(ivEntries[k]) : loopIv(k); }
/**
 * A second bound on iv's values at the head, from an exit test that every trip runs before the closing one
 * (findCap: the clamp `n = min(n, K)` clang turns into a second test): its register B2 (the loop does not write
 * it), -1 for a constant, or NO_CAP. iv's values at the head stay below E2 = B2 + loopCapValue (a constant E2 when
 * B2 is -1) too: versioned.ts takes E as the smaller of the two.
 */
@inline export function loopCapReg(k: i32): i32 { return unchecked(capRegs[k]); }
@inline export function loopCapValue(k: i32): i32 { return unchecked(capValues[k]); }
export function setLoopBaseSlot(k: i32, off: i32): void { unchecked(baseSlots[k] = off); }
/** A register R the loop does not write, subtracted from the bound (E = B + adj - R), or -1 (planRotated). */
@inline export function loopSubReg(k: i32): i32 { return unchecked(subRegs[k]); }
/**
 * A rotated loop's way out by its exit test (planRotated), not a search's: the test itself when it jumps out, else
 * where it falls through to (a `ja` out, or the first instruction of the exit path: analysis/exitpaths.ts); else -1.
 */
@inline export function loopExitAt(k: i32): i32 { return unchecked(exitTests[k]); }
/** The inner loop whose entry test loop k's test makes unneeded in k's copy (analysis/nests.ts), or -1. */
@inline export function loopNestInner(k: i32): i32 { return unchecked(nestInners[k]); }
/** That inner loop's iv on every entry: a constant, or that plus loop k's iv (loopNestFromOuter; analysis/nests.ts). */
@inline export function loopNestStart(k: i32): i32 { return unchecked(nestStarts[k]) & 0x7fffffff; }
@inline export function loopNestFromOuter(k: i32): bool { return unchecked(nestStarts[k]) < 0; }
export function setLoopNest(k: i32, q: i32, start: i32, fromOuter: bool = false): void {
  unchecked(nestInners[k] = q);
  unchecked(nestStarts[k] = start | (fromOuter ? 0x80000000 : 0));
}
/**
 * A rotated loop entered only by one `ja` J outside its range, into its middle (planRotated: clang's layout of a
 * loop that follows another, whose exit path jumps into it past its head): J, or -1. Its test and copy go right
 * after J's ordinary code (jit/translate.ts), where J jumps instead of into the loop (jit/copies.ts branchTo).
 */
@inline export function loopEntryJump(k: i32): i32 { return unchecked(entryJumps[k]); }
/** Where loop k's entry jump enters its range (its target), or -1. */
export function loopEntryTarget(c: Context, k: i32): i32 {
  return unchecked(entryJumps[k]) >= 0 ? targetOf(c, unchecked(entryJumps[k])) : -1;
}
/** versioned.ts: where the first pass put the test of loop k entered by a jump (the second pass jumps there). */
@inline export function loopTestAt(k: i32): i32 { return unchecked(testsAt[k]); }
@inline export function setLoopTestAt(k: i32, at: i32): void { unchecked(testsAt[k] = at); }
/** The loop entered by a jump at one of the instructions [from, to) (see loopEntryJump), or -1. */
export function loopEnteredFrom(c: Context, from: i32, to: i32): i32 {
  for (let k = 0; k < c.loops; k++) if (unchecked(entryJumps[k]) >= from && unchecked(entryJumps[k]) < to) return k;
  return -1;
}
/** The loop whose entry jump, from `from` outside its range, lands at t (see loopEntryJump), or -1. */
export function loopEnteredAt(c: Context, t: i32, from: i32): i32 {
  for (let k = 0; k < c.loops; k++) {
    if (unchecked(entryJumps[k]) >= 0 && (from < loopHead(k) || from > loopLast(k)) && loopEntryTarget(c, k) == t) return k;
  }
  return -1;
}

/** A new loop k's fields of these kinds: none. */
function clearExtras(k: i32): void {
  unchecked(entryJumps[k] = -1);
  unchecked(subRegs[k] = -1);
  unchecked(exitTests[k] = -1);
  unchecked(ivEntries[k] = -1);
  unchecked(capRegs[k] = NO_CAP);
  setLoopNest(k, -1, 0);
}

const HEAD = 0, LAST = 4, IV = 8, STEP_REG = 12, STEP_IMM = 16, BOUND_REG = 20, BOUND_IMM = 24, ACCESSES = 28;
const PROMOTABLE = 32, IV_AT = 36, ZERO_HIGH = 40, BODY_AT = 44, WRITES = 48, DOWN = 52, PADDED = 56, OTHER_IVS = 60;
@inline function field(k: i32, f: i32): usize { return LOOP_TABLE + (<usize>k << 6) + <usize>f; }
@inline export function loopHead(k: i32): i32 { return load<i32>(field(k, HEAD)); }
@inline export function loopLast(k: i32): i32 { return load<i32>(field(k, LAST)); }
@inline export function loopIv(k: i32): i32 { return load<i32>(field(k, IV)); }
/** The step register, or -1 for the constant loopStepImm. */
@inline export function loopStepReg(k: i32): i32 { return load<i32>(field(k, STEP_REG)); }
@inline export function loopStepImm(k: i32): i32 { return load<i32>(field(k, STEP_IMM)); }
/** The bound register, or -1 for the constant loopBoundImm. */
@inline export function loopBoundReg(k: i32): i32 { return load<i32>(field(k, BOUND_REG)); }
@inline export function loopBoundImm(k: i32): i32 { return load<i32>(field(k, BOUND_IMM)); }
@inline export function loopAccesses(k: i32): i32 { return load<i32>(field(k, ACCESSES)); }
/** Whether iv counts down: `add iv, -1` and `jne iv, 0` (or jgt), iv0 - 1 trips after the first. */
@inline export function loopDown(k: i32): bool { return load<i32>(field(k, DOWN)) != 0; }
/** The other induction variables (bit mask; see above). */
@inline export function loopOtherIvs(k: i32): u32 { return load<u32>(field(k, OTHER_IVS)) & 0x3ff; }
/** Whether another induction variable r steps by a register (loopIvStep: its number). */
@inline export function loopIvStepsByReg(k: i32, r: i32): bool { return ((load<u32>(field(k, OTHER_IVS)) >> <u32>(r + 16)) & 1) != 0; }
/** Another induction variable r's step: a constant (not 0, either sign), or the register added. */
@inline export function loopIvStep(k: i32, r: i32): i32 { return load<i32>(STEP_TABLE + <usize>k * 48 + (<usize>r << 2)); }
@inline export function setIvStep(k: i32, r: i32, v: i32): void { store<i32>(STEP_TABLE + <usize>k * 48 + (<usize>r << 2), v); }
/**
 * A loop of analysis/facts.ts: the registers it writes that hold a value in [0, 2^31) at every block start (given
 * its test on entry), kept past its entry assumptions in its STEP_TABLE row; loopZeroHigh's with the others.
 */
@inline export function factZeroHigh(k: i32): u32 { return load<u32>(STEP_TABLE + <usize>k * 48 + 40); }
@inline export function setFactZeroHigh(k: i32, m: u32): void { store<u32>(STEP_TABLE + <usize>k * 48 + 40, m); }
/**
 * A loop of analysis/facts.ts: its counters below a bound register B (facts.ts countersBelowBound), the test on entry
 * checking B + margin below 2^31. Bits 0-9 the registers, 10-13 B, from 14 the margin; 0: none.
 */
@inline export function factCounters(k: i32): u32 { return load<u32>(STEP_TABLE + <usize>k * 48 + 44); }
@inline export function setFactCounters(k: i32, v: u32): void { store<u32>(STEP_TABLE + <usize>k * 48 + 44, v); }
export const FACT_MARGIN_LIMIT: i32 = 1 << 18;
@inline export function packFactCounters(m: u32, b: i32, margin: i32): u32 { return m | <u32>b << 10 | <u32>margin << 14; }
@inline export function factCounterMask(v: u32): u32 { return v & 0x3ff; }
@inline export function factCounterBound(v: u32): i32 { return <i32>((v >> 10) & 15); }
@inline export function factCounterMargin(v: u32): i32 { return <i32>(v >> 14); }
/** Whether the loop's unchecked copy may keep eBPF registers in r10 and ip (nothing in it checked; jit/loopregs.ts). */
@inline export function loopPromotable(k: i32): bool { return load<i32>(field(k, PROMOTABLE)) != 0; }
/** The add that steps iv. */
@inline export function loopIvAt(k: i32): i32 { return load<i32>(field(k, IV_AT)); }
/**
 * Registers whose high word is zero at every block start of the loop's copy, given that it is zero on entry and
 * that iv0 + step and bound + step are below 2^32 (versioned.ts tests both): in every block that writes one, its
 * last write there leaves a zero high word in the copy (a 32-bit operation, a load of up to 4 bytes without sign
 * extension, a non-negative constant, AND with one, the iv step, an add computing a planned address).
 */
@inline export function loopZeroHigh(k: i32): u32 { return load<u32>(field(k, ZERO_HIGH)); }
/** The registers some instruction of the loop (or of a loop inside it) writes. */
@inline export function loopWrites(k: i32): u32 { return load<u32>(field(k, WRITES)); }
/** versioned.ts: the position of the head's ordinary code (after the test and the copy). */
export const LOOP_TABLE_AT: usize = LOOP_TABLE; // for the host's listing: HEAD, LAST and BODY_AT of each loop
@inline export function loopBodyAt(k: i32): i32 { return load<i32>(field(k, BODY_AT)); }
@inline export function setLoopBodyAt(k: i32, at: i32): void { store<i32>(field(k, BODY_AT), at); }
@inline function setField(k: i32, f: i32, v: i32): void { store<i32>(field(k, f), v); }
/** versioned.ts: whether the first pass moved the loop's copy to the next page. */
@inline export function loopPadded(k: i32): bool { return load<i32>(field(k, PADDED)) != 0; }
@inline export function setLoopPadded(k: i32, padded: bool): void { store<i32>(field(k, PADDED), padded ? 1 : 0); }

// Access a = k * MAX_ACCESSES + j: instruction, bytes, store (bit 0), the bounded term's T (bits 1-24), iv's scale
// (bits 25-26), down (30), lifted (31), the registers summed (IV_BIT: iv), the constant part
@inline function accessAt(a: i32): usize { return ACCESS_TABLE + <usize>a * 24; }
@inline export function accInsn(a: i32): i32 { return load<i32>(accessAt(a)); }
@inline export function accBytes(a: i32): i32 { return load<i32>(accessAt(a), 4); }
@inline export function accStore(a: i32): bool { return (load<i32>(accessAt(a), 8) & 1) != 0; }
/** The access's store word (store, T, scale, ...: see above), whole. */
@inline export function accWord(a: i32): u32 { return load<u32>(accessAt(a), 8); }
/** The largest value of the access's bounded term (0: none). */
@inline export function accBound(a: i32): u32 { return (load<u32>(accessAt(a), 8) >>> 1) & (MAX_BOUND - 1); }
/** k when the address sums iv << k (k from 1 to 3: `a[i]` indexed by a shifted counter), else 0. */
@inline export function accScale(a: i32): i32 { return (load<i32>(accessAt(a), 8) >>> ACC_SCALE_AT) & 3; }
const ACC_SCALE_AT: i32 = 25; // in an access's store word, above the bounded term's T (below MAX_BOUND)
/** Whether the access's address moves down over the trips (the induction variables it sums step down). */
@inline export function accDown(a: i32): bool { return (load<u32>(accessAt(a), 8) & (1 << 30)) != 0; }
/** Whether the access is an inner loop's, lifted into loop k's plan (analysis/nests.ts: its span is emitted there). */
@inline export function accInner(a: i32): bool { return (load<u32>(accessAt(a), 8) & ACC_INNER) != 0; }
export const ACC_INNER: u32 = 0x80000000; // in an access's store word: see accInner
/** Appends access a (of another loop) to loop k's plan with `regs` and `cst` in place of its own, as accInner. */
export function addLiftedAccess(k: i32, a: i32, regs: u32, cst: i64): void {
  const n = loopAccesses(k);
  const at = accessAt(k * MAX_ACCESSES + n);
  store<i32>(at, accInsn(a));
  store<i32>(at, accBytes(a), 4);
  store<u32>(at, load<u32>(accessAt(a), 8) | ACC_INNER, 8);
  store<u32>(at, regs, 12);
  store<i64>(at, cst, 16);
  setField(k, ACCESSES, n + 1);
}

/** Appends an access to loop k's plan: its instruction, bytes, store word (see above), registers and constant. */
export function addAccess(k: i32, i: i32, bytes: i32, word: i32, regs: u32, cst: i64): void {
  const n = loopAccesses(k);
  const at = accessAt(k * MAX_ACCESSES + n);
  store<i32>(at, i);
  store<i32>(at, bytes, 4);
  store<i32>(at, word, 8);
  store<u32>(at, regs, 12);
  store<i64>(at, cst, 16);
  setField(k, ACCESSES, n + 1);
}

@inline export function accRegs(a: i32): u32 { return load<u32>(accessAt(a), 12); }
@inline export function accConst(a: i32): i64 { return load<i64>(accessAt(a), 16); }

// An instruction's fields, for nests.ts and facts.ts too
export { dstAt, immAt, opAt, srcAt, writes } from "./fields";
@inline export function leaderAt(c: Context, i: i32): bool { return (load<u8>(c.flags + <usize>i) & c.leaderBit) != 0; }

/** Jump target of a jump at i (not a call or exit), else -1. */
export function targetOf(c: Context, i: i32): i32 {
  const op = opAt(c, i);
  const cls = op & 7;
  if (cls != CLS_JMP && cls != CLS_JMP32) return -1;
  const kind = op & 0xf0;
  if (kind == JMP_CALL || kind == JMP_EXIT) return -1;
  return op == 0x06 ? i + 1 + immAt(c, i) : i + 1 + offAt(c, i);
}

/**
 * Finds the loops of the `n` instructions at `insns` (flags: u8 per instruction, `leader` the bit of a basic
 * block's start, `func` the bits of a program's or subprogram's start).
 */
export function findLoops(c: Context, insns: usize, n: i32, flags: usize, leader: u8, func: u8): void {
  c.insns = insns;
  c.count = n;
  c.flags = flags;
  c.leaderBit = leader;
  c.funcBits = func;
  c.loops = 0;
  for (let l = 0; l < n && c.loops < MAX_LOOPS; l++) {
    if (opAt(c, l) == 0x18) { l++; continue; }
    // a conditional jump back, or a `ja` back after a conditional jump over it (planGeneral)
    const t = targetOf(c, l);
    if (t < 0 || t > l) continue;
    const h = t;
    // (a loop may end the program where it closes with `ja` back, as planRotated's: nothing falls out of it)
    if (h > l || h < 0 || l - h + 1 > MAX_LOOP_INSNS || l + 1 > n || (l + 1 == n && opAt(c, l) != 0x05)) continue;
    const found = c.loops;
    clearExtras(found);
    if (!overlaps(c, h, l)) planLoop(c, h, l);
    if (c.loops == found) planRotated(c, h, l);
    // a rotated loop with other ways back to blocks before h (a `continue` to its latch from a branch of the body)
    const first = lowestTarget(c, h, l);
    if (c.loops == found && first < h && l - first + 1 <= MAX_LOOP_INSNS) planRotated(c, first, l);
  }
}

/**
 * After findLoops and analysis/facts.ts planFactLoops (the loops no plan above took, bounded by their own
 * compares): the loops whose exit paths the copies could not leave by removed, the last ones dropped while the
 * copies do not fit in the pool, each one's zero high words and whether its copy may keep registers in r10 and ip.
 */
export function finishLoops(c: Context): void {
  for (let q = c.loops - 1; q >= 0; q--) if (exitPathInLoop(c, q)) removeLoop(c, q);
  // a loop entered by a jump has its test after that jump's ordinary code only: none inside another loop's copy,
  // none holding one (their copies are emitted where the head's test is, analysis/nests.ts lifts at heads)
  for (let q = c.loops - 1; q >= 0; q--) if (unchecked(entryJumps[q]) >= 0 && nestedWithAnother(c, q)) removeLoop(c, q);
  // A loop is copied once more inside each copy of a loop around it (versioned.ts): the copies' positions must fit
  // in the pool, or the last loops found are not versioned.
  while (c.loops > 0 && poolNeeded(c) > POOL_SIZE) c.loops--;
  for (let k = 0; k < c.loops; k++) {
    setField(k, ZERO_HIGH, <i32>(zeroHighWords(c, k) | (loopFacts(k) ? factZeroHigh(k) : 0)));
    setField(k, PROMOTABLE, promotable(c, k) ? 1 : 0);
  }
}

function nestedWithAnother(c: Context, q: i32): bool {
  for (let p = 0; p < c.loops; p++) {
    if (p != q && loopHead(p) <= loopLast(q) && loopHead(q) <= loopLast(p)) return true;
  }
  return false;
}

/**
 * The lowest instruction jumped back to from [h, l], from h's and then from each lower target's: h when none, and
 * the scan stops once the range is longer than a loop may be (its work stays bounded in long programs).
 */
export function lowestTarget(c: Context, h: i32, l: i32): i32 {
  let first = h;
  for (let i = l; i >= first; i--) {
    const t = targetOf(c, i);
    if (t >= 0 && t < first) {
      first = t;
      if (l - first + 1 > MAX_LOOP_INSNS) break;
      i = l + 1; // again from the end: the range grew
    }
  }
  return first;
}

/**
 * Whether loop q's exit path (analysis/exitpaths.ts) holds code of a loop around it, off that loop's own exit path,
 * where q's copy leaves for the ordinary code: inside the outer loop's copy, it would leave both there each time q
 * ends, and the outer loop's trips would go on in its ordinary code. Or whether the outer loop jumps into q's exit
 * path from outside q: the outer copy has no code of its own there (q's copy stands for all of q's range).
 */
function exitPathInLoop(c: Context, q: i32): bool {
  if (!hasExitPath(q)) return false;
  const hq = loopHead(q), lq = loopLast(q);
  for (let k = 0; k < c.loops; k++) {
    if (k == q || !within(q, k)) continue;
    for (let i = hq; i <= lq; i++) if (leavesCopyAt(c, q, i) && !onExitPath(k, i)) return true;
    for (let i = loopHead(k); i <= loopLast(k); i++) {
      const t = targetOf(c, i);
      if ((i < hq || i > lq) && t > hq && t <= lq && onExitPath(q, t)) return true;
      if (opAt(c, i) == 0x18) i++;
    }
  }
  return false;
}

/** Whether a loop found before lies in [h, l]: a loop without accesses of its own may still lift its accesses. */
function holdsLoop(c: Context, h: i32, l: i32): bool {
  for (let q = 0; q < c.loops; q++) if (loopHead(q) >= h && loopLast(q) <= l) return true;
  return false;
}

/** Removes loop k from the tables (analysis/nests.ts: a loop without accesses whose inner loop could not be lifted). */
export function removeLoop(c: Context, k: i32): void {
  for (let q = k; q + 1 < c.loops; q++) {
    // BODY_AT and PADDED stay: versioned.ts's second pass reads them where the first pass left them, at the
    // loop's index after this removal, and the planners do not write them
    const body = loopBodyAt(q), padded = loopPadded(q);
    memory.copy(field(q, 0), field(q + 1, 0), 64);
    setLoopBodyAt(q, body);
    setLoopPadded(q, padded);
    memory.copy(extra(q, 0), extra(q + 1, 0), 16);
    memory.copy(STEP_TABLE + <usize>q * 48, STEP_TABLE + <usize>(q + 1) * 48, 48);
    memory.copy(accessAt(q * MAX_ACCESSES), accessAt((q + 1) * MAX_ACCESSES), 24 * MAX_ACCESSES);
    unchecked(subRegs[q] = subRegs[q + 1]);
    unchecked(exitTests[q] = exitTests[q + 1]);
    unchecked(baseSlots[q] = baseSlots[q + 1]);
    unchecked(ivEntries[q] = ivEntries[q + 1]);
    unchecked(capRegs[q] = capRegs[q + 1]);
    unchecked(capValues[q] = capValues[q + 1]);
    unchecked(entryJumps[q] = entryJumps[q + 1]);
    moveExitPath(q, q + 1);
    setLoopNest(q, unchecked(nestInners[q + 1]), unchecked(nestStarts[q + 1]));
  }
  c.loops--;
  for (let q = 0; q < c.loops; q++) {
    const inner = loopNestInner(q);
    if (inner > k) unchecked(nestInners[q] = inner - 1);
  }
}

/** Whether loop q lies inside loop k (or is k). */
function within(q: i32, k: i32): bool { return loopHead(q) >= loopHead(k) && loopLast(q) <= loopLast(k); }

function poolNeeded(c: Context): i32 {
  let need = 0;
  for (let k = 0; k < c.loops; k++) {
    let level = 0;
    for (let q = 0; q < c.loops; q++) if (q != k && within(k, q)) level++;
    need += (loopLast(k) - loopHead(k) + 1) * (1 + level);
  }
  return need;
}

/** The loop that plans the access at instruction i among loop k and the loops inside it, or -1. */
function plannedIn(c: Context, k: i32, i: i32): i32 {
  for (let q = 0; q < c.loops; q++) {
    if (!within(q, k)) continue;
    for (let j = 0; j < loopAccesses(q); j++) if (accInsn(q * MAX_ACCESSES + j) == i) return q;
  }
  return -1;
}

/**
 * Whether loop k's copy may keep registers in r10 and ip: it does not divide (the division routines use ip and lr)
 * and every access in it that is not in the frame is planned, by k or by a loop inside it, whose copies are
 * emitted inside k's copy: no access in the copy is checked.
 */
function promotable(c: Context, k: i32): bool {
  for (let i = loopHead(k); i <= loopLast(k); i++) {
    if (onExitPath(k, i)) continue; // the ordinary code's
    const op = opAt(c, i);
    const cls = op & 7;
    if ((cls == CLS_ALU64 || cls == 4) && ((op & 0xf0) == 0x30 || (op & 0xf0) == 0x90)) return false;
    if (cls == CLS_LDX || cls == CLS_ST || cls == CLS_STX) {
      const base = cls == CLS_LDX ? srcAt(c, i) : dstAt(c, i);
      if (!inOwnFrame(base, offAt(c, i), sizeBytes(op & 0x18)) && plannedIn(c, k, i) < 0) return false;
    }
    if (op == 0x18) i++;
  }
  return true;
}

/** Whether [h, l] overlaps a loop found before without one containing the other. */
export function overlaps(c: Context, h: i32, l: i32): bool {
  for (let k = 0; k < c.loops; k++) {
    const a = loopHead(k), b = loopLast(k);
    const disjoint = b < h || a > l;
    const nested = (a >= h && b <= l) || (h >= a && l <= b);
    if (!disjoint && !nested) return true;
    if (a == h) return true; // two loops with one head
  }
  return false;
}

/** Whether a jump from outside [h, l] lands in it past h, off the exit path of the loop being planned (c.loops). */
function enteredPast(c: Context, h: i32, l: i32): bool {
  for (let i = 0; i < c.count; i++) {
    const t = targetOf(c, i);
    if ((i < h || i > l) && t > h && t <= l && !onExitPath(c.loops, t)) return true;
    if (opAt(c, i) == 0x18) i++;
  }
  return false;
}

/**
 * The one instruction outside [h, l] that jumps past h into the range (not into its exit path of loop c.loops),
 * when it is a `ja` that no conditional jump just before it skips (a jump over a `ja` may become one conditional
 * branch, jit/select.ts, whose fall-through would run into what goes after the `ja`'s code): a rotated loop's
 * entry by a jump from elsewhere than just before its head (loopEntryJump). Else -1.
 */
function entryJump(c: Context, h: i32, l: i32): i32 {
  // nothing else enters: not at h either (a way in there would run the ordinary code for good: a trip that goes
  // back to h from outside the range, where a larger range would have been the loop)
  if (h > 0 && opAt(c, h - 1) != 0x05 && opAt(c, h - 1) != 0x95) return -1;
  let found = -1;
  for (let i = 0; i < c.count; i++) {
    const t = targetOf(c, i);
    if ((i < h || i > l) && t == h) return -1;
    if ((i < h || i > l) && t > h && t <= l && !onExitPath(c.loops, t)) {
      if (found >= 0 || opAt(c, i) != 0x05) return -1;
      found = i;
    }
    if (opAt(c, i) == 0x18) i++;
  }
  if (found > 0 && targetOf(c, found - 1) == found + 1) return -1;
  return found;
}

function planLoop(c: Context, h: i32, l: i32): void {
  const k0 = c.loops;
  // what the range writes, and where iv is written (not on its exit path, analysis/exitpaths.ts)
  let mask = 0;
  let ivWrites = 0;
  let ivAt = -1;
  const iv = dstAt(c, l);
  markExitPath(c, c.loops, h, l);
  for (let i = h; i <= l; i++) {
    if (i > h && (load<u8>(c.flags + <usize>i) & c.funcBits) != 0) return;
    if (onExitPath(c.loops, i)) continue;
    const w = writes(c, i);
    if (w < 0) return;
    mask |= w;
    if (w & (1 << iv)) { ivWrites++; ivAt = i; }
    const op = opAt(c, i);
    const t = targetOf(c, i);
    if (t == h && i != l) return; // a second way back to the head
    if (op == 0x18) i++;
  }
  if (enteredPast(c, h, l)) return;
  const jop = opAt(c, l);
  const simple = jop == 0xa5 || jop == 0xad;
  if (!simple || !planSimple(c, h, l, mask, ivWrites, ivAt)) planGeneral(c, h, l, mask);
  if (c.loops == k0) planDivided(c, h, l, mask);
}

/**
 * A loop whose trips a division bounds (analysis/divided.ts) and that steps a counter iv by a constant s > 0 once
 * (its one write, anywhere in the block): iv's values at the head lie in [iv0, iv0 + (trips - 1) * s] and iv ends
 * at most at iv0 + trips * s (versioned.ts tests that below 2^31). Counted as planSimple's otherwise, the bound's
 * place taken by the trips (loopTrips); the first such register whose accesses can be planned is iv.
 */
function planDivided(c: Context, h: i32, l: i32, mask: i32): void {
  const trips = divisionTrips(c, h, l);
  if (trips <= 0) return;
  for (let iv = 0; iv < 10; iv++) {
    if ((mask & (1 << iv)) == 0) continue;
    let at = -1;
    let count = 0;
    for (let i = h; i <= l; i++) {
      if (writes(c, i) & (1 << iv)) { count++; at = i; }
      if (opAt(c, i) == 0x18) i++;
    }
    if (count != 1 || opAt(c, at) != 0x07 || immAt(c, at) <= 0 || <i64>immAt(c, at) * trips >= MAX_NARROW_C) continue;
    const step = immAt(c, at);
    const k = c.loops;
    clearExtras(k); // (what planGeneral set before it gave up)
    memory.fill(STEP_TABLE + <usize>k * 48, 0, 48);
    setLoop(k, h, l, iv, -1, step, -1, 0, false, at, mask, trips, 0, F_TRIPS, 0);
    const others = (step & (step - 1)) == 0 ? otherIvs(c, k, h, l, h, l, mask, iv) : 0;
    setField(k, OTHER_IVS, <i32>others);
    if (collectAccesses(c, k, h, l, mask, iv, others, 0)) {
      c.loops++;
      return;
    }
  }
}

/** Loop k's fields (the tables above): its range, iv, step, bound, E - B, the bound's frame slot, flags, iv's group. */
function setLoop(
  k: i32, h: i32, l: i32, iv: i32, stepReg: i32, stepImm: i32, boundReg: i32, boundImm: i32, down: bool, ivAt: i32,
  mask: i32, adj: i32, slot: i32, flags: i32, group: u32,
): void {
  setField(k, HEAD, h);
  setField(k, LAST, l);
  setField(k, IV, iv);
  setField(k, STEP_REG, stepReg);
  setField(k, STEP_IMM, stepImm);
  setField(k, BOUND_REG, boundReg);
  setField(k, DOWN, down ? 1 : 0);
  setField(k, BOUND_IMM, boundImm);
  setField(k, IV_AT, ivAt);
  setField(k, WRITES, mask);
  store<i32>(extra(k, ADJ), adj);
  store<i32>(extra(k, SLOT), slot);
  store<i32>(extra(k, FLAGS), flags);
  store<u32>(extra(k, GROUP), group);
}

/**
 * `jlt iv, bound, head`, iv's one write an add in the last block (see above). False when the loop has another
 * shape (planGeneral may take it).
 */
function planSimple(c: Context, h: i32, l: i32, mask: i32, ivWrites: i32, ivAt: i32): bool {
  const iv = dstAt(c, l);
  // the induction register: one add in the last block, before the jump
  if (ivWrites != 1 || iv >= 10) return false;
  let latch = l;
  while (latch > h && !leaderAt(c, latch)) latch--;
  if (ivAt < latch) return false;
  const aop = opAt(c, ivAt);
  const stepReg = srcAt(c, ivAt);
  const jop = opAt(c, l);
  if (!(aop == 0x07 && immAt(c, ivAt) > 0) && !(aop == 0x0f && stepReg != iv && (mask & (1 << stepReg)) == 0)) return false;
  const boundReg = srcAt(c, l);
  if (jop == 0xad ? (mask & (1 << boundReg)) != 0 || boundReg == iv : immAt(c, l) < 0) return false;

  const k = c.loops;
  setLoop(k, h, l, iv, aop == 0x0f ? stepReg : -1, immAt(c, ivAt), jop == 0xad ? srcAt(c, l) : -1, immAt(c, l), false, ivAt, mask, 0, 0, 0, 0);
  const step = immAt(c, ivAt);
  const others = aop == 0x07 && (step & (step - 1)) == 0 ? otherIvs(c, k, h, l, latch, l, mask, iv) : 0;
  setField(k, OTHER_IVS, <i32>others);
  if (collectAccesses(c, k, h, l, mask, iv, others, 0) || holdsLoop(c, h, l)) c.loops++;
  return true;
}

// planGeneral's symbolic values: per register, at a point of the last block, a register's value at the block's
// start (-1: anything else) plus a constant
// (collectAccesses's scratch: planGeneral is done with them before it runs)
const SYM_BASE: usize = SCRATCH; // i32 per register, then the constants, i32 per register
@inline function symBase(r: i32): i32 { return load<i32>(SYM_BASE + (<usize>r << 2)); }
@inline function symOff(r: i32): i32 { return load<i32>(SYM_BASE + 48 + (<usize>r << 2)); }
@inline function setSym(r: i32, base: i32, off: i32): void {
  store<i32>(SYM_BASE + (<usize>r << 2), base);
  store<i32>(SYM_BASE + 48 + (<usize>r << 2), off);
}

// and a register the loop does not write added to it (-1: none; planRotated's R)
@inline function symAdded(r: i32): i32 { return load<i32>(SYM_BASE + 96 + (<usize>r << 2)); }
@inline function setSymAdded(r: i32, v: i32): void { store<i32>(SYM_BASE + 96 + (<usize>r << 2), v); }

/** Each register's symbolic value at `to`, through the block [from, to) of a loop writing `mask`. */
function trackBlock(c: Context, from: i32, to: i32, mask: i32): void {
  for (let r = 0; r <= 10; r++) {
    setSym(r, r, 0);
    setSymAdded(r, -1);
  }
  for (let i = from; i < to; i++) {
    const op = opAt(c, i);
    const d = dstAt(c, i), sr = srcAt(c, i);
    if ((op == 0xbf || (op == 0xbc && symAdded(sr) < 0)) && offAt(c, i) == 0) {
      // (mov32, add32: the same as mov and add on the values a copy sees, X and X + c in [0, 2^31))
      setSym(d, symBase(sr), symOff(sr));
      setSymAdded(d, symAdded(sr));
    } else if ((op == 0x07 || op == 0x17 || (op == 0x04 && symAdded(d) < 0)) && symBase(d) >= 0) {
      const v = <i64>symOff(d) + (op == 0x17 ? -<i64>immAt(c, i) : <i64>immAt(c, i));
      if (v < -(1 << 30) || v > (1 << 30)) setSym(d, -1, 0);
      else setSym(d, symBase(d), <i32>v);
    } else if (op == 0x0f && symBase(d) >= 0 && symAdded(d) < 0 && sr < 10 && (mask & (1 << sr)) == 0) {
      setSymAdded(d, sr);
    } else if (op == 0x0f && invariantCopy(d, mask) && sr < 10 && symBase(sr) >= 0 && symAdded(sr) < 0) {
      // R + X, R a register the loop does not write (`j = i + k` as clang adds them): X + R
      const v = <i64>symOff(d) + <i64>symOff(sr);
      const r = symBase(d);
      if (v < -(1 << 30) || v > (1 << 30)) setSym(d, -1, 0);
      else {
        setSym(d, symBase(sr), <i32>v);
        setSymAdded(d, r);
      }
    } else for (let r = 0; r <= 10; r++) if (writes(c, i) & (1 << r)) setSym(r, -1, 0);
    if (op == 0x18) i++;
  }
}

/** Whether d holds, exactly, a register the loop (writing `mask`) does not write. */
function invariantCopy(d: i32, mask: i32): bool {
  const b = symBase(d);
  return b >= 0 && b < 10 && (mask & (1 << b)) == 0 && symOff(d) == 0 && symAdded(d) < 0;
}

/** The step of the root X that r's symbolic value derives from (itself or a copy of X's new value), or 0. */
function rootStep(r: i32): i32 {
  let xr = symBase(r);
  if (xr >= 0 && xr < 10 && symBase(xr) != xr) xr = symBase(xr);
  return xr >= 0 && xr < 10 && symBase(xr) == xr ? symOff(xr) : 0;
}

/**
 * A count down's least L (versioned.ts tests it for a bound in a register): X's last value, at least L - step, not
 * below 0, nor Y = X + c at the test, which is at least L + c.
 */
export function downFloor(step: i32, c: i32): i32 { return max(step, -c); }

/** The first instruction from `from` on that writes register r (there is one). */
function firstWrite(c: Context, from: i32, r: i32): i32 {
  let i = from;
  while (!(writes(c, i) & (1 << r))) i += opAt(c, i) == 0x18 ? 2 : 1;
  return i;
}

/**
 * How many times the range [h, l] of the loop being planned (c.loops) writes register r off its exit path, and
 * whether all of those writes lie in [from, to).
 */
function writesOnlyIn(c: Context, h: i32, l: i32, r: i32, from: i32, to: i32): i32 {
  let n = 0;
  for (let i = h; i <= l; i++) {
    if (writes(c, i) & (1 << r) && !onExitPath(c.loops, i)) {
      if (i < from || i >= to) return -1;
      n++;
    }
    if (opAt(c, i) == 0x18) i++;
  }
  return n;
}

/**
 * A loop whose exit test compares a value derived from the induction variable by an add (Y = iv + c) with a bound
 * B: `jlt/jle/jgt/jge Y, B, head` in either signedness, either operand order, or the same tests (and `jne`) as a
 * conditional jump over a closing `ja head`. iv (X) is written once in the range, by `add X, s` (s a constant above
 * 0) in the last block; a register written once there as a copy of X's new value (`mov r, X` after the add: clang's
 * rotated loops keep the old and the new index apart) equals X at every head when it does on entry (its group,
 * tested there). The trip continues only if Y < B (Y <= B; Y != B with s = 1, which needs iv0 < E) as integers, so
 * iv's next value stays below E = B + s - c (+1 for <=): with high words tested zero on entry and E + s below 2^32
 * (versioned.ts), Y cannot wrap past 2^63 and a wrap below 0 only ends the loop early, in any signedness. B is a
 * constant, a register the loop does not write, or a register whose last write before the test, in the last block,
 * loads it from a frame slot r10 + off that no store in the loop can reach (only stores through r10 at other
 * offsets): the frame is the program's own, so nothing else writes the slot while the loop runs (it calls nothing).
 * A 32-bit test (JMP32) compares the low words: when every Y it sees lies in [-2^31, 2^31) and B in [0, 2^31), that
 * is the 64-bit comparison (the same order, signed or not; Y below 0 is above B unsigned in both). Y = X + c with X
 * in [iv0, E) and |c| below 2^20: E + c at most 2^31 suffices (versioned.ts tests it, B below it follows).
 */
function planGeneral(c: Context, h: i32, l: i32, mask: i32): void {
  let t = l;
  let negate = false;
  if (opAt(c, l) == 0x05) {
    t = l - 1;
    negate = true;
    if (t < h || targetOf(c, t) != l + 1) return;
  }
  const top = opAt(c, t);
  const x = (top & 0x08) != 0;
  const narrow = (top & 7) == CLS_JMP32;
  let kind = top & 0xf0;
  if (kind == 0xc0 || kind == 0xd0) kind -= 0x20; // jslt, jsle: as jlt, jle (operands below 2^63)
  else if (kind == 0x60 || kind == 0x70) kind -= 0x40; // jsgt, jsge: as jgt, jge
  if (negate) {
    if (kind == 0x10) kind = 0x50;
    else if (kind == 0x50) kind = 0x10;
    else if (kind == 0xa0) kind = 0x30; // !(a < b): a >= b
    else if (kind == 0x30) kind = 0xa0;
    else if (kind == 0xb0) kind = 0x20; // !(a <= b): a > b
    else if (kind == 0x20) kind = 0xb0;
    else return;
  }
  // continue iff Y < B or Y <= B (le) counting up, Y > B or Y >= B (le) counting down, or Y != B
  let y = dstAt(c, t);
  let b = x ? srcAt(c, t) : -1;
  const ne = kind == 0x50;
  const le = kind == 0xb0 || kind == 0x30;
  let down = kind == 0x20 || kind == 0x30;
  if (!down && kind != 0xa0 && kind != 0xb0 && !ne) return;
  if (y >= 10 || b > 10) return;

  // the last block's effect, from its start to the test, on each register
  let latch = t;
  while (latch > h && !leaderAt(c, latch)) latch--;
  trackBlock(c, latch, t, mask);
  for (let r = 0; r <= 10; r++) if (symAdded(r) >= 0) setSym(r, -1, 0); // (planRotated's)
  if (ne && b >= 0 && (symBase(y) < 0 || (symBase(y) == y && symOff(y) == 0))) { // `jne` either way round
    const swap = y;
    y = b;
    b = swap;
  } else if (b >= 0 && (down ? rootStep(y) >= 0 && rootStep(b) > 0 : rootStep(y) <= 0 && rootStep(b) < 0)) {
    // `jgt B, Y` with Y counting up is `Y < B`, `jlt B, Y` with Y counting down `Y > B`
    const swap = y;
    y = b;
    b = swap;
    down = !down;
  }
  // Y = X + c at the head, X the root: `add X, s`, its one write in the range, in the last block
  const cy = symOff(y);
  let xr = symBase(y);
  if (xr < 0 || xr >= 10) return;
  if (symBase(xr) != xr) xr = symBase(xr); // Y derives from a copy of X's new value
  if (xr < 0 || xr >= 10 || symBase(xr) != xr) return;
  let s = symOff(xr);
  // X not stepped in the last block: a counter rotated through a copy (copiedCounter), stepped in Y
  const entry = s == 0 && !ne && !down && !narrow ? copiedCounter(c, h, l, xr, latch, t) : -1;
  if (entry >= 0) s = symOff(entry);
  if (ne) down = s < 0;
  const sd = down ? -s : s; // the step's magnitude
  // (!= with a step above 1: a power of two, versioned.ts tests that iv0 meets the bound's value)
  if (sd <= 0 || (ne && ((sd & (sd - 1)) != 0 || sd > 256))) return;
  if (entry < 0 && writesOnlyIn(c, h, l, xr, latch, t) != 1) return;
  const ivAt = entry >= 0 ? lastWrite(c, latch, t, entry) : firstWrite(c, latch, xr);
  if (opAt(c, ivAt) != 0x07 && opAt(c, ivAt) != 0x04) return; // add, or add32 (X stays in [0, 2^31): the same)
  // the group: registers written once in the last block with X's new value
  let group: u32 = 0;
  for (let r = 0; r < 10 && entry < 0; r++) {
    if (r == xr || symBase(r) != xr || symOff(r) != s || writesOnlyIn(c, h, l, r, latch, t) != 1) continue;
    group |= <u32>1 << <u32>r;
  }
  const yb = symBase(y);
  if (yb != xr && (group & (<u32>1 << <u32>yb)) == 0) return;

  // B
  // E = B + s - c (+1 when le) counting up; counting down (s < 0), L = B + s - c (+1 unless le; != as >, L then
  // the last value at the head, B - c, when iv0 - L is a multiple of the step: emitDownTest tests it)
  let adj = <i64>s - <i64>cy + (down != le ? 1 : 0) + (ne && down ? sd - 1 : 0);
  let boundReg = -1;
  let boundImm: i64 = 0;
  let flags = ne ? F_NE : 0;
  if (narrow || down) {
    if (cy <= -MAX_NARROW_C || cy >= MAX_NARROW_C) return;
    flags |= (narrow ? F_NARROW : 0) | (cy << 8);
  }
  let slotOff = 0;
  if (b < 0) {
    boundImm = <i64>immAt(c, t) + adj;
    if (immAt(c, t) < 0 || boundImm < 0 || boundImm > <i64>i32.MAX_VALUE) return;
    if (narrow && !down && boundImm + <i64>cy > <i64>0x80000000) return;
    if (down && boundImm < <i64>downFloor(sd, cy)) {
      // iv's last value below 0 (see loopEndsBelowZero): every value at the head and every Y still at least 0,
      // and no register of its group, which would hold that value too
      if (boundImm < <i64>max(0, -cy) || group != 0) return;
      flags |= F_BELOW;
    }
  } else if (b == 10 || b == xr || (group & (<u32>1 << <u32>b)) != 0) return;
  else if ((mask & (1 << b)) == 0) boundReg = b;
  else if (!down && !le && !ne && !narrow && convergingBound(c, h, l, b, latch, t)) {
    boundReg = b;
    adj -= 1; // the test sees B0 - 1 at most
    flags |= F_CONVERGE;
  } else {
    // its last write before the test, in the last block (other writes of it anywhere do not matter)
    let at = -1;
    for (let i = latch; i < t; i += opAt(c, i) == 0x18 ? 2 : 1) if (writes(c, i) & (1 << b)) at = i;
    if (at < 0 || opAt(c, at) != 0x79 || srcAt(c, at) != 10 || !inOwnFrame(10, offAt(c, at), 8)) return;
    slotOff = offAt(c, at);
    if (!slotUnwritten(c, h, l, slotOff)) return;
    flags |= F_SLOT;
  }

  const k = c.loops;
  setLoop(k, h, l, xr, -1, sd, boundReg, <i32>boundImm, down, ivAt, mask, b < 0 ? 0 : <i32>adj, slotOff, <i32>flags, group);
  const others = (sd & (sd - 1)) == 0 ? otherIvs(c, k, h, l, latch, l, mask, xr) : 0;
  setField(k, OTHER_IVS, <i32>others);
  unchecked(ivEntries[k] = entry);
  const capAt = !down && !ne && !narrow ? findCap(c, k, h, l, mask, latch, s) : -1;
  // a copied counter's loop is counted, its only ways out the closing test and the cap: a search's (utf8_count's
  // `while (j <= need && i + j < len && ...)`), entered often for a trip or two, would pay for its test each time
  if (entry >= 0 && leavesElsewhere(c, k, h, l, t, capAt)) {
    unchecked(ivEntries[k] = -1);
    unchecked(capRegs[k] = NO_CAP);
    return;
  }
  if (collectAccesses(c, k, h, l, mask, xr, others, group) || holdsLoop(c, h, l)) c.loops++;
  else {
    unchecked(ivEntries[k] = -1);
    unchecked(capRegs[k] = NO_CAP);
  }
}

/**
 * Loop k's cap (loopCapReg), and the exit test it comes from (else -1): the first exit test, in a block every trip runs before the last block, that leaves the
 * loop when Y >= B2 (Y > B2: then E2 is one more), unsigned or signed, 64 bits wide, Y = V + c (V: iv's value at the
 * head, held by iv from the head's block on, by loopIvEntry in that block), B2 a register the loop does not write
 * (its high word tested zero on entry: a signed test then compares as an unsigned one, a Y below 0 only leaving
 * early) or a constant from 0 to 2^31 - 1. A trip that goes on had V + c < B2, so the next V is below E2 = B2 + s
 * - c. A block [bs, j] runs in every trip when no jump before it, in the range, lands past its start.
 */
function findCap(c: Context, k: i32, h: i32, l: i32, mask: i32, latch: i32, s: i32): i32 {
  for (let bs = h; bs < latch; bs++) {
    if (bs > h && !leaderAt(c, bs)) continue;
    if (onExitPath(k, bs)) continue;
    // the block's end: its first jump
    let j = bs;
    while (j < latch && targetOf(c, j) < 0 && !leaderAt(c, j + (opAt(c, j) == 0x18 ? 2 : 1))) j += opAt(c, j) == 0x18 ? 2 : 1;
    const to = j < latch ? targetOf(c, j) : -1;
    if (to >= 0 && (to < h || to > l) && runsEveryTrip(c, h, l, bs)) {
      trackBlock(c, bs, j, mask);
      if (capFrom(c, k, j, bs == h ? loopIvEntry(k) : loopIv(k), mask, s)) return j;
    }
  }
  return -1;
}

/** Whether a jump in [h, l) of loop k, other than the exit test t and the cap's at capAt, leaves the range. */
function leavesElsewhere(c: Context, k: i32, h: i32, l: i32, t: i32, capAt: i32): bool {
  for (let i = h; i < l; i++) {
    const to = targetOf(c, i);
    if (i != t && i != capAt && to >= 0 && (to < h || to > l || onExitPath(k, to)) && !onExitPath(k, i)) return true;
    if (opAt(c, i) == 0x18) i++;
  }
  return false;
}

/** Whether every trip of the range [h, l] runs the instruction at bs: no jump from [h, bs) lands in (bs, l]. */
function runsEveryTrip(c: Context, h: i32, l: i32, bs: i32): bool {
  for (let i = h; i < bs; i++) {
    const t = targetOf(c, i);
    if (t > bs && t <= l) return false;
    if (opAt(c, i) == 0x18) i++;
  }
  return true;
}

/** Loop k's cap from the exit test at j, V in register v at its block's start (trackBlock's values at j). */
function capFrom(c: Context, k: i32, j: i32, v: i32, mask: i32, s: i32): bool {
  const op = opAt(c, j);
  if ((op & 7) != CLS_JMP) return false;
  const kind = op & 0xf0;
  const gt = kind == 0x20 || kind == 0x60;
  if (!gt && kind != 0x30 && kind != 0x70) return false;
  const y = dstAt(c, j);
  if (y >= 10 || symBase(y) != v || symAdded(y) >= 0) return false;
  const adj = <i64>s - <i64>symOff(y) + (gt ? 1 : 0);
  if ((op & 0x08) != 0) {
    const b = srcAt(c, j);
    if (b >= 10 || (mask & (1 << b)) != 0 || adj < -255 || adj > 255) return false;
    unchecked(capRegs[k] = b);
    unchecked(capValues[k] = <i32>adj);
    return true;
  }
  const e = <i64>immAt(c, j) + adj;
  if (immAt(c, j) < 0 || e < 0 || e > <i64>i32.MAX_VALUE) return false;
  unchecked(capRegs[k] = -1);
  unchecked(capValues[k] = <i32>e);
  return true;
}

/**
 * The register Y of a counter X rotated through a copy, as clang leaves a loop with two exit tests (`for (i = 0; i
 * < n; i++)` with n clamped, `if (n > K) n = K`, turned into a second test on i): the head [h, ...) starts with
 * `mov X, Y`, X's one write in [h, l]; the last block (from `latch`, after h's) copies X to Y and steps it, its last
 * write of Y before the exit test t being `add Y, s` (s > 0; symOff(Y) at t, trackBlock's). Y is free to hold
 * anything else in between (clang reuses it). At the head, on entry and on every way back, Y holds the trip's
 * count V (X on the last trip + s); from the mov on, X holds V. -1 when the loop has another shape.
 */
function copiedCounter(c: Context, h: i32, l: i32, x: i32, latch: i32, t: i32): i32 {
  const y = srcAt(c, h);
  if (opAt(c, h) != 0xbf || offAt(c, h) != 0 || dstAt(c, h) != x || y == x || y >= 10 || latch <= h) return -1;
  if (writesOnlyIn(c, h, l, x, h, h + 1) != 1 || symBase(y) != x || symOff(y) <= 0) return -1;
  const at = lastWrite(c, latch, t, y);
  if (at < 0 || opAt(c, at) != 0x07 || immAt(c, at) != symOff(y)) return -1;
  // between the test and the way back (a closing `ja`), nothing writes Y
  for (let i = t + 1; i <= l; i++) if (writes(c, i) & (1 << y)) return -1;
  return y;
}

/** The last instruction in [from, to) that writes register r, or -1. */
function lastWrite(c: Context, from: i32, to: i32, r: i32): i32 {
  let at = -1;
  for (let i = from; i < to; i += opAt(c, i) == 0x18 ? 2 : 1) if (writes(c, i) & (1 << r)) at = i;
  return at;
}

/**
 * Whether the loop [h, l] writes B once, by `add B, -1` in the last block before the exit test: `while (i < j)`
 * with `j--` (a reversal in place, a two-pointer scan). With B0 at least 1 (versioned.ts tests it), B never wraps:
 * the test sees B - 1 >= 0, and the trip goes on only when Y < B - 1, so the next B is at least 1 too. Every
 * bound the test sees is then at most B0 - 1: iv's values at the head stay below E = B0 - 1 + s - c.
 */
function convergingBound(c: Context, h: i32, l: i32, b: i32, latch: i32, t: i32): bool {
  if (writesOnlyIn(c, h, l, b, latch, t) != 1) return false;
  const at = firstWrite(c, latch, b);
  return opAt(c, at) == 0x07 && immAt(c, at) == -1;
}

/**
 * Whether no store in [h, l] can reach the frame slot r10 + off (8 bytes): every store goes through r10 to other
 * bytes of the frame. The frame is the program's own, so nothing else writes the slot while the loop runs (it
 * calls nothing); a store through another register might reach the frame.
 */
export function slotUnwritten(c: Context, h: i32, l: i32, off: i32): bool {
  for (let i = h; i <= l; i++) {
    const cls = opAt(c, i) & 7;
    if (cls == CLS_ST || cls == CLS_STX) {
      const size = sizeBytes(opAt(c, i) & 0x18);
      if (dstAt(c, i) != 10 || !inOwnFrame(10, offAt(c, i), size)) return false;
      if (offAt(c, i) < off + 8 && offAt(c, i) + size > off) return false;
    }
    if (opAt(c, i) == 0x18) i++;
  }
  return true;
}

/**
 * A loop entered in its middle, clang's rotated `for (i = 0; i + n <= len; i++)`: the range [H, L] ends with `ja`
 * back, H is its only entry (`ja e` into the range at H itself, as clang emits it, or the back edge's target; its
 * exit path aside), and it has any number of ways back but one way out, the exit test te. Or a search clang
 * rotates the same way (`for (i = 0; i < n; i++) if (p[i] == x) return i;`, entered by `ja` past te into the
 * compare) with a second way out that can only leave earlier: L a conditional jump back (its fall-through), or a
 * conditional jump over the closing `ja`. te leaves itself (or jumps into the exit path), or falls through into
 * the exit path (a `ja` that leaves, an `exit`, the result's last operations), jumping over it (`if (i < n) goto
 * body; goto out`, clang's form of many loops whose body has several paths: the trip goes on when te's test
 * holds). te is a conditional jump in the block of iv's add (`add X, s`, s a constant above 0, X's one write in
 * the range), after it, comparing Y = X + R + c (R a register the loop does not write, or none) with a bound B (a
 * register the loop does not write, or a constant), 64 bits wide. Every block start after the first trip's comes
 * after te let the trip go on, so X's values at block starts are X0 and values below E = B + s - c - R (+1 when
 * the trip goes on while Y <= B), as planGeneral's (versioned.ts subtracts R from E, tested not below 0). Accesses
 * are planned as for the other loops, other induction variables too (a pointer bumped in iv's block: at every
 * block start it has moved as many steps as iv).
 */
function planRotated(c: Context, t: i32, l: i32): void {
  const back = opAt(c, l);
  if (back != 0x05 && ((back & 0xf0) == 0 || (back & 7) != CLS_JMP && (back & 7) != CLS_JMP32)) return;
  let h = t;
  const into = h > 0 ? targetOf(c, h - 1) : -1;
  if (h > 0 && opAt(c, h - 1) == 0x05 && into > h && into <= l) h--;
  if (!leaderAt(c, h) || l - h + 1 > MAX_LOOP_INSNS || (l + 1 == c.count && back != 0x05) || overlaps(c, h, l)) return;
  let mask = 0;
  let te = -1; // the exit test
  let out = -1; // its jump out: te, or the `ja` te jumps over
  let over = -1; // a conditional jump over the closing `ja`: the exit test, or a search's way out besides it
  const k = c.loops;
  markExitPath(c, k, h, l);
  for (let i = h; i <= l; i++) {
    if (i > h && (load<u8>(c.flags + <usize>i) & c.funcBits) != 0) return;
    if (onExitPath(k, i)) continue; // analysis/exitpaths.ts: the loop has ended there
    const w = writes(c, i);
    if (w < 0) return;
    mask |= w;
    if (leavesLoop(c, k, h, l, i)) {
      const to = targetOf(c, i);
      if (back == 0x05 && i == l - 1 && to == l + 1) over = i;
      else if (te >= 0) return; // a third way out
      else if (to < h || to > l || onExitPath(k, to)) te = out = i;
      else {
        // it falls through into the exit path: `if (Y < B) goto on; ja out; on:`, as clang often leaves the test
        // of a loop entered in its middle, or `if (Y < B) goto on; exit; on:`, or the result's last operations
        // before the `ja` to the epilogue
        te = i;
        out = i + 1;
      }
    }
    if (opAt(c, i) == 0x18) i++;
  }
  if (te < 0) te = out = over;
  if (te < 0 || (opAt(c, te) & 7) != CLS_JMP) return;
  // entered past its head: only by one `ja` from outside, its test then there (loopEntryJump)
  const jumpIn = h == t ? entryJump(c, h, l) : -1;
  if (jumpIn < 0 && enteredPast(c, h, l)) return;
  // the exit test, negated: the trip goes on iff Y < B (or Y <= B)
  const top = opAt(c, te);
  let kind = top & 0xf0;
  if (te != out) kind = negatedTest(kind); // it leaves by the `ja` when the test fails
  if (kind == 0xc0 || kind == 0xd0) kind -= 0x20; // signed: as unsigned (operands below 2^63)
  else if (kind == 0x60 || kind == 0x70) kind -= 0x40;
  const x = (top & 0x08) != 0;
  let y = dstAt(c, te);
  let b = x ? srcAt(c, te) : -1;
  let le = false;
  if (kind == 0x20 || kind == 0x30) le = kind == 0x20; // leaves when Y > B (Y >= B)
  else if ((kind == 0xa0 || kind == 0xb0) && x) { // leaves when B < Y (B <= Y)
    le = kind == 0xa0;
    const swap = y;
    y = b;
    b = swap;
  } else return;
  if (y >= 10 || b >= 10 || (b >= 0 && (mask & (1 << b)) != 0)) return;
  // Y through te's block, from its start
  let latch = te;
  while (latch > h && !leaderAt(c, latch)) latch--;
  trackBlock(c, latch, te, mask);
  const xr = symBase(y);
  if (xr < 0 || xr >= 10) return;
  // iv's add: in te's block, before te; or in a loop tested at its top, after te (see topTested)
  let ivAt = -1;
  const atTop = jumpIn < 0 && latch == h && h == t && symBase(xr) == xr && symOff(xr) == 0 && topTested(c, h, l, xr, te);
  if (atTop) ivAt = firstWrite(c, te + 1, xr);
  else if (writesOnlyIn(c, h, l, xr, latch, te) == 1) {
    ivAt = firstWrite(c, latch, xr);
    if (symBase(xr) != xr || symOff(xr) != immAt(c, ivAt)) return;
  } else return;
  const s = immAt(c, ivAt);
  if (opAt(c, ivAt) != 0x07 || s <= 0) return;
  const sub = symAdded(y);
  if (sub == xr || b == xr) return;
  // E: iv's bound at the block starts after te's, up to the add's (at the top: iv's head value let through)
  const adj = <i64>(atTop ? 0 : s) - <i64>symOff(y) + (le ? 1 : 0);
  let boundImm: i64 = 0;
  if (adj < -(1 << 30) || adj > (1 << 30)) return;
  if (b < 0) {
    boundImm = <i64>immAt(c, te) + adj;
    if (immAt(c, te) < 0 || boundImm < 0 || boundImm > <i64>i32.MAX_VALUE) return;
  }
  setLoop(k, h, l, xr, -1, s, b, <i32>boundImm, false, ivAt, mask, b < 0 ? 0 : <i32>adj, 0, 0, 0);
  // other induction variables: bumped once in iv's block, before the exit test (a trip runs the blocks after the
  // test first, then its block: a bump after the test would come first in the trip); none for a loop tested at
  // its top
  const others = (s & (s - 1)) == 0 && !atTop ? otherIvs(c, k, h, l, latch, te, mask, xr) : 0;
  setField(k, OTHER_IVS, <i32>others);
  unchecked(subRegs[k] = sub);
  unchecked(exitTests[k] = out);
  unchecked(entryJumps[k] = jumpIn);
  if (collectAccesses(c, k, h, l, mask, xr, others, 0, atTop ? te : -1, ivAt) || holdsLoop(c, h, l)) c.loops++;
}

/**
 * Whether the rotated loop [h, l], its exit test te ending h's block, is tested at its top (`while (j < n && p[j]
 * == c) j++`): every jump back in it goes to h, and iv (xr) is written once, after te (by `add xr, s`, s > 0). A
 * trip then runs h's block first, te included, and goes on forward: at the block starts after te's, up to the
 * add's block, iv holds a value te let go on (X + R + c < B), below E = B - c - R; after the add, in its block,
 * that value + s (tracked as a constant). Accesses in h's block, where iv may be E - 1 + s, and in the blocks after
 * the add's (reached with or without the add) stay checked (collectAccesses). Other ways out (a search's, on the
 * data) leave the copy as they leave the ordinary code.
 */
function topTested(c: Context, h: i32, l: i32, xr: i32, te: i32): bool {
  for (let i = h; i <= l; i++) {
    const to = targetOf(c, i);
    if (to >= h && to <= i && to != h) return false;
    if (opAt(c, i) == 0x18) i++;
  }
  return writesOnlyIn(c, h, l, xr, te + 1, l + 1) == 1;
}

/** The test that holds exactly when `kind` (a jump's op & 0xf0: jgt, jge, jlt, jle, signed or not) fails; else 0. */
function negatedTest(kind: u32): u32 {
  if (kind == 0x20) return 0xb0; // > : <=
  if (kind == 0xb0) return 0x20;
  if (kind == 0x30) return 0xa0; // >= : <
  if (kind == 0xa0) return 0x30;
  if (kind == 0x60) return 0xd0; // signed
  if (kind == 0xd0) return 0x60;
  if (kind == 0x70) return 0xc0;
  if (kind == 0xc0) return 0x70;
  return 0;
}

/** Loop k's other induction variables (see above; each written once, in [latch, latchEnd]), steps in STEP_TABLE. */
function otherIvs(c: Context, k: i32, h: i32, l: i32, latch: i32, latchEnd: i32, mask: i32, iv: i32): u32 {
  let found: u32 = 0;
  for (let r = 0; r < 10; r++) {
    if (r == iv || (mask & (1 << r)) == 0) continue;
    let at = -1;
    let count = 0;
    for (let i = h; i <= l; i++) {
      if (writes(c, i) & (1 << r) && !onExitPath(k, i)) { count++; at = i; }
      if (opAt(c, i) == 0x18) i++;
    }
    if (count != 1 || at < latch || at > latchEnd) continue;
    const op = opAt(c, at), s = srcAt(c, at);
    if (op == 0x07 && immAt(c, at) != 0 && immAt(c, at) != i32.MIN_VALUE) setIvStep(k, r, immAt(c, at));
    else if (op == 0x0f && s != r && s < 10 && (mask & (1 << s)) == 0) {
      setIvStep(k, r, s);
      found |= <u32>1 << <u32>(r + 16);
    } else continue;
    found |= <u32>1 << <u32>r;
  }
  return found;
}

function zeroHighWords(c: Context, k: i32): u32 {
  const h = loopHead(k), l = loopLast(k), mask = load<i32>(field(k, WRITES));
  // bound and step: not written in the loop, tested on entry
  let zero: u32 = 0;
  if (loopBoundReg(k) >= 0) zero |= <u32>1 << <u32>loopBoundReg(k);
  if (loopStepReg(k) >= 0) zero |= <u32>1 << <u32>loopStepReg(k);
  if (loopCapReg(k) >= 0) zero |= <u32>1 << <u32>loopCapReg(k);
  for (let r = 0; r < 10; r++) {
    if ((mask & (1 << r)) == 0) continue;
    let ok = true;
    let last = -1; // the last write to r in the current block
    for (let i = h; i <= l + 1 && ok; i++) {
      if (i == l + 1 || (i > h && leaderAt(c, i))) {
        if (last >= 0) ok = zeroing(c, k, last);
        last = -1;
        if (i == l + 1) break;
      }
      if (writes(c, i) & (1 << r) && !onExitPath(k, i)) last = i; // (the copy does not run its exit path)
      if (opAt(c, i) == 0x18) i++;
    }
    if (ok) zero |= <u32>1 << <u32>r;
  }
  return zero;
}

/**
 * Whether instruction i leaves its destination's high word zero in loop k's copy (see loopZeroHigh), where the
 * loops inside k are copies too.
 */
function zeroing(c: Context, k: i32, i: i32): bool {
  const op = opAt(c, i);
  const cls = op & 7;
  if (cls == 4) return (op & 0xf0) != 0xd0 || immAt(c, i) != 64; // ALU32, but not a 64-bit byte swap
  if (cls == CLS_LDX) return (op & 0xe0) == 0x60 && (op & 0x18) != 0x18 || reloadsBound(c, k, i);
  if (op == 0xb7 || op == 0x57) return immAt(c, i) >= 0; // mov, and
  if (op != 0x07 && op != 0x0f && op != 0xbf) return false;
  for (let q = 0; q < c.loops; q++) {
    if (!within(q, k) || i < loopHead(q) || i > loopLast(q)) continue;
    if (op == 0xbf) {
      // a register of iv's group copying iv's new value (written after iv's add, both in the last block)
      if ((loopIvGroup(q) >> <u32>dstAt(c, i)) & 1 && srcAt(c, i) == loopIv(q) && i > loopIvAt(q)) return true;
      // a copied counter's mov at the head: Y holds iv there, below 2^31 (versioned.ts tests it on entry, and
      // Y's step, at loopIvAt, is 32 bits wide)
      if (i == loopHead(q) && dstAt(c, i) == loopIv(q) && srcAt(c, i) == loopIvEntry(q) && loopIvEntry(q) != loopIv(q)) return true;
      // a copy of an upward loop's iv, anywhere in it: iv stays below 2^31 there (copies.ts copyNarrowIvs), its high
      // word zero (`mov r4, r5` before `r8 = r10 - 12 + r4`: the counter a store's address sums)
      if (srcAt(c, i) == loopIv(q) && loopIvEntry(q) == loopIv(q) && !loopDown(q) && offAt(c, i) == 0) return true;
      continue;
    }
    if (narrowAdd(c, q, i)) return true;
  }
  return false;
}

/**
 * Whether the add at i is 32 bits wide in loop k's copy: iv's step, a planned address (addressOfPlanned), or the
 * step of another induction variable (versioned.ts tested its high word zero on entry and its value after the
 * last trip below 2^32, or not below 0 when it moves down).
 */
export function narrowAdd(c: Context, k: i32, i: i32): bool {
  if ((i == loopIvAt(k) && !loopEndsBelowZero(k)) || addressOfPlanned(c, k, i)) return true;
  const op = opAt(c, i);
  return (op == 0x07 || op == 0x0f) && i >= loopHead(k) && i <= loopLast(k) && ((loopOtherIvs(k) >> <u32>dstAt(c, i)) & 1) != 0;
}

/**
 * Whether instruction i reloads the bound of loop k or of a loop inside it from its frame slot (`ldxdw d, [r10 +
 * loopBoundSlotOff]`), or such a loop's base slot (loopBaseSlot): in the copy, a 32-bit value (the test found the
 * slot's high word zero, and nothing in the loop stores to the slot).
 */
export function reloadsBound(c: Context, k: i32, i: i32): bool {
  if (opAt(c, i) != 0x79 || srcAt(c, i) != 10) return false;
  const off = offAt(c, i);
  for (let q = 0; q < c.loops; q++) {
    if (!within(q, k) || i < loopHead(q) || i > loopLast(q)) continue;
    if ((loopBoundSlot(q) && off == loopBoundSlotOff(q)) || off == loopBaseSlot(q)) return true;
  }
  return false;
}

/**
 * Whether the add at i computes the address of an access of loop k's plan through its destination, less an
 * offset of at most MAX_ADDRESS_OFF either way (not of an address moving down), later in its block with no write
 * between (versioned.ts: addressAdd, which makes it 32 bits wide; the test made every such access's first address
 * at least its offset, its last one plus the offset's magnitude below 2^32: the sum is the address less the
 * offset, with no wrap-around).
 */
export function addressOfPlanned(c: Context, k: i32, i: i32): bool {
  const d = dstAt(c, i);
  for (let q = i + 1; q <= loopLast(k) && !leaderAt(c, q); q++) {
    const op = opAt(c, q);
    const cls = op & 7;
    if (cls == CLS_JMP || cls == CLS_JMP32 || cls == CLS_LD) return false;
    const base = cls == CLS_LDX ? srcAt(c, q) : dstAt(c, q);
    if ((cls == CLS_LDX || cls == CLS_ST || cls == CLS_STX) && base == d) {
      const off = offAt(c, q);
      if (off < -MAX_ADDRESS_OFF || off > MAX_ADDRESS_OFF) return false;
      for (let j = 0; j < loopAccesses(k); j++) {
        const a = k * MAX_ACCESSES + j;
        if (accInsn(a) == q) return off == 0 || !accDown(a);
      }
      return false;
    }
    if (writes(c, q) & (1 << d)) return false;
  }
  return false;
}

/**
 * The accesses of loop k whose address is a sum of registers the loop does not write, iv, a constant and the value
 * of one frame slot the loop does not store to, tracked through each block from its start. False when it has none.
 * Sets loopPromotable false when some other access (not through the frame pointer into its own frame) stays checked.
 */
function collectAccesses(
  c: Context, k: i32, h: i32, l: i32, mask: i32, iv: i32, others: u32, group: u32, topTest: i32 = -1, ivAt: i32 = -1,
): bool {
  const sum = SCRATCH; // i32 per register: registers summed (IV_BIT: iv), -1: not a sum
  const cst = SCRATCH + 64; // i64 per register: the constant part
  const top = SCRATCH + 160; // i32 per register: T, the bounded term in [0, T] (0: none)
  const scale = SCRATCH + 208; // i32 per register: k when it sums iv << k (0: iv itself, or no iv)
  let n = 0;
  unchecked(baseSlots[k] = NO_SLOT);
  for (let i = h; i <= l; i++) {
    if (onExitPath(k, i)) continue; // run by the ordinary code, whose checks it keeps
    if (i == h || leaderAt(c, i)) {
      for (let r = 0; r <= 10; r++) {
        const moving = (mask & (1 << r)) != 0 && (others & (<u32>1 << <u32>r)) == 0;
        // (tested at the top: iv is known in the blocks up to its add's, topTested)
        // (a copied counter's iv is Y at the head, X once the head's mov copied it: copiedCounter)
        const ivHere = i == h ? loopIvEntry(k) : iv;
        const inGroup = (r == ivHere && (topTest < 0 || i <= ivAt)) || (r < 10 && (group & (<u32>1 << <u32>r)) != 0);
        setSum(sum, r, !moving ? 1 << r : inGroup ? <i32>IV_BIT : -1);
        setCst(cst, r, 0);
        setSum(top, r, 0);
        setSum(scale, r, 0);
      }
    }
    const op = opAt(c, i);
    const cls = op & 7;
    const dst = dstAt(c, i), src = srcAt(c, i), off = offAt(c, i);
    const imm = <i64>immAt(c, i);
    if (cls == CLS_LDX || cls == CLS_ST || cls == CLS_STX) {
      const base = cls == CLS_LDX ? src : dst;
      const size = sizeBytes(op & 0x18);
      if (!inOwnFrame(base, off, size) && i > topTest) {
        const moves = sumOf(sum, base) >= 0 ? direction(k, <u32>sumOf(sum, base), others) : MIXED;
        if (moves != MIXED && n < MAX_ACCESSES) {
          const at = accessAt(k * MAX_ACCESSES + n++);
          store<i32>(at, i);
          store<i32>(at, size, 4);
          const scaled = (sumOf(sum, base) & <i32>IV_BIT) != 0 ? sumOf(scale, base) << ACC_SCALE_AT : 0;
          const down = moves == DOWNWARD ? ACC_DOWN : 0;
          store<i32>(at, down | scaled | (sumOf(top, base) << 1) | (cls != CLS_LDX ? 1 : 0), 8);
          store<i32>(at, sumOf(sum, base), 12);
          store<i64>(at, cstOf(cst, base) + <i64>off, 16);
        }
      }
    }
    const w = op == 0x18 ? 1 << dst : writes(c, i);
    if (w != 0) {
      const a = sumOf(sum, dst), b = sumOf(sum, src);
      const ta = sumOf(top, dst), tb = sumOf(top, src);
      const pure = a == 0 && cstOf(cst, dst) >= 0; // dst is a bounded term alone: [cst, cst + T]
      const sa = sumOf(scale, dst), sb = sumOf(scale, src);
      setSum(top, dst, 0);
      setSum(scale, dst, 0);
      if ((op == 0xbf || (op == 0xbc && b == <i32>IV_BIT && cstOf(cst, src) == 0 && tb == 0 && sb == 0)) && off == 0) {
        // mov of a register (mov32 of iv: iv stays in [0, 2^31) in the copy)
        setSum(sum, dst, b);
        setCst(cst, dst, cstOf(cst, src));
        setSum(top, dst, tb);
        setSum(scale, dst, sb);
      } else if (op == 0x0f) { // add of a register: each summed at most once
        if (a < 0 || b < 0 || (a & b) != 0 || <u32>ta + <u32>tb >= MAX_BOUND) setSum(sum, dst, -1);
        else {
          setSum(sum, dst, a | b);
          setCst(cst, dst, cstOf(cst, dst) + cstOf(cst, src));
          setSum(top, dst, ta + tb);
          setSum(scale, dst, (a & <i32>IV_BIT) != 0 ? sa : sb);
        }
      } else if (op == 0x67 && a == <i32>IV_BIT && ta == 0 && sa == 0 && imm >= 1 && imm <= 3 &&
                 cstOf(cst, dst) > -(1 << 20) && cstOf(cst, dst) < (1 << 20)) {
        // (iv + c) << k: an index scaled to its elements' size (the test checks iv0 << k and the span below 2^32)
        setSum(scale, dst, <i32>imm);
        setCst(cst, dst, cstOf(cst, dst) << imm);
      } else if (op == 0xb7) { // mov of a constant
        setSum(sum, dst, 0);
        setCst(cst, dst, imm);
      } else if (op == 0x18) { // lddw: a constant too (a map value's address, once relocated)
        setSum(sum, dst, 0);
        setCst(cst, dst, <i64>(<u32>immAt(c, i)) | <i64>immAt(c, i + 1) << 32);
      } else if (op == 0x07) {
        setCst(cst, dst, cstOf(cst, dst) + imm);
        setSum(top, dst, ta);
        setSum(scale, dst, sa);
      } else if (op == 0x17) {
        setCst(cst, dst, cstOf(cst, dst) - imm);
        setSum(top, dst, ta);
        setSum(scale, dst, sa);
      } else if ((op == 0x57 || op == 0x54) && imm >= 0 && imm < <i64>MAX_BOUND) { // and: [0, imm]
        setSum(sum, dst, 0);
        setCst(cst, dst, 0);
        setSum(top, dst, <i32>imm);
      } else if (op == 0x79 && src == 10 && inOwnFrame(10, off, 8) &&
                 (loopBaseSlot(k) == NO_SLOT || loopBaseSlot(k) == off) && slotUnwritten(c, h, l, off)) {
        // a reload of the loop's base slot: the same value in every trip
        unchecked(baseSlots[k] = off);
        setSum(sum, dst, <i32>SLOT_BIT);
        setCst(cst, dst, 0);
      } else if (op == 0x71 || op == 0x69) { // a byte or halfword load: [0, 255] or [0, 65535]
        setSum(sum, dst, 0);
        setCst(cst, dst, 0);
        setSum(top, dst, op == 0x71 ? 255 : 65535);
      } else if ((op == 0x67 || op == 0x64) && pure && imm >= 0 && imm < 32 &&
                 ((cstOf(cst, dst) + <i64>ta) << imm) < <i64>MAX_BOUND) { // lsh of a bounded term
        setCst(cst, dst, cstOf(cst, dst) << imm);
        setSum(top, dst, ta << <i32>imm);
      } else if ((op == 0x77 || op == 0x74) && pure && imm >= 0 && imm < 32 &&
                 cstOf(cst, dst) + <i64>ta < <i64>MAX_BOUND) { // rsh of a bounded term
        const lo = cstOf(cst, dst) >> imm;
        const hi = (cstOf(cst, dst) + <i64>ta) >> imm;
        setCst(cst, dst, lo);
        setSum(top, dst, <i32>(hi - lo));
      } else for (let r = 0; r <= 10; r++) if ((w & (1 << r)) != 0) setSum(sum, r, -1);
    }
    if (op == 0x18) i++;
  }
  setField(k, ACCESSES, n);
  // the base slot only where an access sums it: the test reads it then (an inner loop with one is not lifted,
  // analysis/nests.ts, so that its own test always runs)
  let slotUsed = false;
  for (let j = 0; j < n; j++) if (accRegs(k * MAX_ACCESSES + j) & SLOT_BIT) slotUsed = true;
  if (!slotUsed) unchecked(baseSlots[k] = NO_SLOT);
  return n > 0;
}

const UPWARD = 0, DOWNWARD = 1, MIXED = 2;
const ACC_DOWN: i32 = 1 << 30; // in an access's store word: its address moves down

/** Which way an address summing `regs` moves over loop k's trips: every induction variable in it one way, or MIXED. */
function direction(k: i32, regs: u32, others: u32): i32 {
  let up = (regs & IV_BIT) != 0 && !loopDown(k);
  let down = (regs & IV_BIT) != 0 && loopDown(k);
  for (let r = 0; r < 10; r++) {
    if ((regs & others & (<u32>1 << <u32>r)) == 0) continue;
    if (!loopIvStepsByReg(k, r) && loopIvStep(k, r) < 0) down = true;
    else up = true;
  }
  return up && down ? MIXED : down ? DOWNWARD : UPWARD;
}

@inline function sumOf(t: usize, r: i32): i32 { return load<i32>(t + (<usize>r << 2)); }
@inline function setSum(t: usize, r: i32, v: i32): void { store<i32>(t + (<usize>r << 2), v); }
@inline function cstOf(t: usize, r: i32): i64 { return load<i64>(t + (<usize>r << 3)); }
@inline function setCst(t: usize, r: i32, v: i64): void { store<i64>(t + (<usize>r << 3), v); }

/** The loop whose head is instruction i and whose test is there (not one entered by a jump), or -1. */
export function loopAt(c: Context, i: i32): i32 {
  for (let k = 0; k < c.loops; k++) if (loopHead(k) == i && unchecked(entryJumps[k]) < 0) return k;
  return -1;
}
