// CLI commands that work on a clang-built object: run (also raw bytecode) and info, what a device bundle carries;
// build and bundle load their code (build-commands.ts) when they run, run --engine arm32 its (run-native.ts).
import { basename } from "node:path";
import { loadObject, type BpfObject } from "../loader/loader.js";
import { loadSync, type LoadedObject } from "../api/object.js";
import { MAP_TYPE_NAMES } from "../api/bpf-map.js";
import { type Args, type Command, type Out, UsageError, readInput, intOption } from "./args.js";
import { engineByName, type Engine, type EngineName } from "../runtime/engines.js";
import { Runtime } from "../runtime/runtime.js";
import { registerHostHelpers } from "../runtime/host-helpers.js";
import { hex, jsonPrinter, readablePrinter, printMaps } from "./map-output.js";
import { ARM_TARGETS, applyTailCalls, inputs, pickProgram, requireInput } from "./object-args.js";

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

const ELF_MAGIC = [0x7f, 0x45, 0x4c, 0x46];
const isElf = (bytes: Uint8Array) => ELF_MAGIC.every((b, i) => bytes[i] === b);

/** Counts each r0 as runs come back. */
class RunTally {
  n = 0;
  r0 = 0n;
  readonly counts = new Map<bigint, number>();
  add(r0: bigint): void {
    this.r0 = r0;
    this.counts.set(r0, (this.counts.get(r0) ?? 0) + 1);
    this.n++;
  }
}

/**
 * A program the chosen engine could not take ran on the interpreter: the results are the same, only slower, so the
 * user who asked for the fast path hears why (one line, after the results).
 */
function warnIfFellBack(name: string, engine: Engine, reason: string | undefined, err: Out | undefined): void {
  if (!reason) return;
  (err ?? ((s: string) => process.stderr.write(s + "\n")))(
    `tinybpf run: warning: ${name} ran on the interpreter, not the ${engine.name} engine: ${reason}`,
  );
}

/**
 * Raw bytecode (what `tinybpf asm` writes): one program of no maps, run like a conformance test: r1 points at
 * --mem's bytes (or each packet of --pcap, or --ctx's bytes), r2 holds their length; with no input r1 = r2 = 0.
 */
function runRaw(file: string, code: Uint8Array, args: Args, out: Out, err?: Out): number {
  const name = basename(file);
  if (code.length === 0 || code.length % 8 !== 0) {
    throw new Error(
      `${name}: neither an ELF object nor raw bytecode (${code.length} bytes is not a whole number of 8-byte instructions)`,
    );
  }
  for (const option of ["prog", "tail-call", "iface"]) {
    if (args.options.has(option)) throw new UsageError(`--${option} needs an ELF object; ${name} is raw bytecode`);
  }
  const engine = engineByName(args.options.get("engine") ?? "auto");
  const rt = new Runtime({ budget: intOption(args, "budget", 1_000_000) });
  registerHostHelpers(rt);
  const prog = rt.addProgram(name, code);
  const repeat = intOption(args, "repeat", 1);
  const runs = inputs(args);
  const tally = new RunTally();
  for (let i = 0; i < repeat; i++) {
    for (let k = 0; k < runs.length; k++) {
      const input = runs.at(k);
      const mem = input instanceof Uint8Array ? input : "packet" in input ? input.packet : input.ctx;
      tally.add(rt.run(prog, mem.length ? { ctx: { bytes: mem } } : {}, engine).r0);
    }
  }
  const fallback = engine.fallbackReason?.(prog);
  if (args.options.has("json")) {
    out(JSON.stringify({ r0: tally.r0.toString(), runs: tally.n, ...(fallback ? { fallback } : {}), maps: {} }));
  } else {
    out(`${name} (raw): ${tally.n} run${tally.n === 1 ? "" : "s"}`);
    out(`r0: ${tally.r0}${tally.n > 1 ? " (last run)" : ""}`);
    if (tally.n > 1) out(`r0 counts: ${[...tally.counts].map(([v, c]) => `${v} x${c}`).join(", ")}`);
  }
  warnIfFellBack(name, engine, fallback, err);
  return 0;
}

/** The lines of `tinybpf --help` for these commands (the device's CLI prints them alone). */
export const OBJECT_USAGE = `  run OBJ [--prog NAME] [--engine auto|interp|wasm|arm32] (--mem FILE | --pcap FILE | --ctx FILE)
          [--repeat N] [--budget N] [--tail-call MAP:INDEX=PROG]... [--json]
                                                run a program of a clang-built BPF object, or raw bytecode
  run OBJ --engine arm32 --iface IFNAME [--seconds N] [--json]
                                                a socket filter on live packets (AF_PACKET), natively
  info OBJ                                      sections, programs, maps, global data, BTF types
`;

