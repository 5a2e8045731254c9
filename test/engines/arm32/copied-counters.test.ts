// Counters rotated through a copy on the ARM32 engine (assembly/arm32/analysis/loops.ts copiedCounter): the shape
// clang -O2 gives a loop with two exit tests, such as `for (i = 0; i < n; i++)` after `if (n > K) n = K`, where the
// clamp becomes a second test on i: `mov X, Y` first at the head, X's only write; `mov Y, X; add Y, s` in the last
// block, Y free to hold anything else in between (clang reuses it for a load); one exit test in the body on X
// against n, the other closing the loop, on X or Y, against K. The loop is versioned with iv X, its value at the
// head read from Y: the copy calls no memory check. Generated loops (byte, halfword or word elements, indexed by X
// or walked by a pointer stepping next to it, either test a register or a constant, signed or not, `<` or `<=`,
// starts and bounds anywhere in the input or past its end) must give the r0 (or the fault) of
// test/support/asm-model.ts and the interpreter's, also under a budget that runs out in the loop; an exit test `!=`
// or a third way out (a search's, on the data) is no copied counter's: analysis/facts.ts versions the loop on its
// own compares, the pointer bounded by the counter it steps next to (analysis/strides.ts).
import { describe, it, expect, beforeAll } from "vitest";
import { assemble } from "../../../src/tools/asm.js";
import { copyRuns, ensureArm32Translator, expectCopyWithoutChecks } from "../../support/arm32.js";
import { type Shape, outcomes, randomInputShape, rng } from "../../support/generated-runs.js";
import { disagreeingWithModel, modelRun as model, withBudgetCases } from "../../support/asm-model.js";

beforeAll(ensureArm32Translator);

interface Clamped {
  size: 1 | 2 | 4; // the elements' bytes
  pointer: boolean; // a pointer stepping next to the counter (clang's form), else an index scaled by the size
  reuse: boolean; // Y holds a loaded element between the head and the last block
  onCopy: boolean; // the closing test on Y (the next count), else on X
  closing: "jlt" | "jslt" | "jle" | "jne";
  closingBound: "reg" | "imm"; // the closing test's bound: a register (r8), or the constant k
  step: 1 | 2;
  i0: number;
  n: number; // the first exit test's bound, in r2
  k: number; // the closing test's
  length: number;
  search?: boolean; // a third way out, on the value loaded: a search, entered often for a few trips
}

const LOAD = { 1: "ldxb", 2: "ldxh", 4: "ldxw" } as const;
const SHIFT = { 1: 0, 2: 1, 4: 2 } as const;

/** The program: the loop (from `loop:` to the closing test), then a fold of the input. */
function program(p: Clamped): string {
  const lines = ["mov %r0, 0", `mov %r5, ${p.i0}`, `mov %r2, ${p.n}`, `mov %r8, ${p.k}`, "mov %r9, %r1"];
  if (p.pointer) lines.push(`mov %r4, ${p.i0 * p.size}`, "add %r9, %r4");
  lines.push("loop:", "mov %r3, %r5");
  let at = "%r9";
  if (!p.pointer) {
    lines.push("mov %r4, %r3");
    if (SHIFT[p.size] > 0) lines.push(`lsh %r4, ${SHIFT[p.size]}`);
    lines.push("add %r4, %r1");
    at = "%r4";
  }
  const value = p.reuse ? "%r5" : "%r6";
  lines.push(`${LOAD[p.size]} ${value}, [${at}+0]`, "mul %r0, 31", `add %r0, ${value}`, "add %r0, %r3");
  if (p.search) lines.push(`jeq ${value}, 255, out`);
  lines.push("jge %r3, %r2, out");
  if (p.pointer) lines.push(`add %r9, ${p.size * p.step}`);
  lines.push("mov %r5, %r3", `add %r5, ${p.step}`);
  const bound = p.closingBound === "reg" ? "%r8" : `${p.k}`;
  lines.push(`${p.closing} %r${p.onCopy ? 5 : 3}, ${bound}, loop`);
  // every byte of the input, folded into r0 (with the last count): the loop's work and where it stopped
  lines.push("out:", "add %r0, %r5", "mov %r2, 0", "fold:", "mov %r4, %r1", "add %r4, %r2", "ldxb %r6, [%r4+0]");
  lines.push("mul %r0, 31", "add %r0, %r6", "add %r2, 1", `jlt %r2, ${p.length}, fold`, "exit");
  return lines.join("\n");
}

function shape(p: Clamped, seed: number): Shape {
  return randomInputShape(program(p), p.length, seed);
}

