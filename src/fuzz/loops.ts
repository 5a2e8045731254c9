// The fuzzer's shaped loops: the loop forms clang -O2 emits and the translators version and optimise inside
// their copies, under register pressure. A shaped loop is one macro of the generator (nothing jumps into it, its
// only exits land just after it) and always ends: its trip count is worked out here by running the exit test.
//
// Shapes: a counter (any data register) stepped up or down by 1-8 or a register, 64 or 32 bits wide, tested at
// the bottom with jlt/jle/jgt/jge/jne signed or not, in 64 or 32 bits, against an immediate or a register, the
// test on the counter or on the counter plus a constant; or rotated as clang emits a search (entered by a `ja` past
// the test, which jumps out negated, and closed by a `ja`), or with its exit path between the test and the body
// (the test goes on to the body, and falls through into some arithmetic and a `ja` past the loop), either entered by
// a `ja` just before it or by one after it that a `ja` over the loop reaches, or that rotated
// loop entered both at its top and in its middle (irreducible control flow), or tested at its top (`while (i < n && p[i] == x) i++`: the test on the counter
// before its step, which follows the body); a pointer bumped through the input or the stack against
// an end pointer (post-indexed loads); a second counter, or two converging (the bound stepping down); a nest (an outer counter whose row offset the inner
// accesses add). Trip counts run from 1 to a few hundred. Each round reads or writes through the counter (scaled
// by a shift or a multiply, offset by an add, or added to the input pointer reloaded from the frame slot it was
// spilled to before the loop, as clang does when registers run short), through a data value masked into a table
// (register-offset loads), or bumps a u64 counter kept on the stack, and computes on six or so other registers:
// adds in 32 and 64 bits, products by constants, 32-bit rotates (also clang's rotate of a product), 64-bit shifts
// and rotates, division and modulo by constants, sign extensions (MOVSX, and the shift pairs clang writes without
// it). Loads are often sign-extending. Some loops are left early on a value read (a search: the value looked for is
// often in the input).
//
// Addresses: the register holding one (the scratch register, the bumped pointer, the end pointer) is never read by
// the arithmetic and is overwritten by a constant after the loop, so no result depends on where memory lives.
// Accesses stay inside the input or the initialised stack bytes; some reach the region's last byte exactly. A
// planted fault puts one access one byte (or a few) past the end on the last round, or before the input on the
// first, or sets a budget that runs out in the loop (the caller then puts the loop first in main).
import type { Random } from "./random.js";
import { condition } from "./reference.js";
import { SIZE_BITS, alu, mov64x, lddw, stx, st, type Insn, type Item, type Label } from "./insns.js";

export interface LoopContext {
  rng: Random;
  /** The input as generated: a search looks for a value that is in it. */
  input: Uint8Array;
  /** Initialised bytes below r10. */
  stackUsed: number;
  label(): Label;
}

export interface ShapedLoop {
  items: Item[];
  /** The planted fault, if one was asked for. */
  planted?: string;
  /** Instructions executed from the loop's first instruction to its last, when it is not left early. */
  executed: number;
}

const INPUT_PTR = 9;
const MAX_TRIPS = 300;
const JNE = 0x5;
const UP_TESTS = [0xa, 0xb, 0xc, 0xd, JNE]; // jlt jle jslt jsle jne
const DOWN_TESTS = [0x2, 0x3, 0x6, 0x7, JNE]; // jgt jge jsgt jsge jne
const SIGNED_OF: Record<number, number> = { 0xa: 0xc, 0xb: 0xd, 0x2: 0x6, 0x3: 0x7, [JNE]: JNE };
/** The jump taken when `code4`'s is not: a rotated loop's exit test. */
const NEGATED: Record<number, number> = {
  0xa: 0x3,
  0xb: 0x2,
  0xc: 0x7,
  0xd: 0x6,
  0x2: 0xb,
  0x3: 0xa,
  0x6: 0xd,
  0x7: 0xc,
  [JNE]: 0x1,
};
const MUL_CONSTANTS = [3, 5, 10, 31, 33, 0x9e3779b1 | 0, 0x01000193, 0x85ebca6b | 0, 1000003, -7];
const DIVISORS = [3, 5, 7, 10, 12, 60, 100, 1000, 0x10001, 641];

const u = (v: bigint, bits: number) => BigInt.asUintN(bits, v);
const sx = (v: bigint, bits: number) => BigInt.asIntN(bits, v);

/** The eBPF jump condition `code4` on a and b (any BigInts: taken modulo 2^64), compared in 32 bits when `narrow`. */
function holds(code4: number, a: bigint, b: bigint, narrow: boolean): boolean {
  return condition(code4, u(a, 64), u(b, 64), narrow);
}

/** A counter and the test that ends its loop; `values[k]` is its value in round k (0-based). */
interface Counter {
  reg: number;
  start: bigint;
  step: bigint;
  wide: boolean; // stepped by a 64-bit add (else add32)
  /** A pointer: values are offsets from the region's base, compared unsigned against an end pointer. */
  pointer?: { base: number };
  values: bigint[];
}

