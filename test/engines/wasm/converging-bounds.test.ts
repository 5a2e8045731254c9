// Counted loops whose bound moves too (assembly/wasm/counted.ts: CONVERGING): `while (i < j) { swap(p[i], p[j]);
// i++; j--; }`, reversing in place. The test before the loop computes the trips from i and j on entry; the loop runs
// its copy without checks when the region holds every access (runOn: the caches still hold the stack), and faults,
// wraps around and runs out of budget as the interpreter does whatever i, j, their steps and the test are.
import { describe, expect, it } from "vitest";
import { type Outcome, runBoth } from "../../support/wasm-runs.js";
import { rng } from "../../support/generated-runs.js";

const byteAt = (i: number) => (i * 53 + 7) & 0xff;
const M64 = (1n << 64n) - 1n;

interface Swap {
  i0: number; // the counter i, in r4, on entry
  j0: number; // the bound j, in r3
  si: number; // i's step a trip
  sj: number; // j's step a trip
  op: string; // the test that jumps back: `op i, j, loop`
}

/** Swaps p[i] and p[j] each trip, folding both bytes into r0, while `i op j` (tested after both steps). */
function swapLoop(s: Swap): string {
  return `
        mov %r0, 0
        mov %r3, ${s.j0}
        mov %r4, ${s.i0}
      loop:
        mov %r5, %r1
        add %r5, %r3
        mov %r6, %r1
        add %r6, %r4
        ldxb %r7, [%r6+0]
        ldxb %r8, [%r5+0]
        stxb [%r6+0], %r8
        stxb [%r5+0], %r7
        mul %r0, 31
        add %r0, %r7
        mul %r0, 31
        add %r0, %r8
        add %r3, ${s.sj}
        add %r4, ${s.si}
        ${s.op} %r4, %r3, loop
        exit`;
}

const signed = (v: bigint) => BigInt.asIntN(64, v);
const tests: Record<string, (a: bigint, b: bigint) => boolean> = {
  jlt: (a, b) => a < b,
  jle: (a, b) => a <= b,
  jgt: (a, b) => a > b,
  jge: (a, b) => a >= b,
  jne: (a, b) => a !== b,
  jslt: (a, b) => signed(a) < signed(b),
  jsle: (a, b) => signed(a) <= signed(b),
  jsgt: (a, b) => signed(a) > signed(b),
  jsge: (a, b) => signed(a) >= signed(b),
};

/** The model: r0 when every access lies in `bytes` bytes, else undefined; and the highest offset accessed. */
function model(s: Swap, bytes: number): { r0?: bigint; top: number } {
  const p = Array.from({ length: bytes }, (_, k) => byteAt(k));
  let i = BigInt.asUintN(64, BigInt(s.i0)),
    j = BigInt.asUintN(64, BigInt(s.j0)),
    r0 = 0n,
    top = 0;
  for (let trip = 0; trip < 10_000; trip++) {
    if (i >= BigInt(bytes) || j >= BigInt(bytes)) return { top: Number(i > j ? i : j) };
    const a = p[Number(i)],
      b = p[Number(j)];
    p[Number(i)] = b;
    p[Number(j)] = a;
    top = Math.max(top, Number(i), Number(j));
    r0 = (((r0 * 31n + BigInt(a)) & M64) * 31n + BigInt(b)) & M64;
    j = BigInt.asUintN(64, j + BigInt(s.sj));
    i = BigInt.asUintN(64, i + BigInt(s.si));
    if (!tests[s.op](i, j)) return { r0, top };
  }
  throw new Error("the model's loop did not end");
}

function same(asm: string, bytes: number, budget = 0): { out: Outcome; unchecked: boolean } {
  const w = runBoth(asm, bytes, byteAt, budget);
  return { out: w.out, unchecked: w.unchecked && w.storesUnchecked };
}

describe("counted loops whose bound steps toward the counter", () => {
  it("reverse in place without checks when the region holds both ends, and fault a byte short", () => {
    for (const s of [
      { i0: 0, j0: 9, si: 1, sj: -1, op: "jlt" },
      { i0: 0, j0: 10, si: 1, sj: -1, op: "jlt" },
      { i0: 2, j0: 40, si: 1, sj: -1, op: "jle" },
      { i0: 0, j0: 33, si: 2, sj: -1, op: "jslt" },
      { i0: 1, j0: 29, si: 1, sj: -3, op: "jne" },
      { i0: 30, j0: 3, si: -1, sj: 2, op: "jgt" },
      { i0: 5, j0: 5, si: 1, sj: -1, op: "jlt" },
    ]) {
      const m = model(s, 64);
      const need = m.top + 1;
      const fits = same(swapLoop(s), need);
      expect(fits.out.r0, JSON.stringify(s)).toBe(model(s, need).r0);
      expect(fits.unchecked, JSON.stringify(s)).toBe(true);
      const short = same(swapLoop(s), need - 1);
      expect(short.out.error).toMatch(/out-of-bounds (read|write) .*\(instruction \d+\)/);
    }
  });

  it("a side stepping below 0 wraps in an unsigned test and goes on as the interpreter does (here: a fault)", () => {
    for (const s of [
      { i0: 0, j0: 1, si: 1, sj: -2, op: "jlt" },
      { i0: 0, j0: 2, si: 1, sj: -3, op: "jle" },
      { i0: 1, j0: 0, si: -2, sj: 1, op: "jgt" },
    ]) {
      const out = same(swapLoop(s), 64).out;
      expect(out.error, JSON.stringify(s)).toMatch(/out-of-bounds/);
      expect(model(s, 64).r0).toBeUndefined();
    }
    // a signed test ends there instead
    const s = { i0: 0, j0: 1, si: 1, sj: -2, op: "jslt" };
    expect(same(swapLoop(s), 64).out.r0).toBe(model(s, 64).r0);
  });

  it("under every budget, the loop runs out where the interpreter does", () => {
    const asm = swapLoop({ i0: 0, j0: 21, si: 1, sj: -1, op: "jlt" });
    const executed = same(asm, 22).out.executed ?? 0;
    for (let budget = 1; budget <= executed + 1; budget++) same(asm, 22, budget);
  });

  it("generated loops: starts, steps, tests and region lengths agree with the interpreter, with and without budgets", () => {
    const rand = rng(20261208);
    const pick = (n: number) => Math.floor(rand() * n);
    const ops = Object.keys(tests);
    for (let n = 0; n < 300; n++) {
      const s = {
        i0: pick(40) - 4,
        j0: pick(40) - 4,
        si: pick(7) - 3,
        sj: pick(7) - 3,
        op: ops[pick(ops.length)],
      };
      if (s.si === 0 && s.sj === 0) s.si = 1; // (else a test that holds would run forever)
      const bytes = 1 + pick(48);
      const out = same(swapLoop(s), bytes).out;
      const m = model(s, bytes);
      if (out.r0 !== undefined && m.r0 !== undefined) expect(out.r0).toBe(m.r0);
      if (n % 10 === 0) for (const budget of [1, 7, 20, 41, 95]) same(swapLoop(s), bytes, budget);
    }
  });
});
