// CLI commands that work on a clang-built object: run, info, disasm (ELF), build, bundle.
import { writeFileSync, chmodSync } from "node:fs";
import { basename } from "node:path";
import { loadObject, type BpfObject } from "../loader/loader.js";
import { loadSync, type LoadedObject, type Program, type ProgramInput } from "../api/object.js";
import { readCapture } from "../tools/pcap.js";
import { disassembleInsn } from "../tools/disasm.js";
import { MAP_TYPE_NAMES, type BpfMap } from "../api/bpf-map.js";
import { MAP_TYPE_ARRAY, MAP_TYPE_PERCPU_ARRAY } from "../../assembly/maps/desc.js";
import { type Args, type Command, UsageError, readInput, intOption } from "./args.js";
import type { EngineName } from "../runtime/engines.js";

/** Stored bytes in hex, as `run --json` prints keys and values. */
export const hex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");

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
        const target = src === 4 ? `${imm >= 0 ? "+" : ""}${imm}`
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

function pickProgram(obj: LoadedObject, args: Args): Program {
  const name = args.options.get("prog");
  if (name) return obj.program(name);
  if (obj.programs.size !== 1) {
    throw new UsageError(`${obj.fileName} has ${obj.programs.size} programs: choose one with --prog (${[...obj.programs.keys()].join(", ")})`);
  }
  return obj.program();
}

/** The inputs of a run: one per packet of a capture, else a single input used --repeat times. */
function inputs(args: Args): ProgramInput[] {
  const sources = ["mem", "pcap", "ctx", "iface"].filter((k) => args.options.has(k));
  if (sources.length > 1) throw new UsageError(`--${sources.join(" and --")} cannot be combined`);
  const pcap = args.options.get("pcap");
  if (pcap) return readCapture(readInput(pcap), basename(pcap)).map((p) => ({ packet: p.data }));
  const mem = args.options.get("mem");
  if (mem) return [readInput(mem)];
  const ctx = args.options.get("ctx");
  if (ctx) return [{ ctx: readInput(ctx) }];
  return [new Uint8Array(0)];
}

export interface MapDump {
  key: string;
  value: string;
}

/** Every map's stored bytes; array maps list every index. */
export function dumpMaps(obj: LoadedObject): Record<string, MapDump[]> {
  const out: Record<string, MapDump[]> = {};
  for (const [name, map] of obj.maps) out[name] = map.dump().map((e) => ({ key: hex(e.key), value: hex(e.value) }));
  return out;
}

export const unhex = (text: string) => Uint8Array.from(text.match(/../g) ?? [], (b) => parseInt(b, 16));

/** The readable form's first lines: the program, the runs, the last r0 and how often each value came back. */
function printRun(prog: Program, n: number, r0: bigint, counts: Map<bigint, number>, out: (s: string) => void) {
  out(`${prog.name} (${prog.type}): ${n} run${n === 1 ? "" : "s"}`);
  out(`r0: ${r0}${n > 1 ? " (last run)" : ""}`);
  if (n > 1) out(`r0 counts: ${[...counts].map(([v, c]) => `${v} x${c}`).join(", ")}`);
}

function describeMap(map: BpfMap): string {
  return `${map.typeName}, key ${map.keySize}, value ${map.valueSize}, max_entries ${map.maxEntries}`;
}

type Entries = (name: string, map: BpfMap) => { key: Uint8Array; value: Uint8Array }[];

/** Every map's entries, as `entriesOf` gives them (by default the map's own). */
function printMaps(obj: LoadedObject, out: (s: string) => void, entriesOf: Entries = (_, map) => map.dump()) {
  for (const [name, map] of obj.maps) {
    out(`map ${name} (${describeMap(map)}):`);
    const entries = entriesOf(name, map);
    const isArray = map.type === MAP_TYPE_ARRAY || map.type === MAP_TYPE_PERCPU_ARRAY;
    let zeros = 0;
    for (const e of entries) {
      if (isArray && e.value.every((b) => b === 0)) { zeros++; continue; }
      const key = e.key.length ? formatValue(map, e.key, "key") : "-";
      out(`  ${key}: ${formatValue(map, e.value, "value")}`);
    }
    if (zeros) out(`  (${zeros} zero entries not shown)`);
    if (!entries.length) out("  (empty)");
  }
}

function formatValue(map: BpfMap, bytes: Uint8Array, which: "key" | "value"): string {
  const size = which === "key" ? map.keySize : map.valueSize;
  if (which === "value" && map.isPerCpu) {
    // one value per CPU, each formatted as a plain value of the map's value size
    const parts: string[] = [];
    for (let i = 0; i < bytes.length; i += size) parts.push(formatScalar(bytes.subarray(i, i + size), size));
    return `[${parts.join(", ")}]`;
  }
  return formatScalar(bytes, size);
}

/** 1-, 2-, 4- and 8-byte items as unsigned decimal numbers, anything else in hex. */
export function formatScalar(bytes: Uint8Array, size: number): string {
  if (size === 1 || size === 2 || size === 4 || size === 8) {
    let v = 0n;
    for (let i = size - 1; i >= 0; i--) v = (v << 8n) | BigInt(bytes[i]);
    return v.toString();
  }
  return hex(bytes);
}

const SECTION_TYPES: Record<number, string> = {
  0: "NULL", 1: "PROGBITS", 2: "SYMTAB", 3: "STRTAB", 4: "RELA", 8: "NOBITS", 9: "REL", 0x6fff4c03: "ADDRSIG",
};
const NAMED_KINDS = new Set(["struct", "union", "enum", "enum64", "typedef", "datasec", "func"]);

