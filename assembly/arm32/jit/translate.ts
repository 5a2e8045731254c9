// eBPF -> ARM32 (A32) translator. Reference design: the Linux kernel's arch/arm/net/bpf_jit_32.c, plus what that
// JIT leaves to the interpreter (bpf-to-bpf calls, atomics) and a memory check on every access.
//
// Where each eBPF register lives (ARM low word, ARM high word; -1: in the register file at [r11 + 8 * n]): three
// of r0-r9 in the ARM pairs r4:r5, r6:r7, r8:r9, chosen per program (allocateRegisters: the most used, uses in
// loops counting 8 times per loop level, 64 at most; helper arguments that would have to be spilled before each
// helper call count against r1-r5), the others in memory; r10 (frame pointer, read-only, high word always 0)
// always in memory. Without loops the choice is the kernel JIT's: r0 (return value), r1 (context), r6
// (callee-saved, where clang keeps the context), unless the program uses others more. Where registers whose high
// words are mostly known to be zero save more, some keep their low word alone in one of r4-r9 (lowords.ts: up to
// six eBPF registers there, for the loops that are not versioned, which run in this code). A loop's unchecked copy
// makes its own choice (loopregs.ts): up to eight ARM registers (r4-r9, and r10 and ip when nothing in it is
// checked), one per register whose high word is zero there, two per other register, one per wide constant.
//
// Scratch: r0:r1 (first operand / destination when in memory), r2:r3 (second operand), r10:ip (the address of
// a memory access, low and high word, checked by the runtime), XR (ip; lr in a copy that keeps registers in
// r10 or ip), lr. r11 points at the state block, sp is the native stack (bpf-to-bpf return addresses and saved
// r6-r9). A register's two words in memory move with one LDRD / STRD where they go to or come from r0:r1 or
// r2:r3, and a register just stored is not loaded again by the next instruction of the block (pairWith, stored).
//
// Beyond the kernel JIT: the translator tracks which registers have a high word known to be zero (after ALU32
// results, zero-extending loads, small constants, and wherever the value widths of ranges.ts prove it), within
// basic blocks and across them (analyseHighWords), and there emits 32-bit operations only: comparisons,
// AND/OR/XOR, ADD/SUB/MUL/LSH whose result fits, MUL (one UMULL), RSH, division by constants, and no high-word
// writes that would store a zero again. fuse.ts emits some pairs of instructions as one; select.ts runs the code
// of a few ALU instructions a jump skips under the inverted condition instead (no branch). Counted loops are
// emitted twice (loops.ts, versioned.ts): a test on entry, then a copy without memory checks when it passes.
//
// This file sits on top of the translator (only index.ts imports it): basic blocks and subprograms, the register
// choice, the high-word analysis, the prologue, the loop over the instructions and the image's order (driver,
// runtime, maps, helpers, program, strings, map data). One instruction at a time is jit/step.ts, register access
// jit/regs.ts, the families alu.ts, jumps.ts, memory.ts, calls.ts and fuse.ts; all the state is in jit/context.ts.

