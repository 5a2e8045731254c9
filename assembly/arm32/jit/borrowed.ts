// Scratch registers a loop copy may keep eBPF registers in. The emitters take r0-r3 as scratch wherever they need
// one; a copy whose code names one of them nowhere (a loop whose registers all live in ARM registers, with no call,
// check or budget) has it free across the copy, and loopregs.ts may give it to one more eBPF register (dot16's
// 64-bit sum, wc's line count: a load and a store a trip each in the register file otherwise).
//
// Which ones a copy leaves alone is found by emitting it (versioned.ts, in the measuring pass only: its decision
// holds for the pass that writes the image): once with none borrowed, which tells the scratch registers its words
// may use (a32/writes.ts mentionedBy; a call uses all), then again with those it leaves alone given to registers,
// keeping every register and constant the emission before kept in an ARM register (none moves to the register
// file, whose loads would go through scratch registers), up to a few times while each leaves more alone. Each such
// emission is checked: an instruction's code may use a borrowed register only where that register holds a word of
// an eBPF register the instruction names (or a loop inside it, the rest of a fused group, or the instructions a
// forward jump skips), and write it only where it may write that register; the moves to and from the register file
// on the copy's ways out are not counted (loopregs.ts exitMoves). Where the check fails, the copy is emitted again
// with what the last emission that passed borrowed (or none).

import { MAX_LOOPS } from "../analysis/loops";
import { Context, dstOf, offOf, opcode, operandRegs, srcOf } from "./context";
import { CLS_ALU, CLS_ALU64, CLS_JMP, CLS_JMP32, CLS_LD, CLS_LDX, CLS_STX } from "../../isa";

/** The scratch registers a copy may borrow: r0-r3 (lr is the emitters' fifth scratch register in a copy). */
export const SCRATCH: u32 = 0xf;

const borrowed = new StaticArray<u32>(MAX_LOOPS); // per loop: the scratch registers its outermost copy keeps registers in
const lastChosen = new StaticArray<u32>(MAX_LOOPS); // ... the candidates (loopregs.ts) its last emission chose
let current: u32 = 0; // the copy being emitted: its borrowed registers
let bodyTouched: u32 = 0; // ... the registers its body's words name, so far
let clashed = false; // ... a borrowed register named by code not entitled to it

/** The scratch registers loop k's outermost copy keeps eBPF registers in. */
export function borrowedBy(k: i32): u32 { return unchecked(borrowed[k]); }

/**
 * The candidates (loopregs.ts: registers, then constants) loop k's last emitted copy kept in ARM registers. An
 * emission borrowing scratch registers keeps them all, and may add others: a register kept in the register file
 * where the emission before kept it in an ARM register would be loaded into a scratch register that emission left
 * alone, perhaps one now borrowed.
 */
export function chosenBefore(k: i32): u32 { return unchecked(lastChosen[k]); }
export function noteChosen(k: i32, chosen: u32): void { unchecked(lastChosen[k] = chosen); }

/** Set by the measuring pass (versioned.ts) before each emission of loop k's copy. */
export function setBorrowed(k: i32, regs: u32): void { unchecked(borrowed[k] = regs); }

/** After the moves into the copy of loop k (loopregs.ts enterLocal): its body starts. */
export function startBody(c: Context, k: i32): void {
  current = unchecked(borrowed[k]);
  bodyTouched = 0;
  clashed = false;
  c.touched = 0;
}

/** Before the code of the copy's instructions from..to-1 (a fused group, an inner loop, an exit path's block). */
export function startStep(c: Context): void {
  bodyTouched |= c.touched;
  c.touched = 0;
  c.wrote = 0;
}

/** After that code: whether it named a borrowed register it was not entitled to (see the header). */
export function endStep(c: Context, from: i32, to: i32): void {
  const named = c.touched;
  bodyTouched |= named;
  c.touched = 0;
  if (((named | c.wrote) & current) == 0) return;
  let regs: u32 = 0;
  let written: u32 = 0;
  // (a forward jump's code may run the instructions it skips under a condition, jit/select.ts: theirs too)
  let end = to;
  for (let i = from; i < end; i++) {
    const op = opcode(c, i);
    const jump = (op & 7) == CLS_JMP || (op & 7) == CLS_JMP32;
    if (jump && (op & 0xf0) != 0x80 && (op & 0xf0) != 0x90 && offOf(c, i) > 0) end = min(c.count, max(end, i + 1 + offOf(c, i)));
  }
  for (let i = from; i < end; i++) {
    regs |= operandRegs(c, i);
    // the registers an instruction may write: an ALU operation's, a load's or lddw's destination, an atomic
    // operation's source too
    const cls = opcode(c, i) & 7;
    if (cls == CLS_ALU || cls == CLS_ALU64 || cls == CLS_LDX || cls == CLS_LD) written |= <u32>1 << <u32>dstOf(c, i);
    if (cls == CLS_STX) written |= <u32>1 << <u32>srcOf(c, i);
  }
  regs |= regs >> 16;
  // a borrowed register may be named only as the home of a word of a register the code names, and written only as
  // that of a register it may write
  if ((named & current & ~homes(c, regs)) != 0 || (c.wrote & current & ~homes(c, written)) != 0) clashed = true;
}

/** The ARM registers holding words of the eBPF registers in `regs` (bit n: rn). */
function homes(c: Context, regs: u32): u32 {
  let arm: u32 = 0;
  for (let r = 0; r < 11; r++) {
    if (((regs >> <u32>r) & 1) == 0) continue;
    if (unchecked(c.armLo[r]) >= 0) arm |= <u32>1 << <u32>unchecked(c.armLo[r]);
    if (unchecked(c.armHi[r]) >= 0) arm |= <u32>1 << <u32>unchecked(c.armHi[r]);
  }
  return arm;
}

/** After the copy's last way out (loopregs.ts leaveLocal): its body ends. */
export function endBody(c: Context): void {
  bodyTouched |= c.touched;
  c.touched = 0;
}

/**
 * After the copy: the scratch registers its body named nowhere but as the homes of eBPF registers it borrowed them
 * for (the emission was checked: borrowClashed).
 */
export function spareScratch(): u32 { return SCRATCH & ~(bodyTouched & ~current); }

/** Whether the emission just made named a borrowed register where it should not have. */
export function borrowClashed(): bool { return clashed; }
