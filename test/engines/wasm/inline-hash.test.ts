// Hash map operations in the translated code (assembly/wasm/inline-hash.ts): which calls leave the translated
// module, and generated programs (hash and per-CPU hash maps of several key and value sizes and sizes of table;
// lookups of present and absent keys, writes through the value pointer, updates with BPF_ANY / BPF_NOEXIST /
// BPF_EXIST and a bad flag, deletes, full maps; keys in the frame and in the context, outside the frames) run on the
// Wasm engine, on the interpreter and in a model written here (a JS Map): the same r0, the same instruction count,
// the same fault under a budget, the same entries in the same iteration order, the same bytes in the map's tables.
import { beforeAll, describe, expect, it } from "vitest";
import binaryen from "binaryen";
import { Runtime } from "../../../src/runtime/runtime.js";
import { loadEngines } from "../../../src/runtime/engine-loader.js";
import { BpfFault } from "../../../src/runtime/faults.js";
import { translateToWasm, wasmEngine, wasmFallbackReason } from "../../../src/engines/wasm.js";
import { ringbufProgram as program, map } from "../../support/ringbuf-programs.js";
import { rng } from "../../support/generated-runs.js";
import { MAPS, MAP_DESC_SIZE } from "../../../assembly/layout.js";
import { MD_BUCKETS, MD_KEYS, MD_VALUES } from "../../../assembly/maps/desc.js";

const M64 = (1n << 64n) - 1n;
const HASH = 1;
const PERCPU_HASH = 5;
const LRU_HASH = 9;
const NCPUS = 3;
const ENOENT = 2n;
const E2BIG = 7n;
const EEXIST = 17n;
const EINVAL = 22n;
const ABSENT = 0xdeadn; // what a program adds for a lookup that gives NULL
const KEY_AT = 128; // the key's bytes in the frame: fp - KEY_AT
const VALUE_AT = 256; // the value's bytes: fp - VALUE_AT
const CTX_VALUE = 777; // the first u32 of the value after the keys in the context

type Op =
  | { kind: "lookup"; key: number; inCtx: boolean }
  | { kind: "delete"; key: number; inCtx: boolean }
  | { kind: "write"; key: number; inCtx: boolean; value: number }
  | { kind: "update"; key: number; inCtx: boolean; value: number; flags: number; valueInCtx?: boolean };

interface Shape {
  type: number;
  keySize: number;
  valueSize: number;
  maxEntries: number;
  keys: Uint8Array[]; // the keys the ops name, also laid out one after another in the context
  ops: Op[];
  junk?: number; // a byte the frame holds in the 7 bytes past a key written there
}

const spec = (s: Shape) => ({
  name: "h",
  type: s.type,
  keySize: s.keySize,
  valueSize: s.valueSize,
  maxEntries: s.maxEntries,
  flags: 0,
  section: ".maps",
});

/** r7 = the context; every op mixes what it gives into r6 (r6 = r6 * 31 + x); r0 = r6. */
function source(s: Shape): string[] {
  const lines = ["mov %r7, %r1", "mov %r6, 0"];
  const keyInto = (op: Op) => {
    if (op.inCtx) {
      lines.push("mov %r2, %r7", `add %r2, ${op.key * s.keySize}`);
      return;
    }
    s.keys[op.key].forEach((byte, i) => lines.push(`stb [%r10-${KEY_AT - i}], ${byte}`));
    if (s.junk !== undefined)
      for (let i = s.keySize; i < s.keySize + 7; i++) lines.push(`stb [%r10-${KEY_AT - i}], ${s.junk}`);
    lines.push("mov %r2, %r10", `add %r2, -${KEY_AT}`);
  };
  const mix = (reg: string) => lines.push("mul %r6, 31", `add %r6, ${reg}`);
  for (const op of s.ops) {
    keyInto(op);
    lines.push(map(1, 0));
    if (op.kind === "lookup" || op.kind === "write") {
      lines.push("call 1", `mov %r8, ${ABSENT}`, "jeq %r0, 0, +2", "ldxw %r8, [%r0+0]", "add %r8, 1");
      if (op.kind === "write") lines.push("jeq %r0, 0, +1", `stw [%r0+0], ${op.value}`);
      mix("%r8");
    } else if (op.kind === "update") {
      if (op.valueInCtx) lines.push("mov %r3, %r7", `add %r3, ${s.keys.length * s.keySize}`);
      else lines.push(`stw [%r10-${VALUE_AT}], ${op.value}`, "mov %r3, %r10", `add %r3, -${VALUE_AT}`);
      lines.push(`mov %r4, ${op.flags}`, "call 2");
      mix("%r0");
    } else {
      lines.push("call 3");
      mix("%r0");
    }
  }
  lines.push("mov %r0, %r6", "exit");
  return lines;
}

