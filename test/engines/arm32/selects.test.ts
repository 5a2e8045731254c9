// If-conversion on the ARM32 translator (assembly/arm32/jit/select.ts): a conditional jump over one to three ALU
// instructions, clang -O2's select (`x = c ? a : b`, `if (c) n++`), becomes the comparison and the skipped code
// under the inverted condition, in the ordinary code and in a loop's copy. Generated programs put such jumps
// (every condition, 32 and 64 bits, register and immediate operands) before joins that read the written register
// as 32 bits or as 64, over writes of a register whose high word was known to be zero, and at a loop's latch; each
// result must be the interpreter's and that of test/support/asm-model.ts (BigInt, from the eBPF semantics).
import { describe, it, expect, beforeAll } from "vitest";
import { assemble } from "../../../src/tools/asm.js";
import { arm32Listing } from "../../../src/engines/arm32/build.js";
import { codeOf, ensureArm32Translator } from "../../support/arm32.js";
import { type Case, hexWord, outcomes, rng } from "../../support/generated-runs.js";
import { disagreeingWithModel, modelRun as model } from "../../support/asm-model.js";

beforeAll(ensureArm32Translator);

/** Whether an ARM listing line is a branch (b, bne, bl...). */
const isBranch = (line: string) => /^b(l|x)?(eq|ne|hs|lo|hi|ls|ge|lt|gt|le|mi|pl)?\s/.test(line);
/** Whether it runs under a condition: a mnemonic with one of the condition suffixes. */
const conditional = (line: string) =>
  /^[a-z]+?(eq|ne|hs|lo|hi|ls|ge|lt|gt|le)\s/.test(line) && !/^(cmp|cmn|tst|teq)\s/.test(line);

describe("a conditional jump over a few ALU instructions", () => {
  // 2-4 loop: r2 = byte; 6 jeq32 r2, 10 over 7 (mov32 r3, 9) to 8; 10 the back edge; 13 jgt over 14 to 15 (differential only: r4, r5 in the register file)
  const source = [
    "mov %r0, 0",
    "mov %r6, 0",
    "loop:",
    "mov %r2, %r1",
    "add %r2, %r6",
    "ldxb %r2, [%r2+0]",
    "mov32 %r3, 7",
    "jeq32 %r2, 10, join",
    "mov32 %r3, 9",
    "join:",
    "add32 %r0, %r3",
    "add %r6, 1",
    "jlt %r6, 16, loop",
    "ldxb %r4, [%r1+0]",
    "mov %r5, 3",
    "jgt %r4, 100, out",
    "add %r5, %r4",
    "out:",
    "add %r0, %r5",
    "exit",
  ].join("\n");

  it("runs the skipped code under the inverted condition: no branch, in the copy and in the ordinary code", () => {
    const listing = arm32Listing(assemble(source), { budget: 0 });
    for (const code of [codeOf(listing, 6, 8, true), codeOf(listing, 6, 8)]) {
      expect(code.filter(isBranch)).toEqual([]);
      // the comparison, then the skipped instruction's code, all of it conditional
      const skipped = code.slice(code.findIndex((l) => /^(cmp|cmn|tst)\s/.test(l)) + 1);
      expect(skipped.length).toBeGreaterThan(0);
      expect(skipped.every(conditional)).toBe(true);
    }
  });

  it("leaves out a comparison the same as the converted jump's before it, unless a compared register changed", () => {
    // clang's binary search: `if (k < x) goto +1; hi = mid; lo = mid + 1; if (k < x) goto back`
    const again = (between: string) =>
      [
        "mov %r0, 0",
        "ldxdw %r4, [%r1+0]",
        "mov %r6, %r4",
        "rsh %r6, 32",
        "mov32 %r7, 5",
        "mov32 %r8, 9",
        "jlt32 %r4, %r6, join",
        "mov32 %r8, %r7",
        "join:",
        between,
        "jlt32 %r4, %r6, out",
        "add %r0, %r8",
        "out:",
        "add %r0, %r7",
        "exit",
      ].join("\n");
    const compares = (between: string) =>
      codeOf(arm32Listing(assemble(again(between)), { budget: 0 }), 6, 11).filter((l) => /^(cmp|cmn)\s/.test(l));
    expect(compares("add32 %r7, 1")).toHaveLength(1);
    expect(compares("add32 %r6, 1")).toHaveLength(2);
  });

  it("gives the model's r0", async () => {
    const input = new Uint8Array(16).map((_, k) => [10, 3, 200, 10, 99, 101, 0, 255][k % 8]);
    const cases: Case[] = [0, 1].map((k) => ({ name: `fixed ${k}`, shape: { source, input }, budget: k * 1000 }));
    const results = await outcomes(cases, model);
    expect(disagreeingWithModel(results)).toEqual([]);
  }, 60_000);
});

