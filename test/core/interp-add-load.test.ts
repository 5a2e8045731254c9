// The interpreter's fused add and load (assembly/decode.ts: fuseAddLoad): `add rA, x; ldx rD, [rA+off]`, how
// compiled C reads `base[i]`, runs as one record, and so does a mov into rA in front of it. These check that the
// decoder fuses the pairs it should and only those, and what fusion must not change: every size, rA keeping the
// sum, loads that leave the loop's inline checks (a region read for the first time, a region under 8 bytes, an
// access out of bounds, which faults at the load's own index), a jump into the record's second or third
// instruction, and budgets that end inside it. Expected values are read from the input here, little-endian, and
// every outcome is compared with the Wasm engine's.
import { describe, expect, test } from "vitest";
import { assemble } from "../../src/tools/asm.js";
import { Runtime } from "../../src/runtime/runtime.js";
import { H_ALU32, H_ALU64, H_EXIT, H_LDX } from "../../assembly/records.js";
import { handlers } from "../support/interp-records.js";
import { runOn } from "../support/wasm-runs.js";

const INPUT = Uint8Array.from({ length: 32 }, (_, i) => (i * 37 + 11) & 0xff);
const SIZES = [
  ["ldxw", 4, 0],
  ["ldxh", 2, 1],
  ["ldxb", 1, 2],
  ["ldxdw", 8, 3],
] as const;

function decoded(src: string): number[] {
  const rt = new Runtime();
  return handlers(rt, rt.addProgram("prog", assemble(src)));
}

/** The `size` bytes of `input` at `at`, little-endian. */
function le(input: Uint8Array, at: number, size: number): bigint {
  let v = 0n;
  for (let i = size - 1; i >= 0; i--) v = (v << 8n) | BigInt(input[at + i]);
  return v;
}

/** The outcome on the interpreter, after checking that the Wasm engine gives the same. */
function run(src: string, input = INPUT, budget = 0) {
  const out = runOn(src, { ctx: { bytes: input.slice() } }, "interp", budget).out;
  expect(runOn(src, { ctx: { bytes: input.slice() } }, "wasm", budget).out, src).toEqual(out);
  return out;
}

describe("decoding", () => {
  test("an add and a load from the sum become one record, for every size", () => {
    for (const [load, , size] of SIZES)
      expect(decoded(`add %r2, %r3\n${load} %r0, [%r2+1]\nexit`)).toEqual([
        H_LDX - 1 + 3 * size,
        H_LDX + 3 * size,
        H_EXIT,
      ]);
    expect(decoded("add %r2, 8\nldxdw %r2, [%r2-8]\nexit")[0]).toBe(H_LDX - 1 + 3 * 3);
  });
  test("a mov in front is the third instruction of the record", () => {
    expect(decoded("mov %r2, %r1\nadd %r2, %r3\nldxb %r2, [%r2+0]\nexit").slice(0, 2)).toEqual([
      H_LDX - 2 + 3 * 2,
      H_LDX - 1 + 3 * 2,
    ]);
    expect(decoded("mov %r2, 4\nadd %r2, %r1\nldxw %r0, [%r2+0]\nexit")[0]).toBe(H_LDX - 2);
  });
  test("pairs left apart: a load from another register, a 32-bit add, a store", () => {
    expect(decoded("add %r2, %r3\nldxb %r0, [%r3+0]\nexit")[0]).toBe(H_ALU64);
    expect(decoded("add32 %r2, %r3\nldxb %r0, [%r2+0]\nexit")[0]).toBe(H_ALU32);
    expect(decoded("add %r2, %r3\nstxb [%r2+0], %r0\nexit")[0]).toBe(H_ALU64);
    // the mov stays fused with the add alone
    expect(decoded("mov %r2, %r1\nadd %r2, %r3\nldxb %r0, [%r3+0]\nexit")[0]).toBe(H_ALU64 - 1);
  });
});

