// The core's exports: everything the host calls. Plain numbers only; bytes travel through linear memory.
import {
  STATE, ST_REGION_COUNT, ST_PROG_COUNT, PROGS, MAX_PROGS, HELPER_KINDS, MAX_HELPER_ID, HELPER_HOST,
  ST_PRANDOM, ST_NCPUS, ST_HEAP_TOP, HEAP_BASE, DECODED,
} from "./layout";
import { decodeProgram } from "./decode";
import { RECORD_SIZE } from "./records";
import { alloc } from "./memory";
import { registerCoreHelpers } from "./helpers";

export { run, beginRun as runBegin, callHelper as helperCall, tailCallTarget } from "./interp";
export { alloc, regionSet, regionAdd, accessAllowed, heapTop } from "./memory";
export {
  mapCreate, mapLookup, mapLookupCpu, mapUpdate, mapDelete, mapGetNextKey, mapPush, mapPop, mapPeek,
  ringbufNext, ringbufNextLen, ringbufQuery, perfNext, perfNextLen, perfNextCpu, perfLost,
} from "./maps/index";

/** Resets the core to an empty runtime: no programs, no maps, regions 0-2 reserved (stack, context, packet). */
export function init(): void {
  memory.fill(STATE, 0, 256);
  store<u32>(STATE + ST_HEAP_TOP, HEAP_BASE);
  store<u32>(STATE + ST_REGION_COUNT, 3);
  store<u64>(STATE + ST_PRANDOM, 0x2545f4914f6cdd1d);
  store<u32>(STATE + ST_NCPUS, 1);
  memory.fill(HELPER_KINDS, 0, MAX_HELPER_ID + 1);
  registerCoreHelpers();
}

/**
 * Registers a program whose `count` instructions the host wrote at `addr`, and pre-decodes it for the interpreter;
 * returns its id, -1 when the program table is full, -2 when memory for the decoded form is not available.
 */
export function programAdd(addr: u32, count: u32): i32 {
  const n = load<u32>(STATE + ST_PROG_COUNT);
  if (n >= <u32>MAX_PROGS) return -1;
  const decoded = alloc(count * RECORD_SIZE, RECORD_SIZE);
  if (decoded == 0) return -2;
  decodeProgram(addr, count, decoded);
  store<u32>(DECODED + (n << 2), decoded);
  store<u32>(PROGS + n * 8, addr);
  store<u32>(PROGS + n * 8, count, 4);
  store<u32>(STATE + ST_PROG_COUNT, n + 1);
  return <i32>n;
}

/** Marks helper `id` as implemented by the host (import env.host_helper). */
export function helperSetHost(id: u32): bool {
  if (id > <u32>MAX_HELPER_ID) return false;
  store<u8>(HELPER_KINDS + id, <u8>HELPER_HOST);
  return true;
}

export function helperKind(id: u32): u32 {
  return id > <u32>MAX_HELPER_ID ? 0 : <u32>load<u8>(HELPER_KINDS + id);
}

// Keeps the allocator reachable for the host even when nothing else in the core uses it.
export function allocBytes(size: u32): u32 { return alloc(size, 8); }
