import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { loadObject, type BpfObject, type ProgramDef } from "../../src/loader/loader.js";
import { decodeValue, encodeValue, parseBtf } from "../../src/loader/btf.js";
import { ElfError } from "../../src/loader/elf.js";
import { programTypeForSection } from "../../src/loader/program-types.js";
import { fixture } from "../support/paths.js";

// Expectations come from the C sources in test/fixtures/src (which maps and helpers each program uses, which
// function calls which), from Linux's uapi (map type numbers, struct __sk_buff offsets), and from a minimal ELF
// reader written here independently of src/loader/elf.ts (raw section and symbol bytes).

const read = (name: string) => new Uint8Array(readFileSync(fixture(name)));
const load = (name: string) => loadObject(read(name), name);
const VARIANTS = ["", ".v4"];

// ---- A minimal, independent ELF64 reader: section bytes and symbol ranges by name -----------------------------
interface RawSymbol {
  name: string;
  section: string;
  value: number;
  size: number;
  type: number;
}
function rawElf(bytes: Uint8Array) {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const shoff = Number(dv.getBigUint64(40, true));
  const shnum = dv.getUint16(60, true);
  const shstrndx = dv.getUint16(62, true);
  const hdr = (i: number) => {
    const at = shoff + i * 64;
    return {
      nameOff: dv.getUint32(at, true),
      type: dv.getUint32(at + 4, true),
      offset: Number(dv.getBigUint64(at + 24, true)),
      size: Number(dv.getBigUint64(at + 32, true)),
      link: dv.getUint32(at + 40, true),
    };
  };
  const cstr = (at: number) => {
    let end = at;
    while (bytes[end] !== 0) end++;
    return Buffer.from(bytes.subarray(at, end)).toString("latin1");
  };
  const names = hdr(shstrndx);
  const sections = Array.from({ length: shnum }, (_, i) => {
    const h = hdr(i);
    return { ...h, name: cstr(names.offset + h.nameOff), bytes: bytes.subarray(h.offset, h.offset + h.size) };
  });
  const symtab = sections.find((s) => s.type === 2)!;
  const strtab = sections[symtab.link];
  const symbols: RawSymbol[] = [];
  for (let at = symtab.offset; at < symtab.offset + symtab.size; at += 24) {
    const shndx = dv.getUint16(at + 6, true);
    symbols.push({
      name: cstr(strtab.offset + dv.getUint32(at, true)),
      section: shndx < shnum ? sections[shndx].name : "",
      value: Number(dv.getBigUint64(at + 8, true)),
      size: Number(dv.getBigUint64(at + 16, true)),
      type: bytes[at + 4] & 0xf,
    });
  }
  const section = (name: string) => sections.find((s) => s.name === name)!;
  const symbol = (name: string) => symbols.find((s) => s.name === name)!;
  const funcBytes = (name: string) => {
    const s = symbol(name);
    return section(s.section).bytes.subarray(s.value, s.value + s.size);
  };
  return { sections, symbols, section, symbol, funcBytes };
}

// ---- Instruction helpers ------------------------------------------------------------------------------------
interface Insn {
  pc: number;
  op: number;
  dst: number;
  src: number;
  off: number;
  imm: number;
  imm2: number;
}
function decode(p: ProgramDef): Insn[] {
  const dv = new DataView(p.insns.buffer, p.insns.byteOffset, p.insns.byteLength);
  const out: Insn[] = [];
  for (let pc = 0; pc < p.insnCount; pc++) {
    const at = pc * 8;
    const op = p.insns[at];
    out.push({
      pc,
      op,
      dst: p.insns[at + 1] & 0xf,
      src: p.insns[at + 1] >> 4,
      off: dv.getInt16(at + 2, true),
      imm: dv.getInt32(at + 4, true),
      imm2: op === 0x18 && pc + 1 < p.insnCount ? dv.getInt32(at + 12, true) : 0,
    });
    if (op === 0x18) pc++;
  }
  return out;
}
const prog = (o: BpfObject, name: string) => {
  const p = o.programs.find((q) => q.name === name);
  if (!p) throw new Error(`no program ${name} in ${o.fileName}`);
  return p;
};
const mapIndex = (o: BpfObject, name: string) => o.maps.findIndex((m) => m.name === name);
/** Names of the maps a program loads with lddw (PSEUDO_MAP_FD). */
const mapsUsed = (o: BpfObject, p: ProgramDef) =>
  new Set(
    decode(p)
      .filter((i) => i.op === 0x18 && i.src === 1)
      .map((i) => o.maps[i.imm].name),
  );
/** Helper ids a program calls. */
const helpersCalled = (p: ProgramDef) =>
  new Set(
    decode(p)
      .filter((i) => i.op === 0x85 && i.src === 0)
      .map((i) => i.imm),
  );
