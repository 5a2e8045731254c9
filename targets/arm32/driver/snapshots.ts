// The live capture's snapshots (--snapshots MS, in socket filters' executables built with OPT_SNAPSHOT): every MS milliseconds, and once more at the
// end, the executable writes the report --json prints ({"r0":..,"runs":..,"maps":{..}}, one line) to standard
// output and flushes it, so that a reader (the daemon's iface: links) sees the maps as they grow. The capture then
// runs until SIGINT or SIGTERM unless --seconds is given.
//
// The live loop already reads CLOCK_MONOTONIC after every packet and every empty poll (at most 100 ms apart):
// SNAP_CHECK compares that time with the next snapshot's, so a snapshot costs nothing between two of them. The
// next one is scheduled from the time the last one was written: a slow reader delays snapshots instead of making
// them pile up.
//
// State (SNAP_STATE, past the helpers' state, reached through its address: r11-relative loads end at 4 KiB):
//   +0 period (seconds, nanoseconds), 0 and 0 without --snapshots; +8 when the next snapshot is due (the same).

import {
  AL, EQ, HI, HS, IP, LO, LR, NE, OP_ADD, OP_CMN, OP_ORR, OP_SUB, R0, R1, R2, R3, R4, R8, addImm, bit, bx, bxC, cmpImm,
  cmpReg, dpImm, ldr, movImm, mul, opReg, opRegS, pop, push, str, when,
} from "../../../assembly/arm32/a32/encoder";
import { block } from "../../../assembly/arm32/a32/labels";
import { Context } from "../../../assembly/arm32/jit/context";
import { FLUSH, USAGE, WRITE } from "./common";
import { L_STATE, S_SNAPSHOT } from "../image";

const SNAP = block("driver/snapshots", 11);
export const SNAPSHOTS_TEXT = SNAP + 0; // "--snapshots"
export const SNAP_PERIOD = SNAP + 1; // r1 = milliseconds (from parse_num) -> the period
export const SNAP_CHECK = SNAP + 2; // r0:r1 = now: a snapshot when one is due
export const SNAP_SCHEDULE = SNAP + 3; // r0:r1 = now: the next one is due a period later
export const SNAP_SECONDS = SNAP + 4; // r2 = how long a capture without --seconds reads
export const JSON_REPORT = SNAP + 5; // the --json report on r8 (main.ts emits it)
const PERIOD_LOOP = SNAP + 6;
const PERIOD_DONE = SNAP + 7;
const DUE = SNAP + 8;
export const OPT_SNAPSHOTS = SNAP + 9; // the option (main.ts)
const USAGE_TEXT = SNAP + 10;
const USAGE_LINE =
  "usage: PROGRAM [--mem FILE | --pcap FILE | --iface IFNAME [--seconds N] [--snapshots MS]] [--repeat N] [--json]\n";

const DEFAULT_SECONDS: u32 = 10; // a plain capture without --seconds
const UNTIL_SIGNAL: u32 = 0x40000000; // seconds: with --snapshots, the capture ends at a signal

/** The snapshot routines and the option's text (live captures only). */
export function emitSnapshots(c: Context): void {
  // period: r1 ms -> seconds and nanoseconds (no division: the image may have no UDIV, and this runs once);
  // 0 ms is a usage error. Uses r0-r2, ip.
  c.label(SNAP_PERIOD);
  c.emit(cmpImm(R1, 0));
  c.jump(EQ, USAGE);
  c.emit(movImm(R0, 0));
  c.emitConst(R2, 1000);
  c.label(PERIOD_LOOP);
  c.emit(cmpReg(R1, R2));
  c.jump(LO, PERIOD_DONE);
  c.emit(opReg(OP_SUB, R1, R1, R2));
  c.emit(addImm(R0, R0, 1));
  c.b(PERIOD_LOOP);
  c.label(PERIOD_DONE);
  c.emitConst(R2, 1000000);
  c.emit(mul(R1, R1, R2));
  c.addressOf(IP, L_STATE, S_SNAPSHOT);
  c.emit(str(R0, IP, 0));
  c.emit(str(R1, IP, 4));
  c.emit(bx(LR));

  // check: nothing without --snapshots or before the due time; else the report on standard output, flushed, and
  // the next due time. Preserves r0, r1 and r4-r11 (r8 is set to standard output).
  c.label(SNAP_CHECK);
  c.addressOf(IP, L_STATE, S_SNAPSHOT);
  c.emit(ldr(R2, IP, 0));
  c.emit(ldr(R3, IP, 4));
  c.emit(opRegS(OP_ORR, R2, R2, R3));
  c.emit(bxC(EQ, LR));
  c.emit(ldr(R2, IP, 8));
  c.emit(cmpReg(R0, R2));
  c.emit(bxC(LO, LR));
  c.jump(HI, DUE);
  c.emit(ldr(R2, IP, 12));
  c.emit(cmpReg(R1, R2));
  c.emit(bxC(LO, LR));
  c.label(DUE);
  c.emit(push(bit(R0) | bit(R1) | bit(R4) | bit(LR)));
  c.emit(movImm(R8, 1));
  c.bl(JSON_REPORT);
  c.bl(FLUSH);
  c.emit(pop(bit(R0) | bit(R1) | bit(R4) | bit(LR)));
  // schedule: due = r0:r1 + the period (nanoseconds carried into seconds). Preserves r0, r1, r4-r11.
  c.label(SNAP_SCHEDULE);
  c.addressOf(IP, L_STATE, S_SNAPSHOT);
  c.emit(ldr(R2, IP, 0));
  c.emit(ldr(R3, IP, 4));
  c.emit(opReg(OP_ADD, R2, R2, R0));
  c.emit(opReg(OP_ADD, R3, R3, R1));
  c.emit(str(R2, IP, 8));
  c.emitConst(R2, 1000000000);
  c.emit(cmpReg(R3, R2));
  c.emit(when(HS, opReg(OP_SUB, R3, R3, R2)));
  c.emit(str(R3, IP, 12));
  c.emit(ldr(R2, IP, 8));
  c.emit(when(HS, addImm(R2, R2, 1)));
  c.emit(str(R2, IP, 8));
  c.emit(bx(LR));

  // seconds: r2 = S_SECONDS as given, or (none given: -1) the default: until a signal with --snapshots
  c.label(SNAP_SECONDS);
  c.emit(dpImm(AL, OP_CMN, 1, 0, R2, 1));
  c.emit(bxC(NE, LR));
  c.addressOf(IP, L_STATE, S_SNAPSHOT);
  c.emit(ldr(R2, IP, 0));
  c.emit(ldr(R3, IP, 4));
  c.emit(opRegS(OP_ORR, R2, R2, R3));
  c.emitConst(R2, DEFAULT_SECONDS);
  c.emit(bxC(EQ, LR));
  c.emitConst(R2, UNTIL_SIGNAL);
  c.emit(bx(LR));

  text(c, SNAPSHOTS_TEXT, "--snapshots");
  text(c, USAGE_TEXT, USAGE_LINE);
}

function text(c: Context, label: i32, s: string): void {
  c.label(label);
  for (let i = 0; i < s.length; i++) c.emitByte(<u32>s.charCodeAt(i));
  c.emitByte(0);
  c.align4();
}

/** The usage line of an executable with --snapshots, on r8 (print.ts USAGE). */
export function sayUsageWithSnapshots(c: Context): void {
  c.addressOf(R1, USAGE_TEXT, 0);
  c.emitConst(R2, <u32>USAGE_LINE.length);
  c.bl(WRITE);
}
