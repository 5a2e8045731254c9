#!/usr/bin/env node
// Programs, not hand-written kernels: the C kernels of bench/kernels/c (checksums, hashes, packet walks, a search,
// a sort, a matrix product, popcount, bignum addition, a hash-map word count), each compiled once by clang to eBPF
// (the committed NAME.o) and once by gcc from the same source, measured side by side in one run:
//
//   node bench/programs.mjs [--kernels a,b] [--reps N] [--min-ms N] [--cpu NAME] [--target armv6] [--no-arm]
//                           [--budget N]                                                      (after npm run build)
//
// First every kernel's result is checked: the eBPF program on every engine (interp and wasm in this process, the
// ARM32 executable under qemu-arm) and the gcc builds (x64 and ARM) must return the same value, or the bench stops
// with an error naming the kernel and what disagreed. Then:
//   (a) x64, in this process: ns per run on each engine (Program.run with the input's bytes: r1 = data, r2 =
//       length) and of the gcc -O2 build (bench/programs-native.c), each the fastest of --reps batches of at least
//       --min-ms; every run includes copying the input into place, in C too (kernels that write their input, like
//       isort, need a fresh copy each run).
//   (b) ARM, under qemu-arm -cpu cortex-a8: the ARM32 executable (`tinybpf build`, budget 0 or --budget) against
//       arm-linux-gnueabihf-gcc -O2 -march=armv7-a+fp -static, by guest instructions counted by the TCG plugin
//       (bench/qemu-insn-count.c; a process doing everything but the kernel is counted too and subtracted; for
//       the ARM32 executable, one run is --repeat 2 less --repeat 1, of the kernel less the same of an executable
//       whose program returns a constant, so that printing the maps at exit is left out too) and by
//       wall time ((fastest of --reps processes doing R runs - fastest doing 1) / (R - 1), R for ~3*10^8
//       instructions, less the same of the process doing everything but the kernel: the input's copy each run,
//       the executable's own loop and glibc's memcpy, is left out as from the counts), as bench/arm32.mjs does.
//       With --target armv6 both sides are ARMv6 code (`build --target armv6`, gcc -march=armv6+fp -marm), still
//       under -cpu cortex-a8 by default: gcc's static C library is ARMv7 code, which -cpu arm1176 refuses (the
//       guest instruction counts do not depend on -cpu).
// Instruction counts are exact and repeatable; wall times depend on the machine's load (it is often shared):
// compare ratios from one run. Geometric means of the ratios close each table, and a last table gives them by
// group of kernels (program-inputs.mjs KERNEL_GROUPS: by when they were written, each group after the first after
// the translators had been tuned on the ones before it).
//
// Every engine runs with no instruction budget (0), as the ratios above are the translators' code against gcc's.
// --budget N runs them all with a budget of N instructions per run instead (N above any kernel's count), which is
// what a device runs by default (1,000,000 unless told otherwise): the cost of counting, side by side with the same
// gcc figures.
//
// With UBPF_DIR set to a uBPF source tree built with cmake into UBPF_DIR/build (bench/ubpf.mjs), extra columns time
// uBPF's interpreter on the same bytecode (kernels without maps or read-only data); without it they are skipped.
import { execFileSync, spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { benchFail, parseBenchArgs } from "./args.mjs";
import { KERNEL_GROUPS, PROGRAM_KERNELS } from "./program-inputs.mjs";
import {
  BENCH_DIR,
  batch,
  fastest,
  geomean,
  loadDist,
  probePlugin,
  qemuRunner,
  ratio,
  requireBuilt,
  returnConstant,
  table,
} from "./support.mjs";
import { findUbpf, ubpfRunner } from "./ubpf.mjs";

const KERNEL_DIR = join(BENCH_DIR, "kernels", "c");
const ARM_TARGET_INSNS = 3e8; // guest instructions per timed ARM process: enough that start-up noise is small
const USAGE =
  "usage: node bench/programs.mjs [--kernels a,b] [--reps N] [--min-ms N] [--cpu NAME] [--target armv6] [--no-arm] " +
  "[--budget N]";

function parseArgs(argv) {
  const opts = parseBenchArgs("programs", argv, {
    usage: USAGE,
    defaults: { kernels: undefined, reps: 5, minMs: 50, cpu: "cortex-a8", arm: true, target: "arm32", budget: 0 },
    flags: {
      "--kernels": ["kernels", "list"],
      "--reps": ["reps", "count"],
      "--min-ms": ["minMs", "positive"],
      "--cpu": ["cpu", "text"],
      "--no-arm": ["arm", false],
      "--target": ["target", "text"],
      "--budget": ["budget", "count", 0xffffffff],
    },
    kernels: PROGRAM_KERNELS.map((k) => k.name),
  });
  if (opts.target !== "arm32" && opts.target !== "armv6") fail(`--target ${opts.target}: arm32 or armv6`);
  return { ...opts, armv6: opts.target === "armv6" };
}

const fail = (message) => benchFail("programs", message);

/** Compiles bench/programs-native.c with kernel NAME.c; returns the executable's path. */
function compileNative(cc, flags, name, dir, suffix) {
  const exe = join(dir, `${name}.${suffix}`);
  execFileSync(
    cc,
    [
      ...flags,
      "-DKERNEL_FN=" + name,
      "-I",
      KERNEL_DIR,
      "-o",
      exe,
      join(BENCH_DIR, "programs-native.c"),
      join(KERNEL_DIR, `${name}.c`),
    ],
    { stdio: ["ignore", "ignore", "inherit"] },
  );
  return exe;
}

function hasCommand(cmd, args = ["--version"]) {
  return spawnSync(cmd, args, { stdio: "ignore" }).status === 0;
}

/** ns per run in this process: the fastest of `reps` batches of at least minMs, after warm-up runs. */
function timeInProcess(fn, reps, minMs) {
  for (let i = 0; i < 3; i++) fn();
  let best = Infinity;
  for (let r = 0; r < reps; r++) best = Math.min(best, batch(fn, minMs));
  return best;
}

/** ms per run of a process: (the fastest doing `r` runs, argvR, less the fastest doing one, argv1) / (r - 1). */
function perRun(runner, argv1, argvR, r) {
  return (runner.wall(argvR) - runner.wall(argv1)) / (r - 1);
}

const fmtNs = (ns) => (ns === undefined ? "-" : Math.round(ns).toLocaleString("en"));
const fmtMs = (ms) => (ms === undefined ? "-" : ms >= 10 ? ms.toFixed(1) : ms.toFixed(3));

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const api = await loadDist("api/object.js");
  const engineLoader = await loadDist("runtime/engine-loader.js");
  const enginesMod = await loadDist("runtime/engines.js");
  const arm32Build = await loadDist("engines/arm32/build.js");
  const arm32Engine = await loadDist("engines/arm32/engine.js");
  requireBuilt(api, engineLoader, enginesMod, arm32Build, arm32Engine);
  await engineLoader.loadEngines();
  const engines = ["interp", "wasm"].filter((e) => enginesMod.engineNames().includes(e));
  const kernels = PROGRAM_KERNELS.filter((k) => !opts.kernels || opts.kernels.includes(k.name));

  const dir = mkdtempSync(join(tmpdir(), "tinybpf-programs-bench-"));
  try {
    const notes = [];
    let arm = opts.arm;
    let qemu;
    if (arm) {
      try {
        qemu = arm32Build.qemu();
      } catch (e) {
        notes.push(`ARM part skipped: ${e instanceof Error ? e.message : e}`);
        arm = false;
      }
      if (arm && !hasCommand("arm-linux-gnueabihf-gcc")) {
        notes.push("ARM part skipped: arm-linux-gnueabihf-gcc is not installed");
        arm = false;
      }
    }
    const gccArch = opts.armv6 ? ["-march=armv6+fp", "-marm"] : ["-march=armv7-a+fp"];
    let plugin, runner;
    if (arm) {
      const probed = probePlugin(dir, qemu, arm32Build);
      plugin = probed.plugin;
      if (!plugin) notes.push(`${probed.note}: ARM wall times only`);
      runner = qemuRunner({ qemu, cpu: opts.cpu, plugin, dir, reps: opts.reps });
    }
    const ubpf = findUbpf(process.env.UBPF_DIR, dir);
    if (!ubpf.path) notes.push(`uBPF column skipped: ${ubpf.why}`);

    console.log(
      `tinybpf programs bench: node ${process.version} (V8 ${process.versions.v8}), ` +
        `${cpus()[0]?.model ?? "unknown CPU"}, ${cpus().length} CPUs; ${kernels.length} kernels from bench/kernels/c`,
    );
    if (ubpf.path) console.log(`uBPF: the interpreter of the build in ${process.env.UBPF_DIR}, bounds checks on`);
    console.log(
      `x64: engines ${engines.join(", ")} in this process vs gcc -O2 ` +
        `(${execFileSync("gcc", ["-dumpversion"], { encoding: "utf8" }).trim()}); ns per run, fastest of ${opts.reps} ` +
        `batches of >= ${opts.minMs} ms`,
    );
    if (arm) {
      console.log(
        `ARM: ${execFileSync(qemu, ["--version"], { encoding: "utf8" }).split("\n")[0]} -cpu ${opts.cpu}, ` +
          `the ARM32 executable${opts.armv6 ? " (armv6)" : ""} vs arm-linux-gnueabihf-gcc -O2 ${gccArch.join(" ")} -static ` +
          `(${execFileSync("arm-linux-gnueabihf-gcc", ["-dumpversion"], { encoding: "utf8" }).trim()})`,
      );
    }
    console.log(opts.budget ? `every engine with a budget of ${opts.budget} instructions per run` : "no budget (0)");
    console.log("wall times depend on the machine's load; instruction counts do not\n");

    // Build, then check every result before anything is measured.
    const cases = [];
    for (const k of kernels) {
      const input = k.input();
      const inputFile = join(dir, `${k.name}.bin`);
      writeFileSync(inputFile, input);
      const objectBytes = new Uint8Array(readFileSync(join(KERNEL_DIR, `${k.name}.o`)));
      const obj = api.loadSync(objectBytes, { budget: opts.budget, fileName: `${k.name}.o` });
      const prog = obj.program(k.name);
      const c = { k, input, inputFile, obj, prog, argv: {} };
      c.x64 = compileNative("gcc", ["-O2"], k.name, dir, "x64");
      const expected = BigInt(execFileSync(c.x64, [inputFile, "1"], { encoding: "utf8" }).trim());
      c.expected = expected;
      const problems = [];
      for (const e of engines) {
        let r0;
        try {
          r0 = prog.run(input, e);
        } catch (err) {
          fail(`${k.name} on ${e}: ${err instanceof Error ? err.message : err}`);
        }
        if (e === "interp") c.ebpfInsns = prog.lastRun.executed;
        if (r0 !== expected) problems.push(`${e} returned ${r0}`);
      }
      if (ubpf.path) {
        c.ubpf = ubpfRunner(ubpf.path, obj, prog, inputFile, dir);
        const r0 = c.ubpf?.result();
        if (c.ubpf && r0 !== expected) problems.push(`uBPF's interpreter returned ${r0}`);
      }
      if (arm) {
        const exe = join(dir, `${k.name}.arm32`);
        const base = join(dir, `${k.name}.arm32-base`);
        writeFileSync(exe, arm32Engine.buildExecutable(obj, prog, { budget: opts.budget, armv6: opts.armv6 }));
        writeFileSync(
          base,
          arm32Build.buildArm32Executable(returnConstant(expected), { budget: opts.budget, armv6: opts.armv6 }),
        );
        chmodSync(exe, 0o755);
        chmodSync(base, 0o755);
        const gccArm = compileNative("arm-linux-gnueabihf-gcc", ["-O2", ...gccArch, "-static"], k.name, dir, "arm");
        c.argv = {
          arm32: [exe, "--mem", inputFile],
          arm32Base: [base, "--mem", inputFile],
          gcc: [gccArm, inputFile, "1"],
          gccBase: [gccArm, inputFile, "0", String(expected)],
        };
        // The executable prints r0, then any map that is not empty at exit (crc32_table's .rodata): the first line
        // is the result. Counted runs: the executable and the constant-returning one, each with --repeat 1 and 2, so
        // that what runs once per process (start-up, reading the input, printing the maps) cancels out.
        c.counted = {};
        const runs = {
          ...c.argv,
          arm32Twice: [...c.argv.arm32, "--repeat", "2"],
          arm32BaseTwice: [...c.argv.arm32Base, "--repeat", "2"],
        };
        for (const [name, argv] of Object.entries(runs)) {
          c.counted[name] = runner.run(argv, true);
          const first = c.counted[name].stdout.split("\n")[0];
          if (first !== String(expected)) problems.push(`${name} under qemu-arm printed ${first}`);
        }
      }
      if (problems.length) {
        console.error(`bench: ${k.name}: results differ: gcc (x64) = ${expected}, ${problems.join(", ")}`);
        process.exitCode = 1;
        return;
      }
      cases.push(c);
    }
    console.log(
      `results checked: every kernel returns the same value on ${[...engines, ...(arm ? ["arm32"] : [])].join(
        ", ",
      )}${ubpf.path ? ", uBPF's interpreter" : ""} and from gcc${arm ? " (x64 and ARM)" : ""}\n`,
    );

    // (a) x64 in this process
    const head = [
      "kernel",
      "eBPF insns",
      ...engines.map((e) => `${e} ns`),
      "gcc ns",
      ...engines.map((e) => `${e}/gcc`),
    ];
    if (ubpf.path) head.push("uBPF ns", "interp/uBPF");
    const rows = [head];
    const ratios = {}; // by key, then by kernel
    const addRatio = (key, a, b, kernel) => {
      if (a !== undefined && b > 0) (ratios[key] ??= new Map()).set(kernel, a / b);
      return ratio(a, b);
    };
    for (const c of cases) {
      const ns = {};
      for (const e of engines) ns[e] = timeInProcess(() => c.prog.run(c.input, e), opts.reps, opts.minMs);
      const out = execFileSync(c.x64, [c.inputFile, "time", String(opts.reps), String(opts.minMs)], {
        encoding: "utf8",
      })
        .trim()
        .split(/\s+/);
      ns.gcc = Number(out[1]);
      const row = [c.k.name, c.ebpfInsns.toLocaleString("en"), ...engines.map((e) => fmtNs(ns[e])), fmtNs(ns.gcc)];
      for (const e of engines) row.push(addRatio(e, ns[e], ns.gcc, c.k.name));
      if (ubpf.path) {
        ns.ubpf = c.ubpf?.nsPerRun(opts.reps, opts.minMs);
        row.push(fmtNs(ns.ubpf), addRatio("uBPF", ns.interp, ns.ubpf, c.k.name));
      }
      rows.push(row);
    }
    const mean = (key, names) => {
      const byKernel = ratios[key] ?? new Map();
      const g = geomean(names ? names.map((n) => byKernel.get(n) ?? 0) : [...byKernel.values()]);
      return g === undefined ? "-" : g.toFixed(2) + "x";
    };
    const geoRow = ["geometric mean", "", ...engines.map(() => ""), "", ...engines.map((e) => mean(e))];
    if (ubpf.path) geoRow.push("", mean("uBPF"));
    rows.push(geoRow);
    console.log("(a) x64, in-process: ns per run; ratios to gcc -O2 (lower is better)");
    console.log(table(rows));

    // (b) ARM under qemu-arm
    if (arm) {
      const armHead = ["kernel"];
      if (plugin) armHead.push("arm32 insns", "gcc insns", "arm32/gcc", "ARM/eBPF");
      armHead.push("arm32 ms", "gcc ms", "arm32/gcc");
      const armRows = [armHead];
      for (const c of cases) {
        const row = [c.k.name];
        let armMs, gccMs;
        if (plugin) {
          const once = (name) => c.counted[`${name}Twice`].insns - c.counted[name].insns;
          const a = Number(once("arm32") - once("arm32Base"));
          const g = Number(c.counted.gcc.insns - c.counted.gccBase.insns);
          row.push(
            a.toLocaleString("en"),
            g.toLocaleString("en"),
            addRatio("armInsns", a, g, c.k.name),
            (a / c.ebpfInsns).toFixed(2),
          );
          const ra = Math.min(100_000, Math.max(2, Math.ceil(ARM_TARGET_INSNS / Math.max(a, 1))));
          const rg = Math.min(100_000, Math.max(2, Math.ceil(ARM_TARGET_INSNS / Math.max(g, 1))));
          // each less what its "everything but the kernel" process spends per run (the input's copy, the driver's
          // loop), as the counts are: the executable's word-by-word copy and glibc's memcpy are no kernel's code
          const repeat = (argv, r) => [...argv, "--repeat", String(r)];
          armMs =
            perRun(runner, c.argv.arm32, repeat(c.argv.arm32, ra), ra) -
            perRun(runner, c.argv.arm32Base, repeat(c.argv.arm32Base, ra), ra);
          gccMs =
            perRun(runner, c.argv.gcc, [c.argv.gcc[0], c.inputFile, String(rg)], rg) -
            perRun(runner, c.argv.gccBase, [...c.argv.gccBase, String(rg)], rg);
        } else {
          armMs = runner.wall(c.argv.arm32) - runner.wall(c.argv.arm32Base);
          gccMs = runner.wall(c.argv.gcc) - runner.wall(c.argv.gccBase);
        }
        armMs = Math.max(0, armMs);
        gccMs = Math.max(0, gccMs);
        row.push(fmtMs(armMs), fmtMs(gccMs), addRatio("armWall", armMs, gccMs, c.k.name));
        armRows.push(row);
      }
      const armGeo = ["geometric mean"];
      if (plugin) armGeo.push("", "", mean("armInsns"), "");
      armGeo.push("", "", mean("armWall"));
      armRows.push(armGeo);
      console.log(
        `\n(b) ARM under qemu-arm -cpu ${opts.cpu}: guest instructions per run (start-up subtracted) and ` +
          "ms per run; ratios to gcc (lower is better)",
      );
      console.log(table(armRows));
      if (plugin)
        console.log("ARM/eBPF: ARM instructions the arm32 executable ran per eBPF instruction the interpreter counted");
    }
    console.log("\n" + groupMeans(ratios, mean, engines));
    console.log("\n" + cases.map((c) => `${c.k.name}: ${c.k.what}; result ${c.expected}`).join("\n"));
    if (notes.length) console.log("\n" + notes.join("\n"));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The geometric means of each ratio over each group of kernels (KERNEL_GROUPS: by when they were written) that
 * this run measured, then over all: how far the later groups, written after the tuning, are from the first.
 */
function groupMeans(ratios, mean, engines) {
  const groups = [];
  let at = 0;
  for (const [label, count] of KERNEL_GROUPS) {
    const names = PROGRAM_KERNELS.slice(at, (at += count)).map((k) => k.name);
    groups.push([label, names]);
  }
  const rows = [["geometric means by group", ...groups.map(([label]) => label), "all"]];
  const keys = [
    ...engines.map((e) => [e, `${e}/gcc`]),
    ["uBPF", "interp/uBPF"],
    ["armInsns", "arm32/gcc, instructions"],
    ["armWall", "arm32/gcc, wall time"],
  ];
  for (const [key, label] of keys) {
    if (!ratios[key]) continue;
    // over the group's kernels that have the ratio (uBPF runs only those without maps), "-" when none does
    const cell = (names) => {
      const measured = names.filter((n) => ratios[key].has(n));
      return measured.length ? mean(key, measured) : "-";
    };
    rows.push([label, ...groups.map(([, names]) => cell(names)), mean(key)]);
  }
  return table(rows);
}

await main();
