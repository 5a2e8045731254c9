// Differential runs: one generated program on every selected engine and on the reference evaluator, with the
// same input, compared on r0, the input buffer afterwards, the fault text (which names the instruction) and the
// executed-instruction count where an engine reports one.
import { Runtime, type LinkedProgram } from "../runtime/runtime.js";
import { BpfFault } from "../runtime/faults.js";
import { engineNames } from "../runtime/engines.js";
import { STACK_BASE } from "../../assembly/layout.js";
import { disassemble } from "../tools/disasm.js";
import { evaluate } from "./reference.js";
import { generate, type FuzzProgram, type GenerateOptions } from "./generate.js";

/** What one engine did with one program. */
export interface Outcome {
  engine: string;
  r0?: bigint;
  /** The fault text without the program name, e.g. "out-of-bounds read of 4 bytes at context+0xc (instruction 7)". */
  error?: string;
  /** Instructions executed on success; undefined when the engine does not count them. */
  executed?: number;
  /** The input buffer after the run; undefined when the engine does not give it back. */
  input?: Uint8Array;
}

/** An engine outside the Runtime (for example ARM32 code under qemu-arm): runs one program, reports what it did. */
export type Runner = (p: FuzzProgram) => Outcome;

export interface Mismatch {
  seed: number;
  program: FuzzProgram;
  outcomes: Outcome[];
  /** What differs, one line per difference. */
  differences: string[];
  /** The generator options the program was made with (needed to replay it). */
  options?: GenerateOptions;
}

/** The reference evaluator's name in outcomes. */
export const REFERENCE = "reference";

const PROGRAM_NAME = "fuzz";

/**
 * Runs programs on engines of a Runtime. A Runtime holds at most a few hundred programs, so a fresh one is made
 * every `recycle` programs.
 */
export class EngineHarness {
  private rt: Runtime | undefined;
  private loaded = 0;

  constructor(
    readonly engines: string[],
    private runners: Record<string, Runner> = {},
    private recycle = 200,
  ) {
    const known = new Set(engineNames());
    for (const e of engines)
      if (e !== REFERENCE && !known.has(e) && !runners[e]) {
        throw new Error(`engine '${e}' is not available here (available: ${[...known].join(", ")})`);
      }
  }

  private runtime(): Runtime {
    if (!this.rt || this.loaded >= this.recycle) {
      this.rt = new Runtime();
      this.loaded = 0;
    }
    this.loaded++;
    return this.rt;
  }

  /** Runs `p` on every engine (and the reference when listed); returns one outcome each. */
  run(p: FuzzProgram): Outcome[] {
    const rt = this.runtime();
    let prog: LinkedProgram | undefined;
    const outcomes: Outcome[] = [];
    for (const engine of this.engines) {
      if (engine === REFERENCE) {
        // The input lands at the same address for every run of this Runtime (see Runtime.prepare).
        const { r1 } = rt.prepare({ ctx: { bytes: p.input } });
        const ref = evaluate(p.code, p.input, { inputAddr: Number(r1), stackBase: STACK_BASE, budget: p.budget });
        outcomes.push({
          engine,
          r0: ref.r0,
          error: ref.error,
          executed: ref.error ? undefined : ref.executed,
          input: ref.input,
        });
        continue;
      }
      const runner = this.runners[engine];
      if (runner) {
        outcomes.push(runner(p));
        continue;
      }
      prog ??= rt.addProgram(PROGRAM_NAME, p.code);
      outcomes.push(runOnEngine(rt, prog, p, engine));
    }
    return outcomes;
  }
}

function runOnEngine(rt: Runtime, prog: LinkedProgram, p: FuzzProgram, engine: string): Outcome {
  rt.core.setBudget(p.budget);
  const { r1 } = rt.prepare({ ctx: { bytes: p.input } });
  // ARM32 code keeps its memory in another process; its fault lines name addresses by region, as the core's do.
  const out: Outcome = { engine };
  try {
    const r = rt.run(prog, { ctx: { bytes: p.input } }, engine as "interp");
    out.r0 = r.r0;
    // Every program executes at least its exit: a count of 0 means the engine does not count.
    out.executed = r.executed > 0 ? r.executed : undefined;
  } catch (e) {
    if (e instanceof BpfFault) out.error = e.message.slice(PROGRAM_NAME.length + 2);
    else out.error = `host error: ${e instanceof Error ? e.message : String(e)}`;
  }
  // The ARM32 engine runs in its own process and does not hand its memory back: only r0 and faults compare.
  const addr = Number(r1);
  out.input = engine === "arm32" ? undefined : rt.core.memory.slice(addr, addr + p.input.length);
  return out;
}

