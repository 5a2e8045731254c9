#!/usr/bin/env node
// The interpreter next to uBPF's interpreter on the same bytecode (optional: needs a uBPF source tree and gcc).
//
//   UBPF_DIR=/path/to/ubpf node bench/ubpf-kernels.mjs [--min-ms N] [--kernels prime,crc32]
//
// UBPF_DIR is a uBPF checkout; bench/ubpf.mjs builds bench/ubpf-run.c against it (the same harness as the uBPF
// column of bench/programs.mjs), into a temporary directory; nothing of uBPF is part of tinybpf. Without UBPF_DIR
// the script says so in one line and exits 0.
//
// Every kernel of bench/kernels.mjs is assembled by tinybpf's assembler, and the same bytes run on uBPF
// (ubpf_exec, the input as its memory) and on tinybpf's interpreter in this process; both results must equal the
// JavaScript version. Times per run (uBPF: the fastest of 3 batches), input copy included on both sides; "ns/insn"
// divides by the eBPF instructions tinybpf counted. "uBPF/interp" above 1 means tinybpf's interpreter is faster.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { parseBenchArgs } from "./args.mjs";
import { KERNELS } from "./kernels.mjs";
import { findUbpf } from "./ubpf.mjs";

const HERE = dirname(fileURLToPath(import.meta.url));
const DIST = join(HERE, "..", "dist", "src");

function parseArgs(argv) {
  return parseBenchArgs("ubpf-kernels", argv, {
    usage: "usage: UBPF_DIR=... node bench/ubpf-kernels.mjs [--min-ms N] [--kernels a,b]",
    defaults: { minMs: 500, kernels: undefined },
    flags: { "--min-ms": ["minMs", "positive"], "--kernels": ["kernels", "list"] },
    kernels: KERNELS.map((k) => k.name),
  });
}

function time(fn, minMs) {
  for (let i = 0; i < 3; i++) fn();
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

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const dir = mkdtempSync(join(tmpdir(), "tinybpf-ubpf-"));
  const ubpf = findUbpf(process.env.UBPF_DIR, dir);
  if (!ubpf.path) {
    console.log(`bench/ubpf: skipped (${ubpf.why})`);
    rmSync(dir, { recursive: true, force: true });
    return;
  }
  const runtimeMod = await import(pathToFileURL(join(DIST, "runtime", "runtime.js")).href);
  const asm = await import(pathToFileURL(join(DIST, "tools", "asm.js")).href);
  try {
    const exe = ubpf.path;
    const rows = [["kernel", "eBPF insns", "interp ms", "interp ns/insn", "uBPF ms", "uBPF ns/insn", "uBPF/interp"]];
    let failed = false;
    for (const k of KERNELS.filter((x) => !opts.kernels || opts.kernels.includes(x.name))) {
      const code = asm.assemble(readFileSync(join(HERE, "kernels", `${k.name}.s`), "utf8"));
      const input = k.input();
      const expected = k.js(input.slice());
      writeFileSync(join(dir, `${k.name}.bin`), code);
      writeFileSync(join(dir, `${k.name}.in`), input);
      const out = execFileSync(
        exe,
        [join(dir, `${k.name}.bin`), join(dir, `${k.name}.in`), "time", "3", String(opts.minMs)],
        {
          encoding: "utf8",
        },
      )
        .trim()
        .split(/\s+/);
      const rt = new runtimeMod.Runtime({ budget: 0 });
      const prog = rt.addProgram(k.name, code);
      const ctx = { ctx: { bytes: input } };
      const first = rt.run(prog, ctx, "interp");
      if (first.r0 !== expected || BigInt(out[0]) !== expected) {
        console.log(
          `${k.name}: MISMATCH, JavaScript 0x${expected.toString(16)}, interp 0x${first.r0.toString(16)}, ` +
            `uBPF 0x${BigInt(out[0]).toString(16)}`,
        );
        failed = true;
        continue;
      }
      const ms = time(() => rt.run(prog, ctx, "interp"), opts.minMs);
      const ubpfMs = Number(out[1]) / 1e6;
      const ns = (t) => ((t * 1e6) / first.executed).toFixed(2);
      rows.push([
        k.name,
        first.executed.toLocaleString("en"),
        ms.toFixed(2),
        ns(ms),
        ubpfMs.toFixed(2),
        ns(ubpfMs),
        (ubpfMs / ms).toFixed(2) + "x",
      ]);
    }
    const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => String(r[c]).length)));
    console.log(
      rows.map((r) => r.map((x, c) => (c === 0 ? x.padEnd(widths[c]) : x.padStart(widths[c]))).join("  ")).join("\n"),
    );
    if (failed) process.exitCode = 1;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
