// The runtime: one core instance with its maps and programs. It links programs (map references become map handles
// and value addresses), validates them, places their inputs in memory and runs them on an engine.
import { INSN_SIZE } from "../../assembly/isa.js";
import {
  STATE,
  ST_PKT,
  ST_PKT_LEN,
  ST_NCPUS,
  ST_PROG,
  MAP_HANDLE_TAG,
  FUNC_HANDLE_TAG,
  HEAP_BASE,
  REGIONS,
  REGION_SIZE,
  ST_REGION_COUNT,
  MAPS,
  MAP_DESC_SIZE,
  FAULT_READ,
  FAULT_WRITE,
  FAULT_BAD_RECORD,
} from "../../assembly/layout.js";
import { Core, StopProgram, type HostHelper } from "./core.js";
import { MAP_TYPE_PERF_EVENT_ARRAY, MAP_TYPE_RINGBUF, MD_VALUES } from "../../assembly/maps/desc.js";
import { verify, VerifierError } from "../loader/verifier.js";
import { resolvePseudoLoads, LinkError } from "../loader/link.js";
import { BpfFault, type FaultInfo } from "./faults.js";
import { locate, type NamedRegion } from "./fault-location.js";
import { engineByName, type Engine, type EngineName } from "./engines.js";
import type { ContextLayout, PacketOptions } from "./contexts.js";

export interface RuntimeOptions {
  /** Instructions one run may execute; 0 = unlimited. Default 1,000,000. */
  budget?: number;
  /** CPUs that per-CPU maps model. Default 1. */
  ncpus?: number;
  /**
   * Helper 5 is the conformance suite's "unwind" helper. Engines that compile their helpers in (arm32) read this;
   * the others call the host helper the conformance runtime registers.
   */
  conformance?: boolean;
}

/** The conformance suite's test helper ("unwind"): ends the program with r0 = 0 when its argument is 0, else returns it. */
export const UNWIND_HELPER_ID = 5;

/** What a map needs to exist in the core (the loader's MapDef satisfies it). */
export interface MapSpec {
  name: string;
  type: number;
  keySize: number;
  valueSize: number;
  maxEntries: number;
  flags: number;
  innerMap?: number;
  initialData?: Uint8Array;
  readonly?: boolean;
}

export interface LinkedProgram {
  name: string;
  id: number; // program id in the core
  insns: Uint8Array; // as validated, pseudo sources resolved
  original: Uint8Array; // as given (pseudo sources intact), for translators that resolve them differently
  type: string;
}

export interface Region {
  bytes: Uint8Array;
  /** Byte ranges (relative to the region) a program may write; omitted = all of it, [] = none. */
  writable?: [number, number][];
}

/** A program's input: r1 and r2 are derived from where the context lands. */
export interface RunInput {
  /** The context (r1). Its address becomes r1; r2 is its length (raw programs: memory + length). */
  ctx?: Region;
  /** A packet for LD_ABS/LD_IND and direct access; placed at `packetAddr()`. */
  packet?: Region;
  /** Build the context only once the packet's address is known. */
  buildCtx?: (packetAddr: number) => Region;
  /** Or lay a packet program's context out in place (no bytes to copy), `packetOptions` saying what it holds. */
  layout?: ContextLayout;
  packetOptions?: PacketOptions;
}

/**
 * Something that reads the packet a run left in memory only when asked (Program.lastPacket): it is told before the
 * next run overwrites it, and copies it then (if it has not yet: it may be told more than once).
 */
export interface PacketReader {
  packetOverwritten(): void;
}

const EMPTY = new Uint8Array(0);

export interface RunResult {
  r0: bigint;
  executed: number;
}

const CTX_REGION = 1;
const PACKET_REGION = 2;

export class Runtime {
  readonly core: Core;
  readonly maps: MapSpec[] = [];
  readonly mapIds: number[] = [];
  readonly programs: LinkedProgram[] = [];
  private inputArea = { addr: 0, size: 0 };
  private packetArea = { addr: 0, size: 0 };
  /** Who still reads the packet area of the last run (at most one: every run overwrites it). */
  packetReader: PacketReader | undefined;

  constructor(readonly options: RuntimeOptions = {}) {
    this.core = new Core();
    this.core.setBudget(options.budget ?? 1_000_000);
    this.core.view.setUint32(STATE + ST_NCPUS, Math.max(1, options.ncpus ?? 1), true);
    if (options.conformance) {
      this.registerHelper(UNWIND_HELPER_ID, ([arg]) => {
        if (arg === 0n) throw new StopProgram(0n);
        return arg;
      });
    }
  }

  registerHelper(id: number, fn: HostHelper): void {
    this.core.registerHelper(id, fn);
  }

