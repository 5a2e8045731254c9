// One memory check for a group of loads outside loop copies. A header walk (`if (data + N > data_end) return;
// ... p[12], p[13], p[23]`) loads bytes at constant offsets from one register; checked one by one, each costs a
// 64-bit address add and a compare against the region cache (memory.ts). Here, at the first of two or more loads
// off the same base register, unchanged between them, in one basic block or along the blocks that fall through
// conditional jumps after it, one test covers their whole span [base + minOff, base + maxEnd): against the region
// cache's read window first, else by L_RANGE's search of the regions (versioned.ts), which leaves the window it
// finds in the cache, as L_CHECK does (runtime/rcache.ts). The test may cover bytes that only a later block would
// load, after a jump that leaves the path: when they are outside, the ordinary code runs, which is slower, never
// wrong.
//
// Versioned by emitting the code twice, as loops are (versioned.ts), not by a flag: a flag tested at each load
// would cost about what the check it saves does. Where the group starts: the test; when it fails, the ordinary
// code of the instructions from there on, as without groups, so that a fault is reported at the same
// instruction with the same message after the same side effects; when it passes, a branch over them to their
// unchecked copy, which ends where the ordinary code can be entered again (a block's start, or a checked access,
// a call or a packet load: jit/step.ts entryPoint, which keeps those free of forwarding from the code before them;
// not an access to the program's own frame at a fixed offset, which has no check) and falls through to
// it. The copy is emitted as a loop copy is (jit/copies.ts, inCopy): its other accesses are checked and resume in
// the ordinary code on a miss, its budget check (when the group starts a block) resumes at the ordinary code's
// own, after the test; a later block's start in it has its budget check, which resumes at that block's ordinary
// code; its jumps go to the ordinary code; bytes.ts assembles its byte-loaded words. Nothing in it calls out or faults, so the
// instruction-offset table, which maps a fault's code position to an instruction, stays exact: the copy lies in
// the range of the ordinary code's last copied instruction.
//
// Code size: a group's copy holds at most MAX_COPY instructions and ends at the first place after the group's last
// load where the ordinary code can be entered (or after an exit or a `ja`); code without two such loads gets
// nothing.

import {
  AL, EQ, HS, LO, NE, OP_ADC, OP_ADD, OP_SBC, OP_SUB, R0, R1, R11, R2, R3, branch, cmpImm, cmpReg, cmpRegC, dpImm,
  immRot, ldrd, movImm, movReg, opImmS, opReg,
} from "../a32/encoder";
import { frameAccess } from "../analysis/frame-ranges";
import { loopAt, sizeBytes } from "../analysis/loops";
import { Context, F_FUNC, F_LEADER, dstOf, flagOf, offOf, opcode, srcOf, targetPos } from "./context";
import { barrier, hi, known0, lo, setHiZero } from "./regs";
import { emitStep, enterBlock, entryPoint, widthsAt } from "./step";
import { chargeGroupEntry } from "./budget";
import {
  CLS_JMP, CLS_JMP32, CLS_LD, CLS_LDX, CLS_ST, CLS_STX, JMP_CALL, JMP_EXIT, MODE_ATOMIC, MODE_MEM, MODE_MEMSX,
} from "../../isa";
import { L_RANGE, S_RCACHE } from "../../../targets/arm32/image";

const MAX_COPY = 40; // instructions from the group's first load to the copy's end
const MAX_SPAN = 64; // bytes one test covers: beyond, a load is checked on its own

function isLoad(op: u32): bool {
  return (op & 7) == CLS_LDX && ((op & 0xe0) == MODE_MEM || (op & 0xe0) == MODE_MEMSX);
}

/** Whether `op` is an exit or an unconditional jump: nothing runs after it in its block. */
function away(op: u32): bool {
  return ((op & 7) == CLS_JMP && ((op & 0xf0) == JMP_EXIT || op == 0x05)) || op == 0x06;
}

/**
 * Whether a group of loads starts at instruction i (no group pending): then its base, span, loads (groupMask, bit
 * j - i) and the copy's end (groupEnd) are set.
 */
export function findGroup(c: Context, i: i32): bool {
  if (c.groupEnd >= 0) return false;
  const op = opcode(c, i);
  const b = srcOf(c, i);
  if (!isLoad(op) || b == 10 || frameAccess(c, i)) return false;
  let low = offOf(c, i);
  let high = low + sizeBytes(op & 0x18);
  let mask: u64 = 1;
  let loads = 1;
  let last = i;
  let live = dstOf(c, i) != b; // the base still holds its value at i
  let before = op; // the instruction before j
  for (let j = i + 1; j < c.count && j - i <= MAX_COPY; j += opcode(c, j) == 0x18 ? 2 : 1) {
    const o = opcode(c, j);
    const cls = o & 7;
    // on along the path that falls through conditional jumps, into blocks entered elsewhere too (those ways in
    // go to the ordinary code); not into a loop, a subprogram, or a block only jumps reach
    const f = flagOf(c, j);
    if ((f & F_LEADER) != 0 && (away(before) || (f & F_FUNC) != 0 || loopAt(c, j) >= 0)) break;
    before = o;
    if ((cls == CLS_LD && o != 0x18) || (cls == CLS_STX && (o & 0xe0) == MODE_ATOMIC) ||
      ((cls == CLS_JMP || cls == CLS_JMP32) && (o & 0xf0) == JMP_CALL)) break;
    if (isLoad(o) && live && srcOf(c, j) == b && !frameAccess(c, j)) {
      const l = min(low, offOf(c, j));
      const h = max(high, offOf(c, j) + sizeBytes(o & 0x18));
      if (h - l <= MAX_SPAN) {
        low = l;
        high = h;
        mask |= <u64>1 << <u64>(j - i);
        loads++;
        last = j;
      }
    }
    if (cls != CLS_ST && cls != CLS_STX && cls != CLS_JMP && cls != CLS_JMP32 && dstOf(c, j) == b) live = false;
  }
  if (loads < 2) return false;
  // the copy ends at the first place after the last load where the ordinary code can be entered, or after an exit
  // or a jump that leaves the block for good
  let end = -1;
  for (let j = last + 1; j < c.count && j - i <= MAX_COPY; j += opcode(c, j) == 0x18 ? 2 : 1) {
    if (entryPoint(c, j)) end = j;
    else if (away(opcode(c, j))) end = j + 1;
    else continue;
    break;
  }
  if (end < 0) return false;
  c.groupFirst = i;
  c.groupEnd = end;
  c.groupMask = mask;
  c.groupBase = b;
  c.groupLow = low;
  c.groupLen = high - low;
  return true;
}

