// Helper 5 is the conformance suite's unwind helper on the arm32 engine too, whichever path runs the suite: the
// CLI's `conformance`, the runner's plugin, and the API's conformance runtime.
import { describe, expect, test } from "vitest";
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync, existsSync, copyFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ROOT } from "../support/paths.js";
import { runConformanceProgram } from "../../src/tools/conformance.js";
import { loadEngines } from "../../src/runtime/engine-loader.js";

// mov r1, 7; call 5; exit: the unwind helper returns its non-zero argument, so r0 = 7
const CALL5 = "b7 01 00 00 07 00 00 00 85 00 00 00 05 00 00 00 95 00 00 00 00 00 00 00";
const bytes = (hex: string) => Uint8Array.from(hex.split(" "), (b) => parseInt(b, 16));
const node = (script: string, args: string[], input?: string) =>
  spawnSync(process.execPath, [join(ROOT, script), ...args], { input, encoding: "utf8", cwd: ROOT });

describe("conformance on the arm32 engine: helper 5 is unwind", () => {
  test("the plugin returns the helper's argument on every engine", () => {
    for (const engine of ["interp", "wasm", "arm32"]) {
      const r = node("bin/tinybpf-conformance-plugin.js", ["--engine", engine], CALL5);
      expect({ engine, out: r.stdout, err: r.stderr }).toEqual({ engine, out: "7\n", err: "" });
    }
  });
  test("the plugin's unwind with 0 ends the program with r0 = 0 on arm32", () => {
    // mov r1, 0; call 5; mov r0, 7; exit
    const r = node(
      "bin/tinybpf-conformance-plugin.js",
      ["--engine", "arm32"],
      "b7 01 00 00 00 00 00 00 85 00 00 00 05 00 00 00 b7 00 00 00 07 00 00 00 95 00 00 00 00 00 00 00",
    );
    expect(r.stdout).toBe("0\n");
  });
  test("the API's conformance runtime", async () => {
    await loadEngines();
    expect(runConformanceProgram(bytes(CALL5), new Uint8Array(0), "arm32")).toBe(7n);
  });
  const callx = join(ROOT, "..", "shared", "conformance", "tests", "callx.data");
  test("`tinybpf conformance --engine arm32` passes callx", () => {
    const dir = mkdtempSync(join(tmpdir(), "tinybpf-conf-"));
    // callx through a register holding 5 (the suite's callx test, written out so that the test stands alone)
    writeFileSync(join(dir, "callx5.data"), "-- asm\nmov %r0, 5\nmov %r1, 9\ncall %r0\nexit\n-- result\n0x9\n");
    if (existsSync(callx)) copyFileSync(callx, join(dir, "callx.data"));
    const r = node("bin/tinybpf.js", ["conformance", dir, "--engine", "arm32"]);
    expect(r.stdout).not.toContain("FAIL");
    expect(r.status).toBe(0);
  });
});
