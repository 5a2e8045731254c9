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
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { AbTable, abKernels, parseAbArgs } from "./ab.mjs";
import { benchFail } from "./args.mjs";
import { BENCH_DIR, loadDist, requireBuilt } from "./support.mjs";

async function main() {
  const opts = parseAbArgs("wasm-ab", process.argv.slice(2));
  const api = await loadDist("api/object.js");
  const engineLoader = await loadDist("runtime/engine-loader.js");
  requireBuilt(api, engineLoader);
  await engineLoader.loadEngines();
  const otherPath = opts.other;
  console.log(`new: ${join(BENCH_DIR, "..", "build", "wasm-translator.wasm")}\nold: ${otherPath}`);
  const results = new AbTable(opts);
  for (const k of abKernels(opts)) {
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
    if (oldR0 !== expected || newR0 !== expected)
      benchFail("wasm-ab", `${k.name}: results differ: interp ${expected}, new ${newR0}, old ${oldR0}`);
    results.add(k.name, { new: () => newProg.run(input, "wasm"), old: () => oldProg.run(input, "wasm") });
  }
  results.print();
}

await main();