describe("a jump over an ALU instruction in a program whose functions a handle may enter (bpf_loop)", () => {
  it("keeps its branch: a handle may name the skipped instruction", () => {
    const source = (loop: boolean) =>
      [
        "mov %r0, 0",
        "ldxb %r2, [%r1+0]",
        "mov32 %r4, 7",
        "jeq32 %r2, 10, join",
        "mov32 %r4, 9",
        "join:",
        "add %r0, %r4",
        "jeq %r0, 12345, skip",
        "mov %r1, 1",
        "mov %r2, 0",
        "mov %r3, 0",
        "mov %r4, 0",
        `call ${loop ? 181 : 5}`, // bpf_loop, or bpf_ktime_get_ns
        "skip:",
        "exit",
      ].join("\n");
    const branches = (loop: boolean) =>
      codeOf(arm32Listing(assemble(source(loop)), { budget: 0 }), 3, 5).filter(isBranch);
    expect(branches(false)).toEqual([]);
    expect(branches(true)).toHaveLength(1);
  });
});

describe("a jump over an ALU instruction among a group of loads (one check for all: groups.ts)", () => {
  const source = [
    "mov %r0, 0",
    "ldxb %r2, [%r1+0]",
    "ldxb %r3, [%r1+1]",
    "mov32 %r4, 7",
    "jeq32 %r2, 10, join",
    "mov32 %r4, 9",
    "join:",
    "add %r0, %r4",
    "ldxb %r5, [%r1+2]",
    "ldxb %r6, [%r1+3]",
    "add %r0, %r3",
    "add %r0, %r5",
    "add %r0, %r6",
    "exit",
  ].join("\n");

  it("is converted in the ordinary code and in the group's unchecked copy", () => {
    const lines = arm32Listing(assemble(source), { budget: 0 })
      .split("\n")
      .filter((l) => /^\s+[0-9a-f]+:\s/.test(l))
      .map((l) => l.replace(/^\s+[0-9a-f]+:\s+[0-9a-f]+\s+/, ""));
    const compares = lines.flatMap((l, k) => (/^cmp r\d+, #10$/.test(l) ? [k] : []));
    expect(compares).toHaveLength(2);
    for (const k of compares) expect(lines[k + 1]).toMatch(/^movne r\d+, #9$/);
  });

  it("gives the model's r0, and the interpreter's fault on a short input", async () => {
    const cases: Case[] = [10, 11].flatMap((first) =>
      [4, 3].map((n) => ({
        name: `byte ${first}, ${n} bytes`,
        shape: { source, input: new Uint8Array(n).map((_, k) => (k === 0 ? first : 40 + k)) },
        budget: 0,
      })),
    );
    const results = await outcomes(cases, model);
    expect(disagreeingWithModel(results)).toEqual([]);
  }, 60_000);
});

const CONDS = ["jeq", "jne", "jgt", "jge", "jlt", "jle", "jset", "jsgt", "jsge", "jslt", "jsle"];
const ALUS = ["mov", "add", "sub", "xor", "or", "and", "lsh", "rsh", "arsh", "mul"];
// registers the selects write and read: r3, r4, r5, r7, r8 (r1 input, r2 the byte, r6 the index, r0 the result)
const REGS = [3, 4, 5, 7, 8];

/** One skipped instruction: an ALU op on one of REGS, 32 or 64 bits, from a register or an immediate; or lddw. */
function skippedInsn(rand: () => number): string {
  const d = REGS[Math.floor(rand() * REGS.length)];
  if (rand() < 0.1) return `lddw %r${d}, 0x${hexWord(rand)}${hexWord(rand)}`;
  const op = ALUS[Math.floor(rand() * ALUS.length)];
  const w = rand() < 0.5 ? "32" : "";
  const shift = op.endsWith("sh");
  // a 64-bit mov of a negative immediate writes a high word that was known to be 0 (`mov32` before)
  const imm = shift ? Math.floor(rand() * (w ? 32 : 64)) : Math.floor(rand() * 600) - 300;
  const src = !shift && rand() < 0.5 ? `%r${[2, 6, ...REGS][Math.floor(rand() * 7)]}` : `${imm}`;
  return `${op}${w} %r${d}, ${src}`;
}

/** A comparison of a byte-derived register with a register or an immediate, 32 or 64 bits, to `label`. */
function condition(rand: () => number): (label: string) => string {
  const op = CONDS[Math.floor(rand() * CONDS.length)] + (rand() < 0.5 ? "32" : "");
  const a = [2, ...REGS][Math.floor(rand() * 6)];
  const b = rand() < 0.5 ? `%r${[2, 6, ...REGS][Math.floor(rand() * 7)]}` : `${Math.floor(rand() * 300) - 40}`;
  return (label) => `${op} %r${a}, ${b}, ${label}`;
}

/**
 * A loop over the input's bytes with `n` selects, one of them (on odd seeds) at the latch: its join is the back
 * edge's jump. Before the loop REGS hold 32-bit values (high words known 0); after it, one more select in the
 * ordinary code; r0 folds every register, each join reading one as 32 bits or as 64.
 */
function program(seed: number): { source: string; input: Uint8Array } {
  const rand = rng(seed);
  const lines = ["mov %r0, 0", "mov %r6, 0"];
  for (const r of REGS) lines.push(`mov32 %r${r}, ${Math.floor(rand() * 1000)}`);
  lines.push("loop:", "mov %r2, %r1", "add %r2, %r6", "ldxb %r2, [%r2+0]");
  let label = 0;
  const select = (jump = condition(rand)) => {
    const l = `j${label++}`;
    lines.push(jump(l));
    const k = 1 + Math.floor(rand() * 3);
    for (let j = 0; j < k; j++) lines.push(skippedInsn(rand));
    lines.push(`${l}:`);
    return jump;
  };
  const n = 1 + Math.floor(rand() * 4);
  for (let s = 0; s < n; s++) {
    const jump = select();
    const r = REGS[Math.floor(rand() * REGS.length)];
    lines.push(rand() < 0.5 ? `add32 %r0, %r${r}` : `xor %r0, %r${r}`);
    // the same comparison again (its flags may be reused), after a write of one of its registers or not
    if (rand() < 0.4) {
      if (rand() < 0.3) lines.push(skippedInsn(rand));
      select(jump);
    }
  }
  if (seed % 2 === 1) {
    lines.push("add %r6, 1");
    select(); // at the latch
    lines.push("jlt %r6, 24, loop");
  } else lines.push("add %r6, 1", "jlt %r6, 24, loop");
  select();
  for (const r of REGS) lines.push(rand() < 0.5 ? `add %r0, %r${r}` : `lsh %r0, 1`, `xor %r0, %r${r}`);
  lines.push("exit");
  const input = new Uint8Array(24);
  for (let k = 0; k < input.length; k++) input[k] = Math.floor(rand() * 256);
  return { source: lines.join("\n"), input };
}

describe("generated selects", () => {
  it("give the model's r0 on the interpreter and the ARM32 executable", async () => {
    const cases: Case[] = [];
    for (let seed = 1; seed <= 60; seed++) cases.push({ name: `seed ${seed}`, shape: program(seed), budget: 0 });
    const results = await outcomes(cases, model);
    expect(results.every((r) => r.model.startsWith("r0 = "))).toBe(true);
    expect(disagreeingWithModel(results)).toEqual([]);
  }, 120_000);

  it("are if-converted in most programs (the listing has conditional ALU code)", () => {
    let converted = 0;
    for (let seed = 1; seed <= 60; seed++) {
      const listing = arm32Listing(assemble(program(seed).source), { budget: 0 });
      if (
        listing
          .split("\n")
          .some((l) =>
            /^\s+[0-9a-f]+:\s+[0-9a-f]+\s+(mov|add|sub|eor|orr|and|lsl|lsr|asr|mul|mvn)(eq|ne|hs|lo|hi|ls|ge|lt|gt|le)\s/.test(
              l,
            ),
          )
      )
        converted++;
    }
    expect(converted).toBeGreaterThan(40);
  });
});
