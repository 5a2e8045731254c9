// Shared by the ARM32 tests: the translator module must exist (`npm test` builds it first; a single test file run
// on its own builds it here); the ARM code a listing shows for a range of eBPF instructions; whether a loop's copy
// ran at all in a run (qemu-arm's log of the code blocks it executed).
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "vitest";
import { assemble } from "../../src/tools/asm.js";
import { type Arm32Options, arm32Listing, buildArm32Executable, qemu, qemuCpu } from "../../src/engines/arm32/build.js";

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

/** A call (a memory check's), conditional or not; not a branch such as `blo`. */
const CHECK_CALL = /^bl(eq|ne|hs|lo|mi|pl|hi|ls|ge|lt|gt|le)?\s/;

/** Loop first..last of `source` (no budget) is tested on entry, and its copy calls no memory check. */
export function expectCopyWithoutChecks(source: string, [first, last]: [number, number]): void {
  const listing = arm32Listing(assemble(source), { budget: 0 });
  expect(listing, source).toContain(`; loop ${first}-${last}: the test on entry, then the copy without checks`);
  const copy = codeOf(listing, first, last, true);
  expect(copy.length).toBeGreaterThan(0);
  expect(
    copy.filter((l) => CHECK_CALL.test(l)),
    copy.join("\n"),
  ).toEqual([]);
}

/**
 * The addresses [from, to) of loop head..last's copy in a listing, or null when it has none. A run used the copy when
 * a block of code started in it: its trips after the first start at its head (its first trip may run in the block
 * of the test on entry). It ends at the first heading after it of code outside every copy (the loop's ordinary
 * code, or, for a loop entered by a jump, whose test and copy follow that jump's code, the instruction after it).
 */
export function copyRange(listing: string, head: number, last: number): [number, number] | null {
  const start = listing.search(new RegExp(`^;\\s+${head}: .*\\(copy of loop ${head}-${last}\\)$`, "m"));
  if (start < 0) return null;
  const after = listing.slice(start).search(/^; (loop \d+-\d+: the ordinary code|\s*\d+: (?!.*\(copy of loop))/m);
  const end = after < 0 ? -1 : start + after;
  if (end < start) return null;
  const address = (from: number) => parseInt(listing.slice(from).match(/^\s+([0-9a-f]+):\s/m)![1], 16);
  return [address(start), address(end)];
}

/**
 * The addresses at which the ARM executable of `insns` started a block of code when run on `mem` (qemu-arm -d
 * exec,nochain: one line per block executed), whether it ended normally or with a fault (status 1), to tell whether a loop's copy ran or its ordinary code did: their
 * results are the same by design. Pass the options of the listing the addresses are compared with: a budget changes
 * the code's layout, and the default budget is not the listings' 0.
 */
export function executedBlocks(insns: Uint8Array, mem: Uint8Array, opts: Arm32Options = {}): Set<number> {
  const dir = mkdtempSync(join(tmpdir(), "tinybpf-arm32-"));
  try {
    const exe = join(dir, "prog");
    const log = join(dir, "log");
    writeFileSync(exe, buildArm32Executable(insns, opts));
    chmodSync(exe, 0o755);
    writeFileSync(join(dir, "mem"), mem);
    const args = ["-cpu", qemuCpu(opts), "-d", "exec,nochain", "-D", log, exe, "--mem", join(dir, "mem")];
    const r = spawnSync(qemu(), args, { encoding: "utf8", timeout: 60_000 });
    if (r.status !== 0 && r.status !== 1) throw new Error(`qemu-arm failed (status ${r.status}): ${r.stderr}`);
    const blocks = new Set<number>();
    for (const m of readFileSync(log, "utf8").matchAll(/\[[0-9a-f]+\/([0-9a-f]+)\//g)) blocks.add(parseInt(m[1], 16));
    return blocks;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Whether the executable of `insns`, run on `mem`, ran the copy of loop head..last: the listing's copy and the run
 * both without a budget, so that the addresses compared come from one layout. Fails the test when the loop has no
 * copy at all.
 */
export function copyRuns(insns: Uint8Array, mem: Uint8Array, [head, last]: [number, number]): boolean {
  const range = copyRange(arm32Listing(insns, { budget: 0 }), head, last);
  expect(range, `loop ${head}-${last} has no copy`).not.toBeNull();
  const [from, to] = range!;
  return [...executedBlocks(insns, mem, { budget: 0 })].some((at) => at >= from && at < to);
}
