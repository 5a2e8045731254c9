// Nested counted loops whose inner loop needs no entry test in the outer loop's copy: the outer loop's test proves
// every access of the inner loop over all the trips of both (versioned.ts emitNestTest), once, instead of the inner
// loop's test running on every entry (a byte search: once per haystack position). This file decides which pairs
// qualify and lifts the inner loop's accesses into the outer loop's plan (loops.ts accInner); it emits nothing.
//
// Loop k (any loops.ts finds, counting up) holds exactly one loop q, and
//   - q counts up by a constant step, compares iv itself with its bound (no frame slot, no 32-bit or `!=` test, no
//     copies of iv, no other induction variables), and its bound is a constant or a register k does not write: over
//     all of q's entries in k's copy, q's E is the one k's test sees;
//   - q is entered only by falling into its head from the block P before it, inside k, where iv's last write is
//     `mov iv, c0` (c0 a constant from 0 to 2^31 - step - 1): q's iv starts at c0 on every entry, so its values at
//     q's head lie in [c0, max(c0, E - 1)]; or where iv is, at P's end, k's iv plus c0 (`for (j = i + 1; j < n;
//     j++)`, tracked as the sums below): its values then lie in [iv0 + c0, max(iv0 + D + c0, E - 1)] over all
//     entries (versioned.ts emitNestTest tests iv0 + D + c0 + step below 2^31), and an access of q may not sum k's
//     iv besides;
//   - every register of q's sums that k writes is, at the end of P, a sum of registers k does not write, k's iv (or
//     a register of its group) and a constant, tracked from P's start, where k's iv has its value at a block start
//     (P does not hold k's iv's add): in [iv0, iv0 + D] (loops.ts);
//   - every register q's copy counts on having a zero high word at its block starts (loops.ts loopZeroHigh) is q's
//     iv, or one k does not write (emitNestTest tests it), or one k's copy keeps zero at its own block starts, of
//     which q's head is one.
// An access of q at `sum + iv + off` then reaches, over both loops, [sum0 + c0 + off, sum0 + D + (E - 1) + off +
// size), sum0 the sum with k's iv at iv0: the lifted entry has the sum's registers and constant, and its span is
// D (when it sums k's iv) plus E - 1 - c0 (when it sums q's: NEST_IV_BIT). With q's iv from k's, an access summing
// q's iv has k's iv and c0 in its start instead, and a span of max(D, E - 1 - c0 - iv0) (loopNestFromOuter). A
// loop without accesses of its own that lifts nothing is not versioned.
import { Context } from "../jit/context";
import {
  IV_BIT, MAX_ACCESSES, NEST_IV_BIT, SLOT_BIT, accConst, accScale, accDown, accRegs, addLiftedAccess, loopAccesses, loopBoundNarrow, loopBoundNe,
  loopBoundReg, loopBoundSlot, loopDown, loopFacts, loopHead, loopIv, loopIvAt, loopIvEntry, loopIvGroup, loopCapReg, NO_CAP, loopLast, loopOtherIvs,
  loopStepImm, loopStepReg, loopSubReg, loopTrips, loopWrites, loopZeroHigh, removeLoop, setLoopNest, targetOf, opAt, dstAt, srcAt,
  immAt, leaderAt,
} from "./loops";
import { CLS_ALU, CLS_ALU64, CLS_LD, CLS_LDX } from "../../isa";

// P's sums: per register, the registers summed (IV_BIT: k's iv; -1: not a sum), then the constant parts
const sums = new StaticArray<i32>(11);
const consts = new StaticArray<i64>(11);

/** After loops.ts findLoops: each loop's inner loop lifted where the pair qualifies (see above). */
export function liftInnerLoops(c: Context): void {
  for (let k = c.loops - 1; k >= 0; k--) {
    let q = -1;
    let inner = 0;
    for (let j = 0; j < c.loops; j++) {
      if (j == k || loopHead(j) < loopHead(k) || loopLast(j) > loopLast(k)) continue;
      q = j;
      inner++;
    }
    if ((inner != 1 || !lift(c, k, q)) && loopAccesses(k) == 0) removeLoop(c, k);
  }
}

