// Pieces the helpers compiled into an image share (calls.ts dispatches to them): how a helper starts and returns,
// the argument check that faults naming the helper call, the region walks that only ask, and byte fills/copies.
// Emitted only when a helper that needs them is (see calls.ts noteHelpers).
//
// Helper convention: arguments in the register file (the call spills r1-r5 there), result in r0:r1, ARM r4-r11
// preserved. A helper starts with helperEntry() (saves r4-r10 and lr, and records the call's return address in
// S_HELPER_LR so that a fault names the call instruction) and ends by branching to HC_RETURN.

import {
  AL, EQ, HI, HS, IP, LO, LR, MI, NE, OP_ADD, OP_SUB, R0, R1, R11, R2, R3, R4, R5, SH_LSL, addImm, bit, bx, bxC,
  cmpImm, cmpReg, dpReg, ldr, ldrb, movImm, movImmC, movReg, opImmS, opReg, opRegS, pop, push, str, strb, subImm,
} from "../../../assembly/arm32/a32/encoder";
import { block } from "../../../assembly/arm32/a32/labels";
import { Context } from "../../../assembly/arm32/jit/context";
import { L_CHECK_COMMON, L_HELPERS, REGION_BYTES, S_HELPER_LR, S_NREGIONS, S_REGIONS, S_REGS } from "../image";

// Routines (labels L_HELPERS + 24 .. 31)
export const HC_CHECK = L_HELPERS + 24; // r10:ip = address, r0 = size, r1 = 1 for a write: returns, or faults
export const HC_READABLE_END = L_HELPERS + 25; // r0 = address (high word 0) -> r0 = end of its read region, or 0
export const HC_FILL = L_HELPERS + 26; // r0 = destination, r1 = bytes (0 allowed), r2 = the byte
export const HC_MOVE = L_HELPERS + 27; // r0 = destination, r1 = source, r2 = bytes (0 allowed): memmove
export const HC_RETURN = L_HELPERS + 28; // a helper's end: r0:r1 = its result
export const HC_ALLOWED = L_HELPERS + 29; // r0 = address, r1 = its high word, r2 = size, r3 = 1 for a write -> r0 = 1 / 0
const CL = block("helpers/common", 8); // local labels
const RE_LOOP = CL + 0;
const FILL_LOOP = CL + 1;
const MOVE_BACK = CL + 2;
const MOVE_FWD = CL + 3;
const AL_LOOP = CL + 4;
const AL_NO = CL + 5;

/** First instructions of a helper: r4-r10 and lr saved, the call's return address kept for fault reports. */
export function helperEntry(c: Context): void {
  c.emit(push(0x47f0)); // r4-r10, lr
  c.emit(str(LR, R11, S_HELPER_LR));
}

/** r = the low word of argument n (1-5). */
export function argLo(c: Context, r: i32, n: i32): void { c.emit(ldr(r, R11, S_REGS + 8 * n)); }
export function argHi(c: Context, r: i32, n: i32): void { c.emit(ldr(r, R11, S_REGS + 8 * n + 4)); }

