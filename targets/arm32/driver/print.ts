// What the driver writes: the fault line, the usage and input errors, the buffered output (write, flush, and exit,
// which flushes it), decimal and hex numbers, the maps after the runs, and the strings all of these print. Also
// strcmp, with which the arguments are matched against those strings.

import {
  emit, emitByte, align4, emitConst, R0, R1, R2, R3, R4, R5, R6, R7, R8, R9, R10, R11, IP, LR, PC, AL, EQ, NE, HI, HS,
  LO, MI, ldr, str, ldrb, strb, movReg, movRegC, movImm, cmpImm, cmpReg, opImm, opImmS, opReg, opRegS, dpReg, dpImm,
  push, pop, bit, bx, addImm, subImm, strbPreDec, OP_ADD, OP_SUB, OP_AND, OP_ORR, OP_CMN, SH_LSL, SH_LSR,
} from "../../../assembly/arm32/a32/encoder";
import {
  label, b, bl, jump, addressOf, S_FAULT, S_FAULT_PC, S_FAULT_ADDR, S_FAULT_SIZE, S_BUF, S_OUTPOS, S_OUT_FD, S_OUT,
  OUT_SIZE, S_REGIONS, REGION_BYTES, S_NREGIONS, L_UDIVMOD64, L_PRINT_MAPS, L_STATE, L_PROG_STARTS, L_PRINT_MORE,
  L_PRINT_ENTRY,
} from "../image";
import { programStarts } from "../../../assembly/arm32/jit/calls";
import {
  D_TYPE, D_MASK, D_BUCKETS, D_RECORDS, D_REC_STRIDE, D_VALUES, D_STRIDE, D_MAX, D_NAME, D_NAME_LEN, D_KEY_SIZE,
  D_VALUE_SIZE, D_ZERO_SKIP, descOf, slot, printsMoreMaps,
} from "../maps/index";
import { FAULT_READ, FAULT_WRITE, FAULT_BUDGET, FAULT_CALL_DEPTH, FAULT_HELPER } from "../../../assembly/layout";
import {
  SYS_EXIT, SYS_WRITE, OPT_SKB, USAGE, FILE_ERROR, PRINT_FAULT, STRCMP, WRITE, PRINT_DEC, PRINT_HEX, EXIT, DIGITS,
  CMP_LOOP, CMP_NE, HEX_LOOP, F_NOT_READ, F_NOT_WRITE, F_NOT_BUDGET, F_NOT_DEPTH, F_TAIL, F_MEM, F_HELPER, PCAP_ERROR,
  FLUSH, W_SAME, W_LOOP, W_ROOM, W_DONE, FL_SKIP, F_NOT_HELPER, P_MAP, P_MAPS_DONE, P_ARRAY, P_A_LOOP, P_A_DONE,
  P_H_BUCKET, P_H_CHAIN, P_H_NEXT, P_ENTRY, P_HEX, P_HEX_LOOP, P_JSON_ENTRY, P_ZERO_LOOP, P_SHOW, P_ENTRY_DONE, P_ITEMS,
  P_COMMA1, P_CLOSED, P_COMMA2, P_HEX_DONE, STR_BASE, STRINGS, LIVE_STRINGS, FIRST_LIVE_STRING, S_NL, S_READ, S_WRITE,
  S_BYTES_AT, S_BUDGET_OF, S_EXHAUSTED, S_DEPTH, S_HELPER, S_INSN, S_CLOSE, S_USAGE, S_FILE, S_FAULT_WORD, S_NOT_PCAP,
  S_MAP_ARG, S_NOT_MAP, S_COMMA, S_RBRACKET, S_J_ENTRY_END, S_LBRACKET, S_EQUALS, S_J_KEY, S_J_VALUE, S_J_ITEMS,
  S_USAGE_LIVE, S_RO_WRITE, S_RO_BYTES_AT, F_PROG_LOOP, P_A_NEXT, P_SHOW_SLOT, F_OOB_WRITE, F_RO_LOOP, F_ADDR,
  OPT_EACH_TEXT, driverOpts, syscall, say, exitWith,
} from "./common";

const FAULT_BAD_MAP_CODE: u32 = 7;

