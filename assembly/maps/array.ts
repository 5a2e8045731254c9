// Array maps: ARRAY, PERCPU_ARRAY, and the "fd arrays" whose u32 slots name other objects (PROG_ARRAY holds
// program ids, ARRAY_OF_MAPS inner map ids, PERF_EVENT_ARRAY the host's event handles). The key is a u32 index.
import { MAX_PROGS } from "../layout";
import {
  MD_TYPE, MD_KEY_SIZE, MD_VALUE_SIZE, MD_MAX_ENTRIES, MD_FLAGS, MD_INNER, MD_STRIDE, MD_NCPUS,
  MAP_TYPE_ARRAY, MAP_TYPE_PERCPU_ARRAY, MAP_TYPE_PROG_ARRAY, MAP_TYPE_ARRAY_OF_MAPS, MAP_TYPE_HASH_OF_MAPS,
  BPF_F_NUMA_NODE, BPF_F_RDONLY, BPF_F_WRONLY, BPF_F_RDONLY_PROG, BPF_F_WRONLY_PROG, BPF_F_MMAPABLE,
  BPF_F_PRESERVE_ELEMS, BPF_F_INNER_MAP, MAP_TYPE_PERF_EVENT_ARRAY, BPF_ANY, BPF_NOEXIST, BPF_EXIST, EMPTY_SLOT,
} from "./desc";
import { ENOENT, E2BIG, EBADF, EEXIST, EINVAL, ENOMEM } from "./errno";
import { field, valueAddr, allocArena, roundUp8, PCPU_MIN_UNIT_SIZE, mapCount, KMALLOC_MAX_SIZE } from "./common";

const ACCESS_MASK: u32 = BPF_F_RDONLY | BPF_F_WRONLY | BPF_F_RDONLY_PROG | BPF_F_WRONLY_PROG;
const CREATE_FLAGS: u32 = BPF_F_NUMA_NODE | BPF_F_MMAPABLE | ACCESS_MASK | BPF_F_PRESERVE_ELEMS | BPF_F_INNER_MAP;

/** Is this array type one whose slots hold u32 object ids rather than program-visible values? */
@inline export function isFdArray(type: u32): bool {
  return type == MAP_TYPE_PROG_ARRAY || type == MAP_TYPE_ARRAY_OF_MAPS || type == MAP_TYPE_PERF_EVENT_ARRAY;
}

/** Rejects both "program read-only" and "program write-only" at once, like bpf_map_flags_access_ok. */
@inline export function accessFlagsOk(flags: u32): bool {
  return (flags & (BPF_F_RDONLY_PROG | BPF_F_WRONLY_PROG)) != (BPF_F_RDONLY_PROG | BPF_F_WRONLY_PROG) &&
    (flags & (BPF_F_RDONLY | BPF_F_WRONLY)) != (BPF_F_RDONLY | BPF_F_WRONLY);
}

/** Checks the attributes like array_map_alloc_check / fd_array_map_alloc_check and allocates the slots. */
export function arrayCreate(id: u32): i32 {
  const type = field(id, MD_TYPE);
  const max = field(id, MD_MAX_ENTRIES);
  const flags = field(id, MD_FLAGS);
  const valueSize = field(id, MD_VALUE_SIZE);
  const fd = isFdArray(type);
  if (fd && (valueSize != 4 || (flags & (BPF_F_RDONLY_PROG | BPF_F_WRONLY_PROG)) != 0)) return -EINVAL;
  if (max == 0 || field(id, MD_KEY_SIZE) != 4 || valueSize == 0 || (flags & ~CREATE_FLAGS) != 0 ||
    !accessFlagsOk(flags)) return -EINVAL;
  if (type != MAP_TYPE_ARRAY && (flags & (BPF_F_MMAPABLE | BPF_F_INNER_MAP)) != 0) return -EINVAL;
  if (type != MAP_TYPE_PERF_EVENT_ARRAY && (flags & BPF_F_PRESERVE_ELEMS) != 0) return -EINVAL;
  if (valueSize > KMALLOC_MAX_SIZE) return -E2BIG;
  if (type == MAP_TYPE_PERCPU_ARRAY && roundUp8(valueSize) > PCPU_MIN_UNIT_SIZE) return -E2BIG;
  const bytes = <u64>max * field(id, MD_STRIDE) * field(id, MD_NCPUS);
  if (bytes > 0x7fffffff) return -ENOMEM;
  if (!allocArena(id, <u32>bytes, 8, !fd)) return -ENOMEM;
  if (fd) memory.fill(valueAddr(id, 0, 0), 0xff, <u32>bytes);
  return 0;
}

