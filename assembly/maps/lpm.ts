// LPM_TRIE: longest-prefix match. A key is a u32 prefix length (in bits) followed by the data bytes, most
// significant bit first (network order), as in struct bpf_lpm_trie_key.
//
// Entries sit in slots: the key in MD_KEYS memory (not a region), the value in the arena. A free slot's prefix
// length is FREE_SLOT and its data's first word links the free list. Lookups scan the slots ever used: simple and
// small, at a cost linear in the number of prefixes.
import {
  MD_KEY_SIZE, MD_VALUE_SIZE, MD_MAX_ENTRIES, MD_FLAGS, MD_STRIDE, MD_KEYS, MD_COUNT, MD_FREE, MD_FRESH,
  BPF_F_NO_PREALLOC, BPF_F_NUMA_NODE, BPF_F_RDONLY, BPF_F_WRONLY, BPF_F_RDONLY_PROG, BPF_F_WRONLY_PROG,
  BPF_NOEXIST, BPF_EXIST,
} from "./desc";
import { ENOENT, EEXIST, EINVAL, ENOMEM, ENOSPC } from "./errno";
import { field, setField, valueAddr, allocArena, roundUp8, KMALLOC_MAX_SIZE, MAX_BPF_STACK } from "./common";
import { alloc } from "../memory";
import { accessFlagsOk } from "./array";

const CREATE_FLAGS: u32 = BPF_F_NO_PREALLOC | BPF_F_NUMA_NODE | BPF_F_RDONLY | BPF_F_WRONLY | BPF_F_RDONLY_PROG |
  BPF_F_WRONLY_PROG;
const DATA_SIZE_MAX: u32 = 256; // LPM_DATA_SIZE_MAX: bytes after the prefix length
const FREE_SLOT: u32 = 0xffffffff;

@inline function keyStride(id: u32): u32 {
  return roundUp8(field(id, MD_KEY_SIZE));
}

@inline function slotKey(id: u32, slot: u32): u32 {
  return field(id, MD_KEYS) + slot * keyStride(id);
}

@inline function maxPrefixLen(id: u32): u32 {
  return (field(id, MD_KEY_SIZE) - 4) * 8;
}

/** Checks the attributes like trie_alloc (BPF_F_NO_PREALLOC is required) and allocates keys and values. */
export function lpmCreate(id: u32): i32 {
  const flags = field(id, MD_FLAGS);
  const keySize = field(id, MD_KEY_SIZE);
  const valueSize = field(id, MD_VALUE_SIZE);
  const max = field(id, MD_MAX_ENTRIES);
  if (max == 0 || (flags & BPF_F_NO_PREALLOC) == 0 || (flags & ~CREATE_FLAGS) != 0 || !accessFlagsOk(flags) ||
    keySize < 5 || keySize > 4 + DATA_SIZE_MAX || valueSize < 1 ||
    valueSize > KMALLOC_MAX_SIZE - MAX_BPF_STACK - 64) return -EINVAL;
  const keys = <u64>max * keyStride(id);
  const values = <u64>max * field(id, MD_STRIDE);
  if (keys + values > 0x7fffffff) return -ENOMEM;
  const k = alloc(<u32>keys);
  if (k == 0) return -ENOMEM;
  setField(id, MD_KEYS, k);
  if (!allocArena(id, <u32>values, 0, true)) return -ENOMEM;
  return 0;
}

/** Do the first `bits` bits of the data at `a` and `b` agree? */
function prefixEqual(a: u32, b: u32, bits: u32): bool {
  const whole = bits >> 3;
  for (let i: u32 = 0; i < whole; i++) {
    if (load<u8>(a + i) != load<u8>(b + i)) return false;
  }
  const rest = bits & 7;
  if (rest == 0) return true;
  const mask = <u8>(<u32>0xff << (8 - rest));
  return ((load<u8>(a + whole) ^ load<u8>(b + whole)) & mask) == 0;
}

