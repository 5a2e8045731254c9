// Formatted output: trace_printk (6) and snprintf (165), with the host's semantics (src/host-helpers.ts,
// src/printk.ts): %% and %[flags 0+- ][width]conv with conv d i u x X (l / ll: 64 bits, else 32), c, s, pks, pus,
// p, pK, px (16 zero-padded hex digits without a width), ps, pS ("0x" and hex). Anything else, a character that is
// not printable ASCII, or more conversions than arguments: -EINVAL, nothing written. Text read from memory (%s,
// %c) is Latin-1 and comes out as UTF-8, as the host prints it.
//
// trace_printk(fmt, fmt_size, a1, a2, a3) writes its text (at most 511 characters) to standard error at once,
// where `tinybpf run` prints it, and returns its length. snprintf(str, size, fmt, data, data_len) formats twice:
// once to find the length (and refuse a bad format before writing anything), once into str (size - 1 bytes and a
// NUL); it returns the full length + 1. An unreadable format or argument array, or a destination the program may
// not write, is the host helper's fault: the line the interpreter prints, `helper N failed: ... (instruction I)`,
// on standard error, exit status 1.

import {
  emit, emitConst, emitByte, align4, R0, R1, R2, R3, R4, R5, R6, R7, R8, R9, R10, R11, IP, SP, LR, PC, AL, EQ, NE,
  HS, LO, HI, LS, LE, GE, MI, SVC0, ldr, str, ldrb, strb, movImm, movImmC, movReg, movRegC, mla, cmpImm, cmpReg, opReg, opRegS, opImm,
  opImmS, dpImm, dpReg, push, pop, bit, bx, addImm, subImm, strbPreDec, shiftImm, OP_ADD, OP_SUB, OP_ORR, OP_AND,
  OP_MVN, OP_RSB, OP_RSC, OP_TST, OP_MOV, SH_LSL, SH_LSR, SH_ASR,
} from "../../../assembly/arm32/a32/encoder";
import {
  label, b, bl, jump, call, addressOf, S_HELPER_STATE, S_HELPER_LR, S_REGS, S_BUF, L_UDIVMOD64, L_FAULT_INDEX,
  L_CODE, L_HELPERS, L_PROG_STARTS,
} from "../image";
import { programStarts } from "../../../assembly/arm32/jit/calls";
import { helperEntry, argLo, argHi, HC_RETURN, HC_ALLOWED, HC_READABLE_END } from "./common";

export const H_PRINTK = L_HELPERS + 15;
export const H_SNPRINTF = L_HELPERS + 16;
const FL = L_HELPERS + 120; // local labels: L_HELPERS + 120 .. 199
const RUN = FL + 0;
const R_LOOP = FL + 1;
const R_OK = FL + 2;
const R_ERR = FL + 3;
const R_PLAIN = FL + 4;
const R_CONV = FL + 5;
const R_FLAGS = FL + 6;
const R_FLAG_SET = FL + 7;
const R_WIDTH = FL + 8;
const R_W_LOOP = FL + 9;
const R_W_DONE = FL + 10;
const R_NOT_P = FL + 11;
const R_NOT_S = FL + 12;
const R_NOT_C = FL + 13;
const R_INT = FL + 14;
const R_32 = FL + 15;
const R_SIGNED = FL + 16;
const R_UNSIGNED = FL + 17;
const R_NUMBER = FL + 18;
const R_P_POINTER = FL + 19;
const R_P_CODE = FL + 20;
const R_P_STRING = FL + 21;
const R_STRING = FL + 22;
const R_PRINTABLE = FL + 23;
const OUT = FL + 24;
const OUT_GO = FL + 25;
const OUT_B = FL + 26;
const OUT_SKIP = FL + 27;
const FILL = FL + 28;
const FILL_LOOP = FL + 29;
const FILL_DONE = FL + 30;
const TEXT = FL + 31;
const TEXT_LOOP = FL + 32;
const DIGITS = FL + 33;
const DG_LOOP = FL + 34;
const DG_DEC = FL + 35;
const DG_CHAR = FL + 36;
const NUMBER = FL + 37;
const N_LEFT = FL + 38;
const N_ZERO = FL + 39;
const N_DONE = FL + 40;
const PADTEXT = FL + 41;
const PT_LEFT = FL + 42;
const STRLEN = FL + 43;
const SL_LOOP = FL + 44;
const SL_HAVE = FL + 45;
const SL_DONE = FL + 46;
const SIGN_DIGITS = FL + 47;
const SD_NOSIGN = FL + 48;
const HOST_FAULT = FL + 49;
const HF_WRITE = FL + 50;
const STR_TEXT = FL + 51; // 8 strings
const PK_EINVAL = FL + 60;
const PK_NUL = FL + 61;
const PK_END = FL + 62;
const PK_FAULT = FL + 63;
const SN_EINVAL = FL + 64;
const SN_FMT = FL + 65;
const SN_ARGS = FL + 66;
const SN_NO_OUT = FL + 67;
const SN_ARGS_FAULT = FL + 68;
const SN_OUT_FAULT = FL + 69;
const R_LONG = FL + 70;
const R_P_K = FL + 71;
const R_P_PLAIN = FL + 72;
const N_FILL = FL + 73;
const STR_EMPTY = FL + 74;
const HF_KIND = FL + 75;
const HF_TAIL = FL + 76;
const PK_FIND = FL + 77;
const HF_PROG = FL + 79;
const DG_STORE = FL + 78;

