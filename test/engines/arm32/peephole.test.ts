// Instructions the ARM32 translator saves between neighbouring eBPF instructions (assembly/arm32/jit/fuse.ts,
// bytes.ts, alu.ts): a copy followed by a shift of the copy emitted from the source directly, a 64-bit constant
// used once taken as an operand instead of stored, a byte-assembled word's temporaries left unwritten when nothing
// reads them, a load into its own base register without a copy of the base. The listings show the saving; generated
// programs (every ALU operation after a copy, every shift amount, constants with zero, immediate and other halves,
// temporaries read later, loads into their base) check that r0 is the interpreter's and that of a model written here
// (BigInt), in the ordinary code and in a loop's unchecked copy. Sums into a register whose high word is known to be
// zero load no such word, and an operand's zero half (high or low word) costs no operation on that word.
import { beforeAll, describe, expect, it } from "vitest";
import { assemble } from "../../../src/tools/asm.js";
import { arm32Listing } from "../../../src/engines/arm32/build.js";
import { codeOf, ensureArm32Translator } from "../../support/arm32.js";
import { outcomes, r0Is, rng } from "../../support/generated-runs.js";
import { alu } from "../../support/asm-model.js";

beforeAll(ensureArm32Translator);

const M64 = (1n << 64n) - 1n;
const REGS = [0, 2, 3, 4, 5, 6, 7, 8];
const OPS = ["add", "sub", "mul", "div", "mod", "and", "or", "xor", "lsh", "rsh", "arsh"];
const SHIFTS = new Set(["lsh", "rsh", "arsh"]);
const INPUT = Uint8Array.from({ length: 96 }, (_, i) => (i * 167 + 41) & 0xff);

const hex = (v: bigint) => `0x${v.toString(16)}`;

/** A 32-bit half: zero, an ARM immediate, or any other value. */
function half(rand: () => number): bigint {
  const r = rand();
  if (r < 0.3) return 0n;
  if (r < 0.6) return BigInt(Math.floor(rand() * 256)) << BigInt(2 * Math.floor(rand() * 12));
  return BigInt(Math.floor(rand() * 2 ** 32));
}

/**
 * Straight-line work on r0 and r2-r8, or (`loop`) the same in a counted loop over r9 that walks the input through
 * r1. Every register is folded into r0 at the end.
 */
