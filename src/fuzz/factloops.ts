// The fuzzer's loops that no counted plan takes but whose accesses the loop's own compares bound (the ARM32
// translator's analysis/facts.ts): an index stepped by 1 or 2 as a byte read says (an escape skipped), in two
// places, each path jumping back on its own; the test `i < n` (or `i + k < n`, or the operands swapped, or `<=`
// against n - 1) at the top, taken into the body or falling through to it; the byte read at base + i + c, the
// base the input pointer or reloaded from the frame slot it was spilled to before the loop (clang under register
// pressure), sometimes written back. n is a constant or a register, so that the reads reach the input's last byte
// at most; a planted fault makes n larger, so that a read goes past it, and a budget runs out in the loop.
// The trip count depends on the input: it is worked out here by running the loop on it.
import type { Random } from "./random.js";
import type { LoopContext, ShapedLoop } from "./loops.js";
import { SIZE_BITS, alu, mov64x, stx, type Insn, type Item } from "./insns.js";

const INPUT_PTR = 9;
const MAX_TRIPS = 300;
const JLT = 0xa,
  JGE = 0x3,
  JGT = 0x2;

function jump(code4: number, dst: number, src: number, imm: number, target: Item): Insn {
  return {
    op: 0x05 | (code4 << 4) | (src >= 0 ? 8 : 0),
    dst,
    src: Math.max(src, 0),
    off: 0,
    imm,
    target,
    targetIn: "off",
  } as Insn;
}

function ja(target: Item): Insn {
  return { op: 0x05, dst: 0, src: 0, off: 0, imm: 0, target, targetIn: "off" } as Insn;
}

function pickRegs(rng: Random, n: number): number[] {
  const regs = [0, 1, 2, 3, 4, 5, 6, 7, 8];
  for (let j = regs.length - 1; j > 0; j--) {
    const x = rng.below(j + 1);
    [regs[j], regs[x]] = [regs[x], regs[j]];
  }
  return regs.slice(0, n);
}

