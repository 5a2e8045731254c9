// Hash maps: HASH, PERCPU_HASH, LRU_HASH, LRU_PERCPU_HASH and HASH_OF_MAPS (values are inner map ids).
//
// All max_entries elements are preallocated, as the kernel does by default. Element i has a record (bucket chain
// link, hash, LRU links, key) in MD_KEYS memory and its value in arena slot i; only the arena is a region.
// Buckets (a power of two, >= max_entries) hold the first element of their chain. Links store index + 1, 0 = none.
// LRU maps keep every element in use on one recency list and evict its tail instead of failing with -E2BIG.
import {
  MD_TYPE, MD_KEY_SIZE, MD_VALUE_SIZE, MD_MAX_ENTRIES, MD_FLAGS, MD_STRIDE, MD_NCPUS, MD_KEYS, MD_BUCKETS,
  MD_COUNT, MD_FREE, MD_FRESH, MD_LRU_HEAD, MD_LRU_TAIL, MD_INNER,
  MAP_TYPE_PERCPU_HASH, MAP_TYPE_LRU_HASH, MAP_TYPE_LRU_PERCPU_HASH, MAP_TYPE_HASH_OF_MAPS,
  BPF_F_NO_PREALLOC, BPF_F_NO_COMMON_LRU, BPF_F_NUMA_NODE, BPF_F_RDONLY, BPF_F_WRONLY, BPF_F_RDONLY_PROG,
  BPF_F_WRONLY_PROG, BPF_F_ZERO_SEED, BPF_NOEXIST, BPF_EXIST,
} from "./desc";
import { ENOENT, E2BIG, EEXIST, EINVAL, ENOMEM, ENOTSUPP } from "./errno";
import {
  field, setField, valueAddr, allocArena, roundUp8, hashBytes, bytesEqual, KMALLOC_MAX_SIZE, PCPU_MIN_UNIT_SIZE,
  MAX_BPF_STACK,
} from "./common";
import { alloc } from "../memory";
import { accessFlagsOk, innerMapCompatible } from "./array";

const CREATE_FLAGS: u32 = BPF_F_NO_PREALLOC | BPF_F_NO_COMMON_LRU | BPF_F_NUMA_NODE | BPF_F_RDONLY | BPF_F_WRONLY |
  BPF_F_RDONLY_PROG | BPF_F_WRONLY_PROG | BPF_F_ZERO_SEED;

// Element record fields
const EL_CHAIN = 0; // next element in the bucket (or in the free list)
export const EL_HASH = 4;
const EL_LRU_PREV = 8; // toward the most recently used
const EL_LRU_NEXT = 12; // toward the least recently used
export const EL_KEY = 16;

@inline function isLru(type: u32): bool {
  return type == MAP_TYPE_LRU_HASH || type == MAP_TYPE_LRU_PERCPU_HASH;
}

@inline function isPercpu(type: u32): bool {
  return type == MAP_TYPE_PERCPU_HASH || type == MAP_TYPE_LRU_PERCPU_HASH;
}

@inline function bucketCount(id: u32): u32 {
  const max = field(id, MD_MAX_ENTRIES);
  return max <= 1 ? 1 : <u32>1 << (32 - clz<u32>(max - 1));
}

@inline function elemStride(id: u32): u32 {
  return EL_KEY + roundUp8(field(id, MD_KEY_SIZE));
}

/** Record of element `e` (index + 1). */
@inline function rec(id: u32, e: u32): u32 {
  return field(id, MD_KEYS) + (e - 1) * elemStride(id);
}

@inline function bucketOf(id: u32, hash: u32): u32 {
  return field(id, MD_BUCKETS) + ((hash & (bucketCount(id) - 1)) << 2);
}

