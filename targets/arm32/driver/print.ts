// What the driver writes: the fault line, the usage and input errors, the buffered output (write, flush, and exit,
// which flushes it), decimal and hex numbers, the maps after the runs, and the strings all of these print. Also
// strcmp, with which the arguments are matched against those strings.

import {
  AL, EQ, HI, HS, IP, LO, LR, MI, NE, OP_ADD, OP_AND, OP_CMN, OP_ORR, OP_SUB, R0, R1, R10, R11, R2, R3, R4, R5, R6,
  R7, R8, R9, SH_LSL, SH_LSR, addImm, bit, bx, bxC, cmpImm, cmpReg, dpImm, dpReg, ldr, ldrb, movImm, movReg,
  movRegC, opImm, opImmS, opReg, opRegS, pop, push, str, strb, strbPreDec, subImm, when,
} from "../../../assembly/arm32/a32/encoder";
import { Context } from "../../../assembly/arm32/jit/context";
import {
  FAULT_BAD_RECORD, FAULT_BUDGET, FAULT_CALL_DEPTH, FAULT_HELPER, FAULT_READ, FAULT_WRITE,
} from "../../../assembly/layout";
import {
  D_BUCKETS, D_KEY_SIZE, D_MASK, D_MAX, D_NAME, D_NAME_LEN, D_RECORDS, D_REC_STRIDE, D_STRIDE, D_TYPE, D_VALUES,
  D_VALUE_SIZE, D_ZERO_SKIP, OPT_SKB, OPT_SNAPSHOT, SEC_MAP_PRINTER, SEC_NUMBERS, SEC_OUTPUT,
} from "../abi";
import {
  CMP_LOOP, CMP_NE, DIGITS, EXIT, FILE_ERROR, FLUSH, FL_SKIP, F_ADDR, F_HELPER, F_MEM,
  F_NOT_BUDGET, F_NOT_DEPTH, F_NOT_HELPER, F_NOT_READ, F_NOT_WRITE, F_OOB_WRITE, F_PROG_LOOP, F_RO_LOOP, F_TAIL,
  HEX_LOOP, OPT_EACH_TEXT, PCAP_ERROR, PRINT_DEC, PRINT_FAULT, PRINT_HEX, P_ARRAY, P_A_DONE, P_A_LOOP,
  P_A_NEXT, P_CLOSED, P_COMMA1, P_COMMA2, P_ENTRY, P_ENTRY_DONE, P_HEX, P_HEX_DONE, P_HEX_LOOP, P_H_BUCKET,
  P_H_CHAIN, P_H_NEXT, P_ITEMS, P_JSON_ENTRY, P_MAP, P_MAPS_DONE, P_SHOW, P_SHOW_SLOT, P_ZERO_LOOP, STRCMP, STRINGS,
  STR_BASE, SYS_EXIT, SYS_WRITE, S_BUDGET_OF, S_BYTES_AT, S_CLOSE, S_COMMA, S_DEPTH, S_EQUALS, S_EXHAUSTED,
  S_FAULT_WORD, S_FILE, S_HELPER, S_INSN, S_J_ENTRY_END, S_J_ITEMS, S_J_KEY, S_J_VALUE, S_LBRACKET, S_MAP_ARG, S_NL,
  S_NOT_MAP, S_NOT_PCAP, S_NOT_SAMPLE, F_RECORD, S_HELPER_ARG, S_RBRACKET, S_READ, S_RO_BYTES_AT, S_RO_WRITE, S_USAGE, S_USAGE_LIVE, S_USAGE_TRACE, S_WRITE, USAGE,
  WRITE, stringNeeded, traceExecutable, W_DONE, W_LOOP, W_ROOM, W_SAME, decimalDigits, exitWith, say, syscall,
} from "./common";
import {
  L_BUDGET_FAULT, L_DEPTH_FAULT, L_PRINT_ENTRY, L_PRINT_MAPS, L_PRINT_MORE, L_PROG_STARTS, L_STATE, L_UDIVMOD64,
  OUT_SIZE, REGION_BYTES, S_BUF,
  S_FAULT, S_FAULT_ADDR, S_FAULT_PC, S_FAULT_SIZE, S_NREGIONS, S_OUT, S_OUTPOS, S_OUT_FD, S_REGIONS,
} from "../image";
import { F_MISSING, F_RINGBUF, descOf, printsMoreMaps, slot } from "../maps/common";
import { PRINT_WHERE, emitWhere } from "./where";
import { sayUsageWithSnapshots } from "./snapshots";
import { needed } from "../runtime/needed";