/** A loop of this shape (see the header); `fault` plants a read past the input, or asks for a budget ending in it. */
export function factLoop(ctx: LoopContext, fault?: "memory" | "budget"): ShapedLoop {
  const rng = ctx.rng;
  const len = ctx.input.length;
  const [i, n, p, v, acc, t] = pickRegs(rng, 6);
  const size = len > 4 && rng.chance(0.2) ? 2 : 1;
  const c = rng.between(0, 2);
  const k = rng.chance(0.3) ? rng.between(1, 2) : 0; // the test on i + k
  const start = rng.between(0, 3);
  // every read at i + c, i < n - k, within the input: n - k - 1 + c + size <= len
  const limit = len - c - size + 1 + k;
  let bound = Math.min(limit, start + k + rng.between(0, MAX_TRIPS));
  if (rng.chance(0.3)) bound = limit; // the last byte reached
  let planted: string | undefined;
  if (fault === "memory") {
    bound = limit + 2 + rng.below(3); // i reaches limit - k or one past it, both read past the end
    planted = "read past the end of the input in a fact loop";
  }
  if (bound < 1) bound = 1;
  const boundInReg = rng.chance(0.5);
  const spilled = rng.chance(0.4);
  const slot = -(ctx.stackUsed + 8);
  const writes = rng.chance(0.3);
  const offInLoad = rng.chance(0.5);

  const top = ctx.label(),
    body = ctx.label(),
    two = ctx.label(),
    out = ctx.label();
  const setup: Insn[] = [alu(0x07, 0xb0, i, 0, 0, start)];
  if (boundInReg) setup.push(alu(0x07, 0xb0, n, 0, 0, bound));
  setup.push(alu(0x07, 0xb0, acc, 0, 0, rng.between(0, 1000)));
  if (spilled) setup.unshift(stx(8, 10, slot, INPUT_PTR));
  // the test: the trip goes on while i + k < bound
  const tested = k > 0 ? t : i;
  const derive: Insn[] = k > 0 ? [mov64x(t, i), alu(0x07, 0x00, t, 0, 0, k)] : [];
  const form = rng.below(4);
  let test: Insn[];
  if (form === 0) test = [boundInReg ? jump(JGE, tested, n, 0, out) : jump(JGE, tested, -1, bound, out)];
  else if (form === 1 && boundInReg)
    test = [jump(JGT, n, tested, 0, body), ja(out)]; // n > i
  else if (form === 2 && !boundInReg)
    test = [jump(JGT, tested, -1, bound - 1, out)]; // i <= n - 1
  else test = [boundInReg ? jump(JLT, tested, n, 0, body) : jump(JLT, tested, -1, bound, body), ja(out)];
  const read: Insn[] = [
    spilled ? { op: 0x79, dst: p, src: 10, off: slot, imm: 0 } : mov64x(p, INPUT_PTR),
    { op: 0x0f, dst: p, src: i, off: 0, imm: 0 },
    ...(offInLoad ? [] : [alu(0x07, 0x00, p, 0, 0, c)]),
    { op: 0x61 | SIZE_BITS[size], dst: v, src: p, off: offInLoad ? c : 0, imm: 0 },
  ];
  const work: Insn[] = [
    { op: 0x0f, dst: acc, src: v, off: 0, imm: 0 },
    alu(0x07, 0x20, acc, 0, 0, rng.pick([3, 31, 33])),
    ...(writes
      ? [alu(0x04, 0xa0, v, 0, 0, 0x5a), { op: 0x63 | SIZE_BITS[size], dst: p, src: v, off: offInLoad ? c : 0, imm: 0 }]
      : []),
    alu(0x07, 0x50, v, 0, 0, 1),
  ];
  // (written back as v ^ 0x5a: 0x5a is even, the low bit the step is chosen on stays the byte's)
  const steps: Item[] = [
    jump(0x1, v, -1, 0, two), // jeq v, 0: one step
    alu(0x07, 0x00, i, 0, 0, 2),
    ja(top),
    two,
    alu(0x07, 0x00, i, 0, 0, 1),
    ja(top),
  ];
  const items: Item[] = [...setup, top, ...derive, ...test, body, ...read, ...work, ...steps, out];
  // after the loop: the address register (and the scratch) set to constants, as other shaped loops do
  items.push(alu(0x07, 0xb0, p, 0, 0, rng.between(0, 255)));

  // the trip count on this input: executed instructions when no read faults
  const perTest = derive.length + test.length; // (a `ja out` when it ends: one more at most)
  const perTrip = perTest + read.length + work.length + 3;
  let executed = setup.length;
  for (let x = start, trips = 0; trips <= MAX_TRIPS * 2; trips++) {
    executed += perTest;
    if (!(x + k < bound)) break;
    const at = x + c;
    if (at + size > len) break; // the planted fault
    executed += perTrip - perTest;
    x += (ctx.input[at] & 1) !== 0 ? 2 : 1;
  }
  return { items, planted, executed: executed + 1 };
}

/**
 * A match search whose counter l is bounded by an equality test (analysis/facts.ts: a counter stepped by 1 towards
 * K from below stays below it), as clang leaves `while (l < K && a[l] == b[l]) l++`: the bytes at base + q + l and
 * base + r + l compared, the loop left when they differ or when l reaches K, tested before the step (`jeq l, K, out`
 * at the top) or after it (`jeq l, K, out; ja top`, or `jne l, K, top` closing the loop), K a constant or a
 * register. Both strings end within the input; a planted fault puts the end of one (or both: q = r, always a
 * match) past it, or starts l past K (the test on entry fails: the loop reads on until the end of the input).
 */
