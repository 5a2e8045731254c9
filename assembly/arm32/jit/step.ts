// One eBPF instruction at a time: the dispatch to the instruction families (alu, jumps, memory, calls, fuse), the
// budget charge at each basic block and, in the ordinary code, after each access that may fault (budget.ts,
// segments.ts), and what is known at a block's start (enterBlock) and after each instruction (afterInsn), zero
// high words written late in a copy (latehigh.ts). translate.ts runs it over the
// program; versioned.ts over a loop's unchecked copy.

import { PC, bit, movReg, pop } from "../a32/encoder";
import { emitAlu32, emitAlu64 } from "./alu";
import { afterStep, beforeInsn, deferBytes } from "./bytes";
import { emitHelperCall, emitLocalCall } from "./calls";
import { Context, F_LEADER, SECOND_SLOT, dstOf, fail, flagOf, immOf, offOf, opcode, srcOf } from "./context";
import { chargeBlock, chargeSegment } from "./budget";
import { chargePoint } from "./segments";
import { addressAdd, copyBoundReload, copyNarrowIvs, copyZeroHigh, inCopy, inLoopCopy } from "./copies";
import { emitFused, fusedLength } from "./fuse";
import { emitRotation, rotationLength, settleTemporary } from "./rotate";
import { unreadSetup } from "./unread";
import { mayKeepHigh, settleOwedHigh } from "./owedhigh";
import { lateAfterStep, lateSafe, settleLate } from "./latehigh";
import { emitJump } from "./jumps";
import { finishSelect } from "./select";
import { emitAtomic, emitLoad, emitPacketLoad, emitStore } from "./memory";
import { constIn, hiDst, known0, loDst, operandKnown0, setHi, setHiZero, setLo } from "./regs";
import {
  ALU_ADD, ALU_LSH, ALU_MUL, ALU_SUB, CALL_HELPER, CALL_LOCAL, CLS_ALU, CLS_ALU64, CLS_JMP, CLS_JMP32, CLS_LD,
  CLS_LDX, CLS_ST, CLS_STX, JMP_CALL, JMP_EXIT, MODE_ABS, MODE_ATOMIC, MODE_IND, MODE_MEM, MODE_MEMSX, OP_CALLX,
  PSEUDO_IMM64, SRC_X, SZ_DW,
} from "../../isa";
import { ERR_OPCODE, ERR_PSEUDO } from "../../../targets/arm32/abi";
import { L_CODE, L_EPILOGUE } from "../../../targets/arm32/image";
import { frameAccess } from "../analysis/frame-ranges";
import { inOwnFrame, sizeBytes } from "../analysis/loops";
import * as ranges from "../analysis/ranges";

@inline export function widthsAt(c: Context, i: i32): usize { return c.widths + <usize>i * ranges.STATE_BYTES; }

/** The knowledge at the start of basic block b: what the emitters found, and the value widths. */
export function enterBlock(c: Context, b: i32): void {
  c.hiOwed = -1;
  c.ranges.loadState(widthsAt(c, b));
  c.hiZero = load<u32>(c.states + (<usize>b << 2)) | c.ranges.highZeroMask();
  if (inCopy(c)) {
    c.hiZero |= copyZeroHigh(c);
    c.ranges.narrow(c.hiZero);
    c.ranges.cap(copyNarrowIvs(c), 31);
  }
}

/**
 * After instruction i was emitted: its effect on the widths, and the high words that makes known. `emitted`:
 * false for the first of a fused pair, whose emitter knowledge (hiZero) is already the pair's.
 */
export function afterInsn(c: Context, i: i32, emitted: bool = true): void {
  const op = opcode(c, i);
  c.ranges.step(op, dstOf(c, i), srcOf(c, i), offOf(c, i), immOf(c, i), op == 0x18 && i + 1 < c.count ? immOf(c, i + 1) : 0);
  if (!emitted) return;
  c.ranges.narrow(c.hiZero);
  c.hiZero |= c.ranges.highZeroMask();
}

