// Selects in the Wasm engine (assembly/wasm/selects.ts, translate.ts: selected): a jump over one mov whose register
// feeds an address on the way on (a binary search's lo and hi) is emitted as a Wasm select, not a branch. Each case
// runs on both engines (they must agree, the budget's faults included) and checks the result against one computed
// here; the module's text shows whether the selects were made. A byte classifier's selects feed no address and
// keep their branches.
import { describe, expect, it } from "vitest";
import binaryen from "binaryen";
import { assemble } from "../../../src/tools/asm.js";
import { translateToWasm } from "../../../src/engines/wasm.js";
import { runOn } from "../../support/wasm-runs.js";

const KEYS = 40;
/** Ascending u32 keys, 5 apart, from 3. */
const BYTES = new Uint8Array(Uint32Array.from({ length: KEYS }, (_, i) => 5 * i + 3).buffer);

/**
 * For q = 0 .. queries - 1, the lower bound of 7 q among the first `n` keys by halving, as clang lays it out: each
 * of lo = mid + 1 and hi = mid a jump over one mov. r0 is the sum of the bounds.
 */
const search = (n: number, queries: number) => `
    mov %r0, 0
    mov %r6, 0
  query:
    mov %r7, %r6
    mul %r7, 7
    mov %r8, 0
    mov %r9, ${n}
  halve:
    jge %r8, %r9, done
    mov %r2, %r8
    add %r2, %r9
    rsh %r2, 1
    mov %r3, %r2
    lsh %r3, 2
    add %r3, %r1
    ldxw %r4, [%r3+0]
    mov %r5, %r2
    add %r5, 1
    jlt %r4, %r7, low
    mov %r9, %r2
  low:
    jge %r4, %r7, halve
    mov %r8, %r5
    ja halve
  done:
    add %r0, %r8
    add %r6, 1
    jlt %r6, ${queries}, query
    exit`;

/** What search(n, queries) returns: the sum of the first key index >= 7 q (n when none). */
function bounds(n: number, queries: number): bigint {
  let sum = 0n;
  for (let q = 0; q < queries; q++) {
    let i = 0;
    while (i < n && 5 * i + 3 < 7 * q) i++;
    sum += BigInt(i);
  }
  return sum;
}

/** Bytes equal to 0x20 among the first n, counted through a select of constants (it feeds no address). */
const classify = (n: number) => `
    mov %r0, 0
    mov %r3, 0
  next:
    mov %r4, %r1
    add %r4, %r3
    ldxb %r4, [%r4+0]
    mov %r5, 1
    jeq %r4, 0x20, space
    mov %r5, 0
  space:
    add %r0, %r5
    add %r3, 1
    jlt %r3, ${n}, next
    exit`;

/** The selects in the module's text (the module's own code uses some too: compared with a program without any). */
function selects(source: string): number {
  const m = binaryen.readBinary(translateToWasm(assemble(source)));
  const text = m.emitText();
  m.dispose();
  return text.split("(select").length - 1;
}

const input = () => ({ ctx: { bytes: BYTES.slice() } });

describe("a jump over one mov that feeds an address is a select", () => {
  it("a binary search: its lo and hi as selects, the interpreter's result", () => {
    const base = selects("mov %r0, 0\nexit");
    for (const [n, queries] of [
      [KEYS, 40],
      [7, 9],
      [1, 3],
    ]) {
      const source = search(n, queries);
      const w = runOn(source, input(), "wasm");
      expect(w.out).toEqual(runOn(source, input(), "interp").out);
      expect(w.out.r0).toBe(bounds(n, queries));
      // lo's and hi's
      expect(selects(source) - base).toBeGreaterThanOrEqual(2);
    }
  });

  it("the budget counts the mov only when it runs: every budget up to the end runs out where the interpreter's does", () => {
    const source = search(12, 5);
    const whole = runOn(source, input(), "interp").out.executed ?? 0;
    expect(whole).toBeGreaterThan(100);
    for (let budget = 1; budget <= whole + 1; budget++) {
      const w = runOn(source, input(), "wasm", budget).out;
      expect(w, `budget ${budget}`).toEqual(runOn(source, input(), "interp", budget).out);
    }
  });

  it("a search past the keys faults at the load, as on the interpreter", () => {
    const source = search(KEYS + 8, 50);
    const w = runOn(source, input(), "wasm").out;
    expect(w).toEqual(runOn(source, input(), "interp").out);
    expect(w.error).toMatch(/out-of-bounds read .*\(instruction 13\)/);
  });

  it("a byte classifier's select of constants feeds no address: it keeps its branch", () => {
    const text = "ab  c d\n e   ".repeat(3);
    const bytes = new TextEncoder().encode(text);
    const source = classify(bytes.length);
    const w = runOn(source, { ctx: { bytes } }, "wasm");
    expect(w.out).toEqual(runOn(source, { ctx: { bytes } }, "interp").out);
    expect(w.out.r0).toBe(BigInt(text.split("").filter((c) => c === " ").length));
    expect(selects(source)).toBe(selects("mov %r0, 0\nexit"));
  });
});
