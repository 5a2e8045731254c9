// The rotate of a product in the Wasm engine (assembly/wasm/translate.ts: rotateOr): clang makes rotl(x * c, r) in
// 32 bits (murmur3's k) of mov32 t, x; mul32 t, c << r; mul32 x, c; rsh32 x, 32 - r; or32 x, t, which the
// translator emits as one i32.rotl of x * c; t keeps its product. Each case runs on both engines over words of the
// context and checks x and t against values computed here; the module's text shows whether the rotate was made.
// Near misses (another constant, a jump into the sequence, t's mul32 after the rsh32) keep the instructions as they
// are, with the same results.
import { describe, expect, it } from "vitest";
import binaryen from "binaryen";
import { assemble } from "../../../src/tools/asm.js";
import { translateToWasm } from "../../../src/engines/wasm.js";
import { runOn } from "../../support/wasm-runs.js";

const WORDS = Uint32Array.from({ length: 8 }, (_, i) => (i * 0x9e3779b9 + 0x7f4a7c15) >>> 0);
const BYTES = new Uint8Array(WORDS.buffer);
const M32 = (1n << 32n) - 1n;

const mul32 = (a: bigint, b: bigint) => (a * b) & M32;

/**
 * For each word x of the context: the sequence on x (r3) and t (r7), then r0 = r0 * 31 + (t << 32 | x); `late`
 * puts t's mul32 after the rsh32, `into` adds a jump to the or32 (it then starts a block of its own).
 */
function program(c: number, c1: number, r: number, late: boolean, into = false): string {
  const tMul = `mul32 %r7, ${c1 | 0}`;
  return `
      mov %r0, 0
      mov %r6, 0
    next:
      mov %r4, %r1
      add %r4, %r6
      ldxw %r3, [%r4+0]
      mov32 %r7, %r3
      ${late ? "" : tMul}
      mul32 %r3, ${c | 0}
      rsh32 %r3, ${32 - r}
      ${late ? tMul : ""}
      ${into ? "ja join" : ""}
    join:
      or32 %r3, %r7
      mul %r0, 31
      lsh %r7, 32
      or %r7, %r3
      add %r0, %r7
      add %r6, 4
      jlt %r6, ${BYTES.length}, next
      exit`;
}

/** r0 as the program computes it, with t = x * c1 and x = (x * c) >> (32 - r) | t. */
function expected(c: number, c1: number, r: number): bigint {
  let r0 = 0n;
  for (const w of WORDS) {
    const x = BigInt(w);
    const t = mul32(x, BigInt(c1 >>> 0));
    const v = (mul32(x, BigInt(c >>> 0)) >> BigInt(32 - r)) | t;
    r0 = (r0 * 31n + ((t << 32n) | v)) & ((1n << 64n) - 1n);
  }
  return r0;
}

/** r0 on both engines (they must agree) and the rotates in the module. */
function run(source: string): { r0: bigint | undefined; rotates: number } {
  const input = { ctx: { bytes: BYTES.slice() } };
  const w = runOn(source, input, "wasm");
  expect(w.out).toEqual(runOn(source, input, "interp").out);
  const m = binaryen.readBinary(translateToWasm(assemble(source)));
  const text = m.emitText();
  m.dispose();
  return { r0: w.out.r0, rotates: text.split("i32.rotl").length - 1 };
}

describe("the rotate of a product", () => {
  for (const [c, r] of [
    [0xcc9e2d51, 15],
    [0x1b873593, 13],
    [3, 1],
    [0x85ebca6b, 31],
  ]) {
    const c1 = Number((BigInt(c) << BigInt(r)) & M32);
    it(`rotl(x * ${c.toString(16)}, ${r}): one i32.rotl`, () => {
      const { r0, rotates } = run(program(c, c1, r, false));
      expect(r0).toBe(expected(c, c1, r));
      expect(rotates).toBeGreaterThan(0);
    });
  }

  it("another constant for t, a jump to the or32, or t's mul32 after the rsh32 keep the instructions", () => {
    const c = 0xcc9e2d51;
    const c1 = Number((BigInt(c) << 15n) & M32);
    for (const [other, late, into] of [
      [c1 ^ 1, false, false],
      [c1, false, true],
      [c1, true, false],
    ] as const) {
      const { r0, rotates } = run(program(c, other, 15, late, into));
      expect(r0).toBe(expected(c, other, 15));
      expect(rotates).toBe(0);
    }
  });
});
