// What a register in the register file costs where the code reads or writes it (assembly/arm32/jit/alu.ts,
// jit/loopregs.ts). A 32-bit copy into such a register is one STR from the source's ARM register, and a copy from
// one into an ARM register one LDR into that register, not a move through a scratch register. Each listing is
// checked, and each program's r0 against the interpreter and the model of test/support/asm-model.ts (BigInt,
// from the eBPF semantics).
import { beforeAll, describe, expect, it } from "vitest";
import { assemble } from "../../../src/tools/asm.js";
import { arm32Listing } from "../../../src/engines/arm32/build.js";
import { codeOf, ensureArm32Translator } from "../../support/arm32.js";
import { outcomes } from "../../support/generated-runs.js";
import { disagreeingWithModel, modelRun } from "../../support/asm-model.js";

beforeAll(ensureArm32Translator);

const INPUT = Uint8Array.from({ length: 256 }, (_, i) => (i * 97 + 13) & 0xff);

// six registers used often (in ARM registers), r5 and r7 once or twice (in the register file)
const COPIES = `ldxw %r2, [%r1+0]
ldxw %r3, [%r1+4]
ldxw %r4, [%r1+8]
ldxw %r6, [%r1+12]
ldxw %r8, [%r1+16]
ldxw %r9, [%r1+20]
ldxw %r7, [%r1+24]
add32 %r2, %r3
add32 %r3, %r4
add32 %r4, %r6
add32 %r6, %r8
add32 %r8, %r9
add32 %r9, %r2
mov32 %r3, %r7
mov32 %r5, %r4
xor32 %r2, %r3
xor32 %r3, %r4
xor32 %r4, %r6
xor32 %r6, %r8
xor32 %r8, %r9
xor32 %r9, %r2
mov32 %r0, %r5
add32 %r0, %r2
add32 %r0, %r3
add32 %r0, %r4
add32 %r0, %r6
add32 %r0, %r8
add32 %r0, %r9
exit`;

async function agree(source: string) {
  const results = await outcomes([{ name: "program", shape: { source, input: INPUT }, budget: 0 }], modelRun);
  expect(disagreeingWithModel(results)).toEqual([]);
}

describe("registers in the register file", () => {
  it("a 32-bit copy into or out of one is a single load or store", async () => {
    const listing = arm32Listing(assemble(COPIES), { budget: 0 });
    expect(codeOf(listing, 13, 14)).toEqual([expect.stringMatching(/^ldr\s+r([4-9]|10|12), \[r11, #0x38\]$/)]);
    expect(codeOf(listing, 14, 15)).toEqual([expect.stringMatching(/^str\s+r([4-9]|10|12), \[r11, #0x28\]$/)]);
    await agree(COPIES);
  });
});
