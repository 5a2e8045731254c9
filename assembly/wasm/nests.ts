// A loop around one counted inner loop, versioned for the inner loop's accesses (translate.ts: versioned): one
// test before the outer loop proves them over all the trips of both, instead of a test on every entry of the inner
// loop (a byte search: one per haystack position, each too short to pay for itself). This file finds such nests
// and lifts the inner loop's accesses into the outer loop's plan; it emits nothing.
//
// The outer loop h (no calls, exits or packet loads) has one latch L, whose other way leads out of the loop; L ends
// in an unsigned 64-bit test that continues while A < B or A <= B (or A != B with step 1: clang's `for (q = p - W;
// q < p; q++)` where it knows q starts below p; then iv0 <= E is tested too, else iv would wrap around), B a
// constant or a register h does not write,
// and A = iv + R + c: iv written in h only in L, which leaves it iv + step (0 < step < 2^31), R a register h does
// not write or none. This is clang's rotated `for (i = 0; i + n <= len; i++)`, entered in its middle, as well as a
// plain counted loop. With iv0, B and R below 2^32 (tested), A does not wrap, and every value iv has at h after the
// first passed the test: iv stays in [iv0, max(iv0, E)], E = B - R - c (- 1 for <).
// The inner loop q (hoist.ts planLoop: `jlt qiv, qB` with a constant step; qB a constant or a register h does not
// write) is the only loop in h, entered only from one block P of h, at whose end qiv is a constant c0 (0 <= c0 <
// 2^31 - 1) and every register of q's access sums that h writes is a sum of registers h does not write, iv (at P's
// start iv has its value at h: only L writes it, and L leads back to h alone) and a constant. qiv stays in
// [c0, c0 + Dq], Dq = max(0, qB - 1 - c0). A lifted access then reaches [lo, lo + span + size), lo its address with
// iv = iv0 and qiv = c0, span Dk (when it sums iv) + Dq (when it sums qiv: NEST_QIV).
// SEARCH: where hoist.ts finds no iv, q may be a loop of counted.ts with early exits (a compressor's match search,
// `while (l < N && a[q + l] == a[p + l]) l++`): its test, qiv + t `cont` qB with qB a constant, counting up by a
// constant step, is known on entry from c0, and so is the trip K where it leaves (counted.ts: every other exit
// leaves earlier): qiv stays in [c0, c0 + K * step] (an access after the test runs one trip less: the range is
// wider than it reads, which can only send the nest to its checked copy). The family's other members and the
// 32-bit operations on it (counted.ts: NARROW) are checked here against c0 and that range, as its own test on
// entry would; an access through another family or a frame slot leaves the nest unplanned.
import { CLS_LD, CLS_JMP } from "../isa";
import { Cfg, opAt, insnLen, inLoop, END_COND, END_EXIT } from "./cfg";
import { LoopPlan, planLoop, written, sumStep, SUM_SLOT } from "./hoist";
import { planCounted, CONT_LT, CONT_LE, CONT_NE, contOf } from "./counted";
import { addFacts } from "./facts";

/** In a lifted access's register set (LoopPlan.accesses bits 41..): the inner loop's iv. */
export const NEST_QIV: u32 = 1 << 12;

/**
 * The plan for the loop headed by h, null when none: hoist.ts's, else counted.ts's, else (no plan at all) a nest's;
 * counted.ts's before hoist.ts's when it holds more of h's accesses: hoist.ts follows the latch's counter alone, and
 * a register only from the access's own block, counted.ts also another counter (hex encoding's `out[2 * i]` next to
 * `in[i]`) and an address made in an earlier block of the trip (a byte rewritten in place after a branch).
 * planLoop has this one call site, for h and then for h's inner loop: a second one would double its code.
 */
