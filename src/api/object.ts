// The front-end API: load a clang-built object, run its programs, read its maps — BCC's ergonomics without a
// kernel. `const obj = await load("sockex1.o"); obj.programs.get("bpf_prog1").run({ packet }); obj.maps.get("my_map")`.
import { readFileSync } from "node:fs";
import { basename } from "node:path";
import { loadObject, type BpfObject, type ProgramDef, type MapDef } from "../loader/loader.js";
import { decodeValue, encodeValue } from "../loader/btf.js";
import { Runtime, type PacketReader, type RunInput, type RunResult, type RuntimeOptions } from "../runtime/runtime.js";
import { BpfMap, plainCodec, type Codec } from "./bpf-map.js";
import { skBuffLayout, xdpLayout } from "../runtime/contexts.js";
import { registerHostHelpers, type HostOptions } from "../runtime/host-helpers.js";
import { engineByName, type Engine, type EngineName } from "../runtime/engines.js";
import { loadEngines } from "../runtime/engine-loader.js";
import type { HostHelper } from "../runtime/core.js";
import { STATE, ST_PKT, ST_PKT_LEN } from "../../assembly/layout.js";

export interface LoadOptions extends RuntimeOptions, HostOptions {
  /** Engine for every run: 'auto' (default: the fastest available), 'interp', 'wasm' or 'arm32'. */
  engine?: EngineName | "auto";
  /** Name used in error messages when loading bytes. */
  fileName?: string;
  /** Extra helpers by id, implemented in TypeScript: get r1..r5, return r0. */
  helpers?: Record<number, HostHelper>;
}

/** What a program gets as input, by program type (see `Program.run`). */
export type ProgramInput =
  | Uint8Array
  | { packet: Uint8Array; pktType?: number; ifindex?: number }
  | { ctx: Uint8Array; writable?: [number, number][] };

const SKB_TYPES = new Set([
  "socket_filter",
  "sched_cls",
  "sched_act",
  "cgroup_skb",
  "lwt_in",
  "lwt_out",
  "lwt_xmit",
  "sk_skb",
]);

/** Programs of this type take a packet (`{ packet }`, or bytes taken as one): socket filters, tc, XDP, ... */
export function takesPacket(type: string): boolean {
  return SKB_TYPES.has(type) || type === "xdp";
}

export class Program implements PacketReader {
  lastRun: RunResult | undefined;
  private lastEngine: Engine | undefined;
  // The last run's packet is copied out of core memory only when someone reads lastPacket, or when another run is
  // about to overwrite it (the runtime tells its PacketReader): a run over a capture copies nothing.
  private packetAddr = -1; // where the last run left its packet, -1 once copied (or when it had none)
  private packetLength = 0;
  private packetCopy: Uint8Array | undefined;
  constructor(
    readonly object: LoadedObject,
    readonly def: ProgramDef,
    readonly id: number,
  ) {}

  get name(): string {
    return this.def.name;
  }
  get type(): string {
    return this.def.type;
  }
  get section(): string {
    return this.def.section;
  }
  get insnCount(): number {
    return this.def.insnCount;
  }

  /**
   * The packet as the last run left it, for programs given `{ packet }` (an XDP program returning XDP_TX may have
   * rewritten it); undefined after a run without a packet.
   */
  get lastPacket(): Uint8Array | undefined {
    this.packetOverwritten();
    return this.packetCopy;
  }

  /** Copies the last run's packet out of core memory before it goes. */
  packetOverwritten(): void {
    const at = this.packetAddr;
    if (at < 0) return;
    this.packetAddr = -1;
    this.packetCopy = this.object.runtime.core.memory.slice(at, at + this.packetLength);
  }

  /**
   * Runs the program once and returns r0. Socket filters and tc programs take `{ packet }` and see a
   * `struct __sk_buff`; XDP programs take `{ packet }` and see a `struct xdp_md`; other programs take bytes (or
   * `{ ctx }`): r1 points at them and r2 holds their length.
   */
  run(input?: ProgramInput, engine?: EngineName | "auto"): bigint {
    const rt = this.object.runtime;
    const linked = rt.programs[this.id];
    const prepared = this.input(input);
    // This run overwrites the last one's packet: nothing to keep of it.
    this.packetAddr = -1;
    this.packetCopy = undefined;
    this.lastEngine = this.object.engineFor(engine);
    this.lastRun = rt.run(linked, prepared, this.lastEngine);
    if (prepared.packet) {
      const v = rt.core.view;
      this.packetAddr = v.getUint32(STATE + ST_PKT, true);
      this.packetLength = v.getUint32(STATE + ST_PKT_LEN, true);
      rt.packetReader = this;
    }
    return this.lastRun.r0;
  }

  /**
   * Why the last run went to the interpreter although its engine was another (the Wasm engine, for a program V8
   * will not compile), or undefined: the results are the same, only slower.
   */
  get fallbackReason(): string | undefined {
    return this.lastEngine?.fallbackReason?.(this.object.runtime.programs[this.id]);
  }

