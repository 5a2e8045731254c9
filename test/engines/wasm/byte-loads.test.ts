// Byte-assembled loads in the Wasm engine (assembly/wasm/bytes.ts): inside a versioned loop, a word read byte by
// byte (the idiom of C's unaligned loads) becomes one load when its bytes are contiguous and in order, and any
// other composition stays exact. Each case runs a loop over the context on both engines and checks r0 against a
// value computed here from the bytes; the module's text shows which loads the translation made. When a base
// register is written before its word is complete (clang often loads a word's last byte into the register that held
// its address, or moves the pointer between bytes), the bytes read before keep the base's old value in a local of
// their own, so the word is still one load; when that local is taken, they are emitted one by one.
import { describe, expect, it } from "vitest";
import binaryen from "binaryen";
import { assemble } from "../../../src/tools/asm.js";
import { Runtime } from "../../../src/runtime/runtime.js";
import { wasmEngine, translateToWasm, wasmFallbackReason } from "../../../src/engines/wasm.js";
import { rotatedLoop } from "../../support/loop-programs.js";

const SIZE = 64;
const BYTES = Uint8Array.from({ length: SIZE }, (_, i) => (i * 73 + 29) & 0xff);
const M64 = (1n << 64n) - 1n;

/** Trips at i = 0, 8, ..., 56; each runs `body` with r4 = data + i and folds r5 in: r0 = r0 * 31 + r5. */
const loop = (body: string) => rotatedLoop({ bound: SIZE, body, fold: "mul %r0, 31\n add %r0, %r5" });

/** r0 as the loop computes it, from value(i) of each trip. */
function fold(value: (i: number) => bigint): bigint {
  let r0 = 0n;
  for (let i = 0; i < SIZE; i += 8) r0 = (r0 * 31n + value(i)) & M64;
  return r0;
}

const le = (at: number, n: number) => {
  let v = 0n;
  for (let k = n - 1; k >= 0; k--) v = (v << 8n) | BigInt(BYTES[at + k]);
  return v;
};
const byte = (at: number) => BigInt(BYTES[at]);

/** r0 on both engines (they must agree, the Wasm engine without falling back) and the loads of the module. */
function run(asm: string): { r0: bigint; text: string } {
  const code = assemble(asm);
  const results = (["interp", "wasm"] as const).map((e) => {
    const rt = new Runtime({});
    const prog = rt.addProgram("p", code);
    const r0 = rt.run(prog, { ctx: { bytes: BYTES.slice() } }, e === "wasm" ? wasmEngine : e).r0;
    if (e === "wasm") expect(wasmFallbackReason(prog)).toBeUndefined();
    return r0;
  });
  expect(results[1]).toBe(results[0]);
  const m = binaryen.readBinary(translateToWasm(code));
  const text = m.emitText();
  m.dispose();
  return { r0: results[1], text };
}

const count = (text: string, what: string) => text.split(what).length - 1;

