// Loads and stores at fixed offsets in the program's own frame on the ARM32 engine are not places where code is
// entered from elsewhere (jit/step.ts entryPoint): they have no check whose miss resumes there, so a group's copy
// (jit/groups.ts) runs on past them, and a 64-bit store of a value the instruction before computed stores the
// registers that computed it (jit/regs.ts hiJustStored) instead of loading its high word back from the register
// file: clang's u64 counters spilled to the frame (load, add, store back). Where the counter's high word lives in the
// register file, it goes from the load to the add to the store in r1 and reaches the register file only when read
// after (jit/owedhigh.ts). Generated walks over records mix such
// counters with loads from the input off one base (a group), 32- and 64-bit operations and comparisons of both
// widths; each outcome must be the interpreter's and that of test/support/asm-model.ts (BigInt, from the eBPF
// semantics).
import { describe, it, expect, beforeAll } from "vitest";
import { assemble } from "../../../src/tools/asm.js";
import { arm32Listing } from "../../../src/engines/arm32/build.js";
import { codeOf, ensureArm32Translator } from "../../support/arm32.js";
import { type Case, type Shape, outcomes, rng, walkCases } from "../../support/generated-runs.js";
import { disagreeingWithModel, modelRun as model } from "../../support/asm-model.js";

beforeAll(ensureArm32Translator);

const ACC = [0, 2, 3, 4, 5, 7, 8]; // r1: the record's address, r6: the offset, r9: the input's address
const ALU = ["add", "sub", "xor", "or", "and", "mul", "lsh", "rsh", "mov"];
const SLOTS = [-8, -16, -24, -32];

/**
 * A walk over records whose lengths are the input's bytes (the loop cannot be versioned): each step loads two
 * bytes off the record (one group), then a random mix of frame counters (ldxdw, an operation, stxdw back), stores
 * of other registers to the frame, 32- and 64-bit operations and comparisons of either width jumping over one;
 * then r0 = a fold of the registers and the frame slots.
 */
function generate(seed: number, pastEnd: boolean): Shape {
  const rand = rng(seed);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rand() * xs.length)];
  const wide = () =>
    `0x${((BigInt(Math.floor(rand() * 2 ** 32)) << 32n) | BigInt(Math.floor(rand() * 2 ** 32))).toString(16)}`;
  const input = new Uint8Array(64 + Math.floor(rand() * 64));
  for (let i = 0; i < input.length; i++) input[i] = Math.floor(rand() * 6);
  const limit = pastEnd ? input.length + 32 : input.length - 2;
  const lines = ACC.map((r) => `lddw %r${r}, ${wide()}`);
  for (const s of SLOTS) lines.push(`stxdw [%r10${s}], %r${pick(ACC)}`);
  lines.push("mov %r9, %r1", "mov %r6, 0", "loop:", "mov %r1, %r9", "add %r1, %r6");
  lines.push(`ldxb %r${pick(ACC)}, [%r1+1]`, "ldxb %r1, [%r1+0]");
  // (signed: no unsigned compare bounds the read, which analysis/facts.ts would version)
  lines.push("add %r6, %r1", "add %r6, 1", `jsgt %r6, ${limit}, done`);
  const op = (d: number) => {
    const w = rand() < 0.5 ? "32" : "";
    const o = pick(ALU);
    if (o === "lsh" || o === "rsh") return `${o}${w} %r${d}, ${1 + Math.floor(rand() * (w ? 31 : 63))}`;
    if (rand() < 0.4) return `${o}${w} %r${d}, ${Math.floor(rand() * 2000) - 1000}`;
    return `${o}${w} %r${d}, %r${rand() < 0.3 ? 1 : pick(ACC)}`;
  };
  const steps = 6 + Math.floor(rand() * 8);
  let skips = 0;
  for (let k = 0; k < steps; k++) {
    const roll = rand();
    const d = pick(ACC);
    if (roll < 0.4) {
      const s = pick(SLOTS);
      lines.push(`ldxdw %r${d}, [%r10${s}]`, op(d), `stxdw [%r10${s}], %r${d}`);
    } else if (roll < 0.5) lines.push(`stxdw [%r10${pick(SLOTS)}], %r${d}`);
    else if (roll < 0.65) {
      const label = `skip${skips++}`;
      const j = `${pick(["jeq", "jgt", "jlt"])}${rand() < 0.5 ? "32" : ""}`;
      lines.push(`${j} %r${d}, ${Math.floor(rand() * 64)}, ${label}`, op(pick(ACC)), `${label}:`);
    } else lines.push(op(d));
  }
  lines.push("ja loop", "done:", "mov %r0, 0");
  for (const s of SLOTS) lines.push("mul %r0, 1000003", `ldxdw %r9, [%r10${s}]`, "add %r0, %r9");
  for (const r of [2, 3, 4, 5, 7, 8]) lines.push("mul %r0, 1000003", `add %r0, %r${r}`);
  lines.push("exit");
  return { source: lines.join("\n"), input };
}

