// bpf_map_lookup_elem without the core's helper call, when the lookup is the common case: r1 is the handle of an
// existing map of a type the helper accepts, the helper id is still the core's (a host may register its own
// under it), and the key lies in the frames in use (region 0 of the table, [STACK_BASE, fp)), where the key of a
// lookup almost always is. A plain array's slot is then computed inline, a hash or per-CPU hash map is probed
// inline (inline-hash.ts); any other map goes straight to the core's mapLookup, the helper's own last step,
// without storing the registers in REGS. The checks read the map's descriptor at run time (the translator never
// sees the maps); whatever they do not take goes to the core's helper, which checks and faults as the interpreter
// does. Neither path changes the region table.
import { STATE, ST_MAP_COUNT, MAPS, STACK_BASE, HELPER_KINDS, HELPER_CORE, MAP_HANDLE_TAG } from "../layout";
import {
  MD_TYPE, MD_KEY_SIZE, MD_MAX_ENTRIES, MD_STRIDE, MD_VALUES, MAP_TYPE_ARRAY, LOOKUP_MAP_TYPES,
} from "../maps/desc";
import {
  Buf, W_I32_LOAD, W_I32_LOAD8_U, W_I64_LOAD32_U, W_I32_NE, W_I32_EQ, W_I32_GE_U, W_I32_SHL, W_I32_ADD, W_I32_SUB,
  W_I32_AND, W_I32_OR, W_I32_EQZ, W_I32_WRAP_I64, W_I64_SHR_U, W_I64_NE, W_I64_SUB, W_I64_GT_U, W_I64_EXTEND_I32_U,
  W_I64_LT_U, W_I64_MUL, W_I64_ADD, W_SELECT,
} from "./emitter";
import { F_LOOKUP } from "./prelude";
import { HASH_LOOKUP } from "./inline-hash";

const LOOKUP_ELEM: u32 = 1;
const MAP_DESC_SHIFT: u32 = 6; // MAP_DESC_SIZE = 64

/**
 * Emits the test and the fast paths, inside `block $slow`: leaves to $slow (br_if 0) when the lookup is not the
 * common case, else sets r0 (local `r0`) and leaves to the block around $slow (br 1). Locals: r1, r2 (i64), fp
 * and d (an i32 scratch: the descriptor's address), k (an i64 scratch); HASH_LOOKUP's locals are fixed (inline-hash.ts).
 */
export function inlineLookup(b: Buf, r0: u32, r1: u32, r2: u32, fp: u32, d: u32, k: u32): void {
  b.get(r1); b.i64c(32); b.op(W_I64_SHR_U); b.i64c(<i64><u32>MAP_HANDLE_TAG); b.op(W_I64_NE); b.brIf(0);
  b.get(r1); b.op(W_I32_WRAP_I64); b.tee(d);
  b.i32c(0); b.mem(W_I32_LOAD, 2, STATE + ST_MAP_COUNT); b.op(W_I32_GE_U); b.brIf(0);
  b.i32c(0); b.mem(W_I32_LOAD8_U, 0, HELPER_KINDS + LOOKUP_ELEM); b.i32c(HELPER_CORE); b.op(W_I32_NE); b.brIf(0);
  b.get(d); b.i32c(MAP_DESC_SHIFT); b.op(W_I32_SHL); b.i32c(MAPS); b.op(W_I32_ADD); b.tee(d);
  // a type the helper accepts (below 32, so that the shift picks its own bit)
  b.mem(W_I32_LOAD, 2, MD_TYPE); b.i32c(32); b.op(W_I32_GE_U); b.brIf(0);
  b.i32c(1); b.get(d); b.mem(W_I32_LOAD, 2, MD_TYPE); b.op(W_I32_SHL); b.i32c(LOOKUP_MAP_TYPES); b.op(W_I32_AND);
  b.op(W_I32_EQZ); b.brIf(0);
  // the key: k = r2 - STACK_BASE, k <= fp - STACK_BASE (k is below 2^32) and k + key size <= fp - STACK_BASE
  b.get(r2); b.i64c(STACK_BASE); b.op(W_I64_SUB); b.tee(k);
  b.get(fp); b.i32c(STACK_BASE); b.op(W_I32_SUB); b.op(W_I64_EXTEND_I32_U); b.op(W_I64_GT_U); b.brIf(0);
  b.get(k); b.get(d); b.mem(W_I64_LOAD32_U, 2, MD_KEY_SIZE); b.op(W_I64_ADD);
  b.get(fp); b.i32c(STACK_BASE); b.op(W_I32_SUB); b.op(W_I64_EXTEND_I32_U); b.op(W_I64_GT_U); b.brIf(0);
  // any map but a plain array: the core's mapLookup
  b.get(d); b.mem(W_I32_LOAD, 2, MD_TYPE); b.i32c(MAP_TYPE_ARRAY); b.op(W_I32_EQ);
  b.if_();
  // r0 = index < max_entries ? values + index * stride : 0 (a plain array's slot is one stride)
  b.get(r2); b.op(W_I32_WRAP_I64); b.mem(W_I64_LOAD32_U, 2, 0); b.set(k);
  b.get(d); b.mem(W_I64_LOAD32_U, 2, MD_VALUES);
  b.get(k); b.get(d); b.mem(W_I64_LOAD32_U, 2, MD_STRIDE); b.op(W_I64_MUL); b.op(W_I64_ADD);
  b.i64c(0);
  b.get(k); b.get(d); b.mem(W_I64_LOAD32_U, 2, MD_MAX_ENTRIES); b.op(W_I64_LT_U);
  b.op(W_SELECT);
  b.set(r0);
  b.else_();
  // HASH (1) and PERCPU_HASH (5), the only types t with t | 4 == 5: inline-hash.ts; the others: the core's mapLookup
  b.get(d); b.mem(W_I32_LOAD, 2, MD_TYPE); b.i32c(4); b.op(W_I32_OR); b.i32c(5); b.op(W_I32_EQ);
  b.if_();
  b.bytes(HASH_LOOKUP);
  b.else_();
  b.get(r1); b.op(W_I32_WRAP_I64); b.get(r2); b.op(W_I32_WRAP_I64); b.call(F_LOOKUP);
  b.set(r0);
  b.end();
  b.end();
  b.br(1);
}