describe("byte-assembled loads", () => {
  it("reads a little-endian u32 assembled from interleaved bytes as one 4-byte load", () => {
    const { r0, text } = run(
      loop(`
        ldxb %r5, [%r4+1]
        lsh32 %r5, 8
        ldxb %r6, [%r4+0]
        or32 %r5, %r6
        ldxb %r6, [%r4+2]
        lsh32 %r6, 16
        ldxb %r9, [%r4+3]
        or32 %r5, %r6
        lsh32 %r9, 24
        or32 %r5, %r9`),
    );
    expect(r0).toBe(fold((i) => le(i, 4)));
    expect(count(text, "i64.load32_u align=1")).toBeGreaterThan(0);
  });

  it("reads a little-endian u64 assembled with 64-bit shifts as one 8-byte load", () => {
    const body = [0, 1, 2, 3, 4, 5, 6, 7]
      .map((k) => (k === 0 ? "ldxb %r5, [%r4+0]" : `ldxb %r6, [%r4+${k}]\n lsh %r6, ${8 * k}\n or %r5, %r6`))
      .join("\n");
    const { r0, text } = run(loop(body));
    expect(r0).toBe(fold((i) => le(i, 8)));
    expect(count(text, "i64.load align=1")).toBeGreaterThan(0);
  });

  it("keeps a big-endian u16 and a truncating shift exact", () => {
    const be = run(loop("ldxb %r5, [%r4+0]\n lsh32 %r5, 8\n ldxb %r6, [%r4+1]\n or32 %r5, %r6"));
    expect(be.r0).toBe(fold((i) => (byte(i) << 8n) | byte(i + 1)));
    const cut = run(loop("ldxb %r5, [%r4+3]\n lsh32 %r5, 16\n ldxb %r6, [%r4+5]\n or32 %r5, %r6\n lsh32 %r5, 8"));
    expect(cut.r0).toBe(fold((i) => ((byte(i + 3) << 24n) | (byte(i + 5) << 8n)) & 0xffffffffn));
  });

  it("gives a temporary read later its own byte, and the base's old value to bytes read before it moved", () => {
    const temp = run(loop("ldxb %r5, [%r4+0]\n ldxb %r6, [%r4+1]\n lsh32 %r6, 8\n or32 %r5, %r6\n add %r5, %r6"));
    expect(temp.r0).toBe(fold((i) => le(i, 2) + (byte(i + 1) << 8n)));
    const moved = run(
      loop("mov %r9, %r4\n ldxb %r5, [%r9+1]\n ldxb %r6, [%r9+0]\n add %r9, 2\n lsh32 %r5, 8\n or32 %r5, %r6"),
    );
    expect(moved.r0).toBe(fold((i) => le(i, 2)));
  });

  it("reads a byte before a store to it overwrites it", () => {
    // the store changes byte i + 1, which the next trip never reads again
    const { r0 } = run(
      loop("ldxb %r5, [%r4+1]\n stb [%r4+1], 0x77\n lsh32 %r5, 8\n ldxb %r6, [%r4+1]\n or32 %r5, %r6"),
    );
    expect(r0).toBe(fold((i) => (byte(i + 1) << 8n) | 0x77n));
  });

  it("keeps a byte or'ed in twice one byte, not a wider word", () => {
    // two loads of one byte at one shift: positions that repeat are no 2-byte (or 4-byte) word
    const twice = run(loop("ldxb %r5, [%r4+0]\n ldxb %r6, [%r4+0]\n or32 %r5, %r6"));
    expect(twice.r0).toBe(fold((i) => byte(i)));
    const repeated = run(
      loop(`
        ldxb %r5, [%r4+0]
        ldxb %r6, [%r4+1]
        lsh32 %r6, 8
        or32 %r5, %r6
        ldxb %r6, [%r4+1]
        lsh32 %r6, 8
        or32 %r5, %r6
        ldxb %r6, [%r4+2]
        lsh32 %r6, 16
        or32 %r5, %r6`),
    );
    expect(repeated.r0).toBe(fold((i) => le(i, 3)));
  });
});

/** Bytes 0-6 of a u64 into r5 through r6 (clang's order: byte 1 first, then byte 0). */
const sevenBytes = [
  "ldxb %r6, [%r4+0]",
  "ldxb %r5, [%r4+1]",
  "lsh %r5, 8",
  "or %r5, %r6",
  ...[2, 3, 4, 5, 6].map((k) => `ldxb %r6, [%r4+${k}]\n lsh %r6, ${8 * k}\n or %r5, %r6`),
].join("\n");

describe("byte-assembled loads over a base that is written", () => {
  it("reads a u64 whose last byte is loaded into its own base register as one 8-byte load", () => {
    const { r0, text } = run(loop(`${sevenBytes}\n ldxb %r4, [%r4+7]\n lsh %r4, 56\n or %r5, %r4`));
    expect(r0).toBe(fold((i) => le(i, 8)));
    expect(count(text, "i64.load align=1")).toBeGreaterThan(0);
  });

  it("reads a u32 whose pointer moves past it before the last or as one 4-byte load", () => {
    const { r0, text } = run(
      loop(`
        ldxb %r5, [%r4+0]
        ldxb %r6, [%r4+1]
        ldxb %r8, [%r4+2]
        ldxb %r9, [%r4+3]
        add %r4, 4
        lsh32 %r6, 8
        lsh32 %r8, 16
        lsh32 %r9, 24
        or32 %r5, %r6
        or32 %r5, %r8
        or32 %r5, %r9
        ldxb %r6, [%r4+0]
        add %r5, %r6`),
    );
    expect(r0).toBe(fold((i) => le(i, 4) + BigInt(BYTES[i + 4])));
    expect(count(text, "i64.load32_u align=1")).toBeGreaterThan(0);
  });

  it("stays exact when a second base is written while the first one's old value is still kept", () => {
    const { r0 } = run(
      loop(`
        mov %r9, %r4
        ldxb %r5, [%r4+0]
        ldxb %r4, [%r4+1]
        ldxb %r6, [%r9+2]
        ldxb %r9, [%r9+3]
        lsh %r4, 8
        lsh %r6, 16
        lsh %r9, 24
        or %r5, %r4
        or %r5, %r6
        or %r5, %r9`),
    );
    expect(r0).toBe(fold((i) => le(i, 4)));
  });

  it("keeps a byte whose base is later used as a value", () => {
    const { r0 } = run(loop("ldxb %r5, [%r4+2]\n ldxb %r4, [%r4+3]\n lsh32 %r4, 8\n or32 %r5, %r4\n add %r5, %r4"));
    expect(r0).toBe(fold((i) => (BigInt(BYTES[i + 3]) << 9n) + BigInt(BYTES[i + 2])));
  });
});
