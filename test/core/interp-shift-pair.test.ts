// The interpreter's fused shift pair (assembly/decode.ts: fuseShiftPair): `lsh rA, j; arsh rA, k`, how compiled C
// sign-extends a bit field or a narrow value (and, with k = 31 or 63, spreads one bit over a mask), runs as one
// record, and so does a mov into rA in front of it. These check that the decoder fuses the pairs it should and only
// those, and what fusion must not change: results at both widths against values worked out here with BigInt and
// against the Wasm engine, the shifts' masking, a jump into the pair, and budgets that end inside it.
import { describe, expect, test } from "vitest";
import { assemble } from "../../src/tools/asm.js";
import { Runtime } from "../../src/runtime/runtime.js";
import { H_ALU32, H_ALU64, H_EXIT, H_LSH_ARSH32, H_LSH_ARSH64 } from "../../assembly/records.js";
import { handlers } from "../support/interp-records.js";
import { runOn } from "../support/wasm-runs.js";

const M64 = (1n << 64n) - 1n;
const M32 = 0xffffffffn;
const LSH = 0x6; // operation >> 4 (records.ts: H_ALU64 + 2 * operation)

function decoded(src: string): number[] {
  const rt = new Runtime();
  return handlers(rt, rt.addProgram("prog", assemble(src)));
}

/** (v << j) >> k, arithmetic, at 64 bits or on the low 32 bits (zero-extended), the counts masked to the width. */
function shiftPair(v: bigint, j: number, k: number, wide: boolean): bigint {
  const bits = wide ? 64 : 32;
  const mask = wide ? M64 : M32;
  const shifted = ((v & mask) << BigInt(j % bits)) & mask;
  return (BigInt.asIntN(bits, shifted) >> BigInt(k % bits)) & mask;
}

describe("decoding", () => {
  test("lsh and arsh of one register by immediates, at either width, become one record", () => {
    expect(decoded("lsh32 %r0, 29\narsh32 %r0, 31\nexit")).toEqual([H_LSH_ARSH32, H_ALU32 + 2 * 0xc, H_EXIT]);
    expect(decoded("lsh %r3, 56\narsh %r3, 56\nexit")[0]).toBe(H_LSH_ARSH64);
  });
  test("a mov in front is the third instruction of the record; the pair after it keeps its own", () => {
    expect(decoded("mov32 %r0, %r4\nlsh32 %r0, 29\narsh32 %r0, 31\nexit").slice(0, 2)).toEqual([
      H_LSH_ARSH32 - 1,
      H_LSH_ARSH32,
    ]);
    expect(decoded("mov %r0, %r4\nlsh %r0, 48\narsh %r0, 60\nexit")[0]).toBe(H_LSH_ARSH64 - 1);
  });
  test("pairs left apart: other registers, widths or shifts, a count in a register", () => {
    const lsh32 = H_ALU32 + 2 * LSH;
    const lsh64 = H_ALU64 + 2 * LSH;
    expect(decoded("lsh32 %r0, 29\narsh32 %r1, 31\nexit")[0]).toBe(lsh32);
    expect(decoded("lsh32 %r0, 29\narsh %r0, 31\nexit")[0]).toBe(lsh32);
    expect(decoded("lsh %r0, 29\nrsh %r0, 31\nexit")[0]).toBe(lsh64);
    expect(decoded("lsh %r0, 29\narsh %r0, %r2\nexit")[0]).toBe(lsh64);
    expect(decoded("lsh %r0, %r2\narsh %r0, 3\nexit")[0]).toBe(lsh64);
    // the mov stays fused with the lsh alone
    expect(decoded("mov %r0, %r4\nlsh %r0, 8\nrsh %r0, 3\nexit")[0]).toBe(lsh64 - 1);
  });
});

describe("results", () => {
  const values = [0n, 1n, 0x80n, 0x1234_5678_9abc_def0n, 0xffff_ffff_8000_0001n, M64, 0x7fff_ffffn, 0x8000_0000n];
  const counts: [number, number][] = [
    [0, 0],
    [31, 31],
    [29, 31],
    [24, 24],
    [16, 16],
    [1, 3],
    [56, 56],
    [63, 63],
    [32, 32],
    [40, 8],
    [64, 65],
  ];
  test("each width with and without a mov in front, against BigInt and the Wasm engine", () => {
    for (const wide of [false, true])
      for (const v of values)
        for (const [j, k] of counts) {
          const sfx = wide ? "" : "32";
          const expected = shiftPair(v, j, k, wide);
          const direct = `lddw %r0, ${v}\nlsh${sfx} %r0, ${j}\narsh${sfx} %r0, ${k}\nexit`;
          // mov32 zero-extends the source; a 32-bit pair reads only the low half anyway
          const mov = `lddw %r4, ${v}\nmov${sfx} %r0, %r4\nlsh${sfx} %r0, ${j}\narsh${sfx} %r0, ${k}\nexit`;
          for (const [src, n] of [
            [direct, 4],
            [mov, 5],
          ] as const)
            for (const engine of ["interp", "wasm"] as const)
              expect(runOn(src, {}, engine).out, `${engine}: ${src}`).toEqual({ r0: expected, executed: n });
        }
  });
});

describe("jumps and budget", () => {
  // 0: mov r0, 6 | 1: jeq r2, K, +1 | 2: mov r0, r4 | 3: lsh r0, 62 | 4: arsh r0, 62 | 5: exit  (2-4 one record)
  const src = (k: number) => `mov %r0, 6\nmov %r4, 1\njeq %r2, ${k}, +1\nmov %r0, %r4\nlsh %r0, 62\narsh %r0, 62\nexit`;
  test("a jump over the mov runs the pair's own record; falling in runs all three", () => {
    // 6 << 62 = 0x8000...: arsh 62 gives -2; 1 << 62 then arsh 62 gives 1.
    expect(runOn(src(0), {}, "interp").out).toEqual({ r0: M64 - 1n, executed: 6 });
    expect(runOn(src(1), {}, "interp").out).toEqual({ r0: 1n, executed: 7 });
  });
  test("budgets ending before, inside and right after the fused record fault on the instruction they would", () => {
    // budget b runs instructions 0..b-1 and faults on instruction b (jeq not taken: r2 = 0 with no input)
    for (let budget = 2; budget <= 6; budget++) {
      expect(runOn(src(1), {}, "interp", budget).out).toEqual({
        error: `p: instruction budget of ${budget} exhausted (instruction ${budget})`,
        pc: budget,
      });
    }
    expect(runOn(src(1), {}, "interp", 7).out).toEqual({ r0: 1n, executed: 7 });
  });
});
