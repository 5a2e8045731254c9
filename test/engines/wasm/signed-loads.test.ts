// Signed loads in the Wasm engine (assembly/wasm/signed-loads.ts): a load followed by a shift pair that
// sign-extends what it loaded, `ldxh r, [p]; lsh32 r, 16; arsh32 r, 16` (a dot product of `short`s as clang lays it
// out), is one sign-extending Wasm load. Each case runs on both engines (they must agree: r0 and the instructions
// run, or the fault, its message and instruction, budgets that run out included) and checks r0 against a BigInt
// model of the eBPF instructions; the module's text shows the signed loads.
import { describe, expect, it } from "vitest";
import binaryen from "binaryen";
import { assemble } from "../../../src/tools/asm.js";
import { translateToWasm } from "../../../src/engines/wasm.js";
import { runOn } from "../../support/wasm-runs.js";
import { rng } from "../../support/generated-runs.js";

const M32 = (1n << 32n) - 1n;
const M64 = (1n << 64n) - 1n;

/** Sign-extends the low `bits` of v (a BigInt) to an unbounded integer. */
const sext = (v: bigint, bits: number) => BigInt.asIntN(bits, v);

type Shape = { load: string; size: number; pair: "32" | "64"; shift: number };
const SHAPES: Shape[] = [
  { load: "ldxh", size: 2, pair: "32", shift: 16 },
  { load: "ldxb", size: 1, pair: "32", shift: 24 },
  { load: "ldxh", size: 2, pair: "64", shift: 48 },
  { load: "ldxb", size: 1, pair: "64", shift: 56 },
  { load: "ldxw", size: 4, pair: "64", shift: 32 },
];

/**
 * Over n elements of `size` bytes from ctx: r0 = the sum of x[i] * x[n - 1 - i], each x sign-extended by the
 * shape's pair right after its load (both loads), the product and sum in 32 bits for a 32-bit pair, else 64.
 */
function dot(s: Shape, n: number): string {
  const w = s.pair === "32" ? "32" : "";
  return `
    mov %r0, 0
    mov %r6, 0
  loop:
    mov %r2, %r6
    mul %r2, ${s.size}
    add %r2, %r1
    ${s.load} %r3, [%r2+0]
    lsh${w} %r3, ${s.shift}
    arsh${w} %r3, ${s.shift}
    mov %r4, ${n - 1}
    sub %r4, %r6
    mul %r4, ${s.size}
    add %r4, %r1
    ${s.load} %r5, [%r4+0]
    lsh${w} %r5, ${s.shift}
    arsh${w} %r5, ${s.shift}
    mul${w} %r3, %r5
    add${w} %r0, %r3
    add %r6, 1
    jlt %r6, ${n}, loop
    exit`;
}

/** dot(s, n) over `bytes`, computed here from the instructions' meaning. */
function dotModel(s: Shape, n: number, bytes: Uint8Array): bigint {
  const v = new DataView(bytes.buffer, bytes.byteOffset);
  const at = (i: number) =>
    BigInt(s.size === 1 ? v.getUint8(i) : s.size === 2 ? v.getUint16(i * 2, true) : v.getUint32(i * 4, true));
  const bits = 8 * s.size;
  let r0 = 0n;
  for (let i = 0; i < n; i++) {
    const a = sext(at(i), bits),
      b = sext(at(n - 1 - i), bits);
    if (s.pair === "32") r0 = (r0 + ((a * b) & M32)) & M32;
    else r0 = (r0 + a * b) & M64;
  }
  return r0;
}

function wat(source: string): string {
  const m = binaryen.readBinary(translateToWasm(assemble(source)));
  const text = m.emitText();
  m.dispose();
  return text;
}

function randomBytes(n: number, seed: number): Uint8Array {
  const next = rng(seed);
  return Uint8Array.from({ length: n }, () => Math.floor(next() * 256));
}

