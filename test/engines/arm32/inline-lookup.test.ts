// bpf_map_lookup_elem on array maps, emitted inline by the ARM32 translator when the block loads the map's handle
// and points r2 into the stack (assembly/arm32/jit/lookup.ts): the results agree with the interpreter and with a
// model of the array computed here, for value sizes whose stride is and is not a power of two, bounds that do and do
// not fit an ARM immediate, and keys at and around the bound; the shapes it must leave to the helper routine still
// take it (a BL in the call's code) and agree too.
import { describe, it, expect, beforeAll } from "vitest";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { assemble } from "../../../src/tools/asm.js";
import type { MapDef } from "../../../src/loader/loader.js";
import { ensureArm32Translator } from "../../support/arm32.js";
import { interpretWithMap, linkMarker, lookupCallTargets, runArm32WithMap } from "../../support/map-lookups.js";

let dir = "";
beforeAll(() => {
  ensureArm32Translator();
  dir = mkdtempSync(join(tmpdir(), "tinybpf-arm32-lookup-"));
  return () => rmSync(dir, { recursive: true, force: true });
});

const ARRAY = 2;
const HASH = 1;
const mapDef = (type: number, valueSize: number, maxEntries: number): MapDef => ({
  name: "m",
  type,
  keySize: 4,
  valueSize,
  maxEntries,
  flags: 0,
  section: ".maps",
});

const MASK64 = (1n << 64n) - 1n;

/**
 * For each key: look it up (the lookup lines given), add key + 1 to the value's first `width` bytes when found, and
 * fold into r9 either what the value then holds or 7 when it is missing. Returns the program and the r0 a model of
 * the array computes.
 */
function lookupProgram(
  keys: number[],
  valueSize: number,
  maxEntries: number,
  lookup: string[],
): { code: Uint8Array; expected: bigint } {
  const width = valueSize >= 8 ? 8 : valueSize >= 4 ? 4 : 1;
  const lines = [...lookupLines(keys, valueSize, lookup), "mov %r0, %r9", "exit"];
  const values = new Map<number, bigint>();
  const widthMask = (1n << BigInt(8 * width)) - 1n;
  let r9 = 0n;
  for (const key of keys) {
    r9 = (r9 * 3n) & MASK64;
    let got = 7n;
    if (key >>> 0 < maxEntries) {
      got = ((values.get(key) ?? 0n) + BigInt(key + 1 > 0x7fffffff ? 1 : key + 1)) & widthMask;
      values.set(key, got);
    }
    r9 = (r9 + got) & MASK64;
  }
  return { code: linkMarker(assemble(lines.join("\n"))), expected: r9 };
}

/** The lookups of lookupProgram, r9 the fold, without the exit. */
function lookupLines(keys: number[], valueSize: number, lookup: string[]): string[] {
  const sz = valueSize >= 8 ? "dw" : valueSize >= 4 ? "w" : "b";
  const lines = ["mov %r9, 0"];
  for (const key of keys) {
    lines.push(`stw [%r10-8], ${key | 0}`, ...lookup, "call 1");
    lines.push("mul %r9, 3", "jeq %r0, 0, +5");
    lines.push(`ldx${sz} %r3, [%r0+0]`, `add %r3, ${key + 1 > 0x7fffffff ? 1 : key + 1}`);
    lines.push(`stx${sz} [%r0+0], %r3`, `ldx${sz} %r3, [%r0+0]`, "ja +1", "mov %r3, 7", "add %r9, %r3");
  }
  return lines;
}

const STACK_KEY = ["lddw %r1, 0x7e57b000", "mov %r2, %r10", "add %r2, -8"];