// The helpers' state (image.ts S_HELPER_STATE; bytes 0-7 are get_prandom_u32's)
const F_ARGS = S_HELPER_STATE + 8; // address of the arguments (u64 each)
const F_NARGS = S_HELPER_STATE + 12;
const F_PRINTK = S_HELPER_STATE + 16; // 1: trace_printk, whose text stops at 511 characters
const F_FLAGS = S_HELPER_STATE + 20; // 1 '-', 2 '0', 4 '+', 8 ' '
const F_WIDTH = S_HELPER_STATE + 24; // -1: none
const F_ARG = S_HELPER_STATE + 28; // the conversion's argument (u64)
const F_FILL = S_HELPER_STATE + 36;
const F_SIZE = S_HELPER_STATE + 40; // a host fault's size (u64) and address (u64)
const F_ADDR = S_HELPER_STATE + 48;

const PRINTK_MAX_CHARS: u32 = 511; // bpf_trace_printk's buffer: 511 characters and the NUL
const PRINTK_BUFFER: u32 = 1024; // 511 characters as UTF-8 (at most 2 bytes each)
const WIDTH_MAX: u32 = (1 << 23) - 1; // vsprintf clamps wider fields
const SNPRINTF_MAX_ARGS_BYTES: u32 = 12 * 8;

const FAULT_TEXTS: string[] = [
  "helper 6 failed: trace_printk format: ", "helper 165 failed: snprintf arguments: ", "helper 165 failed: snprintf: ",
  " bytes at 0x", " are not readable", " are not writable", " (instruction ", ")\n", ": ",
];

@inline function when(cond: u32, word: u32): u32 { return (word & 0x0fffffff) | (cond << 28); }
/** ldrb rt, [rn, rm] / strb rt, [rn, rm] */
function ldrbReg(rt: i32, rn: i32, rm: i32): u32 { return 0xe7d00000 | (<u32>rn << 16) | (<u32>rt << 12) | <u32>rm; }
function strbReg(rt: i32, rn: i32, rm: i32): u32 { return 0xe7c00000 | (<u32>rn << 16) | (<u32>rt << 12) | <u32>rm; }

/** r0 = the format's character at r4 + k, or 0 past its end (r5). Uses r1. */
function peek(k: u32): void {
  emit(addImm(R1, R4, k));
  emit(cmpReg(R1, R5));
  emit(when(LO, ldrb(R0, R1, 0)));
  emit(movImmC(HS, R0, 0));
}

export function emitFormatHelpers(printk: bool, snprintf: bool): void {
  emitRun();
  emitOutput();
  emitHostFault();
  if (printk) emitPrintk();
  if (snprintf) emitSnprintf();
}

/**
 * run: formats [r4, r5) with the arguments at F_ARGS; r9 = destination (0: count only), r10 = bytes it holds.
 * r7 = characters, r8 = bytes of the whole text (both start at 0 here) -> r0 = 0, or 1 for a format the kernel
 * refuses. Keeps r9-r10; uses r0-r6, ip.
 */
