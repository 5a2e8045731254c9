// Zero high words written late in a loop's copy (assembly/arm32/jit/latehigh.ts): a 32-bit result or a
// zero-extending load into a register the copy keeps in two ARM registers leaves its high word 0, but the MOV #0
// waits until something reads that word, a step may leave the straight-line code, or the block ends; the next
// write of the word makes it unneeded. The listing of clang's checksum shape (an address, the value loaded through
// it, its sum with a 64-bit accumulator) shows no MOV #0 left in the loop; generated loops mixing 32-bit writes,
// 64-bit reads of the same registers, rotations, shifts, stores, exits from the middle and budgets running out check
// r0 against the interpreter and the model of test/support/asm-model.ts (BigInt, from the eBPF semantics).
import { beforeAll, describe, expect, it } from "vitest";
import { assemble } from "../../../src/tools/asm.js";
import { arm32Listing } from "../../../src/engines/arm32/build.js";
import { codeOf, ensureArm32Translator } from "../../support/arm32.js";
import { hexWord, outcomes, rng } from "../../support/generated-runs.js";
import { disagreeingWithModel, modelRun, withBudgetCases } from "../../support/asm-model.js";

beforeAll(ensureArm32Translator);

const INPUT = Uint8Array.from({ length: 256 }, (_, i) => (i * 97 + 13) & 0xff);

// clang's RFC 1071 sum: r0 is an address, then a 16-bit value, then r0 + r5 (64 bits), copied to r5
const CHECKSUM = `lddw %r5, 0xfffffff0fffff000
mov %r4, 0
loop:
mov %r0, %r1
add %r0, %r4
ldxh %r0, [%r0+0]
add %r0, %r5
add %r4, 2
mov %r5, %r0
jlt %r4, 200, loop
exit`;

/**
 * A loop of 12 trips over 8-byte steps of r1: r0 and r3-r8 written by 32-bit operations and loads, read by 64-bit
 * ones, rotations by 32 and shifts, stores to the frame, an exit from the middle, a 32-bit write jumped over (its
 * block ends without a jump); r0 = a fold of all after it.
 */
function generate(seed: number): string {
  const rand = rng(seed);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rand() * xs.length)];
  const regs = [0, 3, 4, 5, 6, 7, 8];
  const lines = regs.map((r) => `lddw %r${r}, 0x${hexWord(rand)}${hexWord(rand)}`);
  lines.push("mov %r9, 0", "loop:");
  for (let n = 0; n < 16; n++) {
    const d = pick(regs);
    const s = pick(regs);
    const k = n === 0 ? 0 : rand(); // at least one access: a loop without one is not versioned
    if (k < 0.15) lines.push(`ldx${pick(["b", "h", "w"])} %r${d}, [%r1+${pick([0, 2, 4])}]`);
    else if (k < 0.3) lines.push(`${pick(["add32", "xor32", "mov32", "and32"])} %r${d}, %r${s}`);
    else if (k < 0.4) lines.push(`${pick(["rsh", "and"])} %r${d}, ${pick([32, 40, 0xffff])}`);
    else if (k < 0.6) lines.push(`${pick(["add", "xor", "sub", "or"])} %r${d}, %r${s}`);
    else if (k < 0.68) lines.push(`mov %r${d}, %r${s}`);
    else if (k < 0.76) lines.push(`mov %r${d}, %r${s}`, `lsh %r${d}, 32`, `rsh %r${s}, 32`, `or %r${d}, %r${s}`);
    else if (k < 0.84) lines.push(`lsh %r${d}, ${1 + Math.floor(rand() * 40)}`);
    else if (k < 0.88) lines.push(`stxdw [%r10-8], %r${s}`, `ldxdw %r${d}, [%r10-8]`);
    else if (k < 0.91) lines.push(`jeq %r${d}, %r${s}, out`);
    else lines.push(`jgt %r${d}, %r${s}, skip${n}`, `${pick(["add32", "mov32"])} %r${d}, %r${s}`, `skip${n}:`);
  }
  lines.push("add %r1, 8", "add %r9, 1", "jlt %r9, 12, loop", "out:");
  for (const r of regs.slice(1)) lines.push("mul %r0, 1000003", `add %r0, %r${r}`);
  lines.push("exit");
  return lines.join("\n");
}

describe("zero high words written late in a loop's copy", () => {
  it("a sum through a 32-bit temporary writes no zero high word", () => {
    const listing = arm32Listing(assemble(CHECKSUM), { budget: 0 });
    // instructions 3-8: the loop's copy, up to its back edge
    const body = codeOf(listing, 3, 9, true);
    expect(body.some((l) => /^adc\s/.test(l))).toBe(true);
    expect(body.filter((l) => /^mov\s+r\d+, #0$/.test(l))).toEqual([]);
    expect(body.filter((l) => /\[r11/.test(l))).toEqual([]);
  });

  it("the checksum shape: the sum BigInt computes, on both engines", async () => {
    let sum = 0xfffffff0fffff000n;
    for (let i = 0; i < 200; i += 2) sum = (sum + BigInt(INPUT[i] | (INPUT[i + 1] << 8))) & 0xffffffffffffffffn;
    const results = await outcomes(
      [{ name: "checksum", shape: { source: CHECKSUM, input: INPUT }, budget: 0 }],
      modelRun,
    );
    expect(results.map((r) => [r.model, r.interp, r.arm32])).toEqual([Array(3).fill(`r0 = 0x${sum.toString(16)}`)]);
  });

  it("generated loops of 32-bit writes and 64-bit reads: the model's r0 on both engines", async () => {
    const shapes = Array.from({ length: 32 }, (_, k) => ({ source: generate(k + 1), input: INPUT }));
    const uncopied = shapes.filter((s) => !arm32Listing(assemble(s.source)).includes("(copy of loop"));
    expect(uncopied.map((s) => s.source)).toEqual([]);
    const results = await outcomes(withBudgetCases(shapes), modelRun);
    expect(disagreeingWithModel(results)).toEqual([]);
  }, 120_000);
});
