// The on-device driver, emitted with the encoder like everything else: a static ARM Linux executable needs no C
// compiler, no libc and no loader. It parses the arguments, maps the input file, runs the program, and prints r0
// and the maps (exit 0) or the fault line on stderr (exit 1). Usage errors and unreadable inputs exit 2.
//
//   PROGRAM [--mem FILE | --pcap FILE | --iface IFNAME [--seconds N] [--snapshots MS]] [--repeat N] [--json]
//                                                                    (FILE may be - for standard input)
//
// --mem: one run over FILE's bytes. --pcap: one run per packet of a classic pcap capture (either byte order, µs or
// ns timestamps). Socket filters (OPT_SKB) see each packet (and --mem's bytes) through a struct __sk_buff built as
// src/runtime/contexts.ts skBuffContext does; other programs get r1 = the bytes, r2 = their length. --json prints what
// `tinybpf run --json` prints: {"r0":"N","runs":N,"maps":{"NAME":[{"key":"HEX","value":"HEX"},...]}}. --each
// (for `tinybpf run --engine arm32`) first prints every run's r0 on a line of its own. Output is buffered (S_OUT)
// and written at exit.
//
// --iface (socket filters only): a live capture. An AF_PACKET raw socket bound to the interface (all protocols),
// read for N seconds (default 10; poll() with a short timeout and CLOCK_MONOTONIC decide when to stop); each packet
// is one run, its __sk_buff carrying the kernel's pkt_type, ifindex and protocol from recvfrom's sockaddr_ll.
// Then r0 and the maps as after --pcap. A socket that cannot be opened or an unknown interface: one line on
// stderr, exit status 1. --snapshots MS (snapshots.ts) also writes the --json report every MS milliseconds, one
// line each, and reads until SIGINT or SIGTERM unless --seconds is given.
//
// A trace script's exit() (OPT_TRACE_EXIT) ends the input after the run that wrote a ring buffer record.
//
// The parts, in the order they are emitted: start-up, arguments, input, the run loop, the results and run_one here;
// the fault line, the errors and the output routines in print.ts; the live capture in live.ts; the labels,
// strings and system call numbers they share in common.ts.

import {
  AL, EQ, GE, HI, HS, IP, LO, LR, LT, MI, NE, OP_ADD, OP_CMN, OP_ORR, OP_SUB, R0, R1, R11, R2, R3, R4, R5, R6, R7, R8,
  R9, SH_LSL, SP, addImm, bit, bx, cmpImm, cmpReg, dpImm, dpReg, immRot, ldr, ldrb, mla, movImm, movImmC, movReg, opImm,
  opImmS, opReg, pop, push, rev, str, strb, strh, subImm, when,
} from "../../../assembly/arm32/a32/encoder";
import { Context } from "../../../assembly/arm32/jit/context";
import {
  DATA_BASE, DESC_OFFSET, DESC_SIZE, D_FRESH, D_REGION, D_TYPE, K_RINGBUF, OPT_BPFTRACE, OPT_SKB, OPT_SNAPSHOT, OPT_SPARSE_DATA, OPT_XDP,
  SEC_BPFTRACE, SEC_DRIVER, SEC_FAULT_LINE, SEC_LIVE, SEC_STREAM, OPT_TRACE_EXIT,
} from "../abi";
import { L_BPFTRACE_BEGIN, L_PRINT_BPFTRACE, emitBpftracePrinter } from "./bpftrace-print";
import {
  ARGS_DONE, ARG_LOOP, EXIT_NEXT, EXIT_SCAN, COPY_BLOCKS, COPY_BYTES, COPY_DONE, COPY_LAST, COPY_LOOP, COPY_WORD, COPY_WORDS, EACH_DONE, FILE_ERROR, LIVE, MAGIC_OK, MAPPED,
  MAP_FILE, NEXT_ARG, NO_PCAP, NUM_DONE, NUM_LOOP, OPT_EACH, OPT_EACH_TEXT, OPT_IFACE, OPT_JSON, OPT_MEM, OPT_PCAP,
  OPT_REPEAT, OPT_SECONDS, PARSE_NUM, PCAP_ERROR, PKTS_DONE, PKT_LOOP, PLAIN_READY, PRINT, PRINT_DEC, PRINT_FAULT,
  PRINT_PLAIN, REGION_LOOP, REPEAT_LOOP, RUN_ONE, STDIN, STDIN_DONE, STDIN_LOOP, STRCMP, STR_BASE, SYS_LSEEK,
  SYS_MMAP2, SYS_OPEN, SYS_READ, S_DASH, S_J_END, S_J_MAPS, S_J_R0, S_J_RUNS, S_NL, S_OPT_IFACE, S_OPT_JSON,
  S_OPT_MEM, S_OPT_PCAP, S_OPT_REPEAT, S_OPT_SECONDS, SPARSE_DONE, SPARSE_WORDS, USAGE, exitWith,
  mapAnonymous, readsPackets, say, syscall, traceExecutable,
} from "./common";
import { emitLive } from "./live";
import { JSON_REPORT, OPT_SNAPSHOTS, SNAPSHOTS_TEXT, SNAP_PERIOD, emitSnapshots } from "./snapshots";
import { FILL, STREAM_STDIN, emitFill, emitStreamInput, emitStreamStart } from "./stream";
import { emitFaultLine, emitInputErrors, emitOutputRoutines } from "./print";
import {
  FIRST_MAP_REGION, L_DATA_INIT, L_ENTRY, L_PRINT_MAPS, L_START, L_STATE, REGION_BYTES, SKB_BYTES, S_FAULT, S_FD,
  S_HAVE_PCAP, S_IFACE, S_IFINDEX, S_JSON, S_LAST_R0, S_LEN, S_MEM, S_NREGIONS, S_OUT, S_OUTPOS, S_OUT_FD, S_PCAP,
  S_PCAP_END, S_PCAP_SWAP, S_PKT, S_PKT_LEN, S_PKT_TYPE, S_PROTO, S_REGIONS, S_REPEAT, S_RUNS, S_SECONDS, S_SKB,
  S_XDP_BUF, stateBase,
} from "../image";
import { DESC_BASE } from "../maps/common";
import { forgetRegionWindows } from "../runtime/rcache";

