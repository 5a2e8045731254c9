// Counted loops, for loop versioning (translate.ts: versioned) where hoist.ts's simpler shape does not fit, or
// holds fewer of the loop's accesses (nests.ts: planAt): the loop's blocks form a single path from its header back
// to it, with exit tests along it (one of them counts the trips; the others, like a search's "found", can only leave
// earlier), or several paths (see PATHS).
// This is what clang makes of `for (i = 0; i + 8 <= n; i += 8)`: the counter kept twice (i, and i + 8 for the
// next trip), the exit test on a value derived from one of them by an add (`jgt i + 16, n`), the jump back an
// unconditional `ja` after it. This file finds such loops and describes them; it emits nothing.
// PATHS: a body with branches (`if (f[i].proto == 6) ... else ...`, the ways joining again or each jumping back) is
// taken as well when it has no inner loop. Its blocks are evaluated in reverse postorder, each starting from what
// all its ways in from the loop agree on (a register they disagree on is no sum), the trip's end likewise over the
// jumps back. The counting exit test must lie on every way back to the header (else a trip could skip it and go on
// past its bound); an access in a block that every way reaches through that test runs in one trip fewer, as one
// after the test on a single path does. An access on one branch only is tested over all the trips: a range wider
// than it reads, which can only send the loop to its checked copy. A trip's instructions then depend on its way:
// LoopPlan.path is the longest (cfg.ts: tripRests), which the copy without checks counts at the header and gives back on
// the edges of the shorter ways (translate.ts: leaveTrip).
// SLOTS: an access's base may also be a frame slot's value plus such a sum (clang spills base64's input pointer and
// reloads it in every trip): a 64-bit load through r10 of 8 bytes the loop does not write (no store in the loop but
// through r10 with a constant offset elsewhere in the frame) is the same value in every trip; the test before the
// loop reads the slot for the access's range (LoopPlan.accSlot). Such a value is no invariant register or family
// member (an exit test or a member's step cannot use it), and it takes one add of registers (another add, or the
// slot added to itself, makes no sum).
//
// The path is evaluated once, symbolically, in terms of the registers' values at the header of the current trip:
// a register is a sum of loop-invariant registers, at most one register the loop writes, and a constant. An
// induction family is the set of written registers that the exit test and the accesses read, each ending a trip
// as another member plus a constant, all of them leading to one member p that ends as p + step. Then each member r
// holds p + delta_r at every header, provided it does on entry: the test before the loop checks those relations
// (translate.ts), so nothing here assumes how the registers were initialised. An access may also go through a
// register that ends a trip as itself plus a register the loop does not write (a matrix column's pointer, `p += n`):
// a family of its own, its span K times that register's value on entry (below 2^31, tested). The exit test compares
// A_k = p_k + c with an invariant bound B; "continue while A_k < B (<=, >, >=, !=)", signed or unsigned, counting
// up (lt, le, ne) or down (gt, ge, ne). The trip where the loop leaves, K, follows on entry, and with it the range
// p spans: accesses before the exit test run in trips 0 to K, those after it in trips 0 to K - 1. B may be a value
// the loop reloads from the frame in every trip (clang spills the bound of xxhash32's stripe loop) when nothing in
// the loop can write those bytes: no store but through r10 with a constant offset elsewhere in the frame.
// SUMMED: the exit test's side of the family may also add one register the loop does not write (rle's inner loop,
// `while (j < len && ...)` with j = i + k: `jge i + k, len`, i fixed in the loop, k counting): A = p + R + c is then
// a value the test before the loop computes from p and R on entry (translate.ts: countedTrips), as it would with
// R = 0: the values A takes, A + k * step mod 2^64, are all the test compares, and with A and B in [0, 2^32) none of
// them wraps. Not in a JMP32 test (NARROW widens the family's own values only).
// CONVERGING: the bound may move too (`while (i < j) { ...; i++; j--; }`, reversing in place): the test compares two
// written registers of two families, A = p + c against B = q + d, p and q roots with constant steps s and u. Then
// A_k `cont` B_k is A + k * (s - u) `cont` B while nothing wraps: the test before the loop (translate.ts:
// countedTrips) computes K from A and B on entry as for a fixed bound with step s - u, and for an unsigned test
// also checks that a side stepping down stays at or above 0 by trip K (each side moves one way). Accesses through
// either family then span K steps of their own root. 64-bit tests only, neither side adding an invariant register.
// NARROW: a 32-bit counter (`unsigned int i`: add32, mov32 of a register, a JMP32 exit test) is the 64-bit one
// while its values stay in [0, 2^32). An add32 of a constant or a mov32 of a register whose value is a written
// register w at the header plus a constant c is taken as the 64-bit one; w is noted, and c and the result's
// constant widen w's own [lo_w, hi_w]; so are the compared value of a JMP32 exit test. A value that matters (the exit
// test's, an access's, what a member ends a trip as) derives from the test's family, or another one: when each noted
// w is in the test's family or none (a running sum: what it holds matters to no plan, and its constants widen
// nothing), the test before the loop (translate.ts: narrowTrips) keeps the root's values over trips 0 to K plus
// delta_w + lo_w to delta_w + hi_w, for every such w, in [0, 2^32) (with a signed test, its bound too, in
// [0, 2^31)), so that nothing wraps and the trips are the 64-bit ones; a noted w in another family: the loop is not
// planned.
import { CLS_LD, CLS_LDX, CLS_ST, CLS_STX, CLS_JMP, CLS_JMP32, MODE_ATOMIC, STACK_SIZE } from "../isa";
import { Cfg, opAt, immAt, insnLen, inLoop, tripRests, END_COND, END_EXIT } from "./cfg";
import { LoopPlan, written, sumStep, POST, SUM_SLOT, MAX_LOOP_INSNS } from "./hoist";

