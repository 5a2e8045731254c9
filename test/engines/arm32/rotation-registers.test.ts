// A loop copy's choice of ARM registers (assembly/arm32/jit/loopregs.ts) around rotations (rotate.ts, shapes.ts):
// a rotation is emitted as a whole, so it reads its source once and writes its result once, and its temporary not
// at all when it does not compute it (a 64-bit one, or a 32-bit one whose temporary nothing reads afterwards); a
// 64-bit rotation by 32 in place costs three instructions wherever the register is. Counted instruction by
// instruction, xxHash's lanes made the temporary look like the most used register. The listing of six lanes
// rotated through one temporary shows the pointer kept in an ARM register instead; generated loops of rotations
// (32 and 64 bits, by 32 too, temporaries read afterwards or not) check r0 against the interpreter and the model of
// test/support/asm-model.ts.
import { beforeAll, describe, expect, it } from "vitest";
import { assemble } from "../../../src/tools/asm.js";
import { arm32Listing } from "../../../src/engines/arm32/build.js";
import { codeOf, ensureArm32Translator } from "../../support/arm32.js";
import { hexWord, outcomes, rng } from "../../support/generated-runs.js";
import { modelRun } from "../../support/asm-model.js";

beforeAll(ensureArm32Translator);

const INPUT = Uint8Array.from({ length: 256 }, (_, i) => (i * 97 + 41) & 0xff);
const LANES = [4, 5, 6, 7, 8, 9];

/** Six 32-bit lanes, each rotated through r2 every trip; r1 steps over the input, r3 counts 10 trips. */
const SIX_LANES = [
  "mov32 %r0, 0x12345",
  ...LANES.map((r) => `mov32 %r${r}, ${r * 1000 + 7}`),
  "mov32 %r2, 0",
  "mov %r3, 0",
  "loop:",
  "ldxw %r0, [%r1+0]",
  ...LANES.flatMap((r, k) => [
    `add32 %r${r}, %r0`,
    `mov32 %r2, %r${r}`,
    `rsh32 %r2, ${19 - k}`,
    `lsh32 %r${r}, ${13 + k}`,
    `or32 %r${r}, %r2`,
    `xor32 %r0, %r${r}`,
  ]),
  "add %r1, 4",
  "add %r3, 1",
  "jlt %r3, 10, loop",
  ...LANES.map((r) => `add32 %r0, %r${r}`),
  "exit",
].join("\n");

/** Rotations of r0 and r3-r8 in a loop of 6 trips over the input (r1), through temporaries among them. */
function generate(seed: number): string {
  const rand = rng(seed);
  const regs = [0, 3, 4, 5, 6, 7, 8];
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rand() * xs.length)];
  const lines = regs.map((r) => `lddw %r${r}, 0x${hexWord(rand)}${hexWord(rand)}`);
  lines.push("mov %r2, 0", "mov %r9, 0", "loop:", "ldxw %r2, [%r1+0]");
  for (let n = 0; n < 10; n++) {
    const x = pick(regs);
    const t = pick(regs.filter((r) => r !== x));
    const wide = rand() < 0.5;
    const bits = wide ? 64 : 32;
    const k = wide && rand() < 0.3 ? 32 : 1 + Math.floor(rand() * (bits - 1));
    const w = wide ? "" : "32";
    lines.push(`add${w} %r${x}, %r2`, `mov${w} %r${t}, %r${x}`, `rsh${w} %r${t}, ${bits - k}`);
    lines.push(`lsh${w} %r${x}, ${k}`, `or${w} %r${x}, %r${t}`);
    if (rand() < 0.3) lines.push(`xor %r${pick(regs)}, %r${t}`); // the temporary read afterwards
  }
  lines.push("add %r1, 8", "add %r9, 1", "jlt %r9, 6, loop");
  for (const r of regs.slice(1)) lines.push(`xor %r0, %r${r}`);
  lines.push("exit");
  return lines.join("\n");
}

describe("ARM registers of a loop copy around rotations", () => {
  it("keeps the pointer in an ARM register rather than a temporary nothing writes", () => {
    const listing = arm32Listing(assemble(SIX_LANES));
    // the copy's instructions 10-47: r1's words are [r11, #8] and [r11, #12]; the rotations are RORs
    const copy = codeOf(listing, 10, 48, true);
    expect(copy.filter((l) => /^ror\s/.test(l))).toHaveLength(LANES.length);
    expect(copy.filter((l) => /\[r11, #(0x8|0xc|8|12)\]/.test(l))).toEqual([]);
  });

  it("generated loops of rotations: the model's r0 on both engines", async () => {
    const cases = Array.from({ length: 24 }, (_, k) => ({
      name: `seed ${k + 1}`,
      shape: { source: generate(k + 1), input: INPUT },
      budget: 0,
    }));
    expect(cases.every((c) => arm32Listing(assemble(c.shape.source)).includes("(copy of loop"))).toBe(true);
    const results = await outcomes(cases, modelRun);
    expect(results.filter((r) => r.interp !== r.model || r.arm32 !== r.model)).toEqual([]);
  }, 120_000);
});
