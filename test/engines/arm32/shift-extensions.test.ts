// Sign and zero extensions written as a shift left and back (assembly/arm32/jit/extend.ts): clang's `(long)i` of an
// int (`lsh 32; arsh 32`), a short or a char widened in 32 bits (`lsh32 16; arsh32 16`) or in 64, and the same with
// a logical shift back, with or without a copy in front. The listings show one SXTH / SXTB / UXTH / AND and one ASR
// for the high word instead of the two shifts' code on both words, and none for the low word right after the load
// of a short or a char (the load zero-extends, or becomes LDRSH / LDRSB); generated programs (every such width, both
// shifts back, a copy from another register, a narrow load or none, values whose sign bit is set or not, many
// registers live so
// that some live in the register file, in the ordinary code and in a loop's copy) check that r0 is what a model
// written with BigInt computes, on the interpreter and the ARM32 executable.
import { beforeAll, describe, expect, it } from "vitest";
import { assemble } from "../../../src/tools/asm.js";
import { arm32Listing } from "../../../src/engines/arm32/build.js";
import { codeOf, ensureArm32Translator } from "../../support/arm32.js";
import { type Case, hexWord, outcomes, rng } from "../../support/generated-runs.js";
import { disagreeingWithModel, modelLength, modelRun } from "../../support/asm-model.js";

beforeAll(ensureArm32Translator);

const INPUT = Uint8Array.from({ length: 320 }, (_, i) => (i * 193 + 7) & 0xff);
/** Offsets of the narrow loads in front of extensions: LDRSB takes an 8-bit immediate at most (255). */
const LOAD_OFFSETS = [0, 1, 6, 100, 255, 256, 270];
/** Every shift pair extend.ts takes: [suffix, k]. */
const WIDTHS: [string, number][] = [
  ["", 32],
  ["", 33],
  ["", 40],
  ["", 48],
  ["", 56],
  ["", 63],
  ["32", 16],
  ["32", 24],
];
const REGS = [0, 2, 3, 4, 5, 6, 7, 8];

/**
 * Extensions of registers holding random values (their low words' sign bits set about half the time), `count` of
 * them, each folded into r0; `loop`: inside a counted loop over r9 that reads a fresh word from the input each trip.
 */
function generate(seed: number, loop: boolean): string {
  const rand = rng(seed);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rand() * xs.length)];
  const lines = REGS.map((r) => `lddw %r${r}, 0x${hexWord(rand)}${hexWord(rand)}`);
  if (loop) lines.push("mov %r9, 0", "loop:", "ldxw %r2, [%r1+0]", "add %r1, 4");
  for (let n = 0; n < 12; n++) {
    const [w, k] = pick(WIDTHS);
    const d = pick(REGS);
    const copy = rand();
    if (copy < 0.3) lines.push(`mov %r${d}, %r${pick(REGS)}`);
    else if (copy < 0.5) lines.push(`mov32 %r${d}, %r${pick(REGS)}`);
    else if (copy < 0.8) lines.push(`${pick(["ldxb", "ldxh", "ldxw"])} %r${d}, [%r1+${pick(LOAD_OFFSETS)}]`);
    lines.push(`lsh${w} %r${d}, ${k}`, `${rand() < 0.6 ? "arsh" : "rsh"}${w} %r${d}, ${k}`);
    // what comes after reads both words of d, or only its low one
    lines.push(rand() < 0.7 ? `add %r${pick(REGS)}, %r${d}` : `xor32 %r${pick(REGS)}, %r${d}`);
  }
  if (loop) lines.push("add %r9, 1", "jlt %r9, 8, loop");
  for (const r of REGS) lines.push("mul %r0, 1000003", `add %r0, %r${r}`);
  lines.push("exit");
  return lines.join("\n");
}