interface ExitTest {
  code4: number;
  narrow: boolean;
  /** Tested: counter + derive (in `deriveWide` bits), in the scratch register; undefined: the counter itself. */
  derive?: bigint;
  deriveWide: boolean;
  bound: bigint;
  /** The register holding the bound, or -1 for an immediate. */
  boundReg: number;
  trips: number;
}

/** The jump back to `top` while `test` holds of `tested`: a loop's closing test. */
function closingTest(test: ExitTest, tested: number, top: Label): Insn {
  const op = (test.narrow ? 0x06 : 0x05) | (test.code4 << 4);
  if (test.boundReg >= 0)
    return { op: op | 8, dst: tested, src: test.boundReg, off: 0, imm: 0, target: top, targetIn: "off" };
  const imm = Number(sx(test.bound, test.narrow ? 32 : 64));
  return { op, dst: tested, src: 0, off: 0, imm, target: top, targetIn: "off" };
}

/** A counter rotated through a copy (LoopBuilder.copied). */
interface Copied {
  copy: number;
  /** The clamp's register, or -1 for an immediate (none without a clamp). */
  clampReg: number;
  clamp?: bigint;
  signed?: boolean;
  /** The round (1-based) the clamp leaves in, before its body; 0: it does not. */
  round: number;
  /** Y holds another value between the top and the step. */
  reuse: boolean;
}

class LoopBuilder {
  private rng: Random;
  private free: number[];
  private tmp: number;
  private accs: number[] = [];
  /** Registers the arithmetic may read (no addresses). */
  private sources: number[] = [];
  private planted?: string;
  private fault?: "memory" | "budget";
  private after: Label;
  private exits = false;
  private inputLen: number;

  constructor(
    private ctx: LoopContext,
    fault?: "memory" | "budget",
  ) {
    this.rng = ctx.rng;
    this.fault = fault;
    this.inputLen = ctx.input.length;
    const regs = [0, 1, 2, 3, 4, 5, 6, 7, 8];
    for (let j = regs.length - 1; j > 0; j--) {
      const x = this.rng.below(j + 1);
      [regs[j], regs[x]] = [regs[x], regs[j]];
    }
    this.free = regs;
    this.tmp = this.take();
    this.after = ctx.label();
  }

  /** Whether an access reloads the input pointer from spillSlot (stored there before the loop). */
  private spilled = false;

  /** The frame slot the input pointer is spilled to: below the initialised bytes, which nothing else uses. */
  private spillSlot(): number {
    this.spilled = true;
    return -(this.ctx.stackUsed + 8);
  }

  private take(): number {
    return this.free.pop()!;
  }

  build(): ShapedLoop {
    const rng = this.rng;
    const nested = rng.chance(0.2);
    const items: Item[] = [];
    let executed = 0;
    if (nested) {
      // for (o = 0; o < outer; o++) { row = o * stride; inner loop over a counter adding row to its addresses }
      const o = this.take(),
        row = this.take();
      const outerTrips = rng.between(2, 16);
      const inner = this.plan(false, Math.max(1, Math.floor(MAX_TRIPS / outerTrips)));
      this.accs = [...this.free];
      this.sources = [...this.accs, o, row, inner.counter.reg];
      const stride = BigInt(rng.pick([1, 2, 4, 8, 16, 3]));
      const rows = Array.from({ length: outerTrips }, (_, k) => BigInt(k) * stride);
      const innerBody = this.body(inner.counter, rows, row);
      const innerLoop = this.emitLoop(inner.counter, inner.test, inner.setup, innerBody.items);
      const top = this.ctx.label();
      const rowInsns: Insn[] = [mov64x(row, o), alu(0x07, 0x20, row, 0, 0, Number(stride))];
      const outerBack: Insn = { op: 0xa5, dst: o, src: 0, off: 0, imm: outerTrips, target: top, targetIn: "off" };
      items.push(alu(0x07, 0xb0, o, 0, 0, 0), top, ...rowInsns, ...innerLoop.items, alu(0x07, 0x00, o, 0, 0, 1));
      items.push(outerBack);
      const innerRound = innerLoop.executed(inner.test.trips);
      executed = 1 + outerTrips * (rowInsns.length + innerRound + 2);
    } else {
      const pointer = rng.chance(0.3);
      const plan = this.plan(pointer, MAX_TRIPS);
      // A second counter, stepped alongside (a store walking down while the loads walk up, say).
      let second: Counter | undefined;
      if (this.free.length > 4 && rng.chance(0.3)) {
        const step = BigInt(rng.pick([1, -1, 2, -4, 8]));
        const start =
          step < 0n ? BigInt(rng.between(plan.test.trips, plan.test.trips + 40)) : BigInt(rng.between(0, 8));
        second = this.counter(this.take(), start, step, rng.chance(0.6), plan.test.trips);
      } else if (!this.fault) second = this.converging(plan.counter, plan.test);
      const copied = second ? undefined : this.copied(plan.counter, plan.test);
      this.accs = [...this.free];
      this.sources = [
        ...this.accs,
        ...(plan.counter.pointer ? [] : [plan.counter.reg]),
        ...(second ? [second.reg] : []),
      ];
      const body = this.body(plan.counter, [0n], -1, second);
      const setup = [...plan.setup, ...(second ? [this.setConstant(second.reg, second.start)] : [])];
      const loop = copied
        ? this.emitCopied(plan.counter, plan.test, setup, body.items, copied)
        : this.emitLoop(plan.counter, plan.test, setup, body.items, second);
      items.push(...loop.items);
      // An exit lands here, before the pointers are overwritten.
      if (this.exits) items.push(this.after);
      executed = loop.executed(plan.test.trips);
      // The pointers are not data: give their registers values again.
      if (plan.counter.pointer) {
        items.push(this.setConstant(plan.counter.reg, BigInt(rng.between(0, 255))));
        executed++;
        if (plan.test.boundReg >= 0) {
          items.push(this.setConstant(plan.test.boundReg, BigInt(rng.between(0, 255))));
          executed++;
        }
      }
    }
    if (nested && this.exits) items.push(this.after);
    items.push(this.setConstant(this.tmp, BigInt(this.rng.between(0, 1000))));
    executed++;
    if (this.spilled) {
      items.unshift(stx(8, 10, this.spillSlot(), INPUT_PTR));
      executed++;
    }
    return { items, planted: this.planted, executed };
  }

