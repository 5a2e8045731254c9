// bpftrace's printing of a trace script's maps, as ARM code in the executable (`tinybpf build --trace`): at exit
// the driver calls L_PRINT_BPFTRACE instead of printing r0 and the raw entries, and the output is what
// `tinybpf trace` prints (src/trace/output.ts formatMap): two line breaks, then every map in name order;
// `@name[key]: value` lines sorted by value, ties by key; histograms grouped by key, the groups ordered by their
// total count, rows from the first to the last non-empty bucket with 52-column bars.
//
// The host describes the maps (targets/arm32/bpftrace.ts): which map, the value's kind, the key parts' types and
// the rows' labels, so that no label is computed here. Entries are collected into scratch memory mapped at print
// time (16 bytes each: a 64-bit sort value, the key's and the value's address) and put in order by an insertion
// sort: a few thousand entries at most, printed once. A bar is 52 * count / max, truncated, in integers: the same
// width as bpftrace's single-precision computation for every count up to 20,000 (checked exhaustively); beyond,
// a count within one part in 2^23 of a bar's boundary could differ by one column.
//
// The BEGIN probes' text is printed (and flushed) once the arguments are read, L_BPFTRACE_BEGIN; what the END
// probes print (text, and scalar maps' values where the host left holes) comes before the maps. The parts a
// script's maps do not need (abi.ts OPT_BT_*: histograms, avg/stats, ntop, strings, END's values, signed numbers)
// are left out.
//
// Registers while printing: r8 the output descriptor (1), r9 the scratch memory, r10 the map's description record,
// r11 the state block; r4 the map's descriptor inside print_map.

import {
  AL, EQ, GE, HI, HS, LE, LO, LR, MI, NE, OP_ADC, OP_ADD, OP_AND, OP_CMN, OP_CMP, OP_EOR, OP_MOV, OP_MVN, OP_ORR,
  OP_RSB, OP_RSC, OP_SUB, R0, R1, R10, R11, R2, R3, R4, R5, R6, R7, R8, R9, IP, SH_LSL, SH_LSR, addImm, bit, bxC,
  cmpImm, cmpReg, dpImm, dpReg, dpRegShift, immRot, ldmia, ldr, ldrb, ldrbReg, mla, movImm, movReg, opImm, opImmS,
  opReg, opRegS, stmia, str, strbPreDec, subImm, umull,
} from "../../../assembly/arm32/a32/encoder";
import { block } from "../../../assembly/arm32/a32/labels";
import { Context } from "../../../assembly/arm32/jit/context";
import {
  DATA_BASE, D_BUCKETS, D_KEY_SIZE, D_MASK, D_MAX, D_RECORDS, D_REC_STRIDE, D_STRIDE, D_VALUES, OPT_BT_AVG,
  OPT_BT_END_VALUES, OPT_BT_HIST, OPT_BT_INET, OPT_BT_SIGNED, OPT_BT_STR, TRACE_DESC_AT,
} from "../abi";
import {
  BT_BEGIN, BT_BUCKETS, BT_END, BT_HEADER, BT_KEYTYPES, BT_KIND, BT_LABELS, BT_MAP, BT_NAME, BT_NKEYS, BT_RECORD,
  BT_SCRATCH_FIXED, BT_SIGNED, END_TEXT, END_VALUE, KT_INET, KT_INT, KT_STR, VK_AVG, VK_HIST, VK_INET, VK_INT,
  VK_STATS, VK_STR,
} from "../bpftrace";
import { L_SDIVMOD64, L_UDIVMOD64 } from "../image";
import { descOf, slot } from "../maps/common";
import { FLUSH, PRINT_DEC, PRINT_HEX, SYS_MMAP2, WRITE, decimalDigits, syscall } from "./common";

const B = block("bpftrace printer", 92); // this file's labels
export const L_PRINT_BPFTRACE = B + 0;
const P_DONE = B + 1;
const P_LOOP = B + 2;
const MAP = B + 3;
const M_BUCKET = B + 4;
const M_CHAIN = B + 5;
const M_NEXT = B + 6;
const M_COLLECTED = B + 7;
const M_LINES = B + 8;
const M_LINES_DONE = B + 9;
const M_END = B + 10;
const M_HIST = B + 11;
const SORTVAL = B + 12;
const SV_NOT_AVG = B + 13;
const SV_ZERO = B + 14;
const SV_SIGN = B + 15;
const AVG = B + 16;
const SORT = B + 17;
const S_OUTER = B + 18;
const S_INNER = B + 19;
const S_PLACE = B + 20;
const S_DONE = B + 21;
const CMP = B + 22;
const C_PART = B + 23;
const C_STR = B + 24;
const C_STR_LOOP = B + 25;
const C_EQUAL = B + 26;
const C_DIFF = B + 27;
const NAME = B + 28;
const KEY = B + 29;
const K_LOOP = B + 30;
const K_NUM = B + 31;
const K_UINT = B + 32;
const K_ADVANCE = B + 33;
const K_SEP = B + 34;
const K_CLOSE = B + 35;
const K_DONE = B + 36;
const VALUE = B + 37;
const V_NOT_STR = B + 38;
const V_NOT_INET = B + 39;
const V_NOT_AVG = B + 40;
const V_DONE = B + 41;
const NUM = B + 42;
const SDEC = B + 43;
const SD_POS = B + 44;
const NTOP = B + 45;
const N_LOOP = B + 46;
const N_DONE = B + 47;
const CSTR = B + 48;
const CS_LOOP = B + 49;
const CS_END = B + 50;
const DECBUF = B + 51;
const DB_LOOP = B + 52;
const SPACES = B + 53;
const G_LOOP = B + 54;
const G_MEMBER = B + 55;
const G_CLOSE = B + 56;
const G_DONE = B + 57;
const H_GROUP = B + 58;
const H_NO_SEP = B + 59;
const H_END = B + 60;
const ROWS = B + 61;
const R_ZERO = B + 62;
const R_ZERO_DONE = B + 63;
const R_ADD = B + 64;
const R_ADD_NEXT = B + 65;
const R_ADD_DONE = B + 66;
const R_MAX = B + 67;
const R_MAX_NEXT = B + 68;
const R_MAX_DONE = B + 69;
const R_LOOP = B + 70;
const R_DONE = B + 71;
const ROW = B + 72;
const RW_SCAN = B + 73;
const RW_SKIP = B + 74;
const RW_FOUND = B + 75;
const TEXT = B + 77;
const V_STATS = B + 78;
const K_SIGNED = B + 79;
/** Prints the BEGIN probes' text (not with --json) and flushes the output: the driver calls it before the runs. */
export const L_BPFTRACE_BEGIN = B + 80;
const END = B + 82;
const E_LOOP = B + 83;
const E_TEXT = B + 84;
const E_DONE = B + 85;
const E_NOT_D = B + 86;
const E_NOT_X = B + 87;
const SCALAR = B + 88;
const SC_LOOP = B + 89;
const SC_NONE = B + 90;
const E_PRINTED = B + 91;
const S = block("bpftrace printer strings", 16);

