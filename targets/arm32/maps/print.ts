// Printing the maps of lpm.ts, queue.ts and ringbuf.ts at the end of a run, entry by entry through
// the driver's routine (L_PRINT_ENTRY), in the order of the host's BpfMap.dump(): an LPM trie's prefixes in slot
// order; a queue's or stack's values in the order pops would take them, with an empty key; nothing for ring
// buffers and perf event arrays (their records wait for a consumer; `tinybpf run` lists no entries either).
// Hash maps (LRU, HASH_OF_MAPS) and arrays of maps are printed by the driver's hash and slot loops.

import {
  AL, EQ, HI, HS, LR, NE, OP_ADD, OP_CMN, OP_SUB, R0, R1, R11, R2, R4, R5, R7, SH_LSL, addImm, bit, cmpImm, cmpReg,
  dpImm, dpReg, immRot, ldr, ldrb, movImm, opReg,
} from "../../../assembly/arm32/a32/encoder";
import { block } from "../../../assembly/arm32/a32/labels";
import { Context } from "../../../assembly/arm32/jit/context";
import {
  D_COUNT, D_FREE, D_FRESH, D_MAX, D_RECORDS, D_REC_STRIDE, D_STRIDE, D_TYPE, D_VALUES, K_LPM, K_RINGBUF, K_STACK,
} from "../abi";
import { L_PRINT_ENTRY, L_PRINT_MORE, S_BUF } from "../image";
import { slot } from "./common";

const N = block("maps/print", 20); // this file's labels
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
export function emitPrintMore(c: Context): void {
  c.routine(L_PRINT_MORE, bit(R5) | bit(R7) | bit(LR));
  c.emit(ldrb(R0, R4, D_TYPE));
  c.emit(cmpImm(R0, K_LPM));
  c.jump(HI, QUEUE);
  c.jump(NE, NOT_MINE);
  // LPM: slots 0 .. D_FRESH - 1 whose prefix length is not the free mark
  c.emit(movImm(R7, 0));
  c.label(LPM_LOOP);
  c.emit(ldr(R0, R4, D_FRESH));
  c.emit(cmpReg(R7, R0));
  c.jump(HS, DONE);
  c.emit(ldr(R0, R4, D_RECORDS));
  slot(c, R0, R0, R7, D_REC_STRIDE, false);
  c.emit(ldr(R1, R0, 0));
  c.emit(dpImm(AL, OP_CMN, 1, 0, R1, immRot(1)));
  c.jump(EQ, LPM_NEXT);
  c.emit(ldr(R1, R4, D_VALUES));
  slot(c, R1, R1, R7, D_STRIDE, false);
  c.bl(L_PRINT_ENTRY);
  c.label(LPM_NEXT);
  c.emit(addImm(R7, R7, 1));
  c.b(LPM_LOOP);

  // queue / stack: value k (r7) of count sits in slot head + k (a queue: oldest first) or head + count - 1 - k
  // (a stack: newest first), modulo max_entries
  c.label(QUEUE);
  c.emit(cmpImm(R0, K_RINGBUF));
  c.jump(HS, DONE); // ring buffers and perf event arrays: no entries
  c.emit(movImm(R7, 0));
  c.label(Q_LOOP);
  c.emit(ldr(R5, R4, D_COUNT));
  c.emit(cmpReg(R7, R5));
  c.jump(HS, DONE);
  c.emit(ldrb(R0, R4, D_TYPE));
  c.emit(cmpImm(R0, K_STACK));
  c.emit(dpReg(EQ, OP_SUB, 0, R1, R5, R7, SH_LSL, 0));
  c.emit(dpImm(EQ, OP_SUB, 0, R1, R1, immRot(1)));
  c.emit(dpReg(NE, 0xd /* MOV */, 0, R1, 0, R7, SH_LSL, 0));
  c.emit(ldr(R2, R4, D_FREE));
  c.emit(opReg(OP_ADD, R1, R1, R2));
  c.emit(ldr(R2, R4, D_MAX));
  c.emit(cmpReg(R1, R2));
  c.emit(dpReg(HS, OP_SUB, 0, R1, R1, R2, SH_LSL, 0));
  c.emit(ldr(R0, R4, D_VALUES));
  slot(c, R1, R0, R1, D_STRIDE, false);
  c.emit(addImm(R0, R11, S_BUF + 48)); // no key: 0 bytes are printed from here
  c.bl(L_PRINT_ENTRY);
  c.emit(addImm(R7, R7, 1));
  c.b(Q_LOOP);

  c.label(DONE);
  c.emit(cmpReg(R0, R0)); // Z set: printed
  c.label(NOT_MINE);
  c.routineEnd(bit(R5) | bit(R7) | bit(LR));
}

