// Loops indexing an array by the counter shifted to the elements' size (`r4 = i << 2; r5 = p + r4; ldxw`, as clang
// emits `a[i]` when it keeps i), on the ARM32 translator (assembly/arm32/analysis/loops.ts accScale): the access
// is planned, the test checking iv0 << k and the span D << k below 2^32. For halfwords, words and double words,
// the copy must check nothing, return the sum a BigInt model computes, and fault, when the input ends one byte
// before the last element read, at the same instruction with the same message as the interpreter.
import { describe, it, expect, beforeAll } from "vitest";
import { assemble } from "../../../src/tools/asm.js";
import { arm32Listing, runArm32Async, translateArm32 } from "../../../src/engines/arm32/build.js";
import { codeOf, ensureArm32Translator, limited } from "../../support/arm32.js";
import { interpreterOutcome } from "../../support/generated-runs.js";

beforeAll(ensureArm32Translator);

const M64 = (1n << 64n) - 1n;
const HEAD = 3;
const LAST = 10;
const READ = 7;
const LOAD = { 1: "ldxh", 2: "ldxw", 3: "ldxdw" } as const;
type Shift = keyof typeof LOAD;

/** The sum of elements i0 .. n - 1 of 2^shift bytes at r1, indexed by i << shift: the loop is instructions 3 to 10. */
function program(shift: Shift, i0: number, n: number): string {
  return `
        mov %r0, 0
        mov %r3, ${i0}
        mov %r2, ${n}
      loop:
        mov %r4, %r3
        lsh %r4, ${shift}
        mov %r5, %r1
        add %r5, %r4
        ${LOAD[shift]} %r6, [%r5+0]
        add %r0, %r6
        add %r3, 1
        jlt %r3, %r2, loop
        exit`;
}

const bytes = (length: number) => Uint8Array.from({ length }, (_, i) => (i * 29 + 3) & 0xff);

/** The model: the sum, or the fault of the first element read outside the input. */
function model(shift: Shift, i0: number, n: number, length: number): string {
  const mem = bytes(length);
  const size = 1 << shift;
  let sum = 0n;
  for (let i = i0; ; ) {
    const at = i * size;
    if (at + size > length)
      return `out-of-bounds read of ${size} bytes at context+0x${at.toString(16)} (instruction ${READ})`;
    let v = 0n;
    for (let b = size - 1; b >= 0; b--) v = (v << 8n) | BigInt(mem[at + b]);
    sum = (sum + v) & M64;
    if (++i >= n) return `r0 = ${sum}`;
  }
}

const interpret = (code: Uint8Array, length: number) => interpreterOutcome(code, bytes(length));

describe("ARM32: an array indexed by the counter shifted to the elements' size", () => {
  it("is planned: the copy checks nothing", () => {
    for (const shift of [1, 2, 3] as const) {
      const code = assemble(program(shift, 0, 40));
      expect(translateArm32(code, { budget: 0 }).copies.map((c) => [c.head, c.last])).toEqual([[HEAD, LAST]]);
      const copy = codeOf(arm32Listing(code, { budget: 0 }), HEAD, LAST, true);
      expect(copy.length).toBeGreaterThan(0);
      expect(copy.filter((l) => /^bl([a-z]{2})?\s/.test(l))).toEqual([]); // bl, bllo, ...: a call; not blo
    }
  });

  it("returns what the model computes, and faults one byte short where the interpreter does", async () => {
    const runs: { shift: Shift; i0: number; n: number; length: number }[] = [];
    for (const shift of [1, 2, 3] as const) {
      for (const [i0, n] of [
        [0, 1],
        [0, 9],
        [3, 40],
        [39, 40],
      ]) {
        runs.push({ shift, i0, n, length: n << shift }); // the last element ends at the input's end
        runs.push({ shift, i0, n, length: (n << shift) - 1 }); // one byte short
      }
    }
    const results = await limited(
      runs.map((r) => async () => {
        const code = assemble(program(r.shift, r.i0, r.n));
        const arm = await runArm32Async(code, bytes(r.length));
        return {
          run: `shift=${r.shift} i0=${r.i0} n=${r.n} length=${r.length}`,
          want: model(r.shift, r.i0, r.n, r.length),
          interp: interpret(code, r.length),
          got: "r0" in arm ? `r0 = ${arm.r0}` : arm.fault,
        };
      }),
    );
    expect(results.filter((r) => r.got !== r.want || r.interp !== r.want)).toEqual([]);
    expect(results.filter((r) => r.want.startsWith("out-of-bounds")).length).toBe(12);
  });

  it("runs the ordinary code when iv0 << k wraps around 32 bits (the copy would read at the input's start)", async () => {
    const runs = [
      { shift: 3, i0: 2 ** 29 },
      { shift: 2, i0: 2 ** 30 },
    ] as const;
    const results = await limited(
      runs.map((r) => async () => {
        const code = assemble(program(r.shift, r.i0, r.i0 + 2));
        const arm = await runArm32Async(code, bytes(64));
        return {
          run: `shift=${r.shift} i0=${r.i0}`,
          interp: interpret(code, 64),
          got: "r0" in arm ? `r0 = ${arm.r0}` : arm.fault,
        };
      }),
    );
    expect(results.filter((r) => r.got !== r.interp || !r.interp.includes(`(instruction ${READ})`))).toEqual([]);
  });
});
