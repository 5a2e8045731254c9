#!/usr/bin/env node
// Differential fuzzing from the command line: random valid programs on several engines, compared on r0, the input
// memory afterwards, the fault text and the executed-instruction count. Runs the compiled host code in dist/
// (`npm run build` first).
//
//   npm run fuzz -- [--seconds N] [--count N] [--seed S] [--engines reference,interp,wasm,arm32] [--keep-going]
//
// --seconds   stop after N seconds (default 10 unless --count is given)
// --count     stop after N programs
// --seed      first seed (default: from the clock, printed); program i uses seed + i, so a failing program is
//             replayed with `--seed <its seed> --count 1`
// --engines   engines to compare, the first one being the baseline. `reference` is the BigInt evaluator in
//             src/fuzz/reference.ts; `arm32` runs each program under qemu-arm (slow: a process per program, and it
//             reports neither the memory afterwards nor a count). Default: reference plus every engine registered.
// --keep-going  report every failing seed instead of stopping at the first
// --inherit-registers  also let subprograms read r0/r6-r9 as their caller left them and callers read r1-r5 as the
//             callee left them (programs the kernel's verifier refuses; tinybpf's interpreter passes them through)
//
// Exit status: 0 when all engines agreed on every program, 1 on a mismatch, 2 on bad arguments.
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
const DIST = join(ROOT, "dist", "src");

function usage(message) {
  if (message) console.error(`fuzz: ${message}`);
  console.error(
    "usage: npm run fuzz -- [--seconds N] [--count N] [--seed S] [--engines a,b,...] [--keep-going] " +
      "[--inherit-registers]",
  );
  process.exit(2);
}

function parseArgs(argv) {
  const opts = { keepGoing: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      if (i + 1 >= argv.length) usage(`${a} needs a value`);
      return argv[++i];
    };
    const number = () => {
      const v = Number(value());
      if (!Number.isFinite(v) || v < 0) usage(`${a} needs a non-negative number`);
      return v;
    };
    if (a === "--seconds") opts.seconds = number();
    else if (a === "--count") opts.count = Math.floor(number());
    else if (a === "--seed") opts.seed = Math.floor(number()) >>> 0;
    else if (a === "--engines")
      opts.engines = value()
        .split(",")
        .map((s) => s.trim())
        .filter(Boolean);
    else if (a === "--keep-going") opts.keepGoing = true;
    else if (a === "--inherit-registers") opts.inheritRegisters = true;
    else if (a === "--help" || a === "-h") usage();
    else usage(`unknown argument '${a}'`);
  }
  return opts;
}

async function load(rel) {
  const path = join(DIST, rel);
  if (!existsSync(path)) return undefined;
  return import(pathToFileURL(path).href);
}

/**
 * ARM32 code under qemu-arm, as a fuzzer runner (its memory lives in another process; faults name regions). A
 * translation that grew the translator's heap over its passes counts as an error.
 */
function arm32Runner(arm32) {
  return (p) => {
    const out = { engine: "arm32" };
    try {
      const r = arm32.runArm32(p.code, p.input, { budget: p.budget });
      if ("fault" in r) out.error = r.fault.replace(/^[^:]*: (?=.*\(instruction \d+\)$)/, "");
      else out.r0 = BigInt.asUintN(64, r.r0);
      // a translator allocating while it emits grows its heap at every pass, towards its label table
      const growth = arm32.lastTranslationHeapGrowth();
      if (growth !== 0) out.error = `translator heap grew by ${growth} bytes during its passes`;
    } catch (e) {
      out.error = `host error: ${e instanceof Error ? e.message : String(e)}`;
    }
    return out;
  };
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const fuzzer = await load("fuzz/index.js");
  const engines = await load("runtime/engines.js");
  if (!fuzzer || !engines) {
    console.error(`fuzz: ${DIST} is missing or incomplete: run 'npm run build' first`);
    process.exit(2);
  }
  // Engines other than the interpreter register themselves when their module is loaded.
  try {
    const loader = await load("runtime/engine-loader.js");
    if (loader) await loader.loadEngines();
    else await load("engines/wasm.js");
  } catch (e) {
    console.error(`fuzz: an optional engine did not load: ${e instanceof Error ? e.message : e}`);
  }
  const runners = {};
  const wanted = opts.engines ?? [fuzzer.REFERENCE, ...engines.engineNames()];
  if (wanted.includes("arm32") && !engines.engineNames().includes("arm32")) {
    const arm32 = await load("engines/arm32/build.js");
    if (!arm32) usage("the arm32 engine is not built (dist/src/engines/arm32/build.js)");
    runners.arm32 = arm32Runner(arm32);
  }
  if (wanted.length < 2) usage("name at least two engines to compare");

  const seed = opts.seed ?? Date.now() >>> 0;
  const seconds = opts.seconds ?? (opts.count === undefined ? 10 : undefined);
  console.log(
    `fuzzing ${wanted.join(" vs ")}, first seed ${seed}` +
      (opts.count !== undefined ? `, ${opts.count} programs` : "") +
      (seconds !== undefined ? `, ${seconds} s` : ""),
  );

  let summary;
  try {
    summary = fuzzer.fuzz(
      {
        engines: wanted,
        seed,
        programs: opts.count,
        millis: seconds === undefined ? undefined : seconds * 1000,
        stopAtFirst: !opts.keepGoing,
        inheritRegisters: opts.inheritRegisters,
      },
      runners,
    );
  } catch (e) {
    console.error(`fuzz: ${e instanceof Error ? e.message : e}`);
    process.exit(2);
  }
  for (const m of summary.mismatches) console.log("\n" + fuzzer.describeMismatch(m, wanted));
  const rate = summary.programs / Math.max(summary.millis / 1000, 1e-3);
  console.log(
    `\n${summary.programs} programs in ${(summary.millis / 1000).toFixed(1)} s (${rate.toFixed(0)}/s), ` +
      `${summary.faulted} ended in a fault, ${summary.executed} instructions executed by the others; ` +
      `${summary.mismatches.length ? `${summary.mismatches.length} mismatch(es)` : "all engines agreed"}`,
  );
  process.exit(summary.mismatches.length ? 1 : 0);
}

await main();
