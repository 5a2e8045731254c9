// Formatted output: trace_printk (6) and snprintf (165), with the host's semantics (src/runtime/host-helpers.ts,
// src/runtime/printk.ts): %% and %[flags 0+- ][width]conv with conv d i u x X (l / ll: 64 bits, else 32), c, s, pks, pus,
// p, pK, px (16 zero-padded hex digits without a width), ps, pS ("0x" and hex). Anything else, a character that is
// not printable ASCII, or more conversions than arguments: -EINVAL, nothing written. Text read from memory (%s,
// %c) is Latin-1 and comes out as UTF-8, as the host prints it.
//
// trace_printk(fmt, fmt_size, a1, a2, a3) writes its text (at most 511 characters) to standard error at once,
// where `tinybpf run` prints it (standard output with OPT_TRACE_PRINTK: a trace script's printf), and returns its
// length. snprintf(str, size, fmt, data, data_len) formats twice:
// once to find the length (and refuse a bad format before writing anything), once into str (size - 1 bytes and a
// NUL); it returns the full length + 1. An unreadable format or argument array, or a destination the program may
// not write, is the host helper's fault: the line the interpreter prints, `helper N failed: ... (instruction I)`,
// on standard error, exit status 1.

import {
  AL, EQ, GE, HI, HS, IP, LE, LO, LR, LS, MI, NE, OP_ADD, OP_AND, OP_MOV, OP_MVN, OP_ORR, OP_RSB, OP_RSC, OP_SUB,
  OP_TST, R0, R1, R10, R11, R2, R3, R4, R5, R6, R7, R8, R9, SH_ASR, SH_LSL, SH_LSR, SP, SVC0, addImm, bit, bx,
  cmpImm, cmpReg, dpImm, dpReg, ldr, ldrb, ldrbReg, mla, movImm, movImmC, movReg, movRegC, opImm, opImmS, opReg,
  opRegS, pop, push, shiftImm, str, strb, strbPreDec, subImm, when,
} from "../../../assembly/arm32/a32/encoder";
import { block } from "../../../assembly/arm32/a32/labels";
import { Context } from "../../../assembly/arm32/jit/context";
import { OPT_TRACE_PRINTK } from "../abi";
import { HC_ALLOWED, HC_READABLE_END, HC_RETURN, argHi, argLo, helperEntry } from "./common";
import {
  L_CODE, L_FAULT_INDEX, L_HELPERS, L_PROG_STARTS, L_UDIVMOD64, S_BUF, S_HELPER_LR, S_HELPER_STATE, S_REGS,
} from "../image";

export const H_PRINTK = L_HELPERS + 15;
export const H_SNPRINTF = L_HELPERS + 16;
const FL = block("helpers/format", 81); // local labels
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
const N_RIGHT = FL + 80;

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

// F_FLAGS' bits in order (a string: an array literal in a function would be a new object on the translator's heap,
// which is never freed, at every pass)
const FLAG_CHARS = "-0+ ";

const FAULT_TEXTS: string[] = [
  "helper 6 failed: trace_printk format: ", "helper 165 failed: snprintf arguments: ", "helper 165 failed: snprintf: ",
  " bytes at 0x", " are not readable", " are not writable", " (instruction ", ")\n", ": ",
];

/** ldrb rt, [rn, rm] / strb rt, [rn, rm] */
function strbReg(rt: i32, rn: i32, rm: i32): u32 { return 0xe7c00000 | (<u32>rn << 16) | (<u32>rt << 12) | <u32>rm; }

/** r0 = the format's character at r4 + k, or 0 past its end (r5). Uses r1. */
function peek(c: Context, k: u32): void {
  c.emit(addImm(R1, R4, k));
  c.emit(cmpReg(R1, R5));
  c.emit(when(LO, ldrb(R0, R1, 0)));
  c.emit(movImmC(HS, R0, 0));
}

export function emitFormatHelpers(c: Context, printk: bool, snprintf: bool): void {
  emitRun(c);
  emitOutput(c);
  emitHostFault(c);
  if (printk) emitPrintk(c);
  if (snprintf) emitSnprintf(c);
}

/**
 * run: formats [r4, r5) with the arguments at F_ARGS; r9 = destination (0: count only), r10 = bytes it holds.
 * r7 = characters, r8 = bytes of the whole text (both start at 0 here) -> r0 = 0, or 1 for a format the kernel
 * refuses. Keeps r9-r10; uses r0-r6, ip.
 */