function emitRun(): void {
  label(RUN);
  emit(push(bit(LR)));
  emit(movImm(R6, 0)); // the next argument
  emit(movImm(R7, 0));
  emit(movImm(R8, 0));
  label(R_LOOP);
  emit(cmpReg(R4, R5));
  jump(HS, R_OK);
  emit(ldrb(R0, R4, 0));
  bl(R_PRINTABLE);
  jump(NE, R_ERR);
  emit(cmpImm(R0, 0x25)); // '%'
  jump(NE, R_PLAIN);
  peek(1);
  emit(cmpImm(R0, 0x25));
  jump(NE, R_CONV);
  emit(addImm(R4, R4, 1));
  label(R_PLAIN);
  emit(ldrb(R0, R4, 0));
  emit(addImm(R4, R4, 1));
  bl(OUT);
  b(R_LOOP);
  label(R_OK);
  emit(movImm(R0, 0));
  emit(pop(bit(PC)));
  label(R_ERR);
  emit(movImm(R0, 1));
  emit(pop(bit(PC)));

  // printable: r0 -> Z set for printable ASCII and \t \n \v \f \r (uses r1)
  label(R_PRINTABLE);
  emit(subImm(R1, R0, 0x20));
  emit(cmpImm(R1, 0x7e - 0x20));
  emit(when(HI, subImm(R1, R0, 9)));
  emit(when(HI, cmpImm(R1, 4)));
  emit(movImmC(LS, R1, 0));
  emit(movImmC(HI, R1, 1));
  emit(cmpImm(R1, 0));
  emit(bx(LR));

  label(R_CONV);
  emit(ldr(R1, R11, F_NARGS));
  emit(cmpReg(R6, R1));
  jump(HS, R_ERR); // more conversions than arguments
  emit(ldr(R1, R11, F_ARGS));
  emit(dpReg(AL, OP_ADD, 0, R1, R1, R6, SH_LSL, 3));
  emit(ldr(R2, R1, 0));
  emit(ldr(R3, R1, 4));
  emit(str(R2, R11, F_ARG));
  emit(str(R3, R11, F_ARG + 4));
  emit(addImm(R6, R6, 1));
  emit(addImm(R4, R4, 1));
  emit(movImm(R2, 0)); // flags
  label(R_FLAGS);
  peek(0);
  const flagChars: u32[] = [0x2d, 0x30, 0x2b, 0x20]; // '-' '0' '+' ' '
  for (let k = 0; k < 4; k++) {
    emit(cmpImm(R0, flagChars[k]));
    emit(movImmC(EQ, R3, <u32>1 << <u32>k));
    jump(EQ, R_FLAG_SET);
  }
  b(R_WIDTH);
  label(R_FLAG_SET);
  emit(opReg(OP_ORR, R2, R2, R3));
  emit(addImm(R4, R4, 1));
  b(R_FLAGS);
  label(R_WIDTH);
  emit(dpImm(AL, OP_TST, 1, 0, R2, 1));
  emit(when(NE, opImm(0xe, R2, R2, 2))); // '-' wins over '0' (bic r2, r2, #2)
  emit(str(R2, R11, F_FLAGS));
  emit(dpImm(AL, OP_MVN, 0, R2, 0, 0)); // width -1: none
  emit(subImm(R1, R0, 0x31));
  emit(cmpImm(R1, 8));
  jump(HI, R_W_DONE);
  emit(movImm(R2, 0));
  emitConst(R3, WIDTH_MAX);
  label(R_W_LOOP);
  peek(0);
  emit(subImm(R0, R0, 0x30));
  emit(cmpImm(R0, 9));
  jump(HI, R_W_DONE);
  emit(movImm(IP, 10));
  emit(mla(R2, R2, IP, R0));
  emit(cmpReg(R2, R3));
  emit(movRegC(HI, R2, R3));
  emit(addImm(R4, R4, 1));
  b(R_W_LOOP);
  label(R_W_DONE);
  emit(str(R2, R11, F_WIDTH));
  peek(0);
  emit(cmpImm(R0, 0x70)); // 'p'
  jump(NE, R_NOT_P);
  peek(1);
  emit(movReg(R2, R0));
  emit(cmpImm(R2, 0x6b)); // 'k'
  emit(when(NE, cmpImm(R2, 0x75))); // 'u'
  jump(NE, R_P_K);
  peek(2);
  emit(cmpImm(R0, 0x73)); // 's'
  jump(NE, R_ERR);
  emit(addImm(R4, R4, 3));
  b(R_STRING);
  label(R_P_K);
  emit(cmpImm(R2, 0x73)); // 's'
  emit(when(NE, cmpImm(R2, 0x53))); // 'S'
  jump(EQ, R_P_CODE);
  // %p, %pK, %px; punctuation or white space after a bare %p is ordinary text
  emit(cmpImm(R2, 0x4b));
  emit(when(NE, cmpImm(R2, 0x78)));
  emit(when(EQ, addImm(R4, R4, 1)));
  jump(EQ, R_P_POINTER);
  emit(cmpImm(R2, 0));
  jump(EQ, R_P_POINTER);
  emit(subImm(R1, R2, 9));
  emit(cmpImm(R1, 4));
  jump(LS, R_P_POINTER);
  emit(cmpImm(R2, 0x20));
  emit(when(NE, cmpImm(R2, 0xa0)));
  jump(EQ, R_P_POINTER);
  emit(subImm(R1, R2, 0x21));
  emit(cmpImm(R1, 0x2f - 0x21));
  jump(LS, R_P_POINTER);
  emit(subImm(R1, R2, 0x3a));
  emit(cmpImm(R1, 0x40 - 0x3a));
  jump(LS, R_P_POINTER);
  emit(subImm(R1, R2, 0x5b));
  emit(cmpImm(R1, 0x60 - 0x5b));
  jump(LS, R_P_POINTER);
  emit(subImm(R1, R2, 0x7b));
  emit(cmpImm(R1, 0x7e - 0x7b));
  jump(HI, R_ERR);
  label(R_P_POINTER);
  emit(addImm(R4, R4, 1));
  emit(ldr(R0, R11, F_ARG));
  emit(ldr(R1, R11, F_ARG + 4));
  emit(movImm(R2, 16));
  emit(movImm(R3, 0));
  bl(DIGITS);
  emit(ldr(R2, R11, F_WIDTH));
  emit(cmpImm(R2, 0));
  jump(GE, R_P_PLAIN);
  emit(movImm(R2, 16)); // no width: 16 digits, zero-padded
  emit(str(R2, R11, F_WIDTH));
  emit(ldr(R2, R11, F_FLAGS));
  emit(opImm(OP_ORR, R2, R2, 2));
  emit(str(R2, R11, F_FLAGS));
  label(R_P_PLAIN);
  emit(movReg(R2, R1));
  emit(movReg(R1, R0));
  emit(movImm(R0, 0));
  bl(NUMBER);
  b(R_LOOP);
  label(R_P_CODE); // %ps, %pS: "0x" and the hex digits, padded as text
  emit(addImm(R4, R4, 2));
  emit(ldr(R0, R11, F_ARG));
  emit(ldr(R1, R11, F_ARG + 4));
  emit(movImm(R2, 16));
  emit(movImm(R3, 0));
  bl(DIGITS);
  emit(movImm(R2, 0x78));
  emit(strbPreDec(R2, R0));
  emit(movImm(R2, 0x30));
  emit(strbPreDec(R2, R0));
  emit(addImm(R1, R1, 2));
  bl(PADTEXT);
  b(R_LOOP);

  label(R_NOT_P);
  emit(cmpImm(R0, 0x73)); // 's'
  jump(NE, R_NOT_S);
  emit(addImm(R4, R4, 1));
  label(R_STRING);
  emit(ldr(R0, R11, F_ARG));
  emit(ldr(R1, R11, F_ARG + 4));
  emit(cmpImm(R1, 0));
  jump(NE, STR_EMPTY);
  bl(STRLEN);
  bl(PADTEXT);
  b(R_LOOP);
  label(STR_EMPTY); // not readable at all: ""
  emit(movImm(R1, 0));
  bl(PADTEXT);
  b(R_LOOP);

  label(R_NOT_S);
  emit(cmpImm(R0, 0x63)); // 'c'
  jump(NE, R_NOT_C);
  emit(addImm(R4, R4, 1));
  emit(ldr(R1, R11, F_ARG));
  emit(addImm(R0, R11, S_BUF));
  emit(strb(R1, R0, 0));
  emit(movImm(R1, 1));
  bl(PADTEXT);
  b(R_LOOP);

  label(R_NOT_C);
  emit(movImm(R3, 32)); // bits
  emit(cmpImm(R0, 0x6c)); // 'l'
  jump(NE, R_INT);
  emit(movImm(R3, 64));
  emit(addImm(R4, R4, 1));
  peek(0);
  emit(cmpImm(R0, 0x6c));
  emit(when(EQ, addImm(R4, R4, 1)));
  label(R_INT);
  peek(0);
  emit(addImm(R4, R4, 1));
  emit(ldr(R1, R11, F_ARG + 4));
  emit(cmpImm(R3, 32));
  emit(movImmC(EQ, R1, 0));
  emit(ldr(IP, R11, F_ARG));
  emit(cmpImm(R0, 0x64)); // 'd'
  emit(when(NE, cmpImm(R0, 0x69))); // 'i'
  jump(EQ, R_SIGNED);
  emit(movImm(R2, 10));
  emit(movImm(R3, 0));
  emit(cmpImm(R0, 0x75)); // 'u'
  jump(EQ, R_UNSIGNED);
  emit(movImm(R2, 16));
  emit(cmpImm(R0, 0x78)); // 'x'
  jump(EQ, R_UNSIGNED);
  emit(movImm(R3, 1));
  emit(cmpImm(R0, 0x58)); // 'X'
  jump(NE, R_ERR);
  label(R_UNSIGNED);
  emit(movReg(R0, IP));
  bl(DIGITS);
  emit(movReg(R2, R1));
  emit(movReg(R1, R0));
  emit(movImm(R0, 0));
  bl(NUMBER);
  b(R_LOOP);
  label(R_SIGNED); // ip = the low word, r1 = the high word (32 bits: sign-extended here)
  emit(cmpImm(R3, 32));
  emit(when(EQ, dpReg(AL, OP_MOV, 0, R1, 0, IP, SH_ASR, 31)));
  emit(movReg(R0, IP));
  emit(ldr(R2, R11, F_FLAGS));
  emit(movImm(IP, 0)); // the sign: '+' before ' ', '-' for negative numbers
  emit(dpImm(AL, OP_TST, 1, 0, R2, 8));
  emit(movImmC(NE, IP, 0x20));
  emit(dpImm(AL, OP_TST, 1, 0, R2, 4));
  emit(movImmC(NE, IP, 0x2b));
  emit(cmpImm(R1, 0));
  jump(GE, R_NUMBER);
  emit(opImmS(OP_RSB, R0, R0, 0));
  emit(dpImm(AL, OP_RSC, 0, R1, R1, 0));
  emit(movImm(IP, 0x2d));
  label(R_NUMBER);
  emit(push(bit(IP)));
  emit(movImm(R2, 10));
  emit(movImm(R3, 0));
  bl(DIGITS);
  emit(movReg(R2, R1));
  emit(movReg(R1, R0));
  emit(pop(bit(R0)));
  bl(NUMBER);
  b(R_LOOP);
}

