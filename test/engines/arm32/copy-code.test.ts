// The code inside a loop's unchecked copy and the ordinary code alike (assembly/arm32/jit/jumps.ts, alu.ts, fuse.ts,
// a32/code.ts): a comparison with zero left to the instruction that computed the value, even a few instructions
// back (a counter stepped before the loop's other updates), and 32-bit products by constants the shifter makes
// (2^k, 2^k + 1, 2^k - 1) as one shift, ADD or RSB instead of a constant and a MUL; in a loop's copy, a load through
// a sum as one LDR with a register offset (into the sum's register, or into another one where nothing reads the
// sum afterwards), a table's address plus an index as one ADD, a pointer stepped after a load through it by the load
// (post-indexed). The listings show the saving;
// generated programs (products by every such constant and by others, in place and after a copy; counters stepped
// at every place in the body, with moves, 64-bit sums that read the carry and other comparisons between the step
// and its test) check r0 against the interpreter and a model written here (BigInt), and exhausted budgets against
// the interpreter's.
import { beforeAll, describe, expect, it } from "vitest";
import { assemble } from "../../../src/tools/asm.js";
import { arm32Listing } from "../../../src/engines/arm32/build.js";
import { ensureArm32Translator } from "../../support/arm32.js";
import { outcomes, r0Is, rng } from "../../support/generated-runs.js";
import { alu } from "../../support/asm-model.js";

beforeAll(ensureArm32Translator);

const M64 = (1n << 64n) - 1n;
const INPUT = Uint8Array.from({ length: 64 }, (_, i) => (i * 73 + 5) & 0xff);
const REGS = [0, 2, 3, 4, 5, 6, 7, 8];
// the shifter's constants and their neighbours, the extremes, and ones no single instruction makes
const FACTORS = [
  0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 15, 16, 17, 31, 33, 255, 257, 1023, 1025, 0x40000000, 0x40000001, 0x3fffffff,
  0x7fffffff, -1, -2, -3, -5, -0x7fffffff, 12, 100, 0x16a88000,
];

const hex = (v: bigint) => `0x${(v & M64).toString(16)}`;

/**
 * r0 of a program of the forms generated here: lddw / mov, ALU ops on registers and immediates (32 and 64 bits),
 * loads through r1 and its copies moved on by a register or an immediate, `jne` / `jeq` against an immediate and `ja` to a label, exit. "budget" when more than `budget` instructions would
 * run (0: no limit).
 */
function model(source: string, budget: number): bigint | "budget" {
  const lines = source.split("\n").map((l) => l.trim());
  const reg = new Array<bigint>(11).fill(0n);
  // registers that hold an address: an offset into the input (r1, and copies of it moved on by a register)
  const at = new Array<number | null>(11).fill(null);
  at[1] = 0;
  const view = new DataView(INPUT.buffer);
  const num = (a: string) => Number(a.replace("%r", ""));
  const target = (label: string) => lines.indexOf(`${label}:`);
  let ran = 0;
  for (let pc = 0; pc < lines.length; pc++) {
    const line = lines[pc];
    if (line.endsWith(":")) continue;
    if (budget > 0 && ++ran > budget) return "budget";
    const sp = line.indexOf(" ");
    const op = sp < 0 ? line : line.slice(0, sp);
    const args = sp < 0 ? [] : line.slice(sp + 1).split(", ");
    if (op === "exit") return reg[0];
    if (op === "ja") {
      pc = target(args[0]);
      continue;
    }
    if (op === "jne" || op === "jeq" || op === "jlt") {
      const [a, b] = [reg[num(args[0])], BigInt(args[1]) & M64];
      if (op === "jlt" ? a < b : (a === b) === (op === "jeq")) pc = target(args[2]);
      continue;
    }
    const d = num(args[0]);
    if (op.startsWith("ldx")) {
      const [, r, off] = /\[%r(\d+)\+(\d+)\]/.exec(args[1])!;
      const o = at[Number(r)]! + Number(off);
      reg[d] = BigInt(
        op === "ldxb" ? view.getUint8(o) : op === "ldxh" ? view.getUint16(o, true) : view.getUint32(o, true),
      );
      at[d] = null;
      continue;
    }
    if (op === "mov" && args[1] === "%r1") {
      at[d] = at[1];
      continue;
    }
    if (at[d] !== null && op === "add") {
      at[d]! += Number(args[1].startsWith("%r") ? reg[num(args[1])] : BigInt(args[1])); // an address moved on
      continue;
    }
    at[d] = null;
    if (op === "lddw") {
      reg[d] = BigInt(args[1]) & M64;
      continue;
    }
    reg[d] = alu(op, reg[d], args[1].startsWith("%r") ? reg[num(args[1])] : BigInt(args[1]));
  }
  throw new Error("ran off the end");
}

