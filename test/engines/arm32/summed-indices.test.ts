// Reads at `p + i + j` guarded by a compare of `i + j`, on the ARM32 translator (assembly/arm32/analysis/facts.ts):
// clang computes `i + j` for the test of `while (j <= need && i + j < len && (p[i + j] & 0xc0) == 0x80) j++` and
// `p + i` once before the inner loop, then `(p + i) + j` for the read. The analysis knows the two sums are one value
// (noteSum, sumAgain), across the inner loop's head, where `p + i` and i are renamed together (renamedAlike), and
// through blocks with one way in: the loop over the code points, with the inner loop of continuation bytes in it,
// is versioned with both reads unchecked. Generated programs of that shape (a UTF-8 counter as clang -O2 lays it
// out), with the bound past the input's end in some (a read past it: the entry test fails and the ordinary code
// faults), must give the r0 (or the fault) of test/support/asm-model.ts and the interpreter's, with and without a
// budget.
import { describe, it, expect, beforeAll } from "vitest";
import { assemble } from "../../../src/tools/asm.js";
import { copyRuns, ensureArm32Translator, expectCopyWithoutChecks } from "../../support/arm32.js";
import { type Shape, outcomes, rng } from "../../support/generated-runs.js";
import { expectModelAgreement, modelRun as model, withBudgetCases } from "../../support/asm-model.js";

beforeAll(ensureArm32Translator);

interface Counter {
  len: number; // the bound of i and of i + j (r2), at most the input's length or past it
  swapped: boolean; // the read's address as j + (p + i) (`mov r9, r8; add r9, r7`), else (p + i) + j
  off: number; // the read at [r9 + off], the sum compared being i + j + off (`i + j + off < len`)
  length: number;
}

/** The counter: r3 the bad sequences, r0 the code points, folded into r0 on the way out. */
function counterProgram(k: Counter): string {
  const read = k.swapped ? ["mov %r9, %r8", "add %r9, %r7"] : ["mov %r9, %r7", "add %r9, %r8"];
  return [
    "mov %r0, 0",
    `mov %r2, ${k.len}`,
    "jeq %r2, 0, end",
    "mov %r3, 0",
    "mov %r4, 0",
    "ja head",
    "ascii:",
    "add %r6, %r4",
    "add %r0, 1",
    "mov %r4, %r6",
    "jlt %r6, %r2, head",
    "done:",
    "lsh %r0, 32",
    "or %r0, %r3",
    "ja end",
    "head:",
    "mov %r5, %r1",
    "add %r5, %r4",
    "mov %r6, 1",
    "ldxb %r7, [%r5+0]",
    "mov32 %r5, %r7",
    "lsh32 %r5, 24",
    "arsh32 %r5, 24",
    "jsgt32 %r5, -1, ascii",
    "mov %r5, 3",
    "jgt32 %r7, 239, lead",
    "mov %r5, 2",
    "jgt32 %r7, 223, lead",
    "mov %r5, 1",
    "jlt32 %r7, 192, invalid",
    "lead:",
    "mov %r7, %r1",
    "add %r7, %r4",
    "inner:",
    "mov %r8, %r6",
    "mov %r6, %r4",
    "add %r6, %r8",
    `add %r6, ${k.off}`,
    "jge %r6, %r2, short",
    ...read,
    `ldxb %r9, [%r9+${k.off}]`,
    "and32 %r9, 192",
    "jne32 %r9, 128, short",
    "mov %r6, %r8",
    "add %r6, 1",
    "jlt %r8, %r5, inner",
    "ja ascii",
    "short:",
    "sub %r6, " + k.off,
    "add %r3, 1",
    "mov %r4, %r6",
    "jlt %r6, %r2, head",
    "ja done",
    "invalid:",
    "add %r4, 1",
    "add %r3, 1",
    "jlt %r4, %r2, head",
    "ja done",
    "end:",
    "exit",
  ].join("\n");
}

/** The instruction index of label `name` (no lddw in these programs). */
function labelAt(source: string, name: string): number {
  const lines = source.split("\n");
  return lines.slice(0, lines.indexOf(`${name}:`)).filter((l) => !l.endsWith(":")).length;
}

/** The loop over code points: its `ja head` to the last `ja done`. */
function counterRange(k: Counter): [number, number] {
  const source = counterProgram(k);
  return [labelAt(source, "ascii") - 1, labelAt(source, "end") - 1];
}

/** Text of `length` bytes: ASCII, lead bytes of 2 to 4 byte sequences, continuation bytes, some cut short. */
function utf8ish(length: number, seed: number): Uint8Array {
  const rand = rng(seed);
  const pick = () => {
    const x = rand();
    if (x < 0.3) return Math.floor(rand() * 128);
    if (x < 0.6) return 0x80 + Math.floor(rand() * 64);
    if (x < 0.75) return 0xc0 + Math.floor(rand() * 32);
    if (x < 0.9) return 0xe0 + Math.floor(rand() * 16);
    return 0xf0 + Math.floor(rand() * 16);
  };
  return Uint8Array.from({ length }, pick);
}

const counterShape = (k: Counter, seed: number): Shape => ({
  source: counterProgram(k),
  input: utf8ish(k.length, seed),
});

const COUNTER: Counter = { len: 64, swapped: false, off: 0, length: 64 };

describe("reads at p + i + j guarded by a compare of i + j", () => {
  it("the loop over code points gets one test on entry and a copy without memory checks", () => {
    for (const k of [COUNTER, { ...COUNTER, swapped: true }, { ...COUNTER, off: 1 }, { ...COUNTER, off: 3 }])
      expectCopyWithoutChecks(counterProgram(k), counterRange(k));
  });

  it("runs the copy when the bound lies in the input, and the ordinary code when it lies past it", () => {
    expect(copyRuns(assemble(counterProgram(COUNTER)), utf8ish(64, 5), counterRange(COUNTER))).toBe(true);
    const past = { ...COUNTER, len: 80 };
    expect(copyRuns(assemble(counterProgram(past)), utf8ish(64, 5), counterRange(past))).toBe(false);
  });

  it("generated counters give the model's r0 or fault, as the interpreter, with and without a budget", async () => {
    const rand = rng(20261208);
    const int = (n: number) => Math.floor(rand() * n);
    const shapes: Shape[] = [];
    for (let s = 0; s < 36; s++) {
      const length = 8 + int(56);
      // the bound past the input's end in about one case of four: some read past it faults
      const len = rand() < 0.25 ? length + 1 + int(6) : 1 + int(length);
      shapes.push(counterShape({ len, swapped: rand() < 0.5, off: int(4), length }, s + 1));
    }
    // the edges: a sequence cut by the input's end, a bound one past it with a sequence running to the end
    shapes.push(
      { source: counterProgram({ ...COUNTER, len: 4 }), input: Uint8Array.from([0x41, 0xf0, 0x80, 0x80]) },
      { source: counterProgram({ ...COUNTER, len: 5 }), input: Uint8Array.from([0x41, 0xf0, 0x80, 0x80]) },
      { source: counterProgram({ ...COUNTER, len: 5, off: 2 }), input: Uint8Array.from([0x41, 0xf0, 0x80, 0x80]) },
    );
    const results = await outcomes(withBudgetCases(shapes), model);
    // (half the runs have a budget that runs out: r0 comes from fewer than a third)
    expectModelAgreement(results, 4);
  }, 180_000);
});
