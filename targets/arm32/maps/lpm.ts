// LPM_TRIE (longest-prefix match) with the semantics and slot order of the core's assembly/maps/lpm.ts. A key is a
// u32 prefix length in bits followed by the data bytes, most significant bit first. Entries sit in slots: the key
// in the key area (D_RECORDS, D_REC_STRIDE = roundUp8(key size) apart; never a region), the value in the arena.
// A free slot's prefix length is 0xffffffff and its data's first word links the free list (D_FREE: slot + 1);
// D_FRESH counts the slots ever used, D_COUNT the entries. Lookups scan the slots ever used.
//
// Entered from the map helpers of maps.ts with r4 = descriptor, r5 = key (checked), r10 = update flags (0..2).

import {
  emit, R0, R1, R2, R3, R4, R5, R6, R7, R8, R9, R10, R11, IP, LR, PC, AL, EQ, NE, HI, HS, LS, ldr, str, ldrb, movImm,
  cmpImm, cmpReg, dpImm, dpReg, dpRegShift, immRot, opReg, opImmS, push, pop, bit, bx, addImm, subImm, movReg,
  OP_CMN, OP_EOR, OP_TST, OP_AND, OP_MOV, OP_MVN, SH_LSL, SH_LSR,
} from "../../../assembly/arm32/a32/encoder";
import { label, b, bl, jump, L_MAPS_MORE, S_REGS } from "../image";
import {
  D_KEY_SIZE, D_VALUE_SIZE, D_MAX, D_VALUES, D_STRIDE, D_RECORDS, D_REC_STRIDE, D_FRESH, D_FREE, D_COUNT, slot,
  errno, RETURN, L_NULL, U_EINVAL, U_EEXIST, U_ENOENT, COPY,
} from "./index";

const ENOSPC: u32 = 28;

const P = L_MAPS_MORE + 40; // this file's labels (L_MAPS_MORE + 40 .. 69)
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

function bxC(cond: u32): u32 { return (cond << 28) | 0x012fff10 | <u32>LR; }

/** rd = key area slot rn of the map in r4 (uses ip). */
function keyOf(rd: i32, rn: i32): void {
  emit(ldr(rd, R4, D_RECORDS));
  slot(rd, rd, rn, D_REC_STRIDE, false);
}