const SKB_CB = 48; // struct __sk_buff's cb[5] (src/runtime/contexts.ts SKB.cb), the part a socket filter may write
const SKB_CB_BYTES = 20;
const XDP_MD_BYTES = 24; // struct xdp_md (src/runtime/contexts.ts XDP_MD_SIZE)
const STDIN_CAPACITY: u32 = 64 << 20; // bytes of standard input a run may take (reserved, not committed)

/**
 * Copies r1 bytes from r0 to the run's private buffer (S_XDP_BUF): 16 bytes a step, then words, then the last bytes
 * (ARMv7 loads and stores words at any address; a packet in a capture lies at any offset). Leaves r4 = the buffer,
 * r5 = the length; uses r0, r2, r3, ip. Runs once per run before every XDP program and every program given bytes,
 * so its cost per byte is most of the driver's per packet.
 */
function emitPrivateCopy(c: Context): void {
  c.emit(movReg(R5, R1));
  c.emit(ldr(R4, R11, S_XDP_BUF));
  c.emit(movReg(R2, R4));
  c.emit(opImmS(OP_SUB, R3, R1, 16)); // r3 = bytes left - 16
  c.jump(LO, COPY_WORDS);
  c.label(COPY_BLOCKS);
  for (let k = 0; k < 16; k += 4) {
    c.emit(ldr(IP, R0, k));
    c.emit(str(IP, R2, k));
  }
  c.emit(addImm(R0, R0, 16));
  c.emit(addImm(R2, R2, 16));
  c.emit(opImmS(OP_SUB, R3, R3, 16));
  c.jump(HS, COPY_BLOCKS);
  c.label(COPY_WORDS); // r3 = bytes left - 16, from -16 to -1
  c.emit(opImmS(OP_ADD, R3, R3, 12)); // r3 = bytes left - 4
  c.label(COPY_WORD);
  c.jump(MI, COPY_BYTES);
  c.emit(ldr(IP, R0, 0));
  c.emit(str(IP, R2, 0));
  c.emit(addImm(R0, R0, 4));
  c.emit(addImm(R2, R2, 4));
  c.emit(opImmS(OP_SUB, R3, R3, 4));
  c.b(COPY_WORD);
  c.label(COPY_BYTES);
  c.emit(opImmS(OP_ADD, R3, R3, 4)); // r3 = bytes left, 0 to 3
  c.jump(EQ, COPY_DONE);
  c.label(COPY_LAST);
  c.emit(ldrb(IP, R0, 0));
  c.emit(strb(IP, R2, 0));
  c.emit(addImm(R0, R0, 1));
  c.emit(addImm(R2, R2, 1));
  c.emit(opImmS(OP_SUB, R3, R3, 1));
  c.jump(NE, COPY_LAST);
  c.label(COPY_DONE);
}

/** r0 = argv[++r6] (usage error when there is none). */
function nextArgument(c: Context): void {
  c.emit(addImm(R6, R6, 1));
  c.emit(cmpReg(R6, R4));
  c.jump(GE, USAGE);
  c.emit(dpReg(AL, OP_ADD, 0, R0, R5, R6, SH_LSL, 2));
  c.emit(ldr(R0, R0, 0));
}

function regionStore(c: Context, index: i32, start: i32, end: i32, ws: i32, we: i32): void {
  const at_ = S_REGIONS + REGION_BYTES * index;
  c.emit(str(start, R11, at_));
  c.emit(str(end, R11, at_ + 4));
  c.emit(str(ws, R11, at_ + 8));
  c.emit(str(we, R11, at_ + 12));
}

/**
 * The driver: `nmaps` maps whose area starts with `dataLength` initial bytes (copied from L_DATA_INIT to DATA_BASE).
 */
