// Accesses through a map value pointer in the Wasm engine (assembly/wasm/values.ts): after an inline lookup on an
// array or a hash map, in the blocks where a test against 0 says the pointer (r0 or a copy) is not null, an access
// inside the value is checked by one compare of the value's size, not by the region cache. Generated programs look a
// key up in each kind of map (array, read-only array, hash, per-CPU array, whose lookup is not inline) and read,
// write or atomically add at offsets inside the value, past its end, past the arena and before it (the key window:
// readable, not writable), some in a block after the test's (a `ja +0` between them). Each outcome is computed here from the region table the core set up (the interpreter's
// rule: some region's readable, or writable, part holds the access) and the values the program wrote, and must be
// the interpreter's and the Wasm engine's alike. The region cache tells which accesses the translated code checked
// (a check refills it), and the module shows the value-size compare only where the analysis allows it.
import { beforeAll, describe, expect, it } from "vitest";
import binaryen from "binaryen";
import { Runtime } from "../../../src/runtime/runtime.js";
import { loadEngines } from "../../../src/runtime/engine-loader.js";
import { BpfFault } from "../../../src/runtime/faults.js";
import { translateToWasm, wasmFallbackReason } from "../../../src/engines/wasm.js";
import {
  MAPS,
  MAP_DESC_SIZE,
  REGIONS,
  REGION_SIZE,
  STATE,
  ST_REGION_COUNT,
  ST_WASM_CACHE,
  STACK_BASE,
} from "../../../assembly/layout.js";
import { MD_NCPUS, MD_VALUES } from "../../../assembly/maps/desc.js";
import { ringbufProgram as program, map } from "../../support/ringbuf-programs.js";
import { rng } from "../../support/generated-runs.js";

const BPF_F_RDONLY_PROG = 1 << 7;
const MAP_DEFS = [
  { name: "array", type: 2, keySize: 4, valueSize: 12, maxEntries: 4, flags: 0, section: ".maps" },
  { name: "rodata", type: 2, keySize: 4, valueSize: 16, maxEntries: 2, flags: BPF_F_RDONLY_PROG, section: ".maps" },
  { name: "hash", type: 1, keySize: 4, valueSize: 8, maxEntries: 4, flags: 0, section: ".maps" },
  { name: "percpu", type: 6, keySize: 4, valueSize: 8, maxEntries: 2, flags: 0, section: ".maps" },
];
const STRIDE = (m: number) => (MAP_DEFS[m].valueSize + 7) & ~7;
const MISSING = 0x55n;
const M64 = (1n << 64n) - 1n;
const SIZES: Record<string, number> = { b: 1, h: 2, w: 4, dw: 8 };

type Kind = "ldx" | "st" | "stx" | "lock";
interface Access {
  kind: Kind;
  size: string;
  off: number;
  imm: number;
}
interface Case {
  map: number;
  key: number;
  /** The null test: jne (the accesses follow the jump) or jeq (they follow the test). */
  test: "jne" | "jeq";
  /** The accesses go through r6 = r0 (a copy) or r0 itself. */
  copy: boolean;
  accesses: Access[];
  /** A `ja +0` before this access (a block of its own, whose only predecessor is the one before), or -1. */
  split: number;
}

/** The program: the hash map's key gets a value first (map_update_elem), then the lookup, the test and the accesses. */
function source(c: Case): string[] {
  const base = c.copy ? "%r6" : "%r0";
  const body: string[] = [];
  if (c.copy) body.push("mov %r6, %r0");
  body.push("mov %r7, 0");
  c.accesses.forEach((a, i) => {
    if (i === c.split) body.push("ja +0");
    const at = `[${base}${a.off < 0 ? "" : "+"}${a.off}]`;
    if (a.kind === "ldx") body.push(`ldx${a.size} %r1, ${at}`, "add %r7, %r1");
    else if (a.kind === "st") body.push(`st${a.size} ${at}, ${a.imm}`);
    else if (a.kind === "stx") body.push(`mov %r1, ${a.imm}`, `stx${a.size} ${at}, %r1`);
    else body.push(`mov %r1, ${a.imm}`, `lock add${a.size === "w" ? "32" : ""} ${at}, %r1`);
  });
  body.push("mov %r0, %r7", "exit");
  const head = [
    `stw [%r10-4], ${c.key}`,
    "stdw [%r10-16], 0",
    map(1, 2),
    "mov %r2, %r10",
    "add %r2, -4",
    "mov %r3, %r10",
    "add %r3, -16",
    "mov %r4, 0",
    "call 2",
    map(1, c.map),
    "mov %r2, %r10",
    "add %r2, -4",
    "call 1",
  ];
  const missing = [`mov %r0, ${MISSING}`, "exit"];
  return c.test === "jne"
    ? [...head, "jne %r0, 0, +2", ...missing, ...body]
    : [...head, `jeq %r0, 0, +${body.length}`, ...body, ...missing];
}