/** Emits the shared routines; `fill`, `move`, `allowed`: whether those are needed too. */
export function emitHelperCommon(c: Context, fill: bool, move: bool, allowed: bool, readableEnd: bool): void {
  c.label(HC_RETURN);
  c.emit(movImm(R2, 0));
  c.emit(str(R2, R11, S_HELPER_LR));
  c.emit(pop(0x87f0)); // r4-r10, pc

  // The interpreter's checkAccess: size 0 passes; else the region table decides, and a miss faults naming the
  // helper call (L_CHECK_COMMON reads S_HELPER_LR).
  c.label(HC_CHECK);
  c.emit(cmpImm(R0, 0));
  c.emit(bxC(EQ, LR));
  c.emit(push(0x3f)); // r0-r5: L_CHECK_COMMON pops them
  c.b(L_CHECK_COMMON);

  if (readableEnd) {
    c.label(HC_READABLE_END);
    c.emit(ldr(R3, R11, S_NREGIONS));
    c.emit(addImm(R2, R11, S_REGIONS));
    c.label(RE_LOOP);
    c.emit(opImmS(OP_SUB, R3, R3, 1));
    c.emit(movImmC(MI, R0, 0));
    c.emit(bxC(MI, LR));
    c.emit(ldr(R1, R2, 0));
    c.emit(ldr(IP, R2, 4));
    c.emit(addImm(R2, R2, REGION_BYTES));
    c.emit(cmpReg(R0, R1));
    c.jump(LO, RE_LOOP);
    c.emit(cmpReg(R0, IP));
    c.jump(HS, RE_LOOP);
    c.emit(movReg(R0, IP));
    c.emit(bx(LR));
  }

  if (allowed) {
    // accessAllowed: [address, address + size) inside one region's read (or write) window
    c.routine(HC_ALLOWED, bit(R4) | bit(R5));
    c.emit(cmpImm(R1, 0));
    c.jump(NE, AL_NO);
    c.emit(opRegS(OP_ADD, IP, R0, R2)); // end
    c.jump(HS, AL_NO); // wraps past 2^32
    c.emit(ldr(R1, R11, S_NREGIONS));
    c.emit(addImm(R5, R11, S_REGIONS));
    c.emit(dpReg(AL, OP_ADD, 0, R5, R5, R3, SH_LSL, 3)); // + 8 * write: the writable window
    c.label(AL_LOOP);
    c.emit(opImmS(OP_SUB, R1, R1, 1));
    c.jump(MI, AL_NO);
    c.emit(ldr(R4, R5, 0));
    c.emit(ldr(R2, R5, 4));
    c.emit(addImm(R5, R5, REGION_BYTES));
    c.emit(cmpReg(R0, R4));
    c.jump(LO, AL_LOOP);
    c.emit(cmpReg(IP, R2));
    c.jump(HI, AL_LOOP);
    c.emit(movImm(R0, 1));
    c.emit(pop(bit(R4) | bit(R5)));
    c.emit(bx(LR));
    c.label(AL_NO);
    c.emit(movImm(R0, 0));
    c.emit(pop(bit(R4) | bit(R5)));
    c.emit(bx(LR));
  }

  if (fill) {
    c.label(HC_FILL);
    c.emit(opImmS(OP_SUB, R1, R1, 1));
    c.emit(bxC(MI, LR));
    c.label(FILL_LOOP);
    c.emit(strb(R2, R0, 0));
    c.emit(addImm(R0, R0, 1));
    c.emit(opImmS(OP_SUB, R1, R1, 1));
    c.jump(HS, FILL_LOOP);
    c.emit(bx(LR));
  }

  if (move) {
    // forwards unless the destination starts inside the source
    c.label(HC_MOVE);
    c.emit(cmpImm(R2, 0));
    c.emit(bxC(EQ, LR));
    c.emit(cmpReg(R0, R1));
    c.jump(HI, MOVE_BACK);
    c.label(MOVE_FWD);
    c.emit(ldrb(R3, R1, 0));
    c.emit(strb(R3, R0, 0));
    c.emit(addImm(R0, R0, 1));
    c.emit(addImm(R1, R1, 1));
    c.emit(opImmS(OP_SUB, R2, R2, 1));
    c.jump(NE, MOVE_FWD);
    c.emit(bx(LR));
    c.label(MOVE_BACK);
    c.emit(opReg(OP_ADD, R0, R0, R2));
    c.emit(opReg(OP_ADD, R1, R1, R2));
    const back = CL + 6;
    c.label(back);
    c.emit(subImm(R0, R0, 1));
    c.emit(subImm(R1, R1, 1));
    c.emit(ldrb(R3, R1, 0));
    c.emit(strb(R3, R0, 0));
    c.emit(opImmS(OP_SUB, R2, R2, 1));
    c.jump(NE, back);
    c.emit(bx(LR));
  }
}