import { IP, R0, R1, R11, R2, R3, R4, SP, ldr, movImm, movReg, str, subImm } from "../a32/encoder";
import {
  findLoops, finishLoops, loopAt, loopEnteredFrom, loopEntryTarget, setLoopBodyAt,
} from "../analysis/loops";
import { planFactLoops } from "../analysis/facts";
import { markFrameRanges } from "../analysis/frame-ranges";
import { liftInnerLoops } from "../analysis/nests";
import { emitHostlessHelpers, emitTailCallRuntime, noteHelpers } from "./calls";
import {
  Context, F_FUNC, F_JOINED, F_LEADER, F_PROG, F_TARGET, dstOf, fail, flagOf, immOf, offOf, opcode, operandRegs, srcOf, targetPos,
} from "./context";
import { resetCopies } from "./copies";
import { chooseLowWords } from "./lowords";
import { emitGroupCopy, emitGroupTest, findGroup } from "./groups";
import { noteChecks } from "./memory";
import { hi, lo, setHi, setLo } from "./regs";
import { afterInsn, emitInsn, emitStep, enterBlock, widthsAt } from "./step";
import { bodyStarts, emitRangeRoutine, emitVersioned } from "../versioned";
import {
  CALL_HELPER, CALL_LOCAL, CLS_JMP, CLS_JMP32, CLS_LD, JMP_CALL,
  JMP_EXIT, JMP_JA, MODE_IND, OP_CALLX, STACK_SIZE,
} from "../../isa";
import {
  ERR_LABEL, ERR_NONE, ERR_TARGET, SEC_DATA, SEC_HELPERS, SEC_MAPS, SEC_PROGRAM, SEC_RUNTIME, SEC_STRINGS,
} from "../../../targets/arm32/abi";
import { emitDriver } from "../../../targets/arm32/driver/main";
import { emitDriverStrings } from "../../../targets/arm32/driver/print";
import {
  L_CODE, L_DATA_INIT, L_ENTRY, L_EPILOGUE, L_EXIT_ZERO, L_PROGS, L_PROG_STARTS, L_STATE, L_TABLE, S_BUDGET,
  S_BUDGET_INIT, S_DEPTH, S_FAULT, S_HELPER_LR, S_REGIONS, S_REGS, S_SAVED_SP, S_STACK, S_TAIL_CALLS,
  stateBase,
} from "../../../targets/arm32/image";
import { noteMapFamilies } from "../../../targets/arm32/maps/common";
import { emitMapRuntime } from "../../../targets/arm32/maps/index";
import { forgetStackWindows, mayEndDeeper } from "../../../targets/arm32/runtime/rcache";
import { emitRuntime } from "../../../targets/arm32/runtime/routines";
import * as ranges from "../analysis/ranges";

const PREFERRED: u32 = (1 << 0) | (1 << 1) | (1 << 6); // allocateRegisters: ties go to these
const KNOWN_AT_ENTRY: u32 = 1 << 10; // r10, and nothing else, at a program's or subprogram's entry
const UNREACHED: u32 = 0xffffffff;

// ---------------------------------------------------------------------------------------------------------------
// Pass 0: basic blocks and subprograms

function mark(c: Context, i: i32, f: u8): bool {
  if (i < 0 || i >= c.count) return false;
  store<u8>(c.flags + <usize>i, flagOf(c, i) | f);
  return true;
}

function analyse(c: Context): bool {
  memory.fill(c.flags, 0, <usize>c.count);
  mark(c, 0, F_LEADER | F_FUNC | F_PROG | F_TARGET);
  for (let k = 0; k < c.progIds; k++) {
    const start = load<i32>(c.progTable + (<usize>k * 12));
    if (start >= 0 && !mark(c, start, F_LEADER | F_FUNC | F_PROG | F_TARGET)) return fail(c, ERR_TARGET, 0);
  }
  for (let i = 0; i < c.count; i++) {
    const op = opcode(c, i);
    const cls = op & 7;
    if (op == 0x18) { i++; continue; }
    if (cls != CLS_JMP && cls != CLS_JMP32) continue;
    const code = op & 0xf0;
    if (code == JMP_EXIT) { mark(c, i + 1, F_LEADER); continue; }
    if (code == JMP_CALL) {
      mark(c, i + 1, F_LEADER);
      if (op != <u32>OP_CALLX && srcOf(c, i) == CALL_LOCAL && !mark(c, i + 1 + immOf(c, i), F_LEADER | F_FUNC | F_TARGET)) return fail(c, ERR_TARGET, i);
      continue;
    }
    const target = op == 0x06 ? i + 1 + immOf(c, i) : i + 1 + offOf(c, i);
    if (target >= 0 && target < c.count && (flagOf(c, target) & F_TARGET) != 0) mark(c, target, F_JOINED);
    if (!mark(c, target, F_LEADER | F_TARGET)) return fail(c, ERR_TARGET, i);
    mark(c, i + 1, F_LEADER);
    // a loop entered in its middle by the `ja` before the back edge's target: that `ja` is where its versioned
    // entry goes (loops.ts planRotated), a block of its own
    const into = target > 0 && opcode(c, target - 1) == 0x05 ? target + offOf(c, target - 1) : -1;
    if (target <= i && into > target && into <= i) mark(c, target - 1, F_LEADER | F_TARGET);
  }
  return true;
}

/**
 * Which high words are known to be zero at the start of each basic block: the meet (AND) over every way into
 * the block, iterated to a fixed point. A block's effect is found by translating it without writing anything,
 * so the knowledge used here is exactly what the emitters track. Runs in the measuring pass; the writing pass
 * reuses the states, so both passes emit the same sizes.
 */
