// The on-device driver, emitted with the encoder like everything else: a static ARM Linux executable needs no C
// compiler, no libc and no loader. It parses the arguments, maps the input file, runs the program, and prints r0
// and the maps (exit 0) or the fault line on stderr (exit 1). Usage errors and unreadable inputs exit 2.
//
//   PROGRAM [--mem FILE | --pcap FILE | --iface IFNAME [--seconds N]] [--repeat N] [--json]
//                                                                    (FILE may be - for standard input)
//
// --mem: one run over FILE's bytes. --pcap: one run per packet of a classic pcap capture (either byte order, µs or
// ns timestamps). Socket filters (OPT_SKB) see each packet (and --mem's bytes) through a struct __sk_buff built as
// src/contexts.ts skBuffContext does; other programs get r1 = the bytes, r2 = their length. --json prints what
// `tinybpf run --json` prints: {"r0":"N","runs":N,"maps":{"NAME":[{"key":"HEX","value":"HEX"},...]}}. --each
// (for `tinybpf run --engine arm32`) first prints every run's r0 on a line of its own. Output is buffered (S_OUT)
// and written at exit.
//
// --iface (socket filters only): a live capture. An AF_PACKET raw socket bound to the interface (all protocols),
// read for N seconds (default 10; poll() with a short timeout and CLOCK_MONOTONIC decide when to stop); each packet
// is one run, its __sk_buff carrying the kernel's pkt_type, ifindex and protocol from recvfrom's sockaddr_ll.
// Then r0 and the maps as after --pcap. A socket that cannot be opened or an unknown interface: one line on
// stderr, exit status 1.
//
// Linux EABI system calls: number in r7, arguments in r0-r5, `svc #0`.

import {
  emit, emitByte, align4, emitConst, skip, R0, R1, R2, R3, R4, R5, R6, R7, R8, R9, R10, R11, IP, SP, LR, PC, AL, EQ,
  NE, GE, LT, LE, HI, HS, LO, MI, ldr, str, ldrb, strb, ldrh, strh, rev, movReg, movRegC, movImm, cmpImm, cmpReg, opImm, opImmS,
  opReg, opRegS, dpReg, dpImm, immRot, mla, push, pop, bit, bx, addImm, subImm, strbPreDec, SVC0, OP_ADD, OP_SUB, OP_AND, OP_ORR,
  OP_CMN, SH_LSL, SH_LSR,
} from "./encoder";
import {
  label, at, b, bl, jump, call, addressOf, stateBase, S_FAULT, S_FAULT_PC, S_FAULT_ADDR, S_FAULT_SIZE, S_REPEAT,
  S_MEM, S_LEN, S_FD, S_BUF, S_RUNS, S_PCAP, S_PCAP_END, S_PCAP_SWAP, S_JSON, S_HAVE_PCAP, S_LAST_R0, S_OUTPOS,
  S_OUT_FD, S_OUT, OUT_SIZE, S_SKB, SKB_BYTES, S_REGIONS, REGION_BYTES, S_NREGIONS, FIRST_MAP_REGION, S_PKT,
  S_PKT_LEN, L_START, L_ENTRY, L_UDIVMOD64, L_LOCAL, L_DATA_INIT, L_PRINT_MAPS, L_STATE, S_IFACE, S_SECONDS,
  S_DEADLINE, S_PKT_TYPE, S_IFINDEX, S_PROTO, S_LIVE_BUF, S_XDP_BUF, L_PROG_STARTS, L_PRINT_MORE, L_PRINT_ENTRY,
} from "./image";
import { programStarts } from "./calls";
import {
  DATA_BASE, DESC_BASE, DESC_SIZE, D_REGION, D_TYPE, D_MASK, D_BUCKETS, D_RECORDS, D_REC_STRIDE, D_VALUES,
  D_STRIDE, D_MAX, D_NAME, D_NAME_LEN, D_KEY_SIZE, D_VALUE_SIZE, D_ZERO_SKIP, descOf, slot, printsMoreMaps,
} from "./maps";
import {
  FAULT_READ, FAULT_WRITE, FAULT_BUDGET, FAULT_CALL_DEPTH, FAULT_HELPER,
} from "../layout";

const SYS_EXIT = 1;
const SYS_READ = 3;
const SYS_WRITE = 4;
const SYS_OPEN = 5;
const SYS_LSEEK = 19;
const SYS_MMAP2 = 192;
const SYS_IOCTL = 54;
const SYS_POLL = 168;
const SYS_CLOCK_GETTIME = 263;
const SYS_SOCKET = 281;
const SYS_BIND = 282;
const SYS_RECVFROM = 292;

const LIVE_BUFFER: u32 = 256 << 10; // bytes of one received packet at most (loopback frames reach 64 KiB + 14)
const POLL_MS: u32 = 100; // a live capture checks the clock at least this often
const SIOCGIFINDEX: u32 = 0x8933;

const STDIN_CAPACITY: u32 = 64 << 20; // bytes of standard input a run may take (reserved, not committed)

/** Translation option (translate.ts OPT_*): inputs are packets seen through struct __sk_buff. */
export const OPT_SKB: u32 = 4;
/** Translation option (translate.ts OPT_*): inputs are packets seen through struct xdp_md (packet writable). */
export const OPT_XDP: u32 = 8;

