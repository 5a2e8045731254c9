// The map API of the core: creation and the element operations, dispatched to one file per map family.
// Exports are plain numeric functions; a negative result is a negated Linux errno (errno.ts).
//
// "From the host" and "from a program" differ where the kernel's syscall and helper paths differ: the host
// updates every CPU's copy of a per-CPU value at once and its lookups do not refresh LRU recency.
import { STATE, ST_MAP_COUNT, ST_REGION_COUNT, ST_HEAP_TOP, MAX_MAPS, MAP_HANDLE_TAG } from "../layout";
import { heapReset } from "../memory";
import {
  MD_NCPUS, EMPTY_SLOT, MAP_TYPE_HASH, MAP_TYPE_ARRAY, MAP_TYPE_PROG_ARRAY, MAP_TYPE_PERF_EVENT_ARRAY,
  MAP_TYPE_PERCPU_HASH, MAP_TYPE_PERCPU_ARRAY, MAP_TYPE_LRU_HASH, MAP_TYPE_LRU_PERCPU_HASH, MAP_TYPE_LPM_TRIE,
  MAP_TYPE_ARRAY_OF_MAPS, MAP_TYPE_HASH_OF_MAPS, MAP_TYPE_QUEUE, MAP_TYPE_STACK, MAP_TYPE_RINGBUF,
} from "./desc";
import { EBADF, EINVAL, ENOMEM, ENOTSUPP, E2BIG } from "./errno";
import { desc, field, mapCount, mapType, roundUp8, initDescriptor } from "./common";
import { arrayCreate, arrayLookup, arrayUpdate, arrayDelete, arrayNextKey, progArraySlot } from "./array";
import { hashCreate, hashLookup, hashUpdate, hashDelete, hashNextKey } from "./hash";
import { lpmCreate, lpmLookup, lpmUpdate, lpmDelete, lpmNextKey } from "./lpm";
import { queueCreate, queuePush, queueTake } from "./queue";
import { ringbufCreate } from "./ringbuf";
import { perfCreate } from "./perf";

export {
  ringbufReserve, ringbufSubmit, ringbufDiscard, ringbufOutput, ringbufQuery, ringbufNext, ringbufNextLen,
} from "./ringbuf";
export { perfOutput, perfNext, perfNextLen, perfNextCpu, perfLost } from "./perf";

// Map families: how a type's elements are stored
const FAMILY_NONE = 0;
const FAMILY_ARRAY = 1; // ARRAY, PERCPU_ARRAY, PROG_ARRAY, PERF_EVENT_ARRAY, ARRAY_OF_MAPS
const FAMILY_HASH = 2; // HASH, PERCPU_HASH, LRU_HASH, LRU_PERCPU_HASH, HASH_OF_MAPS
const FAMILY_LPM = 3;
const FAMILY_QUEUE = 4; // QUEUE, STACK
const FAMILY_RINGBUF = 5;

export function mapFamily(type: u32): u32 {
  switch (type) {
    case MAP_TYPE_ARRAY: case MAP_TYPE_PERCPU_ARRAY: case MAP_TYPE_PROG_ARRAY: case MAP_TYPE_PERF_EVENT_ARRAY:
    case MAP_TYPE_ARRAY_OF_MAPS: return FAMILY_ARRAY;
    case MAP_TYPE_HASH: case MAP_TYPE_PERCPU_HASH: case MAP_TYPE_LRU_HASH: case MAP_TYPE_LRU_PERCPU_HASH:
    case MAP_TYPE_HASH_OF_MAPS: return FAMILY_HASH;
    case MAP_TYPE_LPM_TRIE: return FAMILY_LPM;
    case MAP_TYPE_QUEUE: case MAP_TYPE_STACK: return FAMILY_QUEUE;
    case MAP_TYPE_RINGBUF: return FAMILY_RINGBUF;
  }
  return FAMILY_NONE;
}

export function isPercpuType(type: u32): bool {
  return type == MAP_TYPE_PERCPU_ARRAY || type == MAP_TYPE_PERCPU_HASH || type == MAP_TYPE_LRU_PERCPU_HASH;
}

