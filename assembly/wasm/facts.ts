// Accesses of a loop bounded by the loop's own compares (nests.ts: planAt adds them to the loop's plan, or makes
// one): a state machine over a buffer (`if (i < len) ... data[i]` on each of its paths), a selection sort's
// `a[m]` (m only ever an earlier j, each tested below n). No counted plan takes them: no register counts the trips
// alone, or the address is a join of values. This file finds them and describes them; it emits nothing.
//
// A forward pass over the loop's blocks (no inner loop, no call), in reverse postorder, each block from the join
// of its ways in, keeps per register either nothing or a value T + X: T a sum of registers the loop does not write
// (r10 among them), X an integer in [lo, (B << s) + hi], B such a register (its value below 2^32, tested on entry)
// or none (X in [lo, hi]; lo == hi: a constant). |lo|, |hi| < 2^40 and s <= 8 keep every value far from 2^63:
// the sums and shifts below are those of the integers, never wrapped. The values come from constants, adds and
// left shifts of them, zero-extending loads, `and` with a constant >= 0, unsigned remainders and right shifts, any
// 32-bit operation (its result is below 2^32), and from unsigned 64-bit compares: on the edge where `x < y` (or
// `x <= y`) holds, x is in [0, y - 1] ([0, y]) when y is a constant, a register the loop does not write plus a
// constant, or a value of bound B. A join keeps a register's value when its ways agree on T and on B (or only one
// has a B: B << s >= 0), with the union of the intervals.
//
// A register the loop writes has, at the header, the join of its value on entry and of the values its jumps back
// carry. It is assumed on entry to hold what its jumps back carry, and the pass is run again with that until the
// values at the header hold what comes back (an interval still growing after a few passes is dropped: nothing
// assumed). The test on entry checks each assumption (translate.ts: factChecks); only those that bound some access
// are kept (without one, fewer accesses are bounded), so a register the loop overwrites before reading it is not
// tested. An access whose base is such a value reaches [T + lo + off, T + (B << s) + hi + off + size): the test
// allows that range once, and the copy without checks runs it.
//
// COPIES: clang often copies the compared value before the compare (`r4 = r6; if r6 < r2 goto`): a register that
// the block last set by a 64-bit mov from the compared one, neither written again before the jump, holds the same
// value there and takes the same bound.
// INNER: the loop may hold inner loops (its own accesses around them: a decoder's `data[i]` per character, a search
// per character inside). At an inner loop's header, each register the inner loop writes is unknown (nothing is
// assumed of it, so no pass runs to settle it); the others hold there what they held on the way in, as they do on
// the inner loop's jumps back (those registers do not change). Accesses through them, in the inner loop too, are
// bounded as anywhere else; the inner loop keeps its own plan for the rest (translate.ts: versioned, LoopPlan.inner).
// WEIGHED: versioning such a loop copies its inner loops too, and each keeps its own test on every entry in both
// copies. Where every trip enters an inner loop (an insertion sort's shift per element), the inner loop's blocks run
// at least as often as the outer loop's own, mostly far more, and the one check a trip saves weighs little against
// the inner loop's test and trips, while the copy doubles the inner loop's two copies: measured with V8, the hot
// inner loop then lost a register and the whole got slower. So the loop is versioned only when its test also
// removes a check inside an inner loop, or some way through a trip skips every inner loop (a decoder's ASCII byte:
// its own blocks may run most), or no inner loop keeps a checked access (the copy doubles plain code alone).
import { CLS_ALU, CLS_ALU64, CLS_JMP, CLS_LDX, CLS_ST, CLS_STX, MODE_ATOMIC } from "../isa";
import { Cfg, insnLen, inLoop, END_COND, END_EXIT } from "./cfg";
import { LoopPlan, written, FACT, MAX_LOOP_INSNS } from "./hoist";

