// What packet-parsing code costs on ARM32 beyond the peepholes of peephole.test.ts: counters and locals in the
// stack frame, reached through r10, which is r11 + a constant wherever no deeper frame can exist
// (assembly/arm32/jit/regs.ts fixedFrame); 32-bit products accumulated (`sum += a * b`), one MLA
// (assembly/arm32/jit/fuse.ts); 32-bit shifts by an amount known to be below 32, not masked first (jit/alu.ts). The
// listings show the saving; generated programs (frame accesses of every size at offsets up to the frame's edges and
// past them, products of every operand form, shifts by masked and unmasked amounts, in the ordinary code and in a
// loop's unchecked copy) check r0 against the interpreter and a model written here (BigInt), and faults and
// exhausted budgets against the interpreter's.
import { beforeAll, describe, expect, it } from "vitest";
import { assemble } from "../../../src/tools/asm.js";
import { arm32Listing } from "../../../src/engines/arm32/build.js";
import { codeOf, ensureArm32Translator } from "../../support/arm32.js";
import { outcomes, r0Is, rng } from "../../support/generated-runs.js";

beforeAll(ensureArm32Translator);

const M64 = (1n << 64n) - 1n;
const M32 = (1n << 32n) - 1n;
const INPUT = Uint8Array.from({ length: 64 }, (_, i) => (i * 89 + 13) & 0xff);
const SIZES: Record<string, number> = { b: 1, h: 2, w: 4, dw: 8 };
const OUT = "out of frame"; // the model's word for an access the engines must refuse

const hex = (v: bigint) => `0x${(v & M64).toString(16)}`;

/**
 * r0 of a program of the forms generated here: lddw / mov, ALU ops on registers and immediates (32 and 64 bits),
 * loads from the input (r1) and loads and stores in the frame (r10, or a copy of it moved by an immediate), a
 * counted loop (`jlt %rN, K, label`), a subprogram call (`call local f`, r1-r5 passed, r6-r9 kept). OUT for an
 * access outside the current frame.
 */
