// The map API of the interpreter-only core (build/core-tiny.wasm, `npm run build:tiny`): the same exports as
// maps/index.ts, which this file replaces in that build (scripts/build-tiny.mjs), but only the common map
// families: ARRAY, PERCPU_ARRAY, PROG_ARRAY, HASH, PERCPU_HASH, LRU_HASH, LRU_PERCPU_HASH and RINGBUF.
// Creating any other type (LPM_TRIE, QUEUE, STACK, PERF_EVENT_ARRAY, the maps of maps, ...) returns -EINVAL,
// and the operations that only those types have (push, pop, peek, perf event records) find no such map.
//
// As in maps/index.ts, the host updates every CPU's copy of a per-CPU value at once and its lookups do not
// refresh LRU recency.
import { STATE, ST_MAP_COUNT, ST_REGION_COUNT, ST_HEAP_TOP, MAX_MAPS, MAP_HANDLE_TAG } from "../layout";
import { heapReset } from "../memory";
import {
  MD_NCPUS, EMPTY_SLOT, MAP_TYPE_HASH, MAP_TYPE_ARRAY, MAP_TYPE_PROG_ARRAY, MAP_TYPE_PERCPU_HASH,
  MAP_TYPE_PERCPU_ARRAY, MAP_TYPE_LRU_HASH, MAP_TYPE_LRU_PERCPU_HASH, MAP_TYPE_RINGBUF,
} from "./desc";
import { EBADF, EINVAL, ENOMEM, ENOTSUPP, E2BIG } from "./errno";
import { desc, mapCount, mapType, field, initDescriptor } from "./common";
import { arrayCreate, arrayLookup, arrayUpdate, arrayDelete, arrayNextKey, progArraySlot } from "./array";
import { hashCreate, hashLookup, hashUpdate, hashDelete, hashNextKey } from "./hash";
import { ringbufCreate } from "./ringbuf";

export {
  ringbufReserve, ringbufSubmit, ringbufDiscard, ringbufOutput, ringbufQuery, ringbufNext, ringbufNextLen,
} from "./ringbuf";

const FAMILY_NONE = 0;
const FAMILY_ARRAY = 1; // ARRAY, PERCPU_ARRAY, PROG_ARRAY
const FAMILY_HASH = 2; // HASH, PERCPU_HASH, LRU_HASH, LRU_PERCPU_HASH
const FAMILY_RINGBUF = 5;

export function mapFamily(type: u32): u32 {
  switch (type) {
    case MAP_TYPE_ARRAY: case MAP_TYPE_PERCPU_ARRAY: case MAP_TYPE_PROG_ARRAY: return FAMILY_ARRAY;
    case MAP_TYPE_HASH: case MAP_TYPE_PERCPU_HASH: case MAP_TYPE_LRU_HASH: case MAP_TYPE_LRU_PERCPU_HASH:
      return FAMILY_HASH;
    case MAP_TYPE_RINGBUF: return FAMILY_RINGBUF;
  }
  return FAMILY_NONE;
}

export function isPercpuType(type: u32): bool {
  return type == MAP_TYPE_PERCPU_ARRAY || type == MAP_TYPE_PERCPU_HASH || type == MAP_TYPE_LRU_PERCPU_HASH;
}

@inline export function mapHandle(id: u32): u64 {
  return (<u64>MAP_HANDLE_TAG << 32) | id;
}

/** As maps/index.ts mapCreate; a type outside the families above gives -EINVAL. */
export function mapCreate(type: u32, keySize: u32, valueSize: u32, maxEntries: u32, flags: u32, innerMapId: i32): i32 {
  const id = mapCount();
  if (id >= <u32>MAX_MAPS) return -ENOMEM;
  const family = mapFamily(type);
  if (family == FAMILY_NONE) return -EINVAL;
  if (valueSize > 0x7ffffff0) return -E2BIG;
  const heap = load<u32>(STATE + ST_HEAP_TOP);
  const regions = load<u32>(STATE + ST_REGION_COUNT);
  initDescriptor(id, type, keySize, valueSize, maxEntries, flags, innerMapId, isPercpuType(type));
  let err: i32;
  if (family == FAMILY_ARRAY) err = arrayCreate(id);
  else if (family == FAMILY_HASH) err = hashCreate(id);
  else err = ringbufCreate(id);
  if (err != 0) {
    heapReset(heap);
    store<u32>(STATE + ST_REGION_COUNT, regions);
    return err;
  }
  store<u32>(STATE + ST_MAP_COUNT, id + 1);
  return <i32>id;
}