/** Products by constants: in place and after a copy, 32 and 64 bits (a 64-bit one of two 32-bit values too). */
function products(seed: number, loop: boolean): string {
  const rand = rng(seed);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rand() * xs.length)];
  const lines = REGS.map((r) => `lddw %r${r}, ${hex(BigInt(Math.floor(rand() * 2 ** 32)) * 0x100000001n + BigInt(r))}`);
  if (loop) lines.push("mov %r9, 5", "loop:");
  for (let n = 0; n < 12; n++) {
    const d = pick(REGS);
    const k = pick(FACTORS);
    const kind = rand();
    if (kind < 0.4) lines.push(`mul32 %r${d}, ${k}`);
    else if (kind < 0.7) lines.push(`mov32 %r${d}, %r${pick(REGS)}`, `mul32 %r${d}, ${k}`);
    else if (kind < 0.85)
      lines.push(`mov32 %r${d}, %r${pick(REGS)}`, `mul %r${d}, ${k}`); // high word known zero
    else lines.push(`mul %r${d}, ${k}`);
    lines.push(`add %r0, %r${d}`);
  }
  if (loop) lines.push("sub %r9, 1", "jne %r9, 0, loop");
  lines.push("exit");
  return lines.join("\n");
}

/**
 * A loop whose counter (r9) is stepped somewhere in the body and tested for zero at its end (jne, or jeq out of it),
 * with moves, ALU work, byte loads through r1 (so that the loop gets an unchecked copy), a 64-bit sum (ADC reads the
 * carry a SUBS would change), and a test of another register between; and a register masked and tested for zero
 * after more work (`x &= 3; ...; if x == 0`).
 */
function counters(seed: number): string {
  const rand = rng(seed);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rand() * xs.length)];
  const lines = REGS.map((r) => `lddw %r${r}, ${hex(BigInt(Math.floor(rand() * 2 ** 32)) * 0x10001n + BigInt(r))}`);
  lines.push(`mov %r9, ${2 + Math.floor(rand() * 6)}`, "loop:");
  const chunks: string[][] = [];
  for (let n = 0; n < 6; n++) {
    const d = pick(REGS);
    const s = pick(REGS);
    const kind = rand();
    if (kind < 0.2) chunks.push([`mov32 %r${d}, %r${s}`]);
    else if (kind < 0.3)
      chunks.push([`add %r${d}, %r${s}`]); // 64 bits: ADDS, ADC
    else if (kind < 0.45) chunks.push([`${pick(["xor32", "add32", "sub32", "or32"])} %r${d}, %r${s}`]);
    else if (kind < 0.55) chunks.push([`${pick(["lsh32", "rsh32"])} %r${d}, ${1 + Math.floor(rand() * 30)}`]);
    else if (kind < 0.7) chunks.push([`ldxb %r${d}, [%r1+${Math.floor(rand() * 8)}]`, `add32 %r${d}, %r${s}`]);
    else if (kind < 0.85) {
      // a masked value tested for zero after other work: its own S bit, unless something between writes it
      const m = pick(REGS.filter((r) => r !== d));
      chunks.push([`and32 %r${m}, 3`, `xor32 %r${d}, %r${s}`, `jeq %r${m}, 0, z${n}`, `add32 %r0, 1`, `z${n}:`]);
    } else chunks.push([`mov %r${d}, ${Math.floor(rand() * 1000)}`]);
  }
  const step = [seed % 4 === 0 ? pick(["sub %r9, 1", "add %r9, -1", "sub32 %r9, 1", "add32 %r9, -1"]) : "add %r9, -1"];
  // sometimes the test's register is written again after the step: the compare must stay
  if (rand() < 0.2) step.push("mov32 %r9, %r9");
  // a loop gets a copy when its counter and pointer are stepped in its last block: after the last join there (but seed % 4 == 0)
  const joins = chunks.map((c, k) => (c[c.length - 1].endsWith(":") ? k + 1 : 0));
  const after = seed % 4 === 0 ? 0 : Math.max(...joins);
  chunks.splice(after + Math.floor(rand() * (chunks.length + 1 - after)), 0, step);
  chunks.splice(after + Math.floor(rand() * (chunks.length + 1 - after)), 0, ["add %r1, 1"]);
  lines.push(...chunks.flat());
  // jeq out of the loop and ja back: not a loop that gets a copy, the ordinary code's compare
  if (seed % 4 !== 0) lines.push("jne %r9, 0, loop");
  else lines.push("jeq %r9, 0, out", "ja loop", "out:");
  for (const r of REGS) lines.push("mul %r0, 1000003", `add %r0, %r${r}`);
  lines.push("exit");
  return lines.join("\n");
}

