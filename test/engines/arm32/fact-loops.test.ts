// Loops no counted plan takes whose accesses are bounded by the loop's own compares, on the ARM32 translator
// (assembly/arm32/analysis/facts.ts, facttest.ts): clang's state machine for `for (i = 0; i < len; i++) { d =
// data[i] - '0'; if (d < 10) ... else if (in) ... }` (the sum of the decimal numbers in a text) has two ways
// around, bumps i in two places, reloads the data pointer from a frame slot in each trip, and reads data[i] at two
// instructions, each after an unsigned compare `i < len` or `i + 1 < len` that dominates it. It must get a copy
// whose code calls no memory check, return what a model computes, and fault, when the region is shorter than len,
// at the same instruction with the same message as the interpreter; with a budget, run out where the interpreter
// does. A scan that skips escaped bytes (its index bumped by 1 or 2) too.
import { describe, it, expect, beforeAll } from "vitest";
import { assemble } from "../../../src/tools/asm.js";
import { arm32Listing, runArm32Async, translateArm32 } from "../../../src/engines/arm32/build.js";
import { codeOf, ensureArm32Translator, limited } from "../../support/arm32.js";
import { interpreterOutcome } from "../../support/generated-runs.js";
import { PARSE_NUMS, parseNumsModel, parseNumsProgram, parseNumsText } from "../../support/parse-nums.js";

beforeAll(ensureArm32Translator);

/**
 * parse_nums as clang -O2 lays it out (test/support/parse-nums.ts), len a constant: the loop is instructions 9 (the
 * `ja` into its middle) to 53; it reads data[i] at READ_AFTER_OTHER after a byte that is not a digit (or at i = 0),
 * at READ_AFTER_DIGIT after a digit.
 */
const parseNums = (len: number) => parseNumsProgram(`        mov %r2, ${len}`, true);

const HEAD = 9;
const LAST = HEAD + PARSE_NUMS.last;
const READ_AFTER_OTHER = HEAD + PARSE_NUMS.readAfterOther;
const READ_AFTER_DIGIT = HEAD + PARSE_NUMS.readAfterDigit;

/** The model: the C kernel's result over len bytes, or the fault of the first read past the region. */
const model = (len: number, mem: Uint8Array) => parseNumsModel(BigInt(len), 0n, mem, HEAD);

/**
 * An escape-skipping scan, `for (i = 0; i < len;) { c = p[i]; sum += c; i += c == '\\' ? 2 : 1; }`: i bumped in
 * two places (no counted plan), the read at SKIP_READ after the test at the loop's top.
 */
function skipScan(len: number): string {
  return `
        mov %r0, 0
        mov %r2, ${len}
        mov %r3, 0
      loop:
        jge %r3, %r2, out
        mov %r4, %r1
        add %r4, %r3
        ldxb %r5, [%r4+0]
        add %r0, %r5
        jne %r5, 92, one
        add %r3, 2
        ja loop
      one:
        add %r3, 1
        ja loop
      out:
        exit`;
}

const SKIP_READ = 6;

function skipModel(len: number, mem: Uint8Array): string {
  let sum = 0;
  for (let i = 0; i < len; ) {
    if (i >= mem.length)
      return `out-of-bounds read of 1 bytes at context+0x${i.toString(16)} (instruction ${SKIP_READ})`;
    sum += mem[i];
    i += mem[i] === 92 ? 2 : 1;
  }
  return `r0 = ${sum}`;
}

