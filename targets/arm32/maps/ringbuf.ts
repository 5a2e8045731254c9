// RINGBUF and PERF_EVENT_ARRAY with the semantics of the core's assembly/maps/ringbuf.ts and perf.ts.
//
// Ring buffer: the data area (D_VALUES, D_MAX bytes) is no region, as in the core: a sample ringbuf_reserve hands
// out is one, of exactly its bytes, until ringbuf_submit / ringbuf_discard removes it (appended to the region
// table, the last region taking a removed one's slot). D_COUNT counts a ring's open samples: at most
// RINGBUF_MAX_OPEN, and no more than the region table has room for (MAX_REGIONS: the stack, input, packet and one
// per map come first), else reserve gives NULL. D_FREE is the consumer
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
  AL, EQ, HI, HS, IP, LO, LR, LS, MI, NE, OP_ADD, OP_AND, OP_BIC, OP_CMN, OP_MOV, OP_ORR, OP_SUB, OP_TST, R0, R1, R10,
  R11, R2, R3, R4, R5, R6, R7, R8, R9, SH_LSL, addImm, bit, bx, cmpImm, cmpReg, dpImm, dpReg, immRot, ldr, ldrb,
  movImm, movReg, opImm, opImmS, opReg, opRegS, push, str, subImm,
} from "../../../assembly/arm32/a32/encoder";
import { block } from "../../../assembly/arm32/a32/labels";
import { Context } from "../../../assembly/arm32/jit/context";
import { FAULT_BAD_RECORD } from "../../../assembly/layout";
import { RINGBUF_MAX_OPEN } from "../../../assembly/maps/desc";
import { D_COUNT, D_FREE, D_FRESH, D_MAX, D_TYPE, D_VALUES, K_PERF, K_RINGBUF } from "../abi";
import {
  L_FAULT, L_HELPER_PERF_OUTPUT, L_HELPER_RB_DISCARD, L_HELPER_RB_OUTPUT, L_HELPER_RB_QUERY, L_HELPER_RB_RESERVE,
  L_HELPER_RB_SUBMIT, MAX_REGIONS, S_HELPER_LR, S_NREGIONS, S_RCACHE, S_REGIONS, S_REGS,
} from "../image";
import { BAD_MAP, CHECKN, COPY, E2BIG, EINVAL, HANDLE, RETURN, descOf, errno } from "./common";

const EAGAIN: u32 = 11;
const ENOSPC: u32 = 28;
const BUSY: u32 = 0x80000000;
const DISCARD: u32 = 0x40000000;
const MAX_RECORD: u32 = 0x3fffffff;
const PERF_BUFFER_SIZE: u32 = 16384;

const G = block("maps/ringbuf", 30); // this file's labels
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
const CM_FIND = G + 20;

/** Helper prologue: push r4-r10 and lr, remember lr (faults name the call). */
function enter(c: Context): void {
  c.emit(push(0x47f0));
  c.emit(str(LR, R11, S_HELPER_LR));
}

/** r10:ip = the helper argument at S_REGS + off, r0 = the size in rs: checked for reading unless rs is 0. */
function checkData(c: Context, off: i32, rs: i32, skipLabel: i32): void {
  c.emit(cmpImm(rs, 0));
  c.jump(EQ, skipLabel);
  c.emit(ldr(R10, R11, S_REGS + off));
  c.emit(ldr(IP, R11, S_REGS + off + 4));
  c.emit(movReg(R0, rs));
  c.emit(movImm(R1, 0));
  c.bl(CHECKN);
  c.label(skipLabel);
}

