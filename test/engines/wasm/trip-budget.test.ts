// The budget of a versioned loop whose trips are bounded on entry but not counted there (assembly/wasm/translate.ts:
// versioned, leaveTrip): a loop of one path that can leave early (an insertion sort's shift loop, counting down
// with a search's exit), one of two blocks, a one-block loop inside another versioned loop, and a loop whose
// trips take one of several ways (the longest counted at the header, the others giving back the difference). When the budget
// lasts the most trips the loop can run, its copy without checks has no checkpoint: each trip counts all its
// instructions at the header, and an exit gives back those it did not run. The module's text shows it (calls to
// the exact copy come only from checkpoints outside those copies); the counts must stay exact: every outcome
// (r0, instructions executed, fault message) is the interpreter's, r0 and the faulting instruction the ones
// computed here, and budgets that run out at every instruction fault where the interpreter does.
import { describe, expect, it } from "vitest";
import binaryen from "binaryen";
import { assemble } from "../../../src/tools/asm.js";
import type { RunInput } from "../../../src/runtime/runtime.js";
import { translateToWasm } from "../../../src/engines/wasm.js";
import { rng } from "../../support/generated-runs.js";
import { runAtBudgets } from "../../support/wasm-runs.js";

/** Insertion sort of ctx's u32 count n, then n u32 values, in place; r0 = sum of (i + 1) * sorted[i]. */
const ISORT = `
    mov %r0, 0
    ldxw %r7, [%r1+0]
    mov %r6, 1
  outer:
    jge %r6, %r7, sum
    mov %r8, %r6
    lsh %r8, 2
    add %r8, %r1
    ldxw %r3, [%r8+4]
    mov %r9, %r6
  shift:
    ldxw %r4, [%r8+0]
    jle %r4, %r3, place
    stxw [%r8+4], %r4
    add %r8, -4
    add %r9, -1
    jne %r9, 0, shift
  place:
    stxw [%r8+4], %r3
    add %r6, 1
    ja outer
  sum:
    mov %r6, 0
    mov %r8, %r1
  next:
    jge %r6, %r7, done
    ldxw %r3, [%r8+4]
    add %r6, 1
    mul %r3, %r6
    add %r0, %r3
    add %r8, 4
    ja next
  done:
    exit`;
const READ_V = 7; // ldxw %r3, [%r8+4]: a[i]
const WRITE_SHIFT = 11; // stxw [%r8+4], %r4: a[j] = a[j - 1]
const WRITE_PLACE = 15; // stxw [%r8+4], %r3: a[j] = v
const READ_SUM = 21;

/** Rows of W bytes up to END: r0 = the sum of every byte, each row's first read in the outer loop. */
const W = 7;
const rowSums = (rows: number) => `
    mov %r0, 0
    mov %r6, 0
  outer:
    mov %r7, %r1
    add %r7, %r6
    ldxb %r3, [%r7+0]
    add %r0, %r3
    mov %r8, 0
  inner:
    mov %r5, %r7
    add %r5, %r8
    ldxb %r4, [%r5+1]
    add %r0, %r4
    add %r8, 1
    jlt %r8, ${W - 1}, inner
    add %r6, ${W}
    jlt %r6, ${rows * W}, outer
    exit`;
const READ_ROW = 4;
const READ_COLUMN = 9;

/**
 * A scan of n bytes with branches in every trip, as clang makes of `for (i = 0; i < n; i++) { c = p[i]; if (c ==
 * 0xff) break; if (c > 127) s ^= c * 3, s += 7; else s += c; if (!(c & 1)) s += 1; }`: a search's exit, a
 * diamond of unequal arms and a triangle, so that a trip runs 9 to 14 instructions by its way.
 */
const branchyScan = (n: number) => `
    mov %r0, 0
    mov %r3, 0
  loop:
    mov %r4, %r1
    add %r4, %r3
    ldxb %r5, [%r4+0]
    jeq %r5, 0xff, out
    jgt %r5, 127, big
    add %r0, %r5
    ja odd
  big:
    mov %r6, %r5
    mul %r6, 3
    xor %r0, %r6
    add %r0, 7
  odd:
    jset %r5, 1, next
    add %r0, 1
  next:
    add %r3, 1
    jlt %r3, ${n}, loop
  out:
    exit`;
const READ_SCAN = 4;

/** What branchyScan(n) returns over `bytes`. */
function branchyModel(n: number, bytes: Uint8Array): bigint {
  let s = 0n;
  for (let i = 0; i < n; i++) {
    const c = BigInt(bytes[i]);
    if (c === 0xffn) break;
    s = c > 127n ? (s ^ (c * 3n)) + 7n : s + c;
    if (!(c & 1n)) s += 1n;
  }
  return s;
}

