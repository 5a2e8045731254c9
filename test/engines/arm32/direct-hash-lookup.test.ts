// bpf_map_lookup_elem on hash maps whose handle and stack key the call site proves: the ARM32 translator calls the
// hash map's bucket walk directly (assembly/arm32/jit/lookup.ts, targets/arm32/maps/direct.ts), word by word for
// keys of whole words at 4-aligned frame offsets. Each program here counts keys in a hash map (lookup; add 1 when
// found, else insert with map_update_elem), some keys differing only in their last word, more distinct keys than
// the map holds (the inserts past that fail with -E2BIG); r0 folds what every step saw. A model of the map computed
// here gives the expected r0, which the interpreter and the executable must both give. The shapes the direct walk
// does not take (a key size not a multiple of 4, an unaligned key, an LRU map) keep the helper routine, the one a
// lookup through a copied key pointer takes in the same program, and agree too.
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
  dir = mkdtempSync(join(tmpdir(), "tinybpf-arm32-direct-hash-"));
  return () => rmSync(dir, { recursive: true, force: true });
});

const HASH = 1;
const LRU_HASH = 9;
const MASK64 = (1n << 64n) - 1n;
const E2BIG = 7n;

const mapDef = (type: number, keySize: number, maxEntries: number): MapDef => ({
  name: "counts",
  type,
  keySize,
  valueSize: 4,
  maxEntries,
  flags: 0,
  section: ".maps",
});

/** Key n's bytes: words 1, 2, ... and n in the last word, so that keys differ in their last bytes only. */
function keyBytes(n: number, keySize: number): Uint8Array {
  const b = new Uint8Array(keySize);
  for (let k = 0; k < keySize; k++) b[k] = k + 1;
  const last = new DataView(b.buffer).setUint32.bind(new DataView(b.buffer));
  if (keySize >= 4) last(keySize - 4, (n * 0x9e3779b1) >>> 0, true);
  else b[0] = n;
  return b;
}

/**
 * The counting program over `keys` (key bytes stored at r10 + at, byte by byte, then looked up with `lookup`) and
 * the r0 a model of the map gives: r9 = r9 * 3 + (the count after adding 1 when found, else the update's result).
 */
function countingProgram(
  keys: number[],
  def: MapDef,
  at: number,
  lookup: string[],
): { code: Uint8Array; lines: string[]; expected: bigint } {
  const lines = ["mov %r9, 0"];
  const model = new Map<string, number>();
  let r9 = 0n;
  keys.forEach((n, step) => {
    const bytes = keyBytes(n, def.keySize);
    bytes.forEach((byte, k) => lines.push(`stb [%r10${at + k}], ${byte}`));
    lines.push(...lookup, "call 1", "mul %r9, 3", `jeq %r0, 0, insert${step}`);
    lines.push("ldxw %r3, [%r0+0]", "add %r3, 1", "stxw [%r0+0], %r3", `ja fold${step}`);
    lines.push(`insert${step}: stw [%r10-40], 1`, "lddw %r1, 0x7e57b000", "mov %r2, %r10", `add %r2, ${at}`);
    lines.push("mov %r3, %r10", "add %r3, -40", "mov %r4, 1", "call 2", "mov %r3, %r0"); // BPF_NOEXIST
    lines.push(`fold${step}: add %r9, %r3`);
    const key = bytes.join(",");
    let seen: bigint;
    if (model.has(key)) {
      model.set(key, model.get(key)! + 1);
      seen = BigInt(model.get(key)!);
    } else if (model.size < def.maxEntries) {
      model.set(key, 1);
      seen = 0n;
    } else seen = -E2BIG & MASK64;
    r9 = (r9 * 3n + seen) & MASK64;
  });
  // and one lookup whose key pointer is copied from another register, which proves nothing: the helper routine's
  // call, the last in the program (its result unused)
  lines.push("mov %r3, %r10", `add %r3, ${at}`, "mov %r2, %r3", "lddw %r1, 0x7e57b000", "call 1");
  lines.push("mov %r0, %r9", "exit");
  return { code: linkMarker(assemble(lines.join("\n"))), lines, expected: r9 };
}

const stackKey = (at: number) => ["lddw %r1, 0x7e57b000", "mov %r2, %r10", `add %r2, ${at}`];

// repeats, keys differing in their last word only, and more distinct keys (12) than the maps below hold (8)
const KEYS = [1, 2, 1, 3, 1, 2, 4, 5, 6, 7, 8, 9, 10, 11, 12, 1, 9, 2, 12, 3];

describe("hash lookups with a proven map and stack key", () => {
  for (const keySize of [4, 8, 16]) {
    it(`keys of ${keySize} bytes: the bucket walk is called directly, and counts agree with the model`, () => {
      const def = mapDef(HASH, keySize, 8);
      const { code, expected } = countingProgram(KEYS, def, -32, stackKey(-32));
      const targets = lookupCallTargets(code, def);
      const helper = targets.pop()!;
      expect(helper).toBeGreaterThan(0);
      expect(targets.every((t) => t === targets[0] && t > 0 && t !== helper)).toBe(true);
      expect(interpretWithMap(code, def)).toBe(String(expected));
      expect(runArm32WithMap(dir, code, def)).toBe(String(expected));
    });
  }

  it("in a subprogram, with the key in the callee's frame", () => {
    const def = mapDef(HASH, 16, 8);
    const body = countingProgram(KEYS, def, -32, stackKey(-32));
    const source = linkMarker(assemble(["call local sub", "exit", "sub:", ...body.lines].join("\n")));
    expect(interpretWithMap(source, def)).toBe(String(body.expected));
    expect(runArm32WithMap(dir, source, def)).toBe(String(body.expected));
  });
});

describe("hash lookups the direct walk leaves to the helper routine", () => {
  const cases: [string, MapDef, number][] = [
    ["a key of 6 bytes (not whole words)", mapDef(HASH, 6, 8), -32],
    ["a key at a frame offset not a multiple of 4", mapDef(HASH, 8, 8), -30],
    ["an LRU hash map (a lookup moves the element)", mapDef(LRU_HASH, 4, 8), -32],
  ];
  for (const [title, def, at] of cases) {
    it(title, () => {
      const { code } = countingProgram(KEYS, def, at, stackKey(at));
      const targets = lookupCallTargets(code, def);
      expect(targets.every((t) => t === targets[targets.length - 1] && t > 0)).toBe(true);
      const interp = interpretWithMap(code, def);
      expect(interp).toMatch(/^\d+$/);
      expect(runArm32WithMap(dir, code, def)).toBe(interp);
    });
  }
});