/** The loads from the register file (r11 + 8n, r0-r9) in some ARM code. */
function registerFileLoads(code: string[]): string[] {
  return code.filter((l) => {
    const m = /^ldr\S* r\d+, (?:r\d+, )?\[r11(?:, #(0x[0-9a-f]+|\d+))?\]/.exec(l);
    return m !== null && Number(m[1] ?? 0) < 80;
  });
}

describe("frame accesses at fixed offsets are no places code is entered at", () => {
  it("generated walks with frame counters and grouped loads: the model's r0, or the interpreter's fault", async () => {
    const cases = walkCases(generate);
    const listings = cases.map((c) => arm32Listing(assemble(c.shape.source), { budget: c.budget }));
    expect(listings.filter((l) => l.includes("(copy of loop")).length).toBe(0);
    const results = await outcomes(cases, model);
    expect(results.filter((r) => r.model.startsWith("r0 = ")).length).toBeGreaterThan(15);
    expect(disagreeingWithModel(results)).toEqual([]);
  }, 120_000);

  /**
   * A loop whose counter r3 lives in the register file (r0, r2, r4, r5, r7 and r8 hold 64-bit values used more):
   * `ldxdw r3, [r10-8]; add r3, r1; stxdw [r10-8], r3`, then `after` (instructions that may read r3).
   */
  function counterLoop(after: string[]): string {
    return [
      ...[0, 2, 4, 5, 7, 8].map((r) => `lddw %r${r}, 0x${(0x1234567 * (r + 1)).toString(16)}00000001`),
      "stxdw [%r10-8], %r2",
      "mov %r9, %r1",
      "mov %r6, 0",
      "loop:",
      "mov %r1, %r9",
      "add %r1, %r6",
      "ldxb %r1, [%r1+0]",
      "add32 %r6, %r1",
      "add %r6, 1",
      "ldxdw %r3, [%r10-8]",
      "add %r3, %r1",
      "stxdw [%r10-8], %r3",
      ...after,
      ...["add %r0, %r2", "xor %r2, %r4", "add %r4, %r5", "sub %r5, %r7", "or %r7, %r8", "mul %r8, %r0"],
      ...["add %r0, %r4", "xor %r2, %r5", "add %r4, %r7", "sub %r5, %r8", "or %r7, %r0", "mul %r8, %r2"],
      ...["add %r0, %r8", "xor %r2, %r7"],
      "jlt32 %r6, 60, loop",
      "ldxdw %r3, [%r10-8]",
      ...[2, 4, 5, 7, 8, 3].map((r) => `add %r0, %r${r}`),
      "exit",
    ].join("\n");
  }
  const LOAD = 20; // after six lddw of two slots each, then eight instructions
  /** r3's high word in the register file (r11 + 8 * 3 + 4, or both words at r11 + 24) stored or loaded by some code. */
  const r3High = (code: string[]) =>
    code.filter((l) => /^(ldr|str) r\d+, \[r11, #0x1c\]/.test(l) || /^(ldrd|strd) r\d+, r\d+, \[r11, #24\]/.test(l));

  it("a counter in a frame slot: its high word goes from the load to the add to the store in r1", () => {
    const listing = arm32Listing(assemble(counterLoop([])), { budget: 0 });
    expect(listing).toMatch(new RegExp(`^;\\s+${LOAD}: ldxdw %r3, \\[%r10-8\\]`, "m"));
    expect(listing).toMatch(new RegExp(`^;\\s+${LOAD + 2}: stxdw \\[%r10-8\\], %r3`, "m"));
    // r3 is written again (the next round's load) before anything reads it: its high word never reaches the
    // register file, and the store to the frame loads nothing back from there
    const code = codeOf(listing, LOAD, LOAD + 3);
    expect(r3High(code)).toEqual([]);
    // the load's high word in r1, the ADC's operand and result there, the frame store's high word from there
    expect(code.filter((l) => /^ldr r1, \[r11, #0x67c\]$/.test(l))).toHaveLength(1);
    expect(code.filter((l) => /^adc r1, r1, /.test(l))).toHaveLength(1);
    expect(codeOf(listing, LOAD + 2, LOAD + 3)).toContain("str r1, [r11, #0x67c]");
    expect(registerFileLoads(codeOf(listing, LOAD + 2, LOAD + 3))).toEqual([]);
  });

  it("a counter read after its store: its high word reaches the register file once, after the store", () => {
    const listing = arm32Listing(assemble(counterLoop(["add %r0, %r3"])), { budget: 0 });
    const code = codeOf(listing, LOAD, LOAD + 3);
    expect(r3High(code)).toEqual(["str r1, [r11, #0x1c]"]);
    expect(code[code.length - 1]).toBe("str r1, [r11, #0x1c]");
  });

  it("counters read after their store or not, 64-bit sums: the model's r0", async () => {
    const cases: Case[] = [];
    for (const after of [[], ["add %r0, %r3"], ["mov32 %r3, %r3"], ["jgt %r3, 7, skip", "xor %r0, %r3", "skip:"]]) {
      const source = counterLoop(after);
      for (const fill of [0, 0xff]) {
        const input = new Uint8Array(64).map((_, k) => (fill ? 0xff - k : k * 3));
        cases.push({ name: `${after.join("; ")} ${fill}`, shape: { source, input }, budget: 0 });
      }
    }
    const results = await outcomes(cases, model);
    expect(results.filter((r) => r.model.startsWith("r0 = ")).length).toBe(cases.length);
    expect(disagreeingWithModel(results)).toEqual([]);
  }, 60_000);
});
