// bpf_map_lookup_elem on hash maps whose handle and stack key the call site proves: the ARM32 translator calls the
// hash map's bucket walk directly (assembly/arm32/jit/lookup.ts, targets/arm32/maps/direct.ts), word by word for
// keys of whole words at 4-aligned frame offsets. Each program here counts keys in a hash map (lookup; add 1 when
// found, else insert with map_update_elem), some keys differing only in their last word, more distinct keys than
// the map holds (the inserts past that fail with -E2BIG); r0 folds what every step saw. A model of the map computed
// here gives the expected r0, which the interpreter and the executable must both give. The shapes the direct walk
// does not take (a key size not a multiple of 4, an unaligned key, an LRU map) keep the helper routine, the one a
// lookup through a copied key pointer takes in the same program, and agree too.
import { describe, it, expect, beforeAll } from "vitest";
import { writeFileSync, mkdtempSync, rmSync, chmodSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { assemble } from "../../../src/tools/asm.js";
import { Runtime } from "../../../src/runtime/runtime.js";
import { BpfFault, describeFault } from "../../../src/runtime/faults.js";
import { buildArm32Executable, qemuCpu, translateArm32 } from "../../../src/engines/arm32/build.js";
import { layoutMaps, linkForArm32 } from "../../../src/engines/arm32/engine.js";
import type { MapDef } from "../../../src/loader/loader.js";
import { ensureArm32Translator } from "../../support/arm32.js";

let dir = "";
beforeAll(() => {
  ensureArm32Translator();
  dir = mkdtempSync(join(tmpdir(), "tinybpf-arm32-direct-hash-"));
  return () => rmSync(dir, { recursive: true, force: true });
});

const HASH = 1;
const LRU_HASH = 9;
const MARKER = 0x7e57b000;
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

/** Points every `lddw rN, MARKER` at map 0 (PSEUDO_MAP_FD), as the loader's relocation would. */
function linkMarker(code: Uint8Array): Uint8Array {
  const v = new DataView(code.buffer, code.byteOffset);
  for (let at = 0; at < code.length; at += 8) {
    if (code[at] === 0x18 && v.getUint32(at + 4, true) === MARKER) {
      code[at + 1] = (code[at + 1] & 0x0f) | (1 << 4);
      v.setUint32(at + 4, 0, true);
      v.setUint32(at + 12, 0, true);
    }
  }
  return code;
}

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

function interpret(code: Uint8Array, def: MapDef): string {
  const rt = new Runtime();
  rt.createMaps([def]);
  try {
    return String(rt.run(rt.addProgram("counting", code), {}).r0);
  } catch (e) {
    if (e instanceof BpfFault) return describeFault(e.info);
    throw e;
  }
}

function onArm(code: Uint8Array, def: MapDef): string {
  const layout = layoutMaps([def]);
  const path = join(dir, `counting-${Math.random().toString(36).slice(2)}`);
  writeFileSync(path, buildArm32Executable(linkForArm32("counting", code, layout, [def]), { maps: layout.maps }));
  chmodSync(path, 0o755);
  const r = spawnSync("qemu-arm", ["-cpu", qemuCpu(), path, "--json"], { encoding: "utf8", timeout: 60_000 });
  if (r.status === 1) return r.stderr.trim();
  expect(r.status, r.stderr).toBe(0);
  return JSON.parse(r.stdout).r0;
}

/** For each `call 1`: the image offset its code branches to with BL (the last BL in the call's code). */
function lookupTargets(code: Uint8Array, def: MapDef): number[] {
  const layout = layoutMaps([def]);
  const t = translateArm32(linkForArm32("counting", code, layout, [def]), { maps: layout.maps });
  const words = new DataView(t.image.buffer, t.image.byteOffset);
  const targets: number[] = [];
  for (let i = 0; i < code.length / 8; i++) {
    if (code[i * 8] !== 0x85 || code[i * 8 + 4] !== 1) continue;
    const start = t.code + (t.offsets[i] & 0x7fffffff);
    const end = t.code + (t.offsets[i + 1] & 0x7fffffff);
    let target = -1;
    for (let at = start; at < end; at += 4) {
      const w = words.getUint32(at, true);
      if (w >>> 24 === 0xeb) target = at + 8 + ((w << 8) >> 6); // BL: pc + 8 + signed imm24 * 4
    }
    targets.push(target);
  }
  return targets;
}

// repeats, keys differing in their last word only, and more distinct keys (12) than the maps below hold (8)
const KEYS = [1, 2, 1, 3, 1, 2, 4, 5, 6, 7, 8, 9, 10, 11, 12, 1, 9, 2, 12, 3];

describe("hash lookups with a proven map and stack key", () => {
  for (const keySize of [4, 8, 16]) {
    it(`keys of ${keySize} bytes: the bucket walk is called directly, and counts agree with the model`, () => {
      const def = mapDef(HASH, keySize, 8);
      const { code, expected } = countingProgram(KEYS, def, -32, stackKey(-32));
      const targets = lookupTargets(code, def);
      const helper = targets.pop()!;
      expect(helper).toBeGreaterThan(0);
      expect(targets.every((t) => t === targets[0] && t > 0 && t !== helper)).toBe(true);
      expect(interpret(code, def)).toBe(String(expected));
      expect(onArm(code, def)).toBe(String(expected));
    });
  }

  it("in a subprogram, with the key in the callee's frame", () => {
    const def = mapDef(HASH, 16, 8);
    const body = countingProgram(KEYS, def, -32, stackKey(-32));
    const source = linkMarker(assemble(["call local sub", "exit", "sub:", ...body.lines].join("\n")));
    expect(interpret(source, def)).toBe(String(body.expected));
    expect(onArm(source, def)).toBe(String(body.expected));
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
      const targets = lookupTargets(code, def);
      expect(targets.every((t) => t === targets[targets.length - 1] && t > 0)).toBe(true);
      const interp = interpret(code, def);
      expect(interp).toMatch(/^\d+$/);
      expect(onArm(code, def)).toBe(interp);
    });
  }
});