const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");

/**
 * r0 and the map's contents (key -> the first u32 of CPU 0's value) by the semantics of Linux's hash maps, and
 * which outcomes the ops met (present, absent, each error).
 */
function model(s: Shape): { r0: bigint; entries: Map<string, number>; seen: Set<string> } {
  const m = new Map<string, number>();
  const seen = new Set<string>();
  let r6 = 0n;
  const mix = (x: bigint) => {
    seen.add(x === ABSENT ? "absent" : x === 0n ? "ok" : x < 0n ? String(x) : "present");
    r6 = (r6 * 31n + (x & M64)) & M64;
  };
  for (const op of s.ops) {
    const k = hex(s.keys[op.key]);
    if (op.kind === "lookup" || op.kind === "write") {
      const v = m.get(k);
      mix(v === undefined ? ABSENT : BigInt(v) + 1n);
      if (op.kind === "write" && v !== undefined) m.set(k, op.value);
    } else if (op.kind === "delete") {
      mix(m.delete(k) ? 0n : -ENOENT);
    } else {
      const has = m.has(k);
      let err = 0n;
      if (op.flags > 2) err = -EINVAL;
      else if (has && op.flags === 1) err = -EEXIST;
      else if (!has && op.flags === 2) err = -ENOENT;
      else if (!has && m.size === s.maxEntries) err = -E2BIG;
      else m.set(k, op.value);
      mix(err);
    }
  }
  return { r0: r6, entries: m, seen };
}

type Outcome = {
  r0?: bigint;
  executed?: number;
  error?: string;
  order: string[];
  values: Map<string, number>;
  tables: string;
};

/** The map's descriptor, bucket heads, element records and value arena, in hex (map 0, laid out by maps/hash.ts). */
function tables(rt: Runtime, s: Shape): string {
  const at = (field: number) => rt.core.view.getUint32(MAPS + field, true);
  const buckets = s.maxEntries <= 1 ? 1 : 2 ** Math.ceil(Math.log2(s.maxEntries));
  const record = 16 + Math.ceil(s.keySize / 8) * 8;
  const slot = Math.ceil(s.valueSize / 8) * 8 * (s.type === PERCPU_HASH ? NCPUS : 1);
  const bytes = (from: number, n: number) => hex(rt.core.memory.slice(from, from + n));
  return [
    bytes(MAPS, MAP_DESC_SIZE),
    bytes(at(MD_BUCKETS), buckets * 4),
    bytes(at(MD_KEYS), s.maxEntries * record),
    bytes(at(MD_VALUES), s.maxEntries * slot),
  ].join(" ");
}

/** One run on a fresh runtime; the map's keys in iteration order and CPU 0's first u32 of each value after it. */
function runOn(s: Shape, engine: "interp" | "wasm", budget = 0): Outcome {
  const rt = new Runtime({ budget, ncpus: NCPUS });
  rt.createMaps([spec(s)]);
  const prog = rt.addProgram("p", program(source(s)));
  const ctx = context(s);
  let out: Outcome;
  try {
    const r = rt.run(prog, { ctx: { bytes: ctx } }, engine === "wasm" ? wasmEngine : engine);
    out = { r0: r.r0, executed: r.executed, order: [], values: new Map(), tables: "" };
  } catch (e) {
    if (!(e instanceof BpfFault)) throw e;
    out = { error: e.message, order: [], values: new Map(), tables: "" };
  }
  if (engine === "wasm") expect(wasmFallbackReason(prog)).toBeUndefined();
  out.tables = tables(rt, s);
  const x = rt.core.x;
  const keyAt = rt.core.x.allocBytes(2 * s.keySize);
  const nextAt = keyAt + s.keySize;
  for (let at = 0; x.mapGetNextKey(0, at, nextAt) === 0n; at = keyAt) {
    const key = rt.core.memory.slice(nextAt, nextAt + s.keySize);
    rt.core.memory.copyWithin(keyAt, nextAt, nextAt + s.keySize);
    out.order.push(hex(key));
    out.values.set(hex(key), rt.core.view.getUint32(x.mapLookupCpu(0, keyAt, 0), true));
  }
  return out;
}