// ---------------------------------------------------------------------------------------------------------------

export function emitInsn(c: Context, i: i32, inMain: bool): bool {
  settleOwedHigh(c, i, false);
  c.hiKeep = mayKeepHigh(c, i);
  const ok = emitOne(c, i, inMain);
  c.hiKeep = -1;
  settleOwedHigh(c, i, true);
  return ok;
}

function emitOne(c: Context, i: i32, inMain: bool): bool {
  const op = opcode(c, i);
  const cls = op & 7;
  const dst = dstOf(c, i);
  const src = srcOf(c, i);
  if (cls == CLS_ALU64 || cls == CLS_ALU) {
    const x = (op & SRC_X) != 0;
    if (cls == CLS_ALU64) {
      const code = op & 0xf0;
      // Both operands and the result below 2^32: the 32-bit operation computes the same value (no carry,
      // borrow or product reaches the high word, see ranges.ts).
      if ((code == ALU_ADD || code == ALU_SUB || code == ALU_MUL || (code == ALU_LSH && !x)) && known0(c, dst) &&
        operandKnown0(c, x, src, immOf(c, i)) && c.ranges.widthAfter(op, dst, src, offOf(c, i), immOf(c, i)) <= 32) {
        return emitAlu32(c, i, code, x, dst, src, immOf(c, i), offOf(c, i));
      }
      // in a loop copy, a sum that is a tested address (versioned.ts)
      if (code == ALU_ADD && addressAdd(c, i)) return emitAlu32(c, i, code, x, dst, src, immOf(c, i), offOf(c, i));
      return emitAlu64(c, i, code, x, dst, src, immOf(c, i), offOf(c, i));
    }
    return emitAlu32(c, i, op & 0xf0, x, dst, src, immOf(c, i), offOf(c, i));
  }
  if (cls == CLS_JMP || cls == CLS_JMP32) {
    const code = op & 0xf0;
    if (code == JMP_EXIT) {
      if (inMain) c.b(L_EPILOGUE);
      else c.emit(pop(bit(PC)));
      return true;
    }
    if (code == JMP_CALL) {
      if (op == <u32>OP_CALLX || src == CALL_HELPER) return emitHelperCall(c, i, op, inMain);
      if (src == CALL_LOCAL) {
        emitLocalCall(c, i);
        return true;
      }
      return fail(c, ERR_OPCODE, i);
    }
    return emitJump(c, i, op, emitStep);
  }
  if (cls == CLS_LDX) {
    const mode = op & 0xe0;
    if (mode != MODE_MEM && mode != MODE_MEMSX) return fail(c, ERR_OPCODE, i);
    if (mode == MODE_MEMSX && (op & 0x18) == SZ_DW) return fail(c, ERR_OPCODE, i);
    // a copy's bound reloaded from its frame slot: its low word (copies.ts)
    if (op == 0x79 && c.depth > 0 && copyBoundReload(c, i)) return emitLoad(c, i, 0x61);
    return emitLoad(c, i, op);
  }
  if (cls == CLS_ST || cls == CLS_STX) {
    const mode = op & 0xe0;
    if (mode == MODE_MEM) return emitStore(c, i, op);
    if (mode == MODE_ATOMIC && cls == CLS_STX) return emitAtomic(c, i, op);
    return fail(c, ERR_OPCODE, i);
  }
  if (cls == CLS_LD) {
    const mode = op & 0xe0;
    if (mode == MODE_ABS || mode == MODE_IND) return emitPacketLoad(c, i, op);
    if (op != 0x18 || i + 1 >= c.count) return fail(c, ERR_OPCODE, i);
    if (src != PSEUDO_IMM64) return fail(c, ERR_PSEUDO, i);
    const dl = loDst(c, dst);
    keptConst(c, dl, <u32>immOf(c, i));
    setLo(c, dst, dl);
    const high = <u32>immOf(c, i + 1);
    if (high == 0) setHiZero(c, dst);
    else {
      const dh = hiDst(c, dst);
      keptConst(c, dh, high);
      setHi(c, dst, dh);
    }
    return true;
  }
  return fail(c, ERR_OPCODE, i);
}