// Scratch memory (r9): a few words, a temporary entry, the digits of a number, then the entries, the histogram
// groups and the bucket counts
const SC_DESC = 0; // the description's address
const SC_N = 4; // entries collected
const SC_NG = 8; // histogram groups
const SC_G = 12; // where the groups are
const SC_COUNTS = 16; // where the bucket counts are
const SC_MAX = 24; // the largest count of a histogram (u64)
const SC_T = 32; // the entry being inserted (16 bytes)
const SC_DIGITS_END = 112; // digits are written backwards from here
const SC_E = BT_SCRATCH_FIXED; // the entries

const STRINGS: string[] = [
  "\n\n", "\n", "[", "]", ", ", ": ", ": \n", "-", ".", "count ", ", average ", ", total ", " |", "|\n",
  "                                                    ", // 52 spaces
  "@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@", // 52 @s
];
const T_SEP = 0;
const T_NL = 1;
const T_LB = 2;
const T_RB = 3;
const T_COMMA = 4;
const T_COLON = 5;
const T_HEAD = 6;
const T_MINUS = 7;
const T_DOT = 8;
const T_COUNT = 9;
const T_AVERAGE = 10;
const T_TOTAL = 11;
const T_BAR_OPEN = 12;
const T_BAR_CLOSE = 13;
const T_SPACES = 14;
const T_ATS = 15;

/** Does the script have maps that need this part of the printer (abi.ts OPT_BT_*, set by the host)? */
function has(c: Context, feature: u32): bool {
  return (c.driverOpts & feature) != 0;
}

// The strings each part needs: a string is emitted only when its part is
const STRING_NEEDS: u32[] = [
  0, 0, 0, 0, 0, 0, OPT_BT_HIST, OPT_BT_SIGNED, OPT_BT_INET, OPT_BT_AVG, OPT_BT_AVG, OPT_BT_AVG, OPT_BT_HIST,
  OPT_BT_HIST, OPT_BT_HIST, OPT_BT_HIST,
];

function say(c: Context, s: i32): void {
  c.addressOf(R1, S + s, 0);
  c.emitConst(R2, <u32>STRINGS[s].length);
  c.bl(WRITE);
}

/** rd = the description's address plus the offset in record field `field` */
function descField(c: Context, rd: i32, field: i32): void {
  c.emit(ldr(rd, R10, field));
  c.emit(ldr(IP, R9, SC_DESC));
  c.emit(dpReg(AL, OP_ADD, 0, rd, rd, IP, SH_LSL, 0));
}

/** rd = rn + rm << n */
function addShifted(c: Context, rd: i32, rn: i32, rm: i32, n: u32): void {
  c.emit(dpReg(AL, OP_ADD, 0, rd, rn, rm, SH_LSL, n));
}

/** L_PRINT_BPFTRACE: every described map, after two line breaks. Output on r8. */
export function emitBpftracePrinter(c: Context): void {
  const saved = bit(R4) | bit(R5) | bit(R6) | bit(R7) | bit(R9) | bit(R10) | bit(LR);
  c.routine(L_PRINT_BPFTRACE, saved);
  c.emitConst(R6, DATA_BASE + TRACE_DESC_AT);
  c.emit(ldr(R6, R6, 0));
  c.emit(movImm(R0, 0));
  c.emit(ldr(R1, R6, 4));
  c.emit(movImm(R2, 3)); // PROT_READ | PROT_WRITE
  c.emit(movImm(R3, 0x22)); // MAP_PRIVATE | MAP_ANONYMOUS
  c.emit(dpImm(AL, OP_MVN, 0, R4, 0, 0)); // fd -1
  c.emit(movImm(R5, 0));
  syscall(c, SYS_MMAP2);
  c.emit(dpImm(AL, OP_CMN, 1, 0, R0, immRot(4096)));
  c.jump(HI, P_DONE); // no memory: the maps are not printed
  c.emit(movReg(R9, R0));
  c.emit(str(R6, R9, SC_DESC));
  c.bl(END); // what the END probes print, then the maps
  say(c, T_SEP);
  c.emit(addImm(R10, R6, BT_HEADER));
  c.emit(ldr(R6, R6, 0));
  c.label(P_LOOP);
  c.emit(cmpImm(R6, 0));
  c.jump(EQ, P_DONE);
  c.bl(MAP);
  c.emit(addImm(R10, R10, BT_RECORD));
  c.emit(subImm(R6, R6, 1));
  c.b(P_LOOP);
  c.label(P_DONE);
  c.routineEnd(saved);

  // text: r0 = BT_BEGIN or BT_END -> that text of the description, if any (r4 is free to use)
  c.label(TEXT);
  c.emitConst(R1, DATA_BASE + TRACE_DESC_AT);
  c.emit(ldr(R1, R1, 0));
  c.emit(dpReg(AL, OP_ADD, 0, R2, R1, R0, SH_LSL, 0));
  c.emit(ldr(R0, R2, 0));
  c.emit(cmpImm(R0, 0));
  c.emit(bxC(EQ, LR));
  c.emit(opReg(OP_ADD, R0, R0, R1));
  c.emit(dpImm(AL, OP_MVN, 0, R1, 0, 0)); // no limit but the NUL
  c.b(CSTR);

  emitEnd(c);

  c.routine(L_BPFTRACE_BEGIN, bit(R4) | bit(R8) | bit(LR));
  c.emit(movImm(R8, 1)); // standard output
  c.emit(movImm(R0, BT_BEGIN));
  c.bl(TEXT);
  c.bl(FLUSH);
  c.routineEnd(bit(R4) | bit(R8) | bit(LR));

  emitPrintMap(c);
  emitSorting(c);
  emitKeyAndValue(c);
  if (has(c, OPT_BT_HIST)) emitHistogramRows(c);
  emitNumbers(c);

  for (let s = 0; s < STRINGS.length; s++) {
    if (STRING_NEEDS[s] != 0 && !has(c, STRING_NEEDS[s])) continue;
    c.label(S + s);
    const text = STRINGS[s];
    for (let i = 0; i < text.length; i++) c.emitByte(<u32>text.charCodeAt(i));
  }
  c.align4();
}

