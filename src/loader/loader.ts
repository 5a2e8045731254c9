// Turns a clang-built BPF object into what the runtime needs: map definitions and relocated, self-contained
// programs. It runs nothing and checks only what the object's structure requires; the verifier judges the code.
//
// What it does, as libbpf does:
// - Programs: every executable section, whatever its SEC() name, holds one program per global function symbol
//   (bounded by the symbol's size). `.text` holds subprograms, unless it is the only code: then its global
//   functions are the programs. The type comes from the section name (program-types.ts).
// - Linking: a program gets its own code followed by every function it reaches through bpf-to-bpf calls or
//   function addresses (transitively, in first-reached order); each call's imm is recomputed for that layout.
// - Maps, in this order: the legacy `maps` section (struct bpf_map_def records), global data, BTF `.maps`.
//   Global data sections (.data, .data.*, .rodata, .rodata.*, .bss, .bss.*) each become a one-element ARRAY map
//   named after the section, with a 4-byte key and the whole section as its value; its initial contents are the
//   section's bytes (zeros for .bss). .rodata* maps are read-only for programs (BPF_F_RDONLY_PROG).
// - lddw relocations become the kernel's pseudo instructions, with map indexes instead of file descriptors:
//   a map: src_reg = PSEUDO_MAP_FD, imm = map index;
//   global data: src_reg = PSEUDO_MAP_VALUE, imm = map index, second imm = byte offset in the section;
//   a function: src_reg = PSEUDO_FUNC, imm = pc-relative offset of the function, like a bpf-to-bpf call.

import {
  ElfError,
  findSection,
  parseElf,
  R_BPF_64_32,
  R_BPF_64_64,
  R_BPF_64_ABS64,
  R_BPF_NONE,
  SHF_ALLOC,
  SHF_EXECINSTR,
  SHN_UNDEF,
  SHT_NOBITS,
  SHT_PROGBITS,
  STB_GLOBAL,
  STB_WEAK,
  STT_FUNC,
  STT_SECTION,
  type ElfFile,
  type ElfRelocation,
  type ElfSection,
  type ElfSymbol,
} from "./elf.js";
import { parseBtf, type Btf, type BtfType } from "./btf.js";
import { programTypeForSection } from "./program-types.js";
import {
  CALL_LOCAL,
  INSN_SIZE,
  OP_CALL,
  OP_LDDW,
  PSEUDO_FUNC,
  PSEUDO_MAP_FD,
  PSEUDO_MAP_VALUE,
} from "../../assembly/isa.js";

export interface MapDef {
  name: string;
  type: number; // BPF_MAP_TYPE_* (Linux numbering)
  keySize: number;
  valueSize: number;
  maxEntries: number;
  flags: number;
  pinning?: number;
  /** Map-in-map: index (into BpfObject.maps) of the map that describes the inner maps. */
  innerMap?: number;
  /** BTF type ids of the key and value, when the object says. */
  keyType?: number;
  valueType?: number;
  /** Global data maps: the section's bytes (zeros for .bss). */
  initialData?: Uint8Array;
  /** Where the definition came from: 'maps', '.maps', or the global data section's name. */
  section: string;
  /** .rodata: programs may not write it. */
  readonly?: boolean;
  globalData?: boolean;
  /**
   * Slots preset by a `.values = { [i] = &x }` initializer in `.maps`: for a map-in-map, `map` is the inner map's
   * index; for a program array, `program` is the program's name.
   */
  initialSlots?: { slot: number; map?: number; program?: string }[];
}

export interface ProgramDef {
  name: string;
  section: string;
  /** libbpf's program type name ('socket_filter', 'xdp', 'kprobe', ...); 'unspec' for unknown sections. */
  type: string;
  /** Relocated code: the program, then the subprograms it needs. */
  insns: Uint8Array;
  insnCount: number;
  /** Every function in `insns`, the program itself first at 0: name, first instruction, instruction count. */
  functions: { name: string; start: number; insnCount: number }[];
}

export interface BpfObject {
  fileName: string;
  programs: ProgramDef[];
  maps: MapDef[];
  license: string;
  version: number;
  btf?: Btf;
  sections: { name: string; type: number; size: number; flags: number }[];
}

