// What LRU hashes (LRU_HASH, LRU_PERCPU_HASH with one CPU) and maps of maps (ARRAY_OF_MAPS, HASH_OF_MAPS) add to
// the hash and array code of maps.ts, with the semantics of the core's assembly/maps/hash.ts and array.ts:
//
// - LRU maps keep every element in use on a recency list (the record's bytes 8-15: toward the most recently used,
//   toward the least; index + 1, 0 = none) whose head and tail are the 8 bytes in front of the buckets. A
//   program's lookup or update moves the element to the head, a new element goes to the head, and an update that
//   finds no free element evicts the tail instead of failing with -E2BIG.
// - Maps of maps hold the core's inner map ids (as the host prints them); a lookup gives the inner map's handle
//   (MAP_HANDLE_TAG:index, through the id -> index table of src/arm32-engine.ts), and an empty
//   ARRAY_OF_MAPS slot (0xffffffff) gives NULL. Programs cannot change them (maps.ts refuses updates and deletes).
//
// Each piece is emitted only when the image holds such a map (maps.ts families).

import {
  emit, R0, R1, R2, R3, R4, R8, R9, R10, IP, LR, PC, AL, EQ, NE, ldr, str, movImm, cmpImm, cmpReg, dpImm, immRot,
  push, pop, bit, bx, opReg, dpReg, subImm, OP_TST, OP_CMN, OP_AND, OP_ADD, SH_LSL,
} from "../../../assembly/arm32/a32/encoder";
import { label, b, bl, jump, L_MAPS_MORE } from "../image";
import {
  families, F_LRU, F_INNER, V_LRU, V_INNER, D_TYPE, D_BUCKETS, D_RECORDS, D_REC_STRIDE, D_MASK, D_COUNT, slot,
  RET_HANDLE, RETURN, L_NULL, U_E2BIG, U_GOT,
} from "./index";

const H = L_MAPS_MORE + 20; // this file's labels (L_MAPS_MORE + 20 .. 39)
const LRU_TOUCH = H + 0; // unlink + push front, when the map is an LRU map
const LRU_PUSH = H + 1; // push front, when the map is an LRU map
const LRU_UNLINK = H + 2; // unlink, when the map is an LRU map
const EVICT = H + 3;
const UL_PREV_NONE = H + 4;
const UL_NEXT = H + 5;
const UL_NEXT_NONE = H + 6;
const UL_DONE = H + 7;
const PF_NONE = H + 8;
const PF_DONE = H + 9;
const EV_LOOP = H + 10;
const EV_FOUND = H + 11;

function tst(rn: i32, v: u32): void { emit(dpImm(AL, OP_TST, 1, 0, rn, immRot(v))); }

/** Program lookup of hash element r8 (record r10): LRU maps count it as a use. */
export function lookupHashMore(): void {
  if ((families & F_LRU) == 0) return;
  bl(LRU_TOUCH);
}

/**
 * r0 = the value's (slot's) address: maps of maps return the inner map's handle instead; `emptySlots` (arrays of
 * maps): a slot holding 0xffffffff gives NULL.
 */
export function lookupArrayMore(emptySlots: bool): void {
  if ((families & F_INNER) == 0) return;
  emit(ldr(R1, R4, D_TYPE));
  tst(R1, V_INNER);
  jump(EQ, RETURN);
  if (emptySlots) {
    emit(ldr(R1, R0, 0));
    emit(dpImm(AL, OP_CMN, 1, 0, R1, immRot(1)));
    jump(EQ, L_NULL);
  }
  b(RET_HANDLE);
}

/** Update of an element that exists (r8, record r10): LRU maps move it to the head. */
export function updateFoundMore(): void {
  if (families & F_LRU) bl(LRU_TOUCH);
}

/** Update that took a new element (r8, record r10, linked into its bucket): LRU maps put it at the head. */
export function updateNewMore(): void {
  if (families & F_LRU) bl(LRU_PUSH);
}

/** After `cmp r8, #0` on the free list's head: none left -> LRU maps evict their tail, others fail with -E2BIG. */
export function evictMore(): void {
  jump(EQ, (families & F_LRU) ? EVICT : U_E2BIG);
}

/** Delete of element r8 (record r10), unlinked from its bucket: LRU maps take it off the recency list. */
export function deleteMore(): void {
  if (families & F_LRU) bl(LRU_UNLINK);
}