const FAULT_BAD_MAP_CODE: u32 = 7;

/** PRINT_FAULT: the fault line, in the interpreter's words. Ends the process (exit status 1). */
export function emitFaultLine(c: Context): void {
  c.label(PRINT_FAULT);
  c.emit(movImm(R8, 2));
  if (c.programStarts > 1) {
    // The image holds the programs tail calls reach, one after the other: name the one that was running and
    // make the index its own. L_PROG_STARTS: (first instruction, name address, name length) per program.
    c.emit(ldr(R0, R11, S_FAULT_PC));
    c.addressOf(R4, L_PROG_STARTS, 0);
    c.emitConst(R5, <u32>c.programStarts);
    c.emit(movImm(R3, 0));
    c.label(F_PROG_LOOP);
    c.emit(ldr(IP, R4, 0));
    c.emit(cmpReg(R0, IP));
    c.emit(movRegC(HS, R3, IP));
    c.emit(when(HS, ldr(R6, R4, 4)));
    c.emit(when(HS, ldr(R7, R4, 8)));
    c.emit(addImm(R4, R4, 12));
    c.emit(opImmS(OP_SUB, R5, R5, 1));
    c.jump(NE, F_PROG_LOOP);
    c.emit(opReg(OP_SUB, R0, R0, R3));
    c.emit(str(R0, R11, S_FAULT_PC));
    c.emit(movReg(R1, R6));
    c.emit(movReg(R2, R7));
    c.bl(WRITE);
    c.emitConst(R0, 0x203a); // ": "
    c.emit(str(R0, R11, S_BUF));
    c.emit(addImm(R1, R11, S_BUF));
    c.emit(movImm(R2, 2));
    c.bl(WRITE);
  }
  c.emit(ldr(R4, R11, S_FAULT));
  c.emit(cmpImm(R4, FAULT_READ));
  c.jump(NE, F_NOT_READ);
  say(c, S_READ);
  c.b(F_MEM);
  c.label(F_NOT_READ);
  c.emit(cmpImm(R4, FAULT_WRITE));
  c.jump(NE, F_NOT_WRITE);
  // a write the program could have made as a read: to read-only memory
  c.emit(ldr(R0, R11, S_FAULT_ADDR));
  c.emit(ldr(R1, R11, S_FAULT_ADDR + 4));
  c.emit(ldr(R2, R11, S_FAULT_SIZE));
  c.emit(cmpImm(R1, 0));
  c.jump(NE, F_OOB_WRITE);
  c.emit(ldr(R3, R11, S_NREGIONS));
  c.emit(addImm(R5, R11, S_REGIONS));
  c.label(F_RO_LOOP);
  c.emit(opImmS(OP_SUB, R3, R3, 1));
  c.jump(MI, F_OOB_WRITE);
  c.emit(ldr(R6, R5, 0));
  c.emit(ldr(R7, R5, 4));
  c.emit(addImm(R5, R5, REGION_BYTES));
  c.emit(cmpReg(R0, R6));
  c.jump(LO, F_RO_LOOP);
  c.emit(opRegS(OP_SUB, R7, R7, R2));
  c.jump(LO, F_RO_LOOP);
  c.emit(cmpReg(R0, R7));
  c.jump(HI, F_RO_LOOP);
  say(c, S_RO_WRITE);
  printFaultWord(c, S_FAULT_SIZE, PRINT_DEC);
  say(c, S_RO_BYTES_AT);
  c.b(F_ADDR);
  c.label(F_OOB_WRITE);
  say(c, S_WRITE);
  c.label(F_MEM);
  printFaultWord(c, S_FAULT_SIZE, PRINT_DEC);
  say(c, S_BYTES_AT);
  c.label(F_ADDR);
  c.bl(PRINT_WHERE);
  c.b(F_TAIL);
  c.label(F_NOT_WRITE);
  if (needed(c, L_BUDGET_FAULT)) {
    c.emit(cmpImm(R4, FAULT_BUDGET));
    c.jump(NE, F_NOT_BUDGET);
    say(c, S_BUDGET_OF);
    printFaultWord(c, S_FAULT_ADDR, PRINT_DEC);
    say(c, S_EXHAUSTED);
    c.b(F_TAIL);
    c.label(F_NOT_BUDGET);
  }
  if (needed(c, L_DEPTH_FAULT)) {
    c.emit(cmpImm(R4, FAULT_CALL_DEPTH));
    c.jump(NE, F_NOT_DEPTH);
    say(c, S_DEPTH);
    c.b(F_TAIL);
    c.label(F_NOT_DEPTH);
  }
  c.emit(cmpImm(R4, FAULT_HELPER));
  c.jump(EQ, F_HELPER);
  const records = recordFaults(c);
  if (records) {
    c.emit(cmpImm(R4, FAULT_BAD_RECORD));
    c.jump(EQ, F_RECORD);
  }
  c.emit(cmpImm(R4, FAULT_BAD_MAP_CODE));
  c.jump(NE, F_NOT_HELPER);
  say(c, S_MAP_ARG);
  printFaultWord(c, S_FAULT_ADDR, PRINT_HEX);
  say(c, S_NOT_MAP);
  c.b(F_TAIL);
  if (records) {
    c.label(F_RECORD);
    say(c, S_HELPER_ARG);
    c.bl(PRINT_WHERE);
    say(c, S_NOT_SAMPLE);
    c.b(F_TAIL);
  }
  c.label(F_NOT_HELPER);
  say(c, S_FAULT_WORD);
  c.b(F_TAIL);
  c.label(F_HELPER);
  say(c, S_HELPER);
  printFaultWord(c, S_FAULT_ADDR, PRINT_DEC);
  c.label(F_TAIL);
  say(c, S_INSN);
  printFaultWord(c, S_FAULT_PC, PRINT_DEC);
  say(c, S_CLOSE);
  exitWith(c, 1);
  emitWhere(c, c.mapsInImage);
}