/** PRINT_FAULT: the fault line, in the interpreter's words. Ends the process (exit status 1). */
export function emitFaultLine(): void {
  label(PRINT_FAULT);
  emit(movImm(R8, 2));
  if (programStarts > 1) {
    // The image holds the programs tail calls reach, one after the other: name the one that was running and
    // make the index its own. L_PROG_STARTS: (first instruction, name address, name length) per program.
    emit(ldr(R0, R11, S_FAULT_PC));
    addressOf(R4, L_PROG_STARTS, 0);
    emitConst(R5, <u32>programStarts);
    emit(movImm(R3, 0));
    label(F_PROG_LOOP);
    emit(ldr(IP, R4, 0));
    emit(cmpReg(R0, IP));
    emit(movRegC(HS, R3, IP));
    emit((ldr(R6, R4, 4) & 0x0fffffff) | (HS << 28));
    emit((ldr(R7, R4, 8) & 0x0fffffff) | (HS << 28));
    emit(addImm(R4, R4, 12));
    emit(opImmS(OP_SUB, R5, R5, 1));
    jump(NE, F_PROG_LOOP);
    emit(opReg(OP_SUB, R0, R0, R3));
    emit(str(R0, R11, S_FAULT_PC));
    emit(movReg(R1, R6));
    emit(movReg(R2, R7));
    bl(WRITE);
    emitConst(R0, 0x203a); // ": "
    emit(str(R0, R11, S_BUF));
    emit(addImm(R1, R11, S_BUF));
    emit(movImm(R2, 2));
    bl(WRITE);
  }
  emit(ldr(R4, R11, S_FAULT));
  emit(cmpImm(R4, FAULT_READ));
  jump(NE, F_NOT_READ);
  say(S_READ);
  b(F_MEM);
  label(F_NOT_READ);
  emit(cmpImm(R4, FAULT_WRITE));
  jump(NE, F_NOT_WRITE);
  // a write the program could have made as a read: to read-only memory
  emit(ldr(R0, R11, S_FAULT_ADDR));
  emit(ldr(R1, R11, S_FAULT_ADDR + 4));
  emit(ldr(R2, R11, S_FAULT_SIZE));
  emit(cmpImm(R1, 0));
  jump(NE, F_OOB_WRITE);
  emit(ldr(R3, R11, S_NREGIONS));
  emit(addImm(R5, R11, S_REGIONS));
  label(F_RO_LOOP);
  emit(opImmS(OP_SUB, R3, R3, 1));
  jump(MI, F_OOB_WRITE);
  emit(ldr(R6, R5, 0));
  emit(ldr(R7, R5, 4));
  emit(addImm(R5, R5, REGION_BYTES));
  emit(cmpReg(R0, R6));
  jump(LO, F_RO_LOOP);
  emit(opRegS(OP_SUB, R7, R7, R2));
  jump(LO, F_RO_LOOP);
  emit(cmpReg(R0, R7));
  jump(HI, F_RO_LOOP);
  say(S_RO_WRITE);
  printFaultWord(S_FAULT_SIZE, PRINT_DEC);
  say(S_RO_BYTES_AT);
  b(F_ADDR);
  label(F_OOB_WRITE);
  say(S_WRITE);
  label(F_MEM);
  printFaultWord(S_FAULT_SIZE, PRINT_DEC);
  say(S_BYTES_AT);
  label(F_ADDR);
  printFaultWord(S_FAULT_ADDR, PRINT_HEX);
  b(F_TAIL);
  label(F_NOT_WRITE);
  emit(cmpImm(R4, FAULT_BUDGET));
  jump(NE, F_NOT_BUDGET);
  say(S_BUDGET_OF);
  printFaultWord(S_FAULT_ADDR, PRINT_DEC);
  say(S_EXHAUSTED);
  b(F_TAIL);
  label(F_NOT_BUDGET);
  emit(cmpImm(R4, FAULT_CALL_DEPTH));
  jump(NE, F_NOT_DEPTH);
  say(S_DEPTH);
  b(F_TAIL);
  label(F_NOT_DEPTH);
  emit(cmpImm(R4, FAULT_HELPER));
  jump(EQ, F_HELPER);
  emit(cmpImm(R4, FAULT_BAD_MAP_CODE));
  jump(NE, F_NOT_HELPER);
  say(S_MAP_ARG);
  printFaultWord(S_FAULT_ADDR, PRINT_HEX);
  say(S_NOT_MAP);
  b(F_TAIL);
  label(F_NOT_HELPER);
  say(S_FAULT_WORD);
  b(F_TAIL);
  label(F_HELPER);
  say(S_HELPER);
  printFaultWord(S_FAULT_ADDR, PRINT_DEC);
  label(F_TAIL);
  say(S_INSN);
  printFaultWord(S_FAULT_PC, PRINT_DEC);
  say(S_CLOSE);
  exitWith(1);
}

