// Region checks hoisted out of counted loops, by loop versioning: before a loop, one test over the whole range
// that each of its accesses can reach decides between a copy of the loop whose accesses are not checked and the
// ordinary copy (translate.ts: versioned). This file finds the loops and describes their accesses; it emits nothing.
//
// A loop qualifies when it makes no calls and a single block (the latch) jumps back to its header, with
// `jlt iv, bound` (64-bit, unsigned; bound a register the loop does not write, or a constant), the fall-through
// leaving the loop, and iv written nowhere in the loop but by one `add iv, step` in the latch (step a constant
// above 0, or a register the loop does not write). Then iv takes the values iv0, iv0 + step, ... and every value
// it has at the header after the first is below bound: over the loop it stays in [iv0, iv0 + D], where
// D = (bound - 1 - iv0) / step * step when iv0 < bound (and step > 0), else 0. No value wraps around when bound
// and step are below 2^32 (the test checks). An access whose address is, in its block, a sum of registers the
// loop does not write, at most one iv and a constant, reaches [lo, lo + D + size) with lo its address at iv0.
// A loop without such an iv still qualifies for accesses whose addresses the loop does not change (D = 0).
// A counted loop of a single block runs D / step + 1 times (iv0 < bound, step > 0; once when iv0 >= bound), a
// count known on entry: the budget can be checked and counted there for the whole loop (translate.ts: versioned).
// One of several blocks (no inner loop) runs at most that many trips: the budget can be checked there for all of
// them, each trip counting its longest way (LoopPlan.path).
import { CLS_LD, CLS_LDX, CLS_ST, CLS_STX, CLS_ALU64, CLS_JMP, CLS_JMP32, MODE_ATOMIC, STACK_SIZE } from "../isa";
import { Cfg, opAt, immAt, insnLen, inLoop, tripRests, END_COND, END_EXIT } from "./cfg";

export const MAX_LOOP_INSNS: i32 = 128; // larger loops are not copied
const MAX_LOOP_SPAN: i32 = 1024; // nor loops whose blocks are further apart in reverse postorder (bounds the search)

export class LoopPlan {
  iv: i32 = -1; // induction register, -1 when none
  stepReg: i32 = -1; // step register, or -1 for the constant stepImm
  stepImm: i64 = 0;
  boundReg: i32 = -1; // bound register, or -1 for the constant boundImm
  boundImm: i64 = 0;
  /** A counted loop of one block (counted.ts: of one path) without packet loads: its instructions (its trips are
   * known on entry), else 0. */
  len: i32 = 0;
  /** Of len: the instructions after the exit test (counted.ts: a path on to a jump back), which the last trip skips. */
  lenTail: i32 = 0;
  /** A loop of several blocks (counted.ts, or here with an iv) without packet loads or inner loops: its longest
   * trip's instructions (a trip runs at most these), else 0. */
  path: i32 = 0;
  /** path is the longest of a trip's ways, or that of a loop here: new with them, so a loop inside a nest whose
   * test proved its accesses is not versioned for them (translate.ts: doTree), as it was not before. */
  ways: bool = false;
  /** The loop can leave before its counted test says (a search): its trips are not known on entry. */
  early: bool = false;
  /** Accesses: instruction | size << 32 | store << 40 | registers summed << 41 (bit 11: iv), and the constant
   * part of its address with the access's offset. */
  accesses: StaticArray<i64> = new StaticArray<i64>(MAX_LOOP_INSNS);
  consts: StaticArray<i64> = new StaticArray<i64>(MAX_LOOP_INSNS);
  count: i32 = 0;
  // A loop of counted.ts: iv is its family's root, stepImm its step (either sign), and the loop goes on
  // while iv + testReg (when >= 0) + testConst `cont` boundReg + boundImm (or boundImm when boundReg < 0), signed or
  // not; each famRegs[i] holds its family's root famRoots[i] + famDelta[i] at every header when it does on entry
  // (iv is the root of the test's family). Accesses after the exit test carry POST.
  counted: bool = false;
  /** The bound's own step a trip (counted.ts: CONVERGING; boundReg its family's root), else 0. */
  boundStep: i64 = 0;
  /** The bound is the frame's 8 bytes at this offset from r10 (+ boundImm) when at most 0: the loop never writes them. */
  boundSlot: i32 = 1;
  testConst: i64 = 0;
  /** A register the loop does not write that the exit test's side of the family adds (counted.ts: SUMMED), else -1. */
  testReg: i32 = -1;
  cont: i32 = 0;
  signed: bool = false;
  famRegs: StaticArray<i32> = new StaticArray<i32>(11);
  famRoots: StaticArray<i32> = new StaticArray<i32>(11);
  famDelta: StaticArray<i64> = new StaticArray<i64>(11);
  famCount: i32 = 0;
  /** 32-bit adds and movs on the family (counted.ts: NARROW): iv + c must stay in [0, 2^32) (with a signed test
   * [0, 2^31)) for every c from narrowLo to narrowHi over the trips, or they could wrap (none: narrowLo > narrowHi). */
  narrowLo: i64 = i64.MAX_VALUE;
  narrowHi: i64 = i64.MIN_VALUE;
  /** Per access whose sum has bit 11: the register that bit stands for and its step (a family's root). */
  accRoot: StaticArray<i32> = new StaticArray<i32>(MAX_LOOP_INSNS);
  accStep: StaticArray<i64> = new StaticArray<i64>(MAX_LOOP_INSNS);
  /** Per such access: the register (the loop does not write it) its root moves by a trip instead, else -1. */
  accStepReg: StaticArray<i32> = new StaticArray<i32>(MAX_LOOP_INSNS);
  /** Per access whose sum has SUM_SLOT: the frame slot (offset from r10) whose value on entry it adds. */
  accSlot: StaticArray<i32> = new StaticArray<i32>(MAX_LOOP_INSNS);
  // A loop around one inner loop whose accesses it carries (nests.ts): it goes on while iv + subReg (when >= 0) +
  // testConst <= the bound; the inner loop's iv starts at innerStart, stays below innerBoundReg (or innerBoundImm
  // when < 0).
  nest: bool = false;
  /** The outer loop goes on while iv + subReg + testConst - 1 != the bound (step 1): only when iv starts at most there. */
  outerNe: bool = false;
  subReg: i32 = -1;
  innerStart: i64 = 0;
  innerBoundReg: i32 = -1;
  innerBoundImm: i64 = 0;
  // Accesses the loop's compares bound (facts.ts: FACT): T + [consts, consts + (accStepReg << accRoot) + accStep],
  // accStepReg -1 for none; they hold when each register of `assumed` holds on entry its value in `head` (facts.ts:
  // assumption), and the registers of factBounds are below 2^32.
  assumed: i32 = 0;
  head: StaticArray<i64> | null = null;
  factBounds: i32 = 0;
  /** The loop holds inner loops (facts.ts: INNER), which keep their own plans in both copies. */
  inner: bool = false;
}

