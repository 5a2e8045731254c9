// The public eBPF conformance suite on the interpreter: every file, r0 against the suite's expected result.
import { expect, test } from "vitest";
import { basename } from "node:path";
import { runConformanceFile } from "../../src/tools/conformance.js";
import { describeConformance } from "../support/conformance.js";

describeConformance("conformance suite on the interpreter", (files) => {
  test("holds the 250 tests", () => {
    expect(files.length).toBe(250);
  });

  test.each(files.map((f) => [basename(f, ".data"), f]))("%s", (_name, file) => {
    const r = runConformanceFile(file, "interp");
    expect(r.error).toBeUndefined();
    expect(r.expected).toBeDefined();
    expect(r.got).toBe(r.expected);
  });
});
