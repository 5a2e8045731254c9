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
// The parts, in the order they are emitted: start-up, arguments, input, the run loop, the results and run_one here;
// the fault line, the errors and the output routines in driver-print.ts; the live capture in driver-live.ts; the
// labels, strings and system call numbers they share in driver-common.ts.

import {
  emit, emitConst, skip, R0, R1, R2, R3, R4, R5, R6, R7, R8, R9, R11, IP, SP, LR, PC, AL, EQ, NE, GE, LT, HI, HS, LO,
  ldr, str, ldrb, strb, strh, rev, movReg, movImm, cmpImm, cmpReg, opImm, opImmS, opReg, dpReg, dpImm, immRot, mla,
  push, pop, bit, bx, addImm, subImm, OP_ADD, OP_SUB, OP_ORR, OP_CMN, SH_LSL,
} from "../../../assembly/arm32/a32/encoder";
import {
  label, b, bl, jump, addressOf, stateBase, S_FAULT, S_REPEAT, S_MEM, S_LEN, S_FD, S_RUNS, S_PCAP, S_PCAP_END,
  S_PCAP_SWAP, S_JSON, S_HAVE_PCAP, S_LAST_R0, S_OUTPOS, S_OUT_FD, S_OUT, S_SKB, SKB_BYTES, S_REGIONS, REGION_BYTES,
  S_NREGIONS, FIRST_MAP_REGION, S_PKT, S_PKT_LEN, L_START, L_ENTRY, L_DATA_INIT, L_PRINT_MAPS, L_STATE, S_IFACE,
  S_SECONDS, S_PKT_TYPE, S_IFINDEX, S_PROTO, S_XDP_BUF,
} from "../image";
import { DATA_BASE, DESC_BASE, DESC_SIZE, D_REGION } from "../maps/index";
import {
  SYS_READ, SYS_OPEN, SYS_LSEEK, SYS_MMAP2, OPT_SKB, OPT_XDP, ARG_LOOP, ARGS_DONE, OPT_MEM, OPT_REPEAT, NEXT_ARG, USAGE,
  FILE_ERROR, REPEAT_LOOP, PRINT_FAULT, STRCMP, PRINT_DEC, NUM_LOOP, NUM_DONE, OPT_PCAP, OPT_JSON, MAP_FILE, STDIN,
  STDIN_LOOP, STDIN_DONE, MAPPED, RUN_ONE, PKT_LOOP, PKTS_DONE, PCAP_ERROR, MAGIC_OK, PRINT, PRINT_PLAIN, COPY_LOOP,
  ZERO_LOOP, NO_PCAP, REGION_LOOP, STR_BASE, S_OPT_MEM, S_OPT_REPEAT, S_NL, S_OPT_PCAP, S_OPT_JSON, S_DASH, S_J_R0,
  S_J_RUNS, S_J_MAPS, S_J_END, S_OPT_IFACE, S_OPT_SECONDS, PARSE_NUM, OPT_IFACE, OPT_SECONDS, LIVE, COPY_WORDS,
  COPY_BYTES, COPY_DONE, PLAIN_READY, OPT_EACH, OPT_EACH_TEXT, EACH_DONE, setDriverOpts, syscall, say, exitWith,
  mapAnonymous,
} from "./common";
import { emitFaultLine, emitInputErrors, emitOutputRoutines } from "./print";
import { emitLive } from "./live";

const STDIN_CAPACITY: u32 = 64 << 20; // bytes of standard input a run may take (reserved, not committed)

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
  setDriverOpts(opts);
  const live = (opts & OPT_SKB) != 0;
  emitStartUp(live, nmaps, dataLength);
  emitArguments(live);
  emitInput();
  emitRunLoop(live);
  emitResults(nmaps);
  emitRunOne(opts);
  emitFaultLine();
  if (live) emitLive();
  emitInputErrors(live);
  emitOutputRoutines(nmaps);
}

/** L_START: the state, the map area's initial bytes and the memory regions. */
function emitStartUp(live: bool, nmaps: i32, dataLength: i32): void {
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
}

/** The options, one argument at a time (ARG_LOOP); ends at ARGS_DONE, or at USAGE. */
function emitArguments(live: bool): void {
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
}

/** map_file: r0 = file name ("-": standard input) -> S_MEM, S_LEN (the bytes, mapped privately and writable). */
function emitInput(): void {
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
  mapAnonymous(STDIN_CAPACITY, FILE_ERROR);
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
}

/** ARGS_DONE: run S_REPEAT times (at least once) over the input or over every packet of the capture. */
function emitRunLoop(live: bool): void {
  label(ARGS_DONE);
  if (live) {
    emit(ldr(R0, R11, S_IFACE));
    emit(cmpImm(R0, 0));
    jump(NE, LIVE);
  } else {
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
}

/** PRINT: r0, the number of runs and the maps (exit status 0). */
function emitResults(nmaps: i32): void {
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
}

/** run_one: r0 = the bytes, r1 = their length. One run of the program; faults end the process. */
function emitRunOne(opts: u32): void {
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
}