function emitRun(c: Context): void {
  c.routine(RUN, bit(LR));
  c.emit(movImm(R6, 0)); // the next argument
  c.emit(movImm(R7, 0));
  c.emit(movImm(R8, 0));
  c.label(R_LOOP);
  c.emit(cmpReg(R4, R5));
  c.jump(HS, R_OK);
  c.emit(ldrb(R0, R4, 0));
  c.bl(R_PRINTABLE);
  c.jump(NE, R_ERR);
  c.emit(cmpImm(R0, 0x25)); // '%'
  c.jump(NE, R_PLAIN);
  peek(c, 1);
  c.emit(cmpImm(R0, 0x25));
  c.jump(NE, R_CONV);
  c.emit(addImm(R4, R4, 1));
  c.label(R_PLAIN);
  c.emit(ldrb(R0, R4, 0));
  c.emit(addImm(R4, R4, 1));
  c.bl(OUT);
  c.b(R_LOOP);
  c.label(R_OK);
  c.emit(movImm(R0, 0));
  c.routineEnd(bit(LR));
  c.label(R_ERR);
  c.emit(movImm(R0, 1));
  c.routineEnd(bit(LR));

  // printable: r0 -> Z set for printable ASCII and \t \n \v \f \r (uses r1)
  c.label(R_PRINTABLE);
  c.emit(subImm(R1, R0, 0x20));
  c.emit(cmpImm(R1, 0x7e - 0x20));
  c.emit(when(HI, subImm(R1, R0, 9)));
  c.emit(when(HI, cmpImm(R1, 4)));
  c.emit(movImmC(LS, R1, 0));
  c.emit(movImmC(HI, R1, 1));
  c.emit(cmpImm(R1, 0));
  c.emit(bx(LR));

  c.label(R_CONV);
  c.emit(ldr(R1, R11, F_NARGS));
  c.emit(cmpReg(R6, R1));
  c.jump(HS, R_ERR); // more conversions than arguments
  c.emit(ldr(R1, R11, F_ARGS));
  c.emit(dpReg(AL, OP_ADD, 0, R1, R1, R6, SH_LSL, 3));
  c.emit(ldr(R2, R1, 0));
  c.emit(ldr(R3, R1, 4));
  c.emit(str(R2, R11, F_ARG));
  c.emit(str(R3, R11, F_ARG + 4));
  c.emit(addImm(R6, R6, 1));
  c.emit(addImm(R4, R4, 1));
  c.emit(movImm(R2, 0)); // flags
  c.label(R_FLAGS);
  peek(c, 0);
  for (let k = 0; k < FLAG_CHARS.length; k++) {
    c.emit(cmpImm(R0, <u32>FLAG_CHARS.charCodeAt(k)));
    c.emit(movImmC(EQ, R3, <u32>1 << <u32>k));
    c.jump(EQ, R_FLAG_SET);
  }
  c.b(R_WIDTH);
  c.label(R_FLAG_SET);
  c.emit(opReg(OP_ORR, R2, R2, R3));
  c.emit(addImm(R4, R4, 1));
  c.b(R_FLAGS);
  c.label(R_WIDTH);
  c.emit(dpImm(AL, OP_TST, 1, 0, R2, 1));
  c.emit(when(NE, opImm(0xe, R2, R2, 2))); // '-' wins over '0' (bic r2, r2, #2)
  c.emit(str(R2, R11, F_FLAGS));
  c.emit(dpImm(AL, OP_MVN, 0, R2, 0, 0)); // width -1: none
  c.emit(subImm(R1, R0, 0x31));
  c.emit(cmpImm(R1, 8));
  c.jump(HI, R_W_DONE);
  c.emit(movImm(R2, 0));
  c.emitConst(R3, WIDTH_MAX);
  c.label(R_W_LOOP);
  peek(c, 0);
  c.emit(subImm(R0, R0, 0x30));
  c.emit(cmpImm(R0, 9));
  c.jump(HI, R_W_DONE);
  c.emit(movImm(IP, 10));
  c.emit(mla(R2, R2, IP, R0));
  c.emit(cmpReg(R2, R3));
  c.emit(movRegC(HI, R2, R3));
  c.emit(addImm(R4, R4, 1));
  c.b(R_W_LOOP);
  c.label(R_W_DONE);
  c.emit(str(R2, R11, F_WIDTH));
  peek(c, 0);
  c.emit(cmpImm(R0, 0x70)); // 'p'
  c.jump(NE, R_NOT_P);
  peek(c, 1);
  c.emit(movReg(R2, R0));
  c.emit(cmpImm(R2, 0x6b)); // 'k'
  c.emit(when(NE, cmpImm(R2, 0x75))); // 'u'
  c.jump(NE, R_P_K);
  peek(c, 2);
  c.emit(cmpImm(R0, 0x73)); // 's'
  c.jump(NE, R_ERR);
  c.emit(addImm(R4, R4, 3));
  c.b(R_STRING);
  c.label(R_P_K);
  c.emit(cmpImm(R2, 0x73)); // 's'
  c.emit(when(NE, cmpImm(R2, 0x53))); // 'S'
  c.jump(EQ, R_P_CODE);
  // %p, %pK, %px; punctuation or white space after a bare %p is ordinary text
  c.emit(cmpImm(R2, 0x4b));
  c.emit(when(NE, cmpImm(R2, 0x78)));
  c.emit(when(EQ, addImm(R4, R4, 1)));
  c.jump(EQ, R_P_POINTER);
  c.emit(cmpImm(R2, 0));
  c.jump(EQ, R_P_POINTER);
  c.emit(subImm(R1, R2, 9));
  c.emit(cmpImm(R1, 4));
  c.jump(LS, R_P_POINTER);
  c.emit(cmpImm(R2, 0x20));
  c.emit(when(NE, cmpImm(R2, 0xa0)));
  c.jump(EQ, R_P_POINTER);
  c.emit(subImm(R1, R2, 0x21));
  c.emit(cmpImm(R1, 0x2f - 0x21));
  c.jump(LS, R_P_POINTER);
  c.emit(subImm(R1, R2, 0x3a));
  c.emit(cmpImm(R1, 0x40 - 0x3a));
  c.jump(LS, R_P_POINTER);
  c.emit(subImm(R1, R2, 0x5b));
  c.emit(cmpImm(R1, 0x60 - 0x5b));
  c.jump(LS, R_P_POINTER);
  c.emit(subImm(R1, R2, 0x7b));
  c.emit(cmpImm(R1, 0x7e - 0x7b));
  c.jump(HI, R_ERR);
  c.label(R_P_POINTER);
  c.emit(addImm(R4, R4, 1));
  c.emit(ldr(R0, R11, F_ARG));
  c.emit(ldr(R1, R11, F_ARG + 4));
  c.emit(movImm(R2, 16));
  c.emit(movImm(R3, 0));
  c.bl(DIGITS);
  c.emit(ldr(R2, R11, F_WIDTH));
  c.emit(cmpImm(R2, 0));
  c.jump(GE, R_P_PLAIN);
  c.emit(movImm(R2, 16)); // no width: 16 digits, zero-padded
  c.emit(str(R2, R11, F_WIDTH));
  c.emit(ldr(R2, R11, F_FLAGS));
  c.emit(opImm(OP_ORR, R2, R2, 2));
  c.emit(str(R2, R11, F_FLAGS));
  c.label(R_P_PLAIN);
  c.emit(movReg(R2, R1));
  c.emit(movReg(R1, R0));
  c.emit(movImm(R0, 0));
  c.bl(NUMBER);
  c.b(R_LOOP);
  c.label(R_P_CODE); // %ps, %pS: "0x" and the hex digits, padded as text
  c.emit(addImm(R4, R4, 2));
  c.emit(ldr(R0, R11, F_ARG));
  c.emit(ldr(R1, R11, F_ARG + 4));
  c.emit(movImm(R2, 16));
  c.emit(movImm(R3, 0));
  c.bl(DIGITS);
  c.emit(movImm(R2, 0x78));
  c.emit(strbPreDec(R2, R0));
  c.emit(movImm(R2, 0x30));
  c.emit(strbPreDec(R2, R0));
  c.emit(addImm(R1, R1, 2));
  c.bl(PADTEXT);
  c.b(R_LOOP);

  c.label(R_NOT_P);
  c.emit(cmpImm(R0, 0x73)); // 's'
  c.jump(NE, R_NOT_S);
  c.emit(addImm(R4, R4, 1));
  c.label(R_STRING);
  c.emit(ldr(R0, R11, F_ARG));
  c.emit(ldr(R1, R11, F_ARG + 4));
  c.emit(cmpImm(R1, 0));
  c.jump(NE, STR_EMPTY);
  c.bl(STRLEN);
  c.bl(PADTEXT);
  c.b(R_LOOP);
  c.label(STR_EMPTY); // not readable at all: ""
  c.emit(movImm(R1, 0));
  c.bl(PADTEXT);
  c.b(R_LOOP);

  c.label(R_NOT_S);
  c.emit(cmpImm(R0, 0x63)); // 'c'
  c.jump(NE, R_NOT_C);
  c.emit(addImm(R4, R4, 1));
  c.emit(ldr(R1, R11, F_ARG));
  c.emit(addImm(R0, R11, S_BUF));
  c.emit(strb(R1, R0, 0));
  c.emit(movImm(R1, 1));
  c.bl(PADTEXT);
  c.b(R_LOOP);

  c.label(R_NOT_C);
  c.emit(movImm(R3, 32)); // bits
  c.emit(cmpImm(R0, 0x6c)); // 'l'
  c.jump(NE, R_INT);
  c.emit(movImm(R3, 64));
  c.emit(addImm(R4, R4, 1));
  peek(c, 0);
  c.emit(cmpImm(R0, 0x6c));
  c.emit(when(EQ, addImm(R4, R4, 1)));
  c.label(R_INT);
  peek(c, 0);
  c.emit(addImm(R4, R4, 1));
  c.emit(ldr(R1, R11, F_ARG + 4));
  c.emit(cmpImm(R3, 32));
  c.emit(movImmC(EQ, R1, 0));
  c.emit(ldr(IP, R11, F_ARG));
  c.emit(cmpImm(R0, 0x64)); // 'd'
  c.emit(when(NE, cmpImm(R0, 0x69))); // 'i'
  c.jump(EQ, R_SIGNED);
  c.emit(movImm(R2, 10));
  c.emit(movImm(R3, 0));
  c.emit(cmpImm(R0, 0x75)); // 'u'
  c.jump(EQ, R_UNSIGNED);
  c.emit(movImm(R2, 16));
  c.emit(cmpImm(R0, 0x78)); // 'x'
  c.jump(EQ, R_UNSIGNED);
  c.emit(movImm(R3, 1));
  c.emit(cmpImm(R0, 0x58)); // 'X'
  c.jump(NE, R_ERR);
  c.label(R_UNSIGNED);
  c.emit(movReg(R0, IP));
  c.bl(DIGITS);
  c.emit(movReg(R2, R1));
  c.emit(movReg(R1, R0));
  c.emit(movImm(R0, 0));
  c.bl(NUMBER);
  c.b(R_LOOP);
  c.label(R_SIGNED); // ip = the low word, r1 = the high word (32 bits: sign-extended here)
  c.emit(cmpImm(R3, 32));
  c.emit(when(EQ, dpReg(AL, OP_MOV, 0, R1, 0, IP, SH_ASR, 31)));
  c.emit(movReg(R0, IP));
  c.emit(ldr(R2, R11, F_FLAGS));
  c.emit(movImm(IP, 0)); // the sign: '+' before ' ', '-' for negative numbers
  c.emit(dpImm(AL, OP_TST, 1, 0, R2, 8));
  c.emit(movImmC(NE, IP, 0x20));
  c.emit(dpImm(AL, OP_TST, 1, 0, R2, 4));
  c.emit(movImmC(NE, IP, 0x2b));
  c.emit(cmpImm(R1, 0));
  c.jump(GE, R_NUMBER);
  c.emit(opImmS(OP_RSB, R0, R0, 0));
  c.emit(dpImm(AL, OP_RSC, 0, R1, R1, 0));
  c.emit(movImm(IP, 0x2d));
  c.routine(R_NUMBER, bit(IP));
  c.emit(movImm(R2, 10));
  c.emit(movImm(R3, 0));
  c.bl(DIGITS);
  c.emit(movReg(R2, R1));
  c.emit(movReg(R1, R0));
  c.emit(pop(bit(R0)));
  c.bl(NUMBER);
  c.b(R_LOOP);
}

