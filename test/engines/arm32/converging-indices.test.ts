// Two converging indices on the ARM32 engine (assembly/arm32/analysis/loops.ts convergingBound): `while (i < j) {
// t = a[i]; a[i++] = a[j]; a[j--] = t; }`, a reversal in place as clang -O2 emits it, the exit test comparing the
// index that counts up with the one that counts down. Every access lies within [i0, j0], so one test on entry
// covers the loop: the copy calls no memory check. Generated reversals (byte indices or word pointers, the test on
// i or on a copy of it, unsigned or signed, i0 and j0 anywhere in the input, past its end, or j0 = 0, where the
// ordinary code's j wraps) must give the r0 (or the fault) of test/support/asm-model.ts and the interpreter's, also
// under a budget that runs out in the loop; a `<=` test or a bound stepping down by 2 keeps the loop checked.
import { describe, it, expect, beforeAll } from "vitest";
import { assemble } from "../../../src/tools/asm.js";
import { arm32Listing } from "../../../src/engines/arm32/build.js";
import { codeOf, ensureArm32Translator } from "../../support/arm32.js";
import { type Shape, outcomes, randomInputShape, rng } from "../../support/generated-runs.js";
import { disagreeingWithModel, modelRun as model, withBudgetCases } from "../../support/asm-model.js";

beforeAll(ensureArm32Translator);

interface Reversal {
  pointer: boolean; // word pointers stepping by 4 next to the indices (clang's form), else byte indices
  copy: boolean; // the test on a copy of i taken before its step (`r9 = r5`), else on i after it
  test: "jlt" | "jslt" | "jle";
  jStep: number; // -1, or -2 (not converging by 1: stays checked)
  i0: number;
  j0: number;
  length: number;
}

/** The program: the reversal (its loop is the instructions from `loop:` to the back edge), then a fold of the input. */
function program(p: Reversal): string {
  const lines = ["mov %r0, 0", `mov %r2, ${p.i0}`, `mov %r3, ${p.j0}`];
  if (p.pointer) lines.push("mov %r4, %r2", "lsh %r4, 2", "add %r4, %r1", "mov %r6, %r3", "lsh %r6, 2", "add %r6, %r1");
  lines.push("loop:");
  if (p.copy) lines.push("mov %r8, %r2");
  if (!p.pointer) lines.push("mov %r4, %r1", "add %r4, %r2", "mov %r6, %r1", "add %r6, %r3");
  const size = p.pointer ? "w" : "b";
  lines.push(
    `ldx${size} %r5, [%r4+0]`,
    `ldx${size} %r7, [%r6+0]`,
    `stx${size} [%r4+0], %r7`,
    `stx${size} [%r6+0], %r5`,
  );
  lines.push("mul %r0, 31", "add %r0, %r5");
  lines.push("add %r2, 1", `add %r3, ${p.jStep}`);
  if (p.pointer) lines.push("add %r4, 4", `add %r6, ${4 * p.jStep}`);
  lines.push(`${p.test} %r${p.copy ? 8 : 2}, %r3, loop`);
  // every byte of the input, folded into r0: the stores must have landed where the model put them
  lines.push("mov %r2, 0", "fold:", "mov %r4, %r1", "add %r4, %r2", "ldxb %r5, [%r4+0]", "mul %r0, 31");
  lines.push("add %r0, %r5", "add %r2, 1", `jlt %r2, ${p.length}, fold`, "exit");
  return lines.join("\n");
}

function shape(p: Reversal, seed: number): Shape {
  return randomInputShape(program(p), p.length, seed);
}

/** Random reversals: mostly inside the input, some reaching one element past its end, some with j0 = 0. */
function randomReversal(rand: () => number): Reversal {
  const pointer = rand() < 0.5;
  const length = 8 * (4 + Math.floor(rand() * 20));
  const elements = pointer ? length / 4 : length;
  const roll = rand();
  const j0 = roll < 0.1 ? 0 : roll < 0.25 ? elements : Math.floor(rand() * elements);
  return {
    pointer,
    copy: rand() < 0.5,
    test: (["jlt", "jlt", "jslt", "jle"] as const)[Math.floor(rand() * 4)],
    jStep: rand() < 0.85 ? -1 : -2,
    i0: Math.floor(rand() * Math.max(1, j0 + 2)),
    j0,
    length,
  };
}

const REVERSE: Reversal = { pointer: true, copy: true, test: "jlt", jStep: -1, i0: 0, j0: 15, length: 64 };

/** The loop's first and last instruction (the program's instruction indices). */
function loopRange(p: Reversal): [number, number] {
  const insns = program(p)
    .split("\n")
    .filter((l) => !l.endsWith(":"));
  const first = p.pointer ? 9 : 3;
  return [first, insns.findIndex((l) => l.startsWith(p.test))];
}

describe("two converging indices", () => {
  it("get one test on entry and a copy without memory checks", () => {
    for (const p of [
      REVERSE,
      { ...REVERSE, pointer: false },
      { ...REVERSE, copy: false },
      { ...REVERSE, test: "jslt" as const },
    ]) {
      const listing = arm32Listing(assemble(program(p)), { budget: 0 });
      const [first, last] = loopRange(p);
      expect(listing, program(p)).toContain(`; loop ${first}-${last}: the test on entry, then the copy without checks`);
      const copy = codeOf(listing, first, last, true);
      expect(copy.length).toBeGreaterThan(0);
      expect(
        copy.filter((l) => l.startsWith("bl")),
        copy.join("\n"),
      ).toEqual([]);
    }
  });

  it("stay checked when the test is `<=` or the bound steps down by more than 1", () => {
    for (const p of [
      { ...REVERSE, test: "jle" as const },
      { ...REVERSE, jStep: -2 },
    ]) {
      const listing = arm32Listing(assemble(program(p)), { budget: 0 });
      const [first, last] = loopRange(p);
      expect(listing).toMatch(/; loop \d+-\d+: the test on entry/); // (the fold after it is versioned)
      expect(listing).not.toContain(`; loop ${first}-${last}:`);
    }
  });

  it("give the model's r0 or fault, as the interpreter, with and without a budget", async () => {
    const rand = rng(20261207);
    const shapes = Array.from({ length: 40 }, (_, k) => shape(randomReversal(rand), k + 1));
    // the edges: the last element reached, one past it, j0 = 0 (B - 1 wraps in the ordinary code)
    shapes.push(
      shape({ ...REVERSE, j0: 15 }, 101),
      shape({ ...REVERSE, j0: 16 }, 102),
      shape({ ...REVERSE, j0: 0 }, 103),
    );
    shapes.push(shape({ ...REVERSE, pointer: false, i0: 3, j0: 64 }, 104), shape({ ...REVERSE, i0: 9, j0: 9 }, 105));
    const results = await outcomes(withBudgetCases(shapes), model);
    expect(disagreeingWithModel(results)).toEqual([]);
    // the cases are not all faults: most reverse inside the input
    expect(results.filter((r) => r.model.startsWith("r0 =")).length).toBeGreaterThan(results.length / 3);
  }, 120_000);
});
