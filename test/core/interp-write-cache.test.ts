// The interpreter's loop tests a store's bounds inline against the stack and a copy of the writable region it
// wrote last (assembly/interp.ts: writable), and leaves the rest to execute (slowAccess), which asks the region
// table, copies the region when it spans at least 8 bytes, and does the access itself: the only way into regions
// smaller than that, and for sign-extending loads. A copy must never allow what the table no longer does. Values
// and fault addresses are computed here from what the programs write, not taken from a run.
import { describe, expect, test } from "vitest";
import { assemble } from "../../src/tools/asm.js";
import { Runtime } from "../../src/runtime/runtime.js";
import { reserve, ring, ringbufEnd, submit } from "../support/ringbuf-programs.js";

/** r0 of `src` run over `size` bytes of context, or the fault's message. */
function outcome(rt: Runtime, src: string, size: number): bigint | string {
  try {
    return rt.run(rt.addProgram("prog", assemble(src)), { ctx: { bytes: new Uint8Array(size) } }).r0;
  } catch (e) {
    return (e as Error).message;
  }
}

const oob = (bytes: number, offset: number, pc: number) =>
  `prog: out-of-bounds write of ${bytes} bytes at context+0x${offset.toString(16)} (instruction ${pc})`;

/** Each store size's mnemonic suffix and its bytes. */
const SIZES = [
  ["b", 1],
  ["h", 2],
  ["w", 4],
  ["dw", 8],
] as const;

describe("the bounds of a copied writable region", () => {
  // 16 bytes of context, written at 8 (all 8 bytes inside, so the region is copied) and then at OFFSET.
  const src = (offset: number, size: string) =>
    `stdw [%r1+8], 1\nmov %r2, -1\nstx${size} [%r1+${offset}], %r2\nldxdw %r0, [%r1+8]\nexit`;
  test("stores that end at the region's last byte are allowed, whatever their size", () => {
    const rt = new Runtime();
    // Little-endian: a store of n bytes of ones at 16 - n sets the top n bytes of the word at 8.
    for (const [size, n] of SIZES) {
      const expected = (1n | (((1n << BigInt(8 * n)) - 1n) << BigInt(64 - 8 * n))) & ((1n << 64n) - 1n);
      expect(outcome(rt, src(16 - n, size), 16)).toBe(n === 8 ? (1n << 64n) - 1n : expected);
    }
  });
  test("a store that crosses the region's end faults", () => {
    const rt = new Runtime();
    for (const [size, n] of SIZES) expect(outcome(rt, src(17 - n, size), 16)).toBe(oob(n, 17 - n, 2));
  });
});

describe("a copied writable region goes when the table's does", () => {
  test("a ring-buffer sample, written before its submit, faults after it", () => {
    // 0-8: r6 = reserve(16) | 9: stdw [r6+0], 5 | 10-12: submit | 13: stdw [r6+0], 6
    const lines = [...reserve(16), "stdw [%r6+0], 5", ...submit, "stdw [%r6+0], 6", "mov %r0, 0", "exit"];
    // The sample's data starts after its 8-byte header, at the start of the ring.
    expect(ringbufEnd(lines)).toBe(`prog: out-of-bounds write of 8 bytes at ${ring(8)} (instruction 13)`);
  });

  test("an earlier run's input faults in a run without one", () => {
    const rt = new Runtime();
    const first = rt.addProgram("first", assemble("stdw [%r1+0], 1\nmov %r0, %r1\nexit"));
    const addr = rt.run(first, { ctx: { bytes: new Uint8Array(16) } }).r0;
    // 0-1: lddw r1, addr | 2: stdw [r1+0], 2
    const second = rt.addProgram("second", assemble(`lddw %r1, ${addr}\nstdw [%r1+0], 2\nmov %r0, 0\nexit`));
    expect(() => rt.run(second)).toThrow(`second: out-of-bounds write of 8 bytes at 0x${addr.toString(16)}`);
  });
});

describe("regions smaller than 8 bytes, never copied", () => {
  // 4 bytes of context: bytes 2-3 set to 0xfffe (-2 as a 16-bit value), then read back at every size.
  const store = "mov %r2, -2\nstxh [%r1+2], %r2\n";
  test("loads and stores inside them run, sign-extending ones too", () => {
    const rt = new Runtime();
    expect(outcome(rt, store + "ldxh %r0, [%r1+2]\nexit", 4)).toBe(0xfffen);
    expect(outcome(rt, store + "ldxsh %r0, [%r1+2]\nexit", 4)).toBe(2n ** 64n - 2n);
    expect(outcome(rt, store + "ldxsb %r0, [%r1+3]\nexit", 4)).toBe(2n ** 64n - 1n);
    expect(outcome(rt, store + "ldxb %r0, [%r1+2]\nexit", 4)).toBe(0xfen);
    expect(outcome(rt, store + "ldxw %r0, [%r1+0]\nexit", 4)).toBe(0xfffe0000n);
    expect(outcome(rt, store + "ldxsw %r0, [%r1+0]\nexit", 4)).toBe(2n ** 64n - 0x20000n);
    expect(outcome(rt, store + "stw [%r1+0], 7\nldxw %r0, [%r1+0]\nexit", 4)).toBe(7n);
  });
  test("accesses past their end fault, each naming its instruction", () => {
    const rt = new Runtime();
    expect(outcome(rt, store + "stdw [%r1+0], 1\nexit", 4)).toBe(oob(8, 0, 2));
    expect(outcome(rt, store + "sth [%r1+3], 1\nexit", 4)).toBe(oob(2, 3, 2));
    expect(outcome(rt, store + "ldxdw %r0, [%r1+0]\nexit", 4)).toBe(
      "prog: out-of-bounds read of 8 bytes at context+0x0 (instruction 2)",
    );
    expect(outcome(rt, store + "ldxsh %r0, [%r1+3]\nexit", 4)).toBe(
      "prog: out-of-bounds read of 2 bytes at context+0x3 (instruction 2)",
    );
  });
});