export function emitRingbufHelpers(c: Context, nmaps: i32): void {
  // arg: r4 = the ring buffer named by the helper's r1, r6 = its index, else the bad-map fault
  c.routine(ARG, bit(LR));
  c.emit(ldr(R2, R11, S_REGS + 8));
  c.emit(ldr(R3, R11, S_REGS + 12));
  c.bl(HANDLE);
  c.emit(ldrb(R0, R4, D_TYPE));
  c.emit(cmpImm(R0, K_RINGBUF));
  c.jump(NE, BAD_MAP);
  c.emit(movReg(R6, R2));
  c.routineEnd(bit(LR));

  // reserve: r5 = size (flags already 0) -> r0 = the record's data address, or 0 when the ring has no room.
  // Like the core (and the kernel), the producer never runs size - 1 or more bytes ahead of the consumer.
  // Uses r0-r3, r7-r10, ip.
  c.label(RESERVE);
  c.emitConst(IP, MAX_RECORD);
  c.emit(cmpReg(R5, IP));
  c.jump(HI, RS_ZERO);
  c.emit(addImm(R7, R5, 15));
  c.emit(opImm(OP_BIC, R7, R7, immRot(7))); // len = roundUp8(size + 8)
  c.emit(ldr(R0, R4, D_MAX)); // ring size
  c.emit(subImm(R1, R0, 1)); // mask
  c.emit(ldr(R2, R4, D_FRESH)); // producer
  c.emit(opReg(OP_AND, R3, R2, R1)); // offset
  c.emit(opReg(OP_ADD, IP, R3, R7));
  c.emit(cmpReg(IP, R0));
  c.emit(dpImm(LS, OP_MOV, 0, IP, 0, 0)); // pad = 0 when the record fits before the end
  c.emit(dpReg(HI, OP_SUB, 0, IP, R0, R3, SH_LSL, 0)); // else the rest of the ring
  c.emit(ldr(R8, R4, D_FREE));
  c.emit(opReg(OP_SUB, R8, R2, R8)); // used
  c.emit(subImm(R9, R0, 1));
  c.emit(opReg(OP_SUB, R9, R9, R8)); // room
  c.emit(opReg(OP_ADD, R8, IP, R7));
  c.emit(cmpReg(R8, R9));
  c.jump(HI, RS_ZERO);
  c.emit(ldr(R9, R4, D_VALUES));
  c.emit(cmpImm(IP, 0));
  c.jump(EQ, RS_NOPAD);
  c.emit(opReg(OP_ADD, R10, R9, R3));
  c.emit(subImm(R8, IP, 8));
  c.emit(opImm(OP_ORR, R8, R8, immRot(DISCARD)));
  c.emit(str(R8, R10, 0));
  c.emit(str(R6, R10, 4));
  c.label(RS_NOPAD);
  c.emit(opReg(OP_ADD, R8, R2, IP));
  c.emit(opReg(OP_AND, R10, R8, R1));
  c.emit(opReg(OP_ADD, R10, R10, R9)); // header
  c.emit(opImm(OP_ORR, R3, R5, immRot(BUSY)));
  c.emit(str(R3, R10, 0));
  c.emit(str(R6, R10, 4));
  c.emit(opReg(OP_ADD, R8, R8, R7));
  c.emit(str(R8, R4, D_FRESH));
  c.emit(addImm(R0, R10, 8));
  c.emit(bx(LR));
  c.label(RS_ZERO);
  c.emit(movImm(R0, 0));
  c.emit(bx(LR));

  // ringbuf_reserve(map, size, flags) -> the record's data, or NULL (flags set, size above 32 bits, no room)
  c.label(L_HELPER_RB_RESERVE);
  enter(c);
  c.bl(ARG);
  c.emit(ldr(R0, R11, S_REGS + 20));
  c.emit(ldr(R1, R11, S_REGS + 24));
  c.emit(opReg(OP_ORR, R0, R0, R1));
  c.emit(ldr(R1, R11, S_REGS + 28));
  c.emit(opRegS(OP_ORR, R0, R0, R1));
  c.emit(movImm(R0, 0));
  c.jump(NE, RETURN);
  c.emit(ldr(R5, R11, S_REGS + 16));
  // at most RINGBUF_MAX_OPEN open samples, and one free region each (r0 is 0 for the NULL result)
  c.emit(ldr(R1, R4, D_COUNT));
  c.emit(cmpImm(R1, RINGBUF_MAX_OPEN));
  c.jump(HS, RETURN);
  c.emit(ldr(R1, R11, S_NREGIONS));
  c.emit(cmpImm(R1, <u32>MAX_REGIONS));
  c.jump(HS, RETURN);
  c.bl(RESERVE);
  c.emit(cmpImm(R0, 0));
  c.jump(EQ, RETURN);
  // the sample, exactly its bytes, becomes a region (readable and writable) until it is submitted or discarded
  c.emit(ldr(R1, R11, S_NREGIONS));
  c.emit(addImm(R2, R11, S_REGIONS));
  c.emit(dpReg(AL, OP_ADD, 0, R2, R2, R1, SH_LSL, 4));
  c.emit(opReg(OP_ADD, R3, R0, R5));
  c.emit(str(R0, R2, 0));
  c.emit(str(R3, R2, 4));
  c.emit(str(R0, R2, 8));
  c.emit(str(R3, R2, 12));
  c.emit(addImm(R1, R1, 1));
  c.emit(str(R1, R11, S_NREGIONS));
  c.emit(ldr(R1, R4, D_COUNT));
  c.emit(addImm(R1, R1, 1));
  c.emit(str(R1, R4, D_COUNT));
  c.b(RETURN);

  // ringbuf_output(map, data, size, flags): reserve, copy, submit; -EINVAL for flags other than the wakeup bits,
  // -EAGAIN when the ring has no room
  c.label(L_HELPER_RB_OUTPUT);
  enter(c);
  c.bl(ARG);
  c.emit(ldr(R5, R11, S_REGS + 24)); // size: r3's low word
  checkData(c, 16, R5, O_CHECKED);
  c.emit(ldr(R0, R11, S_REGS + 32));
  c.emit(ldr(R1, R11, S_REGS + 36));
  c.emit(cmpImm(R1, 0));
  c.jump(NE, O_EINVAL);
  c.emit(opImmS(OP_BIC, R0, R0, immRot(3)));
  c.jump(NE, O_EINVAL);
  c.bl(RESERVE);
  c.emit(cmpImm(R0, 0));
  c.jump(EQ, O_EAGAIN);
  c.emit(subImm(R7, R0, 8));
  c.emit(cmpImm(R5, 0));
  c.jump(EQ, O_COPIED);
  c.emit(ldr(R1, R11, S_REGS + 16));
  c.emit(movReg(R2, R5));
  c.bl(COPY);
  c.label(O_COPIED);
  c.emit(ldr(R0, R7, 0));
  c.emit(opImm(OP_BIC, R0, R0, immRot(BUSY)));
  c.emit(str(R0, R7, 0));
  c.emit(movImm(R0, 0));
  c.b(RETURN);
  c.label(O_EINVAL);
  errno(c, EINVAL);
  c.label(O_EAGAIN);
  errno(c, EAGAIN);

  // ringbuf_submit / ringbuf_discard(data, flags): data must be a reserved record of a ring buffer (its header in
  // the ring, 8-byte aligned, naming that ring, BUSY), else the fault the core reports (FAULT_BAD_RECORD naming data)
  for (let discard = 0; discard < 2; discard++) {
    c.label(discard ? L_HELPER_RB_DISCARD : L_HELPER_RB_SUBMIT);
    enter(c);
    c.emit(movImm(R6, discard ? DISCARD : 0));
    c.b(CM_COMMON);
  }
  c.label(CM_COMMON);
  c.emit(ldr(R2, R11, S_REGS + 8));
  c.emit(ldr(R3, R11, S_REGS + 12));
  c.emit(cmpImm(R3, 0));
  c.jump(NE, RB_BAD);
  c.emit(cmpImm(R2, 8));
  c.jump(LO, RB_BAD);
  c.emit(subImm(R5, R2, 8)); // header
  c.emit(movImm(R7, 0));
  c.label(CM_LOOP);
  c.emitConst(IP, <u32>nmaps);
  c.emit(cmpReg(R7, IP));
  c.jump(HS, RB_BAD);
  descOf(c, R4, R7);
  c.emit(ldrb(R0, R4, D_TYPE));
  c.emit(cmpImm(R0, K_RINGBUF));
  c.jump(NE, CM_NEXT);
  c.emit(ldr(R0, R4, D_VALUES));
  c.emit(opRegS(OP_SUB, R1, R5, R0));
  c.jump(LO, CM_NEXT);
  c.emit(ldr(R0, R4, D_MAX));
  c.emit(cmpReg(R1, R0));
  c.jump(HS, CM_NEXT);
  c.emit(dpImm(AL, OP_TST, 1, 0, R1, immRot(7)));
  c.jump(NE, RB_BAD);
  c.emit(ldr(R0, R5, 4));
  c.emit(cmpReg(R0, R7));
  c.jump(NE, RB_BAD);
  c.emit(ldr(R0, R5, 0));
  c.emit(dpImm(AL, OP_TST, 1, 0, R0, immRot(BUSY)));
  c.jump(EQ, RB_BAD);
  // the open sample's region, [data, data + length) readable and writable: what a pointer into the middle of a
  // sample (a header forged there) or to a record already committed lacks. The last region takes its slot.
  c.emit(opImm(OP_BIC, R1, R0, immRot(BUSY | DISCARD)));
  c.emit(addImm(R8, R5, 8));
  c.emit(opReg(OP_ADD, R9, R8, R1));
  c.emit(ldr(R3, R11, S_NREGIONS));
  c.emit(addImm(R10, R11, S_REGIONS));
  c.label(CM_FIND);
  c.emit(opImmS(OP_SUB, R3, R3, 1));
  c.jump(MI, RB_BAD);
  c.emit(dpReg(AL, OP_ADD, 0, IP, R10, R3, SH_LSL, 4));
  for (let k = 0; k < 16; k += 4) {
    c.emit(ldr(R1, IP, k));
    c.emit(cmpReg(R1, (k & 4) != 0 ? R9 : R8));
    c.jump(NE, CM_FIND);
  }
  c.emit(ldr(R1, R11, S_NREGIONS));
  c.emit(subImm(R1, R1, 1));
  c.emit(str(R1, R11, S_NREGIONS));
  c.emit(dpReg(AL, OP_ADD, 0, R2, R10, R1, SH_LSL, 4));
  for (let k = 0; k < 16; k += 4) {
    c.emit(ldr(R3, R2, k));
    c.emit(str(R3, IP, k));
  }
  c.emit(ldr(R1, R4, D_COUNT));
  c.emit(subImm(R1, R1, 1));
  c.emit(str(R1, R4, D_COUNT));
  c.emit(movImm(R1, 0)); // the regions remembered by the inline checks may be the one removed
  c.emit(str(R1, R11, S_RCACHE + 4));
  c.emit(str(R1, R11, S_RCACHE + 12));
  c.emit(opImm(OP_BIC, R0, R0, immRot(BUSY | DISCARD)));
  c.emit(opReg(OP_ORR, R0, R0, R6));
  c.emit(str(R0, R5, 0));
  c.emit(movImm(R0, 0));
  c.b(RETURN);
  c.label(CM_NEXT);
  c.emit(addImm(R7, R7, 1));
  c.b(CM_LOOP);
  c.label(RB_BAD); // r2:r3 = the pointer the fault names
  c.emit(ldr(R2, R11, S_REGS + 8));
  c.emit(ldr(R3, R11, S_REGS + 12));
  c.emit(ldr(R1, R11, S_HELPER_LR));
  c.emit(movImm(R0, FAULT_BAD_RECORD));
  c.emit(movImm(IP, 0));
  c.b(L_FAULT);

  // ringbuf_query(map, flags): available bytes (0), ring size (1), consumer (2) or producer (3) position, else 0
  c.label(L_HELPER_RB_QUERY);
  enter(c);
  c.bl(ARG);
  c.emit(ldr(R0, R11, S_REGS + 16));
  c.emit(ldr(R1, R11, S_REGS + 20));
  c.emit(ldr(R2, R4, D_FREE));
  c.emit(ldr(R3, R4, D_FRESH));
  c.emit(cmpImm(R1, 0));
  c.jump(NE, Q_ZERO);
  c.emit(cmpImm(R0, 0));
  c.jump(NE, Q_NOT0);
  c.emit(opReg(OP_SUB, R0, R3, R2));
  c.b(RETURN);
  c.label(Q_NOT0);
  c.emit(cmpImm(R0, 1));
  c.jump(NE, Q_NOT1);
  c.emit(ldr(R0, R4, D_MAX));
  c.b(RETURN);
  c.label(Q_NOT1);
  c.emit(cmpImm(R0, 2));
  c.jump(NE, Q_NOT2);
  c.emit(movReg(R0, R2));
  c.b(RETURN);
  c.label(Q_NOT2);
  c.emit(cmpImm(R0, 3));
  c.emit(movReg(R0, R3));
  c.jump(EQ, RETURN);
  c.label(Q_ZERO);
  c.emit(movImm(R0, 0));
  c.b(RETURN);
}

