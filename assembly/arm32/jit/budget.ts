// The instruction budget: what each basic block charges when code enters it. The ordinary code charges its block
// and, when the budget cannot cover it, calls L_BUDGET_FAULT (targets/arm32/runtime/routines.ts), which finds the
// exact instruction the budget runs out at. A loop's copy (versioned.ts) charges the same but, when it runs out,
// goes back to the ordinary code of the block, which charges again and faults there.
//
// In a copy, the budget is charged a chain of blocks at a time: a block that can only be entered by falling through
// from the one before it, which leaves the copy where it does not fall through, is charged with that block. One
// check per trip of a loop like `for (...) { if (a[i] > x) break; ...; }` instead of one per block: in a loop copy,
// four instructions (load, subtract, branch, store) per block are as much as the body's own work. What was charged
// for blocks a way out of the copy skips is given back on that way out (copies.ts leave(): c.owed), so the budget
// left is exact wherever the copy goes back to the ordinary code; and a chain the budget cannot cover goes back
// before any of it ran, so the ordinary code faults at the same instruction as without chains.

import { IP, LO, LR, OP_SUB, R0, R1, R11, immRot, ldr, opImmS, opRegS, str } from "../a32/encoder";
import { JMP_JA } from "../../isa";
import { L_BUDGET_FAULT, S_BUDGET } from "../../../targets/arm32/image";
import { Context, F_LEADER, flagOf, opcode } from "./context";
import { leave, resumePos } from "./copies";
import { loopHead, loopLast, targetOf } from "../analysis/loops";

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
  const len = blockLength(c, i);
  if (!copy) {
    c.emit(ldr(IP, R11, S_BUDGET));
    if (immRot(len) >= 0) c.emit(opImmS(OP_SUB, IP, IP, immRot(len)));
    else {
      c.emitConst(LR, len);
      c.emit(opRegS(OP_SUB, IP, IP, LR));
    }
    c.call(LO, L_BUDGET_FAULT);
    c.emit(str(IP, R11, S_BUDGET));
    return;
  }
  if (c.owed > 0 && i == c.chainNext) {
    // charged with the blocks before it
    c.owed -= len;
    c.chainNext = c.owed > 0 ? blockEnd(c, i) : -1;
    return;
  }
  c.owed = 0;
  let total = len;
  if (c.depth > 0 && !c.grouping) {
    const outer = unchecked(c.copyLoop[0]);
    total = chainLength(c, i, loopLast(unchecked(c.copyLoop[c.depth - 1])), loopHead(outer), loopLast(outer));
  }
  copyBudget(c, i, total); // before anything is owed: running out gives nothing back
  c.owed = total - len;
  c.chainNext = c.owed > 0 ? blockEnd(c, i) : -1;
}

/** A copy's budget check at the block starting at i (`len` instructions): resumes there when it runs out. */
function copyBudget(c: Context, i: i32, len: u32): void {
  c.emit(ldr(R0, R11, S_BUDGET));
  if (immRot(len) >= 0) c.emit(opImmS(OP_SUB, R0, R0, immRot(len)));
  else {
    c.emitConst(R1, len);
    c.emit(opRegS(OP_SUB, R0, R0, R1));
  }
  leave(c, LO, resumePos(c, i), i);
  c.emit(str(R0, R11, S_BUDGET));
}
