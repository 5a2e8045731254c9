// A u64 counter clang keeps in the frame is loaded, added to and stored back (`ldxdw r, [r10-k]; add r, v;
// stxdw [r10-k], r`). Where r's high word lives in the register file, the load would store that word there, the
// add store its new value again, and the frame store read it from there: instead r1 carries the word from one
// instruction to the next (regs.ts hi and hiJustStored read it there), and the register file gets it once, after
// the frame store, only when something after reads r. Only where nothing else can run between: the next
// instruction is the one reading it, no jump lands on it, it is emitted on its own (not fused, not a rotation), and
// the code between writes r1 only as the word's new value (every path of a 64-bit ADD or SUB sets the high word
// through setHi; a store into the program's own frame at a fixed offset has no check and reads r1 as the value).

import { R1, R11, str } from "../a32/encoder";
import { Context, F_LEADER, dstOf, flagOf, offOf, opcode, srcOf } from "./context";
import { inCopy } from "./copies";
import { fusedLength } from "./fuse";
import { liveAt } from "./liveness";
import { rotationLength } from "./shapes";
import { fixedFrame } from "./regs";
import { inOwnFrame } from "../analysis/loops";
import { ALU_ADD, ALU_SUB, CLS_ALU64, CLS_LDX, CLS_STX, MODE_MEM } from "../../isa";
import { S_REGS } from "../../../targets/arm32/image";

/**
 * The register whose high word instruction i may leave in r1 for instruction i + 1 (regs.ts setHi), or -1: a 64-bit
 * load followed by an add to it, or an add followed by a store of it into the frame.
 */
export function mayKeepHigh(c: Context, i: i32): i32 {
  const r = dstOf(c, i);
  const next = i + 1;
  if (inCopy(c) || r >= 10 || next >= c.count || (flagOf(c, next) & F_LEADER) != 0) return -1;
  if (!alone(c, i) || !alone(c, next)) return -1;
  const load = (opcode(c, i) & 7) == CLS_LDX;
  return (load ? addsTo(c, next, r) : addsTo(c, i, r) && storesToFrame(c, next, r)) ? r : -1;
}

/** Instruction i is emitted on its own: its emitter's setHi is its last word on the high word. */
function alone(c: Context, i: i32): bool { return fusedLength(c, i) == 0 && rotationLength(c, i) == 0; }

/** Instruction i is a 64-bit ADD or SUB (an immediate or a register) into r. */
function addsTo(c: Context, i: i32, r: i32): bool {
  const op = opcode(c, i);
  const code = op & 0xf0;
  return (op & 7) == CLS_ALU64 && (code == ALU_ADD || code == ALU_SUB) && dstOf(c, i) == r && offOf(c, i) == 0;
}

/** Instruction i stores r's 64 bits into the program's own frame at a fixed offset (no check, no entry point). */
function storesToFrame(c: Context, i: i32, r: i32): bool {
  return opcode(c, i) == (CLS_STX | MODE_MEM | 0x18) && srcOf(c, i) == r && fixedFrame(c) &&
    inOwnFrame(dstOf(c, i), offOf(c, i), 8);
}

/**
 * Before instruction i (`after` false): a high word owed to any other instruction, or one i knows to be 0, is
 * stored (a safeguard: never so). After it: what is still owed is stored, unless i was the frame store it was kept for and nothing reads r
 * from there on.
 */
export function settleOwedHigh(c: Context, i: i32, after: bool): void {
  const r = c.hiOwed;
  // (a high word known to be 0 by the reader may be left unread by it: a sum of 32-bit values is a 32-bit add)
  if (r < 0 || (after ? c.hiOwedTo > i : c.hiOwedTo == i && ((c.hiZero >> <u32>r) & 1) == 0)) return;
  c.hiOwed = -1;
  if (after && storesToFrame(c, i, r) && !liveAt(c, i + 1, r)) return;
  c.emit(str(R1, R11, S_REGS + 8 * r + 4));
}