export function planAt(code: usize, g: Cfg, h: i32): LoopPlan | null {
  let q = h;
  for (let k = 0; k < 2; k++) {
    const plan = planLoop(code, g, q);
    const iv = plan != null && plan.iv >= 0;
    // (for the inner loop, counted.ts's plan only where hoist.ts has no iv: a search that can leave early)
    const one: LoopPlan | null = iv && k == 1 ? null : planCounted(code, g, q);
    const simple = iv && (one == null || one.count <= (<LoopPlan>plan).count);
    const inner: LoopPlan | null = simple ? plan : one;
    if (k == 1) { // (else the outer loop's own accesses that its compares bound: facts.ts INNER)
      const nest = inner != null ? lift(code, g, h, q, inner) : null;
      return nest != null ? nest : addFacts(code, g, h, null);
    }
    if (simple) return addFacts(code, g, h, plan);
    if (one != null || plan != null) return addFacts(code, g, h, one != null ? one : plan);
    // h's first inner loop (lift checks there is no other)
    for (q = h + 1; q < g.n && !(g.loopHeader[q] && inLoop(g.loopOf, g.loopParent, h, q)); q++);
    if (q == g.n) return addFacts(code, g, h, null);
  }
  return null;
}

/** The outer loop h's plan (LoopPlan.nest) from its inner loop q's, or null when the nest does not qualify. */
function lift(code: usize, g: Cfg, h: i32, q: i32, plan: LoopPlan): LoopPlan | null {
  const lo = g.loopOf, lp = g.loopParent;
  // h's registers written (mask), those written outside L (other), L, and P: q's one way in from outside q
  let mask = 0, other = 0, latch = -1, p = -1;
  for (let x = 0; x < g.n; x++) {
    const inH = inLoop(lo, lp, h, x);
    const s0 = g.succ0[x], s1 = g.succ1[x];
    if ((s0 == q || s1 == q) && !inLoop(lo, lp, q, x)) {
      if (p >= 0 || !inH) return null;
      p = x;
    }
    if (!inH) continue;
    if (g.kind[x] == END_EXIT || x != h && x != q && g.loopHeader[x]) return null; // q: h's one loop, without loops
    const back = s0 == h || s1 == h;
    if (back) {
      if (latch >= 0) return null;
      latch = x;
    }
    for (let pc = g.start[x]; pc <= g.last[x]; pc += insnLen(code, pc)) {
      const w = written(code, pc);
      if (w < 0 || (opAt(code, pc) & 7) == CLS_LD && opAt(code, pc) != 0x18) return null;
      mask |= w;
      if (!back) other |= w;
    }
  }
  const qiv = plan.iv, qb = plan.boundReg;
  if (p < 0 || p == latch || g.kind[latch] != END_COND || qiv < 0 || plan.stepReg >= 0 || qb >= 0 && (mask >> qb & 1) != 0
    || plan.counted && (qb >= 0 || plan.boundSlot <= 0 || plan.stepImm <= 0 || plan.testReg >= 0)) {
    return null;
  }
  // (a counted inner loop's test, before the outer one's replaces it: see SEARCH)
  const qTest = plan.testConst, qBound = plan.boundImm + (plan.cont == CONT_LE ? 1 : 0), qCont = plan.cont;
  // Registers as sums through L (symbols: bit r a register h does not write, bit 11 + r the value at L's start of
  // one it writes) to its exit test, A `cont` B; then through P (bit 11: iv)
  const sum = new StaticArray<i32>(16);
  const cst = new StaticArray<i64>(16);
  let iv = 0;
  for (let k = 0; k < 2; k++) {
    const x = k == 0 ? latch : p;
    for (let r = 0; r <= 10; r++) {
      sum[r] = (mask >> r & 1) == 0 ? 1 << r : k == 0 ? 1 << (11 + r) : r == iv ? 1 << 11 : -1;
      cst[r] = 0;
    }
    for (let pc = g.start[x]; pc <= g.last[x]; pc += insnLen(code, pc)) sumStep(code, pc, sum, cst);
    if (k == 1) break;
    const t = code + (<usize>g.last[x] << 3);
    const op = <u32>load<u8>(t), jop = op & 0xf0;
    const d = <i32>(load<u8>(t, 1) & 0xf), s = <i32>(load<u8>(t, 1) >> 4);
    const cont = contOf(jop, g.succ0[x] == h);
    const a = sum[d], ac = cst[d], reg = (op & 8) != 0;
    const b = reg ? sum[s] : 0, bc = reg ? cst[s] : <i64>load<i32>(t, 4);
    const w = a >> 11;
    iv = ctz<i32>(w) & 15;
    const step = cst[iv], c = ac - step;
    if ((op & 7) != CLS_JMP || (jop & 0x40) != 0 || cont != CONT_LT && cont != CONT_LE && (cont != CONT_NE || step != 1)
      || a < 0 || b < 0 || b >> 11 != 0
      || popcnt<i32>(w) != 1 || popcnt<i32>(a & 0x7ff) > 1 || popcnt<i32>(b) > 1 || bc != 0 && b != 0
      || (other >> iv & 1) != 0 || sum[iv] != 1 << (11 + iv) || step <= 0 || step >= 0x80000000
      || <u64>(c + 0x7fffffff) >= 0xfffffffe || <u64>bc > 0xffffffff) return null;
    plan.innerBoundReg = qb;
    plan.innerBoundImm = plan.boundImm;
    plan.iv = iv;
    plan.boundReg = b == 0 ? -1 : ctz<i32>(b);
    plan.boundImm = bc;
    plan.subReg = (a & 0x7ff) == 0 ? -1 : ctz<i32>(a);
    plan.testConst = cont == CONT_LE ? c : c + 1; // iv + R + testConst <= B
    plan.outerNe = cont == CONT_NE;
  }
  const c0 = cst[qiv];
  if (sum[qiv] != 0 || <u64>c0 >= 0x7fffffff) return null;
  if (plan.counted) { // see SEARCH
    const t = plan.stepImm, a0 = c0 + qTest;
    if (a0 < 0 || <u64>qBound >= 0x7fffffff || qCont != CONT_LT && qCont != CONT_LE && qCont != CONT_NE) return null;
    const d = qBound - a0;
    if (qCont == CONT_NE && (d < 0 || d % t != 0)) return null;
    const top = c0 + (d > 0 ? (d + t - 1) / t * t : 0); // qiv in trip K, the last
    if (plan.narrowLo <= plan.narrowHi && (c0 + plan.narrowLo < 0 || top + plan.narrowHi >= 0x7fffffff)) return null;
    for (let i = 0; i < plan.famCount; i++) {
      const m = plan.famRegs[i];
      if (plan.famRoots[i] != qiv || sum[m] != 0 || cst[m] != c0 + plan.famDelta[i]) return null;
    }
    for (let i = 0; i < plan.count; i++) {
      const moves = (plan.accesses[i] >> 52 & 1) != 0; // bit 11 of the sum
      if ((plan.accesses[i] >> 41 & SUM_SLOT) != 0 || moves && plan.accRoot[i] != qiv) return null;
    }
    plan.innerBoundReg = -1;
    plan.innerBoundImm = top + 1;
    plan.counted = false;
    plan.famCount = 0;
  }
  for (let i = 0; i < plan.count; i++) {
    const a = plan.accesses[i];
    const regs = <i32>(a >> 41) & 0xfff;
    let out = 0;
    let k = plan.consts[i];
    for (let r = 0; r <= 10; r++) {
      if ((regs >> r & 1) == 0) continue;
      if ((out & sum[r]) != 0 || sum[r] < 0) return null;
      out |= sum[r];
      k += cst[r];
    }
    if ((regs & (1 << 11)) != 0) { out |= NEST_QIV; k += c0; }
    plan.accesses[i] = (a & 0x1ffffffffff) | <i64>out << 41;
    plan.consts[i] = k;
  }
  plan.nest = true;
  plan.innerStart = c0;
  plan.early = false;
  plan.len = 0;
  plan.path = 0; // (the inner loop's: the outer trips are another matter)
  plan.ways = false;
  return plan;
}