describe("results", () => {
  test("every size and offset, with and without a mov, the loaded register the sum's or another", () => {
    for (const [load, bytes] of SIZES)
      for (const [index, off] of [
        [0, 0],
        [5, 3],
        [9, -2],
        [32 - bytes, 0],
      ]) {
        const at = index + off;
        const value = le(INPUT, at, bytes);
        // r0 = the loaded value, r2 (the sum) shifted in above it when it is kept
        const kept = `\nsub %r2, %r1\nlsh %r2, 56\nxor %r0, %r2`;
        const sum = BigInt(index) << 56n;
        const sign = off < 0 ? "-" : "+";
        const cases: [string, bigint, number][] = [
          [
            `mov %r3, ${index}\nmov %r2, %r1\nadd %r2, %r3\n${load} %r0, [%r2${sign}${Math.abs(off)}]${kept}\nexit`,
            value ^ sum,
            8,
          ],
          [
            `mov %r3, ${index}\nmov %r2, %r3\nadd %r2, %r1\n${load} %r2, [%r2${sign}${Math.abs(off)}]\nmov %r0, %r2\nexit`,
            value,
            6,
          ],
          [`mov %r2, %r1\nadd %r2, ${index}\n${load} %r0, [%r2${sign}${Math.abs(off)}]${kept}\nexit`, value ^ sum, 7],
          [`mov %r2, ${index}\nadd %r2, %r1\n${load} %r0, [%r2${sign}${Math.abs(off)}]${kept}\nexit`, value ^ sum, 7],
        ];
        for (const [src, r0, executed] of cases) expect(run(src), src).toEqual({ r0, executed });
      }
  });
  test("a region under 8 bytes, which the loop never reads inline", () => {
    const small = new Uint8Array([0x10, 0x20, 0x30, 0x40]);
    expect(run("mov %r2, %r1\nadd %r2, 1\nldxh %r0, [%r2+1]\nexit", small)).toEqual({ r0: 0x4030n, executed: 4 });
  });
  test("loads from the context and the stack in turn, each region leaving the read copies in turn", () => {
    // a loop of 4 rounds: byte i of the input plus the stack slot's byte, through fused records each time
    const src = [
      "mov %r0, 0",
      "mov %r3, 0",
      "stdw [%r10-8], 0x0102",
      "mov %r4, %r1", // 3: mov + add + ldxb
      "add %r4, %r3",
      "ldxb %r4, [%r4+0]",
      "mov %r5, %r10", // 6: mov + add + ldxb, from the stack
      "add %r5, -8",
      "ldxb %r5, [%r5+0]",
      "add %r0, %r4",
      "add %r0, %r5",
      "add %r3, 1",
      "jlt %r3, 4, -10",
      "exit",
    ].join("\n");
    const expected = [0, 1, 2, 3].reduce((s, i) => s + INPUT[i] + 2, 0);
    expect(run(src)).toEqual({ r0: BigInt(expected), executed: 3 + 4 * 10 + 1 });
  });
});

describe("faults, jumps and budget", () => {
  test("a load out of bounds faults at its own index, the mov and the add counted", () => {
    const src = "mov %r3, 40\nmov %r2, %r1\nadd %r2, %r3\nldxw %r0, [%r2+0]\nexit";
    expect(run(src)).toEqual({ error: "p: out-of-bounds read of 4 bytes at context+0x28 (instruction 3)", pc: 3 });
    const rt = new Runtime();
    const prog = rt.addProgram("p", assemble(src));
    expect(() => rt.run(prog, { ctx: { bytes: INPUT.slice() } })).toThrow(/instruction 3/);
    expect(rt.core.executed()).toBe(4);
  });
  // 0: mov r0, 9 | 1: jeq r2, K, +N | 2: mov r4, r1 | 3: add r4, 6 | 4: ldxb r0, [r4+1] | 5: exit  (2-4 one record)
  const src = (k: number, n: number) =>
    `mov %r0, 9\njeq %r2, ${k}, +${n}\nmov %r4, %r1\nadd %r4, 6\nldxb %r0, [%r4+1]\nexit`;
  test("a jump into the add or into the load runs from there", () => {
    expect(run(src(32, 0))).toEqual({ r0: BigInt(INPUT[7]), executed: 6 });
    // into the add: r4 is still 0 + 6 (no mov), so the load at 7 faults, at instruction 4
    expect(run(src(32, 1)).pc).toBe(4);
    // into the load: r4 = 0, address 1, outside every region
    expect(run(src(32, 2))).toMatchObject({ pc: 4 });
    expect(run(src(31, 1))).toEqual({ r0: BigInt(INPUT[7]), executed: 6 });
  });
  test("budgets ending before, inside and right after the fused record fault on the instruction they would", () => {
    for (let budget = 2; budget <= 5; budget++)
      expect(run(src(31, 1), INPUT, budget)).toEqual({
        error: `p: instruction budget of ${budget} exhausted (instruction ${budget})`,
        pc: budget,
      });
    expect(run(src(31, 1), INPUT, 6)).toEqual({ r0: BigInt(INPUT[7]), executed: 6 });
  });
});
