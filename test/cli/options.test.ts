// The command line's own conventions: --version, `CMD --help` for every command, unknown options refused by
// name, and a packet program given no input told what it needs rather than run on nothing.
import { describe, expect, test } from "vitest";
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT, fixture } from "../support/paths.js";
import { OPTIONS } from "../../src/cli/main.js";
import { HELP_TEXT } from "../../src/cli/help-text.js";

function tinybpf(...args: string[]) {
  const r = spawnSync(process.execPath, [join(ROOT, "bin/tinybpf.js"), ...args], { encoding: "utf8", cwd: ROOT });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe("tinybpf --version", () => {
  test("prints package.json's version", () => {
    const { version } = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8"));
    const r = tinybpf("--version");
    expect([r.status, r.stdout, r.stderr]).toEqual([0, `tinybpf ${version}\n`, ""]);
  });
});

describe("tinybpf CMD --help", () => {
  for (const command of ["run", "info", "asm", "disasm", "conformance", "build", "bundle"]) {
    test(`${command} --help prints the command's usage and exits 0`, () => {
      const r = tinybpf(command, "--help");
      expect(r.stderr).toBe("");
      expect(r.status).toBe(0);
      expect(r.stdout.startsWith(`usage: tinybpf ${command}`)).toBe(true);
    });
  }
  test("--help wins over missing arguments", () => {
    expect(tinybpf("run", fixture("sockex1.o"), "--help").status).toBe(0);
  });
  test("every option a command's usage names is one it accepts", () => {
    expect(Object.keys(HELP_TEXT).sort()).toEqual(Object.keys(OPTIONS).sort());
    for (const [command, usage] of Object.entries(HELP_TEXT)) {
      // the synopsis (up to the first blank line) and the options section, not the prose about other programs
      const [synopsis] = usage.split("\n\n");
      const options = usage.split("\noptions:\n")[1] ?? "";
      const accepted = new Set([...(OPTIONS[command].flags ?? []), ...(OPTIONS[command].values ?? [])]);
      for (const [, name] of `${synopsis}\n${options}`.matchAll(/(?:^|[\s[(|])--([a-z][a-z0-9-]*)/g)) {
        expect(accepted.has(name), `${command} --${name}`).toBe(true);
      }
      if (/ -o /.test(synopsis)) expect(accepted.has("o"), `${command} -o`).toBe(true);
    }
  });
});

describe("unknown options are refused", () => {
  test("a misspelt option is named, nothing runs", () => {
    const r = tinybpf("run", fixture("sockex1.o"), "--bugdet", "5", "--pcap", fixture("pcap/sockex1.pcap"));
    expect([r.status, r.stdout, r.stderr]).toEqual([1, "", "tinybpf run: unknown option --bugdet\n"]);
  });
  test("several are named on one line", () => {
    const r = tinybpf("info", fixture("sockex1.o"), "--json", "--verbose=2", "-o", "x");
    expect([r.status, r.stderr]).toEqual([1, "tinybpf info: unknown options --json, --verbose, -o\n"]);
  });
  test("an option of another command", () => {
    const r = tinybpf("asm", "x.s", "-o", "x.bin", "--engine", "wasm");
    expect([r.status, r.stderr]).toEqual([1, "tinybpf asm: unknown option --engine\n"]);
  });
});

describe("run with no input", () => {
  test("a socket filter says which input it needs", () => {
    const r = tinybpf("run", fixture("sockex1.o"));
    expect([r.status, r.stdout]).toEqual([1, ""]);
    expect(r.stderr).toBe(
      "tinybpf run: bpf_prog1 is a socket_filter program: give it packets with --pcap FILE or one with --mem FILE\n",
    );
  });
  test("an XDP program too, on every engine", () => {
    for (const engine of ["interp", "arm32"]) {
      const r = tinybpf("run", fixture("xdp.o"), "--engine", engine);
      expect(r.stderr).toMatch(/^tinybpf run: \w+ is a xdp program: give it packets with --pcap FILE/);
    }
  });
  test("a raw program runs once on an empty context (it needs no input)", () => {
    const r = tinybpf("run", fixture("btf_values.o"), "--json");
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout).runs).toBe(1);
  });
});
