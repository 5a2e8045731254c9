// A trace executable's `--pcap -`: standard input read as it arrives, so that `tcpdump -w - | ./FILE --pcap -`
// traces every record as soon as it is complete, and prints when the pipe ends or at SIGINT (Ctrl-C: the END text
// and the maps so far, exit status 0, as bpftrace). Module executables read standard input whole first (main.ts).
//
// The bytes go into a reserved buffer (committed as it fills); when a record does not fit behind the unread bytes,
// these move to the buffer's start first, so the buffer only needs to hold the largest record. S_PCAP_END is the
// end of what was read; S_STREAM is 1 until the input ends.

import {
  EQ, HS, LR, LT, NE, OP_CMN, R0, R1, R11, R2, R3, R4, R5, R6, R7, addImm, bit, cmpImm, cmpReg, dpImm, immRot, ldr,
  ldrb, movImm, movReg, opReg, str, strb, AL, OP_ADD, OP_MOV, OP_MVN, OP_SUB,
} from "../../../assembly/arm32/a32/encoder";
import { block } from "../../../assembly/arm32/a32/labels";
import { Context } from "../../../assembly/arm32/jit/context";
import { S_DEADLINE, S_HAVE_PCAP, S_LEN, S_MEM, S_PCAP_END, S_STREAM } from "../image";
import { FILE_ERROR, PKTS_DONE, SYS_READ, mapAnonymous, syscall } from "./common";
import { onSigint } from "./live";

const STREAM_CAPACITY: u32 = 16 << 20; // bytes reserved for the unread input: more than a capture's largest record
const EINTR: u32 = 4;

const T = block("driver/stream", 9); // this file's labels
export const FILL = T + 0;
const LOOP = T + 1;
const DONE = T + 2;
const MOVE = T + 3;
const MOVED = T + 4;
const READ = T + 5;
const ENDED = T + 6;
export const STREAM_STDIN = T + 7;
const NOT_STREAMING = T + 8;

/**
 * STREAM_STDIN (jumped to by map_file for standard input, inside its routine: r4-r6 and lr saved, `done` returns):
 * the buffer, nothing read yet for `--pcap -`; `--mem -` reads it all now.
 */
export function emitStreamInput(c: Context, done: i32): void {
  c.label(STREAM_STDIN);
  mapAnonymous(c, STREAM_CAPACITY, FILE_ERROR);
  c.emit(str(R0, R11, S_MEM));
  c.emit(str(R0, R11, S_PCAP_END));
  c.emit(movReg(R4, R0));
  c.emit(movImm(R0, 1));
  c.emit(str(R0, R11, S_STREAM));
  c.emit(str(R0, R11, S_DEADLINE)); // no SIGINT yet
  c.emit(ldr(R0, R11, S_HAVE_PCAP));
  c.emit(cmpImm(R0, 0));
  c.jump(NE, done);
  c.emit(dpImm(AL, OP_MVN, 0, R0, 0, 0)); // --mem -: all of it
  c.bl(FILL);
  c.emit(str(R0, R11, S_LEN));
  c.b(done);
}

/**
 * Before the capture's header is read, when streaming: SIGINT now ends the input (S_DEADLINE becomes 0), and
 * the header's 24 bytes are read (S_LEN: the bytes there are). Interrupted first: straight to the results.
 */
export function emitStreamStart(c: Context): void {
  c.emit(ldr(R0, R11, S_STREAM));
  c.emit(cmpImm(R0, 0));
  c.jump(EQ, NOT_STREAMING); // the input is all there
  onSigint(c);
  c.emit(ldr(R4, R11, S_MEM));
  c.emit(movImm(R0, 24));
  c.bl(FILL);
  c.emit(str(R0, R11, S_LEN));
  c.emit(ldr(R1, R11, S_DEADLINE));
  c.emit(cmpImm(R1, 0));
  c.jump(EQ, PKTS_DONE);
  c.label(NOT_STREAMING);
}

/**
 * fill: r4 = the next unread byte, r0 = how many bytes are needed from there -> r0 = how many there are (fewer
 * at the end of the input; 0 once SIGINT came); the unread bytes may have moved (r4 with them). Without a stream,
 * what there is. Preserves r1, r5-r11.
 */
export function emitFill(c: Context): void {
  const saved = bit(R1) | bit(R5) | bit(R6) | bit(R7) | bit(LR);
  c.routine(FILL, saved);
  c.emit(movReg(R6, R0));
  c.label(LOOP);
  c.emit(ldr(R5, R11, S_PCAP_END));
  c.emit(opReg(OP_SUB, R0, R5, R4));
  c.emit(ldr(R1, R11, S_STREAM));
  c.emit(cmpImm(R1, 0));
  c.jump(EQ, DONE); // all read: what there is
  c.emit(ldr(R1, R11, S_DEADLINE));
  c.emit(cmpImm(R1, 0));
  c.emit(dpImm(EQ, OP_MOV, 0, R0, 0, 0));
  c.jump(EQ, DONE); // interrupted: nothing more
  c.emit(cmpReg(R0, R6));
  c.jump(HS, DONE);
  // the unread bytes to the buffer's start, then read behind them
  c.emit(ldr(R1, R11, S_MEM));
  c.emit(movReg(R2, R1));
  c.label(MOVE);
  c.emit(cmpReg(R4, R5));
  c.jump(HS, MOVED);
  c.emit(ldrb(R3, R4, 0));
  c.emit(strb(R3, R2, 0));
  c.emit(addImm(R4, R4, 1));
  c.emit(addImm(R2, R2, 1));
  c.b(MOVE);
  c.label(MOVED);
  c.emit(movReg(R4, R1));
  c.emit(str(R2, R11, S_PCAP_END));
  c.label(READ);
  c.emit(movReg(R5, R2));
  c.emitConst(R3, STREAM_CAPACITY);
  c.emit(opReg(OP_ADD, R2, R1, R3));
  c.emit(opReg(OP_SUB, R2, R2, R5)); // room left
  c.emit(movReg(R1, R5));
  c.emit(movImm(R0, 0));
  syscall(c, SYS_READ);
  c.emit(dpImm(AL, OP_CMN, 1, 0, R0, immRot(EINTR)));
  c.jump(EQ, LOOP); // the signal: the loop sees S_DEADLINE
  c.emit(cmpImm(R0, 0));
  c.jump(EQ, ENDED);
  c.jump(LT, FILE_ERROR);
  c.emit(opReg(OP_ADD, R5, R5, R0));
  c.emit(str(R5, R11, S_PCAP_END));
  c.b(LOOP);
  c.label(ENDED);
  c.emit(movImm(R0, 0));
  c.emit(str(R0, R11, S_STREAM));
  c.b(LOOP);
  c.label(DONE);
  c.routineEnd(saved);
}
