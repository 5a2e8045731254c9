// CLI commands that work on a clang-built object: run (also raw bytecode), info, build, bundle.
import { writeFileSync, chmodSync } from "node:fs";
import { basename } from "node:path";
import { loadObject, type BpfObject } from "../loader/loader.js";
import { loadSync, takesPacket, type LoadedObject, type Program, type ProgramInput } from "../api/object.js";
import { readCapture } from "../tools/pcap.js";
import { MAP_TYPE_NAMES } from "../api/bpf-map.js";
import { MAP_TYPE_PROG_ARRAY } from "../../assembly/maps/desc.js";
import { type Args, type Command, type Out, UsageError, readInput, intOption } from "./args.js";
import { engineByName, type EngineName } from "../runtime/engines.js";
import { Runtime } from "../runtime/runtime.js";
import { registerHostHelpers } from "../runtime/host-helpers.js";
import { hex, jsonPrinter, readablePrinter, printMaps } from "./map-output.js";
import { ExecutableOutputReader } from "./executable-output.js";

function pickProgram(obj: LoadedObject, args: Args): Program {
  const name = args.options.get("prog");
  if (name) return obj.program(name);
  if (obj.programs.size !== 1) {
    throw new UsageError(
      `${obj.fileName} has ${obj.programs.size} programs: choose one with --prog (${[...obj.programs.keys()].join(", ")})`,
    );
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

const hasInput = (args: Args) => ["mem", "pcap", "ctx", "iface"].some((k) => args.options.has(k));

/**
 * A packet program with no input would run on an empty packet, which says nothing: it needs one. Programs of other
 * types (raw, tracing, ...) run once on an empty context, as `tinybpf run --help` says.
 */
function requireInput(prog: Program, args: Args): void {
  if (takesPacket(prog.type) && !hasInput(args)) {
    throw new UsageError(
      `${prog.name} is a ${prog.type} program: give it packets with --pcap FILE or one with --mem FILE`,
    );
  }
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

/** --tail-call MAP:INDEX=PROG (repeatable): fills program arrays before a run or a build, as setTailCall does. */
function applyTailCalls(obj: LoadedObject, args: Args): void {
  const given =
    args.repeated?.get("tail-call") ?? (args.options.has("tail-call") ? [args.options.get("tail-call")!] : []);
  for (const text of given) {
    const m = /^([^:=]+):(\d+)=(.+)$/.exec(text);
    if (!m) throw new UsageError(`--tail-call takes MAP:INDEX=PROG, not '${text}'`);
    const map = obj.get(m[1]);
    if (map.type !== MAP_TYPE_PROG_ARRAY)
      throw new UsageError(`--tail-call ${text}: map '${m[1]}' is a ${map.typeName} map, not a prog_array`);
    if (Number(m[2]) >= map.maxEntries) {
      throw new UsageError(
        `--tail-call ${text}: index ${m[2]} is past the end of '${m[1]}' (max_entries ${map.maxEntries})`,
      );
    }
    obj.setTailCall(m[1], Number(m[2]), m[3]);
  }
}

const ELF_MAGIC = [0x7f, 0x45, 0x4c, 0x46];
const isElf = (bytes: Uint8Array) => ELF_MAGIC.every((b, i) => bytes[i] === b);
/** `build --target` and `run --engine arm32 --target`: ARMv7-A executables, or ARMv6 ones (ARM1176). */
const ARM_TARGETS = ["arm32", "armv6"];

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
 * Raw bytecode (what `tinybpf asm` writes): one program of no maps, run like a conformance test: r1 points at
 * --mem's bytes (or each packet of --pcap, or --ctx's bytes), r2 holds their length; with no input r1 = r2 = 0.
 */
function runRaw(file: string, code: Uint8Array, args: Args, out: Out): number {
  const name = basename(file);
  if (code.length === 0 || code.length % 8 !== 0) {
    throw new Error(
      `${name}: neither an ELF object nor raw bytecode (${code.length} bytes is not a whole number of 8-byte instructions)`,
    );
  }
  for (const option of ["prog", "tail-call", "iface", "target"]) {
    if (args.options.has(option)) throw new UsageError(`--${option} needs an ELF object; ${name} is raw bytecode`);
  }
  const engine = (args.options.get("engine") ?? "auto") as EngineName | "auto";
  const rt = new Runtime({ budget: intOption(args, "budget", 1_000_000) });
  registerHostHelpers(rt);
  const prog = rt.addProgram(name, code);
  const repeat = intOption(args, "repeat", 1);
  const memories = inputs(args).map((i) => (i instanceof Uint8Array ? i : "packet" in i ? i.packet : i.ctx));
  const tally = new RunTally();
  for (let i = 0; i < repeat; i++) {
    for (const mem of memories)
      tally.add(rt.run(prog, mem.length ? { ctx: { bytes: mem } } : {}, engineByName(engine)).r0);
  }
  if (args.options.has("json")) out(JSON.stringify({ r0: tally.r0.toString(), runs: tally.n, maps: {} }));
  else {
    out(`${name} (raw): ${tally.n} run${tally.n === 1 ? "" : "s"}`);
    out(`r0: ${tally.r0}${tally.n > 1 ? " (last run)" : ""}`);
    if (tally.n > 1) out(`r0 counts: ${[...tally.counts].map(([v, c]) => `${v} x${c}`).join(", ")}`);
  }
  return 0;
}

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
  async run(args, out) {
    const [file] = args.positional;
    if (!file) throw new UsageError("run needs an object file (an ELF object, or raw bytecode from tinybpf asm)");
    const bytes = readInput(file);
    if (!isElf(bytes)) return runRaw(file, bytes, args, out);
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
      // The whole run happens natively: the executable holds the maps and reads the capture itself.
      if (args.options.has("ctx")) throw new UsageError("--ctx is not supported with --engine arm32");
      const { streamExecutable } = await import("../engines/arm32/engine.js");
      const obj = loadSync(bytes, { engine: "interp", budget, fileName: basename(file) });
      applyTailCalls(obj, args);
      const prog = pickProgram(obj, args);
      requireInput(prog, args);
      const seconds = args.options.has("seconds") ? intOption(args, "seconds", 10) : undefined;
      const runArgs = {
        mem: args.options.get("mem"),
        pcap: args.options.get("pcap"),
        iface: args.options.get("iface"),
        seconds,
        repeat,
        json: true,
        each: !json,
        budget,
        armv6: target === "armv6",
      };
      if (json) {
        // the executable prints what `run --json` prints: pass it on as it comes
        let pending = "";
        await streamExecutable(obj, prog, runArgs, out.part ?? ((text) => (pending += text)));
        if (!out.part) out(pending.replace(/\n$/, ""));
        return 0;
      }
      // the readable form from what the executable reports: each run's r0, then the maps
      const reader = new ExecutableOutputReader(prog, obj.maps, readablePrinter(obj.object, out));
      await streamExecutable(obj, prog, runArgs, (text) => reader.push(text));
      reader.finish();
      return 0;
    }
    const obj = loadSync(bytes, { engine, budget, fileName: basename(file) });
    applyTailCalls(obj, args);
    const prog = pickProgram(obj, args);
    requireInput(prog, args);
    const runs = inputs(args);
    const tally = new RunTally();
    for (let i = 0; i < repeat; i++) for (const input of runs) tally.add(prog.run(input));
    const printer = json ? jsonPrinter(out) : readablePrinter(obj.object, out);
    printer.run(prog.name, prog.type, tally.n, tally.r0, tally.counts);
    printMaps(obj.maps.values(), printer);
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

  async build(args, out) {
    const [file] = args.positional;
    const dest = args.options.get("o");
    const target = args.options.get("target");
    const script = args.options.has("trace") ? file : undefined; // --trace 'SCRIPT': a script instead of an object (src/trace)
    if (!file || !dest || !target) throw new UsageError("build needs OBJ (or --trace 'SCRIPT') --target arm32 -o FILE");
    if (!ARM_TARGETS.includes(target)) throw new UsageError(`unknown target '${target}' (available: arm32, armv6)`);
    const { buildExecutable, executableListing } = await import("../engines/arm32/engine.js");
    const source = script === undefined ? file : (await import("../trace/build-object.js")).traceObject(script);
    const obj = loadSync(source, {
      engine: "interp",
      budget: intOption(args, "budget", 1_000_000),
      ...(script === undefined ? {} : { fileName: "trace.o" }),
    });
    applyTailCalls(obj, args);
    const prog = pickProgram(obj, args);
    const exe = buildExecutable(obj, prog, { armv6: target === "armv6" });
    writeFileSync(dest, exe);
    chmodSync(dest, 0o755);
    out(`${dest}: ${exe.length} bytes, static ARM32 Linux executable running ${prog.name}`);
    // --listing: the generated code, each eBPF instruction followed by the ARM code generated for it
    if (args.options.has("listing"))
      out(executableListing(obj, prog, { armv6: target === "armv6" }).replace(/\n$/, ""));
    return 0;
  },

  async bundle(args, out) {
    const [file] = args.positional;
    const dest = args.options.get("o");
    if (!file || !dest) throw new UsageError("bundle needs OBJ and -o DIR");
    const { bundle } = await import("../tools/bundle.js");
    const engines = args.options.get("engines")?.split(",");
    const files = bundle(file, dest, {
      core: args.options.get("core") as never,
      engines: engines as never,
      trace: args.options.has("trace"),
    });
    out(`${dest}: ${files.length} files`);
    return 0;
  },
};
