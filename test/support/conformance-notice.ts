// vitest global setup: says once per run, in one line, that the conformance suite is missing (test/support/
// conformance.ts decides what the tests do about it), rather than once in every file that needs it.
import { CONFORMANCE_MISSING, HAVE_CONFORMANCE } from "./conformance.js";

export default function conformanceNotice(): void {
  if (!HAVE_CONFORMANCE) console.warn(CONFORMANCE_MISSING);
}
