// The interpreter's fused mov and conditional jump (assembly/decode.ts: fuseMovJump): `mov rD, x` followed by a
// conditional jump, how compiled C fills the register either arm of a branch expects, runs as one record. These
// check that the decoder fuses every conditional jump of both widths after a mov of either width, and only those,
// and what fusion must not change: the jump reading rD (the mov's new value, truncated by a 32-bit mov), a jump
// into the record's second instruction, and budgets that end inside it. Each program is generated from a table of
// operands, and its outcome at every budget is compared with the reference evaluator (src/fuzz/reference.ts),
// which shares no code with the interpreter.
import { describe, expect, test } from "vitest";
import { assemble } from "../../src/tools/asm.js";
import { Runtime } from "../../src/runtime/runtime.js";
import { evaluate } from "../../src/fuzz/reference.js";
import { STACK_BASE } from "../../assembly/layout.js";
import {
  H_ALU32,
  H_ALU64,
  H_MOVSX64,
  H_JA,
  H_EXIT,
  H_JMP32,
  H_JMP64,
  H_MOV_JA,
  H_MOV_JMP32,
  H_MOV_JMP64,
} from "../../assembly/records.js";
import { handlers } from "../support/interp-records.js";

// The conditional jumps in ISA order (operation >> 4: 1..7, 0xa..0xd); those fused with a mov, in the order of
// their fused handlers, and those left apart.
const JUMPS = ["jeq", "jgt", "jge", "jset", "jne", "jsgt", "jsge", "jlt", "jle", "jslt", "jsle"];
const OPS = [1, 2, 3, 4, 5, 6, 7, 0xa, 0xb, 0xc, 0xd];
const FUSED = ["jeq", "jgt", "jge", "jne", "jsgt", "jlt", "jle", "jslt"];

function decoded(src: string): number[] {
  const rt = new Runtime();
  return handlers(rt, rt.addProgram("prog", assemble(src)));
}

/**
 * The outcome as text at every budget from 1 to one past the instructions run, on the interpreter and on the
 * reference evaluator, and the interpreter's records of the program.
 */
function everyBudget(code: Uint8Array): { interp: string[]; reference: string[]; records: number[] } {
  const rt = new Runtime();
  const prog = rt.addProgram("prog", code);
  const input = new Uint8Array(16);
  const { r1 } = rt.prepare({ ctx: { bytes: input } });
  const opts = { inputAddr: Number(r1), stackBase: STACK_BASE };
  const whole = evaluate(code, input, { ...opts, budget: 0 });
  const res = { interp: [] as string[], reference: [] as string[], records: handlers(rt, prog) };
  for (let budget = 1; budget <= whole.executed + 1; budget++) {
    const ref = evaluate(code, input, { ...opts, budget });
    res.reference.push(ref.error ?? `r0 = ${ref.r0}, ${ref.executed} executed`);
    rt.core.setBudget(budget);
    try {
      const r = rt.run(prog, { ctx: { bytes: input } });
      res.interp.push(`r0 = ${r.r0}, ${r.executed} executed`);
    } catch (e) {
      res.interp.push((e as Error).message.replace(/^prog: /, ""));
    }
  }
  return res;
}

describe("decoding", () => {
  test("a mov and a conditional jump after it become one record, for both widths of each", () => {
    JUMPS.forEach((jump, i) => {
      const rank = FUSED.indexOf(jump);
      for (const mov of ["mov %r1, %r2", "mov %r1, -3", "mov32 %r1, %r2", "mov32 %r1, 7"]) {
        const movOwn = mov.startsWith("mov32") ? H_ALU32 + 2 * 0xb : H_ALU64 + 2 * 0xb;
        expect(decoded(`${mov}\n${jump} %r3, %r4, +1\nmov %r0, 1\nexit`).slice(0, 2), `${mov}; ${jump}`).toEqual([
          rank < 0 ? movOwn : H_MOV_JMP64 + rank,
          H_JMP64 + 2 * OPS[i],
        ]);
        expect(decoded(`${mov}\n${jump}32 %r1, 5, +1\nmov %r0, 1\nexit`).slice(0, 2), `${mov}; ${jump}32`).toEqual([
          rank < 0 ? movOwn : H_MOV_JMP32 + rank,
          H_JMP32 + OPS[i],
        ]);
      }
    });
  });
  test("a mov and a ja or gotol after it become one record", () => {
    for (const mov of ["mov %r1, %r2", "mov %r1, -3", "mov32 %r1, %r2", "mov32 %r1, 7"])
      for (const ja of ["ja +1", "gotol +1"])
        expect(decoded(`${mov}\n${ja}\nmov %r0, 1\nexit`).slice(0, 2), `${mov}; ${ja}`).toEqual([H_MOV_JA, H_JA]);
  });
  test("pairs left apart: a 64-bit jump on what a 32-bit mov from a register wrote, exit, a movsx", () => {
    expect(decoded("mov32 %r1, %r2\njeq %r1, 5, +1\nmov %r0, 1\nexit")[0]).toBe(H_ALU32 + 2 * 0xb);
    expect(decoded("mov32 %r1, %r2\njgt %r3, %r1, +1\nmov %r0, 1\nexit")[0]).toBe(H_ALU32 + 2 * 0xb);
    expect(decoded("mov %r0, %r2\nexit")).toEqual([H_ALU64 + 2 * 0xb, H_EXIT]);
    expect(decoded("movsx864 %r1, %r2\njeq %r1, 5, +1\nmov %r0, 1\nexit")[0]).toBe(H_MOVSX64);
  });
});