export const BPF_MAP_TYPE_ARRAY = 2;
export const BPF_MAP_TYPE_PROG_ARRAY = 3;
export const BPF_MAP_TYPE_ARRAY_OF_MAPS = 12;
export const BPF_MAP_TYPE_HASH_OF_MAPS = 13;
export const BPF_F_RDONLY_PROG = 0x80;
export const BPF_F_MMAPABLE = 0x400;

/** Largest .bss-style section (no file bytes) accepted: the devices are small, and a corrupt size must not OOM. */
const MAX_ZERO_SECTION = 64 * 1024 * 1024;
const LEGACY_MAP_FIELDS = ["type", "keySize", "valueSize", "maxEntries", "flags"] as const;
/** BTF map definition fields written as `__uint(name, value)`. */
const BTF_UINT_FIELDS: Record<string, keyof MapDef | undefined> = {
  type: "type",
  max_entries: "maxEntries",
  map_flags: "flags",
  key_size: "keySize",
  value_size: "valueSize",
  pinning: "pinning",
  numa_node: undefined,
  map_extra: undefined,
};

export function loadObject(bytes: Uint8Array, fileName: string): BpfObject {
  return new ObjectLoader(parseElf(bytes, fileName)).load();
}

/** A function inside an executable section, in instructions. */
interface Func {
  name: string;
  section: ElfSection;
  start: number;
  count: number;
  global: boolean;
}

/** What an instruction needs once placed: resolved once per instruction of the file, used by every program. */
type Fixup =
  | { kind: "call" | "func"; target: Func; targetInsn: number }
  | { kind: "map"; map: number }
  | { kind: "data"; map: number; offset: number };

class ObjectLoader {
  private readonly fileName: string;
  private readonly btf?: Btf;
  private readonly maps: MapDef[] = [];
  /** Map index by `${section index}:${offset}` of its definition or data. */
  private readonly mapAt = new Map<string, number>();
  private readonly funcs = new Map<number, Func[]>(); // by section index
  private readonly fixups = new Map<Func, Map<number, Fixup>>(); // by instruction index inside the function
  private readonly btfMapStructs = new Map<number, BtfType>(); // BTF definition of each `.maps` map, by index

  constructor(private readonly elf: ElfFile) {
    this.fileName = elf.fileName;
    const btfSection = findSection(elf, ".BTF");
    if (btfSection) {
      if (btfSection.type === SHT_NOBITS) this.fail(`section ${btfSection.index} (.BTF) has no contents`);
      this.btf = parseBtf(btfSection.data, this.fileName);
    }
  }

  load(): BpfObject {
    this.fixDataSections();
    this.legacyMaps();
    this.globalDataMaps();
    this.btfMaps();
    this.findFunctions();
    this.resolveFixups();
    const programs: ProgramDef[] = [];
    for (const list of this.funcs.values()) {
      for (const f of list) if (f.global && f.section.name !== ".text") programs.push(this.link(f));
    }
    if (programs.length === 0) {
      // an object whose only code is .text (no SEC()): its global functions are its programs, as bpftool and
      // libbpf take them; the conformance suite's runner writes such objects (`main` in .text)
      for (const list of this.funcs.values()) {
        for (const f of list) if (f.global && f.section.name === ".text") programs.push(this.link(f));
      }
    }
    this.btfMapSlots(programs);
    return {
      fileName: this.fileName,
      programs,
      maps: this.maps,
      license: this.license(),
      version: this.version(),
      btf: this.btf,
      sections: this.elf.sections.slice(1).map((s) => ({ name: s.name, type: s.type, size: s.size, flags: s.flags })),
    };
  }

  private fail(problem: string): never {
    throw new ElfError(this.fileName, problem);
  }

  private where(section: ElfSection): string {
    return `section ${section.index} (${section.name})`;
  }

  private contents(section: ElfSection): Uint8Array {
    if (section.type !== SHT_NOBITS) return section.data;
    if (section.size > MAX_ZERO_SECTION) this.fail(`${this.where(section)}: ${section.size} bytes is too large`);
    return new Uint8Array(section.size);
  }