const D = L_LOCAL + 64; // this file's labels
const ARG_LOOP = D + 0;
const ARGS_DONE = D + 1;
const OPT_MEM = D + 2;
const OPT_REPEAT = D + 3;
const NEXT_ARG = D + 4;
const USAGE = D + 5;
const FILE_ERROR = D + 6;
const REPEAT_LOOP = D + 7;
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
const F_HELPER = D + 26;
const OPT_PCAP = D + 27;
const OPT_JSON = D + 28;
const MAP_FILE = D + 29;
const STDIN = D + 30;
const STDIN_LOOP = D + 31;
const STDIN_DONE = D + 32;
const MAPPED = D + 33;
const RUN_ONE = D + 34;
const PKT_LOOP = D + 35;
const PKTS_DONE = D + 36;
const PCAP_ERROR = D + 37;
const MAGIC_OK = D + 38;
const FLUSH = D + 39;
const W_SAME = D + 40;
const W_LOOP = D + 41;
const W_ROOM = D + 42;
const W_DONE = D + 43;
const FL_SKIP = D + 44;
const PRINT = D + 45;
const PRINT_PLAIN = D + 46;
const COPY_LOOP = D + 47;
const ZERO_LOOP = D + 48;
const F_NOT_HELPER = D + 49;
const P_MAP = D + 50;
const P_MAPS_DONE = D + 51;
const P_ARRAY = D + 52;
const P_A_LOOP = D + 53;
const P_A_DONE = D + 54;
const P_H_BUCKET = D + 55;
const P_H_CHAIN = D + 56;
const P_H_NEXT = D + 57;
const P_ENTRY = D + 58;
const P_HEX = D + 59;
const P_HEX_LOOP = D + 60;
const P_JSON_ENTRY = D + 61;
const P_ZERO_LOOP = D + 62;
const P_SHOW = D + 63;
const P_ENTRY_DONE = D + 64;
const P_ITEMS = D + 65;
const NO_PCAP = D + 66;
const REGION_LOOP = D + 67;
const P_COMMA1 = D + 68;
const P_CLOSED = D + 69;
const P_COMMA2 = D + 70;
const P_HEX_DONE = D + 71;
const STR_BASE = D + 72; // one label per string below

const STRINGS: string[] = [
  "--mem", "--repeat", "\n", "out-of-bounds read of ", "out-of-bounds write of ", " bytes at 0x",
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
  "write of ", " bytes to read-only memory at 0x",
];
const LIVE_STRINGS = 7;
const FIRST_LIVE_STRING = 33;
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
const S_OPT_PCAP = 15;
const S_OPT_JSON = 16;
const S_DASH = 17;
const S_NOT_PCAP = 18;
const S_MAP_ARG = 19;
const S_NOT_MAP = 20;
const S_J_R0 = 21;
const S_J_RUNS = 22;
const S_J_MAPS = 23;
const S_J_END = 24;
const S_COMMA = 25;
const S_RBRACKET = 26;
const S_J_ENTRY_END = 27;
const S_LBRACKET = 28;
const S_EQUALS = 29;
const S_J_KEY = 30;
const S_J_VALUE = 31;
const S_J_ITEMS = 32;
const S_OPT_IFACE = 33;
const S_OPT_SECONDS = 34;
const S_NOT_PERMITTED = 35;
const S_NO_SOCKET = 36;
const S_NO_IFACE = 37;
const S_NO_CAPTURE = 38;
const S_USAGE_LIVE = 39;
const S_RO_WRITE = 40;
const S_RO_BYTES_AT = 41;

// labels after the strings' (STR_BASE + 0 .. STR_BASE + 41)
const PARSE_NUM = STR_BASE + 42;
const OPT_IFACE = STR_BASE + 43;
const OPT_SECONDS = STR_BASE + 44;
const LIVE = STR_BASE + 45;
const LIVE_LOOP = STR_BASE + 46;
const LIVE_DONE = STR_BASE + 47;
const NAME_LOOP = STR_BASE + 48;
const NO_IFACE = STR_BASE + 49;
const NO_CAPTURE = STR_BASE + 50;
const NO_SOCKET = STR_BASE + 51;
const LIVE_ERROR = STR_BASE + 52;
const LIVE_CLOCK = STR_BASE + 53;
const LIVE_WAIT = STR_BASE + 54;
const NAME_DONE = STR_BASE + 55;
const IFACE_NAME = STR_BASE + 56;
const IFACE_LEN = STR_BASE + 57;
const COPY_WORDS = STR_BASE + 58;
const COPY_BYTES = STR_BASE + 59;
const F_PROG_LOOP = STR_BASE + 60;
const P_A_NEXT = STR_BASE + 61;
const P_SHOW_SLOT = STR_BASE + 62;
const F_OOB_WRITE = STR_BASE + 63;
const F_RO_LOOP = STR_BASE + 64;
const F_ADDR = STR_BASE + 65;
const COPY_DONE = STR_BASE + 66;
const PLAIN_READY = STR_BASE + 69;
const OPT_EACH = STR_BASE + 70;
const OPT_EACH_TEXT = STR_BASE + 71;
const EACH_DONE = STR_BASE + 72;

let driverOpts: u32 = 0;

const FAULT_BAD_MAP_CODE: u32 = 7;

/**
 * Copies r1 bytes from r0 to the run's private buffer (S_XDP_BUF): words, then the last bytes (ARMv7 loads and
 * stores words at any address). Leaves r4 = the buffer, r5 = the length; uses r0, r2, r3, ip.
 */
