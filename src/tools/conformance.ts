// Runs the public eBPF conformance suite's test files on an engine: the same check the suite's own runner makes
// (r0 at exit against the expected result), without needing that runner.
import { readFileSync } from "node:fs";
import { basename } from "node:path";
import { parseConformanceTest, conformanceProgram } from "./conformance-data.js";
import { Runtime } from "../runtime/runtime.js";
import type { EngineName } from "../runtime/engines.js";

export { UNWIND_HELPER_ID } from "../runtime/runtime.js";

/** A runtime where helper 5 is the suite's unwind helper, on every engine (the arm32 one compiles it in). */
export function conformanceRuntime(): Runtime {
  return new Runtime({ conformance: true });
}

export interface ConformanceOutcome {
  name: string;
  pass: boolean;
  expected?: bigint;
  got?: bigint;
  error?: string;
}

/** Runs a program the way the suite does: r1 = input memory (0 when none), r2 = its length. */
export function runConformanceProgram(code: Uint8Array, mem: Uint8Array, engine: EngineName = "interp"): bigint {
  const rt = conformanceRuntime();
  const prog = rt.addProgram("program", code);
  return rt.run(prog, mem.length ? { ctx: { bytes: mem } } : {}, engine).r0;
}

export function runConformanceFile(path: string, engine: EngineName = "interp"): ConformanceOutcome {
  const name = basename(path, ".data");
  let expected: bigint | undefined;
  try {
    const test = parseConformanceTest(readFileSync(path, "utf8"), name);
    expected = test.result;
    const got = runConformanceProgram(conformanceProgram(test), test.mem, engine);
    if (test.error !== undefined) return { name, pass: false, expected, got, error: `expected error '${test.error}'` };
    return { name, pass: expected !== undefined && got === expected, expected, got };
  } catch (e) {
    return { name, pass: false, expected, error: e instanceof Error ? e.message : String(e) };
  }
}
