// 64-bit products on the ARM32 engine (assembly/arm32/jit/alu.ts): by an operand whose high word is zero, the
// cross product is added as the high word of the low product is made (UMULL into a scratch register, then one
// MLA); by a constant whose two words are the same (SWAR sums' 0x0101010101010101), both cross products are one
// (al + ah) * b (ADD, UMULL, MLA). Listings show the instructions; generated products (by 32-bit loads, by such
// constants and by others, by registers, in a loop's copy and outside one) check r0 against the interpreter and the
// model of test/support/asm-model.ts.
import { beforeAll, describe, expect, it } from "vitest";
import { assemble } from "../../../src/tools/asm.js";
import { arm32Listing } from "../../../src/engines/arm32/build.js";
import { codeOf, ensureArm32Translator } from "../../support/arm32.js";
import { outcomes, rng } from "../../support/generated-runs.js";
import { modelRun } from "../../support/asm-model.js";

beforeAll(ensureArm32Translator);

const INPUT = Uint8Array.from({ length: 256 }, (_, i) => (i * 211 + 17) & 0xff);

const hex32 = (v: number) => (v >>> 0).toString(16).padStart(8, "0");

/** 64-bit products of r0, r3-r6 by loaded words, constants and each other; in a loop of 5 trips or straight. */
function generate(seed: number, loop: boolean): string {
  const rand = rng(seed);
  const regs = [0, 3, 4, 5, 6];
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rand() * xs.length)];
  const word = () => hex32(Math.floor(rand() * 2 ** 32));
  const lines = regs.map((r) => `lddw %r${r}, 0x${word()}${word()}`);
  lines.push("mov %r9, 0");
  if (loop) lines.push("loop:");
  for (let n = 0; n < 10; n++) {
    const d = pick(regs);
    const kind = rand();
    if (kind < 0.3) lines.push(`ldxw %r2, [%r1+${4 * Math.floor(rand() * 4)}]`, `mul %r${d}, %r2`);
    else if (kind < 0.6) {
      const w = word();
      lines.push(`lddw %r7, 0x${w}${w}`, `mul %r${d}, %r7`);
    } else if (kind < 0.8) lines.push(`lddw %r7, 0x${word()}${word()}`, `mul %r${d}, %r7`);
    else lines.push(`mul %r${d}, %r${pick(regs)}`);
    lines.push(`add %r${pick(regs)}, %r${d}`);
  }
  if (loop) lines.push("add %r1, 16", "add %r9, 1", "jlt %r9, 5, loop");
  for (const r of regs.slice(1)) lines.push(`xor %r0, %r${r}`);
  lines.push("exit");
  return lines.join("\n");
}

describe("64-bit products", () => {
  it("by a 32-bit value: one UMULL and one MLA", () => {
    const source = "lddw %r0, 0x123456789abcdef1\n ldxw %r2, [%r1+0]\n mul %r0, %r2\n exit";
    const code = codeOf(arm32Listing(assemble(source)), 3, 4);
    expect(code.filter((l) => /^(mul|mla|umull|add)\s/.test(l))).toEqual([
      expect.stringMatching(/^umull\s/),
      expect.stringMatching(/^mla\s/),
    ]);
  });

  it("by a constant with two equal words: ADD, UMULL and MLA", () => {
    const source = "ldxdw %r0, [%r1+0]\n lddw %r8, 0x0101010101010101\n mul %r0, %r8\n rsh %r0, 56\n exit";
    const code = codeOf(arm32Listing(assemble(source)), 1, 4);
    expect(code.filter((l) => /^(mul|mla|umull|add)\s/.test(l))).toEqual([
      expect.stringMatching(/^add\s/),
      expect.stringMatching(/^umull\s/),
      expect.stringMatching(/^mla\s/),
    ]);
  });

  it("generated products: the model's r0 on both engines", async () => {
    const cases = Array.from({ length: 24 }, (_, k) => ({
      name: `seed ${k + 1}`,
      shape: { source: generate(k + 1, k % 2 === 1), input: INPUT },
      budget: 0,
    }));
    expect(
      cases
        .filter((_, k) => k % 2 === 1)
        .every((c) => arm32Listing(assemble(c.shape.source)).includes("(copy of loop")),
    ).toBe(true);
    const results = await outcomes(cases, modelRun);
    expect(results.filter((r) => r.interp !== r.model || r.arm32 !== r.model)).toEqual([]);
  }, 120_000);
});
