// `tinybpf build --trace` executables run by themselves under qemu-arm (natively on ARM), with no host to print
// for them: every corpus one-liner that needs no host while it runs, its output compared with the model's
// (cases.ts), which computes bpftrace's text independently. The executable sorts, groups and draws the
// histograms itself (targets/arm32/driver/bpftrace-print.ts).
import { describe, expect, test, beforeAll } from "vitest";
import { spawn } from "node:child_process";
import { mkdtempSync, writeFileSync, chmodSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { compile } from "../../src/trace/compile.js";
import { arm32Obstacle } from "../../src/trace/arm32.js";
import { traceBuild } from "../../src/trace/build-object.js";
import { loadSync } from "../../src/api/object.js";
import { buildExecutable } from "../../src/engines/arm32/engine.js";
import { qemu } from "../../src/engines/arm32/build.js";
import { ensureArm32Translator, limited } from "../support/arm32.js";
import { CASES, output } from "./cases.js";

const capture = join(__dirname, "..", "fixtures", "pcap", "trace-mix.pcap");
const tmp = mkdtempSync(join(tmpdir(), "tinybpf-trace-exe-"));

function executable(script: string): Uint8Array {
  const b = traceBuild(script);
  const obj = loadSync(b.object, { engine: "interp", fileName: "trace.o" });
  const prog = [...obj.programs.values()][0];
  b.seed(obj);
  return buildExecutable(obj, prog, { bpftrace: b.describe(obj.object.maps) });
}

function run(file: string, args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(qemu(), [file, ...args]);
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    child.on("error", reject);
    child.on("close", (status) => resolve({ status, stdout, stderr }));
  });
}

beforeAll(() => ensureArm32Translator());

describe("trace executables print as bpftrace does, by themselves", () => {
  const eligible = CASES.filter((c) => arm32Obstacle(compile(c.script)) === undefined);
  test("at least 10 one-liners qualify", () => {
    expect(eligible.length).toBeGreaterThanOrEqual(10);
  });
  test("scripts whose BEGIN probes update maps qualify (BEGIN runs when building)", () => {
    const withBegin = eligible.filter((c) => /^BEGIN \{ @/.test(c.script));
    expect(withBegin.length).toBeGreaterThanOrEqual(2);
  });
  test(`${eligible.length} one-liners: the executable's output is the model's`, async () => {
    const results = await limited(
      eligible.map((c, k) => async () => {
        const file = join(tmp, `case${k}`);
        writeFileSync(file, executable(c.script));
        chmodSync(file, 0o755);
        const r = await run(file, ["--pcap", capture]);
        return { script: c.script, got: `${r.status} ${r.stderr}${r.stdout}`, want: `0 ${output(c)}` };
      }),
    );
    for (const r of results) expect(r.got, r.script).toBe(r.want);
  }, 120_000);
});
