// If-conversion: a conditional jump forward over a few ALU instructions (clang -O2's selects, min / max,
// `if (c) n++`, `lo = mid + 1 else hi = mid`: eBPF has no conditional move) becomes the comparison alone, and the
// skipped instructions' code runs under the inverted condition (movhs, addne...), as gcc writes them for ARM: no
// branch, one instruction fewer where the code runs, none more where the jump was taken (one word skipped).
//
// Only where that code is the same whichever way it runs: the skipped instructions' code is emitted once as a dry
// run (a32/code.ts checkpoint, rollback) and taken when every word can carry a condition (no branch, nothing that
// reads or sets the flags, so the comparison's flags hold to the last word, code.ts conditionable) and there are
// at most MAX_WORDS of them. ALU instructions cannot fault. The skipped instructions start a block (the jump's
// fall-through) and the join is one (the jump's target), so what the emitters know there is already what holds
// on both paths: the high words and widths of the analysis (translate.ts analyseHighWords meets both ways in),
// nothing held in scratch registers (emitStep forgets at a leader; conditionFrom forgets too), and a loop copy's
// registers stay where its allocation put them (no rotation is skipped: swaps.ts moves words only in step with
// the code, no way out of the copy is in between: the join is in the innermost copy). Not in programs whose
// functions are entered through handles, which may name any instruction (mapvalue.ts enteredByHandle). With an
// instruction budget, the skipped block has no charge of its own: in a loop copy the blocks before the jump are
// charged with it, and the join gives it back where the jump was taken; in the ordinary code (one instruction)
// the join charges it where it ran (budget.ts).
//
// A jump over one unconditional jump alone (clang ends loops with `if (done) goto +1; goto head`) is converted the
// same way: the skipped jump's branch, one word, runs under the inverted condition (bne head where beq over b head
// was), so a trip runs one branch instead of two (skipsJump). Only without a budget (the skipped jump's charge
// would fall to a join it does not reach) and only where that branch is all its code (no moves out of a copy).
//
// After the join, a jump comparing the same registers as the converted one (clang tests a condition again after
// a select it guards) finds its flags still set where nothing in between writes them or enters the code
// (flagsHold): no comparison.

import { ALU_DIV, ALU_MOD, CLS_ALU, CLS_ALU64, CLS_JMP, CLS_JMP32, JMP_JA } from "../../isa";
import { ERR_NONE } from "../../../targets/arm32/abi";
import { loopLast } from "../analysis/loops";
import * as ranges from "../analysis/ranges";
import { Context, F_FUNC, F_JOINED, F_LEADER, F_PROG, F_TARGET, dstOf, flagOf, opcode } from "./context";
import { chargeSkipped, mayChargeSkipped, oweNothing, oweSkipped } from "./budget";
import { enteredByHandle } from "./mapvalue";
import { rotationLength } from "./shapes";

const MAX_SKIPPED = 3; // eBPF instructions (lddw's two slots count two)
const MAX_WORDS = 2; // their ARM words: each runs on both paths, against the branch it replaces

const widthsBefore = memory.data(ranges.STATE_BYTES);
const armBefore = memory.data(2 * 11 * 4);

/**
 * Whether jump i skips one unconditional jump alone (clang's loop ends, `if (done) goto +1; goto head`): its
 * branch then runs under the inverted condition, one conditional branch where two ran (one taken) or one. Not
 * with an instruction budget: where the skipped jump runs, the join it leaves is not reached to charge it.
 */
function skipsJump(c: Context, i: i32, t: i32): bool {
  if (t != i + 2 || c.budget != 0) return false;
  const op = opcode(c, i + 1);
  return (op & 0xf0) == JMP_JA && ((op & 7) == CLS_JMP || (op & 7) == CLS_JMP32);
}