function analyseHighWords(c: Context): void {
  for (let i = 0; i < c.count; i++) {
    store<u32>(c.states + (<usize>i << 2), UNREACHED);
    store<u8>(widthsAt(c, i), 0xff);
  }
  c.ranges.unknownState();
  for (let i = 0; i < c.count; i++) {
    if (flagOf(c, i) & F_FUNC) {
      store<u32>(c.states + (<usize>i << 2), KNOWN_AT_ENTRY);
      c.ranges.saveState(widthsAt(c, i));
    }
  }
  // The image's first instruction, entered only from the prologue (no tail calls, no bpf-to-bpf call to it):
  // every register's high word is 0 there (r1, r2: the input's address and length, the others zeroed).
  let entryOnly = c.progIds == 0;
  for (let i = 0; i < c.count && entryOnly; i++) {
    const op = opcode(c, i);
    if (op == 0x18) { i++; continue; }
    if ((op & 7) == CLS_JMP && (op & 0xf0) == JMP_CALL && op != <u32>OP_CALLX && srcOf(c, i) == CALL_LOCAL &&
      i + 1 + immOf(c, i) == 0) entryOnly = false;
  }
  if (entryOnly && c.count > 0) {
    store<u32>(c.states, 0x7ff);
    c.ranges.entryState();
    c.ranges.saveState(widthsAt(c, 0));
  }
  const start = c.pos;
  let changed = true;
  while (changed) {
    changed = false;
    for (let b = 0; b < c.count; b++) {
      if ((flagOf(c, b) & F_LEADER) == 0) continue;
      const entry = load<u32>(c.states + (<usize>b << 2));
      if (entry == UNREACHED) continue;
      enterBlock(c, b);
      c.blockStart = c.pos;
      let j = b;
      let last = b;
      let ok = true;
      do {
        last = j;
        c.insnStart = c.pos;
        c.forwardFrom = c.pos;
        c.insnIndex = j;
        if (!emitInsn(c, j, true)) { ok = false; break; }
        afterInsn(c, j);
        j += opcode(c, j) == 0x18 ? 2 : 1;
      } while (j < c.count && (flagOf(c, j) & F_LEADER) == 0);
      c.rewind(start);
      if (!ok) continue;
      const op = opcode(c, last);
      const cls = op & 7;
      const code = op & 0xf0;
      const jump = cls == CLS_JMP || cls == CLS_JMP32;
      if (jump && code == JMP_EXIT) continue;
      if (jump && code == JMP_CALL) {
        c.ranges.unknownState(); // a callee or helper may change any register
        changed = meet(c, last + 1, KNOWN_AT_ENTRY) || changed;
        continue;
      }
      if (jump && code == JMP_JA) {
        changed = meet(c, cls == CLS_JMP32 ? last + 1 + immOf(c, last) : last + 1 + offOf(c, last), c.hiZero) || changed;
        continue;
      }
      if (jump) {
        c.ranges.keep();
        c.ranges.refine(op, dstOf(c, last), srcOf(c, last), immOf(c, last), true);
        changed = meet(c, last + 1 + offOf(c, last), c.hiZero | c.ranges.highZeroMask()) || changed;
        c.ranges.restore();
        c.ranges.refine(op, dstOf(c, last), srcOf(c, last), immOf(c, last), false);
      }
      if (j < c.count) changed = meet(c, j, c.hiZero | c.ranges.highZeroMask()) || changed;
    }
  }
  c.ranges.unknownState();
  for (let i = 0; i < c.count; i++) {
    if (load<u32>(c.states + (<usize>i << 2)) == UNREACHED) {
      store<u32>(c.states + (<usize>i << 2), KNOWN_AT_ENTRY);
      c.ranges.saveState(widthsAt(c, i));
    }
  }
  c.errorCode = ERR_NONE;
}

/**
 * Chooses the eBPF registers kept in ARM registers (ARM_LO / ARM_HI) from static use counts weighted by loop depth
 * (a backward jump's range is a loop). Uses the state table as scratch: run before analyseHighWords fills it. Leaves
 * each instruction's weight in the offset table for lowords.ts, which may then keep some low words alone instead.
 */
