// The ordinary code's register choice on the ARM32 engine with registers that keep their low word alone in an ARM
// register (jit/lowords.ts): a loop the translator does not version (a walk whose accesses depend on loaded data)
// works on more registers than three pairs hold, most of them 32-bit. Generated walks mix 32-bit and 64-bit
// registers (more of them than ARM registers), helper calls inside the loop, exits from its middle, loads past
// the input (a fault inside the loop) and budgets running out there. Every register is folded into r0 after the
// loop, so a word left in the wrong place changes the result. Each outcome must be the interpreter's and, where
// the program ends normally or on its budget, that of test/support/asm-model.ts (BigInt, from the eBPF semantics).
import { describe, it, expect, beforeAll } from "vitest";
import { assemble } from "../../../src/tools/asm.js";
import { arm32Listing } from "../../../src/engines/arm32/build.js";
import { codeOf, ensureArm32Translator } from "../../support/arm32.js";
import { type Case, type Shape, outcomes, rng } from "../../support/generated-runs.js";
import {
  MODEL_OUT as OUT,
  disagreeingWithModel,
  modelLength as length,
  modelRun as model,
} from "../../support/asm-model.js";

beforeAll(ensureArm32Translator);

// ---- a deterministic generator ----

const ACC = [0, 2, 3, 4, 5, 7, 8]; // r1: the byte just loaded, r6: the offset, r9: the input's address
const ALU = ["add", "sub", "xor", "or", "and", "mul", "lsh", "rsh"];

interface Options {
  calls: boolean; // a helper call (get_smp_processor_id: r0 = 0, r1-r5 clobbered) in the loop
  exitEarly: boolean; // a way out of the loop's middle
  pastEnd: boolean; // the walk's limit lies past the input: the load faults
}

/**
 * A walk over records whose lengths are the input's bytes: r6 advances by each byte + 1 (the loop cannot be
 * versioned), the body folds the byte into r0, r2-r5, r7, r8 (half of them 32-bit), then r0 = a fold of all.
 */
function generate(seed: number, opts: Options): Shape {
  const rand = rng(seed);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rand() * xs.length)];
  const narrow = new Set(ACC.filter(() => rand() < 0.5));
  const init = (r: number) =>
    narrow.has(r)
      ? `mov32 %r${r}, ${Math.floor(rand() * 2 ** 31)}`
      : `lddw %r${r}, 0x${((BigInt(Math.floor(rand() * 2 ** 32)) << 32n) | BigInt(Math.floor(rand() * 2 ** 32))).toString(16)}`;
  const input = new Uint8Array(96 + Math.floor(rand() * 96));
  for (let i = 0; i < input.length; i++) input[i] = Math.floor(rand() * 8);
  const limit = opts.pastEnd ? input.length + 64 : input.length - 1;
  const lines = ACC.map(init);
  lines.push("mov %r9, %r1", "mov %r6, 0", "loop:", "mov %r1, %r9", "add %r1, %r6", "ldxb %r1, [%r1+0]");
  // (signed: no unsigned compare bounds the read, which analysis/facts.ts would version)
  lines.push(rand() < 0.5 ? "add32 %r6, %r1" : "add %r6, %r1", "add %r6, 1", `jsgt %r6, ${limit}, done`);
  const ops = 6 + Math.floor(rand() * 10);
  for (let k = 0; k < ops; k++) {
    const d = pick(ACC);
    const s = rand() < 0.4 ? 1 : pick(ACC);
    // a 32-bit register's operations are 32-bit, but now and then a 64-bit one: wide in some paths only
    const w = narrow.has(d) && rand() < 0.9 ? "32" : "";
    const op = pick(ALU);
    if (op === "lsh" || op === "rsh") lines.push(`${op}${w} %r${d}, ${1 + Math.floor(rand() * (w ? 31 : 63))}`);
    else if (rand() < 0.3) lines.push(`${op}${w} %r${d}, ${Math.floor(rand() * 2000) - 1000}`);
    else lines.push(`${op}${w} %r${d}, %r${s}`);
    if (opts.exitEarly && k === 2) lines.push("jeq %r1, 7, done");
    if (opts.calls && k === 3) {
      // r0 = 0 after the call; r1-r5 are not to be read before they are written again
      lines.push("call 8", "mov32 %r2, %r6", "lddw %r3, 0x123456789", "mov %r4, %r0", "mov32 %r5, 77");
    }
  }
  lines.push("ja loop", "done:");
  for (const r of [2, 3, 4, 5, 6, 7, 8]) lines.push("mul %r0, 1000003", `add %r0, %r${r}`);
  lines.push("exit");
  return { source: lines.join("\n"), input };
}