/** In an access's register set (LoopPlan.accesses bits 41..): a frame slot's value (counted.ts: SLOTS). */
export const SUM_SLOT: i32 = 1 << 13;

/** In LoopPlan.accesses: the access comes after the exit test (it runs in one trip fewer). */
export const POST: i64 = <i64>1 << 60;

/** In LoopPlan.accesses: an access the loop's compares bound (facts.ts). */
export const FACT: i64 = <i64>1 << 61;

/** Registers instruction `pc` writes (bit mask), -1 for a call. */
export function written(code: usize, pc: i32): i32 {
  const p = code + (<usize>pc << 3);
  const op = <u32>load<u8>(p);
  const regs = <u32>load<u8>(p, 1);
  const cls = op & 7;
  if (cls == CLS_JMP || cls == CLS_JMP32) return (op & 0xf0) == 0x80 ? -1 : 0;
  if (cls == CLS_LD) return op == 0x18 ? 1 << (regs & 0xf) : 0x3f; // lddw; packet loads (r0, r1-r5 scratch)
  if (cls == CLS_ST || cls == CLS_STX) return (op & 0xe0) == MODE_ATOMIC ? 1 | (1 << (regs >> 4)) : 0;
  return 1 << (regs & 0xf); // ALU, ALU64, LDX (an atomic above may write src or r0)
}

