// Nested counted loops on the ARM32 engine (assembly/arm32/analysis/nests.ts, versioned.ts emitNestTest): an outer
// loop whose test proves its inner loop's accesses over the trips of both, so that the inner loop runs in the outer
// copy without a test of its own, and the rotated loop clang makes of `for (i = 0; i + n <= len; i++)` (entered by
// a jump into its middle, its exit test on i + n, several ways back: loops.ts planRotated). Generated nests, the
// inner bound a register the outer loop does not write or a constant, the outer exit on iv or on iv + that
// register, index and pointer forms, counting up and down, inner loops leaving early, the last trip reaching the
// context's last byte or one byte past it, inner loops starting at the outer iv (`for (j = i + 1; j < n; j++)`, a
// selection sort's, analysis/nests.ts): r0 (or the fault and its instruction) as computed here, the
// interpreter's, and the ARM32 executable's, also when the budget runs out at every count over the first trips.
import { describe, it, expect, beforeAll } from "vitest";
import { assemble } from "../../../src/tools/asm.js";
import { arm32Listing } from "../../../src/engines/arm32/build.js";
import { ensureArm32Translator } from "../../support/arm32.js";
import { type Case, outcomes, r0Is, rng } from "../../support/generated-runs.js";
import { type Nest, MEMSEARCH, input, model, program, randomNest, reaching } from "../../support/nest-programs.js";

beforeAll(ensureArm32Translator);

const FAULT = (insn: number) => new RegExp(`out-of-bounds read of 1 bytes? at .*\\(instruction ${insn}\\)`);

/** The listing's heading of an inner loop in an outer copy whose test proved it, with the line after it. */
const innerInCopy = /; loop (\d+)-\d+ \(in the copy of (\d+-\d+)\): the copy, proved by \2's test\n(.*)\n/;

/** The runs where the interpreter misses the value or fault computed here, or ARM32 differs from it. */
function disagreeing(
  results: Awaited<ReturnType<typeof outcomes>>,
  expected: Map<string, { r0?: bigint; fault?: number }>,
) {
  return results.filter((r) => {
    const e = expected.get(r.name)!;
    const ok = e.fault === undefined ? r.interp === r0Is(e.r0!) : FAULT(e.fault).test(r.interp);
    return !ok || r.arm32 !== r.interp;
  });
}

/**
 * `count` nests from `nest` over random inputs, each ending inside the input, at its last byte, or one or more
 * bytes past it at the last outer trip (k mod 3), with the value or fault computed here for each.
 */
function nestCases(rand: () => number, count: number, nest: () => Nest) {
  const cases: Case[] = [];
  const expected = new Map<string, { r0?: bigint; fault?: number }>();
  for (let k = 0; k < count; k++) {
    const length = 16 + Math.floor(rand() * 48);
    const past = k % 3 === 2 ? -1 - Math.floor(rand() * 6) : k % 3;
    const p = reaching(nest(), length, past);
    if (!p) continue;
    const data = input(rand, length);
    const shape = program(p);
    const name = `${k} ${JSON.stringify(p)} ${Buffer.from(data).toString("latin1")}`;
    expected.set(name, model(p, data, shape));
    cases.push({ name, shape: { source: shape.source, input: data }, budget: 0 });
  }
  return { cases, expected };
}

describe("an inner loop in the copy of the loop around it", () => {
  it("runs without a test of its own: the outer loop's test proved its accesses", () => {
    for (const p of [MEMSEARCH, { ...MEMSEARCH, outer: "counted" as const }, { ...MEMSEARCH, pointer: true }]) {
      const m = innerInCopy.exec(arm32Listing(assemble(program(p).source), { budget: 0 }));
      expect(m, program(p).source).not.toBeNull();
      // the next line is the copy of the inner loop's first instruction: no ARM instruction between
      expect(m![3]).toMatch(new RegExp(`^;\\s+${m![1]}: .*\\(copy of loop`));
    }
  });

  it("in a rotated loop whose exit test jumps over the `ja` that leaves (clang's `if (i < n) goto body; goto out`)", () => {
    for (const p of [MEMSEARCH, { ...MEMSEARCH, swapped: true }, { ...MEMSEARCH, pointer: true }]) {
      const listing = arm32Listing(assemble(program({ ...p, over: true }).source), { budget: 0 });
      const m = innerInCopy.exec(listing);
      expect(m, listing).not.toBeNull();
      expect(m![3]).toMatch(new RegExp(`^;\\s+${m![1]}: .*\\(copy of loop`));
    }
  });

  it("keeps its test where the outer loop cannot prove it: an iv starting at a register, a bound the outer writes", () => {
    const fromRegister = program(MEMSEARCH).source.replace("mov %r6, 0\ninner:", "mov %r6, %r5\ninner:");
    const counted = program({ ...MEMSEARCH, outer: "counted" }).source;
    const boundWritten = counted.replace("mov %r6, 0\ninner:", "mov %r3, 6\nmov %r6, 0\ninner:");
    for (const source of [fromRegister, boundWritten]) {
      const listing = arm32Listing(assemble(source), { budget: 0 });
      // the outer loop has no accesses of its own: it is not versioned; the inner loop is, with its test
      expect(listing).not.toContain("(in the copy of");
      expect(listing).toMatch(/; loop \d+-\d+: the test on entry, then the copy without checks\n\s+[0-9a-f]+:/);
    }
  });
});