/** Can the image's helpers fault with FAULT_BAD_RECORD (ring buffer helpers, maps/missing.ts)? */
function recordFaults(c: Context): bool {
  return (c.families & (F_RINGBUF | F_MISSING)) != 0;
}

/**
 * Prints a field of the fault report with `routine` (print_dec or print_hex): the 64-bit detail at S_FAULT_ADDR,
 * or a 32-bit one (size, instruction index) with a zero high word.
 */
function printFaultWord(c: Context, field: i32, routine: i32): void {
  c.emit(ldr(R0, R11, field));
  if (field == S_FAULT_ADDR) c.emit(ldr(R1, R11, field + 4));
  else c.emit(movImm(R1, 0));
  c.bl(routine);
}

/** USAGE, FILE_ERROR, PCAP_ERROR: one line on stderr, exit status 2. */
export function emitInputErrors(c: Context, live: bool): void {
  c.label(USAGE);
  c.emit(movImm(R8, 2));
  if (c.driverOpts & OPT_SNAPSHOT) sayUsageWithSnapshots(c);
  else say(c, traceExecutable(c) ? S_USAGE_TRACE : live ? S_USAGE_LIVE : S_USAGE);
  exitWith(c, 2);
  c.label(FILE_ERROR);
  c.emit(movImm(R8, 2));
  say(c, S_FILE);
  exitWith(c, 2);
  c.label(PCAP_ERROR);
  c.emit(movImm(R8, 2));
  say(c, S_NOT_PCAP);
  exitWith(c, 2);
}

