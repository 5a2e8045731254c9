// A zero high word stored to the register file on the ARM32 engine (jit/regs.ts setHiZero: a 32-bit result or a
// narrow load into a register whose high word is not in an ARM register) is stored from an ARM register already
// holding 0: another eBPF register's high word known to be zero, or the scratch register when a zero high word
// stored just before left 0 in it (a32/code.ts holdsZero), instead of setting the scratch register each time.
// Generated walks mix narrow loads, 32-bit and 64-bit operations on more registers than ARM registers hold, and
// comparisons jumping over one of them (code the zero may or may not have run through); each outcome must be the
// interpreter's and that of test/support/asm-model.ts (BigInt, from the eBPF semantics).
import { describe, it, expect, beforeAll } from "vitest";
import { assemble } from "../../../src/tools/asm.js";
import { arm32Listing } from "../../../src/engines/arm32/build.js";
import { codeOf, ensureArm32Translator } from "../../support/arm32.js";
import { type Shape, outcomes, rng, walkCases } from "../../support/generated-runs.js";
import { disagreeingWithModel, modelRun as model } from "../../support/asm-model.js";

beforeAll(ensureArm32Translator);

const REGS = [0, 2, 3, 4, 5, 6, 7, 8]; // r1: the record's address, r6: the offset, r9: the input's address
const WRITTEN = REGS.filter((r) => r !== 6);
const ALU = ["add", "sub", "xor", "or", "and", "mul", "lsh", "rsh", "mov"];

/**
 * A walk over records whose lengths are the input's bytes (not versioned): each step a random mix of narrow loads
 * off the record, 32- and 64-bit operations (64-bit constants first, so that high words are not zero at the loop's
 * start) and comparisons of either width jumping over one; then r0 = a fold of the registers.
 */
function generate(seed: number, pastEnd: boolean): Shape {
  const rand = rng(seed);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rand() * xs.length)];
  const wide = () =>
    `0x${((BigInt(Math.floor(rand() * 2 ** 32)) << 32n) | BigInt(Math.floor(rand() * 2 ** 32))).toString(16)}`;
  const input = new Uint8Array(64 + Math.floor(rand() * 64));
  for (let i = 0; i < input.length; i++) input[i] = Math.floor(rand() * 256) & (i % 2 ? 7 : 255);
  const limit = pastEnd ? input.length + 32 : input.length - 8;
  const lines = WRITTEN.map((r) => `lddw %r${r}, ${wide()}`);
  lines.push("mov %r9, %r1", "mov %r6, 0", "loop:", "mov %r1, %r9", "add %r1, %r6");
  // (signed: no unsigned compare bounds the read, which analysis/facts.ts would version)
  lines.push("ldxb %r1, [%r1+1]", "add %r6, %r1", "add %r6, 1", `jsgt %r6, ${limit}, done`);
  lines.push("mov %r1, %r9", "add %r1, %r6");
  const op = (d: number) => {
    const w = rand() < 0.6 ? "32" : "";
    const o = pick(ALU);
    if (o === "lsh" || o === "rsh") return `${o}${w} %r${d}, ${1 + Math.floor(rand() * (w ? 31 : 63))}`;
    if (rand() < 0.4) return `${o}${w} %r${d}, ${Math.floor(rand() * 2000) - 1000}`;
    return `${o}${w} %r${d}, %r${pick(REGS)}`;
  };
  const steps = 8 + Math.floor(rand() * 10);
  let skips = 0;
  for (let k = 0; k < steps; k++) {
    const roll = rand();
    const d = pick(WRITTEN);
    if (roll < 0.3) lines.push(`${pick(["ldxb", "ldxh", "ldxw"])} %r${d}, [%r1+${Math.floor(rand() * 4)}]`);
    else if (roll < 0.45) {
      const label = `skip${skips++}`;
      const j = `${pick(["jeq", "jgt", "jlt"])}${rand() < 0.5 ? "32" : ""}`;
      lines.push(`${j} %r${d}, ${Math.floor(rand() * 64)}, ${label}`, op(pick(WRITTEN)), `${label}:`);
    } else lines.push(op(d));
  }
  lines.push("ja loop", "done:");
  for (const r of [2, 3, 4, 5, 7, 8]) lines.push("mul %r0, 1000003", `add %r0, %r${r}`);
  lines.push("exit");
  return { source: lines.join("\n"), input };
}