export function emitDriver(c: Context, opts: u32, nmaps: i32, dataLength: i32): void {
  c.driverOpts = (opts & OPT_SKB) != 0 ? opts : opts & ~OPT_SNAPSHOT; // snapshots are the live capture's
  const live = (opts & OPT_SKB) != 0;
  emitStartUp(c, opts, live, nmaps, dataLength);
  emitArguments(c, live);
  emitInput(c);
  emitRunLoop(c, live);
  emitResults(c, nmaps);
  emitRunOne(c, opts, nmaps);
  c.endSection(SEC_DRIVER);
  emitFaultLine(c);
  c.endSection(SEC_FAULT_LINE);
  if (live) emitLive(c);
  if (c.driverOpts & OPT_SNAPSHOT) emitSnapshots(c);
  c.endSection(SEC_LIVE);
  if (traceExecutable(c)) {
    emitFill(c); // --pcap - read as it arrives (stream.ts)
    emitStreamInput(c, MAPPED);
  }
  c.endSection(SEC_STREAM);
  emitInputErrors(c, live);
  emitOutputRoutines(c, nmaps);
  if (opts & OPT_BPFTRACE) emitBpftracePrinter(c);
  c.endSection(SEC_BPFTRACE);
}

/** L_START: the state, the map area's initial bytes and the memory regions. */
function emitStartUp(c: Context, opts: u32, live: bool, nmaps: i32, dataLength: i32): void {
  const snapshots = (c.driverOpts & OPT_SNAPSHOT) != 0;
  c.label(L_START);
  stateBase(c);
  c.emit(ldr(R4, SP, 0)); // argc
  c.emit(addImm(R5, SP, 4)); // argv
  c.emit(movImm(R6, 1)); // argument index
  c.emit(movImm(R0, 1));
  c.emit(str(R0, R11, S_REPEAT));
  c.emit(str(R0, R11, S_OUT_FD));
  c.emit(movImm(R0, 0));
  c.emit(str(R0, R11, S_MEM));
  c.emit(str(R0, R11, S_LEN));
  c.emit(str(R0, R11, S_JSON));
  c.emit(str(R0, R11, S_HAVE_PCAP));
  c.emit(str(R0, R11, S_RUNS));
  if (live) {
    c.emit(str(R0, R11, S_IFACE));
    c.emit(str(R0, R11, S_PROTO)); // skb->protocol from the packet's EtherType
    c.emit(movImm(R0, 4));
    c.emit(str(R0, R11, S_PKT_TYPE)); // PACKET_OUTGOING
    c.emit(movImm(R0, 1));
    c.emit(str(R0, R11, S_IFINDEX));
    if (snapshots) c.emit(dpImm(AL, 0xf /* MVN */, 0, R0, 0, 0)); // -1: not given (snapshots.ts picks the default)
    else c.emit(movImm(R0, 10));
    c.emit(str(R0, R11, S_SECONDS));
  }
  c.addressOf(R0, L_STATE, S_OUT);
  c.emit(str(R0, R11, S_OUTPOS));
  // the map area's initial bytes, and one region per map after the stack, the context and the packet
  if (dataLength > 0 && (opts & OPT_SPARSE_DATA)) emitSparseCopy(c, nmaps);
  else if (dataLength > 0) {
    c.emitConst(R0, DATA_BASE);
    c.addressOf(R1, L_DATA_INIT, 0);
    c.emitConst(R2, <u32>dataLength);
    c.label(COPY_LOOP);
    c.emit(ldrb(R3, R1, 0));
    c.emit(strb(R3, R0, 0));
    c.emit(addImm(R0, R0, 1));
    c.emit(addImm(R1, R1, 1));
    c.emit(opImmS(OP_SUB, R2, R2, 1));
    c.jump(NE, COPY_LOOP);
  }
  if (nmaps > 0) {
    c.emitConst(R0, DESC_BASE + D_REGION);
    c.emit(addImm(R1, R11, S_REGIONS + REGION_BYTES * FIRST_MAP_REGION));
    c.emitConst(R2, <u32>nmaps);
    c.label(REGION_LOOP);
    for (let k = 0; k < 16; k += 4) {
      c.emit(ldr(IP, R0, k));
      c.emit(str(IP, R1, k));
    }
    c.emit(addImm(R0, R0, DESC_SIZE));
    c.emit(addImm(R1, R1, REGION_BYTES));
    c.emit(opImmS(OP_SUB, R2, R2, 1));
    c.jump(NE, REGION_LOOP);
  }
  c.emit(movImm(R0, 0)); // the packet region stays empty unless a socket filter gets a packet
  regionStore(c, 2, R0, R0, R0, R0);
  if (opts & OPT_SKB) {
    // the context region, the same for every run: struct __sk_buff, only cb[] writable (see RUN_ONE)
    c.emit(addImm(R0, R11, S_SKB));
    c.emit(addImm(R1, R11, S_SKB + SKB_BYTES));
    c.emit(addImm(R2, R11, S_SKB + SKB_CB));
    c.emit(addImm(R3, R11, S_SKB + SKB_CB + SKB_CB_BYTES));
    regionStore(c, 1, R0, R1, R2, R3);
  } else if (opts & OPT_XDP) {
    // the context region, the same for every run: struct xdp_md, read-only, and its fields that never change
    c.emit(addImm(R0, R11, S_SKB));
    c.emit(addImm(R1, R11, S_SKB + XDP_MD_BYTES));
    c.emit(movImm(R2, 0));
    regionStore(c, 1, R0, R1, R2, R2);
    c.emit(movImm(R3, 1));
    c.emit(str(R3, R0, 12)); // ingress_ifindex
    c.emit(str(R2, R0, 16)); // rx_queue_index
    c.emit(str(R2, R0, 20)); // egress_ifindex
  }
  c.emitConst(R0, <u32>(FIRST_MAP_REGION + nmaps));
  c.emit(str(R0, R11, S_NREGIONS));
}