/** Name of the function that starts at a pc, from the program's function table. */
const functionAt = (p: ProgramDef, pc: number) => p.functions.find((f) => f.start === pc)?.name;
/** caller -> callees, following every bpf-to-bpf call to the function that starts at its target. */
function callGraph(p: ProgramDef): Record<string, string[]> {
  const graph: Record<string, string[]> = {};
  for (const i of decode(p)) {
    if (i.op !== 0x85 || i.src !== 1) continue;
    const caller = p.functions.find((f) => f.start <= i.pc && i.pc < f.start + f.insnCount)!.name;
    const callee = functionAt(p, i.pc + i.imm + 1);
    expect(callee, `call at ${i.pc} in ${p.name} lands at the start of a function`).toBeDefined();
    (graph[caller] ??= []).includes(callee!) || graph[caller].push(callee!);
  }
  return graph;
}
/** A function's bytes with the imm fields of calls and lddw zeroed: the parts relocation leaves alone. */
function withoutImms(code: Uint8Array): Uint8Array {
  const copy = code.slice();
  for (let at = 0; at + 8 <= copy.length; at += 8) {
    const op = copy[at];
    if (op === 0x85 || op === 0x18) copy.fill(0, at + 4, at + 8);
    if (op === 0x18) {
      copy[at + 1] &= 0x0f; // the loader sets the pseudo source
      copy.fill(0, at + 12, at + 16);
      at += 8;
    }
  }
  return copy;
}
function expectFunctionsCopied(file: string, p: ProgramDef) {
  const raw = rawElf(read(file));
  for (const f of p.functions) {
    const placed = p.insns.subarray(f.start * 8, (f.start + f.insnCount) * 8);
    expect(withoutImms(placed), `${f.name} copied into ${p.name}`).toEqual(withoutImms(raw.funcBytes(f.name)));
  }
}

describe.each(VARIANTS)("sockex1%s.o (legacy maps, socket filter)", (v) => {
  const file = `sockex1${v}.o`;
  const o = load(file);

  it("lists the sections", () => {
    const names = o.sections.map((s) => s.name);
    for (const n of ["socket1", ".relsocket1", "maps", "license", "version", ".BTF", ".symtab", ".strtab"])
      expect(names).toContain(n);
    const raw = rawElf(read(file));
    expect(o.sections.length).toBe(raw.sections.length - 1);
    expect(o.sections.find((s) => s.name === "socket1")!.size).toBe(raw.section("socket1").size);
    expect(o.sections.find((s) => s.name === "socket1")!.flags & 0x6).toBe(0x6); // SHF_ALLOC | SHF_EXECINSTR
  });

  it("reads license and version", () => {
    expect(o.license).toBe("GPL");
    expect(o.version).toBe(0x050a00);
  });

  it("reads the bpf_map_def record", () => {
    expect(o.maps).toHaveLength(1);
    expect(o.maps[0]).toMatchObject({
      name: "my_map",
      type: 2,
      keySize: 4,
      valueSize: 8,
      maxEntries: 256,
      flags: 0,
      section: "maps",
    });
  });

  it("finds the program with its type and code", () => {
    expect(o.programs.map((p) => [p.name, p.section, p.type])).toEqual([["bpf_prog1", "socket1", "socket_filter"]]);
    const p = o.programs[0];
    const raw = rawElf(read(file));
    expect(p.insnCount).toBe(raw.section("socket1").size / 8);
    expect(p.insns.length).toBe(p.insnCount * 8);
    expect(p.functions).toEqual([{ name: "bpf_prog1", start: 0, insnCount: p.insnCount }]);
    // load_byte(skb, 14 + 9) is LD_ABS | B with imm 23
    expect(decode(p).some((i) => i.op === 0x30 && i.imm === 23)).toBe(true);
    expectFunctionsCopied(file, p);
  });

  it("turns the map relocation into lddw PSEUDO_MAP_FD with the map index", () => {
    const p = o.programs[0];
    const lddws = decode(p).filter((i) => i.op === 0x18);
    expect(lddws).toHaveLength(1);
    expect(lddws[0]).toMatchObject({ src: 1, imm: 0, imm2: 0 });
    expect(helpersCalled(p)).toEqual(new Set([1]));
  });

  it("decodes struct __sk_buff from BTF at Linux's offsets", () => {
    const btf = o.btf!;
    const skb = btf.findByName("__sk_buff", "struct")!;
    expect(btf.sizeOf(skb.id)).toBe(192);
    const bytes = new Uint8Array(192);
    const dv = new DataView(bytes.buffer);
    dv.setUint32(0, 1500, true); // len
    dv.setUint32(4, 4, true); // pkt_type
    dv.setUint32(48 + 8, 77, true); // cb[2]
    dv.setUint32(76, 0x1000, true); // data
    dv.setBigUint64(144, 0xdeadbeefn, true); // flow_keys (in an anonymous union)
    dv.setBigUint64(152, 123456789012345n, true); // tstamp
    bytes[180] = 3; // tstamp_type
    dv.setBigUint64(184, 42n, true); // hwtstamp
    const value = decodeValue(btf, skb.id, bytes) as Record<string, unknown>;
    expect(value).toMatchObject({
      len: 1500,
      pkt_type: 4,
      mark: 0,
      cb: [0, 0, 77, 0, 0],
      data: 0x1000,
      flow_keys: 0xdeadbeefn,
      tstamp: 123456789012345n,
      tstamp_type: 3,
      hwtstamp: 42n,
    });
    expect(encodeValue(btf, skb.id, value)).toEqual(bytes);
  });
});