export function emitPerfHelper(c: Context): void {
  // perf_event_output(ctx, map, flags, data, size): flags select the CPU index (BPF_F_CURRENT_CPU: 0; upper bits:
  // -EINVAL), -E2BIG for an index beyond max_entries, -ENOSPC (counted) when the record does not fit
  c.label(L_HELPER_PERF_OUTPUT);
  enter(c);
  c.emit(ldr(R2, R11, S_REGS + 16));
  c.emit(ldr(R3, R11, S_REGS + 20));
  c.bl(HANDLE);
  c.emit(ldrb(R0, R4, D_TYPE));
  c.emit(cmpImm(R0, K_PERF));
  c.jump(NE, BAD_MAP);
  c.emit(ldr(R5, R11, S_REGS + 40)); // size: r5's low word
  checkData(c, 32, R5, PF_CHECKED);
  c.emit(ldr(R0, R11, S_REGS + 24));
  c.emit(ldr(R1, R11, S_REGS + 28));
  c.emit(cmpImm(R1, 0));
  c.jump(NE, PF_EINVAL);
  c.emit(dpImm(AL, OP_CMN, 1, 0, R0, immRot(1)));
  c.emit(dpImm(EQ, OP_MOV, 0, R0, 0, 0));
  c.emit(ldr(R1, R4, D_MAX));
  c.emit(cmpReg(R0, R1));
  c.jump(HS, PF_E2BIG);
  c.emit(ldr(R0, R4, D_FRESH));
  c.emitConst(IP, PERF_BUFFER_SIZE);
  c.emit(cmpReg(R5, IP));
  c.jump(HI, PF_ENOSPC);
  c.emit(addImm(R1, R5, 15));
  c.emit(opImm(OP_BIC, R1, R1, immRot(7))); // header + roundUp8(size)
  c.emit(opReg(OP_ADD, R1, R1, R0));
  c.emit(cmpReg(R1, IP));
  c.jump(HI, PF_ENOSPC);
  c.emit(str(R1, R4, D_FRESH));
  c.emit(movImm(R0, 0));
  c.b(RETURN);
  c.label(PF_ENOSPC);
  c.emit(ldr(R0, R4, D_COUNT));
  c.emit(addImm(R0, R0, 1));
  c.emit(str(R0, R4, D_COUNT));
  errno(c, ENOSPC);
  c.label(PF_EINVAL);
  errno(c, EINVAL);
  c.label(PF_E2BIG);
  errno(c, E2BIG);
}
