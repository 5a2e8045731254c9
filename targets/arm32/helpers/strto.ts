// strtol (105) and strtoul (106), with the interpreter's semantics (assembly/helpers.ts strtoHelper and
// parseInteger, the kernel's __bpf_strtoull): strto*(buf, buf_len, flags, res). White space is skipped, one '-'
// taken, then at most 63 characters in base flags & 0x1f (0: "0x" hex, "0" octal, else decimal; 16 accepts "0x").
// The result goes to the 8 bytes at res; r0 = characters consumed, -EINVAL (no digits, bad flags, strtoul of a
// negative number) or -ERANGE (more than 64 bits, or outside the signed range for strtol).

import {
  emit, R0, R1, R2, R3, R4, R5, R6, R7, R8, R9, R10, IP, LR, AL, EQ, NE, HS, LO, HI, LS, GT, MI, ldrb, str, movImm,
  movImmC, movReg, cmpImm, cmpReg, opReg, opRegS, opImm, opImmS, dpImm, umull, bx, addImm, subImm, immRot,
  OP_ADD, OP_ADC, OP_SUB, OP_RSB, OP_RSC, OP_ORR, OP_BIC, OP_CMP, OP_MVN, OP_TST,
} from "../../../assembly/arm32/a32/encoder";
import { label, b, bl, jump, L_HELPERS } from "../image";
import { helperEntry, argLo, argHi, HC_CHECK, HC_RETURN } from "./common";

export const H_STRTOL = L_HELPERS + 11;
export const H_STRTOUL = L_HELPERS + 12;
const XL = L_HELPERS + 80; // local labels: L_HELPERS + 80 .. 99
const BODY = XL + 0;
const EINVAL = XL + 1;
const ERANGE = XL + 2;
const SP_LOOP = XL + 3;
const SP_NEXT = XL + 4;
const SP_DONE = XL + 5;
const NO_SIGN = XL + 6;
const BASE_SET = XL + 7;
const BASE8 = XL + 8;
const DIGITS = XL + 9;
const D_LOOP = XL + 10;
const D_END = XL + 11;
const DIGIT = XL + 12;
const DIGIT_LETTER = XL + 13;
const UNSIGNED = XL + 14;
const STORE = XL + 15;
const NO_PREFIX = XL + 16;

/** cond | an AL instruction word */
@inline function when(cond: u32, word: u32): u32 { return (word & 0x0fffffff) | (cond << 28); }

/** r2 = character k (ip + delta when delta >= 0... ) of the text: ip holds k; 0 past the 63 available (r5). */
function charAt(k: i32): void {
  emit(cmpReg(k, R5));
  emit(opReg(OP_ADD, R3, R7, k));
  emit(when(LO, ldrb(R2, R3, 0)));
  emit(movImmC(HS, R2, 0));
}