describe.each(VARIANTS)("bitehist%s.o (BTF map, .text subprograms)", (v) => {
  const file = `bitehist${v}.o`;
  const o = load(file);

  it("reads the BTF map definition", () => {
    expect(o.maps).toHaveLength(1);
    expect(o.maps[0]).toMatchObject({
      name: "dist",
      type: 1,
      keySize: 4,
      valueSize: 8,
      maxEntries: 64,
      flags: 0,
      section: ".maps",
    });
    expect(o.license).toBe("GPL");
  });

  it("decodes and encodes keys and values with the map's BTF types", () => {
    const { keyType, valueType } = o.maps[0];
    const btf = o.btf!;
    expect(btf.typeName(keyType!)).toBe("struct hist_key");
    expect(decodeValue(btf, keyType!, new Uint8Array([5, 0, 0, 0]))).toEqual({ slot: 5 });
    expect(encodeValue(btf, keyType!, { slot: 0x01020304 })).toEqual(new Uint8Array([4, 3, 2, 1]));
    expect(decodeValue(btf, valueType!, new Uint8Array([1, 0, 0, 0, 0, 0, 0, 0x80]))).toBe(0x8000000000000001n);
    expect(encodeValue(btf, valueType!, 2n ** 64n - 1n)).toEqual(new Uint8Array(8).fill(0xff));
    expect(() => encodeValue(btf, valueType!, -1)).toThrow(RangeError);
    expect(() => encodeValue(btf, keyType!, { nope: 1 })).toThrow(TypeError);
  });

  it("appends log2l and log2 and points the calls at them", () => {
    const p = prog(o, "bitehist");
    expect(p.type).toBe("raw");
    expect(p.functions.map((f) => f.name)).toEqual(["bitehist", "log2l", "log2"]);
    const raw = rawElf(read(file));
    const own = raw.symbol("bitehist").size / 8;
    expect(p.functions[0]).toEqual({ name: "bitehist", start: 0, insnCount: own });
    expect(p.insnCount).toBe(own + (raw.symbol("log2l").size + raw.symbol("log2").size) / 8);
    expect(callGraph(p)).toEqual({ bitehist: ["log2l"], log2l: ["log2"] });
    expectFunctionsCopied(file, p);
    const lddws = decode(p).filter((i) => i.op === 0x18);
    expect(lddws.length).toBeGreaterThan(0);
    for (const l of lddws) expect(l).toMatchObject({ src: 1, imm: mapIndex(o, "dist"), imm2: 0 });
    expect(helpersCalled(p)).toEqual(new Set([1, 2]));
  });
});

describe.each(VARIANTS)("calls%s.o (bpf-to-bpf calls)", (v) => {
  const file = `calls${v}.o`;
  const o = load(file);

  it("links every program with exactly the functions it reaches", () => {
    expect(o.programs.map((p) => p.name)).toEqual(["calls_main", "calls_local", "calls_deep"]);
    expect(o.maps).toEqual([]);
    const main = prog(o, "calls_main");
    expect(callGraph(main)).toEqual({ calls_main: ["checksum"], checksum: ["fold"], fold: ["mix"] });
    expect(main.functions.map((f) => f.name).sort()).toEqual(["calls_main", "checksum", "fold", "mix"]);
    // a static function in the program's own section, which then calls into .text
    const local = prog(o, "calls_local");
    expect(callGraph(local)).toEqual({ calls_local: ["twice_len"], twice_len: ["mix"] });
    const deep = prog(o, "calls_deep");
    expect(callGraph(deep)).toEqual({
      calls_deep: ["depth5"],
      depth5: ["depth4"],
      depth4: ["depth3"],
      depth3: ["depth2"],
      depth2: ["depth1"],
    });
    for (const p of o.programs) {
      expectFunctionsCopied(file, p);
      const raw = rawElf(read(file));
      const expected = p.functions.reduce((n, f) => n + raw.symbol(f.name).size / 8, 0);
      expect(p.insnCount).toBe(expected);
    }
  });

  it("places each function once even when called from many places", () => {
    const main = prog(o, "calls_main");
    const mixCalls = decode(main).filter(
      (i) => i.op === 0x85 && i.src === 1 && functionAt(main, i.pc + i.imm + 1) === "mix",
    );
    expect(mixCalls.length).toBeGreaterThan(1);
    expect(main.functions.filter((f) => f.name === "mix")).toHaveLength(1);
  });
});

describe.each(VARIANTS)("globals%s.o (global data)", (v) => {
  const file = `globals${v}.o`;
  const o = load(file);
  const raw = rawElf(read(file));

  it("makes one single-entry ARRAY map per global data section", () => {
    expect(o.maps.map((m) => m.name).sort()).toEqual([".bss", ".data", ".rodata", ".rodata.str1.1"]);
    for (const m of o.maps) {
      expect(m).toMatchObject({ type: 2, keySize: 4, maxEntries: 1, globalData: true, section: m.name });
      expect(m.valueSize).toBe(raw.section(m.name).size);
      expect(m.readonly).toBe(m.name.startsWith(".rodata"));
      expect(m.flags & 0x80).toBe(m.readonly ? 0x80 : 0);
    }
    const byName = (n: string) => o.maps[mapIndex(o, n)];
    expect(byName(".data").initialData).toEqual(new Uint8Array([5, 0, 0, 0]));
    expect(byName(".bss").initialData).toEqual(new Uint8Array(raw.section(".bss").size));
    expect(Buffer.from(byName(".rodata.str1.1").initialData!).toString("latin1")).toBe("wxyz\0");
    const rodata = byName(".rodata").initialData!;
    expect(Buffer.from(rodata).toString("latin1")).toContain("hello, tinybpf");
    expect(new DataView(rodata.buffer, rodata.byteOffset).getUint32(raw.symbol("scale").value, true)).toBe(3);
  });

  it("decodes global data through the BTF DATASEC", () => {
    const btf = o.btf!;
    const byName = (n: string) => o.maps[mapIndex(o, n)];
    expect(decodeValue(btf, byName(".data").valueType!, byName(".data").initialData!)).toEqual({ counter: 5 });
    expect(decodeValue(btf, byName(".rodata").valueType!, byName(".rodata").initialData!)).toEqual({
      scale: 3,
      greeting: "hello, tinybpf",
    });
    const bss = byName(".bss");
    const encoded = encodeValue(btf, bss.valueType!, { total: 7n, last: "hi" });
    expect(encoded.length).toBe(bss.valueSize);
    expect(encoded[raw.symbol("last").value]).toBe("h".charCodeAt(0));
    expect(new DataView(encoded.buffer).getBigUint64(raw.symbol("total").value, true)).toBe(7n);
    expect(decodeValue(btf, bss.valueType!, encoded)).toEqual({ total: 7n, last: "hi" });
  });

  it("turns data references into lddw PSEUDO_MAP_VALUE with the byte offset", () => {
    const p = prog(o, "globals");
    const refs = decode(p)
      .filter((i) => i.op === 0x18)
      .map((i) => ({ src: i.src, map: o.maps[i.imm].name, offset: i.imm2 }));
    const rodata = o.maps[mapIndex(o, ".rodata")].initialData!;
    const greetingAt = Buffer.from(rodata).indexOf("hello, tinybpf");
    expect(refs).toEqual(
      expect.arrayContaining([
        { src: 2, map: ".data", offset: raw.symbol("counter").value },
        { src: 2, map: ".rodata", offset: raw.symbol("scale").value },
        { src: 2, map: ".rodata", offset: greetingAt },
        { src: 2, map: ".bss", offset: raw.symbol("total").value },
        { src: 2, map: ".bss", offset: raw.symbol("last").value },
        { src: 2, map: ".rodata.str1.1", offset: 0 },
      ]),
    );
    expect(refs.every((r) => r.src === 2)).toBe(true);
    expect(o.license).toBe("Dual MIT/GPL");
  });
});