/**
 * A counted loop over r3 (from 0 to below 40) whose body loads bytes, halfwords and words at r1 + r3 (`mov d, r1;
 * add d, r3; ldx d, [d+0]`, unchecked in the loop's copy) and combines 64-bit constants with 32-bit values (`lddw d,
 * K; op d, s`, K's high word zero or not).
 */
function tables(seed: number): string {
  const rand = rng(seed);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rand() * xs.length)];
  const regs = [0, 2, 4, 5, 6, 7, 8, 9];
  const lines = regs.map((r) => `lddw %r${r}, ${hex(BigInt(Math.floor(rand() * 2 ** 32)) * 0x10001n + BigInt(r))}`);
  lines.push("mov %r3, 0", "loop:");
  for (let n = 0; n < 6; n++) {
    const d = pick(regs);
    const s = pick(regs.filter((r) => r !== d));
    const kind = rand();
    if (kind < 0.45) {
      lines.push(`mov %r${d}, %r1`, `add %r${d}, %r3`, `${pick(["ldxb", "ldxh", "ldxw"])} %r${d}, [%r${d}+0]`);
      lines.push(`${pick(["add", "xor"])} %r${pick(regs)}, %r${d}`);
    } else {
      // s a 32-bit value first (or not: the high word then not known zero, and no fusion)
      if (rand() < 0.8) lines.push(`${pick(["mov32", "and32", "rsh32"])} %r${s}, ${pick([0, 7, 12, 255])}`);
      const k = pick([0x78n, 0x2000078n, 0x7ffffff0n, 0x80000000n, 0xfffffff0n, 0x123456789n, 0x12345n]);
      lines.push(`lddw %r${d}, ${hex(k)}`, `${pick(["add", "and", "or", "xor"])} %r${d}, %r${s}`);
    }
  }
  lines.push("add %r3, 1", "jlt %r3, 40, loop");
  for (const r of regs) lines.push("mul %r0, 1000003", `add %r0, %r${r}`);
  lines.push("exit");
  return lines.join("\n");
}

/**
 * A counted loop over r3 (from 0 to below 40) whose body loads bytes, halfwords and words through a sum computed into
 * a temporary (`mov d, r1; add d, r3; ldx e, [d+0]`, d r5 or r6, e another register or d itself), after which the
 * temporary is written again, read again as an address (`[d+1]`), read on one path of a branch only, or left for the
 * next load to write. `fused`: the loads the copy makes one LDR with a register offset (the sum dead after them).
 */
