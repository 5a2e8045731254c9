// A product rotated on the ARM32 engine (assembly/arm32/jit/shapes.ts, rotate.ts): MurmurHash3's
// `k *= c1; k = rotl32(k, r)` reaches eBPF with the left shift folded into a second product by c1 << r
// (`mov32 t, k; mul32 t, c1 << r; mul32 k, c1; rsh32 k, 32 - r; or32 k, t`), which the translator emits as one MUL
// and one ROR when t is not read afterwards, in the ordinary code and in a loop's copy (where neither t nor
// c1 << r then takes an ARM register). Generated programs, with the folded constant right or off by one, t read
// afterwards or not, check r0 against the interpreter and the model of test/support/asm-model.ts.
import { beforeAll, describe, expect, it } from "vitest";
import { assemble } from "../../../src/tools/asm.js";
import { arm32Listing } from "../../../src/engines/arm32/build.js";
import { codeOf, ensureArm32Translator } from "../../support/arm32.js";
import { outcomes, rng } from "../../support/generated-runs.js";
import { modelRun } from "../../support/asm-model.js";

beforeAll(ensureArm32Translator);

const INPUT = Uint8Array.from({ length: 256 }, (_, i) => (i * 67 + 13) & 0xff);
const hex = (v: number) => `0x${(v >>> 0).toString(16)}`;

/** The five instructions of k = rotl32(k * c1, r) as clang emits them; `folded` the second product's factor. */
function productRotation(k: number, t: number, c1: number, r: number, folded = Math.imul(c1, 2 ** r)): string[] {
  return [
    `mov32 %r${t}, %r${k}`,
    `mul32 %r${t}, ${hex(folded)}`,
    `mul32 %r${k}, ${hex(c1)}`,
    `rsh32 %r${k}, ${32 - r}`,
    `or32 %r${k}, %r${t}`,
  ];
}

/** Words of the input hashed MurmurHash3-like in a loop of 8 trips (or once, straight), with product rotations. */
function generate(seed: number, loop: boolean): string {
  const rand = rng(seed);
  const word = () => Math.floor(rand() * 2 ** 32);
  const lines = ["lddw %r0, 0x9747b28c12345678", "lddw %r6, 0xdeadbeef01234567", "mov %r9, 0"];
  if (loop) lines.push("loop:");
  lines.push("ldxw %r3, [%r1+0]");
  const r = 1 + Math.floor(rand() * 31);
  const c1 = word() | 1;
  // the folded factor right, or one that is not c1 << r
  const off = rand() < 0.25;
  lines.push(...productRotation(3, 7, c1, r, off ? Math.imul(c1, 2 ** r) ^ 0x10 : undefined));
  // the temporary read afterwards (no fusion then), or overwritten first
  if (rand() < 0.3) lines.push("add %r6, %r7");
  lines.push("xor32 %r0, %r3");
  lines.push(...productRotation(0, 4, word(), 1 + Math.floor(rand() * 31)));
  lines.push("add %r6, %r0", "add %r1, 4");
  if (loop) lines.push("add %r9, 1", "jlt %r9, 8, loop");
  lines.push("add %r0, %r6", "exit");
  return lines.join("\n");
}

describe("products rotated", () => {
  it("emits one MUL and one ROR for the five instructions, in the ordinary code and in a loop's copy", () => {
    const straight = ["ldxw %r3, [%r1+0]", ...productRotation(3, 7, 0xcc9e2d51, 15), "mov %r0, %r3", "exit"];
    // without a budget: with one, instruction 1 starts with a charge (after the load, which may fault)
    const code = codeOf(arm32Listing(assemble(straight.join("\n")), { budget: 0 }), 1, 6);
    // c1 in r2 first (MOVW, MOVT), then the product and the rotation
    expect(code.filter((l) => !/^mov[wt]\s+r2, /.test(l))).toEqual([
      expect.stringMatching(/^mul\s+r\d+, r\d+, r2$/),
      expect.stringMatching(/^ror\s+r\d+, r\d+, #17$/),
    ]);
    expect(code).toHaveLength(4);
    // instructions 3-7, in a loop over the input's words
    const loop = [
      "mov %r0, 0",
      "loop:",
      "ldxw %r3, [%r1+0]",
      ...productRotation(3, 7, 0xcc9e2d51, 15),
      "xor32 %r0, %r3",
      "add %r1, 4",
      "add %r9, 1",
      "jlt %r9, 8, loop",
      "exit",
    ];
    const copy = codeOf(arm32Listing(assemble(["mov %r9, 0", ...loop].join("\n"))), 3, 8, true);
    expect(copy).toHaveLength(2);
    expect(copy.filter((l) => /^mul\s/.test(l))).toHaveLength(1);
    expect(copy.filter((l) => /^ror\s/.test(l))).toHaveLength(1);
  });

  it("generated products rotated, fused or not: the model's r0 on both engines", async () => {
    const cases = Array.from({ length: 24 }, (_, k) => ({
      name: `seed ${k + 1}`,
      shape: { source: generate(k + 1, k % 3 !== 0), input: INPUT },
      budget: 0,
    }));
    const results = await outcomes(cases, modelRun);
    expect(results.filter((r) => r.interp !== r.model || r.arm32 !== r.model)).toEqual([]);
  }, 120_000);
});