function lift(c: Context, k: i32, q: i32): bool {
  const hq = loopHead(q), lq = loopLast(q);
  const written = loopWrites(k);
  const step = loopStepImm(q);
  if (loopFacts(k) || loopFacts(q)) return false; // (analysis/facts.ts's: no counter)
  if (loopTrips(k) > 0 || loopTrips(q) > 0) return false; // (analysis/divided.ts's: no bound)
  if (loopDown(k) || loopDown(q) || loopStepReg(q) >= 0 || loopBoundSlot(q) || loopBoundNarrow(q) || loopBoundNe(q)) return false;
  if (loopIvGroup(q) != 0 || loopOtherIvs(q) != 0 || loopSubReg(q) >= 0) return false;
  // (a copied counter, loops.ts copiedCounter: its iv is another register at the head than in the body)
  if (loopIvEntry(k) != loopIv(k) || loopIvEntry(q) != loopIv(q) || loopCapReg(q) != NO_CAP) return false;
  if (loopBoundReg(q) >= 0 && ((written >> <u32>loopBoundReg(q)) & 1) != 0) return false;
  if (loopAccesses(k) + loopAccesses(q) > MAX_ACCESSES || hq <= loopHead(k)) return false;
  // q's head: reached from P's end only
  const before = opAt(c, hq - 1);
  if (before == 0x05 || before == 0x95 || (before & 0xf7) == 0x85) return false;
  for (let i = 0; i < c.count; i++) {
    if ((i < hq || i > lq) && targetOf(c, i) == hq) return false;
    if (opAt(c, i) == 0x18) i++;
  }
  let p = hq - 1;
  while (p > loopHead(k) && !leaderAt(c, p)) p--;
  const ivAt = loopIvAt(k);
  if (ivAt >= p && ivAt < hq) return false;
  sumsThrough(c, k, p, hq);
  // q's iv on entry: a constant, or k's iv plus one (`for (j = i + 1; j < n; j++)`)
  const iv = loopIv(q);
  const c0 = unchecked(consts[iv]);
  const fromOuter = unchecked(sums[iv]) == <i32>IV_BIT;
  if ((unchecked(sums[iv]) != 0 && !fromOuter) || c0 < 0 || c0 + <i64>step >= <i64>0x80000000) return false;
  // q's copy's zero high words
  const zero = loopZeroHigh(q) & written & ~loopZeroHigh(k) & ~(<u32>1 << <u32>iv);
  if (zero != 0) return false;
  // the sums first, all of them, then the entries
  const n = loopAccesses(q);
  for (let j = 0; j < n; j++) {
    const regs = liftedRegs(q * MAX_ACCESSES + j, written);
    // (from k's iv: an address summing both ivs would move by twice k's step)
    if (regs < 0 || (fromOuter && (accRegs(q * MAX_ACCESSES + j) & IV_BIT) != 0 && (regs & IV_BIT) != 0)) return false;
  }
  for (let j = 0; j < n; j++) {
    const a = q * MAX_ACCESSES + j;
    let cst = accConst(a);
    const regs = accRegs(a);
    for (let r = 0; r <= 10; r++) if ((regs >> <u32>r) & 1 && ((written >> <u32>r) & 1) != 0) cst += unchecked(consts[r]);
    const moves = (regs & IV_BIT) != 0;
    if (moves) cst += c0;
    const from = moves && fromOuter ? IV_BIT : 0; // (the start: k's iv at iv0, plus c0)
    addLiftedAccess(k, a, <u32>liftedRegs(a, written) | (moves ? NEST_IV_BIT | from : 0), cst);
  }
  setLoopNest(k, q, <i32>c0, fromOuter);
  return true;
}

/**
 * The registers access a of q sums once its registers that k writes are replaced by their sums at P's end (IV_BIT:
 * k's iv), or -1 when one is not a sum or a register would be summed twice. q's iv is not among them (its start is
 * a constant).
 */
function liftedRegs(a: i32, written: u32): i32 {
  const regs = accRegs(a);
  if (accDown(a) || accScale(a) != 0 || (regs & SLOT_BIT) != 0) return -1; // (a frame slot: k's test would not read it)
  let out: i32 = 0;
  for (let r = 0; r <= 10; r++) {
    if (((regs >> <u32>r) & 1) == 0) continue;
    const s = ((written >> <u32>r) & 1) != 0 ? unchecked(sums[r]) : 1 << r;
    if (s < 0 || (out & s) != 0) return -1;
    out |= s;
  }
  return out;
}

/** sums and consts: each register's value at the end of P ([from, to)) as a sum (see above). */
function sumsThrough(c: Context, k: i32, from: i32, to: i32): void {
  const written = loopWrites(k);
  const group = loopIvGroup(k) | (<u32>1 << <u32>loopIv(k));
  for (let r = 0; r <= 10; r++) {
    unchecked(sums[r] = ((written >> <u32>r) & 1) == 0 ? 1 << r : ((group >> <u32>r) & 1) != 0 ? <i32>IV_BIT : -1);
    unchecked(consts[r] = 0);
  }
  for (let i = from; i < to; i++) {
    const op = opAt(c, i);
    const cls = op & 7;
    const d = dstAt(c, i), s = srcAt(c, i);
    const imm = <i64>immAt(c, i);
    if (op == 0xbf && load<i16>(c.insns + (<usize>i << 3) + 2) == 0) {
      unchecked(sums[d] = sums[s]);
      unchecked(consts[d] = consts[s]);
    } else if (op == 0x0f) {
      const a = unchecked(sums[d]), b = unchecked(sums[s]);
      if (a < 0 || b < 0 || (a & b) != 0) unchecked(sums[d] = -1);
      else {
        unchecked(sums[d] = a | b);
        unchecked(consts[d] += consts[s]);
      }
    } else if (op == 0xb7 || op == 0xb4) {
      unchecked(sums[d] = 0);
      unchecked(consts[d] = op == 0xb4 ? <i64><u32>immAt(c, i) : imm);
    } else if (op == 0x18) {
      unchecked(sums[d] = 0);
      unchecked(consts[d] = <i64>(<u32>immAt(c, i)) | <i64>immAt(c, i + 1) << 32);
      i++;
    } else if (op == 0x07 || op == 0x17) {
      unchecked(consts[d] += op == 0x07 ? imm : -imm);
    } else if (cls == CLS_ALU || cls == CLS_ALU64 || cls == CLS_LDX || cls == CLS_LD) {
      unchecked(sums[d] = -1);
    }
  }
}
