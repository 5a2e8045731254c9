// Shared by the ARM32 tests: the translator module must exist (`npm test` builds it first; a single test file run
// on its own builds it here).
import { existsSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { join } from "node:path";

export const root = join(import.meta.dirname, "..");

export function ensureArm32Translator(): void {
  if (existsSync(join(root, "build", "arm32.wasm"))) return;
  const r = spawnSync("npx", ["asc", "assembly/arm32/index.ts", "--config", "assembly/arm32/asconfig.json", "--target",
    "release"], { cwd: root, encoding: "utf8" });
  if (r.status !== 0) throw new Error(r.stderr);
}