const SECTION_TYPES: Record<number, string> = {
  0: "NULL",
  1: "PROGBITS",
  2: "SYMTAB",
  3: "STRTAB",
  4: "RELA",
  8: "NOBITS",
  9: "REL",
  0x6fff4c03: "ADDRSIG",
};
const NAMED_KINDS = new Set(["struct", "union", "enum", "enum64", "typedef", "datasec", "func"]);

export const commands: Record<string, Command> = {
  async run(args, out, err) {
    const [file] = args.positional;
    if (!file) throw new UsageError("run needs an object file (an ELF object, or raw bytecode from tinybpf asm)");
    const bytes = readInput(file);
    if (!isElf(bytes)) return runRaw(file, bytes, args, out, err);
    const budget = intOption(args, "budget", 1_000_000);
    const repeat = intOption(args, "repeat", 1);
    const engine = (args.options.get("engine") ?? "auto") as EngineName | "auto";
    if (args.options.has("iface") && engine !== "arm32") {
      throw new UsageError("--iface captures live packets natively: it needs --engine arm32");
    }
    const json = args.options.has("json");
    const target = args.options.get("target");
    if (target !== undefined && (engine !== "arm32" || !ARM_TARGETS.includes(target)))
      throw new UsageError(`--target ${target}: --engine arm32 takes --target arm32 or armv6`);
    if (engine === "arm32") {
      const { runNative } = await import("./run-native.js");
      return runNative(bytes, file, args, out);
    }
    const obj = loadSync(bytes, { engine, budget, fileName: basename(file) });
    applyTailCalls(obj, args);
    const prog = pickProgram(obj, args);
    requireInput(prog, args);
    const runs = inputs(args);
    const tally = new RunTally();
    for (let i = 0; i < repeat; i++) for (let k = 0; k < runs.length; k++) tally.add(prog.run(runs.at(k)));
    const printer = json ? jsonPrinter(out) : readablePrinter(obj.object, out);
    printer.run(prog.name, prog.type, tally.n, tally.r0, tally.counts, prog.fallbackReason);
    printMaps(obj.maps.values(), printer);
    warnIfFellBack(prog.name, obj.engineFor(), prog.fallbackReason, err);
    return 0;
  },

  info(args, out) {
    const [file] = args.positional;
    if (!file) throw new UsageError("info needs an object file");
    const obj: BpfObject = loadObject(readInput(file), basename(file));
    out(`${obj.fileName}: license "${obj.license}", version ${obj.version}`);
    out("sections:");
    for (const s of obj.sections) {
      out(
        `  ${s.name.padEnd(24)} ${(SECTION_TYPES[s.type] ?? `type ${s.type}`).padEnd(8)} ${String(s.size).padStart(7)} bytes` +
          `${s.flags & 4 ? ", code" : ""}`,
      );
    }
    out("programs:");
    for (const p of obj.programs)
      out(`  ${p.name.padEnd(24)} ${p.type} (section ${p.section}), ${p.insnCount} instructions`);
    out("maps:");
    for (const m of obj.maps) {
      if (m.globalData) continue;
      out(
        `  ${m.name.padEnd(24)} ${MAP_TYPE_NAMES[m.type] ?? m.type}, key ${m.keySize}, value ${m.valueSize}, ` +
          `max_entries ${m.maxEntries}, flags 0x${m.flags.toString(16)}`,
      );
    }
    out("global data:");
    for (const m of obj.maps)
      if (m.globalData) out(`  ${m.name.padEnd(24)} ${m.valueSize} bytes${m.readonly ? ", read-only" : ""}`);
    if (obj.btf) {
      const named = obj.btf.types.filter((t) => t.id > 0 && t.name && NAMED_KINDS.has(t.kind));
      out(`BTF: ${obj.btf.types.length - 1} types; named:`);
      for (const t of named) out(`  ${t.kind.padEnd(8)} ${t.name}${t.size ? ` (${t.size} bytes)` : ""}`);
    } else out("BTF: none");
    return 0;
  },

  // the workstation's commands, loaded when they run
  build: async (args, out) => (await import("./build-commands.js")).commands.build(args, out),
  bundle: async (args, out) => (await import("./build-commands.js")).commands.bundle(args, out),
};