/** Checks the attributes like htab_map_alloc_check and allocates buckets, records and the value arena. */
export function hashCreate(id: u32): i32 {
  const type = field(id, MD_TYPE);
  const flags = field(id, MD_FLAGS);
  const keySize = field(id, MD_KEY_SIZE);
  const valueSize = field(id, MD_VALUE_SIZE);
  const max = field(id, MD_MAX_ENTRIES);
  if (type == MAP_TYPE_HASH_OF_MAPS && valueSize != 4) return -EINVAL;
  if ((flags & ~CREATE_FLAGS) != 0 || !accessFlagsOk(flags)) return -EINVAL;
  if (!isLru(type) && (flags & BPF_F_NO_COMMON_LRU) != 0) return -EINVAL;
  if (isLru(type) && (flags & BPF_F_NO_PREALLOC) != 0) return -ENOTSUPP;
  if (max == 0 || keySize == 0 || valueSize == 0) return -EINVAL;
  if (keySize > MAX_BPF_STACK || valueSize >= KMALLOC_MAX_SIZE - MAX_BPF_STACK) return -E2BIG;
  if (isPercpu(type) && roundUp8(valueSize) > PCPU_MIN_UNIT_SIZE) return -E2BIG;
  if (max > 0x40000000) return -E2BIG;
  const buckets = <u64>bucketCount(id) * 4;
  const records = <u64>max * elemStride(id);
  const values = <u64>max * field(id, MD_STRIDE) * field(id, MD_NCPUS);
  if (buckets + records + values > 0x7fffffff) return -ENOMEM;
  const b = alloc(<u32>buckets);
  const r = alloc(<u32>records);
  if (b == 0 || r == 0) return -ENOMEM;
  setField(id, MD_BUCKETS, b);
  setField(id, MD_KEYS, r);
  if (!allocArena(id, <u32>values, roundUp8(keySize), type != MAP_TYPE_HASH_OF_MAPS)) return -ENOMEM;
  return 0;
}

/** Element (index + 1) holding the key at `keyAddr`, or 0. */
function find(id: u32, keyAddr: u32, hash: u32): u32 {
  const keySize = field(id, MD_KEY_SIZE);
  let e = load<u32>(bucketOf(id, hash));
  while (e != 0) {
    const r = rec(id, e);
    if (load<u32>(r, EL_HASH) == hash && bytesEqual(r + EL_KEY, keyAddr, keySize)) return e;
    e = load<u32>(r, EL_CHAIN);
  }
  return 0;
}

/**
 * Address of the value for `cpu` under the key, or 0. `touch` marks an LRU element as just used: programs'
 * lookups do, the host's do not (like the kernel's lookup from the syscall side).
 */
export function hashLookup(id: u32, keyAddr: u32, cpu: u32, touch: bool): u32 {
  const e = find(id, keyAddr, hashBytes(keyAddr, field(id, MD_KEY_SIZE)));
  if (e == 0) return 0;
  if (touch && isLru(field(id, MD_TYPE))) {
    lruUnlink(id, e);
    lruPushFront(id, e);
  }
  return valueAddr(id, e - 1, cpu);
}

/**
 * Inserts or replaces. `allCpus` (the host's update) copies one value per modelled CPU from a buffer of
 * ncpus * roundUp8(value size) bytes; a program's update writes CPU 0 and, for a new element, zeroes the others.
 */
export function hashUpdate(id: u32, keyAddr: u32, valueAddr_: u32, flags: u64, allCpus: bool): i64 {
  if (flags > <u64>BPF_EXIST) return -EINVAL;
  const type = field(id, MD_TYPE);
  if (type == MAP_TYPE_HASH_OF_MAPS) {
    const err = innerMapCompatible(field(id, MD_INNER), load<u32>(valueAddr_));
    if (err != 0) return err;
  }
  const keySize = field(id, MD_KEY_SIZE);
  const hash = hashBytes(keyAddr, keySize);
  let e = find(id, keyAddr, hash);
  if (e != 0 && flags == BPF_NOEXIST) return -EEXIST;
  if (e == 0 && flags == BPF_EXIST) return -ENOENT;
  const fresh = e == 0;
  if (fresh) {
    e = takeFree(id);
    if (e == 0) {
      if (!isLru(type)) return -E2BIG;
      e = field(id, MD_LRU_TAIL);
      unlinkFromBucket(id, e);
      lruUnlink(id, e);
      setField(id, MD_COUNT, field(id, MD_COUNT) - 1);
    }
    const r = rec(id, e);
    memory.copy(r + EL_KEY, keyAddr, keySize);
    store<u32>(r, hash, EL_HASH);
    const bucket = bucketOf(id, hash);
    store<u32>(r, load<u32>(bucket), EL_CHAIN);
    store<u32>(bucket, e);
    setField(id, MD_COUNT, field(id, MD_COUNT) + 1);
  } else if (isLru(type)) {
    lruUnlink(id, e);
  }
  if (isLru(type)) lruPushFront(id, e);
  writeValue(id, e - 1, valueAddr_, allCpus, fresh);
  return 0;
}

