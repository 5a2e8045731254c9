// The ARM32 translator's value widths (assembly/arm32/analysis/ranges.ts) decide where 32-bit code is enough, and pairs of
// instructions become one (assembly/arm32/jit/fuse.ts). Each program
// here sits on a boundary where a wrong conclusion would lose a carry, a borrow or a high word: a non-strict
// comparison against 0xffffffff, a 32-bit comparison of a 64-bit value, signed comparisons of negative values,
// products and shifts that just reach bit 32, divisions by constants with the short reciprocal. Every result is
// computed here with BigInt from the input and must equal both the interpreter's and the ARM32 executable's.
import { describe, it, expect } from "vitest";
import { assemble } from "../../../src/tools/asm.js";
import { Runtime } from "../../../src/runtime/runtime.js";
import { runArm32Async, type Arm32Result } from "../../../src/engines/arm32/build.js";

const M64 = (1n << 64n) - 1n;

interface Case {
  name: string;
  source: string;
  /** The input memory's little-endian fields: their sizes in bytes, in order from offset 0. */
  layout: number[];
  /** The inputs: each the fields' values. */
  inputs: bigint[][];
  expected(v: bigint[]): bigint;
}

function memoryOf(layout: number[], values: bigint[]): Uint8Array {
  const size = layout.reduce((a, b) => a + b, 0);
  const mem = new Uint8Array(Math.max(size, 8));
  const view = new DataView(mem.buffer);
  let at = 0;
  layout.forEach((bytes, k) => {
    const v = values[k] & ((1n << BigInt(8 * bytes)) - 1n);
    if (bytes === 8) view.setBigUint64(at, v, true);
    else if (bytes === 4) view.setUint32(at, Number(v), true);
    else view.setUint16(at, Number(v), true);
    at += bytes;
  });
  return mem;
}

function interpret(code: Uint8Array, mem: Uint8Array): bigint {
  const rt = new Runtime({});
  const prog = rt.addProgram("program", code);
  return rt.run(prog, { ctx: { bytes: mem } }).r0;
}

function r0Of(r: Arm32Result): bigint {
  if ("fault" in r) throw new Error(r.fault);
  return r.r0;
}

const signed = (v: bigint) => BigInt.asIntN(64, v);

