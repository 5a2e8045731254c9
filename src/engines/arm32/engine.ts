// The ARM32 engine: builds a loaded object's program, with its maps, into a standalone ARM Linux executable
// (build.ts, assembly/arm32/, targets/arm32/) and runs it, natively on an ARM host or under qemu-arm elsewhere.
//
//   buildExecutable(obj, prog)        what `tinybpf build OBJ --target arm32 -o FILE` writes
//   runExecutable(obj, prog, args)    what `tinybpf run --engine arm32` prints (the executable's own output)
//   the "arm32" engine                Program.run() for programs of objects without maps (stateless runs)
//
// The executable holds the object's maps in a zero-filled segment at ARM32_DATA_BASE laid out here (see
// targets/arm32/abi.ts and maps/): arrays, hash maps (LRU, per-CPU with one CPU), LPM tries, queues, stacks, ring
// buffers, perf event arrays, program arrays, maps of maps, and global data (.data, .rodata, .bss, ...) as
// single-entry arrays. lddw PSEUDO_MAP_FD becomes the map's handle (MAP_HANDLE_TAG:index), PSEUDO_MAP_VALUE the
// value's address in that segment, before translation.

import { mkdtempSync, rmSync, writeFileSync, chmodSync } from "node:fs";
import { spawnSync, spawn } from "node:child_process";
import { tmpdir } from "node:os";
import { join, basename } from "node:path";
import {
  buildArm32Executable,
  runArm32,
  arm32Listing,
  arm32Sections,
  qemu,
  qemuCpu,
  Arm32Error,
  Arm32Timeout,
  ARM32_DATA_BASE,
  ARM32_MAX_MAPS,
  type Arm32Maps,
  type Arm32Options,
} from "./build.js";
import { registerEngine, type Engine } from "../../runtime/engines.js";
import type { LoadedObject, Program } from "../../api/object.js";
import type { MapDef } from "../../loader/loader.js";
import type { Runtime, LinkedProgram } from "../../runtime/runtime.js";
import { readCapture, writePcap } from "../../tools/pcap.js";
import { readInput } from "../../cli/args.js";
import { resolvePseudoLoads, LinkError } from "../../loader/link.js";
import {
  STATE,
  ST_FAULT,
  ST_FAULT_PC,
  ST_FAULT_ADDR,
  ST_FAULT_SIZE,
  ST_PKT,
  MAP_HANDLE_TAG,
  FAULT_READ,
  FAULT_WRITE,
  FAULT_BUDGET,
  FAULT_CALL_DEPTH,
  FAULT_HELPER,
  FAULT_BAD_MAP,
  FAULT_BAD_RECORD,
} from "../../../assembly/layout.js";
import { FUNC_HANDLE_TAG } from "../../../assembly/layout.js";
import {
  MAP_TYPE_ARRAY,
  MAP_TYPE_PERCPU_ARRAY,
  MAP_TYPE_HASH,
  MAP_TYPE_PROG_ARRAY,
  MAP_TYPE_PERCPU_HASH,
  MAP_TYPE_LRU_HASH,
  MAP_TYPE_LRU_PERCPU_HASH,
  MAP_TYPE_HASH_OF_MAPS,
  MAP_TYPE_ARRAY_OF_MAPS,
  MAP_TYPE_LPM_TRIE,
  MAP_TYPE_QUEUE,
  MAP_TYPE_STACK,
  MAP_TYPE_RINGBUF,
  MAP_TYPE_PERF_EVENT_ARRAY,
  BPF_F_RDONLY_PROG,
} from "../../../assembly/maps/desc.js";
import { INSN_SIZE } from "../../../assembly/isa.js";
import {
  ID_TABLE_AT,
  DESC_OFFSET,
  DESC_SIZE,
  RECORD_HEADER,
  D_TYPE,
  D_KEY_SIZE,
  D_VALUE_SIZE,
  D_MAX,
  D_VALUES,
  D_STRIDE,
  D_BUCKETS,
  D_RECORDS,
  D_MASK,
  D_FRESH,
  D_FREE,
  D_COUNT,
  D_REGION,
  D_NAME,
  D_NAME_LEN,
  D_REC_STRIDE,
  D_ZERO_SKIP,
  K_HASH,
  K_ARRAY,
  K_PROGS,
  K_LPM,
  K_QUEUE,
  K_STACK,
  K_RINGBUF,
  K_PERF,
  V_LRU,
  V_INNER,
  TRACE_DESC_AT,
} from "../../../targets/arm32/abi.js";
import { MAP_TYPE_NAMES } from "../../api/bpf-map.js";

