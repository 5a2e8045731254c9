// Searches tested at their top, on the ARM32 translator (assembly/arm32/analysis/loops.ts planRotated, topTested):
// `while (i + j < n && p[i + j] == c) j++`, as clang emits rle's inner loop, tests the counter first (its head's
// block: Y = i + j against n, i a register the loop does not write, added in that order), then reads, steps j and
// jumps back on the byte read, whose fall-through leaves. The test proves the read for every value j has after the
// counted test let the trip go on: the copy must check nothing even when the run reaches the region's last byte,
// return what a model computes, and fault, when the region ends one byte before the last byte read, at the same
// instruction with the same message as the interpreter. The same search reading each byte before the counted test
// (in the head's block, where j may already be n) must keep that read checked.
import { describe, it, expect, beforeAll } from "vitest";
import { assemble } from "../../../src/tools/asm.js";
import { arm32Listing, runArm32Async, translateArm32 } from "../../../src/engines/arm32/build.js";
import { codeOf, ensureArm32Translator, limited } from "../../support/arm32.js";
import { interpreterOutcome } from "../../support/generated-runs.js";

beforeAll(ensureArm32Translator);

const HEAD = 6;
const LAST = 13;
const READ = 12;
const FIRST_READ = 4; // the run's byte, before the loop
const EARLY_READ = 8; // readFirst's read, before the counted test

/**
 * The length of the run of equal bytes at i0 in the first n bytes at r1 (rle's inner loop): instructions 6 to 13.
 * `readFirst`: each byte read at the loop's top, before the counted test (the loop is instructions 6 to 13 too).
 */
function run(i0: number, n: number, readFirst = false): string {
  const body = readFirst
    ? `
        mov %r9, %r7
        add %r9, %r5
        ldxb %r6, [%r9+0]
        mov %r9, %r0
        add %r9, %r5
        jge %r9, %r2, out
        add %r5, 1
        jeq32 %r6, %r8, loop`
    : `
        mov %r9, %r0
        add %r9, %r5
        jge %r9, %r2, out
        mov %r9, %r7
        add %r9, %r5
        add %r5, 1
        ldxb %r9, [%r9+0]
        jeq32 %r9, %r8, loop`;
  return `
        mov %r0, ${i0}
        mov %r2, ${n}
        mov %r7, %r1
        add %r7, %r0
        ldxb %r8, [%r7+0]
        mov %r5, 1
      loop:${body}
        add %r5, -1
      out:
        mov %r0, %r5
        exit`;
}

/** Runs of 1, 2, 3, ... equal bytes, then (from `tail`) one run to the end. */
function bytes(length: number, tail: number): Uint8Array {
  const mem = new Uint8Array(length);
  let k = 0;
  for (let at = 0, len = 1; at < length; at += len, len++, k++) mem.fill(k & 0xff, at, at + len);
  mem.fill(0xee, tail);
  return mem;
}

/** The model: the run's length, or the fault of the first read outside the input. */
function model(i0: number, n: number, mem: Uint8Array, readFirst: boolean): string {
  const fault = (at: number, insn: number) =>
    `out-of-bounds read of 1 bytes at context+0x${at.toString(16)} (instruction ${insn})`;
  if (i0 >= mem.length) return fault(i0, FIRST_READ);
  for (let j = 1; ; ) {
    if (readFirst && i0 + j >= mem.length) return fault(i0 + j, EARLY_READ);
    if (i0 + j >= n) return `r0 = ${j}`;
    if (i0 + j >= mem.length) return fault(i0 + j, READ);
    const b = mem[i0 + j];
    j++;
    if (b !== mem[i0]) return `r0 = ${j - 1}`;
  }
}

describe("ARM32: searches tested at their top are versioned", () => {
  it("the loop has a copy, and the copy's code calls no memory check", () => {
    const code = assemble(run(3, 64));
    const t = translateArm32(code, { budget: 0 });
    expect(t.copies.map((c) => [c.head, c.last])).toEqual([[HEAD, LAST]]);
    const copy = codeOf(arm32Listing(code, { budget: 0 }), HEAD, LAST, true);
    expect(copy.length).toBeGreaterThan(0);
    expect(copy.filter((l) => /^bl([a-z]{2})?\s/.test(l))).toEqual([]); // bl, bllo, ...: a call; not blo
    // the read before the counted test is not planned: no copy (the loop has no other access)
    expect(translateArm32(assemble(run(3, 64, true)), { budget: 0 }).copies).toEqual([]);
  });

  it("finds what the model finds, and faults one byte short where the interpreter does", async () => {
    const runs: { i0: number; n: number; mem: Uint8Array; readFirst: boolean }[] = [];
    for (const readFirst of [false, true])
      for (const n of [2, 40, 200]) {
        for (const tail of [n - 1, n - 30, 1, n]) {
          if (tail < 1 || tail > n) continue;
          for (const i0 of [0, 1, tail - 1, n - 2]) {
            if (i0 < 0 || i0 >= n) continue;
            runs.push({ i0, n, mem: bytes(n, tail), readFirst }); // every byte in the region
            runs.push({ i0, n, mem: bytes(n - 1, tail), readFirst }); // the last byte missing
          }
        }
      }
    const results = await limited(
      runs.map((r) => async () => {
        const code = assemble(run(r.i0, r.n, r.readFirst));
        const arm = await runArm32Async(code, r.mem);
        return {
          run: `readFirst=${r.readFirst} i0=${r.i0} n=${r.n} length=${r.mem.length}`,
          want: model(r.i0, r.n, r.mem, r.readFirst),
          interp: interpreterOutcome(code, r.mem.slice()),
          got: "r0" in arm ? `r0 = ${arm.r0}` : arm.fault,
        };
      }),
    );
    expect(results.filter((r) => r.got !== r.want || r.interp !== r.want)).toEqual([]);
    expect(results.filter((r) => r.want.startsWith("out-of-bounds")).length).toBeGreaterThan(4);
    expect(results.filter((r) => r.want.includes(`(instruction ${EARLY_READ})`)).length).toBeGreaterThan(4);
  });
});
