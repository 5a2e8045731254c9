// Where the tests find the repository's files, wherever the test file sits under test/.
import { join } from "node:path";

/** The repository's root. */
export const ROOT = join(import.meta.dirname, "..", "..");
/** The clang-built objects and captures the tests share (test/fixtures/README.md lists them). */
export const FIXTURES = join(ROOT, "test", "fixtures");

/** A fixture object or other file under test/fixtures. */
export const fixture = (name: string): string => join(FIXTURES, name);
