// Loops indexed by a shifted bounded value, on the ARM32 translator (assembly/arm32/analysis/facts.ts): a selection
// sort's inner loop as clang lays it out (rotated, entered at its middle, the bound clamped by a second exit test,
// `a + (m << 1)`). Its counter j starts from the outer counter (unknown to the loop: an entry value), and m, the
// index of the least element so far, is only ever i on entry or an earlier j: a value of constant bound shifted left
// by k lies in that bound shifted by k, the entry value that m's join meets (`m = i`, another register's) is assumed
// bounded as m's other way in is, and j's lowest value on entry (past 0, so that `j - 1` stays at or past 0) is
// assumed too. The loop must get a test on entry and a copy without memory checks, its counter in an ARM register
// (its ways out test the counter alone: not a search, analysis/facts.ts loopExitsBounded) and m's high word known
// to be zero (m in [0, clamp) at every block start); generated loops of the shape
// (with a[j] read through the shift or through a pointer stepped next to j, as clang does), with starts past the
// clamp (the entry test fails) and bounds past the input's end (the ordinary code faults inside), must give the
// r0 (or the fault) of test/support/asm-model.ts and the interpreter's, with and without a budget.
import { describe, it, expect, beforeAll } from "vitest";
import { assemble } from "../../../src/tools/asm.js";
import { arm32Listing } from "../../../src/engines/arm32/build.js";
import { codeOf, copyRuns, ensureArm32Translator, expectCopyWithoutChecks } from "../../support/arm32.js";
import { type Shape, outcomes, rng } from "../../support/generated-runs.js";
import { expectModelAgreement, modelRun as model, withBudgetCases } from "../../support/asm-model.js";

beforeAll(ensureArm32Translator);

interface MinSearch {
  i: number; // the outer counter: m starts at i, j at i + 1
  clamp: number; // the second exit test: j < clamp
  n: number; // the elements (past length / 2: the loop reads past the input)
  pointer: boolean; // a[j] through a pointer stepped next to j (sel_sort's), else a + (j << 1)
  length: number;
}

/** The inner loop from its `ja entry` to its closing `ja loop`; r0 the least element's index and value, folded. */
function minProgram(s: MinSearch): string {
  const lines = [
    "mov %r6, %r1",
    `mov %r3, ${s.n}`,
    `mov %r4, ${s.i}`,
    `mov %r0, ${s.i + 2}`,
    "mov %r1, %r4",
    "lsh %r1, 1",
    "add %r1, %r6",
    "ldxh %r8, [%r1+0]",
    "mov %r9, %r1",
    "add %r9, 2",
    "ja entry",
    "loop:",
    "mov %r4, %r7",
    "lsh %r4, 1",
    "mov %r1, %r6",
    "add %r1, %r4",
    "ldxh %r8, [%r1+0]",
    "jge %r5, %r3, out",
    "add %r9, 2",
    "mov %r0, %r5",
    "add %r0, 1",
    "mov %r4, %r7",
    `jlt %r5, ${s.clamp}, entry`,
    "ja out",
    "entry:",
    "mov %r5, %r0",
    "and32 %r8, 65535",
    "mov %r7, %r5",
    "add %r7, -1",
  ];
  if (s.pointer) lines.push("ldxh %r1, [%r9+0]");
  else lines.push("mov %r1, %r7", "lsh %r1, 1", "add %r1, %r6", "ldxh %r1, [%r1+0]");
  lines.push("jlt32 %r1, %r8, loop", "mov %r7, %r4", "ja loop");
  lines.push("out:", "mov %r0, %r7", "lsh %r0, 16", "add %r0, %r8", "exit");
  return lines.join("\n");
}

/** The instruction index of label `name` in a program (no lddw in these). */
function labelAt(source: string, name: string): number {
  const lines = source.split("\n");
  return lines.slice(0, lines.indexOf(`${name}:`)).filter((l) => !l.endsWith(":")).length;
}

/** The loop's first and last instruction: its `ja entry` to its `ja loop`. */
function minRange(s: MinSearch): [number, number] {
  const source = minProgram(s);
  return [labelAt(source, "loop") - 1, labelAt(source, "out") - 1];
}

