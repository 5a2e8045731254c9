#!/usr/bin/env node
// The ARM32 target against gcc, both as ARM Linux executables under qemu-arm, in one run:
//
//   node bench/arm32.mjs [--kernels prime,crc32] [--reps N] [--cpu NAME]      (after `npm run build`)
//
// For every kernel of bench/kernels.mjs:
//   arm32  bench/kernels/NAME.s built by the ARM32 target (src/engines/arm32/build.ts, budget 0 = unlimited, no hardware divide)
//          and run as `EXE --mem INPUT`;
//   gcc    the same algorithm in bench/native.c, built by arm-linux-gnueabihf-gcc -O2 -march=armv7-a+fp -static
//          (through bench/arm32-native.c, which runs it exactly once; +fp only because Debian's compiler uses the
//          hard-float ABI, the kernels use no floating point; gcc emits Thumb-2 by default).
// Both must print the result bench/kernels.mjs computes in JavaScript before anything is measured.
//
// Measures: guest instructions, counted by a qemu TCG plugin (bench/qemu-insn-count.c, built with gcc into a
// temporary directory; the same count on every run), and wall time. Each figure is one run of the kernel alone.
// Instructions: a process doing everything but the kernel is counted too and subtracted (for arm32, an executable
// whose program only returns the expected r0; for gcc, the same binary told to skip the kernel). Wall time:
// (time of R runs in one process - time of 1 run) / (R - 1), R chosen for about 10^9 guest instructions (the
// executable's --repeat, the C binary's run count), each time the fastest of --reps processes. The executable's
// driver copies the input before every run (as `tinybpf run --repeat` does); the C binary runs on the same buffer
// each time (memcpy, the one kernel writing its input, only overwrites the half it copies into), so the
// executable's figure is less the same difference of the constant-returning executable: its copy and its
// driver's loop, left out as from the count. Without the plugin (it cannot be built or loaded), only wall times
// are given, one run minus the start-up from more processes, and the output says so.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync, chmodSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseBenchArgs } from "./args.mjs";
import { KERNELS } from "./kernels.mjs";
import {
  BENCH_DIR as HERE,
  loadDist as load,
  requireBuilt,
  returnConstant,
  probePlugin,
  qemuRunner,
  table,
} from "./support.mjs";

function parseArgs(argv) {
  return parseBenchArgs("arm32", argv, {
    usage: "usage: node bench/arm32.mjs [--kernels a,b] [--reps N] [--cpu NAME]",
    defaults: { kernels: undefined, reps: 5, cpu: "cortex-a8" },
    flags: { "--kernels": ["kernels", "list"], "--reps": ["reps", "count"], "--cpu": ["cpu", "text"] },
    kernels: KERNELS.map((k) => k.name),
  });
}

function buildNative(dir) {
  const exe = join(dir, "arm32-native");
  execFileSync(
    "arm-linux-gnueabihf-gcc",
    ["-O2", "-march=armv7-a+fp", "-static", "-o", exe, join(HERE, "arm32-native.c")],
    { stdio: ["ignore", "ignore", "inherit"] },
  );
  return exe;
}

