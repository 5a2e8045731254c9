// Hash-map lookups whose map and key the call site proves (jit/lookup.ts): `bpf_map_lookup_elem(&map, &key)` with
// the map's handle loaded in the same block and the key in the caller's frame. The helper routine (maps/index.ts)
// would check the handle, the map's type and the key's region (a region-table walk), then hash the key and compare
// it byte by byte; here none of the checks is left, and a key whose size is a multiple of 4 at a 4-aligned frame
// offset is hashed and compared a word at a time (records are 4-aligned too: directHash checks).
// The hash is maps/index.ts's (the core's hashBytes) over whole words: the same buckets, the same elements found.
// Plain HASH and PERCPU_HASH maps only: an LRU map's lookup moves the element, a map of maps returns a handle.

import {
  AL, EQ, NE, OP_ADD, OP_AND, OP_EOR, OP_MOV, OP_SUB, PL, R0, R1, R10, R2, R3, R4, R5, R6, R8, R9, IP, SH_LSL, SH_LSR, SH_ROR,
  addImm, cmpImm, cmpReg, dpReg, ldr, ldrReg, movImm, movReg, mul, opImmS, opReg, pop, subImm, when,
} from "../../../assembly/arm32/a32/encoder";
import { block } from "../../../assembly/arm32/a32/labels";
import { Context } from "../../../assembly/arm32/jit/context";
import {
  DATA_BASE, DESC_SIZE, D_BUCKETS, D_KEY_SIZE, D_MASK, D_RECORDS, D_REC_STRIDE, D_STRIDE, D_TYPE, D_VALUES, K_HASH,
  OPT_BPFTRACE,
} from "../abi";
import { L_HASH_WORDS } from "../image";
import { DESC_BASE, EL_KEY, slot } from "./common";

const D = block("maps/direct", 4);
const HASH_LOOP = D + 0;
const WALK = D + 1;
const NEXT = D + 2;
const COMPARE = D + 3;

/** The descriptor of map `index` in the area's initial bytes (c.mapData). */
export function descriptorAt(c: Context, index: i32): usize {
  return c.mapData + <usize>(DESC_BASE - DATA_BASE) + <usize>(<u32>index * DESC_SIZE);
}

/**
 * Whether map `index` takes L_HASH_WORDS: a plain hash map, its key whole words, its records 4-aligned; not in a
 * trace script's executable, which keeps to the helper routine for size (a one-liner fits in 8 KB).
 */
export function directHash(c: Context, index: i32): bool {
  if (c.options & OPT_BPFTRACE) return false;
  const desc = descriptorAt(c, index);
  const keySize = load<u32>(desc + D_KEY_SIZE);
  return load<u32>(desc + D_TYPE) == K_HASH && keySize != 0 && (keySize & 3) == 0 &&
    ((load<u32>(desc + D_RECORDS) | load<u32>(desc + D_REC_STRIDE)) & 3) == 0;
}

/**
 * hash_words: r0 = the key (4-aligned, readable), r1 = the descriptor of a map directHash accepts -> r0 = the
 * value's address, or 0. Preserves r4-r11, as a helper does. Emitted when some lookup may call it
 * (maps/index.ts asks jit/lookup.ts mayCallDirectHash).
 */
export function emitDirectHash(c: Context): void {
  const saved: u32 = 0x47f0; // r4-r10, lr
  c.routine(L_HASH_WORDS, saved);
  c.emit(movReg(R4, R1));
  c.emit(movReg(R5, R0));
  // r6 = hashBytes(key, size): maps/index.ts HASH, one word a round, no tail
  c.emit(ldr(R1, R4, D_KEY_SIZE));
  c.emitConst(R2, 0x9747b28c);
  c.emit(opReg(OP_EOR, R2, R2, R1));
  c.label(HASH_LOOP);
  c.emit(ldr(R3, R0, 0));
  c.emit(addImm(R0, R0, 4));
  c.emit(opReg(OP_EOR, R2, R2, R3));
  c.emitConst(IP, 0xcc9e2d51);
  c.emit(mul(R2, R2, IP));
  c.emit(dpReg(AL, OP_MOV, 0, R2, 0, R2, SH_ROR, 17)); // rotl 15
  c.emitConst(IP, 0x1b873593);
  c.emit(mul(R2, R2, IP));
  c.emit(opImmS(OP_SUB, R1, R1, 4));
  c.jump(NE, HASH_LOOP);
  c.emit(dpReg(AL, OP_EOR, 0, R2, R2, R2, SH_LSR, 16));
  c.emitConst(IP, 0x85ebca6b);
  c.emit(mul(R2, R2, IP));
  c.emit(dpReg(AL, OP_EOR, 0, R6, R2, R2, SH_LSR, 13));
  // r9 = the bucket's link, r8 = its element (index + 1, 0: none), r10 = the element's record
  c.emit(ldr(R0, R4, D_MASK));
  c.emit(opReg(OP_AND, R0, R0, R6));
  c.emit(ldr(R1, R4, D_BUCKETS));
  c.emit(dpReg(AL, OP_ADD, 0, R9, R1, R0, SH_LSL, 2));
  c.label(WALK);
  c.emit(ldr(R8, R9, 0));
  c.emit(cmpImm(R8, 0));
  c.emit(when(EQ, movImm(R0, 0)));
  c.emit(when(EQ, pop(0x87f0))); // not found: NULL
  c.emit(ldr(R0, R4, D_RECORDS));
  slot(c, R10, R0, R8, D_REC_STRIDE, true);
  c.emit(ldr(R0, R10, 4));
  c.emit(cmpReg(R0, R6));
  c.jump(NE, NEXT);
  // the keys, word by word from the last (only equality matters)
  c.emit(addImm(R0, R10, EL_KEY));
  c.emit(ldr(R2, R4, D_KEY_SIZE));
  c.emit(subImm(R2, R2, 4));
  c.label(COMPARE);
  c.emit(ldrReg(R3, R0, R2));
  c.emit(ldrReg(IP, R5, R2));
  c.emit(cmpReg(R3, IP));
  c.jump(NE, NEXT);
  c.emit(opImmS(OP_SUB, R2, R2, 4));
  c.jump(PL, COMPARE);
  c.emit(ldr(R0, R4, D_VALUES));
  slot(c, R0, R0, R8, D_STRIDE, true);
  c.routineEnd(saved);
  c.label(NEXT);
  c.emit(movReg(R9, R10)); // the record's chain link
  c.b(WALK);
}
