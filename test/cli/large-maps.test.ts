// `tinybpf run` on an array map of 1,000,000 entries: the output streams, entry by entry, so that Node's heap
// never holds all entries (nor all the text). The child runs with a 32 MB heap: a copy of every entry as objects,
// or the JSON text as one string (38 MB), does not fit there, and Node aborts.
import { describe, expect, test } from "vitest";
import { spawnSync } from "node:child_process";
import { mkdtempSync, openSync, closeSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ROOT, fixture } from "../support/paths.js";

const tmp = mkdtempSync(join(tmpdir(), "tinybpf-big-"));
const ENTRIES = 1_000_000;
// what test/fixtures/src/big_array.c's fill_big stores
const stored = new Map([
  [0, 1],
  [500_000, 5],
  [ENTRIES - 1, 7],
]);

/** Runs the CLI with a small heap, standard output to a file; returns the status, the output and stderr. */
function tinybpfSmallHeap(...args: string[]) {
  const file = join(tmp, "out");
  const fd = openSync(file, "w");
  try {
    const r = spawnSync(process.execPath, ["--max-old-space-size=32", join(ROOT, "bin/tinybpf.js"), ...args], {
      stdio: ["ignore", fd, "pipe"],
      encoding: "utf8",
      cwd: ROOT,
    });
    return { status: r.status, stderr: r.stderr, stdout: readFileSync(file, "utf8") };
  } finally {
    closeSync(fd);
  }
}

const HEX = Array.from({ length: 256 }, (_, b) => b.toString(16).padStart(2, "0"));
const le32 = (v: number) => HEX[v & 0xff] + HEX[(v >>> 8) & 0xff] + HEX[(v >>> 16) & 0xff] + HEX[v >>> 24];

/** What --json prints for the filled map, computed here entry by entry (once, for both engines). */
let expectedJson: string | undefined;
function expectedJsonText(): string {
  if (expectedJson === undefined) {
    const entries: string[] = [];
    for (let k = 0; k < ENTRIES; k++) entries.push(`{"key":"${le32(k)}","value":"${le32(stored.get(k) ?? 0)}"}`);
    expectedJson = `{"r0":"0","runs":1,"maps":{"big":[${entries.join(",")}]}}\n`;
  }
  return expectedJson;
}

describe("tinybpf run on an array of 1,000,000 entries", () => {
  for (const engine of ["interp", "arm32"]) {
    test(`${engine}: readable output, zero entries counted, in a 32 MB heap`, () => {
      const r = tinybpfSmallHeap("run", fixture("big_array.o"), "--engine", engine);
      expect(r.stderr).toBe("");
      expect(r.status).toBe(0);
      expect(r.stdout).toBe(
        [
          "fill_big (raw): 1 run",
          "r0: 0",
          `map big (array, key 4, value 4, max_entries ${ENTRIES}):`,
          ...[...stored].map(([k, v]) => `  ${k}: ${v}`),
          `  (${ENTRIES - stored.size} zero entries not shown)`,
          "",
        ].join("\n"),
      );
    }, 60_000);
    test(`${engine}: --json lists every entry, in a 32 MB heap`, () => {
      const r = tinybpfSmallHeap("run", fixture("big_array.o"), "--engine", engine, "--json");
      expect(r.stderr).toBe("");
      expect(r.status).toBe(0);
      const expected = expectedJsonText();
      expect(r.stdout.length).toBe(expected.length);
      expect(r.stdout === expected).toBe(true);
    }, 60_000);
  }
  test("a reader that stops early (| head) ends the output quietly", () => {
    for (const engine of ["interp", "arm32"]) {
      const r = spawnSync(
        "bash",
        [
          "-o",
          "pipefail",
          "-c",
          `"${process.execPath}" bin/tinybpf.js run test/fixtures/big_array.o --json --engine ${engine} | head -c 20`,
        ],
        { encoding: "utf8", cwd: ROOT },
      );
      expect({ engine, status: r.status, stdout: r.stdout, stderr: r.stderr }).toEqual({
        engine,
        status: 0,
        stdout: '{"r0":"0","runs":1,"',
        stderr: "",
      });
    }
  }, 60_000);
});
