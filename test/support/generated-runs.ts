// Shared by the ARM32 tests that generate programs and check them against a model written in the test: the
// generator's random numbers, and each case's r0 (or fault) from the model, the interpreter and the ARM32
// executable, side by side.
import { assemble } from "../../src/tools/asm.js";
import { Runtime } from "../../src/runtime/runtime.js";
import { BpfFault, describeFault } from "../../src/runtime/faults.js";
import { runArm32Async } from "../../src/engines/arm32/build.js";
import { limited } from "./arm32.js";
import { randomSource } from "../../bench/program-inputs.mjs";

const M64 = (1n << 64n) - 1n;

/** How every engine and the model state a result: r0 as a 64-bit hex number. */
export const r0Is = (v: bigint) => `r0 = 0x${(v & M64).toString(16)}`;

/** Uniform in [0, 1): the bench inputs' xorshift32. */
export function rng(seed: number): () => number {
  const next = randomSource(seed);
  return () => next() / 2 ** 32;
}

/** A uniform 32-bit word from `rand` (rng above), as 8 hex digits: halves of lddw constants. */
export function hexWord(rand: () => number): string {
  return Math.floor(rand() * 2 ** 32)
    .toString(16)
    .padStart(8, "0");
}

/** A generated program and the context bytes it runs on (r1 = their address). */
export interface Shape {
  source: string;
  input: Uint8Array;
}

/** A program over `length` random bytes drawn from `seed`: the input of a generated loop shape. */
export function randomInputShape(source: string, length: number, seed: number): Shape {
  const rand = rng(seed);
  const input = new Uint8Array(length);
  for (let k = 0; k < input.length; k++) input[k] = Math.floor(rand() * 256);
  return { source, input };
}

export interface Case {
  name: string;
  shape: Shape;
  budget: number;
}

/** r0 on the interpreter with `input` as the context, or the fault's message. */
function interpret(code: Uint8Array, input: Uint8Array, budget: number): string {
  const rt = new Runtime({ budget });
  try {
    return r0Is(rt.run(rt.addProgram("program", code), { ctx: { bytes: input.slice() } }).r0);
  } catch (e) {
    if (!(e instanceof BpfFault)) throw e;
    return describeFault(e.info);
  }
}

/**
 * r0 in decimal on the interpreter with `budget` (0: none) and a copy of `input` as the context; or the fault's
 * message without the program's name: how the ARM32 loop tests state the interpreter's outcome next to the
 * executable's.
 */
export function interpreterOutcome(code: Uint8Array, input: Uint8Array, budget = 0): string {
  const rt = new Runtime({ budget });
  try {
    return `r0 = ${rt.run(rt.addProgram("p", code), { ctx: { bytes: input.slice() } }).r0}`;
  } catch (e) {
    if (!(e instanceof BpfFault)) throw e;
    return describeFault(e.info);
  }
}

/** Each case's outcome from the model, the interpreter and the ARM32 executable (two qemu-arm runs at a time). */
export async function outcomes(cases: Case[], model: (source: string, input: Uint8Array, budget: number) => string) {
  return limited(
    cases.map((c) => async () => {
      const code = assemble(c.shape.source);
      const r = await runArm32Async(code, c.shape.input, { budget: c.budget });
      return {
        name: c.name,
        model: model(c.shape.source, c.shape.input, c.budget),
        interp: interpret(code, c.shape.input, c.budget),
        arm32: "r0" in r ? r0Is(r.r0) : r.fault,
      };
    }),
  );
}

export type Outcome = Awaited<ReturnType<typeof outcomes>>[number];

/**
 * The runs that disagree with a model stating faults by instruction: on r0, or where the model faults, the
 * interpreter's fault not at the model's instruction or the ARM32 executable's fault not the interpreter's.
 */
export function disagreeingAtInstruction(results: Outcome[]): Outcome[] {
  return results.filter((r) => {
    if (r.model.startsWith("r0 = ")) return r.arm32 !== r.model || r.interp !== r.model;
    const at = /instruction (\d+)/.exec(r.model)![1];
    return r.arm32 !== r.interp || !new RegExp(`instruction ${at}\\b`).test(r.interp);
  });
}

/** 24 seeded walks from `generate`: a budget on every third, running past the input's end on seeds 2 mod 5. */
export function walkCases(generate: (seed: number, pastEnd: boolean) => Shape): Case[] {
  const cases: Case[] = [];
  for (let seed = 1; seed <= 24; seed++) {
    const budget = seed % 3 === 0 ? 1_000_000 : 0;
    cases.push({ name: `seed ${seed}`, shape: generate(seed, seed % 5 === 2), budget });
  }
  return cases;
}
