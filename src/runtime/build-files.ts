// The .wasm modules the host loads from build/: as the package has them, or brotli-compressed (NAME.br) as a
// compressed device bundle stores them (a third of their size on the device's flash), inflated here at each start.
import { existsSync, readFileSync } from "node:fs";
import { brotliDecompressSync } from "node:zlib";

/** The bytes of the module at `path`, or of `path`.br inflated; `hint` says how to make it when neither is there. */
export function readWasmFile(path: string, hint: string): Uint8Array<ArrayBuffer> {
  if (existsSync(path)) return readFileSync(path);
  if (existsSync(path + ".br")) return brotliDecompressSync(readFileSync(path + ".br"));
  throw new Error(`${path} is missing: ${hint}`);
}