/** Slot whose prefix equals the key's exactly (same length, same leading bits), or -1. */
function findExact(id: u32, keyAddr: u32): i32 {
  const plen = load<u32>(keyAddr);
  const used = field(id, MD_FRESH);
  for (let slot: u32 = 0; slot < used; slot++) {
    const k = slotKey(id, slot);
    if (load<u32>(k) == plen && prefixEqual(k + 4, keyAddr + 4, plen)) return <i32>slot;
  }
  return -1;
}

/** Value of the longest stored prefix that covers the key's first prefixlen bits, or 0. */
export function lpmLookup(id: u32, keyAddr: u32): u32 {
  let limit = load<u32>(keyAddr);
  if (limit > maxPrefixLen(id)) limit = maxPrefixLen(id);
  const used = field(id, MD_FRESH);
  let best: i32 = -1;
  let bestLen: u32 = 0;
  for (let slot: u32 = 0; slot < used; slot++) {
    const k = slotKey(id, slot);
    const plen = load<u32>(k);
    if (plen > limit || (best >= 0 && plen <= bestLen)) continue; // FREE_SLOT is above every limit
    if (prefixEqual(k + 4, keyAddr + 4, plen)) {
      best = <i32>slot;
      bestLen = plen;
    }
  }
  return best < 0 ? 0 : valueAddr(id, <u32>best, 0);
}

export function lpmUpdate(id: u32, keyAddr: u32, valueAddr_: u32, flags: u64): i64 {
  if (flags > <u64>BPF_EXIST || load<u32>(keyAddr) > maxPrefixLen(id)) return -EINVAL;
  let slot = findExact(id, keyAddr);
  if (slot >= 0 && flags == BPF_NOEXIST) return -EEXIST;
  if (slot < 0) {
    if (flags == BPF_EXIST) return -ENOENT;
    if (field(id, MD_COUNT) >= field(id, MD_MAX_ENTRIES)) return -ENOSPC;
    slot = takeSlot(id);
    memory.copy(slotKey(id, slot), keyAddr, field(id, MD_KEY_SIZE));
    setField(id, MD_COUNT, field(id, MD_COUNT) + 1);
  }
  memory.copy(valueAddr(id, slot, 0), valueAddr_, field(id, MD_VALUE_SIZE));
  return 0;
}

export function lpmDelete(id: u32, keyAddr: u32): i64 {
  if (load<u32>(keyAddr) > maxPrefixLen(id)) return -EINVAL;
  const slot = findExact(id, keyAddr);
  if (slot < 0) return -ENOENT;
  const k = slotKey(id, slot);
  store<u32>(k, FREE_SLOT);
  store<u32>(k, field(id, MD_FREE), 4);
  setField(id, MD_FREE, slot + 1);
  setField(id, MD_COUNT, field(id, MD_COUNT) - 1);
  return 0;
}

/** Slot order; a missing (or no) key starts from the first prefix; -ENOENT after the last. */
export function lpmNextKey(id: u32, keyAddr: u32, nextAddr: u32): i64 {
  let from: u32 = 0;
  if (keyAddr != 0) {
    const slot = findExact(id, keyAddr);
    if (slot >= 0) from = slot + 1;
  }
  const used = field(id, MD_FRESH);
  for (let slot = from; slot < used; slot++) {
    const k = slotKey(id, slot);
    if (load<u32>(k) != FREE_SLOT) {
      memory.copy(nextAddr, k, field(id, MD_KEY_SIZE));
      return 0;
    }
  }
  return -ENOENT;
}

function takeSlot(id: u32): u32 {
  const free = field(id, MD_FREE);
  if (free != 0) {
    setField(id, MD_FREE, load<u32>(slotKey(id, free - 1), 4));
    return free - 1;
  }
  const fresh = field(id, MD_FRESH);
  setField(id, MD_FRESH, fresh + 1);
  return fresh;
}
