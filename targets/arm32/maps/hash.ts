// What LRU hashes (LRU_HASH, LRU_PERCPU_HASH with one CPU) and maps of maps (ARRAY_OF_MAPS, HASH_OF_MAPS) add to
// the hash and array code of maps/index.ts, with the semantics of the core's assembly/maps/hash.ts and array.ts:
//
// - LRU maps keep every element in use on a recency list (the record's bytes 8-15: toward the most recently used,
//   toward the least; index + 1, 0 = none) whose head and tail are the 8 bytes in front of the buckets. A
//   program's lookup or update moves the element to the head, a new element goes to the head, and an update that
//   finds no free element evicts the tail instead of failing with -E2BIG.
// - Maps of maps hold the core's inner map ids (as the host prints them); a lookup gives the inner map's handle
//   (MAP_HANDLE_TAG:index, through the id -> index table of src/engines/arm32/engine.ts), and an empty
//   ARRAY_OF_MAPS slot (0xffffffff) gives NULL. Programs cannot change them (maps/index.ts refuses updates and deletes).
//
// Each piece is emitted only when the image holds such a map (c.families, maps/common.ts).

import {
  AL, EQ, LR, OP_ADD, OP_AND, OP_CMN, OP_TST, R0, R1, R10, R2, R3, R4, R8, R9, SH_LSL, bit, bx, bxC, cmpImm, cmpReg,
  dpImm, dpReg, immRot, ldr, movImm, opReg, pop, push, str, subImm,
} from "../../../assembly/arm32/a32/encoder";
import { block } from "../../../assembly/arm32/a32/labels";
import { Context } from "../../../assembly/arm32/jit/context";
import { D_BUCKETS, D_COUNT, D_MASK, D_RECORDS, D_REC_STRIDE, D_TYPE, V_INNER, V_LRU } from "../abi";
import { F_INNER, F_LRU, L_NULL, RETURN, RET_HANDLE, U_E2BIG, U_GOT, slot } from "./common";

const H = block("maps/hash", 20); // this file's labels
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

function tst(c: Context, rn: i32, v: u32): void { c.emit(dpImm(AL, OP_TST, 1, 0, rn, immRot(v))); }

/** Program lookup of hash element r8 (record r10): LRU maps count it as a use. */
export function lookupHashMore(c: Context): void {
  if ((c.families & F_LRU) == 0) return;
  c.bl(LRU_TOUCH);
}

/**
 * r0 = the value's (slot's) address: maps of maps return the inner map's handle instead; `emptySlots` (arrays of
 * maps): a slot holding 0xffffffff gives NULL.
 */
export function lookupArrayMore(c: Context, emptySlots: bool): void {
  if ((c.families & F_INNER) == 0) return;
  c.emit(ldr(R1, R4, D_TYPE));
  tst(c, R1, V_INNER);
  c.jump(EQ, RETURN);
  if (emptySlots) {
    c.emit(ldr(R1, R0, 0));
    c.emit(dpImm(AL, OP_CMN, 1, 0, R1, immRot(1)));
    c.jump(EQ, L_NULL);
  }
  c.b(RET_HANDLE);
}

/** Update of an element that exists (r8, record r10): LRU maps move it to the head. */
export function updateFoundMore(c: Context): void {
  if (c.families & F_LRU) c.bl(LRU_TOUCH);
}

/** Update that took a new element (r8, record r10, linked into its bucket): LRU maps put it at the head. */
export function updateNewMore(c: Context): void {
  if (c.families & F_LRU) c.bl(LRU_PUSH);
}

/** After `cmp r8, #0` on the free list's head: none left -> LRU maps evict their tail, others fail with -E2BIG. */
export function evictMore(c: Context): void {
  c.jump(EQ, (c.families & F_LRU) ? EVICT : U_E2BIG);
}

/** Delete of element r8 (record r10), unlinked from its bucket: LRU maps take it off the recency list. */
export function deleteMore(c: Context): void {
  if (c.families & F_LRU) c.bl(LRU_UNLINK);
}

