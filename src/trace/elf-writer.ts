// Writes the compiled probes as a relocatable ELF64 BPF object, shaped as clang shapes one: a section per
// program with a FUNC symbol, `.rel` sections for map references, BTF-defined maps in `.maps` (described in
// `.BTF` as `__uint(type, ...)` members: pointers to arrays whose length is the value), the clock in `.bss`,
// and a GPL license. tinybpf's loader, `tinybpf info` and llvm-objdump read it like any clang output.
import type { ProgramCode } from "./codegen.js";

export interface MapSpecOut {
  symbol: string;
  fields: [string, number][]; // type, max_entries, key_size, value_size, ... in order
}

export interface ObjectSpec {
  programs: ProgramCode[];
  maps: MapSpecOut[];
  bss: { symbol: string; size: number };
}

const SHT_PROGBITS = 1,
  SHT_SYMTAB = 2,
  SHT_STRTAB = 3,
  SHT_NOBITS = 8,
  SHT_REL = 9;
const SHF_WRITE = 1,
  SHF_ALLOC = 2,
  SHF_EXECINSTR = 4;
const STT_OBJECT = 1,
  STT_FUNC = 2,
  STB_GLOBAL = 1;
const R_BPF_64_64 = 1;
const EM_BPF = 247;
const BTF_KIND_INT = 1,
  BTF_KIND_PTR = 2,
  BTF_KIND_ARRAY = 3,
  BTF_KIND_STRUCT = 4,
  BTF_KIND_VAR = 14,
  BTF_KIND_DATASEC = 15;

/** A growable little-endian byte buffer. */
class Bytes {
  private buf = new Uint8Array(256);
  private view = new DataView(this.buf.buffer);
  length = 0;
  private room(n: number): void {
    if (this.length + n <= this.buf.length) return;
    const bigger = new Uint8Array(Math.max(this.buf.length * 2, this.length + n));
    bigger.set(this.buf);
    this.buf = bigger;
    this.view = new DataView(bigger.buffer);
  }
  u8(v: number): this {
    this.room(1);
    this.buf[this.length++] = v;
    return this;
  }
  u16(v: number): this {
    this.room(2);
    this.view.setUint16(this.length, v, true);
    this.length += 2;
    return this;
  }
  u32(v: number): this {
    this.room(4);
    this.view.setUint32(this.length, v >>> 0, true);
    this.length += 4;
    return this;
  }
  u64(v: number | bigint): this {
    this.room(8);
    this.view.setBigUint64(this.length, BigInt(v), true);
    this.length += 8;
    return this;
  }
  bytes(b: Uint8Array): this {
    this.room(b.length);
    this.buf.set(b, this.length);
    this.length += b.length;
    return this;
  }
  align(n: number): this {
    while (this.length % n) this.u8(0);
    return this;
  }
  done(): Uint8Array {
    return this.buf.slice(0, this.length);
  }
}

/** A string table: "\0" first, each string once. */
class Strings {
  private readonly offsets = new Map<string, number>();
  private readonly data = new Bytes().u8(0);
  add(s: string): number {
    if (s === "") return 0;
    let off = this.offsets.get(s);
    if (off === undefined) {
      off = this.data.length;
      this.data.bytes(new TextEncoder().encode(s)).u8(0);
      this.offsets.set(s, off);
    }
    return off;
  }
  done(): Uint8Array {
    return this.data.done();
  }
}

/** BTF describing the `.maps` variables. */
function buildBtf(maps: MapSpecOut[]): Uint8Array {
  const strs = new Strings();
  const types = new Bytes();
  let nextId = 1;
  const type = (name: string, kind: number, vlen: number, sizeOrType: number): number => {
    types
      .u32(strs.add(name))
      .u32((kind << 24) | vlen)
      .u32(sizeOrType);
    return nextId++;
  };
  const int = type("int", BTF_KIND_INT, 0, 4);
  types.u32((1 << 24) | 32); // signed, 32 bits
  const ptrTo = new Map<number, number>(); // array length -> pointer type
  const ptr = (n: number): number => {
    let id = ptrTo.get(n);
    if (id === undefined) {
      const array = type("", BTF_KIND_ARRAY, 0, 0);
      types.u32(int).u32(int).u32(n);
      id = type("", BTF_KIND_PTR, 0, array);
      ptrTo.set(n, id);
    }
    return id;
  };
  const vars: { id: number; offset: number; size: number }[] = [];
  let offset = 0;
  for (const m of maps) {
    const members = m.fields.map(([name, value]) => [strs.add(name), ptr(value)] as const);
    const struct = type("", BTF_KIND_STRUCT, members.length, members.length * 8);
    members.forEach(([nameOff, t], i) =>
      types
        .u32(nameOff)
        .u32(t)
        .u32(i * 64),
    );
    const v = type(m.symbol, BTF_KIND_VAR, 0, struct);
    types.u32(1); // global
    vars.push({ id: v, offset, size: members.length * 8 });
    offset += members.length * 8;
  }
  type(".maps", BTF_KIND_DATASEC, vars.length, offset);
  for (const v of vars) types.u32(v.id).u32(v.offset).u32(v.size);
  const t = types.done();
  const s = strs.done();
  return new Bytes()
    .u16(0xeb9f)
    .u8(1)
    .u8(0)
    .u32(24)
    .u32(0)
    .u32(t.length)
    .u32(t.length)
    .u32(s.length)
    .bytes(t)
    .bytes(s)
    .done();
}

