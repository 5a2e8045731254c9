// Accesses a map value's address proves in bounds: `v = bpf_map_lookup_elem(&map, &key); if (v) *v += n;`.
// What the lookup returns is 0 or the address of one of the map's values (its arena, one value every stride
// bytes from an 8-aligned start: src/engines/arm32/engine.ts), and after the null test only the latter. An access
// through it (or a copy made with `mov`) at [off, off + n) inside the value size is then inside the map's region,
// writable unless the map is read-only: the memory check (memory.ts) would pass, and an atomic's alignment test
// too when off is a multiple of n. Both are left out; faults cannot happen there, so none moves.
//
// Proven along the straight path to the access: from the last instruction a jump, a call or a program entry lands
// on (F_TARGET) up to it, nothing else reaches the access. On that path the lookup is one whose map the block
// proves (lookupplan.ts inlinedLookup, inline or not), the null test a `jeq v, 0` fallen through, and nothing
// between writes the registers holding the address; any other helper call forgets it (a hash map's element may be
// deleted). Programs whose functions are entered through handles (callx, bpf_loop, for_each_map_elem), at any
// instruction a handle names, get nothing.

import { Context, F_TARGET, dstOf, flagOf, immOf, opcode, srcOf } from "./context";
import { inlinedLookup, isAtomic, lookupMap, writes } from "./lookupplan";
import { ATOMIC_CMPXCHG, CALL_HELPER, HELPER_FOR_EACH_MAP_ELEM, HELPER_LOOP, OP_CALLX } from "../../isa";
import { D_MAX, D_REGION, D_STRIDE, D_VALUES, D_VALUE_SIZE } from "../../../targets/arm32/abi";
import { descriptorAt } from "../../../targets/arm32/maps/direct";

/** Whether the access proven by the last inMapValue starts at a multiple of its size from an 8-aligned value. */
export let valueAligned: bool = false;

const MAX_PATH = 64; // instructions looked back from an access

/** Whether some function may be entered through a handle (see above): found once per translation. */
export function enteredByHandle(c: Context): bool {
  if (c.handleEntries < 0) {
    c.handleEntries = 0;
    for (let i = 0; i < c.count; i++) {
      const op = opcode(c, i);
      if (op == 0x18) { i++; continue; }
      if (op == <u32>OP_CALLX || op == 0x85 && srcOf(c, i) == CALL_HELPER &&
        (immOf(c, i) == HELPER_LOOP || immOf(c, i) == HELPER_FOR_EACH_MAP_ELEM)) c.handleEntries = 1;
    }
  }
  return c.handleEntries == 1;
}

/**
 * Whether the access at instruction i, `bytes` at base + off (a write or not), is inside a map value proven as
 * above; then valueAligned says whether an atomic there needs its alignment test.
 */
export function inMapValue(c: Context, i: i32, base: i32, off: i32, bytes: i32, write: bool): bool {
  valueAligned = false;
  if (base >= 10 || off < 0 || enteredByHandle(c)) return false;
  // from the last instruction something lands on, or MAX_PATH back, knowing nothing there (an lddw's second slot,
  // read as an instruction of its own, only forgets r0-r5)
  let s = i;
  while (s > 0 && i - s < MAX_PATH && (flagOf(c, s) & F_TARGET) == 0) s--;
  let held: u32 = 0; // the registers holding the value's address (or 0, before the null test)
  let nonNull = false;
  let map = -1;
  for (let j = s; j < i; j++) {
    const op = opcode(c, j);
    const dst = dstOf(c, j);
    if (op == 0x18) {
      held &= ~(<u32>1 << <u32>dst);
      j++;
      continue;
    }
    if (op == 0x85 && srcOf(c, j) == CALL_HELPER && immOf(c, j) == 1 && inlinedLookup(c, j)) {
      held = (held & ~0x3f) | 1; // r0: 0 or a value of lookupMap; r1-r5 clobbered
      nonNull = false;
      map = lookupMap;
      continue;
    }
    const cls = op & 7;
    if (cls == 5 || cls == 6) {
      if (op == 0x85 || op == 0x8d) { held = 0; continue; } // another call: may delete the element
      if (op == 0x05 || op == 0x06 || (op & 0xf0) == 0x90) { held = 0; continue; } // ja, exit: a jump's after
      const tested = (held >> <u32>dst) & 1;
      if (op == 0x15 && tested && immOf(c, j) == 0) nonNull = true; // jeq v, 0: on when not null
      else if (op == 0x55 && tested && immOf(c, j) == 0) held = 0; // jne v, 0: on when null
      continue;
    }
    if (op == 0xbf) { // mov d, s: a copy
      if ((held >> <u32>srcOf(c, j)) & 1) held |= <u32>1 << <u32>dst;
      else held &= ~(<u32>1 << <u32>dst);
      continue;
    }
    if (cls == 0) held &= ~0x3f; // a legacy packet load: r0 written, r1-r5 clobbered
    else if (writes(op, dst, dst)) held &= ~(<u32>1 << <u32>dst);
    if (isAtomic(op)) {
      held &= ~(<u32>1 << <u32>srcOf(c, j)); // a fetch writes src
      if (immOf(c, j) == ATOMIC_CMPXCHG) held &= ~1; // cmpxchg: r0
    }
  }
  if (!nonNull || ((held >> <u32>base) & 1) == 0 || map < 0) return false;
  const desc = descriptorAt(c, map);
  const values = load<u32>(desc + D_VALUES);
  const stride = load<u32>(desc + D_STRIDE);
  const arenaEnd = <u64>values + <u64>load<u32>(desc + D_MAX) * <u64>stride;
  if (<u32>off + <u32>bytes > load<u32>(desc + D_VALUE_SIZE)) return false;
  const region = desc + D_REGION + (write ? 8 : 0); // start, end; writable start, end (0, 0: read-only)
  if (load<u32>(region) > values || <u64>load<u32>(region + 4) < arenaEnd) return false;
  valueAligned = (values & 7) == 0 && (stride & 7) == 0 && off % bytes == 0;
  return true;
}