  /**
   * Two converging indices (`while (i < j) { ...; i++; j--; }`): the bound register, when the test is `<` on the
   * counter itself, becomes a second counter stepping down by 1 from the bound; the loop then ends no later.
   */
  private converging(c: Counter, test: ExitTest): Counter | undefined {
    const up = test.code4 === 0xa || test.code4 === 0xc;
    // (one loop in four that could, chosen without a random draw: other programs stay as their seeds made them)
    if (!up || test.boundReg < 0 || test.narrow || test.derive !== undefined || c.pointer || !c.wide) return undefined;
    if (test.trips % 4 !== 1) return undefined;
    // (j stays above 0, either signedness, for every round the fixed bound allowed: the loop ends no later)
    if (sx(test.bound, 64) <= BigInt(test.trips)) return undefined;
    const j = this.counter(test.boundReg, test.bound, -1n, true, test.trips);
    let trips = 1;
    while (trips < test.trips && holds(test.code4, c.values[trips], j.values[trips], false)) trips++;
    test.trips = trips;
    c.values.length = j.values.length = trips + 1;
    return j;
  }

  /**
   * A counter rotated through a copy, as clang leaves a loop with two exit tests (`for (i = 0; i < n; i++)` after
   * `if (n > K) n = K`): the copy register Y, and often a clamp, a first exit test `jge` on the counter at the top
   * of each round against a register or an immediate (the round it leaves in: `round`, 0 for none). One loop in
   * three that could, by its trip count (a 64-bit counter counting up, without a derived test or a planted fault).
   */
  private copied(c: Counter, test: ExitTest): Copied | undefined {
    const rng = this.rng;
    if (c.pointer || !c.wide || c.step < 0n || test.derive !== undefined || this.fault || this.free.length < 5)
      return undefined;
    // (chosen without a random draw: other programs stay as their seeds made them)
    if (test.trips % 3 !== 0) return undefined;
    const copy = this.take();
    if (!rng.chance(0.7)) return { copy, clampReg: -1, round: 0, reuse: rng.chance(0.5) };
    // the clamp: below, at or above the counter's values on the rounds the closing test allows
    const trips = test.trips;
    const pick = rng.below(trips + 2);
    const bound = u(pick <= trips ? c.values[Math.min(pick, trips - 1)] + BigInt(rng.between(-1, 1)) : -1n, 64);
    const signed = rng.chance(0.3);
    let round = 0;
    for (let k = 1; k <= trips && round === 0; k++)
      if (holds(signed ? 0x7 : 0x3, c.values[k - 1], bound, false)) round = k;
    const fits = sx(bound, 64) >= 0n && sx(bound, 64) <= 0x7fffffffn;
    const clampReg = !fits || rng.chance(0.5) ? this.take() : -1;
    return { copy, clampReg, clamp: bound, signed, round, reuse: rng.chance(0.5) };
  }

  /**
   * The loop of a counter rotated through a copy (copied): setup; Y = counter; top: counter = Y; [Y = something
   * else]; [if counter >= clamp goto out]; body; Y = counter; Y += step; if test(Y) goto top; out. The closing
   * test on Y sees the stepped counter: the trips are the usual loop's.
   */
  private emitCopied(
    c: Counter,
    test: ExitTest,
    setup: Insn[],
    body: Item[],
    cp: Copied,
  ): { items: Item[]; executed: (trips: number) => number } {
    const top = this.ctx.label(),
      out = this.ctx.label();
    const pre: Insn[] = [...setup];
    if (cp.clampReg >= 0) pre.push(this.setConstant(cp.clampReg, cp.clamp!));
    pre.push(mov64x(cp.copy, c.reg));
    const head: Insn[] = [mov64x(c.reg, cp.copy)];
    if (cp.reuse) head.push(mov64x(cp.copy, this.rng.pick(this.accs)));
    if (cp.clamp !== undefined) {
      const code4 = cp.signed ? 0x7 : 0x3;
      head.push(
        cp.clampReg >= 0
          ? { op: 0x05 | (code4 << 4) | 8, dst: c.reg, src: cp.clampReg, off: 0, imm: 0, target: out, targetIn: "off" }
          : {
              op: 0x05 | (code4 << 4),
              dst: c.reg,
              src: 0,
              off: 0,
              imm: Number(cp.clamp),
              target: out,
              targetIn: "off",
            },
      );
    }
    const step: Insn[] = [mov64x(cp.copy, c.reg), alu(0x07, 0x00, cp.copy, 0, 0, Number(c.step))];
    const back = closingTest(test, cp.copy, top);
    const bodyInsns = body.filter((it) => "op" in it).length;
    const round = head.length + bodyInsns + step.length + 1;
    return {
      items: [...pre, top, ...head, ...body, ...step, back, out],
      // left by the clamp: the rounds before it, and its round's head
      executed: (trips) => pre.length + (cp.round > 0 ? (cp.round - 1) * round + head.length : trips * round),
    };
  }

