// RINGBUF and PERF_EVENT_ARRAY with the semantics of the core's assembly/maps/ringbuf.ts and perf.ts.
//
// Ring buffer: the data area (D_VALUES, D_MAX bytes) is one writable region, as in the core; D_FREE is the consumer
// position, D_FRESH the producer's (both only grow, reduced modulo the size). Records are framed like the core's:
// an 8-byte header (u32 length with BUSY (bit 31) / DISCARD (bit 30), u32 map index) and the data padded to 8; a
// record that would cross the end is preceded by a discarded padding record. Nothing consumes records in an
// executable (the host's `run` prints no ring buffer entries either), so the ring fills up as in the interpreter.
// Helpers ringbuf_output (130), reserve (131), submit (132), discard (133), query (134).
//
// Perf event array: perf_event_output (25) appends records to a buffer of PERF_BUFFER_SIZE bytes that only the
// host drains, and `run` prints no entries for the map: so only the write position (D_FRESH) and the count of
// dropped records (D_COUNT) are kept, which is all a program can observe (the result: 0, -E2BIG, -ENOSPC, -EINVAL).

import {
  emit, emitConst, R0, R1, R2, R3, R4, R5, R6, R7, R8, R9, R10, R11, IP, LR, AL, EQ, NE, HI, LS, LO, HS, ldr, str, ldrb,
  movImm, cmpImm, cmpReg, dpImm, dpReg, immRot, push, pop, bit, addImm, subImm, opReg, opImm, opImmS, opRegS, movReg, bx, PC,
  OP_SUB, OP_ADD, OP_AND, OP_ORR, OP_BIC, OP_RSB, OP_TST, OP_CMN, OP_MOV, SH_LSL,
} from "../../../assembly/arm32/a32/encoder";
import {
  label, b, bl, jump, L_MAPS_MORE, S_REGS, S_HELPER_LR, L_FAULT, L_HELPER_RB_OUTPUT, L_HELPER_RB_RESERVE,
  L_HELPER_RB_SUBMIT, L_HELPER_RB_DISCARD, L_HELPER_RB_QUERY, L_HELPER_PERF_OUTPUT,
} from "../image";
import {
  D_TYPE, D_MAX, D_VALUES, D_FREE, D_FRESH, D_COUNT, K_RINGBUF, K_PERF, errno, descOf, HANDLE, BAD_MAP, CHECKN,
  COPY, RETURN, E2BIG, EINVAL,
} from "./index";
import { FAULT_HELPER } from "../../../assembly/layout";

const EAGAIN: u32 = 11;
const ENOSPC: u32 = 28;
const BUSY: u32 = 0x80000000;
const DISCARD: u32 = 0x40000000;
const MAX_RECORD: u32 = 0x3fffffff;
const PERF_BUFFER_SIZE: u32 = 16384;

const G = L_MAPS_MORE + 90; // this file's labels (L_MAPS_MORE + 90 .. 119)
const ARG = G + 0;
const RESERVE = G + 1;
const RS_ZERO = G + 2;
const RS_NOPAD = G + 3;
const RB_BAD = G + 4;
const CM_LOOP = G + 5;
const CM_NEXT = G + 6;
const O_EINVAL = G + 7;
const O_COPIED = G + 8;
const O_CHECKED = G + 9;
const Q_NOT0 = G + 10;
const Q_NOT1 = G + 11;
const Q_NOT2 = G + 12;
const Q_ZERO = G + 13;
const PF_CHECKED = G + 14;
const PF_ENOSPC = G + 15;
const PF_EINVAL = G + 16;
const PF_E2BIG = G + 17;
const CM_COMMON = G + 18;
const O_EAGAIN = G + 19;

function bxC(cond: u32): u32 { return (cond << 28) | 0x012fff10 | <u32>LR; }

/** Helper prologue: push r4-r10 and lr, remember lr (faults name the call). */
function enter(): void {
  emit(push(0x47f0));
  emit(str(LR, R11, S_HELPER_LR));
}