  private license(): string {
    const section = findSection(this.elf, "license");
    if (!section) return "";
    const data = this.contents(section);
    const end = data.indexOf(0);
    return new TextDecoder().decode(data.subarray(0, end < 0 ? data.length : end));
  }

  private version(): number {
    const section = findSection(this.elf, "version");
    if (!section) return 0;
    const data = this.contents(section);
    if (data.length < 4) this.fail(`${this.where(section)}: ${data.length} bytes, expected a 4-byte version`);
    return new DataView(data.buffer, data.byteOffset, 4).getUint32(0, true);
  }

  private symbolsIn(section: ElfSection): ElfSymbol[] {
    return this.elf.symbols
      .filter((s) => s.shndx === section.index && s.type !== STT_SECTION && s.name !== "")
      .sort((a, b) => a.value - b.value);
  }

  private addMap(def: MapDef, section: ElfSection | undefined, offset: number): number {
    const index = this.maps.length;
    this.maps.push(def);
    if (section) this.mapAt.set(`${section.index}:${offset}`, index);
    return index;
  }

  /** clang leaves DATASEC sizes (and sometimes offsets) to the loader, as libbpf fills them in; so do we. */
  private fixDataSections(): void {
    if (!this.btf) return;
    for (const t of this.btf.types) {
      if (t.kind !== "datasec") continue;
      const section = findSection(this.elf, t.name);
      if (!section) continue;
      if (t.size === 0) t.size = section.size;
      for (const v of t.vars) {
        const variable = this.btf.get(v.type);
        const symbol = this.symbolsIn(section).find((s) => s.name === variable.name);
        if (symbol) v.offset = symbol.value;
        if (v.offset + v.size > t.size) {
          this.fail(
            `.BTF: variable ${variable.name} (${v.offset} + ${v.size}) is past the end of ${this.where(section)}`,
          );
        }
      }
    }
  }

  /** `struct bpf_map_def SEC("maps") name = {...}`: equal-sized records, one per symbol, named by the symbols. */
  private legacyMaps(): void {
    const section = findSection(this.elf, "maps");
    if (!section || section.size === 0) return;
    const symbols = this.symbolsIn(section);
    if (symbols.length === 0) this.fail(`${this.where(section)}: map definitions without symbols to name them`);
    const recordSize = section.size / symbols.length;
    if (!Number.isInteger(recordSize) || recordSize < 4) {
      this.fail(`${this.where(section)}: ${section.size} bytes do not divide into ${symbols.length} map definitions`);
    }
    const data = this.contents(section);
    const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
    for (const symbol of symbols) {
      if (symbol.value + recordSize > section.size) {
        this.fail(`${this.where(section)}: map ${symbol.name} at ${symbol.value} runs past the end of the section`);
      }
      const def: MapDef = {
        name: symbol.name,
        type: 0,
        keySize: 0,
        valueSize: 0,
        maxEntries: 0,
        flags: 0,
        section: "maps",
      };
      // Records shorter than struct bpf_map_def leave the missing fields zero; longer ones have extra fields
      // (inner map index, NUMA node, ...) that tinybpf does not use.
      LEGACY_MAP_FIELDS.forEach((field, i) => {
        if ((i + 1) * 4 <= recordSize) def[field] = view.getUint32(symbol.value + i * 4, true);
      });
      this.addMap(def, section, symbol.value);
    }
  }

  private globalDataMaps(): void {
    for (const section of this.elf.sections) {
      if (!isGlobalDataSection(section) || section.size === 0) continue;
      const readonly = section.name === ".rodata" || section.name.startsWith(".rodata.");
      const datasec = this.btf?.findByName(section.name, "datasec");
      this.addMap(
        {
          name: section.name,
          type: BPF_MAP_TYPE_ARRAY,
          keySize: 4,
          valueSize: section.size,
          maxEntries: 1,
          flags: BPF_F_MMAPABLE | (readonly ? BPF_F_RDONLY_PROG : 0),
          valueType: datasec?.id,
          initialData: this.contents(section).slice(),
          section: section.name,
          readonly,
          globalData: true,
        },
        section,
        0,
      );
    }
  }

