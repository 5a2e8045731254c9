// What `run` and `build` do with an object's arguments: pick the program (--prog), fill program arrays
// (--tail-call), read the inputs (--mem, --pcap, --ctx) and refuse a packet program given none. Shared by the
// interpreted and Wasm runs (object-commands.ts), the native ones (run-native.ts) and `build` (build-commands.ts).
import { basename } from "node:path";
import { takesPacket, type LoadedObject, type Program, type ProgramInput } from "../api/object.js";
import { packetSpans } from "../tools/pcap.js";
import { MAP_TYPE_PROG_ARRAY } from "../../assembly/maps/desc.js";
import { type Args, UsageError, readInput } from "./args.js";

export function pickProgram(obj: LoadedObject, args: Args): Program {
  const name = args.options.get("prog");
  if (name) return obj.program(name);
  if (obj.programs.size !== 1) {
    throw new UsageError(
      `${obj.fileName} has ${obj.programs.size} programs: choose one with --prog (${[...obj.programs.keys()].join(", ")})`,
    );
  }
  return obj.program();
}

/**
 * The inputs of a run: one per packet of a capture, else a single input used --repeat times. A capture's packets
 * are views of the file's bytes made as each run takes one (see packetSpans).
 */
export interface RunInputs {
  readonly length: number;
  at(i: number): ProgramInput;
}

export function inputs(args: Args): RunInputs {
  const sources = ["mem", "pcap", "ctx", "iface"].filter((k) => args.options.has(k));
  if (sources.length > 1) throw new UsageError(`--${sources.join(" and --")} cannot be combined`);
  const pcap = args.options.get("pcap");
  if (pcap) {
    const bytes = readInput(pcap);
    const spans = packetSpans(bytes, basename(pcap));
    const at = (i: number) => ({
      packet: new Uint8Array(bytes.buffer, bytes.byteOffset + spans[2 * i], spans[2 * i + 1]),
    });
    return { length: spans.length / 2, at };
  }
  const mem = args.options.get("mem");
  const ctx = args.options.get("ctx");
  const only: ProgramInput = mem ? readInput(mem) : ctx ? { ctx: readInput(ctx) } : new Uint8Array(0);
  return { length: 1, at: () => only };
}

const hasInput = (args: Args) => ["mem", "pcap", "ctx", "iface"].some((k) => args.options.has(k));

/**
 * A packet program with no input would run on an empty packet, which says nothing: it needs one. Programs of other
 * types (raw, tracing, ...) run once on an empty context, as `tinybpf run --help` says.
 */
export function requireInput(prog: Program, args: Args): void {
  if (takesPacket(prog.type) && !hasInput(args)) {
    throw new UsageError(
      `${prog.name} is a ${prog.type} program: give it packets with --pcap FILE or one with --mem FILE`,
    );
  }
}

/** --tail-call MAP:INDEX=PROG (repeatable): fills program arrays before a run or a build, as setTailCall does. */
export function applyTailCalls(obj: LoadedObject, args: Args): void {
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

/** `build --target` and `run --engine arm32 --target`: ARMv7-A executables, or ARMv6 ones (ARM1176). */
export const ARM_TARGETS = ["arm32", "armv6"];