/**
 * With OPT_SPARSE_DATA, the map area's initial bytes: the descriptors as they are, then segments
 * (src/engines/arm32/build.ts sparseInit): offset from DATA_BASE, length, the bytes, ..., a length of 0; all in words.
 */
function emitSparseCopy(c: Context, nmaps: i32): void {
  c.emitConst(R0, DATA_BASE);
  c.addressOf(R1, L_DATA_INIT, 0);
  c.emitConst(R2, <u32>(DESC_OFFSET + DESC_SIZE * nmaps));
  c.b(SPARSE_WORDS);
  c.label(COPY_LOOP);
  c.emit(ldr(R0, R1, 0));
  c.emit(ldr(R2, R1, 4));
  c.emit(addImm(R1, R1, 8));
  c.emit(cmpImm(R2, 0));
  c.jump(EQ, SPARSE_DONE);
  c.emit(addImm(R0, R0, DATA_BASE));
  c.label(SPARSE_WORDS);
  c.emit(ldr(R3, R1, 0));
  c.emit(str(R3, R0, 0));
  c.emit(addImm(R0, R0, 4));
  c.emit(addImm(R1, R1, 4));
  c.emit(opImmS(OP_SUB, R2, R2, 4));
  c.jump(NE, SPARSE_WORDS);
  c.b(COPY_LOOP);
  c.label(SPARSE_DONE);
}

/** The options, one argument at a time (ARG_LOOP); ends at ARGS_DONE, or at USAGE. */
function emitArguments(c: Context, live: bool): void {
  const snapshots = (c.driverOpts & OPT_SNAPSHOT) != 0;
  c.label(ARG_LOOP);
  c.emit(cmpReg(R6, R4));
  c.jump(GE, ARGS_DONE);
  c.emit(dpReg(AL, OP_ADD, 0, R0, R5, R6, SH_LSL, 2));
  c.emit(ldr(R0, R0, 0));
  c.emit(movReg(R8, R0));
  c.addressOf(R1, STR_BASE + S_OPT_MEM, 0);
  c.bl(STRCMP);
  c.jump(EQ, OPT_MEM);
  c.emit(movReg(R0, R8));
  c.addressOf(R1, STR_BASE + S_OPT_PCAP, 0);
  c.bl(STRCMP);
  c.jump(EQ, OPT_PCAP);
  const trace = traceExecutable(c); // no --repeat, --json or --each
  if (!trace) {
    c.emit(movReg(R0, R8));
    c.addressOf(R1, STR_BASE + S_OPT_REPEAT, 0);
    c.bl(STRCMP);
    c.jump(EQ, OPT_REPEAT);
    c.emit(movReg(R0, R8));
    c.addressOf(R1, STR_BASE + S_OPT_JSON, 0);
    c.bl(STRCMP);
    c.jump(EQ, OPT_JSON);
    c.emit(movReg(R0, R8));
    c.addressOf(R1, OPT_EACH_TEXT, 0);
    c.bl(STRCMP);
    c.jump(EQ, OPT_EACH);
  }
  if (live) {
    c.emit(movReg(R0, R8));
    c.addressOf(R1, STR_BASE + S_OPT_IFACE, 0);
    c.bl(STRCMP);
    c.jump(EQ, OPT_IFACE);
    c.emit(movReg(R0, R8));
    c.addressOf(R1, STR_BASE + S_OPT_SECONDS, 0);
    c.bl(STRCMP);
    c.jump(EQ, OPT_SECONDS);
  }
  if (snapshots) {
    c.emit(movReg(R0, R8));
    c.addressOf(R1, SNAPSHOTS_TEXT, 0);
    c.bl(STRCMP);
    c.jump(EQ, OPT_SNAPSHOTS);
  }
  c.b(USAGE);

  if (live) {
    c.label(OPT_IFACE);
    nextArgument(c);
    c.emit(str(R0, R11, S_IFACE));
    c.b(NEXT_ARG);
    c.label(OPT_SECONDS);
    nextArgument(c);
    c.bl(PARSE_NUM);
    c.emit(str(R1, R11, S_SECONDS));
    c.b(NEXT_ARG);
  }
  if (snapshots) {
    c.label(OPT_SNAPSHOTS); // --snapshots MS: the --json report every MS milliseconds (snapshots.ts)
    nextArgument(c);
    c.bl(PARSE_NUM);
    c.bl(SNAP_PERIOD);
    c.b(OPT_JSON);
  }

  if (!trace) {
    c.label(OPT_JSON);
    c.emit(ldr(R0, R11, S_JSON));
    c.emit(opImm(OP_ORR, R0, R0, 1));
    c.emit(str(R0, R11, S_JSON));
    c.b(NEXT_ARG);

    // --each: also print every run's r0 on a line of its own, as it happens (`tinybpf run --engine arm32` counts
    // them for its readable output)
    c.label(OPT_EACH);
    c.emit(ldr(R0, R11, S_JSON));
    c.emit(opImm(OP_ORR, R0, R0, 2));
    c.emit(str(R0, R11, S_JSON));
    c.b(NEXT_ARG);
  }

  c.label(OPT_PCAP);
  c.emit(movImm(R0, 1));
  c.emit(str(R0, R11, S_HAVE_PCAP));
  nextArgument(c);
  c.bl(MAP_FILE);
  c.b(NEXT_ARG);

  c.label(OPT_MEM);
  c.emit(movImm(R0, 0));
  c.emit(str(R0, R11, S_HAVE_PCAP));
  nextArgument(c);
  c.bl(MAP_FILE);
  c.b(NEXT_ARG);

  if (!trace) {
    // --repeat N (decimal)
    c.label(OPT_REPEAT);
    nextArgument(c);
    c.bl(PARSE_NUM);
    c.emit(str(R1, R11, S_REPEAT));
    c.b(NEXT_ARG);
  }

  // parse_num: r0 = a decimal number -> r1 (usage error on anything else; uses r2, r3)
  c.label(PARSE_NUM);
  c.emit(movImm(R1, 0));
  c.emit(movImm(R3, 10));
  c.label(NUM_LOOP);
  c.emit(ldrb(R2, R0, 0));
  c.emit(addImm(R0, R0, 1));
  c.emit(cmpImm(R2, 0));
  c.jump(EQ, NUM_DONE);
  c.emit(subImm(R2, R2, 48));
  c.emit(cmpImm(R2, 9));
  c.jump(HI, USAGE);
  c.emit(mla(R1, R1, R3, R2));
  c.b(NUM_LOOP);
  c.label(NUM_DONE);
  c.emit(bx(LR));

  c.label(NEXT_ARG);
  c.emit(addImm(R6, R6, 1));
  c.b(ARG_LOOP);
}

