// The on-device driver, emitted with the encoder like everything else: a static ARM Linux executable needs no C
// compiler, no libc and no loader. It parses the arguments, maps the input file, runs the program, and prints r0
// as an unsigned decimal line (exit 0) or the fault line on stderr (exit 1). Usage errors exit 2.
//
//   PROGRAM [--mem FILE] [--repeat N]
//
// Linux EABI system calls: number in r7, arguments in r0-r5, `svc #0`.

import {
  emit, emitByte, align4, emitConst, pos, R0, R1, R2, R3, R4, R5, R6, R7, R8, R11, IP, SP, LR, PC,
  AL, EQ, NE, GE, HI, LS,
  ldr, str, ldrb, movReg, movImm, cmpImm, cmpReg, opImm, opImmS, opReg, opRegS, dpReg, dpImm, immRot, mla,
  push, pop, bit, bx, addImm, subImm, strbPreDec, SVC0,
  OP_ADD, OP_SUB, OP_AND, OP_ORR, OP_CMN, SH_LSL, SH_LSR,
} from "./encoder";
import {
  label, at, b, bl, jump, addressOf, stateBase,
  S_FAULT, S_FAULT_PC, S_FAULT_ADDR, S_FAULT_SIZE, S_REPEAT, S_MEM, S_LEN, S_FD, S_BUF,
  L_START, L_ENTRY, L_UDIVMOD64, L_LOCAL,
} from "./image";
import { FAULT_READ, FAULT_WRITE, FAULT_BUDGET, FAULT_CALL_DEPTH, FAULT_HELPER } from "../layout";

const SYS_EXIT = 1;
const SYS_READ = 3;
const SYS_WRITE = 4;
const SYS_OPEN = 5;
const SYS_LSEEK = 19;
const SYS_MMAP2 = 192;

const D = L_LOCAL + 64; // this file's labels
const ARG_LOOP = D + 0;
const ARGS_DONE = D + 1;
const OPT_MEM = D + 2;
const OPT_REPEAT = D + 3;
const NEXT_ARG = D + 4;
const USAGE = D + 5;
const FILE_ERROR = D + 6;
const RUN = D + 7;
const PRINT_FAULT = D + 8;
const STRCMP = D + 9;
const WRITE = D + 10;
const PRINT_DEC = D + 11;
const PRINT_HEX = D + 12;
const EXIT = D + 13;
const DIGITS = D + 14;
const NUM_LOOP = D + 15;
const NUM_DONE = D + 16;
const CMP_LOOP = D + 17;
const CMP_NE = D + 18;
const HEX_LOOP = D + 19;
const F_NOT_READ = D + 20;
const F_NOT_WRITE = D + 21;
const F_NOT_BUDGET = D + 22;
const F_NOT_DEPTH = D + 23;
const F_TAIL = D + 24;
const F_MEM = D + 25;
const STR_BASE = D + 32; // one label per string below

const STRINGS: string[] = [
  "--mem", "--repeat", "\n", "out-of-bounds read of ", "out-of-bounds write of ", " bytes at 0x",
  "instruction budget of ", " exhausted", "call depth exceeds 8 frames", "unknown helper ", " (instruction ", ")\n",
  "usage: PROGRAM [--mem FILE] [--repeat N]\n", "cannot read the --mem file\n", "fault",
];
const S_OPT_MEM = 0;
const S_OPT_REPEAT = 1;
const S_NL = 2;
const S_READ = 3;
const S_WRITE = 4;
const S_BYTES_AT = 5;
const S_BUDGET_OF = 6;
const S_EXHAUSTED = 7;
const S_DEPTH = 8;
const S_HELPER = 9;
const S_INSN = 10;
const S_CLOSE = 11;
const S_USAGE = 12;
const S_FILE = 13;
const S_FAULT_WORD = 14;

function syscall(n: u32): void {
  emit(movImm(R7, n));
  emit(SVC0);
}

/** write(r8, string) */
function say(s: i32): void {
  addressOf(R1, STR_BASE + s, 0);
  emitConst(R2, <u32>STRINGS[s].length);
  bl(WRITE);
}

function exitWith(code: u32): void {
  emit(movImm(R0, code));
  b(EXIT);
}

