// Pointers stepped next to a counter in loops analysis/facts.ts versions, on the ARM32 translator
// (analysis/strides.ts): clang keeps `&a[j]` of `for (j = i + 1; j < n; j++) if (a[j] < a[m]) m = j` in a register
// bumped by the element's size in the block that bumps j (a copy of it, the loop rotated), the bound on j alone.
// The counter's bound at the trip's start (here the clamp `n = min(n, K)`) bounds the pointer: the copy reads a[j]
// without a check. The shapes: selection sorts over u8, u16, u32 and u64 (the pointer stepped 1, 2, 4 or 8 a trip
// next to a counter stepped by 1), searches for the minimum of each suffix stepped by 2 (the pointer 2, 4, 8 or 16 a
// trip), each with several clamps; a Shell sort and an insertion sort over u32 with a gap as clang lays them out.
// Every generated program, with lengths past the input (reads past it fault) and budgets, gives the r0 or fault
// of test/support/asm-model.ts and the interpreter's.
import { describe, it, expect, beforeAll } from "vitest";
import { assemble } from "../../../src/tools/asm.js";
import { arm32Listing } from "../../../src/engines/arm32/build.js";
import { codeOf, copyRuns, ensureArm32Translator, expectCopyWithoutChecks } from "../../support/arm32.js";
import { type Shape, outcomes, rng } from "../../support/generated-runs.js";
import { expectModelAgreement, modelRun as model, withBudgetCases } from "../../support/asm-model.js";

beforeAll(ensureArm32Translator);

const SIZES = ["b", "h", "w", "dw"]; // by log2 of the element's bytes

interface Sort {
  log2: number; // the element's size: 1 << log2 bytes
  clamp: number; // n = min(len >> log2, clamp)
  len: number; // the length the program is given (r2): past the input's, its reads fault
}

/** The element's zero extension after its load, as clang leaves it before a 32-bit compare. */
const extend = (log2: number) => ["and32 %r8, 255", "and32 %r8, 65535", "mov32 %r8, %r8", "mov32 %r8, %r8"][log2];

/**
 * bench/kernels/c/sel_sort.c as clang lays it out (its element type and clamp changed), then the position-weighted
 * sum: the inner loop from the `ja next` before `inner:` to the `ja inner` before `sum:`.
 */
function selectionSort(s: Sort): string {
  const sz = SIZES[s.log2];
  const step = 1 << s.log2;
  return [
    `lddw %r2, ${s.len}`,
    "mov %r6, %r1",
    "mov %r3, %r2",
    `rsh %r3, ${s.log2}`,
    "stxdw [%r10-40], %r2",
    `jlt %r2, ${2 << s.log2}, sum`,
    "mov %r4, 0",
    "mov %r2, 1",
    "mov %r0, 2",
    "mov %r9, %r6",
    `add %r9, ${step}`,
    "ja outer",
    "swap:",
    `stx${sz} [%r2+0], %r8`,
    "ldxdw %r2, [%r10-32]",
    `stx${sz} [%r1+0], %r2`,
    "ldxdw %r4, [%r10-24]",
    "mov %r2, %r4",
    "add %r2, 1",
    "ldxdw %r0, [%r10-8]",
    "ldxdw %r9, [%r10-16]",
    "jge %r2, %r3, sum",
    `add %r9, ${step}`,
    "add %r0, 1",
    `jlt %r2, ${s.clamp}, outer`,
    "ja sum",
    "outer:",
    "stxdw [%r10-24], %r2",
    "mov %r1, %r4",
    `lsh %r1, ${s.log2}`,
    "mov %r2, %r6",
    "add %r2, %r1",
    `ldx${sz} %r8, [%r2+0]`,
    "stxdw [%r10-16], %r9",
    "stxdw [%r10-8], %r0",
    "stxdw [%r10-32], %r8",
    "ja next",
    "inner:",
    "mov %r4, %r7",
    `lsh %r4, ${s.log2}`,
    "mov %r1, %r6",
    "add %r1, %r4",
    `ldx${sz} %r8, [%r1+0]`,
    "jge %r5, %r3, swap",
    `add %r9, ${step}`,
    "mov %r0, %r5",
    "add %r0, 1",
    "mov %r4, %r7",
    `jlt %r5, ${s.clamp}, next`,
    "ja swap",
    "next:",
    "mov %r5, %r0",
    extend(s.log2),
    "mov %r7, %r5",
    "add %r7, -1",
    `ldx${sz} %r1, [%r9+0]`,
    "jlt32 %r1, %r8, inner",
    "mov %r7, %r4",
    "ja inner",
    "sum:",
    "mov %r0, 0",
    "ldxdw %r1, [%r10-40]",
    `jlt %r1, ${1 << s.log2}, done`,
    "mov %r1, 0",
    "mov %r4, 1",
    "weigh:",
    "mov %r2, %r4",
    `ldx${sz} %r4, [%r6+0]`,
    "mov %r0, %r2",
    "mul %r0, %r4",
    "add %r0, %r1",
    "jge %r2, %r3, done",
    `add %r6, ${step}`,
    "mov %r4, %r2",
    "add %r4, 1",
    "mov %r1, %r0",
    `jlt %r2, ${s.clamp}, weigh`,
    "done:",
    "exit",
  ].join("\n");
}

