import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join, resolve } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import {
  conformanceDir,
  conformanceProgram,
  listConformanceFiles,
  parseConformanceTest,
} from "../../src/tools/conformance-data.js";
import { describeConformance } from "../support/conformance.js";
import { ROOT } from "../support/paths.js";

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString("hex");

const SAMPLE = `# Copyright line
# SPDX-License-Identifier: MIT
-- asm
# a comment inside the program
mov %r0, 1 # trailing comment
exit
-- mem
00 01 ff
 AB  0c
-- no register offset
call instruction
-- c
#include <stdint.h>
int f(void) { return 1; }
-- result
0x10
`;

describe("parseConformanceTest", () => {
  it("reads the asm, mem and result sections and ignores the others", () => {
    const test = parseConformanceTest(SAMPLE, "sample");
    expect(test.name).toBe("sample");
    expect(test.asm).toContain("mov %r0, 1");
    expect(test.asm).not.toContain("call instruction");
    expect(test.asm).not.toContain("stdint");
    expect([...test.mem]).toEqual([0x00, 0x01, 0xff, 0xab, 0x0c]);
    expect(test.result).toBe(16n);
    expect(test.raw).toBeUndefined();
    expect(test.error).toBeUndefined();
    // mov %r0, 1 (b7 00 0000 01000000) then exit (95 ...), as RFC 9669 encodes them
    expect(hex(conformanceProgram(test))).toBe("b700000001000000" + "9500000000000000");
  });

  it("reads results as hex with 0x, decimal otherwise, unsigned 64-bit", () => {
    const result = (text: string): bigint | undefined =>
      parseConformanceTest(`-- asm\nexit\n-- result\n${text}\n`, "r").result;
    expect(result("0x11")).toBe(0x11n);
    expect(result("11")).toBe(11n);
    expect(result("0xFFFFFFFFFFFFFFFF")).toBe(2n ** 64n - 1n);
    expect(result("-1")).toBe(2n ** 64n - 1n);
    expect(result("0x8000000000000000")).toBe(2n ** 63n);
  });

  it("leaves memory empty and result undefined when the sections are absent", () => {
    const test = parseConformanceTest("-- asm\nexit\n", "bare");
    expect(test.mem.length).toBe(0);
    expect(test.result).toBeUndefined();
  });

  it("encodes raw words little-endian and prefers them over asm", () => {
    // opcode bits 0-7, dst 8-11, src 12-15, offset 16-31, imm 32-63
    const word = (op: number, dst: number, src: number, off: number, imm: number): bigint =>
      BigInt(op) |
      (BigInt(dst) << 8n) |
      (BigInt(src) << 12n) |
      (BigInt(off & 0xffff) << 16n) |
      (BigInt(imm >>> 0) << 32n);
    const lddwLow = word(0x18, 1, 0, 0, 0x44332211);
    const lddwHigh = word(0, 0, 0, 0, -0x77665545); // 0x8899aabb
    const exit = word(0x95, 0, 0, 0, 0);
    const text = `-- asm\nmov %r0, 7\nexit\n-- raw\n0x${lddwLow.toString(16)}\n${lddwHigh}\n0x${exit.toString(16)}\n-- result\n0x1\n`;
    const test = parseConformanceTest(text, "raw");
    expect(test.raw).toEqual([lddwLow, lddwHigh, exit]);
    expect(hex(conformanceProgram(test))).toBe("1801000011223344" + "00000000bbaa9988" + "9500000000000000");
  });

  it("keeps the error text", () => {
    const test = parseConformanceTest("-- asm\nexit\n-- error\n# why\nDivision by zero\n", "err");
    expect(test.error).toBe("Division by zero");
  });

  it("names the test and line of bad data", () => {
    expect(() => parseConformanceTest("-- asm\nexit\n-- mem\n00 zz\n", "badmem")).toThrow(
      /^badmem: line 4: 'zz' is not a hex byte/,
    );
    expect(() => parseConformanceTest("-- raw\n0x1 nope\n", "badraw")).toThrow(/^badraw: line 2: 'nope'/);
    expect(() => parseConformanceTest("-- result\n1 2\n", "two")).toThrow(/^two: line 2: .*exactly one number/);
    expect(() => conformanceProgram(parseConformanceTest("-- result\n1\n", "none"))).toThrow(
      /^none: the test has neither an asm nor a raw section/,
    );
  });
});

describe("finding the test files", () => {
  const saved = process.env.TINYBPF_CONFORMANCE_DIR;
  afterEach(() => {
    if (saved === undefined) delete process.env.TINYBPF_CONFORMANCE_DIR;
    else process.env.TINYBPF_CONFORMANCE_DIR = saved;
  });

  it("uses TINYBPF_CONFORMANCE_DIR, else ../shared/conformance/tests beside the package root", () => {
    process.env.TINYBPF_CONFORMANCE_DIR = "/some/where";
    expect(conformanceDir()).toBe(resolve("/some/where"));
    delete process.env.TINYBPF_CONFORMANCE_DIR;
    expect(conformanceDir()).toBe(resolve(ROOT, "..", "shared", "conformance", "tests"));
  });

  it("lists only .data files, sorted, as full paths", () => {
    const dir = mkdtempSync(join(tmpdir(), "tinybpf-conformance-"));
    try {
      for (const name of ["b.data", "a.data", "notes.txt", "c.data.bak"]) writeFileSync(join(dir, name), "");
      expect(listConformanceFiles(dir)).toEqual([join(dir, "a.data"), join(dir, "b.data")]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describeConformance("the conformance suite files", (files) => {
  it("parses every file into a program and an expected result", () => {
    expect(files.length).toBeGreaterThan(0);
    for (const file of files) {
      const text = readFileSync(file, "utf8");
      const test = parseConformanceTest(text, basename(file, ".data"));
      expect(test.result, file).toBeDefined();
      expect(conformanceProgram(test).length % 8, file).toBe(0);
      // The memory section, when there is one, holds exactly the bytes written in it.
      const memSection = /^-- mem\n([\s\S]*?)(?=^-- |(?![\s\S]))/m.exec(text);
      const written = memSection ? memSection[1].split(/\s+/).filter((t) => t !== "") : [];
      expect(hex(test.mem), file).toBe(written.join("").toLowerCase());
    }
  });
});
