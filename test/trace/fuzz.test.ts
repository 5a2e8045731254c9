// The compiler under random and mutated input: every input either compiles or ends in one clean bpftrace-shaped
// error; no exception of another kind, no hang. The long run is `node scripts/fuzz-trace.mjs --count 100000`.
import { describe, expect, test } from "vitest";
import { fuzzInput, fuzzOne, Rng, SEED_SCRIPTS } from "../../src/trace/fuzz.js";
import { loadSync } from "../../src/api/object.js";
import { compile } from "../../src/trace/compile.js";
import { Trace } from "../../src/trace/runtime.js";
import { TraceError } from "../../src/trace/errors.js";
import { loadEngines } from "../../src/runtime/engine-loader.js";

/** Every kind of probe once: BEGIN, a TCP frame, probe:open with arguments, five seconds of intervals, END. */
function exercise(source: string, engine: "interp" | "wasm"): string {
  let out = "";
  const t = new Trace(compile(source), { engine, out: (s) => (out += s) });
  const frame = new Uint8Array(80);
  frame.set([8, 0, 0x45], 12);
  frame[23] = 6;
  t.begin(0n);
  t.packet(frame, 1_000n);
  t.fire("open", 1, 2, 3, 4, 5, 6);
  t.advance(5_000_000_000n);
  t.finish(5_000_000_000n);
  return out;
}

describe("trace: fuzzed compiler input", () => {
  test("the seed scripts compile and load", () => {
    for (const s of SEED_SCRIPTS) {
      const obj = loadSync(compile(s).object, { engine: "interp" });
      expect(obj.programs.size).toBeGreaterThan(0);
    }
  });
  test("the scripts that compile run on interp and wasm with the same output", async () => {
    await loadEngines();
    const rng = new Rng(77);
    let ran = 0;
    for (let i = 0; i < 20000 && ran < 150; i++) {
      const input = fuzzInput(rng);
      if (input.includes("rand")) continue; // the one builtin whose value differs between runs
      try {
        compile(input);
      } catch (e) {
        if (e instanceof TraceError) continue;
        throw e;
      }
      expect(exercise(input, "wasm"), input).toBe(exercise(input, "interp"));
      ran++;
    }
    expect(ran).toBe(150);
  });
  test("4,000 random and mutated scripts: clean errors only", () => {
    const rng = new Rng(20260101);
    let compiled = 0;
    const crashes: string[] = [];
    for (let i = 0; i < 4000; i++) {
      const input = fuzzInput(rng);
      const r = fuzzOne(input);
      if (r.crash) crashes.push(`${JSON.stringify(input)}: ${r.crash}`);
      if (r.compiled) compiled++;
    }
    expect(crashes).toEqual([]);
    // the mutations must leave some scripts valid, or only the parser's first checks are being exercised
    expect(compiled).toBeGreaterThan(40);
  });
});
