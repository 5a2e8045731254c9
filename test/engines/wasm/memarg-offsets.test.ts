// Offsets in the memarg for accesses that need no check (assembly/wasm/translate.ts: memOffset, bytes.ts: address):
// in a versioned loop's copy without checks, `ldxb r, [p + off]` with off >= 0 becomes a load of p wrapped to 32
// bits with off in the memarg, which V8 folds into the access, instead of p + off in 64 bits, wrapped. The
// programs here are counted loops over the context reading at offsets from 0 to 0x7fff off a pointer that moves
// (one byte, a big-endian pair, a word assembled from bytes, a store), with negative offsets off a pointer ahead.
// The context is as long as the loop reads (the copy without checks runs) or one byte shorter (the checked copy
// faults where the interpreter does); r0 is the sum computed here.
import { describe, expect, it } from "vitest";
import binaryen from "binaryen";
import { assemble } from "../../../src/tools/asm.js";
import { translateToWasm } from "../../../src/engines/wasm.js";
import { runOn } from "../../support/wasm-runs.js";

const run = (source: string, bytes: Uint8Array, engine: "interp" | "wasm") => runOn(source, { ctx: { bytes } }, engine);

/**
 * for (i = 0; i < trips; i++) { p = r1 + i + ahead; r0 += what p reads } with `body` reading through r4 = p into
 * r5 (the read is instruction 6 when body starts with it).
 */
const loop = (trips: number, ahead: number, body: string) => `
    mov %r0, 0
    mov %r6, 0
  next:
    mov %r4, %r1
    add %r4, %r6
    add %r4, ${ahead}
    ${body}
    add %r0, %r5
    add %r6, 1
    jlt %r6, ${trips}, next
    exit`;

const TRIPS = 40;
const bytesOf = (n: number) => Uint8Array.from({ length: n }, (_, i) => (i * 73 + 11) & 0xff);

/** The program, the bytes it reads per trip (from p), and r0 from the context's bytes. */
const CASES: { name: string; ahead: number; body: string; reach: number; sum: (b: Uint8Array) => bigint }[] = [];
for (const off of [0, 1, 255, 4096, 0x7fff]) {
  CASES.push({
    name: `a byte at +${off}`,
    ahead: 0,
    body: `ldxb %r5, [%r4+${off}]`,
    reach: off + 1,
    sum: (b) => sumTrips((i) => b[i + off]),
  });
}
CASES.push({
  name: "a big-endian pair at +300, +301 (two byte loads)",
  ahead: 0,
  body: "ldxb %r5, [%r4+300]\n lsh %r5, 8\n ldxb %r7, [%r4+301]\n or %r5, %r7",
  reach: 302,
  sum: (b) => sumTrips((i) => (b[i + 300] << 8) | b[i + 301]),
});
CASES.push({
  name: "a little-endian u32 from two bytes and a half-word at +1000",
  ahead: 0,
  body: "ldxb %r5, [%r4+1001]\n lsh %r5, 8\n ldxb %r7, [%r4+1000]\n or %r5, %r7\n ldxh %r7, [%r4+1002]\n lsh %r7, 16\n or %r5, %r7",
  reach: 1004,
  sum: (b) => sumTrips((i) => b[i + 1000] + b[i + 1001] * 2 ** 8 + b[i + 1002] * 2 ** 16 + b[i + 1003] * 2 ** 24),
});
CASES.push({
  name: "negative offsets off a pointer 600 bytes ahead",
  ahead: 600,
  body: "ldxb %r5, [%r4-600]\n ldxh %r7, [%r4-17]\n add %r5, %r7",
  reach: 585,
  sum: (b) => sumTrips((i) => b[i] + (b[i + 583] | (b[i + 584] << 8))),
});
CASES.push({
  name: "a store at +2000 read back at +2000",
  ahead: 0,
  body: "stb [%r4+2000], 7\n ldxb %r5, [%r4+2000]\n ldxb %r7, [%r4+1999]\n add %r5, %r7",
  reach: 2001,
  // the byte at +1999 was written by the trip before (i >= 1)
  sum: (b) => sumTrips((i) => 7 + (i === 0 ? b[1999] : 7)),
});

function sumTrips(f: (i: number) => number): bigint {
  let s = 0n;
  for (let i = 0; i < TRIPS; i++) s += BigInt(f(i));
  return s;
}

describe("memarg offsets of accesses that need no check", () => {
  it("a byte read at +1234 in a loop's copy without checks is a load with offset 1234", () => {
    const m = binaryen.readBinary(translateToWasm(assemble(loop(TRIPS, 0, "ldxb %r5, [%r4+1234]"))));
    const text = m.emitText();
    m.dispose();
    expect(text).toContain("i64.load8_u offset=1234");
  });

  for (const c of CASES) {
    it(`${c.name}: the sum at the context's exact length, the interpreter's fault one byte shorter`, () => {
      const source = loop(TRIPS, c.ahead, c.body);
      const len = TRIPS - 1 + c.reach;
      const full = bytesOf(len);
      const ok = run(source, full.slice(), "wasm");
      expect(ok.out).toEqual(run(source, full.slice(), "interp").out);
      expect(ok.out.r0).toBe(c.sum(full));
      expect(ok.unchecked).toBe(true);
      const short = bytesOf(len - 1);
      const bad = run(source, short.slice(), "wasm");
      expect(bad.out).toEqual(run(source, short.slice(), "interp").out);
      expect(bad.out.error).toMatch(/out-of-bounds (read|write)/);
    });
  }
});
