// `tinybpf run` takes raw bytecode, as `tinybpf asm` writes it: r1 points at --mem's bytes (or each packet of
// --pcap), r2 holds their length; with no input, r1 = r2 = 0 (as the conformance suite runs programs).
import { describe, expect, test } from "vitest";
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ROOT, fixture } from "../support/paths.js";
import { oversizedProgram, oversizedResult } from "../support/oversized-program.js";

const tmp = mkdtempSync(join(tmpdir(), "tinybpf-raw-"));

function tinybpf(...args: string[]) {
  const r = spawnSync(process.execPath, [join(ROOT, "bin/tinybpf.js"), ...args], { encoding: "utf8", cwd: ROOT });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Assembles `source` with `tinybpf asm` into NAME.bin. */
function assembled(name: string, source: string): string {
  writeFileSync(join(tmp, `${name}.s`), source);
  const bin = join(tmp, `${name}.bin`);
  expect(tinybpf("asm", join(tmp, `${name}.s`), "-o", bin).status).toBe(0);
  return bin;
}

describe("tinybpf run on raw bytecode", () => {
  // r0 = mem[1] + r2 (the length)
  const bin = assembled("second", "ldxb %r0, [%r1+1]\nadd %r0, %r2\nexit\n");
  const mem = join(tmp, "mem");
  writeFileSync(mem, new Uint8Array([0xaa, 0xbb, 0xcc]));
  for (const engine of ["interp", "wasm", "arm32"]) {
    test(`${engine}: --mem is r1 and r2`, () => {
      const r = tinybpf("run", bin, "--mem", mem, "--engine", engine);
      expect(r.stderr).toBe("");
      expect(r.stdout).toBe(`second.bin (raw): 1 run\nr0: ${0xbb + 3}\n`);
      const j = tinybpf("run", bin, "--mem", mem, "--engine", engine, "--json");
      expect(JSON.parse(j.stdout)).toEqual({ r0: String(0xbb + 3), runs: 1, maps: {} });
    }, 30_000);
  }
  test("--pcap: one run per packet, each packet's bytes as the memory", () => {
    // r0 = r2: the packet's length
    const len = assembled("len", "mov %r0, %r2\nexit\n");
    const r = tinybpf("run", len, "--pcap", fixture("pcap/sockex1.pcap"), "--json");
    const out = JSON.parse(r.stdout);
    expect(out.runs).toBe(42);
    const text = tinybpf("run", len, "--pcap", fixture("pcap/sockex1.pcap")).stdout;
    expect(text).toMatch(/^len\.bin \(raw\): 42 runs\nr0: \d+ \(last run\)\nr0 counts: /);
  });
  test("no input: r1 = r2 = 0", () => {
    const bin0 = assembled("regs", "mov %r0, %r1\nadd %r0, %r2\nadd %r0, 7\nexit\n");
    expect(tinybpf("run", bin0).stdout).toBe("regs.bin (raw): 1 run\nr0: 7\n");
  });
  test("a program the Wasm engine cannot take runs on the interpreter, with a warning saying why", () => {
    const big = join(tmp, "big.bin");
    writeFileSync(big, oversizedProgram());
    for (const engine of ["wasm", "auto"]) {
      const r = tinybpf("run", big, "--engine", engine);
      expect(r.status).toBe(0);
      expect(r.stdout).toBe(`big.bin (raw): 1 run\nr0: ${oversizedResult()}\n`);
      expect(r.stderr).toMatch(
        /^tinybpf run: warning: big\.bin ran on the interpreter, not the wasm engine: .*(size|limit)/i,
      );
      expect(r.stderr.trim().split("\n")).toHaveLength(1);
    }
    const j = tinybpf("run", big, "--json");
    expect(JSON.parse(j.stdout)).toMatchObject({ r0: String(oversizedResult()), runs: 1 });
    expect(JSON.parse(j.stdout).fallback).toMatch(/size|limit/i);
    const interp = tinybpf("run", big, "--engine", "interp");
    expect(interp.stderr).toBe("");
    expect(interp.stdout).toBe(`big.bin (raw): 1 run\nr0: ${oversizedResult()}\n`);
  }, 60_000);
  // ten ALU instructions, then a store below the frame at instruction 10: under a budget that runs out after it
  // in its block, every engine reports the store's fault (the ARM32 executable charges a block in segments, each
  // up to an access that may fault: assembly/arm32/jit/segments.ts)
  test("a budget running out after a faulting access in its block: the access's fault on every engine", () => {
    const adds = Array.from({ length: 9 }, (_, k) => `add %r0, ${k + 1}`);
    const store = assembled("below", ["mov %r0, 0", ...adds, "stxdw [%r10-513], %r0", "add %r0, 1", "exit"].join("\n"));
    for (const engine of ["interp", "wasm", "arm32"]) {
      for (const [budget, error] of [
        ["10", "instruction budget of 10 exhausted (instruction 10)"],
        ["11", "out-of-bounds write of 8 bytes at stack-0x1 (instruction 10)"],
        ["12", "out-of-bounds write of 8 bytes at stack-0x1 (instruction 10)"],
      ]) {
        const r = tinybpf("run", store, "--engine", engine, "--budget", budget);
        expect(r.stderr, `${engine} --budget ${budget}`).toBe(`tinybpf run: below.bin: ${error}\n`);
      }
    }
  }, 60_000);
  test("faults and bad files are one-line errors", () => {
    const oob = assembled("oob", "ldxw %r0, [%r1+8]\nexit\n");
    const r = tinybpf("run", oob, "--mem", mem);
    expect(r.status).toBe(1);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).toMatch(/^tinybpf run: .*out-of-bounds read of 4 bytes/);
    const odd = join(tmp, "odd.bin");
    writeFileSync(odd, new Uint8Array(12));
    expect(tinybpf("run", odd).stderr).toBe(
      "tinybpf run: odd.bin: neither an ELF object nor raw bytecode (12 bytes is not a whole number of 8-byte instructions)\n",
    );
    expect(tinybpf("run", bin, "--prog", "x").stderr).toBe(
      "tinybpf run: --prog needs an ELF object; second.bin is raw bytecode\n",
    );
  });
});
