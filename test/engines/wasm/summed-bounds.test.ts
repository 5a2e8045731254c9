// Counted loops whose exit test adds a register the loop does not write to the counter (assembly/wasm/counted.ts:
// SUMMED): `while (i + k < n)` with i fixed in the loop, as clang leaves run-length's `while (j < len && data[j] == c)`
// with j = i + k. The test before the loop computes i + k on entry, and the loop runs its copy without checks when the
// region holds every access (runOn: the caches still hold the stack), faults where the interpreter does when it does
// not, and runs out of budget as the interpreter does, whatever i, k and the bound hold on entry.
import { describe, expect, it } from "vitest";
import { type Outcome, runBoth } from "../../support/wasm-runs.js";

/** Runs of one to five equal bytes, from three letters (adjacent runs may merge). */
const byteAt = (i: number) => 97 + (Math.floor(i / (1 + ((i >> 3) % 5))) % 3);

/** The Wasm engine's run, the interpreter's expected the same; unchecked: no load or store took the checked path. */
function same(asm: string, bytes: number, budget = 0): { out: Outcome; unchecked: boolean } {
  const w = runBoth(asm, bytes, byteAt, budget);
  return { out: w.out, unchecked: w.unchecked && w.storesUnchecked };
}

/** Sums the bytes at start + k while start + k < bound (the test adds start, in r6, to the counter k, in r5). */
function offsetSum(start: number, bound: number, exitOp = "jge"): string {
  return `
        mov %r0, 0
        mov %r6, ${start}
        mov %r5, 0
      loop:
        mov %r9, %r6
        add %r9, %r5
        ${exitOp} %r9, ${bound}, out
        mov %r9, %r1
        add %r9, %r6
        add %r9, %r5
        ldxb %r9, [%r9+0]
        add %r0, %r9
        add %r5, 1
        ja loop
      out:
        exit`;
}

/**
 * Run-length statistics up to `bound` (rle's shape): for each run, its inner loop counts k from 1 while i + k <
 * bound and the byte at i + k is the run's; r0 = runs << 32 + the sum of the runs' squared lengths.
 */
function runLengths(bound: number): string {
  return `
        mov %r0, 0
        mov %r2, ${bound}
        mov %r3, 0
        mov %r4, 0
      outer:
        jge %r0, %r2, done
        mov %r7, %r1
        add %r7, %r0
        ldxb %r8, [%r7+0]
        mov %r5, 1
      inner:
        mov %r9, %r0
        add %r9, %r5
        jge %r9, %r2, end
        mov %r9, %r7
        add %r9, %r5
        add %r5, 1
        ldxb %r9, [%r9+0]
        jeq %r9, %r8, inner
        add %r5, -1
      end:
        add %r3, 1
        mov %r6, %r5
        mul %r6, %r5
        add %r4, %r6
        add %r0, %r5
        ja outer
      done:
        lsh %r3, 32
        mov %r0, %r3
        add %r0, %r4
        exit`;
}

function runLengthsWant(bound: number): bigint {
  let runs = 0n,
    squares = 0n;
  for (let i = 0; i < bound; ) {
    let k = 1;
    while (i + k < bound && byteAt(i + k) === byteAt(i)) k++;
    runs++;
    squares += BigInt(k * k);
    i += k;
  }
  return (runs << 32n) + squares;
}

describe("counted loops whose exit test adds a register the loop does not write", () => {
  it("run without checks when the region holds start to bound, and fault at the read when it ends a byte short", () => {
    for (const [start, bound] of [
      [0, 1],
      [3, 4],
      [5, 40],
      [17, 64],
    ]) {
      let want = 0n;
      for (let k = start; k < bound; k++) want += BigInt(byteAt(k));
      const fits = same(offsetSum(start, bound), bound);
      expect(fits.out.r0).toBe(want);
      expect(fits.unchecked).toBe(true);
      const short = same(offsetSum(start, bound), bound - 1);
      expect(short.out.error).toMatch(/out-of-bounds read .*\(instruction 9\)/);
    }
  });

  it("a start past the bound runs no trip; an unsigned test on a start that wraps, signed tests, agree", () => {
    for (const [start, bound] of [
      [9, 4],
      [-3, 8],
      [-1, 2],
      [0x7fffffff, 16],
    ])
      for (const op of ["jge", "jsge", "jgt", "jsgt"]) same(offsetSum(start, bound, op), 32);
  });

  it("under every budget, the sum runs out where the interpreter does", () => {
    const asm = offsetSum(2, 30);
    const executed = same(asm, 30).out.executed ?? 0;
    for (let budget = 1; budget <= executed + 1; budget++) same(asm, 30, budget);
  });

  it("run lengths (an inner loop per run that can leave early): results, faults and budgets as the interpreter's", () => {
    for (const bound of [1, 2, 9, 64, 200]) {
      const fits = same(runLengths(bound), bound);
      expect(fits.out.r0).toBe(runLengthsWant(bound));
      for (const bytes of [bound - 1, Math.floor(bound / 2)]) if (bytes >= 0) same(runLengths(bound), bytes);
    }
    const executed = same(runLengths(40), 40).out.executed ?? 0;
    for (let budget = 1; budget <= executed + 1; budget += 3) same(runLengths(40), 40, budget);
  });
});
