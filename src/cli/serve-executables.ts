// The daemon's ARM32 executables for iface: links (src/serve/native.ts): the engines' layer builds them, so the
// command line hands the daemon this builder. Identified by the translator it runs (build/arm32.wasm's SHA-256):
// executables cached by the daemon are rebuilt when the translator changes.
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { loadSync } from "../api/object.js";
import { buildExecutable, capturesLive } from "../engines/arm32/engine.js";
import { packageRoot } from "../runtime/core.js";
import type { ExecutableBuilder } from "../serve/native.js";

export function executableBuilder(): ExecutableBuilder {
  const translator = readFileSync(join(packageRoot(), "build", "arm32.wasm"));
  return {
    id: createHash("sha256").update(translator).digest("hex"),
    capturesLive,
    build(bytes, program, { budget, ncpus }) {
      const obj = loadSync(bytes, { engine: "interp", budget, ncpus });
      return buildExecutable(obj, obj.program(program), { snapshots: true });
    },
  };
}
