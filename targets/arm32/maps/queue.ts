// QUEUE (first in, first out) and STACK (last in, first out) with the semantics of the core's
// assembly/maps/queue.ts: a circular buffer of max_entries slots in the arena (values are copied in and out, so it
// is no region); D_FREE is the oldest slot, D_COUNT the number of values held, D_MASK 1 when programs may only
// read the map (BPF_F_RDONLY_PROG). Helpers map_push_elem (87), map_pop_elem (88), map_peek_elem (89).

import {
  AL, EQ, HI, HS, IP, LR, NE, OP_ADD, OP_SUB, OP_TST, R0, R1, R10, R11, R2, R3, R4, R5, R6, SH_LSL, addImm, bit,
  cmpImm, cmpReg, dpImm, dpReg, immRot, ldr, ldrb, movImm, movReg, opReg, str, subImm,
} from "../../../assembly/arm32/a32/encoder";
import { block } from "../../../assembly/arm32/a32/labels";
import { Context } from "../../../assembly/arm32/jit/context";
import { D_COUNT, D_FREE, D_MASK, D_MAX, D_STRIDE, D_TYPE, D_VALUES, D_VALUE_SIZE, K_QUEUE, K_STACK } from "../abi";
import { L_HELPER_PEEK, L_HELPER_POP, L_HELPER_PUSH, S_HELPER_LR, S_REGS } from "../image";
import { BAD_MAP, CHECKN, COPY, E2BIG, EINVAL, ENOENT, HANDLE, RETURN, errno, slot } from "./common";

const Q = block("maps/queue", 20); // this file's labels
const ARG = Q + 0;
const ARG_W = Q + 1;
const ROOM = Q + 2;
const P_EINVAL = Q + 3;
const P_E2BIG = Q + 4;
const T_ENOENT = Q + 5;

/** r4 = the queue or stack named by the helper's r1 (`write`: programs may change it), else the bad-map fault. */
function emitArg(c: Context, write: bool): void {
  c.routine(write ? ARG_W : ARG, bit(LR));
  c.emit(ldr(R2, R11, S_REGS + 8));
  c.emit(ldr(R3, R11, S_REGS + 12));
  c.bl(HANDLE);
  c.emit(ldrb(R0, R4, D_TYPE));
  c.emit(subImm(R0, R0, K_QUEUE));
  c.emit(cmpImm(R0, K_STACK - K_QUEUE));
  c.jump(HI, BAD_MAP);
  if (write) {
    c.emit(ldr(R0, R4, D_MASK));
    c.emit(cmpImm(R0, 0));
    c.jump(NE, BAD_MAP);
  }
  c.routineEnd(bit(LR));
}

/** The value argument (r2) checked for the map's value size: read for a push, written for pop and peek. */
function checkValue(c: Context, write: bool): void {
  c.emit(ldr(R10, R11, S_REGS + 16));
  c.emit(ldr(IP, R11, S_REGS + 20));
  c.emit(ldr(R0, R4, D_VALUE_SIZE));
  c.emit(movImm(R1, write ? 1 : 0));
  c.bl(CHECKN);
}

/** rd = (rd >= r5 ? rd - r5 : rd): a slot index past the end wraps (r5 = max_entries). */
function wrap(c: Context, rd: i32): void {
  c.emit(cmpReg(rd, R5));
  c.emit(dpReg(HS, OP_SUB, 0, rd, rd, R5, SH_LSL, 0));
}

export function emitQueueHelpers(c: Context): void {
  emitArg(c, false);
  emitArg(c, true);

  // map_push_elem(map, value, flags): BPF_EXIST drops the oldest value when full, else -E2BIG; flags with
  // BPF_NOEXIST or above BPF_EXIST: -EINVAL
  c.routine(L_HELPER_PUSH, 0x47f0);
  c.emit(str(LR, R11, S_HELPER_LR));
  c.bl(ARG_W);
  checkValue(c, false);
  c.emit(ldr(R0, R11, S_REGS + 24));
  c.emit(ldr(R1, R11, S_REGS + 28));
  c.emit(cmpImm(R1, 0));
  c.jump(NE, P_EINVAL);
  c.emit(dpImm(AL, OP_TST, 1, 0, R0, immRot(1)));
  c.jump(NE, P_EINVAL);
  c.emit(cmpImm(R0, 2));
  c.jump(HI, P_EINVAL);
  c.emit(ldr(R2, R4, D_FREE));
  c.emit(ldr(R3, R4, D_COUNT));
  c.emit(ldr(R5, R4, D_MAX));
  c.emit(cmpReg(R3, R5));
  c.jump(NE, ROOM);
  c.emit(cmpImm(R0, 2));
  c.jump(NE, P_E2BIG);
  c.emit(addImm(R2, R2, 1));
  wrap(c, R2);
  c.emit(subImm(R3, R3, 1));
  c.emit(str(R2, R4, D_FREE));
  c.label(ROOM);
  c.emit(addImm(R6, R3, 1));
  c.emit(str(R6, R4, D_COUNT));
  c.emit(opReg(OP_ADD, R0, R2, R3));
  wrap(c, R0);
  c.emit(ldr(R1, R4, D_VALUES));
  slot(c, R0, R1, R0, D_STRIDE, false);
  c.emit(ldr(R1, R11, S_REGS + 16));
  c.emit(ldr(R2, R4, D_VALUE_SIZE));
  c.bl(COPY);
  c.emit(movImm(R0, 0));
  c.b(RETURN);
  c.label(P_EINVAL);
  errno(c, EINVAL);
  c.label(P_E2BIG);
  errno(c, E2BIG);

  // map_pop_elem / map_peek_elem(map, value): the oldest value of a queue, the newest of a stack; -ENOENT when
  // empty. Pop removes it.
  for (let remove = 1; remove >= 0; remove--) {
    c.routine(remove ? L_HELPER_POP : L_HELPER_PEEK, 0x47f0);
    c.emit(str(LR, R11, S_HELPER_LR));
    c.bl(remove ? ARG_W : ARG);
    checkValue(c, true);
    c.emit(ldr(R3, R4, D_COUNT));
    c.emit(cmpImm(R3, 0));
    c.jump(EQ, T_ENOENT);
    c.emit(ldr(R2, R4, D_FREE));
    c.emit(ldr(R5, R4, D_MAX));
    c.emit(movReg(R6, R2));
    c.emit(ldr(R0, R4, D_TYPE));
    c.emit(cmpImm(R0, K_STACK));
    c.emit(dpReg(EQ, OP_ADD, 0, R6, R2, R3, SH_LSL, 0)); // a stack's newest: head + count - 1
    c.emit(dpImm(EQ, OP_SUB, 0, R6, R6, immRot(1)));
    wrap(c, R6);
    if (remove) {
      c.emit(subImm(R3, R3, 1));
      c.emit(str(R3, R4, D_COUNT));
      c.emit(cmpImm(R0, K_STACK));
      c.emit(dpImm(NE, OP_ADD, 0, R2, R2, immRot(1))); // a queue's head moves on
      wrap(c, R2);
      c.emit(str(R2, R4, D_FREE));
    }
    c.emit(ldr(R1, R4, D_VALUES));
    slot(c, R1, R1, R6, D_STRIDE, false);
    c.emit(ldr(R0, R11, S_REGS + 16));
    c.emit(ldr(R2, R4, D_VALUE_SIZE));
    c.bl(COPY);
    c.emit(movImm(R0, 0));
    c.b(RETURN);
  }
  c.label(T_ENOENT);
  errno(c, ENOENT);
}

