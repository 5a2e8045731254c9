// The instruction budget running out in the middle of a basic block that holds an access that may fault
// (assembly/arm32/jit/segments.ts): the ordinary code charges a block in segments, each up to and including such
// an access, so that an access before the point the budget runs out at runs, and faults at its own instruction,
// as on the interpreter. Generated blocks: every access kind (loads, stores of a register and of a constant,
// atomics) at every position of a block, faulting or not, with another access before or after it, under every
// budget around it; in the ordinary code, in a loop's copy (a checked access whose miss goes back to the ordinary
// code in the middle of its block) and in a group's copy (entered at a load in the middle of a block, its store's
// miss going back there too). The ARM32 executable's result or fault against the interpreter's.
import { describe, it, expect, beforeAll } from "vitest";
import { assemble } from "../../../src/tools/asm.js";
import { arm32Listing } from "../../../src/engines/arm32/build.js";
import { evaluate } from "../../../src/fuzz/reference.js";
import { STACK_BASE } from "../../../assembly/layout.js";
import { ensureArm32Translator } from "../../support/arm32.js";
import { type Case, outcomes } from "../../support/generated-runs.js";

beforeAll(ensureArm32Translator);

const INPUT = 24; // bytes of context: r1 points at them
const FAR = 40; // an offset past their end

/** An access of each kind through r1 at `off` (r3 and r4 are free for it). */
const ACCESSES: ((off: number) => string)[] = [
  (off) => `ldxb %r3, [%r1+${off}]`,
  (off) => `ldxh %r3, [%r1+${off}]`,
  (off) => `ldxw %r3, [%r1+${off}]`,
  (off) => `ldxdw %r3, [%r1+${off}]`,
  (off) => `stb [%r1+${off}], 7`,
  (off) => `stxw [%r1+${off}], %r0`,
  (off) => `stxdw [%r1+${off}], %r0`,
  (off) => `stdw [%r1+${off}], -3`,
  (off) => `lock add32 [%r1+${off}], %r0`,
  (off) => `lock fetch add [%r1+${off}], %r3`,
];

/** ALU filler: each changes r0, so that a run that ends elsewhere shows. */
const fill = (k: number) => `add %r0, ${k + 1}`;

/** Instructions a run executes up to its end, a fault's instruction included (the reference evaluator's count). */
function executedWithout(code: Uint8Array, data: Uint8Array): number {
  return evaluate(code, data, { inputAddr: 0x30000, stackBase: STACK_BASE, budget: 0 }).executed;
}

const input = () => Uint8Array.from({ length: INPUT }, (_, k) => (k * 37 + 11) & 0xff);

/** Every budget from three before the run's end (a fault or the exit) to `past` after it. */
function around(name: string, source: string, data: Uint8Array, past = 2): Case[] {
  const end = executedWithout(assemble(source), data);
  const cases: Case[] = [];
  for (let budget = Math.max(1, end - 3); budget <= end + past; budget++) {
    cases.push({ name: `${name} budget ${budget}`, shape: { source, input: data }, budget });
  }
  return cases;
}

/** Straight code: a block of `length` instructions, the access at `at`, another access (in range) at `other`. */
function block(kind: number, at: number, faults: boolean, other: number, length: number): string {
  const lines = ["mov %r0, 5", "jeq %r2, 0, out"]; // the block starts after the jump
  for (let k = 0; k < length; k++) {
    if (k === at) lines.push(ACCESSES[kind](faults ? FAR : 8));
    else if (k === other) lines.push(ACCESSES[(kind + 4) % ACCESSES.length](0));
    else lines.push(fill(k));
  }
  lines.push("add %r0, %r3", "exit", "out:", "exit");
  return ["mov %r3, 0", ...lines].join("\n");
}

/**
 * A counted loop over the input's bytes, which the translator copies without checks on its own loads; in its body,
 * a load or store at an offset the previous trip's byte gives (checked in the copy): at the block's start (`at`
 * 0), right after the loop's own load (1: the ordinary code charges again there), or `before` instructions after
 * it (2), `after` instructions after it in the same block. On the trip after the one whose byte takes it past the
 * input's end, its check misses in the copy, which goes back to the ordinary code at that access.
 */
function loop(at: number, before: number, after: number, kind: number): string {
  const checked = kind === 0 ? "ldxb %r8, [%r7+0]" : kind === 1 ? "stb [%r7+0], 1" : "ldxw %r8, [%r7+0]";
  const lines = ["mov %r0, 0", "mov %r4, 0", "mov %r2, 16", "mov %r7, %r1", "loop:"];
  if (at === 0) lines.push(checked);
  lines.push("mov %r5, %r1", "add %r5, %r4", "ldxb %r6, [%r5+0]");
  if (at === 1) lines.push(checked);
  for (let k = 0; k < before; k++) lines.push(fill(k));
  if (at === 2) lines.push(checked);
  for (let k = 0; k < after; k++) lines.push(fill(k + before));
  lines.push("mov %r7, %r6", "and %r7, 31", "add %r7, %r1"); // the next trip's address
  lines.push("add %r0, %r6", "add %r4, 1", "jlt %r4, %r2, loop", "exit");
  return lines.join("\n");
}

/** Loop input: bytes below 16, but the trip `stop` reads one that takes the load past the end. */
function loopInput(stop: number): Uint8Array {
  const data = Uint8Array.from({ length: INPUT }, (_, k) => (k * 5 + 3) & 15);
  data[stop] = 30;
  return data;
}

