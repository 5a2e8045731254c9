// A loop copy's choice of what to keep in ARM registers (jit/loopregs.ts) weighs a wide constant that lddw loads
// for its one use (`lddw k, K; and d, k`: fuse.ts makes the pair one instruction reading K's register) at what
// keeping it saves there: its MOVW and MOVT each trip, not the one instruction a move from a kept constant saves
// an lddw of its own. A SWAR step over 64-bit words (Hacker's Delight's popcount and its like) has such pairs.
// A multiplier one MOV makes is weighed too where MUL, UMULL or MLA must read it from a register (a 64-bit product,
// a 32-bit one the shifter does not make, or one an add makes an MLA: `h = h * 131 + c`): kept, each product in
// the copy saves its MOV.
// Each outcome must be the interpreter's and that of test/support/asm-model.ts (BigInt, from the eBPF semantics).
import { describe, it, expect, beforeAll } from "vitest";
import { assemble } from "../../../src/tools/asm.js";
import { arm32Listing } from "../../../src/engines/arm32/build.js";
import { codeOf, ensureArm32Translator } from "../../support/arm32.js";
import { type Case, type Shape, outcomes, rng } from "../../support/generated-runs.js";
import { modelRun as model } from "../../support/asm-model.js";

beforeAll(ensureArm32Translator);

const MASKS = [0x5555555555555555n, 0x3333333333333333n, 0x0f0f0f0f0f0f0f0fn, 0x00ff00ff00ff00ffn];

/**
 * A walk over the input's 64-bit words: x = word; t = (x >> s) & M; x -= t; then x folded into a 64-bit sum, a
 * 64-bit xor and a 32-bit counter, each live across the loop with the pointer, the offset and the temporaries.
 */
function walk(mask: bigint, shift: number, words: number, input: Uint8Array): Shape {
  const lines = ["mov %r6, 0", "mov %r3, 0", "lddw %r7, 0x123456789", "mov32 %r9, 5", "loop:"];
  lines.push("mov %r2, %r1", "add %r2, %r6", "ldxdw %r4, [%r2+0]", "mov %r5, %r4", `rsh %r5, ${shift}`);
  lines.push(`lddw %r8, 0x${mask.toString(16)}`, "and %r5, %r8", "sub %r4, %r5");
  lines.push("add %r3, %r4", "xor %r7, %r4", "add32 %r9, 3", "add %r6, 8", `jlt %r6, ${8 * words}, loop`);
  lines.push("mov %r0, %r3", "add %r0, %r7", "add %r0, %r9", "exit");
  return { source: lines.join("\n"), input };
}

describe("a wide constant loaded for its one use in a loop copy", () => {
  it("is kept in an ARM register: no MOVW or MOVT in the copy", () => {
    const shape = walk(MASKS[0], 1, 8, new Uint8Array(64));
    // the loop's body in its copy: instructions 5 (mov r2, r1) to 17 (add r6, 8)
    const copy = codeOf(arm32Listing(assemble(shape.source)), 5, 18, true).join("\n");
    expect(copy).toMatch(/and\s+r\d+, r\d+, r\d+/);
    expect(copy).not.toMatch(/movw|movt/);
  });

  it("generated masks, shifts and lengths: the model's r0", async () => {
    const cases: Case[] = [];
    for (let seed = 1; seed <= 12; seed++) {
      const rand = rng(seed);
      const words = 1 + Math.floor(rand() * 24);
      const input = new Uint8Array(8 * words);
      for (let i = 0; i < input.length; i++) input[i] = Math.floor(rand() * 256);
      const mask = MASKS[seed % MASKS.length];
      const shape = walk(mask, 1 + Math.floor(rand() * 63), words, input);
      cases.push({ name: `seed ${seed}`, shape, budget: seed % 3 === 0 ? 1_000_000 : 0 });
    }
    const results = await outcomes(cases, model);
    expect(results.every((r) => r.model.startsWith("r0 = "))).toBe(true);
    expect(results.filter((r) => r.arm32 !== r.model || r.interp !== r.model)).toEqual([]);
  }, 60_000);
});