/**
 * Prints a field of the fault report with `routine` (print_dec or print_hex): the 64-bit detail at S_FAULT_ADDR,
 * or a 32-bit one (size, instruction index) with a zero high word.
 */
function printFaultWord(field: i32, routine: i32): void {
  emit(ldr(R0, R11, field));
  if (field == S_FAULT_ADDR) emit(ldr(R1, R11, field + 4));
  else emit(movImm(R1, 0));
  bl(routine);
}

/** USAGE, FILE_ERROR, PCAP_ERROR: one line on stderr, exit status 2. */
export function emitInputErrors(live: bool): void {
  label(USAGE);
  emit(movImm(R8, 2));
  say(live ? S_USAGE_LIVE : S_USAGE);
  exitWith(2);
  label(FILE_ERROR);
  emit(movImm(R8, 2));
  say(S_FILE);
  exitWith(2);
  label(PCAP_ERROR);
  emit(movImm(R8, 2));
  say(S_NOT_PCAP);
  exitWith(2);
}

/** The routines the other parts call: exit, strcmp, write, flush, the map printer (with maps), print_dec, print_hex. */
export function emitOutputRoutines(nmaps: i32): void {
  // exit(r0), after writing what is buffered
  label(EXIT);
  emit(movReg(R4, R0));
  bl(FLUSH);
  emit(movReg(R0, R4));
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

  // write(r8, r1, r2): into the output buffer (flushed when full, when the descriptor changes and at exit);
  // preserves r4-r11
  label(WRITE);
  emit(push(bit(R4) | bit(LR)));
  emit(ldr(R3, R11, S_OUT_FD));
  emit(cmpReg(R3, R8));
  jump(EQ, W_SAME);
  bl(FLUSH);
  emit(str(R8, R11, S_OUT_FD));
  label(W_SAME);
  addressOf(R4, L_STATE, S_OUT + OUT_SIZE);
  label(W_LOOP);
  emit(cmpImm(R2, 0));
  jump(EQ, W_DONE);
  emit(ldr(R0, R11, S_OUTPOS));
  emit(cmpReg(R0, R4));
  jump(LO, W_ROOM);
  bl(FLUSH);
  emit(ldr(R0, R11, S_OUTPOS));
  label(W_ROOM);
  emit(ldrb(R3, R1, 0));
  emit(strb(R3, R0, 0));
  emit(addImm(R0, R0, 1));
  emit(str(R0, R11, S_OUTPOS));
  emit(addImm(R1, R1, 1));
  emit(subImm(R2, R2, 1));
  b(W_LOOP);
  label(W_DONE);
  emit(pop(bit(R4) | bit(PC)));

  // flush: write the buffer to S_OUT_FD; preserves r1, r2, r4-r11
  label(FLUSH);
  emit(push(bit(R1) | bit(R2) | bit(R7) | bit(LR)));
  addressOf(R1, L_STATE, S_OUT);
  emit(ldr(R2, R11, S_OUTPOS));
  emit(opRegS(OP_SUB, R2, R2, R1));
  jump(EQ, FL_SKIP);
  emit(str(R1, R11, S_OUTPOS));
  emit(ldr(R0, R11, S_OUT_FD));
  syscall(SYS_WRITE);
  label(FL_SKIP);
  emit(pop(bit(R1) | bit(R2) | bit(R7) | bit(PC)));

  if (nmaps > 0) emitPrintMaps(nmaps);

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

/**
 * print_maps(r0 = 1 for JSON): every map after the runs. JSON: `"NAME":[{"key":"HEX","value":"HEX"},...]` per map,
 * separated by commas (hex of the stored bytes; arrays list every index, hash maps in get_next_key order: bucket by
 * bucket, each chain in order). Readable: `NAME[KEY] = VALUE` per line, array entries whose value is all zeros left
 * out. Output on r8.
 */
function emitPrintMaps(nmaps: i32): void {
  label(L_PRINT_MAPS);
  emit(push(bit(R4) | bit(R5) | bit(R6) | bit(R7) | bit(R9) | bit(R10) | bit(LR)));
  emit(movReg(R10, R0)); // JSON?
  emit(movImm(R9, 0)); // map index
  label(P_MAP);
  emitConst(IP, <u32>nmaps);
  emit(cmpReg(R9, IP));
  jump(HS, P_MAPS_DONE);
  descOf(R4, R9);
  emit(cmpImm(R10, 0));
  jump(EQ, P_ITEMS);
  emit(cmpImm(R9, 0));
  jump(EQ, P_COMMA1);
  say(S_COMMA);
  label(P_COMMA1);
  emit(ldr(R1, R4, D_NAME));
  emit(ldr(R2, R4, D_NAME_LEN));
  bl(WRITE);
  say(S_J_ITEMS);
  label(P_ITEMS);
  emit(movImm(R6, 1)); // the next entry is the first
  if (printsMoreMaps()) { // maps of the other families (maps-print.ts): Z set when it printed them
    bl(L_PRINT_MORE);
    jump(EQ, P_A_DONE);
  }
  emit(ldrb(R0, R4, D_TYPE)); // the storage kind (maps.ts K_*)
  emit(cmpImm(R0, 1)); // HASH
  jump(NE, P_ARRAY);
  emit(movImm(R7, 0)); // bucket
  label(P_H_BUCKET);
  emit(ldr(R0, R4, D_MASK));
  emit(cmpReg(R7, R0));
  jump(HI, P_A_DONE);
  emit(ldr(R0, R4, D_BUCKETS));
  emit(dpReg(AL, OP_ADD, 0, R0, R0, R7, SH_LSL, 2));
  emit(ldr(R5, R0, 0));
  label(P_H_CHAIN);
  emit(cmpImm(R5, 0));
  jump(EQ, P_H_NEXT);
  emit(push(bit(R5) | bit(R7)));
  emit(ldr(R0, R4, D_RECORDS));
  slot(R7, R0, R5, D_REC_STRIDE, true);
  emit(ldr(R1, R4, D_VALUES));
  slot(R1, R1, R5, D_STRIDE, true);
  emit(addImm(R0, R7, 16)); // the record's key
  emit(ldr(R5, R7, 0)); // the next element in the chain
  emit(push(bit(R5)));
  bl(P_ENTRY);
  emit(pop(bit(R5)));
  emit(pop(bit(R0) | bit(R7)));
  b(P_H_CHAIN);
  label(P_H_NEXT);
  emit(addImm(R7, R7, 1));
  b(P_H_BUCKET);
  label(P_ARRAY);
  emit(movImm(R7, 0)); // index
  label(P_A_LOOP);
  emit(ldr(R0, R4, D_MAX));
  emit(cmpReg(R7, R0));
  jump(HS, P_A_DONE);
  emit(str(R7, R11, S_BUF + 48)); // the key's bytes
  emit(ldr(R1, R4, D_VALUES));
  slot(R1, R1, R7, D_STRIDE, false);
  emit(ldrb(R0, R4, D_TYPE));
  emit(cmpImm(R0, 3)); // PROG_ARRAY, ARRAY_OF_MAPS: empty slots (-1) are left out, as in the host's dump
  jump(NE, P_SHOW_SLOT);
  emit(ldr(R0, R1, 0));
  emit(dpImm(AL, OP_CMN, 1, 0, R0, 1));
  jump(EQ, P_A_NEXT);
  label(P_SHOW_SLOT);
  emit(addImm(R0, R11, S_BUF + 48));
  bl(P_ENTRY);
  label(P_A_NEXT);
  emit(addImm(R7, R7, 1));
  b(P_A_LOOP);
  label(P_A_DONE);
  emit(cmpImm(R10, 0));
  jump(EQ, P_CLOSED);
  say(S_RBRACKET);
  label(P_CLOSED);
  emit(addImm(R9, R9, 1));
  b(P_MAP);
  label(P_MAPS_DONE);
  emit(pop(bit(R4) | bit(R5) | bit(R6) | bit(R7) | bit(R9) | bit(R10) | bit(PC)));

  // entry: r0 = key address, r1 = value address (r4 = descriptor, r6 = first entry, r10 = JSON)
  label(P_ENTRY);
  label(L_PRINT_ENTRY);
  emit(push(bit(R5) | bit(R7) | bit(R9) | bit(LR)));
  emit(movReg(R5, R0));
  emit(movReg(R7, R1));
  emit(cmpImm(R10, 0));
  jump(NE, P_JSON_ENTRY);
  emit(ldr(R0, R4, D_ZERO_SKIP));
  emit(cmpImm(R0, 0));
  jump(EQ, P_SHOW);
  emit(ldr(R2, R4, D_VALUE_SIZE));
  emit(movReg(R1, R7));
  label(P_ZERO_LOOP);
  emit(ldrb(R0, R1, 0));
  emit(cmpImm(R0, 0));
  jump(NE, P_SHOW);
  emit(addImm(R1, R1, 1));
  emit(opImmS(OP_SUB, R2, R2, 1));
  jump(NE, P_ZERO_LOOP);
  b(P_ENTRY_DONE);
  label(P_SHOW);
  emit(ldr(R1, R4, D_NAME));
  emit(ldr(R2, R4, D_NAME_LEN));
  emit(addImm(R1, R1, 1)); // the name without its quotes
  emit(subImm(R2, R2, 2));
  bl(WRITE);
  keyAndValue(S_LBRACKET, S_EQUALS, S_NL);
  b(P_ENTRY_DONE);
  label(P_JSON_ENTRY);
  emit(cmpImm(R6, 0));
  jump(NE, P_COMMA2);
  say(S_COMMA);
  label(P_COMMA2);
  emit(movImm(R6, 0));
  keyAndValue(S_J_KEY, S_J_VALUE, S_J_ENTRY_END);
  label(P_ENTRY_DONE);
  emit(pop(bit(R5) | bit(R7) | bit(R9) | bit(PC)));

  // hex: r0 = address, r1 = bytes -> two lower-case hex digits per byte, in memory order
  label(P_HEX);
  emit(push(bit(R5) | bit(R6) | bit(R7) | bit(LR)));
  emit(movReg(R5, R0));
  emit(movReg(R6, R1));
  label(P_HEX_LOOP);
  emit(cmpImm(R6, 0));
  jump(EQ, P_HEX_DONE);
  emit(ldrb(R0, R5, 0));
  emit(addImm(R1, R11, S_BUF));
  emit(dpReg(AL, 0xd /* MOV */, 0, R2, 0, R0, SH_LSR, 4));
  emit(cmpImm(R2, 10));
  emit(dpImm(HS, OP_ADD, 0, R2, R2, 39)); // 'a' - '0' - 10
  emit(addImm(R2, R2, 48));
  emit(strb(R2, R1, 0));
  emit(opImm(OP_AND, R2, R0, 15));
  emit(cmpImm(R2, 10));
  emit(dpImm(HS, OP_ADD, 0, R2, R2, 39));
  emit(addImm(R2, R2, 48));
  emit(strb(R2, R1, 1));
  emit(movImm(R2, 2));
  bl(WRITE);
  emit(addImm(R5, R5, 1));
  emit(subImm(R6, R6, 1));
  b(P_HEX_LOOP);
  label(P_HEX_DONE);
  emit(pop(bit(R5) | bit(R6) | bit(R7) | bit(PC)));
}

/** One map entry's key (r5) and value (r7) in hex, map descriptor r4: `before` key `between` value `after`. */
function keyAndValue(before: i32, between: i32, after: i32): void {
  say(before);
  emit(movReg(R0, R5));
  emit(ldr(R1, R4, D_KEY_SIZE));
  bl(P_HEX);
  say(between);
  emit(movReg(R0, R7));
  emit(ldr(R1, R4, D_VALUE_SIZE));
  bl(P_HEX);
  say(after);
}

/** `bx lr` under a condition: strcmp returns as soon as equal strings end. */
function bxIf(cond: u32): u32 {
  return (cond << 28) | 0x012fff10 | <u32>LR;
}

/** The driver's strings, after the code. */
export function emitDriverStrings(): void {
  for (let s = 0; s < STRINGS.length; s++) {
    if (s >= FIRST_LIVE_STRING && s < FIRST_LIVE_STRING + LIVE_STRINGS && !(driverOpts & OPT_SKB)) continue;
    label(STR_BASE + s);
    const text = STRINGS[s];
    for (let i = 0; i < text.length; i++) emitByte(<u32>text.charCodeAt(i));
    emitByte(0);
  }
  label(OPT_EACH_TEXT); // an option outside the string table, whose indexes the labels above follow
  const each = "--each";
  for (let i = 0; i < each.length; i++) emitByte(<u32>each.charCodeAt(i));
  emitByte(0);
  align4();
}