/** rd = v: from the register a loop copy keeps v in (loopregs.ts), else as a constant. */
function keptConst(c: Context, rd: i32, v: u32): void {
  const r = constIn(c, rd, v);
  if (r != rd) c.emit(movReg(rd, r));
}

/**
 * Whether code may be entered at instruction i from elsewhere: leaders, where jumps land; checked loads and stores
 * (and atomics, legacy packet loads), where a loop copy resumes when one misses (versioned.ts); and those and calls,
 * where a group's copy ends (groups.ts). Not a load or store at a fixed offset in the program's own frame, or
 * through an index that stays there (analysis/frame-ranges.ts): it has no check to miss, so a 64-bit store of a
 * value computed just before (clang's u64 counters spilled to the frame) stores the registers that computed it
 * (regs.ts hiJustStored).
 */
export function entryPoint(c: Context, i: i32): bool {
  if (flagOf(c, i) & F_LEADER) return true;
  const op = opcode(c, i);
  const cls = op & 7;
  const mode = op & 0xe0;
  const bytes = sizeBytes(op & 0x18);
  if (frameAccess(c, i)) return false; // in the frame whatever its index holds (analysis/frame-ranges.ts)
  if (cls == CLS_LDX && (mode == MODE_MEM || mode == MODE_MEMSX)) return !inOwnFrame(srcOf(c, i), offOf(c, i), bytes);
  if ((cls == CLS_ST || cls == CLS_STX) && mode == MODE_MEM) return !inOwnFrame(dstOf(c, i), offOf(c, i), bytes);
  return cls == CLS_LDX || cls == CLS_ST || cls == CLS_STX || (cls == CLS_LD && op != 0x18) ||
    ((cls == CLS_JMP || cls == CLS_JMP32) && (op & 0xf0) == JMP_CALL);
}

/**
 * Emits instruction i (with i + 1 when they are a fused pair or lddw's two slots) where the code is now, in the
 * ordinary code or in a copy of a loop (versioned.ts). Returns the next instruction, or -1 on a translation error.
 */
export function emitStep(c: Context, i: i32, inMain: bool): i32 {
  // zero high words left for later (latehigh.ts): written before a step that may leave or branch, and at the end of
  // a block or the copy; at a conversion's join (select.ts), before its code is made conditional, so that the
  // skipped instructions' late words are written only where they run
  const late = lateSafe(c, i);
  if (!late) settleLate(c);
  const next = emitStepHere(c, i, inMain, late);
  if (next >= 0) lateAfterStep(c, next);
  finishSelect(c, next); // the join of a jump's skipped instructions (select.ts)
  return next;
}

