// The budget runs out at every instruction: for each budget from 1 to the instructions a program executes, the
// interpreter must stop at the same instruction as an independent count. Its loop counts per record (a fused
// record is two instructions, a record from the budget's slow path one), follows records rather than indices, and
// leaves the loop for calls, exits, helpers and the callbacks they run; each of those is a place where a count or
// an instruction index could drift by one.
//   - Generated programs (src/fuzz/generate.ts: branches, loops, bpf-to-bpf calls, atomics, planted faults) next
//     to the reference evaluator (src/fuzz/reference.ts), which shares no code with the interpreter.
//   - A hand-written program with a helper, bpf_loop running a callback that calls a helper, a bpf-to-bpf call, an
//     lddw and a loop whose jump lands in the middle of a fused pair: the order of the instructions it executes is
//     written out below from the listing.
import { describe, expect, test } from "vitest";
import { assemble } from "../../src/tools/asm.js";
import { Runtime } from "../../src/runtime/runtime.js";
import { generate } from "../../src/fuzz/generate.js";
import { evaluate } from "../../src/fuzz/reference.js";
import { FUNC_HANDLE_TAG, STACK_BASE } from "../../assembly/layout.js";

/** Runs `code` on the interpreter; the outcome as text: the fault's message without the name, or r0 and the count. */
function interpreter(rt: Runtime, code: Uint8Array, input: Uint8Array): (budget: number) => string {
  const prog = rt.addProgram("prog", code);
  return (budget) => {
    rt.core.setBudget(budget);
    try {
      const r = rt.run(prog, { ctx: { bytes: input } });
      return `r0 = ${r.r0}, ${r.executed} executed`;
    } catch (e) {
      return (e as Error).message.replace(/^prog: /, "");
    }
  };
}

describe("generated programs, every budget", () => {
  // Seeds whose programs run to the end or to a fault within LIMIT instructions; about half of all seeds.
  const LIMIT = 600;
  const programs = [];
  for (let seed = 1; programs.length < 40 && seed < 400; seed++) {
    const p = generate(seed);
    const rt = new Runtime();
    const { r1 } = rt.prepare({ ctx: { bytes: p.input } });
    const opts = { inputAddr: Number(r1), stackBase: STACK_BASE };
    const whole = evaluate(p.code, p.input, { ...opts, budget: LIMIT + 1 });
    if (whole.error?.includes("budget")) continue;
    programs.push({ seed, p, rt, opts, steps: whole.error ? LIMIT : whole.executed });
  }

  test.each(programs.map((x) => [x.seed, x]))("seed %i", (_seed, { p, rt, opts, steps }) => {
    const interp = interpreter(rt, p.code, p.input);
    for (let budget = 1; budget <= steps + 1; budget++) {
      const ref = evaluate(p.code, p.input, { ...opts, budget });
      const expected = ref.error ?? `r0 = ${ref.r0}, ${ref.executed} executed`;
      expect(interp(budget), `budget ${budget}`).toBe(expected);
    }
  });
});

describe("helpers, callbacks, calls and fused pairs, every budget", () => {
  const CB = 22; // the callback's first instruction
  const handle = (BigInt(FUNC_HANDLE_TAG) << 32n) | BigInt(CB);
  const source = [
    /*  0 */ "mov %r6, 0",
    /*  1 */ "add %r6, 1", // a loop: the jump at 2 lands here, the second half of the mov + add at 0
    /*  2 */ "jlt %r6, 3, -2",
    /*  3 */ "mov %r1, 3", // bpf_loop(3, cb, 0, 0)
    /*  4 */ `lddw %r2, ${handle}`,
    /*  6 */ "mov %r3, 0",
    /*  7 */ "mov %r4, 0",
    /*  8 */ "call 181",
    /*  9 */ "mov %r7, %r0",
    /* 10 */ "call 7", // bpf_get_prandom_u32
    /* 11 */ "call local f",
    /* 12 */ "add %r0, %r7",
    /* 13 */ "add %r0, %r6",
    /* 14 */ "ja +1",
    /* 15 */ "mov %r0, 99", // jumped over
    /* 16 */ "exit",
    "f:",
    /* 17 */ "mov %r0, 5",
    /* 18 */ "add %r0, 1",
    /* 19 */ "jgt %r0, 100, +1",
    /* 20 */ "mov %r0, 6",
    /* 21 */ "exit",
    /* 22 */ "mov %r0, %r1", // the callback: r1 is the round
    /* 23 */ "lsh %r0, 2",
    /* 24 */ "call 7",
    /* 25 */ "mov %r0, 0",
    /* 26 */ "exit",
  ].join("\n");
  const code = assemble(source);
  expect(code.length / 8).toBe(27);
  const range = (a: number, b: number) => Array.from({ length: b - a + 1 }, (_, i) => a + i);
  // The instructions in the order they run, lddw once.
  const order = [
    0,
    ...[1, 2, 1, 2, 1, 2],
    3,
    4,
    6,
    7,
    8,
    ...[0, 1, 2].flatMap(() => range(22, 26)),
    9,
    10,
    11,
    ...range(17, 21),
    12,
    13,
    14,
    16,
  ];

  test("the whole program, counted", () => {
    const interp = interpreter(new Runtime(), code, new Uint8Array(8));
    // r0 = bpf_loop's 3 rounds + f's 6 + r6's 3.
    expect(interp(0)).toBe(`r0 = 12, ${order.length} executed`);
  });

  test("every budget stops at the instruction the order gives", () => {
    const interp = interpreter(new Runtime(), code, new Uint8Array(8));
    for (let budget = 1; budget < order.length; budget++)
      expect(interp(budget)).toBe(`instruction budget of ${budget} exhausted (instruction ${order[budget]})`);
    expect(interp(order.length)).toBe(`r0 = 12, ${order.length} executed`);
  });
});