function model(source: string, input: Uint8Array): bigint | typeof OUT {
  const lines = source.split("\n").map((l) => l.trim());
  const stack = new Uint8Array(512 * 8);
  const frameView = new DataView(stack.buffer);
  const inputView = new DataView(input.buffer, input.byteOffset, input.byteLength);
  const reg = new Array<bigint>(11).fill(0n);
  // a register that holds an address: "in" + offset into the input, "fp" + offset into the stack array
  const ptr = new Array<string | null>(11).fill(null);
  let top = 512; // r10 of the running frame: an offset into `stack`
  ptr[1] = "in:0";
  ptr[10] = `fp:${top}`;
  const calls: { pc: number; saved: bigint[]; savedPtr: (string | null)[]; top: number }[] = [];
  const num = (a: string) => Number(a.replace("%r", ""));
  const where = (m: RegExpExecArray) => {
    const [kind, at] = ptr[Number(m[1])]!.split(":");
    return { kind, at: Number(at) + Number(m[2]) };
  };
  for (let pc = 0; pc < lines.length; pc++) {
    const line = lines[pc];
    if (line.endsWith(":")) continue;
    const [op, rest = ""] = [
      line.slice(0, line.indexOf(" ") < 0 ? line.length : line.indexOf(" ")),
      line.slice(line.indexOf(" ") + 1),
    ];
    const args = rest.split(", ");
    if (op === "exit") {
      const back = calls.pop();
      if (!back) return reg[0];
      for (let r = 6; r <= 9; r++) [reg[r], ptr[r]] = [back.saved[r], back.savedPtr[r]];
      top = back.top;
      ptr[10] = `fp:${top}`;
      pc = back.pc;
      continue;
    }
    if (op === "call") {
      calls.push({ pc, saved: [...reg], savedPtr: [...ptr], top });
      top += 512;
      ptr[10] = `fp:${top}`;
      pc = lines.indexOf(`${args[0].replace("local ", "")}:`);
      continue;
    }
    if (op === "jlt") {
      if (reg[num(args[0])] < BigInt(args[1])) pc = lines.indexOf(`${args[2]}:`);
      continue;
    }
    const mem = /\[%r(\d+)([+-]\d+)\]/.exec(line);
    if (op === "lock") {
      // lock [fetch] add|xor[32] [%rN+off], %rS on the frame
      const words = rest.split(" ");
      const fetch = words[0] === "fetch";
      const kind = words[fetch ? 1 : 0];
      const size = kind.endsWith("32") ? 4 : 8;
      const { at } = where(mem!);
      const s = num(rest.slice(rest.lastIndexOf(" ") + 1));
      if (at < 0 || at + size > top) return OUT;
      const old = size === 4 ? BigInt(frameView.getUint32(at, true)) : frameView.getBigUint64(at, true);
      const v = kind.startsWith("add") ? old + reg[s] : old ^ reg[s];
      if (size === 4) frameView.setUint32(at, Number(v & M32), true);
      else frameView.setBigUint64(at, v & M64, true);
      if (fetch) [reg[s], ptr[s]] = [old, null];
      continue;
    }
    if (op.startsWith("ldx")) {
      const { kind, at } = where(mem!);
      const size = SIZES[op.slice(3)];
      const d = num(args[0]);
      // the frames in use: the running one and its callers' below it
      if (kind === "fp" && (at < 0 || at + size > top)) return OUT;
      const view = kind === "fp" ? frameView : inputView;
      if (size === 1) reg[d] = BigInt(view.getUint8(at));
      else if (size === 2) reg[d] = BigInt(view.getUint16(at, true));
      else if (size === 4) reg[d] = BigInt(view.getUint32(at, true));
      else reg[d] = view.getBigUint64(at, true);
      ptr[d] = null;
      continue;
    }
    if (op.startsWith("stx") || op.startsWith("st")) {
      const { kind, at } = where(mem!);
      const size = SIZES[op.slice(op.startsWith("stx") ? 3 : 2)];
      if (kind !== "fp" || at < 0 || at + size > top) return OUT;
      const v = (op.startsWith("stx") ? reg[num(args[1])] : BigInt(args[1])) & M64;
      for (let k = 0; k < size; k++) stack[at + k] = Number((v >> BigInt(8 * k)) & 0xffn);
      continue;
    }
    const d = num(args[0]);
    if (op === "lddw") {
      reg[d] = BigInt(args[1]) & M64;
      ptr[d] = null;
      continue;
    }
    if (op === "mov" && args[1].startsWith("%r")) {
      reg[d] = reg[num(args[1])];
      ptr[d] = ptr[num(args[1])];
      continue;
    }
    if (op === "add" && ptr[d] && !args[1].startsWith("%r")) {
      const [kind, at] = ptr[d]!.split(":");
      ptr[d] = `${kind}:${Number(at) + Number(args[1])}`;
      continue;
    }
    ptr[d] = null;
    const is32 = op.endsWith("32");
    const mask = is32 ? M32 : M64;
    const a = reg[d] & mask;
    const b = (args[1].startsWith("%r") ? reg[num(args[1])] : BigInt.asUintN(64, BigInt(args[1]))) & mask;
    const n = b & (is32 ? 31n : 63n);
    const signed = BigInt.asIntN(is32 ? 32 : 64, a);
    const r = {
      mov: b,
      add: a + b,
      sub: a - b,
      mul: a * b,
      div: b === 0n ? 0n : a / b,
      mod: b === 0n ? a : a % b,
      and: a & b,
      or: a | b,
      xor: a ^ b,
      lsh: a << n,
      rsh: a >> n,
      arsh: signed >> n,
    }[op.replace("32", "")];
    if (r === undefined) throw new Error(`the model has no ${op}`);
    reg[d] = r & mask;
  }
  throw new Error("fell off the end");
}

/** Each source's outcome on the interpreter and on ARM32 next to the model's (its r0; OUT: some fault). */
function runAll(sources: string[], budget = 0) {
  return outcomes(
    sources.map((source) => ({ name: source, shape: { source, input: INPUT }, budget })),
    (source, input) => {
      const v = model(source, input);
      return v === OUT ? OUT : r0Is(v);
    },
  );
}

/** The cases that disagree: on r0, or on a fault, which both engines must state alike where the model has one. */
async function differential(sources: string[]) {
  return (await runAll(sources)).filter((r) =>
    r.model === OUT ? r.arm32 !== r.interp || r.interp.startsWith("r0 =") : r.interp !== r.model || r.arm32 !== r.model,
  );
}

