// What the driver's parts (main.ts, print.ts, live.ts) share: their label ids (two blocks of a32/labels.ts), the
// string table and its indexes, the system call numbers, and the few emitters every part uses.
//
// Linux EABI system calls: number in r7, arguments in r0-r5, `svc #0`.

import {
  AL, HI, IP, NE, OP_CMN, OP_ORR, OP_SUB, R0, R1, R2, R3, R4, R5, R7, SVC0, addImm, dpImm, immRot, movImm, movReg,
  opReg, opRegS, strbPreDec,
} from "../../../assembly/arm32/a32/encoder";
import { block } from "../../../assembly/arm32/a32/labels";
import { Context } from "../../../assembly/arm32/jit/context";
import { OPT_BPFTRACE, OPT_SKB } from "../abi";
import { L_UDIVMOD64 } from "../image";

// Linux EABI system call numbers
export const SYS_EXIT = 1;
export const SYS_READ = 3;
export const SYS_WRITE = 4;
export const SYS_OPEN = 5;
export const SYS_LSEEK = 19;
export const SYS_MMAP2 = 192;
export const SYS_IOCTL = 54;
export const SYS_POLL = 168;
export const SYS_CLOCK_GETTIME = 263;
export const SYS_SOCKET = 281;
export const SYS_BIND = 282;
export const SYS_RECVFROM = 292;

export const D = block("driver", 74); // the driver's labels
export const ARG_LOOP = D + 0;
export const ARGS_DONE = D + 1;
export const OPT_MEM = D + 2;
export const OPT_REPEAT = D + 3;
export const NEXT_ARG = D + 4;
export const USAGE = D + 5;
export const FILE_ERROR = D + 6;
export const REPEAT_LOOP = D + 7;
export const PRINT_FAULT = D + 8;
export const STRCMP = D + 9;
export const WRITE = D + 10;
export const PRINT_DEC = D + 11;
export const PRINT_HEX = D + 12;
export const EXIT = D + 13;
export const DIGITS = D + 14;
export const NUM_LOOP = D + 15;
export const NUM_DONE = D + 16;
export const CMP_LOOP = D + 17;
export const CMP_NE = D + 18;
export const HEX_LOOP = D + 19;
export const F_NOT_READ = D + 20;
export const F_NOT_WRITE = D + 21;
export const F_NOT_BUDGET = D + 22;
export const F_NOT_DEPTH = D + 23;
export const F_TAIL = D + 24;
export const F_MEM = D + 25;
export const F_HELPER = D + 26;
export const OPT_PCAP = D + 27;
export const OPT_JSON = D + 28;
export const MAP_FILE = D + 29;
export const STDIN = D + 30;
export const STDIN_LOOP = D + 31;
export const STDIN_DONE = D + 32;
export const MAPPED = D + 33;
export const RUN_ONE = D + 34;
export const PKT_LOOP = D + 35;
export const PKTS_DONE = D + 36;
export const PCAP_ERROR = D + 37;
export const MAGIC_OK = D + 38;
export const FLUSH = D + 39;
export const W_SAME = D + 40;
export const W_LOOP = D + 41;
export const W_ROOM = D + 42;
export const W_DONE = D + 43;
export const FL_SKIP = D + 44;
export const PRINT = D + 45;
export const PRINT_PLAIN = D + 46;
export const COPY_LOOP = D + 47;
export const COPY_BLOCKS = D + 48;
export const F_NOT_HELPER = D + 49;
export const P_MAP = D + 50;
export const P_MAPS_DONE = D + 51;
export const P_ARRAY = D + 52;
export const P_A_LOOP = D + 53;
export const P_A_DONE = D + 54;
export const P_H_BUCKET = D + 55;
export const P_H_CHAIN = D + 56;
export const P_H_NEXT = D + 57;
export const P_ENTRY = D + 58;
export const P_HEX = D + 59;
export const P_HEX_LOOP = D + 60;
export const P_JSON_ENTRY = D + 61;
export const P_ZERO_LOOP = D + 62;
export const P_SHOW = D + 63;
export const P_ENTRY_DONE = D + 64;
export const P_ITEMS = D + 65;
export const NO_PCAP = D + 66;
export const REGION_LOOP = D + 67;
export const P_COMMA1 = D + 68;
export const P_CLOSED = D + 69;
export const P_COMMA2 = D + 70;
export const P_HEX_DONE = D + 71;
export const EXIT_SCAN = D + 72;
export const EXIT_NEXT = D + 73;
export const STR_BASE = block("driver strings", 52); // one label per string below (STRINGS, 52 of them)

