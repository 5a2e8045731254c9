// 64-bit division and modulo by constants, many of them (jit/divide.ts emitDivConst64, assembly/divmagic.ts
// unsignedMagic64). The translator emits an instruction's code many times per translation: in the high-word
// analysis's rounds (jit/translate.ts analyseHighWords), then in the measuring and the writing pass. Each emission
// of a 64-bit division once took its multiplier in a new object from the translator's heap, which never frees and
// ends where the label table starts (assembly/arm32/index.ts): enough divisions ran the heap into the labels, the
// program's entry label among them, and the executable died on a SIGSEGV (a fuzzer's program, reduced to six
// divisions emitted 384 times in all), or the translation failed on a label "bound twice". The label layout the translator
// reports must be an image's, and every engine must give the r0 computed here with BigInt.
import { describe, it, expect, beforeAll } from "vitest";
import { assemble } from "../../../src/tools/asm.js";
import { arm32Listing, translateArm32 } from "../../../src/engines/arm32/build.js";
import { ensureArm32Translator } from "../../support/arm32.js";
import { type Case, type Shape, outcomes, r0Is, rng } from "../../support/generated-runs.js";
import { alu, modelRun } from "../../support/asm-model.js";

beforeAll(ensureArm32Translator);

/** The labels an image is read by lie in it, in order: the prologue, the translated code, the tables after it. */
function expectImageLayout(code: Uint8Array): void {
  const t = translateArm32(code, { budget: 0 });
  expect(0 <= t.prologue && t.prologue < t.code && t.code < t.table && t.table <= t.image.length, "label layout").toBe(
    true,
  );
  for (const at of t.offsets) if ((at & 0x80000000) === 0) expect(t.code + at).toBeLessThan(t.table);
}