/** map_file: r0 = file name ("-": standard input) -> S_MEM, S_LEN (the bytes, mapped privately and writable). */
function emitInput(c: Context): void {
  c.routine(MAP_FILE, bit(R4) | bit(R5) | bit(R6) | bit(LR));
  c.emit(movReg(R6, R0));
  c.addressOf(R1, STR_BASE + S_DASH, 0);
  c.bl(STRCMP);
  c.jump(EQ, STDIN);
  c.emit(movReg(R0, R6));
  c.emit(movImm(R1, 0)); // O_RDONLY
  syscall(c, SYS_OPEN);
  c.emit(cmpImm(R0, 0));
  c.jump(LT, FILE_ERROR);
  c.emit(str(R0, R11, S_FD));
  c.emit(movImm(R1, 0));
  c.emit(movImm(R2, 2)); // SEEK_END
  syscall(c, SYS_LSEEK);
  c.emit(cmpImm(R0, 0));
  c.jump(LT, FILE_ERROR);
  c.emit(str(R0, R11, S_LEN));
  c.emit(movImm(R1, 0));
  c.emit(str(R1, R11, S_MEM));
  c.jump(EQ, MAPPED);
  c.emit(movReg(R1, R0));
  c.emit(movImm(R0, 0));
  c.emit(movImm(R2, 3)); // PROT_READ | PROT_WRITE
  c.emit(movImm(R3, 2)); // MAP_PRIVATE
  c.emit(ldr(R4, R11, S_FD));
  c.emit(movImm(R5, 0));
  syscall(c, SYS_MMAP2);
  c.emit(dpImm(AL, OP_CMN, 1, 0, R0, immRot(4096)));
  c.jump(HI, FILE_ERROR); // -4095..-1: an errno
  c.emit(str(R0, R11, S_MEM));
  c.label(MAPPED);
  c.routineEnd(bit(R4) | bit(R5) | bit(R6) | bit(LR));
  // standard input: read into a private anonymous mapping until end of file (a trace executable's capture is
  // read as it arrives instead: stream.ts)
  c.label(STDIN);
  if (traceExecutable(c)) {
    c.b(STREAM_STDIN);
    return;
  }
  mapAnonymous(c, STDIN_CAPACITY, FILE_ERROR);
  c.emit(str(R0, R11, S_MEM));
  c.emit(movReg(R4, R0));
  c.emit(movImm(R5, 0)); // bytes read
  c.label(STDIN_LOOP);
  c.emit(movImm(R0, 0));
  c.emit(opReg(OP_ADD, R1, R4, R5));
  c.emitConst(R2, STDIN_CAPACITY);
  c.emit(opReg(OP_SUB, R2, R2, R5));
  c.emit(cmpImm(R2, 0));
  c.jump(EQ, STDIN_DONE);
  syscall(c, SYS_READ);
  c.emit(cmpImm(R0, 0));
  c.jump(LT, FILE_ERROR);
  c.jump(EQ, STDIN_DONE);
  c.emit(opReg(OP_ADD, R5, R5, R0));
  c.b(STDIN_LOOP);
  c.label(STDIN_DONE);
  c.emit(str(R5, R11, S_LEN));
  c.routineEnd(bit(R4) | bit(R5) | bit(R6) | bit(LR));
}

