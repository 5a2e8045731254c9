// The compiled programs before the Linux kernel's own verifier: every corpus one-liner, the fuzzer's seed scripts
// and scripts that end early (exit(), return) are loaded with BPF_PROG_LOAD by kernel-verify.py (socket filters,
// kprobe, perf_event and raw_tracepoint programs). Where this machine gives no bpf() system call (no privilege,
// another OS), the suite is skipped and the reason printed.
import { describe, expect, test } from "vitest";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { compile } from "../../src/trace/compile.js";
import { loadObject } from "../../src/loader/loader.js";
import { SEED_SCRIPTS } from "../../src/trace/fuzz.js";
import { CASES } from "./cases.js";

const SCRIPT = join(__dirname, "kernel-verify.py");

function spec(source: string) {
  const obj = loadObject(compile(source).object, "trace.o");
  return {
    maps: obj.maps.map((m) => ({
      type: m.type,
      keySize: m.keySize,
      valueSize: m.valueSize,
      maxEntries: m.maxEntries,
      flags: m.flags,
    })),
    programs: obj.programs.map((p) => ({ name: p.name, type: p.type, insns: Buffer.from(p.insns).toString("hex") })),
  };
}

/** Every script's programs through BPF_PROG_LOAD in one run of kernel-verify.py: status and one line per program. */
function verify(sources: string[]): { status: number | null; lines: string[] } {
  const r = spawnSync("python3", [SCRIPT], { input: JSON.stringify(sources.map(spec)), encoding: "utf8" });
  return { status: r.status, lines: (r.stdout + r.stderr).trim().split("\n") };
}

const probe = verify(["BEGIN { @x = 1 }"]);
const available = probe.status === 0;

const EARLY_ENDS = [
  "BEGIN { @a = 1; exit(); } END { @b = 2 }",
  "packet /len > 3/ { return 5 } packet { if (len) { exit() } else { return 1 } }",
  "packet { unroll(3) { @x++; if (len > 100) { return 2 } } @y = 1 }",
  "interval:s:1 { @i = count(); if (@i > 3) { exit() } }",
  "probe:open { @a[arg0, arg1] = sum(arg5); $x = arg2 ? arg3 : arg4; @x = max($x); delete(@a[1, 2]) }",
  'BEGIN { @[comm, "k"] = count(); @p = pid; @t = tid; @c = cpu; @r = rand; printf("%s %d\\n", comm, elapsed) }',
];

describe.skipIf(!available)("trace programs and the Linux verifier", () => {
  const scripts = [...new Set([...CASES.map((c) => c.script), ...SEED_SCRIPTS, ...EARLY_ENDS])];
  const result = available ? verify(scripts) : { status: null, lines: [] };
  test("every program of every script is accepted", () => {
    const programs = scripts.reduce((n, s) => n + spec(s).programs.length, 0);
    expect(
      result.lines.filter((l) => l.startsWith("FAIL")).map((l) => `${scripts[Number(l.split(" ")[1])]}: ${l}`),
    ).toEqual([]);
    expect(result.lines.filter((l) => l.startsWith("OK")).length).toBe(programs);
    expect(result.status).toBe(0);
  });
});

test("the kernel check ran or says why not", () => {
  if (!available) console.log(`kernel verifier not available here: ${probe.lines.join(" ")}`);
  expect(typeof available).toBe("boolean");
});
