// LPM_TRIE (longest-prefix match) with the semantics and slot order of the core's assembly/maps/lpm.ts. A key is a
// u32 prefix length in bits followed by the data bytes, most significant bit first. Entries sit in slots: the key
// in the key area (D_RECORDS, D_REC_STRIDE = roundUp8(key size) apart; never a region), the value in the arena.
// A free slot's prefix length is 0xffffffff and its data's first word links the free list (D_FREE: slot + 1);
// D_FRESH counts the slots ever used, D_COUNT the entries. Lookups scan the slots ever used.
//
// Entered from the map helpers of maps/index.ts with r4 = descriptor, r5 = key (checked), r10 = update flags (0..2).

import {
  AL, EQ, HI, HS, IP, LR, LS, NE, OP_AND, OP_CMN, OP_EOR, OP_MOV, OP_MVN, OP_TST, R0, R1, R10, R11, R2, R3, R4, R5,
  R6, R7, R8, R9, SH_LSL, SH_LSR, addImm, bit, bx, bxC, cmpImm, cmpReg, dpImm, dpReg, dpRegShift, immRot, ldr, ldrb,
  movImm, movReg, opImmS, opReg, str, subImm,
} from "../../../assembly/arm32/a32/encoder";
import { block } from "../../../assembly/arm32/a32/labels";
import { Context } from "../../../assembly/arm32/jit/context";
import {
  D_COUNT, D_FREE, D_FRESH, D_KEY_SIZE, D_MAX, D_RECORDS, D_REC_STRIDE, D_STRIDE, D_VALUES, D_VALUE_SIZE,
} from "../abi";
import { S_REGS } from "../image";
import { COPY, L_NULL, RETURN, U_EEXIST, U_EINVAL, U_ENOENT, errno, slot } from "./common";

const ENOSPC: u32 = 28;

const P = block("maps/lpm", 30); // this file's labels
export const LPM_LOOKUP = P + 0;
export const LPM_UPDATE = P + 1;
export const LPM_DELETE = P + 2;
const PFX = P + 3;
const PFX_LOOP = P + 4;
const PFX_REST = P + 5;
const EXACT = P + 6;
const EX_LOOP = P + 7;
const EX_NEXT = P + 8;
const EX_NONE = P + 9;
const EX_DONE = P + 10;
const LK_LOOP = P + 11;
const LK_TRY = P + 12;
const LK_NEXT = P + 13;
const LK_END = P + 14;
const UP_FOUND = P + 15;
const UP_FRESH = P + 16;
const UP_GOT = P + 17;
const UP_WRITE = P + 18;
const UP_ENOSPC = P + 19;
const MAXLEN = P + 20;

/** rd = key area slot rn of the map in r4 (uses ip). */
function keyOf(c: Context, rd: i32, rn: i32): void {
  c.emit(ldr(rd, R4, D_RECORDS));
  slot(c, rd, rd, rn, D_REC_STRIDE, false);
}

