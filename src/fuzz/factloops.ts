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
  JLE = 0xb,
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
