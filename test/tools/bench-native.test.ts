// bench/programs-native.c's process that does everything but the kernel: bench/programs.mjs subtracts its time per
// run from gcc's wall time, as the constant-returning executable's from the ARM32 executable's, so that the
// input's copy before each run is left out of both, as it is from the instruction counts. Checked by the guest
// instructions qemu-arm counts (bench/qemu-insn-count.c): each copy asked for adds the same number. No timing.
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { randomBytes } from "../../bench/program-inputs.mjs";
import { buildPlugin } from "../../bench/support.mjs";
import { ROOT } from "../support/paths.js";

const CC = "arm-linux-gnueabihf-gcc";
const have = (cmd: string) => spawnSync(cmd, ["--version"], { stdio: "ignore" }).status === 0;
const canRun = have(CC) && have("qemu-arm") && have("gcc");
const dir = mkdtempSync(join(tmpdir(), "tinybpf-bench-native-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe.skipIf(!canRun)("programs-native INPUT 0 R0 C", () => {
  it("copies the input C times, runs no kernel and prints R0", () => {
    const exe = join(dir, "fnv1a.arm");
    const kernels = join(ROOT, "bench", "kernels", "c");
    execFileSync(CC, [
      "-O2",
      "-march=armv7-a+fp",
      "-static",
      "-DKERNEL_FN=fnv1a",
      "-I",
      kernels,
      "-o",
      exe,
      join(ROOT, "bench", "programs-native.c"),
      join(kernels, "fnv1a.c"),
    ]);
    const input = join(dir, "input.bin");
    const size = 64 * 1024;
    writeFileSync(input, randomBytes(size, 3));
    const plugin = buildPlugin(dir);
    const counted = (...args: string[]) => {
      const out = join(dir, "count");
      const r = spawnSync("qemu-arm", ["-plugin", `${plugin},out=${out}`, exe, input, ...args], { encoding: "utf8" });
      expect(r.status).toBe(0);
      return { stdout: r.stdout.trim(), insns: Number(readFileSync(out, "utf8").trim()) };
    };
    const runs = [1, 2, 3].map((c) => counted("0", "12345", String(c)));
    for (const r of runs) expect(r.stdout).toBe("12345");
    const copy = runs[1].insns - runs[0].insns;
    expect(runs[2].insns - runs[1].insns).toBe(copy);
    // a copy of 64 KiB takes some instructions per 64 bytes at least (NEON moves 32 bytes at most at a time)
    expect(copy).toBeGreaterThan(size / 64);
    // and the kernel does not run: a run of it costs more than its copy (fnv1a: a multiply per byte)
    const kernelRun = counted("2").insns - counted("1").insns;
    expect(kernelRun).toBeGreaterThan(copy + size);
  });
});