/**
 * The output routines. out: r0 = a character (Latin-1) -> counted in r7, its UTF-8 bytes in r8, stored at r9 + r8
 * while r8 < r10 (r9 = 0: nowhere); with F_PRINTK, characters past the 511th are dropped. Uses r0-r2.
 */
function emitOutput(): void {
  label(OUT);
  emit(ldr(R1, R11, F_PRINTK));
  emit(cmpImm(R1, 0));
  jump(EQ, OUT_GO);
  emitConst(R1, PRINTK_MAX_CHARS);
  emit(cmpReg(R7, R1));
  emit(when(HS, bx(LR)));
  label(OUT_GO);
  emit(addImm(R7, R7, 1));
  emit(movReg(R1, R0));
  emit(cmpImm(R0, 0x80));
  jump(LO, OUT_B);
  emit(push(bit(R0) | bit(LR)));
  emit(shiftImm(SH_LSR, R1, R0, 6));
  emit(opImm(OP_ORR, R1, R1, 0xc0));
  bl(OUT_B);
  emit(pop(bit(R0) | bit(LR)));
  emit(opImm(OP_AND, R1, R0, 0x3f));
  emit(opImm(OP_ORR, R1, R1, 0x80));
  // out_b: r1 = one byte
  label(OUT_B);
  emit(cmpImm(R9, 0));
  jump(EQ, OUT_SKIP);
  emit(cmpReg(R8, R10));
  emit(when(LO, strbReg(R1, R9, R8)));
  label(OUT_SKIP);
  emit(addImm(R8, R8, 1));
  emit(bx(LR));

  // fill: r0 = a character, r1 = how many (<= 0: none). Uses r0-r3.
  label(FILL);
  emit(push(bit(R0) | bit(R1) | bit(LR)));
  label(FILL_LOOP);
  emit(ldr(R1, SP, 4));
  emit(opImmS(OP_SUB, R1, R1, 1));
  jump(MI, FILL_DONE);
  emit(str(R1, SP, 4));
  emit(ldr(R0, SP, 0));
  bl(OUT);
  b(FILL_LOOP);
  label(FILL_DONE);
  emit(pop(bit(R0) | bit(R1) | bit(PC)));

  // text: r0 = address, r1 = length: each byte as a character. Uses r0-r3.
  label(TEXT);
  emit(push(bit(R0) | bit(R1) | bit(LR)));
  label(TEXT_LOOP);
  emit(ldr(R1, SP, 4));
  emit(opImmS(OP_SUB, R1, R1, 1));
  jump(MI, FILL_DONE);
  emit(str(R1, SP, 4));
  emit(ldr(R1, SP, 0));
  emit(ldrb(R0, R1, 0));
  emit(addImm(R1, R1, 1));
  emit(str(R1, SP, 0));
  bl(OUT);
  b(TEXT_LOOP);

  // digits: r0:r1 = a value, r2 = base (10 or 16), r3 = 1 for upper-case hex -> r0 = address of its digits
  // (in S_BUF, which has room before them), r1 = their count. Uses r0-r3, ip.
  label(DIGITS);
  emit(push(bit(R4) | bit(R5) | bit(R6) | bit(LR)));
  emit(movReg(R4, R2));
  emit(movReg(R5, R3));
  emit(addImm(R6, R11, S_BUF + 32));
  label(DG_LOOP);
  emit(cmpImm(R4, 16));
  jump(NE, DG_DEC);
  emit(opImm(OP_AND, R2, R0, 15));
  emit(shiftImm(SH_LSR, R0, R0, 4));
  emit(dpReg(AL, OP_ORR, 0, R0, R0, R1, SH_LSL, 28));
  emit(shiftImm(SH_LSR, R1, R1, 4));
  b(DG_CHAR);
  label(DG_DEC);
  emit(movImm(R2, 10));
  emit(movImm(R3, 0));
  bl(L_UDIVMOD64);
  label(DG_CHAR);
  emit(cmpImm(R2, 10));
  emit(when(LO, addImm(R2, R2, 0x30)));
  emit(when(HS, addImm(R2, R2, 0x61 - 10)));
  emit(cmpImm(R5, 0));
  jump(EQ, DG_STORE);
  emit(cmpImm(R2, 0x61));
  emit(when(HS, subImm(R2, R2, 0x20))); // upper case: letters only
  label(DG_STORE);
  emit(strbPreDec(R2, R6));
  emit(opRegS(OP_ORR, IP, R0, R1));
  jump(NE, DG_LOOP);
  emit(movReg(R0, R6));
  emit(addImm(R1, R11, S_BUF + 32));
  emit(opReg(OP_SUB, R1, R1, R6));
  emit(pop(bit(R4) | bit(R5) | bit(R6) | bit(PC)));

  // number: r0 = sign character (0: none), r1 = digits, r2 = their count: padded to F_WIDTH, zeros between the
  // sign and the digits with '0', spaces after them with '-', else before. Uses r0-r3, ip.
  label(NUMBER);
  emit(push(bit(R4) | bit(R5) | bit(R6) | bit(LR)));
  emit(movReg(R4, R0));
  emit(movReg(R5, R1));
  emit(movReg(R6, R2));
  emit(ldr(R0, R11, F_WIDTH));
  emit(opReg(OP_SUB, R0, R0, R6));
  emit(cmpImm(R4, 0));
  emit(when(NE, subImm(R0, R0, 1)));
  emit(str(R0, R11, F_FILL));
  emit(cmpImm(R0, 0));
  jump(LE, N_DONE);
  emit(ldr(R1, R11, F_FLAGS));
  emit(dpImm(AL, OP_TST, 1, 0, R1, 1));
  jump(NE, N_LEFT);
  emit(dpImm(AL, OP_TST, 1, 0, R1, 2));
  jump(NE, N_ZERO);
  emit(movImm(R0, 0x20));
  emit(ldr(R1, R11, F_FILL));
  bl(FILL);
  label(N_DONE);
  bl(SIGN_DIGITS);
  emit(pop(bit(R4) | bit(R5) | bit(R6) | bit(PC)));
  label(N_LEFT);
  bl(SIGN_DIGITS);
  emit(movImm(R0, 0x20));
  label(N_FILL);
  emit(ldr(R1, R11, F_FILL));
  bl(FILL);
  emit(pop(bit(R4) | bit(R5) | bit(R6) | bit(PC)));
  label(N_ZERO);
  emit(cmpImm(R4, 0));
  emit(movReg(R0, R4));
  call(NE, OUT);
  emit(movImm(R4, 0));
  emit(movImm(R0, 0x30));
  emit(ldr(R1, R11, F_FILL));
  bl(FILL);
  bl(SIGN_DIGITS);
  emit(pop(bit(R4) | bit(R5) | bit(R6) | bit(PC)));
  // sign_digits: r4 = sign (0: none), r5 = digits, r6 = count (NUMBER's registers)
  label(SIGN_DIGITS);
  emit(push(bit(LR)));
  emit(movReg(R0, R4));
  emit(cmpImm(R0, 0));
  call(NE, OUT);
  emit(movReg(R0, R5));
  emit(movReg(R1, R6));
  bl(TEXT);
  emit(pop(bit(PC)));

  // padtext: r0 = text, r1 = its length: spaces to F_WIDTH, after it with '-', else before. Uses r0-r3, ip.
  label(PADTEXT);
  emit(push(bit(R4) | bit(R5) | bit(R6) | bit(LR)));
  emit(movReg(R5, R0));
  emit(movReg(R6, R1));
  emit(ldr(R0, R11, F_WIDTH));
  emit(opReg(OP_SUB, R0, R0, R6));
  emit(str(R0, R11, F_FILL));
  emit(movImm(R4, 0));
  emit(ldr(R1, R11, F_FLAGS));
  emit(dpImm(AL, OP_TST, 1, 0, R1, 1));
  jump(NE, PT_LEFT);
  emit(movImm(R0, 0x20));
  emit(ldr(R1, R11, F_FILL));
  bl(FILL);
  bl(SIGN_DIGITS);
  emit(pop(bit(R4) | bit(R5) | bit(R6) | bit(PC)));
  label(PT_LEFT);
  bl(SIGN_DIGITS);
  emit(movImm(R0, 0x20));
  b(N_FILL);

  // strlen: r0 = address -> r0 = address, r1 = the readable characters before a NUL (at most 4096), as the
  // host's readString. Uses r0-r3, ip.
  label(STRLEN);
  emit(push(bit(R4) | bit(R5) | bit(R6) | bit(LR)));
  emit(movReg(R4, R0));
  emit(movImm(R5, 0));
  emit(movImm(R6, 0)); // end of the readable region in use
  label(SL_LOOP);
  emit(cmpImm(R5, 4096));
  jump(HS, SL_DONE);
  emit(opReg(OP_ADD, R0, R4, R5));
  emit(cmpReg(R0, R6));
  jump(LO, SL_HAVE);
  bl(HC_READABLE_END);
  emit(movs0());
  jump(EQ, SL_DONE);
  emit(movReg(R6, R0));
  emit(opReg(OP_ADD, R0, R4, R5));
  label(SL_HAVE);
  emit(ldrb(R1, R0, 0));
  emit(cmpImm(R1, 0));
  jump(EQ, SL_DONE);
  emit(addImm(R5, R5, 1));
  b(SL_LOOP);
  label(SL_DONE);
  emit(movReg(R0, R4));
  emit(movReg(R1, R5));
  emit(pop(bit(R4) | bit(R5) | bit(R6) | bit(PC)));
}

