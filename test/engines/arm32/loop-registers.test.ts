// Loop copies with many live registers on the ARM32 engine. A versioned loop's copy keeps the registers and wide
// constants it uses most in ARM registers of its own choice, a register whose high word is zero there in one ARM
// register, and moves them back on every way out. Generated loops mix 32-bit and 64-bit registers (more of them than
// ARM registers), wide constants, the stack through r10, exits from the middle of the loop, a checked access whose
// miss leaves the copy in the middle of a trip, and budgets running out inside the copy. Every register is folded
// into r0 after the loop, so a word left behind on a way out changes the result. Each outcome must be the
// interpreter's and that of test/support/asm-model.ts (BigInt, from the eBPF semantics).
import { describe, it, expect, beforeAll } from "vitest";
import { assemble } from "../../../src/tools/asm.js";
import { arm32Listing } from "../../../src/engines/arm32/build.js";
import { ensureArm32Translator } from "../../support/arm32.js";
import { type Case, type Outcome, type Shape, outcomes, rng } from "../../support/generated-runs.js";
import { modelLength as length, modelRun as model } from "../../support/asm-model.js";

beforeAll(ensureArm32Translator);

// ---- a deterministic generator ----

const VALUES = [0, 2, 3, 4, 5, 6, 7, 8]; // r1: the input, r9: the index, r10: the frame
const WIDE = [0x85ebca77, 0x9e3779b1, 0xc2b2ae3d, 0x27d4eb2f]; // no ARM immediate encodes them
const ALU = ["add", "sub", "xor", "or", "and", "mul"];
const SHIFTS = ["lsh", "rsh", "arsh"];

/**
 * A counted loop over r9 (0 below `bound`, step 1) whose body works on r0 and r2-r8 (half of them with 32-bit
 * operations only); after it, r0 = a fold of every register.
 */
function generate(seed: number, { checked, exitEarly }: { checked: boolean; exitEarly: boolean }): Shape {
  const rand = rng(seed);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rand() * xs.length)];
  const bound = 16 + Math.floor(rand() * 48);
  const narrow = new Set(VALUES.filter(() => rand() < 0.5));
  const lines: string[] = [];
  for (const r of VALUES) {
    if (narrow.has(r)) lines.push(`mov32 %r${r}, ${Math.floor(rand() * 2 ** 31)}`);
    else lines.push(`lddw %r${r}, 0x${((BigInt(Math.floor(rand() * 2 ** 32)) << 32n) | 0x1234567n).toString(16)}`);
  }
  lines.push("stxdw [%r10-8], %r0", "stxdw [%r10-64], %r2", "stxdw [%r10-56], %r3", "mov %r9, 0", "loop:");
  const ops = 12 + Math.floor(rand() * 16);
  for (let k = 0; k < ops; k++) {
    const d = pick(VALUES);
    const s = pick(VALUES);
    const w = narrow.has(d) ? "32" : "";
    const kind = k === 0 ? 0 : rand(); // at least one access: a loop without one is not versioned
    if (kind < 0.15) {
      // a load from the input at r1 + r9 + off (planned: unchecked in the copy)
      const size = pick(["b", "h", "w"]);
      lines.push(`mov %r${d}, %r1`, `add %r${d}, %r9`, `ldx${size} %r${d}, [%r${d}+${Math.floor(rand() * 5)}]`);
      if (exitEarly && size === "b" && rand() < 0.5) lines.push(`jeq %r${d}, 0x5a, done`);
    } else if (kind < 0.35) lines.push(`${pick(ALU)}${w} %r${d}, ${pick(WIDE)}`);
    else if (kind < 0.55) lines.push(`${pick(ALU)}${w} %r${d}, %r${s}`);
    else if (kind < 0.7) lines.push(`${pick(SHIFTS)}${w} %r${d}, ${1 + Math.floor(rand() * (w ? 31 : 63))}`);
    else if (kind < 0.78) lines.push(`mov${w} %r${d}, %r${s}`);
    else if (kind < 0.86) lines.push(`add${w} %r${d}, ${Math.floor(rand() * 2000) - 1000}`);
    else if (kind < 0.93) lines.push(rand() < 0.5 ? `stxdw [%r10-8], %r${s}` : `ldxdw %r${d}, [%r10-8]`);
    else if (checked) {
      // a stack slot through a computed pointer: checked, and a miss of the copy's region window
      lines.push(`mov %r${d}, %r${s}`, `and %r${d}, 8`, `add %r${d}, %r10`, `ldxdw %r${d}, [%r${d}-64]`);
    } else lines.push(`xor${w} %r${d}, %r${s}`);
  }
  lines.push("add %r9, 1", `jlt %r9, ${bound}, loop`, "done:");
  for (const r of [2, 3, 4, 5, 6, 7, 8, 9]) lines.push("mul %r0, 1000003", `add %r0, %r${r}`);
  lines.push("exit");
  const input = new Uint8Array(bound + 8);
  for (let i = 0; i < input.length; i++) input[i] = Math.floor(rand() * 256);
  if (exitEarly) input[Math.floor(rand() * bound)] = 0x5a;
  return { source: lines.join("\n"), input };
}

