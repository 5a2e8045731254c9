// uBPF's interpreter (iovisor/ubpf) on the same bytecode, for the uBPF column of bench/programs.mjs and for
// bench/ubpf-kernels.mjs, when UBPF_DIR names a uBPF source tree (built with cmake into UBPF_DIR/build, or not
// built: then its interpreter's sources are compiled here). Nothing is downloaded: without UBPF_DIR the column
// is skipped and the reason printed.
// uBPF has no maps or read-only data sections here, so only kernels whose program uses neither get a figure.
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { BENCH_DIR } from "./support.mjs";

/**
 * { path } of bench/ubpf-run.c built against UBPF_DIR, or { why } it cannot be. A cmake build there
 * (build/lib/libubpf.a) is linked as it is; otherwise the interpreter's sources (vm/*.c) are compiled with it.
 */
export function findUbpf(ubpfDir, outDir) {
  if (!ubpfDir) return { why: "UBPF_DIR is not set (a uBPF source tree)" };
  const vm = join(ubpfDir, "vm");
  const lib = join(ubpfDir, "build", "lib", "libubpf.a");
  let sources;
  if (existsSync(lib)) sources = ["-I", join(ubpfDir, "build", "vm"), lib];
  else if (existsSync(join(vm, "ubpf_vm.c"))) {
    // cmake generates this header; the interpreter needs none of its switches
    writeFileSync(join(outDir, "ubpf_config.h"), "#pragma once\n");
    const files = readdirSync(vm).filter((f) => f.endsWith(".c") && f !== "test.c");
    sources = ["-DNDEBUG", "-I", outDir, "-I", vm, ...files.map((f) => join(vm, f))];
  } else return { why: `${ubpfDir} holds neither build/lib/libubpf.a nor vm/ubpf_vm.c` };
  const exe = join(outDir, "ubpf-run");
  try {
    execFileSync("gcc", ["-O2", "-I", join(vm, "inc"), "-o", exe, join(BENCH_DIR, "ubpf-run.c"), ...sources, "-lm"], {
      stdio: ["ignore", "ignore", "pipe"],
    });
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
