// A loop copy keeps eBPF registers in the scratch registers r0-r3 its code names nowhere (jit/borrowed.ts): wc's
// loop (clang's layout) keeps its line count and the input's length there instead of loading them from the register
// file each trip. Its counts are checked against a count made here, and generated loops with more live registers
// than r4-r10 and ip hold (64-bit sums, 32-bit values, immediates, exits from the middle, loads past the input,
// budgets) against the interpreter and the model of test/support/asm-model.ts (BigInt, from the eBPF semantics).
import { beforeAll, describe, expect, it } from "vitest";
import { assemble } from "../../../src/tools/asm.js";
import { arm32Listing } from "../../../src/engines/arm32/build.js";
import { codeOf, ensureArm32Translator } from "../../support/arm32.js";
import { type Shape, outcomes, rng } from "../../support/generated-runs.js";
import { disagreeingWithModel, modelRun, withBudgetCases } from "../../support/asm-model.js";

beforeAll(ensureArm32Translator);

// wc (bench/kernels/c/wc.c) as clang -O2 lays it out; r2 = the input's length, set first
const WC = (len: number) => `mov %r2, ${len}
mov %r0, 0
jeq %r2, 0, done
mov32 %r5, 0
mov %r3, 0
mov %r4, 0
ja first
word:
add %r3, %r7
or32 %r6, %r5
xor32 %r6, -1
and %r6, 1
add %r0, %r6
xor32 %r5, 1
add %r4, 1
jlt %r4, %r2, first
ja done
first:
mov32 %r6, %r5
mov %r5, %r1
add %r5, %r4
ldxb %r8, [%r5+0]
mov32 %r5, 1
mov32 %r7, 1
jeq32 %r8, 10, nl
mov32 %r7, 0
nl:
jeq32 %r8, 32, word
mov32 %r9, %r8
add32 %r9, -9
and32 %r9, 255
jlt32 %r9, 2, word
jeq32 %r8, 13, word
mov32 %r5, 0
ja word
done:
lsh %r3, 40
lsh %r0, 20
or %r0, %r3
or %r0, %r2
exit`;

const TEXT = new TextEncoder().encode("two words\tand\r\nthree more  lines\nof text, some  spaced\n\n end");

/** wc's result counted here: lines << 40 | words << 20 | bytes. */
function wcModel(text: Uint8Array): string {
  let lines = 0n;
  let words = 0n;
  let inWord = false;
  for (const c of text) {
    if (c === 10) lines++;
    const space = c === 32 || c === 10 || c === 9 || c === 13;
    if (!space && !inWord) words++;
    inWord = !space;
  }
  const M = (1n << 64n) - 1n;
  return `r0 = 0x${(((lines << 40n) | (words << 20n) | BigInt(text.length)) & M).toString(16)}`;
}

const INPUT = Uint8Array.from({ length: 256 }, (_, i) => (i * 61 + 7) & 0xff);

/**
 * A loop over 48 bytes of r1 with ten registers live: 64-bit sums (r0, r3) and 32-bit values (r4, r5, r7, r8),
 * the index r9 and a bound r2 kept in a register; 64-bit and 32-bit operations, an exit from the middle, a load
 * past the input where `pastEnd`; r0 = a fold of all after it.
 */
function generate(seed: number, pastEnd: boolean): Shape {
  const rand = rng(seed);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rand() * xs.length)];
  const lines = [`lddw %r0, 0x${Math.floor(rand() * 2 ** 32).toString(16)}fffff000`, "mov %r3, -5", "mov %r2, 48"];
  for (const r of [4, 5, 7, 8]) lines.push(`mov32 %r${r}, ${Math.floor(rand() * 1000)}`);
  lines.push("mov %r9, 0", "loop:", "mov %r6, %r1", "add %r6, %r9", `ldxb %r6, [%r6+${pastEnd ? 230 : 0}]`);
  const narrow = [4, 5, 6, 7, 8];
  for (let n = 0; n < 10; n++) {
    const k = rand();
    const d = pick([0, 3]);
    if (k < 0.3) lines.push(`${pick(["add", "sub", "xor"])} %r${d}, %r${pick([...narrow, 0, 3])}`);
    else if (k < 0.4) lines.push(`${pick(["add", "sub"])} %r${d}, ${pick([1, 255, -9, 0x12345])}`);
    else if (k < 0.5) lines.push(`${pick(["lsh", "rsh", "arsh"])} %r${d}, ${pick([1, 3, 33])}`);
    else if (k < 0.8) lines.push(`${pick(["add32", "xor32", "sub32"])} %r${pick([4, 5, 7, 8])}, %r${pick(narrow)}`);
    else if (k < 0.87) lines.push(`jeq %r${pick(narrow)}, %r${pick(narrow)}, out`);
    else lines.push(`jgt %r${d}, %r${pick(narrow)}, skip${n}`, `add %r${d}, %r6`, `skip${n}:`);
  }
  lines.push("add %r9, 1", "jlt %r9, %r2, loop", "out:");
  for (const r of [2, 3, 4, 5, 6, 7, 8, 9]) lines.push("mul %r0, 1000003", `add %r0, %r${r}`);
  lines.push("exit");
  return { source: lines.join("\n"), input: INPUT };
}

describe("a loop copy keeps registers in the scratch registers it leaves alone", () => {
  it("wc's copy reads its length and adds to its line count in ARM registers", () => {
    const listing = arm32Listing(assemble(WC(TEXT.length)), { budget: 0 });
    const body = codeOf(listing, 7, 14, true); // add %r3, %r7 ... jlt %r4, %r2 in the copy
    expect(body.length).toBeGreaterThan(0);
    // no load of r2 or r3 (slots 0x10, 0x18) from the register file in the trip's code
    expect(
      body.filter((l) => /\[r11, #(0x10|0x18|16|24)\]/.test(l)),
      body.join("\n"),
    ).toEqual([]);
  });

  it("wc's counts, as counted here, on both engines", async () => {
    const expected = wcModel(TEXT);
    const results = await outcomes(
      [{ name: "wc", shape: { source: WC(TEXT.length), input: TEXT }, budget: 0 }],
      modelRun,
    );
    expect(results.map((r) => [r.interp, r.arm32])).toEqual([[expected, expected]]);
  });

  it("generated loops with ten live registers: the model's r0 on both engines", async () => {
    const shapes = Array.from({ length: 40 }, (_, k) => generate(k + 1, k % 5 == 4));
    const results = await outcomes(withBudgetCases(shapes), modelRun);
    expect(disagreeingWithModel(results)).toEqual([]);
  }, 180_000);
});
