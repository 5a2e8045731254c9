// A compressor's match search on the Wasm engine (assembly/wasm/nests.ts SEARCH): a window loop whose trips each run
// an inner loop with two exits, a data-dependent one (the bytes differ) and a counted one (the match reached its
// longest), the window loop leaving on `jeq q, B` (clang's rotated `for (q = p - W; q < p; q++)`). One test before the
// window loop proves the inner loop's accesses over all the trips of both (the inner loop runs in its copy with no
// test of its own; before, every entry tested its accesses, or gave up on the test after short matches and checked
// every load). r0 and the instructions run, or the fault, its message and instruction, must be the interpreter's,
// and r0 (or the faulting load) the one computed here; which copy ran shows in the read cache (test/support/
// wasm-runs.ts): a checked access leaves its region there. A window entered past its bound wraps around: it reads
// on until it faults, and must not take the copy without checks.
import { describe, expect, it } from "vitest";
import binaryen from "binaryen";
import { assemble } from "../../../src/tools/asm.js";
import { translateToWasm } from "../../../src/engines/wasm.js";
import { runOn } from "../../support/wasm-runs.js";
import { rng } from "../../support/generated-runs.js";
import { STATE, ST_REGION_COUNT } from "../../../assembly/layout.js";

interface Search {
  q0: number; // the window's first position
  b: number; // the window loop leaves when q reaches it (in r3, or a constant)
  p: number; // the position matched against (r2)
  longest: number; // the counted exit: the inner loop leaves when l reaches it
  counted: "jeq" | "jge"; // how the counted exit is written
  boundConst: boolean; // `jeq %r4, b` instead of `jeq %r4, %r3`
  off: number; // the loads' offsets
  off2: number;
}

/** The program, and the instruction indexes of its two loads. */
function program(s: Search): { source: string; load: number; load2: number } {
  const lines = [
    "mov %r0, 0",
    `mov %r2, ${s.p}`,
    `mov %r3, ${s.b}`,
    `mov %r4, ${s.q0}`,
    "ja entry",
    "next:",
    "add %r4, 1",
    s.boundConst ? `jeq %r4, ${s.b}, done` : "jeq %r4, %r3, done",
    "entry:",
    "mov %r7, %r1",
    "add %r7, %r4",
    "mov %r6, 0",
    "inner:",
    "mov %r8, %r7",
    "add %r8, %r6",
    `ldxb %r8, [%r8+${s.off}]`,
    "mov %r9, %r1",
    "add %r9, %r2",
    "add %r9, %r6",
    `ldxb %r9, [%r9+${s.off2}]`,
    "jne %r8, %r9, after",
    "add %r6, 1",
    `${s.counted} %r6, ${s.longest}, after`,
    "ja inner",
    "after:",
    "mul %r0, 31",
    "add %r0, %r6",
    "ja next",
    "done:",
    "exit",
  ];
  const index = (text: string) => lines.filter((l) => !l.endsWith(":")).findIndex((l) => l.startsWith(text));
  return { source: lines.join("\n"), load: index("ldxb %r8"), load2: index("ldxb %r9") };
}

const M64 = (1n << 64n) - 1n;
/** In the module's text: the read of the region table's count, which every search of the table starts with. */
const SEARCH = `(i32.load offset=${STATE + ST_REGION_COUNT}`;

/** r0 as the program computes it, or the instruction of the load that reads outside the input. */
function model(s: Search, data: Uint8Array, loads: { load: number; load2: number }): { r0?: bigint; fault?: number } {
  let r0 = 0n;
  const read = (at: number, insn: number) => {
    if (at >= data.length) throw new RangeError(String(insn));
    return data[at];
  };
  try {
    for (let q = s.q0; ; ) {
      let l = 0;
      while (read(q + l + s.off, loads.load) === read(s.p + l + s.off2, loads.load2) && ++l !== s.longest);
      r0 = (r0 * 31n + BigInt(l)) & M64;
      if (++q === s.b) return { r0 };
    }
  } catch (e) {
    if (e instanceof RangeError) return { fault: Number(e.message) };
    throw e;
  }
}

const run = (source: string, bytes: Uint8Array, engine: "interp" | "wasm") => runOn(source, { ctx: { bytes } }, engine);

/** The Wasm run, after checking that its outcome is the interpreter's and the model's. */
function checked(s: Search, data: Uint8Array) {
  const shape = program(s);
  const w = run(shape.source, data, "wasm");
  expect(w.out, shape.source).toEqual(run(shape.source, data, "interp").out);
  const m = model(s, data, shape);
  if (m.fault === undefined) expect(w.out.r0, shape.source).toBe(m.r0);
  else {
    expect(w.out.error, shape.source).toMatch(/out-of-bounds read of 1 bytes? at /);
    expect(w.out.pc, shape.source).toBe(m.fault);
  }
  return w;
}

