// Helpers that copy memory, with the interpreter's semantics (assembly/helpers.ts): probe_read (4),
// probe_read_user (112), probe_read_kernel (113); probe_read_str (45), probe_read_user_str (114),
// probe_read_kernel_str (115); skb_load_bytes (26). The destination must be writable (else a fault naming the
// call); a source the program may not read zeroes the destination and gives -EFAULT.

import {
  AL, EQ, HI, HS, IP, LO, MI, NE, OP_ADD, OP_MVN, OP_SUB, R0, R1, R10, R11, R2, R3, R4, R5, R6, R8, addImm, cmpImm,
  cmpReg, dpImm, ldr, ldrb, movImm, movReg, opImmS, opReg, opRegS, strb, subImm,
} from "../../../assembly/arm32/a32/encoder";
import { block } from "../../../assembly/arm32/a32/labels";
import { Context } from "../../../assembly/arm32/jit/context";
import { HC_CHECK, HC_FILL, HC_MOVE, HC_READABLE_END, HC_RETURN, argHi, argLo, helperEntry } from "./common";
import { L_HELPERS, REGION_BYTES, S_NREGIONS, S_PKT, S_PKT_LEN, S_REGIONS } from "../image";

export const H_PROBE_READ = L_HELPERS + 3;
export const H_PROBE_STR = L_HELPERS + 4;
export const H_SKB_LOAD = L_HELPERS + 10;
const ML = block("helpers/mem", 16); // local labels
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
function entryWithDestination(c: Context, size: i32, dst: i32): void {
  helperEntry(c);
  argLo(c, R4, size);
  argLo(c, R10, dst);
  argHi(c, IP, dst);
  c.emit(movReg(R0, R4));
  c.emit(movImm(R1, 1));
  c.bl(HC_CHECK);
}

/** The destination (r8, r4 bytes) zeroed, then -EFAULT: what each of these helpers does with a bad source. */
function zeroDestinationEfault(c: Context): void {
  c.emit(movReg(R0, R8));
  c.emit(movReg(R1, R4));
  c.emit(movImm(R2, 0));
  c.bl(HC_FILL);
  returnEfault(c);
}

/** r0:r1 = -EFAULT (-14), then the helper's end. */
function returnEfault(c: Context): void {
  c.emit(dpImm(AL, OP_MVN, 0, R0, 0, 13));
  c.emit(dpImm(AL, OP_MVN, 0, R1, 0, 0));
  c.b(HC_RETURN);
}

function returnZero(c: Context): void {
  c.emit(movImm(R0, 0));
  c.emit(movImm(R1, 0));
  c.b(HC_RETURN);
}