describe.each(VARIANTS)("maps_all%s.o (every map type)", (v) => {
  const o = load(`maps_all${v}.o`);
  const def = (name: string) => o.maps[mapIndex(o, name)];

  it("reads each map definition with Linux's type numbers", () => {
    const expected: Record<string, [number, number, number, number, number]> = {
      // name: type, key size, value size, max entries, flags
      array: [2, 4, 8, 4, 0],
      pcpu_array: [6, 4, 8, 4, 0],
      hash: [1, 4, 8, 128, 0],
      pcpu_hash: [5, 4, 8, 128, 0],
      lru_hash: [9, 4, 8, 8, 0],
      lru_pcpu_hash: [10, 4, 8, 8, 0],
      routes: [11, 8, 4, 16, 1],
      fifo: [22, 0, 4, 8, 0],
      lifo: [23, 0, 4, 8, 0],
      events: [27, 0, 0, 4096, 0],
      perf: [4, 4, 4, 0, 0],
      progs: [3, 4, 4, 2, 0],
      outer_array: [12, 4, 4, 2, 0],
      outer_hash: [13, 4, 4, 4, 0],
      inner_a: [2, 4, 8, 2, 0],
      inner_b: [2, 4, 8, 2, 0],
    };
    for (const [name, [type, keySize, valueSize, maxEntries, flags]] of Object.entries(expected)) {
      expect(def(name), name).toMatchObject({ type, keySize, valueSize, maxEntries, flags, section: ".maps" });
    }
    expect(o.maps.filter((m) => !m.name.endsWith(".inner")).length).toBe(Object.keys(expected).length);
  });

  it("describes inner maps and the .values initializers", () => {
    for (const outer of ["outer_array", "outer_hash"]) {
      const inner = o.maps[def(outer).innerMap!];
      expect(inner).toMatchObject({ name: `${outer}.inner`, type: 2, keySize: 4, valueSize: 8, maxEntries: 2 });
    }
    expect(def("outer_array").initialSlots).toEqual([{ slot: 0, map: mapIndex(o, "inner_a") }]);
    expect(def("outer_hash").initialSlots).toBeUndefined();
    expect(def("progs").initialSlots).toEqual([{ slot: 0, program: "touch_arrays" }]);
  });

  it("decodes the LPM key struct", () => {
    const btf = o.btf!;
    const key = decodeValue(btf, def("routes").keyType!, new Uint8Array([24, 0, 0, 0, 10, 0, 0, 1]));
    // u8 arrays are numbers, not text: only char arrays become strings
    expect(key).toEqual({ prefixlen: 24, addr: [10, 0, 0, 1] });
    expect(encodeValue(btf, def("routes").keyType!, { prefixlen: 32, addr: [192, 168, 1, 2] })).toEqual(
      new Uint8Array([32, 0, 0, 0, 192, 168, 1, 2]),
    );
  });

  it("points each program's lddw at the maps its source uses", () => {
    const used = (name: string) => [...mapsUsed(o, prog(o, name))].sort();
    expect(used("touch_arrays")).toEqual(["array", "pcpu_array"]);
    expect(used("touch_hashes")).toEqual(["hash", "lru_hash", "lru_pcpu_hash", "pcpu_hash"]);
    expect(used("touch_lpm")).toEqual(["routes"]);
    expect(used("touch_queues")).toEqual(["fifo", "lifo"]);
    expect(used("touch_events")).toEqual(["events", "perf"]);
    expect(used("touch_outer")).toEqual(["outer_array", "outer_hash"]);
    expect(used("touch_progs")).toEqual(["progs"]);
    expect(helpersCalled(prog(o, "touch_progs"))).toEqual(new Set([12]));
    expect(helpersCalled(prog(o, "touch_queues"))).toEqual(new Set([87, 88]));
  });
});

