// Helpers that copy memory, with the interpreter's semantics (assembly/helpers.ts): probe_read (4),
// probe_read_user (112), probe_read_kernel (113); probe_read_str (45), probe_read_user_str (114),
// probe_read_kernel_str (115); skb_load_bytes (26). The destination must be writable (else a fault naming the
// call); a source the program may not read zeroes the destination and gives -EFAULT.

import {
  emit, R0, R1, R2, R3, R4, R5, R6, R8, R10, R11, IP, AL, EQ, NE, HS, LO, HI, MI, OP_MVN, OP_SUB, OP_ADD, ldr, ldrb,
  strb, movImm, movReg, cmpImm, cmpReg, opReg, opRegS, opImmS, dpImm, addImm, subImm, emitConst,
} from "../../../assembly/arm32/a32/encoder";
import { label, b, bl, jump, S_NREGIONS, S_REGIONS, REGION_BYTES, S_PKT, S_PKT_LEN, L_HELPERS } from "../image";
import {
  helperEntry, argLo, argHi, HC_CHECK, HC_FILL, HC_MOVE, HC_RETURN, HC_READABLE_END,
} from "./common";

export const H_PROBE_READ = L_HELPERS + 3;
export const H_PROBE_STR = L_HELPERS + 4;
export const H_SKB_LOAD = L_HELPERS + 10;
const ML = L_HELPERS + 64; // local labels: L_HELPERS + 64 .. 79
const PR_LOOP = ML + 0;
const PR_EFAULT = ML + 1;
const PR_ZERO = ML + 2;
const ST_LOOP = ML + 3;
const ST_FULL = ML + 4;
const ST_EFAULT = ML + 5;
const ST_HAVE = ML + 6;
const ST_NUL = ML + 7;
const SK_EFAULT = ML + 8;
const ST_ZERO = ML + 10;

/**
 * The helper's entry, then r4 = the low word of argument `size`, and the destination (argument `dst`) checked
 * writable for r4 bytes (else a fault naming the call), as every helper here starts.
 */
function entryWithDestination(size: i32, dst: i32): void {
  helperEntry();
  argLo(R4, size);
  argLo(R10, dst);
  argHi(IP, dst);
  emit(movReg(R0, R4));
  emit(movImm(R1, 1));
  bl(HC_CHECK);
}

/** The destination (r8, r4 bytes) zeroed, then -EFAULT: what each of these helpers does with a bad source. */
function zeroDestinationEfault(): void {
  emit(movReg(R0, R8));
  emit(movReg(R1, R4));
  emit(movImm(R2, 0));
  bl(HC_FILL);
  returnEfault();
}

/** r0:r1 = -EFAULT (-14), then the helper's end. */
function returnEfault(): void {
  emit(dpImm(AL, OP_MVN, 0, R0, 0, 13));
  emit(dpImm(AL, OP_MVN, 0, R1, 0, 0));
  b(HC_RETURN);
}

function returnZero(): void {
  emit(movImm(R0, 0));
  emit(movImm(R1, 0));
  b(HC_RETURN);
}