/** Index of each access through the value pointer (lddw counts two), in program order. */
function accessPcs(lines: string[]): number[] {
  const pcs: number[] = [];
  let pc = 0;
  for (const l of lines) {
    if (/\[%r[06][+-]/.test(l)) pcs.push(pc);
    pc += l.startsWith("lddw") ? 2 : 1;
  }
  return pcs;
}

type Outcome = { r0?: bigint; pc?: number; error?: string; checked: boolean };

function run(c: Case, engine: "interp" | "wasm"): { out: Outcome; rt: Runtime } {
  const rt = new Runtime();
  rt.createMaps(MAP_DEFS);
  const prog = rt.addProgram("p", program(source(c)));
  let out: Outcome;
  const cache = (at: number) => rt.core.view.getBigUint64(STATE + ST_WASM_CACHE + at, true);
  try {
    out = { r0: rt.run(prog, {}, engine).r0, checked: false };
  } catch (e) {
    if (!(e instanceof BpfFault)) throw e;
    out = { pc: e.info.pc, error: e.message, checked: false };
  }
  if (engine === "wasm") expect(wasmFallbackReason(prog)).toBeUndefined();
  // The caches start as the stack at entry and after each call; a checked access elsewhere refills them.
  out.checked = cache(0) !== BigInt(STACK_BASE) || cache(16) !== BigInt(STACK_BASE);
  return { out, rt };
}

/** What the interpreter must do, from the core's region table and map layout: r0, or the faulting access. */
function model(c: Case, rt: Runtime): { r0?: bigint; pc?: number } {
  const v = rt.core.view;
  const id = rt.mapIds[c.map];
  // the hash map holds the key (the program inserts it first); an array holds indices below its max_entries
  const present = c.map === 2 || (c.key >= 0 && c.key < MAP_DEFS[c.map].maxEntries);
  if (!present) return { r0: MISSING };
  const desc = MAPS + id * MAP_DESC_SIZE;
  const slot = c.map === 2 ? 0 : c.key; // the hash map's only element is its first
  // a slot holds one value per modelled CPU; the lookup gives CPU 0's
  const addr = v.getUint32(desc + MD_VALUES, true) + slot * STRIDE(c.map) * v.getUint32(desc + MD_NCPUS, true);
  const regions = Array.from({ length: v.getUint32(STATE + ST_REGION_COUNT, true) }, (_, k) =>
    [0, 4, 8, 12].map((o) => v.getUint32(REGIONS + k * REGION_SIZE + o, true)),
  );
  const allowed = (a: number, size: number, write: boolean) =>
    regions.some(([s, e, ws, we]) => (write ? ws <= a && a + size <= we : s <= a && a + size <= e));
  const bytes = new Map<number, number>(); // what the program wrote, by address (the values start as zeros)
  const read = (a: number, size: number) => {
    let x = 0n;
    for (let i = size - 1; i >= 0; i--) x = (x << 8n) | BigInt(bytes.get(a + i) ?? 0);
    return x;
  };
  const write = (a: number, size: number, x: bigint) => {
    for (let i = 0; i < size; i++) bytes.set(a + i, Number((x >> BigInt(8 * i)) & 0xffn));
  };
  const pcs = accessPcs(source(c));
  let r7 = 0n;
  for (let i = 0; i < c.accesses.length; i++) {
    const a = c.accesses[i];
    const size = SIZES[a.size];
    const at = addr + a.off;
    if (!allowed(at, size, a.kind !== "ldx")) return { pc: pcs[i] };
    const mask = (1n << BigInt(8 * size)) - 1n;
    const imm = BigInt.asUintN(64, BigInt(a.imm)); // sign-extended, as mov and st take it
    if (a.kind === "ldx") r7 = (r7 + read(at, size)) & M64;
    else if (a.kind === "lock") write(at, size, (read(at, size) + imm) & mask);
    else write(at, size, imm & mask);
  }
  return { r0: r7 };
}

function randomCase(next: () => number): Case {
  const m = next() % MAP_DEFS.length;
  const key = m === 2 ? 0 : (next() % (MAP_DEFS[m].maxEntries + 1)) - (next() % 8 === 0 ? 1 : 0);
  const accesses: Access[] = [];
  const n = 1 + (next() % 4);
  const span = STRIDE(m) * MAP_DEFS[m].maxEntries;
  for (let i = 0; i < n; i++) {
    const size = ["b", "h", "w", "dw"][next() % 4];
    const r = next() % 10;
    // mostly inside the value, else just past it, past the arena, or before the value (the key window)
    const off =
      r < 6
        ? next() % Math.max(1, MAP_DEFS[m].valueSize - SIZES[size] + 1)
        : r < 8
          ? MAP_DEFS[m].valueSize - SIZES[size] + 1 + (next() % 4)
          : r < 9
            ? span + (next() % 16)
            : -1 - (next() % 8);
    const kinds: Kind[] = ["ldx", "st", "stx", ...(size === "w" || size === "dw" ? ["lock" as Kind] : [])];
    accesses.push({ kind: kinds[next() % kinds.length], size, off, imm: (next() % 2000) - 1000 });
  }
  const split = next() % 2 ? next() % n : -1;
  return { map: m, key, test: next() % 2 ? "jne" : "jeq", copy: next() % 2 === 0, accesses, split };
}

beforeAll(() => loadEngines());

describe("map value accesses", () => {
  it("end as the region table and the values written say, on the interpreter and the Wasm engine", () => {
    const random = rng(0x5a1e);
    const next = () => Math.floor(random() * 2 ** 32);
    let unchecked = 0;
    for (let i = 0; i < 400; i++) {
      const c = randomCase(next);
      const interp = run(c, "interp");
      const want = model(c, interp.rt);
      const got = { r0: interp.out.r0, pc: interp.out.pc };
      expect(got, JSON.stringify(c)).toEqual(want);
      const wasm = run(c, "wasm").out;
      expect({ r0: wasm.r0, error: wasm.error }, JSON.stringify(c)).toEqual({
        r0: interp.out.r0,
        error: interp.out.error,
      });
      // Inside a writable array's or hash map's value, with a value found, nothing goes to the region cache.
      const inside = c.accesses.every((a) => a.off >= 0 && a.off + SIZES[a.size] <= MAP_DEFS[c.map].valueSize);
      if (inside && (c.map === 0 || c.map === 2) && want.r0 !== MISSING) {
        expect(wasm.checked, JSON.stringify(c)).toBe(false);
        unchecked++;
      }
      // A read-only array's value (no writable part) or a per-CPU array's (not looked up inline) is checked.
      if ((c.map === 1 || c.map === 3) && want.pc === undefined && want.r0 !== MISSING)
        expect(wasm.checked, JSON.stringify(c)).toBe(true);
    }
    expect(unchecked).toBeGreaterThan(40);
  });
});

/** The translated module's text. */
function moduleText(lines: string[]): string {
  const m = binaryen.readBinary(translateToWasm(program(lines)));
  const text = m.emitText();
  m.dispose();
  return text;
}

describe("the value-size compare", () => {
  const lookup = ["stw [%r10-4], 1", map(1, 0), "mov %r2, %r10", "add %r2, -4", "call 1"];
  const valueCompare = /\(i32\.lt_u\s+\(local\.get \$29\)\s+\(i32\.const 8\)\s*\)/;

  it("guards an access through r0 or its copy where a test said it is not null", () => {
    expect(moduleText([...lookup, "jeq %r0, 0, +2", "ldxdw %r0, [%r0+0]", "exit", "exit"])).toMatch(valueCompare);
    const copy = [...lookup, "mov %r6, %r0", "jne %r6, 0, +1", "exit", "ldxw %r0, [%r0+4]", "exit"];
    expect(moduleText(copy)).toMatch(valueCompare);
  });

  it("is not used before the test, after the pointer changed, after another call or where paths join", () => {
    expect(moduleText([...lookup, "ldxdw %r0, [%r0+0]", "exit"])).not.toMatch(valueCompare);
    expect(moduleText([...lookup, "jeq %r0, 0, +3", "add %r0, 0", "ldxdw %r0, [%r0+0]", "exit", "exit"])).not.toMatch(
      valueCompare,
    );
    const call = [...lookup, "mov %r6, %r0", "jeq %r6, 0, +3", "call 5", "ldxdw %r0, [%r6+0]", "exit", "exit"];
    expect(moduleText(call)).not.toMatch(valueCompare);
    // the null branch joins the other before the access
    const join = [...lookup, "jne %r0, 0, +2", "mov %r0, %r10", "add %r0, -8", "ldxdw %r0, [%r0+0]", "exit"];
    expect(moduleText(join)).not.toMatch(valueCompare);
  });
});