/** print_map: the map of record r10. */
function emitPrintMap(c: Context): void {
  const saved = bit(R4) | bit(R5) | bit(R6) | bit(R7) | bit(LR);
  c.routine(MAP, saved);
  c.emit(ldr(R0, R10, BT_MAP));
  descOf(c, R4, R0);
  // every element of the hash map: bucket by bucket, each chain in order
  c.emit(addImm(R5, R9, SC_E));
  c.emit(movImm(R7, 0));
  c.label(M_BUCKET);
  c.emit(ldr(R0, R4, D_MASK));
  c.emit(cmpReg(R7, R0));
  c.jump(HI, M_COLLECTED);
  c.emit(ldr(R0, R4, D_BUCKETS));
  addShifted(c, R0, R0, R7, 2);
  c.emit(ldr(R6, R0, 0)); // element index + 1
  c.label(M_CHAIN);
  c.emit(cmpImm(R6, 0));
  c.jump(EQ, M_NEXT);
  c.emit(ldr(R0, R4, D_RECORDS));
  slot(c, R2, R0, R6, D_REC_STRIDE, true);
  c.emit(ldr(R1, R4, D_VALUES));
  slot(c, R1, R1, R6, D_STRIDE, true);
  c.emit(ldr(R6, R2, 0)); // the next element in the chain
  c.emit(addImm(R2, R2, 16)); // the record's key
  c.emit(str(R2, R5, 8));
  c.emit(str(R1, R5, 12));
  c.emit(movReg(R0, R1));
  c.bl(SORTVAL);
  c.emit(str(R0, R5, 0));
  c.emit(str(R1, R5, 4));
  c.emit(addImm(R5, R5, 16));
  c.b(M_CHAIN);
  c.label(M_NEXT);
  c.emit(addImm(R7, R7, 1));
  c.b(M_BUCKET);
  c.label(M_COLLECTED);
  c.emit(addImm(R0, R9, SC_E));
  c.emit(opReg(OP_SUB, R1, R5, R0));
  c.emit(dpReg(AL, OP_MOV, 0, R1, 0, R1, SH_LSR, 4));
  c.emit(str(R1, R9, SC_N));
  c.bl(SORT);
  if (has(c, OPT_BT_HIST)) {
    c.emit(ldr(R0, R10, BT_KIND));
    c.emit(cmpImm(R0, VK_HIST));
    c.jump(EQ, M_HIST);
  }

  // one line per entry; an empty map prints its line break; avg and stats maps an empty line after
  c.emit(addImm(R5, R9, SC_E));
  c.emit(ldr(R6, R9, SC_N));
  c.emit(cmpImm(R6, 0));
  c.jump(NE, M_LINES);
  say(c, T_NL);
  c.label(M_LINES);
  c.emit(cmpImm(R6, 0));
  c.jump(EQ, M_LINES_DONE);
  c.bl(NAME);
  c.emit(ldr(R0, R5, 8));
  c.bl(KEY);
  say(c, T_COLON);
  c.emit(ldr(R0, R5, 12));
  c.bl(VALUE);
  say(c, T_NL);
  c.emit(addImm(R5, R5, 16));
  c.emit(subImm(R6, R6, 1));
  c.b(M_LINES);
  c.label(M_LINES_DONE);
  if (has(c, OPT_BT_AVG)) {
    c.emit(ldr(R0, R10, BT_KIND));
    c.emit(cmpImm(R0, VK_AVG));
    c.emit(dpImm(NE, OP_CMP, 1, 0, R0, VK_STATS));
    c.jump(NE, M_END);
    say(c, T_NL);
  }
  if (has(c, OPT_BT_HIST)) emitHistogramGroups(c);
  c.label(M_END);
  c.routineEnd(saved);
}

