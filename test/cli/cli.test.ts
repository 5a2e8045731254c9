// The CLI as a user runs it: the built bin/tinybpf.js in a child process (exit status, stdout, one-line errors).
import { describe, expect, test } from "vitest";
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync, readFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { conformanceDir, listConformanceFiles } from "../../src/tools/conformance-data.js";
import { CONFORMANCE_REQUIRED, HAVE_CONFORMANCE } from "../support/conformance.js";

const root = join(__dirname, "..", "..");
const tmp = mkdtempSync(join(tmpdir(), "tinybpf-cli-"));

function tinybpf(...args: string[]) {
  const r = spawnSync(process.execPath, [join(root, "bin/tinybpf.js"), ...args], { encoding: "utf8", cwd: root });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe("tinybpf asm / disasm", () => {
  test("assembles to the RFC 9669 encoding and disassembles back", () => {
    writeFileSync(join(tmp, "p.s"), "mov %r0, 1\nadd32 %r0, 2\nexit\n");
    const a = tinybpf("asm", join(tmp, "p.s"), "-o", join(tmp, "p.bin"));
    expect(a.status).toBe(0);
    expect(a.stdout).toBe(`${join(tmp, "p.bin")}: 3 instructions\n`);
    // mov r0, 1 = b7 00 0000 01000000; add32 r0, 2 = 04 00 0000 02000000; exit = 95 ...
    expect(Buffer.from(readFileSync(join(tmp, "p.bin"))).toString("hex")).toBe(
      "b700000001000000" + "0400000002000000" + "9500000000000000",
    );
    const d = tinybpf("disasm", join(tmp, "p.bin"));
    expect(d.status).toBe(0);
    expect(d.stdout).toBe("mov %r0, 1\nadd32 %r0, 2\nexit\n");
  });
  test("assembler errors name the line; exit status 1", () => {
    writeFileSync(join(tmp, "bad.s"), "mov %r0, 1\nfrobnicate %r1\nexit\n");
    const r = tinybpf("asm", join(tmp, "bad.s"), "-o", join(tmp, "bad.bin"));
    expect(r.status).toBe(1);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).toMatch(/^tinybpf asm: line 2: /);
    expect(existsSync(join(tmp, "bad.bin"))).toBe(false);
  });
  test("disasm of a file that is not whole instructions", () => {
    writeFileSync(join(tmp, "odd.bin"), new Uint8Array(12));
    const r = tinybpf("disasm", join(tmp, "odd.bin"));
    expect(r.status).toBe(1);
    expect(r.stderr).toBe(`tinybpf disasm: ${join(tmp, "odd.bin")}: 12 bytes is not a whole number of instructions\n`);
  });
  test("missing files and unknown commands", () => {
    expect(tinybpf("disasm", join(tmp, "nope.bin")).stderr).toBe(
      `tinybpf disasm: ${join(tmp, "nope.bin")}: no such file\n`,
    );
    const r = tinybpf("frob");
    expect(r.status).toBe(1);
    expect(r.stderr).toBe("tinybpf: unknown command 'frob' (try 'tinybpf --help')\n");
  });
});

describe("tinybpf conformance", () => {
  const dir = conformanceDir();
  test.runIf(HAVE_CONFORMANCE || CONFORMANCE_REQUIRED)("prints PASS per file and the closing count line", () => {
    const r = tinybpf("conformance", dir, "--engine", "interp");
    const lines = r.stdout.trim().split("\n");
    const files = listConformanceFiles(dir);
    expect(lines).toHaveLength(files.length + 1);
    expect(lines.filter((l) => l.startsWith("PASS ")).length).toBe(files.length);
    expect(lines.at(-1)).toBe(`${files.length} passed, 0 failed`);
    expect(r.status).toBe(0);
  });
  test("a failing test is reported as FAIL and counted; exit status 1", () => {
    const d = mkdtempSync(join(tmp, "suite-"));
    writeFileSync(join(d, "wrong.data"), "-- asm\nmov %r0, 1\nexit\n-- result\n0x2\n");
    writeFileSync(join(d, "right.data"), "-- asm\nmov %r0, 2\nexit\n-- result\n0x2\n");
    const r = tinybpf("conformance", d);
    expect(r.stdout).toBe("PASS right\nFAIL wrong: expected 0x2, got 0x1\n1 passed, 1 failed\n");
    expect(r.status).toBe(1);
  });
  test("an unknown engine is a usage error", () => {
    const r = tinybpf("conformance", mkdtempSync(join(tmp, "suite-")), "--engine", "quantum");
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^tinybpf conformance: unknown engine 'quantum' \(available: interp/);
  });
});

describe("conformance plugin (the suite runner's protocol)", () => {
  const plugin = (stdin: string, ...args: string[]) =>
    spawnSync(process.execPath, [join(root, "bin/tinybpf-conformance-plugin.js"), ...args], {
      input: stdin,
      encoding: "utf8",
    });
  test("program on stdin as hex bytes, memory as one hex argument, r0 in hex on stdout", () => {
    // ldxb r0, [r1+1]; exit  with memory aa bb -> r0 = 0xbb
    const r = plugin("71 10 01 00 00 00 00 00 95 00 00 00 00 00 00 00", "aa bb ");
    expect(r.stdout).toBe("bb\n");
    expect(r.status).toBe(0);
  });
  test("helper 5 is the suite's unwind helper in this mode", () => {
    // mov r1, 0; call 5; mov r0, 7; exit -> the helper ends the program with r0 = 0
    const r = plugin("b7 01 00 00 00 00 00 00 85 00 00 00 05 00 00 00 b7 00 00 00 07 00 00 00 95 00 00 00 00 00 00 00");
    expect(r.stdout).toBe("0\n");
  });
  test("errors: non-zero exit and one line on stderr", () => {
    const r = plugin("ff 00 00 00 00 00 00 00 95 00 00 00 00 00 00 00");
    expect(r.status).not.toBe(0);
    expect(r.stderr).toBe("program: instruction 0: unknown opcode 0xff\n");
  });
});

describe("tinybpf run, readable output", () => {
  test("prints a per-CPU map's values in brackets, one per CPU", () => {
    const obj = join(import.meta.dirname, "..", "fixtures", "xdp.o");
    const capture = join(import.meta.dirname, "..", "fixtures", "pcap", "sockex1.pcap");
    const json = tinybpf("run", obj, "--pcap", capture, "--json");
    expect(json.status).toBe(0);
    const stats = (JSON.parse(json.stdout).maps.stats as { key: string; value: string }[]).map(({ key, value }) => {
      const le = (h: string) => BigInt("0x" + (h.match(/../g) ?? []).reverse().join(""));
      return `  ${le(key)}: [${le(value)}]`;
    });
    const text = tinybpf("run", obj, "--pcap", capture);
    expect(text.status).toBe(0);
    expect(text.stdout).toContain(`map stats (percpu_array, key 4, value 8, max_entries 2):\n${stats.join("\n")}\n`);
  });
});