/** r10:ip = the helper argument at S_REGS + off, r0 = the size in rs: checked for reading unless rs is 0. */
function checkData(off: i32, rs: i32, skipLabel: i32): void {
  emit(cmpImm(rs, 0));
  jump(EQ, skipLabel);
  emit(ldr(R10, R11, S_REGS + off));
  emit(ldr(IP, R11, S_REGS + off + 4));
  emit(movReg(R0, rs));
  emit(movImm(R1, 0));
  bl(CHECKN);
  label(skipLabel);
}

export function emitRingbufHelpers(nmaps: i32): void {
  // arg: r4 = the ring buffer named by the helper's r1, r6 = its index, else the bad-map fault
  label(ARG);
  emit(push(bit(LR)));
  emit(ldr(R2, R11, S_REGS + 8));
  emit(ldr(R3, R11, S_REGS + 12));
  bl(HANDLE);
  emit(ldrb(R0, R4, D_TYPE));
  emit(cmpImm(R0, K_RINGBUF));
  jump(NE, BAD_MAP);
  emit(movReg(R6, R2));
  emit(pop(bit(PC)));

  // reserve: r5 = size (flags already 0) -> r0 = the record's data address, or 0 when the ring has no room.
  // Like the core (and the kernel), the producer never runs size - 1 or more bytes ahead of the consumer.
  // Uses r0-r3, r7-r10, ip.
  label(RESERVE);
  emitConst(IP, MAX_RECORD);
  emit(cmpReg(R5, IP));
  jump(HI, RS_ZERO);
  emit(addImm(R7, R5, 15));
  emit(opImm(OP_BIC, R7, R7, immRot(7))); // len = roundUp8(size + 8)
  emit(ldr(R0, R4, D_MAX)); // ring size
  emit(subImm(R1, R0, 1)); // mask
  emit(ldr(R2, R4, D_FRESH)); // producer
  emit(opReg(OP_AND, R3, R2, R1)); // offset
  emit(opReg(OP_ADD, IP, R3, R7));
  emit(cmpReg(IP, R0));
  emit(dpImm(LS, OP_MOV, 0, IP, 0, 0)); // pad = 0 when the record fits before the end
  emit(dpReg(HI, OP_SUB, 0, IP, R0, R3, SH_LSL, 0)); // else the rest of the ring
  emit(ldr(R8, R4, D_FREE));
  emit(opReg(OP_SUB, R8, R2, R8)); // used
  emit(subImm(R9, R0, 1));
  emit(opReg(OP_SUB, R9, R9, R8)); // room
  emit(opReg(OP_ADD, R8, IP, R7));
  emit(cmpReg(R8, R9));
  jump(HI, RS_ZERO);
  emit(ldr(R9, R4, D_VALUES));
  emit(cmpImm(IP, 0));
  jump(EQ, RS_NOPAD);
  emit(opReg(OP_ADD, R10, R9, R3));
  emit(subImm(R8, IP, 8));
  emit(opImm(OP_ORR, R8, R8, immRot(DISCARD)));
  emit(str(R8, R10, 0));
  emit(str(R6, R10, 4));
  label(RS_NOPAD);
  emit(opReg(OP_ADD, R8, R2, IP));
  emit(opReg(OP_AND, R10, R8, R1));
  emit(opReg(OP_ADD, R10, R10, R9)); // header
  emit(opImm(OP_ORR, R3, R5, immRot(BUSY)));
  emit(str(R3, R10, 0));
  emit(str(R6, R10, 4));
  emit(opReg(OP_ADD, R8, R8, R7));
  emit(str(R8, R4, D_FRESH));
  emit(addImm(R0, R10, 8));
  emit(bx(LR));
  label(RS_ZERO);
  emit(movImm(R0, 0));
  emit(bx(LR));

  // ringbuf_reserve(map, size, flags) -> the record's data, or NULL (flags set, size above 32 bits, no room)
  label(L_HELPER_RB_RESERVE);
  enter();
  bl(ARG);
  emit(ldr(R0, R11, S_REGS + 20));
  emit(ldr(R1, R11, S_REGS + 24));
  emit(opReg(OP_ORR, R0, R0, R1));
  emit(ldr(R1, R11, S_REGS + 28));
  emit(opRegS(OP_ORR, R0, R0, R1));
  emit(movImm(R0, 0));
  jump(NE, RETURN);
  emit(ldr(R5, R11, S_REGS + 16));
  bl(RESERVE);
  b(RETURN);

  // ringbuf_output(map, data, size, flags): reserve, copy, submit; -EINVAL for flags other than the wakeup bits,
  // -EAGAIN when the ring has no room
  label(L_HELPER_RB_OUTPUT);
  enter();
  bl(ARG);
  emit(ldr(R5, R11, S_REGS + 24)); // size: r3's low word
  checkData(16, R5, O_CHECKED);
  emit(ldr(R0, R11, S_REGS + 32));
  emit(ldr(R1, R11, S_REGS + 36));
  emit(cmpImm(R1, 0));
  jump(NE, O_EINVAL);
  emit(opImmS(OP_BIC, R0, R0, immRot(3)));
  jump(NE, O_EINVAL);
  bl(RESERVE);
  emit(cmpImm(R0, 0));
  jump(EQ, O_EAGAIN);
  emit(subImm(R7, R0, 8));
  emit(cmpImm(R5, 0));
  jump(EQ, O_COPIED);
  emit(ldr(R1, R11, S_REGS + 16));
  emit(movReg(R2, R5));
  bl(COPY);
  label(O_COPIED);
  emit(ldr(R0, R7, 0));
  emit(opImm(OP_BIC, R0, R0, immRot(BUSY)));
  emit(str(R0, R7, 0));
  emit(movImm(R0, 0));
  b(RETURN);
  label(O_EINVAL);
  errno(EINVAL);
  label(O_EAGAIN);
  errno(EAGAIN);

  // ringbuf_submit / ringbuf_discard(data, flags): data must be a reserved record of a ring buffer (its header in
  // the ring, 8-byte aligned, naming that ring, BUSY), else the fault the core reports (FAULT_HELPER naming data)
  for (let discard = 0; discard < 2; discard++) {
    label(discard ? L_HELPER_RB_DISCARD : L_HELPER_RB_SUBMIT);
    enter();
    emit(movImm(R6, discard ? DISCARD : 0));
    b(CM_COMMON);
  }
  label(CM_COMMON);
  emit(ldr(R2, R11, S_REGS + 8));
  emit(ldr(R3, R11, S_REGS + 12));
  emit(cmpImm(R3, 0));
  jump(NE, RB_BAD);
  emit(cmpImm(R2, 8));
  jump(LO, RB_BAD);
  emit(subImm(R5, R2, 8)); // header
  emit(movImm(R7, 0));
  label(CM_LOOP);
  emitConst(IP, <u32>nmaps);
  emit(cmpReg(R7, IP));
  jump(HS, RB_BAD);
  descOf(R4, R7);
  emit(ldrb(R0, R4, D_TYPE));
  emit(cmpImm(R0, K_RINGBUF));
  jump(NE, CM_NEXT);
  emit(ldr(R0, R4, D_VALUES));
  emit(opRegS(OP_SUB, R1, R5, R0));
  jump(LO, CM_NEXT);
  emit(ldr(R0, R4, D_MAX));
  emit(cmpReg(R1, R0));
  jump(HS, CM_NEXT);
  emit(dpImm(AL, OP_TST, 1, 0, R1, immRot(7)));
  jump(NE, RB_BAD);
  emit(ldr(R0, R5, 4));
  emit(cmpReg(R0, R7));
  jump(NE, RB_BAD);
  emit(ldr(R0, R5, 0));
  emit(dpImm(AL, OP_TST, 1, 0, R0, immRot(BUSY)));
  jump(EQ, RB_BAD);
  emit(opImm(OP_BIC, R0, R0, immRot(BUSY | DISCARD)));
  emit(opReg(OP_ORR, R0, R0, R6));
  emit(str(R0, R5, 0));
  emit(movImm(R0, 0));
  b(RETURN);
  label(CM_NEXT);
  emit(addImm(R7, R7, 1));
  b(CM_LOOP);
  label(RB_BAD);
  emit(ldr(R1, R11, S_HELPER_LR));
  emit(movImm(R0, FAULT_HELPER));
  emit(movImm(IP, 0));
  b(L_FAULT);

  // ringbuf_query(map, flags): available bytes (0), ring size (1), consumer (2) or producer (3) position, else 0
  label(L_HELPER_RB_QUERY);
  enter();
  bl(ARG);
  emit(ldr(R0, R11, S_REGS + 16));
  emit(ldr(R1, R11, S_REGS + 20));
  emit(ldr(R2, R4, D_FREE));
  emit(ldr(R3, R4, D_FRESH));
  emit(cmpImm(R1, 0));
  jump(NE, Q_ZERO);
  emit(cmpImm(R0, 0));
  jump(NE, Q_NOT0);
  emit(opReg(OP_SUB, R0, R3, R2));
  b(RETURN);
  label(Q_NOT0);
  emit(cmpImm(R0, 1));
  jump(NE, Q_NOT1);
  emit(ldr(R0, R4, D_MAX));
  b(RETURN);
  label(Q_NOT1);
  emit(cmpImm(R0, 2));
  jump(NE, Q_NOT2);
  emit(movReg(R0, R2));
  b(RETURN);
  label(Q_NOT2);
  emit(cmpImm(R0, 3));
  emit(movReg(R0, R3));
  jump(EQ, RETURN);
  label(Q_ZERO);
  emit(movImm(R0, 0));
  b(RETURN);
}