export const commands: Record<string, Command> = {
  async run(args, out) {
    const [file] = args.positional;
    if (!file) throw new UsageError("run needs an object file");
    const budget = intOption(args, "budget", 1_000_000);
    const repeat = intOption(args, "repeat", 1);
    const engine = (args.options.get("engine") ?? "auto") as EngineName | "auto";
    if (args.options.has("iface") && engine !== "arm32") {
      throw new UsageError("--iface captures live packets natively: it needs --engine arm32");
    }
    if (engine === "arm32") {
      // The whole run happens natively: the executable holds the maps and reads the capture itself.
      if (args.options.has("ctx")) throw new UsageError("--ctx is not supported with --engine arm32");
      const { runExecutable } = await import("../engines/arm32/engine.js");
      const obj = loadSync(file, { engine: "interp", budget });
      const prog = pickProgram(obj, args);
      const seconds = args.options.has("seconds") ? intOption(args, "seconds", 10) : undefined;
      const json = args.options.has("json");
      const text = runExecutable(obj, prog, {
        mem: args.options.get("mem"), pcap: args.options.get("pcap"), iface: args.options.get("iface"), seconds,
        repeat, json: true, each: !json, budget,
      }).replace(/\n$/, "");
      if (json) {
        out(text);
        return 0;
      }
      // the readable form from what the executable reported: each run's r0, then the JSON object
      const lines = text.split("\n");
      const result = JSON.parse(lines.pop() ?? "") as { r0: string; runs: number; maps: Record<string, MapDump[]> };
      const counts = new Map<bigint, number>();
      for (const line of lines) counts.set(BigInt(line), (counts.get(BigInt(line)) ?? 0) + 1);
      printRun(prog, result.runs, BigInt(result.r0), counts, out);
      printMaps(obj, out, (name) => (result.maps[name] ?? []).map((e) => ({ key: unhex(e.key), value: unhex(e.value) })));
      return 0;
    }
    const obj = loadSync(file, { engine, budget });
    const prog = pickProgram(obj, args);
    const runs = inputs(args);
    const counts = new Map<bigint, number>();
    let r0 = 0n;
    let n = 0;
    for (let i = 0; i < repeat; i++) {
      for (const input of runs) {
        r0 = prog.run(input);
        counts.set(r0, (counts.get(r0) ?? 0) + 1);
        n++;
      }
    }
    if (args.options.has("json")) {
      out(JSON.stringify({ r0: r0.toString(), runs: n, maps: dumpMaps(obj) }));
      return 0;
    }
    printRun(prog, n, r0, counts, out);
    printMaps(obj, out);
    return 0;
  },

  info(args, out) {
    const [file] = args.positional;
    if (!file) throw new UsageError("info needs an object file");
    const obj: BpfObject = loadObject(readInput(file), basename(file));
    out(`${obj.fileName}: license "${obj.license}", version ${obj.version}`);
    out("sections:");
    for (const s of obj.sections) {
      out(`  ${s.name.padEnd(24)} ${(SECTION_TYPES[s.type] ?? `type ${s.type}`).padEnd(8)} ${String(s.size).padStart(7)} bytes` +
        `${s.flags & 4 ? ", code" : ""}`);
    }
    out("programs:");
    for (const p of obj.programs) out(`  ${p.name.padEnd(24)} ${p.type} (section ${p.section}), ${p.insnCount} instructions`);
    out("maps:");
    for (const m of obj.maps) {
      if (m.globalData) continue;
      out(`  ${m.name.padEnd(24)} ${MAP_TYPE_NAMES[m.type] ?? m.type}, key ${m.keySize}, value ${m.valueSize}, ` +
        `max_entries ${m.maxEntries}, flags 0x${m.flags.toString(16)}`);
    }
    out("global data:");
    for (const m of obj.maps) if (m.globalData) out(`  ${m.name.padEnd(24)} ${m.valueSize} bytes${m.readonly ? ", read-only" : ""}`);
    if (obj.btf) {
      const named = obj.btf.types.filter((t) => t.id > 0 && t.name && NAMED_KINDS.has(t.kind));
      out(`BTF: ${obj.btf.types.length - 1} types; named:`);
      for (const t of named) out(`  ${t.kind.padEnd(8)} ${t.name}${t.size ? ` (${t.size} bytes)` : ""}`);
    } else out("BTF: none");
    return 0;
  },

  async build(args, out) {
    const [file] = args.positional;
    const dest = args.options.get("o");
    const target = args.options.get("target");
    if (!file || !dest || !target) throw new UsageError("build needs OBJ --target arm32 -o FILE");
    if (target !== "arm32") throw new UsageError(`unknown target '${target}' (available: arm32)`);
    const { buildExecutable, executableListing } = await import("../engines/arm32/engine.js");
    const obj = loadSync(file, { engine: "interp", budget: intOption(args, "budget", 1_000_000) });
    const prog = pickProgram(obj, args);
    const exe = buildExecutable(obj, prog);
    writeFileSync(dest, exe);
    chmodSync(dest, 0o755);
    out(`${dest}: ${exe.length} bytes, static ARM32 Linux executable running ${prog.name}`);
    // --listing: the generated code, each eBPF instruction followed by the ARM code generated for it
    if (args.options.has("listing")) out(executableListing(obj, prog).replace(/\n$/, ""));
    return 0;
  },

  async bundle(args, out) {
    const [file] = args.positional;
    const dest = args.options.get("o");
    if (!file || !dest) throw new UsageError("bundle needs OBJ and -o DIR");
    const { bundle } = await import("../tools/bundle.js");
    const engines = args.options.get("engines")?.split(",");
    const files = bundle(file, dest, { core: args.options.get("core") as never, engines: engines as never });
    out(`${dest}: ${files.length} files`);
    return 0;
  },
};
