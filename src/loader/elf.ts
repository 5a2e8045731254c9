// Reads the relocatable ELF64 little-endian objects that `clang -target bpf -c` writes: the section table, the
// symbol table and the relocation tables, each checked against the file's bounds before use.
//
// Nothing here knows about programs or maps (see loader.ts). Every problem is reported as an ElfError whose
// message is one line naming the file and what is wrong where, so that a truncated or corrupted object can never
// surface as a RangeError from a DataView or loop for ever: every count is derived from a size already checked
// against the file length.

export class ElfError extends Error {
  constructor(
    readonly fileName: string,
    problem: string,
  ) {
    // Names in the message come from the file itself: escape control characters so it stays one line.
    super(
      `${fileName}: ${problem}`.replace(
        /[\x00-\x1f\x7f]/g,
        (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, "0")}`,
      ),
    );
    this.name = "ElfError";
  }
}

// Section types (sh_type)
export const SHT_NULL = 0;
export const SHT_PROGBITS = 1;
export const SHT_SYMTAB = 2;
export const SHT_STRTAB = 3;
export const SHT_RELA = 4;
export const SHT_NOBITS = 8;
export const SHT_REL = 9;

// Section flags (sh_flags)
export const SHF_WRITE = 0x1;
export const SHF_ALLOC = 0x2;
export const SHF_EXECINSTR = 0x4;

// Symbol types and bindings (st_info)
export const STT_NOTYPE = 0;
export const STT_OBJECT = 1;
export const STT_FUNC = 2;
export const STT_SECTION = 3;
export const STB_LOCAL = 0;
export const STB_GLOBAL = 1;
export const STB_WEAK = 2;

// Special section indexes (st_shndx)
export const SHN_UNDEF = 0;
export const SHN_LORESERVE = 0xff00;
export const SHN_ABS = 0xfff1;
export const SHN_COMMON = 0xfff2;
export const SHN_XINDEX = 0xffff;

// BPF relocation types, and how many bytes from r_offset each one touches
export const R_BPF_NONE = 0;
export const R_BPF_64_64 = 1; // lddw: imm of both slots (16 bytes, the instruction pair)
export const R_BPF_64_ABS64 = 2; // 64-bit data word
export const R_BPF_64_ABS32 = 3; // 32-bit data word
export const R_BPF_64_NODYLD32 = 4; // 32-bit data word (.BTF, .BTF.ext)
export const R_BPF_64_32 = 10; // call: imm of one instruction (8 bytes)
const RELOCATION_WIDTH: Record<number, number> = {
  [R_BPF_NONE]: 0,
  [R_BPF_64_64]: 16,
  [R_BPF_64_ABS64]: 8,
  [R_BPF_64_ABS32]: 4,
  [R_BPF_64_NODYLD32]: 4,
  [R_BPF_64_32]: 8,
};

const EM_BPF = 247;
const ET_REL = 1;
const EHDR_SIZE = 64;
const SHDR_SIZE = 64;
const SYM_SIZE = 24;
const REL_SIZE = 16;
const RELA_SIZE = 24;

export interface ElfSection {
  index: number;
  name: string;
  type: number;
  flags: number;
  offset: number;
  size: number;
  link: number;
  info: number;
  entsize: number;
  /** The section's bytes (a view into the file); empty for SHT_NOBITS sections, which occupy no file space. */
  data: Uint8Array;
}

export interface ElfSymbol {
  index: number;
  name: string;
  value: number;
  size: number;
  type: number; // STT_*
  bind: number; // STB_*
  /** Section index, or one of SHN_UNDEF / SHN_ABS / SHN_COMMON. */
  shndx: number;
}

export interface ElfRelocation {
  offset: number; // within the target section
  type: number; // R_BPF_*
  symbol: number; // index into ElfFile.symbols
  addend: number; // 0 for SHT_REL (BPF keeps addends in the instruction)
}

export interface ElfFile {
  fileName: string;
  sections: ElfSection[];
  symbols: ElfSymbol[];
  /** Relocations by the index of the section they patch. */
  relocations: Map<number, ElfRelocation[]>;
}

/** Parses and checks an ELF object; throws ElfError on anything that is not a well-formed EM_BPF ET_REL ELF64 LE. */
export function parseElf(bytes: Uint8Array, fileName: string): ElfFile {
  const fail = (problem: string): never => {
    throw new ElfError(fileName, problem);
  };
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const fileSize = bytes.byteLength;
  const hex = (n: number) => "0x" + n.toString(16);
  // u64 fields as numbers: values above 2^53 lose precision but still compare as "past the end of the file".
  const u64 = (at: number) => view.getUint32(at + 4, true) * 0x100000000 + view.getUint32(at, true);

  if (fileSize < 4 || bytes[0] !== 0x7f || bytes[1] !== 0x45 || bytes[2] !== 0x4c || bytes[3] !== 0x46) {
    fail("not an ELF file (bad magic)");
  }
  if (fileSize < EHDR_SIZE) fail(`truncated ELF header: ${fileSize} bytes, need ${EHDR_SIZE}`);
  if (bytes[4] !== 2) fail(`not a 64-bit ELF (EI_CLASS ${bytes[4]})`);
  if (bytes[5] !== 1) fail(`not a little-endian ELF (EI_DATA ${bytes[5]})`);
  if (bytes[6] !== 1) fail(`unsupported ELF version ${bytes[6]}`);
  const type = view.getUint16(16, true);
  const machine = view.getUint16(18, true);
  if (machine !== EM_BPF) fail(`not a BPF object (e_machine ${machine}, expected ${EM_BPF})`);
  if (type !== ET_REL) fail(`not a relocatable object (e_type ${type}, expected ${ET_REL})`);
  const shoff = u64(40);
  const shentsize = view.getUint16(58, true);
  let shnum = view.getUint16(60, true);
  let shstrndx = view.getUint16(62, true);
  if (shoff === 0) fail("no section header table");
  if (shentsize !== SHDR_SIZE) fail(`bad section header size ${shentsize}, expected ${SHDR_SIZE}`);
  if (shoff + SHDR_SIZE > fileSize) {
    fail(`section header table at ${hex(shoff)} is past the end of the file (${hex(fileSize)} bytes)`);
  }
  // Extended numbering: the real count and string-table index live in section 0.
  if (shnum === 0) shnum = u64(shoff + 32);
  if (shstrndx === SHN_XINDEX) shstrndx = view.getUint32(shoff + 40, true);
  if (shoff + shnum * SHDR_SIZE > fileSize) {
    fail(
      `section header table at ${hex(shoff)} (${shnum} entries) is past the end of the file (${hex(fileSize)} bytes)`,
    );
  }
  if (shstrndx === SHN_UNDEF || shstrndx >= shnum) fail(`bad section name string table index ${shstrndx}`);

  const sections: ElfSection[] = [];
  for (let i = 0; i < shnum; i++) {
    const at = shoff + i * SHDR_SIZE;
    sections.push({
      index: i,
      name: "",
      type: view.getUint32(at + 4, true),
      flags: u64(at + 8),
      offset: u64(at + 24),
      size: u64(at + 32),
      link: view.getUint32(at + 40, true),
      info: view.getUint32(at + 44, true),
      entsize: u64(at + 56),
      data: new Uint8Array(0),
    });
  }
  const where = (s: ElfSection) => `section ${s.index} (${s.name || "unnamed"})`;
  const attachData = (section: ElfSection) => {
    if (section.index === 0 || section.type === SHT_NOBITS || section.type === SHT_NULL) return;
    if (section.offset + section.size > fileSize) {
      fail(
        `${where(section)}: offset ${hex(section.offset)} + size ${hex(section.size)} is past the end of the file ` +
          `(${hex(fileSize)} bytes)`,
      );
    }
    section.data = bytes.subarray(section.offset, section.offset + section.size);
  };
  const readString = (table: ElfSection, offset: number, what: string): string => {
    if (table.type === SHT_NOBITS || offset >= table.data.length) {
      fail(`${what}: name offset ${hex(offset)} is outside its string table (${where(table)}, ${table.size} bytes)`);
    }
    const end = table.data.indexOf(0, offset);
    if (end < 0) fail(`${what}: name at ${hex(offset)} in ${where(table)} is not NUL-terminated`);
    return utf8.decode(table.data.subarray(offset, end));
  };

  // Section names first, so that every later message can say which section it is about.
  const names = sections[shstrndx];
  if (names.type !== SHT_STRTAB) fail(`section name table (section ${shstrndx}) is not a string table`);
  attachData(names);
  for (const section of sections) {
    if (section.index === 0) continue;
    section.name = readString(
      names,
      view.getUint32(shoff + section.index * SHDR_SIZE, true),
      `section ${section.index}`,
    );
  }
  for (const section of sections) if (section !== names) attachData(section);

  // The symbol table (a relocatable object has at most one).
  const symbols: ElfSymbol[] = [];
  const symtabs = sections.filter((s) => s.index > 0 && s.type === SHT_SYMTAB);
  if (symtabs.length > 1) fail(`${symtabs.length} symbol tables, expected at most one`);
  const symtab = symtabs[0];
  if (symtab) {
    if (symtab.entsize !== SYM_SIZE) fail(`${where(symtab)}: symbol size ${symtab.entsize}, expected ${SYM_SIZE}`);
    if (symtab.size % SYM_SIZE !== 0) {
      fail(`${where(symtab)}: size ${hex(symtab.size)} is not a multiple of ${SYM_SIZE}`);
    }
    if (symtab.link === 0 || symtab.link >= shnum || sections[symtab.link].type !== SHT_STRTAB) {
      fail(`${where(symtab)}: bad string table index ${symtab.link}`);
    }
    const strtab = sections[symtab.link];
    const count = symtab.size / SYM_SIZE;
    for (let i = 0; i < count; i++) {
      const at = symtab.offset + i * SYM_SIZE;
      const info = bytes[at + 4];
      const symbol: ElfSymbol = {
        index: i,
        name: readString(strtab, view.getUint32(at, true), `symbol ${i}`),
        type: info & 0xf,
        bind: info >> 4,
        shndx: view.getUint16(at + 6, true),
        value: u64(at + 8),
        size: u64(at + 16),
      };
      const special = symbol.shndx === SHN_UNDEF || symbol.shndx === SHN_ABS || symbol.shndx === SHN_COMMON;
      if (!special && symbol.shndx >= shnum) {
        fail(
          `symbol ${i} (${symbol.name || "unnamed"}): section index ${symbol.shndx} is out of range (${shnum} sections)`,
        );
      }
      if (!special && symbol.type !== STT_SECTION) {
        const home = sections[symbol.shndx];
        if (symbol.value + symbol.size > home.size) {
          fail(
            `symbol ${i} (${symbol.name}): value ${hex(symbol.value)} + size ${hex(symbol.size)} is past the end of ` +
              `${where(home)} (${hex(home.size)} bytes)`,
          );
        }
      }
      symbols.push(symbol);
    }
  }

  // Relocation tables, keyed by the section they patch.
  const relocations = new Map<number, ElfRelocation[]>();
  for (const section of sections) {
    if (section.index === 0 || (section.type !== SHT_REL && section.type !== SHT_RELA)) continue;
    const entry = section.type === SHT_REL ? REL_SIZE : RELA_SIZE;
    if (section.size % entry !== 0) fail(`${where(section)}: size ${hex(section.size)} is not a multiple of ${entry}`);
    if (!symtab || section.link !== symtab.index) fail(`${where(section)}: bad symbol table index ${section.link}`);
    if (section.info === 0 || section.info >= shnum) {
      fail(`${where(section)}: bad target section index ${section.info}`);
    }
    const target = sections[section.info];
    if (target.type === SHT_NOBITS) fail(`${where(section)}: relocates ${where(target)}, which has no contents`);
    if (relocations.has(target.index)) fail(`${where(section)}: a second relocation table for ${where(target)}`);
    const list: ElfRelocation[] = [];
    const count = section.size / entry;
    for (let i = 0; i < count; i++) {
      const at = section.offset + i * entry;
      const offset = u64(at);
      const relocType = view.getUint32(at + 8, true);
      const symbol = view.getUint32(at + 12, true);
      const addend = section.type === SHT_RELA ? Number(view.getBigInt64(at + 16, true)) : 0;
      const width = RELOCATION_WIDTH[relocType];
      const what = `${where(section)}: relocation ${i} at offset ${hex(offset)}`;
      if (width === undefined) fail(`${what}: unknown relocation type ${relocType}`);
      if (symbol >= symbols.length) fail(`${what}: symbol index ${symbol} is out of range (${symbols.length} symbols)`);
      if (offset + width > target.size) {
        fail(`${what}: ${width} bytes past the end of ${where(target)} (${hex(target.size)} bytes)`);
      }
      list.push({ offset, type: relocType, symbol, addend });
    }
    relocations.set(target.index, list);
  }

  return { fileName, sections, symbols, relocations };
}

const utf8 = new TextDecoder("utf-8");

/** The first section with this name, if any. */
export function findSection(elf: ElfFile, name: string): ElfSection | undefined {
  return elf.sections.find((s) => s.index > 0 && s.name === name);
}
