// Operations on a HASH or PERCPU_HASH map done by the translated code itself, on the core's tables in the shared
// memory: the same hash (maps/common.ts: hashBytes), the same bucket and the same walk of its chain as maps/hash.ts
// (find), then what hashLookup, hashUpdate and hashDelete do for a program on such a map: the same value address
// (CPU 0's copy), the same element taken for an insert (a never-used one, else the free list's head), the same
// links, counts and values written, the same errors. The core's tables then hold exactly what the core's own call
// would have left, and the interpreter, the ARM32 engine and the host see the same map. The core's calls did the same
// work behind three to five calls (the helper, its checks, mapLookup or mapUpdate, hashBytes, find) and a family
// switch, and V8 does not inline across modules: those calls, and the spill of the eBPF registers that the
// translated code keeps in machine registers around them, cost about as much as the probe. LRU maps (every
// operation moves an element on the recency list) and maps of maps (the value is an inner map's handle) still go to
// the core; so does every case inline-lookup.ts does not take.
//
// The code is the same at every call (its locals are fixed), so it is tables of bytes (table-ops.ts): HASH_FIND,
// then HASH_VALUE, HASH_UPDATE or HASH_DELETE. A constant's LEB128 bytes have its value beside them. Updates copy with
// memory.copy and memory.fill (bulk memory, in every Node that runs tinybpf).
//
// Must follow maps/hash.ts and maps/common.ts: element records (index + 1 in links, 0 = none) of
// EL_KEY + roundUp8(key size) bytes at MD_KEYS, the chain link at 0, the hash at EL_HASH, the key at EL_KEY; bucket
// heads (u32) at MD_BUCKETS, a power of two of them, at least max_entries; element e's value at
// MD_VALUES + (e - 1) * stride * ncpus; MD_FRESH elements used so far, the free list through the chain links from
// MD_FREE, MD_COUNT in use. test/engines/wasm/inline-hash.test.ts runs them against the core.
import {
  MD_KEY_SIZE, MD_VALUE_SIZE, MD_MAX_ENTRIES, MD_STRIDE, MD_NCPUS, MD_VALUES, MD_KEYS, MD_BUCKETS, MD_COUNT, MD_FREE,
  MD_FRESH,
} from "../maps/desc";
import { EL_HASH, EL_KEY } from "../maps/hash";
import {
  R0, R2, R3, R4, D, MAP_SCRATCH, VOID, BLOCK, LOOP, IF, ELSE, END, BR, BR_IF, SELECT, GET, SET, TEE, LOAD, LOAD8,
  LOAD64, STORE, FC, COPY, FILL, CONST, CONST64, EQZ, EQ, LT_U, GT_U, GE_U, CLZ, ADD, SUB, MUL, AND, XOR, SHL,
  SHR_U, ROTL, NE64, XOR64, SHL64, WRAP, EXTEND_U,
} from "./table-ops";

// Scratch: the hash, the key size, a byte offset (then the record's address), the element (index + 1), an offset
// (then whether an update inserts), the link that holds the element, the bucket's address
const H: u8 = MAP_SCRATCH;
const N: u8 = H + 1;
const I: u8 = H + 2;
const E: u8 = H + 3;
const J: u8 = H + 4;
const P: u8 = H + 5;
const B: u8 = H + 6;

// Record fields (maps/hash.ts)
const HASH_AT: u8 = <u8>EL_HASH;
const KEY_AT: u8 = <u8>EL_KEY;

// Descriptor fields as bytes
const KEY_SIZE: u8 = <u8>MD_KEY_SIZE;
const VALUE_SIZE: u8 = <u8>MD_VALUE_SIZE;
const COUNT: u8 = <u8>MD_COUNT;
const FREE: u8 = <u8>MD_FREE;
const FRESH: u8 = <u8>MD_FRESH;
const MAX_ENTRIES: u8 = <u8>MD_MAX_ENTRIES;
const STRIDE: u8 = <u8>MD_STRIDE;
const NCPUS: u8 = <u8>MD_NCPUS;
const VALUES: u8 = <u8>MD_VALUES;
const KEYS: u8 = <u8>MD_KEYS;
const BUCKETS: u8 = <u8>MD_BUCKETS;

/**
 * The element holding the key at r2 (in the frames in use) in the HASH or PERCPU_HASH map whose descriptor is at d:
 * e (0 when absent), its record i, the link p that holds it; h the key's hash, n the key size, b its bucket.
 */
export const HASH_FIND: StaticArray<u8> = [
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
  AND, CONST, 2, SHL, ADD, TEE, B, TEE, P, LOAD, 2, 0, SET, E,
  // block $out { loop $chain: leaves with e = 0 at the chain's end, with the element when its key matches }
  BLOCK, VOID, LOOP, VOID,
  GET, E, EQZ, BR_IF, 1,
  GET, D, LOAD, 2, KEYS, //                                                 i = the record: keys
  GET, E, CONST, 1, SUB, //                                                 + (e - 1)
  GET, N, CONST, 7 + KEY_AT, ADD, CONST, 0x78, AND, MUL, ADD, TEE, I, //    * (KEY_AT + roundUp8(n))
  LOAD, 2, HASH_AT, GET, H, EQ,
  IF, VOID,
  // block $differ: the stored key against the key, 8 bytes at a time, then the last 1-7 bytes in one compare of
  // 8-byte words whose bytes past the key are shifted out (the record's key is padded to 8 bytes; the key at r2 is
  // in the frames, which Wasm memory goes on past): no loop over a key's last bytes
  BLOCK, VOID,
  CONST, 0, SET, J,
  BLOCK, VOID, LOOP, VOID,
  GET, J, CONST, 8, ADD, GET, N, GT_U, BR_IF, 1, //                         while j + 8 <= n
  GET, I, GET, J, ADD, LOAD64, 0, KEY_AT, GET, R2, WRAP, GET, J, ADD, LOAD64, 0, 0, NE64, BR_IF, 2,
  GET, J, CONST, 8, ADD, SET, J, BR, 0,
  END, END,
  GET, J, GET, N, LT_U, IF, VOID, //                                        1-7 bytes left: one 8-byte compare
  GET, I, GET, J, ADD, LOAD64, 0, KEY_AT, GET, R2, WRAP, GET, J, ADD, LOAD64, 0, 0, XOR64, // of the words' xor
  GET, J, GET, N, SUB, CONST, 3, SHL, EXTEND_U, SHL64, //                   << 64 - 8 * (n - j): the bytes past n
  CONST64, 0, NE64, BR_IF, 1, //                                            shifted out
  END,
  BR, 3, //                                                                 found: leave $out
  END, END, //                                                              $differ, if
  GET, I, TEE, P, LOAD, 2, 0, SET, E, BR, 0, //                            e = the next in the chain
  END, END,
];