// What the exit test needs to continue (LoopPlan.cont)
export const CONT_LT: i32 = 1;
export const CONT_LE: i32 = 2;
export const CONT_GT: i32 = 3;
export const CONT_GE: i32 = 4;
export const CONT_NE: i32 = 5;

const MAX_BLOCKS: i32 = 16;
const NO_SLOT: i32 = 1;
/** In a sum: the value of the frame slot Syms.slot names (see SLOTS); the sign bit, so no other use takes it. */
const SLOT_SYM: i32 = 1 << 31;

/** An exit test: on while a + ac `cont` b + bc (b -1: bc alone; slot: a frame slot + bc), in block `block`. */
class Test {
  narrow: bool = false; // JMP32
  a: i32 = -1;
  bf: i32 = -1; // b's side is this written register plus bc instead (see CONVERGING), else -1
  ar: i32 = -1; // an invariant register a's side adds (see SUMMED), else -1
  ac: i64 = 0;
  b: i32 = -1;
  bc: i64 = 0;
  slot: i32 = NO_SLOT;
  cont: i32 = 0;
  signed: bool = false;
  block: i32 = 0;
}

/**
 * A register's value as the header's values (hoist.ts sumStep): a sum of invariant registers (bit r) and of written
 * ones (bit 11 + r; a sum of two of them is no use: invOf and famOf below), -1 when none, and a constant.
 */
class Syms {
  /** A value loaded from the frame at this offset from r10 that the loop does not write (NO_SLOT: none). */
  slot: StaticArray<i32> = new StaticArray<i32>(16);
  sum: StaticArray<i32> = new StaticArray<i32>(16);
  c: StaticArray<i64> = new StaticArray<i64>(16);

  copy(): Syms {
    const t = new Syms();
    t.meet(this, true);
    return t;
  }

  /** Takes o's values (all), or what o agrees with (where two ways join: a register they disagree on is no sum). */
  meet(o: Syms, all: bool): void {
    for (let r = 0; r <= 10; r++) {
      const same = all || this.slot[r] == o.slot[r] && this.sum[r] == o.sum[r] && this.c[r] == o.c[r];
      this.slot[r] = same ? o.slot[r] : NO_SLOT; this.sum[r] = same ? o.sum[r] : -1; this.c[r] = same ? o.c[r] : 0;
    }
  }
}

/** The invariant registers of a sum, -1 when it is none or sums more than one written register. */
function invOf(sum: i32): i32 { return sum < 0 || popcnt<i32>(sum >> 11) > 1 ? -1 : sum & 0x7ff; }

