// Loads and stores at fixed offsets in the program's own frame on the ARM32 engine are not places where code is
// entered from elsewhere (jit/step.ts entryPoint): they have no check whose miss resumes there, so a group's copy
// (jit/groups.ts) runs on past them, and a 64-bit store of a value the instruction before computed stores the
// registers that computed it (jit/regs.ts hiJustStored) instead of loading its high word back from the register
// file: clang's u64 counters spilled to the frame (load, add, store back). Generated walks over records mix such
// counters with loads from the input off one base (a group), 32- and 64-bit operations and comparisons of both
// widths; each outcome must be the interpreter's and that of test/support/asm-model.ts (BigInt, from the eBPF
// semantics).
import { describe, it, expect, beforeAll } from "vitest";
import { assemble } from "../../../src/tools/asm.js";
import { arm32Listing } from "../../../src/engines/arm32/build.js";
import { codeOf, ensureArm32Translator } from "../../support/arm32.js";
import { type Case, type Outcome, type Shape, outcomes, rng } from "../../support/generated-runs.js";
import { MODEL_OUT as OUT, modelRun as model } from "../../support/asm-model.js";

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
  lines.push("add %r6, %r1", "add %r6, 1", `jgt %r6, ${limit}, done`);
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

function disagreeing(results: Outcome[]) {
  return results.filter((r) =>
    r.model === OUT ? r.arm32 !== r.interp || r.interp.startsWith("r0 =") : r.arm32 !== r.model || r.interp !== r.model,
  );
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
    const cases: Case[] = [];
    for (let seed = 1; seed <= 24; seed++) {
      const budget = seed % 3 === 0 ? 1_000_000 : 0;
      cases.push({ name: `seed ${seed}`, shape: generate(seed, seed % 5 === 2), budget });
    }
    const listings = cases.map((c) => arm32Listing(assemble(c.shape.source), { budget: c.budget }));
    expect(listings.filter((l) => l.includes("(copy of loop")).length).toBe(0);
    const results = await outcomes(cases, model);
    expect(results.filter((r) => r.model.startsWith("r0 = ")).length).toBeGreaterThan(15);
    expect(disagreeing(results)).toEqual([]);
  }, 120_000);

  it("a counter in a frame slot: its store takes the high word from the registers the add left it in", () => {
    // r0, r2, r4, r5, r7 and r8 hold 64-bit values used more than r3, the counter: r3 lives in the register file
    const source = [
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
      ...["add %r0, %r2", "xor %r2, %r4", "add %r4, %r5", "sub %r5, %r7", "or %r7, %r8", "mul %r8, %r0"],
      ...["add %r0, %r4", "xor %r2, %r5", "add %r4, %r7", "sub %r5, %r8", "or %r7, %r0", "mul %r8, %r2"],
      ...["add %r0, %r8", "xor %r2, %r7"],
      "jlt32 %r6, 60, loop",
      "ldxdw %r3, [%r10-8]",
      ...[2, 4, 5, 7, 8, 3].map((r) => `add %r0, %r${r}`),
      "exit",
    ].join("\n");
    const listing = arm32Listing(assemble(source), { budget: 0 });
    const add = 21; // after six lddw of two slots each, then nine instructions
    expect(listing).toMatch(new RegExp(`^;\\s+${add}: add %r3, %r1`, "m"));
    // the add stores r3 to the register file (r11 + 8 * 3: both words, or its high word at + 4) ...
    const stores = codeOf(listing, add, add + 1).filter((l) => /^str\S* r\d+, (r\d+, )?\[r11, #(24|0x1c)\]/.test(l));
    expect(stores).toHaveLength(1);
    // ... and the store to the frame takes it from the registers it came from, loading nothing back
    const store = codeOf(listing, add + 1, add + 2);
    expect(store).toHaveLength(2);
    expect(registerFileLoads(store)).toEqual([]);
  });
});
