#!/usr/bin/env node
// Compute kernels on every engine, next to the same algorithm in plain JavaScript and in C (gcc -O2), in one run.
//
//   npm run bench                       (builds first, then: node bench/run.mjs [options])
//   node bench/run.mjs [--min-ms N] [--kernels prime,crc32] [--no-native]
//
// --min-ms     time each measurement for at least N ms (default 500); more is steadier on a busy machine
// --kernels    only these kernels (default: all of bench/kernels.mjs)
// --no-native  skip the C baseline (it needs gcc)
//
// bench/ubpf-kernels.mjs puts the interpreter next to uBPF's interpreter on the same bytecode (UBPF_DIR=... to enable).
//
// For every kernel: the eBPF version (bench/kernels/NAME.s) runs on each engine the Runtime has (the interpreter,
// and "wasm" when that engine is available), the JavaScript version in this process, the C version (bench/native.c,
// built with gcc -O2 into a temporary directory) in a subprocess that times its own loop. Every engine's r0 and the
// C result must equal the JavaScript result, or the kernel is reported as a mismatch and not timed.
//
// Each measurement starts with untimed warm-up runs: V8 compiles Wasm (the core, and translated programs) and
// JavaScript in tiers, and a function reaches its optimised tier only on a later call. Times are the mean per run
// over at least --min-ms; every run includes copying the input into place (the runtime does that, and so do the JS
// and C versions for the kernels that write their input). "ns/insn" divides a run's time by the eBPF instructions
// the interpreter counted for it, also for JS and C (what the same work costs per eBPF instruction there).
//
// Next to gcc, a translated loop still carries V8's interrupt check (once per iteration, or per unrolled group),
// the instruction budget's compare and subtract, and a 32-bit wrap of each 64-bit eBPF address before the Wasm
// access; a loop the translator does not recognise as counted (assembly/wasm/hoist.ts) also checks each access
// against its region cache. The machine is often shared: compare ratios from one run, and repeat
// (--kernels sieve,memcpy to time only those).
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { parseBenchArgs } from "./args.mjs";
import { KERNELS } from "./kernels.mjs";
import { BENCH_DIR as HERE, loadDist as load, requireBuilt, table } from "./support.mjs";
const WARMUP_RUNS = 3;

function parseArgs(argv) {
  return parseBenchArgs("run", argv, {
    usage: "usage: node bench/run.mjs [--min-ms N] [--kernels a,b] [--no-native]",
    defaults: { minMs: 500, kernels: undefined, native: true },
    flags: { "--min-ms": ["minMs", "positive"], "--kernels": ["kernels", "list"], "--no-native": ["native", false] },
    kernels: KERNELS.map((k) => k.name),
  });
}

/** Mean ms per call of `fn` over at least minMs (and 3 calls), after warm-up calls. */
function time(fn, minMs) {
  for (let i = 0; i < WARMUP_RUNS; i++) fn();
  let runs = 0;
  const start = process.hrtime.bigint();
  let elapsed = 0;
  do {
    fn();
    runs++;
    elapsed = Number(process.hrtime.bigint() - start) / 1e6;
  } while (elapsed < minMs || runs < 3);
  return elapsed / runs;
}

function buildNative(dir) {
  const exe = join(dir, "native");
  execFileSync("gcc", ["-O2", "-o", exe, join(HERE, "native.c")], { stdio: ["ignore", "ignore", "inherit"] });
  return exe;
}

function runNative(exe, dir, kernel, input, minMs) {
  const file = join(dir, `${kernel.name}.bin`);
  writeFileSync(file, input);
  const out = execFileSync(exe, [kernel.name, file, String(minMs)], { encoding: "utf8" })
    .trim()
    .split(/\s+/);
  return { r0: BigInt(out[0]), ms: Number(out[1]) / 1e6 };
}

