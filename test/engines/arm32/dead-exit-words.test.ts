// A loop copy's ways out (assembly/arm32/jit/loopregs.ts exitMoves): the copy's ARM-held words go back to the
// register file and the ordinary code's ARM registers are reloaded, but not the low word of a register nothing reads
// from the way out's target on before writing it (liveness.ts): a loop's temporaries cost nothing each time the
// loop ends. Their high words still move (the ordinary code may know them to be zero). The listing of two loops in a
// row shows the first one's temporaries left behind; generated pairs of loops, some registers folded into r0 after
// them and the others dead, with exits from the middle and budgets running out, check r0 against the interpreter and
// the model of test/support/asm-model.ts (BigInt, from the eBPF semantics).
import { beforeAll, describe, expect, it } from "vitest";
import { assemble } from "../../../src/tools/asm.js";
import { arm32Listing } from "../../../src/engines/arm32/build.js";
import { ensureArm32Translator } from "../../support/arm32.js";
import { hexWord, outcomes, rng } from "../../support/generated-runs.js";
import { disagreeingWithModel, modelRun, withBudgetCases } from "../../support/asm-model.js";

beforeAll(ensureArm32Translator);

const INPUT = Uint8Array.from({ length: 256 }, (_, i) => (i * 57 + 101) & 0xff);

// r6-r8 are the whole program's ARM pairs; r2 and r4 are read by the first loop, then written by the second
// before it reads them: dead where the first loop ends
const TWO_LOOPS = `lddw %r6, 0x1111111122222222
lddw %r7, 0x3333333344444444
lddw %r8, 0x5555555566666666
mov %r9, 0
first:
ldxdw %r0, [%r1+0]
add %r6, %r0
xor %r7, %r6
add %r8, %r7
add %r9, 1
jlt %r9, 16, first
mov %r9, 0
second:
mov %r2, %r1
add %r2, %r9
ldxb %r3, [%r2+0]
mov32 %r4, %r3
lsh32 %r4, 2
xor32 %r4, %r3
add %r6, %r4
add %r9, 1
jlt %r9, 32, second
add %r0, %r6
add %r0, %r7
add %r0, %r8
exit`;

/**
 * Two counted loops over r1 (the second from where the first left r1), each working on r0 and r2-r8 with 32-bit
 * and 64-bit operations and loads; then r0 = a fold of some of the registers (the others are dead there).
 */
function generate(seed: number): string {
  const rand = rng(seed);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rand() * xs.length)];
  const regs = [0, 2, 3, 4, 5, 6, 7, 8];
  const lines = regs.map((r) => `lddw %r${r}, 0x${hexWord(rand)}${hexWord(rand)}`);
  for (const name of ["first", "second"]) {
    lines.push("mov %r9, 0", `${name}:`);
    for (let n = 0; n < 10; n++) {
      const d = pick(regs);
      const s = pick(regs);
      const k = n === 0 ? 0 : rand(); // at least one access: a loop without one is not versioned
      if (k < 0.2) lines.push(`ldx${pick(["b", "w", "dw"])} %r${d}, [%r1+${pick([0, 4, 8])}]`);
      else if (k < 0.45) lines.push(`${pick(["add32", "xor32", "mov32"])} %r${d}, %r${s}`);
      else if (k < 0.75) lines.push(`${pick(["add", "xor", "sub", "mov"])} %r${d}, %r${s}`);
      else if (k < 0.85) lines.push(`lsh %r${d}, ${1 + Math.floor(rand() * 40)}`);
      else if (k < 0.92) lines.push(`jeq %r${d}, %r${s}, ${name}_out`);
      else lines.push(`stxdw [%r10-8], %r${s}`, `ldxdw %r${d}, [%r10-8]`);
    }
    lines.push("add %r1, 8", "add %r9, 1", `jlt %r9, ${8 + Math.floor(rand() * 8)}, ${name}`, `${name}_out:`);
  }
  for (const r of regs.slice(1)) if (rand() < 0.5) lines.push("mul %r0, 1000003", `add %r0, %r${r}`);
  lines.push("exit");
  return lines.join("\n");
}

describe("a loop copy's ways out", () => {
  it("leave the low words of the loop's dead registers behind", () => {
    const listing = arm32Listing(assemble(TWO_LOOPS), { budget: 0 }).split("\n");
    // the first copy's way out at its end: the lines after its back edge, up to the branch to the ordinary code
    const edge = listing.findIndex((l) => /^;\s+12: jlt .*\(copy of loop/.test(l)) + 2;
    expect(listing[edge]).toMatch(/\sblo\s/);
    const way = listing.slice(
      edge + 1,
      listing.findIndex((l, k) => k > edge && /\sb\s/.test(l)),
    );
    // r0 (read after both loops) is stored, r2's and r4's low words (slots 16 and 32) are not reloaded
    expect(way.some((l) => /\sstr\s+r\d+, \[r11\]$/.test(l))).toBe(true);
    expect(way.filter((l) => /\[r11, #0x(10|20)\]/.test(l))).toEqual([]);
  });

  it("generated pairs of loops, some registers dead after them: the model's r0 on both engines", async () => {
    const shapes = Array.from({ length: 24 }, (_, k) => ({ source: generate(k + 1), input: INPUT }));
    const uncopied = shapes.filter((s) => !arm32Listing(assemble(s.source)).includes("(copy of loop"));
    expect(uncopied.map((s) => s.source)).toEqual([]);
    const results = await outcomes(withBudgetCases(shapes), modelRun);
    expect(disagreeingWithModel(results)).toEqual([]);
  }, 120_000);
});
