// Builds test/support/maps-entry.ts (the core's map and helper code without the interpreter) with asc, in memory,
// and instantiates it with every host import refusing to be called unless the test supplies it.
import asc from "assemblyscript/asc";
import { relative } from "node:path";
import { fileURLToPath } from "node:url";

const ENTRY = fileURLToPath(new URL("./maps-entry.ts", import.meta.url));

/** Compiles the maps entry the way the release core is built (stub runtime, no assertions). */
export async function compileMapsCore(): Promise<WebAssembly.Module> {
  let binary: Uint8Array<ArrayBuffer> | undefined;
  const log: string[] = [];
  const sink = {
    write: (s: string | Uint8Array) => {
      log.push(String(s));
      return true;
    },
  };
  const { error } = await asc.main(
    [
      relative(process.cwd(), ENTRY),
      "--runtime",
      "stub",
      "--initialMemory",
      "3",
      "-O2",
      "--noAssert",
      "--outFile",
      "maps.wasm",
    ],
    {
      writeFile: (name, contents) => {
        if (name.endsWith(".wasm") && contents instanceof Uint8Array) binary = new Uint8Array(contents);
      },
      stdout: sink,
      stderr: sink,
    },
  );
  if (error || !binary) throw new Error(`asc failed: ${error}\n${log.join("")}`);
  return WebAssembly.compile(binary);
}

/** The module's `env` imports: those in `provided`, and for the rest a function that throws `unexpected(name)`. */
export function hostImports(
  compiled: WebAssembly.Module,
  provided: WebAssembly.ModuleImports,
  unexpected: (name: string) => string,
): WebAssembly.Imports {
  const env: WebAssembly.ModuleImports = {};
  for (const imp of WebAssembly.Module.imports(compiled)) {
    env[imp.name] =
      provided[imp.name] ??
      (() => {
        throw new Error(unexpected(imp.name));
      });
  }
  return { env };
}
