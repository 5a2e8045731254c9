// The map families beyond arrays and hash maps in ARM32 executables (PERCPU_HASH, LRU_HASH, LRU_PERCPU_HASH,
// LPM_TRIE, QUEUE, STACK, RINGBUF, PERF_EVENT_ARRAY, ARRAY_OF_MAPS, HASH_OF_MAPS): every program of maps_all.o and
// ringbuf.o (v3 and v4) over several inputs and repeated runs, compared with what `tinybpf run` prints with the
// interpreter, and each helper's flags, errnos and faults compared with the interpreter's, under qemu-arm.
import { describe, it, expect, beforeAll } from "vitest";
import { writeFileSync, mkdtempSync, rmSync, chmodSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { assemble } from "../../../src/tools/asm.js";
import { loadSync, type LoadedObject, type Program } from "../../../src/api/object.js";
import { commands, dumpMaps } from "../../../src/cli/object-commands.js";
import { parseArgs } from "../../../src/cli/args.js";
import { Runtime } from "../../../src/runtime/runtime.js";
import { BpfMap, plainCodec } from "../../../src/api/bpf-map.js";
import { BpfFault, describeFault } from "../../../src/runtime/faults.js";
import { buildArm32Executable } from "../../../src/engines/arm32/build.js";
import { writePcap } from "../../../src/tools/pcap.js";
import {
  buildExecutable,
  runExecutable,
  layoutMaps,
  linkForArm32,
  Arm32RunError,
} from "../../../src/engines/arm32/engine.js";
import type { MapDef } from "../../../src/loader/loader.js";
import { ensureArm32Translator } from "../../support/arm32.js";

const root = join(import.meta.dirname, "..", "..", "..");
const fixture = (name: string) => join(root, "test", "fixtures", name);
let dir = "";

beforeAll(() => {
  ensureArm32Translator();
  dir = mkdtempSync(join(tmpdir(), "tinybpf-arm32-maps-more-"));
  return () => rmSync(dir, { recursive: true, force: true });
});

function file(name: string, bytes: Uint8Array): string {
  const p = join(dir, name);
  writeFileSync(p, bytes);
  return p;
}

/** What `tinybpf run ARGS --json` prints with the interpreter, computed in this process. */
async function interpreterJson(argv: string[]): Promise<string> {
  let out = "";
  await commands.run(parseArgs([...argv, "--json", "--engine", "interp"]), (s) => (out += s + "\n"));
  return out;
}

/**
 * The executable's readable output for what `run --json` printed: r0, then NAME[KEY] = VALUE for every entry,
 * leaving out array entries (ARRAY, PERCPU_ARRAY, global data) whose value is all zeros.
 */
function readableOf(json: string, defs: MapDef[]): string {
  const j = JSON.parse(json) as { r0: string; maps: Record<string, { key: string; value: string }[]> };
  const zeroSkip = new Set(defs.filter((d) => d.type === 2 || d.type === 6).map((d) => d.name));
  const lines = [j.r0];
  for (const [name, entries] of Object.entries(j.maps)) {
    for (const e of entries)
      if (!(zeroSkip.has(name) && /^0*$/.test(e.value))) lines.push(`${name}[${e.key}] = ${e.value}`);
  }
  return lines.join("\n") + "\n";
}

/** A capture whose packets start with `firsts` (raw programs see each packet's bytes), 4 to 8 bytes each. */
function capture(name: string, firsts: number[]): string {
  return file(
    name,
    writePcap(firsts.map((b, i) => ({ data: new Uint8Array([b, 10, 1, i, 7, 7, 7, 7].slice(0, 4 + (i % 5))) }))),
  );
}

// Keys 1..8 fill the LRU maps (8 entries), 1 again refreshes key 1, then 9, 10, 3, 200, 11 evict the least recently
// used; every run leaves one more value in fifo and lifo (8 entries), so pushes fail once they are full.
const FIRSTS = [1, 2, 3, 4, 5, 6, 7, 8, 1, 9, 10, 3, 200, 11];

describe("every program of maps_all.o and ringbuf.o agrees with the interpreter", () => {
  const programs: [string, string][] = [];
  for (const v of ["", ".v4"]) {
    for (const p of [
      "touch_arrays",
      "touch_hashes",
      "touch_lpm",
      "touch_queues",
      "touch_events",
      "touch_outer",
      "touch_progs",
    ]) {
      programs.push([`maps_all${v}.o`, p]);
    }
    for (const p of ["produce", "avail"]) programs.push([`ringbuf${v}.o`, p]);
  }
  for (const [name, progName] of programs) {
    it(`${name} ${progName}: a capture, once and 4 times; one input 30 times; the readable form`, async () => {
      const obj = loadSync(fixture(name));
      const prog = obj.program(progName);
      const pcap = capture(`${name}-${progName}.pcap`, FIRSTS);
      const mem = file(`${name}-${progName}.mem`, new Uint8Array([6, 1, 8, 3, 2, 5, 4, 7, 9])); // 8 bytes read by produce
      const base = [fixture(name), "--prog", progName];
      for (const repeat of [1, 4]) {
        expect(runExecutable(obj, prog, { pcap, repeat, json: true })).toBe(
          await interpreterJson([...base, "--pcap", pcap, "--repeat", String(repeat)]),
        );
      }
      const many = await interpreterJson([...base, "--mem", mem, "--repeat", "30"]);
      expect(runExecutable(obj, prog, { mem, repeat: 30, json: true })).toBe(many);
      expect(runExecutable(obj, prog, { mem, repeat: 30 })).toBe(readableOf(many, obj.object.maps));
    });
  }

  it("reaches what the inputs are chosen for: LRU eviction, a full queue, a full ring buffer", async () => {
    const pcap = capture("reach.pcap", FIRSTS);
    const hashes = JSON.parse(await interpreterJson([fixture("maps_all.o"), "--prog", "touch_hashes", "--pcap", pcap]));
    expect(hashes.maps.lru_hash.length).toBe(8);
    expect(hashes.maps.hash.length).toBe(new Set(FIRSTS).size);
    const queues = JSON.parse(await interpreterJson([fixture("maps_all.o"), "--prog", "touch_queues", "--pcap", pcap]));
    expect(queues.maps.fifo.length).toBe(7); // 14 runs each leaving one value: pushes failed once 8 were held
    const mem = file("reach.mem", new Uint8Array(8).fill(2));
    const produce = JSON.parse(
      await interpreterJson([fixture("ringbuf.o"), "--prog", "produce", "--mem", mem, "--repeat", "30"]),
    );
    expect(produce.r0).toBe(String(2 ** 32 - 1)); // (int) -1: a reservation failed
  });
});

// ---------------------------------------------------------------------------------------------------------------
// State the host gives the maps before the executable is built: LPM routes, an inner map in a hash of maps,
// values in a queue and a stack.

/** Runs `prog` over the capture's packets `repeat` times with the interpreter; prints what `run --json` prints. */
function interpretObject(obj: LoadedObject, prog: Program, packets: Uint8Array[], repeat: number): string {
  let r0 = 0n;
  for (let k = 0; k < repeat; k++) for (const p of packets) r0 = prog.run({ packet: p } as never);
  return JSON.stringify({ r0: r0.toString(), runs: repeat * packets.length, maps: dumpMaps(obj) }) + "\n";
}

const lpmKey = (plen: number, ip: number[]) => new Uint8Array([plen, 0, 0, 0, ...ip]);
const u32 = (x: number) => new Uint8Array(new Uint32Array([x]).buffer);

function setUp(obj: LoadedObject): void {
  const routes = obj.maps.get("routes")!;
  routes.update(lpmKey(8, [10, 0, 0, 0]), u32(1));
  routes.update(lpmKey(24, [10, 1, 2, 0]), u32(3));
  routes.update(lpmKey(16, [10, 1, 0, 0]), u32(2));
  routes.update(lpmKey(32, [10, 1, 2, 3]), u32(4));
  routes.update(lpmKey(0, [0, 0, 0, 0]), u32(9));
  routes.update(lpmKey(12, [172, 16, 0, 0]), u32(5));
  routes.delete(lpmKey(12, [172, 16, 0, 0]));
  obj.maps.get("outer_hash")!.update(7, obj.maps.get("inner_b")!);
  obj.maps.get("fifo")!.push(41);
  obj.maps.get("fifo")!.push(42);
  obj.maps.get("lifo")!.push(51);
  obj.maps.get("lifo")!.push(52);
}

describe("maps the host filled before building", () => {
  const packets = [
    [10, 1, 2, 3],
    [10, 1, 2, 9],
    [10, 1, 9, 9],
    [10, 9, 9, 9],
    [11, 0, 0, 0],
    [172, 16, 1, 1],
  ].map((b) => new Uint8Array(b));
  for (const v of ["", ".v4"]) {
    for (const progName of ["touch_lpm", "touch_outer", "touch_queues", "touch_arrays"]) {
      it(`maps_all${v}.o ${progName}`, () => {
        const want = loadSync(fixture(`maps_all${v}.o`), { engine: "interp" });
        const got = loadSync(fixture(`maps_all${v}.o`));
        setUp(want);
        setUp(got);
        const pcap = file(`host-${v}-${progName}.pcap`, writePcap(packets.map((data) => ({ data }))));
        for (const repeat of [1, 3]) {
          const w = loadSync(fixture(`maps_all${v}.o`), { engine: "interp" });
          setUp(w);
          expect(runExecutable(got, got.program(progName), { pcap, repeat, json: true })).toBe(
            interpretObject(w, w.program(progName), packets, repeat),
          );
        }
        if (progName === "touch_lpm")
          expect(interpretObject(want, want.program(progName), packets.slice(0, 1), 1)).toMatch(/^\{"r0":"4"/);
        if (progName === "touch_outer")
          expect(interpretObject(want, want.program(progName), packets.slice(0, 1), 1)).toMatch(/^\{"r0":"3"/);
      });
    }
  }
});

// ---------------------------------------------------------------------------------------------------------------
// Helper semantics: flags, errnos, full and empty maps, faults, with assembled programs

const mapDef = (
  name: string,
  type: number,
  keySize: number,
  valueSize: number,
  maxEntries: number,
  extra: Partial<MapDef> = {},
): MapDef => ({ name, type, keySize, valueSize, maxEntries, flags: 0, section: ".maps", ...extra });

const DEFS = [
  mapDef("lru", 9, 4, 8, 3),
  mapDef("lpm", 11, 8, 8, 3, { flags: 1 }),
  mapDef("queue", 22, 0, 4, 3),
  mapDef("stack", 23, 0, 4, 3),
  mapDef("ring", 27, 0, 0, 4096),
  mapDef("perf", 4, 4, 4, 2),
  mapDef("inner", 2, 4, 8, 2),
  mapDef("aom", 12, 4, 4, 2, { innerMap: 6 }),
  mapDef("hom", 13, 4, 4, 2, { innerMap: 6 }),
  mapDef("pcpu", 5, 4, 8, 2),
  mapDef("lru_pcpu", 10, 4, 8, 2),
  mapDef("ro_queue", 22, 0, 4, 2, { flags: 0x80 }),
  mapDef("results", 2, 4, 8, 64),
];
const MAP = (name: string) => DEFS.findIndex((d) => d.name === name);
const MARK = 0x7e570000;

/** lddw r1, map (PSEUDO_MAP_FD) for every lddw of MARK + index */
function link(code: Uint8Array): Uint8Array {
  const v = new DataView(code.buffer);
  for (let at = 0; at < code.length; at += 8) {
    const imm = v.getUint32(at + 4, true);
    if (code[at] === 0x18 && (imm & 0xffff0000) === MARK) {
      code[at + 1] = (code[at + 1] & 0x0f) | (1 << 4);
      v.setUint32(at + 4, imm & 0xffff, true);
      v.setUint32(at + 12, 0, true);
    }
  }
  return code;
}

const map = (reg: number, name: string) => `lddw %r${reg}, ${MARK + MAP(name)}`;
/** Key at r10-32: a u32, or an LPM key (prefix length, 4 address bytes) */
const key = (k: number | [number, number[]]) =>
  typeof k === "number"
    ? [`stw [%r10-32], ${k}`]
    : [`stw [%r10-32], ${k[0]}`, `stw [%r10-28], ${k[1][0] | (k[1][1] << 8) | (k[1][2] << 16) | (k[1][3] << 24)}`];

type Op = string[];
const op = {
  update: (m: string, k: number | [number, number[]], value: number, flags = 0): Op => [
    ...key(k),
    `stdw [%r10-16], ${value}`,
    map(1, m),
    "mov %r2, %r10",
    "add %r2, -32",
    "mov %r3, %r10",
    "add %r3, -16",
    `mov %r4, ${flags}`,
    "call 2",
  ],
  delete: (m: string, k: number | [number, number[]]): Op => [
    ...key(k),
    map(1, m),
    "mov %r2, %r10",
    "add %r2, -32",
    "call 3",
  ],
  lookup: (m: string, k: number | [number, number[]]): Op => [
    ...key(k),
    map(1, m),
    "mov %r2, %r10",
    "add %r2, -32",
    "call 1",
    "jeq %r0, 0, +2",
    "ldxdw %r0, [%r0+0]",
    "ja +1",
    "mov %r0, -1",
  ],
  /** lookup in the outer map, then key `inner` in the inner map found (-1: none), and add 5 to that value */
  outer: (m: string, k: number, inner: number): Op => [
    ...key(k),
    map(1, m),
    "mov %r2, %r10",
    "add %r2, -32",
    "call 1",
    "jeq %r0, 0, +10",
    "mov %r1, %r0",
    `stw [%r10-32], ${inner}`,
    "mov %r2, %r10",
    "add %r2, -32",
    "call 1",
    "jeq %r0, 0, +4",
    "ldxdw %r1, [%r0+0]",
    "add %r1, 5",
    "stxdw [%r0+0], %r1",
    "ja +1",
    "mov %r0, -1",
  ],
  push: (m: string, value: number, flags: number | string = 0): Op => [
    `stw [%r10-16], ${value}`,
    map(1, m),
    "mov %r2, %r10",
    "add %r2, -16",
    typeof flags === "string" ? `lddw %r3, ${flags}` : `mov %r3, ${flags}`,
    "call 87",
  ],
  /** pop (88) or peek (89): r0 = result * 0x10000 + the value taken (low 16 bits) */
  take: (m: string, id: 88 | 89): Op => [
    "stw [%r10-16], 0",
    map(1, m),
    "mov %r2, %r10",
    "add %r2, -16",
    `call ${id}`,
    "lsh %r0, 16",
    "ldxw %r1, [%r10-16]",
    "add %r0, %r1",
  ],
  /** ringbuf_reserve: the record in r6, r0 = 1 when reserved */
  reserve: (size: number | string, flags = 0): Op => [
    map(1, "ring"),
    typeof size === "string" ? `lddw %r2, ${size}` : `mov %r2, ${size}`,
    `mov %r3, ${flags}`,
    "call 131",
    "mov %r6, %r0",
    "jeq %r0, 0, +1",
    "mov %r0, 1",
  ],
  fill: (value: number): Op => [`stdw [%r6+0], ${value}`, "mov %r0, 0"],
  commit: (id: 132 | 133, flags = 0): Op => ["mov %r1, %r6", `mov %r2, ${flags}`, `call ${id}`],
  /** ringbuf_submit of the record reserved last, when there is one (else r0 = -1) */
  commitIf: (): Op => ["mov %r0, -1", "jeq %r6, 0, +3", "mov %r1, %r6", "mov %r2, 0", "call 132"],
  output: (size: number, flags: number | string = 0, m = "ring"): Op => [
    "stdw [%r10-16], 77",
    map(1, m),
    "mov %r2, %r10",
    "add %r2, -16",
    `mov %r3, ${size}`,
    typeof flags === "string" ? `lddw %r4, ${flags}` : `mov %r4, ${flags}`,
    "call 130",
  ],
  query: (flags: number, m = "ring"): Op => [map(1, m), `mov %r2, ${flags}`, "call 134"],
  perf: (flags: number | string, size = 8, m = "perf"): Op => [
    "stdw [%r10-16], 99",
    "mov %r1, 0",
    map(2, m),
    typeof flags === "string" ? `lddw %r3, ${flags}` : `mov %r3, ${flags}`,
    "mov %r4, %r10",
    "add %r4, -16",
    `mov %r5, ${size}`,
    "call 25",
  ],
  raw: (...lines: string[]): Op => lines,
};

/** A program doing `ops`, each result (r0) stored in results[i]. */
function program(ops: Op[]): Uint8Array {
  const lines: string[] = [];
  ops.forEach((o, i) => {
    lines.push(
      ...o,
      "stxdw [%r10-24], %r0",
      `stw [%r10-40], ${i}`,
      map(1, "results"),
      "mov %r2, %r10",
      "add %r2, -40",
      "mov %r3, %r10",
      "add %r3, -24",
      "mov %r4, 0",
      "call 2",
    );
  });
  lines.push("mov %r0, 0", "exit");
  return link(assemble(lines.join("\n")));
}

/** The engines place map values at different addresses: a helper fault naming one is compared without it. */
const noAddress = (s: string) =>
  s.replace(/^helper argument 0x[0-9a-f]{5,} is not a reserved/, "helper argument ADDRESS is not a reserved");

const hexOf = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");

/** The interpreter's r0 and maps (as `run --json` prints them), or its fault line. */
function interpret(code: Uint8Array, repeat: number): string {
  const rt = new Runtime();
  rt.createMaps(DEFS);
  try {
    const prog = rt.addProgram("ops", code);
    let r0 = 0n;
    for (let k = 0; k < repeat; k++) r0 = rt.run(prog, {}).r0;
    const maps: Record<string, { key: string; value: string }[]> = {};
    DEFS.forEach((d, i) => {
      maps[d.name] = new BpfMap(rt, i, d, plainCodec, plainCodec)
        .dump()
        .map((e) => ({ key: hexOf(e.key), value: hexOf(e.value) }));
    });
    return JSON.stringify({ r0: r0.toString(), runs: repeat, maps }) + "\n";
  } catch (e) {
    if (e instanceof BpfFault) return describeFault(e.info);
    throw e;
  }
}

function arm(code: Uint8Array, repeat: number): string {
  const rt = new Runtime();
  rt.createMaps(DEFS);
  const layout = layoutMaps(DEFS, 1, undefined, [], undefined, rt.mapIds);
  const exe = buildArm32Executable(linkForArm32("ops", code, layout, DEFS), { maps: layout.maps });
  const path = file(`ops-${Math.random().toString(36).slice(2)}`, exe);
  chmodSync(path, 0o755);
  const r = spawnSync("qemu-arm", [path, "--json", "--repeat", String(repeat)], { encoding: "utf8", timeout: 60_000 });
  if (r.status === 1) return r.stderr.trim();
  expect(r.stderr).toBe("");
  expect(r.status).toBe(0);
  return r.stdout;
}

describe("map helpers of the other families agree with the interpreter", () => {
  const BIG = "0x100000000";
  const cases: [string, Op[], number][] = [
    [
      "LRU hash: updates with flags, lookups refresh, a full map evicts the least recently used",
      [
        op.update("lru", 1, 10),
        op.update("lru", 2, 20),
        op.update("lru", 3, 30),
        op.lookup("lru", 1),
        op.update("lru", 4, 40),
        op.lookup("lru", 2),
        op.update("lru", 3, 31, 2),
        op.update("lru", 5, 50, 1),
        op.update("lru", 1, 11, 1),
        op.update("lru", 9, 9, 3),
        op.delete("lru", 4),
        op.delete("lru", 4),
        op.update("lru", 6, 60),
        op.update("lru", 7, 70, 2),
        op.update("lru", 8, 80),
        op.lookup("lru", 5),
        op.lookup("lru", 6),
        op.update("lru_pcpu", 1, 1),
        op.update("lru_pcpu", 2, 2),
        op.update("lru_pcpu", 3, 3),
        op.update("pcpu", 1, 5),
        op.update("pcpu", 2, 6),
        op.update("pcpu", 3, 7),
        op.delete("pcpu", 1),
        op.lookup("pcpu", 2),
      ],
      2,
    ],
    [
      "LPM trie: longest prefix, flags, prefixes too long, -ENOSPC, deletes and slot reuse",
      [
        op.update("lpm", [8, [10, 0, 0, 0]], 1),
        op.update("lpm", [16, [10, 1, 0, 0]], 2),
        op.update("lpm", [33, [1, 2, 3, 4]], 3),
        op.lookup("lpm", [32, [10, 1, 2, 3]]),
        op.lookup("lpm", [12, [10, 1, 2, 3]]),
        op.lookup("lpm", [32, [11, 1, 2, 3]]),
        op.update("lpm", [8, [10, 9, 9, 9]], 4, 1),
        op.update("lpm", [8, [10, 0, 0, 0]], 5, 2),
        op.update("lpm", [9, [10, 0, 0, 0]], 5, 2),
        op.update("lpm", [0, [0, 0, 0, 0]], 6),
        op.update("lpm", [30, [9, 9, 9, 9]], 7),
        op.update("lpm", [20, [9, 9, 9, 9]], 7, 4),
        op.delete("lpm", [16, [10, 1, 0, 0]]),
        op.delete("lpm", [16, [10, 1, 0, 0]]),
        op.delete("lpm", [40, [10, 1, 0, 0]]),
        op.update("lpm", [30, [9, 9, 9, 9]], 8),
        op.lookup("lpm", [32, [9, 9, 9, 10]]),
        op.lookup("lpm", [32, [200, 9, 9, 10]]),
        op.lookup("lpm", [99, [10, 1, 1, 1]]),
      ],
      1,
    ],
    [
      "queue and stack: push flags, full maps, BPF_EXIST replacing the oldest, pop and peek, empty maps",
      [
        op.push("queue", 1),
        op.push("queue", 2, 2),
        op.push("queue", 3),
        op.push("queue", 4),
        op.push("queue", 5, 2),
        op.push("queue", 6, 1),
        op.push("queue", 7, 3),
        op.push("queue", 8, BIG),
        op.take("queue", 89),
        op.take("queue", 88),
        op.push("stack", 1),
        op.push("stack", 2),
        op.push("stack", 3),
        op.push("stack", 4, 2),
        op.take("stack", 89),
        op.take("stack", 88),
        op.take("stack", 88),
        op.push("stack", 9),
        op.take("queue", 88),
        op.take("queue", 88),
        op.take("queue", 88),
        op.take("ro_queue", 89),
      ],
      2,
    ],
    [
      "ring buffer: reserve, write, submit, discard, output flags, query selectors",
      [
        op.reserve(16),
        op.fill(0x1234),
        op.commit(132),
        op.reserve(8),
        op.commit(133),
        op.reserve(8, 1),
        op.reserve(BIG),
        op.reserve(0x40000000),
        op.output(8),
        op.output(4, 1),
        op.output(0, 2),
        op.output(8, 4),
        op.output(8, BIG),
        op.query(0),
        op.query(1),
        op.query(2),
        op.query(3),
        op.query(4),
        op.reserve(4000),
        op.output(8),
      ],
      1,
    ],
    [
      "ring buffer: a reserved sample may be read and written as in the core",
      [
        op.reserve(16),
        op.raw("stdw [%r6+8], 5", "ldxdw %r0, [%r6+8]"),
        op.raw("stw [%r6+0], 9", "ldxw %r0, [%r6+0]"),
        op.commit(132),
        op.reserve(16),
        op.raw("stb [%r6+15], 7", "ldxdw %r0, [%r6+8]"),
        op.commit(133),
      ],
      2,
    ],
    [
      "ring buffer: filling it up over runs",
      [op.reserve(1000), op.commitIf(), op.output(16), op.query(0), op.query(3)],
      6,
    ],
    [
      "perf event array: flags select the CPU slot, a full buffer drops records",
      [op.perf("0xffffffff"), op.perf(1), op.perf(2), op.perf(BIG), op.perf(0, 0), op.perf(0, 16)],
      300,
    ],
    [
      "maps of maps: lookups give the inner map, empty slots and keys give NULL",
      [op.outer("aom", 0, 1), op.outer("aom", 1, 0), op.outer("aom", 5, 0), op.outer("hom", 3, 0)],
      1,
    ],
  ];
  for (const [title, ops, repeat] of cases) {
    it(title, () => {
      const code = program(ops);
      const want = interpret(code, repeat);
      expect(want).toMatch(/^\{"r0"/); // no fault: every result is in `results`
      expect(arm(code, repeat)).toBe(want);
    });
  }

  const faults: [string, Op][] = [
    ["ringbuf_submit of something that is not a reserved record", op.raw("mov %r1, 12345", "mov %r2, 0", "call 132")],
    ["ringbuf_submit of NULL (a failed reservation)", [...op.reserve(8, 1), ...op.commit(132)]],
    ["ringbuf_discard of a record already submitted", [...op.reserve(8), ...op.commit(132), ...op.commit(133)]],
    ["map_lookup_elem on a queue", op.lookup("queue", 0)],
    ["map_update_elem on an array of maps", op.update("aom", 0, 6)],
    ["map_delete_elem on a hash of maps", op.delete("hom", 0)],
    ["map_update_elem on a ring buffer", op.update("ring", 0, 6)],
    ["map_push_elem on a hash map", op.push("lru", 1)],
    ["map_pop_elem on a queue programs may only read", op.take("ro_queue", 88)],
    ["map_push_elem on a queue programs may only read", op.push("ro_queue", 1)],
    ["ringbuf_output on a perf event array", op.output(8, 0, "perf")],
    ["ringbuf_query on a stack", op.query(0, "stack")],
    ["perf_event_output on a ring buffer", op.perf(0, 8, "ring")],
    ["map_pop_elem into read-only memory", op.raw(map(1, "queue"), "mov %r2, 0", "call 88")],
  ];
  for (const [title, o] of faults) {
    it(`faults like the interpreter: ${title}`, () => {
      const code = program([op.push("queue", 3), o]);
      const want = interpret(code, 1);
      expect(want).toMatch(/\(instruction \d+\)$/);
      expect(noAddress(arm(code, 1))).toBe(noAddress(want));
    });
  }

  it("refuses map types the executable cannot hold, naming the map", () => {
    expect(() => layoutMaps([mapDef("devices", 14, 4, 4, 4)])).toThrow(
      /^map 'devices' is a type 14 map; the arm32 target does not support it$/,
    );
  });

  it("names the program when a ring buffer fault stops the executable", () => {
    const obj = loadSync(fixture("ringbuf.o"), { budget: 30 });
    const mem = file("budget.mem", new Uint8Array(8));
    expect(() => runExecutable(obj, obj.program("produce"), { mem })).toThrow(Arm32RunError);
    expect(buildExecutable(obj, obj.program("avail")).length).toBeGreaterThan(0);
  });
});
