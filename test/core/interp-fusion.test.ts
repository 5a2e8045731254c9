// The interpreter's fused pairs (assembly/decode.ts): a mov followed by an ALU operation on the same register runs
// as one record. These check what fusion must not change: results for every width and operand combination, a jump
// into the second half, and budgets and faults that fall inside or right after a pair. Expected values and counts
// are worked out by hand from the listing (RFC 9669), never taken from a run.
import { describe, expect, test } from "vitest";
import { assemble } from "../../src/tools/asm.js";
import { Runtime } from "../../src/runtime/runtime.js";
import { MAP_TYPE_PROG_ARRAY } from "../../assembly/maps/desc.js";

function run(src: string, budget = 1000): { r0: bigint; executed: number } {
  const rt = new Runtime({ budget });
  return rt.run(rt.addProgram("prog", assemble(src)));
}

/** The fault message of a run that must fault, and the instructions it counted (the faulting one included). */
function fault(rt: Runtime, f: () => unknown): { message: string; executed: number } {
  try {
    f();
  } catch (e) {
    return { message: (e as Error).message, executed: rt.core.executed() };
  }
  throw new Error("no fault");
}

function faultOf(src: string, budget = 1000): { message: string; executed: number } {
  const rt = new Runtime({ budget });
  const prog = rt.addProgram("prog", assemble(src));
  return fault(rt, () => rt.run(prog));
}

describe("results", () => {
  test("a 64-bit mov feeding 64- and 32-bit operations, b reading the mov's register too", () => {
    // r1 = r2 + r2 = 10.
    expect(run("mov %r2, 5\nmov %r1, %r2\nadd %r1, %r1\nmov %r0, %r1\nexit")).toEqual({ r0: 10n, executed: 5 });
    // r2 = 2^32 + 3; mul32 reads the low halves: 3 * 3.
    expect(run("lddw %r2, 0x100000003\nmov %r0, %r2\nmul32 %r0, %r0\nexit")).toEqual({ r0: 9n, executed: 4 });
    // -1 then add32 2: the low 32 bits wrap to 1, zero-extended.
    expect(run("mov %r0, -1\nadd32 %r0, 2\nexit")).toEqual({ r0: 1n, executed: 3 });
    // a mov feeding a mov: the second wins.
    expect(run("mov %r0, 7\nmov %r0, 9\nexit")).toEqual({ r0: 9n, executed: 3 });
  });
  test("a 32-bit mov zero-extends before a 64-bit operation, from a register or an immediate", () => {
    const wrapped = 0x1_0000_0000n; // 0xffffffff + 1, carried into bit 32
    expect(run("lddw %r2, -1\nmov32 %r0, %r2\nadd %r0, 1\nexit")).toEqual({ r0: wrapped, executed: 4 });
    expect(run("mov32 %r0, -1\nadd %r0, 1\nexit")).toEqual({ r0: wrapped, executed: 3 });
    // the 32-bit operation after a 32-bit mov: 0xffffffff >> 28 = 0xf.
    expect(run("lddw %r2, -1\nmov32 %r0, %r2\nrsh32 %r0, 28\nexit")).toEqual({ r0: 0xfn, executed: 4 });
    // arsh keeps the sign of the 64-bit value a 64-bit mov copied: -16 >> 2 = -4.
    expect(run("mov %r2, -16\nmov %r0, %r2\narsh %r0, 2\nexit")).toEqual({ r0: 0xfffffffffffffffcn, executed: 4 });
  });
});

describe("jumps", () => {
  // 0: mov r0, 1 | 1: jeq r0, K, +1 | 2: mov r0, 10 | 3: add r0, 5 | 4: exit  (2 and 3 are a pair)
  const src = (k: number) => `mov %r0, 1\njeq %r0, ${k}, +1\nmov %r0, 10\nadd %r0, 5\nexit`;
  test("a jump into the second instruction of a pair runs it alone", () => {
    expect(run(src(1))).toEqual({ r0: 6n, executed: 4 });
  });
  test("falling into the pair runs both", () => {
    expect(run(src(2))).toEqual({ r0: 15n, executed: 5 });
  });
});