function generate(seed: number, loop: boolean): string {
  const rand = rng(seed);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rand() * xs.length)];
  const lines: string[] = [];
  for (const r of REGS) lines.push(`lddw %r${r}, ${hex((half(rand) << 32n) | half(rand))}`);
  if (loop) lines.push("mov %r9, 0", "loop:");
  for (let n = 0; n < 14; n++) {
    const kind = rand();
    const d = pick(REGS);
    const w = rand() < 0.5 ? "" : "32";
    if (kind < 0.45) {
      // a copy and an operation on it: source and operand any register (d itself too), or an immediate
      const s = rand() < 0.15 ? d : pick(REGS);
      const op = pick(OPS);
      const bits = w ? 32 : 64;
      const operand = SHIFTS.has(op)
        ? rand() < 0.75
          ? `${Math.floor(rand() * bits)}`
          : `%r${pick(REGS)}`
        : rand() < 0.5
          ? `%r${pick(REGS)}`
          : `${pick([0, 1, 7, 255, 0x3f0, -1, -4096, 0x12345, -0x7654321])}`;
      lines.push(`mov${w} %r${d}, %r${s}`, `${op}${w} %r${d}, ${operand}`);
    } else if (kind < 0.7) {
      // a 64-bit constant as an operand, read afterwards or not
      const k = pick(REGS.filter((r) => r !== d));
      lines.push(`lddw %r${k}, ${hex((half(rand) << 32n) | half(rand))}`);
      lines.push(`${pick(["and", "or", "xor", "add", "sub", "mul"])}${w} %r${d}, %r${k}`);
      const after = rand();
      if (after < 0.3) lines.push(`add %r${pick(REGS)}, %r${k}`);
      else if (after < 0.6) lines.push(`mov32 %r${k}, ${Math.floor(rand() * 1000)}`);
    } else if (kind < 0.85 && loop) {
      // a little-endian word assembled from bytes; the temporary read afterwards, or overwritten first
      const t = pick(REGS.filter((r) => r !== d));
      const at = Math.floor(rand() * 8);
      const bytes = pick([2, 4, 8]);
      lines.push(`ldxb %r${d}, [%r1+${at}]`);
      for (let b = 1; b < bytes; b++) {
        lines.push(`ldxb %r${t}, [%r1+${at + b}]`, `lsh %r${t}, ${8 * b}`, `or %r${d}, %r${t}`);
      }
      // the temporary read afterwards, given a 32-bit value first (its high word must be written), or left
      const after = rand();
      if (after < 0.4) lines.push(`xor %r${pick(REGS)}, %r${t}`);
      else if (after < 0.7) {
        // a join after it where the high word is not known: the one kept for t is read
        lines.push(`mov32 %r${t}, %r${pick(REGS)}`, `jeq %r9, ${n % 8}, skip${n}`, `lddw %r${t}, 0x123456789abcdef`);
        lines.push(`skip${n}:`);
      }
    } else {
      // a load through a copy of the base into that copy
      const size = pick(["b", "h", "w", "dw"]);
      lines.push(`mov %r${d}, %r1`, `ldx${size} %r${d}, [%r${d}+${Math.floor(rand() * 8)}]`);
    }
  }
  if (loop) lines.push("add %r1, 4", "add %r9, 1", "jlt %r9, 8, loop");
  for (const r of REGS) lines.push("mul %r0, 1000003", `add %r0, %r${r}`);
  lines.push("exit");
  return lines.join("\n");
}

/** r0 of a generated program; `input` is what r1 points at (registers holding r1 + n are kept as offsets). */
function model(source: string, input: Uint8Array): bigint {
  const insns = source.split("\n").map((l) => {
    const sp = l.indexOf(" ");
    return sp < 0 ? [l] : [l.slice(0, sp), ...l.slice(sp + 1).split(", ")];
  });
  const view = new DataView(input.buffer, input.byteOffset, input.byteLength);
  const reg = new Array<bigint>(11).fill(0n);
  const at = new Array<number>(11).fill(-1); // offset into the input, for r1 and the copies of it
  at[1] = 0;
  const num = (a: string) => Number(a.replace("%r", ""));
  for (let pc = 0; ; pc++) {
    const [op, ...args] = insns[pc];
    if (op.endsWith(":")) continue;
    if (op === "exit") return reg[0];
    if (op === "jlt" || op === "jeq") {
      const taken = op === "jlt" ? reg[num(args[0])] < BigInt(args[1]) : reg[num(args[0])] === BigInt(args[1]);
      if (taken) pc = insns.findIndex((i) => i[0] === `${args[2]}:`);
      continue;
    }
    const d = num(args[0]);
    if (op.startsWith("ldx")) {
      const m = /\[%r(\d+)\+(\d+)\]/.exec(args[1])!;
      const o = at[Number(m[1])] + Number(m[2]);
      const size = op.slice(3);
      reg[d] =
        size === "b"
          ? BigInt(view.getUint8(o))
          : size === "h"
            ? BigInt(view.getUint16(o, true))
            : size === "w"
              ? BigInt(view.getUint32(o, true))
              : view.getBigUint64(o, true);
      at[d] = -1;
      continue;
    }
    if (op === "lddw") {
      reg[d] = BigInt(args[1]) & M64;
      continue;
    }
    if (d === 1) {
      at[1] += Number(args[1]); // add %r1, 4
      continue;
    }
    if (op === "mov" && args[1] === "%r1") {
      at[d] = at[1];
      continue;
    }
    at[d] = -1;
    reg[d] = alu(op, reg[d], args[1].startsWith("%r") ? reg[num(args[1])] : BigInt(args[1]));
  }
}

