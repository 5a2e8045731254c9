// The instruction budget in ARM32 loop copies charged a chain of blocks at a time (assembly/arm32/jit/budget.ts):
// a loop body whose blocks leave the loop where they do not fall through is charged once per trip, what a way out
// skipped is given back on it, and a chain the budget cannot cover goes back to the ordinary code before it runs.
// Generated loops with early ways out (to code that runs on after them), data-dependent loads, an if inside the
// body (where a chain ends) and code after the loop, run with every budget from 1 to past the instructions the
// run needs: the ARM32 executable's result or fault against the interpreter's, and whether the run completes
// against the instruction count computed here (a budget given back wrongly shows in the code after the loop).
import { describe, it, expect, beforeAll } from "vitest";
import { assemble } from "../../../src/tools/asm.js";
import { arm32Listing } from "../../../src/engines/arm32/build.js";
import { ensureArm32Translator } from "../../support/arm32.js";
import { type Case, outcomes, r0Is, rng } from "../../support/generated-runs.js";

beforeAll(ensureArm32Translator);

interface Loop {
  n: number; // trips when nothing leaves early (the input has n bytes)
  stop: number; // leave when a byte equals this (-1: no such way out)
  limit: number; // leave when the sum passes this (-1: no such way out)
  dependent: boolean; // a load at r1 + (byte & 7) too: not planned, checked in the copy
  diamond: boolean; // an if on the byte's low bit inside the body: the chain ends there
  tail: number; // instructions after the loop
  pad: number; // instructions after each early way out: longer than the rest of the trip, so that the trip it
  // leaves runs in the copy even when the budget ends exactly at the run's last instruction
}

const M64 = (1n << 64n) - 1n;

/** The program, in parts whose instruction counts the model below adds up. */
function parts(p: Loop) {
  const head = ["mov %r0, 0", "mov %r4, 0", `mov %r2, ${p.n}`];
  const load = ["mov %r5, %r1", "add %r5, %r4", "ldxb %r6, [%r5+0]"];
  const stop = p.stop >= 0 ? [`jeq %r6, ${p.stop}, out_stop`] : [];
  const sum = ["add %r0, %r6"];
  const limit = p.limit >= 0 ? [`jgt %r0, ${p.limit}, out_limit`] : [];
  const mix = ["mul %r0, 3", "xor %r0, %r4"];
  const dependent = p.dependent
    ? ["mov %r8, %r6", "and %r8, 7", "add %r8, %r1", "ldxb %r7, [%r8+0]", "add %r0, %r7"]
    : [];
  const test = p.diamond ? ["jset %r6, 1, skip"] : [];
  const odd = p.diamond ? ["add %r0, 7"] : [];
  const step = ["add %r4, 1", "jlt %r4, %r2, loop"];
  const tail = [...Array(p.tail).fill("add %r0, 1"), "exit"];
  const outStop = ["xor %r0, 0x55", "add %r0, %r4", ...Array(p.pad).fill("add %r0, 3"), "exit"];
  const outLimit = ["lsh %r0, 1", ...Array(p.pad).fill("add %r0, 3"), "exit"];
  const source = [
    ...head,
    "loop:",
    ...load,
    ...stop,
    ...sum,
    ...limit,
    ...mix,
    ...dependent,
    ...test,
    ...odd,
    "skip:",
    ...step,
    ...tail,
    "out_stop:",
    ...outStop,
    "out_limit:",
    ...outLimit,
  ].join("\n");
  return { source, head, load, stop, sum, limit, mix, dependent, test, odd, step, tail, outStop, outLimit };
}

