// Shared by the ARM32 tests: the translator module must exist (`npm test` builds it first; a single test file run
// on its own builds it here); the ARM code a listing shows for a range of eBPF instructions.
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

/**
 * The ARM code of the eBPF instructions from..to - 1 in a listing (`tinybpf build --listing`): their first
 * occurrence, or with `copy` their occurrence in a loop's copy. Each line without its address and encoding.
 */
export function codeOf(listing: string, from: number, to: number, copy = false): string[] {
  const tag = (i: number) => new RegExp(`^;\\s+${i}: .*${copy ? "\\(copy of loop" : "$"}`, "m");
  const rest = listing.slice(listing.search(tag(from)));
  return rest
    .slice(0, rest.search(tag(to)))
    .split("\n")
    .filter((l) => /^\s+[0-9a-f]+:\s/.test(l))
    .map((l) => l.replace(/^\s+[0-9a-f]+:\s+[0-9a-f]+\s+/, ""));
}
