// Maps compiled into an executable: ARRAY, PERCPU_ARRAY and PERCPU_HASH (one CPU), HASH, and global data
// (.data/.rodata/.bss as single-entry arrays), with the helpers map_lookup_elem (1), map_update_elem (2) and
// map_delete_elem (3); this file also dispatches to the other families, each in a file of its own and compiled in
// only when the object has such a map: LRU hashes and maps of maps (hash.ts), LPM tries (lpm.ts), queues
// and stacks (queue.ts), ring buffers and perf event arrays (ringbuf.ts), and their printing
// (print.ts); what they share with this file is in common.ts. Same semantics, flags, errnos and iteration order as the core's
// assembly/maps/array.ts and hash.ts (the hash map uses the same hash function, buckets, element records and free
// list, so its entries come out in the order of the host's BpfMap.dump()).
//
// The maps live in a zero-filled segment at DATA_BASE (the host lays it out, see src/engines/arm32/engine.ts):
//
//   descriptors (targets/arm32/abi.ts: DESC_OFFSET, DESC_SIZE, D_*), then map names (JSON strings), value
//   arenas, hash buckets and element records
//
// The driver copies the area's initial bytes (descriptors, names, initial global data) from the image at start-up.
// Only value arenas are regions (registered in the state block's region table); descriptors, names, buckets and
// records are not, so a program cannot reach them. A program refers to a map by MAP_HANDLE_TAG:index, the handle
// the host writes into lddw PSEUDO_MAP_FD; map values by address (PSEUDO_MAP_VALUE).

import {
  AL, EQ, HI, HS, IP, LO, LR, NE, OP_ADD, OP_AND, OP_EOR, OP_MVN, OP_ORR, OP_SUB, OP_TST, R0, R1, R10, R11, R2, R3,
  R4, R5, R6, R7, R8, R9, SH_LSL, SH_LSR, SH_ROR, addImm, bit, bx, cmpImm, cmpReg, dpImm, dpReg, immRot, ldr,
  ldrReg, ldrb, movImm, movReg, mul, opImm, opImmS, opReg, pop, push, str, strb, subImm,
} from "../../../assembly/arm32/a32/encoder";
import { Context } from "../../../assembly/arm32/jit/context";
import { FAULT_BAD_MAP, MAP_HANDLE_TAG } from "../../../assembly/layout";
import {
  DATA_BASE, D_BUCKETS, D_COUNT, D_FREE, D_FRESH, D_KEY_SIZE, D_MASK, D_MAX, D_RECORDS, D_REC_STRIDE, D_REGION,
  D_STRIDE, D_TYPE, D_VALUES, D_VALUE_SIZE, ID_TABLE_AT, K_LPM, K_QUEUE, V_INNER,
} from "../abi";
import {
  L_CHECK_COMMON, L_FAULT, L_HELPER_DELETE, L_HELPER_LOOKUP, L_HELPER_UPDATE, S_HELPER_LR, S_REGS,
} from "../image";
import {
  BAD_MAP, CHECKN, COPY, E2BIG, EEXIST, EINVAL, EL_KEY, ENOENT, FIND, F_INNER, F_LPM, F_LRU, F_PERF, F_QUEUE,
  F_RINGBUF, HANDLE, L_NULL, M, RETURN, RET_ERR, RET_HANDLE, U_E2BIG, U_EEXIST, U_EINVAL, U_ENOENT, U_GOT, U_WRITE,
  descOf, errno, slot,
} from "./common";
import {
  deleteMore, emitLruRoutines, evictMore, lookupArrayMore, lookupHashMore, updateFoundMore, updateNewMore,
} from "./hash";
import { mayCallDirectHash } from "../../../assembly/arm32/jit/lookup";
import { emitDirectHash } from "./direct";
import { LPM_DELETE, LPM_LOOKUP, LPM_UPDATE, emitLpmRoutines } from "./lpm";
import { emitPrintMore } from "./print";
import { emitQueueHelpers } from "./queue";
import { needed } from "../runtime/needed";
import { emitPerfHelper, emitRingbufHelpers } from "./ringbuf";

// this file's own labels, in the block of maps/common.ts