/** A program's lookup: the address of CPU 0's value, 0 when absent. LRU maps count it as a use. */
export function mapLookup(id: u32, keyAddr: u32): u64 {
  if (id >= mapCount()) return 0;
  switch (mapFamily(mapType(id))) {
    case FAMILY_ARRAY: return <u64>arrayLookup(id, keyAddr, 0);
    case FAMILY_HASH: return <u64>hashLookup(id, keyAddr, 0, true);
  }
  return 0;
}

/** The host's lookup: the address of `cpu`'s copy of the value (0 when absent or `cpu` is not modelled). */
export function mapLookupCpu(id: u32, keyAddr: u32, cpu: u32): u32 {
  if (id >= mapCount() || cpu >= field(id, MD_NCPUS)) return 0;
  switch (mapFamily(mapType(id))) {
    case FAMILY_ARRAY: return arrayLookup(id, keyAddr, cpu);
    case FAMILY_HASH: return hashLookup(id, keyAddr, cpu, false);
  }
  return 0;
}

/** The host's update (flags BPF_ANY / BPF_NOEXIST / BPF_EXIST); per-CPU maps take every CPU's value. */
export function mapUpdate(id: u32, keyAddr: u32, valueAddr: u32, flags: u64): i64 {
  if (id >= mapCount()) return -EBADF;
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
  }
  return -ENOTSUPP;
}

export function mapDelete(id: u32, keyAddr: u32): i64 {
  if (id >= mapCount()) return -EBADF;
  switch (mapFamily(mapType(id))) {
    case FAMILY_ARRAY: return arrayDelete(id, keyAddr);
    case FAMILY_HASH: return hashDelete(id, keyAddr);
  }
  return -ENOTSUPP;
}

/** The key after the one at `keyAddr` (0: the first key), in the kernel's order; -ENOENT after the last. */
export function mapGetNextKey(id: u32, keyAddr: u32, nextAddr: u32): i64 {
  if (id >= mapCount()) return -EBADF;
  switch (mapFamily(mapType(id))) {
    case FAMILY_ARRAY: return arrayNextKey(id, keyAddr, nextAddr);
    case FAMILY_HASH: return hashNextKey(id, keyAddr, nextAddr);
  }
  return -ENOTSUPP;
}

/** QUEUE / STACK maps are not in this core: there is never one to push to. */
export function mapPush(id: u32, valueAddr: u32, flags: u64): i64 {
  return id >= mapCount() ? -EBADF : -EINVAL;
}

export function mapPop(id: u32, valueAddr: u32): i64 {
  return id >= mapCount() ? -EBADF : -EINVAL;
}

export function mapPeek(id: u32, valueAddr: u32): i64 {
  return id >= mapCount() ? -EBADF : -EINVAL;
}

/** PERF_EVENT_ARRAY maps are not in this core: no records, nothing lost. */
export function perfOutput(id: u32, dataAddr: u32, size: u32, flags: u64): i64 {
  return -EINVAL;
}

export function perfNext(id: u32): i32 {
  return 0;
}

export function perfNextLen(): u32 {
  return 0;
}

export function perfNextCpu(): u32 {
  return 0;
}

export function perfLost(id: u32): u32 {
  return 0;
}

/** The program id in PROG_ARRAY `id` at `index`, or -1 (empty slot, bad index, not a program array). */
export function progArrayGet(id: u32, index: u32): i32 {
  if (id >= mapCount() || mapType(id) != MAP_TYPE_PROG_ARRAY) return EMPTY_SLOT;
  return progArraySlot(id, index);
}