export function emitLruRoutines(): void {
  if ((families & F_LRU) == 0) return;
  // lru_touch: unlink element r8 (record r10) and push it at the head; lru_push: push only; lru_unlink: unlink
  // only. Each does nothing unless the map in r4 is an LRU map. Uses r0-r3, ip.
  label(LRU_TOUCH);
  emit(ldr(R0, R4, D_TYPE));
  tst(R0, V_LRU);
  emit(bxC(EQ));
  emit(push(bit(LR)));
  bl(LRU_UNLINK);
  emit(pop(bit(LR)));
  label(LRU_PUSH);
  emit(ldr(R0, R4, D_TYPE));
  tst(R0, V_LRU);
  emit(bxC(EQ));
  emit(ldr(R2, R4, D_BUCKETS));
  emit(ldr(R1, R2, -8)); // head
  emit(movImm(R0, 0));
  emit(str(R0, R10, 8));
  emit(str(R1, R10, 12));
  emit(cmpImm(R1, 0));
  jump(EQ, PF_NONE);
  emit(ldr(R0, R4, D_RECORDS));
  slot(R0, R0, R1, D_REC_STRIDE, true);
  emit(str(R8, R0, 8));
  b(PF_DONE);
  label(PF_NONE);
  emit(str(R8, R2, -4)); // the only element: also the tail
  label(PF_DONE);
  emit(str(R8, R2, -8));
  emit(bx(LR));

  label(LRU_UNLINK);
  emit(ldr(R0, R4, D_TYPE));
  tst(R0, V_LRU);
  emit(bxC(EQ));
  emit(ldr(R2, R4, D_BUCKETS));
  emit(ldr(R1, R10, 8)); // prev
  emit(ldr(R3, R10, 12)); // next
  emit(cmpImm(R1, 0));
  jump(EQ, UL_PREV_NONE);
  emit(ldr(R0, R4, D_RECORDS));
  slot(R0, R0, R1, D_REC_STRIDE, true);
  emit(str(R3, R0, 12));
  b(UL_NEXT);
  label(UL_PREV_NONE);
  emit(str(R3, R2, -8));
  label(UL_NEXT);
  emit(cmpImm(R3, 0));
  jump(EQ, UL_NEXT_NONE);
  emit(ldr(R0, R4, D_RECORDS));
  slot(R0, R0, R3, D_REC_STRIDE, true);
  emit(str(R1, R0, 8));
  b(UL_DONE);
  label(UL_NEXT_NONE);
  emit(str(R1, R2, -4));
  label(UL_DONE);
  emit(bx(LR));

  // evict: no free element. LRU maps take their least recently used element (r8, record r10) off its bucket
  // chain and the recency list, and reuse it (U_GOT); other maps fail with -E2BIG. Keeps r5-r7.
  label(EVICT);
  emit(ldr(R0, R4, D_TYPE));
  tst(R0, V_LRU);
  jump(EQ, U_E2BIG);
  emit(ldr(R2, R4, D_BUCKETS));
  emit(ldr(R8, R2, -4)); // the tail
  emit(ldr(R0, R4, D_RECORDS));
  slot(R10, R0, R8, D_REC_STRIDE, true);
  // find the link that holds r8: its bucket head, or the chain link of the record before it
  emit(ldr(R0, R10, 4)); // hash
  emit(ldr(R1, R4, D_MASK));
  emit(opReg(OP_AND, R0, R0, R1));
  emit(dpReg(AL, OP_ADD, 0, R9, R2, R0, SH_LSL, 2));
  label(EV_LOOP);
  emit(ldr(R0, R9, 0));
  emit(cmpReg(R0, R8));
  jump(EQ, EV_FOUND);
  emit(ldr(R1, R4, D_RECORDS));
  slot(R9, R1, R0, D_REC_STRIDE, true);
  b(EV_LOOP);
  label(EV_FOUND);
  emit(ldr(R0, R10, 0));
  emit(str(R0, R9, 0));
  emit(push(bit(LR)));
  bl(LRU_UNLINK);
  emit(pop(bit(LR)));
  emit(ldr(R0, R4, D_COUNT));
  emit(subImm(R0, R0, 1));
  emit(str(R0, R4, D_COUNT));
  b(U_GOT);
}

function bxC(cond: u32): u32 { return (cond << 28) | 0x012fff10 | <u32>LR; }