// the map area's layout, shared with the device code (targets/arm32/abi.ts)
const D = {
  type: D_TYPE,
  keySize: D_KEY_SIZE,
  valueSize: D_VALUE_SIZE,
  max: D_MAX,
  values: D_VALUES,
  stride: D_STRIDE,
  buckets: D_BUCKETS,
  records: D_RECORDS,
  mask: D_MASK,
  fresh: D_FRESH,
  free: D_FREE,
  count: D_COUNT,
  region: D_REGION,
  name: D_NAME,
  nameLen: D_NAME_LEN,
  recStride: D_REC_STRIDE,
  zeroSkip: D_ZERO_SKIP,
};

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

/** Can an executable of a program of this type capture live (--iface): does it see packets through __sk_buff? */
export function capturesLive(type: string): boolean {
  return SKB_TYPES.has(type);
}

const roundUp8 = (n: number) => (n + 7) & ~7;

export interface Arm32MapLayout {
  maps: Arm32Maps;
  /** Address of map i's first value in the executable. */
  valueAddress: number[];
  /** Where the names given to layoutMaps are (UTF-8, in the area's initial bytes): address and length. */
  names: { address: number; length: number }[];
}

/** Entries the executable starts with, in the order of the host's BpfMap.dump() (maps whose state it carries). */
export type Arm32Entries = (map: number) => { key: Uint8Array; value: Uint8Array }[];

// D_TYPE: the storage kind (abi.ts K_*) in the low byte, variant bits (V_*) above it
const KIND: Record<number, number> = {
  [MAP_TYPE_HASH]: K_HASH,
  [MAP_TYPE_PERCPU_HASH]: K_HASH,
  [MAP_TYPE_LRU_HASH]: K_HASH | V_LRU,
  [MAP_TYPE_LRU_PERCPU_HASH]: K_HASH | V_LRU,
  [MAP_TYPE_HASH_OF_MAPS]: K_HASH | V_INNER,
  [MAP_TYPE_ARRAY]: K_ARRAY,
  [MAP_TYPE_PERCPU_ARRAY]: K_ARRAY,
  [MAP_TYPE_PROG_ARRAY]: K_PROGS,
  [MAP_TYPE_ARRAY_OF_MAPS]: K_PROGS | V_INNER,
  [MAP_TYPE_LPM_TRIE]: K_LPM,
  [MAP_TYPE_QUEUE]: K_QUEUE,
  [MAP_TYPE_STACK]: K_STACK,
  [MAP_TYPE_RINGBUF]: K_RINGBUF,
  [MAP_TYPE_PERF_EVENT_ARRAY]: K_PERF,
};
const PERCPU_TYPES = new Set([MAP_TYPE_PERCPU_ARRAY, MAP_TYPE_PERCPU_HASH, MAP_TYPE_LRU_PERCPU_HASH]);
/** Where the id -> index table of maps of maps is (a u32 in the area's header): inner maps are named by core id. */

/**
 * Lays out every map of an object in the executable's map segment; throws on a map it cannot hold. `slots(i)`
 * gives program array i's slots (program ids; undefined: empty), which the executable starts with. `extraNames`
 * (the programs' names, for fault reports) go into the area's initial bytes too. `entries(i)` gives the entries
 * that maps of maps, LPM tries, queues and stacks start with (as the host holds them), and `ids` the core's id of
 * each map (what map-of-maps slots hold; default: the index).
 */
