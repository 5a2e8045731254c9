// The object `tinybpf build --trace 'SCRIPT'` turns into an ARM32 executable: the script compiled, refused with
// bpftrace's error shape (one line, since the build command reports errors as one line) when it is bad or needs
// the host while it runs.
import { compile } from "./compile.js";
import { arm32Obstacle } from "./arm32.js";
import { TraceError } from "./errors.js";

export function traceObject(script: string): Uint8Array {
  try {
    const c = compile(script);
    const why = arm32Obstacle(c);
    if (why) throw new Error(why);
    return c.object;
  } catch (e) {
    if (e instanceof TraceError) throw new Error(`stdin:${e.loc.line}:${e.loc.col}-${e.loc.end}: ERROR: ${e.problem}`);
    throw e;
  }
}
