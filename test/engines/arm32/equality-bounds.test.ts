// Loops bounded by an equality test on their counter, on the ARM32 translator (assembly/arm32/analysis/facts.ts):
// clang turns `while (l < 32 && a[q + l] == a[p + l]) l++` into `l++; if (l == 32) break`, and the window loop
// around it, `for (q = p - 256; q < p; q++)`, into `if (q == p) break; ...; q++`. A counter stepped by 1 towards K
// from at most K stays below it: the loop is versioned on that, the counter's entry value tested on entry. A match
// loop on its own (the test on the counter before or after its step, against a constant or a register, `jeq` out
// or `jne` back), and a window of match searches whose inner counter starts at 0 on every entry (one test for the
// whole window: the window's counter below p, the match's below K, their sum's accesses in [data, data + p + K)),
// must get a copy whose code calls no memory check; generated loops of both shapes, with starts past the bound
// (the entry test fails: the ordinary code runs, and reads until the data differs or the input ends) and reaches
// past the input's end, must give the r0 (or the fault) of test/support/asm-model.ts and the interpreter's, with
// and without a budget.
import { describe, it, expect, beforeAll } from "vitest";
import { assemble } from "../../../src/tools/asm.js";
import { arm32Listing } from "../../../src/engines/arm32/build.js";
import { copyRuns, ensureArm32Translator, expectCopyWithoutChecks } from "../../support/arm32.js";
import { type Shape, outcomes, rng } from "../../support/generated-runs.js";
import { expectModelAgreement, modelRun as model, withBudgetCases } from "../../support/asm-model.js";

beforeAll(ensureArm32Translator);

interface Match {
  q: number; // the two strings compared: data + q and data + r
  r: number;
  l0: number; // the counter's start
  k: number; // its bound
  boundReg: boolean; // the bound in r9, else the constant k
  testFirst: boolean; // the test before the step (`while (l != k)`), else after it
  closingNe: boolean; // (test after the step) `jne l, k, loop` closes the loop, else `jeq l, k, out; ja loop`
  length: number;
  period: number; // the input repeats with this period (long matches where q - r is a multiple of it)
}

/** The match loop: from `loop:` to its closing jump; r0 the length reached, folded with the input. */
function matchProgram(m: Match): string {
  const bound = m.boundReg ? "%r9" : `${m.k}`;
  const lines = ["mov %r0, 0", `mov %r8, ${m.l0}`, `mov %r9, ${m.k}`, "mov %r6, %r1", `add %r6, ${m.q}`];
  lines.push("mov %r7, %r1", `add %r7, ${m.r}`, "loop:");
  if (m.testFirst) lines.push(`jeq %r8, ${bound}, out`);
  lines.push("mov %r4, %r6", "add %r4, %r8", "ldxb %r4, [%r4+0]", "mov %r5, %r7", "add %r5, %r8", "ldxb %r5, [%r5+0]");
  lines.push("jne %r4, %r5, out", "add %r8, 1");
  if (m.testFirst) lines.push("ja loop");
  else if (m.closingNe) lines.push(`jne %r8, ${bound}, loop`);
  else lines.push(`jeq %r8, ${bound}, out`, "ja loop");
  lines.push("out:", "mov %r0, %r8", "mul %r0, 31", "ldxb %r2, [%r1+0]", "add %r0, %r2", "exit");
  return lines.join("\n");
}

interface Window {
  p: number; // the window's end: q runs from q0 while q != p
  q0: number;
  l0: number; // the match counter's start on every entry
  k: number; // its bound (a constant)
  length: number;
  period: number;
  overJa?: boolean; // the match's test jumps over its closing `ja` alone (a counted loop of loops.ts, tested itself)
}

/**
 * lz_match's window of match searches as clang lays it out (the match's length kept in r6: k when it ran to the
 * bound): the outer loop from its `ja` to `ja qloop`.
 */
function windowProgram(w: Window): string {
  return [
    "mov %r0, 0",
    `mov %r3, ${w.p}`,
    `mov %r5, ${w.q0}`,
    "mov %r2, %r1",
    "add %r2, %r3",
    "ja qtest",
    "qloop:",
    "add %r5, 1",
    "qtest:",
    "jeq %r5, %r3, done",
    "mov %r9, %r1",
    "add %r9, %r5",
    `mov %r8, ${w.l0}`,
    "inner:",
    "mov %r7, %r9",
    "add %r7, %r8",
    "mov %r4, %r2",
    "add %r4, %r8",
    "ldxb %r4, [%r4+0]",
    "ldxb %r7, [%r7+0]",
    "jne %r7, %r4, mismatch",
    `mov %r6, ${w.k}`,
    "add %r8, 1",
    `jeq %r8, ${w.k}, ${w.overJa ? "mismatch" : "ended"}`,
    "ja inner",
    "mismatch:",
    "mov %r6, %r8",
    "ended:",
    "mul %r0, 7",
    "add %r0, %r6",
    "ja qloop",
    "done:",
    "exit",
  ].join("\n");
}