/** Whether the instructions between jump i and its target t may be if-converted (before trying their code). */
function mayConvert(c: Context, i: i32, t: i32): bool {
  if (t <= i + 1 || t - i - 1 > MAX_SKIPPED || t >= c.count) return false;
  // with a budget, the skipped block charged elsewhere (budget.ts mayChargeSkipped); a group of loads pending or being copied ends at the join or after it (its copy
  // goes in after the step that reaches its end, and a copy's code ends there: groups.ts); no deferred byte or
  // high word (bytes.ts, owedhigh.ts); nothing converted already
  if ((c.budget != 0 && !mayChargeSkipped(c, i, t)) || (c.groupEnd >= 0 && c.groupEnd < t) || c.selectEnd >= 0) return false;
  // a function handle (callx, bpf_loop, for_each_map_elem) may name any instruction, a skipped one too
  if (enteredByHandle(c)) return false;
  if (c.byteMask != 0 || c.byteHiOwed != 0 || c.hiOwed >= 0) return false;
  if (c.depth > 0 && t > loopLast(unchecked(c.copyLoop[c.depth - 1]))) return false;
  for (let j = i + 1; j < t; j++) {
    const f = flagOf(c, j);
    if ((f & (F_TARGET | F_FUNC | F_PROG)) != 0 || (j > i + 1 && (f & F_LEADER) != 0)) return false;
    const op = opcode(c, j);
    if (op == 0x18) { j++; continue; }
    const cls = op & 7;
    if (skipsJump(c, i, t)) continue;
    if (cls != CLS_ALU && cls != CLS_ALU64) return false;
    if ((op & 0xf0) == ALU_DIV || (op & 0xf0) == ALU_MOD || rotationLength(c, j) > 0) return false;
  }
  return true;
}

/** step.ts emitStep, passed down (step.ts imports the instruction families, this among them). */
export type Step = (c: Context, i: i32, inMain: bool) => i32;

/**
 * At conditional jump i to t, its comparison emitted (flags for `cond`): whether the instructions it skips are
 * emitted next to run when `cond` does not hold (then no branch is to be emitted; finishSelect does the rest).
 */
export function selectOver(c: Context, i: i32, cond: u32, t: i32, emitStep: Step): bool {
  c.selectJump = -1;
  if (!mayConvert(c, i, t)) return false;
  // the dry run: what it changes, given back after
  const hiZero = c.hiZero, blockStart = c.blockStart, insnStart = c.insnStart, insnIndex = c.insnIndex;
  const forwardFrom = c.forwardFrom, hiKeep = c.hiKeep, addrOff = c.addrOff, addrAligned = c.addrAligned;
  const hiLate = c.hiLate; // (0: step.ts writes late high words before a jump)
  c.ranges.saveState(widthsBefore);
  memory.copy(armBefore, changetype<usize>(c.armLo), 44);
  memory.copy(armBefore + 44, changetype<usize>(c.armHi), 44);
  const charged = c.budget != 0;
  if (charged) oweSkipped(c, i, t);
  c.checkpoint();
  const from = c.pos;
  let j = i + 1;
  while (j >= 0 && j < t) j = emitStep(c, j, true);
  // with a budget, one word: the join's charge gives the skipped count back in a word more (budget.ts), so where
  // the jump is taken a conversion costs its words against the branch; where not, it saves a check and a branch
  const jump = skipsJump(c, i, t);
  const ok = j == t && (jump ? oneBranch(c, from) : c.watchOk) && c.pos - from <= 4 * (charged ? 1 : MAX_WORDS) &&
    c.errorCode == ERR_NONE &&
    c.byteMask == 0 && c.byteHiOwed == 0 && c.hiOwed < 0 && c.hiLate == 0 &&
    memory.compare(armBefore, changetype<usize>(c.armLo), 44) == 0 &&
    memory.compare(armBefore + 44, changetype<usize>(c.armHi), 44) == 0;
  c.rollback();
  c.errorCode = ERR_NONE;
  c.hiZero = hiZero;
  c.blockStart = blockStart;
  c.insnStart = insnStart;
  c.insnIndex = insnIndex;
  c.forwardFrom = forwardFrom;
  c.hiKeep = hiKeep;
  c.hiOwed = -1;
  c.hiLate = hiLate;
  c.addrOff = addrOff;
  c.addrAligned = addrAligned;
  c.byteMask = 0;
  c.byteHiOwed = 0;
  c.ranges.loadState(widthsBefore);
  memory.copy(changetype<usize>(c.armLo), armBefore, 44);
  memory.copy(changetype<usize>(c.armHi), armBefore + 44, 44);
  if (!ok) {
    if (charged) oweNothing(c);
    return false;
  }
  if (charged) chargeSkipped(c, i, cond, t);
  c.selectFrom = c.pos;
  c.selectEnd = t;
  c.selectCond = cond ^ 1;
  c.selectJump = i;
  c.selectBranch = jump;
  c.watching = true;
  c.watchOk = true;
  return true;
}

