// What `tinybpf build --trace 'SCRIPT'` turns into an ARM32 executable: the script compiled, refused with
// bpftrace's error shape (one line, since the build command reports errors as one line) when it is bad or needs
// the host while it runs, the maps its BEGIN probes leave (run here: the executable starts from them), and the
// description of its maps (and of the text of its BEGIN and END probes) with which the executable prints them as
// bpftrace does.
import { compile } from "./compile.js";
import { arm32Obstacle, arm32Script, seedMaps } from "./arm32.js";
import type { LoadedObject } from "../api/object.js";
import { describeForArm32 } from "./arm32-describe.js";
import { TraceError } from "./errors.js";

export interface TraceBuild {
  object: Uint8Array;
  /** The maps' description, given the loaded object's maps in order (src/trace/arm32-describe.ts). */
  describe(objectMaps: { name: string; maxEntries: number }[]): { bytes: Uint8Array; parts: number };
  /** Gives the loaded object the maps BEGIN left, before the executable is built from it. */
  seed(obj: LoadedObject): void;
}

export function traceBuild(script: string): TraceBuild {
  try {
    const c = compile(script);
    const why = arm32Obstacle(c);
    if (why) throw new Error(why);
    const arm = arm32Script(c);
    return {
      object: arm.compiled.object,
      describe: (maps) => describeForArm32(arm, maps),
      seed: (obj) => seedMaps(arm, obj),
    };
  } catch (e) {
    if (e instanceof TraceError) throw new Error(`stdin:${e.loc.line}:${e.loc.col}-${e.loc.end}: ERROR: ${e.problem}`);
    throw e;
  }
}
