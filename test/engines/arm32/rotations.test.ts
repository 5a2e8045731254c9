// Rotations on the ARM32 engine (assembly/arm32/jit/rotate.ts): C's `x << k | x >> (32 - k)` reaches eBPF as four
// instructions through a temporary, which the translator emits as one ROR (32 bits), computing the temporary too
// only when something may read it afterwards, or as four instructions on a 64-bit value's words. Generated programs rotate left and right, with the temporary
// read later or not, 64-bit values in the registers before, in the ordinary code and in a loop's copy; every
// register is folded into r0 at the end. r0 must be the interpreter's and that of the model here (BigInt).
import { beforeAll, describe, expect, it } from "vitest";
import { assemble } from "../../../src/tools/asm.js";
import { arm32Listing } from "../../../src/engines/arm32/build.js";
import { codeOf, ensureArm32Translator } from "../../support/arm32.js";
import { outcomes, r0Is, rng } from "../../support/generated-runs.js";

beforeAll(ensureArm32Translator);

const M64 = (1n << 64n) - 1n;
const M32 = (1n << 32n) - 1n;

const REGS = [0, 2, 3, 4, 5, 6, 7, 8];

/** Straight-line work with rotations on r0 and r2-r8; `loop`: inside a counted loop over r9 that reads the input. */
function generate(seed: number, loop: boolean): string {
  const rand = rng(seed);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rand() * xs.length)];
  const lines: string[] = [];
  for (const r of REGS) {
    lines.push(
      `lddw %r${r}, 0x${Math.floor(rand() * 2 ** 32).toString(16)}${Math.floor(rand() * 2 ** 32)
        .toString(16)
        .padStart(8, "0")}`,
    );
  }
  if (loop) lines.push("mov %r9, 0", "loop:", "ldxw %r2, [%r1+0]", "add %r1, 4");
  for (let n = 0; n < 12; n++) {
    const x = pick(REGS);
    const t = pick(REGS.filter((r) => r !== x));
    const wide = rand() < 0.5;
    const w = wide ? "" : "32";
    const bits = wide ? 64 : 32;
    const k = 1 + Math.floor(rand() * (bits - 1));
    const [a, b] = rand() < 0.5 ? ["rsh", "lsh"] : ["lsh", "rsh"];
    const y = pick(REGS.filter((r) => r !== x && r !== t));
    if (wide && rand() < 0.5) {
      // the result in a third register, x left as it was
      lines.push(
        `mov %r${t}, %r${x}`,
        `${a} %r${t}, ${k}`,
        `mov %r${y}, %r${x}`,
        `${b} %r${y}, ${bits - k}`,
        `or %r${y}, %r${t}`,
      );
    } else
      lines.push(
        `mov${w} %r${t}, %r${x}`,
        `${a}${w} %r${t}, ${k}`,
        `${b}${w} %r${x}, ${bits - k}`,
        `or${w} %r${x}, %r${t}`,
      );
    // the temporary read afterwards, or overwritten first
    const r = rand();
    if (r < 0.3) lines.push(`add %r0, %r${t}`);
    else if (r < 0.6) lines.push(`lddw %r${t}, 0x1234567890`);
    lines.push(`${pick(["mul", "xor", "add"])} %r${pick(REGS)}, %r${pick(REGS)}`);
  }
  if (loop) lines.push("add %r9, 1", "jlt %r9, 8, loop");
  for (const r of REGS) lines.push("mul %r0, 1000003", `add %r0, %r${r}`);
  lines.push("exit");
  return lines.join("\n");
}