  private counter(reg: number, start: bigint, step: bigint, wide: boolean, trips: number, pointer?: number): Counter {
    const values = [pointer !== undefined ? start : u(start, 64)];
    for (let k = 1; k <= trips; k++) {
      const next = values[k - 1] + step;
      values.push(pointer !== undefined ? next : u(next, wide ? 64 : 32));
    }
    return { reg, start, step, wide, values, ...(pointer !== undefined ? { pointer: { base: pointer } } : {}) };
  }

  /** Chooses a counter and its exit test: the loop's trip count, found by running the test. */
  private plan(pointer: boolean, maxTrips: number): { counter: Counter; test: ExitTest; setup: Insn[] } {
    const rng = this.rng;
    const reg = this.take();
    const down = rng.chance(0.35);
    const step = BigInt(rng.pick([1, 1, 1, 2, 4, 8, 3])) * (down ? -1n : 1n);
    const base = !pointer ? -1 : rng.chance(0.7) ? INPUT_PTR : 10;
    // A pointer stays in its region (an access may then reach the last byte on the last round).
    if (pointer)
      maxTrips =
        Math.floor(((base === INPUT_PTR ? this.inputLen : this.ctx.stackUsed) - 1) / Number(step < 0n ? -step : step)) +
        1;
    const want = Math.min(
      maxTrips,
      rng.chance(0.6) ? rng.between(1, 16) : rng.chance(0.75) ? rng.between(17, 100) : rng.between(101, MAX_TRIPS),
    );
    let start: bigint;
    if (pointer) {
      const room = base === INPUT_PTR ? this.inputLen : this.ctx.stackUsed;
      const first = down ? BigInt(room - 1) : 0n;
      start = first + (base === 10 ? -BigInt(this.ctx.stackUsed) : 0n);
    } else {
      const k = rng.below(10);
      if (k < 6) start = down ? BigInt(want) * -step + BigInt(rng.between(0, 20)) : BigInt(rng.between(0, 40));
      else if (k === 6) start = BigInt(rng.between(-50, 50));
      else
        start =
          rng.pick([0x7fffffffn, 0x80000000n, 0xffffffffn, 0x100000000n, 0xffffffff00000000n]) -
          BigInt(rng.between(0, 20));
    }
    const wide = pointer || rng.chance(0.6);
    const c = this.counter(reg, start, step, wide, MAX_TRIPS + 1, pointer ? base : undefined);
    const narrow = !pointer && !wide && rng.chance(0.7);
    let code4 = rng.pick(down ? DOWN_TESTS : UP_TESTS);
    const derive = !pointer && rng.chance(0.25) ? BigInt(rng.between(-8, 8)) : undefined;
    const deriveWide = rng.chance(0.6);
    const tested = (v: bigint) => (derive === undefined ? v : u(v + derive, deriveWide ? 64 : 32));
    const trips = (t: ExitTest) => {
      for (let k = 1; k <= MAX_TRIPS; k++)
        if (!holds(pointer ? SIGNED_OF[t.code4] : t.code4, tested(c.values[k]), t.bound, t.narrow)) return k;
      return Infinity;
    };
    if (pointer && code4 > 0x5) code4 = rng.pick(down ? [0x2, 0x3, JNE] : [0xa, 0xb, JNE]); // addresses compare unsigned
    const xLast = tested(c.values[want - 1]),
      xEnd = tested(c.values[want]);
    const gap = xEnd > xLast ? xEnd - xLast : xLast - xEnd;
    const r = gap > 1n ? BigInt(rng.between(0, Number(gap - 1n))) : 0n;
    let bound: bigint;
    if (code4 === 0xa || code4 === 0xc)
      bound = xLast + 1n + r; // first value not below it is xEnd
    else if (code4 === 0xb || code4 === 0xd) bound = xLast + r;
    else if (code4 === 0x2 || code4 === 0x6) bound = xEnd + r;
    else if (code4 === 0x3 || code4 === 0x7) bound = xEnd + 1n + r;
    else bound = xEnd;
    let test: ExitTest = { code4, narrow, derive, deriveWide, bound, boundReg: -1, trips: 0 };
    test.trips = trips(test);
    if (!(test.trips <= maxTrips)) {
      test = { ...test, code4: JNE, bound: xEnd };
      test.trips = trips(test);
    }
    if (!(test.trips <= maxTrips)) {
      // Wrapped the wrong way: a plain counted loop instead.
      const plain = this.counter(reg, 0n, 1n, true, want);
      test = { code4: 0xa, narrow: false, deriveWide: true, bound: BigInt(want), boundReg: -1, trips: want };
      return { counter: plain, test, setup: [alu(0x07, 0xb0, reg, 0, 0, 0)] };
    }
    c.values.length = test.trips + 1;
    // The counter's and the bound's setup, in either order (a pointer's takes two instructions).
    const setup: Insn[][] = [];
    let boundReg = -1;
    if (pointer) {
      setup.push([mov64x(reg, base), alu(0x07, 0x00, reg, 0, 0, Number(start))]);
      boundReg = this.take();
      setup.push([mov64x(boundReg, base), alu(0x07, 0x00, boundReg, 0, 0, Number(sx(bound, 64)))]);
    } else {
      setup.push([this.setConstant(reg, start)]);
      const fits = narrow || (sx(bound, 64) >= -0x80000000n && sx(bound, 64) <= 0x7fffffffn);
      if (!fits || rng.chance(0.35)) {
        boundReg = this.take();
        setup.push([this.setConstant(boundReg, bound)]);
      }
    }
    if (rng.chance(0.5)) setup.reverse();
    test.boundReg = boundReg;
    return { counter: c, test, setup: setup.flat() };
  }

