// Sign extensions by a shift pair in the Wasm engine (translate.ts: signExtension): clang extends a short or a char
// held in a register with `lsh32 x, 16; arsh32 x, 16` (24 for a char; 32, 48 or 56 in 64 bits), which the
// translator emits as one Wasm sign extension. The module's text shows them; every program runs on both engines
// (r0 and the instructions run, or the fault and its instruction, the budget's included), and r0 is the one
// computed here with BigInt. A pair split by a jump into its arsh, or shifted by other amounts, stays two shifts.
import { describe, expect, it } from "vitest";
import binaryen from "binaryen";
import { assemble } from "../../../src/tools/asm.js";
import { translateToWasm } from "../../../src/engines/wasm.js";
import { runOn } from "../../support/wasm-runs.js";
import { rng } from "../../support/generated-runs.js";

const M64 = (1n << 64n) - 1n;

/** The module's text. */
function text(source: string): string {
  const m = binaryen.readBinary(translateToWasm(assemble(source)));
  const t = m.emitText();
  m.dispose();
  return t;
}
const count = (t: string, what: string) => t.split(what).length - 1;
/** The Wasm sign extensions (i32/i64.extend8_s, extend16_s, extend32_s) in a module's text. */
const extensions = (t: string) => (t.match(/extend(8|16|32)_s/g) ?? []).length;

/** Both engines on `source` over `bytes`: the same outcome, which is returned. */
function agree(source: string, bytes: Uint8Array, budget = 0) {
  const w = runOn(source, { ctx: { bytes: bytes.slice() } }, "wasm", budget).out;
  expect(w, `budget ${budget}`).toEqual(runOn(source, { ctx: { bytes: bytes.slice() } }, "interp", budget).out);
  return w;
}

interface Pair {
  bits: 32 | 64;
  shift: number;
}
const PAIRS: Pair[] = [
  { bits: 32, shift: 16 },
  { bits: 32, shift: 24 },
  { bits: 64, shift: 32 },
  { bits: 64, shift: 48 },
  { bits: 64, shift: 56 },
];
const suffix = (p: Pair) => (p.bits === 32 ? "32" : "");
const wat = (p: Pair) => (p.bits === 32 ? `i32.extend${32 - p.shift}_s` : `i64.extend${64 - p.shift}_s`);

/** x sign-extended from its low (bits - shift) bits, as a 64-bit register after the pair. */
function extend(x: bigint, p: Pair): bigint {
  const low = p.bits - p.shift;
  const v = BigInt.asIntN(low, x);
  return p.bits === 32 ? BigInt.asUintN(32, v) : BigInt.asUintN(64, v);
}

/**
 * A loop over n little-endian u64 words of the input: each word sign-extended by the pair and added into r0 (mixed
 * by a multiply so that every word counts). The load is instruction 4.
 */
const sumOf = (p: Pair, n: number) => `
    mov %r0, 0
    mov %r3, 0
  next:
    mov %r4, %r1
    add %r4, %r3
    ldxdw %r5, [%r4+0]
    lsh${suffix(p)} %r5, ${p.shift}
    arsh${suffix(p)} %r5, ${p.shift}
    mul %r0, 31
    add %r0, %r5
    add %r3, 8
    jlt %r3, ${8 * n}, next
    exit`;

function sumHere(bytes: Uint8Array, p: Pair, n: number): bigint {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let r0 = 0n;
  for (let i = 0; i < n; i++) r0 = (r0 * 31n + extend(view.getBigUint64(8 * i, true), p)) & M64;
  return r0;
}

function randomBytes(n: number, seed: number): Uint8Array {
  const rand = rng(seed);
  return Uint8Array.from({ length: n }, () => Math.floor(rand() * 256));
}

describe("a shift pair that sign-extends is one Wasm sign extension", () => {
  it("for each width: the extension in the module, r0 as computed here, budgets and a fault as on the interpreter", () => {
    for (const [k, p] of PAIRS.entries()) {
      const n = 12;
      const bytes = randomBytes(8 * n, k + 1);
      const source = sumOf(p, n);
      expect(count(text(source), `(${wat(p)}`)).toBeGreaterThanOrEqual(1);
      expect(agree(source, bytes).r0).toBe(sumHere(bytes, p, n));
      const whole = runOn(source, { ctx: { bytes } }, "interp").out.executed ?? 0;
      for (const budget of [1, 6, 7, 8, Math.floor(whole / 2), whole - 1, whole]) agree(source, bytes, budget);
      const fault = agree(sumOf(p, n + 1), bytes);
      expect(fault.pc).toBe(4);
    }
  });

  it("other amounts, another register, or a jump into the arsh: two shifts, and the same r0", () => {
    const bytes = randomBytes(64, 9);
    const pairs = [
      ["lsh32 %r5, 12", "arsh32 %r5, 12"],
      ["lsh32 %r5, 16", "arsh32 %r5, 8"],
      ["lsh %r5, 48", "arsh %r6, 48"],
      ["lsh %r5, 40", "arsh %r5, 40"],
    ];
    for (const [lsh, arsh] of pairs) {
      const source = `
        mov %r6, 3
        ldxdw %r5, [%r1+0]
        ${lsh}
        ${arsh}
        mov %r0, %r5
        add %r0, %r6
        exit`;
      const t = text(source);
      expect(extensions(t)).toBe(extensions(text("mov %r0, 0\nexit")));
      agree(source, bytes);
    }
    // the arsh is also a jump's target: it begins a block of its own, and both ways must shift by it
    const joined = `
        ldxdw %r5, [%r1+0]
        ldxb %r2, [%r1+8]
        jgt %r2, 127, shift
        lsh32 %r5, 16
      shift:
        arsh32 %r5, 16
        mov %r0, %r5
        exit`;
    for (let k = 0; k < 8; k++) agree(joined, randomBytes(16, 20 + k));
    expect(count(text(joined), "(i32.extend16_s")).toBe(0);
  });
});
