// Stack arrays indexed by a value of known range on the Wasm engine (assembly/wasm/frame-index.ts): byte_hist's
// `hist[data[i] >> 2]++` on the frame, r10 - 64 + (byte & 0x3c), needs no check when every index keeps the access in
// [r10 - 512, r10); one that may reach past r10 keeps its check and faults where the interpreter does. r0 (or the
// fault, its message and instruction) must be the interpreter's and the one computed here; the module's text shows
// which accesses kept a check (each has a search of the region table on its cold path).
import { describe, expect, it } from "vitest";
import binaryen from "binaryen";
import { assemble } from "../../../src/tools/asm.js";
import { translateToWasm } from "../../../src/engines/wasm.js";
import { runOn } from "../../support/wasm-runs.js";
import { rng } from "../../support/generated-runs.js";
import { STATE, ST_REGION_COUNT } from "../../../assembly/layout.js";

/** In the module's text: the read of the region table's count, which every search of the table starts with. */
const SEARCH = `(i32.load offset=${STATE + ST_REGION_COUNT}`;

/**
 * A histogram of 16 u32 counts at r10 - 64, counted[index(byte)] += 1 over the input (the index from the byte by
 * `index`, the count at offset `off` from the computed address), then the sum of squares of the counts.
 */
function program(index: string[], off: number): string {
  const zero = Array.from({ length: 8 }, (_, k) => `stdw [%r10-${8 * (k + 1)}], 0`);
  const sum = Array.from({ length: 16 }, (_, k) => [`ldxw %r4, [%r10-${64 - 4 * k}]`, "mul %r4, %r4", "add %r0, %r4"]);
  return [
    "mov %r0, 0",
    "mov %r3, 0",
    ...zero,
    "jeq %r2, 0, done",
    "loop:",
    "mov %r4, %r1",
    "add %r4, %r3",
    "ldxb %r4, [%r4+0]",
    ...index,
    "mov %r5, %r10",
    "add %r5, -64",
    "add %r5, %r4",
    `ldxw %r4, [%r5+${off}]`,
    "add32 %r4, 1",
    `stxw [%r5+${off}], %r4`,
    "add %r3, 1",
    "jlt %r3, %r2, loop",
    "done:",
    ...sum.flat(),
    "exit",
  ].join("\n");
}

const MASKED = ["and %r4, 0x3c"]; // clang's (byte >> 2) * 4: [0, 60]
const SHIFTED = ["rsh %r4, 4", "lsh %r4, 2"]; // [0, 60]
const UNMASKED = ["lsh %r4, 2"]; // [0, 1020]: past r10 for bytes from 16 up

/** The instruction index of the count's load: after 2 movs, 8 stores, the jeq, 3 instructions, the index's, 3 more. */
const countLoad = (index: string[]) => 14 + index.length + 3;

function run(source: string, bytes: Uint8Array) {
  const w = runOn(source, { ctx: { bytes } }, "wasm");
  expect(w.out, source).toEqual(runOn(source, { ctx: { bytes } }, "interp").out);
  return w.out;
}

/** r0 as the program computes it, the counts at index(byte) / 4. */
function expected(bytes: Uint8Array, slot: (byte: number) => number): bigint {
  const counts = new Array<number>(16).fill(0);
  for (const byte of bytes) counts[slot(byte)]++;
  return counts.reduce((s, c) => s + BigInt(c) * BigInt(c), 0n);
}

/** Searches of the region table in the fast function (the first that has any). */
function searches(source: string): number {
  const m = binaryen.readBinary(translateToWasm(assemble(source)));
  const fast = m
    .emitText()
    .split("\n (func ")
    .find((f) => f.includes(SEARCH))!;
  m.dispose();
  return fast.split(SEARCH).length - 1;
}

describe("a stack array indexed by a value of known range", () => {
  const bytes = Uint8Array.from({ length: 300 }, (_, i) => (i * 97 + 13) & 0xff);

  it("counts without a check when the index keeps every access in the frame", () => {
    expect(run(program(MASKED, 0), bytes).r0).toBe(expected(bytes, (b) => (b & 0x3c) >> 2));
    expect(run(program(SHIFTED, 0), bytes).r0).toBe(expected(bytes, (b) => b >> 4));
    // the input's load only: the test before the loop, and its check in the loop's checked copy; the count's load
    // and store (before: one search each in both copies) have none
    expect(searches(program(MASKED, 0))).toBe(2);
    expect(searches(program(SHIFTED, 0))).toBe(2);
  });

  it("keeps the checks of an index that may reach past r10, and faults where the interpreter does", () => {
    expect(searches(program(UNMASKED, 0))).toBe(6);
    expect(searches(program(MASKED, 4))).toBe(6); // the last count's bytes at r10 + 0 .. 3
    const small = Uint8Array.from({ length: 50 }, (_, i) => i % 16);
    expect(run(program(UNMASKED, 0), small).r0).toBe(expected(small, (b) => b));
    const out = run(program(UNMASKED, 0), bytes);
    expect(out.error).toMatch(/out-of-bounds read of 4 bytes at /);
    expect(out.pc).toBe(countLoad(UNMASKED)); // at the first byte of 16 or more
  });

  it("generated inputs, masked and shifted, the counts' offsets at the frame's edge", () => {
    const rand = rng(21);
    for (let k = 0; k < 40; k++) {
      const data = Uint8Array.from({ length: 1 + Math.floor(rand() * 200) }, () => Math.floor(rand() * 256));
      const off = Math.floor(rand() * 3) * 2; // 0, 2 or 4: 2 and 4 reach past r10 for the last counts
      const index = rand() < 0.5 ? MASKED : SHIFTED;
      const out = run(program(index, off), data);
      if (off === 0) expect(out.r0).toBe(expected(data, index === MASKED ? (b) => (b & 0x3c) >> 2 : (b) => b >> 4));
      else if (out.error) expect(out.pc).toBe(countLoad(index));
    }
  });
});