function allocateRegisters(c: Context): void {
  for (let i = 0; i < c.count; i++) store<i32>(c.states + (<usize>i << 2), 0);
  for (let i = 0; i < c.count; i++) {
    const op = opcode(c, i);
    if (op == 0x18) { i++; continue; }
    const cls = op & 7;
    if (cls != CLS_JMP && cls != CLS_JMP32) continue;
    const code = op & 0xf0;
    if (code == JMP_EXIT || code == JMP_CALL) continue;
    const t = op == 0x06 ? i + 1 + immOf(c, i) : i + 1 + offOf(c, i);
    if (t < 0 || t > i) continue;
    store<i32>(c.states + (<usize>t << 2), load<i32>(c.states + (<usize>t << 2)) + 1);
    if (i + 1 < c.count) store<i32>(c.states + (<usize>(i + 1) << 2), load<i32>(c.states + (<usize>(i + 1) << 2)) - 1);
  }
  const score = c.score;
  for (let r = 0; r < 10; r++) unchecked(score[r] = 0);
  let depth: i32 = 0;
  for (let i = 0; i < c.count; i++) {
    depth += load<i32>(c.states + (<usize>i << 2));
    const w: i64 = <i64>1 << <i64>(3 * (depth < 2 ? depth : 2));
    store<u32>(c.offsets + (<usize>i << 2), <u32>w); // for chooseLowWords (the table is written after it)
    const op = opcode(c, i);
    const cls = op & 7;
    const s = srcOf(c, i);
    const named = operandRegs(c, i);
    for (let r = 0; r < 10; r++) {
      if ((named >> <u32>r) & 1) use(score, r, w);
      if ((named >> <u32>(16 + r)) & 1) use(score, r, w);
    }
    if (cls == CLS_JMP || cls == CLS_JMP32) {
      const code = op & 0xf0;
      if (code == JMP_EXIT) use(score, 0, w);
      else if (code == JMP_CALL) {
        use(score, 0, w);
        if (op == <u32>OP_CALLX || s == CALL_HELPER) for (let r = 1; r <= 5; r++) use(score, r, -w);
      }
    } else if (op == 0x18) i++;
    else if (cls == CLS_LD) {
      use(score, 0, w); // legacy packet loads: r0, and the index register
      if ((op & 0xe0) == MODE_IND) use(score, s, w);
    }
  }
  let chosen: u32 = 0;
  for (let k = 0; k < 3; k++) {
    let best = -1;
    for (let r = 0; r < 10; r++) {
      if (chosen & (<u32>1 << <u32>r)) continue;
      if (best < 0) { best = r; continue; }
      const a = unchecked(score[r]);
      const top = unchecked(score[best]);
      if (a > top || (a == top && (PREFERRED & (<u32>1 << <u32>r)) != 0 && (PREFERRED & (<u32>1 << <u32>best)) == 0)) best = r;
    }
    chosen |= <u32>1 << <u32>best;
  }
  let pair = R4;
  for (let r = 0; r <= 10; r++) {
    if (chosen & (<u32>1 << <u32>r)) {
      unchecked(c.armLo[r] = pair);
      unchecked(c.armHi[r] = pair + 1);
      pair += 2;
    } else {
      unchecked(c.armLo[r] = -1);
      unchecked(c.armHi[r] = -1);
    }
  }
}

function use(score: StaticArray<i64>, r: i32, w: i64): void {
  if (r < 10) unchecked(score[r] += w);
}

/** Joins what is known at the end of a block (hiZero `known`, the working widths) into block t's start. */
function meet(c: Context, t: i32, known: u32): bool {
  if (t < 0 || t >= c.count) return false;
  const grew = c.ranges.joinInto(widthsAt(c, t));
  const old = load<u32>(c.states + (<usize>t << 2));
  const now = old & known;
  if (now == old) return grew;
  store<u32>(c.states + (<usize>t << 2), now);
  return true;
}

// ---------------------------------------------------------------------------------------------------------------
// Entry and exit

