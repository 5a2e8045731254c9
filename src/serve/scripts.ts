// Modules from one-liners: `POST /modules` with {"name", "script"} compiles a `tinybpf trace` script into the same
// ELF object `tinybpf trace -o` writes (its programs are the probes, e.g. packet_0, its maps the script's @maps,
// printf's records come out as ring-buffer events), so the daemon keeps and runs it like any uploaded object.
// The compiler is registered by whoever starts the daemon with it (the workstation's CLI, a device bundle made
// with both --serve and --trace): a daemon bundled without it stays 35 KB smaller and says why it cannot compile.
import { TraceError } from "../trace/errors.js";
import { HttpError } from "./http.js";

export const MAX_SCRIPT_BYTES = 64 << 10;

type Compiler = (script: string) => Promise<Uint8Array>;
let compiler: Compiler | undefined;

export function registerScriptCompiler(compile: Compiler): void {
  compiler = compile;
}

/** The script's object; a bad script is a 400 with bpftrace's one-line message. */
export async function compileScript(script: string): Promise<Uint8Array> {
  if (!compiler) throw new HttpError(501, "this daemon has no script compiler (a device bundle made without --trace)");
  try {
    return await compiler(script);
  } catch (e) {
    if (e instanceof TraceError)
      throw new HttpError(400, `stdin:${e.loc.line}:${e.loc.col}-${e.loc.end}: ERROR: ${e.problem}`);
    throw e;
  }
}
