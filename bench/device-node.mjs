#!/usr/bin/env node
// The node side of bench/device.mjs, run by the device's node (targets/armhf/node-arm on a workstation): every
// kernel of bench/kernels.mjs on the interpreter and the Wasm engine and in plain JavaScript, timed as bench/run.mjs
// times them (untimed warm-up runs, then the mean over at least --min-ms). Prints one JSON object:
//   {"node": "...", "arch": "arm", "kernels": [{"name", "r0", "insns", "ms": {"interp", "wasm", "js"}, "problems"}]}
// r0 is the JavaScript result (hex); an engine whose r0 differs is listed in "problems" and not timed.
//
//   node bench/device-node.mjs [--min-ms N] [--kernels a,b]
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { KERNELS } from "./kernels.mjs";

const HERE = dirname(fileURLToPath(import.meta.url));
const DIST = join(HERE, "..", "dist", "src");
const WARMUP_RUNS = 2;

let minMs = 300;
let only;
for (let i = 2; i < process.argv.length; i++) {
  if (process.argv[i] === "--min-ms") minMs = Number(process.argv[++i]);
  else if (process.argv[i] === "--kernels") only = process.argv[++i].split(",");
  else {
    console.error(`bench/device-node: unknown argument '${process.argv[i]}'`);
    process.exit(2);
  }
}

async function load(rel) {
  const path = join(DIST, rel);
  if (!existsSync(path)) {
    console.error(`bench/device-node: ${path} is missing: run 'npm run build' first`);
    process.exit(2);
  }
  return import(pathToFileURL(path).href);
}

function time(fn) {
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

const { Runtime } = await load("runtime/runtime.js");
const { engineNames } = await load("runtime/engines.js");
const { assemble } = await load("tools/asm.js");
await (await load("runtime/engine-loader.js")).loadEngines();
const engines = ["interp", "wasm"].filter((e) => engineNames().includes(e));

const out = { node: process.version, arch: process.arch, engines, kernels: [] };
for (const k of KERNELS.filter((k) => !only || only.includes(k.name))) {
  const code = assemble(readFileSync(join(HERE, "kernels", `${k.name}.s`), "utf8"));
  const input = k.input();
  const expected = k.js(input.slice());
  const rt = new Runtime({ budget: 0 });
  const prog = rt.addProgram(k.name, code);
  const ctx = { ctx: { bytes: input } };
  const insns = rt.run(prog, ctx, "interp").executed;
  const problems = [];
  const ms = {};
  for (const e of engines) {
    const r = rt.run(prog, ctx, e);
    if (r.r0 !== expected) problems.push(`${e} r0 = 0x${r.r0.toString(16)}`);
    else ms[e] = time(() => rt.run(prog, ctx, e));
  }
  ms.js = time(k.fresh ? () => k.js(input.slice()) : () => k.js(input));
  out.kernels.push({ name: k.name, what: k.what, r0: expected.toString(16), insns, ms, problems });
}
console.log(JSON.stringify(out));
