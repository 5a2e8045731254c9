// Which of the core's helpers leave the region table alone: a translated function keeps its region caches
// (translate.ts: checked) across a call to one of them, so that the access after a map lookup, and the packet
// reads after that, hit the cache instead of searching the table again. Only helpers that neither add nor drop a
// region nor call back into the program (bpf_loop, for_each_map_elem run functions that fill the caches with
// their own, deeper frames) qualify; ringbuf_reserve, submit and discard change the table. The id alone does not
// say which code runs (a host may register its own helper under any id), so the translated code also checks at
// run time that the id is still the core's (HELPER_KINDS).

/** Whether core helper `id` never changes the region table and never calls back into the program. */
export function regionNeutral(id: i32): bool {
  // map_lookup_elem, map_update_elem, map_delete_elem, ktime_get_ns; ktime_get_boot_ns; map_lookup_percpu_elem
  return (id >= 1 && id <= 5 && id != 4) || id == 125 || id == 195;
}
