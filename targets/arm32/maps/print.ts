// Printing the maps of maps-lpm.ts, maps-queue.ts and maps-ringbuf.ts at the end of a run, entry by entry through
// the driver's routine (L_PRINT_ENTRY), in the order of the host's BpfMap.dump(): an LPM trie's prefixes in slot
// order; a queue's or stack's values in the order pops would take them, with an empty key; nothing for ring
// buffers and perf event arrays (their records wait for a consumer; `tinybpf run` lists no entries either).
// Hash maps (LRU, HASH_OF_MAPS) and arrays of maps are printed by the driver's hash and slot loops.

import {
  emit, R0, R1, R2, R4, R5, R7, R11, LR, PC, AL, EQ, NE, HS, HI, ldr, ldrb, movImm, cmpImm, cmpReg, dpImm, dpReg,
  immRot, push, pop, bit, addImm, opReg, OP_CMN, OP_ADD, OP_SUB, SH_LSL,
} from "../../../assembly/arm32/a32/encoder";
import { label, b, bl, jump, L_MAPS_MORE, L_PRINT_MORE, L_PRINT_ENTRY, S_BUF } from "../image";
import {
  D_TYPE, D_MAX, D_VALUES, D_STRIDE, D_RECORDS, D_REC_STRIDE, D_FRESH, D_FREE, D_COUNT, K_LPM, K_STACK, K_RINGBUF,
  slot,
} from "./index";

const N = L_MAPS_MORE + 120; // this file's labels (L_MAPS_MORE + 120 .. 139)
const DONE = N + 0;
const LPM_LOOP = N + 1;
const LPM_NEXT = N + 2;
const QUEUE = N + 3;
const Q_LOOP = N + 4;
const NOT_MINE = N + 5;

/**
 * print_more: r4 = descriptor (r6, r8, r10 as the driver's map printer has them). Prints the entries of a map of
 * these families and returns with Z set; returns with Z clear for the driver's own kinds.
 */
export function emitPrintMore(): void {
  label(L_PRINT_MORE);
  emit(push(bit(R5) | bit(R7) | bit(LR)));
  emit(ldrb(R0, R4, D_TYPE));
  emit(cmpImm(R0, K_LPM));
  jump(HI, QUEUE);
  jump(NE, NOT_MINE);
  // LPM: slots 0 .. D_FRESH - 1 whose prefix length is not the free mark
  emit(movImm(R7, 0));
  label(LPM_LOOP);
  emit(ldr(R0, R4, D_FRESH));
  emit(cmpReg(R7, R0));
  jump(HS, DONE);
  emit(ldr(R0, R4, D_RECORDS));
  slot(R0, R0, R7, D_REC_STRIDE, false);
  emit(ldr(R1, R0, 0));
  emit(dpImm(AL, OP_CMN, 1, 0, R1, immRot(1)));
  jump(EQ, LPM_NEXT);
  emit(ldr(R1, R4, D_VALUES));
  slot(R1, R1, R7, D_STRIDE, false);
  bl(L_PRINT_ENTRY);
  label(LPM_NEXT);
  emit(addImm(R7, R7, 1));
  b(LPM_LOOP);

  // queue / stack: value k (r7) of count sits in slot head + k (a queue: oldest first) or head + count - 1 - k
  // (a stack: newest first), modulo max_entries
  label(QUEUE);
  emit(cmpImm(R0, K_RINGBUF));
  jump(HS, DONE); // ring buffers and perf event arrays: no entries
  emit(movImm(R7, 0));
  label(Q_LOOP);
  emit(ldr(R5, R4, D_COUNT));
  emit(cmpReg(R7, R5));
  jump(HS, DONE);
  emit(ldrb(R0, R4, D_TYPE));
  emit(cmpImm(R0, K_STACK));
  emit(dpReg(EQ, OP_SUB, 0, R1, R5, R7, SH_LSL, 0));
  emit(dpImm(EQ, OP_SUB, 0, R1, R1, immRot(1)));
  emit(dpReg(NE, 0xd /* MOV */, 0, R1, 0, R7, SH_LSL, 0));
  emit(ldr(R2, R4, D_FREE));
  emit(opReg(OP_ADD, R1, R1, R2));
  emit(ldr(R2, R4, D_MAX));
  emit(cmpReg(R1, R2));
  emit(dpReg(HS, OP_SUB, 0, R1, R1, R2, SH_LSL, 0));
  emit(ldr(R0, R4, D_VALUES));
  slot(R1, R0, R1, D_STRIDE, false);
  emit(addImm(R0, R11, S_BUF + 48)); // no key: 0 bytes are printed from here
  bl(L_PRINT_ENTRY);
  emit(addImm(R7, R7, 1));
  b(Q_LOOP);

  label(DONE);
  emit(cmpReg(R0, R0)); // Z set: printed
  label(NOT_MINE);
  emit(pop(bit(R5) | bit(R7) | bit(PC)));
}