  /** Builds the run input for this program's type. */
  input(input?: ProgramInput): RunInput {
    if (input === undefined) return {};
    if (input instanceof Uint8Array) {
      if (SKB_TYPES.has(this.type) || this.type === "xdp") return this.input({ packet: input });
      return { ctx: { bytes: input } };
    }
    if ("ctx" in input) return { ctx: { bytes: input.ctx, writable: input.writable } };
    const { packet } = input;
    if (this.type === "xdp") return { packet: { bytes: packet }, layout: xdpLayout, packetOptions: input };
    if (SKB_TYPES.has(this.type)) {
      return { packet: { bytes: packet, writable: [] }, layout: skBuffLayout, packetOptions: input };
    }
    return { ctx: { bytes: packet } };
  }
}

export class LoadedObject {
  readonly programs = new Map<string, Program>();
  readonly maps = new Map<string, BpfMap>();
  private engine: Engine;

  constructor(
    readonly object: BpfObject,
    readonly runtime: Runtime,
    engine: EngineName | "auto",
  ) {
    this.engine = engineByName(engine);
  }

  get fileName(): string {
    return this.object.fileName;
  }
  /** The engine that runs this object's programs unless a run names another. */
  get engineName(): EngineName {
    return this.engine.name;
  }
  get license(): string {
    return this.object.license;
  }

  engineFor(name?: EngineName | "auto"): Engine {
    return name ? engineByName(name) : this.engine;
  }

  /** BCC style: obj.get("table") is obj.maps.get("table"), throwing when there is no such map. */
  get(name: string): BpfMap {
    const m = this.maps.get(name);
    if (!m) throw new Error(`${this.fileName}: no map named '${name}' (maps: ${[...this.maps.keys()].join(", ")})`);
    return m;
  }

  /**
   * Puts program `progName` in slot `index` of program array `mapName`, as a loader does before tail calls can
   * reach it (program arrays start empty, as after libbpf's load).
   */
  setTailCall(mapName: string, index: number, progName: string): void {
    const prog = this.program(progName);
    this.get(mapName).update(index, this.runtime.programs[prog.id].id);
  }

  program(name?: string): Program {
    if (name === undefined) {
      const first = this.programs.values().next().value;
      if (!first) throw new Error(`${this.fileName}: no programs`);
      return first;
    }
    const p = this.programs.get(name);
    if (!p)
      throw new Error(
        `${this.fileName}: no program named '${name}' (programs: ${[...this.programs.keys()].join(", ")})`,
      );
    return p;
  }
}

function btfCodec(obj: BpfObject, typeId: number | undefined): Codec {
  const btf = obj.btf;
  if (!btf || !typeId) return plainCodec;
  return {
    encode: (value, size) =>
      value instanceof Uint8Array ? plainCodec.encode(value, size) : encodeValue(btf, typeId, value),
    decode: (bytes) => decodeValue(btf, typeId, bytes),
  };
}

function readObjectFile(path: string): Uint8Array {
  try {
    return new Uint8Array(readFileSync(path));
  } catch (e) {
    const code = (e as { code?: string }).code;
    if (code === "ENOENT") throw new Error(`${path}: no such file`);
    if (code === "EISDIR") throw new Error(`${path}: is a directory`);
    throw e;
  }
}

/** Loads an object from a path or bytes: creates its maps, links and validates its programs. */
export async function load(source: string | Uint8Array, options: LoadOptions = {}): Promise<LoadedObject> {
  await loadEngines();
  return loadSync(source, options);
}

export function loadSync(source: string | Uint8Array, options: LoadOptions = {}): LoadedObject {
  const fileName = typeof source === "string" ? basename(source) : (options.fileName ?? "object");
  const bytes = typeof source === "string" ? readObjectFile(source) : source;
  const obj = loadObject(bytes, fileName);
  const rt = new Runtime(options);
  registerHostHelpers(rt, options);
  for (const [id, fn] of Object.entries(options.helpers ?? {})) rt.registerHelper(Number(id), fn);
  const loaded = new LoadedObject(obj, rt, options.engine ?? "auto");
  rt.createMaps(obj.maps);
  obj.maps.forEach((def: MapDef, i: number) => {
    loaded.maps.set(def.name, new BpfMap(rt, i, def, btfCodec(obj, def.keyType), btfCodec(obj, def.valueType)));
  });
  for (const def of obj.programs) {
    const linked = rt.addProgram(def.name, def.insns, def.type);
    loaded.programs.set(def.name, new Program(loaded, def, rt.programs.indexOf(linked)));
  }
  presetSlots(loaded);
  return loaded;
}

/** Fills program arrays and maps of maps from their `.values = { ... }` initializers, as libbpf does at load. */
function presetSlots(loaded: LoadedObject): void {
  const rt = loaded.runtime;
  loaded.object.maps.forEach((def, i) => {
    for (const s of def.initialSlots ?? []) {
      const map = [...loaded.maps.values()][i];
      let id: number;
      if (s.program !== undefined) id = rt.programs[loaded.program(s.program).id].id;
      else if (s.map !== undefined) id = rt.mapIds[s.map];
      else continue;
      map.update(s.slot, new Uint8Array(new Uint32Array([id]).buffer));
    }
  });
}
