// bpf_map_lookup_elem without the core's helper (assembly/wasm/inline-lookup.ts): inline on an ARRAY map, the
// core's mapLookup directly on the others: the same r0 as the interpreter for indices in and out of range, any
// value size, keys present and absent, and every case the fast paths do not take (a key outside the frames, a key
// running past the frame's top, a bad handle, a host's helper under the lookup's id) left to the core's helper,
// with the interpreter's results and fault messages.
import { beforeAll, describe, expect, it } from "vitest";
import { Runtime } from "../../../src/runtime/runtime.js";
import { loadEngines } from "../../../src/runtime/engine-loader.js";
import { BpfFault } from "../../../src/runtime/faults.js";
import { REGS } from "../../../assembly/layout.js";
import { ringbufProgram as program, map } from "../../support/ringbuf-programs.js";

const ARRAY = { name: "a", type: 2, keySize: 4, valueSize: 12, maxEntries: 4, flags: 0, section: ".maps" };
const PERCPU = { ...ARRAY, name: "p", type: 6 };
const HASH = { name: "h", type: 1, keySize: 8, valueSize: 8, maxEntries: 8, flags: 0, section: ".maps" };
const STRIDE = 16; // a 12-byte value rounded up to 8
const MISSING = 99n;
const CTX = Uint8Array.from([2, 0, 0, 0, 7, 7, 7, 7]); // a key (2) in the context

type Outcome = { r0?: bigint; error?: string; r6InRegs: bigint };

/** r6 = &value[0], then r0 = lookup(map `m`, key at r2) - r6, or MISSING when the lookup gives NULL. */
const lookupFromZero = (keyLines: string[], m = 0) => [
  "mov %r7, %r1",
  "stw [%r10-8], 0",
  map(1, m),
  "mov %r2, %r10",
  "add %r2, -8",
  "call 1",
  "mov %r6, %r0",
  ...keyLines,
  map(1, m),
  "call 1",
  "jne %r0, 0, +2",
  `mov %r0, ${MISSING}`,
  "exit",
  "sub %r0, %r6",
  "exit",
];
const stackKey = (k: number) => [`stw [%r10-4], ${k}`, "mov %r2, %r10", "add %r2, -4"];

function run(engine: "interp" | "wasm", lines: string[], host?: (rt: Runtime) => void): Outcome {
  const rt = new Runtime();
  rt.createMaps([ARRAY, PERCPU, HASH]);
  host?.(rt);
  const prog = rt.addProgram("p", program(lines));
  const r6InRegs = () => rt.core.view.getBigUint64(REGS + 6 * 8, true);
  try {
    return { r0: rt.run(prog, { ctx: { bytes: CTX } }, engine).r0, r6InRegs: r6InRegs() };
  } catch (e) {
    if (!(e instanceof BpfFault)) throw e;
    return { error: e.message, r6InRegs: r6InRegs() };
  }
}

/** Runs on both engines; they must end alike. Returns the outcome. */
function same(lines: string[], host?: (rt: Runtime) => void): Outcome {
  const i = run("interp", lines, host);
  const w = run("wasm", lines, host);
  expect({ r0: w.r0, error: w.error }).toEqual({ r0: i.r0, error: i.error });
  return w;
}

beforeAll(() => loadEngines());

describe("inline array lookup", () => {
  it("gives the slot's address for indices in range, NULL beyond", () => {
    for (const [k, want] of [
      [0, 0n],
      [1, BigInt(STRIDE)],
      [3, BigInt(3 * STRIDE)],
      [4, MISSING],
      [-1, MISSING],
    ] as const)
      expect(same(lookupFromZero(stackKey(k))).r0).toBe(want);
  });

  it("stays in the translated code: the registers never go to the core's register file", () => {
    const lines = ["mov %r6, 0x1234", ...lookupFromZero(stackKey(1)).slice(0, 6), "mov %r0, %r6", "exit"];
    expect(run("interp", lines).r6InRegs).toBe(0x1234n);
    expect(run("wasm", lines).r6InRegs).not.toBe(0x1234n);
  });

  it("leaves a key outside the frames to the core", () => {
    expect(same(lookupFromZero(["mov %r2, %r7"])).r0).toBe(BigInt(2 * STRIDE));
  });

  it("faults like the interpreter on a key past the frame's top", () => {
    const w = same(lookupFromZero(["mov %r2, %r10", "add %r2, -2"]));
    expect(w.error).toMatch(/out-of-bounds read of 4 bytes at stack\+0x1fe \(instruction 1[0-9]\)/);
  });

  it("faults like the interpreter on a handle that names no map", () => {
    const lines = ["stw [%r10-4], 0", "lddw %r1, 0x4d41500000000063", "mov %r2, %r10", "add %r2, -4", "call 1", "exit"];
    expect(same(lines).error).toMatch(/instruction 5/);
  });

  it("looks a hash map up directly, present and absent keys", () => {
    // key (5, 0) -> 77 by map_update_elem, then a lookup of (k, 0): the value, or MISSING
    const lines = (k: number) => [
      "stw [%r10-16], 5",
      "stw [%r10-12], 0",
      "stdw [%r10-24], 77",
      map(1, 2),
      "mov %r2, %r10",
      "add %r2, -16",
      "mov %r3, %r10",
      "add %r3, -24",
      "mov %r4, 0",
      "call 2",
      "mov %r6, 0x1234",
      `stw [%r10-16], ${k}`,
      map(1, 2),
      "mov %r2, %r10",
      "add %r2, -16",
      "call 1",
      "jne %r0, 0, +2",
      `mov %r0, ${MISSING}`,
      "exit",
      "ldxdw %r0, [%r0+0]",
      "exit",
    ];
    expect(same(lines(5)).r0).toBe(77n);
    expect(same(lines(6)).r0).toBe(MISSING);
    expect(run("wasm", lines(5)).r6InRegs).not.toBe(0x1234n);
  });

  it("faults like the interpreter on a hash key past the frame's top", () => {
    const lines = [map(1, 2), "mov %r2, %r10", "add %r2, -4", "call 1", "exit"];
    expect(same(lines).error).toMatch(/out-of-bounds read of 8 bytes at stack\+0x1fc \(instruction 4\)/);
  });

  it("gives a per-CPU array's CPU 0 slot as the core does", () => {
    expect(same(lookupFromZero(stackKey(3), 1)).r0).toBe(BigInt(3 * STRIDE));
  });

  it("calls a host's helper registered under the lookup's id", () => {
    const host = (rt: Runtime) => rt.registerHelper(1, () => 0);
    expect(same(lookupFromZero(stackKey(2)), host).r0).toBe(MISSING);
  });
});