const MAX_BLOCKS: i32 = 16;
const MAX_PASSES: i32 = 20;
const WIDEN_AFTER: i32 = 4; // passes before a growing interval is dropped
const LIMIT: i64 = <i64>1 << 40;
const MAX_SHIFT: i32 = 8;
const W: i32 = 3; // per register: T | (B + 1) << 11 | s << 15 (or TOP, NONE), lo, hi
const TOP: i64 = -1; // nothing known
const NONE: i64 = -2; // no value yet (a register the header's state has not taken from the jumps back yet)
const STATE: i32 = 11 * W;
const HEAD: i32 = MAX_BLOCKS, BACK: i32 = MAX_BLOCKS + 1, TMP: i32 = MAX_BLOCKS + 2;
// (made for each loop, which its plan keeps: index.ts frees the heap for each translation)
let vals = new StaticArray<i64>(0);
let reached = new StaticArray<bool>(0);
let blockOf = new StaticArray<i32>(0);
// the bounded accesses of the last pass: as LoopPlan.accesses, the value's meta, lo + off, hi + off
let found = new StaticArray<i64>(0);
let blocks = 0, mask = 0, foundCount = 0, skip: LoopPlan | null = null;
// (see WEIGHED) blocks of inner loops (bit k: block k), their accesses not through r10, those the last pass bounded
let innerBlocks = 0, innerAccesses = 0, innerFound = 0;

function ix(st: i32, r: i32): i32 { return st * STATE + r * W; }
function meta(st: i32, r: i32): i64 { return unchecked(vals[ix(st, r)]); }
function lo(st: i32, r: i32): i64 { return unchecked(vals[ix(st, r) + 1]); }
function hi(st: i32, r: i32): i64 { return unchecked(vals[ix(st, r) + 2]); }
function termsOf(m: i64): i32 { return <i32>m & 0x7ff; }
function boundOf(m: i64): i32 { return (<i32>(m >> 11) & 15) - 1; }
function shiftOf(m: i64): i32 { return <i32>(m >> 15); }

function put(st: i32, r: i32, t: i32, b: i32, s: i32, l: i64, h: i64): void {
  const i = ix(st, r);
  const ok = s <= MAX_SHIFT && l > -LIMIT && l < LIMIT && h > -LIMIT && h < LIMIT;
  unchecked(vals[i] = ok ? <i64>(t | (b + 1) << 11 | (b < 0 ? 0 : s) << 15) : -1);
  unchecked(vals[i + 1] = l);
  unchecked(vals[i + 2] = h);
}

function copyReg(to: i32, d: i32, from: i32, r: i32): void {
  for (let w = 0; w < W; w++) unchecked(vals[ix(to, d) + w] = vals[ix(from, r) + w]);
}

function copyState(to: i32, from: i32): void {
  memory.copy(changetype<usize>(vals) + (<usize>(to * STATE) << 3), changetype<usize>(vals) + (<usize>(from * STATE) << 3), <usize>STATE << 3);
}

/** Register r of state `to` joined with that of `from` (see above); whether it changed. */
function joinReg(to: i32, from: i32, r: i32): bool {
  const a = meta(to, r), m = meta(from, r);
  if (a == NONE) copyReg(to, r, from, r);
  if (a == TOP || a == NONE || m == NONE) return a == NONE && m != NONE;
  const b = boundOf(a), c = boundOf(m);
  if (m < 0 || termsOf(a) != termsOf(m) || b >= 0 && c >= 0 && (b != c || shiftOf(a) != shiftOf(m))) {
    unchecked(vals[ix(to, r)] = TOP);
    return true;
  }
  const l = min(lo(to, r), lo(from, r)), h = max(hi(to, r), hi(from, r));
  const changed = b < 0 && c >= 0 || l != lo(to, r) || h != hi(to, r);
  if (b < 0) put(to, r, termsOf(a), c, shiftOf(m), l, h); else put(to, r, termsOf(a), b, shiftOf(a), l, h);
  return changed;
}

