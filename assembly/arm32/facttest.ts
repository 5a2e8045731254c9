// The entry test of a loop analysis/facts.ts planned, as versioned.ts emitTest emits it after the high words of
// the registers its copy keeps zero: here each bound register's high word zero, its counters' bound plus margin
// below 2^31 (loops.ts factCounters), the assumptions the analysis made on the registers' entry values (of
// registers live at the head: the others' entry values are never read), and the registers it took as their low
// words below 2^28 (analysis/scaled.ts); then, per access, its span in r1 ((B << scale) + adj for a bound register
// B, below 0 failing; else 0: a constant bound's span is the access's bounded term), for versioned.ts
// emitRangeTest to test [start, start + span + size) in one region's window. Any failure goes to the head's
// ordinary code. Uses r0, r1 and lr.
import { HI, HS, LO, LR, MI, NE, R0, R1, SH_LSL, cmpImm, cmpReg, ldr, movImm, movReg, shiftImm } from "./a32/encoder";
import { ASSUME_REG, ASSUME_SLOT, assumedHi, assumedLo, factAdj, factBound, factScale } from "./analysis/facts";
import { MAX_ACCESSES, factCounterBound, factCounterMargin, factCounters, factSmall, loopAccesses, loopBaseSlot, loopBodyAt, loopHead, loopIvStep } from "./analysis/loops";
import { SMALL_BITS } from "./analysis/scaled";
import { Context } from "./jit/context";
import { emitStrideSpan, isStrideAccess } from "./stridetest";
import { leave } from "./jit/copies";
import { liveAt } from "./jit/liveness";
import { hi, known0, lo } from "./jit/regs";

/** The bound registers' high words and the entry assumptions (see above). */
export function emitFactChecks(c: Context, k: i32): void {
  const h = loopHead(k);
  // the bound registers: their high words zero (an access's range grows with the low word alone)
  let bounds: u32 = 0;
  for (let j = 0; j < loopAccesses(k); j++) {
    const b = factBound(k * MAX_ACCESSES + j);
    if (b >= 0) bounds |= <u32>1 << <u32>b;
  }
  for (let r = 0; r < 10; r++) {
    const a = loopIvStep(k, r);
    if ((a & 3) == ASSUME_REG && liveAt(c, h, r)) bounds |= <u32>1 << <u32>((a >> 2) & 15);
  }
  const counters = factCounters(k);
  if (counters != 0) bounds |= <u32>1 << <u32>factCounterBound(counters);
  for (let r = 0; r < 10; r++) if ((bounds >> <u32>r) & 1) highWordZero(c, r, k);
  // the registers the analysis took as their low words (analysis/scaled.ts): below 2^SMALL_BITS
  const small = factSmall(k);
  for (let r = 0; r < 10; r++) {
    if (((small >> <u32>r) & 1) == 0) continue;
    if (((bounds >> <u32>r) & 1) == 0) highWordZero(c, r, k);
    c.emit(cmpImm(lo(c, r, R0), 1 << SMALL_BITS));
    fail(c, HS, k);
  }
  if (counters != 0) {
    // the counters' bound plus their margin below 2^31: they stay below it at every block start of the copy, their
    // high words zero and their steps 32 bits wide (analysis/facts.ts countersBelowBound)
    const e = boundPlus(c, k, factCounterBound(counters), factCounterMargin(counters), R0);
    c.emit(cmpImm(e, 0));
    fail(c, MI, k);
  }
  for (let r = 0; r < 10; r++) {
    const a = loopIvStep(k, r);
    if (a == 0 || !liveAt(c, h, r)) continue;
    highWordZero(c, r, k);
    if (a == ASSUME_SLOT) {
      // the base slot's value (emitTest tested its high word zero)
      c.emit(ldr(R0, lo(c, 10, R0), loopBaseSlot(k)));
      c.emit(cmpReg(lo(c, r, R1), R0));
      fail(c, NE, k);
    } else if ((a & 3) == ASSUME_REG) {
      // at most B + adj
      const e = boundPlus(c, k, (a >> 2) & 15, a >> 8, R0);
      c.emit(cmpReg(lo(c, r, R1), e));
      fail(c, HI, k);
    } else {
      // in [lo, hi]
      const l = lo(c, r, R1);
      c.emitConst(R0, <u32>assumedHi(a));
      c.emit(cmpReg(l, R0));
      fail(c, HI, k);
      if (assumedLo(a) != 0) {
        c.emit(cmpImm(l, assumedLo(a)));
        fail(c, LO, k);
      }
    }
  }
}

/** r1 = access a's span (see above). */
export function emitFactSpan(c: Context, k: i32, a: i32): void {
  if (isStrideAccess(a)) {
    emitStrideSpan(c, k, a);
    return;
  }
  const b = factBound(a);
  if (b < 0) {
    c.emit(movImm(R1, 0));
    return;
  }
  const s = factScale(a);
  if (s != 0) {
    // (B << s) + adj: B below 2^SMALL_BITS (emitFactChecks), so B << s is below 2^31
    c.emit(shiftImm(SH_LSL, R1, lo(c, b, R1), s));
    if (factAdj(a) != 0) {
      c.emitAddConstS(R1, R1, <u32>factAdj(a), LR);
      fail(c, factAdj(a) > 0 ? HS : LO, k);
    }
    return;
  }
  const e = boundPlus(c, k, b, factAdj(a), R1);
  if (e != R1) c.emit(movReg(R1, e));
}

/** The ARM register holding B + adj (B's high word zero): B's own, or tmp; below 0 or past 2^32 fails. */
function boundPlus(c: Context, k: i32, b: i32, adj: i32, tmp: i32): i32 {
  const l = lo(c, b, tmp);
  if (adj == 0) return l;
  c.emitAddConstS(tmp, l, <u32>adj, LR); // the carry: a wrap-around above or below
  fail(c, adj > 0 ? HS : LO, k);
  return tmp;
}

function highWordZero(c: Context, r: i32, k: i32): void {
  if (known0(c, r)) return;
  c.emit(cmpImm(hi(c, r, R0), 0));
  fail(c, NE, k);
}

/** The test failed (cond): on to the head's ordinary code (as versioned.ts's own). */
function fail(c: Context, cond: u32, k: i32): void {
  leave(c, cond, loopBodyAt(k), loopHead(k));
}
