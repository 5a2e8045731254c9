// A versioned search loop (an exit besides its counted test) inside another loop, entered again and again, on the
// ARM32 engine (assembly/arm32/versioned.ts: the balance at S_TRIPS): when its searches stop after a trip or two,
// the test on entry costs more than the checks it saves, and the code goes straight to the checked loop; when they
// run long again, a checked search that has given the balance back takes the test after all. The program counts
// the places where a needle of N bytes occurs in a haystack. Haystacks of short matches, long ones and both run
// both ways into the loop; every outcome (r0, or the fault with its instruction, also when the budget runs out
// over the first entries) must be the interpreter's, and the count the one computed here.
import { describe, it, expect, beforeAll } from "vitest";
import { assemble } from "../../../src/tools/asm.js";
import { arm32Listing } from "../../../src/engines/arm32/build.js";
import { ensureArm32Translator } from "../../support/arm32.js";
import { type Case, outcomes, r0Is, rng } from "../../support/generated-runs.js";
import { HAY, READ_HAY, search } from "../../support/search-programs.js";

beforeAll(ensureArm32Translator);

/** The needle "a" x n (bytes 0 .. n - 1; the rest of the first 16 bytes 'c'), then the haystack (of 'a' and 'b'). */
function input(n: number, hay: string): Uint8Array {
  const b = new Uint8Array(HAY + hay.length).fill(0x63, 0, HAY);
  b.fill(0x61, 0, n);
  for (let i = 0; i < hay.length; i++) b[HAY + i] = hay.charCodeAt(i);
  return b;
}

const occurrences = (n: number, hay: string) => {
  let count = 0;
  for (let i = 0; i + n <= hay.length; i++) if (hay.slice(i, i + n) === "a".repeat(n)) count++;
  return count;
};

/** A haystack whose runs of 'a' are short (0-2), long (n and more) or both, each run ended by a 'b'. */
function haystack(rand: () => number, n: number, kind: "short" | "long" | "mixed", length: number): string {
  let s = "";
  while (s.length < length) {
    const long = kind === "long" || (kind === "mixed" && rand() < 0.3);
    const run = long ? n + Math.floor(rand() * 2 * n) : Math.floor(rand() * 3);
    s += "a".repeat(run) + "b";
  }
  return s;
}

const model = (n: number, hay: string) => () => r0Is(BigInt(occurrences(n, hay)));

describe("the test on a search loop's entry", () => {
  it("is skipped by a branch on the balance, in searches only", () => {
    // the toll: the balance compared with -SKIP_BELOW, then a branch past the test to the checked loop
    const skip = /cmn\s+r0, #8\n\s+\S+:\s+\S+\s+blt\s/;
    const searchListing = arm32Listing(assemble(search(8, 100)), { budget: 0 });
    expect(searchListing).toContain("(copy of loop");
    expect(searchListing).toMatch(skip);
    // a loop without an exit besides its counted test takes no toll
    const sum = [
      "mov %r0, 0",
      "mov %r3, 0",
      "loop:",
      "mov %r4, %r1",
      "add %r4, %r3",
      "ldxb %r5, [%r4+0]",
      "add %r0, %r5",
      "add %r3, 1",
      "jlt %r3, %r2, loop",
      "exit",
    ].join("\n");
    const sumListing = arm32Listing(assemble(sum), { budget: 0 });
    expect(sumListing).toContain("(copy of loop");
    expect(sumListing).not.toMatch(skip);
  });
});

describe("generated searches through either copy", () => {
  it("needles of 1-16 bytes in short, long and mixed haystacks: the count computed here", async () => {
    const cases: Case[] = [];
    const models = new Map<string, () => string>();
    const rand = rng(2121);
    for (let n = 1; n <= 16; n++) {
      for (const kind of ["short", "long", "mixed"] as const) {
        const hay = haystack(rand, n, kind, 150 + Math.floor(rand() * 150));
        const name = `n ${n} ${kind} ${hay}`;
        models.set(name, model(n, hay));
        cases.push({ name, shape: { source: search(n, hay.length - n + 1), input: input(n, hay) }, budget: 0 });
      }
      // short searches first, then long ones, then short ones again: the balance goes down, up and down
      const hay = haystack(rand, n, "short", 120) + haystack(rand, n, "long", 200) + haystack(rand, n, "short", 120);
      const name = `n ${n} short-long-short ${hay}`;
      models.set(name, model(n, hay));
      cases.push({ name, shape: { source: search(n, hay.length - n + 1), input: input(n, hay) }, budget: 0 });
    }
    const results = await outcomes(cases, () => "");
    const wrong = results.filter((r) => r.arm32 !== models.get(r.name)!() || r.interp !== models.get(r.name)!());
    expect(wrong).toEqual([]);
  }, 300_000);

  it("a needle reaching past the context's end: the interpreter's fault, after short or long searches", async () => {
    const cases: Case[] = [];
    const rand = rng(1515);
    for (let n = 1; n <= 16; n++) {
      for (const kind of ["short", "long"] as const) {
        // the last search matches to the end of the context and reads the byte after it
        const hay = haystack(rand, n, kind, 100) + "a".repeat(n - 1);
        cases.push({
          name: `n ${n} ${kind} ${hay}`,
          shape: { source: search(n, hay.length - n + 2), input: input(n, hay) },
          budget: 0,
        });
      }
    }
    const results = await outcomes(cases, () => "");
    const fault = new RegExp(`out-of-bounds read of 1 bytes? at .*\\(instruction ${READ_HAY}\\)`);
    expect(results.filter((r) => !fault.test(r.interp))).toEqual([]);
    expect(results.filter((r) => r.arm32 !== r.interp)).toEqual([]);
  }, 300_000);

  it("budgets running out at every count over the first entries: the interpreter's instruction", async () => {
    const cases: Case[] = [];
    // short searches (the balance runs down: the test is skipped), then long ones: the balance comes back, and a
    // checked search reaching 0 takes the test after all (with n = 12, within the first 900 instructions)
    const hay = "ab".repeat(6) + "a".repeat(40) + "b";
    for (const n of [3, 12])
      for (let budget = 1; budget <= (n === 3 ? 400 : 900); budget++)
        cases.push({
          name: `n ${n} budget ${budget}`,
          shape: { source: search(n, hay.length - n + 1), input: input(n, hay) },
          budget,
        });
    const results = await outcomes(cases, () => "");
    expect(results.filter((r) => r.arm32 !== r.interp)).toEqual([]);
    expect(results.filter((r) => r.interp.startsWith("instruction budget")).length).toBeGreaterThan(cases.length / 2);
  }, 600_000);
});