/** Instruction pc's effect on state st (not a jump: the loop has no call). */
function step(code: usize, pc: i32, st: i32): void {
  const w = written(code, pc);
  if (w == 0) return;
  const p = code + (<usize>pc << 3);
  const op = <u32>load<u8>(p);
  const d = <i32>(load<u8>(p, 1) & 0xf), r = <i32>(load<u8>(p, 1) >> 4);
  const imm = <i64>load<i32>(p, 4);
  if (w != 1 << d) { // an atomic's or a packet load's registers
    for (let q = 0; q < 10; q++) if ((w >> q & 1) != 0) unchecked(vals[ix(st, q)] = -1);
    return;
  }
  const m = meta(st, d), t = termsOf(m), b = boundOf(m), s = shiftOf(m), l = lo(st, d), h = hi(st, d);
  const k = <i32>imm, alu = (op & 7) == CLS_ALU || (op & 7) == CLS_ALU64; // ALU, ALU64: what it reads has no value yet, nor has d
  if (alu && (m == NONE && (op & 0xf0) != 0xb0 || meta(st, r) == NONE && (op & 8) != 0)) {
    unchecked(vals[ix(st, d)] = NONE);
    return;
  }
  if (op == 0xbf && load<i16>(p, 2) == 0) copyReg(st, d, st, r);
  else if (op == 0xb7) put(st, d, 0, -1, 0, imm, imm);
  else if ((op == 0x07 || op == 0x17) && m >= 0) {
    const c = op == 0x07 ? imm : -imm;
    put(st, d, t, b, s, l + c, h + c);
  } else if (op == 0x0f && m >= 0 && meta(st, r) >= 0 && d != r) {
    const n = meta(st, r), c = boundOf(n);
    if ((t & termsOf(n)) != 0 || b >= 0 && c >= 0) unchecked(vals[ix(st, d)] = -1);
    else put(st, d, t | termsOf(n), b >= 0 ? b : c, b >= 0 ? s : shiftOf(n), l + lo(st, r), h + hi(st, r));
  } else if (op == 0x67 && m >= 0 && t == 0 && k >= 0 && k <= MAX_SHIFT) put(st, d, 0, b, s + k, l << k, h << k);
  else if (op == 0x77 && m >= 0 && t == 0 && b < 0 && l >= 0 && k >= 0 && k < 64) put(st, d, 0, -1, 0, l >> k, h >> k);
  else if ((op == 0x57 || op == 0x54) && imm >= 0) put(st, d, 0, -1, 0, 0, imm);
  else if (op == 0x71 || op == 0x69 || op == 0x61) put(st, d, 0, -1, 0, 0, op == 0x71 ? 0xff : op == 0x69 ? 0xffff : 0xffffffff);
  else if ((op & 7) == CLS_ALU && (op & 0xf0) != 0xd0) put(st, d, 0, -1, 0, 0, 0xffffffff); // (not le64, be64)
  else unchecked(vals[ix(st, d)] = -1);
}

/**
 * State st on the edge of block y's compare at pc where it holds (`taken`) or not (see above): for the compared
 * register, and for each register that block y last set as a copy of it (COPIES).
 */
function refineAll(code: usize, g: Cfg, y: i32, st: i32, taken: bool): void {
  const pc = g.last[y];
  const p = code + (<usize>pc << 3);
  const jop = load<u8>(p) & 0xf0;
  const swap = (jop == 0xa0 || jop == 0xb0) != taken;
  const x = swap ? <i32>(load<u8>(p, 1) >> 4) : <i32>(load<u8>(p, 1) & 0xf);
  refine(code, pc, st, taken, x);
  let seen = 0; // written between the instruction reached, scanning back, and the jump
  for (let q = pc - 1; q >= g.start[y]; q--) {
    const w = written(code, q);
    if (w < 0) return;
    const o = code + (<usize>q << 3);
    const d = <i32>(load<u8>(o, 1) & 0xf);
    if (load<u8>(o) == 0xbf && load<i16>(o, 2) == 0 && <i32>(load<u8>(o, 1) >> 4) == x && (seen >> d & 1) == 0) {
      refine(code, pc, st, taken, d);
    }
    if ((w >> x & 1) != 0) return;
    seen |= w;
  }
}

