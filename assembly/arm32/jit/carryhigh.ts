// A 64-bit add or subtract whose second operand is narrow (16 bits at most, or an immediate as small) into
// a register whose low word is in an ARM register and whose high word is in the register file: a u64 counter or
// sum of narrow values (lines and words counted, a checksum's total). Its high word changes only on a carry (a
// borrow), by one: the low word's ADDS / SUBS, then a branch over the register file's update (LDR, ADD or SUB
// #1, STR), taken on all but the rare trip that carries, instead of a load, an ADC and a store every time. A
// loop copy may then keep such a register's low word alone in an ARM register (loopregs.ts counts no high-word
// access for it), and gives its other ARM register to another value.
//
// Only where the high word is really in the register file: not known to be 0 (a flush may not have stored that 0
// yet), not carried in r1 to the next instruction (owedhigh.ts). The branch lands inside this instruction's code:
// what the emitters know of scratch registers and of the last word stored is forgotten there (regs.ts barrier),
// and the following instructions of the block look back no further (the block's code starts anew there).

import { HS, LO, OP_ADD, OP_SUB, R1, R11, branch, ldr, opImm, str } from "../a32/encoder";
import { Context } from "./context";
import { NARROW } from "./loopregs";
import { barrier, hiInArm, known0, loInArm } from "./regs";
import { S_REGS } from "../../../targets/arm32/image";

/**
 * Whether dst's high word can follow the carry of adding or subtracting the operand (src, or imm where not x):
 * dst's words where they must be, and an operand of at most 16 bits (the value widths of ranges.ts), so that a carry
 * takes 2^16 adds at least where dst grows by them (a sum of 32-bit values, as bignum's limbs, carries every other
 * trip: the update would run as often as not).
 */
export function carryHighOk(c: Context, dst: i32, x: bool, src: i32, imm: i32): bool {
  if (!(x ? src < 10 && c.ranges.widthNow(src) <= NARROW : imm > -(1 << NARROW) && imm < 1 << NARROW)) return false;
  return dst < 10 && loInArm(c, dst) && !hiInArm(c, dst) && !known0(c, dst) && c.hiOwed != dst && c.hiKeep != dst;
}

/**
 * After ADDS / SUBS on dst's low word: its high word in the register file plus one where the carry is set (`up`:
 * what ADC #0 would add), or minus one where it is clear (SBC #0: a borrow, or an all-ones high word added).
 */
export function emitCarryHigh(c: Context, dst: i32, up: bool): void {
  const slot = S_REGS + 8 * dst + 4;
  const skip = c.pos + 16; // over the branch and the three words of the update
  c.emit(branch(up ? LO : HS, false, c.pos, skip));
  c.emit(ldr(R1, R11, slot));
  c.emit(opImm(up ? OP_ADD : OP_SUB, R1, R1, 1));
  c.emit(str(R1, R11, slot));
  barrier(c);
  c.blockStart = c.pos; // nor what the words before the branch left (regs.ts stored: the next instruction's)
  const bit = <u32>1 << <u32>dst;
  c.hiZero &= ~bit;
  c.hiLate &= ~bit;
}