export function emitPerfHelper(): void {
  // perf_event_output(ctx, map, flags, data, size): flags select the CPU index (BPF_F_CURRENT_CPU: 0; upper bits:
  // -EINVAL), -E2BIG for an index beyond max_entries, -ENOSPC (counted) when the record does not fit
  label(L_HELPER_PERF_OUTPUT);
  enter();
  emit(ldr(R2, R11, S_REGS + 16));
  emit(ldr(R3, R11, S_REGS + 20));
  bl(HANDLE);
  emit(ldrb(R0, R4, D_TYPE));
  emit(cmpImm(R0, K_PERF));
  jump(NE, BAD_MAP);
  emit(ldr(R5, R11, S_REGS + 40)); // size: r5's low word
  checkData(32, R5, PF_CHECKED);
  emit(ldr(R0, R11, S_REGS + 24));
  emit(ldr(R1, R11, S_REGS + 28));
  emit(cmpImm(R1, 0));
  jump(NE, PF_EINVAL);
  emit(dpImm(AL, OP_CMN, 1, 0, R0, immRot(1)));
  emit(dpImm(EQ, OP_MOV, 0, R0, 0, 0));
  emit(ldr(R1, R4, D_MAX));
  emit(cmpReg(R0, R1));
  jump(HS, PF_E2BIG);
  emit(ldr(R0, R4, D_FRESH));
  emitConst(IP, PERF_BUFFER_SIZE);
  emit(cmpReg(R5, IP));
  jump(HI, PF_ENOSPC);
  emit(addImm(R1, R5, 15));
  emit(opImm(OP_BIC, R1, R1, immRot(7))); // header + roundUp8(size)
  emit(opReg(OP_ADD, R1, R1, R0));
  emit(cmpReg(R1, IP));
  jump(HI, PF_ENOSPC);
  emit(str(R1, R4, D_FRESH));
  emit(movImm(R0, 0));
  b(RETURN);
  label(PF_ENOSPC);
  emit(ldr(R0, R4, D_COUNT));
  emit(addImm(R0, R0, 1));
  emit(str(R0, R4, D_COUNT));
  errno(ENOSPC);
  label(PF_EINVAL);
  errno(EINVAL);
  label(PF_E2BIG);
  errno(E2BIG);
}