// ---- the engines ----

function disagreeing(results: Outcome[]) {
  return results.filter((r) => r.arm32 !== r.model || r.interp !== r.model);
}

describe("loop copies with registers of their own", () => {
  it("generated loops, every register live after them: the model's r0", async () => {
    const cases: Case[] = [];
    for (let seed = 1; seed <= 24; seed++) {
      const opts = { checked: seed % 3 === 0, exitEarly: seed % 4 === 1 };
      // with a budget, the copy checks it at every block (a conditional way out there); without, it does not
      const budget = seed % 2 === 0 ? 0 : 1_000_000;
      cases.push({ name: `seed ${seed} ${JSON.stringify(opts)}`, shape: generate(seed, opts), budget });
    }
    // the shapes are loops the translator versions (else they would test nothing here)
    const copied = cases.filter((c) => arm32Listing(assemble(c.shape.source)).includes("(copy of loop"));
    expect(cases.filter((c) => !copied.includes(c)).map((c) => c.name + "\n" + c.shape.source)).toEqual([]);
    const results = await outcomes(cases, model);
    expect(results.every((r) => r.model.startsWith("r0 = "))).toBe(true);
    expect(disagreeing(results)).toEqual([]);
  }, 120_000);

  it("budgets running out inside the copy: the same instruction as the model's", async () => {
    const cases: Case[] = [];
    for (let seed = 101; seed <= 110; seed++) {
      const shape = generate(seed, { checked: seed % 2 === 0, exitEarly: false });
      const total = length(shape);
      const rand = rng(seed);
      for (let k = 0; k < 2; k++) {
        const budget = 30 + Math.floor(rand() * (total - 40));
        cases.push({ name: `seed ${seed} budget ${budget}`, shape, budget });
      }
    }
    const results = await outcomes(cases, model);
    expect(results.every((r) => r.model.startsWith("instruction budget"))).toBe(true);
    expect(disagreeing(results)).toEqual([]);
  }, 120_000);

  it("six registers and two wide constants of a loop stay in ARM registers through its copy", () => {
    // r0, r2-r4: 32-bit values, r1 the input, r9 the index: with the two constants (a MOVW and a MOVT each
    // elsewhere), eight ARM registers, where the whole program's choice has three pairs
    const source = [
      "mov32 %r0, 1",
      "mov32 %r2, 2",
      "mov32 %r3, 3",
      "mov32 %r4, 4",
      "mov %r9, 0",
      "loop:",
      "mov %r3, %r1",
      "add %r3, %r9",
      "ldxb %r3, [%r3+0]",
      "mul32 %r3, 0x85ebca77",
      "add32 %r0, %r3",
      "xor32 %r2, %r0",
      "mul32 %r2, 0x9e3779b1",
      "add32 %r4, %r2",
      "lsh32 %r4, 3",
      "mul32 %r4, 0x85ebca77",
      "add %r9, 1",
      "jlt %r9, 64, loop",
      "add %r0, %r2",
      "add %r0, %r4",
      "exit",
    ].join("\n");
    const lines = arm32Listing(assemble(source), { budget: 0 }).split("\n");
    // the ARM lines under the copy's eBPF instructions, up to its back edge
    const copy: string[] = [];
    let inCopy = false;
    for (const line of lines) {
      if (line.startsWith(";")) inCopy = line.includes("(copy of loop");
      else if (inCopy) copy.push(line);
    }
    const body = copy.slice(0, copy.findIndex((l) => /\bblo\b/.test(l)) + 1);
    expect(body.length).toBeGreaterThan(8);
    expect(body.filter((l) => /\[r11|movw|movt|\[pc/.test(l))).toEqual([]);
  });
});