/** Emits the helpers whose bit is set in `used` (bit 0: probe_read*, 1: probe_read*_str, 2: skb_load_bytes). */
export function emitMemHelpers(used: u32): void {
  if (used & 1) {
    // probe_read*(dst, size, src)
    label(H_PROBE_READ);
    entryWithDestination(2, 1);
    emit(cmpImm(R4, 0));
    jump(EQ, PR_ZERO);
    argLo(R8, 1); // dst
    argLo(R0, 3); // src
    argHi(R1, 3);
    emit(cmpImm(R1, 0));
    jump(NE, PR_EFAULT);
    emit(ldr(R3, R11, S_NREGIONS));
    emit(addImm(R2, R11, S_REGIONS));
    label(PR_LOOP);
    emit(opImmS(OP_SUB, R3, R3, 1));
    jump(MI, PR_EFAULT);
    emit(ldr(R5, R2, 0));
    emit(ldr(R6, R2, 4));
    emit(addImm(R2, R2, REGION_BYTES));
    emit(cmpReg(R0, R5));
    jump(LO, PR_LOOP);
    emit(opRegS(OP_SUB, R6, R6, R4));
    jump(LO, PR_LOOP);
    emit(cmpReg(R0, R6));
    jump(HI, PR_LOOP);
    emit(movReg(R1, R0));
    emit(movReg(R0, R8));
    emit(movReg(R2, R4));
    bl(HC_MOVE);
    label(PR_ZERO);
    returnZero();
    label(PR_EFAULT);
    zeroDestinationEfault();
  }
  if (used & 2) {
    // probe_read*_str(dst, size, src): at most size - 1 bytes and a NUL, stopping after the source's NUL; the
    // length copied with the NUL. Running out of readable memory first zeroes dst: -EFAULT.
    label(H_PROBE_STR);
    entryWithDestination(2, 1);
    emit(cmpImm(R4, 0));
    jump(EQ, ST_ZERO);
    argLo(R8, 1); // dst
    argLo(R5, 3); // src
    argHi(R0, 3);
    emit(movImm(R6, 0)); // n
    emit(movImm(R3, 0)); // end of the readable region in use (0: none yet)
    label(ST_LOOP);
    emit(subImm(R2, R4, 1));
    emit(cmpReg(R6, R2));
    jump(HS, ST_FULL);
    emit(cmpImm(R0, 0)); // a source above 4 GiB is never readable
    jump(NE, ST_EFAULT);
    emit(opReg(OP_ADD, R1, R5, R6));
    emit(cmpReg(R1, R3));
    jump(LO, ST_HAVE);
    emit(movReg(R0, R1));
    bl(HC_READABLE_END);
    emit(movReg(R3, R0));
    emit(movImm(R0, 0));
    emit(cmpImm(R3, 0));
    jump(EQ, ST_EFAULT);
    emit(opReg(OP_ADD, R1, R5, R6));
    label(ST_HAVE);
    emit(ldrb(R2, R1, 0));
    emit(opReg(OP_ADD, R1, R8, R6));
    emit(strb(R2, R1, 0));
    emit(addImm(R6, R6, 1));
    emit(cmpImm(R2, 0));
    jump(NE, ST_LOOP);
    label(ST_NUL);
    emit(movReg(R0, R6));
    emit(movImm(R1, 0));
    b(HC_RETURN);
    label(ST_FULL);
    emit(opReg(OP_ADD, R1, R8, R6));
    emit(movImm(R2, 0));
    emit(strb(R2, R1, 0));
    emit(addImm(R6, R6, 1));
    b(ST_NUL);
    label(ST_ZERO);
    returnZero();
    label(ST_EFAULT);
    zeroDestinationEfault();
  }
  if (used & 4) {
    // skb_load_bytes(skb, offset, to, len): from the packet; out of range zeroes `to` and gives -EFAULT
    label(H_SKB_LOAD);
    entryWithDestination(4, 3);
    argLo(R5, 2); // offset
    argLo(R8, 3); // to
    emit(cmpImm(R5, 0));
    jump(MI, SK_EFAULT); // above 0x7fffffff
    emit(opRegS(OP_ADD, R0, R5, R4));
    jump(HS, SK_EFAULT);
    emit(ldr(R1, R11, S_PKT_LEN));
    emit(cmpReg(R0, R1));
    jump(HI, SK_EFAULT);
    emit(ldr(R1, R11, S_PKT));
    emit(opReg(OP_ADD, R1, R1, R5));
    emit(movReg(R0, R8));
    emit(movReg(R2, R4));
    bl(HC_MOVE);
    returnZero();
    label(SK_EFAULT);
    zeroDestinationEfault();
  }
}
