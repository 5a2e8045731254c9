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

beforeAll(ensureArm32Translator);

const M64 = (1n << 64n) - 1n;

/** parse_nums (bench/kernels/c/parse_nums.c) for i from `start` below `len`, data at r1 + i - start. */
function parseNums(len: bigint, start: bigint): string {
  return `
        lddw %r2, 0x${len.toString(16)}
        lddw %r5, 0x${start.toString(16)}
        sub %r1, %r5
        mov %r3, 0
        mov %r0, 0
        mov %r6, 0
        jeq %r2, 0, done
        mov %r4, %r1
        add %r4, 1
        stxdw [%r10-16], %r1
        ja first
      more:
        ldxdw %r3, [%r10-8]
        add %r3, %r9
        add %r0, %r6
        add %r5, 1
        ldxdw %r1, [%r10-16]
        jge %r5, %r2, tail
      first:
        stxdw [%r10-8], %r3
        mov %r6, %r1
        add %r6, %r5
        ldxb %r8, [%r6+0]
        add32 %r8, -48
        mov32 %r6, 0
        mov32 %r7, 1
        jlt32 %r8, 10, skip
        mov32 %r7, 0
      skip:
        jgt32 %r8, 9, other
        mov32 %r6, 0
        mov32 %r9, %r8
        ja digit
      next:
        add %r5, 1
        jlt32 %r9, 10, digit
      other:
        mov32 %r9, 1
        jlt32 %r8, 10, more
        mov32 %r9, 0
        ja more
      digit:
        mov32 %r3, %r6
        mul32 %r3, 10
        mov32 %r6, %r9
        add32 %r6, %r3
        mov %r3, %r5
        add %r3, 1
        jlt %r3, %r2, again
        and %r7, 1
        ldxdw %r3, [%r10-8]
        add %r3, %r7
        ja done
      again:
        mov %r7, %r4
        add %r7, %r5
        ldxb %r9, [%r7+0]
        add32 %r9, -48
        mov32 %r7, 1
        jlt32 %r9, 10, next
        mov32 %r7, 0
        ja next
      tail:
        and %r7, 1
        add %r3, %r7
        mov %r6, 0
      done:
        add %r0, %r6
        lsh %r3, 48
        xor %r0, %r3
        exit`;
}

const HEAD = 12; // the `ja first` into the loop (two lddw take two slots each)
const LAST = 56;
const READ_AFTER_OTHER = 22;
const READ_AFTER_DIGIT = 51;

/** Text of `length` bytes: digits in runs of 0 to 11, separated by 1 to 3 other bytes. */
function text(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length);
  let s = seed >>> 0 || 1;
  const next = () => ((s = (s * 1103515245 + 12345) >>> 0) >>> 16) & 0x7fff;
  for (let i = 0; i < length; ) {
    for (let d = next() % 12; d > 0 && i < length; d--) out[i++] = 48 + (next() % 10);
    for (let o = 1 + (next() % 3); o > 0 && i < length; o--) out[i++] = [32, 44, 47, 58, 97, 10][next() % 6];
  }
  return out;
}

/**
 * The program's result by BigInt (the first trip runs whenever len is not 0, as clang's rotated loop does), or the
 * fault of the first read past the region.
 */
function model(len: bigint, start: bigint, mem: Uint8Array): string {
  let total = 0n,
    count = 0n,
    cur = 0n,
    inNum = false;
  if (len === 0n) return "r0 = 0";
  let i = start;
  do {
    const at = i - start;
    if (at >= BigInt(mem.length)) {
      const after = at > 0n && mem[Number(at) - 1] >= 48 && mem[Number(at) - 1] <= 57;
      return `out-of-bounds read of 1 bytes at context+0x${at.toString(16)} (instruction ${after ? READ_AFTER_DIGIT : READ_AFTER_OTHER})`;
    }
    const d = (BigInt(mem[Number(at)]) - 48n) & 0xffffffffn;
    if (d < 10n) {
      cur = (cur * 10n + d) & 0xffffffffn;
      inNum = true;
    } else if (inNum) {
      total += cur;
      count++;
      cur = 0n;
      inNum = false;
    }
    i = (i + 1n) & M64;
  } while (i < len);
  if (inNum) {
    total += cur;
    count++;
  }
  return `r0 = ${(total ^ (count << 48n)) & M64}`;
}

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
    const mem = text(64, 3);
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
        const mem = text(r.length, r.seed);
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
