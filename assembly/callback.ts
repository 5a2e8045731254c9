// Calling back into the running program (bpf_loop, for_each_map_elem): the engine that runs the program runs the
// callback too. A host engine (the Wasm translation) is reached through the host; the interpreter through an entry
// it registers here at start-up, so that the helpers and maps that call back never import the interpreter (the
// core's import graph stays a tree: interp.ts -> helpers.ts -> callback.ts, never back).
import { STATE, ST_ENGINE, FAULT_HELPER, ST_FAULT } from "./layout";

/** Runs a translated program's function for a core helper; the host routes it to the engine that is running. */
@external("env", "host_callback")
declare function hostCallback(funcHandle: u64, r1: u64, r2: u64, r3: u64, r4: u64): u64;

/** How an engine inside the core runs a program function: its r1..r4 in, its r0 out. */
export type CallbackEntry = (funcHandle: u64, r1: u64, r2: u64, r3: u64, r4: u64) => u64;

/** Before an interpreter registered itself there is nothing to call: the helper faults instead. */
function noInterpreter(funcHandle: u64, r1: u64, r2: u64, r3: u64, r4: u64): u64 {
  store<u32>(STATE + ST_FAULT, FAULT_HELPER);
  return 0;
}

// A function reference: the call below is a call_indirect through the module's function table.
let interpEntry: CallbackEntry = noInterpreter;

/** The interpreter's callback entry (interp.ts registers it when the module starts). */
export function setInterpCallback(entry: CallbackEntry): void {
  interpEntry = entry;
}

/** Runs the subprogram named by `funcHandle` (FUNC_HANDLE_TAG << 32 | instruction index) with r1..r4; returns its r0. */
export function invokeCallback(funcHandle: u64, r1: u64, r2: u64, r3: u64, r4: u64): u64 {
  if (load<u32>(STATE + ST_ENGINE) == 0) return interpEntry(funcHandle, r1, r2, r3, r4);
  return hostCallback(funcHandle, r1, r2, r3, r4);
}