/**
 * A walk over the input's bytes, two at a time, hashing them into a 32-bit h (`h = h * F + c`, MLA, or `h *= F` and
 * then a xor) and a 64-bit g (`g = g * G + c`), with `extra` more registers live across the loop (fewer ARM registers
 * left for the constants).
 */
function hashes(f: number, g: number, mla: boolean, extra: number, bytes: number, input: Uint8Array): Shape {
  const lines = ["mov %r6, 0", "mov %r3, 7", "mov32 %r7, 5"];
  for (let k = 0; k < extra; k++) lines.push(`mov %r${[8, 9, 0][k]}, ${k + 1}`);
  lines.push("loop:", "mov %r2, %r1", "add %r2, %r6", "ldxb %r4, [%r2+0]", "ldxb %r5, [%r2+1]");
  for (const r of [4, 5]) {
    if (mla) lines.push(`mul32 %r7, ${f}`, `add32 %r7, %r${r}`);
    else lines.push(`mul32 %r7, ${f}`, `xor32 %r7, %r${r}`);
  }
  lines.push(`mul %r3, ${g}`, "add %r3, %r4");
  for (let k = 0; k < extra; k++) lines.push(`add %r${[8, 9, 0][k]}, %r${k % 2 === 0 ? 4 : 5}`);
  lines.push("add %r6, 2", `jlt %r6, ${bytes}, loop`);
  lines.push(...(extra > 2 ? [] : ["mov %r0, 0"]), "add %r0, %r3", "add %r0, %r7");
  for (let k = 0; k < Math.min(extra, 2); k++) lines.push(`add %r0, %r${[8, 9][k]}`);
  lines.push("exit");
  return { source: lines.join("\n"), input };
}

describe("a multiplier one MOV makes, in a loop copy", () => {
  it("is kept in an ARM register: no MOV of it in the copy, the MLAs read that register", () => {
    const shape = hashes(131, 100, true, 0, 16, new Uint8Array(16));
    const listing = arm32Listing(assemble(shape.source), { budget: 0 });
    const copy = listing.slice(listing.indexOf("(copy of loop"), listing.indexOf("the ordinary code"));
    expect(copy).not.toMatch(/mov\s+r\d+, #131$/m);
    const multipliers = [...copy.matchAll(/\smla\s+r\d+, r\d+, (r\d+), r\d+$/gm)].map((m) => m[1]);
    expect(multipliers).toHaveLength(2);
    expect(new Set(multipliers).size).toBe(1);
    // set once, before the copy
    expect(listing.slice(0, listing.indexOf("(copy of loop"))).toMatch(/mov\s+r\d+, #131$/m);
  });

  it("generated multipliers (shifter forms, one MOV, MVN, MOVW and MOVT) and register pressure: the model's r0", async () => {
    const factors = [3, 33, 31, 100, 131, 255, 1000, -3, 0x7f000000, 0x12345, 0x9e3779b1 | 0];
    const cases: Case[] = [];
    for (let seed = 1; seed <= 24; seed++) {
      const rand = rng(100 + seed);
      const bytes = 2 * (1 + Math.floor(rand() * 20));
      const input = new Uint8Array(bytes);
      for (let i = 0; i < input.length; i++) input[i] = Math.floor(rand() * 256);
      const pick = () => factors[Math.floor(rand() * factors.length)];
      const shape = hashes(pick(), pick(), seed % 2 === 0, seed % 4, bytes, input);
      cases.push({ name: `seed ${seed}`, shape, budget: seed % 5 === 0 ? 1_000_000 : 0 });
    }
    const results = await outcomes(cases, model);
    expect(results.every((r) => r.model.startsWith("r0 = "))).toBe(true);
    expect(results.filter((r) => r.arm32 !== r.model || r.interp !== r.model)).toEqual([]);
  }, 120_000);
});