/**
 * `for (i = 0; i + 1 < n; i += 2) { m = i; for (j = i + 1; j < n; j++) if (a[j] < a[m]) m = j; s += m; }` (n =
 * min(len >> log2, clamp)) as clang lays it out: the inner loop's pointer stepped by the element's size next to j,
 * the outer loop's by twice it next to i.
 */
function minSearches(s: Sort): string {
  const sz = SIZES[s.log2];
  const step = 1 << s.log2;
  return [
    `lddw %r2, ${s.len}`,
    "mov %r6, 0",
    `jlt %r2, ${2 << s.log2}, done`,
    `rsh %r2, ${s.log2}`,
    "mov %r3, 0",
    "mov %r8, 2",
    "mov %r5, %r1",
    `add %r5, ${step}`,
    "mov %r4, 0",
    "ja outer",
    "after:",
    "ldxdw %r4, [%r10-16]",
    "add %r6, %r4",
    "mov %r7, %r3",
    "add %r7, 3",
    "ldxdw %r8, [%r10-8]",
    "jge %r7, %r2, done",
    `add %r5, ${2 * step}`,
    "add %r8, 2",
    "add %r3, 2",
    "mov %r4, %r6",
    `jlt %r7, ${s.clamp}, outer`,
    "ja done",
    "outer:",
    "stxdw [%r10-16], %r4",
    "mov %r7, %r5",
    "stxdw [%r10-8], %r8",
    "mov %r9, %r3",
    "ja next",
    "inner:",
    "jge %r0, %r2, after",
    `add %r7, ${step}`,
    "mov %r8, %r0",
    "add %r8, 1",
    "mov %r9, %r6",
    `jlt %r0, ${s.clamp}, next`,
    "ja after",
    "next:",
    "mov %r0, %r8",
    "mov %r6, %r9",
    `lsh %r6, ${s.log2}`,
    "mov %r8, %r1",
    "add %r8, %r6",
    `ldx${sz} %r8, [%r8+0]`,
    "mov %r6, %r0",
    "add %r6, -1",
    `ldx${sz} %r4, [%r7+0]`,
    "jlt32 %r4, %r8, inner",
    "mov %r6, %r9",
    "ja inner",
    "done:",
    "mov %r0, %r6",
    "exit",
  ].join("\n");
}

/**
 * `for (gap = 7; gap > 0; gap /= 2) for (i = gap; i < n; i++) { v = a[i]; j = i; while (j >= gap && a[j - gap] > v)
 * { a[j] = a[j - gap]; j -= gap; } a[j] = v; }` over u32 (n = min(len / 4, clamp)) as clang unrolls it, then a hash
 * of the result: one pass per gap, the inner loop's pointer stepped down by 4 * gap next to j.
 */