export function emitStrtoHelpers(signed: bool, unsigned: bool): void {
  if (signed) {
    label(H_STRTOL);
    helperEntry();
    emit(movImm(R9, 1));
    b(BODY);
  }
  if (unsigned) {
    label(H_STRTOUL);
    helperEntry();
    emit(movImm(R9, 0));
  }
  label(BODY);
  argLo(R10, 1);
  argHi(IP, 1);
  argLo(R0, 2);
  emit(movImm(R1, 0));
  bl(HC_CHECK); // buf: buf_len readable bytes
  argLo(R10, 4);
  argHi(IP, 4);
  emit(movImm(R0, 8));
  emit(movImm(R1, 1));
  bl(HC_CHECK); // res: 8 writable bytes
  argLo(R4, 1); // buf
  argLo(R5, 2); // buf_len
  argLo(R8, 3); // flags: the base in its low 5 bits, nothing else
  argHi(R0, 3);
  emit(cmpImm(R5, 0));
  jump(EQ, EINVAL);
  emit(cmpImm(R0, 0));
  jump(NE, EINVAL);
  emit(opImmS(OP_BIC, R0, R8, 0x1f));
  jump(NE, EINVAL);
  emit(cmpImm(R8, 0));
  emit(when(NE, cmpImm(R8, 8)));
  emit(when(NE, cmpImm(R8, 10)));
  emit(when(NE, cmpImm(R8, 16)));
  jump(NE, EINVAL);
  // white space: \t \n \v \f \r, space, 0xa0
  emit(movImm(R6, 0));
  label(SP_LOOP);
  emit(cmpReg(R6, R5));
  jump(HS, SP_DONE);
  emit(opReg(OP_ADD, R1, R4, R6));
  emit(ldrb(R0, R1, 0));
  emit(subImm(R1, R0, 9));
  emit(cmpImm(R1, 4));
  jump(LS, SP_NEXT);
  emit(cmpImm(R0, 32));
  emit(when(NE, cmpImm(R0, 0xa0)));
  jump(NE, SP_DONE);
  label(SP_NEXT);
  emit(addImm(R6, R6, 1));
  b(SP_LOOP);
  label(SP_DONE);
  emit(movImm(R10, 0)); // bit 0: a '-' was taken, bit 1: the value overflowed
  emit(cmpReg(R6, R5));
  jump(HS, NO_SIGN);
  emit(opReg(OP_ADD, R1, R4, R6));
  emit(ldrb(R0, R1, 0));
  emit(cmpImm(R0, 0x2d));
  emit(movImmC(EQ, R10, 1));
  emit(when(EQ, addImm(R6, R6, 1)));
  label(NO_SIGN);
  emit(cmpReg(R6, R5));
  jump(EQ, EINVAL);
  emit(opReg(OP_ADD, R7, R4, R6)); // the text after the sign
  emit(opReg(OP_SUB, R5, R5, R6)); // characters available: at most 63
  emit(cmpImm(R5, 63));
  emit(movImmC(HI, R5, 63));
  emit(movImm(R4, 0)); // prefix length
  emit(movImm(IP, 0));
  charAt(IP);
  emit(movReg(R0, R2)); // c0
  emit(movImm(IP, 1));
  charAt(IP);
  emit(opImm(OP_ORR, R1, R2, 0x20)); // c1 | 0x20
  emit(cmpImm(R8, 0));
  jump(NE, BASE_SET);
  emit(movImm(R8, 10));
  emit(cmpImm(R0, 0x30));
  jump(NE, BASE_SET);
  emit(movImm(R8, 8));
  emit(cmpImm(R1, 0x78));
  jump(NE, BASE_SET);
  emit(movImm(IP, 2));
  charAt(IP);
  bl(DIGIT);
  emit(cmpImm(R2, 16));
  emit(movImmC(LO, R8, 16));
  label(BASE_SET);
  emit(cmpImm(R8, 16));
  jump(NE, NO_PREFIX);
  emit(cmpImm(R0, 0x30));
  emit(when(EQ, cmpImm(R1, 0x78)));
  emit(movImmC(EQ, R4, 2));
  label(NO_PREFIX);
  // value = value * base + digit over 64 bits, overflow sticky in r10 bit 1
  emit(movImm(R0, 0));
  emit(movImm(R1, 0));
  emit(movReg(IP, R4));
  label(D_LOOP);
  charAt(IP);
  bl(DIGIT);
  emit(cmpReg(R2, R8));
  jump(HS, D_END);
  emit(umull(R3, LR, R0, R8));
  emit(opRegS(OP_ADD, R0, R3, R2));
  emit(dpImm(AL, OP_ADC, 0, LR, LR, 0));
  emit(umull(R3, R2, R1, R8));
  emit(opRegS(OP_ADD, R1, R3, LR));
  emit(dpImm(AL, OP_ADC, 0, R2, R2, 0));
  emit(cmpImm(R2, 0));
  emit(when(NE, opImm(OP_ORR, R10, R10, 2)));
  emit(addImm(IP, IP, 1));
  b(D_LOOP);
  label(D_END);
  emit(dpImm(AL, OP_TST, 1, 0, R10, 2));
  jump(NE, ERANGE);
  emit(cmpReg(IP, R4));
  jump(EQ, EINVAL); // no digits
  emit(opReg(OP_ADD, R6, R6, IP)); // characters consumed
  emit(cmpImm(R9, 0));
  jump(EQ, UNSIGNED);
  emit(dpImm(AL, OP_TST, 1, 0, R10, 1));
  jump(EQ, DIGITS);
  // negative: 0 - value must not be above 0 as a signed number
  emit(opImmS(OP_RSB, R0, R0, 0));
  emit(dpImm(AL, OP_RSC, 0, R1, R1, 0));
  emit(cmpImm(R1, 0));
  jump(GT, ERANGE);
  jump(MI, STORE);
  emit(cmpImm(R0, 0));
  jump(NE, ERANGE);
  b(STORE);
  label(DIGITS); // positive: at most INT64_MAX
  emit(cmpImm(R1, 0));
  jump(MI, ERANGE);
  b(STORE);
  label(UNSIGNED);
  emit(dpImm(AL, OP_TST, 1, 0, R10, 1));
  jump(NE, EINVAL);
  label(STORE);
  argLo(R2, 4);
  emit(str(R0, R2, 0));
  emit(str(R1, R2, 4));
  emit(movReg(R0, R6));
  emit(movImm(R1, 0));
  b(HC_RETURN);
  label(EINVAL);
  emit(dpImm(AL, OP_MVN, 0, R0, 0, 21)); // -EINVAL
  emit(dpImm(AL, OP_MVN, 0, R1, 0, 0));
  b(HC_RETURN);
  label(ERANGE);
  emit(dpImm(AL, OP_MVN, 0, R0, 0, 33)); // -ERANGE
  emit(dpImm(AL, OP_MVN, 0, R1, 0, 0));
  b(HC_RETURN);

  // digit: r2 = a character -> its value in bases up to 16, or 99 (uses r3)
  label(DIGIT);
  emit(subImm(R3, R2, 0x30));
  emit(cmpImm(R3, 10));
  jump(HS, DIGIT_LETTER);
  emit(movReg(R2, R3));
  emit(bx(LR));
  label(DIGIT_LETTER);
  emit(opImm(OP_ORR, R3, R2, 0x20));
  emit(subImm(R3, R3, 0x61));
  emit(cmpImm(R3, 6));
  emit(when(LO, addImm(R2, R3, 10)));
  emit(movImmC(HS, R2, 99));
  emit(bx(LR));
}