function emitStepHere(c: Context, i: i32, inMain: bool, late: bool): i32 {
  const copy = inCopy(c);
  // a loop copy's own code is entered only at its leaders (its ways out resume in the ordinary code), so there
  // registers keep what they held across its accesses
  const entered = entryPoint(c, i) && ((flagOf(c, i) & F_LEADER) != 0 || !inLoopCopy(c));
  if (entered) c.forget(); // what registers held before is not known here
  if (flagOf(c, i) & F_LEADER) {
    enterBlock(c, i);
    if (c.budget != 0) chargeBlock(c, i, copy);
    c.blockStart = c.pos;
  } else if (c.budget != 0 && !copy && chargePoint(c, i)) chargeSegment(c, i); // after an access that may fault
  c.insnStart = c.pos;
  c.insnIndex = i;
  c.forwardFrom = entered ? c.pos : c.blockStart;
  const unread = unreadSetup(c, i);
  if (unread > 0) {
    // a call's argument nothing reads (unread.ts): no code, but a frame address's high word 0
    const next = i + unread;
    for (let j = i; j < next; j += opcode(c, j) == 0x18 ? 2 : 1) if (copy) beforeInsn(c, j);
    const d = dstOf(c, i);
    if (opcode(c, i) == 0x18) c.hiZero &= ~(<u32>1 << <u32>d);
    else setHiZero(c, d);
    for (let j = i; j < next; j += opcode(c, j) == 0x18 ? 2 : 1) afterInsn(c, j);
    if (copy) afterStep(c, next);
    else for (let j = i + 1; j < next; j++) store<u32>(c.offsets + (<usize>j << 2), <u32>(c.pos - c.at(L_CODE)) | (opcode(c, j - 1) == 0x18 ? SECOND_SLOT : 0));
    return next;
  }
  const taken = copy ? deferBytes(c, i) : 0;
  if (taken > 0) {
    // a step of a byte-assembled word (bytes.ts): emitted where it is read
    for (let j = i; j < i + taken; j++) afterInsn(c, j, j == i + taken - 1);
    afterStep(c, i + taken);
    return i + taken;
  }
  const rotation = rotationLength(c, i);
  if (rotation > 0) {
    // a rotation through a temporary: one ROR, or four instructions on a 64-bit value's words (rotate.ts)
    if (copy) for (let j = i; j < i + rotation; j++) beforeInsn(c, j);
    const known = known0(c, dstOf(c, i));
    const computed = emitRotation(c, i, rotation);
    for (let j = i; j < i + rotation; j++) afterInsn(c, j, j == i + rotation - 1);
    if (!computed) settleTemporary(c, i, known);
    if (copy) afterStep(c, i + rotation);
    else for (let j = i + 1; j < i + rotation; j++) store<u32>(c.offsets + (<usize>j << 2), <u32>(c.pos - c.at(L_CODE)));
    return i + rotation;
  }
  const fused = fusedLength(c, i);
  if (fused > 0) {
    // a copy and the operation on it, a constant and its one use, a load through a sum (fuse.ts): the analysis
    // went through them one by one; `op` is the group's last instruction (after lddw's two slots)
    const op = i + fused - 1;
    // the slots between: lddw's second, or middle instructions (a copy's load through a sum, a product read once)
    const first = opcode(c, i) == 0x18 ? i + 2 : i + 1;
    if (copy) {
      for (let j = i; j < op; j++) if (j == i || j >= first) beforeInsn(c, j);
      beforeInsn(c, op);
    }
    c.lateOk = late;
    emitFused(c, i);
    c.lateOk = false;
    for (let j = i; j < op; j++) if (j == i || j >= first) afterInsn(c, j, false);
    afterInsn(c, op);
    if (copy) afterStep(c, i + fused);
    else {
      if (first == i + 2) store<u32>(c.offsets + (<usize>(i + 1) << 2), load<u32>(c.offsets + (<usize>i << 2)) | SECOND_SLOT);
      store<u32>(c.offsets + (<usize>op << 2), <u32>(c.pos - c.at(L_CODE)));
      // a middle instruction (extend.ts: the copy's extension) ends the group's code as the last one does: an
      // instruction of its own for the budget's count (L_BUDGET_FAULT), none of the code's for a fault's index
      for (let j = first; j < op; j++) store<u32>(c.offsets + (<usize>j << 2), <u32>(c.pos - c.at(L_CODE)));
    }
    return i + fused;
  }
  if (copy) beforeInsn(c, i);
  c.lateOk = late;
  const ok = emitInsn(c, i, inMain);
  c.lateOk = false;
  if (!ok) return -1;
  afterInsn(c, i);
  const next = opcode(c, i) == 0x18 ? i + 2 : i + 1;
  if (copy) afterStep(c, next);
  if (opcode(c, i) == 0x18) {
    if (!copy) store<u32>(c.offsets + (<usize>(i + 1) << 2), load<u32>(c.offsets + (<usize>i << 2)) | SECOND_SLOT);
  }
  return next;
}