describe("budget and faults", () => {
  // 0: mov r1, 1 | 1: mov r0, 2 | 2: add r0, 3 | 3: exit  (1 and 2 are a pair)
  const src = "mov %r1, 1\nmov %r0, 2\nadd %r0, 3\nexit";
  test("a budget that ends between the two instructions of a pair faults on the second", () => {
    // two run (mov, mov); the third, the pair's add at index 2, is one too many.
    expect(faultOf(src, 2)).toEqual({
      message: "prog: instruction budget of 2 exhausted (instruction 2)",
      executed: 3,
    });
  });
  test("budgets around the pair: before it, after it, and exactly enough", () => {
    expect(faultOf(src, 1)).toEqual({
      message: "prog: instruction budget of 1 exhausted (instruction 1)",
      executed: 2,
    });
    expect(faultOf(src, 3)).toEqual({
      message: "prog: instruction budget of 3 exhausted (instruction 3)",
      executed: 4,
    });
    expect(run(src, 4)).toEqual({ r0: 5n, executed: 4 });
  });
  test("the budget cut inside a pair of a local function names the callee's index", () => {
    // 0: call f | 1: exit | f: 2: mov r0, 4 | 3: lsh r0, 1 | 4: exit. Budget 2: call and mov run, lsh is the third.
    const cut = faultOf("call local f\nexit\nf:\nmov %r0, 4\nlsh %r0, 1\nexit", 2);
    expect(cut).toEqual({ message: "prog: instruction budget of 2 exhausted (instruction 3)", executed: 3 });
  });
  test("the budget cut inside a pair of a tail-called program names that program and index", () => {
    const rt = new Runtime({ budget: 4 });
    const map = rt.createMap({
      name: "jmp",
      type: MAP_TYPE_PROG_ARRAY,
      keySize: 4,
      valueSize: 4,
      maxEntries: 1,
      flags: 0,
    });
    // The caller is added first, so that the target is not program 0: the pair's first half, run alone, must be
    // decoded from the target's code. target 0: mov r0, 2 | 1: add r0, 3 | 2: exit.
    const caller = rt.addProgram(
      "caller",
      assemble(`lddw %r2, 0x${rt.mapHandle(map).toString(16)}\nmov %r3, 0\ncall 12\nexit`),
    );
    const target = rt.addProgram("target", assemble("mov %r0, 2\nadd %r0, 3\nexit"));
    const key = rt.core.scratch(new Uint8Array(4));
    const value = rt.core.scratch(new Uint8Array(new Uint32Array([target.id]).buffer), 8);
    expect(rt.core.x.mapUpdate(rt.mapIds[map], key, value, 0n)).toBe(0n);
    // lddw, mov, call (3), the target's mov (4); its add is the fifth.
    expect(fault(rt, () => rt.run(caller))).toEqual({
      message: "target: instruction budget of 4 exhausted (instruction 1)",
      executed: 5,
    });
  });
  test("a fault right after a pair names its own index and counts the pair as two", () => {
    // 0: mov r1, 0 | 1: add r1, 8 | 2: ldxw r0, [r1+0] (address 8, in no region) | 3: exit
    expect(faultOf("mov %r1, 0\nadd %r1, 8\nldxw %r0, [%r1+0]\nexit")).toEqual({
      message: "prog: out-of-bounds read of 4 bytes at 0x8 (instruction 2)",
      executed: 3,
    });
  });
});