describe("array lookups emitted inline", () => {
  const shapes: [number, number][] = [
    [8, 4], // stride 8, bound encodable
    [1, 3], // 1-byte values: stride 8
    [4, 257], // bound not encodable as an ARM immediate
    [24, 5], // stride 24: not a power of two
    [40, 1000],
    [8, 1],
  ];
  for (const [valueSize, maxEntries] of shapes) {
    it(`values of ${valueSize} bytes, ${maxEntries} entries: keys at and around the bound`, () => {
      const keys = [0, 1, maxEntries - 1, maxEntries, maxEntries + 1, 0, maxEntries - 1, 0x7fffffff, -0x80000000, -1];
      const def = mapDef(ARRAY, valueSize, maxEntries);
      const { code, expected } = lookupProgram(keys, valueSize, maxEntries, STACK_KEY);
      expect(
        lookupCallTargets(code, def)
          .map((t) => t >= 0)
          .every((bl) => !bl),
      ).toBe(true);
      expect(interpretWithMap(code, def)).toBe(String(expected));
      expect(runArm32WithMap(dir, code, def)).toBe(String(expected));
    });
  }

  it("in a subprogram, with the key in the callee's frame", () => {
    const def = mapDef(ARRAY, 8, 4);
    const body = lookupProgram([2, 3, 4, 2], 8, 4, STACK_KEY);
    const text = [
      "stdw [%r10-8], 99", // the caller's key slot: the lookup must not read it
      "call local sub",
      "ldxdw %r1, [%r10-8]",
      "add %r0, %r1",
      "exit",
      "sub:",
      ...lookupLines([2, 3, 4, 2], 8, STACK_KEY),
      "mov %r0, %r9",
      "exit",
    ];
    const code = linkMarker(assemble(text.join("\n")));
    const expected = String(body.expected + 99n);
    expect(
      lookupCallTargets(code, def)
        .map((t) => t >= 0)
        .every((bl) => !bl),
    ).toBe(true);
    expect(interpretWithMap(code, def)).toBe(expected);
    expect(runArm32WithMap(dir, code, def)).toBe(expected);
  });
});

describe("lookups left to the helper routine", () => {
  const cases: [string, string[], MapDef][] = [
    [
      "the key pointer copied from another register",
      ["mov %r3, %r10", "add %r3, -8", "mov %r2, %r3", "lddw %r1, 0x7e57b000"],
      mapDef(ARRAY, 8, 4),
    ],
    [
      "a key not 4-byte aligned",
      ["stw [%r10-4], 0", "lddw %r1, 0x7e57b000", "mov %r2, %r10", "add %r2, -7"],
      mapDef(ARRAY, 8, 4),
    ],
    [
      "the handle loaded in an earlier block",
      ["lddw %r1, 0x7e57b000", "ja +0", "mov %r2, %r10", "add %r2, -8"],
      mapDef(ARRAY, 8, 4),
    ],
    [
      "r1 changed after the handle",
      ["lddw %r1, 0x7e57b000", "mov %r2, %r10", "add %r2, -8", "add %r1, 0"],
      mapDef(ARRAY, 8, 4),
    ],
    ["a hash map", STACK_KEY, mapDef(HASH, 8, 4)],
  ];
  for (const [title, lookup, def] of cases) {
    it(title, () => {
      // the unaligned key is read at -7: its bytes are the stored key's top three and a zero
      const keys = [0, 1, 3, 4];
      const { code } = lookupProgram(keys, def.valueSize, def.maxEntries, lookup);
      expect(
        lookupCallTargets(code, def)
          .map((t) => t >= 0)
          .every((bl) => bl),
      ).toBe(true);
      const interp = interpretWithMap(code, def);
      expect(interp).toMatch(/^\d+$/);
      expect(runArm32WithMap(dir, code, def)).toBe(interp);
    });
  }

  it("a key outside the stack frame faults as the helper does", () => {
    const def = mapDef(ARRAY, 8, 4);
    const code = linkMarker(assemble("lddw %r1, 0x7e57b000\nmov %r2, %r10\nadd %r2, 0\ncall 1\nexit"));
    expect(lookupCallTargets(code, def).map((t) => t >= 0)).toEqual([true]);
    const interp = interpretWithMap(code, def);
    expect(interp).toMatch(/out-of-bounds read of 4 bytes .*\(instruction 4\)$/);
    expect(runArm32WithMap(dir, code, def)).toBe(interp);
  });
});
