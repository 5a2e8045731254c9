// bpf_map_lookup_elem, bpf_map_update_elem and bpf_map_delete_elem without the core's helper call, when the call is
// the common case: r1 is the handle of an existing map of a type the helper accepts, the helper id is still the
// core's (a host may register its own under it), and the key (and an update's value) lies in the frames in use
// (region 0 of the table, [STACK_BASE, fp)), where they almost always are. A lookup then computes a plain array's
// slot inline, probes a hash or per-CPU hash map inline (inline-hash.ts), and sends any other map straight to the
// core's mapLookup, the helper's own last step, without storing the registers in REGS; an update (flags BPF_ANY,
// BPF_NOEXIST or BPF_EXIST) or a delete on a hash or per-CPU hash map that programs may write is done inline
// (inline-hash.ts). The checks read the map's descriptor at run time (the translator never sees the maps);
// whatever they do not take goes to the core's helper, which checks and faults as the interpreter does. No path
// changes the region table. A lookup that found an array's slot or a hash map's value inline leaves the value's size
// in a local, which spares the accesses to it their region checks (values.ts); the caller zeroes it before. The code
// is tables of bytes (table-ops.ts), the same at every call.
import { STATE, ST_MAP_COUNT, MAPS, STACK_BASE, HELPER_KINDS, HELPER_CORE, MAP_HANDLE_TAG } from "../layout";
import {
  MD_TYPE, MD_KEY_SIZE, MD_VALUE_SIZE, MD_MAX_ENTRIES, MD_FLAGS, MD_STRIDE, MD_VALUES, MAP_TYPE_ARRAY,
  LOOKUP_MAP_TYPES, BPF_F_RDONLY_PROG, BPF_EXIST,
} from "../maps/desc";
import { Buf } from "./emitter";
import { F_LOOKUP } from "./prelude";
import {
  R1, R2, R3, R4, FP, R0, K, D, VALUE, VOID, IF, ELSE, END, BR_IF, CALL, SELECT, GET, SET, TEE, LOAD, LOAD8, LOAD64_32,
  CONST, CONST64, EQZ, EQ, NE, GE_U, ADD, SUB, AND, OR, SHL, NE64, LT_U64, GT_U64, ADD64, SUB64, MUL64, SHR_U64,
  WRAP, EXTEND_U,
} from "./table-ops";
import { HASH_FIND, HASH_VALUE, HASH_UPDATE, HASH_DELETE } from "./inline-hash";

const LOOKUP_ELEM: i32 = 1;
const UPDATE_ELEM: i32 = 2;

// Descriptor fields as bytes
const TYPE: u8 = <u8>MD_TYPE;
const KEY_SIZE: u8 = <u8>MD_KEY_SIZE;
const VALUE_SIZE: u8 = <u8>MD_VALUE_SIZE;
const MAX_ENTRIES: u8 = <u8>MD_MAX_ENTRIES;
const FLAGS: u8 = <u8>MD_FLAGS;
const STRIDE: u8 = <u8>MD_STRIDE;
const VALUES: u8 = <u8>MD_VALUES;

// Constants of three LEB128 bytes (each below 2^20, so that the signed and unsigned forms agree)
const MAP_COUNT_AT = STATE + ST_MAP_COUNT;
const LOOKUP_TYPES = LOOKUP_MAP_TYPES;

/**
 * r1 is a map handle naming an existing map (d = its id), then the helper id is pushed (the code after it differs
 * per helper): leaves to $slow otherwise.
 */
const MAP_ARG: StaticArray<u8> = [
  GET, R1, CONST64, 32, SHR_U64, //                                         r1 >> 32
  CONST64, <u8>(MAP_HANDLE_TAG & 0x7f | 0x80), <u8>(MAP_HANDLE_TAG >> 7 & 0x7f | 0x80), //    MAP_HANDLE_TAG
  <u8>(MAP_HANDLE_TAG >> 14 & 0x7f | 0x80), <u8>(MAP_HANDLE_TAG >> 21 & 0x7f | 0x80), <u8>(MAP_HANDLE_TAG >> 28),
  NE64, BR_IF, 0,
  GET, R1, WRAP, TEE, D, //                                                 d = the map id
  CONST, 0, LOAD, 2, <u8>(MAP_COUNT_AT & 0x7f | 0x80), <u8>(MAP_COUNT_AT >> 7 & 0x7f | 0x80), <u8>(MAP_COUNT_AT >> 14),
  GE_U, BR_IF, 0, //                                                        below the count of maps
];

/** After the helper id: the id is still the core's helper (a host may register its own), d = the descriptor. */
const CORE_HELPER: StaticArray<u8> = [
  LOAD8, 0, <u8>(HELPER_KINDS & 0x7f | 0x80), <u8>(HELPER_KINDS >> 7 & 0x7f | 0x80), <u8>(HELPER_KINDS >> 14),
  CONST, <u8>HELPER_CORE, NE, BR_IF, 0,
  GET, D, CONST, 6, SHL, //                                                 d = MAPS + id * MAP_DESC_SIZE (64)
  CONST, <u8>(MAPS & 0x7f | 0x80), <u8>(MAPS >> 7 & 0x7f | 0x80), <u8>(MAPS >> 14), ADD, SET, D,
];

/** A type map_lookup_elem accepts (below 32, so that the shift picks its own bit). */
const LOOKUP_TYPE: StaticArray<u8> = [
  GET, D, LOAD, 2, TYPE, CONST, 32, GE_U, BR_IF, 0,
  CONST, 1, GET, D, LOAD, 2, TYPE, SHL,
  CONST, <u8>(LOOKUP_TYPES & 0x7f | 0x80), <u8>(LOOKUP_TYPES >> 7 & 0x7f | 0x80), <u8>(LOOKUP_TYPES >> 14),
  AND, EQZ, BR_IF, 0,
];

