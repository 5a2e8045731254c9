// Loops no counted plan takes whose accesses the loop's own compares bound (assembly/wasm/facts.ts): a state machine
// that bumps its index in two places, a minimum search whose `a[m]` is only ever an earlier index (m joins j), a
// scan whose step is a byte's value. The test before the loop allows each access's range, [base, base + bound), and
// assumes on entry what the jumps back carry (m below the bound); the loop then runs its copy without checks (runOn:
// the caches still hold the stack), faults where the interpreter does when the region ends short (a scan stepping at most 4 reaches
// one of the 8 bytes past it) or m starts past
// it, and runs out of budget where the interpreter does.
import { describe, expect, it } from "vitest";
import { type Outcome, runBoth } from "../../support/wasm-runs.js";

const byteAt = (i: number) => (i * 37 + 11) & 0xff;

function same(asm: string, bytes: number, budget = 0): { out: Outcome; unchecked: boolean } {
  const w = runBoth(asm, bytes, byteAt, budget);
  return { out: w.out, unchecked: w.unchecked };
}

/** Two states: in state 0 it adds data[i] and steps 1; in state 1 it xors data[i + 1] when i + 1 < n and steps 2. */
function twoStates(n: number): string {
  return `
        mov %r0, 0
        mov %r2, ${n}
        mov %r3, 0
        mov %r4, 0
      loop:
        jge %r3, %r2, out
        jeq %r4, 0, add
        mov %r7, %r3
        add %r7, 1
        jge %r7, %r2, out
        mov %r5, %r1
        add %r5, %r7
        ldxb %r6, [%r5+0]
        xor %r0, %r6
        add %r3, 2
        mov %r4, 0
        ja loop
      add:
        mov %r5, %r1
        add %r5, %r3
        ldxb %r6, [%r5+0]
        add %r0, %r6
        add %r3, 1
        mov %r4, 1
        ja loop
      out:
        exit`;
}

function twoStatesWant(n: number): bigint {
  let r0 = 0n;
  for (let i = 0, s = 0; i < n; ) {
    if (s === 0) {
      r0 += BigInt(byteAt(i));
      i += 1;
      s = 1;
    } else {
      if (i + 1 >= n) break;
      r0 ^= BigInt(byteAt(i + 1));
      i += 2;
      s = 0;
    }
  }
  return r0;
}

/**
 * The index of the smallest element from `m0`: each trip reads a[j] and a[m], m set to j when a[j] < a[m]; 16-bit
 * elements (`half`) are reached through index << 1.
 */
function minIndex(n: number, m0: number, half: boolean): string {
  const at = (dst: string, idx: string, tmp: string) =>
    half
      ? `mov ${tmp}, ${idx}\n lsh ${tmp}, 1\n add ${tmp}, %r1\n ldxh ${dst}, [${tmp}+0]`
      : `mov ${tmp}, %r1\n add ${tmp}, ${idx}\n ldxb ${dst}, [${tmp}+0]`;
  return `
        mov %r2, ${n}
        mov %r4, ${m0}
        mov %r3, 1
      loop:
        jge %r3, %r2, out
        ${at("%r6", "%r3", "%r5")}
        ${at("%r8", "%r4", "%r7")}
        jge %r6, %r8, next
        mov %r4, %r3
      next:
        add %r3, 1
        ja loop
      out:
        mov %r0, %r4
        exit`;
}

function minIndexWant(n: number, m0: number, half: boolean): bigint {
  const a = (i: number) => (half ? byteAt(2 * i) | (byteAt(2 * i + 1) << 8) : byteAt(i));
  let m = m0;
  for (let j = 1; j < n; j++) if (a(j) < a(m)) m = j;
  return BigInt(m);
}

/** Counts the steps of a scan whose step is 1 + data[i] >> 6 (a UTF-8 lead byte's length, roughly). */
function scan(n: number): string {
  return `
        mov %r0, 0
        mov %r2, ${n}
        mov %r3, 0
      loop:
        jge %r3, %r2, out
        mov %r5, %r1
        add %r5, %r3
        ldxb %r6, [%r5+0]
        rsh %r6, 6
        add %r6, 1
        add %r3, %r6
        add %r0, 1
        ja loop
      out:
        exit`;
}

function scanWant(n: number): bigint {
  let r0 = 0n;
  for (let i = 0; i < n; i += 1 + (byteAt(i) >> 6)) r0++;
  return r0;
}

/** scan's loop, continuing while i < n - 1: with n = 0 that is 2^64 - 1, no bound (it reads past the region). */
function scanBelowLessOne(n: number): string {
  return scan(n).replace("jge %r3, %r2, out", "mov %r7, %r2\n add %r7, -1\n jge %r3, %r7, out");
}

describe("loops whose accesses the loop's own compares bound", () => {
  it("a state machine stepping its index in two places runs unchecked, and faults at the read past a short region", () => {
    for (const n of [1, 2, 7, 64]) {
      const fits = same(twoStates(n), n);
      expect(fits.out.r0).toBe(twoStatesWant(n));
      expect(fits.unchecked).toBe(true);
      expect(same(twoStates(n + 3), n).out.error).toMatch(/out-of-bounds read/);
    }
  });

  it("a minimum search reads a[m] unchecked, m assumed below the bound on entry; a start past it faults as checked", () => {
    for (const half of [false, true])
      for (const n of [2, 5, 40]) {
        const bytes = half ? 2 * n : n;
        const fits = same(minIndex(n, 0, half), bytes);
        expect(fits.out.r0).toBe(minIndexWant(n, 0, half));
        expect(fits.unchecked).toBe(true);
        expect(same(minIndex(n, n + 4, half), bytes).out.error).toMatch(/out-of-bounds read/);
        expect(same(minIndex(n + 1, 0, half), bytes).out.error).toMatch(/out-of-bounds read/);
        expect(same(minIndex(n, -1, half), bytes).out.error).toMatch(/out-of-bounds read/);
      }
  });

  it("a scan whose step is read from the data runs unchecked, its index never assumed (it starts below the trips')", () => {
    for (const n of [1, 3, 50]) {
      const fits = same(scan(n), n);
      expect(fits.out.r0).toBe(scanWant(n));
      expect(fits.unchecked).toBe(true);
      expect(same(scan(n + 8), n).out.error).toMatch(/out-of-bounds read/);
    }
  });

  it("a bound that may lie below 0 bounds nothing: the scan faults where the interpreter does", () => {
    for (const n of [0, 5])
      for (const budget of [0, 10_000]) {
        const out = same(scanBelowLessOne(n), 8, budget).out;
        if (n === 0) expect(out.error).toMatch(/out-of-bounds read/);
      }
  });

  it("under every budget, each runs out where the interpreter does", () => {
    for (const budget of [1, 5, 9, 17, 40, 101]) {
      same(twoStates(12), 12, budget);
      same(minIndex(9, 0, true), 18, budget);
      same(scan(20), 20, budget);
    }
  });
});