export function layoutMaps(
  defs: MapDef[],
  ncpus = 1,
  slots?: (map: number) => (number | undefined)[],
  extraNames: (string | Uint8Array)[] = [],
  entries?: Arm32Entries,
  ids?: number[],
): Arm32MapLayout {
  if (defs.length > ARM32_MAX_MAPS)
    throw new Arm32Error(`the arm32 target holds at most ${ARM32_MAX_MAPS} maps (${defs.length} here)`);
  for (const m of defs) {
    if (KIND[m.type] === undefined) {
      throw new Arm32Error(
        `map '${m.name}' is a ${MAP_TYPE_NAMES[m.type] ?? `type ${m.type}`} map; the arm32 target ` +
          "does not support it",
      );
    }
    if (m.type === MAP_TYPE_PROG_ARRAY && (m.keySize !== 4 || m.valueSize !== 4)) {
      throw new Arm32Error(`map '${m.name}': a program array has 4-byte keys and values`);
    }
    if (PERCPU_TYPES.has(m.type) && ncpus > 1) throw new Arm32Error(`map '${m.name}': the arm32 target models one CPU`);
  }
  const idOf = (i: number) => ids?.[i] ?? i;
  const hasInner = defs.some((m) => (KIND[m.type] & V_INNER) !== 0);
  const names = defs.map((m) => new TextEncoder().encode(JSON.stringify(m.name)));
  let at = DESC_OFFSET + DESC_SIZE * defs.length;
  const nameAt = names.map((n) => {
    const p = at;
    at += n.length;
    return p;
  });
  const extra = extraNames.map((n) => (typeof n === "string" ? new TextEncoder().encode(n) : n));
  const extraAt = extra.map((n, k) => {
    if (typeof extraNames[k] !== "string") at = (at + 3) & ~3; // binary data is read in words
    const p = at;
    at += n.length;
    return p;
  });
  at = roundUp8(at);
  // maps of maps hold core ids: the executable turns them into map indexes through this table
  const idTableAt = at;
  if (hasInner) at = roundUp8(at + 4 * (Math.max(...defs.map((_, i) => idOf(i))) + 1));
  // Program arrays and arrays of maps start with their slots: ids, 0xffffffff where empty (8 bytes apart)
  const slotInit = defs.map((m, i) => {
    if (m.type !== MAP_TYPE_PROG_ARRAY && m.type !== MAP_TYPE_ARRAY_OF_MAPS) return undefined;
    const bytes = new Uint8Array(m.maxEntries * 8).fill(0xff);
    const dv = new DataView(bytes.buffer);
    if (m.type === MAP_TYPE_PROG_ARRAY) {
      (slots?.(i) ?? []).forEach((id, k) => {
        if (id !== undefined && k < m.maxEntries) dv.setUint32(8 * k, id, true);
      });
    } else {
      for (const e of entries?.(i) ?? []) {
        const k = new DataView(e.key.buffer, e.key.byteOffset).getUint32(0, true);
        if (k < m.maxEntries) bytes.set(e.value.subarray(0, 4), 8 * k);
      }
    }
    return bytes;
  });
  const preset = (i: number) => {
    const t = defs[i].type;
    return t === MAP_TYPE_HASH ||
      t === MAP_TYPE_PERCPU_HASH ||
      t === MAP_TYPE_HASH_OF_MAPS ||
      t === MAP_TYPE_LPM_TRIE ||
      t === MAP_TYPE_QUEUE ||
      t === MAP_TYPE_STACK
      ? (entries?.(i) ?? [])
      : [];
  };
  const hasInit = (i: number) => Boolean(defs[i].initialData || slotInit[i] || preset(i).length);
  // Arenas with initial bytes first (they are copied at start-up, with their keys and buckets), then the rest.
  const order = defs.map((_, i) => i).sort((a, b) => Number(!hasInit(a)) - Number(!hasInit(b)));
  const values: number[] = new Array(defs.length);
  const side: { buckets: number; records: number }[] = new Array(defs.length);
  const kind = (i: number) => KIND[defs[i].type] & 0xff;
  const windowOf = (i: number) =>
    kind(i) === K_HASH ? roundUp8(defs[i].keySize) : kind(i) === K_ARRAY || kind(i) === K_PROGS ? 8 : 0;
  const arenaBytes = (i: number) =>
    kind(i) === K_RINGBUF
      ? defs[i].maxEntries
      : kind(i) === K_PERF
        ? 0
        : defs[i].maxEntries * roundUp8(defs[i].valueSize);
  // Buckets (LRU maps: head and tail of the recency list in front) and element records; LPM keys
  const placeSide = (i: number) => {
    const m = defs[i];
    if (kind(i) === K_HASH) {
      if (KIND[m.type] & V_LRU) at += 8;
      side[i] = { buckets: at, records: 0 };
      at += 4 * bucketCount(m.maxEntries);
      side[i].records = at;
      at += m.maxEntries * (RECORD_HEADER + roundUp8(m.keySize));
    } else if (kind(i) === K_LPM) {
      side[i] = { buckets: 0, records: at };
      at += m.maxEntries * roundUp8(m.keySize);
    }
  };
  let initEnd = at;
  for (const i of order) {
    if (kind(i) === K_RINGBUF) at = (at + 4095) & ~4095; // a ring is page aligned, as the kernel's
    values[i] = at + windowOf(i);
    at = values[i] + arenaBytes(i);
    if (preset(i).length) placeSide(i);
    if (hasInit(i)) initEnd = at;
  }
  for (const i of order) if (!preset(i).length) placeSide(i);
  const size = roundUp8(at);
  if (ARM32_DATA_BASE + size > 0xf0000000) throw new Arm32Error(`the maps need ${size} bytes: too large`);
  const init = new Uint8Array(
    Math.max(initEnd, hasInner ? idTableAt + 4 : 0, ...extraAt.map((p, k) => p + extra[k].length)),
  );
  extra.forEach((n, k) => init.set(n, extraAt[k]));
  const v = new DataView(init.buffer);
  v.setUint32(0, defs.length, true);
  if (hasInner) {
    v.setUint32(ID_TABLE_AT, ARM32_DATA_BASE + idTableAt, true);
    defs.forEach((_, i) => v.setUint32(idTableAt + 4 * idOf(i), i, true));
  }
  defs.forEach((m, i) => {
    const d = DESC_OFFSET + DESC_SIZE * i;
    const base = ARM32_DATA_BASE;
    const stride = roundUp8(m.valueSize);
    const k = KIND[m.type];
    const start = base + values[i] - windowOf(i);
    const end = base + values[i] + arenaBytes(i);
    const readonly = Boolean(m.readonly || m.flags & BPF_F_RDONLY_PROG);
    // programs reach only value arenas: not the slots of program arrays and maps of maps, queues' values (copied
    // in and out), perf records or a ring's data (only a sample it reserved, a region of its own while it is open)
    const region =
      kind(i) !== K_PROGS &&
      kind(i) !== K_QUEUE &&
      kind(i) !== K_STACK &&
      kind(i) !== K_PERF &&
      kind(i) !== K_RINGBUF &&
      (k & V_INNER) === 0;
    v.setUint32(d + D.type, k, true);
    v.setUint32(d + D.keySize, m.keySize, true);
    v.setUint32(d + D.valueSize, m.valueSize, true);
    // a perf event array without max_entries gets one slot per CPU, as the host creates it (src/runtime/runtime.ts)
    v.setUint32(
      d + D.max,
      m.type === MAP_TYPE_PERF_EVENT_ARRAY && m.maxEntries === 0 ? Math.max(1, ncpus) : m.maxEntries,
      true,
    );
    v.setUint32(d + D.values, base + values[i], true);
    v.setUint32(d + D.stride, stride, true);
    if (region) {
      v.setUint32(d + D.region, start, true);
      v.setUint32(d + D.region + 4, end, true);
      if (!readonly) {
        v.setUint32(d + D.region + 8, base + values[i], true);
        v.setUint32(d + D.region + 12, end, true);
      }
    }
    v.setUint32(d + D.name, base + nameAt[i], true);
    v.setUint32(d + D.nameLen, names[i].length, true);
    init.set(names[i], nameAt[i]);
    if (kind(i) === K_HASH) {
      v.setUint32(d + D.buckets, base + side[i].buckets, true);
      v.setUint32(d + D.records, base + side[i].records, true);
      v.setUint32(d + D.mask, bucketCount(m.maxEntries) - 1, true);
      v.setUint32(d + D.recStride, RECORD_HEADER + roundUp8(m.keySize), true);
    } else if (kind(i) === K_LPM) {
      v.setUint32(d + D.records, base + side[i].records, true);
      v.setUint32(d + D.recStride, roundUp8(m.keySize), true);
    } else if (k === K_ARRAY) v.setUint32(d + D.zeroSkip, 1, true);
    if ((kind(i) === K_QUEUE || kind(i) === K_STACK) && readonly) v.setUint32(d + D.mask, 1, true);
    if (m.initialData) init.set(m.initialData.subarray(0, m.valueSize), values[i]);
    if (slotInit[i]) init.set(slotInit[i]!, values[i]);
    presetEntries(m, preset(i), init, d, values[i], side[i]);
  });
  return {
    maps: { count: defs.length, init, size },
    valueAddress: values.map((x) => ARM32_DATA_BASE + x),
    names: extra.map((n, k) => ({ address: ARM32_DATA_BASE + extraAt[k], length: n.length })),
  };
}

