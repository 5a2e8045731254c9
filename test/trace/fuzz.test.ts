// The compiler under random and mutated input: every input either compiles or ends in one clean bpftrace-shaped
// error; no exception of another kind, no hang. The long run is `node scripts/fuzz-trace.mjs --count 100000`.
import { describe, expect, test } from "vitest";
import { fuzzInput, fuzzOne, Rng, SEED_SCRIPTS } from "../../src/trace/fuzz.js";
import { loadSync } from "../../src/api/object.js";
import { compile } from "../../src/trace/compile.js";

describe("trace: fuzzed compiler input", () => {
  test("the seed scripts compile and load", () => {
    for (const s of SEED_SCRIPTS) {
      const obj = loadSync(compile(s).object, { engine: "interp" });
      expect(obj.programs.size).toBeGreaterThan(0);
    }
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