// Values around the edges the conditions tell apart: zero, the sign bits of both widths, equal low halves.
const VALUES = [0n, 1n, 5n, 0x7fffffffn, 0x80000000n, 0xffffffffn, 0x100000005n, 0xfffffffffffffffbn, 1n << 63n];
const IMMS = [0, 5, -5, 0x7fffffff, -0x80000000];

/**
 * A program that sets r1..r3, runs `mov`, then `jump` to one of two tails, and returns the tail's tag and r1 (the
 * mov's dst) in r0, so that a stale or untruncated read of r1 by the jump, or a wrong write, changes r0.
 */
function program(mov: string, jump: string, r1: bigint, r2: bigint, r3: bigint): string {
  return [
    `lddw %r1, ${r1}`,
    `lddw %r2, ${r2}`,
    `lddw %r3, ${r3}`,
    mov,
    `${jump}, +2`,
    "mov %r0, 1",
    "ja +1",
    "mov %r0, 2",
    "lsh %r1, 2",
    "xor %r0, %r1",
    "exit",
  ].join("\n");
}

describe("results at every budget, against the reference evaluator", () => {
  const movs = (imm: number) => ["mov %r1, %r2", `mov %r1, ${imm}`, "mov32 %r1, %r2", `mov32 %r1, ${imm}`];
  // the jump's operands: rD and another register, the reverse, rD and an immediate, another register and one, rD twice
  const operands = (imm: number) => ["%r1, %r3", "%r3, %r1", `%r1, ${imm}`, `%r3, ${imm}`, "%r1, %r1"];
  test.each(JUMPS.flatMap((j) => [j, `${j}32`]))("%s", (jump) => {
    let n = 0;
    for (const [k, imm] of IMMS.entries())
      for (const mov of movs(imm))
        for (const ops of operands(IMMS[(k + 1) % IMMS.length]))
          for (let v = 0; v < VALUES.length; v += 3) {
            const r2 = VALUES[(v + k) % VALUES.length];
            const r3 = VALUES[(v * 3 + 1) % VALUES.length];
            const src = program(mov, `${jump} ${ops}`, 0x1234567890n, r2, r3);
            const { interp, reference, records } = everyBudget(assemble(src));
            expect(interp, src).toEqual(reference);
            // the mov (slot 6, after three lddw) fused, but for a 64-bit jump on a 32-bit mov's register
            if (records[6] >= H_MOV_JMP64) n++;
          }
    if (FUSED.includes(jump.replace("32", ""))) expect(n).toBeGreaterThan(200);
    else expect(n).toBe(0);
  });

  test("ja and gotol after each mov, with the jump's operands of the record unused", () => {
    for (const [k, imm] of IMMS.entries())
      for (const mov of movs(imm))
        for (const ja of ["ja +1", "gotol +1"]) {
          const src = program(mov, `jeq %r0, 0`, 0x1234567890n, VALUES[k], 0n).replace("jeq %r0, 0, +2", ja);
          const { interp, reference, records } = everyBudget(assemble(src));
          expect(records[6], src).toBe(H_MOV_JA);
          expect(interp, src).toEqual(reference);
        }
  });

  test("a jump into the record's second instruction, in a loop", () => {
    const src = [
      /* 0 */ "mov %r0, 0",
      /* 1 */ "mov %r4, %r0", // fused with the jump at 2, which the back edge at 5 lands on
      /* 2 */ "jge %r0, 10, +3",
      /* 3 */ "add %r0, 3",
      /* 4 */ "mov %r4, %r0",
      /* 5 */ "ja -4",
      /* 6 */ "add %r0, %r4",
      /* 7 */ "exit",
    ].join("\n");
    const { interp, reference, records } = everyBudget(assemble(src));
    expect(records[1]).toBe(H_MOV_JMP64 + FUSED.indexOf("jge"));
    // four rounds of jge, add, mov, ja after the two movs; then jge, add, exit: r0 = 12 + r4 = 12
    expect(reference.at(-1)).toBe("r0 = 24, 21 executed");
    expect(interp).toEqual(reference);
  });
});
