// A copy of a loop's counter in the loop's copy, on the ARM32 translator (assembly/arm32/analysis/loops.ts
// zeroing): `mov r4, r5` with r5 the counter of an upward counted loop (or one a division bounds) leaves r4's high
// word zero, as the counter's stays there, so the copy keeps r4's high word zero from entry on instead of writing
// it on every trip (clang's `r4 = r5` before an address sums r4: itoa's `buf + k`). r4 is read after the loop as
// a 64-bit value, its high word too: r0 must be the sum computed here, on the interpreter and the executable, for
// counts that run the copy, that skip it and that stop it at the input's end.
import { describe, it, expect, beforeAll } from "vitest";
import { assemble } from "../../../src/tools/asm.js";
import { arm32Listing, runArm32Async } from "../../../src/engines/arm32/build.js";
import { codeOf, ensureArm32Translator, limited } from "../../support/arm32.js";
import { interpreterOutcome } from "../../support/generated-runs.js";

beforeAll(ensureArm32Translator);

const M64 = (1n << 64n) - 1n;

/**
 * Sums input[1..n) (n the input's first byte) with r4 = i each trip (r4 starts at `r4Start`, a value with a high
 * word, so that only the loop's writes make it zero), and folds each byte into r6, r7 and r9 too (registers enough
 * that r4 lives in the register file, not in an ARM register); then adds r4 and r4's high word << 40.
 */
function counterProgram(r4Start: string): string {
  return [
    "mov %r0, 0",
    `lddw %r4, ${r4Start}`,
    "ldxb %r2, [%r1+0]",
    "mov %r5, 1",
    "mov %r6, 7",
    "mov %r7, 9",
    "mov %r9, 3",
    "loop:",
    "mov %r4, %r5",
    "mov %r3, %r1",
    "add %r3, %r4",
    "ldxb %r3, [%r3+0]",
    "mov %r8, %r3",
    "mul %r8, %r6",
    "add %r7, %r8",
    "xor %r9, %r7",
    "add %r0, %r3",
    "add %r6, %r9",
    "add %r5, 1",
    "jlt %r5, %r2, loop",
    "mov %r3, %r4",
    "rsh %r3, 32",
    "lsh %r3, 40",
    "add %r0, %r3",
    "add %r0, %r4",
    "add %r0, %r7",
    "add %r0, %r9",
    "add %r0, %r6",
    "exit",
  ].join("\n");
}
const HEAD = 8; // `mov %r4, %r5` (lddw takes two)
const LOAD = 11;

/** counterProgram's r0 by BigInt, or null when the loop reads past the input (every engine faults there). */
function expected(input: Uint8Array, r4Start: bigint): bigint | null {
  let [r0, r4, r6, r7, r9] = [0n, r4Start, 7n, 9n, 3n];
  let i = 1;
  do {
    r4 = BigInt(i);
    if (i >= input.length) return null;
    const b = BigInt(input[i]);
    r7 = (r7 + b * r6) & M64;
    r9 ^= r7;
    r0 += b;
    r6 = (r6 + r9) & M64;
    i++;
  } while (i < input[0]);
  return (r0 + ((r4 >> 32n) << 40n) + r4 + r7 + r9 + r6) & M64;
}

describe("a copy of the counter in a loop's copy", () => {
  it("writes no high word on any trip", () => {
    const listing = arm32Listing(assemble(counterProgram("0x123456789abcdef0")), { budget: 0 });
    const code = codeOf(listing, HEAD, HEAD + 1, true);
    expect(code.length, listing).toBeGreaterThan(0);
    expect(
      code.filter((l) => /#0$/.test(l)),
      code.join("\n"),
    ).toEqual([]);
  });

  it("leaves r4 as the interpreter's after the loop, its high word too", async () => {
    const cases: { input: Uint8Array; start: bigint }[] = [];
    for (const n of [0, 1, 2, 3, 17, 40, 41, 60, 255]) {
      for (const start of [0n, 0x123456789abcdef0n, M64]) {
        const input = Uint8Array.from({ length: 41 }, (_, i) => (i * 73 + 11) & 0xff);
        input[0] = n;
        cases.push({ input, start });
      }
    }
    const results = await limited(
      cases.map((c) => async () => {
        const code = assemble(counterProgram(`0x${c.start.toString(16)}`));
        const r = await runArm32Async(code, c.input, { budget: 0 });
        return { ...c, arm32: "r0" in r ? `r0 = ${r.r0}` : r.fault, interp: interpreterOutcome(code, c.input) };
      }),
    );
    for (const r of results) {
      const v = expected(r.input, r.start);
      const name = `n = ${r.input[0]}, r4 from ${r.start}`;
      if (v === null) {
        expect(r.interp, name).toMatch(new RegExp(`instruction ${LOAD}\\b`));
        expect(r.arm32, name).toBe(r.interp);
      } else {
        expect(r.arm32, name).toBe(`r0 = ${v}`);
        expect(r.interp, name).toBe(`r0 = ${v}`);
      }
    }
  }, 240_000);
});
