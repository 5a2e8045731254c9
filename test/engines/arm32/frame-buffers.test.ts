// Buffers in the program's own frame on the ARM32 engine: `char buf[B]` filled, reversed in place and hashed by
// counted loops over [0, n), n from the data (printf's digits, a string reversed on the stack), each access at r10 -
// B + an index. The test on a loop's entry (versioned.ts emitFrameRangeTest) checks such an access's range against
// the frame by the index's values alone: no region is looked up (no call to the range routine, no window of the
// region cache read) and a load and a store of one element are tested once. Generated buffers (B inside the frame,
// at its bottom or below it, n within B, filling it to r10, or past it) must give the r0 the test computes itself, or
// the interpreter's fault, with and without a budget. The buffer's address, r10 - B, is 32 bits wide (jit/fuse.ts).
// And an element's address, r10 - B + k (jit/fuse.ts
// isFrameIndex), outside such loops (printf's do-while, whose trips the data decide): r10 - B from r11 in one
// instruction, the index added with its carry; generated digits written from any 64-bit k0 must hash as computed
// here or fault as the interpreter does.
import { describe, it, expect, beforeAll } from "vitest";
import { assemble } from "../../../src/tools/asm.js";
import { arm32Listing } from "../../../src/engines/arm32/build.js";
import { codeOf, ensureArm32Translator } from "../../support/arm32.js";
import { type Case, type Shape, outcomes, rng } from "../../support/generated-runs.js";
import { MODEL_OUT, disagreeingWithModel } from "../../support/asm-model.js";

beforeAll(ensureArm32Translator);

const M32 = (1n << 32n) - 1n;

/**
 * n = the input's first byte; buf[i] = input[1 + i] for i < n (r10 - B + i); then the reversal `for (l = 0, r = n
 * - 1; l < r; l++, r--)` swapping buf[l] and buf[r], as clang -O2 emits it; then h = h * 33 + buf[j] over j < n.
 */
function program(frame: number): string {
  return [
    "mov %r0, 5381",
    "ldxb %r2, [%r1+0]",
    "jeq %r2, 0, done",
    "mov %r3, 0",
    "fill:",
    "mov %r4, %r1",
    "add %r4, %r3",
    "ldxb %r5, [%r4+1]",
    "mov %r6, %r10",
    `add %r6, -${frame}`,
    "add %r6, %r3",
    "stxb [%r6+0], %r5",
    "add %r3, 1",
    "jlt %r3, %r2, fill",
    "mov %r5, %r2",
    "add %r5, -1",
    "jeq %r5, 0, hash",
    "mov %r6, 0",
    "swap:",
    "mov %r3, %r10",
    `add %r3, -${frame}`,
    "mov %r7, %r3",
    "add %r7, %r5",
    "add %r3, %r6",
    "ldxb %r8, [%r3+0]",
    "ldxb %r9, [%r7+0]",
    "stxb [%r3+0], %r9",
    "stxb [%r7+0], %r8",
    "add %r5, -1",
    "add %r6, 1",
    "jslt %r6, %r5, swap",
    "hash:",
    "mov %r3, 0",
    "sum:",
    "mov %r4, %r10",
    `add %r4, -${frame}`,
    "add %r4, %r3",
    "ldxb %r5, [%r4+0]",
    "mul32 %r0, 33",
    "add32 %r0, %r5",
    "add %r3, 1",
    "jlt %r3, %r2, sum",
    "done:",
    "exit",
  ].join("\n");
}

/** What the program computes, or MODEL_OUT where an access leaves the frame (the engines must fault alike). */
function expected(frame: number, input: Uint8Array): string {
  const n = input[0];
  if (n === 0) return "r0 = 0x1505";
  // buf[i] at r10 - frame + i for i < n: inside [r10 - 512, r10) for every i, or a fault
  if (frame > 512 || n > frame) return MODEL_OUT;
  const buf = Array.from(input.subarray(1, 1 + n));
  buf.reverse();
  let h = 5381n;
  for (const b of buf) h = (h * 33n + BigInt(b)) & M32;
  return `r0 = 0x${h.toString(16)}`;
}

function shape(frame: number, n: number, seed: number): Shape {
  const rand = rng(seed);
  const input = new Uint8Array(1 + Math.max(n, 1));
  for (let k = 1; k < input.length; k++) input[k] = Math.floor(rand() * 256);
  input[0] = n;
  return { source: program(frame), input };
}