/**
 * A loop whose registers r3 and r8 hold 64-bit products at its end and bytes or 32-bit sums in it: only r0 gets an
 * ARM pair, r3 and r8 their low words alone, their high words staying in the register file. `between` comes just
 * before the 32-bit add to r8. The counter steps by 1 plus the byte read, so the loop is a walk the translator
 * does not version: the code checked is the ordinary code's.
 */
function walk(between: string[]): string {
  return [
    ...[0, 4, 5, 7].map((r) => `lddw %r${r}, 0x${(0x1234567 * (r + 1)).toString(16)}00000001`),
    "mov %r9, %r1",
    "mov %r6, 0",
    "loop:",
    "mov %r1, %r9",
    "add %r1, %r6",
    "ldxb %r3, [%r1+1]",
    ...between,
    "add32 %r8, 3",
    "add32 %r6, 1",
    "add32 %r6, %r3",
    "add %r0, %r3",
    "add %r0, %r8",
    "mul %r3, %r4",
    "mul %r8, %r5",
    "add %r4, %r3",
    "add %r5, %r8",
    "add %r7, %r0",
    "jlt32 %r6, 60, loop",
    ...[4, 5, 7].map((r) => `add %r0, %r${r}`),
    "exit",
  ].join("\n");
}

/** The code of instruction `at`, after checking the listing shows `insn` there. */
function codeAt(listing: string, at: number, insn: string): string[] {
  expect(listing).toMatch(new RegExp(`^;\\s+${at}: ${insn}$`, "m"));
  return codeOf(listing, at, at + 1);
}

describe("zero high words are stored from a register already holding 0", () => {
  it("generated walks with narrow loads and 32-bit operations: the model's r0, or the interpreter's fault", async () => {
    const cases = walkCases(generate);
    const listings = cases.map((c) => arm32Listing(assemble(c.shape.source), { budget: c.budget }));
    expect(listings.filter((l) => l.includes("(copy of loop")).length).toBe(0);
    const results = await outcomes(cases, model);
    expect(results.filter((r) => r.model.startsWith("r0 = ")).length).toBeGreaterThan(15);
    expect(disagreeingWithModel(results)).toEqual([]);
  }, 120_000);

  it("a second zero high word in a row stores the scratch register the first one set", () => {
    const listing = arm32Listing(assemble(walk([])), { budget: 0 });
    expect(listing).not.toContain("(copy of loop");
    // the byte load into r3 sets the scratch register to 0 and stores it as r3's high word (r11 + 8 * 3 + 4) ...
    const load = codeAt(listing, 12, "ldxb %r3, \\[%r1\\+1\\]");
    expect(load.slice(-2)).toEqual(["mov r12, #0", "str r12, [r11, #0x1c]"]);
    // ... and the 32-bit add to r8 stores it again as r8's (r11 + 8 * 8 + 4): no second MOV
    const add = codeAt(listing, 13, "add32 %r8, 3");
    expect(add).toHaveLength(2);
    expect(add[1]).toBe("str r12, [r11, #0x44]");
  });

  it("a zero high word stores another register's high word known to be 0", () => {
    // the 32-bit AND makes r0's high word (in an ARM register) 0: r8's zero high word is stored from it
    const listing = arm32Listing(assemble(walk(["and32 %r0, 65535"])), { budget: 0 });
    expect(listing).not.toContain("(copy of loop");
    const and = codeAt(listing, 13, "and32 %r0, 65535");
    const zeroed = /^mov (r\d+), #0$/.exec(and[and.length - 1]);
    expect(zeroed).not.toBeNull();
    const add = codeAt(listing, 14, "add32 %r8, 3");
    expect(add).toHaveLength(2);
    expect(add[1]).toBe(`str ${zeroed![1]}, [r11, #0x44]`);
  });
});