describe("ARM32: loops bounded by their own compares are versioned", () => {
  it("the state machine has a copy, and the copy's code calls no memory check", () => {
    const code = assemble(parseNums(500));
    const t = translateArm32(code, { budget: 0 });
    expect(t.copies.map((c) => [c.head, c.last])).toEqual([[HEAD, LAST]]);
    const copy = codeOf(arm32Listing(code, { budget: 0 }), HEAD, LAST, true);
    expect(copy.length).toBeGreaterThan(0);
    expect(copy.filter((l) => /^bl([a-z]{2})?\s/.test(l))).toEqual([]); // bl, bllo, ...: a call; not blo
  });

  it("the escape-skipping scan has a copy without memory checks", () => {
    const code = assemble(skipScan(100));
    const t = translateArm32(code, { budget: 0 });
    expect(t.copies.map((c) => [c.head, c.last])).toEqual([[3, 12]]);
    const copy = codeOf(arm32Listing(code, { budget: 0 }), 3, 12, true);
    expect(copy.filter((l) => /^bl([a-z]{2})?\s/.test(l))).toEqual([]);
  });

  it("returns what the model computes, and faults where the interpreter does when the region is short", async () => {
    const runs: { len: number; length: number; seed: number }[] = [];
    for (const len of [1, 2, 3, 17, 64, 301]) {
      for (const seed of [1, 7, 12345]) {
        runs.push({ len, length: len, seed }); // the whole text in the region
        runs.push({ len, length: len + 5, seed }); // a region longer than len
        if (len > 1) runs.push({ len, length: len - 1, seed }); // one byte short: the last read faults
        if (len > 20) runs.push({ len, length: len >> 1, seed }); // half
      }
    }
    const results = await limited(
      runs.map((r) => async () => {
        const code = assemble(parseNums(r.len));
        const mem = parseNumsText(r.length, r.seed);
        const arm = await runArm32Async(code, mem);
        return {
          run: `len=${r.len} length=${r.length} seed=${r.seed}`,
          want: model(r.len, mem),
          interp: interpreterOutcome(code, mem),
          got: "r0" in arm ? `r0 = ${arm.r0}` : arm.fault,
        };
      }),
    );
    expect(results.filter((r) => r.got !== r.want || r.interp !== r.want)).toEqual([]);
    expect(results.filter((r) => r.want.includes(`instruction ${READ_AFTER_DIGIT}`)).length).toBeGreaterThan(2);
    expect(results.filter((r) => r.want.includes(`instruction ${READ_AFTER_OTHER}`)).length).toBeGreaterThan(2);
  });

  it("the escape-skipping scan returns the model's sum, and faults where the interpreter does", async () => {
    const cases: { len: number; mem: Uint8Array }[] = [];
    for (const len of [1, 2, 9, 50]) {
      for (const extra of [-2, -1, 0, 1, 3]) {
        if (len + extra < 1) continue;
        const mem = Uint8Array.from({ length: len + extra }, (_, i) => (i % 5 === 2 ? 92 : (i * 13 + 1) & 0xff));
        cases.push({ len, mem });
      }
    }
    const results = await limited(
      cases.map(({ len, mem }) => async () => {
        const code = assemble(skipScan(len));
        const arm = await runArm32Async(code, mem);
        const got = "r0" in arm ? `r0 = ${arm.r0}` : arm.fault;
        return { len, length: mem.length, want: skipModel(len, mem), interp: interpreterOutcome(code, mem), got };
      }),
    );
    expect(results.filter((r) => r.got !== r.want || r.interp !== r.want)).toEqual([]);
    expect(results.filter((r) => r.want.startsWith("out-of-bounds")).length).toBeGreaterThan(3);
  });

  it("with a budget, runs out where the interpreter does", async () => {
    const mem = parseNumsText(400, 3);
    const code = assemble(parseNums(400));
    const budgets = [5, 40, 333, 1000, 2500, 4001, 1_000_000];
    const results = await limited(
      budgets.map((budget) => async () => {
        const arm = await runArm32Async(code, mem, { budget });
        return {
          budget,
          interp: interpreterOutcome(code, mem, budget),
          got: "r0" in arm ? `r0 = ${arm.r0}` : arm.fault,
        };
      }),
    );
    expect(results.filter((r) => r.got !== r.interp)).toEqual([]);
    expect(results.filter((r) => r.interp.startsWith("r0")).length).toBe(1);
  });
});