describe.each(VARIANTS)("tailcall%s.o (program array)", (v) => {
  const o = load(`tailcall${v}.o`);

  it("finds several programs in one section and presets the program array", () => {
    expect(o.programs.map((p) => `${p.section}:${p.name}`).sort()).toEqual([
      "raw/entry:entry",
      "raw/spin:spin",
      "raw/step:step0",
      "raw/step:step1",
    ]);
    const jmp = o.maps[mapIndex(o, "jmp_table")];
    expect(jmp).toMatchObject({ type: 3, keySize: 4, valueSize: 4, maxEntries: 4 });
    expect(jmp.initialSlots).toEqual([
      { slot: 0, program: "step0" },
      { slot: 1, program: "step1" },
      { slot: 2, program: "spin" },
    ]);
    for (const name of ["entry", "step0", "spin"]) {
      expect(helpersCalled(prog(o, name))).toEqual(new Set([12]));
      expect(mapsUsed(o, prog(o, name))).toEqual(new Set(["jmp_table"]));
    }
    expect(
      decodeValue(o.btf!, o.maps[mapIndex(o, ".bss")].valueType!, new Uint8Array([2, 0, 0, 0, 34, 0, 0, 0])),
    ).toEqual({ hops: 2, spins: 34 });
  });
});

describe.each(VARIANTS)("ringbuf%s.o and xdp%s.o", (v) => {
  it("reads the ring buffer map and its helpers", () => {
    const o = load(`ringbuf${v}.o`);
    expect(o.maps).toHaveLength(1);
    expect(o.maps[0]).toMatchObject({ name: "events", type: 27, keySize: 0, valueSize: 0, maxEntries: 4096 });
    expect(helpersCalled(prog(o, "produce"))).toEqual(new Set([130, 131, 132, 133]));
    expect(helpersCalled(prog(o, "avail"))).toEqual(new Set([134]));
  });

  it("reads the XDP program", () => {
    const o = load(`xdp${v}.o`);
    expect(o.programs.map((p) => [p.name, p.type])).toEqual([["xdp_parse", "xdp"]]);
    expect(o.maps).toHaveLength(1);
    expect(o.maps[0]).toMatchObject({ name: "stats", type: 6, keySize: 4, valueSize: 8, maxEntries: 2 });
    expect(mapsUsed(o, o.programs[0])).toEqual(new Set(["stats"]));
    const xdpMd = o.btf!.findByName("xdp_md", "struct")!;
    expect(decodeValue(o.btf!, xdpMd.id, new Uint8Array(24).fill(1, 4, 5))).toEqual({
      data: 0,
      data_end: 1,
      data_meta: 0,
      ingress_ifindex: 0,
      rx_queue_index: 0,
      egress_ifindex: 0,
    });
  });
});

describe.each(VARIANTS)("helpers%s.o (one program per helper)", (v) => {
  const file = `helpers${v}.o`;
  const o = load(file);

  it("calls the helpers each program's source calls", () => {
    const expected: Record<string, number[]> = {
      ids: [2, 5, 7, 8, 14, 15, 118, 125],
      comm: [1, 16],
      printk: [6],
      probes: [1, 4, 112, 113, 114, 115],
      parse_numbers: [2, 105, 106],
      format: [1, 165],
      sum_loop: [181],
      sum_map: [164],
      queue_ops: [87, 88, 89],
      ring_ops: [130, 131, 132, 133, 134],
      perf_out: [25],
      tail: [12],
      tail_target: [],
      skb_bytes: [26],
    };
    expect(o.programs.map((p) => p.name).sort()).toEqual(Object.keys(expected).sort());
    for (const [name, ids] of Object.entries(expected))
      expect(
        [...helpersCalled(prog(o, name))].sort((a, b) => a - b),
        name,
      ).toEqual(ids);
    expect(prog(o, "skb_bytes").type).toBe("socket_filter");
    expect(o.maps[mapIndex(o, "jumps")].initialSlots).toEqual([{ slot: 0, program: "tail_target" }]);
  });

  it("turns callback addresses into lddw PSEUDO_FUNC pointing at the appended callback", () => {
    for (const [name, callback] of [
      ["sum_loop", "add_byte"],
      ["sum_map", "add_value"],
    ]) {
      const p = prog(o, name);
      const funcs = decode(p).filter((i) => i.op === 0x18 && i.src === 4);
      expect(funcs, name).toHaveLength(1);
      expect(functionAt(p, funcs[0].pc + funcs[0].imm + 1)).toBe(callback);
      expect(funcs[0].imm2).toBe(0);
      expect(p.functions.map((f) => f.name)).toEqual([name, callback]);
      expectFunctionsCopied(file, p);
    }
  });

  it("decodes a struct with char arrays and a char-array map value", () => {
    const btf = o.btf!;
    const copies = o.maps[mapIndex(o, "copies")];
    const value = { a: 1n, b: 2n, c: 2n ** 63n, s: "abc", t: "" };
    const bytes = encodeValue(btf, copies.valueType!, value);
    expect(bytes.length).toBe(56);
    expect(Array.from(bytes.subarray(24, 28))).toEqual([97, 98, 99, 0]);
    expect(decodeValue(btf, copies.valueType!, bytes)).toEqual(value);
    const comm = o.maps[mapIndex(o, "comm_out")];
    expect(decodeValue(btf, comm.valueType!, new TextEncoder().encode("bash\0\0\0\0\0\0\0\0\0\0\0\0"))).toBe("bash");
    // not printable: the bytes stay numbers
    const binary = new Uint8Array(16).fill(0xff);
    expect(decodeValue(btf, comm.valueType!, binary)).toEqual(Array(16).fill(-1));
    expect(() => encodeValue(btf, comm.valueType!, "x".repeat(17))).toThrow(RangeError);
  });
});

