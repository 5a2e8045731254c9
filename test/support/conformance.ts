// The one place the tests find the public eBPF conformance suite, or decide what to do without it. The suite is not
// in this repository: TINYBPF_CONFORMANCE_DIR names its tests/ directory, else ../shared/conformance/tests beside the
// repository is used (src/tools/conformance-data.ts). Without it, tests that need it are skipped, and
// test/support/conformance-notice.ts says so in one line for the whole run; in CI (CI set) they fail instead,
// since a run that silently skipped the suite would prove much less than it claims.
import { existsSync } from "node:fs";
import { describe, it } from "vitest";
import { conformanceDir, listConformanceFiles } from "../../src/tools/conformance-data.js";

/** Where the suite is looked for. */
export const CONFORMANCE_DIR = conformanceDir();

/** Is the suite there? */
export const HAVE_CONFORMANCE = existsSync(CONFORMANCE_DIR);

/** Required in CI, optional elsewhere. */
export const CONFORMANCE_REQUIRED = Boolean(process.env.CI);

/** The one line that says what is missing and how to supply it. */
export const CONFORMANCE_MISSING =
  `conformance suite not found at ${CONFORMANCE_DIR}: set TINYBPF_CONFORMANCE_DIR to the suite's tests/ directory ` +
  `(its .data files)${CONFORMANCE_REQUIRED ? "; it is required in CI" : "; the tests that need it are skipped"}`;

/** The suite's .data files, sorted, as full paths; none when the suite is absent. */
export function conformanceFiles(): string[] {
  return HAVE_CONFORMANCE ? listConformanceFiles(CONFORMANCE_DIR) : [];
}

/**
 * A describe block over the suite's files. Without the suite: skipped (its tests collected with no files, so
 * vitest lists them as skipped), or in CI one failing test that says what is missing.
 */
export function describeConformance(name: string, body: (files: string[]) => void): void {
  if (HAVE_CONFORMANCE) {
    describe(name, () => body(conformanceFiles()));
  } else if (CONFORMANCE_REQUIRED) {
    describe(name, () => {
      it("finds the conformance suite", () => {
        throw new Error(CONFORMANCE_MISSING);
      });
    });
  } else {
    describe.skip(name, () => body([]));
  }
}