/** ARGS_DONE: run S_REPEAT times (at least once) over the input or over every packet of the capture. */
function emitRunLoop(c: Context, live: bool): void {
  c.label(ARGS_DONE);
  if (c.driverOpts & OPT_BPFTRACE) c.bl(L_BPFTRACE_BEGIN); // a trace script's BEGIN text (bpftrace-print.ts)
  if (live) {
    c.emit(ldr(R0, R11, S_IFACE));
    c.emit(cmpImm(R0, 0));
    c.jump(NE, LIVE);
  } else {
    // XDP programs may write the packet, other programs their input: each run gets a private copy (no packet is
    // longer than the input), so that every run starts from the same bytes, as with `tinybpf run --repeat`
    c.emit(movImm(R0, 0));
    c.emit(ldr(R1, R11, S_LEN));
    c.emit(addImm(R1, R1, 16));
    c.emit(movImm(R2, 3));
    c.emit(movImm(R3, 0x22)); // MAP_PRIVATE | MAP_ANONYMOUS
    c.emit(dpImm(AL, 0xf /* MVN */, 0, R4, 0, 0)); // fd -1
    c.emit(movImm(R5, 0));
    syscall(c, SYS_MMAP2);
    c.emit(dpImm(AL, OP_CMN, 1, 0, R0, immRot(4096)));
    c.jump(HI, FILE_ERROR);
    c.emit(str(R0, R11, S_XDP_BUF));
  }
  c.emit(ldr(R0, R11, S_HAVE_PCAP));
  c.emit(cmpImm(R0, 0));
  c.jump(EQ, REPEAT_LOOP);
  if (traceExecutable(c)) emitStreamStart(c);
  // classic pcap: 24-byte header, magic 0xa1b2c3d4 (µs) or 0xa1b23c4d (ns) in the writer's byte order
  c.emit(ldr(R1, R11, S_LEN));
  c.emit(cmpImm(R1, 24));
  c.jump(LO, PCAP_ERROR);
  c.emit(ldr(R0, R11, S_MEM));
  c.emit(opReg(OP_ADD, R1, R0, R1));
  c.emit(str(R1, R11, S_PCAP_END));
  c.emit(addImm(R1, R0, 24));
  c.emit(str(R1, R11, S_PCAP));
  c.emit(ldrb(R1, R0, 0));
  c.emit(ldrb(R2, R0, 1));
  c.emit(dpReg(AL, OP_ORR, 0, R1, R1, R2, SH_LSL, 8));
  c.emit(ldrb(R2, R0, 2));
  c.emit(dpReg(AL, OP_ORR, 0, R1, R1, R2, SH_LSL, 16));
  c.emit(ldrb(R2, R0, 3));
  c.emit(dpReg(AL, OP_ORR, 0, R0, R1, R2, SH_LSL, 24));
  c.emit(movImm(R3, 0));
  c.emit(str(R3, R11, S_PCAP_SWAP));
  c.emitConst(R1, 0xa1b2c3d4);
  c.emit(cmpReg(R0, R1));
  c.jump(EQ, MAGIC_OK);
  c.emitConst(R1, 0xa1b23c4d);
  c.emit(cmpReg(R0, R1));
  c.jump(EQ, MAGIC_OK);
  c.emit(rev(R0, R0));
  c.emit(movImm(R3, 1));
  c.emit(str(R3, R11, S_PCAP_SWAP));
  c.emitConst(R1, 0xa1b2c3d4);
  c.emit(cmpReg(R0, R1));
  c.jump(EQ, MAGIC_OK);
  c.emitConst(R1, 0xa1b23c4d);
  c.emit(cmpReg(R0, R1));
  c.jump(NE, PCAP_ERROR);
  c.label(MAGIC_OK);

  c.label(REPEAT_LOOP);
  c.emit(ldr(R0, R11, S_HAVE_PCAP));
  c.emit(cmpImm(R0, 0));
  c.jump(EQ, NO_PCAP);
  c.emit(ldr(R4, R11, S_PCAP)); // the next record header
  c.label(PKT_LOOP);
  if (traceExecutable(c)) {
    c.emit(movImm(R0, 16));
    c.bl(FILL);
  }
  c.emit(ldr(R5, R11, S_PCAP_END));
  c.emit(opReg(OP_SUB, R0, R5, R4));
  c.emit(cmpImm(R0, 16));
  c.jump(LO, PKTS_DONE);
  // incl_len: a word at any address, as the private copy reads packets (records need not be aligned)
  c.emit(ldr(R1, R4, 8));
  c.emit(ldr(R2, R11, S_PCAP_SWAP));
  c.emit(cmpImm(R2, 0));
  c.emit(when(NE, rev(R1, R1)));
  if (traceExecutable(c)) {
    c.emit(addImm(R0, R1, 16));
    c.bl(FILL);
  }
  c.emit(subImm(R0, R0, 16));
  c.emit(cmpReg(R1, R0));
  c.jump(HI, PKTS_DONE); // a truncated last record ends the capture
  c.emit(addImm(R0, R4, 16));
  c.emit(opReg(OP_ADD, R4, R0, R1));
  c.bl(RUN_ONE);
  c.b(PKT_LOOP);
  c.label(NO_PCAP);
  c.emit(ldr(R0, R11, S_MEM));
  c.emit(ldr(R1, R11, S_LEN));
  c.bl(RUN_ONE);
  c.label(PKTS_DONE);
  c.emit(ldr(R2, R11, S_REPEAT));
  c.emit(opImmS(OP_SUB, R2, R2, 1));
  c.emit(str(R2, R11, S_REPEAT));
  c.jump(HI, REPEAT_LOOP);
}