/** cmp r0, #0 */
function movs0(): u32 { return cmpImm(R0, 0); }

/**
 * host_fault: r0 = which message (0: trace_printk format, 1: snprintf arguments, 2: snprintf destination), its
 * size and address at F_SIZE / F_ADDR. Writes the interpreter's fault line to standard error and exits with 1.
 */
function emitHostFault(): void {
  label(HOST_FAULT);
  emit(movReg(R4, R0));
  emit(ldr(R0, R11, S_HELPER_LR)); // the call's instruction index
  emit(subImm(R0, R0, 4));
  addressOf(R1, L_CODE, 0);
  emit(opReg(OP_SUB, R0, R0, R1));
  bl(L_FAULT_INDEX);
  if (programStarts > 1) {
    // several programs in the image (tail calls): name the one that was running, the index its own, as the
    // driver does (L_PROG_STARTS: first instruction, name address, name length per program)
    addressOf(R5, L_PROG_STARTS, 0);
    emitConst(R6, <u32>programStarts);
    emit(movImm(R3, 0));
    label(HF_PROG);
    emit(ldr(IP, R5, 0));
    emit(cmpReg(R0, IP));
    emit(movRegC(HS, R3, IP));
    emit(when(HS, ldr(R8, R5, 4)));
    emit(when(HS, ldr(R9, R5, 8)));
    emit(addImm(R5, R5, 12));
    emit(opImmS(OP_SUB, R6, R6, 1));
    jump(NE, HF_PROG);
    emit(opReg(OP_SUB, R0, R0, R3));
    emit(str(R0, R11, F_FILL));
    emit(movReg(R1, R8));
    emit(movReg(R2, R9));
    bl(HF_WRITE);
    addressOf(R1, STR_TEXT, 320); // ": "
    emit(movImm(R2, 40));
    bl(HF_WRITE);
  } else {
    emit(str(R0, R11, F_FILL));
  }
  addressOf(R1, STR_TEXT, 0);
  emit(cmpImm(R4, 1));
  emit(when(EQ, addImm(R1, R1, 40)));
  emit(when(HI, addImm(R1, R1, 80)));
  emit(movImm(R2, 40));
  bl(HF_WRITE);
  emit(ldr(R0, R11, F_SIZE));
  emit(ldr(R1, R11, F_SIZE + 4));
  emit(movImm(R2, 10));
  emit(movImm(R3, 0));
  bl(DIGITS);
  emit(movReg(R2, R1));
  emit(movReg(R1, R0));
  bl(HF_WRITE);
  addressOf(R1, STR_TEXT, 120);
  emit(movImm(R2, 40));
  bl(HF_WRITE);
  emit(ldr(R0, R11, F_ADDR));
  emit(ldr(R1, R11, F_ADDR + 4));
  emit(movImm(R2, 16));
  emit(movImm(R3, 0));
  bl(DIGITS);
  emit(movReg(R2, R1));
  emit(movReg(R1, R0));
  bl(HF_WRITE);
  addressOf(R1, STR_TEXT, 160);
  emit(cmpImm(R4, 2));
  emit(when(EQ, addImm(R1, R1, 40)));
  emit(movImm(R2, 40));
  bl(HF_WRITE);
  addressOf(R1, STR_TEXT, 240);
  emit(movImm(R2, 40));
  bl(HF_WRITE);
  emit(ldr(R0, R11, F_FILL));
  emit(movImm(R1, 0));
  emit(movImm(R2, 10));
  emit(movImm(R3, 0));
  bl(DIGITS);
  emit(movReg(R2, R1));
  emit(movReg(R1, R0));
  bl(HF_WRITE);
  addressOf(R1, STR_TEXT, 280);
  emit(movImm(R2, 40));
  bl(HF_WRITE);
  emit(movImm(R0, 1));
  emit(movImm(R7, 1)); // exit
  emit(SVC0);
  // hf_write: r1 = text (NUL-padded to r2 bytes at most: written up to its NUL), to standard error
  label(HF_WRITE);
  emit(push(bit(R7) | bit(LR)));
  emit(movImm(R3, 0));
  label(HF_TAIL);
  emit(cmpReg(R3, R2));
  jump(HS, HF_KIND);
  emit(ldrbReg(R0, R1, R3));
  emit(cmpImm(R0, 0));
  emit(when(NE, addImm(R3, R3, 1)));
  jump(NE, HF_TAIL);
  label(HF_KIND);
  emit(movReg(R2, R3));
  emit(movImm(R0, 2));
  emit(movImm(R7, 4)); // write
  emit(SVC0);
  emit(pop(bit(R7) | bit(PC)));
  // the texts, 40 bytes each (NUL-padded)
  label(STR_TEXT);
  for (let k = 0; k < FAULT_TEXTS.length; k++) {
    const t = FAULT_TEXTS[k];
    for (let i = 0; i < 40; i++) emitByte(i < t.length ? <u32>t.charCodeAt(i) : 0);
  }
}

