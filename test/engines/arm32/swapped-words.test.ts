// A 64-bit rotation by 32 in place in a loop copy (assembly/arm32/jit/swaps.ts, rotate.ts): where the register's
// two words are in ARM registers, the copy swaps their places in the register table and emits nothing; they go back
// by three EORs before a leader, a jump or the copy's end where the value is still read, for free where it is dead.
// The listing of a SipHash-like loop shows both; generated loops of such rotations mixed with 64- and 32-bit
// operations on the swapped registers, copies over them, 64-bit stores to the frame and loads back, jumps over
// instructions inside the loop and ways out of it, budgets running out among them, check r0 (or the fault)
// against the interpreter and the model of test/support/asm-model.ts.
import { beforeAll, describe, expect, it } from "vitest";
import { assemble } from "../../../src/tools/asm.js";
import { arm32Listing } from "../../../src/engines/arm32/build.js";
import { codeOf, ensureArm32Translator } from "../../support/arm32.js";
import { hexWord, outcomes, rng } from "../../support/generated-runs.js";
import { modelRun } from "../../support/asm-model.js";

beforeAll(ensureArm32Translator);

const INPUT = Uint8Array.from({ length: 256 }, (_, i) => (i * 97 + 41) & 0xff);

/** x rotated by 32 in place through temporary t (clang's rotl64(x, 32)). */
const swap = (x: number, t: number) => [`mov %r${t}, %r${x}`, `rsh %r${t}, 32`, `lsh %r${x}, 32`, `or %r${x}, %r${t}`];

/**
 * r3 rotated (instructions 7-10), read, then overwritten by a 32-bit copy (17): dead, its words go back for free;
 * r4 rotated (13-16) and still read at the loop's head: three EORs before the jump (21).
 */
const TWO_SWAPS = [
  "lddw %r3, 0x0123456789abcdef",
  "lddw %r4, 0x0fedcba987654321",
  "mov %r5, 0",
  "loop:",
  "ldxdw %r2, [%r1+0]",
  "add %r3, %r2",
  ...swap(3, 6),
  "xor %r4, %r3",
  "add %r4, %r3",
  ...swap(4, 7),
  "mov32 %r3, %r2",
  "add %r3, %r4",
  "add %r1, 8",
  "add %r5, 1",
  "jlt %r5, 6, loop",
  "mov %r0, %r3",
  "xor %r0, %r4",
  "exit",
].join("\n");

/** Rotations by 32 in place among r0 and r3-r8 in a loop of 6 trips over the input (r1), with other uses of them. */
function generate(seed: number): string {
  const rand = rng(seed);
  const regs = [0, 3, 4, 5, 6, 7, 8];
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rand() * xs.length)];
  const lines = regs.map((r) => `lddw %r${r}, 0x${hexWord(rand)}${hexWord(rand)}`);
  lines.push("mov %r9, 0", "loop:", "ldxdw %r2, [%r1+0]");
  for (let n = 0; n < 14; n++) {
    const x = pick(regs);
    const y = pick(regs.filter((r) => r !== x));
    const roll = rand();
    if (roll < 0.35) {
      lines.push(...swap(x, y));
      if (rand() < 0.5) lines.push(`add %r${x}, %r2`);
    } else if (roll < 0.5) lines.push(`xor %r${y}, %r${x}`, `add %r${x}, %r${y}`);
    else if (roll < 0.6)
      lines.push(`add32 %r${x}, %r2`); // a 32-bit result: the high word written 0
    else if (roll < 0.7) lines.push(`mov32 %r${x}, %r${y}`);
    else if (roll < 0.78) lines.push(`mov %r${x}, %r${y}`);
    else if (roll < 0.86) lines.push(`stxdw [%r10-8], %r${x}`, `ldxdw %r${y}, [%r10-8]`);
    else if (roll < 0.94) {
      // a jump over the next instruction inside the loop: its target is a leader
      lines.push(`jgt32 %r2, %r${x}, skip${n}`, `xor %r${y}, %r2`, `skip${n}:`);
    } else lines.push(`jeq %r${x}, %r${y}, out`); // a way out of the loop (rarely taken)
  }
  lines.push("add %r1, 8", "add %r9, 1", "jlt %r9, 6, loop", "out:");
  for (const r of regs.slice(1)) lines.push(`xor %r0, %r${r}`);
  lines.push("exit");
  return lines.join("\n");
}

describe("a loop copy's words swapped in place", () => {
  it("rotates by 32 with no code, and moves the words back only where the value is still read", () => {
    const listing = arm32Listing(assemble(TWO_SWAPS));
    expect(codeOf(listing, 7, 11, true)).toEqual([]);
    expect(codeOf(listing, 13, 17, true)).toEqual([]);
    // the words' way back: three EORs (no scratch register), once (r4's), before the loop's jump
    const eor = (l: string) => /^eor\s+(r\d+), (r\d+), (r\d+)$/.exec(l)?.slice(1) ?? [];
    const copy = codeOf(listing, 5, 22, true).map(eor);
    const swaps = copy.filter(
      ([a, x, b], k) =>
        a === x && a && copy[k + 1]?.join() === [b, a, b].join() && copy[k + 2]?.join() === [a, a, b].join(),
    );
    expect(swaps).toHaveLength(1);
    const [a, , b] = swaps[0];
    expect(codeOf(listing, 20, 21, true).slice(-3).map(eor)).toEqual([
      [a, a, b],
      [b, a, b],
      [a, a, b],
    ]);
  });

  it("generated loops of words swapped: the model's r0 on both engines", async () => {
    // every other one with a budget that runs out in the loop: the same fault, at the same instruction
    const cases = Array.from({ length: 48 }, (_, k) => ({
      name: `seed ${k + 1}`,
      shape: { source: generate(k + 1), input: INPUT },
      budget: k % 2 == 0 ? 0 : 60 + 9 * k,
    }));
    expect(cases.every((c) => arm32Listing(assemble(c.shape.source)).includes("(copy of loop"))).toBe(true);
    const results = await outcomes(cases, modelRun);
    expect(results.filter((r) => r.interp !== r.model || r.arm32 !== r.model)).toEqual([]);
  }, 180_000);
});