/** r0 of the program (no memory but the input's words, which the model reads from `input`). */
function model(source: string, input: Uint8Array): bigint {
  const insns = source.split("\n").map((l) =>
    l.endsWith(":")
      ? [l]
      : [
          l.split(" ")[0],
          ...l
            .slice(l.indexOf(" ") + 1)
            .split(",")
            .map((a) => a.trim()),
        ],
  );
  const label = (name: string) => insns.findIndex((i) => i[0] === `${name}:`);
  const reg = new Array<bigint>(11).fill(0n);
  let base = 0; // r1's offset into the input
  for (let pc = 0; ; pc++) {
    const [op, ...args] = insns[pc];
    if (op.endsWith(":")) continue;
    if (op === "exit") return reg[0];
    const d = Number(args[0].replace("%r", ""));
    if (op === "lddw") reg[d] = BigInt(args[1]) & M64;
    else if (op === "ldxw") reg[d] = BigInt(new DataView(input.buffer).getUint32(base, true));
    else if (op === "jlt") {
      if (reg[d] < BigInt(args[1])) pc = label(args[2]);
    } else if (d === 1) {
      if (op === "add") base += Number(args[1]);
    } else {
      const is32 = op.endsWith("32");
      const mask = is32 ? M32 : M64;
      const a = reg[d] & mask;
      const b = (args[1].startsWith("%r") ? reg[Number(args[1].replace("%r", ""))] : BigInt(args[1])) & mask;
      const r = {
        mov: () => b,
        add: () => a + b,
        mul: () => a * b,
        xor: () => a ^ b,
        or: () => a | b,
        lsh: () => a << b,
        rsh: () => a >> b,
      }[op.replace("32", "")]!();
      reg[d] = r & mask;
    }
  }
}

const INPUT = Uint8Array.from({ length: 64 }, (_, i) => (i * 89 + 7) & 0xff);

describe("rotations", () => {
  it("generated rotations, in the ordinary code and in a loop copy: the model's r0 on both engines", async () => {
    const cases = Array.from({ length: 24 }, (_, k) => ({ seed: k + 1, source: generate(k + 1, k % 2 === 1) }));
    // the loops are versioned (else the copies would go untested)
    const loops = cases
      .filter((c) => c.seed % 2 === 0)
      .map((c) => arm32Listing(assemble(c.source)).includes("(copy of loop"));
    expect(loops.every(Boolean)).toBe(true);
    const results = await outcomes(
      cases.map((c) => ({ name: `seed ${c.seed}`, shape: { source: c.source, input: INPUT }, budget: 0 })),
      (source, input) => r0Is(model(source, input)),
    );
    expect(results.filter((r) => r.interp !== r.model || r.arm32 !== r.model)).toEqual([]);
  }, 120_000);

  it("emits one ROR for a 32-bit rotation whose temporary nothing reads, four for a 64-bit one", () => {
    const listing = arm32Listing(
      assemble("mov32 %r0, %r1\n mov32 %r6, %r0\n rsh32 %r6, 19\n lsh32 %r0, 13\n or32 %r0, %r6\n exit"),
    );
    expect(listing).toMatch(/\sror\s+r\d+, r\d+, #19/);
    expect(listing).not.toMatch(/\slsr\s+r\d+, r\d+, #19/);
    // in place, left by 13 and right by 19 (left by 45): each new word from two shifted ones, the word written
    // first keeping in r2 only the bits the other needs, no move afterwards
    for (const [first, second] of [
      ["rsh %r3, 51", "lsh %r6, 13"],
      ["lsh %r3, 45", "rsh %r6, 19"],
    ]) {
      const source = `mov %r6, %r1\n mov %r3, %r6\n ${first}\n ${second}\n or %r6, %r3\n mov %r0, %r6\n exit`;
      const words = codeOf(arm32Listing(assemble(source)), 1, 5);
      expect(words).toHaveLength(4);
      expect(words.filter((w) => /^mov\s/.test(w))).toEqual([]);
      expect(words.filter((w) => /^orr\s+r\d+, r\d+, r\d+, ls[lr] #(13|19)$/.test(w))).toHaveLength(2);
    }
    // into a register of its own (the third form): four instructions straight into its words
    const third =
      "ldxdw %r6, [%r1+0]\n mov %r3, %r6\n rsh %r3, 51\n mov %r7, %r6\n lsh %r7, 13\n or %r7, %r3\n" +
      " mov %r0, %r7\n add %r0, %r6\n exit";
    // without a budget: with one, instruction 1 starts with a charge (after the load, which may fault)
    const words = codeOf(arm32Listing(assemble(third), { budget: 0 }), 1, 6);
    expect(words).toHaveLength(4);
    expect(words.filter((w) => /^mov\s/.test(w))).toEqual([]);
  });
});
