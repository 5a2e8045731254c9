// The daemon's ARM32 executables for iface: links (src/serve/native.ts): the engines' layer builds them, so the
// command line (and a device bundle made with --serve --arm32) hands the daemon this builder. Identified by the
// translator it runs (build/arm32.wasm's SHA-256): executables cached by the daemon are rebuilt when it changes.
import { createHash } from "node:crypto";
import { loadSync } from "../api/object.js";
import { translatorBytes } from "../engines/arm32/build.js";
import { buildExecutable, capturesLive } from "../engines/arm32/engine.js";
import type { ExecutableBuilder } from "../serve/native.js";

export function executableBuilder(): ExecutableBuilder {
  return {
    id: createHash("sha256").update(translatorBytes()).digest("hex"),
    capturesLive,
    build(bytes, program, { budget, ncpus }) {
      const obj = loadSync(bytes, { engine: "interp", budget, ncpus });
      return buildExecutable(obj, obj.program(program), { snapshots: true });
    },
  };
}