const CASES: Case[] = [
  {
    name: "r3 <= r2 (not strict) leaves no room below 0xffffffff: r3 + 1 carries",
    source: `ldxw %r2, [%r1+0]
ldxw %r3, [%r1+4]
jgt %r3, %r2, out
add %r3, 1
out:
mov %r0, %r3
exit`,
    layout: [4, 4],
    inputs: [
      [0xffffffffn, 0xffffffffn],
      [0xffffffffn, 0xfffffffen],
      [5n, 3n],
      [3n, 5n],
    ],
    expected: ([l, v]) => (v <= l ? v + 1n : v),
  },
  {
    name: "a counter below a 32-bit limit stays within 32 bits",
    source: `ldxw %r2, [%r1+0]
ldxw %r3, [%r1+4]
mov %r0, 0
loop:
jge %r3, %r2, out
add %r3, 1
add %r0, 1
ja loop
out:
lsh %r0, 32
add %r0, %r3
exit`,
    layout: [4, 4],
    inputs: [
      [0xffffffffn, 0xfffffffbn],
      [0xffffffffn, 0xffffffffn],
      [10n, 0n],
      [0n, 7n],
    ],
    expected: ([l, v]) => {
      let n = 0n;
      while (v < l) {
        v++;
        n++;
      }
      return ((n << 32n) + v) & M64;
    },
  },
  {
    name: "r2 > r3 (strict) puts r3 below r2's top; r2 >= r3 does not",
    source: `ldxw %r2, [%r1+0]
ldxw %r3, [%r1+4]
mov %r0, 0
jgt %r2, %r3, strict
jge %r2, %r3, loose
exit
strict:
add %r3, 1
mov %r0, %r3
exit
loose:
add %r3, 1
mov %r0, %r3
add %r0, 0x1000
exit`,
    layout: [4, 4],
    inputs: [
      [0xffffffffn, 0xfffffffen],
      [0xffffffffn, 0xffffffffn],
      [1n, 2n],
      [2n, 2n],
    ],
    expected: ([a, b]) => (a > b ? b + 1n : a >= b ? b + 1n + 0x1000n : 0n),
  },
  {
    name: "a 32-bit comparison says nothing about a 64-bit value's high word",
    source: `ldxdw %r3, [%r1+0]
mov %r0, 0
jlt32 %r3, 10, small
exit
small:
add %r3, 0x7fffffff
mov %r0, %r3
exit`,
    layout: [8],
    inputs: [[0x100000005n], [5n], [0xffffffff00000009n], [0x7fffffff0000000an]],
    expected: ([v]) => ((v & 0xffffffffn) < 10n ? (v + 0x7fffffffn) & M64 : 0n),
  },
  {
    name: "signed comparisons of negative values narrow nothing",
    source: `ldxdw %r3, [%r1+0]
mov %r0, 1
jsgt %r3, 100, out
add %r3, 1
mov %r0, %r3
out:
exit`,
    layout: [8],
    inputs: [[M64], [0xffffffffn], [0x8000000000000000n], [100n], [101n]],
    expected: ([v]) => (signed(v) > 100n ? 1n : (v + 1n) & M64),
  },
  {
    name: "a decrement of a value known not to be zero",
    source: `ldxw %r5, [%r1+0]
mov %r0, 0
loop:
jeq %r5, 0, out
sub %r5, 1
add %r0, %r5
ja loop
out:
exit`,
    layout: [4],
    inputs: [[0n], [1n], [5n], [100n]],
    expected: ([v]) => {
      let sum = 0n;
      while (v !== 0n) {
        v--;
        sum += v;
      }
      return sum;
    },
  },
  {
    name: "products and shifts that reach bit 32 or stay below it",
    source: `ldxh %r2, [%r1+0]
ldxh %r3, [%r1+2]
ldxw %r4, [%r1+4]
mov %r5, %r2
mul %r5, %r3
mov %r6, %r4
mul %r6, %r3
mov %r7, %r2
lsh %r7, 16
mov %r8, %r2
lsh %r8, 17
mov %r0, %r5
add %r0, %r6
add %r0, %r7
add %r0, %r8
exit`,
    layout: [2, 2, 4],
    inputs: [
      [0xffffn, 0xffffn, 0xffffffffn],
      [1n, 2n, 3n],
      [0x8000n, 0x8000n, 0x80000000n],
    ],
    expected: ([a, b, c]) => (a * b + c * b + (a << 16n) + (a << 17n)) & M64,
  },
  {
    name: "fused pairs: a copy and the operation on it, a shift and the operation after it",
    source: `ldxdw %r2, [%r1+0]
ldxdw %r3, [%r1+8]
mov %r4, %r2
add %r4, %r3
mov %r5, %r2
sub %r5, -8
mov %r6, %r2
add %r6, -0x12345
mov %r7, %r3
xor %r7, %r2
mov32 %r8, %r2
and32 %r8, 0xff00
mov %r0, %r4
xor %r0, %r5
xor %r0, %r6
xor %r0, %r7
xor %r0, %r8
mov32 %r4, %r2
rsh32 %r4, 3
xor32 %r4, %r3
mov32 %r5, %r2
lsh32 %r5, 5
sub32 %r5, %r3
mov32 %r6, %r2
arsh32 %r6, 31
add32 %r6, %r3
add %r0, %r4
add %r0, %r5
add %r0, %r6
exit`,
    layout: [8, 8],
    inputs: [
      [0xffffffffn, 1n],
      [0x1_0000_0000n, 0xffff_ffff_ffff_ffffn],
      [0x8000_0000_0000_0007n, 0x1234_5678_9abc_def0n],
      [0xfedc_ba98_7654_3210n, 0x0000_0000_8000_0000n],
    ],
    expected: ([a, b]) => {
      const lo = (v: bigint) => v & 0xffffffffn;
      let r0 = ((a + b) & M64) ^ ((a + 8n) & M64) ^ ((a - 0x12345n) & M64) ^ (a ^ b) ^ (lo(a) & 0xff00n);
      const r4 = lo((lo(a) >> 3n) ^ lo(b));
      const r5 = lo((lo(a) << 5n) - lo(b));
      const r6 = lo(BigInt.asUintN(32, BigInt(Number(BigInt.asIntN(32, lo(a))) >> 31)) + lo(b));
      r0 = (r0 + r4 + r5 + r6) & M64;
      return r0;
    },
  },
  ...[3, 7, 10, 641, 65521, 65535, 65537, 1000003, 0x7fffffff].map(
    (d): Case => ({
      name: `division and remainder by ${d} of a 17-bit and a 32-bit dividend`,
      source: `ldxh %r2, [%r1+0]
ldxh %r3, [%r1+2]
add %r2, %r3
mov %r4, %r2
mod %r2, ${d}
div %r4, ${d}
ldxw %r5, [%r1+4]
mov %r6, %r5
mod %r5, ${d}
div %r6, ${d}
mov32 %r7, %r6
mod32 %r7, ${d}
mov %r0, %r4
lsh %r0, 20
add %r0, %r2
mul %r0, 0x10001
add %r0, %r5
mul %r0, 31
add %r0, %r6
mul %r0, 17
add %r0, %r7
exit`,
      layout: [2, 2, 4],
      inputs: [
        [0xffffn, 0xffffn, 0xffffffffn],
        [0n, 0n, 0n],
        [BigInt(d % 65536), 0n, BigInt(d) - 1n],
        [BigInt((2 * d) % 65536), 1n, BigInt(d) * 3n],
        [0x1234n, 0xfedcn, 0x89abcdefn],
        [0xfffen, 1n, 0xfffffffen],
      ],
      expected: ([a, b, c]) => {
        const D = BigInt(d);
        const x = a + b;
        let r0 = ((x / D) << 20n) + (x % D);
        r0 = (r0 * 0x10001n + (c % D)) & M64;
        r0 = (r0 * 31n + c / D) & M64;
        r0 = (r0 * 17n + ((c / D) % D)) & M64;
        return r0;
      },
    }),
  ),
];

describe("ARM32 value widths and fused pairs: results on the boundaries", () => {
  for (const c of CASES) {
    it(
      c.name,
      async () => {
        const code = assemble(c.source);
        for (const given of c.inputs) {
          const input = given.map((v, k) => v & ((1n << BigInt(8 * c.layout[k])) - 1n)); // as the fields hold them
          const mem = memoryOf(c.layout, input);
          const want = c.expected(input);
          expect(interpret(code, mem), `interpreter on ${input.map((v) => "0x" + v.toString(16))}`).toBe(want);
          for (const cpu of ["cortex-a8", "cortex-a7"]) {
            const got = r0Of(await runArm32Async(code, mem, { cpu, idiv: cpu === "cortex-a7" }));
            expect(got, `arm32 on ${cpu} with ${input.map((v) => "0x" + v.toString(16))}`).toBe(want);
          }
        }
      },
      60_000,
    );
  }
});