function shellSort(len: number, clamp: number): string {
  const pass = (gap: number, label: string, next: string) =>
    gap === 1
      ? [
          `jlt %r2, 8, ${next}`,
          "mov %r4, 1",
          "mov %r5, %r1",
          "add %r5, 4",
          `ja ${label}start`,
          `${label}inner:`,
          "ldxw %r9, [%r6-4]",
          "mov %r8, %r7",
          `jle32 %r9, %r0, ${label}place`,
          "add %r7, -1",
          "stxw [%r6+0], %r9",
          "mov %r8, 0",
          "add %r6, -4",
          `jne %r7, 0, ${label}inner`,
          `${label}place:`,
          "lsh %r8, 2",
          "mov %r6, %r1",
          "add %r6, %r8",
          "stxw [%r6+0], %r0",
          "add %r4, 1",
          `jge %r4, %r3, ${next}`,
          "add %r5, 4",
          `jlt %r4, ${clamp}, ${label}start`,
          `ja ${next}`,
          `${label}start:`,
          "mov %r0, %r4",
          "lsh %r0, 2",
          "mov %r6, %r1",
          "add %r6, %r0",
          "ldxw %r0, [%r6+0]",
          "mov %r6, %r5",
          "mov %r7, %r4",
          `ja ${label}inner`,
        ]
      : [
          `jlt %r2, ${4 * (gap + 1)}, ${next}`,
          `mov %r4, ${gap}`,
          "mov %r5, %r1",
          `ja ${label}start`,
          `${label}inner:`,
          "ldxw %r8, [%r7+0]",
          `jle32 %r8, %r0, ${label}place`,
          `add %r6, ${-gap}`,
          `stxw [%r7+${4 * gap}], %r8`,
          `add %r7, ${-4 * gap}`,
          `jgt %r6, ${gap - 1}, ${label}inner`,
          `${label}place:`,
          "lsh %r6, 2",
          "mov %r7, %r1",
          "add %r7, %r6",
          "stxw [%r7+0], %r0",
          "add %r4, 1",
          `jge %r4, %r3, ${next}`,
          "add %r5, 4",
          `jlt %r4, ${clamp}, ${label}start`,
          `ja ${next}`,
          `${label}start:`,
          "mov %r0, %r4",
          "lsh %r0, 2",
          "mov %r6, %r1",
          "add %r6, %r0",
          "ldxw %r0, [%r6+0]",
          "mov %r7, %r5",
          "mov %r6, %r4",
          `ja ${label}inner`,
        ];
  return [
    `lddw %r2, ${len}`,
    "mov %r3, %r2",
    "rsh %r3, 2",
    ...pass(7, "g7", "pass3"),
    "pass3:",
    ...pass(3, "g3", "pass1"),
    "pass1:",
    ...pass(1, "g1", "hash"),
    "hash:",
    "mov %r0, 0",
    "jlt %r2, 4, done",
    "mov %r4, 1",
    "hashloop:",
    "mov %r2, %r4",
    "mul %r0, 31",
    "ldxw %r4, [%r1+0]",
    "add %r0, %r4",
    "jge %r2, %r3, done",
    "add %r1, 4",
    "mov %r4, %r2",
    "add %r4, 1",
    `jlt %r2, ${clamp}, hashloop`,
    "done:",
    "exit",
  ].join("\n");
}

/** Insertion sort over u32 with a gap of 4 (clang's layout), then a[0] + a[n - 1]. */
function gapInsertionSort(len: number): string {
  return [
    `lddw %r2, ${len}`,
    "mov %r3, %r2",
    "rsh %r3, 2",
    "jlt %r2, 20, tail",
    "mov %r2, 4",
    "mov %r4, %r1",
    "add %r4, 16",
    "ja start",
    "inner:",
    "ldxw %r7, [%r6-16]",
    "jle32 %r7, %r5, place",
    "add %r0, -4",
    "stxw [%r6+0], %r7",
    "add %r6, -16",
    "jgt %r0, 3, inner",
    "place:",
    "lsh %r0, 2",
    "mov %r6, %r1",
    "add %r6, %r0",
    "stxw [%r6+0], %r5",
    "add %r4, 4",
    "add %r2, 1",
    "jlt %r2, %r3, start",
    "tail:",
    "lsh %r3, 2",
    "mov %r2, %r1",
    "add %r2, %r3",
    "ldxw %r0, [%r2-4]",
    "ldxw %r1, [%r1+0]",
    "add32 %r0, %r1",
    "exit",
    "start:",
    "mov %r5, %r2",
    "lsh %r5, 2",
    "mov %r0, %r1",
    "add %r0, %r5",
    "ldxw %r5, [%r0+0]",
    "mov %r6, %r4",
    "mov %r0, %r2",
    "ja inner",
  ].join("\n");
}

