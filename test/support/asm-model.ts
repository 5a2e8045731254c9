// A model of the generated register-pressure programs (test/engines/arm32/loop-registers.test.ts,
// low-word-registers.test.ts, frame-counters.test.ts, loop-register-room.test.ts), written with BigInt from the
// eBPF semantics and independent of every engine: it runs the assembler text itself. It knows the instructions
// those generators emit: 32- and 64-bit ALU (alu() below, shared with other tests' models), lddw, loads
// (sign-extending ones too) from the input (r1) or from 8-byte slots of the frame (r10), stxdw to the frame, stores
// into the input (to a copy of it: converging-indices.test.ts), ja / jeq / jgt / jlt (and their 32-bit forms),
// `call 8` (get_smp_processor_id: 0, one CPU) and exit.
import { expect } from "vitest";
import { type Case, type Outcome, type Shape, r0Is } from "./generated-runs.js";

const M64 = (1n << 64n) - 1n;
const M32 = (1n << 32n) - 1n;

/** The model's word for a load past the input: the engines state it their own way (compare them with each other). */
export const MODEL_OUT = "a load past the input"; // (or a store)

/**
 * The runs that disagree: with the model on r0 or a budget's fault, or, where the model loads past the input, with
 * each other (and the interpreter must fault there).
 */
export function disagreeingWithModel(results: Outcome[]): Outcome[] {
  return results.filter((r) =>
    r.model === MODEL_OUT
      ? r.arm32 !== r.interp || r.interp.startsWith("r0 =")
      : r.arm32 !== r.model || r.interp !== r.model,
  );
}

/**
 * Expects every run to agree with the model (disagreeingWithModel), and the generated cases to have exercised both
 * outcomes: more than one run in `share` returns r0, and more than four load past the input.
 */
export function expectModelAgreement(results: Outcome[], share = 3): void {
  expect(disagreeingWithModel(results)).toEqual([]);
  expect(results.filter((r) => r.model.startsWith("r0 =")).length).toBeGreaterThan(results.length / share);
  expect(
    results.filter((r) => !r.model.startsWith("r0 =") && !r.model.startsWith("instruction")).length,
  ).toBeGreaterThan(4);
}

interface Insn {
  op: string;
  args: string[];
  index: number;
}

/** The program's instructions with their indices (lddw takes two) and the labels' instruction numbers. */
function parse(source: string): { insns: Insn[]; labels: Map<string, number> } {
  const insns: Insn[] = [];
  const labels = new Map<string, number>();
  let index = 0;
  for (const line of source.split("\n")) {
    if (line.endsWith(":")) {
      labels.set(line.slice(0, -1), insns.length);
      continue;
    }
    const [op, rest] = [line.split(" ")[0], line.slice(line.indexOf(" ") + 1)];
    insns.push({ op, args: rest.split(",").map((a) => a.trim()), index });
    index += op === "lddw" ? 2 : 1;
  }
  return { insns, labels };
}

const INPUT = 0x1000_0000n; // where the model puts the input, and the top of the frame
const FRAME = 0x2000_0000n;

