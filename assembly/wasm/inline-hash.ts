// A program's lookup in a HASH or PERCPU_HASH map done by the translated code itself, reading the core's tables in
// the shared memory: the same hash (maps/common.ts: hashBytes), the same bucket and the same walk of its chain as
// maps/hash.ts (find), so the same element and the same value address (CPU 0's copy) as the core's mapLookup.
// Such a lookup changes nothing, so nothing the core keeps can disagree with it. The core's call did the same work
// behind four calls (mapLookup, hashLookup, hashBytes, find) and its family switch, and V8 does not inline across
// modules: those calls, and the spill of the eBPF registers that the translated code keeps in machine registers
// around them, cost about as much as the probe. LRU maps (a lookup moves the element on the recency list) and maps
// of maps (the value is an inner map's handle) still go to the core's mapLookup.
//
// The code is the same at every lookup (its locals are fixed: translate.ts numbers them), so it is a table of
// bytes, which costs the translator a fraction of the code that would emit it. One instruction a line, with the
// Wasm text it stands for; a constant's LEB128 bytes have its value beside them.
//
// Must follow maps/hash.ts and maps/common.ts: element records (index + 1 in links, 0 = none) of
// EL_KEY + roundUp8(key size) bytes at MD_KEYS, the chain link at 0, the hash at EL_HASH, the key at EL_KEY; bucket
// heads (u32) at MD_BUCKETS, a power of two of them, at least max_entries; element e's value at
// MD_VALUES + (e - 1) * stride * ncpus. test/engines/wasm/inline-hash.test.ts runs it against the core.
import { MD_KEY_SIZE, MD_MAX_ENTRIES, MD_STRIDE, MD_NCPUS, MD_VALUES, MD_KEYS, MD_BUCKETS } from "../maps/desc";
import {
  T_VOID, W_BLOCK, W_LOOP, W_IF, W_END, W_BR, W_BR_IF, W_SELECT, W_LOCAL_GET, W_LOCAL_SET, W_LOCAL_TEE,
  W_I32_LOAD, W_I32_LOAD8_U, W_I64_LOAD, W_I32_CONST, W_I64_CONST, W_I32_EQZ, W_I32_EQ, W_I32_NE, W_I32_GT_U,
  W_I32_GE_U, W_I32_CLZ, W_I32_ADD, W_I32_SUB, W_I32_MUL, W_I32_AND, W_I32_XOR, W_I32_SHL, W_I32_SHR_U, W_I32_ROTL,
  W_I64_NE, W_I32_WRAP_I64, W_I64_EXTEND_I32_U,
} from "./emitter";

/** The first of the translated function's i32 locals the code uses as scratch (H, N, I, E, J). */
export const HASH_SCRATCH: u32 = 22;

// Locals: translate.ts's r0 (L_R0), r2 (the key's address) and d (L_TI: the descriptor's address, inline-lookup.ts)
const R0: u8 = 6;
const R2: u8 = 1;
const D: u8 = 15;
// scratch: the hash, the key size, a byte offset (then the record's address), the element (index + 1), an offset
const H: u8 = <u8>HASH_SCRATCH;
const N: u8 = H + 1;
const I: u8 = H + 2;
const E: u8 = H + 3;
const J: u8 = H + 4;

const EL_HASH: u8 = 4;
const EL_KEY: u8 = 16;

// Opcodes and descriptor fields as bytes
const VOID: u8 = <u8>T_VOID;
const BLOCK: u8 = <u8>W_BLOCK;
const LOOP: u8 = <u8>W_LOOP;
const IF: u8 = <u8>W_IF;
const END: u8 = <u8>W_END;
const BR: u8 = <u8>W_BR;
const BR_IF: u8 = <u8>W_BR_IF;
const SELECT: u8 = <u8>W_SELECT;
const GET: u8 = <u8>W_LOCAL_GET;
const SET: u8 = <u8>W_LOCAL_SET;
const TEE: u8 = <u8>W_LOCAL_TEE;
const LOAD: u8 = <u8>W_I32_LOAD;
const LOAD8: u8 = <u8>W_I32_LOAD8_U;
const LOAD64: u8 = <u8>W_I64_LOAD;
const CONST: u8 = <u8>W_I32_CONST;
const CONST64: u8 = <u8>W_I64_CONST;
const EQZ: u8 = <u8>W_I32_EQZ;
const EQ: u8 = <u8>W_I32_EQ;
const NE: u8 = <u8>W_I32_NE;
const GT_U: u8 = <u8>W_I32_GT_U;
const GE_U: u8 = <u8>W_I32_GE_U;
const CLZ: u8 = <u8>W_I32_CLZ;
const ADD: u8 = <u8>W_I32_ADD;
const SUB: u8 = <u8>W_I32_SUB;
const MUL: u8 = <u8>W_I32_MUL;
const AND: u8 = <u8>W_I32_AND;
const XOR: u8 = <u8>W_I32_XOR;
const SHL: u8 = <u8>W_I32_SHL;
const SHR_U: u8 = <u8>W_I32_SHR_U;
const ROTL: u8 = <u8>W_I32_ROTL;
const NE64: u8 = <u8>W_I64_NE;
const WRAP: u8 = <u8>W_I32_WRAP_I64;
const EXTEND_U: u8 = <u8>W_I64_EXTEND_I32_U;
const KEY_SIZE: u8 = <u8>MD_KEY_SIZE;
const MAX_ENTRIES: u8 = <u8>MD_MAX_ENTRIES;
const STRIDE: u8 = <u8>MD_STRIDE;
const NCPUS: u8 = <u8>MD_NCPUS;
const VALUES: u8 = <u8>MD_VALUES;
const KEYS: u8 = <u8>MD_KEYS;
const BUCKETS: u8 = <u8>MD_BUCKETS;