/** The written register of a sum, -1 when it has none (or is no sum of at most one). */
function famOf(sum: i32): i32 { return sum >> 11 == 0 || invOf(sum) < 0 ? -1 : ctz<i32>(sum >> 11); }

/** The plan for the loop headed by `h` (see PATHS), or null when it is not one or no access can be hoisted. */
export function planCounted(code: usize, g: Cfg, h: i32): LoopPlan | null {
  const lo = g.loopOf, lp = g.loopParent;
  if (g.loopSize[h] > MAX_BLOCKS) return null;
  // The blocks (see PATHS), in reverse postorder: the loop's own, no inner loop; branches inside it join again.
  const path = new StaticArray<i32>(MAX_BLOCKS);
  let blocks = 0, exits = 0, mask = 0, insns = 0, packet = false, wild = false, branches = false;
  let frame: u64 = 0; // granules of the frame written in the loop
  for (let x = h; x < g.n && blocks < g.loopSize[h]; x++) {
    if (lo[x] != h) continue;
    path[blocks++] = x;
    for (let pc = g.start[x]; pc <= g.last[x]; pc += insnLen(code, pc)) {
      const w = written(code, pc);
      if (w < 0 || ++insns > MAX_LOOP_INSNS) return null;
      const op = opAt(code, pc);
      if ((op & 7) == CLS_LD && op != 0x18) packet = true;
      if ((op & 7) == CLS_ST || (op & 7) == CLS_STX) { // which 8-byte granules of the frame the loop may write
        const regs = <i32>load<u8>(code + (<usize>pc << 3), 1);
        const off = <i32>load<i16>(code + (<usize>pc << 3), 2);
        const size = 1 << ((0x3012 >> (((op >> 3) & 3) << 2)) & 0xf);
        if ((regs & 0xf) != 10 || (op & 0xe0) == MODE_ATOMIC || off < -STACK_SIZE || off + size > 0) wild = true;
        else for (let q = (off + STACK_SIZE) >> 3; q <= (off + STACK_SIZE + size - 1) >> 3; q++) frame |= <u64>1 << <u64>q;
      }
      mask |= w;
    }
    if (g.kind[x] == END_EXIT) return null;
    if (g.kind[x] == END_COND) {
      const in0 = inLoop(lo, lp, h, g.succ0[x]), in1 = inLoop(lo, lp, h, g.succ1[x]);
      if (in0 && in1) branches = true;
      else exits++;
    }
  }
  if (blocks != g.loopSize[h] || exits == 0) return null;

  // Each block's registers on entry: what all its ways in from the loop agree on (the header's: the trip's start)
  const into = new StaticArray<Syms | null>(MAX_BLOCKS);
  const back = new Syms(); // at the jumps back to the header, merged alike
  let backs = 0;
  let s = new Syms();
  for (let r = 0; r <= 10; r++) {
    const wr = (mask & (1 << r)) != 0;
    s.sum[r] = wr ? 1 << (11 + r) : 1 << r;
    s.c[r] = 0;
    s.slot[r] = NO_SLOT;
  }
  into[0] = s;
  const plan = new LoopPlan();
  let narrow = 0; // see NARROW
  const narrowLo = new StaticArray<i64>(11), narrowHi = new StaticArray<i64>(11); // per noted register w
  for (let r = 0; r <= 10; r++) { narrowLo[r] = i64.MAX_VALUE; narrowHi[r] = i64.MIN_VALUE; }
  const accFam = new StaticArray<i32>(MAX_LOOP_INSNS);
  const accBlock = new StaticArray<i32>(MAX_LOOP_INSNS);
  const accSlot = new StaticArray<i32>(MAX_LOOP_INSNS);
  // The exit tests that compare the family with an invariant bound: each one bounds the trips (another exit only
  // leaves earlier), the first whose family fits is taken.
  const cand = new Array<Test>();
  for (let k = 0; k < blocks; k++) {
    const y = path[k];
    s = (<Syms>unchecked(into[k])).copy(); // (set: an earlier block leads here)
    for (let pc = g.start[y]; pc <= g.last[y]; pc += insnLen(code, pc)) {
      const p = code + (<usize>pc << 3);
      const op = <u32>load<u8>(p);
      const dst = <i32>(load<u8>(p, 1) & 0xf), src = <i32>(load<u8>(p, 1) >> 4);
      const off = <i32>load<i16>(p, 2), imm = <i64>load<i32>(p, 4);
      const cls = op & 7;
      if (g.kind[y] == END_COND && pc == g.last[y]) {
        // "continue while a OP b", a from the family, b invariant (swapped when written b OP a); not a branch
        const taken = inLoop(lo, lp, h, g.succ0[y]);
        if (taken && inLoop(lo, lp, h, g.succ1[y])) continue;
        let c = contOf(op & 0xf0, taken);
        if (cls != CLS_JMP && cls != CLS_JMP32 || c == 0) continue;
        const jop = op & 0xf0;
        const isX = (op & 8) != 0;
        const signed = jop == 0x60 || jop == 0x70 || jop == 0xc0 || jop == 0xd0;
        // (a JMP32 test compares the low words: an unsigned one an immediate's as an unsigned value)
        let ac = s.c[dst], bc = isX ? s.c[src] : cls == CLS_JMP32 && !signed ? imm & 0xffffffff : imm;
        let aFam = famOf(s.sum[dst]), aInv = invOf(s.sum[dst]);
        let bFam = isX ? famOf(s.sum[src]) : -1, bInv = isX ? invOf(s.sum[src]) : 0;
        let bSlot = isX ? s.slot[src] : NO_SLOT;
        if (aFam < 0 && bFam >= 0) { // the family on the right: swap the sides
          aFam = bFam; aInv = bInv; ac = bc;
          bFam = -1; bInv = invOf(s.sum[dst]); bc = s.c[dst]; bSlot = s.slot[dst];
          c = c == CONT_LT ? CONT_GT : c == CONT_LE ? CONT_GE : c == CONT_GT ? CONT_LT : c == CONT_GE ? CONT_LE : c;
        }
        // (a's side may add one invariant register, not in a JMP32 test: see SUMMED)
        if (aFam < 0 || aInv < 0 || popcnt<i32>(aInv) > (cls == CLS_JMP ? 1 : 0)) continue;
        const t = new Test();
        if (bFam >= 0) { // see CONVERGING: written registers alone on both sides, 64-bit
          if (aInv != 0 || bInv != 0 || cls != CLS_JMP || bSlot != NO_SLOT) continue;
          t.bf = bFam; bInv = 0;
        }
        if (bInv < 0 || popcnt<i32>(bInv) > 1) continue;
        t.a = aFam; t.ac = ac;
        t.ar = aInv == 0 ? -1 : ctz<i32>(aInv);
        t.b = bInv == 0 ? -1 : ctz<i32>(bInv); t.bc = bc; t.slot = bSlot;
        if (t.slot != NO_SLOT && t.b >= 0) continue;
        if (t.b < 0 && t.bf < 0 && t.slot == NO_SLOT && (t.bc < 0 || t.bc > 0xffffffff)) continue;
        t.cont = c;
        t.signed = signed;
        t.narrow = cls == CLS_JMP32;
        t.block = k;
        cand.push(t);
        continue;
      }
      const base = cls == CLS_LDX ? src : dst;
      const size = 1 << ((0x3012 >> (((op >> 3) & 3) << 2)) & 0xf); // W, H, B, DW: 4, 2, 1, 8
      const access = cls == CLS_LDX || (cls == CLS_ST || cls == CLS_STX) && (op & 0xe0) != MODE_ATOMIC;
      const slotted = s.slot[base] != NO_SLOT, sum = s.sum[base] & ~SLOT_SYM; // see SLOTS
      const inv = invOf(sum);
      if (access && inv >= 0 && plan.count < MAX_LOOP_INSNS
        && !(s.sum[base] == 1 << 10 && s.c[base] == 0 && off >= -STACK_SIZE && off + size <= 0)) {
        accFam[plan.count] = famOf(sum);
        accBlock[plan.count] = k;
        accSlot[plan.count] = s.slot[base];
        plan.accesses[plan.count] = <i64>pc | <i64>size << 32 | <i64>(cls != CLS_LDX ? 1 : 0) << 40
          | <i64>(inv | (slotted ? SUM_SLOT : 0)) << 41;
        plan.consts[plan.count++] = s.c[base] + <i64>off;
      }
      const w = written(code, pc);
      if (w == 0) continue;
      const slot = s.slot[dst];
      for (let r = 0; r <= 10; r++) if ((w & (1 << r)) != 0) s.slot[r] = NO_SLOT;
      const x = op == 0x04 ? dst : src, f = famOf(s.sum[x]);
      if ((op == 0x04 || op == 0xbc && off == 0) && f >= 0 && invOf(s.sum[x]) == 0) { // see NARROW
        narrow |= 1 << f;
        noteNarrow(narrowLo, narrowHi, f, s.c[x]);
        s.sum[dst] = s.sum[x];
        s.c[dst] = s.c[x] + (op == 0x04 ? imm : 0);
        noteNarrow(narrowLo, narrowHi, f, s.c[dst]);
        continue;
      }
      if (op == 0x79 && src == 10 && !wild && off >= -STACK_SIZE && off + 8 <= 0
        && (frame >> <u64>((off + STACK_SIZE) >> 3) & 1) == 0 && (frame >> <u64>((off + STACK_SIZE + 7) >> 3) & 1) == 0) {
        // a 64-bit load of a frame slot the loop does not write: the same value in every trip
        s.sum[dst] = 0; s.c[dst] = 0; s.slot[dst] = off;
        continue;
      }
      if (op == 0x18) { s.sum[dst] = 0; s.c[dst] = <i64>load<u32>(p, 4) | <i64>load<u32>(p, 12) << 32; continue; }
      if (op == 0x0f && (slot != NO_SLOT || s.slot[src] != NO_SLOT)) { // see SLOTS: one slot, one add
        const a = s.sum[dst], x = s.sum[src];
        if (dst == src || slot != NO_SLOT && s.slot[src] != NO_SLOT || a < 0 || x < 0) s.sum[dst] = -1;
        else {
          s.sum[dst] = a | x | SLOT_SYM;
          s.c[dst] += s.c[src];
          s.slot[dst] = slot != NO_SLOT ? slot : s.slot[src];
        }
      } else sumStep(code, pc, s.sum, s.c);
      if ((op == 0x07 || op == 0x17) && slot != NO_SLOT) s.slot[dst] = slot; // the sum stays the slot plus c
      if (op == 0xbf && off == 0) s.slot[dst] = s.slot[src];
    }
    for (let e = 0; e < 2; e++) { // what y ends with, into its successors in the loop
      const z = e == 0 ? g.succ0[y] : g.kind[y] == END_COND ? g.succ1[y] : -1;
      if (z < 0 || !inLoop(lo, lp, h, z)) continue;
      if (z == h) { back.meet(s, backs++ == 0); continue; }
      let j = k + 1;
      while (path[j] != z) j++;
      const was = unchecked(into[j]);
      if (was == null) into[j] = s.copy(); else was.meet(s, false);
    }
  }
  s = back; // the values each trip ends with
  // The families: the test's register, closed over what each member ends a trip as, must reach a root (the loop's
  // induction register); an access may go through another family, with its own root and step.
  const delta = new StaticArray<i64>(11);
  const rootOf = new StaticArray<i32>(11);
  const stepReg = new StaticArray<i32>(11);
  let test: Test | null = null;
  let past = 0;
  for (let i = 0; i < cand.length && test == null; i++) {
    const t = cand[i];
    past = pastTest(g, h, path, blocks, t.block);
    if (past & 1) continue; // a trip can go round without the test
    for (let r = 0; r <= 10; r++) { rootOf[r] = -1; stepReg[r] = -1; }
    if (!join(s, t.a, delta, rootOf, stepReg) || stepReg[rootOf[t.a]] >= 0) continue; // the trips need a constant step
    let step = s.c[rootOf[t.a]];
    if (t.bf >= 0) { // see CONVERGING: the bound's family, another root with a constant step
      if (!join(s, t.bf, delta, rootOf, stepReg) || stepReg[rootOf[t.bf]] >= 0 || rootOf[t.bf] == rootOf[t.a]) continue;
      step -= s.c[rootOf[t.bf]];
      if (step == 0 || step >= 0x80000000 || step <= -0x80000000) continue;
    }
    // counting up needs lt, le or ne; down gt, ge or ne
    if (step > 0 ? t.cont == CONT_GT || t.cont == CONT_GE : t.cont == CONT_LT || t.cont == CONT_LE) continue;
    test = t;
  }
  if (test == null) return null;
  const root = rootOf[test.a];
  const step = s.c[root];
  const boundRoot = test.bf >= 0 ? rootOf[test.bf] : -1;
  if (test.narrow) {
    narrow |= 1 << test.a;
    noteNarrow(narrowLo, narrowHi, test.a, test.ac);
  }
  // The accesses through the family, moved onto the root (bit 11 of the sum, with its delta in the constant);
  // an access through a written register that joins no family stays checked
  let kept = 0;
  for (let i = 0; i < plan.count; i++) {
    const f = accFam[i];
    let a = plan.accesses[i] | (past >> accBlock[i] & 1 ? POST : 0);
    plan.accStepReg[kept] = -1;
    plan.accSlot[kept] = accSlot[i];
    if (f >= 0) {
      if (!join(s, f, delta, rootOf, stepReg)) continue;
      a |= <i64>(1 << 11) << 41;
      plan.consts[i] += delta[f];
      plan.accRoot[kept] = rootOf[f];
      plan.accStep[kept] = s.c[rootOf[f]];
      plan.accStepReg[kept] = stepReg[rootOf[f]];
    }
    plan.accesses[kept] = a;
    plan.consts[kept++] = plan.consts[i];
  }
  for (let r = 0; r <= 10; r++) {
    if (rootOf[r] < 0 || rootOf[r] == r) continue;
    plan.famRegs[plan.famCount] = r;
    plan.famRoots[plan.famCount] = rootOf[r];
    plan.famDelta[plan.famCount++] = delta[r];
  }
  for (let r = 0; r <= 10; r++) { // see NARROW: each noted register's constants, with its delta
    if ((narrow >> r & 1) == 0 || rootOf[r] < 0) continue; // in no family: what it holds matters to no plan
    if (rootOf[r] != root || boundRoot >= 0) return null;
    plan.narrowLo = min(plan.narrowLo, delta[r] + narrowLo[r]);
    plan.narrowHi = max(plan.narrowHi, delta[r] + narrowHi[r]);
  }
  plan.count = kept;
  // one path, its only exit the counting test: its trips are known on entry, and its budget can be counted there
  // even when it has no access to hoist (a bit loop: its count at every trip costs as much as its work)
  const single = exits == 1 && !branches && !packet;
  if (kept == 0 && !single) return null;
  plan.counted = true;
  plan.iv = root;
  plan.stepImm = step;
  plan.boundReg = boundRoot >= 0 ? boundRoot : test.b;
  plan.boundImm = boundRoot >= 0 ? delta[test.bf] + test.bc : test.bc;
  plan.boundStep = boundRoot >= 0 ? s.c[boundRoot] : 0;
  plan.boundSlot = test.slot;
  plan.testConst = delta[test.a] + test.ac;
  plan.testReg = test.ar;
  plan.cont = test.cont;
  plan.signed = test.signed;
  // K + 1 trips reach the test and K go on past it: (K + 1) * insns less the instructions after the test
  if (single) { plan.len = insns; plan.lenTail = pastTestInsns(code, g, path, blocks); }
  if (!packet) plan.path = branches ? tripRests(code, g, h)[h] : insns;
  plan.ways = branches;
  plan.early = exits > 1;
  return plan;
}