/** The instruction index of label `name` (lddw takes two). */
function labelAt(source: string, name: string): number {
  const lines = source.split("\n");
  return lines
    .slice(0, lines.indexOf(`${name}:`))
    .filter((l) => !l.endsWith(":"))
    .reduce((n, l) => n + (l.startsWith("lddw") ? 2 : 1), 0);
}

/** The inner loop of a selection sort or of the minimum searches: from the `ja next` before it to its `ja inner`. */
function innerRange(source: string, end: string): [number, number] {
  return [labelAt(source, "inner") - 1, labelAt(source, end) - 1];
}

/** `length` random bytes. */
function randomBytes(length: number, seed: number): Uint8Array {
  const rand = rng(seed);
  return Uint8Array.from({ length }, () => Math.floor(rand() * 256));
}

describe("ARM32: a pointer stepped next to a bounded counter", () => {
  it("selection sorts and minimum searches of every element size read through the pointer without a check", () => {
    for (const log2 of [0, 1, 2, 3]) {
      for (const clamp of [512, 100, 7]) {
        const sort = selectionSort({ log2, clamp, len: 4096 });
        expectCopyWithoutChecks(sort, innerRange(sort, "sum"));
        const mins = minSearches({ log2, clamp, len: 4096 });
        expectCopyWithoutChecks(mins, innerRange(mins, "done"));
      }
    }
  });

  it("the counter, below its bound or the clamp at every block start, is compared by its low word alone", () => {
    // (analysis/facts.ts countersBelowBound: j < n in some blocks, j < K in others; its high word zero in the copy)
    for (const log2 of [0, 1, 2, 3]) {
      const sort = selectionSort({ log2, clamp: 512, len: 4096 });
      const test = labelAt(sort, "inner") + 5; // jge %r5, %r3, swap
      expect(sort.split("\n").filter((l) => !l.endsWith(":"))[test - 1]).toBe("jge %r5, %r3, swap");
      const code = codeOf(arm32Listing(assemble(sort), { budget: 0 }), test, test + 1, true);
      expect(code.filter((l) => l.startsWith("cmp")).length, code.join("\n")).toBe(1);
    }
  });

  it("runs the copy where the clamped elements lie in the input, the ordinary code where they do not", () => {
    for (const log2 of [1, 2]) {
      const clamp = 40;
      const whole = randomBytes(clamp << log2, 5);
      const short = randomBytes((clamp << log2) - (1 << log2), 5); // the clamp's last element past the input
      for (const source of [selectionSort({ log2, clamp, len: 4096 }), minSearches({ log2, clamp, len: 4096 })]) {
        const end = source.includes("sum:") ? "sum" : "done";
        expect(copyRuns(assemble(source), whole, innerRange(source, end)), source).toBe(true);
        expect(copyRuns(assemble(source), short, innerRange(source, end)), source).toBe(false);
      }
    }
  }, 120_000);

  it("generated sorts and searches give the model's r0 or fault, as the interpreter, with and without a budget", async () => {
    const rand = rng(20261208);
    const int = (n: number) => Math.floor(rand() * n);
    const shapes: Shape[] = [];
    for (let s = 0; s < 40; s++) {
      const log2 = int(4);
      const clamp = 1 + int(40);
      const length = int(48) << log2;
      // the program's length: the input's, or (one in three) past it, where the reads fault
      const len = rand() < 0.33 ? length + 1 + int(64) : length - int(3);
      const make = s % 2 === 0 ? selectionSort : minSearches;
      shapes.push({ source: make({ log2, clamp, len: Math.max(0, len) }), input: randomBytes(length, 300 + s) });
    }
    for (let s = 0; s < 12; s++) {
      const length = int(40) * 4;
      const len = rand() < 0.33 ? length + 4 + int(40) : length;
      shapes.push({ source: shellSort(len, 1 + int(48)), input: randomBytes(length, 400 + s) });
      shapes.push({ source: gapInsertionSort(len), input: randomBytes(length, 500 + s) });
    }
    const results = await outcomes(withBudgetCases(shapes), model);
    expectModelAgreement(results);
  }, 600_000);
});