/** r0 and the instructions the run executes (no fault: n bytes of input, dependent loads within them). */
function model(p: Loop, data: Uint8Array) {
  const q = parts(p);
  let r0 = 0n;
  let count = q.head.length;
  for (let i = 0; ; ) {
    count += q.load.length + q.stop.length;
    const b = data[i];
    if (b === p.stop) {
      count += q.outStop.length;
      return { r0: ((r0 ^ 0x55n) + BigInt(i) + 3n * BigInt(p.pad)) & M64, count };
    }
    r0 = (r0 + BigInt(b)) & M64;
    count += q.sum.length + q.limit.length;
    if (p.limit >= 0 && r0 > BigInt(p.limit)) {
      count += q.outLimit.length;
      return { r0: ((r0 << 1n) + 3n * BigInt(p.pad)) & M64, count };
    }
    r0 = ((r0 * 3n) & M64) ^ BigInt(i);
    count += q.mix.length + q.dependent.length + q.test.length;
    if (p.dependent) r0 = (r0 + BigInt(data[b & 7])) & M64;
    if (p.diamond && (b & 1) === 0) {
      count += q.odd.length;
      r0 = (r0 + 7n) & M64;
    }
    count += q.step.length;
    if (++i >= p.n) break;
  }
  return { r0: (r0 + BigInt(p.tail)) & M64, count: count + q.tail.length };
}

function randomLoop(rand: () => number): Loop {
  return {
    n: 8 + Math.floor(rand() * 10),
    stop: rand() < 0.7 ? 0x61 : -1,
    limit: rand() < 0.5 ? 300 + Math.floor(rand() * 900) : -1,
    dependent: rand() < 0.4,
    diamond: rand() < 0.3,
    tail: Math.floor(rand() * 5),
    pad: rand() < 0.8 ? 12 + Math.floor(rand() * 8) : 0,
  };
}

/** n bytes: mostly 'c' (0x63), some 'b'; one 'a' (where the stop way out leaves) in about half of them. */
function input(rand: () => number, n: number): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = rand() < 0.2 ? 0x62 : 0x63;
  if (rand() < 0.5) b[Math.floor(rand() * n)] = 0x61;
  return b;
}

/** The budget charges in the copy of the loop: the copy's lines of the listing, and the charges among them. */
function copyCharges(listing: string): number {
  const lines = listing.split("\n");
  let inCopy = false;
  let charges = 0;
  for (const line of lines) {
    if (line.startsWith(";")) inCopy = line.includes("(copy of loop");
    else if (inCopy && /subs\s+r[01], r0, #/.test(line)) charges++;
  }
  return charges;
}

describe("the budget in a loop copy, a chain of blocks at a time", () => {
  it("charges a loop body whose blocks leave the loop where they do not fall through once per trip", () => {
    const p: Loop = { n: 8, stop: 0x61, limit: 500, dependent: false, diamond: false, tail: 0, pad: 0 };
    const listing = arm32Listing(assemble(parts(p).source), { budget: 1000 });
    expect(listing).toContain("the test on entry, then the copy without checks");
    expect(copyCharges(listing)).toBe(1);
    // an if in the body: converted (select.ts), the chain goes on through its one instruction and its join
    // (giving that instruction back where the jump was taken)
    const withIf = arm32Listing(assemble(parts({ ...p, diamond: true }).source), { budget: 1000 });
    expect(copyCharges(withIf)).toBe(1);
  });

  it("every budget from 1 to past the run's count: the interpreter's result or fault", async () => {
    const rand = rng(2024);
    const cases: Case[] = [];
    const expected = new Map<string, { r0: bigint; count: number }>();
    for (let k = 0; k < 14; k++) {
      const p = randomLoop(rand);
      const data = input(rand, p.n);
      const m = model(p, data);
      for (let budget = 1; budget <= m.count + 2; budget++) {
        const name = `${k} ${JSON.stringify(p)} ${Buffer.from(data).toString("latin1")} budget ${budget}`;
        expected.set(name, m);
        cases.push({ name, shape: { source: parts(p).source, input: data }, budget });
      }
    }
    expect(cases.length).toBeGreaterThan(500);
    const results = await outcomes(cases, () => "");
    const wrong = results.filter((r) => {
      const m = expected.get(r.name)!;
      const budget = Number(r.name.split(" budget ")[1]);
      const completes = budget >= m.count;
      const modelOk = completes ? r.interp === r0Is(m.r0) : r.interp.startsWith("instruction budget");
      return !modelOk || r.arm32 !== r.interp;
    });
    expect(wrong).toEqual([]);
    // runs that stopped in the loop, after it, and completed
    expect(results.filter((r) => r.interp.startsWith("r0")).length).toBeGreaterThan(20);
    expect(results.filter((r) => r.interp.startsWith("instruction budget")).length).toBeGreaterThan(400);
  }, 600_000);
});