  /** `struct { __uint(type, ...); __type(key, ...); ... } name SEC(".maps")`, described by BTF. */
  private btfMaps(): void {
    const section = findSection(this.elf, ".maps");
    if (!section || section.size === 0) return;
    const btf = this.btf ?? this.fail(`${this.where(section)}: BTF-defined maps need a .BTF section`);
    const datasec = btf.findByName(".maps", "datasec") ?? this.fail(".BTF: no DATASEC for the .maps section");
    const symbols = this.symbolsIn(section);
    for (const v of datasec.vars) {
      const variable = btf.get(v.type);
      if (variable.kind !== "var") this.fail(`.BTF: .maps entry type ${v.type} is a ${variable.kind}, not a variable`);
      const offset = symbols.find((s) => s.name === variable.name)?.value ?? v.offset;
      this.btfMap(variable.name, variable.type, section, offset, 0);
    }
  }

  private btfMap(name: string, typeId: number, section: ElfSection | undefined, offset: number, depth: number): number {
    const btf = this.btf!;
    const what = `map '${name}'`;
    const struct = btf.resolve(typeId);
    if (struct.kind !== "struct") this.fail(`.BTF: ${what} is a ${struct.kind}, not a struct`);
    const def: MapDef = { name, type: 0, keySize: 0, valueSize: 0, maxEntries: 0, flags: 0, section: ".maps" };
    let keySizeGiven = false;
    let valueSizeGiven = false;
    let inner: BtfType | undefined;
    let hasValues = false;
    for (const m of struct.members) {
      const member = btf.resolve(m.type);
      if (m.name in BTF_UINT_FIELDS) {
        // __uint(name, val) is `int (*name)[val]`: the value is the array's length.
        const array = member.kind === "ptr" ? btf.resolve(member.type) : undefined;
        if (!array || array.kind !== "array") this.fail(`.BTF: ${what}: field ${m.name} is not written as __uint()`);
        const field = BTF_UINT_FIELDS[m.name];
        if (field) (def[field] as number) = array.nelems;
        if (m.name === "key_size") keySizeGiven = true;
        if (m.name === "value_size") valueSizeGiven = true;
      } else if (m.name === "key" || m.name === "value") {
        if (member.kind !== "ptr") this.fail(`.BTF: ${what}: field ${m.name} is not written as __type()`);
        const size = btf.sizeOf(member.type);
        const given = m.name === "key" ? def.keySize : def.valueSize;
        if (given !== 0 && given !== size) {
          this.fail(`.BTF: ${what}: ${m.name} type has ${size} bytes but ${m.name}_size says ${given}`);
        }
        if (m.name === "key") [def.keySize, def.keyType] = [size, member.type];
        else [def.valueSize, def.valueType] = [size, member.type];
      } else if (m.name === "values") {
        // __array(values, T) is `T *values[]`: T is the inner map's definition (map-in-map) or a function (program array).
        const element = member.kind === "array" ? btf.resolve(member.elemType) : undefined;
        if (!element || element.kind !== "ptr") this.fail(`.BTF: ${what}: field values is not written as __array()`);
        const pointee = btf.resolve(element.type);
        if (pointee.kind === "struct") inner = pointee;
        else if (pointee.kind !== "func_proto") this.fail(`.BTF: ${what}: values of ${pointee.kind} type`);
        hasValues = true;
      } else {
        this.fail(`.BTF: ${what}: unknown field '${m.name}'`);
      }
    }
    if (hasValues) {
      const mapInMap = def.type === BPF_MAP_TYPE_ARRAY_OF_MAPS || def.type === BPF_MAP_TYPE_HASH_OF_MAPS;
      if (inner ? !mapInMap : def.type !== BPF_MAP_TYPE_PROG_ARRAY) {
        this.fail(`.BTF: ${what}: values of ${inner ? "maps" : "programs"} given for a map of type ${def.type}`);
      }
      if (!valueSizeGiven && def.valueSize === 0) def.valueSize = 4; // a map or program id
    }
    if (keySizeGiven && def.keyType !== undefined && btf.sizeOf(def.keyType) !== def.keySize) {
      this.fail(`.BTF: ${what}: key size mismatch`);
    }
    const index = this.addMap(def, section, offset);
    this.btfMapStructs.set(index, struct);
    if (inner) {
      if (depth > 0) this.fail(`.BTF: ${what}: maps of maps of maps are not supported`);
      def.innerMap = this.btfMap(`${name}.inner`, inner.id, undefined, 0, depth + 1);
    }
    return index;
  }