const LZ: Search = { q0: 0, b: 64, p: 64, longest: 29, counted: "jeq", boundConst: false, off: 0, off2: 0 };

/** Bytes of a small alphabet: matches are mostly short, now and then as long as the counted exit allows. */
function text(rand: () => number, length: number, letters: number): Uint8Array {
  return Uint8Array.from({ length }, () => 0x61 + Math.floor(rand() * letters));
}

describe("a search with a counted and a data-dependent exit, in a window loop", () => {
  it("runs without a check or a test per entry when the window's test proves every trip's reach", () => {
    const rand = rng(11);
    for (const variant of [LZ, { ...LZ, counted: "jge" as const }, { ...LZ, boundConst: true }]) {
      // short matches (most end at the first byte): a test of the inner loop's own on each entry would give up
      const data = text(rand, 96, 16);
      const w = checked(variant, data);
      expect(w.out.r0).toBeDefined();
      expect(w.unchecked, program(variant).source).toBe(true);
    }
  });

  it("tests the whole window once, before its loop: its copy without checks holds the inner loop once, with no search", () => {
    const m = binaryen.readBinary(translateToWasm(assemble(program(LZ).source)));
    const text = m.emitText();
    m.dispose();
    // the fast function: the first with a search of the region table (a loop over it, reading its count)
    const fast = text.split("\n (func ").find((f) => f.includes(SEARCH))!;
    const at = (what: string) =>
      [...fast.matchAll(new RegExp(what.replace(/[()$]/g, "\\$&"), "g"))].map((x) => x.index!);
    const searches = at(SEARCH);
    const loops = at("(loop ").filter((l) => !fast.slice(l, l + 200).includes(SEARCH)); // the program's loops
    // the test's two searches, one per load, then the window's copy without checks (the window and the inner
    // loop), then its checked copy (the window, whose inner loop tests its own entries: a third search)
    expect(searches.length).toBeGreaterThan(2);
    expect(loops.filter((l) => l < searches[1]).length).toBe(0);
    expect(loops.filter((l) => l > searches[1] && l < searches[2]).length).toBe(3);
  });

  it("keeps the checks where the window cannot prove them: a window entered past its bound, a longest match past the input", () => {
    const rand = rng(12);
    const data = text(rand, 96, 2);
    // q0 > b: q never equals b before the loads leave the input
    const wraps = checked({ ...LZ, q0: 10, b: 5 }, data);
    expect(wraps.out.error).toBeDefined();
    expect(wraps.unchecked).toBe(false);
    // the last windows' longest matches reach past the input (but the data may end them first)
    const past = checked({ ...LZ, q0: 0, b: 70, p: 88 }, data);
    expect(past.unchecked).toBe(false);
  });

  it("budgets running out at every count over the first windows: the interpreter's instruction", () => {
    const data = text(rng(14), 96, 2);
    const source = program({ ...LZ, b: 8 }).source;
    let stopped = 0;
    for (let budget = 1; budget <= 300; budget++) {
      const w = runOn(source, { ctx: { bytes: data } }, "wasm", budget);
      expect(w.out, `budget ${budget}`).toEqual(runOn(source, { ctx: { bytes: data } }, "interp", budget).out);
      if (w.out.error?.includes("budget")) stopped++;
    }
    expect(stopped).toBeGreaterThan(150);
  });

  it("generated windows, matches and bounds: the interpreter's outcome and the one computed here", () => {
    const rand = rng(13);
    let faults = 0;
    let proved = 0;
    const cases = 300;
    for (let k = 0; k < cases; k++) {
      const length = 24 + Math.floor(rand() * 64);
      const s: Search = {
        q0: Math.floor(rand() * 24),
        b: Math.floor(rand() * length),
        p: Math.floor(rand() * length),
        longest: 1 + Math.floor(rand() * 12),
        counted: rand() < 0.5 ? "jeq" : "jge",
        boundConst: rand() < 0.3,
        off: Math.floor(rand() * 4),
        off2: Math.floor(rand() * 4),
      };
      const w = checked(s, text(rand, length, 1 + Math.floor(rand() * 3)));
      if (w.out.error) faults++;
      else if (w.unchecked) proved++;
    }
    expect(faults).toBeGreaterThan(cases / 10);
    expect(proved).toBeGreaterThan(cases / 5);
  });
});