/** Whether the code from `from` on is one unconditional B (no link): a skipped jump's, with nothing to move first. */
function oneBranch(c: Context, from: i32): bool {
  return c.pos - from == 4 && (c.lastWord & 0xff000000) == 0xea000000;
}

/**
 * After the step that ended before `next`: at the join of a conversion, the skipped instructions' code made
 * conditional. Their code is what the dry run found (the same instructions from the same block start, watched
 * again); a difference would be the translator's own error, and stops it (a trap) rather than emit wrong code.
 */
export function finishSelect(c: Context, next: i32): void {
  if (c.selectEnd < 0 || next < c.selectEnd) return;
  c.selectEnd = -1;
  c.watching = false;
  if (!(c.selectBranch ? oneBranch(c, c.selectFrom) : c.watchOk) || c.pos - c.selectFrom > 4 * MAX_WORDS) {
    unreachable();
  }
  c.conditionFrom(c.selectFrom, c.selectCond);
  c.selectJoin = next;
}

/** What a 32-bit comparison of a jump compares (jumps.ts): TST or CMP, its first register, its second operand. */
export function compareKey(test: bool, dst: i32, x: bool, src: i32, imm: i32): u64 {
  return (<u64>(test ? 1 : 0) << 42) | (<u64>(x ? 1 : 0) << 41) | (<u64>dst << 37) | (x ? <u64>src << 32 : <u64><u32>imm);
}

/**
 * Whether jump j's 32-bit comparison `key` may be left out: the flags of the same comparison still hold (clang
 * tests a condition again after a select it guards: `if (a < b) hi = mid; lo += 1; if (a < b) goto`). That
 * comparison is jump i's (the last compared, context.ts cmpJump), converted, and j ends its join's block: the code between runs straight from it
 * (the join is entered from nowhere else: one jump lands there, and no copy resumes at an ALU instruction), writes
 * neither compared register (ALU instructions and lddw only) and leaves the flags (every word, code.ts keepsFlags).
 */
export function flagsHold(c: Context, i: i32, j: i32, key: u64): bool {
  const t = c.selectJoin;
  if (i < 0 || i != c.selectJump || key != c.cmpKey || j < t || t <= i) return false;
  if ((flagOf(c, t) & (F_FUNC | F_PROG | F_JOINED)) != 0) return false;
  for (let q = t + 1; q <= j; q++) if ((flagOf(c, q) & F_LEADER) != 0) return false;
  const dst = <i32>((key >> 37) & 15);
  const src = (key & (<u64>1 << 41)) != 0 ? <i32>((key >> 32) & 15) : -1;
  for (let q = i + 1; q < j; q++) {
    const op = opcode(c, q);
    const cls = op & 7;
    if (cls != CLS_ALU && cls != CLS_ALU64 && op != 0x18) return false;
    const d = dstOf(c, q);
    if (d == dst || d == src) return false;
    if (op == 0x18) q++;
  }
  return c.flagsKeptSince(c.cmpEnd);
}