  /**
   * Creates every map in the core, in an order where a map-in-map's inner template exists before the outer map;
   * map i of `specs` keeps index i.
   */
  createMaps(specs: MapSpec[]): void {
    const base = this.maps.length;
    specs.forEach((spec, i) => {
      this.maps[base + i] = spec;
    });
    const creating = new Set<number>();
    const create = (i: number) => {
      if (this.mapIds[base + i] !== undefined) return;
      if (creating.has(i)) throw new Error(`map '${specs[i].name}': its inner map refers back to it`);
      creating.add(i);
      const inner = specs[i].innerMap;
      if (inner !== undefined) {
        if (inner < 0 || inner >= specs.length)
          throw new Error(`map '${specs[i].name}': inner map ${inner} does not exist`);
        create(inner);
      }
      this.mapIds[base + i] = this.createInCore(specs[i], inner === undefined ? -1 : this.mapIds[base + inner]);
    };
    specs.forEach((_, i) => create(i));
  }

  /** Creates one map; returns its index. */
  createMap(spec: MapSpec): number {
    this.createMaps([spec]);
    return this.maps.length - 1;
  }

  private createInCore(spec: MapSpec, innerId: number): number {
    let flags = spec.flags;
    if (spec.readonly) flags |= 1 << 7; // BPF_F_RDONLY_PROG: programs may read, not write
    // libbpf sizes a perf event array left at 0 entries to the number of CPUs.
    const maxEntries =
      spec.type === MAP_TYPE_PERF_EVENT_ARRAY && spec.maxEntries === 0
        ? Math.max(1, this.options.ncpus ?? 1)
        : spec.maxEntries;
    const id = this.core.x.mapCreate(spec.type, spec.keySize, spec.valueSize, maxEntries, flags, innerId);
    if (id < 0) {
      throw new Error(
        `map '${spec.name}': cannot create (type ${spec.type}, key ${spec.keySize}, value ` +
          `${spec.valueSize}, max_entries ${spec.maxEntries}, flags 0x${spec.flags.toString(16)}): errno ${-id}`,
      );
    }
    if (spec.initialData) this.initGlobalData(id, spec);
    return id;
  }

  private initGlobalData(id: number, spec: MapSpec) {
    const key = this.core.scratch(new Uint8Array(4));
    const value = this.core.place(spec.initialData!);
    // The host writes global data through the syscall path, which ignores BPF_F_RDONLY_PROG.
    const rc = this.core.x.mapUpdate(id, key, value, 0n);
    if (rc !== 0n) throw new Error(`map '${spec.name}': cannot set its initial data: errno ${-rc}`);
  }

  mapHandle(index: number): bigint {
    return (BigInt(MAP_HANDLE_TAG) << 32n) | BigInt(this.mapIds[index]);
  }

  /** Address of a global-data map's single value (for PSEUDO_MAP_VALUE). */
  mapValueAddress(index: number): number {
    const key = this.core.scratch(new Uint8Array(4));
    const addr = Number(this.core.x.mapLookup(this.mapIds[index], key));
    if (!addr) throw new Error(`map '${this.maps[index].name}' has no value to point into`);
    return addr;
  }

  /** Validates, links and loads a program; throws VerifierError naming the instruction. */
  addProgram(name: string, insns: Uint8Array, type = "raw"): LinkedProgram {
    try {
      verify(insns, { knownHelper: (id) => id === 12 || this.core.hasHelper(id) });
    } catch (e) {
      if (e instanceof VerifierError) throw new VerifierError(`${name}: ${e.message}`, e.pc);
      throw e;
    }
    const linked = this.link(name, insns);
    const addr = this.core.place(linked);
    const id = this.core.x.programAdd(addr, linked.length / INSN_SIZE);
    if (id === -2) throw new Error(`${name}: out of memory for its ${linked.length / INSN_SIZE} instructions`);
    if (id < 0) throw new Error(`${name}: too many programs loaded`);
    const prog: LinkedProgram = { name, id, insns: linked, original: insns, type };
    this.programs.push(prog);
    return prog;
  }

  /** Resolves lddw pseudo sources into plain constants: map handles, value addresses, function handles. */
  private link(name: string, insns: Uint8Array): Uint8Array {
    try {
      return resolvePseudoLoads(name, insns, this.maps, {
        map: (i) => this.mapHandle(i),
        mapValue: (i, offset) => BigInt(this.mapValueAddress(i) + offset),
        func: (target) => (BigInt(FUNC_HANDLE_TAG) << 32n) | BigInt(target),
      });
    } catch (e) {
      if (e instanceof LinkError) throw new VerifierError(e.message, e.pc);
      throw e;
    }
  }

