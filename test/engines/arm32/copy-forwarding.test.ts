// What scratch registers still hold inside a loop's copy (assembly/arm32/jit/step.ts, a32/code.ts holds()): a
// copy's code is entered only at its leaders (its ways out resume in the ordinary code), so a register's words
// stored from r0, r1 before a load from memory are still there after it, and the next instruction on that
// register does not load them again; nor does one that reads them as its second operand (jit/regs.ts operandLo,
// operandHi: r0 and r1 as they are). The listing of a loop over 64-bit sums (more registers than the copy keeps in
// ARM registers) shows it; generated loops of 64-bit arithmetic between loads check r0 against the interpreter
// and the model of test/support/asm-model.ts, with and without a budget.
import { beforeAll, describe, expect, it } from "vitest";
import { assemble } from "../../../src/tools/asm.js";
import { arm32Listing } from "../../../src/engines/arm32/build.js";
import { codeOf, ensureArm32Translator } from "../../support/arm32.js";
import { hexWord, outcomes, rng } from "../../support/generated-runs.js";
import { disagreeingWithModel, modelRun, withBudgetCases } from "../../support/asm-model.js";

beforeAll(ensureArm32Translator);

const INPUT = Uint8Array.from({ length: 256 }, (_, i) => (i * 151 + 29) & 0xff);
const WIDE = [0, 3, 4, 5, 6, 7, 8];

/** lddw of a 64-bit value with both words set, from `rand`. */
function wideConstant(r: number, rand: () => number): string {
  return `lddw %r${r}, 0x${hexWord(rand)}${hexWord(rand)}`;
}

/** A loop of 7 trips over 8-byte steps of r1: 64-bit sums, XORs and ORs among r0, r3-r8, loads into r2 between. */
function generate(seed: number): string {
  const rand = rng(seed);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rand() * xs.length)];
  const lines = WIDE.map((r) => wideConstant(r, rand));
  lines.push("mov %r2, 0", "mov %r9, 0", "loop:");
  for (let n = 0; n < 14; n++) {
    if (rand() < 0.3) lines.push(`ldxw %r2, [%r1+${pick([0, 4])}]`);
    const src = rand() < 0.2 ? 2 : pick(WIDE);
    lines.push(`${pick(["add", "xor", "or", "sub"])} %r${pick(WIDE)}, %r${src}`);
  }
  lines.push("add %r1, 8", "add %r9, 1", "jlt %r9, 7, loop");
  for (const r of WIDE.slice(1)) lines.push(`xor %r0, %r${r}`);
  lines.push("exit");
  return lines.join("\n");
}

// 64-bit sums r7 and r8, each used more than r4 and r5: with r0, r3 and r6 they take the copy's ARM registers, the
// scratch registers it leaves alone too (jit/borrowed.ts)
const MORE = ["mov %r7, %r0", "xor %r8, %r7", "add %r7, %r8", "xor %r8, %r0", "add %r7, %r8", "add %r0, %r7"].join(
  "\n",
);

// r4 and r5 stay in the register file in the copy (r0, r3, r6, r7 and r8 are used more); `xor %r4, %r3` stores r4
// from r0, r1, a load from the input follows, then r4 is written again and read
const SOURCE = `lddw %r0, 0x1234567887654321
lddw %r3, 0x1111111122222222
lddw %r4, 0x3333333344444444
lddw %r5, 0x5555555566666666
lddw %r6, 0x7777777788888888
mov %r9, 0
loop:
ldxw %r2, [%r1+0]
add %r0, %r2
add %r3, %r0
add %r6, %r3
xor %r0, %r6
xor %r4, %r3
ldxw %r2, [%r1+4]
add %r4, %r2
add %r3, %r2
add %r0, %r6
add %r5, %r0
${MORE}
add %r1, 8
add %r9, 1
jlt %r9, 7, loop
add %r0, %r3
add %r0, %r4
add %r0, %r5
add %r0, %r6
exit`;

describe("scratch registers across loads in a loop's copy", () => {
  it("a register stored before a load is not loaded again after it", () => {
    const listing = arm32Listing(assemble(SOURCE));
    // instructions 16 (xor %r4, %r3), 17 (the load), 18 (add %r4, %r2); r4's words are [r11, #32] and #36
    expect(codeOf(listing, 16, 17, true)).toContain("strd r0, r1, [r11, #32]");
    const after = codeOf(listing, 17, 19, true);
    expect(after.filter((l) => /\[r11, #(32|0x20|0x24)\]/.test(l) && /^ldr/.test(l))).toEqual([]);
    expect(after.some((l) => /^adds\s+r0, r0, /.test(l))).toBe(true);
  });

  it("a second operand stored from r0, r1 just before is read from them", () => {
    // instruction 18 (add %r3, %r4): r3 is in ARM registers, r4 was stored from r0, r1 by instruction 17
    const source = [
      ...SOURCE.split("\n").slice(0, 5),
      "mov %r2, 0",
      "mov %r9, 0",
      "loop:",
      "ldxw %r2, [%r1+0]",
      "add %r0, %r2",
      "add %r3, %r0",
      "add %r6, %r3",
      "xor %r0, %r6",
      "xor %r4, %r3",
      "add %r3, %r4",
      "add %r0, %r6",
      "add %r5, %r0",
      MORE,
      ...SOURCE.split("\n").slice(-8),
    ].join("\n");
    const listing = arm32Listing(assemble(source));
    expect(codeOf(listing, 17, 18, true)).toContain("strd r0, r1, [r11, #32]");
    const add = codeOf(listing, 18, 19, true);
    expect(add).toHaveLength(2);
    expect(add[0]).toMatch(/^adds\s+r\d+, r\d+, r0$/);
    expect(add[1]).toMatch(/^adc\s+r\d+, r\d+, r1$/);
  });

  it("generated loops of 64-bit arithmetic between loads: the model's r0 on both engines", async () => {
    const shapes = Array.from({ length: 24 }, (_, k) => ({ source: generate(k + 1), input: INPUT }));
    expect(shapes.every((s) => arm32Listing(assemble(s.source)).includes("(copy of loop"))).toBe(true);
    const results = await outcomes(withBudgetCases(shapes), modelRun);
    expect(disagreeingWithModel(results)).toEqual([]);
  }, 120_000);
});