@inline function isMapOfMaps(type: u32): bool {
  return type == MAP_TYPE_ARRAY_OF_MAPS || type == MAP_TYPE_HASH_OF_MAPS;
}

/** The handle a program holds for map `id` (layout.ts: MAP_HANDLE_TAG in the upper half). */
@inline export function mapHandle(id: u32): u64 {
  return (<u64>MAP_HANDLE_TAG << 32) | id;
}

/**
 * Creates a map with Linux's attributes (map_flags may hold BPF_F_RDONLY_PROG: programs then only read the
 * values, as for .rodata). `innerMapId` names the template inner map of ARRAY_OF_MAPS / HASH_OF_MAPS.
 * Returns the map id, or a negated errno as map creation in the kernel would (-EINVAL, -E2BIG, -ENOMEM, ...).
 * A failed creation gives back its memory and regions.
 */
export function mapCreate(type: u32, keySize: u32, valueSize: u32, maxEntries: u32, flags: u32, innerMapId: i32): i32 {
  const id = mapCount();
  if (id >= <u32>MAX_MAPS) return -ENOMEM;
  const family = mapFamily(type);
  if (family == FAMILY_NONE) return -EINVAL;
  if (valueSize > 0x7ffffff0) return -E2BIG;
  if (isMapOfMaps(type)) {
    if (innerMapId < 0 || <u32>innerMapId >= id) return -EBADF;
    if (isMapOfMaps(mapType(<u32>innerMapId))) return -EINVAL;
  }
  const heap = load<u32>(STATE + ST_HEAP_TOP);
  const regions = load<u32>(STATE + ST_REGION_COUNT);
  initDescriptor(id, type, keySize, valueSize, maxEntries, flags, innerMapId, isPercpuType(type));
  let err: i32 = -EINVAL;
  switch (family) {
    case FAMILY_ARRAY: err = type == MAP_TYPE_PERF_EVENT_ARRAY ? perfCreate(id) : arrayCreate(id); break;
    case FAMILY_HASH: err = hashCreate(id); break;
    case FAMILY_LPM: err = lpmCreate(id); break;
    case FAMILY_QUEUE: err = queueCreate(id); break;
    case FAMILY_RINGBUF: err = ringbufCreate(id); break;
  }
  if (err != 0) {
    heapReset(heap);
    store<u32>(STATE + ST_REGION_COUNT, regions);
    return err;
  }
  store<u32>(STATE + ST_MAP_COUNT, id + 1);
  return <i32>id;
}

/**
 * A program's lookup: the address of CPU 0's value, 0 when absent. Maps of maps give the inner map's handle.
 * LRU maps count it as a use.
 */
export function mapLookup(id: u32, keyAddr: u32): u64 {
  if (id >= mapCount()) return 0;
  const type = mapType(id);
  let addr: u32 = 0;
  switch (mapFamily(type)) {
    case FAMILY_ARRAY: addr = arrayLookup(id, keyAddr, 0); break;
    case FAMILY_HASH: addr = hashLookup(id, keyAddr, 0, true); break;
    case FAMILY_LPM: addr = lpmLookup(id, keyAddr); break;
  }
  if (addr != 0 && isMapOfMaps(type)) return mapHandle(load<u32>(addr));
  return <u64>addr;
}

/**
 * The host's lookup: the address of `cpu`'s copy of the value (0 when absent or `cpu` is not modelled). The
 * copies of CPUs 0, 1, ... follow each other at roundUp8(value size) bytes. Maps of maps give the address of the
 * stored u32 inner map id; PROG_ARRAY the stored program id. LRU recency is not touched.
 */
export function mapLookupCpu(id: u32, keyAddr: u32, cpu: u32): u32 {
  if (id >= mapCount() || cpu >= field(id, MD_NCPUS)) return 0;
  switch (mapFamily(mapType(id))) {
    case FAMILY_ARRAY: return arrayLookup(id, keyAddr, cpu);
    case FAMILY_HASH: return hashLookup(id, keyAddr, cpu, false);
    case FAMILY_LPM: return lpmLookup(id, keyAddr);
  }
  return 0;
}

