// Where a fault was, printed as src/runtime/fault-location.ts words it, so that an executable's fault line is the
// interpreter's even though the executable keeps its memory elsewhere: of the stack, the context, the packet and
// each map's arena (a ring buffer's data area), the one whose nearest byte is closest to the address, the first in
// that order on a tie, and the offset from its start ("stack+0x1f8", `map "counts"-0x4`); farther than NEAR bytes
// from all of them, the address itself ("0x1234"). The low word decides; the offset is the 64-bit difference.
// Runtime.namedRegions lists the same for the core. A trace executable names the address itself only.

import {
  AL, EQ, GE, HI, HS, LO, LR, NE, OP_ADD, OP_MVN, OP_RSB, OP_RSC, OP_SBC, OP_SUB, R0, R1, R10, R11, R2, R3, R4, R5,
  R6, R7, R9,
  addImm, bit, cmpImm, cmpReg, dpImm, ldr, ldrb, movImm, movImmC, movReg, movRegC, opImm, opImmS, opReg, opRegS, subImm,
} from "../../../assembly/arm32/a32/encoder";
import { block } from "../../../assembly/arm32/a32/labels";
import { Context } from "../../../assembly/arm32/jit/context";
import { D_MAX, D_NAME, D_NAME_LEN, D_TYPE, D_VALUES, K_RINGBUF } from "../abi";
import { FIRST_MAP_REGION, S_FAULT_ADDR, S_REGIONS } from "../image";
import { F_RINGBUF, descOf } from "../maps/common";
import {
  PRINT_HEX, S_W_CONTEXT, S_W_HEX, S_W_MAP, S_W_MINUS, S_W_PACKET, S_W_PLUS, S_W_STACK, WRITE, say, traceExecutable,
} from "./common";

/** src/runtime/fault-location.ts NEAR */
const NEAR: u32 = 4096;

const W = block("driver/where", 13);
export const PRINT_WHERE = W + 0; // prints where S_FAULT_ADDR is (fd in r8); preserves r4-r11
const LOOP = W + 1;
const NEXT = W + 2;
const GAP = W + 3;
const DONE = W + 4;
const RAW = W + 5;
const OFFSET = W + 6;
const NOT_STACK = W + 7;
const NOT_CONTEXT = W + 8;
const NOT_PACKET = W + 9;
const HAVE = W + 10;
const PLUS = W + 11;
const NUMBER = W + 12;