/**
 * The group's test at its first load (before the block's budget check when that load starts a block): the span's
 * address below 2^32, then in the cache's read window or in a region L_RANGE finds. Uses r0-r3 and lr.
 */
export function emitGroupTest(c: Context, i: i32): void {
  barrier(c); // a jump may land here
  if (flagOf(c, i) & F_LEADER) enterBlock(c, i);
  c.groupHiZero = c.hiZero;
  c.ranges.saveState(widthsAt(c, i)); // a block's start holds its own state there already; others hold none
  const b = c.groupBase;
  const off = c.groupLow;
  const len = c.groupLen;
  let addr = lo(c, b, R0);
  let out = -1; // the span's address is 2^32 or more, or below 0
  let outCond: u32 = NE;
  if (known0(c, b)) {
    if (off != 0) {
      c.emitAddConstS(R0, addr, <u32>off, R3);
      addr = R0;
      out = c.forwardBranch();
      outCond = off > 0 ? HS : LO;
    }
  } else {
    const h = hi(c, b, R1);
    if (off != 0) {
      c.emitAddConstS(R0, addr, <u32>off, R3);
      addr = R0;
      c.emit(dpImm(AL, off >= 0 ? OP_ADC : OP_SBC, 0, R1, h, 0));
      c.emit(cmpImm(R1, 0));
    } else c.emit(cmpImm(h, 0));
    out = c.forwardBranch();
  }
  // [addr, addr + len) in [start, start + span + 7) (see versioned.ts): (addr - start) + len - 8 below span
  c.emit(ldrd(R2, R11, S_RCACHE)); // start, span
  c.emit(opReg(OP_SUB, R2, addr, R2));
  if (len > 8) {
    c.emit(opImmS(OP_ADD, R2, R2, immRot(<u32>(len - 8))));
    c.emit(cmpRegC(LO, R2, R3)); // a carry out of the add stays HS: no pass
  } else c.emit(cmpReg(R2, R3));
  c.groupPass = c.forwardBranch();
  if (addr != R0) c.emit(movReg(R0, addr));
  c.emit(movImm(R1, 0));
  c.emitConst(R2, <u32>len);
  c.emit(movImm(R3, 0));
  c.bl(L_RANGE);
  c.groupFound = c.forwardBranch();
  if (out >= 0) c.patchBranch(out, outCond);
  barrier(c);
  c.groupBody = c.pos;
  c.groups++;
}

/**
 * After the ordinary code of the group's instructions (the translator reached groupEnd): the unchecked copy, which
 * the test's pass branches to. False on a translation error.
 */
export function emitGroupCopy(c: Context, inMain: bool): bool {
  const first = c.groupFirst;
  const end = c.groupEnd;
  // the ordinary code's way on, over the copy (unless its last instruction jumps away for good)
  let lastAt = first;
  for (let j = first; j < end; j += opcode(c, j) == 0x18 ? 2 : 1) lastAt = j;
  if (!away(opcode(c, lastAt))) c.emit(branch(AL, false, c.pos, targetPos(c, end)));
  // what the ordinary code knows at `end`, for its code after the copy
  const hiZero = c.hiZero;
  const keep = end < c.count && (flagOf(c, end) & F_LEADER) == 0;
  if (keep) c.ranges.saveState(widthsAt(c, end));
  c.patchBranch(c.groupPass, LO);
  c.patchBranch(c.groupFound, EQ);
  barrier(c);
  c.blockStart = c.pos;
  c.hiZero = c.groupHiZero;
  c.ranges.loadState(widthsAt(c, first));
  c.grouping = true;
  if (c.budget != 0) chargeGroupEntry(c, first);
  for (let j = first; j < end;) {
    j = emitStep(c, j, inMain);
    if (j < 0) return false;
  }
  // The code after takes the ordinary code's knowledge at `end`: a high word it holds zero is made zero here too.
  // Where they differ the register is dead (both compute the same values), but the ordinary code may have zeroed
  // a rotation's temporary that the copy never wrote (rotate.ts), and the code after would skip storing it.
  for (let r = 0; r < 10; r++) if (((hiZero & ~c.hiZero) >> <u32>r) & 1) setHiZero(c, r);
  c.grouping = false;
  c.groupEnd = -1;
  c.hiZero = hiZero;
  if (keep) c.ranges.loadState(widthsAt(c, end));
  barrier(c);
  c.blockStart = c.pos;
  return true;
}