/**
 * The output routines. out: r0 = a character (Latin-1) -> counted in r7, its UTF-8 bytes in r8, stored at r9 + r8
 * while r8 < r10 (r9 = 0: nowhere); with F_PRINTK, characters past the 511th are dropped. Uses r0-r2.
 */
function emitOutput(c: Context): void {
  c.label(OUT);
  c.emit(ldr(R1, R11, F_PRINTK));
  c.emit(cmpImm(R1, 0));
  c.jump(EQ, OUT_GO);
  c.emitConst(R1, PRINTK_MAX_CHARS);
  c.emit(cmpReg(R7, R1));
  c.emit(when(HS, bx(LR)));
  c.label(OUT_GO);
  c.emit(addImm(R7, R7, 1));
  c.emit(movReg(R1, R0));
  c.emit(cmpImm(R0, 0x80));
  c.jump(LO, OUT_B);
  c.emit(push(bit(R0) | bit(LR)));
  c.emit(shiftImm(SH_LSR, R1, R0, 6));
  c.emit(opImm(OP_ORR, R1, R1, 0xc0));
  c.bl(OUT_B);
  c.emit(pop(bit(R0) | bit(LR)));
  c.emit(opImm(OP_AND, R1, R0, 0x3f));
  c.emit(opImm(OP_ORR, R1, R1, 0x80));
  // out_b: r1 = one byte
  c.label(OUT_B);
  c.emit(cmpImm(R9, 0));
  c.jump(EQ, OUT_SKIP);
  c.emit(cmpReg(R8, R10));
  c.emit(when(LO, strbReg(R1, R9, R8)));
  c.label(OUT_SKIP);
  c.emit(addImm(R8, R8, 1));
  c.emit(bx(LR));

  // fill: r0 = a character, r1 = how many (<= 0: none). Uses r0-r3.
  c.routine(FILL, bit(R0) | bit(R1) | bit(LR));
  c.label(FILL_LOOP);
  c.emit(ldr(R1, SP, 4));
  c.emit(opImmS(OP_SUB, R1, R1, 1));
  c.jump(MI, FILL_DONE);
  c.emit(str(R1, SP, 4));
  c.emit(ldr(R0, SP, 0));
  c.bl(OUT);
  c.b(FILL_LOOP);
  c.label(FILL_DONE);
  c.routineEnd(bit(R0) | bit(R1) | bit(LR));

  // text: r0 = address, r1 = length: each byte as a character. Uses r0-r3.
  c.routine(TEXT, bit(R0) | bit(R1) | bit(LR));
  c.label(TEXT_LOOP);
  c.emit(ldr(R1, SP, 4));
  c.emit(opImmS(OP_SUB, R1, R1, 1));
  c.jump(MI, FILL_DONE);
  c.emit(str(R1, SP, 4));
  c.emit(ldr(R1, SP, 0));
  c.emit(ldrb(R0, R1, 0));
  c.emit(addImm(R1, R1, 1));
  c.emit(str(R1, SP, 0));
  c.bl(OUT);
  c.b(TEXT_LOOP);

  // digits: r0:r1 = a value, r2 = base (10 or 16), r3 = 1 for upper-case hex -> r0 = address of its digits
  // (in S_BUF, which has room before them), r1 = their count. Uses r0-r3, ip.
  c.routine(DIGITS, bit(R4) | bit(R5) | bit(R6) | bit(LR));
  c.emit(movReg(R4, R2));
  c.emit(movReg(R5, R3));
  c.emit(addImm(R6, R11, S_BUF + 32));
  c.label(DG_LOOP);
  c.emit(cmpImm(R4, 16));
  c.jump(NE, DG_DEC);
  c.emit(opImm(OP_AND, R2, R0, 15));
  c.emit(shiftImm(SH_LSR, R0, R0, 4));
  c.emit(dpReg(AL, OP_ORR, 0, R0, R0, R1, SH_LSL, 28));
  c.emit(shiftImm(SH_LSR, R1, R1, 4));
  c.b(DG_CHAR);
  c.label(DG_DEC);
  c.emit(movImm(R2, 10));
  c.emit(movImm(R3, 0));
  c.bl(L_UDIVMOD64);
  c.label(DG_CHAR);
  c.emit(cmpImm(R2, 10));
  c.emit(when(LO, addImm(R2, R2, 0x30)));
  c.emit(when(HS, addImm(R2, R2, 0x61 - 10)));
  c.emit(cmpImm(R5, 0));
  c.jump(EQ, DG_STORE);
  c.emit(cmpImm(R2, 0x61));
  c.emit(when(HS, subImm(R2, R2, 0x20))); // upper case: letters only
  c.label(DG_STORE);
  c.emit(strbPreDec(R2, R6));
  c.emit(opRegS(OP_ORR, IP, R0, R1));
  c.jump(NE, DG_LOOP);
  c.emit(movReg(R0, R6));
  c.emit(addImm(R1, R11, S_BUF + 32));
  c.emit(opReg(OP_SUB, R1, R1, R6));
  c.routineEnd(bit(R4) | bit(R5) | bit(R6) | bit(LR));

  // number: r0 = sign character (0: none), r1 = digits, r2 = their count: padded to F_WIDTH, zeros between the
  // sign and the digits with '0', spaces after them with '-', else before. Uses r0-r3, ip.
  c.routine(NUMBER, bit(R4) | bit(R5) | bit(R6) | bit(LR));
  c.emit(movReg(R4, R0));
  c.emit(movReg(R5, R1));
  c.emit(movReg(R6, R2));
  c.emit(ldr(R0, R11, F_WIDTH));
  c.emit(opReg(OP_SUB, R0, R0, R6));
  c.emit(cmpImm(R4, 0));
  c.emit(when(NE, subImm(R0, R0, 1)));
  c.emit(str(R0, R11, F_FILL));
  c.emit(cmpImm(R0, 0));
  c.jump(LE, N_DONE);
  c.emit(ldr(R1, R11, F_FLAGS));
  c.emit(dpImm(AL, OP_TST, 1, 0, R1, 1));
  c.jump(NE, N_LEFT);
  c.emit(dpImm(AL, OP_TST, 1, 0, R1, 2));
  c.jump(NE, N_ZERO);
  c.label(N_RIGHT); // spaces, then the sign and digits (padtext's right alignment too)
  c.emit(movImm(R0, 0x20));
  c.emit(ldr(R1, R11, F_FILL));
  c.bl(FILL);
  c.label(N_DONE);
  c.bl(SIGN_DIGITS);
  c.routineEnd(bit(R4) | bit(R5) | bit(R6) | bit(LR));
  c.label(N_LEFT);
  c.bl(SIGN_DIGITS);
  c.emit(movImm(R0, 0x20));
  c.label(N_FILL);
  c.emit(ldr(R1, R11, F_FILL));
  c.bl(FILL);
  c.routineEnd(bit(R4) | bit(R5) | bit(R6) | bit(LR));
  c.label(N_ZERO);
  c.emit(cmpImm(R4, 0));
  c.emit(movReg(R0, R4));
  c.call(NE, OUT);
  c.emit(movImm(R4, 0));
  c.emit(movImm(R0, 0x30));
  c.emit(ldr(R1, R11, F_FILL));
  c.bl(FILL);
  c.bl(SIGN_DIGITS);
  c.routineEnd(bit(R4) | bit(R5) | bit(R6) | bit(LR));
  // sign_digits: r4 = sign (0: none), r5 = digits, r6 = count (NUMBER's registers)
  c.routine(SIGN_DIGITS, bit(LR));
  c.emit(movReg(R0, R4));
  c.emit(cmpImm(R0, 0));
  c.call(NE, OUT);
  c.emit(movReg(R0, R5));
  c.emit(movReg(R1, R6));
  c.bl(TEXT);
  c.routineEnd(bit(LR));

  // padtext: r0 = text, r1 = its length: spaces to F_WIDTH, after it with '-', else before. Uses r0-r3, ip.
  c.routine(PADTEXT, bit(R4) | bit(R5) | bit(R6) | bit(LR));
  c.emit(movReg(R5, R0));
  c.emit(movReg(R6, R1));
  c.emit(ldr(R0, R11, F_WIDTH));
  c.emit(opReg(OP_SUB, R0, R0, R6));
  c.emit(str(R0, R11, F_FILL));
  c.emit(movImm(R4, 0));
  c.emit(ldr(R1, R11, F_FLAGS));
  c.emit(dpImm(AL, OP_TST, 1, 0, R1, 1));
  c.jump(EQ, N_RIGHT); // number's tails: the same registers saved
  c.bl(SIGN_DIGITS);
  c.emit(movImm(R0, 0x20));
  c.b(N_FILL);

  // strlen: r0 = address -> r0 = address, r1 = the readable characters before a NUL (at most 4096), as the
  // host's readString. Uses r0-r3, ip.
  c.routine(STRLEN, bit(R4) | bit(R5) | bit(R6) | bit(LR));
  c.emit(movReg(R4, R0));
  c.emit(movImm(R5, 0));
  c.emit(movImm(R6, 0)); // end of the readable region in use
  c.label(SL_LOOP);
  c.emit(cmpImm(R5, 4096));
  c.jump(HS, SL_DONE);
  c.emit(opReg(OP_ADD, R0, R4, R5));
  c.emit(cmpReg(R0, R6));
  c.jump(LO, SL_HAVE);
  c.bl(HC_READABLE_END);
  c.emit(movs0());
  c.jump(EQ, SL_DONE);
  c.emit(movReg(R6, R0));
  c.emit(opReg(OP_ADD, R0, R4, R5));
  c.label(SL_HAVE);
  c.emit(ldrb(R1, R0, 0));
  c.emit(cmpImm(R1, 0));
  c.jump(EQ, SL_DONE);
  c.emit(addImm(R5, R5, 1));
  c.b(SL_LOOP);
  c.label(SL_DONE);
  c.emit(movReg(R0, R4));
  c.emit(movReg(R1, R5));
  c.routineEnd(bit(R4) | bit(R5) | bit(R6) | bit(LR));
}