interface Section {
  name: string;
  type: number;
  flags: number;
  data: Uint8Array;
  size?: number; // NOBITS
  link?: number;
  info?: number;
  align: number;
  entsize?: number;
}

export function writeObject(spec: ObjectSpec): Uint8Array {
  const names = new Strings();
  const sections: Section[] = [{ name: "", type: 0, flags: 0, data: new Uint8Array(0), align: 0 }];
  const add = (s: Section) => sections.push(s) - 1;
  const strtab = add({ name: ".strtab", type: SHT_STRTAB, flags: 0, data: new Uint8Array(0), align: 1 });

  interface Sym {
    name: string;
    type: number;
    shndx: number;
    value: number;
    size: number;
  }
  const symbols: Sym[] = [];
  const progSections = spec.programs.map((p) => {
    const index = add({
      name: p.section,
      type: SHT_PROGBITS,
      flags: SHF_ALLOC | SHF_EXECINSTR,
      data: p.insns,
      align: 8,
    });
    symbols.push({ name: p.name, type: STT_FUNC, shndx: index, value: 0, size: p.insns.length });
    return index;
  });
  const license = add({
    name: "license",
    type: SHT_PROGBITS,
    flags: SHF_ALLOC | SHF_WRITE,
    data: new TextEncoder().encode("GPL\0"),
    align: 1,
  });
  symbols.push({ name: "LICENSE", type: STT_OBJECT, shndx: license, value: 0, size: 4 });
  const mapsSize = spec.maps.reduce((n, m) => n + m.fields.length * 8, 0);
  const maps = add({
    name: ".maps",
    type: SHT_PROGBITS,
    flags: SHF_ALLOC | SHF_WRITE,
    data: new Uint8Array(mapsSize),
    align: 8,
  });
  let offset = 0;
  for (const m of spec.maps) {
    symbols.push({ name: m.symbol, type: STT_OBJECT, shndx: maps, value: offset, size: m.fields.length * 8 });
    offset += m.fields.length * 8;
  }
  const bss = add({
    name: ".bss",
    type: SHT_NOBITS,
    flags: SHF_ALLOC | SHF_WRITE,
    data: new Uint8Array(0),
    size: spec.bss.size,
    align: 8,
  });
  symbols.push({ name: spec.bss.symbol, type: STT_OBJECT, shndx: bss, value: 0, size: spec.bss.size });
  add({ name: ".BTF", type: SHT_PROGBITS, flags: 0, data: buildBtf(spec.maps), align: 4 });
  const symtabIndex = sections.length + spec.programs.filter((p) => p.relocations.length > 0).length;
  const symIndex = (name: string) => {
    const i = symbols.findIndex((s) => s.name === name);
    if (i < 0) throw new Error(`internal: no symbol ${name}`);
    return i + 1;
  };
  spec.programs.forEach((p, i) => {
    if (p.relocations.length === 0) return;
    const rel = new Bytes();
    for (const r of p.relocations) rel.u64(r.offset).u64((BigInt(symIndex(r.symbol)) << 32n) | BigInt(R_BPF_64_64));
    add({
      name: `.rel${p.section}`,
      type: SHT_REL,
      flags: 0,
      data: rel.done(),
      link: symtabIndex,
      info: progSections[i],
      align: 8,
      entsize: 16,
    });
  });
  const sym = new Bytes();
  sym.u32(0).u8(0).u8(0).u16(0).u64(0).u64(0);
  for (const s of symbols)
    sym
      .u32(names.add(s.name))
      .u8((STB_GLOBAL << 4) | s.type)
      .u8(0)
      .u16(s.shndx)
      .u64(s.value)
      .u64(s.size);
  add({ name: ".symtab", type: SHT_SYMTAB, flags: 0, data: sym.done(), link: strtab, info: 1, align: 8, entsize: 24 });
  for (const s of sections) names.add(s.name);
  sections[strtab].data = names.done();

  const out = new Bytes();
  out.bytes(new Uint8Array(64));
  const offsets = sections.map((s) => {
    if (s.type === 0 || s.type === SHT_NOBITS) return 0;
    out.align(Math.max(1, s.align));
    const at = out.length;
    out.bytes(s.data);
    return at;
  });
  out.align(8);
  const shoff = out.length;
  sections.forEach((s, i) => {
    out
      .u32(names.add(s.name))
      .u32(s.type)
      .u64(s.flags)
      .u64(0)
      .u64(offsets[i])
      .u64(s.size ?? s.data.length)
      .u32(s.link ?? 0)
      .u32(s.info ?? 0)
      .u64(s.align)
      .u64(s.entsize ?? 0);
  });
  const bytes = out.done();
  const header = new Bytes();
  header.bytes(Uint8Array.of(0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0));
  header
    .u16(1)
    .u16(EM_BPF)
    .u32(1)
    .u64(0)
    .u64(0)
    .u64(shoff)
    .u32(0)
    .u16(64)
    .u16(0)
    .u16(0)
    .u16(64)
    .u16(sections.length)
    .u16(strtab);
  bytes.set(header.done(), 0);
  return bytes;
}
