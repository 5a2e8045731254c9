// What wasm-ab.mjs and interp-ab.mjs share: their arguments (OTHER.wasm, --kernels, --rounds, --min-ms), the
// alternating batches that time a new and an old side in one process, and the new/old table with its geometric
// mean. Each script only says how it makes its two sides.
import { existsSync } from "node:fs";
import { PROGRAM_KERNELS } from "./program-inputs.mjs";
import { geomean, table } from "./support.mjs";

/** Prints `script: message` and exits with 2 (bad arguments, results that differ). */
export function abFail(script, message) {
  console.error(`${script}: ${message}`);
  process.exit(2);
}

/** The arguments of `node bench/SCRIPT.mjs OTHER.wasm [--kernels a,b] [--rounds N] [--min-ms N]`. */
export function parseAbArgs(script, what, argv) {
  const usage = `usage: node bench/${script}.mjs OTHER.wasm [--kernels a,b] [--rounds N] [--min-ms N]`;
  const fail = (message) => abFail(script, message);
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
    else if (a.startsWith("--") || opts.other !== undefined) fail(`unknown argument '${a}'\n${usage}`);
    else opts.other = a;
  }
  if (opts.other === undefined) fail(`no ${what} to compare with\n${usage}`);
  if (!existsSync(opts.other)) fail(`${opts.other}: no such file`);
  if (!(Number.isInteger(opts.rounds) && opts.rounds >= 1)) fail("--rounds needs a whole number of at least 1");
  if (!(opts.minMs > 0)) fail("--min-ms needs a positive number");
  const names = PROGRAM_KERNELS.map((k) => k.name);
  for (const k of opts.kernels ?? [])
    if (!names.includes(k)) fail(`no kernel named '${k}' (kernels: ${names.join(", ")})`);
  return opts;
}

/** The kernels the options name (all by default). */
export function abKernels(opts) {
  return PROGRAM_KERNELS.filter((k) => !opts.kernels || opts.kernels.includes(k.name));
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