export function emitWhere(c: Context, nmaps: i32): void {
  const rings = (c.families & F_RINGBUF) != 0;
  const saved = bit(R4) | bit(R5) | bit(R6) | bit(R7) | bit(R9) | bit(R10) | bit(LR);
  c.routine(PRINT_WHERE, saved);
  if (traceExecutable(c)) {
    // a trace script's program faults only through a fault of the compiler: the address itself is enough
    emitRaw(c, saved);
    return;
  }
  c.emit(ldr(R0, R11, S_FAULT_ADDR)); // the low word decides
  // The stack, the context, the packet and one slot per map (open samples, after them, are named after their
  // ring). r6 = the smallest gap so far (NEAR + 1: none), r7 = its slot (-1: none), r4 = its start; r9 = slot,
  // r5 = its region.
  c.emitConst(R3, <u32>(FIRST_MAP_REGION + nmaps));
  c.emit(addImm(R5, R11, S_REGIONS));
  c.emitConst(R6, NEAR + 1);
  c.emit(dpImm(AL, OP_MVN, 0, R7, 0, 0));
  c.emit(movImm(R9, 0));
  c.label(LOOP);
  c.emit(cmpReg(R9, R3));
  c.jump(HS, DONE);
  c.emit(ldr(R2, R5, 0));
  c.emit(ldr(R1, R5, 4));
  c.emit(cmpReg(R1, R2));
  if (rings) {
    // a ring buffer's slot is empty (its data area is no region): the data area, [D_VALUES, + D_MAX)
    c.jump(NE, HAVE);
    c.emit(subImm(R1, R9, FIRST_MAP_REGION));
    c.emit(cmpImm(R9, FIRST_MAP_REGION));
    c.jump(LO, NEXT);
    descOf(c, R2, R1);
    c.emit(ldrb(R1, R2, D_TYPE));
    c.emit(cmpImm(R1, K_RINGBUF));
    c.jump(NE, NEXT);
    c.emit(ldr(R1, R2, D_MAX));
    c.emit(ldr(R2, R2, D_VALUES));
    c.emit(opReg(OP_ADD, R1, R1, R2));
    c.label(HAVE);
  } else {
    c.jump(EQ, NEXT); // empty
  }
  c.emit(opRegS(OP_SUB, R10, R2, R0)); // below the start: gap = start - address
  c.jump(HI, GAP);
  c.emit(cmpReg(R0, R1));
  c.emit(movImmC(LO, R10, 0)); // inside
  c.jump(LO, GAP);
  c.emit(opReg(OP_SUB, R10, R0, R1)); // past the end: gap = address - (end - 1)
  c.emit(addImm(R10, R10, 1));
  c.label(GAP);
  c.emit(cmpReg(R10, R6));
  c.emit(movRegC(LO, R6, R10));
  c.emit(movRegC(LO, R7, R9));
  c.emit(movRegC(LO, R4, R2));
  c.label(NEXT);
  c.emit(addImm(R5, R5, 16));
  c.emit(addImm(R9, R9, 1));
  c.b(LOOP);

  c.label(DONE);
  c.emit(dpImm(AL, 0xb /* CMN */, 1, 0, R7, 1));
  c.jump(EQ, RAW);
  c.emit(cmpImm(R7, 0));
  c.jump(NE, NOT_STACK);
  say(c, S_W_STACK);
  c.b(OFFSET);
  c.label(NOT_STACK);
  c.emit(cmpImm(R7, 1));
  c.jump(NE, NOT_CONTEXT);
  say(c, S_W_CONTEXT);
  c.b(OFFSET);
  c.label(NOT_CONTEXT);
  c.emit(cmpImm(R7, 2));
  c.jump(NE, NOT_PACKET);
  say(c, S_W_PACKET);
  c.b(OFFSET);
  c.label(NOT_PACKET);
  if (nmaps > 0) {
    // a map: `map "NAME"` (the name as JSON, as the host writes it)
    say(c, S_W_MAP);
    c.emit(subImm(R0, R7, FIRST_MAP_REGION));
    descOf(c, R5, R0);
    c.emit(ldr(R1, R5, D_NAME));
    c.emit(ldr(R2, R5, D_NAME_LEN));
    c.bl(WRITE);
  }

  // the offset from the start: the whole 64-bit difference r6:r4, signed
  c.label(OFFSET);
  c.emit(ldr(R0, R11, S_FAULT_ADDR));
  c.emit(ldr(R1, R11, S_FAULT_ADDR + 4));
  c.emit(opRegS(OP_SUB, R4, R0, R4));
  c.emit(opImm(OP_SBC, R6, R1, 0));
  c.emit(cmpImm(R6, 0));
  c.jump(GE, PLUS);
  c.emit(opImmS(OP_RSB, R4, R4, 0));
  c.emit(opImm(OP_RSC, R6, R6, 0));
  say(c, S_W_MINUS);
  c.b(NUMBER);
  c.label(PLUS);
  say(c, S_W_PLUS);
  c.label(NUMBER);
  c.emit(movReg(R0, R4));
  c.emit(movReg(R1, R6));
  c.bl(PRINT_HEX);
  c.routineEnd(saved);

  emitRaw(c, saved);
}

/** RAW: the address itself, "0x1234". */
function emitRaw(c: Context, saved: u32): void {
  c.label(RAW);
  say(c, S_W_HEX);
  c.emit(ldr(R0, R11, S_FAULT_ADDR));
  c.emit(ldr(R1, R11, S_FAULT_ADDR + 4));
  c.bl(PRINT_HEX);
  c.routineEnd(saved);
}