export function emitLpmRoutines(): void {
  // prefix_equal: r0, r1 = data, r2 = bits -> Z set when the first r2 bits agree (uses r3, r9, ip)
  label(PFX);
  emit(dpReg(AL, OP_MOV, 1, R3, 0, R2, SH_LSR, 3)); // whole bytes
  label(PFX_LOOP);
  jump(EQ, PFX_REST);
  emit(ldrb(IP, R0, 0));
  emit(ldrb(R9, R1, 0));
  emit(cmpReg(IP, R9));
  emit(bxC(NE));
  emit(addImm(R0, R0, 1));
  emit(addImm(R1, R1, 1));
  emit(opImmS(0x2 /* SUB */, R3, R3, immRot(1)));
  b(PFX_LOOP);
  label(PFX_REST);
  emit(opImmS(OP_AND, R2, R2, immRot(7)));
  emit(bxC(EQ));
  emit(ldrb(IP, R0, 0));
  emit(ldrb(R9, R1, 0));
  emit(opReg(OP_EOR, IP, IP, R9));
  emit(movImm(R9, 0xff00));
  emit(dpRegShift(AL, OP_MOV, 0, R9, 0, R9, SH_LSR, R2)); // the leading `rest` bits of a byte: 0xff00 >> rest
  emit(dpReg(AL, OP_TST, 1, 0, IP, R9, SH_LSL, 0));
  emit(bx(LR));

  // max_len: r1 = (key size - 4) * 8, the longest prefix
  label(MAXLEN);
  emit(ldr(R1, R4, D_KEY_SIZE));
  emit(subImm(R1, R1, 4));
  emit(dpReg(AL, OP_MOV, 0, R1, 0, R1, SH_LSL, 3));
  emit(bx(LR));

  // exact: r6 = the slot whose prefix equals the key's exactly (same length, same leading bits), or -1; r7 = its
  // key. Uses r0-r3, r8, r9, ip.
  label(EXACT);
  emit(push(bit(LR)));
  emit(ldr(R8, R5, 0));
  emit(movImm(R6, 0));
  label(EX_LOOP);
  emit(ldr(R0, R4, D_FRESH));
  emit(cmpReg(R6, R0));
  jump(HS, EX_NONE);
  keyOf(R7, R6);
  emit(ldr(R0, R7, 0));
  emit(cmpReg(R0, R8));
  jump(NE, EX_NEXT);
  emit(addImm(R0, R7, 4));
  emit(addImm(R1, R5, 4));
  emit(movReg(R2, R8));
  bl(PFX);
  jump(EQ, EX_DONE);
  label(EX_NEXT);
  emit(addImm(R6, R6, 1));
  b(EX_LOOP);
  label(EX_NONE);
  emit(dpImm(AL, OP_MVN, 0, R6, 0, 0));
  label(EX_DONE);
  emit(pop(bit(PC)));

  // lookup: the value of the longest stored prefix covering the key's first prefixlen bits, or NULL.
  // r6 = best slot (-1: none), r10 = its length, r7 = slot, r8 = the limit.
  label(LPM_LOOKUP);
  emit(ldr(R8, R5, 0));
  bl(MAXLEN);
  emit(cmpReg(R8, R1));
  emit(dpReg(HI, OP_MOV, 0, R8, 0, R1, SH_LSL, 0));
  emit(dpImm(AL, OP_MVN, 0, R6, 0, 0));
  emit(movImm(R10, 0));
  emit(movImm(R7, 0));
  label(LK_LOOP);
  emit(ldr(R0, R4, D_FRESH));
  emit(cmpReg(R7, R0));
  jump(HS, LK_END);
  keyOf(R0, R7);
  emit(ldr(R2, R0, 0));
  emit(cmpReg(R2, R8));
  jump(HI, LK_NEXT); // longer than the key's (a free slot's 0xffffffff too)
  emit(dpImm(AL, OP_CMN, 1, 0, R6, immRot(1)));
  jump(EQ, LK_TRY);
  emit(cmpReg(R2, R10));
  jump(LS, LK_NEXT); // no longer than the best so far
  label(LK_TRY);
  emit(addImm(R0, R0, 4));
  emit(addImm(R1, R5, 4));
  bl(PFX);
  jump(NE, LK_NEXT);
  emit(movReg(R6, R7));
  keyOf(R0, R7);
  emit(ldr(R10, R0, 0));
  label(LK_NEXT);
  emit(addImm(R7, R7, 1));
  b(LK_LOOP);
  label(LK_END);
  emit(dpImm(AL, OP_CMN, 1, 0, R6, immRot(1)));
  jump(EQ, L_NULL);
  emit(ldr(R0, R4, D_VALUES));
  slot(R0, R0, R6, D_STRIDE, false);
  b(RETURN);

  // update (flags in r10, already checked): -EINVAL for a prefix longer than the key's data, -EEXIST / -ENOENT
  // as the flags say, -ENOSPC when max_entries prefixes are stored. A new prefix takes a freed slot first.
  label(LPM_UPDATE);
  emit(ldr(R0, R5, 0));
  bl(MAXLEN);
  emit(cmpReg(R0, R1));
  jump(HI, U_EINVAL);
  bl(EXACT);
  emit(dpImm(AL, OP_CMN, 1, 0, R6, immRot(1)));
  jump(NE, UP_FOUND);
  emit(cmpImm(R10, 2));
  jump(EQ, U_ENOENT);
  emit(ldr(R0, R4, D_COUNT));
  emit(ldr(R1, R4, D_MAX));
  emit(cmpReg(R0, R1));
  jump(HS, UP_ENOSPC);
  emit(addImm(R0, R0, 1));
  emit(str(R0, R4, D_COUNT));
  emit(ldr(R6, R4, D_FREE));
  emit(cmpImm(R6, 0));
  jump(EQ, UP_FRESH);
  emit(subImm(R6, R6, 1));
  keyOf(R7, R6);
  emit(ldr(R0, R7, 4));
  emit(str(R0, R4, D_FREE));
  b(UP_GOT);
  label(UP_FRESH);
  emit(ldr(R6, R4, D_FRESH));
  emit(addImm(R0, R6, 1));
  emit(str(R0, R4, D_FRESH));
  keyOf(R7, R6);
  label(UP_GOT);
  emit(movReg(R0, R7));
  emit(movReg(R1, R5));
  emit(ldr(R2, R4, D_KEY_SIZE));
  bl(COPY);
  b(UP_WRITE);
  label(UP_FOUND);
  emit(cmpImm(R10, 1));
  jump(EQ, U_EEXIST);
  label(UP_WRITE);
  emit(ldr(R0, R4, D_VALUES));
  slot(R0, R0, R6, D_STRIDE, false);
  emit(ldr(R1, R11, S_REGS + 24)); // the value: r3
  emit(ldr(R2, R4, D_VALUE_SIZE));
  bl(COPY);
  emit(movImm(R0, 0));
  b(RETURN);
  label(UP_ENOSPC);
  errno(ENOSPC);

  // delete: -EINVAL for a prefix longer than the key's data, -ENOENT when not stored; the slot joins the free list
  label(LPM_DELETE);
  emit(ldr(R0, R5, 0));
  bl(MAXLEN);
  emit(cmpReg(R0, R1));
  jump(HI, U_EINVAL);
  bl(EXACT);
  emit(dpImm(AL, OP_CMN, 1, 0, R6, immRot(1)));
  jump(EQ, U_ENOENT);
  emit(dpImm(AL, OP_MVN, 0, R0, 0, 0));
  emit(str(R0, R7, 0));
  emit(ldr(R0, R4, D_FREE));
  emit(str(R0, R7, 4));
  emit(addImm(R0, R6, 1));
  emit(str(R0, R4, D_FREE));
  emit(ldr(R0, R4, D_COUNT));
  emit(subImm(R0, R0, 1));
  emit(str(R0, R4, D_COUNT));
  emit(movImm(R0, 0));
  b(RETURN);
}