  /**
   * The loop: setup; top: body; step; [scratch = counter + derive]; if test goto top. Or rotated, as clang emits a
   * search: setup; ja first; top: step; [derive]; if !test goto out; first: body; ja top; out. Or that loop entered
   * both at top and at first (irreducible control flow: a conditional jump on the counter's start to first, else
   * on into top, which steps before the first body runs). `executed(trips)`: the instructions it runs, not left early.
   */
  private emitLoop(
    c: Counter,
    test: ExitTest,
    setup: Insn[],
    body: Item[],
    second?: Counter,
  ): { items: Item[]; executed: (trips: number) => number } {
    const top = this.ctx.label();
    const cls = c.wide ? 0x07 : 0x04;
    const steps: Insn[] = [alu(cls, 0x00, c.reg, 0, 0, Number(c.step))];
    if (second) steps.push(alu(second.wide ? 0x07 : 0x04, 0x00, second.reg, 0, 0, Number(second.step)));
    if (this.rng.chance(0.5)) steps.reverse();
    let tested = c.reg;
    if (test.derive !== undefined) {
      tested = this.tmp;
      const dc = test.deriveWide ? 0x07 : 0x04;
      steps.push(
        { op: dc | 0xb8, dst: this.tmp, src: c.reg, off: 0, imm: 0 },
        alu(dc, 0x00, this.tmp, 0, 0, Number(test.derive)),
      );
    }
    const back = closingTest(test, tested, top);
    const bodyInsns = body.filter((it) => "op" in it).length;
    const insns = bodyInsns + steps.length + 1;
    const form = this.rng.below(10);
    if ((form === 3 || form === 4) && this.testedFirst(c, test)) {
      // tested at the top, as clang emits `while (i < n && p[i] == x) i++`: the test on the counter before its
      // step, out when it fails, the steps after the body, a `ja` back
      const out = this.ctx.label();
      const derive = steps.slice(steps.length - (test.derive !== undefined ? 2 : 0));
      const exit: Insn = { ...back, op: (back.op & 0x0f) | (NEGATED[test.code4] << 4), target: out };
      const close: Insn = { op: 0x05, dst: 0, src: 0, off: 0, imm: 0, target: top, targetIn: "off" };
      const stepsOnly = steps.slice(0, steps.length - derive.length);
      const round = derive.length + 1 + bodyInsns + stepsOnly.length + 1;
      return {
        items: [...setup, top, ...derive, exit, ...body, ...stepsOnly, close, out],
        executed: (trips) => setup.length + trips * round + derive.length + 1,
      };
    }
    if (form < 5)
      return { items: [...setup, top, ...body, ...steps, back], executed: (trips) => setup.length + trips * insns };
    // rotated: the test negated, out of the loop
    const first = this.ctx.label(),
      out = this.ctx.label();
    const exit: Insn = { ...back, op: (back.op & 0x0f) | (NEGATED[test.code4] << 4), target: out };
    const close: Insn = { op: 0x05, dst: 0, src: 0, off: 0, imm: 0, target: top, targetIn: "off" };
    const loop = [top, ...steps, exit, first, ...body, close, out];
    const start = sx(c.values[0], 64);
    const fits = start >= -0x80000000n && start <= 0x7fffffffn;
    if (form < 8 || c.pointer || this.fault === "memory" || !fits) {
      const enter: Insn = { op: 0x05, dst: 0, src: 0, off: 0, imm: 0, target: first, targetIn: "off" };
      // the `ja` into the middle just before the loop, or after it, reached by a `ja` over the loop (entered by
      // a jump from elsewhere than just before its head, as a loop that follows another: its entry `ja` ends the
      // first one's exit path). One draw decides both this and the exit path's place below (its top bits, its low
      // byte): the seeds of the other shapes stay the programs they were
      const roll = this.rng.u32();
      const after = (roll & 0xff) < 77;
      const skip = this.ctx.label();
      const jaSkip: Insn = { op: 0x05, dst: 0, src: 0, off: 0, imm: 0, target: skip, targetIn: "off" };
      const intro: Item[] = after ? [jaSkip] : [enter];
      const outro: Item[] = after ? [skip, enter] : [];
      const entry = after ? 2 : 1;
      if (roll / 0x100000000 < 0.35) {
        // the exit path inside the loop's range, as clang often lays out a loop entered in its middle: the test
        // goes on to the body and falls through into the code run once the loop ends, which jumps past the loop
        const tail = this.exitPath();
        const goOn: Insn = { ...back, target: first };
        const leave: Insn = { op: 0x05, dst: 0, src: 0, off: 0, imm: 0, target: out, targetIn: "off" };
        return {
          items: [...setup, ...intro, top, ...steps, goOn, ...tail, leave, first, ...body, close, ...outro, out],
          executed: (trips) => setup.length + entry + trips * (insns + 1) + tail.length + 1,
        };
      }
      return {
        items: [...setup, ...intro, top, ...steps, exit, first, ...body, close, ...outro, out],
        executed: (trips) => setup.length + entry + trips * (insns + 1),
      };
    }
    // entered at first (the counter at its start: jeq) or at top (jne), by a jump the test cannot fold away
    const atFirst = this.rng.chance(0.5);
    const enter: Insn = {
      op: atFirst ? 0x15 : 0x55,
      dst: c.reg,
      src: 0,
      off: 0,
      imm: Number(start),
      target: first,
      targetIn: "off",
    };
    // at top: the body runs trips - 1 times (the counter's first value is stepped over), the step and test trips times
    return {
      items: [...setup, enter, ...loop],
      executed: (trips) => setup.length + 1 + trips * (insns + 1) - (atFirst ? 0 : bodyInsns + 1),
    };
  }