  /** Places the input and returns r1, r2 for the program. Regions 1 and 2 are the context and the packet. */
  prepare(input: RunInput): { r1: bigint; r2: bigint } {
    this.packetReader?.packetOverwritten();
    const core = this.core;
    const { packet, layout } = input;
    let packetAddr = 0;
    if (packet) {
      packetAddr = this.area(this.packetArea, packet.bytes.length, packet.bytes);
      this.setRegion(PACKET_REGION, packetAddr, packet.bytes.length, packet.writable);
    } else core.x.regionSet(PACKET_REGION, 0, 0, 0, 0);
    const v = core.view; // after placing: placing may have grown the memory
    v.setUint32(STATE + ST_PKT, packetAddr, true);
    v.setUint32(STATE + ST_PKT_LEN, packet ? packet.bytes.length : 0, true);
    const ctx = layout ?? (input.buildCtx ? input.buildCtx(packetAddr) : input.ctx);
    const size = ctx ? ("size" in ctx ? ctx.size : ctx.bytes.length) : 0;
    if (!ctx || !size) {
      core.x.regionSet(CTX_REGION, 0, 0, 0, 0);
      return { r1: 0n, r2: 0n };
    }
    const addr = this.area(this.inputArea, size, "bytes" in ctx ? ctx.bytes : undefined);
    if (layout) {
      core.memory.fill(0, addr, addr + size);
      layout.write(core.view, addr, packet ? packet.bytes : EMPTY, packetAddr, input.packetOptions);
    }
    this.setRegion(CTX_REGION, addr, size, ctx.writable);
    return { r1: BigInt(addr), r2: BigInt(size) };
  }

  /** The area's address once it holds `size` bytes, `bytes` copied there. */
  private area(a: { addr: number; size: number }, size: number, bytes: Uint8Array | undefined): number {
    if (a.size < size) this.grow(a, size);
    if (bytes) this.core.memory.set(bytes, a.addr);
    return a.addr;
  }

  private grow(a: { addr: number; size: number }, size: number) {
    const want = Math.max(size, 2048);
    a.addr = this.core.x.allocBytes(want);
    if (a.addr < HEAP_BASE) throw new Error(`out of memory placing ${size} bytes of input`);
    a.size = want;
  }

  private setRegion(index: number, addr: number, length: number, writable: [number, number][] | undefined) {
    // The region table holds one writable window per region: the span of the listed ranges (omitted: all of it).
    // Contexts list a single range (e.g. __sk_buff's cb[]), so this is exact for them.
    let ws = 0,
      we = length;
    if (writable) {
      ws = Infinity;
      we = 0;
      for (const [start, end] of writable) {
        if (start < ws) ws = start;
        if (end > we) we = end;
      }
    }
    const window = ws <= we;
    this.core.x.regionSet(index, addr, addr + length, window ? addr + ws : 0, window ? addr + we : 0);
  }

  /**
   * What fault reports name addresses after (fault-location.ts), in this order: the stack, the context, the packet,
   * then each map's arena (`map "NAME"`), or for a ring buffer its data area (no region: only the samples a program
   * reserved are, and they are named after their ring).
   */
  namedRegions(): NamedRegion[] {
    const v = this.core.view;
    const count = v.getUint32(STATE + ST_REGION_COUNT, true);
    const region = (k: number) => ({
      start: v.getUint32(REGIONS + k * REGION_SIZE, true),
      end: v.getUint32(REGIONS + k * REGION_SIZE + 4, true),
    });
    const out: NamedRegion[] = ["stack", "context", "packet"].map((name, k) => ({ name, ...region(k) }));
    this.maps.forEach((m, i) => {
      if (this.mapIds[i] === undefined) return;
      const name = `map ${JSON.stringify(m.name)}`;
      const values = v.getUint32(MAPS + this.mapIds[i] * MAP_DESC_SIZE + MD_VALUES, true);
      if (m.type === MAP_TYPE_RINGBUF) {
        out.push({ name, start: values, end: values + m.maxEntries });
        return;
      }
      for (let k = 3; k < count; k++) {
        const r = region(k);
        if (r.start <= values && values < r.end) {
          out.push({ name, ...r });
          return;
        }
      }
    });
    return out;
  }

  /** Runs a program; throws BpfFault naming the instruction when it faults. */
  run(prog: LinkedProgram, input: RunInput = {}, engine: Engine | EngineName = "interp"): RunResult {
    const { r1, r2 } = this.prepare(input);
    const e = typeof engine === "string" ? engineByName(engine) : engine;
    this.core.faultOverride = undefined;
    const r0 = e.run(this, prog, r1, r2);
    const f: FaultInfo | undefined = this.core.fault();
    if (f) {
      if (f.where === undefined && (f.kind === FAULT_READ || f.kind === FAULT_WRITE || f.kind === FAULT_BAD_RECORD)) {
        f.where = locate(this.namedRegions(), f.addr);
      }
      // After tail calls the fault's instruction index is in the program that was running, so name that one.
      const current = this.core.view.getUint32(STATE + ST_PROG, true);
      throw new BpfFault(f, (this.programs.find((p) => p.id === current) ?? prog).name);
    }
    return { r0, executed: this.core.executed() };
  }
}
