// strtol (105) and strtoul (106), with the interpreter's semantics (assembly/helpers.ts strtoHelper and
// parseInteger, the kernel's __bpf_strtoull): strto*(buf, buf_len, flags, res). White space is skipped, one '-'
// taken, then at most 63 characters in base flags & 0x1f (0: "0x" hex, "0" octal, else decimal; 16 accepts "0x").
// The result goes to the 8 bytes at res; r0 = characters consumed, -EINVAL (no digits, bad flags, strtoul of a
// negative number) or -ERANGE (more than 64 bits, or outside the signed range for strtol).

import {
  AL, EQ, GT, HI, HS, IP, LO, LR, LS, MI, NE, OP_ADC, OP_ADD, OP_BIC, OP_MVN, OP_ORR, OP_RSB, OP_RSC, OP_SUB,
  OP_TST, R0, R1, R10, R2, R3, R4, R5, R6, R7, R8, R9, addImm, bx, cmpImm, cmpReg, dpImm, ldrb, movImm, movImmC,
  movReg, opImm, opImmS, opReg, opRegS, str, subImm, umull, when,
} from "../../../assembly/arm32/a32/encoder";
import { block } from "../../../assembly/arm32/a32/labels";
import { Context } from "../../../assembly/arm32/jit/context";
import { HC_CHECK, HC_RETURN, argHi, argLo, helperEntry } from "./common";
import { L_HELPERS } from "../image";

export const H_STRTOL = L_HELPERS + 11;
export const H_STRTOUL = L_HELPERS + 12;
const XL = block("helpers/strto", 20); // local labels
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

/** r2 = character k (ip + delta when delta >= 0... ) of the text: ip holds k; 0 past the 63 available (r5). */
function charAt(c: Context, k: i32): void {
  c.emit(cmpReg(k, R5));
  c.emit(opReg(OP_ADD, R3, R7, k));
  c.emit(when(LO, ldrb(R2, R3, 0)));
  c.emit(movImmC(HS, R2, 0));
}