/** The test on entry of the loop whose head is instruction `head`: its lines up to the copy. */
function entryTest(listing: string, head: number): string[] {
  const start = listing.search(new RegExp(`^; loop ${head}-\\d+: the test on entry`, "m"));
  expect(start).toBeGreaterThanOrEqual(0);
  const rest = listing.slice(start);
  return rest
    .slice(0, rest.search(/\(copy of loop/))
    .split("\n")
    .filter((l) => /^\s+[0-9a-f]+:\s/.test(l))
    .map((l) => l.replace(/^\s+[0-9a-f]+:\s+[0-9a-f]+\s+/, ""));
}

const FILL = 4, // the loops' heads (instruction indices)
  SWAP = 17,
  SUM = 30;

describe("buffers in the frame indexed by a counter", () => {
  it("are tested against the frame on entry: no region looked up, one test for a load and a store", () => {
    const listing = arm32Listing(assemble(program(12)), { budget: 0 });
    const lookups = (head: number) => entryTest(listing, head).filter((l) => /^(bl|ldrd)\s/.test(l)).length;
    // the range routine (bl) and the region cache (the LDRD of its window): for the fill's load from the input
    // only
    expect(lookups(FILL)).toBe(2);
    expect(lookups(SWAP)).toBe(0);
    expect(lookups(SUM)).toBe(0);
    // the buffer's address (mov %r3, %r10; add %r3, -12: jit/fuse.ts), no borrow reaching its high word: one SUB
    const buffer = codeOf(listing, SWAP, SWAP + 2, true);
    expect(buffer.length, buffer.join("\n")).toBe(1);
    expect(buffer[0]).toMatch(/^(sub r\d+, r\d+, #12|add r\d+, r11, #\d+)$/);
    // the swap's four accesses are two ranges: two compares with the room below r10 (12 - 1 = 11)
    const swap = entryTest(listing, SWAP);
    expect(swap.filter((l) => /^cmp r\d+, #11$/.test(l)).length, swap.join("\n")).toBe(2);
  });

  it("give the r0 computed here or the interpreter's fault, with and without a budget", async () => {
    const rand = rng(20261207);
    const shapes: { frame: number; s: Shape }[] = [];
    const add = (frame: number, n: number) => shapes.push({ frame, s: shape(frame, n, shapes.length + 1) });
    for (const frame of [1, 12, 64, 200, 511, 512, 513, 520]) {
      for (const n of [0, 1, 2, 3, frame - 1, frame, frame + 1, 255]) if (n >= 0 && n < 256) add(frame, n);
    }
    for (let k = 0; k < 16; k++) add(1 + Math.floor(rand() * 530), Math.floor(rand() * 256));
    // a budget that runs out in the loops (n >= 1: they run some 20 instructions per element), where no access
    // faults (the ARM32 engine reports a budget that runs out within a block before a fault earlier in it)
    const cases: Case[] = shapes.flatMap(({ frame, s }, k) => [
      { name: `${k}`, shape: s, budget: 0 },
      ...(s.input[0] > 0 && expected(frame, s.input) !== MODEL_OUT
        ? [{ name: `${k}, budget`, shape: s, budget: 4 + 7 * s.input[0] }]
        : []),
    ]);
    const byName = new Map(shapes.map(({ frame, s }, k) => [`${k}`, expected(frame, s.input)]));
    const results = await outcomes(cases, (_source, input, budget) =>
      budget > 0 ? MODEL_OUT : byName.get(cases.find((c) => c.shape.input === input && c.budget === 0)!.name)!,
    );
    // with a budget: the engines alike, and both fault (it runs out before the hash ends)
    expect(disagreeingWithModel(results)).toEqual([]);
    const ok = results.filter((r) => r.model.startsWith("r0 ="));
    expect(ok.length).toBeGreaterThan(results.length / 4);
  }, 240_000);
});

/**
 * printf's digits (jit/fuse.ts isFrameIndex): v = the input's first word, k0 = its next 8 bytes; `do { buf[k++] =
 * '0' + v % 10; v /= 10; } while (v)` from k = k0, a loop whose trips the data decide (at most 10: a copy when k0
 * leaves room for them, else the ordinary code, checked), with buf[k] at r10 - frame + k (clang's `mov d, r10; add
 * d, -frame; add d, k`); then h = h * 33 + buf[j] for j from k0 to k.
 */
function digits(frame: number): string {
  return [
    "mov %r0, 5381",
    "ldxw %r6, [%r1+0]",
    "ldxdw %r7, [%r1+4]",
    "mov %r5, %r7",
    "digit:",
    "mov %r4, %r5",
    "mov %r8, %r10",
    `add %r8, -${frame}`,
    "add %r8, %r4",
    "mov32 %r3, %r6",
    "mod32 %r3, 10",
    "or32 %r3, 48",
    "stxb [%r8+0], %r3",
    "add %r5, 1",
    "div32 %r6, 10",
    "jne %r6, 0, digit",
    "hash:",
    "mov %r8, %r10",
    `add %r8, -${frame}`,
    "add %r8, %r7",
    "ldxb %r3, [%r8+0]",
    "mul32 %r0, 33",
    "add32 %r0, %r3",
    "add %r7, 1",
    "jlt %r7, %r5, hash",
    "exit",
  ].join("\n");
}

/** The digits' hash, or MODEL_OUT where a digit's store leaves the frame (k0 is any 64-bit value). */
function digitsExpected(frame: number, v: number, k0: bigint): string {
  const out: number[] = [];
  do {
    out.push(48 + (v % 10));
    v = Math.floor(v / 10);
  } while (v);
  for (let j = 0; j < out.length; j++) {
    const at = BigInt.asIntN(64, k0 + BigInt(j) - BigInt(frame)); // the offset from r10
    if (at < -512n || at > -1n) return MODEL_OUT;
  }
  // the hash loop as the program has it: its first trip before the test, j and k compared as unsigned 64-bit
  const M64 = (1n << 64n) - 1n;
  const k = (k0 + BigInt(out.length)) & M64;
  let h = 5381n;
  let j = k0 & M64;
  do {
    h = (h * 33n + BigInt(out[Number((j - k0) & M64)])) & M32;
    j = (j + 1n) & M64;
  } while (j < k);
  return `r0 = 0x${h.toString(16)}`;
}

describe("an element's address in a frame buffer", () => {
  it("is r10's offset and the index added with its carry: no load of r10, no borrow", () => {
    const listing = arm32Listing(assemble(digits(16)), { budget: 0 });
    // instructions 5-7 (mov %r8, %r10; add %r8, -16; add %r8, %r4) in the do-while's ordinary code (after its copy:
    // the division bounds its trips, analysis/divided.ts)
    const ordinary = listing.slice(listing.indexOf("; loop 4-14: the ordinary code"));
    const code = codeOf(ordinary, 5, 8);
    expect(code[0], code.join("\n")).toBe("add r0, r11, #1648");
    expect(
      code.filter((l) => /^(sbc|subs|ldr r\d+, \[r11, #0x50\])/.test(l)),
      code.join("\n"),
    ).toEqual([]);
    expect(code.filter((l) => l.startsWith("adds")).length).toBe(1);
  });

  it("gives the hash computed here or the interpreter's fault, with and without a budget", async () => {
    const rand = rng(7);
    const shapes: { expected: string; s: Shape }[] = [];
    const add = (frame: number, v: number, k0: bigint) => {
      const input = new Uint8Array(12);
      const view = new DataView(input.buffer);
      view.setUint32(0, v, true);
      view.setBigUint64(4, BigInt.asUintN(64, k0), true);
      shapes.push({ expected: digitsExpected(frame, v, k0), s: { source: digits(frame), input } });
    };
    for (const frame of [10, 16, 200, 512, 520]) {
      for (const k0 of [0n, 1n, 5n, BigInt(frame) - 10n, BigInt(frame) - 1n, -1n, -8n, 1n << 32n, (1n << 32n) + 3n])
        add(frame, Math.floor(rand() * 2 ** 32), k0);
    }
    for (let k = 0; k < 12; k++)
      add(10 + Math.floor(rand() * 510), Math.floor(rand() * 2 ** 32), BigInt(Math.floor(rand() * 12)));
    const cases: Case[] = shapes.flatMap(({ expected, s }, k) => [
      { name: `${k}`, shape: s, budget: 0 },
      ...(expected !== MODEL_OUT ? [{ name: `${k}, budget`, shape: s, budget: 20 + Math.floor(rand() * 60) }] : []),
    ]);
    const byInput = new Map(shapes.map(({ expected, s }) => [s.input, expected]));
    const results = await outcomes(cases, (_source, input, budget) => (budget > 0 ? MODEL_OUT : byInput.get(input)!));
    expect(disagreeingWithModel(results)).toEqual([]);
    expect(results.filter((r) => r.model.startsWith("r0 =")).length).toBeGreaterThan(results.length / 4);
  }, 240_000);
});

/**
 * A ring of 64 bytes at r10 - 64 (jit/fuse.ts isFrameIndex with an index of known width): zeroed, then for each
 * input byte b up to a zero byte (a loop the data end, the ordinary code), ring[b & mask] += b, the sum xored into
 * r0. With mask 63 the index stays within the ring (at most r10 - 1: 32 bits); 127 reaches past r10, a fault.
 */
function ring(mask: number): string {
  return [
    "mov %r0, 0",
    "mov %r2, 0",
    "zero:",
    "mov %r7, %r10",
    "add %r7, -64",
    "add %r7, %r2",
    "stxb [%r7+0], %r0",
    "add %r2, 1",
    "jlt %r2, 64, zero",
    "mov %r2, 0",
    "step:",
    "mov %r4, %r1",
    "add %r4, %r2",
    "ldxb %r5, [%r4+0]",
    "mov %r6, %r5",
    `and %r6, ${mask}`,
    "mov %r7, %r10",
    "add %r7, -64",
    "add %r7, %r6",
    "ldxb %r8, [%r7+0]",
    "add %r8, %r5",
    "stxb [%r7+0], %r8",
    "xor %r0, %r8",
    "add %r2, 1",
    "jne %r5, 0, step",
    "exit",
  ].join("\n");
}

function ringExpected(mask: number, input: Uint8Array): string {
  const buf = new Uint8Array(64);
  let r0 = 0;
  for (let i = 0; ; i++) {
    if (i >= input.length) return MODEL_OUT;
    const b = input[i];
    if ((b & mask) >= 64) return MODEL_OUT;
    const sum = buf[b & mask] + b; // r8: 64 bits wide, its low byte stored
    buf[b & mask] = sum & 255;
    r0 ^= sum;
    if (b === 0) return `r0 = 0x${r0.toString(16)}`;
  }
}

describe("an element's address in a frame buffer, by an index of known width", () => {
  it("is 32 bits wide where the index cannot reach past r10", () => {
    // instructions 14-16 (mov %r7, %r10; add %r7, -64; add %r7, %r6) in the ordinary code
    const narrow = codeOf(arm32Listing(assemble(ring(63)), { budget: 0 }), 14, 17);
    expect(
      narrow.filter((l) => /^(adds|adc)/.test(l)),
      narrow.join("\n"),
    ).toEqual([]);
    const wide = codeOf(arm32Listing(assemble(ring(127)), { budget: 0 }), 14, 17);
    expect(wide.filter((l) => /^(adds|adc)/.test(l)).length, wide.join("\n")).toBe(2);
  });

  it("gives the r0 computed here or the interpreter's fault", async () => {
    const rand = rng(11);
    const shapes: { expected: string; s: Shape }[] = [];
    for (let k = 0; k < 24; k++) {
      const mask = k % 3 === 2 ? 127 : 63;
      const input = new Uint8Array(8 + Math.floor(rand() * 200));
      for (let j = 0; j < input.length; j++) input[j] = 1 + Math.floor(rand() * 255);
      if (k % 4 !== 3) input[Math.floor(rand() * input.length)] = 0; // else: a load past the input ends it
      const source = ring(mask);
      shapes.push({ expected: ringExpected(mask, input), s: { source, input } });
    }
    const byInput = new Map(shapes.map(({ expected, s }) => [s.input, expected]));
    const cases: Case[] = shapes.map(({ s }, k) => ({ name: `${k}`, shape: s, budget: 0 }));
    const results = await outcomes(cases, (_source, input) => byInput.get(input)!);
    expect(disagreeingWithModel(results)).toEqual([]);
    expect(results.filter((r) => r.model.startsWith("r0 =")).length).toBeGreaterThan(results.length / 4);
  }, 240_000);
});
