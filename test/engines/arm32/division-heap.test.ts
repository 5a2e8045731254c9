// 64-bit division and modulo by a constant (jit/divide.ts) take a reciprocal from assembly/divmagic.ts. It once
// came in a new object for every division emitted: the translator emits each instruction many times (every pass,
// every block its analyses revisit, loop copies) and its heap is never freed, so a program with enough of them grew
// the heap into the label table above it. A label then looked bound already and the translation failed ("a label
// bound twice or the label table full"). The fuzzer found it with six divisions around a loop; generated programs
// with many divisions by constants are compared with the interpreter and test/support/asm-model.ts (BigInt).
import { describe, it, expect, beforeAll } from "vitest";
import { assemble } from "../../../src/tools/asm.js";
import { arm32Listing } from "../../../src/engines/arm32/build.js";
import { ensureArm32Translator } from "../../support/arm32.js";
import { type Case, type Shape, outcomes, r0Is, rng } from "../../support/generated-runs.js";
import { MODEL_OUT, modelRun as model } from "../../support/asm-model.js";

beforeAll(ensureArm32Translator);

const M64 = (1n << 64n) - 1n;
const sdiv = (a: bigint, b: bigint) => BigInt.asUintN(64, BigInt.asIntN(64, a) / BigInt.asIntN(64, b));

/** Wide dividends (high words set) divided and reduced by constants that are no powers of two, then summed in r0. */
function generate(seed: number, divisions: number): Shape {
  const rand = rng(seed);
  const wide = () =>
    `0x${(0x80000000 + Math.floor(rand() * 2 ** 31)).toString(16)}${Math.floor(rand() * 2 ** 32)
      .toString(16)
      .padStart(8, "0")}`;
  const lines = ["mov %r0, 0", "mov %r6, 0", "loop:"];
  for (let k = 0; k < divisions; k++) {
    const r = 2 + (k % 4);
    let d = 3 + Math.floor(rand() * 100_000);
    if ((d & (d - 1)) === 0) d++;
    lines.push(`lddw %r${r}, ${wide()}`, `${rand() < 0.5 ? "div" : "mod"} %r${r}, ${d}`, `add %r0, %r${r}`);
  }
  lines.push("add %r6, 1", "jlt %r6, 3, loop", "exit");
  return { source: lines.join("\n"), input: new Uint8Array(16) };
}

describe("64-bit divisions by constants leave the translator's heap below its label table", () => {
  it("a program found by the fuzzer (a call, a loop, six divisions): the interpreter's and BigInt's r0", async () => {
    const source = [
      "lddw %r7, 0xdfc1ee8fd56f3936",
      "lddw %r8, 0x28c4e795da59370c",
      "lddw %r6, 0x89c3ad4a3b809156",
      "call local sub",
      "div %r7, 0x2f43a231",
      "mod %r6, 1000",
      "sdiv %r0, 10",
      "div %r8, 7",
      "add %r0, %r6",
      "add %r0, %r7",
      "add %r0, %r8",
      "exit",
      "sub:",
      "lddw %r6, 0x89c3ad4a3b809156",
      "lddw %r7, 0xdfc1ee8fd56f3936",
      "mov %r5, 0",
      "mov %r2, 20",
      "sdiv %r6, 6",
      "mov %r4, 7",
      "loop:",
      "add %r4, 1",
      "add %r5, 1",
      "jle32 %r5, %r2, loop",
      "mod %r7, 12",
      "sdiv %r6, 7",
      "mov %r0, %r6",
      "add %r0, %r7",
      "add %r0, %r4",
      "exit",
    ].join("\n");
    // the subprogram: r4 counts 21 trips from 7; main's r6-r8 are kept across the call
    const sub = sdiv(sdiv(0x89c3ad4a3b809156n, 6n), 7n) + (0xdfc1ee8fd56f3936n % 12n) + 28n;
    const expected =
      (sdiv(sub & M64, 10n) +
        (0x89c3ad4a3b809156n % 1000n) +
        0xdfc1ee8fd56f3936n / 0x2f43a231n +
        0x28c4e795da59370cn / 7n) &
      M64;
    const [r] = await outcomes([{ name: "fuzzed", shape: { source, input: new Uint8Array(16) }, budget: 0 }], () =>
      r0Is(expected),
    );
    expect(r.interp).toBe(r.model);
    expect(r.arm32).toBe(r.model);
  }, 60_000);

  it("a loop of 150 to 250 divisions and remainders by constants: translated, the model's r0", async () => {
    const cases: Case[] = [];
    for (let seed = 1; seed <= 4; seed++) {
      cases.push({ name: `seed ${seed}`, shape: generate(seed, 150 + 25 * seed), budget: 0 });
    }
    // every division takes the 64-bit reciprocal (four multiplies each): what filled the heap
    for (const c of cases) {
      const divisions = c.shape.source.split("\n").filter((l) => /^(div|mod) /.test(l)).length;
      const multiplies = arm32Listing(assemble(c.shape.source))
        .split("\n")
        .filter((l) => /\bumlal\b/.test(l)).length;
      expect(multiplies).toBeGreaterThanOrEqual(3 * divisions);
    }
    const results = await outcomes(cases, model);
    expect(results.every((r) => r.model !== MODEL_OUT)).toBe(true);
    expect(results.filter((r) => r.arm32 !== r.model || r.interp !== r.model)).toEqual([]);
  }, 120_000);
});