/** PRINT: r0, the number of runs and the maps (exit status 0). */
function emitResults(c: Context, nmaps: i32): void {
  c.label(PRINT);
  c.emit(movImm(R8, 1));
  if (traceExecutable(c)) { // a trace script's maps, as bpftrace prints them (bpftrace-print.ts), and nothing else
    c.bl(L_PRINT_BPFTRACE);
    exitWith(c, 0);
    return;
  }
  c.emit(ldr(R0, R11, S_JSON));
  c.emit(dpImm(AL, 0x8 /* TST */, 1, 0, R0, 1));
  c.jump(EQ, PRINT_PLAIN);
  c.bl(JSON_REPORT);
  exitWith(c, 0);
  // the --json report, also each snapshot's (snapshots.ts); output on r8
  c.routine(JSON_REPORT, bit(R4) | bit(LR));
  say(c, S_J_R0);
  c.emit(ldr(R0, R11, S_LAST_R0));
  c.emit(ldr(R1, R11, S_LAST_R0 + 4));
  c.bl(PRINT_DEC);
  say(c, S_J_RUNS);
  c.emit(ldr(R0, R11, S_RUNS));
  c.emit(movImm(R1, 0));
  c.bl(PRINT_DEC);
  say(c, S_J_MAPS);
  if (nmaps > 0) {
    c.emit(movImm(R0, 1));
    c.bl(L_PRINT_MAPS);
  }
  say(c, S_J_END);
  c.routineEnd(bit(R4) | bit(LR));
  c.label(PRINT_PLAIN);
  if (c.driverOpts & OPT_BPFTRACE) { // a trace script's maps, as bpftrace prints them (bpftrace-print.ts)
    c.bl(L_PRINT_BPFTRACE);
    exitWith(c, 0);
  }
  c.emit(ldr(R0, R11, S_LAST_R0));
  c.emit(ldr(R1, R11, S_LAST_R0 + 4));
  c.bl(PRINT_DEC);
  say(c, S_NL);
  if (nmaps > 0) {
    c.emit(movImm(R0, 0));
    c.bl(L_PRINT_MAPS);
  }
  exitWith(c, 0);
}

/**
 * A trace script's exit(): a record in a ring buffer (the only thing the script's programs write there) ends the
 * input after this run, from whichever loop reads it (capture, stream, live): PRINT prints END's text and the maps
 * (or the --json report) and exits with status 0. Uses r2, r3, ip.
 */
function emitExitCheck(c: Context, nmaps: i32): void {
  c.emitConst(R2, DESC_BASE);
  c.emit(movImm(R3, nmaps));
  c.label(EXIT_SCAN);
  c.emit(opImmS(OP_SUB, R3, R3, 1));
  c.jump(MI, EXIT_NEXT);
  c.emit(ldrb(IP, R2, D_TYPE)); // the storage kind: the low byte
  c.emit(cmpImm(IP, K_RINGBUF));
  c.emit(when(EQ, ldr(IP, R2, D_FRESH))); // the producer position: 0 until a record is written
  c.emit(movImmC(NE, IP, 0));
  c.emit(cmpImm(IP, 0));
  c.jump(NE, PRINT);
  c.emit(addImm(R2, R2, DESC_SIZE));
  c.b(EXIT_SCAN);
  c.label(EXIT_NEXT);
}