/** print_map's histograms: the entries (sorted by key) grouped by key, the groups sorted by total, their rows. */
function emitHistogramGroups(c: Context): void {
  c.b(M_END);
  c.label(M_HIST);
  c.emit(addImm(R5, R9, SC_E));
  c.emit(ldr(R6, R9, SC_N));
  c.emit(ldr(R0, R4, D_MAX));
  addShifted(c, R7, R5, R0, 4);
  c.emit(str(R7, R9, SC_G));
  addShifted(c, R1, R7, R0, 4);
  c.emit(str(R1, R9, SC_COUNTS));
  c.label(G_LOOP);
  c.emit(cmpImm(R6, 0));
  c.jump(EQ, G_DONE);
  c.emit(ldr(R0, R5, 8)); // the group's key
  c.emit(str(R0, R7, 8));
  c.emit(addImm(R0, R9, SC_E));
  c.emit(opReg(OP_SUB, R0, R5, R0));
  c.emit(dpReg(AL, OP_MOV, 0, R0, 0, R0, SH_LSR, 4)); // its first entry; entries counted from bit 16
  c.emit(str(R0, R7, 12));
  c.emit(movImm(R0, 0));
  c.emit(str(R0, R7, 0));
  c.emit(str(R0, R7, 4));
  c.label(G_MEMBER);
  c.emit(ldr(IP, R5, 12));
  c.emit(ldr(R0, IP, 0));
  c.emit(ldr(R1, IP, 4));
  c.emit(ldr(R2, R7, 0));
  c.emit(ldr(R3, R7, 4));
  c.emit(opRegS(OP_ADD, R2, R2, R0));
  c.emit(dpReg(AL, OP_ADC, 0, R3, R3, R1, SH_LSL, 0));
  c.emit(str(R2, R7, 0));
  c.emit(str(R3, R7, 4));
  c.emit(ldr(R0, R7, 12));
  c.emit(addImm(R0, R0, 0x10000));
  c.emit(str(R0, R7, 12));
  c.emit(addImm(R5, R5, 16));
  c.emit(opImmS(OP_SUB, R6, R6, 1));
  c.jump(EQ, G_CLOSE);
  c.emit(subImm(R0, R5, 16));
  c.emit(movReg(R1, R5));
  c.bl(CMP);
  c.emit(cmpImm(R0, 0));
  c.jump(EQ, G_MEMBER);
  c.label(G_CLOSE);
  c.emit(addImm(R7, R7, 16));
  c.b(G_LOOP);
  c.label(G_DONE);
  c.emit(ldr(R0, R9, SC_G));
  c.emit(opReg(OP_SUB, R1, R7, R0));
  c.emit(dpReg(AL, OP_MOV, 0, R1, 0, R1, SH_LSR, 4));
  c.emit(str(R1, R9, SC_NG));
  c.bl(SORT);
  // each group: its heading and rows, an empty line between groups and after the last
  c.emit(ldr(R5, R9, SC_G));
  c.emit(ldr(R6, R9, SC_NG));
  c.emit(movImm(R7, 1));
  c.emit(cmpImm(R6, 0));
  c.jump(EQ, H_END);
  c.label(H_GROUP);
  c.emit(cmpImm(R7, 0));
  c.jump(NE, H_NO_SEP);
  say(c, T_NL);
  c.label(H_NO_SEP);
  c.emit(movImm(R7, 0));
  c.bl(NAME);
  c.emit(ldr(R0, R5, 8));
  c.bl(KEY);
  say(c, T_HEAD);
  c.emit(movReg(R0, R5));
  c.bl(ROWS);
  c.emit(addImm(R5, R5, 16));
  c.emit(opImmS(OP_SUB, R6, R6, 1));
  c.jump(NE, H_GROUP);
  c.label(H_END);
  say(c, T_NL);
}