/** The routines the other parts call: exit, strcmp, write, flush, the map printer (with maps), print_dec, print_hex. */
export function emitOutputRoutines(c: Context, nmaps: i32): void {
  // exit(r0), after writing what is buffered
  c.label(EXIT);
  c.emit(movReg(R4, R0));
  c.bl(FLUSH);
  c.emit(movReg(R0, R4));
  syscall(c, SYS_EXIT);

  // strcmp: r0, r1 -> Z set when the strings are equal (uses r2, r3)
  c.label(STRCMP);
  c.label(CMP_LOOP);
  c.emit(ldrb(R2, R0, 0));
  c.emit(ldrb(R3, R1, 0));
  c.emit(cmpReg(R2, R3));
  c.jump(NE, CMP_NE);
  c.emit(cmpImm(R2, 0));
  c.emit(bxC(EQ, LR));
  c.emit(addImm(R0, R0, 1));
  c.emit(addImm(R1, R1, 1));
  c.b(CMP_LOOP);
  c.label(CMP_NE);
  c.emit(bx(LR));

  // write(r8, r1, r2): into the output buffer (flushed when full, when the descriptor changes and at exit);
  // preserves r4-r11
  c.routine(WRITE, bit(R4) | bit(LR));
  c.emit(ldr(R3, R11, S_OUT_FD));
  c.emit(cmpReg(R3, R8));
  c.jump(EQ, W_SAME);
  c.bl(FLUSH);
  c.emit(str(R8, R11, S_OUT_FD));
  c.label(W_SAME);
  c.addressOf(R4, L_STATE, S_OUT + OUT_SIZE);
  c.label(W_LOOP);
  c.emit(cmpImm(R2, 0));
  c.jump(EQ, W_DONE);
  c.emit(ldr(R0, R11, S_OUTPOS));
  c.emit(cmpReg(R0, R4));
  c.jump(LO, W_ROOM);
  c.bl(FLUSH);
  c.emit(ldr(R0, R11, S_OUTPOS));
  c.label(W_ROOM);
  c.emit(ldrb(R3, R1, 0));
  c.emit(strb(R3, R0, 0));
  c.emit(addImm(R0, R0, 1));
  c.emit(str(R0, R11, S_OUTPOS));
  c.emit(addImm(R1, R1, 1));
  c.emit(subImm(R2, R2, 1));
  c.b(W_LOOP);
  c.label(W_DONE);
  c.routineEnd(bit(R4) | bit(LR));

  // flush: write the buffer to S_OUT_FD; preserves r1, r2, r4-r11
  c.routine(FLUSH, bit(R1) | bit(R2) | bit(R7) | bit(LR));
  c.addressOf(R1, L_STATE, S_OUT);
  c.emit(ldr(R2, R11, S_OUTPOS));
  c.emit(opRegS(OP_SUB, R2, R2, R1));
  c.jump(EQ, FL_SKIP);
  c.emit(str(R1, R11, S_OUTPOS));
  c.emit(ldr(R0, R11, S_OUT_FD));
  syscall(c, SYS_WRITE);
  c.label(FL_SKIP);
  c.routineEnd(bit(R1) | bit(R2) | bit(R7) | bit(LR));

  c.endSection(SEC_OUTPUT);
  if (nmaps > 0 && !traceExecutable(c)) emitPrintMaps(c, nmaps);
  c.endSection(SEC_MAP_PRINTER);

  // print_dec: r0:r1 as unsigned decimal on r8
  c.routine(PRINT_DEC, bit(R4) | bit(R5) | bit(LR));
  c.emit(addImm(R4, R11, S_BUF + 32));
  c.emit(movReg(R5, R4));
  decimalDigits(c, DIGITS);
  c.bl(WRITE);
  c.routineEnd(bit(R4) | bit(R5) | bit(LR));

  // print_hex: r0:r1 as lower-case hex without leading zeros on r8
  c.routine(PRINT_HEX, bit(R4) | bit(R5) | bit(LR));
  c.emit(addImm(R4, R11, S_BUF + 32));
  c.emit(movReg(R5, R4));
  c.label(HEX_LOOP);
  c.emit(opImm(OP_AND, R2, R0, 15));
  c.emit(cmpImm(R2, 10));
  c.emit(dpImm(0x2 /* HS */, OP_ADD, 0, R2, R2, 39)); // 'a' - '0' - 10
  c.emit(addImm(R2, R2, 48));
  c.emit(strbPreDec(R2, R4));
  c.emit(dpReg(AL, 0xd /* MOV */, 0, R0, 0, R0, SH_LSR, 4));
  c.emit(dpReg(AL, OP_ORR, 0, R0, R0, R1, SH_LSL, 28));
  c.emit(dpReg(AL, 0xd /* MOV */, 0, R1, 0, R1, SH_LSR, 4));
  c.emit(opRegS(OP_ORR, IP, R0, R1));
  c.jump(NE, HEX_LOOP);
  c.emit(movReg(R1, R4));
  c.emit(opReg(OP_SUB, R2, R5, R4));
  c.bl(WRITE);
  c.routineEnd(bit(R4) | bit(R5) | bit(LR));
  c.endSection(SEC_NUMBERS);
}