/**
 * Writes the entries a hash map (a trace script's BEGIN fills some), hash of maps, LPM trie, queue or stack starts
 * with, laid out so that the executable lists them in the same order (the dump's): hash elements 1..n chained
 * bucket by bucket in that order, LPM slots 0..n-1, a queue's values from slot 0 (a stack's newest last).
 */
function presetEntries(
  m: MapDef,
  list: { key: Uint8Array; value: Uint8Array }[],
  init: Uint8Array,
  d: number,
  values: number,
  side: { buckets: number; records: number } | undefined,
): void {
  if (!list.length) return;
  const v = new DataView(init.buffer);
  const stride = roundUp8(m.valueSize);
  const n = list.length;
  if (m.type === MAP_TYPE_QUEUE || m.type === MAP_TYPE_STACK) {
    const order = m.type === MAP_TYPE_STACK ? [...list].reverse() : list;
    order.forEach((e, k) => init.set(e.value.subarray(0, m.valueSize), values + k * stride));
    v.setUint32(d + D.count, n, true);
    return;
  }
  v.setUint32(d + D.fresh, n, true);
  if (m.type === MAP_TYPE_LPM_TRIE) {
    list.forEach((e, k) => {
      init.set(e.key.subarray(0, m.keySize), side!.records + k * roundUp8(m.keySize));
      init.set(e.value.subarray(0, m.valueSize), values + k * stride);
    });
    v.setUint32(d + D.count, n, true);
    return;
  }
  // hashes: element e (1..n) is entry e - 1; each bucket's chain follows the dump's order
  const mask = bucketCount(m.maxEntries) - 1;
  const recStride = RECORD_HEADER + roundUp8(m.keySize);
  const last = new Map<number, number>();
  list.forEach((e, k) => {
    const hash = hashBytes(e.key);
    const rec = side!.records + k * recStride;
    v.setUint32(rec + 4, hash, true);
    init.set(e.key.subarray(0, m.keySize), rec + RECORD_HEADER);
    init.set(e.value.subarray(0, m.valueSize), values + k * stride);
    const bucket = hash & mask;
    const prev = last.get(bucket);
    if (prev === undefined) v.setUint32(side!.buckets + 4 * bucket, k + 1, true);
    else v.setUint32(side!.records + prev * recStride, k + 1, true);
    last.set(bucket, k);
  });
  v.setUint32(d + D.count, n, true);
}