/** sortval, avg, sort (insertion sort of 16-byte entries) and cmp (two entries: sort value, then key). */
function emitSorting(c: Context): void {
  // sortval: r0 = a value's address -> r0:r1, ordered as unsigned numbers (signed values have their sign flipped)
  c.routine(SORTVAL, bit(R4) | bit(LR));
  c.emit(ldr(R2, R10, BT_KIND));
  c.emit(cmpImm(R2, VK_STR)); // strings, histograms: by key only
  c.emit(dpImm(NE, OP_CMP, 1, 0, R2, VK_HIST));
  c.jump(EQ, SV_ZERO);
  if (has(c, OPT_BT_AVG)) {
    c.emit(cmpImm(R2, VK_AVG));
    c.emit(dpImm(NE, OP_CMP, 1, 0, R2, VK_STATS));
    c.jump(NE, SV_NOT_AVG);
    c.bl(AVG);
    c.b(SV_SIGN);
  }
  c.label(SV_NOT_AVG);
  c.emit(ldr(R1, R0, 4));
  c.emit(ldr(R0, R0, 0));
  c.label(SV_SIGN);
  if (has(c, OPT_BT_SIGNED)) {
    c.emit(ldr(R2, R10, BT_SIGNED));
    c.emit(cmpImm(R2, 0));
    c.emit(dpImm(NE, OP_EOR, 0, R1, R1, immRot(0x80000000)));
  }
  c.routineEnd(bit(R4) | bit(LR));
  c.label(SV_ZERO);
  c.emit(movImm(R0, 0));
  c.emit(movImm(R1, 0));
  c.routineEnd(bit(R4) | bit(LR));

  // avg: r0 = an avg or stats value (count, total) -> r0:r1 = total / count (signed for signed maps; 0 when empty)
  if (has(c, OPT_BT_AVG)) {
    c.label(AVG);
    c.emit(ldr(R2, R0, 0));
    c.emit(ldr(R3, R0, 4));
    c.emit(ldr(R1, R0, 12));
    c.emit(ldr(R0, R0, 8));
    if (has(c, OPT_BT_SIGNED)) {
      c.emit(ldr(IP, R10, BT_SIGNED));
      c.emit(cmpImm(IP, 0));
      c.jump(NE, L_SDIVMOD64);
    }
    c.b(L_UDIVMOD64);
  }

  // sort: r0 = entries, r1 = how many
  const saved = bit(R4) | bit(R5) | bit(R6) | bit(R7) | bit(LR);
  c.routine(SORT, saved);
  c.emit(movReg(R4, R0));
  c.emit(movReg(R5, R1));
  c.emit(movImm(R6, 1));
  c.label(S_OUTER);
  c.emit(cmpReg(R6, R5));
  c.jump(HS, S_DONE);
  addShifted(c, IP, R4, R6, 4);
  c.emit(ldmia(IP, 0xf));
  c.emit(addImm(IP, R9, SC_T));
  c.emit(stmia(IP, 0xf));
  c.emit(subImm(R7, R6, 1));
  c.label(S_INNER);
  c.emit(cmpImm(R7, 0));
  c.jump(MI, S_PLACE);
  addShifted(c, R0, R4, R7, 4);
  c.emit(addImm(R1, R9, SC_T));
  c.bl(CMP);
  c.emit(cmpImm(R0, 0));
  c.jump(LE, S_PLACE);
  addShifted(c, IP, R4, R7, 4);
  c.emit(ldmia(IP, 0xf));
  c.emit(addImm(IP, IP, 16));
  c.emit(stmia(IP, 0xf));
  c.emit(subImm(R7, R7, 1));
  c.b(S_INNER);
  c.label(S_PLACE);
  c.emit(addImm(IP, R9, SC_T));
  c.emit(ldmia(IP, 0xf));
  addShifted(c, IP, R4, R7, 4);
  c.emit(addImm(IP, IP, 16));
  c.emit(stmia(IP, 0xf));
  c.emit(addImm(R6, R6, 1));
  c.b(S_OUTER);
  c.label(S_DONE);
  c.routineEnd(saved);

  // cmp: r0, r1 = two entries -> r0 = 1 (first after second), -1 (before) or 0. Sort values as unsigned 64-bit
  // numbers, then the key parts in order: integers (signed ones with the sign flipped), strings byte by byte.
  c.routine(CMP, saved);
  c.emit(ldr(R2, R0, 4));
  c.emit(ldr(R3, R1, 4));
  c.emit(cmpReg(R2, R3));
  c.jump(NE, C_DIFF);
  c.emit(ldr(R2, R0, 0));
  c.emit(ldr(R3, R1, 0));
  c.emit(cmpReg(R2, R3));
  c.jump(NE, C_DIFF);
  c.emit(ldr(R4, R0, 8));
  c.emit(ldr(R5, R1, 8));
  c.emit(ldr(R6, R10, BT_NKEYS));
  descField(c, R7, BT_KEYTYPES);
  c.label(C_PART);
  c.emit(cmpImm(R6, 0));
  c.jump(EQ, C_EQUAL);
  c.emit(ldrb(R0, R7, 0));
  c.emit(addImm(R7, R7, 1));
  c.emit(subImm(R6, R6, 1));
  if (has(c, OPT_BT_STR)) {
    c.emit(cmpImm(R0, KT_STR));
    c.jump(EQ, C_STR);
  }
  c.emit(ldr(R2, R4, 4));
  c.emit(ldr(R3, R5, 4));
  if (has(c, OPT_BT_SIGNED)) {
    c.emit(cmpImm(R0, KT_INT));
    c.emit(dpImm(EQ, OP_EOR, 0, R2, R2, immRot(0x80000000)));
    c.emit(dpImm(EQ, OP_EOR, 0, R3, R3, immRot(0x80000000)));
  }
  c.emit(cmpReg(R2, R3));
  c.jump(NE, C_DIFF);
  c.emit(ldr(R2, R4, 0));
  c.emit(ldr(R3, R5, 0));
  c.emit(cmpReg(R2, R3));
  c.jump(NE, C_DIFF);
  c.emit(addImm(R4, R4, 8));
  c.emit(addImm(R5, R5, 8));
  c.b(C_PART);
  if (has(c, OPT_BT_STR)) {
    c.label(C_STR);
    c.emit(movImm(R1, 16));
    c.label(C_STR_LOOP);
    c.emit(ldrb(R2, R4, 0));
    c.emit(ldrb(R3, R5, 0));
    c.emit(cmpReg(R2, R3));
    c.jump(NE, C_DIFF);
    c.emit(addImm(R4, R4, 1));
    c.emit(addImm(R5, R5, 1));
    c.emit(opImmS(OP_SUB, R1, R1, 1));
    c.jump(NE, C_STR_LOOP);
    c.b(C_PART);
  }
  c.label(C_EQUAL);
  c.emit(movImm(R0, 0));
  c.routineEnd(saved);
  c.label(C_DIFF);
  c.emit(dpImm(HI, OP_MOV, 0, R0, 0, 1));
  c.emit(dpImm(LO, OP_MVN, 0, R0, 0, 0));
  c.routineEnd(saved);
}

