// The instruction budget: what each basic block charges when code enters it. The ordinary code charges its block
// in segments (segments.ts): at its start, up to and including the first instruction that may end the run (a
// checked access, which may fault), then after each such one up to the next; when the budget cannot cover a
// segment, it calls L_BUDGET_FAULT (targets/arm32/runtime/routines.ts), which finds the exact instruction the budget
// runs out at. So an access before that instruction has run, and faulted where it faults, and the stores before
// it were made, as in the interpreter and Wasm. A loop's copy (versioned.ts) charges whole blocks but, when the
// budget cannot cover one, goes back to the ordinary code of the block, which charges segment by segment and
// faults there; where a copy goes back in the middle of a block (a checked access's miss), it first gives back
// what the ordinary code charges again from there (copies.ts leave()). A group's copy (groups.ts) entered in the
// middle of a block charges the segments its test skipped (chargeGroupEntry).
//
// In a copy, the budget is charged a chain of blocks at a time: a block that can only be entered by falling through
// from the one before it, which leaves the copy where it does not fall through, is charged with that block. One
// check per trip of a loop like `for (...) { if (a[i] > x) break; ...; }` instead of one per block: in a loop copy,
// four instructions (load, subtract, branch, store) per block are as much as the body's own work. What was charged
// for blocks a way out of the copy skips is given back on that way out (copies.ts leave(): c.owed), so the budget
// left is exact wherever the copy goes back to the ordinary code; and a chain the budget cannot cover goes back
// before any of it ran, so the ordinary code faults at the same instruction as without chains.
//
// A jump a loop copy if-converts (select.ts) does not end a chain: the skipped block, whose code runs under a
// condition, is charged with it (its SUBS and its ways out's give-backs patched to count it), and so is the join,
// entered only from the jump and that block, where the skipped block is given back under the jump's condition
// with the comparison's flags still set (LDR, ADDcc, STR: the flags stay for a jump that compares the same). A
// byte loop's branches per byte, one check a trip. In the ordinary code, whose checks fault where they run out, a
// conversion over one instruction charges it at the join where it ran, and a budget that cannot cover it faults
// as if its own check had (joinCharge).

import {
  AL, HS, IP, LO, LR, OP_ADD, OP_SUB, PC, R0, R1, R11, dpImm, immRot, ldr, opImm, opImmS, opReg, opRegS, str,
} from "../a32/encoder";
import { CLS_LDX, JMP_JA } from "../../isa";
import { L_BUDGET_FAULT, S_BUDGET } from "../../../targets/arm32/image";
import { Context, F_FUNC, F_JOINED, F_LEADER, F_PROG, flagOf, opcode } from "./context";
import { inCopy, inLoopCopy, leave, resumePos } from "./copies";
import { copyCharge, segmentLength } from "./segments";
import { loopAt, loopHead, loopLast, targetOf } from "../analysis/loops";

/** Instructions in the basic block starting at leader i (lddw counts once). */
function blockLength(c: Context, i: i32): u32 {
  let n: u32 = 0;
  let j = i;
  do {
    n++;
    j += opcode(c, j) == 0x18 ? 2 : 1;
  } while (j < c.count && (flagOf(c, j) & F_LEADER) == 0);
  return n;
}

/** The instruction after the basic block starting at leader i. */
function blockEnd(c: Context, i: i32): i32 {
  let j = i;
  do j += opcode(c, j) == 0x18 ? 2 : 1;
  while (j < c.count && (flagOf(c, j) & F_LEADER) == 0);
  return j;
}

/** The last instruction of the block ending before instruction `end`. */
function lastOf(c: Context, start: i32, end: i32): i32 {
  let last = start;
  for (let j = start; j < end; j += opcode(c, j) == 0x18 ? 2 : 1) last = j;
  return last;
}

/** Whether any jump in the program lands on instruction t. */
function jumpedTo(c: Context, t: i32): bool {
  for (let j = 0; j < c.count; j += opcode(c, j) == 0x18 ? 2 : 1) if (targetOf(c, j) == t) return true;
  return false;
}

