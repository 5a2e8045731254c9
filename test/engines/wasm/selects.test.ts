// Selects in the Wasm engine (assembly/wasm/selects.ts, translate.ts: selected): a jump over one mov whose register
// decides, through arithmetic alone, a branch of a later trip of its loop (a binary search's lo and hi, a bitwise
// CRC's state) is emitted as a Wasm select, not a branch. Each case runs on both engines (they must agree: r0 and
// the instructions run, or the fault, its message and instruction, the budget's faults included) and checks the
// result against one computed here; the module's text shows whether the selects were made. Jumps over a mov whose
// register goes only into an address (a selection sort's minimum index), whose value dies within the trip (a byte
// classifier) or that make a running maximum keep their branches, which the processor predicts.
import { describe, expect, it } from "vitest";
import binaryen from "binaryen";
import { assemble } from "../../../src/tools/asm.js";
import { translateToWasm } from "../../../src/engines/wasm.js";
import { runOn } from "../../support/wasm-runs.js";
import { rng } from "../../support/generated-runs.js";

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

/**
 * CRC-16/CCITT bit by bit over the first n bytes, as clang lays out `crc = crc & 0x8000 ? crc << 1 ^ 0x1021 :
 * crc << 1` in 32-bit registers: the top bit moved to the sign and tested with jslt32, both values made first and
 * a jump over the mov of the plain shift. `bits` steps per byte (8 for the CRC).
 */
const crc = (n: number, bits: number) => {
  const step = (from: string, to: string) => `
    mov32 %r0, %${from}
    lsh32 %r0, 16
    arsh32 %r0, 16
    lsh32 %${from}, 1
    mov32 %${to}, %${from}
    xor32 %${to}, 0x1021
    jslt32 %r0, 0, +1
    mov32 %${to}, %${from}`;
  const steps = Array.from({ length: bits }, (_, k) => (k % 2 === 0 ? step("r4", "r5") : step("r5", "r4")));
  return `
    mov32 %r4, 0xffff
    mov %r3, 0
  byte:
    mov %r2, %r1
    add %r2, %r3
    ldxb %r2, [%r2+0]
    lsh32 %r2, 8
    xor32 %r4, %r2
    ${steps.join("\n")}
    ${bits % 2 === 1 ? "mov32 %r4, %r5" : ""}
    add %r3, 1
    jlt %r3, ${n}, byte
    mov %r0, %r4
    and %r0, 0xffff
    exit`;
};

/** crc(n, bits) computed here. */
function crcOf(bytes: Uint8Array, n: number, bits: number): bigint {
  let c = 0xffff;
  for (let i = 0; i < n; i++) {
    c = (c ^ (bytes[i] << 8)) >>> 0;
    for (let k = 0; k < bits; k++) c = c & 0x8000 ? ((c << 1) ^ 0x1021) >>> 0 : (c << 1) >>> 0;
  }
  return BigInt(c & 0xffff);
}

/** A selection sort's inner loop over n u8: the index of the minimum, kept with a jump over a mov (an address). */
const minIndex = (n: number) => `
    mov %r0, 0
    mov %r3, 1
  next:
    mov %r4, %r1
    add %r4, %r0
    ldxb %r4, [%r4+0]
    mov %r5, %r1
    add %r5, %r3
    ldxb %r5, [%r5+0]
    mov %r6, %r3
    jlt %r5, %r4, +1
    mov %r6, %r0
    mov %r0, %r6
    add %r3, 1
    jlt %r3, ${n}, next
    exit`;

/** The maximum of n u8, kept with a copy and a jump over a mov of the other compared register. */
const maximum = (n: number) => `
    mov %r0, 0
    mov %r3, 0
  next:
    mov %r4, %r1
    add %r4, %r3
    ldxb %r4, [%r4+0]
    mov %r5, %r4
    jgt %r4, %r0, +1
    mov %r5, %r0
    mov %r0, %r5
    add %r3, 1
    jlt %r3, ${n}, next
    exit`;