/** A load of r10 from the register file (8 bytes a register, r10 at 80). */
const loadsR10 = (l: string) => /^ldrd? r\d+, (r\d+, )?\[r11, #(0x50|80)\]$/.test(l);

/** A generator's random numbers from `seed`, and a choice among values. */
function chooser(seed: number) {
  const rand = rng(seed);
  return { rand, pick: <T>(xs: readonly T[]) => xs[Math.floor(rand() * xs.length)] };
}

/** `lddw` of a random 64-bit value into each of `regs`. */
const wideValues = (rand: () => number, regs: number[]) =>
  regs.map(
    (r) => `lddw %r${r}, ${hex((BigInt(Math.floor(rand() * 2 ** 32)) << 32n) | BigInt(Math.floor(rand() * 2 ** 32)))}`,
  );

/** The start of a generated program: `wideValues` in `regs`, then the head of a loop over r9 when `loop`. */
function beginning(rand: () => number, regs: number[], loop: boolean): string[] {
  const lines = wideValues(rand, regs);
  if (loop) lines.push("mov %r9, 0", "loop:");
  return lines;
}

/**
 * The end of a generated program: the back edge of a loop over r9 of `trips` trips (0: none), r0 mixed with
 * `regs`, then `last`.
 */
function ending(lines: string[], trips: number, regs: number[], last: string[] = []): string {
  if (trips) lines.push("add %r9, 1", `jlt %r9, ${trips}, loop`);
  for (const r of regs) lines.push("mul %r0, 1000003", `add %r0, %r${r}`);
  lines.push(...last, "exit");
  return lines.join("\n");
}

/**
 * Frame traffic: counters kept in the frame (load, add, store back), locals stored and read back in every size,
 * pointers into the frame made from r10, in a loop over r9 or not; `edge` adds one access at or past the frame's
 * edges, `call` a subprogram with frame traffic of its own.
 */
function frameProgram(seed: number, loop: boolean, edge: boolean, call: boolean): string {
  const { rand, pick } = chooser(seed);
  const regs = [0, 2, 3, 4, 5, 6, 7, 8];
  const lines: string[] = [];
  for (let s = 8; s <= 64; s += 8) lines.push(`stdw [%r10-${s}], ${Math.floor(rand() * 1000) - 500}`);
  for (const r of regs)
    lines.push(`lddw %r${r}, ${hex(BigInt(Math.floor(rand() * 2 ** 32)) * BigInt(Math.floor(rand() * 2 ** 20) + 1))}`);
  if (loop) lines.push("mov %r9, 0", "loop:");
  for (let n = 0; n < 12; n++) {
    const kind = rand();
    const r = pick(regs);
    const size = pick(Object.keys(SIZES));
    const off = -(Math.floor(rand() * (512 / SIZES[size])) + 1) * SIZES[size];
    if (kind < 0.3) {
      const slot = -8 * (Math.floor(rand() * 8) + 1);
      lines.push(
        `ldxdw %r${r}, [%r10${slot}]`,
        `add %r${r}, ${Math.floor(rand() * 200) - 100}`,
        `stxdw [%r10${slot}], %r${r}`,
      );
    } else if (kind < 0.55) {
      lines.push(`stx${size} [%r10${off}], %r${pick(regs)}`, `ldx${size} %r${r}, [%r10${off}]`);
    } else if (kind < 0.7) {
      const t = pick(regs.filter((x) => x !== r));
      lines.push(
        `mov %r${t}, %r10`,
        `add %r${t}, ${off}`,
        `stx${size} [%r${t}+0], %r${r}`,
        `ldx${size} %r${r}, [%r${t}+0]`,
      );
      lines.push(`mov %r${t}, ${n}`); // no address reaches r0
    } else if (kind < 0.85) {
      lines.push(`st${size} [%r10${off}], ${Math.floor(rand() * 256)}`, `ldx${size} %r${r}, [%r10${off}]`);
    } else {
      lines.push(`ldxw %r${r}, [%r1+${4 * Math.floor(rand() * 8)}]`, `xor %r0, %r${r}`);
    }
  }
  if (loop) lines.push("add %r9, 1", "jlt %r9, 5, loop");
  if (edge) {
    // the frame's lowest and highest bytes, or one byte past either end
    const [size, off] = pick([
      ["b", -512],
      ["dw", -512],
      ["dw", -8],
      ["b", -1],
      ["b", -513],
      ["w", -2],
      ["h", 0],
      ["dw", -516],
    ] as const);
    lines.push(`ldx${size} %r3, [%r10${off < 0 ? off : `+${off}`}]`, "add %r0, %r3");
  }
  // r1-r5 are the callee's after the call: given values here again
  if (call)
    lines.push(
      "mov %r1, %r10",
      "add %r1, -16",
      "call local f",
      "add %r0, %r6",
      ...[2, 3, 4, 5].map((r) => `mov %r${r}, ${r}`),
    );
  for (const r of [2, 3, 4, 5, 6, 7, 8]) lines.push("mul %r0, 1000003", `add %r0, %r${r}`);
  for (let s = 8; s <= 64; s += 8) lines.push(`ldxdw %r2, [%r10-${s}]`, "mul %r0, 31", "add %r0, %r2");
  lines.push("exit");
  if (call) {
    // the caller's slots -16 and -8 through r1, its own frame's both ends
    lines.push("f:", "ldxdw %r3, [%r1+0]", "ldxdw %r4, [%r1+8]", "stxdw [%r10-512], %r4", "stxdw [%r10-8], %r3");
    lines.push("ldxdw %r0, [%r10-512]", "ldxdw %r2, [%r10-8]", "add %r0, %r2", "mov %r6, 5", "exit");
  }
  return lines.join("\n");
}

describe("frame accesses where r10 cannot change", () => {
  it("generated frame traffic, edges and calls: the model's r0 or the interpreter's fault on both engines", async () => {
    const sources = Array.from({ length: 48 }, (_, k) => frameProgram(3000 + k, k % 2 === 1, k % 3 === 0, k % 4 === 2));
    expect(sources.some((s) => s.includes("call local")) && sources.some((s) => !s.includes("call local"))).toBe(true);
    expect(await differential(sources)).toEqual([]);
  }, 240_000);

  it("budgets running out inside frame traffic: the interpreter's instruction", async () => {
    const source = frameProgram(3100, true, false, false);
    for (const budget of [7, 20, 33, 61, 90]) {
      const [r] = await runAll([source], budget);
      expect(r.interp).not.toMatch(/^r0 =/);
      expect(r.arm32).toBe(r.interp);
    }
  }, 120_000);

  it("reach the frame from r11 without loading r10; a program with a call still loads it", () => {
    const body = ["ldxdw %r3, [%r10-24]", "add %r3, 1", "stxdw [%r10-24], %r3", "mov %r2, %r10", "add %r2, -8"];
    const flat = codeOf(arm32Listing(assemble([...body, "mov %r0, %r3", "exit"].join("\n")), { budget: 0 }), 0, 5);
    expect(flat.length).toBeGreaterThan(0);
    expect(flat.filter(loadsR10)).toEqual([]);
    expect(flat.filter((l) => /^(ldr|str) r\d+, \[r11, #0x[0-9a-f]+\]$/.test(l))).toHaveLength(4); // both words, twice
    const called = [...body, "call local f", "exit", "f:", "mov %r0, 1", "exit"].join("\n");
    const deep = codeOf(arm32Listing(assemble(called), { budget: 0 }), 0, 5);
    expect(deep.filter(loadsR10).length).toBeGreaterThan(0);
  });
});

/** Products accumulated: `d *= s | imm; d += t` over 64-bit starting values, in the ordinary code and a loop. */
function productProgram(seed: number, loop: boolean): string {
  const { rand, pick } = chooser(seed);
  const regs = [0, 2, 3, 4, 5, 6, 7, 8];
  const lines = beginning(rand, regs, loop);
  for (let n = 0; n < 10; n++) {
    const d = pick(regs);
    const s = rand() < 0.2 ? d : pick(regs);
    const operand = rand() < 0.6 ? `%r${s}` : `${pick([0, 1, 5, 255, 0x9e3779b1 | 0, -1, 0x1000193])}`;
    const t = pick(regs.filter((x) => x !== d));
    lines.push(`ldxw %r${t}, [%r1+${4 * Math.floor(rand() * 12)}]`);
    lines.push(`mul32 %r${d}, ${operand}`, `add32 %r${d}, %r${t}`);
    if (rand() < 0.3) lines.push(`add %r${pick(regs)}, %r${d}`); // d read afterwards as a 64-bit value
  }
  return ending(lines, loop ? 7 : 0, [2, 3, 4, 5, 6, 7, 8]);
}

describe("32-bit products accumulated", () => {
  it("generated products of registers and immediates: the model's r0 on both engines", async () => {
    const sources = Array.from({ length: 32 }, (_, k) => productProgram(4000 + k, k % 2 === 1));
    expect(arm32Listing(assemble(sources[1])).includes("(copy of loop")).toBe(true);
    expect(await differential(sources)).toEqual([]);
  }, 240_000);

  it("multiply and add in one MLA", () => {
    const source = ["ldxw %r4, [%r1+0]", "ldxw %r6, [%r1+4]", "ldxw %r2, [%r1+8]", "mul32 %r4, %r6", "add32 %r4, %r2"];
    const code = codeOf(arm32Listing(assemble([...source, "mov %r0, %r4", "exit"].join("\n")), { budget: 0 }), 3, 5);
    expect(code.filter((l) => /^mla r\d+, r\d+, r\d+, r\d+$/.test(l))).toHaveLength(1);
    expect(code.filter((l) => /^(mul|add) /.test(l))).toEqual([]);
  });
});

/** 32-bit shifts by a register: amounts known below 32 (a byte masked) or not (a byte, a 64-bit value). */
function shiftProgram(seed: number, loop: boolean): string {
  const { rand, pick } = chooser(seed);
  const regs = [0, 2, 3, 4, 5, 6, 7, 8];
  const lines = beginning(rand, regs, loop);
  for (let n = 0; n < 10; n++) {
    const d = pick(regs);
    const s = pick(regs.filter((x) => x !== d));
    const op = pick(["lsh32", "rsh32", "arsh32"]);
    const amount = rand();
    // below 32 (a byte masked, or 0 / 1 shifted), up to 255 (a byte), or any 64-bit value
    if (amount < 0.35) lines.push(`ldxb %r${s}, [%r1+${Math.floor(rand() * 32)}]`, `and32 %r${s}, ${pick([1, 7, 31])}`);
    else if (amount < 0.6)
      lines.push(
        `ldxb %r${s}, [%r1+${Math.floor(rand() * 32)}]`,
        `and32 %r${s}, 1`,
        `lsh32 %r${s}, ${pick([2, 3, 4])}`,
      );
    else if (amount < 0.8) lines.push(`ldxb %r${s}, [%r1+${Math.floor(rand() * 32)}]`);
    if (rand() < 0.3) lines.push(`mov32 %r${d}, %r${pick(regs)}`);
    lines.push(`${op} %r${d}, %r${s}`);
  }
  return ending(lines, loop ? 3 : 0, [2, 3, 4, 5, 6, 7, 8]);
}

describe("32-bit shifts by a register", () => {
  it("generated shifts by amounts below 32, below 256 and any: the model's r0 on both engines", async () => {
    const sources = Array.from({ length: 32 }, (_, k) => shiftProgram(5000 + k, k % 2 === 1));
    expect(await differential(sources)).toEqual([]);
  }, 240_000);

  it("take an amount known to be below 32 as it is, without masking it", () => {
    const source = ["ldxb %r3, [%r1+1]", "ldxb %r4, [%r1+2]", "and32 %r4, 24", "rsh32 %r3, %r4"];
    const listing = arm32Listing(assemble([...source, "mov %r0, %r3", "exit"].join("\n")), { budget: 0 });
    const code = codeOf(listing, 3, 4);
    expect(code.filter((l) => /^lsr r\d+, r\d+, r\d+$/.test(l))).toHaveLength(1);
    expect(code.filter((l) => /^and r\d+, r\d+, #31$/.test(l))).toEqual([]);
    // a byte may be 32 or more: masked
    const byte = arm32Listing(assemble([source[0], source[1], "rsh32 %r3, %r4", "mov %r0, %r3", "exit"].join("\n")));
    expect(codeOf(byte, 2, 3).filter((l) => /^and r\d+, r\d+, #31$/.test(l))).toHaveLength(1);
  });
});

/**
 * Registers kept in the register file (r6-r8 used most, so they get the ARM registers) worked on by neighbouring
 * instructions, with what may land between them or write the scratch registers: loads, frame stores, atomics,
 * divisions (branches and calls inside one instruction's code), jumps; in a loop over r9 or not.
 */
function scratchProgram(seed: number, loop: boolean): string {
  const { rand, pick } = chooser(seed);
  const filed = [0, 2, 3, 4, 5];
  const lines = wideValues(rand, [0, 2, 3, 4, 5, 6, 7, 8]);
  lines.push("stdw [%r10-8], 3", "stdw [%r10-16], 5");
  const heavy = ["add %r6, %r7", "xor %r8, %r6", "mul %r7, 3"];
  if (loop) lines.push("mov %r9, 0", "loop:");
  let label = 0;
  for (let n = 0; n < 16; n++) {
    const d = pick(filed);
    const w = pick(["", "32"]);
    const kind = rand();
    if (kind < 0.4) {
      const operand = rand() < 0.5 ? `%r${pick(filed)}` : `${pick([1, 5, 0xff, -3, 0x12345])}`;
      lines.push(`${pick(["add", "sub", "xor", "or", "and", "mul", "lsh", "rsh"])}${w} %r${d}, ${operand}`);
      if (rand() < 0.5) lines.push(pick(heavy));
    } else if (kind < 0.55) {
      lines.push(`${pick(["div", "mod"])}${w} %r${d}, %r${pick(filed)}`);
    } else if (kind < 0.7) {
      lines.push(`ldx${pick(["b", "w", "dw"])} %r${d}, [%r1+${8 * Math.floor(rand() * 6)}]`);
    } else if (kind < 0.8) {
      lines.push(`lock ${pick(["", "fetch "])}${pick(["add", "xor"])}${w} [%r10-${pick([8, 16])}], %r${d}`);
    } else if (kind < 0.9) {
      lines.push(`stxdw [%r10-${pick([8, 16])}], %r${d}`, `ldxdw %r${pick(filed)}, [%r10-${pick([8, 16])}]`);
    } else {
      // a forward jump over one instruction: a join in the middle
      lines.push(
        `jlt %r${d}, ${Math.floor(rand() * 2 ** 31)}, skip${label}`,
        `add${w} %r${pick(filed)}, 7`,
        `skip${label++}:`,
      );
    }
    if (rand() < 0.5) lines.push(`${pick(["add", "xor", "or", "mov"])}${w} %r${d}, %r${pick(filed)}`);
  }
  const frame = ["ldxdw %r2, [%r10-8]", "add %r0, %r2", "ldxdw %r2, [%r10-16]", "add %r0, %r2"];
  return ending(lines, loop ? 4 : 0, [2, 3, 4, 5, 6, 7, 8], frame);
}

// Work on six other registers, more than ARM registers hold besides them (r4-r9): r3 and r5 stay in the register file
const HEAVY = ["add %r6, %r7", "xor %r8, %r6", "mul %r7, %r8", "add %r2, %r4", "xor %r9, %r2", "mul %r4, %r9"];

describe("register-file words still in a scratch register, and copies between register-file slots", () => {
  it("generated neighbours with loads, atomics, divisions and joins between: the model's r0 on both engines", async () => {
    const sources = Array.from({ length: 48 }, (_, k) => scratchProgram(6000 + k, k % 2 === 1));
    expect(await differential(sources)).toEqual([]);
  }, 240_000);

  it("are not loaded again by the next instruction on the same register", () => {
    const heavy = Array.from({ length: 4 }, () => HEAVY).flat();
    const work = ["add32 %r3, 5", "add %r6, %r7", "xor32 %r3, 0x55", "add %r6, %r8", "or32 %r3, 9"];
    const source = ["ldxw %r3, [%r1+0]", ...heavy, ...work, ...heavy, "add %r0, %r3", "add %r0, %r6", "exit"];
    const at = 1 + heavy.length;
    const code = codeOf(arm32Listing(assemble(source.join("\n")), { budget: 0 }), at, at + work.length);
    const loadsR3 = code.filter((l) => /^ldrd? r\d+, (r\d+, )?\[r11, #(0x18|24)\]$/.test(l));
    expect(code.length).toBeGreaterThan(0);
    // r0 still holds r3 from the load's store to the register file, and from each store after
    expect(loadsR3).toEqual([]);
    expect(code.filter((l) => /^str r0, \[r11, #0x18\]$/.test(l))).toHaveLength(3);
  });

  it("copy a 64-bit register to another in the register file with one LDRD and one STRD", () => {
    const heavy = Array.from({ length: 4 }, () => HEAVY).flat();
    const source = ["ldxdw %r3, [%r1+0]", ...heavy, "mov %r5, %r3", ...heavy, "add %r0, %r5", "add %r0, %r6", "exit"];
    const at = 1 + heavy.length;
    const code = codeOf(arm32Listing(assemble(source.join("\n")), { budget: 0 }), at, at + 1);
    expect(code).toEqual(["ldrd r2, r3, [r11, #24]", "strd r2, r3, [r11, #40]"]);
  });
});

/**
 * Atomics through pointers into the frame kept in ARM registers (r6, r7 used most), aligned or not, at offset 0
 * or not; `edge`: one that reaches past the frame's top.
 */
function atomicProgram(seed: number, loop: boolean, edge: boolean): string {
  const { rand, pick } = chooser(seed);
  const lines = ["mov %r6, %r10", "add %r6, -64", "mov %r7, %r10", `add %r7, ${pick([-128, -125, -122])}`];
  for (let s = 8; s <= 128; s += 8) lines.push(`stdw [%r10-${s}], ${Math.floor(rand() * 2000) - 1000}`);
  for (const r of [0, 2, 3, 4, 5, 8])
    lines.push(`lddw %r${r}, ${hex(BigInt(Math.floor(rand() * 2 ** 32)) * 0x10001n)}`);
  if (loop) lines.push("mov %r9, 0", "loop:");
  for (let n = 0; n < 12; n++) {
    const base = pick([6, 7]);
    const off = pick([0, 0, 0, 8, 16]);
    const s = pick([0, 2, 3, 4, 5, 8]);
    const w = pick(["", "32"]);
    lines.push(`lock ${pick(["", "fetch "])}${pick(["add", "xor"])}${w} [%r${base}+${off}], %r${s}`);
    if (rand() < 0.3) lines.push(`add %r${s}, %r${pick([0, 2, 3])}`);
  }
  if (edge) lines.push("add %r6, 60", "lock add [%r6+0], %r2"); // r10 - 4: through the pair's own check
  const frame: string[] = [];
  for (let s = 8; s <= 128; s += 8) frame.push(`ldxdw %r2, [%r10-${s}]`, "mul %r0, 31", "add %r0, %r2");
  return ending(lines, loop ? 3 : 0, [2, 3, 4, 5, 8], frame);
}

describe("atomics through a pointer kept in an ARM pair", () => {
  it("generated aligned and unaligned atomics, with and without fetch, past the frame: the model's r0 or the fault", async () => {
    const sources = Array.from({ length: 32 }, (_, k) => atomicProgram(7000 + k, k % 2 === 1, k % 4 === 3));
    expect(await differential(sources)).toEqual([]);
  }, 240_000);

  it("check the pointer where it is, without copying it to r10 and ip first", () => {
    const uses = Array.from({ length: 6 }, (_, k) => `lock add [%r6+0], %r${k % 2 ? 2 : 3}`);
    const source = ["mov %r6, %r10", "add %r6, -64", "stdw [%r10-64], 1", "mov %r2, 5", "mov %r3, 7", ...uses];
    const listing = arm32Listing(assemble([...source, "ldxdw %r0, [%r10-64]", "exit"].join("\n")), { budget: 0 });
    const code = codeOf(listing, 5, 6);
    expect(code.filter((l) => /^(ldrexd|strexd) /.test(l))).toHaveLength(2);
    expect(code.filter((l) => /^mov (r10|r12), r\d+$/.test(l))).toEqual([]);
  });
});