export function matchLoop(ctx: LoopContext, fault?: "memory" | "budget"): ShapedLoop {
  const rng = ctx.rng;
  const len = ctx.input.length;
  const [l, kreg, a, b, x, y] = pickRegs(rng, 6);
  let k = Math.max(1, Math.min(len, rng.between(1, 40)));
  let l0 = rng.between(0, k - 1);
  let q = rng.between(0, len - k);
  let r = rng.chance(0.3) ? q : rng.between(0, len - k);
  let planted: string | undefined;
  if (fault === "memory") {
    planted = "read past the end of the input in a fact loop";
    r = q;
    if (rng.chance(0.5)) l0 = k + rng.between(0, 2);
    else q = r = len - k + 1 + rng.between(0, 2);
  }
  const boundInReg = rng.chance(0.5);
  const testFirst = rng.chance(0.3);
  const closingNe = !testFirst && rng.chance(0.5);
  const top = ctx.label(),
    out = ctx.label();
  const eq = (target: Item) => (boundInReg ? jump(0x1, l, kreg, 0, target) : jump(0x1, l, -1, k, target));
  const setup: Insn[] = [alu(0x07, 0xb0, l, 0, 0, l0)];
  if (boundInReg) setup.push(alu(0x07, 0xb0, kreg, 0, 0, k));
  setup.push(mov64x(a, INPUT_PTR), alu(0x07, 0x00, a, 0, 0, q), mov64x(b, INPUT_PTR), alu(0x07, 0x00, b, 0, 0, r));
  const reads: Insn[] = [
    mov64x(x, a),
    { op: 0x0f, dst: x, src: l, off: 0, imm: 0 },
    { op: 0x71, dst: x, src: x, off: 0, imm: 0 },
    mov64x(y, b),
    { op: 0x0f, dst: y, src: l, off: 0, imm: 0 },
    { op: 0x71, dst: y, src: y, off: 0, imm: 0 },
    jump(0x5, x, y, 0, out), // jne x, y: they differ
    alu(0x07, 0x00, l, 0, 0, 1),
  ];
  let closing: Item[];
  if (testFirst) closing = [ja(top)];
  else if (closingNe) closing = [boundInReg ? jump(0x5, l, kreg, 0, top) : jump(0x5, l, -1, k, top)];
  else closing = [eq(out), ja(top)];
  const items: Item[] = [...setup, top, ...(testFirst ? [eq(out)] : []), ...reads, ...closing, out];
  // after the loop: the address registers set to constants, as other shaped loops do
  items.push(alu(0x07, 0xb0, a, 0, 0, rng.between(0, 255)), alu(0x07, 0xb0, b, 0, 0, rng.between(0, 255)));

  // the instructions run on this input, up to the fault when one read goes past the end
  let executed = setup.length;
  for (let at = l0, trips = 0; trips <= MAX_TRIPS * 2; trips++) {
    if (testFirst) {
      executed++;
      if (at === k) break;
    }
    if (q + at >= len || r + at >= len) break;
    executed += reads.length - 1;
    if (ctx.input[q + at] !== ctx.input[r + at]) break;
    executed++;
    at++;
    executed += closing.length === 2 && at !== k ? 2 : 1;
    if (!testFirst && at === k) break;
  }
  return { items, planted, executed: executed + 1 };
}

/**
 * A selection sort's inner loop as clang lays it out (analysis/facts.ts: an index shifted to a byte offset, and m,
 * the least element's index so far, only ever i on entry or an earlier j): entered at its middle, j from i + 1, the
 * u16 at base + (m << 1) read again at the top of every trip, the loop left when j reaches n (a constant or a
 * register) or a clamp; a[j] read through the shift or through a pointer stepped next to j. Every read lies within
 * the input; a planted fault puts both n and the clamp past its end (the test on entry fails: the ordinary code
 * reads on until it faults). Now and then j starts past the clamp (the test on entry fails too).
 */