/** The driver's strings (emitDriverStrings); S_* below index them. */
export const STRINGS: string[] = [
  "--mem", "--repeat", "\n", "out-of-bounds read of ", "out-of-bounds write of ", " bytes at ",
  "instruction budget of ", " exhausted", "call depth exceeds 8 frames", "unknown helper ", " (instruction ", ")\n",
  "usage: PROGRAM [--mem FILE | --pcap FILE] [--repeat N] [--json]\n", "cannot read the input file\n", "fault",
  "--pcap", "--json", "-", "not a classic pcap capture\n", "helper argument 0x", " is not a map of the right kind",
  "{\"r0\":\"", "\",\"runs\":", ",\"maps\":{", "}}\n", ",", "]", "\"}", "[", "] = ", "{\"key\":\"", "\",\"value\":\"",
  ":[",
  // live capture (socket filters only)
  "--iface", "--seconds", "raw sockets are not permitted here\n", "cannot open a packet socket\n",
  "no such interface: ", "cannot capture on ",
  "usage: PROGRAM [--mem FILE | --pcap FILE | --iface IFNAME [--seconds N]] [--repeat N] [--json]\n",
  // writes to memory the program may read, not write (the interpreter's words)
  "write of ", " bytes to read-only memory at ",
  // ringbuf_submit / ringbuf_discard of something else than a reserved sample (only where they can be called)
  " is not a reserved ring buffer sample",
  // where a fault was (where.ts): a region and an offset from its start, or the address itself
  "0x", "+0x", "-0x", "stack", "context", "packet", "map ", "helper argument ",
  // a trace script's executable (OPT_BPFTRACE): no --repeat, no --json
  "usage: PROGRAM [--mem FILE | --pcap FILE|- | --iface IFNAME [--seconds N]]\n",
];
export const LIVE_STRINGS = 7;
export const FIRST_LIVE_STRING = 33;
export const S_OPT_MEM = 0;
export const S_OPT_REPEAT = 1;
export const S_NL = 2;
export const S_READ = 3;
export const S_WRITE = 4;
export const S_BYTES_AT = 5;
export const S_BUDGET_OF = 6;
export const S_EXHAUSTED = 7;
export const S_DEPTH = 8;
export const S_HELPER = 9;
export const S_INSN = 10;
export const S_CLOSE = 11;
export const S_USAGE = 12;
export const S_FILE = 13;
export const S_FAULT_WORD = 14;
export const S_OPT_PCAP = 15;
export const S_OPT_JSON = 16;
export const S_DASH = 17;
export const S_NOT_PCAP = 18;
export const S_MAP_ARG = 19;
export const S_NOT_MAP = 20;
export const S_J_R0 = 21;
export const S_J_RUNS = 22;
export const S_J_MAPS = 23;
export const S_J_END = 24;
export const S_COMMA = 25;
export const S_RBRACKET = 26;
export const S_J_ENTRY_END = 27;
export const S_LBRACKET = 28;
export const S_EQUALS = 29;
export const S_J_KEY = 30;
export const S_J_VALUE = 31;
export const S_J_ITEMS = 32;
export const S_OPT_IFACE = 33;
export const S_OPT_SECONDS = 34;
export const S_NOT_PERMITTED = 35;
export const S_NO_SOCKET = 36;
export const S_NO_IFACE = 37;
export const S_NO_CAPTURE = 38;
export const S_USAGE_LIVE = 39;
export const S_RO_WRITE = 40;
export const S_RO_BYTES_AT = 41;
export const S_NOT_SAMPLE = 42;
export const S_W_HEX = 43;
export const S_W_PLUS = 44;
export const S_W_MINUS = 45;
export const S_W_STACK = 46;
export const S_W_CONTEXT = 47;
export const S_W_PACKET = 48;
export const S_W_MAP = 49;
export const S_HELPER_ARG = 50;
export const S_USAGE_TRACE = 51;

/**
 * A trace script's executable (OPT_BPFTRACE) prints its maps as bpftrace does and nothing else: no --json, --each
 * or --repeat, no JSON or readable map printer, and the strings only those need are left out.
 */
export function traceExecutable(c: Context): bool {
  return (c.driverOpts & OPT_BPFTRACE) != 0;
}

/** Is driver string s needed by this image (emitDriverStrings)? */
export function stringNeeded(c: Context, s: i32): bool {
  if (s >= FIRST_LIVE_STRING && s < FIRST_LIVE_STRING + LIVE_STRINGS && !(c.driverOpts & OPT_SKB)) return false;
  if (!traceExecutable(c)) return s != S_USAGE_TRACE;
  if (s >= S_W_PLUS && s <= S_W_MAP) return false; // fault addresses by their value only (where.ts)
  return s != S_OPT_REPEAT && s != S_OPT_JSON && s != S_USAGE && s != S_USAGE_LIVE && (s < S_J_R0 || s > S_J_ITEMS);
}