/**
 * Instructions in the chain of blocks starting at leader i in the copy of the loop ending at l: each next block only
 * falls through from the one before, which ends in a conditional jump out of the outermost copy, outerHead..outerLast
 * (not ja, a call or an exit: those end the chain, as its last block). Not a jump to another block of an outer copy:
 * an inner loop's early exit is taken once per trip of the loop around it (in a search, after one or two inner
 * trips), and giving back there would cost more than the chain saves.
 */
function chainLength(c: Context, i: i32, l: i32, outerHead: i32, outerLast: i32): u32 {
  let total = blockLength(c, i);
  let b = i;
  for (;;) {
    const next = blockEnd(c, b);
    if (next > l) break;
    const last = lastOf(c, b, next);
    const t = targetOf(c, last);
    if (t < 0 || (opcode(c, last) & 0xf0) == JMP_JA || t >= outerHead && t <= outerLast || jumpedTo(c, next)) break;
    total += blockLength(c, next);
    b = next;
  }
  return total;
}

/** The budget charge at leader i (c.budget != 0), in the ordinary code or in a copy. */
export function chargeBlock(c: Context, i: i32, copy: bool): void {
  // the ordinary code: up to the block's first instruction that may end the run (segments.ts); a copy: the block
  // (a group's: up to where the ordinary code after it charges)
  const len = copy ? copyCharge(c, i) : segmentLength(c, i);
  if (c.owed > 0 && i == c.chainNext && (copy || c.backJoin > i)) {
    // charged with the blocks before it, or (the ordinary code) at the join of the conversion that skips it
    c.owed -= len;
    c.chainNext = c.owed > 0 ? blockEnd(c, i) : -1;
    return;
  }
  if (!copy) {
    if (i == c.backJoin) {
      joinCharge(c, len);
      return;
    }
    ordinaryCharge(c, len);
    return;
  }
  c.owed = 0;
  let total = len;
  if (c.depth > 0 && !c.grouping) {
    const outer = unchecked(c.copyLoop[0]);
    total = chainLength(c, i, loopLast(unchecked(c.copyLoop[c.depth - 1])), loopHead(outer), loopLast(outer));
  }
  if (i == c.backJoin && c.chargeAt >= 0 && mayExtend(c, total)) {
    // the join of a conversion, entered only from its jump and the skipped block: the chain before it goes on
    // through it (the skipped block given back where the jump was taken), no check of its own; the flags, the
    // comparison's still, stay so for a jump after the join that compares the same (select.ts flagsHold)
    c.backJoin = -1;
    if (!c.flagsKeptSince(c.selectFrom)) unreachable();
    extendCharge(c, total);
    c.emit(ldr(R0, R11, S_BUDGET));
    c.emit(dpImm(c.backCond, OP_ADD, 0, R0, R0, immRot(c.backLen)));
    c.emit(str(R0, R11, S_BUDGET));
  } else copyBudget(c, i, total); // before anything is owed: running out gives nothing back
  c.owed = total - len;
  c.chainNext = c.owed > 0 ? blockEnd(c, i) : -1;
}

/**
 * The ordinary code's charge of `len` instructions: L_BUDGET_FAULT, when the budget cannot cover them, finds the
 * instruction it runs out at from lr, in the code of the charge's first instruction.
 */
function ordinaryCharge(c: Context, len: u32): void {
  c.emit(ldr(IP, R11, S_BUDGET));
  if (immRot(len) >= 0) c.emit(opImmS(OP_SUB, IP, IP, immRot(len)));
  else {
    c.emitConst(LR, len);
    c.emit(opRegS(OP_SUB, IP, IP, LR));
  }
  c.call(LO, L_BUDGET_FAULT);
  c.emit(str(IP, R11, S_BUDGET));
}

/**
 * The ordinary code's charge at instruction i in the middle of a block, after one that may end the run
 * (segments.ts chargePoint): its segment, up to the next. Uses ip and lr, and sets the flags, as a block's does;
 * the one before it, an access, leaves nothing in them for i.
 */
export function chargeSegment(c: Context, i: i32): void {
  ordinaryCharge(c, segmentLength(c, i));
}

/**
 * A group's copy (groups.ts) entered at its first load `first` in the middle of a block: the test before it
 * skipped the ordinary code's charges from there on, which the copy makes (segments.ts copyCharge), going back to
 * the ordinary code after the test, which charges them one by one, when the budget cannot cover them.
 */
