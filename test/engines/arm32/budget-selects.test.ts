// If-conversion with an instruction budget (assembly/arm32/jit/select.ts, jit/budget.ts): a jump over a few ALU
// instructions becomes their code under the inverted condition. In a loop copy, the skipped block is charged
// with the chain before it, and the join's charge gives it back where the jump was taken (a conditional ADD); in
// the ordinary code, the join's charge counts the one skipped instruction where it ran.
// Generated loops with one or two such selects (skipping one to three instructions, lddw among them), with or
// without a way out of the loop before them (a chain that gives back on its way out), run with every budget from
// 1 to past the run's count: the ARM32 executable's result or fault against the interpreter's and against the
// model's (test/support/asm-model.ts), which counts the instructions itself. A count charged wrongly on either
// path of a select shows as a fault at another instruction, or as a run that ends where the model's faults.
import { describe, it, expect, beforeAll } from "vitest";
import { assemble } from "../../../src/tools/asm.js";
import { arm32Listing } from "../../../src/engines/arm32/build.js";
import { ensureArm32Translator } from "../../support/arm32.js";
import { type Case, type Shape, outcomes, rng } from "../../support/generated-runs.js";
import { disagreeingWithModel, modelLength, modelRun } from "../../support/asm-model.js";

beforeAll(ensureArm32Translator);

// 32-bit operations on registers the copy keeps in ARM registers: one word each, which a condition may carry; a
// 64-bit add (ADDS, ADC: it sets the flags) is never converted, an lddw seldom (MOVW and MOVT, and what uses it)
const SKIPPABLE = ["add32 %r0, %r6", "xor32 %r0, 90", "mov32 %r7, %r6", "add32 %r7, 1", "lsh32 %r0, 1", "add %r0, %r6"];

interface Loop {
  n: number; // trips when nothing leaves early (the input has n bytes)
  stop: boolean; // leave when a byte is 'a' (0x61), before the selects, to code longer than a trip (so that the
  // trip it leaves runs in the copy even when the budget ends at the run's last instruction)
  joined: boolean; // a 'd' (0x64) jumps to the first select's join too: no conversion there (its charge would
  // read that jump's flags)
  first: string[]; // skipped when the byte is above `above`
  above: number;
  second: string[]; // skipped when the byte's low bit is set (none: no second select)
  tail: number; // instructions after the loop
}

function source(p: Loop): string {
  return [
    "mov %r0, 0",
    "mov %r4, 0",
    "mov %r7, 0",
    `mov %r2, ${p.n}`,
    "loop:",
    "mov %r5, %r1",
    "add %r5, %r4",
    "ldxb %r6, [%r5+0]",
    ...(p.stop ? ["jeq %r6, 97, out"] : []),
    ...(p.joined ? ["jeq %r6, 100, first"] : []),
    `jgt %r6, ${p.above}, first`,
    ...p.first,
    "first:",
    "mul32 %r0, 3",
    "xor32 %r0, %r4",
    ...(p.second.length > 0 ? ["jset %r6, 1, second", ...p.second, "second:"] : []),
    "add32 %r0, %r7",
    "add %r4, 1",
    "jlt %r4, %r2, loop",
    ...Array(p.tail).fill("add %r0, 1"),
    "exit",
    "out:",
    "xor %r0, 85",
    "add %r0, %r4",
    ...Array(8).fill("add %r0, 3"),
    "exit",
  ].join("\n");
}

function skipped(rand: () => number): string[] {
  const k = 1 + Math.floor(rand() * 3);
  return Array.from({ length: k }, () =>
    rand() < 0.15 ? "lddw %r7, 0x123456789" : SKIPPABLE[Math.floor(rand() * SKIPPABLE.length)],
  );
}

function randomLoop(rand: () => number): Loop {
  return {
    n: 6 + Math.floor(rand() * 8),
    stop: rand() < 0.7,
    joined: rand() < 0.25,
    first: skipped(rand),
    above: 0x61 + Math.floor(rand() * 3),
    second: rand() < 0.6 ? skipped(rand) : [],
    tail: Math.floor(rand() * 3),
  };
}

/** n bytes among 'a' (the way out, in about 60% of the runs), 'b', 'c' and 'd'. */
function input(rand: () => number, n: number): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = 0x62 + Math.floor(rand() * 3);
  if (rand() < 0.6) b[Math.floor(rand() * n)] = 0x61;
  return b;
}

