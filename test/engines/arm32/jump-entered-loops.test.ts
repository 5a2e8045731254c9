// Loops entered by a jump into their middle from elsewhere than just before their head, on the ARM32 translator
// (assembly/arm32/analysis/loops.ts loopEntryJump): clang lays out a loop that follows another so that the first
// loop's exit path, inside the first loop's range, ends with `ja` into the second loop's body, past its head
// (`for (i = 0; i < n; i++) { ... } mean = sum / n; for (i = 0; i < n; i++) { ... }`), or puts the loop before the
// code that enters it. The test on entry goes right after that `ja`'s ordinary code, where the `ja` then goes, and
// the copy is entered where the `ja` went: such a loop must get a copy whose code calls no memory check, run it when
// its accesses stay in the input, and run the ordinary code when they do not; generated loops of both layouts, with
// counts past the input (a fault inside the second loop, or inside the first), and a register the loop reads where
// it is entered but writes first at its head (its value on entry is seen: tested, not taken as zero-extended), must
// give the r0 (or the fault) of test/support/asm-model.ts and the interpreter's, with and without a budget.
import { describe, it, expect, beforeAll } from "vitest";
import { assemble } from "../../../src/tools/asm.js";
import { arm32Listing } from "../../../src/engines/arm32/build.js";
import { copyRuns, ensureArm32Translator, expectCopyWithoutChecks } from "../../support/arm32.js";
import { type Shape, outcomes, randomInputShape, rng } from "../../support/generated-runs.js";
import { expectModelAgreement, modelRun as model, withBudgetCases } from "../../support/asm-model.js";

beforeAll(ensureArm32Translator);

interface Scans {
  n1: number; // the first loop's count of words
  n2: number; // the second loop's
  off: number; // the second loop's loads at r1 + off
  inside: boolean; // the `ja` into the second loop ends the first loop's exit path, inside its range (else: after it)
  over?: boolean; // a conditional jump just before that `ja` skips it (not versioned: a jump over a jump)
  carried?: boolean; // r9 enters with a high word of 1, read in the body before the head's block writes it
  length: number;
}

/**
 * Two scans of u32 words: a sum (and the larger words' count), then each word's distance to the sum, shifted and
 * summed (stats' second loop), entered at its body by a `ja` from after the first loop.
 */
function scansProgram(s: Scans): string {
  const setUp = ["mov %r0, 0", "mov %r7, 0", ...(s.carried ? ["lddw %r9, 0x100000005"] : [])];
  const into = s.over ? ["jne %r3, 1, over", "ja body2", "over:", "ja done"] : ["ja body2"];
  const second = [
    "latch2:",
    ...(s.carried ? ["mov32 %r9, %r8"] : []),
    "rsh %r5, 3",
    "add %r7, %r5",
    "add %r1, 4",
    "add %r0, 1",
    "jlt %r0, %r4, body2",
    "done:",
    "mov %r0, %r7",
    "add %r0, %r3",
    "exit",
    "body2:",
    `ldxw %r8, [%r1+${s.off}]`,
    ...(s.carried ? ["add %r7, %r9"] : []),
    "mov %r5, %r8",
    "sub %r5, %r3",
    "jlt %r3, %r8, latch2",
    "mov %r5, %r3",
    "sub %r5, %r8",
    "ja latch2",
  ];
  const lines = ["mov %r0, 0", "mov %r6, %r1", "mov %r3, 0", "mov %r9, 0", `mov %r2, ${s.n1}`, `mov %r4, ${s.n2}`];
  if (s.inside) {
    // the first loop entered at its body; its exit path (the second loop's set-up and the `ja`) before the body
    lines.push("ja body1", "latch1:", "add %r3, %r9", "add %r6, 4", "add %r0, 1", "jlt %r0, %r2, body1");
    lines.push(...setUp, ...into, "body1:", "ldxw %r9, [%r6+0]", "jgt %r9, %r3, latch1", "and %r9, 255", "ja latch1");
    lines.push(...second);
  } else {
    // the second loop first, the first loop after it (none when n1 is 0), then the `ja` back into the second one
    lines.push("ja start1", ...second, "start1:", "jeq %r2, 0, empty");
    lines.push("loop1:", "ldxw %r9, [%r6+0]", "add %r3, %r9", "add %r6, 4", "add %r0, 1", "jlt %r0, %r2, loop1");
    lines.push(...setUp, ...into, "empty:", "mov %r0, 7", "exit");
  }
  return lines.join("\n");
}