/** cmp r0, #0 */
function movs0(): u32 { return cmpImm(R0, 0); }

/**
 * host_fault: r0 = which message (0: trace_printk format, 1: snprintf arguments, 2: snprintf destination), its
 * size and address at F_SIZE / F_ADDR. Writes the interpreter's fault line to standard error and exits with 1.
 */
function emitHostFault(c: Context): void {
  c.label(HOST_FAULT);
  c.emit(movReg(R4, R0));
  c.emit(ldr(R0, R11, S_HELPER_LR)); // the call's instruction index
  c.emit(subImm(R0, R0, 4));
  c.addressOf(R1, L_CODE, 0);
  c.emit(opReg(OP_SUB, R0, R0, R1));
  c.bl(L_FAULT_INDEX);
  if (c.programStarts > 1) {
    // several programs in the image (tail calls): name the one that was running, the index its own, as the
    // driver does (L_PROG_STARTS: first instruction, name address, name length per program)
    c.addressOf(R5, L_PROG_STARTS, 0);
    c.emitConst(R6, <u32>c.programStarts);
    c.emit(movImm(R3, 0));
    c.label(HF_PROG);
    c.emit(ldr(IP, R5, 0));
    c.emit(cmpReg(R0, IP));
    c.emit(movRegC(HS, R3, IP));
    c.emit(when(HS, ldr(R8, R5, 4)));
    c.emit(when(HS, ldr(R9, R5, 8)));
    c.emit(addImm(R5, R5, 12));
    c.emit(opImmS(OP_SUB, R6, R6, 1));
    c.jump(NE, HF_PROG);
    c.emit(opReg(OP_SUB, R0, R0, R3));
    c.emit(str(R0, R11, F_FILL));
    c.emit(movReg(R1, R8));
    c.emit(movReg(R2, R9));
    c.bl(HF_WRITE);
    c.addressOf(R1, STR_TEXT, 320); // ": "
    c.emit(movImm(R2, 40));
    c.bl(HF_WRITE);
  } else {
    c.emit(str(R0, R11, F_FILL));
  }
  c.addressOf(R1, STR_TEXT, 0);
  c.emit(cmpImm(R4, 1));
  c.emit(when(EQ, addImm(R1, R1, 40)));
  c.emit(when(HI, addImm(R1, R1, 80)));
  c.emit(movImm(R2, 40));
  c.bl(HF_WRITE);
  c.emit(ldr(R0, R11, F_SIZE));
  c.emit(ldr(R1, R11, F_SIZE + 4));
  c.emit(movImm(R2, 10));
  c.emit(movImm(R3, 0));
  c.bl(DIGITS);
  c.emit(movReg(R2, R1));
  c.emit(movReg(R1, R0));
  c.bl(HF_WRITE);
  c.addressOf(R1, STR_TEXT, 120);
  c.emit(movImm(R2, 40));
  c.bl(HF_WRITE);
  c.emit(ldr(R0, R11, F_ADDR));
  c.emit(ldr(R1, R11, F_ADDR + 4));
  c.emit(movImm(R2, 16));
  c.emit(movImm(R3, 0));
  c.bl(DIGITS);
  c.emit(movReg(R2, R1));
  c.emit(movReg(R1, R0));
  c.bl(HF_WRITE);
  c.addressOf(R1, STR_TEXT, 160);
  c.emit(cmpImm(R4, 2));
  c.emit(when(EQ, addImm(R1, R1, 40)));
  c.emit(movImm(R2, 40));
  c.bl(HF_WRITE);
  c.addressOf(R1, STR_TEXT, 240);
  c.emit(movImm(R2, 40));
  c.bl(HF_WRITE);
  c.emit(ldr(R0, R11, F_FILL));
  c.emit(movImm(R1, 0));
  c.emit(movImm(R2, 10));
  c.emit(movImm(R3, 0));
  c.bl(DIGITS);
  c.emit(movReg(R2, R1));
  c.emit(movReg(R1, R0));
  c.bl(HF_WRITE);
  c.addressOf(R1, STR_TEXT, 280);
  c.emit(movImm(R2, 40));
  c.bl(HF_WRITE);
  c.emit(movImm(R0, 1));
  c.emit(movImm(R7, 1)); // exit
  c.emit(SVC0);
  // hf_write: r1 = text (NUL-padded to r2 bytes at most: written up to its NUL), to standard error
  c.routine(HF_WRITE, bit(R7) | bit(LR));
  c.emit(movImm(R3, 0));
  c.label(HF_TAIL);
  c.emit(cmpReg(R3, R2));
  c.jump(HS, HF_KIND);
  c.emit(ldrbReg(R0, R1, R3));
  c.emit(cmpImm(R0, 0));
  c.emit(when(NE, addImm(R3, R3, 1)));
  c.jump(NE, HF_TAIL);
  c.label(HF_KIND);
  c.emit(movReg(R2, R3));
  c.emit(movImm(R0, 2));
  c.emit(movImm(R7, 4)); // write
  c.emit(SVC0);
  c.routineEnd(bit(R7) | bit(LR));
  // the texts, 40 bytes each (NUL-padded)
  c.label(STR_TEXT);
  for (let k = 0; k < FAULT_TEXTS.length; k++) {
    const t = FAULT_TEXTS[k];
    for (let i = 0; i < 40; i++) c.emitByte(i < t.length ? <u32>t.charCodeAt(i) : 0);
  }
}