/** Runs the program on the input: r0, the budget's fault (a budget of 0: none) or MODEL_OUT. */
export function modelRun(source: string, input: Uint8Array, budget: number): string {
  const { insns, labels } = parse(source);
  const reg = new Array<bigint>(11).fill(0n);
  reg[1] = INPUT;
  reg[10] = FRAME;
  const frame = new Map<bigint, bigint>(); // 8-byte slots by address
  const memory = input.slice();
  const regOf = (a: string) => Number(a.replace("%r", ""));
  // an immediate is a 32-bit value sign-extended to 64 bits
  const value = (a: string) => (a.startsWith("%r") ? reg[regOf(a)] : BigInt.asUintN(64, BigInt.asIntN(32, BigInt(a))));
  const addrOf = (m: string) => {
    const [, r, off] = /\[%r(\d+)([+-]\d+)\]/.exec(m)!;
    return (reg[Number(r)] + BigInt(off)) & M64;
  };
  let executed = 0;
  for (let pc = 0; ; pc++) {
    const { op, args, index } = insns[pc];
    if (budget > 0 && executed === budget) return `instruction budget of ${budget} exhausted (instruction ${index})`;
    executed++;
    const d = regOf(args[0]);
    const jump = (taken: boolean) => {
      if (taken) pc = labels.get(args[2])! - 1;
    };
    if (op === "exit") return r0Is(reg[0]);
    if (op === "ja") pc = labels.get(args[0])! - 1;
    else if (op === "call") reg[0] = 0n;
    else if (op === "lddw") reg[d] = BigInt(args[1]) & M64;
    else if (op.startsWith("ldx")) {
      const signed = op.startsWith("ldxs"); // ldxsb, ldxsh, ldxsw: sign-extended to 64 bits
      const bytes = { b: 1, h: 2, w: 4, dw: 8 }[op.slice(signed ? 4 : 3)]!;
      const at = addrOf(args[1]);
      if (at >= FRAME - 512n && at < FRAME) reg[d] = frame.get(at) ?? 0n;
      else {
        const from = at - INPUT;
        if (from < 0n || from + BigInt(bytes) > BigInt(input.length)) return MODEL_OUT;
        let v = 0n;
        for (let i = 0; i < bytes; i++) v |= BigInt(memory[Number(from) + i]) << BigInt(8 * i);
        reg[d] = signed ? BigInt.asUintN(64, BigInt.asIntN(8 * bytes, v)) : v;
      }
    } else if (op === "stxdw" && addrOf(args[0]) >= FRAME - 512n && addrOf(args[0]) < FRAME)
      frame.set(addrOf(args[0]), reg[regOf(args[1])]);
    else if (op.startsWith("stx")) {
      // a store into the input (its bytes, copied: the caller's stay as they are)
      const bytes = { b: 1, h: 2, w: 4, dw: 8 }[op.slice(3)]!;
      const from = addrOf(args[0]) - INPUT;
      if (from < 0n || from + BigInt(bytes) > BigInt(input.length)) return MODEL_OUT;
      const v = reg[regOf(args[1])];
      for (let i = 0; i < bytes; i++) memory[Number(from) + i] = Number((v >> BigInt(8 * i)) & 0xffn);
    } else if (/^j(eq|ne|gt|ge|lt|le|set|sgt|sge|slt|sle)(32)?$/.test(op)) {
      // a 32-bit comparison compares the low words; the signed ones (js*) read them as two's complement
      const width = op.endsWith("32") ? 32 : 64;
      const mask = width === 32 ? M32 : M64;
      let [a, b] = [reg[d] & mask, value(args[1]) & mask];
      const cond = op.slice(1).replace("32", "");
      if (cond.startsWith("s") && cond !== "set") [a, b] = [BigInt.asIntN(width, a), BigInt.asIntN(width, b)];
      const holds: Record<string, boolean> = {
        eq: a === b,
        ne: a !== b,
        set: (a & b) !== 0n,
        gt: a > b,
        ge: a >= b,
        lt: a < b,
        le: a <= b,
        sgt: a > b,
        sge: a >= b,
        slt: a < b,
        sle: a <= b,
      };
      jump(holds[cond]);
    } else reg[d] = alu(op, reg[d], value(args[1]));
  }
}

/**
 * `a op b` for an ALU instruction's mnemonic (`add`, `add32`, ...), as eBPF defines it: a 32-bit operation works
 * on the low words and zero-extends its result; a shift takes its amount modulo the width; division by zero gives
 * 0 and modulo by zero the dividend; signed division truncates toward zero (MIN / -1 wraps to MIN) and a signed
 * remainder takes the dividend's sign. Shared by the tests' models of generated programs.
 */
export function alu(op: string, a: bigint, b: bigint): bigint {
  const is32 = op.endsWith("32");
  const width = is32 ? 32n : 64n;
  const mask = is32 ? M32 : M64;
  a &= mask;
  b &= mask;
  const n = b & (width - 1n);
  const [sa, sb] = [BigInt.asIntN(Number(width), a), BigInt.asIntN(Number(width), b)];
  const ops: Record<string, () => bigint> = {
    mov: () => b,
    add: () => a + b,
    sub: () => a - b,
    mul: () => a * b,
    div: () => (b === 0n ? 0n : a / b),
    mod: () => (b === 0n ? a : a % b),
    sdiv: () => (b === 0n ? 0n : sa / sb), // BigInt division truncates toward zero
    smod: () => (b === 0n ? a : sa % sb),
    xor: () => a ^ b,
    or: () => a | b,
    and: () => a & b,
    lsh: () => a << n,
    rsh: () => a >> n,
    arsh: () => sa >> n,
  };
  const f = ops[op.replace("32", "")];
  if (!f) throw new Error(`the model has no '${op}'`);
  return f() & mask;
}

/** Each shape twice: without a budget, and with one that runs out at 60% of the model's run (modelLength). */
export function withBudgetCases(shapes: Shape[]): Case[] {
  return shapes.flatMap((shape, k) => [
    { name: `seed ${k + 1}`, shape, budget: 0 },
    { name: `seed ${k + 1}, budget`, shape, budget: Math.floor(modelLength(shape) * 0.6) },
  ]);
}

/** Instructions the model runs for the whole program (no budget): the smallest budget it ends within. */
export function modelLength(shape: Shape): number {
  const endsWithin = (budget: number) => !modelRun(shape.source, shape.input, budget).startsWith("instruction budget");
  let lo = 1;
  let hi = 1 << 20;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (endsWithin(mid)) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}