/** The keys one after another, then a value whose first u32 is CTX_VALUE. */
function context(s: Shape): Uint8Array {
  const ctx = new Uint8Array(s.keys.length * s.keySize + 24);
  s.keys.forEach((k, i) => ctx.set(k, i * s.keySize));
  new DataView(ctx.buffer).setUint32(s.keys.length * s.keySize, CTX_VALUE, true);
  return ctx;
}

function randomShape(seed: number): Shape {
  const next = rng(seed);
  const pick = <T>(xs: T[]) => xs[Math.floor(next() * xs.length)];
  const keySize = pick([1, 3, 4, 5, 8, 12, 16, 21, 40]);
  const maxEntries = pick([1, 2, 5, 8, 16]);
  const keys = Array.from({ length: maxEntries + 3 }, () =>
    Uint8Array.from({ length: keySize }, () => Math.floor(next() * 256)),
  );
  // keys that differ only in their last byte, to walk past a same-bucket neighbour's compare
  if (keySize > 1) keys[1] = Uint8Array.from([...keys[0].subarray(0, keySize - 1), keys[0][keySize - 1] ^ 1]);
  const opsOut: Op[] = [];
  for (let i = 0; i < 40; i++) {
    const key = Math.floor(next() * keys.length);
    const inCtx = next() < 0.2;
    const value = Math.floor(next() * 1000);
    const r = next();
    if (r < 0.35) opsOut.push({ kind: "lookup", key, inCtx });
    else if (r < 0.45) opsOut.push({ kind: "write", key, inCtx, value });
    else if (r < 0.85) {
      const flags = next() < 0.05 ? 3 : pick([0, 0, 1, 1, 2]);
      const valueInCtx = next() < 0.15;
      opsOut.push({ kind: "update", key, inCtx, value: valueInCtx ? CTX_VALUE : value, flags, valueInCtx });
    } else opsOut.push({ kind: "delete", key, inCtx });
  }
  return {
    type: next() < 0.7 ? HASH : PERCPU_HASH,
    keySize,
    valueSize: pick([4, 8, 12, 20]),
    maxEntries,
    keys,
    ops: opsOut,
  };
}

/** Counts the core functions the translated module calls (the engine instantiates it against rt.core.x). */
function countCoreCalls(rt: Runtime): Record<string, number> {
  const x = rt.core.x as unknown as Record<string, unknown>;
  const calls: Record<string, number> = { mapLookup: 0, helperCall: 0 };
  const counted = { ...x };
  for (const name of Object.keys(calls)) {
    const f = x[name] as (...a: unknown[]) => unknown;
    counted[name] = (...a: unknown[]) => (calls[name]++, f(...a));
  }
  (rt.core as unknown as { x: unknown }).x = counted;
  return calls;
}

/** The core's hash of a key (assembly/maps/common.ts hashBytes), to make keys of one hash. */
function coreHash(key: Uint8Array): number {
  const v = new DataView(key.buffer, key.byteOffset, key.length);
  let h = 0x9747b28c ^ key.length;
  let i = 0;
  for (; i + 4 <= key.length; i += 4) {
    const x = Math.imul(h ^ v.getUint32(i, true), 0xcc9e2d51);
    h = Math.imul((x << 15) | (x >>> 17), 0x1b873593);
  }
  for (; i < key.length; i++) h = Math.imul(h ^ key[i], 0x01000193);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  return (h ^ (h >>> 13)) >>> 0;
}

/**
 * Two keys of `size` bytes with the same hash that differ only in the five bytes from the last 8-byte word's start
 * (the bytes the key compare takes after its 8-byte words): a birthday search over those bytes. (Keys that differ
 * in one 4-byte word, or in the bytes after the words, never share a hash: each step of the hash is one-to-one.)
 */
function sameHashKeys(size: number): [Uint8Array, Uint8Array] {
  const at = Math.floor((size - 1) / 8) * 8;
  const next = rng(size);
  const seen = new Map<number, Uint8Array>();
  for (;;) {
    const k = Uint8Array.from({ length: size }, (_, i) => (i * 37 + 11) & 0xff);
    for (let i = at; i < at + 5; i++) k[i] = Math.floor(next() * 256);
    const other = seen.get(coreHash(k));
    if (other !== undefined && hex(other) !== hex(k)) return [other, k];
    seen.set(coreHash(k), k);
  }
}