/** r0:r1 = -EINVAL, then the helper's end. */
function returnEinval(): void {
  emit(dpImm(AL, OP_MVN, 0, R0, 0, 21));
  emit(dpImm(AL, OP_MVN, 0, R1, 0, 0));
  b(HC_RETURN);
}

/** trace_printk(fmt, fmt_size, a1, a2, a3) */
function emitPrintk(): void {
  label(H_PRINTK);
  helperEntry();
  argLo(R4, 1); // fmt
  argHi(R1, 1);
  argLo(R5, 2); // fmt_size: every byte must be readable
  argHi(R2, 2);
  emit(str(R5, R11, F_SIZE));
  emit(str(R2, R11, F_SIZE + 4));
  emit(str(R4, R11, F_ADDR));
  emit(str(R1, R11, F_ADDR + 4));
  emit(cmpImm(R2, 0));
  jump(NE, PK_FAULT);
  emit(cmpImm(R5, 0));
  jump(EQ, PK_FIND);
  emit(movReg(R0, R4));
  emit(movReg(R2, R5));
  emit(movImm(R3, 0));
  bl(HC_ALLOWED);
  emit(cmpImm(R0, 0));
  jump(EQ, PK_FAULT);
  label(PK_FIND); // the format ends at its first NUL
  emit(opReg(OP_ADD, R5, R4, R5));
  emit(movReg(R0, R4));
  label(PK_NUL);
  emit(cmpReg(R0, R5));
  jump(HS, PK_END);
  emit(ldrb(R1, R0, 0));
  emit(cmpImm(R1, 0));
  emit(when(NE, addImm(R0, R0, 1)));
  jump(NE, PK_NUL);
  emit(movReg(R5, R0));
  label(PK_END);
  emit(addImm(R0, R11, S_REGS + 24)); // a1-a3: r3-r5
  emit(str(R0, R11, F_ARGS));
  emit(movImm(R0, 3));
  emit(str(R0, R11, F_NARGS));
  emit(movImm(R0, 1));
  emit(str(R0, R11, F_PRINTK));
  emit(subImm(SP, SP, PRINTK_BUFFER));
  emit(movReg(R9, SP));
  emit(movImm(R10, PRINTK_BUFFER));
  bl(RUN);
  emit(cmpImm(R0, 0));
  emit(when(NE, addImm(SP, SP, PRINTK_BUFFER)));
  jump(NE, PK_EINVAL);
  emit(movReg(R6, R7));
  emit(movImm(R0, 2)); // write(2, buffer, bytes)
  emit(movReg(R1, SP));
  emit(movReg(R2, R8));
  emit(movImm(R7, 4));
  emit(SVC0);
  emit(addImm(SP, SP, PRINTK_BUFFER));
  emit(movReg(R0, R6));
  emit(movImm(R1, 0));
  b(HC_RETURN);
  label(PK_EINVAL);
  returnEinval();
  label(PK_FAULT);
  emit(movImm(R0, 0));
  b(HOST_FAULT);
}