/** The u32 array: count n, then `values` (n may claim more than there are). */
function sortInput(n: number, values: number[]): Uint8Array {
  const b = new Uint8Array(4 + 4 * values.length);
  const v = new DataView(b.buffer);
  v.setUint32(0, n, true);
  values.forEach((x, i) => v.setUint32(4 + 4 * i, x, true));
  return b;
}

/**
 * The sort as ISORT does it, over `have` values of which the first `writable` may be written: r0, or the
 * instruction of the first access outside those.
 */
function sortModel(n: number, values: number[], writable: number): { r0?: bigint; pc?: number } {
  const a = values.slice();
  for (let i = 1; i < n; i++) {
    if (i >= a.length) return { pc: READ_V };
    const v = a[i];
    let j = i;
    while (j > 0 && a[j - 1] > v) {
      if (j >= writable) return { pc: WRITE_SHIFT };
      a[j] = a[j - 1];
      j--;
    }
    if (j >= writable) return { pc: WRITE_PLACE };
    a[j] = v;
  }
  let r0 = 0n;
  for (let i = 0; i < n; i++) {
    if (i >= a.length) return { pc: READ_SUM };
    r0 += BigInt(i + 1) * BigInt(a[i]);
  }
  return { r0 };
}

/** The calls to the exact copy of the program's one function (the module's last function), in the module. */
function exactCalls(source: string): number {
  const m = binaryen.readBinary(translateToWasm(assemble(source)));
  const text = m.emitText();
  m.dispose();
  const names = [...text.matchAll(/\(func (\$\S+)/g)].map((x) => x[1]);
  const exact = names[names.length - 1].replace(/\$/g, "\\$");
  return text.split(new RegExp(`\\(call ${exact}\\b`)).length - 1;
}

describe("a versioned loop's budget counted a trip at a time", () => {
  it("checks the budget of a loop that can leave early once on entry, not in every trip", () => {
    // the exact copy is called from the function's entry, the outer loop's checkpoint (no versioned copy there: its
    // one read a[i] does not pay for a copy of the shift loop, entered on every trip, facts.ts WEIGHED) and the
    // checked copies of the shift loop and of the sum loop; not from their copies without checks
    expect(exactCalls(ISORT)).toBe(4);
    // from the entry, both copies of the row loop (its trips are not bounded on entry: two blocks, not one path),
    // the inner loop's checked copy inside the row loop's copy without checks, and the inner loop inside the row
    // loop's checked copy (not versioned there); not from the inner loop's copy without checks
    expect(exactCalls(rowSums(3))).toBe(5);
  });

  it("a loop with branches counts its longest way a trip, the shorter ways give the rest back: no checkpoint", () => {
    // the exact copy is called from the function's entry and from the loop's checked copy, not from its copy
    // without checks (whose trips are bounded on entry, the longest 14 instructions)
    expect(exactCalls(branchyScan(16))).toBe(2);
    for (let seed = 1; seed <= 12; seed++) {
      const next = rng(seed * 7919);
      const n = 1 + Math.floor(next() * 24);
      // no 0xff in every third input (all trips), else a few (the search leaves early)
      const bytes = Uint8Array.from({ length: n }, () => Math.floor(next() * (seed % 3 === 0 ? 255 : 256)));
      const input = (): RunInput => ({ ctx: { bytes: bytes.slice() } });
      const full = runAtBudgets(branchyScan(n), input, [0]);
      expect(full.wasm, `seed ${seed}`).toEqual(full.interp);
      expect(full.interp[0].r0, `seed ${seed}`).toBe(branchyModel(n, bytes));
      const executed = full.interp[0].executed!;
      const budgets = Array.from({ length: executed + 1 }, (_, i) => i + 1);
      const r = runAtBudgets(branchyScan(n), input, budgets);
      expect(r.wasm, `seed ${seed}`).toEqual(r.interp);
      budgets.forEach((budget, i) => {
        if (budget < executed) expect(r.interp[i].error, `seed ${seed}, budget ${budget}`).toMatch(/budget/);
        else expect(r.interp[i].executed).toBe(executed);
      });
      // one byte short: the checked copy faults at the read past the context (unless 0xff leaves first)
      const short = bytes.slice(0, n - 1);
      const s = runAtBudgets(branchyScan(n), () => ({ ctx: { bytes: short.slice() } }), [0]);
      expect(s.wasm, `seed ${seed}`).toEqual(s.interp);
      if (!short.includes(0xff)) expect(s.interp[0].pc, `seed ${seed}`).toBe(READ_SCAN);
    }
  });

  it("generated sorts: r0 is the sorted order's, and faults come at the first access past the context", () => {
    let faults = 0;
    for (let seed = 1; seed <= 40; seed++) {
      const next = rng(seed * 104729);
      const have = Math.floor(next() * 24);
      const values = Array.from({ length: have }, () =>
        seed % 4 === 0 ? Math.floor(next() * 5) : Math.floor(next() * 2 ** 32),
      );
      // mostly the whole array, sometimes one more than there is or one fewer
      const n = Math.max(0, have + [0, 0, 0, 1, -1][Math.floor(next() * 5)]);
      const writable = seed % 3 === 0 ? Math.floor(next() * (have + 1)) : have;
      const bytes = sortInput(n, values);
      const input = (): RunInput => ({ ctx: { bytes: bytes.slice(), writable: [[0, 4 + 4 * writable]] } });
      const r = runAtBudgets(ISORT, input, [0]);
      expect(r.wasm, `seed ${seed}`).toEqual(r.interp);
      const want = sortModel(n, values, writable);
      if (want.pc !== undefined) {
        faults++;
        expect(r.interp[0].pc, `seed ${seed}`).toBe(want.pc);
        expect(r.interp[0].error).toMatch(/out-of-bounds|read-only/);
      } else expect(r.interp[0].r0, `seed ${seed}`).toBe(want.r0);
    }
    expect(faults).toBeGreaterThan(5);
  });

  it("a sort runs out of budget at every instruction where the interpreter does", () => {
    const next = rng(77);
    const values = Array.from({ length: 9 }, () => Math.floor(next() * 1000));
    const bytes = sortInput(values.length, values);
    const input = (): RunInput => ({ ctx: { bytes: bytes.slice() } });
    const full = runAtBudgets(ISORT, input, [0]).interp[0].executed!;
    const budgets = Array.from({ length: full + 2 }, (_, i) => i + 1);
    const r = runAtBudgets(ISORT, input, budgets);
    expect(r.wasm).toEqual(r.interp);
    const sorted = values.slice().sort((x, y) => x - y);
    const r0 = sorted.reduce((s, x, i) => s + BigInt(i + 1) * BigInt(x), 0n);
    budgets.forEach((budget, i) => {
      if (budget >= full) expect(r.interp[i]).toEqual({ r0, executed: full });
      else expect(r.interp[i].error, `budget ${budget}`).toMatch(/budget/);
    });
  });

  it("a sort that leaves its shift loop at the first trip and one that runs every trip count exactly", () => {
    for (const values of [
      [1, 2, 3, 4, 5, 6, 7, 8], // sorted: every shift loop leaves at its first test
      [8, 7, 6, 5, 4, 3, 2, 1], // reversed: every shift loop runs to j = 0
    ]) {
      const bytes = sortInput(values.length, values);
      const input = (): RunInput => ({ ctx: { bytes: bytes.slice() } });
      const full = runAtBudgets(ISORT, input, [0]).interp[0].executed!;
      const r = runAtBudgets(ISORT, input, [full - 1, full, 0]);
      expect(r.wasm).toEqual(r.interp);
      expect(r.interp[2].r0).toBe(sortModel(values.length, values, values.length).r0);
      expect(r.interp[1].executed).toBe(full);
      expect(r.interp[0].error).toMatch(/budget/);
    }
  });

  it("rows summed in a loop inside another: sums, faults at the context's end, budgets at every instruction", () => {
    for (const rows of [1, 2, 5]) {
      const source = rowSums(rows);
      for (let len = rows * W - W; len <= rows * W + 1; len++) {
        if (len < 0) continue;
        const bytes = Uint8Array.from({ length: len }, (_, i) => (i * 37 + rows) & 0xff);
        const r = runAtBudgets(source, () => ({ ctx: { bytes: bytes.slice() } }), [0]);
        expect(r.wasm, `rows ${rows}, ${len} bytes`).toEqual(r.interp);
        if (len >= rows * W) {
          const sum = bytes.slice(0, rows * W).reduce((s, x) => s + x, 0);
          expect(r.interp[0].r0).toBe(BigInt(sum));
        } else expect(r.interp[0].pc).toBe(len % W === 0 ? READ_ROW : READ_COLUMN);
      }
    }
    const bytes = Uint8Array.from({ length: 4 * W }, (_, i) => i);
    const input = (): RunInput => ({ ctx: { bytes: bytes.slice() } });
    const full = runAtBudgets(rowSums(4), input, [0]).interp[0].executed!;
    const budgets = Array.from({ length: full + 2 }, (_, i) => i + 1);
    const r = runAtBudgets(rowSums(4), input, budgets);
    expect(r.wasm).toEqual(r.interp);
    budgets.forEach((budget, i) => {
      if (budget >= full) expect(r.interp[i].r0).toBe(BigInt(((4 * W - 1) * 4 * W) / 2));
      else expect(r.interp[i].error).toMatch(/budget/);
    });
  });
});