  /** Relocations in .maps: `.values = { [i] = &map_or_program }` of map-in-map and program array maps. */
  private btfMapSlots(programs: ProgramDef[]): void {
    const section = findSection(this.elf, ".maps");
    if (!section) return;
    const relocations = this.elf.relocations.get(section.index) ?? [];
    const symbols = this.symbolsIn(section);
    for (const r of relocations) {
      const what = `${this.where(section)}: relocation at offset 0x${r.offset.toString(16)}`;
      if (r.type === R_BPF_NONE) continue;
      if (r.type !== R_BPF_64_ABS64) this.fail(`${what}: type ${r.type}, expected R_BPF_64_ABS64 (${R_BPF_64_ABS64})`);
      const owner = symbols.find((s) => s.value <= r.offset && r.offset < s.value + s.size);
      const index = owner && this.mapAt.get(`${section.index}:${owner.value}`);
      if (index === undefined || !owner) this.fail(`${what}: not inside a map definition`);
      const def = this.maps[index];
      const values = this.btfMapStructs.get(index)?.members.find((m) => m.name === "values");
      const slotOffset = r.offset - owner.value - (values ? values.bitOffset / 8 : 0);
      if (!values || slotOffset < 0 || slotOffset % 8 !== 0) {
        this.fail(`${what}: not a slot of map '${def.name}' values`);
      }
      const slot = slotOffset / 8;
      if (slot >= def.maxEntries) {
        this.fail(`${what}: slot ${slot} of map '${def.name}' is past max_entries ${def.maxEntries}`);
      }
      const target = this.symbol(r, what);
      const entry: { slot: number; map?: number; program?: string } = { slot };
      if (def.type === BPF_MAP_TYPE_PROG_ARRAY) {
        if (!programs.some((p) => p.name === target.name)) this.fail(`${what}: '${target.name}' is not a program`);
        entry.program = target.name;
      } else {
        const map = this.mapAt.get(`${target.shndx}:${target.value}`);
        if (map === undefined) this.fail(`${what}: '${target.name}' is not a map`);
        entry.map = map;
      }
      (def.initialSlots ??= []).push(entry);
    }
  }