/** name (the map's "@name"), key (r0 = a key: `[part, part]`, nothing for scalars) and value (r0 = a value). */
function emitKeyAndValue(c: Context): void {
  c.routine(NAME, bit(R4) | bit(LR));
  descField(c, R0, BT_NAME);
  c.emit(movImm(R1, 255));
  c.bl(CSTR);
  c.routineEnd(bit(R4) | bit(LR));

  const saved = bit(R4) | bit(R5) | bit(R6) | bit(R7) | bit(LR);
  c.routine(KEY, saved);
  c.emit(ldr(R6, R10, BT_NKEYS));
  c.emit(cmpImm(R6, 0));
  c.jump(EQ, K_DONE);
  c.emit(movReg(R4, R0));
  descField(c, R7, BT_KEYTYPES);
  say(c, T_LB);
  c.label(K_LOOP);
  c.emit(ldrb(R5, R7, 0));
  c.emit(addImm(R7, R7, 1));
  if (has(c, OPT_BT_STR)) {
    c.emit(cmpImm(R5, KT_STR));
    c.jump(NE, K_NUM);
    c.emit(movReg(R0, R4));
    c.emit(movImm(R1, 16));
    c.bl(CSTR);
    c.emit(addImm(R4, R4, 16));
    c.b(K_SEP);
  }
  c.label(K_NUM);
  c.emit(ldr(R0, R4, 0));
  c.emit(ldr(R1, R4, 4));
  if (has(c, OPT_BT_INET)) {
    c.emit(cmpImm(R5, KT_INET));
    c.jump(NE, K_UINT);
    c.bl(NTOP);
    c.b(K_ADVANCE);
  }
  c.label(K_UINT);
  if (has(c, OPT_BT_SIGNED)) {
    c.emit(cmpImm(R5, KT_INT));
    c.jump(EQ, K_SIGNED);
  }
  c.bl(PRINT_DEC);
  if (has(c, OPT_BT_SIGNED)) {
    c.b(K_ADVANCE);
    c.label(K_SIGNED);
    c.bl(SDEC);
  }
  c.label(K_ADVANCE);
  c.emit(addImm(R4, R4, 8));
  c.label(K_SEP);
  c.emit(opImmS(OP_SUB, R6, R6, 1));
  c.jump(EQ, K_CLOSE);
  say(c, T_COMMA);
  c.b(K_LOOP);
  c.label(K_CLOSE);
  say(c, T_RB);
  c.label(K_DONE);
  c.routineEnd(saved);

  c.routine(VALUE, saved);
  c.emit(movReg(R4, R0));
  c.emit(ldr(R5, R10, BT_KIND));
  if (has(c, OPT_BT_STR)) {
    c.emit(cmpImm(R5, VK_STR));
    c.jump(NE, V_NOT_STR);
    c.emit(movImm(R1, 16));
    c.bl(CSTR);
    c.b(V_DONE);
  }
  c.label(V_NOT_STR);
  if (has(c, OPT_BT_INET)) {
    c.emit(cmpImm(R5, VK_INET));
    c.jump(NE, V_NOT_INET);
    c.emit(ldr(R0, R4, 0));
    c.bl(NTOP);
    c.b(V_DONE);
  }
  c.label(V_NOT_INET);
  if (has(c, OPT_BT_AVG)) {
    c.emit(cmpImm(R5, VK_INT));
    c.jump(NE, V_NOT_AVG);
  }
  c.emit(ldr(R0, R4, 0));
  c.emit(ldr(R1, R4, 4));
  c.bl(NUM);
  if (has(c, OPT_BT_AVG)) emitAvgAndStats(c);
  c.label(V_DONE);
  c.routineEnd(saved);
}

/** value's avg and stats (r4 = the value). */
function emitAvgAndStats(c: Context): void {
  c.b(V_DONE);
  c.label(V_NOT_AVG);
  c.emit(cmpImm(R5, VK_STATS));
  c.jump(EQ, V_STATS);
  c.emit(movReg(R0, R4)); // avg
  c.bl(AVG);
  c.bl(NUM);
  c.b(V_DONE);
  c.label(V_STATS);
  say(c, T_COUNT);
  c.emit(ldr(R0, R4, 0));
  c.emit(ldr(R1, R4, 4));
  c.bl(PRINT_DEC);
  say(c, T_AVERAGE);
  c.emit(movReg(R0, R4));
  c.bl(AVG);
  c.bl(NUM);
  say(c, T_TOTAL);
  c.emit(ldr(R0, R4, 8));
  c.emit(ldr(R1, R4, 12));
  c.bl(NUM);
}

