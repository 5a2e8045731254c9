// Irreducible control flow on the Wasm engine (assembly/wasm/split.ts): a cycle with two or more entries is made
// reducible by copying blocks, so the function is structured (no br_table dispatcher) unless the copies would be
// too large. Generated programs of blocks that jump anywhere (loops entered in the middle, loops inside such loops,
// bpf-to-bpf calls in their blocks) run on the interpreter, on the Wasm engine and in a model written here: the
// same r0, the same instruction count, the same fault (an out-of-bounds read at the same instruction) and the same
// budget fault at every budget tried.
import { beforeAll, describe, expect, it } from "vitest";
import { assemble } from "../../../src/tools/asm.js";
import { lastTranslationStats, translateToWasm } from "../../../src/engines/wasm.js";
import { loadEngines } from "../../../src/runtime/engine-loader.js";
import { rng } from "../../support/generated-runs.js";
import { runOn } from "../../support/wasm-runs.js";

const M64 = (1n << 64n) - 1n;
const CTX = 16; // context bytes; a block reads ctx[r0 & mask], past the end when its mask is 31

/**
 * One block: r0 += add, r0 += ctx[r0 & mask], r0 += 1 in a bpf-to-bpf call when `call`; r9 -= 1, out at 0; to
 * `jump` when bit `bit` of r0 is set, else `next`.
 */
interface Block {
  add: number;
  mask: number;
  call: boolean;
  bit: number;
  jump: number;
  next: number; // the following block falls through; any other is a ja (blocks.length: out)
}

interface Flow {
  entries: number[]; // ctx[0] = 0, 1, anything else: the block each starts in
  blocks: Block[];
  trips: number; // r9's start: blocks run before leaving
}

const BLOCK_INSNS = 12; // before its ja, when it has one, without its call

function source(f: Flow): string {
  const lines = ["mov %r6, %r1", "mov %r0, 7", `mov %r9, ${f.trips}`, "ldxb %r2, [%r6+0]"];
  lines.push(`jeq %r2, 0, b${f.entries[0]}`, `jeq %r2, 1, b${f.entries[1]}`, `ja b${f.entries[2]}`);
  const label = (i: number) => (i === f.blocks.length ? "out" : `b${i}`);
  f.blocks.forEach((b, i) => {
    lines.push(`b${i}:`, `add %r0, ${b.add}`, "mov %r3, %r0", `and %r3, ${b.mask}`, "add %r3, %r6");
    lines.push("ldxb %r4, [%r3+0]", "add %r0, %r4");
    if (b.call) lines.push("mov %r1, %r0", "call local inc");
    lines.push("sub %r9, 1", "jeq %r9, 0, out");
    lines.push("mov %r2, %r0", `rsh %r2, ${b.bit}`, "and %r2, 1", `jne %r2, 0, ${label(b.jump)}`);
    if (b.next !== i + 1) lines.push(`ja ${label(b.next)}`);
  });
  lines.push("out:", "exit", "inc:", "mov %r0, %r1", "add %r0, 1", "exit");
  return lines.join("\n");
}

/** r0 and the instructions run, or the instruction of the out-of-bounds read (as runOn reports it). */
function model(f: Flow, ctx: Uint8Array): { r0?: bigint; executed?: number; pc?: number } {
  const starts: number[] = [];
  let pc = 7; // the first block's first instruction
  for (const b of f.blocks) {
    starts.push(pc);
    pc += BLOCK_INSNS + (b.call ? 2 : 0) + (b.next !== starts.length ? 1 : 0);
  }
  let r0 = 7n;
  let executed = 5 + Math.min(ctx[0], 2);
  let at = f.entries[Math.min(ctx[0], 2)];
  for (let r9 = f.trips; ; ) {
    const b = f.blocks[at];
    r0 = (r0 + BigInt(b.add)) & M64;
    const off = Number(r0 & BigInt(b.mask));
    if (off >= ctx.length) return { pc: starts[at] + 4 };
    r0 = (r0 + BigInt(ctx[off])) & M64;
    if (b.call) ((r0 = (r0 + 1n) & M64), (executed += 5)); // mov, call, and the callee's three
    r9--;
    executed += 8;
    if (r9 === 0) return { r0, executed: executed + 1 }; // and the exit
    executed += 4;
    if ((r0 >> BigInt(b.bit)) & 1n) at = b.jump;
    else {
      if (b.next !== at + 1) executed++;
      at = b.next;
    }
    if (at === f.blocks.length) return { r0, executed: executed + 1 };
  }
}

function generate(seed: number): Flow {
  const next = rng(seed);
  const pick = (n: number) => Math.floor(next() * n);
  const n = 3 + pick(5);
  const blocks = Array.from({ length: n }, (_, i) => ({
    add: 1 + pick(1000),
    mask: next() < 0.1 ? 31 : 15,
    call: next() < 0.2,
    bit: pick(6),
    jump: pick(n + 1),
    next: next() < 0.6 ? i + 1 : pick(n + 1),
  }));
  return { entries: [pick(n), pick(n), pick(n)], blocks, trips: 1 + pick(60) };
}