function emitPrivateCopy(): void {
  emit(movReg(R5, R1));
  emit(ldr(R4, R11, S_XDP_BUF));
  emit(movReg(R2, R4));
  emit(opReg(OP_ADD, R3, R0, R1));
  label(COPY_WORDS);
  emit(opReg(OP_SUB, IP, R3, R0));
  emit(cmpImm(IP, 4));
  jump(LO, COPY_BYTES);
  emit(ldr(IP, R0, 0));
  emit(str(IP, R2, 0));
  emit(addImm(R0, R0, 4));
  emit(addImm(R2, R2, 4));
  b(COPY_WORDS);
  label(COPY_BYTES);
  emit(cmpReg(R0, R3));
  jump(HS, COPY_DONE);
  emit(ldrb(IP, R0, 0));
  emit(strb(IP, R2, 0));
  emit(addImm(R0, R0, 1));
  emit(addImm(R2, R2, 1));
  b(COPY_BYTES);
  label(COPY_DONE);
}

function syscall(n: u32): void {
  emitConst(R7, n);
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

/** r0 = argv[++r6] (usage error when there is none). */
function nextArgument(): void {
  emit(addImm(R6, R6, 1));
  emit(cmpReg(R6, R4));
  jump(GE, USAGE);
  emit(dpReg(AL, OP_ADD, 0, R0, R5, R6, SH_LSL, 2));
  emit(ldr(R0, R0, 0));
}

function regionStore(index: i32, start: i32, end: i32, ws: i32, we: i32): void {
  const at_ = S_REGIONS + REGION_BYTES * index;
  emit(str(start, R11, at_));
  emit(str(end, R11, at_ + 4));
  emit(str(ws, R11, at_ + 8));
  emit(str(we, R11, at_ + 12));
}

/**
 * The driver: `nmaps` maps whose area starts with `dataLength` initial bytes (copied from L_DATA_INIT to DATA_BASE).
 */
export function emitDriver(opts: u32, nmaps: i32, dataLength: i32): void {
  driverOpts = opts;
  const live = (opts & OPT_SKB) != 0;
  label(L_START);
  stateBase();
  emit(ldr(R4, SP, 0)); // argc
  emit(addImm(R5, SP, 4)); // argv
  emit(movImm(R6, 1)); // argument index
  emit(movImm(R0, 1));
  emit(str(R0, R11, S_REPEAT));
  emit(str(R0, R11, S_OUT_FD));
  emit(movImm(R0, 0));
  emit(str(R0, R11, S_MEM));
  emit(str(R0, R11, S_LEN));
  emit(str(R0, R11, S_JSON));
  emit(str(R0, R11, S_HAVE_PCAP));
  emit(str(R0, R11, S_RUNS));
  if (live) {
    emit(str(R0, R11, S_IFACE));
    emit(str(R0, R11, S_PROTO)); // skb->protocol from the packet's EtherType
    emit(movImm(R0, 4));
    emit(str(R0, R11, S_PKT_TYPE)); // PACKET_OUTGOING
    emit(movImm(R0, 1));
    emit(str(R0, R11, S_IFINDEX));
    emit(movImm(R0, 10));
    emit(str(R0, R11, S_SECONDS));
  }
  addressOf(R0, L_STATE, S_OUT);
  emit(str(R0, R11, S_OUTPOS));
  // the map area's initial bytes, and one region per map after the stack, the context and the packet
  if (dataLength > 0) {
    emitConst(R0, DATA_BASE);
    addressOf(R1, L_DATA_INIT, 0);
    emitConst(R2, <u32>dataLength);
    label(COPY_LOOP);
    emit(ldrb(R3, R1, 0));
    emit(strb(R3, R0, 0));
    emit(addImm(R0, R0, 1));
    emit(addImm(R1, R1, 1));
    emit(opImmS(OP_SUB, R2, R2, 1));
    jump(NE, COPY_LOOP);
  }
  if (nmaps > 0) {
    emitConst(R0, DESC_BASE + D_REGION);
    emit(addImm(R1, R11, S_REGIONS + REGION_BYTES * FIRST_MAP_REGION));
    emitConst(R2, <u32>nmaps);
    label(REGION_LOOP);
    for (let k = 0; k < 16; k += 4) {
      emit(ldr(IP, R0, k));
      emit(str(IP, R1, k));
    }
    emit(addImm(R0, R0, DESC_SIZE));
    emit(addImm(R1, R1, REGION_BYTES));
    emit(opImmS(OP_SUB, R2, R2, 1));
    jump(NE, REGION_LOOP);
  }
  emit(movImm(R0, 0)); // the packet region stays empty unless a socket filter gets a packet
  regionStore(2, R0, R0, R0, R0);
  emitConst(R0, <u32>(FIRST_MAP_REGION + nmaps));
  emit(str(R0, R11, S_NREGIONS));

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
  addressOf(R1, STR_BASE + S_OPT_PCAP, 0);
  bl(STRCMP);
  jump(EQ, OPT_PCAP);
  emit(movReg(R0, R8));
  addressOf(R1, STR_BASE + S_OPT_REPEAT, 0);
  bl(STRCMP);
  jump(EQ, OPT_REPEAT);
  emit(movReg(R0, R8));
  addressOf(R1, STR_BASE + S_OPT_JSON, 0);
  bl(STRCMP);
  jump(EQ, OPT_JSON);
  emit(movReg(R0, R8));
  addressOf(R1, OPT_EACH_TEXT, 0);
  bl(STRCMP);
  jump(EQ, OPT_EACH);
  if (live) {
    emit(movReg(R0, R8));
    addressOf(R1, STR_BASE + S_OPT_IFACE, 0);
    bl(STRCMP);
    jump(EQ, OPT_IFACE);
    emit(movReg(R0, R8));
    addressOf(R1, STR_BASE + S_OPT_SECONDS, 0);
    bl(STRCMP);
    jump(EQ, OPT_SECONDS);
  }
  b(USAGE);

  if (live) {
    label(OPT_IFACE);
    nextArgument();
    emit(str(R0, R11, S_IFACE));
    b(NEXT_ARG);
    label(OPT_SECONDS);
    nextArgument();
    bl(PARSE_NUM);
    emit(str(R1, R11, S_SECONDS));
    b(NEXT_ARG);
  }

  label(OPT_JSON);
  emit(ldr(R0, R11, S_JSON));
  emit(opImm(OP_ORR, R0, R0, 1));
  emit(str(R0, R11, S_JSON));
  b(NEXT_ARG);

  // --each: also print every run's r0 on a line of its own, as it happens (`tinybpf run --engine arm32` counts
  // them for its readable output)
  label(OPT_EACH);
  emit(ldr(R0, R11, S_JSON));
  emit(opImm(OP_ORR, R0, R0, 2));
  emit(str(R0, R11, S_JSON));
  b(NEXT_ARG);

  label(OPT_PCAP);
  emit(movImm(R0, 1));
  emit(str(R0, R11, S_HAVE_PCAP));
  nextArgument();
  bl(MAP_FILE);
  b(NEXT_ARG);

  label(OPT_MEM);
  emit(movImm(R0, 0));
  emit(str(R0, R11, S_HAVE_PCAP));
  nextArgument();
  bl(MAP_FILE);
  b(NEXT_ARG);

  // --repeat N (decimal)
  label(OPT_REPEAT);
  nextArgument();
  bl(PARSE_NUM);
  emit(str(R1, R11, S_REPEAT));
  b(NEXT_ARG);

  // parse_num: r0 = a decimal number -> r1 (usage error on anything else; uses r2, r3)
  label(PARSE_NUM);
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
  emit(bx(LR));

  label(NEXT_ARG);
  emit(addImm(R6, R6, 1));
  b(ARG_LOOP);

  // map_file: r0 = file name ("-": standard input) -> S_MEM, S_LEN (the bytes, mapped privately and writable)
  label(MAP_FILE);
  emit(push(bit(R4) | bit(R5) | bit(R6) | bit(LR)));
  emit(movReg(R6, R0));
  addressOf(R1, STR_BASE + S_DASH, 0);
  bl(STRCMP);
  jump(EQ, STDIN);
  emit(movReg(R0, R6));
  emit(movImm(R1, 0)); // O_RDONLY
  syscall(SYS_OPEN);
  emit(cmpImm(R0, 0));
  jump(LT, FILE_ERROR);
  emit(str(R0, R11, S_FD));
  emit(movImm(R1, 0));
  emit(movImm(R2, 2)); // SEEK_END
  syscall(SYS_LSEEK);
  emit(cmpImm(R0, 0));
  jump(LT, FILE_ERROR);
  emit(str(R0, R11, S_LEN));
  emit(movImm(R1, 0));
  emit(str(R1, R11, S_MEM));
  jump(EQ, MAPPED);
  emit(movReg(R1, R0));
  emit(movImm(R0, 0));
  emit(movImm(R2, 3)); // PROT_READ | PROT_WRITE
  emit(movImm(R3, 2)); // MAP_PRIVATE
  emit(ldr(R4, R11, S_FD));
  emit(movImm(R5, 0));
  syscall(SYS_MMAP2);
  emit(dpImm(AL, OP_CMN, 1, 0, R0, immRot(4096)));
  jump(HI, FILE_ERROR); // -4095..-1: an errno
  emit(str(R0, R11, S_MEM));
  label(MAPPED);
  emit(pop(bit(R4) | bit(R5) | bit(R6) | bit(PC)));
  // standard input: read into a private anonymous mapping until end of file
  label(STDIN);
  emit(movImm(R0, 0));
  emitConst(R1, STDIN_CAPACITY);
  emit(movImm(R2, 3));
  emit(movImm(R3, 0x22)); // MAP_PRIVATE | MAP_ANONYMOUS
  emit(dpImm(AL, 0xf /* MVN */, 0, R4, 0, 0)); // fd -1
  emit(movImm(R5, 0));
  syscall(SYS_MMAP2);
  emit(dpImm(AL, OP_CMN, 1, 0, R0, immRot(4096)));
  jump(HI, FILE_ERROR);
  emit(str(R0, R11, S_MEM));
  emit(movReg(R4, R0));
  emit(movImm(R5, 0)); // bytes read
  label(STDIN_LOOP);
  emit(movImm(R0, 0));
  emit(opReg(OP_ADD, R1, R4, R5));
  emitConst(R2, STDIN_CAPACITY);
  emit(opReg(OP_SUB, R2, R2, R5));
  emit(cmpImm(R2, 0));
  jump(EQ, STDIN_DONE);
  syscall(SYS_READ);
  emit(cmpImm(R0, 0));
  jump(LT, FILE_ERROR);
  jump(EQ, STDIN_DONE);
  emit(opReg(OP_ADD, R5, R5, R0));
  b(STDIN_LOOP);
  label(STDIN_DONE);
  emit(str(R5, R11, S_LEN));
  emit(pop(bit(R4) | bit(R5) | bit(R6) | bit(PC)));

  // Run S_REPEAT times (at least once) over the input or over every packet of the capture.
  label(ARGS_DONE);
  if (live) {
    emit(ldr(R0, R11, S_IFACE));
    emit(cmpImm(R0, 0));
    jump(NE, LIVE);
  }
  if ((opts & OPT_SKB) == 0) {
    // XDP programs may write the packet, other programs their input: each run gets a private copy (no packet is
    // longer than the input), so that every run starts from the same bytes, as with `tinybpf run --repeat`
    emit(movImm(R0, 0));
    emit(ldr(R1, R11, S_LEN));
    emit(addImm(R1, R1, 16));
    emit(movImm(R2, 3));
    emit(movImm(R3, 0x22)); // MAP_PRIVATE | MAP_ANONYMOUS
    emit(dpImm(AL, 0xf /* MVN */, 0, R4, 0, 0)); // fd -1
    emit(movImm(R5, 0));
    syscall(SYS_MMAP2);
    emit(dpImm(AL, OP_CMN, 1, 0, R0, immRot(4096)));
    jump(HI, FILE_ERROR);
    emit(str(R0, R11, S_XDP_BUF));
  }
  emit(ldr(R0, R11, S_HAVE_PCAP));
  emit(cmpImm(R0, 0));
  jump(EQ, REPEAT_LOOP);
  // classic pcap: 24-byte header, magic 0xa1b2c3d4 (µs) or 0xa1b23c4d (ns) in the writer's byte order
  emit(ldr(R1, R11, S_LEN));
  emit(cmpImm(R1, 24));
  jump(LO, PCAP_ERROR);
  emit(ldr(R0, R11, S_MEM));
  emit(opReg(OP_ADD, R1, R0, R1));
  emit(str(R1, R11, S_PCAP_END));
  emit(addImm(R1, R0, 24));
  emit(str(R1, R11, S_PCAP));
  emit(ldrb(R1, R0, 0));
  emit(ldrb(R2, R0, 1));
  emit(dpReg(AL, OP_ORR, 0, R1, R1, R2, SH_LSL, 8));
  emit(ldrb(R2, R0, 2));
  emit(dpReg(AL, OP_ORR, 0, R1, R1, R2, SH_LSL, 16));
  emit(ldrb(R2, R0, 3));
  emit(dpReg(AL, OP_ORR, 0, R0, R1, R2, SH_LSL, 24));
  emit(movImm(R3, 0));
  emit(str(R3, R11, S_PCAP_SWAP));
  emitConst(R1, 0xa1b2c3d4);
  emit(cmpReg(R0, R1));
  jump(EQ, MAGIC_OK);
  emitConst(R1, 0xa1b23c4d);
  emit(cmpReg(R0, R1));
  jump(EQ, MAGIC_OK);
  emit(rev(R0, R0));
  emit(movImm(R3, 1));
  emit(str(R3, R11, S_PCAP_SWAP));
  emitConst(R1, 0xa1b2c3d4);
  emit(cmpReg(R0, R1));
  jump(EQ, MAGIC_OK);
  emitConst(R1, 0xa1b23c4d);
  emit(cmpReg(R0, R1));
  jump(NE, PCAP_ERROR);
  label(MAGIC_OK);

  label(REPEAT_LOOP);
  emit(ldr(R0, R11, S_HAVE_PCAP));
  emit(cmpImm(R0, 0));
  jump(EQ, NO_PCAP);
  emit(ldr(R4, R11, S_PCAP)); // the next record header
  label(PKT_LOOP);
  emit(ldr(R5, R11, S_PCAP_END));
  emit(opReg(OP_SUB, R0, R5, R4));
  emit(cmpImm(R0, 16));
  jump(LO, PKTS_DONE);
  emit(ldrb(R1, R4, 8)); // incl_len, read bytewise (records need not be aligned)
  emit(ldrb(R2, R4, 9));
  emit(dpReg(AL, OP_ORR, 0, R1, R1, R2, SH_LSL, 8));
  emit(ldrb(R2, R4, 10));
  emit(dpReg(AL, OP_ORR, 0, R1, R1, R2, SH_LSL, 16));
  emit(ldrb(R2, R4, 11));
  emit(dpReg(AL, OP_ORR, 0, R1, R1, R2, SH_LSL, 24));
  emit(ldr(R2, R11, S_PCAP_SWAP));
  emit(cmpImm(R2, 0));
  skip(EQ, 1);
  emit(rev(R1, R1));
  emit(subImm(R0, R0, 16));
  emit(cmpReg(R1, R0));
  jump(HI, PKTS_DONE); // a truncated last record ends the capture
  emit(addImm(R0, R4, 16));
  emit(opReg(OP_ADD, R4, R0, R1));
  bl(RUN_ONE);
  b(PKT_LOOP);
  label(NO_PCAP);
  emit(ldr(R0, R11, S_MEM));
  emit(ldr(R1, R11, S_LEN));
  bl(RUN_ONE);
  label(PKTS_DONE);
  emit(ldr(R2, R11, S_REPEAT));
  emit(opImmS(OP_SUB, R2, R2, 1));
  emit(str(R2, R11, S_REPEAT));
  jump(HI, REPEAT_LOOP);

  // r0, the number of runs and the maps
  label(PRINT);
  emit(movImm(R8, 1));
  emit(ldr(R0, R11, S_JSON));
  emit(dpImm(AL, 0x8 /* TST */, 1, 0, R0, 1));
  jump(EQ, PRINT_PLAIN);
  say(S_J_R0);
  emit(ldr(R0, R11, S_LAST_R0));
  emit(ldr(R1, R11, S_LAST_R0 + 4));
  bl(PRINT_DEC);
  say(S_J_RUNS);
  emit(ldr(R0, R11, S_RUNS));
  emit(movImm(R1, 0));
  bl(PRINT_DEC);
  say(S_J_MAPS);
  if (nmaps > 0) {
    emit(movImm(R0, 1));
    bl(L_PRINT_MAPS);
  }
  say(S_J_END);
  exitWith(0);
  label(PRINT_PLAIN);
  emit(ldr(R0, R11, S_LAST_R0));
  emit(ldr(R1, R11, S_LAST_R0 + 4));
  bl(PRINT_DEC);
  say(S_NL);
  if (nmaps > 0) {
    emit(movImm(R0, 0));
    bl(L_PRINT_MAPS);
  }
  exitWith(0);

  // run_one: r0 = the bytes, r1 = their length. One run of the program; faults end the process.
  label(RUN_ONE);
  emit(push(bit(R4) | bit(R5) | bit(R6) | bit(LR)));
  emit(str(R0, R11, S_PKT));
  emit(str(R1, R11, S_PKT_LEN));
  if (opts & OPT_SKB) {
    // struct __sk_buff (src/contexts.ts skBuffContext): only cb[] is writable
    emit(movReg(R4, R0));
    emit(movReg(R5, R1));
    emit(addImm(R6, R11, S_SKB));
    emit(movImm(R2, 0));
    emit(movImm(R3, SKB_BYTES));
    label(ZERO_LOOP);
    emit(opImmS(OP_SUB, R3, R3, 4));
    emit(dpReg(AL, 0x4 /* ADD */, 0, IP, R6, R3, SH_LSL, 0));
    emit(str(R2, IP, 0));
    jump(NE, ZERO_LOOP);
    emit(str(R5, R6, 0)); // len
    emit(cmpImm(R5, 14));
    skip(LO, 4);
    emit(ldrb(R2, R4, 12)); // protocol: the EtherType bytes in wire order
    emit(strb(R2, R6, 16));
    emit(ldrb(R2, R4, 13));
    emit(strb(R2, R6, 17));
    emit(ldr(R2, R11, S_PROTO)); // a live capture's: sll_protocol (skb->protocol), bit 16 set
    emit(dpImm(AL, 0x8 /* TST */, 1, 0, R2, immRot(0x10000)));
    skip(EQ, 1);
    emit(strh(R2, R6, 16));
    emit(ldr(R2, R11, S_PKT_TYPE)); // PACKET_OUTGOING, or a live capture's sll_pkttype
    emit(str(R2, R6, 4));
    emit(ldr(R3, R11, S_IFINDEX));
    emit(str(R3, R6, 40)); // ifindex; ingress_ifindex stays 0 for outgoing packets
    emit(cmpImm(R2, 4));
    skip(EQ, 1);
    emit(str(R3, R6, 36));
    emit(str(R4, R6, 76)); // data
    emit(opReg(OP_ADD, R2, R4, R5));
    emit(str(R2, R6, 80)); // data_end
    emit(str(R4, R6, 140)); // data_meta
    emit(str(R5, R6, 160)); // wire_len
    emit(addImm(R0, R6, SKB_BYTES));
    emit(addImm(R1, R6, 48));
    emit(addImm(R3, R6, 68));
    regionStore(1, R6, R0, R1, R3);
    emit(movImm(R0, 0));
    regionStore(2, R4, R2, R0, R0);
    emit(movReg(R0, R6));
    emit(movImm(R1, SKB_BYTES));
  } else if (opts & OPT_XDP) {
    // a private copy of the packet, and struct xdp_md (src/contexts.ts xdpContext): read-only context
    emitPrivateCopy();
    emit(str(R4, R11, S_PKT));
    emit(str(R5, R11, S_PKT_LEN));
    emit(addImm(R6, R11, S_SKB));
    emit(str(R4, R6, 0)); // data
    emit(opReg(OP_ADD, R2, R4, R5));
    emit(str(R2, R6, 4)); // data_end
    emit(str(R4, R6, 8)); // data_meta
    emit(movImm(R3, 1));
    emit(str(R3, R6, 12)); // ingress_ifindex
    emit(movImm(R3, 0));
    emit(str(R3, R6, 16)); // rx_queue_index
    emit(str(R3, R6, 20)); // egress_ifindex
    emit(addImm(R0, R6, 24));
    regionStore(1, R6, R0, R3, R3);
    regionStore(2, R4, R2, R4, R2);
    emit(movReg(R0, R6));
    emit(movImm(R1, 24));
  } else {
    // the program's private copy of the input (see ARGS_DONE); without bytes, the address as given (0 when there
    // is no input)
    emit(cmpImm(R1, 0));
    jump(EQ, PLAIN_READY);
    emitPrivateCopy();
    emit(movReg(R0, R4));
    emit(movReg(R1, R5));
    emit(str(R0, R11, S_PKT));
    label(PLAIN_READY);
    emit(opReg(OP_ADD, R2, R0, R1));
    regionStore(1, R0, R2, R0, R2);
  }
  bl(L_ENTRY);
  emit(str(R0, R11, S_LAST_R0));
  emit(str(R1, R11, S_LAST_R0 + 4));
  emit(ldr(R2, R11, S_RUNS));
  emit(addImm(R2, R2, 1));
  emit(str(R2, R11, S_RUNS));
  emit(ldr(R2, R11, S_FAULT));
  emit(cmpImm(R2, 0));
  jump(NE, PRINT_FAULT);
  emit(ldr(R2, R11, S_JSON));
  emit(dpImm(AL, 0x8 /* TST */, 1, 0, R2, 2));
  jump(EQ, EACH_DONE);
  emit(push(bit(R7) | bit(R8) | bit(R9) | bit(LR)));
  emit(movImm(R8, 1));
  bl(PRINT_DEC);
  say(S_NL);
  emit(pop(bit(R7) | bit(R8) | bit(R9) | bit(LR)));
  label(EACH_DONE);
  emit(pop(bit(R4) | bit(R5) | bit(R6) | bit(PC)));

  // The fault line, in the interpreter's words.
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
  emit(ldr(R0, R11, S_FAULT_SIZE));
  emit(movImm(R1, 0));
  bl(PRINT_DEC);
  say(S_RO_BYTES_AT);
  b(F_ADDR);
  label(F_OOB_WRITE);
  say(S_WRITE);
  label(F_MEM);
  emit(ldr(R0, R11, S_FAULT_SIZE));
  emit(movImm(R1, 0));
  bl(PRINT_DEC);
  say(S_BYTES_AT);
  label(F_ADDR);
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
  jump(EQ, F_HELPER);
  emit(cmpImm(R4, FAULT_BAD_MAP_CODE));
  jump(NE, F_NOT_HELPER);
  say(S_MAP_ARG);
  emit(ldr(R0, R11, S_FAULT_ADDR));
  emit(ldr(R1, R11, S_FAULT_ADDR + 4));
  bl(PRINT_HEX);
  say(S_NOT_MAP);
  b(F_TAIL);
  label(F_NOT_HELPER);
  say(S_FAULT_WORD);
  b(F_TAIL);
  label(F_HELPER);
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

  if (live) emitLive();

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
  say(S_LBRACKET);
  emit(movReg(R0, R5));
  emit(ldr(R1, R4, D_KEY_SIZE));
  bl(P_HEX);
  say(S_EQUALS);
  emit(movReg(R0, R7));
  emit(ldr(R1, R4, D_VALUE_SIZE));
  bl(P_HEX);
  say(S_NL);
  b(P_ENTRY_DONE);
  label(P_JSON_ENTRY);
  emit(cmpImm(R6, 0));
  jump(NE, P_COMMA2);
  say(S_COMMA);
  label(P_COMMA2);
  emit(movImm(R6, 0));
  say(S_J_KEY);
  emit(movReg(R0, R5));
  emit(ldr(R1, R4, D_KEY_SIZE));
  bl(P_HEX);
  say(S_J_VALUE);
  emit(movReg(R0, R7));
  emit(ldr(R1, R4, D_VALUE_SIZE));
  bl(P_HEX);
  say(S_J_ENTRY_END);
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

function bxIf(cond: u32): u32 {
  return (cond << 28) | 0x012fff10 | <u32>LR;
}

/**
 * The live capture (socket filters): S_IFACE names the interface, S_SECONDS how long to read it. Ends at PRINT.
 * The ifreq (32 bytes) is built at S_BUF, the sockaddr_ll (20 bytes) at S_BUF + 32, the timespec at S_BUF + 52,
 * the pollfd at S_BUF + 24 (after the ifreq is used) and recvfrom's address length at S_BUF + 60.
 */
function emitLive(): void {
  label(LIVE);
  emit(movImm(R0, 0)); // the packet buffer: private anonymous memory, committed as packets arrive
  emitConst(R1, LIVE_BUFFER);
  emit(movImm(R2, 3));
  emit(movImm(R3, 0x22)); // MAP_PRIVATE | MAP_ANONYMOUS
  emit(dpImm(AL, 0xf /* MVN */, 0, R4, 0, 0)); // fd -1
  emit(movImm(R5, 0));
  syscall(SYS_MMAP2);
  emit(dpImm(AL, OP_CMN, 1, 0, R0, immRot(4096)));
  jump(HI, NO_CAPTURE);
  emit(str(R0, R11, S_LIVE_BUF));
  // socket(AF_PACKET, SOCK_RAW, htons(ETH_P_ALL))
  emit(movImm(R0, 17));
  emit(movImm(R1, 3));
  emit(movImm(R2, 0x300));
  syscall(SYS_SOCKET);
  emit(dpImm(AL, OP_CMN, 1, 0, R0, immRot(4096)));
  jump(HI, NO_SOCKET);
  emit(movReg(R9, R0)); // the socket, for good (the program preserves r4-r11)
  emit(addImm(R10, R11, S_BUF)); // the structures below
  // ioctl(SIOCGIFINDEX): struct ifreq { char ifr_name[16]; int ifr_ifindex; ... }
  emit(movReg(R1, R10));
  emit(movImm(R2, 0));
  for (let k = 0; k < 64; k += 4) emit(str(R2, R1, k));
  emit(ldr(R0, R11, S_IFACE));
  emit(movImm(R3, 0)); // the name's length
  label(NAME_LOOP);
  emit(dpReg(AL, OP_ADD, 0, IP, R0, R3, SH_LSL, 0));
  emit(ldrb(R2, IP, 0));
  emit(cmpImm(R2, 0));
  jump(EQ, NAME_DONE);
  emit(cmpImm(R3, 15));
  jump(HS, NO_IFACE); // longer than IFNAMSIZ - 1: no interface has that name
  emit(dpReg(AL, OP_ADD, 0, IP, R1, R3, SH_LSL, 0));
  emit(strb(R2, IP, 0));
  emit(addImm(R3, R3, 1));
  b(NAME_LOOP);
  label(NAME_DONE);
  emit(cmpImm(R3, 0));
  jump(EQ, NO_IFACE);
  emit(movReg(R2, R1));
  emit(movReg(R0, R9));
  emitConst(R1, SIOCGIFINDEX);
  syscall(SYS_IOCTL);
  emit(cmpImm(R0, 0));
  jump(NE, NO_IFACE);
  // bind(struct sockaddr_ll { sll_family = AF_PACKET, sll_protocol = htons(ETH_P_ALL), sll_ifindex, ... })
  emit(ldr(R0, R11, S_BUF + 16));
  emit(str(R0, R11, S_IFINDEX));
  emit(str(R0, R11, S_BUF + 36));
  emit(movImm(R0, 17));
  emit(strh(R0, R10, 32));
  emit(movImm(R0, 0x300));
  emit(strh(R0, R10, 34));
  emit(movReg(R0, R9));
  emit(addImm(R1, R11, S_BUF + 32));
  emit(movImm(R2, 20));
  syscall(SYS_BIND);
  emit(cmpImm(R0, 0));
  jump(NE, NO_CAPTURE);
  // the deadline: now + S_SECONDS on CLOCK_MONOTONIC
  bl(LIVE_CLOCK);
  emit(ldr(R2, R11, S_SECONDS));
  emit(opReg(OP_ADD, R0, R0, R2));
  emit(str(R0, R11, S_DEADLINE));
  emit(str(R1, R11, S_DEADLINE + 4));

  label(LIVE_LOOP);
  bl(LIVE_CLOCK);
  emit(ldr(R2, R11, S_DEADLINE));
  emit(cmpReg(R0, R2));
  jump(HI, LIVE_DONE);
  jump(LO, LIVE_WAIT);
  emit(ldr(R2, R11, S_DEADLINE + 4));
  emit(cmpReg(R1, R2));
  jump(HS, LIVE_DONE);
  label(LIVE_WAIT);
  // poll({ fd, POLLIN }, 1, POLL_MS)
  emit(str(R9, R11, S_BUF + 24));
  emit(movImm(R0, 1));
  emit(str(R0, R11, S_BUF + 28)); // events = POLLIN, revents = 0
  emit(addImm(R0, R11, S_BUF + 24));
  emit(movImm(R1, 1));
  emit(movImm(R2, POLL_MS));
  syscall(SYS_POLL);
  emit(cmpImm(R0, 0));
  jump(LE, LIVE_LOOP); // nothing yet, or interrupted
  // recvfrom(fd, buffer, LIVE_BUFFER, MSG_DONTWAIT, &sockaddr_ll, &length)
  emit(movImm(R0, 20));
  emit(str(R0, R11, S_BUF + 60));
  emit(movReg(R0, R9));
  emit(ldr(R1, R11, S_LIVE_BUF));
  emitConst(R2, LIVE_BUFFER);
  emit(movImm(R3, 0x40));
  emit(addImm(R4, R11, S_BUF + 32));
  emit(addImm(R5, R11, S_BUF + 60));
  syscall(SYS_RECVFROM);
  emit(cmpImm(R0, 0));
  jump(LT, LIVE_LOOP);
  emit(movReg(R1, R0));
  emit(ldrh(R0, R10, 34)); // sll_protocol, network byte order
  emit(dpImm(AL, OP_ORR, 0, R0, R0, immRot(0x10000)));
  emit(str(R0, R11, S_PROTO));
  emit(ldr(R0, R11, S_BUF + 36)); // sll_ifindex
  emit(str(R0, R11, S_IFINDEX));
  emit(ldrb(R0, R11, S_BUF + 42)); // sll_pkttype: PACKET_HOST, PACKET_OUTGOING, ...
  emit(str(R0, R11, S_PKT_TYPE));
  emit(ldr(R0, R11, S_LIVE_BUF));
  bl(RUN_ONE);
  b(LIVE_LOOP);
  label(LIVE_DONE);
  b(PRINT);

  // clock: r0 = CLOCK_MONOTONIC seconds, r1 = nanoseconds
  label(LIVE_CLOCK);
  emit(movImm(R0, 1));
  emit(addImm(R1, R11, S_BUF + 52));
  syscall(SYS_CLOCK_GETTIME);
  emit(ldr(R0, R11, S_BUF + 52));
  emit(ldr(R1, R11, S_BUF + 56));
  emit(bx(LR));

  // errors: one line on stderr, exit status 1
  label(NO_SOCKET);
  emit(movImm(R8, 2));
  emit(dpImm(AL, OP_CMN, 1, 0, R0, 1)); // -EPERM
  emit(dpImm(NE, OP_CMN, 1, 0, R0, 13)); // -EACCES
  jump(NE, LIVE_ERROR);
  say(S_NOT_PERMITTED);
  exitWith(1);
  label(LIVE_ERROR);
  say(S_NO_SOCKET);
  exitWith(1);
  label(NO_IFACE);
  emit(movImm(R8, 2));
  say(S_NO_IFACE);
  b(IFACE_NAME);
  label(NO_CAPTURE);
  emit(movImm(R8, 2));
  say(S_NO_CAPTURE);
  label(IFACE_NAME);
  emit(ldr(R1, R11, S_IFACE));
  emit(movImm(R2, 0));
  label(IFACE_LEN);
  emit(dpReg(AL, OP_ADD, 0, IP, R1, R2, SH_LSL, 0));
  emit(ldrb(IP, IP, 0));
  emit(cmpImm(IP, 0));
  skip(EQ, 2);
  emit(addImm(R2, R2, 1));
  b(IFACE_LEN);
  bl(WRITE);
  say(S_NL);
  exitWith(1);
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