/** The instruction index of label `name` in a program (lddw takes two). */
function labelAt(source: string, name: string): number {
  const lines = source.split("\n");
  const before = lines.slice(0, lines.indexOf(`${name}:`)).filter((l) => !l.endsWith(":"));
  return before.length + before.filter((l) => l.startsWith("lddw")).length;
}

/** The second loop's first and last instruction: latch2 to the `ja latch2` closing its body. */
function secondRange(s: Scans): [number, number] {
  const source = scansProgram(s);
  return [labelAt(source, "latch2"), labelAt(source, "body2") + (s.carried ? 7 : 6)];
}

const scansShape = (s: Scans, seed: number): Shape => randomInputShape(scansProgram(s), s.length, seed);

const INSIDE: Scans = { n1: 16, n2: 16, off: 0, inside: true, length: 64 };
const AFTER: Scans = { ...INSIDE, inside: false };

describe("loops entered by a jump into their middle", () => {
  it("get one test on entry and a copy without memory checks", () => {
    for (const s of [INSIDE, AFTER, { ...INSIDE, off: 8 }, { ...AFTER, off: 4 }])
      expectCopyWithoutChecks(scansProgram(s), secondRange(s));
  });

  it("but not when a conditional jump skips the `ja` that enters", () => {
    for (const s of [
      { ...INSIDE, over: true },
      { ...AFTER, over: true },
    ]) {
      const [first, last] = secondRange(s);
      expect(arm32Listing(assemble(scansProgram(s)), { budget: 0 })).not.toContain(`; loop ${first}-${last}:`);
    }
  });

  it("runs the copy when the loop stays in the input, and the ordinary code when it reads past it", () => {
    const cases: { s: Scans; copy: boolean }[] = [
      { s: INSIDE, copy: true },
      { s: AFTER, copy: true },
      { s: { ...INSIDE, n2: 17 }, copy: false },
      { s: { ...AFTER, off: 4 }, copy: false },
    ];
    for (const { s, copy } of cases) {
      expect(copyRuns(assemble(scansProgram(s)), scansShape(s, 5).input, secondRange(s)), scansProgram(s)).toBe(copy);
    }
  });

  it("generated loops give the model's r0 or fault, as the interpreter, with and without a budget", async () => {
    const rand = rng(20261208);
    const int = (n: number) => Math.floor(rand() * n);
    const shapes: Shape[] = [];
    for (let k = 0; k < 36; k++) {
      const length = 8 + 4 * int(16);
      const words = length / 4;
      const off = 4 * int(3);
      // counts past the input in about one case of five: a fault in the first loop, or in the second
      const n1 = rand() < 0.1 ? words + 1 + int(3) : int(words + 1);
      const n2 = rand() < 0.2 ? words - off / 4 + 1 + int(3) : 1 + int(Math.max(1, words - off / 4));
      const s: Scans = { n1, n2, off, inside: rand() < 0.5, over: rand() < 0.15, carried: rand() < 0.3, length };
      shapes.push(scansShape(s, 300 + k));
    }
    // the edges: the second loop's last load the input's last word, and one word past it
    shapes.push(scansShape({ ...INSIDE, n2: 16 }, 401), scansShape({ ...INSIDE, n2: 17 }, 402));
    shapes.push(scansShape({ ...AFTER, off: 4, n2: 15 }, 403), scansShape({ ...AFTER, off: 4, n2: 16 }, 404));
    // a register read where the loop is entered, dead at its head: its entry value is tested, not assumed
    shapes.push(scansShape({ ...INSIDE, carried: true }, 405), scansShape({ ...AFTER, carried: true }, 406));
    const results = await outcomes(withBudgetCases(shapes), model);
    expectModelAgreement(results, 4);
  }, 180_000);
});
