// QUEUE (first in, first out) and STACK (last in, first out) with the semantics of the core's
// assembly/maps/queue.ts: a circular buffer of max_entries slots in the arena (values are copied in and out, so it
// is no region); D_FREE is the oldest slot, D_COUNT the number of values held, D_MASK 1 when programs may only
// read the map (BPF_F_RDONLY_PROG). Helpers map_push_elem (87), map_pop_elem (88), map_peek_elem (89).

import {
  emit, R0, R1, R2, R3, R4, R5, R6, R10, R11, IP, AL, EQ, NE, HI, HS, ldr, str, movImm, cmpImm, cmpReg, dpImm,
  dpReg, immRot, push, pop, bit, addImm, subImm, opReg, movReg, ldrb, OP_SUB, OP_ADD, OP_TST, SH_LSL, LR, PC,
} from "../../../assembly/arm32/a32/encoder";
import { label, b, bl, jump, L_MAPS_MORE, S_REGS, S_HELPER_LR, L_HELPER_PUSH, L_HELPER_POP, L_HELPER_PEEK } from "../image";
import {
  D_TYPE, D_VALUE_SIZE, D_MAX, D_VALUES, D_STRIDE, D_FREE, D_COUNT, D_MASK, K_QUEUE, K_STACK, slot, errno, HANDLE,
  BAD_MAP, CHECKN, COPY, RETURN, ENOENT, E2BIG, EINVAL,
} from "./index";

const Q = L_MAPS_MORE + 70; // this file's labels (L_MAPS_MORE + 70 .. 89)
const ARG = Q + 0;
const ARG_W = Q + 1;
const ROOM = Q + 2;
const P_EINVAL = Q + 3;
const P_E2BIG = Q + 4;
const T_ENOENT = Q + 5;

/** r4 = the queue or stack named by the helper's r1 (`write`: programs may change it), else the bad-map fault. */
function emitArg(write: bool): void {
  label(write ? ARG_W : ARG);
  emit(push(bit(LR)));
  emit(ldr(R2, R11, S_REGS + 8));
  emit(ldr(R3, R11, S_REGS + 12));
  bl(HANDLE);
  emit(ldrb(R0, R4, D_TYPE));
  emit(subImm(R0, R0, K_QUEUE));
  emit(cmpImm(R0, K_STACK - K_QUEUE));
  jump(HI, BAD_MAP);
  if (write) {
    emit(ldr(R0, R4, D_MASK));
    emit(cmpImm(R0, 0));
    jump(NE, BAD_MAP);
  }
  emit(pop(bit(PC)));
}

/** The value argument (r2) checked for the map's value size: read for a push, written for pop and peek. */
function checkValue(write: bool): void {
  emit(ldr(R10, R11, S_REGS + 16));
  emit(ldr(IP, R11, S_REGS + 20));
  emit(ldr(R0, R4, D_VALUE_SIZE));
  emit(movImm(R1, write ? 1 : 0));
  bl(CHECKN);
}

/** rd = (rd >= r5 ? rd - r5 : rd): a slot index past the end wraps (r5 = max_entries). */
function wrap(rd: i32): void {
  emit(cmpReg(rd, R5));
  emit(dpReg(HS, OP_SUB, 0, rd, rd, R5, SH_LSL, 0));
}

export function emitQueueHelpers(): void {
  emitArg(false);
  emitArg(true);

  // map_push_elem(map, value, flags): BPF_EXIST drops the oldest value when full, else -E2BIG; flags with
  // BPF_NOEXIST or above BPF_EXIST: -EINVAL
  label(L_HELPER_PUSH);
  emit(push(0x47f0));
  emit(str(LR, R11, S_HELPER_LR));
  bl(ARG_W);
  checkValue(false);
  emit(ldr(R0, R11, S_REGS + 24));
  emit(ldr(R1, R11, S_REGS + 28));
  emit(cmpImm(R1, 0));
  jump(NE, P_EINVAL);
  emit(dpImm(AL, OP_TST, 1, 0, R0, immRot(1)));
  jump(NE, P_EINVAL);
  emit(cmpImm(R0, 2));
  jump(HI, P_EINVAL);
  emit(ldr(R2, R4, D_FREE));
  emit(ldr(R3, R4, D_COUNT));
  emit(ldr(R5, R4, D_MAX));
  emit(cmpReg(R3, R5));
  jump(NE, ROOM);
  emit(cmpImm(R0, 2));
  jump(NE, P_E2BIG);
  emit(addImm(R2, R2, 1));
  wrap(R2);
  emit(subImm(R3, R3, 1));
  emit(str(R2, R4, D_FREE));
  label(ROOM);
  emit(addImm(R6, R3, 1));
  emit(str(R6, R4, D_COUNT));
  emit(opReg(OP_ADD, R0, R2, R3));
  wrap(R0);
  emit(ldr(R1, R4, D_VALUES));
  slot(R0, R1, R0, D_STRIDE, false);
  emit(ldr(R1, R11, S_REGS + 16));
  emit(ldr(R2, R4, D_VALUE_SIZE));
  bl(COPY);
  emit(movImm(R0, 0));
  b(RETURN);
  label(P_EINVAL);
  errno(EINVAL);
  label(P_E2BIG);
  errno(E2BIG);

  // map_pop_elem / map_peek_elem(map, value): the oldest value of a queue, the newest of a stack; -ENOENT when
  // empty. Pop removes it.
  for (let remove = 1; remove >= 0; remove--) {
    label(remove ? L_HELPER_POP : L_HELPER_PEEK);
    emit(push(0x47f0));
    emit(str(LR, R11, S_HELPER_LR));
    bl(remove ? ARG_W : ARG);
    checkValue(true);
    emit(ldr(R3, R4, D_COUNT));
    emit(cmpImm(R3, 0));
    jump(EQ, T_ENOENT);
    emit(ldr(R2, R4, D_FREE));
    emit(ldr(R5, R4, D_MAX));
    emit(movReg(R6, R2));
    emit(ldr(R0, R4, D_TYPE));
    emit(cmpImm(R0, K_STACK));
    emit(dpReg(EQ, OP_ADD, 0, R6, R2, R3, SH_LSL, 0)); // a stack's newest: head + count - 1
    emit(dpImm(EQ, OP_SUB, 0, R6, R6, immRot(1)));
    wrap(R6);
    if (remove) {
      emit(subImm(R3, R3, 1));
      emit(str(R3, R4, D_COUNT));
      emit(cmpImm(R0, K_STACK));
      emit(dpImm(NE, OP_ADD, 0, R2, R2, immRot(1))); // a queue's head moves on
      wrap(R2);
      emit(str(R2, R4, D_FREE));
    }
    emit(ldr(R1, R4, D_VALUES));
    slot(R1, R1, R6, D_STRIDE, false);
    emit(ldr(R0, R11, S_REGS + 16));
    emit(ldr(R2, R4, D_VALUE_SIZE));
    bl(COPY);
    emit(movImm(R0, 0));
    b(RETURN);
  }
  label(T_ENOENT);
  errno(ENOENT);
}

