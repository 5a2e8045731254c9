// The counter of a loop analysis/facts.ts versions, on the ARM32 translator (analysis/facts.ts
// countersBelowBound): a register that stays at most B + margin at every block start of the loop (B a bound register
// the loop does not write) is below 2^31 there once the test on entry has checked B + margin below 2^31, so the
// copy keeps its high word zero and steps it with 32-bit adds, instead of following a carry into the high word on
// every trip. parse_nums' state machine as clang lays it out, its counter i starting at `start` (the text read at
// data + i - start) and stopping at `len`: for counters and bounds near 2^31 and 2^32, and bounds with a high word,
// the test on entry must fail and the checked code run, with the interpreter's results and faults.
import { describe, it, expect, beforeAll } from "vitest";
import { assemble } from "../../../src/tools/asm.js";
import { arm32Listing, runArm32Async } from "../../../src/engines/arm32/build.js";
import { codeOf, copyRuns, ensureArm32Translator, limited } from "../../support/arm32.js";
import { interpreterOutcome } from "../../support/generated-runs.js";
import { PARSE_NUMS, parseNumsModel, parseNumsProgram, parseNumsText } from "../../support/parse-nums.js";

beforeAll(ensureArm32Translator);

const M64 = (1n << 64n) - 1n;

/** parse_nums (test/support/parse-nums.ts) for i from `start` below `len`, data at r1 + i - start. */
function parseNums(len: bigint, start: bigint): string {
  const entry = `
        lddw %r2, 0x${len.toString(16)}
        lddw %r5, 0x${start.toString(16)}
        sub %r1, %r5`;
  return parseNumsProgram(entry, false);
}

const HEAD = 12; // the `ja first` into the loop (two lddw take two slots each)
const LAST = HEAD + PARSE_NUMS.last;

/** The program's result by BigInt, or the fault of the first read past the region. */
const model = (len: bigint, start: bigint, mem: Uint8Array) => parseNumsModel(len, start, mem, HEAD);

/** The register file's words of eBPF r5, the counter, as the listing addresses them from r11 (image.ts S_REGS: 0). */
const S_REGS = 0;
const r5High = new RegExp(`\\[r11, #0x${(S_REGS + 8 * 5 + 4).toString(16)}\\]`);
const r5Both = new RegExp(
  `^ldrd .*\\[r11, #0x${(S_REGS + 8 * 5).toString(16)}\\]|^strd .*\\[r11, #0x${(S_REGS + 8 * 5).toString(16)}\\]`,
);

describe("ARM32: a counter of a loop bounded by its own compares keeps a zero high word in the copy", () => {
  it("the copy neither reads nor writes the counter's high word", () => {
    const listing = arm32Listing(assemble(parseNums(500n, 0n)), { budget: 0 });
    expect(listing).toContain(`; loop ${HEAD}-${LAST}: the test on entry, then the copy without checks`);
    const copy = codeOf(listing, HEAD, LAST, true);
    expect(copy.length).toBeGreaterThan(0);
    expect(
      copy.filter((l) => r5High.test(l) || r5Both.test(l)),
      copy.join("\n"),
    ).toEqual([]);
  });

  it("runs the copy only where the bound stays below 2^31", () => {
    const mem = parseNumsText(64, 3);
    expect(copyRuns(assemble(parseNums(64n, 0n)), mem, [HEAD, LAST])).toBe(true);
    for (const len of [0x80000000n, 0xffffffffn, 0x100000040n]) {
      expect(copyRuns(assemble(parseNums(len, 0n)), mem, [HEAD, LAST]), `len ${len}`).toBe(false);
    }
  }, 120_000);

  it("returns what BigInt computes, and faults where the interpreter does, near 2^31, 2^32 and past", async () => {
    const runs: { len: bigint; start: bigint; length: number; seed: number }[] = [];
    const near = (base: bigint) => [base - 40n, base - 3n, base - 1n, base, base + 1n, base + 30n];
    for (const seed of [1, 7]) {
      for (const length of [50, 33]) {
        for (const [len, start] of [
          [1n, 0n],
          [2n, 0n],
          [50n, 0n],
          [45n, 5n],
          [60n, 0n],
          ...near(1n << 31n).map((s) => [s + 50n, s]),
          ...near(1n << 31n).map((s) => [s, 0n]),
          ...near(1n << 31n).map((s) => [s, s - 20n]),
          ...near(1n << 32n).map((s) => [s + 50n, s]),
          ...near(1n << 32n).map((s) => [s, s - 45n]),
          [(1n << 32n) + 40n, 0n],
          [(1n << 33n) + 40n, 1n << 33n],
          [M64, M64 - 30n],
          [(1n << 32n) - 1n, (1n << 32n) - 25n],
          [20n, 30n], // the counter starting past its bound: one trip
        ] as [bigint, bigint][]) {
          runs.push({ len, start, length, seed });
        }
      }
    }
    const results = await limited(
      runs.map((r) => async () => {
        const code = assemble(parseNums(r.len, r.start));
        const mem = parseNumsText(r.length, r.seed);
        const arm = await runArm32Async(code, mem, { budget: 0 });
        return {
          run: `len=${r.len} start=${r.start} length=${r.length} seed=${r.seed}`,
          want: model(r.len, r.start, mem),
          interp: interpreterOutcome(code, mem),
          got: "r0" in arm ? `r0 = ${arm.r0}` : arm.fault,
        };
      }),
    );
    for (const r of results) {
      expect(r.interp, r.run).toBe(r.want);
      expect(r.got, r.run).toBe(r.want);
    }
  }, 600_000);
});