  /**
   * Whether the exit test holds on the counter's first value too (a loop tested at its top then runs as many
   * rounds as one tested at the bottom), computed the same way on it (a 64-bit counter, or a 32-bit derived value).
   */
  private testedFirst(c: Counter, test: ExitTest): boolean {
    if (c.pointer || (!c.wide && test.derive !== undefined && test.deriveWide)) return false;
    const v = test.derive === undefined ? c.values[0] : u(c.values[0] + test.derive, test.deriveWide ? 64 : 32);
    return holds(test.code4, v, test.bound, test.narrow);
  }

  /** One round's work: 1-3 accesses, some arithmetic, maybe an exit on a value read. */
  private body(c: Counter, rows: bigint[], rowReg: number, second?: Counter): { items: Item[] } {
    const rng = this.rng;
    const items: Item[] = [];
    const accesses = rng.between(1, 3);
    for (let i = 0; i < accesses; i++) {
      const k = rng.below(10);
      const toFault = this.fault === "memory" && !this.planted;
      const through = k < 6 || c.pointer || toFault ? c : second && k < 8 ? second : undefined;
      const loaded = through
        ? this.counted(items, through, through === c ? rows : [0n], through === c ? rowReg : -1)
        : rng.chance(0.5)
          ? this.table(items)
          : this.spill(items);
      for (let n = rng.between(0, 3); n > 0; n--) items.push(...this.arithmetic());
      if (loaded >= 0 && !this.fault && rng.chance(0.2)) {
        // left early on a value read
        const code4 = rng.pick([0x1, 0x1, JNE, 0x2, 0x6, 0xa, 0x3]);
        const imm = loaded === this.lastLoad?.reg ? this.lastLoad.value : rng.between(-4, 300);
        items.push({ op: 0x05 | (code4 << 4), dst: loaded, src: 0, off: 0, imm, target: this.after, targetIn: "off" });
        this.exits = true;
      }
    }
    for (let n = rng.between(1, 5); n > 0; n--) items.push(...this.arithmetic());
    return { items };
  }

  private lastLoad?: { reg: number; value: number };

  private load(size: number, dst: number, base: number, off: number): Insn {
    if (size < 8 && this.rng.chance(0.4)) return { op: 0x81 | SIZE_BITS[size], dst, src: base, off, imm: 0 };
    return { op: 0x61 | SIZE_BITS[size], dst, src: base, off, imm: 0 };
  }

  /** A load (into an accumulator; its register returned) or a store (-1) at [addr + off]. */
  private access(items: Item[], size: number, addr: number, off: number, sample?: number): number {
    const rng = this.rng;
    if (rng.chance(0.35)) {
      items.push(
        rng.chance(0.3) ? st(size, addr, off, rng.between(-100, 100)) : stx(size, addr, off, rng.pick(this.accs)),
      );
      return -1;
    }
    const dst = rng.pick(this.accs);
    const insn = this.load(size, dst, addr, off);
    items.push(insn);
    this.lastLoad = undefined;
    if (sample !== undefined && sample >= 0 && sample + size <= this.inputLen) {
      let v = 0n;
      for (let b = size - 1; b >= 0; b--) v = (v << 8n) | BigInt(this.ctx.input[sample + b]);
      if (insn.op & 0x80) v = sx(v, size * 8);
      if (sx(v, 64) >= -0x80000000n && sx(v, 64) <= 0x7fffffffn) this.lastLoad = { reg: dst, value: Number(sx(v, 64)) };
    }
    return dst;
  }

