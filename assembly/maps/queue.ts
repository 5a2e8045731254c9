// QUEUE (first in, first out) and STACK (last in, first out): values only, no keys. A circular buffer of
// max_entries slots; MD_FREE is the oldest slot, MD_COUNT the number of values held. Values are copied in and
// out, so the arena is not a region.
import {
  MD_TYPE, MD_KEY_SIZE, MD_VALUE_SIZE, MD_MAX_ENTRIES, MD_FLAGS, MD_STRIDE, MD_COUNT, MD_FREE,
  MAP_TYPE_STACK, BPF_F_NUMA_NODE, BPF_F_RDONLY, BPF_F_WRONLY, BPF_F_RDONLY_PROG, BPF_F_WRONLY_PROG,
  BPF_NOEXIST, BPF_EXIST,
} from "./desc";
import { ENOENT, E2BIG, EINVAL, ENOMEM } from "./errno";
import { field, setField, valueAddr, allocArena, KMALLOC_MAX_SIZE } from "./common";
import { accessFlagsOk } from "./array";

const CREATE_FLAGS: u32 = BPF_F_NUMA_NODE | BPF_F_RDONLY | BPF_F_WRONLY | BPF_F_RDONLY_PROG | BPF_F_WRONLY_PROG;

/** Checks the attributes like queue_stack_map_alloc_check and allocates the slots. */
export function queueCreate(id: u32): i32 {
  const flags = field(id, MD_FLAGS);
  const max = field(id, MD_MAX_ENTRIES);
  const valueSize = field(id, MD_VALUE_SIZE);
  if (max == 0 || field(id, MD_KEY_SIZE) != 0 || valueSize == 0 || (flags & ~CREATE_FLAGS) != 0 ||
    !accessFlagsOk(flags)) return -EINVAL;
  if (valueSize > KMALLOC_MAX_SIZE) return -E2BIG;
  const bytes = <u64>max * field(id, MD_STRIDE);
  if (bytes > 0x7fffffff) return -ENOMEM;
  return allocArena(id, <u32>bytes, 0, false) ? 0 : -ENOMEM;
}

/** Adds a value; when full, BPF_EXIST drops the oldest value to make room, anything else fails with -E2BIG. */
export function queuePush(id: u32, from: u32, flags: u64): i64 {
  if ((flags & BPF_NOEXIST) != 0 || flags > <u64>BPF_EXIST) return -EINVAL;
  const max = field(id, MD_MAX_ENTRIES);
  let head = field(id, MD_FREE);
  let count = field(id, MD_COUNT);
  if (count == max) {
    if (flags != BPF_EXIST) return -E2BIG;
    head = head + 1 == max ? 0 : head + 1;
    count--;
    setField(id, MD_FREE, head);
  }
  memory.copy(valueAddr(id, (head + count) % max, 0), from, field(id, MD_VALUE_SIZE));
  setField(id, MD_COUNT, count + 1);
  return 0;
}

/** Copies the next value out (the oldest for a queue, the newest for a stack); `remove` pops it. */
export function queueTake(id: u32, to: u32, remove: bool): i64 {
  const count = field(id, MD_COUNT);
  if (count == 0) return -ENOENT;
  const max = field(id, MD_MAX_ENTRIES);
  const head = field(id, MD_FREE);
  const stack = field(id, MD_TYPE) == MAP_TYPE_STACK;
  const slot = stack ? (head + count - 1) % max : head;
  memory.copy(to, valueAddr(id, slot, 0), field(id, MD_VALUE_SIZE));
  if (remove) {
    setField(id, MD_COUNT, count - 1);
    if (!stack) setField(id, MD_FREE, head + 1 == max ? 0 : head + 1);
  }
  return 0;
}
