// Nested loops on the Wasm engine (assembly/wasm/nests.ts, translate.ts versioned): an outer loop whose test proves
// its inner loop's accesses over the trips of both, so that the inner loop runs in the outer copy without a test
// or a check of its own, also clang's rotated `for (i = 0; i + n <= len; i++)` around it. Generated nests (shared
// with the ARM32 engine's test): r0 and the instructions run, or the fault, its message and instruction, must be
// the interpreter's, and r0 (or the faulting load) the one computed here; budgets running out at every count over
// the first trips stop both engines at the same instruction. Which copy ran shows in the read cache (see
// test/support/wasm-runs.ts): a checked access leaves its region there.
import { describe, expect, it } from "vitest";
import binaryen from "binaryen";
import { assemble } from "../../../src/tools/asm.js";
import { translateToWasm } from "../../../src/engines/wasm.js";
import { runOn } from "../../support/wasm-runs.js";
import { rng } from "../../support/generated-runs.js";
import { STATE, ST_REGION_COUNT } from "../../../assembly/layout.js";
import { type Nest, MEMSEARCH, input, model, program, randomNest, reaching } from "../../support/nest-programs.js";

/** In the module's text: the read of the region table's count, which every search of the table starts with. */
const SEARCH = `(i32.load offset=${STATE + ST_REGION_COUNT}`;

const run = (source: string, bytes: Uint8Array, engine: "interp" | "wasm", budget = 0) =>
  runOn(source, { ctx: { bytes } }, engine, budget);

/** The Wasm run, after checking that its outcome is the interpreter's. */
function same(source: string, bytes: Uint8Array, budget = 0) {
  const w = run(source, bytes, "wasm", budget);
  expect(w.out, source).toEqual(run(source, bytes, "interp", budget).out);
  return w;
}

/** r0 as the model computes it, or the fault's instruction. */
function expectModel(p: Nest, data: Uint8Array, out: { r0?: bigint; error?: string; pc?: number }) {
  const shape = program(p);
  const m = model(p, data, shape);
  if (m.fault === undefined) expect(out.r0, shape.source).toBe(m.r0);
  else {
    expect(out.error, shape.source).toMatch(/out-of-bounds read of 1 bytes? at /);
    expect(out.pc, shape.source).toBe(m.fault);
  }
}

describe("an inner loop in the copy of the loop around it", () => {
  it("runs without a check: the outer loop's test proved its accesses (memsearch's shape, short searches)", () => {
    // mostly 'c': every search stops at its first byte, where a test of its own on each entry would not pay
    const data = new Uint8Array(200).fill(0x63);
    for (const p of [MEMSEARCH, { ...MEMSEARCH, outer: "counted" as const }, { ...MEMSEARCH, pointer: true }]) {
      const q = reaching(p, data.length, 0)!;
      const w = same(program(q).source, data);
      expectModel(q, data, w.out);
      expect(w.unchecked, program(q).source).toBe(true);
    }
  });

  it("an inner search the outer copy proved is not copied again for its budget (short searches: no test per entry)", () => {
    // its exit on the byte 0x62 (98) shows each copy of it: once in the outer loop's copy without checks, twice in
    // its checked copy (the inner loop's own test there picks one of two), once in the exact copy
    for (const p of [MEMSEARCH, { ...MEMSEARCH, outer: "counted" as const }]) {
      const m = binaryen.readBinary(translateToWasm(assemble(program(reaching(p, 200, 0)!).source)));
      expect(m.emitText().split("(i64.const 98)").length - 1).toBe(4);
      m.dispose();
    }
  });

  it("an inner loop of one block the outer copy proved is copied again for its budget alone, with no search", () => {
    // the fast function's searches of the region table: the nest's test (one load), the test of the inner loop in
    // the outer loop's checked copy, and the load's own check in the copies with checks; none in the outer copy
    // without checks, whose inner loop's test counts its trips for the budget only
    const p = reaching({ ...MEMSEARCH, early: -1, second: false }, 200, 0)!;
    const m = binaryen.readBinary(translateToWasm(assemble(program(p).source)));
    const fast = m
      .emitText()
      .split("\n (func ")
      .find((f) => f.includes(SEARCH))!;
    m.dispose();
    expect(fast.split(SEARCH).length - 1).toBe(3);
    const data = new Uint8Array(200).fill(0x63);
    const w = same(program(p).source, data);
    expectModel(p, data, w.out);
    expect(w.unchecked).toBe(true);
  });

  it("keeps the checks where the outer loop cannot prove them: an iv starting at a register, a bound it writes", () => {
    const data = new Uint8Array(200).fill(0x63);
    const p = reaching(MEMSEARCH, data.length, 0)!;
    const fromRegister = program(p).source.replace("mov %r6, 0\ninner:", "mov %r6, %r5\ninner:");
    const boundWritten = program(p).source.replace("mov %r6, 0\ninner:", `mov %r3, ${p.n}\nmov %r6, 0\ninner:`);
    for (const source of [fromRegister, boundWritten]) {
      const w = same(source, data);
      expect(w.out.r0).toBeDefined();
      expect(w.unchecked, source).toBe(false);
    }
  });
});

describe("generated nests against the interpreter and the values computed here", () => {
  it("ending inside the input, at its last byte, or one byte past it at the last outer trip", () => {
    const rand = rng(1313);
    let cases = 0;
    let faults = 0;
    let proved = 0;
    for (let k = 0; k < 400; k++) {
      const length = 16 + Math.floor(rand() * 48);
      const past = k % 3 === 2 ? -1 - Math.floor(rand() * 6) : k % 3;
      const p = reaching(randomNest(rand), length, past);
      if (!p) continue;
      const data = input(rand, length);
      const w = same(program(p).source, data);
      expectModel(p, data, w.out);
      cases++;
      if (w.out.error) faults++;
      else if (w.unchecked) proved++;
    }
    expect(cases).toBeGreaterThan(300);
    expect(faults).toBeGreaterThan(50);
    // inner loops whose searches leave early run unchecked only when a nest's test proved them
    expect(proved).toBeGreaterThan(cases / 6);
  });

  it("budgets running out at every count over the first trips: the interpreter's instruction", () => {
    const data = input(rng(77), 40);
    const shapes = [MEMSEARCH, { ...MEMSEARCH, outer: "counted" as const, b: 20 }, { ...MEMSEARCH, pointer: true }];
    let stopped = 0;
    for (const p of shapes) {
      const source = program(p).source;
      for (let budget = 1; budget <= 260; budget++) {
        const w = same(source, data, budget);
        if (w.out.error?.includes("budget")) stopped++;
      }
    }
    expect(stopped).toBeGreaterThan(shapes.length * 130);
  });
});