describe("v4ops (signed loads, movsx, sdiv/smod, bswap)", () => {
  it("keeps v4 instructions as clang wrote them and links .bss references", () => {
    const v4 = prog(load("v4ops.v4.o"), "v4ops");
    const v3 = prog(load("v4ops.o"), "v4ops");
    const ops = (p: ProgramDef) => decode(p);
    // LDX | MEMSX with sizes B, H, W
    for (const op of [0x91, 0x89, 0x81])
      expect(
        ops(v4).some((i) => i.op === op),
        `opcode ${op.toString(16)}`,
      ).toBe(true);
    expect(ops(v4).some((i) => i.op === 0xbf && i.off === 8)).toBe(true); // movsx8
    expect(ops(v4).some((i) => (i.op & 0xf7) === 0x37 && i.off === 1)).toBe(true); // sdiv
    expect(ops(v4).some((i) => (i.op & 0xf7) === 0x94 && i.off === 1)).toBe(true); // smod (ALU32, imm)
    expect(ops(v4).some((i) => i.op === 0xd7 && i.imm === 32)).toBe(true); // bswap32
    expect(ops(v3).some((i) => (i.op & 0xe7) === 0x81)).toBe(false); // no MEMSX loads before v4
    for (const p of [v3, v4]) {
      const refs = ops(p).filter((i) => i.op === 0x18);
      expect(refs.length).toBeGreaterThan(0);
      for (const r of refs) expect(r).toMatchObject({ src: 2 });
    }
  });
});

describe("loader fallbacks", () => {
  it("treats an executable section without function symbols as one program named after the section", () => {
    const bytes = read("sockex1.o");
    const raw = rawElf(bytes);
    // make bpf_prog1 an STT_NOTYPE symbol: the section then has no function symbols
    const symtab = raw.sections.find((s) => s.type === 2)!;
    const index = raw.symbols.findIndex((s) => s.name === "bpf_prog1");
    bytes[symtab.offset + index * 24 + 4] &= 0xf0;
    const o = loadObject(bytes, "nofunc.o");
    expect(o.programs.map((p) => [p.name, p.section, p.type, p.insnCount])).toEqual([
      ["socket1", "socket1", "socket_filter", raw.section("socket1").size / 8],
    ]);
  });

  it("refuses an lddw with a pseudo source but no relocation", () => {
    const bytes = read("calls.o");
    const raw = rawElf(bytes);
    // calls.o has no lddw at all: turn the first instruction of calls_deep into lddw with src_reg 1
    const at = raw.section("raw").offset + raw.symbol("calls_deep").value;
    bytes[at] = 0x18;
    bytes[at + 1] = 0x10;
    expect(() => loadObject(bytes, "pseudo.o")).toThrow(
      /^pseudo\.o: section \d+ \(raw\): instruction at offset 0x[0-9a-f]+ \(in calls_deep\): lddw with pseudo source 1 but no relocation$/,
    );
  });
});

describe("program types from section names (libbpf's table)", () => {
  it("types each program of sections.o", () => {
    for (const v of VARIANTS) {
      const o = load(`sections${v}.o`);
      expect(Object.fromEntries(o.programs.map((p) => [p.section, p.type]))).toEqual({
        socket: "socket_filter",
        "kprobe/do_sys_open": "kprobe",
        "kretprobe/do_sys_open": "kprobe",
        "uprobe/usr/bin/true:main": "kprobe",
        "tracepoint/syscalls/sys_enter_openat": "tracepoint",
        "tp/sched/sched_switch": "tracepoint",
        "raw_tracepoint/sched_switch": "raw_tracepoint",
        "raw_tp/sched_wakeup": "raw_tracepoint",
        tc: "sched_cls",
        classifier: "sched_cls",
        perf_event: "perf_event",
        xdp: "xdp",
        "fentry/do_unlinkat": "tracing",
        "cgroup_skb/ingress": "cgroup_skb",
        "lsm/file_open": "lsm",
        my_custom_section: "unspec",
      });
    }
  });

  it("matches like libbpf: exact names, name/ prefixes, and pre-1.0 prefixes", () => {
    expect(programTypeForSection("kprobe")).toBe("kprobe");
    expect(programTypeForSection("kprobex")).toBe("unspec");
    expect(programTypeForSection("socket1")).toBe("socket_filter");
    expect(programTypeForSection("xdp.frags")).toBe("xdp");
    expect(programTypeForSection("xdp_sock")).toBe("xdp");
    expect(programTypeForSection("tc/ingress")).toBe("sched_cls");
    expect(programTypeForSection("sk_skb/stream_parser")).toBe("sk_skb");
    expect(programTypeForSection("raw_tp.w/foo")).toBe("raw_tracepoint_writable");
    expect(programTypeForSection("cgroup/connect4")).toBe("cgroup_sock_addr");
    // tinybpf's own section for programs of raw memory (libbpf does not know it)
    expect(programTypeForSection("raw")).toBe("raw");
    expect(programTypeForSection("raw/entry")).toBe("raw");
    expect(programTypeForSection("rawx")).toBe("unspec");
  });
});

// ---- BTF: every kind, from a blob written here --------------------------------------------------------------
/**
 * Writes a .BTF section. `strings` is the string section (after the leading empty string); `types` are
 * [name, info (kind << 24 | flags | vlen), size-or-type, ...extra u32s], names given as strings.
 */