/** After HASH_FIND: r0 = the value's address (CPU 0's), or 0 when the key is absent (hashLookup). */
export const HASH_VALUE: StaticArray<u8> = [
  GET, D, LOAD, 2, VALUES,
  GET, E, CONST, 1, SUB, GET, D, LOAD, 2, STRIDE, MUL, GET, D, LOAD, 2, NCPUS, MUL,
  ADD, EXTEND_U,
  CONST64, 0, GET, E, SELECT, SET, R0,
];

/** After HASH_FIND: unlinks the element and puts it on the free list, r0 = 0; r0 = -ENOENT when absent. */
export const HASH_DELETE: StaticArray<u8> = [
  CONST64, 0x7e, SET, R0, //                                                -ENOENT
  GET, E, IF, VOID,
  GET, P, GET, I, LOAD, 2, 0, STORE, 2, 0, //                               *p = the element's next
  GET, I, GET, D, LOAD, 2, FREE, STORE, 2, 0, //                            its link = the free list
  GET, D, GET, E, STORE, 2, FREE, //                                        the free list = e
  GET, D, GET, D, LOAD, 2, COUNT, CONST, 1, SUB, STORE, 2, COUNT,
  CONST64, 0, SET, R0,
  END,
];

/**
 * After HASH_FIND, with flags (r4) BPF_ANY, BPF_NOEXIST or BPF_EXIST and the value at r3: hashUpdate for a program.
 * r0 = -EEXIST, -ENOENT or -E2BIG (the map is full) without a change, else 0: a new element takes a never-used
 * record, else the free list's head, and goes to the front of its bucket; CPU 0's value is copied from r3, and a new
 * element's other CPUs are zeroed.
 */
export const HASH_UPDATE: StaticArray<u8> = [
  BLOCK, VOID, //                                                           $done
  GET, E,
  IF, VOID, //                                                              present
  CONST64, 0x6f, SET, R0, //                                                -EEXIST
  GET, R4, WRAP, CONST, 1, EQ, BR_IF, 1, //                                 for BPF_NOEXIST
  CONST, 0, SET, J,
  ELSE,
  CONST64, 0x7e, SET, R0, //                                                -ENOENT
  GET, R4, WRAP, CONST, 2, EQ, BR_IF, 1, //                                 for BPF_EXIST
  CONST64, 0x79, SET, R0, //                                                -E2BIG when there is no element to take
  GET, D, LOAD, 2, FRESH, TEE, E, GET, D, LOAD, 2, MAX_ENTRIES, LT_U,
  IF, VOID,
  GET, D, GET, E, CONST, 1, ADD, TEE, E, STORE, 2, FRESH, //                a never-used one: e = ++fresh
  ELSE,
  GET, D, LOAD, 2, FREE, TEE, E, EQZ, BR_IF, 2, //                          else the free list's head
  END,
  GET, D, LOAD, 2, KEYS, GET, E, CONST, 1, SUB, //                          i = its record
  GET, N, CONST, 7 + KEY_AT, ADD, CONST, 0x78, AND, MUL, ADD, SET, I,
  GET, D, LOAD, 2, FREE, GET, E, EQ, //                                     taken from the free list (never-used
  IF, VOID, //                                                              ones are above every used one)
  GET, D, GET, I, LOAD, 2, 0, STORE, 2, FREE, //                            the free list = its next
  END,
  GET, I, CONST, KEY_AT, ADD, GET, R2, WRAP, GET, N, FC, COPY, 0, 0, //     the key
  GET, I, GET, H, STORE, 2, HASH_AT,
  GET, I, GET, B, LOAD, 2, 0, STORE, 2, 0, //                               at the front of the bucket
  GET, B, GET, E, STORE, 2, 0,
  GET, D, GET, D, LOAD, 2, COUNT, CONST, 1, ADD, STORE, 2, COUNT,
  CONST, 1, SET, J,
  END,
  // the value: CPU 0's copy from r3; a new element's other CPUs zeroed
  GET, D, LOAD, 2, VALUES,
  GET, E, CONST, 1, SUB, GET, D, LOAD, 2, STRIDE, MUL, GET, D, LOAD, 2, NCPUS, MUL,
  ADD, TEE, I,
  GET, R3, WRAP, GET, D, LOAD, 2, VALUE_SIZE, FC, COPY, 0, 0,
  GET, J,
  IF, VOID,
  GET, I, GET, D, LOAD, 2, STRIDE, ADD, CONST, 0,
  GET, D, LOAD, 2, NCPUS, CONST, 1, SUB, GET, D, LOAD, 2, STRIDE, MUL, FC, FILL, 0,
  END,
  CONST64, 0, SET, R0,
  END,
];