function temporaries(seed: number): { source: string; fused: number } {
  const rand = rng(seed);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rand() * xs.length)];
  const values = [0, 2, 4, 7, 8, 9]; // the addresses stay in r5 and r6, which r0 does not fold
  const lines = values.map((r) => `lddw %r${r}, ${hex(BigInt(Math.floor(rand() * 2 ** 32)) * 0x10001n + BigInt(r))}`);
  lines.push("mov %r3, 0", "loop:");
  const chunks: { lines: string[]; after: "written" | "read" | "branch" | "left" }[] = [];
  for (let n = 0; n < 5; n++) {
    const d = pick([5, 6]);
    const e = rand() < 0.2 ? d : pick(values);
    const body = [`mov %r${d}, %r1`, `add %r${d}, %r3`, `${pick(["ldxb", "ldxh", "ldxw"])} %r${e}, [%r${d}+0]`];
    const other = pick(values);
    const kind = e === d ? "written" : pick(["written", "read", "branch", "left"] as const);
    if (e !== d && kind === "written") body.push(`mov32 %r${d}, ${Math.floor(rand() * 100)}`);
    if (kind === "read") body.push(`ldxb %r${other}, [%r${d}+1]`);
    if (kind === "branch") body.push(`jeq %r${e}, 0, skip${n}`, `ldxb %r${other}, [%r${d}+2]`, `skip${n}:`);
    body.push(`${pick(["xor", "or32", "sub"])} %r${pick(values)}, %r${e}`);
    chunks.push({ lines: body, after: kind });
  }
  // a sum left alone is dead: only a chunk of its own register reads it, and that one writes it first
  const fused = chunks.filter((c) => c.after === "written" || c.after === "left").length;
  for (const chunk of chunks) lines.push(...chunk.lines);
  lines.push("add %r3, 1", "jlt %r3, 40, loop");
  for (const r of values) lines.push("mul %r0, 1000003", `add %r0, %r${r}`);
  lines.push("exit");
  return { source: lines.join("\n"), fused };
}

/**
 * A counted loop (4 trips) walking two copies of r1 (r6, r7): loads through them (at offset 0 mostly), other work,
 * and each pointer moved on once by an immediate, at the end or before other work; sometimes another load through
 * a pointer between.
 */
function walks(seed: number): string {
  const rand = rng(seed);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rand() * xs.length)];
  const regs = [0, 2, 3, 4, 5, 8];
  const lines = regs.map((r) => `lddw %r${r}, ${hex(BigInt(Math.floor(rand() * 2 ** 32)) * 0x10001n + BigInt(r))}`);
  lines.push("mov %r6, %r1", "mov %r7, %r1", "mov %r9, 0", "loop:");
  const body: string[] = [];
  for (let n = 0; n < 4; n++) {
    const d = pick(regs);
    const p = pick([6, 7]);
    body.push(`${pick(["ldxb", "ldxh", "ldxw"])} %r${d}, [%r${p}+${rand() < 0.7 ? 0 : pick([1, 2, 3])}]`);
    const between = rand();
    if (between < 0.4) body.push(`xor32 %r${pick(regs)}, %r${d}`);
    else if (between < 0.5) body.push(`ldxb %r${pick(regs)}, [%r${p}+1]`); // the pointer read again
    body.push(`add32 %r0, %r${d}`);
  }
  const steps = [`add %r6, ${pick([1, 2, 4])}`, `add %r7, ${pick([1, 2, 4])}`];
  if (rand() < 0.5) steps.reverse();
  body.splice(body.length - Math.floor(rand() * 3), 0, steps[0]);
  body.push(steps[1]);
  lines.push(...body, "add %r9, 1", "jlt %r9, 4, loop");
  for (const r of regs) lines.push("mul %r0, 1000003", `add %r0, %r${r}`);
  lines.push("exit");
  return lines.join("\n");
}

/** r0 (or the exhausted budget) of each source on the interpreter and ARM32, next to the model's. */
function differential(sources: string[], budget = 0) {
  return outcomes(
    sources.map((source) => ({ name: source, shape: { source, input: INPUT }, budget })),
    (source) => {
      const r = model(source, budget);
      return r === "budget" ? "budget exhausted" : r0Is(r);
    },
  );
}