/** Of a loop of one path (no branch) with one exit test: the instructions after that test, to the jump back. */
function pastTestInsns(code: usize, g: Cfg, path: StaticArray<i32>, blocks: i32): i32 {
  let n = 0;
  for (let k = blocks - 1; k >= 0 && g.kind[path[k]] != END_COND; k--) {
    for (let pc = g.start[path[k]]; pc <= g.last[path[k]]; pc += insnLen(code, pc)) n++;
  }
  return n;
}

/**
 * Which blocks of the loop every way from the header reaches through its block `tb` (its exit test), bit k for
 * block k: an access there runs in one trip less than the test; 1 (the header) when a way back skips tb. Blocks
 * come in reverse postorder, the loop has no inner loop: its only jumps back are to h.
 */
function pastTest(g: Cfg, h: i32, path: StaticArray<i32>, blocks: i32, tb: i32): i32 {
  const lo = g.loopOf, lp = g.loopParent;
  let before = 1; // bit k: some way from the header reaches block k without tb
  for (let k = 0; k < blocks; k++) {
    const y = path[k];
    if ((before >> k & 1) == 0 || k == tb) continue;
    for (let e = 0; e < 2; e++) {
      const z = e == 0 ? g.succ0[y] : g.kind[y] == END_COND ? g.succ1[y] : -1;
      if (z < 0 || !inLoop(lo, lp, h, z)) continue;
      if (z == h) return 1;
      let j = k + 1;
      while (path[j] != z) j++;
      before |= 1 << j;
    }
  }
  return ~before;
}