describe("a load and a shift pair that sign-extends it are one signed load", () => {
  it("is emitted as the sign-extending Wasm load", () => {
    expect(wat(dot(SHAPES[0], 8))).toMatch(/i32\.load16_s/);
    expect(wat(dot(SHAPES[1], 8))).toMatch(/i32\.load8_s/);
    expect(wat(dot(SHAPES[2], 8))).toMatch(/i64\.load16_s/);
    expect(wat(dot(SHAPES[3], 8))).toMatch(/i64\.load8_s/);
    expect(wat(dot(SHAPES[4], 8))).toMatch(/i64\.load32_s/);
    // a pair that extends from another width than the load's stays a zero-extending load and a shift pair
    expect(wat(dot({ load: "ldxh", size: 2, pair: "32", shift: 24 }, 8))).not.toMatch(/load16_s/);
  });

  it("the products of every shape: r0 the model's, the count the interpreter's", () => {
    for (const [k, s] of SHAPES.entries()) {
      for (const n of [1, 2, 7, 16]) {
        const bytes = randomBytes(n * s.size, 31 * k + n);
        const input = () => ({ ctx: { bytes: bytes.slice() } });
        const w = runOn(dot(s, n), input(), "wasm").out;
        expect(w, `${s.load} ${s.pair}, n ${n}`).toEqual(runOn(dot(s, n), input(), "interp").out);
        expect(w.r0, `${s.load} ${s.pair}, n ${n}`).toBe(dotModel(s, n, bytes));
      }
    }
  });

  it("past the input it faults at the load, as on the interpreter; budgets run out where the interpreter's do", () => {
    const s = SHAPES[0];
    const short = randomBytes(2 * 5, 9); // 5 elements where the program reads 6
    const over = runOn(dot(s, 6), { ctx: { bytes: short.slice() } }, "wasm").out;
    expect(over).toEqual(runOn(dot(s, 6), { ctx: { bytes: short.slice() } }, "interp").out);
    expect(over.error).toMatch(/out-of-bounds read/);
    expect(over.pc).toBe(12); // x[n - 1 - i] at i = 0
    const bytes = randomBytes(2 * 4, 10);
    const input = () => ({ ctx: { bytes: bytes.slice() } });
    const whole = runOn(dot(s, 4), input(), "interp").out.executed ?? 0;
    for (let budget = 1; budget <= whole + 1; budget++) {
      expect(runOn(dot(s, 4), input(), "wasm", budget).out, `budget ${budget}`).toEqual(
        runOn(dot(s, 4), input(), "interp", budget).out,
      );
    }
  });

  it("a frame load with its pair, and a pair that starts another block, agree with the interpreter", () => {
    // ctx: u64 v, u64 flag. r0 = sext16(v's low halfword) + arsh32(x, 16) where x is v's next halfword, shifted
    // up first on one way only (the jump lands on the arsh: the pair is split between blocks)
    const source = `
    ldxdw %r5, [%r1+0]
    ldxdw %r2, [%r1+8]
    stxdw [%r10-8], %r5
    ldxh %r3, [%r10-8]
    lsh32 %r3, 16
    arsh32 %r3, 16
    mov %r0, %r3
    ldxh %r4, [%r10-6]
    jeq %r2, 0, skip
    lsh32 %r4, 16
  skip:
    arsh32 %r4, 16
    add %r0, %r4
    exit`;
    for (const [v, flag] of [
      [0x8001_7fffn, 0n],
      [0x8001_7fffn, 1n],
      [0xffff_1234_fedc_ba98n, 1n],
      [0x7fff_8000n, 1n],
    ]) {
      const lo = v & 0xffffn,
        hi = (v >> 16n) & 0xffffn;
      const x = flag === 0n ? hi : (hi << 16n) & M32;
      const arsh32 = (BigInt.asIntN(32, x) >> 16n) & M32;
      const want = ((sext(lo, 16) & M32) + arsh32) & M64;
      const bytes = new Uint8Array(16);
      new DataView(bytes.buffer).setBigUint64(0, v, true);
      new DataView(bytes.buffer).setBigUint64(8, flag, true);
      const run = (engine: "interp" | "wasm") => runOn(source, { ctx: { bytes: bytes.slice() } }, engine).out;
      expect(run("wasm")).toEqual(run("interp"));
      expect(run("interp").r0, `v ${v.toString(16)}, flag ${flag}`).toBe(want);
    }
  });
});