const fmtMs = (ms) => (ms === undefined ? "-" : ms >= 100 ? ms.toFixed(0) : ms >= 10 ? ms.toFixed(1) : ms.toFixed(2));
const fmtNs = (ns) => (ns === undefined ? "-" : ns >= 10 ? ns.toFixed(1) : ns.toFixed(2));
const ratio = (a, b) => (a === undefined || b === undefined ? "-" : (a / b).toFixed(1) + "x");

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const runtimeMod = await load("runtime/runtime.js");
  const enginesMod = await load("runtime/engines.js");
  const asm = await load("tools/asm.js");
  requireBuilt(runtimeMod, enginesMod, asm);
  const loader = await load("runtime/engine-loader.js");
  try {
    if (loader) await loader.loadEngines();
    else await load("engines/wasm.js");
  } catch (e) {
    console.error(`bench: an optional engine did not load: ${e instanceof Error ? e.message : e}`);
  }
  // Engines whose wall time means something here (ARM32 code runs under an emulator on this machine).
  const engines = ["interp", "wasm"].filter((e) => enginesMod.engineNames().includes(e));

  let nativeDir, nativeExe;
  if (opts.native) {
    try {
      nativeDir = mkdtempSync(join(tmpdir(), "tinybpf-bench-"));
      nativeExe = buildNative(nativeDir);
    } catch (e) {
      console.error(`bench: cannot build the C baseline (${e instanceof Error ? e.message : e}); going on without it`);
      nativeExe = undefined;
    }
  }

  console.log(
    `tinybpf bench: node ${process.version} (V8 ${process.versions.v8}), ${cpus()[0]?.model ?? "unknown CPU"}, ` +
      `${cpus().length} CPUs`,
  );
  console.log(`engines: ${engines.join(", ")}; baselines: JavaScript${nativeExe ? ", C (gcc -O2)" : ""}`);
  console.log(
    `each figure: ${WARMUP_RUNS} untimed warm-up runs (V8 tiers: Liftoff/Sparkplug first, TurboFan on later ` +
      `calls), then the mean of at least ${opts.minMs} ms of runs\n`,
  );

  const kernels = KERNELS.filter((k) => !opts.kernels || opts.kernels.includes(k.name));
  const header = ["kernel", "eBPF insns"];
  for (const e of engines) header.push(`${e} ms`, `${e} ns/insn`);
  header.push("JS ms", "JS ns/insn");
  if (nativeExe) header.push("gcc ms", "gcc ns/insn");
  for (const e of engines) header.push(`${e}/JS`);
  if (nativeExe) for (const e of engines) header.push(`${e}/gcc`);
  const rows = [header];
  const notes = [];
  let failed = false;

  for (const k of kernels) {
    const code = asm.assemble(readFileSync(join(HERE, "kernels", `${k.name}.s`), "utf8"));
    const input = k.input();
    const expected = k.js(input.slice());
    const rt = new runtimeMod.Runtime({ budget: 0 });
    const prog = rt.addProgram(k.name, code);
    const ctx = { ctx: { bytes: input } };

    // Results first: every engine and the C version must agree with JavaScript before anything is timed.
    const first = rt.run(prog, ctx, "interp");
    const insns = first.executed;
    const problems = [];
    for (const e of engines) {
      const r = rt.run(prog, ctx, e);
      if (r.r0 !== expected) problems.push(`${e} r0 = 0x${r.r0.toString(16)}`);
      else if (r.executed && r.executed !== insns)
        notes.push(`${k.name}: ${e} counted ${r.executed} instructions, interp ${insns}`);
    }
    let native;
    if (nativeExe) {
      native = runNative(nativeExe, nativeDir, k, input, opts.minMs);
      if (native.r0 !== expected) problems.push(`C = 0x${native.r0.toString(16)}`);
    }
    if (problems.length) {
      failed = true;
      notes.push(`${k.name}: MISMATCH, JavaScript = 0x${expected.toString(16)}, ${problems.join(", ")} (not timed)`);
      continue;
    }

    const ms = {};
    for (const e of engines) ms[e] = time(() => rt.run(prog, ctx, e), opts.minMs);
    const jsRun = k.fresh ? () => k.js(input.slice()) : () => k.js(input);
    ms.js = time(jsRun, opts.minMs);
    ms.gcc = native?.ms;
    const ns = (t) => (t === undefined ? undefined : (t * 1e6) / insns);

    const row = [k.name, insns.toLocaleString("en")];
    for (const e of engines) row.push(fmtMs(ms[e]), fmtNs(ns(ms[e])));
    row.push(fmtMs(ms.js), fmtNs(ns(ms.js)));
    if (nativeExe) row.push(fmtMs(ms.gcc), fmtNs(ns(ms.gcc)));
    for (const e of engines) row.push(ratio(ms[e], ms.js));
    if (nativeExe) for (const e of engines) row.push(ratio(ms[e], ms.gcc));
    rows.push(row);
    notes.push(
      `${k.name}: ${k.what}; r0 = 0x${expected.toString(16)} on every engine, in JS${nativeExe ? " and in C" : ""}`,
    );
  }

  console.log(table(rows));
  console.log("\n" + notes.join("\n"));
  if (!engines.includes("wasm")) console.log("\n(the Wasm engine is not available in this build: interpreter only)");
  if (nativeDir) rmSync(nativeDir, { recursive: true, force: true });
  process.exit(failed ? 1 : 0);
}

await main();