function emitEntry(c: Context): void {
  c.insnStart = 0x7fffffff; // no LDRD / STRD pairs (pairWith) across the labels here
  c.forwardFrom = 0x7fffffff;
  // Unwinding target of every exit, fault and early stop: returns eBPF r0 in r0:r1 to the driver.
  c.label(L_EXIT_ZERO);
  c.emit(movImm(R0, 0));
  setLo(c, 0, R0);
  setHi(c, 0, R0);
  c.label(L_EPILOGUE);
  c.emit(ldr(SP, R11, S_SAVED_SP));
  c.insnStart = c.pos;
  const l = lo(c, 0, R0);
  const h = hi(c, 0, R1);
  if (l != R0) c.emit(movReg(R0, l));
  if (h != R1) c.emit(movReg(R1, h));
  c.routineEnd(0x4ff0); // r4-r11, lr into pc

  // entry(r0 = eBPF r1, r1 = eBPF r2): AAPCS, called by the driver.
  c.routine(L_ENTRY, 0x4ff0); // r4-r11, lr
  stateBase(c);
  c.emit(str(SP, R11, S_SAVED_SP));
  c.emit(movImm(R2, 0));
  for (let r = 0; r <= 10; r++) {
    // (a register may keep its low word alone in an ARM register: lowords.ts)
    if (unchecked(c.armLo[r]) >= 0) c.emit(movImm(unchecked(c.armLo[r]), 0));
    else c.emit(str(R2, R11, S_REGS + 8 * r));
    if (unchecked(c.armHi[r]) >= 0) c.emit(movImm(unchecked(c.armHi[r]), 0));
    else c.emit(str(R2, R11, S_REGS + 8 * r + 4));
  }
  c.emit(str(R2, R11, S_DEPTH));
  c.emit(str(R2, R11, S_FAULT));
  c.emit(str(R2, R11, S_HELPER_LR));
  if (c.progIds > 0) c.emit(str(R2, R11, S_TAIL_CALLS));
  // below, the stack region shrinks back to the entry frame (runtime/rcache.ts)
  if (mayEndDeeper(c)) forgetStackWindows(c, R3, IP);
  setLo(c, 1, R0);
  setLo(c, 2, R1);
  // region 0: the stack frames in use. As in the interpreter, frame k lies above frame k - 1: a callee may reach
  // its callers' frames below its own (pointers passed down), nothing above r10. The driver sets the others
  // (the input or context, the packet, the maps) before calling.
  c.addressOf(R3, L_STATE, S_STACK + STACK_SIZE);
  setLo(c, 10, R3);
  c.emit(str(R3, R11, S_REGIONS + 4));
  c.emit(str(R3, R11, S_REGIONS + 12));
  c.emit(subImm(R3, R3, STACK_SIZE));
  c.emit(str(R3, R11, S_REGIONS));
  c.emit(str(R3, R11, S_REGIONS + 8));
  c.emitConst(R3, c.budget);
  c.emit(str(R3, R11, S_BUDGET));
  c.emit(str(R3, R11, S_BUDGET_INIT));
}

/** Emit the prologue, every instruction and the instruction-offset table of the program in `c`. */
function emitProgram(c: Context): bool {
  c.errorCode = ERR_NONE;
  if (!analyse(c)) return false;
  if (c.measuring) {
    allocateRegisters(c);
    analyseHighWords(c);
    chooseLowWords(c, c.offsets);
  }
  emitEntry(c);
  c.label(L_CODE);
  findLoops(c, c.insns, c.count, c.flags, F_LEADER, F_FUNC | F_PROG);
  planFactLoops(c);
  finishLoops(c);
  liftInnerLoops(c);
  resetCopies(c);
  let inMain = true;
  for (let i = 0; i < c.count;) {
    const f = flagOf(c, i);
    if (f & F_PROG) inMain = true;
    else if (f & F_FUNC) inMain = false;
    store<u32>(c.offsets + (<usize>i << 2), <u32>(c.pos - c.at(L_CODE)));
    const k = loopAt(c, i);
    if (k >= 0) {
      // a counted loop: the test and its unchecked copy first (versioned.ts)
      if (!emitVersioned(c, k, inMain)) return false;
      bodyStarts(c, k);
    }
    // the first of a group of loads: one test for all (groups.ts), their unchecked copy after their ordinary code
    if (findGroup(c, i)) emitGroupTest(c, i);
    const from = i;
    i = emitStep(c, i, inMain);
    if (i < 0) return false;
    if (c.groupEnd >= 0 && i >= c.groupEnd && !emitGroupCopy(c, inMain)) return false;
    // a loop entered by a `ja` from outside it (analysis/loops.ts loopEntryJump): its test and copy after that
    // jump's code, which nothing falls through to, and which the jump goes to instead (copies.ts branchTo); a
    // failing test goes on where the jump went
    const e = loopEnteredFrom(c, from, i);
    if (e >= 0) {
      setLoopBodyAt(e, targetPos(c, loopEntryTarget(c, e)));
      if (!emitVersioned(c, e, inMain)) return false;
    }
  }
  c.b(L_EPILOGUE); // falling off the end (the validator refuses such programs)
  emitRangeRoutine(c);
  c.label(L_TABLE);
  for (let i = 0; i < c.count; i++) c.data(load<u32>(c.offsets + (<usize>i << 2)));
  if (c.progIds > 0) {
    // tail-call targets: the code address of each program id; where each program starts (fault reports)
    c.label(L_PROGS);
    for (let k = 0; k < c.progIds; k++) {
      const start = load<i32>(c.progTable + (<usize>k * 12));
      c.data(start < 0 ? 0 : c.imageBase + <u32>c.at(L_CODE) + load<u32>(c.offsets + (<usize>start << 2)));
    }
    c.label(L_PROG_STARTS);
    for (let i = 0; i < c.count; i++) {
      if ((flagOf(c, i) & F_PROG) == 0) continue;
      let name: u32 = 0;
      let length: u32 = 0;
      for (let k = 0; k < c.progIds; k++) {
        if (load<i32>(c.progTable + (<usize>k * 12)) != i) continue;
        name = load<u32>(c.progTable + (<usize>k * 12) + 4);
        length = load<u32>(c.progTable + (<usize>k * 12) + 8);
      }
      c.data(<u32>i);
      c.data(name);
      c.data(length);
    }
  }
  return true;
}