describe("instructions saved between neighbours", () => {
  it("generated copies and operations, constants, byte words and own-base loads: the model's r0 on both engines", async () => {
    const cases = Array.from({ length: 40 }, (_, k) => ({ seed: 1000 + k, source: generate(1000 + k, k % 2 === 1) }));
    const loops = cases
      .filter((c) => c.seed % 2 === 1)
      .map((c) => arm32Listing(assemble(c.source)).includes("(copy of loop"));
    expect(loops.every(Boolean)).toBe(true);
    const results = await differential(cases.map((c) => c.source));
    expect(results.filter((r) => r.interp !== r.model || r.arm32 !== r.model)).toEqual([]);
  }, 240_000);

  it("every shift amount after a copy, both widths and directions, source and destination in any register", async () => {
    const sources: string[] = [];
    for (const op of SHIFTS) {
      for (const w of ["", "32"]) {
        const lines = ["lddw %r7, 0x8123456789abcdef", "lddw %r8, 0xfedcba9876543210", "mov %r0, 0"];
        for (let k = 0; k < (w ? 32 : 64); k++) {
          const [d, s] = [
            [2, 7],
            [3, 8],
            [6, 6],
            [8, 7],
          ][k % 4];
          lines.push(`mov${w} %r${d}, %r${s}`, `${op}${w} %r${d}, ${k}`, "mul %r0, 31", `xor %r0, %r${d}`);
        }
        sources.push([...lines, "exit"].join("\n"));
      }
    }
    const results = await differential(sources);
    expect(results.filter((r) => r.interp !== r.model || r.arm32 !== r.model)).toEqual([]);
  }, 120_000);

  it("a temporary given a 32-bit value before a join: its high word is written", async () => {
    const source = [
      "lddw %r4, 0x123456789abcdef",
      "mov %r9, 0",
      "loop:",
      "ldxb %r3, [%r1+0]",
      "ldxb %r4, [%r1+1]",
      "lsh %r4, 8",
      "or %r3, %r4",
      "mov32 %r4, %r3",
      "jeq %r9, 3, skip",
      "lddw %r4, 0x123456789abcdef",
      "skip:",
      "add %r0, %r4",
      "xor %r0, %r3",
      "add %r1, 4",
      "add %r9, 1",
      "jlt %r9, 8, loop",
      "exit",
    ].join("\n");
    const [r] = await differential([source]);
    expect({ interp: r.interp, arm32: r.arm32 }).toEqual({ interp: r.model, arm32: r.model });
  });

  it("64-bit rotations by 32 in every form, x anywhere, in the ordinary code and in a loop copy", async () => {
    const sources: string[] = [];
    for (const loop of [false, true]) {
      for (const [x, t, y] of [
        [4, 3, 4],
        [6, 5, 6],
        [4, 3, 7],
        [8, 2, 5],
      ]) {
        const lines = REGS.map((r) => `lddw %r${r}, 0x${(0x1234567 * (r + 3)).toString(16)}9abcdef${r}`);
        if (loop) lines.push("mov %r9, 0", "loop:", "ldxw %r2, [%r1+0]", "add %r1, 4");
        lines.push(`mov %r${t}, %r${x}`, `rsh %r${t}, 32`);
        if (y !== x) lines.push(`mov %r${y}, %r${x}`);
        lines.push(`lsh %r${y}, 32`, `or %r${y}, %r${t}`, `add %r${x}, %r2`, `mov32 %r${t}, 7`);
        if (loop) lines.push("add %r9, 1", "jlt %r9, 8, loop");
        for (const r of REGS) lines.push("mul %r0, 1000003", `add %r0, %r${r}`);
        sources.push([...lines, "exit"].join("\n"));
      }
    }
    const results = await differential(sources);
    expect(results.filter((r) => r.interp !== r.model || r.arm32 !== r.model)).toEqual([]);
    // x's words swapped in place: three moves through a scratch register, not four
    const swap = codeOf(arm32Listing(assemble(sources[0]), { budget: 0 }), 16, 20);
    expect(swap.filter((l) => /^mov r\d+, r\d+$/.test(l))).toHaveLength(3);
  }, 120_000);

  it("emits a shift of a copy from the copied register, without a move first", () => {
    // r0 and r8 used most, so both are kept in ARM registers
    const body = "mov %r0, %r8\n rsh %r0, 1\n mov32 %r2, %r8\n lsh32 %r2, 3\n add %r8, %r0\n add %r8, %r2\n";
    // without a budget: with one, instruction 1 starts with a charge (after the load, which may fault)
    const listing = arm32Listing(assemble(`ldxdw %r8, [%r1+0]\n${body.repeat(3)}mov %r0, %r8\n exit`), { budget: 0 });
    const wide = codeOf(listing, 1, 3);
    expect(wide.filter((l) => /^mov\s/.test(l))).toEqual([]);
    expect(wide).toHaveLength(3); // lsr, orr with lsl #31, lsr
    const narrow = codeOf(listing, 3, 5);
    expect(narrow.filter((l) => /^mov\s/.test(l))).toEqual([]);
    expect(narrow.filter((l) => /^lsl\s/.test(l))).toHaveLength(1);
  });

  it("takes a 64-bit constant read once as an operand, without storing it in its register", () => {
    const source = [
      "ldxdw %r0, [%r1+0]",
      "lddw %r9, 0x5555555555555555",
      "and %r0, %r9",
      "lddw %r9, 0x0f0f0f0f00000000",
      "xor %r0, %r9",
      "lddw %r9, 0xfffffffffffffffe",
      "add %r0, %r9",
      "exit",
    ];
    const listing = arm32Listing(assemble(source.join("\n")), { budget: 0 });
    const code = codeOf(listing, 1, 10);
    expect(code.filter((l) => /^(str|ldr)/.test(l))).toEqual([]);
    // equal words in one register; a sign-extended 32-bit number as an immediate
    const and = codeOf(listing, 1, 4).slice(-2);
    const k = and.map((l) => /^and r(\d+), r\1, (r\d+)$/.exec(l)?.[2]);
    expect(k[0]).toMatch(/^r\d+$/);
    expect(k[1]).toBe(k[0]);
    expect(codeOf(listing, 7, 10)).toEqual([
      expect.stringMatching(/^subs r(\d+), r\1, #2$/),
      expect.stringMatching(/^sbc r(\d+), r\1, #0$/),
    ]);
  });

  it("leaves the high word of a byte-assembled word's temporary unwritten when it is overwritten before a read", () => {
    const word = ["ldxb %r3, [%r1+0]"];
    for (let b = 1; b < 4; b++) word.push(`ldxb %r4, [%r1+${b}]`, `lsh %r4, ${8 * b}`, "or %r3, %r4");
    const source = ["mov %r9, 0", "loop:", ...word, "lddw %r4, 0x123456789", "add %r0, %r3", "add %r0, %r4"];
    const listing = arm32Listing(
      assemble([...source, "add %r1, 4", "add %r9, 1", "jlt %r9, 8, loop", "exit"].join("\n")),
      {
        budget: 0,
      },
    );
    // the word's ten instructions emit nothing (the word is one load where it is read): no zero stored or moved
    expect(codeOf(listing, 1, 11, true)).toEqual([]);
    // (post-indexed where r1's step after it folds into it: copy-code.test.ts)
    expect(codeOf(listing, 13, 14, true)[0]).toMatch(/^ldr\s+r\d+, \[r\d+\](, #(0x)?4)?$/);
  });

  it("loads a word into the register that holds its address without copying the address first", () => {
    const source = [
      "mov %r9, 0",
      "mov %r7, 0",
      "loop:",
      "mov %r2, %r1",
      "ldxb %r6, [%r2+1]",
      "ldxb %r2, [%r2+0]",
      "lsh %r2, 8",
      "or %r2, %r6",
      "add %r7, %r2",
      "add %r1, 2",
      "add %r9, 1",
      "jlt %r9, 8, loop",
      "mov %r0, %r7",
      "exit",
    ];
    const code = codeOf(arm32Listing(assemble(source.join("\n")), { budget: 0 }), 3, 7, true);
    expect(code.filter((l) => /^ldrh\s+r(\d+), \[r\1\]$/.test(l))).toHaveLength(1);
    expect(code.filter((l) => /^mov\s+r\d+, r\d+$/.test(l))).toEqual([]);
  });
});

/** r0 of each source on the interpreter and on ARM32 (or the fault), next to the model's (generated-runs.ts). */
function differential(sources: string[]) {
  return outcomes(
    sources.map((source) => ({ name: source, shape: { source, input: INPUT }, budget: 0 })),
    (source, input) => r0Is(model(source, input)),
  );
}

/** Heavy use of r0 and r6-r9 keeps them in ARM registers, so r2-r5 stay in the register file (r2 starts nonzero). */
const KEEP = ["ldxdw %r6, [%r1+40]", "ldxdw %r7, [%r1+48]", "ldxdw %r8, [%r1+56]", "ldxw %r9, [%r1+64]"];
const FOLD = [0, 2, 3, 4, 5, 6, 7, 8, 9].flatMap((r) => ["mul %r0, 1000003", `add %r0, %r${r}`]);
/** A load of rn's high word from the register file (8 bytes a register), alone or with its low word. */
const loadsHigh = (r: number) => (l: string) =>
  new RegExp(`^ldr r\\d+, \\[r11, #0x${(8 * r + 4).toString(16)}\\]$`).test(l) ||
  new RegExp(`^ldrd r\\d+, r\\d+, \\[r11, #${8 * r}\\]$`).test(l);
const heavy = (n: number) =>
  Array.from({ length: n }, () => ["add %r6, %r7", "xor %r8, %r6", "add %r9, %r8", "mul %r0, %r9"]).flat();

describe("64-bit sums with a zero high word", () => {
  const halves = [0n, 0x7fn, 0xfffffff0n, 0x80000001n];
  const sums = (op: string, form: string, b: bigint) => {
    // r3's high word known zero (a 32-bit load); r4 any 64-bit value (with a zero or nonzero half)
    const lines = [
      "mov %r0, 7",
      "mov %r2, 0",
      "mov %r5, 0",
      ...KEEP,
      "ldxw %r3, [%r1+8]",
      `lddw %r4, ${hex(b)}`,
      ...heavy(2),
    ];
    if (form === "alu") lines.push(`${op} %r3, %r4`);
    else if (form === "copy") lines.push("ldxw %r2, [%r1+16]", "mov %r5, %r2", `${op} %r5, %r4`);
    else lines.push("ldxw %r2, [%r1+16]", "mov %r5, %r2", `${op} %r5, ${form}`, `${op} %r3, ${form}`);
    return [...lines, ...heavy(2), ...FOLD, "exit"].join("\n");
  };

  it("match the interpreter and the model: in place, after a copy, with immediates that do not fit", async () => {
    const sources: string[] = [];
    for (const op of ["add", "sub"])
      for (const form of ["alu", "copy", "74565", "-124076833", "-1"])
        for (const h of halves) for (const l of halves) sources.push(sums(op, form, (h << 32n) | l));
    const results = await differential(sources);
    expect(results.filter((r) => r.interp !== r.model || r.arm32 !== r.model)).toEqual([]);
  }, 240_000);

  it("do not load the zero high word from the register file", () => {
    for (const op of ["add", "sub"]) {
      const alu = arm32Listing(assemble(sums(op, "alu", 0x123456789n)), { budget: 0 });
      const at = 10 + heavy(2).length; // the operation after the heavy part (the lddw takes two slots)
      const code = codeOf(alu, at, at + 1);
      expect(code.length).toBeGreaterThan(0);
      expect(code.filter(loadsHigh(3))).toEqual([]);
      const copy = arm32Listing(assemble(sums(op, "copy", 0x123456789n)), { budget: 0 });
      const pair = codeOf(copy, at + 1, at + 3);
      expect(pair.length).toBeGreaterThan(0);
      expect(pair.filter(loadsHigh(2))).toEqual([]);
    }
  });

  it("take an immediate's high word of all ones as SBC / ADC #0, without a register for it", () => {
    const listing = arm32Listing(assemble(sums("add", "-124076833", 1n)), { budget: 0 });
    const at = 10 + heavy(2).length;
    const code = codeOf(listing, at + 1, at + 4);
    expect(code.filter((l) => /^mvn r\d+, #0$/.test(l))).toEqual([]); // the high word's all ones
    expect(code.filter((l) => /^sbc r\d+, r\d+, #0$/.test(l))).toHaveLength(2);
  });
});

describe("operands with a zero half", () => {
  const halves = [0n, 0xffn, 0x12345678n, 0xfffffffen];
  const combine = (op: string, k: bigint, form: string) => {
    // r3 with both words nonzero; K a constant read once (r4 overwritten after) or r4 a 32-bit load
    const lines = ["mov %r0, 7", "mov %r2, 0", "mov %r5, 0", ...KEEP, "ldxdw %r3, [%r1+8]", "ldxw %r4, [%r1+16]"];
    lines.push(...heavy(2));
    if (form === "constant") lines.push(`lddw %r4, ${hex(k)}`, `${op} %r3, %r4`, "mov32 %r4, 3");
    else lines.push(`${op} %r3, %r4`);
    return [...lines, ...heavy(2), ...FOLD, "exit"].join("\n");
  };

  it("match the interpreter and the model: constants with zero, immediate and other halves, zero-high registers", async () => {
    const sources: string[] = [];
    for (const op of ["and", "or", "xor", "add", "sub", "mul"]) {
      sources.push(combine(op, 0n, "register"));
      for (const h of halves) for (const l of halves) sources.push(combine(op, (h << 32n) | l, "constant"));
    }
    const results = await differential(sources);
    expect(results.filter((r) => r.interp !== r.model || r.arm32 !== r.model)).toEqual([]);
  }, 240_000);

  it("leave the operation on the zero word out", () => {
    const at = 9 + heavy(2).length; // the lddw (which takes two slots) and the operation, or the operation
    const code = (op: string, k: bigint, form: string) => {
      const listing = arm32Listing(assemble(combine(op, k, form)), { budget: 0 });
      return form === "constant" ? codeOf(listing, at, at + 3) : codeOf(listing, at, at + 1);
    };
    // register with register (ARMv6 builds constants with immediate ORRs and EORs)
    const combines = (m: string) => (l: string) => new RegExp(`^${m} r\\d+, r\\d+, r\\d+$`).test(l);
    for (const op of ["or", "xor"]) {
      const mnemonic = op === "or" ? "orr" : "eor";
      // a zero high word: one operation, on the low words
      const lowOnly = code(op, 0x12345678n, "constant").filter(combines(mnemonic));
      expect(lowOnly).toHaveLength(1);
      expect(code(op, 0n, "register").filter(combines(mnemonic))).toHaveLength(1);
      // a zero low word: one operation, on the high words, with no constant for the low word
      const highOnly = code(op, 0x12345678n << 32n, "constant");
      expect(highOnly.filter(combines(mnemonic))).toHaveLength(1);
      expect(highOnly.filter((l) => /^mov r\d+, #0$/.test(l))).toEqual([]);
    }
    for (const op of ["add", "sub"]) {
      // a zero low word: no carry, one ADD / SUB on the high words
      const highOnly = code(op, 0x12345678n << 32n, "constant");
      expect(highOnly.filter((l) => /^(adds|subs|adc|sbc) /.test(l))).toEqual([]);
      expect(highOnly.filter(combines(op))).toHaveLength(1);
    }
  });
});