// STACK_BASE's LEB128 bytes (three: it is below 2^21), for the tables' constants
const SB0: u8 = <u8>(STACK_BASE & 0x7f | 0x80);
const SB1: u8 = <u8>(STACK_BASE >> 7 & 0x7f | 0x80);
const SB2: u8 = <u8>(STACK_BASE >> 14);

/**
 * A HASH (1) or PERCPU_HASH (5), the only types t with t | 4 == 5, that programs may write (not BPF_F_RDONLY_PROG,
 * whose update the helper refuses).
 */
const WRITABLE_HASH: StaticArray<u8> = [
  GET, D, LOAD, 2, TYPE, CONST, 4, OR, CONST, 5, NE, BR_IF, 0,
  GET, D, LOAD, 2, FLAGS, CONST, <u8>(BPF_F_RDONLY_PROG & 0x7f | 0x80), <u8>(BPF_F_RDONLY_PROG >> 7), AND, BR_IF, 0,
];

/**
 * The key in the frames in use: k = r2 - STACK_BASE, k <= fp - STACK_BASE (k is below 2^32) and
 * k + key size <= fp - STACK_BASE.
 */
const KEY_IN_FRAMES: StaticArray<u8> = [
  GET, R2, CONST64, SB0, SB1, SB2,
  SUB64, TEE, K,
  GET, FP, CONST, SB0, SB1, SB2,
  SUB, EXTEND_U, GT_U64, BR_IF, 0,
  GET, K, GET, D, LOAD64_32, 2, KEY_SIZE, ADD64,
  GET, FP, CONST, SB0, SB1, SB2,
  SUB, EXTEND_U, GT_U64, BR_IF, 0,
];

/** map_update_elem: the value in the frames in use too (as the key), and flags BPF_ANY, BPF_NOEXIST or BPF_EXIST. */
const VALUE_IN_FRAMES: StaticArray<u8> = [
  GET, R3, CONST64, SB0, SB1, SB2,
  SUB64, TEE, K,
  GET, FP, CONST, SB0, SB1, SB2,
  SUB, EXTEND_U, GT_U64, BR_IF, 0,
  GET, K, GET, D, LOAD64_32, 2, VALUE_SIZE, ADD64,
  GET, FP, CONST, SB0, SB1, SB2,
  SUB, EXTEND_U, GT_U64, BR_IF, 0,
  GET, R4, CONST64, <u8>BPF_EXIST, GT_U64, BR_IF, 0,
];

/** map_lookup_elem: a plain array's slot computed, r0 = index < max_entries ? values + index * stride : 0. */
const ARRAY_SLOT: StaticArray<u8> = [
  GET, D, LOAD, 2, TYPE, CONST, <u8>MAP_TYPE_ARRAY, EQ,
  IF, VOID,
  GET, R2, WRAP, LOAD64_32, 2, 0, SET, K, //                                k = the index
  GET, D, LOAD64_32, 2, VALUES,
  GET, K, GET, D, LOAD64_32, 2, STRIDE, MUL64, ADD64,
  CONST64, 0,
  GET, K, GET, D, LOAD64_32, 2, MAX_ENTRIES, LT_U64,
  SELECT, SET, R0,
];

/**
 * After an array's slot or a hash map's value: the value's size in `value` (values.ts: r0, when not null, points at a
 * whole value in the map's arena, a region), 0 when programs may not write it (BPF_F_RDONLY_PROG: its region has no
 * writable part).
 */
const VALUE_KNOWN: StaticArray<u8> = [
  CONST, 0, GET, D, LOAD, 2, VALUE_SIZE,
  GET, D, LOAD, 2, FLAGS, CONST, <u8>(BPF_F_RDONLY_PROG & 0x7f | 0x80), <u8>(BPF_F_RDONLY_PROG >> 7), AND,
  SELECT, SET, VALUE,
];

/** ... else a hash or per-CPU hash map probed; else... */
const HASH_TYPE: StaticArray<u8> = [
  ELSE,
  GET, D, LOAD, 2, TYPE, CONST, 4, OR, CONST, 5, EQ,
  IF, VOID,
];

/** ... else any other map: the core's mapLookup. */
const CORE_LOOKUP: StaticArray<u8> = [
  ELSE,
  GET, R1, WRAP, GET, R2, WRAP, CALL, <u8>F_LOOKUP, SET, R0,
  END,
  END,
];

/**
 * Emits, for helper `id` (map_lookup_elem, map_update_elem or map_delete_elem), the test and the fast paths, inside
 * `block $slow`: leaves to $slow (br_if 0) when the call is not the common case, else sets r0 and leaves to the
 * block around $slow (br 1). The locals are translate.ts's (table-ops.ts).
 */
export function inlineMapCall(b: Buf, id: i32): void {
  b.bytes(MAP_ARG);
  b.i32c(id);
  b.bytes(CORE_HELPER);
  b.bytes(id == LOOKUP_ELEM ? LOOKUP_TYPE : WRITABLE_HASH);
  b.bytes(KEY_IN_FRAMES);
  if (id == LOOKUP_ELEM) { b.bytes(ARRAY_SLOT); b.bytes(VALUE_KNOWN); b.bytes(HASH_TYPE); }
  else if (id == UPDATE_ELEM) b.bytes(VALUE_IN_FRAMES);
  b.bytes(HASH_FIND);
  b.bytes(id == LOOKUP_ELEM ? HASH_VALUE : id == UPDATE_ELEM ? HASH_UPDATE : HASH_DELETE);
  if (id == LOOKUP_ELEM) { b.bytes(VALUE_KNOWN); b.bytes(CORE_LOOKUP); }
  b.br(1);
}