const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");
const show = (o: Outcome) => (o.error !== undefined ? `fault '${o.error}'` : `r0 = 0x${o.r0!.toString(16)}`);

/** Differences between the first outcome and each other one; empty when they all agree. */
export function compareOutcomes(outcomes: Outcome[]): string[] {
  const diffs: string[] = [];
  const [a, ...rest] = outcomes;
  for (const b of rest) {
    // The full fault text: every engine names an address after the region it was nearest to (fault-location.ts).
    if (a.error !== b.error || a.r0 !== b.r0) diffs.push(`${a.engine}: ${show(a)}; ${b.engine}: ${show(b)}`);
    const ai = a.input,
      bi = b.input;
    if (ai && bi && hex(ai) !== hex(bi)) {
      const at = ai.findIndex((x, i) => x !== bi[i]);
      diffs.push(
        `input after the run differs from byte ${at}: ${a.engine} ${hex(ai.subarray(at, at + 16))}, ` +
          `${b.engine} ${hex(bi.subarray(at, at + 16))}`,
      );
    }
    if (a.executed !== undefined && b.executed !== undefined && a.executed !== b.executed) {
      diffs.push(`executed instructions: ${a.engine} ${a.executed}, ${b.engine} ${b.executed}`);
    }
  }
  return diffs;
}

export interface FuzzRunOptions extends GenerateOptions {
  engines: string[];
  /** First seed; program i uses seed + i. */
  seed: number;
  /** Stop after this many programs ... */
  programs?: number;
  /** ... or after this many milliseconds, whichever comes first. */
  millis?: number;
  /** Stop at the first mismatch (default true). */
  stopAtFirst?: boolean;
}

export interface FuzzSummary {
  programs: number;
  faulted: number; // programs that ended in a fault (on the first engine)
  executed: number; // instructions executed in total (first engine, successful runs)
  mismatches: Mismatch[];
  millis: number;
}

/** Generates and compares programs seed, seed + 1, ... */
export function fuzz(options: FuzzRunOptions, runners: Record<string, Runner> = {}): FuzzSummary {
  const harness = new EngineHarness(options.engines, runners);
  const start = Date.now();
  const summary: FuzzSummary = { programs: 0, faulted: 0, executed: 0, mismatches: [], millis: 0 };
  for (let i = 0; ; i++) {
    if (options.programs !== undefined && i >= options.programs) break;
    if (options.millis !== undefined && Date.now() - start >= options.millis) break;
    const seed = (options.seed + i) >>> 0;
    const program = generate(seed, options);
    const outcomes = harness.run(program);
    summary.programs++;
    if (outcomes[0].error !== undefined) summary.faulted++;
    else summary.executed += outcomes[0].executed ?? 0;
    const differences = compareOutcomes(outcomes);
    if (differences.length) {
      summary.mismatches.push({ seed, program, outcomes, differences, options });
      if (options.stopAtFirst ?? true) break;
    }
  }
  summary.millis = Date.now() - start;
  return summary;
}

/** A failing seed as a report: what differs, how to replay it, the program and its input. */
export function describeMismatch(m: Mismatch, engines: string[]): string {
  const lines = [
    `seed ${m.seed}: engines disagree`,
    ...m.differences.map((d) => `  ${d}`),
    `replay: npm run fuzz -- --seed ${m.seed} --count 1 --engines ${engines.join(",")}` +
      (m.options?.inheritRegisters ? " --inherit-registers" : ""),
    `budget ${m.program.budget}${m.program.planted ? `, planted fault: ${m.program.planted}` : ""}`,
    `input (${m.program.input.length} bytes): ${hex(m.program.input)}`,
    "program:",
    ...numbered(m.program.code),
  ];
  return lines.join("\n");
}

function numbered(code: Uint8Array): string[] {
  const text = disassemble(code).trimEnd().split("\n");
  const out: string[] = [];
  let slot = 0;
  for (const line of text) {
    out.push(`  ${String(slot).padStart(4)}: ${line}`);
    slot += line.startsWith("lddw") ? 2 : 1;
  }
  return out;
}