export function chargeGroupEntry(c: Context, first: i32): void {
  if (flagOf(c, first) & F_LEADER) return; // the block's charge, in the copy's first step
  const len = copyCharge(c, first);
  if (len > 0) copyBudget(c, first, len);
}

/**
 * The ordinary code's charge at the join of a conversion over one instruction (chargeSkipped): that instruction
 * too, given back where the jump was taken (ADDcc, the comparison's flags still set). When the budget cannot cover
 * it, L_BUDGET_FAULT counts from the skipped instruction, as if the check were there: the budget left before it
 * (one more where it did not run), with lr in its code. It may have run under its condition: an ALU instruction,
 * nothing a budget fault shows.
 */
function joinCharge(c: Context, len: u32): void {
  const back = c.backLen;
  const total = len + back;
  c.backJoin = -1;
  if (!c.flagsKeptSince(c.selectFrom)) unreachable();
  c.emit(ldr(IP, R11, S_BUDGET));
  c.emit(dpImm(c.backCond, OP_ADD, 0, IP, IP, immRot(back)));
  const imm = immRot(total) >= 0;
  if (imm) c.emit(opImmS(OP_SUB, IP, IP, immRot(total)));
  else {
    c.emitConst(LR, total);
    c.emit(opRegS(OP_SUB, IP, IP, LR));
  }
  const over = c.forwardBranch();
  c.emit(imm ? opImm(OP_ADD, IP, IP, immRot(total)) : opReg(OP_ADD, IP, IP, LR));
  c.emit(str(IP, R11, S_BUDGET));
  c.emit(opImm(OP_SUB, LR, PC, immRot(<u32>(c.pos + 8 - (c.selectFrom + 4)))));
  c.b(L_BUDGET_FAULT);
  c.patchBranch(over, HS);
  c.emit(str(IP, R11, S_BUDGET));
}

/** A copy's budget check at the block starting at i (`len` instructions): resumes there when it runs out. */
function copyBudget(c: Context, i: i32, len: u32): void {
  const back = i == c.backJoin ? c.backLen : 0;
  c.backJoin = -1;
  c.emit(ldr(R0, R11, S_BUDGET));
  if (back > 0) {
    // the join of a conversion (select.ts) whose skipped block the chain before it charged: given back where the
    // jump was taken, under the comparison's flags, which nothing since has set (the skipped code keeps them)
    if (!c.flagsKeptSince(c.selectFrom)) unreachable();
    c.emit(dpImm(c.backCond, OP_ADD, 0, R0, R0, immRot(back)));
  }
  let at = -1;
  if (back == 0 || immRot(len) < 0) {
    // what the ordinary code finds when the budget runs out here: the budget before this block
    if (back > 0) c.emit(withCondition(str(R0, R11, S_BUDGET), c.backCond));
    if (immRot(len) >= 0) {
      at = c.pos;
      c.emit(opImmS(OP_SUB, R0, R0, immRot(len)));
    } else {
      c.emitConst(R1, len);
      c.emit(opRegS(OP_SUB, R0, R0, R1));
    }
    leave(c, LO, resumePos(c, i), i);
    c.emit(str(R0, R11, S_BUDGET));
  } else {
    // the budget before this block (the skipped one given back) kept in r0 for the ordinary code when it runs out
    at = c.pos;
    c.emit(opImmS(OP_SUB, R1, R0, immRot(len)));
    const over = c.forwardBranch();
    c.emit(str(R0, R11, S_BUDGET));
    leave(c, AL, resumePos(c, i), i);
    c.patchBranch(over, HS);
    c.emit(str(R1, R11, S_BUDGET));
  }
  if (inLoopCopy(c) && at >= 0) {
    c.chargeAt = at;
    c.chargeTotal = len;
    c.givenBacks = 0;
  }
}

/** The word at code position `at` with its 12-bit immediate operand (immRot) now encoding v. */
function patchImmediate(c: Context, at: i32, v: u32): void {
  if (c.measuring) return;
  const p = c.out + <usize>at;
  store<u32>(p, (load<u32>(p) & ~0xfff) | <u32>immRot(v));
}

