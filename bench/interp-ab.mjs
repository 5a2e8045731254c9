#!/usr/bin/env node
// Two builds of the core side by side in one process, on the C kernels of bench/kernels/c: is a change to the
// interpreter (assembly/interp.ts, decode.ts) faster or slower? Separate runs of bench/programs.mjs move by 5-20%
// on an idle machine and by 2x on a shared one; two cores timed in alternating batches in the same process see the
// same load.
//
//   node bench/interp-ab.mjs OTHER.wasm [--kernels a,b] [--rounds N] [--min-ms N]          (after npm run build)
//
// "new" is this tree's build/core.wasm, "old" the core at OTHER.wasm, e.g. an earlier commit's:
//
//   mkdir /tmp/old && git archive COMMIT | tar -x -C /tmp/old && (cd /tmp/old && npm ci && npm run build)
//   node bench/interp-ab.mjs /tmp/old/build/core.wasm
//
// The host caches its core module once per package (src/runtime/core.ts finds build/ above its own file), so the
// old side is a copy of this tree's dist/ and package.json in a temporary directory with OTHER.wasm as its
// build/core.wasm, imported as a second package. Each kernel's object is loaded once per side; both must return
// the same value, or the script stops with an error naming the kernel. Then --rounds rounds, each timing one batch
// of at least --min-ms of new and of old, in turn (which goes first alternates); per kernel the fastest batch of
// each, ns per run, new/old, and the geometric mean of new/old (below 1: the working tree is faster).
import { cpSync, existsSync, mkdtempSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { PROGRAM_KERNELS } from "./program-inputs.mjs";
import { BENCH_DIR, geomean, loadDist, requireBuilt, table } from "./support.mjs";

const USAGE = "usage: node bench/interp-ab.mjs OTHER.wasm [--kernels a,b] [--rounds N] [--min-ms N]";
const ROOT = join(BENCH_DIR, "..");

function fail(message) {
  console.error(`interp-ab: ${message}`);
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
  if (opts.other === undefined) fail(`no core to compare with\n${USAGE}`);
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

/** A second package in a temporary directory: this tree's host code over the core at `corePath`. */
async function otherPackage(corePath, dir) {
  cpSync(join(ROOT, "package.json"), join(dir, "package.json"));
  cpSync(join(ROOT, "dist"), join(dir, "dist"), { recursive: true });
  mkdirSync(join(dir, "build"));
  cpSync(corePath, join(dir, "build", "core.wasm"));
  return import(pathToFileURL(join(dir, "dist", "src", "api", "object.js")).href);
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const api = await loadDist("api/object.js");
  requireBuilt(api);
  const dir = mkdtempSync(join(tmpdir(), "tinybpf-interp-ab-"));
  try {
    const oldApi = await otherPackage(opts.other, dir);
    const kernels = PROGRAM_KERNELS.filter((k) => !opts.kernels || opts.kernels.includes(k.name));
    console.log(`new: ${join(ROOT, "build", "core.wasm")}\nold: ${opts.other}`);
    console.log(`ns per run, the fastest of ${opts.rounds} alternating batches of >= ${opts.minMs} ms each\n`);
    const rows = [["kernel", "new ns", "old ns", "new/old"]];
    const ratios = [];
    for (const k of kernels) {
      const input = k.input();
      const objectBytes = new Uint8Array(readFileSync(join(BENCH_DIR, "kernels", "c", `${k.name}.o`)));
      const load = (side) => side.loadSync(objectBytes, { budget: 0, fileName: `${k.name}.o` }).program(k.name);
      const progs = { new: load(api), old: load(oldApi) };
      const results = { new: progs.new.run(input, "interp"), old: progs.old.run(input, "interp") };
      if (results.new !== results.old) fail(`${k.name}: results differ: new ${results.new}, old ${results.old}`);
      const run = { new: () => progs.new.run(input, "interp"), old: () => progs.old.run(input, "interp") };
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
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