// this file's own labels, in the block of maps/common.ts (M)
const MAP_TYPE_HASH: u32 = 1;
const HASH = M + 2;
const H_LOOP = M + 7;
const H_TAIL = M + 8;
const H_TLOOP = M + 9;
const H_FIN = M + 10;
const F_LOOP = M + 11;
const F_CMP = M + 12;
const F_NEXT = M + 13;
const F_DONE = M + 14;
const C_LOOP = M + 15;
const L_ARRAY = M + 16;
const U_ARRAY = M + 18;
const U_FREE = M + 24;
const PREP = M + 26;
const PREP_W = M + 27;
const U_NEW = M + 28;

/**
 * The three map helpers and their routines. `write` routines need a writable map (not .rodata). Each helper:
 * push r4-r10 and lr, remember lr in S_HELPER_LR (faults then name the calling instruction), check the handle
 * (r1) and the key (r2), leave the descriptor in r4 and the key address in r5, and return r0:r1 = the result.
 */
export function emitMapRuntime(c: Context, nmaps: i32): void {
  // check_n: r10:ip = address, r0 = size, r1 = 1 for a write. The region check with a size known at run time.
  c.routine(CHECKN, 0x3f);
  c.b(L_CHECK_COMMON);

  // bad_map: r2:r3 = the handle
  c.label(BAD_MAP);
  c.emit(ldr(R1, R11, S_HELPER_LR));
  c.emit(movImm(R0, FAULT_BAD_MAP));
  c.emit(movImm(IP, 0));
  c.b(L_FAULT);

  // prep / prep_w: common entry of the helpers (called with BL from the helper after its push)
  for (let w = 0; w < 2; w++) {
    c.routine(w == 0 ? PREP : PREP_W, bit(LR));
    c.emit(ldr(R2, R11, S_REGS + 8));
    c.emit(ldr(R3, R11, S_REGS + 12));
    c.emitConst(IP, <u32>MAP_HANDLE_TAG);
    c.emit(cmpReg(R3, IP));
    c.jump(NE, BAD_MAP);
    c.emitConst(IP, <u32>nmaps);
    c.emit(cmpReg(R2, IP));
    c.jump(HS, BAD_MAP);
    descOf(c, R4, R2);
    c.emit(ldr(R0, R4, D_TYPE));
    c.emit(cmpImm(R0, 3));
    c.jump(EQ, BAD_MAP); // a program array: its slots are not for programs to read or change
    if (c.families & (F_QUEUE | F_RINGBUF | F_PERF)) { // maps without keyed elements take other helpers
      c.emit(opImm(OP_AND, R1, R0, 0xff));
      c.emit(cmpImm(R1, K_QUEUE));
      c.jump(HS, BAD_MAP);
    }
    if (w == 1 && (c.families & F_INNER)) { // maps of maps change through the host only
      c.emit(dpImm(AL, OP_TST, 1, 0, R0, immRot(V_INNER)));
      c.jump(NE, BAD_MAP);
    }
    if (w == 1) {
      c.emit(ldr(R0, R4, D_REGION + 12));
      c.emit(cmpImm(R0, 0));
      c.jump(EQ, BAD_MAP); // BPF_F_RDONLY_PROG: programs may not change .rodata
    }
    c.emit(ldr(R10, R11, S_REGS + 16));
    c.emit(ldr(IP, R11, S_REGS + 20));
    c.emit(ldr(R0, R4, D_KEY_SIZE));
    c.emit(movImm(R1, 0));
    c.bl(CHECKN);
    c.emit(ldr(R5, R11, S_REGS + 16));
    c.routineEnd(bit(LR));
  }

  // return: r0 = result (sign-extended to r0:r1)
  c.label(RET_ERR);
  c.emit(dpImm(AL, OP_MVN, 0, R1, 0, 0)); // r1 = -1
  c.emit(movImm(R2, 0));
  c.emit(str(R2, R11, S_HELPER_LR));
  c.routineEnd(0x47f0); // r4-r10, pc
  c.label(RETURN);
  c.emit(movImm(R1, 0));
  c.emit(str(R1, R11, S_HELPER_LR));
  c.routineEnd(0x47f0);

  // hash: r0 = key address, r1 = key size -> r0 = hashBytes(key, size) of assembly/maps/common.ts (uses r1-r3, ip)
  c.label(HASH);
  c.emitConst(R2, 0x9747b28c);
  c.emit(opReg(OP_EOR, R2, R2, R1));
  c.label(H_LOOP);
  c.emit(cmpImm(R1, 4));
  c.jump(LO, H_TAIL);
  c.emit(ldrb(R3, R0, 0));
  for (let k = 1; k < 4; k++) {
    c.emit(ldrb(IP, R0, k));
    c.emit(dpReg(AL, OP_ORR, 0, R3, R3, IP, SH_LSL, 8 * k));
  }
  c.emit(opReg(OP_EOR, R2, R2, R3));
  c.emitConst(IP, 0xcc9e2d51);
  c.emit(mul(R2, R2, IP));
  c.emit(dpReg(AL, 0xd /* MOV */, 0, R2, 0, R2, SH_ROR, 17)); // rotl 15
  c.emitConst(IP, 0x1b873593);
  c.emit(mul(R2, R2, IP));
  c.emit(addImm(R0, R0, 4));
  c.emit(subImm(R1, R1, 4));
  c.b(H_LOOP);
  c.label(H_TAIL);
  c.label(H_TLOOP);
  c.emit(cmpImm(R1, 0));
  c.jump(EQ, H_FIN);
  c.emit(ldrb(R3, R0, 0));
  c.emit(opReg(OP_EOR, R2, R2, R3));
  c.emitConst(IP, 0x01000193);
  c.emit(mul(R2, R2, IP));
  c.emit(addImm(R0, R0, 1));
  c.emit(subImm(R1, R1, 1));
  c.b(H_TLOOP);
  c.label(H_FIN);
  c.emit(dpReg(AL, OP_EOR, 0, R2, R2, R2, SH_LSR, 16));
  c.emitConst(IP, 0x85ebca6b);
  c.emit(mul(R2, R2, IP));
  c.emit(dpReg(AL, OP_EOR, 0, R0, R2, R2, SH_LSR, 13));
  c.emit(bx(LR));

  // find: r4 = descriptor, r5 = key -> r6 = hash, r7 = bucket, r8 = element (index + 1) or 0, r9 = the link
  // that holds r8 (bucket head or previous record's chain), r10 = r8's record.
  c.routine(FIND, bit(LR));
  c.emit(movReg(R0, R5));
  c.emit(ldr(R1, R4, D_KEY_SIZE));
  c.bl(HASH);
  c.emit(movReg(R6, R0));
  c.emit(ldr(R0, R4, D_MASK));
  c.emit(opReg(OP_AND, R0, R0, R6));
  c.emit(ldr(R1, R4, D_BUCKETS));
  c.emit(dpReg(AL, OP_ADD, 0, R7, R1, R0, SH_LSL, 2));
  c.emit(movReg(R9, R7));
  c.label(F_LOOP);
  c.emit(ldr(R8, R9, 0));
  c.emit(cmpImm(R8, 0));
  c.jump(EQ, F_DONE);
  c.emit(ldr(R0, R4, D_RECORDS));
  slot(c, R10, R0, R8, D_REC_STRIDE, true);
  c.emit(ldr(R0, R10, 4));
  c.emit(cmpReg(R0, R6));
  c.jump(NE, F_NEXT);
  c.emit(addImm(R0, R10, EL_KEY));
  c.emit(movReg(R1, R5));
  c.emit(ldr(R2, R4, D_KEY_SIZE));
  c.label(F_CMP);
  c.emit(ldrb(R3, R0, 0));
  c.emit(ldrb(IP, R1, 0));
  c.emit(cmpReg(R3, IP));
  c.jump(NE, F_NEXT);
  c.emit(addImm(R0, R0, 1));
  c.emit(addImm(R1, R1, 1));
  c.emit(opImmS(OP_SUB, R2, R2, 1));
  c.jump(NE, F_CMP);
  c.label(F_DONE);
  c.routineEnd(bit(LR));
  c.label(F_NEXT);
  c.emit(movReg(R9, R10));
  c.b(F_LOOP);

  // copy: r0 = destination, r1 = source, r2 = bytes (> 0); uses r3
  c.label(COPY);
  c.label(C_LOOP);
  c.emit(ldrb(R3, R1, 0));
  c.emit(strb(R3, R0, 0));
  c.emit(addImm(R0, R0, 1));
  c.emit(addImm(R1, R1, 1));
  c.emit(opImmS(OP_SUB, R2, R2, 1));
  c.jump(NE, C_LOOP);
  c.emit(bx(LR));

  if (mayCallDirectHash(c)) emitDirectHash(c);

  // map_lookup_elem(map, key) -> value address or 0
  c.routine(L_HELPER_LOOKUP, 0x47f0); // r4-r10, lr
  c.emit(str(LR, R11, S_HELPER_LR));
  c.bl(PREP);
  byMapType(c, LPM_LOOKUP, L_ARRAY);
  findOr(c, L_NULL);
  lookupHashMore(c);
  c.emit(ldr(R0, R4, D_VALUES));
  slot(c, R0, R0, R8, D_STRIDE, true);
  lookupArrayMore(c, false);
  c.b(RETURN);
  c.label(L_ARRAY);
  c.emit(ldr(R1, R5, 0));
  c.emit(ldr(R2, R4, D_MAX));
  c.emit(cmpReg(R1, R2));
  c.jump(HS, L_NULL);
  c.emit(ldr(R0, R4, D_VALUES));
  slot(c, R0, R0, R1, D_STRIDE, false);
  lookupArrayMore(c, true);
  c.b(RETURN);
  c.label(L_NULL);
  c.emit(movImm(R0, 0));
  c.b(RETURN);

  // map_update_elem(map, key, value, flags) -> 0 or a negated errno
  c.routine(L_HELPER_UPDATE, 0x47f0);
  c.emit(str(LR, R11, S_HELPER_LR));
  c.bl(PREP_W);
  c.emit(ldr(R10, R11, S_REGS + 24));
  c.emit(ldr(IP, R11, S_REGS + 28));
  c.emit(ldr(R0, R4, D_VALUE_SIZE));
  c.emit(movImm(R1, 0));
  c.bl(CHECKN);
  c.emit(ldr(R0, R11, S_REGS + 32)); // flags > BPF_EXIST: -EINVAL
  c.emit(ldr(R1, R11, S_REGS + 36));
  c.emit(cmpImm(R1, 0));
  c.jump(NE, U_EINVAL);
  c.emit(cmpImm(R0, 2));
  c.jump(HI, U_EINVAL);
  c.emit(movReg(R10, R0));
  byMapType(c, LPM_UPDATE, U_ARRAY);
  c.emit(push(bit(R10)));
  c.bl(FIND);
  c.emit(pop(bit(R0))); // flags
  c.emit(cmpImm(R8, 0));
  c.jump(EQ, U_NEW);
  c.emit(cmpImm(R0, 1));
  c.jump(EQ, U_EEXIST); // BPF_NOEXIST on an element that exists
  updateFoundMore(c);
  c.b(U_WRITE);
  c.label(U_NEW);
  c.emit(cmpImm(R0, 2));
  c.jump(EQ, U_ENOENT); // BPF_EXIST on an element that does not
  // take a never-used element, else one from the free list, else -E2BIG
  c.emit(ldr(R0, R4, D_FRESH));
  c.emit(ldr(R1, R4, D_MAX));
  c.emit(cmpReg(R0, R1));
  c.jump(HS, U_FREE);
  c.emit(addImm(R8, R0, 1));
  c.emit(str(R8, R4, D_FRESH));
  c.b(U_GOT);
  c.label(U_FREE);
  c.emit(ldr(R8, R4, D_FREE));
  c.emit(cmpImm(R8, 0));
  evictMore(c); // else -E2BIG
  c.emit(ldr(R0, R4, D_RECORDS));
  slot(c, R10, R0, R8, D_REC_STRIDE, true);
  c.emit(ldr(R0, R10, 0));
  c.emit(str(R0, R4, D_FREE));
  c.label(U_GOT);
  c.emit(ldr(R0, R4, D_RECORDS));
  slot(c, R10, R0, R8, D_REC_STRIDE, true);
  c.emit(addImm(R0, R10, EL_KEY));
  c.emit(movReg(R1, R5));
  c.emit(ldr(R2, R4, D_KEY_SIZE));
  c.bl(COPY);
  c.emit(str(R6, R10, 4));
  c.emit(ldr(R0, R7, 0));
  c.emit(str(R0, R10, 0));
  c.emit(str(R8, R7, 0));
  c.emit(ldr(R0, R4, D_COUNT));
  c.emit(addImm(R0, R0, 1));
  c.emit(str(R0, R4, D_COUNT));
  updateNewMore(c);
  c.label(U_WRITE); // value of element r8
  c.emit(ldr(R0, R4, D_VALUES));
  slot(c, R0, R0, R8, D_STRIDE, true);
  c.emit(ldr(R1, R11, S_REGS + 24));
  c.emit(ldr(R2, R4, D_VALUE_SIZE));
  c.bl(COPY);
  c.emit(movImm(R0, 0));
  c.b(RETURN);
  c.label(U_ARRAY);
  c.emit(ldr(R8, R5, 0));
  c.emit(ldr(R1, R4, D_MAX));
  c.emit(cmpReg(R8, R1));
  c.jump(HS, U_E2BIG);
  c.emit(cmpImm(R10, 1));
  c.jump(EQ, U_EEXIST);
  c.emit(addImm(R8, R8, 1));
  c.b(U_WRITE);
  c.label(U_EINVAL);
  errno(c, EINVAL);
  c.label(U_E2BIG);
  errno(c, E2BIG);
  c.label(U_EEXIST);
  errno(c, EEXIST);
  c.label(U_ENOENT);
  errno(c, ENOENT);

  if (needed(c, L_HELPER_DELETE)) {
    // map_delete_elem(map, key) -> 0 or a negated errno (arrays: -EINVAL)
    c.routine(L_HELPER_DELETE, 0x47f0);
    c.emit(str(LR, R11, S_HELPER_LR));
    c.bl(PREP_W);
    byMapType(c, LPM_DELETE, U_EINVAL);
    findOr(c, U_ENOENT);
    c.emit(ldr(R0, R10, 0));
    c.emit(str(R0, R9, 0)); // unlink from the bucket chain
    deleteMore(c);
    c.emit(ldr(R0, R4, D_FREE));
    c.emit(str(R0, R10, 0));
    c.emit(str(R8, R4, D_FREE));
    c.emit(ldr(R0, R4, D_COUNT));
    c.emit(subImm(R0, R0, 1));
    c.emit(str(R0, R4, D_COUNT));
    c.emit(movImm(R0, 0));
    c.b(RETURN);
  }

  if (c.families != 0) emitFamilies(c, nmaps);
}