/** `length` bytes repeating with `period`, one in about 12 changed: matches of a few to some dozens of bytes. */
function periodicInput(length: number, period: number, seed: number): Uint8Array {
  const rand = rng(seed);
  const base = Array.from({ length: period }, () => Math.floor(rand() * 256));
  return Uint8Array.from({ length }, (_, i) => (rand() < 0.08 ? Math.floor(rand() * 256) : base[i % period]));
}

const matchShape = (m: Match, seed: number): Shape => ({
  source: matchProgram(m),
  input: periodicInput(m.length, m.period, seed),
});
const windowShape = (w: Window, seed: number): Shape => ({
  source: windowProgram(w),
  input: periodicInput(w.length, w.period, seed),
});

const MATCH: Match = {
  q: 0,
  r: 8,
  l0: 0,
  k: 32,
  boundReg: false,
  testFirst: false,
  closingNe: false,
  length: 64,
  period: 8,
};
const WINDOW: Window = { p: 48, q0: 16, l0: 0, k: 8, length: 64, period: 4 };

/** The instruction index of label `name` in a program (no lddw in these). */
function labelAt(source: string, name: string): number {
  const lines = source.split("\n");
  return lines.slice(0, lines.indexOf(`${name}:`)).filter((l) => !l.endsWith(":")).length;
}

/** The match loop's first and last instruction. */
function matchRange(m: Match): [number, number] {
  const source = matchProgram(m);
  return [labelAt(source, "loop"), labelAt(source, "out") - 1];
}

/** The window loop's: its `ja qtest` to its `ja qloop`. */
function windowRange(w: Window): [number, number] {
  const source = windowProgram(w);
  return [labelAt(source, "qloop") - 1, labelAt(source, "done") - 1];
}

describe("loops bounded by an equality test on their counter", () => {
  it("a match loop gets one test on entry and a copy without memory checks", () => {
    for (const m of [
      MATCH,
      { ...MATCH, boundReg: true },
      { ...MATCH, testFirst: true },
      { ...MATCH, testFirst: true, boundReg: true },
      { ...MATCH, closingNe: true },
      { ...MATCH, closingNe: true, boundReg: true },
    ])
      expectCopyWithoutChecks(matchProgram(m), matchRange(m));
  });

  it("a window of match searches gets one test for both loops", () => {
    const [first, last] = windowRange(WINDOW);
    expectCopyWithoutChecks(windowProgram(WINDOW), [first, last]);
    // the match loop inside has no test of its own
    const tests = arm32Listing(assemble(windowProgram(WINDOW)), { budget: 0 }).match(
      /; loop \d+-\d+: the test on entry/g,
    );
    expect(tests).toEqual([`; loop ${first}-${last}: the test on entry`]);
  });

  it("runs the copy when the loop stays in the input, and the ordinary code when its counter starts past the bound", () => {
    const cases: { source: string; input: Uint8Array; range: [number, number]; copy: boolean }[] = [
      { ...matchShape(MATCH, 3), range: matchRange(MATCH), copy: true },
      { ...matchShape({ ...MATCH, l0: 33 }, 3), range: matchRange(MATCH), copy: false },
      { ...windowShape(WINDOW, 4), range: windowRange(WINDOW), copy: true },
      { ...windowShape({ ...WINDOW, q0: 49 }, 4), range: windowRange(WINDOW), copy: false },
    ];
    for (const c of cases) {
      expect(copyRuns(assemble(c.source), c.input, c.range), c.source).toBe(c.copy);
    }
  });

  it("generated loops give the model's r0 or fault, as the interpreter, with and without a budget", async () => {
    const rand = rng(20261207);
    const int = (n: number) => Math.floor(rand() * n);
    const shapes: Shape[] = [];
    for (let s = 0; s < 28; s++) {
      const length = 16 + int(48);
      const k = 1 + int(40);
      // a start at or past the bound in one case of about six (the entry test fails)
      const l0 = rand() < 0.17 ? k + int(3) : int(k);
      const m: Match = {
        q: int(length),
        r: int(length),
        l0,
        k,
        boundReg: rand() < 0.5,
        testFirst: rand() < 0.3,
        closingNe: rand() < 0.5,
        length,
        period: 1 + int(8),
      };
      shapes.push(matchShape(m, s + 1));
    }
    for (let s = 0; s < 20; s++) {
      const length = 24 + int(40);
      const p = int(length + 4);
      const k = 1 + int(12);
      // q0 past p in one case of about six: q runs on until it reads past the input
      const q0 = rand() < 0.17 ? p + 1 + int(4) : Math.max(0, p - 1 - int(24));
      const l0 = rand() < 0.15 ? k + int(2) : 0;
      shapes.push(windowShape({ p, q0, l0, k, length, period: 1 + int(6), overJa: rand() < 0.3 }, 100 + s));
    }
    // the edges: a match reaching the input's last byte, and one past it; a window whose last match does
    shapes.push(
      matchShape({ ...MATCH, q: 0, r: 32, k: 32, period: 32 }, 201),
      matchShape({ ...MATCH, q: 0, r: 33, k: 32, period: 33 }, 202),
      windowShape({ ...WINDOW, p: 56, k: 8, period: 1 }, 203),
      windowShape({ ...WINDOW, p: 57, k: 8, period: 1 }, 204),
    );
    const results = await outcomes(withBudgetCases(shapes), model);
    expectModelAgreement(results);
  }, 180_000);
});
