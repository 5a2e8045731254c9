// Resolving lddw pseudo sources: each backend decides what a map, a map value or a function becomes (a core handle
// and address, or an address in an ARM executable), the walk over the program and its checks are shared.
import { INSN_SIZE, OP_LDDW, PSEUDO_MAP_FD, PSEUDO_MAP_VALUE, PSEUDO_FUNC } from "../../assembly/isa.js";

export interface PseudoTargets {
  /** lddw of a map (PSEUDO_MAP_FD): the value a helper recognises as map `index`. */
  map(index: number): bigint;
  /** lddw of a map value (PSEUDO_MAP_VALUE): the address of byte `offset` of map `index`'s single value. */
  mapValue(index: number, offset: number): bigint;
  /** lddw of a function (PSEUDO_FUNC): the handle of the function at instruction `target`. */
  func(target: number, pc: number): bigint;
}

export class LinkError extends Error {
  constructor(
    message: string,
    readonly pc: number,
  ) {
    super(message);
    this.name = "LinkError";
  }
}

/** A copy of `insns` in which every pseudo lddw holds a plain 64-bit constant. Errors name the instruction. */
export function resolvePseudoLoads(
  name: string,
  insns: Uint8Array,
  maps: readonly { name: string; valueSize: number }[],
  targets: PseudoTargets,
): Uint8Array {
  const out = insns.slice();
  const v = new DataView(out.buffer);
  for (let pc = 0; pc < out.length / INSN_SIZE; pc++) {
    const at = pc * INSN_SIZE;
    if (out[at] !== OP_LDDW) continue;
    const src = out[at + 1] >> 4;
    const imm = v.getInt32(at + 4, true);
    let value: bigint | undefined;
    if (src === PSEUDO_MAP_FD || src === PSEUDO_MAP_VALUE) {
      if (imm < 0 || imm >= maps.length) {
        throw new LinkError(`${name}: instruction ${pc}: lddw refers to map ${imm}, which does not exist`, pc);
      }
      if (src === PSEUDO_MAP_FD) value = targets.map(imm);
      else {
        const offset = v.getInt32(at + 12, true);
        const size = maps[imm].valueSize;
        if (offset < 0 || offset > size) {
          throw new LinkError(
            `${name}: instruction ${pc}: offset ${offset} is outside map '${maps[imm].name}' (${size} bytes)`,
            pc,
          );
        }
        value = targets.mapValue(imm, offset);
      }
    } else if (src === PSEUDO_FUNC) {
      value = targets.func(pc + 1 + imm, pc);
    }
    if (value !== undefined) {
      out[at + 1] &= 0x0f; // src = PSEUDO_IMM64: a plain constant now
      v.setUint32(at + 4, Number(value & 0xffffffffn), true);
      v.setUint32(at + 12, Number((value >> 32n) & 0xffffffffn), true);
    }
    pc++; // the second half of the lddw
  }
  return out;
}