function btfBlob(strings: string[], types: [string, number, number, ...number[]][]): Uint8Array {
  const words: number[] = [];
  for (const [name, info, sizeOrType, ...extra] of types) words.push(strOff(strings, name), info, sizeOrType, ...extra);
  const typeBytes = new Uint8Array(words.length * 4);
  const tdv = new DataView(typeBytes.buffer);
  words.forEach((w, i) => tdv.setUint32(i * 4, w >>> 0, true));
  const strBytes = new TextEncoder().encode(["", ...strings].join("\0") + "\0");
  const out = new Uint8Array(24 + typeBytes.length + strBytes.length);
  const dv = new DataView(out.buffer);
  dv.setUint16(0, 0xeb9f, true);
  out[2] = 1;
  dv.setUint32(4, 24, true); // header length
  dv.setUint32(8, 0, true); // type section offset
  dv.setUint32(12, typeBytes.length, true);
  dv.setUint32(16, typeBytes.length, true); // string section offset
  dv.setUint32(20, strBytes.length, true);
  out.set(typeBytes, 24);
  out.set(strBytes, 24 + typeBytes.length);
  return out;
}
/** Offset of a name in the string section that btfBlob writes (the empty string first). */
function strOff(strings: string[], name: string): number {
  if (name === "") return 0;
  const i = strings.indexOf(name);
  if (i < 0) throw new Error(`add "${name}" to the strings`);
  return strings.slice(0, i).reduce((n, s) => n + Buffer.byteLength(s) + 1, 1);
}

