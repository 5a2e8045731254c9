// The optional uBPF column of bench/programs.mjs: uBPF's interpreter (iovisor/ubpf) on the same bytecode, when
// UBPF_DIR names a uBPF source tree built with cmake into UBPF_DIR/build (build/lib/libubpf.a). Nothing is
// downloaded: without UBPF_DIR, or without a build there, the column is skipped and the reason printed.
// uBPF has no maps or read-only data sections here, so only kernels whose program uses neither get a figure.
import { execFileSync } from "node:child_process";
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { BENCH_DIR } from "./support.mjs";

/** { path } of a harness built against UBPF_DIR, or { why } it is not there. */
export function findUbpf(ubpfDir, outDir) {
  if (!ubpfDir) return { why: "UBPF_DIR is not set (a uBPF source tree built with cmake -B build)" };
  const lib = join(ubpfDir, "build", "lib", "libubpf.a");
  if (!existsSync(lib)) return { why: `${lib} does not exist (build uBPF with cmake -B build first)` };
  const exe = join(outDir, "ubpf-run");
  try {
    execFileSync(
      "gcc",
      [
        "-O2",
        "-I",
        join(ubpfDir, "vm", "inc"),
        "-I",
        join(ubpfDir, "build", "vm"),
        "-o",
        exe,
        join(BENCH_DIR, "ubpf-run.c"),
        lib,
        "-lm",
      ],
      { stdio: ["ignore", "ignore", "pipe"] },
    );
  } catch (e) {
    return { why: `cannot build bench/ubpf-run.c against ${ubpfDir}: ${String(e.stderr ?? e).split("\n")[0]}` };
  }
  return { path: exe };
}

/**
 * uBPF's runner for one program, or undefined when the program needs what uBPF lacks here (maps, .rodata:
 * both are maps in tinybpf's object model).
 */
export function ubpfRunner(exe, obj, prog, inputFile, dir) {
  if (obj.object.maps.length) return undefined;
  const code = join(dir, `${prog.name}.ubpf.bin`);
  writeFileSync(code, obj.runtime.programs[prog.id].original);
  return {
    result: () => BigInt(execFileSync(exe, [code, inputFile, "1"], { encoding: "utf8" }).trim()),
    nsPerRun: (reps, minMs) =>
      Number(
        execFileSync(exe, [code, inputFile, "time", String(reps), String(minMs)], { encoding: "utf8" })
          .trim()
          .split(/\s+/)[1],
      ),
  };
}
