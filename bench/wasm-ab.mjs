#!/usr/bin/env node
// Two builds of the Wasm translator side by side in one process, on the C kernels of bench/kernels/c: is a change
// to assembly/wasm/ faster or slower? Separate runs of bench/programs.mjs move by 5-20% on an idle machine and by 2x
// on a shared one; two modules timed in alternating batches in the same process see the same load.
//
//   node bench/wasm-ab.mjs OTHER.wasm [--kernels a,b] [--rounds N] [--min-ms N]          (after npm run build)
//
// "new" is this tree's build/wasm-translator.wasm, "old" the translator at OTHER.wasm, e.g. an earlier commit's:
//
//   mkdir /tmp/old && git archive COMMIT | tar -x -C /tmp/old && (cd /tmp/old && npm ci && npm run build)
//   node bench/wasm-ab.mjs /tmp/old/build/wasm-translator.wasm
//
// Each kernel's object is loaded twice (maps and read-only data set up by the loader, as bench/programs.mjs does);
// one copy is translated by OTHER.wasm (the engine reads TINYBPF_WASM_TRANSLATOR when it translates a program),
// the other by this tree's build. Both must return the same value as the interpreter, or the script stops with an
// error naming the kernel. Then --rounds rounds, each timing one batch of at least --min-ms of new and of old, in
// turn (which goes first alternates); per kernel the fastest batch of each, ns per run, new/old, and the geometric
// mean of new/old (below 1: the working tree is faster).
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { PROGRAM_KERNELS } from "./program-inputs.mjs";
import { BENCH_DIR, geomean, loadDist, requireBuilt, table } from "./support.mjs";

const USAGE = "usage: node bench/wasm-ab.mjs OTHER.wasm [--kernels a,b] [--rounds N] [--min-ms N]";

function fail(message) {
  console.error(`wasm-ab: ${message}`);
  process.exit(2);
}

function parseArgs(argv) {
  const opts = { other: undefined, kernels: undefined, rounds: 7, minMs: 30 };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      if (i + 1 >= argv.length) fail(`${a} needs a value`);
      return argv[++i];
    };
    if (a === "--kernels") opts.kernels = value().split(",");
    else if (a === "--rounds") opts.rounds = Number(value());
    else if (a === "--min-ms") opts.minMs = Number(value());
    else if (a.startsWith("--") || opts.other !== undefined) fail(`unknown argument '${a}'\n${USAGE}`);
    else opts.other = a;
  }
  if (opts.other === undefined) fail(`no translator to compare with\n${USAGE}`);
  if (!existsSync(opts.other)) fail(`${opts.other}: no such file`);
  if (!(Number.isInteger(opts.rounds) && opts.rounds >= 1)) fail("--rounds needs a whole number of at least 1");
  if (!(opts.minMs > 0)) fail("--min-ms needs a positive number");
  const names = PROGRAM_KERNELS.map((k) => k.name);
  for (const k of opts.kernels ?? [])
    if (!names.includes(k)) fail(`no kernel named '${k}' (kernels: ${names.join(", ")})`);
  return opts;
}

/** ns per run of one batch of at least minMs. */
function batch(fn, minMs) {
  let runs = 0;
  const start = process.hrtime.bigint();
  let elapsed;
  do {
    fn();
    runs++;
    elapsed = Number(process.hrtime.bigint() - start);
  } while (elapsed < minMs * 1e6 || runs < 2);
  return elapsed / runs;
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const api = await loadDist("api/object.js");
  const engineLoader = await loadDist("runtime/engine-loader.js");
  requireBuilt(api, engineLoader);
  await engineLoader.loadEngines();
  const kernels = PROGRAM_KERNELS.filter((k) => !opts.kernels || opts.kernels.includes(k.name));
  const otherPath = opts.other;
  console.log(`new: ${join(BENCH_DIR, "..", "build", "wasm-translator.wasm")}\nold: ${otherPath}`);
  console.log(`ns per run, the fastest of ${opts.rounds} alternating batches of >= ${opts.minMs} ms each\n`);

  const rows = [["kernel", "new ns", "old ns", "new/old"]];
  const ratios = [];
  for (const k of kernels) {
    const input = k.input();
    const objectBytes = new Uint8Array(readFileSync(join(BENCH_DIR, "kernels", "c", `${k.name}.o`)));
    // The first run translates: the environment variable is read then, so each program is run once right away.
    process.env.TINYBPF_WASM_TRANSLATOR = otherPath;
    const oldProg = api.loadSync(objectBytes, { budget: 0, fileName: `${k.name}.o` }).program(k.name);
    const oldR0 = oldProg.run(input, "wasm");
    delete process.env.TINYBPF_WASM_TRANSLATOR;
    const newProg = api.loadSync(objectBytes, { budget: 0, fileName: `${k.name}.o` }).program(k.name);
    const newR0 = newProg.run(input, "wasm");
    const check = api.loadSync(objectBytes, { budget: 0, fileName: `${k.name}.o` }).program(k.name);
    const expected = check.run(input, "interp");
    if (oldR0 !== expected || newR0 !== expected) {
      console.error(`wasm-ab: ${k.name}: results differ: interp ${expected}, new ${newR0}, old ${oldR0}`);
      process.exitCode = 1;
      return;
    }
    const run = { new: () => newProg.run(input, "wasm"), old: () => oldProg.run(input, "wasm") };
    for (let i = 0; i < 3; i++) (run.new(), run.old());
    const best = { new: Infinity, old: Infinity };
    for (let r = 0; r < opts.rounds; r++) {
      for (const side of r % 2 ? ["old", "new"] : ["new", "old"])
        best[side] = Math.min(best[side], batch(run[side], opts.minMs));
    }
    ratios.push(best.new / best.old);
    rows.push([
      k.name,
      Math.round(best.new).toLocaleString("en"),
      Math.round(best.old).toLocaleString("en"),
      (best.new / best.old).toFixed(2),
    ]);
  }
  rows.push(["geometric mean", "", "", geomean(ratios)?.toFixed(2) ?? "-"]);
  console.log(table(rows));
}

await main();