/** r0:r1 = -EINVAL, then the helper's end. */
function returnEinval(c: Context): void {
  c.emit(dpImm(AL, OP_MVN, 0, R0, 0, 21));
  c.emit(dpImm(AL, OP_MVN, 0, R1, 0, 0));
  c.b(HC_RETURN);
}

/** trace_printk(fmt, fmt_size, a1, a2, a3) */
function emitPrintk(c: Context): void {
  c.label(H_PRINTK);
  helperEntry(c);
  argLo(c, R4, 1); // fmt
  argHi(c, R1, 1);
  argLo(c, R5, 2); // fmt_size: every byte must be readable
  argHi(c, R2, 2);
  c.emit(str(R5, R11, F_SIZE));
  c.emit(str(R2, R11, F_SIZE + 4));
  c.emit(str(R4, R11, F_ADDR));
  c.emit(str(R1, R11, F_ADDR + 4));
  c.emit(cmpImm(R2, 0));
  c.jump(NE, PK_FAULT);
  c.emit(cmpImm(R5, 0));
  c.jump(EQ, PK_FIND);
  c.emit(movReg(R0, R4));
  c.emit(movReg(R2, R5));
  c.emit(movImm(R3, 0));
  c.bl(HC_ALLOWED);
  c.emit(cmpImm(R0, 0));
  c.jump(EQ, PK_FAULT);
  c.label(PK_FIND); // the format ends at its first NUL
  c.emit(opReg(OP_ADD, R5, R4, R5));
  c.emit(movReg(R0, R4));
  c.label(PK_NUL);
  c.emit(cmpReg(R0, R5));
  c.jump(HS, PK_END);
  c.emit(ldrb(R1, R0, 0));
  c.emit(cmpImm(R1, 0));
  c.emit(when(NE, addImm(R0, R0, 1)));
  c.jump(NE, PK_NUL);
  c.emit(movReg(R5, R0));
  c.label(PK_END);
  c.emit(addImm(R0, R11, S_REGS + 24)); // a1-a3: r3-r5
  c.emit(str(R0, R11, F_ARGS));
  c.emit(movImm(R0, 3));
  c.emit(str(R0, R11, F_NARGS));
  c.emit(movImm(R0, 1));
  c.emit(str(R0, R11, F_PRINTK));
  c.emit(subImm(SP, SP, PRINTK_BUFFER));
  c.emit(movReg(R9, SP));
  c.emit(movImm(R10, PRINTK_BUFFER));
  c.bl(RUN);
  c.emit(cmpImm(R0, 0));
  c.emit(when(NE, addImm(SP, SP, PRINTK_BUFFER)));
  c.jump(NE, PK_EINVAL);
  c.emit(movReg(R6, R7));
  // write(2, buffer, bytes); a trace script's printf writes to standard output, as bpftrace's lines go there
  c.emit(movImm(R0, (c.options & OPT_TRACE_PRINTK) != 0 ? 1 : 2));
  c.emit(movReg(R1, SP));
  c.emit(movReg(R2, R8));
  c.emit(movImm(R7, 4));
  c.emit(SVC0);
  c.emit(addImm(SP, SP, PRINTK_BUFFER));
  c.emit(movReg(R0, R6));
  c.emit(movImm(R1, 0));
  c.b(HC_RETURN);
  c.label(PK_EINVAL);
  returnEinval(c);
  c.label(PK_FAULT);
  c.emit(movImm(R0, 0));
  c.b(HOST_FAULT);
}