describe("an inner loop starting at the outer loop's iv (`for (j = i + 1; j < n; j++)`)", () => {
  const FROM_OUTER: Nest = { ...MEMSEARCH, outer: "counted", early: -1, second: false, off: 0, innerFrom: 1, b: 30 };

  it("runs in the outer copy without a test of its own", () => {
    for (const p of [
      FROM_OUTER,
      { ...FROM_OUTER, outer: "rotated" as const },
      { ...FROM_OUTER, innerFrom: 0, second: true },
    ]) {
      const m = innerInCopy.exec(arm32Listing(assemble(program(p).source), { budget: 0 }));
      expect(m, program(p).source).not.toBeNull();
      expect(m![3]).toMatch(new RegExp(`^;\\s+${m![1]}: .*\\(copy of loop`));
    }
  });

  it("gives the values computed here, or faults at the interpreter's instruction, up to one byte past the end", async () => {
    const rand = rng(2718);
    const { cases, expected } = nestCases(rand, 90, () => ({
      ...randomNest(rand),
      pointer: false,
      innerDown: false,
      innerFrom: Math.floor(rand() * 3),
    }));
    expect(cases.length).toBeGreaterThan(60);
    const lifted = cases.filter((c) => innerInCopy.test(arm32Listing(assemble(c.shape.source), { budget: 0 })));
    expect(lifted.length).toBeGreaterThan(cases.length / 3);
    const results = await outcomes(cases, () => "");
    expect(disagreeing(results, expected)).toEqual([]);
    expect(results.filter((r) => r.interp.startsWith("r0")).length).toBeGreaterThan(20);
    expect(results.filter((r) => r.interp.includes("out-of-bounds")).length).toBeGreaterThan(10);
  }, 600_000);
});

describe("generated nests against the interpreter and the values computed here", () => {
  it("ending inside the input, at its last byte, or one byte past it at the last outer trip", async () => {
    const rand = rng(1313);
    const { cases, expected } = nestCases(rand, 240, () => randomNest(rand));
    expect(cases.length).toBeGreaterThan(200);
    // most nests that count up are lifted (every fourth program's listing)
    const lifted = cases.filter(
      (c, k) => k % 4 === 0 && innerInCopy.test(arm32Listing(assemble(c.shape.source), { budget: 0 })),
    );
    expect(lifted.length).toBeGreaterThan(cases.length / 12);
    const results = await outcomes(cases, () => "");
    expect(disagreeing(results, expected)).toEqual([]);
    // both kinds of ending happened: faults at the load, and results
    expect(results.filter((r) => r.interp.startsWith("r0")).length).toBeGreaterThan(60);
    expect(results.filter((r) => r.interp.includes("out-of-bounds")).length).toBeGreaterThan(30);
  }, 600_000);

  it("a nest the outer loop cannot prove, then one it can: the second one's test and copy where they belong", async () => {
    // the first outer loop writes its inner loop's bound: it is not versioned (and leaves the loop tables), the
    // loops after it move up; the second nest's test fails (one byte past the end) or passes
    const rand = rng(4242);
    const cases: Case[] = [];
    const expected = new Map<string, { r0?: bigint; fault?: number }>();
    for (let k = 0; k < 24; k++) {
      const length = 24 + Math.floor(rand() * 24);
      const first: Nest = { ...MEMSEARCH, outer: "counted", b: 1 + Math.floor(rand() * 10), early: -1 };
      const second = reaching(
        { ...MEMSEARCH, early: k % 2 ? 0x62 : -1, pointer: k % 4 > 1 },
        length,
        k % 3 === 0 ? 1 : 0,
      )!;
      const a = program(first);
      const rename = (src: string) => src.replace(/\b(inner|after|outer)\b/g, "$1_1");
      const lines = rename(a.source.replace("mov %r6, 0\ninner", "mov %r3, 6\nmov %r6, 0\ninner")).split("\n");
      lines.pop(); // exit
      const b = program(second);
      const source = [...lines, ...b.source.split("\n").slice(1)].join("\n");
      const before = lines.filter((l) => !l.endsWith(":")).length - 1; // the second's "mov %r0, 0" left out
      const data = input(rand, length);
      const m1 = model(first, data, a);
      const m2 = model(second, data, { load: b.load + before, load2: b.load2 + before });
      const name = `${k} ${source} ${Buffer.from(data).toString("latin1")}`;
      expected.set(name, m1.fault !== undefined ? m1 : m2.fault !== undefined ? m2 : { r0: m1.r0! + m2.r0! });
      cases.push({ name, shape: { source, input: data }, budget: 0 });
    }
    const results = await outcomes(cases, () => "");
    expect(disagreeing(results, expected)).toEqual([]);
    expect(innerInCopy.test(arm32Listing(assemble(cases[0].shape.source), { budget: 0 }))).toBe(true);
  }, 300_000);

  it("budgets running out at every count over the first trips: the interpreter's instruction", async () => {
    const cases: Case[] = [];
    const data = input(rng(77), 40);
    const shapes = [MEMSEARCH, { ...MEMSEARCH, outer: "counted" as const, b: 20 }, { ...MEMSEARCH, pointer: true }];
    for (const [s, p] of shapes.entries())
      for (let budget = 1; budget <= 260; budget++)
        cases.push({ name: `${s} budget ${budget}`, shape: { source: program(p).source, input: data }, budget });
    const results = await outcomes(cases, () => "");
    expect(results.filter((r) => r.arm32 !== r.interp)).toEqual([]);
    expect(results.filter((r) => r.interp.startsWith("instruction budget")).length).toBeGreaterThan(cases.length / 2);
  }, 600_000);
});
