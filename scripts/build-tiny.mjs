#!/usr/bin/env node
// Builds the interpreter-only core, build/core-tiny.wasm (`npm run build:tiny`): assembly/index.ts with the
// release options of asconfig.json, but with assembly/maps/tiny.ts (the common map families only) compiled in
// place of assembly/maps/index.ts, so that the other families' code is not in the module at all, and without the
// interpreter's fused records (assembly/fusion.ts). Extra arguments go to asc (for example -o FILE).
import asc from "assemblyscript/asc";
import { readFile } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const FULL = resolve(root, "assembly/maps/index.ts");
const TINY = resolve(root, "assembly/maps/tiny.ts");
const FUSION = resolve(root, "assembly/fusion.ts");

const args = ["assembly/index.ts", "--config", "asconfig.json", "--target", "tiny", ...process.argv.slice(2)];
const { error } = await asc.main(args, {
  readFile: async (name, baseDir) => {
    const path = resolve(baseDir, name);
    try {
      if (path === FUSION) return "export const FUSE_PAIRS: bool = false;\n";
      return await readFile(path === FULL ? TINY : path, "utf8");
    } catch {
      return null;
    }
  },
});
if (error) {
  console.error(`build:tiny: ${error.message}`);
  process.exitCode = 1;
}