/** refineAll for register `to`, which holds the value of the compare's register on that side. */
function refine(code: usize, pc: i32, st: i32, taken: bool, to: i32): void {
  const p = code + (<usize>pc << 3);
  const op = <u32>load<u8>(p), jop = op & 0xf0;
  const d = <i32>(load<u8>(p, 1) & 0xf), r = <i32>(load<u8>(p, 1) >> 4);
  if ((op & 7) != CLS_JMP || jop != 0xa0 && jop != 0xb0 && jop != 0x20 && jop != 0x30) return;
  const reg = (op & 8) != 0;
  const swap = (jop == 0xa0 || jop == 0xb0) != taken; // x < y: x the right side
  const strict: i64 = (jop == 0xa0 || jop == 0x20) == taken ? 1 : 0;
  if (swap && !reg) return;
  const x = to, y = swap ? d : r;
  let b = -1, s = 0, h = <i64>load<i32>(p, 4);
  if (swap || reg) { // y's value: of bound B, B plus a constant, or a constant
    const n = meta(st, y), t = termsOf(n);
    // (below 0, y may be 2^64 - 1 unsigned: no bound)
    if (n < 0 || lo(st, y) < 0 || t != 0 && (popcnt<i32>(t) != 1 || boundOf(n) >= 0 || t == 1 << 10)) return;
    b = t != 0 ? ctz<i32>(t) : boundOf(n); s = t != 0 ? 0 : shiftOf(n); h = hi(st, y);
  } else if (h < 0) return; // a constant of 2^63 or more: no bound
  const m = meta(st, x);
  const c = m >= 0 && termsOf(m) == 0 && boundOf(m) < 0 && lo(st, x) >= 0; // x already in a constant interval
  if (c && b >= 0) return;
  put(st, x, 0, b, s, c ? lo(st, x) : 0, c ? min(hi(st, x), h - strict) : h - strict);
}

/** One pass from the header's state: each block's, the state back at the header; the bounded accesses. */
function pass(code: usize, g: Cfg, h: i32): void {
  foundCount = 0;
  innerFound = 0;
  for (let k = 0; k < blocks; k++) reached[k] = false;
  reached[0] = true;
  copyState(0, HEAD);
  let back = false;
  for (let k = 0; k < blocks; k++) {
    if (!reached[k]) continue;
    const y = blockOf[k];
    if (k > 0 && g.loopHeader[y]) { // see INNER
      const w = innerWrites(code, g, y);
      for (let r = 0; r < 10; r++) if ((w >> r & 1) != 0) unchecked(vals[ix(k, r)] = TOP);
    }
    for (let pc = g.start[y]; pc <= g.last[y]; pc += insnLen(code, pc)) {
      note(code, pc, k);
      if (pc < g.last[y] || g.kind[y] != END_COND) step(code, pc, k);
    }
    for (let e = 0; e < 2; e++) {
      const z = e == 0 ? g.succ0[y] : g.kind[y] == END_COND ? g.succ1[y] : -1;
      let j = 0;
      while (j < blocks && blockOf[j] != z) j++;
      if (j == blocks) continue; // out of the loop
      copyState(TMP, k);
      if (g.kind[y] == END_COND) refineAll(code, g, y, TMP, e == 0);
      const to = z == h ? BACK : j;
      const first = z == h ? !back : !reached[j];
      if (first) copyState(to, TMP);
      else for (let r = 0; r < 10; r++) joinReg(to, TMP, r);
      if (z == h) back = true; else reached[j] = true;
    }
  }
  if (!back) for (let r = 0; r < 10; r++) unchecked(vals[ix(BACK, r)] = NONE);
}