function randomInput(length: number, seed: number): Uint8Array {
  const rand = rng(seed);
  return Uint8Array.from({ length }, () => Math.floor(rand() * 256));
}

const shape = (s: MinSearch, seed: number): Shape => ({ source: minProgram(s), input: randomInput(s.length, seed) });

const SEARCH: MinSearch = { i: 3, clamp: 64, n: 64, pointer: false, length: 128 };

describe("loops indexed by a shifted bounded value", () => {
  it("a minimum search by a shifted index gets one test on entry and a copy without memory checks", () => {
    for (const s of [SEARCH, { ...SEARCH, i: 0 }, { ...SEARCH, clamp: 512, n: 512, length: 1024 }])
      expectCopyWithoutChecks(minProgram(s), minRange(s));
  });

  it("keeps the counter of a loop left only at its bound's tests in an ARM register in the copy", () => {
    // (a search, left at some other test, may run a trip or two each time: its copy keeps the ordinary code's
    // registers, jit/loopregs.ts leftEarly; this loop's ways out test j against n and the clamp alone)
    for (const s of [SEARCH, { ...SEARCH, pointer: true }]) {
      const source = minProgram(s);
      const clampTest = labelAt(source, "entry") - 2;
      const code = codeOf(arm32Listing(assemble(source), { budget: 0 }), clampTest, clampTest + 1, true);
      expect(code.length, source).toBeGreaterThan(0);
      expect(
        code.filter((l) => l.includes("[r11")),
        code.join("\n"),
      ).toEqual([]);
    }
  });

  it("knows in the copy that m's high word is zero: its shift to a byte offset moves no high word", () => {
    // (m is in [0, clamp) at every block start of the loop, analysis/facts.ts factZeroHigh: a 64-bit shift by 1
    // of a value whose high word may be set needs an ORR of the low word's top bit into it)
    for (const s of [SEARCH, { ...SEARCH, pointer: true }]) {
      const source = minProgram(s);
      const head = labelAt(source, "loop");
      const code = codeOf(arm32Listing(assemble(source), { budget: 0 }), head, head + 2, true);
      expect(code.length, source).toBeGreaterThan(0);
      expect(
        code.filter((l) => /^orr/.test(l)),
        code.join("\n"),
      ).toEqual([]);
    }
  });

  it("runs the copy when the clamp's range lies in the input, and the ordinary code when j starts past the clamp", () => {
    const cases: { s: MinSearch; copy: boolean }[] = [
      { s: SEARCH, copy: true },
      { s: { ...SEARCH, pointer: true }, copy: true },
      { s: { ...SEARCH, i: 64 }, copy: false },
      { s: { ...SEARCH, length: 100, n: 50 }, copy: false },
    ];
    for (const c of cases) {
      const code = assemble(minProgram(c.s));
      expect(copyRuns(code, randomInput(c.s.length, 5), minRange(c.s)), minProgram(c.s)).toBe(c.copy);
    }
  });

  it("generated loops give the model's r0 or fault, as the interpreter, with and without a budget", async () => {
    const rand = rng(20261208);
    const int = (n: number) => Math.floor(rand() * n);
    const shapes: Shape[] = [];
    for (let s = 0; s < 40; s++) {
      const clamp = 2 + int(80);
      const length = 2 * (1 + int(90)) + (rand() < 0.2 ? 1 : 0);
      // i past the clamp in one case of about six (the entry test fails); n past the input in one of four
      const i = rand() < 0.17 ? clamp - 1 + int(4) : int(Math.min(clamp, length / 2));
      const n = (length >> 1) + (rand() < 0.25 ? 1 + int(6) : -int(8));
      shapes.push(shape({ i, clamp, n: Math.max(0, n), pointer: rand() < 0.5, length }, s + 1));
    }
    // the edges: the clamp's range exactly the input, and one element past it
    shapes.push(
      shape({ ...SEARCH, clamp: 64, length: 128, i: 0 }, 101),
      shape({ ...SEARCH, clamp: 65, length: 128, i: 0, n: 65 }, 102),
      shape({ ...SEARCH, clamp: 65, length: 128, i: 0, n: 65, pointer: true }, 103),
    );
    const results = await outcomes(withBudgetCases(shapes), model);
    expectModelAgreement(results);
  }, 180_000);
});
