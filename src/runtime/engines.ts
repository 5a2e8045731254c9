// Engines run linked programs. They share the core's memory, maps and fault reporting, so that they agree on
// every program: the interpreter is the reference, the translators must match it.
import type { Runtime, LinkedProgram } from "./runtime.js";

export type EngineName = "interp" | "wasm" | "arm32";

export interface Engine {
  readonly name: EngineName;
  /** Runs `prog` with r1, r2; returns r0. Faults are left in the core's state for the runtime to report. */
  run(rt: Runtime, prog: LinkedProgram, r1: bigint, r2: bigint): bigint;
  /**
   * Why this engine runs `prog` on the interpreter instead (known once it has tried: the Wasm engine, when V8
   * will not compile the translation), or undefined. Results never differ, only speed, so a front end says so.
   */
  fallbackReason?(prog: LinkedProgram): string | undefined;
}

export const interpreter: Engine = {
  name: "interp",
  run: (rt, prog, r1, r2) => BigInt.asUintN(64, rt.core.x.run(prog.id, r1, r2)),
};

const engines = new Map<string, Engine>([["interp", interpreter]]);

export function registerEngine(e: Engine): void {
  engines.set(e.name, e);
}

export function engineByName(name: string): Engine {
  const e = engines.get(name === "auto" ? bestEngine() : name);
  if (!e) throw new Error(`unknown engine '${name}' (available: ${[...engines.keys()].join(", ")}, auto)`);
  return e;
}

/** The fastest engine available here. */
export function bestEngine(): EngineName {
  return engines.has("wasm") ? "wasm" : "interp";
}

export function engineNames(): string[] {
  return [...engines.keys()];
}