/** The registers that the blocks of the loop headed by y write (see INNER). */
function innerWrites(code: usize, g: Cfg, y: i32): i32 {
  let w = 0;
  for (let k = 0; k < blocks; k++) {
    const x = blockOf[k];
    if (!inLoop(g.loopOf, g.loopParent, y, x)) continue;
    for (let pc = g.start[x]; pc <= g.last[x]; pc += insnLen(code, pc)) w |= written(code, pc);
  }
  return w;
}

/** Whether a trip of loop h can go from its header back to it through h's own blocks alone (see WEIGHED). */
function skipsInner(g: Cfg, h: i32): bool {
  let reach = 1; // bit k: block k is reached so
  for (let k = 0; k < blocks; k++) {
    const y = blockOf[k];
    if ((reach >> k & 1) == 0 || (innerBlocks >> k & 1) != 0) continue;
    for (let e = 0; e < 2; e++) {
      const z = e == 0 ? g.succ0[y] : g.kind[y] == END_COND ? g.succ1[y] : -1;
      if (z == h) return true;
      for (let j = k + 1; j < blocks; j++) if (blockOf[j] == z) reach |= 1 << j;
    }
  }
  return false;
}

/** Notes the access at pc when state st bounds its base (and the loop's plan does not hold it already). */
function note(code: usize, pc: i32, st: i32): void {
  const p = code + (<usize>pc << 3);
  const op = <u32>load<u8>(p), cls = op & 7;
  if (cls != CLS_LDX && (cls != CLS_ST && cls != CLS_STX || (op & 0xe0) == MODE_ATOMIC)) return;
  const base = cls == CLS_LDX ? <i32>(load<u8>(p, 1) >> 4) : <i32>(load<u8>(p, 1) & 0xf);
  const m = base == 10 ? -1 : meta(st, base);
  // (a base the loop does not change is hoist.ts's; a constant span of 2^24 or more no region holds: a 32-bit
  // index, a test that would always fail)
  const span = hi(st, base) - lo(st, base);
  if (m < 0 || foundCount == MAX_LOOP_INSNS || boundOf(m) < 0 && (span == 0 || span >= 1 << 24)) return;
  const plan = skip;
  if (plan != null) for (let i = 0; i < plan.count; i++) if (<i32>plan.accesses[i] == pc) return;
  const off = <i64>load<i16>(p, 2), i = foundCount++ * 4;
  const size = 1 << ((0x3012 >> (((op >> 3) & 3) << 2)) & 0xf); // W, H, B, DW: 4, 2, 1, 8
  // (as LoopPlan.accesses: pc | size << 32 | store << 40 | the registers summed << 41)
  found[i] = <i64>pc | <i64>size << 32 | <i64>(cls != CLS_LDX ? 1 : 0) << 40 | <i64>termsOf(m) << 41 | FACT;
  found[i + 1] = m;
  found[i + 2] = lo(st, base) + off;
  found[i + 3] = hi(st, base) + off;
  if ((innerBlocks >> st & 1) != 0) innerFound++;
}

/**
 * Passes until the header's state holds what comes back (see above), none assumed for the registers of `banned`;
 * the registers assumed, -1 when the values did not settle.
 */
function settle(code: usize, g: Cfg, h: i32, banned: i32): i32 {
  for (let r = 0; r < 11; r++) put(HEAD, r, 1 << r, -1, 0, 0, 0);
  for (let r = 0; r < 10; r++) if ((mask >> r & 1) != 0) unchecked(vals[ix(HEAD, r)] = (banned >> r & 1) != 0 ? TOP : NONE);
  for (let n = 0; n < MAX_PASSES; n++) {
    pass(code, g, h);
    let changed = 0, assumed = 0;
    for (let r = 0; r < 10; r++) {
      if ((mask >> r & 1) == 0) continue;
      if (joinReg(HEAD, BACK, r)) changed |= 1 << r;
      if (meta(HEAD, r) >= 0) assumed |= 1 << r;
    }
    // settled: what no jump back gave a value is the entry's alone, unknown
    if (changed == 0) for (let r = 0; r < 10; r++) if (meta(HEAD, r) == NONE) changed |= 1 << r;
    if (changed == 0) return assumed;
    for (let r = 0; r < 10; r++) if ((changed >> r & 1) != 0 && (n >= WIDEN_AFTER || meta(HEAD, r) == NONE)) unchecked(vals[ix(HEAD, r)] = TOP);
  }
  return -1;
}