  /** An access through a counter: [counter + off] for a pointer, else scratch = base + (counter [+ c]) << shift [+ row]. */
  private counted(items: Item[], c: Counter, rows: bigint[], rowReg: number): number {
    const rng = this.rng;
    const size = rng.pick([1, 1, 2, 4, 8]);
    let addr: number;
    let xs: bigint[];
    const build: Insn[] = [];
    const onStack = c.pointer ? c.pointer.base === 10 : rng.chance(0.3);
    const room = onStack ? this.ctx.stackUsed : this.inputLen;
    if (room < size) return this.spill(items);
    if (c.pointer) {
      addr = c.reg;
      xs = c.values.slice(0, -1);
    } else {
      addr = this.tmp;
      const narrowMov = !c.wide && rng.chance(0.5);
      const add = rng.chance(0.25) ? BigInt(rng.between(-8, 8)) - (rng.chance(0.5) ? c.start : 0n) : 0n;
      const shift = rng.pick([0, 0, 1, 2, 3]);
      const viaMul = shift > 0 && rng.chance(0.3);
      build.push(narrowMov ? { op: 0xbc, dst: addr, src: c.reg, off: 0, imm: 0 } : mov64x(addr, c.reg));
      if (add !== 0n && sx(add, 64) >= -0x80000000n && sx(add, 64) <= 0x7fffffffn)
        build.push(alu(0x07, 0x00, addr, 0, 0, Number(add)));
      if (shift) build.push(viaMul ? alu(0x07, 0x20, addr, 0, 0, 1 << shift) : alu(0x07, 0x60, addr, 0, 0, shift));
      if (rowReg >= 0) build.push({ op: 0x0f, dst: addr, src: rowReg, off: 0, imm: 0 });
      build.push({ op: 0x0f, dst: addr, src: onStack ? 10 : INPUT_PTR, off: 0, imm: 0 });
      if (!onStack && rowReg < 0 && !narrowMov && !shift && !viaMul && rng.chance(0.5)) {
        // the input pointer reloaded from the frame slot it was spilled to before the loop, plus the counter
        build.length = 0;
        build.push(this.load(8, addr, 10, this.spillSlot()), { op: 0x0f, dst: addr, src: c.reg, off: 0, imm: 0 });
      }
      const added = build.length > 1 && build[1].op === 0x07 ? add : 0n;
      const inner = c.values
        .slice(0, -1)
        .map((v) => sx(u(((narrowMov ? u(v, 32) : v) + added) << BigInt(shift), 64), 64));
      xs = rowReg >= 0 ? [...inner.map((x) => x + rows[0]), ...inner.map((x) => x + rows[rows.length - 1])] : inner;
    }
    let lo = xs[0],
      hi = xs[0];
    for (const x of xs) {
      if (x < lo) lo = x;
      if (x > hi) hi = x;
    }
    const span = Number(hi - lo);
    if (hi - lo > BigInt(room - size)) return c.pointer ? this.spill(items) : this.table(items);
    // Where the lowest access starts, counted from the region's start.
    const last = room - size - span;
    let at = rng.chance(0.3) ? last : rng.below(Math.floor(last / size) + 1) * size;
    let where: string | undefined;
    if (this.fault === "memory" && !this.planted) {
      const before = !onStack && rng.chance(0.3);
      at = before ? -rng.between(1, 4) : last + (rng.chance(0.6) ? 1 : rng.between(1, 8));
      where = `${before ? "before the input" : `past the end of the ${onStack ? "stack" : "input"}`} in a shaped loop`;
    }
    const off = BigInt(at - (onStack ? this.ctx.stackUsed : 0)) - lo;
    if (off < -0x8000n || off > 0x7fffn) return this.table(items);
    items.push(...build);
    const sample = onStack ? undefined : at + Number(xs[rng.below(xs.length)] - lo);
    const loaded = this.access(items, size, addr, Number(off), sample);
    if (where) this.planted = `${loaded >= 0 ? "read" : "write"} ${where}`;
    return loaded;
  }

  /** A table read through a data value: scratch = base + (value & mask); [scratch + off]. */
  private table(items: Item[]): number {
    const rng = this.rng;
    const onStack = rng.chance(0.5) || this.inputLen < 2;
    const room = onStack ? this.ctx.stackUsed : this.inputLen;
    const size = rng.pick([1, 2, 4, 8].filter((z) => z * 2 <= room));
    let mask = 1;
    while (mask * 2 <= room - size + 1) mask *= 2;
    mask = (mask - 1) & ~(size - 1);
    const at = rng.below(Math.floor((room - size - mask) / size) + 1) * size;
    const index = rng.pick(this.sources);
    items.push(mov64x(this.tmp, index), alu(0x07, 0x50, this.tmp, 0, 0, mask), {
      op: 0x0f,
      dst: this.tmp,
      src: onStack ? 10 : INPUT_PTR,
      off: 0,
      imm: 0,
    });
    return this.access(items, size, this.tmp, at - (onStack ? this.ctx.stackUsed : 0));
  }

