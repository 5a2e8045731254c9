// Which of the core's helpers leave the region table alone: a translated function keeps its region caches
// (translate.ts: checked) across a call to one of them, so that the access after a map lookup, and the packet
// reads after that, hit the cache instead of searching the table again. Only helpers that neither add nor drop a
// region nor call back into the program (bpf_loop, for_each_map_elem run functions that fill the caches with
// their own, deeper frames) qualify; ringbuf_reserve, submit and discard change the table. The id alone does not
// say which code runs (a host may register its own helper under any id), so the translated code also checks at
// run time that the id is still the core's (HELPER_KINDS).

/** Whether core helper `id` never changes the region table and never calls back into the program. */
export function regionNeutral(id: i32): bool {
  switch (id) {
    case 1: case 2: case 3: // map_lookup_elem, map_update_elem, map_delete_elem
    case 195: // map_lookup_percpu_elem
    case 5: case 125: case 118: case 160: // ktime_get_ns, ktime_get_boot_ns, jiffies64, ktime_get_coarse_ns
    case 7: case 8: case 42: // get_prandom_u32, get_smp_processor_id, get_numa_node_id
    case 14: case 15: case 16: // get_current_pid_tgid, get_current_uid_gid, get_current_comm
    case 87: case 88: case 89: // map_push_elem, map_pop_elem, map_peek_elem
      return true;
  }
  return false;
}
