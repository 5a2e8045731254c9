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
import { cpSync, mkdtempSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { AbTable, abKernels, parseAbArgs } from "./ab.mjs";
import { benchFail } from "./args.mjs";
import { BENCH_DIR, loadDist, requireBuilt } from "./support.mjs";

const ROOT = join(BENCH_DIR, "..");

/** A second package in a temporary directory: this tree's host code over the core at `corePath`. */
async function otherPackage(corePath, dir) {
  cpSync(join(ROOT, "package.json"), join(dir, "package.json"));
  cpSync(join(ROOT, "dist"), join(dir, "dist"), { recursive: true });
  mkdirSync(join(dir, "build"));
  cpSync(corePath, join(dir, "build", "core.wasm"));
  return import(pathToFileURL(join(dir, "dist", "src", "api", "object.js")).href);
}

async function main() {
  const opts = parseAbArgs("interp-ab", process.argv.slice(2));
  const api = await loadDist("api/object.js");
  requireBuilt(api);
  const dir = mkdtempSync(join(tmpdir(), "tinybpf-interp-ab-"));
  try {
    const oldApi = await otherPackage(opts.other, dir);
    console.log(`new: ${join(ROOT, "build", "core.wasm")}\nold: ${opts.other}`);
    const results = new AbTable(opts);
    for (const k of abKernels(opts)) {
      const input = k.input();
      const objectBytes = new Uint8Array(readFileSync(join(BENCH_DIR, "kernels", "c", `${k.name}.o`)));
      const load = (side) => side.loadSync(objectBytes, { budget: 0, fileName: `${k.name}.o` }).program(k.name);
      const progs = { new: load(api), old: load(oldApi) };
      const r0 = { new: progs.new.run(input, "interp"), old: progs.old.run(input, "interp") };
      if (r0.new !== r0.old) benchFail("interp-ab", `${k.name}: results differ: new ${r0.new}, old ${r0.old}`);
      results.add(k.name, { new: () => progs.new.run(input, "interp"), old: () => progs.old.run(input, "interp") });
    }
    results.print();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
