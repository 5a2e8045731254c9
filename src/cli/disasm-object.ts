// `tinybpf disasm` of an ELF object: every program, lddw of a map, a map value or a function naming its target.
// A module of its own so that a device bundle, which has no disasm, leaves it out.
import { basename } from "node:path";
import { loadObject } from "../loader/loader.js";
import { disassembleInsn } from "../tools/disasm.js";

const PSEUDO_NAMES: Record<number, string> = { 1: "map", 2: "map_value", 4: "func" };

/** Disassembly of every program of an object; lddw of a map, a map value or a function names its target. */
export function disasmObject(bytes: Uint8Array, file: string): string {
  const obj = loadObject(bytes, basename(file));
  const parts: string[] = [];
  for (const p of obj.programs) {
    parts.push(`${p.section}/${p.name} (${p.type}, ${p.insnCount} instructions):`);
    const v = new DataView(p.insns.buffer, p.insns.byteOffset, p.insns.byteLength);
    for (let pc = 0; pc < p.insnCount; pc++) {
      const op = p.insns[pc * 8];
      const src = p.insns[pc * 8 + 1] >> 4;
      let text: string;
      if (op === 0x18 && PSEUDO_NAMES[src] && pc + 1 < p.insnCount) {
        const dst = p.insns[pc * 8 + 1] & 0xf;
        const imm = v.getInt32(pc * 8 + 4, true);
        const target =
          src === 4
            ? `${imm >= 0 ? "+" : ""}${imm}`
            : `${obj.maps[imm]?.name ?? `#${imm}`}${src === 2 ? `+${v.getInt32(pc * 8 + 12, true)}` : ""}`;
        text = `lddw %r${dst}, ${PSEUDO_NAMES[src]}:${target}`;
        parts.push(`${String(pc).padStart(5)}: ${text}`);
        pc++;
        continue;
      }
      parts.push(`${String(pc).padStart(5)}: ${disassembleInsn(p.insns, pc)}`);
      if (op === 0x18) pc++;
    }
  }
  return parts.join("\n");
}