  /** A u64 counter on the stack: ldxdw a, [r10-k]; add a, v; stxdw [r10-k], a. */
  private spill(items: Item[]): number {
    const rng = this.rng;
    const a = rng.pick(this.accs);
    const at = -8 * rng.between(1, this.ctx.stackUsed / 8);
    items.push(
      this.load(8, a, 10, at),
      { op: 0x0f, dst: a, src: rng.pick(this.sources), off: 0, imm: 0 },
      stx(8, 10, at, a),
    );
    return -1;
  }

  /** What a loop's exit path computes once it ends (emitLoop): one or two arithmetic idioms on the accumulators. */
  private exitPath(): Insn[] {
    const insns = this.arithmetic();
    if (this.rng.chance(0.4)) insns.push(...this.arithmetic());
    return insns;
  }

  /** One of the arithmetic idioms the translators optimise, on the accumulators. */
  private arithmetic(): Insn[] {
    const rng = this.rng;
    const x = rng.pick(this.accs);
    const y = rng.pick(this.sources);
    const t = this.tmp;
    const wideCls = rng.chance(0.5) ? 0x07 : 0x04;
    switch (rng.below(12)) {
      case 0: {
        const r = rng.between(1, 31);
        return [
          { op: 0xbc, dst: t, src: x, off: 0, imm: 0 },
          alu(0x04, 0x60, t, 0, 0, r),
          alu(0x04, 0x70, x, 0, 0, 32 - r),
          { op: 0x4c, dst: x, src: t, off: 0, imm: 0 },
        ];
      }
      case 1: {
        // clang's rotate of a product: t = x * (c << r); x = x * c >> (32 - r) | t
        const r = rng.between(1, 31);
        const c = rng.pick(MUL_CONSTANTS);
        const shifted = Number(sx(u(BigInt(c) << BigInt(r), 32), 32));
        return [
          { op: 0xbc, dst: t, src: x, off: 0, imm: 0 },
          alu(0x04, 0x20, t, 0, 0, shifted),
          alu(0x04, 0x20, x, 0, 0, c),
          alu(0x04, 0x70, x, 0, 0, 32 - r),
          { op: 0x4c, dst: x, src: t, off: 0, imm: 0 },
        ];
      }
      case 2: {
        const r = rng.between(1, 63);
        return [
          mov64x(t, x),
          alu(0x07, 0x60, t, 0, 0, r),
          alu(0x07, 0x70, x, 0, 0, 64 - r),
          { op: 0x4f, dst: x, src: t, off: 0, imm: 0 },
        ];
      }
      case 3:
        return [alu(wideCls, 0x20, x, 0, 0, rng.pick(MUL_CONSTANTS))];
      case 4:
        return [alu(wideCls, rng.pick([0x30, 0x90]), x, 0, rng.chance(0.2) ? 1 : 0, rng.pick(DIVISORS))];
      case 5:
        return [alu(0x07, rng.pick([0x60, 0x70, 0xc0]), x, 0, 0, rng.between(1, 63))];
      case 6: {
        // a 64-bit sum of two (adds/adc on 32-bit machines)
        const z = rng.pick(this.accs);
        return [
          { op: 0x0f, dst: x, src: y, off: 0, imm: 0 },
          { op: 0x0f, dst: z, src: x, off: 0, imm: 0 },
        ];
      }
      case 7:
        return [{ op: 0xbf, dst: x, src: y, off: rng.pick([8, 16, 32]), imm: 0 }];
      case 8:
        return [{ op: wideCls | rng.pick([0x00, 0x10, 0xa0, 0x40, 0x50]) | 8, dst: x, src: y, off: 0, imm: 0 }];
      case 9:
        return [alu(wideCls, rng.pick([0x00, 0xa0, 0x50]), x, 0, 0, rng.between(-0x8000, 0xffff))];
      case 10: {
        // a sign or zero extension by a shift left and back (clang's `(long)i`, a short widened), after a copy or not
        const wide = rng.chance(0.5);
        const k = wide ? rng.pick([32, 33, 40, 48, 56, 63]) : rng.pick([16, 24]);
        const cls = wide ? 0x07 : 0x04;
        const copy: Insn[] = rng.chance(0.4) ? [{ op: rng.pick([0xbf, 0xbc]), dst: x, src: y, off: 0, imm: 0 }] : [];
        return [...copy, alu(cls, 0x60, x, 0, 0, k), alu(cls, rng.chance(0.6) ? 0xc0 : 0x70, x, 0, 0, k)];
      }
      default:
        return [{ op: wideCls | 0x20 | 8, dst: x, src: y, off: 0, imm: 0 }];
    }
  }

  private setConstant(dst: number, v: bigint): Insn {
    v = u(v, 64);
    const signed = sx(v, 64);
    if (signed >= -0x80000000n && signed <= 0x7fffffffn && this.rng.chance(0.8))
      return alu(0x07, 0xb0, dst, 0, 0, Number(signed));
    if (v <= 0xffffffffn && this.rng.chance(0.5)) return alu(0x04, 0xb0, dst, 0, 0, Number(sx(v, 32)));
    return lddw(dst, v);
  }
}

/** A shaped loop (see the header); `fault` plants an access out of bounds, or asks for a budget ending in it. */
export function shapedLoop(ctx: LoopContext, fault?: "memory" | "budget"): ShapedLoop {
  return new LoopBuilder(ctx, fault).build();
}