/**
 * print_maps(r0 = 1 for JSON): every map after the runs. JSON: `"NAME":[{"key":"HEX","value":"HEX"},...]` per map,
 * separated by commas (hex of the stored bytes; arrays list every index, hash maps in get_next_key order: bucket by
 * bucket, each chain in order). Readable: `NAME[KEY] = VALUE` per line, array entries whose value is all zeros left
 * out. Output on r8.
 */
function emitPrintMaps(c: Context, nmaps: i32): void {
  c.routine(L_PRINT_MAPS, bit(R4) | bit(R5) | bit(R6) | bit(R7) | bit(R9) | bit(R10) | bit(LR));
  c.emit(movReg(R10, R0)); // JSON?
  c.emit(movImm(R9, 0)); // map index
  c.label(P_MAP);
  c.emitConst(IP, <u32>nmaps);
  c.emit(cmpReg(R9, IP));
  c.jump(HS, P_MAPS_DONE);
  descOf(c, R4, R9);
  c.emit(cmpImm(R10, 0));
  c.jump(EQ, P_ITEMS);
  c.emit(cmpImm(R9, 0));
  c.jump(EQ, P_COMMA1);
  say(c, S_COMMA);
  c.label(P_COMMA1);
  c.emit(ldr(R1, R4, D_NAME));
  c.emit(ldr(R2, R4, D_NAME_LEN));
  c.bl(WRITE);
  say(c, S_J_ITEMS);
  c.label(P_ITEMS);
  c.emit(movImm(R6, 1)); // the next entry is the first
  if (printsMoreMaps(c)) { // maps of the other families (maps/print.ts): Z set when it printed them
    c.bl(L_PRINT_MORE);
    c.jump(EQ, P_A_DONE);
  }
  c.emit(ldrb(R0, R4, D_TYPE)); // the storage kind (abi.ts K_*)
  c.emit(cmpImm(R0, 1)); // HASH
  c.jump(NE, P_ARRAY);
  c.emit(movImm(R7, 0)); // bucket
  c.label(P_H_BUCKET);
  c.emit(ldr(R0, R4, D_MASK));
  c.emit(cmpReg(R7, R0));
  c.jump(HI, P_A_DONE);
  c.emit(ldr(R0, R4, D_BUCKETS));
  c.emit(dpReg(AL, OP_ADD, 0, R0, R0, R7, SH_LSL, 2));
  c.emit(ldr(R5, R0, 0));
  c.label(P_H_CHAIN);
  c.emit(cmpImm(R5, 0));
  c.jump(EQ, P_H_NEXT);
  c.emit(push(bit(R5) | bit(R7)));
  c.emit(ldr(R0, R4, D_RECORDS));
  slot(c, R7, R0, R5, D_REC_STRIDE, true);
  c.emit(ldr(R1, R4, D_VALUES));
  slot(c, R1, R1, R5, D_STRIDE, true);
  c.emit(addImm(R0, R7, 16)); // the record's key
  c.emit(ldr(R5, R7, 0)); // the next element in the chain
  c.emit(push(bit(R5)));
  c.bl(P_ENTRY);
  c.emit(pop(bit(R5)));
  c.emit(pop(bit(R0) | bit(R7)));
  c.b(P_H_CHAIN);
  c.label(P_H_NEXT);
  c.emit(addImm(R7, R7, 1));
  c.b(P_H_BUCKET);
  c.label(P_ARRAY);
  c.emit(movImm(R7, 0)); // index
  c.label(P_A_LOOP);
  c.emit(ldr(R0, R4, D_MAX));
  c.emit(cmpReg(R7, R0));
  c.jump(HS, P_A_DONE);
  c.emit(str(R7, R11, S_BUF + 48)); // the key's bytes
  c.emit(ldr(R1, R4, D_VALUES));
  slot(c, R1, R1, R7, D_STRIDE, false);
  c.emit(ldrb(R0, R4, D_TYPE));
  c.emit(cmpImm(R0, 3)); // PROG_ARRAY, ARRAY_OF_MAPS: empty slots (-1) are left out, as in the host's dump
  c.jump(NE, P_SHOW_SLOT);
  c.emit(ldr(R0, R1, 0));
  c.emit(dpImm(AL, OP_CMN, 1, 0, R0, 1));
  c.jump(EQ, P_A_NEXT);
  c.label(P_SHOW_SLOT);
  c.emit(addImm(R0, R11, S_BUF + 48));
  c.bl(P_ENTRY);
  c.label(P_A_NEXT);
  c.emit(addImm(R7, R7, 1));
  c.b(P_A_LOOP);
  c.label(P_A_DONE);
  c.emit(cmpImm(R10, 0));
  c.jump(EQ, P_CLOSED);
  say(c, S_RBRACKET);
  c.label(P_CLOSED);
  c.emit(addImm(R9, R9, 1));
  c.b(P_MAP);
  c.label(P_MAPS_DONE);
  c.routineEnd(bit(R4) | bit(R5) | bit(R6) | bit(R7) | bit(R9) | bit(R10) | bit(LR));

  // entry: r0 = key address, r1 = value address (r4 = descriptor, r6 = first entry, r10 = JSON)
  c.label(P_ENTRY);
  c.routine(L_PRINT_ENTRY, bit(R5) | bit(R7) | bit(R9) | bit(LR));
  c.emit(movReg(R5, R0));
  c.emit(movReg(R7, R1));
  c.emit(cmpImm(R10, 0));
  c.jump(NE, P_JSON_ENTRY);
  c.emit(ldr(R0, R4, D_ZERO_SKIP));
  c.emit(cmpImm(R0, 0));
  c.jump(EQ, P_SHOW);
  c.emit(ldr(R2, R4, D_VALUE_SIZE));
  c.emit(movReg(R1, R7));
  c.label(P_ZERO_LOOP);
  c.emit(ldrb(R0, R1, 0));
  c.emit(cmpImm(R0, 0));
  c.jump(NE, P_SHOW);
  c.emit(addImm(R1, R1, 1));
  c.emit(opImmS(OP_SUB, R2, R2, 1));
  c.jump(NE, P_ZERO_LOOP);
  c.b(P_ENTRY_DONE);
  c.label(P_SHOW);
  c.emit(ldr(R1, R4, D_NAME));
  c.emit(ldr(R2, R4, D_NAME_LEN));
  c.emit(addImm(R1, R1, 1)); // the name without its quotes
  c.emit(subImm(R2, R2, 2));
  c.bl(WRITE);
  keyAndValue(c, S_LBRACKET, S_EQUALS, S_NL);
  c.b(P_ENTRY_DONE);
  c.label(P_JSON_ENTRY);
  c.emit(cmpImm(R6, 0));
  c.jump(NE, P_COMMA2);
  say(c, S_COMMA);
  c.label(P_COMMA2);
  c.emit(movImm(R6, 0));
  keyAndValue(c, S_J_KEY, S_J_VALUE, S_J_ENTRY_END);
  c.label(P_ENTRY_DONE);
  c.routineEnd(bit(R5) | bit(R7) | bit(R9) | bit(LR));

  // hex: r0 = address, r1 = bytes -> two lower-case hex digits per byte, in memory order
  c.routine(P_HEX, bit(R5) | bit(R6) | bit(R7) | bit(LR));
  c.emit(movReg(R5, R0));
  c.emit(movReg(R6, R1));
  c.label(P_HEX_LOOP);
  c.emit(cmpImm(R6, 0));
  c.jump(EQ, P_HEX_DONE);
  c.emit(ldrb(R0, R5, 0));
  c.emit(addImm(R1, R11, S_BUF));
  c.emit(dpReg(AL, 0xd /* MOV */, 0, R2, 0, R0, SH_LSR, 4));
  c.emit(cmpImm(R2, 10));
  c.emit(dpImm(HS, OP_ADD, 0, R2, R2, 39)); // 'a' - '0' - 10
  c.emit(addImm(R2, R2, 48));
  c.emit(strb(R2, R1, 0));
  c.emit(opImm(OP_AND, R2, R0, 15));
  c.emit(cmpImm(R2, 10));
  c.emit(dpImm(HS, OP_ADD, 0, R2, R2, 39));
  c.emit(addImm(R2, R2, 48));
  c.emit(strb(R2, R1, 1));
  c.emit(movImm(R2, 2));
  c.bl(WRITE);
  c.emit(addImm(R5, R5, 1));
  c.emit(subImm(R6, R6, 1));
  c.b(P_HEX_LOOP);
  c.label(P_HEX_DONE);
  c.routineEnd(bit(R5) | bit(R6) | bit(R7) | bit(LR));
}

