// Shared by the Wasm engine's tests of unchecked copies (counted loops, short searches, memarg offsets): one run of
// a program on the interpreter or the Wasm engine, its outcome in a form both engines must agree on, and whether
// the Wasm engine ran the copy without checks (its one-entry read cache still holds the stack it starts with: no
// access went through the checked path), and whether no store did (its write cache likewise).
import { expect } from "vitest";
import { assemble } from "../../src/tools/asm.js";
import { Runtime } from "../../src/runtime/runtime.js";
import { BpfFault } from "../../src/runtime/faults.js";
import { wasmEngine, wasmFallbackReason } from "../../src/engines/wasm.js";
import type { RunInput } from "../../src/runtime/runtime.js";
import { STATE, ST_WASM_CACHE, STACK_BASE } from "../../assembly/layout.js";

/** r0 and the instructions run, or the fault's message and instruction. */
export type Outcome = { r0?: bigint; executed?: number; error?: string; pc?: number };

/** Runs `source` once on `engine` (budget 0: none); on Wasm, also expects no fallback to the interpreter. */
export function runOn(
  source: string,
  input: RunInput,
  engine: "interp" | "wasm",
  budget = 0,
): { out: Outcome; unchecked: boolean; storesUnchecked: boolean } {
  const rt = new Runtime({ budget });
  const prog = rt.addProgram("p", assemble(source));
  let out: Outcome;
  try {
    const r = rt.run(prog, input, engine === "wasm" ? wasmEngine : engine);
    out = { r0: r.r0, executed: r.executed };
  } catch (e) {
    if (!(e instanceof BpfFault)) throw e;
    out = { error: e.message, pc: e.info.pc };
  }
  if (engine === "wasm") expect(wasmFallbackReason(prog)).toBeUndefined();
  const cache = (at: number) => rt.core.view.getBigUint64(STATE + ST_WASM_CACHE + at, true) === BigInt(STACK_BASE);
  return { out, unchecked: cache(0), storesUnchecked: cache(16) };
}

/**
 * Runs `source` on the interpreter and on the Wasm engine with `bytes` bytes of input (byte i is `byteAt(i)`) under
 * `budget`, expects the same outcome from both, and returns the Wasm engine's run.
 */
export function runBoth(source: string, bytes: number, byteAt: (i: number) => number, budget = 0) {
  const input: RunInput = { ctx: { bytes: Uint8Array.from({ length: bytes }, (_, i) => byteAt(i)) } };
  const wasm = runOn(source, input, "wasm", budget);
  expect(wasm.out, `${bytes} bytes, budget ${budget}`).toEqual(runOn(source, input, "interp", budget).out);
  return wasm;
}

/**
 * Runs `source` on the interpreter and then on the Wasm engine, one runtime each, once per budget of `budgets` (0:
 * none) in turn, each run on a fresh `input()`: the outcomes per engine, in the order of `budgets`.
 */
export function runAtBudgets(
  source: string,
  input: () => RunInput,
  budgets: number[],
): { interp: Outcome[]; wasm: Outcome[] } {
  const code = assemble(source);
  const res = { interp: [] as Outcome[], wasm: [] as Outcome[] };
  for (const engine of ["interp", "wasm"] as const) {
    const rt = new Runtime({});
    const prog = rt.addProgram("p", code);
    for (const budget of budgets) {
      rt.core.setBudget(budget);
      try {
        const r = rt.run(prog, input(), engine === "wasm" ? wasmEngine : engine);
        res[engine].push({ r0: r.r0, executed: r.executed });
      } catch (e) {
        if (!(e instanceof BpfFault)) throw e;
        res[engine].push({ error: e.message, pc: e.info.pc });
      }
    }
    if (engine === "wasm") expect(wasmFallbackReason(prog)).toBeUndefined();
  }
  return res;
}