  private symbol(r: ElfRelocation, what: string): ElfSymbol {
    const symbol = this.elf.symbols[r.symbol];
    if (symbol.shndx === SHN_UNDEF) {
      this.fail(`${what}: reference to undefined symbol ${symbol.name ? `'${symbol.name}'` : `#${symbol.index}`}`);
    }
    if (symbol.shndx >= this.elf.sections.length) this.fail(`${what}: symbol '${symbol.name}' is in no section`);
    return symbol;
  }

  /** Functions of each executable section: its FUNC symbols, or the whole section when it has none. */
  private findFunctions(): void {
    for (const section of this.elf.sections) {
      if (section.index === 0 || (section.flags & SHF_EXECINSTR) === 0 || section.size === 0) continue;
      if (section.type !== SHT_PROGBITS) this.fail(`${this.where(section)}: executable but has no instructions`);
      if (section.size % INSN_SIZE !== 0) {
        this.fail(`${this.where(section)}: size ${section.size} is not a multiple of ${INSN_SIZE}`);
      }
      const symbols = this.symbolsIn(section).filter((s) => s.type === STT_FUNC);
      const sectionInsns = section.size / INSN_SIZE;
      const list: Func[] = [];
      if (symbols.length === 0) list.push({ name: section.name, section, start: 0, count: sectionInsns, global: true });
      symbols.forEach((s, i) => {
        if (s.value % INSN_SIZE !== 0 || s.size % INSN_SIZE !== 0) {
          this.fail(
            `${this.where(section)}: function ${s.name} at ${s.value} (size ${s.size}) is not instruction-aligned`,
          );
        }
        // A size-0 function symbol (hand-written assembly) runs to the next function or the section's end.
        const end = s.size > 0 ? s.value + s.size : (symbols[i + 1]?.value ?? section.size);
        if (end <= s.value) this.fail(`${this.where(section)}: function ${s.name} is empty`);
        const global = s.bind === STB_GLOBAL || s.bind === STB_WEAK;
        list.push({ name: s.name, section, start: s.value / INSN_SIZE, count: (end - s.value) / INSN_SIZE, global });
      });
      this.funcs.set(section.index, list);
    }
  }

  private funcContaining(section: ElfSection, insn: number): Func | undefined {
    return this.funcs.get(section.index)?.find((f) => f.start <= insn && insn < f.start + f.count);
  }

  /** Resolves every relocation and local call of every function once; refuses relocations that fit nothing. */
  private resolveFixups(): void {
    for (const [sectionIndex, list] of this.funcs) {
      const section = this.elf.sections[sectionIndex];
      const relocations = new Map<number, ElfRelocation>();
      for (const r of this.elf.relocations.get(sectionIndex) ?? []) {
        if (r.type === R_BPF_NONE) continue;
        if (relocations.has(r.offset)) {
          this.fail(`${this.where(section)}: two relocations at offset 0x${r.offset.toString(16)}`);
        }
        relocations.set(r.offset, r);
      }
      const used = new Set<number>();
      for (const f of list) {
        const fixups = new Map<number, Fixup>();
        for (let i = 0; i < f.count; i++) {
          const offset = (f.start + i) * INSN_SIZE;
          const r = relocations.get(offset);
          if (r) used.add(offset);
          const fixup = this.resolveInsn(f, i, r);
          if (fixup) fixups.set(i, fixup);
          if (section.data[offset] === OP_LDDW) i++; // the second slot is data, not an instruction
        }
        this.fixups.set(f, fixups);
      }
      for (const offset of relocations.keys()) {
        if (!used.has(offset)) {
          const at = `relocation at offset 0x${offset.toString(16)}`;
          this.fail(`${this.where(section)}: ${at} is not at the start of an instruction of any function`);
        }
      }
    }
  }

  private resolveInsn(f: Func, i: number, r: ElfRelocation | undefined): Fixup | undefined {
    const data = f.section.data;
    const offset = (f.start + i) * INSN_SIZE;
    const view = new DataView(data.buffer, data.byteOffset + offset, INSN_SIZE);
    const opcode = data[offset];
    const src = data[offset + 1] >> 4;
    const imm = view.getInt32(4, true);
    const what = `${this.where(f.section)}: instruction at offset 0x${offset.toString(16)} (in ${f.name})`;
    const isCall = opcode === OP_CALL && src === CALL_LOCAL;
    if (opcode === OP_LDDW && i + 1 >= f.count) this.fail(`${what}: lddw is cut off by the end of the function`);
    if (!r) {
      if (isCall) return this.codeTarget(f.section, f.start + i + imm + 1, "call", what);
      if (opcode === OP_LDDW && src !== 0) this.fail(`${what}: lddw with pseudo source ${src} but no relocation`);
      return undefined;
    }
    if (r.type === R_BPF_64_32) {
      if (!isCall) this.fail(`${what}: R_BPF_64_32 relocation on an instruction that is not a bpf-to-bpf call`);
      const symbol = this.symbol(r, what);
      const home = this.elf.sections[symbol.shndx];
      if ((home.flags & SHF_EXECINSTR) === 0 || symbol.value % INSN_SIZE !== 0) {
        this.fail(`${what}: call to '${symbol.name}', which is not a function`);
      }
      return this.codeTarget(home, symbol.value / INSN_SIZE + imm + 1, "call", what);
    }
    if (r.type !== R_BPF_64_64) this.fail(`${what}: relocation type ${r.type} does not apply to instructions`);
    if (opcode !== OP_LDDW) this.fail(`${what}: R_BPF_64_64 relocation on an instruction that is not lddw`);
    const symbol = this.symbol(r, what);
    const home = this.elf.sections[symbol.shndx];
    if ((home.flags & SHF_EXECINSTR) !== 0) {
      const byte = symbol.value + imm;
      if (byte % INSN_SIZE !== 0) this.fail(`${what}: address of '${symbol.name}' + ${imm} is not an instruction`);
      return this.codeTarget(home, byte / INSN_SIZE, "func", what);
    }
    if (home.name === "maps" || home.name === ".maps") {
      const map = this.mapAt.get(`${home.index}:${symbol.value}`);
      if (map === undefined) {
        this.fail(`${what}: '${symbol.name}' at ${symbol.value} in ${this.where(home)} is not a map definition`);
      }
      return { kind: "map", map };
    }
    if (isGlobalDataSection(home)) {
      const map = this.mapAt.get(`${home.index}:0`);
      const dataOffset = symbol.value + imm;
      if (map === undefined || dataOffset < 0 || dataOffset > home.size) {
        this.fail(
          `${what}: '${symbol.name || home.name}' + ${imm} is outside ${this.where(home)} (${home.size} bytes)`,
        );
      }
      return { kind: "data", map, offset: dataOffset };
    }
    const name = symbol.name || home.name;
    return this.fail(`${what}: lddw of '${name}' in ${this.where(home)}, which holds no maps, data or code`);
  }

  private codeTarget(section: ElfSection, insn: number, kind: "call" | "func", what: string): Fixup {
    const target = this.funcContaining(section, insn);
    if (!target) {
      const role = kind === "call" ? "call" : "function address";
      this.fail(`${what}: ${role} target ${insn} in ${this.where(section)} is not in any function`);
    }
    return { kind, target, targetInsn: insn };
  }

  /** Lays out the program and the functions it reaches, then copies them in with their fixups applied. */
  private link(main: Func): ProgramDef {
    const placed = new Map<Func, number>([[main, 0]]);
    const order: Func[] = [main];
    let total = main.count;
    for (let k = 0; k < order.length; k++) {
      for (const fixup of this.fixups.get(order[k])!.values()) {
        if ((fixup.kind === "call" || fixup.kind === "func") && !placed.has(fixup.target)) {
          placed.set(fixup.target, total);
          order.push(fixup.target);
          total += fixup.target.count;
        }
      }
    }
    const insns = new Uint8Array(total * INSN_SIZE);
    const view = new DataView(insns.buffer);
    for (const f of order) {
      const base = placed.get(f)!;
      insns.set(f.section.data.subarray(f.start * INSN_SIZE, (f.start + f.count) * INSN_SIZE), base * INSN_SIZE);
      for (const [i, fixup] of this.fixups.get(f)!) {
        const at = (base + i) * INSN_SIZE;
        const setSrc = (src: number) => (insns[at + 1] = (insns[at + 1] & 0x0f) | (src << 4));
        switch (fixup.kind) {
          case "call":
          case "func": {
            const target = placed.get(fixup.target)! + (fixup.targetInsn - fixup.target.start);
            view.setInt32(at + 4, target - (base + i) - 1, true);
            if (fixup.kind === "func") {
              setSrc(PSEUDO_FUNC);
              view.setInt32(at + 12, 0, true);
            }
            break;
          }
          case "map":
            setSrc(PSEUDO_MAP_FD);
            view.setInt32(at + 4, fixup.map, true);
            view.setInt32(at + 12, 0, true);
            break;
          case "data":
            setSrc(PSEUDO_MAP_VALUE);
            view.setInt32(at + 4, fixup.map, true);
            view.setInt32(at + 12, fixup.offset, true);
            break;
        }
      }
    }
    return {
      name: main.name,
      section: main.section.name,
      type: programTypeForSection(main.section.name),
      insns,
      insnCount: total,
      functions: order.map((f) => ({ name: f.name, start: placed.get(f)!, insnCount: f.count })),
    };
  }
}

function isGlobalDataSection(section: ElfSection): boolean {
  if (section.index === 0 || (section.flags & SHF_ALLOC) === 0 || (section.flags & SHF_EXECINSTR) !== 0) return false;
  if (section.type !== SHT_PROGBITS && section.type !== SHT_NOBITS) return false;
  return [".data", ".rodata", ".bss"].some(
    (prefix) => section.name === prefix || section.name.startsWith(prefix + "."),
  );
}