// ---- the engines ----

/** The generated shapes must be loops the translator runs in its ordinary code (else they test nothing here). */
function versioned(cases: Case[]): string[] {
  return cases.filter((c) => arm32Listing(assemble(c.shape.source)).includes("(copy of loop")).map((c) => c.name);
}

/**
 * The eBPF registers whose low word alone is in an ARM register: the prologue zeroes the register file's words of
 * the others (`str r2, [r11, #8n]` and `#8n + 4`), of these the high word only.
 */
function lowWordsAlone(listing: string): number[] {
  const prologue = listing.slice(0, listing.search(/^;\s+0: /m));
  const zeroed = new Set(
    [...prologue.matchAll(/str r2, \[r11(?:, #(0x[0-9a-f]+|\d+))?\]/g)].map((m) => Number(m[1] ?? 0)),
  );
  return [...Array(10).keys()].filter((r) => zeroed.has(8 * r + 4) && !zeroed.has(8 * r));
}

describe("registers kept by their low word alone in a loop that is not versioned", () => {
  it("generated walks, every register live after them: the model's r0, or the interpreter's fault", async () => {
    const cases: Case[] = [];
    for (let seed = 1; seed <= 24; seed++) {
      const opts = { calls: seed % 3 === 0, exitEarly: seed % 4 === 1, pastEnd: seed % 5 === 2 };
      const budget = seed % 2 === 0 ? 0 : 1_000_000;
      cases.push({ name: `seed ${seed} ${JSON.stringify(opts)}`, shape: generate(seed, opts), budget });
    }
    expect(versioned(cases)).toEqual([]);
    // (and most keep some registers' low words alone, else they test nothing new)
    const alone = cases.filter((c) => lowWordsAlone(arm32Listing(assemble(c.shape.source))).length > 0);
    expect(alone.length).toBeGreaterThan(cases.length / 2);
    const results = await outcomes(cases, model);
    expect(results.filter((r) => r.model === OUT).length).toBeGreaterThan(2);
    expect(results.filter((r) => r.model.startsWith("r0 = ")).length).toBeGreaterThan(12);
    expect(disagreeingWithModel(results)).toEqual([]);
  }, 120_000);

  it("budgets running out inside the walk: the same instruction as the model's", async () => {
    const cases: Case[] = [];
    for (let seed = 101; seed <= 110; seed++) {
      const shape = generate(seed, { calls: seed % 2 === 0, exitEarly: false, pastEnd: false });
      const total = length(shape);
      const rand = rng(seed);
      for (let k = 0; k < 2; k++) {
        const budget = 20 + Math.floor(rand() * (total - 30));
        cases.push({ name: `seed ${seed} budget ${budget}`, shape, budget });
      }
    }
    const results = await outcomes(cases, model);
    expect(results.every((r) => r.model.startsWith("instruction budget"))).toBe(true);
    expect(disagreeingWithModel(results)).toEqual([]);
  }, 120_000);

  it("six 32-bit registers of a walk stay in ARM registers: no register-file access in its body", () => {
    // r1 the byte, r6 the offset, r9 the input's address, r2-r4 sums: all 32-bit, six registers where three pairs
    // would hold three
    const source = [
      "mov32 %r2, 1",
      "mov32 %r3, 2",
      "mov32 %r4, 3",
      "mov %r9, %r1",
      "mov32 %r6, 0",
      "loop:",
      "mov32 %r1, %r9",
      "add32 %r1, %r6",
      "ldxb %r1, [%r1+0]",
      "add32 %r6, %r1",
      "add32 %r6, 1",
      "add32 %r2, %r1",
      "xor32 %r3, %r2",
      "add32 %r4, %r3",
      "lsh32 %r4, 1",
      "jlt32 %r6, 60, loop",
      "mov32 %r0, %r2",
      "add32 %r0, %r3",
      "add32 %r0, %r4",
      "exit",
    ].join("\n");
    const listing = arm32Listing(assemble(source), { budget: 0 });
    expect(listing).not.toContain("(copy of loop");
    expect(lowWordsAlone(listing)).toEqual([1, 2, 3, 4, 6, 9]);
    const body = codeOf(listing, 5, 16);
    expect(body.length).toBeGreaterThan(8);
    // the register file: 8 bytes a register from r11 + 0, r0-r10
    expect(body.filter((l) => /\[r11, #(\d+|0x[0-9a-f]+)\]/.test(l) && Number(/#(\w+)\]/.exec(l)![1]) < 88)).toEqual(
      [],
    );
  });
});