/** Bytes below 0x20 moved up by 0x40 and summed, then classified again: the moved value dies within the trip. */
const classify = (n: number) => `
    mov %r0, 0
    mov %r3, 0
  next:
    mov %r4, %r1
    add %r4, %r3
    ldxb %r4, [%r4+0]
    mov %r5, %r4
    or %r5, 0x40
    jlt %r4, 0x20, +1
    mov %r5, %r4
    jgt %r5, 0x60, +1
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
const BASE = () => selects("mov %r0, 0\nexit");

const input = () => ({ ctx: { bytes: BYTES.slice() } });

function randomBytes(n: number, seed: number): Uint8Array {
  const rand = rng(seed);
  return Uint8Array.from({ length: n }, () => Math.floor(rand() * 256));
}

/** Both engines on `source` over `bytes` (budget 0: none): the same outcome, which is returned. */
function agree(source: string, bytes: Uint8Array, budget = 0) {
  const w = runOn(source, { ctx: { bytes: bytes.slice() } }, "wasm", budget).out;
  expect(w, `budget ${budget}`).toEqual(runOn(source, { ctx: { bytes: bytes.slice() } }, "interp", budget).out);
  return w;
}

describe("a jump over one mov whose register decides a later trip's branch is a select", () => {
  it("a binary search: its lo and hi as selects, the interpreter's result", () => {
    for (const [n, queries] of [
      [KEYS, 40],
      [7, 9],
      [1, 3],
    ]) {
      const source = search(n, queries);
      const w = runOn(source, input(), "wasm");
      expect(w.out).toEqual(runOn(source, input(), "interp").out);
      expect(w.out.r0).toBe(bounds(n, queries));
      expect(selects(source) - BASE()).toBeGreaterThanOrEqual(2); // lo's and hi's
    }
  });

  it("the budget counts the mov only when it runs: every budget up to the end runs out where the interpreter's does", () => {
    const source = search(12, 5);
    const whole = runOn(source, input(), "interp").out.executed ?? 0;
    expect(whole).toBeGreaterThan(100);
    for (let budget = 1; budget <= whole + 1; budget++) agree(source, BYTES, budget);
  });

  it("a search past the keys faults at the load, as on the interpreter", () => {
    const source = search(KEYS + 8, 50);
    const w = agree(source, BYTES);
    expect(w.error).toMatch(/out-of-bounds read .*\(instruction 13\)/);
    expect(w.pc).toBe(13);
  });

  it("a bitwise CRC: its steps as selects, in the loop over the input; the CRC computed here", () => {
    for (const [n, bits, seed] of [
      [64, 8, 1],
      [17, 3, 2],
      [1, 1, 3],
    ]) {
      const bytes = randomBytes(n, seed);
      const source = crc(n, bits);
      expect(agree(source, bytes).r0).toBe(crcOf(bytes, n, bits));
      expect(selects(source) - BASE()).toBeGreaterThanOrEqual(bits);
    }
  });

  it("a select's budget is an add of its condition, not a second select; a sign test is the sign bit", () => {
    // a CRC's steps: one select each in both copies of its loop (checked, and without checks, whose trips count
    // their longest way at the header and give back the mov a jump over it skips); the budget's were selects too
    for (const bits of [1, 2, 8]) expect(selects(crc(64, bits)) - BASE()).toBe(2 * bits);
    expect(selects(search(KEYS, 40)) - BASE()).toBe(2); // lo's and hi's: the search loop has one copy
    const m = binaryen.readBinary(translateToWasm(assemble(crc(64, 1))));
    const text = m.emitText();
    m.dispose();
    // jslt32 %r0, 0 as (i32.shr_u r0 31) in the select (the exact copy, a branch, keeps its compare)
    expect(text).toMatch(/\(i32\.shr_u\s+\(i32\.wrap_i64\s+\(local\.get \$\d+\)\s*\)\s+\(i32\.const 31\)/);
  });

  it("a bitwise CRC: every budget runs out where the interpreter's does; past the input it faults at the load", () => {
    const bytes = randomBytes(6, 4);
    const source = crc(6, 8);
    const whole = runOn(source, { ctx: { bytes } }, "interp").out.executed ?? 0;
    expect(whole).toBeGreaterThan(300);
    for (let budget = 1; budget <= whole + 1; budget++) agree(source, bytes, budget);
    const over = agree(crc(9, 8), bytes);
    expect(over.error).toMatch(/out-of-bounds read .*\(instruction 4\)/);
    expect(over.pc).toBe(4);
  });

  it("a selection sort's minimum index, a running maximum and a byte classifier keep their branches", () => {
    const bytes = randomBytes(50, 5);
    const base = BASE();
    const min = agree(minIndex(50), bytes).r0;
    expect(min).toBe(BigInt(bytes.indexOf(Math.min(...bytes))));
    expect(selects(minIndex(50))).toBe(base);
    expect(agree(maximum(50), bytes).r0).toBe(BigInt(Math.max(...bytes)));
    expect(selects(maximum(50))).toBe(base);
    const sum = bytes.reduce((s, b) => {
      const c = b < 0x20 ? b | 0x40 : b;
      return c > 0x60 ? s : s + c;
    }, 0);
    expect(agree(classify(50), bytes).r0).toBe(BigInt(sum));
    expect(selects(classify(50))).toBe(base);
  });
});

/**
 * Generated loops of the shape: a state register (r6) carried from trip to trip, each trip a few steps of arithmetic
 * on it and the trip's input byte and a jump over a mov that picks the state for the next trip, on a condition of
 * the state (a sign, a bit, an unsigned or signed compare with a constant or with the byte), in 32 or 64 bits, the
 * mov of a register or of a constant. Every program runs on both engines, without and with budgets, over inputs
 * long enough and too short (a fault at the load).
 */
function generated(seed: number): { source: string; n: number; load: number } {
  const rand = rng(seed);
  const pick = <T>(xs: T[]) => xs[Math.floor(rand() * xs.length)];
  const w = rand() < 0.5 ? "32" : "";
  const lines = ["mov %r6, 0", "mov %r3, 0", "byte:", "mov %r2, %r1", "add %r2, %r3", "ldxb %r2, [%r2+0]"];
  const load = 4; // the ldxb (labels take no instruction)
  const steps = 1 + Math.floor(rand() * 3);
  for (let s = 0; s < steps; s++) {
    lines.push(`${pick(["xor", "add", "sub"])}${w} %r6, %r2`);
    lines.push(`mov${w} %r7, %r6`);
    lines.push(`${pick(["lsh", "rsh", "arsh"])}${w} %r7, ${1 + Math.floor(rand() * 5)}`);
    lines.push(`${pick(["xor", "add", "or"])}${w} %r7, ${Math.floor(rand() * 0x10000)}`);
    const cond = pick([
      `jslt${w} %r6, 0`,
      `jsge${w} %r6, 0`,
      `jset${w} %r6, ${1 << Math.floor(rand() * 16)}`,
      `jgt${w} %r6, ${Math.floor(rand() * 0x8000)}`,
      `jslt${w} %r6, %r2`,
      `jle${w} %r6, %r2`,
    ]);
    lines.push(`${cond}, +1`);
    lines.push(rand() < 0.75 ? `mov${w} %r6, %r7` : `mov${w} %r6, ${Math.floor(rand() * 0x1000) - 0x800}`);
  }
  const n = 4 + Math.floor(rand() * 40);
  lines.push("add %r3, 1", `jlt %r3, ${n}, byte`, "mov %r0, %r6", "exit");
  return { source: lines.join("\n"), n, load };
}

describe("generated loops whose state is picked by a jump over a mov", () => {
  it("agree with the interpreter, with and without a budget, and fault at the load past the input", () => {
    let selected = 0;
    for (let seed = 1; seed <= 60; seed++) {
      const g = generated(seed);
      if (selects(g.source) > BASE()) selected++;
      const bytes = randomBytes(g.n, seed + 1000);
      const whole = runOn(g.source, { ctx: { bytes } }, "interp").out.executed ?? 0;
      expect(agree(g.source, bytes).error).toBeUndefined();
      for (const budget of [1, 7, Math.floor(whole / 3), whole - 1, whole, whole + 1]) agree(g.source, bytes, budget);
      const short = bytes.slice(0, g.n - 1 - (seed % 3));
      const fault = agree(g.source, short);
      expect(fault.pc).toBe(g.load);
    }
    // most states are decided by a condition of the state itself: those jumps are selects
    expect(selected).toBeGreaterThan(40);
  });
});