export function emitStrtoHelpers(c: Context, signed: bool, unsigned: bool): void {
  if (signed) {
    c.label(H_STRTOL);
    helperEntry(c);
    c.emit(movImm(R9, 1));
    c.b(BODY);
  }
  if (unsigned) {
    c.label(H_STRTOUL);
    helperEntry(c);
    c.emit(movImm(R9, 0));
  }
  c.label(BODY);
  argLo(c, R10, 1);
  argHi(c, IP, 1);
  argLo(c, R0, 2);
  c.emit(movImm(R1, 0));
  c.bl(HC_CHECK); // buf: buf_len readable bytes
  argLo(c, R10, 4);
  argHi(c, IP, 4);
  c.emit(movImm(R0, 8));
  c.emit(movImm(R1, 1));
  c.bl(HC_CHECK); // res: 8 writable bytes
  argLo(c, R4, 1); // buf
  argLo(c, R5, 2); // buf_len
  argLo(c, R8, 3); // flags: the base in its low 5 bits, nothing else
  argHi(c, R0, 3);
  c.emit(cmpImm(R5, 0));
  c.jump(EQ, EINVAL);
  c.emit(cmpImm(R0, 0));
  c.jump(NE, EINVAL);
  c.emit(opImmS(OP_BIC, R0, R8, 0x1f));
  c.jump(NE, EINVAL);
  c.emit(cmpImm(R8, 0));
  c.emit(when(NE, cmpImm(R8, 8)));
  c.emit(when(NE, cmpImm(R8, 10)));
  c.emit(when(NE, cmpImm(R8, 16)));
  c.jump(NE, EINVAL);
  // white space: \t \n \v \f \r, space, 0xa0
  c.emit(movImm(R6, 0));
  c.label(SP_LOOP);
  c.emit(cmpReg(R6, R5));
  c.jump(HS, SP_DONE);
  c.emit(opReg(OP_ADD, R1, R4, R6));
  c.emit(ldrb(R0, R1, 0));
  c.emit(subImm(R1, R0, 9));
  c.emit(cmpImm(R1, 4));
  c.jump(LS, SP_NEXT);
  c.emit(cmpImm(R0, 32));
  c.emit(when(NE, cmpImm(R0, 0xa0)));
  c.jump(NE, SP_DONE);
  c.label(SP_NEXT);
  c.emit(addImm(R6, R6, 1));
  c.b(SP_LOOP);
  c.label(SP_DONE);
  c.emit(movImm(R10, 0)); // bit 0: a '-' was taken, bit 1: the value overflowed
  c.emit(cmpReg(R6, R5));
  c.jump(HS, NO_SIGN);
  c.emit(opReg(OP_ADD, R1, R4, R6));
  c.emit(ldrb(R0, R1, 0));
  c.emit(cmpImm(R0, 0x2d));
  c.emit(movImmC(EQ, R10, 1));
  c.emit(when(EQ, addImm(R6, R6, 1)));
  c.label(NO_SIGN);
  c.emit(cmpReg(R6, R5));
  c.jump(EQ, EINVAL);
  c.emit(opReg(OP_ADD, R7, R4, R6)); // the text after the sign
  c.emit(opReg(OP_SUB, R5, R5, R6)); // characters available: at most 63
  c.emit(cmpImm(R5, 63));
  c.emit(movImmC(HI, R5, 63));
  c.emit(movImm(R4, 0)); // prefix length
  c.emit(movImm(IP, 0));
  charAt(c, IP);
  c.emit(movReg(R0, R2)); // c0
  c.emit(movImm(IP, 1));
  charAt(c, IP);
  c.emit(opImm(OP_ORR, R1, R2, 0x20)); // c1 | 0x20
  c.emit(cmpImm(R8, 0));
  c.jump(NE, BASE_SET);
  c.emit(movImm(R8, 10));
  c.emit(cmpImm(R0, 0x30));
  c.jump(NE, BASE_SET);
  c.emit(movImm(R8, 8));
  c.emit(cmpImm(R1, 0x78));
  c.jump(NE, BASE_SET);
  c.emit(movImm(IP, 2));
  charAt(c, IP);
  c.bl(DIGIT);
  c.emit(cmpImm(R2, 16));
  c.emit(movImmC(LO, R8, 16));
  c.label(BASE_SET);
  c.emit(cmpImm(R8, 16));
  c.jump(NE, NO_PREFIX);
  c.emit(cmpImm(R0, 0x30));
  c.emit(when(EQ, cmpImm(R1, 0x78)));
  c.emit(movImmC(EQ, R4, 2));
  c.label(NO_PREFIX);
  // value = value * base + digit over 64 bits, overflow sticky in r10 bit 1
  c.emit(movImm(R0, 0));
  c.emit(movImm(R1, 0));
  c.emit(movReg(IP, R4));
  c.label(D_LOOP);
  charAt(c, IP);
  c.bl(DIGIT);
  c.emit(cmpReg(R2, R8));
  c.jump(HS, D_END);
  c.emit(umull(R3, LR, R0, R8));
  c.emit(opRegS(OP_ADD, R0, R3, R2));
  c.emit(dpImm(AL, OP_ADC, 0, LR, LR, 0));
  c.emit(umull(R3, R2, R1, R8));
  c.emit(opRegS(OP_ADD, R1, R3, LR));
  c.emit(dpImm(AL, OP_ADC, 0, R2, R2, 0));
  c.emit(cmpImm(R2, 0));
  c.emit(when(NE, opImm(OP_ORR, R10, R10, 2)));
  c.emit(addImm(IP, IP, 1));
  c.b(D_LOOP);
  c.label(D_END);
  c.emit(dpImm(AL, OP_TST, 1, 0, R10, 2));
  c.jump(NE, ERANGE);
  c.emit(cmpReg(IP, R4));
  c.jump(EQ, EINVAL); // no digits
  c.emit(opReg(OP_ADD, R6, R6, IP)); // characters consumed
  c.emit(cmpImm(R9, 0));
  c.jump(EQ, UNSIGNED);
  c.emit(dpImm(AL, OP_TST, 1, 0, R10, 1));
  c.jump(EQ, DIGITS);
  // negative: 0 - value must not be above 0 as a signed number
  c.emit(opImmS(OP_RSB, R0, R0, 0));
  c.emit(dpImm(AL, OP_RSC, 0, R1, R1, 0));
  c.emit(cmpImm(R1, 0));
  c.jump(GT, ERANGE);
  c.jump(MI, STORE);
  c.emit(cmpImm(R0, 0));
  c.jump(NE, ERANGE);
  c.b(STORE);
  c.label(DIGITS); // positive: at most INT64_MAX
  c.emit(cmpImm(R1, 0));
  c.jump(MI, ERANGE);
  c.b(STORE);
  c.label(UNSIGNED);
  c.emit(dpImm(AL, OP_TST, 1, 0, R10, 1));
  c.jump(NE, EINVAL);
  c.label(STORE);
  argLo(c, R2, 4);
  c.emit(str(R0, R2, 0));
  c.emit(str(R1, R2, 4));
  c.emit(movReg(R0, R6));
  c.emit(movImm(R1, 0));
  c.b(HC_RETURN);
  c.label(EINVAL);
  c.emit(dpImm(AL, OP_MVN, 0, R0, 0, 21)); // -EINVAL
  c.emit(dpImm(AL, OP_MVN, 0, R1, 0, 0));
  c.b(HC_RETURN);
  c.label(ERANGE);
  c.emit(dpImm(AL, OP_MVN, 0, R0, 0, 33)); // -ERANGE
  c.emit(dpImm(AL, OP_MVN, 0, R1, 0, 0));
  c.b(HC_RETURN);

  // digit: r2 = a character -> its value in bases up to 16, or 99 (uses r3)
  c.label(DIGIT);
  c.emit(subImm(R3, R2, 0x30));
  c.emit(cmpImm(R3, 10));
  c.jump(HS, DIGIT_LETTER);
  c.emit(movReg(R2, R3));
  c.emit(bx(LR));
  c.label(DIGIT_LETTER);
  c.emit(opImm(OP_ORR, R3, R2, 0x20));
  c.emit(subImm(R3, R3, 0x61));
  c.emit(cmpImm(R3, 6));
  c.emit(when(LO, addImm(R2, R3, 10)));
  c.emit(movImmC(HS, R2, 99));
  c.emit(bx(LR));
}
