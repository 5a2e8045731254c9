// What wasm-ab.mjs and interp-ab.mjs share: their arguments (OTHER.wasm, --kernels, --rounds, --min-ms), the
// alternating batches that time a new and an old side in one process, and the new/old table with its geometric
// mean. Each script only says how it makes its two sides.
import { existsSync } from "node:fs";
import { PROGRAM_KERNELS } from "./program-inputs.mjs";
import { benchFail, parseBenchArgs } from "./args.mjs";
import { batch, geomean, table } from "./support.mjs";

/** The arguments of `node bench/SCRIPT.mjs OTHER.wasm [--kernels a,b] [--rounds N] [--min-ms N]`. */
export function parseAbArgs(script, argv) {
  const opts = parseBenchArgs(script, argv, {
    usage: `usage: node bench/${script}.mjs OTHER.wasm [--kernels a,b] [--rounds N] [--min-ms N]`,
    defaults: { other: undefined, kernels: undefined, rounds: 7, minMs: 30 },
    flags: { "--kernels": ["kernels", "list"], "--rounds": ["rounds", "count"], "--min-ms": ["minMs", "positive"] },
    positional: ["other", "OTHER.wasm"],
    kernels: PROGRAM_KERNELS.map((k) => k.name),
  });
  if (!existsSync(opts.other)) benchFail(script, `${opts.other}: no such file`);
  return opts;
}

/** The kernels the options name (all by default). */
export function abKernels(opts) {
  return PROGRAM_KERNELS.filter((k) => !opts.kernels || opts.kernels.includes(k.name));
}

/** The new/old table: `add` times both sides of one kernel (warmed up, then alternating batches), `print` ends it. */
export class AbTable {
  rows = [["kernel", "new ns", "old ns", "new/old"]];
  ratios = [];

  constructor(opts) {
    this.opts = opts;
    console.log(`ns per run, the fastest of ${opts.rounds} alternating batches of >= ${opts.minMs} ms each\n`);
  }

  add(name, run) {
    for (let i = 0; i < 3; i++) (run.new(), run.old());
    const best = { new: Infinity, old: Infinity };
    for (let r = 0; r < this.opts.rounds; r++) {
      for (const side of r % 2 ? ["old", "new"] : ["new", "old"])
        best[side] = Math.min(best[side], batch(run[side], this.opts.minMs));
    }
    this.ratios.push(best.new / best.old);
    this.rows.push([
      name,
      Math.round(best.new).toLocaleString("en"),
      Math.round(best.old).toLocaleString("en"),
      (best.new / best.old).toFixed(2),
    ]);
  }

  print() {
    this.rows.push(["geometric mean", "", "", geomean(this.ratios)?.toFixed(2) ?? "-"]);
    console.log(table(this.rows));
  }
}
