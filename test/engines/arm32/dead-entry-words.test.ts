// A loop copy that keeps registers as 32-bit values needs their high words zero on entry (assembly/arm32/versioned.ts
// emitTest): the test on entry checks them, and runs the ordinary code when one is not. A register the loop writes
// before any read of it (dead at the loop's head: a load's destination, a temporary) is not checked but given a zero
// high word: its value on entry is never seen, so a 64-bit value left in it by the code before the loop (clang
// reuses registers) does not keep the copy from running, and the code after the loop, which knows that word is
// zero, finds it so (r0's last write is 32 bits wide: the high word returned is the one the copy left). A register
// read before it is written keeps its check.
// Generated counted loops over the input mix both kinds, with 64-bit values in them on entry; each run must give the
// result of test/support/asm-model.ts (BigInt, from the eBPF semantics) on the interpreter and the ARM32 executable,
// and qemu-arm's log of the blocks executed must show the copy ran exactly when no register read first held a
// nonzero high word (and the input covers the loop's reads).
import { describe, it, expect, beforeAll } from "vitest";
import { assemble } from "../../../src/tools/asm.js";
import { copyRuns, ensureArm32Translator } from "../../support/arm32.js";
import { type Shape, outcomes, rng } from "../../support/generated-runs.js";
import { disagreeingWithModel, modelRun, withBudgetCases } from "../../support/asm-model.js";

beforeAll(ensureArm32Translator);

const POOL = [0, 3, 4, 5, 7, 8]; // r9: the sum, r1: the input, r2: the counter, r6: the address

interface Loop extends Shape {
  /** The loop's first and last instruction. */
  head: number;
  last: number;
  /** Whether the copy should run: no register read first holds a nonzero high word, the input covers every read. */
  copyRuns: boolean;
}

function generate(seed: number): Loop {
  const rand = rng(seed);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rand() * xs.length)];
  const word = () => Math.floor(rand() * 2 ** 32);
  const length = 32 + Math.floor(rand() * 32);
  const input = Uint8Array.from({ length }, () => Math.floor(rand() * 256));
  const pastEnd = rand() < 0.2;
  const trips = pastEnd ? length + 1 : 2 + Math.floor(rand() * (length - 5)); // two at least: see copyRange
  const lines: string[] = [];
  let index = 0;
  const emit = (line: string) => {
    lines.push(line);
    index += line.startsWith("lddw") ? 2 : 1;
  };
  const roles = POOL.map(() => pick(["dead", "dead", "dead", "live", "unused"] as const));
  if (!roles.includes("dead")) roles[0] = "dead";
  let liveHigh = false;
  POOL.forEach((r, k) => {
    const high = rand() < 0.7 ? word() : 0;
    if (roles[k] === "live" && high !== 0) liveHigh = true;
    emit(`lddw %r${r}, 0x${((BigInt(high) << 32n) | BigInt(word())).toString(16)}`);
  });
  emit("mov %r9, 0");
  POOL.forEach((r) => emit(`xor %r9, %r${r}`)); // read before the loop: the values are not dropped as never read
  emit("mov %r2, 0");
  const head = index;
  lines.push("loop:");
  emit("mov %r6, %r1");
  emit("add %r6, %r2");
  POOL.forEach((r, k) => roles[k] === "live" && emit(`add %r9, %r${r}`)); // the value on entry, in the first trip
  const written: number[] = [];
  POOL.forEach((r, k) => {
    if (roles[k] === "unused") return;
    const first = written.length === 0 ? 0 : rand(); // one load at least: a loop without one has no copy
    if (first < 0.4) emit(`ldxb %r${r}, [%r6+${Math.floor(rand() * 3)}]`);
    else if (first < 0.7) emit(`mov32 %r${r}, ${word() >>> 1}`);
    else emit(`ldxh %r${r}, [%r6+0]`);
    if (written.length > 0 && rand() < 0.5) emit(`add32 %r${r}, %r${pick(written)}`);
    else emit(`${pick(["mul32", "xor32", "add32"])} %r${r}, ${Math.floor(rand() * 1000) + 1}`);
    emit(`add %r9, %r${r}`);
    written.push(r);
  });
  emit("add %r2, 1");
  const last = index;
  emit(`jlt %r2, ${trips}, loop`);
  POOL.forEach((r) => emit(`add %r9, %r${r}`)); // every register's last value, its high word included
  // r0's last write a 32-bit one: its high word must be zero, whatever r0 held before the loop
  emit("mov %r6, %r9");
  emit("rsh %r6, 32");
  emit("xor32 %r9, %r6");
  emit("mov32 %r0, %r9");
  emit("exit");
  return { source: lines.join("\n"), input, head, last, copyRuns: !liveHigh && !pastEnd };
}

const loops = Array.from({ length: 60 }, (_, k) => generate(k + 1));

describe("ARM32: registers written before they are read in a loop need no zero high word on entry", () => {
  it("generated loops: the model's r0 or fault, on the interpreter and the ARM32 executable, with and without a budget", async () => {
    const results = await outcomes(withBudgetCases(loops), modelRun);
    expect(results.filter((r) => r.model.startsWith("r0 = ")).length).toBeGreaterThan(30);
    expect(disagreeingWithModel(results)).toEqual([]);
  }, 180_000);

  it("the copy runs unless a register read first holds a nonzero high word on entry", () => {
    const ran = loops.map((loop) => copyRuns(assemble(loop.source), loop.input, [loop.head, loop.last]));
    expect(ran).toEqual(loops.map((loop) => loop.copyRuns));
    expect(ran.filter(Boolean).length).toBeGreaterThan(10);
    expect(ran.filter((r) => !r).length).toBeGreaterThan(5);
  }, 120_000);
});