const D2 = block("driver, more", 34); // more of the driver's labels
export const PARSE_NUM = D2 + 0;
export const OPT_IFACE = D2 + 1;
export const OPT_SECONDS = D2 + 2;
export const LIVE = D2 + 3;
export const LIVE_LOOP = D2 + 4;
export const LIVE_DONE = D2 + 5;
export const NAME_LOOP = D2 + 6;
export const NO_IFACE = D2 + 7;
export const NO_CAPTURE = D2 + 8;
export const NO_SOCKET = D2 + 9;
export const LIVE_ERROR = D2 + 10;
export const LIVE_CLOCK = D2 + 11;
export const LIVE_WAIT = D2 + 12;
export const NAME_DONE = D2 + 13;
export const IFACE_NAME = D2 + 14;
export const IFACE_LEN = D2 + 15;
export const COPY_WORDS = D2 + 16;
export const COPY_BYTES = D2 + 17;
export const F_PROG_LOOP = D2 + 18;
export const P_A_NEXT = D2 + 19;
export const P_SHOW_SLOT = D2 + 20;
export const F_OOB_WRITE = D2 + 21;
export const F_RO_LOOP = D2 + 22;
export const F_ADDR = D2 + 23;
export const COPY_DONE = D2 + 24;
export const F_RECORD = D2 + 25;
export const COPY_LAST = D2 + 26;
export const PLAIN_READY = D2 + 27;
export const OPT_EACH = D2 + 28;
export const OPT_EACH_TEXT = D2 + 29;
export const EACH_DONE = D2 + 30;
export const SPARSE_WORDS = D2 + 31;
export const SPARSE_DONE = D2 + 32;
export const COPY_WORD = D2 + 33;

/**
 * The image's translation options (OPT_*), set by emitDriver: emitDriverStrings, called after the code, leaves out
 * the live capture's strings unless OPT_SKB is set.
 */

/** Does the program (c.insns) read a packet: LD_ABS, LD_IND or skb_load_bytes (26)? */
export function readsPackets(c: Context): bool {
  for (let i = 0; i < c.count; i++) {
    const p = c.insns + (<usize>i << 3);
    const op = load<u8>(p);
    if (op == 0x18) { i++; continue; }
    if ((op & 7) == 0 && ((op >> 5) == 1 || (op >> 5) == 2)) return true; // class LD, mode ABS or IND
    if (op == 0x85 && (load<u8>(p + 1) >> 4) == 0 && load<i32>(p + 4) == 26) return true;
  }
  return false;
}

/** System call n (arguments already in r0-r5). */
export function syscall(c: Context, n: u32): void {
  c.emitConst(R7, n);
  c.emit(SVC0);
}

/** write(r8, string) */
export function say(c: Context, s: i32): void {
  c.addressOf(R1, STR_BASE + s, 0);
  c.emitConst(R2, <u32>STRINGS[s].length);
  c.bl(WRITE);
}

/** exit(code), after writing what is buffered (EXIT). */
export function exitWith(c: Context, code: u32): void {
  c.emit(movImm(R0, code));
  c.b(EXIT);
}

/**
 * mmap2 of `bytes` of private anonymous read-write memory (reserved; pages are committed as they are touched):
 * r0 = its address, or a jump to `failed` (mmap2 returns -errno, an address in the last page). Uses r0-r5, r7.
 */
export function mapAnonymous(c: Context, bytes: u32, failed: i32): void {
  c.emit(movImm(R0, 0));
  c.emitConst(R1, bytes);
  c.emit(movImm(R2, 3)); // PROT_READ | PROT_WRITE
  c.emit(movImm(R3, 0x22)); // MAP_PRIVATE | MAP_ANONYMOUS
  c.emit(dpImm(AL, 0xf /* MVN */, 0, R4, 0, 0)); // fd -1
  c.emit(movImm(R5, 0));
  syscall(c, SYS_MMAP2);
  c.emit(dpImm(AL, OP_CMN, 1, 0, R0, immRot(4096)));
  c.jump(HI, failed);
}

/**
 * The unsigned decimal digits of r0:r1, written backwards ending before r4 (r4 = r5 = that end on entry): r1 = the
 * first digit's address, r2 = how many. `loop` is the caller's label for the digit loop. Uses r0-r4, ip.
 */
export function decimalDigits(c: Context, loop: i32): void {
  c.label(loop);
  c.emit(movImm(R2, 10));
  c.emit(movImm(R3, 0));
  c.bl(L_UDIVMOD64);
  c.emit(addImm(R2, R2, 48));
  c.emit(strbPreDec(R2, R4));
  c.emit(opRegS(OP_ORR, IP, R0, R1));
  c.jump(NE, loop);
  c.emit(movReg(R1, R4));
  c.emit(opReg(OP_SUB, R2, R5, R4));
}