export function emitDriver(): void {
  label(L_START);
  stateBase();
  emit(ldr(R4, SP, 0)); // argc
  emit(addImm(R5, SP, 4)); // argv
  emit(movImm(R6, 1)); // argument index
  emit(movImm(R0, 1));
  emit(str(R0, R11, S_REPEAT));
  emit(movImm(R0, 0));
  emit(str(R0, R11, S_MEM));
  emit(str(R0, R11, S_LEN));

  label(ARG_LOOP);
  emit(cmpReg(R6, R4));
  jump(GE, ARGS_DONE);
  emit(dpReg(AL, OP_ADD, 0, R0, R5, R6, SH_LSL, 2));
  emit(ldr(R0, R0, 0));
  emit(movReg(R8, R0));
  addressOf(R1, STR_BASE + S_OPT_MEM, 0);
  bl(STRCMP);
  jump(EQ, OPT_MEM);
  emit(movReg(R0, R8));
  addressOf(R1, STR_BASE + S_OPT_REPEAT, 0);
  bl(STRCMP);
  jump(EQ, OPT_REPEAT);
  b(USAGE);

  // --mem FILE: map the file privately (read-write), r1 = its address, r2 = its length
  label(OPT_MEM);
  emit(addImm(R6, R6, 1));
  emit(cmpReg(R6, R4));
  jump(GE, USAGE);
  emit(dpReg(AL, OP_ADD, 0, R0, R5, R6, SH_LSL, 2));
  emit(ldr(R0, R0, 0));
  emit(movImm(R1, 0)); // O_RDONLY
  syscall(SYS_OPEN);
  emit(cmpImm(R0, 0));
  jump(0xb /* LT */, FILE_ERROR);
  emit(str(R0, R11, S_FD));
  emit(movImm(R1, 0));
  emit(movImm(R2, 2)); // SEEK_END
  syscall(SYS_LSEEK);
  emit(cmpImm(R0, 0));
  jump(0xb /* LT */, FILE_ERROR);
  emit(str(R0, R11, S_LEN));
  jump(EQ, NEXT_ARG);
  emit(push(bit(R4) | bit(R5)));
  emit(movReg(R1, R0));
  emit(movImm(R0, 0));
  emit(movImm(R2, 3)); // PROT_READ | PROT_WRITE
  emit(movImm(R3, 2)); // MAP_PRIVATE
  emit(ldr(R4, R11, S_FD));
  emit(movImm(R5, 0));
  syscall(SYS_MMAP2);
  emit(pop(bit(R4) | bit(R5)));
  emit(dpImm(AL, OP_CMN, 1, 0, R0, immRot(4096)));
  jump(HI, FILE_ERROR); // -4095..-1: an errno
  emit(str(R0, R11, S_MEM));
  b(NEXT_ARG);

  // --repeat N (decimal)
  label(OPT_REPEAT);
  emit(addImm(R6, R6, 1));
  emit(cmpReg(R6, R4));
  jump(GE, USAGE);
  emit(dpReg(AL, OP_ADD, 0, R0, R5, R6, SH_LSL, 2));
  emit(ldr(R0, R0, 0));
  emit(movImm(R1, 0));
  emit(movImm(R3, 10));
  label(NUM_LOOP);
  emit(ldrb(R2, R0, 0));
  emit(addImm(R0, R0, 1));
  emit(cmpImm(R2, 0));
  jump(EQ, NUM_DONE);
  emit(subImm(R2, R2, 48));
  emit(cmpImm(R2, 9));
  jump(HI, USAGE);
  emit(mla(R1, R1, R3, R2));
  b(NUM_LOOP);
  label(NUM_DONE);
  emit(str(R1, R11, S_REPEAT));

  label(NEXT_ARG);
  emit(addImm(R6, R6, 1));
  b(ARG_LOOP);

  // Run the program S_REPEAT times (at least once); print the last r0.
  label(ARGS_DONE);
  label(RUN);
  emit(ldr(R0, R11, S_MEM));
  emit(ldr(R1, R11, S_LEN));
  bl(L_ENTRY);
  emit(ldr(R2, R11, S_FAULT));
  emit(cmpImm(R2, 0));
  jump(NE, PRINT_FAULT);
  emit(ldr(R2, R11, S_REPEAT));
  emit(opImmS(OP_SUB, R2, R2, 1));
  emit(str(R2, R11, S_REPEAT));
  jump(HI, RUN);
  emit(movImm(R8, 1));
  bl(PRINT_DEC);
  say(S_NL);
  exitWith(0);

  // The fault line, in the interpreter's words.
  label(PRINT_FAULT);
  emit(movImm(R8, 2));
  emit(ldr(R4, R11, S_FAULT));
  emit(cmpImm(R4, FAULT_READ));
  jump(NE, F_NOT_READ);
  say(S_READ);
  b(F_MEM);
  label(F_NOT_READ);
  emit(cmpImm(R4, FAULT_WRITE));
  jump(NE, F_NOT_WRITE);
  say(S_WRITE);
  label(F_MEM);
  emit(ldr(R0, R11, S_FAULT_SIZE));
  emit(movImm(R1, 0));
  bl(PRINT_DEC);
  say(S_BYTES_AT);
  emit(ldr(R0, R11, S_FAULT_ADDR));
  emit(ldr(R1, R11, S_FAULT_ADDR + 4));
  bl(PRINT_HEX);
  b(F_TAIL);
  label(F_NOT_WRITE);
  emit(cmpImm(R4, FAULT_BUDGET));
  jump(NE, F_NOT_BUDGET);
  say(S_BUDGET_OF);
  emit(ldr(R0, R11, S_FAULT_ADDR));
  emit(ldr(R1, R11, S_FAULT_ADDR + 4));
  bl(PRINT_DEC);
  say(S_EXHAUSTED);
  b(F_TAIL);
  label(F_NOT_BUDGET);
  emit(cmpImm(R4, FAULT_CALL_DEPTH));
  jump(NE, F_NOT_DEPTH);
  say(S_DEPTH);
  b(F_TAIL);
  label(F_NOT_DEPTH);
  emit(cmpImm(R4, FAULT_HELPER));
  jump(EQ, D + 26);
  say(S_FAULT_WORD);
  b(F_TAIL);
  label(D + 26);
  say(S_HELPER);
  emit(ldr(R0, R11, S_FAULT_ADDR));
  emit(ldr(R1, R11, S_FAULT_ADDR + 4));
  bl(PRINT_DEC);
  label(F_TAIL);
  say(S_INSN);
  emit(ldr(R0, R11, S_FAULT_PC));
  emit(movImm(R1, 0));
  bl(PRINT_DEC);
  say(S_CLOSE);
  exitWith(1);

  label(USAGE);
  emit(movImm(R8, 2));
  say(S_USAGE);
  exitWith(2);
  label(FILE_ERROR);
  emit(movImm(R8, 2));
  say(S_FILE);
  exitWith(2);

  label(EXIT);
  syscall(SYS_EXIT);

  // strcmp: r0, r1 -> Z set when the strings are equal (uses r2, r3)
  label(STRCMP);
  label(CMP_LOOP);
  emit(ldrb(R2, R0, 0));
  emit(ldrb(R3, R1, 0));
  emit(cmpReg(R2, R3));
  jump(NE, CMP_NE);
  emit(cmpImm(R2, 0));
  emit(bxIf(EQ));
  emit(addImm(R0, R0, 1));
  emit(addImm(R1, R1, 1));
  b(CMP_LOOP);
  label(CMP_NE);
  emit(bx(LR));

  // write(r8, r1, r2); preserves r4-r6, r8-r11
  label(WRITE);
  emit(push(bit(R7) | bit(LR)));
  emit(movReg(R0, R8));
  syscall(SYS_WRITE);
  emit(pop(bit(R7) | bit(PC)));

  // print_dec: r0:r1 as unsigned decimal on r8
  label(PRINT_DEC);
  emit(push(bit(R4) | bit(R5) | bit(LR)));
  emit(addImm(R4, R11, S_BUF + 32));
  emit(movReg(R5, R4));
  label(DIGITS);
  emit(movImm(R2, 10));
  emit(movImm(R3, 0));
  bl(L_UDIVMOD64);
  emit(addImm(R2, R2, 48));
  emit(strbPreDec(R2, R4));
  emit(opRegS(OP_ORR, IP, R0, R1));
  jump(NE, DIGITS);
  emit(movReg(R1, R4));
  emit(opReg(OP_SUB, R2, R5, R4));
  bl(WRITE);
  emit(pop(bit(R4) | bit(R5) | bit(PC)));

  // print_hex: r0:r1 as lower-case hex without leading zeros on r8
  label(PRINT_HEX);
  emit(push(bit(R4) | bit(R5) | bit(LR)));
  emit(addImm(R4, R11, S_BUF + 32));
  emit(movReg(R5, R4));
  label(HEX_LOOP);
  emit(opImm(OP_AND, R2, R0, 15));
  emit(cmpImm(R2, 10));
  emit(dpImm(0x2 /* HS */, OP_ADD, 0, R2, R2, 39)); // 'a' - '0' - 10
  emit(addImm(R2, R2, 48));
  emit(strbPreDec(R2, R4));
  emit(dpReg(AL, 0xd /* MOV */, 0, R0, 0, R0, SH_LSR, 4));
  emit(dpReg(AL, OP_ORR, 0, R0, R0, R1, SH_LSL, 28));
  emit(dpReg(AL, 0xd /* MOV */, 0, R1, 0, R1, SH_LSR, 4));
  emit(opRegS(OP_ORR, IP, R0, R1));
  jump(NE, HEX_LOOP);
  emit(movReg(R1, R4));
  emit(opReg(OP_SUB, R2, R5, R4));
  bl(WRITE);
  emit(pop(bit(R4) | bit(R5) | bit(PC)));
}

function bxIf(cond: u32): u32 {
  return (cond << 28) | 0x012fff10 | <u32>LR;
}

/** The driver's strings, after the code. */
export function emitDriverStrings(): void {
  for (let s = 0; s < STRINGS.length; s++) {
    label(STR_BASE + s);
    const text = STRINGS[s];
    for (let i = 0; i < text.length; i++) emitByte(<u32>text.charCodeAt(i));
    emitByte(0);
  }
  align4();
}