/** The core's hash of a key (assembly/maps/common.ts hashBytes). */
function hashBytes(key: Uint8Array): number {
  let h = (0x9747b28c ^ key.length) >>> 0;
  let i = 0;
  const dv = new DataView(key.buffer, key.byteOffset, key.length);
  for (; i + 4 <= key.length; i += 4) {
    h = Math.imul(rotl(Math.imul(h ^ dv.getUint32(i, true), 0xcc9e2d51), 15), 0x1b873593);
  }
  for (; i < key.length; i++) h = Math.imul(h ^ key[i], 0x01000193);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  return h >>> 0;
}

const rotl = (x: number, n: number) => (x << n) | (x >>> (32 - n));

function bucketCount(max: number): number {
  return max <= 1 ? 1 : 2 ** Math.ceil(Math.log2(max));
}

/** The program's instructions with map references resolved for the executable. */
export function linkForArm32(name: string, original: Uint8Array, layout: Arm32MapLayout, defs: MapDef[]): Uint8Array {
  try {
    return resolvePseudoLoads(name, original, defs, {
      map: (i) => (BigInt(MAP_HANDLE_TAG) << 32n) | BigInt(i),
      mapValue: (i, offset) => BigInt(layout.valueAddress[i] + offset),
      // a callback (bpf_loop, for_each_map_elem): its handle, the index inside this program (build.ts)
      func: (target) => (BigInt(FUNC_HANDLE_TAG) << 32n) | BigInt(target),
    });
  } catch (e) {
    if (e instanceof LinkError) throw new Arm32Error(e.message, e.pc);
    throw e;
  }
}

/** The description's bytes (targets/arm32/bpftrace.ts) and the parts of the printer it needs (abi.ts OPT_BT_*). */
export interface BpftraceDescription {
  bytes: Uint8Array;
  parts: number;
}

