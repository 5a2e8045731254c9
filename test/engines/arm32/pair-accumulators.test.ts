// 64-bit sums in loop copies: the dot product of two halves of 16-bit vectors as clang -O2 lays it out (a signed
// product sign-extended into one u64 sum, a square into another), checked against a sum computed here, and
// generated loops of the same kind (sums of products, sign extensions, shifts by constants across a pair, exits
// and loads past the input, budgets) against the interpreter and the BigInt model of test/support/asm-model.ts.
// They cover the copy's choice of scratch registers (jit/borrowed.ts, versioned.ts), which such loops stress: many
// registers live, two words each for the sums.
import { beforeAll, describe, expect, it } from "vitest";
import { ensureArm32Translator } from "../../support/arm32.js";
import { type Shape, outcomes, rng } from "../../support/generated-runs.js";
import { disagreeingWithModel, modelRun, withBudgetCases } from "../../support/asm-model.js";

beforeAll(ensureArm32Translator);

// r2 = the input's length; sums over its two halves as 16-bit vectors (instructions 7-23 the loop)
const DOT = (len: number) => `mov %r2, ${len}
mov %r0, 0
jlt %r2, 4, done
rsh %r2, 2
mov %r3, 0
mov %r4, %r2
lsh %r4, 1
mov %r5, 0
loop:
mov %r6, %r1
add %r6, %r4
ldxh %r6, [%r6+0]
lsh32 %r6, 16
arsh32 %r6, 16
ldxh %r7, [%r1+0]
lsh32 %r7, 16
arsh32 %r7, 16
mul32 %r6, %r7
mul32 %r7, %r7
add %r0, %r7
lsh %r6, 32
arsh %r6, 32
add %r5, %r6
add %r1, 2
add %r3, 1
jlt %r3, %r2, loop
lsh %r0, 3
xor %r0, %r5
done:
exit`;

const INPUT = Uint8Array.from({ length: 96 }, (_, i) => (i * 151 + 89) & 0xff);

/** The dot product's result computed here: dot ^ (squares << 3), the halves read as signed 16-bit words. */
function dotModel(input: Uint8Array): string {
  const M = (1n << 64n) - 1n;
  const n = Math.floor(input.length / 4);
  const word = (k: number) => BigInt(((input[2 * k] | (input[2 * k + 1] << 8)) << 16) >> 16);
  let dot = 0n;
  let sq = 0n;
  for (let i = 0; i < n; i++) {
    dot += word(i) * word(i + n);
    sq += word(i) * word(i);
  }
  if (n === 0) return "r0 = 0x0";
  return `r0 = 0x${((dot & M) ^ ((sq << 3n) & M)).toString(16)}`;
}

/**
 * A loop over 16-bit words of r1 (as many as `trips`), with up to three u64 sums (r0, r5, r8) fed by products of
 * the words (32- and 64-bit), their sign extensions, shifts of a sum by constants across its words, adds and
 * subtracts of narrow values; a load past the input where `pastEnd`, an exit from the middle now and then; r0 = a
 * fold of the sums after it.
 */
function generate(seed: number, pastEnd: boolean): Shape {
  const rand = rng(seed);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rand() * xs.length)];
  const sums = [0, 5, 8].slice(0, 1 + Math.floor(rand() * 3));
  const trips = 8 + Math.floor(rand() * 20); // (the last word read at 40 + 2 * 26, within the input)
  const lines = [
    `lddw %r0, 0x${Math.floor(rand() * 2 ** 32).toString(16)}fffff000`,
    "mov %r5, -3",
    `lddw %r8, 0x7fffffff${Math.floor(rand() * 2 ** 32)
      .toString(16)
      .padStart(8, "0")}`,
    `mov %r2, ${trips}`,
    "mov %r3, 0",
    "mov %r4, 40",
    "loop:",
    "mov %r6, %r1",
    "add %r6, %r4",
    `ldxh %r6, [%r6+${pastEnd ? 100 : 0}]`,
    "lsh32 %r6, 16",
    "arsh32 %r6, 16",
    "ldxh %r7, [%r1+0]",
    "lsh32 %r7, 16",
    "arsh32 %r7, 16",
  ];
  const steps = 3 + Math.floor(rand() * 6);
  for (let n = 0; n < steps; n++) {
    const s = pick(sums);
    const k = rand();
    if (k < 0.25) lines.push(`${pick(["mul32", "mul"])} %r${pick([6, 7])}, %r${pick([6, 7])}`);
    else if (k < 0.4) lines.push("mov %r9, %r6", "lsh %r9, 32", "arsh %r9, 32", `${pick(["add", "sub"])} %r${s}, %r9`);
    else if (k < 0.6) lines.push(`${pick(["add", "sub", "xor"])} %r${s}, %r${pick([6, 7, ...sums])}`);
    else if (k < 0.72) lines.push(`${pick(["lsh", "rsh", "arsh"])} %r${s}, ${pick([1, 3, 31, 32, 33, 63])}`);
    else if (k < 0.84) lines.push(`${pick(["add", "sub"])} %r${s}, ${pick([1, 255, -9, 0x12345])}`);
    else if (k < 0.9) lines.push(`jeq %r6, %r7, out`);
    else lines.push(`jsgt %r${s}, %r6, skip${n}`, `add %r${s}, %r7`, `skip${n}:`);
  }
  lines.push("add %r1, 2", "add %r3, 1", "jlt %r3, %r2, loop", "out:");
  for (const r of [3, 5, 6, 7, 8]) lines.push("mul %r0, 1000003", `add %r0, %r${r}`);
  lines.push("exit");
  return { source: lines.join("\n"), input: INPUT };
}

describe("64-bit sums in loop copies", () => {
  it("the dot product, as computed here, on both engines, with and without a budget", async () => {
    const expected = dotModel(INPUT);
    const shape = { source: DOT(INPUT.length), input: INPUT };
    const results = await outcomes(withBudgetCases([shape]), modelRun);
    expect(results[0].model).toBe(expected);
    expect(disagreeingWithModel(results)).toEqual([]);
  });

  it("generated loops of 64-bit sums: the model's r0 or fault on both engines", async () => {
    const shapes = Array.from({ length: 40 }, (_, k) => generate(k + 1, k % 5 == 4));
    const results = await outcomes(withBudgetCases(shapes), modelRun);
    expect(disagreeingWithModel(results)).toEqual([]);
    // both kinds of run: r0, and loads past the input
    expect(results.filter((r) => r.model.startsWith("r0 =")).length).toBeGreaterThan(20);
    expect(results.filter((r) => r.model.startsWith("a load")).length).toBeGreaterThan(4);
  }, 240_000);
});
