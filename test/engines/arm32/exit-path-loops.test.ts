// Loops entered in their middle whose exit path lies inside their instruction range, between the exit test and the
// body (analysis/exitpaths.ts): clang -O2's layout of `for (i = 0; i < n; i++) { v = a[i]; cur = max(cur + v, v);
// best = max(best, cur); } return best;` (the exit test falls through into `exit`, which the check before the loop
// jumps to as well), or of a loop whose result is finished after it (a few operations, then `ja` to the
// epilogue). The range holds an exit, or a jump out besides the exit test, yet the loop is versioned: its copy
// leaves for the ordinary code where the exit path starts. Generated runs end inside the input, at its end or past
// it, with and without a budget (running out in the loop, or in the exit path): r0 from the model (BigInt, from the
// eBPF semantics), the same fault on the interpreter and the ARM32 executable.
import { beforeAll, describe, expect, it } from "vitest";
import { assemble } from "../../../src/tools/asm.js";
import { arm32Listing } from "../../../src/engines/arm32/build.js";
import { codeOf, ensureArm32Translator } from "../../support/arm32.js";
import { type Case, type Shape, outcomes, rng } from "../../support/generated-runs.js";
import { MODEL_OUT, disagreeingWithModel, modelLength, modelRun } from "../../support/asm-model.js";

beforeAll(ensureArm32Translator);

interface Walk {
  n: number; // 16-bit values read
  fold: boolean; // the exit path finishes the result and jumps to the epilogue (else it is `exit` alone)
}

const LINES = (w: Walk) => [
  "mov %r0, 0",
  `mov %r2, ${w.n}`,
  "jlt %r2, 1, done", // no values: the exit path straight away
  "mov %r5, 0",
  "mov %r3, 0",
  "mov %r4, 0",
  "ja body",
  "latch:",
  "add %r1, 2",
  "add %r3, 1",
  "mov %r5, %r0",
  "jlt %r3, %r2, body",
  "done:",
  ...(w.fold ? ["mul %r0, 3", "add %r0, %r4", "ja out"] : ["exit"]),
  "body:",
  "ldxh %r0, [%r1+0]",
  "lsh %r0, 48",
  "arsh %r0, 48",
  "add %r4, %r0",
  "jsgt %r4, %r0, keep",
  "mov %r4, %r0",
  "keep:",
  "mov %r0, %r4",
  "jsgt %r4, %r5, latch",
  "mov %r0, %r5",
  "ja latch",
  ...(w.fold ? ["out:", "add %r0, 7", "exit"] : []),
];

/** The instruction index of the first line starting with `text`. */
const index = (w: Walk, text: string) =>
  LINES(w)
    .filter((l) => !l.endsWith(":"))
    .findIndex((l) => l.startsWith(text));

describe("a loop entered in its middle with its exit path inside its range", () => {
  it("is versioned: the test on entry, a copy whose load has no check and which leaves at the exit path", () => {
    for (const fold of [false, true]) {
      const w: Walk = { n: 100, fold };
      const listing = arm32Listing(assemble(LINES(w).join("\n")), { budget: 0 });
      expect(listing).toMatch(/; loop 6-\d+: the test on entry, then the copy without checks/);
      const load = index(w, "ldxh");
      const copied = codeOf(listing, load, load + 1, true);
      expect(copied.some((l) => /^ldrs?h /.test(l))).toBe(true); // LDRSH when a sign extension follows (extend.ts)
      expect(copied.filter((l) => /^bl/.test(l))).toEqual([]); // no call to the check
      // the exit path's copy: a branch to the ordinary code, none of its own operations
      const exitPath = codeOf(listing, index(w, "mul") >= 0 ? index(w, "mul") : index(w, "exit"), load, true);
      expect(exitPath.filter((l) => /^(mul|add|bl)/.test(l))).toEqual([]);
      expect(exitPath.at(-1)).toMatch(/^b\s/);
    }
  });

  it("generated runs ending inside the input, at its end or past it, with and without a budget", async () => {
    const rand = rng(91);
    const cases: Case[] = [];
    for (let k = 0; k < 40; k++) {
      const w: Walk = { n: [0, 1, 2, 7, 40, 150][k % 6], fold: k % 2 === 1 };
      const past = [0, 0, 1, 2, -4][k % 5]; // bytes missing at the end (negative: more than needed)
      const input = Uint8Array.from({ length: Math.max(0, 2 * w.n - past) }, () => Math.floor(rand() * 256));
      const shape: Shape = { source: LINES(w).join("\n"), input };
      const length = modelLength(shape);
      cases.push({ name: `${k} ${JSON.stringify(w)} past ${past}`, shape, budget: 0 });
      // a budget running out in the loop, in the exit path, or at the last instruction
      for (const budget of [Math.floor(length * 0.6), length - 3, length - 1]) {
        if (budget > 0) cases.push({ name: `${k} ${JSON.stringify(w)} past ${past}, budget ${budget}`, shape, budget });
      }
    }
    const results = await outcomes(cases, (source, input, budget) => modelRun(source, input, budget));
    expect(results.filter((r) => r.model.startsWith("r0 = ")).length).toBeGreaterThan(20);
    expect(results.filter((r) => r.model === MODEL_OUT).length).toBeGreaterThan(10);
    expect(results.filter((r) => r.model.startsWith("instruction budget")).length).toBeGreaterThan(40);
    expect(disagreeingWithModel(results)).toEqual([]);
  }, 300_000);
});
