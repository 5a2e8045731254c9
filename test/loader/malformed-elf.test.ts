import { readdirSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { loadObject } from "../../src/loader/loader.js";
import { ElfError } from "../../src/loader/elf.js";
import { FIXTURES, fixture } from "../support/paths.js";

// A corpus of broken objects generated from the fixtures: truncations at every kind of offset and corrupted
// header, section, symbol, relocation, instruction and BTF fields. Each case must be refused with an ElfError whose
// one-line message starts with the file name: never another exception, never a hang, never a silent load.
// A seeded random mutation pass then checks the weaker promise for arbitrary damage: load or ElfError, nothing else.

const fixtureNames = readdirSync(FIXTURES)
  .filter((f) => f.endsWith(".o"))
  .sort();

const SHT_SYMTAB = 2,
  SHT_STRTAB = 3,
  SHT_NOBITS = 8,
  SHT_REL = 9;
const SHF_EXECINSTR = 4;

/** Section headers, symbols and relocations located independently of src/loader/elf.ts. */
function layout(bytes: Uint8Array) {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const shoff = Number(dv.getBigUint64(40, true));
  const shnum = dv.getUint16(60, true);
  const shstrndx = dv.getUint16(62, true);
  const sections = Array.from({ length: shnum }, (_, i) => {
    const at = shoff + i * 64;
    return {
      index: i,
      header: at,
      nameOff: dv.getUint32(at, true),
      type: dv.getUint32(at + 4, true),
      flags: Number(dv.getBigUint64(at + 8, true)),
      offset: Number(dv.getBigUint64(at + 24, true)),
      size: Number(dv.getBigUint64(at + 32, true)),
      link: dv.getUint32(at + 40, true),
      info: dv.getUint32(at + 44, true),
      name: "",
    };
  });
  const names = sections[shstrndx];
  for (const s of sections) {
    let end = names.offset + s.nameOff;
    while (bytes[end] !== 0) end++;
    s.name = Buffer.from(bytes.subarray(names.offset + s.nameOff, end)).toString("latin1");
  }
  const symtab = sections.find((s) => s.type === SHT_SYMTAB)!;
  const symbols = Array.from({ length: symtab.size / 24 }, (_, i) => {
    const at = symtab.offset + i * 24;
    return { index: i, at, shndx: dv.getUint16(at + 6, true), type: bytes[at + 4] & 0xf };
  });
  const relocations = sections
    .filter((s) => s.type === SHT_REL)
    .flatMap((rel) =>
      Array.from({ length: rel.size / 16 }, (_, k) => ({
        at: rel.offset + k * 16,
        rel,
        target: sections[rel.info],
        offset: Number(dv.getBigUint64(rel.offset + k * 16, true)),
      })),
    );
  return { dv, shoff, shnum, shstrndx, sections, symtab, symbols, relocations };
}

interface Case {
  label: string;
  bytes: Uint8Array;
}

/**
 * The same object with the section header table moved right after the ELF header (clang puts it last, so a plain
 * truncation always cuts the table first). Truncating this copy cuts sections, symbols and relocations with the
 * table intact.
 */
function headersFirst(original: Uint8Array): Uint8Array {
  const L = layout(original);
  const shift = L.shnum * 64;
  const out = new Uint8Array(original.length + shift);
  out.set(original.subarray(0, 64));
  out.set(original.subarray(L.shoff, L.shoff + shift), 64);
  out.set(original.subarray(64), 64 + shift);
  const dv = new DataView(out.buffer);
  dv.setBigUint64(40, 64n, true);
  for (const s of L.sections) {
    if (s.index > 0 && s.type !== SHT_NOBITS) dv.setBigUint64(64 + s.index * 64 + 24, BigInt(s.offset + shift), true);
  }
  return out;
}

/** Cuts inside each section of a headers-first copy: at its first byte, its middle and its last byte. */
function* sectionTruncations(original: Uint8Array): Generator<Case> {
  const moved = headersFirst(original);
  const L = layout(moved);
  for (const s of L.sections) {
    if (s.index === 0 || s.type === SHT_NOBITS || s.size === 0) continue;
    for (const at of new Set([s.offset, s.offset + (s.size >> 1), s.offset + s.size - 1])) {
      yield { label: `headers first, cut inside section ${s.index} (${s.name}) at ${at}`, bytes: moved.slice(0, at) };
    }
  }
}

function* corpus(original: Uint8Array): Generator<Case> {
  const L = layout(original);
  const len = original.length;
  const mutate = (label: string, edit: (b: Uint8Array, dv: DataView) => void): Case => {
    const b = original.slice();
    edit(b, new DataView(b.buffer));
    return { label, bytes: b };
  };
  const u16 = (at: number, v: number) => (b: Uint8Array, dv: DataView) => dv.setUint16(at, v, true);
  const u32 = (at: number, v: number) => (b: Uint8Array, dv: DataView) => dv.setUint32(at, v >>> 0, true);
  const u64 = (at: number, v: bigint) => (b: Uint8Array, dv: DataView) => dv.setBigUint64(at, v, true);

  // Truncations: inside the ELF header, the section table, every section, the symbols and the relocations.
  const cuts = new Set<number>([0, 1, 3, 4, 5, 16, 18, 24, 40, 48, 58, 60, 62, 63, len - 1]);
  for (let i = 0; i < L.shnum; i++) for (const d of [0, 4, 24, 32, 40, 63]) cuts.add(L.shoff + i * 64 + d);
  for (const s of L.sections) {
    if (s.index === 0 || s.type === SHT_NOBITS || s.size === 0) continue;
    for (const at of [s.offset, s.offset + (s.size >> 1), s.offset + s.size - 1]) cuts.add(at);
  }
  for (const sym of L.symbols.slice(0, 8)) for (const d of [0, 5, 8, 16]) cuts.add(sym.at + d);
  for (const r of L.relocations.slice(0, 8)) for (const d of [0, 8, 12]) cuts.add(r.at + d);
  for (const at of [...cuts].sort((a, b) => a - b))
    if (at < len) yield { label: `truncated at ${at}`, bytes: original.slice(0, at) };

  // ELF header fields
  yield mutate("bad magic", (b) => (b[1] = 0x46));
  yield mutate("ELF32", (b) => (b[4] = 1));
  yield mutate("bad class", (b) => (b[4] = 3));
  yield mutate("big-endian", (b) => (b[5] = 2));
  yield mutate("no data encoding", (b) => (b[5] = 0));
  yield mutate("ident version 0", (b) => (b[6] = 0));
  yield mutate("ET_EXEC", u16(16, 2));
  yield mutate("ET_DYN", u16(16, 3));
  yield mutate("x86-64 machine", u16(18, 62));
  yield mutate("no machine", u16(18, 0));
  yield mutate("e_shoff 0", u64(40, 0n));
  yield mutate("e_shoff at end of file", u64(40, BigInt(len)));
  yield mutate("e_shoff huge", u64(40, 0xffffffffffffffffn));
  yield mutate("e_shoff leaves one header", u64(40, BigInt(len - 64)));
  yield mutate("e_shentsize 40", u16(58, 40));
  yield mutate("e_shentsize 0", u16(58, 0));
  yield mutate("e_shnum + 1", u16(60, L.shnum + 1));
  yield mutate("e_shnum 0xfeff", u16(60, 0xfeff));
  yield mutate("e_shstrndx out of range", u16(62, L.shnum));
  yield mutate("e_shstrndx 0", u16(62, 0));
  yield mutate("e_shstrndx at the symbol table", u16(62, L.symtab.index));

  // Section header fields
  for (const s of L.sections) {
    if (s.index === 0) continue;
    const h = s.header;
    const tag = `section ${s.index} (${s.name})`;
    yield mutate(`${tag}: sh_name out of range`, u32(h, 0xfffffff0));
    if (s.type === SHT_NOBITS) {
      yield mutate(`${tag}: huge NOBITS size`, u64(h + 32, 1n << 40n));
    } else {
      if (s.size > 0) yield mutate(`${tag}: sh_offset at end of file`, u64(h + 24, BigInt(len))); // empty sections may sit there
      yield mutate(`${tag}: sh_offset huge`, u64(h + 24, 1n << 60n));
      yield mutate(`${tag}: sh_size past end of file`, u64(h + 32, BigInt(len + 1)));
      yield mutate(`${tag}: sh_size huge`, u64(h + 32, 0xffffffffffffffffn));
    }
    if (s.type === SHT_SYMTAB) {
      yield mutate(`${tag}: sh_link 0`, u32(h + 40, 0));
      yield mutate(`${tag}: sh_link out of range`, u32(h + 40, L.shnum + 3));
      yield mutate(`${tag}: sh_link to itself`, u32(h + 40, s.index));
      yield mutate(`${tag}: sh_entsize 16`, u64(h + 56, 16n));
      yield mutate(`${tag}: size not a multiple of 24`, u64(h + 32, BigInt(s.size - 1)));
    }
    if (s.type === SHT_REL) {
      yield mutate(`${tag}: sh_info 0`, u32(h + 44, 0));
      yield mutate(`${tag}: sh_info out of range`, u32(h + 44, L.shnum + 9));
      yield mutate(`${tag}: sh_link not the symbol table`, u32(h + 40, 0));
      yield mutate(`${tag}: size not a multiple of 16`, u64(h + 32, BigInt(s.size - 1)));
    }
    if (s.index === L.shstrndx) yield mutate(`${tag}: name table not a string table`, u32(h + 4, 1));
    if (s.type === SHT_STRTAB && s.size > 0)
      yield mutate(`${tag}: last byte not NUL`, (b) => (b[s.offset + s.size - 1] = 0x41));
  }

  // Symbols
  for (const sym of L.symbols) {
    const tag = `symbol ${sym.index}`;
    yield mutate(`${tag}: st_name out of range`, u32(sym.at, 0xfffffff0));
    const inSection = sym.shndx > 0 && sym.shndx < L.shnum;
    if (inSection) yield mutate(`${tag}: st_shndx out of range`, u16(sym.at + 6, L.shnum + 1));
    if (inSection && sym.type !== 3) yield mutate(`${tag}: st_value past its section`, u64(sym.at + 8, 1n << 40n));
    if (inSection && sym.type !== 3) yield mutate(`${tag}: st_size past its section`, u64(sym.at + 16, 1n << 40n));
  }

  // Relocations: every one in code and .maps, a sample elsewhere
  const perSection = new Map<number, number>();
  for (const r of L.relocations) {
    const code = (r.target.flags & SHF_EXECINSTR) !== 0;
    const seen = perSection.get(r.rel.index) ?? 0;
    perSection.set(r.rel.index, seen + 1);
    if (!code && r.target.name !== ".maps" && seen >= 6) continue;
    const tag = `${r.rel.name} entry at ${r.at - r.rel.offset}`;
    yield mutate(`${tag}: unknown type`, u32(r.at + 8, 0x55));
    yield mutate(`${tag}: symbol out of range`, u32(r.at + 12, 0xffffff));
    yield mutate(`${tag}: offset at end of target`, u64(r.at, BigInt(r.target.size)));
    if (code) {
      yield mutate(`${tag}: R_BPF_64_ABS64 on an instruction`, u32(r.at + 8, 2));
      yield mutate(`${tag}: offset not at an instruction`, u64(r.at, BigInt(r.offset + 4)));
      yield mutate(`${tag}: the null symbol`, u32(r.at + 12, 0));
      yield mutate(`${tag}: instruction is not lddw or call`, (b) => (b[r.target.offset + r.offset] = 0xb7));
    }
    if (r.target.name === ".maps") yield mutate(`${tag}: R_BPF_64_ABS32 in .maps`, u32(r.at + 8, 3));
  }

  // BTF header and first type
  const btf = L.sections.find((s) => s.name === ".BTF");
  if (btf) {
    const at = btf.offset;
    yield mutate(".BTF: bad magic", u16(at, 0x9feb));
    yield mutate(".BTF: version 2", (b) => (b[at + 2] = 2));
    yield mutate(".BTF: header length past the section", u32(at + 4, btf.size + 1));
    yield mutate(".BTF: header length too small", u32(at + 4, 8));
    yield mutate(".BTF: type section too long", u32(at + 12, btf.size));
    yield mutate(".BTF: string section offset huge", u32(at + 16, 0xffffff00));
    yield mutate(".BTF: string section too long", u32(at + 20, btf.size));
    yield mutate(".BTF: unknown kind", u32(at + 24 + 4, 31 << 24));
    yield mutate(".BTF: first type name out of range", u32(at + 24, 0xfffffff0));
    yield mutate(".BTF: section cut to the header", u64(btf.header + 32, 23n));
    yield mutate(".BTF: section cut in half", u64(btf.header + 32, BigInt(btf.size >> 1)));
  }

  // Legacy map definitions that do not divide the section
  const maps = L.sections.find((s) => s.name === "maps");
  if (maps) yield mutate("maps: section shorter than its definition", u64(maps.header + 32, BigInt(maps.size - 4)));
}

function outcome(name: string, bytes: Uint8Array): string | undefined {
  try {
    loadObject(bytes, name);
    return "loaded without error";
  } catch (e) {
    if (!(e instanceof ElfError)) return `threw ${(e as Error)?.constructor?.name}: ${(e as Error)?.message}`;
    if (!e.message.startsWith(`${name}: `)) return `message does not start with the file name: ${e.message}`;
    if (e.message.includes("\n")) return `message is not one line: ${e.message}`;
    return undefined;
  }
}

describe.each(fixtureNames)("malformed %s", (name) => {
  const original = new Uint8Array(readFileSync(fixture(name)));

  it("loads as shipped", () => {
    expect(() => loadObject(original, name)).not.toThrow();
  });

  it("loads the same with its section table moved to the front", () => {
    const moved = loadObject(headersFirst(original), name);
    const shipped = loadObject(original, name);
    expect(moved.programs.map((p) => [p.name, p.insns])).toEqual(shipped.programs.map((p) => [p.name, p.insns]));
    expect(moved.maps).toEqual(shipped.maps);
  });

  it("refuses every generated corruption with an ElfError naming the file", () => {
    const failures: string[] = [];
    let count = 0;
    for (const c of [...corpus(original), ...sectionTruncations(original)]) {
      count++;
      const problem = outcome(name, c.bytes);
      if (problem) failures.push(`${c.label}: ${problem}`);
    }
    expect(count).toBeGreaterThan(100);
    expect(failures).toEqual([]);
  });

  it("loads or throws ElfError under random damage to its tables", () => {
    const L = layout(original);
    // Structural bytes: ELF header, section table, symbols, relocation tables, the first 256 bytes of .BTF.
    const regions: [number, number][] = [
      [0, 64],
      [L.shoff, L.shoff + L.shnum * 64],
      [L.symtab.offset, L.symtab.offset + L.symtab.size],
    ];
    for (const s of L.sections) {
      if (s.type === SHT_REL) regions.push([s.offset, s.offset + s.size]);
      if (s.name === ".BTF") regions.push([s.offset, s.offset + Math.min(256, s.size)]);
    }
    let seed = 0x2545f491;
    const random = () => {
      seed ^= seed << 13;
      seed >>>= 0;
      seed ^= seed >>> 17;
      seed ^= seed << 5;
      seed >>>= 0;
      return seed;
    };
    const bad: string[] = [];
    for (let n = 0; n < 300; n++) {
      const b = original.slice();
      const flips = 1 + (random() % 4);
      for (let k = 0; k < flips; k++) {
        const [start, end] = regions[random() % regions.length];
        b[start + (random() % (end - start))] ^= 1 << random() % 8;
      }
      const problem = outcome(name, b);
      if (problem && problem !== "loaded without error") bad.push(`mutation ${n}: ${problem}`);
    }
    expect(bad).toEqual([]);
  });
});