/**
 * `plan` (or a new plan, when null) with the accesses of loop h that the loop's compares bound and it does not hold
 * already, and the assumptions on entry they need; plan itself when there are none.
 */
export function addFacts(code: usize, g: Cfg, h: i32, plan: LoopPlan | null): LoopPlan | null {
  if (plan != null && !plan.counted || g.loopSize[h] > MAX_BLOCKS) return plan; // (L_D: one span for all)
  blocks = 0; mask = 0; skip = plan;
  vals = new StaticArray<i64>((MAX_BLOCKS + 3) * STATE);
  reached = new StaticArray<bool>(MAX_BLOCKS);
  blockOf = new StaticArray<i32>(MAX_BLOCKS);
  found = new StaticArray<i64>(MAX_LOOP_INSNS * 4);
  innerBlocks = 0; innerAccesses = 0;
  for (let x = h; x < g.n && blocks < g.loopSize[h]; x++) {
    if (!inLoop(g.loopOf, g.loopParent, h, x)) continue;
    if (g.kind[x] == END_EXIT) return plan;
    const own = g.loopOf[x] == h;
    if (!own) innerBlocks |= 1 << blocks;
    blockOf[blocks++] = x;
    for (let pc = g.start[x]; pc <= g.last[x]; pc += insnLen(code, pc)) {
      const w = written(code, pc);
      if (w < 0) return plan;
      mask |= w;
      const o = load<u8>(code + (<usize>pc << 3)), r = load<u8>(code + (<usize>pc << 3), 1);
      if (!own && ((o & 7) == CLS_LDX ? r >> 4 : (o & 7) == CLS_ST || (o & 7) == CLS_STX ? r & 0xf : 10) != 10) innerAccesses++;
    }
  }
  const inner = innerBlocks != 0;
  if (blocks != g.loopSize[h] || inner && plan != null) return plan; // (a plan of an inner loop's: nests.ts)
  // the assumptions kept: only those without which fewer accesses are bounded
  let banned = 0, assumed = settle(code, g, h, 0);
  const most = foundCount;
  if (assumed < 0 || most == 0) return plan;
  for (let r = 0; r < 10; r++) {
    if ((assumed >> r & 1) == 0) continue;
    const a = settle(code, g, h, banned | 1 << r);
    if (a >= 0 && foundCount >= most) banned |= 1 << r;
  }
  assumed = settle(code, g, h, banned);
  if (assumed < 0 || inner && innerFound == 0 && innerAccesses != 0 && !skipsInner(g, h)) return plan;
  const p = plan != null ? plan : new LoopPlan();
  p.inner = inner;
  p.assumed = assumed;
  p.head = vals;
  for (let r = 0; r < 10; r++) {
    if ((assumed >> r & 1) == 0) continue;
    const m = meta(HEAD, r);
    if (boundOf(m) >= 0) p.factBounds |= 1 << boundOf(m);
  }
  for (let i = 0; i < foundCount && p.count < MAX_LOOP_INSNS; i++) {
    const m = found[i * 4 + 1], b = boundOf(m);
    p.accesses[p.count] = found[i * 4];
    if (b >= 0) p.factBounds |= 1 << b;
    p.consts[p.count] = found[i * 4 + 2];
    p.accStepReg[p.count] = b;
    p.accRoot[p.count] = shiftOf(m);
    p.accStep[p.count++] = found[i * 4 + 3] - found[i * 4 + 2];
  }
  return p;
}

/** Word w (0: T | (B + 1) << 11 | s << 15, 1: lo, 2: hi) of register r's value assumed on entry in `head`. */
export function assumption(head: StaticArray<i64>, r: i32, w: i32): i64 { return head[HEAD * STATE + r * W + w]; }