function writeValue(id: u32, slot: u32, from: u32, allCpus: bool, fresh: bool): void {
  const valueSize = field(id, MD_VALUE_SIZE);
  const ncpus = field(id, MD_NCPUS);
  if (allCpus) {
    const stride = field(id, MD_STRIDE);
    for (let cpu: u32 = 0; cpu < ncpus; cpu++) memory.copy(valueAddr(id, slot, cpu), from + cpu * stride, valueSize);
    return;
  }
  memory.copy(valueAddr(id, slot, 0), from, valueSize);
  if (fresh && ncpus > 1) memory.fill(valueAddr(id, slot, 1), 0, (ncpus - 1) * field(id, MD_STRIDE));
}

export function hashDelete(id: u32, keyAddr: u32): i64 {
  const e = find(id, keyAddr, hashBytes(keyAddr, field(id, MD_KEY_SIZE)));
  if (e == 0) return -ENOENT;
  unlinkFromBucket(id, e);
  if (isLru(field(id, MD_TYPE))) lruUnlink(id, e);
  store<u32>(rec(id, e), field(id, MD_FREE), EL_CHAIN);
  setField(id, MD_FREE, e);
  setField(id, MD_COUNT, field(id, MD_COUNT) - 1);
  return 0;
}

/**
 * Kernel order (htab_map_get_next_key): the element after the key in its bucket chain, else the first element
 * of the next non-empty bucket; a missing (or no) key starts from the first element; -ENOENT after the last.
 */
export function hashNextKey(id: u32, keyAddr: u32, nextAddr: u32): i64 {
  let e: u32 = 0;
  if (keyAddr != 0) {
    const found = find(id, keyAddr, hashBytes(keyAddr, field(id, MD_KEY_SIZE)));
    if (found != 0) {
      e = hashAfter(id, found);
      if (e == 0) return -ENOENT;
    }
  }
  if (e == 0) e = hashAfter(id, 0);
  if (e == 0) return -ENOENT;
  memory.copy(nextAddr, rec(id, e) + EL_KEY, field(id, MD_KEY_SIZE));
  return 0;
}

/** The element after `e` in iteration order (bucket by bucket), or the first one when `e` is 0; 0 at the end. */
export function hashAfter(id: u32, e: u32): u32 {
  let b: u32 = 0;
  if (e != 0) {
    const r = rec(id, e);
    const next = load<u32>(r, EL_CHAIN);
    if (next != 0) return next;
    b = (load<u32>(r, EL_HASH) & (bucketCount(id) - 1)) + 1;
  }
  const buckets = field(id, MD_BUCKETS);
  const n = bucketCount(id);
  for (; b < n; b++) {
    const head = load<u32>(buckets + (b << 2));
    if (head != 0) return head;
  }
  return 0;
}

/** Address of element `e`'s stored key (for iteration; never a region). */
export function hashKeyOf(id: u32, e: u32): u32 {
  return rec(id, e) + EL_KEY;
}

/** A never-used element, else one from the free list, else 0 (the map is full). */
function takeFree(id: u32): u32 {
  const fresh = field(id, MD_FRESH);
  if (fresh < field(id, MD_MAX_ENTRIES)) {
    setField(id, MD_FRESH, fresh + 1);
    return fresh + 1;
  }
  const e = field(id, MD_FREE);
  if (e != 0) setField(id, MD_FREE, load<u32>(rec(id, e), EL_CHAIN));
  return e;
}

function unlinkFromBucket(id: u32, e: u32): void {
  const r = rec(id, e);
  let link = bucketOf(id, load<u32>(r, EL_HASH));
  let cur = load<u32>(link);
  while (cur != e) {
    link = rec(id, cur) + EL_CHAIN;
    cur = load<u32>(link);
  }
  store<u32>(link, load<u32>(r, EL_CHAIN));
}

function lruUnlink(id: u32, e: u32): void {
  const r = rec(id, e);
  const prev = load<u32>(r, EL_LRU_PREV);
  const next = load<u32>(r, EL_LRU_NEXT);
  if (prev != 0) store<u32>(rec(id, prev), next, EL_LRU_NEXT);
  else setField(id, MD_LRU_HEAD, next);
  if (next != 0) store<u32>(rec(id, next), prev, EL_LRU_PREV);
  else setField(id, MD_LRU_TAIL, prev);
}

function lruPushFront(id: u32, e: u32): void {
  const r = rec(id, e);
  const head = field(id, MD_LRU_HEAD);
  store<u32>(r, 0, EL_LRU_PREV);
  store<u32>(r, head, EL_LRU_NEXT);
  if (head != 0) store<u32>(rec(id, head), e, EL_LRU_PREV);
  else setField(id, MD_LRU_TAIL, e);
  setField(id, MD_LRU_HEAD, e);
}