/** The ARM instructions of a listing's loop copy (after the first "copy of loop" line up to the ordinary code). */
function copyCode(listing: string): string[] {
  const start = listing.indexOf("(copy of loop");
  const end = listing.indexOf("the ordinary code", start);
  return listing
    .slice(start, end)
    .split("\n")
    .filter((l) => /^\s+[0-9a-f]+:\s/.test(l))
    .map((l) => l.replace(/^\s+[0-9a-f]+:\s+[0-9a-f]+\s+/, ""));
}

/** The ARM instructions of a listing's ordinary (checked) code of its first loop. */
function ordinaryCode(listing: string): string[] {
  return listing
    .slice(listing.indexOf("the ordinary code"))
    .split("\n")
    .filter((l) => /^\s+[0-9a-f]+:\s/.test(l))
    .map((l) => l.replace(/^\s+[0-9a-f]+:\s+[0-9a-f]+\s+/, ""));
}

describe("comparisons with zero left to the instruction that computed the value", () => {
  it("a counter stepped before the loop's moves: SUBS, no compare", () => {
    const source = [
      "mov %r9, 60",
      "mov %r6, 0",
      "mov %r7, 0",
      "loop:",
      "ldxb %r2, [%r1+0]",
      "add32 %r6, %r2",
      "mov32 %r0, %r6",
      "add32 %r0, %r7",
      "add %r1, 1",
      "add %r9, -1",
      "mov32 %r6, %r0",
      "mov32 %r7, %r0",
      "jne %r9, 0, loop",
      "exit",
    ].join("\n");
    const listing = arm32Listing(assemble(source), { budget: 0 });
    const code = copyCode(listing);
    expect(code.filter((l) => /^cmp\s+r\d+, #0$/.test(l))).toEqual([]);
    expect(code.filter((l) => /^subs\s+r(\d+), r\1, #1$/.test(l))).toHaveLength(1);
  });

  it("keeps the compare where an instruction between sets the flags", () => {
    const source = ["mov %r9, 60", "lddw %r6, 0xffffffff", "loop:", "ldxb %r2, [%r1+0]", "add %r6, %r2", "add %r1, 1"];
    source.push("add %r9, -1", "add %r6, %r6", "jne %r9, 0, loop", "mov %r0, %r6", "exit");
    const code = copyCode(arm32Listing(assemble(source.join("\n")), { budget: 0 }));
    expect(code.filter((l) => /^adds\s/.test(l)).length).toBeGreaterThan(0);
    expect(code.filter((l) => /^cmp\s+r\d+, #0$/.test(l))).toHaveLength(1);
  });

  it("generated loops with counters and masked values tested for zero: the model's r0 on both engines", async () => {
    const sources = Array.from({ length: 48 }, (_, k) => counters(3000 + k));
    // a good part of them run in a loop copy, where the counters' compares are left out
    const copies = sources.map((s) => copyCode(arm32Listing(assemble(s), { budget: 0 })));
    expect(copies.filter((code) => code.some((l) => /^subs\s/.test(l))).length).toBeGreaterThan(8);
    const results = await differential(sources);
    expect(results.filter((r) => r.interp !== r.model || r.arm32 !== r.model)).toEqual([]);
  }, 240_000);

  it("the same loops with budgets ending at many places: exhausted where the interpreter's is", async () => {
    const sources = Array.from({ length: 4 }, (_, k) => counters(3100 + k));
    const budgets = [9, 23, 37, 52, 66];
    const results = (await Promise.all(budgets.map((b) => differential(sources, b)))).flat();
    const exhausted = results.filter((r) => r.model === "budget exhausted");
    expect(exhausted.length).toBeGreaterThan(0);
    // the fault names the instruction: both engines state it alike; r0 where the model finished
    expect(exhausted.filter((r) => !/budget .* exhausted/.test(r.interp) || r.arm32 !== r.interp)).toEqual([]);
    const finished = results.filter((r) => r.model !== "budget exhausted");
    expect(finished.filter((r) => r.interp !== r.model || r.arm32 !== r.model)).toEqual([]);
  }, 240_000);
});

describe("32-bit products by constants the shifter makes", () => {
  it("one ADD, RSB or LSL each: no MUL and no constant, in the copy and in the ordinary code", () => {
    const lines = ["mov %r9, 0", "mov %r6, 0", "loop:", "ldxb %r2, [%r1+0]", "add32 %r6, %r2"];
    for (const k of [5, 9, 7, 8, 0x40000001]) lines.push(`mul32 %r6, ${k}`, "add32 %r6, 1");
    lines.push("add %r1, 1", "add %r9, 1", "jlt %r9, 8, loop", "mov %r0, %r6", "exit");
    const listing = arm32Listing(assemble(lines.join("\n")), { budget: 0 });
    for (const code of [copyCode(listing), ordinaryCode(listing)]) {
      expect(code.filter((l) => /^(mul|mla)\s/.test(l))).toEqual([]);
      const shapes = code.filter((l) => /^(add|rsb)\s+r(\d+), r\2, r\2, lsl #\d+$|^lsl\s+r(\d+), r\3, #3$/.test(l));
      expect(shapes.map((l) => l.replace(/r\d+/g, "r"))).toEqual([
        "add r, r, r, lsl #2",
        "add r, r, r, lsl #3",
        "rsb r, r, r, lsl #3",
        "lsl r, r, #3",
        "add r, r, r, lsl #30",
      ]);
    }
  });

  it("generated products in the ordinary code and in a loop copy: the model's r0 on both engines", async () => {
    const sources = Array.from({ length: 40 }, (_, k) => products(4000 + k, k % 2 === 1));
    const results = await differential(sources);
    expect(results.filter((r) => r.interp !== r.model || r.arm32 !== r.model)).toEqual([]);
  }, 240_000);
});

describe("loads through a sum and constants combined with a value, in a loop copy", () => {
  it("one LDRB with a register offset, one ADD from the register that holds the table's address", () => {
    const source = ["mov %r3, 0", "mov %r4, 0", "loop:", "mov %r5, %r1", "add %r5, %r3", "ldxb %r5, [%r5+0]"];
    source.push("xor32 %r5, %r4", "and %r5, 15", "lsh %r5, 2", "lddw %r0, 0x2000078", "add %r0, %r5", "mov32 %r4, %r0");
    source.push("add %r3, 1", "jlt %r3, 40, loop", "exit");
    const code = copyCode(arm32Listing(assemble(source.join("\n")), { budget: 0 }));
    expect(code.filter((l) => /^ldrb\s+r\d+, \[r\d+, r\d+\]$/.test(l))).toHaveLength(1);
    expect(code.filter((l) => /^mov\s+r\d+, r\d+$/.test(l))).toHaveLength(1); // mov32 %r4, %r0 only
    expect(code.filter((l) => /^add\s+r\d+, r\d+, r\d+$/.test(l))).toHaveLength(1); // the table's address + index
  });

  it("one LDRB with a register offset into another register where nothing reads the sum after the load", () => {
    const body = ["mov %r5, %r1", "add %r5, %r3", "ldxb %r6, [%r5+0]"];
    const source = (after: string[]) =>
      ["mov %r3, 0", "mov %r4, 0", "loop:", ...body, ...after, "xor32 %r4, %r6", "add %r3, 1", "jlt %r3, 40, loop"]
        .concat(["mov %r0, %r4", "exit"])
        .join("\n");
    const dead = copyCode(arm32Listing(assemble(source(["mov32 %r5, 7", "xor32 %r4, %r5"])), { budget: 0 }));
    expect(dead.filter((l) => /^ldrb\s+r\d+, \[r\d+, r\d+\]$/.test(l))).toHaveLength(1);
    expect(dead.filter((l) => /^add\s+r\d+, r\d+, r\d+$/.test(l))).toEqual([]);
    // the sum read again after the load: it is computed, and the load goes through it
    const live = copyCode(arm32Listing(assemble(source(["ldxb %r7, [%r5+1]", "xor32 %r4, %r7"])), { budget: 0 }));
    expect(live.filter((l) => /^ldrb\s+r\d+, \[r\d+, r\d+\]$/.test(l))).toEqual([]);
    expect(live.filter((l) => /^add\s+r\d+, r\d+, r\d+$/.test(l))).toHaveLength(1);
  });

  it("generated loads through temporaries: as many register-offset loads as dead sums, the model's r0 on both engines", async () => {
    const programs = Array.from({ length: 40 }, (_, k) => temporaries(7000 + k));
    for (const p of programs) {
      const code = copyCode(arm32Listing(assemble(p.source), { budget: 0 }));
      expect(
        code.filter((l) => /^ldr[bh]?\s+r\d+, \[r\d+, r\d+\]$/.test(l)),
        p.source,
      ).toHaveLength(p.fused);
    }
    expect(programs.filter((p) => p.fused > 0).length).toBeGreaterThan(30);
    const results = await differential(programs.map((p) => p.source));
    expect(results.filter((r) => r.interp !== r.model || r.arm32 !== r.model)).toEqual([]);
  }, 240_000);

  it("generated loads and constants: the model's r0 on both engines", async () => {
    const sources = Array.from({ length: 40 }, (_, k) => tables(5000 + k));
    const copies = sources.map((s) => copyCode(arm32Listing(assemble(s), { budget: 0 })));
    expect(
      copies.filter((code) => code.some((l) => /^ldr[bh]?\s+r\d+, \[r\d+, r\d+\]$/.test(l))).length,
    ).toBeGreaterThan(20);
    const results = await differential(sources);
    expect(results.filter((r) => r.interp !== r.model || r.arm32 !== r.model)).toEqual([]);
  }, 240_000);
});

describe("pointers stepped after a load through them", () => {
  it("the load steps the pointer (post-indexed): no ADD", () => {
    const source = ["mov %r6, %r1", "mov %r7, %r1", "mov %r9, 0", "mov %r0, 0", "loop:", "ldxw %r2, [%r6+0]"];
    source.push("add32 %r0, %r2", "ldxh %r3, [%r7+0]", "xor32 %r0, %r3", "add %r6, 4", "add %r7, 2");
    const code = copyCode(
      arm32Listing(assemble([...source, "add %r9, 1", "jlt %r9, 8, loop", "exit"].join("\n")), { budget: 0 }),
    );
    // the halfword's pointer: its load is the last access before the step
    expect(code.filter((l) => /^ldrh\s+r\d+, \[r(\d+)\], #(0x)?2$/.test(l))).toHaveLength(1);
    expect(code.filter((l) => /^add\s+r(\d+), r\1, #2$/.test(l))).toEqual([]);
    const one = ["mov %r6, %r1", "mov %r9, 0", "mov %r0, 0", "loop:", "ldxw %r2, [%r6+0]", "add32 %r0, %r2"];
    one.push("xor32 %r4, %r0", "add %r6, 4", "add %r9, 1", "jlt %r9, 8, loop", "exit");
    const word = copyCode(arm32Listing(assemble(one.join("\n")), { budget: 0 }));
    expect(word.filter((l) => /^ldr\s+r\d+, \[r(\d+)\], #(0x)?4$/.test(l))).toHaveLength(1);
    expect(word.filter((l) => /^add\s+r(\d+), r\1, #4$/.test(l))).toEqual([]);
  });

  it("generated walks, the pointer read again or not between: the model's r0 on both engines", async () => {
    const sources = Array.from({ length: 40 }, (_, k) => walks(6000 + k));
    const copies = sources.map((s) => copyCode(arm32Listing(assemble(s), { budget: 0 })));
    expect(copies.filter((code) => code.some((l) => /^ldr[bh]?\s+r\d+, \[r\d+\], /.test(l))).length).toBeGreaterThan(
      10,
    );
    const results = await differential(sources);
    expect(results.filter((r) => r.interp !== r.model || r.arm32 !== r.model)).toEqual([]);
  }, 240_000);
});