/** rows: r0 = a histogram group (total, key, first entry | entries << 16) -> its rows; r4 = the descriptor. */
function emitHistogramRows(c: Context): void {
  const saved = bit(R4) | bit(R5) | bit(R6) | bit(R7) | bit(LR);
  c.routine(ROWS, saved);
  c.emit(ldr(R1, R4, D_KEY_SIZE));
  c.emit(subImm(R1, R1, 8)); // the bucket's offset in the key
  c.emit(ldr(R2, R9, SC_COUNTS));
  c.emit(ldr(R3, R10, BT_BUCKETS));
  c.emit(movImm(IP, 0));
  c.emit(dpReg(AL, OP_MOV, 0, R5, 0, R3, SH_LSL, 3));
  c.label(R_ZERO);
  c.emit(opImmS(OP_SUB, R5, R5, 4));
  c.jump(MI, R_ZERO_DONE);
  c.emit(opReg(OP_ADD, R6, R2, R5));
  c.emit(str(IP, R6, 0));
  c.b(R_ZERO);
  c.label(R_ZERO_DONE);
  c.emit(ldr(R5, R0, 12));
  c.emit(dpReg(AL, OP_MOV, 0, R6, 0, R5, SH_LSR, 16)); // entries
  c.emit(dpReg(AL, OP_MOV, 0, R5, 0, R5, SH_LSL, 16));
  c.emit(dpReg(AL, OP_MOV, 0, R5, 0, R5, SH_LSR, 16)); // the first
  c.emit(addImm(R7, R9, SC_E));
  addShifted(c, R7, R7, R5, 4);
  c.label(R_ADD);
  c.emit(cmpImm(R6, 0));
  c.jump(EQ, R_ADD_DONE);
  c.emit(ldr(R0, R7, 8));
  c.emit(opReg(OP_ADD, R0, R0, R1));
  c.emit(ldr(IP, R0, 4));
  c.emit(cmpImm(IP, 0));
  c.jump(NE, R_ADD_NEXT);
  c.emit(ldr(IP, R0, 0));
  c.emit(cmpReg(IP, R3));
  c.jump(HS, R_ADD_NEXT);
  addShifted(c, IP, R2, IP, 3);
  c.emit(ldr(R0, R7, 12));
  c.emit(ldr(R4, R0, 0));
  c.emit(ldr(R5, R0, 4));
  c.emit(ldr(R0, IP, 0));
  c.emit(opRegS(OP_ADD, R0, R0, R4));
  c.emit(str(R0, IP, 0));
  c.emit(ldr(R0, IP, 4));
  c.emit(dpReg(AL, OP_ADC, 0, R0, R0, R5, SH_LSL, 0));
  c.emit(str(R0, IP, 4));
  c.label(R_ADD_NEXT);
  c.emit(addImm(R7, R7, 16));
  c.emit(subImm(R6, R6, 1));
  c.b(R_ADD);
  c.label(R_ADD_DONE);
  // the first and last non-empty buckets (r4, r5) and the largest count (r6:r7)
  c.emit(dpImm(AL, OP_MVN, 0, R4, 0, 0));
  c.emit(movImm(R5, 0));
  c.emit(movImm(R6, 0));
  c.emit(movImm(R7, 0));
  c.emit(movImm(IP, 0));
  c.label(R_MAX);
  c.emit(cmpReg(IP, R3));
  c.jump(HS, R_MAX_DONE);
  addShifted(c, R0, R2, IP, 3);
  c.emit(ldr(R1, R0, 4));
  c.emit(ldr(R0, R0, 0));
  c.emit(opRegS(OP_ORR, LR, R0, R1));
  c.jump(EQ, R_MAX_NEXT);
  c.emit(dpImm(AL, OP_CMN, 1, 0, R4, 1));
  c.emit(dpReg(EQ, OP_MOV, 0, R4, 0, IP, SH_LSL, 0));
  c.emit(movReg(R5, IP));
  c.emit(cmpReg(R1, R7));
  c.emit(dpReg(EQ, OP_CMP, 1, 0, R0, R6, SH_LSL, 0));
  c.emit(dpReg(HI, OP_MOV, 0, R6, 0, R0, SH_LSL, 0));
  c.emit(dpReg(HI, OP_MOV, 0, R7, 0, R1, SH_LSL, 0));
  c.label(R_MAX_NEXT);
  c.emit(addImm(IP, IP, 1));
  c.b(R_MAX);
  c.label(R_MAX_DONE);
  c.emit(str(R6, R9, SC_MAX));
  c.emit(str(R7, R9, SC_MAX + 4));
  c.emit(dpImm(AL, OP_CMN, 1, 0, R4, 1));
  c.jump(EQ, R_DONE);
  c.label(R_LOOP);
  c.emit(cmpReg(R4, R5));
  c.jump(HI, R_DONE);
  c.emit(movReg(R0, R4));
  c.bl(ROW);
  c.emit(addImm(R4, R4, 1));
  c.b(R_LOOP);
  c.label(R_DONE);
  c.routineEnd(saved);

  // row: r0 = a bucket -> `label` padded to 16, the count right-aligned in 8, ` |`, the bar in 52 columns, `|`
  c.routine(ROW, saved);
  c.emit(movReg(R4, R0));
  descField(c, R0, BT_LABELS);
  c.emit(movReg(R1, R4));
  c.label(RW_SCAN);
  c.emit(cmpImm(R1, 0));
  c.jump(EQ, RW_FOUND);
  c.label(RW_SKIP);
  c.emit(ldrb(R2, R0, 0));
  c.emit(addImm(R0, R0, 1));
  c.emit(cmpImm(R2, 0));
  c.jump(NE, RW_SKIP);
  c.emit(subImm(R1, R1, 1));
  c.b(RW_SCAN);
  c.label(RW_FOUND);
  c.emit(movImm(R1, 255));
  c.bl(CSTR);
  c.emit(dpImm(AL, OP_RSB, 0, R0, R0, 16));
  c.bl(SPACES);
  c.emit(ldr(R2, R9, SC_COUNTS));
  addShifted(c, R2, R2, R4, 3);
  c.emit(ldr(R6, R2, 0));
  c.emit(ldr(R7, R2, 4));
  c.emit(movReg(R0, R6));
  c.emit(movReg(R1, R7));
  c.bl(DECBUF);
  c.emit(movReg(R4, R1));
  c.emit(movReg(R5, R2));
  c.emit(dpImm(AL, OP_RSB, 0, R0, R5, 8));
  c.bl(SPACES);
  c.emit(movReg(R1, R4));
  c.emit(movReg(R2, R5));
  c.bl(WRITE);
  say(c, T_BAR_OPEN);
  c.emit(movImm(R2, 52));
  c.emit(umull(R0, R1, R6, R2));
  c.emit(mla(R1, R7, R2, R1));
  c.emit(ldr(R2, R9, SC_MAX));
  c.emit(ldr(R3, R9, SC_MAX + 4));
  c.bl(L_UDIVMOD64);
  c.emit(movReg(R4, R0));
  c.addressOf(R1, S + T_ATS, 0);
  c.emit(movReg(R2, R4));
  c.bl(WRITE);
  c.emit(dpImm(AL, OP_RSB, 0, R0, R4, 52));
  c.bl(SPACES);
  say(c, T_BAR_CLOSE);
  c.routineEnd(saved);
}

/** sdec: r0:r1 as a signed decimal number */
function emitSignedDecimal(c: Context, saved: u32): void {
  c.routine(SDEC, saved);
  c.emit(movReg(R4, R0));
  c.emit(movReg(R5, R1));
  c.emit(cmpImm(R5, 0));
  c.jump(GE, SD_POS);
  say(c, T_MINUS);
  c.emit(dpImm(AL, OP_RSB, 1, R4, R4, 0));
  c.emit(dpImm(AL, OP_RSC, 0, R5, R5, 0));
  c.label(SD_POS);
  c.emit(movReg(R0, R4));
  c.emit(movReg(R1, R5));
  c.bl(PRINT_DEC);
  c.routineEnd(saved);
}

/** num (r0:r1 as the map's values are signed or not), sdec, ntop, cstr, decbuf and spaces. */
function emitNumbers(c: Context): void {
  c.label(NUM);
  const saved = bit(R4) | bit(R5) | bit(LR);
  if (!has(c, OPT_BT_SIGNED)) c.b(PRINT_DEC);
  else {
    c.emit(ldr(IP, R10, BT_SIGNED));
    c.emit(cmpImm(IP, 0));
    c.jump(EQ, PRINT_DEC);
    emitSignedDecimal(c, saved);
  }

  if (has(c, OPT_BT_INET)) emitNtop(c, saved);

  // cstr: r0 = text, r1 = at most this many bytes -> written up to its NUL; r0 = its length
  c.routine(CSTR, saved);
  c.emit(movImm(R2, 0));
  c.label(CS_LOOP);
  c.emit(cmpReg(R2, R1));
  c.jump(HS, CS_END);
  c.emit(ldrbReg(R3, R0, R2));
  c.emit(cmpImm(R3, 0));
  c.jump(EQ, CS_END);
  c.emit(addImm(R2, R2, 1));
  c.b(CS_LOOP);
  c.label(CS_END);
  c.emit(movReg(R4, R2));
  c.emit(movReg(R1, R0));
  c.bl(WRITE);
  c.emit(movReg(R0, R4));
  c.routineEnd(saved);

  if (has(c, OPT_BT_HIST)) emitRowNumbers(c, saved);
}

