// The differential fuzzer: a seeded generator of valid programs, an independent reference evaluator, and a
// harness that runs both on the engines and compares what they did. `scripts/fuzz.mjs` is its command line.
export { generate, DEFAULT_BUDGET, type FuzzProgram, type GenerateOptions } from "./generate.js";
export { evaluate, Unsupported, type ReferenceOptions, type ReferenceResult } from "./reference.js";
export {
  EngineHarness,
  compareOutcomes,
  describeMismatch,
  fuzz,
  REFERENCE,
  type Outcome,
  type Runner,
  type Mismatch,
  type FuzzRunOptions,
  type FuzzSummary,
} from "./compare.js";
export { Random } from "./random.js";