/** Emits the helpers whose bit is set in `used` (bit 0: probe_read*, 1: probe_read*_str, 2: skb_load_bytes). */
export function emitMemHelpers(c: Context, used: u32): void {
  if (used & 1) {
    // probe_read*(dst, size, src)
    c.label(H_PROBE_READ);
    entryWithDestination(c, 2, 1);
    c.emit(cmpImm(R4, 0));
    c.jump(EQ, PR_ZERO);
    argLo(c, R8, 1); // dst
    argLo(c, R0, 3); // src
    argHi(c, R1, 3);
    c.emit(cmpImm(R1, 0));
    c.jump(NE, PR_EFAULT);
    c.emit(ldr(R3, R11, S_NREGIONS));
    c.emit(addImm(R2, R11, S_REGIONS));
    c.label(PR_LOOP);
    c.emit(opImmS(OP_SUB, R3, R3, 1));
    c.jump(MI, PR_EFAULT);
    c.emit(ldr(R5, R2, 0));
    c.emit(ldr(R6, R2, 4));
    c.emit(addImm(R2, R2, REGION_BYTES));
    c.emit(cmpReg(R0, R5));
    c.jump(LO, PR_LOOP);
    c.emit(opRegS(OP_SUB, R6, R6, R4));
    c.jump(LO, PR_LOOP);
    c.emit(cmpReg(R0, R6));
    c.jump(HI, PR_LOOP);
    c.emit(movReg(R1, R0));
    c.emit(movReg(R0, R8));
    c.emit(movReg(R2, R4));
    c.bl(HC_MOVE);
    c.label(PR_ZERO);
    returnZero(c);
    c.label(PR_EFAULT);
    zeroDestinationEfault(c);
  }
  if (used & 2) {
    // probe_read*_str(dst, size, src): at most size - 1 bytes and a NUL, stopping after the source's NUL; the
    // length copied with the NUL. Running out of readable memory first zeroes dst: -EFAULT.
    c.label(H_PROBE_STR);
    entryWithDestination(c, 2, 1);
    c.emit(cmpImm(R4, 0));
    c.jump(EQ, ST_ZERO);
    argLo(c, R8, 1); // dst
    argLo(c, R5, 3); // src
    argHi(c, R0, 3);
    c.emit(movImm(R6, 0)); // n
    c.emit(movImm(R3, 0)); // end of the readable region in use (0: none yet)
    c.label(ST_LOOP);
    c.emit(subImm(R2, R4, 1));
    c.emit(cmpReg(R6, R2));
    c.jump(HS, ST_FULL);
    c.emit(cmpImm(R0, 0)); // a source above 4 GiB is never readable
    c.jump(NE, ST_EFAULT);
    c.emit(opReg(OP_ADD, R1, R5, R6));
    c.emit(cmpReg(R1, R3));
    c.jump(LO, ST_HAVE);
    c.emit(movReg(R0, R1));
    c.bl(HC_READABLE_END);
    c.emit(movReg(R3, R0));
    c.emit(movImm(R0, 0));
    c.emit(cmpImm(R3, 0));
    c.jump(EQ, ST_EFAULT);
    c.emit(opReg(OP_ADD, R1, R5, R6));
    c.label(ST_HAVE);
    c.emit(ldrb(R2, R1, 0));
    c.emit(opReg(OP_ADD, R1, R8, R6));
    c.emit(strb(R2, R1, 0));
    c.emit(addImm(R6, R6, 1));
    c.emit(cmpImm(R2, 0));
    c.jump(NE, ST_LOOP);
    c.label(ST_NUL);
    c.emit(movReg(R0, R6));
    c.emit(movImm(R1, 0));
    c.b(HC_RETURN);
    c.label(ST_FULL);
    c.emit(opReg(OP_ADD, R1, R8, R6));
    c.emit(movImm(R2, 0));
    c.emit(strb(R2, R1, 0));
    c.emit(addImm(R6, R6, 1));
    c.b(ST_NUL);
    c.label(ST_ZERO);
    returnZero(c);
    c.label(ST_EFAULT);
    zeroDestinationEfault(c);
  }
  if (used & 4) {
    // skb_load_bytes(skb, offset, to, len): from the packet; out of range zeroes `to` and gives -EFAULT
    c.label(H_SKB_LOAD);
    entryWithDestination(c, 4, 3);
    argLo(c, R5, 2); // offset
    argLo(c, R8, 3); // to
    c.emit(cmpImm(R5, 0));
    c.jump(MI, SK_EFAULT); // above 0x7fffffff
    c.emit(opRegS(OP_ADD, R0, R5, R4));
    c.jump(HS, SK_EFAULT);
    c.emit(ldr(R1, R11, S_PKT_LEN));
    c.emit(cmpReg(R0, R1));
    c.jump(HI, SK_EFAULT);
    c.emit(ldr(R1, R11, S_PKT));
    c.emit(opReg(OP_ADD, R1, R1, R5));
    c.emit(movReg(R0, R8));
    c.emit(movReg(R2, R4));
    c.bl(HC_MOVE);
    returnZero(c);
    c.label(SK_EFAULT);
    zeroDestinationEfault(c);
  }
}
