// The bench scripts' shared command-line parser (bench/args.mjs): each kind of value is taken as declared, and
// every kind of bad argument ends the script with one line naming it, the usage and exit status 2 (run in a child
// process, since the parser exits). Also the scripts' own wiring: a bad argument to each bench script is refused
// before it builds or times anything.
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
import { ROOT } from "../support/paths.js";

const ARGS = pathToFileURL(join(ROOT, "bench", "args.mjs")).href;
const SPEC = {
  usage: "usage: demo [--kernels a,b] [--reps N] [--max N] [--min-ms N] [--cpu NAME] [--no-arm] [--on] FILE",
  defaults: { reps: 5, arm: true, on: false },
  flags: {
    "--kernels": ["kernels", "list"],
    "--reps": ["reps", "count"],
    "--max": ["max", "count", 60],
    "--min-ms": ["minMs", "positive"],
    "--cpu": ["cpu", "text"],
    "--no-arm": ["arm", false],
    "--on": ["on", true],
  },
  positional: ["file", "FILE"],
  kernels: ["adler32", "crc32"],
};

function parse(argv: string[]) {
  const code = `import { parseBenchArgs } from ${JSON.stringify(ARGS)};
    console.log(JSON.stringify(parseBenchArgs("demo", ${JSON.stringify(argv)}, ${JSON.stringify(SPEC)})));`;
  const r = spawnSync(process.execPath, ["--input-type=module", "-e", code], { encoding: "utf8" });
  return { status: r.status, out: r.stdout.trim() ? JSON.parse(r.stdout) : undefined, err: r.stderr };
}

describe("bench/args.mjs", () => {
  it("takes each kind of value as declared, defaults where not given", () => {
    const argv = ["--kernels", "crc32,adler32", "--max", "60", "--min-ms", "2.5", "--cpu", "arm1176", "x.wasm"];
    const r = parse([...argv, "--no-arm", "--on", "--reps", "3"]);
    expect(r.err).toBe("");
    expect(r.status).toBe(0);
    expect(r.out).toEqual({
      reps: 3,
      max: 60,
      arm: false,
      on: true,
      kernels: ["crc32", "adler32"],
      minMs: 2.5,
      cpu: "arm1176",
      file: "x.wasm",
    });
    expect(parse(["y.o"]).out).toEqual({ reps: 5, arm: true, on: false, file: "y.o" });
  });

  const refused: [string[], string][] = [
    [["--reps"], "--reps needs a value"],
    [["f", "--reps", "0"], "--reps needs a whole number from 1 up, not '0'"],
    [["f", "--reps", "2.5"], "--reps needs a whole number from 1 up, not '2.5'"],
    [["f", "--reps", "x"], "--reps needs a whole number from 1 up, not 'x'"],
    [["f", "--max", "61"], "--max needs a whole number from 1 to 60, not '61'"],
    [["f", "--min-ms", "0"], "--min-ms needs a number above 0, not '0'"],
    [["f", "--min-ms", "-3"], "--min-ms needs a number above 0, not '-3'"],
    [["f", "--kernels", ","], "--kernels needs at least one name"],
    [["f", "--kernels", "crc32,nope"], "no kernel named 'nope' (kernels: adler32, crc32)"],
    [["f", "--bogus"], "unknown argument '--bogus'"],
    [["f", "g"], "unknown argument 'g'"],
    [["--reps", "2"], "no FILE given"],
  ];
  for (const [argv, message] of refused) {
    it(`refuses ${argv.join(" ")}: ${message}`, () => {
      const r = parse(argv);
      expect(r.status).toBe(2);
      expect(r.out).toBeUndefined();
      expect(r.err).toBe(`bench/demo: ${message}\n${SPEC.usage}\n`);
    });
  }

  // each script refuses a bad argument at once (before building anything or finding qemu, gcc or dist/)
  const scripts: [string, string[], string][] = [
    ["programs", ["--kernels", "nope"], "no kernel named 'nope'"],
    ["arm32", ["--reps", "x"], "--reps needs a whole number"],
    ["run", ["--min-ms", "-1"], "--min-ms needs a number above 0"],
    ["throughput", ["--frames", "1.5"], "--frames needs a whole number"],
    ["device", ["--kernels", "zzz"], "no kernel named 'zzz'"],
    ["ubpf-kernels", ["--bogus"], "unknown argument '--bogus'"],
    ["wasm-ab", [], "no OTHER.wasm given"],
    ["interp-ab", ["--rounds", "0"], "--rounds needs a whole number"],
    ["trace", ["--x"], "unknown argument '--x'"],
    ["trace-sizes", ["--y"], "unknown argument '--y'"],
  ];
  for (const [script, argv, message] of scripts) {
    it(`bench/${script}.mjs ${argv.join(" ")}`, () => {
      const r = spawnSync(process.execPath, [join(ROOT, "bench", `${script}.mjs`), ...argv], { encoding: "utf8" });
      expect(r.status).toBe(2);
      expect(r.stderr).toContain(`bench/${script}: ${message}`);
      expect(r.stdout).toBe("");
    });
  }
});