/** snprintf(str, str_size, fmt, data, data_len) */
function emitSnprintf(c: Context): void {
  c.label(H_SNPRINTF);
  helperEntry(c);
  argLo(c, R6, 5); // data_len: a multiple of 8, at most 12 arguments
  argHi(c, R0, 5);
  c.emit(cmpImm(R0, 0));
  c.jump(NE, SN_EINVAL);
  c.emit(dpImm(AL, OP_TST, 1, 0, R6, 7));
  c.jump(NE, SN_EINVAL);
  c.emit(cmpImm(R6, SNPRINTF_MAX_ARGS_BYTES));
  c.jump(HI, SN_EINVAL);
  argLo(c, R4, 3); // fmt: the readable characters before its NUL
  argHi(c, R0, 3);
  c.emit(movReg(R5, R4));
  c.emit(cmpImm(R0, 0));
  c.jump(NE, SN_FMT);
  c.emit(movReg(R0, R4));
  c.bl(STRLEN);
  c.emit(opReg(OP_ADD, R5, R4, R1));
  c.label(SN_FMT);
  argLo(c, R0, 4); // data: every byte readable
  argHi(c, R1, 4);
  c.emit(str(R0, R11, F_ARGS));
  c.emit(shiftImm(SH_LSR, R2, R6, 3));
  c.emit(str(R2, R11, F_NARGS));
  c.emit(movImm(R2, 0));
  c.emit(str(R2, R11, F_PRINTK));
  c.emit(cmpImm(R6, 0));
  c.jump(EQ, SN_ARGS);
  c.emit(str(R6, R11, F_SIZE));
  c.emit(str(R2, R11, F_SIZE + 4));
  c.emit(str(R0, R11, F_ADDR));
  c.emit(str(R1, R11, F_ADDR + 4));
  c.emit(movReg(R2, R6));
  c.emit(movImm(R3, 0));
  c.bl(HC_ALLOWED);
  c.emit(cmpImm(R0, 0));
  c.jump(EQ, SN_ARGS_FAULT);
  c.routine(SN_ARGS, bit(R4));
  c.emit(movImm(R9, 0)); // first the length, and whether the kernel takes the format
  c.emit(movImm(R10, 0));
  c.bl(RUN);
  c.emit(pop(bit(R4)));
  c.emit(cmpImm(R0, 0));
  c.jump(NE, SN_EINVAL);
  c.emit(push(bit(R8)));
  argLo(c, R0, 1); // str
  argHi(c, R1, 1);
  argLo(c, R2, 2); // str_size
  argHi(c, R3, 2);
  c.emit(opRegS(OP_ORR, IP, R2, R3));
  c.jump(EQ, SN_NO_OUT);
  c.emit(str(R2, R11, F_SIZE));
  c.emit(str(R3, R11, F_SIZE + 4));
  c.emit(str(R0, R11, F_ADDR));
  c.emit(str(R1, R11, F_ADDR + 4));
  c.emit(cmpImm(R3, 0));
  c.jump(NE, SN_OUT_FAULT);
  c.emit(movImm(R3, 1));
  c.bl(HC_ALLOWED);
  c.emit(cmpImm(R0, 0));
  c.jump(EQ, SN_OUT_FAULT);
  argLo(c, R9, 1);
  argLo(c, R10, 2);
  c.emit(subImm(R10, R10, 1)); // room for the text: size - 1, then a NUL
  c.bl(RUN);
  c.emit(cmpReg(R8, R10));
  c.emit(movRegC(HI, R8, R10));
  c.emit(movImm(R0, 0));
  c.emit(strbReg(R0, R9, R8));
  c.label(SN_NO_OUT);
  c.emit(pop(bit(R0)));
  c.emit(addImm(R0, R0, 1)); // the whole text's length and the NUL
  c.emit(movImm(R1, 0));
  c.b(HC_RETURN);
  c.label(SN_EINVAL);
  returnEinval(c);
  c.label(SN_ARGS_FAULT);
  c.emit(movImm(R0, 1));
  c.b(HOST_FAULT);
  c.label(SN_OUT_FAULT);
  c.emit(movImm(R0, 2));
  c.b(HOST_FAULT);
}