/** The lines of the listing in the copy of the loop. */
function copyLines(listing: string): string[] {
  let inCopy = false;
  return listing.split("\n").filter((line) => {
    if (line.startsWith(";")) inCopy = line.includes("(copy of loop");
    return inCopy && !line.startsWith(";");
  });
}

// The ordinary code (a loop no copy is made of: it stops when a shifted register is 0): a select over one
// instruction, charged at its join where it ran; a budget that cannot cover it faults as its own check would have.
interface Shifts {
  bits: number; // trips: the start value's bits
  first: string; // skipped when the value's low three bits are above `above`
  above: number;
  second: string; // skipped when the value's low bit is set ("": no second select)
  joined: boolean; // a jump to the first select's join too (no conversion there)
  tail: number;
}

function shiftsSource(p: Shifts): string {
  return [
    "mov %r0, 0",
    "mov %r7, 0",
    `lddw %r3, ${2 ** p.bits - 1 - (p.bits > 3 ? 6 : 0)}`,
    "loop:",
    "mov %r6, %r3",
    "and %r6, 7",
    ...(p.joined ? ["jeq %r6, 5, first"] : []),
    `jgt %r6, ${p.above}, first`,
    p.first,
    "first:",
    "mul32 %r0, 3",
    "xor32 %r0, %r3",
    ...(p.second ? ["jset %r6, 1, second", p.second, "second:"] : []),
    "add32 %r0, %r7",
    "rsh %r3, 1",
    "jne %r3, 0, loop",
    ...Array(p.tail).fill("add %r0, 1"),
    "exit",
  ].join("\n");
}

function randomShifts(rand: () => number): Shifts {
  const one = () => SKIPPABLE[Math.floor(rand() * SKIPPABLE.length)].replace("%r6", "%r3");
  return {
    bits: 4 + Math.floor(rand() * 8),
    first: one(),
    above: Math.floor(rand() * 7),
    second: rand() < 0.7 ? one() : "",
    joined: rand() < 0.25,
    tail: Math.floor(rand() * 3),
  };
}

