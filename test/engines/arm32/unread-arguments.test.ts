// A bpf_map_lookup_elem emitted inline by the ARM32 translator reads its key through r10, not r1 or r2
// (assembly/arm32/jit/lookupplan.ts), so where nothing after the call reads them either (jit/liveness.ts, which now
// also sees that an atomic add reads only its own registers), clang's `r1 = map ll; r2 = r10; r2 += -8` before it
// emits no code (jit/unread.ts). Generated sequences of lookups, some followed by reads of r2 (the key through it)
// or by a second lookup that takes the helper routine with the same r1 and r2, must agree with the interpreter and
// with a model of the array computed here.
import { describe, it, expect, beforeAll } from "vitest";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { assemble } from "../../../src/tools/asm.js";
import { translateArm32 } from "../../../src/engines/arm32/build.js";
import { layoutMaps, linkForArm32 } from "../../../src/engines/arm32/engine.js";
import type { MapDef } from "../../../src/loader/loader.js";
import { ensureArm32Translator } from "../../support/arm32.js";
import { rng } from "../../support/generated-runs.js";
import { interpretWithMap, linkMarker, lookupCallTargets, runArm32WithMap } from "../../support/map-lookups.js";

let dir = "";
beforeAll(() => {
  ensureArm32Translator();
  dir = mkdtempSync(join(tmpdir(), "tinybpf-arm32-unread-"));
  return () => rmSync(dir, { recursive: true, force: true });
});

const MAX = 6;
const DEF: MapDef = {
  name: "m",
  type: 2, // array
  keySize: 4,
  valueSize: 8,
  maxEntries: MAX,
  flags: 0,
  section: ".maps",
};
const M64 = (1n << 64n) - 1n;
const SETUP = ["lddw %r1, 0x7e57b000", "mov %r2, %r10", "add %r2, -8"];

type Step = "plain" | "atomic" | "key" | "again";

/**
 * For each step a key stored at r10 - 8 and a lookup; when found, the value grows by key + 1 (an atomic add, or a
 * load, add and store) and r9 = r9 * 3 + the value, else + 7. "key": then r9 += the key read through r2; "again":
 * a second lookup with the same r1 and r2 (no set-up in its block: the helper routine), folded the same way.
 */
function program(keys: number[], steps: Step[]): { source: string; expected: bigint } {
  const lines = ["mov %r9, 0"];
  const values = new Map<number, bigint>();
  let r9 = 0n;
  const fold = (key: number, add: boolean) => {
    r9 = (r9 * 3n) & M64;
    if (key < 0 || key >= MAX) r9 = (r9 + 7n) & M64;
    else {
      const v = ((values.get(key) ?? 0n) + (add ? BigInt(key + 1) : 0n)) & M64;
      values.set(key, v);
      r9 = (r9 + v) & M64;
    }
  };
  const use = (key: number, step: Step, add: boolean) => {
    lines.push("mul %r9, 3", "jeq %r0, 0, +5");
    if (step === "atomic") lines.push(`mov %r3, ${key + 1}`, "lock add [%r0+0], %r3", "mov %r3, 0");
    else lines.push("ldxdw %r3, [%r0+0]", `add %r3, ${add ? key + 1 : 0}`, "stxdw [%r0+0], %r3");
    lines.push("ldxdw %r3, [%r0+0]", "ja +1", "mov %r3, 7", "add %r9, %r3");
    fold(key, add);
  };
  keys.forEach((key, k) => {
    const step = steps[k];
    lines.push(`stw [%r10-8], ${key}`, ...SETUP, "call 1");
    use(key, step, true);
    if (step === "key") {
      lines.push("ldxw %r4, [%r2+0]", "add %r9, %r4");
      r9 = (r9 + BigInt(key >>> 0)) & M64;
    }
    if (step === "again") {
      lines.push("ja +0", "call 1"); // a new block: r1 and r2 from the one before
      use(key, step, false);
    }
  });
  lines.push("mov %r0, %r9", "exit");
  return { source: lines.join("\n"), expected: r9 };
}

/** The image offsets of each instruction's code (translateArm32's table, the second-slot bit cleared). */
function codeOffsets(code: Uint8Array): number[] {
  const layout = layoutMaps([DEF]);
  const t = translateArm32(linkForArm32("lookups", code, layout, [DEF]), { maps: layout.maps });
  return Array.from(t.offsets, (o) => o & 0x7fffffff);
}

describe("a lookup's arguments nothing reads emit no code", () => {
  it("generated lookups, some with r2 read after the call or a second lookup through the routine", () => {
    const rand = rng(41);
    const kinds: Step[] = ["plain", "atomic", "key", "again"];
    for (let n = 0; n < 12; n++) {
      const count = 3 + Math.floor(rand() * 5);
      const keys = Array.from({ length: count }, () => Math.floor(rand() * (MAX + 3)) - 1);
      const steps = keys.map(() => kinds[Math.floor(rand() * kinds.length)]);
      const { source, expected } = program(keys, steps);
      const code = linkMarker(assemble(source));
      expect(interpretWithMap(code, DEF), source).toBe(String(expected));
      expect(runArm32WithMap(dir, code, DEF), source).toBe(String(expected));
    }
  }, 120_000);

  it("the set-up of a lookup whose r1 and r2 nothing reads after it: at most a zero high word", () => {
    const { source } = program([1, 2, 3], ["plain", "atomic", "plain"]);
    const code = linkMarker(assemble(source));
    expect(lookupCallTargets(code, DEF).every((t) => t < 0)).toBe(true); // all three inline
    const offsets = codeOffsets(code);
    const calls = [...Array(code.length / 8).keys()].filter((i) => code[i * 8] === 0x85);
    expect(calls).toHaveLength(3);
    for (const call of calls) {
      // lddw (two slots), mov, add, then the call: a frame address's zero high word at most (a MOV and a STR)
      expect(offsets[call] - offsets[call - 4]).toBeLessThanOrEqual(8);
    }
  });

  it("read after the call, r2 is still computed", () => {
    const { source, expected } = program([1, 2], ["key", "again"]);
    const code = linkMarker(assemble(source));
    const offsets = codeOffsets(code);
    const calls = [...Array(code.length / 8).keys()].filter((i) => code[i * 8] === 0x85);
    // the first lookup's r2 is read through (the key), the second's by the helper routine's call after it
    for (const call of [calls[0], calls[1]]) expect(offsets[call] - offsets[call - 4]).toBeGreaterThan(8);
    expect(runArm32WithMap(dir, code, DEF)).toBe(String(expected));
  });
});