function main() {
  return (async () => {
    const opts = parseArgs(process.argv.slice(2));
    const arm32 = await load("engines/arm32/build.js");
    const asm = await load("tools/asm.js");
    const runtimeMod = await load("runtime/runtime.js");
    requireBuilt(arm32, asm, runtimeMod);
    const qemu = arm32.qemu();
    const dir = mkdtempSync(join(tmpdir(), "tinybpf-arm32-bench-"));
    try {
      const probed = probePlugin(dir, qemu, arm32);
      const plugin = probed.plugin;
      const pluginNote = plugin ? "" : `${probed.note}: wall time only`;
      const reps = plugin ? opts.reps : Math.max(opts.reps, 10);
      const native = buildNative(dir);

      const { run, wall } = qemuRunner({ qemu, cpu: opts.cpu, plugin, dir, reps });

      console.log(
        `tinybpf ARM32 bench: ${execFileSync(qemu, ["--version"], { encoding: "utf8" }).split("\n")[0]}, ` +
          `-cpu ${opts.cpu}`,
      );
      console.log(
        "arm32: the ARM32 target's executable; gcc: arm-linux-gnueabihf-gcc -O2 -march=armv7-a+fp -static " +
          `(${execFileSync("arm-linux-gnueabihf-gcc", ["-dumpversion"], { encoding: "utf8" }).trim()})`,
      );
      console.log(
        plugin
          ? `guest instructions: counted by a TCG plugin; wall time: per run, fastest of ${reps} ` +
              "processes, start-up subtracted (see the notes)"
          : pluginNote + `; fastest of ${reps} processes, start-up subtracted`,
      );
      console.log("");

      const kernels = KERNELS.filter((k) => !opts.kernels || opts.kernels.includes(k.name));
      const header = ["kernel", "eBPF insns"];
      if (plugin) header.push("arm32 insns", "gcc insns", "arm32/gcc", "ARM/eBPF");
      header.push("arm32 ms", "gcc ms", "arm32/gcc");
      const rows = [header];
      const notes = [];
      let failed = false;
      for (const k of kernels) {
        const code = asm.assemble(readFileSync(join(HERE, "kernels", `${k.name}.s`), "utf8"));
        const input = k.input();
        const expected = k.js(input.slice());
        const rt = new runtimeMod.Runtime({ budget: 0 });
        const ebpfInsns = rt.run(rt.addProgram(k.name, code), { ctx: { bytes: input } }, "interp").executed;
        const inputFile = join(dir, `${k.name}.bin`);
        writeFileSync(inputFile, input);
        const exe = join(dir, k.name);
        const base = join(dir, `${k.name}.base`);
        writeFileSync(exe, arm32.buildArm32Executable(code, { budget: 0 }));
        writeFileSync(base, arm32.buildArm32Executable(returnConstant(expected), { budget: 0 }));
        chmodSync(exe, 0o755);
        chmodSync(base, 0o755);
        const argv = {
          arm32: [exe, "--mem", inputFile],
          arm32Base: [base, "--mem", inputFile],
          gcc: [native, k.name, inputFile, "1"],
          gccBase: [native, k.name, inputFile, "0", String(expected)],
        };
        // Results first (these runs also count the instructions).
        const r = {};
        for (const [name, a] of Object.entries(argv)) r[name] = run(a, true);
        const problems = [];
        for (const name of ["arm32", "gcc", "arm32Base", "gccBase"]) {
          if (r[name].stdout !== String(expected)) problems.push(`${name} printed ${r[name].stdout}`);
        }
        if (problems.length) {
          failed = true;
          notes.push(`${k.name}: MISMATCH, JavaScript = ${expected}, ${problems.join(", ")} (not measured)`);
          continue;
        }
        let armMs;
        let gccMs;
        if (plugin) {
          const a = Number(r.arm32.insns - r.arm32Base.insns);
          const g = Number(r.gcc.insns - r.gccBase.insns);
          const ra = Math.min(100_000, Math.max(2, Math.ceil(1e9 / Math.max(a, 1))));
          const rg = Math.min(100_000, Math.max(2, Math.ceil(1e9 / Math.max(g, 1))));
          // the executable less its driver's work per run (the input's copy), as its count is; the C binary
          // does none between runs
          const perRun = (argv, r) => (wall([...argv, "--repeat", String(r)]) - wall(argv)) / (r - 1);
          armMs = perRun(argv.arm32, ra) - perRun(argv.arm32Base, ra);
          gccMs = (wall([native, k.name, inputFile, String(rg)]) - wall(argv.gcc)) / (rg - 1);
          notes.push(
            `${k.name}: wall time from ${ra.toLocaleString("en")} arm32 runs and ${rg.toLocaleString("en")} gcc runs in one process`,
          );
        } else {
          const ms = {};
          for (const [name, a] of Object.entries(argv)) ms[name] = wall(a);
          armMs = ms.arm32 - ms.arm32Base;
          gccMs = ms.gcc - ms.gccBase;
        }
        if (armMs !== undefined) armMs = Math.max(0, armMs);
        if (gccMs !== undefined) gccMs = Math.max(0, gccMs);
        const row = [k.name, ebpfInsns.toLocaleString("en")];
        if (plugin) {
          const a = r.arm32.insns - r.arm32Base.insns;
          const g = r.gcc.insns - r.gccBase.insns;
          row.push(
            a.toLocaleString("en"),
            g.toLocaleString("en"),
            (Number(a) / Number(g)).toFixed(2) + "x",
            (Number(a) / ebpfInsns).toFixed(2),
          );
        }
        const fmt = (ms) => (ms === undefined ? "-" : ms >= 10 ? ms.toFixed(1) : ms.toFixed(2));
        row.push(fmt(armMs), fmt(gccMs), gccMs > 0 && armMs !== undefined ? (armMs / gccMs).toFixed(2) + "x" : "-");
        rows.push(row);
        notes.push(`${k.name}: ${k.what}; r0 = ${expected} from both executables and in JavaScript`);
      }
      console.log(table(rows));
      console.log("\n" + notes.join("\n"));
      if (plugin)
        console.log("ARM/eBPF: ARM instructions the arm32 executable ran per eBPF instruction the interpreter counted");
      process.exitCode = failed ? 1 : 0;
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  })();
}

await main();