/**
 * Adds r to a family when its chain of "ends a trip as member q plus c" reaches a member or a root (a register that
 * ends a trip as itself plus a step, 0 < |step| < 2^31): each then holds its root + delta_r at every header, with
 * delta_r = delta_q + c - step. False (nothing added) when the chain leads elsewhere.
 * r may also be a root of its own that ends a trip as itself plus a register the loop does not write (stepReg[r]:
 * a column's pointer in a matrix product, `p += n`); no other member joins it (its delta would not be a constant).
 */
function join(s: Syms, r: i32, delta: StaticArray<i64>, rootOf: StaticArray<i32>, stepReg: StaticArray<i32>): bool {
  const chain = new StaticArray<i32>(12);
  let n = 0, q = r;
  while (rootOf[q] < 0) {
    const f = famOf(s.sum[q]), inv = invOf(s.sum[q]);
    if (n == 0 && f == q && inv > 0 && popcnt<i32>(inv) == 1 && s.c[q] == 0) {
      rootOf[q] = q;
      delta[q] = 0;
      stepReg[q] = ctz<i32>(inv);
      return true;
    }
    if (n == 11 || inv != 0 || f < 0) return false;
    if (f == q) { // a new root
      const step = s.c[q];
      if (step == 0 || step >= 0x80000000 || step <= -0x80000000) return false;
      rootOf[q] = q;
      delta[q] = 0;
      break;
    }
    chain[n++] = q;
    q = f;
  }
  if (n > 0 && stepReg[rootOf[q]] >= 0) return false;
  for (let i = n - 1; i >= 0; i--) {
    const m = chain[i];
    const f = famOf(s.sum[m]);
    rootOf[m] = rootOf[f];
    delta[m] = delta[f] + s.c[m] - s.c[rootOf[m]];
  }
  return true;
}

