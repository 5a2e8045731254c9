// Loops with more than one counter in the Wasm engine (assembly/wasm/nests.ts planAt): a loop that hoist.ts takes
// by its latch's counter but whose other accesses go through a register it cannot follow (a second counter with its
// own step, like hex encoding's `out[2 * i]` next to `data[i]`, or an address made in one block and stored through
// in another) is planned by counted.ts, which follows both, so that the copy without checks covers every access.
// Each shape runs on both engines with the region exactly as long as the loop reaches (the Wasm engine must then run
// the copy without checks: its read and write caches still hold the stack, runOn), and one byte shorter (a fault at the same
// instruction with the same message); then under every budget up to the run's instructions (the same outcome).
import { describe, expect, it } from "vitest";
import { type Outcome, runBoth } from "../../support/wasm-runs.js";

const byteAt = (i: number) => (i * 73 + 29) & 0xff;

/** The Wasm engine's run, the interpreter's expected the same; unchecked: no load or store took the checked path. */
function same(asm: string, bytes: number, budget = 0): { out: Outcome; unchecked: boolean } {
  const w = runBoth(asm, bytes, byteAt, budget);
  return { out: w.out, unchecked: w.unchecked && w.storesUnchecked };
}

/**
 * Hex encoding of the first n bytes into the 2n after them (hex_encode's shape): the latch counts i by 1, the
 * stores go through j = 2i, a counter of its own; with `branchy`, each nibble's digit is picked by a branch (the
 * loop has several blocks), else by arithmetic (one block). r0: a hash of what was written, read back after.
 */
function hexLoop(n: number, branchy: boolean): string {
  const digit = (r: string, label: string) =>
    branchy
      ? `
        jlt %${r}, 10, ${label}
        add %${r}, 39
      ${label}:
        add %${r}, 48`
      : `
        add %${r}, 48`;
  return `
        mov %r3, ${n}
        mov %r4, %r1
        add %r4, %r3
        mov %r5, 0
        mov %r0, 0
      loop:
        mov %r6, %r1
        add %r6, %r5
        ldxb %r7, [%r6+0]
        mov %r8, %r7
        rsh %r8, 4
        and %r7, 15
        ${digit("r8", "hi")}
        ${digit("r7", "lo")}
        mov %r6, %r4
        add %r6, %r0
        stxb [%r6+0], %r8
        stxb [%r6+1], %r7
        add %r0, 2
        add %r5, 1
        jlt %r5, %r3, loop
        mov %r0, 0
        mov %r5, 0
        lsh %r3, 1
      sum:
        mov %r6, %r4
        add %r6, %r5
        ldxb %r7, [%r6+0]
        mul %r0, 31
        add %r0, %r7
        add %r5, 1
        jlt %r5, %r3, sum
        exit`;
}

/** What hexLoop(n, branchy) returns. */
function hexWant(n: number, branchy: boolean): bigint {
  const data = Array.from({ length: 3 * n }, (_, i) => byteAt(i));
  const digit = (v: number) => (v < 10 || !branchy ? 48 + v : 87 + v);
  for (let i = 0; i < n; i++) {
    data[n + 2 * i] = digit(data[i] >> 4);
    data[n + 2 * i + 1] = digit(data[i] & 15);
  }
  let h = 0n;
  for (let k = 0; k < 2 * n; k++) h = BigInt.asUintN(64, h * 31n + BigInt(data[n + k]));
  return h;
}

/**
 * rot13's shape: the address made in the loop's first block, the store through it in the last, after a branch
 * (no block but the first makes it): each byte below 0x40 moved up by 0x40, written back in place.
 */
function inPlaceLoop(n: number): string {
  return `
        mov %r0, 0
        mov %r3, 0
      loop:
        mov %r4, %r1
        add %r4, %r3
        ldxb %r5, [%r4+0]
        jge %r5, 0x40, keep
        add %r5, 0x40
      keep:
        stxb [%r4+0], %r5
        add %r0, %r5
        add %r3, 1
        jlt %r3, ${n}, loop
        exit`;
}

function inPlaceWant(n: number): bigint {
  let s = 0n;
  for (let i = 0; i < n; i++) s += BigInt(byteAt(i) < 0x40 ? byteAt(i) + 0x40 : byteAt(i));
  return s;
}

/** The copy without checks with exactly the bytes reached, a fault at `pc` with one fewer, every budget alike. */
function shape(asm: string, need: number, want: bigint, pc: number) {
  const fits = same(asm, need);
  expect(fits.out.error).toBeUndefined();
  expect(fits.out.r0).toBe(want);
  expect(fits.unchecked).toBe(true);
  const short = same(asm, need - 1);
  expect(short.out.error).toMatch(new RegExp(`out-of-bounds write .*\\(instruction ${pc}\\)`));
  const executed = fits.out.executed ?? 0;
  for (let budget = 1; budget <= executed + 1; budget += budget < 40 ? 1 : 7) same(asm, need, budget);
}

describe("loops with a second counter run without checks when the region holds every access", () => {
  it("stores through a counter of step 2 next to the latch's counter of step 1, in one block", () => {
    for (const n of [1, 2, 7, 16]) shape(hexLoop(n, false), 3 * n, hexWant(n, false), 16);
  });

  it("the same with a branch per digit (a loop of several blocks)", () => {
    for (const n of [1, 3, 16]) shape(hexLoop(n, true), 3 * n, hexWant(n, true), 20);
  });

  it("stores in a later block through an address made in the first", () => {
    for (const n of [1, 5, 32]) {
      const fits = same(inPlaceLoop(n), n);
      expect(fits.out.r0).toBe(inPlaceWant(n));
      expect(fits.unchecked).toBe(true);
      for (let budget = 1; budget <= (fits.out.executed ?? 0) + 1; budget += 3) same(inPlaceLoop(n), n, budget);
    }
  });

  it("a region that ends among the stores: the fault of the first store past it, as on the interpreter", () => {
    // the stores run out k bytes before the end: a trip's first (19) or second (20) store faults
    for (const n of [4, 9])
      for (let k = 1; k <= 6; k++) {
        const short = same(hexLoop(n, true), 3 * n - k);
        expect(short.out.pc).toBe(k % 2 === 1 ? 20 : 19);
      }
  });
});
