// Modules from one-liners: `POST /modules` with {"name", "script"} compiles a `tinybpf trace` script into the same
// ELF object `tinybpf trace -o` writes (its programs are the probes, e.g. packet_0, its maps the script's @maps,
// printf's records come out as ring-buffer events), so the daemon keeps and runs it like any uploaded object.
import { compile } from "../trace/compile.js";
import { TraceError } from "../trace/errors.js";
import { HttpError } from "./http.js";

export const MAX_SCRIPT_BYTES = 64 << 10;

/** The script's object; a bad script is a 400 with bpftrace's one-line message. */
export function compileScript(script: string): Uint8Array {
  try {
    return compile(script).object;
  } catch (e) {
    if (e instanceof TraceError)
      throw new HttpError(400, `stdin:${e.loc.line}:${e.loc.col}-${e.loc.end}: ERROR: ${e.problem}`);
    throw e;
  }
}
