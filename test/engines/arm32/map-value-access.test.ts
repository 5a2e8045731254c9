// Accesses through the address bpf_map_lookup_elem returned, after its null test (assembly/arm32/jit/mapvalue.ts):
// the ARM32 translator leaves out their memory check (no BL HS to the runtime's check in their code) and, for an
// aligned atomic, the alignment test (no TST of the address), and the results agree with the interpreter and with a
// model of the map's values computed here with BigInt: loads, stores and atomics (add, fetch add, xchg, cmpxchg) of
// every width, through r0 and through a copy, on array and hash maps. Where the proof does not hold, the check stays
// and faults stay where they were: no null test, a helper call or a jump target between, an access past the value
// size (it faults at the same instruction with the same message), a write to a read-only map.
import { describe, it, expect, beforeAll } from "vitest";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { assemble } from "../../../src/tools/asm.js";
import { BPF_F_RDONLY_PROG, type MapDef } from "../../../src/loader/loader.js";
import { ensureArm32Translator } from "../../support/arm32.js";
import { MAP_MARKER, accessGuards, interpretWithMap, linkMarker, runArm32WithMap } from "../../support/map-lookups.js";

let dir = "";
beforeAll(() => {
  ensureArm32Translator();
  dir = mkdtempSync(join(tmpdir(), "tinybpf-arm32-value-"));
  return () => rmSync(dir, { recursive: true, force: true });
});

const HASH = 1;
const ARRAY = 2;
const VALUE_SIZE = 24;
const MASK64 = (1n << 64n) - 1n;
const mapDef = (type: number, maxEntries: number, flags = 0): MapDef => ({
  name: "m",
  type,
  keySize: 4,
  valueSize: VALUE_SIZE,
  maxEntries,
  flags,
  section: ".maps",
});

const LOOKUP = [`lddw %r1, ${MAP_MARKER}`, "mov %r2, %r10", "add %r2, -8", "call 1"];
/** The constants the n-th lookup's body adds, stores and swaps in (positive 32-bit immediates). */
const K = (n: number) => [n + 1, 0x12345 * (n + 1), 0x777 * (n + 3), 0x5a5a00 + n, 0x31337 + 11 * n];

/** Instructions inserting each key with a zero value (a hash map's elements), before the lookups. */
function inserts(keys: number[]): string[] {
  const zero = ["stdw [%r10-40], 0", "stdw [%r10-32], 0", "stdw [%r10-24], 0"];
  return keys.flatMap((k) => [
    `stw [%r10-8], ${k}`,
    ...zero,
    `lddw %r1, ${MAP_MARKER}`,
    "mov %r2, %r10",
    "add %r2, -8",
    "mov %r3, %r10",
    "add %r3, -40",
    "mov %r4, 0",
    "call 2",
  ]);
}

/** The n-th lookup of `key` and, when found, the accesses through its value (r0 and a copy in r6), folded into r9. */
function body(n: number, key: number): string[] {
  const [k1, k2, k3, k4, k5] = K(n);
  return [
    `stw [%r10-8], ${key}`,
    ...LOOKUP,
    "mul %r9, 3",
    `jeq %r0, 0, miss${n}`,
    "mov %r6, %r0",
    "ldxdw %r3, [%r6+0]",
    `add %r3, ${k1}`,
    "stxdw [%r6+0], %r3",
    `mov %r4, ${k2}`,
    "lock add [%r0+8], %r4",
    `mov %r5, ${k3}`,
    "lock fetch add32 [%r6+16], %r5",
    "add %r9, %r5",
    `mov %r3, ${k4}`,
    "lock xchg32 [%r6+20], %r3",
    "add %r9, %r3",
    "ldxb %r3, [%r6+1]",
    "add %r9, %r3",
    "ldxh %r3, [%r0+2]",
    "add %r9, %r3",
    "ldxdw %r0, [%r6+8]",
    `mov %r1, ${k5}`,
    "lock cmpxchg [%r6+8], %r1",
    "add %r9, %r0",
    "ldxw %r3, [%r6+20]",
    "add %r9, %r3",
    `ja next${n}`,
    `miss${n}: add %r9, 7`,
    `next${n}:`,
  ];
}

/** What the program of `keys` returns, from a model of the values (the keys in `present` exist, zeroed). */
function model(keys: number[], present: (key: number) => boolean): bigint {
  const values = new Map<number, DataView>();
  let r9 = 0n;
  keys.forEach((key, n) => {
    const [k1, k2, k3, k4, k5] = K(n).map(BigInt);
    r9 = (r9 * 3n) & MASK64;
    if (!present(key)) {
      r9 = (r9 + 7n) & MASK64;
      return;
    }
    if (!values.has(key)) values.set(key, new DataView(new ArrayBuffer(VALUE_SIZE)));
    const v = values.get(key)!;
    v.setBigUint64(0, (v.getBigUint64(0, true) + k1) & MASK64, true);
    v.setBigUint64(8, (v.getBigUint64(8, true) + k2) & MASK64, true);
    const added = BigInt(v.getUint32(16, true));
    v.setUint32(16, Number((added + k3) & 0xffffffffn), true);
    const swapped = BigInt(v.getUint32(20, true));
    v.setUint32(20, Number(k4), true);
    const old = v.getBigUint64(8, true);
    v.setBigUint64(8, k5, true); // cmpxchg with the value just read: it always stores
    for (const x of [added, swapped, BigInt(v.getUint8(1)), BigInt(v.getUint16(2, true)), old]) r9 = (r9 + x) & MASK64;
    r9 = (r9 + BigInt(v.getUint32(20, true))) & MASK64;
  });
  return r9;
}

