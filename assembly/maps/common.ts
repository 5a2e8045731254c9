// Descriptor access and the small pieces every map family shares: sizes, key hashing and comparison, and the
// value arena with its region.
import { MAPS, MAP_DESC_SIZE, STATE, ST_MAP_COUNT, ST_NCPUS } from "../layout";
import { alloc, regionAdd } from "../memory";
import {
  MD_TYPE, MD_STRIDE, MD_NCPUS, MD_VALUES, MD_KEY_SIZE, MD_VALUE_SIZE, MD_MAX_ENTRIES, MD_INNER, MD_FLAGS,
  BPF_F_RDONLY_PROG,
} from "./desc";

// The kernel's kmalloc limit on 32-bit ARM (4 MiB) and its per-CPU unit size bound value sizes.
export const KMALLOC_MAX_SIZE: u32 = 1 << 22;
export const PCPU_MIN_UNIT_SIZE: u32 = 32 << 10;
export const MAX_BPF_STACK: u32 = 512;

@inline export function desc(id: u32): u32 {
  return MAPS + id * MAP_DESC_SIZE;
}

@inline export function field(id: u32, offset: u32): u32 {
  return load<u32>(MAPS + id * MAP_DESC_SIZE + offset);
}

@inline export function setField(id: u32, offset: u32, value: u32): void {
  store<u32>(MAPS + id * MAP_DESC_SIZE + offset, value);
}

@inline export function mapCount(): u32 {
  return load<u32>(STATE + ST_MAP_COUNT);
}

@inline export function mapType(id: u32): u32 {
  return field(id, MD_TYPE);
}

@inline export function roundUp8(n: u32): u32 {
  return (n + 7) & ~7;
}

/** CPUs that a per-CPU map created now models (ST_NCPUS, with 0 meaning 1). */
/**
 * Writes map `id`'s descriptor: its Linux attributes, the stride between CPU copies and the CPUs it models. The
 * family's create function then lays out the storage.
 */
export function initDescriptor(
  id: u32, type: u32, keySize: u32, valueSize: u32, maxEntries: u32, flags: u32, innerMapId: i32, perCpu: bool,
): void {
  memory.fill(desc(id), 0, MAP_DESC_SIZE);
  setField(id, MD_TYPE, type);
  setField(id, MD_KEY_SIZE, keySize);
  setField(id, MD_VALUE_SIZE, valueSize);
  setField(id, MD_MAX_ENTRIES, maxEntries);
  setField(id, MD_FLAGS, flags);
  setField(id, MD_INNER, <u32>innerMapId);
  setField(id, MD_STRIDE, roundUp8(valueSize));
  setField(id, MD_NCPUS, perCpu ? configuredCpus() : 1);
}

export function configuredCpus(): u32 {
  const n = load<u32>(STATE + ST_NCPUS);
  return n == 0 ? 1 : n;
}

/** Bytes one element's value occupies in the arena: one stride per modelled CPU. */
@inline export function slotBytes(id: u32): u32 {
  return field(id, MD_STRIDE) * field(id, MD_NCPUS);
}

/** Address of slot `slot`'s value for CPU `cpu`. */
@inline export function valueAddr(id: u32, slot: u32, cpu: u32): u32 {
  return field(id, MD_VALUES) + slot * slotBytes(id) + cpu * field(id, MD_STRIDE);
}

/** Address of the read-only key window in front of the arena (see desc.ts). */
@inline export function keyWindow(id: u32): u32 {
  return field(id, MD_VALUES) - roundUp8(field(id, MD_KEY_SIZE));
}

/**
 * Allocates a value arena of `bytes` with a key window of `windowBytes` in front and, when `visible`, registers
 * both as one region: the window readable, the arena readable and (unless the map is BPF_F_RDONLY_PROG) writable.
 * Stores the arena address in MD_VALUES. Returns false when memory or the region table ran out.
 */
export function allocArena(id: u32, bytes: u32, windowBytes: u32, visible: bool): bool {
  const start = alloc(windowBytes + bytes);
  if (start == 0) return false;
  const values = start + windowBytes;
  setField(id, MD_VALUES, values);
  if (!visible) return true;
  const readOnly = (field(id, MD_FLAGS) & BPF_F_RDONLY_PROG) != 0;
  const end = values + bytes;
  return regionAdd(start, end, readOnly ? 0 : values, readOnly ? 0 : end) >= 0;
}

/** 32-bit hash of `size` bytes at `addr` (multiply-rotate over words, then a finalising mix). */
export function hashBytes(addr: u32, size: u32): u32 {
  let h: u32 = 0x9747b28c ^ size;
  let i: u32 = 0;
  for (; i + 4 <= size; i += 4) {
    h = rotl<u32>((h ^ load<u32>(addr + i)) * 0xcc9e2d51, 15) * 0x1b873593;
  }
  for (; i < size; i++) {
    h = (h ^ <u32>load<u8>(addr + i)) * 0x01000193;
  }
  h ^= h >>> 16;
  h *= 0x85ebca6b;
  h ^= h >>> 13;
  return h;
}

/** Are the `size` bytes at `a` and `b` equal? */
export function bytesEqual(a: u32, b: u32, size: u32): bool {
  let i: u32 = 0;
  for (; i + 8 <= size; i += 8) {
    if (load<u64>(a + i) != load<u64>(b + i)) return false;
  }
  for (; i < size; i++) {
    if (load<u8>(a + i) != load<u8>(b + i)) return false;
  }
  return true;
}
