// The public eBPF conformance suite on the interpreter: every file, r0 against the suite's expected result.
import { describe, expect, test } from "vitest";
import { existsSync } from "node:fs";
import { basename } from "node:path";
import { conformanceDir, listConformanceFiles } from "../../src/tools/conformance-data.js";
import { runConformanceFile } from "../../src/tools/conformance.js";

const dir = conformanceDir();
const present = existsSync(dir);

describe("conformance suite on the interpreter", () => {
  test("the suite's directory is present (required in CI)", () => {
    if (process.env.CI) expect(present, `conformance directory ${dir} is missing`).toBe(true);
    else if (!present) console.warn(`conformance directory ${dir} is missing: set TINYBPF_CONFORMANCE_DIR`);
  });

  const files = present ? listConformanceFiles(dir) : [];
  test.runIf(present)("holds the 250 tests", () => {
    expect(files.length).toBe(250);
  });

  test.each(files.map((f) => [basename(f, ".data"), f]))("%s", (_name, file) => {
    const r = runConformanceFile(file, "interp");
    expect(r.error).toBeUndefined();
    expect(r.expected).toBeDefined();
    expect(r.got).toBe(r.expected);
  });
});