/** ntop: r0 = an IPv4 address, most significant byte first. */
function emitNtop(c: Context, saved: u32): void {
  c.routine(NTOP, saved);
  c.emit(movReg(R4, R0));
  c.emit(movImm(R5, 24));
  c.label(N_LOOP);
  c.emit(dpRegShift(AL, OP_MOV, 0, R0, 0, R4, SH_LSR, R5));
  c.emit(opImm(OP_AND, R0, R0, 255));
  c.emit(movImm(R1, 0));
  c.bl(PRINT_DEC);
  c.emit(opImmS(OP_SUB, R5, R5, 8));
  c.jump(MI, N_DONE);
  say(c, T_DOT);
  c.b(N_LOOP);
  c.label(N_DONE);
  c.routineEnd(saved);
}

/** decbuf (r0:r1 -> r1 = its unsigned decimal digits, r2 = how many) and spaces (r0 of them, at most 52). */
function emitRowNumbers(c: Context, saved: u32): void {
  // decbuf: r0:r1 -> r1 = its unsigned decimal digits, r2 = how many
  c.routine(DECBUF, saved);
  c.emit(addImm(R4, R9, SC_DIGITS_END));
  c.emit(movReg(R5, R4));
  decimalDigits(c, DB_LOOP);
  c.routineEnd(saved);

  // spaces: r0 of them (nothing when r0 <= 0; at most 52)
  c.label(SPACES);
  c.emit(cmpImm(R0, 0));
  c.emit(bxC(LE, LR));
  c.emit(movReg(R2, R0));
  c.addressOf(R1, S + T_SPACES, 0);
  c.b(WRITE);
}

/**
 * end: what the END probes print (the description's END program): text, and with OPT_BT_END_VALUES the values of
 * scalar maps (their one element's, 0 when empty) as %d, %u or %x.
 */
function emitEnd(c: Context): void {
  const saved = bit(R4) | bit(R5) | bit(R10) | bit(LR);
  c.routine(END, saved);
  c.emit(ldr(R1, R9, SC_DESC));
  c.emit(ldr(R4, R1, BT_END));
  c.emit(cmpImm(R4, 0));
  c.jump(EQ, E_DONE);
  c.emit(opReg(OP_ADD, R4, R4, R1));
  c.label(E_LOOP);
  c.emit(ldrb(R0, R4, 0));
  c.emit(addImm(R4, R4, 1));
  c.emit(cmpImm(R0, END_TEXT));
  c.jump(EQ, E_TEXT);
  if (has(c, OPT_BT_END_VALUES)) {
    c.emit(cmpImm(R0, END_VALUE));
    c.jump(NE, E_DONE);
    c.emit(ldrb(R5, R4, 0)); // the conversion
    c.emit(ldrb(R0, R4, 1)); // the map's record
    c.emit(addImm(R4, R4, 2));
    c.emit(ldr(R1, R9, SC_DESC));
    c.emit(addImm(R10, R1, BT_HEADER));
    c.emit(movImm(IP, BT_RECORD));
    c.emit(mla(R10, R0, IP, R10));
    c.bl(SCALAR);
    c.emit(cmpImm(R5, 0x64)); // 'd'
    c.jump(NE, E_NOT_D);
    c.bl(SDEC);
    c.b(E_PRINTED);
    c.label(E_NOT_D);
    c.emit(cmpImm(R5, 0x78)); // 'x'
    c.jump(NE, E_NOT_X);
    c.bl(PRINT_HEX);
    c.b(E_PRINTED);
    c.label(E_NOT_X);
    c.bl(PRINT_DEC);
    c.label(E_PRINTED);
    c.b(E_LOOP);
  } else c.b(E_DONE);
  c.label(E_TEXT);
  c.emit(movReg(R0, R4));
  c.emit(dpImm(AL, OP_MVN, 0, R1, 0, 0));
  c.bl(CSTR);
  c.emit(opReg(OP_ADD, R4, R4, R0));
  c.emit(addImm(R4, R4, 1)); // past the NUL
  c.b(E_LOOP);
  c.label(E_DONE);
  c.routineEnd(saved);

  if (!has(c, OPT_BT_END_VALUES)) return;
  // scalar: r10 = a scalar map's record -> r0:r1 = its element's value, or 0
  c.routine(SCALAR, bit(R4) | bit(R6) | bit(LR));
  c.emit(ldr(R0, R10, BT_MAP));
  descOf(c, R4, R0);
  c.emit(movImm(R6, 0));
  c.label(SC_LOOP);
  c.emit(ldr(R0, R4, D_MASK));
  c.emit(cmpReg(R6, R0));
  c.jump(HI, SC_NONE);
  c.emit(ldr(R0, R4, D_BUCKETS));
  addShifted(c, R0, R0, R6, 2);
  c.emit(ldr(R0, R0, 0));
  c.emit(addImm(R6, R6, 1));
  c.emit(cmpImm(R0, 0));
  c.jump(EQ, SC_LOOP);
  c.emit(ldr(R1, R4, D_VALUES));
  slot(c, R1, R1, R0, D_STRIDE, true);
  c.emit(ldr(R0, R1, 0));
  c.emit(ldr(R1, R1, 4));
  c.routineEnd(bit(R4) | bit(R6) | bit(LR));
  c.label(SC_NONE);
  c.emit(movImm(R0, 0));
  c.emit(movImm(R1, 0));
  c.routineEnd(bit(R4) | bit(R6) | bit(LR));
}