/**
 * The host's update (flags BPF_ANY / BPF_NOEXIST / BPF_EXIST). Per-CPU maps take every CPU's value from a buffer
 * of ncpus * roundUp8(value size) bytes. On QUEUE / STACK it pushes, as the bpf() syscall does.
 */
export function mapUpdate(id: u32, keyAddr: u32, valueAddr: u32, flags: u64): i64 {
  if (id >= mapCount()) return -EBADF;
  if (mapFamily(mapType(id)) == FAMILY_QUEUE) return queuePush(id, valueAddr, flags);
  return update(id, keyAddr, valueAddr, flags, true);
}

/** A program's update: one value, written to CPU 0's copy (a new per-CPU element starts zeroed elsewhere). */
export function mapUpdateFromProgram(id: u32, keyAddr: u32, valueAddr: u32, flags: u64): i64 {
  if (id >= mapCount()) return -EBADF;
  return update(id, keyAddr, valueAddr, flags, false);
}

function update(id: u32, keyAddr: u32, valueAddr: u32, flags: u64, allCpus: bool): i64 {
  switch (mapFamily(mapType(id))) {
    case FAMILY_ARRAY: return arrayUpdate(id, keyAddr, valueAddr, flags, allCpus);
    case FAMILY_HASH: return hashUpdate(id, keyAddr, valueAddr, flags, allCpus);
    case FAMILY_LPM: return lpmUpdate(id, keyAddr, valueAddr, flags);
    case FAMILY_QUEUE: return -EINVAL;
  }
  return -ENOTSUPP;
}

export function mapDelete(id: u32, keyAddr: u32): i64 {
  if (id >= mapCount()) return -EBADF;
  switch (mapFamily(mapType(id))) {
    case FAMILY_ARRAY: return arrayDelete(id, keyAddr);
    case FAMILY_HASH: return hashDelete(id, keyAddr);
    case FAMILY_LPM: return lpmDelete(id, keyAddr);
    case FAMILY_QUEUE: return -EINVAL;
  }
  return -ENOTSUPP;
}

/**
 * Writes the key after the one at `keyAddr` (0: the first key) to `nextAddr`, in the kernel's order for the
 * family; -ENOENT after the last key. A key that is not in the map restarts from the first (hash, LPM).
 */
export function mapGetNextKey(id: u32, keyAddr: u32, nextAddr: u32): i64 {
  if (id >= mapCount()) return -EBADF;
  switch (mapFamily(mapType(id))) {
    case FAMILY_ARRAY: return arrayNextKey(id, keyAddr, nextAddr);
    case FAMILY_HASH: return hashNextKey(id, keyAddr, nextAddr);
    case FAMILY_LPM: return lpmNextKey(id, keyAddr, nextAddr);
    case FAMILY_QUEUE: return -EINVAL;
  }
  return -ENOTSUPP;
}

/** QUEUE / STACK push; BPF_EXIST replaces the oldest value when full, else -E2BIG. */
export function mapPush(id: u32, valueAddr: u32, flags: u64): i64 {
  if (id >= mapCount()) return -EBADF;
  if (mapFamily(mapType(id)) != FAMILY_QUEUE) return -EINVAL;
  return queuePush(id, valueAddr, flags);
}

/** QUEUE / STACK pop into `valueAddr`; -ENOENT when empty. */
export function mapPop(id: u32, valueAddr: u32): i64 {
  if (id >= mapCount()) return -EBADF;
  if (mapFamily(mapType(id)) != FAMILY_QUEUE) return -EINVAL;
  return queueTake(id, valueAddr, true);
}

/** QUEUE / STACK peek into `valueAddr`; -ENOENT when empty. */
export function mapPeek(id: u32, valueAddr: u32): i64 {
  if (id >= mapCount()) return -EBADF;
  if (mapFamily(mapType(id)) != FAMILY_QUEUE) return -EINVAL;
  return queueTake(id, valueAddr, false);
}

/** The program id in PROG_ARRAY `id` at `index`, or -1 (empty slot, bad index, not a program array). */
export function progArrayGet(id: u32, index: u32): i32 {
  if (id >= mapCount() || mapType(id) != MAP_TYPE_PROG_ARRAY) return EMPTY_SLOT;
  return progArraySlot(id, index);
}
