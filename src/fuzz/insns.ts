// The fuzzer's instructions before layout: an instruction may jump to a label (placed later by the generator's
// assembler), and a "macro" is a few instructions that belong together. Builders for the common forms.

export const SIZE_BITS: Record<number, number> = { 1: 0x10, 2: 0x08, 4: 0x00, 8: 0x18 };

export type Label = { id: number };
export type Insn = {
  op: number;
  dst: number;
  src: number;
  off: number;
  imm: number;
  hi?: number;
  target?: Label;
  targetIn?: "off" | "imm";
};
export type Item = Insn | Label;
export type Macro = Item[];

export function alu(cls: number, aop: number, dst: number, src: number, off: number, imm: number): Insn {
  return { op: cls | aop, dst, src, off, imm };
}
export function mov64x(dst: number, src: number): Insn {
  return { op: 0xbf, dst, src, off: 0, imm: 0 };
}
export function lddw(dst: number, v: bigint): Insn {
  return { op: 0x18, dst, src: 0, off: 0, imm: Number(BigInt.asIntN(32, v)), hi: Number(BigInt.asIntN(32, v >> 32n)) };
}
export function st(size: number, dst: number, off: number, imm: number): Insn {
  return { op: 0x62 | SIZE_BITS[size], dst, src: 0, off, imm };
}
export function stx(size: number, dst: number, off: number, src: number): Insn {
  return { op: 0x63 | SIZE_BITS[size], dst, src, off, imm: 0 };
}
export function exit(): Insn {
  return { op: 0x95, dst: 0, src: 0, off: 0, imm: 0 };
}

/** Lays out the items (lddw takes two slots) and fills in jump offsets and call immediates. */
export function assembleItems(items: Item[]): Uint8Array {
  const at = new Map<number, number>();
  let slots = 0;
  for (const it of items) {
    if ("op" in it) slots += it.op === 0x18 ? 2 : 1;
    else at.set(it.id, slots);
  }
  const out = new Uint8Array(slots * 8);
  const v = new DataView(out.buffer);
  let pc = 0;
  for (const it of items) {
    if (!("op" in it)) continue;
    let { off, imm } = it;
    if (it.target) {
      const target = at.get(it.target.id);
      if (target === undefined) throw new Error(`fuzz generator: unplaced label ${it.target.id}`);
      const rel = target - (pc + 1);
      if (it.targetIn === "imm") imm = rel;
      else {
        if (rel < -0x8000 || rel > 0x7fff) throw new Error("fuzz generator: jump out of 16-bit range");
        off = rel;
      }
    }
    v.setUint8(pc * 8, it.op);
    v.setUint8(pc * 8 + 1, (it.src << 4) | it.dst);
    v.setInt16(pc * 8 + 2, off, true);
    v.setInt32(pc * 8 + 4, imm, true);
    if (it.op === 0x18) {
      v.setInt32(pc * 8 + 12, it.hi ?? 0, true);
      pc++;
    }
    pc++;
  }
  return out;
}
