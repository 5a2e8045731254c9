// The ARM32 engine: builds a loaded object's program, with its maps, into a standalone ARM Linux executable
// (src/arm32.ts, assembly/arm32/*) and runs it, natively on an ARM host or under qemu-arm elsewhere.
//
//   buildExecutable(obj, prog)        what `tinybpf build OBJ --target arm32 -o FILE` writes
//   runExecutable(obj, prog, args)    what `tinybpf run --engine arm32` prints (the executable's own output)
//   the "arm32" engine                Program.run() for programs of objects without maps (stateless runs)
//
// The executable holds the object's maps in a zero-filled segment at ARM32_DATA_BASE laid out here (see
// assembly/arm32/maps.ts): ARRAY, PERCPU_ARRAY (one CPU), HASH, and global data (.data, .rodata, .bss, ...) as
// single-entry arrays. lddw PSEUDO_MAP_FD becomes the map's handle (MAP_HANDLE_TAG:index), PSEUDO_MAP_VALUE the
// value's address in that segment, before translation.

import { mkdtempSync, rmSync, writeFileSync, chmodSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { tmpdir } from "node:os";
import { join, basename } from "node:path";
import {
  buildArm32Executable, runArm32, arm32Listing, qemu, Arm32Error, Arm32Timeout, ARM32_DATA_BASE, ARM32_MAX_MAPS, type Arm32Maps,
  type Arm32Options,
} from "./arm32.js";
import { registerEngine, type Engine } from "./engines.js";
import type { LoadedObject, Program } from "./object.js";
import type { MapDef } from "./loader.js";
import type { Runtime, LinkedProgram } from "./runtime.js";
import { readCapture, writePcap } from "./pcap.js";
import { readInput } from "./cli-args.js";
import { resolvePseudoLoads, LinkError } from "./link.js";
import {
  STATE, ST_FAULT, ST_FAULT_PC, ST_FAULT_ADDR, ST_FAULT_SIZE, ST_PKT, MAP_HANDLE_TAG, FAULT_READ, FAULT_WRITE,
  FAULT_BUDGET, FAULT_CALL_DEPTH, FAULT_HELPER, FAULT_BAD_MAP,
} from "../assembly/layout.js";
import { MAP_TYPE_ARRAY, MAP_TYPE_PERCPU_ARRAY, MAP_TYPE_HASH, MAP_TYPE_PROG_ARRAY } from "../assembly/maps/desc.js";
import { INSN_SIZE } from "../assembly/isa.js";
import { MAP_TYPE_NAMES } from "./bpf-map.js";

// assembly/arm32/maps.ts
const DESC_OFFSET = 16;
const DESC_SIZE = 80;
const D = {
  type: 0, keySize: 4, valueSize: 8, max: 12, values: 16, stride: 20, buckets: 24, records: 28, mask: 32,
  region: 48, name: 64, nameLen: 68, recStride: 72, zeroSkip: 76,
};
const RECORD_HEADER = 16;

const SKB_TYPES = new Set(["socket_filter", "sched_cls", "sched_act", "cgroup_skb", "lwt_in", "lwt_out", "lwt_xmit", "sk_skb"]);

const roundUp8 = (n: number) => (n + 7) & ~7;

export interface Arm32MapLayout {
  maps: Arm32Maps;
  /** Address of map i's first value in the executable. */
  valueAddress: number[];
  /** Where the names given to layoutMaps are (UTF-8, in the area's initial bytes): address and length. */
  names: { address: number; length: number }[];
}

/**
 * Lays out every map of an object in the executable's map segment; throws on a map it cannot hold. `slots(i)`
 * gives program array i's slots (program ids; undefined: empty), which the executable starts with. `extraNames`
 * (the programs' names, for fault reports) go into the area's initial bytes too.
 */
export function layoutMaps(
  defs: MapDef[], ncpus = 1, slots?: (map: number) => (number | undefined)[], extraNames: string[] = [],
): Arm32MapLayout {
  if (defs.length > ARM32_MAX_MAPS) throw new Arm32Error(`the arm32 target holds at most ${ARM32_MAX_MAPS} maps (${defs.length} here)`);
  for (const m of defs) {
    const ok = m.type === MAP_TYPE_ARRAY || m.type === MAP_TYPE_HASH || m.type === MAP_TYPE_PERCPU_ARRAY ||
      m.type === MAP_TYPE_PROG_ARRAY;
    if (!ok) {
      throw new Arm32Error(`map '${m.name}' is a ${MAP_TYPE_NAMES[m.type] ?? `type ${m.type}`} map; the arm32 target ` +
        "supports array, percpu_array, hash, prog_array and global data maps");
    }
    if (m.type === MAP_TYPE_PROG_ARRAY && (m.keySize !== 4 || m.valueSize !== 4)) {
      throw new Arm32Error(`map '${m.name}': a program array has 4-byte keys and values`);
    }
    if (m.type === MAP_TYPE_PERCPU_ARRAY && ncpus > 1) throw new Arm32Error(`map '${m.name}': the arm32 target models one CPU`);
  }
  const names = defs.map((m) => new TextEncoder().encode(JSON.stringify(m.name)));
  let at = DESC_OFFSET + DESC_SIZE * defs.length;
  const nameAt = names.map((n) => { const p = at; at += n.length; return p; });
  const extra = extraNames.map((n) => new TextEncoder().encode(n));
  const extraAt = extra.map((n) => { const p = at; at += n.length; return p; });
  at = roundUp8(at);
  // Program arrays start with their slots: program ids, 0xffffffff where empty (8 bytes apart)
  const progInit = defs.map((m, i) => {
    if (m.type !== MAP_TYPE_PROG_ARRAY) return undefined;
    const bytes = new Uint8Array(m.maxEntries * 8).fill(0xff);
    const dv = new DataView(bytes.buffer);
    (slots?.(i) ?? []).forEach((id, k) => { if (id !== undefined && k < m.maxEntries) dv.setUint32(8 * k, id, true); });
    return bytes;
  });
  const hasInit = (i: number) => Boolean(defs[i].initialData || progInit[i]);
  // Arenas with initial bytes first (they are copied at start-up), then the zero-filled rest.
  const order = defs.map((_, i) => i).sort((a, b) => Number(!hasInit(b)) - Number(!hasInit(a)));
  const values: number[] = new Array(defs.length);
  const hashExtra: { buckets: number; records: number }[] = new Array(defs.length);
  let initEnd = at;
  for (const i of order) {
    const m = defs[i];
    const window = m.type === MAP_TYPE_HASH ? roundUp8(m.keySize) : 8; // read-only bytes in front, as in the core
    values[i] = at + window;
    at = values[i] + m.maxEntries * roundUp8(m.valueSize);
    if (hasInit(i)) initEnd = at;
  }
  for (const i of order) {
    const m = defs[i];
    if (m.type !== MAP_TYPE_HASH) continue;
    const buckets = bucketCount(m.maxEntries);
    hashExtra[i] = { buckets: at, records: 0 };
    at += 4 * buckets;
    hashExtra[i].records = at;
    at += m.maxEntries * (RECORD_HEADER + roundUp8(m.keySize));
  }
  const size = roundUp8(at);
  if (ARM32_DATA_BASE + size > 0xf0000000) throw new Arm32Error(`the maps need ${size} bytes: too large`);
  const init = new Uint8Array(Math.max(initEnd, ...extraAt.map((p, k) => p + extra[k].length)));
  extra.forEach((n, k) => init.set(n, extraAt[k]));
  const v = new DataView(init.buffer);
  v.setUint32(0, defs.length, true);
  defs.forEach((m, i) => {
    const d = DESC_OFFSET + DESC_SIZE * i;
    const base = ARM32_DATA_BASE;
    const stride = roundUp8(m.valueSize);
    const start = base + values[i] - (m.type === MAP_TYPE_HASH ? roundUp8(m.keySize) : 8);
    const end = base + values[i] + m.maxEntries * stride;
    const prog = m.type === MAP_TYPE_PROG_ARRAY;
    v.setUint32(d + D.type, m.type === MAP_TYPE_HASH || prog ? m.type : MAP_TYPE_ARRAY, true);
    v.setUint32(d + D.keySize, m.keySize, true);
    v.setUint32(d + D.valueSize, m.valueSize, true);
    v.setUint32(d + D.max, m.maxEntries, true);
    v.setUint32(d + D.values, base + values[i], true);
    v.setUint32(d + D.stride, stride, true);
    if (!prog) { // a program array's slots are no region: programs cannot reach them
      v.setUint32(d + D.region, start, true);
      v.setUint32(d + D.region + 4, end, true);
    }
    if (!m.readonly && !prog) {
      v.setUint32(d + D.region + 8, base + values[i], true);
      v.setUint32(d + D.region + 12, end, true);
    }
    v.setUint32(d + D.name, base + nameAt[i], true);
    v.setUint32(d + D.nameLen, names[i].length, true);
    init.set(names[i], nameAt[i]);
    if (m.type === MAP_TYPE_HASH) {
      v.setUint32(d + D.buckets, base + hashExtra[i].buckets, true);
      v.setUint32(d + D.records, base + hashExtra[i].records, true);
      v.setUint32(d + D.mask, bucketCount(m.maxEntries) - 1, true);
      v.setUint32(d + D.recStride, RECORD_HEADER + roundUp8(m.keySize), true);
    } else if (!prog) v.setUint32(d + D.zeroSkip, 1, true);
    if (m.initialData) init.set(m.initialData.subarray(0, m.valueSize), values[i]);
    if (progInit[i]) init.set(progInit[i]!, values[i]);
  });
  return {
    maps: { count: defs.length, init, size }, valueAddress: values.map((x) => ARM32_DATA_BASE + x),
    names: extra.map((n, k) => ({ address: ARM32_DATA_BASE + extraAt[k], length: n.length })),
  };
}

function bucketCount(max: number): number {
  return max <= 1 ? 1 : 2 ** Math.ceil(Math.log2(max));
}

/** The program's instructions with map references resolved for the executable. */
export function linkForArm32(name: string, original: Uint8Array, layout: Arm32MapLayout, defs: MapDef[]): Uint8Array {
  try {
    return resolvePseudoLoads(name, original, defs, {
      map: (i) => (BigInt(MAP_HANDLE_TAG) << 32n) | BigInt(i),
      mapValue: (i, offset) => BigInt(layout.valueAddress[i] + offset),
      func: (_target, pc) => {
        throw new Arm32Error(`${name}: callbacks (lddw of a function) are not supported by the arm32 target (instruction ${pc})`, pc);
      },
    });
  } catch (e) {
    if (e instanceof LinkError) throw new Arm32Error(e.message, e.pc);
    throw e;
  }
}

export interface BuildOptions {
  budget?: number;
  idiv?: boolean;
}

function linked(obj: LoadedObject, prog: Program): LinkedProgram {
  return obj.runtime.programs[prog.id];
}

/** Does the program call bpf_tail_call (helper 12)? */
function tailCalls(insns: Uint8Array): boolean {
  for (let i = 0; i + INSN_SIZE <= insns.length; i += INSN_SIZE) {
    const op = insns[i];
    if (op === 0x18) { i += INSN_SIZE; continue; }
    const imm = new DataView(insns.buffer, insns.byteOffset + i + 4, 4).getInt32(0, true);
    if (op === 0x85 && (insns[i + 1] >> 4) === 0 && imm === 12) return true;
  }
  return false;
}

/** The slots of every program array (program ids, undefined where empty), as the object's maps hold them now. */
function progArraySlots(obj: LoadedObject): Map<number, (number | undefined)[]> {
  const out = new Map<number, (number | undefined)[]>();
  const maps = [...obj.maps.values()];
  obj.object.maps.forEach((def, i) => {
    if (def.type !== MAP_TYPE_PROG_ARRAY) return;
    const slots: (number | undefined)[] = new Array(def.maxEntries).fill(undefined);
    for (const { key, value } of maps[i].dump()) {
      const k = new DataView(key.buffer, key.byteOffset).getUint32(0, true);
      if (k < def.maxEntries) slots[k] = new DataView(value.buffer, value.byteOffset).getUint32(0, true);
    }
    out.set(i, slots);
  });
  return out;
}

/**
 * The programs an executable of `prog` holds: `prog`, and when it makes tail calls, every program a program
 * array holds (a tail call can reach any of them; their own tail calls reach the same set).
 */
export function executablePrograms(obj: LoadedObject, prog: Program): Program[] {
  if (!tailCalls(linked(obj, prog).original)) return [prog];
  const ids = new Set<number>();
  for (const slots of progArraySlots(obj).values()) for (const id of slots) if (id !== undefined) ids.add(id);
  const progs = [prog];
  for (const p of obj.programs.values()) if (p !== prog && ids.has(linked(obj, p).id)) progs.push(p);
  return progs;
}

function buildOptions(obj: LoadedObject, prog: Program, opts: BuildOptions): { insns: Uint8Array; options: Arm32Options } {
  const defs = obj.object.maps;
  const slots = progArraySlots(obj);
  const progs = executablePrograms(obj, prog);
  const layout = layoutMaps(defs, obj.runtime.options.ncpus ?? 1, (i) => slots.get(i) ?? [],
    progs.length > 1 ? progs.map((p) => p.name) : []);
  const parts = progs.map((p) => linkForArm32(p.name, linked(obj, p).original, layout, defs));
  let programs: Int32Array | undefined;
  let insns = parts[0];
  if (tailCalls(parts[0])) {
    programs = new Int32Array(3 * (Math.max(...obj.runtime.programs.map((p) => p.id)) + 1)).fill(-1);
    insns = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    parts.forEach((part, k) => {
      const id = linked(obj, progs[k]).id;
      programs![3 * id] = at / INSN_SIZE;
      programs![3 * id + 1] = layout.names[k]?.address ?? 0;
      programs![3 * id + 2] = layout.names[k]?.length ?? 0;
      insns.set(part, at);
      at += part.length;
    });
  }
  return {
    insns,
    options: {
      budget: opts.budget ?? obj.runtime.options.budget ?? 1_000_000,
      idiv: opts.idiv,
      skb: SKB_TYPES.has(prog.type),
      xdp: prog.type === "xdp",
      maps: defs.length ? layout.maps : undefined,
      programs,
    },
  };
}

/**
 * A static ARM Linux executable running `prog` with the object's maps:
 *   FILE (--mem DATA | --pcap FILE|- | --iface IFNAME [--seconds N]) [--repeat N] [--json]
 * Socket filters see --mem's bytes and every packet through a struct __sk_buff; other programs get r1 = the
 * bytes, r2 = their length. Prints r0 and the maps (--json: what `tinybpf run --json` prints).
 */
export function buildExecutable(obj: LoadedObject, prog: Program, opts: BuildOptions = {}): Uint8Array {
  const b = buildOptions(obj, prog, opts);
  return buildArm32Executable(b.insns, b.options);
}

/**
 * What buildExecutable(obj, prog) generates for the program, as a listing: each eBPF instruction (map references
 * resolved) followed by the ARM code generated for it (src/arm32.ts arm32Listing; needs llvm-objdump).
 */
export function executableListing(obj: LoadedObject, prog: Program, opts: BuildOptions = {}): string {
  const b = buildOptions(obj, prog, opts);
  return arm32Listing(b.insns, b.options);
}

export interface RunExecutableArgs {
  mem?: string; // a file, or "-" for standard input
  pcap?: string; // classic pcap or pcapng (converted to classic pcap for the executable), or "-"
  /** A live capture (socket filters): the interface to read, for `seconds` (default 10). */
  iface?: string;
  seconds?: number;
  repeat?: number;
  json?: boolean;
  budget?: number;
  /** Milliseconds before the executable is killed; default 600,000. */
  timeout?: number;
}

export class Arm32RunError extends Error {
  constructor(message: string, readonly status: number | null) {
    super(message);
    this.name = "Arm32RunError";
  }
}

/**
 * Builds `prog` and runs it (natively on 32-bit ARM Linux, else under qemu-arm); returns what the executable
 * printed on standard output. A fault throws Arm32RunError with the program's name and the fault line.
 */
export function runExecutable(obj: LoadedObject, prog: Program, args: RunExecutableArgs = {}): string {
  const inputs = [args.mem, args.pcap, args.iface].filter((x) => x !== undefined).length;
  if (inputs > 1) throw new Error("--mem, --pcap and --iface cannot be combined");
  const exeBytes = buildExecutable(obj, prog, { budget: args.budget });
  // with the programs tail calls reach, the executable names the program that faulted itself
  const named = executablePrograms(obj, prog).length > 1;
  const dir = mkdtempSync(join(tmpdir(), "tinybpf-arm32-"));
  try {
    const exe = join(dir, basename(prog.name) || "prog");
    writeFileSync(exe, exeBytes);
    chmodSync(exe, 0o755);
    const argv: string[] = [];
    if (args.mem !== undefined) {
      const file = join(dir, "mem");
      writeFileSync(file, readInput(args.mem));
      argv.push("--mem", file);
    }
    if (args.pcap !== undefined) {
      const bytes = readInput(args.pcap);
      const packets = readCapture(bytes, args.pcap === "-" ? "stdin" : basename(args.pcap)); // validates like `run`
      const magic = bytes.length >= 4 ? new DataView(bytes.buffer, bytes.byteOffset).getUint32(0, true) : 0;
      const classic = [0xa1b2c3d4, 0xa1b23c4d, 0xd4c3b2a1, 0x4d3cb2a1].includes(magic);
      const file = join(dir, "capture.pcap");
      writeFileSync(file, classic ? bytes : writePcap(packets.map((p) => ({ data: p.data }))));
      argv.push("--pcap", file);
    }
    if (args.iface !== undefined) {
      if (!SKB_TYPES.has(prog.type)) throw new Error(`${prog.name}: live capture (--iface) needs a socket filter`);
      argv.push("--iface", args.iface);
      if (args.seconds !== undefined) argv.push("--seconds", String(args.seconds));
    }
    if (args.repeat !== undefined) argv.push("--repeat", String(args.repeat));
    if (args.json) argv.push("--json");
    const native = process.platform === "linux" && process.arch === "arm";
    const timeout = args.timeout ?? 600_000;
    const r = native
      ? spawnSync(exe, argv, { encoding: "utf8", timeout, killSignal: "SIGKILL", maxBuffer: 1 << 28 })
      : spawnSync(qemu(), ["-cpu", "cortex-a8", exe, ...argv], { encoding: "utf8", timeout, killSignal: "SIGKILL", maxBuffer: 1 << 28 });
    if (r.error && (r.error as { code?: string }).code === "ETIMEDOUT") throw new Arm32Timeout(timeout);
    if (r.error) throw r.error;
    if (r.status === 0) return r.stdout;
    if (r.status === 1) throw new Arm32RunError(named ? r.stderr.trim() : `${prog.name}: ${r.stderr.trim()}`, 1);
    throw new Arm32RunError(`${prog.name}: the ARM executable failed (status ${r.status}): ${(r.stderr || r.stdout).trim()}`, r.status);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------------------------------
// The engine: stateless runs of programs whose object has no maps.

const FAULT_PATTERNS: [RegExp, number][] = [
  [/^out-of-bounds read of (\d+) bytes at 0x([0-9a-f]+) \(instruction (\d+)\)$/, FAULT_READ],
  [/^out-of-bounds write of (\d+) bytes at 0x([0-9a-f]+) \(instruction (\d+)\)$/, FAULT_WRITE],
  [/^write of (\d+) bytes to read-only memory at 0x([0-9a-f]+) \(instruction (\d+)\)$/, FAULT_WRITE],
  [/^instruction budget of (\d+) exhausted \(instruction (\d+)\)$/, FAULT_BUDGET],
  [/^call depth exceeds \d+ frames \(instruction (\d+)\)$/, FAULT_CALL_DEPTH],
  [/^unknown helper (\d+) \(instruction (\d+)\)$/, FAULT_HELPER],
  [/^helper argument 0x([0-9a-f]+) is not a map of the right kind \(instruction (\d+)\)$/, FAULT_BAD_MAP],
];

/** Leaves an executable's fault line in the core's fault state (addresses are the executable's). */
function recordFault(rt: Runtime, line: string): void {
  const v = rt.core.view;
  for (const [re, kind] of FAULT_PATTERNS) {
    const m = re.exec(line);
    if (!m) continue;
    let addr = 0n;
    let size = 0;
    let pc = 0;
    if (kind === FAULT_READ || kind === FAULT_WRITE) {
      size = Number(m[1]);
      addr = BigInt("0x" + m[2]);
      pc = Number(m[3]);
    } else if (kind === FAULT_BUDGET || kind === FAULT_HELPER) {
      addr = BigInt(m[1]);
      pc = Number(m[2]);
    } else if (kind === FAULT_BAD_MAP) {
      addr = BigInt("0x" + m[1]);
      pc = Number(m[2]);
    } else pc = Number(m[1]);
    v.setUint32(STATE + ST_FAULT, kind, true);
    v.setUint32(STATE + ST_FAULT_PC, pc, true);
    v.setBigUint64(STATE + ST_FAULT_ADDR, addr, true);
    v.setUint32(STATE + ST_FAULT_SIZE, size, true);
    return;
  }
  throw new Error(`arm32 engine: ${line}`);
}

export const arm32Engine: Engine = {
  name: "arm32",
  run(rt, prog, r1, r2) {
    if (rt.maps.length > 0) {
      throw new Error(`${prog.name}: the arm32 engine runs programs of objects without maps through the API; ` +
        "build an executable (tinybpf build --target arm32) or use `tinybpf run --engine arm32` for programs with maps");
    }
    if (rt.core.view.getUint32(STATE + ST_PKT, true) !== 0) {
      throw new Error(`${prog.name}: the arm32 engine takes raw memory through the API; packets and contexts run ` +
        "through `tinybpf run --engine arm32 --pcap`");
    }
    rt.core.view.setUint32(STATE + ST_FAULT, 0, true);
    const bytes = r2 > 0n ? rt.core.memory.slice(Number(r1), Number(r1) + Number(r2)) : new Uint8Array(0);
    const result = runArm32(prog.insns, bytes, { budget: rt.core.budget() });
    if ("r0" in result) return result.r0;
    recordFault(rt, result.fault);
    return 0n;
  },
};

registerEngine(arm32Engine);
