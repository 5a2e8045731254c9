// 64-bit counters whose high word lives in the register file (assembly/arm32/jit/carryhigh.ts): a loop's copy
// keeps more registers than ARM registers hold, so a u64 sum of narrow values (16 bits at most) keeps its low word
// alone in an ARM register; its add is ADDS and a branch over the register file's update of the high word (LDR,
// ADD #1, STR), taken unless it carries. The listing of a byte counter's loop shows that update; generated loops
// add and subtract bytes, 32-bit values and immediates (both signs) to counters starting next to a carry (or a
// borrow), read their high words right after (a product, a shift), exit from the middle, load past the input and
// run out of budget, and r0 is checked against the interpreter and the model of test/support/asm-model.ts
// (BigInt, from the eBPF semantics).
import { beforeAll, describe, expect, it } from "vitest";
import { assemble } from "../../../src/tools/asm.js";
import { arm32Listing } from "../../../src/engines/arm32/build.js";
import { codeOf, ensureArm32Translator } from "../../support/arm32.js";
import { type Shape, outcomes, rng } from "../../support/generated-runs.js";
import { disagreeingWithModel, modelRun, withBudgetCases } from "../../support/asm-model.js";

beforeAll(ensureArm32Translator);

const INPUT = Uint8Array.from({ length: 256 }, (_, i) => (i * 97 + 13) & 0xff);

// wc's shape: bytes, lines (r0) and words (r3) counted in 64 bits, more registers live than ARM registers hold;
// r0 starts 300 below a carry into its high word
const COUNTS = `lddw %r0, 0x00000007fffffed4
lddw %r3, 0x0000000200000000
mov %r4, 0
mov %r5, 0
mov %r2, 0
loop:
mov %r6, %r1
add %r6, %r4
ldxb %r6, [%r6+0]
mov32 %r7, %r6
and32 %r7, 1
add %r0, %r6
mov32 %r8, %r6
rsh32 %r8, 4
xor32 %r5, %r8
mov32 %r9, %r5
and32 %r9, 7
add32 %r2, %r9
add %r3, %r7
add %r4, 1
jlt %r4, 200, loop
lsh %r3, 20
xor %r0, %r3
xor %r0, %r2
xor %r0, %r5
exit`;

/**
 * A loop of 40 trips over bytes of r1: counters r0 and r3 start next to a carry or a borrow of their low word and
 * take 32-bit values (the byte, a 32-bit result) and immediates of both signs, added or subtracted, and 64-bit
 * operations that read their high word; r4-r9 hold
 * 32-bit values so that more registers are live than ARM registers; an exit from the middle, a load past the input
 * where `pastEnd`; r0 = a fold of all after it.
 */
function generate(seed: number, pastEnd: boolean): Shape {
  const rand = rng(seed);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rand() * xs.length)];
  const near = () => pick(["00000003fffff", "00000000fffff", "0000000000000", "fffffffffffff", "8000000000000"]);
  const start = () => `${near()}${(0x100 + Math.floor(rand() * 0xf00)).toString(16)}`;
  const lines = [`lddw %r0, 0x${start()}`, `lddw %r3, 0x${start()}`];
  for (const r of [4, 5, 7, 8]) lines.push(`mov32 %r${r}, ${Math.floor(rand() * 1000)}`);
  lines.push("mov %r9, 0", "loop:", "mov %r6, %r1", "add %r6, %r9", `ldxb %r6, [%r6+${pastEnd ? 230 : 0}]`);
  const narrow = [4, 5, 6, 7, 8];
  for (let n = 0; n < 10; n++) {
    const d = pick([0, 3]);
    const k = rand();
    if (k < 0.3) lines.push(`${pick(["add", "sub"])} %r${d}, %r${pick(narrow)}`);
    else if (k < 0.45) lines.push(`${pick(["add", "sub"])} %r${d}, ${pick([1, 7, 255, -1, -9, 0x12345, -0x54321])}`);
    else if (k < 0.55)
      lines.push(`${pick(["mul", "lsh", "xor"])} %r${d}, ${pick([3, 1, 0x10001])}`); // its high word read
    else if (k < 0.8) lines.push(`${pick(["add32", "xor32", "mul32"])} %r${pick([4, 5, 7, 8])}, %r${pick(narrow)}`);
    else if (k < 0.85) lines.push(`jeq %r${pick(narrow)}, %r${pick(narrow)}, out`);
    else lines.push(`jgt %r${d}, %r${pick(narrow)}, skip${n}`, `add %r${d}, %r6`, `skip${n}:`);
  }
  lines.push("add %r9, 1", "jlt %r9, 40, loop", "out:");
  for (const r of [3, 4, 5, 6, 7, 8, 9]) lines.push("mul %r0, 1000003", `add %r0, %r${r}`);
  lines.push("exit");
  return { source: lines.join("\n"), input: INPUT };
}

describe("64-bit counters whose high word is in the register file", () => {
  it("a count's add reaches its high word only on a carry", () => {
    const listing = arm32Listing(assemble(COUNTS), { budget: 0 });
    const body = codeOf(listing, 7, 21, true); // the loop's copy up to its back edge
    const update = body.findIndex((l) => /^ldr\s+r1, \[r11/.test(l));
    expect(update).toBeGreaterThan(1);
    expect(body[update - 2]).toMatch(/^adds\s+r([4-9]|10|12), /); // the low word in the copy's ARM register
    expect(body[update - 1]).toMatch(/^blo\s/);
    expect(body[update + 1]).toMatch(/^add\s+r1, r1, #1$/);
    expect(body[update + 2]).toMatch(/^str\s+r1, \[r11/);
  });

  it("the counts BigInt computes, on both engines", async () => {
    const M = (1n << 64n) - 1n;
    let [r0, r2, r3, r5] = [0x00000007fffffed4n, 0n, 0x0000000200000000n, 0n];
    for (let i = 0; i < 200; i++) {
      const b = BigInt(INPUT[i]);
      r0 = (r0 + b) & M;
      r5 ^= b >> 4n;
      r2 = (r2 + (r5 & 7n)) & 0xffffffffn;
      r3 = (r3 + (b & 1n)) & M;
    }
    const expected = `r0 = 0x${(r0 ^ ((r3 << 20n) & M) ^ r2 ^ r5).toString(16)}`;
    const results = await outcomes([{ name: "counts", shape: { source: COUNTS, input: INPUT }, budget: 0 }], modelRun);
    expect(results.map((r) => [r.model, r.interp, r.arm32])).toEqual([[expected, expected, expected]]);
  });

  it("generated counters next to a carry: the model's r0 on both engines", async () => {
    const shapes = Array.from({ length: 40 }, (_, k) => generate(k + 1, k % 5 == 4));
    const results = await outcomes(withBudgetCases(shapes), modelRun);
    expect(disagreeingWithModel(results)).toEqual([]);
    // some of them update a high word in the register file after a carry (or a borrow) in their copy (7 of the
    // 40; the others keep both words of their counters in ARM registers, or neither)
    const update = /\b(add|sub)\s+r1, r1, #1\n\s+[0-9a-f]+:\s+[0-9a-f]+\s+str\s+r1, \[r11/;
    const carried = shapes.filter((s) => update.test(arm32Listing(assemble(s.source), { budget: 0 })));
    expect(carried.length).toBeGreaterThan(4);
  }, 180_000);
});