describe("sign and zero extensions by a pair of shifts", () => {
  it("generated extensions of every width: the model's r0 on the interpreter and the ARM32 executable", async () => {
    const cases: Case[] = Array.from({ length: 48 }, (_, k) => ({
      name: `seed ${3000 + k}`,
      shape: { source: generate(3000 + k, k % 2 === 1), input: INPUT },
      budget: 0,
    }));
    const listings = cases.map((c) => arm32Listing(assemble(c.shape.source)));
    expect(listings.filter((_, k) => k % 2 === 1).every((l) => l.includes("(copy of loop"))).toBe(true);
    // loads that extend, in the ordinary code and in copies (an immediate offset and a register index)
    for (const load of [/ldrsh r\d+, \[r\d+\]/, /ldrsb r\d+, \[r\d+\]/, /ldrs[bh] r\d+, \[r\d+, (#|r)/])
      expect(listings.filter((l) => load.test(l)).length, String(load)).toBeGreaterThan(0);
    const results = await outcomes(cases, modelRun);
    expect(results.every((r) => r.model.startsWith("r0 ="))).toBe(true);
    expect(disagreeingWithModel(results)).toEqual([]);
  }, 240_000);

  it("budgets running out at every instruction around extensions with a copy in front: the interpreter's index", async () => {
    // each extension three instructions emitted as one group at a block's start, in the ordinary code and in a
    // loop's copy
    const source = [
      "lddw %r3, 0x123456789abcdef0",
      "ldxdw %r4, [%r1+0]",
      "jgt %r4, %r3, wide",
      "add %r4, 1",
      "wide:",
      "mov %r5, %r4",
      "lsh %r5, 32",
      "arsh %r5, 32",
      "add %r3, %r5",
      "jeq %r3, 0, narrow",
      "narrow:",
      "mov32 %r6, %r3",
      "lsh32 %r6, 16",
      "rsh32 %r6, 16",
      "mov %r9, 0",
      "loop:",
      "ldxw %r2, [%r1+0]",
      "mov %r7, %r2",
      "lsh %r7, 56",
      "arsh %r7, 56",
      "add %r3, %r7",
      "add %r1, 4",
      "add %r9, 1",
      "jlt %r9, 6, loop",
      "mov %r0, %r3",
      "add %r0, %r6",
      "exit",
    ].join("\n");
    const shape = { source, input: INPUT };
    const length = modelLength(shape);
    const cases: Case[] = Array.from({ length }, (_, k) => ({ name: `budget ${k + 1}`, shape, budget: k + 1 }));
    const results = await outcomes(cases, modelRun);
    expect(results.filter((r) => r.model.startsWith("instruction budget")).length).toBe(length - 1);
    expect(disagreeingWithModel(results)).toEqual([]);
  }, 120_000);

  it("emits one instruction per word: SXTH, SXTB, UXTH or AND for the low word, ASR #31 or nothing for the high", () => {
    // r3 and r4 used most, so both are kept in ARM registers
    const uses = "add %r0, %r3\n add %r0, %r4\n".repeat(4);
    const listing = (pair: string) =>
      arm32Listing(assemble(`ldxdw %r3, [%r1+0]\n ldxdw %r4, [%r1+8]\n ${pair}\n ${uses} exit`), { budget: 0 });
    const code = (pair: string) => codeOf(listing(pair), 2, 2 + pair.split("\n").length);
    expect(code("lsh %r3, 32\n arsh %r3, 32")).toEqual([expect.stringMatching(/^asr r\d+, r\d+, #31$/)]);
    expect(code("lsh %r3, 32\n rsh %r3, 32")).toEqual([expect.stringMatching(/^mov r\d+, #0$/)]);
    expect(code("lsh %r3, 48\n arsh %r3, 48")).toEqual([
      expect.stringMatching(/^sxth r(\d+), r\1$/),
      expect.stringMatching(/^asr r\d+, r\d+, #31$/),
    ]);
    expect(code("lsh32 %r3, 16\n arsh32 %r3, 16")).toEqual([
      expect.stringMatching(/^sxth r(\d+), r\1$/),
      expect.stringMatching(/^mov r\d+, #0$/),
    ]);
    expect(code("lsh32 %r3, 24\n arsh32 %r3, 24")[0]).toMatch(/^sxtb r(\d+), r\1$/);
    expect(code("lsh32 %r3, 16\n rsh32 %r3, 16")[0]).toMatch(/^uxth r(\d+), r\1$/);
    expect(code("lsh %r3, 56\n rsh %r3, 56")[0]).toMatch(/^and r(\d+), r\1, #255$/);
    // with a copy in front: from the source straight into the destination
    const copied = code("mov %r4, %r3\n lsh %r4, 32\n arsh %r4, 32");
    expect(copied).toEqual([expect.stringMatching(/^mov r\d+, r\d+$/), expect.stringMatching(/^asr r\d+, r\d+, #31$/)]);
    expect(code("mov32 %r4, %r3\n lsh32 %r4, 24\n arsh32 %r4, 24")[0]).toMatch(/^sxtb r(\d+), r(?!\1)\d+$/);
  });

  it("right after a narrow load, the load extends: LDRSH / LDRSB to sign-extend, LDRH / LDRB as they are otherwise", () => {
    const uses = "add %r0, %r3\n add %r0, %r4\n".repeat(4);
    /** The code of the load and extension (instructions 2 to 4) after r3 and r4 were loaded whole. */
    const code = (load: string, pair: string) => {
      const source = `ldxdw %r3, [%r1+0]\n ldxdw %r4, [%r1+8]\n ${load}\n ${pair}\n ${uses} exit`;
      return codeOf(arm32Listing(assemble(source), { budget: 0 }), 2, 5);
    };
    // the last load is the value's; what follows it is the high word's (zero, or the low word's sign)
    const tail = (lines: string[]) => lines.slice(lines.findIndex((l) => /^ldr[sbh]/.test(l)));
    const shortSigned = tail(code("ldxh %r3, [%r1+2]", "lsh32 %r3, 16\n arsh32 %r3, 16"));
    expect(shortSigned[0]).toMatch(/^ldrsh r\d+, \[r\d+\]$/);
    expect(shortSigned.join("\n")).not.toMatch(/sxth|lsl|asr/);
    const charWide = tail(code("ldxb %r4, [%r1+3]", "lsh %r4, 56\n arsh %r4, 56"));
    expect(charWide[0]).toMatch(/^ldrsb r(\d+), \[r\d+\]$/);
    expect(charWide.at(-1)).toMatch(/^asr r\d+, r\d+, #31$/);
    expect(charWide.join("\n")).not.toMatch(/sxtb/);
    const shortZero = tail(code("ldxh %r3, [%r1+2]", "lsh32 %r3, 16\n rsh32 %r3, 16"));
    expect(shortZero[0]).toMatch(/^ldrh /);
    expect(shortZero.join("\n")).not.toMatch(/uxth|lsr|lsl/);
    // a wider load, or an extension of another width, keeps its instruction
    expect(code("ldxw %r3, [%r1+2]", "lsh32 %r3, 16\n arsh32 %r3, 16").join("\n")).toMatch(/sxth/);
    expect(code("ldxh %r3, [%r1+2]", "lsh32 %r3, 24\n arsh32 %r3, 24").join("\n")).toMatch(/^ldrh [^]*sxtb/m);
  });
});