/** Random loops: mostly inside the input, some reaching one element past its end or starting past a bound. */
function randomLoop(rand: () => number): Clamped {
  const size = ([1, 2, 4] as const)[Math.floor(rand() * 3)];
  const length = 8 * (4 + Math.floor(rand() * 20));
  const elements = length / size;
  const pick = () => {
    const roll = rand();
    return roll < 0.1 ? 0 : roll < 0.25 ? elements + Math.floor(rand() * 3) : Math.floor(rand() * elements);
  };
  const step = rand() < 0.8 ? 1 : 2;
  const closing = (["jlt", "jlt", "jslt", "jle", "jne"] as const)[Math.floor(rand() * 5)];
  return {
    size,
    pointer: rand() < 0.5,
    reuse: rand() < 0.5,
    onCopy: rand() < 0.5,
    closing,
    closingBound: rand() < 0.5 ? "reg" : "imm",
    step,
    i0: Math.floor(rand() * Math.max(1, elements / 4)),
    n: pick(),
    // (`!=` with a step of 2 from an odd distance would not stop: keep its k met)
    k: closing === "jne" ? elements : pick(),
    length,
  };
}

const CLAMP: Clamped = {
  size: 2,
  pointer: true,
  reuse: true,
  onCopy: false,
  closing: "jlt",
  closingBound: "imm",
  step: 1,
  i0: 0,
  n: 40,
  k: 24,
  length: 64,
};

/** The loop's first and last instruction (the program's instruction indices). */
function loopRange(p: Clamped): [number, number] {
  const insns = program(p)
    .split("\n")
    .filter((l) => !l.endsWith(":"));
  return [p.pointer ? 7 : 5, insns.findIndex((l) => l.startsWith(p.closing))];
}

describe("counters rotated through a copy", () => {
  it("get one test on entry and a copy without memory checks", () => {
    for (const p of [
      CLAMP,
      { ...CLAMP, pointer: false },
      { ...CLAMP, reuse: false, size: 4 as const },
      { ...CLAMP, onCopy: true },
      { ...CLAMP, closingBound: "reg" as const, closing: "jslt" as const },
      { ...CLAMP, closing: "jle" as const, step: 2 as const },
    ]) {
      expectCopyWithoutChecks(program(p), loopRange(p));
    }
  });

  it("with the closing test `!=`, or a way out on the data, are versioned on their own compares instead", () => {
    // not as a copied counter: analysis/facts.ts bounds the counter, and the pointer stepped next to it by the
    // counter's bound (analysis/strides.ts)
    for (const p of [
      { ...CLAMP, closing: "jne" as const, k: 32 },
      { ...CLAMP, search: true },
    ]) {
      expectCopyWithoutChecks(program(p), loopRange(p));
    }
  });

  it("run the copy when every trip stays in the input, to either bound", () => {
    // (32 halfwords; the loop loads its element before the tests: the last one loaded is min(n, k) with `<`)
    for (const p of [
      { ...CLAMP, n: 40, k: 31 },
      { ...CLAMP, n: 31, k: 40, pointer: false },
      { ...CLAMP, n: 31, k: 40, closingBound: "reg" as const },
      { ...CLAMP, closing: "jle" as const, k: 31, onCopy: true },
    ]) {
      expect(copyRuns(assemble(program(p)), shape(p, 7).input, loopRange(p)), program(p)).toBe(true);
    }
  });

  it("give the model's r0 or fault, as the interpreter, with and without a budget", async () => {
    const rand = rng(20261207);
    const shapes = Array.from({ length: 48 }, (_, k) => shape(randomLoop(rand), k + 1));
    // the edges: the last element reached by either bound, one past it, a start at or past a bound
    shapes.push(
      shape({ ...CLAMP, n: 40, k: 32 }, 101),
      shape({ ...CLAMP, n: 32, k: 33 }, 102),
      shape({ ...CLAMP, n: 33, k: 40, pointer: false }, 103),
      shape({ ...CLAMP, i0: 30, n: 20 }, 104),
      shape({ ...CLAMP, i0: 30, k: 20, onCopy: true }, 105),
      shape({ ...CLAMP, closing: "jle", k: 31 }, 106),
      shape({ ...CLAMP, closing: "jle", k: 32, closingBound: "reg" }, 107),
    );
    const results = await outcomes(withBudgetCases(shapes), model);
    expect(disagreeingWithModel(results)).toEqual([]);
    // the cases are not all faults: most stay inside the input
    expect(results.filter((r) => r.model.startsWith("r0 =")).length).toBeGreaterThan(results.length / 3);
  }, 120_000);
});
