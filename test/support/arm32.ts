// Shared by the ARM32 tests: the translator module must exist (`npm test` builds it first; a single test file run
// on its own builds it here).
import { existsSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { join } from "node:path";

export const root = join(import.meta.dirname, "..", "..");

export function ensureArm32Translator(): void {
  if (existsSync(join(root, "build", "arm32.wasm"))) return;
  const r = spawnSync(
    "npx",
    ["asc", "assembly/arm32/index.ts", "--config", "assembly/arm32/asconfig.json", "--target", "release"],
    { cwd: root, encoding: "utf8" },
  );
  if (r.status !== 0) throw new Error(r.stderr);
}

/** Runs jobs with at most `width` at a time (qemu-arm keeps one core busy each). */
export async function limited<T>(jobs: (() => Promise<T>)[], width = 2): Promise<T[]> {
  const results: T[] = new Array(jobs.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < jobs.length) {
        const k = next++;
        results[k] = await jobs[k]();
      }
    }),
  );
  return results;
}