export function minLoop(ctx: LoopContext, fault?: "memory" | "budget"): ShapedLoop {
  const rng = ctx.rng;
  const half = ctx.input.length >> 1; // u16 elements in the input
  const [a, n, m, j, jn, am, tmp, prev, q] = pickRegs(rng, 9);
  if (half < 2) return factLoop(ctx, fault);
  const i0 = rng.between(0, half - 2); // reads a[i0] and a[i0 + 1] at least
  let clamp = rng.between(i0 + 2, Math.min(half, i0 + 2 + MAX_TRIPS));
  if (rng.chance(0.15)) clamp = rng.between(1, i0 + 1); // j = i0 + 2 starts past it: one trip, unversioned
  let bound = rng.chance(0.5) ? clamp : rng.between(i0 + 1, half);
  let planted: string | undefined;
  if (fault === "memory") {
    planted = "read past the end of the input in a fact loop";
    clamp = bound = half + 1 + rng.between(0, 2);
  }
  const boundInReg = rng.chance(0.5);
  const pointer = rng.chance(0.5);
  const loop = ctx.label(),
    entry = ctx.label(),
    out = ctx.label();
  const setup: Insn[] = [mov64x(a, INPUT_PTR)];
  if (boundInReg) setup.push(alu(0x07, 0xb0, n, 0, 0, bound));
  setup.push(
    alu(0x07, 0xb0, prev, 0, 0, i0),
    alu(0x07, 0xb0, jn, 0, 0, i0 + 2),
    mov64x(tmp, prev),
    alu(0x07, 0x60, tmp, 0, 0, 1),
    { op: 0x0f, dst: tmp, src: a, off: 0, imm: 0 },
    { op: 0x69, dst: am, src: tmp, off: 0, imm: 0 },
    mov64x(q, tmp),
    alu(0x07, 0x00, q, 0, 0, 2),
    ja(entry),
  );
  const top: Insn[] = [
    mov64x(prev, m),
    alu(0x07, 0x60, prev, 0, 0, 1),
    mov64x(tmp, a),
    { op: 0x0f, dst: tmp, src: prev, off: 0, imm: 0 },
    { op: 0x69, dst: am, src: tmp, off: 0, imm: 0 },
    boundInReg ? jump(JGE, j, n, 0, out) : jump(JGE, j, -1, bound, out),
    alu(0x07, 0x00, q, 0, 0, 2),
    mov64x(jn, j),
    alu(0x07, 0x00, jn, 0, 0, 1),
    mov64x(prev, m),
    jump(JLT, j, -1, clamp, entry),
    ja(out),
  ];
  const readJ: Insn[] = pointer
    ? [{ op: 0x69, dst: tmp, src: q, off: 0, imm: 0 }]
    : [
        mov64x(tmp, m),
        alu(0x07, 0x60, tmp, 0, 0, 1),
        { op: 0x0f, dst: tmp, src: a, off: 0, imm: 0 },
        { op: 0x69, dst: tmp, src: tmp, off: 0, imm: 0 },
      ];
  const middle: Insn[] = [
    mov64x(j, jn),
    alu(0x04, 0x50, am, 0, 0, 0xffff),
    mov64x(m, j),
    alu(0x07, 0x00, m, 0, 0, -1),
    ...readJ,
    { ...jump(JLT, tmp, am, 0, loop), op: 0x06 | (JLT << 4) | 8 }, // jlt32 a[j] < a[m]: m = j
    mov64x(m, prev),
    ja(loop),
  ];
  const items: Item[] = [...setup, loop, ...top, entry, ...middle, out];
  // after the loop: the address registers set to constants, as other shaped loops do
  for (const r of [a, tmp, q]) items.push(alu(0x07, 0xb0, r, 0, 0, rng.between(0, 255)));

  // the instructions run on this input, up to the fault when a read goes past the end
  const u16 = (x: number) => ctx.input[2 * x] | (ctx.input[2 * x + 1] << 8);
  const readable = (x: number) => 2 * x + 2 <= ctx.input.length;
  let executed = setup.length - 1; // (to the `ja entry`: the fault, if any, is read before it)
  if (!readable(i0)) return { items, planted, executed: executed + 1 };
  executed++;
  let jv = i0 + 2,
    amv = u16(i0),
    mv = i0,
    prevv = i0;
  for (let trips = 0; trips <= MAX_TRIPS * 2; trips++) {
    mv = jv - 1;
    executed += 4 + readJ.length;
    if (!readable(mv)) break;
    executed++;
    if (!(u16(mv) < amv)) {
      mv = prevv;
      executed += 2;
    }
    executed += 5;
    if (!readable(mv)) break;
    amv = u16(mv);
    executed++;
    if (jv >= bound) break;
    executed += 5;
    prevv = mv;
    if (!(jv < clamp)) {
      executed++;
      break;
    }
    jv++;
  }
  return { items, planted, executed: executed + 1 };
}
