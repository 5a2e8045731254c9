// A 64-bit rotation by 32 in place (`x = x << 32 | x >> 32`: SipHash's rotl64(v, 32)) swaps a value's two words.
// In the outermost loop copy, where both words are in ARM registers, rotate.ts swaps their places in the register
// table instead (swapWords): no code, where the words would otherwise move through a scratch register (three MOVs).
//
// Code that may be entered or jumped to assumes the copy's own allocation (loopregs.ts), so versioned.ts calls
// settleSwaps before each of the copy's steps: before a leader, a step that may hold a jump and the copy's end,
// every swapped register goes back to its places, by three EORs only where its value may still be read
// (liveness.ts); elsewhere a swapped register whose value is dead goes back for free (its next write lands in place),
// but for a high word the emitters know to be 0 (they skip writing a zero high word they know of).
// A way out of the copy needs nothing more: exitMoves (loopregs.ts) stores the words from where the table says.

import { OP_EOR, movImm, opReg } from "../a32/encoder";
import { loopLast } from "../analysis/loops";
import { CLS_JMP, CLS_JMP32 } from "../../isa";
import { Context, F_LEADER, dstOf, flagOf, opcode, srcOf } from "./context";
import { fusedLength } from "./fuse";
import { liveAt } from "./liveness";
import { known0, writeLate } from "./regs";
import { rotationLength } from "./shapes";

const REGS = 10; // r0-r9 (r10 is never written)

let loop = -1; // the outermost copy's loop
let swapped: u32 = 0; // registers whose words are in each other's places

/** On entry to the outermost copy of loop k (after loopregs.ts enterLocal): nothing swapped. */
export function startSwaps(k: i32): void {
  loop = k;
  swapped = 0;
}

/**
 * Rotation by 32 of rn in place, in the outermost copy, as a swap of its words' places in the table; false (nothing
 * done) where its words are not both in ARM registers, or are owed by a byte-assembled word (bytes.ts) or in r1
 * (owedhigh.ts), or its zero high word is not written yet (latehigh.ts).
 */
export function swapWords(c: Context, r: i32): bool {
  if (!c.local || c.depth != 1 || c.grouping || r >= REGS) return false;
  if (unchecked(c.armLo[r]) < 0 || unchecked(c.armHi[r]) < 0 || c.hiOwed == r) return false;
  if (((c.byteMask | c.byteHiOwed | c.hiLate) >> <u32>r) & 1) return false;
  const l = unchecked(c.armLo[r]);
  unchecked(c.armLo[r] = c.armHi[r]);
  unchecked(c.armHi[r] = l);
  swapped ^= <u32>1 << <u32>r;
  c.hiZero &= ~(<u32>1 << <u32>r); // its high word is its low word now (the widths after the rotation tell)
  return true;
}

/** Before the outermost copy's step at instruction i, or at its end (i past the loop): swapped words back. */
export function settleSwaps(c: Context, i: i32): void {
  if (swapped == 0) return;
  const all = boundary(c, i);
  for (let r = 0; r < REGS; r++) {
    if (((swapped >> <u32>r) & 1) == 0) continue;
    writeLate(c, r); // (latehigh.ts) its zero high word where the table says, before the table changes
    const live = liveAt(c, i, r);
    if (live && !all) continue;
    const l = unchecked(c.armLo[r]), h = unchecked(c.armHi[r]);
    if (live) {
      // three EORs: no scratch register (one holding 0, code.ts holdsZero, keeps it for a zero store after)
      c.emit(opReg(OP_EOR, l, l, h));
      c.emit(opReg(OP_EOR, h, l, h));
      c.emit(opReg(OP_EOR, l, l, h));
    } else if (known0(c, r)) c.emit(movImm(l, 0)); // what the emitters know of its high word stays true
    unchecked(c.armLo[r] = h);
    unchecked(c.armHi[r] = l);
    swapped &= ~(<u32>1 << <u32>r);
  }
}

/** Whether the table must be the copy's allocation at the step at i: a leader, the copy's end, a jump in the step. */
function boundary(c: Context, i: i32): bool {
  const l = loopLast(loop);
  if (i > l || (flagOf(c, i) & F_LEADER) != 0) return true;
  const end = min(stepEnd(c, i), l + 1);
  for (let j = i; j < end; j++) {
    const op = opcode(c, j);
    const cls = op & 7;
    if ((cls == CLS_JMP || cls == CLS_JMP32) && (op & 0xf0) != 0x80 && (op & 0xf0) != 0x90) return true;
  }
  return false;
}

/**
 * The end of the instructions the step at i may take (step.ts emitStep), at most: a rotation (rotate.ts), a fused
 * group (fuse.ts), lddw's two slots, a word's last byte loaded through its base with its shift and or (bytes.ts).
 */
function stepEnd(c: Context, i: i32): i32 {
  const op = opcode(c, i);
  let n = op == 0x18 ? 2 : 1;
  if (op == 0x71 && dstOf(c, i) == srcOf(c, i)) n = 3;
  return i + max(n, max(rotationLength(c, i), fusedLength(c, i)));
}
