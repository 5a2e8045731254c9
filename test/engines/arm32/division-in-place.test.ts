// An unsigned 32-bit division by a constant on the ARM32 translator (assembly/arm32/jit/divide.ts): the quotient's
// last instruction (the multiply-high's shift, the compare's conditional moves, a power of two's shift) writes the
// destination's register itself, with no move from a scratch register after it; for every kind of divisor, and
// dividends at the edges, r0 must be the quotient computed here with BigInt, as on the interpreter.
import { describe, it, expect, beforeAll } from "vitest";
import { assemble } from "../../../src/tools/asm.js";
import { arm32Listing, runArm32Async } from "../../../src/engines/arm32/build.js";
import { codeOf, ensureArm32Translator, limited } from "../../support/arm32.js";
import { interpreterOutcome } from "../../support/generated-runs.js";

beforeAll(ensureArm32Translator);

/** The divisors: reciprocals with a shift (10, 3, 641), the round-up multiply (7, 100), 2^k, 2^31 and above. */
const DIVISORS = [3, 7, 10, 100, 641, 16, 0x7fffffff, 0x80000001, 0xfffffffe];
const VALUES = [
  0n,
  1n,
  9n,
  10n,
  99n,
  641n,
  0x7fffffffn,
  0x80000000n,
  0xfffffffdn,
  0xfffffffen,
  0xffffffffn,
  123456789n,
];

/** r6 = the input's first word / d (32-bit), returned; d as the immediate's bit pattern. */
function divProgram(d: number): string {
  return ["ldxw %r6, [%r1+0]", `div32 %r6, ${d | 0}`, "mov %r0, %r6", "exit"].join("\n");
}

describe("unsigned 32-bit division by a constant", () => {
  it("writes the quotient into the destination's register, without a move after it", () => {
    for (const d of DIVISORS) {
      const code = codeOf(arm32Listing(assemble(divProgram(d)), { budget: 0 }), 1, 2);
      expect(code.length, `div32 by ${d}`).toBeGreaterThan(0);
      expect(code.at(-1), `div32 by ${d}:\n${code.join("\n")}`).not.toMatch(/^mov\s+r\d+, r2$/);
    }
  });

  it("gives the BigInt quotient for every kind of divisor, dividends at the edges", async () => {
    const cases = DIVISORS.flatMap((d) => VALUES.map((v) => ({ d, v })));
    const results = await limited(
      cases.map(({ d, v }) => async () => {
        const code = assemble(divProgram(d));
        const input = new Uint8Array(8);
        new DataView(input.buffer).setUint32(0, Number(v), true);
        const r = await runArm32Async(code, input, { budget: 0 });
        return { d, v, arm32: "r0" in r ? `r0 = ${r.r0}` : r.fault, interp: interpreterOutcome(code, input) };
      }),
    );
    for (const r of results) {
      const expected = `r0 = ${r.v / BigInt(r.d >>> 0)}`;
      expect(r.arm32, `${r.v} / ${r.d}`).toBe(expected);
      expect(r.interp, `${r.v} / ${r.d}`).toBe(expected);
    }
  }, 240_000);
});