@inline function withCondition(w: u32, cond: u32): u32 { return (w & 0x0fffffff) | (cond << 28); }

/** Instructions from i + 1 up to t (lddw counts once): what a forward jump at i over them skips. */
function skippedLength(c: Context, i: i32, t: i32): u32 {
  let n: u32 = 0;
  for (let j = i + 1; j < t; j += opcode(c, j) == 0x18 ? 2 : 1) n++;
  return n;
}

/**
 * Whether the block a conversion at jump i would run under a condition (i + 1 up to the join t, select.ts) may be
 * charged elsewhere: in a loop copy, with the chain that ends at i (its ways out since each give back more, the
 * immediates still encodable); in the ordinary code, at the join. Either way, the join entered only from the jump or the
 * skipped block (its charge reads the comparison's flags: no other jump lands there, it is no loop's head, whose
 * test would set them first).
 */
export function mayChargeSkipped(c: Context, i: i32, t: i32): bool {
  if ((flagOf(c, t) & (F_JOINED | F_FUNC | F_PROG)) != 0 || loopAt(c, t) >= 0) return false;
  // the ordinary code: one instruction, whose code L_BUDGET_FAULT can tell from the join's (joinCharge); not
  // where a copy may resume (in a loop, or where one falls out of it) or a group's copy may go, nor at a load,
  // where a group's test may start before the join's charge (groups.ts)
  if (!inCopy(c)) {
    return t == i + 2 && opcode(c, i + 1) != 0x18 && !inLoopRange(c, t) && c.groupEnd < 0 &&
      (opcode(c, t) & 7) != CLS_LDX;
  }
  return inLoopCopy(c) && c.chargeAt >= 0 && c.owed == 0 && mayExtend(c, skippedLength(c, i, t));
}

/** Whether the chain's charge (c.chargeAt) and its ways out's give-backs may count n instructions more. */
function mayExtend(c: Context, n: u32): bool {
  for (let k = 0; k < c.givenBacks; k++) if (immRot(unchecked(c.givenBackLen[k]) + n) < 0) return false;
  return immRot(c.chargeTotal + n) >= 0;
}

/** The chain's charge and its ways out's give-backs patched to count n instructions more (mayExtend). */
function extendCharge(c: Context, n: u32): void {
  c.chargeTotal += n;
  patchImmediate(c, c.chargeAt, c.chargeTotal);
  for (let k = 0; k < c.givenBacks; k++) {
    unchecked(c.givenBackLen[k] += n);
    patchImmediate(c, unchecked(c.givenBackAt[k]), unchecked(c.givenBackLen[k]));
  }
}

/** Whether a loop's copy may resume at (or fall out of it to) instruction t's ordinary code. */
function inLoopRange(c: Context, t: i32): bool {
  for (let k = 0; k < c.loops; k++) if (t >= loopHead(k) && t <= loopLast(k) + 1) return true;
  return false;
}

/** The skipped block charged elsewhere (mayChargeSkipped): chargeBlock finds it owed, until the join. */
export function oweSkipped(c: Context, i: i32, t: i32): void {
  c.owed = skippedLength(c, i, t);
  c.chainNext = i + 1;
  c.backJoin = t;
}

/** A conversion given up after all (its code's dry run, select.ts): nothing owed. */
export function oweNothing(c: Context): void {
  c.owed = 0;
  c.chainNext = -1;
  c.backJoin = -1;
}

/**
 * Jump i to t converted (its condition `cond`: taken, the block skipped): the skipped block's code runs under the
 * inverted condition with no charge of its own. In a loop copy, the chain's charge takes it on, and the join's
 * charge gives it back where the jump was taken; a budget that covers the chain but not the skipped block goes
 * back to the ordinary code before any of it ran, which charges block by block and faults at the same
 * instruction. In the ordinary code, the join's charge counts it where it ran (joinCharge).
 */
export function chargeSkipped(c: Context, i: i32, cond: u32, t: i32): void {
  const len = skippedLength(c, i, t);
  if (inLoopCopy(c)) extendCharge(c, len);
  oweSkipped(c, i, t);
  c.backLen = len;
  c.backCond = cond;
}