export interface BuildOptions {
  budget?: number;
  idiv?: boolean;
  /** A trace script's description of its maps (src/trace/arm32-describe.ts): the executable prints them as bpftrace. */
  bpftrace?: BpftraceDescription;
  /** ARMv6 code (build.ts Arm32Options.armv6). */
  armv6?: boolean;
  /** Section headers, for disassemblers (build.ts Arm32Options.sections). */
  sections?: boolean;
  /** Socket filters: the live capture's --snapshots MS (build.ts Arm32Options.snapshots). */
  snapshots?: boolean;
  /** A trace script's printf and exit() (build.ts Arm32Options.trace). */
  trace?: number;
}

function linked(obj: LoadedObject, prog: Program): LinkedProgram {
  return obj.runtime.programs[prog.id];
}

/** Does the program call bpf_tail_call (helper 12)? */
function tailCalls(insns: Uint8Array): boolean {
  for (let i = 0; i + INSN_SIZE <= insns.length; i += INSN_SIZE) {
    const op = insns[i];
    if (op === 0x18) {
      i += INSN_SIZE;
      continue;
    }
    const imm = new DataView(insns.buffer, insns.byteOffset + i + 4, 4).getInt32(0, true);
    if (op === 0x85 && insns[i + 1] >> 4 === 0 && imm === 12) return true;
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

function buildOptions(
  obj: LoadedObject,
  prog: Program,
  opts: BuildOptions,
): { insns: Uint8Array; options: Arm32Options } {
  const defs = obj.object.maps;
  const slots = progArraySlots(obj);
  const progs = executablePrograms(obj, prog);
  const maps = [...obj.maps.values()];
  const names: (string | Uint8Array)[] = progs.length > 1 ? progs.map((p) => p.name) : [];
  const layout = layoutMaps(
    defs,
    obj.runtime.options.ncpus ?? 1,
    (i) => slots.get(i) ?? [],
    opts.bpftrace ? [...names, opts.bpftrace.bytes] : names,
    (i) => maps[i].dump(),
    defs.map((_, i) => obj.runtime.mapIds[i]),
  );
  if (opts.bpftrace) {
    const address = layout.names[names.length].address;
    new DataView(layout.maps.init.buffer).setUint32(TRACE_DESC_AT, address, true);
  }
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
      // a trace script's programs have no loops (the compiler unrolls them): they need no instruction budget
      budget: opts.budget ?? (opts.bpftrace ? 0 : (obj.runtime.options.budget ?? 1_000_000)),
      idiv: opts.idiv,
      armv6: opts.armv6,
      sections: opts.sections,
      conformance: obj.runtime.options.conformance,
      skb: SKB_TYPES.has(prog.type),
      xdp: prog.type === "xdp",
      maps: defs.length ? layout.maps : undefined,
      programs,
      bpftrace: opts.bpftrace !== undefined,
      bpftraceParts: opts.bpftrace?.parts,
      snapshots: opts.snapshots,
      trace: opts.trace,
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
 * resolved) followed by the ARM code generated for it (build.ts arm32Listing; needs llvm-objdump).
 */
export function executableListing(obj: LoadedObject, prog: Program, opts: BuildOptions = {}): string {
  const b = buildOptions(obj, prog, opts);
  return arm32Listing(b.insns, b.options);
}

/** The sizes of the parts of buildExecutable(obj, prog)'s image (build.ts arm32Sections). */
export function executableSections(obj: LoadedObject, prog: Program, opts: BuildOptions = {}) {
  const b = buildOptions(obj, prog, opts);
  return arm32Sections(b.insns, b.options);
}

export interface RunExecutableArgs {
  mem?: string; // a file, or "-" for standard input
  pcap?: string; // classic pcap or pcapng (converted to classic pcap for the executable), or "-"
  /** A live capture (socket filters): the interface to read, for `seconds` (default 10). */
  iface?: string;
  seconds?: number;
  repeat?: number;
  json?: boolean;
  /** Also print every run's r0 on a line of its own, before the rest (the driver's --each). */
  each?: boolean;
  budget?: number;
  /** ARMv6 code (build.ts Arm32Options.armv6), run under qemu-arm -cpu arm1176 off the device. */
  armv6?: boolean;
  /** Milliseconds before the executable is killed; default 600,000. */
  timeout?: number;
  /** A trace script's printf and exit() (build.ts Arm32Options.trace). */
  trace?: number;
}

export class Arm32RunError extends Error {
  constructor(
    message: string,
    readonly status: number | null,
  ) {
    super(message);
    this.name = "Arm32RunError";
  }
}

interface PreparedRun {
  dir: string;
  /** The command and its arguments: the executable itself on 32-bit ARM Linux, else qemu-arm running it. */
  command: string;
  argv: string[];
  /** With the programs tail calls reach, the executable names the program that faulted itself. */
  named: boolean;
}

/** Writes the executable and its input files to a fresh directory (the caller removes it). */
function prepareRun(obj: LoadedObject, prog: Program, args: RunExecutableArgs): PreparedRun {
  const inputs = [args.mem, args.pcap, args.iface].filter((x) => x !== undefined).length;
  if (inputs > 1) throw new Error("--mem, --pcap and --iface cannot be combined");
  const exeBytes = buildExecutable(obj, prog, { budget: args.budget, armv6: args.armv6, trace: args.trace });
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
    if (args.each) argv.push("--each");
    const native = process.platform === "linux" && process.arch === "arm";
    return native
      ? { dir, command: exe, argv, named }
      : { dir, command: qemu(), argv: ["-cpu", qemuCpu({ armv6: args.armv6 }), exe, ...argv], named };
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
}

/** The error for an executable that ended with a non-zero status. */
function runFailure(
  prog: Program,
  run: PreparedRun,
  status: number | null,
  stdout: string,
  stderr: string,
): Arm32RunError {
  if (status === 1) return new Arm32RunError(run.named ? stderr.trim() : `${prog.name}: ${stderr.trim()}`, 1);
  return new Arm32RunError(
    `${prog.name}: the ARM executable failed (status ${status}): ${(stderr || stdout).trim()}`,
    status,
  );
}

/**
 * Builds `prog` and runs it (natively on 32-bit ARM Linux, else under qemu-arm); returns what the executable
 * printed on standard output. A fault throws Arm32RunError with the program's name and the fault line. The
 * output is collected whole (up to 256 MiB): streamExecutable reads it as it comes, for maps of any size.
 */
export function runExecutable(obj: LoadedObject, prog: Program, args: RunExecutableArgs = {}): string {
  const run = prepareRun(obj, prog, args);
  try {
    const timeout = args.timeout ?? 600_000;
    const r = spawnSync(run.command, run.argv, {
      encoding: "utf8",
      timeout,
      killSignal: "SIGKILL",
      maxBuffer: 1 << 28,
    });
    if (r.error && (r.error as { code?: string }).code === "ETIMEDOUT") throw new Arm32Timeout(timeout);
    if (r.error) throw r.error;
    if (r.status === 0) {
      if (r.stderr) process.stderr.write(r.stderr); // bpf_trace_printk's text, where the interpreter prints it
      return r.stdout;
    }
    throw runFailure(prog, run, r.status, r.stdout, r.stderr);
  } finally {
    rmSync(run.dir, { recursive: true, force: true });
  }
}

/**
 * runExecutable, reading standard output as it comes: `onStdout` gets each piece as the executable writes it (what
 * `tinybpf run --engine arm32` prints, for maps of any size). Standard error goes on to ours when the run
 * succeeds (bpf_trace_printk's text); a failure rejects as runExecutable throws.
 */
export async function streamExecutable(
  obj: LoadedObject,
  prog: Program,
  args: RunExecutableArgs,
  onStdout: (text: string) => void,
): Promise<void> {
  const run = prepareRun(obj, prog, args);
  try {
    const child = spawn(run.command, run.argv, { stdio: ["ignore", "pipe", "pipe"] });
    let stderr = "";
    let failure: unknown;
    child.stdout.setEncoding("utf8").on("data", (text: string) => {
      if (failure !== undefined) return;
      try {
        onStdout(text);
      } catch (e) {
        failure = e; // the reader refused the output: stop the executable, report why
        child.kill("SIGKILL");
      }
    });
    child.stderr.setEncoding("utf8").on("data", (text: string) => {
      stderr += text;
    });
    const timeout = args.timeout ?? 600_000;
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill("SIGKILL");
    }, timeout);
    const status = await new Promise<number | null>((resolve, reject) => {
      child.on("error", reject);
      child.on("close", (code) => resolve(code));
    }).finally(() => clearTimeout(timer));
    if (failure !== undefined) throw failure;
    if (timedOut) throw new Arm32Timeout(timeout);
    if (status !== 0) throw runFailure(prog, run, status, "", stderr);
    if (stderr) process.stderr.write(stderr);
  } finally {
    rmSync(run.dir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------------------------------
// The engine: stateless runs of programs whose object has no maps.

// An address is printed as the region it was nearest to and an offset ("stack+0x1f8", src/runtime/fault-location.ts)
// or, far from every region, as itself ("0x1234").
const AT = "(.+)";
const FAULT_PATTERNS: [RegExp, number][] = [
  [new RegExp(`^out-of-bounds read of (\\d+) bytes at ${AT} \\(instruction (\\d+)\\)$`), FAULT_READ],
  [new RegExp(`^out-of-bounds write of (\\d+) bytes at ${AT} \\(instruction (\\d+)\\)$`), FAULT_WRITE],
  [new RegExp(`^write of (\\d+) bytes to read-only memory at ${AT} \\(instruction (\\d+)\\)$`), FAULT_WRITE],
  [/^instruction budget of (\d+) exhausted \(instruction (\d+)\)$/, FAULT_BUDGET],
  [/^call depth exceeds \d+ frames \(instruction (\d+)\)$/, FAULT_CALL_DEPTH],
  [/^unknown helper (\d+) \(instruction (\d+)\)$/, FAULT_HELPER],
  [/^helper argument 0x([0-9a-f]+) is not a map of the right kind \(instruction (\d+)\)$/, FAULT_BAD_MAP],
  [
    new RegExp(`^helper argument ${AT} is not a reserved ring buffer sample \\(instruction (\\d+)\\)$`),
    FAULT_BAD_RECORD,
  ],
];

/** The address of a fault line's location: itself when printed raw, else 0 (the location is in `where`). */
const addressOf = (where: string) => (/^0x[0-9a-f]+$/.test(where) ? BigInt(where) : 0n);

/**
 * Leaves an executable's fault line in the core's fault state; its location (named after the executable's own
 * regions) and whether a write was to read-only memory go to the core's fault override.
 */
function recordFault(rt: Runtime, line: string): void {
  const v = rt.core.view;
  for (const [re, kind] of FAULT_PATTERNS) {
    const m = re.exec(line);
    if (!m) continue;
    let addr = 0n;
    let size = 0;
    let pc = 0;
    let where: string | undefined;
    if (kind === FAULT_READ || kind === FAULT_WRITE) {
      size = Number(m[1]);
      where = m[2];
      addr = addressOf(where);
      pc = Number(m[3]);
    } else if (kind === FAULT_BUDGET || kind === FAULT_HELPER) {
      addr = BigInt(m[1]);
      pc = Number(m[2]);
    } else if (kind === FAULT_BAD_MAP) {
      addr = BigInt("0x" + m[1]);
      pc = Number(m[2]);
    } else if (kind === FAULT_BAD_RECORD) {
      where = m[1];
      addr = addressOf(where);
      pc = Number(m[2]);
    } else pc = Number(m[1]);
    v.setUint32(STATE + ST_FAULT, kind, true);
    v.setUint32(STATE + ST_FAULT_PC, pc, true);
    v.setBigUint64(STATE + ST_FAULT_ADDR, addr, true);
    v.setUint32(STATE + ST_FAULT_SIZE, size, true);
    rt.core.faultOverride = { where, readOnly: kind === FAULT_WRITE ? line.startsWith("write of ") : undefined };
    return;
  }
  throw new Error(`arm32 engine: ${line}`);
}

export const arm32Engine: Engine = {
  name: "arm32",
  run(rt, prog, r1, r2) {
    if (rt.maps.length > 0) {
      throw new Error(
        `${prog.name}: the arm32 engine runs programs of objects without maps through the API; ` +
          "build an executable (tinybpf build --target arm32) or use `tinybpf run --engine arm32` for programs with maps",
      );
    }
    if (rt.core.view.getUint32(STATE + ST_PKT, true) !== 0) {
      throw new Error(
        `${prog.name}: the arm32 engine takes raw memory through the API; packets and contexts run ` +
          "through `tinybpf run --engine arm32 --pcap`",
      );
    }
    rt.core.view.setUint32(STATE + ST_FAULT, 0, true);
    const bytes = r2 > 0n ? rt.core.memory.slice(Number(r1), Number(r1) + Number(r2)) : new Uint8Array(0);
    const result = runArm32(prog.insns, bytes, { budget: rt.core.budget(), conformance: rt.options.conformance });
    if ("r0" in result) return result.r0;
    recordFault(rt, result.fault);
    return 0n;
  },
};

registerEngine(arm32Engine);