describe("if-conversion in the ordinary code with a budget", () => {
  it("runs the skipped instruction under a condition and charges it at the join where it ran", () => {
    const p: Shifts = { bits: 6, first: "add32 %r0, %r3", above: 3, second: "add32 %r7, 1", joined: false, tail: 0 };
    const listing = arm32Listing(assemble(shiftsSource(p)), { budget: 1000 });
    expect(listing).not.toContain("(copy of loop");
    const lines = listing.split("\n");
    expect(lines.some((l) => /\saddls\s+r\d+, r\d+, r\d+$/.test(l))).toBe(true);
    expect(lines.some((l) => /\saddeq\s+r\d+, r\d+, #1$/.test(l))).toBe(true);
    // each join: the skipped instruction given back where the jump was taken, and the fault's way from its code
    expect(lines.filter((l) => /\sadd(hi|ne)\s+r12, r12, #1$/.test(l)).length).toBe(2);
    expect(lines.filter((l) => /\ssub\s+lr, pc, #\d+$/.test(l)).length).toBe(2);
    // a second jump to the first join: that select keeps its branch and its own charge
    const joined = arm32Listing(assemble(shiftsSource({ ...p, joined: true })), { budget: 1000 }).split("\n");
    expect(joined.filter((l) => /\sadd(hi|ne)\s+r12, r12, #1$/.test(l)).length).toBe(1);
    expect(joined.some((l) => /\saddls\s+r\d+, r\d+, r\d+$/.test(l))).toBe(false);
  });

  it("every budget from 1 to past the run's count: the model's and the interpreter's result or fault", async () => {
    const rand = rng(77);
    const cases: Case[] = [];
    for (let k = 0; k < 8; k++) {
      const p = randomShifts(rand);
      const shape: Shape = { source: shiftsSource(p), input: new Uint8Array(0) };
      const count = modelLength(shape);
      for (let budget = 1; budget <= count + 1; budget++)
        cases.push({ name: `${k} ${JSON.stringify(p)} budget ${budget}`, shape, budget });
    }
    expect(cases.length).toBeGreaterThan(500);
    const results = await outcomes(cases, modelRun);
    expect(disagreeingWithModel(results)).toEqual([]);
  }, 600_000);
});

describe("if-conversion at a group's first load with a budget", () => {
  // the join starts a group of loads off r1 (groups.ts), whose test goes before the join's charge and sets the
  // flags: the select keeps its branch (the translator stopped here before)
  const source = [
    "mov %r0, 0",
    "mov %r6, %r1",
    "ldxb %r2, [%r6+2]",
    "jgt %r2, 5, join",
    "add32 %r0, 1",
    "join:",
    "ldxb %r3, [%r1+0]",
    "ldxb %r4, [%r1+1]",
    "add %r0, %r3",
    "add %r0, %r4",
    "exit",
  ].join("\n");

  it("keeps the branch, and every budget gives the model's and the interpreter's result or fault", async () => {
    const listing = arm32Listing(assemble(source), { budget: 1000 }).split("\n");
    expect(listing.some((l) => /\sbhi\s/.test(l))).toBe(true);
    const cases: Case[] = [];
    for (const bytes of [
      [1, 2, 3],
      [1, 2, 9],
    ]) {
      const shape: Shape = { source, input: new Uint8Array(bytes) };
      for (let budget = 1; budget <= modelLength(shape) + 1; budget++)
        cases.push({ name: `${bytes} budget ${budget}`, shape, budget });
    }
    expect(disagreeingWithModel(await outcomes(cases, modelRun))).toEqual([]);
  }, 600_000);
});

describe("if-conversion in loop copies with a budget", () => {
  it("runs the skipped instructions under a condition and gives their count back at the join", () => {
    const p: Loop = {
      n: 8,
      stop: true,
      joined: false,
      first: ["add32 %r0, %r6"],
      above: 0x62,
      second: ["add32 %r7, 1"],
      tail: 0,
    };
    const listing = arm32Listing(assemble(source(p)), { budget: 1000 });
    expect(listing).toContain("the test on entry, then the copy without checks");
    const copy = copyLines(listing);
    // the first select's add under LS (jgt's inverted condition), the second's under EQ (jset's: TST)
    expect(copy.some((l) => /\saddls\s+r\d+, r\d+, r\d+$/.test(l))).toBe(true);
    expect(copy.some((l) => /\saddeq\s+r\d+, r\d+, #1$/.test(l))).toBe(true);
    // one check a trip: the chain before the first select charges the skipped blocks and the joins' blocks too
    // (the loop's first block 4, the jump's 1, the joins' 3 and 3, the skipped 1 and 1: 13), and its way out (the
    // 'a') gives back all but the first block (9)
    expect(copy.filter((l) => /\ssubs\s+r[01], r0, #/.test(l))).toEqual([expect.stringMatching(/subs\s+r0, r0, #13$/)]);
    expect(copy.some((l) => /\sadd\s+r0, r0, #9$/.test(l))).toBe(true);
    // each join gives its one skipped instruction back where its jump was taken
    expect(copy.filter((l) => /\sadd(hi|ne)\s+r0, r0, #1$/.test(l)).length).toBe(2);
  });

  it("every budget from 1 to past the run's count: the model's and the interpreter's result or fault", async () => {
    const rand = rng(4242);
    const cases: Case[] = [];
    for (let k = 0; k < 10; k++) {
      const p = randomLoop(rand);
      const shape: Shape = { source: source(p), input: input(rand, p.n) };
      const count = modelLength(shape);
      for (let budget = 1; budget <= count + 1; budget++)
        cases.push({ name: `${k} ${JSON.stringify(p)} budget ${budget}`, shape, budget });
    }
    expect(cases.length).toBeGreaterThan(600);
    // most of the programs have a select converted, a chain's way out given back more where one is
    const converted = new Set(cases.map((c) => c.shape.source)).values();
    const joins = [...converted].filter((s) =>
      copyLines(arm32Listing(assemble(s), { budget: 1000 })).some((l) =>
        /\sadd(eq|ne|hs|lo|mi|pl|hi|ls|ge|lt|gt|le)\s+r0, r0, #\d+$/.test(l),
      ),
    );
    expect(joins.length).toBeGreaterThan(4);
    const results = await outcomes(cases, modelRun);
    expect(disagreeingWithModel(results)).toEqual([]);
    // runs that stopped in the loop, after it, and completed
    expect(results.filter((r) => r.interp.startsWith("r0")).length).toBeGreaterThan(10);
    expect(results.filter((r) => r.interp.startsWith("instruction budget")).length).toBeGreaterThan(500);
  }, 600_000);
});