// An add (or a sub of an immediate) followed by a 64-bit conditional jump on the same register, a loop's counter
// and test, is a pair too (decode.ts, fuseAddJump).
describe("add + jump pairs", () => {
  test("loops closed by a pair: counts, signs and register operands", () => {
    // 5 rounds of 3 (add r0, add r1 + jlt as a pair): 2 + 15 + 1 executed, r0 = 5 * 2.
    expect(run("mov %r0, 0\nmov %r1, 0\nL:\nadd %r0, 2\nadd %r1, 1\njlt %r1, 5, L\nexit")).toEqual({
      r0: 10n,
      executed: 18,
    });
    // sub of an immediate counting down: 3 rounds of 3, r0 = 3 * 7.
    expect(run("mov %r0, 0\nmov %r5, 3\nL:\nadd %r0, 7\nsub %r5, 1\njne %r5, 0, L\nexit")).toEqual({
      r0: 21n,
      executed: 12,
    });
    // a register step against a register bound: r1 = 0, 3, 6, 9, 12 stops at 12 >= 10 after 4 rounds of 2.
    expect(run("mov %r1, 0\nmov %r2, 3\nmov %r3, 10\nL:\nadd %r1, %r2\njle %r1, %r3, L\nmov %r0, %r1\nexit")).toEqual({
      r0: 12n,
      executed: 3 + 8 + 2,
    });
    // signed: -3 counts up to 0 in 3 rounds of 2.
    expect(run("mov %r1, -3\nL:\nadd %r1, 1\njslt %r1, 0, L\nmov %r0, %r1\nexit")).toEqual({ r0: 0n, executed: 9 });
    // down from 3 while above -2; the mov + add pair at 0 falls into the jump alone at 2.
    expect(run("mov %r1, 3\nL:\nadd %r1, -1\njsgt %r1, -2, L\nmov %r0, %r1\nexit")).toEqual({
      r0: 0xfffffffffffffffen,
      executed: 13,
    });
  });
  test("the add reads rA before the jump reads the sum", () => {
    // 0: mov r0, 5 | 1: mov r1, 1 | 2: add r0, r0 | 3: jge r0, r0, +1 | 4: mov r0, 0 | 5: exit
    expect(run("mov %r0, 5\nmov %r1, 1\nadd %r0, %r0\njge %r0, %r0, +1\nmov %r0, 0\nexit")).toEqual({
      r0: 10n,
      executed: 5,
    });
    // jgt r0, r0 is never taken: r0 ends 0.
    expect(run("mov %r0, 5\nmov %r1, 1\nadd %r0, %r0\njgt %r0, %r0, +1\nmov %r0, 0\nexit")).toEqual({
      r0: 0n,
      executed: 6,
    });
  });
  test("a jump into the second half runs the jump alone; falling into the pair runs both", () => {
    // 0: mov r1, 10 | 1: mov r0, 0 | 2: ja +1 | 3: add r1, 1 | 4: jgt r1, 10, +1 | 5: mov r0, 1 | 6: exit
    // the jump at 4 sees r1 = 10, not taken.
    expect(run("mov %r1, 10\nmov %r0, 0\nja +1\nadd %r1, 1\njgt %r1, 10, +1\nmov %r0, 1\nexit")).toEqual({
      r0: 1n,
      executed: 6,
    });
    // without the ja: 11 > 10, taken past the mov.
    expect(run("mov %r1, 10\nmov %r0, 0\nadd %r1, 1\njgt %r1, 10, +1\nmov %r0, 1\nexit")).toEqual({
      r0: 0n,
      executed: 5,
    });
  });
  // 0: mov r1, 10 | 1: mov r0, 0 | 2: add r1, 1 | 3: jgt r1, 10, +1 | 4: mov r0, 1 | 5: exit  (2 and 3 a pair)
  const src = "mov %r1, 10\nmov %r0, 0\nadd %r1, 1\njgt %r1, 10, +1\nmov %r0, 1\nexit";
  test("budgets before, inside and after the pair fault where they would without it", () => {
    expect(faultOf(src, 2)).toEqual({
      message: "prog: instruction budget of 2 exhausted (instruction 2)",
      executed: 3,
    });
    // one left at the pair: the add runs alone and the jump at 3 is one too many.
    expect(faultOf(src, 3)).toEqual({
      message: "prog: instruction budget of 3 exhausted (instruction 3)",
      executed: 4,
    });
    // the pair's jump is taken to 5, which is the fifth.
    expect(faultOf(src, 4)).toEqual({
      message: "prog: instruction budget of 4 exhausted (instruction 5)",
      executed: 5,
    });
    expect(run(src, 5)).toEqual({ r0: 0n, executed: 5 });
  });
  test("a fault right after a pair names its own index", () => {
    // 0: mov r1, 0 | 1: mov r0, 0 | 2: add r1, 8 | 3: jne r1, 0, +0 | 4: ldxw r0, [r1+0] (address 8) | 5: exit
    expect(faultOf("mov %r1, 0\nmov %r0, 0\nadd %r1, 8\njne %r1, 0, +0\nldxw %r0, [%r1+0]\nexit")).toEqual({
      message: "prog: out-of-bounds read of 4 bytes at 0x8 (instruction 4)",
      executed: 5,
    });
  });
});