const program = (lines: string[]) => linkMarker(assemble([...lines, "mov %r0, %r9", "exit"].join("\n")));

/** The eBPF instructions of `code` that access memory through a register other than r10. */
function accesses(code: Uint8Array): number[] {
  const out: number[] = [];
  for (let i = 0; i < code.length / 8; i++) {
    const op = code[i * 8];
    const cls = op & 7;
    const regs = code[i * 8 + 1];
    if (op === 0x18) {
      i++;
      continue;
    }
    if ((cls === 1 && regs >> 4 !== 10) || ((cls === 2 || cls === 3) && (regs & 15) !== 10)) out.push(i);
  }
  return out;
}

describe("ARM32 accesses to a looked-up map value", () => {
  const keys = [0, 1, 3, 4, 1, 0, 9, 3];
  const cases: [string, MapDef, string[], (k: number) => boolean][] = [
    ["an array map (inline lookup)", mapDef(ARRAY, 4), [], (k) => k < 4],
    ["a hash map (bucket walk)", mapDef(HASH, 8), inserts([1, 3, 9]), (k) => [1, 3, 9].includes(k)],
  ];
  for (const [title, def, setup, present] of cases) {
    it(`${title}: unchecked, and the values as the model's`, () => {
      const code = program(["mov %r9, 0", ...setup, ...keys.flatMap((k, n) => body(n, k))]);
      const guards = accessGuards(code, def);
      const checked = accesses(code).filter((i) => guards[i].check || guards[i].alignTest);
      expect(checked).toEqual([]);
      const expected = String(model(keys, present));
      expect(interpretWithMap(code, def)).toBe(expected);
      expect(runArm32WithMap(dir, code, def)).toBe(expected);
    });
  }
});

describe("ARM32 accesses to a map value the translator cannot prove", () => {
  /** Looks `key` up, then runs `between` and loads the value's first word through r6 (a copy of r0). */
  const around = (between: string[], load = "ldxdw %r3, [%r6+0]", key = 1) =>
    program(["mov %r9, 5", `stw [%r10-8], ${key}`, ...LOOKUP, "mov %r6, %r0", ...between, load, "add %r9, %r3"]);
  const loadAt = (code: Uint8Array) => code.length / 8 - 4; // the load, before add, mov and exit
  const def = mapDef(ARRAY, 4);
  const cases: [string, string[]][] = [
    ["no null test", []],
    ["a null test of another register", ["jeq %r1, 0, +1"]],
    ["a null test of r0 that falls through when null", ["jne %r0, 0, +1"]],
    ["a helper call after the null test", ["jeq %r6, 0, +4", `lddw %r1, ${MAP_MARKER}`, "call 3"]],
    ["a jump landing after the null test", ["jeq %r6, 0, +2", "ja +0", "mov %r0, %r0"]],
    ["the copy overwritten after the null test", ["jeq %r6, 0, +2", "add %r6, 0"]],
  ];
  for (const [title, between] of cases) {
    it(`${title}: the load stays checked`, () => {
      const code = around(between);
      expect(accessGuards(code, def)[loadAt(code)].check).toBe(true);
      const interp = interpretWithMap(code, def);
      expect(runArm32WithMap(dir, code, def)).toBe(interp);
    });
  }

  it("a load past the value size stays checked and faults where the interpreter does", () => {
    // the last value's: past the map's values
    const code = around(["jeq %r6, 0, +1"], `ldxdw %r3, [%r6+${VALUE_SIZE - 4}]`, 3);
    expect(accessGuards(code, def)[loadAt(code)].check).toBe(true);
    const interp = interpretWithMap(code, def);
    expect(interp).toMatch(new RegExp(`^out-of-bounds read of 8 bytes .*\\(instruction ${loadAt(code)}\\)$`));
    expect(runArm32WithMap(dir, code, def)).toBe(interp);
  });

  it("a read-only map: its values are read unchecked, a write to one faults where the interpreter's does", () => {
    const readOnly = mapDef(ARRAY, 4, BPF_F_RDONLY_PROG);
    const read = around(["jeq %r6, 0, +1"]);
    expect(accessGuards(read, readOnly)[loadAt(read)].check).toBe(false);
    expect(runArm32WithMap(dir, read, readOnly)).toBe(interpretWithMap(read, readOnly));
    const write = around(["jeq %r6, 0, +2"], "stxdw [%r6+8], %r9");
    const at = loadAt(write);
    expect(accessGuards(write, readOnly)[at].check).toBe(true);
    const interp = interpretWithMap(write, readOnly);
    expect(interp).toMatch(new RegExp(`\\(instruction ${at}\\)$`));
    expect(runArm32WithMap(dir, write, readOnly)).toBe(interp);
  });
});
