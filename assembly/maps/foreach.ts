// bpf_for_each_map_elem: calls a program callback once per element of an array or hash map, in the order
// get_next_key visits them, as callback(map, &key, &value, ctx). The key pointer points into the map's read-only
// key window (desc.ts), where each key is copied before the call; the value pointer is CPU 0's copy.
import { STATE, ST_FAULT } from "../layout";
import { MD_MAX_ENTRIES, MD_KEY_SIZE } from "./desc";
import { field, valueAddr, keyWindow } from "./common";
import { hashAfter, hashKeyOf } from "./hash";
import { invokeCallback } from "../callback";

/**
 * Walks map `id` (an array when `isArray`, else a hash map). Returns the number of elements visited, the one
 * whose callback returned nonzero included; stops early when a callback faults (ST_FAULT is then set).
 */
export function forEachElem(id: u32, handle: u64, func: u64, ctx: u64, isArray: bool): u32 {
  const window = keyWindow(id);
  let visited: u32 = 0;
  if (isArray) {
    const max = field(id, MD_MAX_ENTRIES);
    for (let i: u32 = 0; i < max; i++) {
      store<u32>(window, i);
      visited++;
      const stop = invokeCallback(func, handle, window, valueAddr(id, i, 0), ctx);
      if (stop != 0 || load<u32>(STATE + ST_FAULT) != 0) break;
    }
    return visited;
  }
  const keySize = field(id, MD_KEY_SIZE);
  let e = hashAfter(id, 0);
  while (e != 0) {
    const next = hashAfter(id, e); // taken first: the callback may delete the element it is given
    memory.copy(window, hashKeyOf(id, e), keySize);
    visited++;
    const stop = invokeCallback(func, handle, window, valueAddr(id, e - 1, 0), ctx);
    if (stop != 0 || load<u32>(STATE + ST_FAULT) != 0) break;
    e = next;
  }
  return visited;
}