/** The plan for the loop headed by `h`, or null when no access of it can be hoisted. */
export function planLoop(code: usize, g: Cfg, h: i32): LoopPlan | null {
  const lo = g.loopOf, lp = g.loopParent;
  const writes = new StaticArray<i32>(16); // per register: instructions of the loop that write it
  const writer = new StaticArray<i32>(16); // and the last of them
  let mask = 0, latch = -1, latches = 0, insns = 0, seen = 0, end = h, packet = false, leaves = 0, inner = false;
  if (g.loopSize[h] > MAX_LOOP_INSNS) return null;
  for (let x = h; seen < g.loopSize[h]; x++) { // the loop's blocks come after h, mostly close to it
    if (x >= g.n || x - h > MAX_LOOP_SPAN) return null;
    if (!inLoop(lo, lp, h, x)) continue;
    seen++;
    end = x;
    if (lo[x] != h) inner = true;
    if (g.succ0[x] == h || g.succ1[x] == h) { latch = x; latches++; }
    if (g.kind[x] == END_EXIT) leaves++;
    if (g.succ0[x] >= 0 && !inLoop(lo, lp, h, g.succ0[x])) leaves++;
    if (g.succ1[x] >= 0 && !inLoop(lo, lp, h, g.succ1[x])) leaves++;
    for (let pc = g.start[x]; pc <= g.last[x]; pc += insnLen(code, pc)) {
      const w = written(code, pc);
      if (w < 0 || ++insns > MAX_LOOP_INSNS) return null;
      if ((opAt(code, pc) & 7) == CLS_LD && opAt(code, pc) != 0x18) packet = true;
      mask |= w;
      for (let r = 0; r < 11; r++) if ((w & (1 << r)) != 0) { writes[r]++; writer[r] = pc; }
    }
  }
  const plan = new LoopPlan();
  plan.early = leaves > 1;
  // The induction register: the latch's test, and its only write, an add in the latch.
  const exit = latches == 1 ? g.succ1[latch] : -1;
  if (exit >= 0 && g.kind[latch] == END_COND && g.succ0[latch] == h && !inLoop(lo, lp, h, exit)) {
    const j = g.last[latch];
    const op = opAt(code, j);
    const regs = <u32>load<u8>(code + (<usize>j << 3), 1);
    const iv = <i32>(regs & 0xf), br = <i32>(regs >> 4), bound = immAt(code, j);
    const pc = writer[iv];
    const p = code + (<usize>pc << 3);
    const aop = <u32>load<u8>(p), src = <i32>(load<u8>(p, 1) >> 4), imm = load<i32>(p, 4);
    if (writes[iv] == 1 && pc >= g.start[latch] && pc < j && (op == 0xad ? (mask & (1 << br)) == 0 : op == 0xa5 && bound >= 0)
      && (aop == 0x07 && imm > 0 || aop == 0x0f && (mask & (1 << src)) == 0)) {
      plan.iv = iv;
      plan.stepReg = aop == 0x0f ? src : -1;
      plan.stepImm = <i64>imm;
      plan.boundReg = op == 0xad ? br : -1;
      plan.boundImm = <i64>bound;
      if (latch == h && !packet) plan.len = insns;
      else if (!packet && !inner) { plan.path = tripRests(code, g, h)[h]; plan.ways = true; } // bounded all the same
    }
  }
  // The accesses: register sums tracked through each block from its start (-1: not a sum).
  const sum = new StaticArray<i32>(16); // registers summed, bit 11: the induction register
  const cst = new StaticArray<i64>(16);
  for (let x = h; x <= end; x++) {
    if (!inLoop(lo, lp, h, x)) continue;
    for (let r = 0; r <= 10; r++) {
      sum[r] = (mask & (1 << r)) == 0 ? 1 << r : r == plan.iv ? 1 << 11 : -1;
      cst[r] = 0;
    }
    for (let pc = g.start[x]; pc <= g.last[x]; pc += insnLen(code, pc)) {
      const p = code + (<usize>pc << 3);
      const op = <u32>load<u8>(p);
      const dst = <i32>(load<u8>(p, 1) & 0xf), src = <i32>(load<u8>(p, 1) >> 4);
      const off = <i32>load<i16>(p, 2);
      const cls = op & 7;
      const base = cls == CLS_LDX ? src : dst;
      const size = 1 << ((0x3012 >> (((op >> 3) & 3) << 2)) & 0xf); // W, H, B, DW: 4, 2, 1, 8
      const access = cls == CLS_LDX || (cls == CLS_ST || cls == CLS_STX) && (op & 0xe0) != MODE_ATOMIC;
      if (access && sum[base] >= 0 && !(base == 10 && off >= -STACK_SIZE && off + size <= 0)) {
        plan.accesses[plan.count] = <i64>pc | <i64>size << 32 | <i64>(cls != CLS_LDX ? 1 : 0) << 40 | <i64>sum[base] << 41;
        plan.consts[plan.count++] = cst[base] + <i64>off;
      }
      sumStep(code, pc, sum, cst);
    }
  }
  return plan.count > 0 ? plan : null;
}

/**
 * Registers as sums after instruction pc: per register, a set of symbols (bits: registers the loop does not write,
 * and what the caller makes of the others), -1 when it is no sum, and a constant part (`sum`, `cst`: 16 each).
 * Instruction by instruction from a block's start, mov, add and sub keep sums, anything else writes -1.
 */
export function sumStep(code: usize, pc: i32, sum: StaticArray<i32>, cst: StaticArray<i64>): void {
  const p = code + (<usize>pc << 3);
  const op = <u32>load<u8>(p);
  const dst = <i32>(load<u8>(p, 1) & 0xf), src = <i32>(load<u8>(p, 1) >> 4);
  const imm = <i64>load<i32>(p, 4);
  const w = written(code, pc);
  if (w == 0) return;
  const a = sum[dst], b = sum[src];
  if (op == 0xbf && load<i16>(p, 2) == 0 || op == 0x0f) { // mov, add of registers: each summed at most once
    if (op == 0xbf) { sum[dst] = b; cst[dst] = cst[src]; }
    else if (a < 0 || b < 0 || (a & b) != 0) sum[dst] = -1;
    else { sum[dst] = a | b; cst[dst] += cst[src]; }
  } else if (op == 0xb7) { sum[dst] = 0; cst[dst] = imm; } // mov imm
  else if (op == 0x07) cst[dst] += imm; // add imm (a register that is not a sum stays one)
  else if (op == 0x17) cst[dst] -= imm;
  else for (let r = 0; r <= 10; r++) if ((w & (1 << r)) != 0) sum[r] = -1;
}
