// Calling back into the running program (bpf_loop, for_each_map_elem). The engine provides the dispatch; this
// placeholder returns 0 ("continue") without running anything until it does.

/** Runs the subprogram named by `funcHandle` (FUNC_HANDLE_TAG << 32 | instruction index) with r1..r4; returns its r0. */
export function invokeCallback(funcHandle: u64, r1: u64, r2: u64, r3: u64, r4: u64): u64 {
  return 0;
}