/** Address of slot `key`'s value for `cpu`, or 0 when the index is out of range (or an fd slot is empty). */
export function arrayLookup(id: u32, keyAddr: u32, cpu: u32): u32 {
  const index = load<u32>(keyAddr);
  if (index >= field(id, MD_MAX_ENTRIES)) return 0;
  const addr = valueAddr(id, index, cpu);
  if (isFdArray(field(id, MD_TYPE)) && load<i32>(addr) == EMPTY_SLOT) return 0;
  return addr;
}

/**
 * Writes slot `key`. `allCpus` (the host's update) copies one value per modelled CPU from a buffer of
 * ncpus * roundUp8(value size) bytes; a program's update writes CPU 0's value only.
 */
export function arrayUpdate(id: u32, keyAddr: u32, valueAddr_: u32, flags: u64, allCpus: bool): i64 {
  const type = field(id, MD_TYPE);
  const index = load<u32>(keyAddr);
  if (isFdArray(type)) {
    if (flags != BPF_ANY) return -EINVAL;
    if (index >= field(id, MD_MAX_ENTRIES)) return -E2BIG;
    const target = load<u32>(valueAddr_);
    const err = fdSlotCheck(id, type, target);
    if (err != 0) return err;
    store<u32>(valueAddr(id, index, 0), target);
    return 0;
  }
  if (flags > <u64>BPF_EXIST) return -EINVAL;
  if (index >= field(id, MD_MAX_ENTRIES)) return -E2BIG;
  if (flags == BPF_NOEXIST) return -EEXIST;
  const valueSize = field(id, MD_VALUE_SIZE);
  if (allCpus && type == MAP_TYPE_PERCPU_ARRAY) {
    const stride = field(id, MD_STRIDE);
    const ncpus = field(id, MD_NCPUS);
    for (let cpu: u32 = 0; cpu < ncpus; cpu++) {
      memory.copy(valueAddr(id, index, cpu), valueAddr_ + cpu * stride, valueSize);
    }
  } else {
    memory.copy(valueAddr(id, index, 0), valueAddr_, valueSize);
  }
  return 0;
}

/** Plain arrays cannot delete (-EINVAL); fd arrays empty the slot. */
export function arrayDelete(id: u32, keyAddr: u32): i64 {
  if (!isFdArray(field(id, MD_TYPE))) return -EINVAL;
  const index = load<u32>(keyAddr);
  if (index >= field(id, MD_MAX_ENTRIES)) return -E2BIG;
  const addr = valueAddr(id, index, 0);
  if (load<i32>(addr) == EMPTY_SLOT) return -ENOENT;
  store<i32>(addr, EMPTY_SLOT);
  return 0;
}

/** Kernel order: no key (or one out of range) starts at 0; the last index ends with -ENOENT. */
export function arrayNextKey(id: u32, keyAddr: u32, nextAddr: u32): i64 {
  const max = field(id, MD_MAX_ENTRIES);
  const index = keyAddr == 0 ? max : load<u32>(keyAddr);
  if (index >= max) {
    store<u32>(nextAddr, 0);
    return 0;
  }
  if (index == max - 1) return -ENOENT;
  store<u32>(nextAddr, index + 1);
  return 0;
}

/** Program id in a PROG_ARRAY slot, or -1 when the slot is empty or out of range. */
export function progArraySlot(id: u32, index: u32): i32 {
  if (index >= field(id, MD_MAX_ENTRIES)) return EMPTY_SLOT;
  return load<i32>(valueAddr(id, index, 0));
}

/** What may go into an fd slot: a program id, or an inner map compatible with the template. */
function fdSlotCheck(id: u32, type: u32, target: u32): i64 {
  if (type == MAP_TYPE_PROG_ARRAY) return target < <u32>MAX_PROGS ? 0 : -EINVAL;
  if (type == MAP_TYPE_ARRAY_OF_MAPS) return innerMapCompatible(field(id, MD_INNER), target);
  return 0;
}

/**
 * May map `inner` stand where the template `template` stood when the outer map was created? Same type, sizes
 * and flags, and the same max_entries unless the template allowed otherwise (bpf_map_meta_equal).
 */
export function innerMapCompatible(template: u32, inner: u32): i64 {
  if (inner >= mapCount()) return -EBADF;
  const type = field(inner, MD_TYPE);
  if (type == MAP_TYPE_ARRAY_OF_MAPS || type == MAP_TYPE_HASH_OF_MAPS) return -EINVAL;
  if (type != field(template, MD_TYPE) || field(inner, MD_KEY_SIZE) != field(template, MD_KEY_SIZE) ||
    field(inner, MD_VALUE_SIZE) != field(template, MD_VALUE_SIZE) ||
    field(inner, MD_FLAGS) != field(template, MD_FLAGS)) return -EINVAL;
  if ((field(template, MD_FLAGS) & BPF_F_INNER_MAP) == 0 &&
    field(inner, MD_MAX_ENTRIES) != field(template, MD_MAX_ENTRIES)) return -EINVAL;
  return 0;
}