beforeAll(() => loadEngines());

describe("inline hash map operations", () => {
  const one = (type: number, op: Op): Shape => ({
    type,
    keySize: 8,
    valueSize: 8,
    maxEntries: 4,
    keys: [Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8), Uint8Array.of(9, 9, 9, 9, 9, 9, 9, 9)],
    ops: [{ kind: "update", key: 0, inCtx: true, value: 41, flags: 0 }, op],
  });

  /** The core functions a program calls on the Wasm engine after one update from the context (a core call). */
  function coreCalls(s: Shape): Record<string, number> {
    const rt = new Runtime({ ncpus: NCPUS });
    rt.createMaps([spec(s)]);
    const calls = countCoreCalls(rt);
    expect(rt.run(rt.addProgram("p", program(source(s))), { ctx: { bytes: context(s) } }, "wasm").r0).toBe(model(s).r0);
    return calls;
  }

  it("looks hash and per-CPU hash maps up without calling the core, present and absent keys", () => {
    for (const type of [HASH, PERCPU_HASH])
      for (const key of [0, 1])
        expect(coreCalls(one(type, { kind: "lookup", key, inCtx: false }))).toEqual({ mapLookup: 0, helperCall: 1 });
  });

  it("updates and deletes with the key and the value in the frame without calling the core", () => {
    const none = { mapLookup: 0, helperCall: 1 }; // the first update's, from the context
    for (const type of [HASH, PERCPU_HASH])
      for (const key of [0, 1]) {
        for (const flags of [0, 1, 2])
          expect(coreCalls(one(type, { kind: "update", key, inCtx: false, value: 5, flags }))).toEqual(none);
        expect(coreCalls(one(type, { kind: "delete", key, inCtx: false }))).toEqual(none);
      }
  });

  it("leaves an LRU map, a key or a value in the context and a bad flag to the core", () => {
    const lookup: Op = { kind: "lookup", key: 0, inCtx: false };
    const update: Op = { kind: "update", key: 0, inCtx: false, value: 5, flags: 0 };
    expect(coreCalls(one(LRU_HASH, lookup))).toEqual({ mapLookup: 1, helperCall: 1 });
    expect(coreCalls(one(LRU_HASH, update))).toEqual({ mapLookup: 0, helperCall: 2 });
    expect(coreCalls(one(LRU_HASH, { kind: "delete", key: 0, inCtx: false }))).toEqual({ mapLookup: 0, helperCall: 2 });
    expect(coreCalls(one(HASH, { ...lookup, inCtx: true }))).toEqual({ mapLookup: 0, helperCall: 2 });
    expect(coreCalls(one(HASH, { ...update, inCtx: true }))).toEqual({ mapLookup: 0, helperCall: 2 });
    expect(coreCalls(one(HASH, { ...update, valueInCtx: true, value: CTX_VALUE }))).toEqual({
      mapLookup: 0,
      helperCall: 2,
    });
    expect(coreCalls(one(HASH, { ...update, flags: 3 }))).toEqual({ mapLookup: 0, helperCall: 2 });
  });

  it("faults like the interpreter on an update of a map programs may only read", () => {
    const s: Shape = { ...one(HASH, { kind: "lookup", key: 0, inCtx: false }) };
    s.ops = [{ kind: "update", key: 0, inCtx: false, value: 5, flags: 0 }];
    const run = (engine: "interp" | "wasm") => {
      const rt = new Runtime();
      rt.createMaps([{ ...spec(s), flags: 1 << 7 }]); // BPF_F_RDONLY_PROG
      try {
        return String(rt.run(rt.addProgram("p", program(source(s))), { ctx: { bytes: context(s) } }, engine).r0);
      } catch (e) {
        return (e as Error).message;
      }
    };
    expect(run("wasm")).toBe(run("interp"));
    expect(run("wasm")).toMatch(/map/);
  });

  it("calls a host's helper registered under the update's or the delete's id", () => {
    for (const [id, op] of [
      [2, { kind: "update", key: 0, inCtx: false, value: 5, flags: 0 }],
      [3, { kind: "delete", key: 0, inCtx: false }],
    ] as const) {
      const s = one(HASH, op);
      const run = (engine: "interp" | "wasm") => {
        const rt = new Runtime();
        rt.createMaps([spec(s)]);
        rt.registerHelper(id, () => 1234n);
        return rt.run(rt.addProgram("p", program(source(s))), { ctx: { bytes: context(s) } }, engine).r0;
      };
      expect(run("wasm")).toBe(run("interp"));
      expect(run("wasm") % 31n).toBe(1234n % 31n);
    }
  });

  it("agrees with the interpreter and the model on generated programs", () => {
    const seen = new Set<string>();
    for (let seed = 1; seed <= 60; seed++) {
      const s = randomShape(seed);
      const want = model(s);
      want.seen.forEach((x) => seen.add(x));
      const w = runOn(s, "wasm");
      const i = runOn(s, "interp");
      const what = `seed ${seed}: key size ${s.keySize}, value size ${s.valueSize}, ${s.maxEntries} entries`;
      expect(w.r0, what).toBe(want.r0);
      expect(i.r0, what).toBe(want.r0);
      expect(w.executed, what).toBe(i.executed);
      expect(w.order, what).toEqual(i.order);
      expect(w.tables, what).toBe(i.tables);
      expect(w.values, what).toEqual(want.entries);
    }
    expect([...seen].sort()).toEqual(["-17", "-2", "-22", "-7", "absent", "ok", "present"]);
  });

  it("compares the last 1-7 bytes of a key in one 8-byte compare, without a loop over bytes", () => {
    // The loops one lookup adds, in the function's fast and exact copies: the hash's words and bytes, the chain,
    // the key's 8-byte words (a loop over the key's last bytes would be a fifth)
    const loops = (lookups: number) => {
      const lines = ["stw [%r10-8], 1"];
      for (let i = 0; i < lookups; i++) lines.push("mov %r2, %r10", "add %r2, -8", map(1, 0), "call 1");
      lines.push("exit");
      const text = binaryen.readBinary(translateToWasm(program(lines))).emitText();
      return { loops: text.match(/\(loop /g)?.length ?? 0, shifts: text.match(/i64\.shl/g)?.length ?? 0 };
    };
    const one = loops(1);
    const two = loops(2);
    expect(two.loops - one.loops).toBe(2 * 4);
    expect(two.shifts - one.shifts).toBe(2);
  });

  it("tells apart keys of one hash that differ only in their last bytes, whatever the frame holds past them", () => {
    for (const keySize of [5, 7, 13, 15]) {
      const [a, b] = sameHashKeys(keySize);
      expect(coreHash(a)).toBe(coreHash(b));
      const frame = (key: number, kind: "lookup" | "delete" = "lookup"): Op => ({ kind, key, inCtx: false });
      const insert = (key: number, value: number): Op => ({ kind: "update", key, inCtx: false, value, flags: 1 });
      for (const junk of [0, 0xa5]) {
        const s: Shape = {
          type: HASH,
          keySize,
          valueSize: 8,
          maxEntries: 4,
          keys: [a, b],
          junk,
          // b absent while a is in its chain; both in one chain (b in front); a found past b; b alone again
          ops: [
            insert(0, 41),
            frame(1),
            frame(0),
            insert(1, 7),
            frame(0),
            frame(1),
            frame(0, "delete"),
            frame(1),
            frame(0),
          ],
        };
        const want = model(s);
        expect([...want.seen].sort()).toEqual(["absent", "ok", "present"]);
        const w = runOn(s, "wasm");
        const i = runOn(s, "interp");
        const what = `key size ${keySize}, junk ${junk}`;
        expect(w.r0, what).toBe(want.r0);
        expect(i.r0, what).toBe(want.r0);
        expect(w.tables, what).toBe(i.tables);
        expect(w.values, what).toEqual(want.entries);
      }
    }
  });

  it("runs out of budget at the interpreter's instruction", () => {
    for (let seed = 100; seed < 110; seed++) {
      const s = randomShape(seed);
      const all = runOn(s, "interp").executed!;
      const budget = 1 + Math.floor(rng(seed)() * (all - 1));
      const w = runOn(s, "wasm", budget);
      const i = runOn(s, "interp", budget);
      expect(w.error, `seed ${seed}, budget ${budget}`).toBe(i.error);
      expect(w.error).toMatch(/budget/);
      expect(w.tables).toBe(i.tables);
      expect(w.values).toEqual(i.values);
    }
  });
});