/** snprintf(str, str_size, fmt, data, data_len) */
function emitSnprintf(): void {
  label(H_SNPRINTF);
  helperEntry();
  argLo(R6, 5); // data_len: a multiple of 8, at most 12 arguments
  argHi(R0, 5);
  emit(cmpImm(R0, 0));
  jump(NE, SN_EINVAL);
  emit(dpImm(AL, OP_TST, 1, 0, R6, 7));
  jump(NE, SN_EINVAL);
  emit(cmpImm(R6, SNPRINTF_MAX_ARGS_BYTES));
  jump(HI, SN_EINVAL);
  argLo(R4, 3); // fmt: the readable characters before its NUL
  argHi(R0, 3);
  emit(movReg(R5, R4));
  emit(cmpImm(R0, 0));
  jump(NE, SN_FMT);
  emit(movReg(R0, R4));
  bl(STRLEN);
  emit(opReg(OP_ADD, R5, R4, R1));
  label(SN_FMT);
  argLo(R0, 4); // data: every byte readable
  argHi(R1, 4);
  emit(str(R0, R11, F_ARGS));
  emit(shiftImm(SH_LSR, R2, R6, 3));
  emit(str(R2, R11, F_NARGS));
  emit(movImm(R2, 0));
  emit(str(R2, R11, F_PRINTK));
  emit(cmpImm(R6, 0));
  jump(EQ, SN_ARGS);
  emit(str(R6, R11, F_SIZE));
  emit(str(R2, R11, F_SIZE + 4));
  emit(str(R0, R11, F_ADDR));
  emit(str(R1, R11, F_ADDR + 4));
  emit(movReg(R2, R6));
  emit(movImm(R3, 0));
  bl(HC_ALLOWED);
  emit(cmpImm(R0, 0));
  jump(EQ, SN_ARGS_FAULT);
  label(SN_ARGS);
  emit(push(bit(R4)));
  emit(movImm(R9, 0)); // first the length, and whether the kernel takes the format
  emit(movImm(R10, 0));
  bl(RUN);
  emit(pop(bit(R4)));
  emit(cmpImm(R0, 0));
  jump(NE, SN_EINVAL);
  emit(push(bit(R8)));
  argLo(R0, 1); // str
  argHi(R1, 1);
  argLo(R2, 2); // str_size
  argHi(R3, 2);
  emit(opRegS(OP_ORR, IP, R2, R3));
  jump(EQ, SN_NO_OUT);
  emit(str(R2, R11, F_SIZE));
  emit(str(R3, R11, F_SIZE + 4));
  emit(str(R0, R11, F_ADDR));
  emit(str(R1, R11, F_ADDR + 4));
  emit(cmpImm(R3, 0));
  jump(NE, SN_OUT_FAULT);
  emit(movImm(R3, 1));
  bl(HC_ALLOWED);
  emit(cmpImm(R0, 0));
  jump(EQ, SN_OUT_FAULT);
  argLo(R9, 1);
  argLo(R10, 2);
  emit(subImm(R10, R10, 1)); // room for the text: size - 1, then a NUL
  bl(RUN);
  emit(cmpReg(R8, R10));
  emit(movRegC(HI, R8, R10));
  emit(movImm(R0, 0));
  emit(strbReg(R0, R9, R8));
  label(SN_NO_OUT);
  emit(pop(bit(R0)));
  emit(addImm(R0, R0, 1)); // the whole text's length and the NUL
  emit(movImm(R1, 0));
  b(HC_RETURN);
  label(SN_EINVAL);
  returnEinval();
  label(SN_ARGS_FAULT);
  emit(movImm(R0, 1));
  b(HOST_FAULT);
  label(SN_OUT_FAULT);
  emit(movImm(R0, 2));
  b(HOST_FAULT);
}
