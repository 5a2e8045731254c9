// Pieces the helpers compiled into an image share (calls.ts dispatches to them): how a helper starts and returns,
// the argument check that faults naming the helper call, the region walks that only ask, and byte fills/copies.
// Emitted only when a helper that needs them is (see calls.ts noteHelpers).
//
// Helper convention: arguments in the register file (the call spills r1-r5 there), result in r0:r1, ARM r4-r11
// preserved. A helper starts with helperEntry() (saves r4-r10 and lr, and records the call's return address in
// S_HELPER_LR so that a fault names the call instruction) and ends by branching to HC_RETURN.

import {
  emit, R0, R1, R2, R3, R4, R5, R11, IP, LR, AL, EQ, NE, HS, LO, HI, MI, ldr, str, ldrb, strb, movImm, movImmC,
  movReg, cmpImm, cmpReg, opReg, opRegS, opImmS, dpReg, push, pop, bit, bx, addImm, subImm, OP_ADD, OP_SUB, SH_LSL,
} from "../../../assembly/arm32/a32/encoder";
import { label, b, jump, S_HELPER_LR, S_NREGIONS, S_REGIONS, REGION_BYTES, S_REGS, L_CHECK_COMMON, L_HELPERS } from "../image";

// Routines (labels L_HELPERS + 24 .. 31)
export const HC_CHECK = L_HELPERS + 24; // r10:ip = address, r0 = size, r1 = 1 for a write: returns, or faults
export const HC_READABLE_END = L_HELPERS + 25; // r0 = address (high word 0) -> r0 = end of its read region, or 0
export const HC_FILL = L_HELPERS + 26; // r0 = destination, r1 = bytes (0 allowed), r2 = the byte
export const HC_MOVE = L_HELPERS + 27; // r0 = destination, r1 = source, r2 = bytes (0 allowed): memmove
export const HC_RETURN = L_HELPERS + 28; // a helper's end: r0:r1 = its result
export const HC_ALLOWED = L_HELPERS + 29; // r0 = address, r1 = its high word, r2 = size, r3 = 1 for a write -> r0 = 1 / 0
const CL = L_HELPERS + 32; // local labels: L_HELPERS + 32 .. 39
const RE_LOOP = CL + 0;
const FILL_LOOP = CL + 1;
const MOVE_BACK = CL + 2;
const MOVE_FWD = CL + 3;
const AL_LOOP = CL + 4;
const AL_NO = CL + 5;

function bxC(cond: u32): u32 { return (cond << 28) | 0x012fff10 | <u32>LR; }

/** First instructions of a helper: r4-r10 and lr saved, the call's return address kept for fault reports. */
export function helperEntry(): void {
  emit(push(0x47f0)); // r4-r10, lr
  emit(str(LR, R11, S_HELPER_LR));
}

/** r = the low word of argument n (1-5). */
export function argLo(r: i32, n: i32): void { emit(ldr(r, R11, S_REGS + 8 * n)); }
export function argHi(r: i32, n: i32): void { emit(ldr(r, R11, S_REGS + 8 * n + 4)); }

/** Emits the shared routines; `fill`, `move`, `allowed`: whether those are needed too. */
export function emitHelperCommon(fill: bool, move: bool, allowed: bool, readableEnd: bool): void {
  label(HC_RETURN);
  emit(movImm(R2, 0));
  emit(str(R2, R11, S_HELPER_LR));
  emit(pop(0x87f0)); // r4-r10, pc

  // The interpreter's checkAccess: size 0 passes; else the region table decides, and a miss faults naming the
  // helper call (L_CHECK_COMMON reads S_HELPER_LR).
  label(HC_CHECK);
  emit(cmpImm(R0, 0));
  emit(bxC(EQ));
  emit(push(0x3f)); // r0-r5: L_CHECK_COMMON pops them
  b(L_CHECK_COMMON);

  if (readableEnd) {
    label(HC_READABLE_END);
    emit(ldr(R3, R11, S_NREGIONS));
    emit(addImm(R2, R11, S_REGIONS));
    label(RE_LOOP);
    emit(opImmS(OP_SUB, R3, R3, 1));
    emit(movImmC(MI, R0, 0));
    emit(bxC(MI));
    emit(ldr(R1, R2, 0));
    emit(ldr(IP, R2, 4));
    emit(addImm(R2, R2, REGION_BYTES));
    emit(cmpReg(R0, R1));
    jump(LO, RE_LOOP);
    emit(cmpReg(R0, IP));
    jump(HS, RE_LOOP);
    emit(movReg(R0, IP));
    emit(bx(LR));
  }

  if (allowed) {
    // accessAllowed: [address, address + size) inside one region's read (or write) window
    label(HC_ALLOWED);
    emit(push(bit(R4) | bit(R5)));
    emit(cmpImm(R1, 0));
    jump(NE, AL_NO);
    emit(opRegS(OP_ADD, IP, R0, R2)); // end
    jump(HS, AL_NO); // wraps past 2^32
    emit(ldr(R1, R11, S_NREGIONS));
    emit(addImm(R5, R11, S_REGIONS));
    emit(dpReg(AL, OP_ADD, 0, R5, R5, R3, SH_LSL, 3)); // + 8 * write: the writable window
    label(AL_LOOP);
    emit(opImmS(OP_SUB, R1, R1, 1));
    jump(MI, AL_NO);
    emit(ldr(R4, R5, 0));
    emit(ldr(R2, R5, 4));
    emit(addImm(R5, R5, REGION_BYTES));
    emit(cmpReg(R0, R4));
    jump(LO, AL_LOOP);
    emit(cmpReg(IP, R2));
    jump(HI, AL_LOOP);
    emit(movImm(R0, 1));
    emit(pop(bit(R4) | bit(R5)));
    emit(bx(LR));
    label(AL_NO);
    emit(movImm(R0, 0));
    emit(pop(bit(R4) | bit(R5)));
    emit(bx(LR));
  }

  if (fill) {
    label(HC_FILL);
    emit(opImmS(OP_SUB, R1, R1, 1));
    emit(bxC(MI));
    label(FILL_LOOP);
    emit(strb(R2, R0, 0));
    emit(addImm(R0, R0, 1));
    emit(opImmS(OP_SUB, R1, R1, 1));
    jump(HS, FILL_LOOP);
    emit(bx(LR));
  }

  if (move) {
    // forwards unless the destination starts inside the source
    label(HC_MOVE);
    emit(cmpImm(R2, 0));
    emit(bxC(EQ));
    emit(cmpReg(R0, R1));
    jump(HI, MOVE_BACK);
    label(MOVE_FWD);
    emit(ldrb(R3, R1, 0));
    emit(strb(R3, R0, 0));
    emit(addImm(R0, R0, 1));
    emit(addImm(R1, R1, 1));
    emit(opImmS(OP_SUB, R2, R2, 1));
    jump(NE, MOVE_FWD);
    emit(bx(LR));
    label(MOVE_BACK);
    emit(opReg(OP_ADD, R0, R0, R2));
    emit(opReg(OP_ADD, R1, R1, R2));
    const back = CL + 6;
    label(back);
    emit(subImm(R0, R0, 1));
    emit(subImm(R1, R1, 1));
    emit(ldrb(R3, R1, 0));
    emit(strb(R3, R0, 0));
    emit(opImmS(OP_SUB, R2, R2, 1));
    jump(NE, back);
    emit(bx(LR));
  }
}
