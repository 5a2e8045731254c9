// The test before a versioned loop (assembly/wasm/translate.ts: versioned) first asks the region cache of each
// access's kind, then searches the region table: an inner loop of few trips entered again and again then costs two
// compares per access instead of a search. Here the cache holds the context (a read before the loop) when the
// loop starts: with the context exactly as long as the loop reads, the loop must run without checks; one byte
// shorter, or starting one byte before the context's start, it must fault where the interpreter does.
import { beforeAll, describe, expect, it } from "vitest";
import { assemble } from "../../../src/tools/asm.js";
import { Runtime } from "../../../src/runtime/runtime.js";
import { loadEngines } from "../../../src/runtime/engine-loader.js";
import { BpfFault } from "../../../src/runtime/faults.js";
import { wasmEngine, wasmFallbackReason } from "../../../src/engines/wasm.js";
import { rotatedLoop } from "../../support/loop-programs.js";

type Outcome = { r0?: bigint; error?: string };

/** r9 = ctx[0] (fills the read cache), then sum of the u64 at p + start + i, i = 0, 8, ... while i + 16 <= bound. */
const program = (start: number, bound: number) =>
  rotatedLoop({ bound, before: `ldxb %r9, [%r1+0]\n add %r1, ${start}`, after: "add %r0, %r9" });

function run(asm: string, bytes: Uint8Array, engine: "interp" | "wasm"): Outcome {
  const rt = new Runtime({});
  const prog = rt.addProgram("p", assemble(asm));
  try {
    const r0 = rt.run(prog, { ctx: { bytes } }, engine === "wasm" ? wasmEngine : engine).r0;
    if (engine === "wasm") expect(wasmFallbackReason(prog)).toBeUndefined();
    return { r0 };
  } catch (e) {
    if (!(e instanceof BpfFault)) throw e;
    return { error: e.message };
  }
}

beforeAll(() => loadEngines());

describe("the test before a versioned loop asks the region cache first", () => {
  const bound = 32; // trips at i = 0, 8, 16, 24 (out after 24 + 16 > 32): the loop reads [start, start + 32)
  const bytes = (n: number) => Uint8Array.from({ length: n }, (_, i) => (i * 41 + 7) & 0xff);
  const sum = (b: Uint8Array, start: number) => {
    let s = BigInt(b[0]);
    for (let i = 0; i < 32; i += 8) {
      let v = 0n;
      for (let k = 7; k >= 0; k--) v = (v << 8n) | BigInt(b[start + i + k]);
      s = BigInt.asUintN(64, s + v);
    }
    return s;
  };

  it("runs the loop over exactly the context, from its start and from inside it", () => {
    for (const start of [0, 5]) {
      const b = bytes(start + 32);
      const w = run(program(start, bound), b, "wasm");
      expect(w).toEqual(run(program(start, bound), b, "interp"));
      expect(w.r0).toBe(sum(b, start));
    }
  });

  it("faults like the interpreter one byte past the context's end and one byte before its start", () => {
    for (const [start, size] of [
      [0, 31],
      [5, 36],
      [-1, 40],
    ]) {
      const b = bytes(size);
      const w = run(program(start, bound), b, "wasm");
      expect(w.error).toMatch(/out-of-bounds read of 8 bytes at .*\(instruction 8\)/);
      expect(w).toEqual(run(program(start, bound), b, "interp"));
    }
  });
});
