// The Wasm engine's region caches around helper calls: a map lookup that the translated code does itself
// (assembly/wasm/inline-lookup.ts) leaves them as they were, so the region of the access before it stays cached
// after it (no search of the table); a call to the core's or a host's helper may change the table, so the caches
// start again from the frames in use after it, and an access the table no longer allows faults as on the
// interpreter, whatever the helper's id.
import { beforeAll, describe, expect, it } from "vitest";
import { Runtime } from "../../../src/runtime/runtime.js";
import { loadEngines } from "../../../src/runtime/engine-loader.js";
import { BpfFault } from "../../../src/runtime/faults.js";
import { STATE, ST_WASM_CACHE, STACK_BASE } from "../../../assembly/layout.js";
import { ringbufProgram as program, map } from "../../support/ringbuf-programs.js";

const ARRAY = { name: "a", type: 2, keySize: 4, valueSize: 8, maxEntries: 4, flags: 0, section: ".maps" };
const BYTES = Uint8Array.from({ length: 16 }, (_, i) => 0x30 + i);
const CTX_REGION = 1; // src/runtime/runtime.ts: the context's place in the region table

/**
 * ctx[3] read (checked), then helper `id` on (array map, &key 0), then (with `again`) ctx[5] read; r0 = the bytes
 * read.
 */
const LINES = (id: number, again = true) => [
  "mov %r6, %r1",
  "ldxb %r7, [%r6+3]",
  "stw [%r10-4], 0",
  map(1, 0),
  "mov %r2, %r10",
  "add %r2, -4",
  `call ${id}`,
  ...(again ? ["ldxb %r8, [%r6+5]", "lsh %r7, 8", "or %r7, %r8"] : []),
  "mov %r0, %r7",
  "exit",
];

type Outcome = { r0?: bigint; error?: string; readCache: bigint };

function run(engine: "interp" | "wasm", id: number, host?: (rt: Runtime) => void, again = true): Outcome {
  const rt = new Runtime();
  rt.createMaps([ARRAY]);
  host?.(rt);
  const prog = rt.addProgram("p", program(LINES(id, again)));
  const readCache = () => rt.core.view.getBigUint64(STATE + ST_WASM_CACHE, true);
  try {
    return { r0: rt.run(prog, { ctx: { bytes: BYTES } }, engine).r0, readCache: readCache() };
  } catch (e) {
    if (!(e instanceof BpfFault)) throw e;
    return { error: e.message, readCache: readCache() };
  }
}

beforeAll(() => loadEngines());

describe("region caches across helper calls", () => {
  it("keeps the context cached across map_lookup_elem", () => {
    const w = run("wasm", 1, undefined, false);
    expect(w.r0).toBe(0x33n);
    expect(run("interp", 1, undefined, false).r0).toBe(w.r0);
    // the read before the call left the context's region in the cache, and the call did not reset it
    expect(w.readCache).not.toBe(BigInt(STACK_BASE));
    expect(run("wasm", 1).r0).toBe(BigInt((0x33 << 8) | 0x35));
  });

  it("starts again from the frames after a host's helper, even under a core helper's id", () => {
    const host = (rt: Runtime) => rt.registerHelper(1, () => 0);
    const w = run("wasm", 1, host, false);
    expect(w.r0).toBe(run("interp", 1, host, false).r0);
    expect(w.r0).toBe(0x33n);
    expect(w.readCache).toBe(BigInt(STACK_BASE));
  });

  it("faults like the interpreter when a host's helper took the context's region away", () => {
    for (const id of [1, 5]) {
      const host = (rt: Runtime) => rt.registerHelper(id, () => rt.core.x.regionSet(CTX_REGION, 0, 0, 0, 0));
      const i = run("interp", id, host);
      const w = run("wasm", id, host);
      expect(i.error).toMatch(/out-of-bounds read of 1 bytes at .*\(instruction 8\)/);
      expect(w.error).toBe(i.error);
    }
  });
});
