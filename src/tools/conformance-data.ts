// Reader for the `.data` test files of the public bpf_conformance suite.
//
// A file is a list of sections, each opened by a line `-- NAME`; lines starting with `#` are comments.
// The sections used here: `asm` (the program as text), `raw` (the program as 64-bit words; wins over asm),
// `mem` (input memory as hex bytes), `result` (r0 at exit, hex when written with 0x, unsigned 64-bit) and
// `error` (an expected error text). Any other section (`c`, `no register offset`, ...) is ignored.

import { existsSync, readdirSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { assemble, parseNumber } from "./asm.js";

export interface ConformanceTest {
  name: string;
  asm?: string;
  raw?: bigint[];
  mem: Uint8Array;
  result?: bigint;
  error?: string;
}

/** Parses one test file; `name` labels the test (usually the file name without `.data`) and its errors. */
export function parseConformanceTest(text: string, name: string): ConformanceTest {
  const sections = splitSections(text);
  const test: ConformanceTest = { name, mem: new Uint8Array(0) };

  const asm = sections.get("asm");
  if (asm !== undefined) test.asm = asm.lines.join("\n") + "\n";

  const raw = sections.get("raw");
  if (raw !== undefined) {
    test.raw = tokens(raw).map(({ token, line }) => {
      const value = parseNumber(token);
      if (value === undefined || value < 0n || value > 0xffffffffffffffffn) {
        throw new Error(`${name}: line ${line}: '${token}' is not a 64-bit instruction word`);
      }
      return value;
    });
  }

  const mem = sections.get("mem");
  if (mem !== undefined) {
    test.mem = Uint8Array.from(
      tokens(mem).map(({ token, line }) => {
        if (!/^[0-9a-f]{1,2}$/i.test(token)) throw new Error(`${name}: line ${line}: '${token}' is not a hex byte`);
        return parseInt(token, 16);
      }),
    );
  }

  const result = sections.get("result");
  if (result !== undefined) {
    const words = tokens(result);
    if (words.length !== 1) {
      throw new Error(`${name}: line ${result.firstLine}: the result section must hold exactly one number`);
    }
    const { token, line } = words[0];
    // Hex when written with 0x, decimal otherwise; negative values wrap, as r0 is compared unsigned.
    const value = parseNumber(token);
    if (value === undefined) throw new Error(`${name}: line ${line}: '${token}' is not a number`);
    test.result = BigInt.asUintN(64, value);
  }

  const error = sections.get("error");
  if (error !== undefined)
    test.error = error.lines
      .filter((l) => !l.startsWith("#"))
      .join("\n")
      .trim();

  return test;
}

/** The test's program as bytes: the raw words when present, else the assembled asm section. */
export function conformanceProgram(test: ConformanceTest): Uint8Array {
  if (test.raw !== undefined) {
    const bytes = new Uint8Array(test.raw.length * 8);
    const view = new DataView(bytes.buffer);
    test.raw.forEach((word, i) => view.setBigUint64(i * 8, word, true));
    return bytes;
  }
  if (test.asm !== undefined) return assemble(test.asm);
  throw new Error(`${test.name}: the test has neither an asm nor a raw section`);
}

/** Where the suite's `.data` files are: $TINYBPF_CONFORMANCE_DIR, else `../shared/conformance/tests` next to the repo. */
export function conformanceDir(): string {
  const fromEnv = process.env.TINYBPF_CONFORMANCE_DIR;
  if (fromEnv) return resolve(fromEnv);
  return resolve(repoRoot(), "..", "shared", "conformance", "tests");
}

/** The `.data` files of a directory, sorted by name, as full paths. */
export function listConformanceFiles(dir: string): string[] {
  return readdirSync(dir)
    .filter((file) => file.endsWith(".data"))
    .sort()
    .map((file) => join(dir, file));
}

// This module runs from src/ (tests) and from dist/src/ (compiled), so the root is found, not assumed.
function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, "package.json"))) return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error("cannot find the package root (no package.json above this module)");
    dir = parent;
  }
}

interface Section {
  firstLine: number; // 1-based number of the first line after the `--` header
  lines: string[];
}

function splitSections(text: string): Map<string, Section> {
  const sections = new Map<string, Section>();
  let current: Section | undefined;
  text.split(/\r?\n/).forEach((line, i) => {
    const header = /^--\s+(\S.*?)\s*$/.exec(line);
    if (header) {
      current = { firstLine: i + 2, lines: [] };
      sections.set(header[1].toLowerCase(), current);
    } else if (current) {
      current.lines.push(line);
    }
  });
  return sections;
}

/** Whitespace-separated tokens of a section, comment lines skipped, each with its line number. */
function tokens(section: Section): { token: string; line: number }[] {
  const out: { token: string; line: number }[] = [];
  section.lines.forEach((text, i) => {
    if (text.trimStart().startsWith("#")) return;
    for (const token of text.split(/\s+/)) if (token !== "") out.push({ token, line: section.firstLine + i });
  });
  return out;
}