/** One map entry's key (r5) and value (r7) in hex, map descriptor r4: `before` key `between` value `after`. */
function keyAndValue(c: Context, before: i32, between: i32, after: i32): void {
  say(c, before);
  c.emit(movReg(R0, R5));
  c.emit(ldr(R1, R4, D_KEY_SIZE));
  c.bl(P_HEX);
  say(c, between);
  c.emit(movReg(R0, R7));
  c.emit(ldr(R1, R4, D_VALUE_SIZE));
  c.bl(P_HEX);
  say(c, after);
}

/** The driver's strings, after the code. */
export function emitDriverStrings(c: Context): void {
  for (let s = 0; s < STRINGS.length; s++) {
    if (!stringNeeded(c, s)) continue;
    if ((s == S_BUDGET_OF || s == S_EXHAUSTED) && !needed(c, L_BUDGET_FAULT)) continue;
    if (s == S_DEPTH && !needed(c, L_DEPTH_FAULT)) continue;
    if (s == S_NOT_SAMPLE && !recordFaults(c)) continue;
    c.label(STR_BASE + s);
    const text = STRINGS[s];
    for (let i = 0; i < text.length; i++) c.emitByte(<u32>text.charCodeAt(i));
    c.emitByte(0);
  }
  if (traceExecutable(c)) {
    c.align4();
    return;
  }
  c.label(OPT_EACH_TEXT); // an option outside the string table, whose indexes the labels above follow
  const each = "--each";
  for (let i = 0; i < each.length; i++) c.emitByte(<u32>each.charCodeAt(i));
  c.emitByte(0);
  c.align4();
}
