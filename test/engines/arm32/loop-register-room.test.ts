// A loop copy's register choice (jit/loopregs.ts) when the loop can be left early (a search): the registers the
// ordinary code keeps in ARM registers stay there, and a register whose low word the ordinary code keeps alone
// (jit/lowords.ts) may want its high word in an ARM register too in the copy (a sign-extending load writes it).
// With r4-r9 all taken, that high word once got "register 32", an invalid encoding: the executable died on an
// illegal instruction. Generated searches over the input put seven registers under pressure, some of them 64-bit,
// divide (a call: the copy has r4-r9 only) and load sign-extended bytes into them; each outcome must be the interpreter's and, where the program ends
// normally, that of test/support/asm-model.ts (BigInt, from the eBPF semantics).
import { describe, it, expect, beforeAll } from "vitest";
import { assemble } from "../../../src/tools/asm.js";
import { arm32Listing } from "../../../src/engines/arm32/build.js";
import { ensureArm32Translator } from "../../support/arm32.js";
import { type Case, type Shape, outcomes, rng } from "../../support/generated-runs.js";
import { MODEL_OUT as OUT, modelRun as model } from "../../support/asm-model.js";

beforeAll(ensureArm32Translator);

const ACC = [0, 2, 3, 4, 5, 7, 8]; // r1: the address loaded through, r6: the index, r9: the input's address
const ALU = ["add", "sub", "xor", "or", "and", "mul", "div"];

/**
 * A search over the input's bytes: each is loaded sign-extended into one of the accumulators (so its high word
 * is written inside the loop), folded into the others, and the loop ends at the input's end or where that byte
 * equals the needle. Every accumulator is folded into r0 afterwards.
 */
function generate(seed: number): Shape {
  const rand = rng(seed);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rand() * xs.length)];
  const input = new Uint8Array(64 + Math.floor(rand() * 64));
  for (let i = 0; i < input.length; i++) input[i] = Math.floor(rand() * 256);
  const needle = input[Math.floor(input.length * (0.5 + rand() / 2))];
  const wide = new Set(ACC.filter(() => rand() < 0.4));
  const lines = ACC.map((r) =>
    wide.has(r) ? `lddw %r${r}, 0x${Math.floor(rand() * 2 ** 32).toString(16)}00000001` : `mov32 %r${r}, ${r * 77}`,
  );
  const into = pick(ACC.filter((r) => r !== 0));
  lines.push("mov %r9, %r1", "mov %r6, 0", "loop:", "mov %r1, %r9", "add %r1, %r6");
  lines.push(`${rand() < 0.5 ? "ldxsb" : "ldxb"} %r${into}, [%r1+0]`);
  const ops = 5 + Math.floor(rand() * 8);
  for (let k = 0; k < ops; k++) {
    const d = pick(ACC.filter((r) => r !== into));
    const op = pick(ALU);
    // (a 64-bit division is a call into the executable's division routine: r10 and ip are not the copy's then)
    const w = wide.has(d) || op === "div" ? "" : "32";
    lines.push(rand() < 0.3 ? `${op}${w} %r${d}, ${Math.floor(rand() * 2000) - 1000}` : `${op}${w} %r${d}, %r${into}`);
  }
  lines.push(`ldxsb %r${into}, [%r1+0]`, `jeq %r${into}, ${BigInt.asIntN(8, BigInt(needle))}, done`);
  lines.push("add %r6, 1", `jlt %r6, ${input.length}, loop`, "done:");
  for (const r of [2, 3, 4, 5, 6, 7, 8]) lines.push("mul %r0, 1000003", `add %r0, %r${r}`);
  lines.push("exit");
  return { source: lines.join("\n"), input };
}

describe("a loop copy left early keeps within the ARM registers it has", () => {
  it("a search loading sign-extended bytes into registers the ordinary code holds: the model's r0", async () => {
    const cases: Case[] = [];
    for (let seed = 1; seed <= 24; seed++) cases.push({ name: `seed ${seed}`, shape: generate(seed), budget: 0 });
    // the searches are versioned (else they test nothing here)
    const plain = cases.filter((c) => !arm32Listing(assemble(c.shape.source)).includes("(copy of loop"));
    expect(plain.map((c) => c.name)).toEqual([]);
    const results = await outcomes(cases, model);
    expect(results.every((r) => r.model !== OUT)).toBe(true);
    expect(results.filter((r) => r.arm32 !== r.model || r.interp !== r.model)).toEqual([]);
  }, 120_000);

  it("a program found by the fuzzer (six ARM registers held, a sign-extended byte's high word wanted)", async () => {
    // the fuzzer's program, cut after its main program's exit: the search's copy and a dead loop after it, which
    // changes which registers the ordinary code holds; it ends by writing far below the frame (the fault)
    const source = [
      "mov %r9, %r1",
      "mov %r0, -32768",
      "lddw %r1, 0x123456789abcdef",
      "lddw %r2, 0xffffffff00000000",
      "mov %r3, 0",
      "lddw %r4, 0x21f5866849f674b0",
      "mov %r5, -2",
      "mov %r6, 6",
      "lddw %r7, 0x7fffffffffffffff",
      "mov32 %r8, 31",
      "stxdw [%r10-64], %r6",
      "add %r0, 0x6d590daa",
      "mov %r0, 1",
      "mov %r8, 13",
      "loop:",
      "mov %r3, %r8",
      "add %r3, %r9",
      "ldxsb %r4, [%r3+33]",
      "mov32 %r3, 3",
      "jne %r4, 16, out",
      "div %r4, %r6",
      "add %r8, %r0",
      "jlt %r8, 24, loop",
      "out:",
      "jge %r1, %r1, next",
      "next:",
      "jset32 %r6, 32768, last",
      "sub %r7, 0x10af4359",
      "stxdw [%r10-4128], %r7",
      "last:",
      "exit",
      "mov32 %r1, 7",
      "mov32 %r6, 0",
      "mov %r8, 0",
      "stxdw [%r10-16], %r4",
      "stxdw [%r10-32], %r5",
      "stxdw [%r10-48], %r4",
      "stxdw [%r10-56], %r2",
      "jsgt32 %r5, -3, end",
      "movsx3264 %r5, %r7",
      "and32 %r8, %r1",
      "mov %r8, 6",
      "dead:",
      "stxdw [%r9+16], %r2",
      "ldxdw %r6, [%r10-40]",
      "and32 %r5, %r4",
      "add %r8, -1",
      "jne %r8, 0, dead",
      "end:",
      "lsh32 %r3, %r2",
      "exit",
    ].join("\n");
    const input = Uint8Array.from(
      Buffer.from(
        "2a6d2d719e4aeaefe3b697bb48cff0819473d821f674d83f5170e031140275699a1f083dc161d8e7bd9262d47dd859e458ac5953e9d2bc016c",
        "hex",
      ),
    );
    const [r] = await outcomes([{ name: "fuzzed", shape: { source, input }, budget: 100_000 }], () => "");
    expect(r.interp).toMatch(/^out-of-bounds write of 8 bytes at stack-0x[0-9a-f]+ \(instruction \d+\)$/);
    expect(r.arm32).toBe(r.interp);
  }, 60_000);
});
