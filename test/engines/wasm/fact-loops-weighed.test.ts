// Which loops around an inner loop are versioned for their own accesses (assembly/wasm/facts.ts: WEIGHED). An
// insertion sort enters its shift loop on every trip, and that loop keeps checked accesses of its own: versioning
// the outer loop for its one read a[i] would copy the shift loop for one check a trip, so the outer loop keeps its
// checks (the read cache then holds the array: runOn). A loop whose inner loop touches no memory (a bit reversal
// per word) is versioned: its copy doubles plain code alone. Both agree with the interpreter and a model, fault where
// the interpreter does past a short region, and run out of budget where it does.
import { describe, expect, it } from "vitest";
import { runBoth } from "../../support/wasm-runs.js";
import { rng } from "../../support/generated-runs.js";

/**
 * clang's insertion sort of the first n u32 of the input (bench/kernels/c/isort.c, n a constant, the array at r1),
 * returning the sum of 4 * the place each element was put at.
 */
function insertionSort(n: number): string {
  return `
        mov %r0, 0
        mov %r2, ${n}
        mov %r7, ${n}
        mov %r4, %r1
        jlt %r2, 2, done
        mov %r6, 1
        add %r1, 4
        stxdw [%r10-8], %r7
        ja outer
      shift:
        ldxw %r3, [%r8-4]
        mov %r5, %r9
        jle32 %r3, %r7, place
        stxw [%r8+0], %r3
        mov %r5, 0
        add %r8, -4
        add %r9, -1
        jne %r9, 0, shift
      place:
        lsh %r5, 2
        add %r0, %r5
        mov %r3, %r4
        add %r3, %r5
        stxw [%r3+0], %r7
        add %r6, 1
        ldxdw %r7, [%r10-8]
        jge %r6, %r2, done
        add %r1, 4
        jlt %r6, %r7, outer
        ja done
      outer:
        mov %r3, %r6
        lsh %r3, 2
        mov %r5, %r4
        add %r5, %r3
        ldxw %r7, [%r5+0]
        mov %r8, %r1
        mov %r9, %r6
        ja shift
      done:
        exit`;
}

/** The sort's result as the C source states it: each a[i] goes after the last earlier element not above it. */
function placed(words: number[], n: number): bigint {
  const a = words.slice(0, n);
  let sum = 0n;
  for (let i = 1; i < n; i++) {
    const v = a[i];
    let j = i;
    while (j > 0 && a[j - 1] > v) {
      a[j] = a[j - 1];
      j--;
    }
    a[j] = v;
    sum += BigInt(4 * j);
  }
  return sum;
}

/** A rotating hash of each of the first n u32, bit-reversed in a 32-trip loop (bench/kernels/c/bitrev.c). */
function bitReversal(n: number): string {
  return `
        mov %r0, 0
        mov %r2, ${n}
        mov %r3, 0
        jeq %r2, 0, done
      word:
        mov %r4, %r3
        lsh %r4, 2
        mov %r5, %r1
        add %r5, %r4
        ldxw %r6, [%r5+0]
        mov %r7, 0
        mov %r8, 32
      bit:
        lsh32 %r7, 1
        mov32 %r9, %r6
        and32 %r9, 1
        or32 %r7, %r9
        rsh32 %r6, 1
        add %r8, -1
        jne %r8, 0, bit
        mov32 %r9, %r0
        lsh32 %r9, 5
        rsh32 %r0, 27
        or32 %r0, %r9
        xor32 %r0, %r7
        add %r3, 1
        jlt %r3, %r2, word
      done:
        exit`;
}

function reversed(words: number[], n: number): bigint {
  let h = 0;
  for (let i = 0; i < n; i++) {
    let r = 0;
    for (let b = 0; b < 32; b++) r = ((r << 1) | ((words[i] >>> b) & 1)) >>> 0;
    h = (((h << 5) | (h >>> 27)) ^ r) >>> 0;
  }
  return BigInt(h);
}

function words(count: number, seed: number): number[] {
  const rand = rng(seed);
  return Array.from({ length: count }, () => Math.floor(rand() * 2 ** 32));
}

function run(asm: string, w: number[], budget = 0) {
  return runBoth(asm, w.length * 4, (i) => (w[i >> 2] >>> (8 * (i & 3))) & 0xff, budget);
}

describe("loops around an inner loop, versioned for their own accesses where it pays", () => {
  it("an insertion sort keeps its outer loop's checks: its shift loop runs on every trip", () => {
    for (const [n, seed] of [
      [2, 1],
      [3, 2],
      [9, 3],
      [60, 4],
    ]) {
      const w = words(n, seed);
      const sorted = run(insertionSort(n), w);
      expect(sorted.out.r0).toBe(placed(w, n));
      expect(sorted.unchecked).toBe(false); // a[i] read through the checked path
      // n past the region: a read faults where the interpreter's does
      expect(run(insertionSort(n + 1), w).out.error).toMatch(/out-of-bounds read .*\(instruction \d+\)/);
    }
  });

  it("a bit reversal per word is versioned: its inner loop touches no memory", () => {
    for (const [n, seed] of [
      [1, 5],
      [7, 6],
      [50, 7],
    ]) {
      const w = words(n, seed);
      const out = run(bitReversal(n), w);
      expect(out.out.r0).toBe(reversed(w, n));
      expect(out.unchecked).toBe(true);
      expect(run(bitReversal(n + 1), w).out.error).toMatch(/out-of-bounds read .*\(instruction \d+\)/);
    }
  });

  it("under every budget, both run out where the interpreter does", () => {
    const w = words(6, 8);
    for (const asm of [insertionSort(6), bitReversal(3)]) {
      const executed = run(asm, w).out.executed ?? 0;
      for (let budget = 1; budget <= executed + 1; budget += 3) run(asm, w, budget);
    }
  });
});
