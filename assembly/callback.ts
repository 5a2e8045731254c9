// Calling back into the running program (bpf_loop, for_each_map_elem): the engine that runs the program runs the
// callback too. The interpreter does it itself; a host engine (the Wasm translation) is reached through the host.
import { STATE, ST_ENGINE } from "./layout";
import { interpCallback } from "./interp";

/** Runs a translated program's function for a core helper; the host routes it to the engine that is running. */
@external("env", "host_callback")
declare function hostCallback(funcHandle: u64, r1: u64, r2: u64, r3: u64, r4: u64): u64;

/** Runs the subprogram named by `funcHandle` (FUNC_HANDLE_TAG << 32 | instruction index) with r1..r4; returns its r0. */
export function invokeCallback(funcHandle: u64, r1: u64, r2: u64, r3: u64, r4: u64): u64 {
  if (load<u32>(STATE + ST_ENGINE) == 0) return interpCallback(funcHandle, r1, r2, r3, r4);
  return hostCallback(funcHandle, r1, r2, r3, r4);
}