/** Whether some cycle of the flow's blocks has two entries: a DFS back edge to a block that does not dominate. */
function irreducible(f: Flow): boolean {
  const n = f.blocks.length;
  const succ = (v: number): number[] =>
    v === n ? [...new Set(f.entries)] : [f.blocks[v].jump, f.blocks[v].next].filter((t) => t < n);
  const reachableAvoiding = (avoid: number): Set<number> => {
    const seen = new Set<number>([n]);
    const work = [n];
    while (work.length) for (const t of succ(work.pop()!)) if (t !== avoid && !seen.has(t)) (seen.add(t), work.push(t));
    return seen;
  };
  const state = new Map<number, number>(); // 1 on the DFS stack, 2 done
  let found = false;
  const dfs = (v: number) => {
    state.set(v, 1);
    for (const t of succ(v)) {
      if (state.get(t) === 1 && reachableAvoiding(t).has(v)) found = true;
      if (!state.has(t)) dfs(t);
    }
    state.set(v, 2);
  };
  dfs(n); // n: the entry's dispatch
  return found;
}

const context = (first: number) => Uint8Array.from({ length: CTX }, (_, i) => (i === 0 ? first : (i * 53 + 9) & 0xff));

beforeAll(() => loadEngines());

describe("irreducible control flow", () => {
  it("splits a loop with two entries into structured code: no dispatcher", () => {
    const f: Flow = {
      entries: [0, 1, 1],
      blocks: [
        { add: 3, mask: 15, call: false, bit: 2, jump: 2, next: 1 },
        { add: 5, mask: 15, call: false, bit: 1, jump: 0, next: 2 },
      ],
      trips: 9,
    };
    expect(irreducible(f)).toBe(true);
    translateToWasm(assemble(source(f)));
    expect(lastTranslationStats()).toEqual({ functions: 1, dispatched: 0 });
  });

  it("leaves a graph with more loops of two entries than splitting steps to the dispatcher, and agrees", () => {
    // `loops` loops {a, b} one after another, each entered at b when ctx[0] is its number mod 8, else at a (each a
    // retreating edge to a block that does not dominate it: split.ts: SPLIT_STEPS)
    const lines = ["mov %r0, 0", "ldxb %r2, [%r1+0]", "mov %r3, 0"];
    const chain = (loops: number) => {
      const out = [...lines];
      for (let k = 0; k < loops; k++) {
        out.push(`jeq %r2, ${k & 7}, b${k}`, `a${k}:`, "add %r0, 3", `jgt %r0, ${40 + k}, o${k}`, `b${k}:`);
        out.push("add %r0, 5", `jlt %r0, ${60 + k}, a${k}`, `o${k}:`, "add %r3, %r0", "mov %r0, 0");
      }
      out.push("mov %r0, %r3", "exit");
      return out.join("\n");
    };
    for (const [loops, dispatched] of [
      [8, 0],
      [40, 1],
    ]) {
      translateToWasm(assemble(chain(loops)));
      expect(lastTranslationStats(), `${loops} loops`).toEqual({ functions: 1, dispatched });
      for (const first of [0, 3]) {
        const input = { ctx: { bytes: context(first) } };
        expect(runOn(chain(loops), input, "wasm").out).toEqual(runOn(chain(loops), input, "interp").out);
      }
    }
  });

  it("agrees with the interpreter and the model on generated flows, with and without a budget", () => {
    let split = 0;
    let faults = 0;
    for (let seed = 1; seed <= 100; seed++) {
      const f = generate(seed);
      const code = assemble(source(f));
      translateToWasm(code);
      expect(lastTranslationStats().dispatched, `seed ${seed}`).toBe(0);
      if (irreducible(f)) split++;
      for (const first of [0, 1, 2]) {
        const input = { ctx: { bytes: context(first) } };
        const want = model(f, context(first));
        const w = runOn(source(f), input, "wasm");
        const i = runOn(source(f), input, "interp");
        const what = `seed ${seed}, ctx[0] ${first}`;
        expect(w.out, what).toEqual(i.out);
        if (want.pc !== undefined) {
          faults++;
          expect(w.out.pc, what).toBe(want.pc);
          expect(w.out.error, what).toMatch(/out-of-bounds read of 1 bytes/);
          continue;
        }
        expect(w.out.r0, what).toBe(want.r0);
        expect(w.out.executed, what).toBe(want.executed);
        for (const budget of [1, 2, Math.floor(want.executed! / 2), want.executed! - 1]) {
          if (budget < 1) continue;
          const wb = runOn(source(f), input, "wasm", budget);
          expect(wb.out, `${what}, budget ${budget}`).toEqual(runOn(source(f), input, "interp", budget).out);
          expect(wb.out.error).toMatch(/budget/);
        }
      }
    }
    console.log("SPLIT", split, faults);
    expect(split).toBeGreaterThan(40);
    expect(faults).toBeGreaterThan(5);
  });
});
