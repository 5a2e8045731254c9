// Zero high words written late in a loop copy. A 32-bit result, a zero-extending load or a shift right by 32 or
// more leaves a register's high word 0; where that word lives in an ARM register of the copy, its MOV #0 waits
// (hiLate) while the copy runs straight-line code that cannot leave it: the next write of the word makes it
// unneeded (regs.ts setHi), a read of the word through regs.ts hi() writes it first, and before anything else
// (a block's end, a jump, a call, a store, a checked access, a division, the copy's end) every late word is
// written. The emitters know the word is 0 (hiZero), so most instructions reading the register read nothing of it
// (a sum with a 64-bit value, a comparison): clang's temporaries (an address, then the value loaded through it,
// then its sum with a 64-bit accumulator) no longer pay for a zero nothing reads.

import { inOwnFrame, loopLast, sizeBytes } from "../analysis/loops";
import { ALU_DIV, ALU_MOD, CLS_ALU, CLS_ALU64, CLS_LDX, MODE_MEM, MODE_MEMSX } from "../../isa";
import { Context, F_LEADER, flagOf, offOf, opcode, srcOf } from "./context";
import { inLoopCopy, planned } from "./copies";
import { fusedLength } from "./fuse";
import { writeLate } from "./regs";
import { rotationLength } from "./shapes";

/**
 * Whether the step at instruction i may run with late words pending: in a loop copy, each of its instructions an
 * ALU operation other than a division, lddw or a load that needs no check (none of them can leave the copy or
 * branch inside their code, but for an add's branch over a high word's update in the register file, carryhigh.ts,
 * which lands in the add's own code and leaves the ARM registers as they were).
 */
export function lateSafe(c: Context, i: i32): bool {
  if (!inLoopCopy(c)) return false;
  const op0 = opcode(c, i);
  let end = i + (op0 == 0x18 ? 2 : op0 == 0x71 ? 3 : 1); // (a word's last byte: its shift and or, bytes.ts)
  end = min(max(end, i + max(rotationLength(c, i), fusedLength(c, i))), c.count);
  for (let j = i; j < end; j++) {
    const op = opcode(c, j);
    const cls = op & 7;
    if (op == 0x18) { j++; continue; }
    if (cls == CLS_ALU || cls == CLS_ALU64) {
      if ((op & 0xf0) == ALU_DIV || (op & 0xf0) == ALU_MOD) return false;
      continue;
    }
    const mode = op & 0xe0;
    if (cls != CLS_LDX || (mode != MODE_MEM && mode != MODE_MEMSX)) return false;
    if (!planned(c, j) && !inOwnFrame(srcOf(c, j), offOf(c, j), sizeBytes(op & 0x18))) return false;
  }
  return true;
}

/** Every late zero high word written. */
export function settleLate(c: Context): void {
  if (c.hiLate == 0) return;
  for (let r = 0; r < 11; r++) writeLate(c, r);
}

/** After a step of a copy, `next` the instruction after it: at a block's or the copy's end, every late word written. */
export function lateAfterStep(c: Context, next: i32): void {
  if (c.hiLate == 0) return;
  if (next >= c.count || (flagOf(c, next) & F_LEADER) != 0 || !inLoopCopy(c) ||
    next > loopLast(unchecked(c.copyLoop[c.depth - 1]))) settleLate(c);
}
