// --tail-call MAP:INDEX=PROG fills a program array from the command line, as obj.setTailCall does in the API, for
// `run` on every engine and for `build --target arm32`. tailcall.o (test/fixtures/src/tailcall.c): entry
// tail-calls jmp_table[0], step0 adds 1 to hops and tail-calls jmp_table[1], step1 adds 1 and returns
// hops * 10 + k, spin tail-calls jmp_table[2]; the initializer sets 0 = step0, 1 = step1, 2 = spin.
import { describe, expect, test } from "vitest";
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ROOT, fixture } from "../support/paths.js";

const tmp = mkdtempSync(join(tmpdir(), "tinybpf-tail-"));
const K = 5;
const mem = join(tmp, "mem");
writeFileSync(mem, new Uint8Array([K, 0, 0, 0]));

function tinybpf(...args: string[]) {
  const r = spawnSync(process.execPath, [join(ROOT, "bin/tinybpf.js"), ...args], { encoding: "utf8", cwd: ROOT });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}
const r0 = (...extra: string[]) => {
  const r = tinybpf("run", fixture("tailcall.o"), "--prog", "entry", "--mem", mem, "--json", ...extra);
  expect(r.stderr).toBe("");
  return JSON.parse(r.stdout).r0;
};

describe("tinybpf run --tail-call", () => {
  for (const engine of ["interp", "wasm", "arm32"]) {
    test(`${engine}: the initializer's chain, then slots replaced from the command line`, () => {
      // entry -> step0 -> step1: two hops
      expect(r0("--engine", engine)).toBe(String(2 * 10 + K));
      // entry -> step1 directly: one hop
      expect(r0("--engine", engine, "--tail-call", "jmp_table:0=step1")).toBe(String(1 * 10 + K));
      // repeatable: entry -> spin (slot 0) -> step1 (slot 2): one hop; either option alone gives another result
      expect(r0("--engine", engine, "--tail-call", "jmp_table:0=spin", "--tail-call", "jmp_table:2=step1")).toBe(
        String(1 * 10 + K),
      );
    }, 60_000);
  }
  test("errors name what was wrong", () => {
    const cases: [string, RegExp][] = [
      ["jmp_table", /^tinybpf run: --tail-call takes MAP:INDEX=PROG, not 'jmp_table'$/],
      [
        "jmp_table:9=step1",
        /^tinybpf run: --tail-call jmp_table:9=step1: index 9 is past the end of 'jmp_table' \(max_entries 4\)$/,
      ],
      ["jmp_table:0=nope", /^tinybpf run: tailcall\.o: no program named 'nope'/],
      ["nope:0=step1", /^tinybpf run: tailcall\.o: no map named 'nope'/],
      [".bss:0=step1", /^tinybpf run: --tail-call \.bss:0=step1: map '\.bss' is a array map, not a prog_array$/],
    ];
    for (const [spec, pattern] of cases) {
      const r = tinybpf("run", fixture("tailcall.o"), "--prog", "entry", "--mem", mem, "--tail-call", spec);
      expect(r.status).toBe(1);
      expect(r.stderr.trim().split("\n")).toHaveLength(1);
      expect(r.stderr.trim()).toMatch(pattern);
    }
  });
});

describe("tinybpf build --target arm32 --tail-call", () => {
  test("the executable holds the slots given on the command line", () => {
    const exe = join(tmp, "entry");
    const b = tinybpf(
      "build",
      fixture("tailcall.o"),
      "--prog",
      "entry",
      "--target",
      "arm32",
      "-o",
      exe,
      "--tail-call",
      "jmp_table:0=spin",
      "--tail-call",
      "jmp_table:2=step1",
    );
    expect(b.stderr).toBe("");
    expect(b.status).toBe(0);
    const r = spawnSync("qemu-arm", ["-cpu", "cortex-a8", exe, "--mem", mem, "--json"], { encoding: "utf8" });
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout).r0).toBe(String(1 * 10 + K));
  }, 60_000);
});