/**
 * Sets r0 to the value address of the key at r2 (in the frames in use) in the HASH or PERCPU_HASH map whose
 * descriptor is at d, or to 0 when the key is absent.
 */
export const HASH_LOOKUP: StaticArray<u8> = [
  // h = hashBytes(key, n): a word at a time while 4 bytes are left, then a byte at a time, then the final mix
  GET, D, LOAD, 2, KEY_SIZE, TEE, N, //                                     n = key size
  CONST, 0x8c, 0xe5, 0x9e, 0xba, 0x79, XOR, SET, H, //                      h = n ^ 0x9747b28c
  CONST, 0, SET, I,
  BLOCK, VOID, LOOP, VOID,
  GET, I, CONST, 4, ADD, GET, N, GT_U, BR_IF, 1, //                         while i + 4 <= n
  GET, H, GET, R2, WRAP, GET, I, ADD, LOAD, 0, 0, XOR, //                   h ^ key[i..i+4]
  CONST, 0xd1, 0xda, 0xf8, 0xe4, 0x7c, MUL, //                              * 0xcc9e2d51
  CONST, 15, ROTL, //                                                       rotl 15
  CONST, 0x93, 0xeb, 0x9c, 0xdc, 0x01, MUL, SET, H, //                      * 0x1b873593
  GET, I, CONST, 4, ADD, SET, I, BR, 0,
  END, END,
  BLOCK, VOID, LOOP, VOID,
  GET, I, GET, N, GE_U, BR_IF, 1, //                                        while i < n
  GET, H, GET, R2, WRAP, GET, I, ADD, LOAD8, 0, 0, XOR, //                  h ^ key[i]
  CONST, 0x93, 0x83, 0x80, 0x08, MUL, SET, H, //                            * 0x01000193
  GET, I, CONST, 1, ADD, SET, I, BR, 0,
  END, END,
  GET, H, GET, H, CONST, 16, SHR_U, XOR, //                                 h ^ h >>> 16
  CONST, 0xeb, 0x94, 0xaf, 0xaf, 0x78, MUL, TEE, H, //                      * 0x85ebca6b
  GET, H, CONST, 13, SHR_U, XOR, SET, H, //                                 h ^ h >>> 13
  // e = the head of bucket h & (buckets - 1); buckets - 1 = 0xffffffff >>> clz(max - 1), or 0 when max is 1
  GET, D, LOAD, 2, BUCKETS,
  GET, H,
  CONST, 0x7f, GET, D, LOAD, 2, MAX_ENTRIES, CONST, 1, SUB, TEE, E, CLZ, SHR_U, CONST, 0, GET, E, SELECT,
  AND, CONST, 2, SHL, ADD, LOAD, 2, 0, SET, E,
  // block $out { loop $chain: leaves with e = 0 at the chain's end, with the element when its key matches }
  BLOCK, VOID, LOOP, VOID,
  GET, E, EQZ, BR_IF, 1,
  GET, D, LOAD, 2, KEYS, //                                                 i = the record: keys
  GET, E, CONST, 1, SUB, //                                                 + (e - 1)
  GET, N, CONST, 7 + EL_KEY, ADD, CONST, 0x78, AND, MUL, ADD, TEE, I, //    * (EL_KEY + roundUp8(n))
  LOAD, 2, EL_HASH, GET, H, EQ,
  IF, VOID,
  // block $differ: the stored key against the key, 8 bytes at a time, then a byte at a time; equal leaves $out
  BLOCK, VOID,
  CONST, 0, SET, J,
  BLOCK, VOID, LOOP, VOID,
  GET, J, CONST, 8, ADD, GET, N, GT_U, BR_IF, 1, //                         while j + 8 <= n
  GET, I, GET, J, ADD, LOAD64, 0, EL_KEY, GET, R2, WRAP, GET, J, ADD, LOAD64, 0, 0, NE64, BR_IF, 2,
  GET, J, CONST, 8, ADD, SET, J, BR, 0,
  END, END,
  BLOCK, VOID, LOOP, VOID,
  GET, J, GET, N, GE_U, BR_IF, 1, //                                        while j < n
  GET, I, GET, J, ADD, LOAD8, 0, EL_KEY, GET, R2, WRAP, GET, J, ADD, LOAD8, 0, 0, NE, BR_IF, 2,
  GET, J, CONST, 1, ADD, SET, J, BR, 0,
  END, END,
  BR, 3, //                                                                 found: leave $out
  END, END, //                                                              $differ, if
  GET, I, LOAD, 2, 0, SET, E, BR, 0, //                                     e = the next in the chain
  END, END,
  // r0 = e ? values + (e - 1) * stride * ncpus : 0
  GET, D, LOAD, 2, VALUES,
  GET, E, CONST, 1, SUB, GET, D, LOAD, 2, STRIDE, MUL, GET, D, LOAD, 2, NCPUS, MUL,
  ADD, EXTEND_U,
  CONST64, 0, GET, E, SELECT, SET, R0,
];