/** The routines of the families noteMapFamilies found. */
/** The map helpers' three-way branch on the map in r4: LPM tries (when the object has any) to `lpm`, maps
 *  other than hashes to `notHash`; hashes fall through. */
function byMapType(c: Context, lpm: i32, notHash: i32): void {
  c.emit(ldrb(R0, R4, D_TYPE));
  if (c.families & F_LPM) {
    c.emit(cmpImm(R0, K_LPM));
    c.jump(EQ, lpm);
  }
  c.emit(cmpImm(R0, MAP_TYPE_HASH));
  c.jump(NE, notHash);
}

/** find (r4 = the hash map, r5 = the key; r8 = the element's index + 1, r9/r10 as find leaves them), going to
 *  `missing` when the key has no element. */
function findOr(c: Context, missing: i32): void {
  c.bl(FIND);
  c.emit(cmpImm(R8, 0));
  c.jump(EQ, missing);
}

function emitFamilies(c: Context, nmaps: i32): void {
  // handle: r2:r3 = a helper's map argument -> r4 = its descriptor (else the bad-map fault naming r2:r3)
  c.label(HANDLE);
  c.emitConst(IP, <u32>MAP_HANDLE_TAG);
  c.emit(cmpReg(R3, IP));
  c.jump(NE, BAD_MAP);
  c.emitConst(IP, <u32>nmaps);
  c.emit(cmpReg(R2, IP));
  c.jump(HS, BAD_MAP);
  descOf(c, R4, R2);
  c.emit(bx(LR));
  // ret_handle: r0 = address of an inner map id -> r0:r1 = the inner map's handle, as the core's lookup returns
  c.label(RET_HANDLE);
  c.emit(ldr(R0, R0, 0)); // the core's id of the inner map: its index is in the table the host lays out
  c.emitConst(R1, DATA_BASE);
  c.emit(ldr(R1, R1, ID_TABLE_AT));
  c.emit(dpReg(AL, 0xd /* MOV */, 0, R0, 0, R0, SH_LSL, 2));
  c.emit(ldrReg(R0, R1, R0));
  c.emitConst(R1, <u32>MAP_HANDLE_TAG);
  c.emit(movImm(R2, 0));
  c.emit(str(R2, R11, S_HELPER_LR));
  c.routineEnd(0x47f0);
  if (c.families & (F_LRU | F_INNER)) emitLruRoutines(c);
  if (c.families & F_LPM) emitLpmRoutines(c);
  if (c.families & F_QUEUE) emitQueueHelpers(c);
  if (c.families & F_RINGBUF) emitRingbufHelpers(c, nmaps);
  if (c.families & F_PERF) emitPerfHelper(c);
  if (c.families & (F_LPM | F_QUEUE | F_RINGBUF | F_PERF)) emitPrintMore(c);
}

