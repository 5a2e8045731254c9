// Products by a constant as the emitters make them, for the copy's register choice (loopregs.ts) to ask without
// importing the emitters: which factors the shifter makes (alu.ts emitMul32Imm) and which products an add makes one
// MLA (fuse.ts), both reading their multiplier from a register.

import { Context, dstOf, offOf, opcode, srcOf } from "./context";
import { ALU_ADD, ALU_MUL, CLS_ALU, SRC_X } from "../../isa";

/** Whether emitMul32Imm makes the product by v without a register holding v: 0, 1, 2^k, 2^k + 1, 2^k - 1. */
export function shifterFactor(v: u32): bool {
  return v <= 1 || (v & (v - 1)) == 0 || ((v - 1) & (v - 2)) == 0 || v != 0xffffffff && ((v + 1) & v) == 0;
}

/** Whether i starts `mul32 d, s | imm; add32 d, t` (t not d), one MLA (not checked here: a block start at i + 1). */
export function isProductPair(c: Context, i: i32): bool {
  const mul = opcode(c, i);
  if ((mul & ~SRC_X) != (CLS_ALU | ALU_MUL) || offOf(c, i) != 0 || dstOf(c, i) >= 10) return false;
  const d = dstOf(c, i);
  return opcode(c, i + 1) == (CLS_ALU | ALU_ADD | SRC_X) && dstOf(c, i + 1) == d && srcOf(c, i + 1) != d &&
    offOf(c, i + 1) == 0;
}
