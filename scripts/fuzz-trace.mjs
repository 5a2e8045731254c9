#!/usr/bin/env node
// Long fuzz run of the trace compiler (needs `npm run build`): random bytes, random tokens and mutated valid
// scripts; every input must compile or end in one clean bpftrace-shaped error.
//
//   node scripts/fuzz-trace.mjs [--count 100000] [--seed N]
import { fuzzInput, fuzzOne, Rng } from "../dist/src/trace/fuzz.js";

const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const count = arg("count", 100000);
const seed = arg("seed", 1);
const rng = new Rng(seed);
let compiled = 0;
let crashes = 0;
const start = Date.now();
for (let i = 0; i < count; i++) {
  const input = fuzzInput(rng);
  const r = fuzzOne(input);
  if (r.compiled) compiled++;
  if (r.crash) {
    crashes++;
    if (crashes <= 20) console.log(`CRASH ${JSON.stringify(input)}: ${r.crash}`);
  }
}
console.log(
  `${count} inputs (seed ${seed}): ${compiled} compiled, ${count - compiled - crashes} clean errors, ${crashes} crashes, ${((Date.now() - start) / 1000).toFixed(1)} s`,
);
process.exit(crashes ? 1 : 0);