/**
 * Loads off r1 that one test covers (a group, copied without their checks), starting after `before` instructions
 * of their block; a store at r1 + `off` among them (checked in the group's copy), `after` instructions after it.
 */
function group(before: number, after: number, off: number, storeAt: number): string {
  const lines = ["mov %r0, 3", "jeq %r2, 0, out"];
  for (let k = 0; k < before; k++) lines.push(fill(k));
  const loads = ["ldxb %r3, [%r1+0]", "add %r0, %r3", "ldxb %r4, [%r1+1]", "add %r0, %r4", "ldxh %r5, [%r1+2]"];
  loads.splice(storeAt, 0, `stxb [%r1+${off}], %r0`);
  lines.push(...loads);
  for (let k = 0; k < after; k++) lines.push(fill(k + before));
  lines.push("add %r0, %r5", "exit", "out:", "exit");
  return lines.join("\n");
}

/** The runs whose ARM32 outcome is not the interpreter's. */
async function disagreeing(cases: Case[]) {
  const results = await outcomes(cases, () => "");
  return { results, wrong: results.filter((r) => r.arm32 !== r.interp) };
}

describe("a budget running out in a block with an access that may fault", () => {
  it("the command line's example: the access's fault, not the budget's", async () => {
    const source = [
      ...Array.from({ length: 10 }, (_, k) => (k ? `add %r0, ${k}` : "mov %r0, 0")),
      "stxdw [%r10-513], %r0",
      "exit",
    ];
    const { results, wrong } = await disagreeing(around("example", source.join("\n"), new Uint8Array(0)));
    expect(wrong).toEqual([]);
    expect(results.find((r) => r.name.endsWith("budget 11"))!.arm32).toMatch(
      /^out-of-bounds write of 8 bytes at stack-0x1 \(instruction 10\)/,
    );
  }, 120_000);

  it("every access kind at every position of a block in the ordinary code, every budget around its end", async () => {
    const cases: Case[] = [];
    const length = 4;
    for (let kind = 0; kind < ACCESSES.length; kind++) {
      for (let at = 0; at < length; at++) {
        const other = (at + 1 + (kind % (length - 1))) % length; // another access, before or after it
        cases.push(...around(`kind ${kind} at ${at} other ${other}`, block(kind, at, true, other, length), input()));
      }
      // not faulting: every budget through the block's segments
      const source = block(kind, kind % length, false, (kind + 2) % length, length);
      const end = executedWithout(assemble(source), input());
      for (let budget = 1; budget <= end; budget++) {
        cases.push({ name: `kind ${kind} in range budget ${budget}`, shape: { source, input: input() }, budget });
      }
    }
    const { results, wrong } = await disagreeing(cases);
    expect(wrong).toEqual([]);
    // budgets that end before the access, and access faults that a budget ending after them does not hide
    expect(
      results.filter((r) => r.interp.startsWith("out-of-bounds") && !r.name.endsWith("budget 1")).length,
    ).toBeGreaterThan(50);
    expect(results.filter((r) => r.interp.startsWith("instruction budget")).length).toBeGreaterThan(100);
  }, 600_000);

  it("in a loop's copy, a checked load or store that misses and goes back to the ordinary code mid-block", async () => {
    const cases: Case[] = [];
    for (let kind = 0; kind < 3; kind++) {
      for (let at = 0; at <= 2; at++) {
        for (let after = 0; after <= 2; after++) {
          const before = at === 2 ? 1 + ((kind + after) % 2) : 0;
          const source = loop(at, before, after, kind);
          if (kind === 0 && after === 0)
            expect(arm32Listing(assemble(source), { budget: 1000 })).toContain("(copy of loop");
          // past the fault up to its block's end: where the copy's charge covers the block (and gives back, on
          // the miss, what the ordinary code charges again)
          const data = loopInput(3 + ((at + after + kind) % 5));
          cases.push(...around(`loop ${kind} ${at} ${after}`, source, data, 12));
        }
      }
    }
    const { results, wrong } = await disagreeing(cases);
    expect(wrong).toEqual([]);
    expect(results.filter((r) => r.interp.startsWith("out-of-bounds")).length).toBeGreaterThan(40);
  }, 600_000);

  it("in a group's copy entered in the middle of a block, a store that misses and one that does not", async () => {
    const cases: Case[] = [];
    const listings: string[] = [];
    for (let before = 0; before <= 2; before++) {
      for (let after = 0; after <= 2; after++) {
        for (let storeAt = 1; storeAt <= 4; storeAt += 3) {
          for (const off of [FAR, 6]) {
            const source = group(before, after, off, storeAt);
            // the group's copy: its charge, which goes back to the ordinary code when the budget cannot cover it
            if (before === 1 && after === 0) listings.push(arm32Listing(assemble(source), { budget: 1000 }));
            const name = `group ${before} ${after} ${off} ${storeAt}`;
            const end = executedWithout(assemble(source), input());
            for (let budget = 1; budget <= end + 1; budget++)
              cases.push({ name: `${name} budget ${budget}`, shape: { source, input: input() }, budget });
          }
        }
      }
    }
    const { results, wrong } = await disagreeing(cases);
    expect(wrong).toEqual([]);
    expect(results.filter((r) => r.interp.startsWith("out-of-bounds")).length).toBeGreaterThan(20);
    // the group's copy charges what its test skipped, going back to the ordinary code when the budget cannot
    // cover it (a copy's check: SUBS into r0, BLO)
    for (const listing of listings) expect(listing).toMatch(/subs\s+r0, r0, #\d+\n.*\sblo\s/);
  }, 600_000);
});
