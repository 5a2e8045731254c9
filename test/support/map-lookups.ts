// Shared by the ARM32 map-lookup tests: a one-map program written in the assembler (its map handle a marker that
// linkMarker points at map 0, as the loader's relocation would), run on the interpreter and as an executable under
// qemu-arm, and the BL targets of each `call 1`'s code, which tell whether a lookup was emitted inline, called the
// helper routine or went straight to the bucket walk.
import { chmodSync, writeFileSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { expect } from "vitest";
import { Runtime } from "../../src/runtime/runtime.js";
import { BpfFault, describeFault } from "../../src/runtime/faults.js";
import { buildArm32Executable, qemuCpu, translateArm32 } from "../../src/engines/arm32/build.js";
import { layoutMaps, linkForArm32 } from "../../src/engines/arm32/engine.js";
import type { MapDef } from "../../src/loader/loader.js";

/** The imm of `lddw rN, MAP_MARKER`: the map's handle before linkMarker. */
export const MAP_MARKER = 0x7e57b000;

/** Points every `lddw rN, MAP_MARKER` at map 0 (PSEUDO_MAP_FD). */
export function linkMarker(code: Uint8Array): Uint8Array {
  const v = new DataView(code.buffer, code.byteOffset);
  for (let at = 0; at < code.length; at += 8) {
    if (code[at] === 0x18 && v.getUint32(at + 4, true) === MAP_MARKER) {
      code[at + 1] = (code[at + 1] & 0x0f) | (1 << 4);
      v.setUint32(at + 4, 0, true);
      v.setUint32(at + 12, 0, true);
    }
  }
  return code;
}

/** r0 on the interpreter with the one map, or the fault's message. */
export function interpretWithMap(code: Uint8Array, def: MapDef): string {
  const rt = new Runtime();
  rt.createMaps([def]);
  try {
    return String(rt.run(rt.addProgram("lookups", code), {}).r0);
  } catch (e) {
    if (e instanceof BpfFault) return describeFault(e.info);
    throw e;
  }
}

/** r0 of the program's executable under qemu-arm (written into `dir`), or its fault line. */
export function runArm32WithMap(dir: string, code: Uint8Array, def: MapDef): string {
  const layout = layoutMaps([def]);
  const path = join(dir, `lookups-${Math.random().toString(36).slice(2)}`);
  writeFileSync(path, buildArm32Executable(linkForArm32("lookups", code, layout, [def]), { maps: layout.maps }));
  chmodSync(path, 0o755);
  const r = spawnSync("qemu-arm", ["-cpu", qemuCpu(), path, "--json"], { encoding: "utf8", timeout: 60_000 });
  if (r.status === 1) return r.stderr.trim();
  expect(r.status, r.stderr).toBe(0);
  return JSON.parse(r.stdout).r0;
}

/** For each `call 1`: the image offset its code last branches to with BL, -1 where it has no BL (inline). */
export function lookupCallTargets(code: Uint8Array, def: MapDef): number[] {
  const layout = layoutMaps([def]);
  const t = translateArm32(linkForArm32("lookups", code, layout, [def]), { maps: layout.maps });
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

/**
 * For each eBPF instruction: whether its code calls the runtime's memory check (a BL HS, the inline check's miss) and
 * whether it tests an address's alignment (TST rN, #3 or #7: an atomic's, before LDREX / STREX).
 */
export function accessGuards(code: Uint8Array, def: MapDef): { check: boolean; alignTest: boolean }[] {
  const layout = layoutMaps([def]);
  const t = translateArm32(linkForArm32("lookups", code, layout, [def]), { maps: layout.maps });
  const words = new DataView(t.image.buffer, t.image.byteOffset);
  const guards: { check: boolean; alignTest: boolean }[] = [];
  for (let i = 0; i < code.length / 8; i++) {
    const start = t.code + (t.offsets[i] & 0x7fffffff);
    const end = t.code + (t.offsets[i + 1] & 0x7fffffff);
    const g = { check: false, alignTest: false };
    for (let at = start; at < end; at += 4) {
      const w = words.getUint32(at, true);
      if (w >>> 24 === 0x2b) g.check = true;
      if ((w & 0xfff0ffff) === 0xe3100003 || (w & 0xfff0ffff) === 0xe3100007) g.alignTest = true;
    }
    guards.push(g);
  }
  return guards;
}