describe("many 64-bit divisions by constants on ARM32", () => {
  it("the fuzzer's program (seed 1321695029, reduced): six divisions in three functions around a loop", async () => {
    // the divisions and the loop the reduction kept, their dividends read from the input so that each matters
    const source = [
      "mov %r9, %r1",
      "ldxdw %r6, [%r9+0]",
      "ldxdw %r7, [%r9+8]",
      "ldxdw %r8, [%r9+16]",
      "ldxdw %r0, [%r9+24]",
      "smod %r6, 1000",
      "call local f",
      "smod %r0, -0x27bbed1c",
      "mov %r5, 1",
      "loop:",
      "smod %r8, 12",
      "add %r5, 8",
      "add %r7, -3",
      "jsgt32 %r7, 13, loop",
      "mul %r0, 1000003",
      "add %r0, %r6",
      "mul %r0, 1000003",
      "add %r0, %r8",
      "mul %r0, 1000003",
      "add %r0, %r5",
      "exit",
      "f:",
      "ldxdw %r0, [%r1+32]",
      "ldxdw %r2, [%r1+40]",
      "div %r0, 255",
      "mod %r2, 641",
      "stxdw [%r10-8], %r0",
      "stxdw [%r10-16], %r2",
      "call local g",
      "ldxdw %r3, [%r10-8]",
      "mul %r0, 1000003",
      "add %r0, %r3",
      "ldxdw %r3, [%r10-16]",
      "mul %r0, 1000003",
      "add %r0, %r3",
      "exit",
      "g:",
      "ldxdw %r2, [%r1+48]",
      "sdiv %r2, 6",
      "mov %r0, %r2",
      "exit",
    ].join("\n");
    const rand = rng(1321695029);
    const input = new Uint8Array(56).map(() => Math.floor(rand() * 256));
    const view = new DataView(input.buffer);
    view.setUint32(8, 40, true); // the loop's counter: 40, 37, ..., 13 (ten rounds), a high word the test ignores
    const word = (k: number) => view.getBigUint64(8 * k, true);
    const fold = (a: bigint, b: bigint) => alu("add", alu("mul", a, 1000003n), b);
    // g, f, then the main function as written above
    const g = alu("sdiv", word(6), 6n);
    const f = fold(fold(g, alu("div", word(4), 255n)), alu("mod", word(5), 641n));
    let r8 = word(2);
    let r7 = word(1);
    let r5 = 1n;
    do {
      r8 = alu("smod", r8, 12n);
      r5 += 8n;
      r7 = alu("add", r7, -3n);
    } while (BigInt.asIntN(32, r7) > 13n);
    const r0 = alu("smod", f, BigInt.asUintN(64, -0x27bbed1cn));
    const want = fold(fold(fold(r0, alu("smod", word(0), 1000n)), r8), r5);

    expectImageLayout(assemble(source));
    const [result] = await outcomes([{ name: "reduced", shape: { source, input }, budget: 0 }], () => r0Is(want));
    expect(result).toEqual({ name: "reduced", model: r0Is(want), interp: r0Is(want), arm32: r0Is(want) });
  }, 30_000);

  const DIVISORS = [3, 6, 7, 10, 12, 255, 641, 1000, 0xffff, 1000000007, 0x7fffffff, -3, -10, -641, -0x27bbed1c];
  const OPS = ["div", "mod", "sdiv", "smod"];
  const REGS = [2, 3, 4, 5, 6, 7]; // r8 counts the loop, r9 holds the input's address
  const WORDS = 16;

  /**
   * Straight code, a loop of `rounds` rounds and straight code again, each a run of divisions and modulos of
   * 64-bit values read from the input by constants (unsigned by a negative immediate too: a divisor of 2^64 - k),
   * mixed by products and xors so that the dividends keep wide; the registers folded into r0 at the end.
   */
  function generate(seed: number): Shape {
    const rand = rng(seed);
    const pick = <T>(xs: readonly T[]) => xs[Math.floor(rand() * xs.length)];
    const input = new Uint8Array(8 * WORDS).map(() => Math.floor(rand() * 256));
    const lines = ["mov %r9, %r1", "mov %r0, 0"];
    for (const r of REGS) lines.push(`ldxdw %r${r}, [%r9+${8 * Math.floor(rand() * WORDS)}]`);
    const run = (n: number) => {
      for (let k = 0; k < n; k++) {
        const d = pick(REGS);
        const x = rand();
        if (x < 0.6) lines.push(`${pick(OPS)} %r${d}, ${pick(DIVISORS)}`);
        else if (x < 0.75) lines.push(`ldxdw %r${d}, [%r9+${8 * Math.floor(rand() * WORDS)}]`);
        else lines.push(`${pick(["mul", "xor", "add"])} %r${d}, %r${pick(REGS)}`);
      }
    };
    run(140);
    lines.push("mov %r8, 0", "loop:");
    run(40);
    lines.push("add %r8, 1", `jlt %r8, ${2 + Math.floor(rand() * 6)}, loop`);
    run(60);
    for (const r of REGS) lines.push("mul %r0, 1000003", `add %r0, %r${r}`);
    lines.push("exit");
    return { source: lines.join("\n"), input };
  }

  it("generated programs with about 140 divisions and modulos: the model's r0 on every engine", async () => {
    const cases: Case[] = [];
    for (let seed = 1; seed <= 8; seed++) cases.push({ name: `seed ${seed}`, shape: generate(seed), budget: 0 });
    for (const c of cases) expectImageLayout(assemble(c.shape.source));
    const results = await outcomes(cases, modelRun);
    expect(results.filter((r) => r.arm32 !== r.model || r.interp !== r.model)).toEqual([]);
  }, 120_000);

  it("each division's code is listed, none calling the division routine", () => {
    const { source } = generate(1);
    const listing = arm32Listing(assemble(source), { budget: 0 });
    // the listing's parts, each under its heading: the ARM code of one eBPF instruction
    const parts = listing.split(/^(?=;)/m).filter((p) => /^; +\d+: s?(div|mod) /.test(p));
    // (a division inside the loop is listed twice when the loop gets a copy: counted once)
    const listed = new Set(parts.map((p) => /^; +(\d+):/.exec(p)![1]));
    expect(listed.size).toBe(source.split("\n").filter((l) => /^s?(div|mod) /.test(l)).length);
    expect(parts.filter((p) => /\sbl\s/.test(p))).toEqual([]);
  });
});