// ---------------------------------------------------------------------------------------------------------------
// The image

/** One pass over the image: driver, runtime routines, map routines, helpers, the program, strings, map data. */
function emitImage(c: Context, data: usize, nmaps: i32, dataLength: i32): bool {
  c.mapCount = nmaps;
  c.mapData = data;
  let starts = 1;
  for (let k = 0; k < c.progIds; k++) {
    const s = load<i32>(c.progTable + <usize>k * 12);
    if (s > 0) starts++;
  }
  c.programIds = c.progIds;
  c.programStarts = starts;
  noteMapFamilies(c, data, nmaps); // before the driver: its map printer and the helpers depend on the families
  emitDriver(c, c.options, nmaps, dataLength);
  // the frame's proven accesses, before noteChecks and every emitter read them (the same in every pass)
  if (c.measuring && analyse(c)) markFrameRanges(c);
  noteChecks(c, c.insns, c.count);
  emitRuntime(c, c.count, c.options);
  c.endSection(SEC_RUNTIME);
  if (nmaps > 0) emitMapRuntime(c, nmaps);
  if (c.progIds > 0) emitTailCallRuntime(c, nmaps);
  c.endSection(SEC_MAPS);
  noteHelpers(c, c.insns, c.count, c.options);
  emitHostlessHelpers(c);
  c.endSection(SEC_HELPERS);
  if (!emitProgram(c)) return false;
  c.endSection(SEC_PROGRAM);
  emitDriverStrings(c);
  c.endSection(SEC_STRINGS);
  c.label(L_DATA_INIT);
  for (let i = 0; i < dataLength; i++) c.emitByte(<u32>load<u8>(data + <usize>i));
  c.align4();
  c.endSection(SEC_DATA);
  // The state block starts on a page of its own, outside the file: code pages stay read-only and executable
  // (stores next to code would also make qemu retranslate the code on every write).
  c.labelAt(L_STATE, <i32>(((c.imageBase + <u32>c.pos + 4095) & ~4095) - c.imageBase));
  return true;
}

/** A label bound twice or the label table full: the translation fails (an error in the translator itself). */
function labelsOk(c: Context): bool {
  if (c.labelError < 0) return true;
  return fail(c, ERR_LABEL, c.labelError);
}

/**
 * One pass of the translation of the program in `c` (its fields set by index.ts) into an image loaded at
 * c.imageBase: the measuring pass (first, `out` unused), or the writing pass at `out`. False on an error
 * (c.errorCode, c.errorIndex).
 */
export function translatePass(c: Context, measure: bool, out: usize, data: usize, nmaps: i32, dataLength: i32): bool {
  if (measure) c.clearLabels();
  c.startPass(measure ? 0 : out, measure);
  return emitImage(c, data, nmaps, dataLength) && labelsOk(c);
}
