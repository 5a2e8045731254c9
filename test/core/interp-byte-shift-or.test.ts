// The interpreter's fused byte load, shift and or (assembly/decode.ts: fuseByteShift): `ldxb rX, [..]; lsh rX, k;
// or rY, rX`, how compiled C assembles a word from bytes, runs as one record. These check that the decoder fuses
// the triples it should and only those, and what fusion must not change: both widths of the or, rX keeping the
// shifted byte, the or into rX itself, a load that leaves the loop's inline checks (a region under 8 bytes: the
// load and shift done apart, the or run alone after them), a load out of bounds, a jump into the shift or the or,
// and budgets that end inside the triple. Expected values are worked out here from the input; every outcome is
// compared with the Wasm engine's.
import { describe, expect, test } from "vitest";
import { assemble } from "../../src/tools/asm.js";
import { Runtime } from "../../src/runtime/runtime.js";
import { H_LDXB_LSH, H_LDXB_LSH_OR32, H_LDXB_LSH_OR64 } from "../../assembly/records.js";
import { handlers } from "../support/interp-records.js";
import { runOn } from "../support/wasm-runs.js";

const INPUT = new Uint8Array([0x11, 0x22, 0x33, 0xab, 0x80, 0x05, 0x66, 0x77, 0x99]);

function decoded(src: string): number {
  const rt = new Runtime();
  return handlers(rt, rt.addProgram("prog", assemble(src)))[1];
}

/** The outcome on the interpreter, after checking that the Wasm engine gives the same. */
function run(src: string, input = INPUT, budget = 0) {
  const out = runOn(src, { ctx: { bytes: input.slice() } }, "interp", budget).out;
  expect(runOn(src, { ctx: { bytes: input.slice() } }, "wasm", budget).out, src).toEqual(out);
  return out;
}

describe("decoding", () => {
  // record 1: the load (record 0 sets the accumulator)
  test("a byte load, its shift and an or of it into another register become one record", () => {
    expect(decoded("mov %r0, 1\nldxb %r3, [%r1+0]\nlsh %r3, 8\nor %r0, %r3\nexit")).toBe(H_LDXB_LSH_OR64);
    expect(decoded("mov %r0, 1\nldxb %r3, [%r1+0]\nlsh32 %r3, 24\nor32 %r0, %r3\nexit")).toBe(H_LDXB_LSH_OR32);
    expect(decoded("mov %r0, 1\nldxb %r3, [%r1+0]\nlsh %r3, 8\nor32 %r0, %r3\nexit")).toBe(H_LDXB_LSH_OR32);
  });
  test("an or of another register, or by an immediate, leaves the load and shift fused as before", () => {
    expect(decoded("mov %r0, 1\nldxb %r3, [%r1+0]\nlsh %r3, 8\nor %r0, %r4\nexit")).toBe(H_LDXB_LSH);
    expect(decoded("mov %r0, 1\nldxb %r3, [%r1+0]\nlsh %r3, 8\nor %r3, 1\nexit")).toBe(H_LDXB_LSH);
    expect(decoded("mov %r0, 1\nldxb %r3, [%r1+0]\nlsh %r3, 8\nxor %r0, %r3\nexit")).toBe(H_LDXB_LSH);
  });
});

describe("results", () => {
  const le = (at: number, n: number) => INPUT.slice(at, at + n).reduceRight((v, b) => (v << 8n) | BigInt(b), 0n);
  test("a little-endian word assembled byte by byte, at both widths, rX keeping the shifted byte", () => {
    // r0 = bytes 3..6 as a 32-bit word; then r0 ^ (r3 << 32) shows the last shifted byte kept in r3
    for (const [lsh, or] of [
      ["lsh32", "or32"],
      ["lsh", "or"],
      ["lsh", "or32"],
    ]) {
      const src = [
        "ldxb %r0, [%r1+3]",
        ...[1, 2, 3].flatMap((i) => [`ldxb %r3, [%r1+${3 + i}]`, `${lsh} %r3, ${8 * i}`, `${or} %r0, %r3`]),
        "mov %r4, %r3",
        "lsh %r4, 32",
        "xor %r0, %r4",
        "exit",
      ].join("\n");
      const expected = le(3, 4) ^ (BigInt(INPUT[6]) << 56n);
      expect(run(src), src).toEqual({ r0: expected, executed: 14 });
    }
  });
  test("a 32-bit or drops the high half of the register it writes; a 64-bit one keeps it", () => {
    const src = (or: string) => `lddw %r0, 0x100000000\nldxb %r3, [%r1+3]\nlsh %r3, 8\n${or} %r0, %r3\nexit`;
    expect(run(src("or32"))).toEqual({ r0: 0xab00n, executed: 5 });
    expect(run(src("or"))).toEqual({ r0: 0x1_0000_ab00n, executed: 5 });
  });
  test("an or of rX into itself", () => {
    expect(run("ldxb %r0, [%r1+3]\nlsh %r0, 4\nor %r0, %r0\nexit")).toEqual({ r0: 0xab0n, executed: 4 });
  });
  test("a region under 8 bytes: the load and shift leave the loop, the or runs after them alone", () => {
    const small = new Uint8Array([0x12, 0x34, 0x56, 0x78]);
    const src =
      "mov %r0, 0x12\nldxb %r3, [%r1+1]\nlsh %r3, 8\nor %r0, %r3\nldxb %r3, [%r1+2]\nlsh %r3, 16\nor %r0, %r3\nexit";
    expect(run(src, small)).toEqual({ r0: 0x56_34_12n, executed: 8 });
  });
});

describe("faults, jumps and budget", () => {
  test("a load out of bounds faults at its own index, the shift and the or not run", () => {
    const src = "mov %r0, 7\nldxb %r3, [%r1+9]\nlsh %r3, 8\nor %r0, %r3\nexit";
    expect(run(src)).toEqual({ error: "p: out-of-bounds read of 1 bytes at context+0x9 (instruction 1)", pc: 1 });
    const rt = new Runtime();
    const prog = rt.addProgram("p", assemble(src));
    expect(() => rt.run(prog, { ctx: { bytes: INPUT.slice() } })).toThrow(/instruction 1/);
    expect(rt.core.executed()).toBe(2);
  });
  // 0: mov r0, 1 | 1: mov r3, 2 | 2: jeq r2, K, +N | 3: ldxb r3, [r1+3] | 4: lsh r3, 8 | 5: or r0, r3 | 6: exit
  const src = (k: number, n: number) =>
    `mov %r0, 1\nmov %r3, 2\njeq %r2, ${k}, +${n}\nldxb %r3, [%r1+3]\nlsh %r3, 8\nor %r0, %r3\nexit`;
  test("a jump into the shift or into the or runs from there", () => {
    expect(run(src(0, 0))).toEqual({ r0: 0xab01n, executed: 7 });
    expect(run(src(INPUT.length, 1))).toEqual({ r0: 0x201n, executed: 6 }); // 2 << 8 | 1
    expect(run(src(INPUT.length, 2))).toEqual({ r0: 3n, executed: 5 }); // 2 | 1
  });
  test("budgets ending before, inside and right after the triple fault on the instruction they would", () => {
    for (let budget = 3; budget <= 6; budget++)
      expect(run(src(0, 0), INPUT, budget)).toEqual({
        error: `p: instruction budget of ${budget} exhausted (instruction ${budget})`,
        pc: budget,
      });
    expect(run(src(0, 0), INPUT, 7)).toEqual({ r0: 0xab01n, executed: 7 });
  });
});