/** run_one: r0 = the bytes, r1 = their length. One run of the program; faults end the process. */
function emitRunOne(c: Context, opts: u32, nmaps: i32): void {
  c.routine(RUN_ONE, bit(R4) | bit(R5) | bit(R6) | bit(LR));
  // A program without a packet (neither __sk_buff nor xdp_md) has none to read, as in the core: S_PKT_LEN stays 0.
  const packet = (opts & (OPT_SKB | OPT_XDP)) != 0 || !readsPackets(c);
  if (packet) c.emit(str(R0, R11, S_PKT));
  if (packet) c.emit(str(R1, R11, S_PKT_LEN));
  if (opts & OPT_SKB) {
    // struct __sk_buff (src/runtime/contexts.ts skBuffContext): only cb[] is writable. The block lies in the state
    // (bss, zero at start-up) and nothing but the driver's stores below and the program's into cb[] ever writes it,
    // so each run stores every field that varies and clears cb[]: the fields that stay zero need no clearing.
    c.emit(movReg(R4, R0));
    c.emit(movReg(R5, R1));
    c.emit(addImm(R6, R11, S_SKB));
    c.emit(movImm(R2, 0));
    for (let k = 0; k < SKB_CB_BYTES; k += 4) c.emit(str(R2, R6, SKB_CB + k));
    c.emit(str(R5, R6, 0)); // len
    c.emit(cmpImm(R5, 14)); // protocol: the EtherType bytes in wire order, or 0 for a packet too short to hold one
    c.emit(when(HS, ldrb(R2, R4, 12)));
    c.emit(when(HS, ldrb(R3, R4, 13)));
    c.emit(dpReg(HS, OP_ORR, 0, R2, R2, R3, SH_LSL, 8));
    c.emit(ldr(R3, R11, S_PROTO)); // a live capture's: sll_protocol (skb->protocol), bit 16 set
    c.emit(dpImm(AL, 0x8 /* TST */, 1, 0, R3, immRot(0x10000)));
    c.emit(when(NE, movReg(R2, R3)));
    c.emit(strh(R2, R6, 16));
    c.emit(ldr(R2, R11, S_PKT_TYPE)); // PACKET_OUTGOING, or a live capture's sll_pkttype
    c.emit(str(R2, R6, 4));
    c.emit(ldr(R3, R11, S_IFINDEX));
    c.emit(str(R3, R6, 40)); // ifindex; ingress_ifindex is 0 for outgoing packets
    c.emit(cmpImm(R2, 4));
    c.emit(movImmC(EQ, R3, 0));
    c.emit(str(R3, R6, 36));
    c.emit(str(R4, R6, 76)); // data
    c.emit(opReg(OP_ADD, R2, R4, R5));
    c.emit(str(R2, R6, 80)); // data_end
    c.emit(str(R4, R6, 140)); // data_meta
    c.emit(str(R5, R6, 160)); // wire_len
    forgetRegionWindows(c, 2, false, R1, R3); // the packet: read-only
    c.emit(movImm(R0, 0));
    regionStore(c, 2, R4, R2, R0, R0);
    c.emit(movReg(R0, R6));
    c.emit(movImm(R1, SKB_BYTES));
  } else if (opts & OPT_XDP) {
    // a private copy of the packet, and struct xdp_md (src/runtime/contexts.ts xdpContext): read-only context
    emitPrivateCopy(c);
    c.emit(str(R4, R11, S_PKT));
    c.emit(str(R5, R11, S_PKT_LEN));
    c.emit(addImm(R6, R11, S_SKB));
    c.emit(str(R4, R6, 0)); // data
    c.emit(opReg(OP_ADD, R2, R4, R5));
    c.emit(str(R2, R6, 4)); // data_end
    c.emit(str(R4, R6, 8)); // data_meta (the other fields and the context's region: set at start-up)
    forgetRegionWindows(c, 2, true, R1, R3); // the same start as the last packet's, maybe not its length
    regionStore(c, 2, R4, R2, R4, R2);
    c.emit(movReg(R0, R6));
    c.emit(movImm(R1, XDP_MD_BYTES));
  } else {
    // the program's private copy of the input (see ARGS_DONE); without bytes, the address as given (0 when there
    // is no input)
    c.emit(cmpImm(R1, 0));
    c.jump(EQ, PLAIN_READY);
    emitPrivateCopy(c);
    c.emit(movReg(R0, R4));
    c.emit(movReg(R1, R5));
    if (packet) c.emit(str(R0, R11, S_PKT));
    c.label(PLAIN_READY);
    c.emit(opReg(OP_ADD, R2, R0, R1));
    forgetRegionWindows(c, 1, true, R3, IP);
    regionStore(c, 1, R0, R2, R0, R2);
  }
  c.bl(L_ENTRY);
  c.emit(str(R0, R11, S_LAST_R0));
  c.emit(str(R1, R11, S_LAST_R0 + 4));
  c.emit(ldr(R2, R11, S_RUNS));
  c.emit(addImm(R2, R2, 1));
  c.emit(str(R2, R11, S_RUNS));
  c.emit(ldr(R2, R11, S_FAULT));
  c.emit(cmpImm(R2, 0));
  c.jump(NE, PRINT_FAULT);
  if (opts & OPT_TRACE_EXIT) emitExitCheck(c, nmaps);
  if (!traceExecutable(c)) {
    c.emit(ldr(R2, R11, S_JSON));
    c.emit(dpImm(AL, 0x8 /* TST */, 1, 0, R2, 2));
    c.jump(EQ, EACH_DONE);
    c.emit(push(bit(R7) | bit(R8) | bit(R9) | bit(LR)));
    c.emit(movImm(R8, 1));
    c.bl(PRINT_DEC);
    say(c, S_NL);
    c.emit(pop(bit(R7) | bit(R8) | bit(R9) | bit(LR)));
    c.label(EACH_DONE);
  }
  c.routineEnd(bit(R4) | bit(R5) | bit(R6) | bit(LR));
}