/** Widens noted register w's lo[w]..hi[w] to c (see NARROW: w's delta is added last). */
function noteNarrow(lo: StaticArray<i64>, hi: StaticArray<i64>, w: i32, c: i64): void {
  lo[w] = min(lo[w], c);
  hi[w] = max(hi[w], c);
}

/** The condition to continue for jump operation `jop` (taken: the jump stays in the loop), 0 for none. */
export function contOf(jop: u32, taken: bool): i32 {
  let lt = 0, le = 0, gt = 0, ge = 0; // jump when less, ...
  if (jop == 0xa0 || jop == 0xc0) lt = 1;
  else if (jop == 0xb0 || jop == 0xd0) le = 1;
  else if (jop == 0x20 || jop == 0x60) gt = 1;
  else if (jop == 0x30 || jop == 0x70) ge = 1;
  else if (jop == 0x50) return taken ? CONT_NE : 0; // jne back: continue while !=
  else if (jop == 0x10) return taken ? 0 : CONT_NE; // jeq out: continue while !=
  else return 0;
  if (taken) return lt ? CONT_LT : le ? CONT_LE : gt ? CONT_GT : CONT_GE;
  return lt ? CONT_GE : le ? CONT_GT : gt ? CONT_LE : CONT_LT; // the negation
}
