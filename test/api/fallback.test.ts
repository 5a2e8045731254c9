// A program the Wasm engine cannot take (beyond V8's function size limit) runs on the interpreter with the same
// results; the API says so in program.fallbackReason, and `tinybpf serve` in the module's program list. A program
// it takes, or a run asked of the interpreter, has no reason. The result is computed here from the program.
import { beforeAll, describe, expect, it } from "vitest";
import { loadEngines } from "../../src/runtime/engine-loader.js";
import { loadSync } from "../../src/api/object.js";
import { assemble } from "../../src/tools/asm.js";
import { writeObject } from "../../src/trace/elf-writer.js";
import type { ProgramCode } from "../../src/trace/codegen.js";
import { Module } from "../../src/serve/modules.js";
import { EventHub } from "../../src/serve/events.js";
import { oversizedProgram, oversizedResult } from "../support/oversized-program.js";

beforeAll(async () => {
  await loadEngines();
});

/** An object of two socket filters: `big` (oversized) and `small` (r0 = 7). */
function objectBytes(): Uint8Array {
  const programs = [
    { section: "socket", name: "big", insns: oversizedProgram(), relocations: [] },
    { section: "socket/small", name: "small", insns: assemble("mov %r0, 7\nexit\n"), relocations: [] },
  ] as unknown as ProgramCode[];
  return writeObject({ programs, maps: [], bss: { symbol: "unused", size: 8 } });
}

describe("a program the Wasm engine falls back on", () => {
  const bytes = objectBytes();
  const packet = new Uint8Array(64);

  it("runs on the interpreter with the same result, and the API says why", () => {
    const obj = loadSync(bytes, { engine: "wasm", fileName: "fallback.o" });
    const big = obj.program("big");
    expect(big.fallbackReason).toBeUndefined(); // nothing tried yet
    expect(big.run(packet)).toBe(oversizedResult());
    expect(big.fallbackReason).toMatch(/size|limit/i);
    const small = obj.program("small");
    expect(small.run(packet)).toBe(7n);
    expect(small.fallbackReason).toBeUndefined();
    // asked of the interpreter, nothing fell back
    expect(big.run(packet, "interp")).toBe(oversizedResult());
    expect(big.fallbackReason).toBeUndefined();
  }, 60_000);

  it("tinybpf serve lists the engine, and the reason with the program", () => {
    const record = { id: "m1", name: "fallback.o", digest: "sha256:0", budget: 0, ncpus: 1, hist: [], created: "" };
    const m = new Module(record, bytes, new EventHub());
    expect(m.run("big", packet)).toEqual({ r0: oversizedResult() });
    expect(m.run("small", packet)).toEqual({ r0: 7n });
    const d = m.describe() as { engine: string; programs: { name: string; fallback?: string }[] };
    expect(d.engine).toBe("wasm");
    expect(d.programs.find((p) => p.name === "big")?.fallback).toMatch(/size|limit/i);
    expect(d.programs.find((p) => p.name === "small")).not.toHaveProperty("fallback");
  }, 60_000);
});