export function emitLruRoutines(c: Context): void {
  if ((c.families & F_LRU) == 0) return;
  // lru_touch: unlink element r8 (record r10) and push it at the head; lru_push: push only; lru_unlink: unlink
  // only. Each does nothing unless the map in r4 is an LRU map. Uses r0-r3, ip.
  c.label(LRU_TOUCH);
  c.emit(ldr(R0, R4, D_TYPE));
  tst(c, R0, V_LRU);
  c.emit(bxC(EQ, LR));
  c.emit(push(bit(LR)));
  c.bl(LRU_UNLINK);
  c.emit(pop(bit(LR)));
  c.label(LRU_PUSH);
  c.emit(ldr(R0, R4, D_TYPE));
  tst(c, R0, V_LRU);
  c.emit(bxC(EQ, LR));
  c.emit(ldr(R2, R4, D_BUCKETS));
  c.emit(ldr(R1, R2, -8)); // head
  c.emit(movImm(R0, 0));
  c.emit(str(R0, R10, 8));
  c.emit(str(R1, R10, 12));
  c.emit(cmpImm(R1, 0));
  c.jump(EQ, PF_NONE);
  c.emit(ldr(R0, R4, D_RECORDS));
  slot(c, R0, R0, R1, D_REC_STRIDE, true);
  c.emit(str(R8, R0, 8));
  c.b(PF_DONE);
  c.label(PF_NONE);
  c.emit(str(R8, R2, -4)); // the only element: also the tail
  c.label(PF_DONE);
  c.emit(str(R8, R2, -8));
  c.emit(bx(LR));

  c.label(LRU_UNLINK);
  c.emit(ldr(R0, R4, D_TYPE));
  tst(c, R0, V_LRU);
  c.emit(bxC(EQ, LR));
  c.emit(ldr(R2, R4, D_BUCKETS));
  c.emit(ldr(R1, R10, 8)); // prev
  c.emit(ldr(R3, R10, 12)); // next
  c.emit(cmpImm(R1, 0));
  c.jump(EQ, UL_PREV_NONE);
  c.emit(ldr(R0, R4, D_RECORDS));
  slot(c, R0, R0, R1, D_REC_STRIDE, true);
  c.emit(str(R3, R0, 12));
  c.b(UL_NEXT);
  c.label(UL_PREV_NONE);
  c.emit(str(R3, R2, -8));
  c.label(UL_NEXT);
  c.emit(cmpImm(R3, 0));
  c.jump(EQ, UL_NEXT_NONE);
  c.emit(ldr(R0, R4, D_RECORDS));
  slot(c, R0, R0, R3, D_REC_STRIDE, true);
  c.emit(str(R1, R0, 8));
  c.b(UL_DONE);
  c.label(UL_NEXT_NONE);
  c.emit(str(R1, R2, -4));
  c.label(UL_DONE);
  c.emit(bx(LR));

  // evict: no free element. LRU maps take their least recently used element (r8, record r10) off its bucket
  // chain and the recency list, and reuse it (U_GOT); other maps fail with -E2BIG. Keeps r5-r7.
  c.label(EVICT);
  c.emit(ldr(R0, R4, D_TYPE));
  tst(c, R0, V_LRU);
  c.jump(EQ, U_E2BIG);
  c.emit(ldr(R2, R4, D_BUCKETS));
  c.emit(ldr(R8, R2, -4)); // the tail
  c.emit(ldr(R0, R4, D_RECORDS));
  slot(c, R10, R0, R8, D_REC_STRIDE, true);
  // find the link that holds r8: its bucket head, or the chain link of the record before it
  c.emit(ldr(R0, R10, 4)); // hash
  c.emit(ldr(R1, R4, D_MASK));
  c.emit(opReg(OP_AND, R0, R0, R1));
  c.emit(dpReg(AL, OP_ADD, 0, R9, R2, R0, SH_LSL, 2));
  c.label(EV_LOOP);
  c.emit(ldr(R0, R9, 0));
  c.emit(cmpReg(R0, R8));
  c.jump(EQ, EV_FOUND);
  c.emit(ldr(R1, R4, D_RECORDS));
  slot(c, R9, R1, R0, D_REC_STRIDE, true);
  c.b(EV_LOOP);
  c.label(EV_FOUND);
  c.emit(ldr(R0, R10, 0));
  c.emit(str(R0, R9, 0));
  c.emit(push(bit(LR)));
  c.bl(LRU_UNLINK);
  c.emit(pop(bit(LR)));
  c.emit(ldr(R0, R4, D_COUNT));
  c.emit(subImm(R0, R0, 1));
  c.emit(str(R0, R4, D_COUNT));
  c.b(U_GOT);
}