describe("BTF kinds and values", () => {
  const K = (kind: number, vlen = 0, kindFlag = false) => ((kindFlag ? 0x80000000 : 0) | (kind << 24) | vlen) >>> 0;
  const names = [
    "int",
    "unsigned int",
    "long long",
    "char",
    "_Bool",
    "u32",
    "color",
    "RED",
    "GREEN",
    "big",
    "HUGE",
    "flags",
    "lo",
    "hi",
    "mode",
    "pt",
    "x",
    "y",
    "val",
    "as_int",
    "as_bytes",
    "float",
    "double",
    "fwd_s",
    "f",
    "proto",
    "arg",
    "v",
    "DATASEC",
    "tag",
    "ok",
  ];
  const off: Record<string, number> = Object.fromEntries(names.map((n) => [n, strOff(names, n)]));
  const blob = btfBlob(names, [
    ["int", K(1), 4, (1 << 24) | 32], // 1 int (signed)
    ["unsigned int", K(1), 4, 32], // 2
    ["long long", K(1), 8, (1 << 24) | 64], // 3
    ["char", K(1), 1, (1 << 24) | 8], // 4
    ["_Bool", K(1), 1, (4 << 24) | 8], // 5
    ["u32", K(8), 2], // 6 typedef -> unsigned int
    ["color", K(6, 2), 4, off.RED, 0, off.GREEN, 7], // 7 enum
    ["big", K(19, 1, true), 8, off.HUGE, 0, 0x80000000], // 8 enum64, signed: HUGE = -2^63
    [
      "flags",
      K(4, 4, true),
      8,
      off.lo,
      2,
      (3 << 24) | 0,
      off.hi,
      2,
      (5 << 24) | 3,
      off.mode,
      7,
      (8 << 24) | 32,
      off.ok,
      1,
      (1 << 24) | 40,
    ], // 9 struct with bitfields
    ["pt", K(4, 2), 8, off.x, 1, 0, off.y, 1, 32], // 10 struct { int x, y }
    ["", K(3), 0, 4, 2, 8], // 11 char[8]
    ["val", K(5, 2), 8, off.as_int, 3, 0, off.as_bytes, 11, 0], // 12 union
    ["float", K(16), 4], // 13
    ["double", K(16), 8], // 14
    ["fwd_s", K(7), 0], // 15 fwd
    ["", K(2), 10], // 16 ptr -> pt
    ["", K(10), 6], // 17 const u32
    ["", K(9), 17], // 18 volatile const u32
    ["", K(11), 16], // 19 restrict ptr
    ["", K(13, 1), 1, off.arg, 16], // 20 func_proto int (pt *arg)
    ["f", K(12, 1), 20], // 21 func, global
    ["v", K(14), 10, 1], // 22 var pt v (global)
    ["DATASEC", K(15, 1), 8, 22, 0, 8], // 23 datasec
    ["tag", K(17), 21, -1 >>> 0], // 24 decl_tag on f
    ["tag", K(18), 10], // 25 type_tag -> pt
    ["", K(3), 0, 6, 2, 3], // 26 u32[3]
  ]);
  const btf = parseBtf(blob, "test.o");

  it("parses every kind", () => {
    expect(btf.types.map((t) => t.kind)).toEqual([
      "void",
      "int",
      "int",
      "int",
      "int",
      "int",
      "typedef",
      "enum",
      "enum64",
      "struct",
      "struct",
      "array",
      "union",
      "float",
      "float",
      "fwd",
      "ptr",
      "const",
      "volatile",
      "restrict",
      "func_proto",
      "func",
      "var",
      "datasec",
      "decl_tag",
      "type_tag",
      "array",
    ]);
    expect(btf.get(24).componentIdx).toBe(-1);
    expect(btf.get(21).linkage).toBe(1);
    expect(btf.get(20).params).toEqual([{ name: "arg", type: 16 }]);
    expect(btf.resolve(18).name).toBe("unsigned int");
    expect(btf.sizeOf(18)).toBe(4);
    expect(btf.sizeOf(19)).toBe(8);
    expect(btf.sizeOf(26)).toBe(12);
    expect(btf.sizeOf(25)).toBe(8);
    expect(btf.typeName(16)).toBe("struct pt *");
    expect(btf.typeName(26)).toBe("u32[3]");
    expect(() => btf.sizeOf(15)).toThrow(ElfError);
    expect(() => btf.sizeOf(21)).toThrow(ElfError);
  });

  it("decodes ints, enums, bitfields, unions, floats, pointers and datasecs", () => {
    const bytes = (...b: number[]) => new Uint8Array(b);
    expect(decodeValue(btf, 1, bytes(0xff, 0xff, 0xff, 0xff))).toBe(-1);
    expect(decodeValue(btf, 6, bytes(0xff, 0xff, 0xff, 0xff))).toBe(0xffffffff);
    expect(decodeValue(btf, 3, bytes(0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff))).toBe(-2n);
    expect(decodeValue(btf, 5, bytes(1))).toBe(true);
    expect(decodeValue(btf, 7, bytes(7, 0, 0, 0))).toBe("GREEN");
    expect(decodeValue(btf, 7, bytes(9, 0, 0, 0))).toBe(9);
    expect(decodeValue(btf, 8, bytes(0, 0, 0, 0, 0, 0, 0, 0x80))).toBe("HUGE");
    // flags: lo = bits 0-2, hi = bits 3-7 (unsigned), mode = 8-bit enum bitfield at bit 32, ok = signed 1-bit int at bit 40
    const f = bytes(0b10101_110, 0, 0, 0, 7, 0xff, 0, 0);
    expect(decodeValue(btf, 9, f)).toEqual({ lo: 6, hi: 21, mode: "GREEN", ok: -1 });
    expect(encodeValue(btf, 9, { lo: 6, hi: 21, mode: "GREEN", ok: -1 })).toEqual(
      bytes(0b10101_110, 0, 0, 0, 7, 1, 0, 0),
    );
    const u = decodeValue(btf, 12, bytes(0x41, 0x42, 0, 0, 0, 0, 0, 0)) as Record<string, unknown>;
    expect(u).toEqual({ as_int: 0x4241n, as_bytes: "AB" });
    expect(encodeValue(btf, 12, { as_bytes: "AB" })).toEqual(bytes(0x41, 0x42, 0, 0, 0, 0, 0, 0));
    expect(() => encodeValue(btf, 12, { as_int: 1, as_bytes: "A" })).toThrow(TypeError);
    expect(decodeValue(btf, 13, new Uint8Array(new Float32Array([1.5]).buffer))).toBe(1.5);
    expect(decodeValue(btf, 14, new Uint8Array(new Float64Array([-0.25]).buffer))).toBe(-0.25);
    expect(decodeValue(btf, 16, bytes(1, 2, 3, 4, 5, 6, 7, 8))).toBe(0x0807060504030201n);
    expect(decodeValue(btf, 23, bytes(1, 0, 0, 0, 0xfe, 0xff, 0xff, 0xff))).toEqual({ v: { x: 1, y: -2 } });
    expect(decodeValue(btf, 26, bytes(1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0))).toEqual([1, 2, 3]);
    expect(encodeValue(btf, 26, [1, 2])).toEqual(bytes(1, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0));
    expect(encodeValue(btf, 5, false)).toEqual(bytes(0));
    expect(encodeValue(btf, 7, "RED")).toEqual(bytes(0, 0, 0, 0));
    expect(() => encodeValue(btf, 7, "BLUE")).toThrow(TypeError);
    expect(() => encodeValue(btf, 1, 2 ** 31)).toThrow(RangeError);
    expect(() => encodeValue(btf, 1, 1.5)).toThrow(TypeError);
    expect(() => decodeValue(btf, 10, bytes(1, 2, 3))).toThrow(RangeError);
    expect(() => decodeValue(btf, 21, bytes())).toThrow(ElfError);
  });

  it("refuses malformed BTF with an ElfError naming the file", () => {
    const bad = (mutate: (b: Uint8Array, dv: DataView) => void) => {
      const b = blob.slice();
      mutate(b, new DataView(b.buffer));
      return () => parseBtf(b, "bad.o");
    };
    expect(bad((b) => (b[0] = 0))).toThrow(/^bad\.o: \.BTF: bad magic/);
    expect(bad((b) => (b[2] = 2))).toThrow(/unsupported version/);
    expect(bad((_, dv) => dv.setUint32(12, 0xffffff, true))).toThrow(/type section .* past the end/);
    expect(bad((_, dv) => dv.setUint32(20, 0xffffff, true))).toThrow(/string section .* past the end/);
    expect(bad((_, dv) => dv.setUint32(24 + 4, 25 << 24, true))).toThrow(/unknown kind 25/);
    // types 1-5 are ints of 16 bytes each: type 6 (the typedef) starts at 80; point it past the last type
    expect(bad((_, dv) => dv.setUint32(24 + 80 + 8, 0xffffff, true))).toThrow(
      /type 6 \(typedef\): referenced type id 16777215 is out of range/,
    );
    expect(() => parseBtf(blob.subarray(0, 10), "short.o")).toThrow(/^short\.o: \.BTF: truncated header/);
    // a typedef pointing at a type that does not exist
    expect(() => parseBtf(btfBlob(["t"], [["t", K(8), 5]]), "ref.o")).toThrow(/out of range/);
    // a typedef cycle
    const cycle = parseBtf(
      btfBlob(
        ["a", "b"],
        [
          ["a", K(8), 2],
          ["b", K(8), 1],
        ],
      ),
      "cycle.o",
    );
    expect(() => cycle.sizeOf(1)).toThrow(/cycle/);
  });
});

describe("loadObject errors", () => {
  it("names the file in one line", () => {
    expect(() => loadObject(new Uint8Array(3), "tiny.o")).toThrow(ElfError);
    expect(() => loadObject(new Uint8Array(3), "tiny.o")).toThrow(/^tiny\.o: not an ELF file/);
    // names come from the file: control characters are escaped so that the message stays on one line
    expect(new ElfError("x.o", "section 3 (a\nb)").message).toBe("x.o: section 3 (a\\x0ab)");
  });
});