export function emitLpmRoutines(c: Context): void {
  // prefix_equal: r0, r1 = data, r2 = bits -> Z set when the first r2 bits agree (uses r3, r9, ip)
  c.label(PFX);
  c.emit(dpReg(AL, OP_MOV, 1, R3, 0, R2, SH_LSR, 3)); // whole bytes
  c.label(PFX_LOOP);
  c.jump(EQ, PFX_REST);
  c.emit(ldrb(IP, R0, 0));
  c.emit(ldrb(R9, R1, 0));
  c.emit(cmpReg(IP, R9));
  c.emit(bxC(NE, LR));
  c.emit(addImm(R0, R0, 1));
  c.emit(addImm(R1, R1, 1));
  c.emit(opImmS(0x2 /* SUB */, R3, R3, immRot(1)));
  c.b(PFX_LOOP);
  c.label(PFX_REST);
  c.emit(opImmS(OP_AND, R2, R2, immRot(7)));
  c.emit(bxC(EQ, LR));
  c.emit(ldrb(IP, R0, 0));
  c.emit(ldrb(R9, R1, 0));
  c.emit(opReg(OP_EOR, IP, IP, R9));
  c.emit(movImm(R9, 0xff00));
  c.emit(dpRegShift(AL, OP_MOV, 0, R9, 0, R9, SH_LSR, R2)); // the leading `rest` bits of a byte: 0xff00 >> rest
  c.emit(dpReg(AL, OP_TST, 1, 0, IP, R9, SH_LSL, 0));
  c.emit(bx(LR));

  // max_len: r1 = (key size - 4) * 8, the longest prefix
  c.label(MAXLEN);
  c.emit(ldr(R1, R4, D_KEY_SIZE));
  c.emit(subImm(R1, R1, 4));
  c.emit(dpReg(AL, OP_MOV, 0, R1, 0, R1, SH_LSL, 3));
  c.emit(bx(LR));

  // exact: r6 = the slot whose prefix equals the key's exactly (same length, same leading bits), or -1; r7 = its
  // key. Uses r0-r3, r8, r9, ip.
  c.routine(EXACT, bit(LR));
  c.emit(ldr(R8, R5, 0));
  c.emit(movImm(R6, 0));
  c.label(EX_LOOP);
  c.emit(ldr(R0, R4, D_FRESH));
  c.emit(cmpReg(R6, R0));
  c.jump(HS, EX_NONE);
  keyOf(c, R7, R6);
  c.emit(ldr(R0, R7, 0));
  c.emit(cmpReg(R0, R8));
  c.jump(NE, EX_NEXT);
  c.emit(addImm(R0, R7, 4));
  c.emit(addImm(R1, R5, 4));
  c.emit(movReg(R2, R8));
  c.bl(PFX);
  c.jump(EQ, EX_DONE);
  c.label(EX_NEXT);
  c.emit(addImm(R6, R6, 1));
  c.b(EX_LOOP);
  c.label(EX_NONE);
  c.emit(dpImm(AL, OP_MVN, 0, R6, 0, 0));
  c.label(EX_DONE);
  c.routineEnd(bit(LR));

  // lookup: the value of the longest stored prefix covering the key's first prefixlen bits, or NULL.
  // r6 = best slot (-1: none), r10 = its length, r7 = slot, r8 = the limit.
  c.label(LPM_LOOKUP);
  c.emit(ldr(R8, R5, 0));
  c.bl(MAXLEN);
  c.emit(cmpReg(R8, R1));
  c.emit(dpReg(HI, OP_MOV, 0, R8, 0, R1, SH_LSL, 0));
  c.emit(dpImm(AL, OP_MVN, 0, R6, 0, 0));
  c.emit(movImm(R10, 0));
  c.emit(movImm(R7, 0));
  c.label(LK_LOOP);
  c.emit(ldr(R0, R4, D_FRESH));
  c.emit(cmpReg(R7, R0));
  c.jump(HS, LK_END);
  keyOf(c, R0, R7);
  c.emit(ldr(R2, R0, 0));
  c.emit(cmpReg(R2, R8));
  c.jump(HI, LK_NEXT); // longer than the key's (a free slot's 0xffffffff too)
  c.emit(dpImm(AL, OP_CMN, 1, 0, R6, immRot(1)));
  c.jump(EQ, LK_TRY);
  c.emit(cmpReg(R2, R10));
  c.jump(LS, LK_NEXT); // no longer than the best so far
  c.label(LK_TRY);
  c.emit(addImm(R0, R0, 4));
  c.emit(addImm(R1, R5, 4));
  c.bl(PFX);
  c.jump(NE, LK_NEXT);
  c.emit(movReg(R6, R7));
  keyOf(c, R0, R7);
  c.emit(ldr(R10, R0, 0));
  c.label(LK_NEXT);
  c.emit(addImm(R7, R7, 1));
  c.b(LK_LOOP);
  c.label(LK_END);
  c.emit(dpImm(AL, OP_CMN, 1, 0, R6, immRot(1)));
  c.jump(EQ, L_NULL);
  c.emit(ldr(R0, R4, D_VALUES));
  slot(c, R0, R0, R6, D_STRIDE, false);
  c.b(RETURN);

  // update (flags in r10, already checked): -EINVAL for a prefix longer than the key's data, -EEXIST / -ENOENT
  // as the flags say, -ENOSPC when max_entries prefixes are stored. A new prefix takes a freed slot first.
  c.label(LPM_UPDATE);
  c.emit(ldr(R0, R5, 0));
  c.bl(MAXLEN);
  c.emit(cmpReg(R0, R1));
  c.jump(HI, U_EINVAL);
  c.bl(EXACT);
  c.emit(dpImm(AL, OP_CMN, 1, 0, R6, immRot(1)));
  c.jump(NE, UP_FOUND);
  c.emit(cmpImm(R10, 2));
  c.jump(EQ, U_ENOENT);
  c.emit(ldr(R0, R4, D_COUNT));
  c.emit(ldr(R1, R4, D_MAX));
  c.emit(cmpReg(R0, R1));
  c.jump(HS, UP_ENOSPC);
  c.emit(addImm(R0, R0, 1));
  c.emit(str(R0, R4, D_COUNT));
  c.emit(ldr(R6, R4, D_FREE));
  c.emit(cmpImm(R6, 0));
  c.jump(EQ, UP_FRESH);
  c.emit(subImm(R6, R6, 1));
  keyOf(c, R7, R6);
  c.emit(ldr(R0, R7, 4));
  c.emit(str(R0, R4, D_FREE));
  c.b(UP_GOT);
  c.label(UP_FRESH);
  c.emit(ldr(R6, R4, D_FRESH));
  c.emit(addImm(R0, R6, 1));
  c.emit(str(R0, R4, D_FRESH));
  keyOf(c, R7, R6);
  c.label(UP_GOT);
  c.emit(movReg(R0, R7));
  c.emit(movReg(R1, R5));
  c.emit(ldr(R2, R4, D_KEY_SIZE));
  c.bl(COPY);
  c.b(UP_WRITE);
  c.label(UP_FOUND);
  c.emit(cmpImm(R10, 1));
  c.jump(EQ, U_EEXIST);
  c.label(UP_WRITE);
  c.emit(ldr(R0, R4, D_VALUES));
  slot(c, R0, R0, R6, D_STRIDE, false);
  c.emit(ldr(R1, R11, S_REGS + 24)); // the value: r3
  c.emit(ldr(R2, R4, D_VALUE_SIZE));
  c.bl(COPY);
  c.emit(movImm(R0, 0));
  c.b(RETURN);
  c.label(UP_ENOSPC);
  errno(c, ENOSPC);

  // delete: -EINVAL for a prefix longer than the key's data, -ENOENT when not stored; the slot joins the free list
  c.label(LPM_DELETE);
  c.emit(ldr(R0, R5, 0));
  c.bl(MAXLEN);
  c.emit(cmpReg(R0, R1));
  c.jump(HI, U_EINVAL);
  c.bl(EXACT);
  c.emit(dpImm(AL, OP_CMN, 1, 0, R6, immRot(1)));
  c.jump(EQ, U_ENOENT);
  c.emit(dpImm(AL, OP_MVN, 0, R0, 0, 0));
  c.emit(str(R0, R7, 0));
  c.emit(ldr(R0, R4, D_FREE));
  c.emit(str(R0, R7, 4));
  c.emit(addImm(R0, R6, 1));
  c.emit(str(R0, R4, D_FREE));
  c.emit(ldr(R0, R4, D_COUNT));
  c.emit(subImm(R0, R0, 1));
  c.emit(str(R0, R4, D_COUNT));
  c.emit(movImm(R0, 0));
  c.b(RETURN);
}
